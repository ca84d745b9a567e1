//! The statistics every other module uses, each written once: min and max, R's mean and sample
//! standard deviation, COINr's skewness and kurtosis, type-7 quantiles, Pearson and Spearman
//! correlation, and principal components.
//!
//! A leaf module: it imports nothing from the crate. NaN means missing; every statistic says
//! how it treats it.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Number of values, their mean and sample standard deviation (n - 1), as R's `mean` (which
/// refines the mean with a second pass) and `sd`. `values` must hold no NaN; it is walked
/// three times in its own order.
pub(crate) fn mean_sd<I>(values: I) -> (usize, f64, f64)
where
    I: Iterator<Item = f64> + Clone,
{
    let n = values.clone().count();
    if n == 0 {
        return (0, f64::NAN, f64::NAN);
    }
    let mean = values.clone().sum::<f64>() / n as f64;
    // R refines the mean with a second pass.
    let mean = mean + values.clone().map(|v| v - mean).sum::<f64>() / n as f64;
    let ss: f64 = values.map(|v| (v - mean) * (v - mean)).sum();
    (n, mean, (ss / (n as f64 - 1.0)).sqrt())
}

/// Skewness and kurtosis of `values` (no NaN), as COINr's `skew` and `kurt`: the
/// sample-adjusted `G1 = g1 sqrt(n (n - 1)) / (n - 2)` and
/// `G2 = ((n + 1) g2 + 6) (n - 1) / ((n - 2) (n - 3))`; `None` with fewer than 4 values.
pub(crate) fn skew_kurt_of<I>(values: I) -> Option<(f64, f64)>
where
    I: Iterator<Item = f64> + Clone,
{
    let n = values.clone().count();
    if n < 4 {
        return None;
    }
    let nf = n as f64;
    let mean = values.clone().sum::<f64>() / nf;
    let mean = mean + values.clone().map(|v| v - mean).sum::<f64>() / nf;
    let (mut s2, mut s3, mut s4) = (0.0, 0.0, 0.0);
    for v in values {
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

/// Type-7 quantile (R's default, spreadsheets' PERCENTILE) of `n` ordered values, the `k`-th
/// smallest (0-based) given by `at`: linear interpolation between the order statistics around
/// `(n - 1) p`. NaN for no values.
pub(crate) fn quantile_of(n: usize, p: f64, at: impl Fn(usize) -> f64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let a = at(lo);
    if lo + 1 >= n {
        return a;
    }
    a + (h - lo as f64) * (at(lo + 1) - a)
}

/// Type-7 quantile of sorted values (R's default `quantile`, spreadsheets' PERCENTILE); NaN
/// for no values.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    quantile_of(sorted.len(), p, |k| sorted[k])
}

/// Correlation coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrMethod {
    /// Pearson's r.
    Pearson,
    /// Spearman's rho: Pearson's r of the ranks (ties take the average rank).
    Spearman,
}

impl CorrMethod {
    /// Lowercase name, as in the CSV files.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrMethod::Pearson => "pearson",
            CorrMethod::Spearman => "spearman",
        }
    }
}

/// A correlation on the pairwise complete observations, with its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    /// The coefficient; NaN with fewer than 2 pairs or a constant variable.
    pub r: f64,
    /// Two-sided p-value of `t = r sqrt((n - 2) / (1 - r^2))` on `n - 2` degrees of freedom
    /// (R's `cor.test`; for Spearman its asymptotic form); NaN with fewer than 3 pairs.
    pub p: f64,
    /// Number of complete pairs.
    pub n: usize,
}

/// Pairs where both values are present.
fn complete_pairs(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    x.iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(&a, &b)| (a, b))
        .unzip()
}

/// Mean with one correction pass (as R's `mean`).
fn mean(x: &[f64]) -> f64 {
    mean_of(x.iter().copied(), x.len())
}

/// Mean of `n` values with one correction pass (as R's `mean`).
fn mean_of<I>(values: I, n: usize) -> f64
where
    I: Iterator<Item = f64> + Clone,
{
    let n = n as f64;
    let m = values.clone().sum::<f64>() / n;
    m + values.map(|v| v - m).sum::<f64>() / n
}

