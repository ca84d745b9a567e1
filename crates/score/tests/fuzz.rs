//! Fuzzing `score` itself (proptest): random small frameworks and panels built in memory, with
//! extreme values (1e15, -1e15, 1e-300, 0, +-1e308, the smallest subnormal, equal values,
//! +-inf and NaN), extreme weights (0, 1e12, 1e-300, 1e308, and unusable ones: inf, NaN, -1),
//! extreme scales, every aggregation (the generalised mean with p in [-1000, 1000]), every
//! normalisation, treatment, transform and imputation. Each case must
//! give a result or an error, within a watchdog of 60 s, and every score of a result must be a
//! finite number or missing (every ranked score finite); the replication engine's nominal
//! run likewise, and equal to `score` bit for bit. A second property runs every analysis
//! (Monte Carlo, Sobol, weight map, path to first) on the fuzzed engines with settings that
//! are sometimes unusable on purpose.
//!
//! The number of cases is `HEALTHY_CITY_FUZZ_CASES` (default 64); for a long run:
//! `HEALTHY_CITY_FUZZ_CASES=100000 cargo test -p healthy-city-score --release --test fuzz`.

// The observer closures return the score crate's `Result`, as the CLI's do.
#![allow(clippy::result_large_err)]

use std::fmt::Write as _;

use healthy_city_fuzzkit::{cases, watchdog};
use healthy_city_model::{
    Aggregation, Bounds, Catalogue, Cities, Flag, Framework, Impute, Missing, Normalisation,
    Observation, Observations, Treatment, Weighting, WINSORISE_DEFAULT,
};
use healthy_city_score::{
    path_to_first, robust_path_to_first, score, sensitivity, Analysis, Engine, Factor, Objective,
    Sampler, SobolDesign,
};
use proptest::prelude::*;
use std::sync::atomic::AtomicBool;

/// A value of the panel: mostly ordinary, often extreme, sometimes missing.
fn value() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        6 => (0u32..200).prop_map(|v| Some(f64::from(v) * 0.5)),
        1 => Just(None),
        1 => prop::sample::select(vec![
            1e15, -1e15, 1e-300, -1e-300, 0.0, -0.0, 1e308, -1e308, 5e-324, 1.0, 1e12, -7.5,
            f64::INFINITY, f64::NEG_INFINITY, f64::NAN
        ])
        .prop_map(Some),
        1 => (0.0f64..1e6).prop_map(Some),
    ]
}

fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (1u32..5).prop_map(f64::from),
        1 => prop::sample::select(vec![0.0, 1e12, 1e-300, 1e308, 5e-324, 0.5, 1e-12, f64::INFINITY, f64::NAN, -1.0]),
    ]
}

fn power() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(vec![
            -1000.0, -400.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0, 100.0, 400.0, 1000.0
        ]),
        (-1000.0f64..1000.0).prop_filter("p = 0 is the geometric mean", |p| *p != 0.0),
    ]
}

fn aggregation() -> impl Strategy<Value = Aggregation> {
    prop_oneof![
        Just(Aggregation::Arithmetic),
        Just(Aggregation::Geometric),
        Just(Aggregation::Harmonic),
        Just(Aggregation::Mpi),
        Just(Aggregation::Ampi),
        Just(Aggregation::Copeland),
        power().prop_map(|p| Aggregation::Generalised { p }),
    ]
}

fn normalisation() -> impl Strategy<Value = Normalisation> {
    prop_oneof![
        Just(Normalisation::Minmax),
        (
            -10.0f64..10.0,
            prop::sample::select(vec![1.0, 0.1, 1e12, 1e-300])
        )
            .prop_map(|(mean, sd)| Normalisation::Zscore { mean, sd }),
        Just(Normalisation::Goalposts),
        Just(Normalisation::Scaled),
        Just(Normalisation::Dist2max),
        any::<bool>().prop_map(|cap_max| Normalisation::Dist2ref {
            city: String::from("c0"),
            cap_max
        }),
        any::<bool>().prop_map(|cap_max| Normalisation::Dist2targ { cap_max }),
        Just(Normalisation::Fracmax),
        Just(Normalisation::Rank),
        Just(Normalisation::Prank),
        Just(Normalisation::Borda),
    ]
}

