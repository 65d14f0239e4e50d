//! Pagination: [`Pages`] walks `page_no` 1, 2, 3, ... of a list operation (a [`Stream`] of pages),
//! [`ItemStream`] flattens the pages, and [`ListError`] keeps what a failed listing had read.
//!
//! Halo pages with `pageinate=true&page_size=N&page_no=K` (1-based), caps `page_size` at 100 without saying so,
//! and answers either `{"record_count": N, "<key>": [...]}` or a bare array (HALO-NOTES §3, "Pagination"). A
//! server may also ignore `page_no`, overlap pages, or state a wrong `record_count`. So the pager trusts neither
//! the size it asked for nor the server: it recognises records by their key (`id`, or the spec's `x-halo-key`),
//! yields each record once, reports two different records under one key instead of dropping one, stops when a
//! page brings nothing new, and bounds the number of pages by what the server said and by a hard ceiling.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::hash::{DefaultHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::client::{Client, JSON};
use super::decode::decode_unchecked;
use super::error::{Error, ErrorKind, Result};
use super::error_body::first_byte;
use super::request::Request;
use super::transport::Reply;

/// Halo's largest page.
pub(crate) const MAX_PAGE_SIZE: u64 = 100;

/// The default hard ceiling on the pages of one listing: a million records at Halo's page size.
pub const DEFAULT_MAX_PAGES: u64 = 10_000;

/// A page of a list operation: the wrapper type (`AgentList`), which also stands for a bare-array answer.
///
/// Generated for every list wrapper; the runtime uses it to decode either shape, read the record count and
/// recognise records by id. Public only because it bounds [`Pages`], but not part of the documented API: it lives in
/// a private module (it cannot be named, so not implemented, outside the crate) and is hidden from the docs.
#[doc(hidden)]
pub trait ListPage: DeserializeOwned + Send + 'static {
    /// The record type (`Agent`); serialisable so that records without an id can be compared across pages.
    type Item: DeserializeOwned + Serialize + Send + 'static;
    /// The page for a bare-array answer.
    fn from_items(items: Vec<Self::Item>) -> Self;
    /// The total number of records (`record_count`), when Halo sent it.
    fn record_count(&self) -> Option<u64>;
    /// The records of this page.
    fn items(&self) -> &[Self::Item];
    /// The records of this page, to drop the ones already yielded.
    fn items_mut(&mut self) -> &mut Vec<Self::Item>;
    /// The records of this page, by value.
    fn into_items(self) -> Vec<Self::Item>;
    /// The wire names of the fields that make up a record's key (`["ticket_id", "id"]`, the spec's `x-halo-key`;
    /// `["id"]` without it), for messages; empty when records have no key.
    const KEY: &'static [&'static str];
    /// The record's key, when every field of it is set ([`RecordKey::of`]).
    fn item_key(item: &Self::Item) -> Option<RecordKey>;
}

/// What identifies a record in a listing: the values of its key fields (`id`, or the spec's `x-halo-key`).
///
/// Made by generated code only ([`RecordKey::of`]); public only because [`ListPage`] names it, hidden like it.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordKey {
    /// A key of one integer field: the common case, without an allocation.
    Int(i64),
    /// Any other key.
    Parts(Box<[KeyPart]>),
}

/// One field's value in a [`RecordKey`].
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyPart {
    /// An integer field.
    Int(i64),
    /// A string or date-time field.
    Text(String),
}

impl RecordKey {
    /// The key of a record from its key fields: `RecordKey::of(&item.id)`, `RecordKey::of((&item.ticket_id,
    /// &item.id))`. `None` when a field has no value: missing, an integer of 0 or less (Halo writes 0 or -1 for
    /// "none", and lists unsaved rows such as a day's timesheet with `id: 0`), an empty string; such a record is
    /// not recognised by key.
    #[allow(dead_code)] // generated code calls it only if the spec has list wrappers
    pub fn of(fields: impl KeyFields) -> Option<RecordKey> {
        fields.record_key()
    }
}

impl fmt::Display for KeyPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyPart::Int(value) => write!(f, "{value}"),
            KeyPart::Text(value) => write!(f, "{value:?}"),
        }
    }
}

