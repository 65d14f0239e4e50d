//! The crate's one error type: what went wrong, on which request, and what Halo said about it.
//!
//! [`Error`] is an opaque struct; [`Error::kind`] says which of a few broad cases it is ([`ErrorKind`]), and the
//! accessors give the request, the HTTP status and Halo's own message. It is cheap to move (one `Box`) and `Clone`.
//!
//! This module also reads Halo's error bodies. Halo is an ASP.NET application and answers failures in several shapes
//! (`{ClassName, Message}`, `{resultCode, errorMessage}`, `{Message}`, OAuth's `{error, error_description}`,
//! validation's `{message, errors}`, ASP.NET's problem details, plain text), and sometimes with status 200
//! (a failed licence-seat check, for one), so a successful answer is checked for those shapes too.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::response::{safe_headers, trace_id_from_headers};
use super::retry::Failure;

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

/// One field of a request that Halo refused, with Halo's messages about it; see [`Error::field_errors`].
///
/// The field is Halo's path to it: `[0].outcome_id` is `outcome_id` of the first item of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    field: String,
    messages: Vec<String>,
}

impl FieldError {
    /// Halo's path to the field (`[0].outcome_id`, `name`); empty for the body as a whole.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What Halo said about it, in its order (`Could not convert string to integer: x. Path '[0].outcome_id' ...`).
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
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
    hint: Option<Box<super::permissions::Hint>>,
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
        let mut error = Error::decode(format!(
            "the answer was cut short: {received} of the {declared} bytes its Content-Length announced"
        ));
        error.inner.failure = Some(Failure::Garbled);
        error
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

    pub(crate) fn with_hint(mut self, hint: super::permissions::Hint) -> Self {
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
    pub async fn find_once_settled<T, F, Fut>(&self, mut lookup: F) -> super::Result<Option<T>>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = super::Result<Option<T>>>,
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

/// `text` with each known secret (as given, and percent-encoded as in a form) replaced by `***` wherever it appears,
/// and every value in a credential position ([`scrub_credentials`]) replaced by `***`.
pub(crate) fn scrub_text<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().map(AsRef::as_ref).filter(|secret| secret.len() >= 4) {
        // As sent in the token form, fully escaped, in lower-case hex, and with `+` for spaces: however a server
        // echoes it.
        let form: String = percent_encoding::utf8_percent_encode(secret, super::request::FORM).collect();
        let full: String = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC).collect();
        let lower = full.to_ascii_lowercase();
        let plus = form.replace("%20", "+");
        for form in [secret.to_owned(), form, full, lower, plus] {
            if out.contains(&form) {
                out = out.replace(&form, "***");
            }
        }
    }
    scrub_credentials(&out)
}

/// The words that make a name a credential's: a form field, query parameter, JSON member or header so named holds
/// one (`client_secret`, `access_token`, `new_password`, `x-api-key`, `X-Amz-Signature`, ...).
const CREDENTIAL_WORDS: &[&str] =
    &["password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "authorization", "cookie", "signature"];

/// Whether a name (of a field, member, parameter or header) says that its value is a credential.
pub(crate) fn is_credential_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    CREDENTIAL_WORDS.iter().any(|word| lower.contains(word))
}

/// `text` with the values in credential positions replaced by `***`: the value of a form field or query parameter
/// (`password=...`), of a JSON member (`"client_secret": "..."`, strings of an array included, also inside an
/// escaped JSON string) or of a header line (`Authorization: ...` at the start of a line) whose name is a
/// credential's ([`is_credential_name`]), and the credentials of an `Authorization` scheme (`Bearer ...`,
/// `Basic ...`). A credential word in prose ("Password is mandatory") is not a position, and stays.
pub(crate) fn scrub_credentials(text: &str) -> String {
    let bytes = text.as_bytes();
    // Spans to replace, in order and not overlapping.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if !is_name_byte(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && is_name_byte(bytes[at]) {
            at += 1;
        }
        let name = &text[start..at];
        let span = if is_credential_name(name) {
            member_value(text, start, at)
                .or_else(|| field_value(text, start, at))
                .or_else(|| header_value(text, start, at))
        } else if name.eq_ignore_ascii_case("bearer") || name.eq_ignore_ascii_case("basic") {
            scheme_credentials(text, at)
        } else {
            None
        };
        if let Some(found) = span {
            if spans.last().is_none_or(|last| found.0 >= last.1) {
                spans.extend(found.2);
                at = at.max(found.1);
            }
        }
    }
    if spans.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (from, to) in spans {
        out.push_str(&text[copied..from]);
        out.push_str("***");
        copied = to;
    }
    out.push_str(&text[copied..]);
    out
}

