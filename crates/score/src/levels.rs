//! Group-level rules applied while a year is aggregated: groups that do not apply to some units
//! (`not_applicable`) and missing group scores filled from peers or earlier years (`impute` on
//! a group, COINr-style per-level imputation).
//!
//! A group not applicable to a unit weighs 0 for that unit: the unit is aggregated with a copy
//! of the plan in which the group's weight in its parent is 0, so the parent's weights are
//! renormalised over the other children whatever `missing` says, and the unit's effective
//! weights (coverage, proxy share) are those of that plan. Units sharing the same set of
//! not-applicable groups share one plan.
//!
//! A group's missing score is filled after the group is aggregated for every unit of the year,
//! before anything above it is: by the mean or median of the group's score over the units
//! scored that year (all, or those with the same value of a registry column), or by the unit's
//! own score of the group in its latest earlier year (not itself imputed, at most `max_age`
//! years before). The groups above are then aggregated again for that unit. Units the group
//! does not apply to, and units left unscored by a zero under a geometric mean below or at the
//! group, are never filled.

use std::borrow::Cow;
use std::collections::HashMap;

use healthy_city_model::{Cities, GroupImpute};

use crate::aggregate::{aggregate_year_noting, AggregateFailure, UnscoredAt};
use crate::error::{Error, Result};
use crate::impute::impute_column;
use crate::plan::{effective_weights, Plan};

/// How one group's missing scores are filled.
#[derive(Debug, Clone)]
struct Filling {
    /// Position of the group in `plan.groups`.
    index: usize,
    /// The method.
    method: GroupImpute,
    /// For group means and medians: each unit's group label (a unit without a value for the
    /// column is a group of its own).
    labels: Option<Vec<usize>>,
}

/// The group-level rules of a framework on a panel's units.
#[derive(Debug, Clone)]
pub(crate) struct GroupRules {
    /// The plan of each pattern of not-applicable groups (pattern 0: the framework's plan).
    pub plans: Vec<Plan>,
    /// The pattern of each unit.
    pub pattern: Vec<usize>,
    /// The group nodes each pattern leaves without a score: the groups not applicable and
    /// the groups below them.
    blanked: Vec<Vec<usize>>,
    /// The groups not applicable under each pattern.
    excluded: Vec<Vec<usize>>,
    fillings: Vec<Filling>,
}

impl GroupRules {
    /// The rules of `plan` for the units `ids` (panel order), or `None` when it has none.
    pub fn new(plan: &Plan, ids: &[String], cities: &Cities) -> Result<Option<Self>> {
        if plan
            .groups
            .iter()
            .all(|g| g.impute.is_none() && g.not_applicable.is_none())
        {
            return Ok(None);
        }
        // Which groups each unit is excluded from.
        let mut patterns: HashMap<Vec<usize>, usize> = HashMap::new();
        patterns.insert(Vec::new(), 0);
        let mut plans = vec![plan.clone()];
        let mut blanked = vec![Vec::new()];
        let mut excluded_of = vec![Vec::new()];
        let mut pattern = Vec::with_capacity(ids.len());
        for group in &plan.groups {
            if let Some(healthy_city_model::NotApplicable::Units(listed)) = &group.not_applicable {
                if let Some(unknown) = listed.iter().find(|id| cities.get(id).is_none()) {
                    return Err(Error::Setting {
                        key: format!("group `{}` not_applicable", plan.node_ids[group.node]),
                        message: format!(
                            "unit `{unknown}` is not in the registry `{}`: give unit ids from it",
                            cities.file()
                        ),
                    });
                }
            }
        }
        for id in ids {
            let excluded: Vec<usize> = plan
                .groups
                .iter()
                .filter(|g| {
                    g.not_applicable
                        .as_ref()
                        .is_some_and(|na| cities.get(id).is_some_and(|c| na.excludes(c)))
                })
                .map(|g| g.node)
                .collect();
            let next = patterns.len();
            let p = *patterns.entry(excluded.clone()).or_insert(next);
            if p == plans.len() {
                let copy = pattern_plan(plan, &excluded);
                if let Some(g) = copy
                    .groups
                    .iter()
                    .find(|g| !g.children.is_empty() && g.children.iter().all(|c| c.1 == 0.0))
                {
                    return Err(Error::Setting {
                        key: format!("unit `{id}`"),
                        message: format!(
                            "every child of group `{}` is not applicable to it: leave at least one child applicable, or leave the unit out of the peers",
                            plan.node_ids[g.node]
                        ),
                    });
                }
                plans.push(copy);
                blanked.push(
                    plan.groups
                        .iter()
                        .map(|g| g.node)
                        .filter(|&g| {
                            excluded
                                .iter()
                                .any(|&x| g == x || plan.ancestors(g).any(|a| a == x))
                        })
                        .collect(),
                );
                excluded_of.push(excluded.clone());
            }
            pattern.push(p);
        }
        let fillings = plan
            .groups
            .iter()
            .enumerate()
            .filter_map(|(index, g)| {
                let method = g.impute.clone()?;
                let labels = match &method {
                    GroupImpute::GroupMean { column } | GroupImpute::GroupMedian { column } => {
                        Some(crate::impute::labels(ids, cities, column))
                    }
                    _ => None,
                };
                Some(Filling {
                    index,
                    method,
                    labels,
                })
            })
            .collect();
        Ok(Some(GroupRules {
            plans,
            pattern,
            blanked,
            excluded: excluded_of,
            fillings,
        }))
    }

