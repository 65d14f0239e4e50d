//! The generated client against the fake Halo server: set-up, tokens, errors, lenient decoding, the shape of
//! requests and tracing. Every test asserts on what the fake recorded, not only on what the client returned.

use std::time::Duration;

use halopsa::models::{Agent, Domain, IdentityIntegration, RemoteAgentType, TableEnum};
use halopsa::{Client, ClientBuilder};
use halopsa::{ErrorKind, RetryPolicy};
use halopsa_tests::fake_halo::{ErrorBody, FakeHalo, Fault, RATE_LIMIT_BODY, RecordedRequest, Resource, Target};
use serde_json::{Value, json};
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

/// Retries fast enough that a test never waits long for one.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .max_elapsed(Duration::from_secs(2))
}

/// A client of `fake` with the credentials it accepts.
fn builder(fake: &FakeHalo) -> ClientBuilder {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(fast_retries())
}

fn client(fake: &FakeHalo) -> Client {
    builder(fake).build().expect("client")
}

/// The fake hands out i64 ids; the client's are i32.
fn id32(id: i64) -> i32 {
    i32::try_from(id).expect("small id")
}

fn statuses(requests: &[RecordedRequest]) -> Vec<Option<u16>> {
    requests.iter().map(|r| r.status).collect()
}

fn lines(requests: &[RecordedRequest]) -> Vec<String> {
    requests.iter().map(RecordedRequest::line).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Whether a JSON value holds a `null` anywhere.
fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(map) => map.values().any(has_null),
        _ => false,
    }
}

