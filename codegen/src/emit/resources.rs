//! Resources: one module per resource with its accessor (`client.agents()`) and one request builder per operation.

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
    let module_doc = format!(" The {} resource: `client.{}()`.", resource.tag, resource.module);
    let accessor = ident(&resource.module);
    let type_name = ident(&resource.type_name);
    let mut docs = resource.docs.clone();
    if docs.is_empty() {
        docs.push(format!("The {} resource.", resource.tag));
    }
    if let Some(halo) = &resource.halo_name {
        docs.push(String::new());
        docs.push(format!("Halo's internal name for this resource is `{halo}`."));
    }
    let type_docs = doc_attrs(&docs);
    let accessor_doc = format!(" The {} resource.", resource.tag);
    let methods = resource.operations.iter().map(|op| accessor_method(api, op));
    let builders = resource.operations.iter().map(|op| builder(api, resource, op));
    // Imported only where used: a resource whose bodies and answers are all scalars (some of Halo's are) would
    // otherwise fail the crate's `-D warnings` build with an unused import.
    let uses_models = resource.operations.iter().any(|op| {
        op.query_params.iter().any(|param| matches!(param.ty, ParamTy::Enum(_)))
            || op.body.as_ref().is_some_and(|body| body.ty.mentions_model())
            || match &op.response {
                Response::Empty | Response::Bytes => false,
                Response::Json(ty) | Response::Saved(ty) => ty.mentions_model(),
                Response::List { .. } => true,
            }
    });
    let whoami = whoami_agent(api, resource);
    let models_import = if uses_models {
        quote!(
            use crate::models;
        )
    } else {
        quote!()
    };
    quote! {
        #![doc = #module_doc]
        use reqwest::Method;
        #models_import
        use crate::runtime::{Client, Request, Result};
        impl Client {
            #[doc = #accessor_doc]
            pub fn #accessor(&self) -> #type_name<'_> {
                #type_name { client: self }
            }
        }
        #type_docs
        #[derive(Debug, Clone, Copy)]
        pub struct #type_name<'a> {
            client: &'a Client,
        }
        impl<'a> #type_name<'a> {
            #(#methods)*
        }
        #(#builders)*
        #whoami
    }
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

