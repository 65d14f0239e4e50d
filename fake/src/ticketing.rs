//! The ticketing side of the fake: tickets with their actions (and the dates and custom fields Halo sets), assets
//! and sites per client, invoices, statuses, ticket types, a tiny report engine over these tables (Halo's SQL
//! table and column names), and attachments with their files (served with their content type; large ones as a
//! link).
//!
//! Kept apart from `state.rs` (the identity resources) so each side can change without the other; the semantics
//! are the same: Halo's create-or-update POST, a page cap, case-insensitive routes, filters on the listed fields.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::reply::Reply;
use super::state::{ListQuirks, Params, lenient_id, paginate};

/// Halo's built-in "Closed" status id.
pub const CLOSED_STATUS: i64 = 9;

/// A ticketing resource the fake serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ticketing {
    /// `/api/Tickets`, list key `tickets`.
    Tickets,
    /// `/api/Actions`, list key `actions`.
    Actions,
    /// `/api/Asset`, list key `assets`.
    Assets,
    /// `/api/Site`, list key `sites`.
    Sites,
    /// `/api/Invoice`, list key `invoices`.
    Invoices,
    /// `/api/Report`, list key `reports`.
    Reports,
    /// `/api/Attachment`, list key `attachments`.
    Attachments,
    /// `/api/Status`, answered with a bare array.
    Statuses,
    /// `/api/TicketType`, answered with a bare array.
    TicketTypes,
}

impl Ticketing {
    /// Every ticketing resource.
    pub const ALL: [Ticketing; 9] = [
        Ticketing::Tickets,
        Ticketing::Actions,
        Ticketing::Assets,
        Ticketing::Sites,
        Ticketing::Invoices,
        Ticketing::Reports,
        Ticketing::Attachments,
        Ticketing::Statuses,
        Ticketing::TicketTypes,
    ];

    /// The path segment after `/api/`, as Halo spells it.
    pub fn path(self) -> &'static str {
        match self {
            Ticketing::Tickets => "Tickets",
            Ticketing::Actions => "Actions",
            Ticketing::Assets => "Asset",
            Ticketing::Sites => "Site",
            Ticketing::Invoices => "Invoice",
            Ticketing::Reports => "Report",
            Ticketing::Attachments => "Attachment",
            Ticketing::Statuses => "Status",
            Ticketing::TicketTypes => "TicketType",
        }
    }

    /// The array key of the wrapped list answer, or `None` for the lookups answered with a bare array.
    pub fn list_key(self) -> Option<&'static str> {
        match self {
            Ticketing::Tickets => Some("tickets"),
            Ticketing::Actions => Some("actions"),
            Ticketing::Assets => Some("assets"),
            Ticketing::Sites => Some("sites"),
            Ticketing::Invoices => Some("invoices"),
            Ticketing::Reports => Some("reports"),
            Ticketing::Attachments => Some("attachments"),
            Ticketing::Statuses | Ticketing::TicketTypes => None,
        }
    }

    /// The SQL table name the report engine knows the resource by.
    fn table_name(self) -> &'static str {
        match self {
            Ticketing::Tickets => "faults",
            Ticketing::Actions => "actions",
            Ticketing::Assets => "device",
            Ticketing::Sites => "site",
            Ticketing::Invoices => "invoiceheader",
            Ticketing::Reports => "analyzerprofile",
            Ticketing::Attachments => "attachment",
            Ticketing::Statuses => "tstatus",
            Ticketing::TicketTypes => "requesttype",
        }
    }

    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        Ticketing::ALL.into_iter().find(|r| r.path().eq_ignore_ascii_case(segment))
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Default)]
struct Table {
    rows: BTreeMap<i64, Value>,
    last_id: i64,
}

/// The ticketing records, and the file of each attachment.
pub(crate) struct TicketingStore {
    tables: [Table; 9],
    files: BTreeMap<i64, StoredFile>,
    /// The wall clock when the fake started and tokio's clock then: the dates the fake sets follow tokio's clock
    /// (so a paused test clock moves them too), from a real date.
    clock: (SystemTime, Instant),
    /// Lists actions with Halo's numbers: an action's `id` counts within its ticket (1, 2, 3, ...), so actions of
    /// different tickets share ids (`FakeHalo::set_action_ids_per_ticket`).
    pub(crate) action_ids_per_ticket: bool,
}

