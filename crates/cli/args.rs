//! Command-line arguments (clap derive). Doc comments become the help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use healthy_city_model::{Aggregation, Impute};

use crate::parse;

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
    /// Score any framework: ranking, node scores, weights, treatment and every intermediate
    /// value (raw, imputed, treated, normalised), with a ranking chart.
    ///
    /// Writes DIR/ranking.csv, scores.csv, weights.csv, treatment.csv and data.csv (indicator,
    /// city, year, raw, imputed, imputed_flag, impute_method, treated, normalised) for every
    /// year, and DIR/charts/ranking.svg and .png; with a focus city (--city or the framework's
    /// `[data] focus`) also its trajectory and profile charts.
    Score(ScoreArgs),
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
    /// Ranks of every city under several weighting scenarios, and each city's largest shift.
    ///
    /// Writes DIR/compare.csv (city, name, one rank column per scenario, largest_shift) and
    /// the chart DIR/charts/compare.svg and .png (the top 15 cities and --city).
    Compare(CompareArgs),
    /// Monte Carlo uncertainty analysis of the ranks: weights, methods, imputation,
    /// winsorisation and leaving one indicator out, each switchable.
    ///
    /// Writes DIR/uncertainty.csv (city, nominal_rank, mean_rank, median_rank, q05_rank,
    /// q95_rank, p_first, p_top3, target), DIR/uncertainty-runs.csv (the inputs of every
    /// replication), with --write-replications DIR/uncertainty-replications.csv, and the chart
    /// DIR/charts/rank-intervals.svg and .png. Without any input option, weights vary by ±25%
    /// at every level, normalisation among minmax, zscore and rank, and one indicator may be
    /// left out.
    Uncertainty(UncertaintyArgs),
    /// Sobol sensitivity indices: which uncertain input drives the ranks.
    ///
    /// First-order (Saltelli 2010) and total-effect (Jansen) indices with bootstrap 95%
    /// intervals, of the mean absolute rank shift against the nominal ranking (or of one
    /// city's rank with --city). Writes DIR/sensitivity.csv and the chart
    /// DIR/charts/sensitivity.svg and .png. Runs N (k + 2) rebuilds.
    Sensitivity(SensitivityArgs),
    /// The least improvement that makes a city rank first, indicator by indicator.
    ///
    /// No indicator improves beyond the best peer value (or --cap). Writes
    /// DIR/path-to-first.csv (indicator, current, target, change, effort, limit) and the chart
    /// DIR/charts/path-to-first.svg and .png.
    PathToFirst(PathArgs),
    /// Which city ranks first for every mix of three domains' weights.
    ///
    /// Writes DIR/weight-map.csv (w_a, w_b, w_c, first_city, city_rank): shares of the three
    /// domains' combined weight, the other weights fixed; and the ternary chart
    /// DIR/charts/weight-map.svg and .png.
    WeightMap(WeightMapArgs),
    /// The publication report: runs the index and every analysis once and writes
    /// DIR/report.html (one self-contained page: headline, sortable ranking with live
    /// re-weighting, charts, methodology, sources, reproducibility; prints to PDF),
    /// DIR/report.xlsx (a sheet per table) and every chart and table beside them.
    Report(ReportArgs),
    /// A deterministic synthetic panel (framework, cities, catalogue, observations) for
    /// scale measurements and tests; hidden, not a user command.
    #[command(hide = true)]
    Synth(SynthArgs),
}

/// `healthy-city synth`: sizes, seed and missing share of the synthetic panel.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Number of cities (ids c00001, c00002, ...).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(2..=99_999))]
    pub cities: u32,

    /// Number of indicators, spread over 2 to 5 domains of 1 to 4 sub-domains.
    #[arg(long, value_name = "M", default_value_t = 20, value_parser = clap::value_parser!(u32).range(4..=9_999))]
    pub indicators: u32,

    /// Number of years, from 2001.
    #[arg(long, value_name = "Y", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub years: u32,

    /// Seed of the random draws; the same seed gives the same bytes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Share of the city x indicator x year values left missing (a tenth of it as whole
    /// city-years).
    #[arg(long, value_name = "SHARE", default_value_t = 0.1, value_parser = parse::missing_share)]
    pub missing: f64,

    /// Folder the files are written to (created if needed; replaced only on success).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Also write the observations as observations.csv (the framework names the Parquet file).
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, clap::Args)]
pub struct AnalysisInput {
    #[command(flatten)]
    pub input: InputArgs,

