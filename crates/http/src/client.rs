//! [`HttpClient`]: ListDrRelations over HTTPS.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rds_dr_api::{
    ApiError, BoxFuture, DrRelationsApi, ErrorKind, Language, ListDrRelationsResponse,
    RequestOptions, Target,
};
use rds_dr_sign::{Credentials, SignableRequest, sign};
use serde::Deserialize;
use tracing::Instrument;
use url::Url;

use crate::credentials::{CredentialsProvider, ENV_IAM_ENDPOINT, Environment, WallClock};
use crate::error::{Phase, chain_message, from_reqwest, from_response, parse_retry_after};
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

/// One request to sign and send.
struct Outgoing<'a> {
    operation: &'static str,
    region: &'a str,
    url: Url,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
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

/// Headers whose values never reach a log line.
fn is_sensitive(name: &str) -> bool {
    [
        "authorization",
        "x-security-token",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-auth-token",
    ]
    .iter()
    .any(|s| name.eq_ignore_ascii_case(s))
}

/// Headers for a log line, secrets redacted.
struct Redacted<'a>(&'a [(String, String)]);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if is_sensitive(name) {
                write!(f, "{name}: REDACTED")?;
            } else {
                write!(f, "{name}: {value}")?;
            }
        }
        Ok(())
    }
}

