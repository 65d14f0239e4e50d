//! Halo's outgoing webhooks: when a ticket is created, its status changes or an action is added, the fake posts an
//! event to the URL of every active webhook configured through `/api/Webhook` (or
//! [`FakeHalo::add_webhook`](crate::FakeHalo::add_webhook)), with the webhook's authentication, one event per
//! request or batched into JSON arrays as the webhook says, and logs every call as a `WebhookEvent`
//! (`/api/WebhookEvent`), as Halo's delivery log does. [`WebhookSettings`] makes the delivery misbehave the way
//! networks and retries do: duplicates, reordering, retries after failures.
//!
//! The payload is the one Halo's guide "Webhook Integration" and a live tenant show (`spec/README.md`,
//! "Webhooks"): `id`, `webhook_id`, `notification_id`, `escmsg_id`, `event`, `message`, `object_id`, `agent_id`,
//! `timestamp` and the `ticket` as stored; an added action also comes as `action` (Halo's guide says the action is
//! sent "where applicable" but not under which key: `action` is the fake's assumption). Event names are the
//! fake's: "New Ticket Logged", "Ticket Status Changed" (as Halo's notification list names them) and "Action Added".
//!
//! Delivery runs in a task of its own: one request at a time, a failed one (5xx, 408, 429, no answer) tried again
//! after [`WebhookSettings::retry_delay`] behind the others, up to [`WebhookSettings::max_attempts`] tries; a 4xx
//! answer is not retried. Halo documents no retry policy of its own; this one lets tests exercise a receiver's
//! handling of retries. Targets are plain `http://` URLs (the fake has no TLS client).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::faults::SplitMix64;
use super::plain::{Plain, PlainStore};
use super::reply::Reply;
use super::state::lenient_id;
use super::ticketing::{Ticketing, TicketingStore};

/// How a webhook authenticates its requests. Halo's webhook records say Basic (`authentication_type` 1, with
/// `basic_username` and `basic_password`) or none (0); where Halo keeps a Bearer token or an API key is not
/// documented, so those are set on the fake with [`FakeHalo::set_webhook_auth`](crate::FakeHalo::set_webhook_auth).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookAuth {
    /// No `Authorization` header.
    None,
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// The key in a header of its own.
    ApiKey {
        /// The header's name.
        header: String,
        /// The key.
        value: String,
    },
}

/// How the fake delivers webhooks: [`FakeHalo::set_webhook_settings`](crate::FakeHalo::set_webhook_settings). The
/// default delivers each event once, in order, trying a failed delivery up to 5 times 50 ms apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    duplicate_every: u32,
    reorder_window: usize,
    max_attempts: u32,
    retry_delay: Duration,
    pub(crate) seed: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            duplicate_every: 0,
            reorder_window: 1,
            max_attempts: 5,
            retry_delay: Duration::from_millis(50),
            seed: 0x5eed,
        }
    }
}

impl WebhookSettings {
    /// Every `n`th delivery that succeeds is sent once more, later, unchanged (same event ids); 0 never does.
    pub fn duplicate_every(mut self, n: u32) -> Self {
        self.duplicate_every = n;
        self
    }

    /// Sends the next delivery at random among the first `n` queued ones (1 sends them in order).
    pub fn reorder_window(mut self, n: usize) -> Self {
        self.reorder_window = n.max(1);
        self
    }

    /// Tries per delivery (at least 1) before the fake gives up on it.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The wait before a failed delivery is tried again.
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// The seed of the random choices (reordering, ids).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// What the fake's webhook delivery did so far: [`FakeHalo::webhook_stats`](crate::FakeHalo::webhook_stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookStats {
    /// Events fired (one per change per webhook).
    pub events: u64,
    /// Deliveries made of them (a batch is one), duplicates included.
    pub deliveries: u64,
    /// Requests sent, retries included.
    pub attempts: u64,
    /// Requests that failed (no 2xx answer).
    pub failed_attempts: u64,
    /// Deliveries that got a 2xx answer.
    pub delivered: u64,
    /// Deliveries the fake gave up on (a 4xx answer, or every try failed).
    pub given_up: u64,
    /// Deliveries sent a second time on purpose ([`WebhookSettings::duplicate_every`]).
    pub duplicates: u64,
}

/// One request's worth of events, as it will be sent (and re-sent) to one webhook.
#[derive(Clone, Debug)]
struct Delivery {
    webhook_id: String,
    body: String,
    object_id: Option<i64>,
    notification_id: i64,
    attempts: u32,
    not_before: Option<Instant>,
    copy: bool,
}

