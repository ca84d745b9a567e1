//! Outlier treatment before normalisation: COINr's `Treat` (winsorise by the skewness and
//! kurtosis rule, falling back to a log), plain log and Box-Cox.
//!
//! Treatment works on an indicator's values as they are (direction plays no part, as in COINr),
//! and takes its statistics over the scope set by [`Bounds`]: every city in every year pooled
//! ([`Bounds::Panel`], the default) or each year on its own.

use healthy_city_model::{Bounds, Treatment};

use crate::error::{Error, Result};
use crate::panel::Panel;
use crate::plan::{IndicatorPlan, Plan};

/// Skewness and kurtosis of a set of values, and whether they pass COINr's check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkewKurt {
    /// Sample-adjusted skewness `G1 = g1 sqrt(n (n - 1)) / (n - 2)` (e1071 type 2).
    pub skew: f64,
    /// Sample-adjusted excess kurtosis `G2 = ((n + 1) g2 + 6) (n - 1) / ((n - 2) (n - 3))`.
    pub kurt: f64,
    /// `|skew| < skew_thresh` or `kurt < kurt_thresh`; a constant column (NaN) passes.
    pub pass: bool,
}

/// One value changed by winsorising.
#[derive(Debug, Clone, PartialEq)]
pub struct WinsorisedPoint {
    /// City id.
    pub city: String,
    /// Year.
    pub year: i32,
    /// Value before.
    pub old: f64,
    /// Value after (the next value in from the extreme).
    pub new: f64,
}

/// What treatment did to one indicator over one scope.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorTreatment {
    /// Indicator id.
    pub indicator: String,
    /// The year treated on its own, or `None` when every year was pooled.
    pub year: Option<i32>,
    /// The treatment asked for.
    pub treatment: Treatment,
    /// Skewness and kurtosis of the values before (COINr `check_SkewKurt0`).
    pub before: SkewKurt,
    /// After winsorising, if it ran (COINr `check_SkewKurt1`).
    pub winsorised: Option<SkewKurt>,
    /// Of the values finally used: after winsorising, after the log fallback
    /// (COINr `check_SkewKurt2`), after log or Box-Cox, or as before when untreated.
    pub after: SkewKurt,
    /// COINr's `nwin`: the points at the high and low winsorised extremes at the last step.
    pub nwin: usize,
    /// The points winsorised. When `log` is true they were discarded: the log fallback
    /// applies to the original values (COINr's `combine_treat = FALSE`).
    pub points: Vec<WinsorisedPoint>,
    /// Whether winsorising failed and `ln(x - min + 0.01 (max - min))` of the original values
    /// was used instead (COINr `log_CT`).
    pub log: bool,
}

/// What treatment did to every treated indicator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TreatmentReport {
    /// One entry per treated indicator and scope, in framework order.
    pub indicators: Vec<IndicatorTreatment>,
}

impl TreatmentReport {
    /// The entries of one indicator.
    pub fn of<'a>(&'a self, indicator: &'a str) -> impl Iterator<Item = &'a IndicatorTreatment> {
        self.indicators
            .iter()
            .filter(move |t| t.indicator == indicator)
    }
}

/// Skewness and kurtosis of the present values, as COINr's `skew` and `kurt`; `None` with
/// fewer than 4 values.
pub fn skew_kurt(xs: &[f64]) -> Option<(f64, f64)> {
    let present: Vec<f64> = xs.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = present.len();
    if n < 4 {
        return None;
    }
    let nf = n as f64;
    let mean = present.iter().sum::<f64>() / nf;
    let mean = mean + present.iter().map(|v| v - mean).sum::<f64>() / nf;
    let (mut s2, mut s3, mut s4) = (0.0, 0.0, 0.0);
    for v in &present {
        let d = v - mean;
        s2 += d * d;
        s3 += d * d * d;
        s4 += d * d * d * d;
    }
    let g1 = nf.sqrt() * s3 / s2.powf(1.5);
    let skew = g1 * (nf * (nf - 1.0)).sqrt() / (nf - 2.0);
    let r = nf * s4 / (s2 * s2);
    let kurt = ((nf + 1.0) * (r - 3.0) + 6.0) * (nf - 1.0) / ((nf - 2.0) * (nf - 3.0));
    Some((skew, kurt))
}

