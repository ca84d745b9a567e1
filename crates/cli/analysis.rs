//! The analysis commands: compare, uncertainty, sensitivity, path-to-first, weight-map.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use healthy_city_model::{
    parse_method, Aggregation, Framework, Impute, Level, Normalisation, Scenario,
};
use healthy_city_score::{Analysis, Config, Engine, Factor, Sampler};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{
    AnalysisInput, CompareArgs, PathArgs, SamplerArg, SensitivityArgs, Uncertain, UncertaintyArgs,
    WeightMapArgs,
};
use crate::inputs::Inputs;
use crate::output::Staging;
use crate::status;

/// The scenarios shipped in indicators/scenarios, built into the binary.
pub const SCENARIOS: [(&str, &str); 4] = [
    (
        "equal-weights",
        include_str!("../../indicators/scenarios/equal-weights.toml"),
    ),
    (
        "outcome-led",
        include_str!("../../indicators/scenarios/outcome-led.toml"),
    ),
    (
        "environment-led",
        include_str!("../../indicators/scenarios/environment-led.toml"),
    ),
    (
        "pca-weights",
        include_str!("../../indicators/scenarios/pca-weights.toml"),
    ),
];

/// Cities drawn in the comparison chart, by nominal rank (the focus city is added).
const COMPARE_TOP: usize = 15;

/// Set by Ctrl-C: long runs stop at the next chunk, and nothing is written.
pub static CANCEL: AtomicBool = AtomicBool::new(false);

fn catch_ctrl_c() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // If a handler cannot be installed, Ctrl-C kills the process: still nothing is renamed
        // into place, only the staging folder may remain.
        let _ = ctrlc::set_handler(|| CANCEL.store(true, Ordering::Relaxed));
    });
}

/// The uncertain inputs' names as charts show them ("leave one out").
fn factor_labels(analysis: &Analysis) -> Vec<String> {
    analysis
        .factors
        .iter()
        .map(|f| f.name().replace('_', " "))
        .collect()
}

/// A scenario by shipped name or file path.
fn load_scenario(name: &str) -> Result<Scenario> {
    let path = Path::new(name);
    if path.is_file() {
        return Ok(Scenario::load(path)?);
    }
    if let Some((id, text)) = SCENARIOS.iter().find(|(id, _)| *id == name) {
        return Ok(Scenario::parse(
            text,
            &format!("<embedded>/indicators/scenarios/{id}.toml"),
        )?);
    }
    bail!(
        "no scenario `{name}`: give a scenario file or one of {}",
        SCENARIOS.map(|s| s.0).join(", ")
    )
}

/// The framework with a scenario applied (its notes printed).
fn with_scenario(inputs: &Inputs, scenario: Option<&str>) -> Result<Framework> {
    let Some(name) = scenario else {
        return Ok(inputs.framework.clone());
    };
    let scenario = load_scenario(name)?;
    healthy_city_score::apply_scenario(&scenario, &inputs.framework, &inputs.cities)
        .with_context(|| format!("cannot apply the scenario `{}`", scenario.file()))
}

fn engine(
    inputs: &Inputs,
    framework: &Framework,
    year: Option<i32>,
    imputations: &[Impute],
) -> Result<Engine> {
    Engine::build(
        framework,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
        year,
        imputations,
    )
    .with_context(|| format!("cannot score `{}`", framework.file()))
}

fn city(engine: &Engine, name: &str) -> Result<usize> {
    engine.city(name).with_context(|| {
        format!(
            "city `{name}` is not ranked in {}: give a ranked city's id or name (e.g. `{}`)",
            engine.year,
            engine.city_names.first().map_or("London", String::as_str)
        )
    })
}

