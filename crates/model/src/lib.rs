//! The vocabulary and file formats of healthy-city, shared by every other crate.
//!
//! - [`Cities`]: the city registry (`indicators/cities.toml`), with each source's aliases.
//! - [`Catalogue`]: the indicator catalogue (`indicators/catalogue.toml`): units, directions, sources.
//! - [`Framework`]: an index definition (`indicators/frameworks/*.toml`): a tree of groups and
//!   indicators with weights and methods.
//! - [`Observations`]: long, tidy data (`city,indicator,year,value,source,flag,low,high,level`;
//!   the publisher's interval `low`, `high` and the value's [`Level`] optional) as CSV or
//!   Parquet.
//!
//! Every loader validates what it reads and reports each problem with its file, line and id.
//! Numbers must be finite and in range (see the [`limits`](crate::MAX_MAGNITUDE) constants):
//! values and goalposts at most 1e15 in magnitude, weights 0 to 1e12, the generalised mean's
//! `p` at most 1000 in magnitude. Years must be whole numbers from 1800 to 2100; set the
//! environment variable `HEALTHY_CITY_YEARS=FIRST-LAST` (e.g. `HEALTHY_CITY_YEARS=1700-2200`)
//! for another range ([`year_range`]). Values from input echoed in messages go through
//! [`echo`]: control characters escaped, long values cut.
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
mod limits;
mod normalisation;
mod observations;
mod parquet;
#[cfg(test)]
mod robustness_tests;
mod scenario;
mod sheet;
mod table_parquet;
mod weighting;

pub use catalogue::{Catalogue, Columns, Direction, Indicator, Level, SourceSpec, NOT_GIVEN};
pub use cities::{is_identifier, Cities, City, RESERVED_ATTRIBUTES};
pub use error::{
    echo, escape_controls, is_unsafe, Error, Problem, Result, ECHO_KEPT, ECHO_MAX, PROBLEMS_LISTED,
};
pub use framework::{
    Aggregation, Bounds, Coverage, DataSpec, Framework, GroupImpute, Impute, ImputeGroup,
    IndicatorSpec, Methods, Missing, Node, NodeKind, Nonpositive, Normalisation, NotApplicable,
    ReferenceRank, ReportSpec, Screen, Transform, Treatment, Weighting, WINSORISE_DEFAULT,
};
pub use limits::{
    accepted_years, magnitude_problem, year_range, years_text, DEFAULT_YEARS, MAX_LAMBDA,
    MAX_MAGNITUDE, MAX_POWER, MAX_ROUND, MAX_THRESHOLD, MAX_WEIGHT, MAX_WINMAX, YEARS_VARIABLE,
};
pub use observations::{
    interval_problem, Flag, Observation, Observations, Text, COLUMNS, REQUIRED_COLUMNS,
};
pub use parquet::{
    catch_decoder_panic, parquet_columns, read_parquet_frame, to_dataframe, ColumnKind,
    ParquetColumn,
};
pub use scenario::{parse_method, DerivedWeights, MethodOverrides, Scenario};
pub use table_parquet::{ParquetKind, ParquetRows, ParquetValue};
