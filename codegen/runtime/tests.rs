//! HTTP-level tests of the runtime (tokens, 401 refresh, retries, paging, error bodies, client set-up) against a
//! tiny HTTP/1.1 server on 127.0.0.1, written with tokio's `TcpListener` alone so that the crate needs no other
//! dev-dependency. Every delay is a few milliseconds: the retry policies here are fast.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::request::Request;
use super::*;

// ---------------------------------------------------------------------------------------------------------------
// The server.

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query.split('&').filter_map(|pair| pair.split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn page_no(&self) -> usize {
        self.param("page_no").and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    fn is_token(&self) -> bool {
        self.path == "/auth/token"
    }
}

/// What the server answers. Status 0 closes the connection without answering (a network failure).
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
}

impl Answer {
    fn json(status: u16, body: Value) -> Self {
        Answer::raw(status, "application/json", body.to_string())
    }

    fn text(status: u16, body: &str) -> Self {
        Answer::raw(status, "text/plain", body.to_owned())
    }

    fn raw(status: u16, content_type: &str, body: String) -> Self {
        Answer { status, headers: vec![("Content-Type".into(), content_type.into())], body, delay: Duration::ZERO }
    }

    fn hang_up() -> Self {
        Answer { status: 0, headers: Vec::new(), body: String::new(), delay: Duration::ZERO }
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    busy: Arc<AtomicUsize>,
    max_busy: Arc<AtomicUsize>,
}

impl Server {
    async fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Server {
        Server::start_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), handler)
    }

    fn start_on(listener: TcpListener, handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Server {
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = Server { url, seen: Arc::default(), busy: Arc::default(), max_busy: Arc::default() };
        let handler: Handler = Arc::new(handler);
        let (seen, busy, max_busy) = (server.seen.clone(), server.busy.clone(), server.max_busy.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (handler, seen, busy, max_busy) = (handler.clone(), seen.clone(), busy.clone(), max_busy.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, handler, seen, busy, max_busy).await;
                });
            }
        });
        server
    }

    /// A Halo: the token endpoint mints `tok-1`, `tok-2`, ... valid for an hour; everything else goes to `api`.
    async fn halo(api: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Server {
        let minted = AtomicUsize::new(0);
        Server::start(move |seen| {
            if seen.is_token() {
                let n = minted.fetch_add(1, Ordering::SeqCst) + 1;
                Answer::json(
                    200,
                    json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600}),
                )
            } else {
                api(seen)
            }
        })
        .await
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn token_requests(&self) -> usize {
        self.seen().iter().filter(|s| s.is_token()).count()
    }

    fn api_requests(&self) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| !s.is_token()).collect()
    }

    fn client(&self) -> ClientBuilder {
        Client::builder(&self.url).client_credentials("the-id", "s3cret-value").retry_policy(fast())
    }
}

async fn serve(
    mut stream: TcpStream,
    handler: Handler,
    seen: Arc<Mutex<Vec<Seen>>>,
    busy: Arc<AtomicUsize>,
    max_busy: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buffer[head_end..(head_end + length).min(buffer.len())]).into_owned();
    let request = Seen { method, path: path.to_owned(), query: query.to_owned(), headers, body };
    seen.lock().unwrap().push(request.clone());
    let now_busy = busy.fetch_add(1, Ordering::SeqCst) + 1;
    max_busy.fetch_max(now_busy, Ordering::SeqCst);
    let answer = handler(&request);
    tokio::time::sleep(answer.delay).await;
    busy.fetch_sub(1, Ordering::SeqCst);
    if answer.status == 0 {
        return Ok(());
    }
    let mut response =
        format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n", answer.status, answer.body.len());
    for (name, value) in &answer.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&answer.body);
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

/// What `answer::Saved` and `answer::List` send, unboxed.
impl Client {
    async fn send_saved<T: serde::de::DeserializeOwned>(&self, req: Request) -> Result<Response<Vec<T>>> {
        self.execute(req, client::JSON, client::read_saved::<T>).await.map(|response| response.map(|value| *value))
    }

    async fn send_list<L: ListPage>(&self, req: Request) -> Result<Response<L>> {
        self.execute(req, client::JSON, paging::read_list::<L>).await.map(|response| response.map(|value| *value))
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .max_elapsed(Duration::from_secs(5))
}

#[derive(Deserialize, serde::Serialize, Debug, Default, PartialEq)]
#[serde(default)]
struct Agent {
    id: i32,
    name: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct AgentList {
    record_count: Option<u64>,
    agents: Vec<Agent>,
}

impl ListPage for AgentList {
    type Item = Agent;
    fn from_items(items: Vec<Agent>) -> Self {
        AgentList { record_count: None, agents: items }
    }
    fn record_count(&self) -> Option<u64> {
        self.record_count
    }
    fn items(&self) -> &[Agent] {
        &self.agents
    }
    fn items_mut(&mut self) -> &mut Vec<Agent> {
        &mut self.agents
    }
    fn into_items(self) -> Vec<Agent> {
        self.agents
    }
    const KEY: &'static [&'static str] = &["id"];
    fn item_key(item: &Agent) -> Option<super::RecordKey> {
        super::RecordKey::of(&i64::from(item.id))
    }
}

fn agents(range: std::ops::Range<usize>) -> Vec<Value> {
    range.map(|id| json!({"id": id, "name": format!("Agent {id}")})).collect()
}

fn get(path: &str) -> Request {
    Request::new(Method::GET, path)
}

/// A list of `total` agents served `cap` per page at most, as a wrapper (with `record_count`) or a bare array.
async fn list_server(total: usize, cap: usize, wrapped: bool) -> Server {
    Server::halo(move |seen| {
        let size = seen.param("page_size").and_then(|v| v.parse::<usize>().ok()).unwrap_or(50).min(cap);
        let page = seen.page_no().max(1);
        let start = ((page - 1) * size).min(total);
        let items = agents(start + 1..(start + size).min(total) + 1);
        if wrapped {
            Answer::json(200, json!({"record_count": total, "agents": items, "page_no": page}))
        } else {
            Answer::json(200, Value::Array(items))
        }
    })
    .await
}

fn ids(agents: &[Agent]) -> Vec<i32> {
    agents.iter().map(|a| a.id).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens.

#[tokio::test]
async fn token_request_is_a_form_with_tenant_and_scopes() {
    let server = Server::halo(|_| Answer::json(200, json!({"id": 1}))).await;
    let client = server.client().tenant("acme corp").scopes(["read:tickets", "edit:tickets"]).build().unwrap();
    let agent: Agent = client.send_json(get("/Agent/1")).await.unwrap().into_inner();
    assert_eq!(agent.id, 1);
    let seen = server.seen();
    let token = &seen[0];
    assert_eq!(
        (token.method.as_str(), token.path.as_str(), token.query.as_str()),
        ("POST", "/auth/token", "tenant=acme%20corp")
    );
    assert_eq!(token.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        token.body,
        "grant_type=client_credentials&client_id=the-id&client_secret=s3cret-value&scope=read%3Atickets%20edit%3Atickets"
    );
    let api = &seen[1];
    assert_eq!((api.method.as_str(), api.path.as_str()), ("GET", "/api/Agent/1"));
    assert_eq!(api.header("authorization"), Some("Bearer tok-1"));
    assert_eq!(api.header("accept"), Some("application/json"));
}

#[tokio::test]
async fn default_scope_is_all_and_token_url_can_move() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/elsewhere/token" => Answer::json(200, json!({"access_token": "t"})),
        "/v2/Agent" => Answer::json(200, json!({"id": 2})),
        _ => Answer::text(404, "wrong path"),
    })
    .await;
    let client = server.client().token_url(format!("{}/elsewhere/token", server.url)).api_url("/v2").build().unwrap();
    let agent: Agent = client.send_json(get("Agent")).await.unwrap().into_inner();
    assert_eq!(agent.id, 2);
    assert!(server.seen()[0].body.ends_with("&scope=all"));
    assert_eq!(client.api_url(), format!("{}/v2", server.url));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_token_request_however_many_callers_wait() {
    let minted = AtomicUsize::new(0);
    let server = Server::start(move |seen| {
        if seen.is_token() {
            let n = minted.fetch_add(1, Ordering::SeqCst) + 1;
            Answer::json(200, json!({"access_token": format!("tok-{n}")})).delay(Duration::from_millis(100))
        } else {
            Answer::json(200, json!({"id": 1}))
        }
    })
    .await;
    let client = server.client().build().unwrap();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send_json::<Agent>(get("/Agent/1")).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(server.token_requests(), 1);
    assert!(server.api_requests().iter().all(|s| s.header("authorization") == Some("Bearer tok-1")));
}

