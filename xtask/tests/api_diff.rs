//! Integration tests of `cargo xtask api-diff`: classification, semver hint, Markdown, sources, changelog.

use std::path::PathBuf;

use serde_json::{Value, json};
use xtask::api_diff::{self, Bump, Source};
use xtask::import::{self, Options};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A small spec: Agents with a list, a get, and a model; Teams with a list.
fn base() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "tags": [{"name": "Agents", "x-halo-name": "Uname"}, {"name": "Teams", "x-halo-name": "SectionDetail"}],
        "paths": {
            "/Agent": {"get": {
                "operationId": "listAgents", "x-halo-method": "list", "tags": ["Agents"], "summary": "List agents",
                "parameters": [
                    {"name": "search", "in": "query", "schema": {"type": "string"}},
                    {"name": "team_id", "in": "query", "schema": {"type": "integer", "format": "int32"}}
                ],
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}}}}}
            }},
            "/Agent/{id}": {"get": {
                "operationId": "getAgent", "x-halo-method": "get", "tags": ["Agents"], "summary": "Get one agent",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int32"}}],
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agent"}}}}}
            }},
            "/Team": {"get": {
                "operationId": "listTeams", "x-halo-method": "list", "tags": ["Teams"], "summary": "List teams",
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Team"}}}}}}
            }}
        },
        "components": {"schemas": {
            "Agent": {"type": "object", "x-halo-name": "Uname", "properties": {
                "id": {"type": "integer", "format": "int32"},
                "name": {"type": "string", "nullable": true},
                "team": {"$ref": "#/components/schemas/Team"}
            }},
            "Team": {"type": "object", "x-halo-name": "SectionDetail", "properties": {"id": {"type": "integer", "format": "int32"}}},
            "Kind": {"type": "integer", "format": "int32", "enum": [0, 1]}
        }}
    })
}

fn changed(edit: impl FnOnce(&mut Value)) -> api_diff::Diff {
    let old = base();
    let mut new = base();
    edit(&mut new);
    api_diff::diff(&old.to_string(), &new.to_string(), "old.json", "new.json").unwrap()
}

fn texts(diff: &api_diff::Diff, breaking: bool) -> Vec<String> {
    diff.changes.iter().filter(|c| c.breaking == breaking).map(|c| format!("{}: {}", c.section, c.text)).collect()
}

fn params(spec: &mut Value) -> &mut Vec<Value> {
    spec["paths"]["/Agent"]["get"]["parameters"].as_array_mut().unwrap()
}

#[test]
fn no_changes_means_no_release() {
    let diff = changed(|_| {});
    assert!(diff.changes.is_empty());
    assert_eq!(diff.bump(), Bump::None);
    assert!(diff.to_markdown().contains("no API changes"));
}

#[test]
fn an_added_optional_parameter_is_additive() {
    let diff =
        changed(|spec| params(spec).push(json!({"name": "pageinate", "in": "query", "schema": {"type": "boolean"}})));
    assert_eq!(
        texts(&diff, false),
        ["Agents: added query parameter `pageinate` (`.pageinate(bool)`) to `GET /Agent` (`agents().list()`)"]
    );
    assert_eq!(texts(&diff, true), Vec::<String>::new());
    assert_eq!(diff.bump(), Bump::Patch);
}

#[test]
fn a_removed_parameter_is_breaking() {
    let diff = changed(|spec| {
        params(spec).remove(0);
    });
    assert_eq!(
        texts(&diff, true),
        ["Agents: removed query parameter `search` (`.search(String)`) of `GET /Agent` (`agents().list()`)"]
    );
    assert_eq!(diff.bump(), Bump::Minor);
}

#[test]
fn a_changed_parameter_type_is_breaking() {
    let diff = changed(|spec| params(spec)[1]["schema"] = json!({"type": "integer", "format": "int64"}));
    assert_eq!(
        texts(&diff, true),
        ["Agents: type of query parameter `team_id` of `GET /Agent` (`agents().list()`) changed from `i32` to `i64`"]
    );
}

