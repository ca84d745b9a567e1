//! The unfinished files and staging folders of this process, so that a signal handler can
//! remove them before the process exits, and the leftovers of a killed run, cleaned on the
//! next run into the same folder.
//!
//! Every temporary path the crate creates is registered here while it exists. The moves that
//! put finished files into place (a staging commit, an atomic write's rename, a folder swap)
//! run while holding the registry's lock, so [`remove_unfinished`] happens either wholly before
//! such a move or wholly after it, never half way.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::{Error, Result};

/// The registry: paths to remove on a signal, and whether removal has started.
pub(crate) struct Live {
    paths: Vec<PathBuf>,
    closed: bool,
}

static LIVE: Mutex<Live> = Mutex::new(Live {
    paths: Vec::new(),
    closed: false,
});

/// Leftovers found while sweeping output folders, for the CLI to report.
static LEFTOVERS: Mutex<Vec<Leftover>> = Mutex::new(Vec::new());

impl Live {
    pub(crate) fn add(&mut self, path: &Path) {
        self.paths.push(path.to_path_buf());
    }

    pub(crate) fn remove(&mut self, path: &Path) {
        self.paths.retain(|p| p != path);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }
}

/// The registry, locked, whatever the state a panicking holder left it in.
pub(crate) fn lock() -> MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The registry, locked, or [`Error::Interrupted`] once [`remove_unfinished`] has run: no new
/// temporary file or folder is created, and nothing is moved into place, after that.
pub(crate) fn open() -> Result<MutexGuard<'static, Live>> {
    let live = lock();
    if live.closed {
        return Err(Error::Interrupted);
    }
    Ok(live)
}

/// Removes every unfinished file and staging folder of this process (a file being written, a
/// command's staged outputs) and refuses new ones from then on; returns the paths removed.
///
/// For a signal handler about to end the process: an atomic move in progress on another
/// thread finishes first (it holds the registry's lock), so every output is either its
/// previous version or its new one. Afterwards every write of this crate fails with
/// [`Error::Interrupted`].
pub fn remove_unfinished() -> Vec<PathBuf> {
    let mut live = lock();
    live.closed = true;
    let paths = std::mem::take(&mut live.paths);
    for path in &paths {
        let _ = if path.is_dir() {
            fs::remove_dir_all(path)
        } else {
            fs::remove_file(path)
        };
    }
    paths
}

/// A leftover of an earlier run found in an output folder: a staging folder or a temporary
/// file whose process is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// The leftover's path.
    pub path: PathBuf,
    /// The process that made it, when its name says so.
    pub pid: Option<u32>,
    /// Whether it was removed (its owner is known to be gone); otherwise it is left in place
    /// and should be reported with its path.
    pub removed: bool,
}

/// The leftovers found (and removed or left) since the last call, in the order found.
pub fn take_leftovers() -> Vec<Leftover> {
    std::mem::take(&mut *LEFTOVERS.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Prefix of a staging folder's name; the owner's process id and a random part follow.
pub(crate) const STAGING_PREFIX: &str = ".healthy-city-staging-";
/// Prefix of an atomic write's temporary file; the owner's process id and a random part follow.
pub(crate) const TEMP_PREFIX: &str = ".healthy-city-";
/// Suffix of an atomic write's temporary file.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// Whether the process `pid` is running: `Some` only where the answer is known (Linux's
/// /proc).
fn alive(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new("/proc").join(pid.to_string()).exists())
}

/// Who made a file or folder named like our leftovers.
#[derive(Debug, PartialEq, Eq)]
enum Owner {
    /// Not one of ours.
    None,
    /// One of ours naming no process (an older version's).
    Unknown,
    /// One of ours, made by the process with this id.
    Pid(u32),
}

/// The owner's process id in a leftover's name (`PREFIX{pid}-...`).
fn owner(name: &str) -> Owner {
    let rest = name.strip_prefix(STAGING_PREFIX).or_else(|| {
        name.strip_prefix(TEMP_PREFIX)
            .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
    });
    match rest {
        None => Owner::None,
        Some(rest) => rest
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
            .map_or(Owner::Unknown, Owner::Pid),
    }
}

/// Removes from `dir` the staging folders and temporary files left by runs that were killed
/// (their process is gone); those whose owner cannot be told are left and noted, as are those
/// that cannot be removed. A live owner's (a run writing to the same folder now) are left
/// alone.
pub(crate) fn sweep(dir: &Path) {
    // Once per folder and process: a folder written to often (the HTTP cache) is not listed
    // again at every write.
    static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    {
        let mut swept = SWEPT.lock().unwrap_or_else(PoisonError::into_inner);
        if swept.iter().any(|d| d == dir) {
            return;
        }
        swept.push(dir.to_path_buf());
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = match owner(&name.to_string_lossy()) {
            Owner::None => continue,
            Owner::Pid(pid) if pid == me => continue,
            Owner::Pid(pid) => Some(pid),
            Owner::Unknown => None,
        };
        let gone = match pid {
            Some(pid) => match alive(pid) {
                Some(true) => continue,
                Some(false) => true,
                None => false,
            },
            None => false,
        };
        let path = entry.path();
        let removed = gone
            && if path.is_dir() {
                fs::remove_dir_all(&path).is_ok()
            } else {
                fs::remove_file(&path).is_ok()
            };
        found.push(Leftover { path, pid, removed });
    }
    if !found.is_empty() {
        LEFTOVERS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_is_read_from_the_names_of_staging_folders_and_temporary_files() {
        assert_eq!(owner(".healthy-city-staging-123-abcDEF"), Owner::Pid(123));
        assert_eq!(owner(".healthy-city-77-x1y2z3.tmp"), Owner::Pid(77));
        assert_eq!(owner(".healthy-city-staging-abcDEF"), Owner::Unknown);
        assert_eq!(owner(".healthy-city-abcdef.tmp"), Owner::Unknown);
        assert_eq!(owner("ranking.csv"), Owner::None);
        assert_eq!(owner(".healthy-city-notes.txt"), Owner::None);
    }

    #[test]
    fn a_dead_owners_leftovers_are_removed_and_an_unknown_owners_are_noted_and_kept() {
        if alive(1) != Some(true) {
            return; // not Linux /proc: the owner cannot be told
        }
        let dir = tempfile::tempdir().unwrap();
        // Process ids are below 2^22 on Linux: this one is never running.
        let dead = dir.path().join(".healthy-city-staging-4294967294-abcdef");
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join("half.csv"), "half").unwrap();
        let dead_tmp = dir.path().join(".healthy-city-4294967294-abcdef.tmp");
        fs::write(&dead_tmp, "half").unwrap();
        let unknown = dir.path().join(".healthy-city-staging-abcdef");
        fs::create_dir(&unknown).unwrap();
        let live = dir.path().join(".healthy-city-staging-1-abcdef");
        fs::create_dir(&live).unwrap();
        sweep(dir.path());
        let mut found: Vec<Leftover> = take_leftovers()
            .into_iter()
            .filter(|l| l.path.starts_with(dir.path()))
            .collect();
        found.sort_by(|a, b| a.path.cmp(&b.path));
        assert!(!dead.exists() && !dead_tmp.exists());
        assert!(unknown.exists() && live.exists());
        assert_eq!(
            found,
            [
                Leftover {
                    path: dead_tmp,
                    pid: Some(4_294_967_294),
                    removed: true
                },
                Leftover {
                    path: dead,
                    pid: Some(4_294_967_294),
                    removed: true
                },
                Leftover {
                    path: unknown,
                    pid: None,
                    removed: false
                },
            ]
        );
    }
}
