//! Lenient number and boolean decoding: Halo sends some integers as `21.0` or `"21"` and some booleans as `"true"`
//! or `1` (HALO-NOTES §3, "Data quirks").
//!
//! The `opt_*` functions are for `#[serde(deserialize_with = "...")]` on `Option<_>` fields of a struct with
//! `#[serde(default)]` (every generated field is optional). Integers accept `21`, `21.0`, `"21"`, `"21.0"` and
//! `" 21 "`; `null`, a missing field and `""` are `None`. A fraction (`21.5`) or text that is not a number is an
//! error that says what was expected.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Unexpected, Visitor};

/// `Option<i32>`: accepts `21`, `21.0`, `"21"`, `"21.0"`, `null` and `""`.
pub fn opt_i32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i32>, D::Error> {
    deserializer.deserialize_any(Lenient::<i32>(PhantomData))
}

/// `Option<i64>`: accepts `21`, `21.0`, `"21"`, `"21.0"`, `null` and `""`.
pub fn opt_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_any(Lenient::<i64>(PhantomData))
}

/// `Option<f64>`: accepts numbers, numeric strings (`"12.5"`), `null` and `""`.
pub fn opt_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    deserializer.deserialize_any(Lenient::<f64>(PhantomData))
}

/// `Option<bool>`: accepts `true`/`false`, the strings `"true"`/`"false"` (any case, trimmed) and `"1"`/`"0"`,
/// the numbers `1`/`0` (also `1.0`), `null` and `""`. Anything else (`2`, `"yes"`) is an error that says what was
/// expected.
pub fn opt_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    deserializer.deserialize_any(LenientBool)
}

struct LenientBool;

