//! A deterministic synthetic panel for scale tests and benchmarks: N cities x M indicators x Y
//! years with the structure real city panels have, and a four-level framework to score it.
//!
//! ```sh
//! cargo run --release --example synth -- --cities 10000 --indicators 100 --years 20 --out DIR
//! cargo run --release --example synth -- --cities 1000 --csv --out DIR   # observations.csv
//! healthy-city run --framework DIR/framework.toml --out DIR/out
//! ```
//!
//! What it writes into DIR: `framework.toml` (index -> 5 domains -> sub-domains -> indicators,
//! equal weights, panel min-max with COINr's outlier rule), `cities.toml`, `catalogue.toml` and
//! `observations.parquet` (or `.csv` with `--csv`). The same arguments and `--seed` give the same
//! bytes.
//!
//! The structure: each city has a latent level per domain and per sub-domain (standard normal),
//! so indicators within a domain are correlated (about 0.5 within a sub-domain, 0.25 across
//! it); each indicator has its own trend over the years; one indicator in five is log-normal
//! (skewed) and one in ten has a heavy tail (about 1% of its values multiplied by 5 to 20), so
//! the outlier rule fires; each indicator misses 5-20% of its values at random; half the
//! indicators are "lower is better". Every number is invented and the files say so.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use polars::prelude::*;

/// SplitMix64: small, fast and fully determined by its seed.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller; one of the pair).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

struct Options {
    cities: usize,
    indicators: usize,
    years: usize,
    first_year: i32,
    seed: u64,
    csv: bool,
    out: PathBuf,
}

const USAGE: &str = "usage: synth [--cities N] [--indicators M] [--years Y] [--first-year YEAR] [--seed S] [--csv] --out DIR";

fn options() -> Result<Options, String> {
    let mut o = Options {
        cities: 1000,
        indicators: 100,
        years: 20,
        first_year: 2001,
        seed: 1,
        csv: false,
        out: PathBuf::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--csv" {
            o.csv = true;
            continue;
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |what: &str| -> Result<usize, String> {
            value
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{what} must be a whole number above 0, not `{value}`"))
        };
        match flag.as_str() {
            "--cities" => o.cities = number("--cities")?,
            "--indicators" => o.indicators = number("--indicators")?.max(5),
            "--years" => o.years = number("--years")?,
            "--first-year" => {
                o.first_year = value
                    .parse()
                    .map_err(|_| format!("--first-year must be a year, not `{value}`"))?;
            }
            "--seed" => {
                o.seed = value
                    .parse()
                    .map_err(|_| format!("--seed must be a whole number, not `{value}`"))?;
            }
            "--out" => o.out = PathBuf::from(&value),
            _ => return Err(format!("unknown option `{flag}`\n{USAGE}")),
        }
    }
    if o.out.as_os_str().is_empty() {
        return Err(format!("--out DIR is required\n{USAGE}"));
    }
    Ok(o)
}

/// How an indicator is generated.
struct Spec {
    domain: usize,
    sub: usize,
    mean: f64,
    sd: f64,
    trend: f64,
    lognormal: bool,
    heavy_tail: bool,
    missing: f64,
    lower_is_better: bool,
}

const DOMAINS: usize = 5;

/// Sub-domains per domain: about five indicators each.
fn subs_per_domain(indicators: usize) -> usize {
    (indicators / DOMAINS / 5).max(1)
}

fn specs(o: &Options, rng: &mut Rng) -> Vec<Spec> {
    let subs = subs_per_domain(o.indicators);
    (0..o.indicators)
        .map(|i| {
            let domain = i % DOMAINS;
            let sub = (i / DOMAINS) % subs;
            Spec {
                domain,
                sub,
                mean: 10.0 + 90.0 * rng.uniform(),
                sd: 2.0 + 10.0 * rng.uniform(),
                trend: 0.3 * rng.normal(),
                lognormal: i % 5 == 3,
                heavy_tail: i % 10 == 7,
                missing: 0.05 + 0.15 * rng.uniform(),
                lower_is_better: i % 2 == 1,
            }
        })
        .collect()
}

