//! The README's consumer test ("Testing your code against a fake Halo") is the one `tests/outside` runs in CI.

use std::path::Path;

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}")).replace("\r\n", "\n")
}

/// From `#[tokio::test]` to the closing brace of the function.
fn test_fn(text: &str) -> String {
    let start = text.find("#[tokio::test]\n").expect("a #[tokio::test]");
    let lines: Vec<&str> = text[start..].lines().filter(|line| !line.starts_with("# ")).collect();
    let end = lines.iter().position(|line| *line == "}").expect("the end of the function");
    lines[..=end].join("\n")
}

#[test]
fn the_readme_shows_the_outside_consumers_test() {
    let readme = read("README.md");
    let section = &readme[readme.find("## Testing your code against a fake Halo").expect("the section")..];
    let outside = read("tests/outside/tests/fake_halo.rs");
    assert_eq!(test_fn(section), test_fn(&outside));
    assert!(section.contains("use halopsa_fake::FakeHalo;") && outside.contains("use halopsa_fake::FakeHalo;"));
}
