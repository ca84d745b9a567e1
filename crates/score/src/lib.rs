//! The scoring engine of healthy-city: normalise, weight, aggregate and rank a framework's
//! indicators, year by year, on contiguous f64 matrices (cities x indicators).
//!
//! - [`score`] runs the whole pipeline on a [`Framework`](healthy_city_model::Framework) and
//!   [`Observations`](healthy_city_model::Observations) and returns [`Results`].
//! - [`Panel`] lays observations out as one `cities x indicators` matrix per year.
//! - [`Plan`] is a framework compiled for the hot loop; [`aggregate`] builds one city's tree.
//! - [`normalise`] and [`rank`] are the individual steps.
//! - [`resolve_weights`] derives PCA and optimised group weights from the data; [`bod`]
//!   (benefit of the doubt, by [`simplex_max`]), [`pca_weights`], [`optimise_weights`] and
//!   [`effective_weight_table`] are the weighting methods on their own.
//!
//! The engine never touches the network and never reads files: it takes parsed inputs.
//!
//! ```
//! use healthy_city_score::rank;
//!
//! // Competition ranking: ties share the best rank; NaN is never ranked.
//! assert_eq!(rank(&[3.0, 5.0, 5.0, f64::NAN], None), [Some(3), Some(1), Some(1), None]);
//! ```

mod aggregate;
mod audit;
mod bod;
mod compare;
mod denominate;
mod engine;
mod error;
mod impute;
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

pub use audit::{
    audit, Audit, AuditError, AuditInput, Availability, CorrelationRow, GroupAudit, SkewKurtRow,
    COLLINEAR,
};
pub use bod::{bod, BodResult};
pub use compare::{apply_scenario, compare, Comparison};
pub use engine::{Config, Engine, Scratch};
pub use error::{Error, Result};
pub use panel::Panel;
pub use path::{path_to_first, robust_path_to_first, PathStep, PathToFirst, MARGIN};
pub use rank::rank;
pub use results::{check, data_sets, score, DataSets, NodeInfo, Results};
pub use rng::Rng;
pub use sensitivity::{sobol_indices, Sampler, SobolIndex, SOBOL_MAX_ROWS};
pub use stats::{quantile, CorrMethod, Correlation, Pca};
pub use treat::{IndicatorTreatment, SkewKurt, TreatmentReport, WinsorisedPoint};
pub use uncertainty::{Analysis, Factor, Observer, RankStats, WeightCell};
pub use weights::{EffectiveWeight, GroupWeights};
