//! [`Response`]: a decoded answer together with its HTTP status, its headers and Halo's trace id, for callers that
//! use `send_with_response()` instead of `send()`.
//!
//! Also the one place that knows where Halo's trace id is ([`trace_id_from_headers`]) and which headers an error
//! may keep ([`safe_headers`]).

use std::fmt;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

/// A decoded answer with the status, the headers and Halo's trace id of the HTTP response it came from; returned
/// by every request builder's `send_with_response()` and by
/// [`CustomRequest::send_with_response`](super::CustomRequest::send_with_response).
///
/// With retries, these are the status and headers of the attempt that succeeded.
///
/// ```no_run
/// # async fn example(client: halopsa::Client) -> halopsa::Result<()> {
/// let response = client.agents().list().search("jane").send_with_response().await?;
/// println!("{} (trace {:?})", response.status(), response.trace_id());
/// let page = response.into_inner();
/// # let _ = page;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Response<T> {
    status: StatusCode,
    headers: HeaderMap,
    value: T,
    rate_remaining: Option<u32>,
}

impl<T> Response<T> {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, value: T) -> Self {
        Response { status, headers, value, rate_remaining: None }
    }

    /// What the client's pacer had left when the answer arrived.
    pub(crate) fn with_rate_remaining(mut self, remaining: Option<u32>) -> Self {
        self.rate_remaining = remaining;
        self
    }

    /// The HTTP status of the answer (`200 OK`, `201 Created`, ...). Compares with a number:
    /// `response.status() == 200`.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every header of the answer, as Halo (or a proxy in front of it) sent them.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The id Halo's side gives this request, for a support ticket or its logs, when the answer carries one: the
    /// first of the headers `Request-Id`, `X-Request-Id`, `traceresponse`, `traceparent` and `X-Correlation-Id`
    /// that is present. No public source shows which of these a Halo instance sends on a success, so this is
    /// often `None`; Halo's error bodies (ASP.NET problem details) carry a `traceId`, which
    /// [`Error::trace_id`](super::Error::trace_id) reports.
    pub fn trace_id(&self) -> Option<&str> {
        trace_id_from_headers(&self.headers)
    }

    /// How many more requests the client's [`RateLimit`](super::RateLimit) or
    /// [`RateBudget`](super::RateBudget) let it send when this answer arrived (for a bulk handle of a budget,
    /// without the share it leaves to interactive clients); `None` for a client without either.
    pub fn rate_remaining(&self) -> Option<u32> {
        self.rate_remaining
    }

    /// The decoded value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The decoded value, mutably.
    pub fn value_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// The decoded value, dropping the status and headers.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The decoded value, the status and the headers.
    pub fn into_parts(self) -> (T, StatusCode, HeaderMap) {
        (self.value, self.status, self.headers)
    }

    /// The same status and headers with the value changed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            status: self.status,
            headers: self.headers,
            value: f(self.value),
            rate_remaining: self.rate_remaining,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Response<T> {
    /// The status, the trace id, the header names (not their values: a `Set-Cookie` may hold a session) and the
    /// value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("trace_id", &self.trace_id())
            .field("headers", &names)
            .field("value", &self.value)
            .finish()
    }
}

/// The response headers that may carry Halo's request or trace id, in the order they are looked at.
///
/// `Request-Id` is the header of .NET's HTTP correlation protocol (an ASP.NET application's `Activity` id, the
/// same id its problem details call `traceId`); `X-Request-Id` and `X-Correlation-Id` are what proxies and load
/// balancers commonly add; `traceresponse` (W3C Trace Context level 2) and `traceparent` carry a W3C trace id.
pub(crate) const TRACE_HEADERS: &[&str] =
    &["request-id", "x-request-id", "traceresponse", "traceparent", "x-correlation-id"];

/// The first trace header present, if its value is printable text.
pub(crate) fn trace_id_from_headers(headers: &HeaderMap) -> Option<&str> {
    TRACE_HEADERS.iter().find_map(|name| {
        let value = headers.get(*name)?.to_str().ok()?.trim();
        (!value.is_empty()).then_some(value)
    })
}

/// Headers that can hold credentials or a session, never kept in an error.
const SECRET_HEADERS: &[HeaderName] = &[
    header::AUTHORIZATION,
    header::PROXY_AUTHORIZATION,
    header::COOKIE,
    header::SET_COOKIE,
    header::PROXY_AUTHENTICATE,
];

/// The headers an [`Error`](super::Error) keeps: without those that can carry a credential or a session
/// (`Authorization`, `Cookie`, `Set-Cookie`, ...), with `***` as the value of any other header named for a
/// credential (`X-Api-Key`, `X-Auth-Token`, ...), and with every remaining value passed through `scrub` (a value
/// that is not printable text, which cannot be checked, is dropped).
pub(crate) fn safe_headers(headers: &HeaderMap, scrub: impl Fn(&str) -> String) -> HeaderMap {
    let mut safe = HeaderMap::new();
    for (name, value) in headers {
        if SECRET_HEADERS.contains(name) || value.is_sensitive() {
            continue;
        }
        if super::scrub::is_credential_name(name.as_str()) {
            safe.append(name.clone(), HeaderValue::from_static("***"));
            continue;
        }
        let Ok(text) = value.to_str() else { continue };
        let scrubbed = scrub(text);
        let value = if scrubbed == text {
            value.clone()
        } else {
            HeaderValue::from_str(&scrubbed).unwrap_or_else(|_| HeaderValue::from_static("***"))
        };
        safe.append(name.clone(), value);
    }
    safe
}