/// The access token the client used on its first API request.
fn first_token(fake: &FakeHalo) -> String {
    fake.requests()
        .first()
        .and_then(|r| r.bearer_token().map(str::to_owned))
        .expect("an API request with a bearer token")
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Client set-up.

#[tokio::test]
async fn the_api_is_under_api_and_the_token_endpoint_at_auth_token_by_default() {
    let fake = FakeHalo::start().await;
    let id = fake.add_agent(json!({ "name": "Default Paths" }));
    // A trailing slash on the base URL makes no double slash.
    let client = Client::builder(format!("{}/", fake.base_url()))
        .client_credentials(fake.client_id(), fake.client_secret())
        .build()
        .unwrap();
    assert_eq!(client.api_url(), fake.api_url());

    client.agents().get(id32(id)).send().await.unwrap();

    let token_calls = fake.token_calls();
    assert_eq!(token_calls.len(), 1);
    let token = &token_calls[0];
    assert_eq!((token.method.as_str(), token.path.as_str(), token.query.as_str()), ("POST", "/auth/token", ""));
    assert_eq!(token.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        token.body,
        Some(json!({
            "grant_type": "client_credentials",
            "client_id": fake.client_id(),
            "client_secret": fake.client_secret(),
            "scope": "all",
        }))
    );
    assert_eq!(lines(&fake.requests()), [format!("GET /api/Agent/{id}")]);
}

#[tokio::test]
async fn api_url_and_token_url_overrides_are_used() {
    // Nothing listens on the base URL's port: every request must go where the overrides say.
    let fake = FakeHalo::start().await;
    let client = Client::builder("http://127.0.0.1:9/nothing-here")
        .api_url(fake.api_url())
        .token_url(fake.token_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    assert_eq!(client.api_url(), fake.api_url());
    client.agents().list().send().await.unwrap();
    assert_eq!(fake.token_requests(), 1);
    assert_eq!(lines(&fake.requests()), ["GET /api/Agent"]);

    // A token endpoint on another host: the API host gets no token request, the auth host no API request.
    let api = FakeHalo::start().await;
    let auth = FakeHalo::start().await;
    let client = Client::builder(api.base_url())
        .token_url(auth.token_url())
        .client_credentials(auth.client_id(), auth.client_secret())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    // The API fake does not know the auth fake's tokens: 401, a fresh token, 401 again (three times), an error.
    let error = client.agents().list().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(error.status(), Some(401));
    assert_eq!((api.token_requests(), auth.token_requests(), auth.tokens_issued()), (0, 4, 4));
    assert!(auth.requests().is_empty());
    let sent: Vec<_> = api.requests().iter().map(|r| r.bearer_token().unwrap_or_default().to_owned()).collect();
    assert_eq!(sent.len(), 4);
    assert!(sent.iter().all(|token| token.starts_with("fake-")), "{sent:?}");
    assert!(sent.windows(2).all(|pair| pair[0] != pair[1]), "each retry carries a fresh token: {sent:?}");
}

#[tokio::test]
async fn tenant_and_scopes_go_to_the_token_endpoint_only() {
    let fake = FakeHalo::start().await;
    let client = builder(&fake).tenant("acme corp").scopes(["read:agents", "edit:agents"]).build().unwrap();
    client.agents().list().send().await.unwrap();

    let token = &fake.token_calls()[0];
    assert_eq!(token.query_pairs, pairs(&[("tenant", "acme corp")]));
    assert_eq!(token.query, "tenant=acme%20corp");
    let form = token.body.as_ref().unwrap();
    assert_eq!(form["scope"], "read:agents edit:agents");
    assert_eq!(form["grant_type"], "client_credentials");
    // The API calls carry neither.
    let request = &fake.requests()[0];
    assert_eq!(request.query, "");
    assert!(request.header("tenant").is_none());
}

#[tokio::test]
async fn a_static_bearer_token_is_sent_as_is_and_never_refreshed() {
    let fake = FakeHalo::start().await;
    let token = fake.issue_token();
    let client = Client::builder(fake.base_url()).bearer_token(token.clone()).build().unwrap();
    assert!(!format!("{client:?}").contains(&token));

    client.agents().list().send().await.unwrap();
    assert_eq!(fake.requests()[0].authorization.as_deref(), Some(format!("Bearer {token}").as_str()));

    // Revoked: a static token cannot be refreshed, so the 401 is final and not retried.
    fake.revoke_tokens();
    let error = client.agents().list().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(error.status(), Some(401));
    assert!(!error.to_string().contains(&token) && !format!("{error:?}").contains(&token));
    assert_eq!(statuses(&fake.requests()), [Some(200), Some(401)]);
    assert_eq!(fake.token_requests(), 0);

    // Token-endpoint options make no sense with a static token.
    let error = Client::builder(fake.base_url()).bearer_token("t").tenant("acme").build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn plain_http_to_a_remote_host_needs_an_opt_in() {
    let fake = FakeHalo::start().await;
    // `halo.example` resolves to the fake only in this reqwest client, so a request that gets through proves the
    // caller's client was used, and the Host header proves the client believed it talked to a remote host.
    let host = format!("halo.example:{}", fake.addr().port());
    let http = || reqwest::Client::builder().no_proxy().resolve("halo.example", fake.addr()).build().unwrap();
    let remote = |allow: bool| {
        Client::builder(format!("http://{host}"))
            .client_credentials(fake.client_id(), fake.client_secret())
            .http_client(http())
            .retry_policy(RetryPolicy::none())
            .allow_insecure_http(allow)
    };

    let error = remote(false).build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.message().contains("https"), "{error}");
    assert!(!error.to_string().contains(&fake.client_secret()));
    let error = Client::builder("http://example.com").bearer_token("t").build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    // A token endpoint on plain http is refused as well, even when the API is on https.
    let error = Client::builder("https://acme.halopsa.com")
        .token_url("http://auth.example.com/token")
        .client_credentials("id", "secret")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.message().contains("token url"), "{error}");
    assert_eq!((fake.token_requests(), fake.requests().len()), (0, 0));

    let client = remote(true).build().unwrap();
    client.agents().list().send().await.unwrap();
    assert_eq!(fake.token_calls()[0].header("host"), Some(host.as_str()));
    assert_eq!(fake.requests()[0].header("host"), Some(host.as_str()));
}

#[tokio::test]
async fn a_caller_supplied_reqwest_client_is_used_for_api_and_token_requests() {
    let fake = FakeHalo::start().await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-caller-client", reqwest::header::HeaderValue::from_static("mine"));
    let http = reqwest::Client::builder().default_headers(headers).build().unwrap();
    let client = builder(&fake).http_client(http.clone()).build().unwrap();
    client.agents().list().send().await.unwrap();
    assert_eq!(fake.token_calls()[0].header("x-caller-client"), Some("mine"));
    assert_eq!(fake.requests()[0].header("x-caller-client"), Some("mine"));

    // `connect_timeout` cannot reach into a caller's client.
    let error = builder(&fake).http_client(http).connect_timeout(Duration::from_secs(1)).build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
}

#[tokio::test(start_paused = true)]
async fn a_slow_answer_runs_into_the_timeout() {
    let fake = FakeHalo::start().await;
    fake.inject(Fault::Delay(Duration::from_millis(800)).on(Target::get("/api/Agent")));
    let client = builder(&fake).timeout(Duration::from_millis(150)).retry_policy(RetryPolicy::none()).build().unwrap();
    let started = Instant::now();
    let error = client.agents().list().send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(700), "gave up after {:?}", started.elapsed());
    assert_eq!(error.kind(), ErrorKind::Network);
    assert_eq!(error.message(), "timed out");
    assert!(error.is_retryable());
    assert_eq!(error.path(), Some("/Agent"));
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(fake.requests()[0].faults, ["delay"]);
}

