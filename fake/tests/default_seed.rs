//! `FakeHaloBuilder::default_seed` creates exactly the records its documentation lists.

use halopsa_fake::FakeHalo;
use serde_json::Value;

fn names(records: &[Value]) -> Vec<&str> {
    records.iter().map(|record| record["name"].as_str().unwrap_or_default()).collect()
}

#[tokio::test]
async fn the_default_seed_is_as_documented() {
    let fake = FakeHalo::builder().default_seed().start().await;
    let teams = fake.teams();
    assert_eq!(names(&teams), ["Support Tier 1", "Support Tier 2", "Projects"]);
    assert_eq!(teams.iter().map(|t| t["id"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);

    let agents = fake.agents();
    assert_eq!(agents.len(), 10);
    for (n, agent) in (1..).zip(&agents) {
        assert_eq!(agent["id"], n);
        assert_eq!(agent["name"], format!("Agent {n:03}"));
        assert_eq!(agent["email"], format!("agent{n:03}@example.com"));
        assert_eq!(agent["team_id"], (n - 1) % 3 + 1, "round-robin over the teams");
        assert_eq!(agent["isdisabled"], false);
    }

    assert_eq!(names(&fake.clients()), ["Client 01", "Client 02", "Client 03"]);
    let users = fake.users();
    assert_eq!(users.len(), 9);
    for (n, user) in (1..).zip(&users) {
        assert_eq!(user["name"], format!("User {n:03}"));
        assert_eq!(user["emailaddress"], format!("user{n:03}@example.com"));
        assert_eq!(user["client_id"], (n - 1) % 3 + 1, "round-robin over the clients");
    }

    // Without it, the fake starts empty.
    let empty = FakeHalo::start().await;
    assert!(empty.agents().is_empty() && empty.teams().is_empty() && empty.users().is_empty());
}
