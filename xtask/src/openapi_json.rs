//! An order-preserving JSON value for the spec tools (`import`, `api-diff`), and the few OpenAPI lookups they share.
//!
//! Why not `serde_json::Value`: without serde_json's `preserve_order` feature its maps are sorted, so reading and
//! writing the curated spec would reorder every key, and struct fields follow property order. Turning the feature on
//! would flip key order for the whole workspace (cargo unifies features). So objects here are a `Vec` of entries in
//! document order, and printing reproduces serde_json's pretty format (2-space indent) plus a trailing newline: a spec
//! written in that format reads and writes back byte for byte.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json reads it.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, in document order.
    Object(Object),
}

/// A JSON object: its entries in document order. Keys are unique (a repeated key replaces the value in place).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    entries: Vec<(String, Json)>,
}

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Object::default()
    }

    /// Builder form of [`Object::insert`].
    pub fn with(mut self, key: &str, value: impl Into<Json>) -> Self {
        self.insert(key, value);
        self
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The string value of `key`.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }

    /// The object value of `key`.
    pub fn object(&self, key: &str) -> Option<&Object> {
        self.get(key).and_then(Json::as_object)
    }

    /// The object value of `key`, mutably.
    pub fn object_mut(&mut self, key: &str) -> Option<&mut Object> {
        self.get_mut(key).and_then(Json::as_object_mut)
    }

    /// The array value of `key`.
    pub fn array(&self, key: &str) -> Option<&Vec<Json>> {
        self.get(key).and_then(Json::as_array)
    }

    /// The object under `key`, created (at the end) if missing or not an object.
    pub fn object_entry(&mut self, key: &str) -> &mut Object {
        if !matches!(self.get(key), Some(Json::Object(_))) {
            self.insert(key, Object::new());
        }
        self.object_mut(key).expect("just inserted")
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The index of `key`.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    /// Sets `key`: replaces the value in place when present, else appends. Returns the old value.
    pub fn insert(&mut self, key: &str, value: impl Into<Json>) -> Option<Json> {
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, old)) => Some(std::mem::replace(old, value)),
            None => {
                self.entries.push((key.to_owned(), value));
                None
            }
        }
    }

    /// Inserts a new `key` at `index` (replacing in place if it exists already).
    pub fn insert_at(&mut self, index: usize, key: &str, value: impl Into<Json>) {
        if let Some(old) = self.get_mut(key) {
            *old = value.into();
            return;
        }
        let index = index.min(self.entries.len());
        self.entries.insert(index, (key.to_owned(), value.into()));
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let index = self.position(key)?;
        Some(self.entries.remove(index).1)
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The entries, in order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Json)> {
        self.entries.iter_mut().map(|(k, v)| (k.as_str(), &mut *v))
    }

    /// Keeps the entries for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &Json) -> bool) {
        self.entries.retain(|(k, v)| keep(k, v));
    }

    /// Renames `old` to `new` in place (no-op when `old` is missing).
    pub fn rename(&mut self, old: &str, new: &str) {
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| k == old) {
            entry.0 = new.to_owned();
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Json {
    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The object, mutably, if this is one.
    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(array) => Some(array),
            _ => None,
        }
    }

    /// The array, mutably, if this is one.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Json>> {
        match self {
            Json::Array(array) => Some(array),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(text) => Some(text),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(value) => Some(*value),
            _ => None,
        }
    }

    /// A member of an object (`None` for anything else).
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?.get(key)
    }

    /// The value at a JSON pointer (`/paths/~1Agent/get`).
    pub fn pointer(&self, pointer: &str) -> Option<&Json> {
        if pointer.is_empty() {
            return Some(self);
        }
        pointer.strip_prefix('/')?.split('/').try_fold(self, |value, token| {
            let token = token.replace("~1", "/").replace("~0", "~");
            match value {
                Json::Object(object) => object.get(&token),
                Json::Array(array) => array.get(token.parse::<usize>().ok()?),
                _ => None,
            }
        })
    }
}

impl From<&str> for Json {
    fn from(text: &str) -> Self {
        Json::String(text.to_owned())
    }
}

impl From<String> for Json {
    fn from(text: String) -> Self {
        Json::String(text)
    }
}

impl From<bool> for Json {
    fn from(value: bool) -> Self {
        Json::Bool(value)
    }
}