fn city_id(c: usize) -> String {
    format!("c{c:05}")
}

fn indicator_id(i: usize) -> String {
    format!("x{i:03}")
}

/// The observations, column by column.
#[derive(Default)]
struct Columns {
    city: Vec<String>,
    indicator: Vec<String>,
    year: Vec<i32>,
    value: Vec<f64>,
}

fn observations(o: &Options, specs: &[Spec], rng: &mut Rng) -> Columns {
    let subs = subs_per_domain(o.indicators);
    let mut cols = Columns::default();
    let expected = o.cities * o.indicators * o.years;
    cols.city.reserve(expected);
    cols.indicator.reserve(expected);
    cols.year.reserve(expected);
    cols.value.reserve(expected);
    let ids: Vec<String> = (0..o.indicators).map(indicator_id).collect();
    for c in 0..o.cities {
        let city = city_id(c);
        let domain_level: Vec<f64> = (0..DOMAINS).map(|_| rng.normal()).collect();
        let sub_level: Vec<f64> = (0..DOMAINS * subs).map(|_| rng.normal()).collect();
        for (i, spec) in specs.iter().enumerate() {
            let city_effect = 0.5 * domain_level[spec.domain]
                + 0.5 * sub_level[spec.domain * subs + spec.sub]
                + 0.7 * rng.normal();
            for t in 0..o.years {
                let noise = 0.2 * rng.normal();
                let missing = rng.uniform() < spec.missing;
                let tail = rng.uniform();
                if missing {
                    continue;
                }
                let z = city_effect + noise;
                let mut value = if spec.lognormal {
                    spec.mean * (0.6 * z).exp()
                } else {
                    spec.mean + spec.sd * z
                };
                value += spec.trend * t as f64;
                if spec.heavy_tail && tail < 0.01 {
                    value *= 5.0 + 15.0 * rng.uniform();
                }
                cols.city.push(city.clone());
                cols.indicator.push(ids[i].clone());
                cols.year.push(o.first_year + t as i32);
                cols.value.push((value * 1000.0).round() / 1000.0);
            }
        }
    }
    cols
}

fn framework(o: &Options, specs: &[Spec]) -> String {
    let subs = subs_per_domain(o.indicators);
    let mut s = format!(
        "# Synthetic framework written by `cargo run --example synth` (seed {seed}): invented data\n\
         # for scale tests, {n} cities x {m} indicators x {y} years. Four levels: index, domains,\n\
         # sub-domains, indicators; equal weights.\n\n\
         [index]\nid = \"synthetic\"\nname = \"Synthetic index\"\n\
         description = \"Invented panel of {n} cities, {m} indicators, {y} years (seed {seed})\"\n\n\
         [data]\nobservations = \"observations.{ext}\"\ncities = \"cities.toml\"\ncatalogue = \"catalogue.toml\"\n\n\
         [methods]\nnormalisation = \"minmax\"\nbounds = \"panel\"\nscale = [0, 100]\n\
         aggregation = \"arithmetic\"\nmissing = \"skip\"\ntreatment = \"winsorise\"\n\n\
         [coverage]\ncity_min_share = 0.7\nyear_min_share = 0.5\n\n\
         [[group]]\nid = \"index\"\nname = \"Synthetic index\"\n",
        seed = o.seed,
        n = o.cities,
        m = o.indicators,
        y = o.years,
        ext = if o.csv { "csv" } else { "parquet" },
    );
    for d in 0..DOMAINS {
        let _ = write!(
            s,
            "\n[[group]]\nid = \"d{d}\"\nname = \"Domain {d}\"\nparent = \"index\"\n"
        );
        for k in 0..subs {
            let _ = write!(
                s,
                "\n[[group]]\nid = \"d{d}s{k}\"\nname = \"Domain {d}, sub-domain {k}\"\nparent = \"d{d}\"\n"
            );
        }
    }
    for (i, spec) in specs.iter().enumerate() {
        let _ = write!(
            s,
            "\n[[indicator]]\nid = \"{}\"\nparent = \"d{}s{}\"\n",
            indicator_id(i),
            spec.domain,
            spec.sub
        );
    }
    s
}

