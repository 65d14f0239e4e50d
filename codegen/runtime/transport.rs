//! The transport: one attempt of a request, whatever it is for (an API call, a listing's page, a file's link, a
//! token request). It waits for the pacer, builds the request, lets the hooks see it, adds the credential, sends
//! it, reads the whole answer ([`Reply`]), shows the outcome to the hooks and records the attempt on the caller's
//! span. Whether to try again is the driver's business (`driver.rs`); what an answer means is the caller's.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

use super::error::{Error, Result};
use super::error_body::success_error_message;
use super::hooks::{CallInfo, CallKind, Hooks};
use super::limit::{self, Pace};
use super::retry::parse_retry_after;

/// What every attempt of a client goes through: its HTTP client, its pacer, its hooks and its default timeout.
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    /// Asked before each paced attempt, and told how it went (`limit.rs`).
    pub(crate) pace: Option<Arc<dyn Pace>>,
    pub(crate) hooks: Hooks,
    /// The time limit of an attempt whose request does not set its own.
    pub(crate) timeout: Duration,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("limiter", &self.pace)
            .field("timeout", &self.timeout)
            .field("hooks", &self.hooks)
            .finish_non_exhaustive()
    }
}

/// One attempt, as the driver asks for it.
pub(crate) struct Attempt<'a> {
    pub(crate) kind: CallKind,
    pub(crate) operation: Option<&'static str>,
    /// The attempt of its exchange, from 1 (hooks see it).
    pub(crate) number: u32,
    pub(crate) method: &'a Method,
    pub(crate) url: &'a str,
    /// The URL as hooks see it (a file's link without its query, which holds its signature).
    pub(crate) shown: &'a str,
    pub(crate) accept: &'static str,
    /// The body with its content type; `Bytes`, so that each attempt sends the same buffer.
    pub(crate) body: Option<(&'static str, &'a Bytes)>,
    pub(crate) timeout: Duration,
    /// The `Authorization` header, added after the hooks ran: they never see it, and cannot replace it.
    pub(crate) credential: Option<&'a HeaderValue>,
    /// Whether the pacer is asked first (not for a file's link, which goes to another host).
    pub(crate) paced: bool,
    /// When the exchange started: the span's `elapsed_ms` counts from there.
    pub(crate) since: Instant,
}

/// How an attempt ended: an answer read to the end, or none.
pub(crate) enum Outcome {
    Answered(Reply),
    /// The connection could not be opened, broke, or timed out (the URL is left out of the error: a token URL may
    /// carry the tenant in its query).
    Lost(reqwest::Error),
}

impl Transport {
    /// Makes one attempt. `Err` only when the request cannot be built, and then nothing was sent.
    pub(crate) async fn attempt(&self, attempt: Attempt<'_>, span: &tracing::Span) -> Result<Outcome> {
        let pace = self.pace.as_deref().filter(|_| attempt.paced);
        if let Some(pace) = pace {
            limit::acquire(pace).await;
        }
        span.record("attempt", attempt.number);
        let mut builder = self
            .http
            .request(attempt.method.clone(), attempt.url)
            .header(header::ACCEPT, attempt.accept)
            .timeout(attempt.timeout);
        if let Some((content_type, body)) = attempt.body {
            builder = builder.header(header::CONTENT_TYPE, content_type).body(body.clone());
        }
        let mut request = builder.build().map_err(|error| {
            let error = error.without_url();
            Error::invalid_request(format!("cannot build the request: {error}")).with_source(error)
        })?;
        let info = CallInfo {
            kind: attempt.kind,
            operation: attempt.operation,
            attempt: attempt.number,
            method: attempt.method,
            url: attempt.shown,
        };
        self.hooks.on_request(info, &mut request, attempt.timeout);
        if let Some(credential) = attempt.credential {
            request.headers_mut().insert(header::AUTHORIZATION, credential.clone());
        }
        let sent_at = Instant::now();
        let answer = match self.http.execute(request).await {
            Ok(response) => Reply::read(response).await,
            Err(error) => Err(error),
        };
        self.hooks.on_response(info, answer.as_ref().map(|reply| (reply.status, &reply.headers)), sent_at.elapsed());
        span.record("elapsed_ms", attempt.since.elapsed().as_millis() as u64);
        if let Some(pace) = pace {
            let answer = answer.as_ref().ok();
            pace.observe(answer.map(|reply| reply.status), answer.and_then(|reply| reply.retry_after));
        }
        Ok(match answer {
            Ok(reply) => {
                span.record("status", reply.status.as_u16());
                Outcome::Answered(reply)
            }
            Err(error) => Outcome::Lost(error.without_url()),
        })
    }
}

/// An answer, read to the end.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    /// Taken out of reqwest's response, not copied.
    pub(crate) headers: HeaderMap,
    pub(crate) content_type: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    /// The `Content-Length` the answer announced.
    content_length: Option<u64>,
    /// `Content-Disposition: attachment` (or a file name): the body is a file, whatever it holds.
    pub(crate) is_file: bool,
    /// reqwest's buffer itself: decoding borrows it, and nothing copies it.
    pub(crate) body: Bytes,
}

impl Reply {
    async fn read(mut response: reqwest::Response) -> std::result::Result<Reply, reqwest::Error> {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let text = |name: header::HeaderName| headers.get(name).and_then(|value| value.to_str().ok());
        let content_type = text(header::CONTENT_TYPE).map(str::to_owned);
        let retry_after = text(header::RETRY_AFTER).and_then(|value| parse_retry_after(value, SystemTime::now()));
        let content_length = text(header::CONTENT_LENGTH).and_then(|value| value.trim().parse::<u64>().ok());
        let is_file = text(header::CONTENT_DISPOSITION).is_some_and(|value| {
            let value = value.to_ascii_lowercase();
            value.starts_with("attachment") || value.contains("filename")
        });
        let body = response.bytes().await?;
        Ok(Reply { status, headers, content_type, retry_after, content_length, is_file, body })
    }

    /// A 2xx body shorter (or longer) than its `Content-Length`: cut short on the way, so not the whole answer.
    /// HTTP/1.1 framing catches most of these already (a connection closed early); this also catches a body whose
    /// framing was redone after it was cut (a proxy that re-chunks it and keeps the length). A HEAD has no body.
    pub(crate) fn cut_short(&self, method: &Method) -> Option<Error> {
        let declared = self.content_length?;
        let received = self.body.len() as u64;
        (self.status.is_success() && *method != Method::HEAD && received != declared)
            .then(|| Error::truncated(received, declared))
    }

    /// A 2xx answer whose body is one of Halo's error shapes is an error.
    pub(crate) fn check_error_shape(&self) -> Result<()> {
        match success_error_message(&self.body) {
            Some(message) => Err(Error::in_success(self.status.as_u16(), message, &self.body)),
            None => Ok(()),
        }
    }

    /// The error an answer of the API with an error status stands for: Halo's message, the status, the body's
    /// excerpt and field errors (the driver adds what it knows: the failure, `Retry-After`, the headers).
    pub(crate) fn api_error(&self) -> Error {
        Error::from_response(self.status, self.content_type.as_deref(), &self.body)
    }
}
