//! The reserved-name tables of `lower` against what they protect, so a runtime or emitter change cannot leave them
//! stale (a spec tag `Whoami` made an accessor `whoami` beside `Client::whoami`: E0592).
//!
//! The runtime is parsed with syn for every method `Client` has (any visibility: an inherent method of the same
//! name in a resource module is a duplicate definition either way; and the methods of the traits it implements or
//! derives, which an accessor would shadow in method calls). The code generated from every fixture and the curated
//! spec is scanned for the names it uses unqualified or defines besides the names the IR gives (builder helpers and
//! fields, a resource module's imports and prelude names, the models' prelude names, and the crate root's modules,
//! imports and the crates generated code names as a path root).

use std::collections::BTreeSet;
use std::path::Path;

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::ext::IdentExt;

use super::{BUILDER_RESERVED, CLIENT_METHODS, CRATE_MODULES, MODEL_RESERVED, MODULE_RESERVED};
use crate::emit::RUNTIME_FILES;
use crate::ir::{Api, TypeKind};

/// Every name `table` lacks of `needed`, for a failure that says what to add.
fn missing(table: &[&str], needed: &BTreeSet<String>) -> Vec<String> {
    needed.iter().filter(|name| !table.contains(&name.as_str())).cloned().collect()
}

#[test]
fn client_methods_cover_every_method_of_the_runtime_client() {
    let mut methods = BTreeSet::new();
    for (name, text) in RUNTIME_FILES {
        let file = syn::parse_file(text).unwrap_or_else(|e| panic!("runtime/{name}: {e}"));
        client_methods(&file.items, &mut methods);
    }
    assert!(methods.contains("whoami") && methods.contains("request"), "{methods:?}");
    let missing = missing(CLIENT_METHODS, &methods);
    assert!(missing.is_empty(), "add to CLIENT_METHODS (methods of the runtime's Client): {missing:?}");
}

fn client_methods(items: &[syn::Item], out: &mut BTreeSet<String>) {
    let is_client = |ty: &syn::Type| matches!(ty, syn::Type::Path(p) if p.path.is_ident("Client"));
    for item in items {
        match item {
            syn::Item::Impl(block) if is_client(&block.self_ty) => {
                for item in &block.items {
                    if let syn::ImplItem::Fn(method) = item {
                        out.insert(method.sig.ident.to_string());
                    }
                }
            }
            syn::Item::Struct(s) if s.ident == "Client" => {
                for attr in s.attrs.iter().filter(|a| a.path().is_ident("derive")) {
                    let derived = attr.meta.require_list().expect("derive(...)").tokens.to_string();
                    if derived.split(',').any(|d| d.trim() == "Clone") {
                        out.extend(["clone".to_owned(), "clone_from".to_owned()]);
                    }
                    if derived.split(',').any(|d| d.trim() == "Debug") {
                        out.insert("fmt".to_owned());
                    }
                }
            }
            syn::Item::Mod(module) => {
                if let Some((_, items)) = &module.content {
                    client_methods(items, out);
                }
            }
            _ => {}
        }
    }
}

