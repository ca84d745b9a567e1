//! `healthy-city ingest`: rebuild the snapshot from the publishers' files (`--from`) or from
//! their servers (`--fetch`), and write it only if every source succeeded.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use healthy_city_ingest::{Budget, Client, FetchOptions, HttpConfig, Progress, Secret};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::IngestArgs;
use crate::hints::ingest_flags;
use crate::publish::{status, Outputs};

pub fn run(args: &IngestArgs) -> Result<()> {
    let cities = healthy_city_model::Cities::load(&args.cities)?;
    let catalogue = healthy_city_model::Catalogue::load(&args.catalogue)?;
    if let Some(from) = &args.from {
        if !from.is_dir() {
            bail!(
                "the data folder `{}` does not exist: give the folder holding the publishers' files with `--from`",
                from.display()
            );
        }
    }
    if same_folder(&args.report, &args.out) {
        bail!(
            "`--report {}` is the snapshot folder: give the report its own folder (default `out/ingest`), the snapshot is committed and compared byte for byte",
            args.report.display()
        );
    }
    let snapshot = if args.fetch {
        fetch(args, &cities, &catalogue)?
    } else {
        let from = args
            .from
            .as_deref()
            .context("give the data folder with `--from`, or download with `--fetch`")?;
        healthy_city_ingest::build_snapshot(from, &cities, &catalogue, args.first_year)
            .map_err(ingest_flags)
            .with_context(|| format!("cannot build the snapshot from `{}`", from.display()))?
    };
    // The report is staged and checked before the snapshot is replaced, and moved into place
    // after it: a failure of either leaves both as they were.
    let report_context = || {
        format!(
            "cannot write the ingest report to `{}`",
            args.report.display()
        )
    };
    let mut report = Outputs::new(&args.report).with_context(report_context)?;
    report
        .bytes(
            healthy_city_ingest::UNMATCHED_CSV,
            snapshot.report.unmatched_csv().as_bytes(),
        )
        .with_context(report_context)?;
    report.verify().with_context(report_context)?;
    let releases = ReleaseUpdate::stage(args, &snapshot)?;
    healthy_city_ingest::write_snapshot(&snapshot, &args.out)
        .with_context(|| format!("cannot write the snapshot to `{}`", args.out.display()))?;
    if let Some(releases) = &releases {
        releases.commit(args)?;
    }
    report.commit_quietly().with_context(report_context)?;
    if let Some(releases) = &releases {
        releases.announce(args);
    }
    let unmatched = args.report.join(healthy_city_ingest::UNMATCHED_CSV);
    status(&snapshot.report.to_string());
    status(&format!(
        "listed all {} codes and names that matched no city (places and aggregates, every source) in {}",
        snapshot.report.unmatched_total(),
        unmatched.display()
    ));
    status(&format!(
        "wrote {} observations to {}",
        snapshot.observations.len(),
        args.out.display()
    ));
    Ok(())
}

/// The catalogue's `release` fields rewritten for the releases accepted with
/// `--accept-releases`, staged (and re-read as a catalogue) before the snapshot is written, and
/// the revisions of values against the snapshot being replaced.
struct ReleaseUpdate {
    catalogue: String,
    changes: Vec<healthy_city_ingest::ReleaseChange>,
    revisions: Option<healthy_city_ingest::Revisions>,
    /// The accepted indicators that also name a local `file` (of the release they had).
    with_files: Vec<String>,
}

