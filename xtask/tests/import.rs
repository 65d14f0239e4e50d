//! Integration tests of `cargo xtask import` on fixture specs (`tests/fixtures/README.md` says where each came from).

use std::collections::BTreeSet;
use std::path::PathBuf;

use xtask::import::{self, Kind, Options, Outcome};
use xtask::openapi_json::{self, Json, Object};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(name: &str) -> String {
    let path = fixtures().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn agents() -> Options {
    Options { resources: vec!["Agents".to_owned()], all: false }
}

fn all() -> Options {
    Options { resources: Vec::new(), all: true }
}

fn run(curated: Option<&str>, swagger: &str, options: &Options) -> Outcome {
    import::import(curated, swagger, options).expect("import succeeds")
}

fn parse(text: &str) -> Json {
    openapi_json::parse(text).expect("valid JSON")
}

fn pointer<'a>(spec: &'a Json, pointer: &str) -> &'a Json {
    spec.pointer(pointer).unwrap_or_else(|| panic!("{pointer} is missing"))
}

fn op<'a>(spec: &'a Json, path: &str, method: &str) -> &'a Json {
    pointer(spec, &format!("/paths/{}/{method}", path.replace('/', "~1")))
}

fn param_names(op: &Json) -> Vec<String> {
    op.get("parameters")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|p| p.get("name").and_then(Json::as_str).expect("named").to_owned())
        .collect()
}

fn param<'a>(op: &'a Json, name: &str) -> &'a Json {
    let params = op.get("parameters").and_then(Json::as_array).expect("has parameters");
    params.iter().find(|p| p.get("name").and_then(Json::as_str) == Some(name)).unwrap_or_else(|| panic!("no `{name}`"))
}

fn label(schema: &Json) -> String {
    openapi_json::type_label(schema)
}

/// The acceptance scenario's first step: Agents imported from the trimmed 2025-03 swagger into a small curated spec.
/// `XTASK_UPDATE_FIXTURES=1` rewrites the golden file (review the diff before committing it).
#[test]
fn importing_agents_into_a_small_spec_matches_the_golden_file() {
    let outcome = run(Some(&fixture("curated-base.json")), &fixture("halo-2025-03-agent.json"), &agents());
    let golden = fixtures().join("agents-2025-03.json");
    if std::env::var_os("XTASK_UPDATE_FIXTURES").is_some() {
        std::fs::write(&golden, &outcome.spec).unwrap();
    }
    assert_eq!(outcome.spec, fixture("agents-2025-03.json"), "agents-2025-03.json is stale (XTASK_UPDATE_FIXTURES=1)");
    assert!(outcome.changed);
    assert_eq!(outcome.report.count(Kind::AddedResource), 1);
    assert_eq!(outcome.report.count(Kind::AddedOperation), 6);
}

#[test]
fn the_2025_03_agents_follow_the_conventions() {
    let spec = parse(&fixture("agents-2025-03.json"));
    let list = op(&spec, "/Agent", "get");
    assert_eq!(param_names(list).len(), 40, "GET /Agent has 40 parameters in the 2025-03 swagger");
    assert_eq!(pointer(list, "/operationId"), &Json::from("listAgents"));
    assert_eq!(pointer(list, "/x-halo-method"), &Json::from("list"));
    assert_eq!(pointer(list, "/tags"), &Json::Array(vec!["Agents".into()]));
    let one_of = pointer(list, "/responses/200/content/application~1json/schema/oneOf");
    assert_eq!(label(one_of.as_array().unwrap().last().unwrap()), "array of Uname_List");
    let wrapper = pointer(&spec, "/components/schemas/Uname_View");
    assert_eq!(pointer(wrapper, "/x-halo-list-key"), &Json::from("agents"));
    let upsert = op(&spec, "/Agent", "post");
    assert_eq!(pointer(upsert, "/x-halo-upsert/id"), &Json::from("id"));
    assert_eq!(label(pointer(upsert, "/requestBody/content/application~1json/schema")), "array of Uname");
    assert_eq!(pointer(op(&spec, "/Agent/me", "get"), "/x-halo-method"), &Json::from("me"));
    assert_eq!(pointer(op(&spec, "/Agent/ClearCache", "post"), "/x-halo-method"), &Json::from("clear_cache"));
    // A resource the import adds is off by default: the default build does not change until its curator decides.
    assert_eq!(
        pointer(&spec, "/tags/1"),
        &Json::from(Object::new().with("name", "Agents").with("x-halo-name", "Uname").with("x-halo-default", false))
    );
    assert_eq!(pointer(&spec, "/components/schemas/Uname/x-halo-name"), &Json::from("Uname"));
    // The curated part is untouched.
    let base = parse(&fixture("curated-base.json"));
    assert_eq!(op(&spec, "/Status", "get"), op(&base, "/Status", "get"));
    assert_eq!(pointer(&spec, "/components/schemas/Status"), pointer(&base, "/components/schemas/Status"));
}

