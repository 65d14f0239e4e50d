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
        ["Agents: added query parameter `pageinate` (boolean) to `GET /Agent` (`agents().list()`)"]
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
        ["Agents: removed query parameter `search` (string) of `GET /Agent` (`agents().list()`)"]
    );
    assert_eq!(diff.bump(), Bump::Minor);
}

#[test]
fn a_changed_parameter_type_is_breaking() {
    let diff = changed(|spec| params(spec)[1]["schema"] = json!({"type": "integer", "format": "int64"}));
    assert_eq!(
        texts(&diff, true),
        [
            "Agents: type of query parameter `team_id` of `GET /Agent` (`agents().list()`) changed from integer (int32) to integer (int64)"
        ]
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
        ["Agents: added required query parameter `x` (string) to `GET /Agent` (`agents().list()`)"]
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
        spec["components"]["schemas"]["Team"]["properties"].as_object_mut().unwrap().remove("id");
        spec["components"]["schemas"]["Kind"]["enum"] = json!([0, 1, 2]);
    });
    assert_eq!(
        texts(&diff, true),
        [
            "Agents: type of `Agent.name` changed from string, nullable to integer (int32), nullable",
            // Team is reached from both Agents (through Agent.team) and Teams: a shared model.
            "Shared models: removed property `Team.id` (integer (int32))",
        ]
    );
    assert_eq!(
        texts(&diff, false),
        ["Agents: added property `Agent.email` (string, nullable)", "Shared models: added enum value 2 to `Kind`"]
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
    assert_eq!(texts(&diff, false), ["Agents: added required property `Agent.isdisabled` (boolean)"]);
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
    assert!(
        markdown[breaking..agents].contains(
            "\n- **Agents**: removed query parameter `search` (string) of `GET /Agent` (`agents().list()`)\n"
        )
    );
    assert!(markdown[agents..teams].contains("\n- added query parameter `pageinate` (boolean)"));
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
        spec["components"]["schemas"]["Team"]["properties"]["extra"] = json!({"type": "string"});
    });
    let markdown = diff.to_markdown();
    assert!(markdown.contains("- added model `AgentView` *(inferred)*\n"), "{markdown}");
    assert!(markdown.contains("- added property `Team.extra` (string) *(inferred)*\n"), "{markdown}");
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

/// The acceptance scenario, second half: the diff of the 2025-09 import lists exactly the 17 new parameters.
#[test]
fn the_2025_09_import_diffs_as_exactly_17_additive_parameters() {
    let curated = fixture("curated-2025-03.json");
    let options = Options { resources: vec!["Agents".to_owned()], all: false };
    let imported = import::import(Some(&curated), &fixture("halo-2025-09-agent-excerpt.json"), &options).unwrap();
    let diff = api_diff::diff(&curated, &imported.spec, "HEAD:spec/halopsa.json", "spec/halopsa.json").unwrap();
    let mut added: Vec<String> = Vec::new();
    for change in &diff.changes {
        assert!(!change.breaking, "{change:?}");
        assert_eq!(change.section, "Agents");
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
    assert!(diff.to_markdown().contains("17 additive changes, nothing breaks: a **patch** bump"));
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
        ["Shared models: renamed the variant of enum value 1 of `Kind` from the generator's default name to `Closed`"]
    );
}
