//! What every generated model does, written once: `Serialize`, `Deserialize`, `Debug`, `PartialEq`, explicit nulls
//! (`clear`) and values of the wrong type (type drift), instead of code per model and per field.
//!
//! A model contributes its wire names (`FIELDS`, in declaration order; `SORTED`, their order by name for the binary
//! search of a key), one line per field that hands the field to a visitor (`fields`: serialize, debug, compare),
//! and one `match` arm per field that hands it to an operation (`field_mut`: decode, clear). Everything else is
//! generic code here, compiled once per field type and deserializer, not once per field: serde's derive with
//! `#[serde(flatten)]` made a release build take half an hour (BENCHMARKS.md), and per-field methods and derived
//! `Debug`/`PartialEq` were most of the crate's `cargo check` time.
//!
//! **Type drift.** Halo's types change between versions (an older Halo sends `role_id: "string"` where the spec
//! says integer). Every field is decoded in one pass by a visitor that accepts any JSON value: a value of the
//! field's type (leniently: `"21"` for an integer) is stored; any other value leaves the field `None`, is kept in
//! the model's private side table ([`Kept`]) and is sent back unchanged by `Serialize` unless the caller sets the
//! field. This holds at any depth: a nested model, an enum, an array whose element has the wrong type. The client
//! decodes each answer inside [`decoding`], which logs one `tracing` warning per model field and answer (how many
//! records), or, with `ClientBuilder::strict_decoding`, fails naming the field. Outside the client (a caller's own
//! `serde_json::from_str`), the warning is logged once per model field and process.

use std::any::Any;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Mutex, PoisonError};

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// A generated model: a struct of fields plus the map of fields the spec does not describe and the side table.
pub(crate) trait Model: Default + Clone + Parts + 'static {
    /// The model's name, for messages (`Agent`).
    const NAME: &'static str;
    /// The wire names of the fields in declaration order: a field's index (and its `<Model>Field` discriminant).
    const FIELDS: &'static [&'static str];
    /// The indices of `FIELDS` sorted by wire name (byte order), for the binary search of a key.
    const SORTED: &'static [u16];
    /// Hands every field to `visit`, in declaration order.
    fn fields<'a, V: Visit<'a>>(&'a self, visit: &mut V);
    /// Hands the field `index` to `op`.
    fn field_mut<O: FieldOp>(&mut self, index: usize, op: &mut O) -> Result<(), O::Error>;
}

/// What reads every field of a model in turn: optional fields (`f`) and required ones (`req`). Implementations
/// mark both `#[inline(never)]`: a model's `fields` is then one call per field, not the visitor's body inlined per
/// field, which made a release build half again as long (BENCHMARKS.md, "Lean models").
pub(crate) trait Visit<'a> {
    fn f<T: Wire>(&mut self, value: &'a Option<T>);
    #[allow(dead_code)] // generated code calls it only if the spec has a model with a required field
    fn req<T: Wire + Default>(&mut self, value: &'a T);
}

/// What changes one field of a model: decode it, or clear it.
pub(crate) trait FieldOp {
    type Error;
    fn f<T: Wire>(&mut self, slot: &mut Option<T>) -> Result<(), Self::Error>;
    #[allow(dead_code)] // generated code calls it only if the spec has a model with a required field
    fn req<T: Wire + Default>(&mut self, slot: &mut T) -> Result<(), Self::Error>;
}

/// The model's private side table: fields to send as an explicit `null`, and values of the wrong type as they came.
/// Empty (one null pointer) unless one of those exists, so a model costs 8 bytes more and no allocation.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct Kept(Option<Box<Side>>);

#[derive(Clone, Default, PartialEq)]
struct Side {
    raw: BTreeMap<usize, Value>,
    nulls: BTreeSet<usize>,
}

impl Kept {
    /// The value of the wrong type kept for field `index`.
    pub(crate) fn raw(&self, index: usize) -> Option<&Value> {
        self.0.as_ref()?.raw.get(&index)
    }

    fn is_null(&self, index: usize) -> bool {
        self.0.as_ref().is_some_and(|side| side.nulls.contains(&index))
    }

    fn side(&mut self) -> &mut Side {
        self.0.get_or_insert_with(Box::default)
    }

    fn set_raw(&mut self, index: usize, value: Value) {
        self.side().raw.insert(index, value);
    }

    fn set_null(&mut self, index: usize) {
        let side = self.side();
        side.raw.remove(&index);
        side.nulls.insert(index);
    }

    fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

/// A value an enum of the models keeps in its `Other` variant: one the spec does not list, as Halo sent it or as
/// a caller gave it (`Domain::from("x")`).
///
/// It has no public constructor: the only way to an `Other` is the enum's `From` (`From<&str>`, `From<String>`,
/// `From<i64>`), which gives a listed value its own variant, so `Other` never holds a value that has one and two
/// values that send the same are always equal.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OtherValue<T>(pub(crate) T);

impl OtherValue<String> {
    /// The value as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl OtherValue<i64> {
    /// The value as sent on the wire.
    pub fn as_i64(&self) -> i64 {
        self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for OtherValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The methods and trait impls every model has, generated by one macro call per model.

/// `clear`, `raw`, `Serialize`, `Deserialize`, `Debug`, `PartialEq` of a model and `Debug` of its field enum, all
/// through the generic functions of this module. `$kept` is the private side-table field.
#[allow(unused_macros)] // which macros the models use depends on the spec
macro_rules! impls {
    ($model:ident, $field:ident, $extra:ident, $kept:ident) => {
        impl $model {
            /// Sends `field` as an explicit `null` in an update, which makes Halo blank it: sets the field to
            /// `None` (a list field to empty) and records the null in the model. A value assigned to the field
            /// afterwards is sent instead.
            pub fn clear(&mut self, field: $field) -> &mut Self {
                $crate::runtime::model::clear(self, field as usize);
                self
            }
            /// The value Halo sent for `field` when it was not of the field's type (an older or newer Halo
            /// version types it differently): the field is then `None`, and this value is sent back unchanged
            /// unless the field is assigned or cleared. `None` when the field decoded normally.
            pub fn raw(&self, field: $field) -> Option<&serde_json::Value> {
                self.$kept.raw(field as usize)
            }
        }
        impl $crate::runtime::model::Wire for $model {
            const EXPECTING: &'static str = "an object";
            fn decode<'de, D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<$crate::runtime::model::Got<Self>, D::Error> {
                $crate::runtime::model::nested(deserializer)
            }
        }
        impl $crate::runtime::model::Parts for $model {
            fn parts(&self) -> (&serde_json::Map<String, serde_json::Value>, &$crate::runtime::model::Kept) {
                (&self.$extra, &self.$kept)
            }
            fn parts_mut(
                &mut self,
            ) -> (&mut serde_json::Map<String, serde_json::Value>, &mut $crate::runtime::model::Kept) {
                (&mut self.$extra, &mut self.$kept)
            }
        }
        impl serde::Serialize for $model {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::runtime::model::serialize(self, serializer)
            }
        }
        impl<'de> serde::Deserialize<'de> for $model {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::runtime::model::deserialize(deserializer)
            }
        }
        impl std::fmt::Debug for $model {
            /// The fields that are set (values without `Some`), then `extra`, the kept values and cleared fields.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                $crate::runtime::model::debug(self, f)
            }
        }
        impl PartialEq for $model {
            fn eq(&self, other: &Self) -> bool {
                $crate::runtime::model::eq(self, other)
            }
        }
        impl std::fmt::Debug for $field {
            /// The field's wire name.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(<$model as $crate::runtime::model::Model>::FIELDS[*self as usize])
            }
        }
    };
}
#[allow(unused_imports)] // which macros the models use depends on the spec
pub(crate) use impls;

