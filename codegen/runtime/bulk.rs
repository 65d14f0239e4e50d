//! Bulk writes with a result per item: [`Bulk`] (`client.tickets().bulk_update(pairs)`), what it returns
//! ([`BulkReport`], [`BulkItem`], [`BulkOutcome`]) and what its dry run returns ([`Planned`], [`FieldChange`]).
//!
//! Halo's create-or-update POST takes an array, and saves all of it or answers an error (a 400 naming `[3].field`,
//! a 404, a 500). `create_many`/`update_many` send one request and return that answer as it is. A bulk call splits
//! the items into chunks (at most 100 a request), sends them one after the other through the client (its token,
//! rate limit and retries), maps each record Halo answers back to its input, and gives every input item its own
//! outcome: saved (the record), failed (its error), or unknown (a create Halo may or may not have saved). A 400
//! whose model state names items (`[3].client_id`) fails those items and sends the rest of the chunk again: ASP.NET
//! answers it while binding the body, before Halo's code runs, so nothing of that request was saved.
//!
//! The generated code is two one-line forwards per resource (`Bulk::create`, `Bulk::update`); everything else is
//! here, compiled once per item type.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::retry::Failure;
use super::{Call, Error, ErrorKind, answer};

/// Reads an item's id (the generated code's `|item| item.id`).
type ReadId<T> = Arc<dyn Fn(&T) -> Option<i64> + Send + Sync>;

/// The most items Halo is sent in one request of a bulk call (HaloAPI's batch size; Halo's page cap is 100 too).
pub const MAX_BULK_CHUNK: usize = 100;

/// A bulk create or update: made by a resource's `bulk_create(items)` or `bulk_update(pairs)`, sent with
/// [`send`](Self::send) (one [`BulkItem`] per input item, never one error for the whole batch) or tried with
/// [`dry_run`](Self::dry_run) (what would change, read from Halo, nothing sent).
///
/// * **Chunks.** At most [`chunk_size`](Self::chunk_size) items a request (default and maximum 100), one request
///   at a time, through the client's rate limit and retry policy (429 and 503 are waited out; updates are also
///   retried after a 500, 502, 504, a timeout or a truncated answer, because repeating them is harmless).
/// * **Each record back to its item.** Updates by id. Creates by position: Halo answers the records of a request
///   in the order it was sent them (as the fake does; no source says otherwise), and with
///   [`check_field`](Self::check_field) each pair is also checked on a field the items set. When Halo answers
///   another number of records, or a check fails, the chunk's items are [`BulkOutcome::Unknown`] and the records
///   are kept in [`BulkReport::unmatched`]: nothing is guessed, and nothing Halo answered is dropped.
/// * **Refused items fail alone.** An item refused before sending (a create with an id, an update with an id that
///   is not positive, a second update of the same id) fails on its own. A 400 whose model state names items
///   (`[3].client_id`) fails those items and sends the rest of the chunk again. Any other error fails (or, when
///   Halo may have acted on it, leaves unknown) the items of its chunk only; the other chunks are still sent.
/// * **Nothing twice.** A create chunk whose outcome is open (a 500, 502 or 504, a timeout after sending, a
///   truncated answer) is never sent again: its items are [`BulkOutcome::Unknown`], with an error of kind
///   [`ErrorKind::OutcomeUnknown`] whose [`Error::find_once_settled`] looks for them.
///
/// ```no_run
/// # async fn example(client: halopsa::Client) {
/// use halopsa::BulkOutcome;
///
/// let mut change = halopsa::models::Ticket::default();
/// change.status_id = Some(2);
/// let pairs = [11, 12, 13].map(|id| (id, change.clone()));
/// let report = client.tickets().bulk_update(pairs).send().await;
/// for item in report.items() {
///     match item.outcome() {
///         BulkOutcome::Saved(ticket) => println!("{:?} saved", ticket.id),
///         BulkOutcome::Failed(error) => eprintln!("item {} failed: {error}", item.index()),
///         BulkOutcome::Unknown(error) => eprintln!("item {}: {error}", item.index()),
///         _ => {}
///     }
/// }
/// # }
/// ```
#[must_use = "a bulk call does nothing until it is sent"]
pub struct Bulk<T> {
    /// The POST, without a body yet.
    call: Call<answer::Saved<Value>>,
    update: bool,
    entries: Vec<Entry<T>>,
    read_id: ReadId<T>,
    chunk_size: usize,
    check_field: Option<String>,
}

