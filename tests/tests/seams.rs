//! The seams for projects that use the crate (issue 10): response metadata (`send_with_response`), error details
//! (status, headers, trace id, a bounded excerpt without secrets), client-level hooks, the same list family on
//! every list operation, and a short builder `Debug`. Tests about time run on tokio's paused clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use halopsa::models::Agent;
use halopsa::{
    CallKind, Client, ClientBuilder, ErrorKind, HeaderValue, Hook, HookRequest, HookResponse, Method, RetryPolicy,
    StatusCode,
};
use halopsa_tests::fake_halo::{ErrorBody, FakeHalo, Fault, RecordedRequest, Target};
use serde_json::json;

fn builder(fake: &FakeHalo) -> ClientBuilder {
    Client::builder(fake.base_url()).client_credentials(fake.client_id(), fake.client_secret())
}

fn api_calls(fake: &FakeHalo, path: &str) -> Vec<RecordedRequest> {
    fake.requests().into_iter().filter(|r| r.path == path).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Response metadata.

#[tokio::test]
async fn a_successful_call_gives_its_status_headers_and_trace_id() {
    let fake = FakeHalo::builder().seed_agents(3).start().await;
    let client = builder(&fake).build().unwrap();

    let response = client.agents().list().search("Agent 00").send_with_response().await.unwrap();

    let sent = api_calls(&fake, "/api/Agent");
    assert_eq!(sent.len(), 1);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-fake-halo"], "1");
    assert_eq!(response.trace_id(), Some(sent[0].trace_id().as_str()));
    assert_eq!(response.value().agents.len(), 3);
    let (page, status, headers) = response.into_parts();
    assert_eq!((page.agents.len(), status.as_u16()), (3, 200));
    assert!(headers.contains_key("request-id"));

    // Every kind of answer: a record, a saved list, nothing, bytes; and the escape hatch.
    let agent = client.agents().get(1).send_with_response().await.unwrap();
    assert_eq!((agent.status(), agent.value().id), (StatusCode::OK, Some(1)));
    let mut renamed = Agent::default();
    renamed.name = Some("Renamed".into());
    let saved = client.agents().update(2, renamed).send_with_response().await.unwrap();
    assert_eq!(saved.value().name.as_deref(), Some("Renamed"));
    assert!(saved.trace_id().is_some());
    let deleted = client.agents().delete(3).send_with_response().await.unwrap();
    assert!(deleted.status().is_success());
    let custom = client.request(Method::GET, "/Agent/1").send_with_response::<serde_json::Value>().await.unwrap();
    assert_eq!(custom.value()["id"], 1);
    assert_eq!(custom.trace_id(), Some(fake.requests().last().unwrap().trace_id().as_str()));
    let empty = client.request(Method::DELETE, "/Agent/2").send_empty_with_response().await.unwrap();
    assert_eq!(empty.status(), 200);
}

// ---------------------------------------------------------------------------------------------------------------
// Error details.

#[tokio::test]
async fn an_error_keeps_status_headers_trace_id_and_a_bounded_excerpt_without_secrets() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    let secret = fake.client_secret();
    // A proxy's session cookie and a header echoing the token; then a problem-details 400 whose text is long and
    // echoes the client secret.
    fake.inject(
        Fault::Headers(vec![
            ("set-cookie".into(), "ARRAffinity=session-cookie-value; path=/".into()),
            ("x-echo".into(), "Bearer some.token.value".into()),
            ("x-served-by".into(), "web-3".into()),
        ])
        .on(Target::get("/api/Agent")),
    );
    let long = "x".repeat(5_000);
    fake.inject(
        Fault::error(
            400,
            ErrorBody::Problem {
                title: "One or more validation errors occurred.".into(),
                errors: json!({ "client_secret": [secret.clone()], "search": [long] }),
            },
        )
        .on(Target::get("/api/Agent")),
    );
    let client = builder(&fake).build().unwrap();

    let error = client.agents().list().search("x").send().await.unwrap_err();

    let sent = api_calls(&fake, "/api/Agent");
    let trace_id = sent[0].trace_id();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.trace_id(), Some(trace_id.as_str()), "the body's traceId");
    let headers = error.headers().expect("the answer's headers");
    assert_eq!(headers["request-id"], trace_id.as_str());
    assert_eq!(headers["x-served-by"], "web-3");
    assert!(!headers.contains_key("set-cookie"), "{headers:?}");
    assert_eq!(headers["x-echo"], "Bearer ***");
    let excerpt = error.body_excerpt().expect("an excerpt of the body");
    assert!(excerpt.starts_with(r#"{"errors":"#) || excerpt.contains("traceId"), "{excerpt}");
    assert!(excerpt.chars().count() <= 501, "bounded: {} characters", excerpt.chars().count());
    let shown = format!("{error} | {error:?} | {excerpt} | {headers:?}");
    for leak in [secret.as_str(), "session-cookie-value", "some.token.value"] {
        assert!(!shown.contains(leak), "{leak} leaked: {shown}");
    }
    assert!(error.to_string().contains(&format!("(trace id {trace_id})")), "{error}");
    assert!(error.to_string().len() < 400, "Display stays one short line: {error}");
}

#[tokio::test]
async fn without_a_trace_id_in_the_body_the_header_gives_it() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    fake.inject(Fault::error(404, ErrorBody::Message("Agent 9 not found".into())).on(Target::get("/api/Agent/9")));
    let client = builder(&fake).build().unwrap();

    let error = client.agents().get(9).send().await.unwrap_err();

    let trace_id = api_calls(&fake, "/api/Agent/9")[0].trace_id();
    assert_eq!(error.trace_id(), Some(trace_id.as_str()));
    assert_eq!(error.body_excerpt(), Some(r#"{"Message":"Agent 9 not found"}"#));
    assert_eq!(
        error.to_string(),
        format!("GET /Agent/9: halo answered 404 Not Found: Agent 9 not found (trace id {trace_id})")
    );
}

#[tokio::test]
async fn errors_in_200_answers_and_decode_errors_keep_the_trace_id_too() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    fake.inject(Fault::no_licence_seats().times(1).on(Target::post("/api/Agent")));
    fake.inject(Fault::error(200, ErrorBody::Json(json!([1, 2]))).times(1).on(Target::get("/api/Agent/1")));
    let client = builder(&fake).build().unwrap();

    let mut hire = Agent::default();
    hire.name = Some("Hire".into());
    let error = client.agents().create(hire).send().await.unwrap_err();
    let trace_id = api_calls(&fake, "/api/Agent")[0].trace_id();
    assert_eq!((error.status(), error.trace_id()), (Some(200), Some(trace_id.as_str())));
    assert!(error.body_excerpt().unwrap().contains("No licence seats available"), "{error:?}");
    assert_eq!(error.headers().unwrap()["request-id"], trace_id.as_str());

    let error = client.agents().get(1).send().await.unwrap_err();
    let trace_id = api_calls(&fake, "/api/Agent/1")[0].trace_id();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.trace_id(), Some(trace_id.as_str()));
    assert_eq!(error.body_excerpt(), Some("[1,2]"));
}

