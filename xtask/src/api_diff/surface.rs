//! The API surface of a spec as users of the generated crate see it: resources, operations (with their Rust method),
//! parameters, bodies, responses and models, each reduced to what changes generated code.

use std::collections::{BTreeMap, BTreeSet};

use crate::import::INFERRED;
use crate::openapi_json::{self as oj, Json, Object, route_key, schema_ref_name};

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The resource (first tag).
    pub resource: String,
    /// `GET`.
    pub method: String,
    /// `/Agent/{id}`.
    pub path: String,
    /// The Rust call, e.g. `agents().list()`, `agents().create()/update()`.
    pub call: String,
    /// Whether it is a create-or-update (`x-halo-upsert`).
    pub upsert: bool,
    /// Parameters in document order.
    pub params: Vec<Param>,
    /// The JSON request body's type, if any.
    pub body: Option<String>,
    /// The success response's type, if it has JSON content.
    pub response: Option<String>,
    /// Whether the import inferred the response type (`x-halo-inferred`) rather than took it from Halo.
    pub response_inferred: bool,
    /// Schemas the operation refers to directly.
    pub refs: BTreeSet<String>,
}

/// One parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// `query` or `path`.
    pub location: String,
    /// Whether it must be given.
    pub required: bool,
    /// Its type label.
    pub ty: String,
}

/// One model (component schema).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Halo's name (`x-halo-name`).
    pub halo: Option<String>,
    /// The list key of a list wrapper.
    pub list_key: Option<String>,
    /// The type label without properties and enum values (`object`, `integer (int32)`).
    pub shape: String,
    /// Properties in document order: (name, type label).
    pub properties: Vec<(String, String)>,
    /// Required properties.
    pub required: BTreeSet<String>,
    /// Enum values, as JSON text.
    pub enum_values: Vec<String>,
    /// The Rust name `x-enum-varnames` gives each value (same order as `enum_values`); `None` where the generator
    /// names it (a string value itself, an integer `Value3`).
    pub enum_names: Vec<Option<String>>,
    /// Whether the import made the model up (`x-halo-inferred`) rather than took it from Halo.
    pub inferred: bool,
    /// Schemas it refers to.
    pub refs: BTreeSet<String>,
}

/// Everything the diff compares.
#[derive(Debug, Clone, Default)]
pub struct Surface {
    /// Resource tag → Halo tag.
    pub resources: BTreeMap<String, Option<String>>,
    /// `route_key` → operation.
    pub operations: BTreeMap<String, Operation>,
    /// Schema name → model.
    pub models: BTreeMap<String, Model>,
}

/// The success response: 200, else 201, else the lowest other 2xx.
fn success(responses: Option<&Object>) -> Option<&Json> {
    let responses = responses?;
    let mut codes: Vec<&str> = responses.keys().filter(|c| c.starts_with('2') && c.len() == 3).collect();
    codes.sort_by_key(|code| match *code {
        "200" => "0".to_owned(),
        "201" => "1".to_owned(),
        other => other.to_owned(),
    });
    codes.first().and_then(|code| responses.get(code))
}

fn json_schema(holder: Option<&Json>) -> Option<&Json> {
    let content = holder?.get("content")?.as_object()?;
    let media = content.get("application/json").or_else(|| {
        content
            .iter()
            .find(|(m, _)| (m.ends_with("+json") || *m == "text/json") && !m.contains("json-patch"))
            .map(|(_, v)| v)
    })?;
    media.get("schema")
}

fn binary(holder: Option<&Json>) -> bool {
    holder
        .and_then(|h| h.get("content"))
        .and_then(Json::as_object)
        .is_some_and(|c| c.keys().any(|m| m.starts_with("image/") || m == "application/octet-stream"))
}

