//! The API surface of a spec as users of the generated crate see it, read from the generator's own IR
//! (`codegen::lower_spec`): every name and Rust type as the emitters write them, after the keyword table and the
//! collision rule (`r#type`, `team_id_2`, `Other2`), so two specs that generate the same Rust have the same surface.
//!
//! The surface holds each IR datum an emitter turns into a public name or type: resources (module, accessor, cargo
//! feature, accessor type), operations (method, builder type, positional arguments, body, response, setters), and
//! models (struct fields with their full types, enum variants and fallback, alias targets, extra methods). Items an
//! emitter derives one-to-one from one of these (a field's setter or clear method, a variant of a per-model field
//! enum) are not listed again: they change exactly when their IR item does. What the runtime defines (the same for
//! every spec) is not a spec change; cargo-semver-checks covers it in CI. The spec itself is read only for
//! `x-halo-inferred`, which the generator ignores.

use std::collections::BTreeMap;

use codegen::ir::{self, Api, EnumRepr, EnumValue, Owner, ParamTy, Response, Ty, TypeKind, UpsertRole};

use crate::import::INFERRED;
use crate::openapi_json::{Json, route_key};

/// The section of models no single resource owns.
pub const SHARED: &str = "Shared models";

/// One resource: a module, an accessor on the client and a cargo feature, all named `module`.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The spec's tag (`Agents`): the report's section.
    pub tag: String,
    /// Module, accessor and cargo feature (`agents`).
    pub module: String,
    /// The accessor type (`Agents`).
    pub type_name: String,
}

/// One method of a resource accessor and its builder.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The resource's module.
    pub module: String,
    /// The resource's tag.
    pub section: String,
    /// `GET`.
    pub method: String,
    /// `/Agent/{id}`.
    pub path: String,
    /// The accessor method (`get`).
    pub method_name: String,
    /// The builder type (`GetAgent`).
    pub builder: String,
    /// The positional arguments' types before the body, in order (path parameters, then the id of an update):
    /// their names are not part of the API.
    pub args: Vec<String>,
    /// The body argument: `Agent`, or `[Agent]` for an array body; `None` without a body.
    pub body: Option<String>,
    /// What `send()` returns.
    pub response: String,
    /// Whether the list family pages (`pageinate`, `page_no`, `page_size`): behaviour, not API.
    pub paged: bool,
    /// Whether the method is `#[deprecated]`.
    pub deprecated: bool,
    /// Query parameters (one setter each) by wire name.
    pub query: BTreeMap<String, Param>,
    /// Whether the import inferred the response type (`x-halo-inferred`) rather than took it from Halo.
    pub response_inferred: bool,
}

impl Operation {
    /// `agents().get()`.
    pub fn call(&self) -> String {
        format!("{}().{}()", self.module, self.method_name)
    }
}

/// One query parameter: a setter of the builder.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The setter (`team_id_2`).
    pub rust_name: String,
    /// The value type (`i32`, `String`, `models::Domain`).
    pub ty: String,
    /// Whether Halo requires it (documentation only: a setter either way).
    pub required: bool,
}

/// One model of `halopsa::models`.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The resource that owns it (its tag), or [`SHARED`].
    pub section: String,
    /// Halo's name (`x-halo-name`): a model renamed by curation keeps it.
    pub halo: Option<String>,
    /// Whether the import made the schema up (`x-halo-inferred`).
    pub inferred: bool,
    /// What it is.
    pub kind: ModelKind,
}

/// The shape of a model.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelKind {
    /// A struct: public fields (by Rust name) and methods beyond the per-field ones.
    Struct {
        /// Fields by Rust name, the map of unknown fields included.
        fields: BTreeMap<String, Field>,
        /// Methods the IR adds to the model (`custom_field`, `custom_fields_update`).
        methods: Vec<String>,
    },
    /// An enum: its values and the fallback variant.
    Enum {
        /// `string` or `integer`.
        repr: &'static str,
        /// (wire value as JSON text, variant name), in document order.
        variants: Vec<(String, String)>,
        /// The variant that keeps values the spec does not list (`Other`).
        fallback: String,
    },
    /// `pub type X = T`.
    Alias(String),
}

impl ModelKind {
    /// `struct`, `enum`, `type alias`.
    pub fn label(&self) -> &'static str {
        match self {
            ModelKind::Struct { .. } => "struct",
            ModelKind::Enum { .. } => "enum",
            ModelKind::Alias(_) => "type alias",
        }
    }
}

/// A public struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The JSON property it holds; `None` for the map of unknown fields.
    pub wire: Option<String>,
    /// The value type without the `Option` (`String`, `Box<Agent>`).
    pub inner: String,
    /// Whether it is an `Option`.
    pub optional: bool,
}

