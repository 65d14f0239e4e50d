//! Permission diagnostics: why Halo answered 401 or 403 (who the client acts as is `whoami.rs`).
//!
//! An API application's effective permissions are its scopes intersected with the permissions of the agent it runs
//! as (Halo's guide "Setting up an API Agent"). So a 403 has two likely causes: the token was not granted a scope
//! the operation accepts (the spec's security requirements say which, and the token response says what was
//! granted), or it was, and the agent lacks the permission in Halo. The hint added to such an error says which.

use super::auth::Auth;
use super::error::{Error, ErrorKind, Hint};

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
}
