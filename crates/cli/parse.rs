//! clap value parsers: every option that is more than a plain number or name is parsed and
//! checked here, so a bad value is a usage error (exit 2) naming the flag, and the commands get
//! typed values.

use std::fmt;

use healthy_city_model::{parse_method, Aggregation, Impute, Normalisation};
use healthy_city_score::NormalisationChoice;

/// `X` (every level) or `LEVEL=X` for `--weight-noise`: `(level, x)`, level 0 for every level.
pub fn weight_noise(spec: &str) -> Result<(usize, f64), String> {
    let (level, x) = match spec.split_once('=') {
        Some((l, x)) => (
            l.trim()
                .parse::<usize>()
                .ok()
                .filter(|&l| l > 0)
                .ok_or("the level must be a whole number from 1 (the index's children)")?,
            x,
        ),
        None => (0, spec),
    };
    let x = x
        .trim()
        .parse::<f64>()
        .map_err(|_| "give a share such as 0.25 or LEVEL=0.25")?;
    if !(0.0..1.0).contains(&x) {
        let at = if level == 0 {
            String::from("every level")
        } else {
            format!("level {level}")
        };
        return Err(format!(
            "noise {x} at {at} can make weights zero or negative (a weight w varies within w (1 ± {x})): give a share in [0, 1), e.g. 0.25"
        ));
    }
    Ok((level, x))
}

/// `--missing` of `synth`: a share in [0, 0.5], so that most cities keep enough values to be
/// ranked.
pub fn missing_share(text: &str) -> Result<f64, String> {
    let x = text
        .trim()
        .parse::<f64>()
        .map_err(|_| "give a share such as 0.10")?;
    if !(0.0..=0.5).contains(&x) {
        return Err(format!(
            "a missing share of {x} is outside [0, 0.5]: give e.g. 0.10 for 10%"
        ));
    }
    Ok(x)
}

/// `--dirichlet`: a positive, finite concentration.
pub fn concentration(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|c| *c > 0.0 && c.is_finite())
        .ok_or_else(|| {
            String::from(
                "give a positive concentration such as 50 (larger: weights closer to nominal)",
            )
        })
}

/// Fewest bootstrap resamples: the 95% interval is read from the 2.5% and 97.5% quantiles of
/// the resamples, which fewer than 20 cannot tell from the extremes.
pub const MIN_BOOTSTRAP: usize = 20;

/// `--bootstrap`: a number of resamples, at least [`MIN_BOOTSTRAP`].
pub fn bootstrap(text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|&n| n >= MIN_BOOTSTRAP)
        .ok_or_else(|| {
            format!(
                "give at least {MIN_BOOTSTRAP} resamples (the 95% interval is read from the 2.5% and 97.5% quantiles of the resamples), e.g. 500"
            )
        })
}

/// A whole number within `lo..=hi`, for the ingest limits; `what` says what it counts.
fn whole_within(text: &str, lo: u64, hi: u64, what: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| format!("give a whole number of {what} from {lo} to {hi}"))
}

/// `--timeout`: seconds for one request, 1 to 86,400 (a day).
pub fn timeout(text: &str) -> Result<u64, String> {
    whole_within(text, 1, 86_400, "seconds")
}

/// `--retries`: 0 to 20 (each waits twice as long as the one before).
pub fn retries(text: &str) -> Result<u32, String> {
    whole_within(text, 0, 20, "retries").map(|n| n as u32)
}

/// `--retry-delay-ms`: 0 to 600,000 (ten minutes).
pub fn retry_delay(text: &str) -> Result<u64, String> {
    whole_within(text, 0, 600_000, "milliseconds")
}

/// `--max-body-mb`: 1 to 1,000,000 megabytes.
pub fn megabytes(text: &str) -> Result<u64, String> {
    whole_within(text, 1, 1_000_000, "megabytes")
}

/// `--max-pages`: 1 to 1,000,000 pages.
pub fn pages(text: &str) -> Result<usize, String> {
    whole_within(text, 1, 1_000_000, "pages").map(|n| n as usize)
}

/// `--per-host`: 1 to 64 requests in flight.
pub fn per_host(text: &str) -> Result<usize, String> {
    whole_within(text, 1, 64, "requests").map(|n| n as usize)
}

