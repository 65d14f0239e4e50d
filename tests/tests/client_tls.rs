//! https with the default TLS backend (`rustls-ring`): the client builds without a process-wide crypto provider,
//! and a failed connection or handshake is a `Network` error, not a panic. No network: everything is on 127.0.0.1.

use std::time::Duration;

use halopsa::Client;
use halopsa::{ErrorKind, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn https_client(base_url: &str) -> Client {
    Client::builder(base_url)
        .bearer_token("not-a-real-token")
        .retry_policy(RetryPolicy::none())
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("an https client builds with the default TLS backend")
}

#[test]
fn an_https_client_builds_without_a_runtime_or_a_global_provider() {
    let client = https_client("https://acme.halopsa.com");
    assert_eq!(client.api_url(), "https://acme.halopsa.com/api");
}

#[tokio::test]
async fn a_closed_port_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);

    let client = https_client(&format!("https://127.0.0.1:{port}"));
    let error = client.agents().list().send().await.expect_err("nothing listens");
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
}

#[tokio::test]
async fn a_server_that_does_not_speak_tls_fails_the_handshake_with_a_network_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // Read the ClientHello: proof that the TLS stack ran and sent one.
        let mut hello = [0u8; 5];
        socket.read_exact(&mut hello).await.unwrap();
        socket.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await.unwrap();
        hello
    });

    let client = https_client(&format!("https://127.0.0.1:{port}"));
    let error = client.agents().list().send().await.expect_err("not a TLS server");
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
    let hello = server.await.unwrap();
    assert_eq!(hello[0], 0x16, "a TLS handshake record");
}
