//! Halo's error bodies. Halo is an ASP.NET application and answers failures in several shapes
//! (`{ClassName, Message}`, `{resultCode, errorMessage}`, `{Message}`, OAuth's `{error, error_description}`,
//! validation's `{message, errors}`, ASP.NET's problem details and model state, plain text, an HTML page), and
//! sometimes with status 200 (a failed licence-seat check, for one), so a successful answer is checked for those
//! shapes too. Also the excerpts of bodies that errors quote.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::scrub::is_credential_name;

/// One field of a request that Halo refused, with Halo's messages about it; see [`Error::field_errors`](super::Error::field_errors).
///
/// The field is Halo's path to it: `[0].outcome_id` is `outcome_id` of the first item of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub(crate) field: String,
    pub(crate) messages: Vec<String>,
}

impl FieldError {
    /// Halo's path to the field (`[0].outcome_id`, `name`); empty for the body as a whole.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What Halo said about it, in its order (`Could not convert string to integer: x. Path '[0].outcome_id' ...`).
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
}

/// Every key that occurs in one of Halo's error shapes. An object with any other key (an `id`, say) is a record.
const ERROR_KEYS: &[&str] = &[
    // .NET exceptions and ASP.NET's HttpError.
    "ClassName",
    "Message",
    "MessageDetail",
    "ExceptionMessage",
    "ExceptionType",
    "StackTrace",
    "StackTraceString",
    "RemoteStackTraceString",
    "RemoteStackIndex",
    "ExceptionMethod",
    "Source",
    "HResult",
    "HelpURL",
    "HelpLink",
    "InnerException",
    "Data",
    "ModelState",
    "WatsonBuckets",
    // {resultCode, errorMessage}.
    "resultCode",
    "errorMessage",
    // OAuth.
    "error",
    "error_description",
    "error_uri",
    // Validation, and ASP.NET Core problem details.
    "message",
    "errors",
    "type",
    "title",
    "status",
    "detail",
    "instance",
    "traceId",
];

/// Halo's message from an error answer's body, in any of its shapes; `None` for an empty body.
pub(crate) fn halo_message(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.starts_with('{') {
        if let Ok(map) = serde_json::from_str::<Map<String, Value>>(trimmed) {
            if let Some(message) = object_message(&map) {
                return Some(message);
            }
        }
    } else if trimmed.starts_with('"') {
        if let Ok(message) = serde_json::from_str::<String>(trimmed) {
            return Some(one_line(&message, 200));
        }
    } else if content_type.is_some_and(|ct| ct.contains("html")) || trimmed.starts_with('<') {
        if let Some(title) = html_title(trimmed) {
            return Some(title);
        }
    }
    Some(one_line(trimmed, 200))
}

/// Under a 2xx status: Halo's message if the body is an error shape, `None` for anything else.
///
/// Cheap on normal answers: the check reads the top-level keys only until the first one that no error shape has,
/// which for a record or a list is usually the first key. Only objects count; an array never is an error.
pub(crate) fn success_error_message(body: &[u8]) -> Option<String> {
    if first_byte(body) != Some(b'{') {
        return None;
    }
    let Probe(map) = serde_json::from_slice::<Probe>(body).ok()?;
    is_error_shape(&map).then(|| object_message(&map)).flatten()
}

/// Whether an object (known to have error keys only) is one of Halo's error shapes rather than, say, `{}` or a
/// harmless `{"message": "done"}`.
fn is_error_shape(map: &Map<String, Value>) -> bool {
    let text = |key: &str| map.get(key).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty());
    let has_errors = map.get("errors").is_some_and(|errors| !error_list(errors).is_empty());
    let problem_status = map.get("status").and_then(Value::as_u64).is_some_and(|status| status >= 400);
    (map.contains_key("ClassName") && text("Message"))
        || text("errorMessage")
        || text("error")
        || text("Message")
        || (text("message") && has_errors)
        || (text("title") && problem_status)
}

