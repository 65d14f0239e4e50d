//! The fake Halo server, exercised with plain reqwest: token flow, upsert semantics, lists and paging, every fault.

use std::time::Duration;

use halopsa_tests::fake_halo::{
    ErrorBody, FakeHalo, Fault, MAX_PAGE_SIZE, RATE_LIMIT_BODY, RateLimit, Resource, Target,
};
use serde_json::{Value, json};
use tokio::time::Instant;

/// A status, the headers we look at, and the body text.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    content_type: Option<String>,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (status, retry_after, content_type) =
        (response.status().as_u16(), header("retry-after"), header("content-type"));
    Answer { status, retry_after, content_type, text: response.text().await.expect("body") }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// A tiny client: the token flow and API calls, nothing hidden.
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn connect(fake: &FakeHalo) -> Api {
        let http = reqwest::Client::new();
        let mut api = Api { http, base: fake.base_url(), token: String::new() };
        let token = api.token(&fake.client_id(), &fake.client_secret()).await;
        assert_eq!(token.status, 200, "{}", token.text);
        api.token = token.json()["access_token"].as_str().expect("access_token").to_string();
        api
    }

    async fn token(&self, id: &str, secret: &str) -> Answer {
        let body = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "all"),
        ]);
        let response = self
            .http
            .post(format!("{}/auth/token?tenant=acme", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("token request");
        answer(response).await
    }

    async fn get(&self, path: &str) -> Answer {
        let response =
            self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.expect("GET");
        answer(response).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.post_raw(path, &body.to_string()).await
    }

    async fn post_raw(&self, path: &str, body: &str) -> Answer {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST");
        answer(response).await
    }

    async fn delete(&self, path: &str) -> Answer {
        let response =
            self.http.delete(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.expect("DELETE");
        answer(response).await
    }
}

fn ids(list: &Value, key: &str) -> Vec<i64> {
    list[key].as_array().expect("list array").iter().map(|r| r["id"].as_i64().expect("int id")).collect()
}

// ---------------------------------------------------------------- auth

#[tokio::test]
async fn token_flow_checks_credentials_and_counts_requests() {
    let fake = FakeHalo::builder().client_credentials("my-id", "my-secret").seed_agents(2).start().await;
    let api = Api::connect(&fake).await;
    assert!(api.token.starts_with("fake-"));

    let wrong = api.token("my-id", "nope").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["error"], "invalid_client");
    assert!(wrong.json()["error_description"].is_string());
    assert_eq!(api.token("other-id", "my-secret").await.status, 401);

    let ok = api.token("my-id", "my-secret").await;
    let ok = ok.json();
    assert_eq!(ok["token_type"], "Bearer");
    assert_eq!(ok["expires_in"], 3600);
    assert_eq!(ok["scope"], "all");
    assert_ne!(ok["access_token"], json!(api.token), "tokens are distinct");

    // Not form-urlencoded, wrong grant: OAuth errors.
    let as_json = api
        .http
        .post(fake.token_url())
        .header("content-type", "application/json")
        .body(
            json!({"grant_type": "client_credentials", "client_id": "my-id", "client_secret": "my-secret"}).to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(as_json.status().as_u16(), 400);
    let grant = api
        .http
        .post(fake.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("grant_type", "password"), ("client_id", "my-id"), ("client_secret", "my-secret")]))
        .send()
        .await
        .unwrap();
    assert_eq!(answer(grant).await.json()["error"], "unsupported_grant_type");
    // HTTP Basic credentials work too.
    let basic = api
        .http
        .post(fake.token_url())
        .basic_auth("my-id", Some("my-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 200);

    assert_eq!(fake.token_requests(), 7);
    assert_eq!(fake.tokens_issued(), 3);
    let first = &fake.token_calls()[0];
    assert_eq!(first.query_param("tenant"), Some("acme"));
    assert_eq!(first.body.as_ref().unwrap()["scope"], "all");
    assert_eq!(first.status, Some(200));

    // The API wants a valid bearer.
    assert_eq!(api.get("/api/Agent").await.status, 200);
    let anonymous = answer(api.http.get(format!("{}/api/Agent", fake.base_url())).send().await.unwrap()).await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.json()["Message"].is_string());
    let forged = Api { http: api.http.clone(), base: api.base.clone(), token: "fake-1-forged".into() };
    assert_eq!(forged.get("/api/Agent").await.status, 401);
    // Token requests are not API requests.
    assert!(fake.requests().iter().all(|r| r.path.starts_with("/api")));
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let fake = FakeHalo::builder().token_lifetime(Duration::from_secs(1)).start().await;
    let api = Api::connect(&fake).await;
    assert_eq!(api.token(&fake.client_id(), &fake.client_secret()).await.json()["expires_in"], 1);
    assert_eq!(api.get("/api/Team").await.status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api.get("/api/Team").await.status, 401);
    // Lifetime changes apply to new tokens.
    fake.set_token_lifetime(Duration::from_secs(60));
    let api = Api::connect(&fake).await;
    assert_eq!(api.get("/api/Team").await.status, 200);
}

