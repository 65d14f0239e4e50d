//! A fake HaloPSA server for tests: it runs in-process on 127.0.0.1 and answers the way Halo does, so a project
//! that uses the `halopsa` crate can test its own code without a Halo tenant. This project's own tests use it too.
//!
//! It serves the OAuth token endpoint (`/auth/token`, client credentials, one or more [`ApiApplication`]s whose
//! scopes decide what a token may reach: 403 otherwise) and, under `/api`, stateful agents, users, teams and clients
//! with Halo's create-or-update POST, its list wrapper and its page cap of 100, `GET /api/Agent/me`, the
//! ticketing side (tickets, actions, assets, sites, invoices, reports, attachments), and the [`Plain`] resources
//! (priorities, SLAs, contracts, projects, appointments, timesheets, quotes, items, webhooks, ...). It fires Halo's
//! webhooks at the webhooks configured through `/api/Webhook` when tickets change ([`FakeHalo::add_webhook`],
//! [`WebhookSettings`] for duplicates, reordering and retries). Faults can be switched on
//! ([`Fault`]: 429s, 503 bursts, revoked tokens, error bodies under status 200, ignored `page_no`, lying record
//! counts, truncated bodies, delays, ...), and every request it received can be read back ([`RecordedRequest`]), as
//! can its records.
//!
//! Add it as a dev-dependency, by path or by git like the `halopsa` crate:
//!
//! ```toml
//! [dev-dependencies]
//! halopsa-fake = { path = "../halopsa-rs/fake" }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! ```
//! use halopsa_fake::{FakeHalo, Fault, Target};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Ten agents in three teams, three clients, nine users (see `FakeHaloBuilder::default_seed`).
//! let fake = FakeHalo::builder().default_seed().start().await;
//! // Point the code under test at it: `halopsa::Client::builder(fake.base_url())
//! //     .client_credentials(fake.client_id(), fake.client_secret())`.
//! let (url, id, secret) = (fake.base_url(), fake.client_id(), fake.client_secret());
//! # let _ = (url, id, secret);
//!
//! // Two 429s on the next agent listings, then normal answers.
//! fake.inject(Fault::rate_limited_retry_after(1).times(2).on(Target::get("/api/Agent")));
//!
//! // ... run the code under test, then look at what it did:
//! assert_eq!(fake.agents().len(), 10);
//! assert!(fake.requests().iter().all(|request| request.method != "DELETE"));
//! # }
//! ```
//!
//! The server runs on 127.0.0.1, on an ephemeral port (unless [`FakeHaloBuilder::port`]), inside the current tokio
//! runtime, and stops when the [`FakeHalo`] is dropped. State lives in memory only. The `fake-halo` binary runs it
//! standalone (`cargo run -p halopsa-fake --bin fake-halo -- --help`).

#![warn(missing_docs)]

mod auth;
mod faults;
mod plain;
mod record;
mod reply;
mod server;
mod state;
mod ticketing;
mod webhooks;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use serde_json::{Value, json};
use tokio::sync::oneshot;

pub use auth::ApiApplication;
pub use faults::{ErrorBody, Fault, FaultId, Injection, RATE_LIMIT_BODY, RateLimit, Target};
pub use plain::Plain;
pub use record::RecordedRequest;
pub use state::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Resource};
pub use ticketing::{CLOSED_STATUS, Ticketing};
pub use webhooks::{WebhookAuth, WebhookSettings, WebhookStats};

use auth::Auth;
use faults::{RateLimiter, SplitMix64};
use server::{Inner, Shared};
use state::{Store, as_object, lenient_id};

/// The client id the fake accepts unless configured otherwise.
pub const DEFAULT_CLIENT_ID: &str = "fake-halo-client";
/// The client secret the fake accepts unless configured otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "fake-halo-secret";
/// The token lifetime unless configured otherwise (what every Halo client assumes).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Configures a [`FakeHalo`] before it starts.
#[derive(Clone, Debug)]
pub struct FakeHaloBuilder {
    client_id: String,
    client_secret: String,
    scopes: Vec<String>,
    agent_id: Option<i64>,
    applications: Vec<ApiApplication>,
    token_lifetime: Duration,
    seed_agents: usize,
    seed_users: usize,
    seed_clients: usize,
    port: u16,
    bare_agent_list: bool,
    rate_limit: Option<RateLimit>,
}