/// Where a credential value was found: from, to (the end of what was looked at), and the spans to replace.
type Found = (usize, usize, Vec<(usize, usize)>);

/// A byte of a name: `client_secret`, `x-api-key`, `user.password`, and ASP.NET's model-state paths
/// (`[0].password`).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']')
}

/// A quote at `at`, plain (`"`) or escaped inside a JSON string (`\"`): its length.
fn quote_at(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at..)? {
        [b'"', ..] => Some(1),
        [b'\\', b'"', ..] => Some(2),
        _ => None,
    }
}

fn skip_spaces(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
        at += 1;
    }
    at
}

/// `"name": value` (the name between quotes, plain or escaped): the string, the strings of an array, or a bare
/// value (a number; `null`, `true` and `false` are left).
fn member_value(text: &str, start: usize, end: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    let opening = if start >= 2 && &bytes[start - 2..start] == b"\\\"" {
        2
    } else if start >= 1 && bytes[start - 1] == b'"' {
        1
    } else {
        return None;
    };
    let closing = quote_at(bytes, end)?;
    if closing != opening {
        return None;
    }
    let colon = skip_spaces(bytes, end + closing);
    if bytes.get(colon) != Some(&b':') {
        return None;
    }
    let value = skip_spaces(bytes, colon + 1);
    match bytes.get(value)? {
        b'[' => {
            let mut spans = Vec::new();
            let mut at = value + 1;
            loop {
                at = skip_spaces(bytes, at);
                match bytes.get(at) {
                    None => return Some((start, at, spans)),
                    Some(b']') => return Some((start, at + 1, spans)),
                    Some(b',') => at += 1,
                    Some(_) => match string_value(bytes, at) {
                        Some((from, to, after)) => {
                            spans.push((from, to));
                            at = after;
                        }
                        None => {
                            let to = bare_end(bytes, at);
                            spans.push((at, to));
                            at = to.max(at + 1);
                        }
                    },
                }
            }
        }
        _ => match string_value(bytes, value) {
            Some((from, to, after)) => Some((start, after, vec![(from, to)])),
            None => {
                let to = bare_end(bytes, value);
                let bare = &text[value..to];
                let keep = bare.is_empty() || ["null", "true", "false"].contains(&bare);
                Some((start, to, if keep { Vec::new() } else { vec![(value, to)] }))
            }
        },
    }
}

/// A JSON string at `at` (plain or escaped quotes): the span of its content and the index after its closing quote.
fn string_value(bytes: &[u8], at: usize) -> Option<(usize, usize, usize)> {
    let quote = quote_at(bytes, at)?;
    let from = at + quote;
    let mut i = from;
    while i < bytes.len() {
        if quote == 1 {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return Some((from, i, i + 1)),
                _ => i += 1,
            }
        } else if bytes[i..].starts_with(b"\\\\\\\"") {
            // An escaped quote inside the escaped string.
            i += 4;
        } else if bytes[i..].starts_with(b"\\\"") {
            return Some((from, i, i + 2));
        } else if bytes[i..].starts_with(b"\\\\") {
            i += 2;
        } else {
            i += 1;
        }
    }
    Some((from, bytes.len(), bytes.len()))
}

/// The end of a bare (unquoted) value: up to a delimiter of JSON, a form, a query or prose.
fn bare_end(bytes: &[u8], at: usize) -> usize {
    let mut end = at;
    while end < bytes.len()
        && !matches!(
            bytes[end],
            b'&' | b',' | b';' | b'}' | b']' | b')' | b'"' | b'\'' | b'<' | b'>' | b'\\' | b' ' | b'\t' | b'\r' | b'\n'
        )
    {
        end += 1;
    }
    end
}

/// `name=value` as a form field or query parameter: the name starts the text or follows a separator.
fn field_value(text: &str, start: usize, end: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    if bytes.get(end) != Some(&b'=') {
        return None;
    }
    let separated = start == 0
        || matches!(
            bytes[start - 1],
            b'&' | b'?' | b';' | b',' | b'(' | b'{' | b'[' | b'"' | b'\'' | b' ' | b'\t' | b'\r' | b'\n'
        );
    if !separated {
        return None;
    }
    let to = bare_end(bytes, end + 1);
    Some((start, to, if to > end + 1 { vec![(end + 1, to)] } else { Vec::new() }))
}

