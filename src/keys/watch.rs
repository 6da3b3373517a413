//! Reloading the key set when its directory changes.
//!
//! File events arrive in bursts (a temporary file, a rename, a deletion), so a reload waits
//! until the directory has been quiet for a short while and then reads the whole set once.
//! Reads of the directory are ignored, or each reload would trigger the next.
//!
//! The watch is on the directory itself: if the directory is deleted and recreated, changes
//! are no longer seen until the server restarts or receives SIGHUP.

use std::time::Duration;

use notify::event::ModifyKind;
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::store::KeyStore;
use super::{KeyError, SECURITY_LOG};

/// How long the directory must be quiet before a reload.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// A running watch; dropping it stops watching.
#[derive(Debug)]
pub struct KeyWatch {
    task: JoinHandle<()>,
}

impl Drop for KeyWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl KeyStore {
    /// Starts reloading this store whenever its directory changes; `None` for a fixed set.
    /// Must be called inside a tokio runtime.
    pub fn watch(&self) -> Result<Option<KeyWatch>, KeyError> {
        let Some(dir) = self.dir() else {
            return Ok(None);
        };
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| KeyError::NoRuntime)?;
        let watch_error = |source| KeyError::Watch {
            dir: dir.to_owned(),
            source,
        };

        let (changes, receiver) = mpsc::channel(1);
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
            let relevant = match &event {
                Ok(event) => is_change(&event.kind),
                Err(_) => true,
            };
            if relevant {
                // A full channel already holds a pending change; one is enough.
                let _ = changes.try_send(());
            }
        })
        .map_err(watch_error)?;
        watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(watch_error)?;

        let task = runtime.spawn(reload_on_change(self.clone(), watcher, receiver));
        Ok(Some(KeyWatch { task }))
    }
}

/// Owns the watcher so it lives exactly as long as the task.
async fn reload_on_change(
    store: KeyStore,
    _watcher: RecommendedWatcher,
    mut changes: mpsc::Receiver<()>,
) {
    while changes.recv().await.is_some() {
        if !quiet_for(&mut changes, DEBOUNCE).await {
            return;
        }

        let reloading = store.clone();
        if let Err(err) = tokio::task::spawn_blocking(move || reloading.reload()).await {
            tracing::error!(target: SECURITY_LOG, error = %err, "key set reload task failed");
        }
    }
}

/// Waits until no change arrives for `period`; `false` when the watcher has gone away.
async fn quiet_for(changes: &mut mpsc::Receiver<()>, period: Duration) -> bool {
    loop {
        match tokio::time::timeout(period, changes.recv()).await {
            Err(_elapsed) => return true,
            Ok(Some(())) => continue,
            Ok(None) => return false,
        }
    }
}

fn is_change(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
    )
}
