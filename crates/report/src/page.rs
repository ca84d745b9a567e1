//! The HTML report: one self-contained page (styles, script and charts inline, no request to
//! any address), readable offline and by e-mail, printable to PDF.
//!
//! The page holds the headline, the ranking as a sortable, searchable table, the sections the
//! caller gives (charts as inline SVG, tables, paragraphs), sources, limitations and a
//! reproducibility block. With a [`ReweightModel`] it also lets the reader set each domain's
//! weight (0-10) and recomputes the scores and ranks in the browser from the embedded
//! normalised values, by the engine's rules (see `page.js`); the weights are read from and
//! written to the address's fragment (`#w=5,5,5,8,2`).
//!
//! Every text taken from data goes through [`escape`]; the model goes in as JSON with `<`, `>`
//! and `&` written as `\u003c`, `\u003e`, `\u0026`, so no city name can close the script.

use std::fmt::Write as _;

use healthy_city_model::{Aggregation, Framework, Missing, NodeKind, Nonpositive, Weighting};
use healthy_city_score::{RankStats, Results};
use serde::Serialize;

use crate::format::{ordinal, plain, rank_text, score_decimals, thousands};
use crate::table::{Cell, Table};

const CSS: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// A figure: an inline SVG chart and its caption.
#[derive(Debug, Clone)]
pub struct Figure {
    /// The chart, as [`render_svg`](crate::render_svg) gives it.
    pub svg: String,
    /// One sentence under it.
    pub caption: String,
}

/// One section of the page.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Anchor id (`trajectory`): letters, digits and `-`.
    pub id: String,
    /// Heading.
    pub title: String,
    /// Paragraphs of text, before the figures.
    pub paragraphs: Vec<String>,
    /// Charts.
    pub figures: Vec<Figure>,
    /// Tables, each with its caption.
    pub tables: Vec<(String, Table)>,
    /// Markup built by this module (e.g. [`framework_tree`]), after the tables.
    pub html: Markup,
}

/// HTML that this module built from data it escaped itself: only this crate can make one, so
/// no caller can put unescaped text into the page through a section.
#[derive(Debug, Clone, Default)]
pub struct Markup(String);

impl Markup {
    /// The markup as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the page shows: the results of the year, and the sections around the ranking.
#[derive(Debug)]
pub struct ReportPage<'a> {
    /// The scored index.
    pub results: &'a Results,
    /// Year slot shown.
    pub year: usize,
    /// The focus city's slot, if any.
    pub focus: Option<usize>,
    /// The focus city's rank statistics over the uncertainty analysis, if run.
    pub focus_stats: Option<&'a RankStats>,
    /// Replications behind `focus_stats`.
    pub runs: usize,
    /// The in-page re-weighting: the model, or why the page cannot recompute this index.
    pub reweight: std::result::Result<ReweightModel, String>,
    /// Weight sets offered as presets (name and the domains' weights in the model's order).
    pub presets: Vec<(String, Vec<f64>)>,
    /// Sections after the ranking, in order.
    pub sections: Vec<Section>,
    /// Key-value lines of the reproducibility block (version, hashes, seed, command).
    pub reproducibility: Vec<(String, String)>,
    /// The source line (publishers and licences).
    pub source: String,
}

/// Text made safe inside HTML and SVG: `&`, `<`, `>`, `"` and `'` as entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON safe inside a `<script>` element.
fn script_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| String::from("null"))
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A group of the model, as the engine aggregates it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelGroup {
    /// Node slot.
    pub node: usize,
    /// Children: node slot and weight as used.
    pub children: Vec<(usize, f64)>,
    /// `arithmetic`, `geometric`, `harmonic` or `generalised`.
    pub method: &'static str,
    /// The generalised mean's power (0 otherwise).
    pub p: f64,
    /// Present share of child weight needed.
    pub min_share: f64,
    /// Shift added to every child of a geometric, harmonic or generalised mean.
    pub offset: f64,
}

