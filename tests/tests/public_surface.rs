//! The crate root's public surface, as a snapshot: what `generated/src/lib.rs` declares and re-exports, and for
//! every item it re-exports from the runtime, its definition and its public methods and trait impls (from
//! `generated/src/runtime/` and the resource modules, which add the accessors to `Client`). Docs and bodies are left
//! out, so the snapshot changes only when the surface does, and such a change shows in review
//! (`cargo insta review`). Resource modules and models are in the curated API outline (`snapshots.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::{Attribute, Fields, ImplItem, Item, TraitItem, Type, UseTree, Visibility};

fn generated() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated/src")
}

fn parse(path: &Path) -> syn::File {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `.rs` files of a directory, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.sort();
    files
}

/// Keeps the attributes that are part of the surface (derives, `non_exhaustive`, `must_use`, `doc(hidden)`, `cfg`,
/// `deprecated`); drops docs and the rest.
fn surface_attrs(attrs: &mut Vec<Attribute>) {
    attrs.retain(|attr| {
        let path = attr.path();
        if path.is_ident("doc") {
            return attr.parse_args::<syn::Ident>().is_ok_and(|arg| arg == "hidden");
        }
        ["derive", "non_exhaustive", "must_use", "cfg", "deprecated"].iter().any(|name| path.is_ident(name))
    });
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn item_name(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) if is_pub(&s.vis) => Some(s.ident.to_string()),
        Item::Enum(e) if is_pub(&e.vis) => Some(e.ident.to_string()),
        Item::Trait(t) if is_pub(&t.vis) => Some(t.ident.to_string()),
        Item::Type(t) if is_pub(&t.vis) => Some(t.ident.to_string()),
        Item::Fn(f) if is_pub(&f.vis) => Some(f.sig.ident.to_string()),
        Item::Const(c) if is_pub(&c.vis) => Some(c.ident.to_string()),
        _ => None,
    }
}

/// A definition without docs or bodies; a struct keeps its public fields and says when it has private ones.
fn definition(mut item: Item) -> Item {
    match &mut item {
        Item::Struct(s) => {
            surface_attrs(&mut s.attrs);
            let private = match &mut s.fields {
                Fields::Named(fields) => {
                    let before = fields.named.len();
                    fields.named = std::mem::take(&mut fields.named).into_iter().filter(|f| is_pub(&f.vis)).collect();
                    fields.named.iter_mut().for_each(|f| surface_attrs(&mut f.attrs));
                    fields.named.len() < before
                }
                Fields::Unnamed(fields) => {
                    let before = fields.unnamed.len();
                    fields.unnamed =
                        std::mem::take(&mut fields.unnamed).into_iter().filter(|f| is_pub(&f.vis)).collect();
                    fields.unnamed.len() < before
                }
                Fields::Unit => false,
            };
            if private {
                s.attrs.push(syn::parse_quote!(#[doc = " (and private fields)"]));
            }
        }
        Item::Enum(e) => {
            surface_attrs(&mut e.attrs);
            e.variants.iter_mut().for_each(|v| surface_attrs(&mut v.attrs));
        }
        Item::Trait(t) => {
            surface_attrs(&mut t.attrs);
            for trait_item in &mut t.items {
                if let TraitItem::Fn(f) = trait_item {
                    surface_attrs(&mut f.attrs);
                    f.default = None;
                    f.semi_token = Some(Default::default());
                }
            }
        }
        Item::Fn(f) => {
            surface_attrs(&mut f.attrs);
            f.block.stmts.clear();
        }
        Item::Type(t) => surface_attrs(&mut t.attrs),
        Item::Const(c) => {
            surface_attrs(&mut c.attrs);
        }
        _ => {}
    }
    item
}

/// The last segment of an impl's self type (`Client` for `impl crate::Client`, `Pages` for `Pages<L>`).
fn self_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|segment| segment.ident.to_string()),
        _ => None,
    }
}

/// An impl as it shows in the surface: an inherent impl with its public methods (bodies emptied), a trait impl as
/// its header; `None` for an inherent impl with nothing public.
fn surface_impl(mut item: syn::ItemImpl) -> Option<Item> {
    surface_attrs(&mut item.attrs);
    if let Some((trait_path, _)) = &item.trait_ {
        // An impl of one of the runtime's own traits (`super::request::QueryValue`) is not visible outside.
        let internal = trait_path.segments.first().is_some_and(|s| s.ident == "super" || s.ident == "crate");
        item.items.clear();
        return (!internal).then_some(Item::Impl(item));
    }
    item.items.retain(|member| match member {
        ImplItem::Fn(f) => is_pub(&f.vis),
        ImplItem::Const(c) => is_pub(&c.vis),
        _ => false,
    });
    for member in &mut item.items {
        if let ImplItem::Fn(f) = member {
            surface_attrs(&mut f.attrs);
            f.block.stmts.clear();
        }
    }
    (!item.items.is_empty()).then_some(Item::Impl(item))
}

/// The names a `use` tree brings in (`runtime::{A, B as C}` → `[("A", "A"), ("B", "C")]`): (source, exported).
fn use_names(tree: &UseTree, out: &mut Vec<(String, String)>) {
    match tree {
        UseTree::Path(path) => use_names(&path.tree, out),
        UseTree::Name(name) => out.push((name.ident.to_string(), name.ident.to_string())),
        UseTree::Rename(rename) => out.push((rename.ident.to_string(), rename.rename.to_string())),
        UseTree::Group(group) => group.items.iter().for_each(|tree| use_names(tree, out)),
        UseTree::Glob(_) => out.push(("*".to_owned(), "*".to_owned())),
    }
}