impl From<i64> for Json {
    fn from(value: i64) -> Self {
        Json::Number(value.into())
    }
}

impl From<Object> for Json {
    fn from(object: Object) -> Self {
        Json::Object(object)
    }
}

impl From<Vec<Json>> for Json {
    fn from(array: Vec<Json>) -> Self {
        Json::Array(array)
    }
}

/// Parses JSON text, keeping object key order.
pub fn parse(text: &str) -> Result<Json, serde_json::Error> {
    serde_json::from_str(text)
}

/// Prints `value` as serde_json's pretty printer does (2-space indent, `": "`), with a trailing newline.
pub fn to_pretty(value: &Json) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a Json value always serializes");
    text.push('\n');
    text
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Json, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(value).map(Json::Number).ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Json, E> {
        Ok(Json::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Json, E> {
        Ok(Json::String(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut array = Vec::new();
        while let Some(value) = seq.next_element()? {
            array.push(value);
        }
        Ok(Json::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        // serde_json hands entries over in document order; that order is what this type exists to keep.
        let mut object = Object::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            object.insert(&key, value);
        }
        Ok(Json::Object(object))
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(value) => serializer.serialize_bool(*value),
            Json::Number(number) => number.serialize(serializer),
            Json::String(text) => serializer.serialize_str(text),
            Json::Array(array) => {
                let mut seq = serializer.serialize_seq(Some(array.len()))?;
                for value in array {
                    seq.serialize_element(value)?;
                }
                seq.end()
            }
            Json::Object(object) => {
                let mut map = serializer.serialize_map(Some(object.len()))?;
                for (key, value) in object.iter() {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// The name in `#/components/schemas/<name>`.
pub fn schema_ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

/// `#/components/schemas/<name>`.
pub fn schema_ref(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

/// The HTTP methods an OpenAPI path item may hold, in the order the spec tools walk them.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/// A route key that ignores case and path-parameter names: `/Agent/{id}` and `/agent/{agent_id}` are one route
/// (Halo's routes are case-insensitive, and a renamed path parameter is the same endpoint).
pub fn route_key(method: &str, path: &str) -> String {
    let mut key = method.to_ascii_lowercase();
    key.push(' ');
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                key.push('{');
            }
            '}' => {
                in_param = false;
                key.push('}');
            }
            _ if in_param => {}
            _ => key.push(c.to_ascii_lowercase()),
        }
    }
    key.trim_end_matches('/').to_owned()
}

/// A short, comparable description of a schema's type: `integer (int32)`, `array of string`, `Agent`,
/// `boolean, nullable`, `oneOf [AgentList, array of Agent]`. Two schemas with the same label generate the same Rust
/// type (descriptions and other documentation keywords do not count).
pub fn type_label(schema: &Json) -> String {
    type_label_with(schema, &|name| name.to_owned())
}

/// Like [`type_label`], naming referenced schemas through `rename` (to compare across documents).
pub fn type_label_with(schema: &Json, rename: &dyn Fn(&str) -> String) -> String {
    let Some(object) = schema.as_object() else { return "untyped".to_owned() };
    let mut label = if let Some(reference) = object.str("$ref") {
        match schema_ref_name(reference) {
            Some(name) => rename(name),
            None => reference.to_owned(),
        }
    } else if let Some(one_of) = object.array("oneOf") {
        let labels: Vec<String> = one_of.iter().map(|s| type_label_with(s, rename)).collect();
        format!("oneOf [{}]", labels.join(", "))
    } else {
        match object.str("type") {
            Some("array") => match object.get("items") {
                Some(items) => format!("array of {}", type_label_with(items, rename)),
                None => "array".to_owned(),
            },
            Some("object") if object.get("properties").is_none() => match object.get("additionalProperties") {
                Some(Json::Object(values)) if !values.is_empty() => {
                    format!("map of {}", type_label_with(&Json::Object(values.clone()), rename))
                }
                _ => "object".to_owned(),
            },
            Some(typ) => match object.str("format") {
                Some(format) => format!("{typ} ({format})"),
                None => typ.to_owned(),
            },
            None if object.get("properties").is_some() => "object".to_owned(),
            None => "untyped".to_owned(),
        }
    };
    if let Some(values) = object.array("enum") {
        let values: Vec<String> = values.iter().map(|v| serde_json::to_string(v).unwrap_or_default()).collect();
        label.push_str(&format!(" enum [{}]", values.join(", ")));
    }
    if object.get("nullable").and_then(Json::as_bool) == Some(true) {
        label.push_str(", nullable");
    }
    label
}

/// Calls `visit` on every `$ref` string below `value`.
pub fn for_each_ref(value: &Json, visit: &mut dyn FnMut(&str)) {
    match value {
        Json::Object(object) => {
            for (key, member) in object.iter() {
                match (key, member) {
                    ("$ref", Json::String(reference)) => visit(reference),
                    _ => for_each_ref(member, visit),
                }
            }
        }
        Json::Array(array) => array.iter().for_each(|member| for_each_ref(member, visit)),
        _ => {}
    }
}

/// Rewrites every `$ref` string below `value`.
pub fn rewrite_refs(value: &mut Json, rewrite: &mut dyn FnMut(&str) -> String) {
    match value {
        Json::Object(object) => {
            for (key, member) in object.iter_mut() {
                match member {
                    Json::String(reference) if key == "$ref" => *reference = rewrite(reference),
                    _ => rewrite_refs(member, rewrite),
                }
            }
        }
        Json::Array(array) => array.iter_mut().for_each(|member| rewrite_refs(member, rewrite)),
        _ => {}
    }
}

/// Splits a name into words at non-alphanumerics and case changes: `ClearCache` → `Clear Cache`, `AWSDetails` →
/// `AWS Details`, `create-webhook` → `create webhook`.
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|part| !part.is_empty()) {
        let chars: Vec<char> = part.chars().collect();
        let mut current = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let boundary = i > 0 && c.is_ascii_uppercase() && {
                let previous = chars[i - 1];
                let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                previous.is_ascii_lowercase()
                    || previous.is_ascii_digit()
                    || (previous.is_ascii_uppercase() && next_is_lower)
            };
            if boundary && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
        if !current.is_empty() {
            words.push(current);
        }
    }
    words
}

/// `snake_case` of a name (`ClearCache` → `clear_cache`).
pub fn snake_case(text: &str) -> String {
    words(text).iter().map(|word| word.to_ascii_lowercase()).collect::<Vec<_>>().join("_")
}

/// `PascalCase` of a name, keeping the inner case of each word (`clear-cache` → `ClearCache`, `AWSDetails` stays).
pub fn pascal_case(text: &str) -> String {
    words(text)
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase()).into_iter();
            first.chain(chars).collect::<String>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_round_trips() {
        let text = "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null,\n    1.5,\n    \"x\\n\"\n  ],\n  \"e\": {},\n  \"f\": []\n}\n";
        let value = parse(text).unwrap();
        assert_eq!(value.as_object().unwrap().keys().collect::<Vec<_>>(), ["b", "a", "e", "f"]);
        assert_eq!(to_pretty(&value), text);
    }

    #[test]
    fn pointer_and_route_key() {
        let value = parse(r#"{"paths": {"/Agent/{id}": {"get": 1}}}"#).unwrap();
        assert_eq!(value.pointer("/paths/~1Agent~1{id}/get"), Some(&Json::from(1)));
        assert_eq!(route_key("GET", "/Agent/{id}"), route_key("get", "/agent/{agent_id}/"));
        assert_ne!(route_key("get", "/Agent"), route_key("post", "/Agent"));
    }

    #[test]
    fn case_conversions() {
        assert_eq!(snake_case("ClearCache"), "clear_cache");
        assert_eq!(snake_case("AWSDetails"), "aws_details");
        assert_eq!(snake_case("create-webhook"), "create_webhook");
        assert_eq!(pascal_case("create-webhook"), "CreateWebhook");
        assert_eq!(pascal_case("me"), "Me");
        assert_eq!(pascal_case("N-Central"), "NCentral");
    }

    #[test]
    fn type_labels() {
        let label = |text: &str| type_label(&parse(text).unwrap());
        assert_eq!(label(r#"{"type": "integer", "format": "int32", "nullable": true}"#), "integer (int32), nullable");
        assert_eq!(label(r##"{"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}"##), "array of Agent");
        assert_eq!(label(r#"{"nullable": true}"#), "untyped, nullable");
    }
}