/// The custom fields of the fake's ticket type, as a new ticket has them: blank, with Halo's members.
fn ticket_custom_fields() -> Value {
    json!([
        { "id": 101, "name": "CFReference", "label": "Customer reference", "type": 0, "value": null, "display": "" },
        { "id": 102, "name": "CFOnSite", "label": "On site", "type": 4, "value": null, "display": "" },
        { "id": 103, "name": "CFDueBy", "label": "Due by", "type": 3, "value": null, "display": "" }
    ])
}

/// A time as Halo writes one: UTC without an offset, 7 fractional digits (`2026-12-02T08:14:03.1234567`).
pub(crate) fn halo_time(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (days, seconds) = ((since.as_secs() / 86_400) as i64, since.as_secs() % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:07}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        since.subsec_nanos() / 100
    )
}

/// An attachment's file: its bytes, name and content type.
pub(crate) struct StoredFile {
    pub(crate) bytes: Vec<u8>,
    pub(crate) name: String,
    pub(crate) content_type: String,
}

/// The content type Halo serves a file with, from its name's extension (what it records when a file is uploaded
/// without one).
fn content_type_for(filename: &str) -> &'static str {
    let extension = filename.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "json" => "application/json",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

impl Default for TicketingStore {
    fn default() -> Self {
        let clock = (SystemTime::now(), Instant::now());
        let mut store =
            TicketingStore { tables: Default::default(), files: BTreeMap::new(), clock, action_ids_per_ticket: false };
        for (id, name) in
            [(1, "New"), (2, "In Progress"), (3, "Action Required"), (8, "Pending Closure"), (9, "Closed")]
        {
            store.insert(Ticketing::Statuses, json!({ "id": id, "name": name }));
        }
        // Each ticket type's default SLA (`default_sla`), whose priorities its tickets take (`/Priority?slaid=`).
        for (id, name, sla) in
            [(1, "Incident", 1), (2, "Problem", 1), (3, "Service Request", 2), (4, "Change Request", 0)]
        {
            store.insert(Ticketing::TicketTypes, json!({ "id": id, "name": name, "default_sla": sla }));
        }
        store
    }
}

fn invalid(errors: Vec<String>) -> Reply {
    Reply::validation("The request is invalid.", errors)
}

/// A 400 with the model state Halo answers a value it cannot convert to an integer field.
fn cannot_convert(index: usize, key: &str, value: &Value) -> Reply {
    let shown = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let path = format!("[{index}].{key}");
    let message = format!("Could not convert string to integer: {shown}. Path '{path}'.");
    Reply::model_state(400, &[(path, vec![message])])
}

impl TicketingStore {
    /// Now, in Halo's form, on tokio's clock.
    fn now(&self) -> String {
        halo_time(self.clock.0 + self.clock.1.elapsed())
    }

    fn table(&self, resource: Ticketing) -> &Table {
        &self.tables[resource.index()]
    }

    fn table_mut(&mut self, resource: Ticketing) -> &mut Table {
        &mut self.tables[resource.index()]
    }

    pub(crate) fn records(&self, resource: Ticketing) -> Vec<Value> {
        self.table(resource).rows.values().cloned().collect()
    }

    pub(crate) fn get(&self, resource: Ticketing, id: i64) -> Option<Value> {
        self.table(resource).rows.get(&id).cloned()
    }

