//! Normalisation and outlier-treatment methods, as written in a framework file.
//!
//! Both accept a bare method name for parameterless methods (`normalisation = "minmax"`) or a
//! table naming the method and its parameters
//! (`normalisation = { method = "zscore", mean = 10, sd = 2 }`).

use std::fmt;

use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::limits::{MAX_LAMBDA, MAX_MAGNITUDE, MAX_THRESHOLD, MAX_WINMAX};

/// How indicator values are brought to a common scale. Every method multiplies the values by
/// the indicator's direction (`+1`/`-1`) first, as COINr does, so higher is better afterwards.
#[derive(Debug, Clone, PartialEq)]
pub enum Normalisation {
    /// `l + (x' - min) / (max - min) * (u - l)` to the framework's `scale` (COINr `n_minmax`).
    Minmax,
    /// `(x' - mean(x')) / sd(x') * sd + mean`, sample sd (COINr `n_zscore`).
    Zscore {
        /// Mean of the normalised values.
        mean: f64,
        /// Standard deviation of the normalised values (positive).
        sd: f64,
    },
    /// `clamp((x - lo) / (hi - lo), 0, 1)` to `scale`; reversed for lower-is-better
    /// (COINr `n_goalposts`). Needs the indicator's `goalposts`.
    Goalposts,
    /// Goalposts without the clamp (COINr `n_scaled` with `use_iMeta`). Needs `goalposts`.
    Scaled,
    /// `1 - (max - x') / (max - min)` (COINr `n_dist2max`).
    Dist2max,
    /// `1 - (x'_ref - x') / (x'_ref - min)`: 1 for the reference city (COINr `n_dist2ref`).
    Dist2ref {
        /// Id of the reference city.
        city: String,
        /// Cap scores above the reference at 1.
        cap_max: bool,
    },
    /// `(x' - min) / (target' - min)`: 1 at the indicator's `target` (COINr `n_dist2targ`).
    Dist2targ {
        /// Cap scores beyond the target at 1.
        cap_max: bool,
    },
    /// `x' / max(x')` (COINr `n_fracmax`).
    Fracmax,
    /// Rank, 1 = worst, ties share the lowest rank (COINr `n_rank`).
    Rank,
    /// Percentile rank `(rank - 1) / (n - 1)` (COINr `n_prank`).
    Prank,
    /// Borda score `rank - 1` (COINr `n_borda`).
    Borda,
}

/// Method names accepted by `normalisation`.
const NORMALISATIONS: &[&str] = &[
    "minmax",
    "zscore",
    "goalposts",
    "scaled",
    "dist2max",
    "dist2ref",
    "dist2targ",
    "fracmax",
    "rank",
    "prank",
    "borda",
];

impl Normalisation {
    /// The method's name in a framework file.
    pub fn name(&self) -> &'static str {
        match self {
            Normalisation::Minmax => "minmax",
            Normalisation::Zscore { .. } => "zscore",
            Normalisation::Goalposts => "goalposts",
            Normalisation::Scaled => "scaled",
            Normalisation::Dist2max => "dist2max",
            Normalisation::Dist2ref { .. } => "dist2ref",
            Normalisation::Dist2targ { .. } => "dist2targ",
            Normalisation::Fracmax => "fracmax",
            Normalisation::Rank => "rank",
            Normalisation::Prank => "prank",
            Normalisation::Borda => "borda",
        }
    }

    /// Whether the method needs the indicator's `goalposts`.
    pub fn needs_goalposts(&self) -> bool {
        matches!(self, Normalisation::Goalposts | Normalisation::Scaled)
    }

    /// Whether the method needs the indicator's `target`.
    pub fn needs_target(&self) -> bool {
        matches!(self, Normalisation::Dist2targ { .. })
    }

    /// Whether the method's parameters are in the indicator's natural units (goalposts,
    /// target), so that a unit-changing treatment (log, Box-Cox) cannot precede it.
    pub fn in_natural_units(&self) -> bool {
        self.needs_goalposts() || self.needs_target()
    }
}