/// Years a year flag accepts (`ingest --first-year`, `import coinr --year`): the years an
/// observation may have (1800-2100 unless `HEALTHY_CITY_YEARS` says otherwise).
use healthy_city_model::accepted_years as years;

/// A calendar year within [`years`].
pub fn year(text: &str) -> Result<i32, String> {
    let years = years();
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| years.contains(y))
        .ok_or_else(|| {
            format!(
                "give a year from {} to {}, e.g. 2019",
                years.start(),
                years.end()
            )
        })
}

/// Refuses an empty item of a method list (`--normalisations minmax,,rank`).
fn named(name: &str) -> Result<&str, String> {
    if name.trim().is_empty() {
        Err(String::from("give at least one method"))
    } else {
        Ok(name)
    }
}

/// Splits a list at the commas outside brackets, braces and quotes
/// (`minmax[1,100],zscore[10,2]` is two items).
fn split_list(text: &str) -> Vec<&str> {
    let (mut items, mut depth, mut quoted, mut start) = (Vec::new(), 0usize, false, 0);
    for (at, ch) in text.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                items.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// The parameters a normalisation takes in brackets, in order (min-max, goalposts and scaled
/// take the scale `l,u` instead).
fn positional(method: &str) -> &'static [&'static str] {
    match method {
        "zscore" => &["mean", "sd"],
        "dist2ref" => &["city", "cap_max"],
        "dist2targ" => &["cap_max"],
        _ => &[],
    }
}

/// A bracket parameter as a TOML value: a boolean, a finite number, else a string.
fn toml_value(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text == "true" || text == "false" {
        return Ok(text.to_string());
    }
    if let Ok(v) = text.parse::<f64>() {
        return if v.is_finite() {
            Ok(format!("{v:?}"))
        } else {
            Err(format!("`{text}` is not a finite number"))
        };
    }
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return Err(format!(
            "`{text}` is not a number, `true`, `false` or a plain id"
        ));
    }
    Ok(format!("\"{text}\""))
}

/// One normalisation alternative: a framework name (`zscore`), a name with its parameters in
/// brackets (`zscore[10,2]`, `zscore[mean=10,sd=2]`, `dist2ref[london]`,
/// `dist2targ[cap_max=true]`), a scale for the methods that map to one (`minmax[1,100]`), or
/// the framework's inline table (`{ method = "zscore", mean = 10, sd = 2 }`). Brackets are
/// read as that inline table, so the framework's checks and defaults apply.
pub fn normalisation_choice(item: &str) -> Result<NormalisationChoice, String> {
    let item = named(item)?.trim();
    let Some((name, rest)) = item.split_once('[') else {
        return parse_method::<Normalisation>(item).map(NormalisationChoice::from);
    };
    let name = name.trim();
    let args = rest
        .strip_suffix(']')
        .filter(|a| !a.contains(['[', ']']))
        .ok_or_else(|| format!("`{item}`: close the parameters with one `]`, e.g. zscore[10,2]"))?;
    if ["minmax", "goalposts", "scaled"].contains(&name) {
        let method = parse_method::<Normalisation>(name)?;
        let scale = scale(args).map_err(|e| format!("`{item}`: the scale of {name}: {e}"))?;
        return Ok(NormalisationChoice {
            method,
            scale: Some(scale),
        });
    }
    let keys = positional(name);
    if keys.is_empty() {
        parse_method::<Normalisation>(name)?;
        return Err(format!(
            "`{item}`: {name} takes no parameters; write `{name}`"
        ));
    }
    let mut entries = vec![format!("method = \"{name}\"")];
    let mut named_seen = false;
    for (k, arg) in args.split(',').enumerate() {
        let (key, value) = match arg.split_once('=') {
            Some((key, value)) => {
                named_seen = true;
                (key.trim(), value)
            }
            None if named_seen => {
                return Err(format!(
                    "`{item}`: give the parameters by position first, then by name ({})",
                    keys.join(", ")
                ));
            }
            None => (
                *keys.get(k).ok_or_else(|| {
                    format!(
                        "`{item}`: {name} takes at most {} parameters ({})",
                        keys.len(),
                        keys.join(", ")
                    )
                })?,
                arg,
            ),
        };
        if !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') || key.is_empty() {
            return Err(format!(
                "`{item}`: `{key}` is not a parameter of {name} ({})",
                keys.join(", ")
            ));
        }
        let value = toml_value(value).map_err(|e| format!("`{item}`: {key}: {e}"))?;
        entries.push(format!("{key} = {value}"));
    }
    parse_method::<Normalisation>(&format!("{{ {} }}", entries.join(", ")))
        .map(NormalisationChoice::from)
        .map_err(|e| format!("`{item}`: {e}"))
}

