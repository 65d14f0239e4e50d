//! The stored records (agents, users, teams, clients) and Halo's semantics over them: upsert, filters, paging.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::reply::Reply;

/// The largest page Halo serves, whatever `page_size` asks for.
pub const MAX_PAGE_SIZE: i64 = 100;
/// The page size when `pageinate=true` comes without `page_size`.
pub const DEFAULT_PAGE_SIZE: i64 = 50;

/// A resource the fake serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// `/api/Agent`, list key `agents`.
    Agents,
    /// `/api/Users`, list key `users`.
    Users,
    /// `/api/Team`, list key `teams`.
    Teams,
    /// `/api/Client`, list key `clients`.
    Clients,
}

impl Resource {
    /// Every resource.
    pub const ALL: [Resource; 4] = [Resource::Agents, Resource::Users, Resource::Teams, Resource::Clients];

    /// The path segment after `/api/`, as Halo spells it.
    pub fn path(self) -> &'static str {
        match self {
            Resource::Agents => "Agent",
            Resource::Users => "Users",
            Resource::Teams => "Team",
            Resource::Clients => "Client",
        }
    }

    /// The array key of the wrapped list answer.
    pub fn list_key(self) -> &'static str {
        match self {
            Resource::Agents => "agents",
            Resource::Users => "users",
            Resource::Teams => "teams",
            Resource::Clients => "clients",
        }
    }

    fn singular(self) -> &'static str {
        match self {
            Resource::Agents => "Agent",
            Resource::Users => "User",
            Resource::Teams => "Team",
            Resource::Clients => "Client",
        }
    }

    /// The resource of a (lowercased) path segment; routes are case-insensitive like Halo's.
    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        Resource::ALL.into_iter().find(|r| r.path().eq_ignore_ascii_case(segment))
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How a list answer departs from honest paging (the faults [`IgnorePageNo`](crate::Fault::IgnorePageNo),
/// [`LyingRecordCount`](crate::Fault::LyingRecordCount), [`OverlappingPages`](crate::Fault::OverlappingPages) and
/// [`PageSize`](crate::Fault::PageSize)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ListQuirks {
    /// `Some(n)`: serve page 1, with `server_time: n`.
    pub(crate) ignore_page_no: Option<u64>,
    pub(crate) count_delta: i64,
    pub(crate) overlap: usize,
    pub(crate) page_size: Option<i64>,
}

/// An integer id from a JSON value, leniently: `21`, `21.0` or `"21"`.
pub(crate) fn lenient_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true") || s == "1",
        _ => false,
    }
}

/// Query parameters, looked up case-insensitively (first occurrence wins), with ASP.NET-like binding errors.
pub(crate) struct Params<'a>(pub(crate) &'a [(String, String)]);

impl Params<'_> {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn invalid(name: &str, value: &str) -> Reply {
        Reply::validation("The request is invalid.", vec![format!("The value '{value}' is not valid for {name}.")])
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, Reply> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| Self::invalid(name, v)),
        }
    }

    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, Reply> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(Some(false)),
            Some(v) => Err(Self::invalid(name, v)),
        }
    }
}

#[derive(Default)]
struct Table {
    rows: BTreeMap<i64, Value>,
    last_id: i64,
}

/// All records, keyed by id, per resource.
#[derive(Default)]
pub(crate) struct Store {
    tables: [Table; 4],
}

impl Store {
    fn table(&self, resource: Resource) -> &Table {
        &self.tables[resource.index()]
    }

    fn table_mut(&mut self, resource: Resource) -> &mut Table {
        &mut self.tables[resource.index()]
    }

    pub(crate) fn records(&self, resource: Resource) -> Vec<Value> {
        self.table(resource).rows.values().cloned().collect()
    }

    pub(crate) fn get(&self, resource: Resource, id: i64) -> Option<Value> {
        self.table(resource).rows.get(&id).cloned()
    }

    /// Stores `record` as is (its `id` when it has a positive one, else the next id), agents' team fields synced.
    pub(crate) fn insert(&mut self, resource: Resource, record: Map<String, Value>) -> i64 {
        let id = record.get("id").and_then(lenient_id).filter(|id| *id > 0);
        let id = id.unwrap_or(self.table(resource).last_id + 1);
        let mut record = record;
        record.insert("id".into(), json!(id));
        if resource == Resource::Agents {
            let sent = record.clone();
            self.sync_team(&mut record, &sent);
        }
        let table = self.table_mut(resource);
        table.last_id = table.last_id.max(id);
        table.rows.insert(id, Value::Object(record));
        id
    }

