//! Index definitions: `indicators/frameworks/*.toml`.
//!
//! A framework is a tree. Leaves are indicators, inner nodes are groups, the root (the one group
//! with no parent) is the index. Weights are relative within their parent.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

pub use crate::aggregation::{
    Aggregation, GroupImpute, Impute, ImputeGroup, Nonpositive, NotApplicable, Screen,
};
use crate::catalogue::{Catalogue, Direction};
use crate::cities::is_identifier;
use crate::error::{echo, line_of, read_text, Error, Problem, Result};
use crate::limits::{
    magnitude_problem, number, year_range, years_text, MAX_MAGNITUDE, MAX_ROUND, MAX_WEIGHT,
    YEARS_VARIABLE,
};
pub use crate::normalisation::{Normalisation, Treatment, WINSORISE_DEFAULT};
pub use crate::weighting::Weighting;

/// Over which observations min-max bounds are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bounds {
    /// Over every city and every year: scores are comparable across years.
    Panel,
    /// Over each year separately (rescales every year: not comparable over time).
    Year,
}

/// What a group does when some of its children are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Skip missing children and renormalise the weights of those present.
    Skip,
    /// Any missing child makes the group missing.
    Propagate,
}

/// A transform applied to raw values before normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// Natural logarithm (values must be > 0).
    Ln,
    /// Base-10 logarithm (values must be > 0).
    Log10,
    /// Square root (values must be >= 0).
    Sqrt,
}

/// The default methods of a framework.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Methods {
    /// Default normalisation of every indicator.
    pub normalisation: Normalisation,
    /// Default outlier treatment of every indicator, before normalisation (default: none).
    pub treatment: Treatment,
    /// Over which observations data-driven statistics (min, max, mean, sd, ranks, skewness and
    /// kurtosis for treatment) are taken.
    pub bounds: Bounds,
    /// Target scale `[l, u]` of normalised values.
    pub scale: [f64; 2],
    /// Default aggregation of every group.
    pub aggregation: Aggregation,
    /// Missing-children rule.
    pub missing: Missing,
    /// How missing raw values are imputed before normalisation (default: not at all).
    pub impute: Impute,
    /// Minimum share of a group's child weight that must be present for the group to have a score.
    pub min_share: f64,
    /// Round scores to this many decimals before ranking (published indices rank rounded values).
    pub round: Option<u32>,
    /// Drop cities with too few indicators from a year before normalisation (default: none).
    pub screen: Option<Screen>,
    /// What geometric, harmonic and negative-power means do with a child of 0 or less
    /// (default: leave that city-year unscored, with the reason in the outputs).
    pub nonpositive: Nonpositive,
}

impl Default for Methods {
    fn default() -> Self {
        Methods {
            normalisation: Normalisation::Minmax,
            treatment: Treatment::None,
            bounds: Bounds::Panel,
            scale: [0.0, 100.0],
            aggregation: Aggregation::Arithmetic,
            missing: Missing::Skip,
            impute: Impute::None,
            min_share: 0.0,
            round: None,
            screen: None,
            nonpositive: Nonpositive::Unscored,
        }
    }
}

/// When a city, and a year, are ranked at all.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Coverage {
    /// A city is ranked in a year only if the indicators it has carry at least this share of
    /// the index's effective weight.
    pub city_min_share: f64,
    /// A year is ranked only if at least this share of the peer cities is ranked in it.
    pub year_min_share: f64,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            city_min_share: 0.0,
            year_min_share: 0.0,
        }
    }
}

/// Which data the framework scores.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataSpec {
    /// Observations file (CSV or Parquet), relative to the framework file.
    pub observations: Option<String>,
    /// City registry, relative to the framework file.
    pub cities: Option<String>,
    /// Indicator catalogue, relative to the framework file.
    pub catalogue: Option<String>,
    /// Peer group: the city ids scored; empty means every city with data.
    pub peers: Vec<String>,
    /// First and last year scored (inclusive); absent means every year with data.
    pub years: Option<[i32; 2]>,
    /// The city (id or name) that `run` and `score` chart and highlight when no `--city` is
    /// given; absent means none (`run` on the embedded index: London).
    pub focus: Option<String>,
}

/// `[report]`: what the publication outputs show besides the results.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSpec {
    /// Ranks drawn as dashed reference lines on a city's trajectory chart (a starting point, an
    /// aim), each with the source that makes it a caveat rather than a rank of this index.
    pub reference_ranks: Vec<ReferenceRank>,
}

/// One reference rank of `[report] reference_ranks`, e.g.
/// `{ rank = 7, label = "2015 starting point", source = "Greater London Authority, March 2015: 7th of 14 comparable world cities", city = "london" }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceRank {
    /// The rank, 1 or more.
    pub rank: u32,
    /// The line's label ("2015 starting point"); the chart prefixes the ordinal ("7th: ").
    pub label: String,
    /// Where the rank comes from, printed under the chart: a reference rank is usually not a
    /// rank of this index (other measures, other peers), and the reader must be told.
    pub source: String,
    /// The city (id) the reference belongs to; absent: every city's trajectory.
    #[serde(default)]
    pub city: Option<String>,
}

impl ReferenceRank {
    /// Whether the reference is drawn on `city`'s trajectory (by id, ASCII case ignored): it
    /// names that city, or none.
    pub fn belongs_to(&self, city: &str) -> bool {
        self.city
            .as_deref()
            .is_none_or(|c| c.eq_ignore_ascii_case(city))
    }
}

