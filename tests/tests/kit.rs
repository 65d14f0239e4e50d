//! Issue 20 against the fake Halo: bulk writes with a result per item (`bulk_update`, `bulk_create`, their dry
//! run), SQL reports as typed queries (`reports().sql::<Row>(..)`), and the catalog of names and ids.
//!
//! New records are built with `Default::default()` and field assignment, so the code keeps compiling if the
//! models become `#[non_exhaustive]`.
#![allow(
    clippy::field_reassign_with_default,
    reason = "struct literals stop compiling outside the crate once the models are #[non_exhaustive]"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use halopsa::models::Ticket;
use halopsa::{BulkOutcome, Catalog, CatalogError, Client, ErrorKind, RetryPolicy};
use halopsa_tests::fake_halo::{ErrorBody, FakeHalo, Fault, Target, Ticketing};
use serde_json::{Value, json};

fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(200)).max_delay(Duration::from_secs(5)))
        .build()
        .expect("the client configuration is valid")
}

fn seed_tickets(fake: &FakeHalo, n: usize) -> Vec<i64> {
    (0..n)
        .map(|i| {
            let ticket = json!({ "summary": format!("ticket {i}"), "client_id": i % 3 + 1, "status_id": 1 });
            fake.insert_ticketing(Ticketing::Tickets, ticket)
        })
        .collect()
}

fn posts(fake: &FakeHalo, path: &str) -> usize {
    fake.requests().iter().filter(|r| r.method == "POST" && r.path.eq_ignore_ascii_case(path)).count()
}

/// A tiny seeded generator (SplitMix64), so the fault schedule can be replayed from its seed.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % below
    }
}

/// An item Halo refuses with a model-state 400 naming it (`[3].x_legacy_id`): a value it cannot convert.
fn poisoned(mut ticket: Ticket) -> Ticket {
    ticket.extra.insert("x_legacy_id".into(), json!("not a number"));
    ticket
}

// ---------------------------------------------------------------- bulk update: 1,000 tickets under faults

