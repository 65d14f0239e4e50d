//! Resources: one module per resource with its accessor (`client.agents()`) and one request builder per operation.
//!
//! A builder is a newtype of the runtime's `Call` (ARCHITECTURE.md, "The generated crate ↔ runtime contract"): the
//! accessor method makes the `Call` (path, operation id, scopes, body), each setter writes its query parameter into
//! it, and `timeout`, `retry_policy`, `send`, `send_with_response` and `pages`/`stream`/`all` forward to it. So what
//! is emitted per parameter is its setter's signature and docs, and per builder a handful of one-line methods.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Output, doc_attrs, ident, param_field_ty, ty_tokens};
use crate::ir::*;

pub(super) fn files(api: &Api) -> Vec<(String, Output)> {
    api.resources
        .iter()
        .map(|resource| (format!("src/{}.rs", resource.module), Output::Rust(resource_file(api, resource))))
        .collect()
}

fn resource_file(api: &Api, resource: &Resource) -> TokenStream {
    // An imported resource says so first, in its module, its accessor and its type.
    let label = resource.imported.then(|| super::imported_label(&resource.feature));
    let with_label = |text: String| match &label {
        Some(label) => format!("{text} {label}"),
        None => text,
    };
    let module_doc = with_label(format!(" The {} resource: `client.{}()`.", resource.tag, resource.module));
    let accessor = ident(&resource.module);
    let type_name = ident(&resource.type_name);
    let mut docs = resource.docs.clone();
    if docs.is_empty() {
        docs.push(format!("The {} resource.", resource.tag));
    }
    if let Some(label) = &label {
        docs.push(String::new());
        docs.push(label.clone());
    }
    if let Some(halo) = &resource.halo_name {
        docs.push(String::new());
        docs.push(format!("Halo's internal name for this resource is `{halo}`."));
    }
    docs.push(String::new());
    docs.push(
        "It owns a clone of the client (one `Arc`), as do the requests it makes, so their futures are `Send` and"
            .to_owned(),
    );
    docs.push("`'static`: a request can be spawned (`tokio::spawn(request.send())`).".to_owned());
    let type_docs = doc_attrs(&docs);
    let accessor_doc = with_label(format!(" The {} resource.", resource.tag));
    let methods = resource.operations.iter().map(|op| accessor_method(api, resource, op));
    let builders = resource.operations.iter().map(|op| builder(api, resource, op));
    // Imported only where used: a resource whose bodies and answers are all scalars (some of Halo's are), or that
    // has no list, would otherwise fail the crate's `-D warnings` build with an unused import.
    let uses_models = resource.operations.iter().any(|op| {
        op.query_params.iter().any(|param| matches!(param.ty, ParamTy::Enum(_)))
            || op.body.as_ref().is_some_and(|body| body.ty.mentions_model())
            || match &op.response {
                Response::Empty | Response::Bytes => false,
                Response::Json(ty) | Response::Saved(ty) => ty.mentions_model(),
                Response::List { .. } => true,
            }
    });
    let models_import = uses_models.then(|| {
        quote!(
            use crate::models;
        )
    });
    let lists_import = resource.operations.iter().any(|op| list_types(api, op).is_some()).then(|| {
        quote!(
            use crate::runtime::{ItemStream, ListError, Pages};
        )
    });
    let whoami = whoami_agent(api, resource);
    let (kit_import, kit_methods) = kit(api, resource);
    quote! {
        #![doc = #module_doc]
        #models_import
        use crate::runtime::{Call, Client, Response, Result, answer};
        #lists_import
        #kit_import
        impl Client {
            #[doc = #accessor_doc]
            pub fn #accessor(&self) -> #type_name {
                #type_name(self.clone())
            }
        }
        #type_docs
        #[derive(Debug, Clone)]
        pub struct #type_name(Client);
        impl #type_name {
            #(#methods)*
            #kit_methods
        }
        #(#builders)*
        #whoami
    }
}

