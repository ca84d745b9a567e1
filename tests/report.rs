//! `healthy-city report`: the files it writes, the page in a real browser (headless Chromium,
//! network disabled), the in-page re-weighting against `compare`, escaping, and the workbook
//! read back against the CSV files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use calamine::{Data, Reader, Xlsx};
use tempfile::TempDir;

use super::{healthy_city, read_csv, shared_data};

/// Sections the page must hold, by anchor.
const SECTIONS: [&str; 16] = [
    "headline",
    "ranking",
    "ranking-chart",
    "trajectory",
    "strengths",
    "scenarios",
    "uncertainty",
    "path",
    "weight-map",
    "audit",
    "framework",
    "methodology",
    "indicators",
    "limitations",
    "sources",
    "reproducibility",
];

/// The report of the default index, with few replications (the analyses' own tests check
/// their numbers; here the page and the workbook are under test).
fn report(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("out");
    let mut cmd = healthy_city();
    cmd.args([
        "report",
        "--runs",
        "200",
        "--sensitivity-runs",
        "32",
        "--out",
    ])
    .arg(&out)
    .args(extra);
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// The browser: `$HEALTHY_CITY_CHROMIUM`, else `chromium` or `chromium-browser` on the path.
/// None when absent, unless `HEALTHY_CITY_REQUIRE_BROWSER=1` (CI installs it), which makes a
/// missing browser a failure instead of a skip.
#[allow(clippy::print_stderr)]
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("HEALTHY_CITY_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            ["chromium", "chromium-browser"].iter().find_map(|name| {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|p| p.join(name))
                        .find(|p| p.is_file())
                })
            })
        });
    assert!(
        found.is_some() || std::env::var("HEALTHY_CITY_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "HEALTHY_CITY_REQUIRE_BROWSER=1 but no chromium: install Debian's `chromium` or set HEALTHY_CITY_CHROMIUM"
    );
    if found.is_none() {
        eprintln!(
            "skipped: no chromium on the path (set HEALTHY_CITY_REQUIRE_BROWSER=1 to fail instead)"
        );
    }
    found
}

/// What the browser did with a page: the DOM after its scripts ran, the console messages,
/// and every address requested.
struct Visit {
    dom: String,
    console: Vec<String>,
    requests: Vec<String>,
}