#[tokio::test(start_paused = true)]
async fn a_thousand_ticket_bulk_update_under_faults_gives_one_result_per_ticket_and_loses_nothing() {
    for seed in [7_u64, 2026] {
        let fake = FakeHalo::start().await;
        let client = client(&fake);
        let ids = seed_tickets(&fake, 1000);
        let mut dice = Dice(seed);
        let tickets = Target::post("/api/Tickets");
        // The held-out mix, seeded: 429s throughout, and at random points 503s, 500s, 502s and 504s after Halo saved,
        // truncated answers, and answers slower than the client's timeout (after which Halo still saves).
        let mut injected = vec![fake.inject(Fault::random_rate_limited(0.15, seed).on(tickets.clone()))];
        for fault in [
            Fault::unavailable(),
            Fault::FailAfterSaving(500),
            Fault::FailAfterSaving(502),
            Fault::FailAfterSaving(504),
            Fault::TruncatedBody,
            Fault::Delay(Duration::from_secs(8)),
            Fault::Delay(Duration::from_secs(1)),
        ] {
            let after = dice.next(12) as u32;
            injected.push(fake.inject(fault.on(tickets.clone()).after(after).times(1 + dice.next(2) as u32)));
        }
        let poisoned_at: BTreeSet<usize> = (0..25).map(|_| dice.next(1000) as usize).collect();
        let pairs: Vec<(i32, Ticket)> = ids
            .iter()
            .enumerate()
            .map(|(index, id)| {
                let mut change = Ticket::default();
                change.status_id = Some(2);
                change.summary = Some(format!("updated {id}"));
                let change = if poisoned_at.contains(&index) { poisoned(change) } else { change };
                (*id as i32, change)
            })
            .collect();

        let report = client.tickets().bulk_update(pairs).send().await;

        // One result per input, in input order, each index once.
        assert_eq!(report.items().len(), 1000, "seed {seed}");
        for (position, item) in report.items().iter().enumerate() {
            assert_eq!(item.index(), position);
            assert_eq!(item.id(), Some(ids[position]));
        }
        let (saved, failed, unknown) = report.counts();
        assert_eq!((saved, failed, unknown), (1000 - poisoned_at.len(), poisoned_at.len(), 0), "seed {seed}");
        // Against the fake's state: saved means saved, failed means untouched, and nothing was created.
        assert_eq!(fake.ticketing_records(Ticketing::Tickets).len(), 1000);
        for item in report.items() {
            let id = item.id().unwrap();
            let record = fake.ticketing_record(Ticketing::Tickets, id).unwrap();
            match item.outcome() {
                BulkOutcome::Saved(ticket) => {
                    assert_eq!(ticket.id, Some(id as i32));
                    assert_eq!(record["status_id"], json!(2), "{id}");
                    assert_eq!(record["summary"], json!(format!("updated {id}")));
                }
                BulkOutcome::Failed(error) => {
                    assert!(poisoned_at.contains(&item.index()), "{error}");
                    assert_eq!(error.status(), Some(400));
                    assert!(error.message().contains("x_legacy_id"), "{error}");
                    assert_eq!(record["status_id"], json!(1), "a failed item is not saved: {id}");
                }
                other => panic!("item {}: {other:?}", item.index()),
            }
        }
        assert!(report.unmatched().is_empty());
        // Every fault of the mix fired.
        for id in injected {
            assert!(fake.fault_hits(id) > 0, "seed {seed}: {id:?} never fired");
        }
        // Chunks of 100, each sent again after each item a 400 named, plus the retries of the faults.
        assert!(posts(&fake, "/api/Tickets") >= 10 + poisoned_at.len(), "seed {seed}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_update_that_still_fails_after_its_retries_is_unknown_not_lost() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let ids = seed_tickets(&fake, 5);
    // Every answer is a 500 after saving: the client retries an update twice, then gives up.
    fake.inject(Fault::FailAfterSaving(500).on(Target::post("/api/Tickets")));
    let mut change = Ticket::default();
    change.status_id = Some(3);
    let report = client.tickets().bulk_update(ids.iter().map(|id| (*id as i32, change.clone()))).send().await;
    assert_eq!(report.counts(), (0, 0, 5));
    for item in report.items() {
        let BulkOutcome::Unknown(error) = item.outcome() else { panic!("{:?}", item.outcome()) };
        assert_eq!(error.status(), Some(500));
    }
    // Halo did save them: "unknown", not "failed".
    assert!(fake.ticketing_records(Ticketing::Tickets).iter().all(|t| t["status_id"] == json!(3)));
}

// ---------------------------------------------------------------- bulk create

#[tokio::test(start_paused = true)]
async fn a_bulk_create_maps_records_to_items_and_never_creates_twice() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let post = Target::post("/api/Tickets");
    // The requests, in order: chunk 1 (items 0-49) is refused for item 3, then saved; chunk 2 (50-99) is saved, then
    // a gateway answers 502; chunk 3 (100-149) is refused for item 120, then for 121, then saved; chunk 4 (150-199)
    // is saved and its answer cut short; chunk 5 (200-249) is refused for item 240, then saved.
    fake.inject(Fault::FailAfterSaving(502).on(post.clone()).after(2).times(1));
    fake.inject(Fault::TruncatedBody.on(post.clone()).after(6).times(1));
    let bad: BTreeSet<usize> = [3, 120, 121, 240].into();
    let items: Vec<Ticket> = (0..250)
        .map(|i| {
            let mut ticket = Ticket::default();
            ticket.summary = Some(format!("new {i}"));
            ticket.client_id = Some(1);
            if bad.contains(&i) { poisoned(ticket) } else { ticket }
        })
        .collect();
    let mut with_id = Ticket::default();
    with_id.id = Some(77);
    with_id.summary = Some("has an id".into());
    let items = items.into_iter().chain([with_id]);

    let report = client.tickets().bulk_create(items).chunk_size(50).check_field("summary").send().await;

    assert_eq!(report.items().len(), 251);
    let stored: Vec<Value> = fake.ticketing_records(Ticketing::Tickets);
    let mut summaries: BTreeMap<String, usize> = BTreeMap::new();
    for record in &stored {
        *summaries.entry(record["summary"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
    }
    assert!(summaries.values().all(|n| *n == 1), "nothing is created twice: {summaries:?}");
    for item in report.items() {
        let summary = format!("new {}", item.index());
        match item.outcome() {
            BulkOutcome::Saved(ticket) => {
                assert_eq!(ticket.summary.as_deref(), Some(summary.as_str()));
                assert_eq!(item.id(), ticket.id.map(i64::from));
                assert!(summaries.contains_key(&summary));
            }
            BulkOutcome::Failed(error) if item.index() == 250 => {
                assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}")
            }
            BulkOutcome::Failed(error) => {
                assert!(bad.contains(&item.index()), "{error}");
                assert!(!summaries.contains_key(&summary), "a failed create is not saved");
            }
            BulkOutcome::Unknown(error) => {
                assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error}");
                assert!((50..100).contains(&item.index()) || (150..200).contains(&item.index()), "{}", item.index());
            }
            other => panic!("{other:?}"),
        }
    }
    let (saved, failed, unknown) = report.counts();
    assert_eq!(failed, bad.len() + 1);
    assert_eq!(unknown, 100, "the 502 chunk and the truncated one");
    // Unknown creates did land (the fake saved them before failing): saved + unknown records, no more.
    assert_eq!(stored.len(), saved + unknown);
}

#[tokio::test]
async fn records_that_cannot_be_matched_are_kept_and_their_items_left_unknown() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    // A 200 answer holding one record for a request of three.
    let answer = json!([{ "id": 501, "summary": "a" }]);
    fake.inject(Fault::error(200, ErrorBody::Json(answer)).on(Target::post("/api/Tickets")).times(1));
    let items = ["a", "b", "c"].map(|summary| {
        let mut ticket = Ticket::default();
        ticket.summary = Some(summary.into());
        ticket
    });
    let report = client.tickets().bulk_create(items).send().await;
    assert_eq!(report.counts(), (0, 0, 3));
    assert_eq!(report.unmatched(), [json!({ "id": 501, "summary": "a" })]);
    let BulkOutcome::Unknown(error) = report.items()[0].outcome() else { panic!() };
    assert!(error.message().contains("1 records for the 3 items"), "{error}");
}

