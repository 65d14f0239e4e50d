//! One test per validation error: a valid spec, one change, and the message and JSON pointer it must produce.
//! Also: a broken spec leaves the output folder exactly as it was.

use serde_json::{Value, json};

/// A small valid spec every case starts from.
fn base() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "tags": [{"name": "Agents"}],
        "paths": {
            "/Agent": {
                "get": {
                    "operationId": "listAgents", "tags": ["Agents"], "summary": "list",
                    "parameters": [
                        {"name": "search", "in": "query", "schema": {"type": "string"}},
                        {"name": "team_id", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                        "oneOf": [{"$ref": "#/components/schemas/AgentList"}, {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}]
                    }}}}}
                },
                "post": {
                    "operationId": "upsertAgents", "tags": ["Agents"], "x-halo-upsert": {"id": "id"},
                    "requestBody": {"content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}}}},
                    "responses": {"200": {"description": "ok"}}
                }
            },
            "/Agent/{id}": {
                "get": {
                    "operationId": "getAgent", "tags": ["Agents"],
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agent"}}}}}
                }
            }
        },
        "components": {"schemas": {
            "Agent": {"type": "object", "properties": {"id": {"type": "integer"}, "teams": {"type": "array", "items": {"$ref": "#/components/schemas/Team"}}}},
            "Team": {"type": "object", "properties": {"id": {"type": "integer"}}},
            "AgentList": {"type": "object", "x-halo-list-key": "agents", "properties": {
                "record_count": {"type": "integer"}, "agents": {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}
            }}
        }}
    })
}

/// Sets (or with `None`, removes) the value at a JSON pointer.
fn set(spec: &mut Value, pointer: &str, value: Option<Value>) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    let key = key.replace("~1", "/").replace("~0", "~");
    let parent = spec.pointer_mut(parent).unwrap_or_else(|| panic!("no {parent} in the base spec"));
    match (parent, value) {
        (Value::Object(map), Some(value)) => {
            map.insert(key, value);
        }
        (Value::Object(map), None) => {
            map.remove(&key);
        }
        (Value::Array(items), Some(value)) => items[key.parse::<usize>().unwrap()] = value,
        (Value::Array(items), None) => {
            items.remove(key.parse::<usize>().unwrap());
        }
        _ => panic!("{pointer} is not in a container"),
    }
}

/// Generates from `text` and asserts exactly one error, at `pointer`, whose message contains `message`.
fn check_text(text: &str, pointer: &str, message: &str) {
    let input = codegen::Input { spec: text, spec_name: "spec.json", changelog: None, imported: None };
    let errors = codegen::generate(&input).expect_err("the spec must be rejected");
    let found: Vec<String> = errors.errors().iter().map(|e| format!("{} | {}", e.pointer, e.message)).collect();
    assert!(
        errors.errors().iter().any(|e| e.pointer == pointer && e.message.contains(message)),
        "expected `{message}` at {pointer}, got:\n{}",
        found.join("\n")
    );
}

fn check(change: impl FnOnce(&mut Value), pointer: &str, message: &str) {
    let mut spec = base();
    change(&mut spec);
    check_text(&serde_json::to_string_pretty(&spec).unwrap(), pointer, message);
}

#[test]
fn base_spec_is_valid() {
    let text = serde_json::to_string(&base()).unwrap();
    codegen::generate(&codegen::Input { spec: &text, spec_name: "spec.json", changelog: None, imported: None })
        .unwrap();
}

#[test]
fn truncated_json() {
    let text = serde_json::to_string_pretty(&base()).unwrap();
    check_text(&text[..text.len() / 2], "", "the spec ends too early (truncated JSON?)");
}

#[test]
fn invalid_json_syntax() {
    check_text("{\"openapi\": \"3.0.3\",, }", "", "the spec is not valid JSON");
}

#[test]
fn not_openapi() {
    check(|s| set(s, "/info", Some(json!("a string"))), "/info", "not an OpenAPI 3.0 document here");
}

#[test]
fn unsupported_version() {
    check(|s| set(s, "/openapi", Some(json!("2.0"))), "/openapi", "unsupported OpenAPI version `2.0`");
}

