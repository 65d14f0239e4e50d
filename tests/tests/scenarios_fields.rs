//! Models that read like Rust, end to end against the fake Halo: dates that round-trip byte for byte, clearing a
//! field with an explicit `null`, and custom fields read by name or id and updated without blanking the others.

use halopsa::models::{Agent, AgentField, CustomField};
use halopsa::time::{Duration, UtcOffset};
use halopsa::{Client, CustomFieldKey, DateTime, ErrorKind};
use halopsa_tests::fake_halo::{FakeHalo, RecordedRequest};
use serde_json::{Value, json};

fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .build()
        .expect("the client configuration is valid")
}

fn last_post(fake: &FakeHalo) -> RecordedRequest {
    fake.requests().into_iter().rfind(|r| r.method == "POST").expect("a POST was sent")
}

/// The custom field of a stored record, by name.
fn stored_custom_field(record: &Value, name: &str) -> Value {
    let fields = record["customfields"].as_array().expect("customfields");
    fields.iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no custom field {name} in {record}")).clone()
}

fn agent_with_custom_fields(fake: &FakeHalo) -> (i32, i64) {
    let id = fake.add_agent(json!({
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "sms": "+44 7700 900123",
        "jobtitle": "Engineer",
        "customfields": [
            {"id": 141, "name": "CFAgentRegion", "label": "Region", "value": "EMEA", "display": "EMEA", "type": 0},
            {"id": 142, "name": "CFEmployeeNumber", "label": "Employee number", "value": "E7", "display": "E7", "type": 0},
            {"id": 143, "name": "CFFirstAider", "label": "First aider", "value": 1, "type": 4},
        ],
    }));
    (i32::try_from(id).unwrap(), id)
}

/// The issue's scenario: blank an agent's phone number (`sms`, the agent's mobile number) and set one custom field
/// without changing another, through the client.
#[tokio::test]
async fn blank_a_phone_number_and_set_one_custom_field_without_changing_another() {
    let fake = FakeHalo::start().await;
    let (id, stored_id) = agent_with_custom_fields(&fake);
    let client = client(&fake);

    let agent = client.agents().get(id).send().await.unwrap();
    assert_eq!(agent.custom_field("CFEmployeeNumber").and_then(|f| f.as_str()), Some("E7"));
    assert_eq!(agent.custom_field(141).and_then(|f| f.as_str()), Some("EMEA"));
    assert_eq!(agent.custom_field("CFFirstAider").and_then(|f| f.as_bool()), Some(true));
    assert_eq!(agent.custom_field("CFMissing"), None);

    let mut change = agent.custom_fields_update([("CFEmployeeNumber", "E8")]).unwrap();
    change.clear(AgentField::Sms);
    client.agents().update(id, change).send().await.unwrap();

    // On the wire: the explicit null, the whole custom-field array, and nothing else.
    let body = last_post(&fake).body_items().remove(0);
    assert_eq!(body.get("sms"), Some(&Value::Null), "sent as an explicit null: {body}");
    let sent: Vec<&str> =
        body["customfields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(sent, ["CFAgentRegion", "CFEmployeeNumber", "CFFirstAider"]);
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["customfields", "id", "sms"], "only what was changed is sent");

    // In Halo: the phone number blanked, one field changed, the others as they were, the rest untouched.
    let stored = fake.agent(stored_id).unwrap();
    assert_eq!(stored.get("sms"), Some(&Value::Null), "blanked");
    assert_eq!(stored_custom_field(&stored, "CFEmployeeNumber")["value"], "E8");
    assert_eq!(stored_custom_field(&stored, "CFAgentRegion")["value"], "EMEA");
    assert_eq!(stored_custom_field(&stored, "CFFirstAider")["value"], 1);
    assert_eq!(stored["jobtitle"], "Engineer");

    let again = client.agents().get(id).send().await.unwrap();
    assert_eq!(again.sms, None);
    assert_eq!(again.custom_field("CFEmployeeNumber").and_then(|f| f.as_str()), Some("E8"));
    assert_eq!(again.custom_field("CFAgentRegion").and_then(|f| f.as_str()), Some("EMEA"));
}

/// Why the helper exists: the fake, like Halo, replaces the whole array, so an update that sends one custom field
/// blanks the others; and an update that leaves a field unset (`None`) does not touch it.
#[tokio::test]
async fn sending_one_custom_field_alone_blanks_the_others_and_unset_fields_are_untouched() {
    let fake = FakeHalo::start().await;
    let (id, stored_id) = agent_with_custom_fields(&fake);
    let client = client(&fake);

    let mut field = CustomField::default();
    field.id = Some(142);
    field.value = Some(json!("E9"));
    let mut alone = Agent::default();
    alone.customfields = Some(vec![field]);
    client.agents().update(id, alone).send().await.unwrap();
    let stored = fake.agent(stored_id).unwrap();
    assert_eq!(stored_custom_field(&stored, "CFEmployeeNumber")["value"], "E9");
    assert_eq!(stored_custom_field(&stored, "CFAgentRegion")["value"], Value::Null, "blanked, as Halo does");
    assert_eq!(stored_custom_field(&stored, "CFFirstAider")["value"], Value::Null);
    assert_eq!(stored["sms"], "+44 7700 900123", "a field left unset is not sent and not touched");
    assert!(!last_post(&fake).raw_body.contains("sms"));
}

