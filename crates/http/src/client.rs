//! [`HttpClient`]: ListDrRelations over HTTPS.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rds_dr_api::{
    ApiError, BoxFuture, DrRelationsApi, ErrorKind, Language, ListDrInfosResponse,
    ListDrRelationsResponse, QueryDrInfoRequest, RequestOptions, Target,
};
use rds_dr_sign::Credentials;
use serde::Deserialize;
use url::Url;

use crate::credentials::{CredentialsProvider, ENV_IAM_ENDPOINT, Environment, WallClock};
use crate::error::chain_message;
use crate::regions;

/// Default connect timeout (as the Python SDK).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default read timeout (as the Python SDK): the longest wait for any read.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// The default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("rds-dr/", env!("CARGO_PKG_VERSION"));

const LIST_DR_RELATIONS_PATH: &str = "instances/disaster-recovery-relation";
const LIST_DR_INFOS_PATH: &str = "instances/disaster-recovery-infos";

mod exchange;

use exchange::{Outgoing, decode_error, join_path};

/// A successful answer, as received: for printing the body byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// `X-Request-Id`, if the service sent one.
    pub request_id: Option<String>,
    /// The body exactly as received (after gzip decoding).
    pub body: Vec<u8>,
}

/// How proxies are chosen.
#[derive(Clone, Debug)]
enum ProxyMode {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` (and lower-case
    /// forms) from the client's [`Environment`].
    Environment,
    /// This proxy for every request.
    Explicit(Url),
    /// No proxy.
    None,
}

/// Builds an [`HttpClient`]. Start with [`HttpClient::builder`].
pub struct HttpClientBuilder {
    credentials: Option<CredentialsProvider>,
    endpoint: Option<Url>,
    iam_endpoint: Option<Url>,
    connect_timeout: Duration,
    read_timeout: Duration,
    proxy: ProxyMode,
    environment: Environment,
    ca_bundles: Vec<Vec<u8>>,
    insecure: bool,
    max_response_bytes: u64,
    user_agent: Option<String>,
    language: Option<Language>,
    project_ids: HashMap<String, String>,
    clock: WallClock,
}

impl fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("credentials", &self.credentials)
            .field("endpoint", &self.endpoint.as_ref().map(Url::as_str))
            .field("iam_endpoint", &self.iam_endpoint.as_ref().map(Url::as_str))
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("insecure", &self.insecure)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("user_agent", &self.user_agent)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

impl Default for HttpClientBuilder {
    fn default() -> Self {
        HttpClientBuilder::new()
    }
}

impl HttpClientBuilder {
    /// Defaults: the default credentials chain, official endpoints, 60 s
    /// connect and 120 s read timeouts, proxies from the environment, 64 MiB
    /// body cap, `User-Agent: rds-dr/<version>`, no `X-Language`.
    pub fn new() -> Self {
        HttpClientBuilder {
            credentials: None,
            endpoint: None,
            iam_endpoint: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            proxy: ProxyMode::Environment,
            environment: Environment::process(),
            ca_bundles: Vec::new(),
            insecure: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            user_agent: Some(DEFAULT_USER_AGENT.to_string()),
            language: None,
            project_ids: HashMap::new(),
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Where credentials come from (default: [`CredentialsProvider::default_chain`]).
    pub fn credentials(mut self, provider: impl Into<CredentialsProvider>) -> Self {
        self.credentials = Some(provider.into());
        self
    }

    /// Sends every region's RDS call to this base URL instead of the
    /// region's official endpoint (e.g. a fake server on loopback).
    pub fn endpoint(mut self, url: Url) -> Self {
        self.endpoint = Some(url);
        self
    }

    /// Sends project-id discovery to this IAM base URL (beats
    /// `HUAWEICLOUD_SDK_IAM_ENDPOINT` and the profile's `iam_endpoint`).
    pub fn iam_endpoint(mut self, url: Url) -> Self {
        self.iam_endpoint = Some(url);
        self
    }

    /// The longest wait for a connection (default 60 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest wait for any read: the answer's head, or the next piece
    /// of its body (default 120 s). It restarts after each successful read,
    /// so a large body that keeps flowing is not cut.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sends every request through this proxy (`http://` or `https://`;
    /// `user:password@` allowed), ignoring the proxy environment variables.
    pub fn proxy(mut self, url: Url) -> Self {
        self.proxy = ProxyMode::Explicit(url);
        self
    }

