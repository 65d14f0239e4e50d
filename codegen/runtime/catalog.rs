//! A catalog of names and ids: [`Catalog`] resolves the names automations are written with ("Closed", "Incident",
//! "High") to the ids Halo's records take, from cached copies of Halo's small lists, and says which names are valid
//! when one is not ([`CatalogError`]).
//!
//! The lists are read through the client as JSON (`GET /Status`, `/TicketType`, `/Priority?slaid=`, `/Outcome`,
//! `/Category`, `/Team`, `/Agent`, `/Site`), not through the generated resources: a catalog works whichever resource
//! features a consumer enables (priorities, outcomes and categories are off by default), and the runtime names no
//! model of whatever spec it is generated from (as `Client::whoami` does). Each list is cached for a time-to-live,
//! fetched by one task while the others wait for it (single flight), and never used once its time is up.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::Method;
use serde::de::{Deserialize, Deserializer};
use serde_json::Value;
use tokio::time::Instant;

use super::paging::{ListPage, Pages, RecordKey};
use super::{Client, Error, ErrorKind, Request};

/// How long a list is used before it is read again, unless said otherwise ([`Catalog::with_ttl`]).
pub const DEFAULT_CATALOG_TTL: Duration = Duration::from_secs(600);

/// Names to ids, from cached copies of Halo's lists: statuses, ticket types, priorities (per SLA), outcomes,
/// categories, teams, agents and sites.
///
/// ```no_run
/// # async fn example(client: halopsa::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let catalog = halopsa::Catalog::new(&client);
/// let closed = catalog.status("Closed").await?;
/// let high = catalog.priority_for("Incident", "High").await?; // the priority of the ticket type's SLA
/// println!("status {closed}, priority {high}");
/// # Ok(())
/// # }
/// ```
///
/// * **Cheap to share.** `Clone`, `Send` and `Sync`: clones share one cache (an `Arc`), so one catalog serves every
///   task of a program.
/// * **Cached for a time-to-live.** A list is read when a lookup first needs it, and read again by the first lookup
///   after its time-to-live ([`DEFAULT_CATALOG_TTL`], 10 minutes, counted from when its read started): a lookup
///   never answers from a copy older than that. [`refresh`](Self::refresh) reads every list already read at once,
///   say after changing Halo's configuration.
/// * **Read once under concurrency.** Tasks that need the same list at the same time wait for one read of it
///   (single flight); a read that fails is not cached, so the next lookup tries again.
/// * **Names as people write them.** A name matches case-insensitively, without the spaces around it. A name no
///   record has is a [`CatalogError::NotFound`] listing the valid names and the near matches
///   (`"Closd"`: did you mean "Closed"?); a name several records have (two sites of different clients called
///   "Head Office") is [`CatalogError::Ambiguous`], with their ids.
/// * **Any features.** The lists are read as JSON through the client, so a catalog works whichever resources the
///   crate was built with.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    ttl: Duration,
    lists: [Slot; 7],
    /// Priorities, per SLA (`GET /Priority?slaid=`).
    priorities: Mutex<BTreeMap<i64, Arc<Slot>>>,
}

/// One cached list: the single-flight lock around it, and when its read started.
#[derive(Default)]
struct Slot {
    cached: tokio::sync::Mutex<Option<(Instant, Arc<Vec<Named>>)>>,
}

/// A record of a list: its id, its name, and for a ticket type its default SLA.
#[derive(Debug, Clone)]
struct Named {
    id: i64,
    name: String,
    sla: Option<i64>,
}

/// The lists a catalog reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Status,
    TicketType,
    Outcome,
    Category,
    Team,
    Agent,
    Site,
    Priority,
}

impl List {
    const CACHED: [List; 7] =
        [List::Status, List::TicketType, List::Outcome, List::Category, List::Team, List::Agent, List::Site];

