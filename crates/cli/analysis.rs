//! What the analysis commands (compare, uncertainty, sensitivity, path-to-first, weight-map)
//! share: the shipped scenarios, the engine built from the inputs, the uncertain inputs from
//! the options and progress bars (signals: `signals.rs`).

use std::path::Path;

use anyhow::{bail, Context, Result};
use healthy_city_model::{Framework, Impute, MethodOverrides, Normalisation, Scenario};
use healthy_city_score::{Analysis, Engine, Factor, WeightSet};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{AnalysisInput, Uncertain};
use crate::inputs::Inputs;
use crate::publish::status;

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

/// The uncertain inputs' names as charts show them ("leave one out").
pub fn factor_labels(analysis: &Analysis) -> Vec<String> {
    analysis
        .factors
        .iter()
        .map(|f| f.name().replace('_', " "))
        .collect()
}

/// A scenario by shipped name or file path.
pub fn load_scenario(name: &str) -> Result<Scenario> {
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
pub fn with_scenario(inputs: &Inputs, scenario: Option<&str>) -> Result<Framework> {
    let Some(name) = scenario else {
        return Ok(inputs.framework.clone());
    };
    let scenario = load_scenario(name)?;
    healthy_city_score::apply_scenario(&scenario, &inputs.framework, &inputs.cities)
        .with_context(|| format!("cannot apply the scenario `{}`", scenario.file()))
}

/// The engine of `framework` on the inputs, for `year` (default: the latest ranked one).
pub fn engine(
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
    .map_err(flag)
    .with_context(|| format!("cannot score `{}`", framework.file()))
}

/// The city an analysis is about: `--city`, else the framework's `[data] focus`, else none.
pub fn focus_name<'a>(city: Option<&'a str>, framework: &'a Framework) -> Option<&'a str> {
    city.or(framework.data.focus.as_deref())
}

/// The city an analysis cannot do without (`what`: the command): as [`focus_name`], else an
/// error saying how to name one.
pub fn required_city<'a>(
    city: Option<&'a str>,
    framework: &'a Framework,
    what: &str,
) -> Result<&'a str> {
    focus_name(city, framework).with_context(|| {
        format!(
            "{what} needs a city: give --city NAME, or name one with `[data] focus = \"...\"` in `{}`",
            framework.file()
        )
    })
}

/// The slot of a ranked city, by id or name.
pub fn city(engine: &Engine, name: &str) -> Result<usize> {
    engine.city(name).with_context(|| {
        format!(
            "city `{name}` is not ranked in {}: give a ranked city's id or name (e.g. `{}`)",
            engine.year,
            engine.city_names.first().map_or("London", String::as_str)
        )
    })
}

/// A progress bar on standard error (hidden when it is not a terminal).
pub fn progress(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    bar
}

/// The uncertain inputs the options ask for (the defaults when none is given); `weight_sets`
/// are those of `--weight-sets` ([`weight_sets`]).
pub fn factors(args: &Uncertain, engine: &Engine, weight_sets: Vec<WeightSet>) -> Vec<Factor> {
    let mut factors = Vec::new();
    if !weight_sets.is_empty() {
        factors.push(Factor::WeightSets(weight_sets));
    } else if let Some(c) = args.dirichlet {
        factors.push(Factor::Dirichlet(c));
    } else if !args.weight_noise.is_empty() {
        factors.push(Factor::WeightNoise(args.weight_noise.clone()));
    }
    if !args.normalisations.is_empty() {
        factors.push(Factor::Normalisation(
            args.normalisations
                .iter()
                .flat_map(|list| list.0.iter().cloned())
                .collect(),
        ));
    }
    if !args.aggregations.is_empty() {
        factors.push(Factor::Aggregation(args.aggregations.clone()));
    }
    if engine.imputations.len() > 1 {
        factors.push(Factor::Imputation);
    }
    if let Some((lo, hi)) = args.winmax {
        factors.push(Factor::Winmax(lo, hi));
    }
    if args.leave_one_out {
        factors.push(Factor::LeaveOneOut);
    }
    if factors.is_empty() {
        factors = vec![
            Factor::WeightNoise(vec![(0, 0.25)]),
            Factor::Normalisation(vec![
                Normalisation::Minmax.into(),
                Normalisation::Zscore { mean: 0.0, sd: 1.0 }.into(),
                Normalisation::Rank.into(),
            ]),
            Factor::LeaveOneOut,
        ];
        status("uncertain inputs (defaults): weights ±25% at every level; normalisation minmax, zscore or rank; one indicator left out or none");
    }
    factors
}

/// The analysis of the options' uncertain inputs on `engine`, checked.
// The engine's errors are large (they name node, city, year, child and value).
#[allow(clippy::result_large_err)]
pub fn analysis<'e>(args: &Uncertain, engine: &'e Engine, inputs: &Inputs) -> Result<Analysis<'e>> {
    check_levels(&args.weight_noise, engine)?;
    let sets = weight_sets(inputs, args, engine)?;
    Analysis::new(engine, factors(args, engine, sets)).map_err(flag)
}