#[tokio::test]
async fn revoked_tokens_get_401_until_a_new_token() {
    let fake = FakeHalo::start().await;
    let api = Api::connect(&fake).await;
    assert_eq!(api.get("/api/Team").await.status, 200);
    fake.revoke_tokens();
    let denied = api.get("/api/Team").await;
    assert_eq!(denied.status, 401);
    let api = Api::connect(&fake).await;
    assert_eq!(api.get("/api/Team").await.status, 200);
    assert_eq!(fake.token_requests(), 2);

    // A token minted by the handle works and is not counted as a token request.
    let minted = Api { http: api.http.clone(), base: api.base.clone(), token: fake.issue_token() };
    assert_eq!(minted.get("/api/Team").await.status, 200);
    assert_eq!(fake.token_requests(), 2);

    let authinfo = answer(api.http.get(format!("{}/api/authinfo", fake.base_url())).send().await.unwrap()).await;
    assert_eq!(authinfo.json()["auth_url"], json!(format!("{}/auth", fake.base_url())));
}

// ---------------------------------------------------------------- upsert

#[tokio::test]
async fn post_creates_updates_and_blanks_only_what_is_sent() {
    let fake = FakeHalo::start().await;
    let team = fake.add_team("Support");
    let api = Api::connect(&fake).await;

    // One object posted: one object back, with the next id and defaults.
    let created = api.post("/api/Agent", json!([{"name": "Ann", "email": "ann@x.com", "jobtitle": "Tech"}])).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let created = created.json();
    assert_eq!(created["id"], 1);
    assert_eq!(created["isdisabled"], false);
    // Several posted: an array back; id 0 and -1 mean "create".
    let many = api.post("/api/Agent", json!([{"name": "Bob", "id": 0}, {"name": "Cy", "id": -1}])).await.json();
    assert_eq!(many.as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect::<Vec<_>>(), [2, 3]);

    // Update: absent fields untouched, null blanks, new fields added; team_id fills in the team name.
    let updated =
        api.post("/api/Agent", json!([{"id": 1, "name": "Ann B", "jobtitle": null, "team_id": team}])).await.json();
    assert_eq!(updated["name"], "Ann B");
    assert_eq!(updated["email"], "ann@x.com", "absent field untouched");
    assert_eq!(updated["jobtitle"], Value::Null, "null blanks");
    assert_eq!(updated["team"], "Support");
    assert_eq!(fake.agent(1).unwrap(), updated);
    assert_eq!(fake.agents().len(), 3);
    // A lenient id ("1" / 1.0) updates too.
    api.post("/api/Agent", json!([{"id": "1", "surname": "B"}])).await;
    api.post("/api/Agent", json!([{"id": 1.0, "firstname": "Ann"}])).await;
    let ann = fake.agent(1).unwrap();
    assert_eq!((ann["surname"].as_str(), ann["firstname"].as_str()), (Some("B"), Some("Ann")));
    assert_eq!(fake.agents().len(), 3);

    // Deactivate, GET by id, DELETE.
    api.post("/api/Agent", json!([{"id": 2, "isdisabled": true}])).await;
    assert_eq!(api.get("/api/Agent/2").await.json()["isdisabled"], true);
    assert_eq!(api.delete("/api/Agent/3").await.status, 200);
    assert_eq!(api.get("/api/Agent/3").await.status, 404);
    assert_eq!(api.delete("/api/Agent/3").await.status, 404);
    assert_eq!(fake.agents().iter().map(|a| a["id"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2]);
    // Ids are never reused.
    assert_eq!(api.post("/api/Agent", json!([{"name": "Dee"}])).await.json()["id"], 4);

    // Unknown id: 404 and nothing saved, even for the valid items of the same post (all or nothing).
    let unknown = api.post("/api/Agent", json!([{"name": "Eve"}, {"id": 99, "name": "ghost"}])).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(fake.agents().len(), 3);

    // Other resources follow the same rules, with their own ids.
    let user = api.post("/api/Users", json!([{"name": "U", "emailaddress": "u@x.com", "site_id": 5}])).await.json();
    assert_eq!(user["id"], 1);
    let client = api.post("/api/client", json!([{"name": "Acme"}])).await.json();
    assert_eq!(client["id"], 1);
    assert_eq!(api.post("/api/Team", json!([{"name": "Projects"}])).await.json()["id"], 2);
    assert_eq!(fake.teams().len(), 2);
    assert_eq!(fake.users()[0]["site_id"], 5);
    assert_eq!(fake.clients()[0]["name"], "Acme");
}

#[tokio::test]
async fn bad_bodies_get_400s_in_the_validation_shape() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    let api = Api::connect(&fake).await;
    for (body, hint) in [
        ("[{\"name\": ", "Malformed JSON"),
        ("{\"name\": \"not an array\"}", "JSON array"),
        ("[]", "empty"),
        ("[1, 2]", "expected an object"),
        ("[{\"id\": \"abc\"}]", "not a valid integer"),
        ("[{\"id\": 1.5}]", "not a valid integer"),
    ] {
        let bad = api.post_raw("/api/Agent", body).await;
        assert_eq!(bad.status, 400, "{body}");
        let bad = bad.json();
        assert!(bad["message"].is_string(), "{bad}");
        let errors = bad["errors"].as_array().expect("errors array");
        assert!(errors[0].as_str().unwrap().contains(hint), "{body}: {bad}");
    }
    // Empty body and a non-JSON content type.
    assert_eq!(api.post_raw("/api/Agent", "").await.status, 400);
    let text = api
        .http
        .post(format!("{}/api/Agent", fake.base_url()))
        .bearer_auth(&api.token)
        .header("content-type", "text/plain")
        .body("[{}]")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status().as_u16(), 415);
    // application/*+json is JSON to Halo.
    let patch = api
        .http
        .post(format!("{}/api/Agent", fake.base_url()))
        .bearer_auth(&api.token)
        .header("content-type", "application/json-patch+json")
        .body("[{\"name\": \"P\"}]")
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status().as_u16(), 200);
    assert_eq!(fake.agents().len(), 2);

    // Bad query values, ids, methods and paths never crash the server.
    assert_eq!(api.get("/api/Agent?page_size=abc&pageinate=true").await.status, 400);
    assert_eq!(api.get("/api/Agent?includedisabled=maybe").await.status, 400);
    assert_eq!(api.get("/api/Agent/abc").await.status, 400);
    assert_eq!(api.get("/api/Agent/99999999999999999999").await.status, 400);
    assert_eq!(api.get("/api/Agent/1/extra").await.status, 404);
    assert_eq!(api.get("/api/Nope").await.status, 404);
    assert_eq!(api.get("/elsewhere").await.status, 404);
    assert_eq!(api.post("/api/Agent/1", json!([])).await.status, 405);
    let put = api.http.put(format!("{}/api/Agent", fake.base_url())).bearer_auth(&api.token).send().await.unwrap();
    assert_eq!(put.status().as_u16(), 405);
    assert_eq!(api.get("/api/Agent?search=%ZZ%&count=-5").await.status, 200);
    assert_eq!(api.get("/api/agent/me").await.json()["id"], 1);
}

