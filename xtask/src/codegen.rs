//! `cargo xtask codegen [--check]`: regenerate `generated/` from the spec, or check that it is fresh.
//!
//! Writing is atomic in the sense that matters: the spec is fully validated and every file generated in memory
//! before the first byte is written, so a spec with errors leaves `generated/` exactly as it was. Only files whose
//! bytes differ are written, and files the generator no longer produces are removed. The curated spec is generated
//! with its imported tier (`spec/imported.json`) merged in.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{Result, project_root};

/// The command a person runs to fix a stale `generated/`.
pub const FIX: &str = "cargo xtask codegen";

/// Where to read and write.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The spec file.
    pub spec: PathBuf,
    /// The imported tier merged into it (`spec/imported.json` by default, when it exists; none with another
    /// `--spec`).
    pub imported: Option<PathBuf>,
    /// The changelog copied into the crate, if it exists.
    pub changelog: PathBuf,
    /// The crate directory.
    pub out: PathBuf,
    /// The directory of the `halo` command line's generated part (`cli/src/generated/`), if it is to be written or
    /// checked too; the rest of the CLI package is hand-written.
    pub cli_out: Option<PathBuf>,
}

impl Paths {
    /// The default paths of the checkout at `root`.
    pub fn in_root(root: &Path) -> Self {
        Paths {
            spec: root.join("spec/halopsa.json"),
            // A checkout without the tier (a scratch one) generates the curated spec alone.
            imported: Some(root.join(crate::import::TIER_PATH)).filter(|path| path.exists()),
            changelog: root.join("spec/CHANGELOG.md"),
            out: root.join("generated"),
            cli_out: Some(root.join("cli/src/generated")),
        }
    }

    /// The default paths of the checkout `cargo xtask` runs in ([`project_root`]).
    pub fn find() -> Result<Self> {
        Ok(Paths::in_root(&project_root()?))
    }
}

/// How `generated/` differs from what the spec produces.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Files the generator produces that are not on disk.
    pub missing: Vec<String>,
    /// Files whose contents differ, with a short diff each.
    pub changed: Vec<(String, String)>,
    /// Files on disk the generator does not produce.
    pub unexpected: Vec<String>,
}

impl Drift {
    /// Whether `generated/` is fresh.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.changed.is_empty() && self.unexpected.is_empty()
    }

    /// A readable report for CI logs: a summary line, every stale file, the first lines of each difference, and the
    /// command that fixes it (`cargo xtask codegen`).
    pub fn report(&self, out: &Path) -> String {
        self.report_with_fix(out, FIX)
    }

    /// [`Drift::report`] with the fix command spelled out (with the `--spec`/`--out` the check was run with).
    pub fn report_with_fix(&self, out: &Path, fix: &str) -> String {
        let out = display(out);
        let mut counts = Vec::new();
        for (count, what) in
            [(self.changed.len(), "changed"), (self.missing.len(), "missing"), (self.unexpected.len(), "unexpected")]
        {
            if count > 0 {
                counts.push(format!("{count} {what}"));
            }
        }
        let total = self.changed.len() + self.missing.len() + self.unexpected.len();
        let mut text = format!(
            "{out}/ is stale: {total} file{} differ from what the spec produces ({})\n",
            if total == 1 { "" } else { "s" },
            counts.join(", ")
        );
        for (path, diff) in &self.changed {
            text.push_str(&format!("  changed     {out}/{path}\n{diff}"));
        }
        for path in &self.missing {
            text.push_str(&format!("  missing     {out}/{path} (the generator produces it)\n"));
        }
        for path in &self.unexpected {
            text.push_str(&format!(
                "  unexpected  {out}/{path} (the generator does not produce it; a leftover or a hand edit?)\n"
            ));
        }
        text.push_str(&format!("fix: run `{fix}` and commit the result\n"));
        text
    }
}

