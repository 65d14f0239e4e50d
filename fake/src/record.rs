//! What the fake records of every request it receives, for assertions.

use std::time::Duration;

use serde_json::Value;

/// One request as the fake received it, with the status it answered (`None` while still in flight).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// Order of arrival, from 0, across API and token requests.
    pub seq: u64,
    /// Time since the server started.
    pub at: Duration,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path as sent (case preserved), e.g. `/api/Agent/3`.
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    pub query: String,
    /// The query string decoded into name/value pairs, in order.
    pub query_pairs: Vec<(String, String)>,
    /// Every header, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The `content-type` header, if any.
    pub content_type: Option<String>,
    /// The `authorization` header, if any.
    pub authorization: Option<String>,
    /// The body parsed as JSON (for token requests: the form fields as a JSON object); `None` when empty or unparseable.
    pub body: Option<Value>,
    /// The body as text (lossy UTF-8).
    pub raw_body: String,
    /// The status the fake answered with.
    pub status: Option<u16>,
    /// The names of the faults that fired on this request, in order (e.g. `["delay", "rate_limited"]`).
    pub faults: Vec<&'static str>,
}

impl RecordedRequest {
    /// The first value of a query parameter, matched case-insensitively (as ASP.NET binds them).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query_pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The token of an `Authorization: Bearer ...` header.
    pub fn bearer_token(&self) -> Option<&str> {
        bearer(self.authorization.as_deref()?)
    }

    /// Whether the request carried an `Authorization: Bearer ...` header.
    pub fn has_bearer(&self) -> bool {
        self.bearer_token().is_some()
    }

    /// The body items of a POST: the array's elements, or the one object.
    pub fn body_items(&self) -> Vec<Value> {
        match &self.body {
            Some(Value::Array(items)) => items.clone(),
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        }
    }

    /// The trace id the fake answered this request with: its `Request-Id` header, and the `traceId` of a
    /// problem-details error body.
    pub fn trace_id(&self) -> String {
        trace_id(self.seq)
    }

    /// `method path` with the query string, e.g. `GET /api/Agent?search=x`, for readable assertions.
    pub fn line(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.query)
        }
    }
}

/// The token of a `Bearer` authorization value (scheme matched case-insensitively).
pub(crate) fn bearer(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The trace id of request `seq`, in W3C form as ASP.NET writes it (`00-<trace id>-<span id>-00`): sent as
/// `Request-Id` on every answer, and as `traceId` in problem-details error bodies.
pub(crate) fn trace_id(seq: u64) -> String {
    format!("00-fa4e{seq:028x}-{:016x}-00", seq + 1)
}