fn check(xs: &[f64], skew_thresh: f64, kurt_thresh: f64) -> SkewKurt {
    let (skew, kurt) = skew_kurt(xs).unwrap_or((f64::NAN, f64::NAN));
    let pass = skew.is_nan() || kurt.is_nan() || skew.abs() < skew_thresh || kurt < kurt_thresh;
    SkewKurt { skew, kurt, pass }
}

/// The outcome of treating one column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    before: SkewKurt,
    winsorised: Option<SkewKurt>,
    after: SkewKurt,
    nwin: usize,
    /// Positions changed by winsorising, with old and new values.
    points: Vec<(usize, f64, f64)>,
    log: bool,
}

/// Why a column cannot be treated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Failure {
    /// Fewer than 4 values for skewness and kurtosis.
    TooFew(usize),
    /// A value outside the domain of the log.
    Domain(usize, f64),
}

/// Treats one column in place (NaN = missing, left alone).
pub(crate) fn treat_column(
    x: &mut [f64],
    treatment: Treatment,
) -> std::result::Result<Outcome, Failure> {
    match treatment {
        Treatment::None => {
            let before = check(x, 2.0, 3.5);
            Ok(Outcome {
                before,
                winsorised: None,
                after: before,
                nwin: 0,
                points: Vec::new(),
                log: false,
            })
        }
        Treatment::Winsorise {
            winmax,
            skew_thresh,
            kurt_thresh,
        } => winsorise(x, winmax, skew_thresh, kurt_thresh),
        Treatment::Log | Treatment::Boxcox { .. } => {
            let before = check(x, 2.0, 3.5);
            let min = x
                .iter()
                .filter(|v| !v.is_nan())
                .fold(f64::INFINITY, |a, &b| a.min(b));
            for (k, v) in x.iter_mut().enumerate() {
                if v.is_nan() {
                    continue;
                }
                *v = match treatment {
                    Treatment::Boxcox { lambda } => {
                        let shifted = *v - min + 1.0;
                        if lambda == 0.0 {
                            shifted.ln()
                        } else {
                            (shifted.powf(lambda) - 1.0) / lambda
                        }
                    }
                    _ if *v > 0.0 => v.ln(),
                    _ => return Err(Failure::Domain(k, *v)),
                };
            }
            Ok(Outcome {
                before,
                winsorised: None,
                after: check(x, 2.0, 3.5),
                nwin: 0,
                points: Vec::new(),
                log: false,
            })
        }
    }
}

