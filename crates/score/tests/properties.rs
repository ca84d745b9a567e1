//! Property tests (proptest): invariants of normalisation, aggregation, ranking and benefit of
//! the doubt on random small panels.

use std::fmt::Write as _;

use healthy_city_model::{Catalogue, Cities, Framework, Observations};
use healthy_city_score::{bod, rank, score, Results};
use proptest::prelude::*;

/// A random one-year panel: `values[city][indicator]` (NaN = missing), and a direction per
/// indicator (`true` = higher is better). Values on a coarse grid so that ties occur.
fn panel() -> impl Strategy<Value = (Vec<Vec<f64>>, Vec<bool>)> {
    (3usize..8, 2usize..5).prop_flat_map(|(n, k)| {
        (
            prop::collection::vec(
                prop::collection::vec(
                    prop_oneof![9 => (0u32..40).prop_map(|v| f64::from(v) * 0.5), 1 => Just(f64::NAN)],
                    k,
                ),
                n,
            ),
            prop::collection::vec(any::<bool>(), k),
        )
    })
}

/// Scores the panel (`None` on an error, e.g. a constant indicator): indicators alternate between two groups under the index; `methods` is
/// added to `[methods]`. `order` is the order of the cities in the registry, `rows` the order
/// of the observation rows.
fn run(
    values: &[Vec<f64>],
    higher: &[bool],
    methods: &str,
    order: &[usize],
    rows: Option<&[usize]>,
) -> Option<Results> {
    let mut f = format!("[index]\nid = \"p\"\nname = \"P\"\n[methods]\n{methods}\n[[group]]\nid = \"index\"\n[[group]]\nid = \"g0\"\nparent = \"index\"\n[[group]]\nid = \"g1\"\nparent = \"index\"\n");
    let mut c = String::new();
    for (i, &h) in higher.iter().enumerate() {
        write!(f, "[[indicator]]\nid = \"x{i}\"\nparent = \"g{}\"\n", i % 2).unwrap();
        let direction = if h { "higher" } else { "lower" };
        write!(c, "[[indicator]]\nid = \"x{i}\"\nname = \"X\"\nunit = \"u\"\ndirection = \"{direction}\"\nlevel = \"city\"\nsource = {{ adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n").unwrap();
    }
    let mut cities = String::new();
    for &city in order {
        write!(cities, "[[city]]\nid = \"c{city}\"\nname = \"C{city}\"\ncountry = \"AAA\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n").unwrap();
    }
    let mut lines: Vec<String> = Vec::new();
    for (city, row) in values.iter().enumerate() {
        for (i, v) in row.iter().enumerate().filter(|(_, v)| !v.is_nan()) {
            lines.push(format!("c{city},x{i},2020,{v},s,"));
        }
    }
    let ordered: Vec<&str> = match rows {
        Some(perm) => perm.iter().map(|&r| lines[r].as_str()).collect(),
        None => lines.iter().map(String::as_str).collect(),
    };
    let data = format!(
        "city,indicator,year,value,source,flag\n{}\n",
        ordered.join("\n")
    );
    score(
        &Framework::parse(&f, "p.toml").unwrap(),
        &Catalogue::parse(&c, "c.toml").unwrap(),
        &Cities::parse(&cities, "cities.toml").unwrap(),
        &Observations::from_csv(data.as_bytes(), "obs.csv").unwrap(),
    )
    .ok()
}