/// `--normalisations`: alternatives separated by commas outside brackets
/// (`minmax[1,100],zscore[10,2],rank`).
#[derive(Debug, Clone, PartialEq)]
pub struct Normalisations(pub Vec<NormalisationChoice>);

/// Parses the `--normalisations` list (see [`normalisation_choice`]).
pub fn normalisations(text: &str) -> Result<Normalisations, String> {
    split_list(text)
        .into_iter()
        .map(normalisation_choice)
        .collect::<Result<_, _>>()
        .map(Normalisations)
}

/// An aggregation method of the framework format (`arithmetic`, `geometric`, ...).
pub fn aggregation(name: &str) -> Result<Aggregation, String> {
    parse_method(named(name)?)
}

/// An imputation method of the framework format (`latest`, `linear`, ...).
pub fn imputation(name: &str) -> Result<Impute, String> {
    parse_method(named(name)?)
}

/// `LO..HI` for `--winmax`: whole numbers, the smaller first.
pub fn winmax(spec: &str) -> Result<(usize, usize), String> {
    let (lo, hi) = spec
        .split_once("..")
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
        .ok_or("give a range of whole numbers such as 0..5")?;
    if lo > hi {
        return Err(format!(
            "the range {lo}..{hi} is empty: give the smaller bound first"
        ));
    }
    Ok((lo, hi))
}

/// `L,U` for `--scale`: two numbers with `L < U`.
pub fn scale(spec: &str) -> Result<[f64; 2], String> {
    let parts: Vec<f64> = spec
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()
        .filter(|p: &Vec<f64>| {
            p.len() == 2 && p[0] < p[1] && p.iter().all(|v| v.is_finite() && v.abs() <= 1e12)
        })
        .ok_or("give two finite numbers L,U with L < U (at most 1e12 in size), e.g. 1,100")?;
    Ok([parts[0], parts[1]])
}

/// `INDICATOR=VALUE` for `--cap`: an indicator id and a finite number in its units.
pub fn cap(spec: &str) -> Result<(String, f64), String> {
    let (id, value) = spec
        .split_once('=')
        .ok_or("write INDICATOR=VALUE, e.g. pm25=5")?;
    let v = value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("`{value}` is not a number"))?;
    Ok((id.trim().to_string(), v))
}

/// A share in (0, 1] for `--robust`.
pub fn share(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|&p| p > 0.0 && p <= 1.0)
        .ok_or_else(|| {
            String::from("give the share of uncertainty runs to win, in (0, 1], e.g. 0.9")
        })
}

/// A number of replications, at least 1.
pub fn replications(text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| String::from("give at least 1 replication"))
}

/// `A,B,C` for `--domains`: three different node ids.
pub fn three_nodes(spec: &str) -> Result<[String; 3], String> {
    let ids: Vec<String> = spec.split(',').map(|s| s.trim().to_string()).collect();
    let Ok(ids) = <[String; 3]>::try_from(ids) else {
        return Err(String::from(
            "give exactly three node ids, e.g. outcomes,environment,services",
        ));
    };
    if ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
        return Err(String::from("give three different nodes"));
    }
    Ok(ids)
}

/// The grid step of the weight map: `1/step` a whole number from 1 to 1000.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The step as given.
    pub value: f64,
    /// `1/step`.
    pub steps: usize,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// `--step`: a share whose inverse is a whole number from 1 to 1000.
pub fn step(text: &str) -> Result<Step, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| String::from("give a number such as 0.02"))?;
    let steps = (1.0 / value).round();
    if !(value > 0.0 && steps >= 1.0 && (steps * value - 1.0).abs() < 1e-9 && steps <= 1000.0) {
        return Err(String::from(
            "1/step must be a whole number from 1 to 1000 (e.g. 0.02, 0.01)",
        ));
    }
    Ok(Step {
        value,
        steps: steps as usize,
    })
}