/// The parts of a model besides its fields, implemented by [`impls!`] (which knows their names).
pub(crate) trait Parts {
    /// The fields the spec does not describe, and the side table.
    fn parts(&self) -> (&Map<String, Value>, &Kept);
    /// [`Parts::parts`], mutably.
    fn parts_mut(&mut self) -> (&mut Map<String, Value>, &mut Kept);
}

// ---------------------------------------------------------------------------------------------------------------
// Field values: what a field can hold, decoded in one pass whatever JSON comes.

/// The outcome of decoding one value: of the type, empty (`null`, or `""` for a number), or of another type (the
/// value as it came).
pub(crate) enum Got<T> {
    Value(T),
    Empty,
    Drift(Value),
}

/// A type a model field can hold: decoded from any JSON value without failing on a value of another type.
pub(crate) trait Wire: Serialize + fmt::Debug + PartialEq + Clone + 'static {
    /// What the value should have been, for messages (`an integer`).
    const EXPECTING: &'static str;
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Got<Self>, D::Error>;
}

/// What a scalar makes of each JSON scalar; anything it does not take (`Wrong`) becomes drift.
pub(crate) enum Take<T> {
    Value(T),
    Empty,
    Wrong,
}

/// A scalar field type (numbers, flags, strings, dates, enums): one `Take` per JSON scalar, all `Wrong` by default.
pub(crate) trait Scalar: Sized {
    const EXPECTING: &'static str;
    fn from_bool(_: bool) -> Take<Self> {
        Take::Wrong
    }
    fn from_i64(_: i64) -> Take<Self> {
        Take::Wrong
    }
    fn from_u64(_: u64) -> Take<Self> {
        Take::Wrong
    }
    fn from_f64(_: f64) -> Take<Self> {
        Take::Wrong
    }
    fn from_str(_: &str) -> Take<Self> {
        Take::Wrong
    }
    /// An owned string: `Err` gives it back when it is not taken, for the drift value.
    fn from_string(text: String) -> Result<Take<Self>, String> {
        match Self::from_str(&text) {
            Take::Wrong => Err(text),
            take => Ok(take),
        }
    }
}

/// `Wire` for scalars, through [`ScalarVisitor`].
macro_rules! scalar_wire {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::runtime::model::Wire for $ty {
            const EXPECTING: &'static str = <$ty as $crate::runtime::model::Scalar>::EXPECTING;
            fn decode<'de, D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<$crate::runtime::model::Got<Self>, D::Error> {
                $crate::runtime::model::scalar(deserializer)
            }
        }
    )*};
}
#[allow(unused_imports)] // generated code uses it only if the spec has an enum (string_enum!, integer_enum!)
pub(crate) use scalar_wire;

scalar_wire!(bool, i32, i64, f64, u8, String, super::DateTime);

/// A model field: any JSON string, kept as it came; any other value is of another type (type drift). Here, not in
/// `datetime.rs`, so that the models' code depends on `DateTime` and not the other way round (ARCHITECTURE.md, "The
/// runtime's modules").
impl crate::runtime::model::Scalar for super::DateTime {
    const EXPECTING: &'static str = "a date-time string";
    fn from_str(text: &str) -> Take<Self> {
        Take::Value(super::DateTime::from_wire(text.to_owned()))
    }
    fn from_string(text: String) -> Result<Take<Self>, String> {
        Ok(Take::Value(super::DateTime::from_wire(text)))
    }
}

