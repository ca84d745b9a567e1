//! Transforms and normalisation of a panel, column by column.

use healthy_city_model::{Bounds, Normalisation, Transform};

use crate::error::{Error, Result};
use crate::panel::Panel;
use crate::plan::Plan;

/// Applies a transform to one value, or says which domain it needs.
fn transform(t: Transform, x: f64) -> std::result::Result<f64, (&'static str, &'static str)> {
    match t {
        Transform::Ln if x > 0.0 => Ok(x.ln()),
        Transform::Ln => Err(("ln", "values must be > 0")),
        Transform::Log10 if x > 0.0 => Ok(x.log10()),
        Transform::Log10 => Err(("log10", "values must be > 0")),
        Transform::Sqrt if x >= 0.0 => Ok(x.sqrt()),
        Transform::Sqrt => Err(("sqrt", "values must be >= 0")),
    }
}

/// Normalises every indicator of the panel to the plan's scale, direction applied first.
/// Returns the same layout as `panel.values`, NaN where missing.
///
/// - min-max: `l + (x' - min) / (max - min) * (u - l)` with `x' = sign * x`, bounds over the
///   whole panel ([`Bounds::Panel`], comparable across years) or per year;
/// - goalposts: `l + clamp((x - lo) / (hi - lo), 0, 1) * (u - l)`, or `(hi - x)` for
///   lower-is-better; transformed goalposts when the indicator has a transform.
pub fn normalise(panel: &Panel, plan: &Plan, bounds: Bounds) -> Result<Vec<f64>> {
    let (ny, nc, ni) = (panel.years.len(), panel.n_cities(), panel.n_indicators());
    let [l, u] = plan.scale;
    let mut out = vec![f64::NAN; panel.values.len()];
    let at = |y: usize, c: usize, i: usize| (y * nc + c) * ni + i;
    for (i, ind) in plan.indicators.iter().enumerate() {
        // Transformed values.
        let mut x = vec![f64::NAN; ny * nc];
        for y in 0..ny {
            for c in 0..nc {
                let v = panel.values[at(y, c, i)];
                if v.is_nan() {
                    continue;
                }
                x[y * nc + c] = match ind.transform {
                    None => v,
                    Some(t) => {
                        transform(t, v).map_err(|(name, domain)| Error::TransformDomain {
                            transform: name,
                            indicator: ind.id.clone(),
                            city: panel.cities[c].clone(),
                            year: panel.years[y],
                            value: v,
                            domain,
                        })?
                    }
                };
            }
        }
        match ind.normalisation {
            Normalisation::Goalposts => {
                let [mut lo, mut hi] = ind.goalposts.ok_or_else(|| Error::MissingGoalposts {
                    indicator: ind.id.clone(),
                })?;
                if let Some(t) = ind.transform {
                    let post = |p: f64| {
                        transform(t, p).map_err(|(name, domain)| Error::TransformDomain {
                            transform: name,
                            indicator: format!("{} (its goalposts)", ind.id),
                            city: String::from("every city"),
                            year: 0,
                            value: p,
                            domain,
                        })
                    };
                    (lo, hi) = (post(lo)?, post(hi)?);
                }
                for y in 0..ny {
                    for c in 0..nc {
                        let v = x[y * nc + c];
                        if v.is_nan() {
                            continue;
                        }
                        let share = if ind.sign > 0.0 {
                            (v - lo) / (hi - lo)
                        } else {
                            (hi - v) / (hi - lo)
                        };
                        out[at(y, c, i)] = l + share.clamp(0.0, 1.0) * (u - l);
                    }
                }
            }
            Normalisation::Minmax => {
                let ranges: Vec<(usize, usize)> = match bounds {
                    Bounds::Panel => vec![(0, ny)],
                    Bounds::Year => (0..ny).map(|y| (y, y + 1)).collect(),
                };
                for (first, last) in ranges {
                    let slice = &x[first * nc..last * nc];
                    let (min, max) = slice
                        .iter()
                        .filter(|v| !v.is_nan())
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                            (lo.min(ind.sign * v), hi.max(ind.sign * v))
                        });
                    if min > max {
                        continue; // no value at all: stays missing
                    }
                    if min == max {
                        return Err(Error::ZeroRange {
                            indicator: ind.id.clone(),
                            value: ind.sign * min,
                            scope: match bounds {
                                Bounds::Panel => String::from(" in every year"),
                                Bounds::Year => format!(" in {}", panel.years[first]),
                            },
                        });
                    }
                    for y in first..last {
                        for c in 0..nc {
                            let v = x[y * nc + c];
                            if !v.is_nan() {
                                out[at(y, c, i)] = l + (ind.sign * v - min) / (max - min) * (u - l);
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}
