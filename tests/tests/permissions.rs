//! Permission diagnostics against the fake Halo: a token without the operation's scope gets an error naming it, a
//! token with it gets the "agent's own permissions" hint, and `Client::whoami` reports the agent and the scopes. Also
//! the fake's side of it: API applications, granted scopes, 403s, `GET /api/Agent/me`.

use halopsa::models::Agent;
use halopsa::{Client, ErrorKind, RetryPolicy};
use halopsa_tests::fake_halo::{ApiApplication, ErrorBody, FakeHalo, Fault, Target};
use serde_json::{Value, json};

const EDIT_AGENTS: [&str; 3] = ["edit:agents", "all", "all:standard"];

/// A fake whose application `reader` may only read agents and teams, and runs as the agent "API Reader".
async fn fake_with_reader() -> (FakeHalo, i64) {
    let fake = FakeHalo::builder().default_seed().start().await;
    let api_agent = fake.add_agent(json!({ "name": "API Reader", "email": "api@example.com", "isapiagent": true }));
    fake.add_api_application(
        ApiApplication::new("reader", "reader-secret").scopes(["read:agents", "read:teams"]).agent(api_agent),
    );
    (fake, api_agent)
}

fn reader(fake: &FakeHalo, scopes: &[&str]) -> Client {
    Client::builder(fake.base_url())
        .client_credentials("reader", "reader-secret")
        .tenant("acme")
        .scopes(scopes.iter().copied())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_token_without_edit_agents_gets_an_error_naming_the_missing_scope() {
    let (fake, _) = fake_with_reader().await;
    let client = reader(&fake, &["read:agents", "edit:agents"]);
    // Reading works: the token was granted read:agents.
    assert_eq!(client.agents().list().all().await.unwrap().len(), 11);

    let error = client.agents().update(3, disable()).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.missing_scopes(), Some(&EDIT_AGENTS.map(String::from)[..]));
    let shown = error.to_string();
    assert!(
        shown.contains(
            "this operation needs scope `edit:agents` (or `all`, `all:standard`); the token was granted `read:agents`"
        ),
        "{shown}"
    );
    assert!(shown.starts_with("POST /Agent: halo answered 403 Forbidden: "), "{shown}");
    assert_eq!(fake.agent(3).unwrap()["isdisabled"], false, "nothing was saved");
    // Teams need read:teams, which the token was not granted either (it was not asked for).
    let error = client.teams().list().send().await.unwrap_err();
    assert_eq!(error.missing_scopes(), Some(&["read:teams", "all", "all:standard"].map(String::from)[..]));
    // The hint comes last before the trace id.
    assert!(error.to_string().contains("the token was granted `read:agents` (trace id "), "{error}");
}

/// A token endpoint may leave `scope` out of its answer when it granted what was asked for (RFC 6749 §5.1): the
/// scopes asked for are then the ones the error compares with.
#[tokio::test]
async fn a_token_response_without_scope_granted_what_was_asked_for() {
    let (fake, _) = fake_with_reader().await;
    let token = fake.issue_token_with_scopes(["read:agents"]);
    let answer = json!({ "access_token": token, "token_type": "Bearer", "expires_in": 3600 });
    fake.inject(Fault::error(200, ErrorBody::Json(answer)).on(Target::token()));
    let client = reader(&fake, &["read:agents"]);

    let error = client.agents().update(3, disable()).send().await.unwrap_err();

    assert_eq!(error.status(), Some(403));
    assert_eq!(error.missing_scopes(), Some(&EDIT_AGENTS.map(String::from)[..]));
    assert!(error.to_string().contains("the token was granted `read:agents`"), "{error}");
    let me = client.whoami().await.unwrap();
    assert_eq!(me.granted_scopes(), Some(&["read:agents".to_owned()][..]));
}