#[test]
fn reimporting_the_same_swagger_changes_nothing_byte_for_byte() {
    let curated = fixture("curated-2025-03.json");
    for options in [agents(), Options::default()] {
        let outcome = run(Some(&curated), &fixture("halo-2025-03-agent.json"), &options);
        assert!(!outcome.changed, "{options:?}:\n{}", outcome.report);
        assert_eq!(outcome.spec, curated);
        assert_eq!(outcome.report.count(Kind::AddedParameter) + outcome.report.count(Kind::AddedProperty), 0);
        assert!(outcome.report.has(Kind::Kept, "type of `includedisabled` on GET /Agent: boolean (upstream: string)"));
        assert!(outcome.report.has(Kind::Kept, "model name `Agent` (Halo `Uname`)"));
    }
}

#[test]
fn fixtures_round_trip_through_the_json_printer() {
    // The importer's printer must reproduce a spec in this format exactly, or every import would rewrite the file.
    for name in ["curated-base.json", "agents-2025-03.json", "curated-2025-03.json", "halo-2025-03-agent.json"] {
        let text = fixture(name);
        assert_eq!(openapi_json::to_pretty(&parse(&text)), text, "{name} does not round-trip");
    }
}

/// The acceptance scenario: the 2025-09 GET /Agent brings 17 parameters and changes nothing else.
#[test]
fn importing_2025_09_adds_the_17_new_agent_parameters_and_keeps_every_curated_decision() {
    let curated_text = fixture("curated-2025-03.json");
    let curated = parse(&curated_text);
    for options in [agents(), Options::default()] {
        let outcome = run(Some(&curated_text), &fixture("halo-2025-09-agent-excerpt.json"), &options);
        let spec = parse(&outcome.spec);
        let list = op(&spec, "/Agent", "get");
        let names = param_names(list);
        assert_eq!(names.len(), 57);
        let excerpt = parse(&fixture("halo-2025-09-agent-excerpt.json"));
        let mut expected = param_names(op(&excerpt, "/Agent", "get"));
        let mut sorted = names.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(sorted, expected);
        let added: Vec<&str> = outcome.report.texts(Kind::AddedParameter);
        assert_eq!(added.len(), 17, "{}", outcome.report);
        assert_eq!(outcome.report.count(Kind::AddedOperation) + outcome.report.count(Kind::AddedProperty), 0);

        // Curated decisions survive: corrected type, improved description, names, operationIds, extensions.
        assert_eq!(label(pointer(param(list, "includedisabled"), "/schema")), "boolean");
        assert_eq!(
            pointer(param(list, "includedisabled"), "/description"),
            &Json::from("Include disabled (inactive) agents; independent of `includeapiagents`.")
        );
        assert_eq!(label(pointer(param(list, "client_id"), "/schema")), "integer (int32)");
        assert!(outcome.report.has(Kind::Kept, "type of `includedisabled` on GET /Agent: boolean (upstream: string)"));
        assert_eq!(pointer(op(&spec, "/Agent/me", "get"), "/operationId"), &Json::from("getCurrentAgent"));
        assert_eq!(
            pointer(op(&spec, "/Agent", "post"), "/x-halo-upsert"),
            pointer(&curated, "/paths/~1Agent/post/x-halo-upsert")
        );
        assert_eq!(pointer(&spec, "/components/schemas/AgentList"), pointer(&curated, "/components/schemas/AgentList"));

        // Nothing else changed: without the 17 new parameters the spec is the curated one, byte for byte.
        let mut without = spec.clone();
        let get = without
            .as_object_mut()
            .and_then(|s| s.object_mut("paths"))
            .and_then(|p| p.object_mut("/Agent"))
            .and_then(|p| p.object_mut("get"))
            .unwrap();
        let Some(Json::Array(params)) = get.get_mut("parameters") else { panic!("parameters") };
        params.retain(|p| {
            !added.iter().any(|a| a.starts_with(&format!("`{}`", p.get("name").unwrap().as_str().unwrap())))
        });
        assert_eq!(openapi_json::to_pretty(&without), curated_text);

        // What the excerpt does not list is reported, and kept (checked above by the byte comparison).
        assert!(outcome.report.has(Kind::Missing, "operation POST /Agent (`upsertAgents`)"));
        assert!(outcome.report.has(Kind::Missing, "operation GET /Agent/me (`getCurrentAgent`)"));
        assert!(outcome.report.has(Kind::Note, "upstream lists no schemas"));
    }
}