impl ReleaseUpdate {
    fn stage(
        args: &IngestArgs,
        snapshot: &healthy_city_ingest::Snapshot,
    ) -> Result<Option<ReleaseUpdate>> {
        if snapshot.accepted.is_empty() {
            return Ok(None);
        }
        let file = args.catalogue.display().to_string();
        let text = std::fs::read_to_string(&args.catalogue).with_context(|| {
            format!("cannot read the catalogue `{file}` to update its releases")
        })?;
        let catalogue = healthy_city_ingest::accept_releases(&text, &file, &snapshot.accepted)
            .with_context(|| format!("cannot update the releases in `{file}`"))?;
        // The rewritten text must still be a catalogue, with the offered releases in it.
        let reread =
            healthy_city_model::Catalogue::parse(&catalogue, &file).with_context(|| {
                format!("the catalogue `{file}` with its releases updated does not read back")
            })?;
        for change in &snapshot.accepted {
            let release = reread
                .get(&change.indicator)
                .and_then(|i| i.source_at(change.source))
                .map(|s| s.release.as_str());
            if release != Some(change.offered.as_str()) {
                bail!(
                    "updating `{file}` did not set the release of `{}` to `{}`: edit its `source.release` by hand",
                    change.indicator,
                    change.offered
                );
            }
        }
        let with_files = snapshot
            .accepted
            .iter()
            .filter(|c| {
                reread
                    .get(&c.indicator)
                    .and_then(|i| i.source_at(c.source))
                    .is_some_and(|s| s.file.is_some())
            })
            .map(|c| c.indicator.clone())
            .collect();
        let previous_path = args.out.join("observations.csv");
        let revisions = if previous_path.exists() {
            let previous =
                healthy_city_model::Observations::load(&previous_path).with_context(|| {
                    format!(
                        "cannot read the snapshot being replaced, `{}`, to list the revisions",
                        previous_path.display()
                    )
                })?;
            let indicators = snapshot
                .accepted
                .iter()
                .map(|c| c.indicator.clone())
                .collect();
            Some(healthy_city_ingest::revisions(
                &previous,
                &snapshot.observations,
                &indicators,
            ))
        } else {
            None
        };
        Ok(Some(ReleaseUpdate {
            catalogue,
            changes: snapshot.accepted.clone(),
            revisions,
            with_files,
        }))
    }

