//! The client's tracing output: the spans of requests and token fetches, and the type-drift warnings.
//!
//! These tests are a binary of their own, and take turns (`ONE_AT_A_TIME`). tracing caches per callsite whether any
//! subscriber listens, judged by the dispatchers alive when the callsite is first hit. A callsite first hit by a test
//! on another thread, with no subscriber there, could be cached as uninteresting just as this test installs its own
//! (a race that `rebuild_interest_cache` cannot close: a callsite mid-registration is not in the registry yet). Here
//! no thread runs client code without its subscriber installed first, so there is no such race.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use halopsa::{Client, RetryPolicy};
use halopsa_tests::fake_halo::{FakeHalo, Fault, Target};
use serde_json::json;

/// Held for the whole of each test: one test at a time installs its subscriber and runs client code.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Retries fast enough that a test never waits long for one.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .max_elapsed(Duration::from_secs(2))
}

/// The token of the first API request the fake saw.
fn first_token(fake: &FakeHalo) -> String {
    fake.requests()
        .first()
        .and_then(|r| r.bearer_token().map(str::to_owned))
        .expect("an API request with a bearer token")
}

/// A tracing subscriber that keeps the client's spans (name and fields, later values included) and events.
/// It also tracks the entered spans, which `Span::current()` asks for.
#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<Vec<CapturedSpan>>>,
    events: Arc<Mutex<Vec<String>>>,
    entered: Arc<Mutex<Vec<u64>>>,
}

#[derive(Clone, Debug)]
struct CapturedSpan {
    name: &'static str,
    fields: Vec<(&'static str, String)>,
    metadata: &'static tracing::Metadata<'static>,
}

impl CapturedSpan {
    /// The last value recorded for `field`.
    fn get(&self, field: &str) -> Option<&str> {
        self.fields.iter().rev().find(|(name, _)| *name == field).map(|(_, value)| value.as_str())
    }
}

impl Capture {
    fn spans(&self, name: &str) -> Vec<CapturedSpan> {
        let spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        spans.iter().filter(|span| span.name == name).cloned().collect()
    }

    /// Everything captured, as text.
    fn text(&self) -> String {
        let spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        format!("{spans:?}\n{}", events.join("\n"))
    }
}

struct Fields<'a>(&'a mut Vec<(&'static str, String)>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push((field.name(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name(), format!("{value:?}")));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        // The client's own output only: not the fake's, nor its HTTP stack's.
        metadata.target().starts_with("halopsa")
    }

    fn new_span(&self, attributes: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = Vec::new();
        attributes.record(&mut Fields(&mut fields));
        let mut spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        let metadata = attributes.metadata();
        spans.push(CapturedSpan { name: metadata.name(), fields, metadata });
        tracing::span::Id::from_u64(spans.len() as u64)
    }

    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(span) = usize::try_from(span.into_u64() - 1).ok().and_then(|i| spans.get_mut(i)) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn record_follows_from(&self, _span: &tracing::span::Id, _follows: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        events.push(format!("{} {fields:?}", event.metadata().level()));
    }

    fn enter(&self, span: &tracing::span::Id) {
        self.entered.lock().unwrap_or_else(PoisonError::into_inner).push(span.into_u64());
    }

    fn exit(&self, span: &tracing::span::Id) {
        let mut entered = self.entered.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = entered.iter().rposition(|id| *id == span.into_u64()) {
            entered.remove(at);
        }
    }

    fn current_span(&self) -> tracing_core::span::Current {
        let entered = self.entered.lock().unwrap_or_else(PoisonError::into_inner);
        let spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        let current = entered.last().and_then(|id| Some((*id, spans.get(usize::try_from(*id - 1).ok()?)?.metadata)));
        match current {
            Some((id, metadata)) => tracing_core::span::Current::new(tracing::span::Id::from_u64(id), metadata),
            None => tracing_core::span::Current::none(),
        }
    }
}

