//! The axum app: one fallback handler that records, rate-limits, applies faults, authenticates and routes.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::auth::{Auth, covers};
use super::faults::{FaultEngine, Gate, RateLimiter, restyle_ids};
use super::plain::{Plain, PlainStore};
use super::record::{RecordedRequest, trace_id};
use super::reply::{Cut, Reply, ReplyBody};
use super::state::{ListQuirks, Params, Resource, Store};
use super::ticketing::{Ticketing, TicketingStore};
use super::webhooks::{Locked, Parts, WebhookState};

/// Request bodies larger than this are refused with 400.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Everything the handler and the [`FakeHalo`](super::FakeHalo) handle share.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    pub(crate) started: Instant,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) ticketing: TicketingStore,
    /// The plain resources of issue 17 (`plain.rs`).
    pub(crate) plain: PlainStore,
    pub(crate) auth: Auth,
    pub(crate) faults: FaultEngine,
    pub(crate) rate_limit: Option<RateLimiter>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) token_calls: Vec<RecordedRequest>,
    pub(crate) bare_agent_list: bool,
    /// The largest page served ([`super::MAX_PAGE_SIZE`] unless lowered).
    pub(crate) page_cap: i64,
    pub(crate) base_url: String,
    /// Where the authorisation server is, under the base URL (`/auth`): `GET /api/authinfo` names it, and the token
    /// endpoint is `{auth_path}/token`.
    pub(crate) auth_path: String,
    /// Attachments of at least this many bytes are answered with `{"link": ...}` instead of their bytes.
    pub(crate) attachment_link_min: Option<usize>,
    /// Webhook delivery (`webhooks.rs`).
    pub(crate) webhooks: WebhookState,
    next_seq: u64,
}

impl Shared {
    pub(crate) fn new(inner: Inner) -> Self {
        Shared { inner: Mutex::new(inner), started: Instant::now() }
    }

    /// The state; a panic elsewhere never makes it unusable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The delivery task of webhooks (`webhooks.rs`) reaches the state through this.
impl Locked for Shared {
    fn with_parts<R>(&self, f: impl FnOnce(Parts<'_>) -> R) -> R {
        f(self.lock().parts())
    }
}

impl Inner {
    /// What webhooks read and change.
    pub(crate) fn parts(&mut self) -> Parts<'_> {
        Parts { ticketing: &mut self.ticketing, plain: &mut self.plain, webhooks: &mut self.webhooks }
    }

    pub(crate) fn new(store: Store, auth: Auth, rate_limit: Option<RateLimiter>, bare_agent_list: bool) -> Self {
        Inner {
            store,
            ticketing: TicketingStore::default(),
            plain: PlainStore::default(),
            auth,
            faults: FaultEngine::default(),
            rate_limit,
            requests: Vec::new(),
            token_calls: Vec::new(),
            bare_agent_list,
            page_cap: super::MAX_PAGE_SIZE,
            base_url: String::new(),
            auth_path: "/auth".to_owned(),
            attachment_link_min: None,
            webhooks: Default::default(),
            next_seq: 0,
        }
    }

    fn log(&mut self, kind: Kind) -> &mut Vec<RecordedRequest> {
        match kind {
            Kind::Token => &mut self.token_calls,
            Kind::Api | Kind::Other => &mut self.requests,
        }
    }

    fn begin(&mut self, kind: Kind, mut request: RecordedRequest) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        request.seq = seq;
        self.log(kind).push(request);
        seq
    }

