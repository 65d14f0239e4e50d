//! Snapshot tests: one small fixture spec per generator feature (`tests/fixtures/*.json`), and an outline of the
//! curated spec's API. Review changes with `cargo insta review`.

use std::fmt::Write as _;
use std::path::Path;

use codegen::ir::{Api, Owner, ParamTy, Response, Ty, TypeKind, UpsertRole};

/// Generates from a fixture and joins every file the generator writes from the spec (the verbatim runtime, examples
/// and license files, and the manifest and README templates are left out: they are not what the fixture exercises,
/// and the crate version in them would churn every snapshot on a release).
fn generated(path: &Path) -> String {
    let spec = std::fs::read_to_string(path).expect("fixture is readable");
    let name = format!("tests/fixtures/{}", path.file_name().unwrap().to_string_lossy());
    let input = codegen::Input { spec: &spec, spec_name: &name, changelog: None, imported: None };
    let files = codegen::generate(&input).unwrap_or_else(|errors| panic!("{name}: {errors}"));
    let mut out = String::new();
    for file in files.iter().filter(|f| {
        !f.path.starts_with("src/runtime/")
            && !f.path.starts_with("examples/")
            && !f.path.starts_with("LICENSE")
            && f.path != "Cargo.toml"
            && f.path != "README.md"
    }) {
        writeln!(out, "==> {} <==\n{}", file.path, file.contents).unwrap();
    }
    out
}

#[test]
fn fixtures() {
    insta::glob!("../fixtures", "*.json", |path| {
        insta::assert_snapshot!(generated(path));
    });
}

/// The public surface of the curated API in one page: resources, methods, setters and models. Naming decisions
/// show up here in review before anyone reads the generated code.
#[test]
fn curated_api_outline() {
    let spec = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/halopsa.json")).unwrap();
    let api = codegen::lower_spec(&spec, "spec/halopsa.json").unwrap_or_else(|errors| panic!("{errors}"));
    insta::assert_snapshot!(outline(&api));
}

fn outline(api: &Api) -> String {
    let mut out = String::new();
    for resource in &api.resources {
        let halo = resource.halo_name.as_deref().map(|n| format!(" (Halo: {n})")).unwrap_or_default();
        writeln!(out, "client.{}() -> {}{halo}", resource.module, resource.type_name).unwrap();
        for op in &resource.operations {
            let args: Vec<String> =
                op.path_params.iter().map(|p| format!("{}: {}", p.rust_name, param(api, p.ty))).collect();
            let body = op.body.as_ref().map(|b| match &op.upsert {
                Some(upsert) if upsert.role == UpsertRole::Update && upsert.many => {
                    format!("[({}, {})]", ty(api, &upsert.id_ty), ty(api, &b.ty))
                }
                Some(upsert) if upsert.role == UpsertRole::Update => {
                    format!("{}: {}, {}: {}", upsert.id_arg, ty(api, &upsert.id_ty), b.arg_name, ty(api, &b.ty))
                }
                Some(upsert) if !upsert.many => format!("{}: {}", b.arg_name, ty(api, &b.ty)),
                _ if b.array => format!("[{}]", ty(api, &b.ty)),
                _ => format!("{}: {}", b.arg_name, ty(api, &b.ty)),
            });
            let args = args.into_iter().chain(body).collect::<Vec<_>>().join(", ");
            let response = match &op.response {
                Response::Empty => "()".to_owned(),
                Response::Bytes => "bytes".to_owned(),
                Response::Json(t) => ty(api, t),
                Response::Saved(t) if op.upsert.as_ref().is_some_and(|u| !u.many) => ty(api, t),
                Response::Saved(t) => format!("Vec<{}>", ty(api, t)),
                Response::List { wrapper, paged, .. } => {
                    format!("{}{}", api.ty(*wrapper).rust_name, if *paged { " +pages/stream/all" } else { "" })
                }
            };
            writeln!(
                out,
                "  .{}({args}) -> {}: {:?} {} -> {response}",
                op.method_name, op.builder_name, op.http_method, op.path
            )
            .unwrap();
            for p in &op.query_params {
                writeln!(out, "      .{}({}) ?{}", p.rust_name, param(api, p.ty), p.wire_name).unwrap();
            }
        }
    }
    writeln!(out, "models:").unwrap();
    let mut types: Vec<_> = api.types.values().collect();
    types.sort_by(|a, b| a.rust_name.cmp(&b.rust_name));
    for def in types {
        let (owner, features) = match &def.owner {
            Owner::Shared(features) => ("shared".to_owned(), format!(" (features {})", features.join(" | "))),
            Owner::Resource(module) => (module.clone(), String::new()),
            Owner::Imported { file, features } => {
                (format!("imported/shared/{file}"), format!(" (features {})", features.join(" | ")))
            }
        };
        let shape = match &def.kind {
            TypeKind::Struct(s) => format!("struct, {} fields", s.fields.len()),
            TypeKind::Enum(e) => format!("enum, {} values", e.variants.len()),
            TypeKind::Alias(t) => format!("= {}", ty(api, t)),
        };
        writeln!(out, "  {} ({shape}) in models/{owner}.rs{features}, schema {}", def.rust_name, def.wire_name)
            .unwrap();
    }
    out
}