// ---------------------------------------------------------------- lists

#[tokio::test]
async fn lists_filter_by_search_team_and_disabled() {
    let fake = FakeHalo::start().await;
    let red = fake.add_team("Red");
    let blue = fake.add_team("Blue");
    fake.add_agent(json!({"name": "Alice Smith", "email": "alice@acme.com", "team_id": red}));
    fake.add_agent(json!({"name": "Bob Jones", "email": "bob@ACME.com", "team": "blue"}));
    fake.add_agent(json!({"name": "Carol", "email": "carol@other.org", "team_id": blue, "isdisabled": true}));
    fake.add_user(json!({"name": "Dan", "emailaddress": "dan@acme.com", "client_id": 7}));
    fake.add_user(json!({"name": "Erin", "emailaddress": "erin@x.org", "client_id": 8}));
    assert_eq!(fake.agent(2).unwrap()["team_id"], blue, "team name resolves to its id");
    let api = Api::connect(&fake).await;

    let all = api.get("/api/Agent").await.json();
    assert_eq!(all["record_count"], 2, "disabled agents are hidden by default");
    assert_eq!(ids(&all, "agents"), [1, 2]);
    assert_eq!(ids(&api.get("/api/Agent?includedisabled=true").await.json(), "agents"), [1, 2, 3]);
    assert_eq!(ids(&api.get("/api/Agent?search=acme").await.json(), "agents"), [1, 2]);
    assert_eq!(ids(&api.get("/api/Agent?search=JONES").await.json(), "agents"), [2]);
    assert_eq!(ids(&api.get("/api/Agent?search=other.org&includedisabled=true").await.json(), "agents"), [3]);
    assert_eq!(
        ids(&api.get(&format!("/api/Agent?team_id={blue}&includedisabled=true")).await.json(), "agents"),
        [2, 3]
    );
    assert_eq!(ids(&api.get("/api/Agent?team=RED").await.json(), "agents"), [1]);
    assert_eq!(ids(&api.get("/api/Agent?order=name&orderdesc=true").await.json(), "agents"), [2, 1]);

    // Deactivating hides an agent from the default list.
    api.post("/api/Agent", json!([{"id": 1, "isdisabled": true}])).await;
    assert_eq!(ids(&api.get("/api/Agent").await.json(), "agents"), [2]);

    let users = api.get("/api/Users?search=acme.com").await.json();
    assert_eq!(ids(&users, "users"), [1]);
    assert_eq!(ids(&api.get("/api/Users?client_id=8").await.json(), "users"), [2]);
    assert_eq!(ids(&api.get("/api/Team").await.json(), "teams"), [1, 2]);
    assert_eq!(api.get("/api/Client").await.json(), json!({"record_count": 0, "clients": []}));
}

