//! HTTPS against a TLS server on 127.0.0.1 whose certificate is signed by a
//! test-only CA (`tests/tls/`, made with openssl for this test, valid until
//! 2126; the key is a throwaway that protects nothing).

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use rds_dr_api::{ErrorKind, RequestOptions};
use rds_dr_http::credentials::Credentials;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CA: &[u8] = include_bytes!("tls/ca.pem");
const CERT: &[u8] = include_bytes!("tls/server.pem");
const KEY: &[u8] = include_bytes!("tls/server.key");

/// A TLS server that answers each request with `ok_reply(BODY)` and records
/// how many handshakes completed.
async fn tls_server(ip: &str) -> (u16, Arc<Mutex<usize>>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(CERT)
        .collect::<Result<_, _>>()
        .expect("server.pem");
    let key = PrivateKeyDer::from_pem_slice(KEY).expect("server.key");
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("certificate and key");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind((ip, 0)).await.expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    let handshakes = Arc::new(Mutex::new(0usize));
    let counted = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counted = counted.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                *counted.lock().unwrap() += 1;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = tls.write_all(&ok_reply(BODY)).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, handshakes)
}

#[tokio::test]
async fn trusted_through_the_ca_bundle() {
    let (port, handshakes) = tls_server("127.0.0.1").await;
    let client = client_for(
        &format!("https://127.0.0.1:{port}"),
        Credentials::new(AK, SK),
    )
    .ca_bundle(CA)
    .build()
    .unwrap();
    let raw = client
        .list_dr_relations_raw(&target(), &RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(raw.body, BODY.as_bytes());
    assert_eq!(*handshakes.lock().unwrap(), 1);
}

#[tokio::test]
async fn unknown_issuer_is_a_tls_error() {
    let (port, handshakes) = tls_server("127.0.0.1").await;
    let client = client_for(
        &format!("https://127.0.0.1:{port}"),
        temporary_credentials(),
    )
    .build()
    .unwrap();
    let error = client
        .list_dr_relations_raw(&target(), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Tls, "{error}");
    assert!(!error.maybe_sent());
    assert!(!error.is_retryable());
    assert!(
        error.message().to_ascii_lowercase().contains("certificate"),
        "{error}"
    );
    assert_no_secret(&error);
    assert_eq!(*handshakes.lock().unwrap(), 0);

    // Insecure mode is about plain http:// only: verification stays on.
    let client = client_for(
        &format!("https://127.0.0.1:{port}"),
        Credentials::new(AK, SK),
    )
    .insecure(true)
    .build()
    .unwrap();
    let error = client
        .list_dr_relations_raw(&target(), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Tls, "{error}");

    // The name must match too: the certificate is for 127.0.0.1 and localhost only.
    let (port, handshakes) = tls_server("127.0.0.2").await;
    let client = client_for(
        &format!("https://127.0.0.2:{port}"),
        Credentials::new(AK, SK),
    )
    .ca_bundle(CA)
    .build()
    .unwrap();
    let error = client
        .list_dr_relations_raw(&target(), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Tls, "{error}");
    assert_eq!(*handshakes.lock().unwrap(), 0);
}
