//! Authentication: a static bearer token, or OAuth client credentials with a cached, single-flight token.
//!
//! Halo's token endpoint (`POST {auth server}/token`, normally `https://<tenant>.halopsa.com/auth/token`, with
//! `?tenant=<name>` on Halo-hosted instances) takes a form with `grant_type=client_credentials`, `client_id`,
//! `client_secret` and space-separated `scope`s, and answers `{access_token, token_type, expires_in}`, or OAuth's
//! `{error, error_description}` (HALO-NOTES §3, "Auth").

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use percent_encoding::utf8_percent_encode;
use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use super::driver::{Authorize, BoxFuture, Credential, Driver, Exchange};
use super::encode::FORM;
use super::error::{Error, ErrorKind, Result};
use super::error_body::halo_message;
use super::hooks::CallKind;
use super::retry::{Failure, RetryPolicy};
use super::transport::Transport;

/// A string that must not be shown: `Debug` prints `"***"`, and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// How the client authenticates.
#[derive(Debug)]
// One per client, made once and never moved around: the size of the OAuth variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Auth {
    /// A token the caller obtained; sent as is, never refreshed.
    Bearer(HeaderValue),
    /// OAuth client credentials, exchanged for a cached token.
    ClientCredentials(TokenSource),
}

impl Auth {
    /// A static bearer token as a header value, marked sensitive so that `http`'s `Debug` hides it too.
    pub(crate) fn bearer(token: &Secret) -> Result<Auth> {
        let mut header = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| Error::config("the bearer token contains characters that cannot go in an HTTP header"))?;
        header.set_sensitive(true);
        Ok(Auth::Bearer(header))
    }

    /// The credential for the next attempt, fetching a token first if there is none or it is about to expire.
    pub(crate) async fn credential(&self, transport: &Transport) -> Result<Credential> {
        match self {
            Auth::Bearer(header) => Ok(Credential { header: header.clone(), generation: 0 }),
            Auth::ClientCredentials(source) => source.credential(transport).await,
        }
    }

    /// What must never appear in an error: the client secret, the static token, the current access token.
    pub(crate) fn secrets(&self) -> Vec<String> {
        match self {
            Auth::Bearer(header) => {
                let value = header.to_str().unwrap_or_default();
                vec![value.strip_prefix("Bearer ").unwrap_or(value).to_owned()]
            }
            Auth::ClientCredentials(source) => {
                let mut secrets = vec![source.secret.expose().to_owned()];
                if let Some(token) = &source.state().token {
                    let value = token.header.to_str().unwrap_or_default();
                    secrets.push(value.strip_prefix("Bearer ").unwrap_or(value).to_owned());
                }
                secrets
            }
        }
    }

    /// The scopes the current token was granted (the scopes asked for when the token response did not list them,
    /// as RFC 6749 §5.1 allows); `None` for a static token, or when neither said.
    pub(crate) fn granted_scopes(&self) -> Option<Vec<String>> {
        match self {
            Auth::Bearer(_) => None,
            Auth::ClientCredentials(source) => source.granted_scopes(),
        }
    }
}

/// How the driver gets the credentials of API calls.
impl Authorize for Auth {
    fn cached(&self) -> Option<Credential> {
        match self {
            Auth::Bearer(header) => Some(Credential { header: header.clone(), generation: 0 }),
            Auth::ClientCredentials(source) => source.fresh(Instant::now()),
        }
    }

    fn fetch<'a>(&'a self, transport: &'a Transport) -> BoxFuture<'a, Result<Credential>> {
        Box::pin(self.credential(transport))
    }

    /// The API answered 401 to `rejected`: fetch a fresh token, unless another caller already has.
    fn refresh<'a>(&'a self, transport: &'a Transport, rejected: &'a Credential) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            match self {
                Auth::Bearer(_) => Ok(false),
                Auth::ClientCredentials(source) => {
                    source.refresh_after_401(transport, rejected.generation).await.map(|()| true)
                }
            }
        })
    }
}

