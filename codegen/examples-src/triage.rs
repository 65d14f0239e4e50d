//! Triages a client's new tickets: finds them with a typed SQL report, resolves the status and the priority by name
//! with the catalog (a priority belongs to the SLA of each ticket's type), and updates them all in one bulk call,
//! with a result per ticket; `--dry-run` shows what would change instead.
//!
//! ```text
//! cargo run -p halopsa --example triage -- <client-id> <priority> [--status NAME] [--dry-run] [--chunk N]
//! ```
//!
//! Reads `HALO_URL` (`https://acme.halopsa.com`), `HALO_CLIENT_ID`, `HALO_CLIENT_SECRET` and, for a Halo-hosted
//! instance, `HALO_TENANT` from the environment. Without a Halo tenant, run it against the fake server:
//! `cargo run -p halopsa-fake --bin fake-halo -- --seed-tickets 300 --seed-catalog` prints the values to use.
//!
//! Steps: `SELECT` the client's tickets in status "New" (`POST /Report` with `_loadreportonly`, rows decoded into
//! `NewTicket`); look up the status to move them to (default "In Progress") and, per ticket type, the priority
//! named on the command line (`GET /Status`, `/TicketType`, `/Priority?slaid=`, each read once); then
//! `bulk_update` every ticket (`POST /Tickets`, at most `--chunk` a request) and print what happened to each one
//! that did not save, and the counts.
#![allow(
    clippy::field_reassign_with_default,
    reason = "struct literals stop compiling outside the crate once the models are #[non_exhaustive]"
)]

use std::collections::BTreeMap;
use std::process::ExitCode;

use halopsa::models::Ticket;
use halopsa::{BulkOutcome, Catalog, CatalogError, ClientBuilder};

const USAGE: &str = "usage: triage <client-id> <priority> [--status NAME] [--dry-run] [--chunk N]";

struct Options {
    client_id: i64,
    priority: String,
    status: String,
    dry_run: bool,
    chunk: usize,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let [client_id, priority, rest @ ..] = args else { return Err(USAGE.to_owned()) };
    let client_id = client_id.parse().map_err(|_| format!("'{client_id}' is not a client id\n{USAGE}"))?;
    let mut options =
        Options { client_id, priority: priority.clone(), status: "In Progress".into(), dry_run: false, chunk: 100 };
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().cloned().ok_or_else(|| format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--status" => options.status = value()?,
            "--dry-run" => options.dry_run = true,
            "--chunk" => options.chunk = value()?.parse().map_err(|_| format!("--chunk takes a number\n{USAGE}"))?,
            other => return Err(format!("unknown option '{other}'\n{USAGE}")),
        }
    }
    Ok(options)
}

/// A row of the report: a ticket in status "New" and its type.
#[derive(serde::Deserialize)]
struct NewTicket {
    id: i32,
    tickettype_id: i32,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("triage: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let client = ClientBuilder::from_env()?.build()?;
    let catalog = Catalog::new(&client);
    let new = catalog.status("New").await?;
    let target = catalog.status(&options.status).await?;

    // One read-only statement; the guard refuses anything else before sending.
    let sql = format!(
        "SELECT faultid AS id, requesttypenew AS tickettype_id FROM faults WHERE areaint = {} AND status = {new}",
        options.client_id
    );
    let tickets: Vec<NewTicket> = client.reports().sql(sql).send().await?;
    println!("{} new tickets of client {}", tickets.len(), options.client_id);

    // The priority of each ticket type's SLA, looked up once per type (the catalog caches the lists).
    let mut priorities: BTreeMap<i32, Option<i64>> = BTreeMap::new();
    let mut pairs = Vec::new();
    for ticket in &tickets {
        let priority = match priorities.get(&ticket.tickettype_id) {
            Some(priority) => *priority,
            None => {
                let priority = match catalog.priority_for(ticket.tickettype_id, &options.priority).await {
                    Ok(priority) => Some(priority),
                    Err(CatalogError::NoSla { ticket_type, .. }) => {
                        println!("ticket type {ticket_type} has no SLA: its tickets keep their priority");
                        None
                    }
                    Err(other) => return Err(other.into()),
                };
                *priorities.entry(ticket.tickettype_id).or_insert(priority)
            }
        };
        let mut change = Ticket::default();
        change.status_id = Some(target as i32);
        change.priority_id = priority.map(|priority| priority as i32);
        pairs.push((ticket.id, change));
    }

    let bulk = client.tickets().bulk_update(pairs).chunk_size(options.chunk);
    if options.dry_run {
        let plan = bulk.dry_run().await;
        let changing = plan.iter().filter(|item| item.changes().is_ok_and(|changes| !changes.is_empty())).count();
        let fields: usize = plan.iter().filter_map(|item| item.changes().ok()).map(<[_]>::len).sum();
        for item in &plan {
            if let Err(error) = item.changes() {
                println!("ticket {:?}: cannot compare: {error}", item.id());
            }
        }
        println!("dry run: would update {changing} tickets, {fields} fields; nothing sent");
        return Ok(());
    }
    let report = bulk.send().await;
    for item in report.items() {
        match item.outcome() {
            BulkOutcome::Saved(_) => {}
            BulkOutcome::Failed(error) => println!("ticket {:?} failed: {error}", item.id()),
            BulkOutcome::Unknown(error) => println!("ticket {:?} may or may not be saved: {error}", item.id()),
            _ => println!("ticket {:?}: {:?}", item.id(), item.outcome()),
        }
    }
    let (saved, failed, unknown) = report.counts();
    println!("saved {saved}, failed {failed}, unknown {unknown}");

    // Read back: how many of the client's tickets are now in the target status.
    #[derive(serde::Deserialize)]
    struct Id {
        #[allow(dead_code, reason = "only counted")]
        id: i32,
    }
    let sql = format!("SELECT faultid AS id FROM faults WHERE areaint = {} AND status = {target}", options.client_id);
    let moved: Vec<Id> = client.reports().sql(sql).send().await?;
    println!("now in status {}: {}", options.status, moved.len());
    Ok(())
}