#[tokio::test]
async fn a_token_endpoint_error_keeps_its_headers_but_no_excerpt() {
    let fake = FakeHalo::builder().start().await;
    fake.inject(Fault::EchoForm.on(Target::token()));
    let client = builder(&fake).build().unwrap();

    let error = client.agents().get(1).send().await.unwrap_err();

    assert_eq!((error.kind(), error.status()), (ErrorKind::Auth, Some(400)));
    assert_eq!(error.trace_id(), Some(fake.token_calls()[0].trace_id().as_str()));
    assert!(error.headers().unwrap().contains_key("request-id"));
    assert_eq!(error.body_excerpt(), None, "a token answer may hold a token");
    assert!(!format!("{error} {error:?}").contains(&fake.client_secret()));
}

// ---------------------------------------------------------------------------------------------------------------
// Hooks.

/// Records what it sees in a shared log, prefixed with its name.
struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
}

impl Hook for Recorder {
    fn on_request(&self, request: &mut HookRequest<'_>) {
        let kind = match request.kind() {
            CallKind::Token => "token".to_owned(),
            _ => format!("api {}", request.operation().unwrap_or("-")),
        };
        self.log.lock().unwrap().push(format!(
            "{} request {kind} {} #{}",
            self.name,
            request.method(),
            request.attempt()
        ));
    }

    fn on_response(&self, response: &HookResponse<'_>) {
        let status = response.status().map_or("none".to_owned(), |s| s.as_u16().to_string());
        self.log.lock().unwrap().push(format!("{} response {status}", self.name));
    }
}

struct AddHeader;

impl Hook for AddHeader {
    fn on_request(&self, request: &mut HookRequest<'_>) {
        assert!(!request.headers().contains_key("authorization"), "hooks never see the token");
        request.headers_mut().insert("x-app", HeaderValue::from_static("payroll-sync"));
    }
}

