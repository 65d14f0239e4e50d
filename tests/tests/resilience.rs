//! The client against servers that misbehave: paging that a server gets wrong, hostile bodies, per-request
//! overrides, secrets echoed back, errors inside 200 answers. Tests about time run on tokio's paused clock.

use std::collections::BTreeSet;
use std::time::Duration;

use halopsa::Client;
use halopsa::models::Agent;
use halopsa::{ApiCode, Error, ErrorKind, ListError, RetryPolicy};
use halopsa_tests::fake_halo::{FakeHalo, Fault, Target, Ticketing};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url()).client_credentials(fake.client_id(), fake.client_secret()).build().unwrap()
}

fn ids(agents: &[Agent]) -> Vec<i32> {
    agents.iter().filter_map(|a| a.id).collect()
}

/// Each id at most once.
fn assert_distinct(agents: &[Agent]) {
    let distinct: BTreeSet<i32> = ids(agents).into_iter().collect();
    assert_eq!(distinct.len(), agents.len(), "an id was yielded twice");
}

/// The three ways to read a listing, as (records, final error).
async fn every_way(client: &Client) -> [(Vec<Agent>, Option<Error>); 3] {
    let all = match client.agents().list().all().await {
        Ok(agents) => (agents, None),
        Err(error) => {
            let (error, agents) = ListError::into_parts(error);
            (agents, Some(error))
        }
    };
    let mut stream = client.agents().list().stream();
    let mut streamed = (Vec::new(), None);
    while let Some(item) = stream.next().await {
        match item {
            Ok(agent) => streamed.0.push(agent),
            Err(error) => streamed.1 = Some(error),
        }
    }
    assert!(stream.next().await.is_none(), "nothing after the end");
    let mut pages = client.agents().list().pages();
    let mut paged = (Vec::new(), None);
    while let Some(page) = pages.next_page().await {
        match page {
            Ok(page) => paged.0.extend(page.agents),
            Err(error) => paged.1 = Some(error),
        }
    }
    [all, streamed, paged]
}

// ---------------------------------------------------------------------------------------------------------------
// Paging against servers that get it wrong.

#[tokio::test(start_paused = true)]
async fn a_server_that_ignores_page_no_with_changing_bodies_ends_at_once_and_says_so() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    fake.inject(Fault::IgnorePageNo.on(Target::get("/api/Agent")));
    let client = client(&fake);
    for (agents, error) in every_way(&client).await {
        assert_eq!(ids(&agents), (1..=100).collect::<Vec<_>>());
        let error = error.expect("records are missing, and the caller is told");
        assert_eq!(error.kind(), ErrorKind::Incomplete);
        assert!(!error.is_retryable());
    }
    // Three listings, two requests each: the second page repeats the first, whatever else changed in its body.
    let pages = fake.requests().iter().filter(|r| r.path == "/api/Agent").count();
    assert_eq!(pages, 6);
}

#[tokio::test(start_paused = true)]
async fn a_record_count_that_lies_either_way_never_loops_never_duplicates_and_is_flagged() {
    // Lower than the truth: the pages beyond the count's last page + 1 are not fetched, and the listing says so.
    let fake = FakeHalo::builder().seed_agents(450).start().await;
    fake.inject(Fault::LyingRecordCount(-300).on(Target::get("/api/Agent")));
    let client = client(&fake);
    for (agents, error) in every_way(&client).await {
        assert_distinct(&agents);
        assert_eq!(ids(&agents), (1..=300).collect::<Vec<_>>(), "the count's 2 pages, then 1 to check");
        assert_eq!(error.expect("flagged").kind(), ErrorKind::Incomplete);
    }
    // A count that is low, but only by less than a page: the confirming page brings the rest; nothing missing.
    fake.clear_faults();
    fake.inject(Fault::LyingRecordCount(-20).on(Target::get("/api/Agent")));
    for (agents, error) in every_way(&client).await {
        assert_eq!(ids(&agents), (1..=450).collect::<Vec<_>>());
        assert!(error.is_none(), "{error:?}");
    }
    // Higher than the truth: the short last page ends it, and the shortfall is flagged.
    fake.clear_faults();
    fake.inject(Fault::LyingRecordCount(500).on(Target::get("/api/Agent")));
    for (agents, error) in every_way(&client).await {
        assert_eq!(ids(&agents), (1..=450).collect::<Vec<_>>());
        let error = error.expect("flagged");
        assert_eq!(error.kind(), ErrorKind::Incomplete);
        assert!(error.message().contains("record_count was 950"), "{error}");
    }
}

