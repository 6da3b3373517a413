//! Latency percentiles by the nearest-rank method: the value reported is one
//! that was observed, never an interpolation between two.

use std::time::Duration;

/// The `percent` percentile of `sorted` (ascending), or `None` when empty.
pub fn percentile(sorted: &[Duration], percent: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }

    let rank = (percent / 100.0 * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    Some(sorted[index])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn nearest_rank_picks_an_observed_value() {
        let sorted = millis(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(5)));
        assert_eq!(percentile(&sorted, 95.0), Some(Duration::from_millis(10)));
        assert_eq!(percentile(&sorted, 0.0), Some(Duration::from_millis(1)));
    }

    #[test]
    fn one_sample_is_every_percentile_and_none_is_none() {
        let sorted = millis(&[7]);

        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