/// What the browser needs to recompute one year's index: the tree, the normalised values and
/// the ranking rules, as the engine applied them.
#[derive(Debug, Clone, Serialize)]
pub struct ReweightModel {
    /// Node slot of the index.
    pub root: usize,
    /// Groups, children before parents.
    pub groups: Vec<ModelGroup>,
    /// Node slots of the index's children (the domains the sliders weigh).
    pub domains: Vec<usize>,
    /// Their names.
    pub domain_names: Vec<String>,
    /// Their weights as used, scaled so the largest is 5 (only ratios count).
    pub weights: Vec<f64>,
    /// Node slots of the indicators.
    pub indicators: Vec<usize>,
    /// Number of node slots.
    pub n_nodes: usize,
    /// Normalised values `[city][indicator]`, `None` where missing.
    pub values: Vec<Vec<Option<f64>>>,
    /// Whether each city may be ranked at all (not screened out).
    pub eligible: Vec<bool>,
    /// Share of the index's effective weight a city's indicators must carry.
    pub city_min_share: f64,
    /// Decimals scores are rounded to before ranking.
    pub round: Option<u32>,
    /// Whether a missing child makes its group missing.
    pub propagate: bool,
    /// Decimals scores are shown with.
    pub decimals: usize,
}

/// The model of year slot `y`, or why the page cannot recompute this index exactly (then the
/// sliders are disabled with that sentence).
pub fn reweight_model(
    framework: &Framework,
    results: &Results,
    y: usize,
) -> std::result::Result<ReweightModel, String> {
    let methods = &framework.methods;
    if !results.group_imputed.is_empty() {
        return Err(String::from(
            "a group of this index fills missing scores (`impute`), which the page does not recompute",
        ));
    }
    let nn = results.nodes.len();
    let mut groups = Vec::new();
    for (slot, info) in results.nodes.iter().enumerate() {
        if info.is_indicator {
            continue;
        }
        let Some(node) = framework.get(&info.id) else {
            return Err(format!("the group `{}` is not in the framework", info.id));
        };
        let NodeKind::Group {
            aggregation,
            min_share,
            weights,
            nonpositive,
            impute,
            not_applicable,
        } = &node.kind
        else {
            continue;
        };
        let name = info.name.as_str();
        match weights {
            Weighting::Pca | Weighting::Optimised { .. } => {
                return Err(format!(
                    "the weights of `{name}` are derived from the data (PCA or optimised), so other weights would change them too"
                ))
            }
            Weighting::Bod { .. } => {
                return Err(format!(
                    "`{name}` gives each city its own weights (benefit of the doubt), which sliders cannot set"
                ))
            }
            Weighting::Explicit | Weighting::Equal => {}
        }
        if impute.is_some() || not_applicable.is_some() {
            return Err(format!(
                "`{name}` fills missing scores or does not apply to every city, which the page does not recompute"
            ));
        }
        let method = aggregation.unwrap_or(methods.aggregation);
        let (label, p) = match method {
            Aggregation::Arithmetic => ("arithmetic", 0.0),
            Aggregation::Geometric => ("geometric", 0.0),
            Aggregation::Harmonic => ("harmonic", 0.0),
            Aggregation::Generalised { p } => ("generalised", p),
            Aggregation::Mpi | Aggregation::Ampi | Aggregation::Copeland => {
                return Err(format!(
                "`{name}` aggregates across cities ({method}), which the page does not recompute"
            ))
            }
        };
        let offset = match nonpositive.unwrap_or(methods.nonpositive) {
            Nonpositive::Offset(c) => c,
            _ => 0.0,
        };
        let children: Vec<(usize, f64)> = results
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.parent == Some(slot))
            .map(|(k, _)| (k, results.effective_weights[k].weight))
            .collect();
        groups.push((
            depth(results, slot),
            ModelGroup {
                node: slot,
                children,
                method: label,
                p,
                min_share: min_share.unwrap_or(methods.min_share),
                offset,
            },
        ));
    }
    // Deepest first: every child is scored before its parent.
    groups.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.node.cmp(&b.1.node)));
    let groups: Vec<ModelGroup> = groups.into_iter().map(|(_, g)| g).collect();
    let root = results.root;
    let domains: Vec<usize> = (0..nn)
        .filter(|&k| results.nodes[k].parent == Some(root))
        .collect();
    let indicators: Vec<usize> = (0..nn).filter(|&k| results.nodes[k].is_indicator).collect();
    let nc = results.cities.len();
    let values = (0..nc)
        .map(|c| {
            indicators
                .iter()
                .map(|&k| {
                    let v = results.score(y, c, k);
                    v.is_finite().then_some(v)
                })
                .collect()
        })
        .collect();
    Ok(ReweightModel {
        root,
        groups,
        domain_names: domains
            .iter()
            .map(|&k| results.nodes[k].name.clone())
            .collect(),
        weights: slider_scale(
            &domains
                .iter()
                .map(|&k| results.effective_weights[k].weight)
                .collect::<Vec<f64>>(),
            5.0,
        ),
        domains,
        indicators,
        n_nodes: nn,
        values,
        eligible: (0..nc).map(|c| !results.screened[y * nc + c]).collect(),
        city_min_share: results.city_min_share,
        round: results.round,
        propagate: framework.methods.missing == Missing::Propagate,
        decimals: score_decimals(results, y),
    })
}

