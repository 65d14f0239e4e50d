//! `cargo xtask api-diff`: what changed between two specs, resource by resource, for a pull request.
//!
//! Lowers both specs with the generator (`codegen::lower_spec`) and compares their API surface (`surface`): the
//! names and Rust types the emitters will write, after the keyword table and the collision rule, so a spec change
//! that generates the same Rust (`integer` → `int64`, `date` → `date-time`) is no change, and one the generator turns
//! into a rename (a `_2` suffix moving, a fallback variant becoming `Other2`) is seen. Every change is sorted by
//! Cargo's SemVer rules as they apply to the generated code under ARCHITECTURE.md's "Public API policy": breaking
//! (code that uses the crate may stop compiling, or compiles and means something else: a removed operation, setter,
//! model, field or enum value, a changed type, a field that became (or stopped being) required, a renamed method,
//! builder, model or variant) or additive (new operations, setters, models, fields, enum values, resources: models
//! and enums are `#[non_exhaustive]`, builders have private fields). The report is Markdown, ready for a pull request
//! or a CHANGELOG entry, with a semver hint for 0.x versions (breaking → minor bump, additive → patch bump).
//! `tests/semver_agreement.rs` checks the rules against cargo-semver-checks.

mod surface;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::openapi_json;
use crate::{Result, project_root};
pub use surface::SHARED;
use surface::{Field, ModelKind, Operation, Surface};

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

/// Compares two spec texts: each is lowered by the generator (`codegen::lower_spec`), so both sides are named and
/// typed exactly as `cargo xtask codegen` would generate them.
pub fn diff(old: &str, new: &str, old_label: &str, new_label: &str) -> Result<Diff> {
    let (old, new) = (read_surface(old, old_label)?, read_surface(new, new_label)?);
    let mut changes = Vec::new();
    resources(&old, &new, &mut changes);
    operations(&old, &new, &mut changes);
    models(&old, &new, &mut changes);
    Ok(Diff { old_label: old_label.to_owned(), new_label: new_label.to_owned(), changes })
}

fn read_surface(text: &str, label: &str) -> Result<Surface> {
    let json = openapi_json::parse(text).map_err(|e| format!("cannot parse {label}: {e}"))?;
    let api = codegen::lower_spec(text, label)
        .map_err(|errors| format!("{label} is not a spec the generator accepts:\n{errors}"))?;
    Ok(Surface::of(&api, &json))
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
    for (module, resource) in &new.resources {
        match old.resources.get(module) {
            None => {
                let text = format!("new resource `{}`: `client.{module}()`, cargo feature `{module}`", resource.tag);
                push(changes, &resource.tag, false, text);
            }
            Some(before) if before.type_name != resource.type_name => {
                let text = format!(
                    "renamed the type of `client.{module}()` from `{module}::{}` to `{module}::{}`",
                    before.type_name, resource.type_name
                );
                push(changes, &resource.tag, true, text);
            }
            Some(_) => {}
        }
    }
    for (module, resource) in &old.resources {
        if !new.resources.contains_key(module) {
            let text = format!("removed resource `{}` (`client.{module}()`, feature `{module}`)", resource.tag);
            push(changes, &resource.tag, true, text);
        }
    }
    for feature in new.extra_features.iter().filter(|f| !old.extra_features.contains(f)) {
        push(changes, SHARED, false, format!("new cargo feature `{feature}`"));
    }
    for feature in old.extra_features.iter().filter(|f| !new.extra_features.contains(f)) {
        push(changes, SHARED, true, format!("removed cargo feature `{feature}`"));
    }
}

fn operation_name(operation: &Operation) -> String {
    format!("`{} {}` (`{}`)", operation.method, operation.path, operation.call())
}

