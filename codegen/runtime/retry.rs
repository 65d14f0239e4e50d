//! The rules of retrying: when to try a request again and how long to wait ([`RetryPolicy`], [`Retrier`]), which
//! failures are safe to repeat for which operations ([`Failure::may_retry`], the one function that decides), how
//! many fresh tokens a call may get after 401s, and the budget of a token request. `driver.rs` applies them.
//!
//! Halo-hosted instances allow a few hundred requests per rolling five minutes and answer 429 beyond that
//! (HALO-NOTES §3, "Rate limits"). Whether a failed request may be sent again depends on two things: whether the
//! server certainly did not act on it (429, 503, a connection that never opened), and whether the operation is
//! idempotent (reads, updates of an id, deletes; the generator knows which from the spec). A create is repeated
//! only in the first case; otherwise its outcome is unknown and the error says so.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use tokio::time::Instant;

/// How long the client keeps retrying a request that failed transiently, and how it spaces the attempts.
///
/// The default budget is time, not attempts: a request is retried for up to [`max_elapsed`](Self::max_elapsed)
/// (6 minutes, longer than Halo's rolling 5-minute rate-limit window, so a request that meets a full window
/// outlasts it) with exponential backoff and full jitter (a random wait between zero and `base_delay · 2^(n-1)`,
/// at most `max_delay`), or exactly as long as Halo's `Retry-After` says. The client never starts a wait that
/// would end past the budget. Each wait is logged as a `tracing` event at INFO level.
///
/// Which failures are retried (whatever the policy):
///
/// | failure | reads, updates (`update`, `update_many`), deletes, report runs (`_loadreportonly`) | creates (`create`, `create_many`) and other non-idempotent calls |
/// |---|---|---|
/// | 429 Too Many Requests, 503 Service Unavailable | retried | retried: Halo did not act on it |
/// | 500 Internal Server Error | retried, at most twice a call | not retried: [`ErrorKind::OutcomeUnknown`] |
/// | 502 Bad Gateway, 504 Gateway Timeout | retried | not retried: [`ErrorKind::OutcomeUnknown`] |
/// | the connection could not be opened | retried | retried: nothing was sent |
/// | the connection broke or timed out after sending | retried | not retried: [`ErrorKind::OutcomeUnknown`] |
/// | a 2xx answer cut short (shorter than its `Content-Length`, or truncated JSON) or not JSON | retried | not retried: [`ErrorKind::OutcomeUnknown`] |
/// | 401 | a fresh token, then retried (at most three fresh tokens per call) | the same |
/// | any other status; a body of the wrong shape | not retried | not retried |
///
/// [`Error::is_retryable`](super::Error::is_retryable) answers the same question for a returned error.
///
/// A token request is retried by the same rules (asking for a token twice is harmless, so as a read), with this
/// policy's delays and attempts, but for at most 30 seconds: calls that need a token wait for the one request that
/// fetches it, and share its error if it fails.
///
/// [`ErrorKind::OutcomeUnknown`]: super::ErrorKind::OutcomeUnknown
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Retries for up to 6 minutes, with no limit on the number of attempts; backoff from 1 s, capped at 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: u32::MAX,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(360),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is attempted once (a 401 still gets a fresh token and one more try).
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// The time budget of all attempts and waits of one request together (default 6 minutes).
    pub fn max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// At most this many attempts, the first included (default: no limit but the time budget; 0 counts as 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The cap of the first backoff wait (default 1 s); it doubles with each retry.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest backoff wait (default 60 s). Halo's `Retry-After` is honoured even beyond it.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The backoff cap before retry number `retry` (1 for the first retry): `base_delay · 2^(retry-1)`, at most
    /// `max_delay`. The wait itself is a random duration between zero and this cap.
    fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(31);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    fn jittered_backoff(&self, retry: u32) -> Duration {
        let cap = self.backoff_cap(retry);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// A transient failure of one attempt, by what it says about whether the server acted on the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 429: throttled before anything was done.
    Throttled,
    /// 503: the server says it did not handle the request.
    Unavailable,
    /// 502 or 504: a gateway gave up; the server behind it may have acted.
    Gateway,
    /// 500: the server failed part way, perhaps after it acted (a create may have been saved); Halo also answers
    /// 500 for errors that do not pass (a wrong tenant), so a call retries it at most [`SERVER_ERROR_RETRIES`]
    /// times.
    ServerError,
    /// The connection could not be opened (refused, DNS, TLS handshake, connect timeout): nothing was sent.
    ConnectFailed,
    /// The connection broke, or the attempt timed out, after the request was sent.
    AfterSending,
    /// A 2xx answer whose body is truncated or not JSON at all.
    Garbled,
}

