//! A debug build of a realistic ticketing job fits in a small stack (issue 18, item 6).
//!
//! One call used to need 1.2 to 1.6 MiB of stack in a debug build and a 15-step job 3.7 MiB, so a job overflowed
//! in `#[tokio::test]` and in `tokio::spawn` on tokio's default 2 MiB worker threads. The client now boxes the
//! futures at its generic boundary (`Call::send_with_response`, the pager's page requests), so the job below runs
//! in 1 MiB: on a thread of its own with a 1 MiB stack and a current-thread runtime, the way a small worker would.
//!
//! This file is its own test binary: a stack overflow aborts the whole process, so here it fails this binary
//! alone, with its name, instead of taking other tests down with it.
#![allow(
    clippy::field_reassign_with_default,
    reason = "struct literals stop compiling outside the crate once the models are #[non_exhaustive]"
)]

use std::time::Duration;

use base64::Engine as _;
use halopsa::models::{Action, Attachment, Report, Ticket};
use halopsa::{Client, RetryPolicy};
use halopsa_tests::fake_halo::{CLOSED_STATUS, FakeHalo, Ticketing};
use serde_json::json;

/// The stack of the thread the job runs on.
const STACK: usize = 1024 * 1024;

/// Fifteen steps of a ticketing automation, each a call of the generated client (listings read every page).
async fn ticketing_job(client: Client) -> Vec<String> {
    let mut done = Vec::new();
    // 1. The agent the application runs as.
    let me = client.agents().me().send().await.expect("1: me").id;
    done.push(format!("me {me:?}"));
    // 2. Every client, across pages.
    let clients = client.clients().list().all().await.expect("2: clients");
    done.push(format!("{} clients", clients.len()));
    // 3. Open a ticket.
    let mut ticket = Ticket::default();
    ticket.summary = Some("Printer on fire".into());
    ticket.details = Some("Second floor.".into());
    ticket.client_id = Some(1);
    ticket.tickettype_id = Some(1);
    let id = client.tickets().create(ticket).send().await.expect("3: create").id.expect("an id");
    // 4. Read it back.
    let read = client.tickets().get(id).send().await.expect("4: get");
    done.push(format!("ticket {:?}", read.summary));
    // 5. Every ticket of the client, across pages.
    let tickets = client.tickets().list().client_id(1).all().await.expect("5: list all");
    done.push(format!("{} tickets", tickets.len()));
    // 6. Change its summary.
    let mut change = Ticket::default();
    change.summary = Some("Printer on fire (second floor)".into());
    client.tickets().update(id, change).send().await.expect("6: update");
    // 7. A private note.
    let mut note = Action::default();
    note.ticket_id = Some(id);
    note.outcome = Some("Private Note".into());
    note.note = Some("Called the fire brigade.".into());
    note.hiddenfromuser = Some(true);
    client.actions().create(note).send().await.expect("7: note");
    // 8. A time entry.
    let mut time = Action::default();
    time.ticket_id = Some(id);
    time.outcome = Some("Time Entry".into());
    time.timetaken = Some(1.5);
    client.actions().create(time).send().await.expect("8: time");
    // 9. The ticket's actions.
    let actions = client.actions().list().ticket_id(id).all().await.expect("9: actions");
    done.push(format!("{} actions", actions.len()));
    // 10. The statuses, to find Closed.
    let statuses = client.statuses().list().send().await.expect("10: statuses");
    let closed = statuses.statuses.iter().find(|s| s.id == Some(CLOSED_STATUS as i32)).and_then(|s| s.id);
    // 11. The client's assets, across pages.
    let assets = client.assets().list().client_id(1).all().await.expect("11: assets");
    done.push(format!("{} assets", assets.len()));
    // 12. Attach a file.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let mut upload = Attachment::default();
    upload.ticket_id = Some(id);
    upload.filename = Some("logs.bin".into());
    upload.data_base64 = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
    let attachment = client.attachments().create(upload).send().await.expect("12: upload").id.expect("an id");
    // 13. Download it.
    let downloaded = client.attachments().download(attachment).send().await.expect("13: download");
    assert_eq!(downloaded, bytes);
    // 14. A report run.
    let mut query = Report::default();
    query.sql = Some("SELECT id, summary FROM faults WHERE client_id = 1".into());
    query.loadreportonly = Some(true);
    let report = client.reports().create(query).send().await.expect("14: report").report;
    let rows = report.and_then(|content| content.rows).map_or(0, |rows| rows.len());
    done.push(format!("{rows} rows"));
    // 15. Close it.
    let mut close = Action::default();
    close.ticket_id = Some(id);
    close.outcome = Some("Close".into());
    close.new_status = closed;
    client.actions().create(close).send().await.expect("15: close");
    done
}

