//! Throughput of the replication engine on synthetic indices generated with a fixed seed.
//!
//! `cargo bench --bench analysis`. Each iteration runs a batch of Monte Carlo replications
//! (in parallel, all cores), every one of which winsorises (COINr's rule, winmax drawn in
//! 1..5), min-max normalises, aggregates the tree with noisy weights (±25% at every level)
//! and ranks. Criterion reports replications per second as elements per second.
//!
//! - 51 cities x 49 indicators, 4 levels (49 indicators, 14 sub-pillars, 4 pillars, index):
//!   the size of the COINr example index; target 50,000 replications per second on 2 cores.
//! - 1,000 cities x 50 indicators, 3 levels: target 1,000 per second.
//! - The 51 x 49 index under issue 16's four inputs, the uncertainty analysis of COINr's
//!   sensitivity vignette on its 51-unit, 49-indicator ASEM example: winmax 1..5, min-max
//!   on [1, 100] or z-score with mean 10 and sd 2, ±25% weights at the two middle levels
//!   (pillars and sub-pillars; COINr's levels 2 and 3), arithmetic or geometric mean. COINr's
//!   ASEM data is not in the reference folder, so the index is the synthetic one above;
//!   target 150,000 replications per second on 2 cores.

use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthy_city_model::{Aggregation, Catalogue, Cities, Framework, Normalisation, Observations};
use healthy_city_score::{Analysis, Engine, Factor, Rng};

/// A synthetic index: `n` cities, `k` indicators in `subs` sub-pillars, grouped into
/// `pillars` pillars (none: 3 levels). A third of the indicators are log-normal, so that
/// the skewness and kurtosis rule winsorises them; 2% of values are missing.
fn synthetic(n: usize, k: usize, subs: usize, pillars: usize, seed: u64) -> Engine {
    let mut rng = Rng::new(seed);
    let mut cities = String::new();
    for c in 0..n {
        let _ = write!(
            cities,
            "[[city]]\nid = \"c{c}\"\nname = \"City {c}\"\ncountry = \"AAA\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n"
        );
    }
    let mut catalogue = String::new();
    let mut framework = String::from(
        "[index]\nid = \"synthetic\"\nname = \"Synthetic\"\n[methods]\ntreatment = \"winsorise\"\n[[group]]\nid = \"index\"\n",
    );
    for p in 0..pillars {
        let _ = write!(framework, "[[group]]\nid = \"p{p}\"\nparent = \"index\"\n");
    }
    for s in 0..subs {
        let parent = if pillars == 0 {
            String::from("index")
        } else {
            format!("p{}", s % pillars)
        };
        let _ = write!(
            framework,
            "[[group]]\nid = \"s{s}\"\nparent = \"{parent}\"\n"
        );
    }
    let mut data = String::from("city,indicator,year,value,source,flag\n");
    for i in 0..k {
        let direction = if i % 4 == 0 { "lower" } else { "higher" };
        let _ = write!(
            catalogue,
            "[[indicator]]\nid = \"i{i}\"\nname = \"I{i}\"\nunit = \"u\"\ndirection = \"{direction}\"\nlevel = \"city\"\nsource = {{ adapter = \"x\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n"
        );
        let _ = write!(
            framework,
            "[[indicator]]\nid = \"i{i}\"\nparent = \"s{}\"\nweight = {}\n",
            i % subs,
            1 + i % 3
        );
        for c in 0..n {
            let z = rng.normal();
            if rng.uniform() < 0.02 {
                continue;
            }
            let v = if i % 3 == 0 {
                (1.5 * z).exp()
            } else {
                50.0 + 10.0 * z
            };
            let _ = writeln!(data, "c{c},i{i},2020,{v},s,");
        }
    }
    Engine::build(
        &Framework::parse(&framework, "synthetic.toml").unwrap(),
        &Catalogue::parse(&catalogue, "catalogue.toml").unwrap(),
        &Cities::parse(&cities, "cities.toml").unwrap(),
        &Observations::from_csv(data.as_bytes(), "synthetic.csv").unwrap(),
        None,
        &[],
    )
    .unwrap()
}

#[allow(clippy::result_large_err)] // the engine's errors name node, city, year, child and value
fn replications(
    c: &mut Criterion,
    name: &str,
    engine: &Engine,
    factors: Vec<Factor>,
    batch: usize,
) {
    let analysis = Analysis::new(engine, factors).unwrap();
    let cancel = AtomicBool::new(false);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(batch as u64));
    group.sample_size(10);
    group.bench_function("monte carlo replications", |b| {
        b.iter(|| {
            analysis
                .monte_carlo(batch, 7, &mut |_, _, _, _| Ok(()), &|_| {}, &cancel)
                .unwrap()
        });
    });
    group.finish();
}

/// The first two cases' inputs: ±25% weights at every level and winmax 1..5.
fn weights_and_winmax() -> Vec<Factor> {
    vec![Factor::WeightNoise(vec![(0, 0.25)]), Factor::Winmax(1, 5)]
}

/// Issue 16's four inputs (COINr's sensitivity vignette): winmax 1..5, two normalisations,
/// ±25% weights at levels 1 and 2 (pillars, sub-pillars), arithmetic or geometric mean.
fn four_inputs() -> Vec<Factor> {
    vec![
        Factor::Winmax(1, 5),
        Factor::Normalisation(vec![
            healthy_city_score::NormalisationChoice {
                method: Normalisation::Minmax,
                scale: Some([1.0, 100.0]),
            },
            Normalisation::Zscore {
                mean: 10.0,
                sd: 2.0,
            }
            .into(),
        ]),
        Factor::WeightNoise(vec![(1, 0.25), (2, 0.25)]),
        Factor::Aggregation(vec![Aggregation::Arithmetic, Aggregation::Geometric]),
    ]
}

fn bench(c: &mut Criterion) {
    let small = synthetic(51, 49, 14, 4, 20_251_124);
    assert_eq!((small.n_cities(), small.n_indicators()), (51, 49));
    replications(
        c,
        "51 cities x 49 indicators, 4 levels",
        &small,
        weights_and_winmax(),
        20_000,
    );
    replications(
        c,
        "51 x 49, four inputs (winmax, normalisation, weights, mean)",
        &small,
        four_inputs(),
        50_000,
    );
    let large = synthetic(1000, 50, 10, 0, 20_251_124);
    assert_eq!(large.n_cities(), 1000);
    replications(
        c,
        "1000 cities x 50 indicators, 3 levels",
        &large,
        weights_and_winmax(),
        2_000,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
