//! `cargo bench -p halopsa-tests --bench client`: the generated client against a hand-written reqwest +
//! serde_json baseline doing the same work, both measured in the same process against the same local fake Halo,
//! interleaved, and reported as medians, minimums and ratios. Nothing is asserted about time (the machine is shared
//! and noisy); only that both sides got every record. The figures go in BENCHMARKS.md.
//!
//! 1. Listing 10,000 agents: `client.agents().list().all()` (100 pages of 100) versus a loop over the same 100
//!    requests (same reqwest settings, headers and query, same token, same stop rule), each page decoded with
//!    `serde_json::from_slice` into the same `AgentList`.
//! 2. Decoding one page of 100 full agents, as the fake serves it: the client's decode path
//!    (`halopsa::decode_json`: the error-shape probe, then serde_json; `#[doc(hidden)]`, public only for this
//!    benchmark) versus `serde_json::from_slice`.

use std::time::{Duration, Instant};

use halopsa::models::{Agent, AgentList};
use halopsa_tests::fake_halo::FakeHalo;
use reqwest::header::{self, HeaderValue};

const AGENTS: usize = 10_000;
const PAGE_SIZE: usize = 100;
/// Measured runs of each side of the list benchmark, after two warm-up runs of each.
const LIST_ROUNDS: usize = 15;
/// Measured samples of each side of the decode benchmark, after a warm-up.
const DECODE_SAMPLES: usize = 41;
/// Decodes per sample.
const DECODES_PER_SAMPLE: usize = 25;
/// What the client sets on its own `reqwest::Client` and on every request (see `ClientBuilder::build`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(60);
const USER_AGENT: &str = "halopsa/0.1.0";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("halopsa client benchmarks ({cores} cores; medians and minimums; ratio = client / baseline)");
    let mut rows = Vec::new();
    let page = runtime.block_on(async {
        let fake = FakeHalo::builder().seed_agents(AGENTS).start().await;
        rows.push(list_benchmark(&fake).await);
        first_page(&fake).await
    });
    rows.push(decode_benchmark(&page));
    print_table(&rows);
}

/// One benchmark's samples: the client's and the baseline's.
struct Row {
    name: String,
    client: Vec<Duration>,
    baseline: Vec<Duration>,
}

/// Lists 10,000 agents: `client.agents().list().all()` versus the same 100 paged requests by hand.
async fn list_benchmark(fake: &FakeHalo) -> Row {
    // The client as an application builds it (token fetched and cached by the client itself).
    let client = halopsa::Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .build()
        .expect("client");
    // The same reqwest settings the client builds its own HTTP client with.
    let http = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(USER_AGENT)
        .build()
        .expect("reqwest client");
    // One token, fetched up front, as the client holds its cached one.
    let authorization = HeaderValue::try_from(format!("Bearer {}", fake.issue_token())).expect("header");
    let api = fake.api_url();

    let through_client = || async { client.agents().list().all().await.expect("list through the client") };
    let by_hand = || async {
        let mut agents: Vec<Agent> = Vec::new();
        let mut first_len = None;
        for page_no in 1.. {
            let response = http
                .get(format!("{api}/Agent?pageinate=true&page_size={PAGE_SIZE}&page_no={page_no}"))
                .header(header::AUTHORIZATION, authorization.clone())
                .header(header::ACCEPT, "application/json")
                .timeout(TIMEOUT)
                .send()
                .await
                .expect("request");
            assert!(response.status().is_success(), "status {}", response.status());
            let bytes = response.bytes().await.expect("body");
            let page: AgentList = serde_json::from_slice(&bytes).expect("decode");
            let len = page.agents.len();
            let total = page.record_count.and_then(|n| usize::try_from(n).ok());
            if agents.is_empty() {
                agents.reserve(total.unwrap_or(0));
            }
            agents.extend(page.agents);
            // The client's stop rule: an empty page, a page shorter than the first, or `record_count` reached.
            let first_len = *first_len.get_or_insert(len);
            if len == 0 || len < first_len || total.is_some_and(|total| agents.len() >= total) {
                break;
            }
        }
        agents
    };

    // Warm-up: connections, the client's token, allocator, caches.
    for _ in 0..2 {
        assert_eq!(through_client().await.len(), AGENTS);
        assert_eq!(by_hand().await.len(), AGENTS);
    }
    let mut client_times = Vec::with_capacity(LIST_ROUNDS);
    let mut hand_times = Vec::with_capacity(LIST_ROUNDS);
    for _ in 0..LIST_ROUNDS {
        // Timed up to having the records; checking and dropping them is not.
        let start = Instant::now();
        let agents = through_client().await;
        client_times.push(start.elapsed());
        assert_eq!(agents.len(), AGENTS, "the client listed every agent");
        drop(agents);

        let start = Instant::now();
        let agents = by_hand().await;
        hand_times.push(start.elapsed());
        assert_eq!(agents.len(), AGENTS, "the hand-written loop listed every agent");
        drop(agents);
    }
    Row {
        name: format!("list {AGENTS} agents, {} pages (fake Halo)", AGENTS / PAGE_SIZE),
        client: client_times,
        baseline: hand_times,
    }
}

