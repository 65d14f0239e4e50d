//! The plain resources of issue 17 (priorities, SLAs, contracts, projects, quotes, webhooks, ...): one table-driven
//! store with Halo's usual semantics (a create-or-update POST of an array, a wrapped list with `record_count`, paging
//! capped where Halo pages, get by id, delete where Halo has it), plus the few behaviours the scenarios need and
//! Halo's swagger supports: a quote sent with `_create_so` gets a sales order (`OrderHead.quotation_id`,
//! `QuotationHeader.salesorder_id`), and a timesheet lists its agent's events of its day (`Timesheet.events`).
//!
//! Kept apart from `state.rs` and `ticketing.rs`, like them it answers the way those do: all-or-nothing upserts,
//! 404 for an unknown id, ASP.NET's binding errors for a bad query value.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::reply::Reply;
use super::state::{DEFAULT_PAGE_SIZE, Params, lenient_id, store_field};

/// A plain resource the fake serves (see the module docs of `halopsa_fake` for the semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Plain {
    /// `/api/Priority`, list key `priorities`; records keyed by a uuid `id`.
    Priorities,
    /// `/api/SLA`, list key `slas`.
    Slas,
    /// `/api/Outcome`, list key `outcomes`.
    Outcomes,
    /// `/api/Category`, list key `categories`.
    Categories,
    /// `/api/Lookup`, list key `lookup`; `lookupid` filters the values of one lookup.
    Lookups,
    /// `/api/FieldInfo`, list key `fields`.
    FieldInfo,
    /// `/api/ClientContract`, list key `contracts`, paged.
    ClientContracts,
    /// `/api/Projects`, list key `tickets`, paged.
    Projects,
    /// `/api/Appointment`, list key `appointments`, paged.
    Appointments,
    /// `/api/Timesheet`, list key `timesheets`; no delete; each timesheet lists its agent's events of its day.
    Timesheets,
    /// `/api/TimesheetEvent`, list key `timesheetevents`.
    TimesheetEvents,
    /// `/api/Opportunities`, list key `tickets`, paged.
    Opportunities,
    /// `/api/KBArticle`, list key `articles`, paged.
    KbArticles,
    /// `/api/Quotation`, list key `quotes`, paged; `_create_so: true` makes a sales order of the quote.
    Quotes,
    /// `/api/Item`, list key `items`, paged.
    Items,
    /// `/api/Supplier`, list key `suppliers`, paged.
    Suppliers,
    /// `/api/PurchaseOrder`, list key `purchaseorders`, paged.
    PurchaseOrders,
    /// `/api/Webhook`, list key `webhooks`; records keyed by a uuid `id`.
    Webhooks,
    /// `/api/WebhookEvent`, list key `webhookevents`, paged; records keyed by a uuid `id`; no delete.
    WebhookEvents,
    /// `/api/RecurringInvoice`, list key `invoices`, paged.
    RecurringInvoices,
    /// `/api/SoftwareLicence`, list key `licences`, paged.
    SoftwareLicences,
    /// `/api/CustomTable`, list key `customtables`.
    CustomTables,
    /// `/api/SalesOrder`, list key `salesorders` (HaloAPI's `Get-HaloSalesOrder`), paged: not a curated resource of
    /// the client, served so that a test can read the order a quote became (`Client::request`).
    SalesOrders,
}

/// How the fake treats one resource.
struct Table {
    path: &'static str,
    key: &'static str,
    paged: bool,
    delete: bool,
    /// Records are keyed by a uuid (a string `id`) rather than an integer.
    uuid: bool,
    /// Query parameters that filter on the field of the same name (equal, ids compared leniently).
    filters: &'static [&'static str],
    /// Fields `search` looks in (case-insensitive substring).
    search: &'static [&'static str],
    /// The scope area of the spec (`read:<area>`/`edit:<area>`), or `admin`.
    area: &'static str,
}