/// `Name: value` as a header line: the name starts a line; the value is the rest of it.
fn header_value(text: &str, start: usize, end: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    if bytes.get(end) != Some(&b':') {
        return None;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..start].trim().is_empty() {
        return None;
    }
    let from = skip_spaces_in_line(bytes, end + 1);
    let to = text[from..].find(['\r', '\n']).map_or(text.len(), |i| from + i);
    Some((start, to, if to > from { vec![(from, to)] } else { Vec::new() }))
}

fn skip_spaces_in_line(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| matches!(b, b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// The credentials after an authorisation scheme's name (`Bearer`, `Basic`): a token68 of at least 8 characters
/// (a word after the scheme in prose, "Bearer token missing", is not one).
fn scheme_credentials(text: &str, end: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    let from = skip_spaces_in_line(bytes, end);
    if from == end {
        return None;
    }
    let mut to = from;
    while to < bytes.len()
        && (bytes[to].is_ascii_alphanumeric() || matches!(bytes[to], b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
    {
        to += 1;
    }
    while to < bytes.len() && bytes[to] == b'=' {
        to += 1;
    }
    let delimited = to == bytes.len() || !is_name_byte(bytes[to]) && bytes[to] != b'"';
    (to - from >= 8 && delimited).then(|| (end, to, vec![(from, to)]))
}

// ---------------------------------------------------------------------------------------------------------------
// Halo's error bodies.

/// Every key that occurs in one of Halo's error shapes. An object with any other key (an `id`, say) is a record.
const ERROR_KEYS: &[&str] = &[
    // .NET exceptions and ASP.NET's HttpError.
    "ClassName",
    "Message",
    "MessageDetail",
    "ExceptionMessage",
    "ExceptionType",
    "StackTrace",
    "StackTraceString",
    "RemoteStackTraceString",
    "RemoteStackIndex",
    "ExceptionMethod",
    "Source",
    "HResult",
    "HelpURL",
    "HelpLink",
    "InnerException",
    "Data",
    "ModelState",
    "WatsonBuckets",
    // {resultCode, errorMessage}.
    "resultCode",
    "errorMessage",
    // OAuth.
    "error",
    "error_description",
    "error_uri",
    // Validation, and ASP.NET Core problem details.
    "message",
    "errors",
    "type",
    "title",
    "status",
    "detail",
    "instance",
    "traceId",
];

/// Halo's message from an error answer's body, in any of its shapes; `None` for an empty body.
pub(crate) fn halo_message(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.starts_with('{') {
        if let Ok(map) = serde_json::from_str::<Map<String, Value>>(trimmed) {
            if let Some(message) = object_message(&map) {
                return Some(message);
            }
        }
    } else if trimmed.starts_with('"') {
        if let Ok(message) = serde_json::from_str::<String>(trimmed) {
            return Some(one_line(&message, 200));
        }
    } else if content_type.is_some_and(|ct| ct.contains("html")) || trimmed.starts_with('<') {
        if let Some(title) = html_title(trimmed) {
            return Some(title);
        }
    }
    Some(one_line(trimmed, 200))
}

/// Under a 2xx status: Halo's message if the body is an error shape, `None` for anything else.
///
/// Cheap on normal answers: the check reads the top-level keys only until the first one that no error shape has,
/// which for a record or a list is usually the first key. Only objects count; an array never is an error.
pub(crate) fn success_error_message(body: &[u8]) -> Option<String> {
    if first_byte(body) != Some(b'{') {
        return None;
    }
    let Probe(map) = serde_json::from_slice::<Probe>(body).ok()?;
    is_error_shape(&map).then(|| object_message(&map)).flatten()
}

/// Whether an object (known to have error keys only) is one of Halo's error shapes rather than, say, `{}` or a
/// harmless `{"message": "done"}`.
fn is_error_shape(map: &Map<String, Value>) -> bool {
    let text = |key: &str| map.get(key).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty());
    let has_errors = map.get("errors").is_some_and(|errors| !error_list(errors).is_empty());
    let problem_status = map.get("status").and_then(Value::as_u64).is_some_and(|status| status >= 400);
    (map.contains_key("ClassName") && text("Message"))
        || text("errorMessage")
        || text("error")
        || text("Message")
        || (text("message") && has_errors)
        || (text("title") && problem_status)
}

/// The message of an error object, trying the shapes from the most to the least specific.
fn object_message(map: &Map<String, Value>) -> Option<String> {
    let text = |key: &str| {
        map.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(|s| one_line(s, 500))
    };
    // OAuth: `{"error": "invalid_client", "error_description": "..."}`; some servers nest an object in `error`.
    match map.get("error") {
        Some(Value::String(error)) if !error.trim().is_empty() => {
            return Some(match text("error_description") {
                Some(description) => format!("{}: {description}", error.trim()),
                None => error.trim().to_owned(),
            });
        }
        Some(Value::Object(nested)) => {
            if let Some(message) = object_message(nested) {
                return Some(message);
            }
        }
        _ => {}
    }
    if let Some(message) = text("errorMessage") {
        return Some(message);
    }
    if let Some(message) = text("Message") {
        // ASP.NET Web API's invalid model: `{"Message": "The request is invalid.", "ModelState": {...}}`.
        let fields = map.get("ModelState").map(error_list).unwrap_or_default();
        if !fields.is_empty() {
            return Some(format!("{message}: {}", fields.join("; ")));
        }
        // ASP.NET's HttpError puts the useful part in ExceptionMessage or MessageDetail.
        return Some(match text("ExceptionMessage").or_else(|| text("MessageDetail")) {
            Some(detail) if detail != message => format!("{message} ({detail})"),
            _ => message,
        });
    }
    if is_model_state(map) {
        // ASP.NET Core's `BadRequest(ModelState)`: the dictionary itself.
        let fields = error_list(&Value::Object(map.clone()));
        return (!fields.is_empty()).then(|| fields.join("; "));
    }
    let errors = map.get("errors").map(error_list).unwrap_or_default();
    let head = text("message").or_else(|| text("title")).or_else(|| text("detail"));
    match (head, errors.is_empty()) {
        (Some(head), true) => Some(head),
        (Some(head), false) => Some(format!("{head}: {}", errors.join("; "))),
        (None, false) => Some(errors.join("; ")),
        (None, true) => None,
    }
}

/// Validation messages from `errors`: an array (of strings or objects) or an object of field → message(s).
fn error_list(errors: &Value) -> Vec<String> {
    match errors {
        Value::Object(fields) => fields_of(fields)
            .into_iter()
            .flat_map(|field| {
                let FieldError { field, messages } = field;
                messages.into_iter().map(
                    move |message| {
                        if field.is_empty() { message } else { format!("{field}: {message}") }
                    },
                )
            })
            .collect(),
        other => messages_of(other),
    }
}

/// The messages of one field's value: a string, an array of them, or objects with a message.
fn messages_of(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => vec![one_line(s, 200)],
        Value::Array(items) => items.iter().flat_map(messages_of).collect(),
        Value::Object(map) => {
            match ["message", "Message", "errorMessage", "error"].iter().find_map(|k| map.get(*k)?.as_str()) {
                Some(message) => vec![one_line(message, 200)],
                None => vec![one_line(&Value::Object(map.clone()).to_string(), 200)],
            }
        }
        Value::Null | Value::String(_) => Vec::new(),
        other => vec![other.to_string()],
    }
}

/// A model-state dictionary (field path → messages) as [`FieldError`]s, in the body's order (serde_json's `Map` is
/// sorted, which keeps the order deterministic). A credential's field keeps its messages' words but not the values
/// they quote ("The value '***' is not valid for password.").
fn fields_of(fields: &Map<String, Value>) -> Vec<FieldError> {
    fields
        .iter()
        .filter_map(|(field, value)| {
            let mut messages = messages_of(value);
            if is_credential_name(field) {
                messages = messages.iter().map(|message| without_quoted_values(message)).collect();
            }
            (!messages.is_empty()).then(|| FieldError { field: field.clone(), messages })
        })
        .collect()
}

/// `text` with what it quotes (`'...'`, `"..."`) replaced by `***`.
fn without_quoted_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(['\'', '"']) {
        let quote = &rest[open..open + 1];
        match rest[open + 1..].find(quote) {
            Some(close) => {
                out.push_str(&rest[..open + 1]);
                out.push_str("***");
                out.push_str(quote);
                rest = &rest[open + 1 + close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// Whether an error answer's object is an ASP.NET model-state dictionary (what `BadRequest(ModelState)` sends): no
/// key of another error shape, and every value a message or an array of messages.
fn is_model_state(map: &Map<String, Value>) -> bool {
    !map.is_empty()
        && !map.keys().any(|key| ERROR_KEYS.contains(&key.as_str()))
        && map.values().all(|value| match value {
            Value::String(_) => true,
            Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_string),
            _ => false,
        })
}

/// The per-field messages of an error answer's body: ASP.NET's model-state dictionary at the top level (captured
/// from Halo: `{"[0].outcome_id": ["Could not convert ..."]}`), the `errors` object of problem details or of a
/// validation body, or the `ModelState` of ASP.NET Web API's `{"Message", "ModelState"}`.
fn field_errors_of(body: &[u8]) -> Vec<FieldError> {
    if first_byte(body) != Some(b'{') {
        return Vec::new();
    }
    let Ok(map) = serde_json::from_slice::<Map<String, Value>>(body) else { return Vec::new() };
    match (map.get("errors"), map.get("ModelState")) {
        (Some(Value::Object(fields)), _) | (_, Some(Value::Object(fields))) => fields_of(fields),
        _ if is_model_state(&map) => fields_of(&map),
        _ => Vec::new(),
    }
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = one_line(html.get(start..end)?, 200);
    (!title.is_empty()).then_some(title)
}

/// Whitespace runs (newlines included) become one space; at most `max` characters, with `…` when cut.
fn one_line(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

fn first_byte(body: &[u8]) -> Option<u8> {
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// The top-level keys and values of an object, or a (cheap) failure at the first key no error shape has.
struct Probe(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ProbeVisitor)
    }
}

struct ProbeVisitor;

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Probe, A::Error> {
        let mut map = Map::new();
        while let Some(ErrorKey(key)) = access.next_key::<ErrorKey>()? {
            map.insert(key.to_owned(), access.next_value::<Value>()?);
        }
        Ok(Probe(map))
    }
}

/// A key of [`ERROR_KEYS`]; any other key fails, which stops the parse right there.
struct ErrorKey(&'static str);

impl<'de> serde::Deserialize<'de> for ErrorKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = ErrorKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key of an error shape")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<ErrorKey, E> {
                ERROR_KEYS
                    .iter()
                    .find(|known| **known == key)
                    .map(|known| ErrorKey(known))
                    .ok_or_else(|| E::custom("a record"))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding.

/// Decodes a successful answer's body as `T`, the way the client does.
///
/// A body that is one of Halo's error shapes becomes an [`ErrorKind::Api`] error (Halo reports some failures
/// under status 200); an empty, malformed or truncated body, or one of another shape, becomes an
/// [`ErrorKind::Decode`] error naming the field that failed and quoting a short excerpt of the body.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> super::Result<T> {
    if let Some(message) = success_error_message(body) {
        return Err(Error::in_success(200, message, body));
    }
    decode_unchecked(body)
}

/// [`decode_json`] without the error-shape check, for callers that have done it already.
pub(crate) fn decode_unchecked<T: DeserializeOwned>(body: &[u8]) -> super::Result<T> {
    if first_byte(body).is_none() {
        let mut error = Error::decode("the response body is empty; expected JSON");
        error.inner.failure = Some(Failure::Garbled);
        return Err(error);
    }
    // The fast path is plain serde_json; only a failure pays for a second, path-tracking pass.
    serde_json::from_slice(body).map_err(|error| decode_error::<T>(body, error))
}

#[cold]
fn decode_error<T: DeserializeOwned>(body: &[u8], first: serde_json::Error) -> Error {
    // The second pass stops where the first did, unless the first failed on trailing characters after a value.
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let (path, error) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(error) => {
            let path = error.path().to_string();
            (path, error.into_inner())
        }
        Ok(_) => (String::new(), first),
    };
    let offset = byte_offset(body, error.line(), error.column());
    let message = if path == "." || path.is_empty() { error.to_string() } else { format!("at `{path}`: {error}") };
    let mut decoded = Error::decode(message).with_excerpt(excerpt(body, offset));
    // A body cut short, or not JSON at all (an HTML page from a proxy), may come right on the next attempt; a
    // body of the wrong shape will not.
    // A body of the wrong type can fail before the point where it is cut, so ask the syntax alone.
    let garbled = matches!(error.classify(), serde_json::error::Category::Eof | serde_json::error::Category::Syntax)
        || serde_json::from_slice::<de::IgnoredAny>(body).is_err();
    if garbled {
        decoded.inner.failure = Some(Failure::Garbled);
    }
    decoded
}

/// The byte offset of serde_json's 1-based line and column (column 0 means "before the line").
fn byte_offset(body: &[u8], line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let line_start = if line == 1 {
        0
    } else {
        body.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    Some((line_start + column.saturating_sub(1)).min(body.len()))
}

/// At most 200 characters of the body, around `offset` when given, cut on character boundaries, on one line.
pub(crate) fn excerpt(body: &[u8], offset: Option<usize>) -> String {
    excerpt_of(body, offset, 200)
}

/// The longest excerpt of an error answer's body an [`Error`] keeps, in characters.
pub(crate) const ERROR_EXCERPT_CHARS: usize = 500;

/// The `traceId` of an error body in ASP.NET's problem-details shape.
fn body_trace_id(body: &[u8]) -> Option<String> {
    if first_byte(body) != Some(b'{') {
        return None;
    }
    let map = serde_json::from_slice::<Map<String, Value>>(body).ok()?;
    let trace_id = map.get("traceId")?.as_str()?.trim();
    (!trace_id.is_empty()).then(|| one_line(trace_id, 200))
}

/// At most `max` characters of the body, around `offset` when given, cut on character boundaries, on one line.
fn excerpt_of(body: &[u8], offset: Option<usize>, max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let total = text.chars().count();
    // Position of the failure, in characters (the lossy text may differ from the bytes in length).
    let at = offset.map_or(0, |offset| {
        let offset = offset.min(text.len());
        let mut boundary = offset;
        while !text.is_char_boundary(boundary) {
            boundary -= 1;
        }
        text[..boundary].chars().count()
    });
    let start = if total <= max { 0 } else { at.saturating_sub(max / 2).min(total - max) };
    let mut out: String = text.chars().skip(start).take(max).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if start + max < total {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> Option<String> {
        halo_message(Some("application/json"), body.as_bytes())
    }

    #[test]
    fn every_error_shape_gives_its_message() {
        let cases = [
            (r#"{"ClassName":"HaloException","Message":"No licence seats available"}"#, "No licence seats available"),
            (r#"{"resultCode":2,"errorMessage":"Ticket type not found"}"#, "Ticket type not found"),
            (r#"{"Message":"An error has occurred."}"#, "An error has occurred."),
            (
                r#"{"Message":"An error has occurred.","ExceptionMessage":"Object reference not set"}"#,
                "An error has occurred. (Object reference not set)",
            ),
            (
                r#"{"error":"invalid_client","error_description":"The client id is unknown"}"#,
                "invalid_client: The client id is unknown",
            ),
            (r#"{"error":"invalid_scope"}"#, "invalid_scope"),
            (
                r#"{"message":"Validation failed","errors":["name is required","email is invalid"]}"#,
                "Validation failed: name is required; email is invalid",
            ),
            (
                r#"{"message":"Validation failed","errors":{"name":["is required"],"email":"is invalid"}}"#,
                "Validation failed: email: is invalid; name: is required",
            ),
            (r#"{"message":"Bad","errors":[{"message":"x is wrong"}]}"#, "Bad: x is wrong"),
            (r#"{"message":"Something broke"}"#, "Something broke"),
            (
                r#"{"title":"One or more validation errors occurred.","status":400,"errors":{"id":["The value 'x' is not valid."]}}"#,
                "One or more validation errors occurred.: id: The value 'x' is not valid.",
            ),
            (r#"{"error":{"message":"nested"}}"#, "nested"),
            (r#""quoted text""#, "quoted text"),
        ];
        for (body, expected) in cases {
            assert_eq!(message(body).as_deref(), Some(expected), "body: {body}");
        }
    }

    #[test]
    fn plain_text_html_and_empty_bodies() {
        let text = "Rate Limit Reached - 300 Requests per rolling 5 minute window";
        assert_eq!(halo_message(Some("text/plain"), text.as_bytes()).as_deref(), Some(text));
        assert_eq!(halo_message(None, b"  line one\r\n  line two  ").as_deref(), Some("line one line two"));
        let html = "<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head><body>...</body></html>";
        assert_eq!(
            halo_message(Some("text/html"), html.as_bytes()).as_deref(),
            Some("404 - File or directory not found.")
        );
        assert_eq!(halo_message(None, b"   "), None);
        let long = "x".repeat(1000);
        let cut = halo_message(None, long.as_bytes()).unwrap();
        assert_eq!(cut.chars().count(), 201);
        assert!(cut.ends_with('…'));
        // An object of another shape: its text.
        assert_eq!(message(r#"{"foo":1}"#).as_deref(), Some(r#"{"foo":1}"#));
    }

    #[test]
    fn error_bodies_under_2xx_are_recognised() {
        for body in [
            r#"{"ClassName":"HaloException","Message":"No licence seats available"}"#,
            r#"{"resultCode":1,"errorMessage":"failed"}"#,
            r#"{"Message":"An error has occurred."}"#,
            r#"{"error":"invalid_client","error_description":"bad"}"#,
            r#"{"message":"Validation failed","errors":["x"]}"#,
            r#"{"message":"Validation failed","errors":{"x":"y"}}"#,
            r#"  {"title":"Bad","status":400,"traceId":"00-ab"}"#,
        ] {
            assert!(success_error_message(body.as_bytes()).is_some(), "should be an error: {body}");
        }
    }

    #[test]
    fn records_and_lists_under_2xx_are_not_errors() {
        for body in [
            r#"{"id":12,"name":"Alice","Message":"hello"}"#,
            r#"{"Message":"hello","id":12}"#,
            r#"{"record_count":0,"agents":[]}"#,
            r#"[{"ClassName":"HaloException","Message":"in an array"}]"#,
            r#"{}"#,
            r#"{"message":"done"}"#,
            r#"{"message":"done","errors":[]}"#,
            r#"{"resultCode":0,"errorMessage":""}"#,
            r#"{"type":"agent","title":"Engineer","status":1}"#,
            r#"{"ClassName":"HaloException","Mess"#,
            "",
            "not json",
        ] {
            assert_eq!(success_error_message(body.as_bytes()), None, "should not be an error: {body}");
        }
    }

    #[test]
    fn decode_json_reports_error_bodies_and_bad_json() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Agent {
            id: i32,
            name: Option<String>,
        }
        let agent: Agent = decode_json(br#"{"id":1,"name":"a"}"#).unwrap();
        assert_eq!(agent.id, 1);

        let error = decode_json::<Agent>(br#"{"ClassName":"HaloException","Message":"No licence seats available"}"#)
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Api);
        assert_eq!(error.status(), Some(200));
        assert_eq!(error.message(), "No licence seats available");
        assert_eq!(error.to_string(), "halo answered 200 OK with an error: No licence seats available");

        let error = decode_json::<Agent>(b"").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert!(error.message().contains("empty"), "{error}");

        let error = decode_json::<Vec<Agent>>(br#"[{"id":1},{"id":"x"}]"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert!(error.message().starts_with("at `[1].id`: invalid type"), "{}", error.message());
        assert!(error.body_excerpt().unwrap().contains(r#"{"id":"x"}"#));

        let error = decode_json::<Agent>(br#"{"id":1,"name":"trunc"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert!(error.message().contains("EOF"), "{}", error.message());

        let error = decode_json::<Agent>(br#"{"id":1} trailing"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert!(error.message().contains("trailing"), "{}", error.message());
    }

    #[test]
    fn excerpts_are_short_and_cut_on_char_boundaries() {
        assert_eq!(excerpt(b"short", None), "short");
        let body = "é".repeat(500);
        let start = excerpt(body.as_bytes(), None);
        assert_eq!(start.chars().count(), 201);
        assert!(start.ends_with('…'));
        // Around an offset in the middle of a two-byte character.
        let middle = excerpt(body.as_bytes(), Some(501));
        assert!(middle.starts_with('…') && middle.ends_with('…'));
        assert_eq!(middle.chars().count(), 202);
        let end = excerpt(body.as_bytes(), Some(body.len()));
        assert!(end.starts_with('…') && !end.ends_with('…'));
        assert_eq!(excerpt(b"a\nb\tc", None), "a b c");
        assert_eq!(excerpt(&[0x66, 0xff, 0x6f], None), "f\u{fffd}o");
    }

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
    fn codes_for_the_failures_applications_handle() {
        let seats = r#"{"ClassName":"HaloException","Message":"No licence seats available"}"#;
        let error = decode_json::<Value>(seats.as_bytes()).unwrap_err();
        assert_eq!(
            (error.kind(), error.status(), error.code()),
            (ErrorKind::Api, Some(200), Some(ApiCode::NoLicenceSeats))
        );
        let error = decode_json::<Value>(br#"{"Message":"You have no available licenses"}"#).unwrap_err();
        assert_eq!(error.code(), Some(ApiCode::NoLicenceSeats));
        let error = decode_json::<Value>(br#"{"resultCode":3,"errorMessage":"Ticket is locked"}"#).unwrap_err();
        assert_eq!(error.code(), Some(ApiCode::ErrorInSuccess));
        let validation = br#"{"message":"Validation failed","errors":["name is required"]}"#;
        let error = Error::from_response(StatusCode::BAD_REQUEST, None, validation);
        assert_eq!(error.code(), Some(ApiCode::Validation));
        assert_eq!(Error::from_response(StatusCode::FORBIDDEN, None, b"").code(), Some(ApiCode::Forbidden));
        assert_eq!(Error::from_response(StatusCode::NOT_FOUND, None, b"").code(), Some(ApiCode::NotFound));
        assert_eq!(Error::from_response(StatusCode::INTERNAL_SERVER_ERROR, None, b"boom").code(), None);
        // A record that mentions a licence is not an error at all.
        assert!(decode_json::<Value>(br#"{"id":1,"licence_type":2,"Message":"seat 4"}"#).is_ok());
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
    fn words_in_prose_are_not_credentials() {
        // Halo's own messages (captured) and others like them: a credential word is not a credential position.
        for prose in [
            "Password is mandatory",
            "The password must be at least 8 characters long.",
            "Your token has expired; request a new token.",
            "The client_secret is wrong or the client_id is unknown",
            "Bearer token missing",
            "API key not valid for this tenant",
            "secret santa",
            r#"{"Message":"Password is mandatory"}"#,
            r#"{"Message":"Invalid token. Please log in again."}"#,
            "Bearer error=\"invalid_token\", error_description=\"The token expired\"",
        ] {
            assert_eq!(scrub_text(prose, &[] as &[&str]), prose);
        }
        let error = Error::from_response(
            StatusCode::BAD_REQUEST,
            Some("application/json"),
            br#"{"Message":"Password is mandatory"}"#,
        );
        assert_eq!(error.message(), "Password is mandatory");
        assert_eq!(error.body_excerpt(), Some(r#"{"Message":"Password is mandatory"}"#));
        assert_eq!(error.scrub(&["s3cret-value"]).to_string(), "halo answered 400 Bad Request: Password is mandatory");
    }

    #[test]
    fn values_in_credential_positions_are_scrubbed() {
        let cases = [
            // Form fields and query parameters.
            ("password=hunter2&name=Jane", "password=***&name=Jane"),
            ("GET /api/Attachment?token=abc123&id=4 failed", "GET /api/Attachment?token=***&id=4 failed"),
            ("new_password=x1y2 was refused", "new_password=*** was refused"),
            // JSON members, also nested, also escaped inside a message, also arrays of strings.
            (r#"{"password": "hunter2", "name": "Jane"}"#, r#"{"password": "***", "name": "Jane"}"#),
            (r#"{"user":{"api_key":"k-123","id":4}}"#, r#"{"user":{"api_key":"***","id":4}}"#),
            (r#"{"client_secret": ["v1", "v2"]}"#, r#"{"client_secret": ["***", "***"]}"#),
            (r#"{"refresh_token":12345}"#, r#"{"refresh_token":***}"#),
            (r#"{"[0].password":["hunter2 is too short"]}"#, r#"{"[0].password":["***"]}"#),
            (r#"got {\"password\":\"hunter2\"}"#, r#"got {\"password\":\"***\"}"#),
            (r#"{"password": "a \"quoted\" one", "x": 1}"#, r#"{"password": "***", "x": 1}"#),
            (r#"got {\"password\":\"a\\\"b\", \"id\": 3}"#, r#"got {\"password\":\"***\", \"id\": 3}"#),
            // Header lines and authorisation schemes.
            ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: ***"),
            ("Cookie: ARRAffinity=abc; session=def", "Cookie: ***"),
            ("X-Api-Key: 0123456789\nHost: halo", "X-Api-Key: ***\nHost: halo"),
            ("rejected Bearer eyJhbGciOi.x.y, try again", "rejected Bearer ***, try again"),
            ("Basic dXNlcjpwYXNzd29yZA==", "Basic ***"),
        ];
        for (text, expected) in cases {
            assert_eq!(scrub_text(text, &[] as &[&str]), expected, "{text}");
        }
    }
}