    /// Year analysed. Default: the latest ranked year.
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,

    /// Folder for the outputs (created if needed; files replaced only on success).
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,

    /// How the result table is printed on standard output (csv and json print the table the
    /// command writes to its CSV file; the text around it goes to standard error).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub common: AnalysisInput,

    /// Scenario: a shipped name (equal-weights, outcome-led, environment-led, pca-weights) or
    /// a scenario file. Repeat for several. Default: every shipped scenario. The framework
    /// itself is always the first column (`nominal`).
    #[arg(long = "scenario", value_name = "NAME|FILE")]
    pub scenarios: Vec<String>,

    /// City highlighted in the chart, with its rank under every scenario (id or name).
    /// Default: the framework's `[data] focus` (the default index: London), else none.
    #[arg(long, value_name = "NAME")]
    pub city: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct Uncertain {
    /// Scenario to analyse instead of the framework as it is (a shipped name or a file).
    #[arg(long, value_name = "NAME|FILE")]
    pub scenario: Option<String>,

    /// Weight noise: `X` for ±X (e.g. 0.25) at every level, or `LEVEL=X` (1: the index's
    /// children, 2: theirs). Repeatable. Weights vary as w (1 + X (2u - 1)), u uniform.
    #[arg(long = "weight-noise", value_name = "[LEVEL=]X", value_parser = parse::weight_noise)]
    pub weight_noise: Vec<(usize, f64)>,

    /// Dirichlet weights around each group's nominal shares, with this concentration
    /// (larger: closer to nominal). Replaces --weight-noise.
    #[arg(long, value_name = "C", conflicts_with = "weight_noise", value_parser = parse::concentration)]
    pub dirichlet: Option<f64>,

    /// Explicit weight sets, comma-separated: shipped scenario names (equal-weights,
    /// outcome-led, environment-led, pca-weights) or scenario files that set weights only.
    /// Every replication takes all its weights from one of them, each equally likely (COINr's
    /// list of weight sets); uncertainty-runs.csv names the one drawn. Replaces
    /// --weight-noise and --dirichlet.
    #[arg(long, value_name = "LIST", value_delimiter = ',', conflicts_with_all = ["weight_noise", "dirichlet"])]
    pub weight_sets: Vec<String>,

    /// Normalisation alternatives, comma-separated (e.g. minmax,zscore,rank), with parameters
    /// in brackets as a framework states them: zscore[10,2] (mean 10, sd 2; also
    /// zscore[mean=10,sd=2]), minmax[1,100] (min-max to the scale [1, 100]; also goalposts and
    /// scaled), dist2ref[london], dist2targ[cap_max=true]; or the framework's inline table
    /// `{ method = "zscore", mean = 10, sd = 2 }`. Repeatable.
    #[arg(long, value_name = "LIST", value_parser = parse::normalisations)]
    pub normalisations: Vec<parse::Normalisations>,

    /// Aggregation alternatives, comma-separated (e.g. arithmetic,geometric; geometric and
    /// harmonic need normalised values above 0, checked on the data before any replication:
    /// e.g. --scale 1,100 or --normalisations zscore[100,10]).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse::aggregation)]
    pub aggregations: Vec<Aggregation>,

    /// Imputation alternatives besides the framework's, comma-separated (e.g. latest,linear).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse::imputation)]
    pub imputations: Vec<Impute>,

    /// COINr winsorisation of every indicator with winmax drawn in LO..HI (0: none).
    #[arg(long, value_name = "LO..HI", value_parser = parse::winmax)]
    pub winmax: Option<(usize, usize)>,

    /// Leave one indicator out (or none), each equally likely.
    #[arg(long)]
    pub leave_one_out: bool,

    /// Normalised scale [L, U] instead of the framework's, e.g. 1,100 for geometric means.
    #[arg(long, value_name = "L,U", value_parser = parse::scale)]
    pub scale: Option<[f64; 2]>,

    /// Seed of the random draws; the same seed gives the same files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, clap::Args)]
pub struct UncertaintyArgs {
    #[command(flatten)]
    pub common: AnalysisInput,

    #[command(flatten)]
    pub inputs: Uncertain,

    /// Number of replications.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = parse::replications)]
    pub runs: usize,

    /// City highlighted in the rank-interval chart (id or name). Default: the framework's
    /// `[data] focus` (the default index: London), else none.
    #[arg(long, value_name = "NAME")]
    pub city: Option<String>,

    /// Node whose ranks are analysed: a group (domain) or indicator id instead of the index.
    /// Every replication still rebuilds the whole index; the target's scores are ranked among
    /// the cities the index ranks (the `target` column of uncertainty.csv names it).
    #[arg(long, value_name = "NODE")]
    pub target: Option<String>,

    /// Also write DIR/uncertainty-replications.csv: the target's score and rank for every
    /// city in every replication (replication, city, score, rank; runs x cities rows).
    #[arg(long)]
    pub write_replications: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplerArg {
    /// Owen-scrambled Sobol low-discrepancy sequence (at most 65,536 runs).
    Sobol,
    /// Pseudo-random draws.
    Random,
}

#[derive(Debug, clap::Args)]
pub struct SensitivityArgs {
    #[command(flatten)]
    pub common: AnalysisInput,

    #[command(flatten)]
    pub inputs: Uncertain,

    /// Rows N of the two sample matrices: N (k + 2) rebuilds for k inputs.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub runs: usize,

    /// Output analysed: this city's rank instead of the mean absolute rank shift.
    #[arg(long, value_name = "NAME")]
    pub city: Option<String>,

    /// Node whose ranks are the output: a group (domain) or indicator id instead of the index
    /// (as `uncertainty --target`).
    #[arg(long, value_name = "NODE")]
    pub target: Option<String>,

    /// How the sample is drawn.
    #[arg(long, value_enum, default_value_t = SamplerArg::Sobol)]
    pub sampler: SamplerArg,

    /// Bootstrap resamples for the 95% intervals (at least 20).
    #[arg(long, value_name = "B", default_value_t = 500, value_parser = parse::bootstrap)]
    pub bootstrap: usize,
}

#[derive(Debug, clap::Args)]
pub struct PathArgs {
    #[command(flatten)]
    pub common: AnalysisInput,

    /// City to bring to first place (id or name). Default: the framework's `[data] focus`
    /// (the default index: London).
    #[arg(long, value_name = "NAME")]
    pub city: Option<String>,

    /// Most an indicator may reach, in its own units: INDICATOR=VALUE (repeatable), when
    /// less far than the best peer value.
    #[arg(long = "cap", value_name = "ID=VALUE", value_parser = parse::cap)]
    pub caps: Vec<(String, f64)>,

    /// Robust variant: improve until the city is first in at least this share (0-1] of the
    /// uncertainty replications (inputs as for `uncertainty`: --weight-noise, ...).
    #[arg(long, value_name = "P", value_parser = parse::share)]
    pub robust: Option<f64>,

    /// Replications per check of the robust variant.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = parse::replications)]
    pub runs: usize,

    #[command(flatten)]
    pub inputs: Uncertain,
}

#[derive(Debug, clap::Args)]
pub struct WeightMapArgs {
    #[command(flatten)]
    pub common: AnalysisInput,

    /// The three nodes (domains) whose weights vary, comma-separated.
    #[arg(long, value_name = "A,B,C", value_parser = parse::three_nodes)]
    pub domains: [String; 3],

    /// City whose rank is mapped (id or name). Default: the framework's `[data] focus` (the
    /// default index: London).
    #[arg(long, value_name = "NAME")]
    pub city: Option<String>,

    /// Grid step over the simplex (1/step must be a whole number; 0.01 gives 5,151 cells).
    #[arg(long, value_name = "STEP", default_value = "0.02", value_parser = parse::step)]
    pub step: parse::Step,

    /// Scenario to use instead of the framework as it is (a shipped name or a file).
    #[arg(long, value_name = "NAME|FILE")]
    pub scenario: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub common: AnalysisInput,

    #[command(flatten)]
    pub inputs: Uncertain,

    /// City the report is about (id or name). Default: the framework's `[data] focus` (the
    /// default index: London), else none (no trajectory, profile or path to first).
    #[arg(long, value_name = "NAME")]
    pub city: Option<String>,

    /// Replications of the uncertainty analysis.
    #[arg(long, value_name = "N", default_value_t = 2000, value_parser = parse::replications)]
    pub runs: usize,

    /// Rows of the sensitivity analysis' sample matrices (N (k + 2) rebuilds for k inputs).
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = parse::replications)]
    pub sensitivity_runs: usize,
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
    /// Generate the European city registry from the Urban Audit city list of the Masselot et
    /// al. (2023) panel (its metadata.csv.gz).
    ///
    /// Writes one `[[city]]` per Urban Audit code, with the code as its `eurostat` alias,
    /// the source's coordinates, country and mean population; a city that a world registry
    /// city aliases by its code keeps that city's id and name. This is how
    /// indicators/europe/cities.toml is made.
    UrbanAudit(UrbanAuditArgs),
}

#[derive(Debug, clap::Args)]
pub struct UrbanAuditArgs {
    /// The panel's city list: masselot-854-cities/metadata.csv.gz (gzipped or not).
    #[arg(long, value_name = "FILE")]
    pub metadata: PathBuf,

