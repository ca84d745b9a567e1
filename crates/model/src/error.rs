//! Errors of the model crate: file formats and their validation.

use std::fmt::{self, Write as _};
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
            Some(line) => write!(
                f,
                "{}:{}: {}",
                escape_controls(&self.file),
                line,
                safe_message(&self.message)
            ),
            None => write!(
                f,
                "{}: {}",
                escape_controls(&self.file),
                safe_message(&self.message)
            ),
        }
    }
}

impl Problem {
    /// One problem per message, all at `line` of `file`.
    pub(crate) fn all_at(
        file: &str,
        line: usize,
        messages: Vec<String>,
    ) -> impl Iterator<Item = Problem> + '_ {
        messages.into_iter().map(move |message| Problem {
            file: file.to_string(),
            line: Some(line),
            message,
        })
    }
}

/// Every error the model crate returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access `{}`", escape_controls(&path.display().to_string()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A TOML file does not parse or has a field of the wrong type.
    #[error(
        "`{}` is not a valid {what} file: {}",
        escape_controls(file),
        safe_message(message)
    )]
    Toml {
        file: String,
        what: &'static str,
        message: String,
    },
    /// A CSV file is malformed (wrong header, unreadable record).
    #[error("`{}`{}: {}", escape_controls(file), line.map(|l| format!(":{l}")).unwrap_or_default(), safe_message(message))]
    Csv {
        file: String,
        line: Option<usize>,
        message: String,
    },
    /// A Parquet file could not be read or written.
    #[error("parquet file `{}`: {}", escape_controls(file), safe_message(message))]
    Parquet { file: String, message: String },
    /// A setting of the environment (see [`crate::year_range`]) is malformed.
    #[error("{}", safe_message(message))]
    Config { message: String },
    /// Validation found one or more problems; each names its file, line and id.
    #[error("{}", Problems(problems))]
    Invalid { problems: Vec<Problem> },
}

/// Problems listed in full before the rest are summarised by kind.
pub const PROBLEMS_LISTED: usize = 20;

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() > 1 {
            write!(f, "{} problems found:", self.0.len())?;
            for problem in self.0.iter().take(PROBLEMS_LISTED) {
                write!(f, "\n  {problem}")?;
            }
            let rest = self.0.get(PROBLEMS_LISTED..).unwrap_or_default();
            // Group the rest by kind, in order of first appearance.
            let mut kinds: Vec<(String, &Problem, usize)> = Vec::new();
            let mut index: std::collections::HashMap<String, usize> =
                std::collections::HashMap::new();
            for problem in rest {
                let kind = kind_of(&problem.message);
                if let Some(&k) = index.get(&kind) {
                    kinds[k].2 += 1;
                } else {
                    index.insert(kind.clone(), kinds.len());
                    kinds.push((kind, problem, 1));
                }
            }
            for (_, example, count) in kinds.iter().take(PROBLEMS_LISTED) {
                write!(
                    f,
                    "\n  … and {count} more of the same kind, the first: {example}"
                )?;
            }
            if kinds.len() > PROBLEMS_LISTED {
                let others: usize = kinds[PROBLEMS_LISTED..].iter().map(|k| k.2).sum();
                write!(
                    f,
                    "\n  … and {others} more of {} other kinds",
                    kinds.len() - PROBLEMS_LISTED
                )?;
            }
            Ok(())
        } else if let Some(problem) = self.0.first() {
            write!(f, "{problem}")
        } else {
            write!(f, "no problem recorded")
        }
    }
}

/// The kind of a problem: its message with the quoted values and the numbers blanked, so that
/// "unknown city `x` (indicator `y`, year 2019)" is one kind whatever the city, indicator and year.
pub(crate) fn kind_of(message: &str) -> String {
    let mut kind = String::with_capacity(message.len());
    let mut quoted = false;
    let mut in_number = false;
    for c in message.chars() {
        if c == '`' {
            quoted = !quoted;
            kind.push(c);
            in_number = false;
        } else if quoted {
            // blanked
        } else if c.is_ascii_digit() || (in_number && (c == '.' || c == 'e' || c == '-')) {
            if !in_number {
                kind.push('#');
                in_number = true;
            }
        } else {
            in_number = false;
            kind.push(c);
        }
    }
    kind
}

/// Longest value echoed whole in a message, in characters; longer ones are cut.
pub const ECHO_MAX: usize = 80;
/// Characters kept of a value longer than [`ECHO_MAX`].
pub const ECHO_KEPT: usize = 60;