/// Creates a staged CSV file.
fn csv(staging: &mut Staging, name: &str) -> Result<BufWriter<File>> {
    let path = staging.path(name)?;
    let file =
        File::create(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
    Ok(BufWriter::new(file))
}

fn progress(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    bar
}

fn print(text: &str) -> Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn finish(staging: Staging) -> Result<()> {
    for path in staging.commit()? {
        status(&format!("wrote {}", path.display()));
    }
    Ok(())
}

pub fn compare(args: &CompareArgs) -> Result<()> {
    let common = &args.common;
    let inputs = Inputs::load(
        common.input.framework.as_deref(),
        common.input.data.as_deref(),
    )?;
    let names: Vec<String> = if args.scenarios.is_empty() {
        SCENARIOS.iter().map(|s| s.0.to_string()).collect()
    } else {
        args.scenarios.clone()
    };
    let mut frameworks = vec![(String::from("nominal"), inputs.framework.clone())];
    for name in &names {
        let scenario = load_scenario(name)?;
        let framework = with_scenario(&inputs, Some(name))?;
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
    )?;
    let wanted = args.city.trim();
    let focus = cmp
        .cities
        .iter()
        .position(|id| id.eq_ignore_ascii_case(wanted))
        .or_else(|| {
            cmp.names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(wanted))
        })
        .with_context(|| {
            format!(
                "city `{}` is not among the cities compared: give a city id or name (e.g. `{}`)",
                args.city,
                cmp.names.first().map_or("London", String::as_str)
            )
        })?;
    let mut order: Vec<usize> = (0..cmp.cities.len())
        .filter(|&c| cmp.ranks[c].iter().any(Option::is_some))
        .collect();
    order.sort_by_key(|&c| (cmp.ranks[c][0].unwrap_or(u32::MAX), c));
    let rank = |r: Option<u32>| r.map_or_else(String::new, |r| r.to_string());

    let mut staging = Staging::new(&common.out)?;
    let mut out = csv(&mut staging, "compare.csv")?;
    writeln!(out, "city,name,{},largest_shift", cmp.scenarios.join(","))?;
    for &c in &order {
        let ranks: Vec<String> = cmp.ranks[c].iter().map(|&r| rank(r)).collect();
        writeln!(
            out,
            "{},\"{}\",{},{}",
            cmp.cities[c],
            cmp.names[c],
            ranks.join(","),
            rank(cmp.shift(c))
        )?;
    }
    out.flush()?;
    drop(out);
    let (svg, png) = staging.chart("compare")?;
    healthy_city_report::write_chart(
        &healthy_city_report::CompareChart {
            comparison: &cmp,
            index: &inputs.framework.name,
            focus: Some(healthy_city_report::Focus::new(focus)),
            top: COMPARE_TOP,
            source: &healthy_city_report::source_footnote(&inputs.framework, &inputs.catalogue),
        },
        &svg,
        &png,
    )?;

    let width = cmp
        .scenarios
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(8)
        .max(7);
    let mut text = format!(
        "Ranks in {} under each scenario\n\n{:<24}",
        cmp.year, "city"
    );
    for s in &cmp.scenarios {
        let _ = write!(text, " {s:>width$}");
    }
    let _ = writeln!(text, " {:>7}", "shift");
    for &c in &order {
        let _ = write!(text, "{:<24}", cmp.names[c]);
        for &r in &cmp.ranks[c] {
            let _ = write!(text, " {:>width$}", rank(r));
        }
        let _ = writeln!(text, " {:>7}", rank(cmp.shift(c)));
    }
    print(&text)?;
    finish(staging)
}