/// A query parameter is a setter whether Halo requires it or not: requiring it changes no code (reported, additive).
#[test]
fn a_query_parameter_that_became_required_is_reported_but_not_breaking() {
    let diff = changed(|spec| params(spec)[0]["required"] = json!(true));
    assert_eq!(
        texts(&diff, false),
        ["Agents: query parameter `search` of `GET /Agent` (`agents().list()`) became required"]
    );
    assert_eq!(diff.bump(), Bump::Patch);
    let added = changed(|spec| {
        params(spec).push(json!({"name": "x", "in": "query", "required": true, "schema": {"type": "string"}}))
    });
    assert_eq!(
        texts(&added, false),
        ["Agents: added required query parameter `x` (`.x(String)`) to `GET /Agent` (`agents().list()`)"]
    );
    assert_eq!(added.bump(), Bump::Patch);
}

#[test]
fn a_removed_operation_is_breaking_and_an_added_one_additive() {
    let diff = changed(|spec| {
        let paths = spec["paths"].as_object_mut().unwrap();
        paths.remove("/Agent/{id}");
        paths.insert(
            "/Agent/me".to_owned(),
            json!({"get": {"operationId": "getCurrentAgent", "x-halo-method": "me", "tags": ["Agents"], "summary": "Me",
                "responses": {"200": {"description": "OK"}}}}),
        );
    });
    assert_eq!(texts(&diff, true), ["Agents: removed operation `GET /Agent/{id}` (`agents().get()`)"]);
    assert_eq!(texts(&diff, false), ["Agents: added operation `GET /Agent/me` (`agents().me()`)"]);
}

#[test]
fn a_renamed_method_is_breaking() {
    let diff = changed(|spec| spec["paths"]["/Agent/{id}"]["get"]["x-halo-method"] = json!("fetch"));
    assert_eq!(
        texts(&diff, true),
        ["Agents: renamed `agents().get()` to `agents().fetch()` for `GET /Agent/{id}` (`agents().fetch()`)"]
    );
}

#[test]
fn model_changes_are_classified_and_attributed_to_their_resource() {
    let diff = changed(|spec| {
        let agent = &mut spec["components"]["schemas"]["Agent"]["properties"];
        agent["email"] = json!({"type": "string", "nullable": true});
        agent["name"] = json!({"type": "integer", "format": "int32", "nullable": true});
        let team = spec["components"]["schemas"]["Team"]["properties"].as_object_mut().unwrap();
        team.remove("id");
        team.insert("name".to_owned(), json!({"type": "string"}));
        spec["components"]["schemas"]["Kind"]["enum"] = json!([0, 1, 2]);
    });
    assert_eq!(
        texts(&diff, true),
        [
            "Agents: type of `Agent.name` changed from `Option<String>` to `Option<i32>`",
            // Team is reached from both Agents (through Agent.team) and Teams: a shared model.
            "Shared models: removed property `id` of `Team` (`id: Option<i32>`)",
        ]
    );
    assert_eq!(
        texts(&diff, false),
        [
            "Agents: added property `email` to `Agent` (`email: Option<String>`)",
            "Shared models: added enum value 2 to `Kind` (`Kind::Value2`)",
            "Shared models: added property `name` to `Team` (`name: Option<String>`)",
        ]
    );
}

/// Models are `#[non_exhaustive]`, so a new property is additive even when the spec requires it (a plain field).
#[test]
fn an_added_required_property_is_additive() {
    let diff = changed(|spec| {
        let agent = &mut spec["components"]["schemas"]["Agent"];
        agent["properties"]["isdisabled"] = json!({"type": "boolean"});
        agent["required"] = json!(["isdisabled"]);
    });
    assert_eq!(texts(&diff, false), ["Agents: added required property `isdisabled` to `Agent` (`isdisabled: bool`)"]);
    assert_eq!(diff.bump(), Bump::Patch);
}

