//! `healthy-city score`: any framework scored, every year, with the intermediate data sets;
//! and [`score_and_publish`], the one scoring-and-publishing path `run` shares with it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use healthy_city_model::Framework;
use healthy_city_score::Results;

use crate::analysis::with_scenario;
use crate::args::{Format, InputArgs, ScoreArgs, Tables};
use crate::inputs::Inputs;
use crate::publish::{self, Outputs};

pub fn run(args: &ScoreArgs) -> Result<()> {
    score_and_publish(&Job {
        input: &args.input,
        scenario: args.publish.scenario.as_deref(),
        year: args.year,
        out: &args.publish.out,
        city: args.city.as_deref(),
        implicit_city: None,
        no_charts: args.publish.no_charts,
        tables: args.publish.tables,
        format: args.format,
        data_table: true,
    })
}

/// One scoring run as `run` or `score` asks for it.
pub struct Job<'a> {
    pub input: &'a InputArgs,
    /// `--scenario`: a shipped name or a file, applied before scoring.
    pub scenario: Option<&'a str>,
    /// `--year`: the year printed and charted (default: the latest ranked year).
    pub year: Option<i32>,
    pub out: &'a Path,
    /// `--city`: the focus city, which must be scored.
    pub city: Option<&'a str>,
    /// The focus used when neither `--city` nor the framework's `[data] focus` names one, if
    /// it is among the cities scored (`run`: London).
    pub implicit_city: Option<&'a str>,
    pub no_charts: bool,
    /// The tables' file format.
    pub tables: Tables,
    pub format: Format,
    /// Whether to write data.csv, the intermediate data sets (`score`).
    pub data_table: bool,
}

/// Scores the job's framework (with its scenario) on every year, stages the tables and charts,
/// commits them together, then prints the ranking of the year.
pub fn score_and_publish(job: &Job<'_>) -> Result<()> {
    let inputs = Inputs::load(job.input.framework.as_deref(), job.input.data.as_deref())?;
    let framework = with_scenario(&inputs, job.scenario)?;
    // `score` writes the data sets too: computed in the same pass as the scores.
    let (results, sets) = if job.data_table {
        let (results, sets) = healthy_city_score::score_with_data_sets(
            &framework,
            &inputs.catalogue,
            &inputs.cities,
            &inputs.observations,
        )
        .with_context(|| format!("cannot score `{}`", framework.file()))?;
        (results, Some(sets))
    } else {
        let results = healthy_city_score::score(
            &framework,
            &inputs.catalogue,
            &inputs.cities,
            &inputs.observations,
        )
        .with_context(|| format!("cannot score `{}`", framework.file()))?;
        (results, None)
    };
    let y = year_slot(&results, &framework, job.year)?;
    let focus = focus(&results, &framework, job)?;

    let mut outputs = Outputs::new(job.out)?;
    let tables = job.tables;
    let put = |outputs: &mut Outputs, stem: &str, table: &healthy_city_report::Table| match tables {
        Tables::Csv => outputs.table(&format!("{stem}.csv"), table),
        Tables::Parquet => outputs.write_with(&format!("{stem}.parquet"), |w| {
            healthy_city_report::write_parquet(table, w)
        }),
    };
    put(
        &mut outputs,
        "ranking",
        &healthy_city_report::ranking_table(&results),
    )?;
    // The node scores are streamed, never held: millions of rows in a large run.
    match tables {
        Tables::Csv => outputs.write_with("scores.csv", |w| {
            healthy_city_report::stream_scores_csv(&results, w)
        })?,
        Tables::Parquet => outputs.write_with("scores.parquet", |w| {
            healthy_city_report::stream_scores_parquet(&results, w)
        })?,
    }
    put(
        &mut outputs,
        "weights",
        &healthy_city_report::weights_table(&results),
    )?;
    put(
        &mut outputs,
        "treatment",
        &healthy_city_report::treatment_table(&results),
    )?;
    put(
        &mut outputs,
        "indicators",
        &healthy_city_report::indicators_table(&framework, &inputs.catalogue),
    )?;
    put(
        &mut outputs,
        "unscored",
        &healthy_city_report::unscored_table(&results),
    )?;
    if let Some(sets) = &sets {
        put(
            &mut outputs,
            "data",
            &healthy_city_report::data_table(sets, framework.methods.impute),
        )?;
    }
    if !job.no_charts {
        charts(&mut outputs, &inputs, &framework, &results, y, focus)?;
    }
    let written = outputs.commit_quietly()?;
    if let Some(first) = results.unscored.first() {
        let n = results.unscored.len();
        publish::status(&format!(
            "note: {n} unit-year{} left without a score: a group's mean cannot take a child of 0 or less (the first: `{}` in {}, child `{}` = {} under a {} mean); see unscored.csv, or set `nonpositive` in the framework",
            if n == 1 { "" } else { "s" },
            results.cities[first.city],
            results.years[first.year],
            results.nodes[first.child].id,
            first.value,
            first.aggregation
        ));
    }

    let focus_id = focus.map(|c| results.cities[c].as_str());
    let text = match job.format {
        Format::Table => healthy_city_report::format_table(&results, Some(y), focus_id)?,
        Format::Csv | Format::Json => String::new(),
    };
    publish::print_result(
        job.format,
        &text,
        "",
        &healthy_city_report::latest_table(&results, y),
    )?;
    publish::wrote(&written);
    Ok(())
}

