//! `healthy-city sensitivity`: Sobol indices of the uncertain inputs.

use std::time::Instant;

use anyhow::Result;
use healthy_city_score::{Objective, Sampler, SobolDesign};

use crate::analysis::{self, city, factor_labels, progress, setup};
use crate::args::{SamplerArg, SensitivityArgs};
use crate::publish::{self, status, Outputs};
use crate::signals::{cancellable, CANCEL};

#[allow(clippy::result_large_err)]
pub fn run(args: &SensitivityArgs) -> Result<()> {
    let (inputs, engine) = setup(&args.common, &args.inputs)?;
    let engine = match &args.target {
        Some(id) => engine.with_target(id).map_err(analysis::flag)?,
        None => engine,
    };
    // A target other than the index is named in the output's description.
    let of = if engine.target() == engine.root() {
        String::new()
    } else {
        format!(" in `{}`", engine.node_ids()[engine.target()])
    };
    let analysis = analysis::analysis(&args.inputs, &engine, &inputs)?;
    let focus = args.city.as_deref().map(|c| city(&engine, c)).transpose()?;
    let k = analysis.factors.len();
    let total = args.runs.saturating_mul(k + 2);
    let bar = progress(args.runs, "sensitivity");
    let started = Instant::now();
    let sampler = match args.sampler {
        SamplerArg::Sobol => Sampler::Sobol,
        SamplerArg::Random => Sampler::Random,
    };
    let indices = cancellable(|| {
        healthy_city_score::sensitivity(
            &analysis,
            focus.map_or(Objective::MeanRankShift, Objective::CityRank),
            SobolDesign {
                runs: args.runs,
                sampler,
                seed: args.inputs.seed,
                bootstrap: args.bootstrap,
            },
            &|done| bar.set_position(done as u64),
            &CANCEL,
        )
        .map_err(analysis::flag)
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let output = focus.map_or_else(
        || format!("mean absolute rank shift{of} against the nominal ranking"),
        |c| format!("rank of {}{of}", engine.city_names[c]),
    );
    let sampling = if sampler == Sampler::Sobol {
        "Owen-scrambled Sobol"
    } else {
        "pseudo-random"
    };
    let table = healthy_city_report::sensitivity_table(&analysis.factors, &indices);
    let mut outputs = Outputs::new(&args.common.out)?;
    outputs.table("sensitivity.csv", &table)?;
    let names = factor_labels(&analysis);
    let (svg, png) = outputs.chart("sensitivity")?;
    healthy_city_report::write_chart(
        &healthy_city_report::SensitivityChart {
            indices: &indices,
            index: &inputs.framework.name,
            year: healthy_city_report::Year(engine.year),
            output: &focus.map_or_else(
                || format!("mean absolute rank shift{of}"),
                |c| format!("rank of {}{of}", engine.city_names[c]),
            ),
            inputs: &names,
            runs: args.runs,
            rebuilds: total,
            sampler: sampling,
            seed: args.inputs.seed,
            bootstrap: args.bootstrap,
            source: &healthy_city_report::source_footnote(&inputs.framework, &inputs.catalogue),
        },
        &svg,
        &png,
    )?;
    // The files first: what happens on standard output (a reader gone) cannot lose them.
    let written = outputs.commit_quietly()?;
    let title = healthy_city_report::sensitivity_title(
        &output,
        engine.year,
        args.runs,
        total,
        sampling,
        args.inputs.seed,
        args.bootstrap,
    );
    let terminal = healthy_city_report::sensitivity_terminal_table(&analysis.factors, &indices);
    publish::print_result(
        args.common.format,
        &(title.clone() + &healthy_city_report::render_terminal(&terminal)),
        &title,
        &table,
    )?;
    status(&format!(
        "{total} rebuilds in {elapsed:.2} s ({:.0} per second)",
        total as f64 / elapsed.max(1e-9)
    ));
    publish::wrote(&written);
    Ok(())
}