#[tokio::test]
async fn custom_fields_update_adds_a_field_the_record_lacks_and_refuses_a_record_without_custom_fields() {
    let fake = FakeHalo::start().await;
    let (id, _) = agent_with_custom_fields(&fake);
    let client = client(&fake);
    let agent = client.agents().get(id).send().await.unwrap();

    let change = agent.custom_fields_update([(CustomFieldKey::Id(150), json!(true))]).unwrap();
    let fields = change.customfields.as_deref().unwrap();
    assert_eq!(fields.len(), 4);
    assert_eq!((fields[3].id, fields[3].value.clone()), (Some(150), Some(json!(true))));
    assert_eq!(change.name, None, "only the custom fields are set");

    let error = Agent::default().custom_fields_update([("CFEmployeeNumber", "E8")]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(error.to_string().contains("customfields"), "{error}");
}

/// Every form of date Halo sends, on the agent's date fields and in a field the spec does not describe.
fn agent_with_every_date_form() -> Value {
    json!({
        "name": "Grace Hopper",
        "isdisabled": false,
        "lastonline": "1900-01-01T00:00:00",
        "lastlogindate": "2026-11-20T08:03:57.117",
        "datecreated": "2021-03-15T09:12:44.5",
        "exchange_token_expiry": "2026-11-20T16:42:11.2833171",
        "sentinel_token_expiry": "2026-11-20T16:42:11Z",
        "delegation_start": "2026-11-20T17:42:11+01:00",
        "delegation_end": "2026-12-24",
        "last_modified": "2026-10-02T11:27:05.36",
        "splashtop_token_expiry": "2026-11-20T16:42:11.000Z",
        "gotoresolve_token_expiry": "not a date",
        "incomplete_ts_sendtime": "2026-11-20T11:12:11-05:30",
        "some_new_date": "2026-11-20T16:42:11.28",
    })
}

/// A GET → change → POST of the whole record sends every date the caller did not touch byte for byte as Halo sent
/// it; a date the caller sets is written the way Halo writes dates.
#[tokio::test]
async fn untouched_dates_round_trip_byte_for_byte() {
    let fake = FakeHalo::start().await;
    let halo = agent_with_every_date_form();
    let stored_id = fake.add_agent(halo.clone());
    let id = i32::try_from(stored_id).unwrap();
    let client = client(&fake);

    let mut agent = client.agents().get(id).send().await.unwrap();
    let utc = |text: &str| {
        let at = DateTime::from(text.parse::<DateTime>().unwrap().to_offset_date_time().unwrap());
        at.to_offset_date_time().unwrap()
    };
    assert!(agent.lastonline.as_ref().unwrap().is_never());
    assert_eq!(agent.lastonline.as_ref().unwrap().to_offset_date_time(), None);
    let login = agent.lastlogindate.as_ref().unwrap().to_offset_date_time().unwrap();
    assert_eq!((login.hour(), login.millisecond(), login.offset()), (8, 117, UtcOffset::UTC), "naive is UTC");
    let start = agent.delegation_start.as_ref().unwrap().to_offset_date_time().unwrap();
    assert_eq!(start, utc("2026-11-20T16:42:11Z"), "the same instant as 16:42:11 UTC");
    assert_eq!(start.offset().whole_hours(), 1, "the offset is kept");
    assert_eq!(agent.delegation_end.as_ref().unwrap().to_offset_date_time().unwrap().hour(), 0, "a date alone");
    let garbage = agent.gotoresolve_token_expiry.as_ref().unwrap();
    assert!(!garbage.is_valid(), "kept, and the record still decodes");
    assert_eq!(garbage.as_str(), "not a date");

    agent.isdisabled = Some(true);
    let later = agent.last_modified.as_ref().unwrap().to_offset_date_time().unwrap() + Duration::milliseconds(640);
    agent.last_modified = Some(later.into());
    client.agents().update(id, agent).send().await.unwrap();

    let post = last_post(&fake);
    for (field, value) in halo.as_object().unwrap() {
        let Some(text) = value.as_str().filter(|_| field != "last_modified") else { continue };
        let wire = format!("\"{field}\":{}", serde_json::to_string(text).unwrap());
        assert!(post.raw_body.contains(&wire), "{wire} not sent byte for byte in {}", post.raw_body);
    }
    assert!(post.raw_body.contains(r#""last_modified":"2026-10-02T11:27:06""#), "{}", post.raw_body);
    let stored = fake.agent(stored_id).unwrap();
    assert_eq!(stored["delegation_start"], "2026-11-20T17:42:11+01:00");
    assert_eq!(stored["lastonline"], "1900-01-01T00:00:00");
    assert_eq!(stored["isdisabled"], true);
}

/// A date-time query parameter takes a `DateTime` and sends its text.
#[tokio::test]
async fn a_date_time_query_parameter_sends_its_text() {
    let fake = FakeHalo::start().await;
    let client = client(&fake);
    let since: DateTime = "2026-11-20T16:42:11.283".parse().unwrap();
    let _ = client.online_status().get().last_online_date(since).send().await;
    let sent = fake.requests().into_iter().rfind(|r| r.path.ends_with("/OnlineStatus")).expect("sent");
    assert_eq!(sent.query_param("LastOnlineDate"), Some("2026-11-20T16:42:11.283"));
}
