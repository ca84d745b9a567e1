//! Import of a COINr coin's inputs: `iData` and `iMeta` tables (as CSV) into a framework,
//! a city registry, a catalogue and observations that `healthy-city run` scores.
//!
//! - iMeta rows of `Type` `Indicator` become indicators (leaves), `Aggregate` rows groups, the
//!   one `Aggregate` without a `Parent` the index. `Direction` 1 / -1 becomes `higher` /
//!   `lower`, `Weight` the weight, `iName` and `Unit` the display name and unit. One `Group`
//!   row (the one asked for, else the first) names the iData column used as the cities'
//!   `region`; every other `Group` column becomes a city attribute (its lowercased code as the
//!   key), so group imputation and not-applicable groups can use it. `Other` rows are not
//!   scored and are listed in a comment.
//! - `Denominator` rows become catalogue series with their observations, outside the index. An
//!   indicator's iMeta `Denominator` (the code of such a row) is written as a commented-out
//!   `denominator = "<id>"` in the framework: COINr divides only when `Denominate()` is called,
//!   so the import scores the raw values, as `new_coin()` does, and uncommenting the line
//!   reproduces `Denominate(coin, dset = "Raw")` with iMeta's denominators.
//! - iData rows become cities (`uCode`, `uName`) and observations; a `Time` column gives the
//!   year, else the year passed in. Empty cells and `NA` are missing and are not written.
//! - Ids: COINr codes are lowercased, every character other than a letter, digit, `_` or `-`
//!   becomes `_`, and a code not starting with a letter gets an `x` in front (`LIV_04` ->
//!   `liv_04`, `2A` -> `x2a`). Two codes mapping to one id are an error. Each city keeps its
//!   uCode as the `coinr` alias, each node its code in a comment.
//! - COINr data have no geography: cities get no `country` and no coordinates (a comment in
//!   cities.toml says so), and no `region` when iMeta has no Group row.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::bounds::{echo, years, MAX_ABS_VALUE};
use crate::error::{Error, Result};
use crate::read::{number, strip_bom, Lines};

/// What [`import_coinr`] produced: the text of each file and the id mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct CoinrImport {
    /// `framework.toml`.
    pub framework: String,
    /// `cities.toml`.
    pub cities: String,
    /// `catalogue.toml`.
    pub catalogue: String,
    /// `observations.csv`.
    pub observations: String,
    /// COINr code -> healthy-city id, for units (`uCode`) and for iMeta codes.
    pub ids: BTreeMap<String, String>,
    /// Number of observations written (missing cells are not).
    pub n_observations: usize,
}

/// The file names [`write_coinr_import`] writes.
pub const COINR_FILES: [&str; 4] = [
    "framework.toml",
    "cities.toml",
    "catalogue.toml",
    "observations.csv",
];

/// A COINr code as a healthy-city id (see the module documentation).
pub fn coinr_id(code: &str) -> String {
    let mut id: String = code
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id.insert(0, 'x');
    }
    id
}

struct Csv {
    file: String,
    header: Vec<String>,
    /// (line, fields)
    rows: Vec<(usize, Vec<String>)>,
}

impl Csv {
    fn read(bytes: &[u8], file: &str) -> Result<Self> {
        let bytes = strip_bom(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes);
        let csv_error = Error::csv(file);
        let header = reader
            .headers()
            .map_err(&csv_error)?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut lines = Lines::new(bytes);
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(&csv_error)?;
            let line = lines.of(&record);
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            rows.push((line, record.iter().map(|f| f.trim().to_string()).collect()));
        }
        Ok(Csv {
            file: file.to_string(),
            header,
            rows,
        })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn require(&self, name: &str, what: &str) -> Result<usize> {
        self.column(name).ok_or_else(|| {
            Error::format(
                &self.file,
                Some("line 1".to_string()),
                format!(
                    "no `{name}` column ({what}); the header is `{}`",
                    self.header.join(",")
                ),
            )
        })
    }

    fn error(&self, line: usize, column: &str, message: String) -> Error {
        Error::format(
            &self.file,
            Some(format!("line {line}, column `{column}`")),
            message,
        )
    }
}

fn field(row: &[String], column: Option<usize>) -> &str {
    column.and_then(|c| row.get(c)).map_or("", String::as_str)
}

