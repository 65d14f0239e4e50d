//! Keeping secrets out of errors: the known secrets (the client secret, tokens, a link's signature) wherever they
//! appear, and any value in a credential position (a form field, query parameter, JSON member or header line named
//! for a credential, the credentials after `Bearer` or `Basic`), never words in prose.

use super::encode::FORM;

/// `text` with each known secret (as given, and percent-encoded as in a form) replaced by `***` wherever it appears,
/// and every value in a credential position ([`scrub_credentials`]) replaced by `***`.
pub(crate) fn scrub_text<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().map(AsRef::as_ref).filter(|secret| secret.len() >= 4) {
        // As sent in the token form, fully escaped, in lower-case hex, and with `+` for spaces: however a server
        // echoes it.
        let form: String = percent_encoding::utf8_percent_encode(secret, FORM).collect();
        let full: String = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC).collect();
        let lower = full.to_ascii_lowercase();
        let plus = form.replace("%20", "+");
        for form in [secret.to_owned(), form, full, lower, plus] {
            if out.contains(&form) {
                out = out.replace(&form, "***");
            }
        }
    }
    scrub_credentials(&out)
}

/// The words that make a name a credential's: a form field, query parameter, JSON member or header so named holds
/// one (`client_secret`, `access_token`, `new_password`, `x-api-key`, `X-Amz-Signature`, ...).
const CREDENTIAL_WORDS: &[&str] =
    &["password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "authorization", "cookie", "signature"];

/// Whether a name (of a field, member, parameter or header) says that its value is a credential.
pub(crate) fn is_credential_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    CREDENTIAL_WORDS.iter().any(|word| lower.contains(word))
}

/// `text` with the values in credential positions replaced by `***`: the value of a form field or query parameter
/// (`password=...`), of a JSON member (`"client_secret": "..."`, strings of an array included, also inside an
/// escaped JSON string) or of a header line (`Authorization: ...` at the start of a line) whose name is a
/// credential's ([`is_credential_name`]), and the credentials of an `Authorization` scheme (`Bearer ...`,
/// `Basic ...`). A credential word in prose ("Password is mandatory") is not a position, and stays.
pub(crate) fn scrub_credentials(text: &str) -> String {
    let bytes = text.as_bytes();
    // Spans to replace, in order and not overlapping.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if !is_name_byte(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && is_name_byte(bytes[at]) {
            at += 1;
        }
        let name = &text[start..at];
        let span = if is_credential_name(name) {
            member_value(text, start, at)
                .or_else(|| field_value(text, start, at))
                .or_else(|| header_value(text, start, at))
        } else if name.eq_ignore_ascii_case("bearer") || name.eq_ignore_ascii_case("basic") {
            scheme_credentials(text, at)
        } else {
            None
        };
        if let Some(found) = span {
            if spans.last().is_none_or(|last| found.0 >= last.1) {
                spans.extend(found.2);
                at = at.max(found.1);
            }
        }
    }
    if spans.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (from, to) in spans {
        out.push_str(&text[copied..from]);
        out.push_str("***");
        copied = to;
    }
    out.push_str(&text[copied..]);
    out
}

/// Where a credential value was found: from, to (the end of what was looked at), and the spans to replace.
type Found = (usize, usize, Vec<(usize, usize)>);

/// A byte of a name: `client_secret`, `x-api-key`, `user.password`, and ASP.NET's model-state paths
/// (`[0].password`).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']')
}

/// A quote at `at`, plain (`"`) or escaped inside a JSON string (`\"`): its length.
fn quote_at(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at..)? {
        [b'"', ..] => Some(1),
        [b'\\', b'"', ..] => Some(2),
        _ => None,
    }
}

fn skip_spaces(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
        at += 1;
    }
    at
}

/// `"name": value` (the name between quotes, plain or escaped): the string, the strings of an array, or a bare
/// value (a number; `null`, `true` and `false` are left).
fn member_value(text: &str, start: usize, end: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    let opening = if start >= 2 && &bytes[start - 2..start] == b"\\\"" {
        2
    } else if start >= 1 && bytes[start - 1] == b'"' {
        1
    } else {
        return None;
    };
    let closing = quote_at(bytes, end)?;
    if closing != opening {
        return None;
    }
    let colon = skip_spaces(bytes, end + closing);
    if bytes.get(colon) != Some(&b':') {
        return None;
    }
    let value = skip_spaces(bytes, colon + 1);
    match bytes.get(value)? {
        b'[' => {
            let mut spans = Vec::new();
            let mut at = value + 1;
            loop {
                at = skip_spaces(bytes, at);
                match bytes.get(at) {
                    None => return Some((start, at, spans)),
                    Some(b']') => return Some((start, at + 1, spans)),
                    Some(b',') => at += 1,
                    Some(_) => match string_value(bytes, at) {
                        Some((from, to, after)) => {
                            spans.push((from, to));
                            at = after;
                        }
                        None => {
                            let to = bare_end(bytes, at);
                            spans.push((at, to));
                            at = to.max(at + 1);
                        }
                    },
                }
            }
        }
        _ => match string_value(bytes, value) {
            Some((from, to, after)) => Some((start, after, vec![(from, to)])),
            None => {
                let to = bare_end(bytes, value);
                let bare = &text[value..to];
                let keep = bare.is_empty() || ["null", "true", "false"].contains(&bare);
                Some((start, to, if keep { Vec::new() } else { vec![(value, to)] }))
            }
        },
    }
}

