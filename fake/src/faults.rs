//! Switchable faults (429s, 503s, odd error bodies, id quirks, truncation, delays) and the server-side rate limit.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use serde_json::{Value, json};

use super::reply::Reply;
use super::state::{ListQuirks, lenient_id};

/// The plain-text body Halo answers a throttled request with.
pub const RATE_LIMIT_BODY: &str = "Rate Limit Reached - 300 Requests per rolling 5 minute window";

/// A misbehaviour of the server. Inject it with [`FakeHalo::inject`](super::FakeHalo::inject); by default it
/// applies to every `/api` request, for ever: narrow it with [`Fault::on`], [`Fault::times`] and [`Fault::after`].
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// 429 with the plain-text body [`RATE_LIMIT_BODY`], and `Retry-After: <secs>` when given.
    RateLimited {
        /// The `Retry-After` seconds, if any.
        retry_after: Option<u64>,
    },
    /// 429 (as [`Fault::RateLimited`]) on each matching request with this probability, from an RNG seeded with `seed`.
    RandomRateLimited {
        /// The chance of a 429 per matching request, from 0 to 1.
        probability: f64,
        /// The seed of the dice, so a run can be replayed.
        seed: u64,
        /// The `Retry-After` seconds, if any.
        retry_after: Option<u64>,
    },
    /// 503 with a plain-text body, and `Retry-After: <secs>` when given.
    Unavailable {
        /// The `Retry-After` seconds, if any.
        retry_after: Option<u64>,
    },
    /// An error answer with this status (200 included: Halo's "error in a success") and body. Nothing is saved.
    Error {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: ErrorBody,
    },
    /// The request is handled as usual (a create saves its records), then answered with this status and ASP.NET's
    /// `{"Message": "An error has occurred."}`: a server that failed after it acted (500), or a gateway that gave up
    /// on a request Halo went on to finish (502, 504). The client cannot know whether it was saved.
    FailAfterSaving(u16),
    /// Revokes every token issued so far, then lets the request through (so it gets 401).
    RevokeTokens,
    /// Integer ids (`id` and every `*_id` key) in successful JSON answers are sent as floats: `21.0`.
    IdsAsFloats,
    /// Integer ids in successful JSON answers are sent as strings: `"21"`.
    IdsAsStrings,
    /// The body of successful answers is cut in half and sent as if it were whole (status and content-type
    /// unchanged, `Content-Length` the shorter length): what a proxy that re-frames a cut answer sends.
    TruncatedBody,
    /// Successful answers declare the `Content-Length` of their whole body, but the connection is closed after
    /// half of it: a connection lost mid-answer, as a large download meets it.
    ConnectionDropped,
    /// The answer is delayed by this long (combines with every other fault).
    Delay(Duration),
    /// List requests are answered with page 1 whatever `page_no` says, and with a `server_time` field that changes
    /// with every answer, so that no two bodies are the same.
    IgnorePageNo,
    /// `record_count` in list answers is off by this much (clamped at 0): a server that lies either way.
    LyingRecordCount(i64),
    /// Every page after the first starts this many records early, repeating the end of the previous page.
    OverlappingPages(usize),
    /// Pages of this size whatever `page_size` asked (larger than asked, or smaller than the cap).
    PageSize(i64),
    /// The token endpoint answers 400 with a plain-text body that echoes the posted form, client secret included.
    EchoForm,
    /// These headers are added to the answer (combines with every other fault): what a proxy or load balancer in
    /// front of Halo adds, a session cookie for one.
    Headers(Vec<(String, String)>),
}

