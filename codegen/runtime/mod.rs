//! Runtime support of the generated client: HTTP, authentication, retries and rate limits, pagination, errors and
//! lenient decoding.
//!
//! This module is hand-written (in `codegen/runtime/` of the generator) and copied verbatim into the crate.
//! Generated code uses [`Request`] and the `Client::send_*` methods; applications mostly meet [`Client`],
//! [`ClientBuilder`], [`Error`], [`RetryPolicy`], [`RateLimit`] and the [`Pages`] of list operations.

mod auth;
mod client;
mod error;
pub mod lenient;
pub(crate) mod model;
mod paging;
mod request;
mod retry;
mod tls;

#[cfg(test)]
mod tests;

pub use client::{Client, ClientBuilder};
pub use error::{Error, ErrorKind, decode_json};
pub use paging::{ItemStream, ListPage, Pages};
pub use request::{QueryValue, Request, path_segment};
pub use retry::{RateLimit, RetryPolicy};

/// The result of every fallible operation of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
