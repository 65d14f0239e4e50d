//! A consumer's test against the fake Halo, started in-process: the code of the README's section "Testing your code
//! against a fake Halo", which CI runs here, outside the workspace.

use halopsa_fake::FakeHalo;

#[tokio::test]
async fn lists_the_seeded_agents() -> halopsa::Result<()> {
    let fake = FakeHalo::builder().default_seed().start().await;
    let client =
        halopsa::Client::builder(fake.base_url()).client_credentials(fake.client_id(), fake.client_secret()).build()?;
    let agents = client.agents().list().all().await?;
    assert_eq!(agents.len(), 10);
    assert!(fake.requests().iter().any(|request| request.path == "/api/Agent"));
    Ok(())
}
