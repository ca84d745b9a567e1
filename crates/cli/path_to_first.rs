//! `healthy-city path-to-first`: the least improvement that makes a city rank first.

use anyhow::{Context, Result};

use crate::analysis::{self, city, setup};
use crate::args::PathArgs;
use crate::publish::{self, Outputs};

#[allow(clippy::result_large_err)]
pub fn run(args: &PathArgs) -> Result<()> {
    let common = &args.common;
    let (inputs, engine) = setup(common, &args.inputs)?;
    let framework_file = common.input.framework.as_ref().map_or_else(
        || String::from("the framework"),
        |p| format!("`{}`", p.display()),
    );
    let c = city(
        &engine,
        crate::analysis::required_city(args.city.as_deref(), &inputs.framework, "path-to-first")?,
    )?;
    let caps = healthy_city_score::resolve_caps(&engine, &args.caps)
        .map_err(analysis::flag)
        .with_context(|| format!("cannot cap the indicators of {framework_file}"))?;
    let mut robust = None;
    let p = match args.robust {
        None => healthy_city_score::path_to_first(&engine, &engine.nominal(), c, &caps)
            .map_err(analysis::flag)?,
        Some(share) => {
            let analysis = analysis::analysis(&args.inputs, &engine, &inputs)?;
            let (path, won, reached) = healthy_city_score::robust_path_to_first(
                &analysis,
                c,
                &caps,
                share,
                args.runs,
                args.inputs.seed,
            )
            .map_err(analysis::flag)?;
            robust = Some(healthy_city_report::RobustOutcome {
                won,
                reached,
                runs: args.runs,
                share,
                seed: args.inputs.seed,
            });
            path
        }
    };
    let name = &engine.city_names[c];
    let runner = engine
        .city(&p.runner_up.0)
        .map_or(p.runner_up.0.as_str(), |k| engine.city_names[k].as_str());
    let text = healthy_city_report::path_summary(&p, name, runner, robust.as_ref());
    let table = healthy_city_report::path_table(&p, &inputs.catalogue);
    let mut outputs = Outputs::new(&common.out)?;
    outputs.table("path-to-first.csv", &table)?;
    let labels = healthy_city_report::PathLabel::for_steps(&p, &inputs.catalogue);
    let (svg, png) = outputs.chart("path-to-first")?;
    healthy_city_report::write_chart(
        &healthy_city_report::PathChart {
            path: &p,
            index: &inputs.framework.name,
            city: name,
            runner_up: runner,
            labels: &labels,
            source: &healthy_city_report::source_footnote(&inputs.framework, &inputs.catalogue),
        },
        &svg,
        &png,
    )?;
    // The files first: what happens on standard output (a reader gone) cannot lose them.
    let written = outputs.commit_quietly()?;
    let terminal = healthy_city_report::path_terminal_table(&p, &inputs.catalogue);
    publish::print_result(
        common.format,
        &(text.clone() + &healthy_city_report::render_terminal(&terminal)),
        &text,
        &table,
    )?;
    publish::wrote(&written);
    Ok(())
}
