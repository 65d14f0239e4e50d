//! `cargo xtask codegen --check`: a fresh crate passes, and a stale one is reported file by file (missing, changed
//! with the first lines of a diff, unexpected) with the command that fixes it.

use std::fs;
use std::path::{Path, PathBuf};

use xtask::codegen::{self, Paths};

/// A scratch directory of its own per test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-codegen-check-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn paths(scratch: &Path) -> Paths {
    Paths {
        spec: xtask::project_root().unwrap().join("tests/fixtures/create_update.json"),
        imported: None,
        changelog: scratch.join("no-changelog.md"),
        out: scratch.join("crate"),
        cli_out: None,
    }
}

fn check_args(paths: &Paths) -> Vec<String> {
    let mut args = vec!["--check".to_owned()];
    for (flag, path) in [("--spec", &paths.spec), ("--out", &paths.out), ("--changelog", &paths.changelog)] {
        args.extend([flag.to_owned(), path.display().to_string()]);
    }
    args
}

#[test]
fn fresh_crate_has_no_drift() {
    let scratch = Scratch::new("fresh");
    let paths = paths(&scratch.0);
    codegen::write(&paths).unwrap();
    let drift = codegen::check(&paths).unwrap();
    assert!(drift.is_empty(), "{}", drift.report(&paths.out));
    let args = check_args(&paths);
    codegen::main(&args).unwrap();
}

#[test]
fn stale_crate_is_reported_file_by_file() {
    let scratch = Scratch::new("stale");
    let paths = paths(&scratch.0);
    codegen::write(&paths).unwrap();
    // One file edited by hand, one deleted, one added.
    let agents = paths.out.join("src/agents.rs");
    let text = fs::read_to_string(&agents).unwrap();
    fs::write(&agents, text.replace("pub fn create(", "pub fn create_by_hand(")).unwrap();
    fs::remove_file(paths.out.join("src/lib.rs")).unwrap();
    fs::write(paths.out.join("src/leftover.rs"), "//! Not generated.\n").unwrap();

    let drift = codegen::check(&paths).unwrap();
    assert_eq!(drift.missing, ["src/lib.rs"]);
    assert_eq!(drift.changed.iter().map(|(path, _)| path.as_str()).collect::<Vec<_>>(), ["src/agents.rs"]);
    assert_eq!(drift.unexpected, ["src/leftover.rs"]);

    let fix = codegen::fix_command(&paths);
    assert!(fix.starts_with("cargo xtask codegen --spec "), "{fix}");
    assert!(fix.contains(" --out "), "{fix}");
    let report = drift.report_with_fix(&paths.out, &fix);
    assert!(
        report.contains("is stale: 3 files differ from what the spec produces (1 changed, 1 missing, 1 unexpected)"),
        "{report}"
    );
    assert!(report.contains("changed     ") && report.contains("src/agents.rs\n"), "{report}");
    assert!(report.contains("missing     ") && report.contains("src/lib.rs"), "{report}");
    assert!(report.contains("unexpected  ") && report.contains("src/leftover.rs"), "{report}");
    // The first lines of a unified diff: what is on disk, and what the generator writes.
    assert!(report.contains("--- on disk") && report.contains("+++ generated"), "{report}");
    assert!(report.contains("-    pub fn create_by_hand("), "{report}");
    assert!(report.contains("+    pub fn create("), "{report}");
    assert!(report.trim_end().ends_with(&format!("fix: run `{fix}` and commit the result")), "{report}");

    // `--check` fails, and writes nothing.
    let args = check_args(&paths);
    let error = codegen::main(&args).unwrap_err().to_string();
    assert!(error.contains("is stale"), "{error}");
    assert!(!paths.out.join("src/lib.rs").exists());

    // Regenerating fixes it.
    codegen::write(&paths).unwrap();
    assert!(codegen::check(&paths).unwrap().is_empty());
    assert!(!paths.out.join("src/leftover.rs").exists());
}
