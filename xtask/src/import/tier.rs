//! The imported tier: every resource of Halo's swagger that the curated spec lacks, as a spec of its own
//! (`spec/imported.json`), generated into the crate behind `unstable-*` features (ARCHITECTURE.md, "The imported
//! tier").
//!
//! It is the import of every upstream resource into the curated spec (`merge` with `--all`), minus what the curated
//! spec already is: the tags the import added (each marked `x-halo-imported: true`), their operations, and the schemas
//! those operations reach that the curated spec does not define. So an imported operation answering a schema the
//! curated spec types under its own name (Halo's `Faults` is the curated `Ticket`, by `x-halo-name`) refers to the
//! curated schema, and an upstream schema whose name a curated one took comes in numbered (`Agent2`). The curated
//! spec is never changed: what the merge would add to curated resources and models is dropped here (those are the
//! curated spec's own imports, `cargo xtask import --resource X`), and upstream operations of curated resources that
//! are neither curated nor excluded (`x-halo-excluded`) are reported as unplaced, since no tier would have them.

use std::collections::BTreeSet;

use super::merge;
use super::report::{Kind, Report};
use super::{IMPORTED, Options};
use crate::Result;
use crate::openapi_json::{self as oj, Json, Object, schema_ref_name};

/// The imported tier built from a curated spec and Halo's swagger.
#[derive(Debug, Clone)]
pub struct Tier {
    /// The text of `spec/imported.json`.
    pub spec: String,
    /// What the import did, for the new resources only (curated ones are the curated import's business).
    pub report: Report,
    /// Resources (tags) in the tier.
    pub resources: usize,
    /// Operations in the tier.
    pub operations: usize,
    /// Schemas the tier defines (besides the curated ones it refers to).
    pub schemas: usize,
    /// Upstream operations of curated resources that the curated spec neither has nor excludes (`METHOD /path`).
    pub unplaced: Vec<String>,
}

/// The description of the tier document (its `info.description`).
const DESCRIPTION: &str = "The imported tier of the halopsa crate: every resource of Halo's swagger that spec/halopsa.json \
    lacks, imported as Halo documents it and not curated. Written by `cargo xtask import --tier`; do not edit by hand. \
    `cargo xtask import --resource NAME` moves a resource into the curated spec.";

