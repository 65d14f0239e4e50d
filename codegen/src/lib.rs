//! The HaloPSA client generator: curated OpenAPI spec text in, the files of the `halopsa` crate out.
//!
//! Pure: no file system, no environment, no network (`xtask` does the writing). The stages, in order:
//! parse (`spec`) → validate (`validate`) → lower to the IR (`lower`, `names`, `docs`) → emit tokens (`emit`) →
//! format (`fmt`). Errors are collected per stage and reported all at once, each with its JSON pointer.

pub mod diagnostics;
mod docs;
mod emit;
mod fmt;
pub mod ir;
mod lower;
mod names;
mod spec;
mod syntax;
mod validate;

pub use diagnostics::{Diagnostic, Diagnostics};
pub use emit::{EXAMPLE_FILES, Example, RUNTIME_FILES};

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the crate root, with `/` separators (`src/agents.rs`).
    pub path: String,
    /// The whole file.
    pub contents: String,
}

/// What to generate from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The spec text (OpenAPI 3.0 JSON).
    pub spec: &'a str,
    /// How headers and docs name the spec (`spec/halopsa.json`).
    pub spec_name: &'a str,
    /// The API changelog copied into the crate as `CHANGELOG.md`, if any.
    pub changelog: Option<&'a str>,
    /// The imported tier (`spec/imported.json`), if any: a document of its own, merged into the spec before it is
    /// validated (its errors point into it), whose resources are generated behind `unstable-*` features.
    pub imported: Option<Imported<'a>>,
}

/// The imported tier's text and how errors name it.
#[derive(Debug, Clone, Copy)]
pub struct Imported<'a> {
    /// The tier's text (OpenAPI 3.0 JSON, every tag marked `x-halo-imported: true`).
    pub spec: &'a str,
    /// How errors name it (`spec/imported.json`).
    pub name: &'a str,
}

/// Generates every file of the crate, or every error in the spec.
pub fn generate(input: &Input<'_>) -> Result<Vec<GeneratedFile>, Diagnostics> {
    let api = lower_input(input)?;
    let mut files = format(emit::files(&api), input);
    if let Some(changelog) = input.changelog {
        files.push(GeneratedFile { path: "CHANGELOG.md".to_owned(), contents: changelog.replace("\r\n", "\n") });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Generates the generated part of the `halo` command line (`cli/src/generated/`, paths relative to it) from the
/// same IR: a table of every operation's arguments and flags, and a function per operation calling the crate's
/// request builder. The command line's core (`cli/src/*.rs`) is hand-written.
///
/// The imported tier is not part of it (`input.imported` is ignored): the command line covers the curated API, and
/// `halo request` the rest.
pub fn generate_cli(input: &Input<'_>) -> Result<Vec<GeneratedFile>, Diagnostics> {
    let api = lower_spec(input.spec, input.spec_name)?;
    Ok(format(emit::cli_files(&api), input))
}

fn format(files: Vec<(String, emit::Output)>, input: &Input<'_>) -> Vec<GeneratedFile> {
    files
        .into_iter()
        .map(|(path, output)| {
            let contents = match output {
                emit::Output::Rust(tokens) => fmt::rust(&path, tokens, input.spec_name),
                emit::Output::Verbatim { text, origin } => fmt::verbatim(text, &origin),
                emit::Output::Text(text) => text,
            };
            GeneratedFile { path, contents }
        })
        .collect()
}

/// Parses, validates and lowers a spec: the IR the emitters would see (snapshot it to review naming decisions).
pub fn lower_spec(spec_text: &str, spec_name: &str) -> Result<ir::Api, Diagnostics> {
    lower_input(&Input { spec: spec_text, spec_name, changelog: None, imported: None })
}

/// Parses, validates and lowers the spec of `input` with its imported tier merged in (`spec::merge_tier`): the IR
/// of the whole crate. Errors in the tier name it and point into it.
pub fn lower_input(input: &Input<'_>) -> Result<ir::Api, Diagnostics> {
    let mut spec = spec::parse(input.spec)?;
    let origin = match &input.imported {
        Some(tier) => {
            let parsed = spec::parse(tier.spec).map_err(|errors| errors.in_file(tier.name))?;
            Some(spec::merge_tier(&mut spec, parsed, tier.name)?)
        }
        None => None,
    };
    validate::validate(&spec).propagate().map_err(|errors| match &origin {
        Some(origin) => errors.locate(|pointer| origin.place(pointer)),
        None => errors,
    })?;
    Ok(lower::lower(&spec, input.spec_name))
}