struct Entry<T> {
    index: usize,
    /// An update's id (a create's is `None`).
    id: Option<i64>,
    item: T,
    /// Why the item is not sent, when it is refused before sending.
    refused: Option<Error>,
}

impl<T> fmt::Debug for Bulk<T> {
    /// `Bulk(update POST /Tickets, 1000 items, chunks of 100)`: never the items (models hold passwords).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (method, path) = self.call.route();
        let verb = if self.update { "update" } else { "create" };
        write!(f, "Bulk({verb} {method} {path}, {} items, chunks of {}", self.entries.len(), self.chunk_size)?;
        if let Some(field) = &self.check_field {
            write!(f, ", checked on `{field}`")?;
        }
        f.write_str(")")
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Bulk<T> {
    /// `bulk_create(items)`: `call` is the resource's create-or-update POST, `id` reads an item's id (a create must
    /// not have one: Halo would update that record instead).
    #[allow(dead_code)] // generated code calls it only if the spec has a create-or-update
    pub(crate) fn create<I: Into<i64>>(
        call: Call<answer::Saved<T>>,
        items: impl IntoIterator<Item = T>,
        id: impl Fn(&T) -> Option<I> + Send + Sync + 'static,
    ) -> Self {
        let read_id: ReadId<T> = Arc::new(move |item| id(item).map(Into::into));
        let entries = items
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                let refused = read_id(&item).filter(|id| *id > 0).map(|id| {
                    Error::invalid_request(format!(
                        "bulk create: item {index} already has id {id}; Halo would update that record instead of \
                         creating one"
                    ))
                });
                Entry { index, id: None, item, refused }
            })
            .collect();
        Bulk { call: call.read_as(), update: false, entries, read_id, chunk_size: MAX_BULK_CHUNK, check_field: None }
    }

    /// `bulk_update(pairs)`: each item gets its id written in by `set_id`; ids must be positive (Halo would create
    /// a record for any other), and an id updated twice is refused the second time (the answer could not tell the
    /// two apart).
    #[allow(dead_code)] // generated code calls it only if the spec has a create-or-update
    pub(crate) fn update<I: Copy + Into<i64>>(
        call: Call<answer::Saved<T>>,
        pairs: impl IntoIterator<Item = (I, T)>,
        id: impl Fn(&T) -> Option<I> + Send + Sync + 'static,
        set_id: impl Fn(&mut T, I),
    ) -> Self {
        let read_id: ReadId<T> = Arc::new(move |item| id(item).map(Into::into));
        let mut first_of = std::collections::BTreeMap::new();
        let entries = pairs
            .into_iter()
            .enumerate()
            .map(|(index, (id, mut item))| {
                set_id(&mut item, id);
                let id: i64 = id.into();
                let refused = if id <= 0 {
                    Some(Error::invalid_request(format!(
                        "bulk update: item {index} has id {id}, which is not positive; Halo would create a new \
                         record instead of updating one"
                    )))
                } else if let Some(first) = first_of.insert(id, index) {
                    first_of.insert(id, first);
                    Some(Error::invalid_request(format!(
                        "bulk update: item {index} updates id {id}, which item {first} already updates; merge the \
                         two changes (Halo's answer could not tell them apart)"
                    )))
                } else {
                    None
                };
                Entry { index, id: Some(id), item, refused }
            })
            .collect();
        Bulk { call: call.read_as(), update: true, entries, read_id, chunk_size: MAX_BULK_CHUNK, check_field: None }
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Bulk<T> {
    /// At most this many items a request (default and maximum 100, Halo's batch size in HaloAPI; 0 counts as 1).
    pub fn chunk_size(mut self, size: usize) -> Self {
        self.chunk_size = size.clamp(1, MAX_BULK_CHUNK);
        self
    }

    /// For creates: check each record Halo answers against the item sent in its place, on this field (its wire
    /// name, `"summary"`), which every item should set to a value Halo keeps as sent (a reference of your own, say).
    /// A chunk with a record whose field differs from its item's is left [`BulkOutcome::Unknown`] rather than
    /// matched wrongly. Updates are matched by id, and ignore it.
    pub fn check_field(mut self, field: impl Into<String>) -> Self {
        self.check_field = Some(field.into());
        self
    }

    /// Sends the items, a chunk at a time, and returns one [`BulkItem`] per input item, in input order.
    pub fn send(self) -> impl Future<Output = BulkReport<T>> + Send + 'static {
        let Bulk { call, update, entries, read_id, chunk_size, check_field } = self;
        async move {
            let mut report = BulkReport { items: Vec::with_capacity(entries.len()), unmatched: Vec::new() };
            let mut slots: Vec<Option<BulkItem<T>>> = (0..entries.len()).map(|_| None).collect();
            let mut pending = Vec::new();
            for entry in entries {
                match entry.refused {
                    Some(error) => {
                        slots[entry.index] =
                            Some(BulkItem { index: entry.index, id: entry.id, outcome: BulkOutcome::Failed(error) })
                    }
                    None => pending.push(entry),
                }
            }
            let sender = Sender { call, update, read_id, check_field };
            let mut pending = pending.into_iter().peekable();
            while pending.peek().is_some() {
                let chunk: Vec<Entry<T>> = pending.by_ref().take(chunk_size).collect();
                for item in sender.chunk(chunk, &mut report.unmatched).await {
                    let index = item.index;
                    slots[index] = Some(item);
                }
            }
            report.items = slots.into_iter().flatten().collect();
            report
        }
    }

    /// What [`send`](Self::send) would change, without sending anything: for an update, the record as Halo has it
    /// now (`GET {path}/{id}`, once per id: Halo's lists carry a short view of each record, so only a record's own
    /// GET shows every field an update may set) against the fields the item sets; for a create, every field it
    /// sets. One [`Planned`] per input item, in input order; an item refused, or whose record cannot be read, has
    /// its error. The reads go through the client's rate limit and retries, one at a time.
    pub fn dry_run(self) -> impl Future<Output = Vec<Planned>> + Send + 'static {
        let Bulk { call, update, entries, .. } = self;
        let client = call.client().clone();
        let path = call.route().1.to_owned();
        async move {
            let mut current: std::collections::BTreeMap<i64, Result<Value, Error>> = std::collections::BTreeMap::new();
            let mut planned = Vec::with_capacity(entries.len());
            for entry in entries {
                let changes = match (entry.refused, entry.id) {
                    (Some(error), _) => Err(error),
                    (None, Some(id)) if update => {
                        let read = match current.entry(id) {
                            std::collections::btree_map::Entry::Occupied(read) => read.into_mut(),
                            std::collections::btree_map::Entry::Vacant(slot) => {
                                slot.insert(client.request(Method::GET, format!("{path}/{id}")).send::<Value>().await)
                            }
                        };
                        match read {
                            Ok(record) => to_json(&entry.item).map(|item| changes(&item, Some(record))),
                            Err(error) => Err(error.clone()),
                        }
                    }
                    _ => to_json(&entry.item).map(|item| changes(&item, None)),
                };
                planned.push(Planned { index: entry.index, id: entry.id, changes });
            }
            planned
        }
    }
}