const CURATED_AGENTS: &str = r##"{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "tags": [{"name": "Agents", "x-halo-name": "Uname"}],
  "paths": {
    "/Agent": {
      "get": {
        "operationId": "listAgents",
        "x-halo-method": "list",
        "tags": ["Agents"],
        "summary": "List agents",
        "parameters": [
          {"name": "includedisabled", "in": "query", "schema": {"type": "boolean"}, "description": "Include disabled agents (curated)."},
          {"name": "legacy_flag", "in": "query", "schema": {"type": "boolean"}}
        ],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}}}}}
      }
    },
    "/Agent/legacy": {
      "get": {"operationId": "legacyAgents", "tags": ["Agents"], "summary": "Gone upstream", "responses": {"200": {"description": "OK"}}}
    }
  },
  "components": {
    "schemas": {
      "Agent": {
        "type": "object",
        "x-halo-name": "Uname",
        "description": "An agent (curated).",
        "properties": {
          "id": {"type": "integer", "format": "int32"},
          "ticket_count": {"type": "integer", "format": "int64", "nullable": true, "description": "Open tickets (curated)."},
          "old_field": {"type": "string", "nullable": true}
        }
      },
      "Gone": {"type": "object", "x-halo-name": "GoneUpstream", "properties": {"id": {"type": "integer", "format": "int32"}}}
    }
  }
}
"##;

const UPSTREAM_AGENTS: &str = r##"{
  "openapi": "3.0.1",
  "info": {"title": "Halo API", "version": "v2"},
  "paths": {
    "/agent": {
      "get": {
        "tags": ["Uname"],
        "summary": "List of Uname",
        "parameters": [
          {"name": "includedisabled", "in": "query", "description": "(bool) Include Agents that are inactive.", "schema": {"type": "string"}},
          {"name": "search", "in": "query", "description": "(string) Filter by name.", "schema": {"type": "string"}}
        ],
        "responses": {"200": {"description": "OK"}}
      }
    }
  },
  "components": {
    "schemas": {
      "Uname": {
        "type": "object",
        "description": "Uname <b>upstream</b>",
        "properties": {
          "id": {"type": "integer", "format": "int32"},
          "ticket_count": {"type": "integer", "format": "int32", "nullable": true, "description": "upstream"},
          "email": {"type": "string", "nullable": true}
        },
        "additionalProperties": false
      }
    }
  }
}
"##;

#[test]
fn a_curated_type_description_and_name_are_never_overwritten() {
    let outcome = run(Some(CURATED_AGENTS), UPSTREAM_AGENTS, &Options::default());
    let spec = parse(&outcome.spec);
    let list = op(&spec, "/Agent", "get");
    // Parameter: type and description kept; the new parameter gets upstream's description.
    assert_eq!(label(pointer(param(list, "includedisabled"), "/schema")), "boolean");
    assert_eq!(
        pointer(param(list, "includedisabled"), "/description"),
        &Json::from("Include disabled agents (curated).")
    );
    assert_eq!(pointer(param(list, "search"), "/description"), &Json::from("(string) Filter by name."));
    assert_eq!(pointer(list, "/summary"), &Json::from("List agents"));
    // Schema: the curated name stays (no `Uname` appears), so do its property types and descriptions.
    let schemas = pointer(&spec, "/components/schemas").as_object().unwrap();
    assert!(!schemas.contains_key("Uname"));
    let agent = pointer(&spec, "/components/schemas/Agent");
    assert_eq!(pointer(agent, "/description"), &Json::from("An agent (curated)."));
    assert_eq!(label(pointer(agent, "/properties/ticket_count")), "integer (int64), nullable");
    assert_eq!(pointer(agent, "/properties/ticket_count/description"), &Json::from("Open tickets (curated)."));
    assert_eq!(label(pointer(agent, "/properties/email")), "string, nullable");
    assert!(agent.get("additionalProperties").is_none());
    // Each kept decision is reported once.
    let kept = outcome.report.texts(Kind::Kept);
    for expected in [
        "type of `includedisabled` on GET /Agent: boolean (upstream: string)",
        "description of `includedisabled` on GET /Agent",
        "model name `Agent` (Halo `Uname`)",
        "type of `Agent.ticket_count`: integer (int64), nullable (upstream: integer (int32), nullable)",
        "resource name `Agents` (Halo tag `Uname`)",
    ] {
        assert_eq!(kept.iter().filter(|k| **k == expected).count(), 1, "{expected} in {kept:#?}");
    }
    assert!(outcome.report.has(Kind::AddedParameter, "`search` (string) on GET /Agent"));
    assert!(outcome.report.has(Kind::AddedProperty, "`Agent.email` (string, nullable)"));
}

