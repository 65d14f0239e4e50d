//! Validate: reject what the generator does not support, collecting every error with its JSON pointer.
//!
//! After this stage `lower` may assume: every `$ref` resolves, every operation has a unique operationId and a tag,
//! every parameter is a supported type, path templates and path parameters agree, and list responses, upserts and
//! bodies have the shapes ARCHITECTURE.md documents.

use std::collections::BTreeMap;

use openapiv3::{
    AdditionalProperties, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, Type,
};

use crate::diagnostics::{Diagnostics, join, pointer};
use crate::spec::Spec;
use crate::syntax;

/// Checks the spec and returns every problem found (empty when the spec is fine).
pub fn validate(spec: &Spec) -> Diagnostics {
    let mut validator = Validator { spec, diagnostics: Diagnostics::default(), operation_ids: BTreeMap::new() };
    if let Some(components) = &spec.model.components {
        for (name, schema) in &components.schemas {
            let at = pointer(&["components", "schemas", name]);
            validator.schema_or_ref(&at, schema);
            if let ReferenceOr::Item(schema) = schema
                && let Some(key) = schema.schema_data.extensions.get(syntax::LIST_KEY)
            {
                validator.list_wrapper(&at, schema, key);
            }
            if let ReferenceOr::Item(schema) = schema
                && let Some(key) = schema.schema_data.extensions.get(syntax::KEY)
            {
                validator.record_key(&at, schema, key);
            }
        }
    }
    if let Some(requirements) = &spec.model.security {
        validator.security(&pointer(&["security"]), requirements);
    }
    validator.features();
    for (path, item) in &spec.model.paths.paths {
        let at = pointer(&["paths", path]);
        let item = match item {
            ReferenceOr::Item(item) => item,
            ReferenceOr::Reference { .. } => {
                validator.diagnostics.error_with_hint(
                    join(&at, "$ref"),
                    "a path item that is a `$ref` is not supported",
                    "inline the path item",
                );
                continue;
            }
        };
        for (method, operation) in syntax::operations(item) {
            validator.operation(&join(&at, method), path, method, operation, &item.parameters);
        }
        for (method, operation) in [("head", &item.head), ("options", &item.options), ("trace", &item.trace)] {
            if operation.is_some() {
                validator.diagnostics.error_with_hint(
                    join(&at, method),
                    format!("unsupported HTTP method `{method}`"),
                    "Halo's API uses GET, POST and DELETE; remove the operation",
                );
            }
        }
    }
    validator.diagnostics
}

struct Validator<'a> {
    spec: &'a Spec,
    diagnostics: Diagnostics,
    /// operationId → where it was first seen.
    operation_ids: BTreeMap<String, String>,
}