impl<'de> Visitor<'de> for LenientBool {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean (true, \"true\", 1 or \"1\")")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Some(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        match value {
            0 => Ok(Some(false)),
            1 => Ok(Some(true)),
            _ => Err(E::invalid_value(Unexpected::Signed(value), &self)),
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        match value {
            0 => Ok(Some(false)),
            1 => Ok(Some(true)),
            _ => Err(E::invalid_value(Unexpected::Unsigned(value), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        if value == 0.0 {
            Ok(Some(false))
        } else if value == 1.0 {
            Ok(Some(true))
        } else {
            Err(E::invalid_value(Unexpected::Float(value), &self))
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            Ok(None)
        } else if trimmed.eq_ignore_ascii_case("true") || trimmed == "1" {
            Ok(Some(true))
        } else if trimmed.eq_ignore_ascii_case("false") || trimmed == "0" {
            Ok(Some(false))
        } else {
            Err(E::invalid_value(Unexpected::Str(value), &self))
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The number types [`Lenient`] produces.
trait Number: Sized {
    const EXPECTING: &'static str;
    fn from_i64(value: i64) -> Option<Self>;
    fn from_u64(value: u64) -> Option<Self>;
    fn from_f64(value: f64) -> Option<Self>;
}

impl Number for i32 {
    const EXPECTING: &'static str = "an integer in the i32 range (21, 21.0 or \"21\")";
    fn from_i64(value: i64) -> Option<Self> {
        i32::try_from(value).ok()
    }
    fn from_u64(value: u64) -> Option<Self> {
        i32::try_from(value).ok()
    }
    fn from_f64(value: f64) -> Option<Self> {
        // The range check is on the float: `as` would saturate silently.
        (value.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&value)).then_some(value as i32)
    }
}

impl Number for i64 {
    const EXPECTING: &'static str = "an integer (21, 21.0 or \"21\")";
    fn from_i64(value: i64) -> Option<Self> {
        Some(value)
    }
    fn from_u64(value: u64) -> Option<Self> {
        i64::try_from(value).ok()
    }
    fn from_f64(value: f64) -> Option<Self> {
        // 2^63 is exactly representable; `< 2^63` keeps the cast in range.
        (value.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&value))
            .then_some(value as i64)
    }
}

impl Number for f64 {
    const EXPECTING: &'static str = "a number (12.5 or \"12.5\")";
    fn from_i64(value: i64) -> Option<Self> {
        Some(value as f64)
    }
    fn from_u64(value: u64) -> Option<Self> {
        Some(value as f64)
    }
    fn from_f64(value: f64) -> Option<Self> {
        value.is_finite().then_some(value)
    }
}

struct Lenient<T>(PhantomData<T>);

impl<'de, T: Number> Visitor<'de> for Lenient<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        T::from_i64(value).map(Some).ok_or_else(|| E::invalid_value(Unexpected::Signed(value), &self))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        T::from_u64(value).map(Some).ok_or_else(|| E::invalid_value(Unexpected::Unsigned(value), &self))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        T::from_f64(value).map(Some).ok_or_else(|| E::invalid_value(Unexpected::Float(value), &self))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        let parsed = match trimmed.parse::<i64>() {
            Ok(int) => T::from_i64(int),
            Err(_) => trimmed.parse::<f64>().ok().and_then(T::from_f64),
        };
        parsed.map(Some).ok_or_else(|| E::invalid_value(Unexpected::Str(value), &self))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(default)]
    struct Record {
        #[serde(deserialize_with = "super::opt_i32")]
        small: Option<i32>,
        #[serde(deserialize_with = "super::opt_i64")]
        big: Option<i64>,
        #[serde(deserialize_with = "super::opt_f64")]
        price: Option<f64>,
        #[serde(deserialize_with = "super::opt_bool")]
        flag: Option<bool>,
    }

    /// Generated models also have a flattened map of unknown fields, which routes every field through serde's
    /// buffered `Content`; the helpers must work there too.
    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(default)]
    struct Flattened {
        #[serde(deserialize_with = "super::opt_i32")]
        id: Option<i32>,
        #[serde(deserialize_with = "super::opt_i32")]
        client_id: Option<i32>,
        #[serde(deserialize_with = "super::opt_bool")]
        isdisabled: Option<bool>,
        #[serde(flatten)]
        extra: serde_json::Map<String, serde_json::Value>,
    }

    fn small(json: &str) -> Result<Option<i32>, String> {
        serde_json::from_str::<Record>(&format!(r#"{{"small": {json}}}"#)).map(|r| r.small).map_err(|e| e.to_string())
    }

    #[test]
    fn integers_in_every_form_halo_uses() {
        for json in ["21", "21.0", r#""21""#, r#""21.0""#, r#"" 21 ""#, "2.1e1"] {
            assert_eq!(small(json), Ok(Some(21)), "{json}");
        }
        for json in ["null", r#""""#, r#""  ""#] {
            assert_eq!(small(json), Ok(None), "{json}");
        }
        assert_eq!(small("-1"), Ok(Some(-1)));
        assert_eq!(serde_json::from_str::<Record>("{}").unwrap(), Record::default());
    }

    #[test]
    fn fractions_and_garbage_are_refused_clearly() {
        let error = small("21.5").unwrap_err();
        assert!(error.contains("invalid value: floating point `21.5`, expected an integer"), "{error}");
        let error = small(r#""21.5""#).unwrap_err();
        assert!(error.contains(r#"string "21.5""#), "{error}");
        let error = small(r#""abc""#).unwrap_err();
        assert!(error.contains("expected an integer"), "{error}");
        let error = small("3000000000").unwrap_err();
        assert!(error.contains("i32 range"), "{error}");
        assert!(small("true").unwrap_err().contains("invalid type: boolean"));
        assert!(small("[1]").is_err());
        assert!(small(r#""NaN""#).is_err());
    }

    fn flag(json: &str) -> Result<Option<bool>, String> {
        serde_json::from_str::<Record>(&format!(r#"{{"flag": {json}}}"#)).map(|r| r.flag).map_err(|e| e.to_string())
    }

    #[test]
    fn booleans_in_every_form_halo_uses() {
        for json in ["true", r#""true""#, r#""True""#, r#"" TRUE ""#, "1", "1.0", r#""1""#] {
            assert_eq!(flag(json), Ok(Some(true)), "{json}");
        }
        for json in ["false", r#""false""#, r#""False""#, "0", "0.0", r#""0""#] {
            assert_eq!(flag(json), Ok(Some(false)), "{json}");
        }
        for json in ["null", r#""""#, r#"" ""#] {
            assert_eq!(flag(json), Ok(None), "{json}");
        }
        for json in ["2", "-1", "0.5", r#""yes""#, r#""2""#, "[]", "{}"] {
            let error = flag(json).unwrap_err();
            assert!(error.contains("expected a boolean") || error.contains("invalid type"), "{json}: {error}");
        }
    }

    #[test]
    fn i64_and_f64() {
        let record: Record = serde_json::from_str(r#"{"big": "9007199254740993", "price": "12.5"}"#).unwrap();
        assert_eq!(record.big, Some(9_007_199_254_740_993));
        assert_eq!(record.price, Some(12.5));
        let record: Record = serde_json::from_str(r#"{"big": 1e18, "price": 3}"#).unwrap();
        assert_eq!(record.big, Some(1_000_000_000_000_000_000));
        assert_eq!(record.price, Some(3.0));
        assert!(serde_json::from_str::<Record>(r#"{"big": 1e19}"#).is_err());
        assert!(serde_json::from_str::<Record>(r#"{"price": "twelve"}"#).is_err());
    }

    #[test]
    fn through_a_flattened_struct() {
        let record: Flattened =
            serde_json::from_str(r#"{"id": "7", "client_id": 21.0, "isdisabled": "true", "other": 1}"#).unwrap();
        assert_eq!((record.id, record.client_id, record.isdisabled), (Some(7), Some(21), Some(true)));
        assert_eq!(record.extra.get("other"), Some(&serde_json::json!(1)));
        let record: Flattened = serde_json::from_str(r#"{"id": 7.0, "client_id": null}"#).unwrap();
        assert_eq!((record.id, record.client_id), (Some(7), None));
        assert!(serde_json::from_str::<Flattened>(r#"{"id": 1, "client_id": 1.5}"#).is_err());
    }
}
