//! The spec conventions (ARCHITECTURE.md, "Spec conventions"): extension names and the lookups `validate` and
//! `lower` share, so both stages read the spec the same way.

use indexmap::IndexMap;
use openapiv3::{
    MediaType, OpenAPI, Operation, Parameter, PathItem, ReferenceOr, RequestBody, Response, Schema, SchemaKind,
    StatusCode, Type,
};

/// The Rust method name of an operation on its resource accessor.
pub const METHOD: &str = "x-halo-method";
/// Marks Halo's create-or-update POST: `{"id": "<id property>"}`.
pub const UPSERT: &str = "x-halo-upsert";
/// On a list wrapper schema: the property holding the items (`agents`).
pub const LIST_KEY: &str = "x-halo-list-key";
/// On a record's schema: the properties that together identify a record in a listing (`["ticket_id", "id"]`), when
/// `id` alone does not (ids unique only within a parent, rows listed with `id: 0`). Absent: `id`.
pub const KEY: &str = "x-halo-key";
/// Halo's internal name of a schema or tag (`Uname`).
pub const HALO_NAME: &str = "x-halo-name";
/// On an operation: `true` when sending it twice has the effect of sending it once (a POST that only sets state),
/// `false` for a GET, PUT or DELETE that is not; decides which failures the client retries.
pub const IDEMPOTENT: &str = "x-halo-idempotent";
/// On a tag: `false` keeps the resource's cargo feature out of `default` (absent: in `default`).
pub const DEFAULT_FEATURE: &str = "x-halo-default";
/// On a tag: `true` puts the resource in the imported tier (Halo's swagger as it is, not curated): its cargo feature
/// is `unstable-<module>`, off by default and outside the crate's semver promise, and its docs say so. The tags of
/// `spec/imported.json` carry it.
pub const IMPORTED: &str = "x-halo-imported";
/// The prefix of an imported resource's cargo feature: `unstable-` is how Rust marks features outside a crate's
/// semver promise (cargo-semver-checks ignores them, and does not report their removal).
pub const IMPORTED_FEATURE_PREFIX: &str = "unstable-";
/// At the top level: umbrella cargo features, `[{"name": "sales", "description": "...", "tags": ["Quotes", ...]}]`,
/// each enabling the features of the resources it lists.
pub const FEATURE_GROUPS: &str = "x-halo-feature-groups";
/// On an enum schema: the Rust names of the values, one per value of `enum` (openapi-generator's extension).
pub const ENUM_VARNAMES: &str = "x-enum-varnames";
/// On an enum schema: what each value means, one per value of `enum` (openapi-generator's extension).
pub const ENUM_DESCRIPTIONS: &str = "x-enum-descriptions";

/// The scopes an operation accepts, any one of which is enough (its `security`, else the document's): every scope of
/// its requirement objects, in document order, once each. Empty when one requirement asks for no scope at all (any
/// token will do) or there is none (no token needed): then no particular scope is needed.
pub fn accepted_scopes(model: &OpenAPI, operation: &Operation) -> Vec<String> {
    let requirements = operation.security.as_ref().or(model.security.as_ref());
    let mut scopes: Vec<String> = Vec::new();
    for requirement in requirements.into_iter().flatten() {
        let needed: Vec<&String> = requirement.values().flatten().collect();
        if needed.is_empty() {
            return Vec::new();
        }
        for scope in needed {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
    }
    scopes
}

/// The operations of a path item that the generator supports, in a fixed order.
pub fn operations(item: &PathItem) -> Vec<(&'static str, &Operation)> {
    [("get", &item.get), ("put", &item.put), ("post", &item.post), ("patch", &item.patch), ("delete", &item.delete)]
        .into_iter()
        .filter_map(|(method, operation)| operation.as_ref().map(|operation| (method, operation)))
        .collect()
}

/// The `{name}`s of a path template, in order.
pub fn path_template_params(path: &str) -> Vec<&str> {
    path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
}

/// The name in `#/components/schemas/<name>`.
pub fn schema_ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

/// A schema in `components/schemas`, by `$ref`.
pub fn component_schema<'s>(model: &'s OpenAPI, reference: &str) -> Option<&'s Schema> {
    let name = schema_ref_name(reference)?;
    match model.components.as_ref()?.schemas.get(name)? {
        ReferenceOr::Item(schema) => Some(schema),
        // A component that is itself a reference: follow it once (deeper chains are not worth supporting).
        ReferenceOr::Reference { reference } => {
            match model.components.as_ref()?.schemas.get(schema_ref_name(reference)?)? {
                ReferenceOr::Item(schema) => Some(schema),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }
}

/// A schema in `components/schemas`, by name.
pub fn schema_by_name<'s>(model: &'s OpenAPI, name: &str) -> Option<&'s Schema> {
    component_schema(model, &format!("#/components/schemas/{name}"))
}

