//! `cargo xtask api-diff`: what changed between two specs, resource by resource, for a pull request.
//!
//! Compares the API surface (`surface`) of two specs and sorts every change by Cargo's SemVer rules as they apply to
//! the generated code under ARCHITECTURE.md's "Public API policy": breaking (code that uses the crate may stop
//! compiling: a removed operation, query parameter (setter), model, property or enum value, a changed type, a
//! property that became (or stopped being) required, a renamed method or model) or additive (new operations, query
//! parameters, models, properties, enum values, resources: models and enums are `#[non_exhaustive]`, builders have
//! private fields). The report is Markdown, ready for a pull request or a CHANGELOG entry, with a semver hint for
//! 0.x versions (breaking → minor bump, additive → patch bump). `tests/semver_agreement.rs` checks the rules against
//! cargo-semver-checks.

mod surface;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::openapi_json;
use crate::{Result, project_root};
use surface::{Operation, Surface};

const USAGE: &str = "usage: cargo xtask api-diff OLD NEW [--changelog PATH] [--max-chars N [--full-report PATH]]\n  \
    OLD and NEW are spec files or git revisions as REV:PATH (e.g. HEAD~1:spec/halopsa.json)\n  \
    --max-chars N: print at most N characters (a pull-request body: 65536), the full report going to --full-report \
    (default target/api-diff.md)";

/// Where a spec comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file.
    File(PathBuf),
    /// A file at a git revision, read with `git show REV:PATH` (an empty revision means the index).
    Git {
        /// The revision (`HEAD~1`, `v0.1.0`, a commit).
        rev: String,
        /// The path inside the repository (`spec/halopsa.json`).
        path: String,
    },
}

/// Parses `OLD`/`NEW`: `REV:PATH` is a git revision, anything else a file. A Windows drive (`C:\...`) is a file.
/// `main` checks first whether the argument names an existing file, which always wins.
pub fn parse_source(arg: &str) -> Source {
    let bytes = arg.as_bytes();
    let drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && matches!(bytes[2], b'\\' | b'/');
    match arg.split_once(':') {
        Some((rev, path)) if !drive && !path.is_empty() => {
            Source::Git { rev: rev.to_owned(), path: path.trim_start_matches("./").to_owned() }
        }
        _ => Source::File(PathBuf::from(arg)),
    }
}

impl Source {
    /// Reads the spec text. Git revisions are read in the repository root.
    pub fn read(&self) -> Result<String> {
        match self {
            Source::File(path) => {
                fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
            }
            Source::Git { rev, path } => {
                let spec = format!("{rev}:{path}");
                let output = Command::new("git")
                    .arg("-C")
                    .arg(project_root()?)
                    .args(["show", &spec])
                    .output()
                    .map_err(|e| format!("cannot run git: {e}"))?;
                if !output.status.success() {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    return Err(format!(
                        "`git show {spec}` failed: {}; hint: the path is relative to the repository root",
                        stderr.trim()
                    )
                    .into());
                }
                String::from_utf8(output.stdout).map_err(|e| format!("{spec} is not UTF-8: {e}").into())
            }
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The resource it belongs to, or [`SHARED`].
    pub section: String,
    /// Whether code using the generated crate may stop compiling.
    pub breaking: bool,
    /// What changed, in Markdown.
    pub text: String,
    /// Whether it concerns a type the import inferred (`x-halo-inferred`) rather than one Halo documents.
    pub inferred: bool,
}

impl Change {
    /// The list item: the text, marked when it concerns an inferred type.
    fn line(&self) -> String {
        if self.inferred { format!("{} *(inferred)*", self.text) } else { self.text.clone() }
    }
}

/// The section of models no single resource owns.
pub const SHARED: &str = "Shared models";

/// Every change between two specs.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    /// How the old side was named.
    pub old_label: String,
    /// How the new side was named.
    pub new_label: String,
    /// The changes, in a stable order.
    pub changes: Vec<Change>,
}

/// The semver bump a diff calls for while the crate is 0.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bump {
    /// No API change.
    None,
    /// Additive only: 0.x.y → 0.x.(y+1).
    Patch,
    /// Something breaks: 0.x → 0.(x+1).
    Minor,
}

impl Diff {
    /// The breaking changes.
    pub fn breaking(&self) -> Vec<&Change> {
        self.changes.iter().filter(|c| c.breaking).collect()
    }

    /// The additive changes.
    pub fn additive(&self) -> Vec<&Change> {
        self.changes.iter().filter(|c| !c.breaking).collect()
    }