    /// What errors call the list.
    fn label(self) -> &'static str {
        match self {
            List::Status => "status",
            List::TicketType => "ticket type",
            List::Outcome => "outcome",
            List::Category => "category",
            List::Team => "team",
            List::Agent => "agent",
            List::Site => "site",
            List::Priority => "priority",
        }
    }

    /// The path, whether Halo pages it, and the members that hold a record's id and name (the first one set).
    fn source(self) -> (&'static str, bool, &'static str, &'static [&'static str]) {
        match self {
            List::Status => ("/Status", false, "id", &["name"]),
            List::TicketType => ("/TicketType", false, "id", &["name"]),
            // An outcome's name is its `outcome` ("Private Note"); a category's its `value` ("Hardware>Laptop").
            List::Outcome => ("/Outcome", false, "id", &["outcome", "name"]),
            List::Category => ("/Category", false, "id", &["value", "category_name"]),
            List::Team => ("/Team", false, "id", &["name"]),
            List::Agent => ("/Agent", true, "id", &["name"]),
            List::Site => ("/Site", true, "id", &["name"]),
            // A priority's `id` is a uuid; tickets take its `priorityid`.
            List::Priority => ("/Priority", false, "priorityid", &["name"]),
        }
    }
}

/// Which ticket type [`Catalog::priority_for`] means: its id (`1`) or its name (`"Incident"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketTypeRef {
    /// The ticket type's id.
    Id(i64),
    /// The ticket type's name.
    Name(String),
}

impl From<i64> for TicketTypeRef {
    fn from(id: i64) -> Self {
        TicketTypeRef::Id(id)
    }
}

impl From<i32> for TicketTypeRef {
    fn from(id: i32) -> Self {
        TicketTypeRef::Id(id.into())
    }
}

impl From<&str> for TicketTypeRef {
    fn from(name: &str) -> Self {
        TicketTypeRef::Name(name.to_owned())
    }
}

impl From<String> for TicketTypeRef {
    fn from(name: String) -> Self {
        TicketTypeRef::Name(name)
    }
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog").field("ttl", &self.inner.ttl).finish_non_exhaustive()
    }
}

impl Catalog {
    /// A catalog reading through `client`, its lists kept for [`DEFAULT_CATALOG_TTL`].
    pub fn new(client: &Client) -> Catalog {
        Catalog::with_ttl(client, DEFAULT_CATALOG_TTL)
    }