/// Whether a character must not reach a terminal as it is: C0 and C1 controls, DEL, and the
/// Unicode bidirectional marks, overrides and isolates (U+200E, U+200F, U+202A..U+202E,
/// U+2066..U+2069).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A value from input made safe to print in a message: control characters (ESC, CR, BEL, NUL,
/// DEL, C1 controls, bidirectional overrides) written as `\u{1b}`-style escapes, and a value
/// longer than 80 characters cut to its first 60 with `… (N characters)`.
///
/// ```
/// use healthy_city_model::echo;
/// assert_eq!(echo("a\u{1b}]0;x\u{7}"), "a\\u{1b}]0;x\\u{7}");
/// assert_eq!(echo(&"x".repeat(100)), format!("{}… (100 characters)", "x".repeat(60)));
/// ```
pub fn echo(s: &str) -> String {
    let count = s.chars().count();
    if count > ECHO_MAX {
        let kept: String = s.chars().take(ECHO_KEPT).collect();
        format!("{}… ({count} characters)", escape_controls(&kept))
    } else {
        escape_controls(s)
    }
}

/// `s` with every unsafe character (see [`echo`]) escaped as `\u{1b}`, nothing cut: for text
/// that is cut otherwise (the CLI's last guard before the terminal cuts whole lines).
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(is_unsafe) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// The longest backtick-quoted span [`safe_message`] shows whole.
const QUOTED_WHOLE: usize = 200;

/// A whole message made safe to print: control characters escaped (line breaks between the
/// message's own lines kept), and every backtick-quoted value cut as [`echo`] cuts it. A
/// last line of defence for values that reached a message without [`echo`].
pub(crate) fn safe_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('`').peekable();
    let mut quoted = false;
    while let Some(part) = parts.next() {
        // A quoted span up to QUOTED_WHOLE characters is shown whole (escaped): an [`echo`]ed
        // value is at most 60 characters and its length, and must not be cut a second time.
        if quoted && parts.peek().is_some() && part.chars().count() > QUOTED_WHOLE {
            out.push_str(&echo(part));
        } else {
            let lines: Vec<String> = part.split('\n').map(escape_controls).collect();
            out.push_str(&lines.join("\n"));
        }
        if parts.peek().is_some() {
            out.push('`');
        }
        quoted = !quoted;
    }
    out
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

/// Deserializes each entry of an array of tables (`[[city]]`, `[[indicator]]`) on its own, so
/// that every bad entry of a file is reported at once, each with the line of its header and
/// its id when it has one. Returns the entries that read, with their lines, and the problems.
pub(crate) fn toml_entries<T: serde::de::DeserializeOwned>(
    entries: Vec<toml::Spanned<toml::Table>>,
    text: &str,
    file: &str,
    what: &str,
) -> (Vec<(usize, T)>, Vec<Problem>) {
    let mut read = Vec::new();
    let mut problems = Vec::new();
    // Lines counted from the previous entry on (entries come in the file's order): counting
    // from the top for each entry is quadratic, seconds for a registry of 10,000 cities.
    let (mut at, mut line) = (0, 1);
    for entry in entries {
        let start = entry.span().start.min(text.len());
        if start < at {
            (at, line) = (0, 1);
        }
        line += text.as_bytes()[at..start].split(|&b| b == b'\n').count() - 1;
        at = start;
        let table = entry.into_inner();
        let id = table
            .get("id")
            .and_then(toml::Value::as_str)
            .map(|id| format!(" `{}`", echo(id)))
            .unwrap_or_default();
        match toml::Value::Table(table).try_into::<T>() {
            Ok(value) => read.push((line, value)),
            Err(e) => problems.push(Problem {
                file: file.to_string(),
                line: Some(line),
                message: format!(
                    "{what}{id}: {}",
                    e.to_string().trim_end().replace('\n', " ")
                ),
            }),
        }
    }
    (read, problems)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Entry {
        id: String,
        size: u32,
    }

    #[derive(serde::Deserialize)]
    struct File {
        e: Vec<toml::Spanned<toml::Table>>,
    }

    #[test]
    fn each_bad_entry_is_reported_at_the_line_of_its_header() {
        let text = "# top\n[[e]]\nid = \"a\"\nsize = 1\n\n[[e]]\nid = \"b\"\nsize = \"x\"\n[[e]]\nid = \"c\"\n\n\n[[e]]\nid = \"d\"\nsize = -1\n";
        let file: File = toml::from_str(text).unwrap();
        let (read, problems) = toml_entries::<Entry>(file.e, text, "f.toml", "entry");
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].0, 2);
        let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
        // Counted by hand: headers on lines 2, 6, 9 and 13.
        assert_eq!(lines, [Some(6), Some(9), Some(13)]);
        assert!(
            problems[0].message.starts_with("entry `b`"),
            "{}",
            problems[0].message
        );
    }
}