    /// Stores a record as is (its positive `id`, else the next one) and returns its id.
    pub(crate) fn insert(&mut self, resource: Ticketing, record: Value) -> i64 {
        let mut record = match record {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let id = record.get("id").and_then(lenient_id).filter(|id| *id > 0);
        let table = self.table_mut(resource);
        let id = id.unwrap_or(table.last_id + 1);
        record.insert("id".into(), json!(id));
        table.last_id = table.last_id.max(id);
        table.rows.insert(id, Value::Object(record));
        id
    }

    pub(crate) fn delete(&mut self, resource: Ticketing, id: i64) -> bool {
        self.files.remove(&id);
        self.table_mut(resource).rows.remove(&id).is_some()
    }

    /// The file of an attachment.
    pub(crate) fn file(&self, id: i64) -> Option<&StoredFile> {
        self.files.get(&id)
    }

    /// Halo's create-or-update, all or nothing. Tickets get a status, a type, the dates Halo sets
    /// (`dateoccurred`, `datecreated`, `lastactiondate`, `last_update`, in Halo's form) and their type's custom
    /// fields when created; an action must name
    /// an existing ticket, and its `new_status` and `timetaken` carry over to the ticket; an attachment's
    /// `data_base64` is decoded and kept as its file (not echoed back); a report sent with `_loadreportonly` is run,
    /// not saved.
    pub(crate) fn upsert(&mut self, resource: Ticketing, body: &Value) -> Result<Value, Reply> {
        let Value::Array(items) = body else {
            return Err(invalid(vec![format!(
                "The request body must be a JSON array of {} objects.",
                resource.path()
            )]));
        };
        if items.is_empty() {
            return Err(invalid(vec!["The request body is an empty array.".into()]));
        }
        let mut plan = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Value::Object(fields) = item else {
                return Err(invalid(vec![format!("[{index}]: expected an object")]));
            };
            // Halo's JSON reader refuses a value it cannot convert to the field's integer type, with ASP.NET's
            // model state (captured: `{"[0].outcome_id": ["Could not convert string to integer: ..."]}`).
            for (key, value) in fields {
                if (key == "id" || key.ends_with("_id")) && !value.is_null() && lenient_id(value).is_none() {
                    return Err(cannot_convert(index, key, value));
                }
            }
            let id = match fields.get("id") {
                None | Some(Value::Null) => None,
                Some(raw) => lenient_id(raw).filter(|id| *id > 0),
            };
            if let Some(id) = id
                && !self.table(resource).rows.contains_key(&id)
            {
                return Err(Reply::message(404, format!("{} {id} not found", resource.path())));
            }
            if resource == Ticketing::Actions {
                let ticket = fields.get("ticket_id").and_then(lenient_id);
                match ticket {
                    Some(ticket) if self.table(Ticketing::Tickets).rows.contains_key(&ticket) => {}
                    Some(ticket) => return Err(Reply::message(404, format!("Ticket {ticket} not found"))),
                    None if id.is_none() => {
                        return Err(invalid(vec![format!("[{index}].ticket_id: an action needs its ticket.")]));
                    }
                    None => {}
                }
            }
            let file = match (resource, fields.get("data_base64")) {
                (Ticketing::Attachments, Some(Value::String(data))) => {
                    match base64::engine::general_purpose::STANDARD.decode(data.trim()) {
                        Ok(bytes) => Some(bytes),
                        Err(error) => {
                            return Err(invalid(vec![format!("[{index}].data_base64: not valid base64 ({error})")]));
                        }
                    }
                }
                _ => None,
            };
            plan.push((id, fields, file));
        }
        let now = self.now();
        let mut saved = Vec::with_capacity(plan.len());
        for (id, fields, file) in plan {
            if resource == Ticketing::Reports && fields.get("_loadreportonly").is_some_and(|v| v == &json!(true)) {
                let mut report = fields.clone();
                let (content, columns) = self.run_sql(fields.get("sql").and_then(Value::as_str).unwrap_or(""));
                report.insert("report".into(), content);
                report.insert("columns".into(), columns);
                saved.push(Value::Object(report));
                continue;
            }
            let mut record = match id.and_then(|id| self.table(resource).rows.get(&id)) {
                Some(Value::Object(existing)) => existing.clone(),
                // A new ticket has its type's custom fields, blank until set (Halo returns them all).
                _ if resource == Ticketing::Tickets => {
                    let mut record = Map::new();
                    record.insert("customfields".into(), ticket_custom_fields());
                    record
                }
                _ => Map::new(),
            };
            for (key, value) in fields {
                if key != "id" && key != "data_base64" {
                    super::state::store_field(&mut record, key, value);
                }
            }
            // The dates Halo sets, in its form (UTC, no offset, 7 fractional digits).
            match (resource, id) {
                (Ticketing::Tickets, None) => {
                    record.entry("status_id").or_insert(json!(1));
                    record.entry("tickettype_id").or_insert(json!(1));
                    record.entry("timetaken").or_insert(json!(0.0));
                    record.entry("dateoccurred").or_insert(json!(now));
                    for key in ["datecreated", "lastactiondate", "last_update"] {
                        record.insert(key.into(), json!(now));
                    }
                }
                (Ticketing::Tickets, Some(_)) => {
                    record.insert("last_update".into(), json!(now));
                }
                (Ticketing::Actions, None) => {
                    record.entry("hiddenfromuser").or_insert(json!(false));
                    record.entry("timetaken").or_insert(json!(0.0));
                    record.entry("datetime").or_insert(json!(now));
                    record.insert("actiondatecreated".into(), json!(now));
                }
                (Ticketing::Attachments, None) => {
                    record.insert("datecreated".into(), json!(now));
                }
                _ => {}
            }
            if let Some(bytes) = &file {
                record.insert("filesize".into(), json!(bytes.len()));
                if !record.get("content_type").is_some_and(Value::is_string) {
                    let name = record.get("filename").and_then(Value::as_str).unwrap_or("");
                    record.insert("content_type".into(), json!(content_type_for(name)));
                }
            }
            if let Some(id) = id {
                record.insert("id".into(), json!(id));
            }
            let new_id = self.insert(resource, Value::Object(record.clone()));
            if let Some(bytes) = file {
                let text = |key: &str| record.get(key).and_then(Value::as_str).map(str::to_owned);
                let name = text("filename").unwrap_or_else(|| "attachment".to_owned());
                let content_type = text("content_type").unwrap_or_else(|| content_type_for(&name).to_owned());
                self.files.insert(new_id, StoredFile { bytes, name, content_type });
            }
            if resource == Ticketing::Actions {
                self.apply_action(&record, &now);
            }
            saved.push(self.get(resource, new_id).unwrap_or(Value::Null));
        }
        Ok(if saved.len() == 1 { saved.remove(0) } else { Value::Array(saved) })
    }

