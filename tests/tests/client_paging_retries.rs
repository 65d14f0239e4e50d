//! The generated client against the fake Halo server: retries (429, 503, network failures, Retry-After, backoff,
//! attempt and time budgets), the client-side rate limiter, and paging (`all`, `stream`, `pages`, concurrency,
//! Halo's silent page-size cap, bare-array lists, errors and 429s in the middle of a walk).
//!
//! Every test asserts on what the fake recorded (attempts, statuses, query parameters, arrival times) or on exact
//! record sets, so that it fails if the behaviour it names is taken out of the runtime.

use std::collections::BTreeSet;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_core::Stream;
use halopsa::Client;
use halopsa::models::{Agent, Client as HaloClient};
use halopsa::{ErrorKind, RateLimit as ClientRateLimit, RetryPolicy};
use halopsa_tests::fake_halo::{ErrorBody, FakeHalo, Fault, RateLimit as ServerRateLimit, RecordedRequest, Target};
use serde_json::Value;
use tokio::io::{AsyncReadExt, copy_bidirectional};
use tokio::net::{TcpListener, TcpStream};
// The paused clock's time in the tests that measure it (`start_paused`), the real one elsewhere.
use tokio::time::Instant;

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Quick retries: five attempts, waits of a few milliseconds.
fn fast() -> RetryPolicy {
    RetryPolicy::default().max_attempts(5).base_delay(ms(2)).max_delay(ms(10)).max_elapsed(Duration::from_secs(5))
}

fn client(fake: &FakeHalo, policy: RetryPolicy) -> Client {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(policy)
        .build()
        .expect("client")
}

/// The recorded requests with this method and exactly this path (case-insensitively, as Halo routes).
fn calls(fake: &FakeHalo, method: &str, path: &str) -> Vec<RecordedRequest> {
    fake.requests().into_iter().filter(|r| r.method == method && r.path.eq_ignore_ascii_case(path)).collect()
}

fn statuses(requests: &[RecordedRequest]) -> Vec<u16> {
    requests.iter().map(|r| r.status.unwrap_or(0)).collect()
}

fn page_nos(requests: &[RecordedRequest]) -> Vec<u64> {
    requests
        .iter()
        .map(|r| {
            r.query_param("page_no")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no page_no on {}", r.line()))
        })
        .collect()
}

/// The waits between consecutive recorded attempts, as the server saw them.
fn gaps(requests: &[RecordedRequest]) -> Vec<Duration> {
    requests.windows(2).map(|w| w[1].at - w[0].at).collect()
}

fn agent_ids(agents: &[Agent]) -> Vec<i64> {
    agents.iter().map(|a| i64::from(a.id.expect("agent id"))).collect()
}

fn value_ids(records: &[Value]) -> Vec<i64> {
    records.iter().map(|r| r["id"].as_i64().expect("id")).collect()
}

#[track_caller]
fn assert_no_duplicates(ids: &[i64]) {
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate records in {ids:?}");
}

/// The next item of a stream (the item stream of `.stream()`, or `Pages` as a stream of pages).
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

fn new_agent(name: &str) -> Agent {
    let mut agent = Agent::default();
    agent.name = Some(name.to_owned());
    agent
}

fn agents_named(fake: &FakeHalo, name: &str) -> usize {
    fake.agents().iter().filter(|a| a["name"].as_str() == Some(name)).count()
}

// ---------------------------------------------------------------------------------------------------------------
// Retries on 429 and 5xx.

#[tokio::test]
async fn a_429_is_retried_until_it_succeeds() {
    let fake = FakeHalo::builder().seed_agents(3).start().await;
    let fault = fake.inject(Fault::rate_limited().times(2).on(Target::get("/api/Agent")));
    let client = client(&fake, fast());

    let agent = client.agents().get(1).send().await.expect("third attempt succeeds");

    assert_eq!(agent.name.as_deref(), Some("Agent 001"));
    assert_eq!(statuses(&calls(&fake, "GET", "/api/Agent/1")), [429, 429, 200]);
    assert_eq!(fake.fault_hits(fault), 2);
}