    /// The plan unit `c` is aggregated with.
    pub fn plan_of(&self, c: usize) -> &Plan {
        &self.plans[self.pattern[c]]
    }

    /// Whether a group fills its scores from the unit's earlier years (`latest`), which the
    /// replication engine, scoring one year, cannot do.
    pub fn uses_earlier_years(&self) -> bool {
        self.fillings
            .iter()
            .any(|f| matches!(f.method, GroupImpute::Latest { .. }))
    }

    /// Aggregates year slot `y` of `scores` (`[year][unit][node]`, the earlier years already
    /// aggregated) under the rules, every unit of the panel: see [`GroupRules::aggregate_block`].
    pub fn aggregate_year(
        &self,
        years: &[i32],
        y: usize,
        scores: &mut [f64],
        nc: usize,
        imputed: &mut [bool],
        unscored: &mut Vec<UnscoredAt>,
    ) -> std::result::Result<(), AggregateFailure> {
        let units: Vec<usize> = (0..nc).collect();
        let plans: Vec<Cow<'_, Plan>> = self.plans.iter().map(Cow::Borrowed).collect();
        self.aggregate_block(&plans, &units, years, y, scores, imputed, unscored)
    }

    /// The plan of each pattern from `base` (a replication's plan): `base` less the pattern's
    /// groups not applicable.
    pub fn pattern_plans<'p>(&self, base: &'p Plan) -> Vec<Cow<'p, Plan>> {
        self.excluded
            .iter()
            .map(|excluded| {
                if excluded.is_empty() {
                    Cow::Borrowed(base)
                } else {
                    Cow::Owned(pattern_plan(base, excluded))
                }
            })
            .collect()
    }

    /// Aggregates year slot `y` of `scores` (`[year][row][node]`, row `k` the panel unit
    /// `units[k]`, the earlier years already aggregated) with `plans`, one per pattern (the
    /// framework's, or [`GroupRules::pattern_plans`] of a replication's; the first is the
    /// base plan): each pattern's units with its plan, then the fillings in tree order. Sets `imputed` (same layout as `scores`)
    /// where a group score was filled and appends to `unscored` (units by row).
    #[allow(clippy::too_many_arguments)]
    pub fn aggregate_block(
        &self,
        plans: &[Cow<'_, Plan>],
        units: &[usize],
        years: &[i32],
        y: usize,
        scores: &mut [f64],
        imputed: &mut [bool],
        unscored: &mut Vec<UnscoredAt>,
    ) -> std::result::Result<(), AggregateFailure> {
        let nc = units.len();
        let base: &Plan = &plans[0];
        let nn = base.n_nodes();
        let pattern_of = |k: usize| self.pattern[units[k]];
        let plan_of = |k: usize| -> &Plan { &plans[pattern_of(k)] };
        let (before, rest) = scores.split_at_mut(y * nc * nn);
        let block = &mut rest[..nc * nn];
        let first = unscored.len();
        // Each pattern's units, gathered into a block of their own.
        let mut rows = Vec::new();
        let mut local = Vec::new();
        for (p, plan) in plans.iter().enumerate() {
            let members: Vec<usize> = (0..nc).filter(|&k| pattern_of(k) == p).collect();
            if members.is_empty() {
                continue;
            }
            rows.clear();
            for &k in &members {
                rows.extend_from_slice(&block[k * nn..(k + 1) * nn]);
            }
            local.clear();
            aggregate_year_noting(plan, &mut rows, members.len(), 0, &mut local).map_err(|f| {
                AggregateFailure {
                    city: members[f.city],
                    ..f
                }
            })?;
            for (m, &k) in members.iter().enumerate() {
                block[k * nn..(k + 1) * nn].copy_from_slice(&rows[m * nn..(m + 1) * nn]);
                // A group that does not apply has no score for the unit (its parent took no
                // part of it).
                for &g in &self.blanked[p] {
                    block[k * nn + g] = f64::NAN;
                }
            }
            unscored.extend(local.iter().map(|u| UnscoredAt {
                city: members[u.city],
                ..*u
            }));
        }
        for filling in &self.fillings {
            let g = base.groups[filling.index].node;
            // Units that may be filled: missing, the group applicable, nothing at or below it
            // left unscored.
            let fillable: Vec<bool> = (0..nc)
                .map(|k| {
                    block[k * nn + g].is_nan()
                        && applicable_to(plan_of(k), g)
                        && !unscored[first..].iter().any(|u| {
                            u.city == k && (u.node == g || base.ancestors(u.node).any(|a| a == g))
                        })
                })
                .collect();
            if !fillable.iter().any(|&f| f) {
                continue;
            }
            let mut column: Vec<f64> = (0..nc)
                .map(|k| {
                    if fillable[k] || !applicable_to(plan_of(k), g) {
                        f64::NAN
                    } else {
                        block[k * nn + g]
                    }
                })
                .collect();
            let filled: Vec<bool> = match &filling.method {
                GroupImpute::Latest { max_age } => (0..nc)
                    .map(|k| {
                        if !fillable[k] {
                            return false;
                        }
                        let found = (0..y).rev().find(|&earlier| {
                            let at = (earlier * nc + k) * nn + g;
                            let old_enough = max_age.is_none_or(|a| {
                                i64::from(years[y]) - i64::from(years[earlier]) <= i64::from(a)
                            });
                            old_enough && !before[at].is_nan() && !imputed[at]
                        });
                        match found {
                            Some(earlier) => {
                                column[k] = before[(earlier * nc + k) * nn + g];
                                true
                            }
                            None => false,
                        }
                    })
                    .collect(),
                method => {
                    let median = matches!(
                        method,
                        GroupImpute::Median | GroupImpute::GroupMedian { .. }
                    );
                    let labels: Option<Vec<usize>> = filling
                        .labels
                        .as_ref()
                        .map(|l| units.iter().map(|&u| l[u]).collect());
                    impute_column(&mut column, labels.as_deref(), median)
                        .into_iter()
                        .zip(&fillable)
                        .map(|(f, &ok)| f && ok)
                        .collect()
                }
            };
            for k in (0..nc).filter(|&k| filled[k]) {
                let row = &mut block[k * nn..(k + 1) * nn];
                row[g] = column[k];
                imputed[(y * nc + k) * nn + g] = true;
                // The groups above, again, for this unit.
                local.clear();
                aggregate_year_noting(plan_of(k), row, 1, filling.index + 1, &mut local)
                    .map_err(|f| AggregateFailure { city: k, ..f })?;
                for u in &local {
                    if !unscored[first..]
                        .iter()
                        .any(|v| v.city == k && v.node == u.node)
                    {
                        unscored.push(UnscoredAt { city: k, ..*u });
                    }
                }
            }
        }
        Ok(())
    }
}

