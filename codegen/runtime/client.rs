//! The [`Client`] and its [`ClientBuilder`]: configuration, and the one send path every API request takes: a span,
//! the retry driver (`driver.rs`, with the transport of `transport.rs`) and the reading of the answer, every error
//! leaving through [`finish_error`](Client::finish_error).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;

use super::auth::{Auth, Secret, TokenSource};
use super::decode::decode_unchecked;
use super::driver::{Authorize, Driver, Exchange};
use super::error::{Error, Result};
use super::error_body::first_byte;
use super::hooks::{CallKind, Hook, Hooks};
use super::limit::{Limiter, Pace, RateBudget, RateLimit};
use super::permissions;
use super::request::Request;
use super::response::Response;
use super::retry::RetryPolicy;
use super::tls;
use super::transport::{Reply, Transport};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A HaloPSA API client. Cheap to clone (an `Arc` inside) and safe to share between tasks; clones share the
/// connection pool, the token and the rate limiter.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// let client = halopsa::Client::builder("https://acme.halopsa.com")
///     .tenant("acme")
///     .client_credentials("client-id", "client-secret")
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// Every attempt goes through it: the HTTP client, the pacer, the hooks, the default timeout.
    pub(crate) transport: Transport,
    api_url: String,
    pub(crate) auth: Auth,
    pub(crate) retry: RetryPolicy,
    /// Plain http to hosts other than loopback: for the API, the token endpoint and the links Halo answers with.
    allow_insecure_http: bool,
    /// A value of the wrong type in an answer is a decode error (`ClientBuilder::strict_decoding`).
    strict_decoding: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Client")
            .field("api_url", &inner.api_url)
            .field("auth", &inner.auth)
            .field("retry", &inner.retry)
            .field("limiter", &inner.transport.pace)
            .field("timeout", &inner.transport.timeout)
            .field("hooks", &inner.transport.hooks)
            .finish_non_exhaustive()
    }
}

/// The credentials given to a [`ClientBuilder`].
#[derive(Clone, Debug)]
enum Credentials {
    None,
    OAuth { id: String, secret: Secret },
    Bearer(Secret),
}

/// Configures a [`Client`]; made by [`Client::builder`].
///
/// `Debug` shows the configuration with the secret and the token redacted.
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct ClientBuilder {
    base_url: String,
    api_url: Option<String>,
    pub(crate) token_url: Option<String>,
    pub(crate) tenant: Option<String>,
    credentials: Credentials,
    pub(crate) scopes: Option<Vec<String>>,
    timeout: Duration,
    connect_timeout: Option<Duration>,
    http_client: Option<reqwest::Client>,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    rate_budget: Option<RateBudget>,
    allow_insecure_http: bool,
    refresh_margin: Duration,
    hooks: Hooks,
    strict_decoding: bool,
}

