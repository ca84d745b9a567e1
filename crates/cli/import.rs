//! `healthy-city import coinr`: a COINr coin's iData and iMeta as a framework, cities,
//! catalogue and observations; `healthy-city import urban-audit`: the European registry.

use anyhow::{Context, Result};

use crate::args::{CoinrArgs, UrbanAuditArgs};
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

pub fn urban_audit(args: &UrbanAuditArgs) -> Result<()> {
    let bytes = std::fs::read(&args.metadata)
        .with_context(|| format!("cannot read `{}`", args.metadata.display()))?;
    let world = healthy_city_model::Cities::load(&args.world)?;
    let toml = healthy_city_ingest::urban_audit_registry(
        &bytes,
        &args.metadata.display().to_string(),
        &world,
    )
    .context("cannot make the registry from the Urban Audit city list")?;
    // What is written must read back as a registry.
    let cities = healthy_city_model::Cities::parse(&toml, &args.out.display().to_string())
        .context("the generated registry does not read back")?;
    healthy_city_fs::write_atomic(&args.out, toml.as_bytes())
        .with_context(|| format!("cannot write `{}`", args.out.display()))?;
    status(&format!(
        "wrote {} cities to {}",
        cities.iter().count(),
        args.out.display()
    ));
    Ok(())
}