impl Failure {
    /// The failure an answer's status stands for, if it is a transient one.
    pub(crate) fn from_status(status: StatusCode) -> Option<Failure> {
        match status.as_u16() {
            429 => Some(Failure::Throttled),
            503 => Some(Failure::Unavailable),
            502 | 504 => Some(Failure::Gateway),
            500 => Some(Failure::ServerError),
            _ => None,
        }
    }

    /// Whether the server certainly did not act on the request.
    pub(crate) fn not_handled(self) -> bool {
        matches!(self, Failure::Throttled | Failure::Unavailable | Failure::ConnectFailed)
    }

    /// Whether a request that failed this way may be sent again: always when the server did not act on it, and
    /// for idempotent operations whatever happened. The client's retry loop and `Error::is_retryable` both ask this.
    pub(crate) fn may_retry(self, idempotent: bool) -> bool {
        idempotent || self.not_handled()
    }
}

/// How many times one call retries a 500 (within its policy): enough for a server that failed once, few enough that
/// an error that does not pass (Halo answers a wrong tenant with 500) is reported in seconds, not after the whole
/// retry budget.
pub(crate) const SERVER_ERROR_RETRIES: u32 = 2;

/// How many fresh tokens one call may fetch after 401s: enough to outlast tokens revoked while it waited for a
/// retry, few enough that a server rejecting every token ends the call quickly.
pub(crate) const MAX_REFRESHES: u32 = 3;

/// The longest a token request retries (within its client's policy, which may be shorter): every call that needs a
/// token waits for it, so it must not take the 6 minutes a call may.
pub(crate) const TOKEN_BUDGET: Duration = Duration::from_secs(30);

impl RetryPolicy {
    /// The policy of a token request: this one, within [`TOKEN_BUDGET`].
    pub(crate) fn for_tokens(&self) -> RetryPolicy {
        RetryPolicy { max_elapsed: self.max_elapsed.min(TOKEN_BUDGET), ..self.clone() }
    }
}

/// Counts the attempts of one call against a [`RetryPolicy`].
pub(crate) struct Retrier<'a> {
    policy: &'a RetryPolicy,
    started: Instant,
    attempts: u32,
    /// Retries after a 500 so far ([`SERVER_ERROR_RETRIES`]).
    server_errors: u32,
}

impl<'a> Retrier<'a> {
    pub(crate) fn new(policy: &'a RetryPolicy) -> Self {
        Retrier { policy, started: Instant::now(), attempts: 0, server_errors: 0 }
    }

    /// Call before each attempt; returns its number (1 for the first).
    pub(crate) fn start_attempt(&mut self) -> u32 {
        self.attempts = self.attempts.saturating_add(1);
        self.attempts
    }

    /// The attempt just made does not count against `max_attempts` (the 401 → fresh token → retry case).
    pub(crate) fn forgive_attempt(&mut self) {
        self.attempts = self.attempts.saturating_sub(1);
    }

