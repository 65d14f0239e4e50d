//! The fake Halo's ticketing side, exercised with plain reqwest: routes, the page cap, shapes, errors, the report
//! engine and attachment bytes, so the scenario tests stand on a fake that behaves as documented.

use base64::Engine as _;
use halopsa_tests::fake_halo::{CLOSED_STATUS, FakeHalo, MAX_PAGE_SIZE, Ticketing};
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

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.expect("GET")
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST")
    }
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

#[tokio::test]
async fn lists_are_wrapped_paged_and_capped_and_routes_ignore_case() {
    let fake = FakeHalo::start().await;
    for n in 0..150 {
        fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": format!("T{n}"), "client_id": 1 }));
    }
    let api = Api::new(&fake).await;
    let (status, page) = json_of(api.get("/tickets?pageinate=true&page_size=500&page_no=1").await).await;
    assert_eq!(status, 200);
    assert_eq!(page["record_count"], json!(150));
    assert_eq!(page["tickets"].as_array().map(Vec::len), Some(usize::try_from(MAX_PAGE_SIZE).expect("cap")));
    assert_eq!(page["page_size"], json!(500), "the asked size is echoed, not the cap");
    let (_, second) = json_of(api.get("/Tickets?pageinate=true&page_size=100&page_no=2").await).await;
    assert_eq!(second["tickets"].as_array().map(Vec::len), Some(50));
    // Statuses and ticket types are seeded and answered as bare arrays.
    let (_, statuses) = json_of(api.get("/Status").await).await;
    let names: Vec<&str> = statuses.as_array().expect("bare array").iter().filter_map(|s| s["name"].as_str()).collect();
    assert!(names.contains(&"Closed"), "{names:?}");
    let (_, open) = json_of(api.get("/Status?excludeclosed=true").await).await;
    assert!(open.as_array().expect("array").iter().all(|s| s["id"] != json!(CLOSED_STATUS)));
    let (_, types) = json_of(api.get("/TicketType").await).await;
    assert!(types.as_array().is_some_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn errors_look_like_halos() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    assert_eq!(api.get("/Tickets/abc").await.status().as_u16(), 400);
    assert_eq!(api.get("/Tickets/77").await.status().as_u16(), 404);
    assert_eq!(api.get("/Attachment/77").await.status().as_u16(), 404);
    assert_eq!(api.get("/Tickets?open_only=maybe").await.status().as_u16(), 400);
    let put = api.http.put(format!("{}/Tickets", api.base)).bearer_auth(&api.token).send().await.expect("PUT");
    assert_eq!(put.status().as_u16(), 405);
    let (status, body) = json_of(api.post("/Tickets", json!({ "summary": "not an array" })).await).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = json_of(api.post("/Tickets", json!([{ "id": 5, "summary": "no such ticket" }])).await).await;
    assert_eq!(status, 404);
    assert!(fake.ticketing_records(Ticketing::Tickets).is_empty(), "nothing was stored");
    let unauthenticated = api.http.get(format!("{}/Tickets", api.base)).send().await.expect("GET");
    assert_eq!(unauthenticated.status().as_u16(), 401);
}

#[tokio::test]
async fn actions_change_their_ticket_and_updates_keep_unsent_fields() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    let (_, ticket) = json_of(api.post("/Tickets", json!([{ "summary": "S", "details": "D" }])).await).await;
    let id = ticket["id"].as_i64().expect("id");
    assert_eq!(ticket["status_id"], json!(1), "a new ticket is New");
    let action =
        json!([{ "ticket_id": id, "timetaken": 0.25 }, { "ticket_id": id, "new_status": 2, "timetaken": 1.0 }]);
    let (status, saved) = json_of(api.post("/Actions", action).await).await;
    assert_eq!(status, 200);
    assert_eq!(saved.as_array().map(Vec::len), Some(2), "several saved records come back as an array");
    let stored = fake.ticketing_record(Ticketing::Tickets, id).expect("ticket");
    assert_eq!((stored["status_id"].clone(), stored["timetaken"].clone()), (json!(2), json!(1.25)));
    let (_, updated) = json_of(api.post("/Tickets", json!([{ "id": id, "summary": "S2" }])).await).await;
    assert_eq!((updated["summary"].clone(), updated["details"].clone()), (json!("S2"), json!("D")));
}