/// The generated Rust of every fixture and of the curated spec, with the IR it came from.
fn generated() -> Vec<(String, Api, Vec<crate::GeneratedFile>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut specs: Vec<_> = std::fs::read_dir(root.join("tests/fixtures"))
        .expect("tests/fixtures")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    specs.sort();
    specs.push(root.join("spec/halopsa.json"));
    specs
        .into_iter()
        .map(|path| {
            let name = path.display().to_string();
            let spec = std::fs::read_to_string(&path).expect("readable");
            let api = crate::lower_spec(&spec, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
            let input = crate::Input { spec: &spec, spec_name: &name, changelog: None, imported: None };
            let files = crate::generate(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
            let files = files
                .into_iter()
                .filter(|f| {
                    f.path.ends_with(".rs") && f.path.starts_with("src/") && !f.path.starts_with("src/runtime/")
                })
                .collect();
            (name, api, files)
        })
        .collect()
}

/// What a generated file uses and defines, token by token.
#[derive(Default)]
struct Names {
    /// Capitalized names used unqualified (`Some`, `Default::default`, `Option<..>`, an import `{Client, ..}`).
    unqualified: BTreeSet<String>,
    /// Lower-case path roots (`serde_json::Value`, `models::Agent`, `std::..`) and primitive types.
    roots: BTreeSet<String>,
}

fn scan(tokens: TokenStream, names: &mut Names) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let punct = |i: usize, c: char| matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(group) => scan(group.stream(), names),
            TokenTree::Ident(ident) => {
                let text = ident.to_string();
                // After `::` or `.` (not after the `:` of a field or a type annotation).
                let qualified = i > 0 && ((i > 1 && punct(i - 1, ':') && punct(i - 2, ':')) || punct(i - 1, '.'));
                // The name a `const`, `fn` or `type` item declares (`const FIELDS`, an associated type) is not a use.
                let declared = i > 0
                    && matches!(&tokens[i - 1], TokenTree::Ident(keyword)
                        if ["const", "fn", "type", "struct", "enum", "mod", "trait"].contains(&keyword.to_string().as_str()));
                let path_root = punct(i + 1, ':') && punct(i + 2, ':');
                // `Item = T` in `IntoIterator<Item = T>` names an associated type, not something in scope.
                let binding = matches!(tokens.get(i + 1), Some(TokenTree::Punct(p))
                    if p.as_char() == '=' && p.spacing() == Spacing::Alone);
                if qualified || declared || binding || text.starts_with("r#") {
                    continue;
                }
                if text.starts_with(|c: char| c.is_ascii_uppercase()) {
                    names.unqualified.insert(text);
                } else if path_root || PRIMITIVES.contains(&text.as_str()) {
                    names.roots.insert(text);
                }
            }
            _ => {}
        }
    }
}

fn names_of(text: &str) -> Names {
    let mut names = Names::default();
    scan(text.parse().expect("generated Rust tokenizes"), &mut names);
    names
}

/// The names a file's `mod` items and `use` items bring into its namespace.
fn items_of(text: &str) -> BTreeSet<String> {
    fn leaves(tree: &syn::UseTree, out: &mut BTreeSet<String>) {
        match tree {
            syn::UseTree::Path(path) => leaves(&path.tree, out),
            syn::UseTree::Name(name) => drop(out.insert(name.ident.to_string())),
            syn::UseTree::Rename(rename) => drop(out.insert(rename.rename.to_string())),
            syn::UseTree::Glob(_) => {}
            syn::UseTree::Group(group) => group.items.iter().for_each(|tree| leaves(tree, out)),
        }
    }
    let file = syn::parse_file(text).expect("generated Rust parses");
    let mut out = BTreeSet::new();
    for item in &file.items {
        match item {
            syn::Item::Mod(module) => drop(out.insert(module.ident.to_string())),
            syn::Item::Use(import) => leaves(&import.tree, &mut out),
            _ => {}
        }
    }
    out
}

const KEYWORDS: &[&str] = &["Self", "crate", "self", "super"];

/// Primitive types: a module of the same name in scope (the models modules glob-import each other) shadows them.
const PRIMITIVES: &[&str] = &[
    "bool", "char", "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "str", "u8", "u16", "u32", "u64", "u128",
    "usize",
];

