//! The client against servers that misbehave: paging that a server gets wrong, hostile bodies, per-request
//! overrides, secrets echoed back, errors inside 200 answers. Tests about time run on tokio's paused clock.

use std::collections::BTreeSet;
use std::time::Duration;

use halopsa::Client;
use halopsa::models::Agent;
use halopsa::{ApiCode, Error, ErrorKind, ListError, RetryPolicy};
use halopsa_tests::fake_halo::{FakeHalo, Fault, Target};
use serde_json::Value;
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
    fake.inject(
        Fault::error(500, halopsa_tests::fake_halo::ErrorBody::Message("boom".into()))
            .on(Target::get("/api/Agent"))
            .after(3)
            .times(1),
    );
    let client = client(&fake);
    let error = client.agents().list().all().await.unwrap_err();
    assert_eq!(ids(error.items()), (1..=300).collect::<Vec<_>>());
    let resume = error.error().page_no().expect("the failed page");
    assert_eq!(resume, 4);
    // Resuming from there reads the rest.
    let rest = client.agents().list().page_no(resume as i32).all().await.expect("the rest");
    assert_eq!(ids(&rest), (301..=450).collect::<Vec<_>>());
    // `?` turns it into the crate's error.
    fake.inject(
        Fault::error(500, halopsa_tests::fake_halo::ErrorBody::Message("boom".into()))
            .on(Target::get("/api/Agent"))
            .times(1),
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
    let error = client.agents().create([new]).send().await.unwrap_err();
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
                    tokio::time::timeout(bound, async { client.agents().create([item]).send().await.map(drop) }).await
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