    pub(crate) fn delete(&mut self, resource: Resource, id: i64) -> bool {
        self.table_mut(resource).rows.remove(&id).is_some()
    }

    fn team_by_id(&self, id: i64) -> Option<&Value> {
        self.table(Resource::Teams).rows.get(&id)
    }

    fn team_by_name(&self, name: &str) -> Option<&Value> {
        self.table(Resource::Teams)
            .rows
            .values()
            .find(|t| t.get("name").and_then(Value::as_str).is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }

    /// Keeps an agent's primary team (`team`, the name, and `team_id`) and its memberships (`teams`, the spec's
    /// `AgentTeam`s) consistent with what was sent, as Halo derives one from the other:
    /// a sent `team_id` or `team` completes the other and adds a membership of that team when there is none;
    /// sent `teams` replace the memberships (each entry's `team_id` / `team_name` completed from the other) and,
    /// unless a primary team was sent too, make the first membership the primary team.
    fn sync_team(&self, record: &mut Map<String, Value>, sent: &Map<String, Value>) {
        let primary_sent = if let Some(team_id) = sent.get("team_id").and_then(lenient_id) {
            if let Some(name) = self.team_by_id(team_id).and_then(|t| t.get("name")).cloned() {
                record.insert("team".into(), name);
            }
            true
        } else if let Some(name) = sent.get("team").and_then(Value::as_str) {
            if let Some(id) = self.team_by_name(name).and_then(|t| t.get("id")).cloned() {
                record.insert("team_id".into(), id);
            }
            true
        } else {
            false
        };
        if let Some(Value::Array(entries)) = sent.get("teams") {
            let entries: Vec<Value> = entries.iter().map(|entry| self.complete_membership(entry)).collect();
            if !primary_sent && let Some(first) = entries.first() {
                for (membership_key, agent_key) in [("team_id", "team_id"), ("team_name", "team")] {
                    if let Some(value) = first.get(membership_key).filter(|v| !v.is_null()) {
                        record.insert(agent_key.into(), value.clone());
                    }
                }
            }
            record.insert("teams".into(), Value::Array(entries));
        } else if primary_sent {
            let Some(team_id) = record.get("team_id").and_then(lenient_id) else {
                return;
            };
            let memberships = record.entry("teams").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(memberships) = memberships {
                let member = memberships.iter().any(|m| m.get("team_id").and_then(lenient_id) == Some(team_id));
                if !member {
                    let name = self.team_by_id(team_id).and_then(|t| t.get("name")).cloned();
                    memberships.push(json!({ "team_id": team_id, "team_name": name }));
                }
            }
        }
    }

    /// One sent `teams` entry with its `team_id` and `team_name` completed from each other when the team exists.
    fn complete_membership(&self, entry: &Value) -> Value {
        let mut entry = entry.clone();
        if let Value::Object(fields) = &mut entry {
            if let Some(team_id) = fields.get("team_id").and_then(lenient_id) {
                if let Some(name) = self.team_by_id(team_id).and_then(|t| t.get("name")) {
                    fields.insert("team_name".into(), name.clone());
                }
            } else if let Some(name) = fields.get("team_name").and_then(Value::as_str)
                && let Some(id) = self.team_by_name(name).and_then(|t| t.get("id"))
            {
                fields.insert("team_id".into(), id.clone());
            }
        }
        entry
    }

    /// Halo's create-or-update: the body is an array of objects; an existing `id` updates the fields sent
    /// (absent fields untouched, `null` blanks), no id / 0 / -1 creates. All or nothing.
    pub(crate) fn upsert(&mut self, resource: Resource, body: &Value) -> Result<Value, Reply> {
        let Value::Array(items) = body else {
            return Err(Reply::validation(
                "The request is invalid.",
                vec![format!("The request body must be a JSON array of {} objects.", resource.singular())],
            ));
        };
        if items.is_empty() {
            return Err(Reply::validation(
                "The request is invalid.",
                vec!["The request body is an empty array.".into()],
            ));
        }
        let mut plan = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Value::Object(fields) = item else {
                return Err(Reply::validation(
                    "The request is invalid.",
                    vec![format!("[{index}]: expected an object, found {}", kind(item))],
                ));
            };
            let id = match fields.get("id") {
                None | Some(Value::Null) => None,
                Some(raw) => match lenient_id(raw) {
                    Some(id) if id > 0 => Some(id),
                    Some(_) => None,
                    None => {
                        return Err(Reply::validation(
                            "The request is invalid.",
                            vec![format!("[{index}].id: the value {raw} is not a valid integer.")],
                        ));
                    }
                },
            };
            if let Some(id) = id
                && !self.table(resource).rows.contains_key(&id)
            {
                return Err(Reply::message(404, format!("{} {id} not found", resource.singular())));
            }
            plan.push((id, fields));
        }
        let mut saved = Vec::with_capacity(plan.len());
        for (id, fields) in plan {
            let id = match id {
                Some(id) => {
                    let mut record = match self.table(resource).rows.get(&id) {
                        Some(Value::Object(existing)) => existing.clone(),
                        _ => Map::new(),
                    };
                    for (key, value) in fields {
                        if key != "id" {
                            store_field(&mut record, key, value);
                        }
                    }
                    if resource == Resource::Agents {
                        self.sync_team(&mut record, fields);
                    }
                    self.table_mut(resource).rows.insert(id, Value::Object(record));
                    id
                }
                None => {
                    let mut record = fields.clone();
                    record.remove("id");
                    if resource == Resource::Agents {
                        record.entry("isdisabled").or_insert(Value::Bool(false));
                    }
                    self.insert(resource, record)
                }
            };
            saved.push(self.get(resource, id).unwrap_or(Value::Null));
        }
        Ok(if saved.len() == 1 { saved.remove(0) } else { Value::Array(saved) })
    }