/// The body of the first page of agents, exactly as the fake serves it to both sides of the list benchmark.
async fn first_page(fake: &FakeHalo) -> Vec<u8> {
    let response = reqwest::Client::new()
        .get(format!("{}/Agent?pageinate=true&page_size={PAGE_SIZE}&page_no=1", fake.api_url()))
        .bearer_auth(fake.issue_token())
        .send()
        .await
        .expect("request");
    response.bytes().await.expect("body").to_vec()
}

/// Decodes a page of 100 full agents: the client's decode path versus plain `serde_json::from_slice`.
fn decode_benchmark(bytes: &[u8]) -> Row {
    let client_decode = || -> AgentList { halopsa::decode_json(bytes).expect("client decode") };
    let plain_decode = || -> AgentList { serde_json::from_slice(bytes).expect("plain decode") };
    assert_eq!(client_decode().agents.len(), PAGE_SIZE);
    assert_eq!(client_decode(), plain_decode(), "both decode the same page");

    let sample = |decode: &dyn Fn() -> AgentList| {
        let mut pages = Vec::with_capacity(DECODES_PER_SAMPLE);
        let start = Instant::now();
        for _ in 0..DECODES_PER_SAMPLE {
            pages.push(decode());
        }
        let elapsed = start.elapsed();
        assert!(pages.iter().all(|page| page.agents.len() == PAGE_SIZE));
        elapsed / DECODES_PER_SAMPLE as u32
    };
    for _ in 0..3 {
        sample(&client_decode);
        sample(&plain_decode);
    }
    let mut client_times = Vec::with_capacity(DECODE_SAMPLES);
    let mut plain_times = Vec::with_capacity(DECODE_SAMPLES);
    for _ in 0..DECODE_SAMPLES {
        client_times.push(sample(&client_decode));
        plain_times.push(sample(&plain_decode));
    }
    Row {
        name: format!("decode a page of {PAGE_SIZE} agents ({} KiB)", bytes.len() / 1024),
        client: client_times,
        baseline: plain_times,
    }
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn min(times: &[Duration]) -> Duration {
    times.iter().copied().min().unwrap_or_default()
}

fn millis(time: Duration) -> String {
    format!("{:.3} ms", time.as_secs_f64() * 1e3)
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<44} {:>8} {:>14} {:>14} {:>14} {:>14} {:>8} {:>8}",
        "benchmark", "samples", "client median", "client min", "base median", "base min", "ratio", "min rat."
    );
    for row in rows {
        let (client_median, base_median) = (median(&row.client), median(&row.baseline));
        let (client_min, base_min) = (min(&row.client), min(&row.baseline));
        println!(
            "{:<44} {:>8} {:>14} {:>14} {:>14} {:>14} {:>8.3} {:>8.3}",
            row.name,
            row.client.len(),
            millis(client_median),
            millis(client_min),
            millis(base_median),
            millis(base_min),
            client_median.as_secs_f64() / base_median.as_secs_f64(),
            client_min.as_secs_f64() / base_min.as_secs_f64(),
        );
    }
    println!();
    println!("baseline: list = hand-written reqwest + serde_json loop; decode = serde_json::from_slice");
}