/// Events waiting to fill a batch of one webhook.
#[derive(Debug)]
struct OpenBatch {
    limit: usize,
    events: Vec<Value>,
}

/// The fake's webhook delivery state, inside the server's state (`server::Inner`).
pub(crate) struct WebhookState {
    pub(crate) settings: WebhookSettings,
    pub(crate) auth: BTreeMap<String, WebhookAuth>,
    open: BTreeMap<String, OpenBatch>,
    queue: VecDeque<Delivery>,
    in_flight: bool,
    pub(crate) stats: WebhookStats,
    pub(crate) rng: SplitMix64,
    /// The last event time given, in 100 ns units since 1970 (Halo's 7 fractional digits), so times only increase.
    last_time: u128,
    pub(crate) stopped: bool,
    pub(crate) wake: Arc<Notify>,
    pub(crate) settled: Arc<Notify>,
}

impl Default for WebhookState {
    fn default() -> Self {
        let settings = WebhookSettings::default();
        WebhookState {
            rng: SplitMix64::new(settings.seed),
            settings,
            auth: BTreeMap::new(),
            open: BTreeMap::new(),
            queue: VecDeque::new(),
            in_flight: false,
            stats: WebhookStats::default(),
            last_time: 0,
            stopped: false,
            wake: Arc::new(Notify::new()),
            settled: Arc::new(Notify::new()),
        }
    }
}

impl WebhookState {
    /// Stops the delivery task (the fake is dropped).
    pub(crate) fn stop(&mut self) {
        self.stopped = true;
        self.wake.notify_one();
        self.settled.notify_waiters();
    }

    pub(crate) fn is_settled(&self) -> bool {
        self.queue.is_empty() && self.open.is_empty() && !self.in_flight
    }

    fn uuid(&mut self) -> String {
        let a = self.rng.next_u64();
        let b = self.rng.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// Now, as Halo writes event times (UTC, 7 fractional digits, `Z`), later than every time given before.
    fn timestamp(&mut self) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos() / 100;
        self.last_time = now.max(self.last_time + 1);
        utc_text(self.last_time)
    }

    fn enqueue(&mut self, webhook_id: &str, batch_limit: Option<usize>, event: Value) {
        self.stats.events += 1;
        let object_id = event.get("object_id").and_then(lenient_id);
        let notification_id = event.get("notification_id").and_then(lenient_id).unwrap_or_default();
        match batch_limit {
            None => self.push(Delivery {
                webhook_id: webhook_id.to_owned(),
                body: event.to_string(),
                object_id,
                notification_id,
                attempts: 0,
                not_before: None,
                copy: false,
            }),
            Some(limit) => {
                let batch = self
                    .open
                    .entry(webhook_id.to_owned())
                    .or_insert_with(|| OpenBatch { limit: limit.max(1), events: Vec::new() });
                batch.events.push(event);
                if batch.events.len() >= batch.limit {
                    self.seal(webhook_id);
                }
            }
        }
        self.wake.notify_one();
    }

    fn push(&mut self, delivery: Delivery) {
        self.stats.deliveries += 1;
        self.queue.push_back(delivery);
    }

    /// Turns a webhook's waiting events into one batched delivery.
    fn seal(&mut self, webhook_id: &str) {
        let Some(batch) = self.open.remove(webhook_id) else { return };
        let first = batch.events.first();
        let object_id = first.and_then(|event| event.get("object_id")).and_then(lenient_id);
        let notification_id = first.and_then(|e| e.get("notification_id")).and_then(lenient_id).unwrap_or_default();
        self.push(Delivery {
            webhook_id: webhook_id.to_owned(),
            body: Value::Array(batch.events).to_string(),
            object_id,
            notification_id,
            attempts: 0,
            not_before: None,
            copy: false,
        });
    }

    /// The next delivery to send, or how long to wait for one.
    fn take(&mut self, now: Instant) -> Next {
        if self.stopped {
            return Next::Stop;
        }
        let mut ready: Vec<usize> = self.ready(now);
        if ready.is_empty() && !self.open.is_empty() {
            let open: Vec<String> = self.open.keys().cloned().collect();
            open.iter().for_each(|id| self.seal(id));
            ready = self.ready(now);
        }
        if ready.is_empty() {
            return match self.queue.iter().filter_map(|d| d.not_before).min() {
                Some(at) => Next::Wait(at),
                None => {
                    self.settled.notify_waiters();
                    Next::Idle
                }
            };
        }
        let pick = ready[(self.rng.next_u64() % ready.len() as u64) as usize];
        let Some(delivery) = self.queue.remove(pick) else { return Next::Idle };
        self.in_flight = true;
        Next::Send(delivery)
    }

