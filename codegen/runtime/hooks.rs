//! [`Hook`]: code of the application that sees every HTTP request the client sends (each attempt of each API
//! call, retries included, each token request, and each request for a file Halo answered with a link to) before it
//! goes out, and every answer or failure after it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

/// Observes and adjusts the requests of a [`Client`](super::Client); registered with
/// [`ClientBuilder::hook`](super::ClientBuilder::hook).
///
/// [`on_request`](Self::on_request) runs before every HTTP request the client sends, with the request's headers
/// and timeout open to change: each attempt of an API call (so a call retried twice after a 429 runs it three
/// times, and the retry after a 401 and a fresh token once more), each token request ([`CallKind::Token`]), and
/// each request for a file that Halo answered a download with a link to ([`CallKind::Link`]). [`on_response`](Self::on_response) runs after each of them, with the status and headers
/// of the answer (its body read) or the network failure. Hooks run in the order they were registered, on the task
/// that sends the request; they are synchronous, so keep them short (count, log, add a header). A panic in a hook
/// is not caught.
///
/// The `Authorization` header is added after the hooks ran: they never see the token, and cannot replace it.
/// The body is not shown: it may hold the client secret (token requests) or passwords.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use halopsa::{Hook, HookRequest, HookResponse, HeaderValue};
///
/// #[derive(Default)]
/// struct Metrics {
///     attempts: AtomicU64,
/// }
///
/// impl Hook for Metrics {
///     fn on_request(&self, request: &mut HookRequest<'_>) {
///         self.attempts.fetch_add(1, Ordering::Relaxed);
///         request.headers_mut().insert("x-app", HeaderValue::from_static("payroll-sync"));
///     }
///     fn on_response(&self, response: &HookResponse<'_>) {
///         eprintln!("{} {} -> {:?} in {:?}", response.method(), response.url(), response.status(), response.elapsed());
///     }
/// }
///
/// # fn main() -> halopsa::Result<()> {
/// let metrics = std::sync::Arc::new(Metrics::default());
/// let client = halopsa::Client::builder("https://acme.halopsa.com")
///     .client_credentials("client-id", "client-secret")
///     .hook(metrics.clone())
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub trait Hook: Send + Sync + 'static {
    /// Before a request is sent: add or change headers, change its timeout, log it, count it.
    fn on_request(&self, request: &mut HookRequest<'_>) {
        let _ = request;
    }

    /// After the answer's status, headers and body arrived, or the request failed without an answer.
    fn on_response(&self, response: &HookResponse<'_>) {
        let _ = response;
    }
}

impl<H: Hook + ?Sized> Hook for Arc<H> {
    fn on_request(&self, request: &mut HookRequest<'_>) {
        (**self).on_request(request);
    }

    fn on_response(&self, response: &HookResponse<'_>) {
        (**self).on_response(response);
    }
}

/// What a request a [`Hook`] sees is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallKind {
    /// An attempt of an API call: a generated operation, a listing's page, or [`Client::request`](super::Client::request).
    Api,
    /// A request to the token endpoint (client credentials).
    Token,
    /// A request for a file that Halo answered a download with a link to (`{"link": "<url>"}`): sent without the
    /// Halo token; [`HookRequest::url`] shows it without its query, which holds the link's signature.
    Link,
}

/// Where a request stands: shared by [`HookRequest`] and [`HookResponse`].
#[derive(Clone, Copy)]
pub(crate) struct CallInfo<'a> {
    pub(crate) kind: CallKind,
    pub(crate) operation: Option<&'static str>,
    pub(crate) attempt: u32,
    pub(crate) method: &'a Method,
    /// The full URL; the query included (a token URL's carries the tenant, never a secret).
    pub(crate) url: &'a str,
}

/// A request about to be sent, as a [`Hook`] sees it.
pub struct HookRequest<'a> {
    info: CallInfo<'a>,
    headers: &'a mut HeaderMap,
    timeout: &'a mut Duration,
}

impl fmt::Debug for HookRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookRequest")
            .field("kind", &self.info.kind)
            .field("operation", &self.info.operation)
            .field("attempt", &self.info.attempt)
            .field("method", self.info.method)
            .field("url", &self.info.url)
            .finish_non_exhaustive()
    }
}

