//! The crate root: `lib.rs` (tiny: docs, module declarations, re-exports), `Cargo.toml`, and the crate's `README.md`
//! and license files.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use crate::ir::*;

pub(super) fn lib_rs(api: &Api) -> TokenStream {
    let modules = api.resources.iter().map(|resource| {
        let name = ident(&resource.module);
        let feature = &resource.feature;
        quote! {
            #[cfg(feature = #feature)]
            #[rustfmt::skip]
            pub mod #name;
        }
    });
    // The crate's docs are its README: one text for docs.rs and crates.io, whose examples are doctests.
    quote! {
        #![doc = include_str!("../README.md")]
        #![warn(missing_docs)]
        #[rustfmt::skip]
        pub mod models;
        #[rustfmt::skip]
        mod runtime;
        #(#modules)*
        pub use runtime::{
            ApiCode, CallKind, Client, ClientBuilder, CustomRequest, DEFAULT_MAX_PAGES, Error, ErrorKind, FieldError,
            Hook, HookRequest, HookResponse, ItemStream, ListError, Pages, QueryArg, RateBudget, RateLimit, Response, Result,
            RetryPolicy, SETTLE_TIME, WhoAmI,
        };
        // Issue 20: bulk writes with a result per item, SQL reports as typed queries, a catalog of names and ids.
        pub use runtime::{
            Bulk, BulkItem, BulkOutcome, BulkReport, Catalog, CatalogError, DEFAULT_CATALOG_TTL, FieldChange,
            MAX_BULK_CHUNK, MAX_SQL_LEN, Planned, SqlColumn, SqlQuery, SqlRows, TicketTypeRef,
        };
        pub use runtime::{Pool, Tenant};
        // Not part of the API (hidden from the docs, and so from cargo-semver-checks): how the client decodes a
        // body, public only for the workspace's benchmark (tests/benches/client.rs), which compares it with plain
        // serde_json. A cargo feature would be on in every workspace build anyway (features unify), and shown as
        // part of the crate on docs.rs.
        #[doc(hidden)]
        pub use runtime::decode_json;
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
        #[cfg(feature = "webhook-receiver")]
        pub use runtime::webhook_receiver;
    }
}

