//! The one place healthy-city writes files. Every output of every command goes through it, so
//! that a file is either the previous one or the new one, never half written, and a set of
//! outputs appears together or not at all.
//!
//! - [`write_atomic`] writes one file: to a temporary file in the same folder, flushed, then
//!   renamed over the destination (a rename within one file system is atomic).
//! - [`Staging`] collects a command's outputs in a hidden temporary folder inside the output
//!   folder, then [`Staging::commit`] moves them into place. Before anything moves, every
//!   destination's folder is created and checked; if a move still fails, the files already
//!   moved are taken back and the previous ones restored. Dropped without a commit (an error,
//!   Ctrl-C), the staging folder and everything in it is removed.
//! - [`replace_dir`] replaces a whole folder (the snapshot) by a new one built beside it.
//! - [`remove_unfinished`], for a signal handler: removes every temporary file and staging
//!   folder of the process (waiting for a move in progress to finish) and refuses new ones.
//!   Their names carry the process id, so that a run killed outright (SIGKILL) leaves
//!   leftovers that the next run into the same folder removes once their process is gone
//!   ([`take_leftovers`] lists what it found).
//!
//! ```
//! use healthy_city_fs::Staging;
//!
//! let out = tempfile::tempdir()?;
//! let mut staging = Staging::new(out.path())?;
//! staging.write("ranking.csv", b"city,rank\nlondon,1\n")?;
//! staging.write("charts/ranking.svg", b"<svg/>")?;
//! assert!(!out.path().join("ranking.csv").exists()); // nothing is visible before the commit
//! let written = staging.commit()?;
//! assert_eq!(written.len(), 2);
//! assert!(out.path().join("charts/ranking.svg").is_file());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use tempfile::TempDir;

mod live;

pub use live::{remove_unfinished, take_leftovers, Leftover};

/// Result type of the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A file or folder that could not be written, with the operating system's reason.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A folder could not be created.
    #[error("cannot create the folder `{}`", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A file could not be written.
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A finished file could not be moved into place.
    #[error("cannot move `{}` into place at `{}`", from.display(), to.display())]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A destination is a folder, or its folder is a file.
    #[error("cannot write `{}`: {reason}", path.display())]
    Blocked { path: PathBuf, reason: String },
    /// An output name that would leave the output folder (absolute, or with `..`).
    #[error("output name `{name}` must be a relative path inside the output folder")]
    Outside { name: String },
    /// The same output was staged twice.
    #[error("output `{name}` is written twice by one command")]
    Twice { name: String },
    /// The process is being stopped (a signal): nothing more is written.
    #[error("interrupted: the files being written were removed and none was moved into place")]
    Interrupted,
}

fn create_dir_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|source| Error::CreateDir {
        path: path.to_path_buf(),
        source,
    })
}

