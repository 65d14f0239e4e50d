//! Runtime support of the generated client: HTTP, authentication, retries and rate limits, pagination, errors and
//! the models' generic code (serde, type drift, lenient numbers).
//!
//! This module is hand-written (in `codegen/runtime/` of the generator) and copied verbatim into the crate. It is
//! private: the crate root re-exports what applications use ([`Client`], [`ClientBuilder`], [`Error`],
//! [`RetryPolicy`], [`RateLimit`], [`Pages`], [`Response`], [`Hook`], ...). Generated code also uses [`Request`],
//! [`RequestOptions`], `debug_builder`, the `Client::send_*` methods, [`ListPage`] and the `model` traits and macros: the generator's contract with the runtime,
//! free to change in any release (ARCHITECTURE.md, "The generated crate ↔ runtime contract").

// With fewer resources than the default, parts of that contract go unused (a resource without paged lists needs no
// `Pages::new`, one without path parameters no `path_segment`); with the default, everything is used and unused
// code is still an error in CI.
#![cfg_attr(not(feature = "default"), allow(dead_code, unused_imports))]

mod auth;
mod client;
mod custom;
pub(crate) mod custom_fields;
mod datetime;
mod error;
mod hooks;
pub(crate) mod lenient;
pub(crate) mod model;
mod paging;
mod permissions;
mod request;
mod response;
mod retry;
mod tls;

#[cfg(test)]
mod tests;

pub use client::{Client, ClientBuilder};
pub use custom::{CustomRequest, QueryArg};
pub use custom_fields::{CustomFieldKey, CustomFieldValue};
pub use datetime::{DateTime, ParseDateTimeError};
pub use error::{ApiCode, Error, ErrorKind, decode_json};
pub use hooks::{CallKind, Hook, HookRequest, HookResponse};
pub use model::OtherValue;
pub use paging::{DEFAULT_MAX_PAGES, ItemStream, ListError, ListPage, Pages};
pub use permissions::WhoAmI;
pub(crate) use request::{Request, RequestOptions, debug_builder, path_segment};
pub use response::Response;
pub use retry::{RateLimit, RetryPolicy};

/// The result of every fallible operation of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