/// Client credentials and the cached token.
pub(crate) struct TokenSource {
    /// The token URL, `?tenant=` included.
    url: String,
    /// The token URL's path alone, for errors and logs: the query is nobody's business.
    path: String,
    /// The token URL without `?tenant=`, the tenant and the scopes asked for: what `Client::whoami` reports.
    pub(crate) endpoint: String,
    pub(crate) tenant: Option<String>,
    pub(crate) scopes: Vec<String>,
    /// The form body; it contains the client secret.
    form: Secret,
    /// The client secret alone, to scrub it from errors.
    secret: Secret,
    margin: Duration,
    /// The client's retry policy, within the token budget (`RetryPolicy::for_tokens`).
    policy: RetryPolicy,
    state: Mutex<TokenState>,
    /// Held while a token request is in flight, so that one request serves every waiting caller.
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct TokenState {
    token: Option<CachedToken>,
    /// Token requests completed (successfully or not); a token's generation is the value when it was stored.
    fetches: u64,
    last_error: Option<Error>,
    /// The scopes the last token was granted: its response's `scope`, or the scopes asked for when it had none.
    granted: Option<Vec<String>>,
}

struct CachedToken {
    header: HeaderValue,
    refresh_at: Instant,
    generation: u64,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource").field("path", &self.path).field("margin", &self.margin).finish_non_exhaustive()
    }
}