/// Pearson's r of `x` and `y` on their pairwise complete observations, without allocating
/// (the optimiser calls it in its loop): R's `cor(use = "pairwise.complete.obs")`, means with
/// R's correction pass. NaN with fewer than 2 pairs or a constant variable. Returns the
/// number of pairs too.
pub(crate) fn pearson_r(x: &[f64], y: &[f64]) -> (f64, usize) {
    let pairs = || {
        x.iter()
            .zip(y)
            .filter(|(a, b)| !a.is_nan() && !b.is_nan())
            .map(|(&a, &b)| (a, b))
    };
    let n = pairs().count();
    if n < 2 {
        return (f64::NAN, n);
    }
    let mx = mean_of(pairs().map(|p| p.0), n);
    let my = mean_of(pairs().map(|p| p.1), n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in pairs() {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxy / (sxx.sqrt() * syy.sqrt()), n)
}

/// Pearson's r of complete observations (no NaN).
fn pearson_complete(x: &[f64], y: &[f64]) -> f64 {
    pearson_r(x, y).0
}

/// Two-sided p-value of a correlation `r` on `n` pairs (t test, `n - 2` degrees of freedom).
pub(crate) fn correlation_p_value(r: f64, n: usize) -> f64 {
    if n < 3 || r.is_nan() {
        return f64::NAN;
    }
    if r.abs() >= 1.0 {
        return 0.0;
    }
    let df = (n - 2) as f64;
    let t = r * (df / (1.0 - r * r)).sqrt();
    let dist = StudentsT::new(0.0, 1.0, df).expect("df > 0");
    (2.0 * dist.cdf(-t.abs())).min(1.0)
}

/// Average ranks (1-based; ties share the mean of their positions). No NaN may be present.
pub(crate) fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        // Positions start+1 ..= end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Pearson's r of `x` and `y` on their pairwise complete observations.
pub(crate) fn pearson(x: &[f64], y: &[f64]) -> Correlation {
    let (x, y) = complete_pairs(x, y);
    let r = pearson_complete(&x, &y);
    Correlation {
        r,
        p: correlation_p_value(r, x.len()),
        n: x.len(),
    }
}

/// Spearman's rho of `x` and `y`: ranked within the pairwise complete observations.
pub(crate) fn spearman(x: &[f64], y: &[f64]) -> Correlation {
    let (x, y) = complete_pairs(x, y);
    let r = pearson_complete(&average_ranks(&x), &average_ranks(&y));
    Correlation {
        r,
        p: correlation_p_value(r, x.len()),
        n: x.len(),
    }
}

/// A correlation by method.
pub(crate) fn correlate(method: CorrMethod, x: &[f64], y: &[f64]) -> Correlation {
    match method {
        CorrMethod::Pearson => pearson(x, y),
        CorrMethod::Spearman => spearman(x, y),
    }
}

/// The rows (positions) where every column is present.
fn complete_rows(columns: &[&[f64]]) -> Vec<usize> {
    let n = columns.first().map_or(0, |c| c.len());
    (0..n)
        .filter(|&r| columns.iter().all(|c| !c[r].is_nan()))
        .collect()
}

/// Columns restricted to the complete rows.
fn complete_columns(columns: &[&[f64]]) -> Vec<Vec<f64>> {
    let rows = complete_rows(columns);
    columns
        .iter()
        .map(|c| rows.iter().map(|&r| c[r]).collect())
        .collect()
}

/// Sample covariance (denominator `n - 1`).
fn covariance(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / (x.len() as f64 - 1.0)
}

/// Cronbach's alpha of a group's columns on their complete rows:
/// `k / (k - 1) (1 - sum of variances / sum of the covariance matrix)` (COINr `get_cronbach`).
/// Returns `(alpha, rows used)`; `None` with fewer than 2 columns or 2 complete rows.
pub(crate) fn cronbach_alpha(columns: &[&[f64]]) -> Option<(f64, usize)> {
    let k = columns.len();
    let data = complete_columns(columns);
    let n = data.first().map_or(0, Vec::len);
    if k < 2 || n < 2 {
        return None;
    }
    let (mut variances, mut total) = (0.0, 0.0);
    for i in 0..k {
        for j in 0..k {
            let c = covariance(&data[i], &data[j]);
            total += c;
            if i == j {
                variances += c;
            }
        }
    }
    let kf = k as f64;
    Some((kf / (kf - 1.0) * (1.0 - variances / total), n))
}

/// Eigen-decomposition of a symmetric `k x k` matrix (row-major) by cyclic Jacobi rotations.
/// Returns the eigenvalues and the eigenvectors as columns of a row-major matrix, unsorted.
fn jacobi_eigen(matrix: &[f64], k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = matrix.to_vec();
    let mut v = vec![0.0; k * k];
    for i in 0..k {
        v[i * k + i] = 1.0;
    }
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..k)
            .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * k + j] * a[i * k + j])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-300 || off <= f64::EPSILON * 1e-3 * scale {
            break;
        }
        for p in 0..k {
            for q in p + 1..k {
                let apq = a[p * k + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (a[p * k + p], a[q * k + q]);
                // Rotation angle zeroing a[p][q] (Numerical Recipes' stable form).
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..k {
                    let (arp, arq) = (a[r * k + p], a[r * k + q]);
                    a[r * k + p] = c * arp - s * arq;
                    a[r * k + q] = s * arp + c * arq;
                }
                for r in 0..k {
                    let (apr, aqr) = (a[p * k + r], a[q * k + r]);
                    a[p * k + r] = c * apr - s * aqr;
                    a[q * k + r] = s * apr + c * aqr;
                }
                for r in 0..k {
                    let (vrp, vrq) = (v[r * k + p], v[r * k + q]);
                    v[r * k + p] = c * vrp - s * vrq;
                    v[r * k + q] = s * vrp + c * vrq;
                }
            }
        }
    }
    ((0..k).map(|i| a[i * k + i]).collect(), v)
}