    /// Fills in what became known after arrival: the faults that fired, then the status.
    fn update(&mut self, kind: Kind, seq: u64, status: Option<u16>, faults: &[&'static str]) {
        if let Some(recorded) = self.log(kind).iter_mut().rev().find(|r| r.seq == seq) {
            recorded.status = status;
            recorded.faults = faults.to_vec();
        }
    }

    fn api(&mut self, call: &Call<'_>, now: Instant, quirks: ListQuirks) -> Reply {
        let lower = call.path.to_ascii_lowercase();
        let segments: Vec<&str> =
            lower.strip_prefix("/api").unwrap_or("").split('/').filter(|s| !s.is_empty()).collect();
        let method = call.method.to_ascii_uppercase();
        if segments == ["authinfo"] && method == "GET" {
            let auth_url = format!("{}{}", self.base_url, self.auth_path);
            return Reply::json(200, json!({ "auth_url": auth_url, "tenant_id": "fake" }));
        }
        let Some(grant) = self.auth.check(call.authorization, now).cloned() else {
            return Reply::unauthorized();
        };
        if let Some(accepted) = required_scopes(&method, &segments, call.body)
            && !accepted.iter().any(|scope| covers(&grant.scopes, scope))
        {
            return Reply::forbidden();
        }
        let not_found =
            || Reply::message(404, format!("No HTTP resource was found that matches the request URI '{}'.", call.path));
        // The plain resources of issue 17 (plain.rs): one table-driven store, routed there whole.
        if let Some(resource) = segments.first().and_then(|s| Plain::from_segment(s)) {
            let body = (method == "POST").then(|| self.json_body(call));
            let params = Params(call.query_pairs);
            let reply = self.plain.route(resource, &segments, &method, &params, body, self.page_cap);
            return reply.unwrap_or_else(not_found);
        }
        if let Some(resource) = segments.first().and_then(|s| Ticketing::from_segment(s)) {
            return self.ticketing(resource, &segments, &method, call, quirks).unwrap_or_else(not_found);
        }
        let Some(resource) = segments.first().and_then(|s| Resource::from_segment(s)) else {
            return not_found();
        };
        match (method.as_str(), segments.len()) {
            ("GET", 1) => {
                let bare = resource == Resource::Agents && self.bare_agent_list;
                match self.store.list(resource, &Params(call.query_pairs), bare, self.page_cap, quirks) {
                    Ok(list) => Reply::json(200, list),
                    Err(reply) => reply,
                }
            }
            ("POST", 1) => self.post(resource, call),
            ("GET", 2) if resource == Resource::Agents && segments[1] == "me" => {
                // The agent the token's application runs as, else the first agent.
                let agent = match self.auth.apps.get(grant.app).and_then(|app| app.agent_id) {
                    Some(id) => self.store.get(Resource::Agents, id),
                    None => self.store.records(Resource::Agents).into_iter().next(),
                };
                match agent {
                    Some(agent) => Reply::json(200, agent),
                    None => Reply::message(404, "Agent not found"),
                }
            }
            ("GET" | "DELETE", 2) => {
                let Ok(id) = segments[1].parse::<i64>() else {
                    return Reply::validation(
                        "The request is invalid.",
                        vec![format!("The value '{}' is not valid for id.", segments[1])],
                    );
                };
                if method == "GET" {
                    match self.store.get(resource, id) {
                        Some(record) => Reply::json(200, record),
                        None => Reply::message(404, format!("{} {id} not found", resource.path())),
                    }
                } else if self.store.delete(resource, id) {
                    Reply::empty(200)
                } else {
                    Reply::message(404, format!("{} {id} not found", resource.path()))
                }
            }
            (_, 1 | 2) => {
                Reply::message(405, format!("The requested resource does not support http method '{method}'."))
            }
            _ => not_found(),
        }
    }

    /// The ticketing resources (`ticketing.rs`); `None` for a path they do not have.
    fn ticketing(
        &mut self,
        resource: Ticketing,
        segments: &[&str],
        method: &str,
        call: &Call<'_>,
        quirks: ListQuirks,
    ) -> Option<Reply> {
        let params = Params(call.query_pairs);
        let id = match segments.get(1).map(|s| s.parse::<i64>()) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) if segments.len() == 2 => {
                let error = format!("The value '{}' is not valid for id.", segments[1]);
                return Some(Reply::validation("The request is invalid.", vec![error]));
            }
            Some(Err(_)) => return None,
        };
        let missing = |id: i64| Reply::message(404, format!("{} {id} not found", resource.path()));
        Some(match (method, segments.len(), id) {
            ("GET", 1, _) => match self.ticketing.list(resource, &params, self.page_cap, quirks) {
                Ok(list) => Reply::json(200, list),
                Err(reply) => reply,
            },
            ("POST", 1, _) => match self.json_body(call) {
                // Through webhooks.rs, which fires Halo's webhooks for the changes.
                Ok(body) => match self.parts().upsert_ticketing(resource, body) {
                    Ok(saved) => Reply::json(200, saved),
                    Err(reply) => reply,
                },
                Err(reply) => reply,
            },
            ("GET", 2, Some(id)) if resource == Ticketing::Attachments => match self.ticketing.file(id) {
                // A large file: Halo answers with a link to it (captured from a real server) instead of the bytes.
                Some(file) if self.attachment_link_min.is_some_and(|min| file.bytes.len() >= min) => {
                    Reply::json(200, json!({ "link": self.file_link(id) }))
                }
                Some(file) => Reply::file(file.bytes.clone(), file.name.clone(), file.content_type.clone()),
                None => missing(id),
            },
            ("GET", 2, Some(id)) if resource == Ticketing::Reports => match self.ticketing.get_report(id, &params) {
                Ok(Some(report)) => Reply::json(200, report),
                Ok(None) => missing(id),
                Err(reply) => reply,
            },
            ("GET", 2, Some(id)) => match self.ticketing.get(resource, id) {
                Some(record) => Reply::json(200, record),
                None => missing(id),
            },
            ("DELETE", 2, Some(id)) => {
                if self.ticketing.delete(resource, id) {
                    Reply::empty(200)
                } else {
                    missing(id)
                }
            }
            (_, 1 | 2, _) => {
                Reply::message(405, format!("The requested resource does not support http method '{method}'."))
            }
            _ => return None,
        })
    }

    /// Where a large attachment's bytes are: on another host name (`localhost` for `127.0.0.1`, as a storage
    /// service is another host), under `/files/`, with a signature in the query as a pre-signed URL has.
    fn file_link(&self, id: i64) -> String {
        let host = self.base_url.replacen("127.0.0.1", "localhost", 1);
        format!("{host}/files/{id}?sig={}", file_signature(id))
    }

    /// `GET /files/{id}?sig=...`: a link [`file_link`](Self::file_link) made. Like a pre-signed URL of a storage
    /// service, it takes no token: a request that also sends one is refused, and a wrong signature is 403.
    fn linked_file(&self, path: &str, query_pairs: &[(String, String)], authorization: Option<&str>) -> Reply {
        let id = path.strip_prefix("/files/").and_then(|id| id.parse::<i64>().ok());
        let signed = id.zip(Params(query_pairs).get("sig")).is_some_and(|(id, sig)| sig == file_signature(id));
        match (id.and_then(|id| self.ticketing.file(id)), signed, authorization) {
            (_, _, Some(_)) => Reply::text(
                400,
                "InvalidArgument: Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
                 Signature query string parameter or the Authorization header should be specified",
            ),
            (Some(file), true, None) => Reply::file(file.bytes.clone(), file.name.clone(), file.content_type.clone()),
            (Some(_), false, None) => Reply::text(403, "AccessDenied: the signature does not match"),
            (None, _, None) => Reply::text(404, "NoSuchKey: the specified key does not exist"),
        }
    }

    /// The JSON body of a POST, or the error Halo answers when there is none or it is not JSON.
    fn json_body<'c>(&self, call: &'c Call<'_>) -> Result<&'c Value, Reply> {
        let mime = call.content_type.map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        let json_like = mime.as_deref().is_some_and(|m| {
            m == "application/json" || m == "text/json" || (m.starts_with("application/") && m.ends_with("+json"))
        });
        if !json_like {
            let shown = mime.unwrap_or_default();
            let message = format!("The request entity's media type '{shown}' is not supported for this resource.");
            return Err(Reply::message(415, message));
        }
        match call.body {
            Err(error) => {
                Err(Reply::validation("The request is invalid.", vec![format!("Malformed JSON body: {error}")]))
            }
            Ok(None) => {
                Err(Reply::validation("The request is invalid.", vec!["A non-empty request body is required.".into()]))
            }
            Ok(Some(body)) => Ok(body),
        }
    }

    fn post(&mut self, resource: Resource, call: &Call<'_>) -> Reply {
        let mime = call.content_type.map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        let json_like = mime.as_deref().is_some_and(|m| {
            m == "application/json" || m == "text/json" || (m.starts_with("application/") && m.ends_with("+json"))
        });
        if !json_like {
            let shown = mime.unwrap_or_default();
            return Reply::message(
                415,
                format!("The request entity's media type '{shown}' is not supported for this resource."),
            );
        }
        match call.body {
            Err(error) => Reply::validation("The request is invalid.", vec![format!("Malformed JSON body: {error}")]),
            Ok(None) => {
                Reply::validation("The request is invalid.", vec!["A non-empty request body is required.".into()])
            }
            Ok(Some(body)) => match self.store.upsert(resource, body) {
                Ok(saved) => Reply::json(200, saved),
                Err(reply) => reply,
            },
        }
    }
}