    /// The world registry whose `eurostat` aliases give ids and names (indicators/cities.toml).
    #[arg(long, value_name = "FILE", default_value = "indicators/cities.toml")]
    pub world: PathBuf,

    /// The registry file to write (replaced atomically).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "indicators/europe/cities.toml"
    )]
    pub out: PathBuf,
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
    #[arg(long, value_name = "YEAR", value_parser = parse::year)]
    pub year: Option<i32>,

    /// The iMeta Group column that becomes the cities' `region` (default: the first Group row).
    ///
    /// Give the one your COINr build groups by (`use_group`), e.g. `--group EurAsia_group`
    /// where iMeta lists GDP_group first. The other Group columns become city attributes,
    /// keyed by their lowercased code, for group imputation by another column.
    #[arg(long, value_name = "COLUMN")]
    pub group: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Framework file (TOML), or the id of a shipped framework (`healthy-city`,
    /// `lenstore-2021`, `europe`). Default: the embedded healthy-city index.
    ///
    /// Paths in its [data] table are relative to the file; what it does not name
    /// (cities, catalogue, observations) comes from the embedded defaults.
    #[arg(long, value_name = "FILE|ID")]
    pub framework: Option<PathBuf>,

    /// Observations file (CSV or .parquet) to score instead of the framework's.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

/// What `run` and `score` share besides their inputs: the scenario, the output folder and
/// whether charts are drawn.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// Scenario applied to the framework before scoring: a shipped name (equal-weights,
    /// outcome-led, environment-led, pca-weights) or a scenario file.
    #[arg(long, value_name = "NAME|FILE")]
    pub scenario: Option<String>,

    /// Folder for the outputs (created if needed; files in it are replaced only on success).
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,

    /// Write no chart (no DIR/charts folder).
    #[arg(long)]
    pub no_charts: bool,

    /// File format of the tables written to DIR (ranking, scores, weights, treatment,
    /// indicators, unscored, data): `csv`, or `parquet` (typed columns, written in row groups;
    /// for large runs, where scores.csv would run to millions of lines).
    #[arg(long, value_enum, default_value_t = Tables::Csv)]
    pub tables: Tables,
}

