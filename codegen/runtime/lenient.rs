//! Lenient numbers and flags: Halo sends some integers as `21.0` or `"21"` and some booleans as `"true"` or `1`
//! (HALO-NOTES §3, "Data quirks"). These are the [`Scalar`] rules of the models' `i32`, `i64`, `f64` and `bool`
//! fields.
//!
//! Integers take `21`, `21.0`, `"21"`, `"21.0"` and `" 21 "`; flags take `true`/`false`, `1`/`0` (also `1.0`) and
//! those as strings (any case, trimmed); `null` and `""` are empty (the field is `None`). Anything else (a
//! fraction for an integer, `"abc"`, `2` for a flag, an array) is of another type: the model keeps it as it came
//! (`runtime::model`, type drift) instead of failing the record.

use super::model::{Scalar, Take};

impl Scalar for bool {
    const EXPECTING: &'static str = "a boolean (true, \"true\", 1 or \"1\")";
    fn from_bool(value: bool) -> Take<Self> {
        Take::Value(value)
    }
    fn from_i64(value: i64) -> Take<Self> {
        match value {
            0 => Take::Value(false),
            1 => Take::Value(true),
            _ => Take::Wrong,
        }
    }
    fn from_u64(value: u64) -> Take<Self> {
        i64::try_from(value).map_or(Take::Wrong, Self::from_i64)
    }
    fn from_f64(value: f64) -> Take<Self> {
        if value == 0.0 {
            Take::Value(false)
        } else if value == 1.0 {
            Take::Value(true)
        } else {
            Take::Wrong
        }
    }
    fn from_str(value: &str) -> Take<Self> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            Take::Empty
        } else if trimmed.eq_ignore_ascii_case("true") || trimmed == "1" {
            Take::Value(true)
        } else if trimmed.eq_ignore_ascii_case("false") || trimmed == "0" {
            Take::Value(false)
        } else {
            Take::Wrong
        }
    }
}

/// The number types, from each JSON number form.
trait Number: Sized {
    fn int(value: i64) -> Option<Self>;
    fn uint(value: u64) -> Option<Self>;
    fn float(value: f64) -> Option<Self>;
}

impl Number for i32 {
    fn int(value: i64) -> Option<Self> {
        i32::try_from(value).ok()
    }
    fn uint(value: u64) -> Option<Self> {
        i32::try_from(value).ok()
    }
    fn float(value: f64) -> Option<Self> {
        // The range check is on the float: `as` would saturate silently.
        (value.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&value)).then_some(value as i32)
    }
}

impl Number for i64 {
    fn int(value: i64) -> Option<Self> {
        Some(value)
    }
    fn uint(value: u64) -> Option<Self> {
        i64::try_from(value).ok()
    }
    fn float(value: f64) -> Option<Self> {
        // 2^63 is exactly representable; `< 2^63` keeps the cast in range.
        (value.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&value))
            .then_some(value as i64)
    }
}

impl Number for f64 {
    fn int(value: i64) -> Option<Self> {
        Some(value as f64)
    }
    fn uint(value: u64) -> Option<Self> {
        Some(value as f64)
    }
    fn float(value: f64) -> Option<Self> {
        value.is_finite().then_some(value)
    }
}

fn take<T>(value: Option<T>) -> Take<T> {
    value.map_or(Take::Wrong, Take::Value)
}

/// A number written as text: `""` is empty, an integer or a number that converts exactly is a value.
fn number_text<T: Number>(text: &str) -> Take<T> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Take::Empty;
    }
    take(match trimmed.parse::<i64>() {
        Ok(int) => T::int(int),
        Err(_) => trimmed.parse::<f64>().ok().and_then(T::float),
    })
}

macro_rules! numbers {
    ($($ty:ty: $expecting:literal;)*) => {$(
        impl Scalar for $ty {
            const EXPECTING: &'static str = $expecting;
            fn from_i64(value: i64) -> Take<Self> {
                take(<$ty as Number>::int(value))
            }
            fn from_u64(value: u64) -> Take<Self> {
                take(<$ty as Number>::uint(value))
            }
            fn from_f64(value: f64) -> Take<Self> {
                take(<$ty as Number>::float(value))
            }
            fn from_str(text: &str) -> Take<Self> {
                number_text(text)
            }
        }
    )*};
}