#[tokio::test(start_paused = true)]
async fn overlapping_pages_yield_each_record_once() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    fake.inject(Fault::OverlappingPages(7).on(Target::get("/api/Agent")));
    let client = client(&fake);
    for (agents, error) in every_way(&client).await {
        assert_eq!(ids(&agents), (1..=250).collect::<Vec<_>>());
        assert!(error.is_none(), "{error:?}");
    }
    // Bare arrays (no record count) overlap too.
    fake.set_bare_agent_list(true);
    for (agents, error) in every_way(&client).await {
        assert_eq!(ids(&agents), (1..=250).collect::<Vec<_>>());
        assert!(error.is_none(), "{error:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn pages_longer_or_shorter_than_asked_lose_nothing() {
    let fake = FakeHalo::builder().seed_agents(333).start().await;
    let client = client(&fake);
    for size in [150, 101, 37, 1] {
        for bare in [false, true] {
            fake.clear_faults();
            fake.set_bare_agent_list(bare);
            fake.inject(Fault::PageSize(size).on(Target::get("/api/Agent")));
            for (agents, error) in every_way(&client).await {
                assert_eq!(ids(&agents), (1..=333).collect::<Vec<_>>(), "pages of {size}, bare: {bare}");
                assert!(error.is_none(), "pages of {size}, bare: {bare}: {error:?}");
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_page_ceiling_bounds_a_server_that_never_stops() {
    // Bare arrays of records that are new every time (no count, fresh ids): only the ceiling can stop it.
    let fake = FakeHalo::builder().seed_agents(2000).start().await;
    fake.set_bare_agent_list(true);
    fake.inject(Fault::PageSize(10).on(Target::get("/api/Agent")));
    let client = client(&fake);
    let error = client.agents().list().pages().max_pages(5).all().await.unwrap_err();
    assert_eq!(error.error().kind(), ErrorKind::Incomplete);
    assert_eq!(ids(error.items()), (1..=50).collect::<Vec<_>>());
    assert_eq!(fake.requests().iter().filter(|r| r.path == "/api/Agent").count(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_listing_that_fails_keeps_what_it_read_and_says_where_to_resume() {
    let fake = FakeHalo::builder().seed_agents(450).start().await;
    // A 500 that persists through the two retries a read gets.
    fake.inject(
        Fault::error(500, halopsa_tests::fake_halo::ErrorBody::Message("boom".into()))
            .on(Target::get("/api/Agent"))
            .after(3)
            .times(3),
    );
    let client = client(&fake);
    let error = client.agents().list().all().await.unwrap_err();
    assert_eq!(ids(error.items()), (1..=300).collect::<Vec<_>>());
    let resume = error.page_no().expect("the failed page");
    assert_eq!(resume, 4);
    assert_eq!(error.error().page_no(), Some(4));
    // Resuming from there reads the rest.
    let rest = client.agents().list().page_no(resume as i32).all().await.expect("the rest");
    assert_eq!(ids(&rest), (301..=450).collect::<Vec<_>>());
    // `?` turns it into the crate's error.
    fake.inject(
        Fault::error(500, halopsa_tests::fake_halo::ErrorBody::Message("boom".into()))
            .on(Target::get("/api/Agent"))
            .times(3),
    );
    let converted: halopsa::Result<Vec<Agent>> = async { Ok(client.agents().list().all().await?) }.await;
    assert_eq!(converted.unwrap_err().status(), Some(500));
}

// ---------------------------------------------------------------------------------------------------------------
// Per-request overrides, secrets, errors in 200 answers, lenient booleans.

#[tokio::test(start_paused = true)]
async fn timeout_and_retry_policy_can_be_set_per_request() {
    let fake = FakeHalo::builder().seed_agents(3).start().await;
    let client = client(&fake);
    client.agents().get(1).send().await.expect("warm up");

    // A slow answer: the client's 60 s timeout waits for it; this request's 5 s does not.
    fake.inject(Fault::Delay(Duration::from_secs(30)).on(Target::get("/api/Agent/1")));
    client.agents().get(1).send().await.expect("within the client's timeout");
    let error = client
        .agents()
        .get(1)
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert!(error.message().contains("timed out"), "{error}");
    fake.clear_faults();

    // Throttled for good: the client's policy retries for minutes; this request's policy gives up at once.
    fake.inject(Fault::rate_limited().on(Target::get("/api/Agent/2")));
    fake.clear_requests();
    let error = client.agents().get(2).retry_policy(RetryPolicy::none()).send().await.unwrap_err();
    assert_eq!((error.kind(), fake.requests().len()), (ErrorKind::RateLimited, 1));
    fake.clear_requests();
    let started = tokio::time::Instant::now();
    let error = client.agents().get(2).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert!(fake.requests().len() > 6, "the default policy keeps trying: {}", fake.requests().len());
    assert!(started.elapsed() <= Duration::from_secs(360), "within the 6-minute budget: {:?}", started.elapsed());
    assert!(started.elapsed() >= Duration::from_secs(120), "for minutes, not seconds: {:?}", started.elapsed());
}

/// A listing's `.timeout(..)` and `.retry_policy(..)` apply to each of its pages (README: "One request's own timeout
/// and retry policy").
#[tokio::test(start_paused = true)]
async fn a_listing_applies_its_timeout_and_retry_policy_to_every_page() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    let client = client(&fake);
    // The second page is slow: within the client's 60 s timeout, beyond the listing's 5 s.
    fake.inject(Fault::Delay(Duration::from_secs(30)).after(1).on(Target::get("/api/Agent")));
    let failed = client
        .agents()
        .list()
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::none())
        .all()
        .await
        .unwrap_err();
    assert_eq!(failed.error().kind(), ErrorKind::Network, "{}", failed.error());
    assert_eq!(failed.error().page_no(), Some(2));
    assert_eq!(failed.into_parts().1.len(), 100, "the first page was read");
    // Without the overrides the same listing waits for the slow pages and reads everyone.
    assert_eq!(client.agents().list().all().await.unwrap().len(), 250);
}

#[tokio::test(start_paused = true)]
async fn a_token_endpoint_that_echoes_the_form_never_leaks_the_secret() {
    let fake = FakeHalo::builder().client_credentials("echo-client", "Sup3r$ecret&Value").start().await;
    fake.inject(Fault::EchoForm.on(Target::token()));
    let client =
        Client::builder(fake.base_url()).client_credentials("echo-client", "Sup3r$ecret&Value").build().unwrap();
    let error = client.agents().list().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    let echoed = &fake.token_calls()[0];
    assert!(echoed.raw_body.contains("client_secret"), "the fake did echo a form");
    let shown = format!("{error} | {error:?} | {} | {:?}", error.message(), error.body_excerpt());
    for leak in ["Sup3r$ecret&Value", "Sup3r%24ecret%26Value", "Sup3r"] {
        assert!(!shown.contains(leak), "{leak} in {shown}");
    }
    assert!(shown.contains("client_secret=***"), "{shown}");
}

#[tokio::test(start_paused = true)]
async fn licence_seat_exhaustion_has_a_code_to_match() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    fake.inject(Fault::no_licence_seats().on(Target::post("/api/Agent").creates_only()));
    let client = client(&fake);
    let mut new = Agent::default();
    new.name = Some("New Hire".into());
    let error = client.agents().create(new).send().await.unwrap_err();
    assert_eq!(
        (error.kind(), error.status(), error.code()),
        (ErrorKind::Api, Some(200), Some(ApiCode::NoLicenceSeats))
    );
    assert!(!error.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn booleans_sent_as_text_or_numbers_decode() {
    let fake = FakeHalo::builder().start().await;
    let id =
        fake.add_agent(serde_json::json!({"name": "a", "isdisabled": "true", "is_online": 0, "isapiagent": "False"}));
    let agent = client(&fake).agents().get(id as i32).send().await.expect("lenient booleans");
    assert_eq!((agent.isdisabled, agent.is_online, agent.isapiagent), (Some(true), Some(false), Some(false)));
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile bodies: every call ends, with `Ok` or `Err`, never a panic or a hang.

/// A tiny seeded generator (SplitMix64), so that a failure names a reproducible case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A body Halo might never send, but a proxy, a bug or an attacker might.
fn hostile_body(rng: &mut Rng, valid: &[u8]) -> (u16, &'static str, Vec<u8>) {
    let json = "application/json";
    match rng.below(12) {
        0 => (200, json, "[".repeat(100_000).into_bytes()),
        1 => (200, json, format!("{}1{}", "{\"a\":".repeat(5000), "}".repeat(5000)).into_bytes()),
        2 => (200, json, br#"{"record_count": 1e400, "agents": [{"id": 99999999999999999999999}]}"#.to_vec()),
        3 => (200, json, vec![0xff, 0xfe, b'{', 0xc3, 0x28, b'}']),
        4 => (200, "text/html", b"<html><head><title>502 Bad Gateway</title></head></html>".to_vec()),
        5 => (200, json, Vec::new()),
        6 => (200, json, br#"{"agents": "not a list", "record_count": "many"}"#.to_vec()),
        7 => (200, json, b"null".to_vec()),
        8 => (rng.below(600) as u16, json, valid.to_vec()),
        9 => (200, json, format!(r#"{{"agents": [{{"id": 1, "name": "{}"}}]}}"#, "x".repeat(2_000_000)).into_bytes()),
        _ => {
            // A valid body with a few bytes flipped, dropped or cut.
            let mut body = valid.to_vec();
            for _ in 0..=rng.below(4) {
                if body.is_empty() {
                    break;
                }
                let at = rng.below(body.len());
                match rng.below(3) {
                    0 => body[at] = (rng.next() & 0xff) as u8,
                    1 => {
                        body.remove(at);
                    }
                    _ => body.truncate(at),
                }
            }
            (200, json, body)
        }
    }
}

/// Serves each request with the next body from `bodies` (the token endpoint gets a token).
async fn hostile_server(seed: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let valid = serde_json::to_vec(&serde_json::json!({"record_count": 2, "agents": [
        {"id": 1, "name": "A", "isdisabled": false, "teams": [{"team_id": 3}]},
        {"id": 2, "name": "B", "email": "b@example.com"}
    ]}))
    .unwrap();
    tokio::spawn(async move {
        let mut rng = Rng(seed);
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let text = String::from_utf8_lossy(&head);
            let length: usize = text
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            let _ = stream.read_exact(&mut body).await;
            let (status, content_type, body) = if text.starts_with("POST /auth/token") {
                (200, "application/json", br#"{"access_token":"t","expires_in":3600}"#.to_vec())
            } else {
                hostile_body(&mut rng, &valid)
            };
            let status = status.max(100);
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
        }
    });
    url
}

#[tokio::test(start_paused = true)]
async fn hundreds_of_hostile_bodies_end_every_call_without_a_panic() {
    let mut outcomes = [0usize; 2];
    for seed in 0..40u64 {
        let url = hostile_server(seed).await;
        // A short budget keeps the test quick; one seed in four runs the default policy.
        let policy = if seed % 4 == 0 { RetryPolicy::default() } else { RetryPolicy::default().max_attempts(3) };
        let client = Client::builder(&url).client_credentials("id", "secret").retry_policy(policy).build().unwrap();
        for call in 0..8 {
            let bound = Duration::from_secs(3600);
            let ended = match call % 4 {
                0 => tokio::time::timeout(bound, async { client.agents().get(1).send().await.map(drop) }).await,
                1 => tokio::time::timeout(bound, async { client.agents().list().send().await.map(drop) }).await,
                2 => {
                    tokio::time::timeout(bound, async {
                        client.agents().list().all().await.map(drop).map_err(Error::from)
                    })
                    .await
                }
                _ => {
                    let mut item = Agent::default();
                    item.name = Some("x".into());
                    tokio::time::timeout(bound, async { client.agents().create(item).send().await.map(drop) }).await
                }
            };
            let outcome = ended.unwrap_or_else(|_| panic!("seed {seed}, call {call}: no answer within an hour"));
            if let Err(error) = &outcome {
                // Every error says what it is, and Display works on anything a server sent.
                assert!(!error.to_string().is_empty());
                let _ = format!("{error:?}");
            }
            outcomes[usize::from(outcome.is_err())] += 1;
        }
    }
    assert_eq!(outcomes.iter().sum::<usize>(), 320);
    assert!(outcomes[1] > 100, "most hostile bodies are errors: {outcomes:?}");
    let _ = Value::Null;
}

// ---------------------------------------------------------------------------------------------------------------
// The escape hatch: any endpoint, with the typed calls' auth, retries and errors.

#[tokio::test(start_paused = true)]
async fn any_endpoint_through_client_request() {
    use halopsa::Method;
    let fake = FakeHalo::builder().seed_agents(30).start().await;
    let client = client(&fake);

    // A GET with query parameters, answered as untyped JSON, through a 503 (retried).
    fake.inject(Fault::unavailable().on(Target::get("/api/Agent")).times(1));
    let page: Value = client
        .request(Method::GET, "/Agent")
        .query("pageinate", true)
        .query("page_size", 10)
        .query("page_no", 2)
        .send()
        .await
        .expect("a GET of any path");
    assert_eq!(page["agents"].as_array().map(Vec::len), Some(10));
    assert_eq!(page["agents"][0]["id"], 11);
    let sent = fake.requests().into_iter().rfind(|r| r.path == "/api/Agent").unwrap();
    assert_eq!(sent.query_param("page_no"), Some("2"));
    assert!(sent.bearer_token().is_some_and(|token| token.starts_with("fake-")), "authenticated");

    // A typed answer, and a POST marked idempotent (an update of record 3) retried after a 502.
    fake.inject(
        Fault::error(502, halopsa_tests::fake_halo::ErrorBody::Text("Bad Gateway".into()))
            .on(Target::post("/api/Agent"))
            .times(1),
    );
    // Halo answers a one-item save with the object itself.
    let saved: Agent = client
        .request(Method::POST, "/Agent")
        .json(&serde_json::json!([{ "id": 3, "jobtitle": "Lead" }]))
        .idempotent(true)
        .send()
        .await
        .expect("an update retried after a 502");
    assert_eq!(saved.jobtitle.as_deref(), Some("Lead"));
    assert_eq!(fake.agent(3).unwrap()["jobtitle"], "Lead");

    // Without `idempotent`, a POST answered 502 is not repeated: its outcome is unknown.
    fake.inject(
        Fault::error(502, halopsa_tests::fake_halo::ErrorBody::Text("Bad Gateway".into()))
            .on(Target::post("/api/Agent"))
            .times(1),
    );
    let error = client
        .request(Method::POST, "/Agent")
        .json(&serde_json::json!([{ "name": "x" }]))
        .send_empty()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown);

    // Halo's error bodies become errors with Halo's message, method and path.
    let error = client.request(Method::GET, "/Nowhere/1").send::<Value>().await.unwrap_err();
    assert_eq!((error.status(), error.path()), (Some(404), Some("/Nowhere/1")));
    assert!(error.message().contains("No HTTP resource"), "{error}");
}

// ---------------------------------------------------------------------------------------------------------------
// Resuming a listing from a page (issue 18, item 1).

/// `n` tickets of one client, ids 1..=n.
fn seed_tickets(fake: &FakeHalo, n: usize) {
    for i in 0..n {
        fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": format!("Ticket {i}"), "client_id": 1 }));
    }
}

fn ticket_ids(tickets: &[halopsa::models::Ticket]) -> Vec<i32> {
    tickets.iter().filter_map(|t| t.id).collect()
}

#[tokio::test(start_paused = true)]
async fn resuming_on_the_last_page_reads_it_and_is_complete() {
    // 130 tickets: page 2 holds the last 30. A resumed listing cannot know how many records the pages before it
    // held from a short page alone, so it must not call the listing incomplete.
    let fake = FakeHalo::start().await;
    seed_tickets(&fake, 130);
    let client = client(&fake);
    let rest = client.tickets().list().page_no(2).all().await.expect("complete");
    assert_eq!(ticket_ids(&rest), (101..=130).collect::<Vec<_>>());
    let mut stream = client.tickets().list().page_no(2).stream();
    let mut streamed = Vec::new();
    while let Some(ticket) = stream.next().await {
        streamed.push(ticket.expect("no error after the last page").id);
    }
    assert_eq!(streamed.len(), 30);
    // Pages of 40 asked for: page 4 holds the last 10.
    let rest = client.tickets().list().page_size(40).page_no(4).all().await.expect("complete");
    assert_eq!(ticket_ids(&rest), (121..=130).collect::<Vec<_>>());
    // A tenant whose silent cap (30) is below the page size asked for: pages 3 and 4 after page 2.
    fake.set_max_page_size(30);
    let rest = client.tickets().list().page_no(2).all().await.expect("complete");
    assert_eq!(ticket_ids(&rest), (31..=130).collect::<Vec<_>>());
    // Past the end: nothing to read, nothing missing.
    let rest = client.tickets().list().page_no(9).all().await.expect("complete");
    assert!(rest.is_empty());
}

#[tokio::test(start_paused = true)]
async fn resuming_from_every_failed_page_reads_exactly_the_rest() {
    let fake = FakeHalo::builder().seed_agents(450).start().await;
    let client = client(&fake);
    for failing in 2..=5u32 {
        fake.clear_faults();
        fake.inject(
            Fault::error(400, halopsa_tests::fake_halo::ErrorBody::Message("boom".into()))
                .on(Target::get("/api/Agent"))
                .after(failing - 1)
                .times(1),
        );
        let failed = client.agents().list().all().await.unwrap_err();
        let resume = failed.page_no().expect("the page to resume from");
        assert_eq!(failed.error().page_no(), Some(resume));
        assert_eq!(resume, u64::from(failing));
        let read = failed.items().len();
        let rest = client.agents().list().page_no(resume as i32).all().await.expect("the rest, complete");
        let mut every: Vec<i32> = ids(failed.items());
        every.extend(ids(&rest));
        assert_eq!(every, (1..=450).collect::<Vec<_>>(), "failed at page {failing} after {read} records");
    }
}

#[tokio::test(start_paused = true)]
async fn a_resumed_listing_still_says_when_records_are_missing() {
    // The server ignores page_no: page 2 answers page 1's records. Resumed from page 2 over 150 tickets, the
    // listing read 100 records that belong before its start and missed the 50 after it.
    let fake = FakeHalo::start().await;
    seed_tickets(&fake, 150);
    fake.inject(Fault::IgnorePageNo.on(Target::get("/api/Tickets")));
    let client = client(&fake);
    let Err(failed) = client.tickets().list().page_no(2).all().await else { panic!("records are missing") };
    assert_eq!(failed.error().kind(), ErrorKind::Incomplete, "{}", failed.error());
    // A record count that promises more than the pages from the start on can hold.
    fake.clear_faults();
    fake.inject(Fault::LyingRecordCount(60).on(Target::get("/api/Tickets")));
    let Err(failed) = client.tickets().list().page_no(2).all().await else { panic!("records are missing") };
    assert_eq!(failed.error().kind(), ErrorKind::Incomplete, "{}", failed.error());
    assert_eq!(ticket_ids(failed.items()), (101..=150).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------------------------------
// A server of our own, for answers the fake does not give.

/// What [`scripted_server`] answers: status, headers and body.
struct Scripted {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Scripted {
    fn json(body: &Value) -> Scripted {
        Scripted {
            status: 200,
            headers: vec![("Content-Type", "application/json; charset=utf-8".to_owned())],
            body: body.to_string().into_bytes(),
        }
    }
}

/// A server on 127.0.0.1 that answers the token endpoint with a token and every other request (its request line,
/// `GET /api/Agent?...`, and its headers) with `answer`; it counts the API requests.
async fn scripted_server(
    answer: impl Fn(&str, &str) -> Scripted + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let (answer, counter) = (Arc::new(answer), count.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (answer, counter) = (answer.clone(), counter.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let length: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                let _ = stream.read_exact(&mut body).await;
                let request_line = text.lines().next().unwrap_or_default().to_owned();
                let reply = if request_line.starts_with("POST /auth/token") {
                    Scripted::json(&json!({"access_token": "t0k3n-value", "expires_in": 3600}))
                } else {
                    counter.fetch_add(1, Ordering::SeqCst);
                    answer(&request_line, &text)
                };
                let mut out = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
                if !reply.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-length")) {
                    out.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
                }
                for (name, value) in &reply.headers {
                    out.push_str(&format!("{name}: {value}\r\n"));
                }
                out.push_str("\r\n");
                let _ = stream.write_all(out.as_bytes()).await;
                let _ = stream.write_all(&reply.body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (url, count)
}

fn requests(count: &std::sync::atomic::AtomicUsize) -> usize {
    count.load(std::sync::atomic::Ordering::SeqCst)
}

// ---------------------------------------------------------------------------------------------------------------
// Records without ids (issue 18, item 8).

#[tokio::test(start_paused = true)]
async fn a_server_repeating_the_same_records_without_ids_is_read_twice_not_ten_thousand_times() {
    // Every page the same 100 agents without ids: a full page, repeated, with a record count that promises more.
    let idless: Vec<Value> = (0..100).map(|n| json!({"name": format!("Agent {n}")})).collect();
    let page = json!({"record_count": 250, "agents": idless});
    let (url, count) = scripted_server(move |_, _| Scripted::json(&page)).await;
    let client = Client::builder(&url).client_credentials("id", "secret").build().unwrap();
    let failed = client.agents().list().all().await.unwrap_err();
    assert_eq!(failed.error().kind(), ErrorKind::Incomplete, "{}", failed.error());
    assert_eq!(failed.items().len(), 100, "the repeated page is not yielded again");
    assert_eq!(requests(&count), 2, "the second page repeats the first and ends the listing");

    // Without a record count (a bare array): a repeated full page may hide more, so it is flagged too.
    let idless: Vec<Value> = (0..100).map(|n| json!({"name": format!("Agent {n}")})).collect();
    let bare = Value::Array(idless);
    let (url, count) = scripted_server(move |_, _| Scripted::json(&bare)).await;
    let client = Client::builder(&url).client_credentials("id", "secret").build().unwrap();
    let mut stream = client.agents().list().stream();
    let (mut read, mut last_error) = (0, None);
    while let Some(item) = stream.next().await {
        match item {
            Ok(_) => read += 1,
            Err(error) => last_error = Some(error),
        }
    }
    assert_eq!((read, requests(&count)), (100, 2));
    assert_eq!(last_error.map(|error| error.kind()), Some(ErrorKind::Incomplete));

    // A short page of id-less records repeated, without a count: the server's whole list, read once.
    let few = json!([{"name": "a"}, {"name": "b"}]);
    let (url, count) = scripted_server(move |_, _| Scripted::json(&few)).await;
    let client = Client::builder(&url).client_credentials("id", "secret").build().unwrap();
    let agents = client.agents().list().all().await.expect("complete");
    assert_eq!((agents.len(), requests(&count)), (2, 2));
}

#[tokio::test(start_paused = true)]
async fn records_without_ids_on_honest_pages_are_all_read() {
    // 250 id-less agents over honest pages: nothing looks repeated, everything is read, nothing is flagged.
    let (url, count) = scripted_server(move |line, _| {
        let page: usize = line
            .split(['?', '&', ' '])
            .find_map(|pair| pair.strip_prefix("page_no="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let start = (page - 1) * 100;
        let agents: Vec<Value> =
            (start..(start + 100).min(250)).map(|n| json!({"name": format!("Agent {n}")})).collect();
        Scripted::json(&json!({"record_count": 250, "agents": agents}))
    })
    .await;
    let client = Client::builder(&url).client_credentials("id", "secret").build().unwrap();
    let agents = client.agents().list().all().await.expect("complete");
    assert_eq!(agents.len(), 250);
    assert_eq!(requests(&count), 3);
}

// ---------------------------------------------------------------------------------------------------------------
// Downloads cut short (issue 18, item 3).

#[tokio::test(start_paused = true)]
async fn a_download_shorter_than_its_content_length_is_retried_not_returned() {
    // A proxy that re-chunks a cut answer but keeps its Content-Length: HTTP itself sees a well-formed body of 1,500
    // bytes, the Content-Length says 3,000.
    let file: Vec<u8> = (0..3000u32).map(|n| (n % 251) as u8).collect();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (served, seen) = (file.clone(), calls.clone());
    let (url, count) = scripted_server(move |_, _| {
        let first = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
        let mut headers =
            vec![("Content-Type", "application/octet-stream".to_owned()), ("Content-Length", served.len().to_string())];
        if first {
            headers.push(("Transfer-Encoding", "chunked".to_owned()));
            let half = &served[..1500];
            let mut body = format!("{:x}\r\n", half.len()).into_bytes();
            body.extend_from_slice(half);
            body.extend_from_slice(b"\r\n0\r\n\r\n");
            Scripted { status: 200, headers, body }
        } else {
            Scripted { status: 200, headers, body: served.clone() }
        }
    })
    .await;
    let client = Client::builder(&url).client_credentials("id", "secret").build().unwrap();
    let bytes = client.attachments().download(1).send().await.expect("the whole file, on the second attempt");
    assert!(bytes == file, "got {} bytes, expected {}", bytes.len(), file.len());
    assert_eq!(requests(&count), 2);

    // Cut every time, without retries: an error that says so, never a short file.
    let (url, _) = scripted_server(move |_, _| {
        let mut body = b"5dc\r\n".to_vec();
        body.extend_from_slice(&[7u8; 1500]);
        body.extend_from_slice(b"\r\n0\r\n\r\n");
        let headers = vec![("Content-Length", "3000".to_owned()), ("Transfer-Encoding", "chunked".to_owned())];
        Scripted { status: 200, headers, body }
    })
    .await;
    let client = Client::builder(&url).client_credentials("id", "secret").build().unwrap();
    let error = client
        .request(halopsa::Method::GET, "/Attachment/1")
        .retry_policy(RetryPolicy::none())
        .send_bytes()
        .await
        .unwrap_err();
    assert!(error.message().contains("1500 of the 3000 bytes"), "{error}");
    assert!(error.is_retryable(), "{error}");
}

// ---------------------------------------------------------------------------------------------------------------
// The README's retry table is what the client does (issue 18, item 7).

/// An operation of one column of the README's table.
#[derive(Clone, Copy, Debug, PartialEq)]
enum TableOp {
    Read,
    Update,
    ReportRun,
    Create,
}

impl TableOp {
    async fn run(self, client: &Client, ticket: i32) -> Result<(), Error> {
        use halopsa::models::{Report, Ticket};
        let timeout = Duration::from_secs(5);
        match self {
            TableOp::Read => client.tickets().get(ticket).timeout(timeout).send().await.map(drop),
            TableOp::Update => {
                let mut change = Ticket::default();
                change.summary = Some("changed".into());
                client.tickets().update(ticket, change).timeout(timeout).send().await.map(drop)
            }
            TableOp::ReportRun => {
                let mut run = Report::default();
                run.sql = Some("SELECT id FROM faults".into());
                run.loadreportonly = Some(true);
                client.reports().create(run).timeout(timeout).send().await.map(drop)
            }
            TableOp::Create => {
                let mut new = Ticket::default();
                new.summary = Some("new".into());
                client.tickets().create(new).timeout(timeout).send().await.map(drop)
            }
        }
    }

    fn target(self) -> Target {
        match self {
            TableOp::Read => Target::get("/api/Tickets"),
            TableOp::Update | TableOp::Create => Target::post("/api/Tickets"),
            TableOp::ReportRun => Target::post("/api/Report"),
        }
    }
}

/// What a cell of the table promises.
#[derive(Debug, PartialEq)]
enum Promise {
    Retried,
    NotRetried { outcome_unknown: bool },
}

fn promise(cell: &str) -> Promise {
    if cell.starts_with("retried") || cell.starts_with("a fresh token, then retried") {
        Promise::Retried
    } else if cell.starts_with("not retried") {
        Promise::NotRetried { outcome_unknown: cell.contains("OutcomeUnknown") }
    } else {
        panic!("a table cell the test does not know: {cell}")
    }
}

/// The faults that stand for a row of the table (the fake cannot refuse a connection; a closed port does).
fn faults_of_row(row: &str) -> Vec<Fault> {
    use halopsa_tests::fake_halo::ErrorBody;
    let text = |status, body: &str| Fault::error(status, ErrorBody::Text(body.into()));
    if row.starts_with("429") {
        vec![Fault::rate_limited(), Fault::unavailable()]
    } else if row.starts_with("500") {
        vec![Fault::error(500, ErrorBody::Message("An error has occurred.".into()))]
    } else if row.starts_with("502") {
        vec![text(502, "Bad Gateway"), text(504, "Gateway Timeout")]
    } else if row.starts_with("the connection broke") {
        vec![Fault::Delay(Duration::from_secs(30)), Fault::ConnectionDropped]
    } else if row.starts_with("a 2xx answer cut short") {
        vec![Fault::TruncatedBody, text(200, "<html><body>proxy error</body></html>")]
    } else if row.starts_with("401") {
        vec![Fault::RevokeTokens]
    } else if row.starts_with("any other status") {
        vec![
            Fault::error(400, ErrorBody::Message("The request is invalid.".into())),
            Fault::error(404, ErrorBody::Message("Ticket not found".into())),
            Fault::error(200, ErrorBody::Json(json!([1, 2]))),
        ]
    } else {
        Vec::new()
    }
}

/// Counts the API attempts a client makes (the connection-refused row has no server to count them).
#[derive(Default)]
struct Attempts(std::sync::atomic::AtomicUsize);

impl halopsa::Hook for Attempts {
    fn on_request(&self, request: &mut halopsa::HookRequest<'_>) {
        if request.kind() == halopsa::CallKind::Api {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// The rows of the Markdown table whose header starts with `header` in the file `path` (relative to the
/// repository), header and separator left out.
fn table(path: &str, header: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let start = text.find(header).unwrap_or_else(|| panic!("no table `{header}` in {path}"));
    text[start..]
        .lines()
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| line.trim_matches('|').split(" | ").map(|cell| cell.trim().to_owned()).collect())
        .collect()
}

/// The repository's README and the crate's README (its rustdoc too) say the same about retries and errors; the
/// crate's retry table is `RetryPolicy`'s, which the generator copies.
#[test]
fn the_readmes_agree_on_retries_and_errors() {
    for header in ["| failure |", "| kind | meaning | what to do |"] {
        assert_eq!(table("README.md", header), table("generated/README.md", header), "{header}");
    }
    // The crate's docs are that README, which covers the ticketing side as well as the identity one.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let lib = std::fs::read_to_string(format!("{root}/generated/src/lib.rs")).unwrap();
    assert!(lib.contains(r#"#![doc = include_str!("../README.md")]"#));
    let crate_readme = std::fs::read_to_string(format!("{root}/generated/README.md")).unwrap();
    let intro = crate_readme.lines().find(|line| line.starts_with("A typed")).unwrap_or_default();
    assert!(intro.contains("ticketing"), "{intro}");
    for section in ["## Tickets, actions, reports and attachments", "## When Halo misbehaves", "find_once_settled"] {
        assert!(crate_readme.contains(section), "{section}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_readme_retry_table_is_what_the_client_does() {
    let rows = table("README.md", "| failure |");
    assert_eq!(rows.len(), 8, "{rows:?}");
    let mut checked = 0;
    for row in &rows {
        let (failure, idempotent, other) = (&row[0], promise(&row[1]), &row[2]);
        let other = if other == "the same" { promise(&row[1]) } else { promise(other) };
        for op in [TableOp::Read, TableOp::Update, TableOp::ReportRun, TableOp::Create] {
            let expected = if op == TableOp::Create { &other } else { &idempotent };
            let faults = faults_of_row(failure);
            if faults.is_empty() {
                assert!(failure.starts_with("the connection could not be opened"), "no faults for {failure}");
                // A port nothing listens on: the connection is refused before anything is sent.
                let fake = FakeHalo::start().await;
                let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
                let attempts = std::sync::Arc::new(Attempts::default());
                let client = Client::builder(fake.base_url())
                    .client_credentials(fake.client_id(), fake.client_secret())
                    .api_url(format!("http://{closed}/api"))
                    .retry_policy(RetryPolicy::default().max_attempts(2))
                    .hook(attempts.clone())
                    .build()
                    .unwrap();
                let outcome = op.run(&client, 1).await;
                let made = attempts.0.load(std::sync::atomic::Ordering::SeqCst);
                assert!(outcome.is_err(), "{failure} / {op:?}");
                assert_eq!(made == 2, *expected == Promise::Retried, "{failure} / {op:?}: {made} attempts");
                checked += 1;
                continue;
            }
            for fault in faults {
                let fake = FakeHalo::start().await;
                let ticket = fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": "t" })) as i32;
                let client = client(&fake);
                let injected = fault.clone().on(op.target().clone()).times(1);
                fake.inject(if op == TableOp::Create { injected.on(op.target().creates_only()) } else { injected });
                let outcome = op.run(&client, ticket).await;
                let attempts = fake.requests().iter().filter(|r| r.path.starts_with("/api/")).count();
                match expected {
                    Promise::Retried => {
                        assert!(outcome.is_ok(), "{failure} / {fault:?} / {op:?}: {outcome:?}");
                        assert!(attempts >= 2, "{failure} / {fault:?} / {op:?}: {attempts} attempts");
                    }
                    Promise::NotRetried { outcome_unknown } => {
                        let error = outcome.expect_err("an error");
                        assert_eq!(attempts, 1, "{failure} / {fault:?} / {op:?}: {error}");
                        let kind = error.kind() == ErrorKind::OutcomeUnknown;
                        assert_eq!(kind, *outcome_unknown, "{failure} / {fault:?} / {op:?}: {error}");
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * (2 + 1 + 2 + 1 + 2 + 2 + 1 + 3), "every row, every column, every fault");

    // "at most twice a call": a 500 that persists, on a read.
    let fake = FakeHalo::start().await;
    let ticket = fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": "t" })) as i32;
    fake.inject(
        Fault::error(500, halopsa_tests::fake_halo::ErrorBody::Message("x".into())).on(Target::get("/api/Tickets")),
    );
    let error = TableOp::Read.run(&client(&fake), ticket).await.unwrap_err();
    assert_eq!((error.status(), fake.requests().len()), (Some(500), 3));
}
