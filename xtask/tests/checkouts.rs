//! The built `xtask` binary works on the checkout it is run in, not the one it was built in: cargo reuses one binary
//! for every clone that shares a target directory, so the root must come from the working directory at run time.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A minimal checkout in a scratch directory (workspace manifest, `xtask/Cargo.toml`, a spec), removed when dropped.
struct Checkout(PathBuf);

impl Checkout {
    fn new(name: &str, fixture: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-checkout-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("xtask")).unwrap();
        fs::create_dir_all(dir.join("spec")).unwrap();
        fs::write(dir.join("Cargo.toml"), "[workspace]\nmembers = [\"xtask\", \"generated\"]\n").unwrap();
        fs::write(dir.join("xtask/Cargo.toml"), "[package]\nname = \"xtask\"\n").unwrap();
        let repo = xtask::project_root().unwrap();
        fs::copy(repo.join("tests/fixtures").join(fixture), dir.join("spec/halopsa.json")).unwrap();
        Checkout(dir)
    }

    /// The generated crate's README, which names the spec's title (the crate's docs, `lib.rs`, include it).
    fn readme(&self) -> String {
        fs::read_to_string(self.0.join("generated/README.md")).unwrap()
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn xtask(cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).current_dir(cwd).output().unwrap()
}

#[test]
fn each_checkout_regenerates_its_own_generated_dir() {
    let first = Checkout::new("first", "enums.json");
    let second = Checkout::new("second", "path_params.json");
    let repo_readme = fs::read(xtask::project_root().unwrap().join("generated/README.md")).unwrap();

    // From a subdirectory of the first checkout, and from the root of the second.
    let out = xtask(&first.0.join("spec"), &["codegen"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = xtask(&second.0, &["codegen"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    assert!(first.readme().contains("Enums"), "the first checkout has the crate of its own spec");
    assert!(second.readme().contains("Path params"), "the second checkout has the crate of its own spec");
    assert!(!first.readme().contains("Path params") && !second.readme().contains("Enums"));
    // The checkout the binary was built in is left alone.
    assert_eq!(fs::read(xtask::project_root().unwrap().join("generated/README.md")).unwrap(), repo_readme);

    // Each is fresh by its own spec, and stale by the other's once the specs are swapped.
    for checkout in [&first, &second] {
        let out = xtask(&checkout.0, &["codegen", "--check"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    fs::copy(first.0.join("spec/halopsa.json"), second.0.join("spec/halopsa.json")).unwrap();
    let out = xtask(&second.0, &["codegen", "--check"]);
    assert!(!out.status.success(), "the second checkout is now stale");
}

#[test]
fn outside_a_checkout_it_says_so() {
    let dir = std::env::temp_dir().join(format!("xtask-no-checkout-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let out = xtask(&dir, &["codegen", "--check"]);
    let _ = fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not inside a halopsa-rs checkout"), "{stderr}");
}

#[test]
fn the_root_is_found_from_any_directory_below_it() {
    let root = xtask::project_root().unwrap();
    assert!(root.join("xtask/Cargo.toml").is_file());
    assert_eq!(xtask::find_root(&root.join("codegen/src/emit")).unwrap(), root);
    // `tests/outside` is a crate of its own inside the checkout; the checkout is still the root.
    assert_eq!(xtask::find_root(&root.join("tests/outside")).unwrap(), root);
}