#[tokio::test]
async fn retry_after_is_honoured_even_beyond_max_delay() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    fake.inject(Fault::rate_limited_retry_after(1).times(1).on(Target::get("/api/Agent")));
    // The backoff alone would wait 10 ms at most; only Retry-After can make the client wait a second.
    let client = client(&fake, fast());

    client.agents().get(1).send().await.expect("retried after Retry-After");

    let attempts = calls(&fake, "GET", "/api/Agent/1");
    assert_eq!(statuses(&attempts), [429, 200]);
    let waited = gaps(&attempts)[0];
    assert!(waited >= ms(990), "Retry-After: 1 not honoured: the retry came after {waited:?}");
    assert!(waited < ms(3000), "waited far longer than Retry-After: {waited:?}");
}

#[tokio::test]
async fn a_429_without_retry_after_waits_a_jittered_backoff_within_the_policy() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    fake.inject(Fault::rate_limited().times(7).on(Target::get("/api/Agent")));
    let policy =
        RetryPolicy::default().max_attempts(8).base_delay(ms(20)).max_delay(ms(30)).max_elapsed(Duration::from_secs(5));
    let client = client(&fake, policy);

    client.agents().get(1).send().await.expect("eighth attempt succeeds");

    let attempts = calls(&fake, "GET", "/api/Agent/1");
    assert_eq!(statuses(&attempts)[..7], [429; 7]);
    assert_eq!(attempts.len(), 8);
    let waits = gaps(&attempts);
    // Caps: 20 ms before the first retry, then doubled but at most max_delay (30 ms). Slack for the round trip.
    for (retry, wait) in waits.iter().enumerate() {
        let cap = if retry == 0 { ms(20) } else { ms(30) };
        assert!(*wait <= cap + ms(100), "retry {} waited {wait:?}, beyond the cap {cap:?}", retry + 1);
    }
    // Full jitter: the waits are random in [0, cap], so together they are far from zero (expected ~100 ms), and
    // the six with the same 30 ms cap are not all alike (all within 3 ms of each other: odds ~6e-5). An immediate
    // retry, or a fixed delay, fails one of these.
    let total: Duration = waits.iter().sum();
    assert!(total >= ms(15), "no backoff between attempts: {waits:?}");
    let same_cap = &waits[1..];
    let spread = same_cap.iter().max().unwrap().saturating_sub(*same_cap.iter().min().unwrap());
    assert!(spread >= ms(3), "waits without jitter: {waits:?}");
}

#[tokio::test]
async fn a_503_is_retried_for_reads_updates_deletes_and_creates_but_a_502_not_for_creates() {
    let fake = FakeHalo::builder().seed_agents(5).start().await;
    let client = client(&fake, fast());

    fake.inject(Fault::unavailable().times(1).on(Target::get("/api/Agent")));
    client.agents().get(2).send().await.expect("GET retried after 503");
    assert_eq!(statuses(&calls(&fake, "GET", "/api/Agent/2")), [503, 200]);

    fake.inject(Fault::unavailable().times(1).on(Target::delete("/api/Agent")));
    client.agents().delete(3).send().await.expect("DELETE retried after 503");
    assert_eq!(statuses(&calls(&fake, "DELETE", "/api/Agent/3")), [503, 200]);
    assert!(fake.agent(3).is_none(), "the retried DELETE was applied");

    // A 503 says Halo did not handle the request: even a create is sent again, and applied once.
    fake.inject(Fault::unavailable().times(1).on(Target::post("/api/Agent")));
    let saved = client.agents().create(new_agent("Created Once")).send().await.expect("create retried after 503");
    assert_eq!(saved.name.as_deref(), Some("Created Once"));
    assert_eq!(statuses(&calls(&fake, "POST", "/api/Agent")), [503, 200]);
    assert_eq!(agents_named(&fake, "Created Once"), 1);

    // A 502 leaves it open whether Halo acted: an update (idempotent) is retried, a create is not.
    fake.clear_requests();
    let mut change = Agent::default();
    change.jobtitle = Some("Lead".into());
    fake.inject(Fault::error(502, ErrorBody::Text("bad gateway".into())).times(1).on(Target::post("/api/Agent")));
    client.agents().update(2, change).send().await.expect("update retried after 502");
    assert_eq!(statuses(&calls(&fake, "POST", "/api/Agent")), [502, 200]);

    fake.clear_requests();
    fake.inject(Fault::error(502, ErrorBody::Text("bad gateway".into())).times(1).on(Target::post("/api/Agent")));
    let error = client.agents().create(new_agent("Maybe Once")).send().await.expect_err("a create answered 502");
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown);
    assert_eq!(error.status(), Some(502));
    assert!(!error.is_retryable(), "the caller must look before repeating it: {error}");
    assert_eq!(statuses(&calls(&fake, "POST", "/api/Agent")), [502], "exactly one POST");
}