    /// An action's effect on its ticket: `new_status` changes the ticket's status, `timetaken` adds up, and the
    /// ticket's `lastactiondate` is the action's.
    fn apply_action(&mut self, action: &Map<String, Value>, now: &str) {
        let Some(ticket_id) = action.get("ticket_id").and_then(lenient_id) else { return };
        let Some(Value::Object(ticket)) = self.table_mut(Ticketing::Tickets).rows.get_mut(&ticket_id) else { return };
        ticket.insert("lastactiondate".into(), json!(now));
        ticket.insert("last_update".into(), json!(now));
        if let Some(status) = action.get("new_status").and_then(lenient_id) {
            ticket.insert("status_id".into(), json!(status));
        }
        let time = action.get("timetaken").and_then(Value::as_f64).unwrap_or(0.0);
        let total = ticket.get("timetaken").and_then(Value::as_f64).unwrap_or(0.0) + time;
        ticket.insert("timetaken".into(), json!(total));
    }

    /// `GET /Report/{id}`: the saved report, run when `loadreport=true`.
    pub(crate) fn get_report(&self, id: i64, params: &Params<'_>) -> Result<Option<Value>, Reply> {
        let Some(Value::Object(mut report)) = self.get(Ticketing::Reports, id) else { return Ok(None) };
        if params.bool("loadreport")?.unwrap_or(false) {
            let sql = report.get("sql").and_then(Value::as_str).unwrap_or("").to_owned();
            let (content, columns) = self.run_sql(&sql);
            report.insert("report".into(), content);
            report.insert("columns".into(), columns);
        }
        Ok(Some(Value::Object(report)))
    }

    /// The report engine: `SELECT * | col [AS name], ... FROM table [WHERE col = value [AND col = value ...]]` over
    /// the fake's tables, by Halo's SQL table names (`faults`, `actions`, `device`, `site`, `invoiceheader`, ...)
    /// and, for the columns Halo's database names otherwise, its column names (`faults.faultid`, `symptom`,
    /// `areaint`, ...; [`column`](Self::column)) as well as the fields' own.
    /// Anything else answers like Halo: `loaded: false` and the database's error in `load_error` (HaloAPI's
    /// `Invoke-HaloSQL` reads it there), with status 200. Halo runs the statement inside a query of its own, so an
    /// `ORDER BY` without `TOP` is SQL Server's error 1033 there (why Halo's SQL clients sort rows themselves).
    /// Beside the rows, the report's `columns` describe the selected columns (`name`, `data_type`), as Halo's
    /// `AnalyzerProfileColumn`s do.
    fn run_sql(&self, sql: &str) -> (Value, Value) {
        match self.query(sql) {
            Ok((rows, names)) => {
                let columns: Vec<Value> = names
                    .iter()
                    .map(|name| {
                        let value = rows.first().and_then(|row| row.get(name.as_str()));
                        let data_type = match value {
                            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => json!("int"),
                            Some(Value::Number(_)) => json!("float"),
                            Some(Value::Bool(_)) => json!("bit"),
                            Some(Value::String(_)) => json!("nvarchar"),
                            _ => Value::Null,
                        };
                        json!({ "name": name, "data_type": data_type })
                    })
                    .collect();
                (json!({ "loaded": true, "rows": rows }), Value::Array(columns))
            }
            Err(error) => (json!({ "loaded": false, "load_error": error, "rows": [] }), json!([])),
        }
    }

