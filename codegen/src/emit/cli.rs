//! The `halo` command line's generated part (`cli/src/generated/`): per resource, a table of its operations, their
//! arguments and flags (data), and per operation one function that calls the crate's typed request builder.
//!
//! What is the same for every flag of a type (its clap argument, how its value is read, how a field goes into the
//! record sent) is written once in the CLI's hand-written core (`cli/src/table.rs`, `cli/src/input.rs`), so a flag
//! costs a line of data and, for a query parameter, one match arm calling its setter: the compiler checks every
//! setter, argument and model against the crate, and the command line cannot drift from it.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{Output, ident};
use crate::ir::*;

/// The files, relative to `cli/src/generated/`.
pub(super) fn files(api: &Api) -> Vec<(String, Output)> {
    let tables = FieldTables::new(api);
    let mut files =
        vec![("mod.rs".to_owned(), Output::Rust(mod_rs(api))), ("fields.rs".to_owned(), Output::Rust(tables.file()))];
    for resource in &api.resources {
        files.push((format!("{}.rs", resource.module), Output::Rust(resource_file(api, resource, &tables))));
    }
    files
}

/// The field flags of the records `create`/`update` send, one table per distinct list, shared by every operation
/// and resource that sends it (Halo's tickets, projects and opportunities are all `Ticket`s: one table of its
/// hundreds of fields, not one per resource). A table is named after its model (`TICKET`), with the collision
/// rule's suffix when the same model's flags differ between commands (`TICKET_2`).
struct FieldTables {
    /// The table's name by its flags (flag, field index) and model.
    names: BTreeMap<(String, Vec<(String, usize)>), String>,
    /// The tables in the order they were first met, with the operation that defines each.
    tables: Vec<TokenStream>,
}

impl FieldTables {
    fn new(api: &Api) -> Self {
        let mut names: BTreeMap<(String, Vec<(String, usize)>), String> = BTreeMap::new();
        let mut tables = Vec::new();
        let mut taken: BTreeMap<String, usize> = BTreeMap::new();
        for op in api.resources.iter().flat_map(|resource| &resource.operations) {
            let (Some(model), false) = (body_model(api, op), op.cli.body_flags.is_empty()) else { continue };
            let key = (model.to_owned(), op.cli.body_flags.iter().map(|f| (f.flag.clone(), f.field)).collect());
            if names.contains_key(&key) {
                continue;
            }
            let base = model.trim_start_matches("r#").to_ascii_uppercase();
            let count = taken.entry(base.clone()).or_insert(0);
            *count += 1;
            let name = if *count == 1 { base } else { format!("{base}_{count}") };
            tables.push(field_table(api, op, &name));
            names.insert(key, name);
        }
        FieldTables { names, tables }
    }

    /// The table an operation's field flags are in, if it has any.
    fn of(&self, api: &Api, op: &Operation) -> Option<&str> {
        let model = body_model(api, op)?;
        let key = (model.to_owned(), op.cli.body_flags.iter().map(|f| (f.flag.clone(), f.field)).collect());
        self.names.get(&key).map(String::as_str)
    }

    fn file(&self) -> TokenStream {
        let tables = &self.tables;
        quote! {
            //! The field flags of the records `create` and `update` send, one table per model (and per distinct
            //! list of flags), shared by every resource that sends that model.
            use crate::table::{Flag, Kind};
            #(#tables)*
        }
    }
}

