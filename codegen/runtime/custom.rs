//! The escape hatch: [`Client::request`] calls any Halo endpoint the spec does not cover, with the same token
//! handling, retries, error bodies and secret scrubbing as the generated operations.

use std::fmt;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::request::{QueryValue, Request};
use super::{Client, Error, Response, Result, RetryPolicy};

impl Client {
    /// A request to any endpoint of the API, for what the generated operations do not cover: `method`, a `path`
    /// relative to the API base (`/Priority`, `/Tickets/12`; percent-encode ids yourself), query parameters and a
    /// JSON body, answered as any `serde` type or [`serde_json::Value`].
    ///
    /// It gets the token, retries and errors of every other call. Whether failures after sending are retried
    /// follows the method (GET, PUT and DELETE are idempotent; POST is not) unless
    /// [`idempotent`](CustomRequest::idempotent) says otherwise.
    ///
    /// ```no_run
    /// # async fn example(client: halopsa::Client) -> halopsa::Result<()> {
    /// use halopsa::Method;
    ///
    /// let priorities: serde_json::Value =
    ///     client.request(Method::GET, "/Priority").query("showall", true).send().await?;
    /// let saved: serde_json::Value = client
    ///     .request(Method::POST, "/Priority")
    ///     .json(&serde_json::json!([{ "id": 4, "name": "Urgent" }]))
    ///     .idempotent(true) // it updates record 4: safe to repeat
    ///     .send()
    ///     .await?;
    /// # let _ = (priorities, saved);
    /// # Ok(())
    /// # }
    /// ```
    pub fn request(&self, method: Method, path: impl Into<String>) -> CustomRequest {
        CustomRequest { client: self.clone(), request: Request::new(method, path), body_error: None }
    }
}

/// A request to any endpoint, made by [`Client::request`]; send it with [`send`](Self::send),
/// [`send_empty`](Self::send_empty) or [`send_bytes`](Self::send_bytes), or their `_with_response` forms for the
/// status, headers and trace id too ([`Response`]).
#[must_use = "a request does nothing until it is sent"]
pub struct CustomRequest {
    client: Client,
    request: Request,
    /// A body that could not be serialised: reported by `send`, so that the builder chain stays simple.
    body_error: Option<Error>,
}

impl fmt::Debug for CustomRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomRequest").field("request", &self.request).finish_non_exhaustive()
    }
}

impl CustomRequest {
    /// Adds the query parameter `name` (`true`/`false`, numbers, text; a list of them comma-separated).
    pub fn query(mut self, name: &str, value: impl QueryArg) -> Self {
        let mut text = String::new();
        value.write(&mut text);
        self.request.query(name, Some(text.as_str()));
        self
    }

    /// Sends `body` as JSON.
    pub fn json<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Self {
        if let Err(error) = self.request.json_body(body) {
            self.body_error = Some(error);
        }
        self
    }

    /// Whether sending the request twice has the effect of sending it once (default: from the method). An
    /// idempotent request is retried after failures that leave its outcome open (502, 504, a connection broken
    /// after sending, a truncated answer); any other gets [`ErrorKind::OutcomeUnknown`](super::ErrorKind) instead.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.request.set_idempotent(idempotent);
        self
    }

    /// The time limit of each attempt of this request, instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.request.options.timeout = Some(timeout);
        self
    }

    /// How this request is retried, instead of the client's policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.request.options.retry = Some(policy);
        self
    }

    /// Sends the request and decodes the JSON answer as `T` (`serde_json::Value` for any JSON).
    pub async fn send<T: DeserializeOwned>(self) -> Result<T> {
        self.send_with_response().await.map(Response::into_inner)
    }

    /// [`send`](Self::send), with the status, headers and trace id of the answer.
    pub async fn send_with_response<T: DeserializeOwned>(self) -> Result<Response<T>> {
        let request = self.checked()?;
        self.client.send_json(request).await
    }

    /// Sends the request and ignores the answer's body, unless it is one of Halo's error shapes.
    pub async fn send_empty(self) -> Result<()> {
        self.send_empty_with_response().await.map(Response::into_inner)
    }

    /// [`send_empty`](Self::send_empty), with the status, headers and trace id of the answer.
    pub async fn send_empty_with_response(self) -> Result<Response<()>> {
        let request = self.checked()?;
        self.client.send_empty(request).await
    }

    /// Sends the request and returns the body as bytes (a file, an image).
    pub async fn send_bytes(self) -> Result<Vec<u8>> {
        self.send_bytes_with_response().await.map(Response::into_inner)
    }

    /// [`send_bytes`](Self::send_bytes), with the status, headers and trace id of the answer.
    pub async fn send_bytes_with_response(self) -> Result<Response<Vec<u8>>> {
        let request = self.checked()?;
        self.client.send_bytes(request).await
    }

    fn checked(&self) -> Result<Request> {
        match &self.body_error {
            Some(error) => Err(error.clone()),
            None => Ok(self.request.clone()),
        }
    }
}

/// A value [`CustomRequest::query`] accepts: `bool`, integers, `f64`, `&str`, `String`, and slices or `Vec`s of
/// them (sent comma-separated). Implemented for those types only.
pub trait QueryArg: sealed::Sealed {
    #[doc(hidden)]
    fn write(&self, out: &mut String);
}

impl<T: QueryValue + ?Sized> QueryArg for T {
    fn write(&self, out: &mut String) {
        self.write_query(out);
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T: super::QueryValue + ?Sized> Sealed for T {}
}