numbers! {
    i32: "an integer in the i32 range (21, 21.0 or \"21\")";
    i64: "an integer (21, 21.0 or \"21\")";
    f64: "a number (12.5 or \"12.5\")";
}

/// `deserialize_with` for the runtime's own serde structs (the webhook envelope, the replayed log): the [`Scalar`]
/// rules of `T`, `null` and `""` as `None`, and a value of another type an error (those structs have no side table
/// to keep it in).
#[allow(dead_code)] // used only with the feature `webhook-receiver`
pub(crate) fn opt<'de, D: serde::Deserializer<'de>, T: Scalar>(deserializer: D) -> Result<Option<T>, D::Error> {
    match super::model::scalar::<D, T>(deserializer)? {
        super::model::Got::Value(value) => Ok(Some(value)),
        super::model::Got::Empty => Ok(None),
        super::model::Got::Drift(value) => {
            Err(serde::de::Error::custom(format_args!("invalid value {value}, expected {}", T::EXPECTING)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Got, Wire};
    use serde_json::Value;

    /// What a field of type `T` makes of `json`: its value, `None` when empty, or the drift value.
    fn read<T: Wire>(json: &str) -> Result<Option<T>, Value> {
        let deserializer = &mut serde_json::Deserializer::from_str(json);
        match T::decode(deserializer).expect("valid JSON") {
            Got::Value(value) => Ok(Some(value)),
            Got::Empty => Ok(None),
            Got::Drift(raw) => Err(raw),
        }
    }

    #[test]
    fn integers_in_every_form_halo_uses() {
        for json in ["21", "21.0", r#""21""#, r#""21.0""#, r#"" 21 ""#, "2.1e1"] {
            assert_eq!(read::<i32>(json), Ok(Some(21)), "{json}");
        }
        for json in ["null", r#""""#, r#""  ""#] {
            assert_eq!(read::<i32>(json), Ok(None), "{json}");
        }
        assert_eq!(read::<i32>("-1"), Ok(Some(-1)));
    }

    #[test]
    fn what_is_not_an_integer_is_kept_as_it_came() {
        for json in ["21.5", r#""21.5""#, r#""abc""#, "3000000000", "true", "[1]", r#""NaN""#, r#"{"a": 1}"#] {
            let kept = read::<i32>(json).unwrap_err();
            assert_eq!(kept, serde_json::from_str::<Value>(json).unwrap(), "{json}");
        }
        assert!(read::<i64>("1e19").is_err());
        assert!(read::<f64>(r#""twelve""#).is_err());
    }

    #[test]
    fn booleans_in_every_form_halo_uses() {
        for json in ["true", r#""true""#, r#""True""#, r#"" TRUE ""#, "1", "1.0", r#""1""#] {
            assert_eq!(read::<bool>(json), Ok(Some(true)), "{json}");
        }
        for json in ["false", r#""false""#, r#""False""#, "0", "0.0", r#""0""#] {
            assert_eq!(read::<bool>(json), Ok(Some(false)), "{json}");
        }
        for json in ["null", r#""""#, r#"" ""#] {
            assert_eq!(read::<bool>(json), Ok(None), "{json}");
        }
        for json in ["2", "-1", "0.5", r#""yes""#, r#""2""#, "[]", "{}"] {
            assert!(read::<bool>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn i64_f64_and_strings() {
        assert_eq!(read::<i64>(r#""9007199254740993""#), Ok(Some(9_007_199_254_740_993)));
        assert_eq!(read::<i64>("1e18"), Ok(Some(1_000_000_000_000_000_000)));
        assert_eq!(read::<f64>(r#""12.5""#), Ok(Some(12.5)));
        assert_eq!(read::<f64>("3"), Ok(Some(3.0)));
        assert_eq!(read::<String>(r#""""#), Ok(Some(String::new())), "an empty string is a string");
        assert_eq!(read::<String>("0"), Err(Value::from(0)), "a number is not a string");
        assert_eq!(read::<u8>("300"), Err(Value::from(300)));
    }
}
