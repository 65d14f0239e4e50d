//! Serialize and Deserialize for the generated models, shared instead of derived per struct.
//!
//! A derive on a struct of 300 fields with `#[serde(flatten)]` made a release build of the crate take about 29
//! minutes (BENCHMARKS.md): serde buffers a flattened struct through its generic `Content`, and every struct got
//! its own field visitor and a `visit_map` with every field's decoding inlined, once per deserializer. Here the key
//! lookup, the duplicate check and the unknown-field map are compiled once per deserializer; a model only supplies
//! its sorted wire names and one small `match` that stores a field, and each field type is decoded by one
//! out-of-line function shared by every field of that type. The JSON is the same as the derive's: fields in
//! declaration order (`None` omitted), then the unknown fields; a missing field keeps its default, a repeated one is
//! an error, an unknown one is kept in `extra`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Unexpected, Visitor};
use serde::ser::{Serialize, SerializeMap};
use serde_json::{Map, Value};

/// A generated model: a struct of optional fields plus a map of the fields the spec does not describe.
#[allow(dead_code)] // generated code calls it only if the spec has a model with fields
pub(crate) trait Model: Default {
    /// What a decode error says was expected (`struct Agent`).
    const EXPECTING: &'static str;
    /// The wire names of the fields, sorted (byte order) for the binary search; a field's index is its position.
    const FIELDS: &'static [&'static str];
    /// Decodes the next value of `map` into the field `FIELDS[index]`.
    fn decode_field<'de, A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error>;
    /// The map of fields the spec does not describe.
    fn extra_mut(&mut self) -> &mut Map<String, Value>;
}

/// `Deserialize::deserialize` of every model: a JSON object, fields by name, unknown ones into `extra`.
#[allow(dead_code)] // generated code calls it only if the spec has a model with fields
pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Model>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(ModelVisitor(PhantomData))
}

struct ModelVisitor<T>(PhantomData<T>);

impl<'de, T: Model> Visitor<'de> for ModelVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        let mut seen = Seen::new(T::FIELDS.len());
        while let Some(key) = map.next_key_seed(KeySeed { fields: T::FIELDS, seen: &mut seen })? {
            match key {
                Key::Field(index) => out.decode_field(index, &mut map)?,
                Key::Other(name) => {
                    let value: Value = map.next_value()?;
                    out.extra_mut().insert(name, value);
                }
            }
        }
        Ok(out)
    }
}

/// Which fields a map has set already, so a repeated key is an error (as with serde's derive).
struct Seen(Vec<u64>);

impl Seen {
    fn new(fields: usize) -> Self {
        Seen(vec![0; fields.div_ceil(64)])
    }

    /// Marks `index`; false if it was marked already.
    fn insert(&mut self, index: usize) -> bool {
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        let first = self.0[word] & bit == 0;
        self.0[word] |= bit;
        first
    }
}

enum Key {
    Field(usize),
    Other(String),
}

/// Decodes a key: a known field's index, or the name of an unknown field (owned, because `extra` keeps it).
struct KeySeed<'a> {
    fields: &'static [&'static str],
    seen: &'a mut Seen,
}

impl KeySeed<'_> {
    fn field<E: de::Error>(self, name: &str) -> Result<Option<usize>, E> {
        match self.fields.binary_search(&name) {
            Ok(index) if self.seen.insert(index) => Ok(Some(index)),
            Ok(index) => Err(E::duplicate_field(self.fields[index])),
            Err(_) => Ok(None),
        }
    }
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(match self.field(name)? {
            Some(index) => Key::Field(index),
            None => Key::Other(name.to_owned()),
        })
    }

    fn visit_string<E: de::Error>(self, name: String) -> Result<Key, E> {
        Ok(match self.field(&name)? {
            Some(index) => Key::Field(index),
            None => Key::Other(name),
        })
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<Key, E> {
        match std::str::from_utf8(name) {
            Ok(name) => self.visit_str(name),
            Err(_) => Err(E::invalid_value(Unexpected::Bytes(name), &self)),
        }
    }
}

