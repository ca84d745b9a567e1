//! `healthy-city import coinr`: a COINr coin's iData and iMeta as a framework, cities,
//! catalogue and observations.

use anyhow::{Context, Result};

use crate::args::CoinrArgs;
use crate::hints::ingest_flags;
use crate::publish::status;

pub fn coinr(args: &CoinrArgs) -> Result<()> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
    };
    let (idata, imeta) = (read(&args.idata)?, read(&args.imeta)?);
    let import = healthy_city_ingest::import_coinr(
        &idata,
        &args.idata.display().to_string(),
        &imeta,
        &args.imeta.display().to_string(),
        args.year,
        args.group.as_deref(),
    )
    .map_err(ingest_flags)
    .context("cannot import the COINr tables")?;
    healthy_city_ingest::write_coinr_import(&import, &args.out)
        .with_context(|| format!("cannot write the import to `{}`", args.out.display()))?;
    status(&format!(
        "wrote {} ({} observations); score it with `healthy-city run --framework {}`",
        healthy_city_ingest::COINR_FILES
            .map(|f| args.out.join(f).display().to_string())
            .join(", "),
        import.n_observations,
        args.out.join("framework.toml").display()
    ));
    Ok(())
}
