//! Building the snapshot from the publishers' servers: every catalogue source with a
//! `download` address is fetched (in parallel, within the downloader's per-host limit), parsed
//! by the same parser as its file, and recorded with its provenance.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use healthy_city_model::{Catalogue, Cities, Indicator, Observations};

use crate::bounds::echo;
use crate::build::{assemble, check_first_year};
use crate::error::{error_chain, Error, Result, SourceFailure};
use crate::http::{Client, Fetched, Progress};
use crate::publishers::{parse_gho_odata, parse_socrata, parse_wb_api, Adapter};
use crate::releases::ReleaseChange;
use crate::snapshot::Snapshot;
use crate::source::{Download, Loaded, Sources};
use crate::table::SourceTable;

/// How [`fetch_snapshot`] downloads.
pub struct FetchOptions<'a> {
    /// The downloader (cache, retries, limits).
    pub client: &'a Client,
    /// `--base-url NAME=URL`: per publisher service (`gho`, `worldbank`, `eurostat`, `oecd`,
    /// `who`, `cdc`), the scheme, host and port (and any path prefix) that replace the
    /// catalogue's.
    pub base_urls: &'a BTreeMap<String, String>,
    /// Drawn as downloads progress.
    pub progress: &'a dyn Progress,
    /// The snapshot being replaced: with `allow_partial`, a failed source's indicators keep
    /// their values from it.
    pub previous: Option<&'a Observations>,
    /// Keep the previous values of failed sources instead of failing.
    pub allow_partial: bool,
    /// Take the release a publisher's answer states where it differs from the catalogue's
    /// (the snapshot then records the offered release, and [`Snapshot::accepted`] lists each
    /// change so that the caller can update the catalogue file with
    /// [`accept_releases`](crate::accept_releases)); without it such a difference is
    /// [`Error::Releases`] and nothing is built.
    pub accept_releases: bool,
}

impl std::fmt::Debug for FetchOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchOptions")
            .field("base_urls", &self.base_urls)
            .field("allow_partial", &self.allow_partial)
            .field("accept_releases", &self.accept_releases)
            .finish_non_exhaustive()
    }
}

