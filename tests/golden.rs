//! Regression guard of the redesign (issue 11): every table, terminal output and chart that the
//! commands write is byte-identical to a recorded baseline, on three frameworks: the default
//! healthy-city index, the Lenstore 2021 framework (a 0-1 index with another structure) and a
//! COINr import (iData/iMeta from `../shared/reference/coinr`).
//!
//! The baseline is `tests/golden/outputs.sha256`: one line per output, `<sha256>  <case>/<file>`,
//! where standard output counts as a file (`stdout/<command>.txt`). A change of any output
//! fails the test and lists what changed; the new outputs are kept under
//! `target/golden-actual/` to diff against the previous binary's. When a change of output is
//! the point of a commit (a fix), re-record with `HEALTHY_CITY_BLESS=1 cargo test --test
//! integration golden` and say so in the commit message.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::{healthy_city, shared_data};

const MANIFEST: &str = "tests/golden/outputs.sha256";

/// One command of a case: a name for its standard output and its arguments, where `{out}`
/// stands for the case's output folder and `{dir}` for the case's working folder.
struct Step {
    name: &'static str,
    args: Vec<String>,
}

fn step(name: &'static str, args: &[&str]) -> Step {
    Step {
        name,
        args: args.iter().map(|a| (*a).to_string()).collect(),
    }
}

/// Runs the steps in `dir`, returning every output's digest keyed by `case/relative path`.
fn record(case: &str, dir: &Path, steps: &[Step], digests: &mut BTreeMap<String, String>) {
    let out = dir.join("out");
    for s in steps {
        let args: Vec<String> = s
            .args
            .iter()
            .map(|a| {
                a.replace("{out}", &out.display().to_string())
                    .replace("{dir}", &dir.display().to_string())
            })
            .collect();
        let output = healthy_city()
            .args(&args)
            .current_dir(dir)
            .env("RAYON_NUM_THREADS", "2")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{case}: healthy-city {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout_file = dir.join("stdout").join(format!("{}.txt", s.name));
        fs::create_dir_all(stdout_file.parent().unwrap()).unwrap();
        fs::write(&stdout_file, &output.stdout).unwrap();
    }
    for top in ["out", "stdout", "imported"] {
        let root = dir.join(top);
        if root.is_dir() {
            collect(dir, &root, case, digests);
        }
    }
}

fn collect(base: &Path, folder: &Path, case: &str, digests: &mut BTreeMap<String, String>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(base, &path, case, digests);
            continue;
        }
        let relative = path.strip_prefix(base).unwrap().display().to_string();
        let mut bytes = fs::read(&path).unwrap();
        // Paths of the temporary folders and of the reference data vary between machines.
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let mut text = text.replace(&base.display().to_string(), "<dir>");
            if let Some(data) = shared_data() {
                text = text.replace(&reference_dir(&data).display().to_string(), "<reference>");
            }
            bytes = text.into_bytes();
        }
        let digest = format!("{:x}", Sha256::digest(&bytes));
        digests.insert(format!("{case}/{relative}"), digest);
    }
}

