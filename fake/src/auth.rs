//! The OAuth token endpoint (client_credentials) and bearer-token checks of API calls.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use serde_json::{Value, json};

use super::faults::SplitMix64;
use super::record::bearer;
use super::reply::Reply;

/// An API application, as set up in Halo (Configuration > Integrations > HaloPSA API): client credentials, the
/// scopes tokens may be granted, and the agent it runs as.
///
/// A token is granted the scopes it asks for that the application allows (`all` allows every scope,
/// `all:standard` every scope but `admin`); it then reaches only the endpoints those scopes cover, and
/// `GET /api/Agent/me` answers with the application's agent. As in Halo, what a token may do is its scopes
/// intersected with its agent's permissions (the fake models the scopes; a 403 for the agent's own permissions can
/// be injected with [`Fault::error`](crate::Fault::error)).
///
/// ```
/// use halopsa_fake::ApiApplication;
/// let reader = ApiApplication::new("reader-id", "reader-secret").scopes(["read:agents", "read:teams"]).agent(2);
/// # let _ = reader;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiApplication {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) agent_id: Option<i64>,
}

impl ApiApplication {
    /// An application with these credentials that allows every scope (`all`) and runs as the agent with the lowest
    /// id.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ApiApplication {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scopes: vec!["all".into()],
            agent_id: None,
        }
    }

    /// The scopes the application allows (`read:agents`, `edit:agents`, `all`, ...), instead of `all`.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The agent (by id) the application runs as: what `GET /api/Agent/me` answers.
    pub fn agent(mut self, agent_id: i64) -> Self {
        self.agent_id = Some(agent_id);
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// Whether holding `held` scopes covers `scope`: the scope itself, `all`, or `all:standard` for anything but `admin`.
pub(crate) fn covers(held: &[String], scope: &str) -> bool {
    held.iter().any(|h| {
        h.eq_ignore_ascii_case(scope)
            || h.eq_ignore_ascii_case("all")
            || (h.eq_ignore_ascii_case("all:standard") && !scope.eq_ignore_ascii_case("admin"))
    })
}

/// What a token was issued for.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    expiry: Instant,
    pub(crate) scopes: Vec<String>,
    /// Index into [`Auth::apps`].
    pub(crate) app: usize,
}

/// The API applications, the tokens issued to them, and their lifetime.
pub(crate) struct Auth {
    /// The first is the default application ([`crate::DEFAULT_CLIENT_ID`] unless configured).
    pub(crate) apps: Vec<ApiApplication>,
    pub(crate) lifetime: Duration,
    tokens: BTreeMap<String, Grant>,
    rng: SplitMix64,
    minted: u64,
    pub(crate) issued: usize,
}

impl Auth {
    pub(crate) fn new(apps: Vec<ApiApplication>, lifetime: Duration, seed: u64) -> Self {
        Auth { apps, lifetime, tokens: BTreeMap::new(), rng: SplitMix64::new(seed), minted: 0, issued: 0 }
    }

    /// Mints a token with scope `all` for the default application.
    pub(crate) fn issue(&mut self, now: Instant) -> String {
        self.issue_for(0, vec!["all".into()], now)
    }

    /// Mints a token valid for the configured lifetime.
    pub(crate) fn issue_for(&mut self, app: usize, scopes: Vec<String>, now: Instant) -> String {
        self.minted += 1;
        let token = format!("fake-{}-{:016x}{:016x}", self.minted, self.rng.next_u64(), self.rng.next_u64());
        self.tokens.retain(|_, grant| grant.expiry > now);
        self.tokens.insert(token.clone(), Grant { expiry: now + self.lifetime, scopes, app });
        token
    }

    pub(crate) fn revoke_all(&mut self) {
        self.tokens.clear();
    }

    /// The grant of the known, unexpired bearer token an `Authorization` header carries.
    pub(crate) fn check(&self, authorization: Option<&str>, now: Instant) -> Option<&Grant> {
        authorization.and_then(bearer).and_then(|token| self.tokens.get(token)).filter(|grant| grant.expiry > now)
    }

    /// `POST /auth/token`: form-urlencoded `grant_type=client_credentials`, `client_id`, `client_secret`
    /// (or HTTP Basic), optional `scope`; an optional `tenant` (query or form) is accepted and ignored.
    pub(crate) fn token_endpoint(
        &mut self,
        method: &str,
        content_type: Option<&str>,
        authorization: Option<&str>,
        form: &[(String, String)],
        now: Instant,
    ) -> Reply {
        let oauth = |status: u16, error: &str, description: &str| {
            Reply::json(status, json!({ "error": error, "error_description": description }))
        };
        if !method.eq_ignore_ascii_case("POST") {
            return oauth(405, "invalid_request", "The token endpoint only accepts POST.");
        }
        let is_form = content_type
            .is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return oauth(400, "invalid_request", "The request must be application/x-www-form-urlencoded.");
        }
        let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        match field("grant_type") {
            Some("client_credentials") => {}
            None => {
                return oauth(400, "invalid_request", "The mandatory 'grant_type' parameter is missing.");
            }
            Some(_) => {
                return oauth(400, "unsupported_grant_type", "The specified 'grant_type' is not supported.");
            }
        }
        let basic = authorization.and_then(basic_credentials);
        let (id, secret) = match (field("client_id"), field("client_secret")) {
            (Some(id), Some(secret)) => (id.to_string(), secret.to_string()),
            _ => match basic {
                Some(pair) => pair,
                None => return oauth(401, "invalid_client", "The client credentials are missing."),
            },
        };
        let Some(app) = self.apps.iter().position(|app| app.client_id == id && app.client_secret == secret) else {
            return oauth(401, "invalid_client", "The specified client credentials are invalid.");
        };
        // The scopes asked for that the application allows; without `scope`, everything it allows.
        let allowed = &self.apps[app].scopes;
        let asked: Vec<String> = field("scope").unwrap_or("").split_whitespace().map(str::to_owned).collect();
        let granted: Vec<String> = if asked.is_empty() {
            allowed.clone()
        } else {
            asked.into_iter().filter(|scope| covers(allowed, scope)).collect()
        };
        if granted.is_empty() {
            return oauth(400, "invalid_scope", "None of the requested scopes is allowed for this application.");
        }
        self.issued += 1;
        let scope = granted.join(" ");
        let token = self.issue_for(app, granted, now);
        Reply::json(
            200,
            json!({
                "token_type": "Bearer",
                "access_token": token,
                "expires_in": self.lifetime.as_secs(),
                "scope": scope,
                "refresh_token": Value::Null,
                "id_token": Value::Null,
            }),
        )
    }
}

/// `(id, secret)` of an `Authorization: Basic base64(id:secret)` header.
fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    let (scheme, encoded) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover() {
        let held = |scopes: &[&str]| scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(covers(&held(&["all"]), "admin"));
        assert!(covers(&held(&["all:standard"]), "edit:agents"));
        assert!(!covers(&held(&["all:standard"]), "admin"));
        assert!(covers(&held(&["Read:Agents"]), "read:agents"));
        assert!(!covers(&held(&["read:agents"]), "edit:agents"));
        assert!(!covers(&[], "read:agents"));
    }

    #[test]
    fn decodes_basic_credentials() {
        // "id:secret"
        assert_eq!(basic_credentials("Basic aWQ6c2VjcmV0"), Some(("id".into(), "secret".into())));
        assert_eq!(basic_credentials("Bearer aWQ6c2VjcmV0"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }
}
