//! Presentation of healthy-city results: publication charts and tables. The crate never
//! recomputes a score; it only shows what [`healthy_city_score::Results`] holds.
//!
//! - Charts, each as one backend-generic `draw_*` function and a `write_*` that writes an SVG
//!   (publication) and a PNG (preview) through it:
//!   - [`draw_ranking`] / [`write_ranking`]: one year's index scores as bars, best at the top,
//!     a focus city highlighted;
//!   - [`draw_trajectory`] / [`write_trajectory`]: one city's rank year by year, rank 1 at the
//!     top, with reference ranks such as [`LONDON_REFERENCES`].
//! - Tables: [`write_ranking_csv`], [`write_scores_csv`], and [`format_table`] for the terminal.
//!
//! Charts use only the embedded DejaVu Sans fonts, so the same results give byte-identical
//! files on every machine. Every write goes to the given path only.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use healthy_city_report::{format_table, write_ranking, write_ranking_csv, write_trajectory};
//! use healthy_city_report::LONDON_REFERENCES;
//! use healthy_city_score::Results;
//!
//! fn publish(results: &Results) -> healthy_city_report::Result<String> {
//!     let source = "Source: WHO Ambient Air Quality Database 2022; World Bank WDI; WHO GHO.";
//!     write_ranking(results, None, Some("london"), source, Path::new("ranking.svg"), Path::new("ranking.png"))?;
//!     write_trajectory(results, "london", &LONDON_REFERENCES, source, Path::new("london.svg"), Path::new("london.png"))?;
//!     write_ranking_csv(results, Path::new("ranking.csv"))?;
//!     format_table(results, None, Some("london"))
//! }
//! ```

mod chart;
mod error;
mod footnote;
mod intervals;
mod ranking;
mod tables;
mod trajectory;

pub use error::{Error, Result};
pub use footnote::source_footnote;
pub use intervals::{draw_rank_intervals, intervals_size, write_rank_intervals, IntervalChart};
pub use ranking::{draw_ranking, ranking_size, write_ranking};
pub use tables::{format_table, write_ranking_csv, write_scores_csv};
pub use trajectory::{draw_trajectory, write_trajectory, LONDON_REFERENCES, TRAJECTORY_SIZE};