/// The error body shapes Halo and its clients know.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorBody {
    /// `{"ClassName": "HaloException", "Message": ...}` (a .NET exception).
    HaloException(String),
    /// `{"resultCode": ..., "errorMessage": ...}`.
    ResultCode {
        /// `resultCode`.
        code: i64,
        /// `errorMessage`.
        message: String,
    },
    /// `{"Message": ...}`.
    Message(String),
    /// `{"message": ..., "errors": [...]}` (validation).
    Validation {
        /// `message`.
        message: String,
        /// `errors`.
        errors: Vec<String>,
    },
    /// `{"error": ..., "error_description": ...}` (OAuth).
    OAuth {
        /// `error`.
        error: String,
        /// `error_description`.
        description: String,
    },
    /// Any JSON.
    Json(Value),
    /// Plain text.
    Text(String),
    /// ASP.NET Core's `BadRequest(ModelState)`: the dictionary itself, field path → messages, as Halo answers a
    /// value it cannot convert (captured: `{"[0].outcome_id": ["Could not convert string to integer: ..."]}`).
    ModelState(Vec<(String, Vec<String>)>),
    /// ASP.NET Core's problem details, as its model validation answers: `{"type", "title", "status", "errors",
    /// "traceId"}`, the `traceId` being the request's (the one the fake also sends as `Request-Id`).
    Problem {
        /// `title`: the summary ("One or more validation errors occurred.").
        title: String,
        /// `errors`: the field-by-field messages.
        errors: Value,
    },
}

impl ErrorBody {
    fn reply(&self, status: u16) -> Reply {
        match self {
            ErrorBody::HaloException(message) => {
                Reply::json(status, json!({ "ClassName": "HaloException", "Message": message }))
            }
            ErrorBody::ResultCode { code, message } => {
                Reply::json(status, json!({ "resultCode": code, "errorMessage": message }))
            }
            ErrorBody::Message(message) => Reply::json(status, json!({ "Message": message })),
            ErrorBody::Validation { message, errors } => {
                Reply::json(status, json!({ "message": message, "errors": errors }))
            }
            ErrorBody::OAuth { error, description } => {
                Reply::json(status, json!({ "error": error, "error_description": description }))
            }
            ErrorBody::Json(value) => Reply::json(status, value.clone()),
            ErrorBody::Text(text) => Reply::text(status, text.clone()),
            ErrorBody::ModelState(fields) => Reply::model_state(status, fields),
            ErrorBody::Problem { title, errors } => {
                let mut reply = Reply::json(
                    status,
                    json!({
                        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                        "title": title,
                        "status": status,
                        "errors": errors,
                    }),
                );
                reply.trace_in_body = true;
                reply
            }
        }
    }
}

impl Fault {
    /// 429 without `Retry-After`.
    pub fn rate_limited() -> Self {
        Fault::RateLimited { retry_after: None }
    }

    /// 429 with `Retry-After: secs`.
    pub fn rate_limited_retry_after(secs: u64) -> Self {
        Fault::RateLimited { retry_after: Some(secs) }
    }

    /// 429 with probability `probability` per matching request, reproducibly from `seed`.
    pub fn random_rate_limited(probability: f64, seed: u64) -> Self {
        Fault::RandomRateLimited { probability, seed, retry_after: None }
    }

    /// 503 without `Retry-After`.
    pub fn unavailable() -> Self {
        Fault::Unavailable { retry_after: None }
    }

    /// An error answer with `status` and `body`.
    pub fn error(status: u16, body: ErrorBody) -> Self {
        Fault::Error { status, body }
    }

    /// Status 200 with `{"ClassName":"HaloException","Message":"No licence seats available"}`;
    /// usually aimed at agent creation: `.on(Target::post("/api/Agent").creates_only())`.
    pub fn no_licence_seats() -> Self {
        Fault::Error { status: 200, body: ErrorBody::HaloException("No licence seats available".into()) }
    }

