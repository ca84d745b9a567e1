//! Imputation of missing raw values, COINr-compatible, with every filled cell flagged.
//!
//! Two families, chosen by [`Impute`]:
//!
//! - **cross-sectional** (COINr `Impute(f_i = ...)`): year by year, column by column, a missing
//!   value becomes the mean or median of the indicator over the cities that have it that year,
//!   or over those of the city's group (`region` or `country` in cities.toml). Only observed
//!   values enter the statistic. A group with no value leaves its cities missing.
//! - **panel** (COINr `impute_panel`): city by city, indicator by indicator, along the years:
//!   `latest` carries the last earlier observation forward (at most `max_age` calendar years
//!   old); `constant` does the same without an age limit and fills leading gaps with the first
//!   observation; `linear` interpolates linearly in the year and is flat beyond the first and
//!   last observation (R's `approx(rule = 2)`); `linear_constant` is `linear`, or `constant`
//!   for a series with a single observation.

use std::collections::HashMap;

use healthy_city_model::{Cities, Impute};

use crate::panel::Panel;

/// Fills the missing values of a panel in place and returns which cells were filled (same
/// layout as `panel.values`). Panel methods carry the proxy flag of the observations a value
/// came from; cross-sectional fills are never proxies (they come from other cities).
pub(crate) fn impute(panel: &mut Panel, method: Impute, cities: &Cities) -> Vec<bool> {
    let (ny, nc, ni) = (panel.years.len(), panel.n_cities(), panel.n_indicators());
    let at = |y: usize, c: usize, i: usize| (y * nc + c) * ni + i;
    let mut imputed = vec![false; panel.values.len()];
    match method {
        Impute::None => {}
        Impute::Mean | Impute::Median | Impute::GroupMean { .. } | Impute::GroupMedian { .. } => {
            let median = matches!(method, Impute::Median | Impute::GroupMedian { .. });
            let groups = match method {
                Impute::GroupMean { group } | Impute::GroupMedian { group } => {
                    Some(labels(&panel.cities, cities, &group.to_string()))
                }
                _ => None,
            };
            let mut column = vec![f64::NAN; nc];
            for y in 0..ny {
                for i in 0..ni {
                    for (c, v) in column.iter_mut().enumerate() {
                        *v = panel.values[at(y, c, i)];
                    }
                    let filled = impute_column(&mut column, groups.as_deref(), median);
                    for c in (0..nc).filter(|&c| filled[c]) {
                        panel.values[at(y, c, i)] = column[c];
                        imputed[at(y, c, i)] = true;
                    }
                }
            }
        }
        Impute::Latest { .. } | Impute::Constant | Impute::Linear | Impute::LinearConstant => {
            let mut series = vec![f64::NAN; ny];
            for c in 0..nc {
                for i in 0..ni {
                    for (y, v) in series.iter_mut().enumerate() {
                        *v = panel.values[at(y, c, i)];
                    }
                    let sources = impute_series(&panel.years, &mut series, method);
                    for (y, source) in sources.iter().enumerate() {
                        if let Some([a, b]) = *source {
                            panel.values[at(y, c, i)] = series[y];
                            panel.level[at(y, c, i)] =
                                panel.level[at(a, c, i)].max(panel.level[at(b, c, i)]);
                            imputed[at(y, c, i)] = true;
                        }
                    }
                }
            }
        }
    }
    imputed
}

/// The group of each city, as a small integer: cities with the same value of a registry
/// column (`region`, `country` or an attribute; see `City::attribute`) share one. A city with
/// no value in the column (or missing from the registry) is a group of its own, so no peer
/// value fills it.
pub(crate) fn labels(ids: &[String], cities: &Cities, column: &str) -> Vec<usize> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut next = 0;
    ids.iter()
        .map(|id| {
            let fresh = next;
            let slot = match cities.get(id).and_then(|c| c.attribute(column)) {
                Some(value) => *seen.entry(value).or_insert(fresh),
                None => fresh,
            };
            if slot == fresh {
                next += 1;
            }
            slot
        })
        .collect()
}