#[test]
fn a_fifteen_step_ticketing_job_runs_in_a_1_mib_stack_in_a_debug_build() {
    // The fake runs on a runtime of its own, on threads with the default stack: only the client is measured.
    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let fake = server.block_on(FakeHalo::builder().default_seed().start());
    for n in 0..130 {
        let client_id = if n % 2 == 0 { 1 } else { 2 };
        fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": format!("Ticket {n}"), "client_id": client_id }));
        fake.insert_ticketing(Ticketing::Assets, json!({ "inventory_number": format!("A{n}"), "client_id": 1 }));
    }
    let client = Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(RetryPolicy::default().max_elapsed(Duration::from_secs(30)))
        .build()
        .unwrap();

    let job = std::thread::Builder::new()
        .name("small-stack".into())
        .stack_size(STACK)
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(ticketing_job(client))
        })
        .unwrap();
    let done = job.join().expect("the job finished");
    assert_eq!(done.len(), 7, "{done:?}");
    assert_eq!(done[3], "66 tickets", "{done:?}");
    assert_eq!(
        fake.ticketing_record(Ticketing::Tickets, 131).map(|t| t["status_id"].clone()),
        Some(json!(CLOSED_STATUS))
    );
    drop(fake);
    server.shutdown_background();
}

/// The future of every request is a few words, whatever the model it decodes (a ticket is 15 KB), and a listing's
/// is about a kilobyte: a caller that keeps several of them, spawns them or `block_on`s them, each of which copies
/// the future in a debug build, needs no large stack. Before the boxing, `tickets().get(1).send()` was 35 KB.
#[test]
fn the_futures_of_a_call_and_of_a_listing_are_small() {
    let client = Client::builder("http://127.0.0.1:9").bearer_token("token").build().unwrap();
    let calls = [
        ("tickets().get(1).send()", std::mem::size_of_val(&client.tickets().get(1).send())),
        ("tickets().create(..).send()", std::mem::size_of_val(&client.tickets().create(Ticket::default()).send())),
        ("tickets().update(..).send_with_response()", {
            std::mem::size_of_val(&client.tickets().update(1, Ticket::default()).send_with_response())
        }),
        (
            "actions().create_many(..).send()",
            std::mem::size_of_val(&client.actions().create_many([Action::default()]).send()),
        ),
        ("attachments().download(1).send()", std::mem::size_of_val(&client.attachments().download(1).send())),
        ("agents().me().send()", std::mem::size_of_val(&client.agents().me().send())),
    ];
    let listings = [
        ("tickets().list().all()", std::mem::size_of_val(&client.tickets().list().all())),
        ("tickets().list().send()", std::mem::size_of_val(&client.tickets().list().send())),
    ];
    println!("size_of_val in bytes: {calls:?} {listings:?}; Ticket {}", std::mem::size_of::<Ticket>());
    for (call, size) in calls {
        assert!(size <= 64, "{call}: {size} bytes");
    }
    for (listing, size) in listings {
        assert!(size <= 2048, "{listing}: {size} bytes");
    }
}