/// What sends the chunks of one bulk call.
struct Sender<T> {
    call: Call<answer::Saved<Value>>,
    update: bool,
    read_id: ReadId<T>,
    check_field: Option<String>,
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Sender<T> {
    /// Sends one chunk (again without the items a model-state 400 names, until Halo takes the rest) and returns an
    /// item per entry.
    async fn chunk(&self, mut batch: Vec<Entry<T>>, unmatched: &mut Vec<Value>) -> Vec<BulkItem<T>> {
        let mut done = Vec::with_capacity(batch.len());
        while !batch.is_empty() {
            let items: Vec<&T> = batch.iter().map(|entry| &entry.item).collect();
            let answer = self.call.clone().idempotent(self.update).body_items(items).send().await;
            match answer {
                Ok(records) => {
                    done.extend(self.map(batch, records, unmatched));
                    break;
                }
                Err(error) => match refused_items(&error, batch.len()) {
                    // Refused while ASP.NET bound the body, before Halo's code ran: nothing was saved, so the rest is
                    // sent again without the items the model state names.
                    Some(indices) => {
                        let mut kept = Vec::with_capacity(batch.len());
                        for (position, entry) in batch.into_iter().enumerate() {
                            if indices.contains(&position) {
                                done.push(entry.finish(BulkOutcome::Failed(error.clone())));
                            } else {
                                kept.push(entry);
                            }
                        }
                        batch = kept;
                    }
                    None => {
                        let open = outcome_open(&error);
                        for entry in batch.drain(..) {
                            let outcome = if open {
                                BulkOutcome::Unknown(error.clone())
                            } else {
                                BulkOutcome::Failed(error.clone())
                            };
                            done.push(entry.finish(outcome));
                        }
                    }
                },
            }
        }
        done
    }

    /// Maps the records Halo answered for `batch` back to its entries: updates by id, creates by position (checked
    /// on `check_field`). What cannot be mapped leaves its entries unknown and its records in `unmatched`.
    fn map(&self, batch: Vec<Entry<T>>, records: Vec<Value>, unmatched: &mut Vec<Value>) -> Vec<BulkItem<T>> {
        let (method, path) = self.call.route();
        let unknown = |message: String| {
            Error::decode(message).with_failure(Failure::Garbled, self.update).with_request(method, path)
        };
        if self.update {
            let mut slots: Vec<Option<T>> = batch.iter().map(|_| None).collect();
            for record in records {
                let decoded = serde_json::from_value::<T>(record.clone()).ok();
                let id = decoded.as_ref().and_then(|item| (self.read_id)(item));
                let slot = batch.iter().position(|entry| id.is_some() && entry.id == id);
                match (slot, decoded) {
                    (Some(slot), Some(item)) if slots[slot].is_none() => slots[slot] = Some(item),
                    _ => unmatched.push(record),
                }
            }
            return batch
                .into_iter()
                .zip(slots)
                .map(|(entry, saved)| {
                    let id = entry.id.unwrap_or_default();
                    match saved {
                        Some(record) => entry.finish(BulkOutcome::Saved(record)),
                        None => entry.finish(BulkOutcome::Unknown(unknown(format!(
                            "halo's answer holds no record with id {id}, or one that cannot be decoded; the update \
                             may have been saved (sending it again is harmless)"
                        )))),
                    }
                })
                .collect();
        }
        let sent = batch.len();
        let mut mismatch = (records.len() != sent)
            .then(|| format!("halo answered {} records for the {sent} items of this request", records.len()));
        if mismatch.is_none() {
            if let Some(field) = &self.check_field {
                for (position, (entry, record)) in batch.iter().zip(&records).enumerate() {
                    let sent_value = to_json(&entry.item).ok().and_then(|item| item.get(field).cloned());
                    if sent_value.is_none() || sent_value.as_ref() != record.get(field) {
                        mismatch = Some(format!(
                            "record {position} of halo's answer does not match the item sent in its place on \
                             `{field}`"
                        ));
                        break;
                    }
                }
            }
        }
        let decoded: Vec<Option<T>> =
            records.iter().map(|record| serde_json::from_value(record.clone()).ok()).collect();
        if mismatch.is_none() && decoded.iter().any(Option::is_none) {
            mismatch = Some("a record of halo's answer cannot be decoded".to_owned());
        }
        if let Some(why) = mismatch {
            unmatched.extend(records);
            return batch
                .into_iter()
                .map(|entry| {
                    entry.finish(BulkOutcome::Unknown(unknown(format!(
                        "{why}, so the records cannot be matched to the items: the create was saved, but which \
                         record is this item's is not known (the records are in `BulkReport::unmatched`)"
                    ))))
                })
                .collect();
        }
        batch
            .into_iter()
            .zip(decoded.into_iter().flatten())
            .map(|(entry, record)| {
                let id = (self.read_id)(&record);
                let mut item = entry.finish(BulkOutcome::Saved(record));
                item.id = id;
                item
            })
            .collect()
    }
}

impl<T> Entry<T> {
    fn finish(self, outcome: BulkOutcome<T>) -> BulkItem<T> {
        BulkItem { index: self.index, id: self.id, outcome }
    }
}

/// The positions (in a request of `len` items) a 400's model state names (`[3].client_id`, `$[3].client_id`),
/// when it names items and nothing else; `None` otherwise (the error is about the whole request).
fn refused_items(error: &Error, len: usize) -> Option<std::collections::BTreeSet<usize>> {
    if error.status() != Some(400) || error.field_errors().is_empty() {
        return None;
    }
    let mut indices = std::collections::BTreeSet::new();
    for field in error.field_errors() {
        let path = field.field().trim_start_matches('$');
        let index = path.strip_prefix('[')?.split_once(']')?.0.trim().parse::<usize>().ok()?;
        if index >= len {
            return None;
        }
        indices.insert(index);
    }
    Some(indices)
}

/// Whether Halo may have acted on the failed request: the outcome is open (a 500, 502 or 504, a timeout or a
/// broken connection after sending, a truncated answer), whether or not the client may repeat it.
fn outcome_open(error: &Error) -> bool {
    error.kind() == ErrorKind::OutcomeUnknown
        || matches!(
            error.failure(),
            Some(Failure::ServerError | Failure::Gateway | Failure::AfterSending | Failure::Garbled)
        )
}

fn to_json<T: Serialize>(item: &T) -> Result<Map<String, Value>, Error> {
    match serde_json::to_value(item) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::invalid_request("the item is not a JSON object")),
        Err(error) => Err(Error::invalid_request(format!("cannot serialise the item: {error}"))),
    }
}