    /// Uses no proxy at all, ignoring the proxy environment variables.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyMode::None;
        self
    }

    /// Where the proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY`, upper or lower case) and `HUAWEICLOUD_SDK_IAM_ENDPOINT` are
    /// read from (default: the process environment).
    pub fn environment(mut self, env: Environment) -> Self {
        self.environment = env;
        self
    }

    /// Trusts the CA certificates in this PEM bundle, in addition to the
    /// built-in roots. May be called more than once.
    pub fn ca_bundle(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_bundles.push(pem.into());
        self
    }

    /// Allows plain `http://` endpoints on non-loopback hosts. TLS
    /// verification of `https://` endpoints stays on.
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// The largest body accepted (default 64 MiB); a larger one is a
    /// [`ErrorKind::Decode`] error that names the cap.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The `User-Agent` (default `rds-dr/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sends no `User-Agent` at all.
    pub fn no_user_agent(mut self) -> Self {
        self.user_agent = None;
        self
    }

    /// The `X-Language` sent when [`RequestOptions::language`] is `None`
    /// (default: none, the service answers in English).
    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// The project id of `region`: no discovery for that region. Beats the
    /// environment and the profile file.
    pub fn project_id(mut self, region: impl Into<String>, project_id: impl Into<String>) -> Self {
        self.project_ids.insert(region.into(), project_id.into());
        self
    }

    /// The wall clock used for `X-Sdk-Date` and `Retry-After` dates
    /// (default: the system clock). For tests and known-answer checks.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// The client. Fails ([`ErrorKind::Configuration`]) on a plain `http://`
    /// endpoint to a non-loopback host without [`insecure`](Self::insecure),
    /// an invalid proxy, CA bundle or project id.
    pub fn build(self) -> Result<HttpClient, ApiError> {
        if let Some(url) = &self.endpoint {
            regions::check_endpoint_url(url, self.insecure, "RDS endpoint")?;
        }
        if let Some(url) = &self.iam_endpoint {
            regions::check_endpoint_url(url, self.insecure, "IAM endpoint")?;
        }
        for (region, project_id) in &self.project_ids {
            let target = Target::new(region.clone(), project_id.clone());
            target
                .validate()
                .map_err(|e| ApiError::new(ErrorKind::Configuration, e.to_string()))?;
        }
        let user_agent = match self.user_agent {
            Some(ua) => {
                let ua = ua.trim().to_string();
                reqwest::header::HeaderValue::from_str(&ua).map_err(|_| {
                    ApiError::new(
                        ErrorKind::Configuration,
                        "the User-Agent has characters not allowed in a header",
                    )
                })?;
                Some(ua).filter(|u| !u.is_empty())
            }
            None => None,
        };

        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .gzip(true)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        for proxy in proxies(&self.proxy, &self.environment)? {
            builder = builder.proxy(proxy);
        }
        for pem in &self.ca_bundles {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                ApiError::new(
                    ErrorKind::Configuration,
                    format!("invalid CA bundle: {}", chain_message(&e)),
                )
            })?;
            if certs.is_empty() {
                return Err(ApiError::new(
                    ErrorKind::Configuration,
                    "invalid CA bundle: no PEM certificate in it",
                ));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| {
            ApiError::new(
                ErrorKind::Configuration,
                format!("cannot build the HTTP client: {}", chain_message(&e)),
            )
        })?;

        let env_iam = self.environment.get(ENV_IAM_ENDPOINT);
        Ok(HttpClient {
            inner: Arc::new(Inner {
                client,
                credentials: self
                    .credentials
                    .unwrap_or_else(CredentialsProvider::default_chain),
                endpoint: self.endpoint,
                iam_endpoint: self.iam_endpoint,
                env_iam_endpoint: env_iam,
                insecure: self.insecure,
                max_response_bytes: self.max_response_bytes,
                user_agent,
                language: self.language,
                project_ids: self.project_ids,
                discovered: Mutex::new(HashMap::new()),
                warned_regions: Mutex::new(Vec::new()),
                clock: self.clock,
            }),
        })
    }
}

/// A proxy URL for messages: without its password.
fn redacted_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

fn proxy_error(what: &str, e: &reqwest::Error) -> ApiError {
    // reqwest's message may quote the URL, with its password: do not use it.
    let _ = e;
    ApiError::new(ErrorKind::Configuration, format!("invalid proxy {what}"))
}

