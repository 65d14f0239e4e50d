//! Type drift between Halo versions (issue 18, item 5), end to end against the fake Halo: a value of another type
//! than the spec says leaves its field `None`, is kept and sent back byte for byte, at any depth (a nested model,
//! an array element, an enum); the record and the page still decode; one warning per field and answer; strict
//! decoding fails naming the field.

use std::sync::{Arc, Mutex, PoisonError};

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

/// The fields of one event.
type Event = Vec<(&'static str, String)>;

/// A tracing subscriber that keeps the warnings the client logs.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<Event>>>);

struct Fields<'a>(&'a mut Vec<(&'static str, String)>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push((field.name(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name(), format!("{value:?}")));
    }
}

impl tracing::Subscriber for Warnings {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target().starts_with("halopsa") && *metadata.level() == tracing::Level::WARN
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(fields);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

impl Warnings {
    fn field(event: &[(&'static str, String)], name: &str) -> Option<String> {
        event.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone())
    }
}

/// One warning per model field and answer, with the count, not one per record; a second answer warns again.
#[tokio::test]
async fn one_warning_per_field_and_answer() {
    let fake = FakeHalo::start().await;
    for n in 0..3 {
        fake.add_agent(json!({ "name": format!("Old {n}"), "teams": [{"team_id": 1, "role_id": "string"}] }));
    }
    let client = client(&fake);
    let warnings = Warnings::default();
    let _guard = tracing::subscriber::set_default(warnings.clone());
    // The other tests of this binary decode on threads without a subscriber; if one of them reached the warning's
    // callsite first, tracing cached it as uninteresting for every thread: rebuild that cache for this subscriber.
    tracing::callsite::rebuild_interest_cache();

    let agents = client.agents().list().send().await.unwrap().agents;
    assert_eq!(agents.iter().filter(|agent| agent.teams.is_some()).count(), 3);
    let events = warnings.0.lock().unwrap().clone();
    assert_eq!(events.len(), 1, "one warning, not one per record: {events:?}");
    assert_eq!(Warnings::field(&events[0], "model").as_deref(), Some("AgentTeam"));
    assert_eq!(Warnings::field(&events[0], "field").as_deref(), Some("role_id"));
    assert_eq!(Warnings::field(&events[0], "count").as_deref(), Some("3"));
    let message = Warnings::field(&events[0], "message").unwrap();
    assert!(message.contains("`AgentTeam.role_id`"), "{message}");

    client.agents().list().send().await.unwrap();
    assert_eq!(warnings.0.lock().unwrap().len(), 2, "each answer says it once");
}
