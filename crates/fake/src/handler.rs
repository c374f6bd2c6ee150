//! One request in, one answer (or a deliberate failure) out.
//!
//! Order of work for every request: count it and give it a request id; wait
//! the configured latency; route it (an unknown route is a 404 at once);
//! read the body; verify the signature (when credentials are set); check
//! `X-Project-Id`; decide the fault; answer.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use rds_dr_model::ErrorResponse;
use rds_dr_sign::{Credentials, ReceivedRequest};
use serde_json::json;
use tokio::sync::Notify;
use tokio::time::Sleep;

use crate::fault::{Fault, FaultPlan, mix64};
use crate::fleet::Fleet;

/// The largest request body read (ListDrInfos takes a small JSON body).
const MAX_BODY: usize = 1 << 20;

/// How long a truncated body waits after its first half before the
/// connection is closed, so the half is really flushed to the client.
const TRUNCATE_FLUSH: Duration = Duration::from_millis(50);

/// The clock used to check `X-Sdk-Date`.
pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Everything a request needs, shared by all connections.
pub(crate) struct State {
    pub(crate) fleet: Fleet,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) max_skew: Duration,
    pub(crate) clock: Clock,
    pub(crate) latency: Duration,
    pub(crate) slow_delay: Duration,
    pub(crate) retry_after: Duration,
    pub(crate) seed: u64,
    pub(crate) faults: FaultPlan,
    pub(crate) requests: AtomicU64,
    pub(crate) project_requests: Mutex<HashMap<String, u64>>,
}

impl State {
    /// The request id of the `n`-th request (from 0): 32 hex characters,
    /// `hex64(mix64(seed ^ 0x5245_5155_4553_5449)) ++ hex64(mix64(seed + n * 0x9e37_79b9_7f4a_7c15))`.
    /// The second half is a bijection of `n`, so ids never repeat within a
    /// server.
    pub(crate) fn request_id(&self, n: u64) -> String {
        let high = mix64(self.seed ^ 0x5245_5155_4553_5449);
        let low = mix64(
            self.seed
                .wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        );
        format!("{high:016x}{low:016x}")
    }

    /// The fake account's domain id (32 hex characters, from the seed).
    pub(crate) fn domain_id(&self) -> String {
        format!(
            "{:016x}{:016x}",
            mix64(self.seed ^ 0xd0d0),
            mix64(self.seed ^ 0xd1d1)
        )
    }

    fn count_project(&self, project_id: &str) {
        let mut counts = self
            .project_requests
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *counts.entry(project_id.to_owned()).or_default() += 1;
    }
}

/// Per-connection control: how a handler asks for its connection to be
/// reset instead of answered.
#[derive(Clone, Default)]
pub(crate) struct ConnCtl {
    /// Set when the socket must be closed with a TCP reset.
    pub(crate) reset: Arc<AtomicBool>,
    /// Woken when the connection must be dropped without an answer.
    pub(crate) abort: Arc<Notify>,
}

impl ConnCtl {
    async fn reset_connection(&self) -> ! {
        self.reset.store(true, Ordering::SeqCst);
        self.abort.notify_one();
        // The connection task drops this future together with the socket.
        std::future::pending().await
    }
}

/// The response body: all at once, or half and then an error that makes
/// the server close the connection.
pub(crate) struct FakeBody {
    kind: BodyKind,
}

enum BodyKind {
    Full(Option<Bytes>),
    Truncated {
        half: Option<Bytes>,
        stall: Pin<Box<Sleep>>,
    },
}

impl FakeBody {
    fn full(bytes: Bytes) -> Self {
        FakeBody {
            kind: BodyKind::Full(Some(bytes)),
        }
    }
}

