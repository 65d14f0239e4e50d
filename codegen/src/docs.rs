//! Descriptions → doc lines: HTML turned into text, and everything rustdoc would misread made safe; and the few
//! doc lines `lower` writes itself where the spec has none.

/// Turns a spec description into doc lines (without the leading `///`).
///
/// Halo's descriptions carry HTML (`<br>\r\n\t\t\t\t`), brackets that rustdoc would take for intra-doc links,
/// and indentation that Markdown would take for a code block (which rustdoc would then compile as a doctest).
pub fn lines(description: &str) -> Vec<String> {
    let text = html_to_text(description);
    let mut out: Vec<String> = Vec::new();
    for raw in text.lines() {
        let line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && out.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        out.push(escape_markdown(&line));
    }
    while out.last().is_some_and(|last| last.is_empty()) {
        out.pop();
    }
    out
}

/// The doc line of a path parameter whose values the spec lists (path parameters stay strings): `One of: 'a', 'b'.`
pub fn one_of(values: &[&str]) -> String {
    let values: Vec<String> = values.iter().map(|value| format!("'{}'", escape_text(value))).collect();
    format!("One of: {}.", values.join(", "))
}

/// The doc line of the string enum made for a query parameter's inline `enum`, when its schema has no description.
pub fn query_enum(parameter: &str, operation_id: &str) -> String {
    format!("The values of the `{parameter}` query parameter of `{operation_id}`.")
}

/// Line breaks for `<br>`/`<p>`/`<li>`, other tags dropped, entities decoded.
fn html_to_text(input: &str) -> String {
    let input = input.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(input.len());
    let mut rest = input.as_str();
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        match tag_len(after) {
            Some(len) => {
                let closing = after[1..].starts_with('/');
                let tag = after[1..len - 1].trim_start_matches('/').to_ascii_lowercase();
                let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                let broke = match name.as_str() {
                    "br" | "p" | "div" | "tr" => {
                        out.push('\n');
                        true
                    }
                    "li" if !closing => {
                        out.push_str("\n- ");
                        false
                    }
                    _ => false,
                };
                rest = &after[len..];
                if broke {
                    // `<br>\r\n\t\t` is one line break in Halo's text, not a paragraph break.
                    let blank = rest.len() - rest.trim_start_matches([' ', '\t']).len();
                    rest = &rest[blank..];
                    rest = rest.strip_prefix('\n').unwrap_or(rest);
                }
            }
            None => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

/// The length of an HTML tag at the start of `text` (`<br>`, `</p>`, `<a href="x">`), if it is one.
fn tag_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix('<')?;
    let body = body.strip_prefix('/').unwrap_or(body);
    if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let end = text.find('>')?;
    let inner = &text[1..end];
    // A URL in angle brackets is not a tag.
    if inner.contains("://") && !inner.contains(' ') {
        return None;
    }
    if inner.contains('<') || inner.contains('\n') {
        return None;
    }
    Some(end + 1)
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Escapes what Markdown/rustdoc would interpret: brackets (intra-doc links), angle brackets (HTML), a leading `#`
/// (heading), and wraps bare URLs in `<...>` so rustdoc links them instead of warning.
fn escape_markdown(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for (index, word) in line.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let url_start = word.find("http://").or_else(|| word.find("https://"));
        match url_start {
            Some(start) => {
                let (before, url) = word.split_at(start);
                let trimmed = url.trim_end_matches(['.', ',', ';', ')', ':', '>', '\'', '"']);
                let after = &url[trimmed.len()..];
                let url_body = trimmed.trim_start_matches('<');
                out.push_str(&escape_text(before.trim_end_matches('<')));
                out.push('<');
                out.push_str(&url_body.replace('<', "%3C").replace('>', "%3E"));
                out.push('>');
                out.push_str(&escape_text(after.trim_start_matches('>')));
            }
            None => out.push_str(&escape_text(word)),
        }
    }
    if out.starts_with('#') {
        out.insert(0, '\\');
    }
    out
}

fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::lines;

    #[test]
    fn halo_html_becomes_lines() {
        assert_eq!(
            lines("Use this to return multiple Uname.<br>\r\n\t\t\t\tRequires authentication."),
            ["Use this to return multiple Uname.", "Requires authentication."]
        );
    }

    #[test]
    fn brackets_angle_brackets_and_urls_are_safe() {
        assert_eq!(lines("see [Agent] & <b>bold</b> a < b"), ["see \\[Agent\\] & bold a &lt; b"]);
        assert_eq!(lines("docs: https://halopsa.com/apidoc."), ["docs: <https://halopsa.com/apidoc>."]);
        assert_eq!(lines("<https://x.y/z>"), ["<https://x.y/z>"]);
        assert_eq!(lines("&lt;tag&gt; &amp;"), ["&lt;tag&gt; &"]);
    }

    #[test]
    fn indentation_headings_and_blank_runs() {
        assert_eq!(lines("    indented\n\n\n# not a heading\n\n"), ["indented", "", "\\# not a heading"]);
        assert!(lines("  ").is_empty());
        assert_eq!(lines("<ul><li>one</li><li>two</li></ul>"), ["- one", "- two"]);
    }
}