impl Default for FakeHaloBuilder {
    fn default() -> Self {
        FakeHaloBuilder {
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            scopes: vec!["all".into()],
            agent_id: None,
            applications: Vec::new(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            seed_agents: 0,
            seed_users: 0,
            seed_clients: 0,
            port: 0,
            bare_agent_list: false,
            rate_limit: None,
        }
    }
}

impl FakeHaloBuilder {
    /// The lifetime of issued tokens (`expires_in` is its whole seconds).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The client id and secret of the default API application (the token endpoint also accepts those of each
    /// [`api_application`](Self::api_application)).
    pub fn client_credentials(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.client_id = id.into();
        self.client_secret = secret.into();
        self
    }

    /// The scopes the default API application allows (default `all`): its tokens are granted the scopes they ask
    /// for among these, and reach only the endpoints those cover (403 elsewhere). See [`ApiApplication`].
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The agent (by id) the default API application runs as: what `GET /api/Agent/me` answers (default: the agent
    /// with the lowest id).
    pub fn agent(mut self, agent_id: i64) -> Self {
        self.agent_id = Some(agent_id);
        self
    }

    /// Another API application, with credentials, scopes and an agent of its own.
    pub fn api_application(mut self, application: ApiApplication) -> Self {
        self.applications.push(application);
        self
    }

    /// The documented default records, which tests can rely on:
    ///
    /// * teams 1–3: `Support Tier 1`, `Support Tier 2`, `Projects`;
    /// * agents 1–10: `Agent 001` (`agent001@example.com`) to `Agent 010`, round-robin over the three teams (agent 1
    ///   in team 1, agent 2 in team 2, ...), all enabled;
    /// * clients 1–3: `Client 01` to `Client 03`;
    /// * users 1–9: `User 001` (`user001@example.com`) to `User 009`, round-robin over the clients.
    ///
    /// The same as `.seed_clients(3).seed_users(9).seed_agents(10)`. Seed your own records with
    /// [`FakeHalo::add_agent`], [`FakeHalo::add_team`], [`FakeHalo::add_user`], [`FakeHalo::add_client`] or
    /// [`FakeHalo::insert`] once it runs.
    pub fn default_seed(self) -> Self {
        self.seed_clients(3).seed_users(9).seed_agents(10)
    }

    /// Seeds `n` agents (`Agent 001`, `agent001@example.com`, ...) over three seeded teams.
    pub fn seed_agents(mut self, n: usize) -> Self {
        self.seed_agents = n;
        self
    }

    /// Seeds `n` users (`User 001`, ...), spread over the seeded clients.
    pub fn seed_users(mut self, n: usize) -> Self {
        self.seed_users = n;
        self
    }

    /// Seeds `n` clients (`Client 01`, ...).
    pub fn seed_clients(mut self, n: usize) -> Self {
        self.seed_clients = n;
        self
    }

    /// Binds this port instead of an ephemeral one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Answers `GET /api/Agent` with a bare array (see [`FakeHalo::set_bare_agent_list`]).
    pub fn bare_agent_list(mut self, bare: bool) -> Self {
        self.bare_agent_list = bare;
        self
    }

    /// Enforces a server-side rate limit on `/api` requests.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Starts the server.
    ///
    /// # Panics
    /// If the port cannot be bound; use [`FakeHaloBuilder::try_start`] to handle that.
    pub async fn start(self) -> FakeHalo {
        match self.try_start().await {
            Ok(fake) => fake,
            Err(error) => panic!("fake Halo could not start: {error}"),
        }
    }

    /// Starts the server, or says why the port could not be bound.
    pub async fn try_start(self) -> io::Result<FakeHalo> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let mut store = Store::default();
        store.seed_clients(self.seed_clients);
        store.seed_users(self.seed_users);
        if self.seed_agents > 0 {
            store.seed_agents(self.seed_agents);
        }
        let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let seed = u64::from(addr.port()) ^ clock.as_nanos() as u64;
        let mut default_app = ApiApplication::new(self.client_id, self.client_secret).scopes(self.scopes);
        default_app.agent_id = self.agent_id;
        let apps = std::iter::once(default_app).chain(self.applications).collect();
        let auth = Auth::new(apps, self.token_lifetime, seed);
        let mut inner = Inner::new(store, auth, self.rate_limit.map(RateLimiter::new), self.bare_agent_list);
        inner.base_url = format!("http://{addr}");
        let shared = Arc::new(Shared::new(inner));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = server::router(shared.clone());
        webhooks::spawn(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(FakeHalo { shared, addr, shutdown: Some(shutdown) })
    }
}

/// A running fake Halo. Every method takes `&self` and may be called while requests are in flight.
pub struct FakeHalo {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for FakeHalo {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.shared.lock().webhooks.stop();
    }
}

impl std::fmt::Debug for FakeHalo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeHalo").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl FakeHalo {
    /// Starts a fake with the defaults: no records, [`DEFAULT_CLIENT_ID`] / [`DEFAULT_CLIENT_SECRET`], 1 h tokens.
    pub async fn start() -> FakeHalo {
        FakeHalo::builder().start().await
    }

