//! `cargo xtask api-diff` agrees with `cargo-semver-checks` on what breaks the generated crate.
//!
//! For each fixture change of a small spec (added/removed property, enum value, operation, setter, model, resource;
//! changed types; a renamed model; spec changes that generate the same Rust; the generator's own naming decisions:
//! `_2` suffixes, raw identifiers, enum-typed query parameters), both sides of the change are generated into scratch
//! crates, `api-diff` classifies the spec change, and `cargo semver-checks` compares the two crates' public APIs.
//! They must agree.
//!
//! Two gaps are cargo-semver-checks' own, and each case that falls into one says so (`gap`): it compares no types (a
//! field or parameter whose type changes keeps its name, so every lint passes; obi1kenobi/cargo-semver-checks#149),
//! and it cannot know what a field means on the wire (a field whose name the collision rule gives to another
//! property compiles as before). For those cases `api-diff` must say breaking (Cargo's rules and the public-API
//! policy do) and cargo-semver-checks may say either.
//!
//! Ignored by default: it needs `cargo-semver-checks` (`.ci/install-tools` installs it) and builds two rustdoc JSON
//! documents per case. CI runs it: `cargo test -p xtask --test semver_agreement -- --ignored`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use xtask::api_diff::{self, Bump};

/// A small spec with every kind of item a change can touch: a list with setters (one an inline enum), a get, a model
/// with a nested model, an enum, a date and a name the collision rule matters for (`_signature` is `signature`), and
/// a list wrapper.
fn base() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Semver fixture", "version": "1"},
        "tags": [{"name": "Agents"}],
        "paths": {
            "/Agent": {
                "get": {
                    "operationId": "listAgents", "tags": ["Agents"], "summary": "List agents", "x-halo-method": "list",
                    "parameters": [
                        {"name": "search", "in": "query", "description": "Search.", "schema": {"type": "string"}},
                        {"name": "team_id", "in": "query", "description": "Team.", "schema": {"type": "integer", "format": "int32"}},
                        {"name": "domain", "in": "query", "description": "Area.", "schema": {"type": "string", "enum": ["reqs", "opps"]}}
                    ],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                        "oneOf": [{"$ref": "#/components/schemas/AgentList"}, {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}]
                    }}}}}
                }
            },
            "/Agent/{id}": {
                "get": {
                    "operationId": "getAgent", "tags": ["Agents"], "summary": "Get an agent", "x-halo-method": "get",
                    "parameters": [{"name": "id", "in": "path", "required": true, "description": "Id.", "schema": {"type": "integer", "format": "int32"}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agent"}}}}}
                }
            }
        },
        "components": {"schemas": {
            "Agent": {"type": "object", "x-halo-name": "Uname", "properties": {
                "id": {"type": "integer", "format": "int32"},
                "name": {"type": "string"},
                "email": {"type": "string"},
                "_signature": {"type": "string"},
                "lastonline": {"type": "string", "format": "date"},
                "status": {"$ref": "#/components/schemas/AgentStatus"},
                "team": {"$ref": "#/components/schemas/Team"}
            }},
            "AgentList": {"type": "object", "x-halo-list-key": "agents", "properties": {
                "record_count": {"type": "integer"},
                "agents": {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}
            }},
            "AgentStatus": {"type": "string", "enum": ["active", "inactive"]},
            "Team": {"type": "object", "x-halo-name": "SectionDetail", "properties": {
                "id": {"type": "integer", "format": "int32"},
                "name": {"type": "string"}
            }}
        }}
    })
}

fn at<'a>(spec: &'a mut Value, pointer: &str) -> &'a mut Value {
    spec.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} is not in the base spec"))
}

fn object<'a>(spec: &'a mut Value, pointer: &str) -> &'a mut serde_json::Map<String, Value> {
    at(spec, pointer).as_object_mut().unwrap_or_else(|| panic!("{pointer} is not an object"))
}

fn array<'a>(spec: &'a mut Value, pointer: &str) -> &'a mut Vec<Value> {
    at(spec, pointer).as_array_mut().unwrap_or_else(|| panic!("{pointer} is not an array"))
}

const AGENT: &str = "/components/schemas/Agent/properties";
const LIST_PARAMS: &str = "/paths/~1Agent/get/parameters";