/// Weights on the sliders' 0-10 scale: the index's own weights with the largest at 5 (the
/// OECD Better Life Index's starting point), so a reader can move each up or down; only their
/// ratios count.
fn slider_scale(weights: &[f64], top: f64) -> Vec<f64> {
    let max = weights.iter().copied().fold(0.0, f64::max);
    if max > 0.0 && max.is_finite() {
        weights.iter().map(|w| w * top / max).collect()
    } else {
        weights.to_vec()
    }
}

/// A weight set scaled to the sliders' range when its largest weight is beyond 10 (only
/// ratios count): for the presets.
pub fn preset_weights(weights: &[f64]) -> Vec<f64> {
    let max = weights.iter().copied().fold(0.0, f64::max);
    if max > 10.0 {
        slider_scale(weights, 10.0)
    } else {
        weights.to_vec()
    }
}

fn depth(results: &Results, mut slot: usize) -> usize {
    let mut d = 0;
    while let Some(p) = results.nodes[slot].parent {
        d += 1;
        slot = p;
    }
    d
}

/// The headline sentences about the focus city: its rank of N this year, its change since the
/// first ranked year, and how sure the rank is.
pub fn headline(page: &ReportPage<'_>) -> Vec<String> {
    let r = page.results;
    let y = page.year;
    let year = r.years[y];
    let ranked = r.n_ranked(y);
    let Some(c) = page.focus else {
        let first = (0..r.cities.len())
            .find(|&c| r.rank(y, c, r.root) == Some(1))
            .map_or("", |c| r.city_names[c].as_str());
        return vec![format!(
            "{first} ranks first of {ranked} {} in {year}.",
            r.units
        )];
    };
    let name = &r.city_names[c];
    let mut lines = Vec::new();
    match r.rank(y, c, r.root) {
        Some(rank) => lines.push(format!(
            "{name} ranks {} of {ranked} {} in {year}.",
            ordinal(rank),
            r.units
        )),
        None => lines.push(format!(
            "{name} is not ranked in {year} (too few of its indicators are measured)."
        )),
    }
    let first_year =
        (0..r.years.len()).find(|&k| r.year_ranked[k] && r.rank(k, c, r.root).is_some());
    if let (Some(k), Some(now)) = (first_year, r.rank(y, c, r.root)) {
        if k < y {
            let then = r.rank(k, c, r.root).unwrap_or(now);
            let change = i64::from(then) - i64::from(now);
            let moved = match change {
                0 => String::from("the same rank as"),
                d if d > 0 => format!("up {d} place{} since", if d == 1 { "" } else { "s" }),
                d => format!("down {} place{} since", -d, if d == -1 { "" } else { "s" }),
            };
            lines.push(format!(
                "That is {moved} {} ({} then).",
                r.years[k],
                ordinal(then)
            ));
        }
    }
    if let Some(s) = page.focus_stats {
        // "first in 0.0%" reads as a rounding: none is said as none, a few as a count.
        let firsts = (s.p_first * page.runs as f64).round();
        let first = if firsts == 0.0 {
            String::from("it is first in none of them")
        } else if s.p_first < 0.001 {
            format!("it is first in {firsts:.0} of them")
        } else {
            format!("it ranks first in {:.1}%", 100.0 * s.p_first)
        };
        lines.push(format!(
            "Over {} replications of the index's uncertain choices, its rank lies between {} and {} in 90% of them (5-95%), and {first}.",
            thousands(page.runs),
            rank_text(s.q05_rank),
            rank_text(s.q95_rank),
        ));
    }
    let proxy = r.proxy_share(y, c);
    if proxy > 0.0 {
        lines.push(format!(
            "{:.0}% of {name}'s score rests on national values used for the city.",
            100.0 * proxy
        ));
    }
    let region = r.region_share(y, c);
    if region > 0.0 {
        lines.push(format!(
            "{:.0}% of {name}'s score rests on regional values used for the city.",
            100.0 * region
        ));
    }
    lines
}

