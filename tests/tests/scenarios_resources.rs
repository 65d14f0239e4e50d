//! The scenarios of issue 17, one per family of the resources it adds, end to end: the generated client against the
//! fake Halo's plain resources (`halopsa_fake::Plain`).
//!
//! a. Billing: a client's contract with its recurring invoice.
//! b. Scheduling: a project with appointments and timesheet entries.
//! c. Knowledge base: an article written, found, corrected and removed.
//! d. Sales: a quote converted to a sales order.
//! e. Configuration: a lookup's values and a custom field definition that takes its options from it.
//!
//! New records are built from `Default::default()` with their fields assigned. Every create and update of this file
//! goes through the two macros below, so a change to those calls is made in one place.
#![allow(
    clippy::field_reassign_with_default,
    reason = "struct literals stop compiling outside the crate once the models are #[non_exhaustive]"
)]

use std::time::Duration;

use halopsa::models::Appointment;
use halopsa::models::{
    ClientContract, FieldInfo, Invoice, KbArticle, Lookup, Quote, Ticket, Timesheet, TimesheetEvent,
};
use halopsa::{Client, DateTime, RetryPolicy};
use halopsa_tests::fake_halo::{FakeHalo, Plain};
use serde_json::{Value, json};

fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(RetryPolicy::default().max_attempts(2).base_delay(Duration::from_millis(2)))
        .build()
        .expect("the client configuration is valid")
}

fn date(text: &str) -> DateTime {
    text.parse().expect("a date")
}

/// The JSON bodies of the POSTs to `path`.
fn posts_to(fake: &FakeHalo, path: &str) -> Vec<Value> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.eq_ignore_ascii_case(path))
        .filter_map(|r| r.body)
        .collect()
}

// ---------------------------------------------------------------- a. billing

#[tokio::test]
async fn a_contract_with_its_recurring_invoice() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    // Another client's recurring invoice, which the contract's listing must not return.
    fake.insert_plain(Plain::RecurringInvoices, json!({ "client_id": 99, "contract_id": 500 }));

    let mut contract = ClientContract::default();
    contract.client_id = Some(12);
    contract.r#ref = Some("MSP-2026".into());
    contract.start_date = Some(date("2026-01-01T00:00:00"));
    contract.end_date = Some(date("2026-12-31T00:00:00"));
    let contract = client.client_contracts().create(contract).send().await.expect("the record is created");
    let contract_id = contract.id.expect("Halo answers with the saved contract and its id");

    let mut invoice = Invoice::default();
    invoice.client_id = Some(12);
    invoice.contract_id = Some(contract_id);
    invoice.lines = Some(vec![json!({ "item_id": 3, "quantity": 10.0, "unit_price": 25.0 })]);
    let recurring = client.recurring_invoices().create(invoice).send().await.expect("the record is created");
    let recurring_id = recurring.id.expect("saved with an id");

    // The contract's recurring invoices: a paged listing, filtered by the contract.
    let of_contract = client.recurring_invoices().list().contract_id(contract_id).all().await.expect("listed");
    assert_eq!(of_contract.iter().map(|i| i.id).collect::<Vec<_>>(), [Some(recurring_id)]);
    assert_eq!(of_contract[0].lines.as_deref().map(<[Value]>::len), Some(1));
    let list =
        fake.requests().into_iter().find(|r| r.method == "GET" && r.path == "/api/RecurringInvoice").expect("listed");
    assert!(
        list.query.contains("pageinate=true") && list.query.contains(&format!("contract_id={contract_id}")),
        "{}",
        list.query
    );

    // A renewal: the new end date only.
    let mut renewal = ClientContract::default();
    renewal.end_date = Some(date("2027-12-31T00:00:00"));
    let renewed = client.client_contracts().update(contract_id, renewal).send().await.expect("the record is updated");
    assert_eq!(renewed.end_date.as_ref().map(DateTime::as_str), Some("2027-12-31T00:00:00"));
    assert_eq!(renewed.r#ref.as_deref(), Some("MSP-2026"), "what was not sent is unchanged");
    let stored = fake.plain_record(Plain::ClientContracts, contract_id).expect("stored");
    assert_eq!((&stored["client_id"], &stored["end_date"]), (&json!(12), &json!("2027-12-31T00:00:00")));
    let bodies = posts_to(&fake, "/api/ClientContract");
    assert_eq!(bodies[1], json!([{ "id": contract_id, "end_date": "2027-12-31T00:00:00" }]), "only the change is sent");
}

