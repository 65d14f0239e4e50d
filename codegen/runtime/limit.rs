//! Pacing requests on the client side: [`RateLimit`], the [`Pace`] seam the transport asks before every attempt
//! it paces, [`Limiter`], the sliding-window log a `RateLimit` becomes, and [`RateBudget`], a tenant's budget that
//! several clients share, which learns from 429s and serves interactive clients first.
//!
//! The transport owns the pacer as an `Arc<dyn Pace>` and is the only caller of its methods, so a pacer plugs in
//! without touching the send path (ARCHITECTURE.md, "The transport and the retry driver").

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;

/// A client-side rate limit: at most `max` requests in any rolling `window`, such as Halo's "300 requests per
/// rolling 5 minute window". A request that does not fit waits until it does.
///
/// Every attempt counts, retries and token requests included, because the server counts them too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub(crate) max: u32,
    pub(crate) window: Duration,
}

impl RateLimit {
    /// At most `max` requests in any rolling `window`: `RateLimit::per_window(600, Duration::from_secs(300))`.
    pub fn per_window(max: u32, window: Duration) -> Self {
        RateLimit { max, window }
    }

    /// The requests allowed in a window.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// The length of the rolling window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// The sliding-window log behind a [`RateLimit`]: the start times of the requests of the last window.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    log: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Limiter { limit, log: Mutex::new(VecDeque::with_capacity(limit.max.min(4096) as usize)) }
    }
}

/// What paces a client's requests: asked before every attempt the transport paces (API calls and token requests;
/// not a file's link, which goes to another host), and told how each of them went.
pub(crate) trait Pace: Send + Sync + fmt::Debug {
    /// Takes one request's place in the budget at `now` (`Ok`, with the instant recorded), or says how long to wait
    /// before asking again. The check and the record happen at once, so concurrent callers cannot overfill it.
    fn try_acquire(&self, now: Instant) -> Result<Instant, Duration>;

    /// What the answer to a paced attempt said: its status (`None` when there was no answer) and `Retry-After`.
    /// A budget that learns (a 429 means the server's limit is lower than configured) listens here; the window log
    /// has nothing to learn.
    fn observe(&self, status: Option<StatusCode>, retry_after: Option<Duration>) {
        let _ = (status, retry_after);
    }

    /// How many more requests fit at `now` (what [`Response::rate_remaining`](super::Response::rate_remaining)
    /// reports).
    fn remaining(&self, now: Instant) -> u32;
}