    fn ready(&self, now: Instant) -> Vec<usize> {
        let window = self.settings.reorder_window;
        let ready = self.queue.iter().enumerate().filter(|(_, d)| d.not_before.is_none_or(|at| at <= now));
        ready.map(|(index, _)| index).take(window).collect()
    }

    /// Books one try of `delivery`: done, tried again later, or given up.
    fn settle(&mut self, mut delivery: Delivery, status: Option<u16>, now: Instant) {
        self.in_flight = false;
        self.stats.attempts += 1;
        delivery.attempts += 1;
        match status {
            Some(200..=299) => {
                self.stats.delivered += 1;
                let every = u64::from(self.settings.duplicate_every);
                if every > 0 && !delivery.copy && self.stats.delivered.is_multiple_of(every) {
                    self.stats.duplicates += 1;
                    self.push(Delivery { attempts: 0, not_before: None, copy: true, ..delivery });
                }
            }
            _ => {
                self.stats.failed_attempts += 1;
                let retry = status.is_none_or(|s| s >= 500 || s == 408 || s == 429);
                if retry && delivery.attempts < self.settings.max_attempts {
                    delivery.not_before = Some(now + self.settings.retry_delay);
                    self.queue.push_back(delivery);
                } else {
                    self.stats.given_up += 1;
                }
            }
        }
        if self.is_settled() {
            self.settled.notify_waiters();
        }
    }
}

enum Next {
    Send(Delivery),
    Wait(Instant),
    Idle,
    Stop,
}

/// Where and how one delivery goes.
struct Target {
    url: String,
    content_type: String,
    auth: WebhookAuth,
}

/// A change to a ticket that webhooks report.
struct Change {
    event: &'static str,
    notification_id: i64,
    message: String,
    ticket: Value,
    action: Option<Value>,
}

const NEW_TICKET: &str = "New Ticket Logged";
const STATUS_CHANGED: &str = "Ticket Status Changed";
const ACTION_ADDED: &str = "Action Added";

/// The parts of the fake's state that webhooks read and change: the server's state lends them
/// (`server::Inner::parts`), so that this module does not depend on the server.
pub(crate) struct Parts<'a> {
    pub(crate) ticketing: &'a mut TicketingStore,
    pub(crate) plain: &'a mut PlainStore,
    pub(crate) webhooks: &'a mut WebhookState,
}

