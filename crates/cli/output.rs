//! Outputs written all or nothing: every file goes to a temporary folder beside the output
//! folder, and is renamed into place only when all of them were written.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::TempDir;

/// A set of output files being written.
pub struct Staging {
    dir: TempDir,
    out: PathBuf,
    files: Vec<PathBuf>,
}

impl Staging {
    /// Starts staging outputs for `out` (created if missing).
    pub fn new(out: &Path) -> Result<Self> {
        fs::create_dir_all(out)
            .with_context(|| format!("cannot create the output folder `{}`", out.display()))?;
        let dir = tempfile::Builder::new()
            .prefix(".healthy-city-staging-")
            .tempdir_in(out)
            .with_context(|| format!("cannot create a temporary folder in `{}`", out.display()))?;
        Ok(Staging {
            dir,
            out: out.to_path_buf(),
            files: Vec::new(),
        })
    }

    /// The temporary path to write `relative` to (its folders are created).
    pub fn path(&mut self, relative: &str) -> Result<PathBuf> {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        self.files.push(PathBuf::from(relative));
        Ok(path)
    }

    /// Staging paths of a chart's SVG and PNG, `charts/{name}.svg` and `.png`.
    pub fn chart(&mut self, name: &str) -> Result<(PathBuf, PathBuf)> {
        Ok((
            self.path(&format!("charts/{name}.svg"))?,
            self.path(&format!("charts/{name}.png"))?,
        ))
    }

    /// Renames every staged file into the output folder; returns their final paths.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let mut written = Vec::with_capacity(self.files.len());
        for relative in &self.files {
            let from = self.dir.path().join(relative);
            let to = self.out.join(relative);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create `{}`", parent.display()))?;
            }
            fs::rename(&from, &to).with_context(|| {
                format!(
                    "cannot move `{}` into place at `{}`",
                    from.display(),
                    to.display()
                )
            })?;
            written.push(to);
        }
        Ok(written)
    }
}
