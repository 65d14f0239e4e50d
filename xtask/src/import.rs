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

mod merge;
mod names;
mod normalize;
mod report;

use std::fs;
use std::path::PathBuf;

pub use merge::{EXCLUDED, INFERRED};
pub use report::{Entry, Kind, Report};

use crate::openapi_json::{self, Json, Object};
use crate::{Result, project_root};

const USAGE: &str = "usage: cargo xtask import --from SWAGGER [--resource NAME ...] [--spec PATH] [--all] [--dry-run]";

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

/// Runs `cargo xtask import` with its arguments.
pub fn main(args: &[String]) -> Result<()> {
    let mut from: Option<PathBuf> = None;
    let mut spec_path: Option<PathBuf> = None;
    let mut options = Options::default();
    let mut dry_run = false;
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
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}` for `cargo xtask import`\n{USAGE}").into()),
        }
    }
    let from = from.ok_or_else(|| format!("missing --from SWAGGER\n{USAGE}"))?;
    if options.all && !options.resources.is_empty() {
        return Err("--all and --resource exclude each other; hint: pick one".into());
    }
    if options.all && spec_path.is_none() {
        return Err("--all imports every resource (hundreds) and needs an explicit --spec; hint: \
                    `--spec target/halo-all.json` for a scratch spec"
            .into());
    }
    let spec_path = match spec_path {
        Some(path) => path,
        None => project_root()?.join("spec/halopsa.json"),
    };
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
        if let Some(parent) = spec_path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&spec_path, &outcome.spec).map_err(|e| format!("cannot write {}: {e}", spec_path.display()))?;
        println!("wrote {}", spec_path.display());
    }
    Ok(())
}