    /// A list answer: filters, ordering, paging, and the wrapped (or, when `bare`, bare-array) shape.
    pub(crate) fn list(
        &self,
        resource: Resource,
        params: &Params<'_>,
        bare: bool,
        page_cap: i64,
        quirks: ListQuirks,
    ) -> Result<Value, Reply> {
        let search = params.get("search").map(str::to_lowercase).filter(|s| !s.is_empty());
        let include_disabled = params.bool("includedisabled")?.unwrap_or(false);
        let team_id = params.int("team_id")?;
        let team = params.get("team").filter(|t| !t.is_empty());
        let client_id = params.int("client_id")?;
        let order = params.get("order").filter(|o| !o.is_empty());
        let order_desc = params.bool("orderdesc")?.unwrap_or(false);

        let mut rows: Vec<&Value> = self
            .table(resource)
            .rows
            .values()
            .filter(|row| {
                let text_match = |s: &str| {
                    ["name", "email", "emailaddress"]
                        .iter()
                        .any(|k| row.get(*k).and_then(Value::as_str).is_some_and(|v| v.to_lowercase().contains(s)))
                };
                if search.as_deref().is_some_and(|s| !text_match(s)) {
                    return false;
                }
                match resource {
                    Resource::Agents => {
                        if !include_disabled && truthy(row.get("isdisabled")) {
                            return false;
                        }
                        if team_id.is_some() && row.get("team_id").and_then(lenient_id) != team_id {
                            return false;
                        }
                        if let Some(team) = team {
                            let same =
                                row.get("team").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case(team));
                            if !same {
                                return false;
                            }
                        }
                        true
                    }
                    Resource::Users => client_id.is_none() || row.get("client_id").and_then(lenient_id) == client_id,
                    Resource::Teams | Resource::Clients => true,
                }
            })
            .collect();

        if let Some(order) = order {
            rows.sort_by(|a, b| compare(a.get(order), b.get(order)));
            if order_desc {
                rows.reverse();
            }
        }

        let mut wrapper = Map::new();
        let page = paginate(rows, params, page_cap, quirks, &mut wrapper)?;
        if bare {
            return Ok(Value::Array(page));
        }
        wrapper.insert(resource.list_key().into(), Value::Array(page));
        Ok(Value::Object(wrapper))
    }
}