/// Fills the NaNs of one column with the mean (or median) of its other values, within the
/// group of each entry when `groups` is given. Returns which entries were filled. A group with
/// no value leaves its entries NaN (COINr `i_mean`, `i_median`, `i_mean_grp`, `i_median_grp`).
pub(crate) fn impute_column(
    values: &mut [f64],
    groups: Option<&[usize]>,
    median: bool,
) -> Vec<bool> {
    let group_of = |k: usize| groups.map_or(0, |g| g[k]);
    let n_groups = groups.map_or(1, |g| g.iter().max().map_or(0, |m| m + 1));
    let mut fill = vec![f64::NAN; n_groups];
    for (g, slot) in fill.iter_mut().enumerate() {
        let mut present: Vec<f64> = values
            .iter()
            .enumerate()
            .filter(|&(k, v)| group_of(k) == g && !v.is_nan())
            .map(|(_, &v)| v)
            .collect();
        if present.is_empty() {
            continue;
        }
        *slot = if median {
            present.sort_by(f64::total_cmp);
            let half = present.len() / 2;
            if present.len() % 2 == 1 {
                present[half]
            } else {
                f64::midpoint(present[half - 1], present[half])
            }
        } else {
            present.iter().sum::<f64>() / present.len() as f64
        };
    }
    let mut filled = vec![false; values.len()];
    for k in 0..values.len() {
        let v = fill[group_of(k)];
        if values[k].is_nan() && !v.is_nan() {
            values[k] = v;
            filled[k] = true;
        }
    }
    filled
}

