//! The example programs of the generated crate (`codegen/examples-src/`), copied verbatim into `generated/examples/`.
//!
//! They are real Rust against the curated API (the integration guide's three identity scenarios, opening a ticket,
//! exporting a client's assets, mirroring open tickets from webhooks, and reporting on several tenants from one
//! process), compiled by
//! `cargo build -p halopsa --examples` and run against the fake Halo server. Embedding them with `include_str!`
//! keeps the generator pure, like the runtime. An example is emitted, with its `[[example]]` manifest entry, only
//! when the spec has every method it calls, so a spec without them (a fixture) still gives a crate that builds.

use super::Output;
use crate::ir::Api;

/// One example program of the generated crate.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The file name under `codegen/examples-src/` and `generated/examples/`; the example's name without `.rs`.
    pub file: &'static str,
    /// The methods it calls, as `(resource module, method)`: `("agents", "list")` is `client.agents().list()`.
    /// Their resources (cargo features) are its `required-features`.
    pub uses: &'static [(&'static str, &'static str)],
    /// The cargo features it needs besides its resources' (the webhook receiver's, which the manifest template
    /// defines whatever the spec): also in its `required-features`.
    pub features: &'static [&'static str],
    /// The source.
    pub text: &'static str,
}

/// Every example, sorted by file name. A test in `tests/` checks this list against the directory.
pub const EXAMPLE_FILES: &[Example] = &[
    Example {
        file: "deactivate_agent.rs",
        uses: &[("agents", "list"), ("agents", "update")],
        features: &[],
        text: include_str!("../../examples-src/deactivate_agent.rs"),
    },
    Example {
        file: "export_assets.rs",
        uses: &[("assets", "list")],
        features: &[],
        text: include_str!("../../examples-src/export_assets.rs"),
    },
    Example {
        file: "open_ticket.rs",
        uses: &[
            ("actions", "create"),
            ("actions", "create_many"),
            ("actions", "list"),
            ("statuses", "list"),
            ("tickets", "create"),
        ],
        features: &[],
        text: include_str!("../../examples-src/open_ticket.rs"),
    },
    Example {
        file: "provision_agent.rs",
        uses: &[("agents", "create"), ("agents", "list"), ("teams", "list")],
        features: &[],
        text: include_str!("../../examples-src/provision_agent.rs"),
    },
    Example {
        file: "sync_teams.rs",
        uses: &[("agents", "create_many"), ("agents", "list"), ("agents", "update_many"), ("teams", "list")],
        features: &[],
        text: include_str!("../../examples-src/sync_teams.rs"),
    },
    Example {
        file: "tenant_report.rs",
        uses: &[("agents", "list"), ("tickets", "list")],
        features: &[],
        text: include_str!("../../examples-src/tenant_report.rs"),
    },
    Example {
        file: "ticket_mirror.rs",
        uses: &[("statuses", "list"), ("tickets", "list"), ("webhooks", "delete"), ("webhooks", "upsert")],
        features: &["webhook-axum"],
        text: include_str!("../../examples-src/ticket_mirror.rs"),
    },
    Example {
        file: "triage.rs",
        uses: &[("reports", "sql"), ("tickets", "bulk_update")],
        features: &[],
        text: include_str!("../../examples-src/triage.rs"),
    },
];

impl Example {
    /// The example's name, as `cargo run --example` takes it.
    pub fn name(&self) -> &'static str {
        self.file.trim_end_matches(".rs")
    }

    /// The resources it uses and the other features it needs, sorted, each once: its `required-features`.
    pub fn features(&self) -> Vec<&'static str> {
        let mut features: Vec<&'static str> =
            self.uses.iter().map(|(module, _)| *module).chain(self.features.iter().copied()).collect();
        features.sort_unstable();
        features.dedup();
        features
    }
}

/// Whether `op` gives its accessor `method`: its own method, or one `resources.rs` adds from it (`kit`):
/// `bulk_create` and `bulk_update` beside a create-or-update, `sql` beside Halo's report runs.
fn provides(op: &crate::ir::Operation, method: &str) -> bool {
    match method {
        "bulk_create" | "bulk_update" => op.upsert.as_ref().is_some_and(|upsert| upsert.many),
        "sql" => op.upsert.is_some() && op.idempotent_when.is_some(),
        _ => op.method_name == method,
    }
}

/// The examples whose methods the API has, in file-name order.
fn available(api: &Api) -> impl Iterator<Item = &'static Example> + '_ {
    let has = move |module: &str, method: &str| {
        api.resources.iter().any(|r| r.module == module && r.operations.iter().any(|op| provides(op, method)))
    };
    EXAMPLE_FILES.iter().filter(move |example| example.uses.iter().all(|(module, method)| has(module, method)))
}

pub(super) fn files(api: &Api) -> Vec<(String, Output)> {
    available(api)
        .map(|example| {
            let origin = format!("codegen/examples-src/{}", example.file);
            (format!("examples/{}", example.file), Output::Verbatim { text: example.text, origin })
        })
        .collect()
}

/// The `[[example]]` tables of the manifest (empty when no example applies).
pub(super) fn manifest_entries(api: &Api) -> String {
    let tables: Vec<String> = available(api)
        .map(|example| {
            let features: Vec<String> = example.features().iter().map(|r| format!("\"{r}\"")).collect();
            format!("[[example]]\nname = \"{}\"\nrequired-features = [{}]\n", example.name(), features.join(", "))
        })
        .collect();
    if tables.is_empty() {
        return String::new();
    }
    let comment = "# Example programs (from codegen/examples-src/); each needs the resources it uses.\n";
    format!("{comment}{}", tables.join("\n"))
}
