//! Type drift between Halo versions (issue 18, item 5), end to end against the fake Halo: a value of another type
//! than the spec says leaves its field `None`, is kept and sent back byte for byte, at any depth (a nested model,
//! an array element, an enum); the record and the page still decode; one warning per field and answer; strict
//! decoding fails naming the field.

use halopsa::models::{Action, ActionField, AgentField, AgentTeamField, UserField};
use halopsa::{Client, ErrorKind};
use halopsa_tests::fake_halo::{ErrorBody, FakeHalo, Fault, RecordedRequest, Target};
use serde_json::{Value, json};

fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url()).client_credentials(fake.client_id(), fake.client_secret()).build().unwrap()
}

fn last_post(fake: &FakeHalo) -> RecordedRequest {
    fake.requests().into_iter().rfind(|r| r.method == "POST").expect("a POST was sent")
}

/// The two captured cases: `externalinvoicenumber: 0` where the spec has a string (an action), and
/// `role_id: "string"` where it has an integer (an agent's team membership, in an array of a nested model).
#[tokio::test]
async fn captured_bodies_of_an_older_halo_decode_and_go_back_byte_for_byte() {
    let fake = FakeHalo::start().await;
    // In the spec's field order, as Halo writes them, so that the round trip can be compared byte for byte.
    let first = r#"{"ticket_id":5,"id":1,"note":"Called back","externalinvoicenumber":0}"#;
    let page =
        format!(r#"{{"record_count":2,"actions":[{first},{{"ticket_id":5,"id":2,"externalinvoicenumber":"INV-2"}}]}}"#);
    let page: Value = serde_json::from_str(&page).unwrap();
    fake.inject(Fault::error(200, ErrorBody::Json(page)).times(1).on(Target::get("/api/Actions")));
    let client = client(&fake);

    let actions = client.actions().list().ticket_id(5).send().await.expect("the page decodes").actions;
    assert_eq!(actions.len(), 2);
    assert_eq!((actions[0].id, actions[0].externalinvoicenumber.as_deref()), (Some(1), None));
    assert_eq!(actions[0].note.as_deref(), Some("Called back"), "the rest of the record decodes");
    assert_eq!(actions[0].raw(ActionField::Externalinvoicenumber), Some(&json!(0)));
    assert_eq!(actions[1].externalinvoicenumber.as_deref(), Some("INV-2"));
    assert_eq!(actions[1].raw(ActionField::Externalinvoicenumber), None);
    assert_eq!(serde_json::to_string(&actions[0]).unwrap(), first, "byte for byte");

    // Sent back unchanged in an update; a value the caller sets wins. (The fake keeps no such action: it answers
    // the update with no record, so these go through `update_many`, which takes an answer without records.)
    fake.inject(Fault::error(200, ErrorBody::Json(json!([]))).on(Target::post("/api/Actions")));
    let action: Action = actions[0].clone();
    client.actions().update_many([(1, action)]).send().await.unwrap();
    assert_eq!(last_post(&fake).raw_body, format!("[{first}]"));
    let mut changed = actions[0].clone();
    changed.externalinvoicenumber = Some("INV-1".into());
    client.actions().update_many([(1, changed)]).send().await.unwrap();
    assert!(last_post(&fake).raw_body.contains(r#""externalinvoicenumber":"INV-1""#));

    let id = fake.add_agent(json!({
        "name": "Old Halo",
        "teams": [{"team_id": 1, "team_name": "Support", "role_id": "string"}],
    }));
    let agent = client.agents().get(i32::try_from(id).unwrap()).send().await.expect("the record decodes");
    let team = &agent.teams.as_deref().expect("the array decodes")[0];
    assert_eq!((team.team_id, team.team_name.as_deref(), team.role_id), (Some(1), Some("Support"), None));
    assert_eq!(team.raw(AgentTeamField::RoleId), Some(&json!("string")));
    client.agents().update(i32::try_from(id).unwrap(), agent).send().await.unwrap();
    let sent = last_post(&fake).body_items().remove(0);
    assert_eq!(sent["teams"][0]["role_id"], "string", "sent back as it came: {sent}");
    assert_eq!(fake.agent(id).unwrap()["teams"][0]["role_id"], "string");
}

/// At any depth: a nested model that is not an object, an array with an element of another type, an enum given
/// another type; each leaves its field `None` and is sent back as it came.
#[tokio::test]
async fn drift_in_arrays_nested_models_and_enums_is_kept_where_it_happened() {
    let fake = FakeHalo::start().await;
    let agent_id = fake.add_agent(json!({
        "name": "Mixed",
        "teams": [{"team_id": 1}, "not a team", {"team_id": 2}],
        "departments": {"unexpected": "object"},
    }));
    let user_id = fake.add_user(json!({ "name": "Tabled", "table": "three" }));
    let client = client(&fake);

    let agent = client.agents().get(i32::try_from(agent_id).unwrap()).send().await.unwrap();
    assert_eq!((agent.name.as_deref(), &agent.teams), (Some("Mixed"), &None));
    assert_eq!(agent.raw(AgentField::Teams), Some(&json!([{"team_id": 1}, "not a team", {"team_id": 2}])));
    assert_eq!(agent.raw(AgentField::Departments), Some(&json!({"unexpected": "object"})));
    let json = serde_json::to_value(&agent).unwrap();
    assert_eq!(json["teams"], json!([{"team_id": 1}, "not a team", {"team_id": 2}]));
    assert_eq!(json["departments"], json!({"unexpected": "object"}));

    let user = client.users().get(i32::try_from(user_id).unwrap()).send().await.unwrap();
    assert_eq!((user.name.as_deref(), &user.table), (Some("Tabled"), &None));
    assert_eq!(user.raw(UserField::Table), Some(&json!("three")));
    assert_eq!(serde_json::to_value(&user).unwrap()["table"], "three");

    // Clearing the field drops the kept value and sends an explicit null.
    let mut cleared = agent.clone();
    cleared.clear(AgentField::Teams);
    assert_eq!(cleared.raw(AgentField::Teams), None);
    assert_eq!(serde_json::to_value(&cleared).unwrap()["teams"], Value::Null);
}

#[tokio::test]
async fn strict_decoding_fails_naming_the_model_and_field() {
    let fake = FakeHalo::start().await;
    let id = fake.add_agent(json!({ "name": "Old Halo", "teams": [{"team_id": 1, "role_id": "string"}] }));
    let strict = Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .strict_decoding(true)
        .build()
        .unwrap();
    let error = strict.agents().get(i32::try_from(id).unwrap()).send().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.message().contains("`AgentTeam.role_id`"), "{error}");
    assert!(error.message().contains("at `teams[0]`"), "the path too: {error}");
    assert!(error.message().contains(r#"got string "string""#), "{error}");
    // The same answer decodes without strict mode.
    client(&fake).agents().get(i32::try_from(id).unwrap()).send().await.unwrap();
}