    /// Configures a fake.
    pub fn builder() -> FakeHaloBuilder {
        FakeHaloBuilder::default()
    }

    // ---- addresses and credentials ----

    /// `http://127.0.0.1:PORT`: the API is under `/api`, the token endpoint at `/auth/token`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/api`.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base_url())
    }

    /// `http://127.0.0.1:PORT/auth/token`.
    pub fn token_url(&self) -> String {
        format!("{}{}/token", self.base_url(), self.shared.lock().auth_path)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The client id of the default API application.
    pub fn client_id(&self) -> String {
        self.shared.lock().auth.apps[0].client_id.clone()
    }

    /// The client secret of the default API application.
    pub fn client_secret(&self) -> String {
        self.shared.lock().auth.apps[0].client_secret.clone()
    }

    /// Adds an API application (or replaces the one with the same client id); tokens already issued stay valid.
    pub fn add_api_application(&self, application: ApiApplication) {
        let apps = &mut self.shared.lock().auth.apps;
        match apps.iter_mut().find(|app| app.client_id == application.client_id) {
            Some(existing) => *existing = application,
            None => apps.push(application),
        }
    }

    // ---- tokens ----

    /// How many requests reached the token endpoint (failed ones and faulted ones included).
    pub fn token_requests(&self) -> usize {
        self.shared.lock().token_calls.len()
    }

    /// How many tokens were issued.
    pub fn tokens_issued(&self) -> usize {
        self.shared.lock().auth.issued
    }

    /// The requests the token endpoint received; `body` holds the form fields as a JSON object.
    pub fn token_calls(&self) -> Vec<RecordedRequest> {
        self.shared.lock().token_calls.clone()
    }

    /// Invalidates every token issued so far: the next API call with one of them gets 401.
    pub fn revoke_tokens(&self) {
        self.shared.lock().auth.revoke_all();
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.lock().auth.lifetime = lifetime;
    }

    /// Mints a valid token (scope `all`, for the default application) without a token request (not counted), for
    /// tests that skip the OAuth dance.
    pub fn issue_token(&self) -> String {
        self.shared.lock().auth.issue(Instant::now())
    }

    /// Mints a token of the default application granted exactly these scopes, without a token request.
    pub fn issue_token_with_scopes<I, S>(&self, scopes: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes = scopes.into_iter().map(Into::into).collect();
        self.shared.lock().auth.issue_for(0, scopes, Instant::now())
    }

    // ---- faults and switches ----

    /// Injects a fault (a [`Fault`], or an [`Injection`] built with `.on()`, `.times()`, `.after()`).
    /// Faults apply in injection order; the first one that answers (429, 503, error) stops the walk.
    pub fn inject(&self, fault: impl Into<Injection>) -> FaultId {
        self.shared.lock().faults.inject(fault.into())
    }

    /// Removes one fault; `false` when it was not there.
    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.shared.lock().faults.remove(id)
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// How many times a fault fired (0 once removed).
    pub fn fault_hits(&self, id: FaultId) -> u32 {
        self.shared.lock().faults.hits(id)
    }

    /// Sets (or, with `None`, lifts) the server-side rate limit; the window starts afresh.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.lock().rate_limit = limit.map(RateLimiter::new);
    }

