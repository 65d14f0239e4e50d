//! `cargo xtask import`: bring the curated spec up to date from a Halo swagger document.
//!
//! The import adds what upstream has and the curated spec lacks (operations, parameters, properties, schemas) for
//! the resources in scope, and never changes a curated decision: names (schemas, tags), operationIds,
//! `x-halo-method`, `x-halo-upsert`, `x-halo-list-key`, list response shapes, types and descriptions stay as they are;
//! where upstream differs it says so ("kept"). What upstream no longer lists is reported and kept until a person
//! removes it. Upstream items pass through `normalize` (Halo's swagger defects) before they are compared or added.
//!
//! The spec is read and written with `openapi_json`, which keeps key order; its printer is serde_json's pretty format
//! plus a trailing newline, so a spec in that format comes back byte for byte when nothing changes.
//!
//! Every import that writes `spec/halopsa.json` also rewrites the imported tier, `spec/imported.json` (`tier`): the
//! rest of Halo's swagger, so a resource the import adds to the curated spec leaves the tier in the same change
//! (`cargo xtask import --resource X` is how a resource is promoted). `--tier` rewrites (or `--check`s) the tier
//! alone.

mod merge;
mod names;
mod normalize;
mod report;
mod tier;

use std::fs;
use std::path::{Path, PathBuf};

pub use merge::{EXCLUDED, INFERRED};
pub use report::{Entry, Kind, Report};
pub use tier::{Tier, build as build_tier};

/// Marks a tag of the imported tier (`spec/imported.json`): `"x-halo-imported": true`. The generator puts such a
/// resource behind an `unstable-*` feature, off by default and outside the crate's semver promise.
pub const IMPORTED: &str = "x-halo-imported";

/// The upstream swagger the imported tier is built from, and the default `--from`: kept in the repository, so a
/// fresh clone builds the same tier.
pub const UPSTREAM: &str = "spec/upstream/halo-swagger-2025-03.json";

/// Where the imported tier lives, relative to the checkout.
pub const TIER_PATH: &str = "spec/imported.json";

use crate::openapi_json::{self, Json, Object};
use crate::{Result, project_root};

const USAGE: &str = "usage: cargo xtask import [--from SWAGGER] [--resource NAME ...] [--spec PATH] [--all] [--dry-run]\n       \
    cargo xtask import --tier [--check]\n  \
    --from defaults to spec/upstream/halo-swagger-2025-03.json; --resource NAME of the imported tier promotes it to the \
    curated spec; --tier rewrites spec/imported.json from the curated spec and that swagger (--check: fail if stale)";

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these resources (a curated tag, Halo's tag, or the first path segment; a resource the spec lacks is added
    /// under the name given). Empty: every resource the curated spec has.
    pub resources: Vec<String>,
    /// Every resource of the swagger, adding the ones the spec lacks (named from their paths).
    pub all: bool,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The updated spec text.
    pub spec: String,
    /// Whether it differs from the input.
    pub changed: bool,
    /// What happened.
    pub report: Report,
}

/// Imports `swagger` into `curated` (or into an empty spec when `None`). Pure: no file system.
pub fn import(curated: Option<&str>, swagger: &str, options: &Options) -> Result<Outcome> {
    let upstream = openapi_json::parse(swagger).map_err(|e| format!("cannot parse the swagger document: {e}"))?;
    let Json::Object(upstream) = upstream else {
        return Err("the swagger document is not a JSON object; hint: pass Halo's swagger.json".into());
    };
    let spec = match curated {
        Some(text) => match openapi_json::parse(text).map_err(|e| format!("cannot parse the curated spec: {e}"))? {
            Json::Object(spec) => spec,
            _ => return Err("the curated spec is not a JSON object".into()),
        },
        None => skeleton(&upstream),
    };
    let (spec, report) = merge::run(spec, &upstream, options)?;
    let text = openapi_json::to_pretty(&Json::Object(spec));
    let changed = curated != Some(text.as_str());
    Ok(Outcome { spec: text, changed, report })
}

