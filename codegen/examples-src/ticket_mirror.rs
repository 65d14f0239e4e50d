//! Keeps a local copy of a Halo instance's open tickets up to date from its webhooks, and falls back to listing them
//! after a gap.
//!
//! ```text
//! cargo run -p halopsa --example ticket_mirror --features webhooks,webhook-axum -- \
//!     [--listen ADDR] [--public-url URL] [--batch N] [--gap-after SECS] [--fail-every N]
//! ```
//!
//! Reads `HALO_URL`, `HALO_CLIENT_ID`, `HALO_CLIENT_SECRET` (and `HALO_TENANT`) like the other examples; the API
//! application needs the scopes `read:tickets` and `admin` (to create and delete its webhook). Without a Halo
//! tenant, run it against the fake server: `cargo run -p halopsa-fake --bin fake-halo -- --churn 1000` starts
//! changing tickets as soon as the webhook exists.
//!
//! 1. Listens on `--listen` (default `127.0.0.1:0`) for Halo's deliveries at `/halo/webhook`, with a
//!    `halopsa::webhook_receiver::Receiver` that takes Basic credentials made up for this run.
//! 2. Creates a webhook in Halo (`POST /Webhook`) that posts to `--public-url` (default: the local address) with
//!    those credentials, batching up to `--batch` events per request (default: one event per request). In a real
//!    tenant, subscribe it to the ticket events in Halo (Configuration > Integrations > Webhooks > Events).
//! 3. Lists the open tickets (`GET /Tickets?open_only=true`, page by page): the starting copy.
//! 4. Applies each event's ticket: a repeat (same event id) is skipped, an event older than the last one applied to
//!    its ticket is skipped (deliveries overtake each other), a ticket in the "Closed" status leaves the copy.
//!    A delivery it cannot take (here `--fail-every N` fails every Nth one with 500, as a failing store would) is
//!    left for Halo to send again; if it does not within `--gap-after` seconds (default 30), or has not when the
//!    mirror stops, the copy may have missed a change: it lists the open tickets again (a "fallback listing").
//! 5. On Ctrl-C: stops taking deliveries, lists again if there is a gap, deletes its webhook, and prints what it did
//!    and the ids of the open tickets.
#![allow(
    clippy::field_reassign_with_default,
    reason = "struct literals stop compiling outside the crate once the models are #[non_exhaustive]"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use halopsa::models::{Ticket, Webhook};
use halopsa::time::OffsetDateTime;
use halopsa::webhook_receiver::axum::HaloWebhook;
use halopsa::webhook_receiver::{Credentials, Dedupe, DedupeKey, Event, Receiver};
use halopsa::{Client, ClientBuilder};

const USAGE: &str =
    "usage: ticket_mirror [--listen ADDR] [--public-url URL] [--batch N] [--gap-after SECS] [--fail-every N]";
/// Where the mirror takes deliveries.
const PATH: &str = "/halo/webhook";

struct Options {
    listen: SocketAddr,
    public_url: Option<String>,
    batch: i32,
    gap_after: Duration,
    fail_every: u64,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        public_url: None,
        batch: 0,
        gap_after: Duration::from_secs(30),
        fail_every: 0,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value\n{USAGE}"));
        fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
            text.parse().map_err(|_| format!("{flag}: '{text}' is not a valid number"))
        }
        match arg.as_str() {
            "--listen" => {
                options.listen = value()?.parse().map_err(|_| "--listen: not an address like 0.0.0.0:8080")?
            }
            "--public-url" => options.public_url = Some(value()?.clone()),
            "--batch" => options.batch = number(arg, value()?)?,
            "--gap-after" => options.gap_after = Duration::from_secs(number(arg, value()?)?),
            "--fail-every" => options.fail_every = number(arg, value()?)?,
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok(options)
}

/// What each event object is decoded as: its ticket, as the crate's model (other fields stay in `Event::json`).
#[derive(serde::Deserialize)]
struct Payload {
    ticket: Option<Ticket>,
}

/// One ticket of the copy, and the time of the last event applied to it.
#[derive(Default)]
struct Entry {
    open: Option<Ticket>,
    version: Option<OffsetDateTime>,
}

