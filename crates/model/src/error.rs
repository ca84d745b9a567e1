//! Errors of the model crate: file formats and their validation.

use std::fmt;
use std::path::PathBuf;

/// Result type of the model crate.
pub type Result<T> = std::result::Result<T, Error>;

/// One problem found while validating a file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (or embedded resource) the problem is in.
    pub file: String,
    /// 1-based line, where the format has lines.
    pub line: Option<usize>,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every error the model crate returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A TOML file does not parse or has a field of the wrong type.
    #[error("`{file}` is not a valid {what} file: {message}")]
    Toml {
        file: String,
        what: &'static str,
        message: String,
    },
    /// A CSV file is malformed (wrong header, unreadable record).
    #[error("`{file}`{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Csv {
        file: String,
        line: Option<usize>,
        message: String,
    },
    /// A Parquet file could not be read or written.
    #[error("parquet file `{file}`: {message}")]
    Parquet { file: String, message: String },
    /// Validation found one or more problems; each names its file, line and id.
    #[error("{}", Problems(problems))]
    Invalid { problems: Vec<Problem> },
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() > 1 {
            write!(f, "{} problems found:", self.0.len())?;
            for problem in self.0 {
                write!(f, "\n  {problem}")?;
            }
            Ok(())
        } else if let Some(problem) = self.0.first() {
            write!(f, "{problem}")
        } else {
            write!(f, "no problem recorded")
        }
    }
}

impl Error {
    /// Turns a list of problems into `Ok(())` when it is empty, an error otherwise.
    pub fn check(problems: Vec<Problem>) -> Result<()> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid { problems })
        }
    }

    pub(crate) fn toml(file: &str, what: &'static str, err: &toml::de::Error, text: &str) -> Self {
        let message = match err.span() {
            Some(span) => format!(
                "line {}: {}",
                line_of(text, span.start),
                err.message().trim_end()
            ),
            None => err.message().trim_end().to_string(),
        };
        Error::Toml {
            file: file.to_string(),
            what,
            message,
        }
    }
}

/// 1-based line number of a byte offset in a text.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].split(|&b| b == b'\n').count()
}

/// Reads a whole text file, naming the path on failure.
pub(crate) fn read_text(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}
