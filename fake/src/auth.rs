//! The OAuth token endpoint (client_credentials) and bearer-token checks of API calls.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use serde_json::{Value, json};

use super::faults::SplitMix64;
use super::record::bearer;
use super::reply::Reply;

/// Issued tokens and the credentials they are issued for.
pub(crate) struct Auth {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) lifetime: Duration,
    tokens: BTreeMap<String, Instant>,
    rng: SplitMix64,
    minted: u64,
    pub(crate) issued: usize,
}

impl Auth {
    pub(crate) fn new(client_id: String, client_secret: String, lifetime: Duration, seed: u64) -> Self {
        Auth {
            client_id,
            client_secret,
            lifetime,
            tokens: BTreeMap::new(),
            rng: SplitMix64::new(seed),
            minted: 0,
            issued: 0,
        }
    }

    /// Mints a token valid for the configured lifetime.
    pub(crate) fn issue(&mut self, now: Instant) -> String {
        self.minted += 1;
        let token = format!("fake-{}-{:016x}{:016x}", self.minted, self.rng.next_u64(), self.rng.next_u64());
        self.tokens.retain(|_, expiry| *expiry > now);
        self.tokens.insert(token.clone(), now + self.lifetime);
        token
    }

    pub(crate) fn revoke_all(&mut self) {
        self.tokens.clear();
    }

    /// Whether an `Authorization` header carries a known, unexpired bearer token.
    pub(crate) fn check(&self, authorization: Option<&str>, now: Instant) -> bool {
        authorization.and_then(bearer).and_then(|token| self.tokens.get(token)).is_some_and(|expiry| *expiry > now)
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
        if id != self.client_id || secret != self.client_secret {
            return oauth(401, "invalid_client", "The specified client credentials are invalid.");
        }
        self.issued += 1;
        let token = self.issue(now);
        let scope = field("scope").filter(|s| !s.is_empty()).unwrap_or("all");
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
    fn decodes_basic_credentials() {
        // "id:secret"
        assert_eq!(basic_credentials("Basic aWQ6c2VjcmV0"), Some(("id".into(), "secret".into())));
        assert_eq!(basic_credentials("Bearer aWQ6c2VjcmV0"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }
}