#[test]
fn dangling_schema_ref() {
    check(
        |s| set(s, "/components/schemas/Agent/properties/teams/items/$ref", Some(json!("#/components/schemas/Teams"))),
        "/components/schemas/Agent/properties/teams/items/$ref",
        "dangling `$ref`: `#/components/schemas/Teams` does not exist",
    );
}

#[test]
fn dangling_response_ref() {
    check(
        |s| {
            set(
                s,
                "/paths/~1Agent~1{id}/get/responses/200/content/application~1json/schema/$ref",
                Some(json!("#/components/schemas/Nope")),
            )
        },
        "/paths/~1Agent~1{id}/get/responses/200/content/application~1json/schema/$ref",
        "dangling `$ref`",
    );
}

/// A dangling `$ref` inside a list response's `oneOf` is named (the wrapper and the item branch alike), and the
/// shape around it is not judged: the `oneOf` is fine once the schema exists.
#[test]
fn dangling_ref_inside_a_list_response_one_of() {
    let schema = "/paths/~1Agent/get/responses/200/content/application~1json/schema";
    for (branch, missing) in [("oneOf/0/$ref", "AgentLists"), ("oneOf/1/items/$ref", "Agents")] {
        let mut spec = base();
        set(&mut spec, &format!("{schema}/{branch}"), Some(json!(format!("#/components/schemas/{missing}"))));
        let text = serde_json::to_string_pretty(&spec).unwrap();
        check_text(
            &text,
            &format!("{schema}/{branch}"),
            &format!("dangling `$ref`: `#/components/schemas/{missing}` does not exist"),
        );
        let input = codegen::Input { spec: &text, spec_name: "spec.json", changelog: None, imported: None };
        let errors = codegen::generate(&input).expect_err("rejected");
        assert!(
            errors.errors().iter().all(|e| !e.message.contains("only supported for list responses")),
            "the shape is not judged around a dangling `$ref`: {errors}"
        );
    }
}

/// A dangling `$ref` in a composite the generator does not support is named too, besides the unsupported keyword.
#[test]
fn dangling_ref_inside_all_of() {
    let change = |s: &mut Value| {
        set(s, "/components/schemas/Team", Some(json!({"allOf": [{"$ref": "#/components/schemas/Nope"}]})))
    };
    check(
        change,
        "/components/schemas/Team/allOf/0/$ref",
        "dangling `$ref`: `#/components/schemas/Nope` does not exist",
    );
    check(change, "/components/schemas/Team/allOf", "`allOf` is not supported here");
}

#[test]
fn dangling_parameter_ref() {
    check(
        |s| set(s, "/paths/~1Agent/get/parameters/0", Some(json!({"$ref": "#/components/parameters/search"}))),
        "/paths/~1Agent/get/parameters/0/$ref",
        "dangling `$ref`: `#/components/parameters/search`",
    );
}

#[test]
fn duplicate_operation_id() {
    check(
        |s| set(s, "/paths/~1Agent~1{id}/get/operationId", Some(json!("listAgents"))),
        "/paths/~1Agent~1{id}/get/operationId",
        "duplicate operationId `listAgents`, first used at /paths/~1Agent/get",
    );
}

#[test]
fn missing_operation_id() {
    check(
        |s| set(s, "/paths/~1Agent/get/operationId", None),
        "/paths/~1Agent/get",
        "operation `GET /Agent` has no operationId",
    );
}

#[test]
fn missing_tag() {
    check(|s| set(s, "/paths/~1Agent/get/tags", None), "/paths/~1Agent/get/tags", "operation has no tag");
}

#[test]
fn bad_method_name() {
    check(
        |s| set(s, "/paths/~1Agent/get/x-halo-method", Some(json!("List Agents"))),
        "/paths/~1Agent/get/x-halo-method",
        "must be a snake_case string",
    );
}

#[test]
fn idempotent_flag_that_is_not_a_boolean() {
    check(
        |s| set(s, "/paths/~1Agent/get/x-halo-idempotent", Some(json!("yes"))),
        "/paths/~1Agent/get/x-halo-idempotent",
        "`x-halo-idempotent` must be true or false",
    );
}

