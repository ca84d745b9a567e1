//! Method choices with parameters: how groups aggregate ([`Aggregation`]) and how missing
//! values are imputed ([`Impute`]).
//!
//! Both are written in a framework either as a plain name or as an inline table with the name
//! under `method` and the parameters beside it:
//!
//! ```toml
//! [methods]
//! aggregation = "harmonic"
//! impute = { method = "group_mean", group = "region" }
//!
//! [[group]]
//! id = "air"
//! aggregation = { method = "generalised", p = 2 }
//! ```

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::limits::MAX_POWER;

/// How a group combines its children (weights `w`, present children `x`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregation {
    /// Weighted arithmetic mean `sum(w x) / sum(w)` (COINr `a_amean`).
    Arithmetic,
    /// Weighted geometric mean `exp(sum(w ln x) / sum(w))`; every child must be positive
    /// (COINr `a_gmean`).
    Geometric,
    /// Weighted harmonic mean `sum(w) / sum(w / x)`; every child must be positive
    /// (COINr `a_hmean`).
    Harmonic,
    /// Weighted generalised (power) mean `(sum(w x^p) / sum(w))^(1/p)`, `p` finite and not 0
    /// (COINr `a_genmean`). Children must be positive when `p < 0`, not negative when `p > 0`.
    Generalised {
        /// The power: 1 is the arithmetic mean, -1 the harmonic, 2 the quadratic.
        p: f64,
    },
    /// Mazziotta-Pareto index (Compind `ci_mpi`, penalty `"POS"`): each child standardised
    /// across the year's cities to `z = 100 + 10 (x - mean) / sd` (population sd), then
    /// `M - S cv` with `M`, `S` the weighted mean and population sd of the city's `z` and
    /// `cv = S / M`. Needs every city of the year at once.
    Mpi,
    /// Adjusted Mazziotta-Pareto index (Compind `ci_ampi`, penalty `"NEG"`, reference the
    /// midrange): each child rescaled across the year's cities to `[70, 130]` by min-max,
    /// then `M - S cv` as for [`Aggregation::Mpi`]. Needs every city of the year at once.
    Ampi,
    /// Copeland pairwise outranking (COINr `a_copeland`): a city's score is the number of
    /// cities it beats on a weighted majority of their common children minus the number it
    /// loses to. Needs every city of the year at once.
    Copeland,
}

impl Aggregation {
    /// Whether the method needs every city of a year at once (cross-city standardisation or
    /// pairwise comparison) rather than one city's children alone.
    pub fn is_cross_city(self) -> bool {
        matches!(
            self,
            Aggregation::Mpi | Aggregation::Ampi | Aggregation::Copeland
        )
    }
}

/// Screening of cities before normalisation (COINr `Screen(unit_screen = "byNA")`):
/// `[methods] screen = { min_share = 0.8 }`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screen {
    /// A city is dropped from a year when the share of the framework's indicators it has a
    /// raw value for in that year is below this (COINr `dat_thresh`), in `[0, 1]`.
    pub min_share: f64,
}

impl fmt::Display for Aggregation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Aggregation::Arithmetic => f.write_str("arithmetic"),
            Aggregation::Geometric => f.write_str("geometric"),
            Aggregation::Harmonic => f.write_str("harmonic"),
            Aggregation::Generalised { p } => write!(f, "generalised (p = {p})"),
            Aggregation::Mpi => f.write_str("mpi"),
            Aggregation::Ampi => f.write_str("ampi"),
            Aggregation::Copeland => f.write_str("copeland"),
        }
    }
}

/// What a geometric, harmonic or negative-power mean does with a child it cannot take (a
/// normalised value of 0 or less): `nonpositive = "unscored"` (the default), `"error"`, or
/// `{ offset = c }`, in `[methods]` or on a group.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Nonpositive {
    /// The city gets no score that year for the group and every group above it, and the
    /// outputs say why (`unscored.csv`): what publishers do (the UNDP leaves such a country-year
    /// without an HDI).
    #[default]
    Unscored,
    /// The run stops with an error naming the city, year, group, child and value.
    Error,
    /// `c` (positive) is added to every child of the group before the mean:
    /// `exp(sum(w ln(x + c)) / sum(w))` for the geometric mean. It changes the formula: use it
    /// only where the index's own method says so.
    Offset(f64),
}