/// The crate-level example: the list operation without path parameters that has the most query parameters (the
/// resource users reach for first: agents or users in the curated spec), ties going to the first resource in order;
/// among the resources on by default, so the example compiles with the default features.
fn example_operation(api: &Api) -> Option<(&Resource, &Operation)> {
    let lists = api.resources.iter().filter(|resource| resource.default_feature).flat_map(|resource| {
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
    default.extend(api.resources.iter().filter(|r| r.default_feature).map(|r| format!("\"{}\"", r.module)));
    let unused_models = api.types.values().any(|def| match &def.owner {
        Owner::Shared(features) => features.iter().any(|feature| feature == UNUSED_MODELS_FEATURE),
        Owner::Resource(_) | Owner::Imported { .. } => false,
    });
    if unused_models {
        default.push(format!("\"{UNUSED_MODELS_FEATURE}\""));
    }
    features.push_str(&format!("default = [{}]\n", default.join(", ")));
    let quoted = |features: &mut dyn Iterator<Item = &String>| {
        features.map(|feature| format!("\"{feature}\"")).collect::<Vec<_>>().join(", ")
    };
    let (curated, imported): (Vec<&Resource>, Vec<&Resource>) = api.resources.iter().partition(|r| !r.imported);
    for resource in &curated {
        features.push_str(&format!("{} = []\n", resource.feature));
    }
    if !imported.is_empty() {
        features.push_str(
            "# The imported tier: Halo's swagger as it is, not curated, and outside the crate's semver promise (README,\n\
             # \"The imported tier\"). Each enables the curated features that compile the curated models it uses.\n",
        );
        for resource in &imported {
            features.push_str(&format!("{} = [{}]\n", resource.feature, quoted(&mut resource.requires.iter())));
        }
    }
    // Umbrella features: the spec's groups, then every curated resource, then the imported tier.
    for group in &api.feature_groups {
        features.push_str(&format!("# {}\n", group.description));
        features.push_str(&format!("{} = [{}]\n", group.name, quoted(&mut group.features.iter())));
    }
    if imported.is_empty() {
        features.push_str("# Every resource.\n");
    } else {
        features.push_str("# Every curated resource (not the imported tier).\n");
    }
    features.push_str(&format!("{FULL_FEATURE} = [{}]\n", quoted(&mut curated.iter().map(|r| &r.feature))));
    if !imported.is_empty() {
        features.push_str("# Every resource of the imported tier.\n");
        features.push_str(&format!("{IMPORTED_FEATURE} = [{}]\n", quoted(&mut imported.iter().map(|r| &r.feature))));
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
    let resources: Vec<String> = api
        .resources
        .iter()
        .filter(|r| !r.imported)
        .map(|r| {
            let default = if r.default_feature { "yes" } else { "no" };
            let groups: Vec<String> = api
                .feature_groups
                .iter()
                .filter(|g| g.features.contains(&r.module))
                .map(|g| format!("`{}`", g.name))
                .chain(std::iter::once(format!("`{FULL_FEATURE}`")))
                .collect();
            format!("| {} | `client.{}()` | `{}` | {default} | {} |", r.tag, r.module, r.module, groups.join(", "))
        })
        .collect();
    let has = |module: &str| api.resources.iter().any(|r| r.module == module);
    let ticketing =
        if ["tickets", "actions", "reports", "attachments"].into_iter().all(has) { README_TICKETING } else { "" };
    let header = format!("<!-- @generated by `cargo xtask codegen` from {}. Do not edit by hand. -->\n", api.source);
    let body = README_TEMPLATE
        .replace("@IMPORTED@", &imported_section(api))
        .replace("@TICKETING@", ticketing)
        .replace("@RETRY_TABLE@", &retry_table())
        .replace("@TITLE@", &api.title)
        .replace("@SPEC_VERSION@", &api.version)
        .replace("@CRATE_VERSION@", crate_version)
        .replace("@EXAMPLE@", &example)
        .replace("@RESOURCES@", &resources.join("\n"));
    format!("{header}{}\n", body.trim_end())
}

const README_TEMPLATE: &str = include_str!("../../runtime/README.md.in");

/// The README's section on the imported tier (`README.imported.md.in`, with its figures and the table of its
/// resources); empty for a spec without one.
fn imported_section(api: &Api) -> String {
    let imported: Vec<&Resource> = api.resources.iter().filter(|r| r.imported).collect();
    if imported.is_empty() {
        return String::new();
    }
    // HTTP operations, not methods: Halo's create-or-update POST is four methods of one operation.
    let operations: usize = imported
        .iter()
        .map(|r| r.operations.iter().map(|op| (op.http_method, op.path.as_str())).collect::<BTreeSet<_>>().len())
        .sum();
    let models = api.types.values().filter(|def| def.imported).count();
    let rows: Vec<String> = imported
        .iter()
        .map(|r| {
            let requires = if r.requires.is_empty() {
                String::new()
            } else {
                r.requires.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            };
            let halo = r.halo_name.as_deref().map(|h| format!("`{h}`")).unwrap_or_default();
            format!("| {} | {halo} | `client.{}()` | `{}` | {requires} |", r.tag, r.module, r.feature)
        })
        .collect();
    README_IMPORTED
        .replace("@IMPORTED_RESOURCES@", &imported.len().to_string())
        .replace("@IMPORTED_OPERATIONS@", &operations.to_string())
        .replace("@IMPORTED_MODELS@", &models.to_string())
        .replace("@IMPORTED_TABLE@", &rows.join("\n"))
}

/// The README's section on the imported tier: its semver promise and its resources.
const README_IMPORTED: &str = include_str!("../../runtime/README.imported.md.in");

/// The README's section on tickets, actions, reports and attachments: only for a spec that has those resources,
/// since its example uses them.
const README_TICKETING: &str = include_str!("../../runtime/README.ticketing.md.in");

/// The table of what is retried, from `RetryPolicy`'s docs in `runtime/retry.rs`, so the crate's README and its
/// rustdoc cannot disagree (rustdoc links become plain code).
fn retry_table() -> String {
    let (_, retry) = super::runtime::RUNTIME_FILES.iter().find(|(name, _)| *name == "retry.rs").expect("retry.rs");
    let rows: Vec<String> = retry
        .lines()
        .map(str::trim_start)
        .skip_while(|line| !line.starts_with("/// |"))
        .take_while(|line| line.starts_with("/// |"))
        .map(|line| line.trim_start_matches("/// ").replace("[`", "`").replace("`]", "`"))
        .collect();
    rows.join("\n")
}

/// The license files the manifest's `license = "MIT OR Apache-2.0"` names, copied from the repository root so the
/// packaged crate carries them.
pub(super) const LICENSE_FILES: &[(&str, &str)] = &[
    ("LICENSE-APACHE", include_str!("../../../LICENSE-APACHE")),
    ("LICENSE-MIT", include_str!("../../../LICENSE-MIT")),
];