fn treatment() -> impl Strategy<Value = Treatment> {
    prop_oneof![
        Just(Treatment::None),
        Just(WINSORISE_DEFAULT),
        Just(Treatment::Log),
        prop::sample::select(vec![-3.0, 0.0, 0.5, 2.0, 50.0])
            .prop_map(|lambda| Treatment::Boxcox { lambda }),
    ]
}

fn impute() -> impl Strategy<Value = Impute> {
    prop::sample::select(vec![
        Impute::None,
        Impute::Mean,
        Impute::Median,
        Impute::Latest { max_age: None },
        Impute::Constant,
    ])
}

fn weighting() -> impl Strategy<Value = Weighting> {
    prop_oneof![
        6 => Just(Weighting::Explicit),
        1 => Just(Weighting::Equal),
        1 => Just(Weighting::Pca),
        1 => any::<bool>().prop_map(|to_weights| Weighting::Optimised { to_weights }),
        1 => Just(Weighting::Bod { min_share: 0.0, max_share: 1.0 }),
    ]
}

/// One random case: the framework's methods and tree, its weights, and the panel.
#[derive(Debug, Clone)]
struct Case {
    /// Indicators per group (1 or 2 groups under the index, or the index alone if 0 groups).
    groups: usize,
    aggregations: Vec<Aggregation>,
    weightings: Vec<Weighting>,
    default_aggregation: Aggregation,
    normalisation: Normalisation,
    treatment: Treatment,
    impute: Impute,
    missing: Missing,
    bounds: Bounds,
    scale: [f64; 2],
    min_share: f64,
    /// Per indicator: transform (0 none, 1 ln, 2 log10, 3 sqrt), goalposts, target.
    indicators: Vec<(u8, [f64; 2], f64, bool)>,
    /// Per node after the index (groups, then indicators): weight.
    weights: Vec<f64>,
    /// `[year][city][indicator]`.
    values: Vec<Vec<Vec<Option<f64>>>>,
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..7, 1usize..5, 1usize..3, 0usize..3).prop_flat_map(|(n, k, years, groups)| {
        // Every group has an indicator.
        let groups = groups.min(k);
        let settings = (
            prop::collection::vec(aggregation(), 3),
            prop::collection::vec(weighting(), 3),
            aggregation(),
            normalisation(),
            treatment(),
            impute(),
            prop::sample::select(vec![Missing::Skip, Missing::Propagate]),
            prop::sample::select(vec![Bounds::Panel, Bounds::Year]),
            prop::sample::select(vec![
                [0.0, 100.0],
                [1.0, 100.0],
                [-1e15, 1e15],
                [0.0, 1e-300],
                [-1e308, 1e308],
                [100.0, 0.0],
            ]),
            prop::sample::select(vec![0.0, 0.5, 1.0]),
        );
        let indicators = prop::collection::vec(
            (
                prop_oneof![8 => Just(0u8), 1 => 1u8..4],
                prop::sample::select(vec![
                    [0.0, 100.0],
                    [1.0, 50.0],
                    [-1e15, 1e15],
                    [1e-300, 2e-300],
                ]),
                prop::sample::select(vec![100.0, 1.0, 1e15, 0.0]),
                any::<bool>(),
            ),
            k,
        );
        (
            settings,
            indicators,
            prop::collection::vec(weight(), groups + k),
            prop::collection::vec(
                prop::collection::vec(prop::collection::vec(value(), k), n),
                years,
            ),
        )
            .prop_map(
                move |(
                    (
                        aggregations,
                        weightings,
                        default_aggregation,
                        normalisation,
                        treatment,
                        impute,
                        missing,
                        bounds,
                        scale,
                        min_share,
                    ),
                    indicators,
                    weights,
                    values,
                )| Case {
                    groups,
                    aggregations,
                    weightings,
                    default_aggregation,
                    normalisation,
                    treatment,
                    impute,
                    missing,
                    bounds,
                    scale,
                    min_share,
                    indicators,
                    weights,
                    values,
                },
            )
    })
}