    /// The name used in [`RecordedRequest::faults`](super::RecordedRequest::faults).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::RateLimited { .. } => "rate_limited",
            Fault::RandomRateLimited { .. } => "random_rate_limited",
            Fault::Unavailable { .. } => "unavailable",
            Fault::Error { .. } => "error",
            Fault::FailAfterSaving(_) => "fail_after_saving",
            Fault::RevokeTokens => "revoke_tokens",
            Fault::IdsAsFloats => "ids_as_floats",
            Fault::IdsAsStrings => "ids_as_strings",
            Fault::TruncatedBody => "truncated_body",
            Fault::ConnectionDropped => "connection_dropped",
            Fault::Delay(_) => "delay",
            Fault::IgnorePageNo => "ignore_page_no",
            Fault::LyingRecordCount(_) => "lying_record_count",
            Fault::OverlappingPages(_) => "overlapping_pages",
            Fault::PageSize(_) => "page_size",
            Fault::EchoForm => "echo_form",
            Fault::Headers(_) => "headers",
        }
    }

    /// Only requests matching `target`.
    pub fn on(self, target: Target) -> Injection {
        Injection::from(self).on(target)
    }

    /// Fires on the next `n` matching requests only.
    pub fn times(self, n: u32) -> Injection {
        Injection::from(self).times(n)
    }

    /// Lets the first `n` matching requests through untouched.
    pub fn after(self, n: u32) -> Injection {
        Injection::from(self).after(n)
    }
}

/// Which requests a fault applies to: a method (any when unset) and a path prefix matched
/// case-insensitively on whole segments (`/api/Agent` matches `/api/agent/3`, not `/api/AgentCheckIn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    method: Option<String>,
    path_prefix: String,
    creates_only: bool,
}

impl Default for Target {
    /// Every `/api` request.
    fn default() -> Self {
        Target::path("/api")
    }
}

impl Target {
    /// Every request, the token endpoint included.
    pub fn any() -> Self {
        Target::path("/")
    }

    /// Every `/api` request (the default).
    pub fn api() -> Self {
        Target::default()
    }

    /// The token endpoint `/auth/token`.
    pub fn token() -> Self {
        Target::path("/auth/token")
    }

    /// Any method under this path prefix.
    pub fn path(prefix: &str) -> Self {
        Target { method: None, path_prefix: prefix.to_ascii_lowercase(), creates_only: false }
    }

    /// This method under this path prefix.
    pub fn method(method: &str, prefix: &str) -> Self {
        Target { method: Some(method.to_ascii_uppercase()), ..Target::path(prefix) }
    }

    /// `GET` under `prefix`.
    pub fn get(prefix: &str) -> Self {
        Target::method("GET", prefix)
    }

    /// `POST` under `prefix`.
    pub fn post(prefix: &str) -> Self {
        Target::method("POST", prefix)
    }

    /// `DELETE` under `prefix`.
    pub fn delete(prefix: &str) -> Self {
        Target::method("DELETE", prefix)
    }

    /// Only POSTs whose body has at least one item without an id (or with id 0 / -1): creations.
    pub fn creates_only(mut self) -> Self {
        self.creates_only = true;
        self
    }

    pub(crate) fn matches(&self, method: &str, path: &str, body: Option<&Value>) -> bool {
        if self.method.as_deref().is_some_and(|m| !m.eq_ignore_ascii_case(method)) {
            return false;
        }
        let path = path.to_ascii_lowercase();
        let prefix = self.path_prefix.trim_end_matches('/');
        let under =
            prefix.is_empty() || path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'));
        if !under {
            return false;
        }
        !self.creates_only || (method.eq_ignore_ascii_case("POST") && body.is_some_and(has_creation))
    }
}

fn has_creation(body: &Value) -> bool {
    let is_create = |item: &Value| match item.get("id") {
        None | Some(Value::Null) => true,
        Some(id) => lenient_id(id).is_some_and(|id| id <= 0),
    };
    match body {
        Value::Array(items) => items.iter().any(is_create),
        Value::Object(_) => is_create(body),
        _ => false,
    }
}

