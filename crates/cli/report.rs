//! `healthy-city report`: the index and every analysis run once, and the publication report
//! written from them: report.html (self-contained), report.xlsx, and every chart and table
//! beside them, staged and moved into place together.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use healthy_city_model::Framework;
use healthy_city_report::{
    render_png, render_svg, Chart, Figure, Focus, ReportPage, Section, Sheet, Table, Year,
};
use healthy_city_score::{Objective, Sampler, SobolDesign};

use crate::analysis::{self, base_framework, factor_labels, load_scenario, progress, SCENARIOS};
use crate::args::ReportArgs;
use crate::inputs::{embedded, Inputs};
use crate::publish::{self, status, Outputs};
use crate::signals::{cancellable, CANCEL};

/// Cities drawn in the comparison chart, by nominal rank (the focus city is added).
const COMPARE_TOP: usize = 15;
/// Bootstrap resamples of the sensitivity intervals.
const BOOTSTRAP: usize = 500;

/// A chart staged as SVG and PNG under charts/, its SVG kept for the page.
fn chart<C: Chart>(outputs: &mut Outputs, name: &str, chart: &C) -> Result<String> {
    let svg = render_svg(chart)?;
    let png = render_png(chart)?;
    outputs.bytes(&format!("charts/{name}.svg"), svg.as_bytes())?;
    outputs.bytes(&format!("charts/{name}.png"), &png)?;
    Ok(svg)
}

/// One figure of the page.
fn figure(svg: String, caption: impl Into<String>) -> Figure {
    Figure {
        svg,
        caption: caption.into(),
    }
}