fn catalogue(o: &Options, specs: &[Spec]) -> String {
    let mut s = String::from(
        "# Synthetic catalogue written by `cargo run --example synth`: invented indicators.\n",
    );
    for (i, spec) in specs.iter().enumerate() {
        let shape = match (spec.lognormal, spec.heavy_tail) {
            (true, _) => "log-normal",
            (false, true) => "normal with a heavy upper tail",
            (false, false) => "normal",
        };
        let _ = write!(
            s,
            "\n[[indicator]]\nid = \"{id}\"\nname = \"Synthetic indicator {i} ({shape})\"\nunit = \"\"\n\
             direction = \"{dir}\"\nlevel = \"city\"\n[indicator.source]\nadapter = \"generic\"\n\
             publisher = \"none: invented data\"\ndataset = \"healthy-city synth example\"\n\
             release = \"seed {seed}\"\nlicence = \"CC0-1.0\"\nquery = \"{id}\"\n",
            id = indicator_id(i),
            dir = if spec.lower_is_better { "lower" } else { "higher" },
            seed = o.seed,
        );
    }
    s
}

fn cities(o: &Options, rng: &mut Rng) -> String {
    let mut s = String::from(
        "# Synthetic registry written by `cargo run --example synth`: invented cities.\n",
    );
    for c in 0..o.cities {
        let country = c % 40;
        let _ = write!(
            s,
            "\n[[city]]\nid = \"{id}\"\nname = \"City {c}\"\ncountry = \"X{a}{b}\"\nregion = \"Region {r}\"\n\
             latitude = {lat:.2}\nlongitude = {lon:.2}\n",
            id = city_id(c),
            a = char::from(b'A' + (country / 26) as u8),
            b = char::from(b'A' + (country % 26) as u8),
            r = country % 7,
            lat = -60.0 + 130.0 * rng.uniform(),
            lon = -180.0 + 360.0 * rng.uniform(),
        );
    }
    s
}

fn write_observations(o: &Options, cols: Columns) -> Result<PathBuf, String> {
    let n = cols.value.len();
    if o.csv {
        let path = o.out.join("observations.csv");
        let file = fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let mut write = || -> std::io::Result<()> {
            writeln!(w, "city,indicator,year,value,source,flag")?;
            for k in 0..n {
                writeln!(
                    w,
                    "{},{},{},{},synth,",
                    cols.city[k], cols.indicator[k], cols.year[k], cols.value[k]
                )?;
            }
            w.flush()
        };
        write().map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(path);
    }
    let path = o.out.join("observations.parquet");
    let mut frame = DataFrame::new(
        n,
        vec![
            Column::new("city".into(), cols.city),
            Column::new("indicator".into(), cols.indicator),
            Column::new("year".into(), cols.year),
            Column::new("value".into(), cols.value),
            Column::new("source".into(), vec!["synth"; n]),
            Column::new("flag".into(), vec![""; n]),
        ],
    )
    .map_err(|e| e.to_string())?;
    let file = fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    ParquetWriter::new(file)
        .finish(&mut frame)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn write_text(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let path = dir.join(name);
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    #[allow(clippy::print_stderr)]
    match run() {
        Ok(message) => {
            eprintln!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<String, String> {
    let o = options()?;
    fs::create_dir_all(&o.out).map_err(|e| format!("{}: {e}", o.out.display()))?;
    let mut rng = Rng(o.seed);
    let specs = specs(&o, &mut rng);
    write_text(&o.out, "framework.toml", &framework(&o, &specs))?;
    write_text(&o.out, "catalogue.toml", &catalogue(&o, &specs))?;
    write_text(&o.out, "cities.toml", &cities(&o, &mut rng))?;
    let cols = observations(&o, &specs, &mut rng);
    let n = cols.value.len();
    let path = write_observations(&o, cols)?;
    Ok(format!(
        "wrote {} ({n} observations of {} cities x {} indicators x {} years) and framework.toml, cities.toml, catalogue.toml in {}",
        path.display(),
        o.cities,
        o.indicators,
        o.years,
        o.out.display()
    ))
}
