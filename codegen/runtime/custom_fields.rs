//! Custom fields: reading one by name or id as a typed value, and an update that changes some without blanking
//! the others.
//!
//! Halo replaces a record's whole `customfields` array on a POST: an entry left out is emptied (HaloAPI issue #13,
//! spec/README.md). So an update that sets one field must send every field, with their current values. The
//! models that carry custom fields get `custom_field(key)` and `custom_fields_update(changes)`, which call this
//! module through [`Entry`], implemented by the generated `CustomField`.

use serde_json::Value;

use super::{DateTime, Error, Result};

/// Which custom field: by its name (`"CFEmployeeNumber"`) or by its id (`141`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomFieldKey<'a> {
    /// The field's `name` (Halo's `CF...` name, not its label).
    Name(&'a str),
    /// The field's `id`.
    Id(i64),
}

impl<'a> From<&'a str> for CustomFieldKey<'a> {
    fn from(name: &'a str) -> Self {
        CustomFieldKey::Name(name)
    }
}

impl<'a> From<&'a String> for CustomFieldKey<'a> {
    fn from(name: &'a String) -> Self {
        CustomFieldKey::Name(name)
    }
}

impl From<i32> for CustomFieldKey<'_> {
    fn from(id: i32) -> Self {
        CustomFieldKey::Id(id.into())
    }
}

impl From<i64> for CustomFieldKey<'_> {
    fn from(id: i64) -> Self {
        CustomFieldKey::Id(id)
    }
}

/// The value of one custom field of a record, read with typed accessors.
///
/// Halo sends a custom field's value as whatever JSON suits its type (a string, a number, a boolean, an array
/// for multi-selects, `null` when empty). The accessors are lenient like the models' numbers: `as_i64` reads
/// `21`, `21.0` and `"21"`; `as_bool` reads `true`, `1` and `"true"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomFieldValue<'a> {
    value: Option<&'a Value>,
    display: Option<&'a str>,
}

impl<'a> CustomFieldValue<'a> {
    /// The value as Halo sent it; `None` when it sent none or `null`.
    pub fn as_json(&self) -> Option<&'a Value> {
        self.value.filter(|value| !value.is_null())
    }

    /// Whether the field is empty: no value, `null`, or an empty string or array.
    pub fn is_empty(&self) -> bool {
        match self.as_json() {
            None => true,
            Some(Value::String(text)) => text.is_empty(),
            Some(Value::Array(items)) => items.is_empty(),
            Some(_) => false,
        }
    }

    /// The value if it is a string.
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_json()?.as_str()
    }

    /// The value as an integer: a JSON integer, a number with no fraction (`21.0`) or a string of one (`"21"`).
    pub fn as_i64(&self) -> Option<i64> {
        match self.as_json()? {
            Value::Number(number) => number.as_i64().or_else(|| whole(number.as_f64()?)),
            Value::String(text) => text.trim().parse().ok().or_else(|| whole(text.trim().parse().ok()?)),
            _ => None,
        }
    }

    /// The value as a number: a JSON number or a string of one.
    pub fn as_f64(&self) -> Option<f64> {
        match self.as_json()? {
            Value::Number(number) => number.as_f64(),
            Value::String(text) => text.trim().parse().ok().filter(|n: &f64| n.is_finite()),
            _ => None,
        }
    }

    /// The value as a flag: `true`/`false`, `1`/`0`, or a string of either.
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_json()? {
            Value::Bool(flag) => Some(*flag),
            Value::Number(number) => match number.as_f64()? {
                1.0 => Some(true),
                0.0 => Some(false),
                _ => None,
            },
            Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value as a date and time, if it is a string [`DateTime`] can read (Halo's "never" included).
    pub fn as_date_time(&self) -> Option<DateTime> {
        self.as_str()?.parse().ok()
    }

    /// What Halo shows for the value (`display`): the label of a selected option, for instance.
    pub fn display(&self) -> Option<&'a str> {
        self.display
    }
}

fn whole(number: f64) -> Option<i64> {
    (number.fract() == 0.0 && number.abs() < 9.0e15).then_some(number as i64)
}

/// A custom-field entry of a model (the generated `CustomField`): what this module needs of it.
#[allow(dead_code)] // used by the models that carry custom fields, which depend on the spec and features
pub(crate) trait Entry: Clone + Default {
    fn id(&self) -> Option<i64>;
    fn name(&self) -> Option<&str>;
    fn value(&self) -> Option<&Value>;
    fn display(&self) -> Option<&str>;
    fn set_value(&mut self, value: Value);
    fn set_id(&mut self, id: i64);
    fn set_name(&mut self, name: &str);
}

fn matches<E: Entry>(entry: &E, key: CustomFieldKey<'_>) -> bool {
    match key {
        CustomFieldKey::Name(name) => entry.name() == Some(name),
        CustomFieldKey::Id(id) => entry.id() == Some(id),
    }
}

/// The field `key` names among `entries`.
#[allow(dead_code)] // used by the models that carry custom fields, which depend on the spec and features
pub(crate) fn find<'a, E: Entry>(entries: Option<&'a [E]>, key: CustomFieldKey<'_>) -> Option<CustomFieldValue<'a>> {
    let entry = entries?.iter().find(|entry| matches(*entry, key))?;
    Some(CustomFieldValue { value: entry.value(), display: entry.display() })
}