/// Halo's paging over the filtered `rows`, with the faults' list quirks: writes `record_count` (and, when paged,
/// `page_no` and `page_size`, as asked) into `wrapper` and returns the records of the page. Without
/// `pageinate=true`, `count` limits the answer instead.
pub(crate) fn paginate(
    rows: Vec<&Value>,
    params: &Params<'_>,
    page_cap: i64,
    quirks: ListQuirks,
    wrapper: &mut Map<String, Value>,
) -> Result<Vec<Value>, Reply> {
    let pageinate = params.bool("pageinate")?.unwrap_or(false);
    let page_size = params.int("page_size")?;
    let page_no = params.int("page_no")?;
    let count = params.int("count")?;
    let record_count = (rows.len() as i64).saturating_add(quirks.count_delta).max(0);
    wrapper.insert("record_count".into(), json!(record_count));
    if let Some(nonce) = quirks.ignore_page_no {
        wrapper.insert("server_time".into(), json!(format!("2026-12-02T08:00:{:02}.{nonce:06}Z", nonce % 60)));
    }
    Ok(if pageinate {
        let asked = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        // `page_cap` is MAX_PAGE_SIZE unless a test lowers it (FakeHalo::set_max_page_size).
        let size = if asked < 1 { DEFAULT_PAGE_SIZE.min(page_cap) } else { asked.min(page_cap) };
        let size = quirks.page_size.unwrap_or(size).max(1);
        let no = if quirks.ignore_page_no.is_some() { 1 } else { page_no.unwrap_or(1).max(1) };
        wrapper.insert("page_no".into(), json!(no));
        // Echo what was asked, not the cap: a pager must not trust page_size (HaloAPI#90).
        wrapper.insert("page_size".into(), json!(asked));
        let skip = usize::try_from((no - 1).saturating_mul(size)).unwrap_or(usize::MAX);
        let skip = if no > 1 { skip.saturating_sub(quirks.overlap) } else { skip };
        let size = usize::try_from(size).unwrap_or(0);
        rows.into_iter().skip(skip).take(size).cloned().collect()
    } else {
        let limit = count.filter(|c| *c >= 0).map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(usize::MAX));
        rows.into_iter().take(limit).cloned().collect()
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Orders missing/null first, then numbers, then strings (case-insensitively), then the rest by text.
fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    fn rank(v: Option<&Value>) -> u8 {
        match v {
            None | Some(Value::Null) => 0,
            Some(Value::Bool(_)) => 1,
            Some(Value::Number(_)) => 2,
            Some(Value::String(_)) => 3,
            Some(_) => 4,
        }
    }
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().unwrap_or(0.0).total_cmp(&y.as_f64().unwrap_or(0.0))
        }
        (Some(Value::String(x)), Some(Value::String(y))) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)).then_with(|| a.map(Value::to_string).cmp(&b.map(Value::to_string))),
    }
}

/// The teams `seed_agents` spreads agents over when no team exists yet.
pub(crate) const SEED_TEAMS: [&str; 3] = ["Support Tier 1", "Support Tier 2", "Projects"];

impl Store {
    /// Adds `n` agents named `Agent 001`…, spread round-robin over the existing teams (seeding three when none).
    pub(crate) fn seed_agents(&mut self, n: usize) -> Vec<i64> {
        if self.table(Resource::Teams).rows.is_empty() {
            for name in SEED_TEAMS {
                self.seed_team(name);
            }
        }
        let teams: Vec<(i64, Value)> = self
            .table(Resource::Teams)
            .rows
            .iter()
            .map(|(id, t)| (*id, t.get("name").cloned().unwrap_or(Value::Null)))
            .collect();
        let start = self.table(Resource::Agents).last_id;
        (1..=n)
            .map(|i| {
                let number = start + i as i64;
                let (team_id, team) = &teams[(i - 1) % teams.len()];
                self.insert(Resource::Agents, seed_agent(number, *team_id, team))
            })
            .collect()
    }

    pub(crate) fn seed_team(&mut self, name: &str) -> i64 {
        self.insert(Resource::Teams, as_object(json!({ "name": name, "inactive": false })))
    }

    /// Adds `n` clients named `Client 01`….
    pub(crate) fn seed_clients(&mut self, n: usize) -> Vec<i64> {
        let start = self.table(Resource::Clients).last_id;
        (1..=n)
            .map(|i| {
                let number = start + i as i64;
                let record = json!({ "name": format!("Client {number:02}"), "inactive": false });
                self.insert(Resource::Clients, as_object(record))
            })
            .collect()
    }

