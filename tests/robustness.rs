//! Robustness of the binary (issue 12): a reader of standard output that goes away, an output
//! folder that is in the way, signals, implausible flags, and input echoed to the terminal.
//! Each class of problem gets the exit code and the message (a substring) it should, and the
//! files that must or must not exist afterwards.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use tempfile::TempDir;

use super::{framework_copy, healthy_city, toml_string};

/// A generous watchdog against hangs; no test relies on it for timing.
const WATCHDOG: Duration = Duration::from_secs(120);

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("healthy-city")
}

/// Every file under `dir` (relative path -> bytes), staging folders and temporary files
/// included, so that a leftover shows up in a comparison.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                out.push((name, fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// The names in `dir` that are a staging folder or a temporary file of ours.
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".healthy-city-"))
        .collect()
}

/// Waits for `child`, killing it and failing if it outlives the watchdog.
fn wait(mut child: Child) -> (Option<i32>, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                e.read_to_string(&mut stderr).unwrap();
            }
            return (status.code(), stderr);
        }
        if start.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("still running after {WATCHDOG:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The commands that write files and print a result, with small settings; `{out}` is the
/// output folder.
const COMMANDS: [(&str, &[&str]); 7] = [
    ("run", &["run"]),
    ("audit", &["audit"]),
    ("compare", &["compare"]),
    ("uncertainty", &["uncertainty", "--runs", "40"]),
    (
        "sensitivity",
        &["sensitivity", "--runs", "16", "--bootstrap", "20"],
    ),
    ("path-to-first", &["path-to-first", "--city", "London"]),
    (
        "weight-map",
        &[
            "weight-map",
            "--domains",
            "outcomes,environment,services",
            "--step",
            "0.25",
        ],
    ),
];

#[test]
fn a_reader_of_standard_output_that_goes_away_loses_no_file() {
    for (name, args) in COMMANDS {
        // The same command with its standard output read to the end: the reference files.
        let reference = TempDir::new().unwrap();
        healthy_city()
            .args(args)
            .arg("--out")
            .arg(reference.path())
            .assert()
            .success();
        let expected = tree(reference.path());
        assert!(expected.len() >= 2, "{name}: {expected:?}");
        // Standard output's reader closed before the command writes anything.
        let out = TempDir::new().unwrap();
        let mut child = std::process::Command::new(bin())
            .args(args)
            .arg("--out")
            .arg(out.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let (code, stderr) = wait(child);
        assert_eq!(code, Some(0), "{name}: {stderr}");
        assert!(stderr.contains("wrote "), "{name}: {stderr}");
        let got = tree(out.path());
        let names = |t: &[(String, Vec<u8>)]| t.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&got), names(&expected), "{name}");
        assert!(
            got == expected,
            "{name}: a file differs from the reference run's"
        );
    }
}

