//! The crate's one error type: what went wrong, on which request, and what Halo said about it.
//!
//! [`Error`] is an opaque struct; [`Error::kind`] says which of a few broad cases it is ([`ErrorKind`]), and the
//! accessors give the request, the HTTP status and Halo's own message. It is cheap to move (one `Box`) and `Clone`.
//! Reading Halo's error bodies is `error_body.rs`'s job, decoding answers `decode.rs`'s, and keeping secrets out of
//! errors `scrub.rs`'s.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use super::error_body::{
    ERROR_EXCERPT_CHARS, FieldError, body_trace_id, excerpt_of, field_errors_of, first_byte, halo_message,
};
use super::response::{safe_headers, trace_id_from_headers};
use super::retry::Failure;
use super::scrub::scrub_text;

/// The result of every fallible operation of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The broad cases of [`Error`]; see [`Error::kind`].
///
/// What an application should do with each: [`RateLimited`](Self::RateLimited), [`Network`](Self::Network) and
/// the 503 of an [`Api`](Self::Api) error mean "try again later" (the client has already retried them for as long
/// as its [`RetryPolicy`](super::RetryPolicy) allows; [`Error::is_retryable`] says whether repeating is safe);
/// [`OutcomeUnknown`](Self::OutcomeUnknown) means "look before you repeat"; [`Incomplete`](Self::Incomplete) means
/// "a listing may have missed records"; the others need a change of request, configuration or credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request was refused before anything was sent: an `update` whose id is not positive, a `create` of an
    /// item that already has an id, a path with an empty id, a body that cannot be serialised.
    InvalidRequest,
    /// The client was configured wrongly ([`ClientBuilder::build`](super::ClientBuilder::build)).
    Config,
    /// No usable token: the token endpoint refused the credentials or answered something else than a token, or the
    /// API kept answering 401 after a fresh token.
    Auth,
    /// Halo answered with an error status, or with an error body under a 2xx status ([`Error::code`] tells some
    /// of them apart, such as licence-seat exhaustion).
    Api,
    /// Halo kept answering 429 until the retry policy gave up.
    RateLimited,
    /// The request did not complete: connection refused or reset, DNS, TLS, or a timeout.
    Network,
    /// The answer was not the JSON expected (malformed, truncated, empty, or of the wrong shape).
    Decode,
    /// A request that is not safe to repeat (a create, or another non-idempotent call) was sent, and it is not
    /// known whether Halo acted on it: a 500 (Halo failed part way, maybe after saving), a 502 or 504 from a
    /// gateway, a connection that broke or timed out after sending, or a truncated answer. The client did not
    /// repeat it. Look the record up before sending it again, or it may be created twice.
    OutcomeUnknown,
    /// A listing ended without every record: Halo's answers were inconsistent (it ignored `page_no`, its
    /// `record_count` promised more records than the pages held, or pages were still full at the page bound).
    /// The records read are not lost: see [`ListError`](super::ListError) and [`Pages`](super::Pages).
    Incomplete,
    /// A listing held two different records under one key (`id`, or the spec's `x-halo-key` for the record type):
    /// the key does not identify them, or a record changed between two page requests and came twice. Every
    /// record was yielded, none dropped; the message names the first key. See [`Pages`](super::Pages).
    KeyConflict,
}

/// What Halo reported, for the failures an application may want to handle on their own; see [`Error::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiCode {
    /// No agent licence seat is free (Halo answers this with status 200 and an error body, e.g. when an agent is
    /// created or re-enabled). Free a seat or buy one; retrying will not help.
    NoLicenceSeats,
    /// 400 with validation messages: the request itself is wrong.
    Validation,
    /// 403: the API application's scopes, or the permissions of the agent it acts as, do not allow this.
    Forbidden,
    /// 404: no such record or endpoint.
    NotFound,
    /// Any other error body that Halo sent under a 2xx status.
    ErrorInSuccess,
}