impl Surface {
    /// Reads the surface of a spec.
    pub fn of(spec: &Json) -> Surface {
        let mut surface = Surface::default();
        for tag in spec.get("tags").and_then(Json::as_array).into_iter().flatten() {
            if let Some(name) = tag.get("name").and_then(Json::as_str) {
                let halo = tag.get("x-halo-name").and_then(Json::as_str).map(str::to_owned);
                surface.resources.insert(name.to_owned(), halo);
            }
        }
        for (path, item) in spec.get("paths").and_then(Json::as_object).into_iter().flat_map(Object::iter) {
            for (method, op) in item.as_object().into_iter().flat_map(Object::iter) {
                let Some(op) = op.as_object().filter(|_| oj::METHODS.contains(&method)) else { continue };
                let resource =
                    op.array("tags").and_then(|t| t.first()).and_then(Json::as_str).unwrap_or("(untagged)").to_owned();
                surface.resources.entry(resource.clone()).or_insert(None);
                let upsert = op.contains_key("x-halo-upsert");
                let accessor = oj::snake_case(&resource);
                let rust_method = op
                    .str("x-halo-method")
                    .map(str::to_owned)
                    .unwrap_or_else(|| oj::snake_case(op.str("operationId").unwrap_or(method)));
                let call = if upsert {
                    format!("{accessor}().create()/update()")
                } else {
                    format!("{accessor}().{rust_method}()")
                };
                let mut params = Vec::new();
                let shared = item.get("parameters").and_then(Json::as_array);
                for param in shared.into_iter().flatten().chain(op.array("parameters").into_iter().flatten()) {
                    let (Some(name), Some(location)) =
                        (param.get("name").and_then(Json::as_str), param.get("in").and_then(Json::as_str))
                    else {
                        continue;
                    };
                    let ty = param.get("schema").map_or_else(|| "untyped".to_owned(), oj::type_label);
                    let required = param.get("required").and_then(Json::as_bool).unwrap_or(false);
                    params.push(Param { name: name.to_owned(), location: location.to_owned(), required, ty });
                }
                let body = json_schema(op.get("requestBody")).map(oj::type_label);
                let ok = success(op.object("responses"));
                let response_inferred = ok.is_some_and(|ok| ok.get(INFERRED).is_some());
                let response = match json_schema(ok) {
                    Some(schema) => Some(oj::type_label(schema)),
                    None if binary(ok) => Some("bytes".to_owned()),
                    None => None,
                };
                let mut refs = BTreeSet::new();
                for (_, value) in op.iter() {
                    oj::for_each_ref(value, &mut |r| {
                        if let Some(name) = schema_ref_name(r) {
                            refs.insert(name.to_owned());
                        }
                    });
                }
                let operation = Operation {
                    resource,
                    method: method.to_ascii_uppercase(),
                    path: path.to_owned(),
                    call,
                    upsert,
                    params,
                    body,
                    response,
                    response_inferred,
                    refs,
                };
                surface.operations.insert(route_key(method, path), operation);
            }
        }
        let schemas = spec.get("components").and_then(|c| c.get("schemas")).and_then(Json::as_object);
        for (name, schema) in schemas.into_iter().flat_map(Object::iter) {
            surface.models.insert(name.to_owned(), Model::of(schema));
        }
        surface
    }

    /// Which resource's models a schema belongs to: the one resource whose operations reach it, else `None`
    /// (shared, or used by no operation), as the generator splits `models/<resource>.rs` and `models/shared.rs`.
    pub fn owners(&self) -> BTreeMap<String, Option<String>> {
        let mut reached: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for operation in self.operations.values() {
            let mut stack: Vec<String> = operation.refs.iter().cloned().collect();
            let mut seen = BTreeSet::new();
            while let Some(name) = stack.pop() {
                if !seen.insert(name.clone()) {
                    continue;
                }
                reached.entry(name.clone()).or_default().insert(operation.resource.clone());
                if let Some(model) = self.models.get(&name) {
                    stack.extend(model.refs.iter().cloned());
                }
            }
        }
        self.models
            .keys()
            .map(|name| {
                let owner = reached.get(name).filter(|r| r.len() == 1).and_then(|r| r.first().cloned());
                (name.clone(), owner)
            })
            .collect()
    }
}

impl Model {
    fn of(schema: &Json) -> Model {
        let object = schema.as_object().cloned().unwrap_or_default();
        let mut bare = object.clone();
        bare.retain(|key, _| !matches!(key, "enum" | "properties" | "required" | "description" | INFERRED));
        let properties = object
            .object("properties")
            .into_iter()
            .flat_map(Object::iter)
            .map(|(name, property)| (name.to_owned(), oj::type_label(property)))
            .collect();
        let required =
            object.array("required").into_iter().flatten().filter_map(Json::as_str).map(str::to_owned).collect();
        let enum_values =
            object.array("enum").into_iter().flatten().map(|v| serde_json::to_string(v).unwrap_or_default()).collect();
        let names = object.array("x-enum-varnames");
        let enum_names = object
            .array("enum")
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, value)| {
                let given = names.and_then(|names| names.get(index)).and_then(Json::as_str)?;
                (!is_default_variant_name(value, given)).then(|| given.to_owned())
            })
            .collect();
        let mut refs = BTreeSet::new();
        oj::for_each_ref(schema, &mut |r| {
            if let Some(name) = schema_ref_name(r) {
                refs.insert(name.to_owned());
            }
        });
        Model {
            halo: object.str("x-halo-name").map(str::to_owned),
            list_key: object.str("x-halo-list-key").map(str::to_owned),
            shape: oj::type_label(&Json::Object(bare)),
            properties,
            required,
            enum_values,
            enum_names,
            inferred: object.contains_key(INFERRED),
            refs,
        }
    }
}

/// Whether `name` is what the generator calls `value` without `x-enum-varnames`: `Value3`, `ValueMinus1` for an
/// integer; the value itself in UpperCamelCase for a string (compared on letters and digits, ignoring case).
fn is_default_variant_name(value: &Json, name: &str) -> bool {
    let simple = |text: &str| -> String {
        text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
    };
    match value {
        Json::Number(number) => match number.as_i64() {
            Some(n) if n < 0 => name == format!("ValueMinus{}", n.unsigned_abs()),
            Some(n) => name == format!("Value{n}"),
            None => false,
        },
        Json::String(text) => simple(text) == simple(name),
        _ => false,
    }
}