/// One fixture change and how Cargo's rules classify it for the generated crate.
struct Case {
    name: &'static str,
    change: fn(&mut Value),
    /// What `api-diff` must say: no change, additive (patch) or breaking (minor).
    expected: Bump,
    /// Why cargo-semver-checks may miss this breaking change (see the module docs), if it may.
    gap: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let case = |name, change, expected| Case { name, change, expected, gap: None };
    let (none, patch, minor) = (Bump::None, Bump::Patch, Bump::Minor);
    vec![
        case("added property", |s| drop(object(s, AGENT).insert("phone".into(), json!({"type": "string"}))), patch),
        case(
            "added required property",
            |s| {
                object(s, AGENT).insert("isdisabled".into(), json!({"type": "boolean"}));
                object(s, "/components/schemas/Agent").insert("required".into(), json!(["isdisabled"]));
            },
            patch,
        ),
        case("removed property", |s| drop(object(s, AGENT).remove("email")), minor),
        case("added enum value", |s| array(s, "/components/schemas/AgentStatus/enum").push(json!("away")), patch),
        case("removed enum value", |s| drop(array(s, "/components/schemas/AgentStatus/enum").pop()), minor),
        case(
            "renamed enum variant",
            |s| {
                drop(
                    object(s, "/components/schemas/AgentStatus")
                        .insert("x-enum-varnames".into(), json!(["Active", "Away"])),
                )
            },
            minor,
        ),
        case(
            "added operation",
            |s| {
                let delete = json!({
                    "operationId": "deleteAgent", "tags": ["Agents"], "summary": "Delete an agent", "x-halo-method": "delete",
                    "parameters": [{"name": "id", "in": "path", "required": true, "description": "Id.", "schema": {"type": "integer", "format": "int32"}}],
                    "responses": {"200": {"description": "ok"}}
                });
                object(s, "/paths/~1Agent~1{id}").insert("delete".into(), delete);
            },
            patch,
        ),
        case("removed operation", |s| drop(object(s, "/paths").remove("/Agent/{id}")), minor),
        case(
            "added setter",
            |s| {
                let param = json!({"name": "includedisabled", "in": "query", "description": "Disabled too.", "schema": {"type": "boolean"}});
                array(s, LIST_PARAMS).push(param);
            },
            patch,
        ),
        case("removed setter", |s| drop(array(s, LIST_PARAMS).remove(0)), minor),
        case(
            "added model",
            |s| {
                let site = json!({"type": "object", "properties": {"id": {"type": "integer"}}});
                object(s, "/components/schemas").insert("Site".into(), site);
            },
            patch,
        ),
        case(
            "renamed model",
            |s| {
                let team = object(s, "/components/schemas").remove("Team").unwrap();
                object(s, "/components/schemas").insert("AgentTeam".into(), team);
                *at(s, &format!("{AGENT}/team/$ref")) = json!("#/components/schemas/AgentTeam");
            },
            minor,
        ),
        case(
            "added resource",
            |s| {
                array(s, "/tags").push(json!({"name": "Teams"}));
                let get = json!({
                    "operationId": "getTeam", "tags": ["Teams"], "summary": "Get a team", "x-halo-method": "get",
                    "parameters": [{"name": "id", "in": "path", "required": true, "description": "Id.", "schema": {"type": "integer", "format": "int32"}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Team"}}}}}
                });
                object(s, "/paths").insert("/Team/{id}".into(), json!({"get": get}));
            },
            patch,
        ),
        Case {
            name: "changed property type",
            change: |s| *at(s, &format!("{AGENT}/id")) = json!({"type": "string"}),
            expected: minor,
            gap: Some("types"),
        },
        Case {
            name: "changed setter type",
            change: |s| *at(s, &format!("{LIST_PARAMS}/1/schema")) = json!({"type": "string"}),
            expected: minor,
            gap: Some("types"),
        },
        // Spec changes that generate the same Rust: an `integer` without a format is already an `i64`, and a date
        // is a `DateTime` like a date-time.
        case(
            "integer to int64 (same i64)",
            |s| {
                *at(s, "/components/schemas/AgentList/properties/record_count") =
                    json!({"type": "integer", "format": "int64"})
            },
            none,
        ),
        case(
            "date to date-time (same DateTime)",
            |s| *at(s, &format!("{AGENT}/lastonline")) = json!({"type": "string", "format": "date-time"}),
            none,
        ),
        // The generator's naming decisions.
        case(
            "colliding setter gets _2",
            |s| {
                let param = json!({"name": "TeamID", "in": "query", "description": "Team again.", "schema": {"type": "integer", "format": "int32"}});
                array(s, LIST_PARAMS).push(param);
            },
            patch,
        ),
        Case {
            name: "collision moves a field name",
            change: |s| drop(object(s, AGENT).insert("signature".into(), json!({"type": "string"}))),
            expected: minor,
            gap: Some("meaning"),
        },
        Case {
            name: "property `extra` renames the map",
            change: |s| drop(object(s, AGENT).insert("extra".into(), json!({"type": "string"}))),
            expected: minor,
            gap: Some("types"),
        },
        case(
            "added keyword property r#type",
            |s| drop(object(s, AGENT).insert("type".into(), json!({"type": "string"}))),
            patch,
        ),
        case(
            "enum query parameter gains a value",
            |s| array(s, &format!("{LIST_PARAMS}/2/schema/enum")).push(json!("prjs")),
            patch,
        ),
        Case {
            name: "query parameter becomes an enum",
            change: |s| *at(s, &format!("{LIST_PARAMS}/0/schema")) = json!({"type": "string", "enum": ["a", "b"]}),
            expected: minor,
            gap: Some("types"),
        },
    ]
}

fn workspace() -> PathBuf {
    xtask::project_root().expect("the tests run inside the checkout")
}

/// Generates the crate of `spec` into `dir`, with the workspace's lock file so nothing is resolved anew.
fn generate(spec: &str, dir: &Path) {
    let _ = fs::remove_dir_all(dir);
    let input = codegen::Input { spec, spec_name: "spec.json", changelog: None, imported: None };
    let files = codegen::generate(&input).unwrap_or_else(|errors| panic!("the fixture is valid: {errors}"));
    for file in files {
        let path = dir.join(&file.path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, file.contents).unwrap();
    }
    fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

/// Whether cargo-semver-checks finds a change that needs a minor bump of a 0.x crate (a major change by its rules).
fn semver_checks_breaking(baseline: &Path, current: &Path, target: &Path) -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["semver-checks", "check-release", "--release-type", "patch", "--baseline-root"])
        .arg(baseline)
        .arg("--manifest-path")
        .arg(current.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("cargo-semver-checks is installed (.ci/install-tools)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Summary"), "cargo semver-checks did not run its checks:\n{text}");
    if !out.status.success() {
        println!("{text}");
    }
    !out.status.success()
}

#[test]
#[ignore = "needs cargo-semver-checks; CI runs it with --ignored"]
fn api_diff_agrees_with_cargo_semver_checks() {
    let scratch = std::env::temp_dir().join(format!("xtask-semver-agreement-{}", std::process::id()));
    // One target directory for every case (and kept between runs), so the dependencies are documented once.
    let target = workspace().join("target/semver-agreement");
    let base_text = serde_json::to_string_pretty(&base()).unwrap();
    let baseline = scratch.join("baseline");
    generate(&base_text, &baseline);

    let mut disagreements = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 8);
    for case in &cases {
        let mut spec = base();
        (case.change)(&mut spec);
        let text = serde_json::to_string_pretty(&spec).unwrap();
        let diff = api_diff::diff(&base_text, &text, "base", case.name).unwrap();
        let current = scratch.join("current");
        generate(&text, &current);
        let checks_breaking = semver_checks_breaking(&baseline, &current, &target);
        println!(
            "{:<36} expected: {:<5} api-diff: {:<5} cargo-semver-checks breaking: {checks_breaking}",
            case.name,
            format!("{:?}", case.expected),
            format!("{:?}", diff.bump())
        );
        if diff.bump() != case.expected {
            disagreements.push(format!("{}: api-diff says {:?}\n{}", case.name, diff.bump(), diff.to_markdown()));
        }
        // A breaking change cargo-semver-checks cannot see (its known gaps) is not a disagreement.
        let breaking = case.expected == Bump::Minor;
        let known_gap = case.gap.is_some() && !checks_breaking;
        if checks_breaking != breaking && !known_gap {
            disagreements.push(format!("{}: cargo-semver-checks says breaking = {checks_breaking}", case.name));
        }
    }
    let _ = fs::remove_dir_all(&scratch);
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n\n"));
}