/// Issue 20's methods on a resource accessor, one-line forwards into the runtime: `bulk_create` and `bulk_update`
/// where Halo's create-or-update POST is (`runtime::Bulk`), and `sql` where its report runs are (the operation marked
/// `x-halo-idempotent: {"when_items_have": ...}`, `runtime::SqlQuery`). The names are reserved for accessors
/// (`lower::ACCESSOR_RESERVED`), so no operation takes them.
fn kit(api: &Api, resource: &Resource) -> (TokenStream, TokenStream) {
    let mut imports = Vec::new();
    let mut methods = Vec::new();
    let creates = resource.operations.iter().filter(|op| {
        op.path_params.is_empty()
            && op.upsert.as_ref().is_some_and(|upsert| upsert.role == UpsertRole::Create && upsert.many)
    });
    for op in creates {
        let Some(upsert) = &op.upsert else { continue };
        let Some(Body { ty, .. }) = &op.body else { continue };
        let ty = ty_tokens(api, ty, &models_path());
        let id_ty = ty_tokens(api, &upsert.id_ty, &models_path());
        let id = ident(&upsert.id_field);
        let (read_id, set_id) = if upsert.id_optional {
            (quote!(item.#id), quote!(Some(id)))
        } else {
            (quote!(Some(item.#id)), quote!(id))
        };
        let route = method_and_path(op);
        let operation_id = &op.operation_id;
        let scopes = &op.scopes;
        let item = match &op.body {
            Some(Body { ty: Ty::Named(item), .. }) => api.ty(*item).rust_name.clone(),
            _ => continue,
        };
        let create_docs = doc_attrs(&[
            format!("Creates `{item}` records, at most 100 a request, with a result per item: see [`Bulk`]."),
            String::new(),
            format!("`{route}`"),
        ]);
        let update_docs = doc_attrs(&[
            format!("Updates `{item}` records by id, at most 100 a request, with a result per item: see [`Bulk`]."),
            String::new(),
            format!("`{route}`"),
        ]);
        imports.push(quote!(Bulk));
        methods.push(quote! {
            #create_docs
            pub fn bulk_create(&self, items: impl IntoIterator<Item = #ty>) -> Bulk<#ty> {
                let call = Call::new(&self.0, #route, &[], #operation_id, &[#(#scopes),*]);
                Bulk::create(call, items, |item| #read_id)
            }
            #update_docs
            pub fn bulk_update(&self, items: impl IntoIterator<Item = (#id_ty, #ty)>) -> Bulk<#ty> {
                let call = Call::new(&self.0, #route, &[], #operation_id, &[#(#scopes),*]);
                Bulk::update(call, items, |item| #read_id, |item, id| item.#id = #set_id)
            }
        });
        if op.idempotent_when.is_some() {
            let sql_docs = doc_attrs(&[
                "Runs one read-only SQL statement as a report (saving nothing) and decodes its rows as `R`: see"
                    .to_owned(),
                "[`SqlQuery`].".to_owned(),
                String::new(),
                format!("`{route}`"),
            ]);
            imports.push(quote!(SqlQuery));
            methods.push(quote! {
                #sql_docs
                pub fn sql<R: serde::de::DeserializeOwned + Send + 'static>(&self, query: impl Into<String>) -> SqlQuery<R> {
                    let call = Call::new(&self.0, #route, &[], #operation_id, &[#(#scopes),*]);
                    SqlQuery::new(call, query)
                }
            });
        }
    }
    let import = (!imports.is_empty()).then(|| quote!(use crate::runtime::{#(#imports),*};));
    (quote!(#import), quote!(#(#methods)*))
}

/// `WhoAmI::agent()`, typed, on the resource with `GET /Agent/me`: the runtime's `Client::whoami` reads that path as
/// JSON (it cannot name a model, or a resource's cargo feature, of whatever spec it is generated from), and this
/// decodes it into the operation's own answer type, under the resource's feature like the rest of this file.
fn whoami_agent(api: &Api, resource: &Resource) -> TokenStream {
    let answer = resource.operations.iter().find_map(|op| match (&op.http_method, op.path.as_str(), &op.response) {
        (HttpMethod::Get, "/Agent/me", Response::Json(ty)) if ty.mentions_model() => Some(ty),
        _ => None,
    });
    let Some(ty) = answer else {
        return quote!();
    };
    let ty = ty_tokens(api, ty, &models_path());
    quote! {
        impl crate::WhoAmI {
            /// The agent the API application runs as (`GET /Agent/me`), decoded; `None` when Halo did not answer
            /// with an agent record (see [`agent_error`](Self::agent_error) and [`agent_json`](Self::agent_json)).
            pub fn agent(&self) -> Option<#ty> {
                self.agent_json().and_then(|record| serde_json::from_value(record.clone()).ok())
            }
        }
    }
}

fn models_path() -> TokenStream {
    quote!(models::)
}

fn method_and_path(op: &Operation) -> String {
    let method = match op.http_method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Delete => "DELETE",
    };
    format!("{method} {}", op.path)
}

/// The docs of an accessor method: the spec's summary and description (or, for the four methods split from a
/// create-or-update POST, what each of them does), `METHOD /path`, and the scopes it needs.
fn method_docs(api: &Api, resource: &Resource, op: &Operation) -> Vec<String> {
    let mut lines = match &op.upsert {
        Some(upsert) => upsert_docs(api, resource, op, upsert),
        None => {
            let mut lines = op.summary.clone();
            if !op.description.is_empty() {
                if !lines.is_empty() {
                    lines.push(String::new());
                }
                lines.extend(op.description.iter().cloned());
            }
            lines
        }
    };
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!("`{}`", method_and_path(op)));
    if let Some(scopes) = scopes_line(op) {
        lines.push(String::new());
        lines.push(scopes);
    }
    lines
}

/// The first line of a method's docs, for its builder: the spec's summary (or an upsert method's own first line).
fn summary_line(api: &Api, resource: &Resource, op: &Operation) -> Option<String> {
    match &op.upsert {
        Some(upsert) => upsert_docs(api, resource, op, upsert).into_iter().next(),
        None => op.summary.first().cloned(),
    }
}

/// The docs of `create`, `create_many`, `update` and `update_many`, written here rather than taken from the spec:
/// the spec's summary and description ("Create Agent(s)") are about the create-or-update POST the four share, which
/// none of them is. They say why `create` refuses an id and `update` takes it as an argument, naming each other.
fn upsert_docs(api: &Api, resource: &Resource, op: &Operation, upsert: &Upsert) -> Vec<String> {
    let sibling = |role: UpsertRole, many: bool| {
        resource
            .operations
            .iter()
            .find(|other| {
                other.operation_id == op.operation_id
                    && other.upsert.as_ref().is_some_and(|u| u.role == role && u.many == many)
            })
            .map(|other| format!("[`{}`](Self::{})", other.method_name, other.method_name))
            .unwrap_or_default()
    };
    let item = match &op.body {
        Some(Body { ty: Ty::Named(item), .. }) => api.ty(*item).rust_name.clone(),
        _ => unreachable!("validated: upsert bodies are arrays of a named schema"),
    };
    let id = &upsert.id_field;
    let lead = match (upsert.role, upsert.many) {
        (UpsertRole::Create, false) => format!("Creates one `{item}` and returns the record Halo saved."),
        (UpsertRole::Create, true) => {
            format!("Creates several `{item}` records in one request and returns the records Halo saved.")
        }
        (UpsertRole::Update, false) => format!(
            "Updates the `{item}` that `{}` names with the fields set in `{}`, and returns the record Halo saved.",
            upsert.id_arg,
            op.body.as_ref().map_or("item", |body| body.arg_name.as_str())
        ),
        (UpsertRole::Update, true) => format!(
            "Updates several `{item}` records in one request, one `(id, item)` pair each, and returns the records \
             Halo saved."
        ),
    };
    let mut lines = vec![lead, String::new()];
    match upsert.role {
        UpsertRole::Create => lines.extend([
            "Halo's create-or-update POST updates the record an item's id names, so `send()` refuses an item whose"
                .to_owned(),
            format!(
                "`{id}` is set (> 0) rather than silently change an existing record; {} and",
                sibling(UpsertRole::Update, false)
            ),
            format!("{} change records.", sibling(UpsertRole::Update, true)),
        ]),
        UpsertRole::Update => lines.extend([
            "The id is an argument of its own, not a field of the item that could be left unset: Halo's".to_owned(),
            "create-or-update POST creates a new record for an item without an id, so a forgotten id would silently"
                .to_owned(),
            format!("make a duplicate. It is written into the item's `{id}` before sending (replacing any id it had),"),
            "and `send()` refuses ids that are not positive. Only the fields that are set are sent, so Halo keeps"
                .to_owned(),
            format!(
                "the others. {} and {} create records.",
                sibling(UpsertRole::Create, false),
                sibling(UpsertRole::Create, true)
            ),
        ]),
    }
    lines.push(String::new());
    if upsert.many {
        lines.push(
            "`send()` refuses an empty list. All records go in one request, and the answer is the records".to_owned(),
        );
        lines.push("Halo sent back (none for an empty body).".to_owned());
    } else {
        lines.push(
            "An answer without the record (an empty body) is an [`ErrorKind::Decode`](crate::ErrorKind::Decode) error,"
                .to_owned(),
        );
        lines.push("not a panic: the record may have been saved, so look it up before sending it again.".to_owned());
    }
    lines
}

/// "Needs the scope `edit:agents` (or `all`, `all:standard`)": the API application's scopes decide it.
fn scopes_line(op: &Operation) -> Option<String> {
    let broad = |scope: &&String| scope.as_str() == "all" || scope.starts_with("all:");
    let own: Vec<String> = op.scopes.iter().filter(|s| !broad(s)).map(|s| format!("`{s}`")).collect();
    let wide: Vec<String> = op.scopes.iter().filter(broad).map(|s| format!("`{s}`")).collect();
    match (own.is_empty(), wide.is_empty()) {
        (true, true) => None,
        (false, true) => Some(format!("Needs the scope {}.", own.join(" or "))),
        (true, false) => Some(format!("Needs the scope {}.", wide.join(" or "))),
        (false, false) => Some(format!("Needs the scope {} (or {}).", own.join(" or "), wide.join(", "))),
    }
}

/// The accessor method: takes the path parameters (and the body), makes the `Call`, wraps it in the builder.
fn accessor_method(api: &Api, resource: &Resource, op: &Operation) -> TokenStream {
    let docs = doc_attrs(&method_docs(api, resource, op));
    let method = ident(&op.method_name);
    let builder = ident(&op.builder_name);
    let mut params = Vec::new();
    // String and date path parameters are taken as `impl Into<..>` and converted first, so that the path arguments
    // can all be `&dyn Display`.
    let mut conversions = Vec::new();
    let mut path_args = Vec::new();
    for param in &op.path_params {
        let name = ident(&param.rust_name);
        match param.ty {
            ParamTy::String => {
                params.push(quote!(#name: impl Into<String>));
                conversions.push(quote!(let #name: String = #name.into();));
            }
            ParamTy::DateTime => {
                params.push(quote!(#name: impl Into<crate::DateTime>));
                conversions.push(quote!(let #name: crate::DateTime = #name.into();));
            }
            ty => {
                let ty = param_field_ty(api, ty);
                params.push(quote!(#name: #ty));
            }
        }
        path_args.push(quote!(&#name));
    }
    let route = method_and_path(op);
    let operation_id = &op.operation_id;
    // The scopes go with the request so that a 401 or 403 can name the one the token lacks.
    let (scopes_binding, scopes) = if op.scopes.is_empty() {
        (quote!(), quote!(&[]))
    } else {
        let scopes = &op.scopes;
        (quote!(let scopes = &[#(#scopes),*];), quote!(scopes))
    };
    let mut call = quote!(Call::new(&self.0, #route, &[#(#path_args),*], #operation_id, #scopes));
    // Only where the spec knows better than the HTTP method (an update POST) is this said in the code.
    let method_idempotent = matches!(op.http_method, HttpMethod::Get | HttpMethod::Put | HttpMethod::Delete);
    if op.idempotent != method_idempotent {
        let idempotent = op.idempotent;
        call = quote!(#call.idempotent(#idempotent));
    }
    if let Some(body) = &op.body {
        let ty = ty_tokens(api, &body.ty, &models_path());
        let arg = ident(&body.arg_name);
        let verb = &op.method_name;
        match &op.upsert {
            Some(upsert) => {
                let id = ident(&upsert.id_field);
                let id_ty = ty_tokens(api, &upsert.id_ty, &models_path());
                match (upsert.role, upsert.many) {
                    (UpsertRole::Create, many) => {
                        let read_id = if upsert.id_optional { quote!(item.#id) } else { quote!(Some(item.#id)) };
                        let items = if many {
                            params.push(quote!(#arg: impl IntoIterator<Item = #ty>));
                            quote!(#arg)
                        } else {
                            params.push(quote!(#arg: #ty));
                            quote!([#arg])
                        };
                        call = match &op.idempotent_when {
                            // `x-halo-idempotent: {"when_items_have": ...}`: safe to repeat when every item only
                            // asks to be run (a report sent with `_loadreportonly`), decided per request.
                            Some(when) => {
                                let field = ident(&when.field);
                                let set =
                                    if when.optional { quote!(item.#field == Some(true)) } else { quote!(item.#field) };
                                conversions.push(quote!(let items: Vec<#ty> = #items.into_iter().collect();));
                                conversions.push(quote!(
                                    let idempotent = !items.is_empty() && items.iter().all(|item| #set);
                                ));
                                quote!(#call.create(#verb, items, |item| #read_id).idempotent(idempotent))
                            }
                            None => quote!(#call.create(#verb, #items, |item| #read_id)),
                        };
                    }
                    (UpsertRole::Update, many) => {
                        let set_id = if upsert.id_optional { quote!(Some(id)) } else { quote!(id) };
                        let items = if many {
                            params.push(quote!(#arg: impl IntoIterator<Item = (#id_ty, #ty)>));
                            quote!(#arg)
                        } else {
                            let id_arg = ident(&upsert.id_arg);
                            params.push(quote!(#id_arg: #id_ty));
                            params.push(quote!(#arg: #ty));
                            quote!([(#id_arg, #arg)])
                        };
                        call = quote!(#call.update(#verb, #items, |item, id| item.#id = #set_id));
                    }
                }
            }
            None if body.array => {
                params.push(quote!(#arg: impl IntoIterator<Item = #ty>));
                call = quote!(#call.body_items(#arg));
            }
            None => {
                params.push(quote!(#arg: #ty));
                call = quote!(#call.body(&#arg));
            }
        }
    }
    let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
    quote! {
        #docs
        #deprecated
        pub fn #method(&self, #(#params),*) -> #builder {
            #(#conversions)*
            #scopes_binding
            #builder(#call)
        }
    }
}

/// The runtime's `answer` marker of an operation (how its answer is read) and what `send()` returns.
fn answer(api: &Api, op: &Operation) -> (TokenStream, TokenStream) {
    if let Some((page, _, _)) = list_types(api, op) {
        return (quote!(answer::List<#page>), page);
    }
    match &op.response {
        Response::Empty => (quote!(answer::Empty), quote!(())),
        Response::Bytes => (quote!(answer::Bytes), quote!(Vec<u8>)),
        Response::Json(ty) => {
            let ty = ty_tokens(api, ty, &models_path());
            (quote!(answer::Json<#ty>), ty)
        }
        Response::Saved(ty) => {
            let ty = ty_tokens(api, ty, &models_path());
            match op.upsert.as_ref().is_some_and(|upsert| !upsert.many) {
                true => (quote!(answer::One<#ty>), ty),
                false => (quote!(answer::Saved<#ty>), quote!(Vec<#ty>)),
            }
        }
        Response::List { .. } => unreachable!("list_types covers lists"),
    }
}

/// A list operation's page type, record type, and whether Halo pages it: a list wrapper (paged or not), or a GET
/// answering an array of records (one page).
fn list_types(api: &Api, op: &Operation) -> Option<(TokenStream, TokenStream, bool)> {
    match &op.response {
        Response::List { wrapper, item, paged } => Some((
            ty_tokens(api, &Ty::Named(*wrapper), &models_path()),
            ty_tokens(api, &Ty::Named(*item), &models_path()),
            *paged,
        )),
        Response::Json(Ty::Vec(inner)) if op.http_method == HttpMethod::Get && matches!(**inner, Ty::Named(_)) => {
            let item = ty_tokens(api, inner, &models_path());
            Some((quote!(Vec<#item>), item, false))
        }
        _ => None,
    }
}

fn builder(api: &Api, resource: &Resource, op: &Operation) -> TokenStream {
    let name = ident(&op.builder_name);
    let mut lines: Vec<String> = summary_line(api, resource, op).into_iter().chain([String::new()]).collect();
    let set = if op.query_params.is_empty() { "" } else { "set its parameters, then " };
    lines.push(format!(
        "`{}`, made by [`{}::{}`]: {set}`send()` it (or `send_with_response()`).",
        method_and_path(op),
        resource.type_name,
        op.method_name
    ));
    let docs = doc_attrs(&lines[if lines.len() == 2 { 1 } else { 0 }..]);
    let (answer, output) = answer(api, op);
    let setters = op.query_params.iter().map(|param| setter(api, param));
    let paging = paging_fns(api, op);
    quote! {
        #docs
        #[derive(Clone, Debug)]
        #[must_use = "a request does nothing until it is sent"]
        pub struct #name(Call<#answer>);
        impl #name {
            #(#setters)*
            /// The time limit of each attempt of this request, instead of the client's.
            pub fn timeout(self, timeout: std::time::Duration) -> Self {
                Self(self.0.timeout(timeout))
            }
            /// How this request is retried, instead of the client's policy.
            pub fn retry_policy(self, policy: crate::RetryPolicy) -> Self {
                Self(self.0.retry_policy(policy))
            }
            /// Sends the request.
            pub fn send(self) -> impl Future<Output = Result<#output>> + Send + 'static {
                self.0.send()
            }
            /// Sends the request; the answer comes with its status, headers and Halo's trace id.
            pub fn send_with_response(self) -> impl Future<Output = Result<Response<#output>>> + Send + 'static {
                self.0.send_with_response()
            }
            #paging
        }
    }
}

fn setter(api: &Api, param: &Param) -> TokenStream {
    let mut lines = param.docs.clone();
    // The wire name is said where the setter's name does not say it already (or the spec says nothing else).
    if lines.is_empty() || param.required || param.wire_name != param.rust_name {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        let required = if param.required { " (required)" } else { "" };
        lines.push(format!("Query parameter `{}`{required}.", param.wire_name));
    }
    if let ParamTy::Enum(id) = param.ty {
        let def = api.ty(id);
        let example = match &def.kind {
            TypeKind::Enum(Enum { variants, .. }) => variants.first().map(|first| match &first.value {
                EnumValue::String(text) => format!(" (`\"{text}\"`)"),
                EnumValue::Integer(n) => format!(" (`{n}`)"),
            }),
            _ => None,
        };
        let fallback = match &def.kind {
            TypeKind::Enum(e) => e.fallback_variant.as_str(),
            _ => "Other",
        };
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!(
            "Takes a [`models::{0}`] or its wire string{1}; a value the enum does not list",
            def.rust_name,
            example.unwrap_or_default()
        ));
        lines.push(format!("is sent as given (`{}::{fallback}`).", def.rust_name));
    }
    let docs = doc_attrs(&lines);
    let name = ident(&param.rust_name);
    let wire = &param.wire_name;
    let (arg, set) = match param.ty {
        ParamTy::Enum(_) => {
            let ty = param_field_ty(api, param.ty);
            (quote!(value: impl Into<#ty>), quote!(arg(#wire, Into::<#ty>::into(value).as_str())))
        }
        ParamTy::Bool => (quote!(value: bool), quote!(arg(#wire, value))),
        ParamTy::I32 => (quote!(value: i32), quote!(arg(#wire, value))),
        ParamTy::I64 => (quote!(value: i64), quote!(arg(#wire, value))),
        ParamTy::F64 => (quote!(value: f64), quote!(arg(#wire, value))),
        ParamTy::String => (quote!(value: impl Into<String>), quote!(text(#wire, value))),
        ParamTy::DateTime => (quote!(value: impl Into<crate::DateTime>), quote!(date(#wire, value))),
        ParamTy::ListI32 => (quote!(values: impl IntoIterator<Item = i32>), quote!(list(#wire, values))),
        ParamTy::ListI64 => (quote!(values: impl IntoIterator<Item = i64>), quote!(list(#wire, values))),
        ParamTy::ListString => {
            (quote!(values: impl IntoIterator<Item = impl Into<String>>), quote!(texts(#wire, values)))
        }
    };
    quote! {
        #docs
        pub fn #name(self, #arg) -> Self {
            Self(self.0.#set)
        }
    }
}

/// `pages()`, `stream()` and `all()`: on every list operation (a list wrapper, or a GET answering an array of
/// records). Those Halo pages set the paging parameters; the others send one request and yield one page.
fn paging_fns(api: &Api, op: &Operation) -> TokenStream {
    let Some((page, item, paged)) = list_types(api, op) else {
        return quote!();
    };
    let all = quote! {
        pub fn all(self) -> impl Future<Output = Result<Vec<#item>, ListError<#item>>> + Send + 'static {
            self.0.pages().all()
        }
    };
    if !paged {
        return quote! {
            /// Halo does not page this list: one request, sent as built, and one page (see [`Pages`]).
            pub fn pages(self) -> Pages<#page> {
                self.0.one_page()
            }
            /// Every result as a stream (one request: Halo does not page this list).
            pub fn stream(self) -> ItemStream<#item> {
                self.0.one_page().items()
            }
            /// Every result (one request: Halo does not page this list). On an error, the records read so far
            /// (none) come with it.
            pub fn all(self) -> impl Future<Output = Result<Vec<#item>, ListError<#item>>> + Send + 'static {
                self.0.one_page().all()
            }
        };
    }
    quote! {
        /// Pages through every result: `pageinate=true`, `page_no` from 1 (or the one set), `page_size` up to
        /// Halo's cap of 100; each record once, and always ending (see [`Pages`]).
        pub fn pages(self) -> Pages<#page> {
            self.0.pages()
        }
        /// Every result as a stream, fetching pages as needed.
        pub fn stream(self) -> ItemStream<#item> {
            self.0.pages().items()
        }
        /// Every result, all pages collected. On an error, the records read so far come with it.
        #all
    }
}