/// What a node of the tree is.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// An inner node; its score aggregates its children.
    Group {
        /// Aggregation override for this group.
        aggregation: Option<Aggregation>,
        /// Minimum present child-weight share override for this group.
        min_share: Option<f64>,
        /// How the children's weights are set (`weights = ...`; default explicit).
        weights: Weighting,
        /// What the group's mean does with a child of 0 or less, overriding
        /// `methods.nonpositive`.
        nonpositive: Option<Nonpositive>,
        /// How a missing score of the group is filled (`impute`), if at all.
        impute: Option<GroupImpute>,
        /// The units the group does not apply to (`not_applicable`).
        not_applicable: Option<NotApplicable>,
    },
    /// A leaf.
    Indicator(IndicatorSpec),
}

/// Framework-level settings of an indicator.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndicatorSpec {
    /// Direction, overriding the catalogue's.
    pub direction: Option<Direction>,
    /// Transform before normalisation.
    pub transform: Option<Transform>,
    /// Normalisation overriding the framework default.
    pub normalisation: Option<Normalisation>,
    /// Goalposts `[lo, hi]` in the indicator's units (goalposts and scaled normalisation).
    pub goalposts: Option<[f64; 2]>,
    /// Target in the indicator's units (dist2targ normalisation).
    pub target: Option<f64>,
    /// Outlier treatment overriding the framework default.
    pub treatment: Option<Treatment>,
    /// Catalogue id of the series the raw values are divided by (population, area, GDP).
    pub denominator: Option<String>,
    /// Factor the ratio is multiplied by (e.g. 1000 for "per 1,000"); 1 when absent.
    pub denominator_scale: Option<f64>,
    /// One line on why the indicator is in the index.
    pub rationale: Option<String>,
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Identifier, unique among groups and indicators.
    pub id: String,
    /// Display name (groups; indicators take theirs from the catalogue).
    pub name: Option<String>,
    /// Parent group; `None` for the root.
    pub parent: Option<String>,
    /// Weight relative to its siblings.
    pub weight: f64,
    /// Group or indicator.
    pub kind: NodeKind,
    /// Line of the node's `id` in its file.
    pub line: usize,
}

impl Node {
    /// Whether the node is an indicator (a leaf).
    pub fn is_indicator(&self) -> bool {
        matches!(self.kind, NodeKind::Indicator(_))
    }
}

/// A validated framework.
#[derive(Debug, Clone)]
pub struct Framework {
    /// Identifier of the index.
    pub id: String,
    /// Display name of the index.
    pub name: String,
    /// What the index measures.
    pub description: String,
    /// What its units are called in tables and chart titles, plural (`[index] units`, e.g.
    /// `"countries"`, `"boroughs"`; default `"cities"`).
    pub units: String,
    /// Which data it scores.
    pub data: DataSpec,
    /// Default methods.
    pub methods: Methods,
    /// Coverage thresholds.
    pub coverage: Coverage,
    /// What the publication outputs show besides the results (`[report]`).
    pub report: ReportSpec,
    nodes: Vec<Node>,
    by_id: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
    root: usize,
    file: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    index: RawIndex,
    #[serde(default)]
    data: DataSpec,
    #[serde(default)]
    methods: Methods,
    #[serde(default)]
    coverage: Coverage,
    #[serde(default)]
    report: ReportSpec,
    #[serde(default)]
    group: Vec<RawGroup>,
    #[serde(default)]
    indicator: Vec<RawIndicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndex {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    units: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    name: Option<String>,
    parent: Option<String>,
    #[serde(default = "one")]
    weight: f64,
    aggregation: Option<Aggregation>,
    min_share: Option<f64>,
    #[serde(default)]
    weights: Weighting,
    nonpositive: Option<Nonpositive>,
    impute: Option<GroupImpute>,
    not_applicable: Option<NotApplicable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    parent: Option<String>,
    #[serde(default = "one")]
    weight: f64,
    direction: Option<Direction>,
    transform: Option<Transform>,
    normalisation: Option<Normalisation>,
    goalposts: Option<[f64; 2]>,
    target: Option<f64>,
    treatment: Option<Treatment>,
    denominator: Option<String>,
    denominator_scale: Option<f64>,
    rationale: Option<String>,
}

fn one() -> f64 {
    1.0
}

impl Framework {
    /// Reads and validates a framework file (structure only; see [`Framework::check_catalogue`]).
    pub fn load(path: &Path) -> Result<Self> {
        Self::parse(&read_text(path)?, &path.display().to_string())
    }

    /// Parses and validates a framework from text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| Error::toml(file, "framework", &e, text))?;
        let mut problems = Vec::new();
        let mut problem = |line: Option<usize>, message: String| {
            problems.push(Problem {
                file: file.to_string(),
                line,
                message,
            });
        };
        let units = raw
            .index
            .units
            .clone()
            .unwrap_or_else(|| "cities".to_string());
        if units.trim().is_empty()
            || units.chars().count() > 40
            || units.chars().any(crate::error::is_unsafe)
        {
            problem(
                None,
                format!(
                    "`[index] units = \"{}\"` must be a plural noun of 1 to 40 printable characters (e.g. `\"countries\"`)",
                    echo(&units)
                ),
            );
        }
        check_share(&mut problem, "methods.min_share", raw.methods.min_share);
        if let Some(screen) = raw.methods.screen {
            check_share(&mut problem, "methods.screen.min_share", screen.min_share);
        }
        check_share(
            &mut problem,
            "coverage.city_min_share",
            raw.coverage.city_min_share,
        );
        check_share(
            &mut problem,
            "coverage.year_min_share",
            raw.coverage.year_min_share,
        );
        if let Some(message) = scale_problem(raw.methods.scale) {
            problem(key_line(text, "methods", "scale"), message);
        }
        if let Some(message) = round_problem(raw.methods.round) {
            problem(key_line(text, "methods", "round"), message);
        }
        if let Some([first, last]) = raw.data.years {
            let line = key_line(text, "data", "years");
            if first > last {
                problem(
                    line,
                    format!("data.years [{first}, {last}]: the first year is after the last"),
                );
            }
            let years = year_range()?;
            if !years.contains(&first) || !years.contains(&last) {
                problem(line, format!("data.years [{first}, {last}] must lie within the accepted years {}: fix them, or set {YEARS_VARIABLE}=FIRST-LAST to accept others", years_text(&years)));
            }
        }

