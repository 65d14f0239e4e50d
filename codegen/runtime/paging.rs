//! Pagination: [`Pages`] walks `page_no` 1, 2, 3, ... of a list operation (a [`Stream`] of pages), and
//! [`ItemStream`] flattens the pages.
//!
//! Halo pages with `pageinate=true&page_size=N&page_no=K` (1-based), caps `page_size` at 100 without saying so,
//! and answers either `{"record_count": N, "<key>": [...]}` or a bare array (HALO-NOTES §3, "Pagination"). So the
//! pager never trusts the size it asked for: it stops on an empty page, on a page shorter than the first one, or
//! once it has seen `record_count` items.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use serde::de::DeserializeOwned;

use super::{Client, Request, Result};

/// Halo's largest page.
pub(crate) const MAX_PAGE_SIZE: u64 = 100;

/// A page of a list operation: the wrapper type (`AgentList`), which also stands for a bare-array answer.
///
/// Generated for every list wrapper; the runtime uses it to decode either shape and to read the record count.
pub trait ListPage: DeserializeOwned + Send + 'static {
    /// The record type (`Agent`).
    type Item: DeserializeOwned + Send + 'static;
    /// The page for a bare-array answer.
    fn from_items(items: Vec<Self::Item>) -> Self;
    /// The total number of records (`record_count`), when Halo sent it.
    fn record_count(&self) -> Option<u64>;
    /// The records of this page.
    fn items(&self) -> &[Self::Item];
    /// The records of this page, by value.
    fn into_items(self) -> Vec<Self::Item>;
}

/// The records of every page of a list operation, in order, as a [`Stream`]. It ends after the first error.
pub type ItemStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'a>>;

/// A page and the body it was decoded from.
type Fetched<L> = Result<(L, Bytes)>;

type PageFuture<'a, L> = Pin<Box<dyn Future<Output = Fetched<L>> + Send + 'a>>;

enum Slot<'a, L> {
    Pending(PageFuture<'a, L>),
    Ready(Fetched<L>),
}

struct InFlight<'a, L> {
    page_no: u64,
    slot: Slot<'a, L>,
}

/// The pages of a list operation, fetched on demand: `pageinate=true`, `page_no` from 1 (or from the `page_no`
/// the request already had), `page_size` as the request had it but at most 100 (100 when unset).
///
/// Paging stops on an empty page, on a page shorter than the first page (whatever size was asked for: Halo caps it
/// silently), once `record_count` records have been seen, or when a page repeats the previous one byte for byte
/// (a server that ignores `page_no`). The first page is always yielded, even empty; a later empty page is not.
///
/// Read it with [`next_page`](Self::next_page) or as a [`Stream`] of pages, or turn it into a stream of records
/// ([`items`](Self::items)) or one `Vec` ([`all`](Self::all)). After an error, it ends.
///
/// With [`concurrency`](Self::concurrency) above 1, once the first page has given the record count, the remaining
/// pages are fetched that many at a time; they are still yielded in order.
#[must_use = "pages do nothing until polled"]
pub struct Pages<'a, L: ListPage> {
    client: &'a Client,
    request: Request,
    page_size: u64,
    first_page_no: u64,
    next_page_no: u64,
    concurrency: usize,
    in_flight: VecDeque<InFlight<'a, L>>,
    /// The length of the first page fetched: the page size the server really uses.
    reference_len: Option<u64>,
    record_count: Option<u64>,
    /// Records up to the end of the last page yielded, counting the pages before the first page fetched.
    seen: u64,
    /// The body of the last page yielded (a shared buffer, not a copy), to notice a server that ignores `page_no`.
    /// Comparing bodies is exact, and cheaper than hashing each: two different pages differ within a few bytes.
    last_body: Option<Bytes>,
    done: bool,
}

// No field is pinned structurally (the page futures are boxed and pinned on their own; pages are only moved out),
// so `Pages` may move freely even if the record type is not `Unpin`.
impl<L: ListPage> Unpin for Pages<'_, L> {}

