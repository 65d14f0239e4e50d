//! Syncs agents and their teams from an HR export: the integration guide's third scenario ("sync team assignments").
//!
//! ```text
//! cargo run -p halopsa --example sync_teams -- [--dry-run] [--disable-missing] [hr.csv]
//! ```
//!
//! The HR export is a CSV file of `email,name,team` lines (a first line starting with `email` is a header; fields
//! are not quoted, so no commas inside them). Without a file, a built-in sample of five people is used, which
//! matches the agents `fake-halo` seeds: it moves two agents to other teams and creates two.
//!
//! Reads `HALO_URL` (`https://acme.halopsa.com`), `HALO_CLIENT_ID`, `HALO_CLIENT_SECRET` and, for a Halo-hosted
//! instance, `HALO_TENANT` from the environment. Without a Halo tenant, run it against the fake server:
//! `cargo run -p halopsa-fake --bin fake-halo` prints the values to use.
//!
//! Steps: map team names to ids (`GET /Team`); list every agent, disabled ones included, page by page
//! (`GET /Agent?pageinate=true...`); compare by email, ignoring case; create the people Halo does not have, in
//! batches (`POST /Agent` without ids); move agents whose team differs and re-enable disabled ones, in batches
//! (`POST /Agent` with ids, sending only `team`, `teams` and `isdisabled`); with `--disable-missing`, disable the
//! agents the export does not list (API agents are left alone). Unknown teams and duplicate emails stop it before
//! any change. The client retries 429s (honouring `Retry-After`), and a second run finds nothing to do, so a run
//! that stopped half-way is finished by running it again.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use halopsa::ClientBuilder;
use halopsa::models::{Agent, AgentTeam};

const USAGE: &str = "usage: sync_teams [--dry-run] [--disable-missing] [hr.csv]";

/// Records per `POST /Agent`; Halo takes an array, so a batch is one request against the rate limit.
const BATCH: usize = 50;

/// Used when no CSV file is given: people the fake server's seeded agents (`agent001@example.com`, ... over the
/// teams "Support Tier 1", "Support Tier 2" and "Projects") make interesting.
const SAMPLE: &str = "\
email,name,team
agent001@example.com,Agent 001,Projects
agent002@example.com,Agent 002,Support Tier 2
agent003@example.com,Agent 003,Support Tier 1
new.starter@example.com,New Starter,Support Tier 2
second.starter@example.com,Second Starter,Projects
";

/// One person of the HR export.
struct Person {
    email: String,
    name: String,
    team: String,
}

struct Options {
    dry_run: bool,
    disable_missing: bool,
    csv: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("sync_teams: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sync_teams: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options { dry_run: false, disable_missing: false, csv: None };
    for arg in args {
        match arg.as_str() {
            "--dry-run" => options.dry_run = true,
            "--disable-missing" => options.disable_missing = true,
            flag if flag.starts_with('-') => return Err(format!("unknown option '{flag}'")),
            _ if options.csv.is_some() => return Err("only one CSV file, please".to_owned()),
            _ => options.csv = Some(arg),
        }
    }
    Ok(options)
}

async fn run(options: &Options) -> Result<(), String> {
    let text = match &options.csv {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?,
        None => {
            println!("no CSV file given: using the built-in sample of {} people", SAMPLE.lines().count() - 1);
            SAMPLE.to_owned()
        }
    };
    let people = parse_csv(&text)?;
    let client = ClientBuilder::from_env().and_then(|builder| builder.build()).map_err(|e| e.to_string())?;

    // Team name (lowercased) → (id, name as Halo spells it).
    let teams = client.teams().list().send().await.map_err(|e| format!("cannot list teams: {e}"))?.teams;
    let team_ids: BTreeMap<String, (i32, String)> = teams
        .iter()
        .filter_map(|t| Some((t.name.as_deref()?.trim().to_lowercase(), (t.id?, t.name.clone()?))))
        .collect();
    let unknown: Vec<&str> =
        people.iter().filter(|p| !team_ids.contains_key(&p.team.to_lowercase())).map(|p| p.team.as_str()).collect();
    if !unknown.is_empty() {
        return Err(format!("the export names teams Halo does not have: {}", unknown.join(", ")));
    }

    // Every agent, disabled ones included: otherwise a disabled agent would look missing and be created again.
    let agents =
        client.agents().list().includedisabled(true).all().await.map_err(|e| format!("cannot list agents: {e}"))?;
    let mut by_email: BTreeMap<String, &Agent> = BTreeMap::new();
    for agent in &agents {
        let Some(email) = agent.email.as_deref().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()) else {
            continue;
        };
        if let Some(other) = by_email.insert(email.clone(), agent) {
            return Err(format!(
                "agents {:?} and {:?} share the email {email}; resolve that in Halo first",
                other.id, agent.id
            ));
        }
    }