    /// A catalog whose lists are kept for `ttl` (zero: read for every lookup).
    pub fn with_ttl(client: &Client, ttl: Duration) -> Catalog {
        Catalog {
            inner: Arc::new(Inner {
                client: client.clone(),
                ttl,
                lists: Default::default(),
                priorities: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// The id of the ticket status called `name` (`"Closed"`).
    pub async fn status(&self, name: &str) -> Result<i64, CatalogError> {
        self.id_of(List::Status, name).await
    }

    /// The id of the ticket type called `name` (`"Incident"`).
    pub async fn ticket_type(&self, name: &str) -> Result<i64, CatalogError> {
        self.id_of(List::TicketType, name).await
    }

    /// The id of the priority called `name` (`"High"`) for tickets of `ticket_type` (its id or name): Halo's
    /// priorities belong to an SLA, so this is the priority of the ticket type's default SLA (its `default_sla`),
    /// the number a ticket's `priority_id` takes.
    pub async fn priority_for(&self, ticket_type: impl Into<TicketTypeRef>, name: &str) -> Result<i64, CatalogError> {
        let types = self.list(List::TicketType, None).await?;
        let ticket_type = match ticket_type.into() {
            TicketTypeRef::Id(id) => types
                .iter()
                .find(|t| t.id == id)
                .cloned()
                .ok_or_else(|| not_found(List::TicketType, &id.to_string(), &types))?,
            TicketTypeRef::Name(name) => {
                let id = find(List::TicketType, &name, &types)?;
                types.iter().find(|t| t.id == id).cloned().ok_or_else(|| not_found(List::TicketType, &name, &types))?
            }
        };
        let Some(sla) = ticket_type.sla.filter(|sla| *sla > 0) else {
            return Err(CatalogError::NoSla { ticket_type: ticket_type.name });
        };
        let priorities = self.list(List::Priority, Some(sla)).await?;
        find(List::Priority, name, &priorities)
    }

    /// The id of the outcome (action type) called `name` (`"Private Note"`).
    pub async fn outcome(&self, name: &str) -> Result<i64, CatalogError> {
        self.id_of(List::Outcome, name).await
    }

    /// The id of the category whose value is `name` (`"Hardware>Laptop"`).
    pub async fn category(&self, name: &str) -> Result<i64, CatalogError> {
        self.id_of(List::Category, name).await
    }

    /// The id of the team called `name`.
    pub async fn team(&self, name: &str) -> Result<i64, CatalogError> {
        self.id_of(List::Team, name).await
    }

    /// The id of the agent called `name` (Halo's list of agents: enabled ones, unless Halo says otherwise).
    pub async fn agent(&self, name: &str) -> Result<i64, CatalogError> {
        self.id_of(List::Agent, name).await
    }

    /// The id of the site called `name` (sites of different clients may share a name: then the error lists their
    /// ids).
    pub async fn site(&self, name: &str) -> Result<i64, CatalogError> {
        self.id_of(List::Site, name).await
    }

    /// Reads every list this catalog has read before again now (each once, even while lookups wait for it), so the
    /// next lookups see Halo's current configuration. Lists not read yet stay unread until a lookup needs them.
    pub async fn refresh(&self) -> Result<(), CatalogError> {
        for (list, slot) in List::CACHED.iter().zip(&self.inner.lists) {
            self.refresh_slot(*list, None, slot).await?;
        }
        let priorities: Vec<(i64, Arc<Slot>)> = {
            let map = self.inner.priorities.lock().unwrap_or_else(PoisonError::into_inner);
            map.iter().map(|(sla, slot)| (*sla, slot.clone())).collect()
        };
        for (sla, slot) in priorities {
            self.refresh_slot(List::Priority, Some(sla), &slot).await?;
        }
        Ok(())
    }

    async fn refresh_slot(&self, list: List, sla: Option<i64>, slot: &Slot) -> Result<(), CatalogError> {
        let mut cached = slot.cached.lock().await;
        if cached.is_some() {
            let started = Instant::now();
            *cached = Some((started, Arc::new(self.fetch(list, sla).await?)));
        }
        Ok(())
    }

    async fn id_of(&self, list: List, name: &str) -> Result<i64, CatalogError> {
        let records = self.list(list, None).await?;
        find(list, name, &records)
    }

    /// The list, from the cache while it is younger than the time-to-live, else read (by one caller at a time: the
    /// others wait on the slot's lock, then find it fresh).
    async fn list(&self, list: List, sla: Option<i64>) -> Result<Arc<Vec<Named>>, CatalogError> {
        let slot = match (list, sla) {
            (List::Priority, Some(sla)) => {
                let mut map = self.inner.priorities.lock().unwrap_or_else(PoisonError::into_inner);
                map.entry(sla).or_default().clone()
            }
            _ => {
                let index = List::CACHED.iter().position(|l| *l == list).unwrap_or_default();
                return self.cached(list, None, &self.inner.lists[index]).await;
            }
        };
        self.cached(list, sla, &slot).await
    }

    async fn cached(&self, list: List, sla: Option<i64>, slot: &Slot) -> Result<Arc<Vec<Named>>, CatalogError> {
        let mut cached = slot.cached.lock().await;
        if let Some((started, records)) = cached.as_ref() {
            if started.elapsed() < self.inner.ttl {
                return Ok(records.clone());
            }
        }
        let started = Instant::now();
        let records = Arc::new(self.fetch(list, sla).await?);
        *cached = Some((started, records.clone()));
        Ok(records)
    }

    /// Reads a whole list (every page of a paged one) as JSON.
    async fn fetch(&self, list: List, sla: Option<i64>) -> Result<Vec<Named>, CatalogError> {
        let (path, paged, id_key, name_keys) = list.source();
        let mut request = Request::new(Method::GET, path);
        if let Some(sla) = sla {
            request.query("slaid", Some(&sla));
        }
        let client = self.inner.client.clone();
        let pages = if paged { Pages::<JsonList>::new(client, request) } else { Pages::unpaged(client, request) };
        let records = pages.all().await.map_err(|failed| CatalogError::Fetch(failed.into_parts().0))?;
        Ok(records
            .iter()
            .filter_map(|record| {
                let id = record.get(id_key).and_then(lenient_i64)?;
                let name = name_keys.iter().find_map(|key| record.get(*key).and_then(Value::as_str))?;
                let sla = record.get("default_sla").and_then(lenient_i64);
                Some(Named { id, name: name.trim().to_owned(), sla })
            })
            .collect())
    }
}

/// A number Halo sends as `3`, `3.0` or `"3"`.
fn lenient_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// The one record called `name` (case-insensitive, trimmed).
fn find(list: List, name: &str, records: &[Named]) -> Result<i64, CatalogError> {
    let wanted = name.trim();
    let ids: Vec<i64> =
        records.iter().filter(|record| record.name.eq_ignore_ascii_case(wanted)).map(|record| record.id).collect();
    match ids.as_slice() {
        [id] => Ok(*id),
        [] => Err(not_found(list, wanted, records)),
        _ => Err(CatalogError::Ambiguous { list: list.label(), name: wanted.to_owned(), ids }),
    }
}

fn not_found(list: List, name: &str, records: &[Named]) -> CatalogError {
    let mut valid: Vec<String> = records.iter().map(|record| record.name.clone()).collect();
    valid.sort_by_key(|name| name.to_lowercase());
    valid.dedup();
    let near = near_matches(name, &valid);
    CatalogError::NotFound { list: list.label(), name: name.to_owned(), valid, near }
}

/// Up to five names close to `name`: one containing the other (ignoring case and punctuation), or within a few
/// edits (a quarter of the name's length, at least one), closest first.
fn near_matches(name: &str, valid: &[String]) -> Vec<String> {
    let fold =
        |text: &str| text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let wanted = fold(name);
    if wanted.is_empty() {
        return Vec::new();
    }
    let limit = (wanted.chars().count() / 4).max(1);
    let mut scored: Vec<(usize, &String)> = valid
        .iter()
        .filter_map(|candidate| {
            let folded = fold(candidate);
            if folded.is_empty() {
                return None;
            }
            let distance = edit_distance(&wanted, &folded);
            let contains = folded.contains(&wanted) || wanted.contains(&folded);
            (distance <= limit || contains).then_some((distance, candidate))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, name)| name.clone()).collect()
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// Why a [`Catalog`] lookup found no id.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CatalogError {
    /// No record of the list has that name.
    #[non_exhaustive]
    NotFound {
        /// Which list (`"status"`, `"ticket type"`, `"priority"`, ...).
        list: &'static str,
        /// The name looked for.
        name: String,
        /// Every name the list has, sorted.
        valid: Vec<String>,
        /// The valid names closest to it (at most five, closest first).
        near: Vec<String>,
    },
    /// Several records of the list have that name.
    #[non_exhaustive]
    Ambiguous {
        /// Which list.
        list: &'static str,
        /// The name looked for.
        name: String,
        /// The ids of the records that have it.
        ids: Vec<i64>,
    },
    /// The ticket type has no default SLA, so it has no priorities of its own.
    #[non_exhaustive]
    NoSla {
        /// The ticket type's name.
        ticket_type: String,
    },
    /// A list could not be read.
    Fetch(Error),
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogError::NotFound { list, name, valid, near } => {
                write!(f, "no {list} is called \"{name}\"")?;
                if !near.is_empty() {
                    write!(f, "; did you mean \"{}\"?", near.join("\", \""))?;
                }
                const SHOWN: usize = 20;
                let shown: Vec<&str> = valid.iter().take(SHOWN).map(String::as_str).collect();
                write!(f, " (valid: \"{}\"", shown.join("\", \""))?;
                if valid.len() > SHOWN {
                    write!(f, " and {} more", valid.len() - SHOWN)?;
                }
                f.write_str(")")
            }
            CatalogError::Ambiguous { list, name, ids } => {
                write!(f, "{} {list} records are called \"{name}\" (ids {ids:?}); use the id", ids.len())
            }
            CatalogError::NoSla { ticket_type } => {
                write!(f, "the ticket type \"{ticket_type}\" has no default SLA, so no priorities of its own")
            }
            CatalogError::Fetch(error) => write!(f, "cannot read the catalog: {error}"),
        }
    }
}

impl std::error::Error for CatalogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CatalogError::Fetch(error) => Some(error),
            _ => None,
        }
    }
}

