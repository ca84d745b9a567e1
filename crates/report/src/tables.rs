//! Tables: the ranking and every node's scores as CSV, and an aligned text table for the
//! terminal.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use healthy_city_score::Results;

use crate::chart::{city, ranked_year};
use crate::error::{Error, Result};

/// Order of cities within a year: index rank, unranked last, then city id.
fn by_rank(results: &Results, y: usize) -> impl Fn(&usize, &usize) -> Ordering + '_ {
    move |&a, &b| {
        let key = |c: usize| results.rank(y, c, results.root).unwrap_or(u32::MAX);
        key(a)
            .cmp(&key(b))
            .then_with(|| results.cities[a].cmp(&results.cities[b]))
    }
}

fn cities_by_rank(results: &Results, y: usize) -> Vec<usize> {
    let mut cities: Vec<usize> = (0..results.cities.len()).collect();
    cities.sort_by(by_rank(results, y));
    cities
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |source| Error::Csv {
        path: path.to_path_buf(),
        source,
    }
}

fn ranking_rows<W: io::Write>(results: &Results, out: &mut csv::Writer<W>) -> csv::Result<()> {
    out.write_record(["city", "year", "score", "rank"])?;
    for y in 0..results.years.len() {
        for c in cities_by_rank(results, y) {
            if let Some(rank) = results.rank(y, c, results.root) {
                out.write_record([
                    results.cities[c].clone(),
                    results.years[y].to_string(),
                    results.score(y, c, results.root).to_string(),
                    rank.to_string(),
                ])?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn score_rows<W: io::Write>(results: &Results, out: &mut csv::Writer<W>) -> csv::Result<()> {
    out.write_record(["city", "year", "node", "score", "rank"])?;
    for y in 0..results.years.len() {
        for c in cities_by_rank(results, y) {
            for (node, info) in results.nodes.iter().enumerate() {
                let score = results.score(y, c, node);
                if score.is_nan() {
                    continue;
                }
                out.write_record([
                    results.cities[c].clone(),
                    results.years[y].to_string(),
                    info.id.clone(),
                    score.to_string(),
                    results
                        .rank(y, c, node)
                        .map_or_else(String::new, |r| r.to_string()),
                ])?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes `city,year,score,rank` for every ranked (year, city): the index score at full
/// precision (shortest round-trip form) and its competition rank. Rows by year, then rank (ties
/// by city id).
pub fn write_ranking_csv(results: &Results, path: &Path) -> Result<()> {
    let mut out = csv::Writer::from_path(path).map_err(csv_error(path))?;
    ranking_rows(results, &mut out).map_err(csv_error(path))
}

/// Writes `city,year,node,score,rank` for every node of the tree, every year and city whose
/// score is not missing; `rank` is empty where unranked. Indicators hold normalised values. Rows
/// by year, then the city's index rank (unranked last, by city id), then node in framework order.
pub fn write_scores_csv(results: &Results, path: &Path) -> Result<()> {
    let mut out = csv::Writer::from_path(path).map_err(csv_error(path))?;
    score_rows(results, &mut out).map_err(csv_error(path))
}

/// A number with one decimal, or `-` where missing.
fn one_decimal(v: f64) -> String {
    if v.is_nan() {
        "-".to_string()
    } else {
        format!("{v:.1}")
    }
}

/// An aligned plain-text table of year slot `year` (the latest ranked year if `None`): rank,
/// city, index score, one column per domain, and the share of the score resting on national
/// proxies. Ranked cities first, by rank; then the unranked. The `focus` city is marked `>`.
pub fn format_table(results: &Results, year: Option<usize>, focus: Option<&str>) -> Result<String> {
    let y = match year {
        Some(slot) if slot >= results.years.len() => {
            return Err(Error::YearSlot {
                slot,
                n_years: results.years.len(),
            })
        }
        Some(slot) => slot,
        None => ranked_year(results, None)?,
    };
    let focus = focus.map(|f| city(results, f)).transpose()?;
    let domains = results.domains();

    let mut header = vec!["rank".to_string(), "city".to_string(), "score".to_string()];
    header.extend(domains.iter().map(|&d| results.nodes[d].name.clone()));
    header.push("proxy %".to_string());
    let rows: Vec<Vec<String>> = cities_by_rank(results, y)
        .into_iter()
        .map(|c| {
            let marker = if Some(c) == focus { "> " } else { "  " };
            let rank = results
                .rank(y, c, results.root)
                .map_or_else(|| "-".to_string(), |r| r.to_string());
            let mut row = vec![
                format!("{marker}{rank}"),
                results.city_names[c].clone(),
                one_decimal(results.score(y, c, results.root)),
            ];
            row.extend(domains.iter().map(|&d| one_decimal(results.score(y, c, d))));
            let proxy = if results.score(y, c, results.root).is_nan() {
                f64::NAN
            } else {
                100.0 * results.proxy_share(y, c)
            };
            row.push(one_decimal(proxy));
            row
        })
        .collect();

    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let year_label = results.years[y];
    let status = if results.year_ranked[y] {
        format!(
            "{} of {} cities ranked",
            results.n_ranked(y),
            results.cities.len()
        )
    } else {
        "not ranked (too few cities have enough data)".to_string()
    };
    let _ = writeln!(out, "{}, {year_label}: {status}", results.index_name);
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            // The city column is left-aligned, the rest right-aligned.
            if i == 1 {
                let _ = write!(s, "{cell:<w$}", w = widths[i]);
            } else {
                let _ = write!(s, "{cell:>w$}", w = widths[i]);
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&header));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::testdata::results;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn the_ranking_csv_matches_the_hand_computed_example() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ranking.csv");
        write_ranking_csv(&results(), &path).unwrap();
        // See chart::testdata for the hand computation; 2017 is a three-way tie at 50.
        assert_eq!(
            read(&path),
            "city,year,score,rank
london,2017,50,1
paris,2017,50,1
tokyo,2017,50,1
paris,2018,50,1
tokyo,2018,50,1
london,2019,87.5,1
paris,2019,50,2
tokyo,2019,0,3
"
        );
    }

    #[test]
    fn the_scores_csv_has_every_node_in_framework_order_and_skips_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scores.csv");
        let r = results();
        write_scores_csv(&r, &path).unwrap();
        let text = read(&path);
        let order: Vec<&str> = r.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(order, ["index", "health", "air", "life", "pm25"]);
        let expected_2019 = "london,2019,index,87.5,1
london,2019,health,100,1
london,2019,air,75,1
london,2019,life,100,1
london,2019,pm25,75,1
paris,2019,index,50,2
paris,2019,health,50,2
paris,2019,air,50,2
paris,2019,life,50,2
paris,2019,pm25,50,2
tokyo,2019,index,0,3
tokyo,2019,health,0,3
tokyo,2019,air,0,3
tokyo,2019,life,0,3
tokyo,2019,pm25,0,3
";
        assert!(
            text.starts_with("city,year,node,score,rank\nlondon,2017,index,50,1\n"),
            "{text}"
        );
        assert!(text.ends_with(expected_2019), "{text}");
        // London has no 2018 data: no 2018 row names it.
        assert!(!text.contains("london,2018"));
        assert_eq!(text.lines().count(), 1 + 3 * 5 + 2 * 5 + 3 * 5);
    }

    #[test]
    fn a_csv_error_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("ranking.csv");
        let err = write_ranking_csv(&results(), &path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot write `{}`", path.display())
        );
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn the_table_lists_cities_in_rank_order_with_domains_and_proxy_share() {
        let table = format_table(&results(), None, Some("London")).unwrap();
        assert_eq!(
            table,
            "Tiny healthy-city index, 2019: 3 of 3 cities ranked
rank  city    score  Health   Air  proxy %
 > 1  London   87.5   100.0  75.0     50.0
   2  Paris    50.0    50.0  50.0     50.0
   3  Tokyo     0.0     0.0   0.0     50.0
"
        );
    }

    #[test]
    fn the_table_puts_unranked_cities_last() {
        let table = format_table(&results(), Some(1), None).unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "Tiny healthy-city index, 2018: 2 of 3 cities ranked"
        );
        assert!(lines[2].contains("Paris") && lines[2].trim_start().starts_with('1'));
        assert!(lines[3].contains("Tokyo") && lines[3].trim_start().starts_with('1'));
        assert!(lines[4].contains("London") && lines[4].contains('-'));
    }
}