#[derive(Default)]
struct Stats {
    deliveries: u64,
    events: u64,
    repeats: u64,
    applied: u64,
    stale: u64,
    failed: u64,
    fallback_listings: u64,
}

/// The local copy and what the mirror knows about its gaps.
struct Mirror {
    closed_status: i32,
    tickets: BTreeMap<i32, Entry>,
    dedupe: Dedupe,
    /// Events of deliveries answered with 500 that Halo has not sent again yet, and since when.
    unanswered: BTreeMap<DedupeKey, Instant>,
    stats: Stats,
}

impl Mirror {
    fn apply(&mut self, event: Event<Payload>) {
        self.stats.events += 1;
        let key = event.dedupe_key();
        self.unanswered.remove(&key);
        if self.dedupe.contains(&key) {
            self.stats.repeats += 1;
            return;
        }
        let at = event.timestamp().and_then(|time| time.to_offset_date_time());
        if let Some(ticket) = event.into_payload().ticket
            && let Some(id) = ticket.id
        {
            let entry = self.tickets.entry(id).or_default();
            if let (Some(applied), Some(at)) = (entry.version, at)
                && at <= applied
            {
                self.stats.stale += 1;
            } else {
                entry.version = at.or(entry.version);
                let open = ticket.status_id != Some(self.closed_status);
                entry.open = open.then_some(ticket);
                self.stats.applied += 1;
            }
        }
        self.dedupe.insert(key);
    }

    /// Takes a listing of the open tickets as the truth: the first one fills in what no event has said yet; a
    /// fallback listing replaces everything, and no event older than those already seen may undo it.
    fn take_listing(&mut self, open: Vec<Ticket>, fallback: bool) {
        let listed: BTreeMap<i32, Ticket> = open.into_iter().filter_map(|t| Some((t.id?, t))).collect();
        if !fallback {
            for (id, ticket) in listed {
                self.tickets.entry(id).or_insert(Entry { open: Some(ticket), version: None });
            }
            return;
        }
        let newest = self.tickets.values().filter_map(|entry| entry.version).max();
        let ids: BTreeSet<i32> = self.tickets.keys().chain(listed.keys()).copied().collect();
        let mut listed = listed;
        for id in ids {
            let entry = self.tickets.entry(id).or_default();
            entry.open = listed.remove(&id);
            entry.version = newest.max(entry.version);
        }
        self.unanswered.clear();
        self.stats.fallback_listings += 1;
    }

    /// Whether a delivery the mirror failed has not come again within `after` (or at all, with `after` zero).
    fn has_gap(&self, after: Duration) -> bool {
        self.unanswered.values().any(|since| since.elapsed() >= after)
    }

    fn open_ids(&self) -> Vec<i32> {
        self.tickets.iter().filter(|(_, entry)| entry.open.is_some()).map(|(id, _)| *id).collect()
    }
}

#[derive(Clone)]
struct App {
    receiver: Receiver,
    mirror: Arc<Mutex<Mirror>>,
    fail_every: u64,
}

impl FromRef<App> for Receiver {
    fn from_ref(app: &App) -> Receiver {
        app.receiver.clone()
    }
}