impl Client {
    /// Starts configuring a client for the Halo instance at `base_url` (`https://acme.halopsa.com`).
    ///
    /// The API is then at `{base_url}/api` and the token endpoint at `{base_url}/auth/token`; both can be moved
    /// with [`ClientBuilder::api_url`] and [`ClientBuilder::token_url`].
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            api_url: None,
            token_url: None,
            tenant: None,
            credentials: Credentials::None,
            scopes: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: None,
            http_client: None,
            retry: RetryPolicy::default(),
            rate_limit: None,
            rate_budget: None,
            allow_insecure_http: false,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            hooks: Hooks::default(),
            strict_decoding: false,
        }
    }

    /// The API base URL requests are relative to (`https://acme.halopsa.com/api`).
    pub fn api_url(&self) -> &str {
        &self.inner.api_url
    }

    /// Sends `req` and decodes the JSON answer as `T` ([`read_json`]).
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, req: Request) -> Result<Response<T>> {
        self.execute(req, JSON, read_json::<T>).await.map(unbox)
    }

    /// Sends `req` and ignores the answer's body, unless it is one of Halo's error shapes.
    pub(crate) async fn send_empty(&self, req: Request) -> Result<Response<()>> {
        self.execute(req, JSON, |reply| reply.check_error_shape()).await.map(unbox)
    }

    /// Sends `req` and returns the body as bytes (an image, a file): whatever a 2xx answer holds, even text that
    /// looks like one of Halo's error shapes (a JSON file is a file; a non-2xx status is still an error).
    ///
    /// Halo answers some downloads (large files) with `{"link": "<url>"}` instead of the file. Such an answer (JSON,
    /// not marked `Content-Disposition: attachment`, whose `link` is an absolute http(s) URL) is followed: the link
    /// is requested without the Halo token (it carries its own signature, and may be another host), with the same
    /// timeout and retries, and its bytes are returned with its status and headers.
    pub(crate) async fn send_bytes(&self, req: Request) -> Result<Response<Vec<u8>>> {
        let (options, operation) = (req.options.clone(), req.operation);
        let answer = self
            .execute(req, "*/*", |reply| match file_link(&reply) {
                Some(link) => Ok(Download::Link(link)),
                // Without a copy when reqwest's buffer is not shared, which is the usual case.
                None => Ok(Download::File(Vec::from(reply.body))),
            })
            .await?;
        let (download, status, headers) = answer.into_parts();
        match *download {
            Download::File(bytes) => Ok(Response::new(status, headers, bytes)),
            Download::Link(link) => {
                let link = Request::for_link(link, options, operation);
                if let Err(error) = self.check_link(&link) {
                    return Err(self.finish_error(error, &link));
                }
                self.execute(link, "*/*", |reply| Ok(Vec::from(reply.body))).await.map(unbox)
            }
        }
    }

    /// A link is fetched over https, or plain http to loopback or with `allow_insecure_http`, as the API is.
    fn check_link(&self, link: &Request) -> Result<()> {
        let Some(url) = &link.link else { return Ok(()) };
        if url.scheme() == "http" && !self.inner.allow_insecure_http && !is_loopback(url) {
            return Err(Error::decode(format!(
                "halo answered with a link to the file over plain http ({}), which the client refuses; \
                 `allow_insecure_http(true)` allows it",
                url.host_str().unwrap_or_default()
            )));
        }
        Ok(())
    }

    /// Sends `req` through the retry driver, within a span around all its attempts, and decodes the answer with
    /// `decode`; every error leaves through [`finish_error`](Self::finish_error). A 2xx answer whose body is truncated
    /// or not JSON is retried like a transient failure when the request is idempotent, within the same budget.
    ///
    /// Only the loop below is generic: the attempts are the driver's (compiled once, and boxed, so this future
    /// holds a pointer to them), and the decoded value is boxed as soon as it is decoded, so that a large model is
    /// never kept across an await and goes up to `send()` by pointer (BENCHMARKS.md, "Stack and future sizes").
    pub(crate) async fn execute<T>(
        &self,
        req: Request,
        accept: &'static str,
        decode: impl Fn(Reply) -> Result<T>,
    ) -> Result<Response<Box<T>>> {
        let span = request_span(&req);
        let inner = &*self.inner;
        // A file's link goes out as it is, without the Halo token and outside Halo's rate limit; hooks see it without
        // its query (its signature).
        let (url, shown, kind) = match &req.link {
            Some(link) => (link.to_string(), req.path.clone(), CallKind::Link),
            None => {
                let url = format!("{}{}", inner.api_url, req.path_and_query());
                (url.clone(), url, CallKind::Api)
            }
        };
        let outcome = async {
            req.check_path()?;
            let exchange = Exchange {
                kind,
                operation: req.operation,
                method: &req.method,
                url: &url,
                shown: &shown,
                accept,
                body: req.body.as_ref().map(|body| (JSON, body)),
                timeout: req.options.timeout.unwrap_or(inner.transport.timeout),
                idempotent: req.idempotent,
                policy: req.options.retry.as_ref().unwrap_or(&inner.retry),
            };
            let auth = (kind == CallKind::Api).then_some(&inner.auth as &dyn Authorize);
            let mut driver = Driver::new(&inner.transport, auth, exchange, &span);
            loop {
                let mut reply = driver.next().await?;
                let (status, headers) = (reply.status, std::mem::take(&mut reply.headers));
                let error = if status.is_success() {
                    match super::model::decoding(inner.strict_decoding, || decode_boxed(&decode, reply)) {
                        Ok(value) => {
                            let remaining = inner.transport.pace.as_ref().map(|pace| pace.remaining(Instant::now()));
                            return Ok(Response::new(status, headers, value).with_rate_remaining(remaining));
                        }
                        Err(error) => error,
                    }
                } else {
                    reply.api_error()
                };
                driver.reject(error, &headers).await?;
            }
        }
        .instrument(span.clone())
        .await;
        outcome.map_err(|error| self.finish_error(error, &req))
    }

    /// Every error leaves the client through here: it names the request, and carries no secret.
    fn finish_error(&self, error: Error, req: &Request) -> Error {
        let mut secrets = self.inner.auth.secrets();
        let error = match &req.link {
            // A file's link: its host's 401 or 403 says nothing about Halo's scopes, and its query's values (a
            // pre-signed URL's signature) are credentials.
            Some(link) => {
                secrets.extend(link.query_pairs().map(|(_, value)| value.into_owned()));
                if error.method().is_none() { error.with_request(&req.method, &req.path) } else { error }
            }
            // An answer of the API itself (token errors already name the token endpoint): a 401 or 403 says why.
            None if error.method().is_none() => {
                permissions::explain(error, req.scopes, &self.inner.auth).with_request(&req.method, &req.path)
            }
            None => error,
        };
        error.scrub(&secrets)
    }
}