/// Principal components of a group's standardised columns (R's `prcomp(center = TRUE,
/// scale. = TRUE)` on the complete rows, as COINr's `get_PCA`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Complete rows used.
    pub n: usize,
    /// Variance of each component (eigenvalues of the correlation matrix), descending.
    pub variances: Vec<f64>,
    /// Loadings `[component][variable]`, unit norm. A component's sign is arbitrary; it is
    /// fixed so that its loadings sum to a non-negative number.
    pub loadings: Vec<Vec<f64>>,
}

impl Pca {
    /// Share of the total variance each component explains.
    pub fn proportions(&self) -> Vec<f64> {
        let total: f64 = self.variances.iter().sum();
        self.variances.iter().map(|v| v / total).collect()
    }
}

/// PCA of the columns on their complete rows; `None` with fewer than 2 columns, fewer than
/// 3 complete rows or a constant column.
pub(crate) fn pca(columns: &[&[f64]]) -> Option<Pca> {
    let k = columns.len();
    let data = complete_columns(columns);
    let n = data.first().map_or(0, Vec::len);
    if k < 2 || n < 3 {
        return None;
    }
    let mut corr = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            corr[i * k + j] = if i == j {
                1.0
            } else {
                pearson_complete(&data[i], &data[j])
            };
        }
    }
    if corr.iter().any(|c| c.is_nan()) {
        return None;
    }
    let (values, vectors) = jacobi_eigen(&corr, k);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let loadings = order
        .iter()
        .map(|&c| {
            let mut l: Vec<f64> = (0..k).map(|r| vectors[r * k + c]).collect();
            if l.iter().sum::<f64>() < 0.0 {
                for x in &mut l {
                    *x = -*x;
                }
            }
            l
        })
        .collect();
    Some(Pca {
        n,
        variances: order.iter().map(|&c| values[c].max(0.0)).collect(),
        loadings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tolerance 1e-12 for hand computations (exact in binary up to rounding).
    fn close(a: f64, b: f64) {
        crate::reference::assert_close(a, b, 1e-12, "hand value");
    }

    #[test]
    fn pearson_and_its_p_value_match_a_hand_computation() {
        // r = 0.5; with 3 pairs t = 0.5 sqrt(1 / 0.75) = tan(pi / 6) on 1 df (Cauchy),
        // so p = 1 - 2 atan(t) / pi = 2 / 3.
        let c = pearson(&[1.0, 2.0, 3.0, f64::NAN], &[1.0, 3.0, 2.0, 7.0]);
        assert_eq!(c.n, 3);
        close(c.r, 0.5);
        close(c.p, 2.0 / 3.0);
        // A perfect correlation has p = 0; two pairs have no p-value.
        assert_eq!(correlation_p_value(1.0, 3), 0.0);
        assert_eq!(correlation_p_value(-1.0, 10), 0.0);
        assert!(pearson(&[1.0, 2.0], &[2.0, 1.0]).p.is_nan());
    }

    #[test]
    fn spearman_ranks_ties_by_their_average() {
        assert_eq!(average_ranks(&[3.0, 1.0, 2.0, 2.0]), [4.0, 1.0, 2.5, 2.5]);
        // Monotone but not linear: rho = 1.
        close(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 8.0, 27.0, 64.0]).r,
            1.0,
        );
        // Ranks [1, 2.5, 2.5, 4] vs [1, 2, 3, 4]: r = 4.5 / sqrt(4.5 * 5) = sqrt(0.9).
        close(
            spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]).r,
            0.9f64.sqrt(),
        );
    }

    #[test]
    fn cronbach_alpha_matches_a_hand_computation() {
        // var a = var b = 1, cov = 0.5: total 3, alpha = 2 (1 - 2 / 3) = 2 / 3. The row with a
        // missing value is dropped.
        let (a, b) = ([1.0, 2.0, 3.0, 9.0], [1.0, 3.0, 2.0, f64::NAN]);
        let (alpha, n) = cronbach_alpha(&[&a, &b]).unwrap();
        assert_eq!(n, 3);
        close(alpha, 2.0 / 3.0);
        close(cronbach_alpha(&[&a, &a]).unwrap().0, 1.0);
    }

    #[test]
    fn pca_of_two_variables_splits_one_plus_and_minus_r() {
        // r = 0.5: eigenvalues 1.5 and 0.5, loadings (1, 1) / sqrt 2 and (1, -1) / sqrt 2.
        let p = pca(&[&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]]).unwrap();
        close(p.variances[0], 1.5);
        close(p.variances[1], 0.5);
        let h = 0.5f64.sqrt();
        close(p.loadings[0][0], h);
        close(p.loadings[0][1], h);
        close(p.loadings[1][0].abs(), h);
        close(p.loadings[1][0] + p.loadings[1][1], 0.0);
    }

    #[test]
    fn jacobi_diagonalises_a_known_matrix() {
        // [[2, 1, 0], [1, 2, 0], [0, 0, 5]]: eigenvalues 1, 3, 5.
        let (mut values, v) = jacobi_eigen(&[2.0, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 5.0], 3);
        // The eigenvectors are orthonormal.
        for i in 0..3 {
            for j in 0..3 {
                let dot: f64 = (0..3).map(|r| v[r * 3 + i] * v[r * 3 + j]).sum();
                close(dot, if i == j { 1.0 } else { 0.0 });
            }
        }
        values.sort_by(f64::total_cmp);
        close(values[0], 1.0);
        close(values[1], 3.0);
        close(values[2], 5.0);
    }

    #[test]
    fn quantiles_are_type_7() {
        // Moved from the report crate's profile chart, which now calls this one.
        // R: quantile(c(0, 50, 100), c(.25, .5, .75)) = 25, 50, 75; of c(1, 2, 4, 8): 1.75, 3, 5.
        let a = [0.0, 50.0, 100.0];
        assert_eq!(
            [0.25, 0.5, 0.75].map(|p| quantile(&a, p)),
            [25.0, 50.0, 75.0]
        );
        let b = [1.0, 2.0, 4.0, 8.0];
        assert_eq!([0.25, 0.5, 0.75].map(|p| quantile(&b, p)), [1.75, 3.0, 5.0]);
        assert!(quantile(&[], 0.5).is_nan());
        assert_eq!(quantile(&[7.0], 0.9), 7.0);
    }
}
