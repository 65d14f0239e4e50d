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

// The modules import each other as a tree (no cycles; ARCHITECTURE.md draws it, `tests/tests/module_graph.rs`
// checks it): from the leaves (`encode`, `retry`, `limit`, `hooks`, `error_body`, ...) through the error type, the
// transport (one attempt) and the retry driver (one exchange) to the client, and the request builders on top.
mod auth;
// Issue 20: bulk writes with a result per item, SQL reports as typed queries, a catalog of names and ids.
mod bulk;
// Which of the builders' setters, bodies and kinds of answer a crate uses depends on its spec (Halo's whole swagger,
// which `cargo xtask full-api` generates, has no download, so no `answer::Bytes`; the curated spec no list-of-text
// parameter, so no `Call::texts`); each is used by some spec.
#[allow(dead_code)]
mod call;
mod catalog;
mod client;
mod custom;
pub(crate) mod custom_fields;
mod datetime;
mod decode;
mod driver;
mod encode;
mod error;
mod error_body;
mod hooks;
pub(crate) mod lenient;
mod limit;
// The models' generic code: which of it a crate uses depends on its models (fields of each type, required fields,
// enums), and a spec without models uses none of it; `cargo xtask check-fixtures` builds such crates.
#[allow(dead_code, unused_imports)]
pub(crate) mod model;
mod paging;
mod permissions;
mod pool;
mod report_sql;
mod request;
mod response;
mod retry;
mod scrub;
mod tls;
mod transport;
// Receiving Halo's webhooks (feature `webhook-receiver`); public as `halopsa::webhook_receiver`. Its other files
// (`webhook_event.rs`, `webhook_replay.rs`, `webhook_axum.rs`) are its submodules, by `#[path]`.
#[cfg(feature = "webhook-receiver")]
pub mod webhook_receiver;
mod whoami;

#[cfg(test)]
mod tests;

pub use bulk::{Bulk, BulkItem, BulkOutcome, BulkReport, FieldChange, MAX_BULK_CHUNK, Planned};
pub(crate) use call::{Call, answer};
pub use catalog::{Catalog, CatalogError, DEFAULT_CATALOG_TTL, TicketTypeRef};
pub use client::{Client, ClientBuilder};
pub use custom::{CustomRequest, QueryArg};
pub use custom_fields::{CustomFieldKey, CustomFieldValue};
pub use datetime::{DateTime, ParseDateTimeError};
pub use decode::decode_json;
pub use error::{ApiCode, Error, ErrorKind, Result, SETTLE_TIME};
pub use error_body::FieldError;
pub use hooks::{CallKind, Hook, HookRequest, HookResponse};
pub use limit::{RateBudget, RateLimit};
pub use model::OtherValue;
pub use paging::{DEFAULT_MAX_PAGES, ItemStream, ListError, Pages};
// Generated code uses it only if the spec has list wrappers.
#[allow(unused_imports)]
pub use paging::{ListPage, RecordKey};
pub use pool::{Pool, Tenant};
pub use report_sql::{MAX_SQL_LEN, SqlColumn, SqlQuery, SqlRows};
pub(crate) use request::Request;
pub use response::Response;
pub use retry::RetryPolicy;
pub use whoami::WhoAmI;