impl Body for FakeBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match &mut self.get_mut().kind {
            BodyKind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            BodyKind::Truncated { half, stall } => {
                if let Some(half) = half.take() {
                    return Poll::Ready(Some(Ok(Frame::data(half))));
                }
                ready!(stall.as_mut().poll(cx));
                Poll::Ready(Some(Err(io::Error::other(
                    "body truncated by fault injection",
                ))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, BodyKind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            BodyKind::Full(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            BodyKind::Full(None) => SizeHint::with_exact(0),
            BodyKind::Truncated { .. } => SizeHint::default(),
        }
    }
}

/// The language of error messages (`X-Language`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Zh,
}

impl Lang {
    fn of(headers: &HeaderMap) -> Lang {
        match headers.get("x-language").and_then(|v| v.to_str().ok()) {
            Some(v) if v.trim().eq_ignore_ascii_case("zh-cn") => Lang::Zh,
            _ => Lang::En,
        }
    }

    fn pick(self, en: String, zh: String) -> String {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

/// What a request asks for.
enum Route {
    /// `GET /v3/{project_id}/instances/disaster-recovery-relation`
    Relations { project_id: String },
    /// `POST /v3/{project_id}/instances/disaster-recovery-infos`
    Infos { project_id: String },
    /// `GET /v3/projects[?name=REGION]`
    Projects { name: Option<String> },
    /// Anything else.
    Unknown,
}

impl Route {
    fn of(method: &Method, path: &str, query: Option<&str>) -> Route {
        let Some(rest) = path.strip_prefix("/v3/") else {
            return Route::Unknown;
        };
        let project = |suffix: &str| {
            rest.strip_suffix(suffix)
                .filter(|p| !p.is_empty() && !p.contains('/'))
                .map(str::to_owned)
        };
        if method == Method::POST {
            return match project("/instances/disaster-recovery-infos") {
                Some(project_id) => Route::Infos { project_id },
                None => Route::Unknown,
            };
        }
        if method != Method::GET {
            return Route::Unknown;
        }
        if rest == "projects" {
            let name = query.and_then(|q| query_param(q, "name"));
            return Route::Projects { name };
        }
        match rest.strip_suffix("/instances/disaster-recovery-relation") {
            Some(project_id) if !project_id.is_empty() && !project_id.contains('/') => {
                Route::Relations {
                    project_id: project_id.to_owned(),
                }
            }
            _ => Route::Unknown,
        }
    }

    /// The key whose attempts are counted for fault decisions. A ListDrInfos
    /// page has a key of its own (`infos:PROJECT:OFFSET`), so pages asked
    /// for side by side draw the same faults whatever their interleaving.
    fn fault_key(&self, offset: i64) -> String {
        match self {
            Route::Relations { project_id } => project_id.clone(),
            Route::Infos { project_id } => format!("infos:{project_id}:{offset}"),
            Route::Projects { name: Some(name) } => format!("iam:{name}"),
            Route::Projects { name: None } => "iam:".to_owned(),
            Route::Unknown => String::new(),
        }
    }
}

/// The first value of `key` in a raw query string, percent-decoded (`+` is
/// a space).
fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k) == key).then(|| decode(v))
    })
}

fn decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Serves one request: never fails (errors are Huawei-shaped answers); a
/// reset fault never returns.
pub(crate) async fn handle(
    state: Arc<State>,
    ctl: ConnCtl,
    request: Request<Incoming>,
) -> Result<Response<FakeBody>, Infallible> {
    let n = state.requests.fetch_add(1, Ordering::SeqCst);
    let request_id = state.request_id(n);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
    let (mut response, fault) = respond(&state, &ctl, request, &request_id).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert("x-request-id", value);
    }
    headers
        .entry(CONTENT_TYPE)
        .or_insert(HeaderValue::from_static("application/json;charset=UTF-8"));
    tracing::debug!(
        %method,
        %path,
        status = response.status().as_u16(),
        %request_id,
        fault = fault.map(Fault::name).unwrap_or("none"),
        "fake cloud request"
    );
    Ok(response)
}

