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

// ---------------------------------------------------------------- downloads whatever they hold (issue 18, items 2, 3)

/// Equal bytes, without printing kilobytes of numbers when they differ.
#[track_caller]
fn assert_same_bytes(got: &[u8], expected: &[u8], what: &str) {
    let shown = |bytes: &[u8]| String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
    assert!(got == expected, "{what}: got {} bytes ({:?}...), expected {}", got.len(), shown(got), expected.len());
}

/// Uploads `bytes` as an attachment named `filename` of a new ticket; returns its id.
async fn upload(fake: &FakeHalo, client: &Client, filename: &str, bytes: &[u8]) -> i32 {
    let ticket_id = fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": "With a file" }));
    let mut upload = Attachment::default();
    upload.ticket_id = Some(upload_ticket(ticket_id));
    upload.filename = Some(filename.into());
    upload.data_base64 = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
    client.attachments().create_many(vec![upload]).send().await.expect("uploaded")[0].id.expect("an id")
}

#[tokio::test]
async fn an_attachment_that_looks_like_a_halo_error_downloads_as_its_bytes() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    for (name, content) in [
        ("error.json", r#"{"Message":"No licence seats available"}"#),
        ("exception.json", r#"{"ClassName":"HaloException","Message":"An error has occurred."}"#),
        ("oauth.json", r#"{"error":"invalid_client","error_description":"a sample"}"#),
        ("problem.json", r#"{"title":"Bad","status":400,"errors":{"x":["y"]}}"#),
    ] {
        let id = upload(&fake, &client, name, content.as_bytes()).await;
        let response = client.attachments().download(id).send_with_response().await.expect("the file, not an error");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "served as JSON, as Halo serves a JSON file"
        );
        assert_eq!(response.into_inner(), content.as_bytes(), "{name}");
        let escape: Vec<u8> = client
            .request(halopsa::Method::GET, format!("/Attachment/{id}"))
            .send_bytes()
            .await
            .expect("the same through the escape hatch");
        assert_eq!(escape, content.as_bytes(), "{name}");
    }
    // A status that is not 2xx is still an error.
    let error = client.attachments().download(999).send().await.expect_err("no attachment 999");
    assert_eq!(error.status(), Some(404), "{error}");
}

#[tokio::test]
async fn a_large_attachment_answered_with_a_link_is_fetched_without_the_halo_token() {
    let fake = FakeHalo::start().await;
    fake.set_attachment_links(Some(1000));
    let client = client(&fake);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let id = upload(&fake, &client, "big.bin", &bytes).await;
    let small = upload(&fake, &client, "small.txt", b"small").await;

    let response = client.attachments().download(id).send_with_response().await.expect("the linked file");
    assert_eq!(response.headers()["content-type"], "application/octet-stream");
    assert_same_bytes(&response.into_inner(), &bytes, "the file's bytes, not the link");
    assert_eq!(client.attachments().download(small).send().await.expect("served itself"), b"small");
    let via_link: Vec<_> = fake.requests().into_iter().filter(|r| r.path.starts_with("/files/")).collect();
    assert_eq!(via_link.len(), 1, "the link was followed once");
    assert_eq!(via_link[0].authorization, None, "the Halo token never goes to the link's host");
    assert!(via_link[0].headers.iter().any(|(name, value)| name == "host" && value.starts_with("localhost:")));
    // The escape hatch follows it too.
    let escape = client.request(halopsa::Method::GET, format!("/Attachment/{id}")).send_bytes().await.expect("file");
    assert_same_bytes(&escape, &bytes, "through the escape hatch");
}

#[tokio::test]
async fn a_download_cut_short_is_retried_from_halo_and_from_a_link() {
    use halopsa_tests::fake_halo::{Fault, Target};
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    let id = upload(&fake, &client, "logs.bin", &bytes).await;

    fake.inject(Fault::ConnectionDropped.on(Target::get("/api/Attachment")).times(1));
    fake.clear_requests();
    assert_same_bytes(&client.attachments().download(id).send().await.expect("retried"), &bytes, "retried");
    assert_eq!(fake.requests().len(), 2, "the cut download, then the whole one");

    fake.set_attachment_links(Some(1));
    fake.inject(Fault::ConnectionDropped.on(Target::get("/files")).times(1));
    fake.clear_requests();
    assert_same_bytes(&client.attachments().download(id).send().await.expect("retried"), &bytes, "retried");
    let links = fake.requests().iter().filter(|r| r.path.starts_with("/files/")).count();
    assert_eq!(links, 2, "the cut link download, then the whole one");

    // Without retries the cut is an error, never a short file.
    fake.inject(Fault::ConnectionDropped.on(Target::get("/files")).times(1));
    let error = client.attachments().download(id).retry_policy(RetryPolicy::none()).send().await.unwrap_err();
    assert!(error.is_retryable(), "a read cut short may be repeated: {error}");
}

// ---------------------------------------------------------------- outcomes that are not certain (issue 18, item 7)

#[tokio::test]
async fn a_report_run_is_repeated_after_a_gateway_error_but_a_report_save_is_not() {
    use halopsa_tests::fake_halo::{ErrorBody, Fault, Target};
    let fake = FakeHalo::start().await;
    fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": "A", "client_id": 1 }));
    let client = client(&fake);
    let gateway = || Fault::error(502, ErrorBody::Text("Bad Gateway".into())).on(Target::post("/api/Report")).times(1);

    // A run (`_loadreportonly`) changes nothing: a 502 is retried like a read.
    fake.inject(gateway());
    let mut run = Report::default();
    run.sql = Some("SELECT id, summary FROM faults".into());
    run.loadreportonly = Some(true);
    let answer = client.reports().create_many(vec![run]).send().await.expect("retried after the 502");
    assert_eq!(answer[0].report.as_ref().and_then(|r| r.rows.as_ref()).map(Vec::len), Some(1));
    assert_eq!(posts_to(&fake, "/api/Report").len(), 2);

    // A save may have happened behind the gateway: not repeated, the outcome is unknown.
    fake.inject(gateway());
    let mut save = Report::default();
    save.name = Some("Saved".into());
    save.sql = Some("SELECT id FROM faults".into());
    let error = client.reports().create_many(vec![save]).send().await.expect_err("not repeated");
    assert_eq!(error.kind(), halopsa::ErrorKind::OutcomeUnknown, "{error}");
    assert_eq!(posts_to(&fake, "/api/Report").len(), 3);
}

#[tokio::test]
async fn a_500_to_a_create_is_an_unknown_outcome_and_a_500_to_a_read_is_retried() {
    use halopsa::ErrorKind;
    use halopsa_tests::fake_halo::{ErrorBody, Fault, Target};
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    // Halo saved the ticket, then failed: the client must not say "failed", nor create it again.
    fake.inject(Fault::FailAfterSaving(500).on(Target::post("/api/Tickets").creates_only()).times(1));
    let mut ticket = Ticket::default();
    ticket.summary = Some("Saved before the 500".into());
    let error = client.tickets().create_many(vec![ticket]).send().await.expect_err("a 500");
    assert_eq!((error.kind(), error.status()), (ErrorKind::OutcomeUnknown, Some(500)), "{error}");
    assert!(!error.is_retryable());
    assert_eq!(fake.ticketing_records(Ticketing::Tickets).len(), 1, "Halo saved it, once");

    // A read answered 500 once is retried.
    let id = fake.ticketing_records(Ticketing::Tickets)[0]["id"].as_i64().expect("id") as i32;
    let server_error = || Fault::error(500, ErrorBody::Message("An error has occurred.".into()));
    fake.inject(server_error().on(Target::get("/api/Tickets")).times(1));
    fake.clear_requests();
    let read = client.tickets().get(id).send().await.expect("retried");
    assert_eq!(read.summary.as_deref(), Some("Saved before the 500"));
    assert_eq!(fake.requests().len(), 2);

    // One that persists is tried three times, not for the whole retry budget.
    fake.inject(server_error().on(Target::get("/api/Tickets")));
    fake.clear_requests();
    let error = client.tickets().get(id).retry_policy(RetryPolicy::default()).send().await.expect_err("500");
    assert_eq!((error.kind(), error.status()), (ErrorKind::Api, Some(500)));
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_field_halo_cannot_convert_comes_back_per_field_not_as_raw_json() {
    let fake = FakeHalo::start().await;
    let ticket_id = fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": "A" }));
    let client = client(&fake);
    let error = client
        .request(halopsa::Method::POST, "/Actions")
        .json(&json!([{ "ticket_id": ticket_id, "outcome_id": "Time Entry", "note": "x" }]))
        .send::<Value>()
        .await
        .expect_err("Halo refuses a name where an id goes");
    assert_eq!(error.status(), Some(400));
    let fields: Vec<(&str, &[String])> = error.field_errors().iter().map(|f| (f.field(), f.messages())).collect();
    assert_eq!(fields.len(), 1, "{error}");
    assert_eq!(fields[0].0, "[0].outcome_id");
    assert!(fields[0].1[0].starts_with("Could not convert string to integer: Time Entry."), "{error}");
    let shown = error.to_string();
    assert!(shown.contains("halo answered 400 Bad Request: [0].outcome_id: Could not convert"), "{shown}");
    assert!(!shown.contains('{'), "readable, not the raw JSON: {shown}");
    assert!(fake.ticketing_records(Ticketing::Actions).is_empty(), "nothing saved");
}

// ---------------------------------------------------------------- after an unknown outcome (issue 18, item 9)

/// The tickets whose summary is `summary`, through the client: what an application looks a create up by.
async fn find_ticket(client: &Client, summary: &str) -> halopsa::Result<Option<Ticket>> {
    let page = client.tickets().list().search(summary).send().await?;
    Ok(page.tickets.into_iter().find(|t| t.summary.as_deref() == Some(summary)))
}

#[tokio::test(start_paused = true)]
async fn a_create_that_timed_out_is_found_once_halo_has_saved_it() {
    use halopsa::ErrorKind;
    use halopsa_tests::fake_halo::{Fault, Target};
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    // Halo takes 30 s to save; the client gives up after 5 s. The ticket lands 25 s after the error.
    fake.inject(Fault::Delay(Duration::from_secs(30)).on(Target::post("/api/Tickets")).times(1));
    let mut ticket = Ticket::default();
    ticket.summary = Some("Slow save".into());
    let error = client
        .tickets()
        .create_many(vec![ticket])
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::none())
        .send()
        .await
        .expect_err("timed out");
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error}");
    assert!(find_ticket(&client, "Slow save").await.unwrap().is_none(), "not there yet: looking at once misses it");

    let started = tokio::time::Instant::now();
    let found = error.find_once_settled(|| find_ticket(&client, "Slow save")).await.expect("lookups work");
    assert!(found.is_some(), "found once Halo saved it");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(25) && waited < Duration::from_secs(60), "{waited:?}");
    assert_eq!(fake.ticketing_records(Ticketing::Tickets).len(), 1, "one ticket: nothing was sent twice");
}

