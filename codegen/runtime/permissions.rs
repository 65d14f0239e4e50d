//! Permission diagnostics: why Halo answered 401 or 403, and who the client acts as ([`Client::whoami`]).
//!
//! An API application's effective permissions are its scopes intersected with the permissions of the agent it runs
//! as (Halo's guide "Setting up an API Agent"). So a 403 has two likely causes: the token was not granted a scope
//! the operation accepts (the spec's security requirements say which, and the token response says what was
//! granted), or it was, and the agent lacks the permission in Halo. The hint added to such an error says which.

use std::fmt;

use reqwest::Method;

use super::Result;
use super::auth::Auth;
use super::client::Client;
use super::error::{Error, ErrorKind};
use super::request::Request;
use super::response::Response;

/// Why a 401 or 403 happened, as far as the client can tell; part of the error's `Display`.
#[derive(Clone, Debug)]
pub(crate) struct Hint {
    pub(crate) message: String,
    /// The scopes the operation accepts, when the token was granted none of them.
    pub(crate) missing_scopes: Option<Vec<String>>,
}

/// Whether the failure is one this module explains: a 401 or 403 answer of the API (not of the token endpoint, and
/// not an error body under a 2xx status).
fn explains(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Api | ErrorKind::Auth) && matches!(error.status(), Some(401 | 403))
}

/// Adds the hint to a 401 or 403 error of a request that accepts `accepted` scopes.
pub(crate) fn explain(error: Error, accepted: &[&str], auth: &Auth) -> Error {
    if !explains(&error) {
        return error;
    }
    let status = error.status().unwrap_or_default();
    let refreshable = matches!(auth, Auth::ClientCredentials(_));
    let hint = hint(status, accepted, auth.granted_scopes().as_deref(), refreshable);
    error.with_hint(hint)
}

/// The hint for a 401 (`refreshable`: after fresh tokens were refused too) or a 403 of an operation accepting
/// `accepted` scopes, when the token was granted `granted` (`None`: unknown).
pub(crate) fn hint(status: u16, accepted: &[&str], granted: Option<&[String]>, refreshable: bool) -> Hint {
    const AGENT: &str = "the agent the API application runs as (see `Client::whoami`) likely lacks the permission in \
                         Halo: an application can do only what both its scopes and its agent's permissions allow";
    let has = |scope: &str| granted.is_some_and(|granted| granted.iter().any(|g| g.eq_ignore_ascii_case(scope)));
    let needs = needs(accepted);
    let granted_text = match granted {
        Some([]) => "no scope".to_owned(),
        Some(granted) => format!("`{}`", granted.join(" ")),
        None => String::new(),
    };
    let scope_missing = !accepted.is_empty() && granted.is_some() && !accepted.iter().any(|scope| has(scope));
    let prefix = match (status, refreshable) {
        (401, true) => "a fresh token was refused too; ",
        (401, false) => {
            "the token was refused (a bearer token is never refreshed: it may have expired or been revoked); "
        }
        _ => "",
    };
    if scope_missing {
        return Hint {
            message: format!("{prefix}{needs}; the token was granted {granted_text}"),
            missing_scopes: Some(accepted.iter().map(|scope| (*scope).to_owned()).collect()),
        };
    }
    let message = match (status, granted, accepted.is_empty()) {
        (401, _, _) if refreshable => format!(
            "{prefix}the API application may be disabled, its secret changed, or its agent inactive: check it in Halo \
             (Configuration > Integrations > HaloPSA API)"
        ),
        (401, _, _) => prefix.trim_end_matches("; ").to_owned(),
        (_, Some(_), false) => format!("the token was granted {granted_text}, which this operation accepts; {AGENT}"),
        (_, Some(_), true) => format!("the token was granted {granted_text}; {AGENT}"),
        (_, None, false) => format!("{needs}; if the token has it, {AGENT}"),
        (_, None, true) => AGENT.to_owned(),
    };
    Hint { message, missing_scopes: None }
}

/// "this operation needs scope `edit:agents` (or `all`, `all:standard`)".
fn needs(accepted: &[&str]) -> String {
    let broad = |scope: &&&str| **scope == "all" || scope.starts_with("all:");
    let own: Vec<String> = accepted.iter().filter(|s| !broad(s)).map(|s| format!("`{s}`")).collect();
    let wide: Vec<String> = accepted.iter().filter(broad).map(|s| format!("`{s}`")).collect();
    match (own.is_empty(), wide.is_empty()) {
        (false, false) => format!("this operation needs scope {} (or {})", own.join(" or "), wide.join(", ")),
        (false, true) => format!("this operation needs scope {}", own.join(" or ")),
        _ => format!("this operation needs scope {}", wide.join(" or ")),
    }
}