#[tokio::test(start_paused = true)]
async fn a_failing_token_endpoint_is_retried_within_the_token_budget_not_the_calls() {
    // The call may retry for 6 minutes (the default policy); the token request it waits for, for 30 seconds: every
    // other call needing a token waits on that one request.
    let server = Server::start(|seen| {
        if seen.is_token() { Answer::text(503, "Service Unavailable") } else { Answer::json(200, json!({"id": 1})) }
    })
    .await;
    let client = server.client().retry_policy(RetryPolicy::default()).build().unwrap();
    let started = Instant::now();
    let error = client.send_json::<Agent>(get("/Agent/1")).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed <= retry::TOKEN_BUDGET, "{elapsed:?}");
    assert!(elapsed >= Duration::from_secs(10), "gave up early: {elapsed:?}");
    assert!(server.token_requests() > 2, "{}", server.token_requests());
    assert!(server.api_requests().is_empty());
    assert_eq!(error.status(), Some(503));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn token_is_reused_then_refreshed_before_it_expires() {
    let minted = AtomicUsize::new(0);
    let server = Server::start(move |seen| {
        if seen.is_token() {
            let n = minted.fetch_add(1, Ordering::SeqCst) + 1;
            // Two seconds: with the margin capped at half the lifetime, it is replaced after one second.
            Answer::json(200, json!({"access_token": format!("tok-{n}"), "expires_in": "2"}))
        } else {
            Answer::json(200, json!({"id": 1}))
        }
    })
    .await;
    let client = server.client().build().unwrap();
    client.send_empty(get("/Agent/1")).await.unwrap();
    client.send_empty(get("/Agent/1")).await.unwrap();
    assert_eq!(server.token_requests(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.send_empty(get("/Agent/1")).await.unwrap();
    assert_eq!(server.token_requests(), 2);
    let auth: Vec<_> = server.api_requests().iter().map(|s| s.header("authorization").unwrap().to_owned()).collect();
    assert_eq!(auth, ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
}

#[tokio::test]
async fn a_401_gets_one_fresh_token_and_one_retry() {
    let server = Server::halo(|seen| match seen.header("authorization") {
        Some("Bearer tok-1") => {
            Answer::json(401, json!({"Message": "Authorization has been denied for this request."}))
        }
        _ => Answer::json(200, json!([{"id": 5}])),
    })
    .await;
    let client = server.client().build().unwrap();
    let mut request = Request::new(Method::POST, "/Agent");
    request.json_body(&json!([{"id": 5}])).unwrap();
    let saved: Vec<Agent> = client.send_saved(request).await.unwrap().into_inner();
    assert_eq!(ids(&saved), [5]);
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.api_requests().len(), 2);
    assert_eq!(server.api_requests()[1].body, r#"[{"id":5}]"#);
}

#[tokio::test]
async fn a_persistent_401_is_an_auth_error_after_three_refreshes() {
    let server = Server::halo(|_| Answer::json(401, json!({"Message": "Authorization has been denied"}))).await;
    let client = server.client().build().unwrap();
    let error = client.send_json::<Agent>(get("/Agent/1")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.message(), "Authorization has been denied");
    // The first token, then one fresh token per 401 up to three: bounded, whatever the server does.
    assert_eq!((server.token_requests(), server.api_requests().len()), (4, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_401s_share_one_refresh() {
    let revoked = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = revoked.clone();
    let server = Server::halo(move |seen| match seen.header("authorization") {
        Some("Bearer tok-1") if flag.load(Ordering::SeqCst) => Answer::text(401, "").delay(Duration::from_millis(20)),
        _ => Answer::json(200, json!({"id": 1})),
    })
    .await;
    let client = server.client().build().unwrap();
    client.send_empty(get("/Ping")).await.unwrap();
    // Halo revokes tok-1 (as when an agent's tokens are revoked): every call holding it gets a 401.
    revoked.store(true, Ordering::SeqCst);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send_json::<Agent>(get("/Agent/1")).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(server.token_requests(), 2, "the calls share the token fetched after the first 401");
    // A call that started late may have found tok-2 already and never met a 401.
    assert!(server.api_requests().len() <= 1 + 8 + 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_client_is_a_clear_auth_error_shared_by_all_waiters() {
    let server = Server::start(|seen| {
        if seen.is_token() {
            Answer::json(401, json!({"error": "invalid_client", "error_description": "The client is unknown"}))
                .delay(Duration::from_millis(300))
        } else {
            Answer::json(200, json!({}))
        }
    })
    .await;
    let client = server.client().tenant("acme").build().unwrap();
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send_json::<Agent>(get("/Agent/1")).await })
        })
        .collect();
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Auth);
        assert_eq!(error.status(), Some(401));
        assert_eq!(
            error.to_string(),
            "POST /auth/token: authentication failed (401 Unauthorized): the token endpoint refused: invalid_client: \
             The client is unknown"
        );
        let debug = format!("{error:?}");
        assert!(!debug.contains("s3cret") && !debug.contains("tenant"), "{debug}");
    }
    assert_eq!(server.token_requests(), 1);
    assert!(server.api_requests().is_empty());
}

#[tokio::test]
async fn bearer_tokens_are_sent_as_is_and_never_refreshed() {
    let server = Server::start(|seen| match seen.header("authorization") {
        Some("Bearer static-token") if seen.path == "/api/Agent/1" => Answer::json(200, json!({"id": 1})),
        _ => Answer::text(401, "Unauthorized"),
    })
    .await;
    let client = Client::builder(&server.url).bearer_token("static-token").retry_policy(fast()).build().unwrap();
    client.send_json::<Agent>(get("/Agent/1")).await.unwrap();
    let error = client.send_json::<Agent>(get("/Agent/2")).await.unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::Auth, Some(401)));
    assert_eq!(server.seen().len(), 2);
    assert!(!format!("{client:?}").contains("static-token"));
}