/// Decodes a scalar field value with the type's [`Scalar`] rules.
pub(crate) fn scalar<'de, D: Deserializer<'de>, T: Scalar>(deserializer: D) -> Result<Got<T>, D::Error> {
    deserializer.deserialize_any(ScalarVisitor(PhantomData))
}

struct ScalarVisitor<T>(PhantomData<T>);

impl<T> ScalarVisitor<T> {
    fn got(take: Take<T>, raw: impl FnOnce() -> Value) -> Got<T> {
        match take {
            Take::Value(value) => Got::Value(value),
            Take::Empty => Got::Empty,
            Take::Wrong => Got::Drift(raw()),
        }
    }
}

impl<'de, T: Scalar> Visitor<'de> for ScalarVisitor<T> {
    type Value = Got<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Got<T>, E> {
        Ok(Self::got(T::from_bool(value), || Value::Bool(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Got<T>, E> {
        Ok(Self::got(T::from_i64(value), || Value::from(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Got<T>, E> {
        Ok(Self::got(T::from_u64(value), || Value::from(value)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Got<T>, E> {
        Ok(Self::got(T::from_f64(value), || Value::from(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Got<T>, E> {
        Ok(Self::got(T::from_str(value), || Value::String(value.to_owned())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Got<T>, E> {
        Ok(match T::from_string(value) {
            Ok(take) => Self::got(take, || Value::Null),
            Err(value) => Got::Drift(Value::String(value)),
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Got<T>, E> {
        Ok(Got::Empty)
    }

    fn visit_none<E: de::Error>(self) -> Result<Got<T>, E> {
        Ok(Got::Empty)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Got<T>, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Got<T>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Got::Drift)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Got<T>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Got::Drift)
    }
}

impl Scalar for String {
    const EXPECTING: &'static str = "a string";
    fn from_str(text: &str) -> Take<Self> {
        Take::Value(text.to_owned())
    }
    fn from_string(text: String) -> Result<Take<Self>, String> {
        Ok(Take::Value(text))
    }
}

impl Scalar for u8 {
    const EXPECTING: &'static str = "a byte (0 to 255)";
    fn from_i64(value: i64) -> Take<Self> {
        u8::try_from(value).map_or(Take::Wrong, Take::Value)
    }
    fn from_u64(value: u64) -> Take<Self> {
        u8::try_from(value).map_or(Take::Wrong, Take::Value)
    }
}

/// A string enum of the models: any string is a value (`From<String>` keeps one the spec does not list).
#[allow(dead_code)] // used by the macros, which the models of a spec may not need
pub(crate) fn take_string<T: From<String>>(text: String) -> Take<T> {
    Take::Value(T::from(text))
}

/// An integer enum of the models: an integer, leniently (`3`, `3.0`, `"3"`), is a value.
#[allow(dead_code)] // used by the macros, which the models of a spec may not need
pub(crate) fn take_integer<T: From<i64>>(take: Take<i64>) -> Take<T> {
    match take {
        Take::Value(value) => Take::Value(T::from(value)),
        Take::Empty => Take::Empty,
        Take::Wrong => Take::Wrong,
    }
}

/// `From`, `Serialize`, `Deserialize` and [`Wire`] of a string enum (`as_str` and `From<String>` are generated).
#[allow(unused_macros)] // which macros the models use depends on the spec
macro_rules! string_enum {
    ($name:ident) => {
        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from(value.to_owned())
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <String as serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
        impl $crate::runtime::model::Scalar for $name {
            const EXPECTING: &'static str = "a string";
            fn from_str(text: &str) -> $crate::runtime::model::Take<Self> {
                $crate::runtime::model::take_string(text.to_owned())
            }
            fn from_string(text: String) -> Result<$crate::runtime::model::Take<Self>, String> {
                Ok($crate::runtime::model::take_string(text))
            }
        }
        $crate::runtime::model::scalar_wire!($name);
    };
}
#[allow(unused_imports)] // which macros the models use depends on the spec
pub(crate) use string_enum;

/// `Serialize`, `Deserialize` and [`Wire`] of an integer enum (`as_i64` and `From<i64>` are generated).
#[allow(unused_macros)] // which macros the models use depends on the spec
macro_rules! integer_enum {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.as_i64())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <i64 as serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
        impl $crate::runtime::model::Scalar for $name {
            const EXPECTING: &'static str = "an integer";
            fn from_i64(value: i64) -> $crate::runtime::model::Take<Self> {
                $crate::runtime::model::take_integer(<i64 as $crate::runtime::model::Scalar>::from_i64(value))
            }
            fn from_u64(value: u64) -> $crate::runtime::model::Take<Self> {
                $crate::runtime::model::take_integer(<i64 as $crate::runtime::model::Scalar>::from_u64(value))
            }
            fn from_f64(value: f64) -> $crate::runtime::model::Take<Self> {
                $crate::runtime::model::take_integer(<i64 as $crate::runtime::model::Scalar>::from_f64(value))
            }
            fn from_str(text: &str) -> $crate::runtime::model::Take<Self> {
                $crate::runtime::model::take_integer(<i64 as $crate::runtime::model::Scalar>::from_str(text))
            }
        }
        $crate::runtime::model::scalar_wire!($name);
    };
}
#[allow(unused_imports)] // which macros the models use depends on the spec
pub(crate) use integer_enum;

impl Wire for Value {
    const EXPECTING: &'static str = "any JSON value";
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Got<Self>, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::Null => Got::Empty,
            value => Got::Value(value),
        })
    }
}

impl<T: Wire> Wire for Box<T> {
    const EXPECTING: &'static str = T::EXPECTING;
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Got<Self>, D::Error> {
        Ok(match T::decode(deserializer)? {
            Got::Value(value) => Got::Value(Box::new(value)),
            Got::Empty => Got::Empty,
            Got::Drift(raw) => Got::Drift(raw),
        })
    }
}

/// [`Wire::decode`] of a nested model (implemented for each by [`impls!`]): an object, decoded with its own fields'
/// tolerance; anything else is drift.
#[allow(dead_code)] // used by the macros, which the models of a spec may not need
pub(crate) fn nested<'de, D: Deserializer<'de>, M: Model>(deserializer: D) -> Result<Got<M>, D::Error> {
    deserializer.deserialize_any(Nested::<M>(PhantomData))
}

struct Nested<M>(PhantomData<M>);

impl<'de, M: Model> Visitor<'de> for Nested<M> {
    type Value = Got<M>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", M::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Got<M>, A::Error> {
        decode_map(map).map(Got::Value)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Got<M>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Got::Drift)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Got<M>, E> {
        Ok(Got::Empty)
    }

    fn visit_none<E: de::Error>(self) -> Result<Got<M>, E> {
        Ok(Got::Empty)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Got<M>, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Got<M>, E> {
        Ok(Got::Drift(Value::Bool(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Got<M>, E> {
        Ok(Got::Drift(Value::from(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Got<M>, E> {
        Ok(Got::Drift(Value::from(value)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Got<M>, E> {
        Ok(Got::Drift(Value::from(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Got<M>, E> {
        Ok(Got::Drift(Value::String(value.to_owned())))
    }
}

/// An array: each element with its type's tolerance. An element that is not of the type makes the whole array
/// drift, kept as an array of the elements before it (written back as decoded), that one and the rest as they came.
impl<T: Wire> Wire for Vec<T> {
    const EXPECTING: &'static str = "an array";
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Got<Self>, D::Error> {
        deserializer.deserialize_any(Array::<T>(PhantomData))
    }
}

struct Array<T>(PhantomData<T>);

impl<'de, T: Wire> Visitor<'de> for Array<T> {
    type Value = Got<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Got<Vec<T>>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(got) = seq.next_element_seed(Seed::<T>(PhantomData))? {
            let odd = match got {
                Got::Value(item) => {
                    items.push(item);
                    continue;
                }
                Got::Empty => Value::Null,
                Got::Drift(raw) => raw,
            };
            let mut raw: Vec<Value> = items.iter().map(to_raw).collect();
            raw.push(odd);
            while let Some(rest) = seq.next_element::<Value>()? {
                raw.push(rest);
            }
            return Ok(Got::Drift(Value::Array(raw)));
        }
        Ok(Got::Value(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Got<Vec<T>>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Got::Drift)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Got<Vec<T>>, E> {
        Ok(Got::Empty)
    }

    fn visit_none<E: de::Error>(self) -> Result<Got<Vec<T>>, E> {
        Ok(Got::Empty)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Got<Vec<T>>, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Got<Vec<T>>, E> {
        Ok(Got::Drift(Value::Bool(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Got<Vec<T>>, E> {
        Ok(Got::Drift(Value::from(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Got<Vec<T>>, E> {
        Ok(Got::Drift(Value::from(value)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Got<Vec<T>>, E> {
        Ok(Got::Drift(Value::from(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Got<Vec<T>>, E> {
        Ok(Got::Drift(Value::String(value.to_owned())))
    }
}

/// A map of values of one type, by the same rule as arrays.
impl<T: Wire> Wire for BTreeMap<String, T> {
    const EXPECTING: &'static str = "an object";
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Got<Self>, D::Error> {
        deserializer.deserialize_any(Entries::<T>(PhantomData))
    }
}

struct Entries<T>(PhantomData<T>);

impl<'de, T: Wire> Visitor<'de> for Entries<T> {
    type Value = Got<BTreeMap<String, T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let odd = match map.next_value_seed(Seed::<T>(PhantomData))? {
                Got::Value(value) => {
                    entries.insert(key, value);
                    continue;
                }
                Got::Empty => Value::Null,
                Got::Drift(raw) => raw,
            };
            let mut raw: Map<String, Value> = entries.iter().map(|(key, value)| (key.clone(), to_raw(value))).collect();
            raw.insert(key, odd);
            while let Some((key, value)) = map.next_entry::<String, Value>()? {
                raw.insert(key, value);
            }
            return Ok(Got::Drift(Value::Object(raw)));
        }
        Ok(Got::Value(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Got::Drift)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Got::Empty)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Got::Empty)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Got::Drift(Value::Bool(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Got::Drift(Value::from(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Got::Drift(Value::from(value)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Got::Drift(Value::from(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Got::Drift(Value::String(value.to_owned())))
    }
}

/// A decoded value as JSON again, for an array or map that drifted after it. Through the bytes, so that this rare
/// path reuses the serializer the request bodies already compile instead of adding one per model.
#[cold]
fn to_raw<T: Serialize>(value: &T) -> Value {
    serde_json::to_vec(value).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or(Value::Null)
}

struct Seed<T>(PhantomData<T>);

impl<'de, T: Wire> DeserializeSeed<'de> for Seed<T> {
    type Value = Got<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Got<T>, D::Error> {
        T::decode(deserializer)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Deserialize.

/// `Deserialize::deserialize` of every model: a JSON object, fields by name, unknown ones into `extra`.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, M: Model>(deserializer: D) -> Result<M, D::Error> {
    deserializer.deserialize_map(Top::<M>(PhantomData))
}

struct Top<M>(PhantomData<M>);

impl<'de, M: Model> Visitor<'de> for Top<M> {
    type Value = M;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", M::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<M, A::Error> {
        decode_map(map)
    }
}

fn decode_map<'de, A: MapAccess<'de>, M: Model>(mut map: A) -> Result<M, A::Error> {
    let mut out = M::default();
    let mut seen = Seen::new(M::FIELDS.len());
    while let Some(key) = map.next_key_seed(KeySeed { fields: M::FIELDS, sorted: M::SORTED, seen: &mut seen })? {
        match key {
            Key::Field(index) => {
                let mut op = Decode { map: &mut map, drift: None, de: PhantomData };
                out.field_mut(index, &mut op)?;
                if let Some((raw, expecting)) = op.drift {
                    drifted::<A::Error>(M::NAME, M::FIELDS[index], expecting, &raw)?;
                    out.parts_mut().1.set_raw(index, raw);
                }
            }
            Key::Other(name) => {
                let value: Value = map.next_value()?;
                out.parts_mut().0.insert(name, value);
            }
        }
    }
    Ok(out)
}

/// Decodes the next value of the map into a field; a value of another type is left in `drift`.
struct Decode<'m, 'de, A> {
    map: &'m mut A,
    drift: Option<(Value, &'static str)>,
    de: PhantomData<&'de ()>,
}

impl<'de, A: MapAccess<'de>> FieldOp for Decode<'_, 'de, A> {
    type Error = A::Error;

    #[inline(never)]
    fn f<T: Wire>(&mut self, slot: &mut Option<T>) -> Result<(), A::Error> {
        match decode_value::<A, T>(self.map)? {
            Got::Value(value) => *slot = Some(value),
            Got::Empty => *slot = None,
            Got::Drift(raw) => {
                *slot = None;
                self.drift = Some((raw, T::EXPECTING));
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn req<T: Wire + Default>(&mut self, slot: &mut T) -> Result<(), A::Error> {
        match decode_value::<A, T>(self.map)? {
            Got::Value(value) => *slot = value,
            Got::Empty => {
                *slot = T::default();
                self.drift = Some((Value::Null, T::EXPECTING));
            }
            Got::Drift(raw) => {
                *slot = T::default();
                self.drift = Some((raw, T::EXPECTING));
            }
        }
        Ok(())
    }
}

// One out-of-line function per field type (and deserializer), called by every field of that type: keeping the
// decoding out of each model's `match` is what keeps a release build fast. The call costs nothing next to parsing.
#[inline(never)]
fn decode_value<'de, A: MapAccess<'de>, T: Wire>(map: &mut A) -> Result<Got<T>, A::Error> {
    map.next_value_seed(Seed::<T>(PhantomData))
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
    sorted: &'static [u16],
    seen: &'a mut Seen,
}

impl KeySeed<'_> {
    fn field<E: de::Error>(self, name: &str) -> Result<Option<usize>, E> {
        match self.sorted.binary_search_by(|&index| self.fields[usize::from(index)].cmp(name)) {
            Ok(position) => {
                let index = usize::from(self.sorted[position]);
                if self.seen.insert(index) { Ok(Some(index)) } else { Err(E::duplicate_field(self.fields[index])) }
            }
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

// ---------------------------------------------------------------------------------------------------------------
// Type drift: the decoding scope, warnings and strict mode.

thread_local! {
    /// The scope of the answer being decoded on this thread, if the client is decoding one.
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Drift seen while decoding one answer: (model, field) → (how many times, what was expected).
struct Scope {
    strict: bool,
    drift: BTreeMap<(&'static str, &'static str), (usize, &'static str)>,
}

/// Runs `decode` (which decodes one answer, synchronously) in a scope that collects type drift; then logs one
/// warning per model field that drifted, with the number of times. With `strict`, drift is a decode error instead.
pub(crate) fn decoding<T>(strict: bool, decode: impl FnOnce() -> T) -> T {
    /// Restores the outer scope even if `decode` panics.
    struct Restore(Option<Scope>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            let _ = SCOPE.try_with(|scope| *scope.borrow_mut() = outer);
        }
    }
    let outer = SCOPE.with(|scope| scope.replace(Some(Scope { strict, drift: BTreeMap::new() })));
    let restore = Restore(outer);
    let out = decode();
    let scope = SCOPE.with(|scope| scope.take());
    drop(restore);
    for ((model, field), (count, expected)) in scope.map(|scope| scope.drift).unwrap_or_default() {
        tracing::warn!(
            model,
            field,
            count,
            expected,
            "halopsa: Halo sent `{model}.{field}` as a value of another type than {expected} ({count} times in \
             this answer); the field is None, the value is kept as it came (`raw(..)`) and sent back unchanged"
        );
    }
    out
}

/// Models and fields already warned about outside any scope (a caller decoding a model itself).
static WARNED: Mutex<BTreeSet<(&str, &str)>> = Mutex::new(BTreeSet::new());

#[cold]
fn drifted<E: de::Error>(
    model: &'static str,
    field: &'static str,
    expected: &'static str,
    raw: &Value,
) -> Result<(), E> {
    let strict = SCOPE.with(|scope| match scope.borrow_mut().as_mut() {
        Some(scope) if scope.strict => Some(true),
        Some(scope) => {
            scope.drift.entry((model, field)).or_insert((0, expected)).0 += 1;
            Some(false)
        }
        None => None,
    });
    match strict {
        Some(true) => Err(E::custom(format_args!(
            "type drift in `{model}.{field}`: expected {expected}, got {} (strict decoding)",
            describe(raw)
        ))),
        Some(false) => Ok(()),
        None => {
            if WARNED.lock().unwrap_or_else(PoisonError::into_inner).insert((model, field)) {
                tracing::warn!(
                    model,
                    field,
                    expected,
                    "halopsa: `{model}.{field}` came as a value of another type than {expected}; the field is \
                     None, the value is kept as it came (`raw(..)`) and sent back unchanged (said once per field)"
                );
            }
            Ok(())
        }
    }
}

/// A short description of a JSON value for a message: its type and, for scalars, the value.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => format!("boolean `{flag}`"),
        Value::Number(number) => format!("number `{number}`"),
        Value::String(text) if text.chars().count() <= 40 => format!("string {text:?}"),
        Value::String(_) => "a long string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Serialize, Debug, PartialEq, clear.

/// `Serialize::serialize` of every model: fields in declaration order by wire name; a field without a value is
/// left out (Halo blanks a field it is sent as `null`), unless a value of another type was kept for it (sent as it
/// came) or it was cleared (sent as `null`); then `extra`, skipping names of the model's own fields.
pub(crate) fn serialize<S: Serializer, M: Model>(model: &M, serializer: S) -> Result<S::Ok, S::Error> {
    let (extra, kept) = model.parts();
    let mut out = Ser { map: serializer.serialize_map(None)?, kept, fields: M::FIELDS, index: 0, error: None };
    model.fields(&mut out);
    let Ser { mut map, error, .. } = out;
    if let Some(error) = error {
        return Err(error);
    }
    for (name, value) in extra {
        let own = M::SORTED.binary_search_by(|&index| M::FIELDS[usize::from(index)].cmp(name.as_str())).is_ok();
        if !own {
            map.serialize_entry(name, value)?;
        }
    }
    map.end()
}

struct Ser<'k, M: SerializeMap> {
    map: M,
    kept: &'k Kept,
    fields: &'static [&'static str],
    index: usize,
    error: Option<M::Error>,
}

impl<M: SerializeMap> Ser<'_, M> {
    /// The field without a value: its kept value, an explicit null, or nothing.
    fn unset(&mut self, index: usize) -> Result<(), M::Error> {
        if let Some(raw) = self.kept.raw(index) {
            self.map.serialize_entry(self.fields[index], raw)
        } else if self.kept.is_null(index) {
            self.map.serialize_entry(self.fields[index], &Value::Null)
        } else {
            Ok(())
        }
    }

    fn done(&mut self, result: Result<(), M::Error>) {
        if let Err(error) = result {
            self.error.get_or_insert(error);
        }
    }
}

impl<'a, M: SerializeMap> Visit<'a> for Ser<'_, M> {
    #[inline(never)]
    fn f<T: Wire>(&mut self, value: &'a Option<T>) {
        let index = self.index;
        self.index += 1;
        if self.error.is_some() || (value.is_none() && self.kept.is_empty()) {
            return;
        }
        let result = match value {
            Some(value) => self.map.serialize_entry(self.fields[index], value),
            None => self.unset(index),
        };
        self.done(result);
    }

    #[inline(never)]
    fn req<T: Wire + Default>(&mut self, value: &'a T) {
        let index = self.index;
        self.index += 1;
        if self.error.is_some() {
            return;
        }
        // A required field still at the default its drift left it at goes back as it came.
        let result = match self.kept.raw(index) {
            Some(raw) if *value == T::default() => self.map.serialize_entry(self.fields[index], raw),
            _ => self.map.serialize_entry(self.fields[index], value),
        };
        self.done(result);
    }
}

/// `Debug::fmt` of every model: `Agent { id: 7, name: "Jo", extra: {..} }`, only the fields that are set (without
/// `Some`), then `extra`, the kept values and the cleared fields when there are any. A wide model with three fields
/// set prints three fields, not three hundred `None`s.
pub(crate) fn debug<M: Model>(model: &M, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut out = Dbg { out: f.debug_struct(M::NAME), fields: M::FIELDS, index: 0 };
    model.fields(&mut out);
    let mut out = out.out;
    let (extra, kept) = model.parts();
    if !extra.is_empty() {
        out.field("extra", extra);
    }
    if let Some(side) = &kept.0 {
        if !side.raw.is_empty() {
            let raw: BTreeMap<&str, &Value> =
                side.raw.iter().map(|(index, value)| (M::FIELDS[*index], value)).collect();
            out.field("raw", &raw);
        }
        if !side.nulls.is_empty() {
            let nulls: Vec<&str> = side.nulls.iter().map(|index| M::FIELDS[*index]).collect();
            out.field("cleared", &nulls);
        }
    }
    out.finish()
}

struct Dbg<'a, 'b> {
    out: fmt::DebugStruct<'a, 'b>,
    fields: &'static [&'static str],
    index: usize,
}

impl<'v> Visit<'v> for Dbg<'_, '_> {
    #[inline(never)]
    fn f<T: Wire>(&mut self, value: &'v Option<T>) {
        if let Some(value) = value {
            self.out.field(self.fields[self.index], value);
        }
        self.index += 1;
    }

    #[inline(never)]
    fn req<T: Wire + Default>(&mut self, value: &'v T) {
        self.out.field(self.fields[self.index], value);
        self.index += 1;
    }
}

/// `PartialEq::eq` of every model: every field, `extra` and the side table equal.
pub(crate) fn eq<M: Model>(a: &M, b: &M) -> bool {
    if a.parts() != b.parts() {
        return false;
    }
    let mut others = Collect(Vec::with_capacity(M::FIELDS.len()));
    b.fields(&mut others);
    let mut compare = Compare { others: others.0.into_iter(), equal: true };
    a.fields(&mut compare);
    compare.equal
}

/// Every field of a model, type-erased.
struct Collect<'a>(Vec<&'a dyn Any>);

impl<'a> Visit<'a> for Collect<'a> {
    #[inline(never)]
    fn f<T: Wire>(&mut self, value: &'a Option<T>) {
        self.0.push(value);
    }

    #[inline(never)]
    fn req<T: Wire + Default>(&mut self, value: &'a T) {
        self.0.push(value);
    }
}

/// Compares each field with the other model's, collected by [`Collect`] in the same order.
struct Compare<'a> {
    others: std::vec::IntoIter<&'a dyn Any>,
    equal: bool,
}

impl<'a, 'v> Visit<'v> for Compare<'a> {
    #[inline(never)]
    fn f<T: Wire>(&mut self, value: &'v Option<T>) {
        let other = self.others.next().and_then(|other| other.downcast_ref::<Option<T>>());
        self.equal &= other == Some(value);
    }

    #[inline(never)]
    fn req<T: Wire + Default>(&mut self, value: &'v T) {
        let other = self.others.next().and_then(|other| other.downcast_ref::<T>());
        self.equal &= other == Some(value);
    }
}

/// `clear(field)` of every model: the field to `None` (a required one to its default), any kept value dropped, an
/// explicit null recorded.
pub(crate) fn clear<M: Model>(model: &mut M, index: usize) {
    let Ok(()) = model.field_mut(index, &mut Clear);
    model.parts_mut().1.set_null(index);
}

struct Clear;

impl FieldOp for Clear {
    type Error = std::convert::Infallible;

    #[inline(never)]
    fn f<T: Wire>(&mut self, slot: &mut Option<T>) -> Result<(), Self::Error> {
        *slot = None;
        Ok(())
    }

    #[inline(never)]
    fn req<T: Wire + Default>(&mut self, slot: &mut T) -> Result<(), Self::Error> {
        *slot = T::default();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model as the generator writes one: `id` (lenient), `name`, `active` (lenient), `tags`, a nested `owner`
    /// and a required `items` list, then `extra` and the side table.
    #[derive(Clone, Default)]
    struct Thing {
        id: Option<i32>,
        name: Option<String>,
        active: Option<bool>,
        tags: Option<Vec<String>>,
        owner: Option<Box<Thing>>,
        items: Vec<i64>,
        extra: Map<String, Value>,
        kept: Kept,
    }

    #[derive(Clone, Copy)]
    #[allow(dead_code)]
    enum ThingField {
        Id,
        Name,
        Active,
        Tags,
        Owner,
        Items,
    }

    impl Model for Thing {
        const NAME: &'static str = "Thing";
        const FIELDS: &'static [&'static str] = &["id", "name", "active", "tags", "owner", "items"];
        const SORTED: &'static [u16] = &[2, 0, 5, 1, 4, 3];
        fn fields<'a, V: Visit<'a>>(&'a self, v: &mut V) {
            v.f(&self.id);
            v.f(&self.name);
            v.f(&self.active);
            v.f(&self.tags);
            v.f(&self.owner);
            v.req(&self.items);
        }
        fn field_mut<O: FieldOp>(&mut self, index: usize, o: &mut O) -> Result<(), O::Error> {
            match index {
                0 => o.f(&mut self.id),
                1 => o.f(&mut self.name),
                2 => o.f(&mut self.active),
                3 => o.f(&mut self.tags),
                4 => o.f(&mut self.owner),
                5 => o.req(&mut self.items),
                _ => Ok(()),
            }
        }
    }

    impls!(Thing, ThingField, extra, kept);

    fn decode(json: &str) -> Result<Thing, String> {
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    fn encode(thing: &Thing) -> String {
        serde_json::to_string(thing).unwrap()
    }

    #[test]
    fn the_table_is_sorted() {
        let mut sorted: Vec<u16> = (0..Thing::FIELDS.len() as u16).collect();
        sorted.sort_by_key(|index| Thing::FIELDS[usize::from(*index)]);
        assert_eq!(sorted, Thing::SORTED);
    }

    #[test]
    fn fields_by_name_leniently_and_unknown_ones_kept() {
        let thing = decode(r#"{"zeta": 1, "id": "21", "active": 1, "name": "Jo", "alpha": {"a": [1]}}"#).unwrap();
        assert_eq!(thing.id, Some(21));
        assert_eq!(thing.active, Some(true));
        assert_eq!(thing.name.as_deref(), Some("Jo"));
        assert!(thing.items.is_empty(), "a missing field keeps its default");
        assert_eq!(thing.extra.keys().collect::<Vec<_>>(), ["alpha", "zeta"]);
        assert_eq!(
            encode(&thing),
            r#"{"id":21,"name":"Jo","active":true,"items":[],"alpha":{"a":[1]},"zeta":1}"#,
            "fields in declaration order, None omitted, then the unknown fields"
        );
    }

    #[test]
    fn clear_sends_an_explicit_null_once_and_a_later_value_wins() {
        let mut thing = Thing { id: Some(1), name: Some("Jo".to_owned()), ..Thing::default() };
        thing.clear(ThingField::Name);
        assert_eq!(thing.name, None);
        assert_eq!(encode(&thing), r#"{"id":1,"name":null,"items":[]}"#);
        thing.name = Some("Al".to_owned());
        assert_eq!(encode(&thing), r#"{"id":1,"name":"Al","items":[]}"#, "a value set after the clear wins");
        thing.extra.insert("name".to_owned(), Value::Null);
        thing.extra.insert("other".to_owned(), Value::Null);
        assert_eq!(encode(&thing), r#"{"id":1,"name":"Al","items":[],"other":null}"#, "a key is never sent twice");
        assert!(thing.extra.contains_key("other"), "extra is only what the caller put there");
    }

    #[test]
    fn escaped_and_owned_keys_find_their_field() {
        assert_eq!(decode(r#"{"\u0069d": 7}"#).unwrap().id, Some(7));
        let thing: Thing = serde_json::from_value(serde_json::json!({"id": 8, "other": null})).unwrap();
        assert_eq!(thing.id, Some(8));
        assert_eq!(thing.extra.get("other"), Some(&Value::Null));
    }

    #[test]
    fn nulls_are_none_and_an_empty_object_is_the_default() {
        assert_eq!(decode(r#"{"id": null, "name": null, "active": "", "owner": null}"#).unwrap(), Thing::default());
        assert_eq!(decode("{}").unwrap(), Thing::default());
    }

    #[test]
    fn errors_say_what_was_expected_and_where() {
        assert_eq!(decode(r#"{"id": 1, "id": 2}"#).unwrap_err(), "duplicate field `id` at line 1 column 14");
        assert_eq!(decode("[1]").unwrap_err(), "invalid type: sequence, expected struct Thing at line 1 column 0");
        assert!(decode(r#"{"id": 1"#).unwrap_err().contains("EOF"));
    }

    #[test]
    fn values_of_another_type_are_kept_and_sent_back_byte_for_byte() {
        let body = r#"{"id":"string","name":0,"active":"maybe","tags":["a",2,"c"],"owner":"nobody","items":{"x":1}}"#;
        let thing = decode(body).unwrap();
        assert_eq!((thing.id, &thing.name, thing.active, &thing.tags), (None, &None, None, &None));
        assert!(thing.owner.is_none() && thing.items.is_empty());
        assert_eq!(thing.raw(ThingField::Id), Some(&Value::from("string")));
        assert_eq!(thing.raw(ThingField::Name), Some(&Value::from(0)));
        assert_eq!(thing.raw(ThingField::Tags), Some(&serde_json::json!(["a", 2, "c"])));
        assert_eq!(encode(&thing), body);
        // A value the caller assigns wins over the kept one; clearing drops it.
        let mut changed = thing.clone();
        changed.id = Some(4);
        changed.clear(ThingField::Owner);
        changed.items = vec![1];
        assert_eq!(
            encode(&changed),
            r#"{"id":4,"name":0,"active":"maybe","tags":["a",2,"c"],"owner":null,"items":[1]}"#
        );
        assert_eq!(changed.raw(ThingField::Owner), None);
    }

    #[test]
    fn drift_at_depth_stays_in_the_nested_model() {
        let body = r#"{"id":1,"owner":{"id":2,"active":7,"owner":{"name":["x"]}}}"#;
        let thing = decode(body).unwrap();
        let owner = thing.owner.as_deref().unwrap();
        assert_eq!((owner.id, owner.active), (Some(2), None));
        assert_eq!(owner.raw(ThingField::Active), Some(&Value::from(7)));
        let inner = owner.owner.as_deref().unwrap();
        assert_eq!(inner.raw(ThingField::Name), Some(&serde_json::json!(["x"])));
        assert_eq!(thing.raw(ThingField::Owner), None, "the parent decoded its field");
        assert_eq!(
            encode(&thing),
            r#"{"id":1,"owner":{"id":2,"active":7,"owner":{"name":["x"],"items":[]},"items":[]},"items":[]}"#
        );
    }

    #[test]
    fn strict_decoding_fails_naming_the_field_and_the_scope_counts_drift() {
        let error = decoding(true, || decode(r#"{"id": 1, "active": "maybe"}"#)).unwrap_err();
        assert!(error.contains("type drift in `Thing.active`: expected a boolean"), "{error}");
        assert!(error.contains(r#"got string "maybe""#), "{error}");
        let things: Vec<Thing> =
            decoding(false, || serde_json::from_str(r#"[{"id": "a"}, {"id": "b"}, {"name": 1}]"#)).unwrap();
        assert_eq!(things.len(), 3);
        assert!(SCOPE.with(|scope| scope.borrow().is_none()), "the scope ends with the decode");
        let strict_inside = decoding(false, || decoding(true, || decode(r#"{"id": "a"}"#).is_err()));
        assert!(strict_inside, "an inner scope decides");
    }

    #[test]
    fn debug_shows_what_is_set_and_eq_compares_everything() {
        let thing = decode(r#"{"id": 7, "name": "Jo", "tags": 3, "x": 1}"#).unwrap();
        assert_eq!(
            format!("{thing:?}"),
            r#"Thing { id: 7, name: "Jo", items: [], extra: {"x": Number(1)}, raw: {"tags": Number(3)} }"#
        );
        let mut other = thing.clone();
        assert_eq!(thing, other);
        other.name = None;
        assert_ne!(thing, other);
        let mut cleared = thing.clone();
        cleared.clear(ThingField::Id);
        assert_ne!(thing, cleared);
        assert!(format!("{cleared:?}").ends_with(r#"cleared: ["id"] }"#), "{cleared:?}");
        assert_eq!(format!("{:?}", ThingField::Owner), "owner");
    }
}
