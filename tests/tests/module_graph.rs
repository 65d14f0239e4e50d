//! The modules of the runtime (`codegen/runtime/`) and of the fake (`fake/src/`) import each other as a tree: no
//! module reaches back, directly or through others, to a module that imports it (issue 19, items 1 and 6).
//! ARCHITECTURE.md draws both trees.
//!
//! An import is any path outside comments and the `#[cfg(test)] mod tests` of a file that starts at the parent
//! module (`super::x`, `super::{x, y}`, `super::super::x` from an inline module) or at the crate (`crate::runtime::x`
//! in the runtime, `crate::x` in the fake), attribute strings included (`deserialize_with = "crate::..."`). A name
//! that is not a module is an item the root re-exports (`pub use client::{Client, ClientBuilder}`): the edge goes to
//! the module that defines it. The root itself (`mod.rs`, `lib.rs`) declares and re-exports every module and is not
//! a node; a module that names one of the root's own items would import the root, and is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// How to read one module tree.
struct Tree {
    dir: &'static str,
    root: &'static str,
    /// The path prefixes that start at the root.
    prefixes: &'static [&'static str],
    /// Files that are not modules of the tree (the runtime's unit tests).
    skip: &'static [&'static str],
    /// Submodules declared by `#[path]` inside another module: part of that module's node.
    merged: &'static [(&'static str, &'static str)],
}

const RUNTIME: Tree = Tree {
    dir: "../codegen/runtime",
    root: "mod",
    prefixes: &["super::", "crate::runtime::"],
    skip: &["tests"],
    merged: &[
        ("webhook_event", "webhook_receiver"),
        ("webhook_replay", "webhook_receiver"),
        ("webhook_axum", "webhook_receiver"),
    ],
};

const FAKE: Tree = Tree { dir: "../fake/src", root: "lib", prefixes: &["super::", "crate::"], skip: &[], merged: &[] };

/// The code of a file that counts: without its unit tests and without comments (docs link to anything).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| if line.trim_start().starts_with("//") { "" } else { line.split(" // ").next().unwrap_or(line) })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first segment of every path in `code` that starts with `prefix` (repeated `super::` skipped), with the
/// first segment of each element of a `{..}` group.
fn first_segments(code: &str, prefix: &str, out: &mut BTreeSet<String>) {
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| is_ident_char(c) || c == ':') && prefix != "super::" {
            continue; // `x::crate::` cannot happen; `foo_crate::` is not our crate
        }
        while let Some(next) = rest.strip_prefix("super::") {
            rest = next;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            for element in split_top_level(&group[..end]) {
                let name: String = element.trim().chars().take_while(|&c| is_ident_char(c)).collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
            rest = &group[end..];
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
}

/// The elements of a use group, split at its top-level commas.
fn split_top_level(group: &str) -> Vec<&str> {
    let mut elements = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                elements.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    elements.push(&group[start..]);
    elements
}

/// Which module defines each item the root re-exports (`pub use a::{B, C};`, `pub(crate) use a::b;`).
fn reexports(root: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for statement in code(root).split(';') {
        let statement = statement.trim();
        let Some(path) = statement.strip_prefix("pub use ").or_else(|| statement.strip_prefix("pub(crate) use "))
        else {
            continue;
        };
        let Some((module, items)) = path.split_once("::") else { continue };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in split_top_level(items) {
            let item = item.trim();
            let name = item.rsplit(" as ").next().unwrap_or(item).trim();
            if !name.is_empty() {
                map.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    map
}

/// The import graph of a tree, and the names it could not resolve to a module (items of the root itself).
fn graph(tree: &Tree) -> Graph {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(tree.dir);
    let read = |name: &str| {
        let path = dir.join(format!("{name}.rs"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            if name != tree.root && !tree.skip.contains(&name.as_str()) {
                modules.insert(name);
            }
        }
    }
    let root = read(tree.root);
    let reexported = reexports(&root);
    let root_code = code(&root);
    let node = |module: &str| {
        tree.merged.iter().find(|(sub, _)| *sub == module).map_or(module, |(_, parent)| parent).to_owned()
    };
    let mut graph = Graph::new();
    for module in &modules {
        let code = code(&read(module));
        let mut names = BTreeSet::new();
        for prefix in tree.prefixes {
            first_segments(&code, prefix, &mut names);
        }
        let from = node(module);
        let edges = graph.entry(from.clone()).or_default();
        for name in names {
            let to = if modules.contains(&name) {
                node(&name)
            } else if let Some(defined_in) = reexported.get(&name) {
                node(defined_in)
            } else {
                // An item of the module's own (a `super::` from an inline module, or inside a `#[path]` submodule)
                // or a root item that is not a module: the latter would be an edge to the root, so it is refused
                // when the root defines it.
                let root_defines = ["fn", "const", "struct", "enum", "static", "type", "trait"].iter().any(|kind| {
                    let item = format!("{kind} {name}");
                    root_code
                        .match_indices(&item)
                        .any(|(at, _)| !root_code[at + item.len()..].starts_with(is_ident_char))
                });
                assert!(
                    !root_defines,
                    "{}/{module}.rs names `{name}` of {}.rs: the root is no module's dependency",
                    tree.dir, tree.root
                );
                continue;
            };
            if to != from {
                edges.insert(to);
            }
        }
    }
    graph
}

/// A cycle of the graph, if it has one, as the path that closes it.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit<'a>(
        node: &'a str,
        graph: &'a Graph,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[at..].iter().map(|n| n.to_string()).collect();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

fn show(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(from, to)| format!("{from} -> {}\n", to.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect()
}

#[test]
fn the_runtime_imports_form_a_tree() {
    let graph = graph(&RUNTIME);
    println!("{}", show(&graph));
    // The graph is read, not empty: the send path's layers are seen.
    for (from, to) in [("client", "driver"), ("driver", "transport"), ("auth", "driver"), ("transport", "limit")] {
        assert!(graph[from].contains(to), "{from} -> {to} not seen:\n{}", show(&graph));
    }
    assert_eq!(find_cycle(&graph), None, "\n{}", show(&graph));
}

#[test]
fn the_fake_imports_form_a_tree() {
    let graph = graph(&FAKE);
    println!("{}", show(&graph));
    assert!(graph["server"].contains("state"), "{}", show(&graph));
    assert_eq!(find_cycle(&graph), None, "\n{}", show(&graph));
}

#[test]
fn a_cycle_is_found_and_a_group_is_read() {
    let mut names = BTreeSet::new();
    first_segments(
        "use super::{a::X, b, c::{D, E}};\nlet x = super::super::d::f();\nfoo_crate::g; crate::runtime::h::I",
        "super::",
        &mut names,
    );
    first_segments("crate::runtime::h::I", "crate::runtime::", &mut names);
    assert_eq!(names, BTreeSet::from(["a", "b", "c", "d", "h"].map(String::from)));
    let graph = |edges: &[(&str, &str)]| {
        let mut graph = Graph::new();
        for (from, to) in edges {
            graph.entry(from.to_string()).or_default().insert(to.to_string());
        }
        graph
    };
    assert_eq!(find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(["a", "b", "c", "a"].map(String::from).to_vec())
    );
    assert_eq!(reexports("pub use x::{A, B as C};\npub(crate) use y::d;")["C"], "x");
}
