//! Ranking: competition ranking, best first.

/// Ranks scores, highest first, by competition ranking: tied scores share the best rank and
/// the next rank skips (1, 2, 2, 4). NaN is never ranked (`None`). With `decimals`, scores are
/// rounded half away from zero to that many decimals before they are compared, as published
/// indices rank on the rounded value.
pub fn rank(scores: &[f64], decimals: Option<u32>) -> Vec<Option<u32>> {
    let rounded: Vec<f64> = match decimals {
        None => scores.to_vec(),
        Some(d) => {
            let factor = 10f64.powi(d as i32);
            scores
                .iter()
                .map(|s| (s * factor).round() / factor)
                .collect()
        }
    };
    let mut order: Vec<usize> = (0..rounded.len())
        .filter(|&i| !rounded[i].is_nan())
        .collect();
    order.sort_by(|&a, &b| rounded[b].total_cmp(&rounded[a]));
    let mut ranks = vec![None; rounded.len()];
    let mut previous: Option<(f64, u32)> = None;
    for (position, &i) in order.iter().enumerate() {
        let r = match previous {
            Some((score, r)) if score == rounded[i] => r,
            _ => position as u32 + 1,
        };
        ranks[i] = Some(r);
        previous = Some((rounded[i], r));
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn negative_zero_ties_with_zero() {
        assert_eq!(rank(&[0.0, -0.0], None), [Some(1), Some(1)]);
    }
}