// One out-of-line function per field type (and deserializer), called by every field of that type: keeping the
// decoding out of each model's `match` is what keeps a release build fast. The call costs nothing next to parsing.

/// Decodes a field's value.
#[inline(never)]
#[allow(dead_code)] // generated code calls it only if the spec has a model with fields
pub(crate) fn value<'de, A: MapAccess<'de>, T: de::Deserialize<'de>>(map: &mut A) -> Result<T, A::Error> {
    map.next_value()
}

macro_rules! lenient_fields {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {$(
        $(#[$doc])*
        // Which of these the models use depends on the spec and on the features a consumer picks.
        #[allow(dead_code)]
        #[inline(never)]
        pub(crate) fn $name<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<$ty>, A::Error> {
            struct Lenient(Option<$ty>);
            impl<'de> de::Deserialize<'de> for Lenient {
                fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    super::lenient::$name(deserializer).map(Lenient)
                }
            }
            map.next_value::<Lenient>().map(|lenient| lenient.0)
        }
    )*};
}

lenient_fields! {
    /// Decodes an `Option<bool>` field with [`super::lenient::opt_bool`].
    opt_bool: bool;
    /// Decodes an `Option<i32>` field with [`super::lenient::opt_i32`].
    opt_i32: i32;
    /// Decodes an `Option<i64>` field with [`super::lenient::opt_i64`].
    opt_i64: i64;
    /// Decodes an `Option<f64>` field with [`super::lenient::opt_f64`].
    opt_f64: f64;
}

/// Writes a field that is always sent.
#[allow(dead_code)] // only models with a required field use it, and a feature set may have none
#[inline(never)]
pub(crate) fn entry<M: SerializeMap, T: Serialize + ?Sized>(
    map: &mut M,
    name: &'static str,
    value: &T,
) -> Result<(), M::Error> {
    map.serialize_entry(name, value)
}

/// Writes an optional field. `None` is left out (Halo blanks a field it is sent as `null`), unless the model's
/// `extra` holds a `null` under the field's name: that is how `clear_<field>()` asks for an explicit `null`.
#[inline(never)]
#[allow(dead_code)] // generated code calls it only if the spec has a model with optional fields
pub(crate) fn opt_entry<M: SerializeMap, T: Serialize>(
    map: &mut M,
    name: &'static str,
    value: &Option<T>,
    extra: &Map<String, Value>,
) -> Result<(), M::Error> {
    match value {
        Some(value) => map.serialize_entry(name, value),
        None if !extra.is_empty() && extra.get(name).is_some_and(Value::is_null) => {
            map.serialize_entry(name, &Value::Null)
        }
        None => Ok(()),
    }
}