/// COINr's `Treat` with `f1 = "winsorise"`, `f2 = "log_CT"`, `combine_treat = FALSE`.
fn winsorise(
    x: &mut [f64],
    winmax: usize,
    skew_thresh: f64,
    kurt_thresh: f64,
) -> std::result::Result<Outcome, Failure> {
    let n = x.iter().filter(|v| !v.is_nan()).count();
    if n < 4 {
        return Err(Failure::TooFew(n));
    }
    let before = check(x, skew_thresh, kurt_thresh);
    if before.pass {
        return Ok(Outcome {
            before,
            winsorised: None,
            after: before,
            nwin: 0,
            points: Vec::new(),
            log: false,
        });
    }
    let original = x.to_vec();
    let mut at_max: Vec<usize> = Vec::new();
    let mut at_min: Vec<usize> = Vec::new();
    let mut nwin = 0;
    let mut status = before;
    // COINr counts `nwin` as the points at the last high step plus the last low step: points
    // already winsorised stay tied at the extreme, so this is the number of points changed.
    while !status.pass && nwin < winmax {
        let high = status.skew >= 0.0;
        let extreme = x.iter().filter(|v| !v.is_nan()).fold(
            if high {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
            |a, &b| {
                if high {
                    a.max(b)
                } else {
                    a.min(b)
                }
            },
        );
        let tied: Vec<usize> = (0..x.len()).filter(|&k| x[k] == extreme).collect();
        let next = x
            .iter()
            .enumerate()
            .filter(|&(k, v)| !v.is_nan() && !tied.contains(&k))
            .map(|(_, &v)| v)
            .reduce(|a, b| if high { a.max(b) } else { a.min(b) });
        let Some(next) = next else {
            break; // every value is at the extreme: nothing left to winsorise
        };
        for &k in &tied {
            x[k] = next;
        }
        if high {
            at_max = tied;
        } else {
            at_min = tied;
        }
        nwin = at_max.len() + at_min.len();
        status = check(x, skew_thresh, kurt_thresh);
    }
    let points = (0..x.len())
        .filter(|&k| x[k] != original[k] && !original[k].is_nan())
        .map(|k| (k, original[k], x[k]))
        .collect();
    let winsorised = Some(status);
    if status.pass {
        return Ok(Outcome {
            before,
            winsorised,
            after: status,
            nwin,
            points,
            log: false,
        });
    }
    // log_CT of the original values: ln(x - min + 0.01 (max - min)).
    let (min, max) = crate::normalise::min_max(&original).unwrap_or((f64::NAN, f64::NAN));
    for (v, &o) in x.iter_mut().zip(&original) {
        *v = (o - min + 0.01 * (max - min)).ln();
    }
    Ok(Outcome {
        before,
        winsorised,
        after: check(x, skew_thresh, kurt_thresh),
        nwin,
        points,
        log: true,
    })
}

/// Treats every indicator of the panel (holding transformed values) with its plan's treatment,
/// over the whole panel ([`Bounds::Panel`]) or year by year. Returns the treated panel and what
/// was done; untreated indicators are copied as they are and not reported.
pub fn treat(panel: &Panel, plan: &Plan, bounds: Bounds) -> Result<(Panel, TreatmentReport)> {
    let ni = panel.n_indicators();
    let mut out = panel.clone();
    let mut report = TreatmentReport::default();
    for (i, ind) in plan.indicators.iter().enumerate() {
        if ind.treatment == Treatment::None {
            continue;
        }
        let (column, entries) = treat_indicator(panel, i, ind, bounds)?;
        for (cell, v) in column.into_iter().enumerate() {
            out.values[cell * ni + i] = v;
        }
        report.indicators.extend(entries);
    }
    Ok((out, report))
}

/// Treats indicator slot `i` of the panel with `ind.treatment`: returns its treated values, one
/// per `(year, city)` cell, year-major, and one report entry per scope with values.
pub fn treat_indicator(
    panel: &Panel,
    i: usize,
    ind: &IndicatorPlan,
    bounds: Bounds,
) -> Result<(Vec<f64>, Vec<IndicatorTreatment>)> {
    let (ny, nc, ni) = (panel.years.len(), panel.n_cities(), panel.n_indicators());
    let mut values: Vec<f64> = (0..ny * nc)
        .map(|cell| panel.values[cell * ni + i])
        .collect();
    let mut entries = Vec::new();
    if ind.treatment == Treatment::None {
        return Ok((values, entries));
    }
    let scopes: Vec<(usize, usize)> = match bounds {
        Bounds::Panel => vec![(0, ny)],
        Bounds::Year => (0..ny).map(|y| (y, y + 1)).collect(),
    };
    for (first, last) in scopes {
        let offset = first * nc;
        let column = &mut values[first * nc..last * nc];
        if column.iter().all(|v| v.is_nan()) {
            continue;
        }
        let year = match bounds {
            Bounds::Panel => None,
            Bounds::Year => Some(panel.years[first]),
        };
        let scope = year.map_or_else(|| String::from(" over every year"), |y| format!(" in {y}"));
        let city = |k: usize| panel.cities[(offset + k) % nc].clone();
        let year_of = |k: usize| panel.years[(offset + k) / nc];
        let outcome = treat_column(column, ind.treatment).map_err(|f| match f {
            Failure::TooFew(found) => Error::TooFewValues {
                indicator: ind.id.clone(),
                method: "outlier treatment (skewness and kurtosis)",
                needed: 4,
                found,
                scope: scope.clone(),
            },
            Failure::Domain(k, value) => Error::TransformDomain {
                transform: "log",
                indicator: ind.id.clone(),
                city: city(k),
                year: year_of(k),
                value,
                domain: "values must be > 0",
            },
        })?;
        if outcome.log && ind.normalisation.in_natural_units() {
            return Err(Error::TreatedUnits {
                indicator: ind.id.clone(),
                normalisation: ind.normalisation.name(),
                scope,
            });
        }
        entries.push(IndicatorTreatment {
            indicator: ind.id.clone(),
            year,
            treatment: ind.treatment,
            before: outcome.before,
            winsorised: outcome.winsorised,
            after: outcome.after,
            nwin: outcome.nwin,
            points: outcome
                .points
                .iter()
                .map(|&(k, old, new)| WinsorisedPoint {
                    city: city(k),
                    year: year_of(k),
                    old,
                    new,
                })
                .collect(),
            log: outcome.log,
        });
    }
    Ok((values, entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use healthy_city_model::WINSORISE_DEFAULT;

    const NA: f64 = f64::NAN;

    #[test]
    fn skewness_and_kurtosis_match_the_closed_form() {
        // 1, 2, 3, 10: mean 4, deviations -3 -2 -1 6; s2 = 50, s3 = -27 - 8 - 1 + 216 = 180,
        // s4 = 81 + 16 + 1 + 1296 = 1394. g1 = 2 * 180 / 50^1.5; G1 = g1 sqrt(12) / 2.
        // r = 4 * 1394 / 2500; G2 = (5 (r - 3) + 6) * 3 / 2. Tolerance 1e-12.
        let (skew, kurt) = skew_kurt(&[1.0, NA, 2.0, 3.0, 10.0]).unwrap();
        let g1 = 2.0 * 180.0 / 50f64.powf(1.5);
        assert!((skew - g1 * 12f64.sqrt() / 2.0).abs() < 1e-12, "{skew}");
        let r = 4.0 * 1394.0 / 2500.0;
        assert!(
            (kurt - (5.0 * (r - 3.0) + 6.0) * 3.0 / 2.0).abs() < 1e-12,
            "{kurt}"
        );
        assert_eq!(skew_kurt(&[1.0, 2.0, 3.0, NA]), None);
    }

    #[test]
    fn winsorises_the_high_outliers_one_step_at_a_time() {
        // 1..=20, 60, 100: fails; the 100 becomes 60 (skew 2.36, kurt 5.40: still fails),
        // then both 60s become 20.
        let mut x: Vec<f64> = (1..=20).map(f64::from).collect();
        x.extend([60.0, 100.0, NA]);
        let outcome = treat_column(&mut x, WINSORISE_DEFAULT).unwrap();
        assert!(!outcome.before.pass);
        assert!(outcome.after.pass);
        assert!(!outcome.log);
        assert_eq!(outcome.nwin, 2);
        assert_eq!(outcome.points, [(20, 60.0, 20.0), (21, 100.0, 20.0)]);
        assert_eq!(&x[19..22], &[20.0, 20.0, 20.0][..]);
        assert!(x[22].is_nan());
    }

    #[test]
    fn falls_back_to_the_log_of_the_original_values() {
        let mut x: Vec<f64> = (1..=20).map(f64::from).collect();
        x.extend([60.0, 100.0]);
        let original = x.clone();
        let outcome = treat_column(
            &mut x,
            Treatment::Winsorise {
                winmax: 1,
                skew_thresh: 2.0,
                kurt_thresh: 3.5,
            },
        )
        .unwrap();
        assert!(outcome.log);
        assert_eq!(outcome.nwin, 1);
        assert!(!outcome.winsorised.unwrap().pass);
        // ln(x - 1 + 0.01 * 99), tolerance 1e-12.
        for (v, o) in x.iter().zip(&original) {
            assert!((v - (o - 1.0 + 0.99).ln()).abs() < 1e-12);
        }
    }

    #[test]
    fn winsorises_the_low_side_when_skew_is_negative() {
        let mut x: Vec<f64> = (1..=20).map(|v| -f64::from(v)).collect();
        x.extend([-60.0, -100.0]);
        let outcome = treat_column(&mut x, WINSORISE_DEFAULT).unwrap();
        assert_eq!(outcome.points, [(20, -60.0, -20.0), (21, -100.0, -20.0)]);
    }

    #[test]
    fn log_and_boxcox_by_hand() {
        let mut x = [1.0, std::f64::consts::E, NA, 1.0];
        treat_column(&mut x, Treatment::Log).unwrap();
        assert_eq!(x[..2], [0.0, 1.0]);
        // Box-Cox, lambda 0.5, shift x - min + 1: 3 -> 3, 1 -> 1; (sqrt(3) - 1) / 0.5.
        let mut x = [1.0, 3.0, NA];
        treat_column(&mut x, Treatment::Boxcox { lambda: 0.5 }).unwrap();
        assert!((x[0] - 0.0).abs() < 1e-12 && (x[1] - (3f64.sqrt() - 1.0) * 2.0).abs() < 1e-12);
        let mut x = [1.0, 3.0];
        treat_column(&mut x, Treatment::Boxcox { lambda: 0.0 }).unwrap();
        assert!((x[1] - 3f64.ln()).abs() < 1e-12);
        let mut x = [1.0, 0.0];
        assert_eq!(
            treat_column(&mut x, Treatment::Log),
            Err(Failure::Domain(1, 0.0))
        );
    }

    #[test]
    fn a_constant_column_passes_and_too_few_values_fail() {
        let mut x = [5.0; 6];
        let outcome = treat_column(&mut x, WINSORISE_DEFAULT).unwrap();
        assert!(outcome.before.pass && outcome.points.is_empty());
        let mut x = [1.0, 2.0, 300.0, NA];
        assert_eq!(
            treat_column(&mut x, WINSORISE_DEFAULT),
            Err(Failure::TooFew(3))
        );
    }

    /// COINr 1.1.14's `Treat(coin, dset = "Raw")` with its defaults, and with `winmax = 1`
    /// (`shared/reference/coinr/treat`): values to 1e-9 relative-or-absolute, matched on uCode.
    mod coinr {
        use super::*;
        use crate::normalise::tests::coinr::{reference, Reference};
        use crate::reference::{read, Table};
        use healthy_city_model::Normalisation;

        fn close(got: f64, want: f64) -> bool {
            (got.is_nan() && want.is_nan()) || (got - want).abs() <= 1e-9 * want.abs().max(1.0)
        }

        fn flag(table: &Table, row: usize, column: &str) -> Option<bool> {
            match table.rows[row][table.column(column)].as_str() {
                "TRUE" => Some(true),
                "FALSE" => Some(false),
                _ => None,
            }
        }

        fn check(folder: &str, winmax: usize, logged: &[&str]) {
            let Some(Reference { dir, panel, .. }) = reference() else {
                return;
            };
            let dir = dir.join(folder);
            let data = read(&dir.join("treated_data.csv"));
            let points = read(&dir.join("treated_points.csv"));
            let dets = read(&dir.join("treatment_log_Dets_Table.csv"));
            let (data_rows, point_rows, det_rows) = (data.index(0), points.index(0), dets.index(0));
            let treatment = Treatment::Winsorise {
                winmax,
                skew_thresh: 2.0,
                kurt_thresh: 3.5,
            };
            for (i, code) in panel.indicators.iter().enumerate() {
                let ind = IndicatorPlan {
                    id: code.clone(),
                    sign: 1.0,
                    transform: None,
                    normalisation: Normalisation::Minmax,
                    goalposts: None,
                    target: None,
                    treatment,
                };
                let (values, entries) = treat_indicator(&panel, i, &ind, Bounds::Panel)
                    .unwrap_or_else(|e| panic!("{folder} {code}: {e}"));
                let column = data.column(code);
                for (c, city) in panel.cities.iter().enumerate() {
                    let want = data.number(data_rows[city], column);
                    assert!(
                        close(values[c], want),
                        "{folder} {code} {city}: {} != {want}",
                        values[c]
                    );
                }
                let [entry] = entries.as_slice() else {
                    panic!("{folder} {code}: {entries:?}");
                };
                // Skewness and kurtosis before, after winsorising, after the log.
                let row = det_rows[code];
                let number = |name: &str| dets.number(row, dets.column(name));
                let stage = |s: &SkewKurt, k: u8| {
                    let (skew, kurt) = (
                        number(&format!("check_SkewKurt{k}.Skew")),
                        number(&format!("check_SkewKurt{k}.Kurt")),
                    );
                    assert!(
                        close(s.skew, skew) && close(s.kurt, kurt),
                        "{folder} {code} stage {k}: {s:?} != {skew}, {kurt}"
                    );
                    assert_eq!(
                        Some(s.pass),
                        flag(&dets, row, &format!("check_SkewKurt{k}.Pass")),
                        "{folder} {code} stage {k}"
                    );
                };
                stage(&entry.before, 0);
                match &entry.winsorised {
                    Some(s) => {
                        stage(s, 1);
                        assert_eq!(
                            entry.nwin as f64,
                            number("winsorise.nwin"),
                            "{folder} {code}"
                        );
                    }
                    None => assert!(number("winsorise.nwin").is_nan(), "{folder} {code}"),
                }
                assert_eq!(
                    entry.log,
                    logged.contains(&code.as_str()),
                    "{folder} {code}"
                );
                if entry.log {
                    stage(&entry.after, 2);
                }
                // The winsorised points: COINr marks them winhi / winlo (+log_CT).
                let column = points.column(code);
                let mut marked: Vec<&str> = panel
                    .cities
                    .iter()
                    .filter(|city| {
                        points.rows[point_rows[city.as_str()]][column].starts_with("win")
                    })
                    .map(String::as_str)
                    .collect();
                let mut ours: Vec<&str> = entry.points.iter().map(|p| p.city.as_str()).collect();
                marked.sort_unstable();
                ours.sort_unstable();
                assert_eq!(ours, marked, "{folder} {code}");
                for p in &entry.points {
                    let c = panel
                        .cities
                        .iter()
                        .position(|city| *city == p.city)
                        .unwrap();
                    assert_eq!(p.old, panel.values[c * panel.indicators.len() + i]);
                    assert!(p.new < p.old, "{folder} {code} {}: winhi", p.city);
                }
            }
        }

        #[test]
        fn treat_with_coinr_defaults() {
            check("treat", 5, &[]);
        }

        #[test]
        fn treat_winmax_1_falls_back_to_log_ct() {
            check("treat/variant_winmax1", 1, &["LIV_01"]);
        }

        #[test]
        fn the_winsorised_points_are_the_ones_the_readme_lists() {
            let Some(Reference { panel, .. }) = reference() else {
                return;
            };
            let mut seen = Vec::new();
            for (i, code) in panel.indicators.iter().enumerate() {
                let ind = IndicatorPlan {
                    id: code.clone(),
                    sign: 1.0,
                    transform: None,
                    normalisation: Normalisation::Minmax,
                    goalposts: None,
                    target: None,
                    treatment: healthy_city_model::WINSORISE_DEFAULT,
                };
                let (_, entries) = treat_indicator(&panel, i, &ind, Bounds::Panel).unwrap();
                for p in &entries[0].points {
                    seen.push(format!("{code} {} {} -> {}", p.city, p.old, p.new));
                }
            }
            assert_eq!(
                seen,
                [
                    "GRN_01 DEL 107 -> 50.5",
                    "GRN_03 DXB 16.79 -> 7.65",
                    "LIV_01 CHI 19.74 -> 8.57",
                    "LIV_01 WAS 31.97 -> 8.57",
                ]
            );
        }
    }
}