/// Builds the snapshot as [`build_snapshot`](crate::build_snapshot) does, but takes every
/// source with a `download` address from the publisher (or the cache); sources without one
/// (the compilations) are read from `data_dir`.
///
/// If any download fails, the result is [`Error::Sources`] listing every failed source (so
/// nothing is written), unless `allow_partial` is set and a previous snapshot is given: then
/// the failed sources' indicators keep their previous values, and the report and `SOURCES.md`
/// say so.
pub fn fetch_snapshot(
    data_dir: Option<&Path>,
    cities: &Cities,
    catalogue: &Catalogue,
    first_year: i32,
    options: &FetchOptions<'_>,
) -> Result<Snapshot> {
    // Before any download: a first year outside the years of values keeps nothing.
    check_first_year(first_year)?;
    catalogue.check_ingest().map_err(Error::Invalid)?;
    let countries: BTreeSet<&str> = cities.iter().filter_map(|c| c.country.as_deref()).collect();
    let countries = countries.into_iter().collect::<Vec<_>>().join(";");
    let eurostat: BTreeSet<&str> = cities
        .iter()
        .flat_map(|c| c.aliases.get("eurostat").into_iter().flatten())
        .map(String::as_str)
        .collect();
    let fill = Fill {
        countries,
        eurostat: eurostat.into_iter().map(str::to_string).collect(),
        first_year,
    };
    // Every download, once, with the adapter and indicators that use it.
    // (adapter, the indicators, the first variant using it).
    let mut wanted: BTreeMap<String, (Adapter, Vec<String>, usize)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    // (indicator, download address), for the release check.
    let mut addresses: Vec<(usize, &Indicator, String)> = Vec::new();
    // Every source of every indicator, each with its position (0: `source`, then the
    // fallbacks), as `assemble` reads them.
    let variants: Vec<(usize, Indicator)> = catalogue
        .iter()
        .flat_map(|i| i.by_source().into_iter().enumerate())
        .collect();
    for (variant, (position, indicator)) in variants.iter().enumerate() {
        let Some(spec) = &indicator.source else {
            continue;
        };
        let Some(adapter) = Adapter::from_name(&spec.adapter) else {
            continue;
        };
        let Some(template) = &spec.download else {
            continue;
        };
        let url = resolve(template, adapter, options.base_urls, &fill, &spec.query).map_err(
            |message| Error::Catalogue {
                indicator: indicator.id.clone(),
                message,
            },
        )?;
        let entry = wanted.entry(url.clone()).or_insert_with(|| {
            order.push(url.clone());
            (adapter, Vec::new(), variant)
        });
        entry.1.push(indicator.id.clone());
        addresses.push((*position, indicator, url));
    }
    let results: Vec<(String, Result<Loaded>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = order
            .iter()
            .map(|url| {
                let (adapter, _, first) = &wanted[url];
                let indicator = variants.get(*first).map(|(_, i)| i);
                scope.spawn(move || {
                    let result = match indicator {
                        Some(indicator) => download(url, *adapter, indicator, options),
                        None => Err(Error::Catalogue {
                            indicator: String::new(),
                            message: format!("no indicator uses `{url}`"),
                        }),
                    };
                    (url.clone(), result)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut loaded: BTreeMap<String, Loaded> = BTreeMap::new();
    let mut failures = Vec::new();
    for (url, result) in results {
        let (adapter, indicators, _) = &wanted[&url];
        match result {
            Ok(source) => {
                loaded.insert(url, source);
            }
            Err(error) => failures.push(SourceFailure {
                service: adapter.service().to_string(),
                url,
                indicators: indicators.clone(),
                error,
            }),
        }
    }
    if !failures.is_empty() {
        match options.previous {
            Some(_) if options.allow_partial => {
                for failure in &failures {
                    tracing::warn!("{failure}; keeping the previous snapshot's values");
                    let (adapter, _, _) = wanted[&failure.url];
                    loaded.insert(
                        failure.url.clone(),
                        Loaded {
                            adapter,
                            table: SourceTable::new(&failure.url, "record"),
                            sha256: String::new(),
                            downloads: Vec::new(),
                            failed: Some(error_chain(&failure.error)),
                        },
                    );
                }
            }
            _ => return Err(Error::Sources(failures)),
        }
    }
    let changes = release_changes(&addresses, &loaded);
    let accepted;
    let catalogue = match changes.first() {
        None => catalogue,
        Some(_) if options.accept_releases => {
            let mut updated = catalogue.clone();
            for change in &changes {
                if let Some(next) =
                    updated.with_release(&change.indicator, change.source, &change.offered)
                {
                    updated = next;
                }
            }
            accepted = updated;
            &accepted
        }
        Some(_) => return Err(Error::Releases(changes)),
    };
    let mut sources = Downloaded {
        data_dir,
        base_urls: options.base_urls,
        fill,
        loaded,
    };
    let mut snapshot = assemble(
        &mut sources,
        cities,
        catalogue,
        first_year,
        options.previous,
    )?;
    snapshot.accepted = changes;
    Ok(snapshot)
}

/// Every indicator whose downloaded answer states a release other than the catalogue's, in
/// catalogue order (answers that state none, such as most JSON APIs, are not compared).
fn release_changes(
    addresses: &[(usize, &Indicator, String)],
    loaded: &BTreeMap<String, Loaded>,
) -> Vec<ReleaseChange> {
    addresses
        .iter()
        .filter_map(|(position, indicator, url)| {
            let pinned = &indicator.source.as_ref()?.release;
            let offered = loaded.get(url)?.table.release.as_ref()?;
            (offered != pinned).then(|| ReleaseChange {
                indicator: indicator.id.clone(),
                source: *position,
                url: url.clone(),
                pinned: pinned.clone(),
                offered: offered.clone(),
            })
        })
        .collect()
}

/// Downloaded sources, with the files of the others.
struct Downloaded<'a> {
    data_dir: Option<&'a Path>,
    base_urls: &'a BTreeMap<String, String>,
    fill: Fill,
    loaded: BTreeMap<String, Loaded>,
}

impl Sources for Downloaded<'_> {
    fn key(&self, indicator: &Indicator, adapter: Adapter) -> Result<String> {
        let catalogue_error = |message: String| Error::Catalogue {
            indicator: indicator.id.clone(),
            message,
        };
        let spec = crate::build::spec(indicator)?;
        if let Some(template) = &spec.download {
            return resolve(template, adapter, self.base_urls, &self.fill, &spec.query)
                .map_err(catalogue_error);
        }
        spec.file.clone().ok_or_else(|| {
            catalogue_error(
                "its source has neither `download` (an address to fetch) nor `file`".to_string(),
            )
        })
    }

    fn load(&mut self, key: &str, indicator: &Indicator, adapter: Adapter) -> Result<Loaded> {
        if let Some(source) = self.loaded.remove(key) {
            return Ok(source);
        }
        let Some(dir) = self.data_dir else {
            return Err(Error::Catalogue {
                indicator: indicator.id.clone(),
                message: format!(
                    "its source has no `download` address, so its file `{key}` is read from the data folder: give the data folder"
                ),
            });
        };
        Loaded::read(dir, key, indicator, adapter)
    }
}

/// Fetches and parses one source (every page of a paged World Bank answer).
fn download(
    url: &str,
    adapter: Adapter,
    indicator: &Indicator,
    options: &FetchOptions<'_>,
) -> Result<Loaded> {
    let service = adapter.service();
    let get = |url: &str| {
        options.client.get_accepting(
            url,
            adapter.body_kind(url),
            adapter.accept(),
            service,
            options.progress,
        )
    };
    let query = indicator.source.as_ref().map_or("", |s| s.query.as_str());
    let get = |url: &str| {
        match get(url) {
        Err(Error::TooLarge { url, detail, .. })
            if matches!(adapter, Adapter::EurostatJson | Adapter::EurostatTsv) =>
        {
            let hint = eurostat_hint(&url, query);
            Err(Error::TooLarge { url, detail, hint })
        }
        Ok(fetched) if matches!(adapter, Adapter::EurostatJson | Adapter::EurostatTsv) => {
            match eurostat_asynchronous(&fetched.body) {
                Some(key) => Err(Error::format(
                    url,
                    None,
                    format!(
                        "Eurostat moved this request to its asynchronous API ({key}) instead of answering it, as it does for large extractions: narrow it with filters ({}), or point `download` at the dataset's bulk TSV file",
                        eurostat_hint(url, query)
                    ),
                )),
                None => Ok(fetched),
            }
        }
        other => other,
    }
    };
    let max_pages = options.client.config().max_pages.max(1);
    if adapter == Adapter::Socrata {
        return socrata_pages(url, indicator, &get, max_pages);
    }
    let first = get(url)?;
    let mut downloads = vec![record(&first)];
    let table = if adapter == Adapter::WbApi {
        let (paging, mut table) = parse_wb_api(&first.body, url)?;
        if paging.pages > max_pages as u64 {
            return Err(Error::format(
                url,
                None,
                format!(
                    "the answer has {} pages, more than the {max_pages} allowed: narrow the query (countries, years) or raise the page limit",
                    paging.pages
                ),
            ));
        }
        for page in 2..=paging.pages {
            let page_url = with_query(url, "page", &page.to_string());
            let fetched = get(&page_url)?;
            let (got, rows) = parse_wb_api(&fetched.body, &page_url)?;
            if got.page != page || (rows.rows_read == 0 && got.total > 0) {
                return Err(Error::format(
                    &page_url,
                    None,
                    format!(
                        "page {page} of {} is missing (the server answered page {} with {} rows)",
                        paging.pages, got.page, rows.rows_read
                    ),
                ));
            }
            downloads.push(record(&fetched));
            table.append(rows);
        }
        if table.rows_read as u64 != paging.total {
            return Err(Error::format(
                url,
                None,
                format!(
                    "the answer announces {} rows but its {} pages hold {}",
                    paging.total, paging.pages, table.rows_read
                ),
            ));
        }
        table
    } else if adapter == Adapter::GhoOdata {
        let table = parse_gho_odata(&first.body, url)?;
        odata_pages(url, table, &get, options, max_pages, &mut downloads)?
    } else {
        adapter.parse(&first.body, url, indicator)?
    };
    if table.rows_read == 0 {
        return Err(Error::format(
            url,
            None,
            format!(
                "the answer holds no rows for query `{}`: check the catalogue's `download` address",
                indicator.source.as_ref().map_or("", |s| s.query.as_str())
            ),
        ));
    }
    Ok(Loaded {
        adapter,
        table,
        sha256: first.sha256.clone(),
        downloads,
        failed: None,
    })
}

/// Follows a GHO OData answer's `@odata.nextLink` page by page (a relative link is resolved
/// against the page that gave it; a link to the publisher's own host goes through
/// `--base-url gho=` when one is set), appending each page's rows with positions counted over
/// all pages. More than `max_pages` pages, or a link back to a page already fetched, is an
/// error rather than an endless loop.
fn odata_pages(
    url: &str,
    mut table: SourceTable,
    get: &dyn Fn(&str) -> Result<Fetched>,
    options: &FetchOptions<'_>,
    max_pages: usize,
    downloads: &mut Vec<Download>,
) -> Result<SourceTable> {
    let mut fetched_urls: BTreeSet<String> = BTreeSet::from([url.to_string()]);
    let mut current = url.to_string();
    let mut pages = 1;
    while let Some(link) = table.next.take() {
        let next = next_page(&current, &link, options.base_urls).map_err(|message| {
            Error::format(
                &current,
                None,
                format!("`@odata.nextLink` `{link}`: {message}"),
            )
        })?;
        if !fetched_urls.insert(next.clone()) {
            return Err(Error::format(
                &current,
                None,
                format!(
                    "`@odata.nextLink` of page {pages} leads back to `{next}`, a page already fetched: the server's paging loops; report it to the publisher"
                ),
            ));
        }
        if pages >= max_pages {
            return Err(Error::format(
                url,
                None,
                format!(
                    "more than {max_pages} pages of `@odata.nextLink`: stopped following them; narrow the query (`$filter`) or raise the page limit"
                ),
            ));
        }
        pages += 1;
        let fetched = get(&next)?;
        let mut rows = parse_gho_odata(&fetched.body, &next)?;
        for r in &mut rows.records {
            r.line += table.rows_read;
        }
        downloads.push(record(&fetched));
        table.append(rows);
        current = next;
    }
    Ok(table)
}

/// The absolute address of a next-page link given by the page at `current`.
fn next_page(
    current: &str,
    link: &str,
    base_urls: &BTreeMap<String, String>,
) -> std::result::Result<String, String> {
    let here = reqwest::Url::parse(current).map_err(|e| e.to_string())?;
    let next = here
        .join(link)
        .map_err(|e| format!("not a valid address: {e}"))?;
    if next.origin() == here.origin() || !base_urls.contains_key("gho") {
        return Ok(next.to_string());
    }
    // An absolute link to the publisher's own host while a mirror or test server stands in.
    resolve(
        next.as_str(),
        Adapter::GhoOdata,
        base_urls,
        &Fill::default(),
        "",
    )
}

/// Rows per Socrata page when the catalogue's address sets no `$limit`.
const SOCRATA_PAGE: usize = 50_000;

/// Fetches a Socrata (CDC PLACES) answer page by page: `$limit` rows at a time (the address's
/// own `$limit`, else 50,000; Socrata silently stops at 1,000 without one), following `$offset`
/// until a page comes back short, in the address's `$order`, else `$order=:id`.
fn socrata_pages(
    url: &str,
    indicator: &Indicator,
    get: &dyn Fn(&str) -> Result<Fetched>,
    max_pages: usize,
) -> Result<Loaded> {
    let limit = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "$limit")
                .and_then(|(_, v)| v.parse::<usize>().ok())
        })
        .filter(|&l| l > 0)
        .unwrap_or(SOCRATA_PAGE);
    // Socrata pages are stable only under an order: without `$order` rows may repeat or go
    // missing between pages (Socrata's paging documentation), so the row id orders them.
    let ordered =
        reqwest::Url::parse(url).is_ok_and(|u| u.query_pairs().any(|(k, _)| k == "$order"));
    let url = &if ordered {
        url.to_string()
    } else {
        with_query(url, "$order", ":id")
    };
    let mut table: Option<SourceTable> = None;
    let mut downloads = Vec::new();
    let mut sha256 = String::new();
    for page in 0.. {
        if page >= max_pages {
            return Err(Error::format(
                url,
                None,
                format!(
                    "more than {max_pages} pages of {limit} rows: stopped paging; narrow the query or raise the page limit"
                ),
            ));
        }
        let page_url = with_query(
            &with_query(url, "$limit", &limit.to_string()),
            "$offset",
            &(page * limit).to_string(),
        );
        let fetched = get(&page_url)?;
        let mut rows = parse_socrata(&fetched.body, &page_url)?;
        let n = rows.rows_read;
        for r in &mut rows.records {
            r.line += page * limit;
        }
        if page == 0 {
            sha256.clone_from(&fetched.sha256);
        }
        downloads.push(record(&fetched));
        match &mut table {
            Some(t) => t.append(rows),
            None => table = Some(rows),
        }
        if n < limit {
            break;
        }
    }
    let table = table.unwrap_or_else(|| SourceTable::new(url, "record"));
    if table.rows_read == 0 {
        return Err(Error::format(
            url,
            None,
            format!(
                "the answer holds no rows for query `{}`: check the catalogue's `download` address",
                indicator.source.as_ref().map_or("", |s| s.query.as_str())
            ),
        ));
    }
    Ok(Loaded {
        adapter: Adapter::Socrata,
        table,
        sha256,
        downloads,
        failed: None,
    })
}

