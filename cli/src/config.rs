//! Where `halo` gets its tenant and credentials: the environment variables of `ClientBuilder::from_env()`, or a named
//! profile of the config file. Secrets are never printed: `halo config show` says where a secret comes from, never
//! what it is, and errors about the file name settings and lines, never values.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::input::Failure;

/// The config file: named profiles, and which one is used when none is named.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The profile used when neither `--profile` nor `HALO_PROFILE` names one and `HALO_URL` is not set.
    pub default_profile: Option<String>,
    /// The profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One tenant.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The Halo URL (`https://acme.halopsa.com`).
    pub url: String,
    /// The API application's client id.
    pub client_id: String,
    /// The client secret, written in the file (keep the file private).
    pub client_secret: Option<String>,
    /// The environment variable that holds the client secret (kept out of the file).
    pub client_secret_env: Option<String>,
    /// The tenant of a Halo-hosted instance.
    pub tenant: Option<String>,
    /// The scopes to ask for (default `all`).
    pub scopes: Option<Vec<String>>,
}

/// The settings in use, and where they came from.
pub struct Settings {
    /// Where they came from (`the environment`, `profile "acme" in ...`).
    pub source: String,
    /// The Halo URL.
    pub url: String,
    /// The client id.
    pub client_id: Option<String>,
    /// The client secret, and where it came from.
    secret: Option<(String, String)>,
    /// The tenant.
    pub tenant: Option<String>,
    /// The scopes.
    pub scopes: Option<Vec<String>>,
    /// Built with `ClientBuilder::from_env()`, exactly.
    from_env: bool,
}

/// The config file's path: `$HALO_CONFIG`, else `$XDG_CONFIG_HOME/halo/config.toml`, else
/// `~/.config/halo/config.toml` (`%APPDATA%\halo\config.toml` on Windows).
pub fn path() -> Option<PathBuf> {
    if let Some(path) = var("HALO_CONFIG") {
        return Some(PathBuf::from(path));
    }
    let base = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".config")))
        .or_else(|| var("APPDATA").map(PathBuf::from))?;
    Some(base.join("halo").join("config.toml"))
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

/// Reads the config file; a missing file is an empty one, unless `$HALO_CONFIG` names it.
pub fn read_file() -> Result<(Option<PathBuf>, File), Failure> {
    let Some(path) = path() else { return Ok((None, File::default())) };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && var("HALO_CONFIG").is_none() => {
            return Ok((Some(path), File::default()));
        }
        Err(error) => return Err(Failure::Config(format!("cannot read {}: {error}", path.display()))),
    };
    match toml::from_str::<File>(&text) {
        Ok(file) => Ok((Some(path), file)),
        Err(error) => {
            // The message only, with its line: toml's own rendering quotes the line, which may hold a secret.
            let line = error.span().map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            let at = line.map(|line| format!(", line {line}")).unwrap_or_default();
            Err(Failure::Config(format!("{}{at}: {}", path.display(), error.message().trim())))
        }
    }
}

/// The settings for `--profile`/`HALO_PROFILE`, else the environment when `HALO_URL` is set, else the file's default
/// profile.
pub fn resolve(profile: Option<&str>) -> Result<Settings, Failure> {
    let profile = profile.map(str::to_owned).or_else(|| var("HALO_PROFILE"));
    if profile.is_none() && var("HALO_URL").is_some() {
        return Ok(Settings {
            source: "the environment (HALO_URL, HALO_CLIENT_ID, HALO_CLIENT_SECRET, HALO_TENANT, HALO_SCOPES)".into(),
            url: var("HALO_URL").unwrap_or_default(),
            client_id: var("HALO_CLIENT_ID"),
            secret: var("HALO_CLIENT_SECRET").map(|secret| (secret, "HALO_CLIENT_SECRET".into())),
            tenant: var("HALO_TENANT"),
            scopes: var("HALO_SCOPES")
                .map(|scopes| scopes.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect()),
            from_env: true,
        });
    }
    let (path, mut file) = read_file()?;
    let shown_path = path.as_ref().map_or_else(|| "(no config file)".to_owned(), |p| p.display().to_string());
    let name = match profile.or(file.default_profile.clone()) {
        Some(name) => name,
        None => {
            return Err(Failure::Config(format!(
                "no Halo to talk to: set HALO_URL, HALO_CLIENT_ID and HALO_CLIENT_SECRET, or name a profile of \
                 {shown_path} with --profile or HALO_PROFILE (or set its default_profile)"
            )));
        }
    };
    let Some(found) = file.profiles.remove(&name) else {
        let known: Vec<&String> = file.profiles.keys().collect();
        return Err(Failure::Config(format!("no profile \"{name}\" in {shown_path} (profiles: {known:?})")));
    };
    let secret = match (&found.client_secret, &found.client_secret_env) {
        (Some(secret), _) => Some((secret.clone(), format!("client_secret in {shown_path}"))),
        (None, Some(env)) => var(env).map(|secret| (secret, env.clone())),
        (None, None) => None,
    };
    Ok(Settings {
        source: format!("profile \"{name}\" in {shown_path}"),
        url: found.url,
        client_id: Some(found.client_id).filter(|id| !id.is_empty()),
        secret,
        tenant: found.tenant,
        scopes: found.scopes,
        from_env: false,
    })
}

impl Settings {
    /// The client. `--dry-run` needs only the URL: without credentials it gets a placeholder token it never sends.
    pub fn client(&self, dry_run: bool) -> Result<halopsa::Client, Failure> {
        let complete = self.client_id.is_some() && self.secret.is_some();
        let builder = if dry_run && !complete {
            halopsa::Client::builder(self.url.trim()).bearer_token("dry-run")
        } else if self.from_env {
            halopsa::ClientBuilder::from_env().map_err(config_error)?
        } else {
            let (Some(id), Some((secret, _))) = (&self.client_id, &self.secret) else {
                return Err(Failure::Config(format!(
                    "{}: client_id and a client secret (client_secret, or client_secret_env naming a variable that is set) are required",
                    self.source
                )));
            };
            let mut builder = halopsa::Client::builder(self.url.trim()).client_credentials(id.trim(), secret);
            if let Some(tenant) = &self.tenant {
                builder = builder.tenant(tenant.trim());
            }
            if let Some(scopes) = &self.scopes {
                builder = builder.scopes(scopes.iter().cloned());
            }
            builder
        };
        builder.build().map_err(config_error)
    }

    /// `halo config show`: every setting, and for the secret only where it comes from.
    pub fn show(&self) -> String {
        let secret = match &self.secret {
            Some((_, from)) => format!("set (from {from}; not shown)"),
            None => "not set".to_owned(),
        };
        let or_none = |value: Option<&str>| value.unwrap_or("(not set)").to_owned();
        let scopes = self.scopes.as_ref().map(|s| s.join(" "));
        format!(
            "source: {}\nurl: {}\nclient id: {}\nclient secret: {secret}\ntenant: {}\nscopes: {}\n",
            self.source,
            self.url,
            or_none(self.client_id.as_deref()),
            or_none(self.tenant.as_deref()),
            scopes.unwrap_or_else(|| "(not set: all)".into()),
        )
    }
}

fn config_error(error: halopsa::Error) -> Failure {
    Failure::Config(error.to_string())
}
