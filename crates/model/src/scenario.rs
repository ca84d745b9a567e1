//! Scenarios: named variations of a framework (indicators/scenarios/*.toml).
//!
//! ```toml
//! [scenario]
//! id = "outcome-led"
//! name = "Outcome-led"
//! description = "Health outcomes carry twice the weight of each other domain."
//! # Optional: "equal" (every child of every group weighs the same) or "pca" (every group
//! # takes the framework setting `weights = "pca"`: its children weighted by the squared
//! # loadings of their first principal component, derived from the data when scored).
//! # Applied before [weights]; a written weight makes its group's weights explicit again.
//! # weights = "pca"
//!
//! [weights]            # raw weights of any nodes, relative to their siblings
//! outcomes = 2
//!
//! [methods]            # any key of a framework's [methods], replacing the framework's
//! aggregation = "geometric"
//! scale = [1, 100]
//!
//! [data]
//! peers = ["london", "paris", "new-york"]   # the peer group scored
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::aggregation::GroupImpute;
use crate::cities::Cities;
use crate::error::{echo, line_of, read_text, Error, Problem, Result};
use crate::framework::{key_line, round_problem, scale_problem, weight_problem};
use crate::framework::{
    Aggregation, Bounds, Framework, Impute, Missing, NodeKind, Normalisation, Treatment,
};
use crate::limits::number;
use crate::weighting::Weighting;

/// How a scenario derives weights before its explicit `[weights]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DerivedWeights {
    /// The framework's weights.
    #[default]
    Nominal,
    /// Every child of every group weighs the same.
    Equal,
    /// Every group weighted by its children's first principal component: the framework's
    /// `weights = "pca"` on every group, derived from the data when scored.
    Pca,
}

/// Method overrides: every key optional.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodOverrides {
    pub normalisation: Option<Normalisation>,
    pub treatment: Option<Treatment>,
    pub bounds: Option<Bounds>,
    pub scale: Option<[f64; 2]>,
    pub aggregation: Option<Aggregation>,
    pub missing: Option<Missing>,
    pub impute: Option<Impute>,
    pub min_share: Option<f64>,
    pub round: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    scenario: RawHead,
    #[serde(default)]
    weights: BTreeMap<String, Spanned<f64>>,
    #[serde(default)]
    methods: MethodOverrides,
    #[serde(default)]
    impute: BTreeMap<String, Spanned<GroupImpute>>,
    #[serde(default)]
    data: RawData,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHead {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    weights: DerivedWeights,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawData {
    peers: Option<Spanned<Vec<String>>>,
}

/// A parsed scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Identifier (a column of compare.csv).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the scenario stands for.
    pub description: String,
    /// Weights derived from the data or made equal before `weights`.
    pub derived: DerivedWeights,
    /// Raw weights by node id, with the line each is on.
    pub weights: Vec<(String, f64, usize)>,
    /// Method overrides.
    pub methods: MethodOverrides,
    /// Group-level imputation by group id (`[impute] g14 = "mean"`), with the line of each.
    pub impute: Vec<(String, GroupImpute, usize)>,
    /// Peer group, with its line.
    pub peers: Option<(Vec<String>, usize)>,
    method_lines: MethodLines,
    file: String,
}

/// Lines of the `[methods]` settings checked when the scenario is applied.
#[derive(Debug, Clone, PartialEq, Default)]
struct MethodLines {
    scale: Option<usize>,
    min_share: Option<usize>,
    round: Option<usize>,
}

impl Scenario {
    /// Reads a scenario file.
    pub fn load(path: &Path) -> Result<Self> {
        Self::parse(&read_text(path)?, &path.display().to_string())
    }

