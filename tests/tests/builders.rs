//! Request builders (issue 19): they own the client, so every future they return can be spawned; single-record
//! creates and updates return the record or an error, never a panic on an answer without it; batches return what
//! Halo answered; refused items are errors before anything is sent.

use halopsa::models::{Agent, Attachment};
use halopsa::{Client, ErrorKind};
use halopsa_tests::fake_halo::{ErrorBody, FakeHalo, Fault, Target, Ticketing};
use serde_json::json;

fn client(fake: &FakeHalo) -> Client {
    Client::builder(fake.base_url()).client_credentials(fake.client_id(), fake.client_secret()).build().unwrap()
}

fn named(name: &str) -> Agent {
    let mut agent = Agent::default();
    agent.name = Some(name.to_owned());
    agent
}

/// `tokio::spawn` needs a `Send + 'static` future: this compiles only because builders own their client.
#[tokio::test]
async fn a_request_can_be_spawned() {
    let fake = FakeHalo::builder().default_seed().start().await;
    let client = client(&fake);

    let agent = tokio::spawn(client.agents().get(1).send()).await.unwrap().unwrap();
    assert_eq!(agent.id, Some(1));

    // A builder, and the accessor it came from, outlive the client handle they were made from; so do their futures.
    let agents = client.agents();
    let (get, list, update) = (agents.get(2), agents.list().includedisabled(true), agents.update(3, named("Moved")));
    drop((client, agents));
    let (got, listed, updated) =
        tokio::join!(tokio::spawn(get.send_with_response()), tokio::spawn(list.all()), tokio::spawn(update.send()));
    assert_eq!(got.unwrap().unwrap().value().id, Some(2));
    assert_eq!(listed.unwrap().unwrap().len(), 10);
    assert_eq!(updated.unwrap().unwrap().name.as_deref(), Some("Moved"));
    assert_eq!(fake.agent(3).unwrap()["name"], "Moved");
}

/// Every kind of answer a builder can have (a record, a page, one saved record, saved records, nothing, bytes), and
/// the listings, gives a future `tokio::spawn` takes: the `Send + 'static` promise holds for every builder, not only
/// for the one above.
#[tokio::test]
async fn every_kind_of_request_can_be_spawned() {
    let fake = FakeHalo::builder().default_seed().start().await;
    let ticket_id = fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": "Spawned" }));
    let client = client(&fake);

    let page = tokio::spawn(client.agents().list().send()).await.unwrap().unwrap();
    assert_eq!(page.agents.len(), 10);
    let teams = tokio::spawn(client.teams().list().all()).await.unwrap().unwrap();
    assert_eq!(teams.len(), 3);
    let mut pages = client.agents().list().pages();
    let first = tokio::spawn(async move { pages.next_page().await }).await.unwrap().unwrap().unwrap();
    assert_eq!(first.agents.len(), 10);
    let mut stream = client.agents().list().stream();
    let one = tokio::spawn(async move { stream.next().await }).await.unwrap().unwrap().unwrap();
    assert_eq!(one.id, Some(1));
    let saved = tokio::spawn(client.agents().update_many([(4, named("Four"))]).send()).await.unwrap().unwrap();
    assert_eq!(saved.len(), 1);
    tokio::spawn(client.agents().delete(5).send()).await.unwrap().unwrap();
    assert!(fake.agent(5).is_none());

    let mut upload = Attachment::default();
    upload.ticket_id = Some(i32::try_from(ticket_id).unwrap());
    upload.filename = Some("spawned.txt".into());
    upload.data_base64 = Some("aGk=".into());
    let attachment = tokio::spawn(client.attachments().create(upload).send()).await.unwrap().unwrap();
    let bytes = tokio::spawn(client.attachments().download(attachment.id.unwrap()).send()).await.unwrap().unwrap();
    assert_eq!(bytes, b"hi");
}