/// An empty spec that takes upstream's servers and security scheme.
fn skeleton(upstream: &Object) -> Object {
    let version = upstream.object("info").and_then(|info| info.str("version")).unwrap_or("v2");
    let info = Object::new()
        .with("title", "HaloPSA API")
        .with("version", version)
        .with("description", "Imported from Halo's published swagger by `cargo xtask import`.");
    let servers =
        upstream.get("servers").cloned().unwrap_or_else(|| vec![Object::new().with("url", "/api").into()].into());
    let mut spec = Object::new().with("openapi", upstream.str("openapi").unwrap_or("3.0.1")).with("info", info);
    spec.insert("servers", servers);
    if let Some(security) = upstream.get("security") {
        spec.insert("security", security.clone());
    }
    spec.insert("tags", Vec::<Json>::new());
    spec.insert("paths", Object::new());
    let mut components = Object::new().with("schemas", Object::new());
    if let Some(schemes) = upstream.object("components").and_then(|c| c.get("securitySchemes")) {
        components.insert("securitySchemes", schemes.clone());
    }
    spec.insert("components", components);
    spec
}

/// The tier's tags as (tag, Halo's tag), for naming a resource to promote.
fn tier_tags(tier: &str) -> Vec<(String, Option<String>)> {
    let Ok(Json::Object(tier)) = openapi_json::parse(tier) else { return Vec::new() };
    tier.array("tags")
        .into_iter()
        .flatten()
        .filter_map(|tag| {
            let name = tag.get("name").and_then(Json::as_str)?.to_owned();
            Some((name, tag.get("x-halo-name").and_then(Json::as_str).map(str::to_owned)))
        })
        .collect()
}

/// The tier's own name of a resource given as its tag, Halo's tag, its module or its feature (`Addressbook`,
/// `addressbook`, `unstable-addressbook`), so a promoted resource keeps its tag, and so its module, accessor and
/// models' names; a name the tier does not have is kept as given.
pub fn tier_name(tier: &str, name: &str) -> String {
    let bare = name.strip_prefix("unstable-").unwrap_or(name);
    let simple = |text: &str| text.chars().filter(|c| *c != '_').collect::<String>().to_ascii_lowercase();
    tier_tags(tier)
        .into_iter()
        .find(|(tag, halo)| simple(tag) == simple(bare) || halo.as_deref().is_some_and(|h| simple(h) == simple(bare)))
        .map_or_else(|| name.to_owned(), |(tag, _)| tag)
}

