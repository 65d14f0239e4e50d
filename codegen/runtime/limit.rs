//! Pacing requests on the client side: [`RateLimit`], the [`Pace`] seam the transport asks before every attempt
//! it paces, and [`Limiter`], the sliding-window log a `RateLimit` becomes.
//!
//! The transport owns the pacer as an `Arc<dyn Pace>` and is the only caller of its two methods, so another pacer
//! plugs in without touching the send path: a budget shared by several clients of one tenant (one `Arc` handed to
//! each), one that learns from the 429s it is told about, one that serves interactive calls first
//! (ARCHITECTURE.md, "The transport and the retry driver").

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, PoisonError};
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
        while log.front().is_some_and(|started| now.duration_since(*started) >= self.limit.window) {
            log.pop_front();
        }
        if log.len() < self.limit.max as usize {
            log.push_back(now);
            return Ok(now);
        }
        match log.front() {
            // `checked_add`: a window of `Duration::MAX` would overflow the instant; then wait "forever".
            Some(oldest) => Err(oldest
                .checked_add(self.limit.window)
                .map_or(Duration::MAX, |free| free.saturating_duration_since(now))),
            // Unreachable: a full log of a limit of at least 1 has a front; `build` refuses a limit of 0.
            None => Ok(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
}
