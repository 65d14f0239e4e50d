//! Normalize: Halo's swagger defects (HALO-NOTES §1.4) fixed on each upstream item before it is compared or imported.
//!
//! Only upstream items pass through here; the curated spec is never normalized (its text is a decision). Each fix
//! leaves a note `<what was fixed>: <where>` for the report.

use crate::openapi_json::{Json, Object};

/// Notes of one normalization pass: `(what was fixed, where)`.
pub type Notes = Vec<(String, String)>;

/// The media types a body or response is offered as; the JSON one is kept under `application/json`.
/// `application/json-patch+json` is never chosen: Halo lists it first, but it means a JSON Patch document.
fn json_media(content: &Object) -> Option<&str> {
    if content.contains_key("application/json") {
        return Some("application/json");
    }
    content.keys().find(|media| (*media == "text/json" || media.ends_with("+json")) && !media.contains("json-patch"))
}

/// The query-parameter schema for one of Halo's invalid type names, or `None` when the type is valid OpenAPI.
fn fixed_type(typ: &str) -> Option<(Object, bool)> {
    let integer32 = || Object::new().with("type", "integer").with("format", "int32");
    let fixed = match typ {
        "int" | "int32" | "Int32" => integer32(),
        "long" | "int64" | "Int64" => Object::new().with("type", "integer").with("format", "int64"),
        "bool" | "Boolean" => Object::new().with("type", "boolean"),
        "double" | "float" | "decimal" | "Double" | "Decimal" => {
            Object::new().with("type", "number").with("format", "double")
        }
        "DateTime" | "datetime" | "date" => Object::new().with("type", "string").with("format", "date-time"),
        "Guid" | "guid" => Object::new().with("type", "string").with("format", "uuid"),
        _ => {
            let inner = typ.strip_prefix("List<").or_else(|| typ.strip_prefix("IEnumerable<"))?;
            let inner = inner.strip_suffix('>')?;
            let items = match fixed_type(inner) {
                Some((items, _)) => items,
                None if inner == "string" => Object::new().with("type", "string"),
                None => return None,
            };
            return Some((Object::new().with("type", "array").with("items", items), true));
        }
    };
    Some((fixed, false))
}

fn is_openapi_type(typ: &str) -> bool {
    matches!(typ, "integer" | "number" | "string" | "boolean" | "array" | "object")
}

/// A query or path parameter's schema, fixed. `Err` when the parameter cannot be sent at all.
/// Returns the schema and whether the parameter must be sent comma-separated (`explode: false`).
fn parameter_schema(schema: Option<&Json>, at: &str, notes: &mut Notes) -> Result<(Json, bool), String> {
    let Some(Json::Object(schema)) = schema else {
        // A query value is text on the wire, so an undeclared type is sent as text.
        notes.push(("parameter without a schema → string".to_owned(), at.to_owned()));
        return Ok((Object::new().with("type", "string").into(), false));
    };
    if schema.contains_key("$ref") {
        // Halo refers to integer enums (`WebhookSubscriptionAction`); the reference is kept and resolved on import.
        return Ok((Json::Object(schema.clone()), false));
    }
    let Some(typ) = schema.str("type") else {
        notes.push(("untyped parameter → string".to_owned(), at.to_owned()));
        let mut fixed = schema.clone();
        fixed.insert_at(0, "type", "string");
        return Ok((fixed.into(), false));
    };
    if let Some((mut fixed, comma_separated)) = fixed_type(typ) {
        let label = if comma_separated {
            format!("`{typ}` → array of integer, explode: false")
        } else {
            let format = fixed.str("format").map(|f| format!(" ({f})")).unwrap_or_default();
            format!("`{typ}` → {}{format}", fixed.str("type").unwrap_or_default())
        };
        notes.push((label, at.to_owned()));
        for (key, value) in schema.iter().filter(|(key, _)| !matches!(*key, "type" | "format")) {
            fixed.insert(key, value.clone());
        }
        return Ok((fixed.into(), comma_separated));
    }
    if !is_openapi_type(typ) || typ == "object" {
        // `obj` (and objects in general) have no query form a client can build; Halo reads the raw text.
        notes.push((format!("`{typ}` → string"), at.to_owned()));
        return Ok((Object::new().with("type", "string").into(), false));
    }
    if typ == "integer" && !schema.contains_key("format") {
        // Halo's own parameter type is `int` (C# `int`); newer swaggers print it as a bare `integer`, which would
        // read as 64-bit. Swashbuckle always writes `int64` for a C# `long`, so a bare `integer` is an `int`.
        notes.push(("`integer` without format → integer (int32)".to_owned(), at.to_owned()));
        let mut fixed = schema.clone();
        let at_type = fixed.position("type").map_or(0, |p| p + 1);
        fixed.insert_at(at_type, "format", "int32");
        return Ok((fixed.into(), false));
    }
    if typ == "array" {
        let inline_items = schema.object("items").and_then(|items| items.str("type"));
        return match inline_items {
            Some("string" | "integer") => Ok((Json::Object(schema.clone()), true)),
            Some(item) if fixed_type(item).is_some() => {
                let (items, _) = fixed_type(item).expect("checked");
                let mut fixed = schema.clone();
                fixed.insert("items", items);
                notes.push((format!("`{item}` → array items fixed"), at.to_owned()));
                Ok((fixed.into(), true))
            }
            _ => Err("an array of objects cannot be sent in a query string".to_owned()),
        };
    }
    Ok((Json::Object(schema.clone()), false))
}