async fn respond(
    state: &State,
    ctl: &ConnCtl,
    request: Request<Incoming>,
    request_id: &str,
) -> (Response<FakeBody>, Option<Fault>) {
    let lang = Lang::of(request.headers());
    let route = Route::of(
        request.method(),
        request.uri().path(),
        request.uri().query(),
    );
    let reply =
        |status, code: &str, message: String| (error(status, code, message, request_id), None);
    match &route {
        Route::Unknown => {
            return reply(
                StatusCode::NOT_FOUND,
                "APIGW.0101",
                lang.pick(
                    "The API does not exist or has not been published in the environment.".into(),
                    "API不存在或未发布到环境。".into(),
                ),
            );
        }
        Route::Relations { project_id } | Route::Infos { project_id } => {
            state.count_project(project_id)
        }
        Route::Projects { .. } => {}
    }

    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                "APIGW.0201",
                lang.pick(
                    format!("API request error: the request body is unreadable or larger than {MAX_BODY} bytes."),
                    format!("API请求错误：请求体无法读取或超过 {MAX_BODY} 字节。"),
                ),
            );
        }
    };

    if let Some(credentials) = &state.credentials {
        let headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let received = ReceivedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &headers,
            body: &body,
        };
        let secret_for = |ak: &str| (ak == credentials.access_key()).then(|| credentials.clone());
        if let Err(e) = rds_dr_sign::verify(&received, secret_for, (state.clock)(), state.max_skew)
        {
            let code = e.gateway_code();
            let message = if code == "APIGW.0303" {
                let minutes = state.max_skew.as_secs() / 60;
                lang.pick(
                    format!(
                        "Incorrect IAM authentication information: the request time (X-Sdk-Date) must be within {minutes} minutes of the server time, {e}"
                    ),
                    format!("IAM认证信息错误：请求时间（X-Sdk-Date）与服务器时间相差超过 {minutes} 分钟，{e}"),
                )
            } else {
                lang.pick(
                    format!(
                        "Incorrect IAM authentication information: verify aksk signature fail, {e}"
                    ),
                    format!("IAM认证信息错误：AK/SK签名校验失败，{e}"),
                )
            };
            return reply(StatusCode::UNAUTHORIZED, code, message);
        }
    }

    if let Route::Relations { project_id } | Route::Infos { project_id } = &route
        && let Some(header) = parts.headers.get("x-project-id")
    {
        let header = String::from_utf8_lossy(header.as_bytes());
        if header.trim() != project_id {
            return reply(
                StatusCode::FORBIDDEN,
                "DBS.280239",
                lang.pick(
                    format!("The project ID in the URL ({project_id}) does not match the X-Project-Id header ({header})."),
                    format!("URL中的项目ID（{project_id}）与X-Project-Id请求头（{header}）不一致。"),
                ),
            );
        }
    }

    // A ListDrInfos body that cannot be read is refused before any fault.
    let infos_query = match &route {
        Route::Infos { .. } => match crate::health::parse_query(&body)
            .and_then(|query| crate::health::check(&query).map(|()| query))
        {
            Ok(query) => Some(query),
            Err(bad) => {
                return reply(
                    StatusCode::BAD_REQUEST,
                    crate::health::BAD_REQUEST_CODE,
                    lang.pick(bad.en, bad.zh),
                );
            }
        },
        _ => None,
    };
    let offset = infos_query.as_ref().and_then(|q| q.offset).unwrap_or(0);
    let fault = state.faults.decide(&route.fault_key(offset));
    match fault {
        Some(Fault::TooManyRequests) => {
            let seconds = state.retry_after.as_secs().max(1);
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "APIGW.0308",
                lang.pick(
                    "The throttling threshold has been reached: policy user over ratelimit (fault injected by the rds-dr fake server)".into(),
                    "已达到流控阈值：用户请求超过流控限制（rds-dr 模拟服务器注入的故障）".into(),
                ),
                request_id,
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
            return (response, fault);
        }
        Some(Fault::InternalError) => {
            let response = error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "DBS.280000",
                lang.pick(
                    "Internal server error (fault injected by the rds-dr fake server).".into(),
                    "服务内部错误（rds-dr 模拟服务器注入的故障）。".into(),
                ),
                request_id,
            );
            return (response, fault);
        }
        Some(Fault::Unavailable) => {
            let response = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "APIGW.0202",
                lang.pick(
                    "Backend unavailable (fault injected by the rds-dr fake server).".into(),
                    "后端服务不可用（rds-dr 模拟服务器注入的故障）。".into(),
                ),
                request_id,
            );
            return (response, fault);
        }
        Some(Fault::Reset) => {
            tracing::debug!(%request_id, "fake cloud resets the connection (fault injection)");
            ctl.reset_connection().await
        }
        Some(Fault::Slow) => tokio::time::sleep(state.slow_delay).await,
        Some(Fault::Truncate) | None => {}
    }

    let response = match &route {
        Route::Relations { project_id } => match state.fleet.projects.get(project_id) {
            Some(project) => ok(project.body.clone()),
            None => error(
                StatusCode::NOT_FOUND,
                "DBS.280238",
                lang.pick(
                    format!("The project {project_id} does not exist or has no RDS service in this region."),
                    format!("项目 {project_id} 不存在或在该区域未开通RDS服务。"),
                ),
                request_id,
            ),
        },
        Route::Infos { project_id } => {
            let records = match state.fleet.infos.get(project_id) {
                Some(records) => Some(records.as_slice()),
                None if state.fleet.projects.contains_key(project_id) => Some(&[][..]),
                None => None,
            };
            match records {
                Some(records) => {
                    let query = infos_query.unwrap_or_default();
                    match crate::health::page(records, &query) {
                        Ok(page) => ok(page),
                        Err(bad) => error(
                            StatusCode::BAD_REQUEST,
                            crate::health::BAD_REQUEST_CODE,
                            lang.pick(bad.en, bad.zh),
                            request_id,
                        ),
                    }
                }
                None => error(
                    StatusCode::NOT_FOUND,
                    "DBS.280238",
                    lang.pick(
                        format!("The project {project_id} does not exist or has no RDS service in this region."),
                        format!("项目 {project_id} 不存在或在该区域未开通RDS服务。"),
                    ),
                    request_id,
                ),
            }
        }
        Route::Projects { name } => ok(projects_body(state, &parts.headers, name.as_deref())),
        Route::Unknown => unreachable_unknown(request_id),
    };
    let response = if fault == Some(Fault::Truncate) {
        truncate(response)
    } else {
        response
    };
    (response, fault)
}

