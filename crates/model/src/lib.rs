//! The vocabulary and file formats of healthy-city, shared by every other crate.
//!
//! - [`Cities`]: the city registry (`indicators/cities.toml`), with each source's aliases.
//! - [`Catalogue`]: the indicator catalogue (`indicators/catalogue.toml`): units, directions, sources.
//! - [`Framework`]: an index definition (`indicators/frameworks/*.toml`): a tree of groups and
//!   indicators with weights and methods.
//! - [`Observations`]: long, tidy data (`city,indicator,year,value,source,flag,low,high`; the
//!   publisher's interval `low`, `high` optional) as CSV or Parquet.
//!
//! Every loader validates what it reads and reports each problem with its file, line and id.
//!
//! ```
//! use healthy_city_model::Framework;
//!
//! let framework = Framework::parse(r#"
//! [index]
//! id = "tiny"
//! name = "Tiny index"
//!
//! [[group]]
//! id = "index"
//!
//! [[indicator]]
//! id = "life_expectancy"
//! parent = "index"
//! "#, "tiny.toml").unwrap();
//! assert_eq!(framework.root().id, "index");
//! assert_eq!(framework.indicators().count(), 1);
//! ```

mod aggregation;
mod catalogue;
mod cities;
mod error;
mod framework;
mod normalisation;
mod observations;
mod parquet;
mod scenario;
mod weighting;

pub use catalogue::{Catalogue, Columns, Direction, Indicator, Level, SourceSpec};
pub use cities::{is_identifier, Cities, City};
pub use error::{Error, Problem, Result};
pub use framework::{
    Aggregation, Bounds, Coverage, DataSpec, Framework, Impute, ImputeGroup, IndicatorSpec,
    Methods, Missing, Node, NodeKind, Normalisation, Screen, Transform, Treatment, Weighting,
    WINSORISE_DEFAULT,
};
pub use observations::{
    interval_problem, Flag, Observation, Observations, COLUMNS, REQUIRED_COLUMNS,
};
pub use parquet::to_dataframe;
pub use scenario::{parse_method, DerivedWeights, MethodOverrides, Scenario};
