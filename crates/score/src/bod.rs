//! Benefit of the doubt (Compind `ci_bod`, `ci_bod_constr`): each city scored with the weights
//! most favourable to it, by one linear programme per city ([`simplex_max`]).

use crate::lp::simplex_max;

/// Benefit of the doubt for one city.
#[derive(Debug, Clone, PartialEq)]
pub struct BodResult {
    /// The city's score `max w·x_c` over the weights with `w·x_j <= 1` for every city `j`:
    /// in `[0, 1]`, 1 on the frontier.
    pub score: f64,
    /// The most favourable weights `w` (per unit of each child).
    pub weights: Vec<f64>,
    /// Each child's share of the score, `w_i x_ci / score` (Compind's reported weights); NaN
    /// when the score is 0.
    pub shares: Vec<f64>,
}

/// Benefit of the doubt (Compind `ci_bod`; with `shares = [lo, hi]` other than `[0, 1]`,
/// `ci_bod_constr(up_w = hi, low_w = lo)`): for each row `c` of `x` (`n` cities by `k`
/// children, row-major, no NaN), solve
///
/// `max w·x_c` subject to `w·x_j <= 1` for every `j`, `w >= 0`, and
/// `lo (w·x_c) <= w_i x_ci <= hi (w·x_c)` for every child `i`,
///
/// exactly, by [`simplex_max`]. Every score is in `[0, 1]` (city `c`'s own constraint bounds
/// it), and a city that is best on any child scores 1. Children should not be negative
/// (min-max normalised, say).
pub fn bod(x: &[f64], n: usize, k: usize, shares: [f64; 2]) -> Vec<BodResult> {
    assert_eq!(x.len(), n * k, "x must be {n} x {k}");
    (0..n)
        .map(|c| bod_one(&x[c * k..(c + 1) * k], x, n, k, shares))
        .collect()
}

/// The benefit-of-the-doubt LP of one city `xc` against the `n` rows of `x` (which include
/// it).
pub(crate) fn bod_one(xc: &[f64], x: &[f64], n: usize, k: usize, shares: [f64; 2]) -> BodResult {
    let [lo, hi] = shares;
    let mut a = x.to_vec();
    let mut b = vec![1.0; n];
    for i in 0..k {
        // Lower: lo (x_c·w) - x_ci w_i <= 0; upper: x_ci w_i - hi (x_c·w) <= 0.
        for (bound, sign, active) in [(lo, -1.0, lo > 0.0), (hi, 1.0, hi < 1.0)] {
            if active {
                for j in 0..k {
                    let own = if i == j { xc[i] } else { 0.0 };
                    a.push(sign * (own - bound * xc[j]));
                }
                b.push(0.0);
            }
        }
    }
    // Cannot be unbounded with finite data: the city's own row bounds the objective by 1.
    // The exact optimum lies in [0, 1]; rounding in the pivots is snapped back, and a score
    // within 1e-12 of 1 is the frontier, so that frontier cities tie at exactly 1.
    let (score, weights) = simplex_max(xc, &a, &b).map_or((f64::NAN, vec![f64::NAN; k]), |s| {
        let v = if s.value > 1.0 - 1e-12 {
            1.0
        } else {
            s.value.max(0.0)
        };
        (v, s.x)
    });
    let shares = xc
        .iter()
        .zip(&weights)
        .map(|(xi, wi)| {
            if score > 0.0 {
                xi * wi / score
            } else {
                f64::NAN
            }
        })
        .collect();
    BodResult {
        score,
        weights,
        shares,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::assert_close;

    /// Two indicators, three cities A (4, 1), B (1, 4), C (2, 2). The frontier is the
    /// segment A-B: C's best weights lie on it, w = (1/5, 1/5) with w·A = w·B = 1, so C
    /// scores 4/5; A and B are on the frontier and score 1. Tolerance 1e-12.
    #[test]
    fn bod_matches_a_hand_computed_frontier() {
        let x = [4.0, 1.0, 1.0, 4.0, 2.0, 2.0];
        let r = bod(&x, 3, 2, [0.0, 1.0]);
        assert_close(r[0].score, 1.0, 1e-12, "A");
        assert_close(r[1].score, 1.0, 1e-12, "B");
        assert_close(r[2].score, 0.8, 1e-12, "C");
        assert_close(r[2].weights[0], 0.2, 1e-12, "C w1");
        assert_close(r[2].weights[1], 0.2, 1e-12, "C w2");
        assert_close(r[2].shares[0], 0.5, 1e-12, "C share");
        // A puts all its weight on its strength: w = (1/4, 0), share 1.
        assert_close(r[0].shares[0], 1.0, 1e-12, "A share");
        // D (3, 0.5) instead of C: the vertices of its feasible set are (1/4, 0), (1/5, 1/5)
        // and (0, 1/4), where it scores 3/4, 7/10 and 1/8: 3/4.
        let x = [4.0, 1.0, 1.0, 4.0, 3.0, 0.5];
        assert_close(bod(&x, 3, 2, [0.0, 1.0])[2].score, 0.75, 1e-12, "D");
    }

    /// Share bounds [0.4, 0.6] (Compind `ci_bod_constr(low_w = 0.4, up_w = 0.6)`): A (4, 1)
    /// can no longer put everything on its first child. With share `s` of the first child,
    /// `S = 4 w1 + w2`, `w1 = s S / 4`, `w2 = (1 - s) S`; B's constraint `w1 + 4 w2 <= 1`
    /// gives `S <= 1 / (4 - 3.75 s)`, largest at `s = 0.6`: `S = 4/7` (w = (3/35, 8/35); C's
    /// and A's own constraints do not bind). Tolerance 1e-12.
    #[test]
    fn constrained_bod_bounds_each_share() {
        let x = [4.0, 1.0, 1.0, 4.0, 2.0, 2.0];
        let r = bod(&x, 3, 2, [0.4, 0.6]);
        assert_close(r[0].score, 4.0 / 7.0, 1e-12, "A");
        assert_close(r[0].shares[0], 0.6, 1e-12, "A share 1");
        assert_close(r[0].shares[1], 0.4, 1e-12, "A share 2");
        // C's unconstrained optimum already has shares 0.5: unchanged.
        assert_close(r[2].score, 0.8, 1e-12, "C");
        for row in &r {
            assert!(row
                .shares
                .iter()
                .all(|s| (0.4 - 1e-12..=0.6 + 1e-12).contains(s)));
        }
    }
}