    /// When the call started (its first attempt, or the wait for its first credential).
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// After an attempt that failed with `failure`, which may be retried ([`Failure::may_retry`] said so): how
    /// long to wait, or `None` to give up (the policy's attempts or time budget, or a 500's own limit).
    pub(crate) fn next_delay(&mut self, failure: Failure, retry_after: Option<Duration>) -> Option<Duration> {
        if self.attempts >= self.policy.max_attempts.max(1) {
            return None;
        }
        if failure == Failure::ServerError {
            if self.server_errors >= SERVER_ERROR_RETRIES {
                return None;
            }
            self.server_errors += 1;
        }
        let delay = retry_after.unwrap_or_else(|| self.policy.jittered_backoff(self.attempts));
        // Saturating: a policy may well say `Duration::MAX` for "no limit".
        (self.started.elapsed().saturating_add(delay) <= self.policy.max_elapsed).then_some(delay)
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (`httpdate`). A date in the past means no wait; garbage means no
/// advice.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // A day is more than any sane answer; longer values are capped rather than overflowing.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX).min(86_400);
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn backoff_caps_double_up_to_max_delay() {
        let policy = RetryPolicy::default();
        let caps: Vec<u64> = (1..=8).map(|n| policy.backoff_cap(n).as_secs()).collect();
        assert_eq!(caps, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(policy.backoff_cap(200), Duration::from_secs(60));
        for retry in 1..10 {
            let wait = policy.jittered_backoff(retry);
            assert!(wait <= policy.backoff_cap(retry));
        }
    }

    #[test]
    fn retrier_stops_at_max_attempts_and_max_elapsed() {
        let policy = RetryPolicy::default()
            .max_attempts(3)
            .base_delay(Duration::from_millis(1))
            .max_delay(Duration::from_millis(5))
            .max_elapsed(Duration::from_secs(10));
        let mut retrier = Retrier::new(&policy);
        assert_eq!(retrier.start_attempt(), 1);
        assert!(retrier.next_delay(Failure::Throttled, None).unwrap() <= Duration::from_millis(1));
        retrier.start_attempt();
        assert_eq!(retrier.next_delay(Failure::Throttled, Some(Duration::from_secs(2))), Some(Duration::from_secs(2)));
        // A Retry-After beyond the time budget ends the retries at once instead of sleeping first.
        assert_eq!(retrier.next_delay(Failure::Throttled, Some(Duration::from_secs(11))), None);
        retrier.start_attempt();
        assert_eq!(retrier.next_delay(Failure::Throttled, None), None);
        retrier.forgive_attempt();
        assert!(retrier.next_delay(Failure::Throttled, None).is_some());
        let no_retries = RetryPolicy::none();
        let mut once = Retrier::new(&no_retries);
        once.start_attempt();
        assert_eq!(once.next_delay(Failure::Throttled, None), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_default_budget_is_time_not_attempts() {
        let policy = RetryPolicy::default();
        let mut retrier = Retrier::new(&policy);
        let mut attempts = 0;
        loop {
            attempts += 1;
            retrier.start_attempt();
            match retrier.next_delay(Failure::Throttled, None) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => break,
            }
        }
        // Far more than the old six attempts, and never a wait that ends past six minutes.
        assert!(attempts > 6, "{attempts}");
        assert!(retrier.started().elapsed() <= Duration::from_secs(360), "{:?}", retrier.started().elapsed());
        // A Retry-After that fits is honoured as given, even beyond max_delay.
        let mut retrier = Retrier::new(&policy);
        assert_eq!(
            retrier.next_delay(Failure::Throttled, Some(Duration::from_secs(299))),
            Some(Duration::from_secs(299))
        );
        assert_eq!(retrier.next_delay(Failure::Throttled, Some(Duration::from_secs(361))), None);
        assert_eq!(RetryPolicy::default().max_attempts(0), RetryPolicy::default().max_attempts(1));
    }

    #[test]
    fn which_failures_may_be_retried() {
        let all = [
            Failure::Throttled,
            Failure::Unavailable,
            Failure::Gateway,
            Failure::ServerError,
            Failure::ConnectFailed,
            Failure::AfterSending,
            Failure::Garbled,
        ];
        for failure in all {
            // Idempotent operations: every transient failure.
            assert!(failure.may_retry(true), "{failure:?}");
        }
        let for_creates: Vec<_> = all.into_iter().filter(|failure| failure.may_retry(false)).collect();
        assert_eq!(for_creates, [Failure::Throttled, Failure::Unavailable, Failure::ConnectFailed]);
        assert_eq!(Failure::from_status(StatusCode::TOO_MANY_REQUESTS), Some(Failure::Throttled));
        assert_eq!(Failure::from_status(StatusCode::SERVICE_UNAVAILABLE), Some(Failure::Unavailable));
        assert_eq!(Failure::from_status(StatusCode::BAD_GATEWAY), Some(Failure::Gateway));
        assert_eq!(Failure::from_status(StatusCode::GATEWAY_TIMEOUT), Some(Failure::Gateway));
        assert_eq!(Failure::from_status(StatusCode::INTERNAL_SERVER_ERROR), Some(Failure::ServerError));
        assert_eq!(Failure::from_status(StatusCode::NOT_IMPLEMENTED), None);
        assert_eq!(Failure::from_status(StatusCode::NOT_FOUND), None);
    }

    #[test]
    fn a_500_is_retried_at_most_twice_a_call_within_the_policy() {
        let policy = RetryPolicy::default().base_delay(Duration::from_millis(1));
        let mut retrier = Retrier::new(&policy);
        let mut retries = 0;
        loop {
            retrier.start_attempt();
            match retrier.next_delay(Failure::ServerError, None) {
                Some(_) => retries += 1,
                None => break,
            }
        }
        assert_eq!(retries, SERVER_ERROR_RETRIES);
        // Other failures of the same call are still retried by the policy.
        assert!(retrier.next_delay(Failure::Throttled, None).is_some());
        // A policy of fewer attempts ends sooner.
        let once = RetryPolicy::none();
        let mut retrier = Retrier::new(&once);
        retrier.start_attempt();
        assert_eq!(retrier.next_delay(Failure::ServerError, None), None);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(Duration::from_secs(86_400)));
        for date in ["Sun, 06 Nov 1994 08:50:07 GMT", "Sunday, 06-Nov-94 08:50:07 GMT", "Sun Nov  6 08:50:07 1994"] {
            assert_eq!(parse_retry_after(date, now), Some(Duration::from_secs(30)), "{date}");
        }
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO));
        for garbage in ["", "-5", "1.5", "soon", "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 06 Foo 1994 08:00:00 GMT"] {
            assert_eq!(parse_retry_after(garbage, now), None, "{garbage}");
        }
    }

