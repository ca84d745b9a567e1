//! The whole pipeline of `run` at three sizes (issue 16): read the observations from Parquet,
//! validate them against the registry and catalogue, score every year (impute, winsorise,
//! normalise with panel bounds, aggregate a 4-level tree, rank), and write scores.csv (to a
//! sink: the CSV is formatted, not stored).
//!
//! `cargo bench --bench pipeline`. The panels: 100, 200 and 400 cities x 100 indicators x 20
//! years (about 180,000, 360,000 and 720,000 observations), generated with a fixed seed, a third
//! of the indicators log-normal (so the outlier rule winsorises them), 10% of values missing.
//! Criterion reports observations per second as elements per second; the scaling from one size
//! to the next is the linearity issue 16 asks for. The 1,250- to 10,000-city runs of the
//! command itself are in BENCHMARKS.md, with `/usr/bin/time -v`.

use std::fmt::Write as _;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use healthy_city_model::{Catalogue, Cities, Framework, Observations};
use healthy_city_score::Rng;

const INDICATORS: usize = 100;
const YEARS: i32 = 20;

/// A panel of `n` cities: framework, registry and catalogue, and the observations written to
/// a Parquet file (removed on drop), with their number.
struct Panel {
    framework: Framework,
    cities: Cities,
    catalogue: Catalogue,
    file: PathBuf,
    observations: usize,
}

impl Drop for Panel {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

fn panel(n: usize, seed: u64) -> Panel {
    let mut rng = Rng::new(seed);
    let mut cities = String::new();
    for c in 0..n {
        let _ = write!(
            cities,
            "[[city]]\nid = \"c{c}\"\nname = \"City {c}\"\ncountry = \"AA{}\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n",
            char::from(b'A' + (c % 20) as u8)
        );
    }
    let mut framework = String::from(
        "[index]\nid = \"pipeline\"\nname = \"Pipeline\"\n[methods]\ntreatment = \"winsorise\"\nbounds = \"panel\"\nimpute = \"latest\"\n[[group]]\nid = \"index\"\n",
    );
    for d in 0..4 {
        let _ = write!(framework, "[[group]]\nid = \"d{d}\"\nparent = \"index\"\n");
    }
    for s in 0..20 {
        let _ = write!(
            framework,
            "[[group]]\nid = \"s{s}\"\nparent = \"d{}\"\n",
            s % 4
        );
    }
    let mut catalogue = String::new();
    let mut data = String::from("city,indicator,year,value\n");
    let mut observations = 0;
    for i in 0..INDICATORS {
        let direction = if i % 4 == 0 { "lower" } else { "higher" };
        let _ = write!(
            catalogue,
            "[[indicator]]\nid = \"i{i}\"\ndirection = \"{direction}\"\nlevel = \"city\"\n"
        );
        let _ = write!(
            framework,
            "[[indicator]]\nid = \"i{i}\"\nparent = \"s{}\"\nweight = {}\n",
            i % 20,
            1 + i % 3
        );
        for c in 0..n {
            let base = rng.normal();
            for y in 0..YEARS {
                if rng.uniform() < 0.1 {
                    continue;
                }
                let z = base + 0.05 * f64::from(y) + 0.3 * rng.normal();
                let v = if i % 3 == 0 {
                    (1.2 * z).exp()
                } else {
                    50.0 + 10.0 * z
                };
                let _ = writeln!(data, "c{c},i{i},{},{v}", 2000 + y);
                observations += 1;
            }
        }
    }
    let file = std::env::temp_dir().join(format!(
        "healthy-city-bench-pipeline-{n}-{}.parquet",
        std::process::id()
    ));
    let parsed = Observations::from_csv(data.as_bytes(), "pipeline.csv").unwrap();
    parsed
        .write_parquet(std::fs::File::create(&file).unwrap())
        .unwrap();
    Panel {
        framework: Framework::parse(&framework, "pipeline.toml").unwrap(),
        cities: Cities::parse(&cities, "cities.toml").unwrap(),
        catalogue: Catalogue::parse(&catalogue, "catalogue.toml").unwrap(),
        file,
        observations,
    }
}

/// Read, validate, score, write scores.csv: what `run --no-charts` does with the panel.
fn pipeline(p: &Panel) -> usize {
    let observations = Observations::load(&p.file).unwrap();
    observations.validate(&p.cities, &p.catalogue).unwrap();
    let results =
        healthy_city_score::score(&p.framework, &p.catalogue, &p.cities, &observations).unwrap();
    let mut sink = std::io::sink();
    healthy_city_report::stream_scores_csv(&results, &mut sink).unwrap();
    results.scores.len()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline, 100 indicators x 20 years");
    group.sample_size(10);
    for n in [100, 200, 400] {
        let p = panel(n, 16);
        group.throughput(Throughput::Elements(p.observations as u64));
        group.bench_with_input(BenchmarkId::new("cities", n), &p, |b, p| {
            b.iter(|| pipeline(p));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