/// A field type a key can be made of: integers, strings, date-times, and `Option`s of them.
#[doc(hidden)]
pub trait KeyField {
    /// The field's value as a key part; `None` when it has none (see [`RecordKey::of`]).
    fn key_part(&self) -> Option<KeyPart>;
}

impl KeyField for i64 {
    fn key_part(&self) -> Option<KeyPart> {
        (*self > 0).then_some(KeyPart::Int(*self))
    }
}

impl KeyField for i32 {
    fn key_part(&self) -> Option<KeyPart> {
        i64::from(*self).key_part()
    }
}

impl KeyField for String {
    fn key_part(&self) -> Option<KeyPart> {
        (!self.trim().is_empty()).then(|| KeyPart::Text(self.clone()))
    }
}

impl KeyField for super::DateTime {
    fn key_part(&self) -> Option<KeyPart> {
        (!self.as_str().trim().is_empty()).then(|| KeyPart::Text(self.as_str().to_owned()))
    }
}

impl<T: KeyField> KeyField for Option<T> {
    fn key_part(&self) -> Option<KeyPart> {
        self.as_ref().and_then(KeyField::key_part)
    }
}

/// The key fields of a record: one field (`&item.id`) or a tuple of up to four (`(&item.ticket_id, &item.id)`).
#[doc(hidden)]
pub trait KeyFields {
    /// The key, when every field has a value.
    fn record_key(self) -> Option<RecordKey>;
}

impl<A: KeyField> KeyFields for &A {
    fn record_key(self) -> Option<RecordKey> {
        match self.key_part()? {
            KeyPart::Int(id) => Some(RecordKey::Int(id)),
            text => Some(RecordKey::Parts(Box::new([text]))),
        }
    }
}

macro_rules! key_tuples {
    ($(($($field:ident),+)),+) => {$(
        impl<$($field: KeyField),+> KeyFields for ($(&$field,)+) {
            #[allow(non_snake_case)]
            fn record_key(self) -> Option<RecordKey> {
                let ($($field,)+) = self;
                Some(RecordKey::Parts(Box::new([$($field.key_part()?),+])))
            }
        }
    )+};
}

key_tuples!((A, B), (A, B, C), (A, B, C, D));

/// A hash of a record's JSON: two versions of a record under one key are told apart by it. SipHash with fixed keys
/// (`DefaultHasher::new`), so the same JSON always hashes alike; the JSON is streamed into it, never held.
fn content_hash<T: Serialize>(item: &T) -> u64 {
    struct Hashing(DefaultHasher);
    impl std::io::Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(DefaultHasher::new());
    // A record that cannot be serialised hashes what was written before the failure: deterministic all the same.
    let _ = serde_json::to_writer(&mut hashing, item);
    hashing.0.finish()
}

/// The page of a list operation that answers with a bare array (and does not page): one page, the whole answer.
impl<T: DeserializeOwned + Serialize + Send + 'static> ListPage for Vec<T> {
    type Item = T;
    fn from_items(items: Vec<T>) -> Self {
        items
    }
    fn record_count(&self) -> Option<u64> {
        None
    }
    fn items(&self) -> &[T] {
        self
    }
    fn items_mut(&mut self) -> &mut Vec<T> {
        self
    }
    fn into_items(self) -> Vec<T> {
        self
    }
    const KEY: &'static [&'static str] = &[];
    fn item_key(_: &T) -> Option<RecordKey> {
        // One page of records whose type names no key.
        None
    }
}

/// Reads one page of a list: the wrapper `{"record_count": N, "<key>": [...]}` or a bare array (which has no record
/// count).
pub(crate) fn read_list<L: ListPage>(reply: Reply) -> Result<L> {
    match first_byte(&reply.body) {
        Some(b'[') => decode_unchecked::<Vec<L::Item>>(&reply.body).map(L::from_items),
        _ => reply.check_error_shape().and_then(|()| decode_unchecked::<L>(&reply.body)),
    }
}

type PageFuture<L> = Pin<Box<dyn Future<Output = Result<L>> + Send>>;

enum Slot<L> {
    Pending(PageFuture<L>),
    Ready(Result<L>),
}