/// The year slot printed and charted: `--year` (it must be a ranked year of the results), else
/// the latest ranked year.
fn year_slot(results: &Results, framework: &Framework, year: Option<i32>) -> Result<usize> {
    let Some(year) = year else {
        return results.latest_ranked_year().with_context(|| {
            format!(
                "no year of `{}` has enough {} ranked (coverage.year_min_share = {}): lower the coverage thresholds or add data",
                framework.file(),
                framework.units,
                results.year_min_share
            )
        });
    };
    let Some(y) = results.years.iter().position(|&v| v == year) else {
        let years: Vec<String> = results.years.iter().map(ToString::to_string).collect();
        bail!(
            "--year {year}: `{}` has no data in {year}: give one of its years ({})",
            framework.file(),
            years.join(", ")
        );
    };
    if !results.year_ranked[y] {
        bail!(
            "--year {year}: {year} is not ranked in `{}` (too few {} meet the coverage thresholds): give a ranked year ({})",
            framework.file(),
            framework.units,
            results.ranked_years()
        );
    }
    Ok(y)
}

/// The focus city's slot: `--city` (it must be scored), else the framework's `[data] focus`
/// (likewise), else the job's implicit city when it is scored, else none.
fn focus(results: &Results, framework: &Framework, job: &Job<'_>) -> Result<Option<usize>> {
    let example = results.city_names.first().map_or("Paris", String::as_str);
    if let Some(name) = job.city {
        let slot = results.city_slot(name).with_context(|| {
            format!(
                "city `{name}` is not among the {} scored by `{}`: give an id or name from the registry (e.g. `--city {example}`)",
                framework.units,
                framework.file()
            )
        })?;
        return Ok(Some(slot));
    }
    if let Some(name) = &framework.data.focus {
        let slot = results.city_slot(name).with_context(|| {
            format!(
                "`[data] focus = \"{name}\"` in `{}` is not among the {} scored: give an id or name from the registry (e.g. `focus = \"{example}\"`), or remove the key",
                framework.file(),
                framework.units
            )
        })?;
        return Ok(Some(slot));
    }
    let Some(name) = job.implicit_city else {
        return Ok(None);
    };
    let slot = results.city_slot(name);
    if slot.is_none() && !job.no_charts {
        publish::status(&format!(
            "note: {name} is not among the cities scored by `{}`: only the ranking chart is drawn; give --city NAME or `[data] focus` for a city's trajectory and profile",
            framework.file()
        ));
    }
    Ok(slot)
}

/// Stages the ranking chart of year slot `y`, and with a focus city its trajectory and
/// profile charts.
fn charts(
    outputs: &mut Outputs,
    inputs: &Inputs,
    framework: &Framework,
    results: &Results,
    y: usize,
    focus: Option<usize>,
) -> Result<()> {
    let footnote = healthy_city_report::source_footnote(framework, &inputs.catalogue);
    let year = healthy_city_report::Year(results.years[y]);
    let city = focus.map(healthy_city_report::Focus::new);
    let (svg, png) = outputs.chart("ranking")?;
    healthy_city_report::write_chart(
        &healthy_city_report::RankingChart {
            results,
            year,
            focus: city,
            source: &footnote,
        },
        &svg,
        &png,
    )?;
    let Some(city) = city else {
        return Ok(());
    };
    let city_id = &results.cities[city.slot()];
    let (svg, png) = outputs.chart(&format!("trajectory-{city_id}"))?;
    healthy_city_report::write_chart(
        &healthy_city_report::TrajectoryChart {
            results,
            city,
            references: &framework.report.reference_ranks,
            source: &footnote,
        },
        &svg,
        &png,
    )?;
    let (svg, png) = outputs.chart(&format!("profile-{city_id}"))?;
    healthy_city_report::write_chart(
        &healthy_city_report::ProfileChart {
            results,
            city,
            year,
            catalogue: &inputs.catalogue,
            source: &footnote,
        },
        &svg,
        &png,
    )?;
    Ok(())
}