#[tokio::test]
async fn the_report_engine_selects_filters_and_reports_errors() {
    let fake = FakeHalo::start().await;
    fake.insert_ticketing(Ticketing::Assets, json!({ "inventory_number": "A1", "client_id": 1, "inactive": false }));
    fake.insert_ticketing(Ticketing::Assets, json!({ "inventory_number": "A2", "client_id": 2, "inactive": true }));
    let api = Api::new(&fake).await;
    let run = |sql: &str| json!([{ "sql": sql, "_loadreportonly": true }]);
    let (_, all) = json_of(api.post("/Report", run("select * from device")).await).await;
    assert_eq!(all["report"]["rows"].as_array().map(Vec::len), Some(2));
    let (_, some) =
        json_of(api.post("/Report", run("SELECT inventory_number FROM device WHERE inactive = 1")).await).await;
    assert_eq!(some["report"]["rows"], json!([{ "inventory_number": "A2" }]));
    let (_, bad) = json_of(api.post("/Report", run("DELETE FROM device")).await).await;
    assert_eq!(bad["report"]["loaded"], json!(false));
    assert!(bad["report"]["load_error"].as_str().is_some_and(|e| e.starts_with("Incorrect syntax")), "{bad}");
    assert_eq!(fake.ticketing_records(Ticketing::Assets).len(), 2, "a report never changes data");
    assert!(fake.ticketing_records(Ticketing::Reports).is_empty());
}

#[tokio::test]
async fn attachments_are_stored_as_bytes_and_served_as_files() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    let upload = json!([{ "filename": "hello.txt", "data_base64": "aGVsbG8gd29ybGQ=", "ticket_id": 3 }]);
    let (status, saved) = json_of(api.post("/Attachment", upload).await).await;
    assert_eq!(status, 200);
    assert!(saved.get("data_base64").is_none(), "the data is not echoed back: {saved}");
    assert_eq!(saved["filesize"], json!(11));
    let id = saved["id"].as_i64().expect("id");
    let response = api.get(&format!("/Attachment/{id}")).await;
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(header("content-type").as_deref(), Some("text/plain"), "as Halo serves a text file");
    assert_eq!(header("content-disposition").as_deref(), Some("attachment; filename=\"hello.txt\""));
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), b"hello world");

    // The content type uploaded wins over the file name's; an unknown extension is octet-stream.
    for (name, sent, served) in [
        ("data.bin", Some("application/json"), "application/json"),
        ("report.pdf", None, "application/pdf"),
        ("blob.xyz", None, "application/octet-stream"),
    ] {
        let mut item = json!({ "filename": name, "data_base64": "e30=", "ticket_id": 3 });
        if let Some(content_type) = sent {
            item["content_type"] = json!(content_type);
        }
        let (_, saved) = json_of(api.post("/Attachment", json!([item])).await).await;
        let response = api.get(&format!("/Attachment/{}", saved["id"])).await;
        assert_eq!(response.headers()["content-type"], served, "{name}");
        assert_eq!(saved["content_type"], json!(served), "recorded on the attachment: {saved}");
    }
}

#[tokio::test]
async fn large_attachments_are_answered_with_a_link_that_takes_no_token() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    let upload = json!([{ "filename": "big.txt", "data_base64": "aGVsbG8gd29ybGQ=", "ticket_id": 3 }]);
    let (_, saved) = json_of(api.post("/Attachment", upload).await).await;
    let id = saved["id"].as_i64().expect("id");
    fake.set_attachment_links(Some(10));
    let (status, answer) = json_of(api.get(&format!("/Attachment/{id}")).await).await;
    assert_eq!(status, 200);
    let link = answer["link"].as_str().expect("a link instead of the bytes").to_owned();
    assert!(link.starts_with("http://localhost:") && link.contains(&format!("/files/{id}?sig=")), "{link}");

    let plain = reqwest::get(&link).await.expect("GET the link");
    assert_eq!(plain.headers()["content-type"], "text/plain");
    assert_eq!(plain.bytes().await.expect("bytes").as_ref(), b"hello world");
    let with_token = api.http.get(&link).bearer_auth(&api.token).send().await.expect("GET");
    assert_eq!(with_token.status(), 400, "a pre-signed link refuses a second auth mechanism");
    let forged = link.replace("sig=", "sig=0");
    assert_eq!(reqwest::get(&forged).await.expect("GET").status(), 403);
    fake.set_attachment_links(None);
    let response = api.get(&format!("/Attachment/{id}")).await;
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), b"hello world", "small enough again");
}

