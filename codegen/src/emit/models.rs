//! Models: one file per owning resource (`models/agents.rs`) plus `models/shared.rs`, and `models/mod.rs`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{Output, doc_attrs, ident, ty_tokens};
use crate::ir::*;

pub(super) fn files(api: &Api) -> Vec<(String, Output)> {
    // File → its types, sorted by Rust name so output order never depends on spec order.
    let mut by_file: BTreeMap<&str, Vec<&TypeDef>> = BTreeMap::new();
    for def in api.types.values() {
        by_file.entry(file(&def.owner)).or_default().push(def);
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
    files.push((
        "src/models/mod.rs".to_owned(),
        Output::Rust(quote! {
            //! The data types of the API: one struct per schema of the spec, with unknown fields kept.
            //!
            //! Every field is optional and omitted from the JSON when `None`, so an update sends only what you set
            //! (Halo blanks fields it is sent as `null`). Fields the spec does not describe are kept in `extra` and sent
            //! back unchanged, so a GET → change → POST round trip loses nothing.
            //!
            //! Models and enums are `#[non_exhaustive]`, so a property or value Halo adds is not a breaking change.
            //! Build a model from its `Default` with one chainable setter per field,
            //! `Agent::default().with_isdisabled(true)`, or assign its public fields; read fields directly. Match an
            //! enum with a `_` arm (a value the spec does not list arrives as its `Other` variant, which keeps it).
            #(#declarations)*
        }),
    ));
    files
}

/// The module (file) of `models/` a type is defined in.
fn file(owner: &Owner) -> &str {
    match owner {
        Owner::Shared(_) => "shared",
        Owner::Resource(module) => module,
    }
}

/// The `cfg` of one shared model: any of the features that need it. (A resource's own models are gated as a module.)
fn item_cfg(owner: &Owner) -> TokenStream {
    match owner {
        Owner::Shared(features) if features.len() == 1 => {
            let feature = &features[0];
            quote!(#[cfg(feature = #feature)])
        }
        Owner::Shared(features) => quote!(#[cfg(any(#(feature = #features),*))]),
        Owner::Resource(_) => quote!(),
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
    let mut lines = def.docs.clone();
    if lines.is_empty() {
        lines.push(format!("The `{}` schema.", def.wire_name));
    }
    if let Some(halo) = &def.halo_name
        && halo != &def.rust_name
    {
        lines.push(String::new());
        lines.push(format!("Halo's internal name for this schema is `{halo}`."));
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
        let mut lines = field.docs.clone();
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
    let setters = setters(api, def, s, cfg);
    let serde_impls = serde_impls(def, s, cfg);
    let list_impl = s.list.as_ref().map(|list| list_page(api, def, s, list, cfg));
    let custom_fields = s.custom_fields.as_ref().map(|custom| custom_field_methods(def, s, custom, cfg));
    let custom_field_entry = s.custom_field_entry.as_ref().map(|entry| custom_field_entry(def, s, entry, cfg));
    quote! {
        #docs
        #cfg
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            /// Fields Halo sent that the spec does not describe, sent back unchanged.
            pub #extra: serde_json::Map<String, serde_json::Value>,
        }
        #setters
        #serde_impls
        #list_impl
        #custom_fields
        #custom_field_entry
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
        "(an entry the record lacks is added with the key given). Send it with `update(id, ..)`, chained with other"
            .to_owned(),
        "setters if needed.".to_owned(),
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

/// One chainable setter per field (`Agent::default().with_isdisabled(true)`): the struct is `#[non_exhaustive]`
/// (so that a property Halo adds is not a breaking change), which forbids struct expressions outside the crate.
/// `#[inline]` keeps thousands of unused setters out of the crate's own code generation.
fn setters(api: &Api, def: &TypeDef, s: &Struct, cfg: &TokenStream) -> TokenStream {
    let name = ident(&def.rust_name);
    let extra = ident(&s.extra_field);
    let clears = s.fields.iter().filter_map(|field| {
        let clear = ident(field.clear_name.as_ref()?);
        let field_name = ident(&field.rust_name);
        let wire = &field.wire_name;
        let docs = doc_attrs(&[
            format!("Sends `{wire}` as `null`, which makes Halo blank it: sets the field to `None` and records the"),
            format!("null in `{}` (a value set afterwards is sent instead).", s.extra_field),
        ]);
        Some(quote! {
            #docs
            #[inline]
            #[must_use]
            pub fn #clear(mut self) -> Self {
                self.#field_name = None;
                self.#extra.insert(#wire.to_owned(), serde_json::Value::Null);
                self
            }
        })
    });
    let setters = s.fields.iter().map(|field| {
        let field_name = ident(&field.rust_name);
        let setter = ident(&field.setter_name);
        let doc = format!(" Sets `{}` and returns the model, to build it in one expression.", field.wire_name);
        let (param, mut value) = match &field.ty {
            Ty::String if !field.boxed => (quote!(impl Into<String>), quote!(value.into())),
            Ty::DateTime if !field.boxed => (quote!(impl Into<crate::DateTime>), quote!(value.into())),
            ty => (ty_tokens(api, ty, &quote!()), quote!(value)),
        };
        if field.boxed {
            value = quote!(Box::new(#value));
        }
        if field.optional {
            value = quote!(Some(#value));
        }
        quote! {
            #[doc = #doc]
            #[inline]
            #[must_use]
            pub fn #setter(mut self, value: #param) -> Self {
                self.#field_name = #value;
                self
            }
        }
    });
    quote! {
        #cfg
        impl #name {
            #(#setters)*
            #(#clears)*
        }
    }
}

/// `Serialize` and `Deserialize` through `runtime::model` rather than serde's derive, whose `#[serde(flatten)]`
/// code for wide structs made a release build take half an hour (BENCHMARKS.md). The JSON is the same: fields in
/// declaration order by wire name, `None` omitted, then `extra`; a missing field keeps its default.
fn serde_impls(def: &TypeDef, s: &Struct, cfg: &TokenStream) -> TokenStream {
    let name = ident(&def.rust_name);
    let extra = ident(&s.extra_field);
    let expecting = format!("struct {}", def.rust_name);
    let serialize = s.fields.iter().map(|field| {
        let field_name = ident(&field.rust_name);
        let wire = &field.wire_name;
        if field.optional {
            quote!(model::opt_entry(&mut map, #wire, &self.#field_name, &self.#extra)?;)
        } else {
            quote!(model::entry(&mut map, #wire, &self.#field_name)?;)
        }
    });
    // Sorted by wire name (byte order): `runtime::model` finds a key by binary search, and its index is the arm.
    let mut sorted: Vec<&Field> = s.fields.iter().collect();
    sorted.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));
    let wire_names = sorted.iter().map(|field| &field.wire_name);
    let arms = sorted.iter().enumerate().map(|(index, field)| {
        let field_name = ident(&field.rust_name);
        let decode = field_decoder(field);
        let index = proc_macro2::Literal::usize_unsuffixed(index);
        quote!(#index => self.#field_name = model::#decode(map)?,)
    });
    let decode_field = if s.fields.is_empty() {
        quote!(let _ = (index, map);)
    } else if s.fields.len() == 1 {
        // A one-armed `match` is clippy's `single_match`.
        let field_name = ident(&s.fields[0].rust_name);
        let decode = field_decoder(&s.fields[0]);
        quote! {
            if index == 0 {
                self.#field_name = crate::runtime::model::#decode(map)?;
            }
        }
    } else {
        quote! {
            use crate::runtime::model;
            match index {
                #(#arms)*
                _ => {}
            }
        }
    };
    quote! {
        #cfg
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use crate::runtime::model;
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                #(#serialize)*
                model::extra(&mut map, &self.#extra, <Self as model::Model>::FIELDS)?;
                map.end()
            }
        }
        #cfg
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::runtime::model::deserialize(deserializer)
            }
        }
        #cfg
        impl crate::runtime::model::Model for #name {
            const EXPECTING: &'static str = #expecting;
            const FIELDS: &'static [&'static str] = &[#(#wire_names),*];
            fn decode_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                index: usize,
                map: &mut A,
            ) -> Result<(), A::Error> {
                #decode_field
                Ok(())
            }
            fn extra_mut(&mut self) -> &mut serde_json::Map<String, serde_json::Value> {
                &mut self.#extra
            }
        }
    }
}

/// The `runtime::model` function that decodes a field. Halo sends ids as `21.0` or `"21"` and flags as `"true"` or
/// `1` at times: optional numbers and booleans decode leniently.
fn field_decoder(field: &Field) -> TokenStream {
    match (&field.ty, field.optional && !field.boxed) {
        (Ty::Bool, true) => quote!(opt_bool),
        (Ty::I32, true) => quote!(opt_i32),
        (Ty::I64, true) => quote!(opt_i64),
        (Ty::F64, true) => quote!(opt_f64),
        _ => quote!(value),
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
    // Records are recognised by id, so that a listing yields each once.
    let item_def = api.ty(list.item);
    let id_field = match &item_def.kind {
        TypeKind::Struct(item) => {
            item.fields.iter().find(|f| f.wire_name == "id" && matches!(f.ty, Ty::I32 | Ty::I64) && !f.boxed)
        }
        _ => None,
    };
    // A list key `items` (Halo's items) would make `items: items`, which clippy refuses: write the shorthand then.
    let from_items = if s.fields[list.items_field].rust_name == "items" {
        quote!(Self { items, ..Self::default() })
    } else {
        quote!(Self { #items: items, ..Self::default() })
    };
    let item_id = match id_field {
        Some(field) => {
            let id = ident(&field.rust_name);
            let value =
                if field.optional { quote!(item.#id.map(i64::from)) } else { quote!(Some(i64::from(item.#id))) };
            quote!(fn item_id(item: &#item) -> Option<i64> { #value })
        }
        None => quote!(fn item_id(_: &#item) -> Option<i64> { None }),
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
            #item_id
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
    let variants = e.variants.iter().enumerate().map(|(index, variant)| {
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
        let default = if index == 0 { quote!(#[default]) } else { quote!() };
        quote! {
            #docs
            #default
            #variant_name,
        }
    });
    let (wire_ty, as_fn, as_doc, serialize) = match e.repr {
        EnumRepr::String => {
            (quote!(String), quote!(as_str), " The value as sent on the wire.", quote!(serialize_str(self.as_str())))
        }
        EnumRepr::Integer => {
            (quote!(i64), quote!(as_i64), " The value as sent on the wire.", quote!(serialize_i64(self.as_i64())))
        }
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
    let (return_ty, unknown_arm, match_on) = match e.repr {
        EnumRepr::String => (quote!(&str), quote!(Self::#unknown(value) => value,), quote!(value.as_str())),
        EnumRepr::Integer => (quote!(i64), quote!(Self::#unknown(value) => *value,), quote!(value)),
    };
    let derive_default = if e.variants.is_empty() { quote!() } else { quote!(Default,) };
    // A string enum is also made from a `&str`, so a setter taking `impl Into<Enum>` takes `"opps"` as well.
    let from_str = (e.repr == EnumRepr::String).then(|| {
        quote! {
            #cfg
            impl From<&str> for #name {
                fn from(value: &str) -> Self {
                    Self::from(value.to_owned())
                }
            }
        }
    });
    quote! {
        #docs
        #cfg
        #[derive(Debug, Clone, PartialEq, Eq, Hash, #derive_default)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value the spec does not list, kept as received or sent as given.
            #unknown(#wire_ty),
        }
        #cfg
        impl #name {
            #[doc = #as_doc]
            pub fn #as_fn(&self) -> #return_ty {
                match self {
                    #(#to_wire)*
                    #unknown_arm
                }
            }
        }
        #cfg
        impl From<#wire_ty> for #name {
            fn from(value: #wire_ty) -> Self {
                match #match_on {
                    #(#from_wire)*
                    _ => Self::#unknown(value),
                }
            }
        }
        #from_str
        #cfg
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.#serialize
            }
        }
        #cfg
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <#wire_ty as serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    }
}