impl TokenSource {
    pub(crate) fn new(
        url: reqwest::Url,
        tenant: Option<&str>,
        client_id: &str,
        client_secret: &Secret,
        scopes: &[String],
        margin: Duration,
        policy: &RetryPolicy,
    ) -> Self {
        let path = url.path().to_owned();
        let endpoint = url.to_string();
        let mut url = url.to_string();
        if let Some(tenant) = tenant {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("tenant=");
            url.extend(utf8_percent_encode(tenant, FORM));
        }
        let scope = scopes.join(" ");
        let mut form = String::from("grant_type=client_credentials");
        for (name, value) in [("client_id", client_id), ("client_secret", client_secret.expose()), ("scope", &scope)] {
            form.push('&');
            form.push_str(name);
            form.push('=');
            form.extend(utf8_percent_encode(value, FORM));
        }
        TokenSource {
            url,
            path,
            endpoint,
            tenant: tenant.map(str::to_owned),
            scopes: scopes.to_vec(),
            form: Secret(form),
            secret: client_secret.clone(),
            margin,
            policy: policy.for_tokens(),
            state: Mutex::new(TokenState::default()),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, TokenState> {
        // The state is replaced whole under the lock, so a poisoned lock still guards a consistent value.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached token while it is fresh (`now` before its refresh time).
    fn fresh(&self, now: Instant) -> Option<Credential> {
        let state = self.state();
        let token = state.token.as_ref().filter(|token| now < token.refresh_at)?;
        Some(Credential { header: token.header.clone(), generation: token.generation })
    }

    async fn credential(&self, transport: &Transport) -> Result<Credential> {
        if let Some(credential) = self.fresh(Instant::now()) {
            return Ok(credential);
        }
        let seen = self.state().fetches;
        let _refreshing = self.refresh.lock().await;
        if let Some(credential) = self.outcome_since(seen) {
            return credential;
        }
        if let Some(credential) = self.fresh(Instant::now()) {
            return Ok(credential);
        }
        self.fetch(transport).await
    }

    async fn refresh_after_401(&self, transport: &Transport, rejected: u64) -> Result<()> {
        let _refreshing = self.refresh.lock().await;
        let current = self.state().token.as_ref().map(|token| token.generation);
        if current.is_some_and(|generation| generation != rejected) {
            // Someone fetched a new token since the rejected one was handed out: use that.
            return Ok(());
        }
        self.fetch(transport).await.map(drop)
    }

    /// What a token request finished while we waited for the lock gave: its token (brand new, so used even if its
    /// lifetime is shorter than the margin), or its error, so that one failure answers every waiting caller instead
    /// of each caller trying again in turn.
    fn outcome_since(&self, seen: u64) -> Option<Result<Credential>> {
        let state = self.state();
        if state.fetches == seen {
            return None;
        }
        if let Some(error) = &state.last_error {
            return Some(Err(error.clone()));
        }
        let token = state.token.as_ref()?;
        Some(Ok(Credential { header: token.header.clone(), generation: token.generation }))
    }

    /// Requests a token (with the lock held) and stores the outcome.
    async fn fetch(&self, transport: &Transport) -> Result<Credential> {
        let sent_at = Instant::now();
        let outcome = self.request(transport).await;
        let mut state = self.state();
        state.fetches += 1;
        match outcome {
            Ok((header, expires_in, granted)) => {
                state.granted = granted;
                let generation = state.fetches;
                let refresh_at = refresh_deadline(sent_at, expires_in, self.margin);
                state.token = Some(CachedToken { header: header.clone(), refresh_at, generation });
                state.last_error = None;
                Ok(Credential { header, generation })
            }
            Err(error) => {
                state.token = None;
                state.last_error = Some(error.clone());
                Err(error)
            }
        }
    }

    /// One token request, through the driver like every request: asking for a token twice is harmless, so it is
    /// retried as a read is, within the token budget ([`RetryPolicy::for_tokens`]).
    async fn request(&self, transport: &Transport) -> Result<Grant> {
        let span = tracing::debug_span!(
            "halopsa.token",
            path = %self.path,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let form = Bytes::from(self.form.expose().to_owned());
        let exchange = Exchange {
            kind: CallKind::Token,
            operation: None,
            method: &Method::POST,
            url: &self.url,
            shown: &self.url,
            accept: "application/json",
            body: Some(("application/x-www-form-urlencoded", &form)),
            timeout: transport.timeout,
            idempotent: true,
            policy: &self.policy,
        };
        // The driver records the fields on this handle rather than on `Span::current()`, which only works with
        // subscribers that track the current span.
        let outcome = async {
            let mut driver = Driver::new(transport, None, exchange, &span);
            loop {
                let mut reply = driver.next().await?;
                let headers = std::mem::take(&mut reply.headers);
                let error = match self.token_from_answer(reply.status, reply.content_type.as_deref(), &reply.body) {
                    Ok(grant) => return Ok(grant),
                    Err(error) => error,
                };
                driver.reject(error, &headers).await?;
            }
        }
        .instrument(span.clone())
        .await;
        let Err(error) = outcome else { return outcome };
        // The token endpoint's error body, and the headers of its answer, may echo the posted form.
        let error = if error.method().is_none() { error.with_request(&Method::POST, &self.path) } else { error };
        Err(error.scrub(&[self.secret.expose()]))
    }

    fn token_from_answer(&self, status: StatusCode, content_type: Option<&str>, body: &[u8]) -> Result<Grant> {
        // The token endpoint's error body may echo the posted form, the client secret included.
        let secret = self.secret.expose();
        let fail = |message: String| {
            Error::new(ErrorKind::Auth, message)
                .with_status(status.as_u16())
                .with_request(&Method::POST, &self.path)
                .scrub(&[secret])
        };
        if !status.is_success() {
            let message = halo_message(content_type, body)
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_lowercase());
            let mut error = fail(format!("the token endpoint refused: {message}"));
            if let Some(failure) = Failure::from_status(status) {
                error = error.with_failure(failure, true);
            }
            return Err(if status == StatusCode::TOO_MANY_REQUESTS {
                error.with_kind(ErrorKind::RateLimited)
            } else {
                error
            });
        }
        // No excerpt of the body in these errors: it may hold a token.
        let answer: TokenAnswer = serde_json::from_slice(body)
            .map_err(|_| fail("the token endpoint did not answer with a JSON token response".to_owned()))?;
        if let Some(error) = answer.error.filter(|error| !error.is_empty()) {
            let message = match answer.error_description {
                Some(description) => format!("{error}: {description}"),
                None => error,
            };
            return Err(fail(format!("the token endpoint refused: {message}")));
        }
        let token = answer
            .access_token
            .filter(|token| !token.is_empty())
            .ok_or_else(|| fail("the token response has no access_token".to_owned()))?;
        let mut header = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| fail("the access token contains characters that cannot go in an HTTP header".to_owned()))?;
        header.set_sensitive(true);
        // `scope` is space-separated (RFC 6749 §5.1), and "OPTIONAL, if identical to the scope requested by the
        // client; otherwise, REQUIRED": a response without it granted the scopes asked for (`None` only when none
        // were asked for), so a 403 can still name a scope the token lacks.
        let granted = match answer.scope {
            Some(scope) => Some(scope.split_whitespace().map(str::to_owned).collect()),
            None => (!self.scopes.is_empty()).then(|| self.scopes.clone()),
        };
        Ok((header, answer.expires_in.0, granted))
    }

    /// The scopes the last token was granted (the scopes asked for when its response did not list them).
    pub(crate) fn granted_scopes(&self) -> Option<Vec<String>> {
        self.state().granted.clone()
    }
}

/// What a token response granted: the `Authorization` value, `expires_in`, the scopes. No `Debug`: it holds the
/// token.
type Grant = (HeaderValue, Option<u64>, Option<Vec<String>>);

/// The token endpoint's answer. No `Debug`: it holds the token.
#[derive(serde::Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Lifetime,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// `expires_in` in seconds, read leniently: any number (`3600`, `3600.0`, `"3600"`, `1e20`, `u64::MAX`), negative
/// values as 0, and absurdly large ones as "long-lived" (the cap of [`refresh_deadline`] applies). Anything else
/// (`null`, text, an object) counts as absent, which means the usual hour: a strange lifetime is no reason to
/// refuse a token.
#[derive(Default)]
struct Lifetime(Option<u64>);

impl<'de> serde::Deserialize<'de> for Lifetime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let seconds = match &value {
            serde_json::Value::Number(number) => number.as_f64(),
            serde_json::Value::String(text) => text.trim().parse::<f64>().ok(),
            _ => None,
        };
        // `as` saturates: 1e20 becomes u64::MAX, a negative number 0; NaN is not a JSON number.
        Ok(Lifetime(seconds.filter(|seconds| !seconds.is_nan()).map(|seconds| seconds as u64)))
    }
}

