//! The downloader against mock servers on loopback: retries, Retry-After, broken connections,
//! size and content-type limits, the revalidating cache, offline mode, the per-host limit.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use healthy_city_ingest::{BodyKind, Client, HttpConfig, NoProgress, Origin};
use support::mock::{MockServer, Reply};

/// Fast settings for tests: millisecond back-off, no cache unless given.
fn config(cache: Option<&std::path::Path>) -> HttpConfig {
    HttpConfig {
        cache_dir: cache.map(std::path::Path::to_path_buf),
        retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(2),
        timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    }
}

fn get(
    client: &Client,
    url: &str,
    kind: BodyKind,
) -> healthy_city_ingest::Result<healthy_city_ingest::Fetched> {
    client.get(url, kind, "test", &NoProgress)
}

#[test]
fn retries_a_500_then_succeeds() {
    let server = MockServer::start(|_, n| {
        if n == 0 {
            Reply::status(500)
        } else {
            Reply::json(r#"{"value":[]}"#)
        }
    });
    let client = Client::new(config(None)).unwrap();
    let fetched = get(&client, &format!("{}/api/X", server.url()), BodyKind::Json).unwrap();
    assert_eq!(fetched.body, br#"{"value":[]}"#);
    assert_eq!(fetched.attempts, 2);
    assert_eq!(fetched.origin, Origin::Network);
    // SHA-256 of `{"value":[]}`, computed with sha256sum.
    assert_eq!(
        fetched.sha256,
        "99bcfca61a865fe7ac5bb675250de956e8e0fb175d59adac80bb2fb177154a2c"
    );
}

#[test]
fn gives_up_after_the_retries_naming_the_url_and_the_status() {
    let server = MockServer::start(|_, _| Reply::status(503));
    let client = Client::new(config(None)).unwrap();
    let url = format!("{}/api/X", server.url());
    let err = get(&client, &url, BodyKind::Json).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("cannot download `{url}`: the server answered 503 Service Unavailable (gave up after 4 attempts)")
    );
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn honours_retry_after_on_429() {
    let server = MockServer::start(|_, n| {
        if n == 0 {
            Reply::status(429).header("Retry-After", "1")
        } else {
            Reply::json("[]")
        }
    });
    let client = Client::new(config(None)).unwrap();
    let start = Instant::now();
    let fetched = get(&client, &format!("{}/x", server.url()), BodyKind::Json).unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(fetched.attempts, 2);
}

#[test]
fn fails_when_retry_after_asks_for_longer_than_allowed() {
    let server = MockServer::start(|_, _| Reply::status(429).header("Retry-After", "3600"));
    let client = Client::new(config(None)).unwrap();
    let err = get(&client, &format!("{}/x", server.url()), BodyKind::Json)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the server asks to retry after 3600 s, more than the 2 s allowed"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn retries_a_connection_broken_mid_body() {
    let body = "x".repeat(10_000);
    let whole = body.clone();
    let server = MockServer::start(move |_, n| {
        let reply = Reply::new(200, "text/csv", whole.clone());
        if n == 0 {
            reply.cut_after(4000)
        } else {
            reply
        }
    });
    let client = Client::new(config(None)).unwrap();
    let fetched = get(&client, &format!("{}/f.csv", server.url()), BodyKind::Text).unwrap();
    assert_eq!(fetched.body.len(), 10_000);
    assert_eq!(fetched.attempts, 2);
}

#[test]
fn a_connection_that_always_breaks_mid_body_is_an_error_never_a_short_body() {
    let server =
        MockServer::start(|_, _| Reply::new(200, "text/csv", "y".repeat(5000)).cut_after(100));
    let client = Client::new(config(None)).unwrap();
    let err = get(&client, &format!("{}/f.csv", server.url()), BodyKind::Text)
        .unwrap_err()
        .to_string();
    assert!(err.contains("the connection broke after"), "{err}");
    assert!(err.contains("gave up after 4 attempts"), "{err}");
}

#[test]
fn refuses_a_response_far_larger_than_allowed() {
    let server = MockServer::start(|_, _| Reply::json(vec![b' '; 100_000]));
    let client = Client::new(HttpConfig {
        max_body: 1000,
        ..config(None)
    })
    .unwrap();
    let err = get(&client, &format!("{}/big", server.url()), BodyKind::Json)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the response announces 100000 bytes, more than the 1000 allowed"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1, "a size refusal is not retried");
}

#[test]
fn refuses_an_html_page_served_where_json_is_expected() {
    let server = MockServer::start(|_, _| Reply::new(200, "text/html", "<html>maintenance</html>"));
    let client = Client::new(config(None)).unwrap();
    let err = get(&client, &format!("{}/api/X", server.url()), BodyKind::Json)
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("the server sent `text/html` where JSON was expected"),
        "{err}"
    );
}

#[test]
fn revalidates_the_cache_with_etag_and_reads_it_offline() {
    let cache = tempfile::tempdir().unwrap();
    let server = MockServer::start(|request, _| {
        if request.headers.get("if-none-match").map(String::as_str) == Some("\"v1\"") {
            Reply::new(304, "application/json", "")
        } else {
            Reply::json("[1]")
                .header("ETag", "\"v1\"")
                .header("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")
        }
    });
    let url = format!("{}/data", server.url());
    let client = Client::new(config(Some(cache.path()))).unwrap();
    let first = get(&client, &url, BodyKind::Json).unwrap();
    assert_eq!(first.origin, Origin::Network);
    let second = get(&client, &url, BodyKind::Json).unwrap();
    assert_eq!(second.origin, Origin::Revalidated);
    assert_eq!(
        (second.body, &second.sha256, &second.retrieved),
        (b"[1]".to_vec(), &first.sha256, &first.retrieved)
    );
    let requests = server.requests();
    assert_eq!(
        requests[1]
            .headers
            .get("if-modified-since")
            .map(String::as_str),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );

    let offline = Client::new(HttpConfig {
        offline: true,
        ..config(Some(cache.path()))
    })
    .unwrap();
    let third = get(&offline, &url, BodyKind::Json).unwrap();
    assert_eq!((third.origin, third.body), (Origin::Cache, b"[1]".to_vec()));
    assert_eq!(server.requests().len(), 2, "offline never asks the server");
    let err = get(&offline, &format!("{}/other", server.url()), BodyKind::Json)
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("not in the cache, and offline mode forbids the network: run once online"),
        "{err}"
    );
}

