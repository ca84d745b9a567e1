//! Linear programming: a dense tableau simplex, exact enough for the benefit-of-the-doubt
//! programmes of a few dozen cities and children. A leaf module.

/// An optimal solution of a linear programme.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LpSolution {
    /// The optimal objective value.
    pub value: f64,
    /// An optimal point.
    pub x: Vec<f64>,
}

/// Maximises `c·x` subject to `A x <= b`, `x >= 0`, with `b >= 0` (so `x = 0` is feasible):
/// a dense tableau simplex with Bland's rule (no cycling on degenerate vertices). `a` is
/// row-major, `b.len()` rows by `c.len()` columns. `None` if the problem is unbounded (or
/// `b` has a negative entry).
pub(crate) fn simplex_max(c: &[f64], a: &[f64], b: &[f64]) -> Option<LpSolution> {
    let (m, n) = (b.len(), c.len());
    assert_eq!(a.len(), m * n, "A must be {m} x {n}");
    if b.iter().any(|&v| v < 0.0 || v.is_nan()) {
        return None;
    }
    // Tableau: m rows of [A | I | b], then the objective row [-c | 0 | 0].
    let width = n + m + 1;
    let mut t = vec![0.0; (m + 1) * width];
    for r in 0..m {
        t[r * width..r * width + n].copy_from_slice(&a[r * n..(r + 1) * n]);
        t[r * width + n + r] = 1.0;
        t[r * width + width - 1] = b[r];
    }
    for j in 0..n {
        t[m * width + j] = -c[j];
    }
    let mut basis: Vec<usize> = (n..n + m).collect();
    let scale = c.iter().chain(a).fold(1.0f64, |s, v| s.max(v.abs()));
    let eps = 1e-12 * scale;
    for _ in 0..10_000 {
        // Bland: the lowest-index column with a negative reduced cost enters.
        let Some(col) = (0..n + m).find(|&j| t[m * width + j] < -eps) else {
            let mut x = vec![0.0; n];
            for (r, &v) in basis.iter().enumerate() {
                if v < n {
                    x[v] = t[r * width + width - 1];
                }
            }
            return Some(LpSolution {
                value: t[m * width + width - 1],
                x,
            });
        };
        // Ratio test; ties broken by the lowest basic variable index (Bland).
        let mut pivot: Option<(usize, f64)> = None;
        for r in 0..m {
            let coef = t[r * width + col];
            if coef > eps {
                let ratio = t[r * width + width - 1] / coef;
                pivot = match pivot {
                    Some((p, best))
                        if ratio > best + eps
                            || ((ratio - best).abs() <= eps && basis[p] < basis[r]) =>
                    {
                        Some((p, best))
                    }
                    _ => Some((r, ratio)),
                };
            }
        }
        let (row, _) = pivot?;
        let p = t[row * width + col];
        for v in &mut t[row * width..(row + 1) * width] {
            *v /= p;
        }
        for r in 0..=m {
            if r == row {
                continue;
            }
            let f = t[r * width + col];
            if f != 0.0 {
                for j in 0..width {
                    t[r * width + j] -= f * t[row * width + j];
                }
            }
        }
        basis[row] = col;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::assert_close;

    #[test]
    fn simplex_solves_a_textbook_problem() {
        // max 3x + 5y s.t. x <= 4, 2y <= 12, 3x + 2y <= 18: optimum 36 at (2, 6).
        let s = simplex_max(
            &[3.0, 5.0],
            &[1.0, 0.0, 0.0, 2.0, 3.0, 2.0],
            &[4.0, 12.0, 18.0],
        )
        .unwrap();
        assert_close(s.value, 36.0, 1e-12, "value");
        assert_close(s.x[0], 2.0, 1e-12, "x");
        assert_close(s.x[1], 6.0, 1e-12, "y");
        // Unbounded: max x with -x <= 1.
        assert!(simplex_max(&[1.0], &[-1.0], &[1.0]).is_none());
    }
}
