//! Receiving Halo's webhooks, without a web framework: check that a request comes from Halo, parse its body into
//! typed events (one, or a batch), and tell events apart for deduplication. Cargo feature `webhook-receiver`; the
//! feature `webhook-axum` adds an extractor for axum ([`axum::HaloWebhook`]).
//!
//! # What Halo sends
//!
//! Halo posts a JSON object per event to the webhook's URL, or, when the webhook batches ("Batching" in Halo,
//! `batch_method` in the API), a JSON array of them. Every event carries an id, the notification and message ids,
//! the event's name, the webhook's id, the record's id and a timestamp, and, where it applies, the record itself
//! (`ticket`, and the action). It carries no tenant id. [`Event`] types those fields (every one is in Halo's guide
//! "Webhook Integration" and in a payload seen on a live tenant; sources in the repository's `spec/README.md`,
//! "Webhooks"); everything else stays JSON: [`Event::json`], and your own payload type `T` of
//! [`Receiver::receive`], which is decoded from each event object (`ticket` into the crate's `models::Ticket`, say).
//!
//! # Rules
//!
//! * **Authentication first.** [`Receiver::receive`] finds the [`Endpoint`] by path and credentials before it
//!   reads the body: no endpoint at the path is a 404, wrong or missing credentials a 401
//!   ([`Rejection::www_authenticate`] says what to challenge with). Secrets are compared in constant time
//!   (`subtle`), and never printed.
//! * **All or nothing.** A body that is not JSON, not an object or an array of objects, or one of whose events has
//!   a field of the wrong type for the envelope or does not decode as your `T` is a 400 for the whole delivery,
//!   whose message names the event (`[3].ticket: ...`). (A field of one of the crate's models with a value of another
//!   type is type drift, as in answers: the field is `None` and the value kept.) Nothing of it is handed over: a 2xx answer then always means
//!   "every event of this delivery was taken", which is what Halo's delivery log records. A bad event is a bug (of
//!   Halo, of a custom payload, or of `T`) that retrying will not fix; after fixing it, re-deliver the logged
//!   deliveries with [`Replay`].
//! * **At least once, in any order.** A delivery can arrive twice (Halo's log can re-send it; a retry after a lost
//!   answer) and deliveries can overtake each other. [`Event::dedupe_key`] (Halo's event id) recognises repeats
//!   ([`Dedupe`] remembers recent ones), and [`Event::timestamp`] orders events of one record.
//!
//! # Authentication
//!
//! A Halo webhook authenticates with Basic credentials, a Bearer token, an API key header, or a client
//! certificate ([`Credentials`]). With a **client certificate**, Halo presents the certificate chosen on the
//! webhook (`certificate_id`) in the TLS handshake; only the TLS terminator in front of your application sees it.
//! Configure that terminator to require and verify it (nginx: `ssl_verify_client on;` with
//! `ssl_client_certificate` naming the issuing CA, and a check of `$ssl_client_s_dn` to pin the certificate;
//! rustls: a `WebPkiClientVerifier` over that CA), so that requests without it never reach the application. The
//! core checks nothing about certificates: use [`Credentials::none`] for such an endpoint, with a path of its own.
//!
//! # Several Halo instances in one process
//!
//! Halo's payload does not say which instance sent it, so give each instance its own endpoint: a path
//! (`/halo/acme`), or credentials of its own on a shared path. The [`Delivery`] names the endpoint that took it.
//!
//! ```
//! use halopsa::HeaderMap;
//! use halopsa::webhook_receiver::{Credentials, Endpoint, Json, Receiver, RejectionKind};
//!
//! let receiver = Receiver::builder()
//!     .endpoint(Endpoint::new("acme", Credentials::basic("halo", "acme-secret")).path("/halo/acme"))
//!     .endpoint(Endpoint::new("globex", Credentials::bearer("globex-token")).path("/halo/globex"))
//!     .build()?;
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("authorization", "Bearer globex-token".parse().expect("a header value"));
//! let body = br#"[{"id": "8e25bc7b", "event": "New Ticket Logged", "object_id": 42, "ticket": {"id": 42}}]"#;
//! let delivery = receiver.receive::<Json>("/halo/globex", &headers, body)?;
//! assert_eq!(delivery.endpoint(), Some("globex"));
//! assert_eq!(delivery.events()[0].object_id(), Some(42));
//!
//! let wrong = receiver.receive::<Json>("/halo/acme", &headers, body).unwrap_err();
//! assert_eq!((wrong.kind(), wrong.status().as_u16()), (RejectionKind::Unauthorized, 401));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName};
use serde::de::DeserializeOwned;
use subtle::{Choice, ConstantTimeEq};