/// Who a [`Client`] acts as in Halo, and with what: [`Client::whoami`].
///
/// `Display` prints it as a few lines, for a log or a support ticket (no secret is in it).
#[derive(Clone, Debug)]
pub struct WhoAmI {
    /// The answer of `GET /Agent/me`; the generated code of the resource with that operation adds a typed
    /// `agent()` (the runtime cannot name a model of the spec it is generated from).
    agent: Option<serde_json::Value>,
    agent_summary: Option<String>,
    agent_error: Option<Error>,
    granted_scopes: Option<Vec<String>>,
    requested_scopes: Vec<String>,
    tenant: Option<String>,
    auth_server: Option<String>,
    token_url: Option<String>,
    api_url: String,
}

impl WhoAmI {
    /// The agent the API application runs as, as `GET /Agent/me` answered (a JSON object); `None` when that failed
    /// (see [`agent_error`](Self::agent_error)). With the `agents` feature, `agent()` gives it as a
    /// `models::Agent`.
    pub fn agent_json(&self) -> Option<&serde_json::Value> {
        self.agent.as_ref()
    }

    /// Why `GET /Agent/me` failed, when it did: a 403 here already says the token or its agent is too limited.
    pub fn agent_error(&self) -> Option<&Error> {
        self.agent_error.as_ref()
    }

    /// The scopes the token was granted, as the token response's `scope` said, or the scopes asked for when it did
    /// not list them (RFC 6749 §5.1: the field may be left out when the grant is what was asked for); `None` for a
    /// static bearer token. Halo grants the scopes asked for that the API application allows.
    pub fn granted_scopes(&self) -> Option<&[String]> {
        self.granted_scopes.as_deref()
    }

    /// The scopes the client asks for ([`ClientBuilder::scopes`](super::ClientBuilder::scopes), `all` by default);
    /// empty for a static bearer token.
    pub fn requested_scopes(&self) -> &[String] {
        &self.requested_scopes
    }

    /// The tenant: the one the client was configured with, else the one `GET /AuthInfo` names.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The authorisation server `GET /AuthInfo` names (`https://acme.halopsa.com/auth`), when it answered.
    pub fn auth_server(&self) -> Option<&str> {
        self.auth_server.as_deref()
    }

    /// The token endpoint the client uses (without `?tenant=`); `None` for a static bearer token.
    pub fn token_url(&self) -> Option<&str> {
        self.token_url.as_deref()
    }

    /// The API base URL the client calls.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }
}

impl fmt::Display for WhoAmI {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_dash = |value: Option<&str>| value.unwrap_or("-").to_owned();
        match (&self.agent_summary, &self.agent_error) {
            (Some(agent), _) => writeln!(f, "agent:            {agent}")?,
            (None, Some(error)) => writeln!(f, "agent:            unknown ({error})")?,
            (None, None) => writeln!(f, "agent:            unknown")?,
        }
        let granted = self.granted_scopes.as_ref().map(|scopes| scopes.join(" "));
        writeln!(f, "scopes granted:   {}", granted.unwrap_or_else(|| "unknown".to_owned()))?;
        let requested = self.requested_scopes.join(" ");
        writeln!(f, "scopes requested: {}", or_dash(Some(requested.as_str()).filter(|s| !s.is_empty())))?;
        writeln!(f, "tenant:           {}", or_dash(self.tenant.as_deref()))?;
        writeln!(f, "auth server:      {}", or_dash(self.auth_server.as_deref()))?;
        writeln!(f, "token url:        {}", or_dash(self.token_url.as_deref()))?;
        write!(f, "api url:          {}", self.api_url)
    }
}

/// `GET /AuthInfo`, read without the `auth_info` feature.
#[derive(serde::Deserialize)]
struct AuthInfoAnswer {
    #[serde(default)]
    auth_url: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
}

impl Client {
    /// Who the client acts as in Halo, and with what: the agent its API application runs as (`GET /Agent/me`), the
    /// scopes its token was granted and those it asked for, the tenant and the authorisation server
    /// (`GET /AuthInfo` and the client's configuration).
    ///
    /// The first thing to look at when Halo answers 403 or returns less than expected: an application can do only
    /// what both its scopes and its agent's permissions allow, and an empty list often means the agent cannot see
    /// the records.
    ///
    /// Fails only when no token can be had (the credentials are refused); a failing `GET /Agent/me` is reported
    /// in [`WhoAmI::agent_error`].
    ///
    /// ```no_run
    /// # async fn example(client: halopsa::Client) -> halopsa::Result<()> {
    /// let me = client.whoami().await?;
    /// println!("{me}");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn whoami(&self) -> Result<WhoAmI> {
        let inner = &*self.inner;
        inner.auth.credential(inner).await.map_err(|error| error.scrub(&inner.auth.secrets()))?;
        let auth_info = self
            .send_json::<AuthInfoAnswer>(Request::new(Method::GET, "/AuthInfo"))
            .await
            .ok()
            .map(Response::into_inner);
        let me =
            self.send_json::<serde_json::Value>(Request::new(Method::GET, "/Agent/me")).await.map(Response::into_inner);
        // An agent is a JSON object; anything else is reported as why there is no agent.
        let (agent, agent_summary, agent_error) = match me {
            Ok(value) if value.is_object() => {
                let summary = summary(&value);
                (Some(value), Some(summary), None)
            }
            Ok(_) => {
                let error = Error::decode("the answer of GET /Agent/me is not an agent record".to_owned());
                (None, None, Some(error.with_request(&Method::GET, "/Agent/me")))
            }
            Err(error) => (None, None, Some(error)),
        };
        let (tenant, token_url, requested_scopes) = match &inner.auth {
            Auth::ClientCredentials(source) => {
                (source.tenant.clone(), Some(source.endpoint.clone()), source.scopes.clone())
            }
            Auth::Bearer(_) => (None, None, Vec::new()),
        };
        let (auth_server, auth_tenant) = match auth_info {
            Some(info) => (info.auth_url, info.tenant_id),
            None => (None, None),
        };
        Ok(WhoAmI {
            agent,
            agent_summary,
            agent_error,
            granted_scopes: inner.auth.granted_scopes(),
            requested_scopes,
            tenant: tenant.or(auth_tenant),
            auth_server,
            token_url,
            api_url: self.api_url().to_owned(),
        })
    }
}

