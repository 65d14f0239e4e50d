//! When to try a request again and how long to wait ([`RetryPolicy`]), and the optional client-side rate limiter
//! ([`RateLimit`]).
//!
//! Halo-hosted instances allow a few hundred requests per rolling five minutes and answer 429 beyond that
//! (HALO-NOTES §3, "Rate limits"). A 429 means the request was not applied, and so does a connection that could
//! not be opened, so any method may be retried then; a 503 or a network failure after the request left leaves that
//! open, so only idempotent methods are.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};

/// How often and how long the client retries a request that was rate limited (429), hit a temporarily
/// unavailable server (502, 503, 504; idempotent methods only) or failed on the network (idempotent methods only,
/// unless the connection could not even be opened).
///
/// Waits grow exponentially with full jitter (a random wait between zero and `base_delay · 2^(n-1)`, capped at
/// `max_delay`), unless Halo says how long to wait with `Retry-After`, which is then honoured as given, even beyond
/// `max_delay`. The client gives up after `max_attempts` attempts, or as soon as the next wait would end more than
/// `max_elapsed` after the first attempt started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retries.
    pub max_attempts: u32,
    /// The cap of the first backoff wait; it doubles with each retry.
    pub base_delay: Duration,
    /// The largest backoff wait (not applied to `Retry-After`).
    pub max_delay: Duration,
    /// The time budget of all attempts and waits together.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, 1 s base delay, 60 s cap, 5 minutes in all (Halo's rate-limit window).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is attempted once.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
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

/// Counts the attempts of one call against a [`RetryPolicy`].
pub(crate) struct Retrier<'a> {
    policy: &'a RetryPolicy,
    started: Instant,
    attempts: u32,
}

impl<'a> Retrier<'a> {
    pub(crate) fn new(policy: &'a RetryPolicy) -> Self {
        Retrier { policy, started: Instant::now(), attempts: 0 }
    }

    /// Call before each attempt; returns its number (1 for the first).
    pub(crate) fn start_attempt(&mut self) -> u32 {
        self.attempts += 1;
        self.attempts
    }