#[tokio::test]
async fn a_post_answered_429_is_retried_and_applied_once() {
    let fake = FakeHalo::builder().seed_agents(2).start().await;
    fake.inject(Fault::rate_limited().times(2).on(Target::post("/api/Agent")));
    let client = client(&fake, fast());

    let saved = client
        .agents()
        .create(new_agent("After Throttling"))
        .send()
        .await
        .expect("a throttled POST was not applied, so it is retried");

    assert_eq!(saved.name.as_deref(), Some("After Throttling"));
    assert_eq!(statuses(&calls(&fake, "POST", "/api/Agent")), [429, 429, 200]);
    assert_eq!(agents_named(&fake, "After Throttling"), 1);
    assert_eq!(fake.agents().len(), 3);
}

#[tokio::test]
async fn a_persistent_429_fails_after_exactly_max_attempts() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    fake.inject(Fault::rate_limited().on(Target::get("/api/Agent")));
    let policy = fast().max_attempts(4);
    let client = client(&fake, policy);

    let error = client.agents().get(1).send().await.expect_err("never stops being throttled");

    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.status(), Some(429));
    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), None, "the fake sent no Retry-After");
    assert_eq!(statuses(&calls(&fake, "GET", "/api/Agent/1")), [429; 4]);
}

#[tokio::test(start_paused = true)]
async fn retry_policy_none_makes_one_attempt_and_exposes_retry_after() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    let client = client(&fake, RetryPolicy::none());

    let unavailable = fake.inject(Fault::unavailable().times(1).on(Target::get("/api/Agent")));
    let error = client.agents().get(1).send().await.expect_err("503, no retries");
    assert_eq!(error.status(), Some(503));
    assert_eq!(fake.fault_hits(unavailable), 1);
    assert_eq!(statuses(&calls(&fake, "GET", "/api/Agent/1")), [503]);

    fake.inject(Fault::rate_limited_retry_after(30).on(Target::get("/api/Agent")));
    let started = Instant::now();
    let error = client.agents().get(1).send().await.expect_err("429, no retries");
    assert!(started.elapsed() < ms(1000), "RetryPolicy::none() waited");
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(statuses(&calls(&fake, "GET", "/api/Agent/1")), [503, 429]);
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_bounds_the_time_spent_retrying() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;

    // A Retry-After that would end beyond the budget: give up at once rather than sleep first.
    let throttled = fake.inject(Fault::rate_limited_retry_after(1).on(Target::get("/api/Agent/1")));
    let policy = fast().max_attempts(10).max_elapsed(ms(500));
    let started = Instant::now();
    let error = client(&fake, policy).agents().get(1).send().await.expect_err("over budget");
    assert!(started.elapsed() < ms(900), "slept past the budget: {:?}", started.elapsed());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(calls(&fake, "GET", "/api/Agent/1").len(), 1);
    fake.remove_fault(throttled);

    // Backoff only: the attempts stop once the budget is spent, long before max_attempts.
    fake.clear_requests();
    fake.inject(Fault::rate_limited().on(Target::get("/api/Agent/1")));
    let policy = RetryPolicy::default().max_attempts(1000).base_delay(ms(20)).max_delay(ms(20)).max_elapsed(ms(250));
    let started = Instant::now();
    let error = client(&fake, policy).agents().get(1).send().await.expect_err("over budget");
    let elapsed = started.elapsed();
    assert_eq!(error.status(), Some(429));
    let attempts = calls(&fake, "GET", "/api/Agent/1");
    assert!(attempts.len() >= 3 && attempts.len() < 1000, "{} attempts", attempts.len());
    let span = attempts.last().unwrap().at - attempts[0].at;
    assert!(span <= ms(350), "attempts spread over {span:?}, beyond max_elapsed");
    assert!(elapsed < ms(1000), "took {elapsed:?}");
}

// ---------------------------------------------------------------------------------------------------------------
// Network failures.

/// A TCP proxy in front of the fake's API. It hangs up on the first `drop_first` connections right after reading
/// one whole request from each (the request was sent, no answer comes), and forwards every later connection.
struct FlakyProxy {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    dropped: Arc<Mutex<Vec<String>>>,
}