#[tokio::test]
async fn paging_caps_page_size_at_100_and_reports_record_count() {
    let fake = FakeHalo::builder().seed_agents(250).start().await;
    assert_eq!(fake.teams().len(), 3);
    let api = Api::connect(&fake).await;

    let big = api.get("/api/Agent?pageinate=true&page_size=1000&page_no=1").await.json();
    assert_eq!(big["record_count"], 250);
    assert_eq!(big["agents"].as_array().unwrap().len(), MAX_PAGE_SIZE as usize);
    assert_eq!(big["page_no"], 1);

    let third = api.get("/api/Agent?pageinate=true&page_size=1000&page_no=3").await.json();
    assert_eq!(ids(&third, "agents"), (201..=250).collect::<Vec<_>>());
    let past = api.get("/api/Agent?pageinate=true&page_size=100&page_no=4").await.json();
    assert_eq!(past["agents"], json!([]));
    assert_eq!(past["record_count"], 250);

    let small = api.get("/api/Agent?pageinate=true&page_size=7&page_no=2").await.json();
    assert_eq!(ids(&small, "agents"), (8..=14).collect::<Vec<_>>());
    let default = api.get("/api/Agent?pageinate=true").await.json();
    assert_eq!(default["agents"].as_array().unwrap().len(), 50);

    // Without pageinate: page params are ignored, count limits, default is everything.
    let counted = api.get("/api/Agent?count=7&page_size=3&page_no=2").await.json();
    assert_eq!(ids(&counted, "agents"), (1..=7).collect::<Vec<_>>());
    assert_eq!(counted["record_count"], 250);
    assert_eq!(api.get("/api/Agent").await.json()["agents"].as_array().unwrap().len(), 250);
    // Filters apply before paging.
    let filtered = api.get("/api/Agent?pageinate=true&page_size=10&team_id=1").await.json();
    assert_eq!(filtered["record_count"], 84);
    assert_eq!(ids(&filtered, "agents")[..3], [1, 4, 7]);
}

