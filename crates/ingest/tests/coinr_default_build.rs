//! COINr's whole default build (`shared/reference/coinr/default_build`, README section 5),
//! reproduced from `import coinr` through the score crate:
//!
//! ```r
//! coin <- new_coin(iData, iMeta)
//! coin <- Impute(coin, dset = "Raw", f_i = "i_mean_grp", use_group = "Region")
//! coin <- Screen(coin, dset = "Imputed", unit_screen = "byNA", dat_thresh = 0.8)
//! coin <- Treat(coin, dset = "Screened")
//! coin <- Normalise(coin, dset = "Treated", global_specs = list(f_n = "n_minmax", f_n_para = list(l_u = c(0, 100))))
//! coin <- Aggregate(coin, dset = "Normalised", f_ag = "a_amean")
//! ```
//!
//! as the framework settings `impute = { method = "group_mean", group = "region" }`,
//! `treatment = "winsorise"`, min-max to [0, 100], arithmetic. COINr's `Screen` after `Impute`
//! removes nothing (no NA is left; the README's surprise 11), so `dset_Screened` equals
//! `dset_Imputed` and the framework has no `screen`: healthy-city screens *before* imputing,
//! where the same threshold would remove BJS (7 of 10 indicators), a documented difference.
//!
//! Every value of every data set, the treatment log and every rank are asserted; tolerance
//! 1e-9 absolute on values (the 0-100 scale), ranks exact.

use std::collections::HashMap;
use std::path::PathBuf;

use healthy_city_ingest::import_coinr;
use healthy_city_model::{Catalogue, Cities, Framework, Observations};
use healthy_city_score::{data_sets, score, Panel, Results};

const TOL: f64 = 1e-9;

fn reference() -> Option<PathBuf> {
    let base = std::env::var_os("HEALTHY_CITY_REFERENCE").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/reference"
            ))
        },
        PathBuf::from,
    );
    let dir = base.join("coinr");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("HEALTHY_CITY_REQUIRE_DATA").as_deref() != Ok("1"),
        "no COINr reference data at {}",
        dir.display()
    );
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "notice: COINr reference data not found at {}; skipping (set HEALTHY_CITY_REFERENCE)",
            dir.display()
        );
    }
    None
}

/// A reference CSV: header, then rows keyed by their first field (uCode or iCode).
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &std::path::Path) -> Table {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        Table { header, rows }
    }

    fn column(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap()
    }

    fn number(&self, row: usize, column: usize) -> f64 {
        let text = &self.rows[row][column];
        if text.is_empty() {
            f64::NAN
        } else {
            text.parse().unwrap()
        }
    }
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= TOL || (got.is_nan() && want.is_nan()),
        "{what}: {got} != COINr {want} (tolerance {TOL})"
    );
}

struct Build {
    framework: Framework,
    catalogue: Catalogue,
    cities: Cities,
    observations: Observations,
}

fn build(dir: &std::path::Path) -> Build {
    let idata = std::fs::read(dir.join("iData.csv")).unwrap();
    let imeta = std::fs::read(dir.join("iMeta.csv")).unwrap();
    let i = import_coinr(&idata, "iData.csv", &imeta, "iMeta.csv", Some(2024), None).unwrap();
    let text = i.framework.replace(
        "[methods]\n",
        "[methods]\nimpute = { method = \"group_mean\", group = \"region\" }\ntreatment = \"winsorise\"\n",
    );
    assert_ne!(
        text, i.framework,
        "the imported framework has no [methods] table"
    );
    Build {
        framework: Framework::parse(&text, "framework.toml").unwrap(),
        catalogue: Catalogue::parse(&i.catalogue, "catalogue.toml").unwrap(),
        cities: Cities::parse(&i.cities, "cities.toml").unwrap(),
        observations: Observations::from_csv(i.observations.as_bytes(), "observations.csv")
            .unwrap(),
    }
}

/// Asserts a `uCode` x indicator data set against a panel's only year.
fn assert_panel(panel: &Panel, table: &Table, what: &str) {
    assert_eq!(table.rows.len(), panel.n_cities(), "{what}: cities");
    let ni = panel.n_indicators();
    for (r, row) in table.rows.iter().enumerate() {
        let c = panel
            .cities
            .iter()
            .position(|id| *id == row[0].to_lowercase())
            .unwrap();
        for (i, id) in panel.indicators.iter().enumerate() {
            let k = table.column(&id.to_uppercase());
            close(
                panel.values[c * ni + i],
                table.number(r, k),
                &format!("{what} {} {id}", row[0]),
            );
        }
    }
}

