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

mod audit;
mod compare;
mod denominate;
mod engine;
mod error;
mod impute;
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
#[cfg(test)]
mod testkit;
mod treat;
mod uncertainty;
mod views;
mod weights;

pub use audit::{
    audit, average_ranks, correlate, correlation_p_value, cronbach_alpha, pca, pearson, spearman,
    Audit, AuditError, AuditInput, Availability, CorrMethod, Correlation, CorrelationRow,
    GroupAudit, Pca, SkewKurtRow, COLLINEAR,
};
pub use compare::{apply_scenario, compare, Comparison};
pub use denominate::denominate;
pub use engine::{Config, Engine, Scratch};
pub use error::{Error, Result};
pub use impute::{impute, impute_column, impute_series};
pub use normalise::{normalise, normalise_indicator, transform};
pub use panel::Panel;
pub use path::{path_to_first, resolve_caps, robust_path_to_first, PathStep, PathToFirst, MARGIN};
pub use plan::{
    actual_weights, aggregate, aggregate_year, domain_of, AggregateFailure, GroupPlan,
    IndicatorPlan, Plan,
};
pub use rank::rank;
pub use results::{score, NodeInfo, Results};
pub use rng::Rng;
pub use sensitivity::{
    sensitivity, sobol_indices, Objective, Sampler, SobolDesign, SobolIndex, SOBOL_MAX_ROWS,
};
pub use treat::{
    skew_kurt, treat, treat_indicator, IndicatorTreatment, SkewKurt, TreatmentReport,
    WinsorisedPoint,
};
pub use uncertainty::{Analysis, Factor, Observer, RankStats, WeightCell};
pub use views::check_framework;
pub use weights::{
    balance_objective, bod, correlations_with_aggregate, effective_weight_table, effective_weights,
    optimise_weights, pca_column_weights, resolve_weights, simplex_max, BodResult, EffectiveWeight,
    GroupWeights, LpSolution, OptimisedWeights, PcaWeights, ResolveFailure,
};
