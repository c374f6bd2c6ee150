//! The HTTP side of serve: the routes (axum), the guard in front of them
//! (request size, basic auth, security headers, request logs), and the
//! accept loop (plain or TLS through rustls, HTTP/1.1 through hyper, with a
//! graceful stop).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::exposition::{Coding, Format};
use super::state::{Shared, Snapshot};
use super::web_config::Users;

/// The longest request target (path and query) served; longer is a 414.
pub const MAX_URI: usize = 8 * 1024;

/// The most bytes of request head (request line and headers) read; more is
/// a 431 from hyper.
pub const MAX_HEAD: usize = 64 * 1024;

/// How long a client may take to send its request head, or to finish the
/// TLS handshake.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a stop waits for responses in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What the handlers share.
struct App {
    shared: Arc<Shared>,
    users: Arc<Users>,
    /// At most this many bcrypt checks at once (they are slow on purpose).
    checks: tokio::sync::Semaphore,
    /// How often the dashboard reloads itself: the scan interval.
    refresh: Duration,
}

/// The routes: every one answers GET (and HEAD) only; anything else is 405.
/// The dashboard at `/` reloads itself every `refresh`.
pub fn router(shared: Arc<Shared>, users: Arc<Users>, refresh: Duration) -> Router {
    let app = Arc::new(App {
        shared,
        users,
        checks: tokio::sync::Semaphore::new(2),
        refresh,
    });
    Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/api/v1/topology", get(topology))
        .route("/api/v1/findings", get(findings))
        .route("/api/v1/impact", get(impact))
        .route("/api/v1/targets", get(targets))
        .route("/healthz", get(|| async { text(StatusCode::OK, "ok\n") }))
        .route("/readyz", get(readyz))
        .fallback(|| async { text(StatusCode::NOT_FOUND, "not found\n") })
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// In front of every route: refuses an over-long request target (414) and
/// missing or wrong credentials (401), adds security headers, and logs the
/// request (method, path, status; never a header).
async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let target_len = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    let path: String = request.uri().path().chars().take(120).collect();
    let mut response = if target_len > MAX_URI {
        text(
            StatusCode::URI_TOO_LONG,
            &format!("request target over {MAX_URI} bytes\n"),
        )
    } else if !app.users.is_empty()
        && !authorized(&app, request.headers().get(header::AUTHORIZATION).cloned()).await
    {
        let mut response = text(StatusCode::UNAUTHORIZED, "unauthorized\n");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"rds-dr\", charset=\"UTF-8\""),
        );
        response
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    tracing::debug!(%method, path, status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64, "request");
    response
}

async fn authorized(app: &App, authorization: Option<HeaderValue>) -> bool {
    let Some(value) = authorization else {
        return false;
    };
    let value = value.as_bytes().to_vec();
    let Ok(_permit) = app.checks.acquire().await else {
        return false;
    };
    let users = app.users.clone();
    tokio::task::spawn_blocking(move || users.check(&value))
        .await
        .unwrap_or(false)
}

fn text(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.to_owned(),
    )
        .into_response()
}

