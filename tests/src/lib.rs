//! Test support for the HaloPSA generator and client: the fake Halo server and shared helpers.

pub mod fake_halo;