#[tokio::test]
async fn a_dry_run_reads_each_record_once_and_sends_nothing() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let ids = seed_tickets(&fake, 3);
    let mut change = Ticket::default();
    change.status_id = Some(2);
    change.summary = Some("ticket 1".into()); // ticket 1 already has it
    let pairs = vec![
        (ids[0] as i32, change.clone()),
        (ids[1] as i32, change.clone()),
        (9999, change.clone()),
        (-1, change.clone()),
    ];
    fake.clear_requests();
    let plan = client.tickets().bulk_update(pairs).dry_run().await;
    assert_eq!(plan.len(), 4);
    let first = plan[0].changes().expect("ticket 0 is read");
    let mut fields: Vec<&str> = first.iter().map(|c| c.field()).collect();
    fields.sort();
    assert_eq!(fields, ["status_id", "summary"]);
    let status = first.iter().find(|c| c.field() == "status_id").unwrap();
    assert_eq!((status.before(), status.after()), (Some(&json!(1)), &json!(2)));
    let second: Vec<&str> = plan[1].changes().unwrap().iter().map(|c| c.field()).collect();
    assert_eq!(second, ["status_id"], "a field set to the value Halo has is no change");
    assert_eq!(plan[2].changes().unwrap_err().status(), Some(404));
    assert_eq!(plan[3].changes().unwrap_err().kind(), ErrorKind::InvalidRequest);
    let requests = fake.requests();
    assert!(requests.iter().all(|r| r.method == "GET"), "a dry run sends nothing");
    assert_eq!(requests.len(), 3, "one GET per id (the refused item is not read)");
}

// ---------------------------------------------------------------- SQL reports

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Row {
    id: i64,
    summary: String,
}

#[tokio::test]
async fn a_typed_sql_report_with_its_columns_retried_like_a_read() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let ids = seed_tickets(&fake, 6);
    // A gateway error after Halo ran it: a run saves nothing, so it is sent again.
    fake.inject(Fault::FailAfterSaving(502).on(Target::post("/api/Report")).times(1));
    let answer = client
        .reports()
        .sql::<Row>("SELECT faultid AS id, symptom AS summary FROM faults WHERE areaint = 1;")
        .send_with_columns()
        .await
        .expect("the report runs");
    let expected: Vec<Row> = [0, 3].iter().map(|i| Row { id: ids[*i], summary: format!("ticket {i}") }).collect();
    assert_eq!(answer.rows(), expected);
    let columns: Vec<(&str, Option<&str>)> = answer.columns().iter().map(|c| (c.name(), c.data_type())).collect();
    assert_eq!(columns, [("id", Some("int")), ("summary", Some("nvarchar"))]);
    assert_eq!(posts(&fake, "/api/Report"), 2);
    let sent = fake.requests().into_iter().rev().find(|r| r.method == "POST").and_then(|r| r.body).unwrap();
    assert_eq!(
        sent,
        json!([{ "sql": "SELECT faultid AS id, symptom AS summary FROM faults WHERE areaint = 1", "_loadreportonly": true }])
    );
}

#[tokio::test]
async fn sql_halo_cannot_run_is_an_error_naming_the_problem() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    for (sql, problem) in [
        ("SELECT * FROM nowhere", "Invalid object name 'nowhere'."),
        ("SELECT faultid FROM faults ORDER BY faultid", "The ORDER BY clause is invalid in views"),
    ] {
        let error = client.reports().sql::<Value>(sql).send().await.expect_err(sql);
        assert_eq!(error.kind(), ErrorKind::Api);
        assert!(error.message().starts_with("halo could not run the SQL: "), "{error}");
        assert!(error.message().contains(problem), "{error}");
        assert_eq!(error.path(), Some("/Report"));
    }
}

