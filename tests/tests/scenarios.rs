//! The integration guide's three identity scenarios end to end: the generated client against the fake Halo.
//!
//! 1. Provision a new agent into a team found by name.
//! 2. Deactivate an offboarded agent found by email (`isdisabled: true`, nothing else sent).
//! 3. Sync 1,000 agents' teams from an HR list through injected 429s, then again to show it is idempotent.
//!
//! The programs in `generated/examples/` do the same against a real tenant; these tests check the server's state.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use halopsa::Client;
use halopsa::ErrorKind;
use halopsa::RetryPolicy;
use halopsa::models::{Agent, AgentTeam};
use halopsa_tests::fake_halo::{ErrorBody, FakeHalo, Fault, RateLimit, RecordedRequest, Target};
use serde_json::{Value, json};

/// A client of the fake whose retries wait milliseconds, not seconds (a `Retry-After` is still honoured).
fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(12)
                .base_delay(Duration::from_millis(2))
                .max_delay(Duration::from_millis(20))
                .max_elapsed(Duration::from_secs(20)),
        )
        .build()
        .expect("the client configuration is valid")
}

fn posts(fake: &FakeHalo) -> Vec<RecordedRequest> {
    fake.requests().into_iter().filter(|r| r.method == "POST").collect()
}

fn same_email(agent: &Agent, email: &str) -> bool {
    agent.email.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(email.trim()))
}

/// Every `null` anywhere in a JSON value, by path.
fn nulls(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => found.push(path.to_owned()),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| nulls(v, &format!("{path}[{i}]"), found)),
        Value::Object(map) => map.iter().for_each(|(k, v)| nulls(v, &format!("{path}.{k}"), found)),
        _ => {}
    }
}

/// The agents whose email is exactly `email` (ignoring case): Halo's `search` also matches substrings.
async fn agents_with_email(client: &Client, email: &str) -> halopsa::Result<Vec<Agent>> {
    let found = client.agents().list().search(email).includedisabled(true).all().await?;
    Ok(found.into_iter().filter(|a| same_email(a, email)).collect())
}

// ---------------------------------------------------------------- 1. provision on join

#[derive(Debug)]
enum Provisioned {
    Created(Agent),
    AlreadyThere(Agent),
}

/// The guide's first scenario: the team by name, then the agent, unless one already has the email.
async fn provision(client: &Client, name: &str, email: &str, team_name: &str) -> Result<Provisioned, String> {
    let teams = client.teams().list().send().await.map_err(|e| e.to_string())?.teams;
    let team = teams
        .iter()
        .find(|t| t.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(team_name)))
        .ok_or_else(|| format!("no team named '{team_name}'"))?;
    let (team_id, team_name) = (team.id.ok_or("team without id")?, team.name.clone().unwrap_or_default());
    if let Some(existing) = agents_with_email(client, email).await.map_err(|e| e.to_string())?.into_iter().next() {
        return Ok(Provisioned::AlreadyThere(existing));
    }
    let mut agent = Agent::default();
    agent.name = Some(name.to_owned());
    agent.email = Some(email.to_owned());
    agent.team = Some(team_name.clone());
    agent.teams = Some(vec![membership(team_id, &team_name)]);
    let saved = client.agents().create(agent).send().await.map_err(|e| e.to_string())?;
    Ok(Provisioned::Created(saved))
}

