//! The names of the `halo` command line: a subcommand per resource and per operation, a positional argument per path
//! parameter, a flag per query parameter and per simple field of the record an operation sends.
//!
//! They are the Rust names in kebab case (`names::kebab`), made unique per command by the one collision rule, with
//! the command line's own names claimed first, so an emitter never invents one.

use std::collections::BTreeMap;

use crate::ir::*;
use crate::names::{self, Namespace};

/// Subcommands of `halo` that are not resources: a resource does not take these names.
const TOP_COMMANDS: &[&str] = &["completions", "config", "help", "request"];

/// The flags every operation of the command line has or may have (snake case, as `Namespace` compares): the global
/// ones (`--profile`, `--output`, `--columns`, `--dry-run`), those of some operations (`--all` on paged lists,
/// `--json` with a body, `--out` for downloads), and clap's (`--help`, `--version`).
const RESERVED_FLAGS: &[&str] = &["all", "columns", "dry_run", "help", "json", "out", "output", "profile", "version"];

/// Names every resource and operation for the command line.
pub(super) fn name(resources: &mut [Resource], types: &BTreeMap<TypeId, TypeDef>) {
    let mut commands = Namespace::new(TOP_COMMANDS);
    for resource in resources {
        resource.cli_command = names::kebab(&commands.claim(&resource.module));
        let mut operations = Namespace::new(&["help"]);
        for op in &mut resource.operations {
            op.cli = CliNames { command: names::kebab(&operations.claim(&op.method_name)), ..CliNames::default() };
            let mut flags = Namespace::new(RESERVED_FLAGS);
            op.cli.path_args = op.path_params.iter().map(|p| names::kebab(&flags.claim(&p.rust_name))).collect();
            op.cli.record_id = op
                .upsert
                .as_ref()
                .filter(|upsert| upsert.role == UpsertRole::Update && !upsert.many)
                .map(|upsert| names::kebab(&flags.claim(&upsert.id_arg)));
            op.cli.query_flags = op.query_params.iter().map(|p| names::kebab(&flags.claim(&p.rust_name))).collect();
            op.cli.body_flags = body_fields(op, types)
                .into_iter()
                .map(|(field, rust_name)| BodyFlag { flag: names::kebab(&flags.claim(rust_name)), field })
                .collect();
        }
    }
}

/// The fields of the record an operation sends that a flag can set: the simple ones (booleans, numbers, strings and
/// dates) of a struct body sent as one record (`create`, `update`, a plain object body), less the id of an upsert
/// (an update takes it as its argument, a create refuses it).
fn body_fields<'t>(op: &Operation, types: &'t BTreeMap<TypeId, TypeDef>) -> Vec<(usize, &'t str)> {
    let Some(body) = &op.body else { return Vec::new() };
    let one_record = match &op.upsert {
        Some(upsert) => !upsert.many,
        None => !body.array,
    };
    let Ty::Named(id) = &body.ty else { return Vec::new() };
    let TypeKind::Struct(structure) = &types[id].kind else { return Vec::new() };
    if !one_record {
        return Vec::new();
    }
    let id_field = op.upsert.as_ref().map(|upsert| upsert.id_field.as_str());
    structure
        .fields
        .iter()
        .enumerate()
        .filter(|(_, field)| Some(field.rust_name.as_str()) != id_field)
        .filter(|(_, field)| {
            matches!(field.ty, Ty::Bool | Ty::I32 | Ty::I64 | Ty::F64 | Ty::String | Ty::DateTime) && !field.boxed
        })
        .map(|(index, field)| (index, field.rust_name.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::ir::Api;

    fn curated() -> Api {
        let spec = include_str!("../../../spec/halopsa.json");
        crate::lower_spec(spec, "spec/halopsa.json").unwrap_or_else(|errors| panic!("{errors}"))
    }

    #[test]
    fn commands_and_flags_are_kebab_case_and_unique_per_command() {
        let api = curated();
        let mut commands: Vec<&str> = api.resources.iter().map(|r| r.cli_command.as_str()).collect();
        let before = commands.len();
        commands.dedup();
        assert_eq!(before, commands.len());
        for resource in &api.resources {
            for op in &resource.operations {
                let mut flags: Vec<&str> = op
                    .cli
                    .path_args
                    .iter()
                    .chain(&op.cli.query_flags)
                    .chain(op.cli.body_flags.iter().map(|flag| &flag.flag))
                    .map(String::as_str)
                    .collect();
                for flag in &flags {
                    let kebab = flag.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    assert!(kebab && !flag.starts_with('-'), "{} {}: --{flag}", resource.cli_command, op.cli.command);
                    assert!(!super::RESERVED_FLAGS.contains(&flag.replace('-', "_").as_str()), "--{flag}");
                }
                flags.sort_unstable();
                let count = flags.len();
                flags.dedup();
                assert_eq!(count, flags.len(), "{} {}", resource.cli_command, op.cli.command);
            }
        }
    }

    #[test]
    fn curated_names() {
        let api = curated();
        let tickets = api.resources.iter().find(|r| r.module == "tickets").unwrap();
        let list = tickets.operations.iter().find(|op| op.method_name == "list").unwrap();
        assert!(list.cli.query_flags.iter().any(|flag| flag == "open-only"));
        assert!(list.cli.query_flags.iter().any(|flag| flag == "client-id"));
        let update = tickets.operations.iter().find(|op| op.method_name == "update").unwrap();
        assert!(update.cli.body_flags.iter().any(|flag| flag.flag == "summary"));
        // The id is the update's argument, not a flag; the batch methods take `--json` only.
        assert!(!update.cli.body_flags.iter().any(|flag| flag.flag == "id"));
        let many = tickets.operations.iter().find(|op| op.method_name == "update_many").unwrap();
        assert_eq!(many.cli.command, "update-many");
        assert!(many.cli.body_flags.is_empty());
        let checkins = api.resources.iter().find(|r| r.module == "agent_check_ins").unwrap();
        assert_eq!(checkins.cli_command, "agent-check-ins");
    }
}
