//! Test support for the HaloPSA generator and client: the fake Halo server (the `halopsa-fake` crate in `fake/`).

pub use halopsa_fake as fake_halo;

/// The README's Rust examples, compiled as doctests so that they cannot drift from the generated crate's API.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeExamples;

// The generated crate's README is its crate docs (`generated/src/lib.rs`), so its examples are the crate's own
// doctests.