#[tokio::test]
async fn whoami_reports_the_agent_the_scopes_the_tenant_and_the_auth_server() {
    let (fake, api_agent) = fake_with_reader().await;
    let client = reader(&fake, &["read:agents", "edit:agents"]);
    let me = client.whoami().await.unwrap();
    let agent = me.agent().expect("the agent of GET /Agent/me");
    assert_eq!((agent.id.map(i64::from), agent.name.as_deref()), (Some(api_agent), Some("API Reader")));
    assert!(me.agent_error().is_none());
    assert_eq!(me.granted_scopes(), Some(&["read:agents".to_owned()][..]));
    assert_eq!(me.requested_scopes(), ["read:agents", "edit:agents"]);
    assert_eq!(me.tenant(), Some("acme"));
    assert_eq!(me.auth_server(), Some(format!("{}/auth", fake.base_url()).as_str()));
    assert_eq!(me.token_url(), Some(fake.token_url().as_str()));
    assert_eq!(me.api_url(), fake.api_url());
    let shown = me.to_string();
    for line in [
        format!("agent:            API Reader (id {api_agent}, api@example.com)"),
        "scopes granted:   read:agents".to_owned(),
        "scopes requested: read:agents edit:agents".to_owned(),
        "tenant:           acme".to_owned(),
    ] {
        assert!(shown.lines().any(|l| l == line), "{line:?} in\n{shown}");
    }
    // The default application allows `all` and runs as the agent with the lowest id.
    let default =
        Client::builder(fake.base_url()).client_credentials(fake.client_id(), fake.client_secret()).build().unwrap();
    let me = default.whoami().await.unwrap();
    assert_eq!(me.agent().and_then(|a| a.name).as_deref(), Some("Agent 001"));
    assert_eq!(me.granted_scopes(), Some(&["all".to_owned()][..]));
    assert_eq!(me.tenant(), Some("fake"), "from GET /AuthInfo when the client has none");
}

#[tokio::test]
async fn a_token_with_the_scope_refused_by_halo_blames_the_agents_permissions() {
    let (fake, _) = fake_with_reader().await;
    let client = reader(&fake, &["read:agents"]);
    let refusal = ErrorBody::Message("Authorization has been denied for this request.".into());
    fake.inject(Fault::error(403, refusal).times(1).on(Target::get("/api/Agent")));
    let error = client.agents().list().send().await.unwrap_err();
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.missing_scopes(), None);
    let shown = error.to_string();
    assert!(
        shown.contains(
            "Authorization has been denied for this request.; the token was granted `read:agents`, which this \
             operation accepts; the agent the API application runs as (see `Client::whoami`) likely lacks the \
             permission in Halo"
        ),
        "{shown}"
    );
}

#[tokio::test]
async fn whoami_reports_why_the_agent_could_not_be_read() {
    let (fake, _) = fake_with_reader().await;
    let client = reader(&fake, &["read:agents"]);
    fake.inject(Fault::error(403, ErrorBody::Message("denied".into())).on(Target::get("/api/Agent/me")));
    let me = client.whoami().await.unwrap();
    assert!(me.agent().is_none());
    let error = me.agent_error().expect("the failure of GET /Agent/me");
    assert_eq!((error.status(), error.path()), (Some(403), Some("/Agent/me")));
    assert_eq!(me.granted_scopes(), Some(&["read:agents".to_owned()][..]));
    assert!(me.to_string().starts_with("agent:            unknown (GET /Agent/me: halo answered 403"), "{me}");
    // Without a token there is nothing to report: the credentials' error.
    let wrong = Client::builder(fake.base_url()).client_credentials("reader", "wrong").build().unwrap();
    assert_eq!(wrong.whoami().await.unwrap_err().kind(), ErrorKind::Auth);
}

#[tokio::test]
async fn a_401_after_fresh_tokens_and_a_bearer_token_name_the_likely_cause() {
    let (fake, _) = fake_with_reader().await;
    let client = reader(&fake, &["read:agents"]);
    fake.inject(Fault::RevokeTokens.on(Target::get("/api/Agent")));
    let error = client.agents().list().send().await.unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::Auth, Some(401)));
    assert!(
        error.to_string().contains("; a fresh token was refused too; the API application may be disabled"),
        "{error}"
    );
    fake.clear_faults();

    // A bearer token whose scopes the client cannot know.
    let token = fake.issue_token_with_scopes(["read:agents"]);
    let bearer = Client::builder(fake.base_url()).bearer_token(token).build().unwrap();
    let error = bearer.agents().delete(3).send().await.unwrap_err();
    assert_eq!((error.status(), error.missing_scopes()), (Some(403), None));
    assert!(
        error.to_string().contains(
            "this operation needs scope `edit:agents` (or `all`, `all:standard`); if the token has it, the agent"
        ),
        "{error}"
    );
    let me = bearer.whoami().await.unwrap();
    assert_eq!((me.granted_scopes(), me.token_url(), me.requested_scopes().len()), (None, None, 0));
}

