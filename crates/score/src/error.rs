//! Errors of the scoring engine.

/// Result type of the score crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Every error the scoring engine returns. Each names the node, indicator, city and year
/// involved and says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The framework, catalogue or observations do not fit together.
    #[error(transparent)]
    Model(#[from] healthy_city_model::Error),
    /// A framework indicator has no direction in the framework or the catalogue.
    #[error("indicator `{indicator}` has no direction: set `direction` in the framework or the catalogue")]
    NoDirection { indicator: String },
    /// A peer city is not in the registry.
    #[error("peer city `{city}` in `{file}` is not in the city registry: add it to cities.toml or fix the id")]
    UnknownPeer { city: String, file: String },
    /// Nothing to score.
    #[error("no observation for any indicator of framework `{framework}`{}: check `data.peers`, `data.years` and the observations file", years.map(|[a, b]| format!(" in years {a}-{b}")).unwrap_or_default())]
    NoData {
        framework: String,
        years: Option<[i32; 2]>,
    },
    /// A transform was given a value outside its domain.
    #[error("cannot apply `{transform}` to indicator `{indicator}` for city `{city}` in {year}: value {value} is outside its domain ({domain}); drop the transform or fix the value")]
    TransformDomain {
        transform: &'static str,
        indicator: String,
        city: String,
        year: i32,
        value: f64,
        domain: &'static str,
    },
    /// A data-driven normalisation (min-max, z-score, dist2max) of a constant indicator.
    #[error("indicator `{indicator}` has the same value ({value}) for every city{scope}: {method} normalisation divides by zero; remove the indicator or use goalposts")]
    ZeroRange {
        indicator: String,
        /// The method, e.g. `min-max`.
        method: &'static str,
        value: f64,
        scope: String,
    },
    /// Goalposts normalisation without goalposts.
    #[error("indicator `{indicator}` uses goalposts normalisation but has no `goalposts = [lo, hi]` in the framework")]
    MissingGoalposts { indicator: String },
    /// Distance-to-target normalisation without a target.
    #[error("indicator `{indicator}` uses dist2targ normalisation but has no `target = <value>` in the framework")]
    MissingTarget { indicator: String },
    /// A statistic needs more values than the indicator has.
    #[error("{method} of indicator `{indicator}` needs at least {needed} values{scope}, but it has {found}; use `bounds = \"panel\"`, impute, or choose another method")]
    TooFewValues {
        indicator: String,
        /// What needs the values, e.g. `z-score normalisation`.
        method: &'static str,
        needed: usize,
        found: usize,
        scope: String,
    },
    /// The dist2ref reference city is not scored.
    #[error("indicator `{indicator}`: dist2ref reference city `{city}` is not among the scored cities; add it to `data.peers` or choose another reference")]
    UnknownReference { indicator: String, city: String },
    /// The dist2ref reference city has no value.
    #[error("indicator `{indicator}`: dist2ref reference city `{city}` has no value in {year}; impute it (`methods.impute`) or choose another reference city")]
    ReferenceMissing {
        indicator: String,
        city: String,
        year: i32,
    },
    /// The dist2ref reference city is the worst: every score divides by zero.
    #[error("indicator `{indicator}`: dist2ref reference city `{city}` has the worst value ({value}) in {year}, so every score divides by zero (COINr silently returns NaN and Inf); choose another reference city or method")]
    ReferenceIsWorst {
        indicator: String,
        city: String,
        year: i32,
        value: f64,
    },
    /// The dist2targ target is not better than the worst value.
    #[error("indicator `{indicator}`: dist2targ target {target} is not better than the worst value ({worst}){scope}, so scores would divide by zero or turn negative; move the target or choose another method")]
    TargetNotBetter {
        indicator: String,
        target: f64,
        worst: f64,
        scope: String,
    },
    /// fracmax with a best (direction-adjusted) value of 0.
    #[error("indicator `{indicator}`: fracmax divides by its best value, which is 0{scope} (for a lower-is-better indicator the best is the lowest), so scores would be NaN or Inf as in COINr; choose another method")]
    ZeroBest { indicator: String, scope: String },
    /// Winsorising failed and its log fallback would change the units that goalposts or a
    /// target are given in.
    #[error("indicator `{indicator}` still fails the skewness and kurtosis check after winsorising{scope}, and the log fallback changes the units its {normalisation} goalposts or target are in; raise `winmax`, set `treatment = \"none\"` for it, or choose another normalisation")]
    TreatedUnits {
        indicator: String,
        normalisation: &'static str,
        scope: String,
    },
    /// A geometric, harmonic or generalised mean met a value it cannot take.
    #[error("{method} mean of `{node}` for city `{city}` in {year}: child `{child}` is {value}, and a {method} mean needs {domain}; normalise to a strictly positive scale such as `scale = [1, 100]`, or set `nonpositive = \"unscored\"` (leave such a city-year without a score, as publishers do) in `[methods]` or on the group")]
    NonPositive {
        /// The aggregation, e.g. `geometric` or `generalised (p = -1)`.
        method: String,
        /// What it needs, e.g. `positive values`.
        domain: &'static str,
        node: String,
        city: String,
        year: i32,
        child: String,
        value: f64,
    },
    /// A weight that is not a finite number of 0 or more.
    #[error("the weight of node `{node}` in group `{group}` is {weight}: a weight must be a finite number of 0 or more; fix `weight` of `{node}` in the framework")]
    BadWeight {
        node: String,
        group: String,
        weight: f64,
    },
    /// A group's aggregation that cannot be computed (e.g. a generalised mean with p = 0).
    #[error("the aggregation of group `{node}`: {message}; fix `aggregation` in the framework")]
    BadAggregation { node: String, message: String },
    /// A score, or a step on the way to it, overflowed to infinity or became NaN.
    #[error("{what} for city `{city}` in {year} is {value}, not a finite number: {fix}")]
    NotFinite {
        /// What overflowed, in domain words, e.g. "the geometric mean of `health`".
        what: String,
        city: String,
        year: i32,
        value: f64,
        /// The setting to change.
        fix: String,
    },
    /// A statistic of a normalisation overflowed (a range, standard deviation or distance of
    /// values near f64::MAX).
    #[error("indicator `{indicator}`: the {statistic} of its values{scope} is {value}, too large to compute for {method} normalisation; check its values (and goalposts or target), or use rank normalisation")]
    StatisticOverflow {
        indicator: String,
        /// What overflowed, e.g. `range (largest minus smallest value)`.
        statistic: &'static str,
        method: &'static str,
        scope: String,
        value: f64,
    },
    /// PCA weights could not be derived for a group.
    #[error("group `{node}` has `weights = \"pca\"`, but PCA needs at least 3 cities with every child present and no constant child; give explicit weights or use `weights = \"equal\"`")]
    PcaWeights { node: String },
    /// A denominator series is 0 for a city and year.
    #[error("indicator `{indicator}` of city `{city}` in {year} is divided by `{denominator}`, which is 0 there: fix the value, or remove it so that the ratio is missing")]
    ZeroDenominator {
        indicator: String,
        denominator: String,
        city: String,
        year: i32,
    },
    /// The year asked for is not ranked.
    #[error("year {year} is not ranked (too few cities meet the coverage rules); ranked years: {ranked}; analyse one of those")]
    YearNotRanked { year: i32, ranked: String },
    /// No year has enough cities ranked.
    #[error("no year has enough cities ranked (coverage.year_min_share): lower the coverage thresholds or add data")]
    NoRankedYear,
    /// An analysis setting that cannot work, named by its key.
    #[error("{key}: {message}")]
    Setting { key: String, message: String },
    /// The user interrupted a long run.
    #[error("interrupted after {done} replications; nothing was written")]
    Interrupted { done: usize },
}