#[tokio::test]
async fn provision_a_new_agent_into_a_team_found_by_name() {
    let fake = FakeHalo::builder().seed_agents(10).start().await;
    let client = client(&fake);
    let (agents_before, teams_before) = (fake.agents(), fake.teams());
    let tier2 = teams_before.iter().find(|t| t["name"] == "Support Tier 2").expect("seeded team")["id"].clone();

    // The team name is matched ignoring case, as Halo's UI does.
    let created = match provision(&client, "Jane Doe", "jane.doe@acme.test", "support tier 2").await {
        Ok(Provisioned::Created(agent)) => agent,
        other => panic!("expected a new agent, got {other:?}"),
    };
    let id = created.id.expect("the saved agent has an id");
    assert_eq!(
        (created.name.as_deref(), created.team.as_deref(), created.isdisabled),
        (Some("Jane Doe"), Some("Support Tier 2"), Some(false)),
        "what Halo answered",
    );

    // The server: exactly one new agent, with the right name, email and team; nothing else changed.
    let agents_after = fake.agents();
    assert_eq!(agents_after.len(), agents_before.len() + 1);
    assert_eq!(agents_after[..agents_before.len()], agents_before[..], "existing agents untouched");
    let new = &agents_after[agents_before.len()];
    assert_eq!(new["id"], json!(id));
    assert!(agents_before.iter().all(|a| a["id"] != new["id"]), "a new id");
    assert_eq!(
        (&new["name"], &new["email"], &new["team"], &new["team_id"], &new["isdisabled"]),
        (&json!("Jane Doe"), &json!("jane.doe@acme.test"), &json!("Support Tier 2"), &tier2, &json!(false)),
    );
    let memberships: Vec<&Value> = new["teams"].as_array().expect("teams").iter().map(|m| &m["team_id"]).collect();
    assert_eq!(memberships, [&tier2], "one membership, of that team");
    assert_eq!(fake.teams(), teams_before, "teams untouched");

    // One POST, a creation: one item, no id, no nulls.
    let sent = posts(&fake);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].path, "/api/Agent");
    let items = sent[0].body_items();
    assert_eq!(items.len(), 1);
    assert!(items[0].get("id").is_none(), "a create sends no id: {}", items[0]);
    let mut found = Vec::new();
    nulls(&items[0], "$", &mut found);
    assert!(found.is_empty(), "nulls sent: {found:?}");

    // Running it again finds the agent (by email, ignoring case) and creates nothing.
    match provision(&client, "Jane Doe", "Jane.Doe@ACME.test", "Support Tier 2").await {
        Ok(Provisioned::AlreadyThere(agent)) => assert_eq!(agent.id, Some(id)),
        other => panic!("expected the existing agent, got {other:?}"),
    }
    // An unknown team stops it before anything is sent.
    let unknown = provision(&client, "Joe Bloggs", "joe@acme.test", "No Such Team").await;
    assert!(matches!(&unknown, Err(message) if message.contains("no team named")), "{unknown:?}");
    assert_eq!(posts(&fake).len(), 1, "no further POST");
    assert_eq!(fake.agents(), agents_after);
}

#[tokio::test]
async fn provisioning_without_a_free_licence_seat_is_an_error_not_a_success() {
    // Halo answers 200 with an error body when no named licence seat is left (the guide's "watch out for").
    let fake = FakeHalo::builder().seed_agents(3).start().await;
    let seats = fake.inject(Fault::no_licence_seats().on(Target::post("/api/Agent").creates_only()));
    let before = fake.agents();
    let result = provision(&client(&fake), "Jane Doe", "jane.doe@acme.test", "Projects").await;
    assert!(matches!(&result, Err(message) if message.contains("No licence seats available")), "{result:?}");
    assert_eq!(fake.fault_hits(seats), 1);
    assert_eq!(fake.agents(), before, "nothing created");
}

// ---------------------------------------------------------------- 2. deactivate on offboard

#[tokio::test]
async fn deactivate_an_offboarded_agent_found_by_email() {
    let fake = FakeHalo::builder().seed_agents(20).start().await;
    let leaver = fake.add_agent(json!({
        "name": "Lee Ver", "firstname": "Lee", "surname": "Ver", "email": "Lee.Ver@Acme.test",
        "jobtitle": "Engineer", "team": "Projects", "sms": "+44 7700 900123",
    }));
    // Search matches substrings: these must not be mistaken for the leaver.
    for email in ["lee.ver@acme.test.example", "old.lee.ver@acme.test"] {
        fake.add_agent(json!({"name": "Not the leaver", "email": email, "team": "Projects"}));
    }
    let client = client(&fake);
    let before = fake.agents();

    let found = agents_with_email(&client, "lee.ver@acme.test").await.expect("search works");
    let ids: Vec<Option<i32>> = found.iter().map(|a| a.id).collect();
    assert_eq!(ids, [Some(leaver as i32)], "exactly the leaver");
    let saved = client.agents().update(leaver as i32, disable()).send().await.expect("deactivation succeeds");
    assert_eq!((saved.id, saved.isdisabled), (Some(leaver as i32), Some(true)));

    // The record: disabled, every other field as it was; every other agent untouched.
    let after = fake.agents();
    let mut expected = before.clone();
    let record = expected.iter_mut().find(|a| a["id"] == json!(leaver)).expect("leaver in the snapshot");
    assert_eq!(record["isdisabled"], false, "enabled before");
    record["isdisabled"] = json!(true);
    assert_eq!(after, expected);

    // What was sent: the id and the flag, nothing else (no nulls that would blank fields).
    let sent = posts(&fake);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].body, Some(json!([{ "id": leaver, "isdisabled": true }])));

    // Deactivating again finds a disabled agent (disabled ones are searched too) and sends nothing.
    let again = agents_with_email(&client, "LEE.VER@acme.test").await.expect("search works");
    assert_eq!(again.iter().map(|a| (a.id, a.isdisabled)).collect::<Vec<_>>(), [(Some(leaver as i32), Some(true))]);
    assert_eq!(posts(&fake).len(), 1);
    assert_eq!(fake.agents(), after);
}

