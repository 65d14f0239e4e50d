//! `cargo bench -p halopsa-tests`: the generated client against a hand-written reqwest + serde_json baseline, both
//! measured in the same run against the same local fake Halo, reported as ratios (never asserted: the machine is
//! shared and noisy). Figures go in BENCHMARKS.md.

use std::time::{Duration, Instant};

use halopsa::models::{Agent, AgentList};
use halopsa_tests::fake_halo::FakeHalo;

const AGENTS: usize = 10_000;
const ROUNDS: usize = 7;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        list_benchmark().await;
    });
    decode_benchmark();
}

/// Lists 10,000 agents: `client.agents().list().all()` versus the same 100 paged requests by hand.
async fn list_benchmark() {
    let fake = FakeHalo::builder().seed_agents(AGENTS).token_lifetime(Duration::from_secs(3600)).start().await;
    let client = halopsa::Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .build()
        .expect("client");
    let http = reqwest::Client::new();
    let token = fake.issue_token();
    let api = fake.api_url();

    let generated = || async {
        let agents = client.agents().list().all().await.expect("list through the client");
        assert_eq!(agents.len(), AGENTS);
    };
    let by_hand = || async {
        let mut agents: Vec<Agent> = Vec::new();
        for page_no in 1.. {
            let response = http
                .get(format!("{api}/Agent?pageinate=true&page_size=100&page_no={page_no}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("request");
            let bytes = response.bytes().await.expect("body");
            let page: AgentList = serde_json::from_slice(&bytes).expect("decode");
            let count = page.agents.len();
            agents.extend(page.agents);
            if count < 100 {
                break;
            }
        }
        assert_eq!(agents.len(), AGENTS);
    };
    // Warm up both (connections, token) before measuring.
    generated().await;
    by_hand().await;
    let mut client_times = Vec::new();
    let mut hand_times = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        generated().await;
        client_times.push(start.elapsed());
        let start = Instant::now();
        by_hand().await;
        hand_times.push(start.elapsed());
    }
    report("list 10,000 agents (100 pages) via fake Halo", &client_times, &hand_times);
}

/// Decodes a page of 100 full Agent records: the client's decode path versus plain `serde_json::from_slice`.
fn decode_benchmark() {
    let page = serde_json::json!({
        "record_count": 100,
        "agents": (1..=100).map(full_agent).collect::<Vec<_>>(),
    });
    let bytes = serde_json::to_vec(&page).expect("encode");
    const ITERATIONS: usize = 200;
    let mut client_times = Vec::new();
    let mut plain_times = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..ITERATIONS {
            let page: AgentList = halopsa::runtime::decode_json(&bytes).expect("client decode");
            assert_eq!(page.agents.len(), 100);
        }
        client_times.push(start.elapsed() / ITERATIONS as u32);
        let start = Instant::now();
        for _ in 0..ITERATIONS {
            let page: AgentList = serde_json::from_slice(&bytes).expect("plain decode");
            assert_eq!(page.agents.len(), 100);
        }
        plain_times.push(start.elapsed() / ITERATIONS as u32);
    }
    report("decode a page of 100 full Agent records", &client_times, &plain_times);
}

/// An agent with every kind of field Halo sends: strings, ids (some as `21.0`), flags, nested teams, unknown fields.
fn full_agent(id: usize) -> serde_json::Value {
    serde_json::json!({
        "id": id, "name": format!("Agent {id}"), "firstname": "Agent", "surname": format!("{id}"),
        "email": format!("agent{id}@example.com"), "initials": "AG", "jobtitle": "Engineer", "team": "Support",
        "isdisabled": false, "is_agent": true, "isapiagent": false, "colour": "#ff0000",
        "onlinestatus": 1, "linemanager": 2.0, "ticket_count": "7", "licence_type": 1,
        "costprice": 12.5, "lunchbreak": 30.0, "holiday_allowance": 25.0,
        "lastlogindate": "2025-09-01T10:00:00Z", "datecreated": "2020-01-01T00:00:00",
        "teams": [{"id": 1, "agent_id": id, "team_id": 3, "team_name": "Support", "role_id": "1", "is_manager": false}],
        "signature": "<p>Regards</p>", "undocumented_field": {"nested": [1, 2, 3]},
    })
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn report(name: &str, client: &[Duration], baseline: &[Duration]) {
    let (client, baseline) = (median(client), median(baseline));
    let ratio = client.as_secs_f64() / baseline.as_secs_f64();
    println!("{name}: client {client:?}, hand-written {baseline:?}, ratio {ratio:.3} (median of {ROUNDS})");
}