#[tokio::test]
async fn a_slow_token_endpoint_runs_into_the_timeout_without_showing_the_tenant() {
    let fake = FakeHalo::start().await;
    fake.inject(Fault::Delay(Duration::from_millis(800)).on(Target::token()));
    let client = builder(&fake)
        .tenant("hidden-tenant")
        .timeout(Duration::from_millis(150))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.agents().list().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert_eq!((error.method().map(|m| m.as_str()), error.path()), (Some("POST"), Some("/auth/token")));
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hidden-tenant") && !shown.contains(&fake.client_secret()), "{shown}");
    assert_eq!(fake.token_requests(), 1);
    assert!(fake.requests().is_empty(), "no API request without a token");
}

#[tokio::test]
async fn secrets_and_tokens_never_show_in_debug_or_errors() {
    const SECRET: &str = "sup3r-s3cret-value";
    let fake = FakeHalo::builder().client_credentials("debug-client", SECRET).start().await;
    let builder = Client::builder(fake.base_url()).client_credentials("debug-client", SECRET);
    assert!(!format!("{builder:?}").contains(SECRET));
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains(SECRET));

    // With a token in the cache, and after an error answer of the API.
    let error = client.agents().get(404).send().await.unwrap_err();
    let token = first_token(&fake);
    for shown in [format!("{client:?}"), format!("{error}"), format!("{error:?}")] {
        assert!(!shown.contains(SECRET) && !shown.contains(&token), "{shown}");
    }

    // A bearer-token client and its builder.
    let builder = Client::builder(fake.base_url()).bearer_token(token.clone());
    assert!(!format!("{builder:?}").contains(&token));
    assert!(!format!("{:?}", builder.build().unwrap()).contains(&token));
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Tokens.

#[tokio::test]
async fn the_token_is_fetched_once_and_reused() {
    let fake = FakeHalo::start().await;
    let id = fake.add_agent(json!({ "name": "Cached" }));
    let client = client(&fake);
    client.agents().list().send().await.unwrap();
    client.agents().get(id32(id)).send().await.unwrap();
    client.clone().agents().get(id32(id)).send().await.unwrap();
    assert_eq!(fake.token_requests(), 1);
    let tokens: Vec<_> = fake.requests().iter().map(|r| r.bearer_token().map(str::to_owned)).collect();
    assert_eq!(tokens.len(), 3);
    assert!(tokens.iter().all(|t| t.is_some() && *t == tokens[0]), "{tokens:?}");
}

#[tokio::test(start_paused = true)]
async fn the_token_is_replaced_a_margin_before_it_expires() {
    // Tokens live 2 s; with a 500 ms margin the client replaces them after 1.5 s, before the fake would say 401.
    let fake = FakeHalo::builder().token_lifetime(Duration::from_secs(2)).start().await;
    let client = builder(&fake).token_refresh_margin(Duration::from_millis(500)).build().unwrap();
    let start = Instant::now();
    client.agents().list().send().await.unwrap();
    assert_eq!(fake.token_calls()[0].body.as_ref().unwrap()["grant_type"], "client_credentials");

    // At 1.1 s the token is still good for the margin: reused. (Halving the lifetime instead of using the margin
    // would replace it here.)
    tokio::time::sleep_until(start + Duration::from_millis(1100)).await;
    client.agents().list().send().await.unwrap();
    assert_eq!(fake.token_requests(), 1);

    // At 1.6 s it is within the margin of its expiry: replaced, although the fake would still accept it.
    tokio::time::sleep_until(start + Duration::from_millis(1600)).await;
    client.agents().list().send().await.unwrap();
    assert_eq!(fake.token_requests(), 2);
    let requests = fake.requests();
    assert_eq!(statuses(&requests), [Some(200); 3], "no request was answered 401");
    assert_eq!(requests[0].bearer_token(), requests[1].bearer_token());
    assert_ne!(requests[1].bearer_token(), requests[2].bearer_token());
}