// ---------------------------------------------------------------- 3. HR sync of 1,000 agents

/// One person of the HR system.
struct HrAgent {
    email: String,
    name: String,
    team: &'static str,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct SyncReport {
    created: usize,
    moved: usize,
    enabled: usize,
    disabled: usize,
    /// Successful `POST /Agent`s.
    posts: usize,
    /// Creates whose outcome was unknown (looked up, then the missing ones sent again).
    unknown_outcomes: usize,
}

const BATCH: usize = 50;

/// The guide's third scenario, with the HR list as the whole roster: create the missing, move and re-enable the
/// listed, disable the unlisted (API agents aside). Creates and updates go in batches of [`BATCH`].
async fn sync(client: &Client, hr: &[HrAgent]) -> Result<SyncReport, String> {
    let teams = client.teams().list().send().await.map_err(|e| e.to_string())?.teams;
    let team_ids: BTreeMap<String, (i32, String)> =
        teams.iter().filter_map(|t| Some((t.name.as_deref()?.to_lowercase(), (t.id?, t.name.clone()?)))).collect();
    // Disabled agents included: otherwise they would look missing and be created twice.
    let agents = client.agents().list().includedisabled(true).all().await.map_err(|e| e.to_string())?;
    let mut by_email: BTreeMap<String, &Agent> = BTreeMap::new();
    for agent in &agents {
        if let Some(email) = agent.email.as_deref()
            && by_email.insert(email.to_lowercase(), agent).is_some()
        {
            return Err(format!("two agents share {email}"));
        }
    }
    let mut report = SyncReport::default();
    let (mut creates, mut updates) = (Vec::new(), Vec::new());
    for person in hr {
        let (team_id, team) =
            team_ids.get(&person.team.to_lowercase()).ok_or(format!("unknown team {}", person.team))?;
        let membership = vec![membership(*team_id, team)];
        let Some(agent) = by_email.get(&person.email.to_lowercase()) else {
            report.created += 1;
            let mut new = Agent::default();
            new.name = Some(person.name.clone());
            new.email = Some(person.email.clone());
            new.team = Some(team.clone());
            new.teams = Some(membership);
            creates.push(new);
            continue;
        };
        let in_team = agent.team.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(team))
            && agent.teams.iter().flatten().any(|m| m.team_id == Some(*team_id));
        let disabled = agent.isdisabled == Some(true);
        if in_team && !disabled {
            continue;
        }
        let mut change = Agent::default();
        if !in_team {
            report.moved += 1;
            change.team = Some(team.clone());
            change.teams = Some(membership);
        }
        if disabled {
            report.enabled += 1;
            change.isdisabled = Some(false);
        }
        updates.push((agent.id.ok_or("agent without id")?, change));
    }
    let listed: BTreeSet<String> = hr.iter().map(|p| p.email.to_lowercase()).collect();
    for (email, agent) in &by_email {
        if !listed.contains(email) && agent.isdisabled != Some(true) && agent.isapiagent != Some(true) {
            report.disabled += 1;
            updates.push((agent.id.ok_or("agent without id")?, disable()));
        }
    }
    for batch in creates.chunks(BATCH) {
        let mut pending = batch.to_vec();
        while !pending.is_empty() {
            match client.agents().create_many(pending.clone()).send().await {
                Ok(saved) => {
                    assert_eq!(saved.len(), pending.len(), "one saved record per created item");
                    report.posts += 1;
                    break;
                }
                // Sent, but it is not known whether Halo saved it (a 502, a truncated answer): look before
                // repeating, and create only those still missing. This is what `OutcomeUnknown` asks of a caller.
                Err(error) if error.kind() == ErrorKind::OutcomeUnknown => {
                    report.unknown_outcomes += 1;
                    let mut missing = Vec::new();
                    for agent in pending {
                        let email = agent.email.clone().unwrap_or_default();
                        if agents_with_email(client, &email).await.map_err(|e| e.to_string())?.is_empty() {
                            missing.push(agent);
                        }
                    }
                    pending = missing;
                }
                Err(error) => return Err(error.to_string()),
            }
        }
    }
    for batch in updates.chunks(BATCH) {
        let saved = client.agents().update_many(batch.to_vec()).send().await.map_err(|e| e.to_string())?;
        assert_eq!(saved.len(), batch.len(), "one saved record per updated item");
        report.posts += 1;
    }
    Ok(report)
}

