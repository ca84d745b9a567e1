//! Where a snapshot's values come from: a source (a file or a download) parsed by its
//! adapter, with its SHA-256 and the requests that fetched it; [`Sources`] is how the builder
//! gets each indicator's source, [`Files`] reads them from a data folder.

use std::path::Path;

use healthy_city_model::Indicator;
use sha2::{Digest, Sha256};

use crate::error::{read_file, Error, Result};
use crate::http::{hex, Origin};
use crate::publishers::Adapter;
use crate::table::SourceTable;

/// One request behind a downloaded source.
#[derive(Debug, Clone)]
pub struct Download {
    /// The URL requested (after `--base-url`).
    pub url: String,
    /// SHA-256 of the body.
    pub sha256: String,
    /// When the body was retrieved (UTC, RFC 3339).
    pub retrieved: String,
    /// Network or cache.
    pub origin: Origin,
}

/// A parsed source (a file or a download) and what is known about it.
pub(crate) struct Loaded {
    pub(crate) adapter: Adapter,
    pub(crate) table: SourceTable,
    pub(crate) sha256: String,
    /// The requests that fetched it (several for a paged API); empty for a file.
    pub(crate) downloads: Vec<Download>,
    /// Why the download failed, when `--allow-partial` keeps the previous values instead.
    pub(crate) failed: Option<String>,
}

impl Loaded {
    /// Reads the file `file` of the data folder `dir` and parses it with `adapter`.
    pub(crate) fn read(
        dir: &Path,
        file: &str,
        indicator: &Indicator,
        adapter: Adapter,
    ) -> Result<Self> {
        let bytes = read_file(&dir.join(file))?;
        let table = adapter.parse(&bytes, file, indicator)?;
        Ok(Loaded {
            adapter,
            table,
            sha256: hex(&Sha256::digest(&bytes)),
            downloads: Vec::new(),
            failed: None,
        })
    }
}

/// How the snapshot builder gets each indicator's source.
pub(crate) trait Sources {
    /// The key of the indicator's source (a file path or a URL): indicators with the same key
    /// share one read.
    fn key(&self, indicator: &Indicator, adapter: Adapter) -> Result<String>;
    /// Reads and parses a source.
    fn load(&mut self, key: &str, indicator: &Indicator, adapter: Adapter) -> Result<Loaded>;
}

/// Files under a data folder.
pub(crate) struct Files<'a>(pub(crate) &'a Path);

impl Sources for Files<'_> {
    fn key(&self, indicator: &Indicator, _: Adapter) -> Result<String> {
        crate::build::spec(indicator)?
            .file
            .clone()
            .ok_or_else(|| Error::Catalogue {
                indicator: indicator.id.clone(),
                message:
                    "its source has no `file` (the path of the source file inside the data folder)"
                        .to_string(),
            })
    }

    fn load(&mut self, file: &str, indicator: &Indicator, adapter: Adapter) -> Result<Loaded> {
        Loaded::read(self.0, file, indicator, adapter)
    }
}