    /// The semver hint.
    pub fn bump(&self) -> Bump {
        if self.changes.is_empty() {
            Bump::None
        } else if self.changes.iter().any(|c| c.breaking) {
            Bump::Minor
        } else {
            Bump::Patch
        }
    }

    /// The heading, the semver hint, and what *(inferred)* means when a change is marked so.
    fn head(&self) -> String {
        let mut out = format!("## API changes: `{}` → `{}`\n\n", self.old_label, self.new_label);
        let (breaking, additive) = (self.breaking().len(), self.additive().len());
        let hint = match self.bump() {
            Bump::None => "**Semver:** no API changes, no release needed for the API.".to_owned(),
            Bump::Patch => format!(
                "**Semver:** {additive} additive change{}, nothing breaks: a **patch** bump (0.x.y → 0.x.(y+1)).",
                plural(additive)
            ),
            Bump::Minor => format!(
                "**Semver:** {breaking} breaking change{} and {additive} additive: a **minor** bump (0.x → 0.(x+1)).",
                plural(breaking)
            ),
        };
        out.push_str(&hint);
        out.push_str(
            "\nWhile the crate is 0.x, a breaking change takes a minor bump and an additive change a patch bump.\n",
        );
        if self.changes.iter().any(|c| c.inferred) {
            out.push_str(
                "Changes marked *(inferred)* concern a type the import inferred (`x-halo-inferred` in the spec), \
                 not one Halo documents.\n",
            );
        }
        out
    }

    /// The additive changes by section: resources alphabetically, shared models last.
    fn additive_by_section(&self) -> BTreeMap<(bool, &str), Vec<&Change>> {
        let mut sections: BTreeMap<(bool, &str), Vec<&Change>> = BTreeMap::new();
        for change in self.changes.iter().filter(|c| !c.breaking) {
            sections.entry((change.section == SHARED, change.section.as_str())).or_default().push(change);
        }
        sections
    }

    /// The report: a `##` heading and the semver hint, every breaking change in one short list (with its resource),
    /// then a `###` section per resource (alphabetical, shared models last) with the additive changes.
    pub fn to_markdown(&self) -> String {
        let mut out = self.head();
        if self.changes.is_empty() {
            return out;
        }
        out.push_str("\n### Breaking changes\n\n");
        let breaking = self.breaking();
        if breaking.is_empty() {
            out.push_str("None.\n");
        }
        for change in breaking {
            out.push_str(&format!("- **{}**: {}\n", change.section, change.line()));
        }
        for ((_, section), changes) in self.additive_by_section() {
            out.push_str(&format!("\n### {section}\n\n"));
            for change in changes {
                out.push_str(&format!("- {}\n", change.line()));
            }
        }
        out
    }

