//! Errors of the report crate.

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while presenting results.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The embedded font could not be registered with the renderer.
    #[error("cannot register the embedded font `{family}`")]
    Font {
        /// Font family.
        family: &'static str,
    },
    /// The renderer failed while drawing a chart.
    #[error("cannot draw the {chart} chart")]
    Draw {
        /// Which chart.
        chart: &'static str,
        /// What the renderer said.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// A chart could not be drawn to, or written at, a path.
    #[error("cannot write the chart `{path}`")]
    Chart {
        /// The file being written.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// A PNG path without the `.png` extension (a guard against an SVG and a PNG path swapped).
    #[error("cannot write the PNG `{path}`: the file name must end in `.png`")]
    PngExtension {
        /// The file.
        path: PathBuf,
    },
    /// A chart too large to render as a bitmap.
    #[error(
        "cannot draw the {chart} chart as a PNG of {width} x {height} pixels: it is too large"
    )]
    TooLarge {
        /// Which chart.
        chart: &'static str,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A rendered chart could not be written.
    #[error(transparent)]
    File(#[from] healthy_city_fs::Error),
    /// A file could not be written.
    #[error("cannot write `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The workbook could not be built.
    #[error("cannot write the workbook: {message}")]
    Workbook {
        /// What went wrong.
        message: String,
    },
    /// The results hold no ranked year.
    #[error("no year of index `{index}` is ranked: too few cities meet the coverage threshold; lower `year_min_share` or `city_min_share`")]
    NoRankedYear {
        /// Index id.
        index: String,
    },
    /// A year slot beyond the results' years.
    #[error("year slot {slot} is out of range: the results hold {n_years} years")]
    YearSlot {
        /// The slot asked for.
        slot: usize,
        /// Number of years in the results.
        n_years: usize,
    },
    /// A year that is not ranked.
    #[error(
        "year {year} is not ranked: too few cities meet the coverage threshold; pick a ranked year"
    )]
    YearNotRanked {
        /// The year.
        year: i32,
    },
    /// A year that is not in the results.
    #[error("year {year} is not in the results: they hold {years}")]
    UnknownYear {
        /// The year asked for.
        year: i32,
        /// The years in the results, comma-separated.
        years: String,
    },
    /// A focus city beyond the chart's cities.
    #[error("the {chart} chart has {n_cities} cities: no city at slot {slot}")]
    FocusSlot {
        /// Which chart.
        chart: &'static str,
        /// The slot given.
        slot: usize,
        /// How many cities the chart has.
        n_cities: usize,
    },
    /// A value a chart would draw, or an end of its axis, is not a finite number (a score that
    /// overflowed, an interval without draws): plotters is never asked to lay out such an axis.
    #[error("cannot draw the {chart} chart: {what} is {value}, not a finite number; every value a chart draws must be finite (a score that overflows points to a weight or an aggregation parameter too large for the scale)")]
    NotFinite {
        /// Which chart.
        chart: &'static str,
        /// What the value is ("the score of `paris` in 2022", "the upper end of the score axis").
        what: String,
        /// The value, as printed by Rust (`inf`, `NaN`).
        value: f64,
    },
    /// An audit without the correlations a chart was asked to show.
    #[error("the audit holds no `{dataset}` correlations by {method}: it holds {held}")]
    NoCorrelations {
        /// The data set asked for.
        dataset: String,
        /// The method asked for.
        method: &'static str,
        /// What it holds ("`raw` and `scores` by pearson and spearman").
        held: String,
    },
    /// An audit naming a node the results do not have: audit and results of different
    /// frameworks.
    #[error("the audit names `{id}`, which is not a node of the results of `{index}`: draw the audit of the framework that was scored")]
    AuditNode {
        /// The id the audit names.
        id: String,
        /// Index id of the results.
        index: String,
    },
    /// A city that is not in the results.
    #[error("unknown city `{city}`; the results hold: {known}")]
    UnknownCity {
        /// The name asked for.
        city: String,
        /// The city ids in the results, comma-separated.
        known: String,
    },
}

/// The report crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Attaches a chart's output path to drawing errors; data errors pass through unchanged.
    pub(crate) fn at(self, path: &std::path::Path) -> Self {
        match self {
            Self::Draw { .. } | Self::Font { .. } | Self::TooLarge { .. } => Self::Chart {
                path: path.to_path_buf(),
                source: Box::new(self),
            },
            other => other,
        }
    }
}