impl HookRequest<'_> {
    /// An API call, a token request or a file's link.
    pub fn kind(&self) -> CallKind {
        self.info.kind
    }

    /// The spec's `operationId` of a generated operation (`listAgents`); `None` for token requests, listings'
    /// pages are their list operation's.
    pub fn operation(&self) -> Option<&str> {
        self.info.operation
    }

    /// The attempt of this call, from 1; a retry after a 401 and a fresh token keeps its number.
    pub fn attempt(&self) -> u32 {
        self.info.attempt
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        self.info.method
    }

    /// The full URL, with the query string (a file's link without it: [`CallKind::Link`]).
    pub fn url(&self) -> &str {
        self.info.url
    }

    /// The headers set so far (`Accept`, `Content-Type`; not `Authorization`, which is added after the hooks).
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }

    /// The headers, to add or change one: `request.headers_mut().insert("x-app", HeaderValue::from_static("sync"))`.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.headers
    }

    /// The time limit of this attempt (the request's `.timeout(..)`, or the client's).
    pub fn timeout(&self) -> Duration {
        *self.timeout
    }

    /// Changes the time limit of this attempt.
    pub fn set_timeout(&mut self, timeout: Duration) {
        *self.timeout = timeout;
    }
}

/// The outcome of one request, as a [`Hook`] sees it.
pub struct HookResponse<'a> {
    info: CallInfo<'a>,
    outcome: Result<(StatusCode, &'a HeaderMap), &'a (dyn std::error::Error + Send + Sync + 'static)>,
    elapsed: Duration,
}

impl fmt::Debug for HookResponse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookResponse")
            .field("kind", &self.info.kind)
            .field("operation", &self.info.operation)
            .field("attempt", &self.info.attempt)
            .field("method", self.info.method)
            .field("url", &self.info.url)
            .field("status", &self.status())
            .field("elapsed", &self.elapsed)
            .finish_non_exhaustive()
    }
}

impl HookResponse<'_> {
    /// An API call, a token request or a file's link.
    pub fn kind(&self) -> CallKind {
        self.info.kind
    }

    /// The spec's `operationId` of a generated operation; see [`HookRequest::operation`].
    pub fn operation(&self) -> Option<&str> {
        self.info.operation
    }

    /// The attempt of this call, from 1.
    pub fn attempt(&self) -> u32 {
        self.info.attempt
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        self.info.method
    }

    /// The full URL, with the query string (a file's link without it: [`CallKind::Link`]).
    pub fn url(&self) -> &str {
        self.info.url
    }

    /// The status of the answer; `None` when there was none (a network failure or a timeout).
    pub fn status(&self) -> Option<StatusCode> {
        self.outcome.as_ref().ok().map(|(status, _)| *status)
    }

    /// The headers of the answer; `None` when there was none.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.outcome.as_ref().ok().map(|(_, headers)| *headers)
    }

    /// The network failure or timeout, when there was no answer.
    pub fn error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.outcome.as_ref().err().copied()
    }

    /// From just before the request was sent to the end of the answer's body (or the failure).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// The hooks of a client, in registration order.
#[derive(Clone, Default)]
pub(crate) struct Hooks(Vec<Arc<dyn Hook>>);

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} hooks", self.0.len())
    }
}

impl Hooks {
    pub(crate) fn push(&mut self, hook: Arc<dyn Hook>) {
        self.0.push(hook);
    }

    /// Runs every hook's `on_request` on `request`'s headers and timeout.
    pub(crate) fn on_request(&self, info: CallInfo<'_>, request: &mut reqwest::Request, default_timeout: Duration) {
        if self.0.is_empty() {
            return;
        }
        let mut timeout = request.timeout().copied().unwrap_or(default_timeout);
        let before = timeout;
        {
            let mut view = HookRequest { info, headers: request.headers_mut(), timeout: &mut timeout };
            for hook in &self.0 {
                hook.on_request(&mut view);
            }
        }
        if timeout != before {
            *request.timeout_mut() = Some(timeout);
        }
    }

    /// Runs every hook's `on_response`.
    pub(crate) fn on_response(
        &self,
        info: CallInfo<'_>,
        outcome: Result<(StatusCode, &HeaderMap), &reqwest::Error>,
        elapsed: Duration,
    ) {
        if self.0.is_empty() {
            return;
        }
        let outcome = outcome.map_err(|error| error as &(dyn std::error::Error + Send + Sync + 'static));
        let view = HookResponse { info, outcome, elapsed };
        for hook in &self.0 {
            hook.on_response(&view);
        }
    }
}