/// A fault with its target and its budget: what [`FakeHalo::inject`](super::FakeHalo::inject) takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Injection {
    pub(crate) fault: Fault,
    pub(crate) target: Target,
    pub(crate) times: Option<u32>,
    pub(crate) skip: u32,
}

impl From<Fault> for Injection {
    fn from(fault: Fault) -> Self {
        Injection { fault, target: Target::default(), times: None, skip: 0 }
    }
}

impl Injection {
    /// Only requests matching `target`.
    pub fn on(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Fires on the next `n` matching requests only (for a random fault: `n` firings).
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Lets the first `n` matching requests through untouched.
    pub fn after(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }
}

/// The handle of an injected fault, to remove it or ask how often it fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FaultId(u64);

/// A server-side limit of `max_requests` `/api` requests per rolling `window`, answered with 429.
/// Rejected requests do not count against the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub max_requests: u32,
    /// The rolling window.
    pub window: Duration,
    /// Send `Retry-After` (seconds until the oldest counted request leaves the window).
    pub retry_after: bool,
}

impl RateLimit {
    /// `max_requests` per `window`, without `Retry-After` (Halo's is unverified).
    pub fn new(max_requests: u32, window: Duration) -> Self {
        RateLimit { max_requests, window, retry_after: false }
    }

    /// A hosted tenant as observed in 2022–2023: 300 requests per rolling 5 minutes.
    pub fn hosted() -> Self {
        RateLimit::new(300, Duration::from_secs(300))
    }

    /// Also send `Retry-After`.
    pub fn with_retry_after(mut self) -> Self {
        self.retry_after = true;
        self
    }
}

pub(crate) struct RateLimiter {
    pub(crate) config: RateLimit,
    accepted: VecDeque<Instant>,
}

impl RateLimiter {
    pub(crate) fn new(config: RateLimit) -> Self {
        RateLimiter { config, accepted: VecDeque::new() }
    }

    /// `None` when the request may pass (and is counted), else the 429 answer.
    pub(crate) fn check(&mut self, now: Instant) -> Option<Reply> {
        let window = self.config.window;
        while self.accepted.front().is_some_and(|t| now.duration_since(*t) >= window) {
            self.accepted.pop_front();
        }
        if (self.accepted.len() as u64) < u64::from(self.config.max_requests) {
            self.accepted.push_back(now);
            return None;
        }
        let wait = self.accepted.front().map_or(window, |oldest| window.saturating_sub(now.duration_since(*oldest)));
        let secs = window.as_secs();
        let span = if secs >= 60 && secs.is_multiple_of(60) {
            format!("{} minute", secs / 60)
        } else {
            format!("{} second", secs.max(1))
        };
        let body = format!("Rate Limit Reached - {} Requests per rolling {span} window", self.config.max_requests);
        let retry = self.config.retry_after.then(|| wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        Some(Reply::text(429, body).with_retry_after(retry))
    }
}

/// SplitMix64: small, seeded, reproducible; good enough for fault dice and opaque tokens.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How ids are rewritten in successful answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdStyle {
    Floats,
    Strings,
}

/// What the faults decided for one request.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    pub(crate) delay: Duration,
    pub(crate) terminal: Option<Reply>,
    pub(crate) revoke: bool,
    /// Handle the request, then answer with this status.
    pub(crate) fail_after: Option<u16>,
    pub(crate) ids: Option<IdStyle>,
    pub(crate) truncate: bool,
    pub(crate) dropped: bool,
    pub(crate) echo_form: bool,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) list: ListQuirks,
    pub(crate) fired: Vec<&'static str>,
}

struct Active {
    id: FaultId,
    injection: Injection,
    rng: SplitMix64,
    hits: u32,
}

/// The injected faults, in injection order.
#[derive(Default)]
pub(crate) struct FaultEngine {
    next_id: u64,
    active: Vec<Active>,
}

