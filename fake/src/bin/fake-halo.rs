//! Runs the fake Halo server standalone, so the client's examples work without a Halo tenant.
//!
//! `cargo run -p halopsa-fake --bin fake-halo -- --port 8080 --seed-agents 25`, then the commands it prints
//! (`cargo run -p halopsa --example provision_agent -- ...`).

use std::process::ExitCode;
use std::time::Duration;

use halopsa_fake::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeHalo, Plain, RateLimit, Ticketing, WebhookSettings};
use serde_json::json;

const USAGE: &str = "\
usage: fake-halo [options]
  --port N              port on 127.0.0.1 (default 8080; 0 = any free port)
  --seed-agents N       agents to seed, over three seeded teams (default 25)
  --seed-users N        users to seed (default 0)
  --seed-clients N      clients to seed (default 0)
  --seed-assets N       assets to seed, spread over clients 1, 2 and 3 (default 0)
  --seed-tickets N      tickets to seed (`Seeded ticket N`, status 1, priority 1), spread over clients 1, 2 and 3
                        and, within each client, ticket types 1, 2 and 3 (default 0)
  --close-every K       close every K-th seeded ticket (status Closed; default 0: none)
  --seed-catalog        seed priorities (per SLA), outcomes and categories (FakeHalo::seed_catalog)
  --client-id ID        accepted client id (default fake-halo-client)
  --client-secret S     accepted client secret (default fake-halo-secret)
  --scopes S1,S2        scopes the API application allows (default all); tokens get the ones asked for among them
  --agent ID            the agent the API application runs as (GET /api/Agent/me; default the lowest id)
  --token-lifetime SECS lifetime of issued tokens (default 3600)
  --bare-agent-list     answer GET /api/Agent with a bare array
  --rate-limit N        at most N API requests per rolling 5 minutes (429 beyond)
  --churn N             once a webhook is configured (POST /api/Webhook), change tickets until N webhook events
                        were fired, wait until they are delivered, then print the delivery figures and the ids of
                        the open tickets
  --churn-seed S        seed of the churn's choices (default 1)
  --webhook-duplicates K  send every Kth delivered webhook delivery a second time (default 0: never)
  --webhook-reorder W   send webhook deliveries in random order within windows of W (default 1: in order)
  --webhook-attempts A  tries per webhook delivery after failures (default 5)
  --webhook-retry-ms MS wait before a failed webhook delivery is tried again (default 50)
  -h, --help            this text";

/// The asset types `--seed-assets` cycles through.
const ASSET_TYPES: [&str; 3] = ["Laptop", "Desktop", "Printer"];

