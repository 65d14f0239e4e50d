//! Parse: spec text → `serde_json::Value` (syntax) → `openapiv3::OpenAPI` (structure), errors with their place.

use std::collections::BTreeSet;

use crate::diagnostics::Diagnostics;

/// A parsed spec.
pub struct Spec {
    /// The document as an OpenAPI model (`openapiv3` keeps invalid `type` strings such as `int` for `validate`).
    pub model: openapiv3::OpenAPI,
}

/// Parses spec text. A syntax error names its line and column; a structural error names its JSON pointer.
pub fn parse(text: &str) -> Result<Spec, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    // A first pass for syntax alone, so a syntax error is told apart from a structural one.
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => {}
        Err(error) => {
            let what = match error.classify() {
                serde_json::error::Category::Eof => "the spec ends too early (truncated JSON?)",
                _ => "the spec is not valid JSON",
            };
            diagnostics.error_with_hint(
                "",
                format!("{what}: {error}"),
                format!("fix the JSON syntax at line {} column {}", error.line(), error.column()),
            );
            return Err(diagnostics);
        }
    };
    // Deserialize from the text, not from `json`: `serde_json::Value` sorts object keys, and document order is
    // the order Halo serialises fields in.
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let model = match serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&mut deserializer) {
        Ok(model) => model,
        Err(error) => {
            let pointer = path_to_pointer(error.path());
            diagnostics.error(pointer, format!("not an OpenAPI 3.0 document here: {}", error.inner()));
            return Err(diagnostics);
        }
    };
    if !model.openapi.starts_with("3.0") {
        diagnostics.error_with_hint(
            "/openapi",
            format!("unsupported OpenAPI version `{}`", model.openapi),
            "the generator reads OpenAPI 3.0.x documents",
        );
    }
    diagnostics.propagate()?;
    Ok(Spec { model })
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut tokens = Vec::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => tokens.push(index.to_string()),
            Segment::Map { key } => tokens.push(key.clone()),
            Segment::Enum { variant } => tokens.push(variant.clone()),
            Segment::Unknown => {}
        }
    }
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    crate::diagnostics::pointer(&tokens)
}

/// What the merge of the imported tier brought into the spec, to say which document an error is in.
#[derive(Debug, Default)]
pub struct TierOrigin {
    /// The tier document's name (`spec/imported.json`).
    name: String,
    /// The spec's own tags; the tier's follow them.
    curated_tags: usize,
    /// The tier's operations, as (path, method).
    operations: BTreeSet<(String, String)>,
    /// The tier's paths that the spec does not have.
    paths: BTreeSet<String>,
    /// The tier's schemas.
    schemas: BTreeSet<String>,
}

impl TierOrigin {
    /// The tier's name and the pointer in the tier document of an error at `pointer` of the merged spec, if the
    /// error is the tier's.
    pub fn place(&self, pointer: &str) -> Option<(String, String)> {
        let tokens: Vec<String> =
            pointer.split('/').skip(1).map(|token| token.replace("~1", "/").replace("~0", "~")).collect();
        let ours = match tokens.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["tags", index, rest @ ..] => {
                let index: usize = index.parse().ok()?;
                let index = index.checked_sub(self.curated_tags)?;
                let mut tokens = vec!["tags".to_owned(), index.to_string()];
                tokens.extend(rest.iter().map(|t| (*t).to_owned()));
                return Some((
                    self.name.clone(),
                    crate::diagnostics::pointer(&tokens.iter().map(String::as_str).collect::<Vec<_>>()),
                ));
            }
            ["paths", path, method, ..] if self.operations.contains(&((*path).to_owned(), (*method).to_owned())) => {
                true
            }
            ["paths", path, ..] => self.paths.contains(*path),
            ["components", "schemas", name, ..] => self.schemas.contains(*name),
            _ => false,
        };
        ours.then(|| (self.name.clone(), pointer.to_owned()))
    }
}