impl fmt::Display for Nonpositive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Nonpositive::Unscored => f.write_str("unscored"),
            Nonpositive::Error => f.write_str("error"),
            Nonpositive::Offset(c) => write!(f, "{{ offset = {c} }}"),
        }
    }
}

impl<'de> Deserialize<'de> for Nonpositive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Table { offset: f64 },
        }
        const USE: &str = "use `\"unscored\"` (the default: the city-year gets no score, with the reason in unscored.csv), `\"error\"`, or `{ offset = c }` with c > 0";
        match Raw::deserialize(deserializer).map_err(|_| {
            de::Error::custom(format!("nonpositive must be a word or a table: {USE}"))
        })? {
            Raw::Word(w) if w == "unscored" => Ok(Nonpositive::Unscored),
            Raw::Word(w) if w == "error" => Ok(Nonpositive::Error),
            Raw::Word(other) => Err(de::Error::custom(format!(
                "unknown nonpositive `{other}`: {USE}"
            ))),
            Raw::Table { offset } if offset.is_finite() && offset > 0.0 && offset <= 1e15 => {
                Ok(Nonpositive::Offset(offset))
            }
            Raw::Table { offset } => Err(de::Error::custom(format!(
                "nonpositive offset = {offset} must be a number above 0 and at most 1e15"
            ))),
        }
    }
}

/// How a group's missing score is filled (`impute` on a `[[group]]`): COINr-style per-level
/// imputation, after the group is aggregated and before its parent is. Every filled score is
/// flagged `imputed` in scores.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupImpute {
    /// The mean of the group's score over the units scored that year.
    Mean,
    /// Their median.
    Median,
    /// The mean over the units with the same value of a registry column (`region`,
    /// `country` or an attribute such as `income`).
    GroupMean {
        /// The registry column.
        column: String,
    },
    /// The median over the units with the same value of the column.
    GroupMedian {
        /// The registry column.
        column: String,
    },
    /// The unit's own score of the group in its latest earlier year with one (not itself
    /// imputed), at most `max_age` years before.
    Latest {
        /// Oldest year usable, in calendar years before the missing one; `None`: any.
        max_age: Option<u32>,
    },
}

impl fmt::Display for GroupImpute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupImpute::Mean => f.write_str("mean"),
            GroupImpute::Median => f.write_str("median"),
            GroupImpute::GroupMean { column } => write!(f, "group_mean by {column}"),
            GroupImpute::GroupMedian { column } => write!(f, "group_median by {column}"),
            GroupImpute::Latest { max_age: None } => f.write_str("latest"),
            GroupImpute::Latest { max_age: Some(a) } => write!(f, "latest (max_age {a})"),
        }
    }
}

impl<'de> Deserialize<'de> for GroupImpute {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const USE: &str = "use `mean`, `median`, `group_mean`, `group_median` (with `group = COLUMN`, default `region`) or `latest` (with `max_age`)";
        let spec = deserializer.deserialize_any(SpecVisitor {
            what: "group impute",
            keys: &["method", "group", "max_age"],
        })?;
        let method = spec.method.as_str();
        if spec.group.is_some() && !matches!(method, "group_mean" | "group_median") {
            return Err(de::Error::custom(format!(
                "group impute `{method}` takes no `group`: only `group_mean` and `group_median` do"
            )));
        }
        if spec.max_age.is_some() && method != "latest" {
            return Err(de::Error::custom(format!(
                "group impute `{method}` takes no `max_age`: only `latest` does"
            )));
        }
        let column = match spec.group {
            None => "region".to_string(),
            Some(c) if crate::cities::is_identifier(&c) => c,
            Some(other) => {
                return Err(de::Error::custom(format!(
                    "group impute group `{other}` is not a registry column: use `region`, `country` or an attribute such as `income`"
                )))
            }
        };
        let max_age = match spec.max_age {
            None => None,
            Some(age) => Some(u32::try_from(age).map_err(|_| {
                de::Error::custom(format!(
                    "group impute max_age = {age} must be a whole number of years, 0 or more"
                ))
            })?),
        };
        Ok(match method {
            "mean" => GroupImpute::Mean,
            "median" => GroupImpute::Median,
            "group_mean" => GroupImpute::GroupMean { column },
            "group_median" => GroupImpute::GroupMedian { column },
            "latest" => GroupImpute::Latest { max_age },
            other => {
                return Err(de::Error::custom(format!(
                    "unknown group impute `{other}`: {USE}"
                )))
            }
        })
    }
}

