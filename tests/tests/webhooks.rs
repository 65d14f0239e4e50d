//! Halo's webhooks end to end (issue 21): `halopsa::webhook_receiver` behind axum receiving what the fake Halo fires
//! when tickets change, the management calls (`client.webhooks()`, `client.webhook_events()`), replaying the delivery
//! log, routing several Halo instances, and what is refused (wrong credentials, bad bodies).
//!
//! New records are built from `Default::default()` with their fields assigned. Every create and update of this file
//! goes through the two macros below, so a change to those calls is made in one place.
#![allow(
    clippy::field_reassign_with_default,
    reason = "struct literals stop compiling outside the crate once the models are #[non_exhaustive]"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use halopsa::models::{Action, Ticket, Webhook};
use halopsa::time::OffsetDateTime;
use halopsa::webhook_receiver::axum::HaloWebhook;
use halopsa::webhook_receiver::{Credentials, Dedupe, Delivery, Endpoint, Receiver, Replay};
use halopsa::{Client, RetryPolicy};
use halopsa_tests::fake_halo::{CLOSED_STATUS, FakeHalo, Plain, WebhookAuth, WebhookSettings};
use serde_json::{Value, json};

/// Creates records through a resource accessor in one request (`create_many(items)`) and returns them as Halo saved them.
macro_rules! create {
    ($accessor:expr, $items:expr) => {
        $accessor.create_many($items).send().await.expect("the records are created")
    };
}

/// Creates or updates one webhook (`upsert([item])`, uuid ids) and returns it as Halo saved it.
macro_rules! upsert {
    ($accessor:expr, $item:expr) => {
        $accessor.upsert([$item]).send().await.expect("the webhook is saved")
    };
}

fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(RetryPolicy::default().max_attempts(2).base_delay(Duration::from_millis(2)))
        .build()
        .expect("the client configuration is valid")
}

/// What each event is decoded as: its ticket, as the curated model.
#[derive(Clone, Debug, serde::Deserialize)]
struct Payload {
    ticket: Option<Ticket>,
}

/// The deliveries a receiver took, and how many it fails with 500 (every `fail_every`th, 0 never).
#[derive(Default)]
struct Taken {
    deliveries: Vec<Delivery<Payload>>,
    calls: u64,
    fail_every: u64,
}

#[derive(Clone)]
struct App {
    receiver: Receiver,
    taken: Arc<Mutex<Taken>>,
}

impl axum::extract::FromRef<App> for Receiver {
    fn from_ref(app: &App) -> Receiver {
        app.receiver.clone()
    }
}