/// Sends `n` concurrent `GET /Agent/{id}` from separate tasks and checks every one succeeded.
async fn concurrent_gets(client: &Client, id: i32, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.agents().get(id).send().await })
        })
        .collect();
    for task in tasks {
        let agent = task.await.expect("task").expect("get");
        assert_eq!(agent.id, Some(id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_first_calls_make_one_token_request() {
    let fake = FakeHalo::start().await;
    let id = id32(fake.add_agent(json!({ "name": "Popular" })));
    // A slow token endpoint, so that every caller arrives while the token request is in flight.
    fake.inject(Fault::Delay(Duration::from_millis(100)).on(Target::token()));
    let client = client(&fake);
    concurrent_gets(&client, id, 100).await;
    assert_eq!(fake.token_requests(), 1);
    let requests = fake.requests();
    assert_eq!(requests.len(), 100);
    assert!(requests.iter().all(|r| r.status == Some(200) && r.bearer_token() == requests[0].bearer_token()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_calls_with_an_expired_token_make_one_token_request() {
    // 1 s tokens: the default 60 s margin is capped at half the lifetime, so the token is stale after 500 ms.
    let fake = FakeHalo::builder().token_lifetime(Duration::from_secs(1)).start().await;
    let id = id32(fake.add_agent(json!({ "name": "Popular" })));
    let client = client(&fake);
    client.agents().get(id).send().await.unwrap();
    assert_eq!(fake.token_requests(), 1);
    let first = first_token(&fake);

    tokio::time::sleep(Duration::from_millis(600)).await;
    fake.inject(Fault::Delay(Duration::from_millis(100)).on(Target::token()));
    concurrent_gets(&client, id, 100).await;
    assert_eq!(fake.token_requests(), 2);
    let requests = fake.requests();
    assert_eq!(requests.len(), 101);
    let second = requests[1].bearer_token().unwrap();
    assert_ne!(second, first);
    assert!(requests[1..].iter().all(|r| r.status == Some(200) && r.bearer_token() == Some(second)));
}

#[tokio::test]
async fn a_401_gets_one_fresh_token_and_one_retry() {
    let fake = FakeHalo::start().await;
    let id = fake.add_agent(json!({ "name": "Revoked", "jobtitle": "Tech" }));
    let client = client(&fake);
    client.agents().get(id32(id)).send().await.unwrap();

    fake.revoke_tokens();
    let agent = client.agents().get(id32(id)).send().await.unwrap();
    assert_eq!(agent.name.as_deref(), Some("Revoked"));
    let requests = fake.requests();
    assert_eq!(statuses(&requests), [Some(200), Some(401), Some(200)]);
    assert_eq!(requests[0].bearer_token(), requests[1].bearer_token());
    assert_ne!(requests[1].bearer_token(), requests[2].bearer_token());
    assert_eq!(fake.token_requests(), 2);

    // A POST answered 401 was not applied, so it is retried too, once.
    fake.clear_requests();
    fake.inject(Fault::RevokeTokens.times(1).on(Target::post("/api/Agent")));
    let mut update = Agent::default();
    update.jobtitle = Some("Lead".into());
    let saved = client.agents().update(id32(id), update).send().await.unwrap();
    assert_eq!(saved.jobtitle.as_deref(), Some("Lead"));
    assert_eq!(lines(&fake.requests()), ["POST /api/Agent", "POST /api/Agent"]);
    assert_eq!(statuses(&fake.requests()), [Some(401), Some(200)]);
    assert_eq!(fake.token_requests(), 1);
    assert_eq!(fake.agent(id).unwrap()["jobtitle"], "Lead");
}

#[tokio::test]
async fn a_persistent_401_ends_after_three_refreshes() {
    let fake = FakeHalo::start().await;
    fake.inject(Fault::RevokeTokens.on(Target::api()));
    let client = client(&fake);
    let error = client.agents().list().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.message(), "Authorization has been denied for this request.");
    assert_eq!((error.method().map(|m| m.as_str()), error.path()), (Some("GET"), Some("/Agent")));
    assert!(!error.is_retryable());
    // Every token is revoked as it is used: one fresh token per 401, at most three for one call.
    assert_eq!(statuses(&fake.requests()), [Some(401); 4]);
    assert_eq!(fake.token_requests(), 4);
}

#[tokio::test]
async fn a_wrong_secret_is_a_clear_auth_error_without_the_secret() {
    const WRONG: &str = "wrong-secret-0xdeadbeef";
    let fake = FakeHalo::start().await;
    let client = Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), WRONG)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = client.agents().list().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(error.status(), Some(401));
    assert_eq!((error.method().map(|m| m.as_str()), error.path()), (Some("POST"), Some("/auth/token")));
    assert_eq!(
        error.message(),
        "the token endpoint refused: invalid_client: The specified client credentials are invalid."
    );
    assert!(!error.is_retryable());
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(shown.contains("invalid_client"), "{shown}");
        assert!(!shown.contains(WRONG), "{shown}");
    }
    // The credentials were sent once (a 401 is not retried), and no API request went out.
    assert_eq!(fake.token_requests(), 1);
    assert_eq!(fake.token_calls()[0].body.as_ref().unwrap()["client_secret"], WRONG);
    assert!(fake.requests().is_empty());
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Errors.

#[tokio::test]
async fn every_error_body_shape_gives_method_path_status_and_halos_message() {
    let fake = FakeHalo::start().await;
    let id = id32(fake.add_agent(json!({ "name": "Target" })));
    let client = builder(&fake).retry_policy(RetryPolicy::none()).build().unwrap();
    let cases = [
        (400, ErrorBody::HaloException("Agent is locked".into()), "Agent is locked"),
        (404, ErrorBody::ResultCode { code: 3, message: "Record not found".into() }, "Record not found"),
        (500, ErrorBody::Message("An error has occurred.".into()), "An error has occurred."),
        (
            403,
            ErrorBody::OAuth { error: "insufficient_scope".into(), description: "read:agents is needed".into() },
            "insufficient_scope: read:agents is needed",
        ),
        (
            400,
            ErrorBody::Validation {
                message: "The request is invalid.".into(),
                errors: vec!["name is required".into(), "email is invalid".into()],
            },
            "The request is invalid.: name is required; email is invalid",
        ),
        (500, ErrorBody::Text("Something broke\n  badly".into()), "Something broke badly"),
        (409, ErrorBody::Json(json!({ "title": "Conflict", "status": 409, "detail": "edited elsewhere" })), "Conflict"),
    ];
    for (status, body, expected) in cases {
        fake.clear_requests();
        fake.inject(Fault::error(status, body.clone()).times(1).on(Target::get("/api/Agent")));
        let error = client.agents().get(id).send().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Api, "{body:?}");
        assert_eq!(error.status(), Some(status), "{body:?}");
        assert_eq!(error.message(), expected, "{body:?}");
        assert_eq!(error.method().map(|m| m.as_str()), Some("GET"));
        assert_eq!(error.path(), Some(format!("/Agent/{id}").as_str()));
        assert!(error.to_string().starts_with(&format!("GET /Agent/{id}: halo answered {status} ")), "{error}");
        let trace = error.trace_id().expect("the fake sends a trace id");
        if status == 403 {
            // A 403 also says why (the token has the scope, so the agent's permissions); see permissions.rs.
            let hint = format!("{expected}; the token was granted `all`, which this operation accepts; the agent");
            assert!(error.to_string().contains(&hint), "{error}");
        } else {
            // Display ends with Halo's message, then the trace id the fake sent (as Halo's `Request-Id`).
            assert!(error.to_string().ends_with(&format!("{expected} (trace id {trace})")), "{error}");
        }
        assert_eq!(statuses(&fake.requests()), [Some(status)], "{body:?}");
    }
    // The fake's own 404.
    let error = client.agents().get(9999).send().await.unwrap_err();
    let trace = error.trace_id().expect("the fake sends a trace id");
    assert_eq!(
        error.to_string(),
        format!("GET /Agent/9999: halo answered 404 Not Found: Agent 9999 not found (trace id {trace})")
    );
}

#[tokio::test]
async fn an_error_body_under_200_is_an_error_and_nothing_is_saved() {
    let fake = FakeHalo::start().await;
    let existing = fake.add_agent(json!({ "name": "Existing" }));
    let seats = fake.inject(Fault::no_licence_seats().on(Target::post("/api/Agent").creates_only()));
    let client = client(&fake);

    let mut new = Agent::default();
    new.name = Some("Newcomer".into());
    let error = client.agents().create(new).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(200));
    assert_eq!(error.message(), "No licence seats available");
    let trace = error.trace_id().expect("the fake sends a trace id");
    assert_eq!(
        error.to_string(),
        format!("POST /Agent: halo answered 200 OK with an error: No licence seats available (trace id {trace})")
    );
    assert_eq!(fake.fault_hits(seats), 1);
    assert_eq!(statuses(&fake.requests()), [Some(200)]);
    assert_eq!(fake.agents().len(), 1, "nothing was created");

    // An update is no creation: the same fault lets it through, and its answer (a record) is no error.
    let mut update = Agent::default();
    update.jobtitle = Some("Boss".into());
    client.agents().update(id32(existing), update).send().await.unwrap();
    assert_eq!(fake.fault_hits(seats), 1);
    assert_eq!(fake.agent(existing).unwrap()["jobtitle"], "Boss");
}

#[tokio::test]
async fn status_and_retryability_of_400_404_429_503() {
    let fake = FakeHalo::start().await;
    let id = id32(fake.add_agent(json!({ "name": "Target" })));
    let client = builder(&fake).retry_policy(RetryPolicy::none()).build().unwrap();
    let on_get = Target::get("/api/Agent");

    fake.inject(Fault::error(400, ErrorBody::Message("bad".into())).times(1).on(on_get.clone()));
    let error = client.agents().get(id).send().await.unwrap_err();
    assert_eq!((error.kind(), error.status(), error.is_retryable()), (ErrorKind::Api, Some(400), false));

    let error = client.agents().get(9999).send().await.unwrap_err();
    assert_eq!((error.kind(), error.status(), error.is_retryable()), (ErrorKind::Api, Some(404), false));

    fake.inject(Fault::rate_limited_retry_after(7).times(1).on(on_get.clone()));
    let error = client.agents().get(id).send().await.unwrap_err();
    assert_eq!((error.kind(), error.status(), error.is_retryable()), (ErrorKind::RateLimited, Some(429), true));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(error.message(), RATE_LIMIT_BODY);

    fake.inject(Fault::unavailable().times(1).on(on_get));
    let error = client.agents().get(id).send().await.unwrap_err();
    assert_eq!((error.kind(), error.status(), error.is_retryable()), (ErrorKind::Api, Some(503), true));

    // Each was tried once (no retries configured), then the fake answered normally again.
    assert_eq!(statuses(&fake.requests()), [Some(400), Some(404), Some(429), Some(503)]);
    client.agents().get(id).send().await.unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Lenient decoding.

#[tokio::test]
async fn ids_sent_as_floats_or_strings_decode() {
    let fake = FakeHalo::start().await;
    let id = fake.add_agent(json!({
        "name": "Odd Ids",
        "teams": [{ "team_id": 12, "team_name": "Elsewhere" }],
        "home_site_id": 7,
    }));
    let client = client(&fake);
    for (fault, name, sent) in
        [(Fault::IdsAsFloats, "ids_as_floats", json!(7.0)), (Fault::IdsAsStrings, "ids_as_strings", json!("7"))]
    {
        fake.clear_faults();
        fake.clear_requests();
        fake.inject(fault.on(Target::get("/api/Agent")));
        let agent = client.agents().get(id32(id)).send().await.unwrap();
        assert_eq!(agent.id, Some(id32(id)), "{name}");
        assert_eq!(agent.teams.as_ref().unwrap()[0].team_id, Some(12), "{name}");
        // A field the model does not know is kept exactly as sent.
        assert_eq!(agent.extra["home_site_id"], sent, "{name}");
        let list = client.agents().list().send().await.unwrap();
        assert_eq!(list.agents.iter().map(|a| a.id).collect::<Vec<_>>(), [Some(id32(id))], "{name}");
        let requests = fake.requests();
        assert!(requests.iter().all(|r| r.faults == [name]), "the fault fired: {requests:?}");
    }
}

#[tokio::test]
async fn unknown_fields_survive_a_get_change_update_round_trip_without_nulls() {
    let fake = FakeHalo::start().await;
    let id = fake.add_agent(json!({
        "name": "Round Trip",
        "email": "round.trip@example.com",
        "jobtitle": "Technician",
        "signature": null,
        "x_future_flag": true,
        "x_future_settings": { "theme": "dark", "widgets": [1, 2, 3], "empty": {} },
    }));
    let client = client(&fake);
    let mut agent = client.agents().get(id32(id)).send().await.unwrap();
    assert_eq!(agent.extra["x_future_flag"], true);
    assert_eq!(agent.extra["x_future_settings"]["widgets"], json!([1, 2, 3]));
    assert_eq!(agent.signature, None);

    agent.jobtitle = Some("Team Lead".into());
    client.agents().update(id32(id), agent).send().await.unwrap();

    let post = fake.requests().pop().unwrap();
    assert_eq!(post.line(), "POST /api/Agent");
    let body = post.body.unwrap();
    assert!(!has_null(&body), "no nulls are sent: {body}");
    assert_eq!(
        body,
        json!([{
            "id": id,
            "name": "Round Trip",
            "email": "round.trip@example.com",
            "jobtitle": "Team Lead",
            "isdisabled": false,
            "x_future_flag": true,
            "x_future_settings": { "theme": "dark", "widgets": [1, 2, 3], "empty": {} },
        }])
    );
    let stored = fake.agent(id).unwrap();
    assert_eq!(stored["jobtitle"], "Team Lead");
    assert_eq!(stored["x_future_settings"]["theme"], "dark");
}

/// A query parameter whose values Halo documents as a closed set takes its enum, the wire string, or a value the enum
/// does not list (`Other`), and sends the wire string.
#[tokio::test]
async fn enum_query_parameters_send_their_wire_strings() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    client
        .agents()
        .list()
        .domain(Domain::Opportunities)
        .integration_type("azure")
        .remoteagenttype(RemoteAgentType::from("teamviewer"))
        .send()
        .await
        .unwrap();
    let request = fake.requests().pop().unwrap();
    assert_eq!(request.query_param("domain"), Some("opps"));
    assert_eq!(request.query_param("integration_type"), Some("azure"));
    assert_eq!(request.query_param("remoteagenttype"), Some("teamviewer"));
    assert_eq!(IdentityIntegration::from("azure"), IdentityIntegration::Azure);
    let ldap = IdentityIntegration::from("ldap");
    assert!(matches!(&ldap, IdentityIntegration::Other(other) if other.as_str() == "ldap"), "{ldap:?}");
    assert_eq!(ldap.as_str(), "ldap");
    // A listed value is always its own variant, whichever way it was made: `Other` never holds one.
    assert_eq!(IdentityIntegration::from("azure".to_owned()), IdentityIntegration::Azure);
    assert_ne!(IdentityIntegration::from("azure"), ldap);
    assert_eq!(Domain::Projects.as_str(), "prjs");
}

#[tokio::test]
async fn unknown_enum_values_are_kept_and_sent_back() {
    let fake = FakeHalo::start().await;
    let known = fake.add_user(json!({ "name": "Known Table", "table": 3 }));
    let unknown = fake.add_user(json!({ "name": "Future Table", "table": 4242 }));
    let client = client(&fake);
    let user = client.users().get(id32(known)).send().await.unwrap();
    assert_eq!(user.table, Some(TableEnum::Site));
    let mut user = client.users().get(id32(unknown)).send().await.unwrap();
    assert!(matches!(&user.table, Some(TableEnum::Other(other)) if other.as_i64() == 4242), "{:?}", user.table);
    assert_eq!(user.table.as_ref().map(TableEnum::as_i64), Some(4242));

    user.name = Some("Future Table (renamed)".into());
    client.users().update(id32(unknown), user).send().await.unwrap();
    let post = fake.requests().pop().unwrap();
    assert_eq!(post.line(), "POST /api/Users");
    assert_eq!(post.body.unwrap()[0]["table"], 4242);
    assert_eq!(fake.record(Resource::Users, unknown).unwrap()["table"], 4242);
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_with_an_excerpt() {
    let fake = FakeHalo::start().await;
    let id = fake.add_agent(json!({ "name": "Cut Short", "email": "cut@example.com" }));
    let full = serde_json::to_string(&fake.agent(id).unwrap()).unwrap();
    fake.inject(Fault::TruncatedBody.on(Target::get("/api/Agent")));
    let client = client(&fake);

    let error = client.agents().get(id32(id)).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.path(), Some(format!("/Agent/{id}").as_str()));
    // The fake sends the first half of the record; the excerpt shows it (it is under 200 characters).
    assert_eq!(error.body_excerpt(), Some(&full[..full.len() / 2]));
    assert!(error.to_string().contains("cannot decode the response"), "{error}");

    let error = client.agents().list().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(
        error
            .body_excerpt()
            .is_some_and(|excerpt| excerpt.starts_with("{\"agents\"") || excerpt.starts_with("{\"record_count\"")),
        "{error:?}"
    );
    assert!(fake.requests().iter().all(|r| r.faults == ["truncated_body"]));
}

// ---------------------------------------------------------------------------------------------------------------
// 5. The shape of requests.

#[tokio::test]
async fn a_list_call_sends_exactly_its_query_and_decodes_what_the_fake_holds() {
    let fake = FakeHalo::start().await;
    for team in ["One", "Two", "Three"] {
        fake.add_team(team);
    }
    let jane = fake.add_agent(json!({ "name": "Jane Doe & Co", "email": "jane@example.com", "team_id": 3 }));
    fake.add_agent(json!({ "name": "Jane Doe & Co", "email": "other.jane@example.com", "team_id": 1 }));
    fake.add_agent(json!({ "name": "Someone Else", "team_id": 3 }));
    let client = client(&fake);

    let list = client
        .agents()
        .list()
        .search("jane doe & co")
        .team_id(3)
        .includedisabled(true)
        .exclude_agent(7)
        .this_agent_only(false)
        .teams("1,2")
        .order("name")
        .orderdesc(true)
        .send()
        .await
        .unwrap();

    let request = fake.requests().pop().unwrap();
    assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", "/api/Agent"));
    assert_eq!(
        request.query,
        "excludeAgent=7&includedisabled=true&order=name&orderdesc=true&search=jane%20doe%20%26%20co&team_id=3\
         &teams=1,2&thisAgentOnly=false"
    );
    assert_eq!(
        request.query_pairs,
        pairs(&[
            ("excludeAgent", "7"),
            ("includedisabled", "true"),
            ("order", "name"),
            ("orderdesc", "true"),
            ("search", "jane doe & co"),
            ("team_id", "3"),
            ("teams", "1,2"),
            ("thisAgentOnly", "false"),
        ])
    );
    assert_eq!((request.content_type.as_deref(), request.raw_body.as_str()), (None, ""));
    assert_eq!(request.header("accept"), Some("application/json"));

    assert_eq!(list.record_count, Some(1));
    let decoded = serde_json::to_value(&list.agents).unwrap();
    assert_eq!(decoded, json!([fake.agent(jane).unwrap()]));
}

#[tokio::test]
async fn create_and_update_send_exact_json() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let mut new = Agent::default();
    new.name = Some("New Agent".into());
    new.email = Some("new.agent@example.com".into());
    new.jobtitle = Some("Engineer".into());
    new.isdisabled = Some(false);
    let saved = client.agents().create(new).send().await.unwrap();

    let post = fake.requests().pop().unwrap();
    assert_eq!(post.line(), "POST /api/Agent");
    assert_eq!(post.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        post.body,
        Some(json!([{
            "name": "New Agent",
            "email": "new.agent@example.com",
            "jobtitle": "Engineer",
            "isdisabled": false,
        }]))
    );
    let id = fake.agents()[0]["id"].as_i64().unwrap();
    assert_eq!(saved.id, Some(id32(id)));
    assert_eq!(serde_json::to_value(&saved).unwrap(), fake.agent(id).unwrap());

    // Only the fields that are set, and the id given as the argument.
    let mut change = Agent::default();
    change.jobtitle = Some("Lead Engineer".into());
    client.agents().update(id32(id), change).send().await.unwrap();
    let post = fake.requests().pop().unwrap();
    assert_eq!(post.line(), "POST /api/Agent");
    assert_eq!(post.content_type.as_deref(), Some("application/json"));
    assert_eq!(post.raw_body, format!(r#"[{{"id":{id},"jobtitle":"Lead Engineer"}}]"#));
    let stored = fake.agent(id).unwrap();
    assert_eq!((stored["jobtitle"].as_str(), stored["name"].as_str()), (Some("Lead Engineer"), Some("New Agent")));

    // An update without a positive id, or a create with one, never leaves the client.
    let before = fake.requests().len();
    let error = client.agents().update(0, Agent::default()).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    let mut with_id = Agent::default();
    with_id.id = Some(3);
    let error = client.agents().create(with_id).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(fake.requests().len(), before);
}

#[tokio::test]
async fn string_path_ids_are_percent_encoded() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    // The fake has no /AgentImage: it answers 404, after recording the path as it arrived.
    let error = client.agents().image("a b/c?d#e%f+é").send().await.unwrap_err();
    let encoded = "/AgentImage/a%20b%2Fc%3Fd%23e%25f%2B%C3%A9";
    assert_eq!((error.status(), error.path()), (Some(404), Some(encoded)));
    let request = fake.requests().pop().unwrap();
    assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", format!("/api{encoded}").as_str()));
    assert_eq!(request.query, "");

    // An id that would climb out of the resource is refused before anything is sent.
    let before = fake.requests().len();
    let error = client.agents().image("..").send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(fake.requests().len(), before);
}