/// What the API answers and is sent.
pub(crate) const JSON: &str = "application/json";

/// One span per call (all its attempts); its fields are recorded on the handle, which works with every
/// subscriber, not only those that track the current span.
fn request_span(req: &Request) -> tracing::Span {
    tracing::debug_span!(
        "halopsa.request",
        method = %req.method,
        path = %req.path,
        status = tracing::field::Empty,
        attempt = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty,
    )
}

/// Decodes and boxes in a frame of its own: a decoded model (15 KB for a ticket) is never by value in the frame of
/// the async function that polls the request, which in a debug build keeps every temporary for the whole poll.
fn decode_boxed<T>(decode: &impl Fn(Reply) -> Result<T>, reply: Reply) -> Result<Box<T>> {
    decode(reply).map(Box::new)
}

/// A response's value out of its box, for the callers that keep it (the escape hatch, `whoami`).
fn unbox<T>(response: Response<Box<T>>) -> Response<T> {
    response.map(|value| *value)
}

/// Reads a JSON answer as `T`. An empty body is a [`Decode`](super::ErrorKind::Decode) error; an error shape under a
/// 2xx status an [`Api`](super::ErrorKind::Api) error.
pub(crate) fn read_json<T: DeserializeOwned>(reply: Reply) -> Result<T> {
    reply.check_error_shape()?;
    decode_unchecked(&reply.body)
}

/// Reads the records a create-or-update saved: Halo answers with one object or an array. An empty body (the save
/// succeeded, but Halo sent nothing back) gives an empty `Vec`.
#[allow(dead_code)] // generated code reads it only if the spec has a create-or-update
pub(crate) fn read_saved<T: DeserializeOwned>(reply: Reply) -> Result<Vec<T>> {
    reply.check_error_shape()?;
    match first_byte(&reply.body) {
        None => Ok(Vec::new()),
        Some(b'[') => decode_unchecked::<Vec<T>>(&reply.body),
        Some(_) => decode_unchecked::<T>(&reply.body).map(|item| vec![item]),
    }
}

/// What a download answered: the file, or a link to it.
enum Download {
    File(Vec<u8>),
    Link(Url),
}