/// A parameter in `components/parameters`, by `$ref`.
pub fn component_parameter<'s>(model: &'s OpenAPI, reference: &str) -> Option<&'s Parameter> {
    let name = reference.strip_prefix("#/components/parameters/")?;
    model.components.as_ref()?.parameters.get(name)?.as_item()
}

/// A request body in `components/requestBodies`, by `$ref`.
pub fn component_request_body<'s>(model: &'s OpenAPI, reference: &str) -> Option<&'s RequestBody> {
    let name = reference.strip_prefix("#/components/requestBodies/")?;
    model.components.as_ref()?.request_bodies.get(name)?.as_item()
}

/// A response in `components/responses`, by `$ref`.
pub fn component_response<'s>(model: &'s OpenAPI, reference: &str) -> Option<&'s Response> {
    let name = reference.strip_prefix("#/components/responses/")?;
    model.components.as_ref()?.responses.get(name)?.as_item()
}

/// Whether `typ` is one of OpenAPI 3.0's types.
pub fn is_openapi_type(typ: &str) -> bool {
    matches!(typ, "integer" | "number" | "string" | "boolean" | "array" | "object")
}

/// How to fix a type Halo's swagger uses that OpenAPI does not have.
pub fn type_hint(typ: &str) -> String {
    let fix = match typ {
        "int" | "long" | "int32" | "int64" => "`\"type\": \"integer\", \"format\": \"int32\"`",
        "bool" => "`\"type\": \"boolean\"`",
        "double" | "float" | "decimal" => "`\"type\": \"number\", \"format\": \"double\"`",
        "DateTime" | "datetime" | "date" => "`\"type\": \"string\", \"format\": \"date-time\"`",
        t if t.starts_with("List<") => {
            "`\"type\": \"array\", \"items\": {\"type\": \"integer\"}` with `\"explode\": false` (sent comma-separated)"
        }
        _ => "one of integer, number, string, boolean, array, object",
    };
    format!("use {fix}")
}

/// The JSON media type of a body or response: `application/json` first, then other JSON types.
/// `application/json-patch+json` is never chosen: Halo lists it first, but it means something else.
pub fn json_media(content: &IndexMap<String, MediaType>) -> Option<(&str, &MediaType)> {
    if let Some((media, content)) = content.get_key_value("application/json") {
        return Some((media.as_str(), content));
    }
    content
        .iter()
        .find(|(media, _)| (media.ends_with("+json") || media.as_str() == "text/json") && !media.contains("json-patch"))
        .map(|(media, content)| (media.as_str(), content))
}

/// Whether a response is raw bytes (`image/*`, `application/octet-stream`).
pub fn is_binary(content: &IndexMap<String, MediaType>) -> bool {
    content.keys().any(|media| media.starts_with("image/") || media == "application/octet-stream")
}

/// The id property named by an upsert marker: `{"id": "id"}`, or `true` for the default `id`.
pub fn upsert_id(value: &serde_json::Value) -> Option<&str> {
    match value {
        serde_json::Value::Bool(true) => Some("id"),
        serde_json::Value::Object(object) => object.get("id")?.as_str(),
        _ => None,
    }
}

/// What `x-halo-idempotent` says of an operation.
pub enum Idempotency<'a> {
    /// `true` or `false`.
    Always(bool),
    /// `{"when_items_have": "<property>"}`: idempotent when every item of the array body has this boolean property
    /// set to `true` (a report sent with `_loadreportonly` only runs; without it, it is saved).
    WhenItemsHave(&'a str),
}

/// The key of the conditional form of `x-halo-idempotent`.
pub const WHEN_ITEMS_HAVE: &str = "when_items_have";

/// `x-halo-idempotent`'s value, when it is one of its two forms.
pub fn idempotency(value: &serde_json::Value) -> Option<Idempotency<'_>> {
    match value {
        serde_json::Value::Bool(flag) => Some(Idempotency::Always(*flag)),
        serde_json::Value::Object(object) if object.len() == 1 => {
            object.get(WHEN_ITEMS_HAVE)?.as_str().filter(|name| !name.is_empty()).map(Idempotency::WhenItemsHave)
        }
        _ => None,
    }
}