// ---------------------------------------------------------------- b. scheduling

#[tokio::test]
async fn a_project_with_appointments_and_timesheet_entries() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let agent_id = 7;

    let mut project = Ticket::default();
    project.summary = Some("Office move".into());
    project.client_id = Some(12);
    let project_id =
        client.projects().create(project).send().await.expect("the record is created").id.expect("saved with an id");

    for (subject, start, end) in [
        ("Survey", "2026-03-02T09:00:00", "2026-03-02T11:00:00"),
        ("Cabling", "2026-03-03T09:00:00", "2026-03-03T17:00:00"),
    ] {
        let mut appointment = Appointment::default();
        appointment.subject = Some(subject.into());
        appointment.ticket_id = Some(project_id);
        appointment.agent_id = Some(agent_id);
        appointment.start_date = Some(date(start));
        appointment.end_date = Some(date(end));
        client.appointments().create(appointment).send().await.expect("the record is created");
    }
    let mut other = Appointment::default();
    other.subject = Some("Another ticket's visit".into());
    other.ticket_id = Some(project_id + 1);
    client.appointments().create(other).send().await.expect("the record is created");

    let mut day = Timesheet::default();
    day.agent_id = Some(agent_id);
    day.date = Some(date("2026-03-02T00:00:00"));
    let timesheet_id =
        client.timesheets().create(day).send().await.expect("the record is created").id.expect("saved with an id");
    for (start, end, hours) in
        [("2026-03-02T09:00:00", "2026-03-02T11:00:00", 2.0), ("2026-03-02T13:00:00", "2026-03-02T14:30:00", 1.5)]
    {
        let mut entry = TimesheetEvent::default();
        entry.agent_id = Some(agent_id);
        entry.ticket_id = Some(project_id);
        entry.start_date = Some(date(start));
        entry.end_date = Some(date(end));
        entry.timetaken = Some(hours);
        client.timesheet_events().create(entry).send().await.expect("the record is created");
    }

    // The project's appointments, across pages.
    let appointments = client.appointments().list().ticket_id(project_id).all().await.expect("listed");
    let subjects: Vec<&str> = appointments.iter().filter_map(|a| a.subject.as_deref()).collect();
    assert_eq!(subjects, ["Survey", "Cabling"]);

    // The agent's day: its timesheet carries the entries, typed.
    let timesheet = client.timesheets().get(timesheet_id).send().await.expect("read");
    let events = timesheet.events.unwrap_or_default();
    assert_eq!(events.iter().map(|e| e.ticket_id).collect::<Vec<_>>(), [Some(project_id), Some(project_id)]);
    assert_eq!(events.iter().filter_map(|e| e.timetaken).sum::<f64>(), 3.5);
    let entries = client.timesheet_events().list().agent_id(agent_id).send().await.expect("listed");
    assert_eq!(entries.timesheetevents.len(), 2);
    // The project itself is a ticket of the projects resource.
    let read = client.projects().get(project_id).send().await.expect("read");
    assert_eq!(read.summary.as_deref(), Some("Office move"));
}

// ---------------------------------------------------------------- c. knowledge base