fn record(fetched: &Fetched) -> Download {
    Download {
        url: fetched.url.clone(),
        sha256: fetched.sha256.clone(),
        retrieved: fetched.retrieved.clone(),
        origin: fetched.origin,
    }
}

/// `url` with `key=value` set in its query.
fn with_query(url: &str, key: &str, value: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| k != key)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parsed
                .query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair(key, value);
            parsed.to_string()
        }
        Err(_) => format!("{url}&{key}={value}"),
    }
}

/// What a catalogue's `download` address is completed with.
#[derive(Debug, Default)]
struct Fill {
    /// `{countries}`: the registry's ISO3 codes joined by `;` (World Bank API).
    countries: String,
    /// The registry's Urban Audit codes (`eurostat` aliases), for Eurostat city statistics.
    eurostat: Vec<String>,
    /// The first year kept (Eurostat's `sinceTimePeriod`).
    first_year: i32,
}

/// The Eurostat dissemination API's parameters that filter time.
const TIME_FILTERS: [&str; 4] = [
    "time",
    "sinceTimePeriod",
    "untilTimePeriod",
    "lastTimePeriod",
];

/// Most Urban Audit codes put into one address as `cities=` filters: beyond it the address
/// grows past what servers accept, and the other filters keep the answer small.
const MAX_CITY_FILTERS: usize = 100;

