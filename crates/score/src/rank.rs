//! Ranking: competition ranking, best first.

use std::num::NonZeroU32;

/// Ranks scores, highest first, by competition ranking: tied scores share the best rank and
/// the next rank skips (1, 2, 2, 4). NaN is never ranked (`None`). With `decimals`, scores are
/// rounded half away from zero to that many decimals before they are compared, as published
/// indices rank on the rounded value.
pub fn rank(scores: &[f64], decimals: Option<u32>) -> Vec<Option<NonZeroU32>> {
    let n = scores.len();
    let (mut rounded, mut order, mut ranks) = (vec![0.0; n], vec![0; n], vec![None; n]);
    rank_into(scores, decimals, &mut rounded, &mut order, &mut ranks);
    ranks
}

/// `score` rounded half away from zero to `decimals` decimals: the value [`rank`] compares
/// when a framework sets `methods.round`, and the value the outputs then write as the score
/// (one function, so a written score and its rank cannot disagree). NaN stays NaN.
pub fn round_score(score: f64, decimals: u32) -> f64 {
    let factor = 10f64.powi(i32::try_from(decimals).unwrap_or(i32::MAX));
    (score * factor).round() / factor
}

/// [`rank`] into buffers, without allocating (the replications' hot loop): `rounded` and
/// `order` are work space of `scores.len()`, `ranks` receives the ranks. The one
/// implementation of ranking: [`score`](crate::score()) and every replication call it.
pub(crate) fn rank_into(
    scores: &[f64],
    decimals: Option<u32>,
    rounded: &mut [f64],
    order: &mut [usize],
    ranks: &mut [Option<NonZeroU32>],
) {
    match decimals {
        None => rounded.copy_from_slice(scores),
        Some(d) => {
            for (r, &s) in rounded.iter_mut().zip(scores) {
                *r = round_score(s, d);
            }
        }
    }
    for (k, o) in order.iter_mut().enumerate() {
        *o = k;
    }
    // Highest first, NaN last, ties in input order.
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (rounded[a], rounded[b]);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => a.cmp(&b),
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            (false, false) => y.total_cmp(&x).then(a.cmp(&b)),
        }
    });
    let mut previous: Option<(f64, NonZeroU32)> = None;
    for (position, &i) in order.iter().enumerate() {
        let v = rounded[i];
        if v.is_nan() {
            ranks[i] = None;
            continue;
        }
        let r = match previous {
            // -0.0 and 0.0 tie.
            Some((score, r)) if score == v => r,
            _ => NonZeroU32::new(position as u32 + 1).unwrap_or(NonZeroU32::MIN),
        };
        ranks[i] = Some(r);
        previous = Some((v, r));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ranks as plain numbers, to compare with literals.
    fn rank(scores: &[f64], decimals: Option<u32>) -> Vec<Option<u32>> {
        super::rank(scores, decimals)
            .into_iter()
            .map(|r| r.map(NonZeroU32::get))
            .collect()
    }

    #[test]
    fn ranks_share_the_best_rank_on_ties_and_never_rank_nan() {
        // Moved from the replication engine's own ranking, now this one.
        assert_eq!(
            rank(&[3.0, 5.0, f64::NAN, 5.0, 1.0], None),
            [Some(3), Some(1), None, Some(1), Some(4)]
        );
    }

    #[test]
    fn ties_share_the_best_rank_and_the_next_rank_skips() {
        assert_eq!(
            rank(&[10.0, 20.0, 20.0, 5.0], None),
            [Some(3), Some(1), Some(1), Some(4)]
        );
        assert_eq!(
            rank(&[3.0, 2.0, 2.0, 1.0], None),
            [Some(1), Some(2), Some(2), Some(4)]
        );
    }

    #[test]
    fn nan_is_never_ranked() {
        assert_eq!(rank(&[f64::NAN, 1.0, 2.0], None), [None, Some(2), Some(1)]);
        assert_eq!(rank(&[f64::NAN], None), [None]);
    }

    #[test]
    fn rounding_before_ranking_creates_ties() {
        assert_eq!(
            rank(&[0.7004, 0.7001, 0.6996], Some(3)),
            [Some(1), Some(1), Some(1)]
        );
        assert_eq!(
            rank(&[0.7004, 0.7001, 0.6994], Some(3)),
            [Some(1), Some(1), Some(3)]
        );
    }

    #[test]
    fn a_score_is_rounded_half_away_from_zero() {
        // 0.70049 * 1000 = 700.49 -> 700 -> 0.7; 0.6995 * 1000 = 699.5 (in binary just
        // below: 699.4999...), so check a value exact in binary: 0.8125 * 100 = 81.25 -> 81
        // -> 0.81; -2.5 * 1 -> -3 (away from zero). Exact comparisons: each result is the
        // f64 nearest the decimal, as `(x * f).round() / f` gives.
        assert_eq!(round_score(0.700_49, 3), 0.7);
        assert_eq!(round_score(0.8125, 2), 0.81);
        assert_eq!(round_score(0.875, 2), 0.88);
        assert_eq!(round_score(-2.5, 0), -3.0);
        assert_eq!(round_score(61.25, 1), 61.3);
        assert!(round_score(f64::NAN, 2).is_nan());
        // The ranks are those of the rounded scores.
        let scores = [0.7004, 0.7001, 0.6994];
        let rounded: Vec<f64> = scores.iter().map(|&s| round_score(s, 3)).collect();
        assert_eq!(rounded, [0.7, 0.7, 0.699]);
        assert_eq!(rank(&scores, Some(3)), rank(&rounded, None));
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        assert_eq!(rank(&[0.0, -0.0], None), [Some(1), Some(1)]);
    }
}
