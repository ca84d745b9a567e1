//! Downloading publishers' responses: retries with back-off, a size limit, a content-type
//! check, a revalidating cache, offline mode and a per-host concurrency limit.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{error_chain, Error, Result};

/// What kind of body a request expects; a response whose `Content-Type` says otherwise
/// (typically an HTML error page served with status 200) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// JSON (`application/json`, `application/vnd.sdmx.data+json`, ...).
    Json,
    /// Delimited text: CSV or TSV.
    Text,
    /// A zip archive, an XLSX workbook (which is a zip) or a Parquet file.
    Binary,
}

impl BodyKind {
    fn accepts(self, content_type: &str) -> bool {
        let ct = content_type.to_ascii_lowercase();
        if ct.contains("html") {
            return false;
        }
        match self {
            // XML is let through to the parser, which says the answer is XML and how to ask
            // this publisher for JSON (SDMX-ML, an XML error page served with status 200).
            BodyKind::Json => {
                ct.contains("json") || ct.starts_with("text/plain") || ct.contains("xml")
            }
            BodyKind::Text => {
                ct.starts_with("text/")
                    || ct.contains("csv")
                    || ct.contains("octet-stream")
                    || ct.contains("gzip")
            }
            BodyKind::Binary => {
                ct.contains("zip")
                    || ct.contains("octet-stream")
                    || ct.contains("spreadsheetml")
                    || ct.contains("excel")
                    || ct.contains("parquet")
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            BodyKind::Json => "JSON",
            BodyKind::Text => "CSV or TSV text",
            BodyKind::Binary => "a zip archive, workbook or Parquet file",
        }
    }
}

/// Where a body came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Downloaded now.
    Network,
    /// The server answered `304 Not Modified`: the cached copy is current.
    Revalidated,
    /// Read from the cache without asking the server (`--offline`).
    Cache,
}

impl Origin {
    /// `network`, `cache (revalidated)`, `cache (offline)`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Network => "network",
            Origin::Revalidated => "cache (revalidated)",
            Origin::Cache => "cache (offline)",
        }
    }
}

/// A downloaded body and its provenance.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL requested.
    pub url: String,
    /// The response body.
    pub body: Vec<u8>,
    /// SHA-256 of the body, lowercase hex.
    pub sha256: String,
    /// When the body was retrieved from the publisher (UTC, RFC 3339); for a cached body, when
    /// it was first downloaded.
    pub retrieved: String,
    /// Network or cache.
    pub origin: Origin,
    /// Attempts made (1 when the first succeeded).
    pub attempts: u32,
}

/// Settings of the downloader. [`HttpConfig::default`] suits the live publishers; tests shorten
/// the delays.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Folder of the response cache; `None` disables it.
    pub cache_dir: Option<PathBuf>,
    /// Use the cache only, never the network.
    pub offline: bool,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub timeout: Duration,
    /// Retries after the first attempt (on 5xx, 429 and connection errors).
    pub retries: u32,
    /// Back-off before the first retry; doubled at each retry, with jitter.
    pub base_delay: Duration,
    /// Longest back-off between two attempts.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a server asking for more fails the source.
    pub max_retry_after: Duration,
    /// Largest body accepted, in bytes.
    pub max_body: u64,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// Seed of the back-off jitter (deterministic delays for a given seed).
    pub seed: u64,
    /// Most pages followed for one source (World Bank `pages`, GHO OData `@odata.nextLink`,
    /// Socrata `$offset`); a source needing more fails rather than looping forever.
    pub max_pages: usize,
    /// Per publisher service (`oecd`, ...), the most requests sent in a sliding window:
    /// requests beyond it wait (shown through [`Progress::waiting`]) instead of failing.
    /// Default: the OECD's documented 60 data downloads an hour.
    pub budgets: BTreeMap<String, Budget>,
    /// Per publisher service, headers added to every request (e.g. a Socrata app token,
    /// `X-App-Token`, for `cdc`). Their values are never written to the cache, the logs or
    /// this type's `Debug` output.
    pub headers: BTreeMap<String, Vec<(String, Secret)>>,
}

/// A request budget: at most `requests` requests in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests allowed in one window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} requests per {} s", self.requests, self.per.as_secs())
    }
}