/// The scopes that reach an API path, any one being enough (as `spec/halopsa.json` records them; `all` covers every
/// scope, `all:standard` all but `admin`): `read:<area>` for GET, `edit:<area>` otherwise. `None` when any token
/// will do (`/Agent/me`, `/Users/me`, `/Users/prefs`, `/AuthInfo`) or the path is not one the fake knows.
fn required_scopes(method: &str, segments: &[&str], body: &Result<Option<Value>, String>) -> Option<Vec<&'static str>> {
    let first = *segments.first()?;
    if matches!(segments, [_, "me"]) || matches!(segments, ["users", "prefs"]) {
        return None;
    }
    if let Some(resource) = Plain::from_segment(first) {
        return Some(resource.scopes(method));
    }
    let area = match first {
        "agent"
        | "agentimage"
        | "agentcheckin"
        | "agentpresencerule"
        | "agentpresencesubscription"
        | "agenteventsubscription"
        | "onlinestatus" => "agents",
        "team" | "teamimage" => "teams",
        "client" | "site" | "users" | "userchange" => "customers",
        "tickets" | "actions" | "attachment" | "status" | "tickettype" => "tickets",
        "asset" => "assets",
        "invoice" => "invoices",
        "report" => "reporting",
        "notification" | "userroles" | "logintoken" => return Some(vec!["admin"]),
        _ => return None,
    };
    let read = method.eq_ignore_ascii_case("GET");
    let scope = |verb: &str| -> &'static str {
        match (verb, area) {
            ("read", "agents") => "read:agents",
            ("read", "teams") => "read:teams",
            ("read", "customers") => "read:customers",
            ("read", "tickets") => "read:tickets",
            ("read", "assets") => "read:assets",
            ("read", "invoices") => "read:invoices",
            ("read", _) => "read:reporting",
            (_, "agents") => "edit:agents",
            (_, "teams") => "edit:teams",
            (_, "customers") => "edit:customers",
            (_, "tickets") => "edit:tickets",
            (_, "assets") => "edit:assets",
            (_, "invoices") => "edit:invoices",
            _ => "edit:reporting",
        }
    };
    // Running a report without saving it (`_loadreportonly`) only reads.
    let runs_only = area == "reporting"
        && matches!(body, Ok(Some(Value::Array(items))) if items.iter().all(|item| item.get("_loadreportonly") == Some(&Value::Bool(true))));
    Some(if read {
        vec![scope("read")]
    } else if runs_only {
        vec![scope("edit"), scope("read")]
    } else {
        vec![scope("edit")]
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Token,
    Api,
    Other,
}

fn classify(path: &str, auth_path: &str) -> Kind {
    let lower = path.to_ascii_lowercase();
    if lower.trim_end_matches('/') == format!("{}/token", auth_path.to_ascii_lowercase()) {
        Kind::Token
    } else if lower == "/api" || lower.starts_with("/api/") {
        Kind::Api
    } else {
        Kind::Other
    }
}

/// One request, parsed.
struct Call<'a> {
    method: &'a str,
    path: &'a str,
    query_pairs: &'a [(String, String)],
    content_type: Option<&'a str>,
    authorization: Option<&'a str>,
    body: &'a Result<Option<Value>, String>,
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

/// Runs each request on a task of its own, so that it finishes (and saves what it saves) even when its client
/// gives up and closes the connection, as Halo does: a create whose client timed out may still land.
async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    match tokio::spawn(handle(shared, request)).await {
        Ok(response) => response,
        Err(_) => Reply::message(500, "An error has occurred.").into_response(Cut::None),
    }
}

