//! Models: one file per owning resource (`models/agents.rs`) plus `models/shared.rs`, and `models/mod.rs`; the
//! imported tier's under `models/imported/` (`imported_files`).

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{IMPORTED_LABEL, Output, doc_attrs, ident, ty_tokens};
use crate::ir::*;

pub(super) fn files(api: &Api) -> Vec<(String, Output)> {
    // File → its types, sorted by Rust name so output order never depends on spec order. The curated tier's files
    // are exactly what they would be without an imported tier; the imported tier's are under `models/imported/`.
    let mut by_file: BTreeMap<&str, Vec<&TypeDef>> = BTreeMap::new();
    let mut imported_by_file: BTreeMap<&str, Vec<&TypeDef>> = BTreeMap::new();
    for def in api.types.values() {
        let files = if def.imported { &mut imported_by_file } else { &mut by_file };
        files.entry(file(&def.owner)).or_default().push(def);
    }
    let mut files = Vec::new();
    let mut declarations = Vec::new();
    for (module, mut defs) in by_file {
        defs.sort_by(|a, b| a.rust_name.cmp(&b.rust_name));
        let shared = matches!(defs[0].owner, Owner::Shared(_));
        let (doc, cfg) = if shared {
            let doc = " Models used by several resources (or by none), each compiled with the features of the resources \
                       that use it.";
            // The module itself only with a feature that needs one of its models: a glob re-export of an empty
            // module is an unused import.
            let mut features: Vec<String> = Vec::new();
            for def in &defs {
                if let Owner::Shared(needed) = &def.owner {
                    features.extend(needed.iter().cloned());
                }
            }
            features.sort();
            features.dedup();
            (doc.to_owned(), item_cfg(&Owner::Shared(features)))
        } else {
            let doc = format!(" Models used only by the `{module}` resource (cargo feature `{module}`).");
            (doc, quote!(#[cfg(feature = #module)]))
        };
        let uses_others = defs.iter().any(|def| references(def).iter().any(|id| file(&api.ty(*id).owner) != module));
        let import = if uses_others {
            quote!(
                use super::*;
            )
        } else {
            quote!()
        };
        let items = defs.iter().map(|def| type_def(api, def, &item_cfg(&def.owner)));
        files.push((
            format!("src/models/{module}.rs"),
            Output::Rust(quote! {
                #![doc = #doc]
                #import
                #(#items)*
            }),
        ));
        let name = ident(module);
        declarations.push(quote! {
            #cfg
            mod #name;
            #cfg
            pub use #name::*;
        });
    }
    if !imported_by_file.is_empty() {
        let (imported_files, features) = imported_files(api, imported_by_file);
        files.extend(imported_files);
        let cfg = any_feature(&features);
        declarations.push(quote! {
            #cfg
            mod imported;
            #cfg
            pub use imported::*;
        });
    }
    files.push((
        "src/models/mod.rs".to_owned(),
        Output::Rust(quote! {
            //! The data types of the API: one struct per schema of the spec, with unknown fields kept.
            //!
            //! Every field is optional and omitted from the JSON when `None`, so an update sends only what you set
            //! (Halo blanks fields it is sent as `null`). Fields the spec does not describe are kept in `extra` and
            //! sent back unchanged, so a GET → change → POST round trip loses nothing.
            //!
            //! # Building a record
            //!
            //! Start from `Default` and assign the public fields: `let mut change = Agent::default();`
            //! `change.isdisabled = Some(true);`. Models and enums are `#[non_exhaustive]` (a property or value
            //! Halo adds is not a breaking change), so a struct expression does not compile outside the crate.
            //! Each model has a handful of methods besides its fields: `clear(field)` and `raw(field)` (below), and
            //! on models with custom fields `custom_field(key)` and `custom_fields_update(changes)`.
            //!
            //! # Clearing a field
            //!
            //! To blank a field in Halo, send it as an explicit `null`: `change.clear(AgentField::Sms)`. Each model
            //! has an enum of its fields (`AgentField`: one variant per field, documented with its wire name) for
            //! this. A value assigned to the field afterwards is sent instead.
            //!
            //! # Values of another type (type drift)
            //!
            //! Halo's types change between versions, and self-hosted instances lag: a field the spec types as an
            //! integer may come as a string. Such a value does not fail the record: the field is `None`, the value
            //! is kept as it came (`raw(field)` reads it) and sent back unchanged unless you assign or clear the
            //! field, and the client logs one `tracing` warning per field and answer. Numbers and flags are read
            //! leniently first (`21.0` and `"21"` are 21; `"true"` and `1` are true). In tests,
            //! `ClientBuilder::strict_decoding(true)` makes such a value a decode error naming the field.
            //!
            //! # Depth of the models
            //!
            //! Where the spec keeps a nested Halo model as free-form JSON (`serde_json::Value`; the field's docs say
            //! which model), it is one the curated spec does not type, to keep the crate small: the JSON is kept and
            //! sent back unchanged, and it can be read with `serde_json` into a type of your own.
            //!
            //! # Custom fields
            //!
            //! Halo replaces the whole array of custom fields (and other arrays, such as an agent's teams) it is
            //! sent in an update, and blanks every entry left out. So an update sends the whole array as read, with
            //! the changed entries: `custom_fields_update(changes)` builds one from a fresh read of the record.
            //!
            //! # Enums
            //!
            //! Match an enum with a `_` arm: a value the spec does not list arrives as its `Other` variant, which
            //! keeps it ([`OtherValue`](crate::OtherValue)). Enums are made from their wire value with `From`,
            //! which gives a listed value its own variant.
            #(#declarations)*
        }),
    ));
    files
}

/// The imported tier's models: `models/imported/<module>.rs` with the models only that imported resource uses, and
/// `models/imported/shared/<model>.rs` with one model several of them use, each module behind the features that
/// need it, so that a consumer turning one imported resource on parses its own file and the few shared ones it uses
/// (never `models/shared.rs`'s worth of imported models), and a default build parses none of them. Returns the files
/// and every feature that compiles one of them.
fn imported_files(api: &Api, by_file: BTreeMap<&str, Vec<&TypeDef>>) -> (Vec<(String, Output)>, Vec<String>) {
    let feature_of: BTreeMap<&str, &str> =
        api.resources.iter().map(|r| (r.module.as_str(), r.feature.as_str())).collect();
    let mut files = Vec::new();
    let (mut declarations, mut shared_declarations) = (Vec::new(), Vec::new());
    let (mut all_features, mut shared_features) = (Vec::new(), Vec::new());
    for (module, mut defs) in by_file {
        defs.sort_by(|a, b| a.rust_name.cmp(&b.rust_name));
        let (path, doc, features) = match &defs[0].owner {
            Owner::Imported { file, features } => (
                format!("src/models/imported/shared/{}.rs", unraw(file)),
                format!(
                    " The imported model `{}`, used by several imported resources (cargo features {}).",
                    defs[0].rust_name,
                    features.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                ),
                features.clone(),
            ),
            _ => {
                let feature = feature_of.get(module).copied().unwrap_or(module).to_owned();
                (
                    format!("src/models/imported/{module}.rs"),
                    format!(" Models used only by the imported `{module}` resource (cargo feature `{feature}`)."),
                    vec![feature],
                )
            }
        };
        let uses_others = defs.iter().any(|def| references(def).iter().any(|id| file(&api.ty(*id).owner) != module));
        let import = uses_others.then(|| {
            quote!(
                use crate::models::*;
            )
        });
        let items = defs.iter().map(|def| type_def(api, def, &quote!()));
        files.push((
            path,
            Output::Rust(quote! {
                #![doc = #doc]
                #import
                #(#items)*
            }),
        ));
        let cfg = any_feature(&features);
        let name = ident(module);
        let declaration = quote! {
            #cfg
            mod #name;
            #cfg
            pub use #name::*;
        };
        all_features.extend(features.iter().cloned());
        if matches!(defs[0].owner, Owner::Imported { .. }) {
            shared_features.extend(features);
            shared_declarations.push(declaration);
        } else {
            declarations.push(declaration);
        }
    }
    shared_features.sort();
    shared_features.dedup();
    all_features.sort();
    all_features.dedup();
    if !shared_declarations.is_empty() {
        files.push((
            "src/models/imported/shared/mod.rs".to_owned(),
            Output::Rust(quote! {
                //! The imported models several imported resources use: one file each, compiled with the features of
                //! the resources that use it.
                #(#shared_declarations)*
            }),
        ));
        let cfg = any_feature(&shared_features);
        declarations.push(quote! {
            #cfg
            mod shared;
            #cfg
            pub use shared::*;
        });
    }
    files.push((
        "src/models/imported/mod.rs".to_owned(),
        Output::Rust(quote! {
            //! The models of the imported tier: Halo's swagger as it is, not curated, and outside the crate's semver
            //! promise (the crate's README, "The imported tier"). Each is compiled only with the `unstable-*`
            //! features of the resources that use it.
            #(#declarations)*
        }),
    ));
    (files, all_features)
}

/// `#[cfg(feature = "x")]`, or `#[cfg(any(feature = "x", ...))]` for several.
fn any_feature(features: &[String]) -> TokenStream {
    match features {
        [feature] => quote!(#[cfg(feature = #feature)]),
        features => quote!(#[cfg(any(#(feature = #features),*))]),
    }
}

/// A name without a leading `r#` (the file of `mod r#type;` is `type.rs`).
fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// The module (file) of `models/` (or of `models/imported/` and `models/imported/shared/`, for the imported tier)
/// a type is defined in.
fn file(owner: &Owner) -> &str {
    match owner {
        Owner::Shared(_) => "shared",
        Owner::Resource(module) => module,
        Owner::Imported { file, .. } => file,
    }
}

/// The `cfg` of one shared model: any of the features that need it. (A resource's own models, and each shared
/// imported model, are gated as a module.)
fn item_cfg(owner: &Owner) -> TokenStream {
    match owner {
        Owner::Shared(features) => any_feature(features),
        Owner::Resource(_) | Owner::Imported { .. } => quote!(),
    }
}

/// The named types a type refers to.
fn references(def: &TypeDef) -> Vec<TypeId> {
    let mut out = Vec::new();
    match &def.kind {
        TypeKind::Struct(s) => s.fields.iter().for_each(|f| f.ty.collect_named(&mut out)),
        TypeKind::Alias(ty) => ty.collect_named(&mut out),
        TypeKind::Enum(_) => {}
    }
    out
}

fn type_docs(def: &TypeDef) -> TokenStream {
    let mut lines = for_docs_rs(&def.docs);
    if lines.is_empty() {
        lines.push(format!("The `{}` schema.", def.wire_name));
    }
    if let Some(halo) = &def.halo_name
        && halo != &def.rust_name
    {
        lines.push(String::new());
        lines.push(format!("Halo's internal name for this schema is `{halo}`."));
    }
    if def.imported {
        lines.push(String::new());
        lines.push(IMPORTED_LABEL.to_owned());
    }
    doc_attrs(&lines)
}

/// Every item of a type, each behind `cfg`.
fn type_def(api: &Api, def: &TypeDef, cfg: &TokenStream) -> TokenStream {
    match &def.kind {
        TypeKind::Struct(s) => structure(api, def, s, cfg),
        TypeKind::Enum(e) => enumeration(def, e, cfg),
        TypeKind::Alias(ty) => {
            let docs = type_docs(def);
            let name = ident(&def.rust_name);
            let ty = ty_tokens(api, ty, &quote!());
            quote! {
                #docs
                #cfg
                pub type #name = #ty;
            }
        }
    }
}

fn structure(api: &Api, def: &TypeDef, s: &Struct, cfg: &TokenStream) -> TokenStream {
    let docs = type_docs(def);
    let name = ident(&def.rust_name);
    let fields = s.fields.iter().map(|field| {
        let mut lines = for_docs_rs(&field.docs);
        if lines.is_empty() {
            lines.push(format!("`{}`.", field.wire_name));
        }
        let docs = doc_attrs(&lines);
        let field_name = ident(&field.rust_name);
        let mut ty = ty_tokens(api, &field.ty, &quote!());
        if field.boxed {
            ty = quote!(Box<#ty>);
        }
        if field.optional {
            ty = quote!(Option<#ty>);
        }
        quote! {
            #docs
            pub #field_name: #ty,
        }
    });
    let extra = ident(&s.extra_field);
    let kept = ident(&s.kept_field);
    let field_enum = field_enum(def, s, cfg);
    let model_impl = model_impl(def, s, cfg);
    let list_impl = s.list.as_ref().map(|list| list_page(api, def, s, list, cfg));
    let custom_fields = s.custom_fields.as_ref().map(|custom| custom_field_methods(def, s, custom, cfg));
    let custom_field_entry = s.custom_field_entry.as_ref().map(|entry| custom_field_entry(def, s, entry, cfg));
    quote! {
        #docs
        #cfg
        #[derive(Clone, Default)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            /// Fields Halo sent that the spec does not describe, sent back unchanged.
            pub #extra: serde_json::Map<String, serde_json::Value>,
            #kept: crate::runtime::model::Kept,
        }
        #field_enum
        #model_impl
        #list_impl
        #custom_fields
        #custom_field_entry
    }
}

/// The enum naming the fields of a model (`AgentField::Sms`), which `clear` and `raw` take: one variant per field,
/// its discriminant the field's index, its doc the wire name.
fn field_enum(def: &TypeDef, s: &Struct, cfg: &TokenStream) -> TokenStream {
    let model = &def.rust_name;
    let name = ident(&s.field_enum);
    let docs = doc_attrs(&[
        format!("The fields of [`{model}`], to name one in [`{model}::clear`] (send it as `null`) and"),
        format!("[`{model}::raw`] (the value Halo sent when it was not of the field's type). `Debug` shows the"),
        "wire name.".to_owned(),
    ]);
    let variants = s.fields.iter().map(|field| {
        let variant = ident(&field.variant_name);
        let doc = format!(" `{}`.", field.wire_name);
        quote! {
            #[doc = #doc]
            #variant,
        }
    });
    // A variant's discriminant is its field's index, which a field added in the middle of a model changes. The hidden
    // `#[non_exhaustive]` variant (last, never constructed) makes the enum impossible to cast with `as` outside the
    // crate, so the discriminants are not part of the public API (a field added in a minor version is not a breaking
    // change; `xtask/tests/semver_agreement.rs`). No `PartialOrd`/`Ord`: the order of fields means nothing.
    quote! {
        #docs
        #cfg
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            #[doc(hidden)]
            #[non_exhaustive]
            __NotAField,
        }
    }
}

/// The model's part of `runtime::model`: its wire names, one line per field for the visitors and one `match` arm
/// per field for decoding and clearing; `impls!` adds `clear`, `raw`, serde, `Debug` and `PartialEq` through the
/// runtime's generic functions (BENCHMARKS.md, "Lean models": derived or per-field code was most of the crate's
/// check time).
fn model_impl(def: &TypeDef, s: &Struct, cfg: &TokenStream) -> TokenStream {
    let name = ident(&def.rust_name);
    let model_name = &def.rust_name;
    let wire_names = s.fields.iter().map(|field| &field.wire_name);
    // The indices sorted by wire name (byte order): `runtime::model` finds a key by binary search.
    let mut sorted: Vec<usize> = (0..s.fields.len()).collect();
    sorted.sort_by(|a, b| s.fields[*a].wire_name.cmp(&s.fields[*b].wire_name));
    let sorted = sorted.into_iter().map(|index| proc_macro2::Literal::u16_unsuffixed(index as u16));
    let visits = s.fields.iter().map(|field| {
        let field_name = ident(&field.rust_name);
        if field.optional { quote!(v.f(&self.#field_name);) } else { quote!(v.req(&self.#field_name);) }
    });
    let arms = s.fields.iter().enumerate().map(|(index, field)| {
        let field_name = ident(&field.rust_name);
        let index = proc_macro2::Literal::usize_unsuffixed(index);
        if field.optional {
            quote!(#index => o.f(&mut self.#field_name),)
        } else {
            quote!(#index => o.req(&mut self.#field_name),)
        }
    });
    let field_enum = ident(&s.field_enum);
    let extra = ident(&s.extra_field);
    let kept = ident(&s.kept_field);
    quote! {
        #cfg
        impl crate::runtime::model::Model for #name {
            const NAME: &'static str = #model_name;
            const FIELDS: &'static [&'static str] = &[#(#wire_names),*];
            const SORTED: &'static [u16] = &[#(#sorted),*];
            fn fields<'a, V: crate::runtime::model::Visit<'a>>(&'a self, v: &mut V) {
                #(#visits)*
            }
            fn field_mut<O: crate::runtime::model::FieldOp>(&mut self, index: usize, o: &mut O) -> Result<(), O::Error> {
                match index {
                    #(#arms)*
                    _ => Ok(()),
                }
            }
        }
        #cfg
        crate::runtime::model::impls!(#name, #field_enum, #extra, #kept);
    }
}

/// `custom_field(key)` and `custom_fields_update(changes)` on a model with Halo's custom fields; the work is done
/// once in `runtime::custom_fields`.
fn custom_field_methods(def: &TypeDef, s: &Struct, custom: &CustomFields, cfg: &TokenStream) -> TokenStream {
    let name = ident(&def.rust_name);
    let field = &s.fields[custom.field];
    let field_name = ident(&field.rust_name);
    let wire = &field.wire_name;
    let read = ident(&custom.read_method);
    let update = ident(&custom.update_method);
    let read_docs = doc_attrs(&[
        format!(
            "The custom field `key` names, by its name (`\"CFEmployeeNumber\"`) or its id (`141`), among the `{wire}`"
        ),
        "this record came with; `None` if it has no such field. Read the value with the typed accessors of".to_owned(),
        "[`CustomFieldValue`](crate::CustomFieldValue) (`as_str`, `as_i64`, `as_bool`, ...).".to_owned(),
    ]);
    let update_docs = doc_attrs(&[
        "An update that sets the custom fields `changes` name and keeps all the others: a model with only".to_owned(),
        format!("`{wire}` set, to the whole array this record came with, the changed entries' values replaced"),
        "(an entry the record lacks is added with the key given). Send it with `update(id, ..)`, after assigning"
            .to_owned(),
        "other fields if needed.".to_owned(),
        String::new(),
        format!("Halo replaces a record's whole `{wire}` array on an update and blanks every entry left out"),
        "(HaloAPI issue #13), so the array must come from a fresh read of the record: read it by id right before"
            .to_owned(),
        "the update. Halo has no conditional update, so a change another client makes to another custom field"
            .to_owned(),
        "between that read and this update is overwritten with the value read (the last writer wins).".to_owned(),
        String::new(),
        format!("An error (`ErrorKind::InvalidRequest`) if the record came without `{wire}` (a list row, say):"),
        "sending the changes alone would blank the other fields.".to_owned(),
    ]);
    quote! {
        #cfg
        impl #name {
            #read_docs
            pub fn #read<'k>(&self, key: impl Into<crate::CustomFieldKey<'k>>) -> Option<crate::CustomFieldValue<'_>> {
                crate::runtime::custom_fields::find(self.#field_name.as_deref(), key.into())
            }
            #update_docs
            pub fn #update<'k, K, V>(&self, changes: impl IntoIterator<Item = (K, V)>) -> crate::Result<Self>
            where
                K: Into<crate::CustomFieldKey<'k>>,
                V: Into<serde_json::Value>,
            {
                let changes = changes.into_iter().map(|(key, value)| (key.into(), value.into()));
                let merged = crate::runtime::custom_fields::merged(self.#field_name.as_deref(), changes)?;
                Ok(Self { #field_name: Some(merged), ..Self::default() })
            }
        }
    }
}

/// What `runtime::custom_fields` needs of a custom-field entry model.
fn custom_field_entry(def: &TypeDef, s: &Struct, entry: &CustomFieldEntry, cfg: &TokenStream) -> TokenStream {
    let name = ident(&def.rust_name);
    let field = |index: usize| ident(&s.fields[index].rust_name);
    let (id, entry_name, value) = (field(entry.id), field(entry.name), field(entry.value));
    let (get_id, set_id) = match s.fields[entry.id].ty {
        Ty::I32 => (quote!(self.#id.map(i64::from)), quote!(self.#id = i32::try_from(id).ok();)),
        _ => (quote!(self.#id), quote!(self.#id = Some(id);)),
    };
    let display = match entry.display {
        Some(index) => {
            let display = field(index);
            quote!(self.#display.as_deref())
        }
        None => quote!(None),
    };
    quote! {
        #cfg
        impl crate::runtime::custom_fields::Entry for #name {
            fn id(&self) -> Option<i64> {
                #get_id
            }
            fn name(&self) -> Option<&str> {
                self.#entry_name.as_deref()
            }
            fn value(&self) -> Option<&serde_json::Value> {
                self.#value.as_ref()
            }
            fn display(&self) -> Option<&str> {
                #display
            }
            fn set_value(&mut self, value: serde_json::Value) {
                self.#value = Some(value);
            }
            fn set_id(&mut self, id: i64) {
                #set_id
            }
            fn set_name(&mut self, name: &str) {
                self.#entry_name = Some(name.to_owned());
            }
        }
    }
}

fn list_page(api: &Api, def: &TypeDef, s: &Struct, list: &ListWrapper, cfg: &TokenStream) -> TokenStream {
    let name = ident(&def.rust_name);
    let item = ident(&api.ty(list.item).rust_name);
    let items = ident(&s.fields[list.items_field].rust_name);
    let record_count = match list.record_count_field.map(|index| &s.fields[index]) {
        Some(field) if matches!(field.ty, Ty::I32 | Ty::I64) => {
            let count = ident(&field.rust_name);
            if field.optional {
                quote!(self.#count.and_then(|count| u64::try_from(count).ok()))
            } else {
                quote!(u64::try_from(self.#count).ok())
            }
        }
        _ => quote!(None),
    };
    // Records are recognised by their key (`x-halo-key`, else an integer or string `id`), so that a listing yields
    // each once and reports two different records under one key.
    let key_fields: Vec<&Field> = match &api.ty(list.item).kind {
        TypeKind::Struct(item) => match &item.key {
            Some(key) => key.iter().map(|index| &item.fields[*index]).collect(),
            None => item
                .fields
                .iter()
                .filter(|f| f.wire_name == "id" && matches!(f.ty, Ty::I32 | Ty::I64 | Ty::String) && !f.boxed)
                .take(1)
                .collect(),
        },
        _ => Vec::new(),
    };
    // A list key `items` (Halo's items) would make `items: items`, which clippy refuses: write the shorthand then.
    let from_items = if s.fields[list.items_field].rust_name == "items" {
        quote!(Self { items, ..Self::default() })
    } else {
        quote!(Self { #items: items, ..Self::default() })
    };
    let key_names = key_fields.iter().map(|f| f.wire_name.as_str());
    let key_values: Vec<TokenStream> = key_fields
        .iter()
        .map(|f| {
            let field = ident(&f.rust_name);
            quote!(&item.#field)
        })
        .collect();
    let item_key = match key_values.as_slice() {
        [] => quote!(fn item_key(_: &#item) -> Option<crate::runtime::RecordKey> { None }),
        [one] => quote!(fn item_key(item: &#item) -> Option<crate::runtime::RecordKey> {
            crate::runtime::RecordKey::of(#one)
        }),
        several => quote!(fn item_key(item: &#item) -> Option<crate::runtime::RecordKey> {
            crate::runtime::RecordKey::of((#(#several),*))
        }),
    };
    quote! {
        #cfg
        impl crate::runtime::ListPage for #name {
            type Item = #item;
            fn from_items(items: Vec<#item>) -> Self {
                #from_items
            }
            fn record_count(&self) -> Option<u64> {
                #record_count
            }
            fn items(&self) -> &[#item] {
                &self.#items
            }
            fn items_mut(&mut self) -> &mut Vec<#item> {
                &mut self.#items
            }
            const KEY: &'static [&'static str] = &[#(#key_names),*];
            #item_key
            fn into_items(self) -> Vec<#item> {
                self.#items
            }
        }
    }
}

fn enumeration(def: &TypeDef, e: &Enum, cfg: &TokenStream) -> TokenStream {
    let docs = type_docs(def);
    let name = ident(&def.rust_name);
    let unknown = ident(&e.fallback_variant);
    let variants = e.variants.iter().map(|variant| {
        let variant_name = ident(&variant.rust_name);
        let wire = match &variant.value {
            EnumValue::String(text) => format!("`{text}`"),
            EnumValue::Integer(n) => format!("`{n}`"),
        };
        // `` `opps`: opportunities. `` where the spec says what a value means, `` `opps`. `` where it does not.
        let mut lines = variant.docs.clone();
        match lines.first_mut() {
            Some(first) => *first = format!("{wire}: {first}"),
            None => lines.push(format!("{wire}.")),
        }
        let docs = doc_attrs(&lines);
        quote! {
            #docs
            #variant_name,
        }
    });
    let (wire_ty, as_fn, other_as, impls) = match e.repr {
        EnumRepr::String => (quote!(String), quote!(as_str), quote!(as_str), quote!(string_enum)),
        EnumRepr::Integer => (quote!(i64), quote!(as_i64), quote!(as_i64), quote!(integer_enum)),
    };
    let to_wire = e.variants.iter().map(|variant| {
        let variant_name = ident(&variant.rust_name);
        match &variant.value {
            EnumValue::String(text) => quote!(Self::#variant_name => #text,),
            EnumValue::Integer(n) => quote!(Self::#variant_name => #n,),
        }
    });
    let from_wire = e.variants.iter().map(|variant| {
        let variant_name = ident(&variant.rust_name);
        match &variant.value {
            EnumValue::String(text) => quote!(#text => Self::#variant_name,),
            EnumValue::Integer(n) => quote!(#n => Self::#variant_name,),
        }
    });
    let (return_ty, match_on) = match e.repr {
        EnumRepr::String => (quote!(&str), quote!(value.as_str())),
        EnumRepr::Integer => (quote!(i64), quote!(value)),
    };
    quote! {
        #docs
        #cfg
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value the spec does not list, as Halo sent it or as given to `From`, which turns a listed value
            /// into its own variant: so this never holds a listed value.
            #unknown(crate::OtherValue<#wire_ty>),
        }
        #cfg
        impl #name {
            /// The value as sent on the wire.
            pub fn #as_fn(&self) -> #return_ty {
                match self {
                    #(#to_wire)*
                    Self::#unknown(value) => value.#other_as(),
                }
            }
        }
        #cfg
        impl From<#wire_ty> for #name {
            fn from(value: #wire_ty) -> Self {
                match #match_on {
                    #(#from_wire)*
                    _ => Self::#unknown(crate::OtherValue(value)),
                }
            }
        }
        #cfg
        crate::runtime::model::#impls!(#name);
    }
}

/// Doc lines as a docs.rs reader sees them, who has the crate and not the repository: a citation of a repository
/// file (`spec/README.md`, the project's `HALO-NOTES`) becomes a link into the crate's own docs where they say the
/// same (`models`' sections), or is dropped where the sentence stands without it.
fn for_docs_rs(lines: &[String]) -> Vec<String> {
    const REWRITES: &[(&str, &str)] = &[
        (
            "(see spec/README.md, \"Depth of the models\")",
            "(see [the depth of the models](crate::models#depth-of-the-models))",
        ),
        ("(as it does custom fields, spec/README.md)", "(as it does [custom fields](crate::models#custom-fields))"),
        (" (HALO-NOTES.md, \"Auth\"; HaloAPI reads these two fields)", " (HaloAPI reads these two fields)"),
        (" (HALO-NOTES, observed on a live tenant)", " (observed on a live tenant)"),
        ("(Halo's `_`-prefixed fields, HALO-NOTES)", "(Halo's `_`-prefixed fields)"),
    ];
    lines.iter().map(|line| REWRITES.iter().fold(line.clone(), |line, (from, to)| line.replace(from, to))).collect()
}