/// `Route::Unknown` returned early above; answer 404 anyway rather than
/// panic.
fn unreachable_unknown(request_id: &str) -> Response<FakeBody> {
    error(
        StatusCode::NOT_FOUND,
        "APIGW.0101",
        "The API does not exist or has not been published in the environment.".into(),
        request_id,
    )
}

/// The IAM `GET /v3/projects` answer: every served project whose name is
/// `name` (every project without `name`).
///
/// Names follow Huawei's convention: a region's default project is named
/// after the region and its sub-projects `REGION_suffix`. The fake makes the
/// project with the smallest id in each region the default one and names the
/// others `REGION_` plus the first 8 characters of their id, so
/// `?name=REGION` finds exactly one project per served region.
fn projects_body(state: &State, headers: &HeaderMap, name: Option<&str>) -> Bytes {
    let domain_id = state.domain_id();
    let host = headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let mut default_taken = std::collections::HashSet::new();
    let projects: Vec<_> = state
        .fleet
        .projects
        .iter()
        .map(|(id, p)| {
            let project_name = if default_taken.insert(p.region.as_str()) {
                p.region.clone()
            } else {
                format!("{}_{}", p.region, id.get(..8).unwrap_or(id))
            };
            (id, project_name)
        })
        .filter(|(_, project_name)| name.is_none_or(|n| project_name == n))
        .map(|(id, project_name)| {
            json!({
                "id": id,
                "name": project_name,
                "domain_id": domain_id,
                "parent_id": domain_id,
                "description": "",
                "enabled": true,
                "is_domain": false,
                "links": {"self": format!("http://{host}/v3/projects/{id}")},
            })
        })
        .collect();
    let self_link = match name {
        Some(name) => format!("http://{host}/v3/projects?name={name}"),
        None => format!("http://{host}/v3/projects"),
    };
    let body = json!({
        "projects": projects,
        "links": {"self": self_link, "previous": null, "next": null},
    });
    Bytes::from(body.to_string())
}

