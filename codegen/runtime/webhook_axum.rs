//! The webhook receiver in an axum application (cargo feature `webhook-axum`): [`HaloWebhook`], an extractor that
//! authenticates the request and parses its body with the application's [`Receiver`], or answers with the
//! [`Rejection`] (401, 404 or 400; 413 when the body is over axum's limit) before the handler runs.
//!
//! It is written against `axum-core` (the traits axum itself re-exports), so the crate does not depend on axum,
//! hyper's server side or tower-http: your application brings its own axum 0.8.
//!
//! ```no_run
//! use axum::Router;
//! use axum::http::StatusCode;
//! use axum::routing::post;
//! use halopsa::webhook_receiver::axum::HaloWebhook;
//! use halopsa::webhook_receiver::{Credentials, Receiver};
//!
//! #[derive(serde::Deserialize)]
//! struct Payload {
//!     ticket: Option<halopsa::models::Ticket>,
//! }
//!
//! async fn on_delivery(HaloWebhook(delivery): HaloWebhook<Payload>) -> StatusCode {
//!     for event in delivery.events() {
//!         if let Some(ticket) = &event.payload().ticket {
//!             println!("{:?}: ticket {:?} is now in status {:?}", event.event_name(), ticket.id, ticket.status_id);
//!         }
//!     }
//!     StatusCode::OK // an error status makes Halo log the delivery as failed
//! }
//!
//! # async fn serve() -> std::io::Result<()> {
//! let receiver = Receiver::new(Credentials::basic("halo", "a long random password"));
//! let app = Router::new().route("/halo/webhook", post(on_delivery)).with_state(receiver);
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The [`Receiver`] comes from the router's state: the state itself, or any state it can be taken from
//! (`impl FromRef<AppState> for Receiver`). A body over axum's limit (`DefaultBodyLimit`, 2 MB unless changed) is
//! refused with 413 before it is parsed; batched deliveries of full records can be larger, so raise it on the webhook
//! route (`.layer(DefaultBodyLimit::max(16 * 1024 * 1024))`).

use axum_core::extract::{FromRef, FromRequest, Request};
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use serde::de::DeserializeOwned;

use super::{Delivery, Json, Receiver, Rejection};

/// An extractor of one webhook delivery, every event parsed as `T` ([`Json`] by default): the request was
/// authenticated by the [`Receiver`] in the router's state, and its body read and parsed, all or nothing. Any
/// failure answers for the handler (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct HaloWebhook<T = Json>(pub Delivery<T>);

impl<S, T> FromRequest<S> for HaloWebhook<T>
where
    Receiver: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver = Receiver::from_ref(state);
        // Credentials first: an unauthenticated request's body is never read.
        let endpoint = receiver
            .authenticate(request.uri().path(), request.headers())
            .map_err(IntoResponse::into_response)?
            .name()
            .to_owned();
        let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        let delivery = Delivery::parse(&body).map_err(IntoResponse::into_response)?;
        Ok(HaloWebhook(delivery.with_endpoint(&endpoint)))
    }
}

/// The answer to a refused webhook request: its status, `WWW-Authenticate` for a 401, and the message as text.
impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.message().to_owned()).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        if let Some(challenge) = self.www_authenticate().and_then(|value| HeaderValue::from_str(value).ok()) {
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        response
    }
}
