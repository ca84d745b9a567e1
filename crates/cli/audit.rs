//! `healthy-city audit`: the statistical audit of one year, five tables and a summary.

use anyhow::{Context, Result};

use crate::args::AuditArgs;
use crate::inputs::Inputs;
use crate::publish::{self, Outputs};

pub fn run(args: &AuditArgs) -> Result<()> {
    let inputs = Inputs::load(args.input.framework.as_deref(), args.input.data.as_deref())?;
    let audit = healthy_city_score::audit(
        &inputs.framework,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
        args.year,
    )
    .with_context(|| format!("cannot audit `{}`", inputs.framework.file()))?;
    let mut outputs = Outputs::new(&args.out)?;
    for (name, table) in healthy_city_report::audit_tables(&audit) {
        outputs.table(name, &table)?;
    }
    let written = outputs.commit_quietly()?;
    publish::print(&audit.summary())?;
    publish::wrote(&written);
    Ok(())
}