/// Merges the imported tier (`tier`, a document of its own whose `$ref`s may point at the spec's schemas) into the
/// spec: its tags after the spec's, its operations into their paths, its schemas after the spec's. Every tag of the
/// tier must say `x-halo-imported: true`, and nothing of it may be the spec's already (a tag, an operation, a
/// schema): the tiers are disjoint. Errors point into the tier document.
pub fn merge_tier(spec: &mut Spec, tier: Spec, name: &str) -> Result<TierOrigin, Diagnostics> {
    use openapiv3::ReferenceOr;
    let mut diagnostics = Diagnostics::default();
    let model = &mut spec.model;
    let tier = tier.model;
    let mut origin = TierOrigin { name: name.to_owned(), curated_tags: model.tags.len(), ..TierOrigin::default() };
    if tier.extensions.contains_key(crate::syntax::FEATURE_GROUPS) {
        diagnostics.error_with_hint(
            crate::diagnostics::pointer(&[crate::syntax::FEATURE_GROUPS]),
            "the imported tier cannot have feature groups",
            "feature groups are curated: promote the resources first (`cargo xtask import --resource NAME`)",
        );
    }
    for (index, tag) in tier.tags.into_iter().enumerate() {
        let at = crate::diagnostics::pointer(&["tags", &index.to_string()]);
        if tag.extensions.get(crate::syntax::IMPORTED) != Some(&serde_json::Value::Bool(true)) {
            diagnostics.error_with_hint(
                crate::diagnostics::join(&at, crate::syntax::IMPORTED),
                format!("the tag `{}` of the imported tier does not say `{}: true`", tag.name, crate::syntax::IMPORTED),
                "every tag of the imported tier is marked; regenerate it with `cargo xtask import --tier`",
            );
        }
        if model.tags.iter().any(|curated| curated.name == tag.name) {
            diagnostics.error_with_hint(
                crate::diagnostics::join(&at, "name"),
                format!("`{}` is a tag of the curated spec too", tag.name),
                "a resource is curated or imported, not both; regenerate the tier with `cargo xtask import --tier`",
            );
        }
        model.tags.push(tag);
    }
    for (path, item) in tier.paths.paths {
        let at = crate::diagnostics::pointer(&["paths", &path]);
        let ReferenceOr::Item(item) = item else {
            diagnostics.error(crate::diagnostics::join(&at, "$ref"), "a path item that is a `$ref` is not supported");
            continue;
        };
        let methods: Vec<&str> = crate::syntax::operations(&item).into_iter().map(|(method, _)| method).collect();
        for method in &methods {
            origin.operations.insert((path.clone(), (*method).to_owned()));
        }
        match model.paths.paths.get_mut(&path) {
            None => {
                origin.paths.insert(path.clone());
                model.paths.paths.insert(path, ReferenceOr::Item(item));
            }
            Some(ReferenceOr::Reference { .. }) => {
                diagnostics.error(at, "the curated spec has this path as a `$ref`; the tier cannot add to it");
            }
            Some(ReferenceOr::Item(curated)) => {
                if !item.parameters.is_empty() {
                    diagnostics.error_with_hint(
                        crate::diagnostics::join(&at, "parameters"),
                        "the curated spec has this path: the tier's operations on it cannot share path-level parameters",
                        "put the parameters on the tier's operations",
                    );
                }
                let slots = [
                    ("get", item.get, &mut curated.get),
                    ("put", item.put, &mut curated.put),
                    ("post", item.post, &mut curated.post),
                    ("patch", item.patch, &mut curated.patch),
                    ("delete", item.delete, &mut curated.delete),
                ];
                for (method, operation, slot) in slots {
                    let Some(operation) = operation else { continue };
                    if slot.is_some() {
                        diagnostics.error_with_hint(
                            crate::diagnostics::join(&at, method),
                            format!("the curated spec has `{} {path}` too", method.to_uppercase()),
                            "an operation is curated or imported, not both; regenerate the tier with \
                             `cargo xtask import --tier`",
                        );
                    } else {
                        *slot = Some(operation);
                    }
                }
            }
        }
    }
    if let Some(components) = tier.components {
        let curated = model.components.get_or_insert_with(Default::default);
        for (name, schema) in components.schemas {
            if curated.schemas.contains_key(&name) {
                diagnostics.error_with_hint(
                    crate::diagnostics::pointer(&["components", "schemas", &name]),
                    format!("the curated spec has a schema `{name}` too"),
                    "the tier refers to curated schemas by their names and defines only its own; regenerate it with \
                     `cargo xtask import --tier`",
                );
                continue;
            }
            origin.schemas.insert(name.clone());
            curated.schemas.insert(name, schema);
        }
        for (kind, count) in [
            ("parameters", components.parameters.len()),
            ("requestBodies", components.request_bodies.len()),
            ("responses", components.responses.len()),
        ] {
            if count > 0 {
                diagnostics.error_with_hint(
                    crate::diagnostics::pointer(&["components", kind]),
                    format!("the imported tier's components are schemas only, found {kind}"),
                    "inline them where they are used",
                );
            }
        }
    }
    diagnostics.propagate().map_err(|errors| errors.in_file(name))?;
    Ok(origin)
}
