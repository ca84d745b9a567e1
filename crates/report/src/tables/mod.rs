//! The tables of every command, built once from the results and written by the writers of
//! [`crate::table`]: the run's ranking, scores, weights and treatment and its terminal table,
//! `score`'s intermediate data sets ([`data_table`])
//! (here), the audit's five tables ([`audit`]), and the analyses' tables ([`analysis`]).

use std::cmp::Ordering;
use std::path::Path;

use healthy_city_model::{Catalogue, Framework, Impute, NOT_GIVEN};
use healthy_city_score::{DataSets, Results};

use crate::chart::{city, ranked_year};
use crate::error::{Error, Result};
use crate::table::{render_terminal, write_csv, Cell, Column, CsvRows, ParquetTableRows, Table};
use healthy_city_model::ParquetKind;

mod analysis;
mod audit;

pub use analysis::*;
pub use audit::*;

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

/// The score column, and with `methods.round` the unrounded score alongside:
/// `score[,score_unrounded]`.
fn score_columns(results: &Results) -> Vec<Column> {
    let mut columns = vec![Column::new("score")];
    if results.round.is_some() {
        columns.push(Column::new("score_unrounded"));
    }
    columns
}

/// The cells of [`score_columns`] for one score: the score as ranked (rounded with the
/// ranking's own function when the framework rounds), then the unrounded score if rounded.
fn score_cells(results: &Results, y: usize, c: usize, node: usize) -> Vec<Cell> {
    let mut cells = Vec::with_capacity(2);
    push_score_cells(results, y, c, node, &mut cells);
    cells
}

/// [`score_cells`] pushed onto `row`.
fn push_score_cells(results: &Results, y: usize, c: usize, node: usize, row: &mut Vec<Cell>) {
    row.push(results.ranked_score(y, c, node).into());
    if results.round.is_some() {
        row.push(results.score(y, c, node).into());
    }
}

/// Sets `cell` to `text`, reusing its string when it holds one (no allocation per row).
fn set_text(cell: &mut Cell, text: &str) {
    if let Cell::Text(s) = cell {
        s.clear();
        s.push_str(text);
    } else {
        *cell = Cell::Text(text.to_string());
    }
}

/// `city,year,score,rank` for every ranked (year, city): the index score at full precision
/// (shortest round-trip form) and its competition rank. With `methods.round = N`, `score` is
/// the score rounded to N decimals, as ranked, and `score_unrounded` (after `score`) the score
/// as computed. Rows by year, then rank (ties by city id).
pub fn ranking_table(results: &Results) -> Table {
    let mut columns = vec![Column::new("city"), Column::new("year")];
    columns.extend(score_columns(results));
    columns.push(Column::new("rank"));
    columns.extend(level_columns());
    let mut table = Table::new(columns);
    for y in 0..results.years.len() {
        for c in cities_by_rank(results, y) {
            if let Some(rank) = results.rank(y, c, results.root) {
                let mut row = vec![(&results.cities[c]).into(), results.years[y].into()];
                row.extend(score_cells(results, y, c, results.root));
                row.push(rank.into());
                row.extend(level_cells(results, y, c));
                table.push(row);
            }
        }
    }
    table
}

/// The level breakdown's columns: `city_share,region_share,national_share`, the shares of a
/// score resting on the city's own values (city or metropolitan area), on regional values and
/// on national values (they add up to 1).
fn level_columns() -> [Column; 3] {
    [
        Column::new("city_share").decimals(3),
        Column::new("region_share").decimals(3),
        Column::new("national_share").decimals(3),
    ]
}

/// The level breakdown of city slot `c` in year slot `y` (see [`level_columns`]).
fn level_cells(results: &Results, y: usize, c: usize) -> [Cell; 3] {
    [
        results.own_share(y, c).into(),
        results.region_share(y, c).into(),
        results.proxy_share(y, c).into(),
    ]
}

/// `city,year,node,score,rank` for every node of the tree, every year and city whose score is
/// not missing; `rank` is empty where unranked. Indicators hold normalised values. With
/// `methods.round`, `score` is rounded as ranked and `score_unrounded` follows it (as in
/// [`ranking_table`]). Rows by year, then the city's index rank (unranked last, by city id),
/// then node in framework order.
pub fn scores_table(results: &Results) -> Table {
    let mut table = Table::new(scores_columns(results));
    for_each_score_row(results, |row| {
        table.push(row.to_vec());
        Ok(())
    })
    .unwrap_or_default();
    table
}