async fn take(State(app): State<App>, HaloWebhook(delivery): HaloWebhook<Payload>) -> StatusCode {
    let mut taken = app.taken.lock().unwrap();
    taken.calls += 1;
    if taken.fail_every > 0 && taken.calls.is_multiple_of(taken.fail_every) {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    taken.deliveries.push(delivery);
    StatusCode::OK
}

/// Serves `receiver` at `path` (any path for "/{*rest}") on 127.0.0.1; returns the base URL and what it takes.
async fn serve(receiver: Receiver, path: &str, fail_every: u64) -> (String, Arc<Mutex<Taken>>) {
    let taken = Arc::new(Mutex::new(Taken { fail_every, ..Taken::default() }));
    let app = Router::new().route(path, post(take)).with_state(App { receiver, taken: taken.clone() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, taken)
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

async fn post_raw(url: &str, headers: &[(&str, &str)], body: impl Into<reqwest::Body>) -> reqwest::Response {
    let mut request = reqwest::Client::new().post(url).header("content-type", "application/json").body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn wrong_credentials_and_bad_bodies_are_refused_before_the_handler() {
    let receiver = Receiver::builder()
        .endpoint(Endpoint::new("basic", Credentials::basic("halo", "s3cret")).path("/basic"))
        .endpoint(Endpoint::new("bearer", Credentials::bearer("t0ken")).path("/bearer"))
        .endpoint(Endpoint::new("key", Credentials::api_key("X-Api-Key", "k3y")).path("/key"))
        .build()
        .unwrap();
    let (base, taken) = serve(receiver, "/{*rest}", 0).await;
    let event = r#"{"id": "e1", "event": "New Ticket Logged", "object_id": 1, "ticket": {"id": 1, "status_id": 1}}"#;
    let right = basic("halo", "s3cret");

    for (path, headers) in [
        ("/basic", vec![]),
        ("/basic", vec![("authorization", basic("halo", "wrong"))]),
        ("/basic", vec![("authorization", basic("other", "s3cret"))]),
        ("/basic", vec![("authorization", "Bearer t0ken".to_owned())]),
        ("/bearer", vec![("authorization", "Bearer t0ken-not".to_owned())]),
        ("/bearer", vec![("authorization", right.clone())]),
        ("/key", vec![("x-api-key", "k3".to_owned())]),
        ("/key", vec![("authorization", "Bearer k3y".to_owned())]),
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let response = post_raw(&format!("{base}{path}"), &headers, event).await;
        assert_eq!(response.status(), 401, "{path} {headers:?}");
        let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        match path {
            "/basic" => assert!(challenge.is_some_and(|c| c.starts_with("Basic ")), "{path}"),
            "/bearer" => assert!(challenge.is_some_and(|c| c.starts_with("Bearer ")), "{path}"),
            _ => assert!(challenge.is_none()),
        }
        let text = response.text().await.unwrap();
        assert!(!text.contains("s3cret") && !text.contains("t0ken") && !text.contains("k3y"), "{text}");
    }
    // Credentials are checked before the body is read: a body over axum's 2 MB limit is still a 401, not a 413.
    let huge = vec![b' '; 3 * 1024 * 1024];
    assert_eq!(post_raw(&format!("{base}/basic"), &[], huge.clone()).await.status(), 401);
    assert_eq!(post_raw(&format!("{base}/basic"), &[("authorization", &right)], huge).await.status(), 413);
    // No endpoint at the path.
    assert_eq!(post_raw(&format!("{base}/elsewhere"), &[("authorization", &right)], event).await.status(), 404);

    // Bad bodies with the right credentials: 400, the whole delivery, and the handler never sees any of it.
    let bad = [
        "not json",
        "",
        "[1, 2]",
        r#"{"id": "e2", "timestamp": 20260101}"#,
        // A ticket that is not an object. (A field of another type inside a ticket, `{"id": "four"}`, is type drift:
        // the field is `None` and its value kept, as in the client's answers, not a bad delivery.)
        r#"[{"id": "e3", "ticket": {"id": 3}}, {"id": "e4", "ticket": "four"}]"#,
    ];
    for body in bad {
        let response = post_raw(&format!("{base}/basic"), &[("authorization", &right)], body).await;
        assert_eq!(response.status(), 400, "{body}");
        let text = response.text().await.unwrap();
        if body.starts_with("[{") {
            assert!(text.starts_with("[1].ticket: "), "names the bad event: {text}");
        }
    }
    assert!(taken.lock().unwrap().deliveries.is_empty());

    // The right credentials on each endpoint.
    for (path, headers) in [
        ("/basic", [("authorization", right.as_str())]),
        ("/bearer", [("authorization", "bearer t0ken")]),
        ("/key", [("X-API-KEY", "k3y")]),
    ] {
        assert_eq!(post_raw(&format!("{base}{path}"), &headers, event).await.status(), 200, "{path}");
    }
    let taken = taken.lock().unwrap();
    let endpoints: Vec<Option<&str>> = taken.deliveries.iter().map(|d| d.endpoint()).collect();
    assert_eq!(endpoints, [Some("basic"), Some("bearer"), Some("key")]);
}

#[tokio::test]
async fn the_fake_fires_typed_ticket_events_at_a_webhook_made_through_the_api() {
    let fake = FakeHalo::builder().seed_clients(1).start().await;
    let client = client(&fake);
    let (base, taken) = serve(Receiver::new(Credentials::basic("halo", "pa55")), "/halo", 0).await;

    // Manage: create a webhook (Basic credentials, one event per request), find it in the list.
    let mut webhook = Webhook::default();
    webhook.name = Some("typed events".into());
    webhook.url = Some(format!("{base}/halo"));
    webhook.r#type = Some(0);
    webhook.active = Some(true);
    webhook.authentication_type = Some(1);
    webhook.basic_username = Some("halo".into());
    webhook.basic_password = Some("pa55".into());
    let saved = upsert!(client.webhooks(), webhook);
    let webhook_id = saved.id.clone().expect("a uuid");
    let listed = client.webhooks().list().send().await.unwrap();
    assert!(listed.webhooks.iter().any(|w| w.id.as_deref() == Some(webhook_id.as_str())));

    // Changes: a ticket created, an action added that closes it.
    let mut ticket = Ticket::default();
    ticket.summary = Some("Printer on fire".into());
    ticket.client_id = Some(1);
    let ticket_id = create!(client.tickets(), [ticket])[0].id.expect("an id");
    let mut close = Action::default();
    close.ticket_id = Some(ticket_id);
    close.note = Some("Put it out.".into());
    close.new_status = Some(CLOSED_STATUS as i32);
    create!(client.actions(), [close]);
    fake.webhooks_settled().await;

    {
        let taken = taken.lock().unwrap();
        let events: Vec<_> = taken.deliveries.iter().flat_map(|d| d.events()).collect();
        assert!(taken.deliveries.iter().all(|d| !d.is_batch() && d.endpoint() == Some("halo")));
        let names: Vec<&str> = events.iter().map(|e| e.event_name().unwrap()).collect();
        assert_eq!(names, ["New Ticket Logged", "Action Added", "Ticket Status Changed"]);
        assert!(events.iter().all(|e| e.webhook_id() == Some(webhook_id.as_str())));
        assert!(events.iter().all(|e| e.object_id() == Some(i64::from(ticket_id))));
        let statuses: Vec<Option<i32>> =
            events.iter().map(|e| e.payload().ticket.as_ref().and_then(|t| t.status_id)).collect();
        assert_eq!(statuses, [Some(1), Some(CLOSED_STATUS as i32), Some(CLOSED_STATUS as i32)]);
        assert_eq!(events[1].json()["action"]["note"], "Put it out.", "the action stays JSON");
        let times: Vec<OffsetDateTime> =
            events.iter().map(|e| e.timestamp().and_then(|t| t.to_offset_date_time()).unwrap()).collect();
        assert!(times.windows(2).all(|pair| pair[0] < pair[1]));
    }

    // Manage: the delivery log, typed; batching switched on through an update.
    let logs = client.webhook_events().list().webhook_id(webhook_id.as_str()).all().await.unwrap();
    assert_eq!(logs.len(), 3);
    assert!(logs.iter().all(|log| log.responsestatus == Some(200) && log.error == Some(false)));
    let mut batching = Webhook::default();
    batching.id = Some(webhook_id.clone());
    batching.batch_method = Some(2);
    batching.batch_limit = Some(10);
    upsert!(client.webhooks(), batching);
    let mut tickets = Vec::new();
    for n in 0..4 {
        let mut ticket = Ticket::default();
        ticket.summary = Some(format!("Batch {n}"));
        tickets.push(ticket);
    }
    create!(client.tickets(), tickets);
    fake.webhooks_settled().await;
    {
        let taken = taken.lock().unwrap();
        let last = taken.deliveries.last().unwrap();
        assert!(last.is_batch());
        assert_eq!(last.events().len(), 4);
    }

    // Manage: delete the webhook; nothing fires any more.
    client.webhooks().delete(webhook_id.as_str()).send().await.unwrap();
    assert!(client.webhooks().list().send().await.unwrap().webhooks.is_empty());
    let before = fake.webhook_stats().events;
    create!(client.tickets(), [Ticket::default()]);
    fake.webhooks_settled().await;
    assert_eq!(fake.webhook_stats().events, before);
}

/// The open tickets a mirror keeps from events: repeats skipped by their dedupe key, and for each ticket the
/// latest event by Halo's timestamp.
#[derive(Default)]
struct Mirror {
    latest: BTreeMap<i32, (OffsetDateTime, bool)>,
    dedupe: Option<Dedupe>,
    repeats: usize,
    stale: usize,
}

impl Mirror {
    fn apply(&mut self, delivery: &Delivery<Payload>) {
        let dedupe = self.dedupe.get_or_insert_with(|| Dedupe::new(10_000));
        for event in delivery.events() {
            if !dedupe.insert(event.dedupe_key()) {
                self.repeats += 1;
                continue;
            }
            let Some(ticket) = &event.payload().ticket else { continue };
            let at = event.timestamp().and_then(|t| t.to_offset_date_time()).expect("a timestamp");
            let open = ticket.status_id != Some(CLOSED_STATUS as i32);
            match self.latest.get(&ticket.id.unwrap()) {
                Some((seen, _)) if *seen >= at => self.stale += 1,
                _ => {
                    self.latest.insert(ticket.id.unwrap(), (at, open));
                }
            }
        }
    }

    fn open(&self) -> Vec<i64> {
        self.latest.iter().filter(|(_, (_, open))| *open).map(|(id, _)| i64::from(*id)).collect()
    }
}

#[tokio::test]
async fn dedupe_keys_and_timestamps_survive_duplicates_reordering_and_retries() {
    let fake = FakeHalo::start().await;
    let settings =
        WebhookSettings::default().duplicate_every(5).reorder_window(8).retry_delay(Duration::from_millis(2)).seed(3);
    fake.set_webhook_settings(settings);
    // The receiver fails every 7th call with 500; the fake sends those again.
    let (base, taken) = serve(Receiver::new(Credentials::bearer("t")), "/h", 7).await;
    fake.add_webhook(&format!("{base}/h"), WebhookAuth::Bearer("t".into()));
    assert_eq!(fake.churn(400, 9), 400);
    fake.webhooks_settled().await;
    let stats = fake.webhook_stats();
    assert!(stats.duplicates > 0 && stats.failed_attempts > 0 && stats.given_up == 0, "{stats:?}");

    let mut mirror = Mirror::default();
    for delivery in &taken.lock().unwrap().deliveries {
        mirror.apply(delivery);
    }
    assert!(mirror.repeats > 0 && mirror.stale > 0, "repeats {} stale {}", mirror.repeats, mirror.stale);
    assert_eq!(mirror.open(), fake.open_ticket_ids());
}

#[tokio::test]
async fn replay_recovers_what_the_log_kept_while_the_receiver_was_down() {
    let fake = FakeHalo::start().await;
    fake.set_webhook_settings(WebhookSettings::default().max_attempts(2).retry_delay(Duration::from_millis(1)));
    let client = client(&fake);
    // Nobody listens at the webhook's URL: every delivery fails and is logged.
    let down = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/halo", listener.local_addr().unwrap())
    };
    let webhook_id = fake.add_webhook(&down, WebhookAuth::Basic { username: "halo".into(), password: "pw".into() });
    assert_eq!(fake.churn(60, 5), 60);
    fake.webhooks_settled().await;
    assert_eq!(fake.webhook_stats().given_up, 60);

    let replay = Replay::new(webhook_id.as_str()).failed_only(true).endpoint("halo");
    let replayed = replay.fetch::<Payload>(&client).await.unwrap();
    assert_eq!(replayed.len(), 120, "two logged tries per delivery, over two pages of the log");
    let times: Vec<_> = replayed.iter().map(|r| r.timestamp().unwrap().to_offset_date_time().unwrap()).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "oldest first");
    let mut mirror = Mirror::default();
    for logged in &replayed {
        assert_eq!(logged.response_status(), None, "nobody answered");
        let delivery = logged.delivery().expect("a logged body is a delivery");
        assert_eq!(delivery.endpoint(), Some("halo"));
        mirror.apply(delivery);
    }
    assert_eq!(mirror.repeats, 60, "each delivery's second try is a repeat");
    assert_eq!(mirror.open(), fake.open_ticket_ids());

    // `since` leaves out what was logged before; nothing succeeded, so `failed_only(false)` reads the same.
    let middle = replayed[60].timestamp().unwrap().clone();
    let later = Replay::new(webhook_id.as_str()).since(middle).fetch::<Payload>(&client).await.unwrap();
    assert_eq!(later.len(), 60);
    let all = Replay::new(webhook_id.as_str()).fetch::<serde_json::Value>(&client).await.unwrap();
    assert_eq!(all.len(), 120);
    // A log entry whose body is not a delivery is reported, not an error of the replay.
    let broken = json!({ "webhook_id": webhook_id, "timestamp": "2020-01-01T00:00:00Z", "requestbody": "{oops",
                         "responsestatus": 500, "error": true });
    fake.insert_plain(Plain::WebhookEvents, broken);
    let with_broken = Replay::new(webhook_id.as_str()).fetch::<Value>(&client).await.unwrap();
    assert_eq!(with_broken.len(), 121);
    assert!(with_broken[0].delivery().unwrap_err().message().contains("not JSON"), "the oldest is the broken one");
}

#[tokio::test]
async fn one_process_serves_two_halo_instances() {
    // One receiver: Acme posts to its own path, Globex and Initech share a path with credentials of their own.
    let receiver = Receiver::builder()
        .endpoint(Endpoint::new("acme", Credentials::basic("halo", "acme")).path("/halo/acme"))
        .endpoint(Endpoint::new("globex", Credentials::bearer("globex")).path("/halo/shared"))
        .endpoint(Endpoint::new("initech", Credentials::bearer("initech")).path("/halo/shared"))
        .build()
        .unwrap();
    let (base, taken) = serve(receiver, "/halo/{tenant}", 0).await;
    let acme = FakeHalo::start().await;
    let globex = FakeHalo::start().await;
    let initech = FakeHalo::start().await;
    acme.add_webhook(
        &format!("{base}/halo/acme"),
        WebhookAuth::Basic { username: "halo".into(), password: "acme".into() },
    );
    globex.add_webhook(&format!("{base}/halo/shared"), WebhookAuth::Bearer("globex".into()));
    initech.add_webhook(&format!("{base}/halo/shared"), WebhookAuth::Bearer("initech".into()));
    // An instance with another instance's credentials at the wrong path is refused (and gives up, 4xx).
    let rogue = FakeHalo::start().await;
    rogue.add_webhook(&format!("{base}/halo/acme"), WebhookAuth::Bearer("globex".into()));
    for (fake, events) in [(&acme, 3), (&globex, 4), (&initech, 5), (&rogue, 2)] {
        fake.churn(events, 1);
        fake.webhooks_settled().await;
    }
    assert_eq!(rogue.webhook_stats().given_up, 2);

    let taken = taken.lock().unwrap();
    let mut per_endpoint: BTreeMap<&str, usize> = BTreeMap::new();
    for delivery in &taken.deliveries {
        *per_endpoint.entry(delivery.endpoint().unwrap()).or_default() += delivery.events().len();
    }
    assert_eq!(per_endpoint, BTreeMap::from([("acme", 3), ("globex", 4), ("initech", 5)]));
}
