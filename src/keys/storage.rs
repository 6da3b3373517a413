//! File-system writes for the key directory.
//!
//! Every file is written to a temporary name in the same directory, flushed to disk and renamed
//! over its target, then the directory itself is flushed, so a crash or a concurrent reader
//! sees either the old file or the new one, never a prefix. Files are created 0600 and the
//! directory is kept at 0700 because they hold private keys.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::Path;

use super::KeyError;

/// Creates `dir` if needed and restricts it to its owner.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), KeyError> {
    fs::create_dir_all(dir).map_err(|err| KeyError::io(dir, err))?;

    restrict(dir, 0o700)
}

/// An exclusive lock on a key directory, held while an admin command reads, changes and
/// writes its manifest; released when dropped.
pub(crate) struct DirLock {
    _file: fs::File,
}

/// Waits for, then takes, the key directory's lock, so two `papyrus keys` commands run
/// at the same moment apply one after the other instead of overwriting each other.
pub(crate) fn lock_dir(dir: &Path) -> Result<DirLock, KeyError> {
    ensure_private_dir(dir)?;
    let path = dir.join(".lock");
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&path)
        .map_err(|err| KeyError::io(&path, err))?;

    file.lock().map_err(|err| KeyError::io(&path, err))?;
    Ok(DirLock { _file: file })
}

/// [`lock_dir`] for a directory that should already hold a key set; a missing
/// directory is left for the caller's load to report, and is not created.
pub(crate) fn lock_existing(dir: &Path) -> Result<Option<DirLock>, KeyError> {
    if dir.is_dir() {
        lock_dir(dir).map(Some)
    } else {
        Ok(None)
    }
}

/// Replaces `dir/name` with `contents` atomically.
pub(crate) fn write_atomic(dir: &Path, name: &str, contents: &[u8]) -> Result<(), KeyError> {
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4().simple()));

    let written = write_new_file(&temp, contents)
        .and_then(|()| fs::rename(&temp, &target).map_err(|err| KeyError::io(&target, err)));
    if written.is_err() {
        // Best effort: the temporary file is never read, leaving it only wastes space.
        let _ = fs::remove_file(&temp);
    }
    written?;

    sync_dir(dir)
}

/// Removes a file, treating one that is already gone as removed.
pub(crate) fn remove_if_present(path: &Path) -> Result<(), KeyError> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != ErrorKind::NotFound => Err(KeyError::io(path, err)),
        _ => Ok(()),
    }
}

fn write_new_file(path: &Path, contents: &[u8]) -> Result<(), KeyError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);

    let mut file = options.open(path).map_err(|err| KeyError::io(path, err))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|err| KeyError::io(path, err))
}

/// Makes the renames in `dir` durable; only meaningful where directories can be opened.
fn sync_dir(dir: &Path) -> Result<(), KeyError> {
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|err| KeyError::io(dir, err))?;

    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;

    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|err| KeyError::io(path, err))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> Result<(), KeyError> {
    Ok(())
}