fn aggregation_text(a: Aggregation) -> String {
    match a {
        Aggregation::Generalised { p } => format!("{{ method = \"generalised\", p = {p:?} }}"),
        other => format!("\"{other}\""),
    }
}

/// The case's inputs: a framework parsed from text (tree, group aggregations, transforms,
/// goalposts, targets) and then set in memory (methods, weights, weightings), and observations
/// built in memory (values the readers would reject).
fn inputs(case: &Case) -> (Framework, Catalogue, Cities, Observations) {
    let n = case.values[0].len();
    let k = case.indicators.len();
    let mut f = String::from("[index]\nid = \"f\"\nname = \"F\"\n[[group]]\nid = \"index\"\n");
    for g in 0..case.groups {
        write!(
            f,
            "[[group]]\nid = \"g{g}\"\nparent = \"index\"\naggregation = {}\n",
            aggregation_text(case.aggregations[g])
        )
        .unwrap();
    }
    let mut catalogue = String::new();
    for (i, &(transform, [lo, hi], target, higher)) in case.indicators.iter().enumerate() {
        let parent = if case.groups == 0 {
            String::from("index")
        } else {
            format!("g{}", i % case.groups)
        };
        let transform = match transform {
            1 => "transform = \"ln\"\n",
            2 => "transform = \"log10\"\n",
            3 => "transform = \"sqrt\"\n",
            _ => "",
        };
        write!(
            f,
            "[[indicator]]\nid = \"x{i}\"\nparent = \"{parent}\"\n{transform}goalposts = [{lo:?}, {hi:?}]\ntarget = {target:?}\n"
        )
        .unwrap();
        let direction = if higher { "higher" } else { "lower" };
        write!(catalogue, "[[indicator]]\nid = \"x{i}\"\nname = \"X\"\nunit = \"u\"\ndirection = \"{direction}\"\nlevel = \"city\"\nsource = {{ adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n").unwrap();
    }
    // A framework the reader refuses (e.g. a power it bounds) is the reader's business.
    // The reader may bound the power more tightly than the fuzz: then the groups take the
    // default aggregation, which is set in memory below.
    let mut framework = Framework::parse(&f, "f.toml").unwrap_or_else(|_| {
        let without = f
            .lines()
            .filter(|l| !l.starts_with("aggregation = "))
            .collect::<Vec<_>>()
            .join("\n");
        Framework::parse(&without, "f.toml").expect("generated framework")
    });
    let catalogue = Catalogue::parse(&catalogue, "c.toml").expect("generated catalogue");
    let methods = &mut framework.methods;
    methods.aggregation = case.default_aggregation;
    methods.normalisation = case.normalisation.clone();
    methods.treatment = case.treatment;
    methods.impute = case.impute;
    methods.missing = case.missing;
    methods.bounds = case.bounds;
    methods.scale = case.scale;
    methods.min_share = case.min_share;
    for g in 0..case.groups {
        let slot = framework
            .index_of(&format!("g{g}"))
            .expect("generated group");
        framework.set_weighting(slot, case.weightings[g]);
        framework.set_weight(slot, case.weights[g]);
    }
    let root = framework.root_index();
    framework.set_weighting(root, case.weightings[2]);
    for i in 0..k {
        let slot = framework
            .index_of(&format!("x{i}"))
            .expect("generated indicator");
        framework.set_weight(slot, case.weights[case.groups + i]);
    }
    let mut cities = String::new();
    for c in 0..n {
        write!(cities, "[[city]]\nid = \"c{c}\"\nname = \"C{c}\"\ncountry = \"{}\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n", ["AAA", "BBB"][c % 2]).unwrap();
    }
    let cities = Cities::parse(&cities, "cities.toml").expect("generated cities");
    let mut rows = Vec::new();
    for (y, year) in case.values.iter().enumerate() {
        for (c, city) in year.iter().enumerate() {
            for (i, v) in city.iter().enumerate() {
                if let Some(v) = *v {
                    rows.push(Observation {
                        city: format!("c{c}").into(),
                        indicator: format!("x{i}").into(),
                        year: 2019 + i32::try_from(y).unwrap(),
                        value: v,
                        source: "s".into(),
                        flag: Flag::None,
                        low: None,
                        high: None,
                        level: None,
                    });
                }
            }
        }
    }
    (
        framework,
        catalogue,
        cities,
        Observations::from_rows(rows, "obs.csv"),
    )
}