fn proxies(mode: &ProxyMode, env: &Environment) -> Result<Vec<reqwest::Proxy>, ApiError> {
    match mode {
        ProxyMode::None => Ok(Vec::new()),
        ProxyMode::Explicit(url) => {
            tracing::debug!(proxy = %redacted_url(url), "using the explicit proxy");
            let proxy = reqwest::Proxy::all(url.as_str())
                .map_err(|e| proxy_error(&redacted_url(url), &e))?;
            Ok(vec![proxy])
        }
        ProxyMode::Environment => {
            let var = |upper: &str| {
                env.get(upper)
                    .or_else(|| env.get(&upper.to_ascii_lowercase()))
            };
            let no_proxy = var("NO_PROXY").and_then(|list| reqwest::NoProxy::from_string(&list));
            let mut out = Vec::new();
            for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
                let Some(value) = var(name) else { continue };
                let value = value.trim();
                // A bare `host:port` means http://host:port, as curl reads it.
                let value = if value.contains("://") {
                    value.to_string()
                } else {
                    format!("http://{value}")
                };
                let url = Url::parse(&value).map_err(|_| {
                    ApiError::new(
                        ErrorKind::Configuration,
                        format!("invalid proxy URL in {name}"),
                    )
                })?;
                tracing::debug!(variable = name, proxy = %redacted_url(&url), "using a proxy from the environment");
                let proxy = match name {
                    "HTTPS_PROXY" => reqwest::Proxy::https(url.as_str()),
                    "HTTP_PROXY" => reqwest::Proxy::http(url.as_str()),
                    _ => reqwest::Proxy::all(url.as_str()),
                }
                .map_err(|e| proxy_error(&format!("in {name}"), &e))?;
                out.push(proxy.no_proxy(no_proxy.clone()));
            }
            Ok(out)
        }
    }
}

/// ListDrRelations over HTTPS: signs each request with SDK-HMAC-SHA256,
/// resolves endpoints per region, discovers project ids through IAM, and maps
/// every failure into an [`ApiError`].
///
/// One connection pool for all regions. Cheap to clone (everything is
/// shared). Retries are not done here: wrap the client in
/// [`rds_dr_api::retry::Retrying`] (with [`crate::TokioClock`]); every attempt
/// is signed anew.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

type DiscoveryCell = Arc<tokio::sync::OnceCell<String>>;

struct Inner {
    client: reqwest::Client,
    credentials: CredentialsProvider,
    endpoint: Option<Url>,
    iam_endpoint: Option<Url>,
    env_iam_endpoint: Option<String>,
    insecure: bool,
    max_response_bytes: u64,
    user_agent: Option<String>,
    language: Option<Language>,
    project_ids: HashMap<String, String>,
    /// Discovered project ids by (access key, region).
    discovered: Mutex<HashMap<(String, String), DiscoveryCell>>,
    warned_regions: Mutex<Vec<String>>,
    clock: WallClock,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("HttpClient")
            .field("credentials", &i.credentials)
            .field("endpoint", &i.endpoint.as_ref().map(Url::as_str))
            .field("iam_endpoint", &i.iam_endpoint.as_ref().map(Url::as_str))
            .field("insecure", &i.insecure)
            .field("max_response_bytes", &i.max_response_bytes)
            .field("user_agent", &i.user_agent)
            .field("language", &i.language)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ProjectsBody {
    #[serde(default)]
    projects: Option<Vec<ProjectEntry>>,
}

#[derive(Deserialize)]
struct ProjectEntry {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

impl HttpClient {
    /// A builder with the defaults of [`HttpClientBuilder::new`].
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder::new()
    }

    /// The credentials provider.
    pub fn credentials(&self) -> &CredentialsProvider {
        &self.inner.credentials
    }

    /// The base URL RDS calls for `region` go to: the endpoint override, or
    /// the region's endpoint (see [`regions::rds_endpoint`]).
    pub fn rds_base_url(&self, region: &str) -> Result<Url, ApiError> {
        rds_dr_model::validate_region(region).map_err(|reason| {
            ApiError::new(
                ErrorKind::Configuration,
                format!("invalid region: {reason}"),
            )
        })?;
        if let Some(url) = &self.inner.endpoint {
            return Ok(url.clone());
        }
        let endpoint = regions::rds_endpoint_quiet(region)?;
        if !endpoint.known {
            let mut warned = self
                .inner
                .warned_regions
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if !warned.iter().any(|r| r == region) {
                warned.push(region.to_string());
                regions::warn_unknown(region, &endpoint.url);
            }
        }
        Ok(endpoint.url)
    }