    /// The fake's field for a column of Halo's database (`faults.symptom` is a ticket's `summary`); other names
    /// are the fields' own.
    fn column(resource: Ticketing, column: &str) -> &str {
        let known: &[(&str, &str)] = match resource {
            Ticketing::Tickets => &[
                ("faultid", "id"),
                ("symptom", "summary"),
                ("symptom2", "details"),
                ("areaint", "client_id"),
                ("sitenumber", "site_id"),
                ("status", "status_id"),
                ("requesttypenew", "tickettype_id"),
                ("assignedtoint", "agent_id"),
                ("dateoccured", "dateoccurred"),
            ],
            Ticketing::Actions => {
                &[("faultid", "ticket_id"), ("actionnumber", "id"), ("whe_", "datetime"), ("actoutcome", "outcome")]
            }
            Ticketing::Assets => &[("did", "id"), ("dinvno", "inventory_number"), ("dsite", "site_id")],
            Ticketing::Sites => &[("ssitenum", "id"), ("sdesc", "name"), ("sarea", "client_id")],
            _ => &[],
        };
        known.iter().find(|(sql, _)| *sql == column).map_or(column, |(_, field)| field)
    }

    fn query(&self, sql: &str) -> Result<(Vec<Value>, Vec<String>), String> {
        let text = sql.trim().trim_end_matches(';');
        let lower = text.to_ascii_lowercase();
        let syntax = || format!("Incorrect syntax near '{}'.", text.split_whitespace().last().unwrap_or(""));
        if lower.contains(" order by ") && !lower.contains(" top ") {
            return Err("The ORDER BY clause is invalid in views, inline functions, derived tables, subqueries, and \
                        common table expressions, unless TOP, OFFSET or FOR XML is also specified."
                .to_owned());
        }
        let rest = lower.strip_prefix("select ").ok_or_else(syntax)?;
        let (columns, rest) = rest.split_once(" from ").ok_or_else(syntax)?;
        let (table, filter) = match rest.split_once(" where ") {
            Some((table, filter)) => (table.trim(), Some(filter)),
            None => (rest.trim(), None),
        };
        let resource = Ticketing::ALL
            .into_iter()
            .find(|r| r.table_name() == table)
            .ok_or_else(|| format!("Invalid object name '{table}'."))?;
        let mut conditions = Vec::new();
        for condition in filter.map(|f| f.split(" and ").collect::<Vec<_>>()).unwrap_or_default() {
            let (column, value) = condition.split_once('=').ok_or_else(syntax)?;
            let field = Self::column(resource, column.trim()).to_owned();
            conditions.push((field, value.trim().trim_matches('\'').to_owned()));
        }
        // `column` or `column AS name`: the field read, and the name the row gives it.
        let columns: Vec<(&str, &str)> = columns
            .split(',')
            .map(|column| match column.trim().split_once(" as ") {
                Some((column, name)) => (Self::column(resource, column.trim()), name.trim()),
                None => (Self::column(resource, column.trim()), column.trim()),
            })
            .collect();
        let names: Vec<String> = match columns.as_slice() {
            [("*", _)] => {
                let mut names: Vec<String> = self
                    .table(resource)
                    .rows
                    .values()
                    .flat_map(|row| row.as_object().into_iter().flat_map(|map| map.keys().cloned()))
                    .collect();
                names.sort();
                names.dedup();
                names
            }
            _ => columns.iter().map(|(_, name)| name.to_string()).collect(),
        };
        let rows = self.table(resource).rows.values().filter(|row| {
            conditions.iter().all(|(column, value)| {
                row.get(column).is_some_and(|v| match v {
                    Value::String(s) => s.eq_ignore_ascii_case(value),
                    Value::Number(n) => value.parse::<f64>().ok() == n.as_f64(),
                    Value::Bool(b) => *value == if *b { "1" } else { "0" },
                    _ => false,
                })
            })
        });
        let rows = rows
            .map(|row| match (columns.as_slice(), row) {
                ([("*", _)], row) => row.clone(),
                (_, Value::Object(map)) => Value::Object(
                    columns
                        .iter()
                        .map(|(field, name)| (name.to_string(), map.get(*field).cloned().unwrap_or(Value::Null)))
                        .collect(),
                ),
                (_, other) => other.clone(),
            })
            .collect();
        Ok((rows, names))
    }