fn surface() -> String {
    let lib = parse(&generated().join("lib.rs"));
    // Every public definition of the runtime, and every impl there and in the resource modules, by type name.
    let mut definitions: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    let mut impls: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    let runtime_files = rust_files(&generated().join("runtime")).into_iter().filter(|f| !f.ends_with("tests.rs"));
    // The imported tier's modules are outside the semver promise (each behind its `unstable-*` feature): counted, not
    // listed (nor their `Client` accessors), so the tier's changes (a resource promoted, Halo's swagger updated) do
    // not churn this snapshot.
    let imported: BTreeSet<String> = lib
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Mod(module) if module.attrs.iter().any(imported_cfg) => Some(format!("{}.rs", module.ident)),
            _ => None,
        })
        .collect();
    let resource_files = rust_files(&generated()).into_iter().filter(|f| {
        let name = f.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        name != "lib.rs" && !imported.contains(&name)
    });
    for (path, in_runtime) in runtime_files.map(|f| (f, true)).chain(resource_files.map(|f| (f, false))) {
        for item in parse(&path).items {
            match item {
                Item::Impl(imp) => {
                    if let Some(name) = self_name(&imp.self_ty)
                        && let Some(shown) = surface_impl(imp)
                    {
                        impls.entry(name).or_default().push(shown);
                    }
                }
                item if in_runtime => {
                    if let Some(name) = item_name(&item) {
                        definitions.entry(name).or_default().push(definition(item));
                    }
                }
                _ => {}
            }
        }
    }
    let mut root = Vec::new();
    let mut reexported = Vec::new();
    for item in lib.items {
        match item {
            Item::Mod(module) if module.attrs.iter().any(imported_cfg) => {}
            Item::Mod(mut module) => {
                surface_attrs(&mut module.attrs);
                root.push(Item::Mod(module));
            }
            Item::Use(mut item_use) if is_pub(&item_use.vis) => {
                surface_attrs(&mut item_use.attrs);
                if let UseTree::Path(path) = &item_use.tree
                    && path.ident == "runtime"
                {
                    let mut names = Vec::new();
                    use_names(&path.tree, &mut names);
                    reexported.extend(names);
                }
                root.push(Item::Use(item_use));
            }
            Item::Use(_) => {}
            other if item_name(&other).is_some() => root.push(definition(other)),
            _ => {}
        }
    }
    let mut out = format!("// generated/src/lib.rs\n{}", prettyplease::unparse(&file(root)));
    out.push_str(&format!(
        "// and {} modules of the imported tier, each behind its own `unstable-*` feature\n",
        imported.len()
    ));
    for (source, exported) in reexported {
        // A re-exported runtime module (`webhook_receiver`): the public items of its file, each with its impls.
        let module = generated().join("runtime").join(format!("{source}.rs"));
        let mut items = match definitions.remove(&source) {
            Some(items) => items,
            None if module.exists() => {
                let mut items = Vec::new();
                for item in parse(&module).items {
                    match item {
                        // Its submodules and re-exports as declared (`pub mod axum;`, `pub use ...`).
                        Item::Mod(mut module) if is_pub(&module.vis) => {
                            surface_attrs(&mut module.attrs);
                            module.content = None;
                            module.semi = Some(Default::default());
                            items.push(Item::Mod(module));
                        }
                        Item::Use(mut item_use) if is_pub(&item_use.vis) => {
                            surface_attrs(&mut item_use.attrs);
                            items.push(Item::Use(item_use));
                        }
                        item => {
                            if let Some(name) = item_name(&item) {
                                items.push(definition(item));
                                items.extend(impls.remove(&name).unwrap_or_default());
                            }
                        }
                    }
                }
                items
            }
            None => panic!("no public `{source}` in the runtime"),
        };
        items.extend(impls.remove(&source).unwrap_or_default());
        out.push_str(&format!("\n// halopsa::{exported}\n{}", prettyplease::unparse(&file(items))));
    }
    out
}

/// `#[cfg(feature = "unstable-...")]`: an imported resource's module.
fn imported_cfg(attr: &Attribute) -> bool {
    attr.path().is_ident("cfg")
        && attr.parse_args::<syn::MetaNameValue>().is_ok_and(|meta| match &meta.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(feature), .. }) => {
                meta.path.is_ident("feature") && feature.value().starts_with("unstable-")
            }
            _ => false,
        })
}

fn file(items: Vec<Item>) -> syn::File {
    let mut file: syn::File = syn::parse_quote!();
    file.items = items;
    file
}

#[test]
fn crate_root() {
    insta::assert_snapshot!(surface());
}

/// What the surface must not have: items public only for the generator or the benchmark stay hidden or unnamed.
#[test]
fn generator_and_benchmark_items_are_not_documented_api() {
    let surface = surface();
    assert!(surface.contains("#[doc(hidden)]\npub use runtime::decode_json;"), "{surface}");
    assert!(!surface.contains("// halopsa::ListPage"), "ListPage is not re-exported");
    assert!(!surface.contains("pub struct Call") && !surface.contains("pub struct Request"), "{surface}");
}