    /// The attempt just made does not count (the 401 → fresh token → retry case).
    pub(crate) fn forgive_attempt(&mut self) {
        self.attempts = self.attempts.saturating_sub(1);
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// After a failed attempt that may be retried: how long to wait, or `None` to give up.
    pub(crate) fn next_delay(&self, retry_after: Option<Duration>) -> Option<Duration> {
        if self.attempts >= self.policy.max_attempts.max(1) {
            return None;
        }
        let delay = retry_after.unwrap_or_else(|| self.policy.jittered_backoff(self.attempts));
        // Saturating: a policy may well say `Duration::MAX` for "no limit".
        (self.started.elapsed().saturating_add(delay) <= self.policy.max_elapsed).then_some(delay)
    }
}

/// Whether an answer with this status is worth another attempt of a request with this method.
pub(crate) fn retryable_status(status: StatusCode, method: &Method) -> bool {
    match status.as_u16() {
        // Throttled before anything was done: safe for every method, POST included.
        429 => true,
        // The server may have started on it: repeat only what is safe to repeat.
        502..=504 => method.is_idempotent(),
        _ => false,
    }
}

/// Whether a network failure of a request with this method is worth another attempt. A POST is repeated only when
/// the connection could not be opened (`connect_failed`: refused, DNS, TLS handshake, connect timeout), so that
/// nothing was sent; once it was, the server may have applied it before the connection broke.
pub(crate) fn retryable_network(method: &Method, connect_failed: bool) -> bool {
    connect_failed || method.is_idempotent()
}

/// `Retry-After`: delay-seconds or an HTTP date. A date in the past means no wait; garbage means no advice.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // A day is more than any sane answer; longer values are capped rather than overflowing.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX).min(86_400);
        return Some(Duration::from_secs(seconds));
    }
    let date = parse_http_date(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The three date formats of RFC 9110 §5.6.7: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
fn parse_http_date(value: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let cleaned = value.replace([',', '-'], " ");
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let month = |token: &str| MONTHS.iter().position(|m| token.eq_ignore_ascii_case(m)).map(|i| i as u32 + 1);
    let (day, month, year, time) = match tokens.as_slice() {
        [_, day, mon, year, time, zone] if zone.eq_ignore_ascii_case("GMT") => (*day, month(mon)?, *year, *time),
        [_, mon, day, time, year] => (*day, month(mon)?, *year, *time),
        _ => return None,
    };
    let day: u32 = day.parse().ok()?;
    let mut year: i64 = year.parse().ok()?;
    if year < 100 {
        // RFC 850's two-digit years: RFC 9110 says to read them as the nearest such year, in practice 19xx or 20xx.
        year += if year < 70 { 2000 } else { 1900 };
    }
    if year > 9999 {
        // Four digits at most: a garbage header must not overflow the day arithmetic below.
        return None;
    }
    let mut clock = time.split(':').map(|part| part.parse::<u32>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if clock.next().is_some() || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    let seconds = u64::try_from(seconds).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

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

    /// Waits until one more request fits in the window, and records it; returns the time recorded.
    ///
    /// The check and the record happen under one lock, so concurrent callers can never overfill the window.
    pub(crate) async fn acquire(&self) -> Instant {
        loop {
            let wait = {
                // The lock is never held across an await; a poisoned log is still a valid log.
                let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                while log.front().is_some_and(|started| now.duration_since(*started) >= self.limit.window) {
                    log.pop_front();
                }
                if log.len() < self.limit.max as usize {
                    log.push_back(now);
                    return now;
                }
                match log.front() {
                    // `checked_add`: a window of `Duration::MAX` would overflow the instant; then wait "forever".
                    Some(oldest) => oldest
                        .checked_add(self.limit.window)
                        .map_or(Duration::MAX, |free| free.saturating_duration_since(now)),
                    // Unreachable: a full log of a limit of at least 1 has a front; `build` refuses a limit of 0.
                    None => return now,
                }
            };
            tracing::debug!(wait_ms = wait.as_millis() as u64, "client-side rate limit reached; waiting");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(10),
        };
        let mut retrier = Retrier::new(&policy);
        assert_eq!(retrier.start_attempt(), 1);
        assert!(retrier.next_delay(None).unwrap() <= Duration::from_millis(1));
        retrier.start_attempt();
        assert_eq!(retrier.next_delay(Some(Duration::from_secs(2))), Some(Duration::from_secs(2)));
        // A Retry-After beyond the time budget ends the retries at once instead of sleeping first.
        assert_eq!(retrier.next_delay(Some(Duration::from_secs(11))), None);
        retrier.start_attempt();
        assert_eq!(retrier.next_delay(None), None);
        retrier.forgive_attempt();
        assert!(retrier.next_delay(None).is_some());
        let no_retries = RetryPolicy::none();
        let mut once = Retrier::new(&no_retries);
        once.start_attempt();
        assert_eq!(once.next_delay(None), None);
    }

    #[test]
    fn which_answers_are_retried() {
        assert!(retryable_status(StatusCode::TOO_MANY_REQUESTS, &Method::POST));
        assert!(retryable_status(StatusCode::SERVICE_UNAVAILABLE, &Method::GET));
        assert!(retryable_status(StatusCode::SERVICE_UNAVAILABLE, &Method::DELETE));
        assert!(!retryable_status(StatusCode::SERVICE_UNAVAILABLE, &Method::POST));
        assert!(!retryable_status(StatusCode::INTERNAL_SERVER_ERROR, &Method::GET));
        assert!(!retryable_status(StatusCode::NOT_FOUND, &Method::GET));
        assert!(retryable_network(&Method::GET, false) && retryable_network(&Method::DELETE, false));
        assert!(!retryable_network(&Method::POST, false));
        // Nothing was sent when the connection could not be opened: safe for a POST too.
        assert!(retryable_network(&Method::POST, true));
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
        // Leap years and the end of a year.
        let date = parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT").unwrap();
        assert_eq!(date.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_709_164_800);
        let date = parse_http_date("Fri, 31 Dec 1999 23:59:59 GMT").unwrap();
        assert_eq!(date.duration_since(UNIX_EPOCH).unwrap().as_secs(), 946_684_799);
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
        let unbounded = RetryPolicy {
            max_delay: Duration::MAX,
            base_delay: Duration::MAX,
            max_elapsed: Duration::MAX,
            max_attempts: 3,
        };
        let mut retrier = Retrier::new(&unbounded);
        retrier.start_attempt();
        assert!(retrier.next_delay(Some(Duration::MAX)).is_some());
        assert!(retrier.next_delay(None).is_some());
    }

    #[tokio::test]
    async fn limiter_spaces_requests_over_the_window() {
        let window = Duration::from_millis(150);
        let limiter = Limiter::new(RateLimit::per_window(3, window));
        let mut times = Vec::new();
        for _ in 0..4 {
            times.push(limiter.acquire().await);
        }
        assert!(times[3].duration_since(times[0]) >= window, "the fourth waits for the first to leave the window");
    }

    #[tokio::test]
    async fn limiter_with_an_endless_window_waits_instead_of_panicking() {
        let limiter = Limiter::new(RateLimit::per_window(1, Duration::MAX));
        limiter.acquire().await;
        assert!(tokio::time::timeout(Duration::from_millis(20), limiter.acquire()).await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn limiter_is_never_overfilled_by_concurrent_callers() {
        let window = Duration::from_millis(100);
        let limiter = Arc::new(Limiter::new(RateLimit::per_window(4, window)));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.acquire().await })
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