impl<'a> Validator<'a> {
    fn operation(
        &mut self,
        at: &str,
        path: &str,
        method: &str,
        operation: &Operation,
        shared: &[ReferenceOr<Parameter>],
    ) {
        match &operation.operation_id {
            None => self.diagnostics.error_with_hint(
                at,
                format!("operation `{} {path}` has no operationId", method.to_uppercase()),
                "add a unique camelCase `operationId`, e.g. `listAgents`",
            ),
            Some(id) => {
                let id_at = join(at, "operationId");
                if let Some(first) = self.operation_ids.get(id) {
                    self.diagnostics.error_with_hint(
                        id_at,
                        format!("duplicate operationId `{id}`, first used at {first}"),
                        "operationIds name the builders and must be unique",
                    );
                } else if !id.chars().any(|c| c.is_ascii_alphabetic()) {
                    self.diagnostics.error(id_at, format!("operationId `{id}` has no letters to make a name from"));
                } else {
                    self.operation_ids.insert(id.clone(), at.to_owned());
                }
            }
        }
        if operation.tags.is_empty() {
            self.diagnostics.error_with_hint(
                join(at, "tags"),
                "operation has no tag",
                "add the resource it belongs to as its only tag, e.g. `\"tags\": [\"Agents\"]`",
            );
        }
        if let Some(name) = operation.extensions.get(syntax::METHOD) {
            let valid = name.as_str().is_some_and(|name| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            });
            if !valid {
                self.diagnostics.error_with_hint(
                    join(at, syntax::METHOD),
                    format!("`{}` must be a snake_case string, found {name}", syntax::METHOD),
                    "write the method name as it should appear in Rust, e.g. `list`",
                );
            }
        }
        let idempotency = operation.extensions.get(syntax::IDEMPOTENT).map(|flag| (flag, syntax::idempotency(flag)));
        if let Some((flag, None)) = idempotency {
            self.diagnostics.error_with_hint(
                join(at, syntax::IDEMPOTENT),
                format!(
                    "`{}` must be true or false, or `{{\"{}\": \"<property>\"}}`, found {flag}",
                    syntax::IDEMPOTENT,
                    syntax::WHEN_ITEMS_HAVE
                ),
                "write `true` when sending the operation twice has the effect of sending it once",
            );
        }
        if let Some(requirements) = &operation.security {
            self.security(&join(at, "security"), requirements);
        }
        self.parameters(at, path, operation, shared);
        let body = self.request_body(at, operation);
        if let Some((_, Some(syntax::Idempotency::WhenItemsHave(flag)))) = idempotency {
            self.idempotent_when(at, flag, body);
        }
        if let Some(upsert) = operation.extensions.get(syntax::UPSERT) {
            self.upsert(at, method, upsert, body);
        }
        self.responses(at, operation);
    }

    /// The cargo-feature extensions: a tag's `x-halo-default` is a boolean; each `x-halo-feature-groups` entry has a
    /// lowercase name that no other feature has, a description, and the tags of resources (ARCHITECTURE.md, "Spec
    /// conventions").
    fn features(&mut self) {
        let model = &self.spec.model;
        let mut imported_tags = Vec::new();
        for (index, tag) in model.tags.iter().enumerate() {
            if let Some(flag) = tag.extensions.get(syntax::DEFAULT_FEATURE)
                && !flag.is_boolean()
            {
                self.diagnostics.error_with_hint(
                    pointer(&["tags", &index.to_string(), syntax::DEFAULT_FEATURE]),
                    format!("`{}` must be true or false, found {flag}", syntax::DEFAULT_FEATURE),
                    "write `false` to keep the resource's cargo feature out of `default`",
                );
            }
            match tag.extensions.get(syntax::IMPORTED) {
                None => {}
                Some(serde_json::Value::Bool(imported)) => {
                    if *imported {
                        imported_tags.push(tag.name.clone());
                    }
                    if *imported && tag.extensions.get(syntax::DEFAULT_FEATURE) == Some(&serde_json::Value::Bool(true))
                    {
                        self.diagnostics.error_with_hint(
                            pointer(&["tags", &index.to_string(), syntax::DEFAULT_FEATURE]),
                            format!("the imported resource `{}` cannot be in `default`", tag.name),
                            "imported resources are off by default; promote it to the curated spec first \
                             (`cargo xtask import --resource NAME`)",
                        );
                    }
                }
                Some(other) => self.diagnostics.error_with_hint(
                    pointer(&["tags", &index.to_string(), syntax::IMPORTED]),
                    format!("`{}` must be true or false, found {other}", syntax::IMPORTED),
                    "write `true` on the tags of the imported tier",
                ),
            }
        }
        let Some(groups) = model.extensions.get(syntax::FEATURE_GROUPS) else { return };
        let at = pointer(&[syntax::FEATURE_GROUPS]);
        let hint = "write `[{\"name\": \"sales\", \"description\": \"...\", \"tags\": [\"Quotes\"]}]`";
        let Some(groups) = groups.as_array() else {
            return self.diagnostics.error_with_hint(at, "feature groups must be an array", hint);
        };
        // The tags operations use, and the features (modules) they become.
        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        for item in model.paths.paths.values() {
            let ReferenceOr::Item(item) = item else { continue };
            for (_, operation) in syntax::operations(item) {
                if let Some(tag) = operation.tags.first() {
                    tags.insert(tag.clone(), crate::names::snake(tag));
                }
            }
        }
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for (index, group) in groups.iter().enumerate() {
            let at = join(&at, &index.to_string());
            let name = group.get("name").and_then(serde_json::Value::as_str).unwrap_or_default();
            let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !valid {
                self.diagnostics.error_with_hint(
                    join(&at, "name"),
                    format!("a feature group needs a lowercase `name` (letters, digits, `_`, `-`), found {:?}", name),
                    hint,
                );
            } else if crate::ir::RESERVED_FEATURES.contains(&name)
                || tags.values().any(|module| module == name)
                || name.starts_with(syntax::IMPORTED_FEATURE_PREFIX)
            {
                self.diagnostics.error_with_hint(
                    join(&at, "name"),
                    format!("feature group `{name}` has the name of another cargo feature"),
                    "pick a name that is not a resource's feature, `default`, `full`, `unused-models`, a TLS backend \
                     or `unstable-*` (the imported tier's)",
                );
            } else if let Some(first) = names.insert(name.to_owned(), index) {
                self.diagnostics.error(join(&at, "name"), format!("feature group `{name}` is also group {first}"));
            }
            if group.get("description").and_then(serde_json::Value::as_str).is_none_or(|d| d.trim().is_empty()) {
                self.diagnostics.error_with_hint(
                    join(&at, "description"),
                    "a feature group needs a `description`",
                    "say in one line what it enables; it is written above the feature in the manifest",
                );
            }
            match group.get("tags").and_then(serde_json::Value::as_array) {
                Some(members) if !members.is_empty() => {
                    for (member_index, member) in members.iter().enumerate() {
                        if !member.as_str().is_some_and(|tag| tags.contains_key(tag)) {
                            self.diagnostics.error_with_hint(
                                pointer_in(&at, &["tags", &member_index.to_string()]),
                                format!("{member} is not the tag of any operation"),
                                "list the tags (resources) the group enables, as operations name them",
                            );
                        } else if member.as_str().is_some_and(|tag| imported_tags.iter().any(|t| t == tag)) {
                            self.diagnostics.error_with_hint(
                                pointer_in(&at, &["tags", &member_index.to_string()]),
                                format!("{member} is an imported resource"),
                                "feature groups are curated: promote the resource first \
                                 (`cargo xtask import --resource NAME`)",
                            );
                        }
                    }
                }
                _ => self.diagnostics.error_with_hint(
                    join(&at, "tags"),
                    "a feature group needs a non-empty `tags` array",
                    hint,
                ),
            }
        }
    }

    /// Security requirements are alternatives, each naming one declared scheme and at most one of its scopes: the
    /// client only needs "any one of these scopes" (ARCHITECTURE.md, "Spec conventions").
    fn security(&mut self, at: &str, requirements: &[openapiv3::SecurityRequirement]) {
        let schemes = self.spec.model.components.as_ref().map(|components| &components.security_schemes);
        for (index, requirement) in requirements.iter().enumerate() {
            let at = join(at, &index.to_string());
            if requirement.len() != 1 {
                self.diagnostics.error_with_hint(
                    &at,
                    format!(
                        "a security requirement names {} schemes; the generator supports exactly one",
                        requirement.len()
                    ),
                    "write one requirement object per alternative, e.g. `{\"halo\": [\"read:agents\"]}`",
                );
                continue;
            }
            let (name, scopes) = requirement.iter().next().expect("one entry");
            let scheme = match schemes.and_then(|schemes| schemes.get(name)) {
                Some(ReferenceOr::Item(scheme)) => scheme,
                _ => {
                    self.diagnostics.error_with_hint(
                        join(&at, name),
                        format!("security scheme `{name}` is not declared"),
                        "declare it in `components.securitySchemes`",
                    );
                    continue;
                }
            };
            if scopes.len() > 1 {
                self.diagnostics.error_with_hint(
                    join(&at, name),
                    format!(
                        "a security requirement asks for {} scopes together; the generator supports one",
                        scopes.len()
                    ),
                    "list alternatives as separate requirement objects: `[{\"halo\": [\"a\"]}, {\"halo\": [\"b\"]}]`",
                );
            }
            if let openapiv3::SecurityScheme::OAuth2 { flows, .. } = scheme {
                let declared = |scope: &String| {
                    [flows.client_credentials.as_ref().map(|f| &f.scopes), flows.implicit.as_ref().map(|f| &f.scopes)]
                        .into_iter()
                        .flatten()
                        .chain(flows.password.as_ref().map(|f| &f.scopes))
                        .chain(flows.authorization_code.as_ref().map(|f| &f.scopes))
                        .any(|declared| declared.contains_key(scope))
                };
                for (index, scope) in scopes.iter().enumerate() {
                    if !declared(scope) {
                        self.diagnostics.error_with_hint(
                            join(&join(&at, name), &index.to_string()),
                            format!("scope `{scope}` is not declared by the security scheme `{name}`"),
                            "add it to the scheme's flow `scopes` with a description",
                        );
                    }
                }
            }
        }
    }

    fn parameters(&mut self, at: &str, path: &str, operation: &Operation, shared: &[ReferenceOr<Parameter>]) {
        let mut seen: BTreeMap<(String, &str), String> = BTreeMap::new();
        let mut path_params = Vec::new();
        let all = shared.iter().enumerate().map(|(i, p)| (pointer(&["parameters", &i.to_string()]), p)).chain(
            operation.parameters.iter().enumerate().map(|(i, p)| (join(&join(at, "parameters"), &i.to_string()), p)),
        );
        for (param_at, parameter) in all {
            let param_at = if param_at.starts_with("/parameters") {
                // Path-level parameters live under the path item, not the operation.
                format!("{}{param_at}", at.rsplit_once('/').map_or("", |(path_item, _)| path_item))
            } else {
                param_at
            };
            let Some(parameter) = self.resolve_parameter(&param_at, parameter) else { continue };
            let (location, data) = match parameter {
                Parameter::Query { parameter_data, .. } => ("query", parameter_data),
                Parameter::Path { parameter_data, .. } => ("path", parameter_data),
                Parameter::Header { parameter_data, .. } | Parameter::Cookie { parameter_data, .. } => {
                    let location = if matches!(parameter, Parameter::Header { .. }) { "header" } else { "cookie" };
                    self.diagnostics.error_with_hint(
                        join(&param_at, "in"),
                        format!("{location} parameter `{}` is not supported", parameter_data.name),
                        "the runtime sets Halo's headers itself; remove the parameter",
                    );
                    continue;
                }
            };
            let key = (data.name.clone(), location);
            if let Some(first) = seen.get(&key) {
                self.diagnostics.error_with_hint(
                    join(&param_at, "name"),
                    format!("{location} parameter `{}` is declared twice (first at {first})", data.name),
                    "Halo's swagger repeats some parameters; keep one",
                );
                continue;
            }
            seen.insert(key, param_at.clone());
            if location == "path" {
                path_params.push((data.name.clone(), param_at.clone()));
                if !data.required {
                    self.diagnostics.error_with_hint(
                        join(&param_at, "required"),
                        format!("path parameter `{}` must be required", data.name),
                        "set `\"required\": true`",
                    );
                }
            }
            match &data.format {
                ParameterSchemaOrContent::Schema(schema) => {
                    self.parameter_schema(&join(&param_at, "schema"), location, &data.name, schema)
                }
                ParameterSchemaOrContent::Content(_) => self.diagnostics.error_with_hint(
                    join(&param_at, "content"),
                    format!("parameter `{}` uses `content`, which is not supported", data.name),
                    "describe it with `schema`",
                ),
            }
        }
        let template: Vec<&str> = syntax::path_template_params(path);
        for name in &template {
            if !path_params.iter().any(|(declared, _)| declared == name) {
                self.diagnostics.error_with_hint(
                    join(at, "parameters"),
                    format!("path `{path}` has `{{{name}}}` but no path parameter `{name}`"),
                    format!(
                        "add `{{\"name\": \"{name}\", \"in\": \"path\", \"required\": true, \"schema\": {{...}}}}`"
                    ),
                );
            }
        }
        for (name, param_at) in &path_params {
            if !template.contains(&name.as_str()) {
                self.diagnostics
                    .error(param_at.clone(), format!("path parameter `{name}` is not in the path `{path}`"));
            }
        }
    }

    fn resolve_parameter<'p>(&mut self, at: &str, parameter: &'p ReferenceOr<Parameter>) -> Option<&'p Parameter>
    where
        'a: 'p,
    {
        match parameter {
            ReferenceOr::Item(parameter) => Some(parameter),
            ReferenceOr::Reference { reference } => {
                let spec: &'a Spec = self.spec;
                let found = syntax::component_parameter(&spec.model, reference);
                if found.is_none() {
                    self.dangling(at, reference);
                }
                found
            }
        }
    }

    fn parameter_schema(&mut self, at: &str, location: &str, name: &str, schema: &ReferenceOr<Schema>) {
        let schema = match schema {
            ReferenceOr::Item(schema) => schema,
            ReferenceOr::Reference { reference } => match syntax::component_schema(&self.spec.model, reference) {
                Some(schema) => schema,
                None => return self.dangling(at, reference),
            },
        };
        let supported = match &schema.schema_kind {
            SchemaKind::Type(Type::String(_) | Type::Integer(_)) => {
                self.enum_extensions(at, schema);
                true
            }
            SchemaKind::Type(Type::Number(_) | Type::Boolean(_)) => true,
            SchemaKind::Any(any)
                if self.enum_values_of_wrong_type(at, &format!("{location} parameter `{name}`"), any) =>
            {
                return;
            }
            SchemaKind::Type(Type::Array(array)) if location == "query" => match &array.items {
                Some(ReferenceOr::Item(items)) => {
                    matches!(items.schema_kind, SchemaKind::Type(Type::String(_) | Type::Integer(_)))
                }
                _ => false,
            },
            SchemaKind::Any(any) if any.typ.as_deref().is_some_and(|t| !syntax::is_openapi_type(t)) => {
                let typ = any.typ.as_deref().unwrap_or_default();
                self.diagnostics.error_with_hint(
                    join(at, "type"),
                    format!("{location} parameter `{name}` has type `{typ}`, which is not an OpenAPI type"),
                    syntax::type_hint(typ),
                );
                return;
            }
            SchemaKind::Any(any) if any.typ.is_none() => {
                self.diagnostics.error_with_hint(
                    at,
                    format!("{location} parameter `{name}` has no type"),
                    "give it a `type`: integer, number, boolean or string",
                );
                return;
            }
            _ => false,
        };
        if !supported {
            self.diagnostics.error_with_hint(
                at,
                format!("{location} parameter `{name}` must be a boolean, integer, number or string"),
                "query parameters may also be an array of integers or strings (sent comma-separated)",
            );
        }
    }

    fn request_body<'s>(&mut self, at: &str, operation: &'s Operation) -> Option<&'s ReferenceOr<Schema>>
    where
        'a: 's,
    {
        let spec: &'a Spec = self.spec;
        let body = operation.request_body.as_ref()?;
        let body_at = join(at, "requestBody");
        let body = match body {
            ReferenceOr::Item(body) => body,
            ReferenceOr::Reference { reference } => match syntax::component_request_body(&spec.model, reference) {
                Some(body) => body,
                None => {
                    self.dangling(&body_at, reference);
                    return None;
                }
            },
        };
        match syntax::json_media(&body.content) {
            Some((media, content)) => match &content.schema {
                Some(schema) => {
                    self.schema_or_ref(&pointer_in(&body_at, &["content", media, "schema"]), schema);
                    content.schema.as_ref()
                }
                None => {
                    self.diagnostics.error(pointer_in(&body_at, &["content", media]), "request body has no schema");
                    None
                }
            },
            None => {
                let types: Vec<&str> = body.content.keys().map(String::as_str).collect();
                self.diagnostics.error_with_hint(
                    join(&body_at, "content"),
                    format!("request body has no `application/json` content (found {})", types.join(", ")),
                    "the client sends JSON bodies only; describe the body as `application/json`",
                );
                None
            }
        }
    }

    /// `x-halo-idempotent: {"when_items_have": flag}` needs an array body whose items have a boolean `flag`.
    fn idempotent_when(&mut self, at: &str, flag: &str, body: Option<&ReferenceOr<Schema>>) {
        let at = join(at, syntax::IDEMPOTENT);
        let item = body.and_then(|body| syntax::array_item_ref(&self.spec.model, body));
        let Some(item) = item else {
            return self.diagnostics.error_with_hint(
                at,
                format!("`{}` needs a body that is an array of a named schema", syntax::WHEN_ITEMS_HAVE),
                "the condition is a boolean property of the body's items",
            );
        };
        let boolean = syntax::schema_by_name(&self.spec.model, item)
            .and_then(|schema| syntax::property(schema, flag))
            .is_some_and(|property| syntax::is_boolean(&self.spec.model, property));
        if !boolean {
            self.diagnostics.error(
                at,
                format!(
                    "`{}`: the items of the body (`{item}`) have no boolean property `{flag}`",
                    syntax::WHEN_ITEMS_HAVE
                ),
            );
        }
    }

    fn upsert(&mut self, at: &str, method: &str, upsert: &serde_json::Value, body: Option<&ReferenceOr<Schema>>) {
        let at = join(at, syntax::UPSERT);
        let id = syntax::upsert_id(upsert);
        let Some(id) = id else {
            return self.diagnostics.error_with_hint(
                at,
                "malformed upsert marker",
                "write `{\"id\": \"id\"}`, naming the id property of the body's items",
            );
        };
        if method != "post" {
            return self.diagnostics.error(at, "create-or-update is only supported on POST");
        }
        let item = body.and_then(|body| syntax::array_item_ref(&self.spec.model, body));
        let Some(item) = item else {
            return self.diagnostics.error_with_hint(
                at,
                "a create-or-update body must be an array of a named schema",
                "use `{\"type\": \"array\", \"items\": {\"$ref\": \"#/components/schemas/...\"}}`",
            );
        };
        let id_is_integer = syntax::schema_by_name(&self.spec.model, item)
            .and_then(|schema| syntax::property(schema, id))
            .is_some_and(|property| syntax::is_integer(&self.spec.model, property));
        if !id_is_integer {
            self.diagnostics.error(at, format!("the items of a create-or-update body need an integer property `{id}`"));
        }
    }

    fn responses(&mut self, at: &str, operation: &Operation) {
        let spec: &'a Spec = self.spec;
        let Some((code, response)) = syntax::success_response(operation) else {
            return self.diagnostics.error_with_hint(
                join(at, "responses"),
                "operation has no 2xx response",
                "add a `200` response (without content if there is none)",
            );
        };
        let response_at = pointer_in(at, &["responses", &code]);
        let response = match response {
            ReferenceOr::Item(response) => response,
            ReferenceOr::Reference { reference } => match syntax::component_response(&spec.model, reference) {
                Some(response) => response,
                None => return self.dangling(&response_at, reference),
            },
        };
        let Some((media, content)) = syntax::json_media(&response.content) else { return };
        let schema_at = pointer_in(&response_at, &["content", media, "schema"]);
        let Some(schema) = &content.schema else { return };
        if let ReferenceOr::Item(Schema { schema_kind: SchemaKind::OneOf { one_of }, .. }) = schema {
            // A dangling `$ref` in a branch is the real problem: name it rather than judge the shape around it.
            if self.dangling_in_branches(&schema_at, "oneOf", one_of) > 0 {
                return;
            }
            if syntax::list_response(&self.spec.model, schema).is_none() {
                self.diagnostics.error_with_hint(
                    schema_at,
                    "`oneOf` is only supported for list responses",
                    "write `oneOf: [{$ref: XList}, {type: array, items: {$ref: X}}]` where XList has `x-halo-list-key`",
                );
            }
            return;
        }
        self.schema_or_ref(&schema_at, schema);
    }

    fn list_wrapper(&mut self, at: &str, schema: &Schema, key: &serde_json::Value) {
        let at_key = join(at, syntax::LIST_KEY);
        let Some(key) = key.as_str() else {
            return self.diagnostics.error(at_key, format!("`{}` must be a string", syntax::LIST_KEY));
        };
        let items = syntax::property(schema, key).and_then(|p| syntax::array_item_ref_boxed(p));
        if items.is_none() {
            self.diagnostics.error_with_hint(
                at_key,
                format!("list key `{key}` does not name an array property of a named schema"),
                format!("add `\"{key}\": {{\"type\": \"array\", \"items\": {{\"$ref\": ...}}}}` to `properties`"),
            );
        }
    }

    /// `x-halo-key`: one to four distinct names of integer or string properties of the schema itself, which the
    /// pager reads from every record.
    fn record_key(&mut self, at: &str, schema: &Schema, key: &serde_json::Value) {
        let at_key = join(at, syntax::KEY);
        let names: Option<Vec<&str>> = key.as_array().and_then(|names| names.iter().map(|n| n.as_str()).collect());
        let Some(names) = names.filter(|names| (1..=4).contains(&names.len())) else {
            return self.diagnostics.error_with_hint(
                at_key,
                format!("`{}` must be an array of one to four property names", syntax::KEY),
                "name the properties that together identify a record, e.g. `[\"ticket_id\", \"id\"]`",
            );
        };
        for (index, name) in names.iter().enumerate() {
            let at_name = join(&at_key, &index.to_string());
            if names[..index].contains(name) {
                self.diagnostics.error(at_name, format!("`{name}` is named twice in `{}`", syntax::KEY));
                continue;
            }
            let scalar = match syntax::property(schema, name) {
                None => {
                    self.diagnostics.error_with_hint(
                        at_name,
                        format!("key field `{name}` is not a property of this schema"),
                        "name a property of the record's schema (its `properties`), as Halo spells it",
                    );
                    continue;
                }
                Some(ReferenceOr::Item(property)) => match &property.schema_kind {
                    SchemaKind::Type(Type::Integer(_)) => true,
                    SchemaKind::Type(Type::String(string)) => {
                        string.enumeration.is_empty()
                            && !matches!(
                                string.format,
                                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Binary)
                            )
                    }
                    _ => false,
                },
                Some(ReferenceOr::Reference { .. }) => false,
            };
            if !scalar {
                self.diagnostics.error_with_hint(
                    at_name,
                    format!("key field `{name}` must be an integer or string property"),
                    "a key is made of ids, numbers, names or dates; declare the property inline as `integer` or `string`",
                );
            }
        }
    }

    fn schema_or_ref(&mut self, at: &str, schema: &ReferenceOr<Schema>) {
        match schema {
            ReferenceOr::Reference { reference } => {
                if syntax::component_schema(&self.spec.model, reference).is_none() {
                    self.dangling(at, reference);
                }
            }
            ReferenceOr::Item(schema) => self.schema(at, schema),
        }
    }

    fn boxed_schema_or_ref(&mut self, at: &str, schema: &ReferenceOr<Box<Schema>>) {
        match schema {
            ReferenceOr::Reference { reference } => {
                if syntax::component_schema(&self.spec.model, reference).is_none() {
                    self.dangling(at, reference);
                }
            }
            ReferenceOr::Item(schema) => self.schema(at, schema),
        }
    }

    fn schema(&mut self, at: &str, schema: &Schema) {
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => {
                self.properties(at, object.properties.iter());
                if let Some(AdditionalProperties::Schema(extra)) = &object.additional_properties {
                    self.schema_or_ref(&join(at, "additionalProperties"), extra);
                }
            }
            SchemaKind::Type(Type::Array(array)) => match &array.items {
                Some(items) => self.boxed_schema_or_ref(&join(at, "items"), items),
                None => self.diagnostics.error_with_hint(at, "array without `items`", "add `items`"),
            },
            SchemaKind::Type(Type::String(string)) => {
                if string.enumeration.iter().any(Option::is_none) {
                    self.diagnostics
                        .error(join(at, "enum"), "`null` in a string enum is not supported: use `nullable`");
                }
                self.enum_extensions(at, schema);
            }
            SchemaKind::Type(Type::Integer(_)) => self.enum_extensions(at, schema),
            SchemaKind::Type(Type::Number(_) | Type::Boolean(_)) => {}
            SchemaKind::OneOf { .. } | SchemaKind::AllOf { .. } | SchemaKind::AnyOf { .. } | SchemaKind::Not { .. } => {
                let keyword = match &schema.schema_kind {
                    SchemaKind::OneOf { .. } => "oneOf",
                    SchemaKind::AllOf { .. } => "allOf",
                    SchemaKind::AnyOf { .. } => "anyOf",
                    _ => "not",
                };
                self.dangling_in_composites(at, schema);
                self.diagnostics.error_with_hint(
                    join(at, keyword),
                    format!("`{keyword}` is not supported here"),
                    "curate the schema into a plain object (Halo's own swagger uses none of these)",
                );
            }
            SchemaKind::Any(any) if self.enum_values_of_wrong_type(at, "the schema", any) => {}
            SchemaKind::Any(any) => {
                if let Some(typ) = &any.typ
                    && !syntax::is_openapi_type(typ)
                {
                    self.diagnostics.error_with_hint(
                        join(at, "type"),
                        format!("`{typ}` is not an OpenAPI type"),
                        syntax::type_hint(typ),
                    );
                } else if !any.one_of.is_empty()
                    || !any.all_of.is_empty()
                    || !any.any_of.is_empty()
                    || any.not.is_some()
                {
                    self.dangling_in_composites(at, schema);
                    self.diagnostics.error_with_hint(
                        at,
                        "a schema mixing `type` or `properties` with `oneOf`/`allOf`/`anyOf`/`not` is not supported",
                        "curate the schema into a plain object",
                    );
                } else if any.typ.is_some() {
                    self.diagnostics.error(at, "this combination of keywords does not match its `type`");
                } else {
                    self.properties(at, any.properties.iter());
                    if let Some(items) = &any.items {
                        self.boxed_schema_or_ref(&join(at, "items"), items);
                    }
                }
            }
        }
    }

    /// An `enum` whose values are not all of the schema's `type` (`"type": "string", "enum": [1, 2]`), which
    /// `openapiv3` leaves untyped: reports the first such value and returns whether there was one.
    fn enum_values_of_wrong_type(&mut self, at: &str, what: &str, any: &openapiv3::AnySchema) -> bool {
        let Some(typ) = any.typ.as_deref() else { return false };
        let fits: fn(&serde_json::Value) -> bool = match typ {
            "string" => serde_json::Value::is_string,
            "integer" => |v| v.is_i64() || v.is_u64(),
            "number" => serde_json::Value::is_number,
            "boolean" => serde_json::Value::is_boolean,
            _ => return false,
        };
        let Some((index, value)) = any.enumeration.iter().enumerate().find(|(_, v)| !v.is_null() && !fits(v)) else {
            return false;
        };
        self.diagnostics.error_with_hint(
            join(&join(at, "enum"), &index.to_string()),
            format!("`enum` of {what} has the value `{value}`, which is not of its type `{typ}`"),
            format!("list the values as JSON {typ}s, or change the `type`"),
        );
        true
    }

    /// `x-enum-varnames` and `x-enum-descriptions` on an enum: one entry per value of `enum`, strings; names that
    /// make distinct Rust identifiers (a letter, then letters, digits or `_`).
    fn enum_extensions(&mut self, at: &str, schema: &Schema) {
        let count = match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) => string.enumeration.len(),
            SchemaKind::Type(Type::Integer(integer)) => integer.enumeration.len(),
            _ => 0,
        };
        let extensions = &schema.schema_data.extensions;
        for key in [syntax::ENUM_VARNAMES, syntax::ENUM_DESCRIPTIONS] {
            let Some(value) = extensions.get(key) else { continue };
            let key_at = join(at, key);
            let Some(entries) = value.as_array().filter(|entries| entries.iter().all(serde_json::Value::is_string))
            else {
                self.diagnostics.error(key_at, format!("`{key}` must be an array of strings"));
                continue;
            };
            if count == 0 {
                self.diagnostics.error(key_at, format!("`{key}` on a schema without `enum`"));
                continue;
            }
            if entries.len() != count {
                self.diagnostics.error_with_hint(
                    key_at,
                    format!("`{key}` has {} entries, `enum` has {count} values", entries.len()),
                    "give one entry per value, in the order of `enum`",
                );
                continue;
            }
            if key != syntax::ENUM_VARNAMES {
                continue;
            }
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for (index, name) in entries.iter().filter_map(serde_json::Value::as_str).enumerate() {
                let entry_at = join(&key_at, &index.to_string());
                let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    self.diagnostics.error_with_hint(
                        entry_at,
                        format!("`{name}` is not a valid variant name"),
                        "start with a letter; use only letters, digits and `_`",
                    );
                } else if let Some(first) = seen.insert(crate::names::camel(name), index) {
                    self.diagnostics.error(entry_at, format!("variant name `{name}` repeats entry {first}"));
                }
            }
        }
    }

    fn properties<'p>(
        &mut self,
        at: &str,
        properties: impl Iterator<Item = (&'p String, &'p ReferenceOr<Box<Schema>>)>,
    ) {
        for (name, property) in properties {
            self.boxed_schema_or_ref(&pointer_in(at, &["properties", name]), property);
        }
    }

    /// Reports every dangling `$ref` in the `oneOf`/`allOf`/`anyOf`/`not` branches of a schema (which the shape
    /// checks do not descend into), so the missing schema is named wherever it is.
    fn dangling_in_composites(&mut self, at: &str, schema: &Schema) -> usize {
        match &schema.schema_kind {
            SchemaKind::OneOf { one_of } => self.dangling_in_branches(at, "oneOf", one_of),
            SchemaKind::AllOf { all_of } => self.dangling_in_branches(at, "allOf", all_of),
            SchemaKind::AnyOf { any_of } => self.dangling_in_branches(at, "anyOf", any_of),
            SchemaKind::Not { not } => self.dangling_in(&join(at, "not"), not),
            SchemaKind::Any(any) => {
                let not = any.not.as_deref().map_or(0, |not| self.dangling_in(&join(at, "not"), not));
                self.dangling_in_branches(at, "oneOf", &any.one_of)
                    + self.dangling_in_branches(at, "allOf", &any.all_of)
                    + self.dangling_in_branches(at, "anyOf", &any.any_of)
                    + not
            }
            SchemaKind::Type(_) => 0,
        }
    }

    /// [`Self::dangling_in`] for each branch of `keyword`; returns how many were reported.
    fn dangling_in_branches(&mut self, at: &str, keyword: &str, branches: &[ReferenceOr<Schema>]) -> usize {
        let at = join(at, keyword);
        branches
            .iter()
            .enumerate()
            .map(|(index, branch)| self.dangling_in(&join(&at, &index.to_string()), branch))
            .sum()
    }

    /// Reports every dangling `$ref` in a schema and everything nested in it; returns how many.
    fn dangling_in(&mut self, at: &str, schema: &ReferenceOr<Schema>) -> usize {
        match schema {
            ReferenceOr::Reference { reference } => self.dangling_ref(at, reference),
            ReferenceOr::Item(schema) => self.dangling_in_schema(at, schema),
        }
    }

    fn dangling_in_boxed(&mut self, at: &str, schema: &ReferenceOr<Box<Schema>>) -> usize {
        match schema {
            ReferenceOr::Reference { reference } => self.dangling_ref(at, reference),
            ReferenceOr::Item(schema) => self.dangling_in_schema(at, schema),
        }
    }

    fn dangling_ref(&mut self, at: &str, reference: &str) -> usize {
        if syntax::component_schema(&self.spec.model, reference).is_some() {
            return 0;
        }
        self.dangling(at, reference);
        1
    }

    fn dangling_in_schema(&mut self, at: &str, schema: &Schema) -> usize {
        let (properties, items, extra) = match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => (Some(&object.properties), None, &object.additional_properties),
            SchemaKind::Type(Type::Array(array)) => (None, array.items.as_ref(), &None),
            SchemaKind::Any(any) => (Some(&any.properties), any.items.as_ref(), &any.additional_properties),
            _ => (None, None, &None),
        };
        let mut found = 0;
        for (name, property) in properties.into_iter().flatten() {
            found += self.dangling_in_boxed(&pointer_in(at, &["properties", name]), property);
        }
        if let Some(items) = items {
            found += self.dangling_in_boxed(&join(at, "items"), items);
        }
        if let Some(AdditionalProperties::Schema(extra)) = extra {
            found += self.dangling_in(&join(at, "additionalProperties"), extra);
        }
        found + self.dangling_in_composites(at, schema)
    }

    fn dangling(&mut self, at: &str, reference: &str) {
        self.diagnostics.error_with_hint(
            join(at, "$ref"),
            format!("dangling `$ref`: `{reference}` does not exist"),
            "refer to an existing `#/components/...` entry, or add it",
        );
    }
}

fn pointer_in(base: &str, tokens: &[&str]) -> String {
    tokens.iter().fold(base.to_owned(), |at, token| join(&at, token))
}