fn operations(old: &Surface, new: &Surface, changes: &mut Vec<Change>) {
    for (key, operation) in &new.operations {
        if !old.operations.contains_key(key) {
            push(changes, &operation.section, false, format!("added operation {}", operation_name(operation)));
            mark_last_inferred(changes, operation.response_inferred);
        }
    }
    for (key, operation) in &old.operations {
        let Some(now) = new.operations.get(key) else {
            push(changes, &operation.section, true, format!("removed operation {}", operation_name(operation)));
            continue;
        };
        let section = now.section.as_str();
        let name = operation_name(now);
        let mut breaking = |text: String| push(changes, section, true, text);
        if operation.module != now.module {
            breaking(format!("moved {name} from resource `{}` to `{}`", operation.section, now.section));
        } else if operation.method_name != now.method_name {
            breaking(format!("renamed `{}` to `{}` for {name}", operation.call(), now.call()));
        }
        if operation.builder != now.builder {
            breaking(format!(
                "renamed the builder of {name} from `{}::{}` to `{}::{}`",
                operation.module, operation.builder, now.module, now.builder
            ));
        }
        if operation.args != now.args {
            breaking(format!(
                "the arguments of {name} changed from `({})` to `({})`",
                operation.args.join(", "),
                now.args.join(", ")
            ));
        }
        if operation.body != now.body {
            let shown = |body: &Option<String>| body.as_ref().map_or("none".to_owned(), |b| format!("`{b}`"));
            breaking(format!("request body of {name} changed from {} to {}", shown(&operation.body), shown(&now.body)));
        }
        if operation.response != now.response {
            breaking(format!("response of {name} changed from `{}` to `{}`", operation.response, now.response));
            mark_last_inferred(changes, operation.response_inferred || now.response_inferred);
        }
        // Paging or not, a list has the same methods (`pages()`, `stream()`, `all()`): what changes is behaviour.
        if operation.paged != now.paged {
            let text = if now.paged {
                format!("{name} now pages through the results (`pageinate`, `page_no`, `page_size`)")
            } else {
                format!("{name} no longer pages: one request, one page")
            };
            push(changes, section, false, text);
        }
        if operation.deprecated != now.deprecated {
            let text = if now.deprecated {
                format!("{name} is deprecated")
            } else {
                format!("{name} is no longer deprecated")
            };
            push(changes, section, false, text);
        }
        parameters(operation, now, section, &name, changes);
    }
}

fn parameters(before: &Operation, after: &Operation, section: &str, name: &str, changes: &mut Vec<Change>) {
    for (wire, param) in &after.query {
        let Some(old) = before.query.get(wire) else {
            // A query parameter is a setter whether Halo requires it or not: a new method, not breaking.
            let required = if param.required { "required " } else { "" };
            let text =
                format!("added {required}query parameter `{wire}` (`.{}({})`) to {name}", param.rust_name, param.ty);
            push(changes, section, false, text);
            continue;
        };
        if old.rust_name != param.rust_name {
            let text = format!(
                "renamed the setter of query parameter `{wire}` of {name} from `.{}()` to `.{}()`",
                old.rust_name, param.rust_name
            );
            push(changes, section, true, text);
        }
        if old.ty != param.ty {
            let text =
                format!("type of query parameter `{wire}` of {name} changed from `{}` to `{}`", old.ty, param.ty);
            push(changes, section, true, text);
        }
        if old.required != param.required {
            let text = if param.required {
                format!("query parameter `{wire}` of {name} became required")
            } else {
                format!("query parameter `{wire}` of {name} is no longer required")
            };
            // Only documentation changes (the setter stays); code that does not set a newly required one still
            // compiles, but Halo may refuse the request: the text says so.
            push(changes, section, false, text);
        }
    }
    for (wire, param) in &before.query {
        if !after.query.contains_key(wire) {
            let text = format!("removed query parameter `{wire}` (`.{}({})`) of {name}", param.rust_name, param.ty);
            push(changes, section, true, text);
        }
    }
}

