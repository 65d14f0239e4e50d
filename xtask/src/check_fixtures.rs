//! `cargo xtask check-fixtures`: generate every fixture spec (`tests/fixtures/*.json`) into a crate and compile it
//! with warnings denied, as typify and progenitor do, so what the generator emits for each feature (keywords,
//! collisions, reserved names, enums, recursion, ...) is proven to compile, not only snapshotted.
//!
//! Cheap by construction: one scratch workspace (`target/fixture-crates/`) holds every fixture's crate, so one
//! `cargo check` checks them all, in the target directory `cargo xtask full-api` uses too ([`SCRATCH_TARGET`]), so
//! the dependencies are built once for both. Files are rewritten only when they change, so a second run is a no-op.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use codegen::ir::Owner;

use crate::{Result, SCRATCH_TARGET, project_root};

/// Where the scratch workspace is written, relative to the checkout.
pub const OUT: &str = "target/fixture-crates";

/// One fixture's crate in the scratch workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureCrate {
    /// The fixture file name (`enums.json`).
    pub fixture: String,
    /// The member directory and package name (`fixture-enums`).
    pub package: String,
    /// The files, the manifest already made a warnings-denying member of the scratch workspace.
    pub files: Vec<codegen::GeneratedFile>,
    /// Features worth checking on their own (`--no-default-features --features ...`): each feature a shared model
    /// is compiled with, where there are several (its `cfg(any(...))` must name every feature that reaches it).
    pub alone: Vec<String>,
    /// The features that are neither resources nor `unused-models` (the TLS backends), kept on in those checks so
    /// the dependencies are built with the same features as with `--all-features`, once.
    pub backends: Vec<String>,
}

/// Generates the crate of every `*.json` in `fixtures`, sorted by file name.
pub fn fixture_crates(fixtures: &Path) -> Result<Vec<FixtureCrate>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(fixtures)
        .map_err(|e| format!("cannot read {}: {e}", fixtures.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    paths.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
    paths.sort();
    paths.iter().map(|path| fixture_crate(path)).collect()
}

fn fixture_crate(path: &Path) -> Result<FixtureCrate> {
    let fixture = path.file_name().expect("a file").to_string_lossy().into_owned();
    let spec = fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let spec_name = format!("tests/fixtures/{fixture}");
    let errors = |errors: codegen::Diagnostics| format!("{spec_name}: {errors}");
    let input = codegen::Input { spec: &spec, spec_name: &spec_name, changelog: None, imported: None };
    let mut files = codegen::generate(&input).map_err(errors)?;
    let package = format!("fixture-{}", fixture.trim_end_matches(".json").replace('_', "-"));
    for file in files.iter_mut().filter(|file| file.path == "Cargo.toml") {
        file.contents = member_manifest(&file.contents, &package)?;
    }
    let api = codegen::lower_spec(&spec, &spec_name).map_err(errors)?;
    let mut alone: BTreeSet<String> = BTreeSet::new();
    for def in api.types.values() {
        match &def.owner {
            Owner::Shared(features) | Owner::Imported { features, .. } => alone.extend(features.iter().cloned()),
            Owner::Resource(_) => {}
        }
    }
    if alone.len() < 2 {
        alone.clear();
    }
    let manifest = &files.iter().find(|file| file.path == "Cargo.toml").expect("a manifest").contents;
    // Resources and the umbrella features that only turn resources on (`full`, the spec's groups) are not TLS backends.
    let mut not_backends: BTreeSet<&str> = api.resources.iter().map(|r| r.feature.as_str()).collect();
    not_backends.extend(api.feature_groups.iter().map(|g| g.name.as_str()));
    not_backends.extend([
        "default",
        codegen::ir::FULL_FEATURE,
        codegen::ir::IMPORTED_FEATURE,
        codegen::ir::UNUSED_MODELS_FEATURE,
    ]);
    // The webhook receiver's features are the manifest template's, whatever the spec; they are checked by
    // `--all-features`, and not needed to build a feature alone.
    not_backends.extend(["webhook-receiver", "webhook-axum"]);
    let backends = manifest_features(manifest).into_iter().filter(|f| !not_backends.contains(f.as_str())).collect();
    Ok(FixtureCrate { fixture, package, files, alone: alone.into_iter().collect(), backends })
}

/// The names the `[features]` table of a manifest declares.
fn manifest_features(manifest: &str) -> Vec<String> {
    let mut in_features = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_features = line == "[features]";
        } else if in_features
            && !line.starts_with('#')
            && let Some((name, _)) = line.split_once(" = ")
        {
            out.push(name.trim().to_owned());
        }
    }
    out
}