struct InFlight<L> {
    page_no: u64,
    slot: Slot<L>,
}

/// The pages of a list operation, fetched on demand: `pageinate=true`, `page_no` from 1 (or from the `page_no`
/// the request already had), `page_size` as the request had it but at most 100 (100 when unset). It owns a clone
/// of the client, so it can be moved into a spawned task.
///
/// Read it with [`next_page`](Self::next_page) or as a [`Stream`] of pages, or turn it into a stream of records
/// ([`items`](Self::items)) or one `Vec` ([`all`](Self::all)).
///
/// **Each record once.** Records are recognised by their key: `id`, or the fields the spec names for the record
/// type (`x-halo-key`: an action by `ticket_id` and `id`, since an action's id is unique only within its ticket).
/// A record already yielded that comes again with the same content is dropped (pages overlap when records are
/// added during a listing), and a page that brings no new record ends the listing (a server that ignores
/// `page_no` answers the same records again, even if the rest of its body changes). Records without a key (a key
/// field missing, 0 or empty, as Halo lists unsaved rows with `id: 0`) are always yielded, except that a page
/// identical to the one before it (the same records, compared by key, or by their JSON when they have none) ends
/// the listing and is not yielded.
///
/// **Never drops a different record.** A record whose key was already yielded with other content is yielded too,
/// and once the pages are done the listing ends with an error of kind [`ErrorKind::KeyConflict`] naming the key
/// (a `tracing` warning is logged when it is found). Either the key does not identify these records (the spec's
/// key is wrong for this list), or a record changed between two page requests and was listed twice; the records
/// that came later are the newer versions.
///
/// **Always ends.** Paging stops on an empty page, on a page shorter than the first one (Halo caps the size
/// silently), on a short page once `record_count` records were seen, on a page with no new record, on a page
/// identical to the one before, and after at most `ceil(record_count / page length) + 1` pages when Halo sent a
/// record count, or [`max_pages`](Self::max_pages) pages (default [`DEFAULT_MAX_PAGES`]) in any case. The first page
/// is always yielded, even empty.
///
/// **Says when records may be missing.** When the listing ends with fewer distinct records than Halo's last
/// `record_count`, or stops at a page bound while pages were still full, or the server repeated a full page and
/// sent no `record_count`, the last item is an error of kind [`ErrorKind::Incomplete`] (after every page read), and
/// a `tracing` warning is logged; overlapping pages and a changing `record_count` are logged as warnings too. A
/// failed page request ends the listing with its error, whose [`Error::page_no`] says where to resume (the list
/// builder's `page_no(..)` setter).
///
/// **Resuming from a page.** A listing that starts at page `k` (the list builder's `page_no(k)`) reads the pages
/// from `k` on, and its records are checked against the record count less what the `k - 1` pages before it hold:
/// `k - 1` times the server's page size, known from the first page fetched when that page is full or another page
/// follows it. When page `k` is the short last page, the pages before it held at most `k - 1` full pages of the
/// size asked for, so reading it to the end is complete. A resumed listing whose server ignores `page_no` is
/// measured against the whole record count.
///
/// With [`concurrency`](Self::concurrency) above 1, once the first page has given the record count, the remaining
/// pages are fetched that many at a time; they are still yielded in order.
///
/// **Lists Halo does not page** (`teams().list()`, `statuses().list()`, ...) have the same `pages()`, `stream()`
/// and `all()`: one request, sent as built (no `pageinate`, `page_no` or `page_size`), and one page.
#[must_use = "pages do nothing until polled"]
pub struct Pages<L: ListPage> {
    client: Client,
    request: Request,
    page_size: u64,
    first_page_no: u64,
    next_page_no: u64,
    concurrency: usize,
    max_pages: u64,
    in_flight: VecDeque<InFlight<L>>,
    /// The length of the first page fetched: the page size the server really uses.
    reference_len: Option<u64>,
    record_count: Option<u64>,
    pages_read: u64,
    /// Distinct records yielded (with a key or without).
    yielded: u64,
    /// The key of every record yielded, with the hash of its content.
    seen: BTreeMap<RecordKey, u64>,
    /// Further versions yielded under a key already seen (key conflicts), so that each is yielded once.
    versions: BTreeSet<(RecordKey, u64)>,
    /// The key conflicts found: how many, and the first one, described.
    conflicts: Option<(u64, String)>,
    /// A page after the first brought new records: the first page was a full page, so its length is the server's
    /// page size even when the listing started past page 1.
    followed: bool,
    /// A page repeated the one before it: the server ignores `page_no`, so the records read are not "the pages
    /// from the start page on".
    repeated: bool,
    /// The records of the page before, as ids (and, for records without one, their JSON), to notice a page that
    /// repeats it.
    previous: Option<Vec<PageKey>>,
    /// The error to yield once the pages are done: the listing may be incomplete.
    incomplete: Option<Error>,
    done: bool,
    /// A list Halo does not page: one request as built, one page.
    unpaged: bool,
}

