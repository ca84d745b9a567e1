//! Presentation of healthy-city results: publication charts and tables. The crate never
//! recomputes a score; it only shows what [`healthy_city_score::Results`] and the score
//! crate's analyses hold.
//!
//! - Charts: every chart is a type implementing [`Chart`] — its size and one drawing, generic
//!   over the plotters backend. [`render_svg`] gives the SVG (publication; the HTML report
//!   inlines it), [`render_png`] the PNG (preview), and [`write_chart`] writes both, each
//!   atomically. The charts:
//!   - [`RankingChart`]: one year's index scores as bars, best at the top, a focus city
//!     highlighted, on the index's scale; beyond 60 units the top 40 and the focus city's
//!     neighbours (a top-and-focus chart of bounded height);
//!   - [`TrajectoryChart`]: one city's rank year by year, rank 1 at the top, with the
//!     framework's reference ranks for that city (`[report] reference_ranks`) and their sources;
//!   - [`ProfileChart`]: one city's strengths and weaknesses, domain by domain and indicator by
//!     indicator, against the peers and the city ranked first;
//!   - [`IntervalChart`]: each city's 5-95% rank interval over an uncertainty analysis;
//!   - [`CompareChart`]: a slope chart of ranks across weighting scenarios;
//!   - [`SensitivityChart`]: Sobol first-order and total-effect indices with their bootstrap
//!     intervals;
//!   - [`PathChart`]: the effort per indicator on a city's path to first place, with the move
//!     in the indicator's units ([`PathLabel`]);
//!   - [`WeightMapChart`]: a ternary map of the city ranked first for every split of three
//!     domains' weight;
//!   - [`CorrelationChart`]: the statistical audit's correlations of one year as a heatmap,
//!     indicators grouped by domain, each with its parent group and the index;
//!   - [`FrameworkChart`]: the framework as a tree, each node with its nominal weight within
//!     its parent and its effective weight in the index, indicators marked by level.
//!
//!   The city a chart highlights is a [`Focus`] (its slot in the chart's cities, found once
//!   by id or name) and the year it shows a [`Year`] (a calendar year), in every chart.
//!   [`score_decimals`] gives the decimals scores are shown with (terminal and charts).
//!   [`source_footnote`] gives the "Source: ..." line printed under each.
//!   [`text_boxes`] measures every text of a chart's SVG in the embedded font and
//!   [`text_outside`] names those running off the canvas ([`TextBox`]), for tests.
//! - Tables: one [`Table`] type (typed [`Cell`]s under named [`Column`]s) and one writer per
//!   format: [`write_csv`] (the csv crate, quoting where needed; [`CsvRows`] row by row),
//!   [`write_json_lines`] (serde_json) and [`write_terminal`] (aligned text), or
//!   [`write_table`] in a chosen [`Format`]. Every command's tables are built here from the
//!   results: [`ranking_table`], [`scores_table`], [`weights_table`], [`treatment_table`],
//!   [`latest_table`] and [`ranking_terminal_table`] ([`format_table`] as text) for `run`,
//!   and [`data_table`] (the intermediate data sets) for `score`;
//!   [`audit_tables`]; [`compare_table`], [`uncertainty_table`], [`RunsLog`],
//!   [`sensitivity_table`], [`path_table`], [`weight_map_table`] and their terminal views.
//!
//! Charts use only the embedded DejaVu Sans fonts, so the same results give byte-identical
//! files on every machine.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use healthy_city_report::{
//!     format_table, render_svg, write_chart, write_ranking_csv, Focus, RankingChart,
//!     TrajectoryChart, Year,
//! };
//! use healthy_city_model::Framework;
//! use healthy_city_score::Results;
//!
//! fn publish(results: &Results, framework: &Framework) -> healthy_city_report::Result<String> {
//!     let source = "Source: WHO Ambient Air Quality Database 2022; World Bank WDI; WHO GHO.";
//!     let london = Focus::find(results, "london")?;
//!     let ranking = RankingChart {
//!         results,
//!         year: Year::latest_ranked(results)?,
//!         focus: Some(london),
//!         source,
//!     };
//!     write_chart(&ranking, Path::new("ranking.svg"), Path::new("ranking.png"))?;
//!     let trajectory = TrajectoryChart {
//!         results,
//!         city: london,
//!         references: &framework.report.reference_ranks,
//!         source,
//!     };
//!     let _inline: String = render_svg(&trajectory)?; // for an HTML page
//!     write_ranking_csv(results, Path::new("ranking.csv"))?;
//!     format_table(results, None, Some("london"))
//! }
//! ```

mod chart;
mod compare;
mod error;
mod focus;
mod footnote;
mod format;
mod frame;
mod heatmap;
mod intervals;
mod layout;
mod page;
mod path;
mod png;
mod profile;
mod ranking;
mod sensitivity;
mod style;
mod table;
mod tables;
#[cfg(test)]
mod testdata;
mod trajectory;
mod tree;
mod weightmap;
mod workbook;

pub use chart::{render_png, render_svg, write_chart, Chart};
pub use compare::CompareChart;
pub use error::{Error, Result};
pub use focus::{Focus, Year};
pub use footnote::source_footnote;
pub use format::score_decimals;
pub use heatmap::CorrelationChart;
pub use intervals::IntervalChart;
pub use layout::{text_boxes, text_outside, TextBox};
pub use page::{
    escape, framework_tree, headline, limitations, methodology, preset_weights, report_html,
    reweight_model, sha256_hex, table_html, Figure, Markup, ModelGroup, ReportPage, ReweightModel,
    Section,
};
pub use path::{PathChart, PathLabel};
pub use profile::ProfileChart;
pub use ranking::RankingChart;
pub use sensitivity::SensitivityChart;
pub use table::{
    render_terminal, write_csv, write_json_lines, write_parquet, write_table, write_terminal,
    Align, Cell, Column, CsvRows, Format, Notation, Table, Width,
};
pub use tables::{
    audit_availability_table, audit_correlations_table, audit_cronbach_table, audit_pca_table,
    audit_skew_kurt_table, audit_tables, compare_table, compare_terminal_table, coverage_table,
    data_table, format_table, indicators_table, latest_table, path_summary, path_table,
    path_terminal_table, ranking_table, ranking_terminal_table, scores_table, sensitivity_table,
    sensitivity_terminal_table, sensitivity_title, stream_scores_csv, stream_scores_parquet,
    treatment_table, uncertainty_table, uncertainty_terminal_table, unscored_table,
    weight_map_firsts_table, weight_map_summary, weight_map_table, weights_table,
    write_ranking_csv, write_scores_csv, ReplicationsLog, RobustOutcome, RunsLog,
};
pub use trajectory::TrajectoryChart;
pub use tree::FrameworkChart;
pub use weightmap::WeightMapChart;
pub use workbook::{workbook_bytes, Sheet};