#[test]
fn query_parameter_of_type_int() {
    check(
        |s| set(s, "/paths/~1Agent/get/parameters/1/schema/type", Some(json!("int"))),
        "/paths/~1Agent/get/parameters/1/schema/type",
        "query parameter `team_id` has type `int`, which is not an OpenAPI type",
    );
}

#[test]
fn query_parameter_of_type_bool_hint() {
    let mut spec = base();
    set(&mut spec, "/paths/~1Agent/get/parameters/1/schema/type", Some(json!("bool")));
    let text = serde_json::to_string(&spec).unwrap();
    let errors = codegen::generate(&codegen::Input { spec: &text, spec_name: "s", changelog: None, imported: None })
        .unwrap_err();
    assert_eq!(errors.errors()[0].hint.as_deref(), Some("use `\"type\": \"boolean\"`"));
}

#[test]
fn parameter_without_type() {
    check(
        |s| set(s, "/paths/~1Agent/get/parameters/1/schema", Some(json!({}))),
        "/paths/~1Agent/get/parameters/1/schema",
        "query parameter `team_id` has no type",
    );
}

#[test]
fn object_parameter() {
    check(
        |s| {
            set(
                s,
                "/paths/~1Agent/get/parameters/1/schema",
                Some(json!({"type": "object", "properties": {"a": {"type": "string"}}})),
            )
        },
        "/paths/~1Agent/get/parameters/1/schema",
        "must be a boolean, integer, number or string",
    );
}

#[test]
fn duplicate_parameter() {
    check(
        |s| set(s, "/paths/~1Agent/get/parameters/1/name", Some(json!("search"))),
        "/paths/~1Agent/get/parameters/1/name",
        "query parameter `search` is declared twice (first at /paths/~1Agent/get/parameters/0)",
    );
}

#[test]
fn header_parameter() {
    check(
        |s| set(s, "/paths/~1Agent/get/parameters/0/in", Some(json!("header"))),
        "/paths/~1Agent/get/parameters/0/in",
        "header parameter `search` is not supported",
    );
}

#[test]
fn optional_path_parameter() {
    check(
        |s| set(s, "/paths/~1Agent~1{id}/get/parameters/0/required", Some(json!(false))),
        "/paths/~1Agent~1{id}/get/parameters/0/required",
        "path parameter `id` must be required",
    );
}

#[test]
fn path_template_without_parameter() {
    check(
        |s| set(s, "/paths/~1Agent~1{id}/get/parameters", Some(json!([]))),
        "/paths/~1Agent~1{id}/get/parameters",
        "path `/Agent/{id}` has `{id}` but no path parameter `id`",
    );
}

#[test]
fn path_parameter_not_in_template() {
    check(
        |s| set(s, "/paths/~1Agent~1{id}/get/parameters/0/name", Some(json!("agent_id"))),
        "/paths/~1Agent~1{id}/get/parameters/0",
        "path parameter `agent_id` is not in the path `/Agent/{id}`",
    );
}

#[test]
fn body_without_json() {
    check(
        |s| {
            set(
                s,
                "/paths/~1Agent/post/requestBody/content",
                Some(json!({"multipart/form-data": {"schema": {"type": "object"}}})),
            )
        },
        "/paths/~1Agent/post/requestBody/content",
        "request body has no `application/json` content (found multipart/form-data)",
    );
}

#[test]
fn json_patch_alone_is_not_json() {
    check(
        |s| {
            set(
                s,
                "/paths/~1Agent/post/requestBody/content",
                Some(json!({"application/json-patch+json": {"schema": {"type": "object"}}})),
            )
        },
        "/paths/~1Agent/post/requestBody/content",
        "request body has no `application/json` content",
    );
}

#[test]
fn upsert_without_array_body() {
    check(
        |s| {
            set(
                s,
                "/paths/~1Agent/post/requestBody/content/application~1json/schema",
                Some(json!({"$ref": "#/components/schemas/Agent"})),
            )
        },
        "/paths/~1Agent/post/x-halo-upsert",
        "a create-or-update body must be an array of a named schema",
    );
}