const TEAMS: [&str; 5] = ["Service Desk", "Networks", "Projects", "Security", "Field Engineering"];

/// Per agent: (name, primary team, its id, membership team ids, disabled).
type AgentState = (String, String, i64, Vec<i64>, bool);

fn state_of(agent: &Value) -> (String, AgentState) {
    let memberships =
        agent["teams"].as_array().map_or_else(Vec::new, |m| m.iter().filter_map(|m| m["team_id"].as_i64()).collect());
    let email = agent["email"].as_str().unwrap_or_default().to_lowercase();
    let state = (
        agent["name"].as_str().unwrap_or_default().to_owned(),
        agent["team"].as_str().unwrap_or_default().to_owned(),
        agent["team_id"].as_i64().unwrap_or_default(),
        memberships,
        agent["isdisabled"].as_bool().unwrap_or_default(),
    );
    (email, state)
}

/// Seeds the fake with the roster before the sync (850 of the 1,000 HR people in various states, leavers,
/// agents already disabled and API agents), and returns the HR list and the state the sync must end in.
fn seed_roster(fake: &FakeHalo) -> (Vec<HrAgent>, BTreeMap<String, AgentState>) {
    let team_ids: BTreeMap<&str, i64> = TEAMS.iter().map(|t| (*t, fake.add_team(t))).collect();

    // The HR list: 1,000 people over the five teams.
    let hr: Vec<HrAgent> = (0..1000)
        .map(|i| HrAgent {
            email: format!("person{i:04}@acme.test"),
            name: format!("Person {i:04}"),
            team: TEAMS[(i * 7 + i / 13) % TEAMS.len()],
        })
        .collect();

    // Halo before the sync, inserted in a scrambled order so ids do not follow the list:
    // 0..600 right team (every 97th with its email in capitals), 600..800 wrong team, 800..850 disabled (odd ones
    // also in the wrong team), 850..1000 missing; plus leavers to disable, agents already disabled, and API agents.
    let wrong = |team: &str| TEAMS[(TEAMS.iter().position(|t| *t == team).unwrap_or(0) + 1) % TEAMS.len()];
    for k in 0..850 {
        let i = (k * 379) % 850;
        let person = &hr[i];
        let email = if i % 97 == 0 { person.email.to_uppercase() } else { person.email.clone() };
        let team = if (600..800).contains(&i) || ((800..850).contains(&i) && i % 2 == 1) {
            wrong(person.team)
        } else {
            person.team
        };
        fake.add_agent(json!({
            "name": person.name, "email": email, "team": team, "jobtitle": "Engineer",
            "isdisabled": i >= 800, "isapiagent": false,
        }));
    }
    let extras = [("gone", 30, false, false), ("old", 10, true, false), ("api", 2, false, true)];
    for (prefix, count, disabled, api) in extras {
        for j in 0..count {
            fake.add_agent(json!({
                "name": format!("{prefix} {j}"), "email": format!("{prefix}{j}@acme.test"), "team": TEAMS[j % TEAMS.len()],
                "isdisabled": disabled, "isapiagent": api,
            }));
        }
    }
    assert_eq!(fake.agents().len(), 850 + 42);

    // The intended state: every HR person once, enabled, in their team (one membership); leavers disabled;
    // the already disabled and the API agents as they were.
    let mut intended: BTreeMap<String, AgentState> = hr
        .iter()
        .map(|p| {
            let id = team_ids[p.team];
            (p.email.clone(), (p.name.clone(), p.team.to_owned(), id, vec![id], false))
        })
        .collect();
    for (prefix, count, disabled, api) in extras {
        for j in 0..count {
            let team = TEAMS[j % TEAMS.len()];
            let state =
                (format!("{prefix} {j}"), team.to_owned(), team_ids[team], vec![team_ids[team]], disabled || !api);
            intended.insert(format!("{prefix}{j}@acme.test"), state);
        }
    }

    (hr, intended)
}

