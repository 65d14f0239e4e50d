//! Provisions a new agent into a team found by name: the integration guide's first scenario ("provision on join").
//!
//! ```text
//! cargo run -p halopsa --example provision_agent -- "Jane Doe" jane.doe@example.com "Support Tier 2"
//! ```
//!
//! Reads `HALO_URL` (`https://acme.halopsa.com`), `HALO_CLIENT_ID`, `HALO_CLIENT_SECRET` and, for a Halo-hosted
//! instance, `HALO_TENANT` from the environment. Without a Halo tenant, run it against the fake server:
//! `cargo run -p halopsa-fake --bin fake-halo` prints the values to use.
//!
//! Steps: look the team up by name (`GET /Team`); make sure no agent has the email yet, disabled ones included,
//! so that running it twice does not make a duplicate; create the agent (`POST /Agent` without an id) with the
//! team as its primary team (`team`) and its one membership (`teams`); check what Halo saved. Halo's model has
//! `team` and `teams`, not the guide's `team_id` (see `spec/README.md`, deviation 6).

use std::process::ExitCode;

use halopsa::ClientBuilder;
use halopsa::models::{Agent, AgentTeam};

const USAGE: &str = "usage: provision_agent <name> <email> <team name>";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, email, team] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(name, email, team).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("provision_agent: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(name: &str, email: &str, team_name: &str) -> Result<(), String> {
    let client = ClientBuilder::from_env().and_then(|builder| builder.build()).map_err(|e| e.to_string())?;

    // 1. The team, by name (Halo compares names case-insensitively in its UI; so do we).
    let teams = client.teams().list().send().await.map_err(|e| format!("cannot list teams: {e}"))?.teams;
    let team = teams
        .iter()
        .find(|t| t.name.as_deref().is_some_and(|n| n.trim().eq_ignore_ascii_case(team_name.trim())))
        .ok_or_else(|| {
            let known: Vec<&str> = teams.iter().filter_map(|t| t.name.as_deref()).collect();
            format!("no team named '{team_name}'; the teams are: {}", known.join(", "))
        })?;
    let team_id = team.id.ok_or_else(|| format!("team '{team_name}' came back without an id"))?;
    let team_name = team.name.clone().unwrap_or_else(|| team_name.to_owned());

    // 2. Nobody with this email yet (search matches substrings, so compare the email exactly).
    let matches = client
        .agents()
        .list()
        .search(email)
        .includedisabled(true)
        .all()
        .await
        .map_err(|e| format!("cannot search agents: {e}"))?;
    if let Some(existing) =
        matches.iter().find(|a| a.email.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(email.trim())))
    {
        let state = if existing.isdisabled == Some(true) { "disabled" } else { "active" };
        println!(
            "agent {} already has the email {email} ({state}, team {}); nothing created",
            existing.id.map_or_else(|| "?".to_owned(), |id| id.to_string()),
            existing.team.as_deref().unwrap_or("none"),
        );
        return Ok(());
    }

    // 3. Create it. `create` refuses items with an id, so this can only ever add a record.
    let mut membership = AgentTeam::default();
    membership.team_id = Some(team_id);
    membership.team_name = Some(team_name.clone());
    let mut agent = Agent::default();
    agent.name = Some(name.to_owned());
    agent.email = Some(email.to_owned());
    agent.team = Some(team_name.clone());
    agent.teams = Some(vec![membership]);
    let created = client.agents().create(agent).send().await.map_err(|e| format!("cannot create the agent: {e}"))?;

    // 4. Check what Halo saved: an id, enabled, in the team. (An error body with status 200, such as "no licence
    //    seats available", and an answer without the record are already errors of `send()`.)
    let id = created.id.ok_or("halo saved the agent but returned no id")?;
    if created.isdisabled == Some(true) {
        return Err(format!("agent {id} was created disabled"));
    }
    println!(
        "created agent {id}: {} <{}> in team {} (team id {team_id})",
        created.name.as_deref().unwrap_or(name),
        created.email.as_deref().unwrap_or(email),
        created.team.as_deref().unwrap_or(&team_name),
    );
    Ok(())
}