/// The fields `item` sets whose value differs from `current`'s (all of them without a current record).
fn changes(item: &Map<String, Value>, current: Option<&Value>) -> Vec<FieldChange> {
    item.iter()
        .filter_map(|(field, after)| {
            let before = current.and_then(|record| record.get(field));
            (before != Some(after)).then(|| FieldChange {
                field: field.clone(),
                before: before.cloned(),
                after: after.clone(),
            })
        })
        .collect()
}

/// What a bulk call did: one [`BulkItem`] per input item, in input order, and the records Halo answered that could
/// not be matched to an item.
#[derive(Debug)]
pub struct BulkReport<T> {
    items: Vec<BulkItem<T>>,
    unmatched: Vec<Value>,
}

impl<T> BulkReport<T> {
    /// One item per input item, in input order ([`BulkItem::index`] is the position).
    pub fn items(&self) -> &[BulkItem<T>] {
        &self.items
    }

    /// The items, by value.
    pub fn into_items(self) -> Vec<BulkItem<T>> {
        self.items
    }

    /// Records Halo answered (and so saved) that could not be matched to an input item, as JSON: a create chunk
    /// answered with another number of records than it sent, or whose records failed [`Bulk::check_field`]. Its
    /// items are [`BulkOutcome::Unknown`]; look among these before creating them again.
    pub fn unmatched(&self) -> &[Value] {
        &self.unmatched
    }

