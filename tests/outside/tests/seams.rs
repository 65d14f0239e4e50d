//! The seams a consumer relies on, from a crate outside the workspace against the fake Halo started in-process: a
//! hook that adds a header to every request, the status and trace id of an answer, the trace id and headers of a
//! Halo error, and one request's own timeout. Runs on tokio's paused clock, so the timeout costs no real time.

use std::time::Duration;

use halopsa::{Client, ErrorKind, HeaderValue, Hook, HookRequest, RetryPolicy};
use halopsa_fake::{FakeHalo, Fault, Target};

/// Tags every request the client sends, as a consumer adding its own header would.
struct Tag;

impl Hook for Tag {
    fn on_request(&self, request: &mut HookRequest<'_>) {
        request.headers_mut().insert("x-consumer", HeaderValue::from_static("outside"));
    }
}

#[tokio::test(start_paused = true)]
async fn hooks_metadata_errors_and_a_timeout_seen_from_a_consumer() {
    let fake = FakeHalo::builder().default_seed().start().await;
    let client = Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .hook(Tag)
        .build()
        .unwrap();

    // Listing agents through the hook: every request the fake received carries its header, the token request too.
    let agents = client.agents().list().all().await.unwrap();
    assert_eq!(agents.len(), 10);
    let received = fake.requests();
    assert!(received.iter().any(|request| request.path == "/api/Agent"));
    for request in &received {
        assert!(
            request.headers.iter().any(|(name, value)| name == "x-consumer" && value == "outside"),
            "{} lacks the hook's header",
            request.line()
        );
    }

    // The status and trace id of an answer.
    let response = client.agents().get(1).send_with_response().await.unwrap();
    let answered = fake.requests().pop().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.trace_id(), Some(answered.trace_id().as_str()));
    assert_eq!(response.value().id, Some(1));

    // A Halo error (the fake's own 404 for an unknown agent): its status, trace id and headers.
    let error = client.agents().get(999).send().await.unwrap_err();
    let answered = fake.requests().pop().unwrap();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.trace_id(), Some(answered.trace_id().as_str()));
    let headers = error.headers().expect("the answer's headers");
    assert_eq!(headers["request-id"], answered.trace_id().as_str());
    assert!(error.to_string().contains(&answered.trace_id()), "{error}");

    // One request's own timeout: the fake holds its answer for a minute, the request gives up after 2 s.
    fake.inject(Fault::Delay(Duration::from_secs(60)).times(1).on(Target::get("/api/Agent/2")));
    let started = tokio::time::Instant::now();
    let error = client
        .agents()
        .get(2)
        .timeout(Duration::from_secs(2))
        .retry_policy(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
    assert!(waited >= Duration::from_secs(2) && waited < Duration::from_secs(60), "waited {waited:?}: {error}");
    // The client's other requests keep the default timeout.
    assert_eq!(client.agents().get(2).send().await.unwrap().id, Some(2));
}