/// What the delivery task needs of the fake: the [`Parts`] under the state's lock (implemented by the server's
/// `Shared`).
pub(crate) trait Locked: Send + Sync + 'static {
    fn with_parts<R>(&self, f: impl FnOnce(Parts<'_>) -> R) -> R;
}

impl Parts<'_> {
    /// Halo's create-or-update of a ticketing resource (`TicketingStore::upsert`), and the webhook events it fires.
    pub(crate) fn upsert_ticketing(&mut self, resource: Ticketing, body: &Value) -> Result<Value, Reply> {
        if self.active_webhooks().is_empty() || !matches!(resource, Ticketing::Tickets | Ticketing::Actions) {
            return self.ticketing.upsert(resource, body);
        }
        let items: Vec<&Value> = match body {
            Value::Array(items) => items.iter().collect(),
            _ => Vec::new(),
        };
        let ticket_of = |item: &Value| match resource {
            Ticketing::Tickets => item.get("id").and_then(lenient_id).filter(|id| *id > 0),
            _ => item.get("ticket_id").and_then(lenient_id),
        };
        let touched: BTreeSet<i64> = items.iter().filter_map(|item| ticket_of(item)).collect();
        let status =
            |ticketing: &TicketingStore, id: i64| ticketing.get(Ticketing::Tickets, id).map(|t| t["status_id"].clone());
        let before: BTreeMap<i64, Option<Value>> =
            touched.iter().map(|id| (*id, status(self.ticketing, *id))).collect();
        let saved = self.ticketing.upsert(resource, body)?;
        let saved_items: Vec<&Value> = match &saved {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let mut changes = Vec::new();
        for (item, record) in items.iter().zip(saved_items) {
            let created = item.get("id").and_then(lenient_id).is_none_or(|id| id <= 0);
            let ticket_id = match resource {
                Ticketing::Tickets => record.get("id").and_then(lenient_id),
                _ => record.get("ticket_id").and_then(lenient_id),
            };
            let Some(ticket) = ticket_id.and_then(|id| self.ticketing.get(Ticketing::Tickets, id)) else { continue };
            let number = ticket_id.unwrap_or_default();
            match (resource, created) {
                (Ticketing::Tickets, true) => changes.push(Change {
                    event: NEW_TICKET,
                    notification_id: 1,
                    message: format!("A new ticket has been logged: Ticket ID: {number:07}."),
                    ticket,
                    action: None,
                }),
                (Ticketing::Actions, true) => changes.push(Change {
                    event: ACTION_ADDED,
                    notification_id: 3,
                    message: format!("An action has been added to Ticket ID: {number:07}."),
                    ticket,
                    action: Some((*record).clone()),
                }),
                _ => {}
            }
        }
        for (id, old) in before {
            let Some(ticket) = self.ticketing.get(Ticketing::Tickets, id) else { continue };
            if old.as_ref() != Some(&ticket["status_id"]) {
                changes.push(Change {
                    event: STATUS_CHANGED,
                    notification_id: 2,
                    message: format!("The status has been changed for Ticket ID: {id:07}."),
                    ticket,
                    action: None,
                });
            }
        }
        self.fire(changes);
        Ok(saved)
    }

    /// The webhooks that fire: active (not `active: false` or `disabled: true`), outbound (`type` 0 or unset), with
    /// a URL. `(id, batch limit)`: `batch_method` 1 or 2 batches up to `batch_limit` events (0: up to 100).
    pub(crate) fn active_webhooks(&self) -> Vec<(String, Option<usize>)> {
        self.plain
            .records(Plain::Webhooks)
            .iter()
            .filter(|hook| {
                hook.get("active") != Some(&Value::Bool(false))
                    && hook.get("disabled") != Some(&Value::Bool(true))
                    && hook.get("type").and_then(lenient_id).unwrap_or(0) == 0
                    && hook.get("url").and_then(Value::as_str).is_some_and(|url| !url.is_empty())
            })
            .filter_map(|hook| {
                let id = hook.get("id")?.as_str()?.to_owned();
                let batched = matches!(hook.get("batch_method").and_then(lenient_id), Some(1 | 2));
                let limit = hook.get("batch_limit").and_then(lenient_id).filter(|n| *n > 0).unwrap_or(100);
                Some((id, batched.then_some(usize::try_from(limit).unwrap_or(100))))
            })
            .collect()
    }

    fn fire(&mut self, changes: Vec<Change>) {
        let hooks = self.active_webhooks();
        for change in changes {
            let timestamp = self.webhooks.timestamp();
            for (webhook_id, batch) in &hooks {
                let mut event = Map::new();
                event.insert("id".into(), json!(self.webhooks.uuid()));
                event.insert("webhook_id".into(), json!(webhook_id));
                event.insert("notification_id".into(), json!(change.notification_id));
                event.insert("escmsg_id".into(), json!(self.webhooks.uuid()));
                event.insert("event".into(), json!(change.event));
                event.insert("message".into(), json!(change.message));
                event.insert("object_id".into(), change.ticket["id"].clone());
                if let Some(agent) = change.ticket.get("agent_id") {
                    event.insert("agent_id".into(), agent.clone());
                }
                event.insert("timestamp".into(), json!(timestamp));
                event.insert("ticket".into(), change.ticket.clone());
                if let Some(action) = &change.action {
                    event.insert("action".into(), action.clone());
                }
                self.webhooks.enqueue(webhook_id, *batch, Value::Object(event));
            }
        }
    }

    /// Where a delivery goes, from the webhook as it is now; `None` once it was deleted.
    fn target(&self, webhook_id: &str) -> Option<Target> {
        let hook = self.plain.get(Plain::Webhooks, webhook_id)?;
        let url = hook.get("url")?.as_str()?.to_owned();
        let text = |key: &str| hook.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let auth = match self.webhooks.auth.get(&webhook_id.to_ascii_lowercase()) {
            Some(auth) => auth.clone(),
            None if hook.get("authentication_type").and_then(lenient_id) == Some(1) => {
                WebhookAuth::Basic { username: text("basic_username"), password: text("basic_password") }
            }
            None => WebhookAuth::None,
        };
        let content_type = Some(text("content_type")).filter(|c| !c.is_empty());
        Some(Target { url, content_type: content_type.unwrap_or_else(|| "application/json".into()), auth })
    }

    /// Logs one call of a webhook as Halo's `WebhookEvent`.
    fn log_call(&mut self, delivery: &Delivery, headers: &str, status: Option<u16>, answer: &str, took: Duration) {
        let timestamp = self.webhooks.timestamp();
        let record = json!({
            "webhook_id": delivery.webhook_id,
            "notification_id": delivery.notification_id,
            "timestamp": timestamp,
            "duration": took.as_secs_f64() * 1000.0,
            "requestheaders": headers,
            "requestbody": delivery.body,
            "responsestatus": status,
            "responsebody": answer.chars().take(4000).collect::<String>(),
            "entity_id": delivery.object_id,
            "error": !status.is_some_and(|s| (200..300).contains(&s)),
        });
        self.plain.insert(Plain::WebhookEvents, record);
    }
}

/// Starts the delivery task of a fake; it ends when the fake is dropped.
pub(crate) fn spawn(shared: Arc<impl Locked>) {
    let wake = shared.with_parts(|parts| parts.webhooks.wake.clone());
    tokio::spawn(async move {
        let client = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
            Ok(client) => client,
            Err(_) => return,
        };
        loop {
            let woken = wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let next = shared.with_parts(|parts| parts.webhooks.take(Instant::now()));
            let delivery = match next {
                Next::Stop => return,
                Next::Idle => {
                    woken.await;
                    continue;
                }
                Next::Wait(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = woken => {}
                    }
                    continue;
                }
                Next::Send(delivery) => delivery,
            };
            let target = shared.with_parts(|parts| parts.target(&delivery.webhook_id));
            let started = Instant::now();
            let (headers, status, answer) = match &target {
                Some(target) => send(&client, target, &delivery.body).await,
                None => (String::new(), None, "the webhook was deleted".to_owned()),
            };
            shared.with_parts(|mut parts| {
                parts.log_call(&delivery, &headers, status, &answer, started.elapsed());
                if target.is_none() {
                    // Nowhere to send it any more: given up at once.
                    let attempts = parts.webhooks.settings.max_attempts;
                    parts.webhooks.settle(Delivery { attempts, ..delivery }, Some(410), Instant::now());
                } else {
                    parts.webhooks.settle(delivery, status, Instant::now());
                }
            });
        }
    });
}