fn http_line(op: &Operation) -> String {
    format!("`{}`", method_and_path(op))
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

fn op_docs(op: &Operation) -> Vec<String> {
    let mut lines = op.docs.clone();
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(http_line(op));
    if let Some(scopes) = scopes_line(op) {
        lines.push(String::new());
        lines.push(scopes);
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

/// Positional arguments of the accessor method: path parameters, then the body.
fn arguments(api: &Api, op: &Operation) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut params = Vec::new();
    let mut inits = Vec::new();
    for param in &op.path_params {
        let name = ident(&param.rust_name);
        match param.ty {
            ParamTy::String => {
                params.push(quote!(#name: impl Into<String>));
                inits.push(quote!(#name: #name.into()));
            }
            ParamTy::DateTime => {
                params.push(quote!(#name: impl Into<crate::DateTime>));
                inits.push(quote!(#name: #name.into()));
            }
            ty => {
                let ty = param_field_ty(api, ty);
                params.push(quote!(#name: #ty));
                inits.push(quote!(#name));
            }
        }
    }
    if let Some(body) = &op.body {
        let ty = ty_tokens(api, &body.ty, &models_path());
        if body.array {
            params.push(quote!(items: impl IntoIterator<Item = #ty>));
            inits.push(quote!(body: items.into_iter().collect()));
        } else {
            params.push(quote!(body: #ty));
            inits.push(quote!(body));
        }
    }
    (params, inits)
}

fn accessor_method(api: &Api, op: &Operation) -> TokenStream {
    if let Some(Upsert { role: UpsertRole::Update, many: Some(many), .. }) = &op.upsert {
        return update_methods(api, op, many);
    }
    let docs = doc_attrs(&op_docs(op));
    let method = ident(&op.method_name);
    let builder = ident(&op.builder_name);
    let (params, inits) = arguments(api, op);
    let query_inits = query_inits(op);
    let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
    quote! {
        #docs
        #deprecated
        pub fn #method(&self, #(#params),*) -> #builder<'a> {
            #builder {
                client: self.client,
                #(#inits,)*
                #(#query_inits)*
                options: Default::default(),
            }
        }
    }
}

fn query_inits(op: &Operation) -> Vec<TokenStream> {
    op.query_params
        .iter()
        .map(|param| {
            let name = ident(&param.rust_name);
            quote!(#name: None,)
        })
        .collect()
}

/// `update(id, item)` and `update_many([(id, item), ...])`: the id is an argument the caller cannot leave out, and
/// is written into the item's id field here, so an update can never turn into Halo creating a duplicate.
fn update_methods(api: &Api, op: &Operation, many: &UpsertMany) -> TokenStream {
    let upsert = op.upsert.as_ref().expect("an update operation");
    let body = op.body.as_ref().expect("validated: upserts have an array body");
    let item_ty = ty_tokens(api, &body.ty, &models_path());
    let id_ty = ty_tokens(api, &upsert.id_ty, &models_path());
    let id_field = ident(&upsert.id_field);
    let set_id = if upsert.id_optional { quote!(Some(id)) } else { quote!(id) };
    let (mut params, mut inits) = arguments(api, op);
    // `arguments` ends with the body (`items`); the path parameters come first.
    params.pop();
    inits.pop();
    let forward = op.path_params.iter().map(|param| ident(&param.rust_name));
    let query_inits = query_inits(op);
    let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
    let update = ident(&op.method_name);
    let update_many = ident(&many.method_name);
    let builder = ident(&op.builder_name);
    let update_docs = doc_attrs(&op_docs(op));
    let mut many_docs = many.docs.clone();
    many_docs.push(String::new());
    many_docs.push(http_line(op));
    let many_docs = doc_attrs(&many_docs);
    quote! {
        #update_docs
        #deprecated
        pub fn #update(&self, #(#params,)* id: #id_ty, item: #item_ty) -> #builder<'a> {
            self.#update_many(#(#forward,)* [(id, item)])
        }
        #many_docs
        #deprecated
        pub fn #update_many(&self, #(#params,)* items: impl IntoIterator<Item = (#id_ty, #item_ty)>) -> #builder<'a> {
            #builder {
                client: self.client,
                #(#inits,)*
                body: items
                    .into_iter()
                    .map(|(id, mut item)| {
                        item.#id_field = #set_id;
                        item
                    })
                    .collect(),
                #(#query_inits)*
                options: Default::default(),
            }
        }
    }
}

fn response_ty(api: &Api, op: &Operation) -> TokenStream {
    match &op.response {
        Response::Empty => quote!(()),
        Response::Bytes => quote!(Vec<u8>),
        Response::Json(ty) => ty_tokens(api, ty, &models_path()),
        Response::List { wrapper, .. } => ty_tokens(api, &Ty::Named(*wrapper), &models_path()),
        Response::Saved(ty) => {
            let ty = ty_tokens(api, ty, &models_path());
            quote!(Vec<#ty>)
        }
    }
}

fn builder(api: &Api, resource: &Resource, op: &Operation) -> TokenStream {
    let name = ident(&op.builder_name);
    let mut docs = op_docs(op);
    docs.push(String::new());
    let made_by = match op.upsert.as_ref().and_then(|upsert| upsert.many.as_ref()) {
        Some(many) => format!(
            "[`{0}::{1}`] or [`{0}::{2}`]",
            resource.type_name,
            crate::names::unraw(&op.method_name),
            crate::names::unraw(&many.method_name)
        ),
        None => format!("[`{}::{}`]", resource.type_name, crate::names::unraw(&op.method_name)),
    };
    docs.push(format!("Made by {made_by}; set parameters, then call `send()`, or `send_with_response()` for the"));
    docs.push("status, headers and trace id too.".to_owned());
    let docs = doc_attrs(&docs);
    let mut fields = vec![quote!(client: &'a Client,)];
    for param in &op.path_params {
        let field = ident(&param.rust_name);
        let ty = param_field_ty(api, param.ty);
        fields.push(quote!(#field: #ty,));
    }
    if let Some(body) = &op.body {
        let mut ty = ty_tokens(api, &body.ty, &models_path());
        if body.array {
            ty = quote!(Vec<#ty>);
        }
        fields.push(quote!(body: #ty,));
    }
    for param in &op.query_params {
        let field = ident(&param.rust_name);
        let ty = param_field_ty(api, param.ty);
        fields.push(quote!(#field: Option<#ty>,));
    }
    fields.push(quote!(options: crate::runtime::RequestOptions,));
    let setters = op.query_params.iter().map(|param| setter(api, param));
    let request = request_fn(api, op);
    let send = send_fn(api, op);
    let paging = paging_fns(api, op);
    let debug = debug_impl(op);
    quote! {
        #docs
        #[derive(Clone)]
        #[must_use = "a request does nothing until it is sent"]
        pub struct #name<'a> {
            #(#fields)*
        }
        #debug
        impl<'a> #name<'a> {
            #(#setters)*
            /// The time limit of each attempt of this request, instead of the client's.
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.options.timeout = Some(timeout);
                self
            }
            /// How this request is retried, instead of the client's policy.
            pub fn retry_policy(mut self, policy: crate::runtime::RetryPolicy) -> Self {
                self.options.retry = Some(policy);
                self
            }
            fn request(&self) -> Request {
                #request
            }
            #send
            #paging
        }
    }
}

/// `Debug` of a builder: its name, `METHOD /path`, the path parameters, the body's size, the query parameters that
/// are set and the per-request options; not the client, not a body's contents (models may hold passwords), not the
/// value of a parameter whose name says it is a secret.
fn debug_impl(op: &Operation) -> TokenStream {
    let name = ident(&op.builder_name);
    let name_text = crate::names::unraw(&op.builder_name);
    let line = method_and_path(op);
    let args = op.path_params.iter().map(|param| {
        let field = ident(&param.rust_name);
        let text = crate::names::unraw(&param.rust_name);
        quote!(.arg(#text, &self.#field))
    });
    let body = op
        .body
        .as_ref()
        .map(|body| if body.array { quote!(.body(Some(self.body.as_slice()))) } else { quote!(.body::<()>(None)) });
    let queries = op.query_params.iter().map(|param| {
        let field = ident(&param.rust_name);
        let text = crate::names::unraw(&param.rust_name);
        if is_secret_name(&param.wire_name) {
            quote!(.secret(#text, &self.#field))
        } else {
            quote!(.opt(#text, &self.#field))
        }
    });
    quote! {
        impl std::fmt::Debug for #name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::runtime::debug_builder(f, #name_text, #line)
                    #(#args)*
                    #body
                    #(#queries)*
                    .finish(&self.options)
            }
        }
    }
}

/// Whether a parameter's value may be a credential (`token`, `report_access_token`, `password`, ...), which a
/// builder's `Debug` must not show.
fn is_secret_name(wire_name: &str) -> bool {
    let lower = wire_name.to_ascii_lowercase();
    ["token", "password", "secret", "apikey", "api_key"].iter().any(|word| lower.contains(word))
}

fn setter(api: &Api, param: &Param) -> TokenStream {
    let mut lines = param.docs.clone();
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!("Query parameter `{}`{}.", param.wire_name, if param.required { " (required)" } else { "" }));
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
        lines.push(format!(
            "Takes a [`models::{0}`] or its wire string{1}; a value the enum does not list",
            def.rust_name,
            example.unwrap_or_default()
        ));
        lines.push(format!("is sent as given (`{}::{fallback}`).", def.rust_name));
    }
    let docs = doc_attrs(&lines);
    let name = ident(&param.rust_name);
    let (arg, value) = match param.ty {
        ParamTy::Enum(_) => {
            let ty = param_field_ty(api, param.ty);
            (quote!(value: impl Into<#ty>), quote!(value.into()))
        }
        ParamTy::Bool => (quote!(value: bool), quote!(value)),
        ParamTy::I32 => (quote!(value: i32), quote!(value)),
        ParamTy::I64 => (quote!(value: i64), quote!(value)),
        ParamTy::F64 => (quote!(value: f64), quote!(value)),
        ParamTy::String => (quote!(value: impl Into<String>), quote!(value.into())),
        ParamTy::DateTime => (quote!(value: impl Into<crate::DateTime>), quote!(value.into())),
        ParamTy::ListI32 => (quote!(values: impl IntoIterator<Item = i32>), quote!(values.into_iter().collect())),
        ParamTy::ListI64 => (quote!(values: impl IntoIterator<Item = i64>), quote!(values.into_iter().collect())),
        ParamTy::ListString => (
            quote!(values: impl IntoIterator<Item = impl Into<String>>),
            quote!(values.into_iter().map(Into::into).collect()),
        ),
    };
    quote! {
        #docs
        pub fn #name(mut self, #arg) -> Self {
            self.#name = Some(#value);
            self
        }
    }
}

fn request_fn(api: &Api, op: &Operation) -> TokenStream {
    let method = match op.http_method {
        HttpMethod::Get => quote!(GET),
        HttpMethod::Post => quote!(POST),
        HttpMethod::Put => quote!(PUT),
        HttpMethod::Patch => quote!(PATCH),
        HttpMethod::Delete => quote!(DELETE),
    };
    let path = if op.path_params.is_empty() {
        let path = &op.path;
        quote!(#path)
    } else {
        // `{name}` → `{}`; the arguments are percent-encoded path segments, in template order.
        let mut format = String::new();
        let mut rest = op.path.as_str();
        while let Some(start) = rest.find('{') {
            format.push_str(&rest[..start]);
            format.push_str("{}");
            rest = &rest[start + rest[start..].find('}').expect("validated template") + 1..];
        }
        format.push_str(rest);
        let args = op.path_params.iter().map(|param| {
            let name = ident(&param.rust_name);
            quote!(crate::runtime::path_segment(&self.#name))
        });
        quote!(format!(#format, #(#args),*))
    };
    let queries = op.query_params.iter().map(|param| {
        let wire = &param.wire_name;
        let name = ident(&param.rust_name);
        match param.ty {
            ParamTy::Enum(_) => {
                let ty = param_field_ty(api, param.ty);
                quote!(request.query(#wire, self.#name.as_ref().map(#ty::as_str));)
            }
            _ => quote!(request.query(#wire, self.#name.as_ref());),
        }
    });
    // Only where the spec knows better than the HTTP method (an update POST) is this said in the code.
    let method_idempotent = matches!(op.http_method, HttpMethod::Get | HttpMethod::Put | HttpMethod::Delete);
    let idempotent = (op.idempotent != method_idempotent).then(|| {
        let idempotent = op.idempotent;
        quote!(request.set_idempotent(#idempotent);)
    });
    let operation_id = &op.operation_id;
    // The scopes go with the request so that a 401 or 403 can name the one the token lacks.
    let scopes = (!op.scopes.is_empty()).then(|| {
        let scopes = &op.scopes;
        quote!(request.set_scopes(&[#(#scopes),*]);)
    });
    quote! {
        let mut request = Request::new(Method::#method, #path);
        request.set_operation(#operation_id);
        #idempotent
        #scopes
        #(#queries)*
        request.set_options(&self.options);
        request
    }
}

fn send_fn(api: &Api, op: &Operation) -> TokenStream {
    let response = response_ty(api, op);
    let call = match &op.response {
        Response::Empty => quote!(send_empty),
        Response::Bytes => quote!(send_bytes),
        Response::Json(_) => quote!(send_json),
        Response::List { .. } => quote!(send_list),
        Response::Saved(_) => quote!(send_saved),
    };
    let checks = op.upsert.as_ref().map(|upsert| upsert_checks(op, upsert));
    let body = op.body.as_ref().map(|_| quote!(request.json_body(&self.body)?;));
    // `x-halo-idempotent: {"when_items_have": ...}`: safe to repeat when every item only asks to be run.
    let idempotent_when = op.idempotent_when.as_ref().filter(|_| op.body.is_some()).map(|when| {
        let field = ident(&when.field);
        let set = if when.optional { quote!(item.#field == Some(true)) } else { quote!(item.#field) };
        quote!(request.set_idempotent(!self.body.is_empty() && self.body.iter().all(|item| #set));)
    });
    let (bind, request) = if body.is_some() {
        (quote!(let mut request = self.request();), quote!(request))
    } else {
        (quote!(), quote!(self.request()))
    };
    quote! {
        /// Sends the request.
        pub async fn send(self) -> Result<#response> {
            self.send_with_response().await.map(crate::runtime::Response::into_inner)
        }
        /// Sends the request; the answer comes with its status, headers and Halo's trace id.
        pub async fn send_with_response(self) -> Result<crate::runtime::Response<#response>> {
            #checks
            #bind
            #body
            #idempotent_when
            self.client.#call(#request).await
        }
    }
}

/// Halo's POST creates when an item has no id and updates when it has one. `create` refuses items with an id (its
/// argument is a plain model); `update` takes the id as an argument, and refuses ids that are not positive (0 or
/// less would make Halo create a record).
fn upsert_checks(op: &Operation, upsert: &Upsert) -> TokenStream {
    let id = ident(&upsert.id_field);
    let verb = crate::names::unraw(&op.method_name);
    let empty = format!("{verb}: no items to send");
    let (condition, message) = match (upsert.role, upsert.id_optional) {
        (UpsertRole::Create, true) => (quote!(item.#id.is_some_and(|id| id > 0)), create_message(verb)),
        (UpsertRole::Create, false) => (quote!(item.#id > 0), create_message(verb)),
        (UpsertRole::Update, true) => (quote!(item.#id.is_none_or(|id| id <= 0)), update_message(verb)),
        (UpsertRole::Update, false) => (quote!(item.#id <= 0), update_message(verb)),
    };
    quote! {
        if self.body.is_empty() {
            return Err(crate::runtime::Error::invalid_request(#empty));
        }
        if let Some(index) = self.body.iter().position(|item| #condition) {
            return Err(crate::runtime::Error::invalid_request(format!(#message)));
        }
    }
}

fn create_message(verb: &str) -> String {
    format!("{verb}: item {{index}} already has an id; Halo would update that record instead of creating one")
}

fn update_message(verb: &str) -> String {
    format!(
        "{verb}: item {{index}} has an id that is not positive; Halo would create a new record instead of updating one"
    )
}

/// `pages()`, `stream()` and `all()`: on every list operation (a list wrapper, or a GET answering an array of
/// records). Those Halo pages set the paging parameters; the others send one request and yield one page.
fn paging_fns(api: &Api, op: &Operation) -> TokenStream {
    let (page, item, paged) = match &op.response {
        Response::List { wrapper, item, paged } => (
            ty_tokens(api, &Ty::Named(*wrapper), &models_path()),
            ty_tokens(api, &Ty::Named(*item), &models_path()),
            *paged,
        ),
        Response::Json(Ty::Vec(inner)) if op.http_method == HttpMethod::Get && matches!(**inner, Ty::Named(_)) => {
            let item = ty_tokens(api, inner, &models_path());
            (quote!(Vec<#item>), item, false)
        }
        _ => return quote!(),
    };
    if !paged {
        return quote! {
            /// Halo does not page this list: one request, sent as built, and one page (see [`Pages`](crate::Pages)).
            pub fn pages(self) -> crate::runtime::Pages<#page> {
                crate::runtime::Pages::unpaged(self.client, self.request())
            }
            /// Every result as a stream (one request: Halo does not page this list).
            pub fn stream(self) -> crate::runtime::ItemStream<#item> {
                self.pages().items()
            }
            /// Every result (one request: Halo does not page this list). On an error, the records read so far
            /// (none) come with it.
            pub async fn all(self) -> std::result::Result<Vec<#item>, crate::runtime::ListError<#item>> {
                self.pages().all().await
            }
        };
    }
    let wrapper = page;
    quote! {
        /// Pages through every result: `pageinate=true`, `page_no` from 1 (or the one set), `page_size` up to
        /// Halo's cap of 100; each record once, and always ending (see [`Pages`](crate::Pages)).
        pub fn pages(self) -> crate::runtime::Pages<#wrapper> {
            crate::runtime::Pages::new(self.client, self.request())
        }
        /// Every result as a stream, fetching pages as needed.
        pub fn stream(self) -> crate::runtime::ItemStream<#item> {
            self.pages().items()
        }
        /// Every result, all pages collected. On an error, the records read so far come with it.
        pub async fn all(self) -> std::result::Result<Vec<#item>, crate::runtime::ListError<#item>> {
            self.pages().all().await
        }
    }
}
