//! The ticketing scenarios of issue 11 end to end: the generated client against the fake Halo's ticketing side.
//!
//! 1. Open a ticket for a client, add a private note and a time entry, close it.
//! 2. List every open ticket of a client across pages.
//! 3. Export every asset of a client.
//! 4. Run an ad-hoc SQL report, and a saved report's rows into a caller's type.
//! 5. Upload an attachment as base64 JSON and download its bytes.
//!
//! New records are built with `Default::default()` and field assignment, so the code keeps compiling if the
//! models become `#[non_exhaustive]`.
#![allow(
    clippy::field_reassign_with_default,
    reason = "struct literals stop compiling outside the crate once the models are #[non_exhaustive]"
)]

use std::time::Duration;

use base64::Engine as _;
use halopsa::Client;
use halopsa::RetryPolicy;
use halopsa::models::{Action, Attachment, Report, Ticket};
use halopsa_tests::fake_halo::{CLOSED_STATUS, FakeHalo, Ticketing};
use serde::Deserialize;
use serde_json::{Value, json};

fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(4)
                .base_delay(Duration::from_millis(2))
                .max_delay(Duration::from_millis(20))
                .max_elapsed(Duration::from_secs(10)),
        )
        .build()
        .expect("the client configuration is valid")
}

fn posts_to(fake: &FakeHalo, path: &str) -> Vec<Value> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.eq_ignore_ascii_case(path))
        .filter_map(|r| r.body)
        .collect()
}

// ---------------------------------------------------------------- 1. open, note, time, close

#[tokio::test]
async fn open_a_ticket_add_a_private_note_and_a_time_entry_then_close_it() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let client_id = 42;

    let mut ticket = Ticket::default();
    ticket.summary = Some("Printer on fire".into());
    ticket.details = Some("Second floor.".into());
    ticket.client_id = Some(client_id);
    ticket.tickettype_id = Some(1);
    let opened = client.tickets().create(ticket).send().await.expect("the ticket is created");
    let ticket_id = opened.id.expect("Halo answers with the saved ticket and its id");

    let mut note = Action::default();
    note.ticket_id = Some(ticket_id);
    note.outcome = Some("Private Note".into());
    note.note = Some("Called the fire brigade.".into());
    note.hiddenfromuser = Some(true);
    let mut time = Action::default();
    time.ticket_id = Some(ticket_id);
    time.outcome = Some("Time Entry".into());
    time.note = Some("On site.".into());
    time.timetaken = Some(1.5);
    client.actions().create_many(vec![note, time]).send().await.expect("the actions are added");

    let statuses = client.statuses().list().send().await.expect("statuses list");
    let closed = statuses
        .statuses
        .iter()
        .find(|s| s.name.as_deref() == Some("Closed"))
        .and_then(|s| s.id)
        .expect("a Closed status");
    let mut close = Action::default();
    close.ticket_id = Some(ticket_id);
    close.outcome = Some("Close".into());
    close.note = Some("Fire out.".into());
    close.new_status = Some(closed);
    client.actions().create(close).send().await.expect("the closing action is added");

    // The server's state: the ticket is closed, carries the time, and has the three actions.
    let stored = fake.ticketing_record(Ticketing::Tickets, i64::from(ticket_id)).expect("stored ticket");
    assert_eq!(stored["status_id"], json!(CLOSED_STATUS));
    assert_eq!(stored["client_id"], json!(client_id));
    assert_eq!(stored["timetaken"], json!(1.5));

    // A ticket's actions, through the client: all three, the private one only without `excludeprivate`.
    let actions = client.actions().list().ticket_id(ticket_id).send().await.expect("actions list");
    assert_eq!(actions.actions.len(), 3);
    let public = client.actions().list().ticket_id(ticket_id).excludeprivate(true).send().await.expect("public");
    assert_eq!(public.actions.len(), 2, "the private note is hidden from the public list");
    let timed = client.actions().list().ticket_id(ticket_id).timeentriesonly(true).send().await.expect("time");
    assert_eq!(timed.actions.iter().map(|a| a.timetaken).collect::<Vec<_>>(), [Some(1.5)]);

    // Only what was set went over the wire: no nulls that Halo would take as "blank this field".
    for body in posts_to(&fake, "/api/Actions") {
        for action in body.as_array().expect("an array of actions") {
            assert!(action.as_object().expect("object").values().all(|v| !v.is_null()), "{action}");
            assert!(action.get("id").is_none(), "a new action is sent without an id: {action}");
        }
    }
}

