//! Merge: compare the curated spec with upstream resource by resource, add what is new, keep every curated decision,
//! and report what upstream no longer lists.
//!
//! Matching: operations by method + path (case-insensitive, path-parameter names ignored: `route_key`), parameters
//! by location + name (exact, then case-insensitive), schemas by `x-halo-name` (else their own name), resources by
//! the tag's `x-halo-name` (Halo's tag, e.g. `Uname`).

use std::collections::{BTreeMap, BTreeSet};

use super::Options;
use super::names::{self, Shape};
use super::normalize::{self, Notes};
use super::report::{Kind, Report};
use crate::Result;
use crate::openapi_json::{self as oj, Json, Object, route_key, schema_ref, schema_ref_name};

/// The methods the generator splits a create-or-update POST (`x-halo-upsert`) into: no other operation of the
/// resource may be named so.
const UPSERT_METHODS: &[&str] = &["create", "create_many", "update", "update_many"];

/// One operation of the upstream document.
struct UpOp<'u> {
    path: &'u str,
    method: &'static str,
    /// Halo's tag (`Uname`).
    tag: String,
    op: &'u Object,
}

/// The operations sharing one Halo tag (in Halo's swagger, also one first path segment).
struct UpResource {
    tag: String,
    segment: String,
    ops: Vec<usize>,
}

/// A resource the import works on.
#[derive(Debug, Clone, PartialEq)]
struct Scope {
    /// The curated tag (`Agents`).
    tag: String,
    /// Halo's tag (`Uname`), if known.
    halo: Option<String>,
    /// Whether the import creates it.
    new: bool,
}

struct Importer<'u> {
    up_ops: Vec<UpOp<'u>>,
    up_routes: BTreeMap<String, usize>,
    up_resources: Vec<UpResource>,
    up_schemas: BTreeMap<&'u str, &'u Json>,
    /// An excerpt (like the 2025-09 GET /Agent) has no schemas: then schemas are not compared at all.
    up_has_schemas: bool,
    spec: Object,
    report: Report,
    /// The resource report lines are attributed to.
    resource: String,
    /// Upstream schema name → curated schema name.
    schema_map: BTreeMap<String, String>,
    /// Curated schemas already compared (or just imported).
    compared: BTreeSet<String>,
    operation_ids: BTreeSet<String>,
    /// Curated routes (`route_key`) → (path, method).
    routes: BTreeMap<String, (String, String)>,
    /// Curated paths by `route_key("", path)`.
    path_index: BTreeMap<String, String>,
    /// Each tag's operations (path, method), in document order, then in the order they were added.
    by_tag: BTreeMap<String, Vec<(String, String)>>,
    /// Tags only operations name (no entry in `tags`), in document order.
    untagged: Vec<String>,
    /// Upstream operations the curated spec leaves out on purpose (`x-halo-excluded`): `route_key` → the reason.
    excluded: BTreeMap<String, String>,
}

/// The spec's list of what it leaves out on purpose, so that importing its upstream again does not add it back:
/// `"x-halo-excluded": [{"operation": "GET /Client/me", "reason": "..."}]`.
pub const EXCLUDED: &str = "x-halo-excluded";

/// Marks what the import inferred rather than took from Halo's documents (a list wrapper it made up, a response
/// Halo leaves untyped), with how: `"x-halo-inferred": "..."`. `api-diff` labels changes to such items as inferred.
pub const INFERRED: &str = "x-halo-inferred";

/// Reads [`EXCLUDED`]: `route_key` → reason. A malformed entry is an error that says how to write it.
fn excluded(spec: &Object) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Some(entries) = spec.get(EXCLUDED) else { return Ok(out) };
    let hint = "write `\"x-halo-excluded\": [{\"operation\": \"GET /Client/me\", \"reason\": \"why\"}]`";
    let entries = entries.as_array().ok_or_else(|| format!("`{EXCLUDED}` must be an array; hint: {hint}"))?;
    for (index, entry) in entries.iter().enumerate() {
        let operation = entry.get("operation").and_then(Json::as_str);
        let reason = entry.get("reason").and_then(Json::as_str).filter(|r| !r.trim().is_empty());
        let route = operation.and_then(|op| op.split_once(' ')).filter(|(method, path)| {
            oj::METHODS.contains(&method.to_ascii_lowercase().as_str()) && path.starts_with('/')
        });
        let (Some((method, path)), Some(reason)) = (route, reason) else {
            return Err(format!(
                "`{EXCLUDED}/{index}` needs an `operation` (`METHOD /path`) and a non-empty `reason`; hint: {hint}"
            )
            .into());
        };
        out.insert(route_key(&method.to_ascii_lowercase(), path), reason.to_owned());
    }
    Ok(out)
}