#[allow(clippy::result_large_err)]
pub fn run(args: &ReportArgs) -> Result<()> {
    let started = Instant::now();
    let common = &args.common;
    let inputs = Inputs::load(
        common.input.framework.as_deref(),
        common.input.data.as_deref(),
    )?;
    let framework = base_framework(&inputs, &args.inputs)?;
    let (results, sets) = healthy_city_score::score_with_data_sets(
        &framework,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
    )
    .with_context(|| format!("cannot score `{}`", framework.file()))?;
    let engine = analysis::engine(&inputs, &framework, common.year, &args.inputs.imputations)?;
    let year = engine.year;
    let y = results
        .years
        .iter()
        .position(|&v| v == year)
        .context("the analysed year is not among the scored years")?;
    // The focus: --city, else the framework's focus, else London when it is scored.
    let focus_name = analysis::focus_name(args.city.as_deref(), &framework)
        .or_else(|| results.city_slot("london").map(|_| "london"));
    let focus = match focus_name {
        Some(name) => Some(analysis::city(&engine, name)?),
        None => None,
    };
    let focus_id = focus.map(|c| engine.cities[c].clone());
    let focus_slot = focus_id.as_deref().and_then(|id| results.city_slot(id));
    let source = healthy_city_report::source_footnote(&framework, &inputs.catalogue);
    let units = &framework.units;
    let mut outputs = Outputs::new(&common.out)?;
    let mut sections = Vec::new();
    let mut sheets: Vec<(&'static str, String, Table)> = Vec::new();

    // The scores.
    let ranking = healthy_city_report::ranking_table(&results);
    let scores = healthy_city_report::scores_table(&results);
    let weights = healthy_city_report::weights_table(&results);
    let coverage = healthy_city_report::coverage_table(&results);
    let indicators = healthy_city_report::indicators_table(&framework, &inputs.catalogue);
    let data = healthy_city_report::data_table(&sets, framework.methods.impute);
    for (name, table) in [
        ("ranking.csv", &ranking),
        ("scores.csv", &scores),
        ("weights.csv", &weights),
        ("coverage.csv", &coverage),
        ("indicators.csv", &indicators),
        ("data.csv", &data),
        (
            "treatment.csv",
            &healthy_city_report::treatment_table(&results),
        ),
    ] {
        outputs.table(name, table)?;
    }
    let ranking_svg = chart(
        &mut outputs,
        "ranking",
        &healthy_city_report::RankingChart {
            results: &results,
            year: Year(year),
            focus: focus_slot.map(Focus::new),
            source: &source,
        },
    )?;

    // The focus city's trajectory and profile.
    if let Some(c) = focus_slot {
        let city = Focus::new(c);
        let id = &results.cities[c];
        let name = &results.city_names[c];
        let trajectory = chart(
            &mut outputs,
            &format!("trajectory-{id}"),
            &healthy_city_report::TrajectoryChart {
                results: &results,
                city,
                references: &framework.report.reference_ranks,
                source: &source,
            },
        )?;
        let profile = chart(
            &mut outputs,
            &format!("profile-{id}"),
            &healthy_city_report::ProfileChart {
                results: &results,
                city,
                year: Year(year),
                catalogue: &inputs.catalogue,
                source: &source,
            },
        )?;
        sections.push(Section {
            id: String::from("trajectory"),
            title: format!("{name}'s rank, year by year"),
            figures: vec![figure(
                trajectory,
                format!("{name}'s rank in every ranked year; gaps are years with too few {units} measured."),
            )],
            ..Section::default()
        });
        sections.push(Section {
            id: String::from("strengths"),
            title: String::from("Strengths and weaknesses"),
            figures: vec![figure(
                profile,
                format!("{name}'s score in each domain and indicator, against the {units} ranked and the one ranked first."),
            )],
            ..Section::default()
        });
    }
    sections.insert(
        0,
        Section {
            id: String::from("ranking-chart"),
            title: format!("The ranking, {year}"),
            figures: vec![figure(
                ranking_svg,
                format!("Index scores of the {units} ranked in {year}."),
            )],
            ..Section::default()
        },
    );

    // Scenarios: the framework and each shipped scenario that fits it.
    let mut frameworks = vec![(String::from("nominal"), framework.clone())];
    let mut presets = Vec::new();
    let domains = results.domains();
    for (name, _) in SCENARIOS {
        let scenario = load_scenario(name)?;
        match healthy_city_score::apply_scenario(&scenario, &framework, &inputs.cities) {
            Ok(applied) => {
                // A preset for the page where the scenario sets the domains' weights only.
                let w = &scenario.weights;
                let ws: Option<Vec<f64>> = domains
                    .iter()
                    .map(|&k| {
                        w.iter()
                            .find(|(id, _, _)| *id == results.nodes[k].id)
                            .map(|&(_, v, _)| v)
                    })
                    .collect();
                if let Some(ws) = ws.filter(|_| w.len() == domains.len()) {
                    presets.push((scenario.name.clone(), healthy_city_report::preset_weights(&ws)));
                }
                frameworks.push((scenario.id.clone(), applied));
            }
            Err(e) => status(&format!(
                "note: the shipped scenario `{name}` does not fit `{}` ({e}); the report leaves it out",
                framework.file()
            )),
        }
    }
    let cmp = healthy_city_score::compare(
        &frameworks,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
        Some(year),
    )
    .map_err(analysis::flag)?;
    let compare_table = healthy_city_report::compare_table(&cmp);
    outputs.table("compare.csv", &compare_table)?;
    let compare_svg = chart(
        &mut outputs,
        "compare",
        &healthy_city_report::CompareChart {
            comparison: &cmp,
            index: &framework.name,
            units,
            focus: focus_id
                .as_deref()
                .and_then(|id| cmp.cities.iter().position(|c| c == id))
                .map(Focus::new),
            top: COMPARE_TOP,
            source: &source,
        },
    )?;
    sections.push(Section {
        id: String::from("scenarios"),
        title: String::from("Weighting scenarios"),
        paragraphs: vec![format!(
            "The ranks of {year} under the index's own weights (nominal) and under {} other weighting scenarios; the table gives them for all the {units}.",
            frameworks.len() - 1,
        )],
        figures: vec![figure(compare_svg, "Ranks under each scenario: the top 15 and the focus city.")],
        tables: vec![(String::from("Ranks under each scenario"), compare_table.clone())],
        ..Section::default()
    });
    sheets.push(("scenarios", String::from("Ranks of every city under the index's weights (nominal) and each shipped scenario that fits the framework, with each city's largest shift."), compare_table));

    // Uncertainty.
    let analysis = analysis::analysis(&args.inputs, &engine, &inputs)?;
    let seed = args.inputs.seed;
    let bar = progress(args.runs, "uncertainty");
    let stats = cancellable(|| {
        analysis
            .monte_carlo(
                args.runs,
                seed,
                &mut |_, _, _, _| Ok(()),
                &|done| bar.set_position(done as u64),
                &CANCEL,
            )
            .map_err(analysis::flag)
    })?;
    bar.finish_and_clear();
    let target = engine.node_ids()[engine.target()].clone();
    let uncertainty_table = healthy_city_report::uncertainty_table(&stats, &target);
    outputs.table("uncertainty.csv", &uncertainty_table)?;
    let labels = factor_labels(&analysis);
    let intervals_svg = chart(
        &mut outputs,
        "rank-intervals",
        &healthy_city_report::IntervalChart {
            stats: &stats,
            index: &framework.name,
            year: Year(year),
            runs: args.runs,
            seed,
            inputs: &labels.join(", "),
            names: &engine.city_names,
            focus: focus.map(Focus::new),
            source: &source,
        },
    )?;

    // Sensitivity.
    let k = analysis.factors.len();
    let bar = progress(args.sensitivity_runs, "sensitivity");
    let indices = cancellable(|| {
        healthy_city_score::sensitivity(
            &analysis,
            focus.map_or(Objective::MeanRankShift, Objective::CityRank),
            SobolDesign {
                runs: args.sensitivity_runs,
                sampler: Sampler::Sobol,
                seed,
                bootstrap: BOOTSTRAP,
            },
            &|done| bar.set_position(done as u64),
            &CANCEL,
        )
        .map_err(analysis::flag)
    })?;
    bar.finish_and_clear();
    let output = focus.map_or_else(
        || String::from("mean absolute rank shift"),
        |c| format!("rank of {}", engine.city_names[c]),
    );
    let sensitivity_table = healthy_city_report::sensitivity_table(&analysis.factors, &indices);
    outputs.table("sensitivity.csv", &sensitivity_table)?;
    let sensitivity_svg = chart(
        &mut outputs,
        "sensitivity",
        &healthy_city_report::SensitivityChart {
            indices: &indices,
            index: &framework.name,
            year: Year(year),
            output: &output,
            inputs: &labels,
            runs: args.sensitivity_runs,
            rebuilds: args.sensitivity_runs.saturating_mul(k + 2),
            sampler: "Owen-scrambled Sobol",
            seed,
            bootstrap: BOOTSTRAP,
            source: &source,
        },
    )?;
    sections.push(Section {
        id: String::from("uncertainty"),
        title: String::from("How sure are the ranks?"),
        paragraphs: vec![
            format!(
                "Uncertainty: the index rebuilt {} times (seed {seed}), each time with its uncertain choices drawn at random ({}). The 5-95% interval of each of the {units} is the range of ranks it takes in 90% of the rebuilds.",
                args.runs,
                labels.join(", "),
            ),
            format!(
                "Sensitivity: Sobol indices of the {output}, the share of its variance due to each choice alone (first order) and with its interactions (total effect)."
            ),
        ],
        figures: vec![
            figure(intervals_svg, "Rank intervals over the replications."),
            figure(sensitivity_svg, "Sobol first-order and total-effect indices, with 95% bootstrap intervals."),
        ],
        tables: vec![
            (String::from("Rank statistics"), uncertainty_table.clone()),
            (String::from("Sobol indices"), sensitivity_table.clone()),
        ],
        ..Section::default()
    });
    sheets.push(("uncertainty", format!("Rank statistics of every city over {} replications (seed {seed}): nominal, mean and median rank, 5% and 95% quantiles, P(first), P(top 3).", args.runs), uncertainty_table));
    sheets.push(("sensitivity", format!("Sobol first-order and total-effect indices of the {output}, with 95% bootstrap intervals ({BOOTSTRAP} resamples)."), sensitivity_table));

    // The path to first place.
    if let Some(c) = focus {
        let name = engine.city_names[c].clone();
        let caps = healthy_city_score::resolve_caps(&engine, &[]).map_err(analysis::flag)?;
        match healthy_city_score::path_to_first(&engine, &engine.nominal(), c, &caps) {
            Ok(p) => {
                let runner = engine
                    .city(&p.runner_up.0)
                    .map_or(p.runner_up.0.as_str(), |k| engine.city_names[k].as_str())
                    .to_string();
                let summary = healthy_city_report::path_summary(&p, &name, &runner, None);
                let table = healthy_city_report::path_table(&p, &inputs.catalogue);
                outputs.table("path-to-first.csv", &table)?;
                let labels = healthy_city_report::PathLabel::for_steps(&p, &inputs.catalogue);
                let national = labels.iter().filter(|l| l.national).count();
                let svg = chart(
                    &mut outputs,
                    "path-to-first",
                    &healthy_city_report::PathChart {
                        path: &p,
                        index: &framework.name,
                        city: &name,
                        runner_up: &runner,
                        labels: &labels,
                        source: &source,
                    },
                )?;
                let mut paragraphs = vec![summary.trim().to_string()];
                if national > 0 {
                    paragraphs.push(format!(
                        "Caveat: {national} of the {} indicators on this path are national values used for the city; moving them means moving the whole country, not the city alone.",
                        labels.len()
                    ));
                }
                sections.push(Section {
                    id: String::from("path"),
                    title: format!("What would it take for {name} to be first?"),
                    paragraphs,
                    figures: vec![figure(svg, "The least improvement, indicator by indicator, that makes the city rank first.")],
                    tables: vec![(String::from("Path to first"), table.clone())],
                    ..Section::default()
                });
                sheets.push(("path to first", format!("The least improvement that makes {name} rank first in {year}, indicator by indicator (linear programme)."), table));
            }
            Err(e) => sections.push(Section {
                id: String::from("path"),
                title: format!("What would it take for {name} to be first?"),
                paragraphs: vec![format!("No path to first place was found: {e}.")],
                ..Section::default()
            }),
        }
    }

    // The weight map, where the index has three or more domains.
    if let (Some(c), true) = (focus, domains.len() >= 3) {
        let mut by_weight: Vec<usize> = domains.clone();
        by_weight.sort_by(|&a, &b| {
            results.effective_weights[b]
                .weight
                .total_cmp(&results.effective_weights[a].weight)
                .then(a.cmp(&b))
        });
        let mut three: Vec<usize> = by_weight[..3].to_vec();
        three.sort_unstable();
        let ids = [0, 1, 2].map(|i| results.nodes[three[i]].id.clone());
        let plain = healthy_city_score::Analysis::new(&engine, Vec::new())?;
        let nodes = plain.weight_map_nodes(&ids).map_err(analysis::flag)?;
        let steps = 50;
        let cells = plain.weight_map(nodes, steps, c)?;
        let table = healthy_city_report::weight_map_table(&cells, &engine.cities);
        outputs.table("weight-map.csv", &table)?;
        let nominal_weights = engine.nominal().weights;
        let total: f64 = nodes.iter().map(|&k| nominal_weights[k]).sum();
        let names = [0, 1, 2].map(|i| results.nodes[three[i]].name.clone());
        let svg = chart(
            &mut outputs,
            "weight-map",
            &healthy_city_report::WeightMapChart {
                cells: &cells,
                index: &framework.name,
                year: Year(year),
                domains: [&names[0], &names[1], &names[2]],
                steps,
                names: &engine.city_names,
                focus: Focus::new(c),
                nominal: nodes.map(|k| nominal_weights[k] / total),
                source: &source,
            },
        )?;
        let summary =
            healthy_city_report::weight_map_summary(&cells, &engine, c, &ids, 1.0 / steps as f64);
        sections.push(Section {
            id: String::from("weight-map"),
            title: String::from("Which weights put whom first?"),
            paragraphs: vec![summary.trim().to_string()],
            figures: vec![figure(svg, format!("Which of the {units} is ranked first for every split of the three largest domains' weight (the others fixed)."))],
            ..Section::default()
        });
    }

    // The statistical audit.
    let audit = healthy_city_score::audit(
        &framework,
        &inputs.catalogue,
        &inputs.cities,
        &inputs.observations,
        Some(year),
    )
    .with_context(|| format!("cannot audit `{}`", framework.file()))?;
    let audit_tables = healthy_city_report::audit_tables(&audit);
    for (name, table) in &audit_tables {
        outputs.table(name, table)?;
    }
    // The correlation heatmap of the normalised scores: each indicator with its siblings and
    // its group (the audit's own pairs). An audit without them (too few units) says why.
    let mut audit_figures = Vec::new();
    let mut audit_paragraphs = vec![audit.summary().trim().to_string()];
    let heatmap = healthy_city_report::CorrelationChart {
        results: &results,
        audit: &audit,
        dataset: "scores",
        method: healthy_city_score::CorrMethod::Pearson,
        source: &source,
    };
    match render_svg(&heatmap) {
        Ok(svg) => {
            outputs.bytes("charts/correlations.png", &render_png(&heatmap)?)?;
            outputs.bytes("charts/correlations.svg", svg.as_bytes())?;
            audit_figures.push(figure(
                svg,
                "Pearson correlations of the normalised scores: each indicator with the others of its domain, its domain and the index; the domains with each other and the index (audit/correlations.csv holds every pair).",
            ));
        }
        Err(healthy_city_report::Error::NoCorrelations { .. }) => audit_paragraphs.push(format!(
            "No correlation heatmap: the audit of {year} holds no correlations of the normalised scores (too few {units} with data)."
        )),
        Err(e) => return Err(e.into()),
    }
    sections.push(Section {
        id: String::from("audit"),
        title: String::from("Statistical audit"),
        paragraphs: audit_paragraphs,
        figures: audit_figures,
        tables: vec![
            (
                String::from("Cronbach's alpha per group"),
                healthy_city_report::audit_cronbach_table(&audit),
            ),
            (
                String::from("Skewness and kurtosis"),
                healthy_city_report::audit_skew_kurt_table(&audit),
            ),
        ],
        ..Section::default()
    });

    // The framework, the methodology, the indicators, the limitations.
    sections.push(Section {
        id: String::from("framework"),
        title: String::from("The framework"),
        paragraphs: vec![framework.description.clone()],
        figures: vec![figure(
            chart(
                &mut outputs,
                "framework",
                &healthy_city_report::FrameworkChart {
                    results: &results,
                    catalogue: &inputs.catalogue,
                    source: &source,
                },
            )?,
            "The framework: each node's weight within its group and its effective weight, the share of the index it carries.",
        )],
        html: healthy_city_report::framework_tree(&results),
        ..Section::default()
    });
    sections.push(Section {
        id: String::from("methodology"),
        title: String::from("Methodology"),
        paragraphs: healthy_city_report::methodology(&framework, &results),
        ..Section::default()
    });
    sections.push(Section {
        id: String::from("indicators"),
        title: String::from("Indicators, releases and licences"),
        tables: vec![(String::new(), indicators.clone())],
        ..Section::default()
    });
    sections.push(Section {
        id: String::from("limitations"),
        title: String::from("Limitations"),
        paragraphs: healthy_city_report::limitations(&results, y, focus_slot),
        ..Section::default()
    });

    // The page and the workbook.
    let (framework_bytes, data_bytes) = input_bytes(args, &framework)?;
    let command: Vec<String> = std::env::args().collect();
    let reproducibility = vec![
        (
            String::from("healthy-city"),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        (
            String::from("framework"),
            format!(
                "{} (SHA-256 {})",
                framework.file(),
                healthy_city_report::sha256_hex(&framework_bytes)
            ),
        ),
        (
            String::from("observations"),
            format!(
                "{} (SHA-256 {})",
                data_name(args, &framework),
                healthy_city_report::sha256_hex(&data_bytes)
            ),
        ),
        (String::from("year"), year.to_string()),
        (String::from("seed"), seed.to_string()),
        (
            String::from("replications"),
            format!(
                "uncertainty {}, sensitivity {} rows",
                args.runs, args.sensitivity_runs
            ),
        ),
        (String::from("command"), command.join(" ")),
    ];
    let focus_stats = focus_id
        .as_deref()
        .and_then(|id| stats.iter().find(|s| s.city == id));
    let page = ReportPage {
        results: &results,
        year: y,
        focus: focus_slot,
        focus_stats,
        runs: args.runs,
        reweight: healthy_city_report::reweight_model(&framework, &results, y),
        presets,
        sections,
        reproducibility: reproducibility.clone(),
        source: source.clone(),
    };
    outputs.bytes(
        "report.html",
        healthy_city_report::report_html(&page).as_bytes(),
    )?;

    let mut all_sheets: Vec<(&str, String, Table)> = vec![
        ("ranking", String::from("Index score and rank of every ranked city, every year."), ranking),
        ("scores", String::from("Score and rank of every node (index, domains, indicators' normalised values), every city and year."), scores),
        ("indicators", String::from("Every indicator's value per city and year: raw, imputed (flag and method), treated, normalised."), data),
        ("weights", String::from("Every node's weight as used and its effective weight in the index."), weights),
        ("coverage and levels", String::from("Per city and year: ranked or not, coverage (share of the index's weight measured), and the shares of the score resting on national and on imputed values."), coverage),
    ];
    all_sheets.extend(sheets);
    all_sheets.push((
        "sources",
        String::from(
            "Each indicator: name, unit, direction, level, publisher, dataset, release, licence.",
        ),
        indicators,
    ));
    let mut notes = vec![format!("{} {units}, {year}. {source}", framework.name)];
    notes.extend(reproducibility.iter().map(|(k, v)| format!("{k}: {v}")));
    let workbook = healthy_city_report::workbook_bytes(
        &format!("{}, {year}", framework.name),
        &notes,
        &all_sheets
            .iter()
            .map(|(name, about, table)| Sheet { name, about, table })
            .collect::<Vec<_>>(),
        (2026, 1, 1),
    )?;
    outputs.bytes("report.xlsx", &workbook)?;
    let written = outputs.commit_quietly()?;
    publish::print(&format!(
        "{}\nreport: {} ({:.1} s)\n",
        healthy_city_report::headline(&page).join(" "),
        common.out.join("report.html").display(),
        started.elapsed().as_secs_f64()
    ))?;
    publish::wrote(&written);
    Ok(())
}

/// The bytes of the framework and observations scored, for their hashes.
fn input_bytes(args: &ReportArgs, framework: &Framework) -> Result<(Vec<u8>, Vec<u8>)> {
    let read = |path: &Path| {
        std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
    };
    let fw = match &args.common.input.framework {
        Some(path) => match embedded::shipped(path) {
            Some(shipped) => shipped.framework.0.as_bytes().to_vec(),
            None => read(path)?,
        },
        None => embedded::FRAMEWORK.as_bytes().to_vec(),
    };
    let data = match data_path(args, framework) {
        Some(path) => read(&path)?,
        None => shipped_observations(args).0.as_bytes().to_vec(),
    };
    Ok((fw, data))
}

fn data_path(args: &ReportArgs, framework: &Framework) -> Option<std::path::PathBuf> {
    if let Some(data) = &args.common.input.data {
        return Some(data.clone());
    }
    let fw = args.common.input.framework.as_ref()?;
    if embedded::shipped(fw).is_some() {
        return None;
    }
    let name = framework.data.observations.as_ref()?;
    Some(fw.parent().unwrap_or_else(|| Path::new("")).join(name))
}

fn data_name(args: &ReportArgs, framework: &Framework) -> String {
    data_path(args, framework).map_or_else(
        || String::from(shipped_observations(args).1),
        |p| p.display().to_string(),
    )
}

/// The embedded snapshot a run without a data file scores: the shipped framework's, or the
/// world index's.
fn shipped_observations(args: &ReportArgs) -> (&'static str, &'static str) {
    args.common
        .input
        .framework
        .as_deref()
        .and_then(embedded::shipped)
        .unwrap_or(&embedded::SHIPPED[0])
        .observations
}