#[test]
fn upsert_without_integer_id() {
    check(
        |s| set(s, "/paths/~1Agent/post/x-halo-upsert", Some(json!({"id": "guid"}))),
        "/paths/~1Agent/post/x-halo-upsert",
        "need an integer property `guid`",
    );
}

#[test]
fn malformed_upsert() {
    check(
        |s| set(s, "/paths/~1Agent/post/x-halo-upsert", Some(json!(42))),
        "/paths/~1Agent/post/x-halo-upsert",
        "malformed upsert marker",
    );
}

#[test]
fn no_success_response() {
    check(
        |s| set(s, "/paths/~1Agent~1{id}/get/responses", Some(json!({"404": {"description": "missing"}}))),
        "/paths/~1Agent~1{id}/get/responses",
        "operation has no 2xx response",
    );
}

#[test]
fn one_of_outside_lists() {
    check(
        |s| {
            set(
                s,
                "/paths/~1Agent/get/responses/200/content/application~1json/schema/oneOf/1",
                Some(json!({"type": "string"})),
            )
        },
        "/paths/~1Agent/get/responses/200/content/application~1json/schema",
        "`oneOf` is only supported for list responses",
    );
}

#[test]
fn list_key_not_an_array() {
    check(
        |s| set(s, "/components/schemas/AgentList/x-halo-list-key", Some(json!("users"))),
        "/components/schemas/AgentList/x-halo-list-key",
        "list key `users` does not name an array property",
    );
}

#[test]
fn record_key_names_a_missing_property() {
    check(
        |s| set(s, "/components/schemas/Agent/x-halo-key", Some(json!(["ticket_id", "id"]))),
        "/components/schemas/Agent/x-halo-key/0",
        "key field `ticket_id` is not a property of this schema",
    );
}

#[test]
fn record_key_is_not_a_list_of_names() {
    check(
        |s| set(s, "/components/schemas/Agent/x-halo-key", Some(json!("id"))),
        "/components/schemas/Agent/x-halo-key",
        "`x-halo-key` must be an array of one to four property names",
    );
    check(
        |s| set(s, "/components/schemas/Agent/x-halo-key", Some(json!([]))),
        "/components/schemas/Agent/x-halo-key",
        "`x-halo-key` must be an array of one to four property names",
    );
}

#[test]
fn record_key_field_is_not_a_scalar() {
    check(
        |s| set(s, "/components/schemas/Agent/x-halo-key", Some(json!(["id", "teams"]))),
        "/components/schemas/Agent/x-halo-key/1",
        "key field `teams` must be an integer or string property",
    );
}

#[test]
fn record_key_names_a_field_twice() {
    check(
        |s| set(s, "/components/schemas/Agent/x-halo-key", Some(json!(["id", "id"]))),
        "/components/schemas/Agent/x-halo-key/1",
        "`id` is named twice in `x-halo-key`",
    );
}

#[test]
fn all_of_schema() {
    check(
        |s| set(s, "/components/schemas/Team", Some(json!({"allOf": [{"$ref": "#/components/schemas/Agent"}]}))),
        "/components/schemas/Team/allOf",
        "`allOf` is not supported here",
    );
}

#[test]
fn property_of_type_double() {
    check(
        |s| set(s, "/components/schemas/Team/properties/id/type", Some(json!("double"))),
        "/components/schemas/Team/properties/id/type",
        "`double` is not an OpenAPI type",
    );
}

#[test]
fn array_without_items() {
    check(
        |s| set(s, "/components/schemas/Agent/properties/teams/items", None),
        "/components/schemas/Agent/properties/teams",
        "array without `items`",
    );
}

