//! `cargo xtask full-api`: import *every* resource of Halo's swagger into a scratch spec, generate a crate from it,
//! and check that the crate compiles with warnings denied. Proves the pipeline is robust on the whole API (886
//! paths, 1,331 operations, 703 schemas, 26 on reference cycles), and reports the figures for BENCHMARKS.md.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::import;
use crate::{Result, project_root};

/// The upstream document, kept in the repository so a fresh clone can run this.
pub const UPSTREAM: &str = "spec/upstream/halo-swagger-2025-03.json";

/// `cargo xtask full-api [--from SWAGGER] [--out DIR] [--no-build]`.
pub fn main(args: &[String]) -> Result<()> {
    let root = project_root()?;
    let mut from = root.join(UPSTREAM);
    let mut out = root.join("target/full-api");
    let mut build = true;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--from" => from = PathBuf::from(args.next().ok_or("--from needs a path")?),
            "--out" => out = PathBuf::from(args.next().ok_or("--out needs a directory")?),
            "--no-build" => build = false,
            other => return Err(format!("unknown argument `{other}` for `cargo xtask full-api`").into()),
        }
    }
    let figures = run(&from, &out, build)?;
    println!("{figures}");
    Ok(())
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Operations, schemas and resources in the scratch spec.
    pub operations: usize,
    /// Schemas in the scratch spec.
    pub schemas: usize,
    /// Resources (tags) in the scratch spec.
    pub resources: usize,
    /// Upstream operations the import could not bring in, with why (multipart-only bodies: the client sends JSON).
    pub skipped: Vec<String>,
    /// Import time in seconds.
    pub import_seconds: f64,
    /// Generation time (parse to formatted files) in seconds.
    pub generate_seconds: f64,
    /// Files and bytes of the generated crate.
    pub files: usize,
    /// Total size of the generated files.
    pub bytes: usize,
    /// Lines of generated Rust.
    pub rust_lines: usize,
    /// `cargo check` time of the crate in seconds, if it was built.
    pub check_seconds: Option<f64>,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "scratch spec: {} resources, {} operations, {} schemas",
            self.resources, self.operations, self.schemas
        )?;
        writeln!(
            f,
            "not imported: {} upstream operations (listed in import-report.md beside the scratch spec)",
            self.skipped.len()
        )?;
        writeln!(f, "import: {:.2} s", self.import_seconds)?;
        writeln!(f, "generate: {:.2} s", self.generate_seconds)?;
        writeln!(
            f,
            "crate: {} files, {:.1} MiB, {} lines of Rust",
            self.files,
            self.bytes as f64 / 1048576.0,
            self.rust_lines
        )?;
        match self.check_seconds {
            Some(seconds) => write!(f, "cargo check (warnings denied): ok in {seconds:.0} s"),
            None => write!(f, "cargo check: skipped (--no-build)"),
        }
    }
}

/// Imports, generates, writes and (optionally) checks the scratch crate under `out`.
pub fn run(from: &Path, out: &Path, build: bool) -> Result<Figures> {
    let swagger = fs::read_to_string(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    let started = Instant::now();
    let outcome = crate::import::import(None, &swagger, &import::Options { resources: Vec::new(), all: true })
        .map_err(|e| format!("importing every resource failed: {e}"))?;
    let spec = outcome.spec;
    let skipped: Vec<String> = outcome.report.texts(import::Kind::Skipped).into_iter().map(str::to_owned).collect();
    let import_seconds = started.elapsed().as_secs_f64();
    let document: serde_json::Value = serde_json::from_str(&spec)?;
    let operations = document["paths"]
        .as_object()
        .map_or(0, |paths| paths.values().filter_map(|item| item.as_object()).map(|item| item.len()).sum());
    let schemas = document["components"]["schemas"].as_object().map_or(0, |schemas| schemas.len());
    let resources = document["tags"].as_array().map_or(0, |tags| tags.len());

    let started = Instant::now();
    let input = codegen::Input { spec: &spec, spec_name: "target/full-api/spec.json", changelog: None, imported: None };
    let files =
        codegen::generate(&input).map_err(|errors| format!("generating from the whole API failed: {errors}"))?;
    let generate_seconds = started.elapsed().as_secs_f64();

    let crate_dir = out.join("crate");
    if crate_dir.exists() {
        fs::remove_dir_all(&crate_dir)?;
    }
    fs::create_dir_all(&crate_dir)?;
    fs::write(out.join("spec.json"), &spec)?;
    fs::write(out.join("import-report.md"), outcome.report.to_string())?;
    let mut bytes = 0;
    let mut rust_lines = 0;
    for file in &files {
        let path = crate_dir.join(&file.path);
        fs::create_dir_all(path.parent().expect("files are below the crate"))?;
        let mut contents = file.contents.clone();
        if file.path == "Cargo.toml" {
            // A scratch crate of its own (not a member of this workspace), with every warning an error.
            contents.push_str("\n[workspace]\n\n[lints.rust]\nwarnings = \"deny\"\n");
        }
        bytes += contents.len();
        if file.path.ends_with(".rs") {
            rust_lines += contents.lines().count();
        }
        fs::write(path, contents)?;
    }
    let check_seconds = if build { Some(check(&crate_dir)?) } else { None };
    Ok(Figures {
        operations,
        schemas,
        resources,
        skipped,
        import_seconds,
        generate_seconds,
        files: files.len(),
        bytes,
        rust_lines,
        check_seconds,
    })
}

/// `cargo check` the scratch crate, sharing this workspace's lock file (same dependency versions, no network) and
/// the scratch target directory of `check-fixtures` (dependencies already built are reused).
fn check(crate_dir: &Path) -> Result<f64> {
    let root = project_root()?;
    fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock"))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let started = Instant::now();
    let status = Command::new(cargo)
        .args(["check", "--quiet", "--all-features", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join(crate::SCRATCH_TARGET))
        .status()?;
    if !status.success() {
        return Err(format!(
            "the crate generated from the whole API does not compile warning-free ({})",
            crate_dir.display()
        )
        .into());
    }
    Ok(started.elapsed().as_secs_f64())
}