#[tokio::test]
async fn a_dropped_connection_declares_the_whole_length_and_sends_half() {
    use halopsa_tests::fake_halo::{Fault, Target};
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    let data = base64::engine::general_purpose::STANDARD.encode([42u8; 4000]);
    let (_, saved) =
        json_of(api.post("/Attachment", json!([{ "filename": "x.bin", "data_base64": data }])).await).await;
    fake.inject(Fault::ConnectionDropped.on(Target::get("/api/Attachment")).times(1));
    let response = api.get(&format!("/Attachment/{}", saved["id"])).await;
    assert_eq!(response.headers()["content-length"], "4000");
    let error = response.bytes().await.expect_err("the body ends early");
    assert!(error.is_body() || error.is_decode(), "{error}");
    let response = api.get(&format!("/Attachment/{}", saved["id"])).await;
    assert_eq!(response.bytes().await.expect("whole").len(), 4000, "once");
}

#[tokio::test]
async fn ticket_lists_take_the_list_faults_and_the_report_engine_halos_column_names() {
    use halopsa_tests::fake_halo::{Fault, Target};
    let fake = FakeHalo::start().await;
    for n in 0..150 {
        fake.insert_ticketing(Ticketing::Tickets, json!({ "summary": format!("T{n}"), "client_id": 7 }));
    }
    let api = Api::new(&fake).await;
    fake.inject(Fault::IgnorePageNo.on(Target::get("/api/Tickets")));
    let (_, page) = json_of(api.get("/Tickets?pageinate=true&page_size=100&page_no=2").await).await;
    assert_eq!(page["tickets"][0]["id"], json!(1), "page 1 again: {}", page["page_no"]);
    fake.clear_faults();
    fake.inject(Fault::LyingRecordCount(5).on(Target::get("/api/Tickets")));
    let (_, page) = json_of(api.get("/Tickets?pageinate=true&page_size=100&page_no=2").await).await;
    assert_eq!((page["record_count"].clone(), page["tickets"][0]["id"].clone()), (json!(155), json!(101)));

    let run = json!([{ "sql": "SELECT faultid AS id, symptom AS summary, areaint FROM faults WHERE faultid = 3", "_loadreportonly": true }]);
    let (_, report) = json_of(api.post("/Report", run).await).await;
    assert_eq!(report["report"]["rows"], json!([{ "id": 3, "summary": "T2", "areaint": 7 }]));
}

#[tokio::test]
async fn created_tickets_are_dated_as_halo_dates_them_and_have_custom_fields() {
    let fake = FakeHalo::start().await;
    let api = Api::new(&fake).await;
    let (status, ticket) = json_of(api.post("/Tickets", json!([{ "summary": "New" }])).await).await;
    assert_eq!(status, 200);
    for key in ["dateoccurred", "datecreated", "lastactiondate", "last_update"] {
        let text = ticket[key].as_str().unwrap_or_else(|| panic!("{key}: {ticket}"));
        let (_, fraction) = text.split_once('.').expect("fractional seconds");
        assert_eq!(fraction.len(), 7, "{key}: {text}");
        assert!(!text.ends_with('Z') && !text.contains('+'), "UTC without an offset: {text}");
    }
    let names: Vec<&str> =
        ticket["customfields"].as_array().expect("custom fields").iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(names, ["CFReference", "CFOnSite", "CFDueBy"]);
    // A date sent is kept; a custom field sent is set, the others stay blank.
    let sent = json!([{ "summary": "Old", "dateoccurred": "2026-01-05T09:00:00", "customfields": [{ "id": 101, "value": "PO-1" }] }]);
    let (_, ticket) = json_of(api.post("/Tickets", sent).await).await;
    assert_eq!(ticket["dateoccurred"], json!("2026-01-05T09:00:00"));
    assert_eq!(ticket["customfields"][0]["value"], json!("PO-1"));
    assert_eq!(ticket["customfields"][1]["value"], Value::Null);
}