fn ty(api: &Api, t: &Ty) -> String {
    match t {
        Ty::Named(id) => api.ty(*id).rust_name.clone(),
        Ty::Vec(inner) => format!("Vec<{}>", ty(api, inner)),
        Ty::Map(inner) => format!("Map<{}>", ty(api, inner)),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn param(api: &Api, t: ParamTy) -> String {
    match t {
        ParamTy::Enum(id) => api.ty(id).rust_name.clone(),
        _ => format!("{t:?}").to_lowercase(),
    }
}

/// Models no operation uses get a default feature of their own, declared in the manifest (the fixture snapshot shows
/// their `cfg`s; the manifest is left out of it). A spec without such models declares no such feature.
#[test]
fn unused_models_have_a_default_feature() {
    let manifest = |fixture: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(fixture);
        let spec = std::fs::read_to_string(&path).unwrap();
        let input = codegen::Input { spec: &spec, spec_name: fixture, changelog: None, imported: None };
        let files = codegen::generate(&input).unwrap_or_else(|errors| panic!("{errors}"));
        files.into_iter().find(|f| f.path == "Cargo.toml").unwrap().contents
    };
    let shared = manifest("shared_models.json");
    assert!(shared.contains("\nunused-models = []\n"), "{shared}");
    let default = shared.lines().find(|line| line.starts_with("default = ")).unwrap();
    assert_eq!(default, r#"default = ["rustls-ring", "agents", "teams", "unused-models"]"#);
    assert!(!manifest("nullable.json").contains("unused-models"));
}

/// A tag with `x-halo-default: false` keeps its resource out of `default`; `x-halo-feature-groups` become umbrella
/// features, written with their description; `full` turns on every resource; the crate's README (its docs) says which
/// are off by default, and its example uses a resource that is on.
#[test]
fn features_off_by_default_and_umbrella_features() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features.json");
    let spec = std::fs::read_to_string(&path).unwrap();
    let input = codegen::Input { spec: &spec, spec_name: "features.json", changelog: None, imported: None };
    let files = codegen::generate(&input).unwrap_or_else(|errors| panic!("{errors}"));
    let file = |name: &str| files.iter().find(|f| f.path == name).unwrap().contents.clone();
    let manifest = file("Cargo.toml");
    let line = |start: &str| manifest.lines().find(|line| line.starts_with(start)).unwrap_or_default().to_owned();
    assert_eq!(line("default = "), r#"default = ["rustls-ring", "agents"]"#, "{manifest}");
    assert_eq!(line("quotes = "), "quotes = []");
    assert!(manifest.contains("# Quotes and suppliers.\nsales = [\"quotes\", \"suppliers\"]\n"), "{manifest}");
    assert!(manifest.contains("# Every resource.\nfull = [\"agents\", \"quotes\", \"suppliers\"]\n"), "{manifest}");
    // The crate docs are the README (`include_str!`), whose table says which features are off by default.
    let lib = file("src/lib.rs");
    assert!(lib.contains(r#"#![doc = include_str!("../README.md")]"#), "{lib}");
    let readme = file("README.md");
    assert!(readme.contains("client.agents().list()"), "the example uses a default resource: {readme}");
    assert!(readme.contains("| Quotes | `client.quotes()` | `quotes` | no | `sales`, `full` |"), "{readme}");
    assert!(readme.contains("| Agents | `client.agents()` | `agents` | yes | `full` |"), "{readme}");
}

/// The imported tier (tags with `x-halo-imported: true`): each resource behind an `unstable-<module>` feature that is
/// off by default and not in `full`, turning on the curated feature that compiles a curated model it uses;
/// `unstable-imported` turns on all of them; the README has the tier's section (its semver promise and its table)
/// and lists only curated resources in the curated table; every imported item's docs say it is imported.
#[test]
fn imported_tier_features_docs_and_readme() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/imported_tier.json");
    let spec = std::fs::read_to_string(&path).unwrap();
    let input = codegen::Input { spec: &spec, spec_name: "imported_tier.json", changelog: None, imported: None };
    let files = codegen::generate(&input).unwrap_or_else(|errors| panic!("{errors}"));
    let file = |name: &str| files.iter().find(|f| f.path == name).unwrap().contents.clone();
    let manifest = file("Cargo.toml");
    let line = |start: &str| manifest.lines().find(|line| line.starts_with(start)).unwrap_or_default().to_owned();
    assert_eq!(line("default = "), r#"default = ["rustls-ring", "agents"]"#, "{manifest}");
    assert_eq!(line("full = "), r#"full = ["agents"]"#, "{manifest}");
    assert_eq!(line("unstable-widgets = "), r#"unstable-widgets = ["agents"]"#, "{manifest}");
    assert_eq!(line("unstable-gadgets = "), "unstable-gadgets = []", "{manifest}");
    assert_eq!(
        line("unstable-imported = "),
        r#"unstable-imported = ["unstable-gadgets", "unstable-gizmos", "unstable-widgets"]"#
    );
    let readme = file("README.md");
    assert!(readme.contains("## The imported tier (`unstable-*` features)"), "{readme}");
    assert!(readme.contains("**Semver.** The imported tier is outside the crate's semver promise."), "{readme}");
    assert!(readme.contains("| Widgets | `Widget` | `client.widgets()` | `unstable-widgets` | `agents` |"), "{readme}");
    assert!(readme.contains("| Agents | `client.agents()` | `agents` | yes | `full` |"), "{readme}");
    assert!(!readme.contains("| Widgets | `client.widgets()`"), "the curated table has no imported resource");
    for module in ["widgets", "gadgets", "gizmos"] {
        let text = file(&format!("src/{module}.rs"));
        let label = format!("*Imported from Halo's swagger, not curated* (cargo feature `unstable-{module}`)");
        // The module, the accessor and the resource type.
        assert_eq!(text.matches(&label).count(), 3, "{text}");
    }
    for model in ["imported/widgets", "imported/gadgets", "imported/gizmos", "imported/shared/part"] {
        let text = file(&format!("src/models/{model}.rs"));
        assert!(text.contains("/// *Imported from Halo's swagger, not curated*: outside the crate's semver"), "{text}");
    }
    assert!(!file("src/agents.rs").contains("Imported") && !file("src/models/agents.rs").contains("Imported"));

    // The same spec without the tier: the curated files are byte for byte what they are beside it.
    let mut curated_only: serde_json::Value = serde_json::from_str(&spec).unwrap();
    curated_only["tags"].as_array_mut().unwrap().retain(|tag| tag.get("x-halo-imported").is_none());
    curated_only["paths"].as_object_mut().unwrap().retain(|path, _| path == "/Agent/{id}");
    curated_only["components"]["schemas"].as_object_mut().unwrap().retain(|name, _| name == "Agent");
    let curated_only = curated_only.to_string();
    let input =
        codegen::Input { spec: &curated_only, spec_name: "imported_tier.json", changelog: None, imported: None };
    let without = codegen::generate(&input).unwrap_or_else(|errors| panic!("{errors}"));
    for name in ["src/agents.rs", "src/models/agents.rs"] {
        assert_eq!(without.iter().find(|f| f.path == name).unwrap().contents, file(name), "{name}");
    }
}

/// The crate in the repository: no imported resource is on by default or in `full`, and every one is in
/// `unstable-imported`.
#[test]
fn the_crate_keeps_the_imported_tier_off_by_default() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated/Cargo.toml")).unwrap();
    let list = |name: &str| {
        let line = manifest.lines().find(|line| line.starts_with(&format!("{name} = "))).unwrap();
        line.split('"').skip(1).step_by(2).map(str::to_owned).collect::<Vec<_>>()
    };
    let imported: Vec<String> = manifest
        .lines()
        .filter_map(|line| line.split_once(" = ").map(|(name, _)| name))
        .filter(|name| name.starts_with("unstable-") && *name != "unstable-imported")
        .map(str::to_owned)
        .collect();
    assert!(imported.len() > 200, "{imported:?}");
    assert!(list("default").iter().chain(&list("full")).all(|f| !f.starts_with("unstable-")));
    assert_eq!(list("unstable-imported"), imported);
}
