//! Many Halo instances in one process: a [`Pool`] of clients keyed by tenant, each built on first use from a
//! [`Tenant`] (the instance's URL and credentials), with its auth server discovered from the instance.
//!
//! An MSP's tool serves many Halo instances. Each gets a [`Client`] of its own, so each has its own tokens, rate
//! limit, retry policy and hooks, and one tenant's 429s or expired credentials never touch another's. The pool only
//! builds and keeps them; it is built on the public [`ClientBuilder`], so a tenant's client is exactly the client
//! an application would build by hand.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use tokio::sync::OnceCell;

use super::error::{Error, ErrorKind};
use super::{Client, ClientBuilder, Result};

/// What the pool needs to connect to one Halo instance: its URL and its API application's client credentials,
/// and optionally the hosted tenant, the auth server and any other [`ClientBuilder`] setting.
///
/// The URL is the instance, as in a browser: `https://acme.halopsa.com` (Halo-hosted) or
/// `https://halo.example.com` (self-hosted). The API is then at `{url}/api`. Where to get tokens is asked of the
/// instance when the client is built ([`connect`](Self::connect)): `GET {url}/api/authinfo` names the auth server
/// (`auth_url`, the token endpoint being `{auth_url}/token`) and, on Halo-hosted instances, the tenant (`tenant_id`,
/// sent as `?tenant=`). An instance that does not answer it with an `auth_url` (a 404, an older version) gets the
/// usual `{url}/auth/token`. [`auth_url`](Self::auth_url) skips the question, e.g. for a self-hosted instance whose
/// auth server is `https://halo.example.com/auth` or on a host of its own.
///
/// `Debug` shows the configuration without the client secret.
#[derive(Clone)]
#[must_use = "a tenant does nothing until it is connected or handed to a pool"]
pub struct Tenant {
    url: String,
    client_id: String,
    client_secret: String,
    tenant: Option<String>,
    auth_url: Option<String>,
    configure: Option<Arc<dyn Fn(ClientBuilder) -> ClientBuilder + Send + Sync>>,
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("tenant", &self.tenant)
            .field("auth_url", &self.auth_url)
            .field("configure", &self.configure.is_some())
            .finish()
    }
}

/// The part of `GET /api/authinfo` the pool reads (HaloAPI's `Connect-HaloAPI` reads the same two fields).
#[derive(Deserialize)]
struct AuthInfo {
    auth_url: Option<String>,
    tenant_id: Option<String>,
}

impl Tenant {
    /// The instance at `url` (`https://acme.halopsa.com`), with the client credentials of its API application.
    pub fn new(url: impl Into<String>, client_id: impl Into<String>, client_secret: impl Into<String>) -> Tenant {
        Tenant {
            url: url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            tenant: None,
            auth_url: None,
            configure: None,
        }
    }

    /// The tenant of a Halo-hosted instance, sent as `?tenant=` to the token endpoint; without it, the
    /// `tenant_id` the instance names in `/api/authinfo`, if any.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// The auth server (`https://halo.example.com/auth`, or a host of its own): tokens come from
    /// `{auth_url}/token`, and `/api/authinfo` is not asked.
    pub fn auth_url(mut self, url: impl Into<String>) -> Self {
        self.auth_url = Some(url.into());
        self
    }

    /// Any other setting of this tenant's client (scopes, rate limit, retry policy, hooks, timeouts), applied to
    /// the [`ClientBuilder`] before it is built: `.configure(|builder| builder.rate_limit(limit).hook(audit))`.
    /// It runs once for each client built, so it can be a closure over shared values.
    pub fn configure(mut self, f: impl Fn(ClientBuilder) -> ClientBuilder + Send + Sync + 'static) -> Self {
        self.configure = Some(Arc::new(f));
        self
    }