        check_references(&mut problem, text, &raw.report);

        let mut nodes = Vec::with_capacity(raw.group.len() + raw.indicator.len());
        for group in raw.group {
            let line = line_of(text, group.id.span().start);
            nodes.push(Node {
                id: group.id.into_inner(),
                name: group.name,
                parent: group.parent,
                weight: group.weight,
                kind: NodeKind::Group {
                    aggregation: group.aggregation,
                    min_share: group.min_share,
                    weights: group.weights,
                    nonpositive: group.nonpositive,
                    impute: group.impute,
                    not_applicable: group.not_applicable,
                },
                line,
            });
        }
        for indicator in raw.indicator {
            let line = line_of(text, indicator.id.span().start);
            nodes.push(Node {
                id: indicator.id.into_inner(),
                name: None,
                parent: indicator.parent,
                weight: indicator.weight,
                kind: NodeKind::Indicator(IndicatorSpec {
                    direction: indicator.direction,
                    transform: indicator.transform,
                    normalisation: indicator.normalisation,
                    goalposts: indicator.goalposts,
                    target: indicator.target,
                    treatment: indicator.treatment,
                    denominator: indicator.denominator,
                    denominator_scale: indicator.denominator_scale,
                    rationale: indicator.rationale,
                }),
                line,
            });
        }

        // Ids: well-formed and unique.
        let mut by_id = HashMap::new();
        let mut kept = Vec::with_capacity(nodes.len());
        for node in nodes {
            let line = Some(node.line);
            if !is_identifier(&node.id) {
                problem(
                    line,
                    format!(
                        "id `{}` must be lowercase letters, digits, `_` and `-`",
                        node.id
                    ),
                );
            }
            if let Some(&first) = by_id.get(&node.id) {
                let first: &Node = &kept[first];
                problem(
                    line,
                    format!(
                        "duplicate id `{}` (first defined on line {})",
                        node.id, first.line
                    ),
                );
                continue;
            }
            if let Some(message) = weight_problem(node.weight) {
                problem(
                    line,
                    format!(
                        "`{}` has weight {}: {message}",
                        echo(&node.id),
                        number(node.weight)
                    ),
                );
            }
            if let NodeKind::Indicator(spec) = &node.kind {
                if let Some([lo, hi]) = spec.goalposts {
                    if !(lo.is_finite() && hi.is_finite() && lo < hi)
                        || lo.abs() > MAX_MAGNITUDE
                        || hi.abs() > MAX_MAGNITUDE
                    {
                        problem(line, format!("indicator `{}`: goalposts [{}, {}] must be finite, at most {MAX_MAGNITUDE:e} in magnitude, with lo < hi", echo(&node.id), number(lo), number(hi)));
                    }
                }
                let normalisation = spec
                    .normalisation
                    .as_ref()
                    .unwrap_or(&raw.methods.normalisation);
                if normalisation.needs_goalposts() && spec.goalposts.is_none() {
                    problem(line, format!("indicator `{}` uses {} normalisation but gives no `goalposts = [lo, hi]`", node.id, normalisation.name()));
                }
                if normalisation.needs_target() && spec.target.is_none() {
                    problem(line, format!("indicator `{}` uses dist2targ normalisation but gives no `target = <value>` in its units", node.id));
                }
                match (&spec.denominator, spec.denominator_scale) {
                    (Some(d), _) if !is_identifier(d) || *d == node.id => problem(line, format!("indicator `{}`: denominator `{d}` must be the id of another series in the catalogue", node.id)),
                    (None, Some(_)) => problem(line, format!("indicator `{}` has `denominator_scale` but no `denominator = \"<series id>\"`", node.id)),
                    (_, Some(k)) if !(k.is_finite() && k > 0.0 && k <= MAX_MAGNITUDE) => problem(line, format!("indicator `{}`: denominator_scale {} must be a finite number above 0 and at most {MAX_MAGNITUDE:e}", echo(&node.id), number(k))),
                    _ => {}
                }
                if let Some(target) = spec.target {
                    if let Some(why) = magnitude_problem(target) {
                        problem(
                            line,
                            format!("indicator `{}`: target {} {why}; the target must be finite and at most {MAX_MAGNITUDE:e} in magnitude", echo(&node.id), number(target)),
                        );
                    }
                }
                if let Normalisation::Dist2ref { city, .. } = normalisation {
                    if !is_identifier(city) {
                        problem(line, format!("indicator `{}`: dist2ref city `{city}` must be a city id (lowercase letters, digits, `_` and `-`)", node.id));
                    }
                }
                let treatment = spec.treatment.unwrap_or(raw.methods.treatment);
                if matches!(treatment, Treatment::Log | Treatment::Boxcox { .. })
                    && normalisation.in_natural_units()
                {
                    problem(line, format!("indicator `{}`: {} normalisation takes its goalposts or target in the indicator's units, which the `{}` treatment changes; use `treatment = \"none\"` or `\"winsorise\"` for it, or another normalisation", node.id, normalisation.name(), treatment.name()));
                }
            }
            if let NodeKind::Group {
                min_share: Some(share),
                ..
            } = node.kind
            {
                check_share(
                    &mut problem,
                    &format!("group `{}` min_share", node.id),
                    share,
                );
            }
            by_id.insert(node.id.clone(), kept.len());
            kept.push(node);
        }
        let nodes = kept;