/// A header value kept out of logs and `Debug` output (an API token).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The request budgets of [`HttpConfig::default`]: the OECD's API allows 60 data downloads an
/// hour (OECD Data API documentation, "rate limiting").
pub fn default_budgets() -> BTreeMap<String, Budget> {
    BTreeMap::from([(
        "oecd".to_string(),
        Budget {
            requests: 60,
            per: Duration::from_secs(3600),
        },
    )])
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            cache_dir: default_cache_dir(),
            offline: false,
            connect_timeout: Duration::from_secs(15),
            timeout: Duration::from_secs(300),
            retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            max_body: 512 * 1024 * 1024,
            per_host: 2,
            seed: 0x5eed,
            max_pages: 1000,
            budgets: default_budgets(),
            headers: BTreeMap::new(),
        }
    }
}

/// The cache folder: `$HEALTHY_CITY_CACHE_DIR` if set, else the platform's user cache folder
/// (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on
/// Windows) followed by `healthy-city/http`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("HEALTHY_CITY_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let base = if cfg!(windows) {
        std::env::var_os("LOCALAPPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Library/Caches"))
    } else {
        std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
    };
    base.map(|b| b.join("healthy-city").join("http"))
}

/// Told about each download as it goes (the binary draws progress bars with it).
pub trait Progress: Sync {
    /// A download of `url` for `source` starts; `len` is the announced size.
    fn start(&self, source: &str, url: &str, len: Option<u64>);
    /// `bytes` more bytes arrived.
    fn advance(&self, source: &str, bytes: u64);
    /// The download ended (successfully or not).
    fn finish(&self, source: &str);
    /// A request for `source` waits `wait` to stay within its service's request budget.
    fn waiting(&self, source: &str, wait: Duration, budget: Budget) {
        let _ = (source, wait, budget);
    }
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: &str, _: Option<u64>) {}
    fn advance(&self, _: &str, _: u64) {}
    fn finish(&self, _: &str) {}
}

/// What the cache keeps next to a body.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CacheMeta {
    url: String,
    sha256: String,
    retrieved: String,
    etag: Option<String>,
    last_modified: Option<String>,
}

/// One attempt's failure: retried or not, and after how long.
enum Failure {
    Retry {
        why: String,
        after: Option<Duration>,
    },
    Fatal(String),
    /// The server says the selection matches no data (SDMX's 404 `NoResultsFound`).
    NoResults(String),
    /// 413: the server will not extract that much at once (its fault message, if any).
    TooLarge(Option<String>),
}

/// The downloader: one per ingest run, shared by the sources' threads.
pub struct Client {
    http: reqwest::blocking::Client,
    config: HttpConfig,
    in_flight: Mutex<HashMap<String, usize>>,
    freed: Condvar,
    /// Per service with a budget, when its recent requests were (or are scheduled to be) sent.
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A downloader with rustls, the given timeouts and a `healthy-city/<version>` user agent.
    pub fn new(config: HttpConfig) -> Result<Self> {
        let http = reqwest::blocking::Client::builder()
            .user_agent(concat!("healthy-city/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|source| Error::Http {
                url: String::new(),
                message: "cannot start the HTTP client".to_string(),
                source: Some(Box::new(source)),
            })?;
        Ok(Client {
            http,
            config,
            in_flight: Mutex::new(HashMap::new()),
            freed: Condvar::new(),
            sent: Mutex::new(HashMap::new()),
        })
    }

    /// The settings.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Gets `url`, expecting a body of `kind`: from the cache when `--offline`, else from the
    /// network (revalidating a cached copy with `If-None-Match` / `If-Modified-Since`), retrying
    /// 5xx, 429 and connection errors with exponential back-off and jitter.
    pub fn get(
        &self,
        url: &str,
        kind: BodyKind,
        source: &str,
        progress: &dyn Progress,
    ) -> Result<Fetched> {
        self.get_accepting(url, kind, None, source, progress)
    }

