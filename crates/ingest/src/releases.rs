//! Publishers' releases: when an answer states a release other than the one the catalogue
//! pins, `ingest --fetch` reports it and leaves the snapshot as it was; `--accept-releases`
//! takes the offered releases, rewriting the catalogue's `release` fields (comments and layout
//! kept) and the snapshot together, and lists how much the values moved.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use healthy_city_model::{Observation, Observations};

use crate::bounds::echo;
use crate::error::{Error, Result};

/// One indicator whose publisher now offers another release than the catalogue pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseChange {
    /// Indicator id.
    pub indicator: String,
    /// Which of its sources: 0 for `source`, `k` for the `k`th `[[indicator.fallback]]`.
    pub source: usize,
    /// The address the release was read from.
    pub url: String,
    /// The catalogue's `release`.
    pub pinned: String,
    /// The release the publisher's answer states.
    pub offered: String,
}

impl fmt::Display for ReleaseChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: pinned release `{}`, offered `{}` (from {})",
            echo(&self.indicator),
            echo(&self.pinned),
            echo(&self.offered),
            echo(&self.url)
        )
    }
}

/// The message of [`Error::Releases`].
pub(crate) fn releases_message(changes: &[ReleaseChange]) -> String {
    let mut out = format!(
        "{} now {} a release the catalogue does not pin; the snapshot is left as it was:",
        if changes.len() == 1 {
            "1 indicator's publisher".to_string()
        } else {
            format!("{} indicators' publishers", changes.len())
        },
        if changes.len() == 1 {
            "offers"
        } else {
            "offer"
        }
    );
    for change in changes {
        out.push_str("\n  - ");
        out.push_str(&change.to_string());
    }
    out.push_str(
        "\nto take the offered releases, run the same command with `--accept-releases`: it updates the catalogue's `release` fields and the snapshot together and lists the largest revisions",
    );
    out
}

/// Rewrites the `release` of each changed indicator in the text of a TOML catalogue, keeping
/// everything else (comments, order, layout) as it was; `[indicator.source]` tables and inline
/// `source = { ... }` tables alike. Fails, naming the indicator, when an indicator of `changes`
/// is not in the text or has no `source.release` to replace.
pub fn accept_releases(text: &str, file: &str, changes: &[ReleaseChange]) -> Result<String> {
    let mut document: toml_edit::DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| {
            Error::format(file, None, format!("cannot be edited as TOML: {e}"))
        })?;
    let wanted: BTreeMap<(&str, usize), &str> = changes
        .iter()
        .map(|c| ((c.indicator.as_str(), c.source), c.offered.as_str()))
        .collect();
    let mut done: BTreeSet<(&str, usize)> = BTreeSet::new();
    if let Some(entries) = document
        .get_mut("indicator")
        .and_then(toml_edit::Item::as_array_of_tables_mut)
    {
        for entry in entries.iter_mut() {
            let Some(id) = entry.get("id").and_then(toml_edit::Item::as_str) else {
                continue;
            };
            let id = id.to_string();
            for (&(key_id, position), &offered) in &wanted {
                if key_id != id {
                    continue;
                }
                let replaced = if position == 0 {
                    entry
                        .get_mut("source")
                        .is_some_and(|source| set_release(source, offered))
                } else {
                    entry
                        .get_mut("fallback")
                        .and_then(toml_edit::Item::as_array_of_tables_mut)
                        .and_then(|tables| tables.get_mut(position - 1))
                        .and_then(|table| table.get_mut("release"))
                        .and_then(toml_edit::Item::as_value_mut)
                        .map(|value| set_keeping_decor(value, offered))
                        .is_some()
                };
                if replaced {
                    done.insert((key_id, position));
                }
            }
        }
    }
    let missing: Vec<String> = wanted
        .keys()
        .filter(|key| !done.contains(*key))
        .map(|(id, _)| format!("`{}`", echo(id)))
        .collect();
    if !missing.is_empty() {
        return Err(Error::format(
            file,
            None,
            format!(
                "cannot update the release of {}: no `[[indicator]]` with that id and a `source.release` in this file; edit the release by hand",
                missing.join(", ")
            ),
        ));
    }
    Ok(document.to_string())
}