/// `NAME=URL` for `--base-url`: a publisher service and the address replacing its scheme, host
/// and port.
pub fn base_url(entry: &str) -> Result<(String, String), String> {
    let Some((name, url)) = entry.split_once('=') else {
        return Err(String::from(
            "write NAME=URL, e.g. `--base-url gho=http://127.0.0.1:8080`",
        ));
    };
    publisher_service(name)?;
    Ok((name.to_string(), url.to_string()))
}

/// A publisher service `--base-url` and `--budget` name (`gho`, `worldbank`, ...).
fn publisher_service(name: &str) -> Result<(), String> {
    if healthy_city_ingest::base_url_services().any(|s| s == name) {
        return Ok(());
    }
    Err(format!(
        "unknown publisher `{name}`; use one of {}",
        healthy_city_ingest::base_url_services()
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// `--budget NAME=N/SECONDS` (at most N requests in any SECONDS to that publisher service), or
/// `NAME=off` (no budget).
pub fn budget(entry: &str) -> Result<(String, Option<healthy_city_ingest::Budget>), String> {
    let Some((name, spec)) = entry.split_once('=') else {
        return Err(String::from(
            "write NAME=N/SECONDS, e.g. `--budget oecd=60/3600` (60 requests an hour), or NAME=off",
        ));
    };
    publisher_service(name)?;
    if spec == "off" {
        return Ok((name.to_string(), None));
    }
    let parsed = spec.split_once('/').and_then(|(n, secs)| {
        Some((
            n.trim().parse::<u32>().ok()?,
            secs.trim().parse::<u64>().ok()?,
        ))
    });
    match parsed {
        Some((requests @ 1..=1_000_000, secs @ 1..=86_400)) => Ok((
            name.to_string(),
            Some(healthy_city_ingest::Budget {
                requests,
                per: std::time::Duration::from_secs(secs),
            }),
        )),
        _ => Err(format!(
            "`{spec}` is not N/SECONDS with N from 1 to 1000000 and SECONDS from 1 to 86400, e.g. `{name}=60/3600`; or `{name}=off`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_reads_requests_per_seconds_or_off() {
        assert_eq!(
            budget("oecd=60/3600"),
            Ok((
                "oecd".to_string(),
                Some(healthy_city_ingest::Budget {
                    requests: 60,
                    per: std::time::Duration::from_secs(3600)
                })
            ))
        );
        assert_eq!(budget("cdc=off"), Ok(("cdc".to_string(), None)));
        assert!(budget("nowhere=1/1")
            .unwrap_err()
            .contains("unknown publisher"));
        for bad in ["oecd=0/60", "oecd=60", "oecd=60/0", "oecd=x/y", "oecd"] {
            assert!(budget(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn weight_noise_reads_a_share_or_a_level_and_a_share() {
        assert_eq!(weight_noise("0.25"), Ok((0, 0.25)));
        assert_eq!(weight_noise("2=0.1"), Ok((2, 0.1)));
        assert!(weight_noise("0=0.1").unwrap_err().contains("level"));
        assert!(weight_noise("x").unwrap_err().contains("0.25"));
        for bad in ["1", "1.5", "-0.1", "NaN", "inf", "2=1e308"] {
            assert!(weight_noise(bad).unwrap_err().contains("[0, 1)"), "{bad}");
        }
        assert_eq!(weight_noise("0"), Ok((0, 0.0)));
    }

    #[test]
    fn counts_and_concentrations_that_would_give_nan_are_refused() {
        for bad in ["0", "-1", "NaN", "inf", "x"] {
            assert!(concentration(bad).is_err(), "{bad}");
        }
        assert_eq!(concentration("50"), Ok(50.0));
        for bad in ["0", "1", "19", "-5", "x"] {
            assert!(bootstrap(bad).unwrap_err().contains("at least 20"), "{bad}");
        }
        assert_eq!(bootstrap("20"), Ok(20));
        assert!(replications("0").is_err());
        assert!(timeout("0").unwrap_err().contains("from 1 to 86400"));
        assert!(per_host("0").is_err());
        assert!(pages("0").is_err());
        assert!(megabytes("0").is_err());
        assert!(retries("21").is_err());
        assert_eq!(retries("0"), Ok(0));
        assert!(year("3000").unwrap_err().contains("from 1800 to 2100"));
        assert!(year("-2019").is_err());
        assert_eq!(year("2019"), Ok(2019));
    }

    #[test]
    fn normalisations_take_parameters_in_brackets_as_a_framework_states_them() {
        let zscore = |mean, sd| NormalisationChoice::from(Normalisation::Zscore { mean, sd });
        let minmax = |l, u| NormalisationChoice {
            method: Normalisation::Minmax,
            scale: Some([l, u]),
        };
        // The comma inside brackets does not split the list.
        assert_eq!(
            normalisations("minmax[1,100],zscore[10,2]").unwrap().0,
            [minmax(1.0, 100.0), zscore(10.0, 2.0)]
        );
        assert_eq!(
            normalisations("minmax, zscore, rank").unwrap().0,
            [
                NormalisationChoice::from(Normalisation::Minmax),
                zscore(0.0, 1.0),
                NormalisationChoice::from(Normalisation::Rank)
            ]
        );
        assert_eq!(
            normalisation_choice("zscore[mean=10,sd=2]"),
            Ok(zscore(10.0, 2.0))
        );
        assert_eq!(
            normalisation_choice("zscore[10, sd = 2]"),
            Ok(zscore(10.0, 2.0))
        );
        // Defaults of the framework's table: sd 1 when only the mean is given.
        assert_eq!(normalisation_choice("zscore[10]"), Ok(zscore(10.0, 1.0)));
        assert_eq!(
            normalisations("{ method = \"zscore\", mean = 10, sd = 2 },rank")
                .unwrap()
                .0,
            [
                zscore(10.0, 2.0),
                NormalisationChoice::from(Normalisation::Rank)
            ]
        );
        assert_eq!(
            normalisation_choice("dist2ref[london,cap_max=true]"),
            Ok(NormalisationChoice::from(Normalisation::Dist2ref {
                city: String::from("london"),
                cap_max: true
            }))
        );
        assert_eq!(
            normalisation_choice("goalposts[1,100]").unwrap().scale,
            Some([1.0, 100.0])
        );
        let err = |text: &str| normalisations(text).unwrap_err();
        // The framework's own checks.
        assert!(
            err("zscore[10,0]").contains("positive `sd`"),
            "{}",
            err("zscore[10,0]")
        );
        assert!(err("zscore[sigma=2]").contains("unknown field `sigma`"));
        assert!(err("zscore[1,2,3]").contains("zscore takes at most 2 parameters (mean, sd)"));
        assert!(err("zscore[inf,1]").contains("`inf` is not a finite number"));
        assert!(err("zscore[sd=2,10]").contains("by position first"));
        assert!(err("zscore[10,2").contains("close the parameters"));
        assert!(err("rank[1]").starts_with("`rank[1]`: rank takes no parameters"));
        assert!(err("minmax[100,1]").contains("L < U"));
        assert!(err("minmax[1]").contains("the scale of minmax"));
        assert!(err("zscore(10,2)").contains("unknown variant"));
        assert!(err("minmix[1]").contains("unknown variant `minmix`"));
        assert!(err("minmax,,rank").contains("give at least one method"));
        assert!(err("dist2ref[a\"b]").contains("plain id"));
    }

    #[test]
    fn winmax_scale_and_cap_reject_what_cannot_work() {
        assert_eq!(winmax("0..5"), Ok((0, 5)));
        assert!(winmax("5..2").unwrap_err().contains("empty"));
        assert!(winmax("a..b").is_err());
        assert_eq!(scale("1, 100"), Ok([1.0, 100.0]));
        assert!(scale("100,1").is_err());
        assert!(scale("1").is_err());
        assert!(scale("1,inf").is_err());
        assert!(scale("-1e308,1e308").is_err());
        assert!(scale("NaN,1").is_err());
        assert_eq!(cap("pm25 = 5"), Ok((String::from("pm25"), 5.0)));
        assert!(cap("pm25").is_err());
        assert!(cap("pm25=inf").unwrap_err().contains("not a number"));
    }

    #[test]
    fn the_weight_map_step_must_divide_one() {
        assert_eq!(step("0.02").unwrap().steps, 50);
        assert_eq!(step("0.02").unwrap().to_string(), "0.02");
        assert!(step("0.03").is_err());
        assert!(step("0").is_err());
        assert!(three_nodes("a,b").is_err());
        assert!(three_nodes("a,b,a").is_err());
        assert_eq!(
            three_nodes("a, b,c").unwrap(),
            [String::from("a"), String::from("b"), String::from("c")]
        );
    }

    #[test]
    fn base_url_names_a_known_publisher() {
        assert_eq!(
            base_url("gho=http://127.0.0.1:1"),
            Ok((String::from("gho"), String::from("http://127.0.0.1:1")))
        );
        assert!(base_url("nope=http://x")
            .unwrap_err()
            .contains("unknown publisher"));
        assert!(base_url("gho").is_err());
    }
}

/// Property tests: every value parser, given any text, returns a value or a reason (never a
/// panic), and every value it accepts is one the commands can work with. Cases: the
/// environment variable `HEALTHY_CITY_FUZZ_CASES` (default 64).
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn cases() -> u32 {
        std::env::var("HEALTHY_CITY_FUZZ_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(64)
    }

    /// Text around the shapes the parsers read: numbers of every size and sign, specials,
    /// separators, control characters, and arbitrary strings.
    fn text() -> impl Strategy<Value = String> {
        let number = prop_oneof![
            any::<f64>().prop_map(|v| v.to_string()),
            any::<i64>().prop_map(|v| v.to_string()),
            Just(String::from("1e308")),
            Just(String::from("-1e308")),
            Just(String::from("1e-320")),
            Just(String::from("NaN")),
            Just(String::from("inf")),
            Just(String::from("-0")),
            Just(String::from("99999999999999999999999")),
        ];
        prop_oneof![
            number.clone(),
            (number.clone(), number.clone()).prop_map(|(a, b)| format!("{a},{b}")),
            (number.clone(), number.clone()).prop_map(|(a, b)| format!("{a}..{b}")),
            (number.clone(), number).prop_map(|(a, b)| format!("{a}={b}")),
            "[a-z0-9=,.\\-\\x00-\\x1f ]{0,40}",
            any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        #[test]
        fn every_value_parser_answers_and_what_it_accepts_is_usable(s in text()) {
            if let Ok((_, x)) = weight_noise(&s) {
                prop_assert!((0.0..1.0).contains(&x));
            }
            if let Ok(c) = concentration(&s) {
                prop_assert!(c > 0.0 && c.is_finite());
            }
            if let Ok(n) = bootstrap(&s) {
                prop_assert!(n >= MIN_BOOTSTRAP);
            }
            if let Ok(n) = replications(&s) {
                prop_assert!(n >= 1);
            }
            if let Ok([l, u]) = scale(&s) {
                prop_assert!(l.is_finite() && u.is_finite() && l < u);
            }
            if let Ok((_, v)) = cap(&s) {
                prop_assert!(v.is_finite());
            }
            if let Ok(p) = share(&s) {
                prop_assert!(p > 0.0 && p <= 1.0);
            }
            if let Ok((lo, hi)) = winmax(&s) {
                prop_assert!(lo <= hi);
            }
            if let Ok(step) = step(&s) {
                prop_assert!((1..=1000).contains(&step.steps));
            }
            if let Ok(list) = normalisations(&s) {
                // What is accepted is written back in the same syntax, and reads the same.
                for choice in list.0 {
                    prop_assert_eq!(normalisation_choice(&choice.to_string()), Ok(choice));
                }
            }
            if let Ok(y) = year(&s) {
                prop_assert!(years().contains(&y));
            }
            if let Ok(t) = timeout(&s) {
                prop_assert!((1..=86_400).contains(&t));
            }
            let _ = (
                retries(&s),
                retry_delay(&s),
                megabytes(&s),
                pages(&s),
                per_host(&s),
                three_nodes(&s),
                base_url(&s),
                aggregation(&s),
                imputation(&s),
            );
        }
    }
}