impl fmt::Display for Normalisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Normalisation::Minmax => f.write_str("min-max"),
            Normalisation::Zscore { mean, sd } => write!(f, "z-score (mean {mean}, sd {sd})"),
            Normalisation::Goalposts => f.write_str("goalposts"),
            Normalisation::Scaled => f.write_str("goalposts without capping"),
            Normalisation::Dist2max => f.write_str("distance to the best"),
            Normalisation::Dist2ref { city, .. } => write!(f, "distance to {city}"),
            Normalisation::Dist2targ { .. } => f.write_str("distance to target"),
            Normalisation::Fracmax => f.write_str("fraction of the best"),
            Normalisation::Rank => f.write_str("rank"),
            Normalisation::Prank => f.write_str("percentile rank"),
            Normalisation::Borda => f.write_str("Borda score"),
        }
    }
}

/// The table form of [`Normalisation`].
#[derive(Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
enum NormalisationTable {
    Minmax,
    Zscore {
        #[serde(default)]
        mean: f64,
        #[serde(default = "one")]
        sd: f64,
    },
    Goalposts,
    Scaled,
    Dist2max,
    Dist2ref {
        city: String,
        #[serde(default)]
        cap_max: bool,
    },
    Dist2targ {
        #[serde(default)]
        cap_max: bool,
    },
    Fracmax,
    Rank,
    Prank,
    Borda,
}

fn one() -> f64 {
    1.0
}

impl<'de> Deserialize<'de> for Normalisation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Method;
        impl<'de> Visitor<'de> for Method {
            type Value = Normalisation;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a method name such as \"minmax\", or a table such as { method = \"zscore\", mean = 0, sd = 1 }")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Normalisation, E> {
                Ok(match name {
                    "minmax" => Normalisation::Minmax,
                    "zscore" => Normalisation::Zscore { mean: 0.0, sd: 1.0 },
                    "goalposts" => Normalisation::Goalposts,
                    "scaled" => Normalisation::Scaled,
                    "dist2max" => Normalisation::Dist2max,
                    "dist2ref" => return Err(E::custom(
                        "`dist2ref` needs a reference city: write `{ method = \"dist2ref\", city = \"<city id>\" }`",
                    )),
                    "dist2targ" => Normalisation::Dist2targ { cap_max: false },
                    "fracmax" => Normalisation::Fracmax,
                    "rank" => Normalisation::Rank,
                    "prank" => Normalisation::Prank,
                    "borda" => Normalisation::Borda,
                    _ => return Err(E::unknown_variant(name, NORMALISATIONS)),
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Normalisation, A::Error> {
                Ok(
                    match NormalisationTable::deserialize(MapAccessDeserializer::new(map))? {
                        NormalisationTable::Minmax => Normalisation::Minmax,
                        NormalisationTable::Zscore { mean, sd } => {
                            if !(mean.is_finite() && sd.is_finite() && sd > 0.0) {
                                return Err(de::Error::custom(format!("zscore needs a finite `mean` and a positive `sd`, not mean {mean}, sd {sd}")));
                            }
                            if mean.abs() > MAX_MAGNITUDE || sd > MAX_MAGNITUDE {
                                return Err(de::Error::custom(format!("zscore `mean` {mean} and `sd` {sd} must each be at most {MAX_MAGNITUDE:e} in magnitude: larger ones overflow the scores")));
                            }
                            Normalisation::Zscore { mean, sd }
                        }
                        NormalisationTable::Goalposts => Normalisation::Goalposts,
                        NormalisationTable::Scaled => Normalisation::Scaled,
                        NormalisationTable::Dist2max => Normalisation::Dist2max,
                        NormalisationTable::Dist2ref { city, cap_max } => {
                            Normalisation::Dist2ref { city, cap_max }
                        }
                        NormalisationTable::Dist2targ { cap_max } => {
                            Normalisation::Dist2targ { cap_max }
                        }
                        NormalisationTable::Fracmax => Normalisation::Fracmax,
                        NormalisationTable::Rank => Normalisation::Rank,
                        NormalisationTable::Prank => Normalisation::Prank,
                        NormalisationTable::Borda => Normalisation::Borda,
                    },
                )
            }
        }
        deserializer.deserialize_any(Method)
    }
}