/// [`scores_table`] written as CSV row by row, never held: at 10,000 cities, 125 nodes and 20
/// years it is 25 million rows.
pub fn stream_scores_csv(results: &Results, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut rows = CsvRows::new(out, &scores_columns(results))?;
    for_each_score_row(results, |row| rows.row(row))?;
    rows.finish()
}

/// [`scores_table`] written as Parquet in row groups, never held (see [`stream_scores_csv`]):
/// `city` and `node` text, `year` and `rank` integers, the scores floats, `imputed` boolean.
pub fn stream_scores_parquet(
    results: &Results,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let columns = scores_columns(results);
    let kinds = columns
        .iter()
        .map(|c| match c.name.as_str() {
            "city" | "node" => ParquetKind::Text,
            "year" | "rank" => ParquetKind::Int,
            "imputed" => ParquetKind::Bool,
            _ => ParquetKind::Float,
        })
        .collect();
    let mut rows = ParquetTableRows::new(out, &columns, kinds)?;
    for_each_score_row(results, |row| rows.row(row))?;
    rows.finish()
}

/// The columns of [`scores_table`].
fn scores_columns(results: &Results) -> Vec<Column> {
    let mut columns = vec![
        Column::new("city"),
        Column::new("year"),
        Column::new("node"),
    ];
    columns.extend(score_columns(results));
    columns.push(Column::new("rank"));
    // A group's `impute`: which group scores were filled (only when one imputes).
    if !results.group_imputed.is_empty() {
        columns.push(Column::new("imputed"));
    }
    columns
}