    /// [`Client::get`] sending an `Accept` header (content negotiation: the OECD's SDMX API
    /// answers SDMX-ML unless asked for `application/vnd.sdmx.data+json`).
    pub fn get_accepting(
        &self,
        url: &str,
        kind: BodyKind,
        accept: Option<&str>,
        source: &str,
        progress: &dyn Progress,
    ) -> Result<Fetched> {
        let cached = self.cached(url);
        if self.config.offline {
            return match cached {
                Some((meta, body)) => Ok(Fetched {
                    url: url.to_string(),
                    body,
                    sha256: meta.sha256,
                    retrieved: meta.retrieved,
                    origin: Origin::Cache,
                    attempts: 0,
                }),
                None => Err(Error::Http {
                    url: url.to_string(),
                    message:
                        "not in the cache, and offline mode forbids the network: run once online"
                            .to_string(),
                    source: None,
                }),
            };
        }
        let host = reqwest::Url::parse(url)
            .map_err(|e| Error::Http {
                url: url.to_string(),
                message: format!("not a valid URL: {e}"),
                source: None,
            })?
            .host_str()
            .unwrap_or("")
            .to_string();
        let _slot = self.acquire(&host);
        let mut rng = self.config.seed ^ fnv(url);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.within_budget(url, source, progress);
            match self.attempt(url, kind, accept, cached.as_ref(), source, progress) {
                Ok(mut fetched) => {
                    fetched.attempts = attempt;
                    return Ok(fetched);
                }
                Err(Failure::Fatal(message)) => {
                    return Err(Error::Http {
                        url: url.to_string(),
                        message,
                        source: None,
                    })
                }
                Err(Failure::TooLarge(detail)) => {
                    return Err(Error::TooLarge {
                        url: url.to_string(),
                        detail: detail.map_or(String::new(), |d| format!(" ({d})")),
                        hint: "narrow the request (fewer places, measures or years)".to_string(),
                    })
                }
                Err(Failure::NoResults(why)) => {
                    return Err(Error::NoResults {
                        url: url.to_string(),
                        why,
                    })
                }
                Err(Failure::Retry { why, after }) => {
                    if attempt > self.config.retries {
                        return Err(Error::Http {
                            url: url.to_string(),
                            message: format!("{why} (gave up after {attempt} attempts)"),
                            source: None,
                        });
                    }
                    let wait = match after {
                        Some(after) if after > self.config.max_retry_after => {
                            return Err(Error::Http {
                                url: url.to_string(),
                                message: format!(
                                    "{why}: the server asks to retry after {} s, more than the {} s allowed; try again later",
                                    after.as_secs(),
                                    self.config.max_retry_after.as_secs()
                                ),
                                source: None,
                            });
                        }
                        Some(after) => after,
                        None => backoff(&self.config, attempt, &mut rng),
                    };
                    tracing::warn!("{url}: {why}; retrying in {wait:?}");
                    std::thread::sleep(wait);
                }
            }
        }
    }

    /// One request.
    fn attempt(
        &self,
        url: &str,
        kind: BodyKind,
        accept: Option<&str>,
        cached: Option<&(CacheMeta, Vec<u8>)>,
        source: &str,
        progress: &dyn Progress,
    ) -> std::result::Result<Fetched, Failure> {
        let mut request = self.http.get(url);
        for (name, Secret(value)) in self.config.headers.get(source).into_iter().flatten() {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(accept) = accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        if let Some((meta, _)) = cached {
            if let Some(etag) = &meta.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = &meta.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, date);
            }
        }
        let mut response = request.send().map_err(|e| Failure::Retry {
            why: format!("request failed: {}", error_chain(&e)),
            after: None,
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::PAYLOAD_TOO_LARGE {
            // Eurostat's answer to an extraction beyond its limit: a SOAP fault whose
            // `faultstring` says `EXTRACTION_TOO_BIG: ... estimated N rows, max authorised is M`.
            let mut head = Vec::new();
            let _ = (&mut response).take(64 * 1024).read_to_end(&mut head);
            let text = String::from_utf8_lossy(&head);
            let detail = text
                .split_once("<faultstring>")
                .and_then(|(_, rest)| rest.split_once("</faultstring>"))
                .map(|(fault, _)| crate::bounds::safe_message(&fault.trim().replace('`', "'")));
            return Err(Failure::TooLarge(detail));
        }
        if status == reqwest::StatusCode::NOT_FOUND {
            // SDMX services (the OECD's) answer a selection matching no data with a 404 whose
            // small body says `NoResultsFound`: an empty result, not a missing address.
            let mut head = Vec::new();
            let _ = (&mut response).take(64 * 1024).read_to_end(&mut head);
            let text = String::from_utf8_lossy(&head);
            if text.contains("NoResultsFound") || text.contains("NoRecordsFound") {
                return Err(Failure::NoResults(format!(
                    "the server answered {status} with `NoResultsFound`, SDMX's answer to a selection that matches no data"
                )));
            }
        }
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        if status == reqwest::StatusCode::NOT_MODIFIED {
            if let Some((meta, body)) = cached {
                return Ok(Fetched {
                    url: url.to_string(),
                    body: body.clone(),
                    sha256: meta.sha256.clone(),
                    retrieved: meta.retrieved.clone(),
                    origin: Origin::Revalidated,
                    attempts: 0,
                });
            }
            return Err(Failure::Fatal(
                "the server answered 304 Not Modified to a request without a cached copy"
                    .to_string(),
            ));
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let after = header(reqwest::header::RETRY_AFTER).and_then(|v| retry_after(&v));
            return Err(Failure::Retry {
                why: format!("the server answered {status}"),
                after,
            });
        }
        if !status.is_success() {
            return Err(Failure::Fatal(format!("the server answered {status}")));
        }
        if let Some(ct) = header(reqwest::header::CONTENT_TYPE) {
            if !kind.accepts(&ct) {
                return Err(Failure::Fatal(format!(
                    "the server sent `{ct}` where {} was expected",
                    kind.name()
                )));
            }
        }
        let max = self.config.max_body;
        let len = response.content_length();
        if let Some(len) = len.filter(|&l| l > max) {
            return Err(Failure::Fatal(format!(
                "the response announces {len} bytes, more than the {max} allowed"
            )));
        }
        let (etag, last_modified) = (
            header(reqwest::header::ETAG),
            header(reqwest::header::LAST_MODIFIED),
        );
        progress.start(source, url, len);
        let body = read_body(&mut response, max, source, progress);
        progress.finish(source);
        let body = body?;
        let sha256 = hex(&Sha256::digest(&body));
        let meta = CacheMeta {
            url: url.to_string(),
            sha256: sha256.clone(),
            retrieved: rfc3339(SystemTime::now()),
            etag,
            last_modified,
        };
        self.store(&meta, &body);
        Ok(Fetched {
            url: url.to_string(),
            body,
            sha256,
            retrieved: meta.retrieved,
            origin: Origin::Network,
            attempts: 0,
        })
    }

    /// Waits, if `source`'s service has a request budget and has used it up in the current
    /// window, until the oldest request of the window leaves it; the slot is reserved before
    /// the wait so that concurrent requests queue in order.
    fn within_budget(&self, url: &str, source: &str, progress: &dyn Progress) {
        let Some(&budget) = self.config.budgets.get(source) else {
            return;
        };
        if budget.requests == 0 {
            return;
        }
        let now = Instant::now();
        let start = {
            let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
            // The last `requests` requests, oldest first: a full window after the oldest,
            // the budget allows one more.
            let times = sent.entry(source.to_string()).or_default();
            let start = match times.front() {
                Some(&oldest) if times.len() >= budget.requests as usize => {
                    (oldest + budget.per).max(now)
                }
                _ => now,
            };
            times.push_back(start);
            while times.len() > budget.requests as usize {
                times.pop_front();
            }
            start
        };
        let wait = start.saturating_duration_since(now);
        if !wait.is_zero() {
            tracing::warn!(
                "{url}: waiting {} s to stay within {source}'s budget of {budget}",
                wait.as_secs_f64().ceil()
            );
            progress.waiting(source, wait, budget);
            std::thread::sleep(wait);
        }
    }

    /// Waits for a free slot for `host`; the slot is released when the guard drops.
    fn acquire(&self, host: &str) -> Slot<'_> {
        let limit = self.config.per_host.max(1);
        let mut map = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while map.get(host).copied().unwrap_or(0) >= limit {
            map = self.freed.wait(map).unwrap_or_else(PoisonError::into_inner);
        }
        *map.entry(host.to_string()).or_insert(0) += 1;
        Slot {
            client: self,
            host: host.to_string(),
        }
    }

    fn cache_paths(&self, url: &str) -> Option<(PathBuf, PathBuf)> {
        let dir = self.config.cache_dir.as_ref()?;
        let key = hex(&Sha256::digest(url.as_bytes()));
        Some((
            dir.join(format!("{key}.body")),
            dir.join(format!("{key}.json")),
        ))
    }

    /// The cached body of `url`, if present and intact (its SHA-256 matches).
    fn cached(&self, url: &str) -> Option<(CacheMeta, Vec<u8>)> {
        let (body_path, meta_path) = self.cache_paths(url)?;
        let meta: CacheMeta = serde_json::from_slice(&std::fs::read(meta_path).ok()?).ok()?;
        let body = std::fs::read(body_path).ok()?;
        (meta.url == url && hex(&Sha256::digest(&body)) == meta.sha256).then_some((meta, body))
    }

    /// Stores a body and its metadata in the cache, each through
    /// [`healthy_city_fs::write_atomic`]; a cache that cannot be written is only a warning.
    fn store(&self, meta: &CacheMeta, body: &[u8]) {
        let Some((body_path, meta_path)) = self.cache_paths(&meta.url) else {
            return;
        };
        let result = serde_json::to_vec_pretty(meta)
            .map_err(|e| e.to_string())
            .and_then(|json| {
                healthy_city_fs::write_atomic(&body_path, body)
                    .and_then(|()| healthy_city_fs::write_atomic(&meta_path, &json))
                    .map_err(|e| error_chain(&e))
            });
        if let Err(e) = result {
            tracing::warn!("cannot write the cache `{}`: {e}", body_path.display());
        }
    }
}