/// The operation's parameters: duplicates dropped (the first kept), types fixed, descriptions made text.
/// Each parameter comes with its own notes (reported only if it is imported); `notes` gets the duplicates and drops.
pub fn parameters(params: Option<&Json>, at: &str, notes: &mut Notes) -> Vec<(Object, Notes)> {
    let mut out: Vec<(Object, Notes)> = Vec::new();
    for param in params.and_then(Json::as_array).into_iter().flatten() {
        let Some(param) = param.as_object() else { continue };
        let (Some(name), Some(location)) = (param.str("name"), param.str("in")) else { continue };
        let param_at = format!("{at} {name}");
        if out.iter().any(|(p, _)| p.str("name") == Some(name) && p.str("in") == Some(location)) {
            notes.push(("duplicate parameter dropped (the first kept)".to_owned(), param_at));
            continue;
        }
        let mut own = Notes::new();
        let (schema, comma_separated) = match parameter_schema(param.get("schema"), &param_at, &mut own) {
            Ok(fixed) => fixed,
            Err(reason) => {
                notes.push((format!("parameter dropped ({reason})"), param_at));
                continue;
            }
        };
        // Canonical key order for what the import writes: name, in, required, schema, explode, description.
        let mut fixed = Object::new().with("name", name).with("in", location);
        if location == "path" || param.get("required").and_then(Json::as_bool) == Some(true) {
            fixed.insert("required", true);
        }
        let mut schema = schema;
        self::schema(&mut schema, &param_at, &mut own);
        fixed.insert("schema", schema);
        if comma_separated && location == "query" {
            fixed.insert("explode", false);
        }
        if let Some(text) = param.str("description").and_then(|d| text(d, &param_at, &mut own)) {
            fixed.insert("description", text);
        }
        for (key, value) in param.iter() {
            if !matches!(key, "name" | "in" | "required" | "schema" | "explode" | "style" | "description") {
                fixed.insert(key, value.clone());
            }
        }
        out.push((fixed, own));
    }
    out
}