// No field is pinned structurally (the page futures are boxed and pinned on their own; pages are only moved out),
// so `Pages` may move freely even if the record type is not `Unpin`.
impl<L: ListPage> Unpin for Pages<L> {}

impl<L: ListPage> fmt::Debug for Pages<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("method", &self.request.method)
            .field("path", &self.request.path)
            .field("page_size", &self.page_size)
            .field("next_page_no", &self.next_page_no)
            .field("pages_read", &self.pages_read)
            .field("record_count", &self.record_count)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<L: ListPage> Pages<L> {
    /// Pages through `req`, setting `pageinate`, `page_no` and `page_size` on it.
    #[allow(dead_code)] // generated code calls it only if the spec has a paged list
    pub(crate) fn new(client: Client, mut req: Request) -> Self {
        let positive = |name: &str| req.query_value(name).and_then(|v| v.trim().parse::<i64>().ok()).filter(|n| *n > 0);
        let page_size = positive("page_size").map_or(MAX_PAGE_SIZE, |n| (n as u64).min(MAX_PAGE_SIZE));
        let first_page_no = positive("page_no").map_or(1, |n| n as u64);
        req.set_query("pageinate", "true".to_owned());
        req.set_query("page_size", page_size.to_string());
        Pages::with(client, req, page_size, first_page_no, false)
    }

    /// The one page of a list Halo does not page: `req` is sent once, as it is.
    #[allow(dead_code)] // generated code calls it only if the spec has a list Halo does not page
    pub(crate) fn unpaged(client: Client, req: Request) -> Self {
        let mut pages = Pages::with(client, req, MAX_PAGE_SIZE, 1, true);
        pages.max_pages = 1;
        pages
    }

    /// A listing that ends at once with `error`, found while its request was built.
    pub(crate) fn failed(client: Client, req: Request, error: Error) -> Self {
        let mut pages = Pages::unpaged(client, req);
        pages.done = true;
        pages.incomplete = Some(error);
        pages
    }

    fn with(client: Client, request: Request, page_size: u64, first_page_no: u64, unpaged: bool) -> Self {
        Pages {
            client,
            request,
            page_size,
            first_page_no,
            next_page_no: first_page_no,
            concurrency: 1,
            max_pages: DEFAULT_MAX_PAGES,
            in_flight: VecDeque::new(),
            reference_len: None,
            record_count: None,
            pages_read: 0,
            yielded: 0,
            seen: BTreeMap::new(),
            versions: BTreeSet::new(),
            conflicts: None,
            followed: false,
            repeated: false,
            previous: None,
            incomplete: None,
            done: false,
            unpaged,
        }
    }

    /// Fetches up to `n` pages at a time once the record count is known (default 1; 0 counts as 1).
    /// Without a record count (a bare-array answer), pages are fetched one at a time.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Reads at most `n` pages (default [`DEFAULT_MAX_PAGES`]; 0 counts as 1). Stopping here while pages are
    /// still full ends the listing with an [`ErrorKind::Incomplete`] error.
    pub fn max_pages(mut self, n: u64) -> Self {
        self.max_pages = n.max(1);
        self
    }

    /// The total number of records, once a page has said.
    pub fn record_count(&self) -> Option<u64> {
        self.record_count
    }

    /// The next page, or `None` when there are no more. After an error, there are no more.
    ///
    /// Cancel-safe: dropping the future leaves the requests in flight with the pager, for the next call.
    pub async fn next_page(&mut self) -> Option<Result<L>> {
        std::future::poll_fn(|cx| self.poll_page(cx)).await
    }

    /// Every record of every page, as a stream.
    pub fn items(self) -> ItemStream<L::Item> {
        ItemStream { inner: Box::pin(Items { pages: self, buffer: Vec::new().into_iter() }) }
    }

    /// Every record of every page. On an error, the records read so far come with it ([`ListError`]).
    pub async fn all(mut self) -> std::result::Result<Vec<L::Item>, ListError<L::Item>> {
        let mut items = Vec::new();
        while let Some(page) = self.next_page().await {
            match page {
                Ok(page) => {
                    if items.is_empty() {
                        // The count is the server's claim; cap the up-front allocation rather than trust it.
                        let expected = self.record_count.unwrap_or(0).min(100_000) as usize;
                        items.reserve(expected);
                    }
                    items.extend(page.into_items());
                }
                Err(error) => return Err(ListError { error, items }),
            }
        }
        Ok(items)
    }

    /// The next page once it has arrived: starts the requests it needs, polls those in flight, applies the stop
    /// rules. Shared by [`next_page`](Self::next_page), the page stream and the item stream.
    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<L>>> {
        loop {
            if self.done {
                return Poll::Ready(self.last_error().map(Err));
            }
            self.fill();
            let Some((page_no, outcome)) = ready!(poll_front(&mut self.in_flight, cx)) else {
                // Nothing left to request within the bounds.
                self.finish();
                self.check_count();
                continue;
            };
            match outcome {
                Err(error) => {
                    self.finish();
                    self.incomplete = None;
                    let error = if self.unpaged { error } else { error.with_page(page_no) };
                    return Poll::Ready(Some(Err(error)));
                }
                Ok(page) => {
                    if let Some(page) = self.accept(page_no, page) {
                        return Poll::Ready(Some(Ok(page)));
                    }
                }
            }
        }
    }

    /// The last page worth requesting: by Halo's record count (one more page to confirm the end), and by the
    /// hard ceiling.
    fn last_page_no(&self) -> u64 {
        let ceiling = self.first_page_no.saturating_add(self.max_pages - 1);
        match self.planned_end() {
            Some(planned) => ceiling.min(planned.saturating_add(1).max(self.first_page_no)),
            None => ceiling,
        }
    }

    /// The server's page size, once known: the length of the first page fetched, when that page was a full one.
    /// From page 1 it is (a shorter page than asked is the server's silent cap, HaloAPI#90); from a later page
    /// (a resumed listing) it is only when it is as long as the page asked for or another page followed it, because
    /// the first page fetched may be the short last page.
    fn page_len(&self) -> Option<u64> {
        let len = self.reference_len.filter(|len| *len > 0)?;
        (self.first_page_no == 1 || self.followed || len >= self.page_size).then_some(len)
    }

    /// The last page (by number) that Halo's record count accounts for, when both it and the page size are known.
    fn planned_end(&self) -> Option<u64> {
        let (total, len) = self.record_count.zip(self.page_len())?;
        Some(total.div_ceil(len).max(1))
    }

    /// Starts page requests: one at a time, or up to `concurrency` while the record count says more pages exist.
    fn fill(&mut self) {
        let width = if self.planned_end().is_some() { self.concurrency } else { 1 };
        let last = self.last_page_no();
        while self.in_flight.len() < width && self.next_page_no <= last {
            // Past the pages the record count accounts for, one request at a time: it only confirms the end.
            if self.planned_end().is_some_and(|end| self.next_page_no > end) && !self.in_flight.is_empty() {
                break;
            }
            let mut request = self.request.clone();
            if !self.unpaged {
                request.set_query("page_no", self.next_page_no.to_string());
            }
            let client = self.client.clone();
            let future: PageFuture<L> =
                Box::pin(
                    async move { client.execute(request, JSON, read_list::<L>).await.map(|page| *page.into_inner()) },
                );
            self.in_flight.push_back(InFlight { page_no: self.next_page_no, slot: Slot::Pending(future) });
            self.next_page_no += 1;
        }
    }

    /// Applies the stop rules to a page that arrived; `None` when it is not to be yielded.
    fn accept(&mut self, page_no: u64, mut page: L) -> Option<L> {
        self.pages_read += 1;
        let len = page.items().len() as u64;
        if let Some(count) = page.record_count() {
            if self.record_count.is_some_and(|previous| previous != count) {
                tracing::warn!(
                    page_no,
                    previous = self.record_count,
                    count,
                    "halopsa: record_count changed during a listing"
                );
            }
            self.record_count = Some(count);
        }
        let first = self.reference_len.is_none();
        let keys: Vec<PageKey> =
            if self.unpaged { Vec::new() } else { page.items().iter().map(PageKey::of::<L>).collect() };
        if !first && len > 0 && self.previous.as_ref() == Some(&keys) {
            // The same records as the page before, ids or not: the server ignores `page_no`. Records without ids
            // are always yielded, so without this a server that answers every page alike would be read up to the
            // page ceiling (10,000 requests).
            tracing::warn!(page_no, "halopsa: a page repeated the page before it; the server ignores page_no");
            self.repeated = true;
            self.finish();
            self.check_repeated(len);
            return None;
        }
        self.previous = Some(keys);
        let (seen, versions, conflicts) = (&mut self.seen, &mut self.versions, &mut self.conflicts);
        page.items_mut().retain(|item| {
            let Some(key) = L::item_key(item) else { return true };
            let content = content_hash(item);
            let key = match seen.entry(key) {
                Entry::Vacant(entry) => {
                    entry.insert(content);
                    return true;
                }
                // The same record again: pages shifted, or the server repeats them.
                Entry::Occupied(entry) if *entry.get() == content => return false,
                Entry::Occupied(entry) => entry.key().clone(),
            };
            let described = describe_key(L::KEY, &key);
            if !versions.insert((key, content)) {
                return false;
            }
            tracing::warn!(
                page_no,
                key = %described,
                "halopsa: two different records have the same key; both are kept"
            );
            let (count, _) = conflicts.get_or_insert_with(|| (0, format!("{described} on page {page_no}")));
            *count += 1;
            true
        });
        let fresh = page.items().len() as u64;
        self.yielded = self.yielded.saturating_add(fresh);
        if self.unpaged {
            // The whole answer: nothing more to ask for, and nothing a next page could bring.
            self.finish();
            return Some(page);
        }
        let reference_len = *self.reference_len.get_or_insert(len);
        if !first && fresh > 0 {
            self.followed = true;
        }
        let counted = self.record_count.is_some_and(|total| self.yielded >= total);
        let stop = if first {
            // A first page that holds the whole record count and is not a full page of the size asked for is the
            // whole listing. Without a count the next page decides: the server may cap pages lower than asked
            // (HaloAPI#90), or use larger pages than asked, or ignore paging and send everything (then the next
            // page brings nothing new).
            len == 0 || (counted && len != self.page_size)
        } else if fresh == 0 {
            if len > 0 {
                tracing::warn!(page_no, "halopsa: a page repeated records already read; the server ignores page_no");
                self.repeated = true;
                self.finish();
                self.check_repeated(len);
                return None;
            }
            true
        } else {
            if fresh < len {
                tracing::warn!(page_no, repeated = len - fresh, "halopsa: pages overlap; repeated records dropped");
            }
            len < reference_len || (counted && len < self.page_size)
        };
        if stop {
            self.finish();
            self.check_count();
        } else if page_no >= self.last_page_no() && self.in_flight.is_empty() {
            // The bound: the record count's pages plus one, or the ceiling. A full page here means more may follow.
            self.finish();
            if len >= reference_len && len > 0 {
                let message = format!(
                    "stopped after {} pages that were all full ({} records); halo's record_count was {}",
                    self.pages_read,
                    self.yielded,
                    self.record_count.map_or("not sent".to_owned(), |count| count.to_string())
                );
                self.set_incomplete(message);
            } else {
                self.check_count();
            }
        }
        (first || fresh > 0).then_some(page)
    }

    /// At the end of a listing whose server answered a page with records it had already sent: with a record count,
    /// the count decides; without one, a repeated page of exactly the size asked for may hide more pages (a page
    /// longer than asked is the server sending everything, a shorter one its whole list).
    fn check_repeated(&mut self, len: u64) {
        if self.record_count.is_none() && len == self.page_size {
            let message = format!(
                "the server answered page {} with the records of page {} ({len} records, a full page) and sent no \
                 record_count; more records may exist",
                self.first_page_no + self.pages_read - 1,
                self.first_page_no + self.pages_read - 2,
            );
            self.set_incomplete(message);
        } else {
            self.check_count();
        }
    }

    /// At the end: fewer distinct records than Halo's last record count means records may have been missed. A
    /// listing that started past page 1 is measured against the records its pages can account for.
    fn check_count(&mut self) {
        let before = self.before_start();
        if let Some(total) = self.record_count.filter(|total| self.yielded.saturating_add(before) < *total) {
            let message = if self.first_page_no > 1 && !self.repeated {
                format!(
                    "halo's record_count was {total}, but the pages from page {} on held {} distinct records and the \
                     {} pages before it at most {before}",
                    self.first_page_no,
                    self.yielded,
                    self.first_page_no - 1
                )
            } else {
                format!("halo's record_count was {total}, but the pages held {} distinct records", self.yielded)
            };
            self.set_incomplete(message);
        }
    }

    /// The records on the pages before the first page requested (a caller-set `page_no`): not missing, just
    /// skipped. At most that many, when the page size is not known (the start page was the short last page, whose
    /// length says nothing of the pages before it): then every page before it counts as a full page of the size
    /// asked for, or of the start page's own length if that is larger. None when the server ignores `page_no`:
    /// then the records read are not those of the pages from the start page on.
    fn before_start(&self) -> u64 {
        if self.first_page_no == 1 || self.repeated {
            return 0;
        }
        let per_page = self.page_len().unwrap_or_else(|| self.page_size.max(self.reference_len.unwrap_or(0)));
        (self.first_page_no - 1).saturating_mul(per_page)
    }

    /// The error that ends a listing whose pages were all read: records may be missing ([`ErrorKind::Incomplete`]),
    /// records share a key ([`ErrorKind::KeyConflict`]), or both (then the first, saying the second too).
    fn last_error(&mut self) -> Option<Error> {
        let Some((count, first)) = self.conflicts.take() else { return self.incomplete.take() };
        let message = format!(
            "{count} record(s) came with the key of another, different record (the first: {first}); all were \
             yielded: the key does not identify these records, or a record changed between two page requests"
        );
        Some(match self.incomplete.take() {
            Some(incomplete) => incomplete.with_message_suffix(&message),
            None => Error::new(ErrorKind::KeyConflict, message).with_request(&self.request.method, &self.request.path),
        })
    }

    fn set_incomplete(&mut self, message: String) {
        tracing::warn!(path = %self.request.path, "halopsa: listing may be incomplete: {message}");
        self.incomplete =
            Some(Error::new(ErrorKind::Incomplete, message).with_request(&self.request.method, &self.request.path));
    }

    fn finish(&mut self) {
        self.done = true;
        // Dropping the futures cancels the requests still in flight.
        self.in_flight.clear();
    }
}