#[tokio::test(start_paused = true)]
async fn a_create_that_never_landed_is_reported_absent_after_the_settle_time() {
    use halopsa::{ErrorKind, SETTLE_TIME};
    use halopsa_tests::fake_halo::{ErrorBody, Fault, Target};
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    // A gateway that failed before Halo saw the request: nothing lands.
    fake.inject(Fault::error(504, ErrorBody::Text("Gateway Timeout".into())).on(Target::post("/api/Tickets")).times(1));
    let mut ticket = Ticket::default();
    ticket.summary = Some("Lost".into());
    let error = client.tickets().create_many(vec![ticket]).send().await.expect_err("504");
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown);
    let started = tokio::time::Instant::now();
    let lookups = std::sync::atomic::AtomicUsize::new(0);
    let found = error
        .find_once_settled(|| {
            lookups.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            find_ticket(&client, "Lost")
        })
        .await
        .expect("lookups work");
    assert!(found.is_none());
    let waited = started.elapsed();
    assert!(waited >= SETTLE_TIME - Duration::from_secs(1) && waited <= SETTLE_TIME, "{waited:?}");
    let lookups = lookups.into_inner();
    assert!((8..=14).contains(&lookups), "5, 10, 20, then every 30 s, and once at the end: {lookups}");

    // Saved before a 500: found by the first lookup, no wait.
    fake.inject(Fault::FailAfterSaving(500).on(Target::post("/api/Tickets")).times(1));
    let mut ticket = Ticket::default();
    ticket.summary = Some("Saved".into());
    let error = client.tickets().create_many(vec![ticket]).send().await.expect_err("500");
    let started = tokio::time::Instant::now();
    assert!(error.find_once_settled(|| find_ticket(&client, "Saved")).await.unwrap().is_some());
    assert_eq!(started.elapsed(), Duration::ZERO);

    // Any other error: one lookup.
    let error = client.tickets().get(999).send().await.expect_err("404");
    let started = tokio::time::Instant::now();
    assert!(error.find_once_settled(|| find_ticket(&client, "Nowhere")).await.unwrap().is_none());
    assert_eq!(started.elapsed(), Duration::ZERO);
}