/// A request body offered as `application/json` only, or why it cannot be imported.
pub fn request_body(body: &Json, at: &str, notes: &mut Notes) -> Result<Object, String> {
    let content = body.get("content").and_then(Json::as_object).cloned().unwrap_or_default();
    let Some(media) = json_media(&content) else {
        let types: Vec<&str> = content.keys().collect();
        return Err(format!("request body is {} only; the client sends JSON", types.join(", ")));
    };
    let mut media_type = content.get(media).cloned().unwrap_or_else(|| Object::new().into());
    if let Some(schema) = media_type.as_object_mut().and_then(|m| m.get_mut("schema")) {
        self::schema(schema, at, notes);
    }
    if content.len() > 1 || media != "application/json" {
        notes.push(("body media types reduced to application/json".to_owned(), at.to_owned()));
    }
    // Halo's create and update calls need their body, though the swagger never says `required`.
    let mut fixed = Object::new();
    if let Some(description) = body.get("description").and_then(Json::as_str).and_then(|d| text(d, at, notes)) {
        fixed.insert("description", description);
    }
    fixed.insert("required", true);
    fixed.insert("content", Object::new().with("application/json", media_type));
    Ok(fixed)
}

/// Responses with JSON content under `application/json` only (binary content kept: it means raw bytes).
pub fn responses(responses: Option<&Json>, at: &str, notes: &mut Notes) -> Object {
    let mut fixed = Object::new();
    for (code, response) in responses.and_then(Json::as_object).into_iter().flat_map(Object::iter) {
        let Some(response) = response.as_object() else { continue };
        let mut out = Object::new();
        let description = response.str("description").and_then(|d| text(d, at, notes));
        out.insert("description", description.unwrap_or_else(|| "OK".to_owned()));
        if let Some(content) = response.object("content") {
            let mut kept = Object::new();
            if let Some(media) = json_media(content) {
                let mut media_type = content.get(media).cloned().unwrap_or_default();
                if let Some(schema) = media_type.as_object_mut().and_then(|m| m.get_mut("schema")) {
                    self::schema(schema, at, notes);
                }
                kept.insert("application/json", media_type);
            }
            for (media, media_type) in content.iter() {
                if media.starts_with("image/") || media == "application/octet-stream" {
                    kept.insert(media, media_type.clone());
                }
            }
            if !kept.is_empty() {
                out.insert("content", kept);
            }
        }
        fixed.insert(code, out);
    }
    if fixed.is_empty() {
        fixed.insert("200", Object::new().with("description", "OK"));
    }
    fixed
}

/// Fixes a schema in place: `additionalProperties: false` stripped (Halo returns undocumented fields), invalid type
/// names fixed, HTML descriptions made text. Recurses into properties, items and additionalProperties.
pub fn schema(value: &mut Json, at: &str, notes: &mut Notes) {
    let mut stripped = false;
    fix_schema(value, at, notes, &mut stripped);
    if stripped {
        notes.push(("`additionalProperties: false` stripped".to_owned(), at.to_owned()));
    }
}