    /// Adds `n` users (end users), spread round-robin over the existing clients.
    pub(crate) fn seed_users(&mut self, n: usize) -> Vec<i64> {
        let clients: Vec<(i64, Value)> = self
            .table(Resource::Clients)
            .rows
            .iter()
            .map(|(id, c)| (*id, c.get("name").cloned().unwrap_or(Value::Null)))
            .collect();
        let start = self.table(Resource::Users).last_id;
        (1..=n)
            .map(|i| {
                let number = start + i as i64;
                let mut record = json!({
                    "name": format!("User {number:03}"),
                    "firstname": "User",
                    "surname": format!("{number:03}"),
                    "emailaddress": format!("user{number:03}@example.com"),
                    "inactive": false,
                });
                if !clients.is_empty() {
                    let (client_id, client_name) = &clients[(i - 1) % clients.len()];
                    record["client_id"] = json!(client_id);
                    record["client_name"] = client_name.clone();
                }
                self.insert(Resource::Users, as_object(record))
            })
            .collect()
    }
}

/// A seeded agent as Halo's `GET /api/Agent` lists one: about a hundred fields of every kind (strings, ids, flags,
/// decimals, dates, nested team and department memberships, roles, custom fields, fields the spec does not
/// describe), so that listing and decoding seeded agents costs what it costs against a real instance.
fn seed_agent(number: i64, team_id: i64, team: &Value) -> Map<String, Value> {
    let mut record = as_object(json!({
        "name": format!("Agent {number:03}"),
        "firstname": "Agent",
        "surname": format!("{number:03}"),
        "initials": "A",
        "email": format!("agent{number:03}@example.com"),
        "jobtitle": "Technician",
        "team": team,
        "team_id": team_id,
        "isdisabled": false,
        "is_agent": true,
        "isapiagent": false,
    }));
    let identity = json!({
        "onlinestatus_actual": 1,
        "onlinestatus": 1,
        "is_online": number % 3 != 0,
        "lastonline": "2026-11-20T16:42:11.283",
        "ad": format!("CN=Agent {number:03},OU=Support,DC=example,DC=com"),
        "lastlogindate": "2026-11-20T08:03:57.117",
        "agentphotopath": "",
        "colour": "#3f7fbf",
        "sms": format!("+44 7700 9{:05}", number % 100_000),
        "extensionnumber": format!("{}", 2000 + number % 1000),
        "ticket_count": number % 37,
        "one_client": 0,
        "qualification_weighting": 0,
        "qualified": true,
        "role_list": "Technician, Service Desk",
        "current_action_type": "",
        "current_action_name": "",
        "googleemail": "",
        "linemanager": 1,
        "linemanager_name": "Agent 001",
        "inboxes": 0,
        "exchange_authorized": false,
        "sentinel_authorized": false,
        "licence_type": 1,
        "google_mail_authorized": false,
        "splashtop_authorized": false,
        "gotoresolve_authorized": false,
        "datecreated": "2021-03-15T09:12:44.5",
        "lunchbreak": 30.0,
        "pagesize": 50,
        "signature": format!("<p>Kind regards,</p><p><strong>Agent {number:03}</strong><br>Technician, Support</p>"),
    });
    let preferences = json!({
        "default_filter_id_tickets": 0,
        "default_filter_name_tickets": "",
        "default_columns_id_tickets": 12,
        "default_columns_name_tickets": "Service Desk",
        "default_view_tickets": "team",
        "default_view_tickets_selectedid": team_id,
        "default_view_tickets_selectedname": team,
        "default_action_view": "list",
        "default_action_display": 0,
        "ticket_preview_mode": 1,
        "default_ticket_preview_size": 40,
        "list_type": 0,
        "navmenu_mode": 0,
        "default_calendar_view": "week",
        "newtabpref": 0,
        "theme": "light",
        "language_id": 0,
        "language_name": "English",
        "app_colour": "#2c3e50",
        "app_colour_type": 0,
        "nav_display_mode": 0,
        "enablehighcontrast": false,
        "homescreendashboardid": 3,
        "homescreendashboardname": "Service Desk Overview",
        "sendowneremails": true,
        "warnifnoscan": false,
        "dontemailmeifiloggedit": true,
    });
    // A second object: one `json!` of all these fields exceeds the default macro recursion limit.
    let profile = json!({
        "workhour_start": 9.0,
        "workhour_end": 17.5,
        "third_party_guid": "00000000-0000-0000-0000-000000000000",
        "department": "Service Delivery",
        "is_a_departmentmanager": false,
        "is_a_teammanager": number % 25 == 1,
        "twofactor_enabled": true,
        "emailconfirmed": true,
        "accountconfirmed": true,
        "is_sales": false,
        "holiday_allowance": 25.0,
        "remaining_holiday_allowance": 11.5,
        "travelrate": 0,
        "is_admin": false,
        "costprice": 32.75,
        "chargerate": 0,
        "last_modified": "2026-10-02T11:27:05.36",
        "guid": format!("6f9619ff-8b86-d011-b42d-{number:012}"),
        "canupdate": true,
        "namewithinactive": format!("Agent {number:03}"),
        "workday_id": 1,
        "workday_name": "UK Working Week",
        "workday_timezone": "GMT Standard Time",
        "first_role_id": "3",
        "exclude_from_automatic_assigning": false,
    });
    let memberships = json!({
        "teams": [{
            "id": number * 2,
            "agent_id": number,
            "agent_name": format!("Agent {number:03}"),
            "team_id": team_id,
            "team_guid": format!("a1b2c3d4-0000-0000-0000-{team_id:012}"),
            "team_name": team,
            "department_id": 1,
            "org_department_team_name": format!("Service Delivery/{}", team.as_str().unwrap_or_default()),
            "role_id": 3,
            "role_name": "Technician",
            "is_manager": false,
            "fortickets": true,
            "foropps": false,
            "forprojects": true,
            "in_section": true,
        }],
        "departments": [{
            "id": number,
            "agent_id": number,
            "agent_name": format!("Agent {number:03}"),
            "department_id": 1,
            "department_name": "Service Delivery",
            "role_id": "3",
            "role_name": "Technician",
            "membershiplevel": 1,
            "includeteamsintree": true,
        }],
        "roles": [{"id": "3", "name": "Technician", "normalized_name": "TECHNICIAN", "id_int": 3}],
        "customfields": [{
            "id": 141,
            "name": "CFAgentRegion",
            "label": "Region",
            "value": "EMEA",
            "display": "EMEA",
            "type": 0,
            "usage": 3,
            "characterlimit": 0,
            "copytochild": false,
            "searchable": true,
        }],
        "calendar_options_multi": [{"value": "1", "label": "Appointments"}, {"value": "2", "label": "Shifts"}],
        // Fields the spec does not describe: they land in `extra`.
        "use_new_editor": true,
        "portal_theme": "default",
        "whatsapp_number": "",
    });
    for more in [identity, preferences, profile, memberships] {
        record.extend(as_object(more));
    }
    record
}