    // The changes.
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    for person in &people {
        let (team_id, team) = &team_ids[&person.team.to_lowercase()];
        let mut member = AgentTeam::default();
        member.team_id = Some(*team_id);
        member.team_name = Some(team.clone());
        let membership = vec![member];
        match by_email.get(&person.email.to_lowercase()) {
            None => {
                println!("create  {} <{}> in {team}", person.name, person.email);
                let mut agent = Agent::default();
                agent.name = Some(person.name.clone());
                agent.email = Some(person.email.clone());
                agent.team = Some(team.clone());
                agent.teams = Some(membership);
                creates.push(agent);
            }
            Some(agent) => {
                let Some(id) = agent.id else {
                    return Err(format!("the agent {} came back without an id", person.email));
                };
                let in_team = agent.team.as_deref().is_some_and(|t| t.trim().eq_ignore_ascii_case(team))
                    && agent.teams.iter().flatten().any(|m| m.team_id == Some(*team_id));
                let disabled = agent.isdisabled == Some(true);
                if in_team && !disabled {
                    continue;
                }
                let mut change = Agent::default();
                if !in_team {
                    println!("move    {} from {} to {team}", person.email, agent.team.as_deref().unwrap_or("no team"));
                    change.team = Some(team.clone());
                    change.teams = Some(membership);
                }
                if disabled {
                    println!("enable  {}", person.email);
                    change.isdisabled = Some(false);
                }
                updates.push((id, change));
            }
        }
    }
    if options.disable_missing {
        let listed: BTreeSet<String> = people.iter().map(|p| p.email.to_lowercase()).collect();
        for (email, agent) in &by_email {
            let leave_alone =
                agent.isdisabled == Some(true) || agent.isapiagent == Some(true) || listed.contains(email);
            if let (false, Some(id)) = (leave_alone, agent.id) {
                println!("disable {email}");
                let mut change = Agent::default();
                change.isdisabled = Some(true);
                updates.push((id, change));
            }
        }
    }

    println!(
        "{} people, {} agents: {} to create, {} to update",
        people.len(),
        agents.len(),
        creates.len(),
        updates.len()
    );
    if options.dry_run || (creates.is_empty() && updates.is_empty()) {
        return Ok(());
    }
    let mut created = 0;
    for batch in creates.chunks(BATCH) {
        let saved = client.agents().create_many(batch.to_vec()).send().await.map_err(|e| {
            format!("creating agents failed after {created} were created (running again finishes the job): {e}")
        })?;
        created += saved.len();
    }
    let mut updated = 0;
    for batch in updates.chunks(BATCH) {
        let saved = client.agents().update_many(batch.to_vec()).send().await.map_err(|e| {
            format!("updating agents failed after {updated} were updated (running again finishes the job): {e}")
        })?;
        updated += saved.len();
    }
    println!("done: {created} created, {updated} updated");
    Ok(())
}

/// `email,name,team` lines; a first line starting with `email` is a header; blank lines are skipped.
fn parse_csv(text: &str) -> Result<Vec<Person>, String> {
    let mut people: Vec<Person> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (index == 0 && line.to_lowercase().starts_with("email")) {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [email, name, team] = fields.as_slice() else {
            return Err(format!("line {}: expected `email,name,team`, found `{line}`", index + 1));
        };
        if !email.contains('@') || name.is_empty() || team.is_empty() {
            return Err(format!("line {}: expected `email,name,team`, found `{line}`", index + 1));
        }
        if people.iter().any(|p| p.email.eq_ignore_ascii_case(email)) {
            return Err(format!("line {}: {email} is listed twice", index + 1));
        }
        people.push(Person { email: (*email).to_owned(), name: (*name).to_owned(), team: (*team).to_owned() });
    }
    Ok(people)
}
