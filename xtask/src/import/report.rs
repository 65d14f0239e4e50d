//! The import report: what was added per resource, which curated decisions were kept, what upstream no longer lists,
//! and which of Halo's defects were normalized on the way in.

use std::collections::BTreeMap;
use std::fmt;

/// What an entry says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A resource (tag) new to the spec.
    AddedResource,
    /// An operation new to the spec.
    AddedOperation,
    /// A parameter added to an operation the spec already had.
    AddedParameter,
    /// A schema new to the spec.
    AddedSchema,
    /// A property added to a schema the spec already had.
    AddedProperty,
    /// An enum value added to a schema the spec already had.
    AddedEnumValue,
    /// A curated decision kept where upstream says something else.
    Kept,
    /// Something the curated spec has and upstream no longer lists; kept until a person removes it.
    Missing,
    /// Something upstream has that was not imported, and why.
    Skipped,
    /// One of Halo's defects fixed on an imported item.
    Normalized,
    /// Anything else worth knowing.
    Note,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The resource (tag) it concerns, or `(models)` for schemas no resource in scope reaches.
    pub resource: String,
    /// What it says.
    pub kind: Kind,
    /// The line itself.
    pub text: String,
}

/// Everything an import did, in the order it happened.
#[derive(Debug, Clone, Default)]
pub struct Report {
    entries: Vec<Entry>,
}

impl Report {
    /// Records one line.
    pub fn push(&mut self, resource: &str, kind: Kind, text: impl Into<String>) {
        self.entries.push(Entry { resource: resource.to_owned(), kind, text: text.into() });
    }

    /// Every line.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The texts of one kind.
    pub fn texts(&self, kind: Kind) -> Vec<&str> {
        self.entries.iter().filter(|e| e.kind == kind).map(|e| e.text.as_str()).collect()
    }

    /// How many lines of one kind.
    pub fn count(&self, kind: Kind) -> usize {
        self.entries.iter().filter(|e| e.kind == kind).count()
    }

    /// Whether a line of `kind` contains `needle`.
    pub fn has(&self, kind: Kind, needle: &str) -> bool {
        self.entries.iter().any(|e| e.kind == kind && e.text.contains(needle))
    }
}

/// A normalization entry is `<what was fixed>: <where>`; the display groups them by what.
fn split_normalized(text: &str) -> (&str, &str) {
    text.rsplit_once(": ").unwrap_or((text, ""))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Resources in the order they were first mentioned.
        let mut resources: Vec<&str> = Vec::new();
        for entry in &self.entries {
            if entry.kind != Kind::Normalized && !resources.contains(&entry.resource.as_str()) {
                resources.push(&entry.resource);
            }
        }
        if resources.is_empty() && self.entries.is_empty() {
            return writeln!(f, "nothing to import: the spec already has everything upstream lists");
        }
        for resource in resources {
            let of = |kind: Kind| self.entries.iter().filter(move |e| e.resource == resource && e.kind == kind);
            let count = |kind: Kind| of(kind).count();
            let new = count(Kind::AddedResource) > 0;
            let added = [Kind::AddedOperation, Kind::AddedParameter, Kind::AddedProperty, Kind::AddedSchema].map(count);
            if added.iter().all(|n| *n == 0) && !new {
                writeln!(f, "{resource}: nothing added")?;
            } else {
                writeln!(
                    f,
                    "{resource}{}: +{} operations, +{} parameters, +{} properties, +{} models",
                    if new { " (new)" } else { "" },
                    added[0],
                    added[1],
                    added[2],
                    added[3],
                )?;
            }
            // A new resource is all additions: counts say enough. An existing one lists each change for review.
            let listed: &[(Kind, &str)] = if new {
                &[(Kind::Skipped, "skipped"), (Kind::Note, "note")]
            } else {
                &[
                    (Kind::AddedOperation, "added operation"),
                    (Kind::AddedParameter, "added parameter"),
                    (Kind::AddedSchema, "added model"),
                    (Kind::AddedProperty, "added property"),
                    (Kind::AddedEnumValue, "added enum value"),
                    (Kind::Kept, "kept"),
                    (Kind::Missing, "no longer in upstream"),
                    (Kind::Skipped, "skipped"),
                    (Kind::Note, "note"),
                ]
            };
            for (kind, label) in listed {
                for entry in of(*kind) {
                    writeln!(f, "  {label}: {}", entry.text)?;
                }
            }
        }
        let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for entry in self.entries.iter().filter(|e| e.kind == Kind::Normalized) {
            let (what, at) = split_normalized(&entry.text);
            groups.entry(what).or_default().push(at);
        }
        if !groups.is_empty() {
            writeln!(f, "normalized (Halo's swagger defects, on what was imported):")?;
            for (what, places) in groups {
                const EXAMPLES: usize = 3;
                let shown: Vec<&str> = places.iter().take(EXAMPLES).copied().collect();
                let more = places.len().saturating_sub(EXAMPLES);
                let more = if more > 0 { format!(", and {more} more") } else { String::new() };
                writeln!(f, "  {what}: {} ({}{more})", places.len(), shown.join("; "))?;
            }
        }
        let kept = self.count(Kind::Kept);
        let missing = self.count(Kind::Missing);
        writeln!(
            f,
            "kept {kept} curated decisions where upstream differs; {missing} items no longer in upstream (kept)"
        )
    }
}