/// `host[:port]` as hyper sends it in `Host`: the port only when it is not
/// the scheme's default (the `url` crate already drops a default port).
fn host_header(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// `base` with `path` (no leading `/`) appended to its path.
fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}/{path}"));
    url.set_query(None);
    url.set_fragment(None);
    url
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
        target
            .validate()
            .map_err(|e| ApiError::new(ErrorKind::Configuration, e.to_string()))?;
        let base = self.rds_base_url(&target.region)?;
        let url = join_path(
            &base,
            &format!("v3/{}/{LIST_DR_RELATIONS_PATH}", target.project_id),
        );
        regions::check_endpoint_url(&url, self.inner.insecure, "RDS endpoint")?;
        let credentials = self.inner.credentials.resolve().await?;
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if let Some(ua) = &self.inner.user_agent {
            headers.push(("User-Agent".to_string(), ua.clone()));
        }
        if let Some(language) = options.language.or(self.inner.language) {
            headers.push(("X-Language".to_string(), language.as_str().to_string()));
        }
        headers.push(("X-Project-Id".to_string(), target.project_id.clone()));
        let outgoing = Outgoing {
            operation: "ListDrRelations",
            region: &target.region,
            url,
            query: Vec::new(),
            headers,
        };
        self.send(outgoing, &credentials).await
    }

    /// Signs and sends one GET, reads the body under the cap, maps failures.
    async fn send(
        &self,
        outgoing: Outgoing<'_>,
        credentials: &Credentials,
    ) -> Result<RawResponse, ApiError> {
        let span = tracing::debug_span!(
            "rds_dr_http",
            operation = outgoing.operation,
            method = "GET",
            url = %outgoing.url,
            region = outgoing.region,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        self.send_inner(outgoing, credentials)
            .instrument(span)
            .await
    }

    async fn send_inner(
        &self,
        outgoing: Outgoing<'_>,
        credentials: &Credentials,
    ) -> Result<RawResponse, ApiError> {
        let inner = &self.inner;
        let start = Instant::now();
        let span = tracing::Span::current();
        let Some(host) = host_header(&outgoing.url) else {
            return Err(ApiError::new(
                ErrorKind::Configuration,
                format!("the URL `{}` has no host", outgoing.url),
            ));
        };
        let path = percent_encoding::percent_decode_str(outgoing.url.path())
            .decode_utf8_lossy()
            .into_owned();
        let mut url = outgoing.url.clone();
        if !outgoing.query.is_empty() {
            url.set_query(Some(&rds_dr_sign::canonical_query(&outgoing.query)));
        }
        let signable = SignableRequest {
            method: "GET",
            host: &host,
            path: &path,
            query: &outgoing.query,
            headers: &outgoing.headers,
            body: b"",
        };
        let signed = sign(&signable, credentials, (inner.clock)());
        let mut headers = outgoing.headers.clone();
        headers.extend(
            signed
                .headers
                .iter()
                .map(|(n, v)| ((*n).to_string(), v.clone())),
        );

        let mut request = inner.client.get(url.clone());
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        tracing::debug!(url = %url, "sending");
        tracing::trace!(host = %host, headers = %Redacted(&headers), "request headers");

        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let error = from_reqwest(e, Phase::Send);
                span.record("elapsed_ms", start.elapsed().as_millis() as u64);
                tracing::debug!(kind = %error.kind(), error = %error, "request failed");
                return Err(error);
            }
        };
        let status = response.status();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        span.record("status", status.as_u16());
        if let Some(id) = &request_id {
            span.record("request_id", id.as_str());
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            let received: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            tracing::trace!(headers = %Redacted(&received), "response headers");
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, (inner.clock)()));

        let result = if status.is_success() {
            self.read_body(response, status.as_u16(), false)
                .await
                .map(|body| RawResponse {
                    status: status.as_u16(),
                    request_id: request_id.clone(),
                    body,
                })
                .map_err(|e| match &request_id {
                    Some(id) => e.with_request_id(id.clone()),
                    None => e,
                })
        } else {
            // An error body is read as far as it goes: its first part is enough.
            let body = self
                .read_body(response, status.as_u16(), true)
                .await
                .unwrap_or_default();
            Err(from_response(
                status.as_u16(),
                status.canonical_reason(),
                request_id.clone(),
                retry_after,
                &body,
            ))
        };
        let elapsed_ms = start.elapsed().as_millis() as u64;
        span.record("elapsed_ms", elapsed_ms);
        match &result {
            Ok(raw) => tracing::debug!(
                status = raw.status,
                request_id = raw.request_id.as_deref().unwrap_or(""),
                bytes = raw.body.len(),
                elapsed_ms,
                "answered"
            ),
            Err(e) => tracing::debug!(
                status = e.status().unwrap_or(0),
                code = e.code().unwrap_or(""),
                request_id = e.request_id().unwrap_or(""),
                kind = %e.kind(),
                elapsed_ms,
                "failed: {}",
                e.message()
            ),
        }
        result
    }

    /// Reads the body in chunks, stopping at the cap. With `lenient`
    /// (error bodies), the cap and read errors end the body instead of
    /// failing.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        status: u16,
        lenient: bool,
    ) -> Result<Vec<u8>, ApiError> {
        let cap = self.inner.max_response_bytes;
        let too_large = |what: String| {
            ApiError::new(
                ErrorKind::Decode,
                format!("{what} over the {cap}-byte limit (max_response_bytes); not read"),
            )
            .with_status(status)
            .with_maybe_sent(true)
        };
        if !lenient
            && let Some(length) = response.content_length()
            && length > cap
        {
            return Err(too_large(format!(
                "the response body ({length} bytes, from Content-Length) is"
            )));
        }
        let mut body = Vec::with_capacity(
            response.content_length().unwrap_or(0).min(cap).min(1 << 20) as usize,
        );
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = usize::try_from(cap)
                        .unwrap_or(usize::MAX)
                        .saturating_sub(body.len());
                    if chunk.len() > room {
                        if lenient {
                            body.extend_from_slice(&chunk[..room]);
                            return Ok(body);
                        }
                        return Err(too_large(format!(
                            "the response body is (at least {} bytes)",
                            body.len() + chunk.len()
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(_) if lenient => return Ok(body),
                Err(e) => {
                    return Err(from_reqwest(
                        e,
                        Phase::Body {
                            status,
                            received: body.len(),
                        },
                    ));
                }
            }
        }
    }
}

/// A Decode error for a 2xx body that is not what was expected.
fn decode_error(raw: &RawResponse, error: &serde_json::Error, what: &str) -> ApiError {
    let message = if raw.body.iter().all(u8::is_ascii_whitespace) {
        format!("{what}: body is empty (HTTP {})", raw.status)
    } else if error.is_eof() {
        format!(
            "{what}: body truncated at byte {} (the JSON ends early): {error}",
            raw.body.len()
        )
    } else if error.is_syntax() {
        format!("{what}: body is not JSON: {error}")
    } else {
        format!("{what}: body is JSON of an unexpected shape: {error}")
    };
    let mut api = ApiError::new(ErrorKind::Decode, message)
        .with_status(raw.status)
        .with_maybe_sent(true);
    if let Some(id) = &raw.request_id {
        api = api.with_request_id(id.clone());
    }
    api
}

impl RawResponse {
    /// Decodes the body as a ListDrRelations answer; a [`ErrorKind::Decode`]
    /// error says whether the body is not JSON, ends early, or has the wrong
    /// shape.
    pub fn decode(&self) -> Result<ListDrRelationsResponse, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| decode_error(self, &e, "ListDrRelations"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_and_host() {
        let base = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            join_path(&base, "v3/p/x").as_str(),
            "http://127.0.0.1:8080/v3/p/x"
        );
        let base = Url::parse("https://gw.example.com/prefix/").unwrap();
        assert_eq!(
            join_path(&base, "v3/p").as_str(),
            "https://gw.example.com/prefix/v3/p"
        );
        assert_eq!(host_header(&base).as_deref(), Some("gw.example.com"));
        let v6 = Url::parse("http://[::1]:9000/").unwrap();
        assert_eq!(host_header(&v6).as_deref(), Some("[::1]:9000"));
        let default_port = Url::parse("https://rds.cn-north-4.myhuaweicloud.com:443/").unwrap();
        assert_eq!(
            host_header(&default_port).as_deref(),
            Some("rds.cn-north-4.myhuaweicloud.com")
        );
    }

    #[test]
    fn redaction() {
        let headers = vec![
            (
                "Authorization".to_string(),
                "SDK-HMAC-SHA256 Access=AK, Signature=abc".to_string(),
            ),
            ("X-Security-Token".to_string(), "tok".to_string()),
            ("X-Project-Id".to_string(), "p".to_string()),
        ];
        let shown = Redacted(&headers).to_string();
        assert_eq!(
            shown,
            "Authorization: REDACTED, X-Security-Token: REDACTED, X-Project-Id: p"
        );
        let url = Url::parse("http://user:pa55@proxy.local:3128").unwrap();
        assert!(!redacted_url(&url).contains("pa55"));
    }
}
