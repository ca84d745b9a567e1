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
    /// Min-max normalisation of a constant indicator.
    #[error("indicator `{indicator}` has the same value ({value}) for every city{scope}: min-max normalisation divides by zero; remove the indicator or use goalposts")]
    ZeroRange {
        indicator: String,
        value: f64,
        scope: String,
    },
    /// Goalposts normalisation without goalposts.
    #[error("indicator `{indicator}` uses goalposts normalisation but has no `goalposts = [lo, hi]` in the framework")]
    MissingGoalposts { indicator: String },
    /// A geometric mean met a value it cannot take.
    #[error("geometric mean of `{node}` for city `{city}` in {year}: child `{child}` is {value}, and a geometric mean needs positive values; normalise to a strictly positive scale such as `scale = [1, 100]`")]
    NonPositive {
        node: String,
        city: String,
        year: i32,
        child: String,
        value: f64,
    },
}