    /// Answers `GET /api/Agent` with a bare JSON array instead of `{"record_count", "agents"}`, as some
    /// tenants were observed to do.
    pub fn set_bare_agent_list(&self, bare: bool) {
        self.shared.lock().bare_agent_list = bare;
    }

    /// Caps pages at `max` records (at least 1) instead of [`MAX_PAGE_SIZE`], whatever `page_size` asks for, and
    /// still echoes the asked `page_size`: a tenant whose silent cap is below the size a pager asked for
    /// (HaloAPI#90).
    pub fn set_max_page_size(&self, max: i64) {
        self.shared.lock().page_cap = max.max(1);
    }

    // ---- recording ----

    /// Every request outside the token endpoint, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Forgets the recorded requests (API and token calls; counters reset with them).
    pub fn clear_requests(&self) {
        let mut inner = self.shared.lock();
        inner.requests.clear();
        inner.token_calls.clear();
    }

    // ---- state ----

    /// Every record of a resource, sorted by id.
    pub fn records(&self, resource: Resource) -> Vec<Value> {
        self.shared.lock().store.records(resource)
    }

    /// One record.
    pub fn record(&self, resource: Resource, id: i64) -> Option<Value> {
        self.shared.lock().store.get(resource, id)
    }

    /// Every agent, sorted by id (disabled ones included).
    pub fn agents(&self) -> Vec<Value> {
        self.records(Resource::Agents)
    }

    /// Every user, sorted by id.
    pub fn users(&self) -> Vec<Value> {
        self.records(Resource::Users)
    }

    /// Every team, sorted by id.
    pub fn teams(&self) -> Vec<Value> {
        self.records(Resource::Teams)
    }

    /// Every client, sorted by id.
    pub fn clients(&self) -> Vec<Value> {
        self.records(Resource::Clients)
    }

    /// One agent.
    pub fn agent(&self, id: i64) -> Option<Value> {
        self.record(Resource::Agents, id)
    }

    /// Stores a record as is: its own positive `id`, or the next one. Agents get `team` / `team_id`
    /// completed from each other when the team exists.
    ///
    /// # Panics
    /// If `record` is not a JSON object.
    #[track_caller]
    pub fn insert(&self, resource: Resource, record: Value) -> i64 {
        assert!(record.is_object(), "fake Halo records are JSON objects, got {record}");
        self.shared.lock().store.insert(resource, as_object(record))
    }

    /// Adds a team named `name`; returns its id.
    pub fn add_team(&self, name: &str) -> i64 {
        self.shared.lock().store.seed_team(name)
    }

    /// Adds an agent (a JSON object); `isdisabled` defaults to `false`. Returns its id.
    ///
    /// # Panics
    /// If `agent` is not a JSON object.
    #[track_caller]
    pub fn add_agent(&self, agent: Value) -> i64 {
        assert!(agent.is_object(), "fake Halo records are JSON objects, got {agent}");
        let mut agent = as_object(agent);
        agent.entry("isdisabled").or_insert(Value::Bool(false));
        self.shared.lock().store.insert(Resource::Agents, agent)
    }

    /// Adds a user (a JSON object). Returns its id.
    ///
    /// # Panics
    /// If `user` is not a JSON object.
    #[track_caller]
    pub fn add_user(&self, user: Value) -> i64 {
        self.insert(Resource::Users, user)
    }