fn fix_schema(value: &mut Json, at: &str, notes: &mut Notes, stripped: &mut bool) {
    let Some(object) = value.as_object_mut() else { return };
    if object.get("additionalProperties") == Some(&Json::Bool(false)) {
        object.remove("additionalProperties");
        *stripped = true;
    }
    if let Some(typ) = object.str("type").map(str::to_owned)
        && !is_openapi_type(&typ)
    {
        match fixed_type(&typ) {
            Some((fixed, _)) => {
                let index = object.position("type").unwrap_or(0);
                object.remove("type");
                object.remove("format");
                for (offset, (key, value)) in fixed.iter().enumerate() {
                    object.insert_at(index + offset, key, value.clone());
                }
                notes.push((format!("`{typ}` → {}", crate::openapi_json::type_label(&fixed.into())), at.to_owned()));
            }
            None => {
                object.remove("type");
                notes.push((format!("`{typ}` → untyped"), at.to_owned()));
            }
        }
    }
    if let Some(Json::String(description)) = object.get_mut("description") {
        match text(description, at, notes) {
            Some(fixed) => *description = fixed,
            None => {
                object.remove("description");
            }
        }
    }
    if let Some(properties) = object.object_mut("properties") {
        for (name, property) in properties.iter_mut() {
            fix_schema(property, &format!("{at}.{name}"), notes, stripped);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = object.get_mut(key) {
            fix_schema(inner, at, notes, stripped);
        }
    }
}

/// A description or summary as plain text (`None` when empty). HTML (`<br>`, tags, entities) becomes text.
pub fn text(input: &str, at: &str, notes: &mut Notes) -> Option<String> {
    let fixed = html_to_text(input);
    if fixed != input.trim() {
        notes.push(("HTML description converted to text".to_owned(), at.to_owned()));
    }
    (!fixed.is_empty()).then_some(fixed)
}

/// HTML to plain text: whitespace runs (Halo's `\r\n\t\t\t\t`) collapse as HTML does, `<br>`, `<p>` and list items
/// break lines, other tags go, entities are decoded. Text without tags or entities is only trimmed.
pub fn html_to_text(input: &str) -> String {
    let looks_like_html = input.contains('&') || has_tag(input);
    if !looks_like_html {
        return input.trim().to_owned();
    }
    let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    let mut rest = collapsed.as_str();
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let is_tag = after[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>').filter(|_| is_tag) {
            Some(end) => {
                let inner = &after[1..end];
                let closing = inner.starts_with('/');
                let name: String = inner
                    .trim_start_matches('/')
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                match name.as_str() {
                    "br" | "p" | "div" | "tr" | "ul" | "ol" | "table" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        out.push('\n')
                    }
                    "li" if !closing => out.push_str("\n- "),
                    _ => {}
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    let decoded = decode_entities(&out);
    let mut lines: Vec<String> = Vec::new();
    for line in decoded.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let line = if line.starts_with("- ") || line == "-" { line } else { line.trim().to_owned() };
        if line.is_empty() && lines.last().is_none_or(|last: &String| last.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

fn has_tag(text: &str) -> bool {
    text.match_indices('<').any(|(i, _)| {
        let after = &text[i + 1..];
        after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') && after.contains('>')
    })
}

fn decode_entities(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let entity = after.find(';').filter(|end| *end <= 10).map(|end| &after[1..end]);
        let decoded = entity.and_then(|entity| match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            _ => {
                let code = entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X"));
                let number = match code {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => entity.strip_prefix('#').and_then(|dec| dec.parse().ok()),
                };
                number.and_then(char::from_u32)
            }
        });
        match (entity, decoded) {
            (Some(entity), Some(c)) => {
                out.push(c);
                rest = &after[entity.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            html_to_text("Use this to return multiple Uname.<br>\r\n\t\t\t\tRequires authentication."),
            "Use this to return multiple Uname.\nRequires authentication."
        );
        assert_eq!(html_to_text("<p>A &amp; B</p><ul><li>one</li><li>two</li></ul>"), "A & B\n\n- one\n- two");
        assert_eq!(html_to_text("  plain\ntext  "), "plain\ntext");
        assert_eq!(html_to_text("a < b and c > d"), "a < b and c > d");
    }

    #[test]
    fn invalid_types_are_fixed() {
        let mut notes = Notes::new();
        let fix = |typ: &str, notes: &mut Notes| {
            let schema = Json::Object(Object::new().with("type", typ));
            parameter_schema(Some(&schema), "here", notes)
                .map(|(s, explode)| (crate::openapi_json::type_label(&s), explode))
        };
        assert_eq!(fix("int", &mut notes), Ok(("integer (int32)".to_owned(), false)));
        assert_eq!(fix("bool", &mut notes), Ok(("boolean".to_owned(), false)));
        assert_eq!(fix("double", &mut notes), Ok(("number (double)".to_owned(), false)));
        assert_eq!(fix("List<int>", &mut notes), Ok(("array of integer (int32)".to_owned(), true)));
        assert_eq!(fix("DateTime", &mut notes), Ok(("string (date-time)".to_owned(), false)));
        assert_eq!(fix("obj", &mut notes), Ok(("string".to_owned(), false)));
        assert_eq!(fix("string", &mut notes), Ok(("string".to_owned(), false)));
        assert_eq!(notes.len(), 6);
    }
}