/// The units a group does not apply to (`not_applicable` on a `[[group]]`): listed by id, or
/// those whose registry column has one of some values. For them the group weighs 0: it is
/// left out of their aggregate (the parent's weights renormalised over the rest, whatever
/// `missing` says), even where they have values for its indicators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotApplicable {
    /// `not_applicable = ["mli", "npl"]`.
    Units(Vec<String>),
    /// `not_applicable = { column = "coast", equals = "landlocked" }` (or a list of values).
    Attribute {
        /// The registry column (`region`, `country` or an attribute).
        column: String,
        /// The values it applies to.
        equals: Vec<String>,
    },
}

impl<'de> Deserialize<'de> for NotApplicable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Units(Vec<String>),
            Attribute { column: String, equals: OneOrMany },
        }
        let raw = Raw::deserialize(deserializer).map_err(|_| {
            de::Error::custom(
                "not_applicable must be a list of unit ids (`[\"mli\", \"npl\"]`) or `{ column = \"coast\", equals = \"landlocked\" }`",
            )
        })?;
        Ok(match raw {
            Raw::Units(ids) => NotApplicable::Units(ids),
            Raw::Attribute { column, equals } => {
                if !crate::cities::is_identifier(&column) {
                    return Err(de::Error::custom(format!(
                        "not_applicable column `{column}` is not a registry column: use `region`, `country` or an attribute such as `coast`"
                    )));
                }
                NotApplicable::Attribute {
                    column,
                    equals: match equals {
                        OneOrMany::One(v) => vec![v],
                        OneOrMany::Many(v) => v,
                    },
                }
            }
        })
    }
}

impl NotApplicable {
    /// Whether the group does not apply to `city`.
    pub fn excludes(&self, city: &crate::City) -> bool {
        match self {
            NotApplicable::Units(ids) => ids.contains(&city.id),
            NotApplicable::Attribute { column, equals } => city
                .attribute(column)
                .is_some_and(|v| equals.iter().any(|e| e == v)),
        }
    }
}

/// Which column of the city registry forms the groups of a group imputation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImputeGroup {
    /// `region` in cities.toml.
    Region,
    /// `country` in cities.toml.
    Country,
}

impl fmt::Display for ImputeGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImputeGroup::Region => "region",
            ImputeGroup::Country => "country",
        })
    }
}

/// How missing raw values are filled before normalisation. Every filled value is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Impute {
    /// Missing stays missing (aggregation then skips or propagates it).
    #[default]
    None,
    /// The mean of the indicator over the cities that have it, year by year (COINr `i_mean`).
    Mean,
    /// The median, year by year (COINr `i_median`).
    Median,
    /// The mean within the city's group, year by year (COINr `i_mean_grp`).
    GroupMean {
        /// The registry column forming the groups.
        group: ImputeGroup,
    },
    /// The median within the city's group, year by year (COINr `i_median_grp`).
    GroupMedian {
        /// The registry column forming the groups.
        group: ImputeGroup,
    },
    /// The city's latest earlier value of the indicator, at most `max_age` years old
    /// (COINr `impute_panel` type `latest`).
    Latest {
        /// Oldest value usable, in calendar years before the missing one; `None`: any.
        max_age: Option<u32>,
    },
    /// The latest earlier value, or the first later one for leading gaps (COINr `constant`).
    Constant,
    /// Linear interpolation between the city's values over the years, flat beyond its first
    /// and last (COINr `linear`, `approx(rule = 2)`); a series with one value is left alone.
    Linear,
    /// As [`Impute::Linear`], but a series with a single value is filled with it
    /// (COINr `linear-constant`).
    LinearConstant,
}

impl Impute {
    /// Whether the method works along each city's years rather than across cities.
    pub fn is_panel(self) -> bool {
        matches!(
            self,
            Impute::Latest { .. } | Impute::Constant | Impute::Linear | Impute::LinearConstant
        )
    }
}

