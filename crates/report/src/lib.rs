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
//! - Tables: one [`Table`] type (typed [`Cell`]s under named [`Column`]s) and one writer per
//!   format: [`write_csv`] (the csv crate, quoting where needed; [`CsvRows`] row by row),
//!   [`write_json_lines`] (serde_json) and [`write_terminal`] (aligned text), or
//!   [`write_table`] in a chosen [`Format`]. Every command's tables are built here from the
//!   results: [`ranking_table`], [`scores_table`], [`weights_table`], [`treatment_table`],
//!   [`latest_table`] and [`ranking_terminal_table`] ([`format_table`] as text) for `run`;
//!   [`audit_tables`]; [`compare_table`], [`uncertainty_table`], [`RunsLog`],
//!   [`sensitivity_table`], [`path_table`], [`weight_map_table`] and their terminal views.
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
mod table;
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
pub use table::{
    render_terminal, write_csv, write_json_lines, write_table, write_terminal, Align, Cell, Column,
    CsvRows, Format, Notation, Table, Width,
};
pub use tables::{
    audit_availability_table, audit_correlations_table, audit_cronbach_table, audit_pca_table,
    audit_skew_kurt_table, audit_tables, compare_table, compare_terminal_table, format_table,
    latest_table, path_summary, path_table, path_terminal_table, ranking_table,
    ranking_terminal_table, scores_table, sensitivity_table, sensitivity_terminal_table,
    sensitivity_title, treatment_table, uncertainty_table, uncertainty_terminal_table,
    weight_map_firsts_table, weight_map_summary, weight_map_table, weights_table,
    write_ranking_csv, write_scores_csv, RobustOutcome, RunsLog,
};
pub use trajectory::{draw_trajectory, write_trajectory, LONDON_REFERENCES, TRAJECTORY_SIZE};
pub use weightmap::{draw_weight_map, write_weight_map, WeightMapChart, WEIGHT_MAP_SIZE};