/// Stores a field an update sent (`null` blanks it). `customfields` is Halo's whole custom-field array, replaced as
/// Halo does (HaloAPI issue #13): each stored entry takes what was sent for it (matched by `id`, else by `name`),
/// an entry not sent is blanked (`value` null, `display` empty), and an entry sent that is not stored is added.
pub(crate) fn store_field(record: &mut Map<String, Value>, key: &str, value: &Value) {
    if key == "customfields"
        && let (Value::Array(sent), Some(Value::Array(stored))) = (value, record.get_mut(key))
    {
        let same = |a: &Value, b: &Value| match (lenient_id(&a["id"]), lenient_id(&b["id"])) {
            (Some(x), Some(y)) if x > 0 && y > 0 => x == y,
            _ => a["name"].is_string() && a["name"] == b["name"],
        };
        let mut taken = vec![false; sent.len()];
        for entry in stored.iter_mut() {
            let Value::Object(fields) = entry else { continue };
            let current = Value::Object(fields.clone());
            match sent.iter().position(|item| same(item, &current)) {
                Some(index) => {
                    taken[index] = true;
                    let item = as_object(sent[index].clone());
                    if !item.contains_key("value") {
                        fields.insert("value".into(), Value::Null);
                    }
                    fields.extend(item);
                }
                None => {
                    fields.insert("value".into(), Value::Null);
                    fields.insert("display".into(), Value::String(String::new()));
                }
            }
        }
        stored.extend(sent.iter().zip(taken).filter(|(_, taken)| !taken).map(|(item, _)| item.clone()));
        return;
    }
    record.insert(key.to_owned(), value.clone());
}

/// The object inside a JSON value (a non-object becomes an empty object).
pub(crate) fn as_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