/// Outlier treatment of an indicator's values, before normalisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Treatment {
    /// No treatment.
    None,
    /// COINr's default `Treat`: while `|skew| >= skew_thresh` and `kurt >= kurt_thresh`,
    /// winsorise the extreme value(s) on the side of the skew, while fewer than `winmax` points
    /// have been winsorised; if that fails, use `ln(x - min + 0.01 (max - min))` of the original
    /// values instead.
    Winsorise {
        /// Most points winsorised before falling back to the log.
        winmax: usize,
        /// Absolute skewness threshold.
        skew_thresh: f64,
        /// Excess kurtosis threshold.
        kurt_thresh: f64,
    },
    /// Natural logarithm of every value (values must be > 0).
    Log,
    /// Box-Cox `((x - min + 1)^lambda - 1) / lambda`, `ln(x - min + 1)` when lambda is 0
    /// (COINr `boxcox` with `makepos = TRUE`).
    Boxcox {
        /// The Box-Cox exponent.
        lambda: f64,
    },
}

/// COINr's `Treat` defaults.
pub const WINSORISE_DEFAULT: Treatment = Treatment::Winsorise {
    winmax: 5,
    skew_thresh: 2.0,
    kurt_thresh: 3.5,
};

const TREATMENTS: &[&str] = &["none", "winsorise", "log", "boxcox"];

impl Treatment {
    /// The method's name in a framework file.
    pub fn name(&self) -> &'static str {
        match self {
            Treatment::None => "none",
            Treatment::Winsorise { .. } => "winsorise",
            Treatment::Log => "log",
            Treatment::Boxcox { .. } => "boxcox",
        }
    }
}

impl fmt::Display for Treatment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Treatment::None => f.write_str("none"),
            Treatment::Winsorise { winmax, .. } => write!(f, "winsorised (up to {winmax} points)"),
            Treatment::Log => f.write_str("log"),
            Treatment::Boxcox { lambda } => write!(f, "Box-Cox (lambda {lambda})"),
        }
    }
}

/// The table form of [`Treatment`].
#[derive(Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
enum TreatmentTable {
    None,
    Winsorise {
        #[serde(default = "winmax")]
        winmax: usize,
        #[serde(default = "skew_thresh")]
        skew_thresh: f64,
        #[serde(default = "kurt_thresh")]
        kurt_thresh: f64,
    },
    Log,
    Boxcox {
        lambda: f64,
    },
}

fn winmax() -> usize {
    5
}
fn skew_thresh() -> f64 {
    2.0
}
fn kurt_thresh() -> f64 {
    3.5
}