#[test]
fn unsupported_http_method() {
    check(
        |s| {
            set(
                s,
                "/paths/~1Agent/head",
                Some(json!({"operationId": "h", "tags": ["Agents"], "responses": {"200": {"description": "ok"}}})),
            )
        },
        "/paths/~1Agent/head",
        "unsupported HTTP method `head`",
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let mut spec = base();
    set(&mut spec, "/paths/~1Agent/get/parameters/1/schema/type", Some(json!("int")));
    set(&mut spec, "/paths/~1Agent~1{id}/get/operationId", Some(json!("listAgents")));
    set(&mut spec, "/components/schemas/Agent/properties/teams/items/$ref", Some(json!("#/components/schemas/Teams")));
    let text = serde_json::to_string(&spec).unwrap();
    let errors = codegen::generate(&codegen::Input { spec: &text, spec_name: "s", changelog: None, imported: None })
        .unwrap_err();
    assert_eq!(errors.errors().len(), 3, "{errors}");
}

/// The four broken specs of the acceptance list fail through `xtask` too, and leave the output folder untouched.
#[test]
fn broken_specs_leave_the_output_untouched() {
    let dir = std::env::temp_dir().join(format!("halopsa-validation-{}", std::process::id()));
    let out = dir.join("out");
    std::fs::create_dir_all(out.join("src")).unwrap();
    std::fs::write(out.join("src/lib.rs"), "// sentinel\n").unwrap();
    std::fs::write(out.join("stale.txt"), "not produced by the generator\n").unwrap();
    let mut cases: Vec<(&str, String)> = Vec::new();
    let mut spec = base();
    set(&mut spec, "/components/schemas/Agent/properties/teams/items/$ref", Some(json!("#/components/schemas/Nope")));
    cases.push(("dangling $ref", serde_json::to_string(&spec).unwrap()));
    let mut spec = base();
    set(&mut spec, "/paths/~1Agent~1{id}/get/operationId", Some(json!("listAgents")));
    cases.push(("duplicate operationId", serde_json::to_string(&spec).unwrap()));
    let mut spec = base();
    set(&mut spec, "/paths/~1Agent/get/parameters/1/schema/type", Some(json!("int")));
    cases.push(("int", serde_json::to_string(&spec).unwrap()));
    let text = serde_json::to_string(&base()).unwrap();
    cases.push(("truncated", text[..text.len() - 40].to_owned()));
    for (name, text) in cases {
        let spec_path = dir.join("spec.json");
        std::fs::write(&spec_path, text).unwrap();
        let paths = xtask::codegen::Paths {
            spec: spec_path,
            imported: None,
            changelog: dir.join("none.md"),
            out: out.clone(),
            cli_out: None,
        };
        let error = xtask::codegen::write(&paths).expect_err(name).to_string();
        assert!(error.contains("spec.json"), "{name}: {error}");
        assert_eq!(std::fs::read_to_string(out.join("src/lib.rs")).unwrap(), "// sentinel\n", "{name}");
        assert!(out.join("stale.txt").exists(), "{name}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2, "{name}");
    }
    // The same spec, valid, writes the crate and removes what it does not produce.
    std::fs::write(dir.join("spec.json"), serde_json::to_string(&base()).unwrap()).unwrap();
    let paths = xtask::codegen::Paths {
        spec: dir.join("spec.json"),
        imported: None,
        changelog: dir.join("none.md"),
        out: out.clone(),
        cli_out: None,
    };
    xtask::codegen::write(&paths).unwrap();
    assert!(!out.join("stale.txt").exists());
    assert!(xtask::codegen::check(&paths).unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn string_enum_of_a_query_parameter_with_numbers() {
    check(
        |s| set(s, "/paths/~1Agent/get/parameters/0/schema", Some(json!({"type": "string", "enum": ["a", 1, 2]}))),
        "/paths/~1Agent/get/parameters/0/schema/enum/1",
        "`enum` of query parameter `search` has the value `1`, which is not of its type `string`",
    );
}

#[test]
fn integer_enum_schema_with_strings() {
    check(
        |s| set(s, "/components/schemas/Level", Some(json!({"type": "integer", "enum": [1, "two"]}))),
        "/components/schemas/Level/enum/1",
        "`enum` of the schema has the value `\"two\"`, which is not of its type `integer`",
    );
}

#[test]
fn enum_varnames_of_the_wrong_length() {
    check(
        |s| {
            let level = json!({"type": "integer", "enum": [1, 2, 3], "x-enum-varnames": ["Low", "High"]});
            set(s, "/components/schemas/Level", Some(level))
        },
        "/components/schemas/Level/x-enum-varnames",
        "`x-enum-varnames` has 2 entries, `enum` has 3 values",
    );
}

#[test]
fn enum_varname_that_is_not_an_identifier() {
    check(
        |s| {
            let level = json!({"type": "integer", "enum": [1, 2], "x-enum-varnames": ["Low", "2nd"]});
            set(s, "/components/schemas/Level", Some(level))
        },
        "/components/schemas/Level/x-enum-varnames/1",
        "`2nd` is not a valid variant name",
    );
}

#[test]
fn enum_varnames_that_collide() {
    check(
        |s| {
            let level = json!({"type": "integer", "enum": [1, 2], "x-enum-varnames": ["Low", "low"]});
            set(s, "/components/schemas/Level", Some(level))
        },
        "/components/schemas/Level/x-enum-varnames/1",
        "variant name `low` repeats entry 0",
    );
}

#[test]
fn enum_descriptions_on_a_query_parameter_that_are_not_strings() {
    check(
        |s| {
            let schema = json!({"type": "string", "enum": ["a", "b"], "x-enum-descriptions": ["A", 2]});
            set(s, "/paths/~1Agent/get/parameters/0/schema", Some(schema))
        },
        "/paths/~1Agent/get/parameters/0/schema/x-enum-descriptions",
        "`x-enum-descriptions` must be an array of strings",
    );
}

/// Security requirements: alternatives of one declared scheme and at most one declared scope each.
#[test]
fn security_requirements() {
    let scheme = json!({"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/auth/token", "scopes": {
        "all": "everything", "read:agents": "read agents"
    }}}});
    let with_scheme = |s: &mut Value| set(s, "/components/securitySchemes", Some(json!({"halo": scheme.clone()})));
    let at = "/paths/~1Agent/get/security";
    check(
        |s| set(s, at, Some(json!([{"halo": ["all"]}, {"other": []}]))),
        &format!("{at}/1/other"),
        "security scheme `other` is not declared",
    );
    check(
        |s| {
            with_scheme(s);
            set(s, at, Some(json!([{"halo": ["read:agents", "all"]}])));
        },
        &format!("{at}/0/halo"),
        "a security requirement asks for 2 scopes together; the generator supports one",
    );
    check(
        |s| {
            with_scheme(s);
            set(s, at, Some(json!([{"halo": ["read:agent"]}])));
        },
        &format!("{at}/0/halo/0"),
        "scope `read:agent` is not declared by the security scheme `halo`",
    );
    check(
        |s| {
            with_scheme(s);
            set(s, "/security", Some(json!([{"halo": ["all"], "other": []}])));
        },
        "/security/0",
        "a security requirement names 2 schemes; the generator supports exactly one",
    );
}

#[test]
fn default_feature_flag_that_is_not_a_boolean() {
    check(|s| set(s, "/tags/0/x-halo-default", Some(json!("no"))), "/tags/0/x-halo-default", "must be true or false");
}

/// `x-halo-feature-groups`: a named, described list of the tags operations use, under a name no other feature has.
#[test]
fn feature_groups() {
    let group = |name: &str, tags: Value| json!([{"name": name, "description": "d", "tags": tags}]);
    check(|s| set(s, "/x-halo-feature-groups", Some(json!({}))), "/x-halo-feature-groups", "must be an array");
    for (name, message) in [
        ("Sales", "needs a lowercase `name`"),
        ("", "needs a lowercase `name`"),
        ("agents", "has the name of another cargo feature"),
        ("full", "has the name of another cargo feature"),
        ("rustls-ring", "has the name of another cargo feature"),
    ] {
        check(
            |s| set(s, "/x-halo-feature-groups", Some(group(name, json!(["Agents"])))),
            "/x-halo-feature-groups/0/name",
            message,
        );
    }
    check(
        |s| set(s, "/x-halo-feature-groups", Some(group("people", json!(["Agents", "Nobody"])))),
        "/x-halo-feature-groups/0/tags/1",
        "\"Nobody\" is not the tag of any operation",
    );
    check(
        |s| set(s, "/x-halo-feature-groups", Some(group("people", json!([])))),
        "/x-halo-feature-groups/0/tags",
        "needs a non-empty `tags` array",
    );
    check(
        |s| set(s, "/x-halo-feature-groups", Some(json!([{"name": "people", "tags": ["Agents"]}]))),
        "/x-halo-feature-groups/0/description",
        "needs a `description`",
    );
    check(
        |s| {
            let twice = json!([{"name": "people", "description": "d", "tags": ["Agents"]},
                               {"name": "people", "description": "d", "tags": ["Agents"]}]);
            set(s, "/x-halo-feature-groups", Some(twice))
        },
        "/x-halo-feature-groups/1/name",
        "feature group `people` is also group 0",
    );
    let mut valid = base();
    set(&mut valid, "/x-halo-feature-groups", Some(group("people", json!(["Agents"]))));
    set(&mut valid, "/tags/0/x-halo-default", Some(json!(false)));
    let text = serde_json::to_string(&valid).unwrap();
    codegen::generate(&codegen::Input { spec: &text, spec_name: "spec.json", changelog: None, imported: None })
        .unwrap();
}

#[test]
fn idempotent_when_items_have_a_property_they_do_not_have() {
    check(
        |s| set(s, "/paths/~1Agent/post/x-halo-idempotent", Some(json!({"when_items_have": "_loadreportonly"}))),
        "/paths/~1Agent/post/x-halo-idempotent",
        "the items of the body (`Agent`) have no boolean property `_loadreportonly`",
    );
    check(
        |s| set(s, "/paths/~1Agent/get/x-halo-idempotent", Some(json!({"when_items_have": "isdisabled"}))),
        "/paths/~1Agent/get/x-halo-idempotent",
        "`when_items_have` needs a body that is an array of a named schema",
    );
    check(
        |s| set(s, "/paths/~1Agent/post/x-halo-idempotent", Some(json!({"when": "isdisabled"}))),
        "/paths/~1Agent/post/x-halo-idempotent",
        "must be true or false, or `{\"when_items_have\": \"<property>\"}`",
    );
}

/// `x-halo-imported` on a tag: a boolean, and an imported resource is never in `default`; feature groups are curated.
#[test]
fn imported_tags() {
    check(
        |s| set(s, "/tags/0/x-halo-imported", Some(json!("yes"))),
        "/tags/0/x-halo-imported",
        "must be true or false",
    );
    check(
        |s| {
            set(s, "/tags/0/x-halo-imported", Some(json!(true)));
            set(s, "/tags/0/x-halo-default", Some(json!(true)))
        },
        "/tags/0/x-halo-default",
        "the imported resource `Agents` cannot be in `default`",
    );
    let group = |name: &str| json!([{"name": name, "description": "d", "tags": ["Agents"]}]);
    check(
        |s| set(s, "/x-halo-feature-groups", Some(group("unstable-people"))),
        "/x-halo-feature-groups/0/name",
        "has the name of another cargo feature",
    );
    check(
        |s| set(s, "/x-halo-feature-groups", Some(group("unstable-imported"))),
        "/x-halo-feature-groups/0/name",
        "has the name of another cargo feature",
    );
    check(
        |s| {
            set(s, "/tags/0/x-halo-imported", Some(json!(true)));
            set(s, "/x-halo-feature-groups", Some(group("people")))
        },
        "/x-halo-feature-groups/0/tags/0",
        "\"Agents\" is an imported resource",
    );
}

/// A small valid imported tier for `base()`: one marked resource whose model refers to the curated `Agent`.
fn tier() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "tier", "version": "1"},
        "tags": [{"name": "Gadgets", "x-halo-imported": true}],
        "paths": {
            "/Gadget/{id}": {
                "get": {
                    "operationId": "getGadget", "tags": ["Gadgets"],
                    "parameters": [
                        {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                        {"name": "deep", "in": "query", "schema": {"type": "boolean"}}
                    ],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Gadget"}}}}}
                }
            }
        },
        "components": {"schemas": {
            "Gadget": {"type": "object", "properties": {"id": {"type": "integer"}, "owner": {"$ref": "#/components/schemas/Agent"}}}
        }}
    })
}