        // Parents: exist, are groups; exactly one root.
        let mut children = vec![Vec::new(); nodes.len()];
        let mut roots = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            match &node.parent {
                None if node.is_indicator() => problem(
                    Some(node.line),
                    format!("indicator `{}` has no parent: add `parent = \"<group id>\"`", node.id),
                ),
                None => roots.push(i),
                Some(parent) => match by_id.get(parent) {
                    None => problem(
                        Some(node.line),
                        format!("`{}` names unknown parent `{parent}`", node.id),
                    ),
                    Some(&p) if nodes[p].is_indicator() => problem(
                        Some(node.line),
                        format!("`{}` names parent `{parent}`, which is an indicator: parents must be groups", node.id),
                    ),
                    Some(&p) => children[p].push(i),
                },
            }
        }
        // Cycles: walking up from any node must reach a root within `nodes.len()` steps.
        for (i, node) in nodes.iter().enumerate() {
            let mut current = i;
            let mut steps = 0;
            while let Some(parent) = nodes[current].parent.as_ref().and_then(|p| by_id.get(p)) {
                current = *parent;
                steps += 1;
                if current == i || steps > nodes.len() {
                    problem(
                        Some(node.line),
                        format!("`{}` is part of a cycle of parents: every chain of parents must end at the index", node.id),
                    );
                    break;
                }
            }
        }
        if roots.len() != 1 {
            let names: Vec<_> = roots
                .iter()
                .map(|&r| format!("`{}`", nodes[r].id))
                .collect();
            problem(
                None,
                if roots.is_empty() {
                    "no group without a parent: one group (the index) must have no `parent`"
                        .to_string()
                } else {
                    format!(
                        "{} groups have no parent ({}): exactly one (the index) may lack one",
                        roots.len(),
                        names.join(", ")
                    )
                },
            );
        }
        for (i, node) in nodes.iter().enumerate() {
            if !node.is_indicator() && children[i].is_empty() {
                problem(
                    Some(node.line),
                    format!("group `{}` has no children", node.id),
                );
            }
            let NodeKind::Group {
                aggregation,
                weights,
                ..
            } = node.kind
            else {
                continue;
            };
            if weights == Weighting::Explicit
                && !children[i].is_empty()
                && children[i].iter().all(|&c| nodes[c].weight == 0.0)
            {
                problem(Some(node.line), format!("every child of group `{}` has weight 0: give at least one a positive weight", node.id));
            }
            if weights == (Weighting::Optimised { to_weights: true }) {
                if let Some(&c) = children[i].iter().find(|&&c| nodes[c].weight <= 0.0) {
                    problem(Some(nodes[c].line), format!("group `{}` optimises towards its children's weights (`targets = \"weights\"`), but `{}` has weight {}: give every child a weight above 0, its target share of influence", node.id, nodes[c].id, nodes[c].weight));
                }
            }
            check_weighting(
                &mut problem,
                node,
                weights,
                aggregation,
                raw.methods.aggregation,
                children[i].len(),
            );
        }
        Error::check(problems)?;
        Ok(Framework {
            id: raw.index.id,
            name: raw.index.name,
            description: raw.index.description,
            units,
            data: raw.data,
            methods: raw.methods,
            coverage: raw.coverage,
            report: raw.report,
            nodes,
            by_id,
            children,
            root: roots[0],
            file: file.to_string(),
        })
    }

    /// Checks every indicator against a catalogue: it must exist there, and have a direction.
    pub fn check_catalogue(&self, catalogue: &Catalogue) -> Result<()> {
        let mut problems = Vec::new();
        for node in self.indicators() {
            if let NodeKind::Indicator(IndicatorSpec {
                denominator: Some(d),
                ..
            }) = &node.kind
            {
                if catalogue.get(d).is_none() {
                    problems.push(Problem {
                        file: self.file.clone(),
                        line: Some(node.line),
                        message: format!(
                            "indicator `{}`: denominator `{d}` is not in the catalogue `{}`: add the series there or fix the id",
                            node.id,
                            catalogue.file()
                        ),
                    });
                }
            }
            if catalogue.get(&node.id).is_none() {
                problems.push(Problem {
                    file: self.file.clone(),
                    line: Some(node.line),
                    message: format!(
                        "indicator `{}` is not in the catalogue `{}`: add it there or fix the id",
                        node.id,
                        catalogue.file()
                    ),
                });
            }
        }
        Error::check(problems)
    }

    /// The direction of an indicator: the framework's override, else the catalogue's.
    pub fn direction(&self, node: &Node, catalogue: &Catalogue) -> Option<Direction> {
        match &node.kind {
            NodeKind::Indicator(spec) => spec
                .direction
                .or_else(|| catalogue.get(&node.id).map(|i| i.direction)),
            NodeKind::Group { .. } => None,
        }
    }

    /// The file the framework was read from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// All nodes, groups first, in file order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// A node by id.
    pub fn get(&self, id: &str) -> Option<&Node> {
        self.by_id.get(id).map(|&i| &self.nodes[i])
    }

    /// Position of a node in [`Framework::nodes`].
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The root (the index).
    pub fn root(&self) -> &Node {
        &self.nodes[self.root]
    }

    /// Position of the root in [`Framework::nodes`].
    pub fn root_index(&self) -> usize {
        self.root
    }

    /// Positions of a node's children, in file order.
    pub fn children(&self, index: usize) -> &[usize] {
        &self.children[index]
    }

    /// The indicators (leaves), in file order.
    pub fn indicators(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.is_indicator())
    }

    /// The groups directly under the root (the domains), in file order.
    pub fn domains(&self) -> impl Iterator<Item = &Node> {
        self.children[self.root].iter().map(|&i| &self.nodes[i])
    }

    /// Sets the raw weight of node `index` (relative to its siblings). Used by scenarios,
    /// which check the result.
    pub fn set_weight(&mut self, index: usize, weight: f64) {
        self.nodes[index].weight = weight;
    }

    /// Sets how a missing score of group `index` is filled (no effect on an indicator). Used
    /// by scenarios.
    pub fn set_group_impute(&mut self, index: usize, method: GroupImpute) {
        if let NodeKind::Group { impute, .. } = &mut self.nodes[index].kind {
            *impute = Some(method);
        }
    }

    /// Sets how the children of group `index` are weighted (no effect on an indicator). Used
    /// by scenarios.
    pub fn set_weighting(&mut self, index: usize, weighting: Weighting) {
        if let NodeKind::Group { weights, .. } = &mut self.nodes[index].kind {
            *weights = weighting;
        }
    }

    /// Effective weight of every node in the index: the product of its normalised weights
    /// (weight / sum of sibling weights) up to the root. Indexed like [`Framework::nodes`].
    /// Children of a group whose `weights` is not `explicit` count as equal (the nominal
    /// weights before any are derived from data).
    pub fn effective_weights(&self) -> Vec<f64> {
        let mut effective = vec![0.0; self.nodes.len()];
        effective[self.root] = 1.0;
        let mut stack = vec![self.root];
        while let Some(i) = stack.pop() {
            let kids = &self.children[i];
            // Data-driven and equal weights count as equal here (nominal weights).
            let explicit = matches!(
                self.nodes[i].kind,
                NodeKind::Group {
                    weights: Weighting::Explicit,
                    ..
                }
            );
            let weight = |c: usize| if explicit { self.nodes[c].weight } else { 1.0 };
            let total: f64 = kids.iter().map(|&c| weight(c)).sum();
            for &c in kids {
                effective[c] = effective[i] * weight(c) / total;
                stack.push(c);
            }
        }
        effective
    }
}

