//! The runtime support (`codegen/runtime/`), copied verbatim into `generated/src/runtime/`.
//!
//! It is real Rust, compiled and tested as part of the generated crate; embedding it with `include_str!` keeps the
//! generator pure (no disk access) and makes a runtime change show up in the freshness check like any other.

use super::Output;

/// `(file name, contents)` of every runtime file. A test in `tests/` checks this list against the directory.
pub const RUNTIME_FILES: &[(&str, &str)] = &[
    ("auth.rs", include_str!("../../runtime/auth.rs")),
    ("bulk.rs", include_str!("../../runtime/bulk.rs")),
    ("call.rs", include_str!("../../runtime/call.rs")),
    ("catalog.rs", include_str!("../../runtime/catalog.rs")),
    ("client.rs", include_str!("../../runtime/client.rs")),
    ("custom.rs", include_str!("../../runtime/custom.rs")),
    ("custom_fields.rs", include_str!("../../runtime/custom_fields.rs")),
    ("datetime.rs", include_str!("../../runtime/datetime.rs")),
    ("decode.rs", include_str!("../../runtime/decode.rs")),
    ("driver.rs", include_str!("../../runtime/driver.rs")),
    ("encode.rs", include_str!("../../runtime/encode.rs")),
    ("error.rs", include_str!("../../runtime/error.rs")),
    ("error_body.rs", include_str!("../../runtime/error_body.rs")),
    ("hooks.rs", include_str!("../../runtime/hooks.rs")),
    ("lenient.rs", include_str!("../../runtime/lenient.rs")),
    ("limit.rs", include_str!("../../runtime/limit.rs")),
    ("mod.rs", include_str!("../../runtime/mod.rs")),
    ("model.rs", include_str!("../../runtime/model.rs")),
    ("paging.rs", include_str!("../../runtime/paging.rs")),
    ("permissions.rs", include_str!("../../runtime/permissions.rs")),
    ("pool.rs", include_str!("../../runtime/pool.rs")),
    ("report_sql.rs", include_str!("../../runtime/report_sql.rs")),
    ("request.rs", include_str!("../../runtime/request.rs")),
    ("response.rs", include_str!("../../runtime/response.rs")),
    ("retry.rs", include_str!("../../runtime/retry.rs")),
    ("scrub.rs", include_str!("../../runtime/scrub.rs")),
    ("tests.rs", include_str!("../../runtime/tests.rs")),
    ("tls.rs", include_str!("../../runtime/tls.rs")),
    ("transport.rs", include_str!("../../runtime/transport.rs")),
    ("webhook_axum.rs", include_str!("../../runtime/webhook_axum.rs")),
    ("webhook_event.rs", include_str!("../../runtime/webhook_event.rs")),
    ("webhook_receiver.rs", include_str!("../../runtime/webhook_receiver.rs")),
    ("webhook_replay.rs", include_str!("../../runtime/webhook_replay.rs")),
    ("whoami.rs", include_str!("../../runtime/whoami.rs")),
];

/// The manifest template; `@FEATURES@` becomes the `[features]` table and `@EXAMPLES@` the `[[example]]` tables.
pub const MANIFEST_TEMPLATE: &str = include_str!("../../runtime/Cargo.toml.in");

pub(super) fn files() -> Vec<(String, Output)> {
    RUNTIME_FILES
        .iter()
        .map(|(name, text)| {
            (format!("src/runtime/{name}"), Output::Verbatim { text, origin: format!("codegen/runtime/{name}") })
        })
        .collect()
}
