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
use crate::stats::skew_kurt_of;

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
pub(crate) fn skew_kurt(xs: &[f64]) -> Option<(f64, f64)> {
    skew_kurt_of(xs.iter().copied().filter(|v| !v.is_nan()))
}

/// COINr's check of the present values of `values`: skewness, kurtosis and whether
/// `|skew| < skew_thresh` or `kurt < kurt_thresh` (a constant column, NaN, passes).
fn check_of<I>(values: I, skew_thresh: f64, kurt_thresh: f64) -> SkewKurt
where
    I: Iterator<Item = f64> + Clone,
{
    let (skew, kurt) = skew_kurt_of(values.filter(|v| !v.is_nan())).unwrap_or((f64::NAN, f64::NAN));
    let pass = skew.is_nan() || kurt.is_nan() || skew.abs() < skew_thresh || kurt < kurt_thresh;
    SkewKurt { skew, kurt, pass }
}

fn check(xs: &[f64], skew_thresh: f64, kurt_thresh: f64) -> SkewKurt {
    check_of(xs.iter().copied(), skew_thresh, kurt_thresh)
}

/// A treatment as one monotone map of an indicator's values, derived from the values of its
/// statistics scope ([`derive`]). `score` applies it to the panel, the replication engine to
/// each value it normalises: the one implementation of outlier treatment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mapping {
    /// Untreated.
    Identity,
    /// Winsorised: values clamped to `[lo, hi]`.
    Clamp { lo: f64, hi: f64 },
    /// COINr's `log_CT` fallback on the original values: `ln(x - min + 0.01 (max - min))`.
    LogCt { min: f64, max: f64 },
    /// Natural logarithm.
    Log,
    /// Box-Cox `((x - min + 1)^lambda - 1) / lambda`, `ln(x - min + 1)` for lambda 0.
    Boxcox { min: f64, lambda: f64 },
}

impl Mapping {
    /// The treated value of `v` (NaN stays NaN).
    #[inline]
    pub(crate) fn apply(self, v: f64) -> f64 {
        match self {
            Mapping::Identity => v,
            Mapping::Clamp { lo, hi } => v.clamp(lo, hi),
            Mapping::LogCt { min, max } => (v - min + 0.01 * (max - min)).ln(),
            Mapping::Log => v.ln(),
            Mapping::Boxcox { min, lambda } => {
                let shifted = v - min + 1.0;
                if lambda == 0.0 {
                    shifted.ln()
                } else {
                    (shifted.powf(lambda) - 1.0) / lambda
                }
            }
        }
    }
}

/// One state of COINr's winsorising loop: the values clamped to `[lo, hi]`, the points at the
/// high and low extremes at the last step (`nwin`), and the check of the clamped values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Step {
    lo: f64,
    hi: f64,
    nwin: usize,
    check: SkewKurt,
}

/// COINr's `Treat` winsorising loop on one scope: `column` holds its values in panel order
/// (NaN missing), `sorted` the present ones ascending (at least one). Each step moves every
/// point at the extreme on the side of the skew to the next value in (a clamp of the sorted
/// values), until the check passes, nothing is left to move, or `winmax` points were moved
/// (`None`: no limit). Returns every state, the untreated one first.
///
/// Winsorising only moves the extremes, so the state after `k` steps is the same whatever the
/// limit: the states for a smaller `winmax` are a prefix ([`Steps::mapping`]).
pub(crate) fn winsorise_steps(
    column: &[f64],
    sorted: &[f64],
    skew_thresh: f64,
    kurt_thresh: f64,
    winmax: Option<usize>,
) -> Vec<Step> {
    let m = sorted.len();
    let checked = |lo: f64, hi: f64| {
        check_of(
            column.iter().map(move |v| v.clamp(lo, hi)),
            skew_thresh,
            kurt_thresh,
        )
    };
    let (mut lo, mut hi) = (sorted[0], sorted[m - 1]);
    let mut steps = vec![Step {
        lo,
        hi,
        nwin: 0,
        check: checked(lo, hi),
    }];
    let (mut at_max, mut at_min) = (0, 0);
    loop {
        let last = steps[steps.len() - 1];
        if last.check.pass || winmax.is_some_and(|w| last.nwin >= w) {
            break;
        }
        // COINr counts `nwin` as the points at the last high step plus the last low step:
        // points already winsorised stay tied at the extreme.
        if last.check.skew >= 0.0 {
            let below = sorted.partition_point(|&v| v < hi);
            if below == 0 {
                break; // every value is at the extreme: nothing left to winsorise
            }
            at_max = m - below;
            hi = sorted[below - 1].max(lo);
        } else {
            let above = sorted.partition_point(|&v| v <= lo);
            if above == m {
                break;
            }
            at_min = above;
            lo = sorted[above].min(hi);
        }
        steps.push(Step {
            lo,
            hi,
            nwin: at_max + at_min,
            check: checked(lo, hi),
        });
    }
    steps
}