// ---------------------------------------------------------------------------------------------------------------
// Retries.

#[tokio::test]
async fn a_429_is_retried_honouring_retry_after() {
    let calls = AtomicUsize::new(0);
    let server = Server::halo(move |_| match calls.fetch_add(1, Ordering::SeqCst) {
        0 => Answer::text(429, "Rate Limit Reached").header("Retry-After", "0"),
        1 => Answer::text(429, "Rate Limit Reached"),
        _ => Answer::json(200, json!({"id": 3})),
    })
    .await;
    let client = server.client().build().unwrap();
    let agent: Agent = client.send_json(get("/Agent/3")).await.unwrap().into_inner();
    assert_eq!(agent.id, 3);
    assert_eq!(server.api_requests().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_time_budget_gives_up_at_once() {
    let server = Server::halo(|_| {
        Answer::text(429, "Rate Limit Reached - 300 Requests per rolling 5 minute window").header("Retry-After", "30")
    })
    .await;
    let client = server.client().retry_policy(fast().max_elapsed(Duration::from_secs(1))).build().unwrap();
    let started = Instant::now();
    let error = client.send_json::<Agent>(get("/Agent")).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    assert!(error.is_retryable());
    assert_eq!(error.message(), "Rate Limit Reached - 300 Requests per rolling 5 minute window");
    assert_eq!(server.api_requests().len(), 1);
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let server = Server::halo(|_| Answer::text(503, "Service Unavailable")).await;
    let client = server.client().build().unwrap();
    let error = client.send_json::<Agent>(get("/Agent")).await.unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::Api, Some(503)));
    assert!(error.is_retryable());
    assert_eq!(server.api_requests().len(), 4);
    assert_eq!(error.to_string(), "GET /Agent: halo answered 503 Service Unavailable: Service Unavailable");
}

#[tokio::test]
async fn a_create_is_retried_on_429_and_503_only() {
    let calls = AtomicUsize::new(0);
    let server = Server::halo(move |_| match calls.fetch_add(1, Ordering::SeqCst) {
        0 => Answer::text(429, "slow down"),
        1 => Answer::text(503, "busy"),
        2 => Answer::json(201, json!({"id": 9})),
        _ => Answer::text(502, "bad gateway"),
    })
    .await;
    let client = server.client().build().unwrap();
    // 429 and 503: Halo did not act on it, so even a create is sent again.
    let saved: Vec<Agent> = client.send_saved(Request::new(Method::POST, "/Agent")).await.unwrap().into_inner();
    assert_eq!(ids(&saved), [9]);
    assert_eq!(server.api_requests().len(), 3);
    // 502: it may have been applied; a create is not repeated, and the error says the outcome is unknown.
    let error = client.send_saved::<Agent>(Request::new(Method::POST, "/Agent")).await.unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::OutcomeUnknown, Some(502)));
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("may or may not have applied it"), "{error}");
    assert_eq!(server.api_requests().len(), 4, "the 502 to a create is not retried");
    // A DELETE, and a POST the generator marks idempotent (an update by id), are retried on 502.
    let error = client.send_empty(Request::new(Method::DELETE, "/Agent/9")).await.unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::Api, Some(502)));
    assert!(error.is_retryable());
    assert_eq!(server.api_requests().len(), 8);
    let mut update = Request::new(Method::POST, "/Agent");
    update.set_idempotent(true);
    let error = client.send_saved::<Agent>(update).await.unwrap_err();
    assert!(error.is_retryable());
    assert_eq!(server.api_requests().len(), 12);
}

#[tokio::test]
async fn network_failures_are_retried_for_get_but_not_for_a_create() {
    let server = Server::halo(|_| Answer::hang_up()).await;
    let client = server.client().build().unwrap();
    let error = client.send_json::<Agent>(get("/Agent/1")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert_eq!(error.status(), None);
    assert!(error.is_retryable());
    assert_eq!(server.api_requests().len(), 4);
    let error = client.send_saved::<Agent>(Request::new(Method::POST, "/Agent")).await.unwrap_err();
    // The connection broke after the create was sent: it may have been applied.
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown);
    assert!(!error.is_retryable());
    assert_eq!(server.api_requests().len(), 5);
    assert!(!error.to_string().contains("127.0.0.1"), "no URL in network errors: {error}");
}

#[tokio::test]
async fn a_post_is_retried_when_the_connection_could_not_be_opened() {
    // Nothing listens on the port at first: the connection is refused, so the POST cannot have been applied.
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let client = Client::builder(format!("http://{addr}"))
        .bearer_token("t")
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(100)
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(20))
                .max_elapsed(Duration::from_secs(10)),
        )
        .build()
        .unwrap();
    let call = tokio::spawn(async move {
        let mut request = Request::new(Method::POST, "/Agent");
        request.json_body(&json!([{"name": "new"}])).unwrap();
        client.send_saved::<Agent>(request).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let server = Server::start_on(TcpListener::bind(addr).await.unwrap(), |_| Answer::json(201, json!({"id": 7})));
    assert_eq!(ids(&call.await.unwrap().unwrap().into_inner()), [7]);
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "applied once");
    assert_eq!(seen[0].body, r#"[{"name":"new"}]"#);
}

#[tokio::test]
async fn timeouts_are_network_errors() {
    let server = Server::halo(|_| Answer::json(200, json!({})).delay(Duration::from_millis(300))).await;
    let client = server.client().timeout(Duration::from_millis(50)).retry_policy(RetryPolicy::none()).build().unwrap();
    let error = client.send_json::<Agent>(get("/Agent/1")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert_eq!(error.message(), "timed out");
}

#[tokio::test(start_paused = true)]
async fn the_client_side_limiter_paces_requests() {
    let server = Server::halo(|_| Answer::json(200, json!({}))).await;
    let client = Client::builder(&server.url)
        .bearer_token("t")
        .rate_limit(RateLimit::per_window(2, Duration::from_millis(150)))
        .build()
        .unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        client.send_empty(get("/Ping")).await.unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(150));
}

// ---------------------------------------------------------------------------------------------------------------
// Answers.

#[tokio::test]
async fn error_statuses_carry_halos_message() {
    let server = Server::halo(|seen| match seen.path.as_str() {
        "/api/Agent/404" => Answer::json(404, json!({"ClassName": "HaloException", "Message": "Agent not found"})),
        "/api/Agent/400" => Answer::json(400, json!({"message": "Invalid", "errors": {"name": ["is required"]}})),
        "/api/Agent/500" => Answer::json(500, json!({"resultCode": 3, "errorMessage": "Wrong tenant"})),
        _ => Answer::text(403, "Forbidden: permission denied"),
    })
    .await;
    let client = server.client().build().unwrap();
    let message = |path: &'static str| {
        let client = client.clone();
        async move { client.send_json::<Agent>(get(path)).await.unwrap_err() }
    };
    let error = message("/Agent/404").await;
    assert_eq!((error.status(), error.message()), (Some(404), "Agent not found"));
    assert_eq!((error.method(), error.path()), (Some(&Method::GET), Some("/Agent/404")));
    assert_eq!(message("/Agent/400").await.message(), "Invalid: name: is required");
    assert_eq!(message("/Agent/500").await.message(), "Wrong tenant");
    let error = message("/Agent/403").await;
    assert_eq!((error.kind(), error.message()), (ErrorKind::Api, "Forbidden: permission denied"));
}