/// A request slot for one host.
struct Slot<'a> {
    client: &'a Client,
    host: String,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut map = self
            .client
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.host) {
            *n = n.saturating_sub(1);
        }
        self.client.freed.notify_all();
    }
}

/// Reads a body up to `max` bytes; an over-long body or a connection lost mid-body fails.
fn read_body(
    response: &mut reqwest::blocking::Response,
    max: u64,
    source: &str,
    progress: &dyn Progress,
) -> std::result::Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = response.read(&mut buf).map_err(|e| Failure::Retry {
            why: format!(
                "the connection broke after {} bytes of the body: {}",
                body.len(),
                error_chain(&e)
            ),
            after: None,
        })?;
        if n == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&buf[..n]);
        progress.advance(source, n as u64);
        if body.len() as u64 > max {
            return Err(Failure::Fatal(format!(
                "the response is larger than the {max} bytes allowed"
            )));
        }
    }
}

/// `Retry-After`: delta-seconds or an HTTP date.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = parse_http_date(value)?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(text: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    let secs = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A date from days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-24T18:51:35Z`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Back-off before retry `attempt` (1-based): `base * 2^(attempt-1)`, capped, times a jitter
/// factor in [0.5, 1).
fn backoff(config: &HttpConfig, attempt: u32, rng: &mut u64) -> Duration {
    let exp = config
        .base_delay
        .saturating_mul(1u32 << (attempt - 1).min(20))
        .min(config.max_delay);
    // splitmix64
    *rng = rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *rng;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let jitter = 0.5 + (z >> 11) as f64 / (1u64 << 53) as f64 / 2.0;
    exp.mul_f64(jitter)
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(rfc3339(t), "1994-11-06T08:49:37Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert!(parse_http_date("yesterday").is_none());
    }

    #[test]
    fn reads_retry_after_as_seconds_or_a_past_date() {
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn backs_off_exponentially_with_bounded_deterministic_jitter() {
        let config = HttpConfig {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..HttpConfig::default()
        };
        let (mut a, mut b) = (7, 7);
        for attempt in 1..=6 {
            let d = backoff(&config, attempt, &mut a);
            assert_eq!(d, backoff(&config, attempt, &mut b));
            let cap = (100u64 << (attempt - 1)).min(1000);
            let ms = d.as_secs_f64() * 1000.0;
            assert!(ms >= cap as f64 * 0.5 && ms < cap as f64, "{attempt}: {ms}");
        }
    }

    #[test]
    fn refuses_html_where_data_is_expected() {
        assert!(!BodyKind::Json.accepts("text/html; charset=utf-8"));
        assert!(BodyKind::Json.accepts("application/vnd.sdmx.data+json; version=2.0"));
        assert!(BodyKind::Binary.accepts("application/zip"));
        assert!(!BodyKind::Binary.accepts("application/json"));
        assert!(BodyKind::Text.accepts("text/tab-separated-values"));
        // XML reaches the parser, which names it and says how to ask for JSON.
        assert!(BodyKind::Json.accepts("application/vnd.sdmx.genericdata+xml; version=2.1"));
        assert!(!BodyKind::Json.accepts("application/xhtml+xml"));
    }
}
