//! The project's automation as a library, so tests run exactly what `cargo xtask` runs.

pub mod api_diff;
pub mod check_fixtures;
pub mod codegen;
pub mod full_api;
pub mod import;
pub mod openapi_json;

use std::path::{Path, PathBuf};

/// The error type of every command: a message for a person.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// The result type of every command.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The target directory of the scratch crates `full-api` and `check-fixtures` compile, relative to the checkout:
/// they have the generated crate's dependencies, which are then built once for both.
pub const SCRATCH_TARGET: &str = "target/scratch-target";

/// The root of the checkout `cargo xtask` runs in: the nearest directory at or above the working directory that has a
/// workspace `Cargo.toml` and `xtask/Cargo.toml`.
///
/// Found at run time, never from the `CARGO_MANIFEST_DIR` baked into the binary: cargo reuses one xtask binary for
/// every clone that shares a target directory (`CARGO_TARGET_DIR`, `build.target-dir`), and that binary must work on
/// the clone it is run in, not the one it was first built in.
pub fn project_root() -> Result<PathBuf> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    find_root(&cwd)
}

/// [`project_root`] from `start` instead of the working directory.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    let is_root = |dir: &Path| {
        dir.join("xtask/Cargo.toml").is_file()
            && std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|manifest| manifest.lines().any(|line| line.trim() == "[workspace]"))
    };
    start.ancestors().find(|dir| is_root(dir)).map(Path::to_path_buf).ok_or_else(|| {
        format!(
            "{} is not inside a halopsa-rs checkout (no directory above it has a workspace Cargo.toml and \
             xtask/Cargo.toml); hint: run `cargo xtask` from the checkout",
            start.display()
        )
        .into()
    })
}
