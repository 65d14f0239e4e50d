//! The `halo` binary against the fake Halo, started in-process: listings (one page, every page, CSV), get, create,
//! update, `--dry-run`, profiles, `halo request`, completions, and every exit code with what it prints.

use std::path::PathBuf;
use std::process::{Command, Output};

use halopsa_fake::{CLOSED_STATUS, ErrorBody, FakeHalo, Fault, Target, Ticketing};
use serde_json::{Value, json};

/// A fake Halo and a scratch directory for config files and `--json` input.
struct Setup {
    fake: FakeHalo,
    dir: PathBuf,
}

/// What one run of the binary did.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Setup {
    async fn new(name: &str) -> Setup {
        // For the fake's own reqwest client (webhooks); the binary under test needs none.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let fake = FakeHalo::builder().default_seed().start().await;
        let dir = std::env::temp_dir().join(format!("halo-cli-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Setup { fake, dir }
    }

    /// Seeds tickets: `(summary, client_id, open)`.
    fn tickets(&self, tickets: &[(&str, i64, bool)]) -> Vec<i64> {
        tickets
            .iter()
            .map(|(summary, client, open)| {
                let status = if *open { 1 } else { CLOSED_STATUS };
                let ticket = json!({"summary": summary, "client_id": client, "status_id": status});
                self.fake.insert_ticketing(Ticketing::Tickets, ticket)
            })
            .collect()
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// The binary, configured through the environment as `ClientBuilder::from_env()` reads it.
    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_halo"));
        for name in ["HALO_URL", "HALO_CLIENT_ID", "HALO_CLIENT_SECRET", "HALO_TENANT", "HALO_SCOPES", "HALO_PROFILE"] {
            command.env_remove(name);
        }
        command
            .env("HALO_CONFIG", self.dir.join("no-config.toml"))
            .env("HALO_URL", self.fake.base_url())
            .env("HALO_CLIENT_ID", self.fake.client_id())
            .env("HALO_CLIENT_SECRET", self.fake.client_secret());
        command
    }

    fn run(&self, args: &[&str]) -> Ran {
        ran(self.command().args(args).output().unwrap())
    }

    /// The API requests the fake received (not the token requests), as `METHOD /api/path?query`.
    fn api_requests(&self) -> Vec<String> {
        self.fake.requests().iter().filter(|r| r.path.starts_with("/api/")).map(|r| r.line()).collect()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ran(output: Output) -> Ran {
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn ok(ran: &Ran) -> &str {
    assert_eq!(ran.code, 0, "stdout: {}\nstderr: {}", ran.stdout, ran.stderr);
    &ran.stdout
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_a_clients_open_tickets_as_csv() {
    let setup = Setup::new("csv").await;
    let ids = setup.tickets(&[
        ("Printer on fire", 1, true),
        ("Closed one", 1, false),
        ("Other client", 2, true),
        ("Quote \"this\", please", 1, true),
    ]);
    let ran = setup.run(&[
        "tickets",
        "list",
        "--client-id",
        "1",
        "--open-only",
        "--output",
        "csv",
        "--columns",
        "id,summary,status_id",
    ]);
    let expected =
        format!("id,summary,status_id\n{},Printer on fire,1\n{},\"Quote \"\"this\"\", please\",1\n", ids[0], ids[3]);
    assert_eq!(ok(&ran), expected);
    // One request, with the filters the flags name.
    let requests = setup.api_requests();
    assert_eq!(requests, ["GET /api/Tickets?client_id=1&open_only=true"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn all_pages_through_the_pager_each_record_once() {
    let setup = Setup::new("all").await;
    let many: Vec<(String, i64, bool)> = (0..230).map(|n| (format!("Ticket {n}"), 3, true)).collect();
    let many: Vec<(&str, i64, bool)> = many.iter().map(|(s, c, o)| (s.as_str(), *c, *o)).collect();
    setup.tickets(&many);
    let ran = setup.run(&["tickets", "list", "--client-id", "3", "--all", "--output", "jsonl"]);
    let lines: Vec<Value> = ok(&ran).lines().map(json_of).collect();
    assert_eq!(lines.len(), 230);
    let mut ids: Vec<i64> = lines.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 230);
    // Three pages of at most 100 (the pager's paging parameters), no progress on a stderr that is not a terminal.
    let pages = setup.api_requests();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|line| line.contains("pageinate=true") && line.contains("page_size=100")), "{pages:?}");
    assert_eq!(ran.stderr, "");
    // Without --all: one request as built, the records of that page.
    let one = setup.run(&["tickets", "list", "--client-id", "3", "--page-size", "50", "--pageinate", "-o", "json"]);
    assert_eq!(json_of(ok(&one)).as_array().unwrap().len(), 50);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_create_and_update() {
    let setup = Setup::new("write").await;
    let ids = setup.tickets(&[("Printer on fire", 1, true)]);
    let got = json_of(ok(&setup.run(&["tickets", "get", &ids[0].to_string(), "-o", "json"])));
    assert_eq!(got["summary"], "Printer on fire");

    // Create from flags: the record Halo saved is printed.
    let created = json_of(ok(&setup.run(&["tickets", "create", "--summary", "Toner low", "--client-id", "2"])));
    let new_id = created["id"].as_i64().unwrap();
    let saved = setup.fake.ticketing_record(Ticketing::Tickets, new_id).unwrap();
    assert_eq!((saved["summary"].clone(), saved["client_id"].clone()), (json!("Toner low"), json!(2)));

    // Update an agent: only the field given is sent (Halo keeps the others), the id from the argument.
    let before = setup.fake.agent(7).unwrap();
    let updated = json_of(ok(&setup.run(&["agents", "update", "7", "--isdisabled", "true"])));
    assert_eq!(updated["isdisabled"], true);
    let post = setup.fake.requests().into_iter().rev().find(|r| r.method == "POST").unwrap();
    assert_eq!(post.body, Some(json!([{"id": 7, "isdisabled": true}])));
    let after = setup.fake.agent(7).unwrap();
    assert_eq!((after["name"].clone(), after["email"].clone()), (before["name"].clone(), before["email"].clone()));

    // --json FILE with the flags on top of it.
    let file = setup.file("ticket.json", r#"{"summary": "From the file", "details": "Kept"}"#);
    let updated = json_of(ok(&setup.run(&[
        "tickets",
        "update",
        &ids[0].to_string(),
        "--json",
        &file,
        "--summary",
        "From the flag",
    ])));
    assert_eq!((updated["summary"].clone(), updated["details"].clone()), (json!("From the flag"), json!("Kept")));

    // A batch from --json: update-many needs each record's id.
    let batch = setup.file(
        "batch.json",
        &format!(r#"[{{"id": {}, "summary": "Batch"}}, {{"id": {new_id}, "summary": "Batch"}}]"#, ids[0]),
    );
    let saved = json_of(ok(&setup.run(&["tickets", "update-many", "--json", &batch])));
    assert_eq!(saved.as_array().unwrap().len(), 2);
    let no_id = setup.file("no-id.json", r#"[{"summary": "Batch"}]"#);
    let refused = setup.run(&["tickets", "update-many", "--json", &no_id]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("record 0 has no integer `id`"), "{}", refused.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_request_it_would_send_and_sends_nothing() {
    let setup = Setup::new("dry").await;
    let ran = setup.run(&["agents", "update", "7", "--isdisabled", "true", "--dry-run"]);
    let api = format!("{}/api", setup.fake.base_url());
    assert_eq!(ok(&ran), format!("POST {api}/Agent\n[\n  {{\n    \"id\": 7,\n    \"isdisabled\": true\n  }}\n]\n"));
    assert!(setup.fake.requests().is_empty(), "nothing is sent, not even a token request");

    // What a dry run shows is what the real run sends: path and query, as the crate encodes and orders them.
    let args = ["tickets", "list", "--client-id", "1", "--search", "printer & fax", "--status", "1,2", "--open-only"];
    let shown = ok(&setup.run(&[&args[..], &["--dry-run"]].concat())).to_owned();
    ok(&setup.run(&args));
    let sent = setup.fake.requests().into_iter().find(|r| r.path.starts_with("/api/")).unwrap();
    assert_eq!(shown, format!("GET {}{}?{}\n", setup.fake.base_url(), sent.path, sent.query));

    // A create's body as the crate sends it (a one-item array), and no secret: not the client secret, not a
    // password field.
    let shown = ok(&setup.run(&["agents", "create", "--name", "New", "--password", "hunter2", "--dry-run"])).to_owned();
    assert!(shown.starts_with(&format!("POST {api}/Agent\n[\n")), "{shown}");
    assert!(shown.contains("\"password\": \"***\""), "{shown}");
    assert!(!shown.contains("hunter2") && !shown.contains(&setup.fake.client_secret()), "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_call_prints_halos_message_and_trace_id() {
    let setup = Setup::new("error").await;
    let ran = setup.run(&["tickets", "get", "999"]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert_eq!(ran.stdout, "");
    let request = setup.fake.requests().into_iter().find(|r| r.path == "/api/Tickets/999").unwrap();
    assert!(ran.stderr.starts_with("halo: GET /Tickets/999: halo answered 404 Not Found"), "{}", ran.stderr);
    assert!(ran.stderr.contains("\n  status: 404\n"), "{}", ran.stderr);
    assert!(ran.stderr.contains("\n  message: Tickets 999 not found\n"), "{}", ran.stderr);
    assert!(ran.stderr.contains(&format!("\n  trace id: {}\n", request.trace_id())), "{}", ran.stderr);
}

/// Every exit code of `halo --help` that a test can provoke without waiting out the retry budget (8 needs a read
/// that fails three times: 500 is retried twice, with the backoff's first two waits).
#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_by_kind_of_failure() {
    let setup = Setup::new("codes").await;
    let ids = setup.tickets(&[("One", 1, true), ("Two", 1, true)]);
    let code = |args: &[&str]| setup.run(args);

    // 2: usage (clap), a --json that is not JSON, a request the client refuses before sending (id 0).
    assert_eq!(code(&["tickets", "list", "--no-such-flag"]).code, 2);
    let bad = setup.file("bad.json", "{not json");
    assert_eq!(code(&["tickets", "create", "--json", &bad]).code, 2);
    let refused = code(&["agents", "update", "0", "--isdisabled", "true"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);

    // 3: wrong credentials (the token endpoint's 401), without the secret in what is printed.
    let wrong = ran(setup
        .command()
        .env("HALO_CLIENT_SECRET", "wrong-secret-xyz")
        .args(["agents", "get", "1"])
        .output()
        .unwrap());
    assert_eq!(wrong.code, 3, "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("wrong-secret-xyz"), "{}", wrong.stderr);
    // 3: no configuration at all.
    let mut unconfigured = setup.command();
    unconfigured.env_remove("HALO_URL").env_remove("HALO_CONFIG").env_remove("XDG_CONFIG_HOME").env("HOME", &setup.dir);
    let none = ran(unconfigured.args(["agents", "get", "1"]).output().unwrap());
    assert_eq!(none.code, 3, "{}", none.stderr);
    assert!(none.stderr.contains("halo: configuration: no Halo to talk to"), "{}", none.stderr);

    // 4: not found.
    assert_eq!(code(&["agents", "get", "4242"]).code, 4);

    // 5: Halo refuses the fields of a create (a 400 with ASP.NET's model state): each field printed.
    let fault = setup.fake.inject(
        Fault::error(400, ErrorBody::ModelState(vec![("[0].summary".into(), vec!["The summary is required.".into()])]))
            .on(Target::post("/api/Tickets"))
            .times(1),
    );
    let refused = code(&["tickets", "create", "--client-id", "1"]);
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert!(refused.stderr.contains("The summary is required."), "{}", refused.stderr);
    setup.fake.remove_fault(fault);

    // 6: a create answered 502 after Halo saved it: not repeated, outcome unknown.
    let fault = setup.fake.inject(Fault::FailAfterSaving(502).on(Target::post("/api/Tickets")).times(1));
    let unknown = code(&["tickets", "create", "--summary", "Maybe", "--client-id", "1"]);
    assert_eq!(unknown.code, 6, "{}", unknown.stderr);
    assert!(unknown.stderr.contains("hint: look the record up before sending it again"), "{}", unknown.stderr);
    setup.fake.remove_fault(fault);

    // 7: a listing whose record count does not add up: what was read is printed, then the error.
    let fault = setup.fake.inject(Fault::LyingRecordCount(50).on(Target::get("/api/Tickets")));
    let incomplete = code(&["tickets", "list", "--client-id", "1", "--all", "-o", "jsonl"]);
    assert_eq!(incomplete.code, 7, "{}", incomplete.stderr);
    // The two seeded and the one the 502 left saved.
    assert_eq!(incomplete.stdout.lines().count(), 3, "{}", incomplete.stdout);
    assert!(
        incomplete.stderr.contains("incomplete listing") && incomplete.stderr.contains("records read: 3"),
        "{}",
        incomplete.stderr
    );
    setup.fake.remove_fault(fault);

    // 9: an answer of the wrong shape (a string where a ticket belongs; a field of another type would be type drift,
    // kept and decoded).
    let fault =
        setup.fake.inject(Fault::error(200, ErrorBody::Json(json!("not a ticket"))).on(Target::get("/api/Tickets/")));
    let garbled = code(&["tickets", "get", &ids[0].to_string()]);
    assert_eq!(garbled.code, 9, "{}", garbled.stderr);
    setup.fake.remove_fault(fault);

    // 8: Halo failing (500) on every try of a read.
    setup.fake.inject(
        Fault::error(500, ErrorBody::Message("An error has occurred.".into())).on(Target::get("/api/Tickets/")),
    );
    let failing = code(&["tickets", "get", &ids[0].to_string()]);
    assert_eq!(failing.code, 8, "{}", failing.stderr);

    // The codes are documented where `halo --help` lists them.
    let help = ok(&code(&["--help"])).to_owned();
    for line in [
        "  2  usage",
        "  3  configuration",
        "  4  not found",
        "  5  Halo refused",
        "  6  outcome unknown",
        "  7  incomplete listing",
        "  8  Halo unavailable",
        "  9  Halo's answer",
    ] {
        assert!(help.contains(line), "{line}: {help}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_of_the_config_file_and_no_secret_shown() {
    let setup = Setup::new("profiles").await;
    let config = setup.file(
        "config.toml",
        &format!(
            "default_profile = \"acme\"\n\n[profiles.acme]\nurl = \"{}\"\nclient_id = \"{}\"\nclient_secret_env = \"ACME_SECRET\"\n\n\
             [profiles.globex]\nurl = \"http://127.0.0.1:9\"\nclient_id = \"globex\"\nclient_secret = \"globex-secret-123\"\n",
            setup.fake.base_url(),
            setup.fake.client_id()
        ),
    );
    let with_config = || {
        let mut command = setup.command();
        command.env_remove("HALO_URL").env("HALO_CONFIG", &config).env("ACME_SECRET", setup.fake.client_secret());
        command
    };
    // The default profile, then one named by --profile and by HALO_PROFILE.
    let agent = json_of(ok(&ran(with_config().args(["agents", "get", "1", "-o", "json"]).output().unwrap())));
    assert_eq!(agent["id"], 1);
    let shown = ran(with_config().args(["config", "show", "--profile", "globex"]).output().unwrap());
    assert!(ok(&shown).contains("source: profile \"globex\""), "{}", shown.stdout);
    assert!(shown.stdout.contains("url: http://127.0.0.1:9\n"), "{}", shown.stdout);
    assert!(shown.stdout.contains("client secret: set (from client_secret in"), "{}", shown.stdout);
    assert!(!shown.stdout.contains("globex-secret-123"), "{}", shown.stdout);
    let env_profile = ran(with_config().env("HALO_PROFILE", "acme").args(["config", "show"]).output().unwrap());
    assert!(ok(&env_profile).contains("client secret: set (from ACME_SECRET; not shown)"), "{}", env_profile.stdout);
    assert!(!env_profile.stdout.contains(&setup.fake.client_secret()));
    let dry = ran(with_config()
        .args(["--profile", "globex", "tickets", "create", "--summary", "x", "--dry-run"])
        .output()
        .unwrap());
    assert!(ok(&dry).starts_with("POST http://127.0.0.1:9/api/Tickets\n"), "{}", dry.stdout);
    assert!(!dry.stdout.contains("globex-secret-123"));
    let profiles = ran(with_config().args(["config", "profiles"]).output().unwrap());
    assert_eq!(ok(&profiles), "acme (default)\nglobex\n");
    // An unknown profile, and a config file with an error on the secret's line: named, the secret not quoted.
    let unknown = ran(with_config().args(["--profile", "nope", "agents", "get", "1"]).output().unwrap());
    assert_eq!(unknown.code, 3);
    assert!(unknown.stderr.contains("no profile \"nope\""), "{}", unknown.stderr);
    let broken = setup
        .file("broken.toml", "[profiles.x]\nurl = \"u\"\nclient_id = \"i\"\nclient_secret = \"s3cr3t-value\" junk\n");
    let failed =
        ran(with_config().env("HALO_CONFIG", &broken).args(["--profile", "x", "agents", "get", "1"]).output().unwrap());
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    assert!(failed.stderr.contains("line 4"), "{}", failed.stderr);
    assert!(!failed.stderr.contains("s3cr3t-value"), "{}", failed.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn request_reaches_any_path_and_completions_are_generated() {
    let setup = Setup::new("request").await;
    let answer = json_of(ok(&setup.run(&["request", "GET", "/Agent", "--query", "search=Agent 003", "-o", "json"])));
    assert_eq!(answer["agents"].as_array().map(Vec::len), Some(1), "{answer}");
    assert_eq!(setup.api_requests(), ["GET /api/Agent?search=Agent%20003"]);
    let dry = ok(&setup.run(&["request", "get", "/Priority", "--query", "showall=true", "--dry-run"])).to_owned();
    assert_eq!(dry, format!("GET {}/api/Priority?showall=true\n", setup.fake.base_url()));

    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = setup.run(&["completions", shell]);
        assert!(ok(&script).contains("open-only"), "{shell}");
    }
}