    /// How many items were saved, failed, and have an unknown outcome.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for item in &self.items {
            match item.outcome {
                BulkOutcome::Saved(_) => counts.0 += 1,
                BulkOutcome::Failed(_) => counts.1 += 1,
                BulkOutcome::Unknown(_) => counts.2 += 1,
            }
        }
        counts
    }
}

/// The outcome of one input item of a bulk call.
#[derive(Debug)]
pub struct BulkItem<T> {
    index: usize,
    id: Option<i64>,
    outcome: BulkOutcome<T>,
}

impl<T> BulkItem<T> {
    /// The item's position in the input.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The id: an update's, or the id Halo gave a saved create (`None` for a create not saved).
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    /// What happened to it.
    pub fn outcome(&self) -> &BulkOutcome<T> {
        &self.outcome
    }

    /// What happened to it, by value.
    pub fn into_outcome(self) -> BulkOutcome<T> {
        self.outcome
    }
}

/// What happened to one item of a bulk call.
#[derive(Debug)]
#[non_exhaustive]
pub enum BulkOutcome<T> {
    /// Halo saved it: the record it answered with.
    Saved(T),
    /// It was not saved: refused before sending ([`ErrorKind::InvalidRequest`]), or Halo refused it (a 400 naming
    /// it, or an error for its whole request), or its request failed before Halo acted on it (429s and 503s beyond
    /// the retry budget, a connection that never opened). [`Error::is_retryable`] says whether sending it again may
    /// succeed. In a 400's [`Error::field_errors`], `[3]` is the item's place in the request that carried it.
    Failed(Error),
    /// Halo may or may not have saved it: a create whose request ended with a 500, 502 or 504, a timeout after
    /// sending or a truncated answer ([`ErrorKind::OutcomeUnknown`]: look before sending it again, see
    /// [`Error::find_once_settled`]), an update still failing that way after its retries (sending it again is
    /// harmless), or a saved chunk whose records could not be matched to its items ([`BulkReport::unmatched`]).
    Unknown(Error),
}

