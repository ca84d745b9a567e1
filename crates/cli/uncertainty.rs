//! `healthy-city uncertainty`: Monte Carlo over the index's choices, rank statistics per city.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::{Context, Result};
use healthy_city_report::{CsvRows, ReplicationsLog, RunsLog};

use crate::analysis::{self, city, factor_labels, progress, setup};
use crate::args::UncertaintyArgs;
use crate::publish::{self, status, Outputs};
use crate::signals::{cancellable, CANCEL};

// The engine's errors are large (they name node, city, year, child and value).
#[allow(clippy::result_large_err)]
pub fn run(args: &UncertaintyArgs) -> Result<()> {
    let (inputs, engine) = setup(&args.common, &args.inputs)?;
    let engine = match &args.target {
        Some(id) => engine.with_target(id).map_err(analysis::flag)?,
        None => engine,
    };
    let target = &engine.node_ids()[engine.target()];
    // The index keeps its titles; another target is named in them.
    let focus_node = (engine.target() != engine.root()).then_some(target.as_str());
    let chart_title = match focus_node {
        Some(id) => {
            let name = inputs
                .framework
                .nodes()
                .iter()
                .find(|n| n.id == id)
                .and_then(|n| n.name.clone())
                .unwrap_or_else(|| id.to_string());
            format!("{name} ({})", inputs.framework.name)
        }
        None => inputs.framework.name.clone(),
    };
    let focus = analysis::focus_name(args.city.as_deref(), &inputs.framework)
        .map(|name| city(&engine, name))
        .transpose()?;
    let analysis = analysis::analysis(&args.inputs, &engine, &inputs)?;
    let mut outputs = Outputs::new(&args.common.out)?;
    let runs_path = outputs.file("uncertainty-runs.csv")?;
    let mut file = BufWriter::new(
        File::create(&runs_path)
            .with_context(|| format!("cannot create `{}`", runs_path.display()))?,
    );
    let log = RunsLog::new(&engine, &analysis.factors);
    let mut runs = CsvRows::new(&mut file, &log.columns())?;
    // Staged with the other outputs: it appears with them, or not at all.
    let replications_log = ReplicationsLog::new(&engine);
    let mut replications_file = if args.write_replications {
        let path = outputs.file("uncertainty-replications.csv")?;
        Some(BufWriter::new(File::create(&path).with_context(|| {
            format!("cannot create `{}`", path.display())
        })?))
    } else {
        None
    };
    let mut replications = match replications_file.as_mut() {
        Some(file) => Some(CsvRows::new(file, &replications_log.columns())?),
        None => None,
    };
    let bar = progress(args.runs, "uncertainty");
    let started = Instant::now();
    let seed = args.inputs.seed;
    let stats = cancellable(|| {
        analysis
            .monte_carlo(
                args.runs,
                seed,
                &mut |run, config, scores, ranks| {
                    let failed =
                        |file: &str, e: std::io::Error| healthy_city_score::Error::Setting {
                            key: file.to_string(),
                            message: e.to_string(),
                        };
                    runs.row(&log.row(run, seed, config))
                        .map_err(|e| failed("uncertainty-runs.csv", e))?;
                    if let Some(rows) = replications.as_mut() {
                        for row in replications_log.rows(run, scores, ranks) {
                            rows.row(&row)
                                .map_err(|e| failed("uncertainty-replications.csv", e))?;
                        }
                    }
                    Ok(())
                },
                &|done| bar.set_position(done as u64),
                &CANCEL,
            )
            .map_err(analysis::flag)
    })?;
    bar.finish_and_clear();
    runs.finish()?;
    file.flush()?;
    drop(file);
    replications.map(CsvRows::finish).transpose()?;
    if let Some(mut file) = replications_file {
        file.flush()?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let table = healthy_city_report::uncertainty_table(&stats, target);
    outputs.table("uncertainty.csv", &table)?;
    let names = factor_labels(&analysis);
    let (svg, png) = outputs.chart("rank-intervals")?;
    healthy_city_report::write_chart(
        &healthy_city_report::IntervalChart {
            stats: &stats,
            index: &chart_title,
            year: healthy_city_report::Year(engine.year),
            runs: args.runs,
            seed,
            inputs: &names.join(", "),
            names: &engine.city_names,
            focus: focus.map(healthy_city_report::Focus::new),
            source: &healthy_city_report::source_footnote(&inputs.framework, &inputs.catalogue),
        },
        &svg,
        &png,
    )?;
    // The files first: what happens on standard output (a reader gone) cannot lose them.
    let written = outputs.commit_quietly()?;
    let (title, terminal) = healthy_city_report::uncertainty_terminal_table(
        &stats,
        &engine.city_names,
        engine.year,
        args.runs,
        seed,
        &analysis.factors,
        focus_node,
    );
    publish::print_result(
        args.common.format,
        &(title.clone() + &healthy_city_report::render_terminal(&terminal)),
        &title,
        &table,
    )?;
    status(&format!(
        "{} replications in {elapsed:.2} s ({:.0} per second)",
        args.runs,
        args.runs as f64 / elapsed.max(1e-9)
    ));
    publish::wrote(&written);
    Ok(())
}