// ---------------------------------------------------------------- a fake that tells the truth (issue 18, item 10)

#[tokio::test]
async fn the_readmes_sql_report_reads_rows_from_the_fake() {
    // The README's ad-hoc SQL, in Halo's own table and column names.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let line = readme.lines().find(|line| line.contains("query.sql = Some(")).expect("the README's SQL");
    let sql = line.split('"').nth(1).expect("a string literal");
    assert!(sql.starts_with("SELECT faultid AS id, symptom AS summary FROM faults"), "{sql}");

    let fake = FakeHalo::start().await;
    for (summary, client_id) in [("Printer", 42), ("Other client", 43), ("Scanner", 42)] {
        fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": summary, "client_id": client_id }));
    }
    let mut query = Report::default();
    query.sql = Some(sql.to_owned());
    query.loadreportonly = Some(true);
    let answer = client(&fake).reports().create_many(vec![query]).send().await.expect("runs");
    let rows = answer[0].report.as_ref().and_then(|c| c.rows.clone()).unwrap_or_default();
    #[derive(Deserialize, Debug, PartialEq)]
    struct Row {
        id: i64,
        summary: String,
    }
    let rows: Vec<Row> =
        rows.into_iter().map(|row| serde_json::from_value(Value::Object(row.into_iter().collect())).unwrap()).collect();
    assert_eq!(rows, [Row { id: 1, summary: "Printer".into() }, Row { id: 3, summary: "Scanner".into() }]);
}

