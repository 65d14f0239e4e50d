//! Exports every asset of a client as CSV on standard output.
//!
//! ```text
//! cargo run -p halopsa --example export_assets -- <client-id> > assets.csv
//! ```
//!
//! Reads `HALO_URL` (`https://acme.halopsa.com`), `HALO_CLIENT_ID`, `HALO_CLIENT_SECRET` and, for a Halo-hosted
//! instance, `HALO_TENANT` from the environment. Without a Halo tenant, run it against the fake server:
//! `cargo run -p halopsa-fake --bin fake-halo -- --seed-assets 250` prints the values to use.
//!
//! Steps: `GET /Asset?client_id=N` page by page (`.all()`: Halo caps pages at 100 and the pager does not trust the
//! page size it asked for), then one CSV line per asset: id, asset tag, type, site, key field. The count goes to
//! standard error so the CSV stays clean.

use std::io::Write;
use std::process::ExitCode;

use halopsa::ClientBuilder;

const USAGE: &str = "usage: export_assets <client-id>";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client_id] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Ok(client_id) = client_id.parse::<i32>() else {
        eprintln!("'{client_id}' is not a client id\n{USAGE}");
        return ExitCode::from(2);
    };
    match run(client_id).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("export_assets: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(client_id: i32) -> Result<(), String> {
    let client = ClientBuilder::from_env().and_then(|builder| builder.build()).map_err(|e| e.to_string())?;
    let assets = client
        .assets()
        .list()
        .client_id(client_id)
        .all()
        .await
        .map_err(|e| format!("cannot list the assets of client {client_id}: {e}"))?;
    let mut out = std::io::stdout().lock();
    let mut line = |fields: [String; 5]| {
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", quoted.join(",")).map_err(|e| format!("cannot write: {e}"))
    };
    line(["id", "asset_tag", "type", "site_id", "key_field"].map(str::to_owned))?;
    for asset in &assets {
        let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
        line([
            asset.id.map(|id| id.to_string()).unwrap_or_default(),
            text(asset.inventory_number.as_deref()),
            text(asset.assettype_name.as_deref()),
            asset.site_id.map(|id| id.to_string()).unwrap_or_default(),
            text(asset.key_field.as_deref()),
        ])?;
    }
    eprintln!("exported {} assets of client {client_id}", assets.len());
    Ok(())
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}
