//! How a group's children are weighted: `weights = ...` in a `[[group]]` table.
//!
//! ```toml
//! [[group]]
//! id = "environment"
//! weights = "pca"                                        # or "explicit" (default), "equal", "optimised", "bod"
//! # weights = { method = "bod", min_share = 0.1, max_share = 0.5 }
//! # weights = { method = "optimised", targets = "weights" }  # influence in proportion to `weight`
//! ```

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// How the weights of a group's children are set. Data-driven methods (`Pca`, `Optimised`)
/// replace the children's `weight` at scoring time; `Bod` replaces the group's aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Weighting {
    /// Each child's `weight` as written in the framework (default).
    #[default]
    Explicit,
    /// Every child weighs the same, whatever its `weight`.
    Equal,
    /// Squared loadings of the first principal component of the standardised children
    /// (OECD/JRC Handbook's factor-analysis convention; COINr `get_PCA` proposes the raw loadings).
    Pca,
    /// Weights that bring each child's correlation with the group's score as close as possible
    /// to equal (COINr `get_opt_weights(optype = "balance", itarg = "equal")`) or, with
    /// `to_weights`, to the shares of the children's written `weight`s (COINr `itarg = c(...)`).
    Optimised {
        /// Targets are the children's written weights (`targets = "weights"`), not equal.
        to_weights: bool,
    },
    /// Benefit of the doubt (Compind `ci_bod`, `ci_bod_constr`): each city gets the weights most
    /// favourable to it, by linear programming. Replaces the group's aggregation.
    Bod {
        /// Lowest share `w_i x_i / sum(w x)` of each child in the city's score (0: none).
        min_share: f64,
        /// Highest share of each child in the city's score (1: none).
        max_share: f64,
    },
}

impl Weighting {
    /// Whether the children's weights are derived from the data at scoring time.
    pub fn is_data_driven(self) -> bool {
        matches!(self, Weighting::Pca | Weighting::Optimised { .. })
    }

    /// Whether the method is benefit of the doubt (per-city weights; replaces aggregation).
    pub fn is_bod(self) -> bool {
        matches!(self, Weighting::Bod { .. })
    }
}

impl fmt::Display for Weighting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weighting::Explicit => f.write_str("explicit"),
            Weighting::Equal => f.write_str("equal"),
            Weighting::Pca => f.write_str("pca"),
            Weighting::Optimised { to_weights: false } => f.write_str("optimised"),
            Weighting::Optimised { to_weights: true } => {
                f.write_str("optimised (targets: the written weights)")
            }
            Weighting::Bod {
                min_share,
                max_share,
            } if *min_share == 0.0 && *max_share == 1.0 => f.write_str("bod"),
            Weighting::Bod {
                min_share,
                max_share,
            } => write!(f, "bod (shares {min_share} to {max_share})"),
        }
    }
}

const WEIGHTINGS: &str = "`explicit`, `equal`, `pca`, `optimised`, `bod`, `{ method = \"bod\", min_share = 0.05, max_share = 0.5 }` or `{ method = \"optimised\", targets = \"weights\" }`";

struct WeightingVisitor;

impl<'de> Visitor<'de> for WeightingVisitor {
    type Value = (String, Option<f64>, Option<f64>, Option<String>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a weights method name or an inline table `{{ method = \"bod\", min_share = 0.05, max_share = 0.5 }}` or `{{ method = \"optimised\", targets = \"weights\" }}`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((v.to_string(), None, None, None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut method, mut lo, mut hi, mut targets) = (None, None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "method" => method = Some(map.next_value::<String>()?),
                "min_share" => lo = Some(map.next_value::<f64>()?),
                "max_share" => hi = Some(map.next_value::<f64>()?),
                "targets" => targets = Some(map.next_value::<String>()?),
                other => {
                    return Err(de::Error::custom(format!(
                    "unknown key `{other}` in the weights table: use `method`, `min_share`, `max_share` (bod) or `targets` (optimised)"
                )))
                }
            }
        }
        let method = method
            .ok_or_else(|| de::Error::custom("the weights table needs `method = \"...\"`"))?;
        Ok((method, lo, hi, targets))
    }
}

impl<'de> Deserialize<'de> for Weighting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (method, lo, hi, targets) = deserializer.deserialize_any(WeightingVisitor)?;
        let optimised = matches!(method.as_str(), "optimised" | "optimized");
        if !optimised && targets.is_some() {
            return Err(de::Error::custom(format!(
                "weights `{method}` takes no `targets`: only `optimised` does"
            )));
        }
        let to_weights = match targets.as_deref() {
            None | Some("equal") => false,
            Some("weights") => true,
            Some(other) => {
                return Err(de::Error::custom(format!(
                    "unknown optimised `targets = \"{other}\"`: use `\"equal\"` (equal influence, the default) or `\"weights\"` (influence in proportion to each child's `weight`)"
                )))
            }
        };
        if method != "bod" && (lo.is_some() || hi.is_some()) {
            return Err(de::Error::custom(format!(
                "weights `{method}` takes no `min_share` or `max_share`: only `bod` does"
            )));
        }
        Ok(match method.as_str() {
            "explicit" => Weighting::Explicit,
            "equal" => Weighting::Equal,
            "pca" => Weighting::Pca,
            "optimised" | "optimized" => Weighting::Optimised { to_weights },
            "bod" => Weighting::Bod {
                min_share: lo.unwrap_or(0.0),
                max_share: hi.unwrap_or(1.0),
            },
            other => {
                return Err(de::Error::custom(format!(
                    "unknown weights `{other}`: use {WEIGHTINGS}"
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
        weights: Weighting,
    }

    fn parse(text: &str) -> Result<Weighting, String> {
        toml::from_str::<Probe>(text)
            .map(|p| p.weights)
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn reads_names_and_the_bod_table() {
        assert_eq!(parse("weights = \"pca\""), Ok(Weighting::Pca));
        assert_eq!(parse("weights = \"equal\""), Ok(Weighting::Equal));
        assert_eq!(
            parse("weights = \"optimised\""),
            Ok(Weighting::Optimised { to_weights: false })
        );
        assert_eq!(
            parse("weights = { method = \"optimised\", targets = \"weights\" }"),
            Ok(Weighting::Optimised { to_weights: true })
        );
        assert_eq!(
            parse("weights = \"bod\""),
            Ok(Weighting::Bod {
                min_share: 0.0,
                max_share: 1.0
            })
        );
        assert_eq!(
            parse("weights = { method = \"bod\", min_share = 0.1, max_share = 0.6 }"),
            Ok(Weighting::Bod {
                min_share: 0.1,
                max_share: 0.6
            })
        );
        assert!(Weighting::Pca.is_data_driven() && !Weighting::Equal.is_data_driven());
    }

    #[test]
    fn rejects_unknown_methods_and_misplaced_bounds() {
        let e = parse("weights = \"entropy\"").unwrap_err();
        assert!(e.contains("unknown weights `entropy`"), "{e}");
        let e = parse("weights = { method = \"pca\", min_share = 0.1 }").unwrap_err();
        assert!(e.contains("only `bod`"), "{e}");
        let e = parse("weights = { method = \"bod\", lower = 0.1 }").unwrap_err();
        assert!(e.contains("unknown key `lower`"), "{e}");
        let e = parse("weights = { method = \"pca\", targets = \"weights\" }").unwrap_err();
        assert!(e.contains("only `optimised`"), "{e}");
        let e = parse("weights = { method = \"optimised\", targets = \"pca\" }").unwrap_err();
        assert!(e.contains("unknown optimised `targets = \"pca\"`"), "{e}");
    }
}