#[tokio::test]
async fn a_hook_adds_a_header_the_server_sees() {
    let fake = FakeHalo::builder().seed_agents(2).start().await;
    let client = builder(&fake).hook(AddHeader).build().unwrap();

    client.agents().list().all().await.unwrap();

    let requests: Vec<RecordedRequest> = fake.token_calls().into_iter().chain(fake.requests()).collect();
    assert_eq!(requests.len(), 2, "a token request and a listing");
    for request in &requests {
        assert_eq!(request.header("x-app"), Some("payroll-sync"), "{}", request.line());
    }
    assert!(requests.iter().filter(|r| r.path == "/api/Agent").all(|r| r.has_bearer()), "the token still goes out");
}

#[tokio::test(start_paused = true)]
async fn a_hook_counts_every_attempt_retries_included_and_sees_their_statuses() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    fake.inject(Fault::rate_limited_retry_after(2).times(2).on(Target::get("/api/Agent")));
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = builder(&fake).hook(Recorder { name: "a", log: log.clone() }).build().unwrap();

    client.agents().get(1).send().await.expect("the third attempt succeeds");

    assert_eq!(
        *log.lock().unwrap(),
        [
            "a request token POST #1",
            "a response 200",
            "a request api getAgent GET #1",
            "a response 429",
            "a request api getAgent GET #2",
            "a response 429",
            "a request api getAgent GET #3",
            "a response 200",
        ]
    );
    assert_eq!(api_calls(&fake, "/api/Agent/1").len(), 3);
}

#[tokio::test]
async fn hooks_run_in_registration_order() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = builder(&fake)
        .bearer_token(fake.issue_token())
        .hook(Recorder { name: "first", log: log.clone() })
        .hook(Recorder { name: "second", log: log.clone() })
        .build()
        .unwrap();

    client.agents().get(1).send().await.unwrap();

    assert_eq!(
        *log.lock().unwrap(),
        [
            "first request api getAgent GET #1",
            "second request api getAgent GET #1",
            "first response 200",
            "second response 200"
        ]
    );
}

/// Changes the time limit of each attempt.
struct Timeout(Duration);