#[tokio::test(start_paused = true)]
async fn a_created_ticket_has_the_dates_and_custom_fields_halo_sets() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let mut ticket = Ticket::default();
    ticket.summary = Some("Dated".into());
    let saved = client.tickets().create_many(vec![ticket]).send().await.expect("created").remove(0);
    let id = saved.id.expect("id");
    for (name, date) in [("dateoccurred", &saved.dateoccurred), ("datecreated", &saved.datecreated)] {
        let text = date.as_ref().map(|d| d.as_str().to_owned()).unwrap_or_else(|| panic!("{name} is set"));
        // Halo's form: UTC without an offset, 7 fractional digits.
        let (_, fraction) = text.split_once('.').unwrap_or_else(|| panic!("{name}: {text}"));
        assert!(fraction.len() == 7 && fraction.bytes().all(|b| b.is_ascii_digit()), "{name}: {text}");
        assert!(date.as_ref().and_then(halopsa::DateTime::to_offset_date_time).is_some(), "{name}: {text}");
    }
    let created = saved.lastactiondate.as_ref().and_then(halopsa::DateTime::to_offset_date_time).expect("a date");

    // Its type's custom fields, blank; one set without blanking the others.
    let field = saved.custom_field("CFReference").expect("the ticket type's custom field");
    assert!(field.is_empty());
    let read = client.tickets().get(id).send().await.expect("read");
    let change = read.custom_fields_update([("CFReference", "PO-1234")]).expect("has its custom fields");
    client.tickets().update(id, change).send().await.expect("updated");
    let read = client.tickets().get(id).send().await.expect("read");
    assert_eq!(
        read.custom_field("CFReference").and_then(|v| v.as_str().map(str::to_owned)).as_deref(),
        Some("PO-1234")
    );
    assert!(read.custom_field("CFOnSite").is_some(), "the others are still there");

    // An action a minute later moves the ticket's last action date.
    tokio::time::advance(Duration::from_secs(60)).await;
    let mut note = Action::default();
    note.ticket_id = Some(id);
    note.note = Some("later".into());
    let action = client.actions().create_many(vec![note]).send().await.expect("added").remove(0);
    assert!(action.datetime.is_some(), "an action is dated too");
    let read = client.tickets().get(id).send().await.expect("read");
    let last = read.lastactiondate.as_ref().and_then(halopsa::DateTime::to_offset_date_time).expect("a date");
    assert!(last - created >= halopsa::time::Duration::seconds(60), "{created} then {last}");
}