/// COINr's reference outputs (iData, iMeta).
fn reference_dir(data: &Path) -> PathBuf {
    std::env::var_os("HEALTHY_CITY_REFERENCE")
        .map_or_else(|| data.join("../reference"), PathBuf::from)
        .join("coinr")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn default_case(dir: &Path, digests: &mut BTreeMap<String, String>) {
    let steps = [
        step("run", &["run", "--out", "{out}"]),
        step("run-csv", &["run", "--format", "csv", "--out", "{out}"]),
        step("run-json", &["run", "--format", "json", "--out", "{out}"]),
        step(
            "run-paris",
            &["run", "--city", "Paris", "--out", "{out}/paris"],
        ),
        step("validate", &["validate"]),
        step("audit", &["audit", "--out", "{out}"]),
        step("compare", &["compare", "--out", "{out}"]),
        step(
            "uncertainty",
            &[
                "uncertainty",
                "--runs",
                "300",
                "--seed",
                "7",
                "--out",
                "{out}",
            ],
        ),
        step(
            "uncertainty-methods",
            &[
                "uncertainty",
                "--runs",
                "200",
                "--seed",
                "3",
                "--normalisations",
                "minmax,zscore,rank",
                "--imputations",
                "latest",
                "--winmax",
                "0..4",
                "--leave-one-out",
                "--out",
                "{out}/methods",
            ],
        ),
        step(
            "sensitivity",
            &[
                "sensitivity",
                "--runs",
                "64",
                "--bootstrap",
                "50",
                "--weight-noise",
                "0.25",
                "--leave-one-out",
                "--out",
                "{out}",
            ],
        ),
        step(
            "path-to-first",
            &["path-to-first", "--city", "London", "--out", "{out}"],
        ),
        step(
            "weight-map",
            &[
                "weight-map",
                "--domains",
                "outcomes,environment,services",
                "--step",
                "0.1",
                "--out",
                "{out}",
            ],
        ),
    ];
    record("default", dir, &steps, digests);
}

fn lenstore_case(dir: &Path, digests: &mut BTreeMap<String, String>) {
    let framework = repo().join("indicators/frameworks/lenstore-2021.toml");
    let f = framework.display().to_string();
    let steps = [
        step("run", &["run", "--framework", &f, "--out", "{out}"]),
        step(
            "run-csv",
            &[
                "run",
                "--framework",
                &f,
                "--format",
                "csv",
                "--out",
                "{out}",
            ],
        ),
        step("audit", &["audit", "--framework", &f, "--out", "{out}"]),
        step(
            "uncertainty",
            &[
                "uncertainty",
                "--framework",
                &f,
                "--runs",
                "300",
                "--seed",
                "7",
                "--out",
                "{out}",
            ],
        ),
        step(
            "path-to-first",
            &["path-to-first", "--framework", &f, "--out", "{out}"],
        ),
    ];
    record("lenstore", dir, &steps, digests);
}

fn coinr_case(dir: &Path, reference: &Path, digests: &mut BTreeMap<String, String>) {
    // Copied into the case's folder and named relatively: `import coinr` writes the iData path
    // into the dataset's name, which the charts' footnotes draw (in PNG pixels too), so an
    // absolute path would make the baseline depend on where the checkout is.
    for file in ["iData.csv", "iMeta.csv"] {
        fs::copy(reference.join(file), dir.join(file)).unwrap();
    }
    let (idata, imeta) = ("iData.csv", "iMeta.csv");
    let f = "{dir}/imported/framework.toml";
    let steps = [
        step(
            "import",
            &[
                "import",
                "coinr",
                "--year",
                "2024",
                "--idata",
                idata,
                "--imeta",
                imeta,
                "--out",
                "{dir}/imported",
            ],
        ),
        step(
            "run",
            &["run", "--framework", f, "--city", "LON", "--out", "{out}"],
        ),
        step(
            "run-json",
            &[
                "run",
                "--framework",
                f,
                "--city",
                "LON",
                "--format",
                "json",
                "--out",
                "{out}",
            ],
        ),
        step("audit", &["audit", "--framework", f, "--out", "{out}"]),
        step(
            "uncertainty",
            &[
                "uncertainty",
                "--framework",
                f,
                "--city",
                "LON",
                "--runs",
                "300",
                "--seed",
                "7",
                "--out",
                "{out}",
            ],
        ),
        step(
            "sensitivity",
            &[
                "sensitivity",
                "--framework",
                f,
                "--city",
                "LON",
                "--runs",
                "64",
                "--bootstrap",
                "50",
                "--out",
                "{out}",
            ],
        ),
        step(
            "path-to-first",
            &[
                "path-to-first",
                "--framework",
                f,
                "--city",
                "LON",
                "--out",
                "{out}",
            ],
        ),
        step(
            "weight-map",
            &[
                "weight-map",
                "--framework",
                f,
                "--domains",
                "health,environment,safeactive",
                "--city",
                "LON",
                "--step",
                "0.1",
                "--out",
                "{out}",
            ],
        ),
    ];
    record("coinr", dir, &steps, digests);
}

fn parse_manifest(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (digest, name) = l.split_once("  ").expect("`<sha256>  <name>` lines");
            (name.to_string(), digest.to_string())
        })
        .collect()
}

#[test]
fn every_output_is_byte_identical_to_the_recorded_baseline() {
    let Some(data) = shared_data() else { return };
    let reference = reference_dir(&data);
    let work = TempDir::new().unwrap();
    let mut digests = BTreeMap::new();
    for (case, run) in [
        (
            "default",
            default_case as fn(&Path, &mut BTreeMap<String, String>),
        ),
        ("lenstore", lenstore_case),
    ] {
        let dir = work.path().join(case);
        fs::create_dir_all(&dir).unwrap();
        run(&dir, &mut digests);
    }
    let dir = work.path().join("coinr");
    fs::create_dir_all(&dir).unwrap();
    coinr_case(&dir, &reference, &mut digests);

    let manifest = repo().join(MANIFEST);
    let mut written = String::new();
    for (name, digest) in &digests {
        writeln!(written, "{digest}  {name}").unwrap();
    }
    if std::env::var("HEALTHY_CITY_BLESS").as_deref() == Ok("1") {
        fs::create_dir_all(manifest.parent().unwrap()).unwrap();
        fs::write(&manifest, written).unwrap();
        return;
    }
    let expected = parse_manifest(&fs::read_to_string(&manifest).unwrap());
    let mut changed = Vec::new();
    for (name, digest) in &expected {
        match digests.get(name) {
            None => changed.push(format!("missing: {name}")),
            Some(d) if d != digest => changed.push(format!("changed: {name}")),
            Some(_) => {}
        }
    }
    for name in digests.keys().filter(|n| !expected.contains_key(*n)) {
        changed.push(format!("new: {name}"));
    }
    if !changed.is_empty() {
        let keep = repo().join("target/golden-actual");
        let _ = fs::remove_dir_all(&keep);
        copy_tree(work.path(), &keep);
        panic!(
            "{} outputs differ from {MANIFEST} (the new ones are in {}):\n{}",
            changed.len(),
            keep.display(),
            changed.join("\n")
        );
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}