/// The SHA-256 of `bytes`, in hexadecimal (the reproducibility block's file hashes).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// The methodology, generated from the framework as scored: one paragraph a step, each with
/// its formula, in the order the engine applies them.
pub fn methodology(framework: &Framework, results: &Results) -> Vec<String> {
    use healthy_city_model::{Bounds, Impute, Normalisation, Treatment};
    let m = &framework.methods;
    let [lo, hi] = m.scale;
    let mut out = Vec::new();
    let n_ind = results.nodes.iter().filter(|n| n.is_indicator).count();
    let n_groups = results.nodes.len() - n_ind;
    out.push(format!(
        "1. Structure. {} combines {n_ind} indicators in {n_groups} groups (the index included); the framework tree below gives each node's weight and its effective weight in the index.",
        framework.name
    ));
    if let Some(screen) = &m.screen {
        out.push(format!(
            "2. Screening. Any of the {} with less than {:.0}% of its indicators measured in a year is left out of that year before normalisation.",
            framework.units,
            100.0 * screen.min_share
        ));
    }
    out.push(match m.impute {
        Impute::None => String::from("3. Missing values are not imputed: a group is scored on the children it has, their weights renormalised (sum(w x) / sum(w) over the present children)."),
        other => format!("3. Missing values are imputed ({other}) before treatment; imputed values are flagged in the workbook and counted in each score's imputed share."),
    });
    out.push(match m.treatment {
        Treatment::None => String::from("4. Outliers are not treated."),
        Treatment::Winsorise { winmax, skew_thresh, kurt_thresh } => format!(
            "4. Outliers (COINr's rule): while an indicator's |skewness| >= {skew_thresh} and kurtosis >= {kurt_thresh}, its most extreme value on the side of the skew is winsorised, up to {winmax} points; if that does not bring both under the thresholds, ln(x - min + 0.01 (max - min)) of the original values is used instead."
        ),
        other => format!("4. Every indicator is transformed: {other}."),
    });
    let over = match m.bounds {
        Bounds::Panel => "over every year and city (so that scores compare across years)",
        Bounds::Year => "within each year",
    };
    out.push(match &m.normalisation {
        Normalisation::Minmax => format!(
            "5. Normalisation: min-max {over}, y = {lo} + ({hi} - {lo}) (x - min) / (max - min), with x replaced by -x where lower is better."
        ),
        other => format!("5. Normalisation: {other} {over}, to the scale {lo}-{hi}; lower-is-better indicators reversed."),
    });
    let formula = match m.aggregation {
        Aggregation::Arithmetic => "sum(w x) / sum(w)",
        Aggregation::Geometric => "exp(sum(w ln x) / sum(w))",
        Aggregation::Harmonic => "sum(w) / sum(w / x)",
        Aggregation::Generalised { .. } => "(sum(w x^p) / sum(w))^(1/p)",
        _ => "across cities, as the method defines",
    };
    out.push(format!(
        "6. Aggregation: each group is the {} mean of its children, {formula}, over the children present (weights renormalised); a group needs {:.0}% of its children's weight present{}.",
        m.aggregation,
        100.0 * m.min_share,
        if m.missing == Missing::Propagate { ", and none missing" } else { "" }
    ));
    out.push(format!(
        "7. Ranking: each of the {} is ranked when its measured indicators carry at least {:.0}% of the index's effective weight; a year is ranked when at least {:.0}% of the {} are. Ranks are competition ranks (ties share the best rank){}.",
        framework.units,
        100.0 * results.city_min_share,
        100.0 * results.year_min_share,
        framework.units,
        results.round.map_or_else(String::new, |d| format!(", on scores rounded to {d} decimals"))
    ));
    out
}

