//! Benchmarks of the default run: load and validate the embedded inputs, score every year.
//!
//! `cargo bench --bench run`. The whole command, charts included, is timed in BENCHMARKS.md
//! with `/usr/bin/time -v target/release/healthy-city run`.

use criterion::{criterion_group, criterion_main, Criterion};
use healthy_city_model::{Catalogue, Cities, Framework, Observations};

const FRAMEWORK: &str = include_str!("../indicators/frameworks/healthy-city.toml");
const CITIES: &str = include_str!("../indicators/cities.toml");
const CATALOGUE: &str = include_str!("../indicators/catalogue.toml");
const OBSERVATIONS: &str = include_str!("../indicators/snapshot/observations.csv");

fn inputs() -> (Framework, Cities, Catalogue, Observations) {
    let framework = Framework::parse(FRAMEWORK, "healthy-city.toml").unwrap();
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let observations = Observations::from_csv(OBSERVATIONS.as_bytes(), "observations.csv").unwrap();
    observations.validate(&cities, &catalogue).unwrap();
    (framework, cities, catalogue, observations)
}

fn bench(c: &mut Criterion) {
    c.bench_function("load and validate the embedded inputs", |b| b.iter(inputs));
    let (framework, cities, catalogue, observations) = inputs();
    c.bench_function("score every year of the default index", |b| {
        b.iter(|| {
            healthy_city_score::score(&framework, &catalogue, &cities, &observations).unwrap()
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