impl Plain {
    /// Every plain resource.
    pub const ALL: [Plain; 23] = [
        Plain::Priorities,
        Plain::Slas,
        Plain::Outcomes,
        Plain::Categories,
        Plain::Lookups,
        Plain::FieldInfo,
        Plain::ClientContracts,
        Plain::Projects,
        Plain::Appointments,
        Plain::Timesheets,
        Plain::TimesheetEvents,
        Plain::Opportunities,
        Plain::KbArticles,
        Plain::Quotes,
        Plain::Items,
        Plain::Suppliers,
        Plain::PurchaseOrders,
        Plain::Webhooks,
        Plain::WebhookEvents,
        Plain::RecurringInvoices,
        Plain::SoftwareLicences,
        Plain::CustomTables,
        Plain::SalesOrders,
    ];

    fn table(self) -> Table {
        const TICKET_FILTERS: &[&str] = &["client_id", "site_id", "user_id", "agent_id", "status_id", "tickettype_id"];
        let t = |path, key, paged, area| Table {
            path,
            key,
            paged,
            delete: true,
            uuid: false,
            filters: &[],
            search: &["name"],
            area,
        };
        match self {
            Plain::Priorities => {
                Table { uuid: true, filters: &["slaid"], ..t("Priority", "priorities", false, "tickets") }
            }
            Plain::Slas => t("SLA", "slas", false, "tickets"),
            Plain::Outcomes => Table { search: &["outcome"], ..t("Outcome", "outcomes", false, "tickets") },
            Plain::Categories => {
                Table { filters: &["type_id"], search: &["value"], ..t("Category", "categories", false, "tickets") }
            }
            Plain::Lookups => Table { filters: &["lookupid"], ..t("Lookup", "lookup", false, "admin") },
            Plain::FieldInfo => t("FieldInfo", "fields", false, "admin"),
            Plain::ClientContracts => Table {
                filters: &["client_id", "site_id"],
                search: &["ref"],
                ..t("ClientContract", "contracts", true, "contracts")
            },
            Plain::Projects => {
                Table { filters: TICKET_FILTERS, search: &["summary"], ..t("Projects", "tickets", true, "projects") }
            }
            Plain::Appointments => Table {
                filters: &["ticket_id", "client_id", "agent_id"],
                search: &["subject"],
                ..t("Appointment", "appointments", true, "calendar")
            },
            Plain::Timesheets => {
                Table { delete: false, filters: &["agent_id"], ..t("Timesheet", "timesheets", false, "timesheets") }
            }
            Plain::TimesheetEvents => Table {
                filters: &["agent_id", "ticket_id"],
                search: &["subject"],
                ..t("TimesheetEvent", "timesheetevents", false, "timesheets")
            },
            Plain::Opportunities => {
                Table { filters: TICKET_FILTERS, search: &["summary"], ..t("Opportunities", "tickets", true, "crm") }
            }
            Plain::KbArticles => Table {
                filters: &["client_id", "site_id"],
                search: &["name", "description", "tag_string"],
                ..t("KBArticle", "articles", true, "kb")
            },
            Plain::Quotes => Table {
                filters: &["client_id", "site_id", "user_id", "ticket_id"],
                search: &["title"],
                ..t("Quotation", "quotes", true, "quotes")
            },
            Plain::Items => Table { filters: &["supplier_id", "assetgroup_id"], ..t("Item", "items", true, "items") },
            Plain::Suppliers => Table { filters: &["toplevel_id"], ..t("Supplier", "suppliers", true, "suppliers") },
            Plain::PurchaseOrders => Table {
                filters: &["client_id", "site_id", "supplier_id", "ticket_id", "salesorder_id"],
                search: &["title"],
                ..t("PurchaseOrder", "purchaseorders", true, "pos")
            },
            Plain::Webhooks => Table { uuid: true, ..t("Webhook", "webhooks", false, "admin") },
            Plain::WebhookEvents => Table {
                uuid: true,
                delete: false,
                filters: &["webhook_id"],
                search: &[],
                ..t("WebhookEvent", "webhookevents", true, "admin")
            },
            Plain::RecurringInvoices => Table {
                filters: &["client_id", "site_id", "contract_id", "ticket_id"],
                search: &["invoicenumber"],
                ..t("RecurringInvoice", "invoices", true, "invoices")
            },
            Plain::SoftwareLicences => Table {
                filters: &["client_id", "site_id"],
                ..t("SoftwareLicence", "licences", true, "softwarelicensing")
            },
            Plain::CustomTables => t("CustomTable", "customtables", false, "admin"),
            Plain::SalesOrders => Table {
                filters: &["client_id", "site_id", "ticket_id", "quotation_id"],
                search: &["title"],
                ..t("SalesOrder", "salesorders", true, "sos")
            },
        }
    }