/// Loads `url` in headless Chromium with name resolution disabled (no host resolves) and a
/// network log; with `screenshot`, saves one instead of dumping the DOM.
fn visit(browser: &Path, url: &str, dir: &Path, screenshot: Option<&Path>) -> Visit {
    let profile = TempDir::new_in(dir).unwrap();
    let net = profile.path().join("net.json");
    let mut cmd = Process::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,2000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg(format!("--log-net-log={}", net.display()));
    match screenshot {
        Some(path) => cmd.arg(format!("--screenshot={}", path.display())),
        None => cmd.arg("--dump-dom"),
    };
    let output = cmd.arg(url).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    let log = fs::read_to_string(&net).unwrap_or_default();
    let requests = log
        .split("\"url\":\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect();
    Visit {
        dom: String::from_utf8_lossy(&output.stdout).into_owned(),
        console,
        requests,
    }
}

/// Requests the page made: every address in the log except the page's own file and the
/// browser's own services (Chromium asks Google's hosts for the time, accounts and
/// dictionaries whatever page it opens; the page names none of them).
fn page_requests(visit: &Visit) -> Vec<&String> {
    let own = [
        ".google.com/",
        ".gvt1.com/",
        ".googleapis.com/",
        ".gstatic.com/",
        "//google.com/",
    ];
    visit
        .requests
        .iter()
        .filter(|u| !u.starts_with("file://") && !own.iter().any(|h| u.contains(h)))
        .collect()
}

/// `city id -> rank` as the page's ranking table shows it (ranked rows only).
fn page_ranks(dom: &str) -> BTreeMap<String, u32> {
    let mut ranks = BTreeMap::new();
    for row in dom.split("<tr data-city=").skip(1) {
        let attr = |name: &str| {
            row.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_default()
                .to_string()
        };
        if attr("data-ranked") != "1" {
            continue;
        }
        let rank = row
            .split("<td class=\"rank\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        ranks.insert(attr("data-id"), rank);
    }
    ranks
}

fn url(path: &Path, fragment: &str) -> String {
    format!(
        "file://{}{fragment}",
        path.canonicalize().unwrap().display()
    )
}

#[test]
fn report_writes_the_page_the_workbook_and_every_chart_and_table_together() {
    let dir = TempDir::new().unwrap();
    let out = report(dir.path(), &[]);
    for f in [
        "report.html",
        "report.xlsx",
        "ranking.csv",
        "scores.csv",
        "compare.csv",
        "uncertainty.csv",
        "sensitivity.csv",
        "path-to-first.csv",
        "weight-map.csv",
        "coverage.csv",
        "charts/ranking.svg",
        "charts/trajectory-london.png",
        "charts/profile-london.svg",
        "charts/compare.svg",
        "charts/rank-intervals.svg",
        "charts/sensitivity.svg",
        "charts/path-to-first.svg",
        "charts/weight-map.svg",
        "charts/correlations.svg",
        "charts/framework.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for id in SECTIONS {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    // Self-contained: no file, script, style or image fetched from anywhere.
    for needle in [" src=", "<link rel=\"stylesheet\"", "url(", "@import"] {
        assert!(
            !html.contains(needle),
            "the page refers to an address: {needle}"
        );
    }
    assert_eq!(html.matches("<svg").count(), 10, "ten charts inline");
    // One ranking row per city ranked in 2019, the latest ranked year.
    let ranked = read_csv(&out.join("ranking.csv"))
        .iter()
        .filter(|r| r[1] == "2019")
        .count();
    assert_eq!(html.matches("data-ranked=\"1\"").count(), ranked);
    assert!(html.contains("London ranks 20th of 45 world cities in 2019."));
    // London (20th-27th) is never first in 200 replications: said as none, not as "0.0%".
    assert!(
        html.contains("and it is first in none of them."),
        "headline"
    );
}

#[test]
fn the_page_in_a_browser_makes_no_request_logs_no_error_and_reweights_as_compare_ranks() {
    let Some(browser) = chromium() else { return };
    let dir = TempDir::new().unwrap();
    let out = report(dir.path(), &[]);
    let page = out.join("report.html");

    let plain = visit(&browser, &url(&page, ""), dir.path(), None);
    assert!(plain.console.is_empty(), "console: {:?}", plain.console);
    assert!(
        page_requests(&plain).is_empty(),
        "requests: {:?}",
        page_requests(&plain)
    );
    assert!(
        plain.dom.contains("data-reweight=\"ready\""),
        "the script did not finish"
    );
    // The script says so in its status line when it cannot reproduce the engine's ranks.
    let status = plain
        .dom
        .split("id=\"status\" role=\"status\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default();
    assert!(
        status.starts_with("The index's weights:"),
        "the page disagrees with the engine: {status}"
    );
    for id in SECTIONS {
        assert!(
            plain.dom.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    assert_eq!(plain.dom.matches("<svg").count(), 10);

    // Each shipped scenario that sets the domains' weights, given in the address, ranks every
    // city as `compare` ranks it (compare.csv's column of that scenario).
    let compare = read_csv(&out.join("compare.csv"));
    let header: Vec<String> = csv::Reader::from_path(out.join("compare.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators/scenarios");
    for scenario in ["equal-weights", "outcome-led", "environment-led"] {
        let text = fs::read_to_string(root.join(format!("{scenario}.toml"))).unwrap();
        let weight = |domain: &str| -> String {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{domain} = ")))
                .unwrap()
                .trim()
                .to_string()
        };
        let fragment = format!(
            "#w={}",
            ["outcomes", "environment", "lifestyle", "services", "safety"]
                .map(weight)
                .join(",")
        );
        let v = visit(&browser, &url(&page, &fragment), dir.path(), None);
        assert!(v.console.is_empty(), "{scenario}: {:?}", v.console);
        let col = header.iter().position(|h| h == scenario).unwrap();
        let expected: BTreeMap<String, u32> = compare
            .iter()
            .filter(|r| !r[col].is_empty())
            .map(|r| (r[0].clone(), r[col].parse().unwrap()))
            .collect();
        assert_eq!(page_ranks(&v.dom), expected, "{scenario} ({fragment})");
        assert!(
            v.dom.contains("Under your weights, London ranks"),
            "{scenario}"
        );
    }

    // A screenshot, kept for a reader in the target folder.
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-screenshot.png");
    let _ = fs::create_dir_all(shot.parent().unwrap());
    visit(&browser, &url(&page, ""), dir.path(), Some(&shot));
    assert!(fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn a_city_named_like_markup_is_inert_in_the_page_the_charts_and_the_workbook() {
    let dir = TempDir::new().unwrap();
    let minimal = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minimal");
    for f in ["framework.toml", "indicators.csv", "observations.csv"] {
        fs::copy(minimal.join(f), dir.path().join(f)).unwrap();
    }
    let nasty = "<script>alert(1)</script> & \"Co\"";
    let boroughs = fs::read_to_string(minimal.join("boroughs.csv"))
        .unwrap()
        .replace(
            "camden,Camden",
            "camden,\"<script>alert(1)</script> & \"\"Co\"\"\"",
        )
        // A spreadsheet formula as a name must stay text in the workbook.
        .replace(
            "hackney,Hackney",
            "hackney,\"=HYPERLINK(\"\"http://example.com\"\")\"",
        );
    fs::write(dir.path().join("boroughs.csv"), boroughs).unwrap();
    let out = report(
        dir.path(),
        &[
            "--framework",
            dir.path().join("framework.toml").to_str().unwrap(),
            "--city",
            "camden",
        ],
    );
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<script>alert"), "raw markup in the page");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"));
    // Exactly the page's own three script elements.
    assert_eq!(html.matches("<script").count(), 3);
    for entry in fs::read_dir(out.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let svg = fs::read_to_string(&path).unwrap();
            assert!(!svg.contains("<script"), "{}", path.display());
        }
    }
    let mut book: Xlsx<_> = calamine::open_workbook(out.join("report.xlsx")).unwrap();
    // The scenarios sheet names each city: the names are stored as text, verbatim, and the
    // formula-like one is not a formula.
    let scenarios = book.worksheet_range("scenarios").unwrap();
    let names: Vec<&Data> = scenarios.rows().skip(1).map(|r| &r[1]).collect();
    assert!(names.contains(&&Data::String(nasty.into())), "{names:?}");
    assert!(
        names.contains(&&Data::String("=HYPERLINK(\"http://example.com\")".into())),
        "{names:?}"
    );
    let formulas = book.worksheet_formula("scenarios").unwrap();
    assert!(
        formulas.rows().flatten().all(String::is_empty),
        "a cell became a formula"
    );
    if let Some(browser) = chromium() {
        let v = visit(
            &browser,
            &url(&out.join("report.html"), ""),
            dir.path(),
            None,
        );
        assert!(v.console.is_empty(), "{:?}", v.console);
        assert!(v.dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }
}

#[test]
fn the_workbook_holds_the_numbers_of_ranking_csv_and_scores_csv() {
    let dir = TempDir::new().unwrap();
    let out = report(dir.path(), &[]);
    let mut book: Xlsx<_> = calamine::open_workbook(out.join("report.xlsx")).unwrap();
    let names = book.sheet_names();
    assert_eq!(names[0], "About");
    for sheet in [
        "ranking",
        "scores",
        "indicators",
        "weights",
        "coverage and levels",
        "scenarios",
        "uncertainty",
        "sensitivity",
        "path to first",
        "sources",
    ] {
        assert!(names.iter().any(|n| n == sheet), "{sheet}: {names:?}");
    }
    for (sheet, file) in [("ranking", "ranking.csv"), ("scores", "scores.csv")] {
        let range = book.worksheet_range(sheet).unwrap();
        let csv = read_csv(&out.join(file));
        let rows: Vec<&[Data]> = range.rows().skip(1).collect();
        assert_eq!(rows.len(), csv.len(), "{sheet}");
        for (k, (row, line)) in rows.iter().zip(&csv).enumerate() {
            for (cell, text) in row.iter().zip(line) {
                match cell {
                    Data::Float(x) => {
                        assert_eq!(*x, text.parse::<f64>().unwrap(), "{sheet} row {k}");
                    }
                    Data::Int(i) => assert_eq!(*i, text.parse::<i64>().unwrap(), "{sheet} row {k}"),
                    Data::String(s) => assert_eq!(s, text, "{sheet} row {k}"),
                    Data::Empty => assert!(text.is_empty(), "{sheet} row {k}"),
                    other => panic!("{sheet} row {k}: {other:?}"),
                }
            }
        }
    }
}

/// Each chart's text boxes, measured with the charts' own font, against its canvas.
fn charts_outside(out: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut n = 0;
    for entry in fs::read_dir(out.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "svg") {
            continue;
        }
        n += 1;
        let svg = fs::read_to_string(&path).unwrap();
        let attr = |name: &str| -> u32 {
            let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            svg[at..at + svg[at..].find('"').unwrap()].parse().unwrap()
        };
        for b in healthy_city_report::text_outside(&svg, attr("width"), attr("height")) {
            problems.push(format!(
                "{}: `{}` at ({:.0}, {:.0})-({:.0}, {:.0})",
                path.file_name().unwrap().to_string_lossy(),
                b.text,
                b.left,
                b.top,
                b.right,
                b.bottom
            ));
        }
    }
    assert!(n >= 8, "only {n} charts in {}", out.display());
    problems
}

/// The texts of a chart, trimmed.
fn chart_texts(out: &Path, chart: &str) -> Vec<String> {
    let svg = fs::read_to_string(out.join("charts").join(chart)).unwrap();
    healthy_city_report::text_boxes(&svg)
        .into_iter()
        .map(|b| b.text)
        .collect()
}

#[test]
fn every_chart_keeps_its_text_on_the_canvas_and_its_axis_on_the_index_scale_for_three_indices() {
    // The default index (0-100), the Lenstore index (0-1) and a COINr import (10 indicators
    // in 3 groups, no national proxies): every chart of `report`, no text off its canvas.
    let dir = TempDir::new().unwrap();
    let default = report(&dir.path().join("default"), &[]);
    assert_eq!(charts_outside(&default), Vec::<String>::new());

    let lenstore =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators/frameworks/lenstore-2021.toml");
    let lens = report(
        &dir.path().join("lenstore"),
        &["--framework", lenstore.to_str().unwrap()],
    );
    assert_eq!(charts_outside(&lens), Vec::<String>::new());
    // The ranking and the profile on the index's own 0-1 scale: ticks up to 1, none at 100.
    for chart in ["ranking.svg", "profile-london.svg"] {
        let texts = chart_texts(&lens, chart);
        assert!(
            texts.iter().any(|t| t == "1.0" || t == "1.00" || t == "1"),
            "{chart}: {texts:?}"
        );
        assert!(!texts.iter().any(|t| t == "100"), "{chart}: {texts:?}");
    }
    let texts = chart_texts(&default, "ranking.svg");
    assert!(texts.iter().any(|t| t == "100"), "{texts:?}");

    let Some(data) = shared_data() else { return };
    let imported = super::import_coinr_example(&data, dir.path());
    let coinr = report(
        &dir.path().join("coinr"),
        &[
            "--framework",
            imported.join("framework.toml").to_str().unwrap(),
            "--city",
            "LON",
        ],
    );
    assert_eq!(charts_outside(&coinr), Vec::<String>::new());
    // No national proxies in a country index: no national-share column on the ranking.
    let texts = chart_texts(&coinr, "ranking.svg");
    assert!(
        !texts
            .iter()
            .any(|t| t.contains("national values used as proxies")),
        "{texts:?}"
    );
    // The tree counts the imported index's indicators and groups.
    let tree = chart_texts(&coinr, "framework.svg").join(" ");
    assert!(tree.contains("10 indicators in 3 groups"), "{tree}");
}