/// Writes the fields the spec does not describe, after the others, as they came. An entry named like one of the
/// model's own `fields` (sorted) was written with that field (a cleared field's `null`), so it is skipped: a key is
/// never sent twice.
#[allow(dead_code)] // generated code calls it only if the spec has a model with fields
pub(crate) fn extra<M: SerializeMap>(map: &mut M, extra: &Map<String, Value>, fields: &[&str]) -> Result<(), M::Error> {
    extra
        .iter()
        .filter(|(name, _)| fields.binary_search(&name.as_str()).is_err())
        .try_for_each(|(name, value)| map.serialize_entry(name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model as the generator writes one: `id` (lenient), `name` and `active` (lenient), then `extra`.
    #[derive(Debug, Default, PartialEq)]
    struct Thing {
        id: Option<i32>,
        name: Option<String>,
        active: Option<bool>,
        tags: Vec<String>,
        extra: Map<String, Value>,
    }

    impl Serialize for Thing {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(None)?;
            opt_entry(&mut map, "id", &self.id, &self.extra)?;
            opt_entry(&mut map, "name", &self.name, &self.extra)?;
            opt_entry(&mut map, "active", &self.active, &self.extra)?;
            entry(&mut map, "tags", &self.tags)?;
            extra(&mut map, &self.extra, Self::FIELDS)?;
            map.end()
        }
    }

    impl<'de> de::Deserialize<'de> for Thing {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize(deserializer)
        }
    }

    impl Model for Thing {
        const EXPECTING: &'static str = "struct Thing";
        const FIELDS: &'static [&'static str] = &["active", "id", "name", "tags"];
        fn decode_field<'de, A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
            match index {
                0 => self.active = opt_bool(map)?,
                1 => self.id = opt_i32(map)?,
                2 => self.name = value(map)?,
                3 => self.tags = value(map)?,
                _ => {}
            }
            Ok(())
        }
        fn extra_mut(&mut self) -> &mut Map<String, Value> {
            &mut self.extra
        }
    }

    fn decode(json: &str) -> Result<Thing, String> {
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    #[test]
    fn fields_by_name_leniently_and_unknown_ones_kept() {
        let thing = decode(r#"{"zeta": 1, "id": "21", "active": 1, "name": "Jo", "alpha": {"a": [1]}}"#).unwrap();
        assert_eq!(thing.id, Some(21));
        assert_eq!(thing.active, Some(true));
        assert_eq!(thing.name.as_deref(), Some("Jo"));
        assert!(thing.tags.is_empty(), "a missing field keeps its default");
        // serde_json's `Map` keeps keys sorted (as it did behind `#[serde(flatten)]`).
        assert_eq!(thing.extra.keys().collect::<Vec<_>>(), ["alpha", "zeta"]);
        assert_eq!(
            serde_json::to_string(&thing).unwrap(),
            r#"{"id":21,"name":"Jo","active":true,"tags":[],"alpha":{"a":[1]},"zeta":1}"#,
            "fields in declaration order, None omitted, then the unknown fields"
        );
    }

    #[test]
    fn a_null_in_extra_under_a_field_name_sends_that_field_as_null_once() {
        let mut thing = Thing { id: Some(1), ..Thing::default() };
        thing.extra.insert("name".to_owned(), Value::Null);
        thing.extra.insert("other".to_owned(), Value::Null);
        assert_eq!(
            serde_json::to_string(&thing).unwrap(),
            r#"{"id":1,"name":null,"tags":[],"other":null}"#,
            "the cleared field in its place, unknown fields as they came"
        );
        thing.name = Some("Jo".to_owned());
        assert_eq!(
            serde_json::to_string(&thing).unwrap(),
            r#"{"id":1,"name":"Jo","tags":[],"other":null}"#,
            "a value set after the clear is sent instead, and the key only once"
        );
        thing.extra.insert("active".to_owned(), Value::Bool(true));
        assert!(!serde_json::to_string(&thing).unwrap().contains("active"), "only a null asks for a field");
    }

    #[test]
    fn escaped_and_owned_keys_find_their_field() {
        // `\u0069d` is `id`: serde_json hands an escaped key over as a transient string.
        assert_eq!(decode(r#"{"\u0069d": 7}"#).unwrap().id, Some(7));
        let value = serde_json::json!({"id": 8, "other": null});
        let thing: Thing = serde_json::from_value(value).unwrap();
        assert_eq!(thing.id, Some(8));
        assert_eq!(thing.extra.get("other"), Some(&Value::Null));
    }

    #[test]
    fn nulls_are_none_and_an_empty_object_is_the_default() {
        assert_eq!(decode(r#"{"id": null, "name": null, "active": ""}"#).unwrap(), Thing::default());
        assert_eq!(decode("{}").unwrap(), Thing::default());
    }

    #[test]
    fn errors_say_what_was_expected_and_where() {
        assert_eq!(decode(r#"{"id": 1, "id": 2}"#).unwrap_err(), "duplicate field `id` at line 1 column 14");
        assert_eq!(decode("[1]").unwrap_err(), "invalid type: sequence, expected struct Thing at line 1 column 0");
        let error = decode(r#"{"id": "x"}"#).unwrap_err();
        assert!(error.contains("an integer in the i32 range"), "{error}");
        let deserializer = &mut serde_json::Deserializer::from_str(r#"{"name": "Jo", "tags": ["a", 2]}"#);
        let error = serde_path_to_error::deserialize::<_, Thing>(deserializer).unwrap_err();
        assert_eq!(error.path().to_string(), "tags[1]");
    }
}