/// Builds the tier from the curated spec's text and the upstream swagger's. Pure: no file system.
pub fn build(curated: &str, swagger: &str) -> Result<Tier> {
    let upstream = match oj::parse(swagger).map_err(|e| format!("cannot parse the swagger document: {e}"))? {
        Json::Object(upstream) => upstream,
        _ => return Err("the swagger document is not a JSON object; hint: pass Halo's swagger.json".into()),
    };
    let curated = match oj::parse(curated).map_err(|e| format!("cannot parse the curated spec: {e}"))? {
        Json::Object(curated) => curated,
        _ => return Err("the curated spec is not a JSON object".into()),
    };
    let (merged, full_report) = merge::run(curated.clone(), &upstream, &Options { resources: Vec::new(), all: true })?;

    let curated_tags = tag_names(&curated);
    let curated_routes = routes(&curated);
    let curated_schemas: BTreeSet<String> = schemas(&curated).keys().map(str::to_owned).collect();

    // The operations of the new tags, path by path in the merged order; and the ones of curated tags that the merge
    // added, which no tier has.
    let mut paths = Object::new();
    let mut used_tags = BTreeSet::new();
    let mut unplaced = Vec::new();
    for (path, item) in merged.object("paths").into_iter().flat_map(Object::iter) {
        let Some(item) = item.as_object() else { continue };
        let mut tier_item = Object::new();
        for (method, op) in item.iter() {
            let Some(op) = op.as_object().filter(|_| oj::METHODS.contains(&method)) else { continue };
            if curated_routes.contains(&(path.to_owned(), method.to_owned())) {
                continue;
            }
            let tag = op.array("tags").and_then(|tags| tags.first()).and_then(Json::as_str).unwrap_or_default();
            if curated_tags.contains(tag) {
                unplaced.push(format!("{} {path}", method.to_ascii_uppercase()));
                continue;
            }
            used_tags.insert(tag.to_owned());
            tier_item.insert(method, op.clone());
        }
        if !tier_item.is_empty() {
            paths.insert(path, tier_item);
        }
    }

    // The new tags that kept an operation (a Halo tag whose operations the curated spec has under another tag, like
    // `AgentImage` under `Agents`, comes out empty), each marked imported.
    let mut tags = Vec::new();
    for tag in merged.array("tags").into_iter().flatten() {
        let Some(name) = tag.get("name").and_then(Json::as_str) else { continue };
        if curated_tags.contains(name) || !used_tags.contains(name) {
            continue;
        }
        let mut tag = tag.as_object().cloned().unwrap_or_default();
        // Imported resources are never in `default`: the marker says so, without the curated import's `false`.
        tag.remove("x-halo-default");
        tag.insert(IMPORTED, true);
        tags.push(Json::Object(tag));
    }

    // The schemas the tier's operations reach, through schemas the curated spec does not define.
    let merged_schemas = schemas(&merged);
    let mut reached = BTreeSet::new();
    let mut work = Vec::new();
    oj::for_each_ref(&Json::Object(paths.clone()), &mut |r| work.extend(schema_ref_name(r).map(str::to_owned)));
    while let Some(name) = work.pop() {
        if curated_schemas.contains(&name) || !reached.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = merged_schemas.get(&name) {
            oj::for_each_ref(schema, &mut |r| work.extend(schema_ref_name(r).map(str::to_owned)));
        }
    }
    let mut tier_schemas = Object::new();
    for (name, schema) in merged_schemas.iter() {
        if reached.contains(name) {
            tier_schemas.insert(name, schema.clone());
        }
    }

    let version = upstream.object("info").and_then(|info| info.str("version")).unwrap_or("v2");
    let info = Object::new()
        .with("title", "HaloPSA API: the imported tier")
        .with("version", version)
        .with("description", DESCRIPTION);
    let (resources, schema_count) = (tags.len(), tier_schemas.len());
    let operations = paths.iter().filter_map(|(_, item)| item.as_object()).map(Object::len).sum();
    let spec = Object::new()
        .with("openapi", curated.str("openapi").unwrap_or("3.0.1"))
        .with("info", info)
        .with("tags", tags)
        .with("paths", paths)
        .with("components", Object::new().with("schemas", tier_schemas));

    let mut report = Report::default();
    for entry in full_report.entries() {
        if !curated_tags.contains(entry.resource.as_str()) && entry.resource != "(models)" {
            report.push(&entry.resource, entry.kind, entry.text.clone());
        }
    }
    for route in &unplaced {
        let text = format!(
            "upstream {route} belongs to a curated resource, which neither has nor excludes it; hint: add it with \
             `cargo xtask import --resource NAME`, or list it in `x-halo-excluded` with the reason"
        );
        report.push("(upstream)", Kind::Note, text);
    }
    Ok(Tier {
        spec: oj::to_pretty(&Json::Object(spec)),
        report,
        resources,
        operations,
        schemas: schema_count,
        unplaced,
    })
}

/// The names of a spec's tags: the `tags` list and the tags operations name.
fn tag_names(spec: &Object) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = spec
        .array("tags")
        .into_iter()
        .flatten()
        .filter_map(|tag| tag.get("name").and_then(Json::as_str).map(str::to_owned))
        .collect();
    for (_, item) in spec.object("paths").into_iter().flat_map(Object::iter) {
        for (_, op) in item.as_object().into_iter().flat_map(Object::iter) {
            let tags = op.get("tags").and_then(Json::as_array).into_iter().flatten();
            names.extend(tags.filter_map(Json::as_str).map(str::to_owned));
        }
    }
    names
}

/// A spec's operations as (path, method), exactly as written.
fn routes(spec: &Object) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in spec.object("paths").into_iter().flat_map(Object::iter) {
        for (method, _) in item.as_object().into_iter().flat_map(Object::iter).filter(|(m, _)| oj::METHODS.contains(m))
        {
            routes.insert((path.to_owned(), method.to_owned()));
        }
    }
    routes
}

fn schemas(spec: &Object) -> Object {
    spec.object("components").and_then(|c| c.object("schemas")).cloned().unwrap_or_default()
}