/// The message of an error object, trying the shapes from the most to the least specific.
fn object_message(map: &Map<String, Value>) -> Option<String> {
    let text = |key: &str| {
        map.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(|s| one_line(s, 500))
    };
    // OAuth: `{"error": "invalid_client", "error_description": "..."}`; some servers nest an object in `error`.
    match map.get("error") {
        Some(Value::String(error)) if !error.trim().is_empty() => {
            return Some(match text("error_description") {
                Some(description) => format!("{}: {description}", error.trim()),
                None => error.trim().to_owned(),
            });
        }
        Some(Value::Object(nested)) => {
            if let Some(message) = object_message(nested) {
                return Some(message);
            }
        }
        _ => {}
    }
    if let Some(message) = text("errorMessage") {
        return Some(message);
    }
    if let Some(message) = text("Message") {
        // ASP.NET Web API's invalid model: `{"Message": "The request is invalid.", "ModelState": {...}}`.
        let fields = map.get("ModelState").map(error_list).unwrap_or_default();
        if !fields.is_empty() {
            return Some(format!("{message}: {}", fields.join("; ")));
        }
        // ASP.NET's HttpError puts the useful part in ExceptionMessage or MessageDetail.
        return Some(match text("ExceptionMessage").or_else(|| text("MessageDetail")) {
            Some(detail) if detail != message => format!("{message} ({detail})"),
            _ => message,
        });
    }
    if is_model_state(map) {
        // ASP.NET Core's `BadRequest(ModelState)`: the dictionary itself.
        let fields = error_list(&Value::Object(map.clone()));
        return (!fields.is_empty()).then(|| fields.join("; "));
    }
    let errors = map.get("errors").map(error_list).unwrap_or_default();
    let head = text("message").or_else(|| text("title")).or_else(|| text("detail"));
    match (head, errors.is_empty()) {
        (Some(head), true) => Some(head),
        (Some(head), false) => Some(format!("{head}: {}", errors.join("; "))),
        (None, false) => Some(errors.join("; ")),
        (None, true) => None,
    }
}

/// Validation messages from `errors`: an array (of strings or objects) or an object of field → message(s).
fn error_list(errors: &Value) -> Vec<String> {
    match errors {
        Value::Object(fields) => fields_of(fields)
            .into_iter()
            .flat_map(|field| {
                let FieldError { field, messages } = field;
                messages.into_iter().map(
                    move |message| {
                        if field.is_empty() { message } else { format!("{field}: {message}") }
                    },
                )
            })
            .collect(),
        other => messages_of(other),
    }
}

/// The messages of one field's value: a string, an array of them, or objects with a message.
fn messages_of(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => vec![one_line(s, 200)],
        Value::Array(items) => items.iter().flat_map(messages_of).collect(),
        Value::Object(map) => {
            match ["message", "Message", "errorMessage", "error"].iter().find_map(|k| map.get(*k)?.as_str()) {
                Some(message) => vec![one_line(message, 200)],
                None => vec![one_line(&Value::Object(map.clone()).to_string(), 200)],
            }
        }
        Value::Null | Value::String(_) => Vec::new(),
        other => vec![other.to_string()],
    }
}

/// A model-state dictionary (field path → messages) as [`FieldError`]s, in the body's order (serde_json's `Map` is
/// sorted, which keeps the order deterministic). A credential's field keeps its messages' words but not the values
/// they quote ("The value '***' is not valid for password.").
fn fields_of(fields: &Map<String, Value>) -> Vec<FieldError> {
    fields
        .iter()
        .filter_map(|(field, value)| {
            let mut messages = messages_of(value);
            if is_credential_name(field) {
                messages = messages.iter().map(|message| without_quoted_values(message)).collect();
            }
            (!messages.is_empty()).then(|| FieldError { field: field.clone(), messages })
        })
        .collect()
}