use super::{Error, Result};

#[cfg(feature = "webhook-axum")]
#[path = "webhook_axum.rs"]
pub mod axum;
#[path = "webhook_event.rs"]
mod event;
#[path = "webhook_replay.rs"]
mod replay;

pub use event::{Dedupe, DedupeKey, Delivery, Event, Json};
pub use replay::{Replay, Replayed};

/// What a Halo webhook is configured to send, and so what a request must carry to be accepted.
///
/// `Debug` shows the kind and the user name or header name, never a password, token or key.
#[derive(Clone)]
pub struct Credentials(Secret);

#[derive(Clone)]
enum Secret {
    None,
    Basic { username: String, password: String },
    Bearer(String),
    ApiKey { header: String, value: String },
}

impl Credentials {
    /// Halo's "Basic Authentication": `Authorization: Basic base64(username:password)`, the user name and
    /// password set on the webhook (`basic_username`, `basic_password`).
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials(Secret::Basic { username: username.into(), password: password.into() })
    }

    /// Halo's "Bearer Token": `Authorization: Bearer <token>`.
    pub fn bearer(token: impl Into<String>) -> Self {
        Credentials(Secret::Bearer(token.into()))
    }

    /// Halo's "API Key": the key in a header of its own (`header`, any case; [`ReceiverBuilder::build`] refuses a
    /// name that is not a valid header name).
    pub fn api_key(header: impl Into<String>, value: impl Into<String>) -> Self {
        Credentials(Secret::ApiKey { header: header.into().to_ascii_lowercase(), value: value.into() })
    }

    /// No credentials: every request is accepted. Only for an endpoint that something else protects, such as a TLS
    /// terminator that verifies Halo's client certificate (see the [module docs](self#authentication)).
    pub fn none() -> Self {
        Credentials(Secret::None)
    }

    /// Whether `headers` carry these credentials. Secrets are compared in constant time (`subtle`): how long the
    /// comparison takes does not depend on how much of a wrong secret matched (it does depend on its length, as
    /// with any such comparison). A header that appears more than once is refused.
    pub fn verify(&self, headers: &HeaderMap) -> bool {
        let choice = match &self.0 {
            Secret::None => Choice::from(1),
            Secret::Basic { username, password } => match basic(headers) {
                Some((user, pass)) => {
                    user.as_slice().ct_eq(username.as_bytes()) & pass.as_slice().ct_eq(password.as_bytes())
                }
                None => Choice::from(0),
            },
            Secret::Bearer(token) => match authorization(headers, "Bearer") {
                Some(given) => given.as_bytes().ct_eq(token.as_bytes()),
                None => Choice::from(0),
            },
            Secret::ApiKey { header, value } => match single(headers, header.as_str()) {
                Some(given) => given.trim_ascii().ct_eq(value.as_bytes()),
                None => Choice::from(0),
            },
        };
        choice.into()
    }

    /// The `WWW-Authenticate` challenge a 401 answers with for these credentials.
    fn challenge(&self) -> Option<&'static str> {
        match self.0 {
            Secret::Basic { .. } => Some(r#"Basic realm="Halo webhooks", charset="UTF-8""#),
            Secret::Bearer(_) => Some(r#"Bearer realm="Halo webhooks""#),
            Secret::ApiKey { .. } | Secret::None => None,
        }
    }

    /// Whether one request could carry both these and `other` (so two endpoints on one path could not be told
    /// apart). Run once when the receiver is built, not on requests, so the comparison need not be constant-time.
    fn overlaps(&self, other: &Credentials) -> bool {
        match (&self.0, &other.0) {
            (Secret::None, _) | (_, Secret::None) => true,
            (Secret::Basic { username: a, password: p }, Secret::Basic { username: b, password: q }) => {
                a == b && p == q
            }
            (Secret::Bearer(a), Secret::Bearer(b)) => a == b,
            (Secret::ApiKey { header: h, value: a }, Secret::ApiKey { header: k, value: b }) => h == k && a == b,
            _ => false,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Secret::None => f.write_str("Credentials::None"),
            Secret::Basic { username, .. } => {
                f.debug_struct("Credentials::Basic").field("username", username).field("password", &"***").finish()
            }
            Secret::Bearer(_) => f.write_str("Credentials::Bearer(***)"),
            Secret::ApiKey { header, .. } => {
                f.debug_struct("Credentials::ApiKey").field("header", header).field("value", &"***").finish()
            }
        }
    }
}