impl<L: ListPage> fmt::Debug for Pages<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("request", &self.request)
            .field("page_size", &self.page_size)
            .field("next_page_no", &self.next_page_no)
            .field("concurrency", &self.concurrency)
            .field("in_flight", &self.in_flight.len())
            .field("record_count", &self.record_count)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<'a, L: ListPage> Pages<'a, L> {
    /// Pages through `req`, setting `pageinate`, `page_no` and `page_size` on it.
    pub fn new(client: &'a Client, mut req: Request) -> Self {
        let positive = |name: &str| req.query_value(name).and_then(|v| v.trim().parse::<i64>().ok()).filter(|n| *n > 0);
        let page_size = positive("page_size").map_or(MAX_PAGE_SIZE, |n| (n as u64).min(MAX_PAGE_SIZE));
        let first_page_no = positive("page_no").map_or(1, |n| n as u64);
        req.set_query("pageinate", "true".to_owned());
        req.set_query("page_size", page_size.to_string());
        Pages {
            client,
            request: req,
            page_size,
            first_page_no,
            next_page_no: first_page_no,
            concurrency: 1,
            in_flight: VecDeque::new(),
            reference_len: None,
            record_count: None,
            seen: 0,
            last_body: None,
            done: false,
        }
    }

    /// Fetches up to `n` pages at a time once the record count is known (default 1; 0 counts as 1).
    /// Without a record count (a bare-array answer), pages are fetched one at a time.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
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
    pub fn items(self) -> ItemStream<'a, L::Item> {
        Box::pin(Items { pages: self, buffer: Vec::new().into_iter() })
    }

    /// Every record of every page.
    pub async fn all(mut self) -> Result<Vec<L::Item>> {
        let mut items = Vec::new();
        while let Some(page) = self.next_page().await {
            let page = page?;
            if items.is_empty() {
                // The count is the server's claim; cap the up-front allocation rather than trust it blindly.
                let expected = self.record_count.unwrap_or(0).min(100_000) as usize;
                items.reserve(expected.saturating_sub(self.seen_before_start()));
            }
            items.extend(page.into_items());
        }
        Ok(items)
    }

    fn seen_before_start(&self) -> usize {
        let before = (self.first_page_no - 1).saturating_mul(self.reference_len.unwrap_or(0));
        usize::try_from(before).unwrap_or(usize::MAX)
    }

    /// The next page once it has arrived: starts the requests it needs, polls those in flight, applies the stop
    /// rules. Shared by [`next_page`](Self::next_page), the page stream and the item stream.
    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<L>>> {
        if self.done {
            return Poll::Ready(None);
        }
        self.fill();
        let Some((page_no, outcome)) = ready!(poll_front(&mut self.in_flight, cx)) else {
            return Poll::Ready(None);
        };
        Poll::Ready(match outcome {
            Err(error) => {
                self.finish();
                Some(Err(error))
            }
            Ok((page, body)) => self.accept(page_no, page, body).map(Ok),
        })
    }

    /// Starts page requests: one at a time, or up to `concurrency` while the record count says more pages exist.
    fn fill(&mut self) {
        let last_planned = match (self.reference_len, self.record_count) {
            (Some(len), Some(total)) if len > 0 => Some(total.div_ceil(len).max(self.first_page_no)),
            _ => None,
        };
        let width = if last_planned.is_some() { self.concurrency } else { 1 };
        while self.in_flight.len() < width {
            // Past the planned last page, only one request at a time: it is there to confirm the end.
            if last_planned.is_some_and(|last| self.next_page_no > last) && !self.in_flight.is_empty() {
                break;
            }
            let mut request = self.request.clone();
            request.set_query("page_no", self.next_page_no.to_string());
            let client = self.client;
            let future: PageFuture<'a, L> = Box::pin(async move { client.fetch_list::<L>(request).await });
            self.in_flight.push_back(InFlight { page_no: self.next_page_no, slot: Slot::Pending(future) });
            self.next_page_no += 1;
        }
    }

    /// Applies the stop rules to a page that arrived; `None` when it is past the end and not to be yielded.
    fn accept(&mut self, page_no: u64, page: L, body: Bytes) -> Option<L> {
        let len = page.items().len() as u64;
        if let Some(count) = page.record_count() {
            self.record_count = Some(count);
        }
        let Some(reference_len) = self.reference_len else {
            // The first page: it says how large the server's pages really are.
            self.reference_len = Some(len);
            self.last_body = Some(body);
            // Saturating: the caller may have asked for an absurd first `page_no`.
            self.seen = (self.first_page_no - 1).saturating_mul(len).saturating_add(len);
            let counted = self.record_count.is_some_and(|total| self.seen >= total);
            // More records than asked for and no count: the server ignored the paging and sent everything.
            let everything = self.record_count.is_none() && len > self.page_size;
            if len == 0 || counted || everything {
                self.finish();
            }
            return Some(page);
        };
        if len == 0 || self.last_body.as_ref() == Some(&body) {
            if len > 0 {
                tracing::debug!(page_no, "page repeats the previous one; the server ignores page_no");
            }
            self.finish();
            return None;
        }
        self.last_body = Some(body);
        self.seen = self.seen.saturating_add(len);
        if len < reference_len || self.record_count.is_some_and(|total| self.seen >= total) {
            self.finish();
        }
        Some(page)
    }

    fn finish(&mut self) {
        self.done = true;
        // Dropping the futures cancels the requests still in flight.
        self.in_flight.clear();
    }
}

/// A page number and what its request gave.
type Arrived<L> = (u64, Fetched<L>);

/// Polls every request in flight (they all share the waker) and returns the first page once it is complete.
fn poll_front<L>(in_flight: &mut VecDeque<InFlight<'_, L>>, cx: &mut Context<'_>) -> Poll<Option<Arrived<L>>> {
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

impl<L: ListPage> Stream for Pages<'_, L> {
    type Item = Result<L>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_page(cx)
    }
}

/// The stream behind [`Pages::items`]: the records of the current page, then the next page's.
struct Items<'a, L: ListPage> {
    pages: Pages<'a, L>,
    buffer: std::vec::IntoIter<L::Item>,
}

// As for `Pages`: nothing is pinned structurally.
impl<L: ListPage> Unpin for Items<'_, L> {}

impl<L: ListPage> Stream for Items<'_, L> {
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