/// The framework as a tree of nested lists: each node's name, its weight as used and its
/// effective weight in the index.
pub fn framework_tree(results: &Results) -> Markup {
    fn node(h: &mut String, r: &Results, children: &[Vec<usize>], k: usize) {
        let w = &r.effective_weights[k];
        let _ = write!(
            h,
            "<li>{} <span class=\"w\">weight {}, {:.1}% of the index</span>",
            escape(&r.nodes[k].name),
            plain(w.weight),
            100.0 * w.effective
        );
        if !children[k].is_empty() {
            h.push_str("<ul>");
            for &c in &children[k] {
                node(h, r, children, c);
            }
            h.push_str("</ul>");
        }
        h.push_str("</li>");
    }
    // Each node's children, in framework order, found in one pass.
    let mut children = vec![Vec::new(); results.nodes.len()];
    for (c, n) in results.nodes.iter().enumerate() {
        if let Some(p) = n.parent {
            children[p].push(c);
        }
    }
    let mut h = String::from("<ul class=\"tree\">");
    node(&mut h, results, &children, results.root);
    h.push_str("</ul>");
    Markup(h)
}

/// What a reader must keep in mind, with this year's figures.
pub fn limitations(results: &Results, y: usize, focus: Option<usize>) -> Vec<String> {
    let nc = results.cities.len();
    let ranked: Vec<usize> = (0..nc).filter(|&c| results.is_ranked(y, c)).collect();
    let mean_proxy = if ranked.is_empty() {
        0.0
    } else {
        ranked
            .iter()
            .map(|&c| results.proxy_share(y, c))
            .sum::<f64>()
            / ranked.len() as f64
    };
    let mut out = vec![format!(
        "National values: on average {:.0}% of the score of each of the {} ranked rests on national values used for the city (the 'national values' column of the ranking). Two of them in one country share those values, so their differences come from the city-level indicators alone.",
        100.0 * mean_proxy,
        results.units
    )];
    if let Some(c) = focus {
        out.push(format!(
            "For {}, {:.0}% of the score rests on national values, {:.0}% on regional values and {:.0}% on imputed values.",
            results.city_names[c],
            100.0 * results.proxy_share(y, c),
            100.0 * results.region_share(y, c),
            100.0 * results.imputed_share(y, c)
        ));
    }
    out.push(format!(
        "Coverage: {} of {nc} {} are ranked in {}; the others have too few indicators measured. Ranks compare the {} ranked, not all those in the registry.",
        ranked.len(),
        results.units,
        results.years[y],
        results.units,
    ));
    out.push(String::from("A composite index summarises; it does not measure health directly. The weights are a choice (see the scenarios), and ranks close together are within the uncertainty shown by the rank intervals."));
    out
}

