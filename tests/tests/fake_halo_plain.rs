//! The fake Halo's plain resources (issue 17), exercised with plain reqwest: every route, the list wrapper and its
//! key, paging and its cap where Halo pages, uuid ids, create-or-update all or nothing, deletes only where Halo has
//! them, a quote's sales order, a timesheet's events and the scopes, so the scenario tests stand on a fake that
//! behaves as documented.

use halopsa_tests::fake_halo::{FakeHalo, MAX_PAGE_SIZE, Plain};
use serde_json::{Value, json};

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn new(fake: &FakeHalo) -> Api {
        Api { http: reqwest::Client::new(), base: fake.api_url(), token: fake.issue_token() }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.expect("a response");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON") })
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

/// Every plain resource: created through its POST, listed in its wrapper under its key with `record_count`, read by
/// id, and deleted where Halo has a delete (405 otherwise).
#[tokio::test]
async fn every_plain_resource_is_created_listed_read_and_deleted() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    for resource in Plain::ALL {
        let path = format!("/{}", resource.path());
        let (status, saved) = api.post(&path, json!([{ "name": "first" }])).await;
        assert_eq!(status, 200, "{path}: {saved}");
        let id = &saved["id"];
        assert_eq!(id.is_string(), resource.uuid_ids(), "{path}: id {id}");
        let id = id.as_str().map_or_else(|| id.to_string(), str::to_owned);
        let (status, list) = api.get(&path.to_lowercase()).await;
        assert_eq!(status, 200, "{path}: routes ignore case");
        assert_eq!(list["record_count"], json!(1), "{path}: {list}");
        assert_eq!(list[resource.list_key()][0]["name"], json!("first"), "{path}: {list}");
        let (status, one) = api.get(&format!("{path}/{id}")).await;
        assert_eq!((status, &one["name"]), (200, &json!("first")), "{path}/{id}");
        let deletable = !matches!(resource, Plain::Timesheets | Plain::WebhookEvents);
        let (status, _) = api.delete(&format!("{path}/{id}")).await;
        assert_eq!(status, if deletable { 200 } else { 405 }, "DELETE {path}/{id}");
        let (status, _) = api.get(&format!("{path}/{id}")).await;
        assert_eq!(status, if deletable { 404 } else { 200 }, "{path}/{id} after the delete");
    }
}

/// Where Halo pages, pages are capped at 100 whatever `page_size` asks (and the asked size is echoed); elsewhere the
/// paging parameters are ignored and `count` limits the answer.
#[tokio::test]
async fn paged_resources_cap_their_pages_and_the_others_ignore_paging() {
    let fake = FakeHalo::start().await;
    for n in 0..130 {
        fake.insert_plain(Plain::Quotes, json!({ "title": format!("Q{n}"), "client_id": 1 + n % 2 }));
        fake.insert_plain(Plain::Categories, json!({ "value": format!("C{n}"), "type_id": 1 }));
    }
    let api = Api::new(&fake).await;
    let (_, first) = api.get("/Quotation?pageinate=true&page_size=500&page_no=1").await;
    assert_eq!(first["record_count"], json!(130));
    let cap = usize::try_from(MAX_PAGE_SIZE).expect("the cap");
    assert_eq!(first["quotes"].as_array().map(Vec::len), Some(cap));
    assert_eq!(first["page_size"], json!(500));
    let (_, second) = api.get("/Quotation?pageinate=true&page_size=100&page_no=2").await;
    assert_eq!(second["quotes"].as_array().map(Vec::len), Some(30));
    let (_, one_client) = api.get("/Quotation?client_id=2&count=10").await;
    assert_eq!(one_client["record_count"], json!(65));
    assert_eq!(one_client["quotes"].as_array().map(Vec::len), Some(10));
    let (_, unpaged) = api.get("/Category?pageinate=true&page_size=10&page_no=2").await;
    assert_eq!(unpaged["categories"].as_array().map(Vec::len), Some(130), "categories are not paged");
    assert!(unpaged.get("page_no").is_none());
    let (_, searched) = api.get("/Category?search=c12").await;
    assert_eq!(searched["record_count"], json!(11), "C12 and C120-C129: {searched}");
    let (status, error) = api.get("/Quotation?pageinate=maybe").await;
    assert_eq!(status, 400, "{error}");
}

/// Create-or-update is all or nothing: an unknown id fails the whole batch with 404; an update changes only the
/// fields sent; `_`-prefixed command fields are not stored; an item that is not an object is refused.
#[tokio::test]
async fn updates_change_only_what_is_sent_and_unknown_ids_fail_the_batch() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    let (_, saved) = api.post("/KBArticle", json!([{ "name": "VPN", "description": "Reinstall." }])).await;
    let id = saved["id"].as_i64().expect("an integer id");
    let (status, _) = api.post("/KBArticle", json!([{ "name": "new" }, { "id": 999, "name": "ghost" }])).await;
    assert_eq!(status, 404);
    assert_eq!(fake.plain_records(Plain::KbArticles).len(), 1, "nothing of the failed batch was saved");
    let (status, updated) = api.post("/KBArticle", json!([{ "id": id, "name": "VPN client", "_isnew": true }])).await;
    assert_eq!(status, 200);
    assert_eq!((&updated["name"], &updated["description"]), (&json!("VPN client"), &json!("Reinstall.")));
    assert!(updated.get("_isnew").is_none(), "commands are not stored: {updated}");
    let (status, _) = api.post("/KBArticle", json!([42])).await;
    assert_eq!(status, 400);
    let (status, _) = api.post("/KBArticle", json!({ "name": "not an array" })).await;
    assert_eq!(status, 400);
    let (status, _) = api.get("/KBArticle/abc").await;
    assert_eq!(status, 400, "an id that is not a number is a binding error");
}