#[test]
fn a_file_where_the_charts_folder_goes_leaves_every_output_as_it_was() {
    for (name, args) in COMMANDS {
        if name == "audit" {
            continue; // no chart
        }
        let out = TempDir::new().unwrap();
        fs::write(out.path().join("charts"), "a file in the way").unwrap();
        let previous = [
            "ranking.csv",
            "compare.csv",
            "uncertainty.csv",
            "weight-map.csv",
        ];
        for file in previous {
            fs::write(out.path().join(file), "previous").unwrap();
        }
        let before = tree(out.path());
        healthy_city()
            .args(args)
            .arg("--out")
            .arg(out.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is a file, not a folder"))
            .stderr(predicate::str::contains("charts"));
        assert_eq!(tree(out.path()), before, "{name}: something was written");
    }
}

#[test]
fn an_audit_folder_that_is_a_file_leaves_nothing_behind() {
    let out = TempDir::new().unwrap();
    fs::write(out.path().join("audit"), "a file in the way").unwrap();
    let before = tree(out.path());
    healthy_city()
        .args(["audit", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a file, not a folder"));
    assert_eq!(tree(out.path()), before);
}

/// A small COINr coin: two indicators in two groups.
const IMETA: &str = "Level,iCode,iName,Direction,Weight,Parent,Type,Unit,Target
1,LIV_04,Life expectancy,1,2,Health,Indicator,years,85
1,GRN_01,PM2.5,-1,1,Env,Indicator,,
2,Health,Health,1,1,Index,Aggregate,,
2,Env,Environment,1,3,Index,Aggregate,,
3,Index,The index,1,1,,Aggregate,,
";
const IDATA: &str = "uCode,uName,Time,LIV_04,GRN_01
SIN,Singapore,2020,83.9,12
LON,London,2020,81.2,9.5
PAR,Paris,2020,82.5,11
";

fn coinr(dir: &Path, out: &Path) -> assert_cmd::assert::Assert {
    fs::write(dir.join("iMeta.csv"), IMETA).unwrap();
    fs::write(dir.join("iData.csv"), IDATA).unwrap();
    healthy_city()
        .args(["import", "coinr", "--idata"])
        .arg(dir.join("iData.csv"))
        .arg("--imeta")
        .arg(dir.join("iMeta.csv"))
        .arg("--out")
        .arg(out)
        .assert()
}

#[test]
fn a_coinr_import_that_cannot_write_one_file_writes_none() {
    let dir = TempDir::new().unwrap();
    // The import works into a fresh folder: the four files.
    let good = dir.path().join("good");
    coinr(dir.path(), &good).success();
    assert_eq!(tree(&good).len(), 4);
    // A folder where observations.csv goes: no file of the four appears.
    let out = dir.path().join("blocked");
    fs::create_dir_all(out.join("observations.csv")).unwrap();
    fs::write(out.join("framework.toml"), "previous").unwrap();
    let before = tree(&out);
    coinr(dir.path(), &out)
        .code(2)
        .stderr(predicate::str::contains(
            "a folder of that name is in the way",
        ));
    assert_eq!(tree(&out), before);
    assert!(leftovers(&out).is_empty());
    // An output folder under a file: nothing is created.
    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    coinr(dir.path(), &file.join("out")).code(2);
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
}

/// Spawns `args` into `out`, waits until the staging folder exists (the long part has
/// started; or, with `staged` false, a second and a half), sends `signal` with the `kill`
/// command, and returns the exit code and standard error.
#[cfg(unix)]
fn signalled(args: &[&str], out: &Path, signal: &str, staged: bool) -> (Option<i32>, String) {
    let child = std::process::Command::new(bin())
        .args(args)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while staged && leftovers(out).is_empty() {
        assert!(start.elapsed() < WATCHDOG, "no staging folder appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    if !staged {
        std::thread::sleep(Duration::from_millis(1200));
    }
    // A moment into the long part: files are being written into the staging folder.
    std::thread::sleep(Duration::from_millis(300));
    let sent = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    wait(child)
}

#[cfg(unix)]
#[test]
fn sigterm_during_an_analysis_removes_the_staging_folder_and_exits_143() {
    let out = TempDir::new().unwrap();
    fs::write(out.path().join("uncertainty.csv"), "previous").unwrap();
    let (code, stderr) = signalled(
        &["uncertainty", "--runs", "200000"],
        out.path(),
        "-TERM",
        true,
    );
    assert_eq!(code, Some(143), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(leftovers(out.path()).is_empty(), "{stderr}");
    // The runs file being written is gone with the staging folder; the previous result stays.
    assert_eq!(
        tree(out.path()),
        [(String::from("uncertainty.csv"), b"previous".to_vec())]
    );
}

#[cfg(unix)]
#[test]
fn sigterm_or_sigint_in_a_command_that_cannot_stop_by_itself_stops_it_and_writes_nothing() {
    for (signal, expected) in [("-TERM", 143), ("-INT", 130)] {
        let out = TempDir::new().unwrap();
        // 1/0.002 = 500 steps: 125,751 cells, far longer than the wait below.
        let (code, stderr) = signalled(
            &[
                "weight-map",
                "--domains",
                "outcomes,environment,services",
                "--step",
                "0.002",
            ],
            out.path(),
            signal,
            false,
        );
        assert_eq!(code, Some(expected), "{signal}: {stderr}");
        assert!(
            stderr.contains("error: interrupted by"),
            "{signal}: {stderr}"
        );
        assert!(tree(out.path()).is_empty(), "{signal}: {stderr}");
        assert!(leftovers(out.path()).is_empty(), "{signal}: {stderr}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_killed_runs_staging_folder_is_removed_by_the_next_run_and_an_unknown_one_reported() {
    let out = TempDir::new().unwrap();
    // Process ids on Linux are below 2^22: this one is never running.
    let dead = out.path().join(".healthy-city-staging-4294967294-Ab12Cd");
    fs::create_dir_all(dead.join("charts")).unwrap();
    fs::write(dead.join("uncertainty-runs.csv"), "run,seed\n1,").unwrap();
    let dead_tmp = out.path().join(".healthy-city-4294967294-Zz9Yy8.tmp");
    fs::write(&dead_tmp, "half").unwrap();
    // An older version's staging folder names no process: kept and reported.
    let unknown = out.path().join(".healthy-city-staging-Qw3Er4");
    fs::create_dir(&unknown).unwrap();
    healthy_city()
        .args(["compare", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "note: removed `{}`, left by process 4294967294",
            dead.display()
        )))
        .stderr(predicate::str::contains(format!(
            "warning: `{}` was left by an earlier run",
            unknown.display()
        )));
    assert!(!dead.exists() && !dead_tmp.exists());
    assert!(unknown.exists());
    assert_eq!(leftovers(out.path()), [".healthy-city-staging-Qw3Er4"]);
    assert!(out.path().join("compare.csv").is_file());
}

#[test]
fn implausible_flags_are_refused_naming_the_flag_and_the_reason() {
    let out = TempDir::new().unwrap();
    let domains = "outcomes,environment,services";
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["compare", "--year", "1900"],
            &["--year", "year 1900 is not ranked", "ranked years: 2010"],
        ),
        (
            &["uncertainty", "--weight-noise", "9=0.1"],
            &["--weight-noise", "no level 9", "levels 1", "to 2"],
        ),
        (
            &["sensitivity", "--weight-noise", "3=0.1", "--runs", "8"],
            &["--weight-noise", "no level 3"],
        ),
        (
            &[
                "path-to-first",
                "--robust",
                "0.9",
                "--weight-noise",
                "5=0.1",
            ],
            &["--weight-noise", "no level 5"],
        ),
        (
            &["uncertainty", "--weight-noise", "1"],
            &["--weight-noise", "[0, 1)"],
        ),
        (
            &["uncertainty", "--weight-noise", "NaN"],
            &["--weight-noise", "[0, 1)"],
        ),
        (
            &["uncertainty", "--weight-noise=-0.2"],
            &["--weight-noise", "[0, 1)"],
        ),
        (
            &["uncertainty", "--weight-noise", "0=0.1"],
            &["--weight-noise", "level"],
        ),
        (
            &["uncertainty", "--dirichlet", "0"],
            &["--dirichlet", "positive"],
        ),
        (
            &["uncertainty", "--dirichlet", "inf"],
            &["--dirichlet", "positive"],
        ),
        (&["uncertainty", "--runs", "0"], &["--runs", "at least 1"]),
        (&["uncertainty", "--runs=-5"], &["--runs", "at least 1"]),
        (
            &["sensitivity", "--bootstrap", "0"],
            &["--bootstrap", "at least 20"],
        ),
        (
            &["sensitivity", "--bootstrap", "5"],
            &["--bootstrap", "at least 20"],
        ),
        (&["sensitivity", "--runs", "0"], &["--runs", "at least 2"]),
        (&["uncertainty", "--scale", "1,inf"], &["--scale", "finite"]),
        (&["uncertainty", "--scale", "NaN,1"], &["--scale", "finite"]),
        (
            &["uncertainty", "--scale=-1e300,1e300"],
            &["--scale", "1e12"],
        ),
        (&["uncertainty", "--winmax", "5..2"], &["--winmax", "empty"]),
        (&["path-to-first", "--robust", "0"], &["--robust", "(0, 1]"]),
        (
            &["path-to-first", "--robust", "1.5"],
            &["--robust", "(0, 1]"],
        ),
        (
            &["path-to-first", "--cap", "pm25=NaN"],
            &["--cap", "not a number"],
        ),
        (
            &["path-to-first", "--robust", "0.9", "--runs", "0"],
            &["--runs", "at least 1"],
        ),
        (
            &["weight-map", "--domains", domains, "--step", "0"],
            &["--step", "1/step"],
        ),
        (
            &["weight-map", "--domains", domains, "--step", "NaN"],
            &["--step", "1/step"],
        ),
        (
            &["ingest", "--from", ".", "--first-year", "3000"],
            &["--first-year", "1800 to 2100"],
        ),
        (
            &["ingest", "--from", ".", "--first-year=-2019"],
            &["--first-year", "1800 to 2100"],
        ),
        (
            &["ingest", "--fetch", "--timeout", "0"],
            &["--timeout", "from 1"],
        ),
        (
            &["ingest", "--fetch", "--per-host", "0"],
            &["--per-host", "from 1"],
        ),
        (
            &["ingest", "--fetch", "--max-pages", "0"],
            &["--max-pages", "from 1"],
        ),
        (
            &["ingest", "--fetch", "--max-body-mb", "0"],
            &["--max-body-mb", "from 1"],
        ),
        (
            &["ingest", "--fetch", "--retries", "1000"],
            &["--retries", "0 to 20"],
        ),
        (
            &[
                "import", "coinr", "--idata", "a", "--imeta", "b", "--year", "99999",
            ],
            &["--year", "1800 to 2100"],
        ),
    ];
    for (args, wanted) in cases {
        let assert = healthy_city()
            .args(*args)
            .arg("--out")
            .arg(out.path().join("out"))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        for want in *wanted {
            assert!(stderr.contains(want), "{args:?}: `{want}` not in {stderr}");
        }
        assert!(
            !out.path().join("out").join("compare.csv").exists(),
            "{args:?}"
        );
    }
    // Nothing was written by any of them (the output folder may exist, empty).
    assert!(tree(&out.path().join("out")).is_empty());
}

#[test]
fn an_error_echoing_control_characters_or_a_huge_value_is_escaped_and_cut() {
    let long = "x".repeat(20_000);
    for (city, shown) in [
        ("\x1b]0;owned\x07\x1b[2J", "\\u{1b}]0;owned\\u{7}\\u{1b}[2J"),
        ("a\rb\u{202e}c", "a\\u{d}b\\u{202e}c"),
        (long.as_str(), "characters)"),
    ] {
        let out = TempDir::new().unwrap();
        let assert = healthy_city()
            .args(["run", "--city", city, "--out"])
            .arg(out.path())
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains(shown), "{stderr}");
        assert!(
            !stderr.chars().any(|c| c.is_control() && c != '\n'),
            "a control character reached the terminal: {stderr:?}"
        );
        assert!(
            stderr.lines().all(|l| l.chars().count() < 1100),
            "a line of {} characters",
            stderr.lines().map(str::len).max().unwrap_or(0)
        );
    }
}

#[test]
fn a_city_name_with_escape_sequences_is_shown_escaped_in_the_terminal_table() {
    let dir = TempDir::new().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators");
    let cities = fs::read_to_string(root.join("cities.toml"))
        .unwrap()
        .replace("name = \"London\"", "name = \"Lon\\u001b[2Jdon\\u0007\"");
    let cities_path = dir.path().join("cities.toml");
    fs::write(&cities_path, cities).unwrap();
    let framework = framework_copy(dir.path(), |text| {
        text.replace(
            &toml_string(&root.join("cities.toml")),
            &toml_string(&cities_path),
        )
    });
    let out = dir.path().join("out");
    let assert = healthy_city()
        .args(["run", "--city", "london", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("Lon\\u{1b}[2Jdon\\u{7}"), "{stdout}");
    assert!(!stdout.contains('\x1b') && !stdout.contains('\x07'));
}

#[test]
fn an_ingest_writes_its_report_and_its_snapshot_both_or_neither() {
    let Some(data) = super::shared_data() else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let snapshot = dir.path().join("snapshot");
    fs::create_dir(&snapshot).unwrap();
    fs::write(snapshot.join("observations.csv"), "previous").unwrap();
    // The report's folder is under a file: it cannot be written.
    let blocker = dir.path().join("report");
    fs::write(&blocker, "a file in the way").unwrap();
    healthy_city()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["ingest", "--from"])
        .arg(&data)
        .arg("--out")
        .arg(&snapshot)
        .arg("--report")
        .arg(blocker.join("ingest"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot write the ingest report"));
    assert_eq!(
        tree(&snapshot),
        [(String::from("observations.csv"), b"previous".to_vec())]
    );
    assert_eq!(fs::read_to_string(&blocker).unwrap(), "a file in the way");
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["report", "snapshot"], "nothing else appeared");
    // The other way round: the snapshot cannot be replaced (its folder is under a file), so
    // the report, which could be written, is not.
    let report = dir.path().join("fresh-report");
    fs::write(dir.path().join("blocked"), "a file in the way").unwrap();
    healthy_city()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["ingest", "--from"])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("blocked/snapshot"))
        .arg("--report")
        .arg(&report)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot write the snapshot"));
    assert!(tree(&report).is_empty(), "{:?}", tree(&report));
}

/// stderr of `healthy-city ARGS`, which must exit with `code`.
fn stderr_of(args: &[&str], framework: &Path, code: i32) -> String {
    let out = TempDir::new().unwrap();
    let assert = healthy_city()
        .args(args)
        .arg("--framework")
        .arg(framework)
        .args(if args[0] == "validate" {
            vec![]
        } else {
            vec!["--out".to_string(), out.path().display().to_string()]
        })
        .timeout(WATCHDOG)
        .assert()
        .code(code);
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn validate_makes_the_checks_run_makes_and_says_the_same() {
    // A geometric mean over min-max scores meets a 0 (the worst city of an indicator), and a
    // weight of 1e308 would overflow a sum: `validate` used to say ok to both.
    let dir = TempDir::new().unwrap();
    for (edit, expected) in [
        (
            (
                "aggregation = \"arithmetic\"",
                "aggregation = \"geometric\"\nnonpositive = \"error\"",
            ),
            "geometric",
        ),
        (
            (
                "id = \"outcomes\"\nname = \"Health outcomes\"\nparent = \"index\"",
                "id = \"outcomes\"\nname = \"Health outcomes\"\nparent = \"index\"\nweight = 1e308",
            ),
            "`outcomes` has weight 1e308",
        ),
    ] {
        let framework = framework_copy(dir.path(), |text| {
            assert!(text.contains(edit.0), "the edit applies");
            text.replacen(edit.0, edit.1, 1)
        });
        let validate = stderr_of(&["validate"], &framework, 2);
        let run = stderr_of(&["run"], &framework, 2);
        assert!(validate.contains(expected), "{validate}");
        assert_eq!(validate, run, "validate and run report the same problem");
    }
}

#[test]
fn a_generalised_mean_of_power_400_scores_every_city_finitely() {
    // p = 400 on a 0-100 scale overflowed (100^400) to infinite scores, and the ranking chart's
    // axis then never finished; computed scaled by the largest child it is a finite mean,
    // between the children's weighted mean and their maximum.
    let dir = TempDir::new().unwrap();
    let framework = framework_copy(dir.path(), |text| {
        text.replacen(
            "aggregation = \"arithmetic\"",
            "aggregation = { method = \"generalised\", p = 400 }",
            1,
        )
    });
    let out = dir.path().join("out");
    healthy_city()
        .args(["run", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .timeout(WATCHDOG)
        .assert()
        .success();
    let ranking = fs::read_to_string(out.join("ranking.csv")).unwrap();
    let mut rows = 0;
    for line in ranking.lines().skip(1) {
        let score: f64 = line.split(',').nth(2).unwrap().parse().unwrap();
        assert!(
            score.is_finite() && (0.0..=100.0).contains(&score),
            "{line}"
        );
        rows += 1;
    }
    assert!(rows > 0);
}

#[test]
fn observations_beyond_1e15_or_years_outside_the_range_are_refused_at_their_line() {
    let dir = TempDir::new().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators");
    let snapshot = fs::read_to_string(root.join("snapshot/observations.csv")).unwrap();
    let mut lines: Vec<String> = snapshot.lines().map(str::to_string).collect();
    for (value, year, expected) in [
        ("1e308", None, "value `1e308` has magnitude above 1e15"),
        ("-1e308", None, "value `-1e308` has magnitude above 1e15"),
        (
            "1.6",
            Some("99999"),
            "year 99999 is outside the accepted years 1800..=2100",
        ),
        (
            "1.6",
            Some("-2019"),
            "year -2019 is outside the accepted years",
        ),
    ] {
        let original = lines[1].clone();
        let mut fields: Vec<String> = original.split(',').map(str::to_string).collect();
        fields[3] = value.to_string();
        if let Some(year) = year {
            fields[2] = year.to_string();
        }
        lines[1] = fields.join(",");
        let data = dir.path().join("observations.csv");
        fs::write(&data, lines.join("\n") + "\n").unwrap();
        lines[1] = original;
        let assert = healthy_city()
            .args(["validate", "--data"])
            .arg(&data)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains("observations.csv:2:"), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}

#[test]
fn an_empty_city_registry_is_one_line_not_a_problem_per_observation() {
    let dir = TempDir::new().unwrap();
    let empty = dir.path().join("cities.toml");
    fs::write(&empty, "# no city\n").unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators");
    let framework = framework_copy(dir.path(), |text| {
        text.replace(
            &toml_string(&root.join("cities.toml")),
            &toml_string(&empty),
        )
    });
    let stderr = stderr_of(&["validate"], &framework, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("the registry lists no city"), "{stderr}");
}