/// Checks a group's `weights` against its children and aggregation.
fn check_weighting(
    problem: &mut impl FnMut(Option<usize>, String),
    node: &Node,
    weights: Weighting,
    aggregation: Option<Aggregation>,
    default: Aggregation,
    n_children: usize,
) {
    let line = Some(node.line);
    let id = &node.id;
    match weights {
        Weighting::Explicit | Weighting::Equal => {}
        Weighting::Pca | Weighting::Optimised { .. } => {
            if n_children < 2 {
                problem(line, format!("group `{id}` derives its weights from data (`weights = \"{weights}\"`) but has {n_children} child: it needs at least 2"));
            }
            let method = aggregation.unwrap_or(default);
            if matches!(weights, Weighting::Optimised { .. }) && method.is_cross_city() {
                problem(line, format!("group `{id}`: optimised weights need a per-city aggregation, not `{method}`; use `arithmetic`, `geometric`, `harmonic` or `generalised`"));
            }
        }
        Weighting::Bod {
            min_share,
            max_share,
        } => {
            if let Some(method) = aggregation {
                problem(line, format!("group `{id}` has `weights = \"bod\"`, which replaces its aggregation, and also `aggregation = \"{method}\"`: remove one"));
            }
            let k = n_children as f64;
            if !(0.0..=1.0).contains(&min_share)
                || !(0.0..=1.0).contains(&max_share)
                || min_share > max_share
            {
                problem(line, format!("group `{id}`: bod shares min_share = {min_share}, max_share = {max_share} must satisfy 0 <= min_share <= max_share <= 1"));
            } else if min_share * k > 1.0 + 1e-12 || max_share * k < 1.0 - 1e-12 {
                problem(line, format!("group `{id}`: bod shares [{min_share}, {max_share}] cannot be met by {n_children} children whose shares sum to 1: need min_share <= 1/{n_children} <= max_share"));
            }
        }
    }
}

/// Why a weight is not accepted (not finite, negative, above [`MAX_WEIGHT`]), or `None`.
pub(crate) fn weight_problem(weight: f64) -> Option<String> {
    if weight.is_finite() && (0.0..=MAX_WEIGHT).contains(&weight) {
        None
    } else {
        Some(format!(
            "weights must be finite, not negative and at most {MAX_WEIGHT:e} (they are relative to their siblings, so 1 and 2 say the same as 1e6 and 2e6)"
        ))
    }
}

/// Why a `scale = [l, u]` is not accepted, or `None`.
pub(crate) fn scale_problem([l, u]: [f64; 2]) -> Option<String> {
    if l.is_finite()
        && u.is_finite()
        && l < u
        && l.abs() <= MAX_MAGNITUDE
        && u.abs() <= MAX_MAGNITUDE
    {
        None
    } else {
        Some(format!("methods.scale [{}, {}] must be two finite numbers, each at most {MAX_MAGNITUDE:e} in magnitude, with the first below the second", number(l), number(u)))
    }
}

/// Why a `round = n` is not accepted, or `None`.
pub(crate) fn round_problem(round: Option<u32>) -> Option<String> {
    round
        .filter(|&n| n > MAX_ROUND)
        .map(|n| format!("methods.round = {n}: scores can be rounded to at most {MAX_ROUND} decimals (a 64-bit number holds about 15 significant digits)"))
}

/// The line of `key = ...` in the table `[table]` of a TOML text, where it can be found.
pub(crate) fn key_line(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix('[') {
            current = rest.trim_end_matches(']').trim().to_string();
            continue;
        }
        let is_key = trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if current == table && is_key {
            return Some(i + 1);
        }
    }
    None
}

