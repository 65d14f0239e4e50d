//! The retry driver: one exchange (an API call, a listing's page, a file's link, a token request) from its first
//! attempt to its answer or its error, for API calls and token requests alike.
//!
//! Before each attempt it gets the credential (API calls only); the transport makes the attempt; after it, the
//! driver decides what happens next by the rules of `retry.rs` and nothing else: a fresh token after a 401 (at most
//! [`MAX_REFRESHES`] a call), another attempt after a transient failure the operation may repeat
//! ([`Failure::may_retry`], the function `Error::is_retryable` asks too) once the policy's delay or `Retry-After`
//! has passed, or the end. What an answer means is the caller's business (it decodes); the driver adds to the
//! caller's error what it knows (the failure and whether the request was idempotent, `Retry-After`, the headers).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};

use super::error::{Error, ErrorKind, Result};
use super::hooks::CallKind;
use super::retry::{Failure, MAX_REFRESHES, Retrier, RetryPolicy};
use super::transport::{Attempt, Outcome, Reply, Transport};

/// A boxed future: what an [`Authorize`] returns, and what keeps a request's own future small (BENCHMARKS.md,
/// "Stack and future sizes").
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The `Authorization` header value for one attempt, and which token it came from.
#[derive(Clone)]
pub(crate) struct Credential {
    pub(crate) header: HeaderValue,
    /// Which fetch the token came from (0 for a static token): a 401 to an older token needs no new fetch.
    pub(crate) generation: u64,
}

/// Where an API call's credentials come from (`auth.rs`). A trait, so that the token requests `auth.rs` makes
/// through this driver do not make the driver depend on `auth.rs`.
pub(crate) trait Authorize: Send + Sync {
    /// The credential for the next attempt, when there is one at hand (a fresh token, a static one).
    fn cached(&self) -> Option<Credential>;

    /// Fetches a credential (one token request serves every caller waiting for it).
    fn fetch<'a>(&'a self, transport: &'a Transport) -> BoxFuture<'a, Result<Credential>>;

    /// After a 401 to `rejected`: a fresh credential, unless another caller already got one. `false` when there is
    /// nothing to refresh (a static token).
    fn refresh<'a>(&'a self, transport: &'a Transport, rejected: &'a Credential) -> BoxFuture<'a, Result<bool>>;
}

/// What an exchange sends, on every attempt.
pub(crate) struct Exchange<'a> {
    pub(crate) kind: CallKind,
    pub(crate) operation: Option<&'static str>,
    pub(crate) method: &'a Method,
    pub(crate) url: &'a str,
    /// The URL as hooks see it.
    pub(crate) shown: &'a str,
    pub(crate) accept: &'static str,
    pub(crate) body: Option<(&'static str, &'a Bytes)>,
    pub(crate) timeout: Duration,
    /// Whether sending it twice has the effect of sending it once: with the failure, it decides what is retried.
    pub(crate) idempotent: bool,
    pub(crate) policy: &'a RetryPolicy,
}

/// One exchange in progress: [`next`](Self::next) attempts until there is an answer to read, and
/// [`reject`](Self::reject) takes the error of an answer the caller could not use, which is either final or, for a 2xx
/// body that was garbled (truncated, not JSON: [`Error::garbled`]), a transient failure like any other: then the
/// caller asks `next` again. Decoding stays with the caller, so the driver is compiled once, whatever is decoded,
/// and a decoded value never waits in its future.
pub(crate) struct Driver<'a> {
    transport: &'a Transport,
    /// The credentials of an API call; `None` for a token request or a file's link.
    auth: Option<&'a dyn Authorize>,
    exchange: Exchange<'a>,
    span: &'a tracing::Span,
    retrier: Retrier<'a>,
    refreshes: u32,
    /// The credential of the last attempt.
    credential: Option<Credential>,
    /// The status, `Retry-After` and attempt number of the answer `next` returned last.
    last: (StatusCode, Option<Duration>, u32),
}

impl<'a> Driver<'a> {
    pub(crate) fn new(
        transport: &'a Transport,
        auth: Option<&'a dyn Authorize>,
        exchange: Exchange<'a>,
        span: &'a tracing::Span,
    ) -> Self {
        let retrier = Retrier::new(exchange.policy);
        Driver {
            transport,
            auth,
            exchange,
            span,
            retrier,
            refreshes: 0,
            credential: None,
            last: (StatusCode::OK, None, 0),
        }
    }