#[tokio::test]
async fn single_record_calls_return_the_record_halo_saved() {
    let fake = FakeHalo::builder().default_seed().start().await;
    let client = client(&fake);

    let created = client.agents().create(named("New Hire")).send().await.unwrap();
    let id = created.id.expect("the fake answers with the saved record");
    assert_eq!(created.name.as_deref(), Some("New Hire"));
    let updated = client.agents().update(id, named("Renamed Hire")).send().await.unwrap();
    assert_eq!((updated.id, updated.name.as_deref()), (Some(id), Some("Renamed Hire")));

    // Batches: one request each, the records Halo answered with.
    let created = client.agents().create_many([named("A"), named("B")]).send().await.unwrap();
    assert_eq!(created.len(), 2);
    let ids: Vec<i32> = created.iter().filter_map(|agent| agent.id).collect();
    let updated =
        client.agents().update_many(ids.iter().map(|id| (*id, named(&format!("Agent {id}"))))).send().await.unwrap();
    assert_eq!(updated.iter().map(|a| a.id).collect::<Vec<_>>(), ids.iter().map(|id| Some(*id)).collect::<Vec<_>>());
    let posts: Vec<String> =
        fake.requests().iter().filter(|r| r.method == "POST").map(|r| r.raw_body.clone()).collect();
    assert_eq!(posts.len(), 4, "one request per call: {posts:?}");
    assert!(posts[3].starts_with(&format!(r#"[{{"id":{},"name":"Agent {}"}}"#, ids[0], ids[0])), "{}", posts[3]);
}

/// Halo answering a save with no record (an empty body, `[]`) or with more than it was sent: a `Decode` error that
/// names the request, for `create` and `update`; never a panic, never a record picked at random.
#[tokio::test]
async fn an_answer_without_the_record_is_an_error_not_a_panic() {
    let fake = FakeHalo::builder().default_seed().start().await;
    let client = client(&fake);
    let answers = [ErrorBody::Text(String::new()), ErrorBody::Json(json!([])), ErrorBody::Json(json!([{}, {}]))];
    for answer in answers {
        let shown = format!("{answer:?}");
        fake.inject(Fault::error(200, answer).on(Target::post("/api/Agent")).times(2));
        let create = client.agents().create(named("Lost")).send().await.unwrap_err();
        let update = client.agents().update(4, named("Lost")).send_with_response().await.unwrap_err();
        for error in [create, update] {
            assert_eq!((error.kind(), error.status()), (ErrorKind::Decode, Some(200)), "{shown}: {error}");
            assert!(!error.is_retryable(), "{shown}: {error}");
            assert!(error.to_string().starts_with("POST /Agent: cannot decode the response: halo's answer"), "{error}");
        }
    }
    // A batch returns what Halo answered, an empty body included.
    fake.inject(Fault::error(200, ErrorBody::Text(String::new())).on(Target::post("/api/Agent")).times(1));
    assert!(client.agents().update_many([(4, named("Lost"))]).send().await.unwrap().is_empty());
}

#[tokio::test]
async fn refused_items_are_errors_before_anything_is_sent() {
    let fake = FakeHalo::builder().default_seed().start().await;
    let client = client(&fake);
    let mut with_id = named("Has Id");
    with_id.id = Some(3);

    let cases = [
        (client.agents().create(with_id.clone()).send().await.map(drop), "create: the item already has an id"),
        (client.agents().create_many([named("A"), with_id]).send().await.map(drop), "create_many: item 1 already"),
        (client.agents().create_many([]).send().await.map(drop), "create_many: no items to send"),
        (
            client.agents().update(0, named("A")).send().await.map(drop),
            "update: the item has an id that is not positive",
        ),
        (client.agents().update_many([(5, named("A")), (-1, named("B"))]).send().await.map(drop), "item 1 has an id"),
        (client.agents().update_many([]).send().await.map(drop), "update_many: no items to send"),
    ];
    for (outcome, message) in cases {
        let error = outcome.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
        assert!(error.message().contains(message), "{error}");
    }
    assert!(fake.requests().iter().all(|r| r.method != "POST"), "nothing was sent");
}