/// A reference rank must be a rank (1 or more) with a label and a source a reader can check,
/// and name its city by a well-formed id; every such text lands in a chart, so it must also be
/// printable and short enough to fit.
fn check_references(
    problem: &mut impl FnMut(Option<usize>, String),
    text: &str,
    report: &ReportSpec,
) {
    let line = key_line(text, "report", "reference_ranks");
    for (i, r) in report.reference_ranks.iter().enumerate() {
        let at = format!("[report] reference_ranks[{i}]");
        if r.rank == 0 {
            problem(line, format!("{at}: rank = 0; ranks start at 1"));
        }
        for (key, value, max) in [("label", &r.label, 60), ("source", &r.source, 200)] {
            let n = value.trim().chars().count();
            if n == 0 || n > max || value.chars().any(crate::error::is_unsafe) {
                problem(
                    line,
                    format!(
                        "{at}: {key} = \"{}\" must be 1 to {max} printable characters{}",
                        echo(value),
                        if key == "source" {
                            " naming where the rank comes from (it is printed under the chart as its caveat)"
                        } else {
                            ""
                        }
                    ),
                );
            }
        }
        if let Some(city) = &r.city {
            if !is_identifier(city) {
                problem(
                    line,
                    format!(
                        "{at}: city = \"{}\" is not a city id (lower-case letters, digits, `-` and `_`)",
                        echo(city)
                    ),
                );
            }
        }
    }
}