#[tokio::test]
async fn a_knowledge_base_article_written_found_corrected_and_removed() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let mut article = KbArticle::default();
    article.name = Some("VPN drops every hour".into());
    article.description = Some("The VPN client disconnects after 60 minutes.".into());
    article.resolution = Some("Set the session timeout to 0.".into());
    article.tag_string = Some("vpn,network".into());
    let id =
        client.kb_articles().create(article).send().await.expect("the record is created").id.expect("saved with an id");
    let mut other = KbArticle::default();
    other.name = Some("Printer offline".into());
    client.kb_articles().create(other).send().await.expect("the record is created");

    let found = client.kb_articles().list().search("vpn").all().await.expect("searched");
    assert_eq!(found.iter().map(|a| a.id).collect::<Vec<_>>(), [Some(id)]);

    let mut correction = KbArticle::default();
    correction.resolution = Some("Set the session timeout to 0 and restart the client.".into());
    client.kb_articles().update(id, correction).send().await.expect("the record is updated");
    let read = client.kb_articles().get(id).send().await.expect("read");
    assert_eq!(read.resolution.as_deref(), Some("Set the session timeout to 0 and restart the client."));
    assert_eq!(read.name.as_deref(), Some("VPN drops every hour"));

    client.kb_articles().delete(id).send().await.expect("deleted");
    let error = client.kb_articles().get(id).send().await.expect_err("gone");
    assert_eq!(error.status(), Some(404), "{error}");
}

// ---------------------------------------------------------------- d. sales

#[tokio::test]
async fn a_quote_converted_to_a_sales_order() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let mut quote = Quote::default();
    quote.title = Some("Ten laptops".into());
    quote.client_id = Some(12);
    quote.lines = Some(vec![json!({ "item_id": 3, "quantity": 10.0, "unit_price": 900.0 })]);
    let quote_id =
        client.quotes().create(quote).send().await.expect("the record is created").id.expect("saved with an id");

    // The customer accepted: make a sales order of the quote (a write-only command of Halo's).
    let mut accept = Quote::default();
    accept.create_so = Some(true);
    let converted = client.quotes().update(quote_id, accept).send().await.expect("the record is updated");
    let order_id = converted.salesorder_id.expect("the quote names its sales order");
    assert_eq!(posts_to(&fake, "/api/Quotation")[1], json!([{ "id": quote_id, "_create_so": true }]));

    // Sales orders are not a curated resource: read the order through the escape hatch.
    let order: Value =
        client.request(halopsa::Method::GET, format!("/SalesOrder/{order_id}")).send().await.expect("the sales order");
    assert_eq!((&order["quotation_id"], &order["client_id"]), (&json!(quote_id), &json!(12)));
    assert_eq!(order["lines"][0]["quantity"], json!(10.0));
    // The client's quotes, with the order each became.
    let quotes = client.quotes().list().client_id(12).all().await.expect("listed");
    assert_eq!(quotes.iter().map(|q| q.salesorder_id).collect::<Vec<_>>(), [Some(order_id)]);
}

// ---------------------------------------------------------------- e. configuration

#[tokio::test]
async fn a_lookup_value_and_a_custom_field_definition() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let regions = 55; // the lookup whose values the field offers
    fake.insert_plain(Plain::Lookups, json!({ "lookupid": 12, "name": "Another lookup's value" }));
    for name in ["EMEA", "APAC"] {
        let mut value = Lookup::default();
        value.lookupid = Some(regions);
        value.name = Some(name.into());
        client.lookups().create(value).send().await.expect("the record is created");
    }
    let mut field = FieldInfo::default();
    field.name = Some("CFRegion".into());
    field.label = Some("Region".into());
    field.lookup = Some(regions);
    let field_id =
        client.field_info().create(field).send().await.expect("the record is created").id.expect("saved with an id");

    let values = client.lookups().list().lookupid(regions).send().await.expect("the lookup's values");
    let names: Vec<&str> = values.lookup.iter().filter_map(|v| v.name.as_deref()).collect();
    assert_eq!(names, ["EMEA", "APAC"]);
    let read = client.field_info().get(field_id).send().await.expect("the field");
    assert_eq!((read.name.as_deref(), read.lookup), (Some("CFRegion"), Some(regions)));
    let fields = client.field_info().list().send().await.expect("the fields");
    assert_eq!(fields.fields.len(), 1);
    // Configuration needs `admin` (or `all`): the requests carried a token of the default application (`all`).
    assert!(fake.requests().iter().all(|r| r.status == Some(200)), "{:?}", fake.requests());
}