/// `base` with the groups `excluded` weighing 0 in their parents, its effective weights
/// recomputed.
fn pattern_plan(base: &Plan, excluded: &[usize]) -> Plan {
    let mut copy = base.clone();
    for group in &mut copy.groups {
        for child in &mut group.children {
            if excluded.contains(&child.0) {
                child.1 = 0.0;
            }
        }
    }
    copy.effective = effective_weights(&copy);
    copy
}

/// Whether group `g` has a positive weight in its parent under `plan` (the root always).
fn applicable_to(plan: &Plan, g: usize) -> bool {
    plan.parents[g].is_none_or(|parent| {
        plan.groups
            .iter()
            .find(|gp| gp.node == parent)
            .is_some_and(|gp| gp.children.iter().any(|&(k, w)| k == g && w > 0.0))
    })
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use healthy_city_model::{Catalogue, Cities, Framework, Observations};

    use crate::{score, Results};

    fn units(attributes: &[(&str, &str)]) -> Cities {
        let mut text = String::from("id,name,income\n");
        for (id, income) in attributes {
            let _ = writeln!(text, "{id},{},{income}", id.to_uppercase());
        }
        Cities::parse_csv(&text, "units.csv").unwrap()
    }

    fn run(framework: &str, cities: &Cities, data: &str) -> Results {
        let mut catalogue = String::from("id,direction\n");
        for id in ["x", "y", "z"] {
            let _ = writeln!(catalogue, "{id},higher");
        }
        score(
            &Framework::parse(framework, "f.toml").unwrap(),
            &Catalogue::parse_csv(&catalogue, "k.csv").unwrap(),
            cities,
            &Observations::from_csv(data.as_bytes(), "o.csv").unwrap(),
        )
        .unwrap()
    }

    fn node(r: &Results, id: &str) -> usize {
        r.nodes.iter().position(|n| n.id == id).unwrap()
    }

    const TWO_GROUPS: &str = "[index]\nid = \"t\"\nname = \"T\"\nMETHODS\n[[group]]\nid = \"index\"\n[[group]]\nid = \"gx\"\nparent = \"index\"\n[[group]]\nid = \"gy\"\nparent = \"index\"\nGY\n[[indicator]]\nid = \"x\"\nparent = \"gx\"\n[[indicator]]\nid = \"y\"\nparent = \"gy\"\n";

    #[test]
    fn latest_fills_a_group_from_the_unit_s_own_earlier_observed_score_within_max_age() {
        // Min-max over the panel to 0-100: x 0..40 gives a 0, 25, 50 and b 25, 50, 100; y 0..40
        // gives a 0, 50, 100 and b 100 in 2019 only. b's gy in 2020 is its 2019 score, 100
        // (one year old); in 2021 the observed score is two years old, past max_age = 1, and
        // the 2020 one is itself imputed: left missing.
        let framework = TWO_GROUPS
            .replace("METHODS", "")
            .replace("GY", "impute = { method = \"latest\", max_age = 1 }");
        let data = "city,indicator,year,value\na,x,2019,0\na,x,2020,10\na,x,2021,20\nb,x,2019,10\nb,x,2020,20\nb,x,2021,40\na,y,2019,0\na,y,2020,20\na,y,2021,40\nb,y,2019,40\n";
        let r = run(&framework, &units(&[("a", ""), ("b", "")]), data);
        let (index, gy) = (node(&r, "index"), node(&r, "gy"));
        // Tolerance 1e-12: exact halves and quarters.
        assert!((r.score(1, 1, gy) - 100.0).abs() < 1e-12);
        assert!(r.group_imputed(1, 1, gy) && !r.group_imputed(0, 1, gy));
        assert!((r.score(1, 1, index) - 75.0).abs() < 1e-12);
        assert!(r.score(2, 1, gy).is_nan() && !r.group_imputed(2, 1, gy));
        // The index skips the missing group: gx alone, 100.
        assert!((r.score(2, 1, index) - 100.0).abs() < 1e-12);
        // Coverage counts the imputed group as present: 1 in 2020, 1/2 in 2021.
        assert!((r.coverage(1, 1) - 1.0).abs() < 1e-12);
        assert!((r.coverage(2, 1) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn group_median_by_an_attribute_fills_from_the_units_sharing_its_value() {
        // z over a, b, d: 0, 10, 30 -> 0, 33.33, 100 (min-max 0..30). c (high income) takes
        // the median of a and b, (0 + 100/3) / 2 = 50/3; d, alone in its group, is observed.
        let framework = "[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\n[[group]]\nid = \"g\"\nparent = \"index\"\nimpute = { method = \"group_median\", group = \"income\" }\n[[indicator]]\nid = \"z\"\nparent = \"g\"\n[[indicator]]\nid = \"x\"\nparent = \"index\"\n";
        let data = "city,indicator,year,value\na,z,2020,0\nb,z,2020,10\nd,z,2020,30\na,x,2020,1\nb,x,2020,2\nc,x,2020,3\nd,x,2020,4\n";
        let cities = units(&[("a", "hi"), ("b", "hi"), ("c", "hi"), ("d", "lo")]);
        let r = run(framework, &cities, data);
        let g = node(&r, "g");
        // Tolerance 1e-12: one division by 3.
        assert!(
            (r.score(0, 2, g) - 50.0 / 3.0).abs() < 1e-12,
            "{}",
            r.score(0, 2, g)
        );
        assert!(r.group_imputed(0, 2, g));
        assert!(!r.group_imputed(0, 3, g));
    }

    #[test]
    fn a_group_that_does_not_apply_is_left_out_even_when_missing_children_propagate() {
        // gy does not apply to b, though b has a y value: its index is gx alone (x 0..10:
        // a 0, b 100), and with c's missing y under `missing = "propagate"` an applicable
        // missing group still empties the index; b's coverage is whole.
        let framework = TWO_GROUPS
            .replace("METHODS", "[methods]\nmissing = \"propagate\"\n")
            .replace("GY", "not_applicable = [\"b\"]");
        let data = "city,indicator,year,value\na,x,2020,0\nb,x,2020,10\na,y,2020,5\nb,y,2020,9\nc,x,2020,5\n";
        let r = run(&framework, &units(&[("a", ""), ("b", ""), ("c", "")]), data);
        let (index, gy) = (node(&r, "index"), node(&r, "gy"));
        assert!((r.score(0, 1, index) - 100.0).abs() < 1e-12);
        assert!(r.score(0, 1, gy).is_nan());
        assert!((r.coverage(0, 1) - 1.0).abs() < 1e-12);
        // c lacks y too, but gy applies to it: propagated, no index.
        assert!(r.score(0, 2, index).is_nan());
        let err = crate::score(
            &Framework::parse(
                &TWO_GROUPS
                    .replace("METHODS", "")
                    .replace("GY", "not_applicable = [\"zz\"]"),
                "f.toml",
            )
            .unwrap(),
            &Catalogue::parse_csv("id,direction\nx,higher\ny,higher\n", "k.csv").unwrap(),
            &units(&[("a", ""), ("b", "")]),
            &Observations::from_csv(data.replace("c,x,2020,5\n", "").as_bytes(), "o.csv").unwrap(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unit `zz` is not in the registry"), "{err}");
    }

    /// The nominal replication of the engine equals `score` on a framework with both rules:
    /// a group filled from its peers (mean of the others that year) and a group not applicable
    /// to one unit; a `latest` fill is refused, naming the group.
    #[test]
    fn the_engine_replicates_group_rules_as_score_applies_them() {
        let framework = "[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\n[[group]]\nid = \"gx\"\nparent = \"index\"\nnot_applicable = { column = \"income\", equals = \"lo\" }\n[[group]]\nid = \"gy\"\nparent = \"index\"\nimpute = \"mean\"\n[[indicator]]\nid = \"x\"\nparent = \"gx\"\n[[indicator]]\nid = \"y\"\nparent = \"gy\"\n[[indicator]]\nid = \"z\"\nparent = \"index\"\n";
        let data = "city,indicator,year,value\na,x,2020,0\nb,x,2020,10\nc,x,2020,4\nd,x,2020,7\na,y,2020,3\nb,y,2020,1\nd,y,2020,9\na,z,2020,1\nb,z,2020,2\nc,z,2020,3\nd,z,2020,4\n";
        let cities = units(&[("a", "hi"), ("b", "hi"), ("c", "hi"), ("d", "lo")]);
        let r = run(framework, &cities, data);
        let f = Framework::parse(framework, "f.toml").unwrap();
        let k =
            Catalogue::parse_csv("id,direction\nx,higher\ny,higher\nz,higher\n", "k.csv").unwrap();
        let o = Observations::from_csv(data.as_bytes(), "o.csv").unwrap();
        let engine = crate::Engine::build(&f, &k, &cities, &o, None, &[]).unwrap();
        let mut s = engine.scratch();
        engine.evaluate(&engine.nominal(), &mut s).unwrap();
        let index = node(&r, "index");
        assert_eq!(engine.cities.len(), 4);
        for (peer, id) in engine.cities.iter().enumerate() {
            let c = r.cities.iter().position(|x| x == id).unwrap();
            // The same operations in the same order: equal to the bit.
            assert_eq!(
                s.root_scores()[peer].to_bits(),
                r.score(0, c, index).to_bits(),
                "{id}"
            );
        }
        // c's gy was filled, d's gx does not apply.
        assert!(r.group_imputed(0, 2, node(&r, "gy")));
        assert!(r.score(0, 3, node(&r, "gx")).is_nan());
        let latest = framework.replace("impute = \"mean\"", "impute = \"latest\"");
        let err = crate::Engine::build(
            &Framework::parse(&latest, "f.toml").unwrap(),
            &k,
            &cities,
            &o,
            None,
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("group `gy`: the replication engine"),
            "{err}"
        );
    }
}