impl fmt::Display for Impute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Impute::None => f.write_str("none"),
            Impute::Mean => f.write_str("mean"),
            Impute::Median => f.write_str("median"),
            Impute::GroupMean { group } => write!(f, "group_mean by {group}"),
            Impute::GroupMedian { group } => write!(f, "group_median by {group}"),
            Impute::Latest { max_age: None } => f.write_str("latest"),
            Impute::Latest { max_age: Some(a) } => write!(f, "latest (max_age = {a})"),
            Impute::Constant => f.write_str("constant"),
            Impute::Linear => f.write_str("linear"),
            Impute::LinearConstant => f.write_str("linear_constant"),
        }
    }
}

const AGGREGATIONS: &str =
    "`arithmetic`, `geometric`, `harmonic`, `mpi`, `ampi`, `copeland` or `{ method = \"generalised\", p = 2 }`";
const IMPUTATIONS: &str = "`none`, `mean`, `median`, `group_mean`, `group_median`, `latest`, `constant`, `linear` or `linear_constant`";

/// A method name with its parameters, as read from a string or an inline table.
#[derive(Default)]
struct Spec {
    method: String,
    p: Option<f64>,
    group: Option<String>,
    max_age: Option<i64>,
}

struct SpecVisitor {
    what: &'static str,
    keys: &'static [&'static str],
}