    /// The IAM base URL for discovery in `region`: [`HttpClientBuilder::iam_endpoint`],
    /// else `HUAWEICLOUD_SDK_IAM_ENDPOINT` or the profile's `iam_endpoint`,
    /// else [`regions::iam_endpoint`]. Checked like any endpoint.
    pub fn iam_base_url(&self, region: &str) -> Result<Url, ApiError> {
        let inner = &self.inner;
        if let Some(url) = &inner.iam_endpoint {
            return Ok(url.clone());
        }
        let configured = inner
            .env_iam_endpoint
            .clone()
            .or_else(|| inner.credentials.iam_endpoint());
        let url = match configured {
            Some(text) => {
                let text = text.trim();
                let text = if text.contains("://") {
                    text.to_string()
                } else {
                    format!("https://{text}")
                };
                Url::parse(&text).map_err(|e| {
                    ApiError::new(
                        ErrorKind::Configuration,
                        format!("invalid IAM endpoint `{text}`: {e}"),
                    )
                })?
            }
            None => regions::iam_endpoint(region)?.url,
        };
        regions::check_endpoint_url(&url, inner.insecure, "IAM endpoint")?;
        Ok(url)
    }

    /// The project id of `region`: the builder's map, else
    /// `HUAWEICLOUD_SDK_PROJECT_ID`, else the profile's `project_id`, else
    /// IAM discovery (`GET {iam}/v3/projects?name={region}`), whose answer
    /// must name exactly one project called `region`. Discovery results are
    /// cached per (access key, region) for the client's life; concurrent
    /// callers share one discovery.
    pub async fn project_id(&self, region: &str) -> Result<String, ApiError> {
        rds_dr_model::validate_region(region).map_err(|reason| {
            ApiError::new(
                ErrorKind::Configuration,
                format!("invalid region: {reason}"),
            )
        })?;
        let inner = &self.inner;
        if let Some(id) = inner.project_ids.get(region) {
            return Ok(id.clone());
        }
        if let Some(id) = inner.credentials.project_id() {
            rds_dr_model::validate_project_id(&id).map_err(|reason| {
                ApiError::new(
                    ErrorKind::Configuration,
                    format!("invalid configured project id (environment or profile): {reason}"),
                )
            })?;
            return Ok(id);
        }
        let credentials = inner.credentials.resolve().await?;
        let key = (credentials.access_key().to_string(), region.to_string());
        let cell = {
            let mut map = inner.discovered.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key).or_default().clone()
        };
        cell.get_or_try_init(|| self.discover_project_id(region, &credentials))
            .await
            .cloned()
    }

    async fn discover_project_id(
        &self,
        region: &str,
        credentials: &Credentials,
    ) -> Result<String, ApiError> {
        let base = self.iam_base_url(region)?;
        let mut headers = Vec::new();
        if let Some(ua) = &self.inner.user_agent {
            headers.push(("User-Agent".to_string(), ua.clone()));
        }
        let outgoing = Outgoing {
            operation: "KeystoneListProjects",
            method: "GET",
            body: Vec::new(),
            region,
            url: join_path(&base, "v3/projects"),
            query: vec![("name".to_string(), region.to_string())],
            headers,
        };
        let raw = self.send(outgoing, credentials).await.map_err(|e| {
            let message = format!("IAM project discovery for {region}: {}", e.message());
            e.with_message(message)
        })?;
        let body: ProjectsBody = serde_json::from_slice(&raw.body).map_err(|e| {
            decode_error(
                &raw,
                &e,
                "IAM project discovery: the answer to GET /v3/projects",
            )
        })?;
        let projects = body.projects.unwrap_or_default();
        let matching: Vec<&str> = projects
            .iter()
            .filter(|p| p.name.as_deref() == Some(region))
            .filter_map(|p| p.id.as_deref())
            .collect();
        let with_request_id = |e: ApiError| match &raw.request_id {
            Some(id) => e.with_request_id(id.clone()),
            None => e,
        };
        match matching.as_slice() {
            [one] => {
                rds_dr_model::validate_project_id(one).map_err(|reason| {
                    with_request_id(ApiError::new(
                        ErrorKind::Decode,
                        format!("IAM project discovery for {region}: {reason}"),
                    ))
                })?;
                tracing::debug!(region, project_id = one, "discovered the project id");
                Ok((*one).to_string())
            }
            [] => Err(with_request_id(ApiError::new(
                ErrorKind::Configuration,
                format!(
                    "no project named {region} visible to this AK ({} project(s) returned); \
                     give the project id explicitly",
                    projects.len()
                ),
            ))),
            several => Err(with_request_id(ApiError::new(
                ErrorKind::Configuration,
                format!(
                    "{} projects named {region} visible to this AK ({}); give the project id explicitly",
                    several.len(),
                    several.join(", ")
                ),
            ))),
        }
    }

