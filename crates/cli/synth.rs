//! `healthy-city synth` (hidden): a deterministic synthetic panel of N cities, M indicators and
//! Y years, for measuring how the pipeline scales (issue 16) and for tests that need more
//! cities than the snapshot has.
//!
//! It writes `framework.toml`, `cities.toml`, `catalogue.toml` and `observations.parquet`
//! (and `observations.csv` with `--csv`) through the command staging ([`Outputs`]), so the
//! files appear together or not at all, after parsing each of them back with the model's own
//! loaders, so what it writes is what `run --framework DIR/framework.toml` accepts.
//!
//! The structure, drawn from [`Rng`] (the workspace's SplitMix64, the same seed gives the same
//! bytes on every platform):
//!
//! - a 4-level tree: the index, 2 to 5 domains, 1 to 4 sub-domains in each, the indicators
//!   spread over the sub-domains; weights cycle (1, 2, 3 for indicators and domains, 1, 2 for
//!   sub-domains) so that they are not all equal;
//! - each city has a latent factor per domain and a small drift per year; an indicator is
//!   `loading * factor + sqrt(1 - loading²) * noise` (unit variance), so indicators correlate within a domain;
//! - every third indicator is log-normal (exp of the latent), skewed and heavy-tailed enough
//!   for the framework's winsorisation (COINr's skewness and kurtosis rule) to fire;
//! - most indicators are city-level; every sixth is national (one value per country and year,
//!   the same for every city of the country, flagged `proxy`) and a few are regional (one
//!   value per region and year);
//! - the `--missing` share of the values is missing: a tenth of it as whole city-years, the
//!   rest cell by cell (national and regional values by country- or region-year).
//!
//! Values and the missing mask are drawn from separate streams, so that changing `--missing`
//! leaves the values present unchanged.
//!
//! Why here and not in a library crate: the criterion benches (benches/analysis.rs) build one
//! year of one country in memory, straight into an [`Engine`](healthy_city_score::Engine),
//! to time replications; this generator writes files in the published formats, with levels,
//! countries, regions and years, to time the whole command. What the two share is the random
//! number generator, which they both take from the score crate; the file layout belongs to
//! the command that writes it.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use healthy_city_model::{Catalogue, Cities, Flag, Framework, Level, Observation, Observations};
use healthy_city_score::Rng;

use crate::args::SynthArgs;
use crate::publish::{self, Outputs};

/// First year of every panel: years run `FIRST_YEAR..FIRST_YEAR + Y`.
const FIRST_YEAR: i32 = 2001;

/// Share of the missing values that goes to whole city-years.
const CITY_YEAR_SHARE: f64 = 0.1;

pub fn run(args: &SynthArgs) -> Result<()> {
    let panel = Panel::generate(&Spec {
        cities: args.cities as usize,
        indicators: args.indicators as usize,
        years: args.years as usize,
        seed: args.seed,
        missing: args.missing,
    });
    let files = panel.files(args.csv)?;
    let mut outputs = Outputs::new(&args.out)?;
    for (name, bytes) in &files {
        outputs.bytes(name, bytes)?;
    }
    let paths = outputs.commit_quietly()?;
    publish::wrote(&paths);
    publish::status(&format!(
        "{} cities x {} indicators x {} years: {} observations ({:.1}% missing), seed {}",
        args.cities,
        args.indicators,
        args.years,
        panel.observations.len(),
        100.0 * panel.missing_share(),
        args.seed
    ));
    Ok(())
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub cities: usize,
    pub indicators: usize,
    pub years: usize,
    pub seed: u64,
    /// Share of the city x indicator x year cells left without a value.
    pub missing: f64,
}

/// A generated panel: the three TOML files as text and the observations.
struct Panel {
    spec: Spec,
    framework: String,
    cities: String,
    catalogue: String,
    observations: Observations,
}

/// Where an indicator is measured, and so what its values are constant over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    City,
    Region,
    National,
}

/// The tree's shape for `m` indicators: (domains, sub-domains per domain). At least two
/// indicators per sub-domain on average.
fn shape(m: usize) -> (usize, usize) {
    let domains = (m / 4).clamp(2, 5);
    let subs = (m / (domains * 2)).clamp(1, 4);
    (domains, subs)
}

fn scope(i: usize) -> Scope {
    if i % 6 == 1 {
        Scope::National
    } else if i % 10 == 4 {
        Scope::Region
    } else {
        Scope::City
    }
}

fn log_normal(i: usize) -> bool {
    i % 3 == 0
}

/// `AAA`, `AAB`, ...: three capital letters, as cities.toml asks of a country.
fn country_code(k: usize) -> String {
    let letter = |n: usize| char::from(b'A' + (n % 26) as u8);
    [letter(k / 676), letter(k / 26), letter(k)]
        .iter()
        .collect()
}