/// Fills the NaNs of one city's series over `years` (ascending) by a panel method. Returns,
/// for each filled position, the positions of the observations its value came from (the same
/// one twice when carried), and `None` elsewhere. Cross-sectional methods fill nothing here.
pub(crate) fn impute_series(
    years: &[i32],
    values: &mut [f64],
    method: Impute,
) -> Vec<Option<[usize; 2]>> {
    let observed: Vec<usize> = (0..values.len()).filter(|&t| !values[t].is_nan()).collect();
    let mut sources = vec![None; values.len()];
    let (Some(&first), Some(&last)) = (observed.first(), observed.last()) else {
        return sources;
    };
    let linear = match method {
        Impute::Linear if observed.len() < 2 => return sources,
        Impute::Linear => true,
        Impute::LinearConstant => observed.len() >= 2,
        Impute::Latest { .. } | Impute::Constant => false,
        _ => return sources,
    };
    for t in 0..values.len() {
        if !values[t].is_nan() {
            continue;
        }
        // The observations around t: the last before, the first after.
        let before = observed.iter().rev().find(|&&s| s < t).copied();
        let after = observed.iter().find(|&&s| s > t).copied();
        let source = match (method, before, after) {
            (Impute::Latest { max_age }, Some(s), _) => max_age
                .is_none_or(|age| i64::from(years[t]) - i64::from(years[s]) <= i64::from(age))
                .then_some([s, s]),
            (Impute::Latest { .. }, None, _) => None,
            (_, None, _) => Some([first, first]),
            (_, Some(_), None) => Some([last, last]),
            (_, Some(s), Some(u)) if linear => Some([s, u]),
            (_, Some(s), Some(_)) => Some([s, s]),
        };
        if let Some([s, u]) = source {
            values[t] = if s == u {
                values[s]
            } else {
                // R's approx(): y[i] + (y[j] - y[i]) * ((v - x[i]) / (x[j] - x[i])).
                let (xs, xu, xt) = (
                    f64::from(years[s]),
                    f64::from(years[u]),
                    f64::from(years[t]),
                );
                values[s] + (values[u] - values[s]) * ((xt - xs) / (xu - xs))
            };
            sources[t] = Some([s, u]);
        }
    }
    sources
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{assert_close, coinr_dir, read};
    use healthy_city_model::ImputeGroup;

    const NAN: f64 = f64::NAN;

    // Hand computations; tolerance 1e-12.
    #[test]
    fn column_methods_match_hand_computation() {
        let mut x = [1.0, NAN, 2.0, 6.0, NAN];
        assert_eq!(
            impute_column(&mut x, None, false),
            [false, true, false, false, true]
        );
        assert_close(x[1], 3.0, 1e-12, "mean");
        let mut x = [1.0, NAN, 2.0, 6.0, 10.0];
        impute_column(&mut x, None, true);
        assert_close(x[1], 4.0, 1e-12, "median of four");
        // Groups 0, 0, 1, 1, 2: group 2 has no value and stays missing.
        let mut x = [1.0, NAN, 5.0, NAN, NAN];
        let filled = impute_column(&mut x, Some(&[0, 0, 1, 1, 2]), false);
        assert_eq!(filled, [false, true, false, true, false]);
        assert_eq!((x[1], x[3]), (1.0, 5.0));
        assert!(x[4].is_nan());
    }

    #[test]
    fn series_methods_match_hand_computation() {
        let years = [2010, 2011, 2012, 2013, 2014, 2015];
        let base = [NAN, 10.0, NAN, NAN, 16.0, NAN];
        let run = |method| {
            let mut v = base;
            let s = impute_series(&years, &mut v, method);
            (v, s)
        };
        let (v, s) = run(Impute::Latest { max_age: None });
        assert!(v[0].is_nan());
        assert_eq!(&v[1..], [10.0, 10.0, 10.0, 16.0, 16.0]);
        assert_eq!(s[3], Some([1, 1]));
        let (v, _) = run(Impute::Latest { max_age: Some(1) });
        assert!(v[3].is_nan(), "2013 is two years after 2011");
        assert_eq!((v[2], v[5]), (10.0, 16.0));
        let (v, _) = run(Impute::Constant);
        assert_eq!(v, [10.0, 10.0, 10.0, 10.0, 16.0, 16.0]);
        let (v, s) = run(Impute::Linear);
        assert_eq!(v, [10.0, 10.0, 12.0, 14.0, 16.0, 16.0]);
        assert_eq!(s[2], Some([1, 4]));
        // One observation: linear leaves the series alone, linear_constant carries it.
        let mut v = [NAN, 3.0, NAN];
        assert!(impute_series(&years[..3], &mut v, Impute::Linear)
            .iter()
            .all(Option::is_none));
        impute_series(&years[..3], &mut v, Impute::LinearConstant);
        assert_eq!(v, [3.0, 3.0, 3.0]);
    }

    /// COINr's `Impute()` on iData, compared cell by cell (rows matched on uCode), 1e-9.
    fn matches_coinr_impute(file: &str, method: Impute) {
        let Some(dir) = coinr_dir() else { return };
        let raw = read(&dir.join("iData.csv"));
        let expected = read(&dir.join("impute").join(file));
        let by_code = expected.index(expected.column("uCode"));
        let ucode = raw.column("uCode");
        let region = raw.column("Region");
        let mut names: HashMap<&str, usize> = HashMap::new();
        let groups: Vec<usize> = raw
            .rows
            .iter()
            .map(|r| {
                let next = names.len();
                *names.entry(r[region].as_str()).or_insert(next)
            })
            .collect();
        let grouped = matches!(
            method,
            Impute::GroupMean { .. } | Impute::GroupMedian { .. }
        );
        let median = matches!(method, Impute::Median | Impute::GroupMedian { .. });
        let mut n_filled = 0;
        for code in &expected.header[1..] {
            let col = raw.column(code);
            let mut x: Vec<f64> = (0..raw.rows.len()).map(|r| raw.number(r, col)).collect();
            let filled = impute_column(&mut x, grouped.then_some(groups.as_slice()), median);
            n_filled += filled.iter().filter(|&&f| f).count();
            let theirs = expected.column(code);
            for (r, row) in raw.rows.iter().enumerate() {
                let want = expected.number(by_code[&row[ucode]], theirs);
                assert_close(x[r], want, 1e-9, &format!("{file} {} {code}", row[ucode]));
            }
        }
        assert_eq!(n_filled, 28, "iData has 28 NAs and every one is filled");
    }

    #[test]
    fn mean_matches_coinr_i_mean() {
        matches_coinr_impute("i_mean.csv", Impute::Mean);
    }

    #[test]
    fn median_matches_coinr_i_median() {
        matches_coinr_impute("i_median.csv", Impute::Median);
    }

    #[test]
    fn group_mean_matches_coinr_i_mean_grp() {
        let group = ImputeGroup::Region;
        matches_coinr_impute("i_mean_grp_Region.csv", Impute::GroupMean { group });
    }

    #[test]
    fn group_median_matches_coinr_i_median_grp() {
        let group = ImputeGroup::Region;
        matches_coinr_impute("i_median_grp_Region.csv", Impute::GroupMedian { group });
    }

    /// COINr's `impute_panel()` on the WHO PM2.5 panel, per unit along Time, 1e-9.
    fn matches_coinr_panel(folder: &str, file: &str, method: Impute) {
        let Some(dir) = coinr_dir() else { return };
        let dir = dir.join("panel").join(folder);
        let input = read(&dir.join("input.csv"));
        let expected = read(&dir.join(file));
        let source_years = matches!(method, Impute::Latest { .. })
            .then(|| read(&dir.join("impute_panel_latest_DataT.csv")));
        let key =
            |t: &crate::reference::Table, r: usize| format!("{}/{}", t.rows[r][0], t.rows[r][1]);
        let want: HashMap<String, usize> = (0..expected.rows.len())
            .map(|r| (key(&expected, r), r))
            .collect();
        let mut units: Vec<&str> = input.rows.iter().map(|r| r[0].as_str()).collect();
        units.sort_unstable();
        units.dedup();
        for unit in units {
            let mut rows: Vec<usize> = (0..input.rows.len())
                .filter(|&r| input.rows[r][0] == unit)
                .collect();
            rows.sort_by_key(|&r| input.rows[r][1].parse::<i32>().unwrap());
            let years: Vec<i32> = rows
                .iter()
                .map(|&r| input.rows[r][1].parse().unwrap())
                .collect();
            let mut values: Vec<f64> = rows.iter().map(|&r| input.number(r, 2)).collect();
            let sources = impute_series(&years, &mut values, method);
            for (k, &r) in rows.iter().enumerate() {
                let what = format!("{folder}/{file} {}", key(&input, r));
                let e = want[&key(&input, r)];
                assert_close(values[k], expected.number(e, 2), 1e-9, &what);
                if let Some(t) = &source_years {
                    let from = sources[k].map_or(
                        if values[k].is_nan() {
                            f64::NAN
                        } else {
                            f64::from(years[k])
                        },
                        |[s, _]| f64::from(years[s]),
                    );
                    assert_close(from, t.number(e, 2), 0.0, &format!("{what} source year"));
                }
            }
        }
    }

    #[test]
    fn panel_methods_match_coinr_impute_panel() {
        for folder in ["full_grid_2010_2019", "who_rows_only"] {
            matches_coinr_panel(
                folder,
                "impute_panel_latest.csv",
                Impute::Latest { max_age: None },
            );
            matches_coinr_panel(folder, "impute_panel_constant.csv", Impute::Constant);
            matches_coinr_panel(folder, "impute_panel_linear.csv", Impute::Linear);
            matches_coinr_panel(
                folder,
                "impute_panel_linear_constant.csv",
                Impute::LinearConstant,
            );
        }
    }
}