/// The generated manifest as a member of the scratch workspace: its own package name (every fixture's crate is
/// `halopsa`, and a workspace's package names are unique) and every warning of the crate an error (dependencies'
/// lints stay capped, and their builds are shared with `full-api`).
fn member_manifest(manifest: &str, package: &str) -> Result<String> {
    const NAME: &str = "\nname = \"halopsa\"\n";
    if !manifest.contains(NAME) {
        return Err("the generated Cargo.toml no longer names its package `halopsa`; update check-fixtures".into());
    }
    let mut manifest = manifest.replacen(NAME, &format!("\nname = \"{package}\"\n"), 1);
    manifest.push_str("\n[lints.rust]\nwarnings = \"deny\"\n");
    Ok(manifest)
}

/// The scratch workspace's own manifest.
pub fn workspace_manifest(crates: &[FixtureCrate]) -> String {
    let members: Vec<String> = crates.iter().map(|c| format!("    \"{}\",\n", c.package)).collect();
    format!(
        "# Written by `cargo xtask check-fixtures`: one crate per tests/fixtures/*.json.\n[workspace]\nresolver = \
         \"3\"\nmembers = [\n{}]\n",
        members.concat()
    )
}

/// Writes the scratch workspace under `out`: only files whose bytes differ, and removes member directories and files
/// no fixture produces any more.
pub fn write(out: &Path, crates: &[FixtureCrate]) -> Result<()> {
    fs::create_dir_all(out)?;
    write_if_changed(&out.join("Cargo.toml"), &workspace_manifest(crates))?;
    let root = project_root()?;
    write_if_changed(&out.join("Cargo.lock"), &fs::read_to_string(root.join("Cargo.lock"))?)?;
    let members: BTreeSet<&str> = crates.iter().map(|c| c.package.as_str()).collect();
    for entry in fs::read_dir(out)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() && !members.contains(name.as_str()) && name != "target" {
            fs::remove_dir_all(entry.path())?;
        }
    }
    for krate in crates {
        let dir = out.join(&krate.package);
        let wanted: BTreeSet<PathBuf> = krate.files.iter().map(|file| dir.join(&file.path)).collect();
        for file in &krate.files {
            write_if_changed(&dir.join(&file.path), &file.contents)?;
        }
        remove_others(&dir, &wanted)?;
    }
    Ok(())
}

fn write_if_changed(path: &Path, contents: &str) -> Result<()> {
    if fs::read(path).is_ok_and(|bytes| bytes == contents.as_bytes()) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

fn remove_others(dir: &Path, wanted: &BTreeSet<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            remove_others(&path, wanted)?;
            if fs::read_dir(&path)?.next().is_none() {
                fs::remove_dir(&path)?;
            }
        } else if !wanted.contains(&path) {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// `cargo xtask check-fixtures [--no-build]`.
pub fn main(args: &[String]) -> Result<()> {
    let mut build = true;
    for arg in args {
        match arg.as_str() {
            "--no-build" => build = false,
            other => return Err(format!("unknown argument `{other}` for `cargo xtask check-fixtures`").into()),
        }
    }
    let root = project_root()?;
    let started = Instant::now();
    let crates = fixture_crates(&root.join("tests/fixtures"))?;
    let out = root.join(OUT);
    write(&out, &crates)?;
    println!("{} fixture crates in {} ({:.1} s)", crates.len(), OUT, started.elapsed().as_secs_f64());
    if !build {
        return Ok(());
    }
    let manifest = out.join("Cargo.toml");
    let target = root.join(SCRATCH_TARGET);
    // Every crate with everything on (each TLS backend included); then, where models are shared between features,
    // each of those features alone, one round per feature (the crates that have an n-th such feature together).
    let mut runs: Vec<(Vec<String>, String)> =
        vec![(vec!["--workspace".into(), "--all-features".into()], "all features".into())];
    let rounds = crates.iter().map(|c| c.alone.len()).max().unwrap_or(0);
    for round in 0..rounds {
        let mut args = vec!["--no-default-features".to_owned()];
        let mut features = Vec::new();
        let mut what = Vec::new();
        for krate in crates.iter().filter(|c| c.alone.len() > round) {
            args.extend(["-p".to_owned(), krate.package.clone()]);
            let feature = &krate.alone[round];
            features.extend(krate.backends.iter().chain([feature]).map(|f| format!("{}/{f}", krate.package)));
            what.push(format!("{} with {feature}", krate.package));
        }
        args.extend(["--features".to_owned(), features.join(",")]);
        runs.push((args, format!("without default features: {}", what.join(", "))));
    }
    for (args, what) in runs {
        let started = Instant::now();
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            .args(["check", "--quiet", "--manifest-path"])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target)
            .args(&args)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!(
                "the fixture crates do not compile warning-free ({what}): cargo check {} in {}",
                args.join(" "),
                out.display()
            )
            .into());
        }
        println!("ok: {what} ({:.1} s)", started.elapsed().as_secs_f64());
    }
    Ok(())
}