/// Scores the case: a result (every score finite or missing, every ranked score finite, and
/// the engine's nominal replication finite) or an error with a message. Returns what failed.
fn check(case: &Case) -> Result<(), String> {
    let (framework, catalogue, cities, observations) = inputs(case);
    let results = match score(&framework, &catalogue, &cities, &observations) {
        Ok(r) => r,
        Err(e) => {
            let message = e.to_string();
            return if message.is_empty() {
                Err(String::from("an error without a message"))
            } else {
                Ok(())
            };
        }
    };
    for y in 0..results.years.len() {
        for c in 0..results.cities.len() {
            for node in 0..results.nodes.len() {
                let s = results.score(y, c, node);
                if s.is_infinite() {
                    return Err(format!("score {s} of node {node}, city {c}, year {y}"));
                }
                if results.rank(y, c, node).is_some() && !s.is_finite() {
                    return Err(format!(
                        "ranked score {s} of node {node}, city {c}, year {y}"
                    ));
                }
            }
        }
    }
    if results.latest_ranked_year().is_some() {
        match Engine::build(&framework, &catalogue, &cities, &observations, None, &[]) {
            Ok(engine) => {
                let mut s = engine.scratch();
                engine.evaluate(&engine.nominal(), &mut s).map_err(|e| {
                    format!("the nominal replication failed where score did not: {e}")
                })?;
                if let Some(v) = s.root_scores().iter().find(|v| !v.is_finite()) {
                    return Err(format!("nominal replication score {v}"));
                }
                // The nominal replication is `score`, bit for bit.
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                if bits(s.root_scores()) != bits(&engine.nominal_scores) {
                    return Err(format!(
                        "nominal replication {:?} != score {:?}",
                        s.root_scores(),
                        engine.nominal_scores
                    ));
                }
            }
            Err(e) => return Err(format!("the engine failed where score did not: {e}")),
        }
    }
    Ok(())
}

/// The uncertain inputs and settings of one analysis case, some of them unusable on purpose
/// (a noise share of 1 or NaN, a level the tree lacks, 0 runs or resamples, caps of inf).
#[derive(Debug, Clone)]
struct Settings {
    factors: Vec<Factor>,
    runs: usize,
    bootstrap: usize,
    steps: usize,
    city: usize,
    caps: Vec<(usize, f64)>,
    robust: f64,
}

fn factor() -> impl Strategy<Value = Factor> {
    prop_oneof![
        prop::collection::vec(
            (
                0usize..5,
                prop::sample::select(vec![0.0, 0.25, 0.99, 1.0, -0.1, f64::NAN])
            ),
            0..3
        )
        .prop_map(Factor::WeightNoise),
        prop::sample::select(vec![50.0, 1e-300, 1e300, 0.0, f64::INFINITY])
            .prop_map(Factor::Dirichlet),
        prop::collection::vec(normalisation(), 0..3)
            .prop_map(|list| Factor::Normalisation(list.into_iter().map(Into::into).collect())),
        prop::collection::vec(aggregation(), 0..3).prop_map(Factor::Aggregation),
        Just(Factor::Imputation),
        (0usize..6, 0usize..6).prop_map(|(a, b)| Factor::Winmax(a, b)),
        Just(Factor::LeaveOneOut),
    ]
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        prop::collection::vec(factor(), 0..4),
        0usize..12,
        0usize..4,
        0usize..4,
        0usize..8,
        prop::collection::vec(
            (
                0usize..5,
                prop::sample::select(vec![
                    0.0,
                    50.0,
                    1e15,
                    -1e15,
                    f64::INFINITY,
                    f64::NAN,
                    1e-300,
                ]),
            ),
            0..3,
        ),
        prop::sample::select(vec![0.5, 1.0, 0.0, 1.5, f64::NAN]),
    )
        .prop_map(
            |(factors, runs, bootstrap, steps, city, caps, robust)| Settings {
                factors,
                runs,
                bootstrap,
                steps,
                city,
                caps,
                robust,
            },
        )
}