impl FlakyProxy {
    async fn start(upstream: SocketAddr, drop_first: usize) -> FlakyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        FlakyProxy::start_on(listener, upstream, drop_first)
    }

    fn start_on(listener: TcpListener, upstream: SocketAddr, drop_first: usize) -> FlakyProxy {
        let addr = listener.local_addr().expect("proxy address");
        let connections = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(Mutex::new(Vec::new()));
        let (count, log) = (connections.clone(), dropped.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                if count.fetch_add(1, Ordering::SeqCst) < drop_first {
                    let line = read_request(&mut socket).await;
                    log.lock().unwrap().push(line);
                    drop(socket);
                    continue;
                }
                tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = copy_bidirectional(&mut socket, &mut server).await;
                    }
                });
            }
        });
        FlakyProxy { addr, connections, dropped }
    }

    fn api_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    fn dropped(&self) -> Vec<String> {
        self.dropped.lock().unwrap().clone()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Reads one HTTP/1.1 request (head and `Content-Length` body); returns its request line.
async fn read_request(socket: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let head_end = data.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
        if let Some(head_end) = head_end {
            let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
            let length = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= head_end + length {
                return head.lines().next().unwrap_or_default().to_owned();
            }
        }
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => {
                return String::from_utf8_lossy(&data).lines().next().unwrap_or_default().to_owned();
            }
            Ok(n) => data.extend_from_slice(&buffer[..n]),
        }
    }
}

