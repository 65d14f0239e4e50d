//! One rate budget per tenant (issue 20, item 4): clients that share a `RateBudget` stay within the tenant's limit
//! together, the budget learns a lower limit from 429s, and the answers say what is left. Against the fake limited to
//! 10 API requests per rolling minute, on tokio's paused clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use halopsa::{Client, ClientBuilder, ErrorKind, Hook, HookRequest, HookResponse, RateBudget, RateLimit, RetryPolicy};
use halopsa_tests::fake_halo::{FakeHalo, RateLimit as ServerRateLimit};
use tokio::time::Instant;

const WINDOW: Duration = Duration::from_secs(60);

async fn fake() -> FakeHalo {
    FakeHalo::builder().default_seed().rate_limit(ServerRateLimit::new(10, WINDOW).with_retry_after()).start().await
}

fn builder(fake: &FakeHalo) -> ClientBuilder {
    Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .retry_policy(RetryPolicy::default().max_elapsed(Duration::from_secs(3600)))
}

/// `calls` listings, one after the other; every one must succeed.
async fn job(client: Client, calls: usize) {
    for n in 0..calls {
        client.agents().list().send().await.unwrap_or_else(|error| panic!("call {n}: {error}"));
    }
}

fn throttled(fake: &FakeHalo) -> usize {
    fake.requests().iter().filter(|request| request.status == Some(429)).count()
}

#[tokio::test(start_paused = true)]
async fn two_clients_sharing_a_budget_draw_no_more_429s_than_one_client_alone() {
    let limit = RateLimit::per_window(10, WINDOW);

    // One client alone, with the tenant's limit, 30 calls.
    let alone = fake().await;
    job(builder(&alone).rate_budget(RateBudget::new(limit)).build().unwrap(), 30).await;
    let alone_429s = throttled(&alone);

    // Two clients, each with that limit of its own, 15 calls each at once: together they overrun the tenant.
    let separate = fake().await;
    let (a, b) =
        (builder(&separate).rate_limit(limit).build().unwrap(), builder(&separate).rate_limit(limit).build().unwrap());
    tokio::join!(job(a, 15), job(b, 15));
    let separate_429s = throttled(&separate);
    assert!(separate_429s > alone_429s, "separate limits drew {separate_429s} 429s, one client {alone_429s}");

    // The same two clients sharing one budget (one of them a bulk job).
    let shared = fake().await;
    let budget = RateBudget::new(limit);
    let interactive = builder(&shared).rate_budget(budget.clone()).build().unwrap();
    let bulk = builder(&shared).rate_budget(budget.bulk()).build().unwrap();
    tokio::join!(job(interactive, 15), job(bulk, 15));
    let shared_429s = throttled(&shared);
    println!(
        "429s: one client {alone_429s}, two with limits of their own {separate_429s}, two sharing one {shared_429s}"
    );
    assert!(shared_429s <= alone_429s, "sharing a budget drew {shared_429s} 429s, one client alone {alone_429s}");
    assert_eq!(shared.requests().iter().filter(|request| request.status == Some(200)).count(), 30);
}

#[tokio::test(start_paused = true)]
async fn a_budget_set_too_high_learns_the_tenants_limit_from_its_429s() {
    // The budget says 20 a minute; the tenant allows 10.
    let configured = RateLimit::per_window(20, WINDOW);

    let plain = fake().await;
    job(builder(&plain).rate_limit(configured).build().unwrap(), 80).await;
    let plain_429s = throttled(&plain);

    let learning = fake().await;
    let budget = RateBudget::new(configured);
    let client = builder(&learning).rate_budget(budget.clone()).build().unwrap();
    job(client.clone(), 12).await;
    assert_eq!(throttled(&learning), 1, "the eleventh call was throttled");
    assert!(budget.limit().max() <= 11, "the budget did not learn: {:?}", budget.limit());
    job(client, 68).await;
    let learned_429s = throttled(&learning);
    println!("429s over 80 calls: a RateLimit of 20/min {plain_429s}, a RateBudget of 20/min {learned_429s}");
    assert!(learned_429s < plain_429s, "the budget drew {learned_429s} 429s, a plain limit {plain_429s}");
}

