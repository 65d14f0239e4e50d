//! Deactivates an offboarded agent found by email: the integration guide's second scenario ("deactivate on offboard").
//!
//! ```text
//! cargo run -p halopsa --example deactivate_agent -- agent007@example.com
//! ```
//!
//! Reads `HALO_URL` (`https://acme.halopsa.com`), `HALO_CLIENT_ID`, `HALO_CLIENT_SECRET` and, for a Halo-hosted
//! instance, `HALO_TENANT` from the environment. Without a Halo tenant, run it against the fake server:
//! `cargo run -p halopsa-fake --bin fake-halo` prints the values to use.
//!
//! Steps: search agents for the email (`GET /Agent?search=...`, disabled ones included) and keep the one whose
//! email is exactly it, ignoring case (search also matches `xagent007@example.com`); then send only its id and
//! `isdisabled: true` (`POST /Agent`), so every other field stays as it is. Deactivating keeps the agent's ticket
//! history, which deleting would break. Halo's flag is `isdisabled`, not the guide's `isactive`.

use std::process::ExitCode;

use halopsa::ClientBuilder;
use halopsa::models::Agent;

const USAGE: &str = "usage: deactivate_agent <email>";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [email] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(email).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("deactivate_agent: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(email: &str) -> Result<(), String> {
    let client = ClientBuilder::from_env().and_then(|builder| builder.build()).map_err(|e| e.to_string())?;

    let found = client
        .agents()
        .list()
        .search(email)
        .includedisabled(true)
        .all()
        .await
        .map_err(|e| format!("cannot search agents: {e}"))?;
    let same_email =
        |agent: &&Agent| agent.email.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(email.trim()));
    let matches: Vec<&Agent> = found.iter().filter(same_email).collect();
    let agent = match matches.as_slice() {
        [] => return Err(format!("no agent has the email {email}")),
        [agent] => *agent,
        several => {
            let ids: Vec<String> =
                several.iter().map(|a| a.id.map_or_else(|| "?".to_owned(), |id| id.to_string())).collect();
            return Err(format!(
                "{} agents have the email {email} (ids {}); deactivate the right one by id",
                ids.len(),
                ids.join(", ")
            ));
        }
    };
    let id = agent.id.ok_or_else(|| format!("the agent with the email {email} came back without an id"))?;
    let name = agent.name.as_deref().unwrap_or("(no name)");
    if agent.isdisabled == Some(true) {
        println!("agent {id} ({name}) is already disabled; nothing sent");
        return Ok(());
    }

    // `update` writes the id itself; every field left at `None` is not sent, so Halo keeps it.
    let mut change = Agent::default();
    change.isdisabled = Some(true);
    let saved =
        client.agents().update(id, change).send().await.map_err(|e| format!("cannot deactivate agent {id}: {e}"))?;
    // `update` returns the one record Halo saved (an answer without it is an error of `send()`).
    if saved.isdisabled != Some(true) {
        return Err(format!("halo saved agent {id} but it is not disabled"));
    }
    println!("deactivated agent {id} ({name} <{email}>)");
    Ok(())
}