    /// Parses a scenario; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let raw: RawScenario =
            toml::from_str(text).map_err(|e| Error::toml(file, "scenario", &e, text))?;
        Ok(Scenario {
            id: raw.scenario.id,
            name: raw.scenario.name,
            description: raw.scenario.description,
            derived: raw.scenario.weights,
            weights: raw
                .weights
                .into_iter()
                .map(|(id, w)| {
                    let line = line_of(text, w.span().start);
                    (id, w.into_inner(), line)
                })
                .collect(),
            methods: raw.methods,
            impute: raw
                .impute
                .into_iter()
                .map(|(id, m)| {
                    let line = line_of(text, m.span().start);
                    (id, m.into_inner(), line)
                })
                .collect(),
            peers: raw.data.peers.map(|p| {
                let line = line_of(text, p.span().start);
                (p.into_inner(), line)
            }),
            method_lines: MethodLines {
                scale: key_line(text, "methods", "scale"),
                min_share: key_line(text, "methods", "min_share"),
                round: key_line(text, "methods", "round"),
            },
            file: file.to_string(),
        })
    }

    /// The file the scenario was read from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The framework with this scenario's overrides (PCA weights are derived when it is
    /// scored: see [`DerivedWeights::Pca`]). Every problem names the scenario file,
    /// the line and the key: an unknown node, a negative or NaN weight, a group whose
    /// children all weigh 0, an unknown peer city, an invalid method setting.
    pub fn apply(&self, framework: &Framework, cities: &Cities) -> Result<Framework> {
        let mut out = framework.clone();
        let mut problems = Vec::new();
        let mut problem = |line: Option<usize>, message: String| {
            problems.push(Problem {
                file: self.file.clone(),
                line,
                message,
            });
        };
        match self.derived {
            DerivedWeights::Nominal => {}
            DerivedWeights::Equal => {
                for k in 0..out.nodes().len() {
                    out.set_weight(k, 1.0);
                    out.set_weighting(k, Weighting::Explicit);
                }
            }
            DerivedWeights::Pca => {
                // A group with one child has nothing to weigh.
                for k in 0..out.nodes().len() {
                    if out.children(k).len() >= 2 {
                        out.set_weighting(k, Weighting::Pca);
                    }
                }
            }
        }
        for (id, method, line) in &self.impute {
            let group = out.index_of(id).filter(|&k| !out.nodes()[k].is_indicator());
            match group {
                Some(k) => out.set_group_impute(k, method.clone()),
                None => problem(
                    Some(*line),
                    format!(
                        "impute.{}: `{}` is not a group of `{}`; give a group id of the framework",
                        echo(id),
                        echo(id),
                        framework.file()
                    ),
                ),
            }
        }
        for (id, weight, line) in &self.weights {
            let Some(k) = out.index_of(id) else {
                let shown = echo(id);
                problem(Some(*line), format!("weights.{shown}: `{shown}` is not a node of `{}`; give a group or indicator id of the framework", framework.file()));
                continue;
            };
            if let Some(message) = weight_problem(*weight) {
                problem(
                    Some(*line),
                    format!(
                        "weights.{}: weight {}: {message}",
                        echo(id),
                        number(*weight)
                    ),
                );
                continue;
            }
            out.set_weight(k, *weight);
            // A written weight makes its group's weights explicit again.
            if let Some(parent) = out.nodes()[k].parent.clone().and_then(|p| out.index_of(&p)) {
                if matches!(
                    out.nodes()[parent].kind,
                    NodeKind::Group {
                        weights: Weighting::Pca | Weighting::Equal | Weighting::Optimised { .. },
                        ..
                    }
                ) {
                    out.set_weighting(parent, Weighting::Explicit);
                }
            }
        }
        for (k, node) in out.nodes().iter().enumerate() {
            if matches!(node.kind, NodeKind::Group { .. })
                && !out.children(k).is_empty()
                && out
                    .children(k)
                    .iter()
                    .all(|&c| out.nodes()[c].weight == 0.0)
            {
                let line = self
                    .weights
                    .iter()
                    .find(|(id, ..)| out.children(k).iter().any(|&c| &out.nodes()[c].id == id))
                    .map(|w| w.2);
                problem(line, format!("weights: every child of group `{}` has weight 0; give at least one a positive weight", echo(&node.id)));
            }
        }
        let m = &self.methods;
        let methods = &mut out.methods;
        if let Some(v) = &m.normalisation {
            methods.normalisation = v.clone();
        }
        if let Some(v) = m.treatment {
            methods.treatment = v;
        }
        if let Some(v) = m.bounds {
            methods.bounds = v;
        }
        if let Some(scale) = m.scale {
            if let Some(message) = scale_problem(scale) {
                problem(self.method_lines.scale, message);
            }
            methods.scale = scale;
        }
        if let Some(v) = m.aggregation {
            methods.aggregation = v;
        }
        if let Some(v) = m.missing {
            methods.missing = v;
        }
        if let Some(v) = m.impute {
            methods.impute = v;
        }
        if let Some(v) = m.min_share {
            if !(0.0..=1.0).contains(&v) {
                problem(
                    self.method_lines.min_share,
                    format!("methods.min_share {v} must be between 0 and 1"),
                );
            }
            methods.min_share = v;
        }
        if let Some(v) = m.round {
            if let Some(message) = round_problem(Some(v)) {
                problem(self.method_lines.round, message);
            }
            methods.round = Some(v);
        }
        if let Some((peers, line)) = &self.peers {
            for p in peers {
                if cities.get(p).is_none() {
                    problem(Some(*line), format!("data.peers: `{}` is not a city id of the registry; use an id from cities.toml", echo(p)));
                }
            }
            if peers.len() < 2 {
                problem(
                    Some(*line),
                    String::from("data.peers: a peer group needs at least 2 cities"),
                );
            }
            out.data.peers.clone_from(peers);
        }
        Error::check(problems)?;
        Ok(out)
    }
}