    /// Adds a client (a JSON object). Returns its id.
    ///
    /// # Panics
    /// If `client` is not a JSON object.
    #[track_caller]
    pub fn add_client(&self, client: Value) -> i64 {
        self.insert(Resource::Clients, client)
    }

    /// Seeds `n` more agents as [`FakeHaloBuilder::seed_agents`] does; returns their ids.
    pub fn seed_agents(&self, n: usize) -> Vec<i64> {
        self.shared.lock().store.seed_agents(n)
    }
}

/// The ticketing side (`ticketing.rs`): tickets, actions, assets, sites, invoices, reports, attachments, and the
/// seeded statuses (Closed is [`CLOSED_STATUS`]) and ticket types.
impl FakeHalo {
    /// Every record of a ticketing resource, sorted by id.
    pub fn ticketing_records(&self, resource: Ticketing) -> Vec<Value> {
        self.shared.lock().ticketing.records(resource)
    }

    /// One ticketing record.
    pub fn ticketing_record(&self, resource: Ticketing, id: i64) -> Option<Value> {
        self.shared.lock().ticketing.get(resource, id)
    }

    /// Stores a ticketing record as is (its own positive `id`, or the next one); returns its id.
    ///
    /// # Panics
    /// If `record` is not a JSON object.
    #[track_caller]
    pub fn insert_ticketing(&self, resource: Ticketing, record: Value) -> i64 {
        assert!(record.is_object(), "fake Halo records are JSON objects, got {record}");
        self.shared.lock().ticketing.insert(resource, record)
    }

    /// Moves the authorisation server to another path (default `/auth`), as on instances whose auth server is not
    /// `<instance>/auth`: the token endpoint becomes `{path}/token` (the old one answers 404) and `GET /api/authinfo`
    /// names `{base_url}{path}` as its `auth_url`.
    pub fn set_auth_path(&self, path: &str) {
        self.shared.lock().auth_path = format!("/{}", path.trim_matches('/'));
    }

    /// Lists actions as Halo numbers them (`true`): an action's `id` is its number within its ticket (1, 2, 3, ...),
    /// so `GET /Actions` across tickets answers several actions with the same id; the action is stored, fetched and
    /// updated by its fake-wide id all the same. Off by default (ids unique across tickets).
    pub fn set_action_ids_per_ticket(&self, per_ticket: bool) {
        self.shared.lock().ticketing.action_ids_per_ticket = per_ticket;
    }

    /// The bytes of a stored attachment.
    pub fn attachment_bytes(&self, id: i64) -> Option<Vec<u8>> {
        self.shared.lock().ticketing.file(id).map(|file| file.bytes.clone())
    }

    /// Answers `GET /api/Attachment/{id}` for files of at least `min_bytes` with `{"link": "<url>"}` instead of
    /// the bytes, as Halo does for large files (captured from a real server); `None` serves every file itself.
    ///
    /// The link is on another host name (`localhost` for the fake's `127.0.0.1`) under `/files/`, and, like a
    /// storage service's pre-signed URL, carries its own signature: a request for it that also sends a token is
    /// refused with 400.
    pub fn set_attachment_links(&self, min_bytes: Option<usize>) {
        self.shared.lock().attachment_link_min = min_bytes;
    }
}

/// The plain resources (`plain.rs`): priorities, SLAs, outcomes, categories, lookups, field definitions, client
/// contracts, projects, appointments, timesheets and their events, opportunities, knowledge base articles, quotes,
/// items, suppliers, purchase orders, webhooks and their events, recurring invoices, software licences, custom tables,
/// and the sales orders quotes become. Ids are integers, or uuids (text) for [`Plain::uuid_ids`] resources.
impl FakeHalo {
    /// Every record of a plain resource, in id order (as Halo answers it: a timesheet with its `events`).
    pub fn plain_records(&self, resource: Plain) -> Vec<Value> {
        let inner = self.shared.lock();
        let ids: Vec<String> =
            inner.plain.records(resource).iter().map(|record| plain::id_text(&record["id"])).collect();
        ids.iter().filter_map(|id| inner.plain.get(resource, id)).collect()
    }