/// The states of [`winsorise_steps`] with no limit, from which the mapping for any `winmax`
/// is read without winsorising again (the replication engine's varying `winmax`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Steps {
    states: Vec<Step>,
    min: f64,
    max: f64,
}

impl Steps {
    /// Every state of the unlimited loop on `column` (see [`winsorise_steps`]); `Err(n)` with
    /// fewer than 4 values.
    pub(crate) fn of(
        column: &[f64],
        sorted: &[f64],
        skew_thresh: f64,
        kurt_thresh: f64,
    ) -> std::result::Result<Self, Failure> {
        if sorted.len() < 4 {
            return Err(Failure::TooFew(sorted.len()));
        }
        Ok(Steps {
            states: winsorise_steps(column, sorted, skew_thresh, kurt_thresh, None),
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        })
    }

    /// The state the loop stops at with this `winmax`: the first that passes or has moved
    /// `winmax` points, or the last.
    fn last(&self, winmax: usize) -> usize {
        self.states
            .iter()
            .position(|s| s.check.pass || s.nwin >= winmax)
            .unwrap_or(self.states.len() - 1)
    }

    /// The treatment as a mapping: untreated if the values pass, clamped if winsorising made
    /// them pass, else COINr's log fallback.
    pub(crate) fn mapping(&self, winmax: usize) -> Mapping {
        let k = self.last(winmax);
        let step = self.states[k];
        if !step.check.pass {
            Mapping::LogCt {
                min: self.min,
                max: self.max,
            }
        } else if k == 0 {
            Mapping::Identity
        } else {
            Mapping::Clamp {
                lo: step.lo,
                hi: step.hi,
            }
        }
    }
}

/// A treatment derived on one scope, with what the report says about it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Derived {
    /// The map to apply to every value of the scope.
    pub(crate) mapping: Mapping,
    before: SkewKurt,
    /// The last state of winsorising, if it ran.
    winsorised: Option<Step>,
    after: SkewKurt,
}

impl Derived {
    /// Whether winsorising failed and the log fallback is used.
    pub(crate) fn log(&self) -> bool {
        matches!(self.mapping, Mapping::LogCt { .. })
    }
}

/// Why a column cannot be treated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Failure {
    /// Fewer than 4 values for skewness and kurtosis.
    TooFew(usize),
    /// A value outside the domain of the log (position in the column, value).
    Domain(usize, f64),
}

/// Derives `treatment` on one scope: `column` holds its values in panel order (NaN missing),
/// `sorted` the present ones ascending. The one place treatment decides what it does; both
/// [`treat`] and the replication engine apply the [`Mapping`] it returns.
pub(crate) fn derive(
    column: &[f64],
    sorted: &[f64],
    treatment: Treatment,
) -> std::result::Result<Derived, Failure> {
    let mapped = |mapping: Mapping, skew_thresh, kurt_thresh| {
        check_of(
            column.iter().map(move |&v| mapping.apply(v)),
            skew_thresh,
            kurt_thresh,
        )
    };
    match treatment {
        Treatment::None => {
            let before = check(column, 2.0, 3.5);
            Ok(Derived {
                mapping: Mapping::Identity,
                before,
                winsorised: None,
                after: before,
            })
        }
        Treatment::Log | Treatment::Boxcox { .. } => {
            let before = check(column, 2.0, 3.5);
            let mapping = if let Treatment::Boxcox { lambda } = treatment {
                Mapping::Boxcox {
                    min: sorted.first().copied().unwrap_or(f64::INFINITY),
                    lambda,
                }
            } else {
                if let Some(k) = column.iter().position(|&v| v <= 0.0) {
                    return Err(Failure::Domain(k, column[k]));
                }
                Mapping::Log
            };
            Ok(Derived {
                mapping,
                before,
                winsorised: None,
                after: mapped(mapping, 2.0, 3.5),
            })
        }
        Treatment::Winsorise {
            winmax,
            skew_thresh,
            kurt_thresh,
        } => {
            if sorted.len() < 4 {
                return Err(Failure::TooFew(sorted.len()));
            }
            let steps = Steps {
                states: winsorise_steps(column, sorted, skew_thresh, kurt_thresh, Some(winmax)),
                min: sorted[0],
                max: sorted[sorted.len() - 1],
            };
            let before = steps.states[0].check;
            if before.pass {
                return Ok(Derived {
                    mapping: Mapping::Identity,
                    before,
                    winsorised: None,
                    after: before,
                });
            }
            let last = steps.states[steps.last(winmax)];
            let mapping = steps.mapping(winmax);
            let after = if last.check.pass {
                last.check
            } else {
                mapped(mapping, skew_thresh, kurt_thresh)
            };
            Ok(Derived {
                mapping,
                before,
                winsorised: Some(last),
                after,
            })
        }
    }
}