    /// Builds the client: asks the instance where its auth server is (unless [`auth_url`](Self::auth_url) says),
    /// then builds it as [`ClientBuilder::build`] does. No token is fetched yet (the first request does).
    ///
    /// The `/api/authinfo` request needs no token; it is sent once, with the client's timeout, and without its
    /// hooks, retries or rate limit (none of them has started yet).
    ///
    /// Fails with an [`ErrorKind::Config`] error for a configuration `build()` refuses, or with the error of the
    /// `/api/authinfo` request when the instance cannot be reached or answers a server error.
    pub async fn connect(&self) -> Result<Client> {
        let builder = self.builder();
        if let Some(auth_url) = &self.auth_url {
            return builder.token_url(token_url(auth_url)).build();
        }
        if builder.token_url.is_some() {
            // `configure` set the token URL itself: nothing to ask.
            return builder.build();
        }
        // The client as configured, with the default token URL: it checks the configuration (a malformed URL,
        // plain http) and sends the discovery request through the same HTTP client settings.
        let probe = builder.clone().build()?;
        match discover(&probe).await? {
            Some(info) => {
                let mut builder = builder.token_url(token_url(&info.auth_url.unwrap_or_default()));
                if self.tenant.is_none()
                    && let Some(tenant) = info.tenant_id.filter(|tenant| !tenant.trim().is_empty())
                {
                    builder = builder.tenant(tenant);
                }
                builder.build()
            }
            None => Ok(probe),
        }
    }

    fn builder(&self) -> ClientBuilder {
        let mut builder = Client::builder(self.url.trim_end_matches('/'))
            .client_credentials(self.client_id.clone(), self.client_secret.clone());
        if let Some(tenant) = &self.tenant {
            builder = builder.tenant(tenant.clone());
        }
        match &self.configure {
            Some(configure) => configure(builder),
            None => builder,
        }
    }
}

/// `{auth_url}/token`.
fn token_url(auth_url: &str) -> String {
    format!("{}/token", auth_url.trim().trim_end_matches('/'))
}

/// Asks the instance where its auth server is. `None` when it does not say (an answer that is not a success, not
/// JSON, or without an `auth_url`): the default token URL applies, as in HaloAPI. A request that fails (no
/// connection, a timeout) or a server error is an error, so that a pool asks again next time.
async fn discover(probe: &Client) -> Result<Option<AuthInfo>> {
    let url = format!("{}/authinfo", probe.api_url().trim_end_matches('/'));
    let inner = &probe.inner;
    let failed = |message: String| Error::new(ErrorKind::Network, message).with_request(&reqwest::Method::GET, &url);
    let response = inner
        .transport
        .http
        .get(&url)
        .timeout(inner.transport.timeout)
        .send()
        .await
        .map_err(|error| failed(format!("cannot ask the instance where its auth server is: {error}")))?;
    let status = response.status();
    if status.is_server_error() {
        return Err(Error::new(ErrorKind::Api, format!("asking where the auth server is: halo answered {status}"))
            .with_request(&reqwest::Method::GET, &url)
            .with_status(status.as_u16()));
    }
    if !status.is_success() {
        tracing::warn!(%url, %status, "halopsa: the instance does not name its auth server; using {{url}}/auth/token");
        return Ok(None);
    }
    let body = response.bytes().await.map_err(|error| failed(format!("reading /api/authinfo: {error}")))?;
    match serde_json::from_slice::<AuthInfo>(&body) {
        Ok(info) if info.auth_url.as_deref().is_some_and(|url| !url.trim().is_empty()) => Ok(Some(info)),
        _ => {
            tracing::warn!(%url, "halopsa: /api/authinfo names no auth_url; using {{url}}/auth/token");
            Ok(None)
        }
    }
}