    /// A list answer: filters on the usual ids, `open_only`/`closed_only` on tickets, paging (capped at
    /// `page_cap`, with the faults' list quirks) where Halo pages, wrapped except for statuses and ticket types.
    pub(crate) fn list(
        &self,
        resource: Ticketing,
        params: &Params<'_>,
        page_cap: i64,
        quirks: ListQuirks,
    ) -> Result<Value, Reply> {
        let mut filters: Vec<(&str, i64)> = Vec::new();
        for name in ["client_id", "site_id", "ticket_id", "status_id", "agent_id", "user_id", "assettype_id"] {
            if let Some(value) = params.int(name)? {
                filters.push((name, value));
            }
        }
        let open_only = params.bool("open_only")?.unwrap_or(false);
        let closed_only = params.bool("closed_only")?.unwrap_or(false);
        let exclude_private = params.bool("excludeprivate")?.unwrap_or(false);
        let time_only = params.bool("timeentriesonly")?.unwrap_or(false);
        let exclude_closed = params.bool("excludeclosed")?.unwrap_or(false);
        let search = params.get("search").map(str::to_lowercase).filter(|s| !s.is_empty());
        let rows: Vec<&Value> = self
            .table(resource)
            .rows
            .values()
            .filter(|row| {
                let id = |key: &str| row.get(key).and_then(lenient_id);
                let closed = id("status_id") == Some(CLOSED_STATUS);
                filters.iter().all(|(key, value)| id(key) == Some(*value))
                    && !(resource == Ticketing::Tickets && open_only && closed)
                    && !(resource == Ticketing::Tickets && closed_only && !closed)
                    && !(exclude_private && row.get("hiddenfromuser") == Some(&json!(true)))
                    && !(time_only && row.get("timetaken").and_then(Value::as_f64).unwrap_or(0.0) <= 0.0)
                    && !(resource == Ticketing::Statuses && exclude_closed && id("id") == Some(CLOSED_STATUS))
                    && search.as_deref().is_none_or(|s| {
                        ["summary", "name", "inventory_number", "filename", "invoicenumber"]
                            .iter()
                            .any(|k| row.get(*k).and_then(Value::as_str).is_some_and(|v| v.to_lowercase().contains(s)))
                    })
            })
            .collect();
        let rows: Vec<Value> = if resource == Ticketing::Actions && self.action_ids_per_ticket {
            rows.into_iter().map(|row| self.numbered_within_ticket(row)).collect()
        } else {
            rows.into_iter().cloned().collect()
        };
        let rows: Vec<&Value> = rows.iter().collect();
        let Some(key) = resource.list_key() else {
            return Ok(Value::Array(rows.into_iter().cloned().collect()));
        };
        let mut wrapper = Map::new();
        let page = paginate(rows, params, page_cap, quirks, &mut wrapper)?;
        wrapper.insert(key.into(), Value::Array(page));
        Ok(Value::Object(wrapper))
    }
}

impl TicketingStore {
    /// An action as Halo lists it: its `id` is its number within its ticket (the actions of one ticket in the
    /// order they were added), not unique across tickets.
    fn numbered_within_ticket(&self, action: &Value) -> Value {
        let ticket = action.get("ticket_id").and_then(lenient_id);
        let own = action.get("id").and_then(lenient_id).unwrap_or(0);
        let number = self
            .table(Ticketing::Actions)
            .rows
            .iter()
            .filter(|(id, other)| **id <= own && other.get("ticket_id").and_then(lenient_id) == ticket)
            .count();
        let mut action = action.clone();
        if let Some(fields) = action.as_object_mut() {
            fields.insert("id".into(), json!(number));
        }
        action
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_are_written_as_halo_writes_them() {
        let at = |secs: u64, nanos: u32| halo_time(UNIX_EPOCH + Duration::new(secs, nanos));
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.0000000");
        assert_eq!(at(951_782_400, 0), "2000-02-29T00:00:00.0000000");
        assert_eq!(at(1_764_662_043, 123_456_789), "2025-12-02T07:54:03.1234567");
        assert_eq!(at(4_107_542_400, 999_999_999), "2100-03-01T00:00:00.9999999");
    }
}