/// The Group column that becomes the cities' `region`: the one asked for, else the first.
fn choose_group(codes: &[&str], asked: Option<&str>, imeta_file: &str) -> Result<Option<String>> {
    let Some(asked) = asked else {
        return Ok(codes.first().map(|c| (*c).to_string()));
    };
    if codes.contains(&asked) {
        return Ok(Some(asked.to_string()));
    }
    let message = if codes.is_empty() {
        format!(
            "`--group {}` asks for a Group column but iMeta has no row of Type `Group`: drop `--group`",
            echo(asked)
        )
    } else {
        format!(
            "`--group {}` is not a Group row of iMeta: use one of {}",
            echo(asked),
            codes
                .iter()
                .map(|c| format!("`{}`", echo(c)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Err(Error::format(imeta_file, None, message))
}

/// A Group column's attribute key: its id, prefixed when it would name a registry field.
fn attribute_key(code: &str) -> String {
    let id = coinr_id(code);
    if healthy_city_model::RESERVED_ATTRIBUTES.contains(&id.as_str()) {
        format!("coinr_{id}")
    } else {
        id
    }
}

fn is_na(text: &str) -> bool {
    text.is_empty() || text == "NA"
}

/// TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Unit {
    id: String,
    code: String,
    name: String,
    /// The chosen Group column's value (none when NA or when iMeta has no Group row).
    region: Option<String>,
    /// The other Group columns: (attribute key, value), missing values left out.
    attributes: Vec<(String, String)>,
}

struct MetaRow {
    line: usize,
    code: String,
    id: String,
    name: String,
    kind: String,
    level: Option<f64>,
    parent: Option<String>,
    direction: Option<f64>,
    weight: f64,
    unit: String,
    target: Option<f64>,
    /// Whether the Weight cell was read as a weight (`weight` is 1 otherwise).
    weight_ok: bool,
    /// iMeta `Denominator`: the code of the `Denominator` row dividing this indicator.
    denominator: Option<String>,
}

/// The problems found in one file, each at its line and column, reported together: the first
/// [`SHOWN_PROBLEMS`] in full, then their count.
struct Problems<'a> {
    csv: &'a Csv,
    shown: Vec<Error>,
    count: usize,
}

/// How many problems of one file an error lists in full.
const SHOWN_PROBLEMS: usize = 20;

impl<'a> Problems<'a> {
    fn new(csv: &'a Csv) -> Self {
        Problems {
            csv,
            shown: Vec::new(),
            count: 0,
        }
    }

    fn push(&mut self, error: Error) {
        self.count += 1;
        if self.shown.len() < SHOWN_PROBLEMS {
            self.shown.push(error);
        }
    }

    /// A problem at a line and column.
    fn at(&mut self, line: usize, column: &str, message: String) {
        self.push(self.csv.error(line, column, message));
    }

    /// A problem of the whole file.
    fn file(&mut self, message: String) {
        self.push(Error::format(&self.csv.file, None, message));
    }

    /// `Ok` when there is none; the problem itself when there is one; else every problem
    /// listed ([`Error::Problems`]).
    fn finish(mut self) -> Result<()> {
        match self.count {
            0 => Ok(()),
            1 => Err(self.shown.remove(0)),
            count => Err(Error::Problems {
                file: self.csv.file.clone(),
                count,
                shown: self
                    .shown
                    .iter()
                    .map(|e| match e {
                        Error::Format {
                            at: Some(at),
                            message,
                            ..
                        } => format!("{at}: {message}"),
                        Error::Format { message, .. } => message.clone(),
                        other => other.to_string(),
                    })
                    .collect(),
            }),
        }
    }
}

/// Reads iMeta: one row per code. A row whose cells cannot be read is reported in `problems`
/// and kept with what could be read (no Level, weight 1), so that the checks of the tree that
/// follow do not report it again as missing.
fn read_imeta(meta: &Csv, problems: &mut Problems) -> Result<Vec<MetaRow>> {
    let c_code = meta.require("iCode", "the code of each indicator and aggregate")?;
    let c_type = meta.require(
        "Type",
        "`Indicator`, `Aggregate`, `Group`, `Denominator` or `Other`",
    )?;
    let c_level = meta.require("Level", "1 for indicators, 2 and up for aggregates")?;
    let c_parent = meta.require("Parent", "the aggregate each row belongs to")?;
    let c_direction = meta.require("Direction", "1 if higher is better, -1 if lower")?;
    let c_weight = meta.require("Weight", "the weight within the parent")?;
    let (c_name, c_unit, c_target, c_denominator) = (
        meta.column("iName"),
        meta.column("Unit"),
        meta.column("Target"),
        meta.column("Denominator"),
    );
    let mut rows = Vec::new();
    for (line, row) in &meta.rows {
        let line = *line;
        let code = field(row, Some(c_code)).to_string();
        let kind = field(row, Some(c_type)).to_string();
        if code.is_empty() {
            problems.at(
                line,
                "iCode",
                "empty iCode: every row needs a code".to_string(),
            );
            continue;
        }
        let shown = echo(&code);
        if !matches!(
            kind.as_str(),
            "Indicator" | "Aggregate" | "Group" | "Denominator" | "Other"
        ) {
            problems.at(line, "Type", format!("`{shown}` has Type `{}`: use `Indicator`, `Aggregate`, `Group`, `Denominator` or `Other`", echo(&kind)));
            continue;
        }
        let scored = matches!(kind.as_str(), "Indicator" | "Aggregate");
        let mut num = |column: usize, name: &str| -> Option<f64> {
            let text = field(row, Some(column));
            if is_na(text) {
                return None;
            }
            match number(text) {
                Ok(v) => v,
                Err(m) => {
                    problems.at(line, name, format!("`{shown}`: {m}"));
                    None
                }
            }
        };
        let mut level = num(c_level, "Level");
        let direction = num(c_direction, "Direction");
        let weight_text = field(row, Some(c_weight));
        let weight = if scored {
            num(c_weight, "Weight")
        } else {
            None
        };
        let target = c_target.and_then(|c| num(c, "Target"));
        let mut weight_ok = weight.is_some();
        if scored {
            let level_text = field(row, Some(c_level));
            match level {
                None if is_na(level_text) => problems.at(line, "Level", format!("`{shown}` ({kind}) has no Level: give 1 for an indicator, 2 and up for an aggregate")),
                Some(l) if l.fract() != 0.0 || !(1.0..=100.0).contains(&l) => {
                    problems.at(line, "Level", format!("`{shown}` has Level `{}`: give a whole number, 1 for an indicator, 2 and up for an aggregate", echo(level_text)));
                    level = None;
                }
                Some(l) if kind == "Indicator" && l != 1.0 => {
                    problems.at(line, "Level", format!("indicator `{shown}` has Level {l}: indicators are Level 1 (aggregates 2 and up)"));
                    level = None;
                }
                Some(l) if kind == "Aggregate" && l < 2.0 => {
                    problems.at(line, "Level", format!("aggregate `{shown}` has Level {l}: aggregates are Level 2 and up (indicators 1)"));
                    level = None;
                }
                _ => {}
            }
            if kind == "Indicator" && !matches!(direction, Some(d) if d == 1.0 || d == -1.0) {
                problems.at(line, "Direction", format!("indicator `{shown}` has Direction `{}`: use 1 (higher is better) or -1 (lower is better)", echo(field(row, Some(c_direction)))));
            }
            match weight {
                Some(w) if (0.0..=healthy_city_model::MAX_WEIGHT).contains(&w) => {}
                Some(w) if w < 0.0 => {
                    problems.at(line, "Weight", format!("`{shown}` has Weight `{}`: a weight cannot be negative; give a number, 0 or more", echo(weight_text)));
                    weight_ok = false;
                }
                Some(_) => {
                    problems.at(line, "Weight", format!("`{shown}` has Weight `{}`: beyond {:e}, the largest weight accepted (weights are relative: scale them all down)", echo(weight_text), healthy_city_model::MAX_WEIGHT));
                    weight_ok = false;
                }
                None if is_na(weight_text) => problems.at(
                    line,
                    "Weight",
                    format!("`{shown}` has no Weight: give a number, 0 or more"),
                ),
                // Not a number: already reported.
                None => {}
            }
        }
        let parent = field(row, Some(c_parent));
        let denominator = field(row, c_denominator);
        let denominator =
            (kind == "Indicator" && !is_na(denominator)).then(|| denominator.to_string());
        rows.push(MetaRow {
            line,
            id: coinr_id(&code),
            name: Some(field(row, c_name))
                .filter(|n| !is_na(n))
                .map_or_else(|| code.clone(), str::to_string),
            code,
            kind,
            level,
            parent: (!is_na(parent)).then(|| parent.to_string()),
            direction,
            weight: if weight_ok {
                weight.unwrap_or(1.0)
            } else {
                1.0
            },
            weight_ok,
            unit: Some(field(row, c_unit))
                .filter(|u| !is_na(u))
                .unwrap_or("unspecified")
                .to_string(),
            target,
            denominator,
        });
    }
    Ok(rows)
}

/// The checks of iMeta's tree, each problem reported at its row: codes defined once and on
/// distinct ids, denominators and parents that are rows of the right Type, no row its own
/// parent, no cycle of parents, each parent one Level above its children, each aggregate with
/// children not all of Weight 0, exactly one root, at least one indicator.
fn check_tree(rows: &[MetaRow], problems: &mut Problems) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut owner: HashMap<&str, (&str, usize)> = HashMap::new();
    for row in rows {
        if let Some(line) = first.get(row.code.as_str()) {
            problems.at(
                row.line,
                "iCode",
                format!(
                    "iCode `{}` is also defined on line {line}: each code names one row; rename or remove one",
                    echo(&row.code)
                ),
            );
            continue;
        }
        first.insert(&row.code, row.line);
        if matches!(row.kind.as_str(), "Indicator" | "Aggregate" | "Denominator") {
            if let Some((other, line)) = owner.insert(&row.id, (&row.code, row.line)) {
                problems.at(
                    row.line,
                    "iCode",
                    format!(
                        "`{}` and `{}` (line {line}) both become id `{}`: rename one of them",
                        echo(&row.code),
                        echo(other),
                        echo(&row.id)
                    ),
                );
            }
        }
    }
    // The first row of each code (a repeat is reported above).
    let by_code: HashMap<&str, &MetaRow> =
        rows.iter().rev().map(|r| (r.code.as_str(), r)).collect();
    let scored = |r: &&MetaRow| matches!(r.kind.as_str(), "Indicator" | "Aggregate");
    for ind in rows.iter().filter(|r| r.kind == "Indicator") {
        if let Some(d) = &ind.denominator {
            if by_code
                .get(d.as_str())
                .is_none_or(|r| r.kind != "Denominator")
            {
                problems.at(ind.line, "Denominator", format!("indicator `{}` names Denominator `{}`, which is not a row of Type `Denominator`: add the row (and its iData column) or clear the cell", echo(&ind.code), echo(d)));
            }
        }
    }
    // The parent of each scored row, where it is an Aggregate row other than itself.
    let mut parent_of: HashMap<&str, &MetaRow> = HashMap::new();
    for row in rows.iter().filter(scored) {
        let code = echo(&row.code);
        let Some(parent) = &row.parent else {
            if row.kind == "Indicator" {
                problems.at(
                    row.line,
                    "Parent",
                    format!("indicator `{code}` has no Parent: give the aggregate it belongs to"),
                );
            }
            continue;
        };
        if parent == &row.code {
            problems.at(
                row.line,
                "Parent",
                format!("`{code}` is its own Parent: give the aggregate one Level above it"),
            );
            continue;
        }
        match by_code.get(parent.as_str()) {
            Some(p) if p.kind == "Aggregate" => {
                parent_of.insert(&row.code, p);
                if let (Some(level), Some(parent_level)) = (row.level, p.level) {
                    if parent_level != level + 1.0 {
                        problems.at(row.line, "Level", format!("`{code}` has Level {level} but its Parent `{}` (line {}) has Level {parent_level}: a parent is one Level above its children (here {})", echo(parent), p.line, level + 1.0));
                    }
                }
            }
            Some(p) => problems.at(row.line, "Parent", format!("`{code}` names Parent `{}`, which is a row of Type `{}` (line {}), not an Aggregate: fix the Parent", echo(parent), echo(&p.kind), p.line)),
            None => problems.at(row.line, "Parent", format!("`{code}` names Parent `{}`, which is not an Aggregate row of iMeta: fix the Parent or add the aggregate", echo(parent))),
        }
    }
    // Cycles of parents: each reported once, at its first row in the file.
    let mut done: HashSet<&str> = HashSet::new();
    for start in rows.iter().filter(scored) {
        let mut path: Vec<&MetaRow> = Vec::new();
        let mut current = Some(start);
        while let Some(row) = current {
            if done.contains(row.code.as_str()) {
                if let Some(k) = path.iter().position(|r| r.code == row.code) {
                    let cycle = &path[k..];
                    let at = cycle
                        .iter()
                        .min_by_key(|r| r.line)
                        .map_or(row.line, |r| r.line);
                    let names: Vec<String> = cycle
                        .iter()
                        .chain(std::iter::once(&cycle[0]))
                        .map(|r| format!("`{}`", echo(&r.code)))
                        .collect();
                    problems.at(at, "Parent", format!("the Parents form a cycle, {}: each chain of Parents must end at the index (the one Aggregate without a Parent)", names.join(" -> ")));
                }
                break;
            }
            done.insert(&row.code);
            path.push(row);
            current = parent_of.get(row.code.as_str()).copied();
        }
    }
    // Children of each aggregate.
    let mut children: BTreeMap<&str, Vec<&MetaRow>> = BTreeMap::new();
    for row in rows.iter().filter(scored) {
        if let Some(p) = parent_of.get(row.code.as_str()) {
            children.entry(p.code.as_str()).or_default().push(row);
        }
    }
    let aggregates: Vec<&MetaRow> = rows.iter().filter(|r| r.kind == "Aggregate").collect();
    for aggregate in &aggregates {
        if by_code
            .get(aggregate.code.as_str())
            .is_some_and(|r| r.line != aggregate.line)
        {
            continue;
        }
        let code = echo(&aggregate.code);
        match children.get(aggregate.code.as_str()) {
            None => problems.at(aggregate.line, "iCode", format!("aggregate `{code}` has no children: give it indicators or aggregates (their Parent `{code}`), or remove the row")),
            Some(kids) if kids.iter().all(|k| k.weight_ok && k.weight == 0.0) => {
                let names: Vec<String> = kids.iter().take(10).map(|k| format!("`{}` (line {})", echo(&k.code), k.line)).collect();
                problems.at(aggregate.line, "Weight", format!("every child of `{code}` has Weight 0 ({}): give at least one a positive weight, or remove `{code}`", names.join(", ")));
            }
            Some(_) => {}
        }
    }
    let roots: Vec<&&MetaRow> = aggregates.iter().filter(|r| r.parent.is_none()).collect();
    if roots.len() != 1 {
        problems.file(format!(
            "{} Aggregate rows have no Parent ({}): exactly one, the index, must lack one",
            roots.len(),
            roots
                .iter()
                .take(10)
                .map(|r| format!("`{}` (line {})", echo(&r.code), r.line))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !rows.iter().any(|r| r.kind == "Indicator") {
        problems.file("no row of Type `Indicator`: nothing to score".to_string());
    }
}

/// Converts COINr's iData and iMeta (CSV bytes; `*_file` name them in errors). `year` is used
/// when iData has no `Time` column, and is then required.
///
/// Every problem of iMeta (cells that are not numbers, negative or non-finite weights, codes
/// defined twice, parents that are not defined, a row its own parent, cycles of parents,
/// Levels that disagree with the parent chain, aggregates whose children all weigh 0) is
/// reported together against iMeta, each at its line, before iData is read; then every
/// problem of iData (values that are not finite numbers or beyond ±1e15, a unit repeated
/// for a year, a `Time` that is not a whole year within 1800..=2100) likewise.
pub fn import_coinr(
    idata: &[u8],
    idata_file: &str,
    imeta: &[u8],
    imeta_file: &str,
    year: Option<i32>,
    group: Option<&str>,
) -> Result<CoinrImport> {
    let meta = Csv::read(imeta, imeta_file)?;
    let data = Csv::read(idata, idata_file)?;
    let mut meta_problems = Problems::new(&meta);
    let rows = read_imeta(&meta, &mut meta_problems)?;
    check_tree(&rows, &mut meta_problems);
    meta_problems.finish()?;

    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|r| matches!(r.kind.as_str(), "Indicator" | "Aggregate" | "Denominator"))
    {
        ids.insert(row.code.clone(), row.id.clone());
    }
    let by_code: HashMap<&str, &MetaRow> = rows.iter().map(|r| (r.code.as_str(), r)).collect();
    let aggregates: Vec<&MetaRow> = rows.iter().filter(|r| r.kind == "Aggregate").collect();
    let indicators: Vec<&MetaRow> = rows.iter().filter(|r| r.kind == "Indicator").collect();
    let denominators: Vec<&MetaRow> = rows.iter().filter(|r| r.kind == "Denominator").collect();
    let roots: Vec<&&MetaRow> = aggregates.iter().filter(|r| r.parent.is_none()).collect();
    let [root] = roots.as_slice() else {
        return Err(Error::format(
            imeta_file,
            None,
            "no index (the one Aggregate without a Parent)".to_string(),
        ));
    };

    // iData columns.
    let mut problems = Problems::new(&data);
    let c_ucode = data.require("uCode", "the code of each unit")?;
    let c_uname = data.column("uName");
    let c_time = data.column("Time");
    let group_codes: Vec<&str> = rows
        .iter()
        .filter(|r| r.kind == "Group")
        .map(|r| r.code.as_str())
        .collect();
    let group_col = choose_group(&group_codes, group, imeta_file)?;
    let other_groups: Vec<(String, &str)> = group_codes
        .iter()
        .filter(|&&g| Some(g) != group_col.as_deref())
        .map(|&g| (attribute_key(g), g))
        .collect();
    let mut require = |name: &str, what: &str| match data.require(name, what) {
        Ok(c) => Some(c),
        Err(e) => {
            problems.push(e);
            None
        }
    };
    let c_group = group_col
        .as_ref()
        .and_then(|g| require(g, "the Group column named in iMeta"));
    let c_attributes: Vec<(&str, Option<usize>)> = other_groups
        .iter()
        .map(|(key, code)| (key.as_str(), require(code, "a Group column named in iMeta")))
        .collect();
    let mut columns = Vec::new();
    for ind in &indicators {
        if let Some(c) = require(&ind.code, "an indicator of iMeta") {
            columns.push((c, *ind));
        }
    }
    for d in &denominators {
        if let Some(c) = require(&d.code, "a denominator of iMeta") {
            columns.push((c, *d));
        }
    }
    let mut seen_columns: HashMap<&str, usize> = HashMap::new();
    for (c, name) in data.header.iter().enumerate() {
        let shown = echo(name);
        if let Some(first) = seen_columns.insert(name.as_str(), c) {
            problems.at(
                1,
                name,
                format!(
                    "column `{shown}` appears twice (columns {} and {}): keep one",
                    first + 1,
                    c + 1
                ),
            );
            continue;
        }
        let known = by_code.contains_key(name.as_str())
            || matches!(name.as_str(), "uCode" | "uName" | "Time");
        if !known {
            problems.at(1, name, format!("column `{shown}` is not in iMeta: add a row for it (Type `Other` to keep it out of the index) or drop the column"));
        } else if by_code
            .get(name.as_str())
            .is_some_and(|r| r.kind == "Aggregate")
            && c != c_ucode
        {
            problems.at(
                1,
                name,
                format!("`{shown}` is an Aggregate in iMeta: iData holds indicators only"),
            );
        }
    }
    // Read once: the accepted years come from the environment.
    let years = years();
    if c_time.is_none() {
        match year {
            None => problems.push(Error::format(
                idata_file,
                Some("line 1".to_string()),
                "no `Time` column: give the year the values refer to (e.g. 2023)".to_string(),
            )),
            Some(y) if !years.contains(&y) => problems.file(format!(
                "the year the values refer to, {y}, is outside {}..={}: give a year in that range",
                years.start(),
                years.end()
            )),
            Some(_) => {}
        }
    }

    // Cities and observations.
    let mut units: Vec<Unit> = Vec::new();
    let mut unit_of: HashMap<String, usize> = HashMap::new();
    let mut unit_ids: HashMap<String, String> = HashMap::new();
    let mut observations = String::from("city,indicator,year,value,source,flag\n");
    let mut n_observations = 0;
    let mut seen: HashMap<(String, i32), usize> = HashMap::new();
    for (line, row) in &data.rows {
        let line = *line;
        let code = field(row, Some(c_ucode));
        if code.is_empty() {
            problems.at(
                line,
                "uCode",
                "empty uCode: every row needs a unit code".to_string(),
            );
            continue;
        }
        let shown = echo(code);
        let row_year = match c_time {
            Some(c) => {
                let text = field(row, Some(c));
                match number(text) {
                    Ok(Some(t))
                        if t.fract() == 0.0
                            && (f64::from(*years.start())..=f64::from(*years.end()))
                                .contains(&t) =>
                    {
                        // A whole number within the years: exact as an i32.
                        #[allow(clippy::cast_possible_truncation)]
                        let y = t as i32;
                        y
                    }
                    _ => {
                        problems.at(
                            line,
                            "Time",
                            format!(
                                "unit `{shown}`: Time `{}` is not a whole year within {}..={}",
                                echo(text),
                                years.start(),
                                years.end()
                            ),
                        );
                        continue;
                    }
                }
            }
            None => year.unwrap_or_default(),
        };
        if let Some(first) = seen.insert((code.to_string(), row_year), line) {
            problems.at(line, "uCode", format!("unit `{shown}` appears twice for year {row_year} (first on line {first}): keep one row per unit and year"));
            continue;
        }
        let id = coinr_id(code);
        if let Some(other) = unit_ids.insert(id.clone(), code.to_string()) {
            if other != code {
                problems.at(
                    line,
                    "uCode",
                    format!(
                        "units `{}` and `{shown}` both become city id `{}`: rename one of them",
                        echo(&other),
                        echo(&id)
                    ),
                );
                continue;
            }
        }
        if !unit_of.contains_key(code) {
            unit_of.insert(code.to_string(), units.len());
            let name = field(row, c_uname);
            let region = field(row, c_group);
            units.push(Unit {
                id: id.clone(),
                code: code.to_string(),
                name: if is_na(name) {
                    code.to_string()
                } else {
                    name.to_string()
                },
                region: (!is_na(region)).then(|| region.to_string()),
                attributes: c_attributes
                    .iter()
                    .map(|&(key, c)| (key, field(row, c)))
                    .filter(|(_, value)| !is_na(value))
                    .map(|(key, value)| (key.to_string(), value.to_string()))
                    .collect(),
            });
        }
        for &(c, ind) in &columns {
            let text = field(row, Some(c));
            match number(text) {
                Ok(Some(v)) if v.abs() <= MAX_ABS_VALUE => {
                    let _ = writeln!(observations, "{id},{},{row_year},{v:?},coinr,", ind.id);
                    n_observations += 1;
                }
                Ok(Some(v)) => problems.at(line, &ind.code, format!("unit `{shown}`, year {row_year}: the value `{v:e}` is beyond ±{MAX_ABS_VALUE:e}, the largest magnitude accepted: check the cell and its unit")),
                Ok(None) => {}
                Err(m) => problems.at(line, &ind.code, format!("unit `{shown}`: {m}")),
            }
        }
    }
    if data.rows.is_empty() {
        problems.file("no data row".to_string());
    }
    problems.finish()?;
    if units.is_empty() {
        return Err(Error::format(idata_file, None, "no data row".to_string()));
    }
    for unit in &units {
        ids.insert(unit.code.clone(), unit.id.clone());
    }

    // cities.toml
    let mut cities = format!(
        "# Imported from COINr iData `{idata_file}` by `healthy-city import coinr`.\n\
         # COINr data have no geography: no `country` or coordinates are written; add them if\n\
         # national proxies or maps are needed.\n\
         # `region` is {}.\n{}",
        group_col.as_ref().map_or_else(
            || "not written (iMeta has no Group row)".to_string(),
            |g| format!("the iData Group column `{g}`")
        ),
        if other_groups.is_empty() {
            String::new()
        } else {
            format!(
                "# The other Group columns are attributes: {}.\n",
                other_groups
                    .iter()
                    .map(|(key, code)| format!("`{key}` (`{code}`)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    for unit in &units {
        let _ = write!(
            cities,
            "\n[[city]]\nid = {}\nname = {}\n",
            quote(&unit.id),
            quote(&unit.name)
        );
        if let Some(region) = &unit.region {
            let _ = writeln!(cities, "region = {}", quote(region));
        }
        if !unit.attributes.is_empty() {
            let pairs: Vec<String> = unit
                .attributes
                .iter()
                .map(|(key, value)| format!("{key} = {}", quote(value)))
                .collect();
            let _ = writeln!(cities, "attributes = {{ {} }}", pairs.join(", "));
        }
        let _ = writeln!(cities, "aliases = {{ coinr = [{}] }}", quote(&unit.code));
    }

    // catalogue.toml
    let mut catalogue =
        format!("# Imported from COINr iMeta `{imeta_file}` by `healthy-city import coinr`.\n");
    for ind in &indicators {
        let direction = if ind.direction == Some(-1.0) {
            "lower"
        } else {
            "higher"
        };
        let _ = write!(
            catalogue,
            "\n[[indicator]]\nid = {}\nname = {}\nunit = {}\ndirection = \"{direction}\"\nlevel = \"city\"\nsource = {{ adapter = \"coinr\", publisher = \"COINr iData\", dataset = {}, release = \"imported\", licence = \"as the source data\", query = {} }}\n",
            quote(&ind.id), quote(&ind.name), quote(&ind.unit), quote(idata_file), quote(&ind.code)
        );
    }
    for d in &denominators {
        let _ = write!(
            catalogue,
            "\n# COINr Denominator: divides indicators (framework `denominator`), never scored itself.\n[[indicator]]\nid = {}\nname = {}\nunit = {}\ndirection = \"higher\"\nlevel = \"city\"\nsource = {{ adapter = \"coinr\", publisher = \"COINr iData\", dataset = {}, release = \"imported\", licence = \"as the source data\", query = {} }}\n",
            quote(&d.id), quote(&d.name), quote(&d.unit), quote(idata_file), quote(&d.code)
        );
    }

    // framework.toml: the index, then groups from the top level down, then indicators.
    let mut framework = format!(
        "# Imported from COINr (iData `{idata_file}`, iMeta `{imeta_file}`) by `healthy-city import coinr`.\n\
         # Ids are the COINr codes lowercased (e.g. `LIV_04` -> `liv_04`); each node's code is in a comment.\n\
         # The methods below are healthy-city's defaults; COINr's own must be set here to reproduce a build.\n\
         \n[index]\nid = {}\nname = {}\n\n[data]\nobservations = \"observations.csv\"\ncities = \"cities.toml\"\ncatalogue = \"catalogue.toml\"\n\n[methods]\nnormalisation = \"minmax\"\nscale = [0, 100]\naggregation = \"arithmetic\"\nmissing = \"skip\"\n",
        quote(&root.id), quote(&root.name)
    );
    let unscored: Vec<String> = rows
        .iter()
        .filter(|r| r.kind == "Other")
        .map(|r| format!("`{}` ({})", r.code, r.kind))
        .collect();
    if !unscored.is_empty() {
        let _ = writeln!(framework, "# Not scored: {}.", unscored.join(", "));
    }
    let mut groups: Vec<&&MetaRow> = aggregates.iter().collect();
    groups.sort_by(|a, b| b.level.unwrap_or(0.0).total_cmp(&a.level.unwrap_or(0.0)));
    for g in groups {
        let _ = write!(
            framework,
            "\n[[group]]\nid = {}  # COINr {}\nname = {}\n",
            quote(&g.id),
            g.code,
            quote(&g.name)
        );
        if let Some(p) = &g.parent {
            let _ = writeln!(
                framework,
                "parent = {}\nweight = {}",
                quote(&ids[p]),
                g.weight
            );
        }
    }
    for ind in &indicators {
        let parent = ind.parent.as_ref().map_or("", |p| ids[p].as_str());
        let _ = write!(
            framework,
            "\n[[indicator]]\nid = {}  # COINr {}\nparent = {}\nweight = {}\n",
            quote(&ind.id),
            ind.code,
            quote(parent),
            ind.weight
        );
        if let Some(t) = ind.target {
            let _ = writeln!(framework, "# COINr Target: {t}");
        }
        if let Some(d) = &ind.denominator {
            let _ = writeln!(
                framework,
                "# denominator = {}  # COINr iMeta Denominator `{d}`: uncomment to divide, as Denominate() does",
                quote(&ids[d])
            );
        }
    }

    Ok(CoinrImport {
        framework,
        cities,
        catalogue,
        observations,
        ids,
        n_observations,
    })
}

/// Writes the four files of an import into `out` (created if needed), staged with
/// [`healthy_city_fs::Staging`]: they appear together or not at all, and on a failure the
/// previous files are left as they were, with no temporary folder behind.
pub fn write_coinr_import(import: &CoinrImport, out: &Path) -> Result<()> {
    let write_error = |source| Error::Write {
        path: out.to_path_buf(),
        source,
    };
    let mut staging = healthy_city_fs::Staging::new(out).map_err(write_error)?;
    let texts = [
        &import.framework,
        &import.cities,
        &import.catalogue,
        &import.observations,
    ];
    for (name, text) in COINR_FILES.iter().zip(texts) {
        staging.write(name, text.as_bytes()).map_err(write_error)?;
    }
    staging.commit().map_err(write_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use healthy_city_model::{Catalogue, Cities, Direction, Framework, Observations};

    const IMETA: &str = "Level,iCode,iName,Direction,Weight,Parent,Type,Unit,Target
1,LIV_04,Life expectancy,1,2,Health,Indicator,years,85
1,GRN_01,PM2.5,-1,1,Env,Indicator,,
2,Health,Health,1,1,Index,Aggregate,,
2,Env,Environment,1,3,Index,Aggregate,,
3,Index,The index,1,1,,Aggregate,,
,Region,Region,,,,Group,,
";
    const IDATA: &str = "uCode,uName,Region,LIV_04,GRN_01
SIN,Singapore,Asia,83.9,12
LON,London,Europe,,9.5
";

    fn load(i: &CoinrImport) -> (Framework, Cities, Catalogue, Observations) {
        let f = Framework::parse(&i.framework, "framework.toml").unwrap();
        let c = Cities::parse(&i.cities, "cities.toml").unwrap();
        let k = Catalogue::parse(&i.catalogue, "catalogue.toml").unwrap();
        let o = Observations::from_csv(i.observations.as_bytes(), "observations.csv").unwrap();
        f.check_catalogue(&k).unwrap();
        o.validate(&c, &k).unwrap();
        (f, c, k, o)
    }

    #[test]
    fn maps_codes_to_ids() {
        assert_eq!(coinr_id("LIV_04"), "liv_04");
        assert_eq!(coinr_id("SafeActive"), "safeactive");
        assert_eq!(coinr_id("2A.b"), "x2a_b");
    }

    #[test]
    fn group_chooses_the_region_column_and_the_other_group_columns_become_attributes() {
        // COINr's ASEM iMeta lists GDP_group before EurAsia_group; its build groups by the latter.
        let meta =
            format!("{IMETA},GDP_group,GDP group,,,,Group,,\n,EurAsia_group,EurAsia,,,,Group,,\n");
        let data = "uCode,uName,Region,GDP_group,EurAsia_group,LIV_04,GRN_01\n\
                    SIN,Singapore,Asia,XL,Asia,83.9,12\n\
                    LON,London,Europe,NA,Europe,,9.5\n";
        let import = |group| {
            import_coinr(
                data.as_bytes(),
                "iData.csv",
                meta.as_bytes(),
                "iMeta.csv",
                Some(2021),
                group,
            )
        };
        // Without --group the first Group row (Region) stays the region, as before.
        let (_, c, _, _) = load(&import(None).unwrap());
        let sin = c.get("sin").unwrap();
        assert_eq!(sin.region.as_deref(), Some("Asia"));
        assert_eq!(sin.attribute("gdp_group"), Some("XL"));
        assert_eq!(sin.attribute("eurasia_group"), Some("Asia"));
        // London's GDP_group is NA: no attribute rather than the text `NA`.
        assert_eq!(c.get("lon").unwrap().attribute("gdp_group"), None);

        let chosen = import(Some("GDP_group")).unwrap();
        assert!(chosen
            .cities
            .contains("# `region` is the iData Group column `GDP_group`."));
        let (_, c, _, _) = load(&chosen);
        let sin = c.get("sin").unwrap();
        assert_eq!(sin.region.as_deref(), Some("XL"));
        assert_eq!(sin.attribute("region"), Some("XL"));
        // Region, no longer the region, is an attribute under a key that is not a registry field.
        assert_eq!(sin.attribute("coinr_region"), Some("Asia"));
        assert_eq!(c.get("lon").unwrap().region, None);

        let err = import(Some("Income")).unwrap_err().to_string();
        assert!(
            err.contains("`--group Income` is not a Group row of iMeta: use one of `Region`, `GDP_group`, `EurAsia_group`"),
            "{err}"
        );
        let err = import_coinr(
            IDATA.as_bytes(),
            "iData.csv",
            IMETA.replace(",Region,Region,,,,Group,,\n", "").as_bytes(),
            "iMeta.csv",
            Some(2021),
            Some("Region"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("iMeta has no row of Type `Group`: drop `--group`"),
            "{err}"
        );
    }

    #[test]
    fn imports_a_small_coin_into_valid_files() {
        let i = import_coinr(
            IDATA.as_bytes(),
            "iData.csv",
            IMETA.as_bytes(),
            "iMeta.csv",
            Some(2021),
            None,
        )
        .unwrap();
        let (f, c, k, o) = load(&i);
        assert_eq!(f.root().id, "index");
        assert_eq!(f.get("env").unwrap().weight, 3.0);
        assert_eq!(f.get("liv_04").unwrap().weight, 2.0);
        assert_eq!(k.get("grn_01").unwrap().direction, Direction::Lower);
        assert_eq!(k.get("liv_04").unwrap().unit, "years");
        assert_eq!(c.get("lon").unwrap().region.as_deref(), Some("Europe"));
        assert_eq!(c.get("lon").unwrap().country, None);
        // London's missing life expectancy is not written.
        assert_eq!(o.len(), 3);
        assert_eq!(i.ids["LIV_04"], "liv_04");
        assert_eq!(i.ids["SIN"], "sin");
        assert!(i.framework.contains("# COINr Target: 85"));
    }

    #[test]
    fn writes_the_four_files_together_or_leaves_the_previous_ones_and_no_temporary_folder() {
        let i = import_coinr(
            IDATA.as_bytes(),
            "iData.csv",
            IMETA.as_bytes(),
            "iMeta.csv",
            Some(2021),
            None,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("import");
        write_coinr_import(&i, &out).unwrap();
        for (name, text) in
            COINR_FILES
                .iter()
                .zip([&i.framework, &i.cities, &i.catalogue, &i.observations])
        {
            assert_eq!(&std::fs::read_to_string(out.join(name)).unwrap(), text);
        }
        // A second import whose third file cannot be put in place (a folder has its name):
        // nothing of it appears, the previous files stay, and no staging folder is left.
        std::fs::remove_file(out.join(COINR_FILES[2])).unwrap();
        std::fs::create_dir(out.join(COINR_FILES[2])).unwrap();
        let mut other = i.clone();
        other.framework.push_str("# a second import\n");
        other.observations.push_str("# a second import\n");
        let err = write_coinr_import(&other, &out).unwrap_err();
        assert_eq!(err.to_string(), format!("cannot write `{}`", out.display()));
        assert_eq!(
            std::fs::read_to_string(out.join(COINR_FILES[0])).unwrap(),
            i.framework
        );
        assert_eq!(
            std::fs::read_to_string(out.join(COINR_FILES[3])).unwrap(),
            i.observations
        );
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut expected = COINR_FILES.map(str::to_string).to_vec();
        expected.sort();
        assert_eq!(names, expected);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let bad = IDATA.replace("9.5", "n.a.");
        let e = import_coinr(
            bad.as_bytes(),
            "iData.csv",
            IMETA.as_bytes(),
            "iMeta.csv",
            Some(2021),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`iData.csv` line 3, column `GRN_01`: unit `LON`: `n.a.` is not a number"
        );
        let bad = IMETA.replace("PM2.5,-1", "PM2.5,0");
        let e = import_coinr(
            IDATA.as_bytes(),
            "iData.csv",
            bad.as_bytes(),
            "iMeta.csv",
            Some(2021),
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "`iMeta.csv` line 3, column `Direction`: indicator `GRN_01` has Direction `0`"
            ),
            "{e}"
        );
        let e = import_coinr(
            IDATA.as_bytes(),
            "iData.csv",
            IMETA.as_bytes(),
            "iMeta.csv",
            None,
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("no `Time` column: give the year the values refer to"),
            "{e}"
        );
        let bad = IDATA
            .replace("GRN_01\n", "GRN_01,Extra\n")
            .replace("12\n", "12,1\n");
        let e = import_coinr(
            bad.as_bytes(),
            "iData.csv",
            IMETA.as_bytes(),
            "iMeta.csv",
            Some(2021),
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("column `Extra` is not in iMeta"),
            "{e}"
        );
    }

    fn meta_error(meta: &str) -> String {
        import_coinr(
            IDATA.as_bytes(),
            "iData.csv",
            meta.as_bytes(),
            "iMeta.csv",
            Some(2021),
            None,
        )
        .unwrap_err()
        .to_string()
    }

    #[test]
    fn a_cycle_of_parents_is_reported_at_its_line_in_imeta() {
        // Health's parent Env, Env's parent Health (and the index left without children).
        let meta = IMETA
            .replace("2,Health,Health,1,1,Index", "2,Health,Health,1,1,Env")
            .replace(
                "2,Env,Environment,1,3,Index",
                "2,Env,Environment,1,3,Health",
            );
        let err = meta_error(&meta);
        assert!(err.starts_with("`iMeta.csv` has "), "{err}");
        assert!(
            err.contains("\n  - line 4, column `Parent`: the Parents form a cycle, `Health` -> `Env` -> `Health`: each chain of Parents must end at the index"),
            "{err}"
        );
        // A longer cycle, of three aggregates, is named whole, once.
        let meta = "Level,iCode,iName,Direction,Weight,Parent,Type,Unit,Target
1,I1,I1,1,1,A,Indicator,,
2,A,A,1,1,B,Aggregate,,
2,B,B,1,1,C,Aggregate,,
2,C,C,1,1,A,Aggregate,,
3,Index,Index,1,1,,Aggregate,,
";
        let err = meta_error(meta);
        assert_eq!(err.matches("form a cycle").count(), 1, "{err}");
        assert!(
            err.contains(
                "line 3, column `Parent`: the Parents form a cycle, `A` -> `B` -> `C` -> `A`"
            ),
            "{err}"
        );
        // A node its own parent.
        let meta = IMETA.replace("2,Env,Environment,1,3,Index", "2,Env,Environment,1,3,Env");
        let err = meta_error(&meta);
        assert!(
            err.contains("line 5, column `Parent`: `Env` is its own Parent"),
            "{err}"
        );
    }

    #[test]
    fn weights_are_checked_against_imeta_each_at_its_line() {
        // All children of Health weigh 0 (LIV_04 is its only child).
        let err = meta_error(&IMETA.replace(
            "1,LIV_04,Life expectancy,1,2,",
            "1,LIV_04,Life expectancy,1,0,",
        ));
        assert_eq!(
            err,
            "`iMeta.csv` line 4, column `Weight`: every child of `Health` has Weight 0 (`LIV_04` (line 2)): give at least one a positive weight, or remove `Health`"
        );
        for (weight, expected) in [
            ("-1", "`iMeta.csv` line 3, column `Weight`: `GRN_01` has Weight `-1`: a weight cannot be negative"),
            ("inf", "`iMeta.csv` line 3, column `Weight`: `GRN_01`: `inf` is not a number"),
            ("NaN", "`iMeta.csv` line 3, column `Weight`: `GRN_01`: `NaN` is not a number"),
            ("heavy", "`iMeta.csv` line 3, column `Weight`: `GRN_01`: `heavy` is not a number"),
            ("1e308", "`iMeta.csv` line 3, column `Weight`: `GRN_01` has Weight `1e308`: beyond 1e12, the largest weight accepted"),
            ("", "`iMeta.csv` line 3, column `Weight`: `GRN_01` has no Weight"),
        ] {
            let err = meta_error(&IMETA.replace("1,GRN_01,PM2.5,-1,1,", &format!("1,GRN_01,PM2.5,-1,{weight},")));
            assert!(err.starts_with(expected), "{weight}: {err}");
        }
    }

    #[test]
    fn codes_parents_and_levels_are_checked_against_imeta() {
        let err = meta_error(&format!("{IMETA}1,GRN_01,Again,1,1,Env,Indicator,,\n"));
        assert_eq!(err, "`iMeta.csv` line 8, column `iCode`: iCode `GRN_01` is also defined on line 3: each code names one row; rename or remove one");
        let err = meta_error(&IMETA.replace("1,GRN_01,PM2.5,-1,1,Env", "1,GRN_01,PM2.5,-1,1,Envy"));
        assert!(err.starts_with("`iMeta.csv` has 2 problems"), "{err}");
        assert!(err.contains("line 3, column `Parent`: `GRN_01` names Parent `Envy`, which is not an Aggregate row of iMeta"), "{err}");
        assert!(
            err.contains("line 5, column `iCode`: aggregate `Env` has no children"),
            "{err}"
        );
        // A Level that disagrees with the parent chain.
        let err = meta_error(&IMETA.replace("2,Env,Environment", "4,Env,Environment"));
        assert!(
            err.contains("`GRN_01` has Level 1 but its Parent `Env` (line 5) has Level 4: a parent is one Level above its children (here 2)"),
            "{err}"
        );
        assert!(
            err.contains("line 5, column `Level`: `Env` has Level 4 but its Parent `Index` (line 6) has Level 3"),
            "{err}"
        );
        let err = meta_error(&IMETA.replace("1,LIV_04", "2,LIV_04"));
        assert!(
            err.contains(
                "line 2, column `Level`: indicator `LIV_04` has Level 2: indicators are Level 1"
            ),
            "{err}"
        );
        let err = meta_error(&IMETA.replace("1,LIV_04", "1.5,LIV_04"));
        assert!(
            err.contains("`LIV_04` has Level `1.5`: give a whole number"),
            "{err}"
        );
    }

    /// Every problem of a file is reported at once, 20 in full and then their number.
    #[test]
    fn every_problem_of_imeta_is_reported_at_once_bounded() {
        let mut meta = IMETA.to_string();
        for k in 0..30 {
            let _ = writeln!(meta, "1,X{k},X,1,-1,Nowhere,Indicator,,");
        }
        let err = meta_error(&meta);
        // Each row has a negative weight and an undefined parent: 60 problems.
        assert!(err.starts_with("`iMeta.csv` has 60 problems; fix them and try again:\n  - line 8, column `Weight`: `X0` has Weight `-1`"), "{err}");
        assert_eq!(err.matches("\n  - ").count(), 20, "{err}");
        assert!(err.ends_with("\n  and 40 more"), "{err}");
    }

    #[test]
    fn idata_values_years_and_units_are_checked_each_at_its_line() {
        let meta = format!("{IMETA},Time,Time,,,,Other,,\n");
        let import = |data: &str| {
            import_coinr(
                data.as_bytes(),
                "iData.csv",
                meta.as_bytes(),
                "iMeta.csv",
                None,
                None,
            )
            .unwrap_err()
            .to_string()
        };
        let err = import("uCode,Time,Region,LIV_04,GRN_01\nSIN,2019,,1e300,12\nSIN,2019,,84,11\nLON,2019.5,,1,1\nPAR,99999,,1,1\nBER,2020,,inf,1\n");
        assert!(err.starts_with("`iData.csv` has 5 problems"), "{err}");
        for part in [
            "line 2, column `LIV_04`: unit `SIN`, year 2019: the value `1e300` is beyond ±1e15",
            "line 3, column `uCode`: unit `SIN` appears twice for year 2019 (first on line 2)",
            "line 4, column `Time`: unit `LON`: Time `2019.5` is not a whole year within 1800..=2100",
            "line 5, column `Time`: unit `PAR`: Time `99999` is not a whole year within 1800..=2100",
            "line 6, column `LIV_04`: unit `BER`: `inf` is not a number",
        ] {
            assert!(err.contains(part), "{part}: {err}");
        }
        // The year given for a file without `Time` is bounded too.
        let err = import_coinr(
            IDATA.as_bytes(),
            "iData.csv",
            IMETA.as_bytes(),
            "iMeta.csv",
            Some(3000),
            None,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "`iData.csv`: the year the values refer to, 3000, is outside 1800..=2100: give a year in that range");
    }

    #[test]
    fn a_time_column_gives_the_years() {
        let meta = format!("{IMETA},Time,Time,,,,Other,,\n");
        let data = "uCode,Time,Region,LIV_04,GRN_01\nSIN,2019,,83,12\nSIN,2020,,84,11\n";
        let i = import_coinr(
            data.as_bytes(),
            "iData.csv",
            meta.as_bytes(),
            "iMeta.csv",
            None,
            None,
        )
        .unwrap();
        assert!(
            i.observations.contains("sin,liv_04,2020,84.0,coinr,"),
            "{}",
            i.observations
        );
        assert!(!i.cities.contains("region ="), "{}", i.cities);
    }

    /// A coin with a `Denominator` row: beds per person, 0.1, 0.3 and 0.2.
    const IMETA_DENOM: &str =
        "Level,iCode,iName,Direction,Weight,Parent,Type,Unit,Target,Denominator
1,Beds,Hospital beds,1,1,Health,Indicator,beds,,Pop
1,PM,PM2.5,-1,1,Health,Indicator,ug/m3,,
2,Health,Health,1,1,Index,Aggregate,,,
3,Index,Index,1,1,,Aggregate,,,
,Pop,Population,,,,Denominator,people,,
";
    const IDATA_DENOM: &str = "uCode,uName,Beds,PM,Pop
AAA,A,100,10,1000
BBB,B,300,20,1000
CCC,C,400,30,2000
";

    #[test]
    fn denominators_are_imported_and_divide_once_uncommented() {
        let i = import_coinr(
            IDATA_DENOM.as_bytes(),
            "iData.csv",
            IMETA_DENOM.as_bytes(),
            "iMeta.csv",
            Some(2021),
            None,
        )
        .unwrap();
        let (f, c, k, o) = load(&i);
        assert_eq!(k.get("pop").unwrap().unit, "people");
        assert!(f.get("pop").is_none(), "a denominator is not scored");
        assert!(i.observations.contains("ccc,pop,2021,2000.0,coinr,"));
        assert!(i
            .framework
            .contains("# denominator = \"pop\"  # COINr iMeta Denominator `Pop`"));
        let beds = |framework: &Framework| {
            let r = healthy_city_score::score(framework, &k, &c, &o).unwrap();
            let node = r.nodes.iter().position(|n| n.id == "beds").unwrap();
            ["aaa", "bbb", "ccc"].map(|u| r.score(0, r.city_slot(u).unwrap(), node))
        };
        let close = |got: [f64; 3], want: [f64; 3]| {
            assert!(
                got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-9),
                "{got:?} != {want:?}"
            );
        };
        // As imported (COINr's new_coin): raw beds 100, 300, 400 min-maxed to 0-100.
        close(beds(&f), [0.0, 100.0 * 200.0 / 300.0, 100.0]);
        // Uncommented (COINr's Denominate): 0.1, 0.3, 0.2 beds per person.
        let on = Framework::parse(
            &i.framework.replace("# denominator", "denominator"),
            "framework.toml",
        )
        .unwrap();
        close(beds(&on), [0.0, 100.0, 50.0]);
        // A Denominator cell naming no Denominator row is an error at its line.
        let bad = IMETA_DENOM.replace(",,Pop\n", ",,Area\n");
        let e = import_coinr(
            IDATA_DENOM.as_bytes(),
            "iData.csv",
            bad.as_bytes(),
            "iMeta.csv",
            Some(2021),
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("`iMeta.csv` line 2, column `Denominator`: indicator `Beds` names Denominator `Area`"),
            "{e}"
        );
    }

    /// The COINr reference coin (55 cities, 10 indicators, 28 NAs) imports into valid files.
    #[test]
    fn imports_the_coinr_reference_coin() {
        let base = std::env::var_os("HEALTHY_CITY_REFERENCE").map_or_else(
            || {
                std::path::PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../../shared/reference"
                ))
            },
            std::path::PathBuf::from,
        );
        let dir = base.join("coinr");
        if !dir.is_dir() {
            assert!(
                std::env::var("HEALTHY_CITY_REQUIRE_DATA").as_deref() != Ok("1"),
                "no reference data at {}",
                dir.display()
            );
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "notice: COINr reference data not found at {}; skipping",
                    dir.display()
                );
            }
            return;
        }
        let idata = std::fs::read(dir.join("iData.csv")).unwrap();
        let imeta = std::fs::read(dir.join("iMeta.csv")).unwrap();
        let i = import_coinr(&idata, "iData.csv", &imeta, "iMeta.csv", Some(2024), None).unwrap();
        let (f, c, k, o) = load(&i);
        assert_eq!(c.len(), 55);
        assert_eq!(k.len(), 10);
        assert_eq!(f.indicators().count(), 10);
        assert_eq!(o.len(), 550 - 28);
        assert_eq!(f.root().id, "index");
        assert_eq!(c.get("lon").unwrap().region.as_deref(), Some("Europe"));
        assert_eq!(k.get("grn_01").unwrap().direction, Direction::Lower);
        let domains: Vec<_> = f.domains().map(|n| n.id.as_str()).collect();
        assert_eq!(domains, ["health", "environment", "safeactive"]);
        // Scored with COINr's settings (min-max to [1, 100], arithmetic, skip missing), the
        // index matches COINr's `a_amean.csv` to 1e-9 on every city.
        let framework = i.framework.replace("scale = [0, 100]", "scale = [1, 100]");
        let f1 = Framework::parse(&framework, "framework.toml").unwrap();
        let results = healthy_city_score::score(&f1, &k, &c, &o).unwrap();
        let amean = std::fs::read_to_string(dir.join("aggregate/a_amean.csv")).unwrap();
        let mut checked = 0;
        for line in amean.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            let city = fields[0].trim_matches('"').to_lowercase();
            let want: f64 = fields[4].parse().unwrap();
            let slot = results.city_slot(&city).unwrap();
            let got = results.score(0, slot, results.root);
            assert!((got - want).abs() < 1e-9, "{city}: {got} != {want}");
            checked += 1;
        }
        assert_eq!(checked, 55);
        let out = std::env::temp_dir().join(format!("healthy-city-coinr-{}", std::process::id()));
        write_coinr_import(&i, &out).unwrap();
        assert!(Framework::load(&out.join("framework.toml")).is_ok());
        std::fs::remove_dir_all(&out).unwrap();
    }
}
