//! Loss-proof keys (issue 20.6): the pager recognises records by the key the spec names for their type
//! (`x-halo-key`), not by `id` alone, against the fake Halo serving ids the way Halo does: actions numbered within
//! their ticket, and the days of a timesheet nobody saved listed with `id: 0`. A record that repeats with the same
//! content (Halo's shifting pages) is still yielded once; a key that repeats with different content is reported,
//! never dropped.
#![allow(
    clippy::field_reassign_with_default,
    reason = "struct literals stop compiling outside the crate once the models are #[non_exhaustive]"
)]

use halopsa::models::{Action, Ticket, TimesheetEvent};
use halopsa::{Client, DateTime, ErrorKind};
use halopsa_tests::fake_halo::{FakeHalo, Ticketing};
use serde_json::json;

fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .build()
        .expect("the client configuration is valid")
}

/// Two tickets with two actions each: Halo numbers actions within their ticket, so a listing across tickets holds
/// two actions with id 1 and two with id 2. Keyed by `(ticket_id, id)`, all four come back; by `id` alone, two
/// would have been dropped.
#[tokio::test]
async fn actions_of_several_tickets_share_ids_and_none_is_lost() {
    let fake = FakeHalo::start().await;
    fake.set_action_ids_per_ticket(true);
    let client = client(&fake);
    for summary in ["Printer on fire", "Mouse missing"] {
        let mut ticket = Ticket::default();
        ticket.summary = Some(summary.into());
        let ticket_id = client.tickets().create(ticket).send().await.expect("created").id.expect("an id");
        for note in ["first", "second"] {
            let mut action = Action::default();
            action.ticket_id = Some(ticket_id);
            action.note = Some(format!("{summary}: {note}"));
            client.actions().create(action).send().await.expect("added");
        }
    }

    let actions = client.actions().list().all().await.expect("every action, no key conflict");
    let keys: Vec<(Option<i32>, i32)> = actions.iter().map(|a| (a.ticket_id, a.id.unwrap_or_default())).collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    let ids: Vec<i32> = keys.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids, [1, 2, 1, 2], "Halo's numbers within each ticket");
    let notes: Vec<&str> = actions.iter().filter_map(|a| a.note.as_deref()).collect();
    assert_eq!(
        notes,
        ["Printer on fire: first", "Printer on fire: second", "Mouse missing: first", "Mouse missing: second"]
    );
}

/// Halo lists an agent's days that have time entries but no saved timesheet with `id: 0`. Keyed by `(agent_id,
/// date)`, each day is its own record; by `id`, every unsaved day after the first would have been dropped.
#[tokio::test]
async fn timesheet_days_listed_with_id_0_are_all_kept() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    for start in ["2026-03-02T09:00:00", "2026-03-03T09:00:00", "2026-03-04T09:00:00"] {
        let mut entry = TimesheetEvent::default();
        entry.agent_id = Some(7);
        entry.start_date = Some(start.parse().expect("a date"));
        entry.timetaken = Some(1.0);
        client.timesheet_events().create(entry).send().await.expect("entry added");
    }

    let days = client.timesheets().list().all().await.expect("every day, no key conflict");
    let listed: Vec<(Option<i32>, Option<&str>)> =
        days.iter().map(|day| (day.id, day.date.as_ref().map(DateTime::as_str))).collect();
    assert_eq!(
        listed,
        [
            (Some(0), Some("2026-03-02T00:00:00")),
            (Some(0), Some("2026-03-03T00:00:00")),
            (Some(0), Some("2026-03-04T00:00:00"))
        ]
    );
    assert!(days.iter().all(|day| day.events.as_ref().is_some_and(|events| events.len() == 1)));
}

/// Seeds tickets 10 to 15 (ids chosen so that one can be added before them later).
fn seed_tickets(fake: &FakeHalo) {
    for id in 10..=15 {
        fake.insert_ticketing(Ticketing::Tickets, json!({ "id": id, "summary": format!("ticket {id}") }));
    }
}

/// Pages shift when a record is added before the cursor: the last record of page 1 comes again on page 2. Unchanged,
/// it is yielded once (and the record added before the cursor is reported missing, as it is).
#[tokio::test]
async fn a_record_repeated_by_shifting_pages_is_yielded_once() {
    let fake = FakeHalo::start().await;
    seed_tickets(&fake);
    let client = client(&fake);
    let mut pages = client.tickets().list().page_size(2).pages();
    let first = pages.next_page().await.expect("a page").expect("page 1");
    assert_eq!(first.tickets.iter().filter_map(|t| t.id).collect::<Vec<_>>(), [10, 11]);
    fake.insert_ticketing(Ticketing::Tickets, json!({ "id": 5, "summary": "added during the listing" }));

    let mut ids = Vec::new();
    let mut last_error = None;
    while let Some(page) = pages.next_page().await {
        match page {
            Ok(page) => ids.extend(page.tickets.iter().filter_map(|t| t.id)),
            Err(error) => last_error = Some(error),
        }
    }
    assert_eq!(ids, [12, 13, 14, 15], "ticket 11, repeated unchanged on page 2, is not yielded again");
    let error = last_error.expect("ticket 5 was added before the cursor and missed");
    assert_eq!(error.kind(), ErrorKind::Incomplete, "{error}");
}

/// The same key with different content: both records are yielded, and the listing ends with a `KeyConflict`
/// error naming the key, after every page (nothing dropped, nothing hidden).
#[tokio::test]
async fn a_key_repeated_with_different_content_is_reported_not_dropped() {
    let fake = FakeHalo::start().await;
    seed_tickets(&fake);
    let client = client(&fake);
    let mut pages = client.tickets().list().page_size(2).pages();
    let first = pages.next_page().await.expect("a page").expect("page 1");
    let mut summaries: Vec<(i32, String)> =
        first.tickets.iter().map(|t| (t.id.unwrap_or_default(), t.summary.clone().unwrap_or_default())).collect();
    // Between page 1 and page 2: ticket 11 changes, and a ticket added before it pushes it onto page 2.
    fake.insert_ticketing(Ticketing::Tickets, json!({ "id": 5, "summary": "added during the listing" }));
    fake.insert_ticketing(Ticketing::Tickets, json!({ "id": 11, "summary": "ticket 11, renamed" }));

    let mut last_error = None;
    while let Some(page) = pages.next_page().await {
        match page {
            Ok(page) => summaries
                .extend(page.tickets.iter().map(|t| (t.id.unwrap_or_default(), t.summary.clone().unwrap_or_default()))),
            Err(error) => last_error = Some(error),
        }
    }
    let ids: Vec<i32> = summaries.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [10, 11, 11, 12, 13, 14, 15], "both versions of ticket 11 are yielded");
    assert_eq!(summaries[2].1, "ticket 11, renamed", "the later one is the newer version");
    let error = last_error.expect("the conflict is reported");
    assert_eq!(error.kind(), ErrorKind::KeyConflict, "{error}");
    assert!(error.to_string().contains("id 11 on page 2"), "{error}");
    assert!(!error.is_retryable());

    // `all()` keeps every record with the error.
    fake.insert_ticketing(Ticketing::Tickets, json!({ "id": 11, "summary": "ticket 11" }));
    let listing = client.tickets().list().page_size(2).all().await.expect("a consistent listing has no conflict");
    assert_eq!(listing.len(), 7);
}