fn check_share(problem: &mut impl FnMut(Option<usize>, String), key: &str, share: f64) {
    if !(0.0..=1.0).contains(&share) {
        problem(None, format!("{key} = {share} must be between 0 and 1"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
[index]
id = "small"
name = "Small index"

[methods]
normalisation = "minmax"

[[group]]
id = "index"

[[group]]
id = "health"
parent = "index"
weight = 2

[[group]]
id = "air"
parent = "index"

[[indicator]]
id = "life"
parent = "health"

[[indicator]]
id = "pm25"
parent = "air"
weight = 3

[[indicator]]
id = "no2"
parent = "air"
"#;

    fn err(text: &str) -> String {
        Framework::parse(text, "f.toml").unwrap_err().to_string()
    }

    #[test]
    fn reference_ranks_are_read_checked_and_given_to_their_city_only() {
        let text = SMALL.replace(
            "[methods]",
            r#"[report]
reference_ranks = [
  { rank = 7, label = "2015 starting point", source = "GLA, March 2015: 7th of 14", city = "london" },
  { rank = 10, label = "top ten", source = "the partners' aim for every city" },
]

[methods]"#,
        );
        let f = Framework::parse(&text, "f.toml").unwrap();
        let labels = |city: &str| -> Vec<String> {
            f.report
                .reference_ranks
                .iter()
                .filter(|r| r.belongs_to(city))
                .map(|r| format!("{} {}", r.rank, r.label))
                .collect()
        };
        assert_eq!(labels("london"), ["7 2015 starting point", "10 top ten"]);
        assert_eq!(labels("London"), ["7 2015 starting point", "10 top ten"]);
        assert_eq!(labels("paris"), ["10 top ten"]);
        assert!(Framework::parse(SMALL, "f.toml")
            .unwrap()
            .report
            .reference_ranks
            .is_empty());

        let bad = text
            .replace("rank = 7", "rank = 0")
            .replace(
                "source = \"the partners' aim for every city\"",
                "source = \" \"",
            )
            .replace("city = \"london\"", "city = \"Lon don\"");
        let err = Framework::parse(&bad, "f.toml").unwrap_err().to_string();
        assert!(err.contains("f.toml:"), "{err}");
        assert!(
            err.contains("reference_ranks[0]: rank = 0; ranks start at 1"),
            "{err}"
        );
        assert!(err.contains("reference_ranks[1]: source = \" \" must be 1 to 200 printable characters naming where the rank comes from"), "{err}");
        assert!(
            err.contains("reference_ranks[0]: city = \"Lon don\" is not a city id"),
            "{err}"
        );
        let unknown = text.replace("city = \"london\"", "town = \"london\"");
        let err = Framework::parse(&unknown, "f.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `town`"), "{err}");
    }

    #[test]
    fn a_framework_may_name_its_focus_city() {
        let text = SMALL.replace("[methods]", "[data]\nfocus = \"paris\"\n\n[methods]");
        let f = Framework::parse(&text, "f.toml").unwrap();
        assert_eq!(f.data.focus.as_deref(), Some("paris"));
        assert_eq!(Framework::parse(SMALL, "f.toml").unwrap().data.focus, None);
    }

    #[test]
    fn builds_the_tree_and_effective_weights() {
        let f = Framework::parse(SMALL, "f.toml").unwrap();
        assert_eq!(f.root().id, "index");
        let domains: Vec<_> = f.domains().map(|n| n.id.as_str()).collect();
        assert_eq!(domains, ["health", "air"]);
        let w = f.effective_weights();
        // health 2/3; air 1/3 split 3:1 between pm25 and no2.
        assert!((w[f.index_of("life").unwrap()] - 2.0 / 3.0).abs() < 1e-15);
        assert!((w[f.index_of("pm25").unwrap()] - 0.25).abs() < 1e-15);
        assert!((w[f.index_of("no2").unwrap()] - 1.0 / 12.0).abs() < 1e-15);
    }

    #[test]
    fn rejects_an_unknown_parent() {
        let text = SMALL.replace("parent = \"health\"", "parent = \"helth\"");
        let e = err(&text);
        assert!(
            e.contains("f.toml:22: `life` names unknown parent `helth`"),
            "{e}"
        );
        // The typo also leaves `health` empty, which is reported in its own right.
        assert!(
            e.contains("f.toml:13: group `health` has no children"),
            "{e}"
        );
    }

    #[test]
    fn rejects_a_cycle() {
        let text = SMALL.replace(
            "[[group]]\nid = \"index\"\n",
            "[[group]]\nid = \"index\"\nparent = \"air\"\n",
        );
        let e = err(&text);
        assert!(
            e.contains("f.toml:10: `index` is part of a cycle of parents"),
            "{e}"
        );
    }

    #[test]
    fn rejects_a_duplicate_id() {
        let text = format!("{SMALL}\n[[indicator]]\nid = \"no2\"\nparent = \"air\"\n");
        assert_eq!(
            err(&text),
            "f.toml:35: duplicate id `no2` (first defined on line 31)"
        );
    }

    #[test]
    fn rejects_negative_and_nan_weights() {
        let text = SMALL
            .replace("weight = 3", "weight = -3")
            .replace("weight = 2", "weight = nan");
        let e = err(&text);
        assert!(e.starts_with("2 problems found:"), "{e}");
        assert!(e.contains("f.toml:13: `health` has weight NaN"), "{e}");
        assert!(e.contains("f.toml:26: `pm25` has weight -3"), "{e}");
    }

    #[test]
    fn rejects_an_indicator_missing_from_the_catalogue() {
        let f = Framework::parse(SMALL, "f.toml").unwrap();
        let catalogue = Catalogue::parse(
            "[[indicator]]\nid = \"life\"\nname = \"L\"\nunit = \"y\"\ndirection = \"higher\"\nlevel = \"national\"\nsource = { adapter = \"x\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }\n[[indicator]]\nid = \"pm25\"\nname = \"P\"\nunit = \"u\"\ndirection = \"lower\"\nlevel = \"city\"\nsource = { adapter = \"x\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }\n",
            "c.toml",
        )
        .unwrap();
        let e = f.check_catalogue(&catalogue).unwrap_err().to_string();
        assert_eq!(e, "f.toml:31: indicator `no2` is not in the catalogue `c.toml`: add it there or fix the id");
    }

    #[test]
    fn reads_group_weights_and_rejects_impossible_ones_naming_file_line_and_id() {
        let text = SMALL.replace(
            "id = \"air\"\nparent = \"index\"",
            "id = \"air\"\nparent = \"index\"\nweights = \"pca\"",
        );
        let f = Framework::parse(&text, "f.toml").unwrap();
        let NodeKind::Group { weights, .. } = f.get("air").unwrap().kind else {
            panic!("air is a group");
        };
        assert_eq!(weights, Weighting::Pca);
        // Nominal effective weights treat pca children as equal: pm25 and no2 1/6 each.
        let w = f.effective_weights();
        assert!((w[f.index_of("pm25").unwrap()] - 1.0 / 6.0).abs() < 1e-15);
        // PCA of one child.
        let text = SMALL.replace(
            "id = \"health\"\nparent = \"index\"",
            "id = \"health\"\nparent = \"index\"\nweights = \"optimised\"",
        );
        assert_eq!(err(&text), "f.toml:13: group `health` derives its weights from data (`weights = \"optimised\"`) but has 1 child: it needs at least 2");
        // Shares two children cannot meet, and bod with an aggregation.
        let text = SMALL.replace(
            "id = \"air\"\nparent = \"index\"",
            "id = \"air\"\nparent = \"index\"\nweights = { method = \"bod\", min_share = 0.6 }\naggregation = \"geometric\"",
        );
        let e = err(&text);
        assert!(
            e.contains("f.toml:18: group `air`: bod shares [0.6, 1] cannot be met by 2 children"),
            "{e}"
        );
        assert!(
            e.contains(
                "f.toml:18: group `air` has `weights = \"bod\"`, which replaces its aggregation"
            ),
            "{e}"
        );
        // Optimised weights need a per-city aggregation.
        let text = SMALL.replace(
            "id = \"air\"\nparent = \"index\"",
            "id = \"air\"\nparent = \"index\"\nweights = \"optimised\"\naggregation = \"copeland\"",
        );
        assert!(err(&text).contains(
            "group `air`: optimised weights need a per-city aggregation, not `copeland`"
        ));
    }

    #[test]
    fn rejects_a_group_whose_children_all_weigh_zero() {
        let text = SMALL.replace(
            "id = \"life\"\nparent = \"health\"",
            "id = \"life\"\nparent = \"health\"\nweight = 0",
        );
        assert_eq!(err(&text), "f.toml:13: every child of group `health` has weight 0: give at least one a positive weight");
    }

    #[test]
    fn optimising_towards_the_weights_needs_every_weight_above_zero() {
        let text = SMALL
            .replace(
                "id = \"air\"\nparent = \"index\"",
                "id = \"air\"\nparent = \"index\"\nweights = { method = \"optimised\", targets = \"weights\" }",
            )
            .replace(
                "id = \"no2\"\nparent = \"air\"",
                "id = \"no2\"\nparent = \"air\"\nweight = 0",
            );
        assert_eq!(err(&text), "f.toml:32: group `air` optimises towards its children's weights (`targets = \"weights\"`), but `no2` has weight 0: give every child a weight above 0, its target share of influence");
    }

    #[test]
    fn reads_normalisation_and_treatment_tables_framework_wide_and_per_indicator() {
        let text = SMALL
            .replace(
                "normalisation = \"minmax\"",
                "normalisation = { method = \"zscore\", mean = 10, sd = 2 }\ntreatment = \"winsorise\"",
            )
            .replace(
                "id = \"pm25\"\nparent = \"air\"",
                "id = \"pm25\"\nparent = \"air\"\nnormalisation = { method = \"dist2targ\", cap_max = true }\ntarget = 5\ntreatment = { method = \"boxcox\", lambda = 0.5 }",
            );
        let f = Framework::parse(&text, "f.toml");
        // Box-Cox changes the units the target is in.
        let e = f.unwrap_err().to_string();
        assert!(e.contains("indicator `pm25`: dist2targ normalisation takes its goalposts or target in the indicator's units, which the `boxcox` treatment changes"), "{e}");
        let text = text.replace("{ method = \"boxcox\", lambda = 0.5 }", "\"none\"");
        let f = Framework::parse(&text, "f.toml").unwrap();
        assert_eq!(
            f.methods.normalisation,
            Normalisation::Zscore {
                mean: 10.0,
                sd: 2.0
            }
        );
        assert_eq!(f.methods.treatment, WINSORISE_DEFAULT);
        let NodeKind::Indicator(spec) = &f.get("pm25").unwrap().kind else {
            panic!("pm25 is an indicator");
        };
        assert_eq!(
            spec.normalisation,
            Some(Normalisation::Dist2targ { cap_max: true })
        );
        assert_eq!(spec.target, Some(5.0));
        assert_eq!(spec.treatment, Some(Treatment::None));
    }

    #[test]
    fn rejects_goalposts_scaled_and_dist2targ_without_their_parameters() {
        let text = SMALL.replace(
            "normalisation = \"minmax\"",
            "normalisation = \"dist2targ\"",
        );
        let e = err(&text);
        assert!(e.starts_with("3 problems found:"), "{e}");
        assert!(e.contains("f.toml:22: indicator `life` uses dist2targ normalisation but gives no `target = <value>`"), "{e}");
        let text = SMALL.replace("normalisation = \"minmax\"", "normalisation = \"scaled\"");
        assert!(err(&text).contains(
            "indicator `no2` uses scaled normalisation but gives no `goalposts = [lo, hi]`"
        ));
    }

    #[test]
    fn nonpositive_is_unscored_by_default_and_reads_error_or_a_positive_offset_per_group() {
        let base = "[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\nGROUP\n[[indicator]]\nid = \"a\"\nparent = \"index\"\n";
        let parse = |methods: &str, group: &str| {
            Framework::parse(
                &format!("{methods}{}", base.replace("GROUP", group)),
                "f.toml",
            )
        };
        let f = parse("", "").unwrap();
        assert_eq!(f.methods.nonpositive, Nonpositive::Unscored);
        let f = parse("", "nonpositive = { offset = 0.5 }").unwrap();
        let NodeKind::Group { nonpositive, .. } = f.get("index").unwrap().kind else {
            panic!("a group")
        };
        assert_eq!(nonpositive, Some(Nonpositive::Offset(0.5)));
        let f = parse("[methods]\nnonpositive = \"error\"\n", "").unwrap();
        assert_eq!(f.methods.nonpositive, Nonpositive::Error);
        for bad in ["\"skip\"", "{ offset = 0 }", "{ offset = -1 }", "3"] {
            let err = parse("", &format!("nonpositive = {bad}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("nonpositive"), "{bad}: {err}");
        }
    }

    #[test]
    fn units_name_the_framework_s_units_and_default_to_cities() {
        let text = "[index]\nid = \"t\"\nname = \"T\"\nUNITS\n[[group]]\nid = \"index\"\n[[indicator]]\nid = \"a\"\nparent = \"index\"\n";
        let f = Framework::parse(&text.replace("UNITS", ""), "f.toml").unwrap();
        assert_eq!(f.units, "cities");
        let f =
            Framework::parse(&text.replace("UNITS", "units = \"countries\""), "f.toml").unwrap();
        assert_eq!(f.units, "countries");
        let err = Framework::parse(&text.replace("UNITS", "units = \" \""), "f.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be a plural noun"), "{err}");
    }

    #[test]
    fn a_group_reads_its_impute_and_not_applicable_and_rejects_malformed_ones() {
        let text = "[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\n[[group]]\nid = \"g\"\nparent = \"index\"\nRULES\n[[indicator]]\nid = \"a\"\nparent = \"g\"\n";
        let group = |rules: &str| {
            Framework::parse(&text.replace("RULES", rules), "f.toml").map(|f| {
                match &f.get("g").unwrap().kind {
                    NodeKind::Group {
                        impute,
                        not_applicable,
                        ..
                    } => (impute.clone(), not_applicable.clone()),
                    NodeKind::Indicator(_) => unreachable!("g is a group"),
                }
            })
        };
        assert_eq!(
            group("impute = { method = \"group_mean\", group = \"income\" }\nnot_applicable = { column = \"coast\", equals = [\"landlocked\", \"island\"] }").unwrap(),
            (
                Some(GroupImpute::GroupMean { column: "income".to_string() }),
                Some(NotApplicable::Attribute {
                    column: "coast".to_string(),
                    equals: vec!["landlocked".to_string(), "island".to_string()]
                })
            )
        );
        assert_eq!(
            group("impute = \"latest\"\nnot_applicable = [\"mli\"]").unwrap(),
            (
                Some(GroupImpute::Latest { max_age: None }),
                Some(NotApplicable::Units(vec!["mli".to_string()]))
            )
        );
        for bad in [
            "impute = \"linear\"",
            "impute = { method = \"mean\", group = \"region\" }",
            "not_applicable = \"mli\"",
            "not_applicable = { column = \"Coast\", equals = \"x\" }",
        ] {
            assert!(group(bad).is_err(), "{bad}");
        }
    }
}
