//! Opens a ticket for a client, adds a private note and a time entry, and closes it when asked.
//!
//! ```text
//! cargo run -p halopsa --example open_ticket -- <client-id> <summary> [--note TEXT] [--hours H] [--close]
//! ```
//!
//! Reads `HALO_URL` (`https://acme.halopsa.com`), `HALO_CLIENT_ID`, `HALO_CLIENT_SECRET` and, for a Halo-hosted
//! instance, `HALO_TENANT` from the environment. Without a Halo tenant, run it against the fake server:
//! `cargo run -p halopsa-fake --bin fake-halo` prints the values to use.
//!
//! Steps: create the ticket (`POST /Tickets` without an id); add the note as a private action (`hiddenfromuser`)
//! and the time as a time entry (`timetaken`, in hours), both in one `POST /Actions`; with `--close`, find the
//! status named "Closed" (`GET /Status`) and add a closing action whose `new_status` is that status, which is how
//! Halo's own UI closes a ticket (the close is recorded in the ticket's history). Finally list the ticket's actions.
#![allow(
    clippy::field_reassign_with_default,
    reason = "struct literals stop compiling outside the crate once the models are #[non_exhaustive]"
)]

use std::process::ExitCode;

use halopsa::ClientBuilder;
use halopsa::models::{Action, Ticket};

const USAGE: &str = "usage: open_ticket <client-id> <summary> [--note TEXT] [--hours H] [--close]";

struct Options {
    client_id: i32,
    summary: String,
    note: Option<String>,
    hours: Option<f64>,
    close: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let [client_id, summary, rest @ ..] = args else { return Err(USAGE.to_owned()) };
    let client_id = client_id.parse().map_err(|_| format!("'{client_id}' is not a client id\n{USAGE}"))?;
    let mut options = Options { client_id, summary: summary.clone(), note: None, hours: None, close: false };
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--note" => options.note = Some(rest.next().ok_or("--note needs a text")?.clone()),
            "--hours" => {
                let text = rest.next().ok_or("--hours needs a number")?;
                let hours: f64 = text.parse().map_err(|_| format!("--hours: '{text}' is not a number"))?;
                if !hours.is_finite() || hours <= 0.0 {
                    return Err(format!("--hours: {hours} is not a positive number of hours"));
                }
                options.hours = Some(hours);
            }
            "--close" => options.close = true,
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok(options)
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
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("open_ticket: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let client = ClientBuilder::from_env().and_then(|builder| builder.build()).map_err(|e| e.to_string())?;

    // Only the fields set are sent; `Default` and assignment keep this compiling if the models gain fields.
    let mut ticket = Ticket::default();
    ticket.summary = Some(options.summary.clone());
    ticket.client_id = Some(options.client_id);
    let saved = client.tickets().create(ticket).send().await.map_err(|e| format!("cannot open the ticket: {e}"))?;
    let ticket_id = saved.id.ok_or("halo saved the ticket but returned no id")?;
    println!("opened ticket {ticket_id}: {}", options.summary);

    let mut actions = Vec::new();
    if let Some(text) = &options.note {
        let mut note = Action::default();
        note.ticket_id = Some(ticket_id);
        note.outcome = Some("Private Note".to_owned());
        note.note = Some(text.clone());
        note.hiddenfromuser = Some(true);
        actions.push(note);
    }
    if let Some(hours) = options.hours {
        let mut time = Action::default();
        time.ticket_id = Some(ticket_id);
        time.outcome = Some("Time Entry".to_owned());
        time.note = Some(format!("{hours} h"));
        time.timetaken = Some(hours);
        time.hiddenfromuser = Some(true);
        actions.push(time);
    }
    if !actions.is_empty() {
        let count = actions.len();
        client.actions().create_many(actions).send().await.map_err(|e| format!("cannot add the actions: {e}"))?;
        println!("added {count} action(s) to ticket {ticket_id}");
    }

    if options.close {
        let statuses = client.statuses().list().send().await.map_err(|e| format!("cannot list statuses: {e}"))?;
        let closed = statuses
            .statuses
            .iter()
            .find(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case("closed")))
            .and_then(|s| s.id)
            .ok_or("no status is named \"Closed\"")?;
        let mut close = Action::default();
        close.ticket_id = Some(ticket_id);
        close.outcome = Some("Close".to_owned());
        close.note = Some("Closed by open_ticket.".to_owned());
        close.new_status = Some(closed);
        client.actions().create(close).send().await.map_err(|e| format!("cannot close the ticket: {e}"))?;
        println!("closed ticket {ticket_id} (status {closed})");
    }

    let history = client
        .actions()
        .list()
        .ticket_id(ticket_id)
        .send()
        .await
        .map_err(|e| format!("cannot list the ticket's actions: {e}"))?;
    for action in &history.actions {
        let private = if action.hiddenfromuser == Some(true) { " (private)" } else { "" };
        let outcome = action.outcome.as_deref().unwrap_or("action");
        println!("  {outcome}{private}: {}", action.note.as_deref().unwrap_or(""));
    }
    Ok(())
}
