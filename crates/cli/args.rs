//! Command-line arguments (clap derive). Doc comments become the help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// A transparent, reproducible healthy-city ranking: public indicators in, a composite index,
/// ranks and publication charts out.
///
/// With no options, `healthy-city run` scores every year of the embedded data (the default
/// framework and snapshot are built into the binary) and writes the ranking, the scores of
/// every node of the index and two charts under out/.
#[derive(Debug, Parser)]
#[command(name = "healthy-city", version, propagate_version = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score every year, print the latest ranking, write tables and charts.
    Run(RunArgs),
    /// Rebuild the snapshot (indicators/snapshot) from publishers' files.
    Ingest(IngestArgs),
    /// Check a framework, its catalogue, cities and observations without scoring.
    Validate(InputArgs),
    /// Statistical audit of one year: availability, skewness and kurtosis, correlations,
    /// Cronbach's alpha and PCA per group.
    ///
    /// Writes DIR/audit/availability.csv, skew_kurt.csv, correlations.csv (long form with
    /// p-values), cronbach.csv and pca.csv, and prints a short summary.
    Audit(AuditArgs),
    /// Convert another tool's inputs into a framework, cities, catalogue and observations.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a COINr coin's iData and iMeta tables (CSV).
    ///
    /// Writes DIR/framework.toml, cities.toml, catalogue.toml and observations.csv; then
    /// `healthy-city run --framework DIR/framework.toml` scores it. COINr codes become
    /// lowercase ids (LIV_04 -> liv_04). Cities get country ZZZ and coordinates 0, 0: COINr
    /// data have no geography.
    Coinr(CoinrArgs),
}

#[derive(Debug, clap::Args)]
pub struct CoinrArgs {
    /// COINr iData as CSV: uCode, optional uName and Time, Group columns, one column per indicator.
    #[arg(long, value_name = "FILE")]
    pub idata: PathBuf,

    /// COINr iMeta as CSV: Level, iCode, Direction, Weight, Parent, Type; optional iName, Unit, Target.
    #[arg(long, value_name = "FILE")]
    pub imeta: PathBuf,

    /// Folder to write the four files to (created if needed; existing files are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Year of the values when iData has no Time column (required then).
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,
}

#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Framework file (TOML). Default: the embedded healthy-city index.
    ///
    /// Paths in its [data] table are relative to the file; what it does not name
    /// (cities, catalogue, observations) comes from the embedded defaults.
    #[arg(long, value_name = "FILE")]
    pub framework: Option<PathBuf>,

    /// Observations file (CSV or .parquet) to score instead of the framework's.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Folder for the outputs (created if needed; files in it are replaced only on success).
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,

    /// City whose trajectory is charted and highlighted (id or name).
    #[arg(long, value_name = "NAME", default_value = "London")]
    pub city: String,

    /// How the latest ranking is printed on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Year to audit. Default: the latest ranked year (else the latest year).
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,

    /// Folder for the outputs; the tables go to DIR/audit/ (replaced only on success).
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for the terminal.
    Table,
    /// CSV: city, year, score, rank, proxy_share.
    Csv,
    /// JSON lines: one object per ranked city.
    Json,
}

#[derive(Debug, clap::Args)]
#[allow(clippy::struct_excessive_bools)] // independent command-line switches
pub struct IngestArgs {
    /// Folder holding the publishers' files (WHO, World Bank, the 55-city compilation, Lenstore),
    /// laid out as the catalogue's `source.file` entries say, e.g. ../shared/data.
    ///
    /// With `--fetch`, only the sources without a `download` address are read from it.
    #[arg(long, value_name = "DIR", required_unless_present = "fetch")]
    pub from: Option<PathBuf>,

    /// Snapshot folder to (re)write; replaced only if every source succeeds.
    #[arg(long, value_name = "DIR", default_value = "indicators/snapshot")]
    pub out: PathBuf,

    /// City registry. Default: indicators/cities.toml.
    #[arg(long, value_name = "FILE", default_value = "indicators/cities.toml")]
    pub cities: PathBuf,

    /// Indicator catalogue. Default: indicators/catalogue.toml.
    #[arg(long, value_name = "FILE", default_value = "indicators/catalogue.toml")]
    pub catalogue: PathBuf,

    /// First year kept in the snapshot.
    #[arg(long, value_name = "YEAR", default_value_t = 2000)]
    pub first_year: i32,

    /// Download every source that has a `download` address in the catalogue from its publisher
    /// (World Bank, WHO GHO, Eurostat, OECD, CDC), through the cache.
    #[arg(long)]
    pub fetch: bool,

    /// With `--fetch`: use cached responses only, never the network.
    #[arg(long, requires = "fetch")]
    pub offline: bool,

    /// With `--fetch`: replace a publisher's scheme, host and port (a mirror, a proxy, a test
    /// server). NAME is one of gho, worldbank, eurostat, oecd, who, cdc. Repeatable.
    #[arg(long, value_name = "NAME=URL", requires = "fetch")]
    pub base_url: Vec<String>,

    /// Response cache. Default: $HEALTHY_CITY_CACHE_DIR, else the user's cache folder
    /// (e.g. ~/.cache/healthy-city/http).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Do not cache responses.
    #[arg(long, conflicts_with_all = ["cache_dir", "offline"])]
    pub no_cache: bool,

    /// With `--fetch`: when a source fails, keep its indicators' values from the previous
    /// snapshot (marked as such in the summary and SOURCES.md) instead of failing.
    #[arg(long, requires = "fetch")]
    pub allow_partial: bool,

    /// Seconds allowed for one request, body included.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,

    /// Retries of a request after a 5xx, a 429 or a broken connection.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,

    /// Back-off before the first retry, in milliseconds (doubled at each retry, with jitter).
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub retry_delay_ms: u64,

    /// Largest response accepted, in megabytes.
    #[arg(long, value_name = "MB", default_value_t = 512)]
    pub max_body_mb: u64,

    /// Requests in flight at once to one host.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub per_host: usize,
}