fn mod_rs(api: &Api) -> TokenStream {
    let modules = api.resources.iter().map(|resource| {
        let name = ident(&resource.module);
        quote! {
            #[rustfmt::skip]
            mod #name;
        }
    });
    let statics = api.resources.iter().map(|resource| {
        let name = ident(&resource.module);
        quote!(&#name::RESOURCE)
    });
    quote! {
        //! The API as `halo` sees it, one module per resource of the spec: its operations' arguments and flags as data
        //! (`crate::table`), and per operation a function that builds the request with the `halopsa` crate's typed
        //! request builder.
        #[rustfmt::skip]
        mod fields;
        #(#modules)*
        use crate::table::Resource;
        /// Every resource, sorted by command.
        pub static RESOURCES: &[&Resource] = &[#(#statics),*];
    }
}

fn resource_file(api: &Api, resource: &Resource, field_tables: &FieldTables) -> TokenStream {
    let module_doc =
        format!(" `halo {}`: the {} resource (`client.{}()`).", resource.cli_command, resource.tag, resource.module);
    let command = &resource.cli_command;
    let about = resource.docs.first().cloned().unwrap_or_else(|| format!("The {} resource", resource.tag));
    let about = about.trim_end_matches('.').to_owned();
    let mut operations = Vec::new();
    let mut functions = Vec::new();
    for op in &resource.operations {
        operations.push(operation_entry(api, resource, op, field_tables.of(api, op)));
        functions.push(run_function(api, resource, op));
    }
    quote! {
        #![doc = #module_doc]
        // Which of the table's types and the core's a resource needs depends on its operations.
        #![allow(unused_imports)]
        use halopsa::Client;
        use crate::input::{Action, Failure, Input};
        use crate::table::{Answer, Body, Flag, Kind, Operation, Positional, Resource};
        pub static RESOURCE: Resource = Resource {
            command: #command,
            about: #about,
            operations: &[#(#operations),*],
        };
        #(#functions)*
    }
}

fn http_method(op: &Operation) -> &'static str {
    match op.http_method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Delete => "DELETE",
    }
}

/// The item type of an operation's body, when it is a named model.
fn body_model<'a>(api: &'a Api, op: &Operation) -> Option<&'a str> {
    match &op.body {
        Some(Body { ty: Ty::Named(id), .. }) => Some(api.ty(*id).rust_name.as_str()),
        _ => None,
    }
}

/// The one line of help, and the long help, of an operation: the spec's summary and description, or for the four
/// methods of Halo's create-or-update what each does on the command line; then `METHOD /path` and the scopes.
fn operation_docs(api: &Api, op: &Operation) -> (String, String) {
    let model = body_model(api, op).unwrap_or("record");
    let (about, mut lines) = match &op.upsert {
        Some(upsert) => {
            let about = match (upsert.role, upsert.many) {
                (UpsertRole::Create, false) => {
                    format!("Creates one {model} from --json and the field flags, and prints the record Halo saved")
                }
                (UpsertRole::Create, true) => {
                    format!(
                        "Creates several {model} records from a --json array in one request, and prints the records Halo saved"
                    )
                }
                (UpsertRole::Update, false) => format!(
                    "Updates the {model} that ID names with the fields --json and the field flags set (Halo keeps the others), and prints the record Halo saved"
                ),
                (UpsertRole::Update, true) => format!(
                    "Updates several {model} records from a --json array in one request, each with its id, and prints the records Halo saved"
                ),
            };
            let rule = match upsert.role {
                UpsertRole::Create => {
                    "A record with an id is refused (Halo would update that record): `update` changes records."
                }
                UpsertRole::Update => {
                    "The id is the argument, so an update without one cannot create a record instead; only the fields given are sent."
                }
            };
            (about.clone(), vec![format!("{about}."), String::new(), rule.to_owned()])
        }
        None => {
            let mut lines = op.summary.clone();
            if !op.description.is_empty() {
                lines.push(String::new());
                lines.extend(op.description.iter().cloned());
            }
            let about = op.summary.first().cloned().unwrap_or_else(|| format!("{} {}", http_method(op), op.path));
            (about.trim_end_matches('.').to_owned(), lines)
        }
    };
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!("{} {}", http_method(op), op.path));
    if !op.scopes.is_empty() {
        lines.push(format!("Scopes: {} (any one)", op.scopes.join(", ")));
    }
    (about, lines.join("\n"))
}

