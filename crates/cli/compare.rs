//! `healthy-city compare`: ranks under several weighting scenarios.

use anyhow::{bail, Context, Result};

use crate::analysis::{load_scenario, with_scenario, SCENARIOS};
use crate::args::CompareArgs;
use crate::inputs::Inputs;
use crate::publish::{self, Outputs};

/// Cities drawn in the comparison chart, by nominal rank (the focus city is added).
const COMPARE_TOP: usize = 15;

pub fn run(args: &CompareArgs) -> Result<()> {
    let common = &args.common;
    let inputs = Inputs::load(
        common.input.framework.as_deref(),
        common.input.data.as_deref(),
    )?;
    if let Some(year) = common.year {
        // The other analyses refuse an unranked year when building their engine; compare
        // would otherwise give an empty table and chart.
        crate::analysis::engine(&inputs, &inputs.framework, Some(year), &[])?;
    }
    let names: Vec<String> = if args.scenarios.is_empty() {
        SCENARIOS.iter().map(|s| s.0.to_string()).collect()
    } else {
        args.scenarios.clone()
    };
    let mut frameworks = vec![(String::from("nominal"), inputs.framework.clone())];
    for name in &names {
        let scenario = load_scenario(name)?;
        let applied = with_scenario(&inputs, Some(name));
        let framework = if args.scenarios.is_empty() {
            applied.with_context(|| {
                format!(
                    "the shipped scenario `{name}` does not fit `{}` (the shipped scenarios are written for the default index's domains): give scenarios written for this framework with --scenario FILE",
                    inputs.framework.file()
                )
            })?
        } else {
            applied?
        };
        if frameworks.iter().any(|(id, _)| *id == scenario.id) {
            bail!(
                "two scenarios have the id `{}`: give each scenario once",
                scenario.id
            );
        }
        frameworks.push((scenario.id.clone(), framework));
    }
    let cmp = healthy_city_score::compare(
        &frameworks,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
        common.year,
    )
    .map_err(crate::analysis::flag)?;
    let focus = crate::analysis::focus_name(args.city.as_deref(), &inputs.framework)
        .map(|wanted| {
            let wanted = wanted.trim();
            cmp.cities
                .iter()
                .position(|id| id.eq_ignore_ascii_case(wanted))
                .or_else(|| {
                    cmp.names
                        .iter()
                        .position(|n| n.eq_ignore_ascii_case(wanted))
                })
                .with_context(|| {
                    format!(
                        "city `{wanted}` is not among the {} compared: give an id or name (e.g. `{}`)",
                        inputs.framework.units,
                        cmp.names.first().map_or("Paris", String::as_str)
                    )
                })
        })
        .transpose()?;

    let table = healthy_city_report::compare_table(&cmp);
    let mut outputs = Outputs::new(&common.out)?;
    outputs.table("compare.csv", &table)?;
    let (svg, png) = outputs.chart("compare")?;
    healthy_city_report::write_chart(
        &healthy_city_report::CompareChart {
            comparison: &cmp,
            index: &inputs.framework.name,
            units: &inputs.framework.units,
            focus: focus.map(healthy_city_report::Focus::new),
            top: COMPARE_TOP,
            source: &healthy_city_report::source_footnote(&inputs.framework, &inputs.catalogue),
        },
        &svg,
        &png,
    )?;
    // The files first: what happens on standard output (a reader gone) cannot lose them.
    let written = outputs.commit_quietly()?;
    let (title, terminal) = healthy_city_report::compare_terminal_table(&cmp);
    publish::print_result(
        common.format,
        &(title.clone() + &healthy_city_report::render_terminal(&terminal)),
        &title,
        &table,
    )?;
    publish::wrote(&written);
    Ok(())
}