impl App {
    fn mirror(&self) -> MutexGuard<'_, Mirror> {
        self.mirror.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One delivery: authenticated and parsed by the extractor (401 or 400 before this runs), applied here.
async fn on_delivery(State(app): State<App>, HaloWebhook(delivery): HaloWebhook<Payload>) -> StatusCode {
    let mut mirror = app.mirror();
    mirror.stats.deliveries += 1;
    if app.fail_every > 0 && mirror.stats.deliveries % app.fail_every == 0 {
        // As a store that fails would: nothing of it is applied, and Halo is told to send it again.
        mirror.stats.failed += 1;
        for event in delivery.events() {
            mirror.unanswered.entry(event.dedupe_key()).or_insert_with(Instant::now);
        }
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    for event in delivery {
        mirror.apply(event);
    }
    StatusCode::OK
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ticket_mirror: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let client = ClientBuilder::from_env().and_then(|builder| builder.build()).map_err(|e| e.to_string())?;
    let statuses = client.statuses().list().send().await.map_err(|e| format!("cannot list statuses: {e}"))?;
    let closed_status = statuses
        .statuses
        .iter()
        .find(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case("closed")))
        .and_then(|s| s.id)
        .ok_or("no status is named \"Closed\"")?;

    // 1. The receiver, with credentials made up for this run.
    let password: String = std::iter::repeat_with(fastrand::alphanumeric).take(32).collect();
    let receiver = Receiver::new(Credentials::basic("halo", password.clone()));
    let mirror = Mirror {
        closed_status,
        tickets: BTreeMap::new(),
        dedupe: Dedupe::new(100_000),
        unanswered: BTreeMap::new(),
        stats: Stats::default(),
    };
    let app = App { receiver, mirror: Arc::new(Mutex::new(mirror)), fail_every: options.fail_every };
    let listener = tokio::net::TcpListener::bind(options.listen).await.map_err(|e| format!("cannot listen: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let router = Router::new().route(PATH, post(on_delivery)).with_state(app.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    // 2. The webhook, then 3. the starting copy: a change made after the webhook exists is not missed.
    let url = options.public_url.clone().unwrap_or_else(|| format!("http://{local}{PATH}"));
    let webhook_id = register_webhook(&client, &url, "halo", &password, options.batch).await?;
    println!("ticket_mirror: listening on {local}, Halo posts to {url} (webhook {webhook_id}); Ctrl-C stops");
    let open = list_open(&client).await?;
    app.mirror().take_listing(open, false);

    // 4. Deliveries arrive meanwhile; a failed one that does not come again is a gap.
    let mut every_second = tokio::time::interval(Duration::from_secs(1));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = every_second.tick() => {
                if app.mirror().has_gap(options.gap_after) {
                    match list_open(&client).await {
                        Ok(open) => app.mirror().take_listing(open, true),
                        Err(message) => eprintln!("ticket_mirror: {message}; trying again in a second"),
                    }
                }
            }
        }
    }

    // 5. Stop taking deliveries, close the gap if there is one, and clean up.
    let _ = stop.send(());
    let _ = server.await;
    if app.mirror().has_gap(Duration::ZERO) {
        let open = list_open(&client).await?;
        app.mirror().take_listing(open, true);
    }
    client
        .webhooks()
        .delete(webhook_id.as_str())
        .send()
        .await
        .map_err(|e| format!("cannot delete the webhook: {e}"))?;
    let mirror = app.mirror();
    let s = &mirror.stats;
    println!(
        "deliveries {}, events {} ({} repeats, {} stale), applied {}, answered 500 to {}, fallback listings {}",
        s.deliveries, s.events, s.repeats, s.stale, s.applied, s.failed, s.fallback_listings
    );
    let open: Vec<String> = mirror.open_ids().iter().map(i32::to_string).collect();
    println!("open tickets: {}", open.join(","));
    Ok(())
}

/// Creates the webhook that posts to `url` with Basic credentials (the one call that writes to Halo, kept here so
/// that it changes in one place).
async fn register_webhook(
    client: &Client,
    url: &str,
    user: &str,
    password: &str,
    batch: i32,
) -> Result<String, String> {
    let mut webhook = Webhook::default();
    webhook.name = Some("ticket_mirror".to_owned());
    webhook.r#type = Some(0); // outbound
    webhook.url = Some(url.to_owned());
    webhook.method = Some(0); // POST
    webhook.content_type = Some("application/json".to_owned());
    webhook.active = Some(true);
    webhook.authentication_type = Some(1); // Basic
    webhook.basic_username = Some(user.to_owned());
    webhook.basic_password = Some(password.to_owned());
    if batch > 0 {
        webhook.batch_method = Some(2); // up to `batch_limit` events per request
        webhook.batch_limit = Some(batch);
    }
    let saved =
        client.webhooks().upsert([webhook]).send().await.map_err(|e| format!("cannot create the webhook: {e}"))?;
    saved.id.ok_or_else(|| "Halo answered without the webhook's id".to_owned())
}

async fn list_open(client: &Client) -> Result<Vec<Ticket>, String> {
    client.tickets().list().open_only(true).all().await.map_err(|e| format!("cannot list the open tickets: {e}"))
}
