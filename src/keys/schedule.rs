//! Key states, computed from the manifest's timestamps and the time of the question.
//!
//! At instant `t` a key is *next* while `t < activates_at`, *previous* once
//! `retired_at <= t`, and *current* in between. Because the rule reads only stored timestamps,
//! every replica answers the same, and a loaded set moves to a scheduled key by itself.
//! A set is valid only if exactly one key is current now and at every later instant where a
//! state changes; states only change at those instants, so it then stays valid for good.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::KeyError;
use super::manifest::KeyRecord;

/// Where a key is in its life; never stored, always derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    /// Published and signing.
    Current,
    /// Published so tokens it signed still verify; no longer signing.
    Previous,
}

impl KeyState {
    pub fn name(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Current => "current",
            KeyState::Previous => "previous",
        }
    }
}

/// The state of one key at `now`.
pub(crate) fn state_at(record: &KeyRecord, now: DateTime<Utc>) -> KeyState {
    if now < record.activates_at {
        KeyState::Next
    } else if record.retired_at.is_some_and(|retired| retired <= now) {
        KeyState::Previous
    } else {
        KeyState::Current
    }
}

/// Index of the one key current at `now`; an error when there is none or more than one.
pub(crate) fn current_index(records: &[KeyRecord], now: DateTime<Utc>) -> Result<usize, KeyError> {
    let mut current = records
        .iter()
        .enumerate()
        .filter(|(_, record)| state_at(record, now) == KeyState::Current);

    match (current.next(), current.next()) {
        (Some((index, _)), None) => Ok(index),
        (None, _) => Err(KeyError::NoCurrentKey { at: now }),
        (Some(_), Some(_)) => Err(several_current(records, now)),
    }
}

/// Checks that exactly one key is current at `now` and after every later state change.
pub(crate) fn check(records: &[KeyRecord], now: DateTime<Utc>) -> Result<(), KeyError> {
    current_index(records, now)?;

    let changes = records
        .iter()
        .flat_map(|record| [Some(record.activates_at), record.retired_at])
        .flatten()
        .filter(|instant| *instant > now);
    for instant in changes {
        current_index(records, instant)?;
    }

    Ok(())
}

/// Publication order: current first, then next (soonest first), then previous (newest first).
pub(crate) fn publication_order(records: &[KeyRecord], now: DateTime<Utc>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&index| {
        let record = &records[index];
        let rank = match state_at(record, now) {
            KeyState::Current => 0,
            KeyState::Next => 1,
            KeyState::Previous => 2,
        };
        let next_first = (rank == 1).then_some(record.activates_at);
        let newest_retired = Reverse(record.retired_at);

        (
            rank,
            next_first,
            newest_retired,
            Reverse(record.activates_at),
        )
    });

    order
}

fn several_current(records: &[KeyRecord], now: DateTime<Utc>) -> KeyError {
    let kids: Vec<&str> = records
        .iter()
        .filter(|record| state_at(record, now) == KeyState::Current)
        .map(|record| record.kid.as_str())
        .collect();

    KeyError::SeveralCurrentKeys {
        kids: kids.join(", "),
        at: now,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn record(
        kid: &str,
        activates_at: DateTime<Utc>,
        retired_at: Option<DateTime<Utc>>,
    ) -> KeyRecord {
        KeyRecord {
            retired_at,
            ..KeyRecord::new(kid, 2048, activates_at, activates_at)
        }
    }

    #[test]
    fn states_follow_the_timestamps() {
        let t0 = Utc::now();
        let t1 = t0 + Duration::minutes(10);
        let records = [record("old", t0, Some(t1)), record("new", t1, None)];

        assert_eq!(state_at(&records[0], t0), KeyState::Current);
        assert_eq!(state_at(&records[1], t0), KeyState::Next);
        assert_eq!(state_at(&records[0], t1), KeyState::Previous);
        assert_eq!(state_at(&records[1], t1), KeyState::Current);
        assert!(check(&records, t0).is_ok());
    }

    #[test]
    fn gaps_and_overlaps_are_invalid() {
        let t0 = Utc::now();
        let t1 = t0 + Duration::minutes(10);
        let overlap = [record("a", t0, None), record("b", t1, None)];
        let gap = [record("a", t0, Some(t1))];

        assert!(check(&overlap, t0).is_err(), "both current from t1");
        assert!(check(&gap, t0).is_err(), "nothing current from t1");
        assert!(check(&[], t0).is_err());
    }
}