    #[test]
    fn absurd_dates_and_policies_do_not_overflow() {
        // A server's garbage must not panic the client (overflow checks are on in debug builds).
        let now = SystemTime::now();
        for date in ["Sun, 06 Nov 9223372036854775807 08:49:37 GMT", "Sun Nov  6 08:49:37 100000000000000"] {
            assert_eq!(parse_retry_after(date, now), None, "{date}");
        }
        let far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).unwrap();
        assert!(far > Duration::from_secs(86_400 * 365 * 7000));
        let unbounded = RetryPolicy::default()
            .max_delay(Duration::MAX)
            .base_delay(Duration::MAX)
            .max_elapsed(Duration::MAX)
            .max_attempts(3);
        let mut retrier = Retrier::new(&unbounded);
        retrier.start_attempt();
        assert!(retrier.next_delay(Failure::Throttled, Some(Duration::MAX)).is_some());
        assert!(retrier.next_delay(Failure::Throttled, None).is_some());
    }

    #[test]
    fn a_token_request_retries_within_its_own_budget() {
        assert_eq!(RetryPolicy::default().for_tokens().max_elapsed, TOKEN_BUDGET);
        // A shorter or stricter client policy stays as it is.
        let short = RetryPolicy::default().max_elapsed(Duration::from_secs(5)).max_attempts(2);
        assert_eq!(short.for_tokens(), short);
        assert_eq!(RetryPolicy::none().for_tokens().max_attempts, 1);
    }
}