fn node(r: &Results, id: &str) -> usize {
    r.nodes.iter().position(|n| n.id == id).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every order-preserving normalisation keeps the order of raw values in the good
    /// direction: `x_a < x_b` gives `n_a <= n_b` (higher is better) or `n_a >= n_b` (lower).
    #[test]
    fn normalisation_is_monotone_in_the_good_direction(
        (values, higher) in panel(),
        method in prop::sample::select(vec!["minmax", "zscore", "dist2max", "rank", "prank", "borda"]),
    ) {
        let n = values.len();
        let order: Vec<usize> = (0..n).collect();
        let r = run(&values, &higher, &format!("normalisation = \"{method}\""), &order, None);
        // A constant indicator (or one with too few values) is an error, not a property.
        prop_assume!(r.is_some());
        let r = r.unwrap();
        for (i, &h) in higher.iter().enumerate() {
            let x = node(&r, &format!("x{i}"));
            for a in 0..n {
                for b in 0..n {
                    let (va, vb) = (values[a][i], values[b][i]);
                    if va.is_nan() || vb.is_nan() || va >= vb {
                        continue;
                    }
                    let (sa, sb) = (
                        r.score(0, r.city_slot(&format!("c{a}")).unwrap(), x),
                        r.score(0, r.city_slot(&format!("c{b}")).unwrap(), x),
                    );
                    if h {
                        prop_assert!(sa <= sb, "{method} x{i}: {va} -> {sa}, {vb} -> {sb}");
                    } else {
                        prop_assert!(sa >= sb, "{method} x{i}: {va} -> {sa}, {vb} -> {sb}");
                    }
                }
            }
        }
    }

    /// Scores and ranks of every city and node are the same whatever the order of the
    /// observation rows and of the cities in the registry (tolerance 1e-12, ranks exact).
    #[test]
    fn scores_and_ranks_do_not_depend_on_row_or_city_order(
        (values, higher) in panel(),
        seed in any::<u64>(),
        aggregation in prop::sample::select(vec!["arithmetic", "geometric", "copeland", "ampi"]),
    ) {
        let n = values.len();
        let methods = format!("scale = [1, 100]\naggregation = \"{aggregation}\"");
        let order: Vec<usize> = (0..n).collect();
        let a = run(&values, &higher, &methods, &order, None);
        prop_assume!(a.is_some());
        let a = a.unwrap();
        // A deterministic Fisher-Yates shuffle from the seed (xorshift).
        let n_rows = values.iter().flatten().filter(|v| !v.is_nan()).count();
        let mut rows: Vec<usize> = (0..n_rows).collect();
        let mut state = seed | 1;
        for i in (1..rows.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            rows.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let reversed: Vec<usize> = (0..n).rev().collect();
        let b = run(&values, &higher, &methods, &reversed, Some(&rows)).unwrap();
        for city in 0..n {
            let id = format!("c{city}");
            let (Some(ca), Some(cb)) = (a.city_slot(&id), b.city_slot(&id)) else {
                prop_assert_eq!(a.city_slot(&id).is_some(), b.city_slot(&id).is_some());
                continue;
            };
            for node in 0..a.nodes.len() {
                let (sa, sb) = (a.score(0, ca, node), b.score(0, cb, node));
                prop_assert!(
                    (sa.is_nan() && sb.is_nan()) || (sa - sb).abs() <= 1e-12,
                    "{} {}: {} vs {}", id, a.nodes[node].id, sa, sb
                );
                prop_assert_eq!(a.rank(0, ca, node), b.rank(0, cb, node));
            }
        }
    }

    /// A city that improves one indicator in its good direction never loses index score
    /// under min-max normalisation with arithmetic or geometric aggregation (1e-9).
    #[test]
    fn improving_an_indicator_never_lowers_the_city_score(
        (values, higher) in panel(),
        pick in any::<(usize, usize)>(),
        step in 1u32..20,
        aggregation in prop::sample::select(vec!["arithmetic", "geometric"]),
    ) {
        let (n, k) = (values.len(), higher.len());
        let (city, i) = (pick.0 % n, pick.1 % k);
        prop_assume!(!values[city][i].is_nan());
        let methods = format!("scale = [1, 100]\naggregation = \"{aggregation}\"");
        let order: Vec<usize> = (0..n).collect();
        let before = run(&values, &higher, &methods, &order, None);
        prop_assume!(before.is_some());
        let before = before.unwrap();
        let mut better = values.clone();
        let delta = f64::from(step) * 0.5;
        better[city][i] += if higher[i] { delta } else { -delta };
        // Improving can make an indicator constant (one city left to catch up with): an
        // error, not a property. Regression: proptest found `x1 = [NaN, NaN, 11, 6]` with the
        // 6 raised to 11, and the test unwrapped the error.
        let after = run(&better, &higher, &methods, &order, None);
        prop_assume!(after.is_some());
        let after = after.unwrap();
        let id = format!("c{city}");
        let (sb, sa) = (
            before.score(0, before.city_slot(&id).unwrap(), before.root),
            after.score(0, after.city_slot(&id).unwrap(), after.root),
        );
        prop_assert!(sa >= sb - 1e-9, "{sb} -> {sa}");
    }

    /// Competition ranks: NaN is unranked, every other score gets `1 + the number of scores
    /// above it`, so ranks lie in `1..=n` (n = scores present) and the best is 1.
    #[test]
    fn ranks_are_competition_ranks_in_one_to_n(
        scores in prop::collection::vec(prop_oneof![4 => (0u32..20).prop_map(f64::from), 1 => Just(f64::NAN)], 0..30),
    ) {
        let ranks: Vec<Option<u32>> = rank(&scores, None)
            .into_iter()
            .map(|r| r.map(std::num::NonZeroU32::get))
            .collect();
        let present = scores.iter().filter(|s| !s.is_nan()).count() as u32;
        for (s, r) in scores.iter().zip(&ranks) {
            if s.is_nan() {
                prop_assert_eq!(*r, None);
            } else {
                let above = scores.iter().filter(|t| **t > *s).count() as u32;
                prop_assert_eq!(*r, Some(above + 1));
                prop_assert!((1..=present).contains(&r.unwrap()));
            }
        }
        if present > 0 {
            prop_assert!(ranks.contains(&Some(1)));
        }
    }

    /// Benefit of the doubt on random non-negative data: every score in [0, 1], every
    /// solution feasible (no city above 1 under a city's weights), and a city that is the
    /// (positive) best on some indicator scores exactly 1.
    #[test]
    fn bod_scores_lie_in_zero_one_and_the_best_on_any_indicator_score_one(
        (n, k, x) in (2usize..8, 1usize..5).prop_flat_map(|(n, k)| {
            (Just(n), Just(k), prop::collection::vec((0u32..100).prop_map(f64::from), n * k))
        }),
    ) {
        let r = bod(&x, n, k, [0.0, 1.0]);
        for (c, res) in r.iter().enumerate() {
            prop_assert!((0.0..=1.0).contains(&res.score), "{}", res.score);
            for j in 0..n {
                let v: f64 = (0..k).map(|i| res.weights[i] * x[j * k + i]).sum();
                prop_assert!(v <= 1.0 + 1e-9);
            }
            let best = (0..k).any(|i| {
                x[c * k + i] > 0.0 && (0..n).all(|j| x[j * k + i] <= x[c * k + i])
            });
            if best {
                prop_assert_eq!(res.score, 1.0);
            }
        }
    }
}

/// Every method the framework format offers, one variant each: `(name, [methods] lines,
/// weights of the two groups, weights of the index)`. Each normalisation, treatment,
/// aggregation and weighting is checked with the others at their defaults (min-max on
/// `[1, 100]`, so that geometric and harmonic means get positive values).
fn variants() -> Vec<(String, String, &'static str, &'static str)> {
    let mut out = Vec::new();
    let normalisations = [
        "\"minmax\"",
        "{ method = \"zscore\", mean = 10, sd = 2 }",
        "\"goalposts\"",
        "\"scaled\"",
        "\"dist2max\"",
        "{ method = \"dist2ref\", city = \"c0\" }",
        "{ method = \"dist2ref\", city = \"c0\", cap_max = true }",
        "\"dist2targ\"",
        "{ method = \"dist2targ\", cap_max = true }",
        "\"fracmax\"",
        "\"rank\"",
        "\"prank\"",
        "\"borda\"",
    ];
    for n in normalisations {
        for bounds in ["panel", "year"] {
            out.push((
                format!("normalisation {n}, bounds {bounds}"),
                format!("normalisation = {n}\nbounds = \"{bounds}\""),
                "explicit",
                "explicit",
            ));
        }
    }
    let treatments = [
        "\"none\"",
        "\"winsorise\"",
        "{ method = \"winsorise\", winmax = 1 }",
        "\"log\"",
        "{ method = \"boxcox\", lambda = 0.5 }",
        "{ method = \"boxcox\", lambda = 0 }",
    ];
    for t in treatments {
        for n in [
            "\"minmax\"",
            "\"rank\"",
            "{ method = \"zscore\", mean = 10, sd = 2 }",
        ] {
            out.push((
                format!("treatment {t}, normalisation {n}"),
                format!("scale = [1, 100]\ntreatment = {t}\nnormalisation = {n}"),
                "explicit",
                "explicit",
            ));
        }
    }
    let aggregations = [
        "\"arithmetic\"",
        "\"geometric\"",
        "\"harmonic\"",
        "{ method = \"generalised\", p = 2 }",
        "{ method = \"generalised\", p = -1 }",
        "\"mpi\"",
        "\"ampi\"",
        "\"copeland\"",
    ];
    for a in aggregations {
        for missing in ["skip", "propagate"] {
            out.push((
                format!("aggregation {a}, missing {missing}"),
                format!("scale = [1, 100]\naggregation = {a}\nmissing = \"{missing}\""),
                "explicit",
                "explicit",
            ));
        }
    }
    let weightings: [(&str, &str); 8] = [
        ("explicit", "explicit"),
        ("equal", "equal"),
        ("pca", "explicit"),
        ("optimised", "explicit"),
        (
            "{ method = \"optimised\", targets = \"weights\" }",
            "explicit",
        ),
        ("explicit", "bod"),
        (
            "explicit",
            "{ method = \"bod\", min_share = 0.2, max_share = 0.8 }",
        ),
        ("bod", "explicit"),
    ];
    for (groups, index) in weightings {
        out.push((
            format!("weights {groups} / index {index}"),
            String::from("scale = [1, 100]"),
            groups,
            index,
        ));
    }
    for impute in ["\"mean\"", "\"median\"", "\"linear\""] {
        out.push((
            format!("impute {impute}"),
            format!("impute = {impute}\ntreatment = \"winsorise\""),
            "explicit",
            "explicit",
        ));
    }
    out
}

/// A two-year panel with missing values: `values[year][city][indicator]`, on a coarse positive
/// grid (ties occur; the log is defined), and a direction per indicator.
type Panel2 = (Vec<Vec<Vec<f64>>>, Vec<bool>);

fn panel2() -> impl Strategy<Value = Panel2> {
    (5usize..9, 4usize..7).prop_flat_map(|(n, k)| {
        let value =
            prop_oneof![8 => (1u32..60).prop_map(|v| f64::from(v) * 0.5), 1 => Just(f64::NAN)];
        (
            prop::collection::vec(prop::collection::vec(prop::collection::vec(value, k), n), 2),
            prop::collection::vec(any::<bool>(), k),
        )
    })
}

/// Framework, catalogue, cities and observations of a two-year panel: indicators alternate
/// between groups `g0` and `g1` (weights 1, 2, 3, ...), goalposts `[0, 30]`, target 25.
fn inputs2(
    (values, higher): &Panel2,
    methods: &str,
    group_weights: &str,
    index_weights: &str,
) -> (Framework, Catalogue, Cities, Observations) {
    let weights = |w: &str| {
        if w.starts_with('{') {
            format!("weights = {w}\n")
        } else {
            format!("weights = \"{w}\"\n")
        }
    };
    let mut f = format!(
        "[index]\nid = \"p\"\nname = \"P\"\n[methods]\n{methods}\n[[group]]\nid = \"index\"\n{}[[group]]\nid = \"g0\"\nparent = \"index\"\n{}[[group]]\nid = \"g1\"\nparent = \"index\"\nweight = 2\n{}",
        weights(index_weights),
        weights(group_weights),
        weights(group_weights),
    );
    let mut c = String::new();
    for (i, &h) in higher.iter().enumerate() {
        write!(
            f,
            "[[indicator]]\nid = \"x{i}\"\nparent = \"g{}\"\nweight = {}\ngoalposts = [0, 30]\ntarget = 25\n",
            i % 2,
            i + 1
        )
        .unwrap();
        let direction = if h { "higher" } else { "lower" };
        write!(c, "[[indicator]]\nid = \"x{i}\"\nname = \"X\"\nunit = \"u\"\ndirection = \"{direction}\"\nlevel = \"city\"\nsource = {{ adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n").unwrap();
    }
    let n = values[0].len();
    let mut cities = String::new();
    for city in 0..n {
        write!(cities, "[[city]]\nid = \"c{city}\"\nname = \"C{city}\"\ncountry = \"{}\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n", ["AAA", "BBB"][city % 2]).unwrap();
    }
    let mut data = String::from("city,indicator,year,value,source,flag\n");
    for (y, year) in values.iter().enumerate() {
        for (city, row) in year.iter().enumerate() {
            for (i, v) in row.iter().enumerate().filter(|(_, v)| !v.is_nan()) {
                writeln!(data, "c{city},x{i},{},{v},s,", 2019 + y).unwrap();
            }
        }
    }
    (
        Framework::parse(&f, "p.toml").unwrap(),
        Catalogue::parse(&c, "c.toml").unwrap(),
        Cities::parse(&cities, "cities.toml").unwrap(),
        Observations::from_csv(data.as_bytes(), "obs.csv").unwrap(),
    )
}

/// The nominal replication equals `run`, for every normalisation, treatment, aggregation and
/// weighting method of the framework format (and three imputations), on random two-year
/// panels with missing values: every peer city's index score bit for bit (tolerance 0: the
/// replication makes the same calls on the same values) and every rank exactly. A variant
/// that cannot be scored on a panel (a constant indicator, a reference city without a value,
/// a geometric mean of a non-positive value...) is skipped there; every variant must be
/// checked on some panel.
#[test]
fn the_nominal_replication_equals_run_for_every_method() {
    use healthy_city_score::Engine;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    let variants = variants();
    let checked = std::cell::RefCell::new(vec![0usize; variants.len()]);
    // A fixed seed: "every variant checked on some panel" is then a fact of this test, not a
    // chance (with a fresh seed per run, dist2ref under `bounds = "year"` went unchecked in
    // some runs: its reference city lacked a value in every panel drawn).
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    runner
        .run(&panel2(), |panel| {
            for (v, (name, methods, groups, index)) in variants.iter().enumerate() {
                let (framework, catalogue, cities, observations) =
                    inputs2(&panel, methods, groups, index);
                let Ok(engine) =
                    Engine::build(&framework, &catalogue, &cities, &observations, None, &[])
                else {
                    continue;
                };
                let results = score(&framework, &catalogue, &cities, &observations).unwrap();
                let y = results
                    .years
                    .iter()
                    .position(|&y| y == engine.year)
                    .unwrap();
                let mut s = engine.scratch();
                // The nominal replication itself may fail where `run` did not only if a
                // method failed differently: that is a mismatch too.
                let evaluated = engine.evaluate(&engine.nominal(), &mut s);
                prop_assert!(evaluated.is_ok(), "{}: {:?}", name, evaluated);
                for c in 0..engine.n_cities() {
                    let slot = results.city_slot(&engine.cities[c]).unwrap();
                    let (a, b) = (s.root_scores()[c], results.score(y, slot, results.root));
                    prop_assert_eq!(
                        a.to_bits(),
                        b.to_bits(),
                        "{}: {} {} vs {}",
                        name,
                        engine.cities[c],
                        a,
                        b
                    );
                    prop_assert_eq!(
                        s.ranks[c].map(std::num::NonZeroU32::get),
                        results.rank(y, slot, results.root),
                        "{}: {}",
                        name,
                        engine.cities[c]
                    );
                }
                checked.borrow_mut()[v] += 1;
            }
            Ok(())
        })
        .unwrap();
    let checked = checked.into_inner();
    let never: Vec<&str> = variants
        .iter()
        .zip(&checked)
        .filter(|(_, &n)| n == 0)
        .map(|(v, _)| v.0.as_str())
        .collect();
    assert!(never.is_empty(), "never checked: {never:?}");
}
