//! `healthy-city weight-map`: which city ranks first for every mix of three domains' weights.

use std::time::Instant;

use anyhow::{Context, Result};
use healthy_city_score::Analysis;

use crate::analysis::{city, engine, flag, with_scenario};
use crate::args::WeightMapArgs;
use crate::inputs::Inputs;
use crate::publish::{self, status, Outputs};

pub fn run(args: &WeightMapArgs) -> Result<()> {
    let common = &args.common;
    let inputs = Inputs::load(
        common.input.framework.as_deref(),
        common.input.data.as_deref(),
    )?;
    let framework = with_scenario(&inputs, args.scenario.as_deref())?;
    let engine = engine(&inputs, &framework, common.year, &[])?;
    let c = city(
        &engine,
        crate::analysis::required_city(args.city.as_deref(), &framework, "weight-map")?,
    )?;
    let analysis = Analysis::new(&engine, Vec::new())?;
    let nodes = analysis
        .weight_map_nodes(&args.domains)
        .map_err(flag)
        .with_context(|| format!("cannot map the weights of `{}`", framework.file()))?;
    let steps = args.step.steps;
    let started = Instant::now();
    let cells = analysis.weight_map(nodes, steps, c)?;
    let elapsed = started.elapsed().as_secs_f64();
    let table = healthy_city_report::weight_map_table(&cells, &engine.cities);
    let mut outputs = Outputs::new(&common.out)?;
    outputs.table("weight-map.csv", &table)?;
    let text =
        healthy_city_report::weight_map_summary(&cells, &engine, c, &args.domains, args.step.value);
    let firsts = healthy_city_report::weight_map_firsts_table(&cells, &engine.city_names);
    let nominal_weights = engine.nominal().weights;
    let total: f64 = nodes.iter().map(|&k| nominal_weights[k]).sum();
    let domain = |k: usize| {
        let id = engine.node_ids()[nodes[k]].as_str();
        framework
            .get(id)
            .and_then(|n| n.name.as_deref())
            .or_else(|| inputs.catalogue.get(id).map(|i| i.name.as_str()))
            .unwrap_or(id)
    };
    let (svg, png) = outputs.chart("weight-map")?;
    healthy_city_report::write_chart(
        &healthy_city_report::WeightMapChart {
            cells: &cells,
            index: &framework.name,
            year: healthy_city_report::Year(engine.year),
            domains: [domain(0), domain(1), domain(2)],
            steps,
            names: &engine.city_names,
            focus: healthy_city_report::Focus::new(c),
            nominal: nodes.map(|k| nominal_weights[k] / total),
            source: &healthy_city_report::source_footnote(&framework, &inputs.catalogue),
        },
        &svg,
        &png,
    )?;
    // The files first: what happens on standard output (a reader gone) cannot lose them.
    let written = outputs.commit_quietly()?;
    let around = text.clone() + &healthy_city_report::render_terminal(&firsts);
    publish::print_result(common.format, &around, &around, &table)?;
    status(&format!("{} rebuilds in {elapsed:.2} s", cells.len()));
    publish::wrote(&written);
    Ok(())
}