impl Field {
    /// The field's whole type (`Option<String>`).
    pub fn ty(&self) -> String {
        if self.optional { format!("Option<{}>", self.inner) } else { self.inner.clone() }
    }

    /// The property it holds, for the report.
    pub fn wire_label(&self) -> String {
        match &self.wire {
            Some(wire) => format!("`{wire}`"),
            None => "the unknown fields".to_owned(),
        }
    }
}

/// Everything the diff compares.
#[derive(Debug, Clone, Default)]
pub struct Surface {
    /// Resources by module (the public name: module, accessor and feature).
    pub resources: BTreeMap<String, Resource>,
    /// Cargo features besides the resources' and TLS backends' (`unused-models`).
    pub extra_features: Vec<String>,
    /// Operations by route (`get /agent/{}`; the two halves of an upsert get `#create` and `#update`).
    pub operations: BTreeMap<String, Operation>,
    /// Models by Rust name.
    pub models: BTreeMap<String, Model>,
}

impl Surface {
    /// The surface of a lowered spec; `spec` is the same spec as JSON, read for `x-halo-inferred` only.
    pub fn of(api: &Api, spec: &Json) -> Surface {
        let mut surface = Surface::default();
        let tags: BTreeMap<&str, &str> = api.resources.iter().map(|r| (r.module.as_str(), r.tag.as_str())).collect();
        for resource in &api.resources {
            let entry = Resource {
                tag: resource.tag.clone(),
                module: resource.module.clone(),
                type_name: resource.type_name.clone(),
            };
            surface.resources.insert(resource.module.clone(), entry);
            for op in &resource.operations {
                let (key, operation) = operation(api, spec, resource, op);
                surface.operations.insert(key, operation);
            }
        }
        let mut features = std::collections::BTreeSet::new();
        for def in api.types.values() {
            let section = match &def.owner {
                Owner::Resource(module) => tags.get(module.as_str()).map_or(SHARED, |tag| tag).to_owned(),
                Owner::Shared(shared) => {
                    features.extend(shared.iter().filter(|f| !tags.contains_key(f.as_str())).cloned());
                    SHARED.to_owned()
                }
                // api-diff reads the curated spec alone (`codegen::lower_spec`), which has no imported tier.
                Owner::Imported { .. } => SHARED.to_owned(),
            };
            let schema = spec.get("components").and_then(|c| c.get("schemas")).and_then(|s| s.get(&def.wire_name));
            let model = Model {
                section,
                halo: def.halo_name.clone(),
                inferred: schema.is_some_and(|schema| schema.get(INFERRED).is_some()),
                kind: model_kind(api, &def.kind),
            };
            surface.models.insert(def.rust_name.clone(), model);
        }
        surface.extra_features = features.into_iter().collect();
        surface
    }
}

fn operation(api: &Api, spec: &Json, resource: &ir::Resource, op: &ir::Operation) -> (String, Operation) {
    let method = format!("{:?}", op.http_method).to_ascii_uppercase();
    let mut key = route_key(&method, &op.path);
    let mut args: Vec<String> = op.path_params.iter().map(|p| param_ty(api, p.ty)).collect();
    // Halo's create-or-update POST is four operations of one route: `create`, `create_many`, `update` (with the
    // id as an argument) and `update_many`.
    if let Some(upsert) = &op.upsert {
        key.push_str(match (upsert.role, upsert.many) {
            (UpsertRole::Create, false) => "#create",
            (UpsertRole::Create, true) => "#create_many",
            (UpsertRole::Update, false) => "#update",
            (UpsertRole::Update, true) => "#update_many",
        });
        if upsert.role == UpsertRole::Update && !upsert.many {
            args.push(ty(api, &upsert.id_ty));
        }
    }
    let single = op.upsert.as_ref().is_some_and(|upsert| !upsert.many);
    let body = op.body.as_ref().map(|body| {
        let item = ty(api, &body.ty);
        if body.array { format!("[{item}]") } else { item }
    });
    let (response, paged) = match &op.response {
        Response::Empty => ("()".to_owned(), false),
        Response::Bytes => ("Vec<u8>".to_owned(), false),
        Response::Json(t) => (ty(api, t), false),
        Response::Saved(t) if single => (ty(api, t), false),
        Response::Saved(t) => (format!("Vec<{}>", ty(api, t)), false),
        Response::List { wrapper, paged, .. } => (ty(api, &Ty::Named(*wrapper)), *paged),
    };
    let query = op
        .query_params
        .iter()
        .map(|p| {
            let param = Param { rust_name: p.rust_name.clone(), ty: param_ty(api, p.ty), required: p.required };
            (p.wire_name.clone(), param)
        })
        .collect();
    let operation = Operation {
        module: resource.module.clone(),
        section: resource.tag.clone(),
        method,
        path: op.path.clone(),
        method_name: op.method_name.clone(),
        builder: op.builder_name.clone(),
        args,
        body,
        response,
        paged,
        deprecated: op.deprecated,
        query,
        response_inferred: response_inferred(spec, &op.path, op.http_method),
    };
    (key, operation)
}

