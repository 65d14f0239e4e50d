//! The runtime support (`codegen/runtime/`), copied verbatim into `generated/src/runtime/`.
//!
//! It is real Rust, compiled and tested as part of the generated crate; embedding it with `include_str!` keeps the
//! generator pure (no disk access) and makes a runtime change show up in the freshness check like any other.

use super::Output;

/// `(file name, contents)` of every runtime file. A test in `tests/` checks this list against the directory.
pub const RUNTIME_FILES: &[(&str, &str)] = &[];

/// The manifest template; `@FEATURES@` becomes the `[features]` table.
pub const MANIFEST_TEMPLATE: &str = "[package]\nname = \"halopsa\"\n@FEATURES@\n";

pub(super) fn files() -> Vec<(String, Output)> {
    RUNTIME_FILES
        .iter()
        .map(|(name, text)| {
            (format!("src/runtime/{name}"), Output::Verbatim { text, origin: format!("codegen/runtime/{name}") })
        })
        .collect()
}