/// `text` with what it quotes (`'...'`, `"..."`) replaced by `***`.
fn without_quoted_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(['\'', '"']) {
        let quote = &rest[open..open + 1];
        match rest[open + 1..].find(quote) {
            Some(close) => {
                out.push_str(&rest[..open + 1]);
                out.push_str("***");
                out.push_str(quote);
                rest = &rest[open + 1 + close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// Whether an error answer's object is an ASP.NET model-state dictionary (what `BadRequest(ModelState)` sends): no
/// key of another error shape, and every value a message or an array of messages.
fn is_model_state(map: &Map<String, Value>) -> bool {
    !map.is_empty()
        && !map.keys().any(|key| ERROR_KEYS.contains(&key.as_str()))
        && map.values().all(|value| match value {
            Value::String(_) => true,
            Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_string),
            _ => false,
        })
}

/// The per-field messages of an error answer's body: ASP.NET's model-state dictionary at the top level (captured
/// from Halo: `{"[0].outcome_id": ["Could not convert ..."]}`), the `errors` object of problem details or of a
/// validation body, or the `ModelState` of ASP.NET Web API's `{"Message", "ModelState"}`.
pub(crate) fn field_errors_of(body: &[u8]) -> Vec<FieldError> {
    if first_byte(body) != Some(b'{') {
        return Vec::new();
    }
    let Ok(map) = serde_json::from_slice::<Map<String, Value>>(body) else { return Vec::new() };
    match (map.get("errors"), map.get("ModelState")) {
        (Some(Value::Object(fields)), _) | (_, Some(Value::Object(fields))) => fields_of(fields),
        _ if is_model_state(&map) => fields_of(&map),
        _ => Vec::new(),
    }
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = one_line(html.get(start..end)?, 200);
    (!title.is_empty()).then_some(title)
}

/// Whitespace runs (newlines included) become one space; at most `max` characters, with `…` when cut.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

pub(crate) fn first_byte(body: &[u8]) -> Option<u8> {
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// The top-level keys and values of an object, or a (cheap) failure at the first key no error shape has.
struct Probe(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ProbeVisitor)
    }
}

struct ProbeVisitor;

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Probe, A::Error> {
        let mut map = Map::new();
        while let Some(ErrorKey(key)) = access.next_key::<ErrorKey>()? {
            map.insert(key.to_owned(), access.next_value::<Value>()?);
        }
        Ok(Probe(map))
    }
}

/// A key of [`ERROR_KEYS`]; any other key fails, which stops the parse right there.
struct ErrorKey(&'static str);

impl<'de> serde::Deserialize<'de> for ErrorKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = ErrorKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key of an error shape")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<ErrorKey, E> {
                ERROR_KEYS
                    .iter()
                    .find(|known| **known == key)
                    .map(|known| ErrorKey(known))
                    .ok_or_else(|| E::custom("a record"))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// At most 200 characters of the body, around `offset` when given, cut on character boundaries, on one line.
pub(crate) fn excerpt(body: &[u8], offset: Option<usize>) -> String {
    excerpt_of(body, offset, 200)
}

/// The longest excerpt of an error answer's body an [`Error`](super::Error) keeps, in characters.
pub(crate) const ERROR_EXCERPT_CHARS: usize = 500;

/// The `traceId` of an error body in ASP.NET's problem-details shape.
pub(crate) fn body_trace_id(body: &[u8]) -> Option<String> {
    if first_byte(body) != Some(b'{') {
        return None;
    }
    let map = serde_json::from_slice::<Map<String, Value>>(body).ok()?;
    let trace_id = map.get("traceId")?.as_str()?.trim();
    (!trace_id.is_empty()).then(|| one_line(trace_id, 200))
}

/// At most `max` characters of the body, around `offset` when given, cut on character boundaries, on one line.
pub(crate) fn excerpt_of(body: &[u8], offset: Option<usize>, max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let total = text.chars().count();
    // Position of the failure, in characters (the lossy text may differ from the bytes in length).
    let at = offset.map_or(0, |offset| {
        let offset = offset.min(text.len());
        let mut boundary = offset;
        while !text.is_char_boundary(boundary) {
            boundary -= 1;
        }
        text[..boundary].chars().count()
    });
    let start = if total <= max { 0 } else { at.saturating_sub(max / 2).min(total - max) };
    let mut out: String = text.chars().skip(start).take(max).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if start + max < total {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> Option<String> {
        halo_message(Some("application/json"), body.as_bytes())
    }

    #[test]
    fn every_error_shape_gives_its_message() {
        let cases = [
            (r#"{"ClassName":"HaloException","Message":"No licence seats available"}"#, "No licence seats available"),
            (r#"{"resultCode":2,"errorMessage":"Ticket type not found"}"#, "Ticket type not found"),
            (r#"{"Message":"An error has occurred."}"#, "An error has occurred."),
            (
                r#"{"Message":"An error has occurred.","ExceptionMessage":"Object reference not set"}"#,
                "An error has occurred. (Object reference not set)",
            ),
            (
                r#"{"error":"invalid_client","error_description":"The client id is unknown"}"#,
                "invalid_client: The client id is unknown",
            ),
            (r#"{"error":"invalid_scope"}"#, "invalid_scope"),
            (
                r#"{"message":"Validation failed","errors":["name is required","email is invalid"]}"#,
                "Validation failed: name is required; email is invalid",
            ),
            (
                r#"{"message":"Validation failed","errors":{"name":["is required"],"email":"is invalid"}}"#,
                "Validation failed: email: is invalid; name: is required",
            ),
            (r#"{"message":"Bad","errors":[{"message":"x is wrong"}]}"#, "Bad: x is wrong"),
            (r#"{"message":"Something broke"}"#, "Something broke"),
            (
                r#"{"title":"One or more validation errors occurred.","status":400,"errors":{"id":["The value 'x' is not valid."]}}"#,
                "One or more validation errors occurred.: id: The value 'x' is not valid.",
            ),
            (r#"{"error":{"message":"nested"}}"#, "nested"),
            (r#""quoted text""#, "quoted text"),
        ];
        for (body, expected) in cases {
            assert_eq!(message(body).as_deref(), Some(expected), "body: {body}");
        }
    }

    #[test]
    fn plain_text_html_and_empty_bodies() {
        let text = "Rate Limit Reached - 300 Requests per rolling 5 minute window";
        assert_eq!(halo_message(Some("text/plain"), text.as_bytes()).as_deref(), Some(text));
        assert_eq!(halo_message(None, b"  line one\r\n  line two  ").as_deref(), Some("line one line two"));
        let html = "<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head><body>...</body></html>";
        assert_eq!(
            halo_message(Some("text/html"), html.as_bytes()).as_deref(),
            Some("404 - File or directory not found.")
        );
        assert_eq!(halo_message(None, b"   "), None);
        let long = "x".repeat(1000);
        let cut = halo_message(None, long.as_bytes()).unwrap();
        assert_eq!(cut.chars().count(), 201);
        assert!(cut.ends_with('…'));
        // An object of another shape: its text.
        assert_eq!(message(r#"{"foo":1}"#).as_deref(), Some(r#"{"foo":1}"#));
    }

    #[test]
    fn error_bodies_under_2xx_are_recognised() {
        for body in [
            r#"{"ClassName":"HaloException","Message":"No licence seats available"}"#,
            r#"{"resultCode":1,"errorMessage":"failed"}"#,
            r#"{"Message":"An error has occurred."}"#,
            r#"{"error":"invalid_client","error_description":"bad"}"#,
            r#"{"message":"Validation failed","errors":["x"]}"#,
            r#"{"message":"Validation failed","errors":{"x":"y"}}"#,
            r#"  {"title":"Bad","status":400,"traceId":"00-ab"}"#,
        ] {
            assert!(success_error_message(body.as_bytes()).is_some(), "should be an error: {body}");
        }
    }

    #[test]
    fn records_and_lists_under_2xx_are_not_errors() {
        for body in [
            r#"{"id":12,"name":"Alice","Message":"hello"}"#,
            r#"{"Message":"hello","id":12}"#,
            r#"{"record_count":0,"agents":[]}"#,
            r#"[{"ClassName":"HaloException","Message":"in an array"}]"#,
            r#"{}"#,
            r#"{"message":"done"}"#,
            r#"{"message":"done","errors":[]}"#,
            r#"{"resultCode":0,"errorMessage":""}"#,
            r#"{"type":"agent","title":"Engineer","status":1}"#,
            r#"{"ClassName":"HaloException","Mess"#,
            "",
            "not json",
        ] {
            assert_eq!(success_error_message(body.as_bytes()), None, "should not be an error: {body}");
        }
    }

    #[test]
    fn excerpts_are_short_and_cut_on_char_boundaries() {
        assert_eq!(excerpt(b"short", None), "short");
        let body = "é".repeat(500);
        let start = excerpt(body.as_bytes(), None);
        assert_eq!(start.chars().count(), 201);
        assert!(start.ends_with('…'));
        // Around an offset in the middle of a two-byte character.
        let middle = excerpt(body.as_bytes(), Some(501));
        assert!(middle.starts_with('…') && middle.ends_with('…'));
        assert_eq!(middle.chars().count(), 202);
        let end = excerpt(body.as_bytes(), Some(body.len()));
        assert!(end.starts_with('…') && !end.ends_with('…'));
        assert_eq!(excerpt(b"a\nb\tc", None), "a b c");
        assert_eq!(excerpt(&[0x66, 0xff, 0x6f], None), "f\u{fffd}o");
    }
}