/// The link of Halo's `{"link": "<url>"}` answer to a download: a JSON answer that is not marked as a file, whose
/// `link` member is an absolute http(s) URL with a host.
fn file_link(reply: &Reply) -> Option<Url> {
    if reply.is_file || !reply.content_type.as_deref().is_some_and(|ct| ct.contains("json")) {
        return None;
    }
    if first_byte(&reply.body) != Some(b'{') {
        return None;
    }
    let object = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&reply.body).ok()?;
    let link = Url::parse(object.get("link")?.as_str()?.trim()).ok()?;
    (matches!(link.scheme(), "http" | "https") && link.host().is_some()).then_some(link)
}

impl ClientBuilder {
    /// A builder configured from the environment, as the examples and most scheduled jobs are:
    ///
    /// | variable | |
    /// |---|---|
    /// | `HALO_URL` | required: the instance, `https://acme.halopsa.com` |
    /// | `HALO_CLIENT_ID`, `HALO_CLIENT_SECRET` | required: the API application's client credentials |
    /// | `HALO_TENANT` | the tenant of a Halo-hosted instance, when needed |
    /// | `HALO_SCOPES` | the scopes to ask for, separated by spaces or commas (default `all`) |
    ///
    /// Empty values count as unset. A missing required variable is an
    /// [`ErrorKind::Config`](super::ErrorKind::Config) error that names it. Everything else can still be set on the
    /// builder before `build()`.
    ///
    /// ```no_run
    /// # fn example() -> halopsa::Result<()> {
    /// let client = halopsa::ClientBuilder::from_env()?.build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_env() -> Result<ClientBuilder> {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the variables read through `lookup`.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<ClientBuilder> {
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let required = |name: &str| {
            var(name).ok_or_else(|| {
                Error::config(format!(
                    "the environment variable {name} is not set (HALO_URL, HALO_CLIENT_ID and HALO_CLIENT_SECRET are \
                     required; HALO_TENANT and HALO_SCOPES are optional)"
                ))
            })
        };
        let (url, id, secret) = (required("HALO_URL")?, required("HALO_CLIENT_ID")?, required("HALO_CLIENT_SECRET")?);
        let mut builder = Client::builder(url.trim()).client_credentials(id.trim(), secret);
        if let Some(tenant) = var("HALO_TENANT") {
            builder = builder.tenant(tenant.trim());
        }
        if let Some(scopes) = var("HALO_SCOPES") {
            builder = builder.scopes(scopes.split([' ', ',']).filter(|scope| !scope.is_empty()));
        }
        Ok(builder)
    }

    /// The API base URL, when it is not `{base_url}/api`: an absolute URL, or a path on the base URL.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// The token endpoint, when it is not `{base_url}/auth/token` (a separate auth server, a trial instance):
    /// an absolute URL, or a path on the base URL.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// The tenant of a Halo-hosted instance, sent as `?tenant=` on the token request. Not needed on premise.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Authenticates with OAuth client credentials (an API application in Halo). Tokens are fetched when needed,
    /// cached and refreshed before they expire.
    pub fn client_credentials(mut self, client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        self.credentials = Credentials::OAuth { id: client_id.into(), secret: Secret::new(client_secret) };
        self
    }

    /// The scopes to ask for with [`client_credentials`](Self::client_credentials) (default: `all`).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Authenticates with a token obtained elsewhere, sent as `Authorization: Bearer <token>` and never refreshed.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Credentials::Bearer(Secret::new(token));
        self
    }

    /// The time limit of one attempt, from connecting to the end of the body (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time limit for connecting (default 10 s). Not available with [`http_client`](Self::http_client):
    /// configure that client instead.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Sends through this `reqwest::Client` (for a proxy, custom certificates, a shared pool). [`timeout`] still
    /// applies, per request.
    ///
    /// With the default TLS feature (`rustls-ring`), reqwest has rustls without a crypto provider of its own: give
    /// that client its TLS configuration (`tls_backend_preconfigured`) or install a rustls provider first, or
    /// reqwest panics when it is built.
    ///
    /// [`timeout`]: Self::timeout
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// When and how to retry (default: [`RetryPolicy::default`]; [`RetryPolicy::none`] to turn retries off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Paces requests on the client side, e.g. `RateLimit::per_window(600, Duration::from_secs(300))`, so that
    /// a busy program waits instead of collecting 429s. Off by default.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Paces requests with a budget this client shares with others of the same tenant (a clone of one
    /// [`RateBudget`], or its [`bulk`](RateBudget::bulk) handle for bulk work): together they stay within it, the
    /// budget learns a lower limit from 429s, and interactive clients go first. Instead of
    /// [`rate_limit`](Self::rate_limit), which is a budget of the client's own; `build` refuses both.
    pub fn rate_budget(mut self, budget: RateBudget) -> Self {
        self.rate_budget = Some(budget);
        self
    }

    /// How long before it expires a token is replaced (default 60 s; at most half the token's lifetime).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Whether a value of another type than the spec says (type drift: `"string"` where an integer is expected)
    /// fails the decoding of an answer, naming the field (`ErrorKind::Decode`). Off by default: such a value leaves
    /// the field `None`, is kept and sent back unchanged (see the `models` module), and one `tracing` warning per
    /// field and answer names it. Turn it on in tests, to see drift as an error.
    pub fn strict_decoding(mut self, strict: bool) -> Self {
        self.strict_decoding = strict;
        self
    }

    /// Adds a [`Hook`] that sees every request the client sends (each attempt of each API call, and each token
    /// request) and every answer. Hooks run in the order they were added; see [`Hook`].
    pub fn hook(mut self, hook: impl Hook) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// Allows plain `http://` to hosts other than loopback. Off by default: the client secret and tokens would
    /// cross the network unencrypted.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Checks the configuration and makes the client.
    ///
    /// Fails with an [`ErrorKind::Config`](super::ErrorKind::Config) error on a malformed URL, plain `http://` to a
    /// host that is not loopback (unless allowed), missing credentials, or options that cannot apply together.
    pub fn build(self) -> Result<Client> {
        let base = parse_url("base url", &self.base_url)?;
        let api_url = resolve("api url", &base, self.api_url.as_deref(), "/api")?;
        self.check_transport("api url", &api_url)?;
        let auth = match &self.credentials {
            Credentials::None => {
                return Err(Error::config("no credentials; call `client_credentials(..)` or `bearer_token(..)`"));
            }
            Credentials::Bearer(token) => {
                if self.scopes.is_some() || self.tenant.is_some() || self.token_url.is_some() {
                    return Err(Error::config(
                        "`scopes`, `tenant` and `token_url` apply to `client_credentials`, not to `bearer_token`",
                    ));
                }
                if token.expose().trim().is_empty() {
                    return Err(Error::config("the bearer token is empty"));
                }
                Auth::bearer(token)?
            }
            Credentials::OAuth { id, secret } => {
                if id.trim().is_empty() || secret.expose().is_empty() {
                    return Err(Error::config("the client id and client secret must not be empty"));
                }
                let token_url = resolve("token url", &base, self.token_url.as_deref(), "/auth/token")?;
                self.check_transport("token url", &token_url)?;
                let scopes = match &self.scopes {
                    Some(scopes) if scopes.iter().all(|s| s.trim().is_empty()) => {
                        return Err(Error::config("`scopes` is empty; leave it out to ask for `all`"));
                    }
                    Some(scopes) => scopes.clone(),
                    None => vec!["all".to_owned()],
                };
                Auth::ClientCredentials(TokenSource::new(
                    token_url,
                    self.tenant.as_deref(),
                    id,
                    secret,
                    &scopes,
                    self.refresh_margin,
                    &self.retry,
                ))
            }
        };
        if self.timeout.is_zero() || self.connect_timeout.is_some_and(|timeout| timeout.is_zero()) {
            // reqwest would fail every request at once with a bare "timed out".
            return Err(Error::config("`timeout` and `connect_timeout` must be more than zero"));
        }
        if self.rate_limit.is_some() && self.rate_budget.is_some() {
            return Err(Error::config("`rate_limit` and `rate_budget` both set: a client is paced by one of them"));
        }
        if let Some(limit) = self.rate_limit.or_else(|| self.rate_budget.as_ref().map(RateBudget::configured)) {
            if limit.max == 0 || limit.window.is_zero() {
                return Err(Error::config("a rate limit needs at least one request per non-empty window"));
            }
        }
        let http = match self.http_client {
            Some(client) => {
                if self.connect_timeout.is_some() {
                    return Err(Error::config(
                        "`connect_timeout` cannot be applied to a caller-supplied `http_client`; set it on that client",
                    ));
                }
                client
            }
            None => tls::configure(
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .user_agent(concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"))),
            )
            .map_err(Error::config)?
            .build()
            .map_err(|error| Error::config(format!("cannot create the HTTP client: {error}")).with_source(error))?,
        };
        let mut api_url = api_url.to_string();
        while api_url.ends_with('/') {
            api_url.pop();
        }
        Ok(Client {
            inner: Arc::new(Inner {
                transport: Transport {
                    http,
                    pace: match (self.rate_limit, self.rate_budget) {
                        (Some(limit), _) => Some(Arc::new(Limiter::new(limit)) as Arc<dyn Pace>),
                        (None, Some(budget)) => Some(Arc::new(budget) as Arc<dyn Pace>),
                        (None, None) => None,
                    },
                    hooks: self.hooks,
                    timeout: self.timeout,
                },
                api_url,
                auth,
                retry: self.retry,
                allow_insecure_http: self.allow_insecure_http,
                strict_decoding: self.strict_decoding,
            }),
        })
    }

    /// Plain http only to loopback, unless the caller opted in.
    fn check_transport(&self, what: &str, url: &Url) -> Result<()> {
        if url.scheme() == "https" && !tls::HTTPS && self.http_client.is_none() {
            return Err(Error::config(format!(
                "the {what} is https, but halopsa was built without a TLS backend; enable its `rustls-ring`, \
                 `rustls-aws-lc-rs` or `native-tls` feature"
            )));
        }
        if url.scheme() == "http" && !self.allow_insecure_http && !is_loopback(url) {
            return Err(Error::config(format!(
                "refusing plain http for the {what} ({}): the client secret and tokens would cross the network \
                 unencrypted; use https, or `allow_insecure_http(true)` to opt in",
                url.host_str().unwrap_or_default()
            )));
        }
        Ok(())
    }
}