/// A JSON string at `at` (plain or escaped quotes): the span of its content and the index after its closing quote.
fn string_value(bytes: &[u8], at: usize) -> Option<(usize, usize, usize)> {
    let quote = quote_at(bytes, at)?;
    let from = at + quote;
    let mut i = from;
    while i < bytes.len() {
        if quote == 1 {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return Some((from, i, i + 1)),
                _ => i += 1,
            }
        } else if bytes[i..].starts_with(b"\\\\\\\"") {
            // An escaped quote inside the escaped string.
            i += 4;
        } else if bytes[i..].starts_with(b"\\\"") {
            return Some((from, i, i + 2));
        } else if bytes[i..].starts_with(b"\\\\") {
            i += 2;
        } else {
            i += 1;
        }
    }
    Some((from, bytes.len(), bytes.len()))
}

/// The end of a bare (unquoted) value: up to a delimiter of JSON, a form, a query or prose.
fn bare_end(bytes: &[u8], at: usize) -> usize {
    let mut end = at;
    while end < bytes.len()
        && !matches!(
            bytes[end],
            b'&' | b',' | b';' | b'}' | b']' | b')' | b'"' | b'\'' | b'<' | b'>' | b'\\' | b' ' | b'\t' | b'\r' | b'\n'
        )
    {
        end += 1;
    }
    end
}

/// `name=value` as a form field or query parameter: the name starts the text or follows a separator.
fn field_value(text: &str, start: usize, end: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    if bytes.get(end) != Some(&b'=') {
        return None;
    }
    let separated = start == 0
        || matches!(
            bytes[start - 1],
            b'&' | b'?' | b';' | b',' | b'(' | b'{' | b'[' | b'"' | b'\'' | b' ' | b'\t' | b'\r' | b'\n'
        );
    if !separated {
        return None;
    }
    let to = bare_end(bytes, end + 1);
    Some((start, to, if to > end + 1 { vec![(end + 1, to)] } else { Vec::new() }))
}

/// `Name: value` as a header line: the name starts a line; the value is the rest of it.
fn header_value(text: &str, start: usize, end: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    if bytes.get(end) != Some(&b':') {
        return None;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..start].trim().is_empty() {
        return None;
    }
    let from = skip_spaces_in_line(bytes, end + 1);
    let to = text[from..].find(['\r', '\n']).map_or(text.len(), |i| from + i);
    Some((start, to, if to > from { vec![(from, to)] } else { Vec::new() }))
}

fn skip_spaces_in_line(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| matches!(b, b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// The credentials after an authorisation scheme's name (`Bearer`, `Basic`): a token68 of at least 8 characters
/// (a word after the scheme in prose, "Bearer token missing", is not one).
fn scheme_credentials(text: &str, end: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    let from = skip_spaces_in_line(bytes, end);
    if from == end {
        return None;
    }
    let mut to = from;
    while to < bytes.len()
        && (bytes[to].is_ascii_alphanumeric() || matches!(bytes[to], b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
    {
        to += 1;
    }
    while to < bytes.len() && bytes[to] == b'=' {
        to += 1;
    }
    let delimited = to == bytes.len() || !is_name_byte(bytes[to]) && bytes[to] != b'"';
    (to - from >= 8 && delimited).then(|| (end, to, vec![(from, to)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_prose_are_not_credentials() {
        // Halo's own messages (captured) and others like them: a credential word is not a credential position.
        for prose in [
            "Password is mandatory",
            "The password must be at least 8 characters long.",
            "Your token has expired; request a new token.",
            "The client_secret is wrong or the client_id is unknown",
            "Bearer token missing",
            "API key not valid for this tenant",
            "secret santa",
            r#"{"Message":"Password is mandatory"}"#,
            r#"{"Message":"Invalid token. Please log in again."}"#,
            "Bearer error=\"invalid_token\", error_description=\"The token expired\"",
        ] {
            assert_eq!(scrub_text(prose, &[] as &[&str]), prose);
        }
    }

    #[test]
    fn values_in_credential_positions_are_scrubbed() {
        let cases = [
            // Form fields and query parameters.
            ("password=hunter2&name=Jane", "password=***&name=Jane"),
            ("GET /api/Attachment?token=abc123&id=4 failed", "GET /api/Attachment?token=***&id=4 failed"),
            ("new_password=x1y2 was refused", "new_password=*** was refused"),
            // JSON members, also nested, also escaped inside a message, also arrays of strings.
            (r#"{"password": "hunter2", "name": "Jane"}"#, r#"{"password": "***", "name": "Jane"}"#),
            (r#"{"user":{"api_key":"k-123","id":4}}"#, r#"{"user":{"api_key":"***","id":4}}"#),
            (r#"{"client_secret": ["v1", "v2"]}"#, r#"{"client_secret": ["***", "***"]}"#),
            (r#"{"refresh_token":12345}"#, r#"{"refresh_token":***}"#),
            (r#"{"[0].password":["hunter2 is too short"]}"#, r#"{"[0].password":["***"]}"#),
            (r#"got {\"password\":\"hunter2\"}"#, r#"got {\"password\":\"***\"}"#),
            (r#"{"password": "a \"quoted\" one", "x": 1}"#, r#"{"password": "***", "x": 1}"#),
            (r#"got {\"password\":\"a\\\"b\", \"id\": 3}"#, r#"got {\"password\":\"***\", \"id\": 3}"#),
            // Header lines and authorisation schemes.
            ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: ***"),
            ("Cookie: ARRAffinity=abc; session=def", "Cookie: ***"),
            ("X-Api-Key: 0123456789\nHost: halo", "X-Api-Key: ***\nHost: halo"),
            ("rejected Bearer eyJhbGciOi.x.y, try again", "rejected Bearer ***, try again"),
            ("Basic dXNlcjpwYXNzd29yZA==", "Basic ***"),
        ];
        for (text, expected) in cases {
            assert_eq!(scrub_text(text, &[] as &[&str]), expected, "{text}");
        }
    }
}