/// So `?` works in a function returning [`crate::Result`]: a name that does not resolve is an
/// [`ErrorKind::InvalidRequest`] error with the same message; a list that could not be read is its own error.
impl From<CatalogError> for Error {
    fn from(error: CatalogError) -> Self {
        match error {
            CatalogError::Fetch(error) => error,
            other => Error::new(ErrorKind::InvalidRequest, other.to_string()),
        }
    }
}

/// A page of any of Halo's lists, as JSON: a bare array, or the wrapper `{"record_count": N, "<key>": [...]}`
/// (whichever member holds the array).
struct JsonList {
    items: Vec<Value>,
    record_count: Option<u64>,
}

impl<'de> Deserialize<'de> for JsonList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Array(items) => Ok(JsonList { items, record_count: None }),
            Value::Object(mut map) => {
                let record_count = map.get("record_count").and_then(Value::as_u64);
                let key = map.iter().find(|(_, value)| value.is_array()).map(|(key, _)| key.clone());
                let items = match key.and_then(|key| map.remove(&key)) {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                };
                Ok(JsonList { items, record_count })
            }
            _ => Err(serde::de::Error::custom("a list (an array, or an object holding one)")),
        }
    }
}

impl ListPage for JsonList {
    type Item = Value;
    fn from_items(items: Vec<Value>) -> Self {
        JsonList { items, record_count: None }
    }
    fn record_count(&self) -> Option<u64> {
        self.record_count
    }
    fn items(&self) -> &[Value] {
        &self.items
    }
    fn items_mut(&mut self) -> &mut Vec<Value> {
        &mut self.items
    }
    fn into_items(self) -> Vec<Value> {
        self.items
    }
    const KEY: &'static [&'static str] = &["id"];
    fn item_key(item: &Value) -> Option<RecordKey> {
        RecordKey::of(&item.get("id").and_then(lenient_i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> Vec<Named> {
        names.iter().enumerate().map(|(i, name)| Named { id: i as i64 + 1, name: (*name).into(), sla: None }).collect()
    }

    #[test]
    fn names_match_case_insensitively_and_say_what_is_valid() {
        let statuses = named(&["New", "In Progress", "Closed", "Pending Closure"]);
        assert_eq!(find(List::Status, " closed ", &statuses).unwrap(), 3);
        match find(List::Status, "Closd", &statuses).unwrap_err() {
            CatalogError::NotFound { valid, near, .. } => {
                assert_eq!(valid, ["Closed", "In Progress", "New", "Pending Closure"]);
                assert_eq!(near, ["Closed"]);
            }
            other => panic!("{other}"),
        }
        let error = find(List::Status, "Shelved", &statuses).unwrap_err();
        assert_eq!(
            error.to_string(),
            "no status is called \"Shelved\" (valid: \"Closed\", \"In Progress\", \"New\", \"Pending Closure\")"
        );
        let sites = named(&["Head Office", "head office", "Depot"]);
        assert!(
            matches!(find(List::Site, "Head Office", &sites), Err(CatalogError::Ambiguous { ids, .. }) if ids == [1, 2])
        );
        let converted: Error = find(List::Status, "x", &statuses).unwrap_err().into();
        assert_eq!(converted.kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("closed", "closd"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn lists_of_either_shape_decode() {
        let wrapped: JsonList =
            serde_json::from_str(r#"{"record_count": 2, "statuses": [{"id": 1}, {"id": "2"}]}"#).unwrap();
        assert_eq!((wrapped.items.len(), wrapped.record_count), (2, Some(2)));
        assert_eq!(JsonList::item_key(&wrapped.items[1]), Some(RecordKey::Int(2)));
        let bare: JsonList = serde_json::from_str(r#"[{"id": 1.0}]"#).unwrap();
        assert_eq!(JsonList::item_key(&bare.items[0]), Some(RecordKey::Int(1)));
    }
}