#[tokio::test]
async fn the_guard_refuses_what_is_not_one_read_only_statement_before_sending() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    for sql in ["SELECT 1; DROP TABLE faults", "DELETE FROM faults", "SELECT * INTO copy FROM faults", ""] {
        let error = client.reports().sql::<Value>(sql).send().await.expect_err(sql);
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{sql}: {error}");
    }
    let long = format!("SELECT faultid FROM faults WHERE faultid IN ({})", vec!["1"; 40_000].join(","));
    let error = client.reports().sql::<Value>(long).send().await.expect_err("too long");
    assert!(error.message().contains("65536"), "{error}");
    assert_eq!(posts(&fake, "/api/Report"), 0, "nothing was sent");
}

// ---------------------------------------------------------------- the catalog

#[tokio::test(start_paused = true)]
async fn the_catalog_resolves_names_once_per_ttl_and_lists_the_valid_ones() {
    let fake = FakeHalo::start().await;
    fake.seed_catalog();
    let client = client(&fake);
    let catalog = Catalog::with_ttl(&client, Duration::from_secs(600));
    let gets = |path: &str| fake.requests().iter().filter(|r| r.method == "GET" && r.path == path).count();

    // Twenty tasks at once on a cold catalog: one read of the list.
    let lookups: Vec<_> = (0..20)
        .map(|_| {
            let catalog = catalog.clone();
            tokio::spawn(async move { catalog.status(" closed ").await })
        })
        .collect();
    for lookup in lookups {
        assert_eq!(lookup.await.unwrap().unwrap(), 9);
    }
    assert_eq!(gets("/api/Status"), 1);

    // Priorities belong to the ticket type's SLA: Incident uses SLA 1, Service Request SLA 2.
    assert_eq!(catalog.priority_for("Incident", "High").await.unwrap(), 3);
    assert_eq!(catalog.priority_for(3, "high").await.unwrap(), 7);
    assert!(matches!(
        catalog.priority_for("Change Request", "High").await,
        Err(CatalogError::NoSla { ticket_type, .. }) if ticket_type == "Change Request"
    ));
    assert_eq!(catalog.outcome("Private Note").await.unwrap(), 1);
    assert_eq!(catalog.category("hardware>printer").await.unwrap(), 2);
    assert_eq!(gets("/api/TicketType"), 1);

    // A wrong name: the valid ones, and the near ones.
    let error = catalog.status("Closd").await.unwrap_err();
    match &error {
        CatalogError::NotFound { list, valid, near, .. } => {
            assert_eq!(*list, "status");
            assert_eq!(valid, &["Action Required", "Closed", "In Progress", "New", "Pending Closure"]);
            assert_eq!(near, &["Closed"]);
        }
        other => panic!("{other}"),
    }
    assert!(error.to_string().contains("did you mean \"Closed\"?"), "{error}");

    // Halo renames a status: the catalog answers from its copy until the TTL, never after it.
    fake.insert_ticketing(Ticketing::Statuses, json!({ "id": 9, "name": "Resolved" }));
    tokio::time::advance(Duration::from_secs(300)).await;
    assert_eq!(catalog.status("Closed").await.unwrap(), 9);
    assert_eq!(gets("/api/Status"), 1);
    tokio::time::advance(Duration::from_secs(300)).await;
    assert!(matches!(catalog.status("Closed").await, Err(CatalogError::NotFound { .. })));
    assert_eq!(catalog.status("Resolved").await.unwrap(), 9);
    assert_eq!(gets("/api/Status"), 2);

    // An explicit refresh reads again every list read so far, at once.
    fake.insert_ticketing(Ticketing::Statuses, json!({ "id": 9, "name": "Closed" }));
    catalog.refresh().await.unwrap();
    assert_eq!(gets("/api/Status"), 3);
    assert_eq!(catalog.status("Closed").await.unwrap(), 9);
    assert_eq!(gets("/api/Status"), 3);
}

#[tokio::test]
async fn catalog_lookups_of_paged_lists_and_shared_names() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    fake.insert_ticketing(Ticketing::Sites, json!({ "id": 1, "name": "Head Office", "client_id": 1 }));
    fake.insert_ticketing(Ticketing::Sites, json!({ "id": 2, "name": "Head Office", "client_id": 2 }));
    let client = client(&fake);
    let catalog = Catalog::new(&client);
    // The last seeded agent is on the third page of Halo's 100.
    let last = fake.agents().last().cloned().unwrap();
    let name = last["name"].as_str().unwrap();
    assert_eq!(catalog.agent(name).await.unwrap(), last["id"].as_i64().unwrap());
    match catalog.site("head office").await {
        Err(CatalogError::Ambiguous { ids, .. }) => assert_eq!(ids, [1, 2]),
        other => panic!("{other:?}"),
    }
    let error: halopsa::Error = catalog.team("Nobody").await.unwrap_err().into();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
}