impl Hook for Timeout {
    fn on_request(&self, request: &mut HookRequest<'_>) {
        request.set_timeout(self.0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_hook_sees_a_failure_without_an_answer_and_can_change_the_timeout() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    fake.inject(Fault::Delay(Duration::from_secs(30)).on(Target::get("/api/Agent")));
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = builder(&fake)
        .bearer_token(fake.issue_token())
        .hook(Timeout(Duration::from_secs(5)))
        .hook(Recorder { name: "a", log: log.clone() })
        .build()
        .unwrap();

    let error = client.agents().get(1).retry_policy(RetryPolicy::none()).send().await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
    assert_eq!(*log.lock().unwrap(), ["a request api getAgent GET #1", "a response none"]);
}

// ---------------------------------------------------------------------------------------------------------------
// The list family on every list operation.

#[tokio::test]
async fn a_list_halo_does_not_page_yields_one_page_from_one_request() {
    let fake = FakeHalo::builder().start().await;
    for name in ["Support", "Projects", "Sales"] {
        fake.add_team(name);
    }
    let client = builder(&fake).build().unwrap();

    let teams = client.teams().list().showall(true).all().await.unwrap();
    assert_eq!(teams.len(), 3);
    let mut stream = client.teams().list().showall(true).stream();
    let mut streamed = 0;
    while let Some(team) = stream.next().await {
        team.unwrap();
        streamed += 1;
    }
    assert_eq!(streamed, 3);
    let mut pages = client.teams().list().showall(true).pages();
    assert_eq!(pages.next_page().await.unwrap().unwrap().teams.len(), 3);
    assert!(pages.next_page().await.is_none());

    let sent = api_calls(&fake, "/api/Team");
    assert_eq!(sent.len(), 3, "one request per listing");
    for request in &sent {
        assert_eq!(request.query, "showall=true", "sent as built, no paging parameters");
    }
}

#[tokio::test]
async fn a_list_answered_with_a_bare_array_has_the_family_too() {
    let fake = FakeHalo::builder().start().await;
    let rows = json!([{ "id": 1, "agent_status": 1 }, { "id": 2, "agent_status": 0 }]);
    fake.inject(Fault::error(200, ErrorBody::Json(rows)).on(Target::get("/api/OnlineStatus")));
    let client = builder(&fake).build().unwrap();

    let all = client.online_status().get().is_online(true).all().await.unwrap();
    assert_eq!(all.len(), 2);
    let mut pages = client.online_status().get().pages();
    assert_eq!(pages.next_page().await.unwrap().unwrap().len(), 2);
    assert!(pages.next_page().await.is_none());
    assert_eq!(api_calls(&fake, "/api/OnlineStatus").len(), 2);
}

#[tokio::test]
async fn an_unpaged_listing_that_fails_reports_the_error_without_a_page() {
    let fake = FakeHalo::builder().start().await;
    fake.inject(Fault::error(403, ErrorBody::Message("No permission".into())).on(Target::get("/api/Team")));
    let client = builder(&fake).build().unwrap();

    let failed = client.teams().list().all().await.unwrap_err();
    let (error, teams) = failed.into_parts();
    assert!(teams.is_empty());
    assert_eq!((error.status(), error.page_no()), (Some(403), None));
}

// ---------------------------------------------------------------------------------------------------------------
// Builder Debug.

#[tokio::test]
async fn a_builder_debug_is_short_shows_what_is_set_and_no_secret() {
    let fake = FakeHalo::builder().start().await;
    let client = builder(&fake).build().unwrap();

    let list = client.agents().list().search("jane doe").team_id(3).timeout(Duration::from_secs(5));
    let shown = format!("{list:?}");
    assert_eq!(shown, "ListAgents(GET /Agent?search=jane%20doe&team_id=3, timeout: 5s)");
    // The query as it goes on the wire: sorted by name, whatever the order of the setters.
    let reordered = client.agents().list().team_id(3).timeout(Duration::from_secs(5)).search("jane doe");
    assert_eq!(format!("{reordered:?}"), shown);

    let bare = format!("{:?}", client.tickets().list());
    assert_eq!(bare, "ListTickets(GET /Tickets)");

    let get = format!("{:?}", client.agents().get(12));
    assert_eq!(get, "GetAgent(GET /Agent/12)");

    let mut hire = Agent::default();
    hire.name = Some("Jane".into());
    hire.password = Some("hunter2-password".into());
    let create = format!("{:?}", client.agents().create(hire.clone()));
    assert_eq!(create, "CreateAgent(POST /Agent, body: [1 item])");
    let many = format!("{:?}", client.agents().create_many([hire.clone(), hire]));
    assert_eq!(many, "CreateAgents(POST /Agent, body: [2 items])");

    let download = format!("{:?}", client.attachments().list().token("attachment-token-value"));
    assert!(!download.contains("attachment-token-value"), "{download}");
    assert!(download.contains("token=***"), "{download}");

    for shown in [&shown, &bare, &get, &create, &many, &download] {
        assert!(!shown.contains("None") && !shown.contains("Client") && !shown.contains("hunter2"), "{shown}");
        assert!(shown.len() < 200, "{shown}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Halo's messages are not secrets (issue 18, item 4).

#[tokio::test]
async fn halos_messages_keep_their_words_while_credentials_are_scrubbed() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    // Captured from a real Halo: a 400 to an agent created without a password.
    fake.inject(
        Fault::error(400, ErrorBody::Message("Password is mandatory".into())).times(1).on(Target::post("/api/Agent")),
    );
    let client = builder(&fake).build().unwrap();
    let error = client.agents().create(hire()).send().await.unwrap_err();
    assert_eq!(error.message(), "Password is mandatory");
    assert!(error.to_string().contains("halo answered 400 Bad Request: Password is mandatory"), "{error}");
    assert_eq!(error.body_excerpt(), Some(r#"{"Message":"Password is mandatory"}"#));

    // The same words next to real credentials: the values go, the words stay.
    let echo =
        json!({"Message": "Password is mandatory", "received": {"password": "hunter2-pw", "token": "tok-123456"}});
    fake.inject(
        Fault::Headers(vec![("x-api-key".into(), "k3y-value".into()), ("x-note".into(), "password is fine".into())])
            .times(1)
            .on(Target::post("/api/Agent")),
    );
    fake.inject(Fault::error(400, ErrorBody::Json(echo)).times(1).on(Target::post("/api/Agent")));
    let error = client.agents().create(hire()).send().await.unwrap_err();
    let shown = format!("{error} | {error:?} | {:?}", error.body_excerpt());
    for leak in ["hunter2-pw", "tok-123456", "k3y-value"] {
        assert!(!shown.contains(leak), "{leak} leaked: {shown}");
    }
    assert_eq!(error.message(), "Password is mandatory");
    let headers = error.headers().expect("headers");
    assert_eq!(headers["x-api-key"], "***", "a header named for a credential keeps its name, not its value");
    assert_eq!(headers["x-note"], "password is fine");
}

/// A new agent with a name only.
fn hire() -> Agent {
    let mut hire = Agent::default();
    hire.name = Some("Hire".into());
    hire
}
