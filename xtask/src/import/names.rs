//! Names for what Halo's swagger leaves unnamed: operationIds, Rust method names (`x-halo-method`), summaries, and
//! the list keys of HALO-NOTES §3. Every rule is a pure function of method and path, so re-running an import names
//! things the same way.

use crate::openapi_json::{pascal_case, snake_case};

/// The shape of an operation, from its method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `GET /X`.
    List,
    /// `GET /X/{id}`.
    Get,
    /// `POST /X`: Halo's create-or-update.
    Upsert,
    /// `DELETE /X/{id}`.
    Delete,
    /// Anything else (`GET /Agent/me`, `POST /Agent/ClearCache`, `GET /X/{id}/Y`).
    Other,
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|segment| !segment.is_empty()).collect()
}

fn param_name(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

/// The first path segment: the resource as Halo routes it (`/Agent/{id}` → `Agent`).
pub fn first_segment(path: &str) -> &str {
    segments(path).first().copied().unwrap_or_default()
}

/// The shape of `method path`.
pub fn shape(method: &str, path: &str) -> Shape {
    let segments = segments(path);
    let literal_first = segments.first().is_some_and(|s| param_name(s).is_none());
    match (method, segments.as_slice()) {
        ("get", [_]) if literal_first => Shape::List,
        ("post", [_]) if literal_first => Shape::Upsert,
        ("get", [_, last]) if literal_first && param_name(last).is_some() => Shape::Get,
        ("delete", [_, last]) if literal_first && param_name(last).is_some() => Shape::Delete,
        _ => Shape::Other,
    }
}

/// The operationId for an operation Halo did not name: `list`/`get`/`upsert`/`delete` + the resource for the four
/// usual shapes (`listAgents`), otherwise the HTTP method + resource + the rest of the path, each literal segment in
/// PascalCase and each parameter as `By<Param>` (`GET /Agent/me` → `getAgentsMe`,
/// `POST /Notify/AdobeAcrobat/{tenant}/{secret}` → `postNotifyAdobeAcrobatByTenantBySecret`). The caller makes it
/// unique with a numeric suffix.
pub fn operation_id(resource: &str, method: &str, path: &str, shape: Shape) -> String {
    let resource = pascal_case(resource);
    let verb = match shape {
        Shape::List => "list",
        Shape::Get => "get",
        Shape::Upsert => "upsert",
        Shape::Delete => "delete",
        Shape::Other => method,
    };
    let mut id = format!("{verb}{resource}");
    if shape == Shape::Other {
        for segment in segments(path).iter().skip(1) {
            match param_name(segment) {
                Some(param) => id.push_str(&format!("By{}", pascal_case(param))),
                None => id.push_str(&pascal_case(segment)),
            }
        }
    }
    id
}

/// Rust method names to try, best first (`x-halo-method`): `list`, `get`, `delete`, `upsert` for the usual shapes;
/// otherwise the snake_case rest of the path (`me`, `clear_cache`), then with the HTTP method in front, then with the
/// path parameters (`get_foo_by_id`). The caller takes the first one still free on the resource.
pub fn method_names(method: &str, path: &str, shape: Shape) -> Vec<String> {
    let segments = segments(path);
    let literal: Vec<String> =
        segments.iter().skip(1).filter(|s| param_name(s).is_none()).map(|s| snake_case(s)).collect();
    let params: Vec<String> = segments.iter().skip(1).filter_map(|s| param_name(s)).map(snake_case).collect();
    let base = literal.join("_");
    let by = if params.is_empty() { String::new() } else { format!("_by_{}", params.join("_")) };
    let mut names = Vec::new();
    match shape {
        Shape::List => names.push("list".to_owned()),
        Shape::Get => names.push("get".to_owned()),
        Shape::Delete => names.push("delete".to_owned()),
        Shape::Upsert => names.push("upsert".to_owned()),
        Shape::Other => {}
    }
    if !base.is_empty() && !base.starts_with(|c: char| c.is_ascii_digit()) {
        names.push(base.clone());
    }
    let verbed = if base.is_empty() { method.to_owned() } else { format!("{method}_{base}") };
    names.push(verbed.clone());
    if !by.is_empty() {
        names.push(format!("{verbed}{by}"));
    }
    names.dedup();
    names
}

/// A summary for an operation Halo did not summarise, in Halo's own words (`Get one Uname`).
pub fn summary(halo: &str, method: &str, path: &str, shape: Shape) -> String {
    match shape {
        Shape::List => format!("List of {halo}"),
        Shape::Get => format!("Get one {halo}"),
        Shape::Upsert => format!("Create or update one or more {halo}"),
        Shape::Delete => format!("Delete one {halo}"),
        Shape::Other => format!("{} {path}", method.to_ascii_uppercase()),
    }
}

/// The property that holds the items of a wrapped list response, for the resources HALO-NOTES §3 knows
/// (`Agent` → `agents`). Resources not listed keep Halo's untyped response. `SoftwareLicence` is left out on purpose:
/// clients disagree (`licences` or `softwarelicences`).
pub fn list_key(segment: &str) -> Option<&'static str> {
    const KEYS: &[(&str, &str)] = &[
        ("actions", "actions"),
        ("agent", "agents"),
        ("appointment", "appointments"),
        ("asset", "assets"),
        ("attachment", "attachments"),
        ("category", "categories"),
        ("client", "clients"),
        ("clientcontract", "contracts"),
        ("field", "fields"),
        ("invoice", "invoices"),
        ("item", "items"),
        ("kbarticle", "articles"),
        ("lookup", "lookup"),
        ("outcome", "outcomes"),
        ("priority", "priorities"),
        ("projects", "projects"),
        ("purchaseorder", "purchaseorders"),
        ("quotation", "quotes"),
        ("recurringinvoice", "invoices"),
        ("release", "releases"),
        ("report", "reports"),
        ("roles", "roles"),
        ("salesorder", "salesorders"),
        ("site", "sites"),
        ("sla", "slas"),
        ("status", "statuses"),
        ("supplier", "suppliers"),
        ("team", "teams"),
        ("tickets", "tickets"),
        ("timesheet", "timesheets"),
        ("toplevel", "toplevels"),
        ("users", "users"),
        ("webhook", "webhooks"),
        ("workday", "workdays"),
    ];
    let segment = segment.to_ascii_lowercase();
    KEYS.iter().find(|(known, _)| *known == segment).map(|(_, key)| *key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_ids() {
        assert_eq!(shape("get", "/Agent"), Shape::List);
        assert_eq!(shape("get", "/Agent/{id}"), Shape::Get);
        assert_eq!(shape("post", "/Agent"), Shape::Upsert);
        assert_eq!(shape("delete", "/Agent/{id}"), Shape::Delete);
        assert_eq!(shape("get", "/Agent/me"), Shape::Other);
        assert_eq!(operation_id("Agents", "get", "/Agent", Shape::List), "listAgents");
        assert_eq!(operation_id("Agents", "get", "/Agent/me", Shape::Other), "getAgentsMe");
        assert_eq!(operation_id("Agent", "post", "/Agent/ClearCache", Shape::Other), "postAgentClearCache");
        assert_eq!(
            operation_id("Notify", "post", "/Notify/AdobeAcrobat/{tenant}/{secret}", Shape::Other),
            "postNotifyAdobeAcrobatByTenantBySecret"
        );
    }

    #[test]
    fn method_names_prefer_the_path() {
        assert_eq!(method_names("get", "/Agent/me", Shape::Other), ["me", "get_me"]);
        assert_eq!(method_names("post", "/Agent/ClearCache", Shape::Other), ["clear_cache", "post_clear_cache"]);
        assert_eq!(method_names("get", "/Agent", Shape::List), ["list", "get"]);
        assert_eq!(method_names("post", "/X/{id}", Shape::Other), ["post", "post_by_id"]);
    }
}