/// An absolute http(s) URL with a host and without user info, query or fragment.
fn parse_url(what: &str, text: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|error| {
        Error::config(format!(
            "the {what} `{text}` is not a valid absolute URL ({error}); it should look like https://acme.halopsa.com"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(format!("the {what} must start with https:// (got {}://)", url.scheme())));
    }
    if url.host().is_none() {
        return Err(Error::config(format!("the {what} `{text}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in a URL end up in logs; they belong in `client_credentials`.
        return Err(Error::config(format!("the {what} must not contain a user name or password")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "the {what} must not have a query or fragment; use `tenant(..)` for ?tenant="
        )));
    }
    Ok(url)
}

/// An override (absolute, or a path on the base URL), or the default path on the base URL.
fn resolve(what: &str, base: &Url, custom: Option<&str>, default_path: &str) -> Result<Url> {
    let base_path = base.path().trim_end_matches('/');
    match custom.map(str::trim) {
        Some(path) if path.starts_with('/') => {
            let mut url = base.clone();
            url.set_path(&format!("{base_path}{path}"));
            Ok(url)
        }
        Some(absolute) => parse_url(what, absolute),
        None => {
            let mut url = base.clone();
            url.set_path(&format!("{base_path}{default_path}"));
            Ok(url)
        }
    }
}

/// 127.0.0.0/8, ::1 (also as ::ffff:127.x.x.x) and `localhost`.
fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback())
}