/// Sets the `release` of a `source` item, an `[indicator.source]` table or an inline table;
/// whether it had one.
fn set_release(source: &mut toml_edit::Item, offered: &str) -> bool {
    match source {
        toml_edit::Item::Table(table) => table
            .get_mut("release")
            .and_then(toml_edit::Item::as_value_mut)
            .map(|value| set_keeping_decor(value, offered))
            .is_some(),
        toml_edit::Item::Value(toml_edit::Value::InlineTable(table)) => table
            .get_mut("release")
            .map(|value| set_keeping_decor(value, offered))
            .is_some(),
        _ => false,
    }
}

/// Replaces a TOML value by a string, keeping the spaces and comment around it.
fn set_keeping_decor(value: &mut toml_edit::Value, text: &str) {
    let decor = value.decor().clone();
    *value = toml_edit::Value::from(text);
    *value.decor_mut() = decor;
}

/// One value that differs between two snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub city: String,
    pub indicator: String,
    pub year: i32,
    pub before: f64,
    pub after: f64,
}

impl Revision {
    /// `after - before`.
    pub fn change(&self) -> f64 {
        self.after - self.before
    }

    /// The change relative to the value before, when that is not 0.
    pub fn relative(&self) -> Option<f64> {
        (self.before != 0.0).then(|| self.change() / self.before.abs())
    }
}

/// How the values of some indicators moved between the previous snapshot and a new one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revisions {
    /// The indicators compared.
    pub indicators: Vec<String>,
    /// Values in both snapshots, equal.
    pub unchanged: usize,
    /// Values in both snapshots, different: largest relative change first (then absolute).
    pub changed: Vec<Revision>,
    /// (city, indicator, year) only in the new snapshot.
    pub added: usize,
    /// (city, indicator, year) only in the previous snapshot.
    pub removed: usize,
}

/// Compares the values of `indicators` in `previous` and `new`.
pub fn revisions(
    previous: &Observations,
    new: &Observations,
    indicators: &BTreeSet<String>,
) -> Revisions {
    let key = |o: &Observation| (o.indicator.to_string(), o.city.to_string(), o.year);
    let of = |obs: &Observations| -> BTreeMap<(String, String, i32), f64> {
        obs.rows()
            .iter()
            .filter(|o| indicators.contains(o.indicator.as_str()))
            .map(|o| (key(o), o.value))
            .collect()
    };
    let (before, after) = (of(previous), of(new));
    let mut out = Revisions {
        indicators: indicators.iter().cloned().collect(),
        ..Revisions::default()
    };
    for (k, &b) in &before {
        match after.get(k) {
            None => out.removed += 1,
            Some(&a) if a.to_bits() == b.to_bits() => out.unchanged += 1,
            Some(&a) => out.changed.push(Revision {
                indicator: k.0.clone(),
                city: k.1.clone(),
                year: k.2,
                before: b,
                after: a,
            }),
        }
    }
    out.added = after.keys().filter(|k| !before.contains_key(*k)).count();
    let size = |r: &Revision| r.relative().map_or(f64::INFINITY, f64::abs);
    out.changed.sort_by(|x, y| {
        size(y)
            .total_cmp(&size(x))
            .then(y.change().abs().total_cmp(&x.change().abs()))
            .then_with(|| (&x.indicator, &x.city, x.year).cmp(&(&y.indicator, &y.city, y.year)))
    });
    out
}

/// Revisions listed in the summary.
const LARGEST: usize = 10;