/// Whether the success response of an operation (200, else 201, else the lowest 2xx, as the generator picks it) is
/// marked `x-halo-inferred`.
fn response_inferred(spec: &Json, path: &str, method: ir::HttpMethod) -> bool {
    let method = format!("{method:?}").to_ascii_lowercase();
    let responses = spec
        .get("paths")
        .and_then(|paths| paths.get(path))
        .and_then(|item| item.get(&method))
        .and_then(|op| op.get("responses"))
        .and_then(Json::as_object);
    let Some(responses) = responses else { return false };
    let mut codes: Vec<&str> = responses.keys().filter(|c| c.starts_with('2') && c.len() == 3).collect();
    codes.sort_by_key(|code| match *code {
        "200" => "0".to_owned(),
        "201" => "1".to_owned(),
        other => other.to_owned(),
    });
    codes.first().and_then(|code| responses.get(code)).is_some_and(|ok| ok.get(INFERRED).is_some())
}

fn model_kind(api: &Api, kind: &TypeKind) -> ModelKind {
    match kind {
        TypeKind::Struct(s) => {
            let mut fields: BTreeMap<String, Field> = s
                .fields
                .iter()
                .map(|f| {
                    let inner = ty(api, &f.ty);
                    let inner = if f.boxed { format!("Box<{inner}>") } else { inner };
                    (f.rust_name.clone(), Field { wire: Some(f.wire_name.clone()), inner, optional: f.optional })
                })
                .collect();
            let extra =
                Field { wire: None, inner: "serde_json::Map<String, serde_json::Value>".into(), optional: false };
            fields.insert(s.extra_field.clone(), extra);
            let methods = s
                .custom_fields
                .iter()
                .flat_map(|custom| [custom.read_method.clone(), custom.update_method.clone()])
                .collect();
            ModelKind::Struct { fields, methods }
        }
        TypeKind::Enum(e) => ModelKind::Enum {
            repr: match e.repr {
                EnumRepr::String => "string",
                EnumRepr::Integer => "integer",
            },
            variants: e.variants.iter().map(|v| (enum_value(&v.value), v.rust_name.clone())).collect(),
            fallback: e.fallback_variant.clone(),
        },
        TypeKind::Alias(target) => ModelKind::Alias(ty(api, target)),
    }
}

/// An enum value as JSON text: `"away"`, `3`.
fn enum_value(value: &EnumValue) -> String {
    match value {
        EnumValue::String(text) => serde_json::to_string(text).expect("a string serializes"),
        EnumValue::Integer(n) => n.to_string(),
    }
}

/// The Rust type of an IR type, as the emitters write it (model types without their `models::` path).
pub fn ty(api: &Api, t: &Ty) -> String {
    match t {
        Ty::Bool => "bool".to_owned(),
        Ty::I32 => "i32".to_owned(),
        Ty::I64 => "i64".to_owned(),
        Ty::F64 => "f64".to_owned(),
        Ty::String => "String".to_owned(),
        Ty::DateTime => "DateTime".to_owned(),
        Ty::Bytes => "Vec<u8>".to_owned(),
        Ty::Json => "serde_json::Value".to_owned(),
        Ty::Named(id) => api.ty(*id).rust_name.clone(),
        Ty::Vec(inner) => format!("Vec<{}>", ty(api, inner)),
        Ty::Map(inner) => format!("BTreeMap<String, {}>", ty(api, inner)),
    }
}

/// The value type of a parameter (a setter takes `impl Into<..>` of strings, dates and enums, and any iterator for
/// a list; the value type tells them apart all the same).
fn param_ty(api: &Api, t: ParamTy) -> String {
    match t {
        ParamTy::Bool => "bool".to_owned(),
        ParamTy::I32 => "i32".to_owned(),
        ParamTy::I64 => "i64".to_owned(),
        ParamTy::F64 => "f64".to_owned(),
        ParamTy::String => "String".to_owned(),
        ParamTy::DateTime => "DateTime".to_owned(),
        ParamTy::ListI32 => "Vec<i32>".to_owned(),
        ParamTy::ListI64 => "Vec<i64>".to_owned(),
        ParamTy::ListString => "Vec<String>".to_owned(),
        ParamTy::Enum(id) => format!("models::{}", api.ty(id).rust_name),
    }
}