/// The present values of a column, ascending.
pub(crate) fn sorted_present(column: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = column.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted
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

/// Treats one column in place (NaN = missing, left alone) and reports what was done: the
/// [`derive`]d mapping applied to every value.
pub(crate) fn treat_column(
    x: &mut [f64],
    treatment: Treatment,
) -> std::result::Result<Outcome, Failure> {
    let derived = derive(x, &sorted_present(x), treatment)?;
    // The points winsorising moved, even when the log fallback then discards them.
    let points = derived.winsorised.map_or_else(Vec::new, |s| {
        (0..x.len())
            .filter(|&k| !x[k].is_nan() && x[k].clamp(s.lo, s.hi) != x[k])
            .map(|k| (k, x[k], x[k].clamp(s.lo, s.hi)))
            .collect()
    });
    for v in x.iter_mut() {
        *v = derived.mapping.apply(*v);
    }
    Ok(Outcome {
        before: derived.before,
        winsorised: derived.winsorised.map(|s| s.check),
        after: derived.after,
        nwin: derived.winsorised.map_or(0, |s| s.nwin),
        log: derived.log(),
        points,
    })
}

/// Treats every indicator of the panel (holding transformed values) with its plan's treatment,
/// over the whole panel ([`Bounds::Panel`]) or year by year. Returns the treated panel and what
/// was done; untreated indicators are copied as they are and not reported.
pub(crate) fn treat(
    panel: &Panel,
    plan: &Plan,
    bounds: Bounds,
) -> Result<(Panel, TreatmentReport)> {
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

/// How a treatment scope is named in messages: `" over every year"` or `" in 2019"`.
pub(crate) fn scope_label(year: Option<i32>) -> String {
    year.map_or_else(|| String::from(" over every year"), |y| format!(" in {y}"))
}

/// The error for a treatment failure in a scope; `city_year` names the city and year of a
/// column position.
pub(crate) fn failure_error(
    failure: Failure,
    indicator: &str,
    scope: &str,
    city_year: impl Fn(usize) -> (String, i32),
) -> Error {
    match failure {
        Failure::TooFew(found) => Error::TooFewValues {
            indicator: indicator.to_string(),
            method: "outlier treatment (skewness and kurtosis)",
            needed: 4,
            found,
            scope: scope.to_string(),
        },
        Failure::Domain(k, value) => {
            let (city, year) = city_year(k);
            Error::TransformDomain {
                transform: "log",
                indicator: indicator.to_string(),
                city,
                year,
                value,
                domain: "values must be > 0",
            }
        }
    }
}

/// Treats indicator slot `i` of the panel with `ind.treatment`: returns its treated values, one
/// per `(year, city)` cell, year-major, and one report entry per scope with values.
pub(crate) fn treat_indicator(
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
        let scope = scope_label(year);
        let city = |k: usize| panel.cities[(offset + k) % nc].clone();
        let year_of = |k: usize| panel.years[(offset + k) / nc];
        let outcome = treat_column(column, ind.treatment)
            .map_err(|f| failure_error(f, &ind.id, &scope, |k| (city(k), year_of(k))))?;
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