#[tokio::test]
async fn a_lower_page_cap_is_applied_silently() {
    let fake = FakeHalo::builder().seed_agents(50).start().await;
    let api = Api::connect(&fake).await;
    fake.set_max_page_size(20);
    let page = api.get("/api/Agent?pageinate=true&page_size=100&page_no=2").await.json();
    // 20 records, the second twenty, while the answer still echoes the size asked for (HaloAPI#90).
    assert_eq!(ids(&page, "agents"), (21..=40).collect::<Vec<_>>());
    assert_eq!(page["page_size"], 100);
    assert_eq!(page["record_count"], 50);
    let default = api.get("/api/Agent?pageinate=true").await.json();
    assert_eq!(default["agents"].as_array().unwrap().len(), 20);
    fake.set_max_page_size(MAX_PAGE_SIZE);
    let page = api.get("/api/Agent?pageinate=true&page_size=100").await.json();
    assert_eq!(page["agents"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn agent_list_can_be_a_bare_array() {
    let fake = FakeHalo::builder().seed_agents(3).start().await;
    let api = Api::connect(&fake).await;
    assert!(api.get("/api/Agent").await.json().is_object());
    fake.set_bare_agent_list(true);
    let bare = api.get("/api/Agent?pageinate=true&page_size=2").await.json();
    assert_eq!(bare.as_array().expect("bare array").len(), 2);
    assert!(api.get("/api/Team").await.json().is_object(), "only agents switch");
    fake.set_bare_agent_list(false);
    assert_eq!(api.get("/api/Agent").await.json()["record_count"], 3);

    let built = FakeHalo::builder().seed_agents(1).bare_agent_list(true).start().await;
    assert!(Api::connect(&built).await.get("/api/Agent").await.json().is_array());
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn consecutive_429s_with_and_without_retry_after() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    let api = Api::connect(&fake).await;
    let id = fake.inject(Fault::rate_limited_retry_after(3).times(2).on(Target::get("/api/Agent")));
    assert_eq!(api.get("/api/Team").await.status, 200, "other paths untouched");
    for _ in 0..2 {
        let limited = api.get("/api/Agent").await;
        assert_eq!(limited.status, 429);
        assert_eq!(limited.retry_after.as_deref(), Some("3"));
        assert_eq!(limited.text, RATE_LIMIT_BODY);
        assert!(limited.content_type.unwrap().starts_with("text/plain"));
    }
    assert_eq!(api.get("/api/Agent").await.status, 200);
    assert_eq!(fake.fault_hits(id), 2);

    fake.inject(Fault::rate_limited().times(1));
    let limited = api.get("/api/Team").await;
    assert_eq!((limited.status, limited.retry_after), (429, None));
    assert_eq!(api.get("/api/Team").await.status, 200);
    let recorded = fake.requests();
    assert_eq!(recorded[1].faults, ["rate_limited"]);
    assert_eq!(recorded[1].status, Some(429));
}

#[tokio::test]
async fn random_429s_are_reproducible_from_the_seed() {
    async fn pattern(seed: u64) -> Vec<u16> {
        let fake = FakeHalo::builder().seed_agents(1).start().await;
        let api = Api::connect(&fake).await;
        fake.inject(Fault::random_rate_limited(0.3, seed));
        let mut statuses = Vec::new();
        for _ in 0..150 {
            statuses.push(api.get("/api/Agent/1").await.status);
        }
        statuses
    }
    let a = pattern(42).await;
    let limited = a.iter().filter(|s| **s == 429).count();
    assert!((20..=70).contains(&limited), "{limited} of 150 limited at p=0.3");
    assert!(a.iter().all(|s| *s == 200 || *s == 429));
    assert_eq!(a, pattern(42).await, "same seed, same pattern");
    assert_ne!(a, pattern(43).await, "another seed, another pattern");
}

#[tokio::test]
async fn unavailable_bursts_then_recovers() {
    let fake = FakeHalo::start().await;
    let api = Api::connect(&fake).await;
    let id = fake.inject(Fault::Unavailable { retry_after: Some(1) }.after(1).times(3));
    assert_eq!(api.get("/api/Team").await.status, 200, "after(1) lets one through");
    for _ in 0..3 {
        let down = api.get("/api/Team").await;
        assert_eq!((down.status, down.retry_after.as_deref()), (503, Some("1")));
    }
    assert_eq!(api.get("/api/Team").await.status, 200);
    assert_eq!(fake.fault_hits(id), 3);
}

#[tokio::test]
async fn token_revoked_mid_run() {
    let fake = FakeHalo::builder().seed_agents(5).start().await;
    let api = Api::connect(&fake).await;
    fake.inject(Fault::RevokeTokens.after(2).times(1).on(Target::get("/api/Agent")));
    assert_eq!(api.get("/api/Agent?pageinate=true&page_size=2&page_no=1").await.status, 200);
    assert_eq!(api.get("/api/Agent?pageinate=true&page_size=2&page_no=2").await.status, 200);
    assert_eq!(api.get("/api/Agent?pageinate=true&page_size=2&page_no=3").await.status, 401);
    assert_eq!(api.get("/api/Team").await.status, 401, "stays revoked");
    let api = Api::connect(&fake).await;
    assert_eq!(api.get("/api/Agent?pageinate=true&page_size=2&page_no=3").await.status, 200);
}

#[tokio::test]
async fn ids_as_floats_or_strings() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    let api = Api::connect(&fake).await;
    let floats = fake.inject(Fault::IdsAsFloats.on(Target::get("/api/Agent")));
    let text = api.get("/api/Agent/1").await.text;
    assert!(text.contains("\"id\":1.0") && text.contains("\"team_id\":1.0"), "{text}");
    let list = api.get("/api/Agent").await.json();
    assert_eq!(list["agents"][0]["id"], json!(1.0));
    assert_eq!(list["record_count"], 1, "not an id");
    assert!(api.get("/api/Team").await.json()["teams"][0]["id"].is_i64(), "other paths untouched");
    fake.remove_fault(floats);

    fake.inject(Fault::IdsAsStrings);
    let agent = api.get("/api/Agent/1").await.json();
    assert_eq!((&agent["id"], &agent["team_id"]), (&json!("1"), &json!("1")));
    fake.clear_faults();
    assert_eq!(api.get("/api/Agent/1").await.json()["id"], 1);
}

#[tokio::test]
async fn error_in_a_200_on_agent_creation_only() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    let api = Api::connect(&fake).await;
    fake.inject(Fault::no_licence_seats().on(Target::post("/api/Agent").creates_only()));
    let refused = api.post("/api/Agent", json!([{"name": "New"}])).await;
    assert_eq!(refused.status, 200);
    assert_eq!(refused.json(), json!({"ClassName": "HaloException", "Message": "No licence seats available"}));
    assert_eq!(fake.agents().len(), 1, "nothing created");
    let update = api.post("/api/Agent", json!([{"id": 1, "jobtitle": "Lead"}])).await;
    assert_eq!(update.json()["jobtitle"], "Lead", "updates still pass");
    assert_eq!(api.post("/api/Users", json!([{"name": "U"}])).await.json()["id"], 1, "other resources pass");
}

#[tokio::test]
async fn every_error_body_shape() {
    let fake = FakeHalo::start().await;
    let api = Api::connect(&fake).await;
    let cases = [
        (
            400,
            ErrorBody::ResultCode { code: 3, message: "Bad thing".into() },
            json!({"resultCode": 3, "errorMessage": "Bad thing"}),
        ),
        (500, ErrorBody::Message("Wrong tenant".into()), json!({"Message": "Wrong tenant"})),
        (
            400,
            ErrorBody::Validation { message: "Invalid".into(), errors: vec!["name is required".into()] },
            json!({"message": "Invalid", "errors": ["name is required"]}),
        ),
        (403, ErrorBody::HaloException("Denied".into()), json!({"ClassName": "HaloException", "Message": "Denied"})),
        (
            401,
            ErrorBody::OAuth { error: "invalid_client".into(), description: "d".into() },
            json!({"error": "invalid_client", "error_description": "d"}),
        ),
        (418, ErrorBody::Json(json!([1, 2])), json!([1, 2])),
    ];
    for (status, body, expected) in cases {
        let id = fake.inject(Fault::error(status, body).times(1));
        let got = api.get("/api/Team").await;
        assert_eq!((got.status, got.json()), (status, expected));
        assert_eq!(fake.fault_hits(id), 1);
    }
    fake.inject(Fault::error(502, ErrorBody::Text("Bad Gateway".into())).times(1));
    let text = api.get("/api/Team").await;
    assert_eq!((text.status, text.text.as_str()), (502, "Bad Gateway"));
    assert_eq!(api.get("/api/Team").await.status, 200);
}

#[tokio::test]
async fn truncated_bodies_cut_successful_json() {
    let fake = FakeHalo::builder().seed_agents(3).start().await;
    let api = Api::connect(&fake).await;
    let full = api.get("/api/Agent").await.text;
    fake.inject(Fault::TruncatedBody.times(1));
    let cut = api.get("/api/Agent").await;
    assert_eq!(cut.status, 200);
    assert!(serde_json::from_str::<Value>(&cut.text).is_err());
    assert!(!cut.text.is_empty() && full.starts_with(&cut.text) && cut.text.len() < full.len());
    assert_eq!(api.get("/api/Agent").await.text, full);
}

#[tokio::test(start_paused = true)]
async fn slow_responses_only_where_targeted() {
    let fake = FakeHalo::start().await;
    let api = Api::connect(&fake).await;
    fake.inject(Fault::Delay(Duration::from_millis(500)).on(Target::get("/api/Team")));
    let started = Instant::now();
    assert_eq!(api.get("/api/Team").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(500));
    let started = Instant::now();
    assert_eq!(api.get("/api/Client").await.status, 200);
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[tokio::test]
async fn targets_match_whole_segments_methods_and_the_token_endpoint() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    let api = Api::connect(&fake).await;
    fake.inject(Fault::unavailable().on(Target::post("/api/Agent")));
    fake.inject(Fault::unavailable().on(Target::path("/api/Use")));
    assert_eq!(api.get("/api/Agent").await.status, 200, "GET is not POST");
    assert_eq!(api.get("/api/Users").await.status, 200, "/api/Use is not a prefix of /api/Users");
    assert_eq!(api.post("/api/agent", json!([{"name": "x"}])).await.status, 503, "paths are case-insensitive");
    fake.clear_faults();
    fake.inject(Fault::rate_limited().on(Target::token()).times(1));
    assert_eq!(api.token(&fake.client_id(), &fake.client_secret()).await.status, 429);
    assert_eq!(api.token(&fake.client_id(), &fake.client_secret()).await.status, 200);
    assert_eq!(api.get("/api/Agent").await.status, 200);
}

#[tokio::test]
async fn server_side_rate_limit_over_a_rolling_window() {
    let fake =
        FakeHalo::builder().rate_limit(RateLimit::new(3, Duration::from_secs(1)).with_retry_after()).start().await;
    let api = Api::connect(&fake).await;
    for _ in 0..3 {
        assert_eq!(api.get("/api/Team").await.status, 200);
    }
    let limited = api.get("/api/Team").await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.text, "Rate Limit Reached - 3 Requests per rolling 1 second window");
    assert_eq!(limited.retry_after.as_deref(), Some("1"));
    assert_eq!(fake.requests().last().unwrap().faults, ["server_rate_limit"]);
    assert_eq!(api.token(&fake.client_id(), &fake.client_secret()).await.status, 200, "token endpoint not limited");
    fake.set_rate_limit(None);
    assert_eq!(api.get("/api/Team").await.status, 200);
    assert_eq!(RateLimit::hosted(), RateLimit::new(300, Duration::from_secs(300)));
}

