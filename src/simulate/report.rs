//! What a run counted and found, and the summary printed at its end.

use std::time::Duration;

use serde::Serialize;

use super::compare::Difference;
use super::latency::percentile;
use super::run::Outcome;

/// At most this many findings are listed in detail; all are counted.
pub const DETAIL_LIMIT: usize = 20;

/// Counts and findings of one reader, or of all of them once merged.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Transactions that got a final answer.
    pub answered: u64,
    pub applied: u64,
    pub rejected: u64,
    /// Fault transactions sent, all of which must be rejected.
    pub faults: u64,
    /// The sum of `applied_count` over applied transactions.
    pub rows_written: u64,
    /// Busy answers (429, 503) that were retried.
    pub retries: u64,
    /// The time of each answered upload request, retries excluded.
    pub latencies: Vec<Duration>,
    /// Answers that contradict the model, in the order they came.
    pub findings: Vec<String>,
}

impl Tally {
    pub fn merge(&mut self, other: Tally) {
        self.answered += other.answered;
        self.applied += other.applied;
        self.rejected += other.rejected;
        self.faults += other.faults;
        self.rows_written += other.rows_written;
        self.retries += other.retries;
        self.latencies.extend(other.latencies);
        self.findings.extend(other.findings);
    }
}

/// Upload latency percentiles in milliseconds; zero when nothing was sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl LatencySummary {
    pub fn of(latencies: &[Duration]) -> Self {
        let mut sorted = latencies.to_vec();
        sorted.sort_unstable();

        let millis = |percent| percentile(&sorted, percent).map_or(0.0, |d| d.as_secs_f64() * 1e3);
        LatencySummary {
            p50: millis(50.0),
            p95: millis(95.0),
            p99: millis(99.0),
            max: millis(100.0),
        }
    }
}

/// The end-of-run summary; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every answer was the expected one and every row matched.
    pub ok: bool,
    pub seed: u64,
    pub users: usize,
    pub transactions_answered: u64,
    pub applied: u64,
    pub rejected: u64,
    pub faults_sent: u64,
    pub rows_written: u64,
    pub retries: u64,
    pub elapsed_seconds: f64,
    pub transactions_per_second: f64,
    pub rows_per_second: f64,
    pub latency_ms: LatencySummary,
    /// Whether the database was read and compared with the model.
    pub database_checked: bool,
    pub unexpected_answers: usize,
    pub row_differences: usize,
    /// Unexpected answers plus row differences.
    pub mismatches: usize,
    /// The first [`DETAIL_LIMIT`] findings, answers before rows.
    pub details: Vec<String>,
}

impl Report {
    /// The summary of `outcome`, with the database comparison when one ran.
    pub fn new(outcome: &Outcome, differences: Option<&[Difference]>) -> Self {
        let tally = &outcome.tally;
        let seconds = outcome.elapsed.as_secs_f64().max(f64::EPSILON);
        let row_differences = differences.map_or(0, <[Difference]>::len);
        let mismatches = tally.findings.len() + row_differences;

        let details = tally
            .findings
            .iter()
            .cloned()
            .chain(
                differences
                    .unwrap_or_default()
                    .iter()
                    .map(ToString::to_string),
            )
            .take(DETAIL_LIMIT)
            .collect();
        Report {
            ok: mismatches == 0,
            seed: outcome.seed,
            users: outcome.readers.len(),
            transactions_answered: tally.answered,
            applied: tally.applied,
            rejected: tally.rejected,
            faults_sent: tally.faults,
            rows_written: tally.rows_written,
            retries: tally.retries,
            elapsed_seconds: outcome.elapsed.as_secs_f64(),
            transactions_per_second: tally.answered as f64 / seconds,
            rows_per_second: tally.rows_written as f64 / seconds,
            latency_ms: LatencySummary::of(&tally.latencies),
            database_checked: differences.is_some(),
            unexpected_answers: tally.findings.len(),
            row_differences,
            mismatches,
            details,
        }
    }
}