/// What a [`Bulk::dry_run`] found for one input item.
#[derive(Debug)]
pub struct Planned {
    index: usize,
    id: Option<i64>,
    changes: Result<Vec<FieldChange>, Error>,
}

impl Planned {
    /// The item's position in the input.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The id an update names (`None` for a create).
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    /// The fields sending it would change (those it sets to the value Halo already has are left out), or why it
    /// would not be sent (refused) or could not be compared (its record could not be read: a 404, say).
    pub fn changes(&self) -> Result<&[FieldChange], &Error> {
        self.changes.as_deref()
    }
}

/// One field a bulk call would change: its wire name, the value Halo has (`None` when the record lacks it, or for
/// a create) and the value that would be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    field: String,
    before: Option<Value>,
    after: Value,
}

impl FieldChange {
    /// The field's wire name (`status_id`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Its value in Halo now; `None` for a create, or when the record does not have the field.
    pub fn before(&self) -> Option<&Value> {
        self.before.as_ref()
    }

    /// The value that would be sent.
    pub fn after(&self) -> &Value {
        &self.after
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_model_state_naming_items_names_their_positions() {
        let body = br#"{"[3].client_id": ["Could not convert"], "$[0].x_id": ["bad"]}"#;
        let error = Error::from_response(reqwest::StatusCode::BAD_REQUEST, Some("application/json"), body);
        assert_eq!(refused_items(&error, 5), Some([0, 3].into_iter().collect()));
        // An index beyond the request, or a field of the body as a whole: the whole request is refused.
        assert_eq!(refused_items(&error, 3), None);
        let whole = br#"{"name": ["required"]}"#;
        let error = Error::from_response(reqwest::StatusCode::BAD_REQUEST, Some("application/json"), whole);
        assert_eq!(refused_items(&error, 5), None);
        let not_found = Error::from_response(reqwest::StatusCode::NOT_FOUND, None, b"Ticket 7 not found");
        assert_eq!(refused_items(&not_found, 5), None);
    }

    #[test]
    fn changes_leave_out_fields_halo_already_has() {
        let item = json!({"id": 7, "status_id": 2, "summary": "same"}).as_object().cloned().unwrap();
        let current = json!({"id": 7, "status_id": 1, "summary": "same", "details": "x"});
        let found = changes(&item, Some(&current));
        assert_eq!(found, [FieldChange { field: "status_id".into(), before: Some(json!(1)), after: json!(2) }]);
        assert_eq!(changes(&item, None).len(), 3);
    }

    #[test]
    fn open_outcomes_are_the_failures_after_which_halo_may_have_acted() {
        let server = Error::from_response(reqwest::StatusCode::INTERNAL_SERVER_ERROR, None, b"");
        assert!(outcome_open(&server));
        let throttled = Error::from_response(reqwest::StatusCode::TOO_MANY_REQUESTS, None, b"");
        assert!(!outcome_open(&throttled));
        assert!(!outcome_open(&Error::invalid_request("no")));
    }
}