// ---------------------------------------------------------------------------------------------------------------
// The fake's side, with plain reqwest.

async fn token(fake: &FakeHalo, id: &str, secret: &str, scope: Option<&str>) -> (u16, Value) {
    let mut form = vec![("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let body: String = form.iter().map(|(k, v)| format!("{k}={}", v.replace(' ', "+"))).collect::<Vec<_>>().join("&");
    let response = reqwest::Client::new()
        .post(fake.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap())
}

async fn get(fake: &FakeHalo, token: &str, path: &str) -> (u16, Value) {
    let response =
        reqwest::Client::new().get(format!("{}{path}", fake.api_url())).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_fake_grants_the_requested_scopes_its_application_allows() {
    let (fake, api_agent) = fake_with_reader().await;
    let (status, answer) = token(&fake, "reader", "reader-secret", Some("read:agents edit:agents admin")).await;
    assert_eq!((status, answer["scope"].as_str()), (200, Some("read:agents")));
    let access = answer["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&fake, &access, "/Agent").await.0, 200);
    assert_eq!(get(&fake, &access, "/Agent/me").await.1["id"], api_agent);
    let (status, body) = get(&fake, &access, "/Client").await;
    assert_eq!(status, 403);
    assert!(body["Message"].as_str().is_some_and(|m| m.contains("permission")), "{body}");
    assert_eq!(fake.requests().last().unwrap().status, Some(403));

    // Without `scope`: everything the application allows. None of those asked allowed: invalid_scope.
    let (_, answer) = token(&fake, "reader", "reader-secret", None).await;
    assert_eq!(answer["scope"], "read:agents read:teams");
    let (status, answer) = token(&fake, "reader", "reader-secret", Some("edit:tickets")).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_scope")));

    // `all:standard` reaches everything but admin; `all` everything.
    fake.add_api_application(ApiApplication::new("standard", "s").scopes(["all:standard"]));
    let (_, answer) = token(&fake, "standard", "s", Some("all:standard")).await;
    let standard = answer["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&fake, &standard, "/Client").await.0, 200);
    assert_eq!(get(&fake, &standard, "/Tickets").await.0, 200);
    let (_, answer) = token(&fake, fake.client_id().as_str(), fake.client_secret().as_str(), Some("all")).await;
    assert_eq!(answer["scope"], "all");
}

#[tokio::test]
async fn the_default_application_can_be_limited_and_replaced() {
    let fake = FakeHalo::builder().default_seed().scopes(["read:teams"]).agent(2).start().await;
    let client = |scopes: &[&str]| {
        Client::builder(fake.base_url())
            .client_credentials(fake.client_id(), fake.client_secret())
            .scopes(scopes.iter().copied())
            .build()
            .unwrap()
    };
    // `all` is not allowed: the token endpoint refuses the scope.
    let error = client(&["all"]).teams().list().send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert!(error.to_string().contains("invalid_scope"), "{error}");

    let teams_only = client(&["read:teams"]);
    assert_eq!(teams_only.teams().list().send().await.unwrap().teams.len(), 3);
    let me = teams_only.whoami().await.unwrap();
    assert_eq!(me.agent().and_then(|a| a.name).as_deref(), Some("Agent 002"));

    // The same client id again replaces the application; tokens are granted from the new scopes.
    fake.add_api_application(ApiApplication::new(fake.client_id(), fake.client_secret()).scopes(["all"]));
    assert_eq!(client(&["all"]).agents().list().all().await.unwrap().len(), 10);
}

/// An update that disables an agent.
fn disable() -> Agent {
    let mut change = Agent::default();
    change.isdisabled = Some(true);
    change
}