/// Writes `text` to `path` unless it is already there; says which.
fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if fs::read_to_string(path).ok().as_deref() == Some(text) {
        println!("{} is unchanged", path.display());
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Rebuilds the imported tier of the checkout at `root` from its curated spec text and the upstream swagger; with
/// `check`, fails when `spec/imported.json` differs instead of writing it.
fn rewrite_tier(root: &Path, curated: &str, check: bool) -> Result<Tier> {
    let upstream = root.join(UPSTREAM);
    let swagger = fs::read_to_string(&upstream).map_err(|e| format!("cannot read {}: {e}", upstream.display()))?;
    let tier = tier::build(curated, &swagger)?;
    let path = root.join(TIER_PATH);
    println!(
        "imported tier: {} resources, {} operations, {} models (from {UPSTREAM}, minus spec/halopsa.json)",
        tier.resources, tier.operations, tier.schemas
    );
    for route in &tier.unplaced {
        println!("  unplaced: {route} (a curated resource's operation, neither curated nor excluded)");
    }
    if check {
        if fs::read_to_string(&path).ok().as_deref() != Some(tier.spec.as_str()) {
            return Err(format!(
                "{TIER_PATH} is stale: it is not what spec/halopsa.json and {UPSTREAM} produce; hint: run \
                 `cargo xtask import --tier` and commit it (then `cargo xtask codegen`)"
            )
            .into());
        }
        println!("{TIER_PATH} is up to date");
    } else {
        write_if_changed(&path, &tier.spec)?;
    }
    Ok(tier)
}

/// Runs `cargo xtask import` with its arguments.
pub fn main(args: &[String]) -> Result<()> {
    let root = project_root()?;
    let mut from: Option<PathBuf> = None;
    let mut spec_path: Option<PathBuf> = None;
    let mut options = Options::default();
    let mut dry_run = false;
    let (mut tier_only, mut check) = (false, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--from" => from = Some(PathBuf::from(args.next().ok_or("--from needs a path to Halo's swagger.json")?)),
            "--spec" => spec_path = Some(PathBuf::from(args.next().ok_or("--spec needs a path")?)),
            "--resource" => {
                let names = args.next().ok_or("--resource needs a name, e.g. `--resource Agents`")?;
                options.resources.extend(names.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned));
            }
            "--all" => options.all = true,
            "--dry-run" => dry_run = true,
            "--tier" => tier_only = true,
            "--check" => check = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}` for `cargo xtask import`\n{USAGE}").into()),
        }
    }
    if tier_only {
        if from.is_some() || spec_path.is_some() || options.all || !options.resources.is_empty() || dry_run {
            return Err(format!("--tier takes no other argument but --check\n{USAGE}").into());
        }
        let curated_path = root.join("spec/halopsa.json");
        let curated =
            fs::read_to_string(&curated_path).map_err(|e| format!("cannot read {}: {e}", curated_path.display()))?;
        rewrite_tier(&root, &curated, check)?;
        return Ok(());
    }
    if check {
        return Err(format!("--check goes with --tier\n{USAGE}").into());
    }
    let from = from.unwrap_or_else(|| root.join(UPSTREAM));
    if options.all && !options.resources.is_empty() {
        return Err("--all and --resource exclude each other; hint: pick one".into());
    }
    if options.all && spec_path.is_none() {
        return Err("--all imports every resource (hundreds) and needs an explicit --spec; hint: \
                    `--spec target/halo-all.json` for a scratch spec; the imported tier (spec/imported.json) \
                    already has every resource the curated spec lacks"
            .into());
    }
    // The curated spec of this checkout (not a scratch `--spec`) has an imported tier to keep in step.
    let curated_spec = spec_path.is_none();
    let spec_path = spec_path.unwrap_or_else(|| root.join("spec/halopsa.json"));
    if curated_spec && let Ok(tier) = fs::read_to_string(root.join(TIER_PATH)) {
        // A resource of the tier keeps the tier's tag (and so its module, accessor and models' names).
        options.resources = options.resources.iter().map(|name| tier_name(&tier, name)).collect();
    }
    let swagger = fs::read_to_string(&from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    let curated = match fs::read_to_string(&spec_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && (options.all || !options.resources.is_empty()) => None,
        Err(e) => {
            return Err(format!(
                "cannot read {}: {e}; hint: to start a new spec, name what to import with --resource NAME or --all",
                spec_path.display()
            )
            .into());
        }
    };
    let outcome = import(curated.as_deref(), &swagger, &options)?;
    println!("import {} into {}", from.display(), spec_path.display());
    print!("{}", outcome.report);
    if !outcome.changed {
        println!("{} is unchanged", spec_path.display());
    } else if dry_run {
        println!("--dry-run: {} not written", spec_path.display());
    } else {
        write_if_changed(&spec_path, &outcome.spec)?;
    }
    if curated_spec && !dry_run {
        if from != root.join(UPSTREAM) {
            println!("note: the imported tier is built from {UPSTREAM}, not from {}", from.display());
        }
        rewrite_tier(&root, &outcome.spec, false)?;
        if outcome.changed {
            println!("next: `cargo xtask codegen`, then review `git diff spec/ generated/`");
        }
    }
    Ok(())
}
