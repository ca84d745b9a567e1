//! `healthy-city run`: score every year, write the ranking, scores, weights and treatment
//! tables and three charts, print the latest ranking.

use anyhow::{bail, Context, Result};
use healthy_city_model::Level;

use crate::args::{Format, RunArgs};
use crate::inputs::Inputs;
use crate::publish::{self, Outputs};

pub fn run(args: &RunArgs) -> Result<()> {
    let inputs = Inputs::load(args.input.framework.as_deref(), args.input.data.as_deref())?;
    let results = healthy_city_score::score(
        &inputs.framework,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
    )
    .with_context(|| format!("cannot score `{}`", inputs.framework.file()))?;
    let Some(latest) = results.latest_ranked_year() else {
        bail!(
            "no year of `{}` has enough cities ranked (coverage.year_min_share = {}): lower the coverage thresholds or add data",
            inputs.framework.file(),
            results.year_min_share
        );
    };
    let Some(focus) = results.city_slot(&args.city) else {
        bail!(
            "city `{}` is not among the cities scored by `{}`: give a city id or name from cities.toml (e.g. `--city Paris`)",
            args.city,
            inputs.framework.file()
        );
    };

    let footnote = healthy_city_report::source_footnote(&inputs.framework, &inputs.catalogue);
    let city_id = results.cities[focus].clone();
    let mut outputs = Outputs::new(&args.out)?;
    outputs.table("ranking.csv", &healthy_city_report::ranking_table(&results))?;
    outputs.table("scores.csv", &healthy_city_report::scores_table(&results))?;
    outputs.table("weights.csv", &healthy_city_report::weights_table(&results))?;
    outputs.table(
        "treatment.csv",
        &healthy_city_report::treatment_table(&results),
    )?;
    let year = healthy_city_report::Year(results.years[latest]);
    let city = healthy_city_report::Focus::new(focus);
    let (svg, png) = outputs.chart("ranking")?;
    healthy_city_report::write_chart(
        &healthy_city_report::RankingChart {
            results: &results,
            year,
            focus: Some(city),
            source: &footnote,
        },
        &svg,
        &png,
    )?;
    let (svg, png) = outputs.chart(&format!("trajectory-{city_id}"))?;
    healthy_city_report::write_chart(
        &healthy_city_report::TrajectoryChart {
            results: &results,
            city,
            references: &healthy_city_report::LONDON_REFERENCES,
            source: &footnote,
        },
        &svg,
        &png,
    )?;
    let national: Vec<&str> = inputs
        .catalogue
        .iter()
        .filter(|i| i.level == Level::National)
        .map(|i| i.id.as_str())
        .collect();
    let (svg, png) = outputs.chart(&format!("profile-{city_id}"))?;
    healthy_city_report::write_chart(
        &healthy_city_report::ProfileChart {
            results: &results,
            city,
            year,
            national: &national,
            source: &footnote,
        },
        &svg,
        &png,
    )?;
    let written = outputs.commit_quietly()?;

    let text = match args.format {
        Format::Table => healthy_city_report::format_table(&results, Some(latest), Some(&city_id))?,
        Format::Csv | Format::Json => String::new(),
    };
    publish::print_result(
        args.format,
        &text,
        "",
        &healthy_city_report::latest_table(&results, latest),
    )?;
    publish::wrote(&written);
    Ok(())
}