// ---------------------------------------------------------------- recording, seeding, lifecycle

#[tokio::test]
async fn every_api_request_is_recorded() {
    let fake = FakeHalo::start().await;
    let api = Api::connect(&fake).await;
    api.get("/api/Agent?search=a%20b&Page_No=2&teams=1,2").await;
    api.post("/api/Team", json!([{"name": "T"}])).await;
    let anonymous = api.http.get(format!("{}/api/Team", fake.base_url())).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    let recorded = fake.requests();
    assert_eq!(recorded.len(), 3);
    let get = &recorded[0];
    assert_eq!((get.method.as_str(), get.path.as_str()), ("GET", "/api/Agent"));
    assert_eq!(get.query, "search=a%20b&Page_No=2&teams=1,2");
    assert_eq!(get.query_param("search"), Some("a b"));
    assert_eq!(get.query_param("page_no"), Some("2"), "case-insensitive");
    assert_eq!(get.query_pairs.len(), 3);
    assert!(get.has_bearer());
    assert_eq!(get.bearer_token(), Some(api.token.as_str()));
    assert_eq!(get.status, Some(200));
    assert_eq!(get.line(), "GET /api/Agent?search=a%20b&Page_No=2&teams=1,2");
    let post = &recorded[1];
    assert_eq!(post.body, Some(json!([{"name": "T"}])));
    assert_eq!(post.body_items(), [json!({"name": "T"})]);
    assert_eq!(post.content_type.as_deref(), Some("application/json"));
    assert_eq!(post.header("Content-Type"), Some("application/json"));
    assert!(!recorded[2].has_bearer());
    assert_eq!(recorded[2].status, Some(401));
    assert!(recorded[0].seq < recorded[1].seq && recorded[0].at <= recorded[1].at);

    fake.clear_requests();
    assert!(fake.requests().is_empty());
    assert_eq!(fake.token_requests(), 0);
}

