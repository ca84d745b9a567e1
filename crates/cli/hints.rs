//! The ingest crate's messages name its settings in the domain's terms ("the data folder",
//! "offline mode", "the page limit"); here each gets the command-line flag that sets it, so a
//! user reads which option to change. The library knows nothing of flags. The score crate's
//! settings get theirs in `analysis::flag`, through the same [`hints`] lookup.

use std::error::Error as StdError;
use std::fmt;

/// What an ingest message says -> the flag that sets it.
const INGEST: [(&str, &str); 7] = [
    ("the data folder", "the data folder is given with `--from`"),
    ("a partial build", "`--allow-partial` builds one"),
    ("offline mode", "offline mode is `--offline`"),
    ("the page limit", "the page limit is `--max-pages`"),
    (
        "the base URL",
        "base URLs are given with `--base-url NAME=URL`",
    ),
    ("the year the values refer to", "give it with `--year`"),
    (
        "the first year kept",
        "the first year kept is `--first-year`",
    ),
];

/// An ingest error with the flags its message refers to added at its end; its causes are kept.
#[derive(Debug)]
struct Hinted {
    error: healthy_city_ingest::Error,
    hints: Vec<&'static str>,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.error, self.hints.join("; "))
    }
}

impl StdError for Hinted {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.error.source()
    }
}

/// The hints of `table` whose phrase `message` contains, in the table's order: the one lookup
/// behind the score crate's and the ingest crate's flag hints.
pub fn hints(message: &str, table: &[(&str, &'static str)]) -> Vec<&'static str> {
    table
        .iter()
        .filter(|(phrase, _)| message.contains(phrase))
        .map(|(_, hint)| *hint)
        .collect()
}

/// An ingest error as the CLI shows it: with the flag of every setting its message names.
pub fn ingest_flags(error: healthy_city_ingest::Error) -> anyhow::Error {
    let hints = hints(&error.to_string(), &INGEST);
    if hints.is_empty() {
        anyhow::Error::new(error)
    } else {
        anyhow::Error::new(Hinted { error, hints })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ingest_setting_gets_its_flag_and_keeps_its_cause() {
        let error = healthy_city_ingest::Error::MissingFile {
            path: "data/wdi.csv".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        };
        let shown = format!("{:#}", ingest_flags(error));
        assert_eq!(
            shown,
            "source file `data/wdi.csv` not found in the data folder: give the folder that holds the publishers' files (e.g. `../shared/data`) (the data folder is given with `--from`): no such file"
        );
    }
}