/// Halo does not document the token lifetime; every client assumes an hour when `expires_in` is absent.
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// The longest lifetime believed: a server's absurd `expires_in` (`9e18`) must not overflow `Instant`, and
/// fetching a new token once a day costs nothing.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(86_400);

/// When a token sent for at `sent_at` should be replaced: `margin` before it expires, so that a request never
/// leaves with a token that expires on the way. The margin is at most half the lifetime, so a short-lived token
/// is still used for a while instead of being refetched for every request.
pub(crate) fn refresh_deadline(sent_at: Instant, expires_in: Option<u64>, margin: Duration) -> Instant {
    let lifetime = expires_in.map_or(DEFAULT_LIFETIME, Duration::from_secs).min(MAX_LIFETIME);
    sent_at + lifetime - margin.min(lifetime / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_deadline_math() {
        let now = Instant::now();
        let minute = Duration::from_secs(60);
        assert_eq!(refresh_deadline(now, Some(3600), minute), now + Duration::from_secs(3540));
        assert_eq!(refresh_deadline(now, None, minute), now + Duration::from_secs(3540));
        // A lifetime shorter than twice the margin: refreshed halfway through.
        assert_eq!(refresh_deadline(now, Some(60), minute), now + Duration::from_secs(30));
        assert_eq!(refresh_deadline(now, Some(0), minute), now);
        assert_eq!(refresh_deadline(now, Some(3600), Duration::ZERO), now + Duration::from_secs(3600));
        // An absurd lifetime is capped (and does not overflow the clock).
        assert_eq!(refresh_deadline(now, Some(u64::MAX), Duration::ZERO), now + MAX_LIFETIME);
        assert_eq!(refresh_deadline(now, Some(i64::MAX as u64), minute), now + MAX_LIFETIME - minute);
    }

    #[test]
    fn secrets_are_redacted() {
        let secret = Secret::new("s3cr3t");
        assert_eq!(format!("{secret:?}"), "\"***\"");
        let source = TokenSource::new(
            reqwest::Url::parse("https://acme.halopsa.com/auth/token").unwrap(),
            Some("acme corp"),
            "client id",
            &secret,
            &["read:tickets".to_owned(), "edit:tickets".to_owned()],
            Duration::from_secs(60),
            &RetryPolicy::default(),
        );
        assert_eq!(source.url, "https://acme.halopsa.com/auth/token?tenant=acme%20corp");
        assert_eq!(
            source.form.expose(),
            "grant_type=client_credentials&client_id=client%20id&client_secret=s3cr3t&scope=read%3Atickets%20edit%3Atickets"
        );
        let debug = format!("{source:?}");
        assert!(!debug.contains("s3cr3t") && !debug.contains("acme corp"), "{debug}");
        let bearer = Auth::bearer(&Secret::new("tok3n")).unwrap();
        assert!(!format!("{bearer:?}").contains("tok3n"));
        assert_eq!(Auth::bearer(&Secret::new("bad\ntoken")).unwrap_err().kind(), ErrorKind::Config);
    }

    #[test]
    fn token_answers() {
        let source = TokenSource::new(
            reqwest::Url::parse("https://acme.halopsa.com/auth/token").unwrap(),
            None,
            "id",
            &Secret::new("s3cr3t-value"),
            &["all".to_owned()],
            Duration::from_secs(60),
            &RetryPolicy::default(),
        );
        let ok = |body: &str| source.token_from_answer(StatusCode::OK, Some("application/json"), body.as_bytes());
        let (header, expires_in, granted) =
            ok(r#"{"access_token":"abc","token_type":"Bearer","expires_in":1800,"scope":"read:agents  all"}"#).unwrap();
        assert_eq!(header.to_str().unwrap(), "Bearer abc");
        assert!(header.is_sensitive());
        assert_eq!(expires_in, Some(1800));
        assert_eq!(granted, Some(vec!["read:agents".to_owned(), "all".to_owned()]));
        // Without `scope`, the token has what was asked for (RFC 6749 §5.1).
        assert_eq!(ok(r#"{"access_token":"abc"}"#).unwrap().2, Some(vec!["all".to_owned()]));
        assert_eq!(ok(r#"{"access_token":"abc","expires_in":"600.0"}"#).unwrap().1, Some(600));
        assert_eq!(ok(r#"{"access_token":"abc"}"#).unwrap().1, None);
        assert_eq!(ok(r#"{"access_token":"abc","expires_in":-5}"#).unwrap().1, Some(0));
        // Absurd lifetimes are long-lived tokens (capped by refresh_deadline), not malformed answers.
        assert_eq!(ok(r#"{"access_token":"abc","expires_in":1e20}"#).unwrap().1, Some(u64::MAX));
        assert_eq!(ok(r#"{"access_token":"abc","expires_in":18446744073709551615}"#).unwrap().1, Some(u64::MAX));
        assert_eq!(ok(r#"{"access_token":"abc","expires_in":"1e300"}"#).unwrap().1, Some(u64::MAX));
        for odd in ["null", r#""soon""#, "{}", "[]", "true"] {
            assert_eq!(ok(&format!(r#"{{"access_token":"abc","expires_in":{odd}}}"#)).unwrap().1, None, "{odd}");
        }

        let error = ok(r#"{"token_type":"Bearer"}"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Auth);
        assert!(error.message().contains("no access_token"));
        let error = ok(r#"{"access_token":"abc"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Auth);
        assert!(!error.to_string().contains("abc"), "{error}");
        assert_eq!(error.body_excerpt(), None);

        let error = source
            .token_from_answer(
                StatusCode::UNAUTHORIZED,
                Some("application/json"),
                br#"{"error":"invalid_client","error_description":"The client id or secret is wrong"}"#,
            )
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Auth);
        assert_eq!(error.status(), Some(401));
        assert_eq!(
            error.to_string(),
            "POST /auth/token: authentication failed (401 Unauthorized): the token endpoint refused: invalid_client: \
             The client id or secret is wrong"
        );
        let error = source.token_from_answer(StatusCode::OK, None, br#"{"error":"invalid_scope"}"#).unwrap_err();
        assert_eq!(error.message(), "the token endpoint refused: invalid_scope");
    }

    #[test]
    fn echoed_secrets_are_scrubbed_from_token_errors() {
        let source = TokenSource::new(
            reqwest::Url::parse("https://acme.halopsa.com/auth/token").unwrap(),
            None,
            "id",
            &Secret::new("hunter2 & co"),
            &["all".to_owned()],
            Duration::from_secs(60),
            &RetryPolicy::default(),
        );
        let echoes = [
            format!("bad request: {}", source.form.expose()),
            "bad request: client_secret=hunter2 & co".to_owned(),
            r#"{"error":"invalid_request","error_description":"got client_secret=hunter2%20%26%20co&scope=all"}"#
                .to_owned(),
            r#"{"Message":"bad form","received":{"client_secret":"something-else"}}"#.to_owned(),
        ];
        for (status, body) in
            [StatusCode::BAD_REQUEST, StatusCode::OK].into_iter().flat_map(|s| echoes.iter().map(move |b| (s, b)))
        {
            let error = source.token_from_answer(status, Some("text/plain"), body.as_bytes()).unwrap_err();
            let shown = format!("{error} {error:?} {}", error.message());
            for leak in ["hunter2", "hunter2%20%26%20co", "something-else"] {
                assert!(!shown.contains(leak), "{leak} leaked from {body}: {shown}");
            }
        }
    }
}