/// The folder a path's file goes into (`.` for a bare file name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder (created if
/// needed), flushed to disk, then renamed over `path`. On any failure `path` is untouched and
/// the temporary file removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Like [`write_atomic`], with the content produced by `fill` writing to a buffered file.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let dir = parent_of(path);
    let write_error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = {
        let mut live = live::open()?;
        create_dir_all(&dir)?;
        if path.is_dir() {
            return Err(Error::Blocked {
                path: path.to_path_buf(),
                reason: String::from("a folder of that name is in the way"),
            });
        }
        live::sweep(&dir);
        let mut builder = tempfile::Builder::new();
        let prefix = format!("{}{}-", live::TEMP_PREFIX, std::process::id());
        builder.prefix(&prefix).suffix(live::TEMP_SUFFIX);
        // The permissions of a file created in place (0666 less the umask), not the
        // temporary file's owner-only 0600: the renamed file is an ordinary output.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let tmp = builder.tempfile_in(&dir).map_err(write_error)?;
        live.add(tmp.path());
        tmp
    };
    let filled = (|| {
        let mut writer = io::BufWriter::new(tmp.as_file());
        fill(&mut writer)?;
        writer.flush()?;
        drop(writer);
        tmp.as_file().sync_all()
    })();
    // The rename happens under the registry's lock: a signal's clean-up comes wholly before
    // it (the temporary file is gone, nothing is renamed) or wholly after.
    let mut live = live::lock();
    live.remove(tmp.path());
    if live.is_closed() {
        return Err(Error::Interrupted);
    }
    filled.map_err(write_error)?;
    tmp.persist(path).map_err(|e| Error::Rename {
        from: e.file.path().to_path_buf(),
        to: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// A set of output files being written into a hidden folder inside the output folder; see
/// the crate documentation.
#[derive(Debug)]
pub struct Staging {
    dir: TempDir,
    out: PathBuf,
    files: Vec<PathBuf>,
}

impl Staging {
    /// Starts staging outputs for the folder `out` (created if missing). Leftovers of killed
    /// runs in `out` are removed first when their process is gone (see [`take_leftovers`]).
    pub fn new(out: &Path) -> Result<Self> {
        let mut live = live::open()?;
        create_dir_all(out)?;
        live::sweep(out);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{}{}-", live::STAGING_PREFIX, std::process::id()))
            .tempdir_in(out)
            .map_err(|source| Error::CreateDir {
                path: out.join(format!("{}*", live::STAGING_PREFIX)),
                source,
            })?;
        live.add(dir.path());
        Ok(Staging {
            dir,
            out: out.to_path_buf(),
            files: Vec::new(),
        })
    }

    /// The output folder.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Where an output will be once committed.
    pub fn destination(&self, relative: &str) -> PathBuf {
        self.out.join(relative)
    }

    /// The temporary path to write the output `relative` to (its folders are created). The
    /// caller writes the file there; [`Staging::commit`] moves it into place.
    pub fn path(&mut self, relative: &str) -> Result<PathBuf> {
        let name = Path::new(relative);
        if relative.is_empty()
            || !name
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(Error::Outside {
                name: relative.to_string(),
            });
        }
        if self.files.iter().any(|f| f == name) {
            return Err(Error::Twice {
                name: relative.to_string(),
            });
        }
        let path = self.dir.path().join(name);
        // Under the registry's lock, so that a signal's clean-up cannot be undone by a folder
        // created again inside a staging folder just removed.
        let _live = live::open()?;
        create_dir_all(&parent_of(&path))?;
        self.files.push(name.to_path_buf());
        Ok(path)
    }

    /// Stages the output `relative` with the given content.
    pub fn write(&mut self, relative: &str, bytes: &[u8]) -> Result<()> {
        self.write_with(relative, |w| w.write_all(bytes))
    }

    /// Stages the output `relative`, its content produced by `fill` on a buffered file.
    pub fn write_with(
        &mut self,
        relative: &str,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<()> {
        let path = self.path(relative)?;
        let write_error = |source| Error::Write {
            path: self.out.join(relative),
            source,
        };
        let file = fs::File::create(&path).map_err(write_error)?;
        let mut writer = io::BufWriter::new(file);
        fill(&mut writer).map_err(write_error)?;
        writer.flush().map_err(write_error)?;
        Ok(())
    }

    /// The relative names staged so far, in staging order.
    pub fn names(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(PathBuf::as_path)
    }

    /// Checks now what [`Staging::commit`] checks first (every destination can be written),
    /// for a command that must write something else between staging and committing (the
    /// ingest report, staged, and the snapshot): a failure then changes nothing anywhere.
    pub fn verify(&self) -> Result<()> {
        self.check().map(drop)
    }

    /// Checks every destination before anything is created or moved: each folder on the way
    /// from the output folder to it is a folder or does not exist yet, and the destination
    /// itself is not a folder, and every staged file is there. Returns the folders to create,
    /// outermost first.
    fn check(&self) -> Result<Vec<PathBuf>> {
        let mut missing: Vec<PathBuf> = Vec::new();
        for relative in &self.files {
            let to = self.out.join(relative);
            let staged = self.dir.path().join(relative);
            if !staged.is_file() {
                return Err(Error::Blocked {
                    path: to,
                    reason: format!(
                        "its staged file `{}` was not written or is not a file",
                        staged.display()
                    ),
                });
            }
            let mut folder = self.out.clone();
            let mut parts = relative.components().peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    break; // the file itself
                }
                folder.push(part);
                match fs::metadata(&folder) {
                    Ok(meta) if meta.is_dir() => {}
                    Ok(_) => {
                        return Err(Error::Blocked {
                            path: to,
                            reason: format!("`{}` is a file, not a folder", folder.display()),
                        })
                    }
                    Err(_) if folder.symlink_metadata().is_ok() => {
                        return Err(Error::Blocked {
                            path: to,
                            reason: format!(
                                "`{}` is a link to nothing, not a folder",
                                folder.display()
                            ),
                        })
                    }
                    Err(_) => {
                        if !missing.contains(&folder) {
                            missing.push(folder.clone());
                        }
                    }
                }
            }
            if to.is_dir() {
                return Err(Error::Blocked {
                    path: to,
                    reason: String::from("a folder of that name is in the way"),
                });
            }
        }
        Ok(missing)
    }

    /// Moves every staged file into the output folder and returns their final paths, in
    /// staging order. Either every file is in place afterwards, or (on an error) none of the
    /// new ones is, the previous files are back and no new folder remains.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        // Under the registry's lock: a signal's clean-up waits for the commit to finish (or
        // to be undone), and a commit after the clean-up started moves nothing.
        let _live = live::open()?;
        // 1. Every destination is checked before anything is created or moved, so the usual
        //    failures (a file where a folder must be) change nothing.
        let missing = self.check()?;
        // 2. The missing folders are created, outermost first; a failure removes them again.
        let mut created: Vec<PathBuf> = Vec::new();
        for folder in &missing {
            if let Err(source) = fs::create_dir(folder) {
                if source.kind() == io::ErrorKind::AlreadyExists && folder.is_dir() {
                    continue;
                }
                remove_folders(&created);
                return Err(Error::CreateDir {
                    path: folder.clone(),
                    source,
                });
            }
            created.push(folder.clone());
        }
        // 3. Previous files are moved aside into the staging folder, then the new ones in; a
        //    failure undoes both.
        let backup = self.dir.path().join(".previous");
        let mut moved: Vec<(PathBuf, PathBuf, Option<PathBuf>)> = Vec::new();
        let mut result = Ok(());
        for (k, relative) in self.files.iter().enumerate() {
            let from = self.dir.path().join(relative);
            let to = self.out.join(relative);
            let kept = if to.symlink_metadata().is_ok() {
                let aside = backup.join(k.to_string());
                if let Err(source) = create_dir_all(&backup).and_then(|()| {
                    fs::rename(&to, &aside).map_err(|source| Error::Rename {
                        from: to.clone(),
                        to: aside.clone(),
                        source,
                    })
                }) {
                    result = Err(source);
                    break;
                }
                Some(aside)
            } else {
                None
            };
            if let Err(source) = fs::rename(&from, &to) {
                if let Some(aside) = &kept {
                    let _ = fs::rename(aside, &to);
                }
                result = Err(Error::Rename { from, to, source });
                break;
            }
            moved.push((from, to, kept));
        }
        if let Err(err) = result {
            for (from, to, kept) in moved.into_iter().rev() {
                let _ = fs::rename(&to, &from);
                if let Some(aside) = kept {
                    let _ = fs::rename(aside, &to);
                }
            }
            remove_folders(&created);
            return Err(err);
        }
        Ok(moved.into_iter().map(|(_, to, _)| to).collect())
    }
}