impl<'de> Deserialize<'de> for Treatment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Method;
        impl<'de> Visitor<'de> for Method {
            type Value = Treatment;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a method name such as \"winsorise\", or a table such as { method = \"boxcox\", lambda = 0.5 }")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Treatment, E> {
                Ok(match name {
                    "none" => Treatment::None,
                    "winsorise" => WINSORISE_DEFAULT,
                    "log" => Treatment::Log,
                    "boxcox" => return Err(E::custom(
                        "`boxcox` needs an exponent: write `{ method = \"boxcox\", lambda = 0.5 }`",
                    )),
                    _ => return Err(E::unknown_variant(name, TREATMENTS)),
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Treatment, A::Error> {
                Ok(
                    match TreatmentTable::deserialize(MapAccessDeserializer::new(map))? {
                        TreatmentTable::None => Treatment::None,
                        TreatmentTable::Winsorise {
                            winmax,
                            skew_thresh,
                            kurt_thresh,
                        } => {
                            let accepted = |t: f64| t.is_finite() && t > 0.0 && t <= MAX_THRESHOLD;
                            if !(accepted(skew_thresh) && accepted(kurt_thresh)) {
                                return Err(de::Error::custom(format!(
                                    "winsorise needs `skew_thresh` and `kurt_thresh` above 0 and at most {MAX_THRESHOLD:e}, not skew_thresh {skew_thresh}, kurt_thresh {kurt_thresh}"
                                )));
                            }
                            if winmax > MAX_WINMAX {
                                return Err(de::Error::custom(format!(
                                    "winsorise `winmax` {winmax} must be at most {MAX_WINMAX}"
                                )));
                            }
                            Treatment::Winsorise {
                                winmax,
                                skew_thresh,
                                kurt_thresh,
                            }
                        }
                        TreatmentTable::Log => Treatment::Log,
                        TreatmentTable::Boxcox { lambda } => {
                            if !lambda.is_finite() || lambda.abs() > MAX_LAMBDA {
                                return Err(de::Error::custom(format!(
                                    "boxcox `lambda` {lambda} must be finite and within -{MAX_LAMBDA}..={MAX_LAMBDA}: larger exponents overflow the transformed values"
                                )));
                            }
                            Treatment::Boxcox { lambda }
                        }
                    },
                )
            }
        }
        deserializer.deserialize_any(Method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct One {
        n: Option<Normalisation>,
        t: Option<Treatment>,
    }

    fn parse(text: &str) -> std::result::Result<One, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_bare_names_and_tables() {
        assert_eq!(
            parse("n = \"minmax\"").unwrap().n,
            Some(Normalisation::Minmax)
        );
        assert_eq!(
            parse("n = \"zscore\"").unwrap().n,
            Some(Normalisation::Zscore { mean: 0.0, sd: 1.0 })
        );
        assert_eq!(
            parse("n = { method = \"zscore\", mean = 10, sd = 2 }")
                .unwrap()
                .n,
            Some(Normalisation::Zscore {
                mean: 10.0,
                sd: 2.0
            })
        );
        assert_eq!(
            parse("n = { method = \"dist2ref\", city = \"london\", cap_max = true }")
                .unwrap()
                .n,
            Some(Normalisation::Dist2ref {
                city: "london".into(),
                cap_max: true
            })
        );
        assert_eq!(
            parse("n = { method = \"rank\" }").unwrap().n,
            Some(Normalisation::Rank)
        );
        assert_eq!(
            parse("t = \"winsorise\"").unwrap().t,
            Some(WINSORISE_DEFAULT)
        );
        assert_eq!(
            parse("t = { method = \"winsorise\", winmax = 1 }")
                .unwrap()
                .t,
            Some(Treatment::Winsorise {
                winmax: 1,
                skew_thresh: 2.0,
                kurt_thresh: 3.5
            })
        );
        assert_eq!(
            parse("t = { method = \"boxcox\", lambda = 0.5 }")
                .unwrap()
                .t,
            Some(Treatment::Boxcox { lambda: 0.5 })
        );
    }

    #[test]
    fn rejects_unknown_methods_fields_and_missing_parameters() {
        let e = parse("n = \"minmix\"").err().unwrap();
        assert!(e.contains("unknown variant `minmix`"), "{e}");
        let e = parse("n = \"dist2ref\"").err().unwrap();
        assert!(e.contains("`dist2ref` needs a reference city"), "{e}");
        let e = parse("n = { method = \"dist2ref\" }").err().unwrap();
        assert!(e.contains("missing field `city`"), "{e}");
        let e = parse("n = { method = \"zscore\", sd = 0 }").err().unwrap();
        assert!(e.contains("positive `sd`"), "{e}");
        let e = parse("n = { method = \"zscore\", sigma = 2 }")
            .err()
            .unwrap();
        assert!(e.contains("unknown field `sigma`"), "{e}");
        let e = parse("t = \"boxcox\"").err().unwrap();
        assert!(e.contains("`boxcox` needs an exponent"), "{e}");
    }
}