impl FaultEngine {
    pub(crate) fn inject(&mut self, injection: Injection) -> FaultId {
        self.next_id += 1;
        let id = FaultId(self.next_id);
        let seed = match injection.fault {
            Fault::RandomRateLimited { seed, .. } => seed,
            _ => 0,
        };
        self.active.push(Active { id, injection, rng: SplitMix64::new(seed), hits: 0 });
        id
    }

    pub(crate) fn remove(&mut self, id: FaultId) -> bool {
        let before = self.active.len();
        self.active.retain(|a| a.id != id);
        before != self.active.len()
    }

    pub(crate) fn clear(&mut self) {
        self.active.clear();
    }

    pub(crate) fn hits(&self, id: FaultId) -> u32 {
        self.active.iter().find(|a| a.id == id).map_or(0, |a| a.hits)
    }

    /// Runs every injected fault matching the request, in order; the first one that answers stops the walk.
    pub(crate) fn evaluate(&mut self, method: &str, path: &str, body: Option<&Value>) -> Gate {
        let mut gate = Gate::default();
        for active in &mut self.active {
            let inj = &mut active.injection;
            if inj.times == Some(0) || !inj.target.matches(method, path, body) {
                continue;
            }
            if inj.skip > 0 {
                inj.skip -= 1;
                continue;
            }
            if let Fault::RandomRateLimited { probability, .. } = inj.fault
                && active.rng.next_f64() >= probability
            {
                continue;
            }
            if let Some(n) = inj.times.as_mut() {
                *n -= 1;
            }
            active.hits += 1;
            gate.fired.push(inj.fault.name());
            match &inj.fault {
                Fault::RateLimited { retry_after } | Fault::RandomRateLimited { retry_after, .. } => {
                    gate.terminal = Some(Reply::text(429, RATE_LIMIT_BODY).with_retry_after(*retry_after));
                }
                Fault::Unavailable { retry_after } => {
                    gate.terminal = Some(
                        Reply::text(
                            503,
                            "Service Unavailable - the server is temporarily unable to handle the request",
                        )
                        .with_retry_after(*retry_after),
                    );
                }
                Fault::Error { status, body } => gate.terminal = Some(body.reply(*status)),
                Fault::FailAfterSaving(status) => gate.fail_after = Some(*status),
                Fault::RevokeTokens => gate.revoke = true,
                Fault::IdsAsFloats => gate.ids = Some(IdStyle::Floats),
                Fault::IdsAsStrings => gate.ids = Some(IdStyle::Strings),
                Fault::TruncatedBody => gate.truncate = true,
                Fault::ConnectionDropped => gate.dropped = true,
                Fault::Delay(d) => gate.delay += *d,
                Fault::IgnorePageNo => gate.list.ignore_page_no = Some(u64::from(active.hits)),
                Fault::LyingRecordCount(delta) => gate.list.count_delta += delta,
                Fault::OverlappingPages(overlap) => gate.list.overlap += overlap,
                Fault::PageSize(size) => gate.list.page_size = Some(*size),
                Fault::EchoForm => gate.echo_form = true,
                Fault::Headers(headers) => gate.headers.extend(headers.iter().cloned()),
            }
            if gate.terminal.is_some() {
                break;
            }
        }
        gate
    }
}

/// Rewrites every integer `id` / `*_id` value in `value` (recursively) in the given style.
pub(crate) fn restyle_ids(value: &mut Value, style: IdStyle) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| restyle_ids(v, style)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let is_id = key == "id" || key.ends_with("_id");
                match v {
                    Value::Number(n) if is_id => {
                        if let Some(i) = n.as_i64() {
                            *v = match style {
                                IdStyle::Floats => {
                                    serde_json::Number::from_f64(i as f64).map_or(Value::Null, Value::Number)
                                }
                                IdStyle::Strings => Value::String(i.to_string()),
                            };
                        }
                    }
                    _ => restyle_ids(v, style),
                }
            }
        }
        _ => {}
    }
}