    /// The report in at most `max_chars` characters (a pull-request body: GitHub takes 65,536): the whole report if
    /// it fits; else the heading and hint, a pointer to the whole report at `full_report`, as many breaking changes
    /// as fit, and a count of the additive changes per resource. Errs when not even the heading fits.
    pub fn to_markdown_within(&self, max_chars: usize, full_report: &str) -> Result<String> {
        let full = self.to_markdown();
        let length = |text: &str| text.chars().count();
        if length(&full) <= max_chars {
            return Ok(full);
        }
        let mut out = self.head();
        out.push_str(&format!(
            "\nThis is the short report: the full one ({} changes, {} characters) is `{full_report}`.\n",
            self.changes.len(),
            length(&full)
        ));
        // Room for the two "... and N more" lines.
        const RESERVE: usize = 64;
        if length(&out) + RESERVE > max_chars {
            return Err(
                format!("--max-chars {max_chars} is too small: the heading alone takes {}", length(&out)).into()
            );
        }
        let mut used = length(&out);
        let mut push_lines = |out: &mut String, title: &str, lines: Vec<String>, noun: &str| {
            let header = format!("\n### {title}\n\n");
            used += length(&header);
            out.push_str(&header);
            let total = lines.len();
            for (shown, line) in lines.into_iter().enumerate() {
                if used + length(&line) + RESERVE > max_chars {
                    let more = format!("- ... and {} more {noun} (see the full report)\n", total - shown);
                    used += length(&more);
                    out.push_str(&more);
                    return;
                }
                used += length(&line);
                out.push_str(&line);
            }
        };
        let breaking: Vec<String> =
            self.breaking().iter().map(|c| format!("- **{}**: {}\n", c.section, c.line())).collect();
        let breaking = if breaking.is_empty() { vec!["None.\n".to_owned()] } else { breaking };
        push_lines(&mut out, "Breaking changes", breaking, "breaking changes");
        let counts: Vec<String> = self
            .additive_by_section()
            .into_iter()
            .map(|((_, section), changes)| {
                let inferred = changes.iter().filter(|c| c.inferred).count();
                let inferred = if inferred > 0 { format!(" ({inferred} inferred)") } else { String::new() };
                format!("- **{section}**: {} additive change{}{inferred}\n", changes.len(), plural(changes.len()))
            })
            .collect();
        push_lines(&mut out, "Additive changes per resource", counts, "resources");
        Ok(out)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Compares two spec texts.
pub fn diff(old: &str, new: &str, old_label: &str, new_label: &str) -> Result<Diff> {
    let old = openapi_json::parse(old).map_err(|e| format!("cannot parse {old_label}: {e}"))?;
    let new = openapi_json::parse(new).map_err(|e| format!("cannot parse {new_label}: {e}"))?;
    let (old, new) = (Surface::of(&old), Surface::of(&new));
    let mut changes = Vec::new();
    resources(&old, &new, &mut changes);
    operations(&old, &new, &mut changes);
    models(&old, &new, &mut changes);
    Ok(Diff { old_label: old_label.to_owned(), new_label: new_label.to_owned(), changes })
}

fn push(changes: &mut Vec<Change>, section: &str, breaking: bool, text: String) {
    changes.push(Change { section: section.to_owned(), breaking, text, inferred: false });
}

/// Marks the change just pushed as concerning an inferred type.
fn mark_last_inferred(changes: &mut [Change], inferred: bool) {
    if let Some(last) = changes.last_mut() {
        last.inferred |= inferred;
    }
}

/// Marks the changes pushed since `from` as concerning an inferred type.
fn mark_inferred(changes: &mut [Change], from: usize, inferred: bool) {
    if inferred {
        changes[from..].iter_mut().for_each(|change| change.inferred = true);
    }
}

fn resources(old: &Surface, new: &Surface, changes: &mut Vec<Change>) {
    for name in new.resources.keys().filter(|name| !old.resources.contains_key(*name)) {
        let module = openapi_json::snake_case(name);
        let text = format!("new resource `{name}`: `client.{module}()`, cargo feature `{module}`");
        push(changes, name, false, text);
    }
    for name in old.resources.keys().filter(|name| !new.resources.contains_key(*name)) {
        let module = openapi_json::snake_case(name);
        push(changes, name, true, format!("removed resource `{name}` (`client.{module}()`, feature `{module}`)"));
    }
}

fn operation_name(operation: &Operation) -> String {
    format!("`{} {}` (`{}`)", operation.method, operation.path, operation.call)
}

fn operations(old: &Surface, new: &Surface, changes: &mut Vec<Change>) {
    for (key, operation) in &new.operations {
        if !old.operations.contains_key(key) {
            push(changes, &operation.resource, false, format!("added operation {}", operation_name(operation)));
            mark_last_inferred(changes, operation.response_inferred);
        }
    }
    for (key, operation) in &old.operations {
        let Some(now) = new.operations.get(key) else {
            push(changes, &operation.resource, true, format!("removed operation {}", operation_name(operation)));
            continue;
        };
        let section = now.resource.as_str();
        let name = operation_name(now);
        if operation.resource != now.resource {
            let text = format!("moved {name} from resource `{}` to `{}`", operation.resource, now.resource);
            push(changes, section, true, text);
        } else if operation.call != now.call {
            push(changes, section, true, format!("renamed `{}` to `{}` for {name}", operation.call, now.call));
        }
        if operation.upsert != now.upsert {
            let text = if now.upsert {
                format!("{name} became a create-or-update (`create()`/`update()`)")
            } else {
                format!("{name} is no longer a create-or-update")
            };
            push(changes, section, true, text);
        }
        parameters(operation, now, section, &name, changes);
        for (what, before, after) in
            [("request body", &operation.body, &now.body), ("response", &operation.response, &now.response)]
        {
            if before != after {
                let shown = |t: &Option<String>| t.clone().unwrap_or_else(|| "none".to_owned());
                let text = format!("{what} of {name} changed from {} to {}", shown(before), shown(after));
                push(changes, section, true, text);
                let inferred = what == "response" && (operation.response_inferred || now.response_inferred);
                mark_last_inferred(changes, inferred);
            }
        }
    }
}

fn parameters(before: &Operation, after: &Operation, section: &str, name: &str, changes: &mut Vec<Change>) {
    let find = |ops: &Operation, param: &surface::Param| {
        ops.params.iter().find(|p| p.name == param.name && p.location == param.location).cloned()
    };
    for param in &after.params {
        match find(before, param) {
            None => {
                // A query parameter is a setter whether Halo requires it or not (a new method: not breaking); a new
                // path parameter changes the path, so the operation shows as removed and added.
                let required = if param.required { "required " } else { "" };
                let text =
                    format!("added {required}{} parameter `{}` ({}) to {name}", param.location, param.name, param.ty);
                push(changes, section, param.required && param.location != "query", text);
            }
            Some(old) => {
                if old.ty != param.ty {
                    let text = format!(
                        "type of {} parameter `{}` of {name} changed from {} to {}",
                        param.location, param.name, old.ty, param.ty
                    );
                    push(changes, section, true, text);
                }
                if old.required != param.required {
                    let text = if param.required {
                        format!("{} parameter `{}` of {name} became required", param.location, param.name)
                    } else {
                        format!("{} parameter `{}` of {name} is no longer required", param.location, param.name)
                    };
                    // Only documentation changes for a query parameter (its setter stays); code that does not set a
                    // newly required one still compiles, but Halo may refuse the request: the text says so.
                    push(changes, section, param.location != "query", text);
                }
            }
        }
    }
    for param in &before.params {
        if find(after, param).is_none() {
            let text = format!("removed {} parameter `{}` ({}) of {name}", param.location, param.name, param.ty);
            push(changes, section, true, text);
        }
    }
}

fn models(old: &Surface, new: &Surface, changes: &mut Vec<Change>) {
    let (old_owners, new_owners) = (old.owners(), new.owners());
    let section = |owners: &BTreeMap<String, Option<String>>, name: &str| {
        owners.get(name).cloned().flatten().unwrap_or_else(|| SHARED.to_owned())
    };
    // A model renamed by curation keeps its `x-halo-name`: report a rename instead of a removal and an addition.
    let mut renamed: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, model) in &old.models {
        if new.models.contains_key(name) {
            continue;
        }
        let Some(halo) = &model.halo else { continue };
        let successor = new.models.iter().find(|(n, m)| !old.models.contains_key(*n) && m.halo.as_ref() == Some(halo));
        if let Some((new_name, _)) = successor {
            renamed.insert(new_name, name);
            let text = format!("renamed model `{name}` to `{new_name}` (Halo `{halo}`)");
            push(changes, &section(&new_owners, new_name), true, text);
        }
    }
    for name in new.models.keys() {
        if !old.models.contains_key(name) && !renamed.contains_key(name.as_str()) {
            push(changes, &section(&new_owners, name), false, format!("added model `{name}`"));
            mark_last_inferred(changes, new.models[name].inferred);
        }
    }
    for name in old.models.keys() {
        if !new.models.contains_key(name) && !renamed.values().any(|old_name| old_name == name) {
            push(changes, &section(&old_owners, name), true, format!("removed model `{name}`"));
            mark_last_inferred(changes, old.models[name].inferred);
        }
    }
    for (name, now) in &new.models {
        let old_name = renamed.get(name.as_str()).copied().unwrap_or(name);
        let Some(before) = old.models.get(old_name) else { continue };
        let from = changes.len();
        let section = section(&new_owners, name);
        if before.shape != now.shape {
            let text = format!("model `{name}` changed from {} to {}", before.shape, now.shape);
            push(changes, &section, true, text);
        }
        if before.list_key != now.list_key {
            let text = format!("list key of `{name}` changed from {:?} to {:?}", before.list_key, now.list_key);
            push(changes, &section, true, text);
        }
        for (property, ty) in &now.properties {
            match before.properties.iter().find(|(p, _)| p == property) {
                // Models are `#[non_exhaustive]`: a new field (and its setter) breaks nobody, required or not.
                None => {
                    let required = if now.required.contains(property) { "required " } else { "" };
                    push(changes, &section, false, format!("added {required}property `{name}.{property}` ({ty})"));
                    continue;
                }
                Some((_, old_ty)) if old_ty != ty => {
                    let text = format!("type of `{name}.{property}` changed from {old_ty} to {ty}");
                    push(changes, &section, true, text);
                }
                Some(_) => {}
            }
            if before.required.contains(property) != now.required.contains(property) {
                let text = if now.required.contains(property) {
                    format!("`{name}.{property}` became required (no longer an `Option`)")
                } else {
                    format!("`{name}.{property}` is no longer required (now an `Option`)")
                };
                push(changes, &section, true, text);
            }
        }
        for (property, ty) in &before.properties {
            if !now.properties.iter().any(|(p, _)| p == property) {
                push(changes, &section, true, format!("removed property `{name}.{property}` ({ty})"));
            }
        }
        for value in &now.enum_values {
            if !before.enum_values.contains(value) {
                push(changes, &section, false, format!("added enum value {value} to `{name}`"));
            }
        }
        for value in &before.enum_values {
            if !now.enum_values.contains(value) {
                push(changes, &section, true, format!("removed enum value {value} from `{name}`"));
            }
        }
        // A variant renamed through `x-enum-varnames` (`Value3` → `Site`) breaks every use of the old name.
        let name_of = |model: &surface::Model, value: &String| {
            let index = model.enum_values.iter().position(|v| v == value)?;
            Some(model.enum_names.get(index).cloned().flatten())
        };
        for value in &now.enum_values {
            let (Some(old), Some(new)) = (name_of(before, value), name_of(now, value)) else { continue };
            if old != new {
                let label =
                    |n: Option<String>| n.map_or("the generator's default name".to_owned(), |n| format!("`{n}`"));
                push(
                    changes,
                    &section,
                    true,
                    format!(
                        "renamed the variant of enum value {value} of `{name}` from {} to {}",
                        label(old),
                        label(new)
                    ),
                );
            }
        }
        mark_inferred(changes, from, before.inferred || now.inferred);
    }
}

/// Prepends `entry` to a changelog (after its title and introduction, before the first `## ` entry); creates the
/// changelog when there is none.
pub fn prepend_changelog(existing: Option<&str>, entry: &str) -> String {
    let entry = entry.trim_end();
    let Some(existing) = existing else {
        return format!("# Changelog\n\n{entry}\n");
    };
    let mut offset = 0;
    for line in existing.split_inclusive('\n') {
        if line.starts_with("## ") {
            return format!("{}{entry}\n\n{}", &existing[..offset], &existing[offset..]);
        }
        offset += line.len();
    }
    let mut text = existing.trim_end().to_owned();
    text.push_str(&format!("\n\n{entry}\n"));
    text
}

/// Runs `cargo xtask api-diff` with its arguments.
pub fn main(args: &[String]) -> Result<()> {
    let mut sides = Vec::new();
    let mut changelog: Option<PathBuf> = None;
    let mut max_chars: Option<usize> = None;
    let mut full_report: Option<PathBuf> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--changelog" => {
                let path = args.next().ok_or("--changelog needs a path, e.g. `--changelog spec/CHANGELOG.md`")?;
                changelog = Some(PathBuf::from(path));
            }
            "--max-chars" => {
                let n = args.next().ok_or("--max-chars needs a number, e.g. `--max-chars 65536`")?;
                max_chars =
                    Some(n.parse().map_err(|_| format!("--max-chars takes a number of characters, not `{n}`"))?);
            }
            "--full-report" => {
                let path = args.next().ok_or("--full-report needs a path, e.g. `--full-report target/api-diff.md`")?;
                full_report = Some(PathBuf::from(path));
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other if other.starts_with("--") => {
                return Err(format!("unknown argument `{other}` for `cargo xtask api-diff`\n{USAGE}").into());
            }
            side => sides.push(side.to_owned()),
        }
    }
    let [old, new] = sides.as_slice() else {
        return Err(format!("api-diff needs two specs, got {}\n{USAGE}", sides.len()).into());
    };
    let source =
        |arg: &str| if Path::new(arg).is_file() { Source::File(PathBuf::from(arg)) } else { parse_source(arg) };
    let (old_text, new_text) = (source(old).read()?, source(new).read()?);
    let diff = diff(&old_text, &new_text, old, new)?;
    let report = diff.to_markdown();
    match max_chars {
        Some(max) if report.chars().count() > max => {
            let path = match full_report {
                Some(path) => path,
                None => crate::project_root()?.join("target/api-diff.md"),
            };
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            print!("{}", diff.to_markdown_within(max, &path.display().to_string())?);
            eprintln!("the full report ({} characters) is in {}", report.chars().count(), path.display());
        }
        _ => print!("{report}"),
    }
    if let Some(path) = changelog {
        let existing = fs::read_to_string(&path).ok();
        fs::write(&path, prepend_changelog(existing.as_deref(), &report))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("prepended the report to {}", path.display());
    }
    Ok(())
}