/// The server's state is exactly the intended one: nobody lost, duplicated, wrongly changed or left over.
fn assert_exact(fake: &FakeHalo, intended: &BTreeMap<String, AgentState>) {
    let agents = fake.agents();
    let emails: BTreeSet<String> = agents.iter().map(|a| state_of(a).0).collect();
    assert_eq!(emails.len(), agents.len(), "no email twice");
    let actual: BTreeMap<String, AgentState> = agents.iter().map(state_of).collect();
    let wrong_records: Vec<_> = intended
        .iter()
        .filter(|(email, state)| actual.get(*email) != Some(state))
        .map(|(email, state)| format!("{email}: want {state:?}, have {:?}", actual.get(email)))
        .collect();
    assert!(
        wrong_records.is_empty(),
        "{} records differ, e.g. {:?}",
        wrong_records.len(),
        &wrong_records[..wrong_records.len().min(5)]
    );
    let extra_records: Vec<&String> = actual.keys().filter(|email| !intended.contains_key(*email)).collect();
    assert!(extra_records.is_empty(), "records nobody asked for: {extra_records:?}");
    assert_eq!(agents.len(), 1042);
}

#[tokio::test(start_paused = true)]
async fn hr_sync_of_a_thousand_agents_through_rate_limits_is_exact_and_idempotent() {
    let fake = FakeHalo::start().await;
    let (hr, intended) = seed_roster(&fake);

    // 429s: a fifth of all API requests at random (fixed seed), plus one with `Retry-After: 1` on a POST.
    let random = fake.inject(Fault::random_rate_limited(0.2, 0x5EED).on(Target::api()));
    let burst = fake.inject(Fault::rate_limited_retry_after(1).on(Target::post("/api/Agent")).after(4).times(1));
    let client = client(&fake);

    let started = tokio::time::Instant::now();
    let report = sync(&client, &hr).await.expect("the sync succeeds despite the 429s");
    assert_eq!(
        report,
        SyncReport { created: 150, moved: 225, enabled: 50, disabled: 30, posts: 3 + 6, unknown_outcomes: 0 },
        "150 creates in 3 batches; 200 + 25 moves, 50 re-enabled (25 of them moved too) and 30 leavers: 280 updates in 6",
    );

    assert_exact(&fake, &intended);
    let agents = fake.agents();

    // The 429s happened and were retried: every faulted request was answered 429 and repeated.
    let requests = fake.requests();
    let throttled = requests.iter().filter(|r| r.status == Some(429)).count();
    let (random_hits, burst_hits) = (fake.fault_hits(random), fake.fault_hits(burst));
    assert!(random_hits > 0, "random 429s fired");
    assert_eq!(burst_hits, 1);
    assert_eq!(throttled, (random_hits + burst_hits) as usize);
    let ok_posts = requests.iter().filter(|r| r.method == "POST" && r.status == Some(200)).count();
    assert_eq!(ok_posts, report.posts, "each batch applied once");
    // `Retry-After: 1` was honoured: the retry came at least a second later.
    let at = requests.iter().position(|r| r.faults.contains(&"rate_limited")).expect("the burst is recorded");
    let retry = requests[at + 1..].iter().find(|r| r.method == "POST").expect("the throttled POST was retried");
    assert!(retry.at - requests[at].at >= Duration::from_secs(1), "retried after {:?}", retry.at - requests[at].at);
    // The agents were listed page by page, disabled ones included.
    let pages: BTreeSet<&str> = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/Agent" && r.status == Some(200))
        .inspect(|r| {
            assert_eq!((r.query_param("pageinate"), r.query_param("includedisabled")), (Some("true"), Some("true")))
        })
        .filter_map(|r| r.query_param("page_no"))
        .collect();
    // 892 agents before the sync: pages 1 to 9 of 100, and no more.
    let expected: BTreeSet<String> = (1..=9).map(|n| n.to_string()).collect();
    assert_eq!(pages, expected.iter().map(String::as_str).collect(), "pages fetched");

    // A second run changes nothing and sends no POST.
    fake.clear_requests();
    let again = sync(&client, &hr).await.expect("the second sync succeeds");
    assert_eq!(again, SyncReport::default());
    let sent: Vec<String> = fake.requests().iter().filter(|r| r.method == "POST").map(RecordedRequest::line).collect();
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(fake.agents(), agents);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

// ---------------------------------------------------------------- 4. the nightly sync in a storm

/// The 1,000-agent sync with every fault the fake knows at once and the client's *default* policy: it must end
/// with the server's state exactly as intended. Time is tokio's paused clock, so minutes of backoff and
/// `Retry-After` cost no real time.
#[tokio::test(start_paused = true)]
async fn hr_sync_under_every_fault_at_once_with_the_default_policy_ends_exact() {
    let fake = FakeHalo::builder()
        // Tokens live two minutes, shorter than some of the waits: they expire during the run.
        .token_lifetime(Duration::from_secs(120))
        // A rolling-window limit, answered 429 with `Retry-After`.
        .rate_limit(RateLimit::new(40, Duration::from_secs(60)).with_retry_after())
        .start()
        .await;
    let (hr, intended) = seed_roster(&fake);
    // An odd page cap, and bare arrays (no record_count) for the agent list.
    fake.set_max_page_size(37);
    fake.set_bare_agent_list(true);

    let api = Target::api;
    let agents = || Target::get("/api/Agent");
    let posts = || Target::post("/api/Agent");
    let faults = [
        // 429s at random, and bursts of five 503s in a row.
        fake.inject(Fault::random_rate_limited(0.15, 0xFA17).on(api())),
        fake.inject(Fault::unavailable().on(api()).after(7).times(5)),
        fake.inject(Fault::unavailable().on(api()).after(60).times(5)),
        fake.inject(Fault::unavailable().on(posts()).after(2).times(3)),
        // A gateway that gives up: retried for reads and updates; a create's outcome is then unknown.
        fake.inject(Fault::error(502, ErrorBody::Text("Bad Gateway".into())).on(api()).after(15).times(2)),
        fake.inject(Fault::error(504, ErrorBody::Text("Gateway Timeout".into())).on(posts().creates_only()).times(1)),
        // Tokens revoked under the client's feet.
        fake.inject(Fault::RevokeTokens.on(api()).after(10).times(1)),
        fake.inject(Fault::RevokeTokens.on(api()).after(45).times(1)),
        // Truncated bodies: on listings, on an update's answer and on a create's answer (applied, answer lost).
        fake.inject(Fault::TruncatedBody.on(agents()).after(3).times(2)),
        fake.inject(Fault::TruncatedBody.on(posts()).after(4).times(1)),
        fake.inject(Fault::TruncatedBody.on(posts().creates_only()).after(1).times(1)),
        // Float ids, overlapping pages and slow answers.
        fake.inject(Fault::IdsAsFloats.on(agents())),
        fake.inject(Fault::OverlappingPages(3).on(agents())),
        fake.inject(Fault::Delay(Duration::from_millis(700)).on(api())),
    ];

    // The default policy: no tuning by the application.
    let client = Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .build()
        .expect("the client configuration is valid");

    let started = tokio::time::Instant::now();
    let report = sync(&client, &hr).await.expect("the sync ends without an error");
    assert_eq!((report.created, report.moved, report.enabled, report.disabled), (150, 225, 50, 30));
    assert!(report.unknown_outcomes >= 1, "a create's outcome was unknown and was looked up: {report:?}");
    assert_exact(&fake, &intended);

    for (index, fault) in faults.iter().enumerate() {
        assert!(fake.fault_hits(*fault) > 0, "fault #{index} never fired");
    }
    let requests = fake.requests();
    let status_count = |status: u16| requests.iter().filter(|r| r.status == Some(status)).count();
    assert!(status_count(429) > 0 && status_count(503) >= 10 && status_count(401) >= 2, "faults were answered");
    assert!(fake.token_requests() >= 3, "tokens were fetched again: {}", fake.token_requests());
    // The waits were real waits on the paused clock (backoff, Retry-After of the rolling window).
    assert!(started.elapsed() > Duration::from_secs(60), "waited {:?}", started.elapsed());

    // A second run under the same storm finds nothing to do.
    let again = sync(&client, &hr).await.expect("the second sync ends without an error");
    assert_eq!((again.created, again.moved, again.enabled, again.disabled, again.posts), (0, 0, 0, 0, 0));
    assert_exact(&fake, &intended);
}

/// One team membership of an agent.
fn membership(team_id: i32, team_name: &str) -> AgentTeam {
    let mut member = AgentTeam::default();
    member.team_id = Some(team_id);
    member.team_name = Some(team_name.to_owned());
    member
}

/// An update that disables an agent.
fn disable() -> Agent {
    let mut change = Agent::default();
    change.isdisabled = Some(true);
    change
}
