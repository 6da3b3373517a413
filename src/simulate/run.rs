//! Running a simulation: sign every reader in, upload each reader's first
//! transaction (which creates its anchor book), then the rest, with at most
//! `concurrency` readers busy at a time.
//!
//! A reader's own transactions go one after the other, as a device's upload
//! queue does. The first transactions all finish before any fault runs, so a
//! foreign-row fault always names a book its owner has already created.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;
use uuid::Uuid;

use super::SimulateError;
use super::client::{Account, Answer, Api, Session};
use super::compare::{Difference, compare_books};
use super::generate::{Expect, Generator, Transaction};
use super::model::Books;
use super::report::Tally;
use crate::sync::books::BOOKS;

/// Every fourth transaction of a reader is a fault, when faults are on.
const FAULT_EVERY: u32 = 4;

/// What to simulate; the CLI's flags.
#[derive(Debug, Clone)]
pub struct Settings {
    pub server: Url,
    pub users: u32,
    /// Transactions per reader, the first included.
    pub transactions: u32,
    /// The most entries in one transaction.
    pub ops: u32,
    pub concurrency: usize,
    pub seed: u64,
    pub faults: bool,
}

/// Called once per answered transaction, for a progress bar.
pub type Progress = Arc<dyn Fn() + Send + Sync>;

/// A finished run: the model of every reader and what was counted.
#[derive(Debug)]
pub struct Outcome {
    pub seed: u64,
    pub readers: Vec<ReaderOutcome>,
    pub tally: Tally,
    /// The upload phases' wall time, sign-in excluded.
    pub elapsed: Duration,
}

#[derive(Debug)]
pub struct ReaderOutcome {
    /// The reader's number, from 1.
    pub reader: u32,
    pub user_id: Uuid,
    pub books: Books,
}

/// Runs the simulation against `settings.server`.
pub async fn simulate(settings: &Settings, progress: Progress) -> Result<Outcome, SimulateError> {
    let api = Api::new(&settings.server)?;
    let concurrency = settings.concurrency.max(1);
    let readers = sign_in_all(&api, settings).await?;

    let started = Instant::now();
    let readers = in_parallel(readers, concurrency, |mut reader| {
        let (api, progress) = (api.clone(), progress.clone());
        async move {
            reader.first(&api, &progress).await;
            reader
        }
    })
    .await?;

    let anchors: Arc<[Uuid]> = readers
        .iter()
        .filter(|reader| reader.anchored())
        .map(|reader| reader.generator.anchor())
        .collect();
    let readers = in_parallel(readers, concurrency, |mut reader| {
        let (api, progress, anchors) = (api.clone(), progress.clone(), anchors.clone());
        let settings = settings.clone();
        async move {
            reader.rest(&api, &settings, &anchors, &progress).await;
            reader
        }
    })
    .await?;

    Ok(Outcome::of(settings.seed, readers, started.elapsed()))
}

/// Signs every reader in, `concurrency` at a time; one failure stops the run.
async fn sign_in_all(api: &Api, settings: &Settings) -> Result<Vec<Reader>, SimulateError> {
    let numbers: Vec<u32> = (1..=settings.users).collect();
    let signed_in = in_parallel(numbers, settings.concurrency.max(1), |number| {
        let api = api.clone();
        let account = account(settings.seed, number);
        async move { api.sign_in(&account).await.map(|session| (number, session)) }
    })
    .await?;

    let mut readers = Vec::with_capacity(signed_in.len());
    for result in signed_in {
        let (number, session) = result?;
        readers.push(Reader::new(settings, number, session));
    }
    Ok(readers)
}

/// Reads every reader's books from the database and compares them with the model.
pub async fn check_database(
    database_url: &str,
    outcome: &Outcome,
) -> Result<Vec<Difference>, SimulateError> {
    let store = crate::store::connect(database_url).await?;

    let mut differences = Vec::new();
    for reader in &outcome.readers {
        let rows = store
            .sync_rows(reader.books.entity(), reader.user_id)
            .await?;
        differences.extend(compare_books(reader.reader, &reader.books, &rows));
    }
    Ok(differences)
}

/// Reader `reader`'s account. Its password follows from the seed, so a
/// later run with the same seed can log in again; simulated accounts belong
/// on test servers only.
fn account(seed: u64, reader: u32) -> Account {
    let digest = Sha256::digest(format!("papyrus sync simulate {seed}"));

    Account {
        email: format!("sim-{seed}-{reader}@example.test"),
        password: SecretString::from(hex::encode(&digest[..16])),
        display_name: format!("Simulated reader {reader}"),
    }
}

/// Runs `job` on every item, at most `limit` at a time, and returns the
/// results in the items' order.
async fn in_parallel<T, F, Fut>(
    items: Vec<T>,
    limit: usize,
    job: F,
) -> Result<Vec<Fut::Output>, SimulateError>
where
    F: Fn(T) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit));
    let mut tasks = JoinSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let (permits, work) = (permits.clone(), job(item));
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (index, work.await)
        });
    }

    let mut results = Vec::with_capacity(tasks.len());
    while let Some(joined) = tasks.join_next().await {
        results.push(joined?);
    }
    results.sort_by_key(|(index, _)| *index);
    Ok(results.into_iter().map(|(_, output)| output).collect())
}