#[test]
fn a_model_renamed_by_curation_is_one_breaking_rename() {
    let diff = changed(|spec| {
        let schemas = spec["components"]["schemas"].as_object_mut().unwrap();
        let team = schemas.remove("Team").unwrap();
        schemas.insert("TeamDetail".to_owned(), team);
        let text = spec.to_string().replace("schemas/Team\"", "schemas/TeamDetail\"");
        *spec = serde_json::from_str(&text).unwrap();
    });
    assert!(
        texts(&diff, true)
            .contains(&"Shared models: renamed model `Team` to `TeamDetail` (Halo `SectionDetail`)".to_owned())
    );
    assert!(!texts(&diff, false).iter().any(|t| t.contains("added model")), "{:?}", texts(&diff, false));
}

#[test]
fn the_markdown_has_a_heading_a_semver_hint_and_a_section_per_resource() {
    let diff = changed(|spec| {
        params(spec).remove(0);
        params(spec).push(json!({"name": "pageinate", "in": "query", "schema": {"type": "boolean"}}));
        spec["paths"]["/Team"]["get"]["parameters"] =
            json!([{"name": "q", "in": "query", "schema": {"type": "string"}}]);
    });
    let markdown = diff.to_markdown();
    assert!(markdown.starts_with(
        "## API changes: `old.json` → `new.json`\n\n**Semver:** 1 breaking change and 2 additive: a **minor** bump"
    ));
    assert!(
        markdown.contains(
            "While the crate is 0.x, a breaking change takes a minor bump and an additive change a patch bump."
        )
    );
    // Every breaking change first, in one list that names its resource; then the rest per resource.
    let breaking = markdown.find("\n### Breaking changes\n").expect("a breaking-changes section");
    let agents = markdown.find("\n### Agents\n").expect("an Agents section");
    let teams = markdown.find("\n### Teams\n").expect("a Teams section");
    assert!(breaking < agents && agents < teams, "breaking changes first, then resources alphabetically");
    assert!(markdown[breaking..agents].contains(
        "\n- **Agents**: removed query parameter `search` (`.search(String)`) of `GET /Agent` (`agents().list()`)\n"
    ));
    assert!(markdown[agents..teams].contains("\n- added query parameter `pageinate` (`.pageinate(bool)`)"));
    assert!(!markdown[agents..].contains("removed query parameter"), "a breaking change is listed once");
    assert!(markdown.ends_with('\n'));
}

/// Without breaking changes the report says so where a reviewer looks first.
#[test]
fn the_markdown_says_when_nothing_breaks() {
    let diff =
        changed(|spec| params(spec).push(json!({"name": "pageinate", "in": "query", "schema": {"type": "boolean"}})));
    assert!(diff.to_markdown().contains("\n### Breaking changes\n\nNone.\n\n### Agents\n"));
}

/// `--max-chars`: a report that does not fit becomes the heading, a pointer to the full report, the breaking
/// changes and a count per resource, within the limit; one that fits is returned whole.
#[test]
fn the_short_report_fits_the_limit_and_points_to_the_full_one() {
    let diff = changed(|spec| {
        params(spec).remove(0);
        for n in 0..200 {
            params(spec).push(json!({"name": format!("filter{n}"), "in": "query", "schema": {"type": "boolean"}}));
        }
    });
    let full = diff.to_markdown();
    assert_eq!(diff.to_markdown_within(full.chars().count(), "full.md").unwrap(), full);
    for max in [600, 2_000, 5_000] {
        let short = diff.to_markdown_within(max, "target/api-diff.md").unwrap();
        assert!(short.chars().count() <= max, "{} > {max}", short.chars().count());
        assert!(short.contains("the full one (201 changes"), "{short}");
        assert!(short.contains("`target/api-diff.md`"));
        assert!(short.contains("\n- **Agents**: removed query parameter `search`"), "{short}");
        assert!(short.contains("\n- **Agents**: 200 additive changes\n"), "{short}");
    }
    let error = diff.to_markdown_within(100, "full.md").unwrap_err().to_string();
    assert!(error.contains("--max-chars 100 is too small"), "{error}");
}