/// `cargo xtask codegen [--check] [--spec PATH] [--imported PATH | --no-imported] [--out DIR]`: the imported tier is
/// `spec/imported.json` with the default spec, none with another unless `--imported` names one.
pub fn main(args: &[String]) -> Result<()> {
    let mut paths = Paths::find()?;
    let mut check_only = false;
    let mut imported_given = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check_only = true,
            "--spec" => {
                paths.spec = PathBuf::from(args.next().ok_or("--spec needs a path")?);
                // Another spec has no imported tier unless `--imported` names one.
                if !imported_given {
                    paths.imported = None;
                }
            }
            "--imported" => {
                paths.imported = Some(PathBuf::from(args.next().ok_or("--imported needs a path")?));
                imported_given = true;
            }
            "--no-imported" => {
                paths.imported = None;
                imported_given = true;
            }
            "--out" => {
                paths.out = PathBuf::from(args.next().ok_or("--out needs a directory")?);
                // Another crate directory is a scratch generation: the CLI is generated only with `--cli-out`.
                paths.cli_out = None;
            }
            "--cli-out" => paths.cli_out = Some(PathBuf::from(args.next().ok_or("--cli-out needs a directory")?)),
            "--changelog" => paths.changelog = PathBuf::from(args.next().ok_or("--changelog needs a path")?),
            other => return Err(format!("unknown argument `{other}` for `cargo xtask codegen`").into()),
        }
    }
    if check_only {
        let mut stale = Vec::new();
        for (dir, drift) in check_all(&paths)? {
            if drift.is_empty() {
                println!("{} is up to date", display(&dir));
            } else {
                eprint!("{}", drift.report_with_fix(&dir, &fix_command(&paths)));
                stale.push(display(&dir));
            }
        }
        if !stale.is_empty() {
            let verb = if stale.len() == 1 { "is" } else { "are" };
            return Err(format!("{} {verb} stale", stale.join(" and ")).into());
        }
        return Ok(());
    }
    let summary = write(&paths)?;
    println!("{summary}");
    Ok(())
}

/// The command that regenerates `paths.out` from `paths.spec`: `cargo xtask codegen`, plus `--spec`/`--out`/
/// `--changelog` where they are not the defaults.
pub fn fix_command(paths: &Paths) -> String {
    let defaults = Paths::find().ok();
    let mut command = FIX.to_owned();
    for (flag, path, default) in [
        ("--spec", &paths.spec, defaults.as_ref().map(|d| &d.spec)),
        ("--out", &paths.out, defaults.as_ref().map(|d| &d.out)),
        ("--changelog", &paths.changelog, defaults.as_ref().map(|d| &d.changelog)),
    ] {
        if Some(path) != default {
            command.push_str(&format!(" {flag} {}", display(path)));
        }
    }
    // `--spec` alone means no tier; say the tier wherever it is not what the command line would default to.
    let spec_is_default = defaults.as_ref().is_some_and(|d| d.spec == paths.spec);
    let implied = if spec_is_default { defaults.as_ref().and_then(|d| d.imported.clone()) } else { None };
    if paths.imported != implied {
        match &paths.imported {
            Some(path) => command.push_str(&format!(" --imported {}", display(path))),
            None => command.push_str(" --no-imported"),
        }
    }
    if let Some(cli_out) = &paths.cli_out
        && defaults.as_ref().and_then(|d| d.cli_out.as_ref()) != Some(cli_out)
    {
        command.push_str(&format!(" --cli-out {}", display(cli_out)));
    }
    command
}

/// Generates in memory from the spec at `paths.spec`.
pub fn generate(paths: &Paths) -> Result<Vec<codegen::GeneratedFile>> {
    let spec = fs::read_to_string(&paths.spec).map_err(|e| format!("cannot read {}: {e}", paths.spec.display()))?;
    let changelog = fs::read_to_string(&paths.changelog).ok();
    let spec_name = spec_name(&paths.spec);
    let tier = match &paths.imported {
        Some(path) => {
            let text = fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Some((text, self::spec_name(path)))
        }
        None => None,
    };
    let imported = tier.as_ref().map(|(spec, name)| codegen::Imported { spec, name });
    let input = codegen::Input { spec: &spec, spec_name: &spec_name, changelog: changelog.as_deref(), imported };
    codegen::generate(&input).map_err(|diagnostics| format!("{}: {diagnostics}", paths.spec.display()).into())
}

/// Generates the `halo` command line's generated part in memory from the spec at `paths.spec`.
pub fn generate_cli(paths: &Paths) -> Result<Vec<codegen::GeneratedFile>> {
    let spec = fs::read_to_string(&paths.spec).map_err(|e| format!("cannot read {}: {e}", paths.spec.display()))?;
    let spec_name = spec_name(&paths.spec);
    let input = codegen::Input { spec: &spec, spec_name: &spec_name, changelog: None, imported: None };
    codegen::generate_cli(&input).map_err(|diagnostics| format!("{}: {diagnostics}", paths.spec.display()).into())
}

/// How headers name the spec: relative to the repository when it is inside it.
fn spec_name(spec: &Path) -> String {
    let root = project_root().unwrap_or_default();
    let absolute = fs::canonicalize(spec).unwrap_or_else(|_| spec.to_path_buf());
    let root = fs::canonicalize(&root).unwrap_or(root);
    match absolute.strip_prefix(&root).ok().filter(|_| !root.as_os_str().is_empty()) {
        Some(relative) => relative.to_string_lossy().replace('\\', "/"),
        None => spec.file_name().map_or_else(|| spec.display().to_string(), |n| n.to_string_lossy().into_owned()),
    }
}