fn json_body(body: Bytes) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn not_ready() -> Response {
    let mut response = text(
        StatusCode::SERVICE_UNAVAILABLE,
        "no scan has finished yet\n",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

fn internal(error: String) -> Response {
    tracing::error!(%error, "cannot encode a response");
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "cannot encode the document\n",
    )
}

async fn metrics(State(app): State<Arc<App>>, headers: axum::http::HeaderMap) -> Response {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let format = Format::negotiate(header(header::ACCEPT));
    app.shared.scraped(format);
    let snapshot = app.shared.current();
    // Before the first scan: a few lines, not worth compressing.
    let coding = match snapshot {
        Some(_) => Coding::negotiate(header(header::ACCEPT_ENCODING)),
        None => Coding::Identity,
    };
    let body = match (snapshot, coding) {
        (Some(snapshot), Coding::Identity) => super::metrics::body(&snapshot, format),
        // Compressed once per scan, by the first scrape that asks for it,
        // on the blocking threads.
        (Some(snapshot), Coding::Gzip) => {
            match tokio::task::spawn_blocking(move || super::metrics::gzipped(&snapshot, format))
                .await
            {
                Ok(body) => body,
                Err(error) => return internal(error.to_string()),
            }
        }
        (None, _) => Bytes::from(super::metrics::render(None, format)),
    };
    let content_type = HeaderValue::from_str(&format.content_type())
        .unwrap_or_else(|_| HeaderValue::from_static("text/plain"));
    let mut response =
        (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    if coding == Coding::Gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

async fn topology(State(app): State<Arc<App>>) -> Response {
    json_document(&app, Snapshot::topology_json).await
}

async fn findings(State(app): State<Arc<App>>) -> Response {
    json_document(&app, Snapshot::findings_json).await
}

/// One of the published scan's JSON documents, written on the blocking
/// threads the first time it is asked for (for 10,000 edges that takes
/// milliseconds, which would hold up every request on the same async
/// worker) and copied from the kept body after that.
async fn json_document(app: &App, document: fn(&Snapshot) -> Result<Bytes, String>) -> Response {
    let Some(snapshot) = app.shared.current() else {
        return not_ready();
    };
    tokio::task::spawn_blocking(move || document(&snapshot))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r)
        .map_or_else(internal, json_body)
}

/// `?fail_region=R` (repeatable): `impact --fail-region R ... --format json`.
async fn impact(State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> Response {
    let mut regions = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if key != "fail_region" {
            return text(
                StatusCode::BAD_REQUEST,
                &format!(
                    "unknown parameter `{}`: only fail_region\n",
                    key.chars().take(64).collect::<String>()
                ),
            );
        }
        let region = value.trim().to_owned();
        if let Err(reason) = rds_dr_model::validate_region(&region) {
            return text(StatusCode::BAD_REQUEST, &format!("fail_region: {reason}\n"));
        }
        regions.push(region);
    }
    if regions.is_empty() {
        return text(
            StatusCode::BAD_REQUEST,
            "give the failed region: /api/v1/impact?fail_region=REGION (repeatable)\n",
        );
    }
    let Some(snapshot) = app.shared.current() else {
        return not_ready();
    };
    let document = tokio::task::spawn_blocking(move || {
        crate::commands::impact::json_document(&snapshot.topology.impact(&regions))
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    document.map_or_else(internal, |d| json_body(Bytes::from(d)))
}

/// Every (target, operation): up, stale, last success, last error.
async fn targets(State(app): State<Arc<App>>) -> Response {
    json_document(&app, Snapshot::targets_json).await
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    match app.shared.current() {
        Some(_) => text(StatusCode::OK, "ready\n"),
        None => not_ready(),
    }
}

/// The dashboard of the last scan (the page `rds-dr report` writes), with
/// its own Content-Security-Policy; before the first scan, a plain page
/// linking the endpoints (503) that reloads itself.
async fn index(State(app): State<Arc<App>>) -> Response {
    let Some(snapshot) = app.shared.current() else {
        return waiting_page();
    };
    let refresh = app.refresh;
    let page = tokio::task::spawn_blocking(move || snapshot.page(refresh))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
    let page = match page {
        Ok(page) => page,
        Err(error) => return internal(error),
    };
    let Ok(policy) = HeaderValue::from_str(&page.content_security_policy) else {
        return internal("the page's Content-Security-Policy is no header value".to_owned());
    };
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, policy),
        ],
        page.html,
    )
        .into_response()
}

/// `/` before the first scan has finished.
fn waiting_page() -> Response {
    const PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
        <meta http-equiv=\"refresh\" content=\"2\">\
        <title>rds-dr serve</title></head><body>\n<h1>rds-dr serve</h1>\n\
        <p>The first scan has not finished yet; this page reloads itself.</p>\n<ul>\n\
        <li><a href=\"metrics\">/metrics</a>: Prometheus metrics</li>\n\
        <li><a href=\"api/v1/topology\">/api/v1/topology</a>: as <code>rds-dr topology --format json</code></li>\n\
        <li><a href=\"api/v1/findings\">/api/v1/findings</a>: as <code>rds-dr check --format json</code></li>\n\
        <li><code>/api/v1/impact?fail_region=REGION</code>: as <code>rds-dr impact --format json</code></li>\n\
        <li><a href=\"api/v1/targets\">/api/v1/targets</a>: each target's last call</li>\n\
        <li><a href=\"healthz\">/healthz</a>, <a href=\"readyz\">/readyz</a></li>\n\
        </ul>\n</body></html>\n";
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
            (header::RETRY_AFTER, "1"),
        ],
        PAGE,
    )
        .into_response()
}

/// Serves `router` on `listener` (through TLS when `tls` is given) until
/// `stop` completes; then accepts nothing more and waits (up to 10 s) for
/// the responses in flight.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: Router,
    stop: impl Future<Output = ()>,
) {
    let acceptor = tls.map(TlsAcceptor::from);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off a little.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let http = http.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let result = match acceptor {
                None => {
                    let connection = http.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(connection).await
                }
                Some(acceptor) => {
                    let stream =
                        match tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(error)) => {
                                tracing::debug!(%peer, %error, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let connection = http.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(connection).await
                }
            };
            if let Err(error) = result {
                log_connection_error(peer, &error);
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::debug!("every response finished"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {
            tracing::warn!("stopping with responses still in flight after {DRAIN_TIMEOUT:?}");
        }
    }
}

fn log_connection_error(peer: SocketAddr, error: &hyper::Error) {
    if error.is_incomplete_message() || error.is_closed() || error.is_canceled() {
        tracing::trace!(%peer, %error, "connection ended");
    } else {
        tracing::debug!(%peer, %error, "connection error");
    }
}
