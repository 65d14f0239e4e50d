//! `cargo xtask api-diff`: what changed between two specs, resource by resource, for a pull request.

/// Runs `cargo xtask api-diff` with its arguments.
pub fn main(_args: &[String]) -> crate::Result<()> {
    Err("`cargo xtask api-diff` is not implemented yet".into())
}
