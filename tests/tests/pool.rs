//! Many tenants in one process (issue 20.5): a `halopsa::Pool` over two fake Halo instances, one with its auth
//! server where Halo usually has it (`/auth`) and one that has moved it (`/identity`, as a self-hosted instance or a
//! trial may), found through `GET /api/authinfo`. Each tenant's client is its own: its own tokens, hooks and
//! records; built once, on first use, even when several callers ask at the same time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use halopsa::{Client, ErrorKind, HeaderValue, Hook, HookRequest, Pool, Tenant};
use halopsa_tests::fake_halo::{ErrorBody, FakeHalo, Fault, Target};

/// Adds `X-Tenant` to each request of the tenant it is configured on, and counts them.
struct Tag(&'static str, Arc<AtomicUsize>);

impl Hook for Tag {
    fn on_request(&self, request: &mut HookRequest<'_>) {
        request.headers_mut().insert("x-tenant", HeaderValue::from_static(self.0));
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

fn authinfo_requests(fake: &FakeHalo) -> usize {
    fake.requests().iter().filter(|r| r.path.eq_ignore_ascii_case("/api/authinfo")).count()
}

fn agent_count(agents: &[halopsa::models::Agent]) -> usize {
    agents.len()
}

#[tokio::test]
async fn two_tenants_each_with_its_own_client_tokens_and_hooks() {
    let hosted = FakeHalo::builder().seed_agents(3).start().await;
    let moved = FakeHalo::builder().seed_agents(5).start().await;
    moved.set_auth_path("/identity");
    let counted = Arc::new(AtomicUsize::new(0));

    let (hosted_url, hosted_id, hosted_secret) = (hosted.base_url(), hosted.client_id(), hosted.client_secret());
    let (moved_url, moved_id, moved_secret) = (moved.base_url(), moved.client_id(), moved.client_secret());
    let hook_count = counted.clone();
    let pool: Pool<&'static str> = Pool::new(move |name: &&'static str| match *name {
        "hosted" => {
            let count = hook_count.clone();
            Some(
                Tenant::new(hosted_url.clone(), hosted_id.clone(), hosted_secret.clone())
                    .configure(move |builder| builder.hook(Tag("hosted", count.clone()))),
            )
        }
        "moved" => Some(Tenant::new(moved_url.clone(), moved_id.clone(), moved_secret.clone())),
        // The hosted instance again, under another name, with a tenant of its own choosing.
        "named" => Some(Tenant::new(hosted_url.clone(), hosted_id.clone(), hosted_secret.clone()).tenant("acme")),
        _ => None,
    });

    // Callers arriving together share one build: the instance is asked where its auth server is once.
    let (first, second) = tokio::join!(pool.client(&"moved"), pool.client(&"moved"));
    let (first, second) = (first.expect("built"), second.expect("built"));
    assert_eq!(authinfo_requests(&moved), 1);

    let hosted_client = pool.client(&"hosted").await.expect("built");
    for _ in 0..3 {
        assert_eq!(agent_count(&hosted_client.agents().list().all().await.expect("listed")), 3);
        assert_eq!(agent_count(&first.agents().list().all().await.expect("listed")), 5);
    }
    assert_eq!(agent_count(&second.agents().list().all().await.expect("listed")), 5);
    let again = pool.client(&"hosted").await.expect("kept");
    again.agents().list().all().await.expect("listed");
    assert_eq!(authinfo_requests(&hosted), 1, "built once, then kept");

    // Own tokens: one token request per instance, from the auth server the instance named, with its tenant.
    let hosted_tokens = hosted.token_calls();
    let moved_tokens = moved.token_calls();
    assert_eq!((hosted_tokens.len(), moved_tokens.len()), (1, 1));
    assert_eq!(moved_tokens[0].path, "/identity/token");
    assert_eq!(hosted_tokens[0].path, "/auth/token");
    assert_eq!(moved_tokens[0].query, "tenant=fake", "the tenant_id of /api/authinfo");

    // Own hooks: only the hosted tenant's requests carry its header.
    let tagged = |fake: &FakeHalo| {
        fake.requests().iter().filter(|r| r.headers.iter().any(|(k, v)| k == "x-tenant" && v == "hosted")).count()
    };
    assert_eq!(tagged(&hosted), 4, "its four listings");
    assert_eq!(tagged(&moved), 0);
    assert_eq!(counted.load(Ordering::SeqCst), 5, "four listings and one token request");

    // A tenant set in the configuration wins over the instance's.
    let named = pool.client(&"named").await.expect("built");
    named.agents().list().all().await.expect("listed");
    assert_eq!(hosted.token_calls().last().map(|call| call.query.clone()).as_deref(), Some("tenant=acme"));

    let mut tenants = pool.tenants();
    tenants.sort_unstable();
    assert_eq!(tenants, ["hosted", "moved", "named"]);
    let error = pool.client(&"unknown").await.expect_err("no such tenant");
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("\"unknown\""), "{error}");

    // Forgotten, a tenant is built again from the loader (the instance asked again).
    assert!(pool.forget(&"moved"));
    assert!(!pool.forget(&"moved"));
    pool.client(&"moved").await.expect("built again").agents().list().all().await.expect("listed");
    assert_eq!(authinfo_requests(&moved), 2);
}

/// Without discovery, the moved instance cannot be reached: its token endpoint is not at `/auth/token`. With
/// `auth_url`, it can, and the instance is not asked.
#[tokio::test]
async fn the_auth_server_is_found_or_given() {
    let fake = FakeHalo::builder().seed_agents(2).start().await;
    fake.set_auth_path("/identity");
    let plain = Client::builder(fake.base_url())
        .client_credentials(fake.client_id(), fake.client_secret())
        .build()
        .expect("built");
    let error = plain.agents().list().all().await.expect_err("no token endpoint at /auth/token");
    assert_eq!(error.error().kind(), ErrorKind::Auth, "{}", error.error());

    let given = Tenant::new(fake.base_url(), fake.client_id(), fake.client_secret())
        .auth_url(format!("{}/identity/", fake.base_url()))
        .connect()
        .await
        .expect("built");
    assert_eq!(given.agents().list().all().await.expect("listed").len(), 2);
    assert_eq!(authinfo_requests(&fake), 0, "auth_url given: nothing asked");

    let found =
        Tenant::new(fake.base_url(), fake.client_id(), fake.client_secret()).connect().await.expect("discovered");
    assert_eq!(found.agents().list().all().await.expect("listed").len(), 2);
    assert_eq!(authinfo_requests(&fake), 1);
}

/// An instance that does not answer `/api/authinfo` with an auth server gets the usual `/auth/token`; one that
/// cannot be reached is an error, and nothing is kept, so the next call tries again.
#[tokio::test]
async fn without_authinfo_the_usual_token_url_and_unreachable_is_an_error() {
    let fake = FakeHalo::builder().seed_agents(1).start().await;
    // An instance of a version without it (the fake answers 404 once, as for an unknown path).
    let no_route = ErrorBody::Message("No HTTP resource was found that matches the request URI.".into());
    fake.inject(Fault::error(404, no_route).on(Target::get("/api/authinfo")).times(1));
    let client = Tenant::new(fake.base_url(), fake.client_id(), fake.client_secret()).connect().await.expect("default");
    assert_eq!(client.agents().list().all().await.expect("listed").len(), 1);
    assert_eq!(fake.token_calls()[0].path, "/auth/token");

    let address = fake.base_url();
    drop(fake);
    let pool: Pool<u8> = Pool::new(move |_| Some(Tenant::new(address.clone(), "id", "secret")));
    let error = pool.client(&1).await.expect_err("nobody answers");
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
    assert!(pool.tenants().is_empty());
}