#[test]
fn keeps_at_most_the_per_host_limit_of_requests_in_flight() {
    let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (n2, p2) = (now.clone(), peak.clone());
    let server = MockServer::start(move |_, _| {
        let current = n2.fetch_add(1, Ordering::SeqCst) + 1;
        p2.fetch_max(current, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(60));
        n2.fetch_sub(1, Ordering::SeqCst);
        Reply::json("[]")
    });
    let client = Client::new(HttpConfig {
        per_host: 2,
        ..config(None)
    })
    .unwrap();
    std::thread::scope(|s| {
        for i in 0..6 {
            let (client, url) = (&client, format!("{}/r{i}", server.url()));
            s.spawn(move || get(client, &url, BodyKind::Json).unwrap());
        }
    });
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[test]
fn a_server_that_stalls_times_out_and_is_retried() {
    let server = MockServer::start(|_, n| {
        if n == 0 {
            std::thread::sleep(Duration::from_millis(1500));
        }
        Reply::json("[2]")
    });
    let client = Client::new(HttpConfig {
        timeout: Duration::from_millis(300),
        ..config(None)
    })
    .unwrap();
    let start = Instant::now();
    let fetched = get(&client, &format!("{}/slow", server.url()), BodyKind::Json).unwrap();
    assert_eq!((fetched.body, fetched.attempts), (b"[2]".to_vec(), 2));
    assert!(
        start.elapsed() < Duration::from_millis(1400),
        "{:?}",
        start.elapsed()
    );
}

/// Records the waits a request budget imposes.
#[derive(Default)]
struct Waits(std::sync::Mutex<Vec<(String, Duration, healthy_city_ingest::Budget)>>);

impl healthy_city_ingest::Progress for Waits {
    fn start(&self, _: &str, _: &str, _: Option<u64>) {}
    fn advance(&self, _: &str, _: u64) {}
    fn finish(&self, _: &str) {}
    fn waiting(&self, source: &str, wait: Duration, budget: healthy_city_ingest::Budget) {
        self.0
            .lock()
            .unwrap()
            .push((source.to_string(), wait, budget));
    }
}

/// A service with a request budget (the OECD's 60 an hour, here 2 per 400 ms) spaces its
/// requests instead of failing: the third request is sent no sooner than a full window after
/// the first, the wait is reported to the progress display, and other services are not held.
#[test]
fn a_request_budget_spaces_requests_and_reports_the_wait() {
    let server = MockServer::start(|_, _| Reply::json("{}"));
    let budget = healthy_city_ingest::Budget {
        requests: 2,
        per: Duration::from_millis(400),
    };
    let client = Client::new(HttpConfig {
        budgets: std::collections::BTreeMap::from([("oecd".to_string(), budget)]),
        ..config(None)
    })
    .unwrap();
    let waits = Waits::default();
    let start = Instant::now();
    let mut sent = Vec::new();
    for i in 0..3 {
        let url = format!("{}/public/rest/data/X{i}", server.url());
        client.get(&url, BodyKind::Json, "oecd", &waits).unwrap();
        sent.push(start.elapsed());
    }
    // Lower bounds only (a loaded machine may be slower, never faster).
    assert!(sent[2] >= Duration::from_millis(400), "{sent:?}");
    let recorded = waits.0.lock().unwrap().clone();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].0, "oecd");
    assert_eq!(recorded[0].2, budget);
    assert!(recorded[0].1 > Duration::ZERO && recorded[0].1 <= budget.per);
    // A service without a budget is not held back by the OECD's.
    for i in 0..3 {
        let url = format!("{}/api/Y{i}", server.url());
        client.get(&url, BodyKind::Json, "gho", &waits).unwrap();
    }
    assert_eq!(waits.0.lock().unwrap().len(), 1);
    assert_eq!(server.requests().len(), 6);
}