/// What the import inferred (`x-halo-inferred`) is marked in the report.
#[test]
fn changes_to_inferred_types_are_marked() {
    let diff = changed(|spec| {
        spec["components"]["schemas"]["AgentView"] = json!({"type": "object", "x-halo-inferred": "made up", "properties": {"record_count": {"type": "integer"}}});
        spec["components"]["schemas"]["Team"]["x-halo-inferred"] = json!("made up");
        spec["components"]["schemas"]["Team"]["properties"]["region"] = json!({"type": "string"});
    });
    let markdown = diff.to_markdown();
    assert!(markdown.contains("- added model `AgentView` *(inferred)*\n"), "{markdown}");
    assert!(
        markdown.contains("- added property `region` to `Team` (`region: Option<String>`) *(inferred)*\n"),
        "{markdown}"
    );
    assert!(markdown.contains("Changes marked *(inferred)* concern a type the import inferred"));
    let plain = changed(|spec| drop(params(spec).remove(0))).to_markdown();
    assert!(!plain.contains("inferred"));
}

#[test]
fn a_new_resource_is_additive() {
    let diff = changed(|spec| {
        spec["tags"].as_array_mut().unwrap().push(json!({"name": "Tickets", "x-halo-name": "Faults"}));
        spec["paths"]["/Tickets"] = json!({"get": {"operationId": "listTickets", "x-halo-method": "list", "tags": ["Tickets"],
            "summary": "List tickets", "responses": {"200": {"description": "OK"}}}});
    });
    assert_eq!(
        texts(&diff, false),
        [
            "Tickets: new resource `Tickets`: `client.tickets()`, cargo feature `tickets`",
            "Tickets: added operation `GET /Tickets` (`tickets().list()`)",
        ]
    );
    assert_eq!(diff.bump(), Bump::Patch);
}

/// The acceptance scenario, second half: the diff of the 2025-09 import lists exactly the 17 new parameters, and
/// that with three of them (`pageinate`, `page_no`, `page_size`) the list now pages.
#[test]
fn the_2025_09_import_diffs_as_exactly_17_additive_parameters_and_paging() {
    let curated = fixture("curated-2025-03.json");
    let options = Options { resources: vec!["Agents".to_owned()], all: false };
    let imported = import::import(Some(&curated), &fixture("halo-2025-09-agent-excerpt.json"), &options).unwrap();
    let diff = api_diff::diff(&curated, &imported.spec, "HEAD:spec/halopsa.json", "spec/halopsa.json").unwrap();
    let mut added: Vec<String> = Vec::new();
    let paging = "`GET /Agent` (`agents().list()`) now pages through the results (`pageinate`, `page_no`, `page_size`)";
    assert_eq!(diff.changes.iter().filter(|c| c.text == paging).count(), 1, "{}", diff.to_markdown());
    for change in &diff.changes {
        assert!(!change.breaking, "{change:?}");
        assert_eq!(change.section, "Agents");
        if change.text == paging {
            continue;
        }
        let name = change
            .text
            .strip_prefix("added query parameter `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, rest)| {
                assert!(rest.ends_with("to `GET /Agent` (`agents().list()`)"), "{rest}");
                name
            })
            .unwrap_or_else(|| panic!("not an added parameter: {}", change.text));
        added.push(name.to_owned());
    }
    added.sort();
    let mut expected: Vec<String> =
        ["basic_fields_only", "exclude_membership_info", "include_membership_info", "is_agent_cache"]
            .into_iter()
            .map(str::to_owned)
            .chain(["", "2", "3", "4", "5"].iter().map(|n| format!("order{n}")))
            .chain(["", "2", "3", "4", "5"].iter().map(|n| format!("orderdesc{n}")))
            .chain(["page_no", "page_size", "pageinate"].into_iter().map(str::to_owned))
            .collect();
    expected.sort();
    assert_eq!(added, expected);
    assert_eq!(diff.bump(), Bump::Patch);
    assert!(diff.to_markdown().contains("18 additive changes, nothing breaks: a **patch** bump"));
}