fn kind_of_param(api: &Api, ty: ParamTy) -> TokenStream {
    match ty {
        ParamTy::Bool => quote!(Kind::Bool),
        ParamTy::I32 => quote!(Kind::I32),
        ParamTy::I64 => quote!(Kind::I64),
        ParamTy::F64 => quote!(Kind::F64),
        ParamTy::String => quote!(Kind::Text),
        ParamTy::DateTime => quote!(Kind::Date),
        ParamTy::ListI32 => quote!(Kind::I32s),
        ParamTy::ListI64 => quote!(Kind::I64s),
        ParamTy::ListString => quote!(Kind::Texts),
        ParamTy::Enum(id) => {
            let values: Vec<TokenStream> = match &api.ty(id).kind {
                TypeKind::Enum(e) => e
                    .variants
                    .iter()
                    .map(|variant| {
                        let value = match &variant.value {
                            EnumValue::String(text) => text.clone(),
                            EnumValue::Integer(n) => n.to_string(),
                        };
                        let help = variant.docs.first().cloned().unwrap_or_default();
                        quote!((#value, #help))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            quote!(Kind::Enum(&[#(#values),*]))
        }
    }
}

/// One line of help and the rest (empty when the docs are one line).
fn help(docs: &[String], fallback: String) -> (String, String) {
    // The docs are made safe for rustdoc, which a terminal does not need.
    let plain = |line: &String| line.replace("\\[", "[").replace("\\]", "]");
    let first = docs.first().map(plain).unwrap_or(fallback);
    let long = if docs.len() > 1 { docs.iter().map(plain).collect::<Vec<_>>().join("\n") } else { String::new() };
    (first, long)
}

fn flag(name: &str, wire: &str, kind: TokenStream, docs: &[String], fallback: String, required: bool) -> TokenStream {
    let (help, long) = help(docs, fallback);
    let mut flag = quote!(Flag::new(#name, #wire, #kind, #help));
    if !long.is_empty() {
        flag = quote!(#flag.long(#long));
    }
    if required {
        flag = quote!(#flag.required());
    }
    flag
}

fn field_table(api: &Api, op: &Operation, name: &str) -> TokenStream {
    let name = ident(name);
    let fields = match &op.body {
        Some(Body { ty: Ty::Named(id), .. }) => match &api.ty(*id).kind {
            TypeKind::Struct(structure) => structure.fields.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    let flags = op.cli.body_flags.iter().map(|body_flag| {
        let field = &fields[body_flag.field];
        let kind = match field.ty {
            Ty::Bool => quote!(Kind::Bool),
            Ty::I32 => quote!(Kind::I32),
            Ty::I64 => quote!(Kind::I64),
            Ty::F64 => quote!(Kind::F64),
            Ty::DateTime => quote!(Kind::Date),
            _ => quote!(Kind::Text),
        };
        flag(&body_flag.flag, &field.wire_name, kind, &field.docs, format!("The record's `{}`", field.wire_name), false)
    });
    quote! {
        pub static #name: &[Flag] = &[#(#flags),*];
    }
}

fn operation_entry(api: &Api, resource: &Resource, op: &Operation, fields: Option<&str>) -> TokenStream {
    let command = &op.cli.command;
    let (about, long_about) = operation_docs(api, op);
    let mut args: Vec<TokenStream> = op
        .path_params
        .iter()
        .zip(&op.cli.path_args)
        .map(|(param, name)| {
            let kind = match param.ty {
                ParamTy::I32 => quote!(Kind::I32),
                ParamTy::I64 => quote!(Kind::I64),
                _ => quote!(Kind::Text),
            };
            let (help, _) = help(&param.docs, format!("The `{}` of the {}", param.wire_name, resource.tag));
            quote!(Positional { name: #name, kind: #kind, help: #help })
        })
        .collect();
    if let (Some(name), Some(upsert)) = (&op.cli.record_id, &op.upsert) {
        let kind = if upsert.id_ty == Ty::I64 { quote!(Kind::I64) } else { quote!(Kind::I32) };
        let help = format!("The id of the {} to update", body_model(api, op).unwrap_or("record"));
        args.push(quote!(Positional { name: #name, kind: #kind, help: #help }));
    }
    let flags = op.query_params.iter().zip(&op.cli.query_flags).map(|(param, name)| {
        flag(
            name,
            &param.wire_name,
            kind_of_param(api, param.ty),
            &param.docs,
            format!("Query parameter `{}`", param.wire_name),
            param.required,
        )
    });
    let model = body_model(api, op).unwrap_or("body");
    let id_member = op.upsert.as_ref().and_then(|upsert| {
        let Some(Body { ty: Ty::Named(id), .. }) = &op.body else { return None };
        match &api.ty(*id).kind {
            TypeKind::Struct(s) => {
                s.fields.iter().find(|f| f.rust_name == upsert.id_field).map(|f| f.wire_name.clone())
            }
            _ => None,
        }
    });
    let id_tokens = |wanted: bool| match (&id_member, wanted) {
        (Some(member), true) => quote!(Some(#member)),
        _ => quote!(None),
    };
    let body = match (&op.body, &op.upsert) {
        (None, _) => quote!(Body::None),
        (Some(body), Some(upsert)) if upsert.many => {
            let id = id_tokens(upsert.role == UpsertRole::Update);
            let _ = body;
            quote!(Body::Records { model: #model, id: #id })
        }
        (Some(body), upsert) if is_record(api, body, upsert.is_some()) => {
            let fields = match fields {
                Some(name) => {
                    let name = ident(name);
                    quote!(super::fields::#name)
                }
                None => quote!(&[]),
            };
            let array = body.array;
            let id = id_tokens(upsert.as_ref().is_some_and(|u| u.role == UpsertRole::Update));
            quote!(Body::Record { model: #model, fields: #fields, array: #array, id: #id })
        }
        (Some(body), _) if body.array => quote!(Body::Records { model: #model, id: None }),
        (Some(_), _) => quote!(Body::Json { model: #model }),
    };
    let answer = match list_shape(api, op) {
        Some((items, count, paged)) => {
            let items = items.map_or_else(|| quote!(None), |m| quote!(Some(#m)));
            let count = count.map_or_else(|| quote!(None), |m| quote!(Some(#m)));
            quote!(Answer::List { items: #items, count: #count, paged: #paged })
        }
        None => match &op.response {
            Response::Empty => quote!(Answer::Empty),
            Response::Bytes => quote!(Answer::Bytes),
            _ => quote!(Answer::Json),
        },
    };
    let run = ident(&op.method_name);
    quote! {
        Operation {
            command: #command,
            about: #about,
            long_about: #long_about,
            args: &[#(#args),*],
            flags: &[#(#flags),*],
            body: #body,
            answer: #answer,
            run: #run,
        }
    }
}

/// Whether the body is one record of a model (a struct): sent as it is, or as a one-item array by an upsert's
/// `create`/`update`.
fn is_record(api: &Api, body: &Body, upsert: bool) -> bool {
    let Ty::Named(id) = &body.ty else { return false };
    matches!(api.ty(*id).kind, TypeKind::Struct(_)) && (upsert || !body.array)
}

/// A list operation's records member (`None` for a bare array), record-count member, and whether Halo pages it: a
/// list wrapper, or a GET answering an array of records (as the crate's `pages()`/`all()` treat them).
fn list_shape(api: &Api, op: &Operation) -> Option<(Option<String>, Option<String>, bool)> {
    match &op.response {
        Response::List { wrapper, paged, .. } => {
            let TypeKind::Struct(Struct { fields, list: Some(list), .. }) = &api.ty(*wrapper).kind else {
                return Some((None, None, *paged));
            };
            let items = fields[list.items_field].wire_name.clone();
            let count = list.record_count_field.map(|index| fields[index].wire_name.clone());
            Some((Some(items), count, *paged))
        }
        Response::Json(Ty::Vec(inner)) if op.http_method == HttpMethod::Get && matches!(**inner, Ty::Named(_)) => {
            Some((None, None, false))
        }
        _ => None,
    }
}

/// A Rust type of the crate, seen from the CLI.
fn crate_ty(api: &Api, ty: &Ty) -> TokenStream {
    match ty {
        Ty::Bool => quote!(bool),
        Ty::I32 => quote!(i32),
        Ty::I64 => quote!(i64),
        Ty::F64 => quote!(f64),
        Ty::String => quote!(String),
        Ty::DateTime => quote!(halopsa::DateTime),
        Ty::Bytes => quote!(Vec<u8>),
        Ty::Json => quote!(serde_json::Value),
        Ty::Named(id) => {
            let name = ident(&api.ty(*id).rust_name);
            quote!(halopsa::models::#name)
        }
        Ty::Vec(inner) => {
            let inner = crate_ty(api, inner);
            quote!(Vec<#inner>)
        }
        Ty::Map(inner) => {
            let inner = crate_ty(api, inner);
            quote!(std::collections::BTreeMap<String, #inner>)
        }
    }
}

/// The value of positional argument `index`, as the accessor method takes it.
fn positional(index: usize, ty: ParamTy) -> TokenStream {
    match ty {
        ParamTy::I32 => quote!(input.arg(#index).i32()),
        ParamTy::I64 => quote!(input.arg(#index).i64()),
        _ => quote!(input.arg(#index).text()),
    }
}

fn run_function(api: &Api, resource: &Resource, op: &Operation) -> TokenStream {
    let name = ident(&op.method_name);
    let accessor = ident(&resource.module);
    let method = ident(&op.method_name);
    let mut prelude = Vec::new();
    let mut args: Vec<TokenStream> =
        op.path_params.iter().enumerate().map(|(index, param)| positional(index, param.ty)).collect();
    if let Some(body) = &op.body {
        let ty = crate_ty(api, &body.ty);
        match &op.upsert {
            Some(upsert) if upsert.many && upsert.role == UpsertRole::Update => {
                let id_ty = crate_ty(api, &upsert.id_ty);
                prelude.push(quote!(let pairs: Vec<(#id_ty, #ty)> = input.pairs()?;));
                args.push(quote!(pairs));
            }
            Some(upsert) if upsert.many => {
                prelude.push(quote!(let items: Vec<#ty> = input.records()?;));
                args.push(quote!(items));
            }
            Some(upsert) => {
                prelude.push(quote!(let item: #ty = input.record()?;));
                if upsert.role == UpsertRole::Update {
                    let index = op.path_params.len();
                    let id = positional(index, if upsert.id_ty == Ty::I64 { ParamTy::I64 } else { ParamTy::I32 });
                    args.push(id);
                }
                args.push(quote!(item));
            }
            None if is_record(api, body, false) => {
                prelude.push(quote!(let item: #ty = input.record()?;));
                args.push(quote!(item));
            }
            None if body.array => {
                prelude.push(quote!(let items: Vec<#ty> = input.records()?;));
                args.push(quote!(items));
            }
            None => {
                prelude.push(quote!(let body: #ty = input.body()?;));
                args.push(quote!(body));
            }
        }
    }
    let build = quote!(client.#accessor().#method(#(#args),*));
    let setters: Vec<TokenStream> = op
        .query_params
        .iter()
        .enumerate()
        .map(|(index, param)| {
            let setter = ident(&param.rust_name);
            let value = match param.ty {
                ParamTy::Bool => quote!(value.bool()),
                ParamTy::I32 => quote!(value.i32()),
                ParamTy::I64 => quote!(value.i64()),
                ParamTy::F64 => quote!(value.f64()),
                ParamTy::String | ParamTy::Enum(_) => quote!(value.text()),
                ParamTy::DateTime => quote!(value.date()),
                ParamTy::ListI32 => quote!(value.i32s()),
                ParamTy::ListI64 => quote!(value.i64s()),
                ParamTy::ListString => quote!(value.texts()),
            };
            quote!(#index => request.#setter(#value),)
        })
        .collect();
    let request = if setters.is_empty() {
        quote!(let request = #build;)
    } else {
        quote! {
            let mut request = #build;
            for (index, value) in input.query() {
                request = match index {
                    #(#setters)*
                    _ => request,
                };
            }
        }
    };
    let finish = match list_shape(api, op) {
        Some((_, _, true)) => quote!(input.pages(
            request,
            |request| request.send(),
            |request| request.pages(),
            |pages| pages.record_count(),
        )),
        Some(_) => quote!(input.page(request, |request| request.send())),
        None => match &op.response {
            Response::Empty => quote!(input.empty(request, |request| request.send())),
            Response::Bytes => quote!(input.bytes(request, |request| request.send())),
            _ => quote!(input.value(request, |request| request.send())),
        },
    };
    let deprecated = op.deprecated.then(|| quote!(#[allow(deprecated)]));
    quote! {
        #deprecated
        fn #name(client: &Client, input: &mut Input) -> Result<Action, Failure> {
            #(#prelude)*
            #request
            Ok(#finish)
        }
    }
}