/// One client per Halo instance (tenant), built on first use and kept: for a program that serves many instances.
///
/// The pool is keyed by whatever names a tenant in the application (`String`, a customer id, an enum). The first
/// [`client`](Self::client) call for a key asks the loader for that tenant's [`Tenant`] configuration and builds
/// its client ([`Tenant::connect`], which asks the instance where its auth server is); later calls return that
/// client (a cheap clone), and callers arriving while it is being built wait for the same build. A build that
/// fails is not kept: the next call tries again.
///
/// Each tenant's client is a client of its own: its own tokens, rate limit, retry policy and hooks (whatever the
/// tenant's [`Tenant::configure`] sets), its own connections. [`forget`](Self::forget) drops one, so that the next
/// call builds it again from the loader (after its credentials changed, say). `Pool` is cheap to clone; clones share
/// the clients.
///
/// ```no_run
/// # async fn example() -> halopsa::Result<()> {
/// use std::time::Duration;
///
/// use halopsa::{Pool, RateLimit, Tenant};
///
/// let pool: Pool<String> = Pool::new(|name: &String| {
///     // Looked up once per tenant, when its client is first needed; `None`: no such tenant.
///     let secret = std::env::var(format!("HALO_SECRET_{}", name.to_uppercase())).ok()?;
///     let tenant = Tenant::new(format!("https://{name}.halopsa.com"), "client-id", secret)
///         .configure(|builder| builder.rate_limit(RateLimit::per_window(500, Duration::from_secs(300))));
///     Some(tenant)
/// });
/// let acme = pool.client(&"acme".to_owned()).await?;
/// let open = acme.tickets().list().open_only(true).all().await?;
/// # let _ = open;
/// # Ok(())
/// # }
/// ```
pub struct Pool<K> {
    inner: Arc<PoolInner<K>>,
}

type Loader<K> = dyn Fn(&K) -> Option<Tenant> + Send + Sync;

struct PoolInner<K> {
    load: Box<Loader<K>>,
    clients: Mutex<BTreeMap<K, Arc<OnceCell<Client>>>>,
}

impl<K> Clone for Pool<K> {
    fn clone(&self) -> Self {
        Pool { inner: self.inner.clone() }
    }
}

impl<K: fmt::Debug> fmt::Debug for Pool<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clients = self.inner.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let built: Vec<&K> = clients.iter().filter(|(_, cell)| cell.initialized()).map(|(key, _)| key).collect();
        f.debug_struct("Pool").field("clients", &built).finish_non_exhaustive()
    }
}

impl<K: Ord + Clone + fmt::Debug + Send + Sync + 'static> Pool<K> {
    /// A pool whose tenants are configured by `load`, called once for each tenant when its client is first needed
    /// (and again after [`forget`](Self::forget), or after a build failed). `None` means there is no such tenant:
    /// [`client`](Self::client) then fails with an [`ErrorKind::Config`] error naming the key.
    pub fn new(load: impl Fn(&K) -> Option<Tenant> + Send + Sync + 'static) -> Pool<K> {
        Pool { inner: Arc::new(PoolInner { load: Box::new(load), clients: Mutex::new(BTreeMap::new()) }) }
    }

    /// The client of tenant `key`, built on first use (see [`Pool`]).
    pub async fn client(&self, key: &K) -> Result<Client> {
        let cell = self.lock().entry(key.clone()).or_default().clone();
        let built = cell
            .get_or_try_init(|| async {
                let tenant = (self.inner.load)(key)
                    .ok_or_else(|| Error::config(format!("no tenant {key:?} is configured in this pool")))?;
                tenant.connect().await
            })
            .await
            .cloned();
        if built.is_err() {
            // Nothing kept for a tenant whose build failed (unless another call has built it meanwhile).
            let mut clients = self.lock();
            if clients.get(key).is_some_and(|kept| Arc::ptr_eq(kept, &cell) && !kept.initialized()) {
                clients.remove(key);
            }
        }
        built
    }

    /// Drops the client of tenant `key`, if one was built; the next [`client`](Self::client) call builds a new one
    /// from the loader. Requests already made with the old client finish with it. Returns whether there was one.
    pub fn forget(&self, key: &K) -> bool {
        self.lock().remove(key).is_some_and(|cell| cell.initialized())
    }

    /// The tenants whose client is built, in key order.
    pub fn tenants(&self) -> Vec<K> {
        self.lock().iter().filter(|(_, cell)| cell.initialized()).map(|(key, _)| key.clone()).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<K, Arc<OnceCell<Client>>>> {
        // A panic while the map was held cannot leave it half-changed (each change is one call).
        self.inner.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