    /// `GET /v3/{project_id}/instances/disaster-recovery-relation` for
    /// `target`, returning the body as received. A non-2xx answer is an
    /// error; so is a body over the size cap.
    pub async fn list_dr_relations_raw(
        &self,
        target: &Target,
        options: &RequestOptions,
    ) -> Result<RawResponse, ApiError> {
        let (url, headers) = self.regional(target, options, LIST_DR_RELATIONS_PATH)?;
        let credentials = self.inner.credentials.resolve().await?;
        let outgoing = Outgoing {
            operation: "ListDrRelations",
            method: "GET",
            body: Vec::new(),
            region: &target.region,
            url,
            query: Vec::new(),
            headers,
        };
        self.send(outgoing, &credentials).await
    }

    /// `POST /v3/{project_id}/instances/disaster-recovery-infos` for
    /// `target`: one page, as `query` asks, with `query` as the JSON body
    /// (only the fields that are set), signed by its SHA-256 as the official
    /// SDK signs it. Returns the body as received; errors as for
    /// [`list_dr_relations_raw`](HttpClient::list_dr_relations_raw).
    pub async fn list_dr_infos_raw(
        &self,
        target: &Target,
        query: &QueryDrInfoRequest,
        options: &RequestOptions,
    ) -> Result<RawResponse, ApiError> {
        let (url, headers) = self.regional(target, options, LIST_DR_INFOS_PATH)?;
        let body = serde_json::to_vec(query).map_err(|e| {
            ApiError::new(
                ErrorKind::Configuration,
                format!("cannot encode the ListDrInfos request body: {e}"),
            )
        })?;
        let credentials = self.inner.credentials.resolve().await?;
        let outgoing = Outgoing {
            operation: "ListDrInfos",
            method: "POST",
            body,
            region: &target.region,
            url,
            query: Vec::new(),
            headers,
        };
        self.send(outgoing, &credentials).await
    }

    /// The URL and headers of a regional RDS call for `target`.
    fn regional(
        &self,
        target: &Target,
        options: &RequestOptions,
        path: &str,
    ) -> Result<(Url, Vec<(String, String)>), ApiError> {
        target
            .validate()
            .map_err(|e| ApiError::new(ErrorKind::Configuration, e.to_string()))?;
        let base = self.rds_base_url(&target.region)?;
        let url = join_path(&base, &format!("v3/{}/{path}", target.project_id));
        regions::check_endpoint_url(&url, self.inner.insecure, "RDS endpoint")?;
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if let Some(ua) = &self.inner.user_agent {
            headers.push(("User-Agent".to_string(), ua.clone()));
        }
        if let Some(language) = options.language.or(self.inner.language) {
            headers.push(("X-Language".to_string(), language.as_str().to_string()));
        }
        headers.push(("X-Project-Id".to_string(), target.project_id.clone()));
        Ok((url, headers))
    }
}

impl RawResponse {
    /// Decodes the body as a ListDrRelations answer; a [`ErrorKind::Decode`]
    /// error says whether the body is not JSON, ends early, or has the wrong
    /// shape.
    pub fn decode(&self) -> Result<ListDrRelationsResponse, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| decode_error(self, &e, "ListDrRelations"))
    }

    /// Decodes the body as one ListDrInfos page (errors as for
    /// [`decode`](RawResponse::decode)).
    pub fn decode_infos(&self) -> Result<ListDrInfosResponse, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| decode_error(self, &e, "ListDrInfos"))
    }
}

impl DrRelationsApi for HttpClient {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        Box::pin(async move { self.list_dr_relations_raw(target, options).await?.decode() })
    }

    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        Box::pin(async move {
            self.list_dr_infos_raw(target, query, options)
                .await?
                .decode_infos()
        })
    }
}

/// A [`rds_dr_api::retry::Clock`] on the tokio runtime: `Instant::now` and
/// `tokio::time::sleep`. What [`rds_dr_api::retry::Retrying`] needs around
/// an [`HttpClient`].
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioClock;

impl rds_dr_api::retry::Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
