//! Errors of the ingest crate: reading the publishers' files and building the snapshot.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::bounds::{echo, safe_message};

/// Result type of the ingest crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Every error the ingest crate returns. Data errors name the file, the line (or row, or
/// record), and where it applies the city, indicator and year.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A source file does not exist.
    #[error("source file `{}` not found in the data folder: give the folder that holds the publishers' files (e.g. `../shared/data`)", path.display())]
    MissingFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file exists but could not be read.
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An output (the snapshot folder, the ingest report, an import's files) could not be
    /// written; the source says which file or folder and why.
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: healthy_city_fs::Error,
    },
    /// A CSV file could not be read as CSV.
    #[error("`{file}` is not readable as CSV")]
    Csv {
        file: String,
        #[source]
        source: csv::Error,
    },
    /// A JSON file could not be read as JSON.
    #[error("`{file}` is not readable as JSON")]
    Json {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    /// An XLSX workbook could not be opened or a sheet read.
    #[error("`{file}` is not readable as an XLSX workbook")]
    Workbook {
        file: String,
        #[source]
        source: calamine::XlsxError,
    },
    /// A file is readable but not in the shape its adapter expects.
    #[error("`{}`{}: {}", safe_message(file), at.as_ref().map(|a| format!(" {}", safe_message(a))).unwrap_or_default(), safe_message(message))]
    Format {
        file: String,
        /// Where in the file, e.g. `line 12` or `row 3`.
        at: Option<String>,
        message: String,
    },
    /// An indicator of the catalogue cannot be ingested as described.
    #[error("indicator `{}`: {}", echo(indicator), safe_message(message))]
    Catalogue { indicator: String, message: String },
    /// One source gives two different values for the same city, indicator and year.
    #[error("{0}")]
    Conflict(Box<Conflict>),
    /// A download failed (after any retries).
    #[error("cannot download `{url}`: {message}")]
    Http {
        url: String,
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The publisher says the selection matches no data (an SDMX 404 `NoResultsFound`).
    #[error("`{url}` holds no rows: {why}; check the catalogue's `download` address (the key's dimension codes, `startPeriod`/`endPeriod`)")]
    NoResults { url: String, why: String },
    /// 413: the publisher will not extract that much at once; `hint` says which filters to add.
    #[error("`{url}`: the server answered 413 Payload Too Large{detail}: the request asks for more than the publisher extracts at once; {hint}")]
    TooLarge {
        url: String,
        detail: String,
        hint: String,
    },
    /// One or more sources could not be downloaded or read: nothing was written.
    #[error("{} failed; the snapshot is left as it was (a partial build keeps the previous values of failed sources):\n{}", if .0.len() == 1 { "1 source".to_string() } else { format!("{} sources", .0.len()) }, .0.iter().map(|f| format!("  - {f}")).collect::<Vec<_>>().join("\n"))]
    Sources(Vec<SourceFailure>),
    /// The publishers' answers state other releases than the catalogue pins (`ingest --fetch`
    /// without `--accept-releases`): nothing is written.
    #[error("{}", crate::releases::releases_message(.0))]
    Releases(Vec<crate::releases::ReleaseChange>),
    /// The build would keep no value of an indicator, or none at all, or its settings cannot
    /// keep any (a first year outside the years a value may refer to): nothing is written.
    #[error("the snapshot is left as it was: {}", safe_message(.0))]
    Incomplete(String),
    /// An input file with several problems, each at its position: the first 20 (`shown`, each
    /// `line 3, column `Weight`: ...`) and how many there are in all.
    #[error("`{}` has {count} problems; fix them and try again:{}", safe_message(file), problem_list(shown, *count))]
    Problems {
        file: String,
        count: usize,
        shown: Vec<String>,
    },
    /// The observations built do not validate against the registry and the catalogue.
    #[error(
        "the ingested observations do not validate against the city registry and the catalogue"
    )]
    Invalid(#[source] healthy_city_model::Error),
}

/// The lines of [`Error::Problems`]: each problem on its own line, then how many more there are.
fn problem_list(shown: &[String], count: usize) -> String {
    let mut out = String::new();
    for problem in shown {
        out.push_str("\n  - ");
        out.push_str(&safe_message(problem));
    }
    if count > shown.len() {
        let _ = write!(out, "\n  and {} more", count - shown.len());
    }
    out
}

/// Two different values for one city, indicator and year from one source file.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub file: String,
    pub city: String,
    pub indicator: String,
    pub year: i32,
    /// The value read first, where it was read and the place name or code it came under.
    pub first: f64,
    pub first_at: String,
    pub first_place: String,
    /// The value read second.
    pub second: f64,
    pub second_at: String,
    pub second_place: String,
    /// How to resolve it.
    pub fix: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = format!(
            "`{}` {}: two different values for city `{}`, indicator `{}`, year {}: `{}` ({}, `{}`) and `{}` (`{}`); {}",
            self.file,
            self.second_at,
            self.city,
            self.indicator,
            self.year,
            self.first,
            self.first_at,
            self.first_place,
            self.second,
            self.second_place,
            self.fix
        );
        f.write_str(&safe_message(&text))
    }
}

impl Error {
    /// Turns a csv error into one naming `file`.
    pub(crate) fn csv(file: &str) -> impl Fn(csv::Error) -> Error + '_ {
        move |source| Error::Csv {
            file: file.to_string(),
            source,
        }
    }

    /// A format error at a position (`line 12`, `row 3`, `record 7`).
    pub(crate) fn format(file: &str, at: Option<String>, message: String) -> Self {
        Error::Format {
            file: file.to_string(),
            at,
            message,
        }
    }
}

/// Reads a whole file, naming the path on failure (and the `--from` option when it is missing).
pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::MissingFile {
                path: path.to_path_buf(),
                source,
            }
        } else {
            Error::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// A source that failed.
#[derive(Debug)]
pub struct SourceFailure {
    /// The publisher service (`gho`, `worldbank`, ...).
    pub service: String,
    /// The URL requested.
    pub url: String,
    /// The catalogue indicators it feeds.
    pub indicators: Vec<String>,
    /// What went wrong.
    pub error: Error,
}

impl std::fmt::Display for SourceFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "source `{}` (indicators {}): {}",
            self.service,
            self.indicators
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", "),
            error_chain(&self.error)
        )
    }
}

/// An error and its causes, `: `-separated.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