#[tokio::test]
async fn an_action_for_a_missing_ticket_is_refused() {
    let fake = FakeHalo::start().await;
    let mut note = Action::default();
    note.ticket_id = Some(999);
    note.note = Some("lost".into());
    let error = client(&fake).actions().create(note).send().await.expect_err("no ticket 999");
    assert_eq!(error.status(), Some(404), "{error}");
    assert!(fake.ticketing_records(Ticketing::Actions).is_empty());
}

// ---------------------------------------------------------------- 2. every open ticket of a client

#[tokio::test]
async fn every_open_ticket_of_a_client_across_pages() {
    let fake = FakeHalo::start().await;
    for n in 0..260 {
        let client_id = if n % 2 == 0 { 7 } else { 8 };
        let status = if n % 5 == 0 { CLOSED_STATUS } else { 2 };
        fake.insert_ticketing(
            Ticketing::Tickets,
            json!({ "summary": format!("Ticket {n}"), "client_id": client_id, "status_id": status }),
        );
    }
    let expected: Vec<i64> = fake
        .ticketing_records(Ticketing::Tickets)
        .iter()
        .filter(|t| t["client_id"] == json!(7) && t["status_id"] != json!(CLOSED_STATUS))
        .filter_map(|t| t["id"].as_i64())
        .collect();
    assert_eq!(expected.len(), 104);

    let open = client(&fake).tickets().list().client_id(7).open_only(true).all().await.expect("all open tickets");
    let ids: Vec<i64> = open.iter().filter_map(|t| t.id).map(i64::from).collect();
    assert_eq!(ids, expected);
    let pages: Vec<_> = fake.requests().into_iter().filter(|r| r.path.eq_ignore_ascii_case("/api/Tickets")).collect();
    assert!(pages.len() >= 2, "more than one page was fetched ({} requests)", pages.len());
    for page in &pages {
        let has = |name: &str, value: &str| page.query_pairs.iter().any(|(k, v)| k == name && v == value);
        assert!(has("client_id", "7") && has("open_only", "true") && has("pageinate", "true"), "{}", page.query);
    }
}

// ---------------------------------------------------------------- 3. export a client's assets

#[tokio::test]
async fn export_every_asset_of_a_client() {
    let fake = FakeHalo::start().await;
    fake.set_max_page_size(25);
    for n in 0..90 {
        let client_id = if n < 60 { 3 } else { 4 };
        fake.insert_ticketing(
            Ticketing::Assets,
            json!({ "inventory_number": format!("ASSET-{n:03}"), "client_id": client_id, "assettype_name": "Laptop" }),
        );
    }
    let assets = client(&fake).assets().list().client_id(3).all().await.expect("every asset");
    let tags: Vec<&str> = assets.iter().filter_map(|a| a.inventory_number.as_deref()).collect();
    let expected: Vec<String> = (0..60).map(|n| format!("ASSET-{n:03}")).collect();
    assert_eq!(tags, expected);
    // The pager asked for more than the (lowered) cap and still got everything.
    let fetched = fake.requests().into_iter().filter(|r| r.path.eq_ignore_ascii_case("/api/Asset")).count();
    assert!(fetched >= 3, "{fetched} pages");
}

// ---------------------------------------------------------------- 4. reports