/// Removes the folders a failed commit created, innermost first (only if empty).
fn remove_folders(created: &[PathBuf]) {
    for folder in created.iter().rev() {
        let _ = fs::remove_dir(folder);
    }
}

impl Drop for Staging {
    /// Unregisters the staging folder; the folder itself (what was not moved into place, and
    /// the previous files a commit replaced) is removed when its `TempDir` is dropped.
    fn drop(&mut self) {
        live::lock().remove(self.dir.path());
    }
}

/// Replaces the folder `dir` by a new one: `fill` writes the new content into a temporary
/// sibling folder (which starts empty), which then takes `dir`'s place by rename. A failure
/// before the final rename leaves `dir` untouched; a failed rename puts the previous folder
/// back.
pub fn replace_dir(dir: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let parent = parent_of(dir);
    create_dir_all(&parent)?;
    let name = dir.file_name().map_or_else(
        || String::from("folder"),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = {
        let mut live = live::open()?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}.new-"))
            .tempdir_in(&parent)
            .map_err(|source| Error::CreateDir {
                path: parent.join(format!(".{name}.new-*")),
                source,
            })?;
        live.add(tmp.path());
        tmp
    };
    let filled = fill(tmp.path());
    // The swap happens under the registry's lock: a signal's clean-up comes wholly before it
    // (the new folder is removed, the old one untouched) or wholly after.
    let mut live = live::lock();
    live.remove(tmp.path());
    if live.is_closed() {
        return Err(Error::Interrupted);
    }
    filled?;
    let new = tmp.keep();
    if dir.exists() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        if let Err(source) = fs::rename(dir, &old) {
            let _ = fs::remove_dir_all(&new);
            return Err(Error::Rename {
                from: dir.to_path_buf(),
                to: old,
                source,
            });
        }
        if let Err(source) = fs::rename(&new, dir) {
            let _ = fs::rename(&old, dir);
            let _ = fs::remove_dir_all(&new);
            return Err(Error::Rename {
                from: new,
                to: dir.to_path_buf(),
                source,
            });
        }
        fs::remove_dir_all(&old).map_err(|source| Error::Write { path: old, source })?;
    } else if let Err(source) = fs::rename(&new, dir) {
        let _ = fs::remove_dir_all(&new);
        return Err(Error::Rename {
            from: new,
            to: dir.to_path_buf(),
            source,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap()
    }

    #[test]
    fn write_atomic_replaces_a_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/a.csv");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(read(&path), "two");
        assert_eq!(fs::read_dir(dir.path().join("sub")).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn an_atomically_written_file_has_the_permissions_of_one_created_in_place() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (atomic, plain) = (dir.path().join("a.svg"), dir.path().join("b.csv"));
        write_atomic(&atomic, b"<svg/>").unwrap();
        fs::write(&plain, "x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&atomic), mode(&plain));
    }

    #[test]
    fn a_failed_fill_leaves_the_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        write_atomic(&path, b"old").unwrap();
        let err = write_atomic_with(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot write `{}`", path.display())
        );
        assert_eq!(read(&path), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn nothing_appears_before_the_commit_and_everything_after() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut staging = Staging::new(&out).unwrap();
        staging.write("a.csv", b"a").unwrap();
        staging.write("charts/b.svg", b"b").unwrap();
        assert!(!out.join("a.csv").exists());
        let written = staging.commit().unwrap();
        assert_eq!(written, [out.join("a.csv"), out.join("charts/b.svg")]);
        assert_eq!(read(&out.join("charts/b.svg")), "b");
        // Only the outputs remain: the staging folder is gone.
        let mut names: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.csv", "charts"]);
    }

    #[test]
    fn a_file_where_a_folder_must_be_moves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::write(out.join("a.csv"), "previous").unwrap();
        fs::write(out.join("charts"), "a file in the way").unwrap();
        let mut staging = Staging::new(out).unwrap();
        staging.write("a.csv", b"new").unwrap();
        staging.write("charts/b.svg", b"b").unwrap();
        let err = staging.commit().unwrap_err().to_string();
        assert!(err.contains("is a file, not a folder"), "{err}");
        assert_eq!(read(&out.join("a.csv")), "previous");
        let left: Vec<_> = fs::read_dir(out).unwrap().collect();
        assert_eq!(left.len(), 2, "the staging folder is removed");
    }

    /// The names in `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_file_in_the_way_deep_down_creates_no_folder_and_moves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::write(out.join("a.csv"), "previous").unwrap();
        fs::write(out.join("block"), "a file in the way").unwrap();
        let mut staging = Staging::new(out).unwrap();
        staging.write("a.csv", b"new").unwrap();
        staging.write("b.csv", b"new").unwrap();
        staging.write("fresh/deep/c.csv", b"c").unwrap();
        staging.write("block/inner/d.csv", b"d").unwrap();
        let err = staging.commit().unwrap_err().to_string();
        assert!(err.contains("is a file, not a folder"), "{err}");
        assert!(err.contains("block"), "{err}");
        assert_eq!(read(&out.join("a.csv")), "previous");
        // No new file, no new folder (`fresh` comes before the blocked file in staging order).
        assert_eq!(listing(out), ["a.csv", "block"]);
    }

    #[test]
    fn verify_finds_what_the_commit_would_refuse_without_moving_anything() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let mut staging = Staging::new(out).unwrap();
        staging.write("report/unmatched.csv", b"x").unwrap();
        staging.verify().unwrap();
        fs::write(out.join("report"), "in the way").unwrap();
        let err = staging.verify().unwrap_err().to_string();
        assert!(err.contains("is a file, not a folder"), "{err}");
        assert_eq!(listing(out).len(), 2, "nothing was moved or removed");
    }

    #[test]
    fn a_staged_file_that_was_never_written_moves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let mut staging = Staging::new(out).unwrap();
        staging.write("a.csv", b"a").unwrap();
        let _unwritten = staging.path("charts/b.svg").unwrap();
        let err = staging.commit().unwrap_err().to_string();
        assert!(err.contains("was not written"), "{err}");
        assert_eq!(fs::read_dir(out).unwrap().count(), 0);
    }

    #[test]
    fn a_staging_folder_is_named_after_its_process() {
        let dir = tempfile::tempdir().unwrap();
        let _staging = Staging::new(dir.path()).unwrap();
        let names = listing(dir.path());
        let prefix = format!(".healthy-city-staging-{}-", std::process::id());
        assert!(
            names.len() == 1 && names[0].starts_with(&prefix),
            "{names:?}"
        );
    }

    #[test]
    fn a_folder_where_a_file_must_be_moves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::write(out.join("a.csv"), "previous").unwrap();
        fs::create_dir(out.join("b.csv")).unwrap();
        let mut staging = Staging::new(out).unwrap();
        staging.write("a.csv", b"new").unwrap();
        staging.write("b.csv", b"b").unwrap();
        assert!(staging.commit().is_err());
        assert_eq!(read(&out.join("a.csv")), "previous");
    }

    #[test]
    fn a_dropped_staging_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut staging = Staging::new(dir.path()).unwrap();
            staging.write("a.csv", b"a").unwrap();
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn names_outside_the_output_folder_or_twice_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new(dir.path()).unwrap();
        for name in ["../a.csv", "/tmp/a.csv", ""] {
            assert!(
                matches!(staging.path(name), Err(Error::Outside { .. })),
                "{name}"
            );
        }
        staging.write("a.csv", b"a").unwrap();
        assert!(matches!(
            staging.write("a.csv", b"b"),
            Err(Error::Twice { .. })
        ));
    }

    #[test]
    fn replace_dir_swaps_the_whole_folder_or_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = dir.path().join("snapshot");
        replace_dir(&snapshot, |tmp| write_atomic(&tmp.join("a.csv"), b"one")).unwrap();
        assert_eq!(read(&snapshot.join("a.csv")), "one");
        let err = replace_dir(&snapshot, |tmp| {
            write_atomic(&tmp.join("a.csv"), b"two")?;
            Err(Error::Outside {
                name: String::from("x"),
            })
        });
        assert!(err.is_err());
        assert_eq!(read(&snapshot.join("a.csv")), "one");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