/// The page's HTML.
pub fn report_html(page: &ReportPage<'_>) -> String {
    let r = page.results;
    let y = page.year;
    let year = r.years[y];
    let title = format!("{}, {year}", r.index_name);
    let mut h = String::with_capacity(1 << 20);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // No request to any address: not even for a favicon, and none allowed by the page.
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
    h.push_str("<link rel=\"icon\" href=\"data:,\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>{}</title>", escape(&title));
    let _ = writeln!(h, "<style>\n{CSS}</style>\n</head>\n<body>");

    // Contents.
    let _ = writeln!(h, "<header><h1>{}</h1>", escape(&title));
    let mut toc = vec![
        ("headline", String::from("Headline")),
        ("ranking", String::from("Ranking")),
    ];
    for s in &page.sections {
        toc.push((s.id.as_str(), s.title.clone()));
    }
    toc.push(("sources", String::from("Sources and licences")));
    toc.push(("reproducibility", String::from("Reproducibility")));
    h.push_str("<nav class=\"toc\"><ol>");
    for (id, t) in &toc {
        let _ = write!(h, "<li><a href=\"#{}\">{}</a></li>", escape(id), escape(t));
    }
    h.push_str("</ol></nav></header>\n<main>\n");

    // Headline.
    h.push_str("<section id=\"headline\"><h2>Headline</h2>\n");
    for (i, line) in headline(page).iter().enumerate() {
        let class = if i == 0 { " class=\"lead\"" } else { "" };
        let _ = writeln!(h, "<p{class}>{}</p>", escape(line));
    }
    h.push_str("<p class=\"reweighted\" id=\"reweighted\" hidden></p>\n</section>\n");

    ranking_section(&mut h, page);
    for s in &page.sections {
        section(&mut h, s);
    }

    // Sources and reproducibility.
    let _ = writeln!(
        h,
        "<section id=\"sources\"><h2>Sources and licences</h2>\n<p>{}</p>\n</section>",
        escape(&page.source)
    );
    h.push_str("<section id=\"reproducibility\"><h2>Reproducibility</h2>\n<dl class=\"repro\">\n");
    for (k, v) in &page.reproducibility {
        let _ = writeln!(
            h,
            "<dt>{}</dt><dd><code>{}</code></dd>",
            escape(k),
            escape(v)
        );
    }
    h.push_str("</dl>\n</section>\n</main>\n");

    // The model and the script.
    let model = match &page.reweight {
        Ok(m) => script_json(m),
        Err(_) => String::from("null"),
    };
    let presets = script_json(&page.presets);
    let focus = page
        .focus
        .map_or_else(|| String::from("null"), |c| c.to_string());
    let _ = writeln!(
        h,
        "<script id=\"model\" type=\"application/json\">{model}</script>\n<script id=\"presets\" type=\"application/json\">{presets}</script>\n<script>\nconst FOCUS = {focus};\n{SCRIPT}</script>\n</body>\n</html>"
    );
    h
}