/// A key as messages show it: `ticket_id 12, id 3` (the names from the spec, the values from the record).
pub(crate) fn describe_key(names: &[&str], key: &RecordKey) -> String {
    let parts = match key {
        RecordKey::Int(id) => vec![KeyPart::Int(*id)],
        RecordKey::Parts(parts) => parts.to_vec(),
    };
    let described: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(index, part)| match names.get(index) {
            Some(name) => format!("{name} {part}"),
            None => part.to_string(),
        })
        .collect();
    described.join(", ")
}

/// A record as the repeated-page check compares it: its key, or its JSON when it has none.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PageKey {
    Key(RecordKey),
    Json(Vec<u8>),
}

impl PageKey {
    fn of<L: ListPage>(item: &L::Item) -> PageKey {
        match L::item_key(item) {
            Some(key) => PageKey::Key(key),
            // A record that cannot be serialised compares as empty: it can only make two pages look alike when
            // every other record already does.
            None => PageKey::Json(serde_json::to_vec(item).unwrap_or_default()),
        }
    }
}

/// A page number and what its request gave.
type Arrived<L> = (u64, Result<L>);

/// Polls every request in flight (they all share the waker) and returns the first page once it is complete.
fn poll_front<L>(in_flight: &mut VecDeque<InFlight<L>>, cx: &mut Context<'_>) -> Poll<Option<Arrived<L>>> {
    for flight in in_flight.iter_mut() {
        if let Slot::Pending(future) = &mut flight.slot {
            if let Poll::Ready(outcome) = future.as_mut().poll(cx) {
                flight.slot = Slot::Ready(outcome);
            }
        }
    }
    match in_flight.front() {
        None => Poll::Ready(None),
        Some(InFlight { slot: Slot::Pending(_), .. }) => Poll::Pending,
        Some(InFlight { slot: Slot::Ready(_), .. }) => match in_flight.pop_front() {
            Some(InFlight { page_no, slot: Slot::Ready(outcome) }) => Poll::Ready(Some((page_no, outcome))),
            _ => Poll::Ready(None),
        },
    }
}