#[test]
fn what_upstream_no_longer_lists_is_reported_and_kept() {
    let outcome = run(Some(CURATED_AGENTS), UPSTREAM_AGENTS, &Options::default());
    let spec = parse(&outcome.spec);
    assert_eq!(param_names(op(&spec, "/Agent", "get")), ["includedisabled", "search", "legacy_flag"]);
    assert_eq!(pointer(op(&spec, "/Agent/legacy", "get"), "/operationId"), &Json::from("legacyAgents"));
    assert!(pointer(&spec, "/components/schemas/Agent/properties/old_field").as_object().is_some());
    assert!(pointer(&spec, "/components/schemas/Gone").as_object().is_some());
    let missing = outcome.report.texts(Kind::Missing);
    assert_eq!(
        missing,
        [
            "query parameter `legacy_flag` on GET /Agent",
            "operation GET /Agent/legacy (`legacyAgents`)",
            "property `Agent.old_field`",
            "model `Gone` (Halo `GoneUpstream`)",
        ]
    );
    assert!(outcome.report.to_string().contains("no longer in upstream: operation GET /Agent/legacy"));
}

#[test]
fn resource_names_a_new_resource_by_path_segment_or_halo_tag() {
    let swagger = fixture("halo-2025-03-agent.json");
    for name in ["Agents", "Agent", "Uname", "agent"] {
        let options = Options { resources: vec![name.to_owned()], all: false };
        let outcome = run(Some(&fixture("curated-base.json")), &swagger, &options);
        let spec = parse(&outcome.spec);
        assert_eq!(pointer(&spec, "/tags/1/name"), &Json::from(name));
        assert_eq!(pointer(&spec, "/tags/1/x-halo-name"), &Json::from("Uname"));
    }
    let error = import::import(None, &swagger, &Options { resources: vec!["Tickets".to_owned()], all: false });
    let message = error.unwrap_err().to_string();
    assert!(message.starts_with("no resource `Tickets`") && message.contains("hint:"), "{message}");
}