/// Parses a method as written in a framework or scenario (`"zscore"`, `"geometric"`,
/// `"latest"`..., or an inline table such as `{ method = "zscore", mean = 10, sd = 2 }`) from a
/// command-line string; the error says what is accepted.
pub fn parse_method<T: serde::de::DeserializeOwned>(text: &str) -> std::result::Result<T, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct One<T> {
        v: T,
    }
    // An inline table (`{ method = "zscore", mean = 10, sd = 2 }`) as a framework writes it,
    // else a bare name.
    let text = text.trim();
    let toml = if text.starts_with('{') {
        format!("v = {text}")
    } else {
        format!("v = {}", toml::Value::String(text.to_string()))
    };
    toml::from_str::<One<T>>(&toml)
        .map(|one| one.v)
        .map_err(|e| e.message().trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_methods_from_command_line_names() {
        assert_eq!(
            parse_method::<Aggregation>("geometric"),
            Ok(Aggregation::Geometric)
        );
        assert_eq!(
            parse_method::<Normalisation>("rank"),
            Ok(Normalisation::Rank)
        );
        assert!(parse_method::<Aggregation>("median").is_err());
        // The inline table of a framework file, with the same checks.
        assert_eq!(
            parse_method::<Normalisation>("{ method = \"zscore\", mean = 10, sd = 2 }"),
            Ok(Normalisation::Zscore {
                mean: 10.0,
                sd: 2.0
            })
        );
        let e = parse_method::<Normalisation>("{ method = \"zscore\", sd = 0 }").unwrap_err();
        assert!(e.contains("positive `sd`"), "{e}");
        // Nothing but the one value: a second key is refused, not ignored.
        assert!(parse_method::<Normalisation>("{ method = \"rank\" }\nx = 1").is_err());
    }

    #[test]
    fn a_scenario_sets_a_group_s_imputation_and_names_a_node_that_is_not_a_group() {
        let framework = Framework::parse(
            "[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\n[[group]]\nid = \"g\"\nparent = \"index\"\n[[indicator]]\nid = \"a\"\nparent = \"g\"\n",
            "f.toml",
        )
        .unwrap();
        let cities = Cities::parse_csv("id,name\nx,X\n", "u.csv").unwrap();
        let scenario = Scenario::parse(
            "[scenario]\nid = \"s\"\nname = \"S\"\n[impute]\ng = { method = \"group_mean\", group = \"income\" }\n",
            "s.toml",
        )
        .unwrap();
        let out = scenario.apply(&framework, &cities).unwrap();
        let crate::NodeKind::Group { impute, .. } = &out.get("g").unwrap().kind else {
            panic!("g is a group")
        };
        assert_eq!(
            impute,
            &Some(GroupImpute::GroupMean {
                column: "income".to_string()
            })
        );
        let bad = Scenario::parse(
            "[scenario]\nid = \"s\"\nname = \"S\"\n[impute]\na = \"mean\"\n",
            "s.toml",
        )
        .unwrap();
        let err = bad.apply(&framework, &cities).unwrap_err().to_string();
        assert_eq!(
            err,
            "s.toml:5: impute.a: `a` is not a group of `f.toml`; give a group id of the framework"
        );
    }
}