/// Runs the import on a parsed curated spec. Returns the updated spec and the report.
pub(super) fn run(spec: Object, upstream: &Object, options: &Options) -> Result<(Object, Report)> {
    let mut importer = Importer::new(spec, upstream)?;
    let scopes = importer.scopes(options)?;
    for scope in &scopes {
        importer.resource(scope);
    }
    for route in importer.excluded.keys() {
        let text = if importer.routes.contains_key(route) {
            format!("`{EXCLUDED}` lists `{route}`, which the spec has; hint: remove one of them")
        } else if !importer.up_routes.contains_key(route) {
            format!("`{EXCLUDED}` lists `{route}`, which upstream does not have (any more)")
        } else {
            continue;
        };
        importer.report.push("(upstream)", Kind::Note, text);
    }
    if !importer.up_has_schemas {
        let text = "upstream lists no schemas (an excerpt?): models were not compared, and none are missing";
        importer.report.push("(upstream)", Kind::Note, text);
    }
    if options.resources.is_empty() {
        importer.resource = "(models)".to_owned();
        let names: Vec<String> = importer.schemas().keys().map(str::to_owned).collect();
        for name in names {
            importer.compare_schema(&name);
        }
        let covered: BTreeSet<&str> = scopes.iter().filter_map(|s| s.halo.as_deref()).collect();
        let uncovered: Vec<&str> = importer
            .up_resources
            .iter()
            .filter(|r| !covered.contains(r.tag.as_str()))
            .map(|r| r.segment.as_str())
            .collect();
        if !uncovered.is_empty() && !options.all {
            const SHOWN: usize = 8;
            let more = uncovered.len().saturating_sub(SHOWN);
            let more = if more > 0 { format!(", and {more} more") } else { String::new() };
            let text = format!(
                "{} upstream resources are not in the spec ({}{more}); add one with `--resource NAME`",
                uncovered.len(),
                uncovered[..uncovered.len().min(SHOWN)].join(", ")
            );
            importer.report.push("(upstream)", Kind::Note, text);
        }
    }
    Ok((importer.spec, importer.report))
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn method_order(method: &str) -> usize {
    oj::METHODS.iter().position(|m| *m == method).unwrap_or(oj::METHODS.len())
}

/// The `{name}`s of a path template, in order.
fn template_params(path: &str) -> Vec<&str> {
    path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
}

/// Renames path parameters from `from`'s template names to `to`'s (same route, e.g. `/Automation/{runbookId}` and
/// `/Automation/{id}`: OpenAPI allows one of them only).
fn rename_path_params(params: &mut [Json], from: &str, to: &str) -> bool {
    let mut renamed = false;
    for (old, new) in template_params(from).into_iter().zip(template_params(to)) {
        if old == new {
            continue;
        }
        for param in params.iter_mut().filter_map(Json::as_object_mut) {
            if param.str("in") == Some("path") && param.str("name") == Some(old) {
                param.insert("name", new);
                renamed = true;
            }
        }
    }
    renamed
}

fn display(method: &str, path: &str) -> String {
    format!("{} {path}", method.to_ascii_uppercase())
}

impl<'u> Importer<'u> {
    fn new(spec: Object, upstream: &'u Object) -> Result<Self> {
        let paths =
            upstream.object("paths").ok_or("the upstream document has no `paths`; hint: pass Halo's swagger.json")?;
        let mut up_ops = Vec::new();
        let mut up_routes = BTreeMap::new();
        let mut up_resources: Vec<UpResource> = Vec::new();
        for (path, item) in paths.iter() {
            let Some(item) = item.as_object() else { continue };
            for method in oj::METHODS {
                let Some(op) = item.object(method) else { continue };
                let tag = op
                    .array("tags")
                    .and_then(|tags| tags.first())
                    .and_then(Json::as_str)
                    .map_or_else(|| names::first_segment(path).to_owned(), str::to_owned);
                let index = up_ops.len();
                up_routes.entry(route_key(method, path)).or_insert(index);
                match up_resources.iter_mut().find(|r| r.tag == tag) {
                    Some(resource) => resource.ops.push(index),
                    None => up_resources.push(UpResource {
                        tag: tag.clone(),
                        segment: names::first_segment(path).to_owned(),
                        ops: vec![index],
                    }),
                }
                up_ops.push(UpOp { path, method, tag, op });
            }
        }
        let schemas = upstream.object("components").and_then(|c| c.object("schemas"));
        let up_schemas: BTreeMap<&str, &Json> = schemas.into_iter().flat_map(Object::iter).collect();
        let excluded = excluded(&spec)?;
        let mut importer = Importer {
            up_ops,
            up_routes,
            up_resources,
            up_has_schemas: schemas.is_some_and(|s| !s.is_empty()),
            up_schemas,
            spec,
            report: Report::default(),
            resource: String::new(),
            schema_map: BTreeMap::new(),
            compared: BTreeSet::new(),
            operation_ids: BTreeSet::new(),
            routes: BTreeMap::new(),
            path_index: BTreeMap::new(),
            by_tag: BTreeMap::new(),
            untagged: Vec::new(),
            excluded,
        };
        importer.index_curated();
        Ok(importer)
    }

    fn index_curated(&mut self) {
        for (name, schema) in self.schemas().iter() {
            let halo = schema.get("x-halo-name").and_then(Json::as_str).unwrap_or(name).to_owned();
            if let Some(first) = self.schema_map.get(&halo) {
                let text =
                    format!("models `{first}` and `{name}` both stand for Halo's `{halo}`; `{first}` is compared");
                self.report.push("(models)", Kind::Note, text);
                continue;
            }
            self.schema_map.insert(halo, name.to_owned());
        }
        let mut routes = BTreeMap::new();
        let mut ids = BTreeSet::new();
        let mut path_index = BTreeMap::new();
        let mut by_tag: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut op_tags = Vec::new();
        for (path, item) in self.spec.object("paths").into_iter().flat_map(Object::iter) {
            path_index.entry(route_key("", path)).or_insert_with(|| path.to_owned());
            for (method, op) in item.as_object().into_iter().flat_map(Object::iter) {
                let Some(op) = op.as_object().filter(|_| oj::METHODS.contains(&method)) else { continue };
                routes.insert(route_key(method, path), (path.to_owned(), method.to_owned()));
                if let Some(id) = op.str("operationId") {
                    ids.insert(id.to_owned());
                }
                for tag in Self::op_tags(op) {
                    by_tag.entry(tag.to_owned()).or_default().push((path.to_owned(), method.to_owned()));
                    if !op_tags.iter().any(|t| t == tag) {
                        op_tags.push(tag.to_owned());
                    }
                }
            }
        }
        self.routes = routes;
        self.operation_ids = ids;
        self.path_index = path_index;
        self.by_tag = by_tag;
        self.untagged = op_tags;
    }

    fn op(&self, path: &str, method: &str) -> Option<&Object> {
        self.spec.object("paths")?.object(path)?.object(method)
    }

    /// The operations of a tag: (path, method).
    fn ops_of(&self, tag: &str) -> Vec<(String, String)> {
        self.by_tag.get(tag).cloned().unwrap_or_default()
    }

    fn schemas(&self) -> Object {
        self.spec.object("components").and_then(|c| c.object("schemas")).cloned().unwrap_or_default()
    }

    fn schema(&self, name: &str) -> Option<&Json> {
        self.spec.object("components")?.object("schemas")?.get(name)
    }

    fn schemas_mut(&mut self) -> &mut Object {
        self.spec.object_entry("components").object_entry("schemas")
    }

    fn op_tags(op: &Object) -> Vec<&str> {
        op.array("tags").into_iter().flatten().filter_map(Json::as_str).collect()
    }

    /// The curated tags: the `tags` list, then tags only operations name.
    fn curated_tags(&self) -> Vec<(String, Option<String>)> {
        let mut tags: Vec<(String, Option<String>)> = Vec::new();
        for tag in self.spec.array("tags").into_iter().flatten() {
            if let Some(name) = tag.get("name").and_then(Json::as_str) {
                let halo = tag.get("x-halo-name").and_then(Json::as_str).map(str::to_owned);
                tags.push((name.to_owned(), halo));
            }
        }
        for tag in &self.untagged {
            if !tags.iter().any(|(name, _)| name == tag) {
                tags.push((tag.clone(), None));
            }
        }
        tags
    }

    fn find_up_resource(&self, name: &str) -> Option<&UpResource> {
        let exact = self.up_resources.iter().find(|r| eq_ci(&r.tag, name) || eq_ci(&r.segment, name));
        exact.or_else(|| {
            self.up_resources
                .iter()
                .find(|r| eq_ci(&format!("{}s", r.segment), name) || eq_ci(&format!("{}es", r.segment), name))
        })
    }

    fn scopes(&mut self, options: &Options) -> Result<Vec<Scope>> {
        let curated = self.curated_tags();
        let mut scopes: Vec<Scope> = Vec::new();
        if !options.resources.is_empty() {
            for name in &options.resources {
                let scope = if let Some((tag, halo)) = curated
                    .iter()
                    .find(|(tag, halo)| eq_ci(tag, name) || halo.as_deref().is_some_and(|h| eq_ci(h, name)))
                {
                    Scope { tag: tag.clone(), halo: halo.clone(), new: false }
                } else if let Some(resource) = self.find_up_resource(name) {
                    match curated.iter().find(|(_, halo)| halo.as_deref() == Some(resource.tag.as_str())) {
                        Some((tag, halo)) => Scope { tag: tag.clone(), halo: halo.clone(), new: false },
                        None => Scope { tag: name.clone(), halo: Some(resource.tag.clone()), new: true },
                    }
                } else {
                    return Err(format!(
                        "no resource `{name}` in the curated spec or upstream; hint: name a curated tag (`Agents`), \
                         Halo's tag (`Uname`) or the first path segment (`Agent`)"
                    )
                    .into());
                };
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
            return Ok(scopes);
        }
        for (tag, halo) in &curated {
            scopes.push(Scope { tag: tag.clone(), halo: halo.clone(), new: false });
        }
        if options.all {
            let covered: BTreeSet<String> = curated.iter().filter_map(|(_, halo)| halo.clone()).collect();
            for resource in &self.up_resources {
                if covered.contains(&resource.tag) {
                    continue;
                }
                // Named from the path (`/Tickets` → `Tickets`); a clash with a curated tag gets a number.
                let mut tag = resource.segment.clone();
                let mut n = 2;
                while scopes.iter().any(|s| eq_ci(&s.tag, &tag)) {
                    tag = format!("{}{n}", resource.segment);
                    n += 1;
                }
                scopes.push(Scope { tag, halo: Some(resource.tag.clone()), new: true });
            }
        }
        Ok(scopes)
    }

    /// Imports one resource: compares its curated operations, adds upstream's new ones, then compares its schemas.
    fn resource(&mut self, scope: &Scope) {
        self.resource = scope.tag.clone();
        if scope.new {
            let halo = scope.halo.clone().unwrap_or_default();
            self.report.push(&scope.tag, Kind::AddedResource, format!("resource `{}` (Halo tag `{halo}`)", scope.tag));
            // Off by default: a resource the import adds does not change the default build; its curator decides.
            let tag = Object::new()
                .with("name", scope.tag.as_str())
                .with("x-halo-name", halo.as_str())
                .with("x-halo-default", false);
            match self.spec.get_mut("tags") {
                Some(Json::Array(tags)) => tags.push(tag.into()),
                _ => {
                    let at = self.spec.position("paths").unwrap_or(self.spec.len());
                    self.spec.insert_at(at, "tags", vec![Json::from(tag)]);
                }
            }
        } else if let Some(halo) = &scope.halo
            && halo != &scope.tag
        {
            self.report.push(&scope.tag, Kind::Kept, format!("resource name `{}` (Halo tag `{halo}`)", scope.tag));
        } else if scope.halo.is_none() {
            let text = "the tag has no `x-halo-name`: only the operations it has are compared, none are added";
            self.report.push(&scope.tag, Kind::Note, text);
        }
        let mut methods = self.used_methods(&scope.tag);
        for (path, method) in self.ops_of(&scope.tag) {
            let Some(op) = self.op(&path, &method).cloned() else { continue };
            match self.up_routes.get(&route_key(&method, &path)) {
                Some(&index) => self.merge_operation(&path, &method, op, index),
                None => {
                    let id = op.str("operationId").map(|id| format!(" (`{id}`)")).unwrap_or_default();
                    self.report.push(&scope.tag, Kind::Missing, format!("operation {}{id}", display(&method, &path)));
                }
            }
        }
        if let Some(halo) = &scope.halo {
            let indices: Vec<usize> =
                self.up_resources.iter().find(|r| &r.tag == halo).map(|r| r.ops.clone()).unwrap_or_default();
            let mut cursor = self.ops_of(&scope.tag).last().map(|(path, _)| path.clone());
            for index in indices {
                let up = &self.up_ops[index];
                let route = route_key(up.method, up.path);
                if self.routes.contains_key(&route) {
                    continue;
                }
                if let Some(reason) = self.excluded.get(&route) {
                    let text =
                        format!("{}: excluded by the spec's `{EXCLUDED}`: {reason}", display(up.method, up.path));
                    self.report.push(&scope.tag, Kind::Skipped, text);
                    continue;
                }
                if let Some(path) = self.add_operation(scope, index, &mut methods, cursor.as_deref()) {
                    cursor = Some(path);
                }
            }
        }
        let mut refs = Vec::new();
        for (path, method) in self.ops_of(&scope.tag) {
            if let Some(op) = self.op(&path, &method) {
                for (_, value) in op.iter() {
                    oj::for_each_ref(value, &mut |r| refs.push(r.to_owned()));
                }
            }
        }
        for reference in refs {
            if let Some(name) = schema_ref_name(&reference) {
                self.compare_schema(name);
            }
        }
    }

    /// Method names already taken on a resource: `x-halo-method`s, else snake_case operationIds; upserts take
    /// `create`, `create_many`, `update` and `update_many`.
    fn used_methods(&self, tag: &str) -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        for (path, method) in self.ops_of(tag) {
            let Some(op) = self.op(&path, &method) else { continue };
            if op.contains_key("x-halo-upsert") {
                used.extend(UPSERT_METHODS.iter().map(|name| (*name).to_owned()));
            }
            match (op.str("x-halo-method"), op.str("operationId")) {
                (Some(method), _) => used.insert(method.to_owned()),
                (None, Some(id)) => used.insert(oj::snake_case(id)),
                (None, None) => false,
            };
        }
        used
    }

    fn absorb(&mut self, notes: Notes) {
        for (what, at) in notes {
            self.report.push(&self.resource.clone(), Kind::Normalized, format!("{what}: {at}"));
        }
    }

    /// How a schema reads with upstream names mapped to curated ones (unmapped ones marked, so they differ).
    fn upstream_label(&self, schema: &Json) -> String {
        oj::type_label_with(schema, &|name| {
            self.schema_map.get(name).cloned().unwrap_or_else(|| format!("{name} (Halo)"))
        })
    }

    /// Imports every schema `value` refers to and points its `$ref`s at the curated names.
    fn import_refs(&mut self, value: &mut Json) {
        let mut refs = Vec::new();
        oj::for_each_ref(value, &mut |r| refs.push(r.to_owned()));
        let mut renamed = BTreeMap::new();
        for reference in refs {
            if let Some(name) = schema_ref_name(&reference) {
                let curated = self.import_schema(name);
                renamed.insert(reference.clone(), schema_ref(&curated));
            }
        }
        oj::rewrite_refs(value, &mut |r| renamed.get(r).cloned().unwrap_or_else(|| r.to_owned()));
    }

    /// The curated name of an upstream schema, importing it (and what it refers to) when the spec lacks it.
    fn import_schema(&mut self, up_name: &str) -> String {
        if let Some(name) = self.schema_map.get(up_name) {
            return name.clone();
        }
        let Some(&schema) = self.up_schemas.get(up_name) else {
            let text = format!("upstream refers to a missing schema `{up_name}`; the `$ref` is left dangling");
            self.report.push(&self.resource.clone(), Kind::Note, text);
            self.schema_map.insert(up_name.to_owned(), up_name.to_owned());
            return up_name.to_owned();
        };
        let mut name = up_name.to_owned();
        let mut n = 2;
        while self.schema(&name).is_some() {
            name = format!("{up_name}{n}");
            n += 1;
        }
        self.schema_map.insert(up_name.to_owned(), name.clone());
        self.compared.insert(name.clone());
        // A placeholder first, so a schema precedes the ones it refers to (cycles end at the map lookup above).
        self.schemas_mut().insert(&name, Json::Null);
        let mut schema = schema.clone();
        let mut notes = Notes::new();
        normalize::schema(&mut schema, &format!("model `{up_name}`"), &mut notes);
        self.absorb(notes);
        self.import_refs(&mut schema);
        if let Json::Object(object) = &mut schema {
            let at = usize::from(object.keys().next() == Some("type"));
            object.insert_at(at, "x-halo-name", up_name);
        }
        self.schemas_mut().insert(&name, schema);
        let halo = if name == up_name { String::new() } else { format!(" (Halo `{up_name}`)") };
        self.report.push(&self.resource.clone(), Kind::AddedSchema, format!("model `{name}`{halo}"));
        name
    }

    /// Compares one curated schema with its upstream counterpart (once), then the schemas it refers to.
    fn compare_schema(&mut self, name: &str) {
        if !self.compared.insert(name.to_owned()) {
            return;
        }
        let Some(curated) = self.schema(name).cloned() else { return };
        let explicit = curated.get("x-halo-name").and_then(Json::as_str).map(str::to_owned);
        let halo = explicit.clone().unwrap_or_else(|| name.to_owned());
        if self.up_has_schemas {
            match self.up_schemas.get(halo.as_str()).copied() {
                None if explicit.is_some() => {
                    let text = format!("model `{name}` (Halo `{halo}`)");
                    self.report.push(&self.resource.clone(), Kind::Missing, text);
                }
                None => {}
                Some(upstream) => {
                    if halo != name {
                        let text = format!("model name `{name}` (Halo `{halo}`)");
                        self.report.push(&self.resource.clone(), Kind::Kept, text);
                    }
                    let merged = self.merge_schema(name, &curated, upstream);
                    if merged != curated {
                        self.schemas_mut().insert(name, merged);
                    }
                }
            }
        }
        let mut refs = Vec::new();
        if let Some(schema) = self.schema(name) {
            oj::for_each_ref(schema, &mut |r| refs.push(r.to_owned()));
        }
        for reference in refs {
            if let Some(target) = schema_ref_name(&reference) {
                self.compare_schema(target);
            }
        }
    }

    fn merge_schema(&mut self, name: &str, curated: &Json, upstream: &Json) -> Json {
        let mut merged = curated.clone();
        let mut upstream = upstream.clone();
        // Normalized only to compare; notes matter for what is imported, and new properties carry theirs in the
        // `Kind::AddedProperty` line.
        normalize::schema(&mut upstream, name, &mut Notes::new());
        let resource = self.resource.clone();
        let Some(object) = merged.as_object_mut() else { return merged };
        let up_properties = upstream.get("properties").and_then(Json::as_object).cloned().unwrap_or_default();
        if !up_properties.is_empty() && !object.contains_key("properties") {
            if object.contains_key("enum") || object.str("type").is_some_and(|t| t != "object") {
                return merged;
            }
            let at = object.position("properties").unwrap_or(object.len());
            object.insert_at(at, "properties", Object::new());
        }
        let mut properties = object.object("properties").cloned().unwrap_or_default();
        let mut last: Option<usize> = None;
        let mut matched: BTreeSet<String> = BTreeSet::new();
        for (property, up_schema) in up_properties.iter() {
            let found =
                properties.position(property).or_else(|| properties.keys().position(|key| eq_ci(key, property)));
            match found {
                Some(position) => {
                    let key = properties.keys().nth(position).expect("found").to_owned();
                    let curated_label = oj::type_label(properties.get(&key).expect("found"));
                    let up_label = self.upstream_label(up_schema);
                    if curated_label != up_label {
                        let text = format!("type of `{name}.{key}`: {curated_label} (upstream: {up_label})");
                        self.report.push(&resource, Kind::Kept, text);
                    }
                    matched.insert(key);
                    last = Some(position);
                }
                None => {
                    let mut schema = up_schema.clone();
                    self.import_refs(&mut schema);
                    let label = oj::type_label(&schema);
                    let at = last.map_or(0, |p| p + 1);
                    properties.insert_at(at, property, schema);
                    matched.insert(property.to_owned());
                    last = Some(at);
                    self.report.push(&resource, Kind::AddedProperty, format!("`{name}.{property}` ({label})"));
                }
            }
        }
        if !up_properties.is_empty() {
            for key in properties.keys() {
                if !matched.contains(key) {
                    self.report.push(&resource, Kind::Missing, format!("property `{name}.{key}`"));
                }
            }
        }
        if let Some(Json::Object(existing)) = object.get_mut("properties") {
            *existing = properties;
        }
        if let (Some(Json::Array(values)), Some(up_values)) =
            (object.get_mut("enum"), upstream.get("enum").and_then(Json::as_array))
        {
            for value in up_values {
                if !values.contains(value) {
                    values.push(value.clone());
                    let text = format!("`{name}`: {}", serde_json::to_string(value).unwrap_or_default());
                    self.report.push(&resource, Kind::AddedEnumValue, text);
                }
            }
            for value in values.iter().filter(|v| !up_values.contains(v)) {
                let text = format!("enum value {} of `{name}`", serde_json::to_string(value).unwrap_or_default());
                self.report.push(&resource, Kind::Missing, text);
            }
        }
        merged
    }

    /// Compares a curated operation with upstream's: adds new parameters, keeps everything else, reports
    /// differences.
    fn merge_operation(&mut self, path: &str, method: &str, mut op: Object, index: usize) {
        let at = display(method, path);
        let resource = self.resource.clone();
        let up = self.up_ops[index].op;
        let mut dropped = Notes::new();
        let mut up_params = normalize::parameters(up.get("parameters"), &at, &mut dropped);
        let up_path = self.up_ops[index].path;
        for (param, _) in &mut up_params {
            let mut one = [Json::Object(std::mem::take(param))];
            rename_path_params(&mut one, up_path, path);
            let [Json::Object(renamed)] = one else { unreachable!("an object stays an object") };
            *param = renamed;
        }
        let mut params: Vec<Json> = op.array("parameters").cloned().unwrap_or_default();
        let mut matched = vec![false; params.len()];
        let mut last: Option<usize> = None;
        let mut added = false;
        for (param, notes) in up_params {
            let name = param.str("name").unwrap_or_default().to_owned();
            let location = param.str("in").unwrap_or_default().to_owned();
            let same = |p: &Json, exact: bool| {
                p.get("in").and_then(Json::as_str) == Some(location.as_str())
                    && p.get("name")
                        .and_then(Json::as_str)
                        .is_some_and(|n| if exact { n == name } else { eq_ci(n, &name) })
            };
            let found =
                params.iter().position(|p| same(p, true)).or_else(|| params.iter().position(|p| same(p, false)));
            match found {
                Some(position) => {
                    matched[position] = true;
                    last = Some(position);
                    self.compare_parameter(&at, &params[position], &param);
                }
                None => {
                    self.absorb(notes);
                    let mut param = Json::Object(param);
                    self.import_refs(&mut param);
                    let label = param.get("schema").map_or_else(|| "untyped".to_owned(), oj::type_label);
                    let position = last.map_or(0, |p| p + 1);
                    params.insert(position, param);
                    matched.insert(position, true);
                    last = Some(position);
                    added = true;
                    self.report.push(&resource, Kind::AddedParameter, format!("`{name}` ({label}) on {at}"));
                }
            }
        }
        for (param, matched) in params.iter().zip(&matched) {
            if !matched {
                let name = param.get("name").and_then(Json::as_str).unwrap_or("?");
                let location = param.get("in").and_then(Json::as_str).unwrap_or("?");
                self.report.push(&resource, Kind::Missing, format!("{location} parameter `{name}` on {at}"));
            }
        }
        if added {
            match op.get_mut("parameters") {
                Some(existing) => *existing = Json::Array(params),
                None => {
                    let at =
                        ["requestBody", "responses"].iter().filter_map(|k| op.position(k)).min().unwrap_or(op.len());
                    op.insert_at(at, "parameters", params);
                }
            }
            let item = self.spec.object_entry("paths").object_entry(path);
            item.insert(method, op.clone());
        }
        self.compare_operation(&at, &op, up);
    }

    fn compare_parameter(&mut self, at: &str, curated: &Json, upstream: &Object) {
        let resource = self.resource.clone();
        let name = upstream.str("name").unwrap_or_default();
        let curated_label = curated.get("schema").map_or_else(|| "untyped".to_owned(), oj::type_label);
        let up_label = upstream.get("schema").map_or_else(|| "untyped".to_owned(), |s| self.upstream_label(s));
        if curated_label != up_label {
            let text = format!("type of `{name}` on {at}: {curated_label} (upstream: {up_label})");
            self.report.push(&resource, Kind::Kept, text);
        }
        let required = |p: Option<&Json>| p.and_then(Json::as_bool).unwrap_or(false);
        if required(curated.get("required")) != required(upstream.get("required")) {
            let text = format!("`required` of `{name}` on {at}: {}", required(curated.get("required")));
            self.report.push(&resource, Kind::Kept, text);
        }
        let curated_description = curated.get("description").and_then(Json::as_str);
        if let Some(up_description) = upstream.str("description")
            && curated_description.is_some_and(|d| d != up_description)
        {
            self.report.push(&resource, Kind::Kept, format!("description of `{name}` on {at}"));
        }
    }

    /// Reports where upstream's operation-level facts differ from the curated ones (which are kept).
    fn compare_operation(&mut self, at: &str, curated: &Object, up: &Object) {
        let resource = self.resource.clone();
        let mut notes = Notes::new();
        if let Some(id) = up.str("operationId")
            && curated.str("operationId") != Some(id)
        {
            self.report.push(&resource, Kind::Kept, format!("operationId of {at} (upstream: `{id}`)"));
        }
        for key in ["summary", "description"] {
            let up_text = up.str(key).and_then(|t| normalize::text(t, at, &mut notes));
            if let (Some(up_text), Some(curated_text)) = (up_text, curated.str(key))
                && up_text != curated_text
            {
                self.report.push(&resource, Kind::Kept, format!("{key} of {at}"));
            }
        }
        let label = |body: Option<&Json>, this: &Self, upstream: bool| {
            let schema = body?.get("content")?.get("application/json")?.get("schema")?;
            Some(if upstream { this.upstream_label(schema) } else { oj::type_label(schema) })
        };
        if let Some(up_body) = up.get("requestBody") {
            match normalize::request_body(up_body, at, &mut notes) {
                Ok(body) => {
                    let up_label = label(Some(&Json::Object(body)), self, true);
                    let curated_label = label(curated.get("requestBody"), self, false);
                    if up_label != curated_label {
                        let shown = |l: Option<String>| l.unwrap_or_else(|| "none".to_owned());
                        let text =
                            format!("request body of {at}: {} (upstream: {})", shown(curated_label), shown(up_label));
                        self.report.push(&resource, Kind::Kept, text);
                    }
                }
                Err(reason) => self.report.push(&resource, Kind::Note, format!("upstream {at}: {reason}")),
            }
        }
        let up_responses = normalize::responses(up.get("responses"), at, &mut notes);
        let success = |responses: Option<&Object>| {
            let responses = responses?;
            ["200", "201"].iter().find_map(|code| responses.get(code)).cloned()
        };
        if let Some(up_success) = success(Some(&up_responses))
            && up_success.get("content").is_some()
        {
            let up_label = label(Some(&up_success), self, true);
            let curated_label = label(success(curated.object("responses")).as_ref(), self, false);
            if up_label != curated_label {
                let text = format!(
                    "response of {at}: {} (upstream: {})",
                    curated_label.unwrap_or_else(|| "none".to_owned()),
                    up_label.unwrap_or_else(|| "not JSON".to_owned())
                );
                self.report.push(&resource, Kind::Kept, text);
            }
        }
    }

    /// Adds an upstream operation the spec lacks; returns the path it went under.
    fn add_operation(
        &mut self,
        scope: &Scope,
        index: usize,
        methods: &mut BTreeSet<String>,
        after: Option<&str>,
    ) -> Option<String> {
        let up = &self.up_ops[index];
        let (path, method, op, halo) = (up.path, up.method, up.op, up.tag.clone());
        let at = display(method, path);
        let resource = scope.tag.clone();
        let shape = names::shape(method, path);
        let mut notes = Notes::new();
        let body = match op.get("requestBody").map(|body| normalize::request_body(body, &at, &mut notes)) {
            Some(Err(reason)) => {
                self.report.push(&resource, Kind::Skipped, format!("{at}: {reason}"));
                return None;
            }
            Some(Ok(body)) => Some(body),
            None => None,
        };
        let params = normalize::parameters(op.get("parameters"), &at, &mut notes);
        let responses = normalize::responses(op.get("responses"), &at, &mut notes);
        let upsert = shape == Shape::Upsert && body.as_ref().is_some_and(|body| self.is_upsert_body(body));

        let mut built = Object::new();
        let id = match op.str("operationId") {
            Some(id) if !self.operation_ids.contains(id) => id.to_owned(),
            _ => {
                let base = names::operation_id(&scope.tag, method, path, shape);
                let mut id = base.clone();
                let mut n = 2;
                while self.operation_ids.contains(&id) {
                    id = format!("{base}{n}");
                    n += 1;
                }
                notes.push(("missing operationId synthesized".to_owned(), format!("{at} → {id}")));
                id
            }
        };
        self.operation_ids.insert(id.clone());
        built.insert("operationId", id.as_str());
        if upsert {
            methods.extend(UPSERT_METHODS.iter().map(|name| (*name).to_owned()));
        } else {
            let candidates = names::method_names(method, path, shape);
            let free = candidates.iter().find(|name| !methods.contains(*name)).cloned();
            if let Some(name) = free {
                built.insert("x-halo-method", name.as_str());
                methods.insert(name);
            } else {
                methods.insert(oj::snake_case(&id));
            }
        }
        built.insert("tags", vec![Json::from(resource.as_str())]);
        let summary = match op.str("summary").and_then(|s| normalize::text(s, &at, &mut notes)) {
            Some(summary) => summary,
            None => {
                let summary = names::summary(&halo, method, path, shape);
                notes.push(("missing summary synthesized".to_owned(), format!("{at} → {summary}")));
                summary
            }
        };
        built.insert("summary", summary);
        if let Some(description) = op.str("description").and_then(|d| normalize::text(d, &at, &mut notes)) {
            built.insert("description", description);
        }
        if op.get("deprecated") == Some(&Json::Bool(true)) {
            built.insert("deprecated", true);
        }
        if upsert {
            built.insert("x-halo-upsert", Object::new().with("id", "id"));
        }
        self.absorb(notes);
        let mut parameters = Vec::new();
        for (param, notes) in params {
            self.absorb(notes);
            parameters.push(Json::Object(param));
        }
        if !parameters.is_empty() {
            let mut parameters = Json::Array(parameters);
            self.import_refs(&mut parameters);
            built.insert("parameters", parameters);
        }
        if let Some(body) = body {
            let mut body = Json::Object(body);
            self.import_refs(&mut body);
            built.insert("requestBody", body);
        }
        let mut responses_json = Json::Object(responses);
        self.import_refs(&mut responses_json);
        let Json::Object(mut responses) = responses_json else { unreachable!("an object stays an object") };
        self.shape_response(path, shape, &halo, &mut responses);
        built.insert("responses", responses);

        let upsert_note = if upsert { ", create-or-update" } else { "" };
        let method_note = built.str("x-halo-method").map(|m| format!(", `{m}`")).unwrap_or_default();
        self.report.push(&resource, Kind::AddedOperation, format!("{at} (`{id}`{method_note}{upsert_note})"));
        self.routes.insert(route_key(method, path), (path.to_owned(), method.to_owned()));
        let path = self.insert_operation(path, method, built, after);
        self.by_tag.entry(resource).or_default().push((path.clone(), method.to_owned()));
        Some(path)
    }

    /// Whether a body is an array of a schema with an integer `id`: Halo's create-or-update.
    fn is_upsert_body(&self, body: &Object) -> bool {
        let items = body.get("content").and_then(|c| c.get("application/json")).and_then(|m| m.get("schema"));
        let Some(items) =
            items.filter(|s| s.get("type").and_then(Json::as_str) == Some("array")).and_then(|s| s.get("items"))
        else {
            return false;
        };
        let Some(name) = items.get("$ref").and_then(Json::as_str).and_then(schema_ref_name) else { return false };
        let id = self.up_schemas.get(name).and_then(|s| s.get("properties")).and_then(|p| p.get("id"));
        id.and_then(|id| id.get("type")).and_then(Json::as_str).is_some_and(|t| t == "integer" || t == "int")
    }

    /// The schema a resource is about, by its upstream name: the items of `POST /X`, else the schema named like
    /// Halo's tag.
    fn base_schema(&self, path: &str, halo: &str) -> Option<String> {
        let collection = format!("/{}", names::first_segment(path));
        let from_body = self.up_routes.get(&route_key("post", &collection)).and_then(|&index| {
            let schema =
                self.up_ops[index].op.get("requestBody")?.get("content")?.get("application/json")?.get("schema")?;
            let items = schema.get("items")?;
            Some(schema_ref_name(items.get("$ref")?.as_str()?)?.to_owned())
        });
        from_body.or_else(|| self.up_schemas.contains_key(halo).then(|| halo.to_owned()))
    }

    /// Gives a new `GET /X` the list shape (when HALO-NOTES §3 knows its key) and a new `GET /X/{id}` the resource's
    /// schema, where Halo documents no response.
    fn shape_response(&mut self, path: &str, shape: Shape, halo: &str, responses: &mut Object) {
        let Some(ok) = responses.object("200") else { return };
        if ok.contains_key("content") || !matches!(shape, Shape::List | Shape::Get) {
            return;
        }
        let Some(base) = self.base_schema(path, halo) else { return };
        // Curated names from here on: the responses' own `$ref`s were imported already.
        let schema: Json = if shape == Shape::Get {
            let name = self.import_schema(&base);
            Object::new().with("$ref", schema_ref(&name)).into()
        } else {
            let Some(key) = names::list_key(names::first_segment(path)) else { return };
            let item_up = [format!("{base}_List"), base.clone()]
                .into_iter()
                .find(|name| self.up_schemas.contains_key(name.as_str()))
                .unwrap_or(base.clone());
            let item = self.import_schema(&item_up);
            let wrapper = self.list_wrapper(&base, &item_up, &item, key);
            let array =
                Object::new().with("type", "array").with("items", Object::new().with("$ref", schema_ref(&item)));
            let one_of = vec![Json::from(Object::new().with("$ref", schema_ref(&wrapper))), Json::from(array)];
            Object::new().with("oneOf", one_of).into()
        };
        let how = if shape == Shape::Get {
            "Halo documents no response; the import typed it as the resource's schema"
        } else {
            "Halo documents no response; the import typed it as a list of the resource's schema (key from HALO-NOTES)"
        };
        let ok = responses.object_mut("200").expect("checked");
        ok.insert("content", Object::new().with("application/json", Object::new().with("schema", schema)));
        ok.insert(INFERRED, how);
    }

    /// The list wrapper of a resource: Halo's `<Base>_View` when it has `record_count` and the key, else a new
    /// `<Base>_View` (or `<Item>List` when the curated spec renamed the item, like `AgentList` for `Agent`).
    fn list_wrapper(&mut self, base: &str, item_up: &str, item: &str, key: &str) -> String {
        let view = format!("{base}_View");
        let fits = self.up_schemas.get(view.as_str()).and_then(|s| s.get("properties")).is_some_and(|p| {
            p.get("record_count").is_some()
                && p.get(key).and_then(|k| k.get("items")).and_then(|i| i.get("$ref")).and_then(Json::as_str)
                    == Some(schema_ref(item_up).as_str())
        });
        if fits {
            let name = self.import_schema(&view);
            if let Some(Json::Object(schema)) = self.schemas_mut().get_mut(&name)
                && !schema.contains_key("x-halo-list-key")
            {
                let at = schema.position("x-halo-name").map_or(0, |p| p + 1);
                schema.insert_at(at, "x-halo-list-key", key);
            }
            return name;
        }
        let base_curated = self.schema_map.get(base).cloned().unwrap_or_else(|| base.to_owned());
        let base_name = if base_curated == base { view } else { format!("{base_curated}List") };
        let mut name = base_name.clone();
        let mut n = 2;
        while self.schema(&name).is_some() || self.up_schemas.contains_key(name.as_str()) {
            name = format!("{base_name}{n}");
            n += 1;
        }
        let properties = Object::new()
            .with("record_count", Object::new().with("type", "integer").with("format", "int32"))
            .with(key, Object::new().with("type", "array").with("items", Object::new().with("$ref", schema_ref(item))));
        let wrapper = Object::new()
            .with("type", "object")
            .with("x-halo-list-key", key)
            .with(INFERRED, "a list wrapper the import made up: Halo's swagger has no model of this list")
            .with("properties", properties);
        self.schemas_mut().insert(&name, wrapper);
        self.compared.insert(name.clone());
        self.report.push(
            &self.resource.clone(),
            Kind::AddedSchema,
            format!("model `{name}` (list wrapper, key `{key}`)"),
        );
        name
    }

    /// Puts an operation into `paths`: into its path item if the path exists (methods in get, put, post, delete
    /// order), else as a new path after `after` (the resource's last path), else at the end.
    fn insert_operation(&mut self, path: &str, method: &str, op: Object, after: Option<&str>) -> String {
        let existing = self.path_index.get(&route_key("", path)).cloned();
        if existing.is_none() {
            self.path_index.insert(route_key("", path), path.to_owned());
        }
        let mut op = op;
        if let Some(existing) = existing.as_deref().filter(|existing| *existing != path)
            && let Some(Json::Array(params)) = op.get_mut("parameters")
            && rename_path_params(params, path, existing)
        {
            let text = format!("path parameters renamed to `{existing}`'s: {}", display(method, path));
            self.report.push(&self.resource.clone(), Kind::Normalized, text);
        }
        let paths = self.spec.object_entry("paths");
        if let Some(existing) = existing {
            let item = paths.object_entry(&existing);
            let at = item.keys().position(|m| method_order(m) > method_order(method)).unwrap_or(item.len());
            item.insert_at(at, method, op);
            return existing;
        }
        let at = after.and_then(|after| paths.position(after)).map_or(paths.len(), |p| p + 1);
        paths.insert_at(at, path, Object::new().with(method, op));
        path.to_owned()
    }
}
