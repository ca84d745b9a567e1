//! `healthy-city run`: the one-command main job on the embedded index. Scores every year,
//! writes the ranking, scores, weights and treatment tables and three charts (London's
//! trajectory and profile unless another focus is given), prints the latest ranking. The same
//! path as `score` ([`crate::score::score_and_publish`]), without the intermediate data sets.

use anyhow::Result;

use crate::args::RunArgs;
use crate::score::{score_and_publish, Job};

pub fn run(args: &RunArgs) -> Result<()> {
    score_and_publish(&Job {
        input: &args.input,
        scenario: args.publish.scenario.as_deref(),
        year: None,
        out: &args.publish.out,
        city: args.city.as_deref(),
        implicit_city: Some("London"),
        no_charts: args.publish.no_charts,
        tables: args.publish.tables,
        format: args.format,
        data_table: false,
    })
}