/// The ranking: the re-weighting controls and the sortable, searchable table of every city
/// scored in the year (ranked cities first), with the level breakdown.
fn ranking_section(h: &mut String, page: &ReportPage<'_>) {
    let r = page.results;
    let y = page.year;
    let nc = r.cities.len();
    let decimals = score_decimals(r, y);
    let domains = r.domains();
    let ranked = r.n_ranked(y);
    // Regional values are named only when some score rests on them this year (as the column).
    let regional_text = if (0..nc).any(|c| r.region_share(y, c) > 0.0) {
        " <em>Regional values</em> is the share resting on values of the city's region;"
    } else {
        ""
    };
    let _ = writeln!(
        h,
        "<section id=\"ranking\"><h2>Ranking</h2>\n<p>{ranked} of {nc} {} ranked in {}. Click a heading to sort; type to find a city.{regional_text} <em>National values</em> is the share of a score resting on national values used for the city; <em>coverage</em> the share of the index's weight its measured indicators carry.</p>",
        escape(&r.units),
        r.years[y]
    );

    // Controls.
    h.push_str("<div class=\"controls\" id=\"controls\">\n<h3>Try your own weights</h3>\n");
    match &page.reweight {
        Ok(model) => {
            h.push_str("<p>Set how much each domain counts (0-10): the scores and ranks below are recomputed in the page, by the same rules as the engine. The address keeps your weights, so the view can be shared.</p>\n<div class=\"sliders\">\n");
            for (i, name) in model.domain_names.iter().enumerate() {
                let w = model.weights[i];
                let _ = writeln!(
                    h,
                    "<label><span>{}</span><input type=\"range\" min=\"0\" max=\"10\" step=\"0.5\" value=\"{}\" data-domain=\"{i}\"><output>{}</output></label>",
                    escape(name),
                    w.clamp(0.0, 10.0),
                    plain(w)
                );
            }
            h.push_str("</div>\n<p class=\"buttons\"><button type=\"button\" id=\"reset\">Reset to the index's weights</button>");
            for (i, (name, _)) in page.presets.iter().enumerate() {
                let _ = write!(
                    h,
                    " <button type=\"button\" class=\"preset\" data-preset=\"{i}\">{}</button>",
                    escape(name)
                );
            }
            h.push_str("</p>\n<p class=\"status\" id=\"status\" role=\"status\"></p>\n");
        }
        Err(why) => {
            let _ = writeln!(
                h,
                "<p class=\"disabled\">The weights cannot be changed in this page: {}. Use <code>healthy-city compare --scenario FILE</code> instead.</p>",
                escape(why)
            );
        }
    }
    h.push_str("</div>\n");

    h.push_str("<p class=\"search\"><label>Find <input type=\"search\" id=\"search\" placeholder=\"city\"></label></p>\n");
    h.push_str("<div class=\"wide\"><table class=\"ranking sortable\" id=\"ranking-table\">\n<thead><tr><th data-type=\"num\">rank</th><th data-type=\"text\">");
    h.push_str(&escape(&capitalise(&r.units)));
    h.push_str("</th><th data-type=\"num\">score</th>");
    for &k in &domains {
        let _ = write!(h, "<th data-type=\"num\">{}</th>", escape(&r.nodes[k].name));
    }
    // The level breakdown: regional values only when some score rests on them this year.
    let regional = (0..nc).any(|c| r.region_share(y, c) > 0.0);
    if regional {
        h.push_str("<th data-type=\"num\">regional values</th>");
    }
    h.push_str("<th data-type=\"num\">national values</th><th data-type=\"num\">coverage</th></tr></thead>\n<tbody>\n");
    let mut order: Vec<usize> = (0..nc).collect();
    order.sort_by_key(|&c| (r.rank(y, c, r.root).unwrap_or(u32::MAX), c));
    let fmt = |v: f64| {
        if v.is_finite() {
            format!("{v:.decimals$}")
        } else {
            String::new()
        }
    };
    for c in order {
        let rank = r.rank(y, c, r.root);
        let score = if rank.is_some() {
            r.ranked_score(y, c, r.root)
        } else {
            f64::NAN
        };
        let focus = if page.focus == Some(c) {
            " class=\"focus\""
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr data-city=\"{c}\" data-id=\"{}\" data-ranked=\"{}\"{focus}><td class=\"rank\">{}</td><td>{}</td><td class=\"score\">{}</td>",
            escape(&r.cities[c]),
            u8::from(rank.is_some()),
            rank.map_or_else(|| String::from("–"), |v| v.to_string()),
            escape(&r.city_names[c]),
            fmt(score)
        );
        for &k in &domains {
            let _ = write!(h, "<td>{}</td>", fmt(r.ranked_score(y, c, k)));
        }
        // The level breakdown of a score: none without an index score.
        let share = |x: f64| {
            if r.score(y, c, r.root).is_nan() {
                String::new()
            } else {
                format!("{:.0}%", 100.0 * x)
            }
        };
        if regional {
            let _ = write!(
                h,
                "<td class=\"region\">{}</td>",
                share(r.region_share(y, c))
            );
        }
        let proxy = share(r.proxy_share(y, c));
        let _ = writeln!(
            h,
            "<td class=\"proxy\">{proxy}</td><td class=\"coverage\">{:.0}%</td></tr>",
            100.0 * r.coverage(y, c)
        );
    }
    h.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

fn section(h: &mut String, s: &Section) {
    let _ = writeln!(
        h,
        "<section id=\"{}\"><h2>{}</h2>",
        escape(&s.id),
        escape(&s.title)
    );
    for p in &s.paragraphs {
        let _ = writeln!(h, "<p>{}</p>", escape(p));
    }
    for f in &s.figures {
        let _ = writeln!(
            h,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            f.svg,
            escape(&f.caption)
        );
    }
    for (caption, table) in &s.tables {
        table_html(h, caption, table);
    }
    h.push_str(s.html.as_str());
    h.push_str("</section>\n");
}

/// A [`Table`] as an HTML table, numbers with their column's decimals.
pub fn table_html(h: &mut String, caption: &str, table: &Table) {
    h.push_str("<div class=\"wide\"><table class=\"data sortable\">");
    if !caption.is_empty() {
        let _ = write!(h, "<caption>{}</caption>", escape(caption));
    }
    h.push_str("<thead><tr>");
    for c in table.columns() {
        let kind = match c.align {
            crate::table::Align::Right => "num",
            crate::table::Align::Left => "text",
        };
        let _ = write!(h, "<th data-type=\"{kind}\">{}</th>", escape(&c.name));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in table.rows() {
        h.push_str("<tr>");
        for (k, cell) in row.iter().enumerate() {
            let decimals = table.columns().get(k).and_then(|c| c.decimals);
            let text = match cell {
                Cell::Empty => String::new(),
                Cell::Text(s) => escape(s),
                Cell::Int(i) => i.to_string(),
                Cell::Float(x) if x.is_nan() => String::new(),
                Cell::Float(x) => match decimals {
                    Some(d) => format!("{x:.d$}"),
                    None => plain(*x),
                },
                Cell::Bool(b) => b.to_string(),
            };
            // An address has no space to wrap at: it may break anywhere (print stylesheet).
            if matches!(cell, Cell::Text(s) if s.contains("://")) {
                let _ = write!(h, "<td class=\"url\">{text}</td>");
            } else {
                let _ = write!(h, "<td>{text}</td>");
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limitations_give_this_years_national_share_and_coverage() {
        // testdata: life expectancy, a national proxy, carries half of every score; 2018 ranks
        // Paris and Tokyo of the three cities (London has no data).
        let r = crate::testdata::results();
        let y = 1;
        assert_eq!(r.years[y], 2018);
        let paris = r.cities.iter().position(|c| c == "paris");
        let text = limitations(&r, y, paris).join("\n");
        assert!(
            text.contains(
                "on average 50% of the score of each of the cities ranked rests on national values"
            ),
            "{text}"
        );
        // The units' name is never singularised by cutting its "s" ("citie").
        assert!(!text.contains("citie "), "{text}");
        assert!(
            text.contains(
                "For Paris, 50% of the score rests on national values, 0% on regional values and 0% on imputed values."
            ),
            "{text}"
        );
        assert!(
            text.contains("Coverage: 2 of 3 cities are ranked in 2018"),
            "{text}"
        );
    }

    #[test]
    fn the_framework_tree_nests_children_under_their_parent_in_order() {
        let r = crate::testdata::results();
        let tree = framework_tree(&r);
        let t = tree.as_str();
        let (health, air) = (t.find("Health ").unwrap(), t.find("Air ").unwrap());
        assert!(t.starts_with("<ul class=\"tree\"><li>"), "{t}");
        assert!(health < air, "{t}");
        assert_eq!(
            t.matches("<ul>").count(),
            3,
            "the root's list and one per domain: {t}"
        );
        assert!(t.contains("50.0% of the index"), "{t}");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(1)</script> & \"Co\" 'x'"),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot; &#39;x&#39;"
        );
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let s = script_json(&vec!["</script><script>alert(1)</script>&"]);
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&'),
            "{s}"
        );
        let back: Vec<String> = serde_json::from_str(&s).unwrap();
        assert_eq!(back, ["</script><script>alert(1)</script>&"]);
    }
}