/// Builds the uncertain inputs from the options (the defaults when none is given).
fn factors(args: &Uncertain, engine: &Engine) -> Result<Vec<Factor>> {
    let mut factors = Vec::new();
    if let Some(c) = args.dirichlet {
        factors.push(Factor::Dirichlet(c));
    } else if !args.weight_noise.is_empty() {
        let mut levels = Vec::new();
        for spec in &args.weight_noise {
            let (level, x) = match spec.split_once('=') {
                Some((l, x)) => (
                    l.trim().parse::<usize>().ok().filter(|&l| l > 0).with_context(|| {
                        format!("--weight-noise `{spec}`: the level must be a whole number from 1 (the index's children)")
                    })?,
                    x,
                ),
                None => (0, spec.as_str()),
            };
            let x: f64 = x.trim().parse().with_context(|| {
                format!("--weight-noise `{spec}`: give a share such as 0.25 or LEVEL=0.25")
            })?;
            levels.push((level, x));
        }
        factors.push(Factor::WeightNoise(levels));
    }
    let list = |key: &str, values: &[String]| -> Result<Vec<String>> {
        let v: Vec<String> = values
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if v.is_empty() && !values.is_empty() {
            bail!("{key}: give at least one method");
        }
        Ok(v)
    };
    let normalisations = list("--normalisations", &args.normalisations)?;
    if !normalisations.is_empty() {
        let parsed = normalisations
            .iter()
            .map(|n| {
                parse_method::<Normalisation>(n)
                    .map_err(|e| anyhow::anyhow!("--normalisations `{n}`: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        factors.push(Factor::Normalisation(parsed));
    }
    let aggregations = list("--aggregations", &args.aggregations)?;
    if !aggregations.is_empty() {
        let parsed = aggregations
            .iter()
            .map(|n| {
                parse_method::<Aggregation>(n)
                    .map_err(|e| anyhow::anyhow!("--aggregations `{n}`: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        factors.push(Factor::Aggregation(parsed));
    }
    if engine.imputations.len() > 1 {
        factors.push(Factor::Imputation);
    }
    if let Some(spec) = &args.winmax {
        let (lo, hi) = spec
            .split_once("..")
            .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
            .with_context(|| {
                format!("--winmax `{spec}`: give a range of whole numbers such as 0..5")
            })?;
        factors.push(Factor::Winmax(lo, hi));
    }
    if args.leave_one_out {
        factors.push(Factor::LeaveOneOut);
    }
    if factors.is_empty() {
        factors = vec![
            Factor::WeightNoise(vec![(0, 0.25)]),
            Factor::Normalisation(vec![
                Normalisation::Minmax,
                Normalisation::Zscore { mean: 0.0, sd: 1.0 },
                Normalisation::Rank,
            ]),
            Factor::LeaveOneOut,
        ];
        status("uncertain inputs (defaults): weights ±25% at every level; normalisation minmax, zscore or rank; one indicator left out or none");
    }
    Ok(factors)
}

/// Loads the inputs, applies the scenario and the scale, parses imputation alternatives and
/// builds the engine and the analysis inputs.
fn setup(common: &AnalysisInput, args: &Uncertain) -> Result<(Inputs, Engine)> {
    let inputs = Inputs::load(
        common.input.framework.as_deref(),
        common.input.data.as_deref(),
    )?;
    let mut framework = with_scenario(&inputs, args.scenario.as_deref())?;
    if let Some(spec) = &args.scale {
        let parts: Vec<f64> = spec
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .ok()
            .filter(|p: &Vec<f64>| p.len() == 2 && p[0] < p[1])
            .with_context(|| {
                format!("--scale `{spec}`: give two numbers L,U with L < U, e.g. 1,100")
            })?;
        framework.methods.scale = [parts[0], parts[1]];
    }
    let imputations = args
        .imputations
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|n| parse_method::<Impute>(n).map_err(|e| anyhow::anyhow!("--imputations `{n}`: {e}")))
        .collect::<Result<Vec<_>>>()?;
    let engine = engine(&inputs, &framework, common.year, &imputations)?;
    Ok((inputs, engine))
}

fn describe(config: &Config, engine: &Engine) -> String {
    let norm = config
        .normalisation
        .as_ref()
        .map_or("framework", Normalisation::name);
    let agg = config
        .aggregation
        .map_or_else(|| String::from("framework"), |a| a.to_string());
    let imp = format!("{:?}", engine.imputations[config.imputation]).to_lowercase();
    let winmax = config
        .winmax
        .map_or_else(|| String::from("framework"), |w| w.to_string());
    let left = config.left_out.map_or("", |i| engine.indicator_id(i));
    format!("{norm},{agg},\"{imp}\",{winmax},{left}")
}

// The engine's errors are large (they name node, city, year, child and value).
#[allow(clippy::result_large_err)]
pub fn uncertainty(args: &UncertaintyArgs) -> Result<()> {
    catch_ctrl_c();
    if args.runs < 1 {
        bail!("--runs: give at least 1 replication");
    }
    let (inputs, engine) = setup(&args.common, &args.inputs)?;
    let focus = city(&engine, &args.city)?;
    let analysis = Analysis::new(&engine, factors(&args.inputs, &engine)?)?;
    let mut staging = Staging::new(&args.common.out)?;
    let mut runs = csv(&mut staging, "uncertainty-runs.csv")?;
    let weighted: Vec<usize> = (0..engine.node_ids().len())
        .filter(|&k| k != engine.root())
        .collect();
    write!(
        runs,
        "run,seed,normalisation,aggregation,imputation,winmax,left_out"
    )?;
    for &k in &weighted {
        write!(runs, ",w_{}", engine.node_ids()[k])?;
    }
    writeln!(runs)?;
    let bar = progress(args.runs, "uncertainty");
    let started = Instant::now();
    let seed = args.inputs.seed;
    let stats = analysis.monte_carlo(
        args.runs,
        seed,
        &mut |run, config, _| {
            let mut line = format!("{run},{seed},{}", describe(config, &engine));
            for &k in &weighted {
                let _ = write!(line, ",{}", config.weights[k]);
            }
            line.push('\n');
            runs.write_all(line.as_bytes())
                .map_err(|e| healthy_city_score::Error::Setting {
                    key: String::from("uncertainty-runs.csv"),
                    message: e.to_string(),
                })
        },
        &|done| bar.set_position(done as u64),
        &CANCEL,
    )?;
    bar.finish_and_clear();
    runs.flush()?;
    drop(runs);
    let elapsed = started.elapsed().as_secs_f64();
    let mut order: Vec<usize> = (0..stats.len()).collect();
    order.sort_by_key(|&c| (stats[c].nominal_rank, c));
    let mut out = csv(&mut staging, "uncertainty.csv")?;
    writeln!(
        out,
        "city,nominal_rank,mean_rank,median_rank,q05_rank,q95_rank,p_first,p_top3"
    )?;
    let mut text = format!(
        "Rank uncertainty in {} over {} replications (seed {seed}; inputs: {})\n\n{:<24} {:>7} {:>6} {:>7} {:>9} {:>7} {:>7}\n",
        engine.year,
        args.runs,
        analysis.factors.iter().map(Factor::name).collect::<Vec<_>>().join(", "),
        "city", "nominal", "median", "mean", "5-95%", "p_first", "p_top3"
    );
    for &c in &order {
        let s = &stats[c];
        writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            s.city,
            s.nominal_rank,
            s.mean_rank,
            s.median_rank,
            s.q05_rank,
            s.q95_rank,
            s.p_first,
            s.p_top3
        )?;
        let _ = writeln!(
            text,
            "{:<24} {:>7} {:>6} {:>7.1} {:>9} {:>7.3} {:>7.3}",
            engine.city_names[c],
            s.nominal_rank,
            s.median_rank,
            s.mean_rank,
            format!("{}-{}", s.q05_rank, s.q95_rank),
            s.p_first,
            s.p_top3
        );
    }
    out.flush()?;
    drop(out);
    let names = factor_labels(&analysis);
    let (svg, png) = staging.chart("rank-intervals")?;
    healthy_city_report::write_chart(
        &healthy_city_report::IntervalChart {
            stats: &stats,
            index: &inputs.framework.name,
            year: healthy_city_report::Year(engine.year),
            runs: args.runs,
            seed,
            inputs: &names.join(", "),
            names: &engine.city_names,
            focus: Some(healthy_city_report::Focus::new(focus)),
            source: &healthy_city_report::source_footnote(&inputs.framework, &inputs.catalogue),
        },
        &svg,
        &png,
    )?;
    print(&text)?;
    status(&format!(
        "{} replications in {elapsed:.2} s ({:.0} per second)",
        args.runs,
        args.runs as f64 / elapsed.max(1e-9)
    ));
    finish(staging)
}

#[allow(clippy::result_large_err)]
pub fn sensitivity(args: &SensitivityArgs) -> Result<()> {
    catch_ctrl_c();
    let (inputs, engine) = setup(&args.common, &args.inputs)?;
    let analysis = Analysis::new(&engine, factors(&args.inputs, &engine)?)?;
    let focus = args.city.as_deref().map(|c| city(&engine, c)).transpose()?;
    let k = analysis.factors.len();
    let n = engine.n_cities();
    let nominal = engine.nominal_ranks.clone();
    let total = args.runs.saturating_mul(k + 2);
    let bar = progress(args.runs, "sensitivity");
    let started = Instant::now();
    let sampler = match args.sampler {
        SamplerArg::Sobol => Sampler::Sobol,
        SamplerArg::Random => Sampler::Random,
    };
    let indices = healthy_city_score::sobol_indices(
        k,
        args.runs,
        sampler,
        args.inputs.seed,
        args.bootstrap,
        || engine.scratch(),
        |s, us| {
            let config = analysis.config(us);
            engine.evaluate(&config, s)?;
            let rank = |c: usize| s.ranks[c].map_or(n as f64, |r| f64::from(r.get()));
            Ok(match focus {
                Some(c) => rank(c),
                None => {
                    (0..n)
                        .map(|c| (rank(c) - f64::from(nominal[c].get())).abs())
                        .sum::<f64>()
                        / n as f64
                }
            })
        },
        &|done| bar.set_position(done as u64),
        &CANCEL,
    )?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let output = focus.map_or_else(
        || String::from("mean absolute rank shift against the nominal ranking"),
        |c| format!("rank of {}", engine.city_names[c]),
    );
    let mut staging = Staging::new(&args.common.out)?;
    let mut out = csv(&mut staging, "sensitivity.csv")?;
    writeln!(out, "input,first_order,first_order_low,first_order_high,total_effect,total_effect_low,total_effect_high")?;
    let mut text = format!(
        "Sobol indices of the {output} in {} ({} rows, {total} rebuilds, {} sampling, seed {}, {} bootstrap resamples)\n\n{:<16} {:>11} {:>17} {:>12} {:>17}\n",
        engine.year,
        args.runs,
        if sampler == Sampler::Sobol { "Owen-scrambled Sobol" } else { "pseudo-random" },
        args.inputs.seed,
        args.bootstrap,
        "input", "first order", "95% interval", "total effect", "95% interval"
    );
    for (factor, ix) in analysis.factors.iter().zip(&indices) {
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            factor.name(),
            ix.first_order,
            ix.first_order_ci[0],
            ix.first_order_ci[1],
            ix.total_effect,
            ix.total_effect_ci[0],
            ix.total_effect_ci[1]
        )?;
        let _ = writeln!(
            text,
            "{:<16} {:>11.3} {:>17} {:>12.3} {:>17}",
            factor.name(),
            ix.first_order,
            format!("[{:.3}, {:.3}]", ix.first_order_ci[0], ix.first_order_ci[1]),
            ix.total_effect,
            format!(
                "[{:.3}, {:.3}]",
                ix.total_effect_ci[0], ix.total_effect_ci[1]
            ),
        );
    }
    out.flush()?;
    drop(out);
    let names = factor_labels(&analysis);
    let (svg, png) = staging.chart("sensitivity")?;
    healthy_city_report::write_chart(
        &healthy_city_report::SensitivityChart {
            indices: &indices,
            index: &inputs.framework.name,
            year: healthy_city_report::Year(engine.year),
            output: &focus.map_or_else(
                || String::from("mean absolute rank shift"),
                |c| format!("rank of {}", engine.city_names[c]),
            ),
            inputs: &names,
            runs: args.runs,
            rebuilds: total,
            sampler: if sampler == Sampler::Sobol {
                "Owen-scrambled Sobol"
            } else {
                "pseudo-random"
            },
            seed: args.inputs.seed,
            bootstrap: args.bootstrap,
            source: &healthy_city_report::source_footnote(&inputs.framework, &inputs.catalogue),
        },
        &svg,
        &png,
    )?;
    print(&text)?;
    status(&format!(
        "{total} rebuilds in {elapsed:.2} s ({:.0} per second)",
        total as f64 / elapsed.max(1e-9)
    ));
    finish(staging)
}

#[allow(clippy::result_large_err)]
pub fn path_to_first(args: &PathArgs) -> Result<()> {
    let common = &args.common;
    let (inputs, engine) = setup(common, &args.inputs)?;
    let framework_file = common.input.framework.as_ref().map_or_else(
        || String::from("the framework"),
        |p| format!("`{}`", p.display()),
    );
    let c = city(&engine, &args.city)?;
    let mut caps = Vec::new();
    for spec in &args.caps {
        let (id, value) = spec
            .split_once('=')
            .with_context(|| format!("--cap `{spec}`: write INDICATOR=VALUE, e.g. pm25=5"))?;
        let i = engine.indicator_slot(id.trim()).with_context(|| {
            format!("--cap `{spec}`: `{id}` is not an indicator of {framework_file}")
        })?;
        let v: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .with_context(|| format!("--cap `{spec}`: `{value}` is not a number"))?;
        caps.push((i, v));
    }
    let mut robust_note = String::new();
    let p = match args.robust {
        None => healthy_city_score::path_to_first(&engine, &engine.nominal(), c, &caps)?,
        Some(share) => {
            if !(share > 0.0 && share <= 1.0) {
                bail!("--robust {share}: give the share of uncertainty runs to win, in (0, 1], e.g. 0.9");
            }
            if args.runs < 1 {
                bail!("--runs: give at least 1 replication");
            }
            let analysis = Analysis::new(&engine, factors(&args.inputs, &engine)?)?;
            let (path, won, ok) = healthy_city_score::robust_path_to_first(
                &analysis,
                c,
                &caps,
                share,
                args.runs,
                args.inputs.seed,
            )?;
            robust_note = if ok {
                format!(
                    "Robust: first in {:.1}% of {} uncertainty runs (asked {:.1}%; seed {}).\n",
                    100.0 * won,
                    args.runs,
                    100.0 * share,
                    args.inputs.seed
                )
            } else {
                format!("Robust: even with every indicator at its limit, first in only {:.1}% of {} uncertainty runs (asked {:.1}%).\n", 100.0 * won, args.runs, 100.0 * share)
            };
            path
        }
    };
    let mut staging = Staging::new(&common.out)?;
    let mut out = csv(&mut staging, "path-to-first.csv")?;
    writeln!(out, "indicator,current,target,change,effort,limit,level")?;
    let level = |id: &str| match inputs.catalogue.get(id).map(|i| i.level) {
        Some(Level::National) => "national",
        Some(Level::City) | None => "city",
    };
    let name = &engine.city_names[c];
    let runner = engine
        .city(&p.runner_up.0)
        .map_or(p.runner_up.0.as_str(), |k| engine.city_names[k].as_str());
    let mut text = format!(
        "Path to first place for {name} in {} ({}): rank {} -> {}, score {:.2} -> {:.2}; best other city {runner} {:.2} (ahead by {})\n",
        p.year, p.method, p.rank_before, p.rank_after, p.score[0], p.score[1], p.runner_up.1,
        if p.gap.abs() >= 1e-3 { format!("{:.3}", p.gap) } else { format!("{:.1e}", p.gap) }
    );
    text.push_str(&robust_note);
    if !p.reached && args.robust.is_none() {
        let _ = writeln!(text, "First place is out of reach within the limits: every indicator below is at its limit (best peer value or --cap).");
    }
    let _ = writeln!(
        text,
        "Effort: share of the peer range closed (1 = from the worst peer to the best); total {:.3}\n\n{:<22} {:>12} {:>12} {:>12} {:>7}  level",
        p.effort, "indicator", "current", "target", "change", "effort"
    );
    for s in &p.steps {
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            s.indicator,
            s.current,
            s.target,
            s.change,
            s.effort,
            s.limit,
            level(&s.indicator)
        )?;
        let _ = writeln!(
            text,
            "{:<22} {:>12.4} {:>12.4} {:>+12.4} {:>7.3}  {}",
            s.indicator,
            s.current,
            s.target,
            s.change,
            s.effort,
            level(&s.indicator)
        );
    }
    out.flush()?;
    drop(out);
    let labels: Vec<healthy_city_report::PathLabel> = p
        .steps
        .iter()
        .map(|s| {
            inputs.catalogue.get(&s.indicator).map_or_else(
                || healthy_city_report::PathLabel {
                    name: s.indicator.clone(),
                    unit: String::new(),
                    national: false,
                },
                |i| healthy_city_report::PathLabel {
                    name: i.name.clone(),
                    unit: i.unit.clone(),
                    national: i.level == Level::National,
                },
            )
        })
        .collect();
    let (svg, png) = staging.chart("path-to-first")?;
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
    print(&text)?;
    finish(staging)
}

pub fn weight_map(args: &WeightMapArgs) -> Result<()> {
    let common = &args.common;
    let inputs = Inputs::load(
        common.input.framework.as_deref(),
        common.input.data.as_deref(),
    )?;
    let framework = with_scenario(&inputs, args.scenario.as_deref())?;
    let engine = engine(&inputs, &framework, common.year, &[])?;
    let c = city(&engine, &args.city)?;
    if args.domains.len() != 3 {
        bail!("--domains: give exactly three node ids, e.g. outcomes,environment,services");
    }
    let mut nodes = [0; 3];
    for (k, id) in args.domains.iter().enumerate() {
        nodes[k] = engine
            .node_ids()
            .iter()
            .position(|n| n == id.trim())
            .filter(|&slot| slot != engine.root())
            .with_context(|| format!("--domains: `{id}` is not a group or indicator of `{}` (the index itself cannot vary)", framework.file()))?;
    }
    let parent = |slot: usize| engine.parent(slot);
    if nodes[0] == nodes[1] || nodes[1] == nodes[2] || nodes[0] == nodes[2] {
        bail!("--domains: give three different nodes");
    }
    if parent(nodes[0]) != parent(nodes[1]) || parent(nodes[1]) != parent(nodes[2]) {
        bail!("--domains: the three nodes must share a parent, so that their weights trade off");
    }
    let steps = (1.0 / args.step).round();
    if !(args.step > 0.0
        && steps >= 1.0
        && (steps * args.step - 1.0).abs() < 1e-9
        && steps <= 1000.0)
    {
        bail!(
            "--step {}: 1/step must be a whole number from 1 to 1000 (e.g. 0.02, 0.01)",
            args.step
        );
    }
    let steps = steps as usize;
    let analysis = Analysis::new(&engine, Vec::new())?;
    let started = Instant::now();
    let cells = analysis.weight_map(nodes, steps, c)?;
    let elapsed = started.elapsed().as_secs_f64();
    let first_share = cells.iter().filter(|x| x.city_rank == 1).count() as f64 / cells.len() as f64;
    let nominal_first = engine
        .nominal_ranks
        .iter()
        .position(|r| r.get() == 1)
        .unwrap_or(0);
    let mut staging = Staging::new(&common.out)?;
    let mut out = csv(&mut staging, "weight-map.csv")?;
    writeln!(out, "w_a,w_b,w_c,first_city,city_rank")?;
    let mut firsts: Vec<(usize, usize)> = Vec::new();
    for cell in &cells {
        writeln!(
            out,
            "{},{},{},{},{}",
            cell.shares[0],
            cell.shares[1],
            cell.shares[2],
            engine.cities[cell.first],
            cell.city_rank
        )?;
        match firsts.iter_mut().find(|f| f.0 == cell.first) {
            Some(f) => f.1 += 1,
            None => firsts.push((cell.first, 1)),
        }
    }
    out.flush()?;
    drop(out);
    firsts.sort_by_key(|f| (std::cmp::Reverse(f.1), f.0));
    let best_rank = cells
        .iter()
        .map(|x| x.city_rank)
        .filter(|&r| r > 0)
        .min()
        .unwrap_or(0);
    let mut text = format!(
        "Weight map of {} in {}: {} mixes of {} (step {}), other weights fixed\n\
         {} is first in {:.1}% of the simplex (best rank {best_rank}; nominal rank {}).\n\
         At the nominal weights {} is first.\n\nFirst place by share of the simplex:\n",
        args.domains.join(", "),
        engine.year,
        cells.len(),
        args.domains.join(" / "),
        args.step,
        engine.city_names[c],
        100.0 * first_share,
        engine.nominal_ranks[c],
        engine.city_names[nominal_first],
    );
    for (city, count) in firsts {
        let _ = writeln!(
            text,
            "  {:<24} {:>5.1}%",
            engine.city_names[city],
            100.0 * count as f64 / cells.len() as f64
        );
    }
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
    let (svg, png) = staging.chart("weight-map")?;
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
    print(&text)?;
    status(&format!("{} rebuilds in {elapsed:.2} s", cells.len()));
    finish(staging)
}
