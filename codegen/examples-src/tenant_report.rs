//! Reports the agents and open tickets of several Halo instances, from one process: one client per tenant in a
//! `halopsa::Pool`, each built on first use, with its auth server asked of the instance (`GET /api/authinfo`).
//!
//! ```text
//! cargo run -p halopsa --example tenant_report -- acme=https://acme.halopsa.com globex=https://halo.globex.example
//! ```
//!
//! Each tenant's credentials come from `HALO_CLIENT_ID_<NAME>` and `HALO_CLIENT_SECRET_<NAME>` (the name in upper
//! case), else from `HALO_CLIENT_ID` and `HALO_CLIENT_SECRET`. Without a Halo tenant, run it against the fake
//! server: `cargo run -p halopsa-fake --bin fake-halo -- --seed-agents 5` prints the values to use (two names for
//! the same URL are two tenants to the pool).
//!
//! The tenants are listed at the same time; one that fails is reported and the others still are.

use std::collections::BTreeMap;
use std::process::ExitCode;

use halopsa::{Pool, Tenant};

const USAGE: &str = "usage: tenant_report <name>=<url> [<name>=<url> ...]";

#[tokio::main]
async fn main() -> ExitCode {
    let mut urls = BTreeMap::new();
    for arg in std::env::args().skip(1) {
        let Some((name, url)) = arg.split_once('=').filter(|(name, url)| !name.is_empty() && !url.is_empty()) else {
            eprintln!("'{arg}' is not <name>=<url>\n{USAGE}");
            return ExitCode::from(2);
        };
        urls.insert(name.to_owned(), url.to_owned());
    }
    if urls.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let names: Vec<String> = urls.keys().cloned().collect();
    let pool: Pool<String> = Pool::new(move |name: &String| {
        let var =
            |what: &str| std::env::var(format!("{what}_{}", name.to_uppercase())).or_else(|_| std::env::var(what)).ok();
        Some(Tenant::new(urls.get(name)?.clone(), var("HALO_CLIENT_ID")?, var("HALO_CLIENT_SECRET")?))
    });
    let reports = names.iter().map(|name| {
        let pool = pool.clone();
        let name = name.clone();
        tokio::spawn(async move {
            let report = report(&pool, &name).await;
            (name, report)
        })
    });
    let mut failed = false;
    for task in reports.collect::<Vec<_>>() {
        match task.await {
            Ok((name, Ok(line))) => println!("{name}: {line}"),
            Ok((name, Err(message))) => {
                failed = true;
                eprintln!("tenant_report: {name}: {message}");
            }
            Err(error) => {
                failed = true;
                eprintln!("tenant_report: {error}");
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// One tenant's line: its agents and open tickets.
async fn report(pool: &Pool<String>, name: &String) -> Result<String, String> {
    let client = pool.client(name).await.map_err(|e| format!("cannot connect: {e}"))?;
    let agents = client.agents().list().all().await.map_err(|e| format!("cannot list the agents: {e}"))?;
    let open = client.tickets().list().open_only(true).all().await.map_err(|e| format!("cannot list tickets: {e}"))?;
    Ok(format!("{} agents, {} open tickets", agents.len(), open.len()))
}