#[tokio::test]
async fn run_an_ad_hoc_sql_report() {
    let fake = FakeHalo::start().await;
    for (summary, client_id) in [("A", 1), ("B", 2), ("C", 1)] {
        fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": summary, "client_id": client_id }));
    }
    let client = client(&fake);
    let mut query = Report::default();
    query.name = Some(String::new());
    query.sql = Some("SELECT id, summary FROM faults WHERE client_id = 1".into());
    query.loadreportonly = Some(true);
    let answer = client.reports().create(query).send().await.expect("the report runs");
    let content = answer.report.as_ref().expect("the report content");
    assert_eq!(content.loaded, Some(true));
    let rows = content.rows.as_ref().expect("rows");
    let summaries: Vec<&Value> = rows.iter().map(|row| &row["summary"]).collect();
    assert_eq!(summaries, [&json!("A"), &json!("C")]);
    assert!(fake.ticketing_records(Ticketing::Reports).is_empty(), "a `_loadreportonly` report is not saved");
    let sent = &posts_to(&fake, "/api/Report")[0][0];
    assert_eq!(sent["_loadreportonly"], json!(true), "{sent}");

    // A bad query comes back as Halo's load error, not as rows.
    let mut bad = Report::default();
    bad.sql = Some("SELECT * FROM nowhere".into());
    bad.loadreportonly = Some(true);
    let answer = client.reports().create(bad).send().await.expect("the request succeeds");
    let content = answer.report.as_ref().expect("content");
    assert_eq!(content.loaded, Some(false));
    assert_eq!(content.load_error.as_deref(), Some("Invalid object name 'nowhere'."));
}

/// A row of the saved report below, as the caller wants it.
#[derive(Debug, Deserialize, PartialEq)]
struct SiteRow {
    id: i64,
    name: String,
}

#[tokio::test]
async fn fetch_a_saved_reports_rows_into_a_callers_type() {
    let fake = FakeHalo::start().await;
    fake.insert_ticketing(Ticketing::Sites, json!({ "name": "Head office", "client_id": 5 }));
    fake.insert_ticketing(Ticketing::Sites, json!({ "name": "Warehouse", "client_id": 5 }));
    let client = client(&fake);
    let mut saved = Report::default();
    saved.name = Some("Sites of client 5".into());
    saved.sql = Some("select id, name from site where client_id = 5".into());
    let report_id = client.reports().create(saved).send().await.expect("saved").id.expect("id");

    let report = client.reports().get(report_id).loadreport(true).send().await.expect("the report with its rows");
    let rows = report.report.and_then(|content| content.rows).expect("rows");
    let typed: Vec<SiteRow> = rows
        .into_iter()
        .map(|row| serde_json::from_value(Value::Object(row.into_iter().collect())))
        .collect::<Result<_, _>>()
        .expect("rows decode into the caller's type");
    assert_eq!(typed, [SiteRow { id: 1, name: "Head office".into() }, SiteRow { id: 2, name: "Warehouse".into() }]);

    // Without `loadreport` the report is only its definition.
    let plain = client.reports().get(report_id).send().await.expect("definition");
    assert!(plain.report.is_none());
}

// ---------------------------------------------------------------- 5. attachments

#[tokio::test]
async fn upload_an_attachment_as_base64_and_download_its_bytes() {
    let fake = FakeHalo::start().await;
    let ticket_id = fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": "Logs attached" }));
    let client = client(&fake);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();

    let mut upload = Attachment::default();
    upload.ticket_id = Some(i32::try_from(ticket_id).expect("small id"));
    upload.filename = Some("logs.bin".into());
    upload.data_base64 = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
    let saved = client.attachments().create(upload).send().await.expect("uploaded");
    let id = saved.id.expect("the attachment's id");
    assert_eq!(saved.filesize, Some(3000));
    assert_eq!(fake.attachment_bytes(i64::from(id)).as_deref(), Some(bytes.as_slice()));

    let listed = client.attachments().list().ticket_id(upload_ticket(ticket_id)).send().await.expect("listed");
    assert_eq!(listed.attachments.iter().map(|a| a.filename.as_deref()).collect::<Vec<_>>(), [Some("logs.bin")]);
    let downloaded = client.attachments().download(id).send().await.expect("downloaded");
    assert_eq!(downloaded, bytes);
}

fn upload_ticket(id: i64) -> i32 {
    i32::try_from(id).expect("small id")
}

#[tokio::test]
async fn an_attachment_that_is_not_base64_is_refused() {
    let fake = FakeHalo::start().await;
    let mut upload = Attachment::default();
    upload.filename = Some("x.txt".into());
    upload.data_base64 = Some("not base64!".into());
    let error = client(&fake).attachments().create(upload).send().await.expect_err("refused");
    assert_eq!(error.status(), Some(400), "{error}");
}
