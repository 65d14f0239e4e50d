//! The imported tier (`spec/imported.json`): it is what the curated spec and Halo's swagger make, it covers every
//! upstream operation the curated spec neither has nor excludes (so every Halo resource is reachable typed), and
//! `cargo xtask import --resource X` promotes one resource from it into the curated spec as a move.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use xtask::import::{self, Kind, TIER_PATH, UPSTREAM};
use xtask::openapi_json::route_key;

fn root() -> PathBuf {
    xtask::project_root().unwrap()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/// A spec's operations as `route_key`s (method and path, parameter names and case aside), with their tags.
fn operations(spec: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().into_iter().flatten().filter(|(m, _)| METHODS.contains(&m.as_str())) {
            let tag = op["tags"][0].as_str().unwrap_or_default().to_owned();
            out.push((route_key(method, path), tag));
        }
    }
    out
}

/// `spec/imported.json` is exactly what `cargo xtask import --tier` writes (CI also runs `import --tier --check`).
#[test]
fn the_tier_is_what_the_curated_spec_and_the_swagger_make() {
    let root = root();
    let tier = import::build_tier(&read(&root.join("spec/halopsa.json")), &read(&root.join(UPSTREAM))).unwrap();
    assert!(
        tier.spec == read(&root.join(TIER_PATH)),
        "{TIER_PATH} is stale: run `cargo xtask import --tier` (then `cargo xtask codegen`)"
    );
    assert!(tier.unplaced.is_empty(), "upstream operations of curated resources in no tier: {:?}", tier.unplaced);
}

/// Every operation of Halo's swagger is curated, excluded with a reason (`x-halo-excluded`), imported, or skipped by
/// the import with a reason (a `multipart/form-data`-only body); and every imported operation is a method of an
/// imported resource of the generated crate: every Halo resource is reachable typed.
#[test]
fn every_upstream_operation_is_curated_excluded_or_imported() {
    let root = root();
    let (curated_text, tier_text) = (read(&root.join("spec/halopsa.json")), read(&root.join(TIER_PATH)));
    let (curated, tier, upstream) = (json(&curated_text), json(&tier_text), json(&read(&root.join(UPSTREAM))));
    let curated_routes: BTreeSet<String> = operations(&curated).into_iter().map(|(route, _)| route).collect();
    let tier_ops = operations(&tier);
    let tier_routes: BTreeSet<String> = tier_ops.iter().map(|(route, _)| route.clone()).collect();
    let excluded: BTreeSet<String> = curated["x-halo-excluded"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["operation"].as_str()?.split_once(' ').map(|(m, p)| route_key(m, p)))
        .collect();
    // What the import leaves out, with its reason: of the tier's resources, and of the curated ones (the import of
    // the curated spec's own resources).
    let swagger = read(&root.join(UPSTREAM));
    let built = import::build_tier(&curated_text, &swagger).unwrap();
    let reimport = import::import(Some(&curated_text), &swagger, &import::Options::default()).unwrap();
    assert!(!reimport.changed, "the curated spec is a fixed point of importing its own resources");
    let mut texts = built.report.texts(Kind::Skipped);
    texts.extend(reimport.report.texts(Kind::Skipped));
    // `POST /Notify/PRTGAlerts/{tenant}: request body is multipart/form-data only; ...`, as a route key.
    let skipped: BTreeSet<String> = texts
        .iter()
        .filter_map(|text| {
            let (route, _) = text.split_once(": ")?;
            let (method, path) = route.split_once(' ')?;
            Some(route_key(method, path))
        })
        .collect();

    let mut missing = Vec::new();
    let mut counts = [0usize; 4];
    for (route, _) in operations(&upstream) {
        let (method, path) = route.split_once(' ').unwrap();
        let display = format!("{} {path}", method.to_ascii_uppercase());
        let place = if curated_routes.contains(&route) {
            0
        } else if excluded.contains(&route) {
            1
        } else if tier_routes.contains(&route) {
            2
        } else if skipped.contains(&route) {
            3
        } else {
            missing.push(display);
            continue;
        };
        counts[place] += 1;
    }
    assert!(missing.is_empty(), "upstream operations in neither tier, nor excluded, nor skipped: {missing:#?}");
    // Curated, excluded, imported, skipped: each kind is there (the figures are in spec/README.md).
    eprintln!("upstream operations curated, excluded, imported, skipped: {counts:?}");
    assert!(counts.iter().all(|count| *count > 0), "{counts:?}");
    assert!(counts[3] <= 10, "skipped: {texts:#?}");

    // The generated crate has each tier operation as a method of an imported resource, behind `unstable-*`.
    let input = codegen::Input {
        spec: &curated_text,
        spec_name: "spec/halopsa.json",
        changelog: None,
        imported: Some(codegen::Imported { spec: &tier_text, name: TIER_PATH }),
    };
    let api = codegen::lower_input(&input).unwrap_or_else(|errors| panic!("{errors}"));
    let mut lowered = BTreeSet::new();
    for resource in &api.resources {
        let tier_tag = tier_ops.iter().any(|(_, tag)| *tag == resource.tag);
        assert_eq!(resource.imported, tier_tag, "{}", resource.tag);
        if resource.imported {
            assert_eq!(resource.feature, format!("unstable-{}", resource.module));
            assert!(!resource.default_feature, "{}", resource.tag);
            for op in &resource.operations {
                lowered.insert(route_key(&format!("{:?}", op.http_method), &op.path));
            }
        }
    }
    let unlowered: Vec<&String> = tier_routes.difference(&lowered).collect();
    assert!(unlowered.is_empty(), "tier operations without a generated method: {unlowered:?}");
}

/// A minimal checkout in a scratch directory with the real spec, tier and swagger, removed when dropped.
struct Checkout(PathBuf);