async fn handle(shared: Arc<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return Reply::validation("The request is invalid.", vec!["The request body could not be read.".into()])
            .into_response(Cut::None);
    };
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let query_pairs = parse_urlencoded(&query);
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let content_type = header("content-type");
    let authorization = header("authorization");
    let raw_body = String::from_utf8_lossy(&bytes).into_owned();
    let auth_path = shared.lock().auth_path.clone();
    let kind = classify(&path, &auth_path);
    let parsed: Result<Option<Value>, String> = if raw_body.trim().is_empty() {
        Ok(None)
    } else {
        serde_json::from_slice(&bytes).map(Some).map_err(|e| e.to_string())
    };
    let form = if kind == Kind::Token { parse_urlencoded(&raw_body) } else { Vec::new() };
    let recorded_body = if kind == Kind::Token {
        let fields: Map<String, Value> = form.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        Some(Value::Object(fields))
    } else {
        parsed.clone().ok().flatten()
    };
    let body_for_faults =
        if method.eq_ignore_ascii_case("POST") { parsed.as_ref().ok().and_then(Option::as_ref) } else { None };

    let now = Instant::now();
    let (seq, mut gate) = {
        let mut inner = shared.lock();
        let seq = inner.begin(
            kind,
            RecordedRequest {
                seq: 0,
                at: now.duration_since(shared.started),
                method: method.clone(),
                path: path.clone(),
                query: query.clone(),
                query_pairs: query_pairs.clone(),
                headers: headers.clone(),
                content_type: content_type.clone(),
                authorization: authorization.clone(),
                body: recorded_body,
                raw_body,
                status: None,
                faults: Vec::new(),
            },
        );
        let mut gate = Gate::default();
        if kind == Kind::Api
            && let Some(reply) = inner.rate_limit.as_mut().and_then(|limiter| limiter.check(now))
        {
            gate.terminal = Some(reply);
            gate.fired.push("server_rate_limit");
        }
        if gate.terminal.is_none() {
            gate = inner.faults.evaluate(&method, &path, body_for_faults);
        }
        if gate.revoke {
            inner.auth.revoke_all();
        }
        inner.update(kind, seq, None, &gate.fired);
        (seq, gate)
    };
    if !gate.delay.is_zero() {
        tokio::time::sleep(gate.delay).await;
    }
    if gate.echo_form && kind == Kind::Token {
        // What some servers do with a request they cannot parse: quote it back, client secret and all.
        gate.terminal =
            Some(Reply::text(400, format!("Bad Request: could not process the form `{}`", form_text(&form))));
    }
    let mut reply = match gate.terminal.take() {
        Some(reply) => reply,
        None => {
            let now = Instant::now();
            let mut inner = shared.lock();
            match kind {
                Kind::Token => {
                    inner.auth.token_endpoint(&method, content_type.as_deref(), authorization.as_deref(), &form, now)
                }
                Kind::Api => {
                    let call = Call {
                        method: &method,
                        path: &path,
                        query_pairs: &query_pairs,
                        content_type: content_type.as_deref(),
                        authorization: authorization.as_deref(),
                        body: &parsed,
                    };
                    inner.api(&call, now, gate.list)
                }
                Kind::Other if method == "GET" && path.starts_with("/files/") => {
                    inner.linked_file(&path, &query_pairs, authorization.as_deref())
                }
                Kind::Other => Reply::message(
                    404,
                    format!("No resource at '{path}': the API is under /api, the token endpoint is /auth/token."),
                ),
            }
        }
    };
    if let Some(status) = gate.fail_after {
        // Handled (and saved) above; the answer is lost.
        reply = Reply::message(status, "An error has occurred.");
    }
    let success = reply.is_success();
    if let (true, Some(style), ReplyBody::Json(value)) = (success, gate.ids, &mut reply.body) {
        restyle_ids(value, style);
    }
    shared.lock().update(kind, seq, Some(reply.status), &gate.fired);
    reply.trace_id = Some(trace_id(seq));
    reply.extra_headers.append(&mut gate.headers);
    let cut = match (success, gate.dropped, gate.truncate) {
        (true, true, _) => Cut::Dropped,
        (true, false, true) => Cut::Reframed,
        _ => Cut::None,
    };
    reply.into_response(cut)
}

/// The signature of the link to attachment `id`: not a secret, only something a link must carry.
fn file_signature(id: i64) -> String {
    format!("{:016x}", super::faults::SplitMix64::new(id as u64 ^ 0x5eed_5eed).next_u64())
}

/// The form as posted (re-encoded), for [`Fault::EchoForm`](super::Fault::EchoForm).
fn form_text(form: &[(String, String)]) -> String {
    form.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

/// Decodes `application/x-www-form-urlencoded` text (also query strings) into pairs; never fails.
pub(crate) fn parse_urlencoded(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_queries() {
        let pairs = parse_urlencoded("a=1&b=x+y&c=%41%2b&d&e=%zz&f=%4");
        let expected: Vec<(String, String)> =
            [("a", "1"), ("b", "x y"), ("c", "A+"), ("d", ""), ("e", "%zz"), ("f", "%4")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(pairs, expected);
    }
}
