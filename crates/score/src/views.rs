//! Read-only views of the entry points' results for the presentation layer, so that the CLI
//! and the report crate need not know the compiled plan's layout.

use healthy_city_model::{Catalogue, Framework};

use crate::engine::Engine;
use crate::error::Result;
use crate::plan::Plan;

/// Checks that a framework compiles against its catalogue (what `score` would refuse), without
/// scoring.
pub fn check_framework(framework: &Framework, catalogue: &Catalogue) -> Result<()> {
    Plan::compile(framework, catalogue).map(|_| ())
}

impl Engine {
    /// Id of every node slot (groups and indicators, the index included).
    pub fn node_ids(&self) -> &[String] {
        &self.plan.node_ids
    }

    /// The index's node slot.
    pub fn root(&self) -> usize {
        self.plan.root
    }

    /// Id of indicator slot `i`.
    pub fn indicator_id(&self, i: usize) -> &str {
        &self.plan.indicators[i].id
    }
}
