//! `cargo xtask import`: bring the curated spec up to date from a Halo swagger document.

/// Runs `cargo xtask import` with its arguments.
pub fn main(_args: &[String]) -> crate::Result<()> {
    Err("`cargo xtask import` is not implemented yet".into())
}