#[test]
fn sources_are_files_or_git_revisions() {
    let git = |rev: &str, path: &str| Source::Git { rev: rev.to_owned(), path: path.to_owned() };
    assert_eq!(api_diff::parse_source("HEAD~1:spec/halopsa.json"), git("HEAD~1", "spec/halopsa.json"));
    assert_eq!(api_diff::parse_source("v0.1.0:spec/halopsa.json"), git("v0.1.0", "spec/halopsa.json"));
    assert_eq!(api_diff::parse_source("origin/main:./spec/halopsa.json"), git("origin/main", "spec/halopsa.json"));
    assert_eq!(api_diff::parse_source(":spec/halopsa.json"), git("", "spec/halopsa.json"));
    assert_eq!(api_diff::parse_source("spec/halopsa.json"), Source::File("spec/halopsa.json".into()));
    assert_eq!(api_diff::parse_source("C:\\specs\\halopsa.json"), Source::File("C:\\specs\\halopsa.json".into()));
    assert_eq!(api_diff::parse_source("HEAD:"), Source::File("HEAD:".into()));
}

#[test]
fn main_rejects_bad_arguments_with_a_hint() {
    let error = api_diff::main(&["only-one.json".to_owned()]).unwrap_err().to_string();
    assert!(error.starts_with("api-diff needs two specs, got 1"), "{error}");
    let error = api_diff::main(&["a".to_owned(), "b".to_owned(), "--bogus".to_owned()]).unwrap_err().to_string();
    assert!(error.starts_with("unknown argument `--bogus`"), "{error}");
}

#[test]
fn the_changelog_gets_the_report_as_its_newest_entry() {
    let entry = "## API changes: `a` → `b`\n\n**Semver:** ...\n";
    let existing = "# Changelog\n\nIntro line.\n\n## 0.1.0\n\nInitial release.\n";
    assert_eq!(
        api_diff::prepend_changelog(Some(existing), entry),
        "# Changelog\n\nIntro line.\n\n## API changes: `a` → `b`\n\n**Semver:** ...\n\n## 0.1.0\n\nInitial release.\n"
    );
    assert_eq!(api_diff::prepend_changelog(None, entry), format!("# Changelog\n\n{entry}"));
    assert_eq!(api_diff::prepend_changelog(Some("# Changelog\n"), entry), format!("# Changelog\n\n{entry}"));
}

#[test]
fn the_changelog_in_the_repository_has_an_entry() {
    let changelog =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/CHANGELOG.md")).unwrap();
    assert!(changelog.starts_with("# Changelog\n"));
    assert!(changelog.lines().any(|line| line.starts_with("## ")));
}

/// Naming an enum value through `x-enum-varnames` renames its variant (`Value1` → `Closed`): breaking.
#[test]
fn a_renamed_enum_variant_is_breaking() {
    let diff = changed(|spec| {
        spec["components"]["schemas"]["Kind"]["x-enum-varnames"] = json!(["Value0", "Closed"]);
    });
    assert_eq!(
        texts(&diff, true),
        ["Shared models: renamed the variant of enum value 1 of `Kind` from `Value1` to `Closed`"]
    );
}

/// api-diff compares what the generator makes of a spec, not the spec's JSON: a change that generates the same Rust
/// is no change.
#[test]
fn spec_changes_that_generate_the_same_rust_are_no_change() {
    let diff = changed(|spec| {
        // `integer` without a format is already an `i64`; a date is a `DateTime` like a date-time.
        spec["components"]["schemas"]["Agent"]["properties"]["count"] = json!({"type": "integer", "format": "int64"});
        spec["components"]["schemas"]["Agent"]["properties"]["since"] =
            json!({"type": "string", "format": "date-time"});
        params(spec).push(json!({"name": "after", "in": "query", "schema": {"type": "string", "format": "date-time"}}));
    });
    let base = |spec: &mut Value| {
        spec["components"]["schemas"]["Agent"]["properties"]["count"] = json!({"type": "integer"});
        spec["components"]["schemas"]["Agent"]["properties"]["since"] = json!({"type": "string", "format": "date"});
        params(spec).push(json!({"name": "after", "in": "query", "schema": {"type": "string", "format": "date"}}));
    };
    let (mut old, mut new) = (base_with(base), base_with(base));
    new["components"]["schemas"]["Agent"]["properties"]["count"]["format"] = json!("int64");
    new["components"]["schemas"]["Agent"]["properties"]["since"]["format"] = json!("date-time");
    params(&mut new)[2]["schema"]["format"] = json!("date-time");
    // A description is documentation, not API.
    old["components"]["schemas"]["Agent"]["properties"]["name"]["description"] = json!("Old words.");
    let same = api_diff::diff(&old.to_string(), &new.to_string(), "old", "new").unwrap();
    assert_eq!(same.changes, [], "{}", same.to_markdown());
    assert_eq!(same.bump(), Bump::None);
    // The same edits on top of a spec without them are three additions.
    assert_eq!(diff.additive().len(), 3, "{}", diff.to_markdown());
}