    /// Attempts until there is an answer to read: a 2xx answer, or one whose error status is not retried (or no
    /// longer). Boxed: a request's own future holds only a pointer to it (BENCHMARKS.md, "Stack and future sizes").
    pub(crate) fn next(&mut self) -> BoxFuture<'_, Result<Reply>> {
        Box::pin(self.attempts())
    }

    async fn attempts(&mut self) -> Result<Reply> {
        let idempotent = self.exchange.idempotent;
        loop {
            self.credential = match self.auth {
                Some(auth) => Some(match auth.cached() {
                    Some(credential) => credential,
                    None => auth.fetch(self.transport).await?,
                }),
                None => None,
            };
            let number = self.retrier.start_attempt();
            let exchange = &self.exchange;
            let attempt = Attempt {
                kind: exchange.kind,
                operation: exchange.operation,
                number,
                method: exchange.method,
                url: exchange.url,
                shown: exchange.shown,
                accept: exchange.accept,
                body: exchange.body,
                timeout: exchange.timeout,
                credential: self.credential.as_ref().map(|credential| &credential.header),
                // A file's link goes to another host: Halo's rate limit is not its business.
                paced: exchange.kind != CallKind::Link,
                since: self.retrier.started(),
            };
            let mut reply = match self.transport.attempt(attempt, self.span).await? {
                Outcome::Answered(reply) => reply,
                Outcome::Lost(error) => {
                    // Only a connection that never opened proves that nothing was sent.
                    let failure = if error.is_connect() { Failure::ConnectFailed } else { Failure::AfterSending };
                    if failure.may_retry(idempotent)
                        && let Some(delay) = self.retrier.next_delay(failure, None)
                    {
                        let reason = match self.exchange.kind {
                            CallKind::Token => format!("the token request failed: {error}"),
                            _ => error.to_string(),
                        };
                        wait(number, delay, reason).await;
                        continue;
                    }
                    return Err(Error::network(error).with_failure(failure, idempotent));
                }
            };
            if let (StatusCode::UNAUTHORIZED, Some(auth), Some(credential)) =
                (reply.status, self.auth, &self.credential)
                && self.refreshes < MAX_REFRESHES
            {
                // The token may have been revoked or expired early: a fresh token, one more try. A request answered
                // 401 was not applied, so this is safe for a POST too. Bounded, for a server that rejects every token.
                self.refreshes += 1;
                if auth.refresh(self.transport, credential).await? {
                    tracing::info!(attempt = number, "halopsa: 401 from the API; retrying with a fresh token");
                    self.retrier.forgive_attempt();
                    continue;
                }
            }
            if let Some(failure) = Failure::from_status(reply.status).filter(|failure| failure.may_retry(idempotent))
                && let Some(delay) = self.retrier.next_delay(failure, reply.retry_after)
            {
                let reason = match self.exchange.kind {
                    CallKind::Token => format!("the token endpoint answered {}", reply.status),
                    _ => reply.status.to_string(),
                };
                wait(number, delay, reason).await;
                continue;
            }
            self.last = (reply.status, reply.retry_after, number);
            if let Some(error) = reply.cut_short(self.exchange.method) {
                let headers = std::mem::take(&mut reply.headers);
                self.reject(error, &headers).await?;
                continue;
            }
            return Ok(reply);
        }
    }

    /// The caller could not use the answer [`next`](Self::next) gave (`headers` are its headers): `Ok` after the
    /// wait when it is to be tried again (a garbled 2xx body, which may come right on the next attempt, within the
    /// same budget), otherwise the error with what the driver knows: the failure and whether the request was
    /// idempotent (which decide `Error::is_retryable` and `OutcomeUnknown`), `Retry-After`, the headers.
    pub(crate) async fn reject(&mut self, error: Error, headers: &HeaderMap) -> Result<()> {
        let (status, retry_after, number) = self.last;
        let idempotent = self.exchange.idempotent;
        let failure = if status.is_success() { error.failure() } else { Failure::from_status(status) };
        if failure == Some(Failure::Garbled)
            && Failure::Garbled.may_retry(idempotent)
            && let Some(delay) = self.retrier.next_delay(Failure::Garbled, None)
        {
            wait(number, delay, "a truncated or malformed answer".to_owned()).await;
            return Ok(());
        }
        let mut error = match failure {
            Some(failure) => error.with_failure(failure, idempotent),
            None => error,
        };
        if !status.is_success() {
            error = error.with_retry_after(retry_after);
        }
        if status == StatusCode::UNAUTHORIZED && self.credential.is_some() {
            error = error.with_kind(ErrorKind::Auth);
        }
        Err(error.with_response_headers(headers))
    }
}

/// Waits before a retry, with an INFO event so that a long pause (a `Retry-After` of minutes) is visible.
async fn wait(attempt: u32, delay: Duration, reason: String) {
    tracing::info!(attempt, delay_ms = delay.as_millis() as u64, reason = %reason, "halopsa: transient failure; waiting before retrying");
    tokio::time::sleep(delay).await;
}
