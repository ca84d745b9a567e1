//! The snapshot: the observations built, the ingest report and `SOURCES.md`; written into the
//! snapshot folder as one replacement of the folder.

use std::path::{Path, PathBuf};

use healthy_city_model::Observations;

use crate::error::{Error, Result};
use crate::report::IngestReport;

/// The observations built from the source files, what happened to each indicator, and the
/// provenance file that goes with them.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Sorted and validated observations.
    pub observations: Observations,
    /// Per indicator: rows read, values kept, cities matched and not.
    pub report: IngestReport,
    /// The text of `SOURCES.md`.
    pub sources_md: String,
    /// The releases taken from the publishers' answers in place of the catalogue's
    /// (`ingest --fetch --accept-releases`); empty otherwise.
    pub accepted: Vec<crate::ReleaseChange>,
}

/// The two files [`write_snapshot`] generates; everything else in the snapshot folder is
/// carried over.
const GENERATED: [&str; 2] = ["observations.csv", "SOURCES.md"];

/// Writes `observations.csv` and `SOURCES.md` into `dir` through
/// [`healthy_city_fs::replace_dir`]: a new folder is built beside it (with every other file `dir`
/// already holds carried over), which then replaces `dir` by rename. A failure before the final
/// rename leaves the previous snapshot untouched; a failed rename puts the previous folder back.
/// A snapshot without any observation is never written ([`Error::Incomplete`]): it would
/// replace the previous one with a header-only file.
pub fn write_snapshot(snapshot: &Snapshot, dir: &Path) -> Result<()> {
    if snapshot.observations.is_empty() {
        return Err(Error::Incomplete(format!(
            "the snapshot holds no observation, so `{}` is not replaced: check the sources and the first year kept",
            dir.display()
        )));
    }
    let carried = if dir.is_dir() {
        carried_over(dir)?
    } else {
        Vec::new()
    };
    healthy_city_fs::replace_dir(dir, |new| {
        for entry in &carried {
            match entry {
                Carried::Folder(relative) => {
                    let path = new.join(relative);
                    std::fs::create_dir_all(&path)
                        .map_err(|source| healthy_city_fs::Error::CreateDir { path, source })?;
                }
                Carried::File(relative, bytes) => {
                    healthy_city_fs::write_atomic(&new.join(relative), bytes)?;
                }
            }
        }
        healthy_city_fs::write_atomic_with(&new.join(GENERATED[0]), |w| {
            snapshot.observations.write_csv(w)
        })?;
        healthy_city_fs::write_atomic(&new.join(GENERATED[1]), snapshot.sources_md.as_bytes())
    })
    .map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// A folder or file of the previous snapshot folder that the new one keeps.
enum Carried {
    Folder(PathBuf),
    File(PathBuf, Vec<u8>),
}

/// Everything in the snapshot folder `dir` but the generated files, read (recursively, paths
/// relative to `dir`) before the new folder is built, so that a file that cannot be read fails
/// the write with the previous snapshot untouched.
fn carried_over(dir: &Path) -> Result<Vec<Carried>> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let folder = dir.join(&relative);
        let read_error = |source| Error::Read {
            path: folder.clone(),
            source,
        };
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&folder).map_err(read_error)? {
            entries.push(entry.map_err(read_error)?.file_name());
        }
        entries.sort();
        for name in entries {
            if relative.as_os_str().is_empty() && GENERATED.iter().any(|g| name == *g) {
                continue;
            }
            let (path, inside) = (folder.join(&name), relative.join(&name));
            if path.is_dir() {
                out.push(Carried::Folder(inside.clone()));
                pending.push(inside);
            } else {
                let bytes = std::fs::read(&path).map_err(|source| Error::Read { path, source })?;
                out.push(Carried::File(inside, bytes));
            }
        }
    }
    Ok(out)
}