    /// One record of a plain resource, by its id (`"42"`, or a uuid).
    pub fn plain_record(&self, resource: Plain, id: impl std::fmt::Display) -> Option<Value> {
        self.shared.lock().plain.get(resource, &id.to_string())
    }

    /// Stores a record of a plain resource as is (its own `id`, else the next one: an integer, or a uuid for
    /// [`Plain::uuid_ids`] resources); returns its id.
    ///
    /// # Panics
    /// If `record` is not a JSON object.
    #[track_caller]
    pub fn insert_plain(&self, resource: Plain, record: Value) -> Value {
        assert!(record.is_object(), "fake Halo records are JSON objects, got {record}");
        self.shared.lock().plain.insert(resource, record)
    }

    /// Seeds what a service desk's configuration has besides the statuses and ticket types every fake has: the
    /// priorities of SLAs 1 and 2 (`Low`, `Medium`, `High`, `Critical`; `priorityid` 1-4 and 5-8; the seeded ticket
    /// types name these SLAs in `default_sla`), outcomes (`Private Note`, `Time Entry`, `Close Ticket`) and categories
    /// (`Hardware>Laptop`, `Hardware>Printer`, `Software`). For issue 20's catalog.
    pub fn seed_catalog(&self) {
        for (sla, first) in [(1, 1), (2, 5)] {
            for (offset, name) in ["Low", "Medium", "High", "Critical"].into_iter().enumerate() {
                let priorityid = first + offset as i64;
                self.insert_plain(
                    Plain::Priorities,
                    json!({ "slaid": sla, "priorityid": priorityid, "name": name, "fixtime": 8 * (4 - offset) }),
                );
            }
        }
        for (id, outcome) in [(1, "Private Note"), (2, "Time Entry"), (3, "Close Ticket")] {
            self.insert_plain(Plain::Outcomes, json!({ "id": id, "outcome": outcome }));
        }
        for (id, value) in [(1, "Hardware>Laptop"), (2, "Hardware>Printer"), (3, "Software")] {
            self.insert_plain(Plain::Categories, json!({ "id": id, "value": value, "type_id": 1 }));
        }
    }
}

/// Webhooks (`webhooks.rs`): the events the fake fires at the webhooks configured through `/api/Webhook`, and the
/// faults of their delivery.
impl FakeHalo {
    /// Configures a webhook as `POST /api/Webhook` would (active, outbound, POST, JSON, one event per request) with
    /// this authentication, and returns its id (a uuid). Set `batch_method`/`batch_limit` through the API to batch.
    pub fn add_webhook(&self, url: &str, auth: WebhookAuth) -> String {
        let mut record = json!({
            "name": "fake webhook", "type": 0, "url": url, "method": 0, "content_type": "application/json",
            "active": true, "authentication_type": 0,
        });
        match &auth {
            WebhookAuth::None => {}
            WebhookAuth::Basic { username, password } => {
                record["authentication_type"] = json!(1);
                record["basic_username"] = json!(username);
                record["basic_password"] = json!(password);
            }
            WebhookAuth::Bearer(_) => record["authentication_type"] = json!(2),
            WebhookAuth::ApiKey { .. } => record["authentication_type"] = json!(3),
        }
        let id = self.insert_plain(Plain::Webhooks, record);
        let id = id.as_str().unwrap_or_default().to_owned();
        self.set_webhook_auth(&id, auth);
        id
    }

    /// Authenticates the webhook's requests this way, whatever its record says (the only way to a Bearer token or
    /// an API key: where Halo keeps them is not documented).
    pub fn set_webhook_auth(&self, webhook_id: &str, auth: WebhookAuth) {
        self.shared.lock().webhooks.auth.insert(webhook_id.to_ascii_lowercase(), auth);
    }