/// Waits until `pace` has room for one more request; returns the instant recorded.
pub(crate) async fn acquire(pace: &dyn Pace) -> Instant {
    loop {
        match pace.try_acquire(Instant::now()) {
            Ok(at) => return at,
            Err(wait) => {
                tracing::debug!(wait_ms = wait.as_millis() as u64, "client-side rate limit reached; waiting");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

impl Pace for Limiter {
    fn try_acquire(&self, now: Instant) -> Result<Instant, Duration> {
        // The lock is never held across an await; a poisoned log is still a valid log.
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        take_place(&mut log, self.limit.window, self.limit.max as usize, now)
    }

    fn remaining(&self, now: Instant) -> u32 {
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        forget_before(&mut log, self.limit.window, now);
        self.limit.max.saturating_sub(log.len() as u32)
    }
}

/// Drops the starts that left the window.
fn forget_before(log: &mut VecDeque<Instant>, window: Duration, now: Instant) {
    while log.front().is_some_and(|started| now.duration_since(*started) >= window) {
        log.pop_front();
    }
}

/// Records a start at `now` if fewer than `max` are in the window, or says how long until one leaves it.
fn take_place(log: &mut VecDeque<Instant>, window: Duration, max: usize, now: Instant) -> Result<Instant, Duration> {
    forget_before(log, window, now);
    if log.len() < max {
        log.push_back(now);
        return Ok(now);
    }
    // The start whose leaving makes room (`max` may have been lowered below the log's length).
    match log.len().checked_sub(max).and_then(|index| log.get(index)) {
        // `checked_add`: a window of `Duration::MAX` would overflow the instant; then wait "forever".
        Some(oldest) => {
            Err(oldest.checked_add(window).map_or(Duration::MAX, |free| free.saturating_duration_since(now)))
        }
        // A limit of 0, which `build` refuses: wait a window rather than spin.
        None => Err(window),
    }
}

/// One rate budget for every client of a tenant. Halo limits the tenant, not the client, so several clients (or
/// the jobs of one program) that each pace themselves with a [`RateLimit`] of their own overrun it together: hand
/// clones of one `RateBudget` to their [`ClientBuilder::rate_budget`](super::ClientBuilder::rate_budget) instead.
///
/// * A rolling-window log, like [`RateLimit`]: at most `max` requests (attempts, retries and token requests
///   included) in any `window`, whichever client sends them.
/// * It learns from 429s. A 429 that arrives while fewer than `max` of the budget's requests are in the window
///   means that the tenant's real limit is lower (or that someone else spends it): the budget lowers its limit to
///   what the server took (the requests in the window before the throttled one, at least 1), and goes back to the
///   configured limit once two windows passed without a 429. [`limit`](Self::limit) shows the limit in force.
/// * After a 429 with `Retry-After`, no client of the budget sends until it has passed (the client that got it
///   waits at least that long before retrying anyway).
/// * Interactive calls go first: the clients of a [`bulk`](Self::bulk) handle leave the last tenth of the window
///   (at least one request, when `max` is 2 or more) to the others, so a person waiting on an answer is not stuck
///   behind a nightly sync.
/// * [`remaining`](Self::remaining), and every answer's
///   [`Response::rate_remaining`](super::Response::rate_remaining), say how many more requests fit right now.
///
/// ```no_run
/// use std::time::Duration;
/// use halopsa::{Client, RateBudget, RateLimit};
///
/// # fn example() -> halopsa::Result<()> {
/// // Halo's "300 requests per rolling 5 minute window", for the whole tenant.
/// let budget = RateBudget::new(RateLimit::per_window(300, Duration::from_secs(300)));
/// let desk = Client::builder("https://acme.halopsa.com")
///     .client_credentials("desk-app", "secret-1")
///     .rate_budget(budget.clone())
///     .build()?;
/// let sync = Client::builder("https://acme.halopsa.com")
///     .client_credentials("sync-app", "secret-2")
///     .rate_budget(budget.bulk())
///     .build()?;
/// # let _ = (desk, sync);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RateBudget {
    shared: Arc<Budget>,
    bulk: bool,
}

/// What every handle of a budget shares.
struct Budget {
    configured: RateLimit,
    state: Mutex<BudgetState>,
}

struct BudgetState {
    log: VecDeque<Instant>,
    /// The limit learned from a 429, and when the last 429 came.
    learned: Option<(u32, Instant)>,
    /// No request before this instant (a 429's `Retry-After`).
    paused_until: Option<Instant>,
}

impl RateBudget {
    /// A budget of at most `limit`'s requests in any rolling window of its length, for interactive clients; clone
    /// it for each client that shares it, or take [`bulk`](Self::bulk) handles.
    pub fn new(limit: RateLimit) -> Self {
        let state = BudgetState { log: VecDeque::new(), learned: None, paused_until: None };
        RateBudget { shared: Arc::new(Budget { configured: limit, state: Mutex::new(state) }), bulk: false }
    }

    /// A handle to the same budget for bulk work: its clients leave the last tenth of the window to interactive
    /// ones.
    pub fn bulk(&self) -> Self {
        RateBudget { shared: self.shared.clone(), bulk: true }
    }

    /// The limit in force: the configured one, or the lower one learned from a 429.
    pub fn limit(&self) -> RateLimit {
        let mut state = self.shared.lock();
        RateLimit { max: self.shared.max(&mut state, Instant::now()), window: self.shared.configured.window }
    }

    /// How many more requests a client of this handle may send right now (for a bulk handle, without the
    /// interactive reserve).
    pub fn remaining(&self) -> u32 {
        Pace::remaining(self, Instant::now())
    }

    /// What the configured limit is, for `build` to refuse a limit of 0.
    pub(crate) fn configured(&self) -> RateLimit {
        self.shared.configured
    }

    /// The requests a bulk handle leaves to interactive ones out of `max`.
    fn reserve(&self, max: u32) -> u32 {
        if self.bulk && max >= 2 { max.div_ceil(10) } else { 0 }
    }
}

impl Budget {
    fn lock(&self) -> MutexGuard<'_, BudgetState> {
        // Never held across an await; a poisoned state is still a valid state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The limit in force at `now`: a learned limit lasts until two windows passed without a 429.
    fn max(&self, state: &mut BudgetState, now: Instant) -> u32 {
        let window = self.configured.window;
        if let Some((_, at)) = state.learned
            && at.checked_add(window.saturating_mul(2)).is_some_and(|until| now >= until)
        {
            state.learned = None;
        }
        state.learned.map_or(self.configured.max, |(max, _)| max)
    }
}

impl fmt::Debug for RateBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateBudget").field("limit", &self.shared.configured).field("bulk", &self.bulk).finish()
    }
}

impl Pace for RateBudget {
    fn try_acquire(&self, now: Instant) -> Result<Instant, Duration> {
        let mut state = self.shared.lock();
        if let Some(until) = state.paused_until {
            if now < until {
                return Err(until.duration_since(now));
            }
            state.paused_until = None;
        }
        let max = self.shared.max(&mut state, now);
        let usable = max - self.reserve(max);
        take_place(&mut state.log, self.shared.configured.window, usable as usize, now)
    }

    fn observe(&self, status: Option<StatusCode>, retry_after: Option<Duration>) {
        if status != Some(StatusCode::TOO_MANY_REQUESTS) {
            return;
        }
        let now = Instant::now();
        let mut state = self.shared.lock();
        let max = self.shared.max(&mut state, now);
        forget_before(&mut state.log, self.shared.configured.window, now);
        // The throttled request is in the log: the server took at most the ones before it.
        let took = (state.log.len() as u32).saturating_sub(1).max(1);
        if took < max {
            tracing::info!(
                limit = took,
                configured = self.shared.configured.max,
                "halopsa: a 429 within the rate budget; lowering the budget's limit"
            );
            state.learned = Some((took, now));
        } else if let Some(learned) = state.learned.as_mut() {
            learned.1 = now;
        }
        if let Some(until) = retry_after.and_then(|wait| now.checked_add(wait)) {
            state.paused_until = Some(state.paused_until.map_or(until, |paused| paused.max(until)));
        }
    }

    fn remaining(&self, now: Instant) -> u32 {
        let mut state = self.shared.lock();
        let max = self.shared.max(&mut state, now);
        forget_before(&mut state.log, self.shared.configured.window, now);
        (max - self.reserve(max)).saturating_sub(state.log.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limiter_spaces_requests_over_the_window() {
        let window = Duration::from_millis(150);
        let limiter = Limiter::new(RateLimit::per_window(3, window));
        let mut times = Vec::new();
        for _ in 0..4 {
            times.push(acquire(&limiter).await);
        }
        assert!(times[3].duration_since(times[0]) >= window, "the fourth waits for the first to leave the window");
    }

    #[tokio::test]
    async fn limiter_with_an_endless_window_waits_instead_of_panicking() {
        let limiter = Limiter::new(RateLimit::per_window(1, Duration::MAX));
        acquire(&limiter).await;
        assert!(tokio::time::timeout(Duration::from_millis(20), acquire(&limiter)).await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn limiter_is_never_overfilled_by_concurrent_callers() {
        let window = Duration::from_millis(100);
        let limiter = Arc::new(Limiter::new(RateLimit::per_window(4, window)));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { acquire(&*limiter).await })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times.sort();
        // Any five consecutive starts span at least a window: never more than four in one window.
        for five in times.windows(5) {
            assert!(five[4].duration_since(five[0]) >= window, "five requests within one window");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_bulk_handle_leaves_a_tenth_of_the_window_to_interactive_clients() {
        let budget = RateBudget::new(RateLimit::per_window(10, Duration::from_secs(60)));
        let bulk = budget.bulk();
        let now = Instant::now();
        for _ in 0..9 {
            assert!(bulk.try_acquire(now).is_ok());
        }
        assert!(bulk.try_acquire(now).is_err(), "the bulk handle took the interactive reserve");
        assert!(budget.try_acquire(now).is_ok(), "the interactive handle could not use the reserve");
        assert!(budget.try_acquire(now).is_err());
        // A budget of one has no reserve: bulk work would otherwise never run.
        let one = RateBudget::new(RateLimit::per_window(1, Duration::from_secs(60))).bulk();
        assert!(one.try_acquire(now).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_within_the_budget_lowers_it_until_two_quiet_windows_passed() {
        let window = Duration::from_secs(60);
        let budget = RateBudget::new(RateLimit::per_window(20, window));
        for _ in 0..8 {
            budget.try_acquire(Instant::now()).unwrap();
        }
        // The eighth was throttled: the tenant took seven.
        budget.observe(Some(StatusCode::TOO_MANY_REQUESTS), None);
        assert_eq!(budget.limit().max(), 7);
        assert!(budget.try_acquire(Instant::now()).is_err(), "the lowered limit is full");
        // Other answers teach nothing.
        budget.observe(Some(StatusCode::OK), None);
        budget.observe(None, None);
        assert_eq!(budget.limit().max(), 7);
        tokio::time::advance(window * 2).await;
        assert_eq!(budget.limit().max(), 20, "not back to the configured limit after two quiet windows");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_429_with_retry_after_no_handle_sends_before_it_passed() {
        let budget = RateBudget::new(RateLimit::per_window(100, Duration::from_secs(60)));
        let other = budget.bulk();
        budget.try_acquire(Instant::now()).unwrap();
        // A Retry-After longer than the window: the log alone would let the next request go at once.
        budget.observe(Some(StatusCode::TOO_MANY_REQUESTS), Some(Duration::from_secs(90)));
        assert_eq!(other.try_acquire(Instant::now()), Err(Duration::from_secs(90)));
        tokio::time::advance(Duration::from_secs(89)).await;
        assert_eq!(other.try_acquire(Instant::now()), Err(Duration::from_secs(1)));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(other.try_acquire(Instant::now()).is_ok());
    }
}