    fn commit(&self, args: &IngestArgs) -> Result<()> {
        healthy_city_fs::write_atomic(&args.catalogue, self.catalogue.as_bytes()).with_context(
            || {
                format!(
                    "the snapshot in `{}` holds the new releases, but the catalogue `{}` could not be updated: set these releases in it by hand: {}",
                    args.out.display(),
                    args.catalogue.display(),
                    self.changes
                        .iter()
                        .map(|c| format!("`{}` = `{}`", c.indicator, c.offered))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        )
    }

    fn announce(&self, args: &IngestArgs) {
        let mut text = format!(
            "accepted {} new release{}, written to {} and the snapshot:",
            self.changes.len(),
            if self.changes.len() == 1 { "" } else { "s" },
            args.catalogue.display()
        );
        for change in &self.changes {
            text.push_str("\n  - ");
            text.push_str(&change.to_string());
        }
        status(&text);
        match &self.revisions {
            Some(revisions) => status(&revisions.to_string()),
            None => status(&format!(
                "no previous snapshot at `{}` to compare the new releases' values with",
                args.out.join("observations.csv").display()
            )),
        }
        if !self.with_files.is_empty() {
            status(&format!(
                "note: the `file` of {} still names the previous release's file; `ingest --from` reads it and will report the release difference until you download the new release's file into the data folder and update `file`",
                self.with_files
                    .iter()
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}

/// Whether two paths name the same folder (compared after resolving what exists of them).
fn same_folder(a: &std::path::Path, b: &std::path::Path) -> bool {
    let resolve =
        |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    a == b || resolve(a) == resolve(b)
}

fn fetch(
    args: &IngestArgs,
    cities: &healthy_city_model::Cities,
    catalogue: &healthy_city_model::Catalogue,
) -> Result<healthy_city_ingest::Snapshot> {
    let base_urls: BTreeMap<String, String> = args.base_url.iter().cloned().collect();
    let cache_dir = if args.no_cache {
        None
    } else {
        args.cache_dir
            .clone()
            .or_else(healthy_city_ingest::default_cache_dir)
    };
    if args.offline && cache_dir.is_none() {
        bail!("`--offline` needs a cache folder: give one with `--cache-dir`");
    }
    let config = HttpConfig {
        cache_dir,
        offline: args.offline,
        timeout: Duration::from_secs(args.timeout),
        retries: args.retries,
        base_delay: Duration::from_millis(args.retry_delay_ms),
        max_body: args.max_body_mb.saturating_mul(1024 * 1024),
        per_host: args.per_host,
        max_pages: args.max_pages,
        budgets: budgets(&args.budget),
        headers: socrata_token(args.socrata_token.as_deref())
            .map(|token| {
                BTreeMap::from([(
                    "cdc".to_string(),
                    vec![("X-App-Token".to_string(), Secret(token))],
                )])
            })
            .unwrap_or_default(),
        ..HttpConfig::default()
    };
    let client = Client::new(config)?;
    let previous_path = args.out.join("observations.csv");
    let previous = if args.allow_partial && previous_path.exists() {
        Some(
            healthy_city_model::Observations::load(&previous_path).with_context(|| {
                format!(
                    "`--allow-partial` keeps values from the previous snapshot, but `{}` cannot be read",
                    previous_path.display()
                )
            })?,
        )
    } else {
        None
    };
    if args.allow_partial && previous.is_none() {
        status(&format!(
            "warning: `--allow-partial` has no previous snapshot at `{}` to keep values from: a failed source fails the build",
            previous_path.display()
        ));
    }
    let bars = Bars::new();
    let options = FetchOptions {
        client: &client,
        base_urls: &base_urls,
        progress: &bars,
        previous: previous.as_ref(),
        allow_partial: args.allow_partial,
        accept_releases: args.accept_releases,
    };
    let snapshot = healthy_city_ingest::fetch_snapshot(
        args.from.as_deref(),
        cities,
        catalogue,
        args.first_year,
        &options,
    );
    bars.clear();
    snapshot
        .map_err(ingest_flags)
        .context("cannot build the snapshot from the publishers")
}

/// The request budgets: the defaults (the OECD's 60 an hour) with `--budget` entries replacing
/// or (`NAME=off`) removing them.
fn budgets(given: &[(String, Option<Budget>)]) -> BTreeMap<String, Budget> {
    let mut budgets = healthy_city_ingest::default_budgets();
    for (service, budget) in given {
        match budget {
            Some(budget) => budgets.insert(service.clone(), *budget),
            None => budgets.remove(service),
        };
    }
    budgets
}

/// `--socrata-token`, else a non-empty `$SOCRATA_APP_TOKEN`.
fn socrata_token(given: Option<&str>) -> Option<String> {
    given
        .map(str::to_string)
        .or_else(|| std::env::var("SOCRATA_APP_TOKEN").ok())
        .filter(|t| !t.trim().is_empty())
}

/// One progress bar per publisher service, drawn on standard error only when it is a terminal
/// (indicatif hides them otherwise) and NO_COLOR is unset.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    fn new() -> Self {
        let target = if std::env::var_os("NO_COLOR").is_some() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl Progress for Bars {
    fn start(&self, source: &str, _url: &str, len: Option<u64>) {
        let mut bars = self
            .bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bar = bars.entry(source.to_string()).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new(0));
            bar.set_style(
                ProgressStyle::with_template("{prefix:>10} {bar:30} {bytes}/{total_bytes} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_prefix(source.to_string());
            bar
        });
        bar.set_message("");
        bar.inc_length(len.unwrap_or(0));
    }

    fn advance(&self, source: &str, bytes: u64) {
        let bars = self
            .bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(bar) = bars.get(source) {
            bar.inc(bytes);
        }
    }

    fn finish(&self, _source: &str) {}

    fn waiting(&self, source: &str, wait: Duration, budget: Budget) {
        let bars = self
            .bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(bar) = bars.get(source) {
            bar.set_message(format!(
                "waiting {} s (budget {budget})",
                wait.as_secs_f64().ceil()
            ));
        } else {
            let _ = self.multi.println(format!(
                "{source:>10} waiting {} s (budget {budget})",
                wait.as_secs_f64().ceil()
            ));
        }
    }
}