#[tokio::test]
async fn an_error_body_under_200_is_an_error() {
    let server = Server::halo(|_| {
        Answer::json(200, json!({"ClassName": "HaloException", "Message": "No licence seats available"}))
    })
    .await;
    let client = server.client().build().unwrap();
    let mut request = Request::new(Method::POST, "/Agent");
    request.json_body(&json!([{"name": "new"}])).unwrap();
    let error = client.send_saved::<Agent>(request.clone()).await.unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::Api, Some(200)));
    assert_eq!(error.to_string(), "POST /Agent: halo answered 200 OK with an error: No licence seats available");
    assert_eq!(client.send_empty(request.clone()).await.unwrap_err().message(), "No licence seats available");
    assert_eq!(client.send_json::<Value>(request.clone()).await.unwrap_err().status(), Some(200));
    assert_eq!(client.send_list::<AgentList>(request).await.unwrap_err().status(), Some(200));
}

#[tokio::test]
async fn saved_records_come_as_one_object_or_an_array() {
    let server = Server::halo(|seen| match seen.path.as_str() {
        "/api/One" => Answer::json(201, json!({"id": 1, "name": "a"})),
        "/api/Many" => Answer::json(200, json!([{"id": 1}, {"id": 2}])),
        _ => Answer::raw(200, "application/json", String::new()),
    })
    .await;
    let client = server.client().build().unwrap();
    let saved: Vec<Agent> = client.send_saved(Request::new(Method::POST, "/One")).await.unwrap().into_inner();
    assert_eq!(saved, [Agent { id: 1, name: Some("a".into()) }]);
    let saved: Vec<Agent> = client.send_saved(Request::new(Method::POST, "/Many")).await.unwrap().into_inner();
    assert_eq!(ids(&saved), [1, 2]);
    let saved: Vec<Agent> = client.send_saved(Request::new(Method::POST, "/Nothing")).await.unwrap().into_inner();
    assert!(saved.is_empty());
}

#[tokio::test]
async fn send_empty_ignores_bodies_unless_they_are_errors() {
    let server = Server::halo(|seen| match seen.path.as_str() {
        "/api/Record" => Answer::json(200, json!({"id": 1, "Message": "x"})),
        "/api/Text" => Answer::text(200, "OK"),
        "/api/Empty" => Answer::text(204, ""),
        _ => Answer::json(200, json!({"Message": "The cache could not be cleared"})),
    })
    .await;
    let client = server.client().build().unwrap();
    for path in ["/Record", "/Text", "/Empty"] {
        client.send_empty(Request::new(Method::POST, path)).await.unwrap();
    }
    let error = client.send_empty(Request::new(Method::POST, "/Agent/ClearCache")).await.unwrap_err();
    assert_eq!(error.message(), "The cache could not be cleared");
}