impl<L: ListPage> Stream for Pages<L> {
    type Item = Result<L>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_page(cx)
    }
}

/// Every record of every page of a list operation, in order, each record once. It ends after the first error.
///
/// Read it with [`next`](Self::next) (no other crate needed), or as a [`futures_core::Stream`].
#[must_use = "streams do nothing until polled"]
pub struct ItemStream<T> {
    inner: Pin<Box<dyn Stream<Item = Result<T>> + Send>>,
}

impl<T> ItemStream<T> {
    /// The next record, or `None` at the end. An `Err` is the last item.
    pub async fn next(&mut self) -> Option<Result<T>> {
        std::future::poll_fn(|cx| self.inner.as_mut().poll_next(cx)).await
    }
}

impl<T> fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream").finish_non_exhaustive()
    }
}

impl<T> Stream for ItemStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The stream behind [`Pages::items`]: the records of the current page, then the next page's.
struct Items<L: ListPage> {
    pages: Pages<L>,
    buffer: std::vec::IntoIter<L::Item>,
}

// As for `Pages`: nothing is pinned structurally.
impl<L: ListPage> Unpin for Items<L> {}

impl<L: ListPage> Stream for Items<L> {
    type Item = Result<L::Item>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.buffer.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            // The pager ends itself after its last page or an error, so the stream ends there too.
            match ready!(this.pages.poll_page(cx)) {
                Some(Ok(page)) => this.buffer = page.into_items().into_iter(),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }
}

