//! The scoring engine of healthy-city: screen, denominate, impute, treat, normalise, weight,
//! aggregate and rank a framework's indicators, year by year, on contiguous f64 matrices
//! (cities x indicators); audit the result; and re-run it thousands of times for uncertainty,
//! sensitivity and the path to first place. It never touches the network and never writes a
//! file: it takes parsed inputs (the model crate's [`Framework`](healthy_city_model::Framework),
//! [`Catalogue`](healthy_city_model::Catalogue), [`Cities`](healthy_city_model::Cities) and
//! [`Observations`](healthy_city_model::Observations)) and returns result types.
//!
//! Each method is implemented once. [`score`] and every replication of the [`Engine`] make the
//! same calls on the same values: the treatment mapping (`treat`), the fitted normalisation
//! (`normalise`), the aggregation (`aggregate`) and the ranking ([`rank`]), so the nominal
//! replication reproduces [`score`] bit for bit (a property test checks it for every method).
//!
//! - [`score`] returns [`Results`]: per year, city and node a score and a rank, with coverage,
//!   proxy and imputed shares, the treatment report and the weights used. [`check`] validates
//!   a framework against a catalogue without data; [`validate`] makes every check of
//!   [`score`] on the data (by running it) and returns a summary ([`Validated`]);
//!   [`data_sets`] returns the panels of the steps before aggregation ([`Panel`]).
//! - Every score and rank input is a finite number or missing: an overflow anywhere (a
//!   transform, a normalisation, a mean) is an [`Error::NotFinite`] naming the node or
//!   indicator, city and year; an unusable weight is [`Error::BadWeight`], an unusable
//!   aggregation [`Error::BadAggregation`]. Large weights are scaled by a power of two (exact)
//!   and generalised means are computed scaled by their largest or smallest child.
//! - [`audit`] returns the statistical [`Audit`] of a year; [`compare`] a scenario
//!   [`Comparison`].
//! - [`Engine`] is one year compiled for replications ([`Config`], [`Scratch`]); [`Analysis`]
//!   runs Monte Carlo uncertainty and the weight map on it, [`sobol_indices`] sensitivity,
//!   [`path_to_first`] the least effort to rank first.
//! - [`bod`], [`rank`], [`round_score`] (the rounding `rank` applies with `methods.round`) and
//!   [`quantile`] are methods usable on their own.
//!
//! Inside, statistics live in one leaf module (`stats`), the linear programme in `lp`, benefit
//! of the doubt in `bod`; the module graph has no cycle.
//!
//! ```
//! use healthy_city_model::{Catalogue, Cities, Framework, Observations};
//!
//! let source = r#"source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }"#;
//! let catalogue = Catalogue::parse(&format!(
//!     "[[indicator]]\nid = \"life\"\nname = \"Life expectancy\"\nunit = \"years\"\ndirection = \"higher\"\nlevel = \"national\"\n{source}\n"
//! ), "catalogue.toml")?;
//! let cities = Cities::parse(
//!     "[[city]]\nid = \"a\"\nname = \"Alpha\"\ncountry = \"AAA\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n\
//!      [[city]]\nid = \"b\"\nname = \"Beta\"\ncountry = \"BBB\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n",
//!     "cities.toml",
//! )?;
//! let framework = Framework::parse(
//!     "[index]\nid = \"small\"\nname = \"Small\"\n[methods]\nscale = [0, 100]\n\
//!      [[group]]\nid = \"index\"\n[[indicator]]\nid = \"life\"\nparent = \"index\"\n",
//!     "small.toml",
//! )?;
//! let observations = Observations::from_csv(
//!     "city,indicator,year,value,source,flag\na,life,2019,80,s,\nb,life,2019,70,s,\n".as_bytes(),
//!     "observations.csv",
//! )?;
//! healthy_city_score::check(&framework, &catalogue)?;
//! let results = healthy_city_score::score(&framework, &catalogue, &cities, &observations)?;
//! // Min-max over the panel: Alpha 100, first; Beta 0, second.
//! assert_eq!(results.score(0, 0, results.root), 100.0);
//! assert_eq!(results.rank(0, 1, results.root), Some(2));
//!
//! // Competition ranking: ties share the best rank; NaN is never ranked.
//! let ranks = healthy_city_score::rank(&[3.0, 5.0, 5.0, f64::NAN], None);
//! let ranks: Vec<Option<u32>> = ranks.into_iter().map(|r| r.map(|r| r.get())).collect();
//! assert_eq!(ranks, [Some(3), Some(1), Some(1), None]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aggregate;
mod audit;
mod bod;
mod compare;
mod denominate;
mod engine;
mod error;
mod impute;
mod levels;
mod lp;
mod normalise;
mod panel;
mod path;
mod plan;
mod rank;
#[cfg(test)]
mod reference;
mod results;
mod rng;
mod sensitivity;
mod stats;
#[cfg(test)]
mod testkit;
mod treat;
mod uncertainty;
mod weights;

pub use aggregate::domain_of;
pub use audit::{
    audit, Audit, AuditError, AuditInput, Availability, CorrelationRow, GroupAudit, SkewKurtRow,
    COLLINEAR,
};
pub use bod::{bod, BodResult};
pub use compare::{apply_scenario, compare, Comparison};
pub use engine::{Config, Engine, Scratch};
pub use error::{Error, Result};
pub use panel::Panel;
pub use path::{path_to_first, resolve_caps, robust_path_to_first, PathStep, PathToFirst, MARGIN};
pub use rank::{rank, round_score};
pub use results::{
    check, data_sets, score, score_with_data_sets, validate, DataSets, NodeInfo, Results, Unscored,
    Validated,
};
pub use rng::Rng;
pub use sensitivity::{
    sensitivity, sobol_indices, Objective, Sampler, SobolDesign, SobolIndex, SOBOL_MAX_ROWS,
};
pub use stats::{quantile, CorrMethod, Correlation, Pca};
pub use treat::{IndicatorTreatment, SkewKurt, TreatmentReport, WinsorisedPoint};
pub use uncertainty::{
    Analysis, Factor, NormalisationChoice, Observer, RankStats, WeightCell, WeightSet,
};
pub use weights::{EffectiveWeight, GroupWeights};