/// "Agent 001 (id 1, agent001@example.com)" from an agent record.
fn summary(agent: &serde_json::Value) -> String {
    let text = |key: &str| agent.get(key).and_then(serde_json::Value::as_str).filter(|s| !s.is_empty());
    let mut details = Vec::new();
    if let Some(id) = agent.get("id").filter(|id| !id.is_null()) {
        details.push(format!("id {id}"));
    }
    if let Some(email) = text("email") {
        details.push(email.to_owned());
    }
    let name = text("name").unwrap_or("(no name)");
    if details.is_empty() { name.to_owned() } else { format!("{name} ({})", details.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(scopes: &[&str]) -> Vec<String> {
        scopes.iter().map(|s| (*s).to_owned()).collect()
    }

    const EDIT_AGENTS: &[&str] = &["edit:agents", "all", "all:standard"];

    #[test]
    fn a_missing_scope_is_named() {
        let hint = hint(403, EDIT_AGENTS, Some(&granted(&["read:agents", "read:teams"])), true);
        assert_eq!(
            hint.message,
            "this operation needs scope `edit:agents` (or `all`, `all:standard`); the token was granted \
             `read:agents read:teams`"
        );
        assert_eq!(hint.missing_scopes, Some(granted(EDIT_AGENTS)));
        let hint = hint_for_none();
        assert!(hint.message.ends_with("the token was granted no scope"), "{}", hint.message);
    }

    fn hint_for_none() -> Hint {
        hint(403, EDIT_AGENTS, Some(&[]), true)
    }

    #[test]
    fn with_the_scope_the_agent_is_blamed() {
        for scopes in [&["edit:agents"][..], &["ALL"], &["all:standard", "read:agents"]] {
            let hint = hint(403, EDIT_AGENTS, Some(&granted(scopes)), true);
            assert!(hint.message.contains("which this operation accepts; the agent"), "{}", hint.message);
            assert!(hint.message.contains("agent the API application runs as"), "{}", hint.message);
            assert_eq!(hint.missing_scopes, None);
        }
    }

    #[test]
    fn unknown_grants_and_operations() {
        // A bearer token: what it was granted is unknown.
        let hint_unknown = hint(403, EDIT_AGENTS, None, false);
        assert!(
            hint_unknown.message.starts_with("this operation needs scope `edit:agents`"),
            "{}",
            hint_unknown.message
        );
        assert!(hint_unknown.message.contains("if the token has it"), "{}", hint_unknown.message);
        assert_eq!(hint_unknown.missing_scopes, None);
        // A custom request: the operation's scopes are unknown.
        let custom = hint(403, &[], Some(&granted(&["read:agents"])), true);
        assert!(custom.message.starts_with("the token was granted `read:agents`"), "{}", custom.message);
    }

    #[test]
    fn a_401_after_a_fresh_token() {
        let hint401 = hint(401, EDIT_AGENTS, Some(&granted(&["all"])), true);
        assert!(
            hint401.message.starts_with("a fresh token was refused too; the API application"),
            "{}",
            hint401.message
        );
        let missing = hint(401, EDIT_AGENTS, Some(&granted(&["read:agents"])), true);
        assert!(
            missing.message.starts_with("a fresh token was refused too; this operation needs"),
            "{}",
            missing.message
        );
        let bearer = hint(401, EDIT_AGENTS, None, false);
        assert!(bearer.message.starts_with("the token was refused (a bearer token"), "{}", bearer.message);
        assert!(!bearer.message.ends_with(';'), "{}", bearer.message);
    }

    #[test]
    fn agent_summaries() {
        let agent = serde_json::json!({"id": 7, "name": "Api Agent", "email": "api@example.com"});
        assert_eq!(summary(&agent), "Api Agent (id 7, api@example.com)");
        assert_eq!(summary(&serde_json::json!({})), "(no name)");
    }
}