// Single-threaded on purpose: the subscriber is this thread's default, and every task runs on this thread.
#[tokio::test(flavor = "current_thread")]
async fn each_request_has_a_span_with_method_path_status_attempt_and_elapsed_but_no_secrets() {
    const SECRET: &str = "trace-s3cret-value";
    const WRONG: &str = "trace-wrong-s3cret";
    let _turn = ONE_AT_A_TIME.lock().await;
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    // Callsites the other test reached first, under its own subscriber, are cached by what that one wanted.
    tracing::callsite::rebuild_interest_cache();

    let fake = FakeHalo::builder().client_credentials("trace-client", SECRET).start().await;
    let id = i32::try_from(fake.add_agent(json!({ "name": "Traced" }))).unwrap();
    fake.inject(Fault::unavailable().times(1).on(Target::get("/api/Agent")));
    let client = Client::builder(fake.base_url())
        .client_credentials("trace-client", SECRET)
        .tenant("trace-tenant")
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    client.agents().get(id).send().await.unwrap();
    client.agents().get(9999).send().await.unwrap_err();
    let bad = Client::builder(fake.base_url())
        .client_credentials("trace-client", WRONG)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    bad.agents().list().send().await.unwrap_err();
    let token = first_token(&fake);

    let requests = capture.spans("halopsa.request");
    assert_eq!(requests.len(), 3, "{requests:?}");
    // The first call: a 503, then a 200 on the second attempt.
    let first = &requests[0];
    assert_eq!(first.get("method"), Some("GET"));
    assert_eq!(first.get("path"), Some(format!("/Agent/{id}").as_str()));
    let recorded: Vec<_> = first.fields.iter().filter(|(name, _)| *name == "status").map(|(_, v)| v.as_str()).collect();
    assert_eq!(recorded, ["503", "200"]);
    assert_eq!(first.get("attempt"), Some("2"));
    assert!(first.get("elapsed_ms").is_some_and(|ms| ms.parse::<u64>().is_ok()), "{first:?}");
    let second = &requests[1];
    assert_eq!(
        (second.get("path"), second.get("status"), second.get("attempt")),
        (Some("/Agent/9999"), Some("404"), Some("1"))
    );
    // The wrong secret never got as far as the API.
    assert_eq!(requests[2].get("status"), None);

    let tokens = capture.spans("halopsa.token");
    let outcomes: Vec<_> = tokens.iter().map(|span| (span.get("path"), span.get("status"))).collect();
    assert_eq!(outcomes, [(Some("/auth/token"), Some("200")), (Some("/auth/token"), Some("401"))]);
    assert!(tokens.iter().all(|span| span.get("elapsed_ms").is_some() && span.get("attempt") == Some("1")));

    let text = capture.text();
    assert!(text.contains("retrying"), "the retry is logged: {text}");
    // Each wait is an INFO event with its length and its reason, so that a long pause is visible.
    let wait = text.lines().find(|line| line.contains("waiting before retrying")).expect("a wait event");
    assert!(wait.starts_with("INFO"), "{wait}");
    assert!(wait.contains("delay_ms") && wait.contains("503 Service Unavailable"), "{wait}");
    for secret in [SECRET, WRONG, token.as_str(), "trace-tenant"] {
        assert!(!text.contains(secret), "`{secret}` in the trace output:\n{text}");
    }
}

/// The fields of one event.
type Event = Vec<(&'static str, String)>;

/// A tracing subscriber that keeps the warnings the client logs.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<Event>>>);

impl tracing::Subscriber for Warnings {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target().starts_with("halopsa") && *metadata.level() == tracing::Level::WARN
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(fields);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

impl Warnings {
    fn field(event: &[(&'static str, String)], name: &str) -> Option<String> {
        event.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone())
    }
}

/// One warning per model field and answer, with the count, not one per record; a second answer warns again.
#[tokio::test]
async fn one_warning_per_field_and_answer() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let warnings = Warnings::default();
    let _guard = tracing::subscriber::set_default(warnings.clone());
    // Callsites the other test reached first, under its own subscriber, are cached by what that one wanted.
    tracing::callsite::rebuild_interest_cache();
    let fake = FakeHalo::start().await;
    for n in 0..3 {
        fake.add_agent(json!({ "name": format!("Old {n}"), "teams": [{"team_id": 1, "role_id": "string"}] }));
    }
    let client =
        Client::builder(fake.base_url()).client_credentials(fake.client_id(), fake.client_secret()).build().unwrap();

    let agents = client.agents().list().send().await.unwrap().agents;
    assert_eq!(agents.iter().filter(|agent| agent.teams.is_some()).count(), 3);
    let events = warnings.0.lock().unwrap().clone();
    assert_eq!(events.len(), 1, "one warning, not one per record: {events:?}");
    assert_eq!(Warnings::field(&events[0], "model").as_deref(), Some("AgentTeam"));
    assert_eq!(Warnings::field(&events[0], "field").as_deref(), Some("role_id"));
    assert_eq!(Warnings::field(&events[0], "count").as_deref(), Some("3"));
    let message = Warnings::field(&events[0], "message").unwrap();
    assert!(message.contains("`AgentTeam.role_id`"), "{message}");

    client.agents().list().send().await.unwrap();
    assert_eq!(warnings.0.lock().unwrap().len(), 2, "each answer says it once");
}