fn base_with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut spec = base();
    edit(&mut spec);
    spec
}

/// The report names what the generator names: raw identifiers and the collision rule's `_2` suffixes.
#[test]
fn names_are_the_generated_ones() {
    let diff = changed(|spec| {
        spec["components"]["schemas"]["Agent"]["properties"]["type"] = json!({"type": "string"});
        params(spec).push(json!({"name": "TeamID", "in": "query", "schema": {"type": "integer", "format": "int32"}}));
    });
    assert_eq!(
        texts(&diff, false),
        [
            "Agents: added query parameter `TeamID` (`.team_id_2(i32)`) to `GET /Agent` (`agents().list()`)",
            "Agents: added property `type` to `Agent` (`r#type: Option<String>`)",
        ]
    );
    assert_eq!(diff.bump(), Bump::Patch);
}

/// A property that takes a name the collision rule had given another one moves that one to `_2`: the old name
/// still compiles but means another property, which breaks code as surely as a rename.
#[test]
fn a_collision_that_moves_a_name_is_breaking() {
    let old = base_with(|spec| {
        spec["components"]["schemas"]["Agent"]["properties"]["_signature"] = json!({"type": "string"});
    });
    let mut new = old.clone();
    new["components"]["schemas"]["Agent"]["properties"]["signature"] = json!({"type": "string"});
    let diff = api_diff::diff(&old.to_string(), &new.to_string(), "old", "new").unwrap();
    assert_eq!(
        texts(&diff, true),
        ["Agents: `Agent.signature` now holds `signature` instead of `_signature`: code using it compiles but means \
             another property"]
    );
    assert_eq!(texts(&diff, false), ["Agents: added property `_signature` to `Agent` (`signature_2: Option<String>`)"]);
    // A property named `extra` takes the name of the map of unknown fields, which becomes `extra_2`.
    let diff = changed(|spec| {
        spec["components"]["schemas"]["Agent"]["properties"]["extra"] = json!({"type": "string"});
    });
    assert_eq!(
        texts(&diff, true),
        [
            "Agents: type of `Agent.extra` changed from `serde_json::Map<String, serde_json::Value>` to \
             `Option<String>`",
            "Agents: `Agent.extra` now holds `extra` instead of the unknown fields: code using it compiles but means \
             another property",
        ]
    );
    assert_eq!(
        texts(&diff, false),
        ["Agents: `Agent.extra_2` keeps the unknown fields (`serde_json::Map<String, serde_json::Value>`)"]
    );
    // A string value `other` takes the fallback's name: `Other` becomes `Other2`.
    let diff = changed(|spec| {
        spec["components"]["schemas"]["Status"] = json!({"type": "string", "enum": ["open", "closed"]});
    });
    assert_eq!(diff.bump(), Bump::Patch);
    let old = base_with(|spec| {
        spec["components"]["schemas"]["Status"] = json!({"type": "string", "enum": ["open", "closed"]});
    });
    let mut new = old.clone();
    new["components"]["schemas"]["Status"]["enum"] = json!(["open", "closed", "other"]);
    let diff = api_diff::diff(&old.to_string(), &new.to_string(), "old", "new").unwrap();
    assert_eq!(
        texts(&diff, true),
        ["Shared models: renamed the fallback variant of `Status` from `Status::Other` to `Status::Other2`"]
    );
    assert_eq!(texts(&diff, false), ["Shared models: added enum value \"other\" to `Status` (`Status::Other`)"]);
}

