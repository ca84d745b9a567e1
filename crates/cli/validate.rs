//! `healthy-city validate`: check the inputs without scoring.

use anyhow::Result;

use crate::args::InputArgs;
use crate::inputs::Inputs;
use crate::publish::status;

pub fn run(args: &InputArgs) -> Result<()> {
    let inputs = Inputs::load(args.framework.as_deref(), args.data.as_deref())?;
    healthy_city_score::check(&inputs.framework, &inputs.catalogue)?;
    status(&format!(
        "ok: `{}` ({} indicators), {} cities, {} indicators in the catalogue, {} observations",
        inputs.framework.file(),
        inputs.framework.indicators().count(),
        inputs.cities.len(),
        inputs.catalogue.len(),
        inputs.observations.len()
    ));
    Ok(())
}