#[tokio::test]
async fn bad_json_is_a_decode_error_with_an_excerpt() {
    let server = Server::halo(|seen| match seen.path.as_str() {
        "/api/Truncated" => Answer::raw(200, "application/json", r#"{"id": 1, "name": "Ali"#.into()),
        "/api/Empty" => Answer::raw(200, "application/json", String::new()),
        _ => Answer::raw(200, "application/json", r#"{"record_count": 1, "agents": [{"id": 1.5}]}"#.into()),
    })
    .await;
    let client = server.client().build().unwrap();
    let error = client.send_json::<Agent>(get("/Truncated")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.path(), Some("/Truncated"));
    assert_eq!(error.body_excerpt(), Some(r#"{"id": 1, "name": "Ali"#));
    let error = client.send_json::<Agent>(get("/Empty")).await.unwrap_err();
    assert_eq!(error.to_string(), "GET /Empty: cannot decode the response: the response body is empty; expected JSON");
    let error = client.send_list::<AgentList>(get("/Wrong")).await.unwrap_err();
    assert!(error.message().starts_with("at `agents[0].id`"), "{}", error.message());
}

#[tokio::test]
async fn bytes_are_returned_as_sent_whatever_they_hold() {
    let server = Server::halo(|seen| match seen.path.as_str() {
        "/api/Image" => Answer::raw(200, "image/png", "\u{1}PNG".into()),
        "/api/Missing" => Answer::json(404, json!({"Message": "no such file"})),
        // A JSON file that reads like one of Halo's error bodies is still a file.
        _ => Answer::json(200, json!({"Message": "no such file"})),
    })
    .await;
    let client = server.client().build().unwrap();
    assert_eq!(client.send_bytes(get("/Image")).await.unwrap().into_inner(), b"\x01PNG");
    assert_eq!(server.api_requests()[0].header("accept"), Some("*/*"));
    assert_eq!(client.send_bytes(get("/Other")).await.unwrap().into_inner(), br#"{"Message":"no such file"}"#);
    assert_eq!(client.send_bytes(get("/Missing")).await.unwrap_err().message(), "no such file");
}

#[derive(Default)]
struct SeenUrls(Mutex<Vec<(CallKind, String)>>);

impl Hook for SeenUrls {
    fn on_request(&self, request: &mut HookRequest<'_>) {
        self.0.lock().unwrap().push((request.kind(), request.url().to_owned()));
    }
}

#[tokio::test]
async fn a_download_answered_with_a_link_fetches_the_link_without_the_token() {
    let server = Server::halo(|seen| match seen.path.as_str() {
        "/api/Attachment/1" => {
            let port = seen.header("host").and_then(|h| h.rsplit(':').next()).unwrap_or("0").to_owned();
            Answer::json(200, json!({"link": format!("http://localhost:{port}/blob/1?sig=s1gn4ture-value")}))
        }
        "/blob/1" if seen.header("authorization").is_none() => Answer::raw(200, "application/pdf", "%PDF".into()),
        "/blob/1" => Answer::text(400, "only one auth mechanism allowed"),
        // A JSON file holding a link, served as a file: returned as it is.
        _ => Answer::json(200, json!({"link": "https://example.com/x"})).header("Content-Disposition", "attachment"),
    })
    .await;
    let hook = Arc::new(SeenUrls::default());
    let client = server.client().hook(hook.clone()).build().unwrap();
    let response = client.send_bytes(get("/Attachment/1")).await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/pdf", "the link's answer");
    assert_eq!(response.into_inner(), b"%PDF");
    let blob = server.seen().into_iter().find(|s| s.path == "/blob/1").expect("the link was fetched");
    assert_eq!(blob.header("authorization"), None);
    assert_eq!(blob.query, "sig=s1gn4ture-value");
    let urls = hook.0.lock().unwrap().clone();
    let link = urls.iter().find(|(kind, _)| *kind == CallKind::Link).expect("hooks see the link");
    assert!(link.1.ends_with("/blob/1") && !link.1.contains("s1gn4ture"), "{urls:?}");
    assert_eq!(
        client.send_bytes(get("/Attachment/2")).await.unwrap().into_inner(),
        br#"{"link":"https://example.com/x"}"#
    );
}

#[tokio::test]
async fn a_link_over_plain_http_elsewhere_is_refused_and_its_signature_never_shown() {
    let server = Server::halo(|seen| match seen.path.as_str() {
        "/api/Attachment/1" => Answer::json(200, json!({"link": "http://files.example.com/1?sig=s1gn4ture-value"})),
        "/api/Attachment/2" => {
            let port = seen.header("host").and_then(|h| h.rsplit(':').next()).unwrap_or("0").to_owned();
            Answer::json(200, json!({"link": format!("http://127.0.0.1:{port}/blob/2?sig=s1gn4ture-value")}))
        }
        _ => Answer::text(403, "SignatureDoesNotMatch: s1gn4ture-value"),
    })
    .await;
    let client = server.client().build().unwrap();
    let error = client.send_bytes(get("/Attachment/1")).await.unwrap_err();
    assert!(error.message().contains("plain http (files.example.com)"), "{error}");
    assert!(!server.seen().iter().any(|s| s.path.starts_with("/blob")));
    let error = client.send_bytes(get("/Attachment/2")).await.unwrap_err();
    assert_eq!(error.status(), Some(403));
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("s1gn4ture"), "{shown}");
    assert!(shown.contains("/blob/2"), "{shown}");
}

#[tokio::test]
async fn bad_paths_are_refused_before_sending() {
    let server = Server::halo(|_| Answer::json(200, json!({}))).await;
    let client = server.client().build().unwrap();
    let path = format!("/Agent/{}", encode::path_segment(&""));
    let error = client.send_empty(Request::new(Method::DELETE, path)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(server.seen().is_empty());
}

// ---------------------------------------------------------------------------------------------------------------
// Paging.

#[tokio::test]
async fn wrapped_pages_stop_at_record_count() {
    let server = list_server(250, 100, true).await;
    let client = server.client().build().unwrap();
    let mut request = get("/Agent");
    request.query("page_size", Some(&500));
    let all = Pages::<AgentList>::new(client.clone(), request).all().await.unwrap();
    assert_eq!(ids(&all), (1..=250).collect::<Vec<_>>());
    let seen = server.api_requests();
    assert_eq!(seen.iter().map(Seen::page_no).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(seen[0].param("page_size"), Some("100"), "capped at Halo's 100");
    assert_eq!(seen[0].param("pageinate"), Some("true"));
}

#[tokio::test]
async fn bare_array_pages_stop_on_a_short_page() {
    let server = list_server(250, 100, false).await;
    let client = server.client().build().unwrap();
    let all = Pages::<AgentList>::new(client.clone(), get("/Agent")).all().await.unwrap();
    assert_eq!(all.len(), 250);
    assert_eq!(server.api_requests().len(), 3);
}

#[tokio::test]
async fn a_silent_cap_below_the_requested_size_loses_nothing() {
    // Asked for 100, the server sends 40 a page: page 1 says how large pages really are.
    for wrapped in [true, false] {
        let server = list_server(100, 40, wrapped).await;
        let client = server.client().build().unwrap();
        let all = Pages::<AgentList>::new(client.clone(), get("/Agent")).all().await.unwrap();
        assert_eq!(ids(&all), (1..=100).collect::<Vec<_>>(), "wrapped: {wrapped}");
        assert_eq!(server.api_requests().len(), 3, "wrapped: {wrapped}");
    }
    // An exact multiple without a count: the empty page ends it.
    let server = list_server(80, 40, false).await;
    let client = server.client().build().unwrap();
    let all = Pages::<AgentList>::new(client.clone(), get("/Agent")).all().await.unwrap();
    assert_eq!(all.len(), 80);
    assert_eq!(server.api_requests().len(), 3);
}

#[tokio::test]
async fn a_server_that_ignores_paging_is_read_once_and_checked_once() {
    // The same bare array for every page_no.
    let server = Server::halo(|_| Answer::json(200, Value::Array(agents(1..11)))).await;
    let client = server.client().build().unwrap();
    let all = Pages::<AgentList>::new(client.clone(), get("/Agent")).all().await.unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!(server.api_requests().len(), 2);
    // Everything at once, more than the page size asked for: the second page brings nothing new and ends it.
    let server = Server::halo(|_| Answer::json(200, Value::Array(agents(1..151)))).await;
    let client = server.client().build().unwrap();
    let all = Pages::<AgentList>::new(client.clone(), get("/Agent")).all().await.unwrap();
    assert_eq!(all.len(), 150);
    assert_eq!(server.api_requests().len(), 2);
    // With a record count that the first page meets: one request.
    let server = Server::halo(|_| Answer::json(200, json!({"record_count": 150, "agents": agents(1..151)}))).await;
    let client = server.client().build().unwrap();
    let all = Pages::<AgentList>::new(client.clone(), get("/Agent")).all().await.unwrap();
    assert_eq!(all.len(), 150);
    assert_eq!(server.api_requests().len(), 1);
}

#[tokio::test]
async fn a_server_that_ignores_page_no_gives_no_duplicates_even_with_a_record_count() {
    // Always the first 100 of 250: the second page repeats the first, which ends paging.
    let server = Server::halo(|_| Answer::json(200, json!({"record_count": 250, "agents": agents(1..101)}))).await;
    let client = server.client().build().unwrap();
    let error = Pages::<AgentList>::new(client.clone(), get("/Agent")).all().await.unwrap_err();
    // Records are missing, and the caller is told so, with the records read.
    assert_eq!(error.error().kind(), ErrorKind::Incomplete);
    assert!(error.error().message().contains("record_count was 250"), "{error}");
    assert_eq!(ids(error.items()), (1..=100).collect::<Vec<_>>());
    assert_eq!(server.api_requests().len(), 2);
}

#[tokio::test]
async fn pages_are_a_stream_of_pages() {
    let server = list_server(250, 100, true).await;
    let client = server.client().build().unwrap();
    let mut pages = Pages::<AgentList>::new(client.clone(), get("/Agent")).concurrency(2);
    let mut lengths = Vec::new();
    while let Some(page) =
        std::future::poll_fn(|cx| futures_core::Stream::poll_next(std::pin::Pin::new(&mut pages), cx)).await
    {
        lengths.push(page.unwrap().agents.len());
    }
    assert_eq!(lengths, [100, 100, 50]);
    assert_eq!(pages.record_count(), Some(250));
    assert!(pages.next_page().await.is_none());
}

#[tokio::test]
async fn an_empty_first_page_is_yielded_and_ends_paging() {
    let server = list_server(0, 100, true).await;
    let client = server.client().build().unwrap();
    let mut pages = Pages::<AgentList>::new(client.clone(), get("/Agent"));
    let first = pages.next_page().await.unwrap().unwrap();
    assert_eq!((first.agents.len(), first.record_count), (0, Some(0)));
    assert!(pages.next_page().await.is_none());
    assert!(pages.next_page().await.is_none());
    assert_eq!(server.api_requests().len(), 1);
}

#[tokio::test]
async fn a_caller_set_page_no_is_the_start_page() {
    let server = list_server(250, 100, true).await;
    let client = server.client().build().unwrap();
    let mut request = get("/Agent");
    request.query("page_no", Some(&2));
    let all = Pages::<AgentList>::new(client.clone(), request).all().await.unwrap();
    assert_eq!(ids(&all), (101..=250).collect::<Vec<_>>());
    assert_eq!(server.api_requests().iter().map(Seen::page_no).collect::<Vec<_>>(), [2, 3]);
}

#[tokio::test]
async fn a_listing_resumed_on_its_short_last_page_is_complete() {
    // 130 records: page 2 is the last, with 30. Its length says nothing of the page before it.
    for concurrency in [1, 4] {
        let server = list_server(130, 100, true).await;
        let client = server.client().build().unwrap();
        let mut request = get("/Agent");
        request.query("page_no", Some(&2));
        let all = Pages::<AgentList>::new(client.clone(), request).concurrency(concurrency).all().await.unwrap();
        assert_eq!(ids(&all), (101..=130).collect::<Vec<_>>());
        assert_eq!(server.api_requests().iter().map(Seen::page_no).collect::<Vec<_>>(), [2, 3]);
    }
    // The server's record count claims 20 more than pages 1 (full) and 2 can hold: flagged.
    let server = Server::halo(|seen| match seen.page_no() {
        2 => Answer::json(200, json!({"record_count": 150, "agents": agents(101..131)})),
        _ => Answer::json(200, json!({"record_count": 150, "agents": []})),
    })
    .await;
    let client = server.client().build().unwrap();
    let mut request = get("/Agent");
    request.query("page_no", Some(&2));
    let error = Pages::<AgentList>::new(client.clone(), request).all().await.unwrap_err();
    assert_eq!(error.error().kind(), ErrorKind::Incomplete);
    assert!(error.error().message().contains("pages from page 2 on held 30"), "{}", error.error());
}

/// Agents as a list without ids: `item_key` is always `None`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct AnonymousList {
    record_count: Option<u64>,
    agents: Vec<Agent>,
}

impl ListPage for AnonymousList {
    type Item = Agent;
    fn from_items(items: Vec<Agent>) -> Self {
        AnonymousList { record_count: None, agents: items }
    }
    fn record_count(&self) -> Option<u64> {
        self.record_count
    }
    fn items(&self) -> &[Agent] {
        &self.agents
    }
    fn items_mut(&mut self) -> &mut Vec<Agent> {
        &mut self.agents
    }
    fn into_items(self) -> Vec<Agent> {
        self.agents
    }
    const KEY: &'static [&'static str] = &[];
    fn item_key(_: &Agent) -> Option<super::RecordKey> {
        None
    }
}

#[tokio::test]
async fn a_page_identical_to_the_one_before_ends_a_listing_of_records_without_ids() {
    let server = Server::halo(|_| Answer::json(200, json!({"record_count": 1000, "agents": agents(1..101)}))).await;
    let client = server.client().build().unwrap();
    let error = Pages::<AnonymousList>::new(client.clone(), get("/Agent")).all().await.unwrap_err();
    assert_eq!(error.error().kind(), ErrorKind::Incomplete);
    assert_eq!(error.items().len(), 100);
    assert_eq!(server.api_requests().len(), 2);
    // Honest pages of records without ids are all read.
    let server = list_server(250, 100, true).await;
    let client = server.client().build().unwrap();
    let all = Pages::<AnonymousList>::new(client.clone(), get("/Agent")).all().await.unwrap();
    assert_eq!(all.len(), 250);
    assert_eq!(server.api_requests().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pages_arrive_in_order() {
    let total = 1000;
    let server = Server::halo(move |seen| {
        let page = seen.page_no();
        // Later pages answer faster, so out-of-order completion is likely.
        let delay = Duration::from_millis(60u64.saturating_sub(page as u64 * 5));
        let start = (page - 1) * 100;
        Answer::json(200, json!({"record_count": total, "agents": agents(start + 1..(start + 100).min(total) + 1)}))
            .delay(delay)
    })
    .await;
    let client = server.client().build().unwrap();
    let all = Pages::<AgentList>::new(client.clone(), get("/Agent")).concurrency(4).all().await.unwrap();
    assert_eq!(ids(&all), (1..=1000).collect::<Vec<_>>());
    let mut pages: Vec<usize> = server.api_requests().iter().map(Seen::page_no).collect();
    pages.sort();
    // A record count that the full pages meet exactly is confirmed by one more page (it could lie low).
    assert_eq!(pages, (1..=11).collect::<Vec<_>>(), "one page past the record count, no more");
    let max_busy = server.max_busy.load(Ordering::SeqCst);
    assert!((2..=4).contains(&max_busy), "{max_busy} requests at once");
}

#[tokio::test]
async fn the_item_stream_yields_records_then_the_error_then_ends() {
    let server = Server::halo(|seen| match seen.page_no() {
        1 => Answer::json(200, json!({"record_count": 300, "agents": agents(1..101)})),
        _ => Answer::json(500, json!({"Message": "boom"})),
    })
    .await;
    let client = server.client().build().unwrap();
    let mut stream = Pages::<AgentList>::new(client.clone(), get("/Agent")).items();
    let mut ok = 0;
    let error = loop {
        match next_item(&mut stream).await {
            Some(Ok(_)) => ok += 1,
            Some(Err(error)) => break error,
            None => panic!("the stream ended without the error"),
        }
    };
    assert_eq!(ok, 100);
    assert_eq!(error.message(), "boom");
    assert!(next_item(&mut stream).await.is_none());
}

async fn next_item<T>(stream: &mut ItemStream<T>) -> Option<Result<T>> {
    stream.next().await
}

// ---------------------------------------------------------------------------------------------------------------
// Set-up.

#[test]
fn plain_http_only_to_loopback_unless_allowed() {
    let build = |url: &str| Client::builder(url).client_credentials("id", "secret").build();
    for url in [
        "http://127.0.0.1:8080",
        "http://127.1.2.3",
        "http://localhost:1234/",
        "http://[::1]:80",
        "https://acme.halopsa.com",
    ] {
        assert!(build(url).is_ok(), "{url}");
    }
    for url in ["http://acme.halopsa.com", "http://10.0.0.1", "http://[::2]"] {
        let error = build(url).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.message().contains("refusing plain http"), "{error}");
    }
    let client =
        Client::builder("http://halo.internal").client_credentials("id", "secret").allow_insecure_http(true).build();
    assert!(client.is_ok());
    // The token URL is checked too.
    let error = Client::builder("https://acme.halopsa.com")
        .token_url("http://auth.example.com/token")
        .client_credentials("id", "secret")
        .build()
        .unwrap_err();
    assert!(error.message().contains("token url"), "{error}");
}

#[test]
fn urls_and_options_are_checked() {
    let ok = Client::builder("https://acme.halopsa.com/").client_credentials("id", "secret").build().unwrap();
    assert_eq!(ok.api_url(), "https://acme.halopsa.com/api");
    let moved = Client::builder("https://acme.halopsa.com")
        .api_url("https://api.example.com/halo/api/")
        .client_credentials("id", "secret")
        .build()
        .unwrap();
    assert_eq!(moved.api_url(), "https://api.example.com/halo/api");
    let config_error = |builder: ClientBuilder| {
        let error = builder.build().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{error}");
        error.message().to_owned()
    };
    let base = || Client::builder("https://acme.halopsa.com");
    assert!(config_error(Client::builder("acme.halopsa.com").bearer_token("t")).contains("not a valid absolute URL"));
    assert!(config_error(Client::builder("ftp://acme").bearer_token("t")).contains("https://"));
    assert!(config_error(Client::builder("https://user:pw@acme.halopsa.com").bearer_token("t")).contains("user name"));
    assert!(config_error(Client::builder("https://acme.halopsa.com?tenant=x").bearer_token("t")).contains("tenant("));
    assert!(config_error(base()).contains("no credentials"));
    assert!(config_error(base().client_credentials("", "secret")).contains("must not be empty"));
    assert!(config_error(base().bearer_token("t").scopes(["all"])).contains("not to `bearer_token`"));
    assert!(config_error(base().client_credentials("id", "s").scopes(Vec::<String>::new())).contains("empty"));
    assert!(
        config_error(base().bearer_token("t").rate_limit(RateLimit::per_window(0, Duration::from_secs(1))))
            .contains("rate limit")
    );
    assert!(config_error(base().bearer_token("t").timeout(Duration::ZERO)).contains("more than zero"));
    assert!(config_error(base().bearer_token("t").connect_timeout(Duration::ZERO)).contains("more than zero"));
    // reqwest has no crypto provider of its own with the default `rustls-ring` feature: configure it as build() does.
    let custom = super::tls::configure(reqwest::Client::builder()).unwrap().build().unwrap();
    assert!(
        config_error(base().bearer_token("t").http_client(custom.clone()).connect_timeout(Duration::from_secs(1)))
            .contains("connect_timeout")
    );
    assert!(base().bearer_token("t").http_client(custom).build().is_ok());
}

#[test]
fn secrets_never_show_in_debug() {
    let builder =
        Client::builder("https://acme.halopsa.com").client_credentials("the-id", "s3cret-value").tenant("acme");
    let debug = format!("{builder:?}");
    assert!(debug.contains("the-id") && !debug.contains("s3cret-value"), "{debug}");
    let client = builder.build().unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("s3cret-value"), "{debug}");
    let builder = Client::builder("https://acme.halopsa.com").bearer_token("b3arer-token");
    assert!(!format!("{builder:?}").contains("b3arer-token"));
    assert!(!format!("{:?}", builder.build().unwrap()).contains("b3arer-token"));
}

#[test]
fn client_is_clone_send_sync() {
    fn check<T: Clone + Send + Sync + 'static>() {}
    check::<Client>();
    check::<Error>();
    fn send<T: Send>(_: &T) {}
    let client = Client::builder("https://acme.halopsa.com").bearer_token("t").build().unwrap();
    send(&client.send_json::<Value>(get("/Agent")));
    send(&Pages::<AgentList>::new(client.clone(), get("/Agent")).all());
    send(&Pages::<AgentList>::new(client.clone(), get("/Agent")).items());
}

// ---------------------------------------------------------------------------------------------------------------
// What is retried: the client's own decision and `Error::is_retryable` agree, for every operation kind and failure.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Read,
    Create,
    Update,
    Delete,
}

#[derive(Clone, Copy, Debug)]
enum Failure {
    Status(u16),
    HangUp,
    Truncated,
    Html,
    WrongShape,
}

impl Failure {
    fn answer(self) -> Answer {
        match self {
            Failure::Status(status) => Answer::text(status, "failure"),
            Failure::HangUp => Answer::hang_up(),
            Failure::Truncated => Answer::raw(200, "application/json", r#"[{"id": 1, "na"#.to_owned()),
            Failure::Html => Answer::raw(200, "text/html", "<html><body>proxy error</body></html>".to_owned()),
            Failure::WrongShape => Answer::json(200, json!([{"id": "not a number"}])),
        }
    }
}

impl Op {
    fn success(self) -> Answer {
        match self {
            Op::Read => Answer::json(200, json!({"id": 1, "name": "a"})),
            Op::Create | Op::Update => Answer::json(200, json!([{"id": 1, "name": "a"}])),
            Op::Delete => Answer::raw(200, "application/json", String::new()),
        }
    }

    /// Sends the operation the way generated code does; `Ok(())` when it succeeded.
    async fn send(self, client: &Client) -> Result<()> {
        match self {
            Op::Read => client.send_json::<Agent>(get("/Agent/1")).await.map(drop),
            Op::Create => client.send_saved::<Agent>(Request::new(Method::POST, "/Agent")).await.map(drop),
            Op::Update => {
                // The generator marks the update half of Halo's create-or-update POST idempotent.
                let mut request = Request::new(Method::POST, "/Agent");
                request.set_idempotent(true);
                client.send_saved::<Agent>(request).await.map(drop)
            }
            Op::Delete => client.send_empty(Request::new(Method::DELETE, "/Agent/1")).await.map(drop),
        }
    }
}

/// The table of the `RetryPolicy` docs: `Some(true)` retried, `Some(false)` an error without a retry, `None` not
/// a failure for this operation (a delete does not read the body).
fn documented(op: Op, failure: Failure) -> Option<bool> {
    let idempotent = op != Op::Create;
    match failure {
        Failure::Status(429 | 503) => Some(true),
        Failure::Status(500 | 502 | 504) | Failure::HangUp => Some(idempotent),
        Failure::Status(_) => Some(false),
        Failure::Truncated | Failure::Html if op == Op::Delete => None,
        Failure::Truncated | Failure::Html => Some(idempotent),
        Failure::WrongShape if op == Op::Delete => None,
        Failure::WrongShape => Some(false),
    }
}

#[tokio::test]
async fn is_retryable_agrees_with_the_retry_loop_for_every_operation_and_failure() {
    let failures = [
        Failure::Status(429),
        Failure::Status(503),
        Failure::Status(502),
        Failure::Status(504),
        Failure::Status(500),
        Failure::Status(400),
        Failure::Status(404),
        Failure::HangUp,
        Failure::Truncated,
        Failure::Html,
        Failure::WrongShape,
    ];
    let mut rows = Vec::new();
    for op in [Op::Read, Op::Create, Op::Update, Op::Delete] {
        for failure in failures {
            // Fails once, then succeeds: did the client retry?
            let calls = AtomicUsize::new(0);
            let server = Server::halo(move |_| match calls.fetch_add(1, Ordering::SeqCst) {
                0 => failure.answer(),
                _ => op.success(),
            })
            .await;
            let outcome = op.send(&server.client().build().unwrap()).await;
            let attempts = server.api_requests().len();
            let retried = match (&outcome, attempts) {
                (Ok(()), 2) => Some(true),
                (Err(_), 1) => Some(false),
                (Ok(()), 1) => None,
                other => panic!("{op:?} {failure:?}: unexpected {other:?}"),
            };
            assert_eq!(retried, documented(op, failure), "{op:?} {failure:?}: {outcome:?}");

            // Always fails, no retries: what does the error say?
            let server = Server::halo(move |_| failure.answer()).await;
            let client = server.client().retry_policy(RetryPolicy::none()).build().unwrap();
            match op.send(&client).await {
                Err(error) => {
                    assert_eq!(Some(error.is_retryable()), retried, "{op:?} {failure:?}: {error}");
                    if retried == Some(false)
                        && matches!(
                            failure,
                            Failure::Status(500 | 502 | 504) | Failure::HangUp | Failure::Truncated | Failure::Html
                        )
                    {
                        assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{op:?} {failure:?}: {error}");
                    }
                    rows.push((op, failure, error.is_retryable()));
                }
                Ok(()) => assert_eq!(retried, None, "{op:?} {failure:?}"),
            }
        }
    }
    assert_eq!(rows.len(), 4 * failures.len() - 3, "every pair but the three a delete does not read");
}

#[tokio::test]
async fn a_500_that_persists_is_tried_three_times_and_a_create_not_repeated() {
    let server = Server::halo(|_| Answer::json(500, json!({"Message": "An error has occurred."}))).await;
    let client =
        server.client().retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1))).build().unwrap();
    let error = client.send_json::<Agent>(get("/Agent/1")).await.unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::Api, Some(500)));
    assert!(error.is_retryable(), "a read may be tried again later: {error}");
    assert_eq!(server.api_requests().len(), 3, "the first attempt and two retries");
    let error = client.send_saved::<Agent>(Request::new(Method::POST, "/Agent")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "Halo may have saved it: {error}");
    assert!(!error.is_retryable());
    assert_eq!(server.api_requests().len(), 4, "the create once");
}

