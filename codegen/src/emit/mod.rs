//! Emit: IR → the files of the generated crate. One emitter per kind of file; they see only the IR.

mod cli;
mod examples;
mod krate;
mod models;
mod resources;
pub(crate) mod runtime;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub use examples::{EXAMPLE_FILES, Example};
pub use runtime::RUNTIME_FILES;

use crate::ir::{Api, ParamTy, Ty};

/// A file before formatting: Rust tokens (formatted by `fmt`) or text written as is.
pub enum Output {
    /// Rust source to format with prettyplease.
    Rust(TokenStream),
    /// Rust source that is already formatted (the runtime and the examples, copied verbatim) and the file it came from.
    Verbatim { text: &'static str, origin: String },
    /// Any other text (Cargo.toml, Markdown).
    Text(String),
}

/// Every file of the crate, keyed by its path relative to the crate root, in a deterministic order.
pub fn files(api: &Api) -> Vec<(String, Output)> {
    let mut files = Vec::new();
    files.push(("Cargo.toml".to_owned(), Output::Text(krate::manifest(api))));
    files.push(("src/lib.rs".to_owned(), Output::Rust(krate::lib_rs(api))));
    files.push(("README.md".to_owned(), Output::Text(krate::readme(api))));
    files
        .extend(krate::LICENSE_FILES.iter().map(|(name, text)| ((*name).to_owned(), Output::Text((*text).to_owned()))));
    files.extend(models::files(api));
    files.extend(resources::files(api));
    files.extend(runtime::files());
    files.extend(examples::files(api));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Every file of the `halo` command line's generated part, keyed by its path relative to `cli/src/generated/`.
pub fn cli_files(api: &Api) -> Vec<(String, Output)> {
    let mut files = cli::files(api);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// The doc line every imported model carries (resources say it with their feature: `imported_label`).
pub(crate) const IMPORTED_LABEL: &str = "*Imported from Halo's swagger, not curated*: outside the crate's semver promise, it may be \
     renamed, retyped or promoted in any release (the crate's README, \"The imported tier\").";

/// The doc line of an imported resource (its module, accessor and accessor type).
pub(crate) fn imported_label(feature: &str) -> String {
    format!(
        "*Imported from Halo's swagger, not curated* (cargo feature `{feature}`): outside the crate's semver promise, \
         it may be renamed, retyped or promoted in any release (the crate's README, \"The imported tier\")."
    )
}

/// `#[doc = " line"]` attributes, one per line, as prettyplease prints `/// line`.
fn doc_attrs(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().map(|line| {
        let text = if line.is_empty() { String::new() } else { format!(" {line}") };
        quote!(#[doc = #text])
    });
    quote!(#(#attrs)*)
}

/// An identifier token for a generated name, raw (`r#type`) where the name says so.
fn ident(name: &str) -> proc_macro2::Ident {
    match name.strip_prefix("r#") {
        Some(raw) => proc_macro2::Ident::new_raw(raw, proc_macro2::Span::call_site()),
        None => format_ident!("{}", name),
    }
}

/// The Rust type of a `Ty`; `models` is the path prefix to reach model types (`models::` or empty).
fn ty_tokens(api: &Api, ty: &Ty, models: &TokenStream) -> TokenStream {
    match ty {
        Ty::Bool => quote!(bool),
        Ty::I32 => quote!(i32),
        Ty::I64 => quote!(i64),
        Ty::F64 => quote!(f64),
        Ty::String => quote!(String),
        Ty::DateTime => quote!(crate::DateTime),
        Ty::Bytes => quote!(Vec<u8>),
        Ty::Json => quote!(serde_json::Value),
        Ty::Named(id) => {
            let name = ident(&api.ty(*id).rust_name);
            quote!(#models #name)
        }
        Ty::Vec(inner) => {
            let inner = ty_tokens(api, inner, models);
            quote!(Vec<#inner>)
        }
        Ty::Map(inner) => {
            let inner = ty_tokens(api, inner, models);
            quote!(std::collections::BTreeMap<String, #inner>)
        }
    }
}

/// The field type of a builder parameter.
fn param_field_ty(api: &Api, ty: ParamTy) -> TokenStream {
    match ty {
        ParamTy::Enum(id) => ty_tokens(api, &Ty::Named(id), &quote!(models::)),
        ParamTy::Bool => quote!(bool),
        ParamTy::I32 => quote!(i32),
        ParamTy::I64 => quote!(i64),
        ParamTy::F64 => quote!(f64),
        ParamTy::String => quote!(String),
        ParamTy::DateTime => quote!(crate::DateTime),
        ParamTy::ListI32 => quote!(Vec<i32>),
        ParamTy::ListI64 => quote!(Vec<i64>),
        ParamTy::ListString => quote!(Vec<String>),
    }
}