/// The value of the one `name` header; `None` when it is missing or repeated.
fn single<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h [u8]> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    values.next().is_none().then_some(value.as_bytes())
}

/// The credentials of an `Authorization` header with this scheme (compared without regard to case).
fn authorization<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    let value = std::str::from_utf8(single(headers, AUTHORIZATION.as_str())?).ok()?;
    let (given, credentials) = value.trim().split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| credentials.trim())
}

/// The user name and password of `Authorization: Basic ...` (padding optional, as some senders leave it out).
fn basic(headers: &HeaderMap) -> Option<(Vec<u8>, Vec<u8>)> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let decoded = LENIENT.decode(authorization(headers, "Basic")?).ok()?;
    let colon = decoded.iter().position(|byte| *byte == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

/// One Halo instance (or one webhook) a [`Receiver`] accepts deliveries from: a name of your choosing, the
/// credentials its webhook sends, and optionally the path its webhook posts to.
#[derive(Clone, Debug)]
pub struct Endpoint {
    name: String,
    path: Option<String>,
    credentials: Credentials,
}

impl Endpoint {
    /// An endpoint named `name` (what [`Delivery::endpoint`] reports) that accepts requests with `credentials`, at
    /// any path unless [`path`](Self::path) says otherwise.
    pub fn new(name: impl Into<String>, credentials: Credentials) -> Self {
        Endpoint { name: name.into(), path: None, credentials }
    }

    /// Accepts requests to this path only (`/halo/acme`; a trailing `/` and the query string do not count). The path
    /// is the one your server hands over: inside a router nested under a prefix, that is the path without it.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(normalize(&path.into()).to_owned());
        self
    }

    /// The endpoint's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn serves(&self, path: &str) -> bool {
        self.path.as_deref().is_none_or(|own| own == path)
    }
}

/// The path without its query string and trailing slashes (`/` stays `/`).
fn normalize(path: &str) -> &str {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

/// Accepts Halo's webhook deliveries for one or more [`Endpoint`]s: authenticates a request, then parses its body
/// ([module docs](self)). Cheap to clone (the endpoints are shared), so it can be the state of a web application.
#[derive(Clone, Debug)]
pub struct Receiver {
    endpoints: Arc<[Endpoint]>,
}

/// Builds a [`Receiver`]: [`Receiver::builder`].
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ReceiverBuilder {
    endpoints: Vec<Endpoint>,
}

impl ReceiverBuilder {
    /// Adds an endpoint. Endpoints are tried in the order they were added.
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoints.push(endpoint);
        self
    }

    /// The receiver, or an [`ErrorKind::Config`](super::ErrorKind::Config) error when there is no endpoint, two
    /// share a name, a path does not start with `/`, an API key's header name is not a valid header name, or two
    /// endpoints that serve one path would both accept one request (the same credentials, or [`Credentials::none`]
    /// beside any other): a delivery must reach exactly one endpoint.
    pub fn build(self) -> Result<Receiver> {
        if self.endpoints.is_empty() {
            return Err(Error::config("a webhook receiver needs at least one endpoint"));
        }
        for (index, endpoint) in self.endpoints.iter().enumerate() {
            if let Some(path) = &endpoint.path
                && !path.starts_with('/')
            {
                return Err(Error::config(format!(
                    "endpoint `{}`: the path `{path}` must start with `/`",
                    endpoint.name
                )));
            }
            if let Secret::ApiKey { header, .. } = &endpoint.credentials.0
                && HeaderName::from_bytes(header.as_bytes()).is_err()
            {
                return Err(Error::config(format!("endpoint `{}`: `{header}` is not a header name", endpoint.name)));
            }
            for earlier in &self.endpoints[..index] {
                if earlier.name == endpoint.name {
                    return Err(Error::config(format!("two endpoints are named `{}`", endpoint.name)));
                }
                let shared_path = match (&earlier.path, &endpoint.path) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                };
                if shared_path && earlier.credentials.overlaps(&endpoint.credentials) {
                    return Err(Error::config(format!(
                        "endpoints `{}` and `{}` serve the same path and would both accept one request: give each \
                         credentials or a path of its own",
                        earlier.name, endpoint.name
                    )));
                }
            }
        }
        Ok(Receiver { endpoints: self.endpoints.into() })
    }
}

impl Receiver {
    /// A receiver for one Halo instance: one endpoint named `halo`, at any path.
    pub fn new(credentials: Credentials) -> Self {
        Receiver { endpoints: vec![Endpoint::new("halo", credentials)].into() }
    }

    /// A receiver for one or more endpoints.
    pub fn builder() -> ReceiverBuilder {
        ReceiverBuilder::default()
    }