/// A listing ([`Pages::all`], a list builder's `all()`) that failed, with the records it had read.
///
/// Converts into [`Error`] with `?`, dropping the records; match on it to keep them. [`page_no`](Self::page_no)
/// says which page failed, to resume from; for an [`ErrorKind::Incomplete`] error every page was read.
pub struct ListError<T> {
    error: Error,
    items: Vec<T>,
}

impl<T> ListError<T> {
    /// What went wrong.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The page (`page_no`) whose request failed, to resume the listing from with the list builder's
    /// `page_no(..)` setter: the same as `error().page_no()`. `None` for an [`ErrorKind::Incomplete`] error (every
    /// page was read) and for lists Halo does not page.
    pub fn page_no(&self) -> Option<u64> {
        self.error.page_no()
    }

    /// The records read before the failure, each once, in order.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The error and the records read before it.
    pub fn into_parts(self) -> (Error, Vec<T>) {
        (self.error, self.items)
    }
}

impl<T> From<ListError<T>> for Error {
    fn from(error: ListError<T>) -> Error {
        error.error
    }
}

impl<T> fmt::Display for ListError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} records read before it)", self.error, self.items.len())
    }
}

impl<T> fmt::Debug for ListError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListError").field("error", &self.error).field("items", &self.items.len()).finish()
    }
}

impl<T> std::error::Error for ListError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