/// Rounds to 4 significant decimals, so that the CSV stays short and reads back exactly.
fn round(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

impl Panel {
    fn generate(spec: &Spec) -> Panel {
        let (n, m, y) = (spec.cities, spec.indicators, spec.years);
        let countries = (n / 10).clamp(2, 26 * 26 * 26).min(n);
        let regions = (countries / 5).clamp(2, 10).min(countries);
        let country_of = |c: usize| c % countries;
        let region_of = |k: usize| k % regions;
        let (domains, subs) = shape(m);
        let n_subs = domains * subs;
        let sub_of = |i: usize| i % n_subs;
        let domain_of = |i: usize| sub_of(i) / subs;
        let width = m.to_string().len().max(3);
        let indicator_id = |i: usize| format!("i{:0width$}", i + 1);

        // Text files.
        let mut cities = String::new();
        for c in 0..n {
            let k = country_of(c);
            let _ = write!(
                cities,
                "[[city]]\nid = \"c{:05}\"\nname = \"City {}\"\ncountry = \"{}\"\nregion = \"Region {}\"\n\n",
                c + 1,
                c + 1,
                country_code(k),
                region_of(k) + 1
            );
        }
        let mut catalogue = String::new();
        let mut framework = format!(
            "[index]\nid = \"synthetic\"\nname = \"Synthetic index ({n} x {m} x {y}, seed {})\"\n\
             units = \"cities\"\n\n[data]\ncities = \"cities.toml\"\ncatalogue = \"catalogue.toml\"\n\
             observations = \"observations.parquet\"\n\n[methods]\nnormalisation = \"minmax\"\n\
             treatment = \"winsorise\"\n\n[coverage]\ncity_min_share = 0.6\nyear_min_share = 0.5\n\n\
             [[group]]\nid = \"index\"\nname = \"Synthetic index\"\n\n",
            spec.seed
        );
        for d in 0..domains {
            let _ = write!(
                framework,
                "[[group]]\nid = \"d{}\"\nname = \"Domain {}\"\nparent = \"index\"\nweight = {}\n\n",
                d + 1,
                d + 1,
                1 + d % 3
            );
        }
        for s in 0..n_subs {
            let _ = write!(
                framework,
                "[[group]]\nid = \"s{}\"\nname = \"Sub-domain {}\"\nparent = \"d{}\"\nweight = {}\n\n",
                s + 1,
                s + 1,
                s / subs + 1,
                1 + s % 2
            );
        }
        for i in 0..m {
            let id = indicator_id(i);
            let direction = if i % 4 == 0 { "lower" } else { "higher" };
            let (unit, level) = match (scope(i), log_normal(i)) {
                (Scope::National, _) => ("years", "national"),
                (Scope::Region, _) => ("per cent", "region"),
                (Scope::City, true) => ("per 100,000 people", "city"),
                (Scope::City, false) => ("index points", "city"),
            };
            let _ = write!(
                catalogue,
                "[[indicator]]\nid = \"{id}\"\nname = \"Indicator {}\"\nunit = \"{unit}\"\n\
                 direction = \"{direction}\"\nlevel = \"{level}\"\n\n",
                i + 1
            );
            let _ = write!(
                framework,
                "[[indicator]]\nid = \"{id}\"\nparent = \"s{}\"\nweight = {}\n\n",
                sub_of(i) + 1,
                1 + i % 3
            );
        }

        // Latent structure, from the values stream.
        let mut values = Rng::stream(spec.seed, 1);
        let factor: Vec<f64> = (0..n * domains).map(|_| values.normal()).collect();
        let drift: Vec<f64> = (0..n).map(|_| 0.05 * values.normal()).collect();
        let country_factor: Vec<f64> = (0..countries * domains).map(|_| values.normal()).collect();
        let region_factor: Vec<f64> = (0..regions * domains).map(|_| values.normal()).collect();
        let loading: Vec<f64> = (0..m).map(|_| 0.6 + 0.3 * values.uniform()).collect();

        // The missing mask, from its own stream.
        let mut mask = Rng::stream(spec.seed, 2);
        let p_city_year = spec.missing * CITY_YEAR_SHARE;
        let p_cell = 1.0 - (1.0 - spec.missing) / (1.0 - p_city_year);
        let city_year_gone: Vec<bool> = (0..n * y).map(|_| mask.uniform() < p_city_year).collect();
        // National and regional values: one draw per place, indicator and year.
        let place_gone = |mask: &mut Rng, places: usize| -> Vec<bool> {
            (0..places * m * y)
                .map(|_| mask.uniform() < p_cell)
                .collect()
        };
        let country_gone = place_gone(&mut mask, countries);
        let region_gone = place_gone(&mut mask, regions);

        // Place-level values: the same for every city of the country or region.
        let place_value = |values: &mut Rng, f: &[f64], places: usize, i: usize| -> Vec<f64> {
            let mut out = Vec::with_capacity(places * y);
            for p in 0..places {
                let base = loading[i] * f[p * domains + domain_of(i)];
                for t in 0..y {
                    let z = base + 0.02 * t as f64 + 0.4 * values.normal();
                    out.push(value(i, z));
                }
            }
            out
        };
        let mut national = vec![Vec::new(); m];
        let mut regional = vec![Vec::new(); m];
        for i in 0..m {
            match scope(i) {
                Scope::National => {
                    national[i] = place_value(&mut values, &country_factor, countries, i);
                }
                Scope::Region => {
                    regional[i] = place_value(&mut values, &region_factor, regions, i);
                }
                Scope::City => {}
            }
        }

        let source = format!("synth-s{}", spec.seed);
        let mut rows = Vec::with_capacity(((n * m * y) as f64 * (1.0 - spec.missing)) as usize);
        for c in 0..n {
            let city = format!("c{:05}", c + 1);
            let (k, r) = (country_of(c), region_of(country_of(c)));
            for i in 0..m {
                let indicator = indicator_id(i);
                for t in 0..y {
                    // Every cell draws its noise and its mask, used or not, so that one
                    // cell's fate never shifts another's draws.
                    let noise = values.normal();
                    let gone = mask.uniform() < p_cell;
                    if city_year_gone[c * y + t] {
                        continue;
                    }
                    let (v, flag, level) = match scope(i) {
                        Scope::City => {
                            if gone {
                                continue;
                            }
                            let z = loading[i] * factor[c * domains + domain_of(i)]
                                + drift[c] * t as f64
                                + (1.0 - loading[i] * loading[i]).sqrt() * noise;
                            (value(i, z), Flag::None, None)
                        }
                        Scope::National => {
                            if country_gone[(k * m + i) * y + t] {
                                continue;
                            }
                            (national[i][k * y + t], Flag::Proxy, Some(Level::National))
                        }
                        Scope::Region => {
                            if region_gone[(r * m + i) * y + t] {
                                continue;
                            }
                            (regional[i][r * y + t], Flag::None, Some(Level::Region))
                        }
                    };
                    rows.push(Observation {
                        city: city.as_str().into(),
                        indicator: indicator.as_str().into(),
                        year: FIRST_YEAR + t as i32,
                        value: v,
                        source: source.as_str().into(),
                        flag,
                        low: None,
                        high: None,
                        level,
                    });
                }
            }
        }
        Panel {
            spec: *spec,
            framework,
            cities,
            catalogue,
            observations: Observations::from_rows(rows, "observations.parquet"),
        }
    }

    /// Share of the city x indicator x year cells without a value.
    fn missing_share(&self) -> f64 {
        let cells = self.spec.cities * self.spec.indicators * self.spec.years;
        1.0 - self.observations.len() as f64 / cells as f64
    }

    /// The files, named as the framework's `[data]` names them, each checked by the loader
    /// that `run` uses.
    fn files(&self, csv: bool) -> Result<Vec<(&'static str, Vec<u8>)>> {
        let framework = Framework::parse(&self.framework, "framework.toml")
            .context("the generated framework does not parse")?;
        let cities = Cities::parse(&self.cities, "cities.toml")
            .context("the generated cities do not parse")?;
        let catalogue = Catalogue::parse(&self.catalogue, "catalogue.toml")
            .context("the generated catalogue does not parse")?;
        framework
            .check_catalogue(&catalogue)
            .context("the generated framework does not match its catalogue")?;
        self.observations
            .validate(&cities, &catalogue)
            .context("the generated observations do not match the cities and catalogue")?;
        let mut parquet = Vec::new();
        self.observations
            .write_parquet(&mut parquet)
            .context("cannot write the observations as Parquet")?;
        let mut files = vec![
            ("framework.toml", self.framework.clone().into_bytes()),
            ("cities.toml", self.cities.clone().into_bytes()),
            ("catalogue.toml", self.catalogue.clone().into_bytes()),
            ("observations.parquet", parquet),
        ];
        if csv {
            let mut text = Vec::new();
            self.observations
                .write_csv(&mut text)
                .context("cannot write the observations as CSV")?;
            files.push(("observations.csv", text));
        }
        Ok(files)
    }
}

/// The value of indicator `i` for latent `z`: log-normal for every third indicator (skewed,
/// heavy right tail), else normal around 50.
fn value(i: usize, z: f64) -> f64 {
    if log_normal(i) {
        round(20.0 * (1.5 * z).exp())
    } else {
        round(50.0 + 10.0 * z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sub_domain_has_an_indicator() {
        for m in 4..200 {
            let (d, s) = shape(m);
            assert!(d * s <= m, "{m} indicators, {d} x {s} sub-domains");
        }
    }

    #[test]
    fn country_codes_are_three_capital_letters_and_distinct() {
        let codes: std::collections::BTreeSet<String> = (0..2000).map(country_code).collect();
        assert_eq!(codes.len(), 2000);
        assert!(codes
            .iter()
            .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn the_generated_files_pass_the_loaders() {
        let panel = Panel::generate(&Spec {
            cities: 12,
            indicators: 8,
            years: 3,
            seed: 3,
            missing: 0.1,
        });
        let files = panel.files(true).unwrap();
        assert_eq!(files.len(), 5);
    }
}