/// Compares what the spec produces with the crate on disk. Writes nothing.
pub fn check(paths: &Paths) -> Result<Drift> {
    compare(&generate(paths)?, &paths.out)
}

/// [`check`] for the crate and, with `paths.cli_out`, for the command line's generated part: each directory with
/// its drift.
pub fn check_all(paths: &Paths) -> Result<Vec<(PathBuf, Drift)>> {
    let mut all = vec![(paths.out.clone(), check(paths)?)];
    if let Some(cli_out) = &paths.cli_out {
        all.push((cli_out.clone(), compare(&generate_cli(paths)?, cli_out)?));
    }
    Ok(all)
}

fn compare(files: &[codegen::GeneratedFile], out: &Path) -> Result<Drift> {
    let on_disk = list_files(out)?;
    let mut drift = Drift::default();
    for file in files {
        match fs::read(out.join(&file.path)) {
            Err(_) => drift.missing.push(file.path.clone()),
            Ok(bytes) => {
                let current = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
                if current != file.contents {
                    drift.changed.push((file.path.clone(), short_diff(&current, &file.contents)));
                }
            }
        }
    }
    drift.unexpected = on_disk.into_iter().filter(|path| !files.iter().any(|file| &file.path == path)).collect();
    Ok(drift)
}

/// Writes the crate (and, with `paths.cli_out`, the command line's generated part): only files whose bytes differ,
/// and removes files no longer produced.
pub fn write(paths: &Paths) -> Result<String> {
    // Everything is generated (and the spec fully validated) before anything is touched.
    let files = generate(paths)?;
    let cli_files = paths.cli_out.as_ref().map(|_| generate_cli(paths)).transpose()?;
    let mut summary = write_tree(&files, &paths.out)?;
    if let (Some(cli_files), Some(cli_out)) = (&cli_files, &paths.cli_out) {
        summary.push('\n');
        summary.push_str(&write_tree(cli_files, cli_out)?);
    }
    Ok(summary)
}

fn write_tree(files: &[codegen::GeneratedFile], out: &Path) -> Result<String> {
    let drift = check_with(files, out)?;
    for file in files {
        let target = out.join(&file.path);
        if fs::read(&target).is_ok_and(|bytes| bytes == file.contents.as_bytes()) {
            continue;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        // Write to a sibling temp file and rename, so an interrupted run never leaves a half-written file.
        let temp = target.with_extension("xtask-tmp");
        fs::write(&temp, &file.contents)?;
        fs::rename(&temp, &target)?;
    }
    for path in &drift.unexpected {
        fs::remove_file(out.join(path))?;
    }
    remove_empty_dirs(out)?;
    Ok(format!(
        "{}: {} files, {} written, {} removed",
        display(out),
        files.len(),
        drift.missing.len() + drift.changed.len(),
        drift.unexpected.len()
    ))
}

fn check_with(files: &[codegen::GeneratedFile], out: &Path) -> Result<Drift> {
    let on_disk = list_files(out)?;
    let mut drift = Drift::default();
    for file in files {
        match fs::read(out.join(&file.path)) {
            Err(_) => drift.missing.push(file.path.clone()),
            Ok(bytes) if bytes != file.contents.as_bytes() => drift.changed.push((file.path.clone(), String::new())),
            Ok(_) => {}
        }
    }
    drift.unexpected = on_disk.into_iter().filter(|path| !files.iter().any(|file| &file.path == path)).collect();
    Ok(drift)
}

/// Every file under `dir` (relative, `/`-separated, sorted), skipping `target/` and hidden entries.
fn list_files(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "target" || name == "Cargo.lock" {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("below dir").to_string_lossy().replace('\\', "/");
                out.push(relative);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn remove_empty_dirs(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() && path.file_name().is_some_and(|n| n != "target") {
            remove_empty_dirs(&path)?;
            if fs::read_dir(&path)?.next().is_none() {
                fs::remove_dir(&path)?;
            }
        }
    }
    Ok(())
}

/// The first lines of a unified diff, enough for a CI log to show what is stale.
fn short_diff(old: &str, new: &str) -> String {
    const MAX_LINES: usize = 12;
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff.unified_diff().context_radius(1).header("on disk", "generated").to_string();
    let mut lines: Vec<&str> = text.lines().collect();
    let more = lines.len().saturating_sub(MAX_LINES);
    lines.truncate(MAX_LINES);
    let mut out: String = lines.iter().map(|line| format!("      {line}\n")).collect();
    if more > 0 {
        out.push_str(&format!("      ... {more} more diff lines\n"));
    }
    out
}

fn display(path: &Path) -> String {
    let Ok(root) = project_root() else { return path.display().to_string() };
    path.strip_prefix(&root).map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}