impl<'de> Visitor<'de> for SpecVisitor {
    type Value = Spec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} method name or an inline table `{{ method = \"...\", ... }}`",
            self.what
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Spec, E> {
        Ok(Spec {
            method: v.to_string(),
            ..Spec::default()
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spec, A::Error> {
        let mut spec = Spec::default();
        let mut method = None;
        while let Some(key) = map.next_key::<String>()? {
            if !self.keys.contains(&key.as_str()) {
                return Err(de::Error::custom(format!(
                    "unknown key `{key}` in the {} table: use {}",
                    self.what,
                    self.keys
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            match key.as_str() {
                "method" => method = Some(map.next_value::<String>()?),
                "p" => spec.p = Some(map.next_value::<f64>()?),
                "group" => spec.group = Some(map.next_value::<String>()?),
                _ => spec.max_age = Some(map.next_value::<i64>()?),
            }
        }
        spec.method = method.ok_or_else(|| {
            de::Error::custom(format!("the {} table needs `method = \"...\"`", self.what))
        })?;
        Ok(spec)
    }
}

impl<'de> Deserialize<'de> for Aggregation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spec = deserializer.deserialize_any(SpecVisitor {
            what: "aggregation",
            keys: &["method", "p"],
        })?;
        let no_p = |aggregation: Aggregation| match spec.p {
            Some(_) => Err(de::Error::custom(format!(
                "aggregation `{}` takes no `p`: only `generalised` has a power",
                spec.method
            ))),
            None => Ok(aggregation),
        };
        match spec.method.as_str() {
            "arithmetic" => no_p(Aggregation::Arithmetic),
            "geometric" => no_p(Aggregation::Geometric),
            "harmonic" => no_p(Aggregation::Harmonic),
            "mpi" => no_p(Aggregation::Mpi),
            "ampi" => no_p(Aggregation::Ampi),
            "copeland" => no_p(Aggregation::Copeland),
            "generalised" | "generalized" => match spec.p {
                None => Err(de::Error::custom(
                    "the generalised mean needs a power: write `aggregation = { method = \"generalised\", p = 2 }`",
                )),
                Some(p) if !p.is_finite() || p == 0.0 => Err(de::Error::custom(format!(
                    "generalised mean power p = {p} must be finite and not 0 (p = 0 is the limit: use `geometric`)"
                ))),
                Some(p) if p.abs() > MAX_POWER => Err(de::Error::custom(format!(
                    "generalised mean power p = {} is outside the accepted -{MAX_POWER}..={MAX_POWER} (and not 0): beyond that the mean is the minimum or maximum to within rounding; use a smaller power",
                    // 1e300 as written, not as 301 digits.
                    if p.abs() < 1e6 { p.to_string() } else { format!("{p:e}") }
                ))),
                Some(p) => Ok(Aggregation::Generalised { p }),
            },
            other => Err(de::Error::custom(format!(
                "unknown aggregation `{other}`: use {AGGREGATIONS}"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Impute {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spec = deserializer.deserialize_any(SpecVisitor {
            what: "impute",
            keys: &["method", "group", "max_age"],
        })?;
        let method = spec.method.as_str();
        let grouped = matches!(method, "group_mean" | "group_median");
        if spec.group.is_some() && !grouped {
            return Err(de::Error::custom(format!(
                "impute `{method}` takes no `group`: only `group_mean` and `group_median` do"
            )));
        }
        if spec.max_age.is_some() && method != "latest" {
            return Err(de::Error::custom(format!(
                "impute `{method}` takes no `max_age`: only `latest` does"
            )));
        }
        let group = match spec.group.as_deref() {
            None | Some("region") => ImputeGroup::Region,
            Some("country") => ImputeGroup::Country,
            Some(other) => {
                return Err(de::Error::custom(format!(
                "unknown impute group `{other}`: use a cities.toml column, `region` or `country`"
            )))
            }
        };
        let max_age = match spec.max_age {
            None => None,
            Some(age) => Some(u32::try_from(age).map_err(|_| {
                de::Error::custom(format!(
                    "impute max_age = {age} must be a whole number of years, 0 or more"
                ))
            })?),
        };
        Ok(match method {
            "none" => Impute::None,
            "mean" => Impute::Mean,
            "median" => Impute::Median,
            "group_mean" => Impute::GroupMean { group },
            "group_median" => Impute::GroupMedian { group },
            "latest" => Impute::Latest { max_age },
            "constant" => Impute::Constant,
            "linear" => Impute::Linear,
            "linear_constant" => Impute::LinearConstant,
            other => {
                return Err(de::Error::custom(format!(
                    "unknown imputation `{other}`: use {IMPUTATIONS}"
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        aggregation: Option<Aggregation>,
        impute: Option<Impute>,
    }

    fn parse(text: &str) -> Result<Probe, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }

    #[test]
    fn reads_names_and_tables() {
        let p = parse("aggregation = \"harmonic\"\nimpute = \"median\"").unwrap();
        assert_eq!(p.aggregation, Some(Aggregation::Harmonic));
        assert_eq!(p.impute, Some(Impute::Median));
        let p = parse("aggregation = { method = \"generalised\", p = -1 }\nimpute = { method = \"latest\", max_age = 3 }").unwrap();
        assert_eq!(p.aggregation, Some(Aggregation::Generalised { p: -1.0 }));
        assert_eq!(p.impute, Some(Impute::Latest { max_age: Some(3) }));
        let p = parse("impute = { method = \"group_median\", group = \"country\" }").unwrap();
        assert_eq!(
            p.impute,
            Some(Impute::GroupMedian {
                group: ImputeGroup::Country
            })
        );
        let p = parse("impute = \"group_mean\"").unwrap();
        assert_eq!(
            p.impute,
            Some(Impute::GroupMean {
                group: ImputeGroup::Region
            })
        );
    }

    #[test]
    fn rejects_bad_methods_and_parameters_with_the_fix() {
        let e = parse("aggregation = \"generalised\"").err().unwrap();
        assert!(e.contains("p = 2"), "{e}");
        let e = parse("aggregation = { method = \"generalised\", p = 0 }")
            .err()
            .unwrap();
        assert!(e.contains("use `geometric`"), "{e}");
        let p = parse("aggregation = \"mpi\"").unwrap();
        assert_eq!(p.aggregation, Some(Aggregation::Mpi));
        assert!(Aggregation::Copeland.is_cross_city() && !Aggregation::Harmonic.is_cross_city());
        let e = parse("aggregation = { method = \"copeland\", p = 2 }")
            .err()
            .unwrap();
        assert!(e.contains("takes no `p`"), "{e}");
        let e = parse("aggregation = \"median\"").err().unwrap();
        assert!(e.contains("unknown aggregation `median`"), "{e}");
        let e = parse("aggregation = { method = \"arithmetic\", p = 2 }")
            .err()
            .unwrap();
        assert!(e.contains("takes no `p`"), "{e}");
        let e = parse("impute = { method = \"mean\", max_age = 2 }")
            .err()
            .unwrap();
        assert!(e.contains("only `latest`"), "{e}");
        let e = parse("impute = { method = \"group_mean\", group = \"continent\" }")
            .err()
            .unwrap();
        assert!(e.contains("`region` or `country`"), "{e}");
        let e = parse("impute = { method = \"latest\", max_age = -1 }")
            .err()
            .unwrap();
        assert!(e.contains("0 or more"), "{e}");
        let e = parse("impute = { group = \"region\" }").err().unwrap();
        assert!(e.contains("needs `method"), "{e}");
    }
}