#[tokio::test]
async fn seeding_helpers_and_state_access() {
    let fake = FakeHalo::builder().seed_clients(2).seed_users(4).seed_agents(4).start().await;
    assert_eq!(fake.clients().len(), 2);
    assert_eq!(fake.users()[1]["client_id"], 2);
    assert_eq!(fake.users()[2]["emailaddress"], "user003@example.com");
    assert_eq!(fake.agents()[3]["team"], "Support Tier 1");
    let ops = fake.add_team("Ops");
    let id = fake.add_agent(json!({"name": "Zed", "team": "Ops"}));
    assert_eq!(id, 5);
    let zed = fake.agent(id).unwrap();
    assert_eq!((zed["team_id"].as_i64(), zed["isdisabled"].as_bool()), (Some(ops), Some(false)));
    assert_eq!(fake.insert(Resource::Agents, json!({"id": 40, "name": "Forty"})), 40);
    assert_eq!(fake.add_agent(json!({"name": "Next"})), 41);
    assert_eq!(fake.seed_agents(2), [42, 43]);
    let agents = fake.agents();
    assert!(agents.windows(2).all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64()), "sorted by id");
    assert_eq!(fake.add_client(json!({"name": "C"})), 3);
    assert_eq!(fake.add_user(json!({"name": "U"})), 5);
    assert_eq!(fake.record(Resource::Teams, ops).unwrap()["name"], "Ops");
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let fake = FakeHalo::start().await;
    let url = format!("{}/api/Team", fake.base_url());
    assert!(url.starts_with("http://127.0.0.1:"));
    assert_eq!(reqwest::get(&url).await.unwrap().status().as_u16(), 401);
    drop(fake);
    // The server task ends soon after the drop; a bounded number of tries, not a clock, decides "never".
    for attempt in 1.. {
        let fresh = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        if fresh.get(&url).send().await.is_err() {
            break;
        }
        assert!(attempt < 100, "still answering after drop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