/// The record's whole custom-field array with `changes` applied: each change sets the value of the entry it
/// names (an entry the record lacks is added with the key given); every other entry is kept as it came, so Halo,
/// which replaces the whole array, blanks nothing. An error when the record came without its custom fields.
#[allow(dead_code)] // used by the models that carry custom fields, which depend on the spec and features
pub(crate) fn merged<'k, E: Entry>(
    entries: Option<&[E]>,
    changes: impl IntoIterator<Item = (CustomFieldKey<'k>, Value)>,
) -> Result<Vec<E>> {
    let Some(entries) = entries else {
        return Err(Error::invalid_request(
            "the record has no `customfields`: read it with its custom fields (get by id) before changing one, or \
             Halo would blank the fields left out",
        ));
    };
    let mut out = entries.to_vec();
    for (key, value) in changes {
        match out.iter_mut().find(|entry| matches(*entry, key)) {
            Some(entry) => entry.set_value(value),
            None => {
                let mut entry = E::default();
                match key {
                    CustomFieldKey::Name(name) => entry.set_name(name),
                    CustomFieldKey::Id(id) => entry.set_id(id),
                }
                entry.set_value(value);
                out.push(entry);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Clone, Default, PartialEq)]
    struct Field {
        id: Option<i64>,
        name: Option<String>,
        value: Option<Value>,
        display: Option<String>,
    }

    impl Entry for Field {
        fn id(&self) -> Option<i64> {
            self.id
        }
        fn name(&self) -> Option<&str> {
            self.name.as_deref()
        }
        fn value(&self) -> Option<&Value> {
            self.value.as_ref()
        }
        fn display(&self) -> Option<&str> {
            self.display.as_deref()
        }
        fn set_value(&mut self, value: Value) {
            self.value = Some(value);
        }
        fn set_id(&mut self, id: i64) {
            self.id = Some(id);
        }
        fn set_name(&mut self, name: &str) {
            self.name = Some(name.to_owned());
        }
    }

    fn field(id: i64, name: &str, value: Value) -> Field {
        Field { id: Some(id), name: Some(name.to_owned()), value: Some(value), display: None }
    }

    fn value(value: Value) -> CustomFieldValue<'static> {
        CustomFieldValue { value: Some(Box::leak(Box::new(value))), display: None }
    }

    #[test]
    fn typed_accessors_are_lenient() {
        assert_eq!(value(json!("E123")).as_str(), Some("E123"));
        assert_eq!(value(json!(21)).as_str(), None);
        for (json, expected) in [
            (json!(21), Some(21)),
            (json!(21.0), Some(21)),
            (json!("21"), Some(21)),
            (json!(" 21.0 "), Some(21)),
            (json!(21.5), None),
            (json!("x"), None),
            (json!(true), None),
        ] {
            assert_eq!(value(json.clone()).as_i64(), expected, "{json}");
        }
        assert_eq!(value(json!("2.5")).as_f64(), Some(2.5));
        assert_eq!(value(json!(2.5)).as_f64(), Some(2.5));
        assert_eq!(value(json!("NaN")).as_f64(), None);
        for (json, expected) in [
            (json!(true), Some(true)),
            (json!(0), Some(false)),
            (json!(1.0), Some(true)),
            (json!("True"), Some(true)),
            (json!("0"), Some(false)),
            (json!(2), None),
            (json!("yes"), None),
        ] {
            assert_eq!(value(json.clone()).as_bool(), expected, "{json}");
        }
        let date = value(json!("2026-11-20T16:42:11.283")).as_date_time().unwrap();
        assert_eq!(date.as_str(), "2026-11-20T16:42:11.283");
        assert_eq!(value(json!("soon")).as_date_time(), None);
        for empty in [json!(null), json!(""), json!([])] {
            assert!(value(empty.clone()).is_empty(), "{empty}");
        }
        assert_eq!(value(json!(null)).as_json(), None);
        assert!(!value(json!(0)).is_empty());
    }

    #[test]
    fn found_by_name_or_id() {
        let mut region = field(141, "CFAgentRegion", json!("EMEA"));
        region.display = Some("Europe".to_owned());
        let entries = vec![region, field(142, "CFEmployeeNumber", json!("E7"))];
        let by_name = find(Some(&entries), "CFEmployeeNumber".into()).unwrap();
        assert_eq!(by_name.as_str(), Some("E7"));
        let by_id = find(Some(&entries), 141.into()).unwrap();
        assert_eq!((by_id.as_str(), by_id.display()), (Some("EMEA"), Some("Europe")));
        assert_eq!(find(Some(&entries), "CFMissing".into()), None);
        assert_eq!(find(Some(&entries), "Region".into()), None, "the label is not the name");
        assert_eq!(find::<Field>(None, 141.into()), None);
    }

    #[test]
    fn merged_keeps_every_other_entry_and_adds_missing_ones() {
        let entries = vec![field(141, "CFAgentRegion", json!("EMEA")), field(142, "CFEmployeeNumber", json!("E7"))];
        let changes = [("CFEmployeeNumber".into(), json!("E8")), (CustomFieldKey::Id(150), json!(true))];
        let out = merged(Some(&entries), changes).unwrap();
        assert_eq!(
            out,
            vec![
                field(141, "CFAgentRegion", json!("EMEA")),
                field(142, "CFEmployeeNumber", json!("E8")),
                Field { id: Some(150), value: Some(json!(true)), ..Field::default() },
            ]
        );
        let out = merged(Some(&entries), [("CFNew".into(), Value::Null)]).unwrap();
        assert_eq!(out[2], Field { name: Some("CFNew".to_owned()), value: Some(Value::Null), ..Field::default() });
        let error = merged::<Field>(None, [("CFNew".into(), json!(1))]).unwrap_err();
        assert_eq!(error.kind(), super::super::ErrorKind::InvalidRequest);
        assert!(error.to_string().contains("no `customfields`"), "{error}");
    }
}