    /// The path segment after `/api/`, as Halo spells it.
    pub fn path(self) -> &'static str {
        self.table().path
    }

    /// The array key of the wrapped list answer.
    pub fn list_key(self) -> &'static str {
        self.table().key
    }

    /// Whether lists page (`pageinate`, `page_no`, `page_size`, capped like Halo's).
    pub fn paged(self) -> bool {
        self.table().paged
    }

    /// Whether records are keyed by a uuid (a string `id`).
    pub fn uuid_ids(self) -> bool {
        self.table().uuid
    }

    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        Plain::ALL.into_iter().find(|r| r.path().eq_ignore_ascii_case(segment))
    }

    /// The scopes a request needs, any one enough (the spec's security requirements): `read:<area>` for GET,
    /// `edit:<area>` otherwise, `admin` for configuration (`all` and `all:standard` are handled by `covers`).
    pub(crate) fn scopes(self, method: &str) -> Vec<&'static str> {
        let area = self.table().area;
        if area == "admin" {
            return vec!["admin"];
        }
        let read = method.eq_ignore_ascii_case("GET");
        let scope = SCOPES.iter().find(|(a, _, _)| *a == area).map(|(_, r, e)| if read { *r } else { *e });
        vec![scope.unwrap_or("admin")]
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// `(area, read scope, edit scope)`: static strings for the scopes of [`Plain::scopes`].
const SCOPES: &[(&str, &str, &str)] = &[
    ("tickets", "read:tickets", "edit:tickets"),
    ("contracts", "read:contracts", "edit:contracts"),
    ("projects", "read:projects", "edit:projects"),
    ("calendar", "read:calendar", "edit:calendar"),
    ("timesheets", "read:timesheets", "edit:timesheets"),
    ("crm", "read:crm", "edit:crm"),
    ("kb", "read:kb", "edit:kb"),
    ("quotes", "read:quotes", "edit:quotes"),
    ("items", "read:items", "edit:items"),
    ("suppliers", "read:suppliers", "edit:suppliers"),
    ("pos", "read:pos", "edit:pos"),
    ("invoices", "read:invoices", "edit:invoices"),
    ("softwarelicensing", "read:softwarelicensing", "edit:softwarelicensing"),
    ("sos", "read:sos", "edit:sos"),
];

/// A record's key: an integer id, or a uuid for the resources keyed by one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Int(i64),
    Uuid(String),
}

#[derive(Default)]
struct Rows {
    rows: BTreeMap<Key, Value>,
    last_id: i64,
}

/// The records of every plain resource.
pub(crate) struct PlainStore {
    tables: Vec<Rows>,
}

impl Default for PlainStore {
    fn default() -> Self {
        PlainStore { tables: Plain::ALL.iter().map(|_| Rows::default()).collect() }
    }
}

fn invalid(errors: Vec<String>) -> Reply {
    Reply::validation("The request is invalid.", errors)
}