/// A client that fetches tokens from the fake directly and sends API requests to `api_url`.
fn client_via(fake: &FakeHalo, api_url: String, policy: RetryPolicy) -> Client {
    Client::builder(fake.base_url())
        .api_url(api_url)
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(policy)
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_get_and_delete() {
    let fake = FakeHalo::builder().seed_agents(3).start().await;

    let proxy = FlakyProxy::start(fake.addr(), 2).await;
    let agent = client_via(&fake, proxy.api_url(), fast())
        .agents()
        .get(1)
        .send()
        .await
        .expect("GET retried after two broken connections");
    assert_eq!(agent.id, Some(1));
    assert_eq!(proxy.dropped(), ["GET /api/Agent/1 HTTP/1.1"; 2]);
    assert_eq!(statuses(&calls(&fake, "GET", "/api/Agent/1")), [200]);

    // A new client (and pool), so that the DELETE opens a new connection through a new proxy.
    let proxy = FlakyProxy::start(fake.addr(), 1).await;
    client_via(&fake, proxy.api_url(), fast())
        .agents()
        .delete(3)
        .send()
        .await
        .expect("DELETE retried after a broken connection");
    assert_eq!(proxy.dropped(), ["DELETE /api/Agent/3 HTTP/1.1"]);
    assert_eq!(statuses(&calls(&fake, "DELETE", "/api/Agent/3")), [200]);
    assert!(fake.agent(3).is_none());
}

#[tokio::test]
async fn a_post_whose_connection_broke_after_sending_is_not_retried() {
    let fake = FakeHalo::builder().seed_agents(2).start().await;
    let proxy = FlakyProxy::start(fake.addr(), 1).await;
    let client = client_via(&fake, proxy.api_url(), fast());

    let error = client
        .agents()
        .create(new_agent("Maybe Saved"))
        .send()
        .await
        .expect_err("the POST may have been applied; it must not be repeated");

    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown);
    assert!(!error.is_retryable(), "repeating it could create a duplicate");
    assert_eq!(proxy.dropped(), ["POST /api/Agent HTTP/1.1"]);
    assert_eq!(proxy.connections(), 1, "a retry would have opened a second connection");
    assert!(calls(&fake, "POST", "/api/Agent").is_empty());
    assert_eq!(agents_named(&fake, "Maybe Saved"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_retried_even_for_a_post() {
    let fake = FakeHalo::builder().seed_agents(2).start().await;
    // A port nobody listens on (yet).
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let api_url = format!("http://127.0.0.1:{port}/api");

    let error = client_via(&fake, api_url.clone(), RetryPolicy::none())
        .agents()
        .create(new_agent("Refused"))
        .send()
        .await
        .expect_err("nothing listens");
    assert_eq!(error.kind(), ErrorKind::Network);
    assert!(error.is_retryable());

    // Nothing was sent, so a POST is safe to repeat: it succeeds once the proxy starts listening.
    let upstream = fake.addr();
    let late = tokio::spawn(async move {
        tokio::time::sleep(ms(150)).await;
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("rebind the port");
        FlakyProxy::start_on(listener, upstream, 0)
    });
    let policy = RetryPolicy::default()
        .max_attempts(500)
        .base_delay(ms(5))
        .max_delay(ms(10))
        .max_elapsed(Duration::from_secs(5));
    let started = Instant::now();
    let saved = client_via(&fake, api_url, policy)
        .agents()
        .create(new_agent("Refused Then Saved"))
        .send()
        .await
        .expect("retried until the connection opened");
    assert!(started.elapsed() >= ms(150));
    let proxy = late.await.expect("proxy task");
    assert_eq!(proxy.connections(), 1);
    assert_eq!(saved.name.as_deref(), Some("Refused Then Saved"));
    assert_eq!(statuses(&calls(&fake, "POST", "/api/Agent")), [200]);
    assert_eq!(agents_named(&fake, "Refused Then Saved"), 1);
    assert_eq!(agents_named(&fake, "Refused"), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// The client-side rate limiter.

/// Fifteen concurrent GETs; the number of them answered 429.
async fn burst(fake: &FakeHalo, client: &Client) -> usize {
    let tasks: Vec<_> = (1..=15)
        .map(|id| {
            let client = client.clone();
            tokio::spawn(async move { client.agents().get(id).send().await })
        })
        .collect();
    let mut throttled = 0;
    for task in tasks {
        if let Err(error) = task.await.expect("task") {
            assert_eq!(error.status(), Some(429), "{error}");
            throttled += 1;
        }
    }
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 15);
    assert_eq!(recorded.iter().filter(|r| r.status == Some(429)).count(), throttled);
    throttled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_client_side_limiter_keeps_the_server_from_answering_429() {
    // The server allows 10 requests per rolling window. Its window is 50 ms shorter than the client's: the client
    // stamps a request when it sends it and the server when it arrives, and a few milliseconds of latency
    // jitter must not count as a violation.
    let server_limit = ServerRateLimit::new(10, ms(950));
    let client_limit = ClientRateLimit::per_window(10, Duration::from_secs(1));

    // Without the limiter, a burst of 15 collects 429s (no retries, so each one is an error).
    let fake = FakeHalo::builder().seed_agents(15).rate_limit(server_limit).start().await;
    let unlimited = client(&fake, RetryPolicy::none());
    assert!(burst(&fake, &unlimited).await > 0, "the server-side limit never fired");

    // With it, the same burst waits for the window instead, and every request succeeds.
    let fake = FakeHalo::builder().seed_agents(15).rate_limit(server_limit).start().await;
    let limited = Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(RetryPolicy::none())
        .rate_limit(client_limit)
        .build()
        .expect("client");
    let started = Instant::now();
    assert_eq!(burst(&fake, &limited).await, 0, "the client let the server throttle it");
    // 16 requests (the token request counts too) at 10 per second: the eleventh waits a whole window.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(1), "the client did not wait: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "the client waited too long: {elapsed:?}");
}

// ---------------------------------------------------------------------------------------------------------------
// Paging.

#[tokio::test]
async fn all_returns_every_agent_once_and_in_order() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    let client = client(&fake, fast());

    let agents = client.agents().list().all().await.expect("all");

    let ids = agent_ids(&agents);
    assert_eq!(ids, value_ids(&fake.agents()));
    assert_eq!(ids.len(), 250);
    assert_no_duplicates(&ids);
    let pages = calls(&fake, "GET", "/api/Agent");
    assert_eq!(page_nos(&pages), [1, 2, 3], "stops once record_count is reached");
    for page in &pages {
        assert_eq!(page.query_param("pageinate"), Some("true"), "{}", page.line());
        assert_eq!(page.query_param("page_size"), Some("100"), "{}", page.line());
    }
}

#[tokio::test]
async fn a_page_size_above_the_cap_still_yields_every_record() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    let client = client(&fake, fast());
    let expected = value_ids(&fake.agents());

    // The client never asks for more than Halo serves.
    let agents = client.agents().list().page_size(500).all().await.expect("all");
    assert_eq!(agent_ids(&agents), expected);
    let pages = calls(&fake, "GET", "/api/Agent");
    assert_eq!(page_nos(&pages), [1, 2, 3]);
    assert!(pages.iter().all(|p| p.query_param("page_size") == Some("100")));

    // HaloAPI#90: a tenant that caps pages below the size asked for, silently. The pager must go by what came
    // back, not by what it asked for: 9 pages of 30, wrapped (stops at record_count) or bare (stops on the short
    // ninth page).
    fake.set_max_page_size(30);
    for bare in [false, true] {
        fake.set_bare_agent_list(bare);
        fake.clear_requests();
        let agents = client.agents().list().page_size(100).all().await.expect("all");
        assert_eq!(agent_ids(&agents), expected, "bare: {bare}");
        let pages = calls(&fake, "GET", "/api/Agent");
        assert_eq!(page_nos(&pages), (1..=9).collect::<Vec<_>>(), "bare: {bare}");
        assert!(pages.iter().all(|p| p.query_param("page_size") == Some("100")));
    }
}

#[tokio::test]
async fn a_bare_array_list_pages_until_a_short_page() {
    let fake = FakeHalo::builder().seed_agents(250).bare_agent_list(true).start().await;
    let client = client(&fake, fast());

    let agents = client.agents().list().all().await.expect("all");

    assert_eq!(agent_ids(&agents), value_ids(&fake.agents()));
    assert_eq!(page_nos(&calls(&fake, "GET", "/api/Agent")), [1, 2, 3]);
}

#[tokio::test]
async fn an_exact_multiple_of_the_page_size_stops_at_record_count_or_an_empty_page() {
    let fake = FakeHalo::builder().seed_agents(200).start().await;
    let client = client(&fake, fast());
    let expected = value_ids(&fake.agents());

    let agents = client.agents().list().all().await.expect("wrapped");
    assert_eq!(agent_ids(&agents), expected);
    // Full pages that meet the record count exactly: one more page confirms the end (a count can lie low).
    assert_eq!(page_nos(&calls(&fake, "GET", "/api/Agent")), [1, 2, 3], "record_count says 200, page 3 confirms");

    // A bare array has no count: the third page comes back empty, and that ends it.
    fake.set_bare_agent_list(true);
    fake.clear_requests();
    let agents = client.agents().list().all().await.expect("bare");
    assert_eq!(agent_ids(&agents), expected);
    let pages = calls(&fake, "GET", "/api/Agent");
    assert_eq!(page_nos(&pages), [1, 2, 3]);
}

#[tokio::test]
async fn an_empty_list_is_one_request_and_no_items() {
    let fake = FakeHalo::start().await;
    let client = client(&fake, fast());

    for bare in [false, true] {
        fake.set_bare_agent_list(bare);
        fake.clear_requests();
        let agents = client.agents().list().all().await.expect("all");
        assert!(agents.is_empty());
        assert_eq!(page_nos(&calls(&fake, "GET", "/api/Agent")), [1], "bare: {bare}");
    }

    // As pages: the first page is yielded (empty), then nothing.
    fake.set_bare_agent_list(false);
    let mut pages = client.agents().list().pages();
    let first = pages.next_page().await.expect("a first page").expect("ok");
    assert!(first.agents.is_empty());
    assert_eq!(first.record_count, Some(0));
    assert!(pages.next_page().await.is_none());
}

#[tokio::test]
async fn stream_yields_the_same_records_as_all() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    let client = client(&fake, fast());

    let mut stream = client.agents().list().stream();
    let mut streamed = Vec::new();
    while let Some(agent) = next(&mut stream).await {
        streamed.push(agent.expect("ok"));
    }
    let streamed_pages = page_nos(&calls(&fake, "GET", "/api/Agent"));

    fake.clear_requests();
    let all = client.agents().list().all().await.expect("all");

    assert_eq!(agent_ids(&streamed), agent_ids(&all));
    assert_eq!(agent_ids(&streamed), value_ids(&fake.agents()));
    assert_eq!(streamed_pages, [1, 2, 3]);
    assert_eq!(page_nos(&calls(&fake, "GET", "/api/Agent")), [1, 2, 3]);
}

#[tokio::test]
async fn pages_yields_each_page_and_the_record_count() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    let client = client(&fake, fast());

    let mut pages = client.agents().list().pages();
    assert_eq!(pages.record_count(), None);
    let mut lengths = Vec::new();
    let mut ids = Vec::new();
    while let Some(page) = pages.next_page().await {
        let page = page.expect("ok");
        lengths.push(page.agents.len());
        ids.extend(agent_ids(&page.agents));
    }
    assert_eq!(lengths, [100, 100, 50]);
    assert_eq!(pages.record_count(), Some(250));
    assert_eq!(ids, value_ids(&fake.agents()));

    // The same through the `Stream` impl.
    let mut pages = client.agents().list().pages();
    let mut lengths = Vec::new();
    while let Some(page) = next(&mut pages).await {
        lengths.push(page.expect("ok").agents.len());
    }
    assert_eq!(lengths, [100, 100, 50]);
    assert_eq!(page_nos(&calls(&fake, "GET", "/api/Agent")), [1, 2, 3, 1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_paging_returns_the_same_records_and_overlaps_requests() {
    const DELAY: Duration = ms(150);
    // Small pages (10 records), so that the time is the server's delay rather than JSON work.
    let fake = FakeHalo::builder().seed_agents(50).start().await;
    let client = client(&fake, fast());
    // Fetch the token first, so that only page requests are timed.
    client.agents().get(1).send().await.expect("warm up");
    fake.clear_requests();
    fake.inject(Fault::Delay(DELAY).on(Target::get("/api/Agent")));

    let started = Instant::now();
    let agents = client.agents().list().page_size(10).pages().concurrency(4).all().await.expect("all");
    let elapsed = started.elapsed();

    assert_eq!(agent_ids(&agents), value_ids(&fake.agents()), "same records, same order");
    let pages = calls(&fake, "GET", "/api/Agent");
    let mut numbers = page_nos(&pages);
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6], "each page exactly once, and one to confirm the record count");
    // Pages 2 to 5 were all sent before any of them could have been answered: they were in flight together.
    // One at a time, each would arrive at least DELAY after the one before.
    let later: Vec<&RecordedRequest> =
        pages.iter().filter(|p| matches!(p.query_param("page_no"), Some("2" | "3" | "4" | "5"))).collect();
    let first_at = later.iter().map(|p| p.at).min().unwrap();
    let last_at = later.iter().map(|p| p.at).max().unwrap();
    assert!(last_at - first_at < DELAY, "pages 2-5 arrived over {:?}: not concurrent", last_at - first_at);
    assert!(elapsed < DELAY * 5, "as slow as one page at a time: {elapsed:?}");

    // A bare array has no record count, so there is no plan to fetch ahead: one page at a time, same records.
    // The sixth page comes back empty and ends it; nothing is fetched past it.
    fake.clear_faults();
    fake.clear_requests();
    fake.set_bare_agent_list(true);
    let agents = client.agents().list().page_size(10).pages().concurrency(4).all().await.expect("bare");
    assert_eq!(agent_ids(&agents), value_ids(&fake.agents()));
    assert_eq!(page_nos(&calls(&fake, "GET", "/api/Agent")), [1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn an_error_on_page_two_ends_the_stream_with_that_error() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    let client = client(&fake, fast());
    let bad_request = || {
        Fault::error(
            400,
            ErrorBody::Validation {
                message: "The request is invalid.".into(),
                errors: vec!["page_no is out of range".into()],
            },
        )
        .after(1)
        .times(1)
        .on(Target::get("/api/Agent"))
    };

    fake.inject(bad_request());
    let mut stream = client.agents().list().stream();
    let mut ok = Vec::new();
    let error = loop {
        match next(&mut stream).await.expect("the stream ends with the error, not before") {
            Ok(agent) => ok.push(agent),
            Err(error) => break error,
        }
    };
    assert_eq!(agent_ids(&ok), (1..=100).collect::<Vec<_>>(), "the first page, then the error");
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(400));
    assert!(error.message().contains("page_no is out of range"), "{error}");
    assert!(!error.is_retryable());
    assert!(next(&mut stream).await.is_none(), "nothing after the error");
    assert_eq!(statuses(&calls(&fake, "GET", "/api/Agent")), [200, 400], "no request after the error");

    fake.clear_requests();
    fake.inject(bad_request());
    let error = client.agents().list().all().await.expect_err("all fails too");
    assert_eq!(error.error().status(), Some(400));
    // What was read is not lost, and the error says where to resume.
    assert_eq!(agent_ids(error.items()), (1..=100).collect::<Vec<_>>());
    assert_eq!(error.error().page_no(), Some(2));
    assert_eq!(statuses(&calls(&fake, "GET", "/api/Agent")), [200, 400]);
}

#[tokio::test]
async fn filters_are_sent_with_every_page() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    let client = client(&fake, fast());

    let agents = client.agents().list().team_id(1).search("agent").page_size(30).all().await.expect("all");

    let expected: Vec<i64> =
        fake.agents().iter().filter(|a| a["team_id"] == 1).map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(expected.len(), 84);
    assert_eq!(agent_ids(&agents), expected);
    let pages = calls(&fake, "GET", "/api/Agent");
    assert_eq!(page_nos(&pages), [1, 2, 3]);
    for page in &pages {
        assert_eq!(page.query_param("team_id"), Some("1"), "{}", page.line());
        assert_eq!(page.query_param("search"), Some("agent"), "{}", page.line());
        assert_eq!(page.query_param("page_size"), Some("30"), "{}", page.line());
        assert_eq!(page.query_param("pageinate"), Some("true"), "{}", page.line());
    }
}

#[tokio::test]
async fn users_clients_and_teams_decode_their_wrappers() {
    let fake = FakeHalo::builder().seed_clients(120).seed_users(150).seed_agents(3).start().await;
    let client = client(&fake, fast());

    let users = client.users().list().all().await.expect("users");
    let user_ids: Vec<i64> = users.iter().map(|u| i64::from(u.id.expect("id"))).collect();
    assert_eq!(user_ids, value_ids(&fake.users()));
    assert_eq!(user_ids.len(), 150);
    assert_eq!(page_nos(&calls(&fake, "GET", "/api/Users")), [1, 2]);

    let clients: Vec<HaloClient> = client.clients().list().all().await.expect("clients");
    let client_ids: Vec<i64> = clients.iter().map(|c| i64::from(c.id.expect("id"))).collect();
    assert_eq!(client_ids, value_ids(&fake.clients()));
    assert_eq!(client_ids.len(), 120);
    assert_eq!(page_nos(&calls(&fake, "GET", "/api/Client")), [1, 2]);

    let teams = client.teams().list().send().await.expect("teams");
    let names: Vec<String> = teams.teams.iter().filter_map(|t| t.name.clone()).collect();
    let expected: Vec<String> = fake.teams().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, expected);
    assert_eq!(names.len(), 3);
}

// ---------------------------------------------------------------------------------------------------------------
// 429s while paging.

#[tokio::test]
async fn a_429_in_the_middle_of_paging_loses_and_repeats_nothing() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    fake.inject(Fault::rate_limited().after(1).times(2).on(Target::get("/api/Agent")));
    let client = client(&fake, fast());

    let agents = client.agents().list().all().await.expect("all");

    let ids = agent_ids(&agents);
    assert_eq!(ids, value_ids(&fake.agents()));
    assert_no_duplicates(&ids);
    let pages = calls(&fake, "GET", "/api/Agent");
    assert_eq!(page_nos(&pages), [1, 2, 2, 2, 3]);
    assert_eq!(statuses(&pages), [200, 429, 429, 200, 200]);
}

#[tokio::test]
async fn random_429s_during_concurrent_paging_lose_and_repeat_nothing() {
    // 300 agents in pages of 30: ten pages.
    let fake = FakeHalo::builder().seed_agents(300).start().await;
    let client = client(&fake, fast().max_attempts(20));
    client.agents().get(1).send().await.expect("warm up");
    fake.clear_requests();
    fake.inject(Fault::random_rate_limited(0.3, 7).on(Target::get("/api/Agent")));

    let agents = client.agents().list().page_size(30).pages().concurrency(4).all().await.expect("all");

    let ids = agent_ids(&agents);
    assert_eq!(ids, value_ids(&fake.agents()));
    assert_no_duplicates(&ids);
    let pages = calls(&fake, "GET", "/api/Agent");
    assert!(pages.iter().any(|p| p.status == Some(429)), "no 429 fired");
    let mut answered: Vec<u64> = page_nos(&pages)
        .into_iter()
        .zip(statuses(&pages))
        .filter(|(_, status)| *status == 200)
        .map(|(page, _)| page)
        .collect();
    answered.sort_unstable();
    assert_eq!(answered, (1..=11).collect::<Vec<_>>(), "each page answered exactly once (11 confirms the count)");
}