/// A query parameter with a closed set of values takes an enum of the models: a new value is a new variant of a
/// `#[non_exhaustive]` enum (additive); a plain parameter becoming an enum changes the setter's type (breaking).
#[test]
fn enum_typed_query_parameters() {
    let old = base_with(|spec| {
        params(spec)
            .push(json!({"name": "domain", "in": "query", "schema": {"type": "string", "enum": ["reqs", "opps"]}}));
    });
    let mut new = old.clone();
    params(&mut new)[2]["schema"]["enum"] = json!(["reqs", "opps", "prjs"]);
    let diff = api_diff::diff(&old.to_string(), &new.to_string(), "old", "new").unwrap();
    assert_eq!(
        texts(&diff, false),
        ["Agents: added enum value \"prjs\" to `ListAgentsDomain` (`ListAgentsDomain::Prjs`)"]
    );
    assert_eq!(diff.bump(), Bump::Patch);

    let diff = changed(|spec| params(spec)[0]["schema"] = json!({"type": "string", "enum": ["a", "b"]}));
    assert_eq!(
        texts(&diff, true),
        ["Agents: type of query parameter `search` of `GET /Agent` (`agents().list()`) changed from `String` to \
             `models::ListAgentsSearch`"]
    );
    assert_eq!(texts(&diff, false), ["Agents: added model `ListAgentsSearch`"]);
}

/// The builder is a public type: a new operationId renames it even when the method keeps its `x-halo-method`.
#[test]
fn a_renamed_builder_is_breaking() {
    let diff = changed(|spec| spec["paths"]["/Agent/{id}"]["get"]["operationId"] = json!("fetchAgent"));
    assert_eq!(
        texts(&diff, true),
        [
            "Agents: renamed the builder of `GET /Agent/{id}` (`agents().get()`) from `agents::GetAgent` to `agents::FetchAgent`"
        ]
    );
}

/// api-diff lowers both specs as the generator does, so a spec the generator refuses is an error, with its problems.
#[test]
fn a_spec_the_generator_refuses_is_an_error() {
    let mut broken = base();
    broken["paths"]["/Agent"]["get"].as_object_mut().unwrap().remove("operationId");
    let error = api_diff::diff(&base().to_string(), &broken.to_string(), "old.json", "new.json").unwrap_err();
    let error = error.to_string();
    assert!(error.starts_with("new.json is not a spec the generator accepts:"), "{error}");
    assert!(error.contains("operationId"), "{error}");
}

/// The rest of what the generator makes public: positional arguments by type, deprecation (a warning, not a
/// break), and the `unused-models` feature, which exists while some model is used by no operation.
#[test]
fn arguments_deprecation_and_the_unused_models_feature() {
    let diff = changed(|spec| {
        let get = &mut spec["paths"]["/Agent/{id}"]["get"];
        get["parameters"][0]["schema"] = json!({"type": "string"});
        get["deprecated"] = json!(true);
        // `Kind` was the only model no operation uses.
        spec["components"]["schemas"].as_object_mut().unwrap().remove("Kind");
    });
    assert_eq!(
        texts(&diff, true),
        [
            "Shared models: removed cargo feature `unused-models`",
            "Agents: the arguments of `GET /Agent/{id}` (`agents().get()`) changed from `(i32)` to `(String)`",
            "Shared models: removed model `Kind`",
        ]
    );
    assert_eq!(texts(&diff, false), ["Agents: `GET /Agent/{id}` (`agents().get()`) is deprecated"]);
    // A path parameter's name is not part of the API: arguments are positional.
    let renamed = changed(|spec| {
        let paths = spec["paths"].as_object_mut().unwrap();
        let mut item = paths.remove("/Agent/{id}").unwrap();
        item["get"]["parameters"][0]["name"] = json!("agent_id");
        paths.insert("/Agent/{agent_id}".to_owned(), item);
    });
    assert_eq!(renamed.changes, [], "{}", renamed.to_markdown());
}
