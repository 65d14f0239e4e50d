//! [`Client::whoami`]: who a client acts as in Halo, and with what (the agent its API application runs as, the
//! scopes its token was granted), the first thing to look at when Halo answers 403 or returns less than expected.

use std::fmt;

use reqwest::Method;

use super::auth::Auth;
use super::client::Client;
use super::error::{Error, Result};
use super::request::Request;
use super::response::Response;

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
        inner.auth.credential(&inner.transport).await.map_err(|error| error.scrub(&inner.auth.secrets()))?;
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

    #[test]
    fn agent_summaries() {
        let agent = serde_json::json!({"id": 7, "name": "Api Agent", "email": "api@example.com"});
        assert_eq!(summary(&agent), "Api Agent (id 7, api@example.com)");
        assert_eq!(summary(&serde_json::json!({})), "(no name)");
    }
}