#[test]
fn the_tables_cover_every_name_the_generated_code_uses() {
    let (mut module_names, mut model_names, mut crate_names, mut builder_names) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for (spec, api, files) in generated() {
        let mut resource_modules: BTreeSet<&str> = api.resources.iter().map(|r| r.module.as_str()).collect();
        // The modules of the imported tier's shared models (`models/imported/shared/<file>.rs`) are named by the IR
        // too, and private to `models::imported::shared`.
        resource_modules.extend(api.types.values().filter_map(|def| match &def.owner {
            crate::ir::Owner::Imported { file, .. } => Some(file.as_str()),
            _ => None,
        }));
        // Every name the IR gives a model or a variant: those are the names the tables keep free.
        let mut model_given: BTreeSet<String> = BTreeSet::new();
        for def in api.types.values() {
            model_given.insert(def.rust_name.clone());
            match &def.kind {
                TypeKind::Enum(e) => {
                    model_given.extend(e.variants.iter().map(|v| v.rust_name.clone()));
                    model_given.insert(e.fallback_variant.clone());
                }
                // A struct's field enum and its variants (`AgentField::Sms`).
                TypeKind::Struct(s) => {
                    model_given.insert(s.field_enum.clone());
                    model_given.extend(s.fields.iter().map(|f| f.variant_name.clone()));
                }
                TypeKind::Alias(_) => {}
            }
        }
        for file in &files {
            let names = names_of(&file.contents);
            let items = items_of(&file.contents);
            let module = file.path.trim_start_matches("src/").trim_end_matches(".rs");
            if let Some(resource) = api.resources.iter().find(|r| r.module == module) {
                let mut given: BTreeSet<&str> = BTreeSet::from([resource.type_name.as_str()]);
                given.extend(resource.operations.iter().map(|op| op.builder_name.as_str()));
                module_names
                    .extend(names.unqualified.iter().chain(&items).filter(|n| !given.contains(n.as_str())).cloned());
                builder_names.extend(builder_helpers(&file.contents, resource));
            } else if file.path.starts_with("src/models/") {
                model_names.extend(names.unqualified.iter().filter(|n| !model_given.contains(*n)).cloned());
                model_names.extend(items.iter().filter(|n| n.starts_with(|c: char| c.is_ascii_uppercase())).cloned());
            } else {
                assert_eq!(file.path, "src/lib.rs", "{spec}: a generated file this test does not know");
            }
            // A resource module is declared in lib.rs and (with its models) in models/mod.rs, whose files glob-import
            // each other: it must not take a name those declare or import, nor a crate generated code names.
            let lower =
                |n: &&String| n.starts_with(|c: char| c.is_ascii_lowercase()) && !KEYWORDS.contains(&n.as_str());
            let root_level = file.path == "src/lib.rs" || file.path == "src/models/mod.rs";
            crate_names
                .extend(names.roots.iter().filter(lower).filter(|n| !resource_modules.contains(n.as_str())).cloned());
            if root_level {
                crate_names
                    .extend(items.iter().filter(lower).filter(|n| !resource_modules.contains(n.as_str())).cloned());
            }
        }
    }
    module_names.retain(|n| !KEYWORDS.contains(&n.as_str()));
    model_names.retain(|n| !KEYWORDS.contains(&n.as_str()));
    crate_names.retain(|n| !KEYWORDS.contains(&n.as_str()));
    assert!(module_names.contains("Client") && model_names.contains("Option"), "{module_names:?} {model_names:?}");
    assert!(crate_names.contains("models") && builder_names.contains("send"), "{crate_names:?} {builder_names:?}");
    let failures: Vec<String> = [
        ("MODULE_RESERVED (names a resource module uses or imports)", missing(MODULE_RESERVED, &module_names)),
        ("MODEL_RESERVED (names the models modules use)", missing(MODEL_RESERVED, &model_names)),
        ("CRATE_MODULES (names at the crate root and in models/)", missing(CRATE_MODULES, &crate_names)),
        ("BUILDER_RESERVED (a builder's own methods and fields)", missing(BUILDER_RESERVED, &builder_names)),
    ]
    .into_iter()
    .filter(|(_, missing)| !missing.is_empty())
    .map(|(table, missing)| format!("add to {table}: {missing:?}"))
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fields and methods of a resource's builders that are not its parameters.
fn builder_helpers(text: &str, resource: &crate::ir::Resource) -> BTreeSet<String> {
    let file = syn::parse_file(text).expect("generated Rust parses");
    let mut all = BTreeSet::new();
    for op in &resource.operations {
        let mut out = BTreeSet::new();
        let params: BTreeSet<String> = op
            .path_params
            .iter()
            .chain(&op.query_params)
            .map(|p| super::names::unraw(&p.rust_name).to_owned())
            .collect();
        let is_builder = |ident: &syn::Ident| *ident == super::names::unraw(&op.builder_name);
        for item in &file.items {
            match item {
                syn::Item::Struct(s) if is_builder(&s.ident) => {
                    out.extend(s.fields.iter().filter_map(|f| f.ident.as_ref()).map(|i| i.unraw().to_string()));
                }
                syn::Item::Impl(block) if block.trait_.is_none() => {
                    let syn::Type::Path(path) = block.self_ty.as_ref() else { continue };
                    if !path.path.segments.last().is_some_and(|s| is_builder(&s.ident)) {
                        continue;
                    }
                    for item in &block.items {
                        if let syn::ImplItem::Fn(method) = item {
                            out.insert(method.sig.ident.unraw().to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        out.retain(|name| !params.contains(name));
        all.extend(out);
    }
    all
}
