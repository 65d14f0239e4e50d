//! Lists agents through the generated client, as a project depending on `generated/` by path would.
//! Usage: `outside-consumer <base url> <client id> <client secret>`.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(id), Some(secret)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: outside-consumer <base url> <client id> <client secret>".into());
    };
    let client = halopsa::Client::builder(url).client_credentials(id, secret).build()?;
    let agents = client.agents().list().all().await?;
    println!("listed {} agents", agents.len());
    if agents.is_empty() {
        return Err("expected the fake server's seeded agents".into());
    }
    Ok(())
}