/// One request: the headers as logged (the credentials masked), the status (`None` without an answer) and the
/// answer's body (or what went wrong).
async fn send(client: &reqwest::Client, target: &Target, body: &str) -> (String, Option<u16>, String) {
    let mut request = client.post(&target.url).header("content-type", &target.content_type).body(body.to_owned());
    let mut logged = format!("Content-Type: {}", target.content_type);
    match &target.auth {
        WebhookAuth::None => {}
        WebhookAuth::Basic { username, password } => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            request = request.header("authorization", format!("Basic {encoded}"));
            logged.push_str("\r\nAuthorization: Basic ***");
        }
        WebhookAuth::Bearer(token) => {
            request = request.header("authorization", format!("Bearer {token}"));
            logged.push_str("\r\nAuthorization: Bearer ***");
        }
        WebhookAuth::ApiKey { header, value } => {
            request = request.header(header.as_str(), value.as_str());
            logged.push_str(&format!("\r\n{header}: ***"));
        }
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (logged, Some(status), response.text().await.unwrap_or_default())
        }
        Err(error) => (logged, None, error.to_string()),
    }
}

/// `2026-09-25T06:41:08.7895915Z` from 100 ns units since 1970.
fn utc_text(ticks: u128) -> String {
    let fraction = ticks % 10_000_000;
    let seconds = i64::try_from(ticks / 10_000_000).unwrap_or_default();
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (hour, minute, second) = (second_of_day / 3_600, second_of_day % 3_600 / 60, second_of_day % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{fraction:07}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_halo_writes_them() {
        // 2026-09-25T06:41:08.7895915Z, from the payload of a live tenant.
        assert_eq!(utc_text(17_903_184_687_895_915), "2026-09-25T06:41:08.7895915Z");
        assert_eq!(utc_text(0), "1970-01-01T00:00:00.0000000Z");
        assert_eq!(utc_text(951_782_400 * 10_000_000), "2000-02-29T00:00:00.0000000Z");
    }
}