fn finite(values: &[f64], what: &str) -> Result<(), String> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(v) => Err(format!("{what}: {v}")),
        None => Ok(()),
    }
}

/// Runs every analysis on the case's engine: Monte Carlo, Sobol sensitivity, the weight map,
/// the path to first and its robust variant. Each gives a result with finite numbers or an
/// error with a message.
fn check_analyses(case: &Case, settings: &Settings) -> Result<(), String> {
    let (framework, catalogue, cities, observations) = inputs(case);
    let Ok(engine) = Engine::build(
        &framework,
        &catalogue,
        &cities,
        &observations,
        None,
        &[Impute::Mean],
    ) else {
        return Ok(());
    };
    let Ok(analysis) = Analysis::new(&engine, settings.factors.clone()) else {
        return Ok(());
    };
    let cancel = AtomicBool::new(false);
    if let Ok(stats) =
        analysis.monte_carlo(settings.runs, 7, &mut |_, _, _, _| Ok(()), &|_| {}, &cancel)
    {
        for s in &stats {
            finite(
                &[
                    s.mean_rank,
                    s.median_rank,
                    s.q05_rank,
                    s.q95_rank,
                    s.p_first,
                    s.p_top3,
                ],
                "rank statistics",
            )?;
        }
    }
    let design = SobolDesign {
        runs: settings.runs,
        sampler: Sampler::Sobol,
        seed: 3,
        bootstrap: settings.bootstrap,
    };
    for objective in [Objective::MeanRankShift, Objective::CityRank(settings.city)] {
        if let Ok(indices) = sensitivity(&analysis, objective, design, &|_| {}, &cancel) {
            for i in &indices {
                finite(&[i.first_order, i.total_effect], "Sobol index")?;
                finite(&i.first_order_ci, "Sobol interval")?;
                finite(&i.total_effect_ci, "Sobol interval")?;
            }
        }
    }
    let siblings: Vec<usize> = (0..engine.node_ids().len())
        .filter(|&k| k != engine.root() && engine.parent(k) == Some(engine.root()))
        .take(3)
        .collect();
    if let Ok(nodes) = <[usize; 3]>::try_from(siblings) {
        if let Ok(cells) = analysis.weight_map(nodes, settings.steps, settings.city) {
            for cell in &cells {
                finite(&cell.shares, "weight map shares")?;
            }
        }
    }
    let paths = [
        path_to_first(&engine, &engine.nominal(), settings.city, &settings.caps).map(|p| (p, 0.0)),
        robust_path_to_first(
            &analysis,
            settings.city,
            &settings.caps,
            settings.robust,
            settings.runs,
            5,
        )
        .map(|(p, won, _)| (p, won)),
    ];
    for (path, won) in paths.into_iter().flatten() {
        finite(
            &[
                path.score[0],
                path.score[1],
                path.gap,
                path.effort,
                path.runner_up.1,
                won,
            ],
            "path to first",
        )?;
        for step in &path.steps {
            finite(
                &[
                    step.current,
                    step.target,
                    step.change,
                    step.effort,
                    step.limit,
                ],
                "path step",
            )?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn score_gives_a_finite_result_or_an_error(case in case()) {
        let outcome = watchdog("score", move || check(&case).map_err(|e| format!("{e}\n{case:?}")));
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }

    #[test]
    fn analyses_give_finite_results_or_errors(case in case(), settings in settings()) {
        let outcome = watchdog("analyses", move || {
            check_analyses(&case, &settings).map_err(|e| format!("{e}\n{case:?}\n{settings:?}"))
        });
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}
