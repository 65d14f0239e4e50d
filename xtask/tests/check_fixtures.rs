//! `cargo xtask check-fixtures` without the compiler: the scratch workspace it writes (CI runs the command itself).

use std::collections::BTreeSet;
use std::path::PathBuf;

use xtask::check_fixtures::{self, FixtureCrate};

fn crates() -> Vec<FixtureCrate> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    check_fixtures::fixture_crates(&fixtures).unwrap()
}

fn manifest(krate: &FixtureCrate) -> &str {
    &krate.files.iter().find(|f| f.path == "Cargo.toml").unwrap().contents
}

/// One member per fixture, each its own package (a workspace's package names are unique; every fixture's crate is
/// `halopsa`), with every warning of the crate an error.
#[test]
fn every_fixture_is_a_warnings_denying_member() {
    let crates = crates();
    let fixtures: Vec<&str> = crates.iter().map(|c| c.fixture.as_str()).collect();
    assert!(fixtures.contains(&"reserved_names.json") && fixtures.contains(&"keyword_names.json"), "{fixtures:?}");
    let packages: BTreeSet<&str> = crates.iter().map(|c| c.package.as_str()).collect();
    assert_eq!(packages.len(), crates.len());
    let workspace = check_fixtures::workspace_manifest(&crates);
    for krate in &crates {
        let manifest = manifest(krate);
        assert!(manifest.contains(&format!("\nname = \"{}\"\n", krate.package)), "{manifest}");
        assert!(!manifest.contains("name = \"halopsa\""));
        assert!(manifest.ends_with("\n[lints.rust]\nwarnings = \"deny\"\n"), "{manifest}");
        assert!(workspace.contains(&format!("    \"{}\",\n", krate.package)), "{workspace}");
        assert_eq!(krate.backends, ["rustls-ring", "rustls-aws-lc-rs", "native-tls"], "{}", krate.fixture);
    }
}

/// Where models are shared between features, each of those features is checked alone; elsewhere nothing is.
#[test]
fn features_of_shared_models_are_checked_alone() {
    let crates = crates();
    let alone = |fixture: &str| crates.iter().find(|c| c.fixture == fixture).unwrap().alone.clone();
    assert_eq!(alone("shared_models.json"), ["agents", "teams", "unused-models"]);
    // `Agent` is reached by three resources, `K` by none.
    assert_eq!(alone("reserved_names.json"), ["clone_2", "time_2", "unused-models", "whoami_2"]);
    assert_eq!(alone("enums.json"), Vec::<String>::new());
}