/// A swagger with one of each of Halo's defects (HALO-NOTES §1.4).
const DEFECTS: &str = r##"{
  "openapi": "3.0.1",
  "info": {"title": "Halo API", "version": "v2"},
  "servers": [{"url": "/api"}],
  "paths": {
    "/Gadget": {
      "get": {"tags": ["Gadget"], "operationId": "getWidget", "responses": {"200": {"description": "OK"}}}
    },
    "/Widget": {
      "get": {
        "tags": ["WidgetThing"],
        "summary": "List of WidgetThing",
        "description": "Use this to return multiple WidgetThing.<br>\r\n\t\t\t\tRequires <b>authentication</b> &amp; a token.",
        "parameters": [
          {"name": "count", "in": "query", "description": "(int) How many.", "schema": {"type": "int"}},
          {"name": "active", "in": "query", "schema": {"type": "bool"}},
          {"name": "ids", "in": "query", "schema": {"type": "List<int>"}},
          {"name": "start_date", "in": "query", "schema": {"type": "DateTime"}},
          {"name": "lookup_value", "in": "query", "schema": {"type": "obj"}},
          {"name": "openedafter", "in": "query", "description": "(bool) No schema at all."},
          {"name": "rate", "in": "query", "schema": {"type": "double"}},
          {"name": "count", "in": "query", "description": "the duplicate", "schema": {"type": "string"}}
        ],
        "responses": {"200": {"description": "OK"}}
      },
      "post": {
        "tags": ["WidgetThing"],
        "requestBody": {
          "content": {
            "application/json-patch+json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/WidgetThing"}}},
            "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/WidgetThing"}}},
            "text/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/WidgetThing"}}},
            "application/*+json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/WidgetThing"}}}
          }
        },
        "responses": {"200": {"description": "OK"}}
      }
    },
    "/Widget/{id}": {
      "get": {"tags": ["WidgetThing"], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int32"}}], "responses": {"200": {"description": "OK"}}},
      "delete": {"tags": ["WidgetThing"], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int32"}}], "responses": {"200": {"description": "OK"}}}
    },
    "/Widget/{id}/Copy": {
      "post": {"tags": ["WidgetThing"], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int32"}}], "responses": {"200": {"description": "OK"}}}
    },
    "/Widget/upload": {
      "post": {
        "tags": ["WidgetThing"],
        "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}},
        "responses": {"200": {"description": "OK"}}
      }
    }
  },
  "components": {
    "schemas": {
      "WidgetThing": {
        "type": "object",
        "properties": {
          "id": {"type": "integer", "format": "int32"},
          "name": {"type": "string", "nullable": true, "description": "The <b>name</b> &amp; title."},
          "extra": {"type": "object", "additionalProperties": {"type": "string", "nullable": true}, "nullable": true},
          "child": {"$ref": "#/components/schemas/WidgetChild"}
        },
        "additionalProperties": false
      },
      "WidgetChild": {
        "type": "object",
        "properties": {"parent": {"$ref": "#/components/schemas/WidgetThing"}, "inner": {"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": false}},
        "additionalProperties": false
      }
    }
  }
}
"##;

fn defects() -> (Json, Outcome) {
    let outcome = run(None, DEFECTS, &all());
    (parse(&outcome.spec), outcome)
}

fn widget_param_schema(spec: &Json, name: &str) -> String {
    label(pointer(param(op(spec, "/Widget", "get"), name), "/schema"))
}

#[test]
fn normalizes_int_to_integer_int32() {
    let (spec, outcome) = defects();
    assert_eq!(widget_param_schema(&spec, "count"), "integer (int32)");
    assert!(outcome.report.has(Kind::Normalized, "`int` → integer (int32): GET /Widget count"));
}

#[test]
fn normalizes_bool_and_double() {
    let (spec, outcome) = defects();
    assert_eq!(widget_param_schema(&spec, "active"), "boolean");
    assert_eq!(widget_param_schema(&spec, "rate"), "number (double)");
    assert!(outcome.report.has(Kind::Normalized, "`bool` → boolean: GET /Widget active"));
}

#[test]
fn normalizes_list_of_int_to_a_comma_separated_array() {
    let (spec, _) = defects();
    assert_eq!(widget_param_schema(&spec, "ids"), "array of integer (int32)");
    assert_eq!(pointer(param(op(&spec, "/Widget", "get"), "ids"), "/explode"), &Json::Bool(false));
}

#[test]
fn normalizes_datetime_to_string_date_time() {
    let (spec, _) = defects();
    assert_eq!(widget_param_schema(&spec, "start_date"), "string (date-time)");
}

#[test]
fn normalizes_obj_and_a_missing_schema_to_string() {
    // A query value is text on the wire; the generator needs a type for every parameter.
    let (spec, outcome) = defects();
    assert_eq!(widget_param_schema(&spec, "lookup_value"), "string");
    assert_eq!(widget_param_schema(&spec, "openedafter"), "string");
    assert!(outcome.report.has(Kind::Normalized, "parameter without a schema → string: GET /Widget openedafter"));
}

#[test]
fn drops_duplicate_parameters_keeping_the_first() {
    let (spec, outcome) = defects();
    let list = op(&spec, "/Widget", "get");
    assert_eq!(param_names(list).iter().filter(|n| *n == "count").count(), 1);
    assert_eq!(pointer(param(list, "count"), "/description"), &Json::from("(int) How many."));
    assert!(outcome.report.has(Kind::Normalized, "duplicate parameter dropped (the first kept): GET /Widget count"));
}

#[test]
fn strips_additional_properties_false_only() {
    let (spec, outcome) = defects();
    let mut found = Vec::new();
    walk(&spec, "", &mut |at, value| {
        if value.get("additionalProperties") == Some(&Json::Bool(false)) {
            found.push(at.to_owned());
        }
    });
    assert!(found.is_empty(), "{found:?}");
    // A map-valued `additionalProperties` is real information and stays.
    let extra = pointer(&spec, "/components/schemas/WidgetThing/properties/extra");
    assert_eq!(label(extra), "map of string, nullable, nullable");
    assert!(outcome.report.has(Kind::Normalized, "`additionalProperties: false` stripped: model `WidgetThing`"));
}

#[test]
fn keeps_only_application_json_bodies() {
    let (spec, outcome) = defects();
    let content = pointer(op(&spec, "/Widget", "post"), "/requestBody/content").as_object().unwrap();
    assert_eq!(content.keys().collect::<Vec<_>>(), ["application/json"]);
    assert_eq!(pointer(op(&spec, "/Widget", "post"), "/requestBody/required"), &Json::Bool(true));
    assert!(outcome.report.has(Kind::Normalized, "body media types reduced to application/json: POST /Widget"));
}

#[test]
fn skips_multipart_bodies_with_a_report() {
    let (spec, outcome) = defects();
    assert!(spec.pointer("/paths/~1Widget~1upload").is_none());
    assert!(outcome.report.has(Kind::Skipped, "POST /Widget/upload: request body is multipart/form-data only"));
}

#[test]
fn synthesizes_unique_operation_ids_and_summaries() {
    let (spec, outcome) = defects();
    let id = |path: &str, method: &str| pointer(op(&spec, path, method), "/operationId").as_str().unwrap().to_owned();
    assert_eq!(id("/Gadget", "get"), "getWidget", "upstream's own operationId is kept");
    assert_eq!(id("/Widget", "get"), "listWidget");
    assert_eq!(id("/Widget", "post"), "upsertWidget");
    assert_eq!(id("/Widget/{id}", "get"), "getWidget2", "unique: `getWidget` is taken");
    assert_eq!(id("/Widget/{id}", "delete"), "deleteWidget");
    assert_eq!(id("/Widget/{id}/Copy", "post"), "postWidgetByIdCopy");
    assert_eq!(pointer(op(&spec, "/Widget/{id}/Copy", "post"), "/x-halo-method"), &Json::from("copy"));
    assert_eq!(pointer(op(&spec, "/Widget/{id}", "delete"), "/summary"), &Json::from("Delete one WidgetThing"));
    assert_eq!(pointer(op(&spec, "/Widget", "post"), "/x-halo-upsert/id"), &Json::from("id"));
    assert!(outcome.report.has(Kind::Normalized, "missing operationId synthesized: GET /Widget/{id} → getWidget2"));
}

#[test]
fn converts_html_descriptions_to_text() {
    let (spec, outcome) = defects();
    assert_eq!(
        pointer(op(&spec, "/Widget", "get"), "/description"),
        &Json::from("Use this to return multiple WidgetThing.\nRequires authentication & a token.")
    );
    assert_eq!(
        pointer(&spec, "/components/schemas/WidgetThing/properties/name/description"),
        &Json::from("The name & title.")
    );
    assert!(outcome.report.has(Kind::Normalized, "HTML description converted to text: GET /Widget"));
}

#[test]
fn recursive_references_are_kept() {
    let (spec, _) = defects();
    assert_eq!(label(pointer(&spec, "/components/schemas/WidgetThing/properties/child")), "WidgetChild");
    assert_eq!(label(pointer(&spec, "/components/schemas/WidgetChild/properties/parent")), "WidgetThing");
}

/// Calls `visit(pointer, value)` on every object below `value`.
fn walk(value: &Json, at: &str, visit: &mut dyn FnMut(&str, &Json)) {
    match value {
        Json::Object(object) => {
            visit(at, value);
            for (key, member) in object.iter() {
                walk(member, &format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")), visit);
            }
        }
        Json::Array(array) => {
            for (i, member) in array.iter().enumerate() {
                walk(member, &format!("{at}/{i}"), visit);
            }
        }
        _ => {}
    }
}

/// Checks the conventions ARCHITECTURE.md lists for a spec the generator reads; returns every violation.
fn convention_violations(spec: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let schemas = pointer(spec, "/components/schemas").as_object().unwrap();
    let tags: BTreeSet<&str> =
        pointer(spec, "/tags").as_array().unwrap().iter().filter_map(|t| t.get("name")?.as_str()).collect();
    let mut ids = BTreeSet::new();
    for (path, item) in pointer(spec, "/paths").as_object().unwrap().iter() {
        for (method, op) in item.as_object().unwrap().iter() {
            let at = format!("{} {path}", method.to_uppercase());
            match op.get("operationId").and_then(Json::as_str) {
                Some(id) if ids.insert(id.to_owned()) => {}
                other => problems.push(format!("{at}: operationId {other:?} missing or not unique")),
            }
            if op.get("summary").and_then(Json::as_str).is_none_or(str::is_empty) {
                problems.push(format!("{at}: no summary"));
            }
            match op.get("tags").and_then(Json::as_array).map(Vec::as_slice) {
                Some([tag]) if tag.as_str().is_some_and(|t| tags.contains(t)) => {}
                other => problems.push(format!("{at}: tags {other:?} are not one listed tag")),
            }
            for param in op.get("parameters").and_then(Json::as_array).into_iter().flatten() {
                let schema = param.get("schema").cloned().unwrap_or_default();
                let schema = match schema.get("$ref").and_then(Json::as_str) {
                    Some(reference) => schemas.get(reference.rsplit('/').next().unwrap()).cloned().unwrap_or_default(),
                    None => schema,
                };
                let typ = schema.get("type").and_then(Json::as_str);
                let in_path = param.get("in").and_then(Json::as_str) == Some("path");
                let ok = match typ {
                    Some("integer" | "number" | "boolean" | "string") => true,
                    Some("array") => {
                        !in_path
                            && param.get("explode") == Some(&Json::Bool(false))
                            && matches!(
                                schema.pointer("/items/type").and_then(Json::as_str),
                                Some("integer" | "string")
                            )
                    }
                    _ => false,
                };
                if !ok || (in_path && param.get("required") != Some(&Json::Bool(true))) {
                    problems.push(format!("{at}: parameter {}", openapi_json::to_pretty(param)));
                }
            }
            if let Some(content) = op.pointer("/requestBody/content").and_then(Json::as_object)
                && content.keys().collect::<Vec<_>>() != ["application/json"]
            {
                problems.push(format!("{at}: body media types {:?}", content.keys().collect::<Vec<_>>()));
            }
        }
    }
    walk(spec, "", &mut |at, value| {
        if let Some(reference) = value.get("$ref").and_then(Json::as_str)
            && !reference.strip_prefix("#/components/schemas/").is_some_and(|name| schemas.contains_key(name))
        {
            problems.push(format!("{at}: dangling $ref {reference}"));
        }
        if value.get("additionalProperties") == Some(&Json::Bool(false)) {
            problems.push(format!("{at}: additionalProperties: false"));
        }
    });
    problems
}

#[test]
fn the_defects_fixture_imports_into_a_spec_that_follows_the_conventions() {
    let (spec, _) = defects();
    assert_eq!(convention_violations(&spec), Vec::<String>::new());
}

fn upstream_2025_03() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/upstream/halo-swagger-2025-03.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `--all` on Halo's whole 2025-03 swagger (886 paths, 1,331 operations, 703 schemas). About a second in debug.
#[test]
fn all_imports_the_whole_2025_03_swagger_following_the_conventions() {
    let swagger = upstream_2025_03();
    let started = std::time::Instant::now();
    let outcome = run(None, &swagger, &all());
    let elapsed = started.elapsed();
    let spec = parse(&outcome.spec);
    assert_eq!(convention_violations(&spec), Vec::<String>::new());

    let paths = pointer(&spec, "/paths").as_object().unwrap();
    let operations: usize = paths.iter().map(|(_, item)| item.as_object().unwrap().len()).sum();
    let schemas = pointer(&spec, "/components/schemas").as_object().unwrap();
    let tags = pointer(&spec, "/tags").as_array().unwrap().len();
    println!(
        "--all: {} paths, {operations} operations, {} schemas, {tags} resources in {elapsed:.2?}",
        paths.len(),
        schemas.len()
    );
    // 7 operations have multipart bodies only (skipped, reported); `/Automation/{runbookId}` joins `/Automation/{id}`.
    assert_eq!(outcome.report.count(Kind::Skipped), 7);
    assert_eq!(operations, 1331 - 7);
    assert_eq!(tags, 332);
    // Nullable is kept (≈18,750 properties upstream), and so are recursive references (Device → Device).
    let mut nullable = 0;
    walk(&spec, "", &mut |_, value| nullable += usize::from(value.get("nullable") == Some(&Json::Bool(true))));
    assert!(nullable > 18_000, "{nullable} nullable schemas");
    let device = pointer(&spec, "/components/schemas/Device/properties").as_object().unwrap();
    assert!(device.iter().any(|(_, p)| label(p) == "array of Device, nullable"));
    // Known list keys give list responses; the Agent list is the conventional oneOf.
    let agent_list = pointer(op(&spec, "/Agent", "get"), "/responses/200/content/application~1json/schema/oneOf");
    assert_eq!(label(&agent_list.as_array().unwrap()[1]), "array of Uname_List");
    assert_eq!(pointer(&spec, "/components/schemas/Attachment_View/x-halo-list-key"), &Json::from("attachments"));
    // Re-running on its own output changes nothing.
    let again = run(Some(&outcome.spec), &swagger, &all());
    assert!(!again.changed, "{}", again.report);
}

#[test]
fn the_trimmed_fixture_is_a_faithful_copy_of_upstream() {
    let upstream = parse(&upstream_2025_03());
    let trimmed = parse(&fixture("halo-2025-03-agent.json"));
    for (path, item) in pointer(&trimmed, "/paths").as_object().unwrap().iter() {
        assert_eq!(Some(item), upstream.pointer(&format!("/paths/{}", path.replace('/', "~1"))), "{path}");
    }
    for (name, schema) in pointer(&trimmed, "/components/schemas").as_object().unwrap().iter() {
        assert_eq!(Some(schema), upstream.pointer(&format!("/components/schemas/{name}")), "{name}");
    }
}

fn curated_spec() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/halopsa.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// What the curated spec leaves out on purpose: its `x-halo-excluded` list (which must hold at least the four
/// identity operations it was introduced for).
fn excluded_routes() -> Vec<String> {
    let spec = parse(&curated_spec());
    let Some(Json::Array(entries)) = spec.get("x-halo-excluded") else { panic!("the spec has x-halo-excluded") };
    let routes: Vec<String> = entries
        .iter()
        .filter_map(|entry| entry.pointer("/operation").and_then(Json::as_str).map(str::to_owned))
        .collect();
    for route in ["GET /Client/me", "POST /Client/NewAccountsId", "POST /Client/PaymentMethodUpdate", "GET /Team/Tree"]
    {
        assert!(routes.iter().any(|r| r == route), "{route} is excluded");
    }
    routes
}

/// The curated spec is a fixed point of importing its own upstream copy (every resource it has, the default): the
/// operations it leaves out on purpose are listed in `x-halo-excluded` with a reason, and the import skips them.
#[test]
fn the_curated_spec_is_a_fixed_point_of_its_own_import() {
    let curated = curated_spec();
    let outcome = run(Some(&curated), &upstream_2025_03(), &Options::default());
    assert!(
        !outcome.changed,
        "importing spec/upstream/halo-swagger-2025-03.json changed the spec:\n{}",
        outcome.report
    );
    let skipped = outcome.report.texts(Kind::Skipped);
    for route in excluded_routes() {
        assert!(
            skipped.iter().any(|t| t.starts_with(&format!("{route}: excluded by the spec's `x-halo-excluded`"))),
            "{route} is skipped with its reason: {skipped:?}"
        );
    }
}

/// Without its exclusion list, the same import adds exactly those operations back.
#[test]
fn without_the_exclusion_list_the_import_adds_them_back() {
    let Json::Object(mut spec) = parse(&curated_spec()) else { panic!("the spec is an object") };
    assert!(spec.get("x-halo-excluded").is_some());
    spec.retain(|key, _| key != "x-halo-excluded");
    let outcome = run(Some(&openapi_json::to_pretty(&Json::Object(spec))), &upstream_2025_03(), &Options::default());
    assert!(outcome.changed);
    let added = outcome.report.texts(Kind::AddedOperation);
    let excluded = excluded_routes();
    assert_eq!(added.len(), excluded.len(), "{added:?}");
    for route in excluded {
        assert!(added.iter().any(|t| t.starts_with(&format!("{route} "))), "{route} added: {added:?}");
    }
}

/// A malformed exclusion entry is an error that shows how to write one.
#[test]
fn a_malformed_exclusion_is_a_clear_error() {
    let Json::Object(mut spec) = parse(&curated_spec()) else { panic!("the spec is an object") };
    spec.insert("x-halo-excluded", Json::Array(vec![Object::new().with("operation", "GET /Client/me").into()]));
    let error =
        import::import(Some(&openapi_json::to_pretty(&Json::Object(spec))), &upstream_2025_03(), &Options::default())
            .expect_err("an entry without a reason is refused");
    let message = error.to_string();
    assert!(
        message.contains("`x-halo-excluded/0` needs an `operation` (`METHOD /path`) and a non-empty `reason`"),
        "{message}"
    );
}
