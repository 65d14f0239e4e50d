//! Runtime support of the generated client: HTTP, authentication, retries and rate limits, pagination, errors and
//! the models' generic code (serde, type drift, lenient numbers).
//!
//! This module is hand-written (in `codegen/runtime/` of the generator) and copied verbatim into the crate. It is
//! private: the crate root re-exports what applications use ([`Client`], [`ClientBuilder`], [`Error`],
//! [`RetryPolicy`], [`RateLimit`], [`Pages`], [`Response`], [`Hook`], ...). Generated code also uses [`Call`] and
//! [`answer`] (every request builder), [`ListPage`] (list wrappers), `model` (its traits and the `impls!` macro) and `custom_fields` (models): the
//! generator's contract with the runtime, free to change in any release (ARCHITECTURE.md, "The generated crate ↔
//! runtime contract").

// With fewer resources than the default, parts of that contract go unused (a resource without paged lists needs no
// `Call::pages`, one without uploads no `answer::Bytes`): those items allow dead code one by one, so every fixture's
// crate compiles warning-free (`cargo xtask check-fixtures`); with the default, everything is used and unused code
// is still an error in CI.
#![cfg_attr(not(feature = "default"), allow(dead_code, unused_imports))]

mod auth;
// Which of the builders' setters, bodies and kinds of answer a crate uses depends on its spec (Halo's whole swagger,
// which `cargo xtask full-api` generates, has no download, so no `answer::Bytes`; the curated spec no list-of-text
// parameter, so no `Call::texts`); each is used by some spec.
#[allow(dead_code)]
mod call;
mod client;
mod custom;
pub(crate) mod custom_fields;
mod datetime;
mod error;
mod hooks;
pub(crate) mod lenient;
// The models' generic code: which of it a crate uses depends on its models (fields of each type, required fields,
// enums), and a spec without models uses none of it; `cargo xtask check-fixtures` builds such crates.
#[allow(dead_code, unused_imports)]
pub(crate) mod model;
mod paging;
mod permissions;
mod pool;
mod request;
mod response;
mod retry;
mod tls;
// Receiving Halo's webhooks (feature `webhook-receiver`); public as `halopsa::webhook_receiver`. Its other files
// (`webhook_event.rs`, `webhook_replay.rs`, `webhook_axum.rs`) are its submodules, by `#[path]`.
#[cfg(feature = "webhook-receiver")]
pub mod webhook_receiver;

#[cfg(test)]
mod tests;

pub(crate) use call::{Call, answer};
pub use client::{Client, ClientBuilder};
pub use custom::{CustomRequest, QueryArg};
pub use custom_fields::{CustomFieldKey, CustomFieldValue};
pub use datetime::{DateTime, ParseDateTimeError};
pub use error::{ApiCode, Error, ErrorKind, FieldError, SETTLE_TIME, decode_json};
pub use hooks::{CallKind, Hook, HookRequest, HookResponse};
pub use model::OtherValue;
pub use paging::{DEFAULT_MAX_PAGES, ItemStream, ListError, Pages};
// Generated code uses these only if the spec has list wrappers (`ListPage`) and path parameters (`path_segment`).
#[allow(unused_imports)]
pub use paging::{ListPage, RecordKey};
pub use permissions::WhoAmI;
pub use pool::{Pool, Tenant};
pub(crate) use request::Request;
pub use response::Response;
pub use retry::{RateLimit, RetryPolicy};

/// The result of every fallible operation of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