/// Every attempt's start, and every answer with its status and `Retry-After`, on the paused clock, in order.
#[derive(Clone, Default)]
struct Timeline(Arc<Mutex<Vec<Event>>>);

/// When, and for an answer its status and `Retry-After` in seconds (`None` for an attempt's start).
type Event = (Instant, Option<(u16, Option<u64>)>);

impl Hook for Timeline {
    fn on_request(&self, _: &mut HookRequest<'_>) {
        self.0.lock().unwrap().push((Instant::now(), None));
    }

    fn on_response(&self, response: &HookResponse<'_>) {
        let status = response.status().map_or(0, |status| status.as_u16());
        let retry_after = response
            .headers()
            .and_then(|headers| headers.get("retry-after"))
            .and_then(|value| value.to_str().ok()?.parse().ok());
        self.0.lock().unwrap().push((Instant::now(), Some((status, retry_after))));
    }
}

#[tokio::test(start_paused = true)]
async fn no_client_of_the_budget_sends_before_a_429s_retry_after_has_passed() {
    let fake = fake().await;
    // A budget far above the tenant's limit, shared by two clients that each see every attempt of both.
    let budget = RateBudget::new(RateLimit::per_window(1000, WINDOW));
    let timeline = Timeline::default();
    let client = || builder(&fake).rate_budget(budget.clone()).hook(timeline.clone()).build().unwrap();
    tokio::join!(job(client(), 12), job(client(), 12));
    assert_eq!(fake.requests().iter().filter(|request| request.status == Some(200)).count(), 24);
    let events = timeline.0.lock().unwrap().clone();
    let mut checked = 0;
    for (at, event) in events.iter().enumerate() {
        let (answered, Some((429, Some(retry_after)))) = event else { continue };
        let until = *answered + Duration::from_secs(*retry_after);
        for (sent, later) in &events[at + 1..] {
            if later.is_none() {
                assert!(*sent >= until, "an attempt {:?} before the Retry-After of a 429 ran out", until - *sent);
            }
        }
        checked += 1;
    }
    assert!(checked > 0, "no 429 with Retry-After: the test saw nothing");
}

#[tokio::test(start_paused = true)]
async fn every_answer_says_how_much_of_the_budget_is_left() {
    let fake = fake().await;
    let budget = RateBudget::new(RateLimit::per_window(10, WINDOW));
    let client = builder(&fake).rate_budget(budget.clone()).build().unwrap();
    let first = client.agents().list().send_with_response().await.unwrap();
    // The token request and the listing.
    assert_eq!(first.rate_remaining(), Some(8));
    let second = client.agents().list().send_with_response().await.unwrap();
    assert_eq!(second.rate_remaining(), Some(7));
    assert_eq!(budget.remaining(), 7);
    // A bulk handle leaves a tenth to the interactive clients.
    assert_eq!(budget.bulk().remaining(), 6);
    // A client without a limit or budget has nothing to report.
    let unpaced = builder(&fake).build().unwrap();
    assert_eq!(unpaced.agents().list().send_with_response().await.unwrap().rate_remaining(), None);
}

#[test]
fn a_client_is_paced_by_a_limit_or_a_budget_not_both() {
    let limit = RateLimit::per_window(10, WINDOW);
    let both =
        Client::builder("http://127.0.0.1:9").bearer_token("t").rate_limit(limit).rate_budget(RateBudget::new(limit));
    assert_eq!(both.build().unwrap_err().kind(), ErrorKind::Config);
    let empty = Client::builder("http://127.0.0.1:9")
        .bearer_token("t")
        .rate_budget(RateBudget::new(RateLimit::per_window(0, WINDOW)));
    assert_eq!(empty.build().unwrap_err().kind(), ErrorKind::Config);
}