/// The weight sets of `--weight-sets`: each scenario (a shipped name or a file) applied to the
/// framework the engine was built on, and the weights `score` gives it in the engine's year
/// (explicit, equal or PCA-derived). A scenario that changes anything but weights is refused:
/// its ranking would not be a weighting's.
pub fn weight_sets(inputs: &Inputs, args: &Uncertain, engine: &Engine) -> Result<Vec<WeightSet>> {
    if args.weight_sets.is_empty() {
        return Ok(Vec::new());
    }
    let base = base_framework(inputs, args)?;
    let mut sets: Vec<WeightSet> = Vec::new();
    for name in &args.weight_sets {
        let scenario = load_scenario(name.trim()).context("--weight-sets")?;
        if scenario.methods != MethodOverrides::default() || scenario.peers.is_some() {
            bail!(
                "--weight-sets: the scenario `{}` ({}) also changes methods or the peer group; a weight set takes only weights: give a scenario with [weights] (or weights = \"equal\" or \"pca\") and nothing in [methods] or [data]",
                scenario.id,
                scenario.file()
            );
        }
        if sets.iter().any(|s| s.name == scenario.id) {
            bail!(
                "--weight-sets: the scenario `{}` is given twice; give each weight set once",
                scenario.id
            );
        }
        let framework = healthy_city_score::apply_scenario(&scenario, &base, &inputs.cities)
            .with_context(|| {
                format!(
                    "--weight-sets: cannot apply the scenario `{}`",
                    scenario.file()
                )
            })?;
        let weighted = self::engine(inputs, &framework, Some(engine.year), &[])
            .with_context(|| format!("--weight-sets: the scenario `{}`", scenario.id))?;
        sets.push(WeightSet::of(&scenario.id, &weighted));
    }
    Ok(sets)
}

/// The deepest level of the index's tree: 1 for the index's children, the indicators' level
/// at the bottom.
fn depth(engine: &Engine) -> usize {
    let nodes = engine.node_ids().len();
    (0..nodes)
        .map(|node| {
            let (mut level, mut k) = (0, node);
            while let Some(parent) = engine.parent(k) {
                level += 1;
                k = parent;
                if level > nodes {
                    break; // not a tree: the engine's own checks say so
                }
            }
            level
        })
        .max()
        .unwrap_or(0)
}

/// Every `--weight-noise LEVEL=X` names a level of the index's tree (a level it lacks would
/// vary nothing).
fn check_levels(noise: &[(usize, f64)], engine: &Engine) -> Result<()> {
    let depth = depth(engine);
    if let Some(&(level, _)) = noise.iter().find(|(level, _)| *level > depth) {
        bail!(
            "--weight-noise: the index has no level {level}: its tree has levels 1 (the index's children) to {depth} (its indicators); give LEVEL from 1 to {depth}, or X alone for every level"
        );
    }
    Ok(())
}

/// Loads the inputs, applies the scenario and the scale, and builds the engine with the
/// imputation alternatives.
pub fn setup(common: &AnalysisInput, args: &Uncertain) -> Result<(Inputs, Engine)> {
    let inputs = Inputs::load(
        common.input.framework.as_deref(),
        common.input.data.as_deref(),
    )?;
    let framework = base_framework(&inputs, args)?;
    let engine = engine(&inputs, &framework, common.year, &args.imputations)?;
    Ok((inputs, engine))
}

/// The framework the analyses run on: the inputs' with `--scenario` and `--scale` applied.
pub fn base_framework(inputs: &Inputs, args: &Uncertain) -> Result<Framework> {
    let mut framework = with_scenario(inputs, args.scenario.as_deref())?;
    if let Some(scale) = args.scale {
        framework.methods.scale = scale;
    }
    Ok(framework)
}

/// The command-line flag of each analysis setting the score crate names, and what to add
/// when its message mentions a setting that has a flag of its own.
const FLAGS: [(&str, &str); 18] = [
    ("weight noise", "--weight-noise"),
    ("target", "--target"),
    ("leave one out", "--leave-one-out"),
    ("dirichlet", "--dirichlet"),
    ("normalisations", "--normalisations"),
    ("aggregations", "--aggregations"),
    ("winmax", "--winmax"),
    ("imputations", "--imputations"),
    ("rows", "--runs"),
    ("city", "--city"),
    ("scenarios", "--scenario"),
    ("cap", "--cap"),
    ("domains", "--domains"),
    ("runs", "--runs"),
    ("bootstrap", "--bootstrap"),
    ("robust", "--robust"),
    ("steps", "--step"),
    (
        "factors",
        "--weight-noise, --normalisations, --aggregations, --imputations, --winmax or --leave-one-out",
    ),
];

/// Flags named by the score crate's messages in its own terms: (phrase, the flag's hint).
const HINTS: [(&str, &str); 2] = [
    (
        "the scale [1, 100]",
        "the scale is set with `--scale 1,100`",
    ),
    ("pseudo-random sampler", "`--sampler random`"),
];

/// A score-crate error with the setting it names given as the command-line flag that sets it
/// (and the flags its message refers to); other errors pass unchanged.
pub fn flag(err: healthy_city_score::Error) -> anyhow::Error {
    match err {
        healthy_city_score::Error::Setting { key, message } => {
            let flag = FLAGS
                .iter()
                .find(|(setting, _)| *setting == key)
                .map_or(key.clone(), |(_, flag)| (*flag).to_string());
            let hints = crate::hints::hints(&message, &HINTS);
            let message = if hints.is_empty() {
                message
            } else {
                format!("{message} ({})", hints.join("; "))
            };
            anyhow::Error::new(healthy_city_score::Error::Setting { key: flag, message })
        }
        err @ healthy_city_score::Error::YearNotRanked { .. } => {
            anyhow::Error::new(err).context("--year")
        }
        other => anyhow::Error::new(other),
    }
}