/// One simulated reader: its session, its random stream, its model.
struct Reader {
    number: u32,
    session: Session,
    generator: Generator,
    books: Books,
    /// The next `tx_id` and `op_id`, numbered as the app's local queue would.
    next_tx: u64,
    next_op: u64,
    tally: Tally,
    /// Set after an answer that leaves the reader's state unknown.
    stopped: bool,
}

impl Reader {
    fn new(settings: &Settings, number: u32, session: Session) -> Self {
        let ops = settings.ops.max(1) as usize;

        Reader {
            number,
            session,
            generator: Generator::new(settings.seed, number, &BOOKS, ops),
            books: Books::new(&BOOKS),
            next_tx: 1,
            next_op: 1,
            tally: Tally::default(),
            stopped: false,
        }
    }

    /// Whether the anchor book is known to exist on the server.
    fn anchored(&self) -> bool {
        self.books.get(self.generator.anchor()).is_some()
    }

    async fn first(&mut self, api: &Api, progress: &Progress) {
        let transaction = self.generator.first(&self.books);

        self.send(api, transaction).await;
        progress();
    }

    async fn rest(
        &mut self,
        api: &Api,
        settings: &Settings,
        anchors: &[Uuid],
        progress: &Progress,
    ) {
        let own = self.generator.anchor();
        let foreign: Vec<Uuid> = anchors.iter().copied().filter(|id| *id != own).collect();

        for number in 1..settings.transactions {
            if self.stopped {
                break;
            }

            let transaction = if settings.faults && number % FAULT_EVERY == FAULT_EVERY - 1 {
                self.tally.faults += 1;
                self.generator.fault(&self.books, &foreign)
            } else {
                self.generator.valid(&self.books)
            };
            self.send(api, transaction).await;
            progress();
        }
    }

    async fn send(&mut self, api: &Api, transaction: Transaction) {
        let tx_id = self.next_tx;
        let body = transaction.body(tx_id, self.next_op);
        self.next_tx += 1;
        self.next_op += transaction.entries.len() as u64;

        let delivery = match api.deliver(&self.session, &body).await {
            Ok(delivery) => delivery,
            Err(error) => return self.stop(tx_id, &error.to_string()),
        };
        self.tally.retries += u64::from(delivery.retries);
        self.judge(tx_id, &transaction, delivery.answer, delivery.latency);
    }

    /// Counts the answer and holds it against the expectation; the model
    /// takes the transaction only when it was meant to apply and did.
    fn judge(&mut self, tx_id: u64, transaction: &Transaction, answer: Answer, latency: Duration) {
        match answer {
            Answer::Applied { count } => {
                self.count(latency);
                self.tally.applied += 1;
                self.tally.rows_written += count;
                self.applied(tx_id, transaction);
            }
            Answer::Rejected { code, message } => {
                self.count(latency);
                self.tally.rejected += 1;
                self.rejected(tx_id, transaction, &code, &message);
            }
            Answer::Busy { .. } => self.stop(tx_id, "the server stayed busy through every retry"),
            Answer::Unexpected { status, body } => {
                self.stop(tx_id, &format!("unexpected answer {status}: {body}"));
            }
        }
    }

    fn count(&mut self, latency: Duration) {
        self.tally.answered += 1;
        self.tally.latencies.push(latency);
    }

    fn applied(&mut self, tx_id: u64, transaction: &Transaction) {
        if let Expect::Rejected(fault) = transaction.expect {
            let finding = format!(
                "a {} transaction was applied; it must be rejected",
                fault.name()
            );
            return self.finding(tx_id, &finding);
        }

        match self.books.after(&transaction.entries) {
            Ok(books) => self.books = books,
            Err(reason) => {
                let finding = format!("applied, but the model refuses it: {reason}");
                self.finding(tx_id, &finding);
            }
        }
    }

    fn rejected(&mut self, tx_id: u64, transaction: &Transaction, code: &str, message: &str) {
        let finding = match transaction.expect {
            Expect::Applied => format!("a valid transaction was rejected: {code}: {message}"),
            Expect::Rejected(fault) if code == fault.expected_code() => return,
            Expect::Rejected(fault) => format!(
                "a {} transaction was rejected with {code}, expected {}: {message}",
                fault.name(),
                fault.expected_code()
            ),
        };

        self.finding(tx_id, &finding);
    }

    fn finding(&mut self, tx_id: u64, what: &str) {
        let finding = format!("reader {}, transaction {tx_id}: {what}", self.number);
        tracing::debug!("{finding}");
        self.tally.findings.push(finding);
    }

    /// Records a failure after which whether the transaction applied is
    /// unknown, and stops the reader: its model can no longer be trusted.
    fn stop(&mut self, tx_id: u64, what: &str) {
        self.finding(tx_id, what);
        self.stopped = true;
    }
}

impl Outcome {
    fn of(seed: u64, readers: Vec<Reader>, elapsed: Duration) -> Self {
        let mut tally = Tally::default();
        let mut outcomes = Vec::with_capacity(readers.len());
        for reader in readers {
            tally.merge(reader.tally);
            outcomes.push(ReaderOutcome {
                reader: reader.number,
                user_id: reader.session.user_id,
                books: reader.books,
            });
        }

        Outcome {
            seed,
            readers: outcomes,
            tally,
            elapsed,
        }
    }
}