/// The catalogue's `download` with `{countries}` filled in, Eurostat city statistics narrowed
/// ([`eurostat_filters`]), and the service's `--base-url` applied (scheme, host and port
/// replaced; a path in the base is put before the path).
fn resolve(
    template: &str,
    adapter: Adapter,
    base_urls: &BTreeMap<String, String>,
    fill: &Fill,
    query: &str,
) -> std::result::Result<String, String> {
    let url = template.replace("{countries}", &fill.countries);
    let url = match adapter {
        Adapter::EurostatJson | Adapter::EurostatTsv => eurostat_filters(&url, query, fill)?,
        _ => url,
    };
    let Some(base) = base_urls.get(adapter.service()) else {
        return Ok(url);
    };
    let original = reqwest::Url::parse(&url)
        .map_err(|e| format!("`download` `{url}` is not a valid URL: {e}"))?;
    let base = reqwest::Url::parse(base).map_err(|e| {
        format!(
            "the base URL `{}={base}` is not a valid URL: {e}",
            adapter.service()
        )
    })?;
    let prefix = base.path().trim_end_matches('/');
    let mut out = format!("{}://{}", base.scheme(), base.host_str().unwrap_or(""));
    if let Some(port) = base.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(prefix);
    out.push_str(original.path());
    if let Some(query) = original.query() {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

/// Keeps a request for Eurostat city statistics (`urb_*` datasets of the dissemination
/// API's JSON endpoint) small, as Eurostat answers large extractions with 413 or moves them to
/// its asynchronous API: every dimension the catalogue names is filtered unless the address
/// already filters it: `freq` and `indic_ur` from a `query` such as `A.DE1001V`, `cities` from
/// the registry's Urban Audit codes (up to [`MAX_CITY_FILTERS`]), and `sinceTimePeriod` from the
/// first year kept. A `geo` filter on city statistics, which have `cities` instead, is an
/// error.
fn eurostat_filters(url: &str, query: &str, fill: &Fill) -> std::result::Result<String, String> {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return Ok(url.to_string());
    };
    let Some(dataset) = parsed
        .path()
        .split_once("/statistics/1.0/data/")
        .map(|(_, d)| d.trim_matches('/').to_string())
    else {
        return Ok(url.to_string());
    };
    if !dataset.starts_with("urb_") {
        return Ok(url.to_string());
    }
    let keys: BTreeSet<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    if keys.contains("geo") {
        return Err(format!(
            "`download` `{url}` filters the city statistics `{dataset}` by `geo`, a dimension they do not have: filter them by `cities` (Urban Audit codes such as `UK001C`, or functional urban areas such as `UK001F`), or leave it out and the registry's codes are asked for"
        ));
    }
    let mut add: Vec<(String, String)> = Vec::new();
    let parts: Vec<&str> = query.split('.').collect();
    if let [freq, indic_ur] = parts[..] {
        for (key, value) in [("freq", freq), ("indic_ur", indic_ur)] {
            if !keys.contains(key) && !value.is_empty() {
                add.push((key.to_string(), value.to_string()));
            }
        }
    }
    if !keys.contains("cities") && (1..=MAX_CITY_FILTERS).contains(&fill.eurostat.len()) {
        add.extend(
            fill.eurostat
                .iter()
                .map(|c| ("cities".to_string(), c.clone())),
        );
    }
    if fill.first_year > 0 && !TIME_FILTERS.iter().any(|k| keys.contains(*k)) {
        add.push(("sinceTimePeriod".to_string(), fill.first_year.to_string()));
    }
    if add.is_empty() {
        return Ok(url.to_string());
    }
    parsed.query_pairs_mut().extend_pairs(add);
    Ok(parsed.to_string())
}

/// What to add to a Eurostat request that was too large: the dimensions of city statistics
/// (`freq`, `indic_ur`, `cities`, a time filter) it does not filter yet.
fn eurostat_hint(url: &str, query: &str) -> String {
    let keys: BTreeSet<String> = reqwest::Url::parse(url)
        .map(|u| u.query_pairs().map(|(k, _)| k.into_owned()).collect())
        .unwrap_or_default();
    let mut missing = Vec::new();
    let parts: Vec<&str> = query.split('.').collect();
    for (key, example) in [
        (
            "freq",
            parts
                .first()
                .copied()
                .filter(|_| parts.len() == 2)
                .unwrap_or("A"),
        ),
        ("indic_ur", parts.get(1).copied().unwrap_or("DE1001V")),
        ("cities", "UK001C"),
    ] {
        if !keys.contains(key) {
            missing.push(format!("`{key}={example}`"));
        }
    }
    if !TIME_FILTERS.iter().any(|k| keys.contains(*k)) {
        missing.push("`sinceTimePeriod=2010`".to_string());
    }
    if missing.is_empty() {
        "it already filters every dimension: ask for fewer cities or years per address, or use the dataset's bulk TSV file".to_string()
    } else {
        format!(
            "add the filters {} to the catalogue's `download` address (the dissemination API filters by any dimension)",
            missing.join(", ")
        )
    }
}

/// Eurostat's answer announcing asynchronous delivery (an XML message whose status is
/// `SUBMITTED` or `PROCESSING`, with a key to poll), as `status ..., key ...`.
fn eurostat_asynchronous(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(16 * 1024)]);
    if !head.trim_start().starts_with('<') {
        return None;
    }
    let element = |name: &str| {
        let start = head
            .find(&format!(":{name}>"))
            .or_else(|| head.find(&format!("<{name}>")))?;
        let rest = &head[start..];
        let rest = &rest[rest.find('>')? + 1..];
        Some(echo(rest[..rest.find('<')?].trim()))
    };
    let status = element("status")?;
    if !matches!(status.as_str(), "SUBMITTED" | "PROCESSING" | "AVAILABLE") {
        return None;
    }
    Some(match element("key") {
        Some(key) => format!("status `{status}`, key `{key}`"),
        None => format!("status `{status}`"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_too_large_eurostat_request_is_told_which_filters_to_add() {
        assert_eq!(
            eurostat_hint(
                "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/urb_cpop1?format=TSV",
                "A.DE1001V"
            ),
            "add the filters `freq=A`, `indic_ur=DE1001V`, `cities=UK001C`, `sinceTimePeriod=2010` to the catalogue's `download` address (the dissemination API filters by any dimension)"
        );
        assert_eq!(
            eurostat_hint("https://h/urb_cpop1?freq=A&indic_ur=X&time=2019", "A.X"),
            "add the filters `cities=UK001C` to the catalogue's `download` address (the dissemination API filters by any dimension)"
        );
    }

    #[test]
    fn narrows_eurostat_city_statistics_by_every_named_dimension() {
        let fill = Fill {
            countries: String::new(),
            eurostat: vec!["DE001C".to_string(), "UK001C".to_string()],
            first_year: 2000,
        };
        let base = "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data/urb_cpop1?format=JSON&lang=EN";
        assert_eq!(
            eurostat_filters(base, "A.DE1001V", &fill).unwrap(),
            format!(
                "{base}&freq=A&indic_ur=DE1001V&cities=DE001C&cities=UK001C&sinceTimePeriod=2000"
            )
        );
        // What the address already filters is left as it is.
        let narrowed = format!("{base}&cities=UK001F&time=2019&indic_ur=DE1001V");
        assert_eq!(
            eurostat_filters(&narrowed, "A.DE1001V", &fill).unwrap(),
            format!("{narrowed}&freq=A")
        );
        // Not city statistics, or not the JSON endpoint: untouched.
        let gdp = "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data/nama_10_gdp?geo=DE";
        assert_eq!(eurostat_filters(gdp, "A.CP_MEUR", &fill).unwrap(), gdp);
        let tsv =
            "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/urb_cpop1?format=TSV";
        assert_eq!(eurostat_filters(tsv, "A.DE1001V", &fill).unwrap(), tsv);
        let err = eurostat_filters(&format!("{base}&geo=UK"), "A.DE1001V", &fill).unwrap_err();
        assert!(
            err.contains("by `geo`, a dimension they do not have: filter them by `cities`"),
            "{err}"
        );
    }

    #[test]
    fn applies_the_base_url_and_fills_in_the_countries() {
        let bases = BTreeMap::from([(
            "worldbank".to_string(),
            "http://127.0.0.1:8080/mirror/".to_string(),
        )]);
        assert_eq!(
            resolve(
                "https://api.worldbank.org/v2/country/{countries}/indicator/SP.DYN.LE00.IN?format=json&per_page=1000",
                Adapter::WbApi,
                &bases,
                &Fill {
                    countries: "FRA;GBR".to_string(),
                    ..Fill::default()
                },
                "SP.DYN.LE00.IN"
            )
            .unwrap(),
            "http://127.0.0.1:8080/mirror/v2/country/FRA;GBR/indicator/SP.DYN.LE00.IN?format=json&per_page=1000"
        );
        assert_eq!(
            resolve(
                "https://ghoapi.azureedge.net/api/NCD_PAA",
                Adapter::GhoOdata,
                &bases,
                &Fill::default(),
                ""
            )
            .unwrap(),
            "https://ghoapi.azureedge.net/api/NCD_PAA"
        );
        assert_eq!(
            with_query("http://h/v2/x?format=json&page=1", "page", "3"),
            "http://h/v2/x?format=json&page=3"
        );
    }
}