    /// The endpoints, in the order they are tried.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The endpoint a request to `path` with `headers` is for: the first that serves the path and whose credentials
    /// the headers carry. Every endpoint that serves the path checks the headers, so how long this takes does not
    /// say which one matched. A 404 [`Rejection`] when no endpoint serves the path, a 401 when none accepts the
    /// credentials.
    pub fn authenticate(&self, path: &str, headers: &HeaderMap) -> std::result::Result<&Endpoint, Rejection> {
        let path = normalize(path);
        let mut serving = self.endpoints.iter().filter(|endpoint| endpoint.serves(path)).peekable();
        let challenge = serving.peek().and_then(|endpoint| endpoint.credentials.challenge());
        let mut any = false;
        let mut found = None;
        for endpoint in serving {
            any = true;
            if endpoint.credentials.verify(headers) && found.is_none() {
                found = Some(endpoint);
            }
        }
        match (found, any) {
            (Some(endpoint), _) => Ok(endpoint),
            (None, true) => Err(Rejection::unauthorized(challenge)),
            (None, false) => Err(Rejection::new(RejectionKind::NotFound, format!("no webhook endpoint at `{path}`"))),
        }
    }

    /// Authenticates the request ([`authenticate`](Self::authenticate)), then parses its body
    /// ([`Delivery::parse`]): every event, or a [`Rejection`] and nothing. `T` is what each event object is also
    /// decoded as: [`Json`] keeps it as JSON, your own `#[derive(Deserialize)]` type picks what it needs
    /// (`struct Payload { ticket: Option<halopsa::models::Ticket> }`).
    pub fn receive<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> std::result::Result<Delivery<T>, Rejection> {
        let endpoint = self.authenticate(path, headers)?;
        Ok(Delivery::parse(body)?.with_endpoint(&endpoint.name))
    }
}

/// Why a webhook request was refused, and the answer it gets: [`status`](Self::status) (401, 404 or 400) and a
/// [`message`](Self::message) that never repeats credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    kind: RejectionKind,
    message: String,
    challenge: Option<&'static str>,
}

/// The kinds of [`Rejection`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionKind {
    /// 401: the credentials are missing or wrong.
    Unauthorized,
    /// 404: no endpoint serves the path.
    NotFound,
    /// 400: the body is not a delivery (not JSON, not an object or an array of objects, or an event with a field
    /// of the wrong type).
    BadRequest,
}

impl Rejection {
    pub(crate) fn new(kind: RejectionKind, message: impl Into<String>) -> Self {
        Rejection { kind, message: message.into(), challenge: None }
    }

    fn unauthorized(challenge: Option<&'static str>) -> Self {
        let message = "the request does not carry the credentials this webhook endpoint expects";
        Rejection { challenge, ..Rejection::new(RejectionKind::Unauthorized, message) }
    }

    /// What was wrong.
    pub fn kind(&self) -> RejectionKind {
        self.kind
    }

    /// The status to answer with: 401, 404 or 400.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            RejectionKind::Unauthorized => StatusCode::UNAUTHORIZED,
            RejectionKind::NotFound => StatusCode::NOT_FOUND,
            RejectionKind::BadRequest => StatusCode::BAD_REQUEST,
        }
    }

    /// What was wrong, for the answer's body and the logs: for a 400, where (`[2].timestamp: invalid type: ...`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `WWW-Authenticate` header a 401 answers with (HTTP requires one): Basic or Bearer, after the first
    /// endpoint that serves the path; `None` for API keys and for other rejections.
    pub fn www_authenticate(&self) -> Option<&str> {
        self.challenge
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "webhook request refused ({}): {}", self.status(), self.message)
    }
}