fn ok(body: Bytes) -> Response<FakeBody> {
    let mut response = Response::new(FakeBody::full(body));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

fn error(status: StatusCode, code: &str, message: String, request_id: &str) -> Response<FakeBody> {
    let body = ErrorResponse {
        error_code: Some(code.to_owned()),
        error_msg: Some(message),
        request_id: Some(request_id.to_owned()),
        encoded_authorization_message: None,
    };
    // Serializing strings into JSON cannot fail; fall back to a fixed body
    // rather than panic.
    let bytes =
        serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"error_code":"APIGW.0101"}"#.to_vec());
    let mut response = ok(Bytes::from(bytes));
    *response.status_mut() = status;
    response
}

/// The same answer with the full `Content-Length` but only the first half
/// of the body; the connection is closed after it.
fn truncate(response: Response<FakeBody>) -> Response<FakeBody> {
    let (mut parts, body) = response.into_parts();
    let BodyKind::Full(Some(bytes)) = body.kind else {
        return Response::from_parts(parts, body);
    };
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let half = bytes.slice(..bytes.len() / 2);
    let body = FakeBody {
        kind: BodyKind::Truncated {
            half: Some(half),
            stall: Box::pin(tokio::time::sleep(TRUNCATE_FLUSH)),
        },
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let get = Method::GET;
        let p = "0483b6b16e954cb88930a360d2c4e663";
        let path = format!("/v3/{p}/instances/disaster-recovery-relation");
        assert!(
            matches!(Route::of(&get, &path, None), Route::Relations { project_id } if project_id == p)
        );
        assert!(matches!(
            Route::of(&Method::POST, &path, None),
            Route::Unknown
        ));
        let infos = format!("/v3/{p}/instances/disaster-recovery-infos");
        assert!(
            matches!(Route::of(&Method::POST, &infos, None), Route::Infos { project_id } if project_id == p)
        );
        assert!(matches!(Route::of(&get, &infos, None), Route::Unknown));
        assert!(matches!(
            Route::of(
                &Method::POST,
                "/v3//instances/disaster-recovery-infos",
                None
            ),
            Route::Unknown
        ));
        assert!(matches!(
            Route::of(&get, "/v3/projects", Some("name=cn-north-4&x=1")),
            Route::Projects { name: Some(n) } if n == "cn-north-4"
        ));
        assert!(matches!(
            Route::of(&get, "/v3/projects", None),
            Route::Projects { name: None }
        ));
        assert!(matches!(
            Route::of(&get, "/v3//instances/disaster-recovery-relation", None),
            Route::Unknown
        ));
        assert!(matches!(
            Route::of(&get, "/v3/a/b/instances/disaster-recovery-relation", None),
            Route::Unknown
        ));
        assert!(matches!(Route::of(&get, "/", None), Route::Unknown));
    }

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(
            query_param("a=1&name=cn%2Dnorth-4", "name").as_deref(),
            Some("cn-north-4")
        );
        assert_eq!(query_param("name", "name").as_deref(), Some(""));
        assert_eq!(query_param("x=1", "name"), None);
    }
}