/// File format of the output tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tables {
    /// `NAME.csv`.
    Csv,
    /// `NAME.parquet`.
    Parquet,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub publish: PublishArgs,

    /// City whose trajectory is charted and highlighted (id or name). Default: the
    /// framework's `[data] focus`, else London when it is among the cities scored (else no
    /// focus: the ranking chart only).
    #[arg(long, value_name = "NAME")]
    pub city: Option<String>,

    /// How the latest ranking is printed on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub publish: PublishArgs,

    /// Year printed and charted (a ranked year). Default: the latest ranked year. The files
    /// hold every year.
    #[arg(long, value_name = "YEAR", value_parser = parse::year)]
    pub year: Option<i32>,

    /// Focus city (id or name): highlighted in the ranking, with its trajectory and profile
    /// charts. Default: the framework's `[data] focus`, else none.
    #[arg(long, value_name = "NAME")]
    pub city: Option<String>,

    /// How the ranking of the year is printed on standard output.
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
    /// CSV: the table of the command's CSV file (`run` and `score`: the ranking of the year
    /// printed, city, year, score, rank and the level breakdown city_share, region_share,
    /// national_share).
    Csv,
    /// JSON lines: the same table, one object per row (`run`: per ranked city).
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

    /// Folder for the ingest report (created if needed; never the snapshot folder): writes
    /// DIR/unmatched.csv (source, indicator, code_or_name, country, kind, rows), every code or
    /// name of every source that matched no registry city, aggregates such as WLD marked
    /// `aggregate`. Written only when the build succeeds.
    #[arg(long, value_name = "DIR", default_value = "out/ingest")]
    pub report: PathBuf,

    /// City registry. Default: indicators/cities.toml.
    #[arg(long, value_name = "FILE", default_value = "indicators/cities.toml")]
    pub cities: PathBuf,

    /// Indicator catalogue. Default: indicators/catalogue.toml.
    #[arg(long, value_name = "FILE", default_value = "indicators/catalogue.toml")]
    pub catalogue: PathBuf,

    /// First year kept in the snapshot.
    #[arg(long, value_name = "YEAR", default_value_t = 2000, value_parser = parse::year)]
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
    #[arg(long, value_name = "NAME=URL", requires = "fetch", value_parser = parse::base_url)]
    pub base_url: Vec<(String, String)>,

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

    /// With `--fetch`: where a publisher's answer states another release than the catalogue
    /// pins (the World Bank's bulk files serve only the current one), take the offered release:
    /// the catalogue's `release` fields (comments and layout kept) and the snapshot are updated
    /// together, and the largest revisions of values are listed. Without it such a change is
    /// reported per indicator and nothing is written.
    #[arg(long, requires = "fetch")]
    pub accept_releases: bool,

    /// Seconds allowed for one request, body included.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = parse::timeout)]
    pub timeout: u64,

    /// Retries of a request after a 5xx, a 429 or a broken connection.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = parse::retries)]
    pub retries: u32,

    /// Back-off before the first retry, in milliseconds (doubled at each retry, with jitter).
    #[arg(long, value_name = "MS", default_value_t = 500, value_parser = parse::retry_delay)]
    pub retry_delay_ms: u64,

    /// Largest response accepted, in megabytes.
    #[arg(long, value_name = "MB", default_value_t = 512, value_parser = parse::megabytes)]
    pub max_body_mb: u64,

    /// Most pages followed for one source (World Bank pages, WHO GHO `@odata.nextLink`, CDC
    /// `$offset`); more is an error, as is a next-page link back to a page already fetched.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = parse::pages)]
    pub max_pages: usize,

    /// With `--fetch`: at most N requests in any SECONDS to a publisher service, the requests
    /// beyond waiting (the wait shown in the progress bar and as a warning) instead of failing;
    /// `NAME=off` lifts a budget. Default: `oecd=60/3600`, the OECD's documented 60 data
    /// downloads an hour. Repeatable.
    #[arg(long, value_name = "NAME=N/SECONDS", requires = "fetch", value_parser = parse::budget)]
    pub budget: Vec<(String, Option<healthy_city_ingest::Budget>)>,

    /// With `--fetch`: a Socrata app token for CDC PLACES (data.cdc.gov), sent as `X-App-Token`
    /// for higher rate limits; never cached or logged. Default: $SOCRATA_APP_TOKEN (prefer it:
    /// a command-line argument is visible to other users of the machine).
    #[arg(long, value_name = "TOKEN", requires = "fetch")]
    pub socrata_token: Option<String>,

    /// Requests in flight at once to one host.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = parse::per_host)]
    pub per_host: usize,
}
