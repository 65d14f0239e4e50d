//! The fake's webhooks, seen from a receiver of its own (a few lines of axum), without the client: what it posts
//! when tickets change, with which credentials, batched or not, logged where, and how it retries, repeats and
//! reorders deliveries.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use halopsa_fake::{FakeHalo, Plain, WebhookAuth, WebhookSettings};
use serde_json::{Value, json};

/// What the receiver got: each request's `Authorization` header and body, and how many requests it fails with 500
/// before it answers 200.
#[derive(Default)]
struct Received {
    requests: Vec<(Option<String>, Value)>,
    fail_first: usize,
}

async fn start_receiver(fail_first: usize) -> (String, Arc<Mutex<Received>>) {
    let received = Arc::new(Mutex::new(Received { fail_first, ..Received::default() }));
    async fn take(State(received): State<Arc<Mutex<Received>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let mut received = received.lock().unwrap();
        let auth = headers.get("authorization").map(|value| value.to_str().unwrap().to_owned());
        received.requests.push((auth, serde_json::from_slice(&body).unwrap()));
        if received.requests.len() <= received.fail_first { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
    }
    let app = Router::new().fallback(take).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn post(fake: &FakeHalo, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", fake.api_url()))
        .bearer_auth(fake.issue_token())
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

fn events(received: &Arc<Mutex<Received>>) -> Vec<Value> {
    let received = received.lock().unwrap();
    let mut events = Vec::new();
    for (_, body) in &received.requests {
        match body {
            Value::Array(batch) => events.extend(batch.iter().cloned()),
            single => events.push(single.clone()),
        }
    }
    events
}

#[tokio::test]
async fn ticket_changes_fire_events_with_the_webhooks_credentials() {
    let fake = FakeHalo::start().await;
    let (url, received) = start_receiver(0).await;
    // Through the API, as Halo is configured: Basic credentials on the webhook.
    let webhook = post(
        &fake,
        "/Webhook",
        json!([{ "name": "mirror", "url": url, "type": 0, "active": true, "authentication_type": 1,
                 "basic_username": "halo", "basic_password": "s3cret" }]),
    )
    .await;
    let webhook_id = webhook["id"].as_str().unwrap().to_owned();

    let ticket =
        post(&fake, "/Tickets", json!([{ "summary": "Printer on fire", "client_id": 1, "agent_id": 4 }])).await;
    let ticket_id = ticket["id"].as_i64().unwrap();
    post(&fake, "/Actions", json!([{ "ticket_id": ticket_id, "note": "Looking", "new_status": 9 }])).await;
    post(&fake, "/Tickets", json!([{ "id": ticket_id, "summary": "Printer still on fire" }])).await; // no event
    fake.webhooks_settled().await;

    let events = events(&received);
    let names: Vec<&str> = events.iter().map(|event| event["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["New Ticket Logged", "Action Added", "Ticket Status Changed"]);
    let expected_auth = "Basic aGFsbzpzM2NyZXQ="; // base64("halo:s3cret")
    assert!(
        received
            .lock()
            .unwrap()
            .requests
            .iter()
            .all(|(auth, body)| { auth.as_deref() == Some(expected_auth) && body.is_object() })
    );
    for event in &events {
        assert_eq!(event["webhook_id"], webhook_id.as_str());
        assert_eq!(event["object_id"], ticket_id);
        assert_eq!(event["agent_id"], 4);
        assert_eq!(event["ticket"]["id"], ticket_id);
        for field in ["id", "escmsg_id", "message", "timestamp"] {
            assert!(event[field].is_string(), "{field} in {event}");
        }
        assert!(event["notification_id"].is_i64());
    }
    assert_eq!(events[0]["ticket"]["status_id"], 1, "the ticket as it was when the event fired");
    assert_eq!(events[1]["action"]["note"], "Looking");
    assert_eq!(events[2]["ticket"]["status_id"], 9);
    let times: Vec<&str> = events.iter().map(|event| event["timestamp"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|pair| pair[0] < pair[1]), "{times:?}");
    assert!(times[0].ends_with('Z') && times[0].len() == "2026-09-25T06:41:08.7895915Z".len(), "{}", times[0]);

    // Every call is in Halo's delivery log, with the body sent and the answer.
    let logs = fake.plain_records(Plain::WebhookEvents);
    assert_eq!(logs.len(), 3);
    for (log, (_, body)) in logs.iter().zip(&received.lock().unwrap().requests) {
        assert_eq!(log["webhook_id"], webhook_id.as_str());
        assert_eq!(serde_json::from_str::<Value>(log["requestbody"].as_str().unwrap()).unwrap(), *body);
        assert_eq!((log["responsestatus"].clone(), log["error"].clone()), (json!(200), json!(false)));
        let headers = log["requestheaders"].as_str().unwrap();
        assert!(headers.contains("Authorization: Basic ***") && !headers.contains("aGFsbz"), "{headers}");
    }
}

#[tokio::test]
async fn batching_webhooks_send_arrays_and_other_credentials_are_sent_as_set() {
    let fake = FakeHalo::start().await;
    let (batched_url, batched) = start_receiver(0).await;
    let (bearer_url, bearer) = start_receiver(0).await;
    let (key_url, keyed) = start_receiver(0).await;
    post(&fake, "/Webhook", json!([{ "url": batched_url, "batch_method": 2, "batch_limit": 3 }])).await;
    fake.add_webhook(&bearer_url, WebhookAuth::Bearer("t0ken".into()));
    fake.add_webhook(&key_url, WebhookAuth::ApiKey { header: "X-Api-Key".into(), value: "k3y".into() });

    let tickets: Vec<Value> = (1..=7).map(|n| json!({ "summary": format!("Ticket {n}") })).collect();
    post(&fake, "/Tickets", Value::Array(tickets)).await;
    fake.webhooks_settled().await;

    let sizes: Vec<usize> =
        batched.lock().unwrap().requests.iter().map(|(_, body)| body.as_array().expect("an array").len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    assert!(batched.lock().unwrap().requests.iter().all(|(auth, _)| auth.is_none()));
    assert_eq!(events(&bearer).len(), 7);
    assert!(
        bearer
            .lock()
            .unwrap()
            .requests
            .iter()
            .all(|(auth, body)| { auth.as_deref() == Some("Bearer t0ken") && body.is_object() })
    );
    assert_eq!(events(&keyed).len(), 7);
    assert_eq!(fake.webhook_stats().events, 21);
}

#[tokio::test]
async fn failed_deliveries_are_retried_then_given_up() {
    let fake = FakeHalo::start().await;
    fake.set_webhook_settings(WebhookSettings::default().max_attempts(3).retry_delay(Duration::from_millis(5)));
    // Two 500s, then 200: the first event arrives on its third try.
    let (url, received) = start_receiver(2).await;
    fake.add_webhook(&url, WebhookAuth::None);
    post(&fake, "/Tickets", json!([{ "summary": "One" }])).await;
    fake.webhooks_settled().await;
    let stats = fake.webhook_stats();
    assert_eq!((stats.attempts, stats.failed_attempts, stats.delivered, stats.given_up), (3, 2, 1, 0));
    let bodies: Vec<Value> = received.lock().unwrap().requests.iter().map(|(_, body)| body.clone()).collect();
    assert!(bodies.iter().all(|body| *body == bodies[0]), "a retry sends the same body (the same event id)");

    // A receiver that always fails: three tries, then the fake gives up, and the log says so.
    let (always, _) = start_receiver(usize::MAX).await;
    let second = fake.add_webhook(&always, WebhookAuth::None);
    post(&fake, "/Tickets", json!([{ "summary": "Two" }])).await;
    fake.webhooks_settled().await;
    assert_eq!(fake.webhook_stats().given_up, 1);
    let failed: Vec<Value> = fake
        .plain_records(Plain::WebhookEvents)
        .into_iter()
        .filter(|log| log["webhook_id"] == second.as_str())
        .collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|log| log["responsestatus"] == 500 && log["error"] == true));

    // Nobody listening: no answer at all, logged without a status.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/gone", listener.local_addr().unwrap())
    };
    let third = fake.add_webhook(&closed, WebhookAuth::None);
    post(&fake, "/Tickets", json!([{ "summary": "Three" }])).await;
    fake.webhooks_settled().await;
    let unanswered: Vec<Value> = fake
        .plain_records(Plain::WebhookEvents)
        .into_iter()
        .filter(|log| log["webhook_id"] == third.as_str())
        .collect();
    assert_eq!(unanswered.len(), 3);
    assert!(unanswered.iter().all(|log| log["responsestatus"].is_null() && log["error"] == true));
}

#[tokio::test]
async fn churn_with_duplicates_and_reordering_still_delivers_every_event() {
    let fake = FakeHalo::start().await;
    assert_eq!(fake.churn(10, 1), 0, "no webhook: nothing to fire");
    fake.set_webhook_settings(WebhookSettings::default().duplicate_every(4).reorder_window(6).seed(7));
    let (url, received) = start_receiver(0).await;
    fake.add_webhook(&url, WebhookAuth::None);
    assert_eq!(fake.churn(200, 42), 200);
    fake.webhooks_settled().await;

    let events = events(&received);
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for event in &events {
        *copies.entry(event["id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(copies.len(), 200, "every event arrived");
    let repeated = copies.values().filter(|n| **n > 1).count();
    assert_eq!(repeated as u64, fake.webhook_stats().duplicates);
    assert!(repeated >= 40, "every 4th delivery twice: {repeated}");
    let times: Vec<&str> = events.iter().map(|event| event["timestamp"].as_str().unwrap()).collect();
    assert!(times.windows(2).any(|pair| pair[0] > pair[1]), "some deliveries overtook others");
    let names: BTreeMap<&str, usize> = events.iter().fold(BTreeMap::new(), |mut names, event| {
        *names.entry(event["event"].as_str().unwrap()).or_default() += 1;
        names
    });
    assert_eq!(names.len(), 3, "new tickets, actions and status changes: {names:?}");

    // The same seed makes the same tickets.
    let again = FakeHalo::start().await;
    let (url, _) = start_receiver(0).await;
    again.add_webhook(&url, WebhookAuth::None);
    again.churn(200, 42);
    assert_eq!(again.open_ticket_ids(), fake.open_ticket_ids());
    assert!(!fake.open_ticket_ids().is_empty());
}