/// Whether a property is a boolean (inline or through a `$ref`).
pub fn is_boolean(model: &OpenAPI, property: &ReferenceOr<Box<Schema>>) -> bool {
    let schema = match property {
        ReferenceOr::Item(schema) => schema.as_ref(),
        ReferenceOr::Reference { reference } => match component_schema(model, reference) {
            Some(schema) => schema,
            None => return false,
        },
    };
    matches!(schema.schema_kind, SchemaKind::Type(Type::Boolean(_)))
}

/// The schema name of the items of an array body (`{"type": "array", "items": {"$ref": ...}}`).
pub fn array_item_ref<'s>(model: &OpenAPI, schema: &'s ReferenceOr<Schema>) -> Option<&'s str> {
    let ReferenceOr::Item(schema) = schema else { return None };
    let SchemaKind::Type(Type::Array(array)) = &schema.schema_kind else { return None };
    let name = array.items.as_ref().and_then(ref_str).and_then(schema_ref_name)?;
    schema_by_name(model, name).map(|_| name)
}

/// Like [`array_item_ref`], for a property.
pub fn array_item_ref_boxed(property: &ReferenceOr<Box<Schema>>) -> Option<&str> {
    let ReferenceOr::Item(schema) = property else { return None };
    let SchemaKind::Type(Type::Array(array)) = &schema.schema_kind else { return None };
    array.items.as_ref().and_then(ref_str).and_then(schema_ref_name)
}

/// A property of an object schema.
pub fn property<'s>(schema: &'s Schema, name: &str) -> Option<&'s ReferenceOr<Box<Schema>>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => object.properties.get(name),
        SchemaKind::Any(any) => any.properties.get(name),
        _ => None,
    }
}

/// Whether a property is an integer (directly or through a `$ref`).
pub fn is_integer(model: &OpenAPI, property: &ReferenceOr<Box<Schema>>) -> bool {
    let schema = match property {
        ReferenceOr::Item(schema) => schema.as_ref(),
        ReferenceOr::Reference { reference } => match component_schema(model, reference) {
            Some(schema) => schema,
            None => return false,
        },
    };
    matches!(schema.schema_kind, SchemaKind::Type(Type::Integer(_)))
}

/// The success response: `200`, else `201`, else the lowest other 2xx, else `default`.
pub fn success_response(operation: &Operation) -> Option<(String, &ReferenceOr<Response>)> {
    let responses = &operation.responses.responses;
    let mut codes: Vec<u16> = responses
        .keys()
        .filter_map(|code| match code {
            StatusCode::Code(code) if (200..300).contains(code) => Some(*code),
            _ => None,
        })
        .collect();
    codes.sort_by_key(|code| match code {
        200 => 0,
        201 => 1,
        other => *other,
    });
    if let Some(code) = codes.first() {
        return Some((code.to_string(), &responses[&StatusCode::Code(*code)]));
    }
    operation.responses.default.as_ref().map(|response| ("default".to_owned(), response))
}

/// A list response `oneOf: [{$ref: XList}, {type: array, items: {$ref: X}}]` (either order): `(XList, X)`.
pub fn list_response<'s>(model: &OpenAPI, schema: &'s ReferenceOr<Schema>) -> Option<(&'s str, &'s str)> {
    let ReferenceOr::Item(Schema { schema_kind: SchemaKind::OneOf { one_of }, .. }) = schema else { return None };
    if one_of.len() != 2 {
        return None;
    }
    let wrapper = one_of.iter().find_map(ref_str).and_then(schema_ref_name)?;
    let item = one_of.iter().find_map(|s| array_item_ref(model, s))?;
    let wrapper_schema = schema_by_name(model, wrapper)?;
    let key = wrapper_schema.schema_data.extensions.get(LIST_KEY)?.as_str()?;
    let wrapped_item = property(wrapper_schema, key).and_then(array_item_ref_boxed)?;
    (wrapped_item == item).then_some((wrapper, item))
}

/// The `$ref` string of a reference, or `None` for an inline item.
pub fn ref_str<T>(value: &ReferenceOr<T>) -> Option<&str> {
    match value {
        ReferenceOr::Reference { reference } => Some(reference),
        ReferenceOr::Item(_) => None,
    }
}
