//! Names: wire names → Rust identifiers with heck, the one keyword table, and the one collision rule.

use heck::{ToSnakeCase, ToUpperCamelCase};
use std::collections::BTreeSet;

/// Rust keywords (strict and reserved, edition 2024) that a generated name must not be.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
    "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers (`r#self` is an error): these get a trailing underscore instead.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

/// A snake_case identifier for a field, method, parameter or module (`excludeAgent` → `exclude_agent`).
pub fn snake(wire: &str) -> String {
    escape(&sanitize(&wire.to_snake_case()))
}

/// An UpperCamelCase identifier for a type or variant (`UnameSection` → `UnameSection`, `opps` → `Opps`).
pub fn camel(wire: &str) -> String {
    let camel = wire.to_upper_camel_case();
    // A name with no letters or digits at all (`""`, `"_"`) still needs a type name.
    escape(&sanitize(if camel.is_empty() { "Value" } else { &camel }))
}

/// Keeps `[A-Za-z0-9_]`, and puts `_` before a leading digit (`2faemailallowed` → `_2faemailallowed`).
fn sanitize(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() {
        out.push_str("value");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Applies the keyword table: `type` → `r#type`, `self` → `self_`.
fn escape(name: &str) -> String {
    if NOT_RAW.contains(&name) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// A command or flag of the `halo` command line from a snake_case name: `client_id` → `client-id`, `r#type` →
/// `type`, `_2faemailallowed` → `2faemailallowed`, `self_` → `self`. One-to-one on the names `snake` makes, except
/// for the `_` it adds, which no other snake name could also end or start with.
pub fn kebab(snake: &str) -> String {
    unraw(snake).trim_matches('_').replace('_', "-")
}

/// The name without a leading `r#`: what serde sees as the field's wire name.
pub fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// The one collision rule, for one namespace (the fields of a struct, the setters of a builder, the models, ...).
///
/// Names that need no change win first, so `signature` keeps `signature` over `_signature`; then, in the order the
/// caller gives (always a sorted or document order, never hash order), the first to want a name gets it and each
/// later one gets the lowest free suffix `_2`, `_3`, ... (`Name2`, `Name3` for camel-case names). Reserved names
/// (methods the generated code already defines, imports) are taken before anything else.
pub struct Namespace {
    taken: BTreeSet<String>,
}

impl Namespace {
    /// A namespace in which `reserved` names are already taken.
    pub fn new(reserved: &[&str]) -> Self {
        Namespace { taken: reserved.iter().map(|name| (*name).to_owned()).collect() }
    }

    /// Assigns names to `(wire, wanted)` pairs and returns them in the same order.
    pub fn assign(&mut self, wanted: &[(&str, String)]) -> Vec<String> {
        let mut out: Vec<Option<String>> = vec![None; wanted.len()];
        // First pass: names identical to their wire name claim first.
        for (index, (wire, name)) in wanted.iter().enumerate() {
            if unraw(name) == *wire && !self.taken.contains(name) {
                self.taken.insert(name.clone());
                out[index] = Some(name.clone());
            }
        }
        for (index, (_, name)) in wanted.iter().enumerate() {
            if out[index].is_some() {
                continue;
            }
            let name = self.claim(name);
            out[index] = Some(name);
        }
        out.into_iter().map(|name| name.expect("every name assigned")).collect()
    }

    /// Takes `name`, or the first free suffixed form of it.
    pub fn claim(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_owned()) {
            return name.to_owned();
        }
        let base = unraw(name);
        let separator = if base.starts_with(|c: char| c.is_ascii_uppercase()) { "" } else { "_" };
        (2..)
            .map(|n| format!("{base}{separator}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .expect("an unbounded range always has a free suffix")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_table_every_entry() {
        for keyword in KEYWORDS {
            let escaped = escape(keyword);
            if NOT_RAW.contains(keyword) {
                assert_eq!(escaped, format!("{keyword}_"));
            } else {
                assert_eq!(escaped, format!("r#{keyword}"));
            }
            // Every escaped keyword must be a valid Rust identifier.
            syn::parse_str::<syn::Ident>(&escaped).unwrap_or_else(|_| panic!("{escaped} is not an identifier"));
        }
    }

    #[test]
    fn halo_names() {
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("use"), "r#use");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("2faemailallowed"), "_2faemailallowed");
        assert_eq!(snake("3rd_party_ponumber"), "_3rd_party_ponumber");
        assert_eq!(snake("TechID"), "tech_id");
        assert_eq!(snake("excludeAgent"), "exclude_agent");
        assert_eq!(snake("odata.id"), "odata_id");
        assert_eq!(snake("_signature"), "signature");
        assert_eq!(kebab("client_id"), "client-id");
        assert_eq!(kebab("r#type"), "type");
        assert_eq!(kebab("_2faemailallowed"), "2faemailallowed");
        assert_eq!(kebab("self_"), "self");
        assert_eq!(kebab("dry_run_2"), "dry-run-2");
        assert_eq!(camel("Uname_List"), "UnameList");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(camel("2fa"), "_2fa");
        assert_eq!(camel(""), "Value");
    }

    #[test]
    fn collision_rule_prefers_exact_names_then_order() {
        let mut namespace = Namespace::new(&["send"]);
        let wanted = [
            ("_signature", snake("_signature")),
            ("signature", snake("signature")),
            ("send", snake("send")),
            ("Send", snake("Send")),
        ];
        assert_eq!(namespace.assign(&wanted), ["signature_2", "signature", "send_2", "send_3"]);
        let mut types = Namespace::new(&[]);
        assert_eq!(types.claim("Agent"), "Agent");
        assert_eq!(types.claim("Agent"), "Agent2");
        assert_eq!(types.claim("r#type"), "r#type");
        assert_eq!(types.claim("r#type"), "type_2");
    }
}