#[test]
fn reproduces_coinr_default_build_data_sets_treatment_scores_and_ranks() {
    let Some(dir) = reference() else { return };
    let b = build(&dir);
    // The data sets `score` computes on the way.
    let sets = data_sets(&b.framework, &b.catalogue, &b.cities, &b.observations).unwrap();

    // Imputed (= Screened: COINr's screen after imputation removes nothing).
    let panel = &sets.imputed;
    assert_eq!(sets.imputed_flags.iter().filter(|&&f| f).count(), 28);
    let default_build = dir.join("default_build");
    assert_panel(
        panel,
        &Table::read(&default_build.join("dset_Imputed.csv")),
        "Imputed",
    );
    assert_panel(
        panel,
        &Table::read(&default_build.join("dset_Screened.csv")),
        "Screened",
    );
    let removed = std::fs::read_to_string(default_build.join("screened_out_units.csv")).unwrap();
    assert_eq!(
        removed.lines().count(),
        1,
        "COINr removed no unit: header only"
    );

    // Treated, with the treatment log.
    let (treated, report) = (&sets.treated, &sets.treatment);
    assert_panel(
        treated,
        &Table::read(&default_build.join("dset_Treated.csv")),
        "Treated",
    );
    let dets = Table::read(&default_build.join("treat_Dets_Table.csv"));
    for (r, row) in dets.rows.iter().enumerate() {
        let id = row[0].to_lowercase();
        let t = report
            .indicators
            .iter()
            .find(|t| t.indicator == id)
            .unwrap();
        close(t.before.skew, dets.number(r, 2), &format!("{id} skew"));
        close(t.before.kurt, dets.number(r, 3), &format!("{id} kurt"));
        assert_eq!(t.before.pass, row[1] == "TRUE", "{id} pass");
        if row[4].is_empty() {
            assert_eq!(t.nwin, 0, "{id} nwin");
        } else {
            assert_eq!(t.nwin as f64, dets.number(r, 4), "{id} nwin");
            let w = t.winsorised.unwrap();
            close(w.skew, dets.number(r, 6), &format!("{id} skew after"));
            close(w.kurt, dets.number(r, 7), &format!("{id} kurt after"));
            assert_eq!(w.pass, row[5] == "TRUE", "{id} pass after");
        }
        assert!(!t.log, "{id}: COINr never used log_CT here");
    }
    // Treated points: a cell is `winhi`/`winlo` exactly where we winsorised.
    let points = Table::read(&default_build.join("treat_Treated_Points.csv"));
    let mut theirs = Vec::new();
    for row in &points.rows {
        for (k, cell) in row.iter().enumerate().skip(1) {
            if !cell.is_empty() {
                theirs.push((row[0].to_lowercase(), points.header[k].to_lowercase()));
            }
        }
    }
    let mut ours: Vec<(String, String)> = report
        .indicators
        .iter()
        .flat_map(|t| {
            t.points
                .iter()
                .map(|p| (p.city.clone(), t.indicator.clone()))
        })
        .collect();
    theirs.sort();
    ours.sort();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 4);

    // Normalised.
    assert_panel(
        &sets.normalised,
        &Table::read(&default_build.join("dset_Normalised.csv")),
        "Normalised",
    );

    // Aggregated, through `score`, and every rank.
    let results = score(&b.framework, &b.catalogue, &b.cities, &b.observations).unwrap();
    assert_aggregated(
        &results,
        &Table::read(&default_build.join("dset_Aggregated.csv")),
    );
    assert_ranks(&results, &dir);
}

fn node(results: &Results, code: &str) -> usize {
    results
        .nodes
        .iter()
        .position(|n| n.id == code.to_lowercase())
        .unwrap_or_else(|| panic!("no node `{code}`"))
}

fn assert_aggregated(results: &Results, table: &Table) {
    assert_eq!(table.rows.len(), 55);
    for (r, row) in table.rows.iter().enumerate() {
        let c = results.city_slot(&row[0].to_lowercase()).unwrap();
        for (k, code) in table.header.iter().enumerate().skip(1) {
            close(
                results.score(0, c, node(results, code)),
                table.number(r, k),
                &format!("Aggregated {} {code}", row[0]),
            );
        }
    }
}

/// `results_scores_and_ranks_fullprecision.csv`: scores and `Rank_*` at every level (ties take
/// the best rank, COINr's `ties.method = "min"`), and `get_results_Full_ranks.csv` as returned.
fn assert_ranks(results: &Results, dir: &std::path::Path) {
    let full = Table::read(&dir.join("default_build/results_scores_and_ranks_fullprecision.csv"));
    let mut checked: HashMap<&str, usize> = HashMap::new();
    for (r, row) in full.rows.iter().enumerate() {
        let c = results.city_slot(&row[0].to_lowercase()).unwrap();
        assert!(results.is_ranked(0, c), "{}", row[0]);
        for (k, name) in full.header.iter().enumerate().skip(3) {
            if let Some(code) = name.strip_prefix("Rank_") {
                let ours = results.rank(0, c, node(results, code)).map(f64::from);
                assert_eq!(ours, Some(full.number(r, k)), "{} {name}", row[0]);
                *checked.entry("rank").or_default() += 1;
            } else {
                close(
                    results.score(0, c, node(results, name)),
                    full.number(r, k),
                    &format!("{} {name}", row[0]),
                );
                *checked.entry("score").or_default() += 1;
            }
        }
    }
    assert_eq!(checked["rank"], 55 * 14);
    assert_eq!(checked["score"], 55 * 14);
    let ranks = Table::read(&dir.join("default_build/get_results_Full_ranks.csv"));
    for (r, row) in ranks.rows.iter().enumerate() {
        let c = results.city_slot(&row[0].to_lowercase()).unwrap();
        for (k, code) in ranks.header.iter().enumerate() {
            if let Some(n) = results
                .nodes
                .iter()
                .position(|n| n.id == code.to_lowercase())
            {
                let ours = results.rank(0, c, n).map(f64::from);
                assert_eq!(ours, Some(ranks.number(r, k)), "{} {code}", row[0]);
            }
        }
    }
}