/// Priorities, webhooks and webhook events are keyed by uuids.
#[tokio::test]
async fn uuid_keyed_resources() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    let (_, saved) =
        api.post("/Webhook", json!([{ "name": "Tickets to Slack", "url": "https://example.com/hook" }])).await;
    let id = saved["id"].as_str().expect("a uuid").to_owned();
    assert_eq!(id.len(), 36, "{id}");
    let (_, updated) = api.post("/Webhook", json!([{ "id": id, "active": true }])).await;
    assert_eq!((&updated["id"], &updated["active"], &updated["name"]), (&json!(id), &json!(true), &saved["name"]));
    let (status, _) = api.get(&format!("/Webhook/{}", id.to_uppercase())).await;
    assert_eq!(status, 200, "uuids are compared without case");
    let (status, _) = api.post("/Webhook", json!([{ "id": "00000000-0000-4000-8000-0000000000ff" }])).await;
    assert_eq!(status, 404);
    fake.insert_plain(Plain::WebhookEvents, json!({ "webhook_id": id, "responsestatus": 200 }));
    fake.insert_plain(Plain::WebhookEvents, json!({ "webhook_id": "another", "responsestatus": 500 }));
    let (_, events) = api.get(&format!("/WebhookEvent?webhook_id={id}")).await;
    assert_eq!(events["record_count"], json!(1), "{events}");
}

/// A quote sent with `_create_so: true` becomes a sales order once: the order names the quote
/// (`quotation_id`) and carries its client, title and lines; the quote gets its `salesorder_id`.
#[tokio::test]
async fn a_quote_with_create_so_becomes_a_sales_order_once() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    let lines = json!([{ "item_id": 7, "quantity": 2 }]);
    let (_, quote) = api.post("/Quotation", json!([{ "title": "Laptops", "client_id": 3, "lines": lines }])).await;
    assert!(quote.get("salesorder_id").is_none());
    let id = quote["id"].clone();
    let (_, converted) = api.post("/Quotation", json!([{ "id": id, "_create_so": true }])).await;
    let order_id = converted["salesorder_id"].as_i64().expect("the quote names its order");
    let (status, order) = api.get(&format!("/SalesOrder/{order_id}")).await;
    assert_eq!(status, 200);
    assert_eq!((&order["quotation_id"], &order["client_id"], &order["title"]), (&id, &json!(3), &json!("Laptops")));
    assert_eq!(order["lines"], lines);
    let (_, again) = api.post("/Quotation", json!([{ "id": id, "_create_so": true }])).await;
    assert_eq!(again["salesorder_id"], json!(order_id), "converted once");
    assert_eq!(fake.plain_records(Plain::SalesOrders).len(), 1);
}

/// A timesheet lists its agent's events of its day.
#[tokio::test]
async fn a_timesheet_lists_its_agents_events_of_its_day() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    let (_, sheet) = api.post("/Timesheet", json!([{ "agent_id": 4, "date": "2026-03-02T00:00:00" }])).await;
    for (agent, start) in [(4, "2026-03-02T09:00:00"), (4, "2026-03-03T09:00:00"), (5, "2026-03-02T10:00:00")] {
        api.post("/TimesheetEvent", json!([{ "agent_id": agent, "start_date": start, "timetaken": 1.0 }])).await;
    }
    let (_, read) = api.get(&format!("/Timesheet/{}", sheet["id"])).await;
    let starts: Vec<&str> =
        read["events"].as_array().expect("events").iter().filter_map(|e| e["start_date"].as_str()).collect();
    assert_eq!(starts, ["2026-03-02T09:00:00"]);
    let (_, events) = api.get("/TimesheetEvent?agent_id=4").await;
    assert_eq!(events["record_count"], json!(2));
}

/// Each resource answers 403 to a token without its scope, as the spec's security requirements say.
#[tokio::test]
async fn scopes_decide_what_a_token_reaches() {
    let fake = FakeHalo::start().await;
    let mut api = Api::new(&fake).await;
    api.token = fake.issue_token_with_scopes(["read:quotes"]);
    assert_eq!(api.get("/Quotation").await.0, 200);
    assert_eq!(api.post("/Quotation", json!([{ "title": "x" }])).await.0, 403, "edit:quotes is needed");
    assert_eq!(api.get("/ClientContract").await.0, 403, "read:contracts is needed");
    api.token = fake.issue_token_with_scopes(["all:standard"]);
    assert_eq!(api.get("/Priority").await.0, 200);
    assert_eq!(api.get("/Lookup").await.0, 403, "configuration needs admin (or all)");
    api.token = fake.issue_token_with_scopes(["admin"]);
    assert_eq!(api.get("/Lookup").await.0, 200);
}