fn models(old: &Surface, new: &Surface, changes: &mut Vec<Change>) {
    // A model renamed by curation keeps its `x-halo-name`: report a rename instead of a removal and an addition.
    let mut renamed: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, model) in &old.models {
        if new.models.contains_key(name) {
            continue;
        }
        let Some(halo) = &model.halo else { continue };
        let successor = new.models.iter().find(|(n, m)| {
            !old.models.contains_key(*n) && m.halo.as_ref() == Some(halo) && !renamed.contains_key(n.as_str())
        });
        if let Some((new_name, now)) = successor {
            renamed.insert(new_name, name);
            let text = format!("renamed model `{name}` to `{new_name}` (Halo `{halo}`)");
            push(changes, &now.section, true, text);
        }
    }
    for (name, model) in &new.models {
        if !old.models.contains_key(name) && !renamed.contains_key(name.as_str()) {
            push(changes, &model.section, false, format!("added model `{name}`"));
            mark_last_inferred(changes, model.inferred);
        }
    }
    for (name, model) in &old.models {
        if !new.models.contains_key(name) && !renamed.values().any(|old_name| old_name == name) {
            push(changes, &model.section, true, format!("removed model `{name}`"));
            mark_last_inferred(changes, model.inferred);
        }
    }
    for (name, now) in &new.models {
        let old_name = renamed.get(name.as_str()).copied().unwrap_or(name);
        let Some(before) = old.models.get(old_name) else { continue };
        let from = changes.len();
        let section = now.section.as_str();
        match (&before.kind, &now.kind) {
            (ModelKind::Struct { fields: old_fields, methods: old_methods }, ModelKind::Struct { fields, methods }) => {
                struct_changes(name, (old_fields, fields), section, changes);
                for method in methods.iter().filter(|m| !old_methods.contains(m)) {
                    push(changes, section, false, format!("added method `{name}::{method}()`"));
                }
                for method in old_methods.iter().filter(|m| !methods.contains(m)) {
                    push(changes, section, true, format!("removed method `{name}::{method}()`"));
                }
            }
            (
                ModelKind::Enum { repr: old_repr, variants: old_variants, fallback: old_fallback },
                ModelKind::Enum { repr, variants, fallback },
            ) => {
                if old_repr != repr {
                    let text = format!("`{name}` changed from a {old_repr} enum to a {repr} enum");
                    push(changes, section, true, text);
                }
                let find = |list: &[(String, String)], value: &str| {
                    list.iter().find(|(v, _)| v == value).map(|(_, variant)| variant.clone())
                };
                for (value, variant) in variants {
                    match find(old_variants, value) {
                        None => {
                            let text = format!("added enum value {value} to `{name}` (`{name}::{variant}`)");
                            push(changes, section, false, text);
                        }
                        // A variant renamed through `x-enum-varnames` (`Value3` → `Site`), or by the collision
                        // rule, breaks every use of the old name.
                        Some(old_variant) if old_variant != *variant => {
                            let text = format!(
                                "renamed the variant of enum value {value} of `{name}` from `{old_variant}` to `{variant}`"
                            );
                            push(changes, section, true, text);
                        }
                        Some(_) => {}
                    }
                }
                for (value, variant) in old_variants {
                    if find(variants, value).is_none() {
                        let text = format!("removed enum value {value} from `{name}` (`{name}::{variant}`)");
                        push(changes, section, true, text);
                    }
                }
                if old_fallback != fallback {
                    let text = format!(
                        "renamed the fallback variant of `{name}` from `{name}::{old_fallback}` to `{name}::{fallback}`"
                    );
                    push(changes, section, true, text);
                }
            }
            (ModelKind::Alias(old_target), ModelKind::Alias(target)) if old_target != target => {
                let text = format!("`{name}` changed from `{old_target}` to `{target}`");
                push(changes, section, true, text);
            }
            (ModelKind::Alias(_), ModelKind::Alias(_)) => {}
            (old_kind, kind) => {
                let text = format!("model `{name}` changed from a {} to a {}", old_kind.label(), kind.label());
                push(changes, section, true, text);
            }
        }
        mark_inferred(changes, from, before.inferred || now.inferred);
    }
}

/// The fields of one struct, by Rust name: what code using the crate writes.
fn struct_changes(
    name: &str,
    (before, after): (&BTreeMap<String, Field>, &BTreeMap<String, Field>),
    section: &str,
    changes: &mut Vec<Change>,
) {
    for (field, now) in after {
        let Some(old) = before.get(field) else {
            // Models are `#[non_exhaustive]`: a new field (and its setter) breaks nobody, required or not.
            let text = match &now.wire {
                Some(wire) => {
                    let required = if now.optional { "" } else { "required " };
                    format!("added {required}property `{wire}` to `{name}` (`{field}: {}`)", now.ty())
                }
                None => format!("`{name}.{field}` keeps the unknown fields (`{}`)", now.ty()),
            };
            push(changes, section, false, text);
            continue;
        };
        if old.inner != now.inner {
            let text = format!("type of `{name}.{field}` changed from `{}` to `{}`", old.ty(), now.ty());
            push(changes, section, true, text);
        } else if old.optional != now.optional {
            let text = if now.optional {
                format!("`{name}.{field}` is no longer required (now an `Option`)")
            } else {
                format!("`{name}.{field}` became required (no longer an `Option`)")
            };
            push(changes, section, true, text);
        }
        // The collision rule gave the field's name to another property (`_signature` had `signature`, and the spec
        // gained `signature`): it compiles as before, but reads and writes something else.
        if old.wire != now.wire {
            let text = format!(
                "`{name}.{field}` now holds {} instead of {}: code using it compiles but means another property",
                now.wire_label(),
                old.wire_label()
            );
            push(changes, section, true, text);
        }
    }
    for (field, old) in before {
        if !after.contains_key(field) {
            let text = match &old.wire {
                Some(wire) => format!("removed property `{wire}` of `{name}` (`{field}: {}`)", old.ty()),
                None => format!("removed `{name}.{field}`, which kept the unknown fields"),
            };
            push(changes, section, true, text);
        }
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