    /// Changes how webhooks are delivered from now on (and reseeds the random choices).
    pub fn set_webhook_settings(&self, settings: WebhookSettings) {
        let mut inner = self.shared.lock();
        inner.webhooks.rng = SplitMix64::new(settings.seed);
        inner.webhooks.settings = settings;
    }

    /// What webhook delivery did so far.
    pub fn webhook_stats(&self) -> WebhookStats {
        self.shared.lock().webhooks.stats
    }

    /// Waits until every event fired so far was delivered or given up on (nothing queued, nothing in flight).
    pub async fn webhooks_settled(&self) {
        let settled = self.shared.lock().webhooks.settled.clone();
        loop {
            let notified = settled.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let inner = self.shared.lock();
                if inner.webhooks.is_settled() || inner.webhooks.stopped {
                    return;
                }
                inner.webhooks.wake.notify_one();
            }
            notified.await;
        }
    }

    /// Changes tickets the way a busy service desk does, until `events` webhook events were fired (per webhook):
    /// new tickets, actions with and without a status change, closing and reopening, through the same code as
    /// `POST /api/Tickets` and `POST /api/Actions`. Deterministic for a `seed`. Returns the events fired (0 without
    /// an active webhook).
    pub fn churn(&self, events: usize, seed: u64) -> usize {
        let mut inner = self.shared.lock();
        if inner.parts().active_webhooks().is_empty() {
            return 0;
        }
        let mut rng = SplitMix64::new(seed);
        let mut fired = 0;
        let mut made = 0u64;
        while fired < events {
            let before = inner.webhooks.stats.events;
            let open: Vec<i64> = inner
                .ticketing
                .records(Ticketing::Tickets)
                .iter()
                .filter(|t| t.get("status_id").and_then(lenient_id) != Some(CLOSED_STATUS))
                .filter_map(|t| t.get("id").and_then(lenient_id))
                .collect();
            let all = inner.ticketing.records(Ticketing::Tickets);
            let left = events - fired;
            let roll = rng.next_f64();
            let body = if all.is_empty() || open.len() < 5 || roll < 0.25 {
                made += 1;
                (Ticketing::Tickets, json!([{ "summary": format!("Churn ticket {made}"), "client_id": made % 3 + 1 }]))
            } else {
                let pick = |rng: &mut SplitMix64, ids: &[i64]| ids[(rng.next_u64() % ids.len() as u64) as usize];
                let ids: Vec<i64> = all.iter().filter_map(|t| t.get("id").and_then(lenient_id)).collect();
                let ticket = if roll < 0.9 { pick(&mut rng, &open) } else { pick(&mut rng, &ids) };
                if left >= 2 && roll < 0.7 {
                    let status = [2, 3, 8, CLOSED_STATUS, CLOSED_STATUS][(rng.next_u64() % 5) as usize];
                    let current = inner.ticketing.get(Ticketing::Tickets, ticket).and_then(|t| t["status_id"].as_i64());
                    let status = if current == Some(status) { 2 } else { status };
                    let body = json!([{ "ticket_id": ticket, "outcome": "Status change", "new_status": status,
                                        "note": format!("Status set to {status}") }]);
                    (Ticketing::Actions, body)
                } else {
                    (Ticketing::Actions, json!([{ "ticket_id": ticket, "note": "Working on it" }]))
                }
            };
            if inner.parts().upsert_ticketing(body.0, &body.1).is_err() {
                break;
            }
            let per_hook = inner.parts().active_webhooks().len().max(1) as u64;
            fired += usize::try_from((inner.webhooks.stats.events - before) / per_hook).unwrap_or(0);
        }
        fired
    }

    /// The ids of the tickets that are not closed, sorted.
    pub fn open_ticket_ids(&self) -> Vec<i64> {
        let tickets = self.shared.lock().ticketing.records(Ticketing::Tickets);
        tickets
            .iter()
            .filter(|t| t.get("status_id").and_then(lenient_id) != Some(CLOSED_STATUS))
            .filter_map(|t| t.get("id").and_then(lenient_id))
            .collect()
    }
}