impl std::error::Error for Rejection {}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    fn basic_header(user: &str, password: &str) -> String {
        use base64::Engine as _;
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
    }

    #[test]
    fn basic_credentials_must_match_exactly() {
        let credentials = Credentials::basic("halo", "s3cret:with:colons");
        assert!(credentials.verify(&headers(&[("authorization", &basic_header("halo", "s3cret:with:colons"))])));
        // The scheme is case-insensitive and padding optional.
        let unpadded = basic_header("halo", "s3cret:with:colons").trim_end_matches('=').replace("Basic", "basic");
        assert!(credentials.verify(&headers(&[("authorization", &unpadded)])));
        for wrong in [
            basic_header("halo", "s3cret:with:colon"),
            basic_header("Halo", "s3cret:with:colons"),
            basic_header("halo", ""),
            "Basic !!!".to_owned(),
            "Bearer s3cret:with:colons".to_owned(),
        ] {
            assert!(!credentials.verify(&headers(&[("authorization", &wrong)])), "{wrong}");
        }
        assert!(!credentials.verify(&HeaderMap::new()));
        // A repeated header is refused even when one copy is right.
        let right = basic_header("halo", "s3cret:with:colons");
        assert!(!credentials.verify(&headers(&[("authorization", &right), ("authorization", &right)])));
    }

    #[test]
    fn bearer_tokens_and_api_keys() {
        let bearer = Credentials::bearer("t0ken");
        assert!(bearer.verify(&headers(&[("authorization", "Bearer t0ken")])));
        assert!(bearer.verify(&headers(&[("authorization", "bearer  t0ken ")])));
        assert!(!bearer.verify(&headers(&[("authorization", "Bearer t0ke")])));
        assert!(!bearer.verify(&headers(&[("authorization", "Basic t0ken")])));
        assert!(!bearer.verify(&headers(&[("x-api-key", "t0ken")])));

        let key = Credentials::api_key("X-Api-Key", "k3y");
        assert!(key.verify(&headers(&[("x-api-key", "k3y")])));
        assert!(!key.verify(&headers(&[("x-api-key", "k3y2")])));
        assert!(!key.verify(&headers(&[("authorization", "Bearer k3y")])));
        assert!(!key.verify(&headers(&[("x-api-key", "k3y"), ("x-api-key", "k3y")])));
        assert!(Credentials::none().verify(&HeaderMap::new()));
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let shown = format!(
            "{:?} {:?} {:?} {:?}",
            Credentials::basic("halo", "pa55word"),
            Credentials::bearer("t0ken-value"),
            Credentials::api_key("x-api-key", "k3y-value"),
            Receiver::new(Credentials::bearer("t0ken-value"))
        );
        for secret in ["pa55word", "t0ken-value", "k3y-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("halo") && shown.contains("x-api-key"), "{shown}");
    }

    #[test]
    fn routes_by_path_then_by_credentials() {
        let receiver = Receiver::builder()
            .endpoint(Endpoint::new("acme", Credentials::basic("halo", "a")).path("/hooks/acme/"))
            .endpoint(Endpoint::new("shared-1", Credentials::bearer("one")).path("/hooks"))
            .endpoint(Endpoint::new("shared-2", Credentials::bearer("two")).path("/hooks"))
            .build()
            .unwrap();
        let acme = headers(&[("authorization", &basic_header("halo", "a"))]);
        assert_eq!(receiver.authenticate("/hooks/acme?x=1", &acme).unwrap().name(), "acme");
        let two = headers(&[("authorization", "Bearer two")]);
        assert_eq!(receiver.authenticate("/hooks/", &two).unwrap().name(), "shared-2");
        // The right credentials on the wrong path are refused.
        let refused = receiver.authenticate("/hooks/acme", &two).unwrap_err();
        assert_eq!(
            (refused.status(), refused.www_authenticate()),
            (StatusCode::UNAUTHORIZED, Some(r#"Basic realm="Halo webhooks", charset="UTF-8""#))
        );
        let missing = receiver.authenticate("/elsewhere", &two).unwrap_err();
        assert_eq!(missing.kind(), RejectionKind::NotFound);
    }

    #[test]
    fn ambiguous_or_broken_endpoints_are_refused_when_built() {
        let build = |endpoints: Vec<Endpoint>| {
            endpoints
                .into_iter()
                .fold(Receiver::builder(), ReceiverBuilder::endpoint)
                .build()
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert!(build(vec![]).unwrap_err().contains("at least one endpoint"));
        let same = || Endpoint::new("a", Credentials::bearer("t"));
        assert!(build(vec![same(), same()]).unwrap_err().contains("named `a`"));
        let b = Endpoint::new("b", Credentials::bearer("t"));
        assert!(build(vec![same(), b.clone()]).unwrap_err().contains("would both accept"));
        assert!(build(vec![same().path("/a"), b.path("/b")]).is_ok(), "separate paths");
        let open = Endpoint::new("open", Credentials::none());
        assert!(build(vec![same(), open.clone()]).unwrap_err().contains("would both accept"));
        assert!(build(vec![same().path("/a"), open.path("/open")]).is_ok());
        assert!(
            build(vec![Endpoint::new("p", Credentials::none()).path("relative")]).unwrap_err().contains("start with")
        );
        let bad_header = Endpoint::new("k", Credentials::api_key("bad header", "v"));
        assert!(build(vec![bad_header]).unwrap_err().contains("not a header name"));
    }
}