#[test]
fn a_builder_from_the_environment() {
    fn vars<'a>(pairs: &'a [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }
    let full = [
        ("HALO_URL", " https://acme.halopsa.com "),
        ("HALO_CLIENT_ID", "the-id"),
        ("HALO_CLIENT_SECRET", "env-s3cret"),
        ("HALO_TENANT", "acme"),
        ("HALO_SCOPES", "read:agents, edit:agents read:teams"),
    ];
    let builder = ClientBuilder::from_lookup(vars(&full)).unwrap();
    assert_eq!(builder.tenant.as_deref(), Some("acme"));
    assert_eq!(
        builder.scopes.as_deref(),
        Some(&["read:agents".to_owned(), "edit:agents".to_owned(), "read:teams".to_owned()][..])
    );
    let debug = format!("{builder:?}");
    assert!(!debug.contains("env-s3cret"), "{debug}");
    let client = builder.build().unwrap();
    assert_eq!(client.api_url(), "https://acme.halopsa.com/api");
    // Optional variables may be missing or empty.
    let minimal = [
        ("HALO_URL", "http://127.0.0.1:9"),
        ("HALO_CLIENT_ID", "id"),
        ("HALO_CLIENT_SECRET", "s"),
        ("HALO_TENANT", " "),
    ];
    let builder = ClientBuilder::from_lookup(vars(&minimal)).unwrap();
    assert_eq!((builder.tenant.as_deref(), builder.scopes.as_deref()), (None, None));
    // A missing or empty required variable is named.
    for missing in ["HALO_URL", "HALO_CLIENT_ID", "HALO_CLIENT_SECRET"] {
        let lookup = move |name: &str| {
            (name != missing).then(|| full.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())).flatten()
        };
        let error = ClientBuilder::from_lookup(lookup).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.message().contains(&format!("{missing} is not set")), "{error}");
    }
}

/// A key field with no value (0 or less, empty, missing) leaves the record unkeyed; a key describes itself with the
/// spec's names.
#[test]
fn record_keys_have_values_and_describe_themselves() {
    assert_eq!(RecordKey::of(&0i64), None, "Halo's id 0 is no id");
    assert_eq!(RecordKey::of(&-1i32), None);
    assert_eq!(RecordKey::of(&Some(" ".to_owned())), None);
    assert_eq!(RecordKey::of((&Some(12i32), &None::<i32>)), None, "every field needs a value");
    assert_eq!(RecordKey::of(&7i32), Some(RecordKey::Int(7)));
    let action = RecordKey::of((&Some(12i32), &3i64)).expect("a key");
    assert_eq!(super::paging::describe_key(&["ticket_id", "id"], &action), "ticket_id 12, id 3");
    let day: DateTime = "2026-03-02T00:00:00".parse().expect("a date");
    let timesheet = RecordKey::of((&Some(7i32), &Some(day))).expect("a key");
    assert_eq!(
        super::paging::describe_key(&["agent_id", "date"], &timesheet),
        "agent_id 7, date \"2026-03-02T00:00:00\""
    );
    assert_ne!(action, timesheet);
}