impl Checkout {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-tier-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("xtask")).unwrap();
        fs::create_dir_all(dir.join("spec/upstream")).unwrap();
        fs::write(dir.join("Cargo.toml"), "[workspace]\nmembers = [\"xtask\", \"generated\"]\n").unwrap();
        fs::write(dir.join("xtask/Cargo.toml"), "[package]\nname = \"xtask\"\n").unwrap();
        let root = root();
        for file in ["spec/halopsa.json", TIER_PATH, UPSTREAM] {
            fs::copy(root.join(file), dir.join(file)).unwrap();
        }
        Checkout(dir)
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn without(spec: &Value, tag: &str) -> Value {
    let mut spec = spec.clone();
    spec["tags"].as_array_mut().unwrap().retain(|t| t["name"] != tag);
    let paths = spec["paths"].as_object_mut().unwrap();
    for item in paths.values_mut() {
        item.as_object_mut().unwrap().retain(|_, op| op["tags"][0] != tag);
    }
    paths.retain(|_, item| !item.as_object().unwrap().is_empty());
    spec
}

/// `cargo xtask import --resource unstable-addressbook` (the feature's name; the tag or Halo's name work too) moves the
/// resource: the curated spec gains exactly its tag, operations and the models only it used, as the tier had them,
/// the tier loses exactly those, and the crate generated from the pair has it as a curated resource.
#[test]
fn import_resource_promotes_from_the_tier() {
    let checkout = Checkout::new("promote");
    let (old_curated, old_tier) =
        (json(&read(&checkout.0.join("spec/halopsa.json"))), json(&read(&checkout.0.join(TIER_PATH))));
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["import", "--resource", "unstable-addressbook"])
        .current_dir(&checkout.0)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (new_curated_text, new_tier_text) =
        (read(&checkout.0.join("spec/halopsa.json")), read(&checkout.0.join(TIER_PATH)));
    let (new_curated, new_tier) = (json(&new_curated_text), json(&new_tier_text));

    // The curated spec: everything it had, unchanged, plus the resource.
    assert_eq!(without(&new_curated, "Addressbook")["paths"], old_curated["paths"]);
    assert_eq!(without(&new_curated, "Addressbook")["tags"], old_curated["tags"]);
    let tag = new_curated["tags"].as_array().unwrap().iter().find(|t| t["name"] == "Addressbook").unwrap();
    assert_eq!(tag.get("x-halo-imported"), None, "{tag}");
    assert_eq!(tag["x-halo-default"], Value::Bool(false), "a promoted resource does not change the default build");
    for path in ["/Addressbook", "/Addressbook/{id}"] {
        assert_eq!(new_curated["paths"][path], old_tier["paths"][path], "{path}");
        assert_eq!(new_tier["paths"].get(path), None, "{path}");
    }
    // Its models move with it, as they were; nothing else of the tier changes.
    let schemas = |spec: &Value| spec["components"]["schemas"].as_object().unwrap().clone();
    let (old_c, new_c, old_t, new_t) =
        (schemas(&old_curated), schemas(&new_curated), schemas(&old_tier), schemas(&new_tier));
    let moved: Vec<&String> = new_c.keys().filter(|name| !old_c.contains_key(*name)).collect();
    assert!(!moved.is_empty());
    for name in &moved {
        assert_eq!(new_c[*name], old_t[*name], "{name}");
        assert!(!new_t.contains_key(*name), "{name}");
    }
    for (name, schema) in &old_c {
        assert_eq!(&new_c[name], schema, "{name}");
    }
    assert_eq!(new_t.len() + moved.len(), old_t.len());
    for (name, schema) in &new_t {
        assert_eq!(&old_t[name], schema, "{name}");
    }
    assert_eq!(without(&old_tier, "Addressbook")["tags"], new_tier["tags"]);
    assert_eq!(without(&old_tier, "Addressbook")["paths"], new_tier["paths"]);

    // The crate: `addressbook` is curated now, its feature `addressbook`; the rest of the tier stays imported.
    let input = codegen::Input {
        spec: &new_curated_text,
        spec_name: "spec/halopsa.json",
        changelog: None,
        imported: Some(codegen::Imported { spec: &new_tier_text, name: TIER_PATH }),
    };
    let api = codegen::lower_input(&input).unwrap_or_else(|errors| panic!("{errors}"));
    let resource = api.resources.iter().find(|r| r.tag == "Addressbook").unwrap();
    assert!(!resource.imported && resource.feature == "addressbook" && !resource.default_feature);
    assert!(api.resources.iter().filter(|r| r.imported).count() == new_tier["tags"].as_array().unwrap().len());

    // A second run changes nothing: the promotion is done.
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["import", "--resource", "Addressbook"])
        .current_dir(&checkout.0)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(read(&checkout.0.join("spec/halopsa.json")), new_curated_text);
    assert_eq!(read(&checkout.0.join(TIER_PATH)), new_tier_text);
}

/// A resource of the tier is named by its tag, Halo's tag, its module or its feature.
#[test]
fn tier_names() {
    let tier = read(&root().join(TIER_PATH));
    for name in ["Addressbook", "addressbook", "unstable-addressbook", "ADDRESSBOOK"] {
        assert_eq!(import::tier_name(&tier, name), "Addressbook", "{name}");
    }
    // Halo's tag `AiSuggestion` is the tier's `AISuggestion`; its module is `ai_suggestion`.
    for name in ["AiSuggestion", "ai_suggestion", "unstable-ai_suggestion"] {
        assert_eq!(import::tier_name(&tier, name), "AISuggestion", "{name}");
    }
    assert_eq!(import::tier_name(&tier, "NoSuchThing"), "NoSuchThing");
}
