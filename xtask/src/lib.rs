//! The project's automation as a library, so tests run exactly what `cargo xtask` runs.

pub mod api_diff;
pub mod codegen;
pub mod full_api;
pub mod import;
pub mod openapi_json;

use std::path::PathBuf;

/// The error type of every command: a message for a person.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// The result type of every command.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The repository root, found from this package's manifest directory (never from the working directory).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}
