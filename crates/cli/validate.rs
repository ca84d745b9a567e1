//! `healthy-city validate`: check the inputs with every check `run` makes, writing nothing.

use anyhow::{Context, Result};

use crate::args::InputArgs;
use crate::inputs::Inputs;
use crate::publish::status;

pub fn run(args: &InputArgs) -> Result<()> {
    let inputs = Inputs::load(args.framework.as_deref(), args.data.as_deref())?;
    // The same pipeline as `run` (constant indicators, means over zero, overflowing settings,
    // coverage), its results dropped.
    let checked = healthy_city_score::validate(
        &inputs.framework,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
    )
    .with_context(|| format!("cannot score `{}`", inputs.framework.file()))?;
    let ranked = match (checked.ranked_years.first(), checked.ranked_years.last()) {
        (Some(first), Some(last)) if first == last => format!("ranked in {first}"),
        (Some(first), Some(last)) => format!(
            "ranked in {} of {} years ({first}-{last})",
            checked.ranked_years.len(),
            checked.years.len()
        ),
        _ => String::from("ranked in no year"),
    };
    status(&format!(
        "ok: `{}` ({} indicators), {} cities, {} indicators in the catalogue, {} observations; {} cities scored, {ranked}",
        inputs.framework.file(),
        inputs.framework.indicators().count(),
        inputs.cities.len(),
        inputs.catalogue.len(),
        inputs.observations.len(),
        checked.cities,
    ));
    Ok(())
}
