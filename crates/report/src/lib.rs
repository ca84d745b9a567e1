//! Presentation of healthy-city results: publication charts and tables. The crate never
//! recomputes a score; it only shows what [`healthy_city_score::Results`] holds.
//!
//! - Charts, each as one backend-generic `draw_*` function and a `write_*` that writes an SVG
//!   (publication) and a PNG (preview) through it:
//!   - [`draw_ranking`] / [`write_ranking`]: one year's index scores as bars, best at the top,
//!     a focus city highlighted;
//!   - [`draw_trajectory`] / [`write_trajectory`]: one city's rank year by year, rank 1 at the
//!     top, with reference ranks such as [`LONDON_REFERENCES`];
//!   - [`draw_rank_intervals`] / [`write_rank_intervals`]: each city's 5-95% rank interval over
//!     an uncertainty analysis;
//!   - [`draw_compare`] / [`write_compare`]: a slope chart of ranks across weighting scenarios;
//!   - [`draw_sensitivity`] / [`write_sensitivity`]: Sobol first-order and total-effect indices
//!     with their bootstrap intervals;
//!   - [`draw_path_to_first`] / [`write_path_to_first`]: the effort per indicator on a city's
//!     path to first place, with the move in the indicator's units;
//!   - [`draw_weight_map`] / [`write_weight_map`]: a ternary map of the city ranked first for
//!     every split of three domains' weight.
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
mod compare;
mod error;
mod footnote;
mod intervals;
mod path;
mod profile;
mod ranking;
mod sensitivity;
mod tables;
mod trajectory;
mod weightmap;

pub use compare::{compare_size, draw_compare, write_compare, CompareChart};
pub use error::{Error, Result};
pub use footnote::source_footnote;
pub use intervals::{draw_rank_intervals, intervals_size, write_rank_intervals, IntervalChart};
pub use path::{draw_path_to_first, path_size, write_path_to_first, PathChart, PathLabel};
pub use profile::{draw_profile, profile_size, write_profile, ProfileChart};
pub use ranking::{draw_ranking, ranking_size, write_ranking};
pub use sensitivity::{draw_sensitivity, sensitivity_size, write_sensitivity, SensitivityChart};
pub use tables::{format_table, write_ranking_csv, write_scores_csv};
pub use trajectory::{draw_trajectory, write_trajectory, LONDON_REFERENCES, TRAJECTORY_SIZE};
pub use weightmap::{draw_weight_map, write_weight_map, WeightMapChart, WEIGHT_MAP_SIZE};
