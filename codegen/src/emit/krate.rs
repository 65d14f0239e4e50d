//! The crate root: `lib.rs` (tiny: docs, module declarations, re-exports), `Cargo.toml`, and the crate's `README.md`
//! and license files.

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use crate::ir::*;

pub(super) fn lib_rs(api: &Api) -> TokenStream {
    let mut docs = vec![
        format!("A typed HaloPSA client generated from `{}`: {}, version {}.", api.source, api.title, api.version),
        String::new(),
        "Each resource is a module and an accessor on [`Client`]; each operation is a request builder with one"
            .to_owned(),
        "documented setter per query parameter. Models are in [`models`].".to_owned(),
        String::new(),
    ];
    if let Some((resource, op)) = example_operation(api) {
        docs.extend([
            "```no_run".to_owned(),
            "# async fn example() -> halopsa::Result<()> {".to_owned(),
            "let client = halopsa::Client::builder(\"https://acme.halopsa.com\")".to_owned(),
            "    .client_credentials(\"client-id\", \"client-secret\")".to_owned(),
            "    .build()?;".to_owned(),
            format!("let page = client.{}().{}().send().await?;", resource.module, op.method_name),
            "# let _ = page;".to_owned(),
            "# Ok(())".to_owned(),
            "# }".to_owned(),
            "```".to_owned(),
            String::new(),
        ]);
    }
    docs.extend([
        "Cargo features: one per resource (all on by default), so a consumer compiles only what it uses; and the TLS"
            .to_owned(),
        "backend for https: `rustls-ring` (the default), `rustls-aws-lc-rs` or `native-tls`.".to_owned(),
    ]);
    let docs = docs.iter().map(|line| {
        let text = if line.is_empty() { String::new() } else { format!(" {line}") };
        quote!(#![doc = #text])
    });
    let modules = api.resources.iter().map(|resource| {
        let name = ident(&resource.module);
        let feature = &resource.module;
        quote! {
            #[cfg(feature = #feature)]
            #[rustfmt::skip]
            pub mod #name;
        }
    });
    quote! {
        #(#docs)*
        #![warn(missing_docs)]
        #[rustfmt::skip]
        pub mod models;
        #[rustfmt::skip]
        mod runtime;
        #(#modules)*
        pub use runtime::{
            ApiCode, CallKind, Client, ClientBuilder, CustomRequest, DEFAULT_MAX_PAGES, Error, ErrorKind, Hook,
            HookRequest, HookResponse, ItemStream, ListError, Pages, QueryArg, RateLimit, Response, Result,
            RetryPolicy, WhoAmI, decode_json,
        };
        /// The HTTP method of a [`Client::request`] (reqwest's, re-exported).
        pub use reqwest::Method;
        /// The status of a [`Response`] and of a [`HookResponse`] (reqwest's, re-exported).
        pub use reqwest::StatusCode;
        /// The headers of a [`Response`], an [`Error`] and a [`Hook`]'s request (reqwest's, re-exported), and the
        /// value of a header a hook adds.
        pub use reqwest::header::{HeaderMap, HeaderValue};
        pub use runtime::{CustomFieldKey, CustomFieldValue, DateTime, OtherValue, ParseDateTimeError};
        /// The `time` crate (re-exported), whose [`time::OffsetDateTime`] a [`DateTime`] is read as.
        pub use time;
    }
}

/// The crate-level example: the list operation without path parameters that has the most query parameters (the
/// resource users reach for first: agents or users in the curated spec), ties going to the first resource in order.
fn example_operation(api: &Api) -> Option<(&Resource, &Operation)> {
    let lists = api.resources.iter().flat_map(|resource| {
        resource
            .operations
            .iter()
            .filter(|op| op.method_name == "list" && op.path_params.is_empty())
            .map(move |op| (resource, op))
    });
    // `max_by_key` keeps the last of equal maxima, so compare in reverse order to keep the first.
    lists.rev().max_by_key(|(_, op)| op.query_params.len())
}

/// The TLS feature on by default: rustls with ring, which builds no aws-lc-sys (`codegen/runtime/tls.rs`).
const DEFAULT_TLS: &str = "rustls-ring";

pub(super) fn manifest(api: &Api) -> String {
    let mut features = String::from("[features]\n");
    // The default TLS backend (the template defines the backends), then every resource.
    let mut default = vec![format!("\"{DEFAULT_TLS}\"")];
    default.extend(api.resources.iter().map(|r| format!("\"{}\"", r.module)));
    let unused_models = api.types.values().any(|def| match &def.owner {
        Owner::Shared(features) => features.iter().any(|feature| feature == UNUSED_MODELS_FEATURE),
        Owner::Resource(_) => false,
    });
    if unused_models {
        default.push(format!("\"{UNUSED_MODELS_FEATURE}\""));
    }
    features.push_str(&format!("default = [{}]\n", default.join(", ")));
    for resource in &api.resources {
        features.push_str(&format!("{} = []\n", resource.module));
    }
    if unused_models {
        features.push_str("# The models no operation uses (a consumer may decode them itself, from a webhook say).\n");
        features.push_str(&format!("{UNUSED_MODELS_FEATURE} = []\n"));
    }
    let header = format!("# @generated by `cargo xtask codegen` from {}. Do not edit by hand.\n", api.source);
    let body = super::runtime::MANIFEST_TEMPLATE
        .replace("@FEATURES@", features.trim_end())
        .replace("@EXAMPLES@", &super::examples::manifest_entries(api));
    format!("{header}{}\n", body.trim_end())
}

/// The crate's own README (crates.io and docs.rs show it): `codegen/runtime/README.md.in` with the spec's title and
/// version, the crate version of the manifest template, an example call and the table of resources and features.
pub(super) fn readme(api: &Api) -> String {
    let crate_version = super::runtime::MANIFEST_TEMPLATE
        .lines()
        .find_map(|line| line.strip_prefix("version = \"")?.strip_suffix('"'))
        .unwrap_or("0.1");
    let example = match example_operation(api) {
        Some((resource, op)) => {
            format!("let page = client.{}().{}().send().await?;\n# let _ = page;", resource.module, op.method_name)
        }
        None => "# let _ = client;".to_owned(),
    };
    let resources: Vec<String> =
        api.resources.iter().map(|r| format!("| {} | `client.{}()` | `{}` |", r.tag, r.module, r.module)).collect();
    let header = format!("<!-- @generated by `cargo xtask codegen` from {}. Do not edit by hand. -->\n", api.source);
    let body = README_TEMPLATE
        .replace("@TITLE@", &api.title)
        .replace("@SPEC_VERSION@", &api.version)
        .replace("@CRATE_VERSION@", crate_version)
        .replace("@EXAMPLE@", &example)
        .replace("@RESOURCES@", &resources.join("\n"));
    format!("{header}{}\n", body.trim_end())
}

const README_TEMPLATE: &str = include_str!("../../runtime/README.md.in");

/// The license files the manifest's `license = "MIT OR Apache-2.0"` names, copied from the repository root so the
/// packaged crate carries them.
pub(super) const LICENSE_FILES: &[(&str, &str)] = &[
    ("LICENSE-APACHE", include_str!("../../../LICENSE-APACHE")),
    ("LICENSE-MIT", include_str!("../../../LICENSE-MIT")),
];