/// Calls `f` with each row of [`scores_table`], in order, in one reused buffer (its city and
/// node strings reused too: 25 million rows must not take 50 million allocations).
fn for_each_score_row(
    results: &Results,
    mut f: impl FnMut(&[Cell]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let flagged = !results.group_imputed.is_empty();
    let mut row: Vec<Cell> = vec![Cell::Empty; 3];
    for y in 0..results.years.len() {
        for c in cities_by_rank(results, y) {
            for (node, info) in results.nodes.iter().enumerate() {
                let score = results.score(y, c, node);
                if score.is_nan() {
                    continue;
                }
                row.truncate(3);
                set_text(&mut row[0], &results.cities[c]);
                row[1] = results.years[y].into();
                set_text(&mut row[2], &info.id);
                push_score_cells(results, y, c, node, &mut row);
                row.push(Cell::int_or_empty(results.rank(y, c, node)));
                if flagged {
                    row.push(Cell::Bool(results.group_imputed(y, c, node)));
                }
                f(&row)?;
            }
        }
    }
    Ok(())
}

/// `city,year,ranked,coverage,city_share,region_share,national_share,imputed_share`: for every
/// city and year with an index score, whether it is ranked, the share of the index's weight its
/// measured indicators carry, the level breakdown (see [`level_columns`]) and the share of its
/// score resting on imputed values. Rows by year, then rank (unranked last, by city id).
pub fn coverage_table(results: &Results) -> Table {
    let mut columns = vec![
        Column::new("city"),
        Column::new("year"),
        Column::new("ranked"),
        Column::new("coverage").decimals(3),
    ];
    columns.extend(level_columns());
    columns.push(Column::new("imputed_share").decimals(3));
    let mut table = Table::new(columns);
    for y in 0..results.years.len() {
        for c in cities_by_rank(results, y) {
            if results.score(y, c, results.root).is_nan() {
                continue;
            }
            table.push(
                vec![
                    (&results.cities[c]).into(),
                    results.years[y].into(),
                    results.is_ranked(y, c).into(),
                    results.coverage(y, c).into(),
                ]
                .into_iter()
                .chain(level_cells(results, y, c))
                .chain([results.imputed_share(y, c).into()])
                .collect(),
            );
        }
    }
    table
}

/// `node,level,weight,effective_weight`: the weight of every node as used (derived weights
/// included) and its effective weight in the index (COINr `get_eff_weights`).
pub fn weights_table(results: &Results) -> Table {
    let mut table = Table::new(vec![
        Column::new("node"),
        Column::new("level"),
        Column::new("weight"),
        Column::new("effective_weight"),
    ]);
    for w in &results.effective_weights {
        table.push(vec![
            (&w.id).into(),
            w.level.into(),
            w.weight.into(),
            w.effective.into(),
        ]);
    }
    table
}

/// `city,year,group,child,value,aggregation,reason`: every city-year a group left without a
/// score because its mean cannot take a child (`nonpositive = "unscored"`); the group and
/// every group above it have no score that year. Header only when there is none.
pub fn unscored_table(results: &Results) -> Table {
    let mut table = Table::new(
        [
            "city",
            "year",
            "group",
            "child",
            "value",
            "aggregation",
            "reason",
        ]
        .into_iter()
        .map(Column::new)
        .collect(),
    );
    for u in &results.unscored {
        let (group, child) = (&results.nodes[u.node].id, &results.nodes[u.child].id);
        table.push(vec![
            (&results.cities[u.city]).into(),
            Cell::Int(i64::from(results.years[u.year])),
            group.into(),
            child.into(),
            u.value.into(),
            u.aggregation.to_string().into(),
            format!(
                "child `{child}` is {}: a {} mean needs {}; the city has no `{group}` score (nor any above it) this year",
                u.value,
                u.aggregation,
                healthy_city_score::domain_of(u.aggregation)
            )
            .into(),
        ]);
    }
    table
}

/// `indicator,name,unit,direction,level,publisher,dataset,release,licence,url`: what each
/// indicator of the framework is and where its values come from, [`NOT_GIVEN`] where the
/// catalogue does not say (a minimal catalogue of `id,direction`). Framework order; an
/// indicator read from several sources has a row per source, in the catalogue's order, each
/// with that source's level.
pub fn indicators_table(framework: &Framework, catalogue: &Catalogue) -> Table {
    let mut table = Table::new(
        [
            "indicator",
            "name",
            "unit",
            "direction",
            "level",
            "publisher",
            "dataset",
            "release",
            "licence",
            "url",
        ]
        .into_iter()
        .map(Column::new)
        .collect(),
    );
    for node in framework.indicators() {
        let Some(i) = catalogue.get(&node.id) else {
            continue;
        };
        let direction = framework.direction(node, catalogue).unwrap_or(i.direction);
        let given = |text: Option<&str>| -> Cell {
            text.filter(|t| !t.is_empty()).unwrap_or(NOT_GIVEN).into()
        };
        // One row per source, in the catalogue's order, each with its own level.
        let by_source = i.by_source();
        let rows: Vec<&healthy_city_model::Indicator> = if by_source.is_empty() {
            vec![i]
        } else {
            by_source.iter().collect()
        };
        for part in rows {
            let source = part.source.as_ref();
            table.push(vec![
                (&i.id).into(),
                (&i.name).into(),
                given(Some(&i.unit)),
                direction.to_string().into(),
                part.level_text().into(),
                given(source.map(|s| s.publisher.as_str())),
                given(source.map(|s| s.dataset.as_str())),
                given(source.map(|s| s.release.as_str())),
                given(source.map(|s| s.licence.as_str())),
                given(source.and_then(|s| s.url.as_deref())),
            ]);
        }
    }
    table
}

/// `indicator,city,year,raw,imputed,imputed_flag,impute_method,treated,normalised`: every
/// value of the steps before aggregation (COINr's `Raw`, `Imputed`, `Treated` and
/// `Normalised` data sets, long form), one row per indicator, city and year with a value in any
/// step. `raw` is the observation as scored (denominated, screened), `imputed` the value after
/// imputation, `imputed_flag` whether imputation filled it and `impute_method` how (empty when
/// not imputed), `treated` the value after the indicator's transform and outlier treatment,
/// `normalised` the normalised value (what `scores.csv` holds for the indicator). Empty where
/// missing. Rows by indicator (framework order), city (registry order), year.
pub fn data_table(sets: &DataSets, impute_method: Impute) -> Table {
    let mut table = Table::new(
        [
            "indicator",
            "city",
            "year",
            "raw",
            "imputed",
            "imputed_flag",
            "impute_method",
            "treated",
            "normalised",
        ]
        .map(Column::new)
        .to_vec(),
    );
    let panel = &sets.raw;
    let (nc, ni) = (panel.cities.len(), panel.indicators.len());
    let method = impute_method.to_string();
    for (i, indicator) in panel.indicators.iter().enumerate() {
        for (c, city) in panel.cities.iter().enumerate() {
            for (y, &year) in panel.years.iter().enumerate() {
                let at = (y * nc + c) * ni + i;
                let values = [
                    sets.raw.values[at],
                    sets.imputed.values[at],
                    sets.treated.values[at],
                    sets.normalised.values[at],
                ];
                if values.iter().all(|v| v.is_nan()) {
                    continue;
                }
                let flag = sets.imputed_flags[at];
                table.push(vec![
                    indicator.into(),
                    city.into(),
                    year.into(),
                    Cell::float_or_empty(values[0]),
                    Cell::float_or_empty(values[1]),
                    flag.into(),
                    if flag { (&method).into() } else { Cell::Empty },
                    Cell::float_or_empty(values[2]),
                    Cell::float_or_empty(values[3]),
                ]);
            }
        }
    }
    table
}

/// What outlier treatment did, one row per treated indicator and scope (COINr's `Treat`
/// details): skewness and kurtosis before and after, points winsorised, log fallback, and the
/// changed points as `city year old>new` separated by `; `. Only a header when the framework
/// treats nothing.
pub fn treatment_table(results: &Results) -> Table {
    let mut table = Table::new(
        [
            "indicator",
            "year",
            "treatment",
            "skew_before",
            "kurt_before",
            "pass_before",
            "skew_after",
            "kurt_after",
            "pass_after",
            "nwin",
            "log",
            "points",
        ]
        .map(Column::new)
        .to_vec(),
    );
    for t in &results.treatment.indicators {
        let points: Vec<String> = t
            .points
            .iter()
            .map(|p| format!("{} {} {}>{}", p.city, p.year, p.old, p.new))
            .collect();
        table.push(vec![
            (&t.indicator).into(),
            Cell::int_or_empty(t.year),
            t.treatment.name().into(),
            t.before.skew.into(),
            t.before.kurt.into(),
            t.before.pass.into(),
            t.after.skew.into(),
            t.after.kurt.into(),
            t.after.pass.into(),
            t.nwin.into(),
            t.log.into(),
            points.join("; ").into(),
        ]);
    }
    table
}

/// `city,year,score,rank,city_share,region_share,national_share` of the ranked cities of year slot `y`, by rank (ties by
/// city slot): what `run --format csv|json` prints. With `methods.round`, `score` is rounded as
/// ranked and `score_unrounded` follows it (as in [`ranking_table`]).
pub fn latest_table(results: &Results, y: usize) -> Table {
    let mut columns = vec![Column::new("city"), Column::new("year")];
    columns.extend(score_columns(results));
    columns.push(Column::new("rank"));
    columns.extend(level_columns());
    let mut table = Table::new(columns);
    let mut order: Vec<usize> = (0..results.cities.len())
        .filter(|&c| results.is_ranked(y, c))
        .collect();
    order.sort_by_key(|&c| (results.rank(y, c, results.root), c));
    for c in order {
        let mut row = vec![(&results.cities[c]).into(), results.years[y].into()];
        row.extend(score_cells(results, y, c, results.root));
        row.push(results.rank(y, c, results.root).unwrap_or_default().into());
        row.extend(level_cells(results, y, c));
        table.push(row);
    }
    table
}

/// Writes [`ranking_table`] as CSV to `path`.
pub fn write_ranking_csv(results: &Results, path: &Path) -> Result<()> {
    write_csv_file(&ranking_table(results), path)
}

/// Writes [`scores_table`] as CSV to `path` ([`stream_scores_csv`]).
pub fn write_scores_csv(results: &Results, path: &Path) -> Result<()> {
    healthy_city_fs::write_atomic_with(path, |w| stream_scores_csv(results, w))?;
    Ok(())
}

/// Writes a table as CSV to `path`, atomically (created or replaced).
fn write_csv_file(table: &Table, path: &Path) -> Result<()> {
    healthy_city_fs::write_atomic_with(path, |w| write_csv(table, w))?;
    Ok(())
}

/// A number, or empty (shown `-`) where missing; its column sets the decimals.
fn number_cell(v: f64) -> Cell {
    Cell::float_or_empty(v)
}

/// The terminal table of year slot `year` (the latest ranked year if `None`): rank, city,
/// index score, one column per domain, and the share of the score resting on national proxies
/// (`-` where missing). Scores are shown as ranked (rounded with `methods.round`) with
/// [`score_decimals`](crate::score_decimals) decimals, the proxy share with one. Ranked cities first, by rank; then the unranked. The
/// `focus` city is marked `>`. Returns the title line and the table.
pub fn ranking_terminal_table(
    results: &Results,
    year: Option<usize>,
    focus: Option<&str>,
) -> Result<(String, Table)> {
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

    let decimals = crate::format::score_decimals(results, y);
    let number = |name: &str, decimals: usize| Column::new(name).decimals(decimals).gap(2);
    let mut columns = vec![Column::new("rank"), Column::new("city").left().gap(2)];
    columns.push(number("score", decimals));
    columns.extend(
        domains
            .iter()
            .map(|&d| number(&results.nodes[d].name, decimals)),
    );
    // The level breakdown: the national share always (the default index's 80%), the regional
    // share when some city's score rests on regional values that year.
    let regional = (0..results.cities.len()).any(|c| results.region_share(y, c) > 0.0);
    if regional {
        columns.push(number("region %", 1));
    }
    columns.push(number("national %", 1));
    let mut table = Table::new(columns).missing("-");
    for c in cities_by_rank(results, y) {
        let marker = if Some(c) == focus { "> " } else { "  " };
        let rank = results
            .rank(y, c, results.root)
            .map_or_else(|| "-".to_string(), |r| r.to_string());
        let mut row = vec![
            format!("{marker}{rank}").into(),
            (&results.city_names[c]).into(),
            number_cell(results.ranked_score(y, c, results.root)),
        ];
        row.extend(
            domains
                .iter()
                .map(|&d| number_cell(results.ranked_score(y, c, d))),
        );
        let scored = !results.score(y, c, results.root).is_nan();
        let percent = |share: f64| if scored { 100.0 * share } else { f64::NAN };
        if regional {
            row.push(number_cell(percent(results.region_share(y, c))));
        }
        row.push(number_cell(percent(results.proxy_share(y, c))));
        table.push(row);
    }
    let year_label = results.years[y];
    let status = if results.year_ranked[y] {
        format!(
            "{} of {} {} ranked",
            results.n_ranked(y),
            results.cities.len(),
            results.units
        )
    } else {
        format!("not ranked (too few {} have enough data)", results.units)
    };
    Ok((
        format!("{}, {year_label}: {status}\n", results.index_name),
        table,
    ))
}

/// [`ranking_terminal_table`] as text: the title line, then the aligned table.
pub fn format_table(results: &Results, year: Option<usize>, focus: Option<&str>) -> Result<String> {
    let (title, table) = ranking_terminal_table(results, year, focus)?;
    Ok(title + &render_terminal(&table))
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
        // See chart::testdata for the hand computation; 2017 is a three-way tie at 50. Life
        // expectancy, a national proxy, carries half of every score: the level breakdown.
        assert_eq!(
            read(&path),
            "city,year,score,rank,city_share,region_share,national_share
london,2017,50,1,0.5,0,0.5
paris,2017,50,1,0.5,0,0.5
tokyo,2017,50,1,0.5,0,0.5
paris,2018,50,1,0.5,0,0.5
tokyo,2018,50,1,0.5,0,0.5
london,2019,87.5,1,0.5,0,0.5
paris,2019,50,2,0.5,0,0.5
tokyo,2019,0,3,0.5,0,0.5
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
    fn with_round_the_files_hold_the_rounded_score_and_the_unrounded_alongside() {
        let mut r = results();
        // Rounded half away from zero to 0 decimals (the ranking's round_score): 2019 London
        // 87.5 -> 88, Paris 50, Tokyo 0.
        r.round = Some(0);
        let ranking = ranking_table(&r).to_csv();
        assert!(
            ranking.starts_with(
                "city,year,score,score_unrounded,rank,city_share,region_share,national_share\n"
            ),
            "{ranking}"
        );
        assert!(
            ranking.ends_with(
                "london,2019,88,87.5,1,0.5,0,0.5\nparis,2019,50,50,2,0.5,0,0.5\ntokyo,2019,0,0,3,0.5,0,0.5\n"
            ),
            "{ranking}"
        );
        let scores = scores_table(&r).to_csv();
        assert!(scores.starts_with("city,year,node,score,score_unrounded,rank\n"));
        // London's air (pm25 normalised 75) and index in 2019.
        assert!(scores.contains("london,2019,index,88,87.5,1\n"), "{scores}");
        assert!(scores.contains("london,2019,air,75,75,1\n"), "{scores}");
        let latest = latest_table(&r, 2).to_csv();
        assert!(
            latest.starts_with(
                "city,year,score,score_unrounded,rank,city_share,region_share,national_share\nlondon,2019,88,87.5,1,0.5,0,0.5\n"
            ),
            "{latest}"
        );
        // The terminal shows exactly 0 decimals: the rounded score.
        let text = format_table(&r, None, None).unwrap();
        assert!(
            text.lines().nth(2).unwrap().contains("London     88"),
            "{text}"
        );
        // Without round: no score_unrounded column (the default index's files are unchanged).
        assert!(ranking_table(&results())
            .to_csv()
            .starts_with("city,year,score,rank,city_share,"));
    }

    #[test]
    fn the_data_table_holds_every_step_before_aggregation() {
        let (sets, framework) = crate::testdata::data_sets_with("impute = \"mean\"");
        let text = data_table(&sets, framework.methods.impute).to_csv();
        // London has no 2018 data: mean imputation fills life (79 + 73) / 2 = 76 and pm25
        // (25 + 15) / 2 = 20. Panel min-max (imputed values included, bounds unchanged):
        // life 70..82, so 76 -> 50 and 82 -> 100; pm25 10..30 reversed, so 20 -> 50 and
        // 15 -> 75. No transform or treatment: treated = imputed. Exact in binary.
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "indicator,city,year,raw,imputed,imputed_flag,impute_method,treated,normalised",
                "life,london,2017,76,76,false,,76,50",
                "life,london,2018,,76,true,mean,76,50",
                "life,london,2019,82,82,false,,82,100",
            ]
        );
        assert!(
            lines.contains(&"pm25,london,2018,,20,true,mean,20,50"),
            "{text}"
        );
        assert!(
            lines.contains(&"pm25,london,2019,15,15,false,,15,75"),
            "{text}"
        );
        // Paris 2017: life 82 -> 100; Tokyo 2019 pm25 30 -> 0.
        assert!(
            lines.contains(&"life,paris,2017,82,82,false,,82,100"),
            "{text}"
        );
        assert!(
            lines.contains(&"pm25,tokyo,2019,30,30,false,,30,0"),
            "{text}"
        );
        // 2 indicators x 3 cities x 3 years, every cell present after imputation.
        assert_eq!(lines.len(), 1 + 18);
        // Without imputation London's 2018 rows are missing in every step: left out.
        let (sets, framework) = crate::testdata::data_sets_with("");
        let text = data_table(&sets, framework.methods.impute).to_csv();
        assert!(!text.contains("london,2018"), "{text}");
        assert_eq!(text.lines().count(), 1 + 16);
    }

    #[test]
    fn a_csv_error_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        // The writer creates missing folders (healthy_city_fs::write_atomic), so the failure
        // here is a file standing where the folder must be.
        let blocker = dir.path().join("missing");
        std::fs::write(&blocker, "a file, not a folder").unwrap();
        let path = blocker.join("ranking.csv");
        let err = write_ranking_csv(&results(), &path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot create the folder `{}`", blocker.display())
        );
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn the_table_lists_cities_in_rank_order_with_domains_and_national_share() {
        let table = format_table(&results(), None, Some("London")).unwrap();
        assert_eq!(
            table,
            "Tiny healthy-city index, 2019: 3 of 3 cities ranked
rank  city    score  Health   Air  national %
 > 1  London   87.5   100.0  75.0        50.0
   2  Paris    50.0    50.0  50.0        50.0
   3  Tokyo     0.0     0.0   0.0        50.0
"
        );
        // With a regional value (Paris's life expectancy), a regional column joins.
        let table = format_table(&crate::testdata::regional_paris(), None, None).unwrap();
        assert!(table.contains("region %  national %"), "{table}");
        assert!(
            table.contains("   2  Paris    50.0    50.0  50.0      50.0         0.0"),
            "{table}"
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