impl fmt::Display for Revisions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compared = self.unchanged + self.changed.len();
        write!(
            f,
            "revisions in {}: {} of {} values changed, {} added, {} removed",
            self.indicators.join(", "),
            self.changed.len(),
            compared,
            self.added,
            self.removed
        )?;
        if !self.changed.is_empty() {
            let mean = self
                .changed
                .iter()
                .map(|r| r.relative().map_or(0.0, f64::abs))
                .sum::<f64>()
                / self.changed.len() as f64;
            write!(
                f,
                "; mean relative change of the changed values {:.2}%; the largest {}:",
                mean * 100.0,
                self.changed.len().min(LARGEST)
            )?;
            for r in self.changed.iter().take(LARGEST) {
                let relative = r
                    .relative()
                    .map_or(String::new(), |x| format!(" ({:+.2}%)", x * 100.0));
                write!(
                    f,
                    "\n  {} {} {}: {} -> {}{}",
                    r.indicator, r.city, r.year, r.before, r.after, relative
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(indicator: &str, offered: &str) -> ReleaseChange {
        ReleaseChange {
            source: 0,
            indicator: indicator.to_string(),
            url: "https://example.org/x".to_string(),
            pinned: "2025-01-28".to_string(),
            offered: offered.to_string(),
        }
    }

    #[test]
    fn rewrites_only_the_release_of_table_and_inline_sources_keeping_comments() {
        let text = "# the catalogue\n[[indicator]]\nid = \"a\" # first\n[indicator.source]\nadapter = \"wdi_csv\"\nrelease = \"2025-01-28\" # pinned\nquery = \"X\"\n\n[[indicator]]\nid = \"b\"\nsource = { adapter = \"wdi_csv\", release = \"2024-02-21\", query = \"Y\" }\n\n[[indicator]]\nid = \"c\"\n[indicator.source]\nrelease = \"2025-01-28\"\n";
        let out = accept_releases(
            text,
            "k.toml",
            &[change("a", "2026-07-01"), change("b", "2026-07-02")],
        )
        .unwrap();
        assert_eq!(
            out,
            "# the catalogue\n[[indicator]]\nid = \"a\" # first\n[indicator.source]\nadapter = \"wdi_csv\"\nrelease = \"2026-07-01\" # pinned\nquery = \"X\"\n\n[[indicator]]\nid = \"b\"\nsource = { adapter = \"wdi_csv\", release = \"2026-07-02\", query = \"Y\" }\n\n[[indicator]]\nid = \"c\"\n[indicator.source]\nrelease = \"2025-01-28\"\n"
        );
        let err = accept_releases(text, "k.toml", &[change("zz", "1")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`zz`") && err.contains("k.toml"), "{err}");
    }

    #[test]
    fn rewrites_the_release_of_the_fallback_source_that_changed_only() {
        let text = "[[indicator]]\nid = \"le\"\n[indicator.source]\nrelease = \"2023-02-19\"\n[[indicator.fallback]]\nrelease = \"2025-01-28\" # the WDI\n";
        let mut fallback = change("le", "2026-07-13");
        fallback.source = 1;
        let out = accept_releases(text, "k.toml", &[fallback.clone()]).unwrap();
        assert_eq!(
            out,
            "[[indicator]]\nid = \"le\"\n[indicator.source]\nrelease = \"2023-02-19\"\n[[indicator.fallback]]\nrelease = \"2026-07-13\" # the WDI\n"
        );
        // A second fallback the indicator does not have is refused, naming it.
        fallback.source = 2;
        let err = accept_releases(text, "k.toml", &[fallback])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`le`"), "{err}");
    }

    #[test]
    fn counts_changed_added_and_removed_values_largest_relative_change_first() {
        let obs = |rows: &[(&str, &str, i32, f64)]| {
            Observations::from_rows(
                rows.iter()
                    .map(|&(city, indicator, year, value)| Observation {
                        city: city.into(),
                        indicator: indicator.into(),
                        year,
                        value,
                        source: "s".into(),
                        flag: healthy_city_model::Flag::None,
                        low: None,
                        high: None,
                        level: None,
                    })
                    .collect(),
                "t",
            )
        };
        let before = obs(&[
            ("london", "le", 2019, 81.0),
            ("london", "le", 2020, 80.0),
            ("paris", "le", 2020, 82.0),
            ("paris", "pm", 2020, 10.0),
        ]);
        let after = obs(&[
            ("london", "le", 2019, 81.0),
            ("london", "le", 2020, 80.4),
            ("paris", "le", 2020, 81.18),
            ("paris", "le", 2021, 82.5),
            ("paris", "pm", 2020, 99.0),
        ]);
        let r = revisions(&before, &after, &BTreeSet::from(["le".to_string()]));
        assert_eq!(
            (r.unchanged, r.changed.len(), r.added, r.removed),
            (1, 2, 1, 0)
        );
        // Paris: -0.82 / 82 = -1.0%; London: +0.4 / 80 = +0.5%.
        assert_eq!(r.changed[0].city, "paris");
        assert!((r.changed[0].relative().unwrap() + 0.01).abs() < 1e-12);
        assert!((r.changed[1].relative().unwrap() - 0.005).abs() < 1e-12);
        let text = r.to_string();
        assert!(
            text.starts_with("revisions in le: 2 of 3 values changed, 1 added, 0 removed; mean relative change of the changed values 0.75%"),
            "{text}"
        );
        assert!(
            text.contains("le paris 2020: 82 -> 81.18 (-1.00%)"),
            "{text}"
        );
    }
}
