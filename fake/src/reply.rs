//! The answer a handler produces before it becomes an HTTP response: status, JSON/text body, extra headers.

use axum::body::Body;
use axum::http::StatusCode;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Bytes;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::response::Response;
use futures_core::Stream;
use serde_json::{Value, json};

/// The body of a [`Reply`].
#[derive(Clone, Debug)]
pub(crate) enum ReplyBody {
    Json(Value),
    Text(String),
    /// A file (boxed: it is the largest body, and replies travel in `Result`s).
    File(Box<FileBody>),
    Empty,
}

/// A file download: its bytes, the name Halo puts in `Content-Disposition`, and its content type.
#[derive(Clone, Debug)]
pub(crate) struct FileBody {
    pub(crate) bytes: Vec<u8>,
    pub(crate) name: String,
    pub(crate) content_type: String,
}

/// A status, a body and a few headers; turned into a response at the very end so faults can rewrite it.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: ReplyBody,
    pub(crate) retry_after: Option<u64>,
    pub(crate) www_authenticate: bool,
    /// The request's trace id, sent as `Request-Id` (set by the dispatcher on every answer).
    pub(crate) trace_id: Option<String>,
    /// Whether the trace id also goes into the JSON body as `traceId` (ASP.NET's problem details).
    pub(crate) trace_in_body: bool,
    /// More headers (fault [`Fault::Headers`](super::Fault::Headers)).
    pub(crate) extra_headers: Vec<(String, String)>,
}

impl Reply {
    fn new(status: u16, body: ReplyBody) -> Self {
        Reply {
            status,
            body,
            retry_after: None,
            www_authenticate: false,
            trace_id: None,
            trace_in_body: false,
            extra_headers: Vec::new(),
        }
    }

    pub(crate) fn json(status: u16, body: Value) -> Self {
        Reply::new(status, ReplyBody::Json(body))
    }

    pub(crate) fn text(status: u16, body: impl Into<String>) -> Self {
        Reply::new(status, ReplyBody::Text(body.into()))
    }

    pub(crate) fn empty(status: u16) -> Self {
        Reply::new(status, ReplyBody::Empty)
    }

    pub(crate) fn with_retry_after(mut self, secs: Option<u64>) -> Self {
        self.retry_after = secs;
        self
    }

    /// 400 in ASP.NET's validation shape `{ "message": ..., "errors": [...] }`.
    pub(crate) fn validation(message: &str, errors: Vec<String>) -> Self {
        Reply::json(400, json!({ "message": message, "errors": errors }))
    }

    /// An ASP.NET model-state dictionary: `{ "<field path>": ["<message>", ...], ... }`, fields in the order given.
    pub(crate) fn model_state(status: u16, fields: &[(String, Vec<String>)]) -> Self {
        let map: serde_json::Map<String, Value> =
            fields.iter().map(|(field, messages)| (field.clone(), json!(messages))).collect();
        Reply::json(status, Value::Object(map))
    }

    /// An error in the `{ "Message": ... }` shape.
    pub(crate) fn message(status: u16, message: impl Into<String>) -> Self {
        Reply::json(status, json!({ "Message": message.into() }))
    }

    /// 401 for a missing, unknown, revoked or expired bearer token.
    pub(crate) fn unauthorized() -> Self {
        let mut reply = Reply::message(401, "Authorization has been denied for this request.");
        reply.www_authenticate = true;
        reply
    }

    /// 403 for a token whose scopes do not reach the endpoint, in the `{ "Message": ... }` shape of Halo's ASP.NET
    /// errors (the wording is the fake's own).
    pub(crate) fn forbidden() -> Self {
        Reply::message(403, "You do not have permission to access this resource: the token's scopes do not allow it.")
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A file download: the bytes served with their own content type and `Content-Disposition: attachment`.
    pub(crate) fn file(bytes: Vec<u8>, name: String, content_type: String) -> Self {
        Reply::new(200, ReplyBody::File(Box::new(FileBody { bytes, name, content_type })))
    }

    /// The final response. `cut` decides how a truncated body looks: [`Cut::Reframed`] halves it and sends it as a
    /// whole (`Content-Length` says the shorter length: the "truncated JSON" fault); [`Cut::Dropped`] declares the
    /// whole body's `Content-Length`, sends half and closes the connection (a connection lost mid-answer).
    pub(crate) fn into_response(mut self, cut: Cut) -> Response {
        let mut disposition = None;
        if let (true, Some(trace_id), ReplyBody::Json(Value::Object(map))) =
            (self.trace_in_body, &self.trace_id, &mut self.body)
        {
            map.insert("traceId".into(), Value::String(trace_id.clone()));
        }
        let (mut bytes, content_type) = match self.body {
            ReplyBody::Json(value) => {
                (serde_json::to_vec(&value).unwrap_or_default(), Some("application/json; charset=utf-8".to_owned()))
            }
            ReplyBody::Text(text) => (text.into_bytes(), Some("text/plain; charset=utf-8".to_owned())),
            ReplyBody::File(file) => {
                let FileBody { bytes, name, content_type } = *file;
                disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).ok();
                (bytes, Some(content_type))
            }
            ReplyBody::Empty => (Vec::new(), None),
        };
        let declared = bytes.len();
        if cut != Cut::None && !bytes.is_empty() {
            bytes.truncate(bytes.len() / 2);
        }
        let mut response = if cut == Cut::Dropped && declared > 0 {
            Response::new(Body::from_stream(DroppedAfter::new(bytes)))
        } else {
            Response::new(Body::from(bytes))
        };
        if cut == Cut::Dropped && declared > 0 {
            response.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(declared));
        }
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        if let Some(value) = content_type.and_then(|ct| HeaderValue::from_str(&ct).ok()) {
            headers.insert(CONTENT_TYPE, value);
        }
        if let Some(disposition) = disposition {
            headers.insert(axum::http::header::CONTENT_DISPOSITION, disposition);
        }
        if let Some(secs) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.www_authenticate {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
        }
        headers.insert(HeaderName::from_static("x-fake-halo"), HeaderValue::from_static("1"));
        if let Some(value) = self.trace_id.as_deref().and_then(|id| HeaderValue::from_str(id).ok()) {
            headers.insert(HeaderName::from_static("request-id"), value);
        }
        for (name, value) in &self.extra_headers {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
                headers.append(name, value);
            }
        }
        response
    }
}

/// How an answer's body is cut short (faults [`Fault::TruncatedBody`](super::Fault::TruncatedBody) and
/// [`Fault::ConnectionDropped`](super::Fault::ConnectionDropped)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cut {
    None,
    /// Half the body, framed as if it were all of it.
    Reframed,
    /// The whole body's length declared, half of it sent, then the connection closed.
    Dropped,
}

/// A body that yields its bytes, lets the server flush them, and then fails, which makes the server close the
/// connection before the declared `Content-Length` was sent.
struct DroppedAfter {
    bytes: Option<Vec<u8>>,
    step: u8,
}

impl DroppedAfter {
    fn new(bytes: Vec<u8>) -> Self {
        DroppedAfter { bytes: Some(bytes), step: 0 }
    }
}

impl Stream for DroppedAfter {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(bytes) = self.bytes.take() {
            return Poll::Ready(Some(Ok(Bytes::from(bytes))));
        }
        self.step += 1;
        match self.step {
            // Pending once: the server writes out what it has before the failure closes the connection.
            1 => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            2 => {
                let error =
                    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "the fake dropped the connection");
                Poll::Ready(Some(Err(error)))
            }
            _ => Poll::Ready(None),
        }
    }
}