/// SDMX's answer to a selection matching no data, a 404 whose body says `NoResultsFound`, is
/// an empty result with a message saying so and what to check, not an unknown failure; a 404
/// without it stays a missing address.
#[test]
fn an_sdmx_404_no_results_found_is_an_empty_result() {
    let server = MockServer::start(|r, _| {
        if r.path().ends_with("/empty") {
            Reply::new(404, "text/plain; charset=utf-8", "NoResultsFound")
        } else {
            Reply::status(404)
        }
    });
    let client = Client::new(config(None)).unwrap();
    let url = format!("{}/public/rest/data/empty", server.url());
    let err = get(&client, &url, BodyKind::Json).unwrap_err();
    assert!(
        matches!(err, healthy_city_ingest::Error::NoResults { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("`{url}` holds no rows: the server answered 404 Not Found with `NoResultsFound`, SDMX's answer to a selection that matches no data; check the catalogue's `download` address (the key's dimension codes, `startPeriod`/`endPeriod`)")
    );
    // Not retried: one request.
    assert_eq!(server.requests().len(), 1);
    let missing = format!("{}/public/rest/data/missing", server.url());
    let err = get(&client, &missing, BodyKind::Json)
        .unwrap_err()
        .to_string();
    assert!(err.ends_with("the server answered 404 Not Found"), "{err}");
}