fn generate_with_tier(tier: &Value) -> Result<Vec<codegen::GeneratedFile>, codegen::Diagnostics> {
    let (spec, tier) = (serde_json::to_string(&base()).unwrap(), serde_json::to_string_pretty(tier).unwrap());
    let imported = Some(codegen::Imported { spec: &tier, name: "tier.json" });
    codegen::generate(&codegen::Input { spec: &spec, spec_name: "spec.json", changelog: None, imported })
}

/// The imported tier is merged into the spec before validation: it must be disjoint from the spec, marked, and
/// schemas-only in its components; its errors, its validation errors included, name it and point into it.
#[test]
fn imported_tier_document() {
    let files = generate_with_tier(&tier()).unwrap_or_else(|errors| panic!("{errors}"));
    let manifest = &files.iter().find(|f| f.path == "Cargo.toml").unwrap().contents;
    assert!(manifest.contains("\nunstable-gadgets = [\"agents\"]\n"), "{manifest}");
    let check_tier = |change: &dyn Fn(&mut Value), pointer: &str, message: &str| {
        let mut tier = tier();
        change(&mut tier);
        let errors = generate_with_tier(&tier).expect_err("the tier must be rejected");
        let found: Vec<String> = errors.errors().iter().map(|e| e.to_string()).collect();
        assert!(
            errors
                .errors()
                .iter()
                .any(|e| e.file.as_deref() == Some("tier.json") && e.pointer == pointer && e.message.contains(message)),
            "expected `{message}` at tier.json#{pointer}, got:\n{}",
            found.join("\n")
        );
    };
    check_tier(&|t| set(t, "/tags/0/x-halo-imported", None), "/tags/0/x-halo-imported", "does not say");
    check_tier(
        &|t| set(t, "/tags/0", Some(json!({"name": "Agents", "x-halo-imported": true}))),
        "/tags/0/name",
        "`Agents` is a tag of the curated spec too",
    );
    check_tier(
        &|t| {
            let op = t["paths"]["/Gadget/{id}"]["get"].clone();
            set(t, "/paths/~1Agent~1{id}", Some(json!({"get": op})))
        },
        "/paths/~1Agent~1{id}/get",
        "the curated spec has `GET /Agent/{id}` too",
    );
    check_tier(
        &|t| set(t, "/components/schemas/Agent", Some(json!({"type": "object"}))),
        "/components/schemas/Agent",
        "the curated spec has a schema `Agent` too",
    );
    check_tier(
        &|t| {
            set(
                t,
                "/components/parameters",
                Some(json!({"p": {"name": "p", "in": "query", "schema": {"type": "string"}}})),
            )
        },
        "/components/parameters",
        "the imported tier's components are schemas only",
    );
    check_tier(
        &|t| set(t, "/x-halo-feature-groups", Some(json!([]))),
        "/x-halo-feature-groups",
        "the imported tier cannot have feature groups",
    );
    // A validation error of the merged spec in one of the tier's operations or schemas points into the tier.
    check_tier(
        &|t| set(t, "/paths/~1Gadget~1{id}/get/parameters/1/schema/type", Some(json!("int"))),
        "/paths/~1Gadget~1{id}/get/parameters/1/schema/type",
        "",
    );
    check_tier(
        &|t| set(t, "/components/schemas/Gadget/properties/owner/$ref", Some(json!("#/components/schemas/Nobody"))),
        "/components/schemas/Gadget/properties/owner/$ref",
        "",
    );
    // Not JSON at all.
    let spec = serde_json::to_string(&base()).unwrap();
    let imported = Some(codegen::Imported { spec: "{", name: "tier.json" });
    let errors = codegen::generate(&codegen::Input { spec: &spec, spec_name: "spec.json", changelog: None, imported })
        .expect_err("a truncated tier");
    assert!(errors.to_string().contains("error: tier.json#/: the spec ends too early"), "{errors}");
}