/// Why a 401 or 403 happened, as far as the client can tell (`permissions.rs` works it out); part of the error's
/// `Display`.
#[derive(Clone, Debug)]
pub(crate) struct Hint {
    pub(crate) message: String,
    /// The scopes the operation accepts, when the token was granted none of them.
    pub(crate) missing_scopes: Option<Vec<String>>,
}

/// How long after an [`ErrorKind::OutcomeUnknown`] failure a request Halo may still be running can land; see
/// [`Error::find_once_settled`].
pub const SETTLE_TIME: Duration = Duration::from_secs(240);

/// The error of every fallible operation of the crate.
///
/// `Display` gives one line: the request (`GET /Agent`), what happened and Halo's message.
/// Secrets (client secret, tokens) never appear in it, nor in `Debug`.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    method: Option<Method>,
    path: Option<String>,
    status: Option<u16>,
    message: String,
    excerpt: Option<String>,
    /// The answer's headers, without those that can carry a credential or a session, values scrubbed.
    headers: Option<HeaderMap>,
    /// Halo's id of the request: the error body's `traceId`, or a trace header.
    trace_id: Option<String>,
    retry_after: Option<Duration>,
    code: Option<ApiCode>,
    /// The transient failure behind this error, if it was one, and whether the request was idempotent: together
    /// they answer `is_retryable` exactly as the retry loop did.
    failure: Option<Failure>,
    idempotent: bool,
    /// The page of a listing whose request failed.
    page_no: Option<u64>,
    /// Halo's messages per field of a refused request (a 400's model state).
    fields: Vec<FieldError>,
    /// When the outcome became unknown (the failed attempt ended), for [`Error::find_once_settled`].
    unknown_since: Option<tokio::time::Instant>,
    // Arc rather than Box so that `Error` is `Clone`: the single-flight token refresh hands one failure to every
    // caller that was waiting for it.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    /// Why a 401 or 403 happened, as far as the client can tell (`permissions.rs`).
    hint: Option<Box<Hint>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                method: None,
                path: None,
                status: None,
                message: message.into(),
                excerpt: None,
                headers: None,
                trace_id: None,
                retry_after: None,
                code: None,
                failure: None,
                idempotent: false,
                page_no: None,
                fields: Vec::new(),
                unknown_since: None,
                source: None,
                hint: None,
            }),
        }
    }

    /// A request refused on the client side before sending, e.g. an `update` of an item without an id.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidRequest, message)
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    pub(crate) fn decode(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Decode, message)
    }

    /// A 2xx answer whose body is not as long as its `Content-Length` said: cut short, retried like a truncated
    /// answer (an idempotent request) or an unknown outcome (any other).
    pub(crate) fn truncated(received: u64, declared: u64) -> Self {
        Error::decode(format!(
            "the answer was cut short: {received} of the {declared} bytes its Content-Length announced"
        ))
        .garbled()
    }

    /// A transport failure. The URL is dropped from reqwest's error: a token URL may carry the tenant in its query.
    pub(crate) fn network(error: reqwest::Error) -> Self {
        let error = error.without_url();
        let message = if error.is_timeout() { "timed out".to_owned() } else { chain(&error) };
        Error::new(ErrorKind::Network, message).with_source(error)
    }

    /// An error answer (non-2xx, or an error body under 2xx) of the API.
    pub(crate) fn from_response(status: StatusCode, content_type: Option<&str>, body: &[u8]) -> Self {
        let kind = if status == StatusCode::TOO_MANY_REQUESTS { ErrorKind::RateLimited } else { ErrorKind::Api };
        let message = halo_message(content_type, body)
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_lowercase());
        let mut error = Error::new(kind, message).with_status(status.as_u16()).with_body(body);
        error.inner.fields = field_errors_of(body);
        error.inner.failure = Failure::from_status(status);
        error.inner.code = api_code(status.as_u16(), &error.inner.message, body);
        error
    }

    /// An error body under a 2xx status.
    pub(crate) fn in_success(status: u16, message: String, body: &[u8]) -> Self {
        let mut error = Error::new(ErrorKind::Api, message).with_status(status).with_body(body);
        error.inner.code = api_code(status, &error.inner.message, b"");
        error
    }

    /// Keeps a bounded excerpt of an error answer's body (at most [`ERROR_EXCERPT_CHARS`] characters, scrubbed
    /// like the message) and the `traceId` of ASP.NET's problem details, when the body has one.
    pub(crate) fn with_body(mut self, body: &[u8]) -> Self {
        if first_byte(body).is_some() {
            self.inner.excerpt = Some(scrub_text(&excerpt_of(body, None, ERROR_EXCERPT_CHARS), &[] as &[&str]));
        }
        if self.inner.trace_id.is_none() {
            self.inner.trace_id = body_trace_id(body);
        }
        self
    }

    /// Keeps the answer's headers, without those that can carry a credential or a session (`Authorization`,
    /// `Cookie`, `Set-Cookie`, ...) and with secret-looking values scrubbed; takes the trace id from them when the
    /// body had none.
    pub(crate) fn with_response_headers(mut self, headers: &HeaderMap) -> Self {
        let safe = safe_headers(headers, |text| scrub_text(text, &[] as &[&str]));
        if self.inner.trace_id.is_none() {
            self.inner.trace_id = trace_id_from_headers(&safe).map(str::to_owned);
        }
        self.inner.headers = Some(safe);
        self
    }

    /// Records the transient failure behind this error and whether its request was idempotent. A failure that
    /// leaves a non-idempotent request's outcome open turns the error into [`ErrorKind::OutcomeUnknown`].
    pub(crate) fn with_failure(mut self, failure: Failure, idempotent: bool) -> Self {
        self.inner.failure = Some(failure);
        self.inner.idempotent = idempotent;
        if !failure.may_retry(idempotent) {
            self.inner.kind = ErrorKind::OutcomeUnknown;
            self.inner.unknown_since = Some(tokio::time::Instant::now());
        }
        self
    }

    pub(crate) fn failure(&self) -> Option<Failure> {
        self.inner.failure
    }

    /// Marks a successful answer's body as garbled (cut short, or not JSON at all): retried like a transient failure
    /// when the request is idempotent (the driver adds whether it was, with [`with_failure`](Self::with_failure)).
    pub(crate) fn garbled(mut self) -> Self {
        self.inner.failure = Some(Failure::Garbled);
        self
    }

    /// Adds a second finding to the message (`"...; also: ..."`).
    pub(crate) fn with_message_suffix(mut self, also: &str) -> Self {
        self.inner.message = format!("{}; also: {also}", self.inner.message);
        self
    }

    pub(crate) fn with_page(mut self, page_no: u64) -> Self {
        self.inner.page_no = Some(page_no);
        self
    }

    /// Replaces every occurrence of the given secrets, and every value in a credential position (a form field,
    /// query parameter, JSON member or header line named for a credential, the credentials after `Bearer`), in the
    /// message, the excerpt, the trace id and the headers with `***`: a server may echo the token request's form or
    /// the `Authorization` header in its error body. Words in prose ("Password is mandatory") are left.
    pub(crate) fn scrub<S: AsRef<str>>(mut self, secrets: &[S]) -> Self {
        let inner = &mut *self.inner;
        inner.message = scrub_text(&inner.message, secrets);
        if let Some(excerpt) = &inner.excerpt {
            inner.excerpt = Some(scrub_text(excerpt, secrets));
        }
        if let Some(trace_id) = &inner.trace_id {
            inner.trace_id = Some(scrub_text(trace_id, secrets));
        }
        for field in &mut inner.fields {
            field.messages = field.messages.iter().map(|message| scrub_text(message, secrets)).collect();
        }
        if let Some(headers) = &inner.headers {
            inner.headers = Some(safe_headers(headers, |text| scrub_text(text, secrets)));
        }
        self
    }

    pub(crate) fn with_request(mut self, method: &Method, path: &str) -> Self {
        self.inner.method = Some(method.clone());
        self.inner.path = Some(path.to_owned());
        self
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_excerpt(mut self, excerpt: String) -> Self {
        self.inner.excerpt = Some(excerpt);
        self
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn with_hint(mut self, hint: Hint) -> Self {
        self.inner.hint = Some(Box::new(hint));
        self
    }

    /// For a 401 or 403 answer: the scopes the operation accepts (any one is enough: its own, such as
    /// `edit:agents`, or `all`), when the token was granted none of them. Ask for one of them
    /// ([`ClientBuilder::scopes`](super::ClientBuilder::scopes)) and allow it on the API application in Halo.
    ///
    /// `None` when the token has one (then the agent the API application runs as likely lacks the permission in
    /// Halo), or when it is not known. Either way, the error's `Display` ends with that hint; see also
    /// [`Client::whoami`](super::Client::whoami).
    pub fn missing_scopes(&self) -> Option<&[String]> {
        self.inner.hint.as_ref().and_then(|hint| hint.missing_scopes.as_deref())
    }

    /// Which broad case this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of Halo's answer, when there was one (200 for an error body under a success status).
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// Halo's own message when it sent one (from whichever error shape it used), otherwise a description of the
    /// failure.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP method of the failed request, if a request was involved.
    pub fn method(&self) -> Option<&Method> {
        self.inner.method.as_ref()
    }

    /// The path of the failed request: relative to the API base (`/Agent/12`), or the token URL's path.
    /// Query strings are never included.
    pub fn path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }

    /// How long Halo asked to wait (`Retry-After`) on the last answer, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// A short excerpt of the answer's body, on one line: for an error answer of the API, its first
    /// 500 characters; for a decode error, at most 200 characters around the failure. Secrets (the client
    /// secret, tokens, passwords) are replaced by `***`. Never set for the token endpoint's answers, which may
    /// hold a token.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.inner.excerpt.as_deref()
    }

    /// The headers of Halo's answer, when there was one: without `Authorization`, `Proxy-Authorization`,
    /// `Cookie`, `Set-Cookie` and `Proxy-Authenticate`, and with values that look like secrets scrubbed.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.inner.headers.as_ref()
    }

    /// Halo's id of the failed request, to quote to Halo's support or look up in its logs: the `traceId` of the
    /// error body (ASP.NET's problem details carry one), or else a request-id header of the answer (see
    /// [`Response::trace_id`](super::Response::trace_id)).
    pub fn trace_id(&self) -> Option<&str> {
        self.inner.trace_id.as_deref()
    }

    /// What Halo reported, when it is one of the failures [`ApiCode`] names (licence seats, validation, 403,
    /// 404, an error body under a 2xx status).
    pub fn code(&self) -> Option<ApiCode> {
        self.inner.code
    }

    /// After an [`ErrorKind::OutcomeUnknown`] error: looks the record up with `lookup` until it is found, or until
    /// Halo can no longer be saving it, and returns what the last lookup found (`None`: it did not land, so sending
    /// the request again will not create it twice).
    ///
    /// Looking up at once is not enough: after a timeout (or a 500, 502 or 504) Halo may still be running the
    /// request, and a create it saves a few seconds later would then be created twice. So `lookup` runs at once and
    /// then 5, 10, 20 and every 30 seconds until [`SETTLE_TIME`] (4 minutes) after the failure, and once more at
    /// the end. 4 minutes is longer than the request limits of the hosting an ASP.NET application like Halo runs
    /// behind (the ASP.NET Core Module's default of 2 minutes, Azure App Service's 230 seconds); it is a judgement,
    /// not a promise Halo makes. A lookup that fails ends the wait with its error.
    ///
    /// For any other error the outcome is known: `lookup` runs once.
    ///
    /// ```no_run
    /// # async fn example(client: halopsa::Client, ticket: halopsa::models::Ticket) -> halopsa::Result<()> {
    /// use halopsa::ErrorKind;
    ///
    /// let summary = ticket.summary.clone();
    /// match client.tickets().create(ticket.clone()).send().await {
    ///     Ok(saved) => println!("created {:?}", saved.id),
    ///     Err(error) if error.kind() == ErrorKind::OutcomeUnknown => {
    ///         let found = error
    ///             .find_once_settled(|| async {
    ///                 let page = client.tickets().list().search(summary.clone().unwrap_or_default()).send().await?;
    ///                 Ok(page.tickets.into_iter().find(|t| t.summary == summary))
    ///             })
    ///             .await?;
    ///         if found.is_none() {
    ///             client.tickets().create(ticket).send().await?; // it did not land: safe to send again
    ///         }
    ///     }
    ///     Err(error) => return Err(error),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn find_once_settled<T, F, Fut>(&self, mut lookup: F) -> Result<Option<T>>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        let deadline = match (self.inner.kind, self.inner.unknown_since) {
            (ErrorKind::OutcomeUnknown, since) => since.unwrap_or_else(tokio::time::Instant::now) + SETTLE_TIME,
            _ => return lookup().await,
        };
        let mut wait = Duration::from_secs(5);
        loop {
            if let Some(found) = lookup().await? {
                return Ok(Some(found));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(wait.min(deadline - now)).await;
            wait = (wait * 2).min(Duration::from_secs(30));
        }
    }

    /// Halo's messages per field, when it refused a request's fields (a 400 with ASP.NET's model state:
    /// `{"[0].outcome_id": ["Could not convert ..."]}`, the `errors` of problem details, or
    /// `{"Message", "ModelState"}`); empty otherwise. [`message`](Self::message) joins them
    /// (`[0].outcome_id: Could not convert ...`).
    ///
    /// ```
    /// # fn example(error: &halopsa::Error) {
    /// for field in error.field_errors() {
    ///     eprintln!("{}: {}", field.field(), field.messages().join("; "));
    /// }
    /// # }
    /// ```
    pub fn field_errors(&self) -> &[FieldError] {
        &self.inner.fields
    }

    /// For a listing: the page (`page_no`) whose request failed. Resume a listing from there with the list
    /// builder's `page_no(..)` setter.
    pub fn page_no(&self) -> Option<u64> {
        self.inner.page_no
    }

    /// Whether sending the same request again is safe and may succeed: rate limiting (429), a server that is
    /// temporarily unavailable (503; 500, 502 and 504 for idempotent requests), a network failure (for a
    /// non-idempotent request only when the connection could not be opened), a truncated answer to an idempotent
    /// request. This is exactly the rule the client's own retry loop follows (see
    /// [`RetryPolicy`](super::RetryPolicy)), so `true` means the client gave up only because its time budget or
    /// attempt limit ran out (or, for a 500, after its two retries). Always `false` for
    /// [`ErrorKind::OutcomeUnknown`].
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::OutcomeUnknown
            | ErrorKind::Incomplete
            | ErrorKind::KeyConflict
            | ErrorKind::Config
            | ErrorKind::InvalidRequest => false,
            _ => self.inner.failure.is_some_and(|failure| failure.may_retry(self.inner.idempotent)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        if let (Some(method), Some(path)) = (&inner.method, &inner.path) {
            write!(f, "{method} {path}: ")?;
        }
        let status =
            inner.status.map(|code| match StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason()) {
                Some(reason) => format!("{code} {reason}"),
                None => code.to_string(),
            });
        match (inner.kind, &status) {
            (ErrorKind::InvalidRequest, _) => write!(f, "invalid request: {}", inner.message)?,
            (ErrorKind::Config, _) => write!(f, "invalid client configuration: {}", inner.message)?,
            (ErrorKind::Auth, Some(status)) => write!(f, "authentication failed ({status}): {}", inner.message)?,
            (ErrorKind::Auth, None) => write!(f, "authentication failed: {}", inner.message)?,
            (ErrorKind::RateLimited, _) => {
                write!(f, "rate limited by halo (429 Too Many Requests): {}", inner.message)?
            }
            (ErrorKind::Api, Some(status)) if inner.status.is_some_and(|code| (200..300).contains(&code)) => {
                write!(f, "halo answered {status} with an error: {}", inner.message)?
            }
            (ErrorKind::Api, Some(status)) => write!(f, "halo answered {status}: {}", inner.message)?,
            (ErrorKind::Api, None) => write!(f, "halo answered with an error: {}", inner.message)?,
            (ErrorKind::Network, _) => write!(f, "network error: {}", inner.message)?,
            (ErrorKind::Decode, _) => write!(f, "cannot decode the response: {}", inner.message)?,
            (ErrorKind::OutcomeUnknown, Some(status)) => write!(
                f,
                "sent, but halo may or may not have applied it ({status}): {}; not repeated, look before sending it again",
                inner.message
            )?,
            (ErrorKind::OutcomeUnknown, None) => write!(
                f,
                "sent, but halo may or may not have applied it: {}; not repeated, look before sending it again",
                inner.message
            )?,
            (ErrorKind::Incomplete, _) => write!(f, "incomplete listing: {}", inner.message)?,
            (ErrorKind::KeyConflict, _) => write!(f, "records share a key in a listing: {}", inner.message)?,
        }
        if let Some(hint) = &inner.hint {
            write!(f, "; {}", hint.message)?;
        }
        if let Some(page_no) = inner.page_no {
            write!(f, " (page {page_no})")?;
        }
        // An error answer's excerpt repeats its message; a decode error's shows what could not be decoded.
        if let (ErrorKind::Decode, Some(excerpt)) = (inner.kind, &inner.excerpt) {
            write!(f, "; body: `{excerpt}`")?;
        }
        if let Some(trace_id) = &inner.trace_id {
            write!(f, " (trace id {trace_id})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut s = f.debug_struct("Error");
        s.field("kind", &inner.kind);
        if let Some(method) = &inner.method {
            s.field("method", method);
        }
        if let Some(path) = &inner.path {
            s.field("path", path);
        }
        if let Some(status) = inner.status {
            s.field("status", &status);
        }
        s.field("message", &inner.message);
        if let Some(excerpt) = &inner.excerpt {
            s.field("excerpt", excerpt);
        }
        if let Some(trace_id) = &inner.trace_id {
            s.field("trace_id", trace_id);
        }
        if let Some(headers) = &inner.headers {
            s.field("headers", headers);
        }
        if let Some(retry_after) = inner.retry_after {
            s.field("retry_after", &retry_after);
        }
        if let Some(code) = inner.code {
            s.field("code", &code);
        }
        if let Some(page_no) = inner.page_no {
            s.field("page_no", &page_no);
        }
        if !inner.fields.is_empty() {
            s.field("field_errors", &inner.fields);
        }
        if let Some(hint) = &inner.hint {
            s.field("hint", &hint.message);
        }
        if let Some(source) = &inner.source {
            s.field("source", source);
        }
        s.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source.as_deref().map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// An error and its sources as one line: reqwest's top-level message alone ("error sending request") says little.
fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The [`ApiCode`] of an error answer, from its status and message.
fn api_code(status: u16, message: &str, body: &[u8]) -> Option<ApiCode> {
    let lower = message.to_ascii_lowercase();
    // "No licence seats available", "no available licenses", "licence limit reached": British and American
    // spelling, and Halo's wording varies between versions.
    if (lower.contains("licence") || lower.contains("license"))
        && ["seat", "available", "limit", "exceed", "no "].iter().any(|word| lower.contains(word))
    {
        return Some(ApiCode::NoLicenceSeats);
    }
    match status {
        200..=299 => Some(ApiCode::ErrorInSuccess),
        400 if !body.is_empty() || lower.contains("valid") => Some(ApiCode::Validation),
        403 => Some(ApiCode::Forbidden),
        404 => Some(ApiCode::NotFound),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_accessors() {
        let error = Error::from_response(
            StatusCode::NOT_FOUND,
            Some("application/json"),
            br#"{"Message":"Agent 9 not found"}"#,
        )
        .with_request(&Method::GET, "/Agent/9");
        assert_eq!(error.to_string(), "GET /Agent/9: halo answered 404 Not Found: Agent 9 not found");
        assert_eq!(error.status(), Some(404));
        assert_eq!(error.method(), Some(&Method::GET));
        assert_eq!(error.path(), Some("/Agent/9"));
        assert!(!error.is_retryable());

        let error = Error::from_response(StatusCode::TOO_MANY_REQUESTS, None, b"Rate Limit Reached")
            .with_retry_after(Some(Duration::from_secs(3)));
        assert_eq!(error.kind(), ErrorKind::RateLimited);
        assert!(error.is_retryable());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));

        let error = Error::from_response(StatusCode::SERVICE_UNAVAILABLE, None, b"");
        assert_eq!(error.message(), "service unavailable");
        assert!(error.is_retryable());

        // The token endpoint being down is not a credentials problem: worth trying later.
        let error = Error::new(ErrorKind::Auth, "the token endpoint refused: service unavailable")
            .with_status(503)
            .with_failure(Failure::Unavailable, true);
        assert!(error.is_retryable());
        assert!(!Error::new(ErrorKind::Auth, "invalid_client").with_status(401).is_retryable());

        let error = Error::invalid_request("update: item 0 has no id");
        assert_eq!(error.to_string(), "invalid request: update: item 0 has no id");
        assert_eq!(error.status(), None);
        assert!(format!("{error:?}").contains("InvalidRequest"));
    }

    #[test]
    fn codes_of_error_answers() {
        let validation = br#"{"message":"Validation failed","errors":["name is required"]}"#;
        let error = Error::from_response(StatusCode::BAD_REQUEST, None, validation);
        assert_eq!(error.code(), Some(ApiCode::Validation));
        assert_eq!(Error::from_response(StatusCode::FORBIDDEN, None, b"").code(), Some(ApiCode::Forbidden));
        assert_eq!(Error::from_response(StatusCode::NOT_FOUND, None, b"").code(), Some(ApiCode::NotFound));
        assert_eq!(Error::from_response(StatusCode::INTERNAL_SERVER_ERROR, None, b"boom").code(), None);
    }

    #[test]
    fn secrets_and_tokens_are_scrubbed_whatever_the_shape() {
        let secrets = ["hunter2-secret", "eyJ.token.value"];
        let cases = [
            "client_secret=hunter2-secret&scope=all",
            "client_secret=other-secret&client_id=x",
            r#"{"client_secret": "other-secret"}"#,
            "Authorization: Bearer eyJ.token.value was rejected",
            "Authorization: Bearer someothertoken was rejected",
            r#"{"access_token":"abc.def","token_type":"Bearer"}"#,
            "the secret hunter2%2Dsecret is wrong",
            "echo: hunter2-secret",
        ];
        for text in cases {
            let error = Error::decode(text).with_excerpt(text.to_owned()).scrub(&secrets);
            let shown = format!("{error} {error:?}");
            for leak in ["hunter2", "other-secret", "eyJ.token", "someothertoken", "abc.def"] {
                assert!(!shown.contains(leak), "{leak} leaked from {text}: {shown}");
            }
            assert!(shown.contains("***"), "{shown}");
        }
        // Ordinary text is left alone.
        assert_eq!(scrub_text("no secrets here: name=Jane&team=3", &secrets), "no secrets here: name=Jane&team=3");
    }

    #[test]
    fn model_state_gives_per_field_messages_and_a_readable_message() {
        let fields = |error: &Error| -> Vec<(String, Vec<String>)> {
            error.field_errors().iter().map(|f| (f.field().to_owned(), f.messages().to_vec())).collect()
        };
        // Captured from a real Halo: ASP.NET Core's `BadRequest(ModelState)`, the dictionary itself.
        let captured = br#"{"[0].outcome_id":["Could not convert string to integer: Time Entry. Path '[0].outcome_id', line 1, position 42."]}"#;
        let error = Error::from_response(StatusCode::BAD_REQUEST, Some("application/json"), captured)
            .with_request(&Method::POST, "/Actions");
        let message = "[0].outcome_id: Could not convert string to integer: Time Entry. Path '[0].outcome_id', line 1, \
                       position 42.";
        assert_eq!(error.message(), message);
        assert_eq!(error.to_string(), format!("POST /Actions: halo answered 400 Bad Request: {message}"));
        assert_eq!(error.code(), Some(ApiCode::Validation));
        assert_eq!(
            fields(&error),
            [("[0].outcome_id".to_owned(), vec![message.trim_start_matches("[0].outcome_id: ").to_owned()])]
        );

        // Problem details, two fields, one with two messages.
        let problem = br#"{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"errors":{"summary":["The summary is required.","It is too short."],"[1].client_id":["The value 'abc' is not valid."]},"traceId":"00-ab-cd-00"}"#;
        let error = Error::from_response(StatusCode::BAD_REQUEST, Some("application/problem+json"), problem);
        assert_eq!(
            fields(&error),
            [
                ("[1].client_id".to_owned(), vec!["The value 'abc' is not valid.".to_owned()]),
                ("summary".to_owned(), vec!["The summary is required.".to_owned(), "It is too short.".to_owned()]),
            ]
        );
        assert_eq!(
            error.message(),
            "One or more validation errors occurred.: [1].client_id: The value 'abc' is not valid.; summary: The \
             summary is required.; summary: It is too short."
        );

        // ASP.NET Web API's `{"Message", "ModelState"}`.
        let web_api =
            br#"{"Message":"The request is invalid.","ModelState":{"agent.email":["The email is not valid."]}}"#;
        let error = Error::from_response(StatusCode::BAD_REQUEST, None, web_api);
        assert_eq!(error.message(), "The request is invalid.: agent.email: The email is not valid.");
        assert_eq!(fields(&error), [("agent.email".to_owned(), vec!["The email is not valid.".to_owned()])]);

        // A credential's field keeps Halo's words but not the value it quotes.
        let echoed = br#"{"[0].password":["The value 'hunter2' is not valid for password."]}"#;
        let error = Error::from_response(StatusCode::BAD_REQUEST, None, echoed);
        assert_eq!(error.message(), "[0].password: The value '***' is not valid for password.");
        assert!(!format!("{error:?}").contains("hunter2"));

        // Nothing per field: other shapes, other statuses' records, arrays of messages.
        for body in [
            &br#"{"Message":"Agent 9 not found"}"#[..],
            br#"{"message":"Validation failed","errors":["name is required"]}"#,
            br#"{"id":5,"name":"x"}"#,
            b"plain text",
        ] {
            assert!(Error::from_response(StatusCode::BAD_REQUEST, None, body).field_errors().is_empty());
        }
    }

    #[test]
    fn halos_prose_keeps_its_credential_words() {
        // Captured from Halo: "Password is mandatory" is a message, not a password (scrub.rs has more of them).
        let error = Error::from_response(
            StatusCode::BAD_REQUEST,
            Some("application/json"),
            br#"{"Message":"Password is mandatory"}"#,
        );
        assert_eq!(error.message(), "Password is mandatory");
        assert_eq!(error.body_excerpt(), Some(r#"{"Message":"Password is mandatory"}"#));
        assert_eq!(error.scrub(&["s3cret-value"]).to_string(), "halo answered 400 Bad Request: Password is mandatory");
    }
}