struct Options {
    port: u16,
    seed_agents: usize,
    seed_users: usize,
    seed_clients: usize,
    seed_assets: usize,
    seed_tickets: usize,
    seed_catalog: bool,
    close_every: usize,
    client_id: String,
    client_secret: String,
    scopes: Option<String>,
    agent: Option<i64>,
    token_lifetime: u64,
    bare_agent_list: bool,
    rate_limit: Option<u32>,
    churn: Option<usize>,
    churn_seed: u64,
    webhooks: WebhookSettings,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        port: 8080,
        seed_agents: 25,
        seed_users: 0,
        seed_clients: 0,
        seed_assets: 0,
        seed_tickets: 0,
        seed_catalog: false,
        close_every: 0,
        client_id: DEFAULT_CLIENT_ID.into(),
        client_secret: DEFAULT_CLIENT_SECRET.into(),
        scopes: None,
        agent: None,
        token_lifetime: 3600,
        bare_agent_list: false,
        rate_limit: None,
        churn: None,
        churn_seed: 1,
        webhooks: WebhookSettings::default(),
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || iter.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        fn number<T: std::str::FromStr>(flag: &str, text: String) -> Result<T, String> {
            text.parse().map_err(|_| format!("{flag}: '{text}' is not a valid number"))
        }
        match arg.as_str() {
            "--port" => options.port = number(arg, value()?)?,
            "--seed-agents" => options.seed_agents = number(arg, value()?)?,
            "--seed-users" => options.seed_users = number(arg, value()?)?,
            "--seed-clients" => options.seed_clients = number(arg, value()?)?,
            "--seed-assets" => options.seed_assets = number(arg, value()?)?,
            "--seed-tickets" => options.seed_tickets = number(arg, value()?)?,
            "--seed-catalog" => options.seed_catalog = true,
            "--close-every" => options.close_every = number(arg, value()?)?,
            "--client-id" => options.client_id = value()?,
            "--client-secret" => options.client_secret = value()?,
            "--scopes" => options.scopes = Some(value()?),
            "--agent" => options.agent = Some(number(arg, value()?)?),
            "--token-lifetime" => options.token_lifetime = number(arg, value()?)?,
            "--bare-agent-list" => options.bare_agent_list = true,
            "--rate-limit" => options.rate_limit = Some(number(arg, value()?)?),
            "--churn" => options.churn = Some(number(arg, value()?)?),
            "--churn-seed" => options.churn_seed = number(arg, value()?)?,
            "--webhook-duplicates" => {
                options.webhooks = options.webhooks.clone().duplicate_every(number(arg, value()?)?);
            }
            "--webhook-reorder" => options.webhooks = options.webhooks.clone().reorder_window(number(arg, value()?)?),
            "--webhook-attempts" => options.webhooks = options.webhooks.clone().max_attempts(number(arg, value()?)?),
            "--webhook-retry-ms" => {
                let delay = Duration::from_millis(number(arg, value()?)?);
                options.webhooks = options.webhooks.clone().retry_delay(delay);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("fake-halo: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = FakeHalo::builder()
        .port(options.port)
        .seed_agents(options.seed_agents)
        .seed_users(options.seed_users)
        .seed_clients(options.seed_clients)
        .client_credentials(options.client_id, options.client_secret)
        .token_lifetime(Duration::from_secs(options.token_lifetime))
        .bare_agent_list(options.bare_agent_list);
    if let Some(scopes) = &options.scopes {
        builder = builder.scopes(scopes.split([' ', ',']).filter(|scope| !scope.is_empty()));
    }
    if let Some(agent) = options.agent {
        builder = builder.agent(agent);
    }
    if let Some(max) = options.rate_limit {
        builder = builder.rate_limit(RateLimit::new(max, Duration::from_secs(300)));
    }
    let fake = match builder.try_start().await {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!("fake-halo: cannot listen on 127.0.0.1:{}: {error}", options.port);
            return ExitCode::FAILURE;
        }
    };
    for n in 0..options.seed_assets {
        let asset = json!({
            "inventory_number": format!("ASSET-{:04}", n + 1),
            "client_id": n % 3 + 1,
            "assettype_name": ASSET_TYPES[n % 3],
            "key_field": format!("SN{:06}", 100_000 + n),
        });
        fake.insert_ticketing(Ticketing::Assets, asset);
    }
    for n in 0..options.seed_tickets {
        let closed = options.close_every > 0 && (n + 1) % options.close_every == 0;
        let ticket = json!({
            "summary": format!("Seeded ticket {}", n + 1),
            "details": "Seeded by fake-halo --seed-tickets.",
            "client_id": n % 3 + 1,
            "tickettype_id": (n / 3) % 3 + 1,
            "status_id": if closed { halopsa_fake::CLOSED_STATUS } else { 1 },
            "priority_id": 1,
        });
        fake.insert_ticketing(Ticketing::Tickets, ticket);
    }
    if options.seed_catalog {
        fake.seed_catalog();
    }
    fake.set_webhook_settings(options.webhooks.clone());
    println!("fake Halo listening");
    println!("  base URL       {}", fake.base_url());
    println!("  API            {}", fake.api_url());
    println!("  token endpoint {}", fake.token_url());
    println!("  client id      {}", fake.client_id());
    println!("  client secret  {}", fake.client_secret());
    println!("  scopes allowed {}", options.scopes.as_deref().unwrap_or("all"));
    println!(
        "  seeded         {} agents, {} teams, {} users, {} clients, {} assets, {} tickets",
        fake.agents().len(),
        fake.teams().len(),
        fake.users().len(),
        fake.clients().len(),
        options.seed_assets,
        options.seed_tickets
    );
    println!();
    // The agent the deactivation example is pointed at: the last seeded one, else the one provisioning creates.
    let leaver = fake
        .agents()
        .last()
        .and_then(|agent| agent["email"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "jane.doe@example.com".to_owned());
    println!("Run the client's examples (generated/examples/) against it:");
    println!(
        "  export HALO_URL={} HALO_CLIENT_ID={} HALO_CLIENT_SECRET={}",
        fake.base_url(),
        fake.client_id(),
        fake.client_secret()
    );
    println!(
        "  cargo run -p halopsa --example provision_agent -- \"Jane Doe\" jane.doe@example.com \"Support Tier 2\""
    );
    println!("  cargo run -p halopsa --example deactivate_agent -- {leaver}");
    println!(
        "  cargo run -p halopsa --example sync_teams -- --dry-run   # built-in sample; or a CSV file of email,name,team"
    );
    println!(
        "  cargo run -p halopsa --example open_ticket -- 1 \"Printer on fire\" --note \"Called it in\" --hours 0.5 --close"
    );
    println!("  cargo run -p halopsa --example export_assets -- 1   # seed some with --seed-assets N");
    println!(
        "  cargo run -p halopsa --example triage -- 1 High   # with --seed-tickets N --seed-catalog; --dry-run first"
    );
    println!();
    println!("Ctrl-C stops it; state lives in memory only.");
    if let Some(events) = options.churn {
        churn(&fake, events, options.churn_seed).await;
    }
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}

/// `--churn`: waits for a webhook, fires the events, waits for their delivery, and prints what happened and the open
/// tickets (the state a webhook receiver must end with), for CI to compare.
async fn churn(fake: &FakeHalo, events: usize, seed: u64) {
    while fake.plain_records(Plain::Webhooks).is_empty() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fired = fake.churn(events, seed);
    fake.webhooks_settled().await;
    let stats = fake.webhook_stats();
    println!(
        "webhooks settled: {fired} events fired, {} deliveries, {} attempts ({} failed), {} delivered, {} given up, {} \
         duplicates",
        stats.deliveries, stats.attempts, stats.failed_attempts, stats.delivered, stats.given_up, stats.duplicates
    );
    let open: Vec<String> = fake.open_ticket_ids().iter().map(i64::to_string).collect();
    println!("open tickets: {}", open.join(","));
}
