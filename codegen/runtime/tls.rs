//! The TLS backend of the client's HTTP connections, chosen with a cargo feature of the crate.
//!
//! - `rustls-ring` (the default): rustls with the `ring` crypto provider, configured on this client only (no
//!   process-wide provider is installed, so an application that installs its own keeps it). It builds no C
//!   library but ring's small one, and needs no system TLS library.
//! - `rustls-aws-lc-rs`: rustls with the `aws-lc-rs` provider (reqwest's own default), for FIPS or its speed; its
//!   build compiles AWS-LC (C, needs cmake on some targets).
//! - `native-tls`: the platform's TLS library (OpenSSL on Linux, Secure Transport, SChannel).
//!
//! Features add up, so a consumer that turns on `native-tls` or `rustls-aws-lc-rs` without turning the defaults off
//! gets the backend it asked for: `native-tls` wins over `rustls-aws-lc-rs`, which wins over `rustls-ring`. With
//! none of them, the crate still compiles, and [`ClientBuilder::build`](super::ClientBuilder::build) refuses an
//! https URL with an error that names these features.

/// Whether the crate was built with a TLS backend.
pub(crate) const HTTPS: bool = cfg!(any(feature = "rustls-ring", feature = "rustls-aws-lc-rs", feature = "native-tls"));

/// The TLS configuration of a client the crate builds itself.
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
    #[cfg(feature = "native-tls")]
    return Ok(builder.tls_backend_native());

    #[cfg(all(feature = "rustls-aws-lc-rs", not(feature = "native-tls")))]
    return Ok(builder.tls_backend_rustls());

    #[cfg(all(feature = "rustls-ring", not(any(feature = "rustls-aws-lc-rs", feature = "native-tls"))))]
    return ring(builder);

    #[cfg(not(any(feature = "rustls-ring", feature = "rustls-aws-lc-rs", feature = "native-tls")))]
    return Ok(builder);
}

/// rustls with `ring`, the certificates checked by the platform's verifier (the system's roots, as reqwest does).
/// Handed to reqwest as a finished configuration, so reqwest never looks for a process-wide crypto provider.
#[cfg(all(feature = "rustls-ring", not(any(feature = "rustls-aws-lc-rs", feature = "native-tls"))))]
fn ring(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|config| config.with_platform_verifier())
        .map_err(|error| format!("cannot set up TLS (rustls with ring): {error}"))?
        .with_no_client_auth();
    Ok(builder.tls_backend_preconfigured(config))
}