/// The uuid the fake gives the `n`th record of a resource keyed by one.
fn uuid(n: i64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

impl PlainStore {
    fn rows(&self, resource: Plain) -> &Rows {
        &self.tables[resource.index()]
    }

    fn rows_mut(&mut self, resource: Plain) -> &mut Rows {
        &mut self.tables[resource.index()]
    }

    /// A key from an `id` value or path segment; `None` when it is not one (or names no record to update: empty,
    /// 0 or less).
    fn key(resource: Plain, value: &Value) -> Option<Key> {
        if resource.uuid_ids() {
            value.as_str().map(str::trim).filter(|s| !s.is_empty()).map(|s| Key::Uuid(s.to_ascii_lowercase()))
        } else {
            lenient_id(value).filter(|id| *id > 0).map(Key::Int)
        }
    }

    pub(crate) fn records(&self, resource: Plain) -> Vec<Value> {
        self.rows(resource).rows.values().cloned().collect()
    }

    /// One record by its id (an integer, or a uuid as text).
    pub(crate) fn get(&self, resource: Plain, id: &str) -> Option<Value> {
        let key = Self::key(resource, &Value::String(id.to_owned()))?;
        let record = self.rows(resource).rows.get(&key)?.clone();
        Some(self.with_derived(resource, record))
    }

    /// A record with what Halo derives when it answers: a timesheet's events.
    fn with_derived(&self, resource: Plain, mut record: Value) -> Value {
        if resource == Plain::Timesheets
            && let Value::Object(fields) = &mut record
        {
            let agent = fields.get("agent_id").and_then(lenient_id);
            let day = fields.get("date").and_then(Value::as_str).map(|d| d.chars().take(10).collect::<String>());
            let events: Vec<Value> = self
                .rows(Plain::TimesheetEvents)
                .rows
                .values()
                .filter(|event| {
                    let start = event.get("start_date").and_then(Value::as_str).unwrap_or_default();
                    agent.is_some()
                        && event.get("agent_id").and_then(lenient_id) == agent
                        && day.as_deref().is_some_and(|day| start.starts_with(day))
                })
                .cloned()
                .collect();
            fields.insert("events".into(), Value::Array(events));
        }
        record
    }

    /// The days Halo lists a timesheet for that nobody saved: each agent's day with timesheet events but no stored
    /// timesheet, as `{"id": 0, "agent_id": .., "date": "<day>T00:00:00"}` (Halo lists an unsaved timesheet with id
    /// 0, so ids do not tell such days apart; issue 20).
    fn unsaved_timesheets(&self) -> Vec<Value> {
        let day_of = |text: Option<&Value>| -> Option<String> {
            let text = text?.as_str()?;
            (text.len() >= 10).then(|| text.chars().take(10).collect())
        };
        let saved: BTreeSet<(i64, String)> = self
            .rows(Plain::Timesheets)
            .rows
            .values()
            .filter_map(|sheet| Some((sheet.get("agent_id").and_then(lenient_id)?, day_of(sheet.get("date"))?)))
            .collect();
        let days: BTreeSet<(i64, String)> = self
            .rows(Plain::TimesheetEvents)
            .rows
            .values()
            .filter_map(|event| Some((event.get("agent_id").and_then(lenient_id)?, day_of(event.get("start_date"))?)))
            .filter(|day| !saved.contains(day))
            .collect();
        days.into_iter()
            .map(|(agent, day)| json!({ "id": 0, "agent_id": agent, "date": format!("{day}T00:00:00") }))
            .collect()
    }

    /// Stores a record as is (its own id, else the next one) and returns its id as JSON.
    pub(crate) fn insert(&mut self, resource: Plain, record: Value) -> Value {
        let mut record = match record {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let own = record.get("id").and_then(|id| Self::key(resource, id));
        let rows = self.rows_mut(resource);
        let key = match own {
            Some(key) => key,
            None => {
                rows.last_id += 1;
                if resource.uuid_ids() { Key::Uuid(uuid(rows.last_id)) } else { Key::Int(rows.last_id) }
            }
        };
        if let Key::Int(id) = &key {
            rows.last_id = rows.last_id.max(*id);
        }
        let id = match &key {
            Key::Int(id) => json!(id),
            Key::Uuid(id) => json!(id),
        };
        record.insert("id".into(), id.clone());
        rows.rows.insert(key, Value::Object(record));
        id
    }

    pub(crate) fn delete(&mut self, resource: Plain, id: &str) -> bool {
        match Self::key(resource, &Value::String(id.to_owned())) {
            Some(key) => self.rows_mut(resource).rows.remove(&key).is_some(),
            None => false,
        }
    }

    /// Halo's create-or-update, all or nothing: an item whose id names a record updates the fields sent (absent
    /// fields untouched, `null` blanks, `customfields` replaced as Halo does), one without an id (or 0, -1, an
    /// empty uuid) creates; an id that names no record is 404. `_`-prefixed fields are commands, not stored: a
    /// quote's `_create_so: true` makes a sales order of it, once.
    pub(crate) fn upsert(&mut self, resource: Plain, body: &Value) -> Result<Value, Reply> {
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
            let key = match fields.get("id") {
                None | Some(Value::Null) => None,
                Some(raw) => match (Self::key(resource, raw), resource.uuid_ids(), lenient_id(raw)) {
                    (Some(key), _, _) => Some(key),
                    (None, true, _) if raw.is_string() => None,
                    (None, false, Some(_)) => None,
                    (None, _, _) => {
                        return Err(invalid(vec![format!("[{index}].id: the value {raw} is not a valid id.")]));
                    }
                },
            };
            if let Some(key) = &key
                && !self.rows(resource).rows.contains_key(key)
            {
                return Err(Reply::message(404, format!("{} {} not found", resource.path(), display(key))));
            }
            plan.push((key, fields));
        }
        let mut saved = Vec::with_capacity(plan.len());
        for (key, fields) in plan {
            let mut record = match key.as_ref().and_then(|key| self.rows(resource).rows.get(key)) {
                Some(Value::Object(existing)) => existing.clone(),
                _ => Map::new(),
            };
            for (name, value) in fields {
                if name != "id" && !name.starts_with('_') {
                    store_field(&mut record, name, value);
                }
            }
            if let Some(key) = &key {
                record.insert("id".into(), key_json(key));
            }
            let id = self.insert(resource, Value::Object(record));
            if resource == Plain::Quotes && fields.get("_create_so") == Some(&Value::Bool(true)) {
                self.make_sales_order(&id);
            }
            let stored = self.get(resource, &id_text(&id)).unwrap_or(Value::Null);
            saved.push(stored);
        }
        Ok(if saved.len() == 1 { saved.remove(0) } else { Value::Array(saved) })
    }

    /// A sales order made from a quote (once: a quote with a `salesorder_id` keeps it): the quote's title, client,
    /// site, user, ticket and lines (copied as they are), `quotation_id` naming the quote; the quote gets its
    /// `salesorder_id`.
    fn make_sales_order(&mut self, quote_id: &Value) {
        let key = Key::Int(lenient_id(quote_id).unwrap_or_default());
        let Some(Value::Object(quote)) = self.rows(Plain::Quotes).rows.get(&key).cloned() else { return };
        if quote.get("salesorder_id").and_then(lenient_id).is_some_and(|id| id > 0) {
            return;
        }
        let mut order = Map::new();
        for field in ["title", "client_id", "client_name", "site_id", "user_id", "ticket_id", "lines", "total"] {
            if let Some(value) = quote.get(field) {
                order.insert(field.into(), value.clone());
            }
        }
        order.insert("quotation_id".into(), quote_id.clone());
        let order_id = self.insert(Plain::SalesOrders, Value::Object(order));
        if let Some(Value::Object(quote)) = self.rows_mut(Plain::Quotes).rows.get_mut(&key) {
            quote.insert("salesorder_id".into(), order_id);
        }
    }

    /// A list answer: the resource's filters, `search`, paging (capped at `page_cap`) where Halo pages, else
    /// `count`; always wrapped with `record_count`.
    pub(crate) fn list(&self, resource: Plain, params: &Params<'_>, page_cap: i64) -> Result<Value, Reply> {
        let table = resource.table();
        let mut filters: Vec<(&str, &str)> = Vec::new();
        for name in table.filters {
            if let Some(value) = params.get(name).filter(|v| !v.is_empty()) {
                filters.push((name, value));
            }
        }
        let search = params.get("search").map(str::to_lowercase).filter(|s| !s.is_empty());
        let unsaved = if resource == Plain::Timesheets { self.unsaved_timesheets() } else { Vec::new() };
        let rows: Vec<Value> = self
            .rows(resource)
            .rows
            .values()
            .chain(unsaved.iter())
            .filter(|row| {
                filters.iter().all(|(name, wanted)| match row.get(*name) {
                    Some(Value::String(s)) => s.eq_ignore_ascii_case(wanted),
                    Some(value) => lenient_id(value).is_some_and(|v| Some(v) == wanted.trim().parse().ok()),
                    None => false,
                }) && search.as_deref().is_none_or(|s| {
                    table
                        .search
                        .iter()
                        .any(|k| row.get(*k).and_then(Value::as_str).is_some_and(|v| v.to_lowercase().contains(s)))
                })
            })
            .map(|row| self.with_derived(resource, row.clone()))
            .collect();
        let mut wrapper = Map::new();
        wrapper.insert("record_count".into(), json!(rows.len()));
        let page: Vec<Value> = if table.paged && params.bool("pageinate")?.unwrap_or(false) {
            let asked = params.int("page_size")?.unwrap_or(DEFAULT_PAGE_SIZE);
            let size = if asked < 1 { DEFAULT_PAGE_SIZE.min(page_cap) } else { asked.min(page_cap) };
            let no = params.int("page_no")?.unwrap_or(1).max(1);
            wrapper.insert("page_no".into(), json!(no));
            wrapper.insert("page_size".into(), json!(asked));
            let skip = usize::try_from((no - 1).saturating_mul(size)).unwrap_or(usize::MAX);
            rows.into_iter().skip(skip).take(usize::try_from(size).unwrap_or(0)).collect()
        } else {
            let count = params.int("count")?.filter(|c| *c >= 0);
            rows.into_iter().take(count.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(usize::MAX))).collect()
        };
        wrapper.insert(table.key.into(), Value::Array(page));
        Ok(Value::Object(wrapper))
    }

    /// Routes one request to `/api/<resource>[/{id}]`; `None` for a path the resource does not have. `body` is the
    /// parsed JSON body of a POST, or the error Halo answers when there is none.
    pub(crate) fn route(
        &mut self,
        resource: Plain,
        segments: &[&str],
        method: &str,
        params: &Params<'_>,
        body: Option<Result<&Value, Reply>>,
        page_cap: i64,
    ) -> Option<Reply> {
        let missing = |id: &str| Reply::message(404, format!("{} {id} not found", resource.path()));
        let not_allowed =
            || Reply::message(405, format!("The requested resource does not support http method '{method}'."));
        let id = segments.get(1).copied();
        if let Some(id) = id
            && segments.len() == 2
            && Self::key(resource, &Value::String(id.to_owned())).is_none()
            && !resource.uuid_ids()
        {
            return Some(invalid(vec![format!("The value '{id}' is not valid for id.")]));
        }
        Some(match (method, segments.len()) {
            ("GET", 1) => {
                self.list(resource, params, page_cap).map(|list| Reply::json(200, list)).unwrap_or_else(|r| r)
            }
            ("POST", 1) => match body {
                Some(Ok(body)) => {
                    self.upsert(resource, body).map(|saved| Reply::json(200, saved)).unwrap_or_else(|r| r)
                }
                Some(Err(reply)) => reply,
                None => invalid(vec!["A non-empty request body is required.".into()]),
            },
            ("GET", 2) => {
                let id = id.unwrap_or_default();
                self.get(resource, id).map_or_else(|| missing(id), |record| Reply::json(200, record))
            }
            ("DELETE", 2) if resource.table().delete => {
                let id = id.unwrap_or_default();
                if self.delete(resource, id) { Reply::empty(200) } else { missing(id) }
            }
            (_, 1 | 2) => not_allowed(),
            _ => return None,
        })
    }
}

fn key_json(key: &Key) -> Value {
    match key {
        Key::Int(id) => json!(id),
        Key::Uuid(id) => json!(id),
    }
}

fn display(key: &Key) -> String {
    match key {
        Key::Int(id) => id.to_string(),
        Key::Uuid(id) => id.clone(),
    }
}

/// An id as it appears in a path: `42` or the uuid.
pub(crate) fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
