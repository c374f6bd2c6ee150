//! Where the access key, secret key and security token come from.
//!
//! A [`CredentialsProvider`] is either fixed [`Credentials`] or a [`Chain`]
//! that looks in these places, in this order, and takes the first complete
//! set it finds:
//!
//! 1. explicit credentials given to [`ChainBuilder::explicit`];
//! 2. the environment: `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, and
//!    `HUAWEICLOUD_SDK_SECURITY_TOKEN` for temporary keys;
//! 3. the profile file: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else
//!    `~/.huaweicloud/credentials`, an INI file whose `[basic]` section has
//!    `ak`, `sk`, and optionally `security_token`, `project_id`, `iam_endpoint`;
//! 4. ECS instance metadata, **only if enabled** with
//!    [`ChainBuilder::metadata`]: `PUT {endpoint}/meta-data/latest/api/token`
//!    (`X-Metadata-Token-Ttl-Seconds: 21600`), then
//!    `GET {endpoint}/openstack/latest/securitykey` with `X-Metadata-Token`.
//!    The temporary keys are cached and fetched again when less than 40
//!    minutes of their life remain.
//!
//! When no source has credentials, the error (kind
//! [`ErrorKind::Credentials`]) lists every source tried and what was missing
//! in each, never a value:
//! `no credentials found (environment: HUAWEICLOUD_SDK_SK not set; profile
//! /root/.huaweicloud/credentials: not found; metadata: not enabled)`.
//!
//! The environment is injectable ([`Environment::from_map`]) so tests never
//! touch the process environment.
//!
//! ```
//! use rds_dr_http::credentials::{Chain, Environment};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let env = Environment::from_map([
//!     ("HUAWEICLOUD_SDK_AK", "AKEXAMPLE"),
//!     ("HUAWEICLOUD_SDK_SK", "example-secret"),
//!     ("HUAWEICLOUD_SDK_PROJECT_ID", "0483b6b16e954cb88930a360d2c4e663"),
//! ]);
//! let chain = Chain::builder().environment(env).build();
//! let credentials = chain.resolve().await?;
//! assert_eq!(credentials.access_key(), "AKEXAMPLE");
//! assert_eq!(chain.project_id().as_deref(), Some("0483b6b16e954cb88930a360d2c4e663"));
//!
//! // Nothing anywhere: the error says where it looked.
//! let empty = Chain::builder().environment(Environment::from_map::<_, &str, &str>([])).build();
//! let error = empty.resolve().await.unwrap_err();
//! assert!(error.message().contains("HUAWEICLOUD_SDK_AK"), "{error}");
//! assert!(error.message().contains("metadata: not enabled"), "{error}");
//! # Ok::<(), rds_dr_api::ApiError>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use rds_dr_api::{ApiError, ErrorKind};
pub use rds_dr_sign::{Credentials, Secret};
use serde::Deserialize;
use url::Url;

/// `HUAWEICLOUD_SDK_AK`: the access key.
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// `HUAWEICLOUD_SDK_SK`: the secret key.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// `HUAWEICLOUD_SDK_SECURITY_TOKEN`: the security token of temporary keys.
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// `HUAWEICLOUD_SDK_PROJECT_ID`: the project id.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`: the IAM endpoint for project-id discovery.
pub const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
/// `HUAWEICLOUD_SDK_CREDENTIALS_FILE`: the profile file.
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";

/// The default ECS metadata endpoint (link-local; only reachable on an ECS).
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";
/// Temporary keys are fetched again when less than this much life remains.
pub const METADATA_REFRESH_BEFORE: Duration = Duration::from_secs(40 * 60);

const METADATA_TOKEN_PATH: &str = "/meta-data/latest/api/token";
const METADATA_SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";
const METADATA_TOKEN_TTL_SECONDS: &str = "21600";

/// A clock: the current wall-clock time.
pub(crate) type WallClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A source of environment variables: the process environment, or a map or
/// function given in tests. An empty value counts as unset.
#[derive(Clone)]
pub struct Environment {
    lookup: Lookup,
}

impl Environment {
    /// The process environment (`std::env::var`).
    pub fn process() -> Self {
        Environment::from_fn(|name| std::env::var(name).ok())
    }

    /// A fixed set of variables.
    pub fn from_map<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let map: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Environment::from_fn(move |name| map.get(name).cloned())
    }

    /// Variables looked up by a function.
    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Environment {
            lookup: Arc::new(lookup),
        }
    }

    /// The value of `name`, or `None` if it is unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }
}

impl Default for Environment {
    fn default() -> Self {
        Environment::process()
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Environment { .. }")
    }
}

/// Where a set of credentials came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialsSource {
    /// Given to the program directly.
    Explicit,
    /// `HUAWEICLOUD_SDK_AK` / `HUAWEICLOUD_SDK_SK`.
    Environment,
    /// The `[basic]` section of this profile file.
    Profile(PathBuf),
    /// ECS instance metadata at this endpoint.
    Metadata(Url),
}

impl fmt::Display for CredentialsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsSource::Explicit => f.write_str("explicit credentials"),
            CredentialsSource::Environment => write!(f, "environment ({ENV_AK}/{ENV_SK})"),
            CredentialsSource::Profile(path) => write!(f, "profile {}", path.display()),
            CredentialsSource::Metadata(url) => write!(f, "ECS metadata {url}"),
        }
    }
}

/// Where an HTTP client gets its credentials: fixed, or a [`Chain`].
#[derive(Clone, Debug)]
pub enum CredentialsProvider {
    /// These credentials, always.
    Static(Credentials),
    /// The first source of a chain that has credentials.
    Chain(Chain),
}

impl CredentialsProvider {
    /// The default chain over the process environment: environment, then the
    /// profile file; metadata off.
    pub fn default_chain() -> Self {
        CredentialsProvider::Chain(Chain::builder().build())
    }

    /// The credentials to sign the next request with.
    pub async fn resolve(&self) -> Result<Credentials, ApiError> {
        match self {
            CredentialsProvider::Static(c) => Ok(c.clone()),
            CredentialsProvider::Chain(chain) => chain.resolve().await,
        }
    }

    /// The project id configured next to the credentials
    /// (`HUAWEICLOUD_SDK_PROJECT_ID`, else the profile's `project_id`);
    /// always `None` for [`CredentialsProvider::Static`].
    pub fn project_id(&self) -> Option<String> {
        match self {
            CredentialsProvider::Static(_) => None,
            CredentialsProvider::Chain(chain) => chain.project_id(),
        }
    }

    /// The IAM endpoint configured next to the credentials
    /// (`HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the profile's `iam_endpoint`);
    /// always `None` for [`CredentialsProvider::Static`].
    pub fn iam_endpoint(&self) -> Option<String> {
        match self {
            CredentialsProvider::Static(_) => None,
            CredentialsProvider::Chain(chain) => chain.iam_endpoint(),
        }
    }
}

impl From<Credentials> for CredentialsProvider {
    fn from(c: Credentials) -> Self {
        CredentialsProvider::Static(c)
    }
}

impl From<Chain> for CredentialsProvider {
    fn from(c: Chain) -> Self {
        CredentialsProvider::Chain(c)
    }
}

/// The credentials chain: explicit > environment > profile file > ECS
/// metadata (opt-in). Cheap to clone (shared cache). Build it with
/// [`Chain::builder`].
#[derive(Clone)]
pub struct Chain {
    inner: Arc<ChainInner>,
}

struct ChainInner {
    explicit: Option<Credentials>,
    env: Environment,
    profile_path: Option<PathBuf>,
    profile: OnceLock<ProfileRead>,
    metadata: Option<Metadata>,
    clock: WallClock,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("explicit", &self.inner.explicit)
            .field("profile_path", &self.profile_path())
            .field(
                "metadata",
                &self.inner.metadata.as_ref().map(|m| m.endpoint.as_str()),
            )
            .finish_non_exhaustive()
    }
}

/// Builds a [`Chain`].
pub struct ChainBuilder {
    explicit: Option<Credentials>,
    env: Environment,
    profile_path: Option<PathBuf>,
    metadata: bool,
    metadata_endpoint: Option<Url>,
    metadata_timeout: Duration,
    clock: WallClock,
}

impl fmt::Debug for ChainBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainBuilder")
            .field("explicit", &self.explicit)
            .field("profile_path", &self.profile_path)
            .field("metadata", &self.metadata)
            .field("metadata_endpoint", &self.metadata_endpoint)
            .finish_non_exhaustive()
    }
}

impl Default for ChainBuilder {
    fn default() -> Self {
        ChainBuilder::new()
    }
}

impl ChainBuilder {
    /// A chain over the process environment and the default profile file,
    /// metadata off.
    pub fn new() -> Self {
        ChainBuilder {
            explicit: None,
            env: Environment::process(),
            profile_path: None,
            metadata: false,
            metadata_endpoint: None,
            metadata_timeout: Duration::from_secs(3),
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Credentials that win over every other source.
    pub fn explicit(mut self, credentials: Credentials) -> Self {
        self.explicit = Some(credentials);
        self
    }

    /// Where environment variables come from (default: the process).
    pub fn environment(mut self, env: Environment) -> Self {
        self.env = env;
        self
    }

    /// The profile file, instead of `HUAWEICLOUD_SDK_CREDENTIALS_FILE` or
    /// `~/.huaweicloud/credentials`.
    pub fn profile_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.profile_path = Some(path.into());
        self
    }

    /// Whether to ask ECS instance metadata for temporary keys when no other
    /// source has credentials (default: no).
    pub fn metadata(mut self, enabled: bool) -> Self {
        self.metadata = enabled;
        self
    }

    /// The metadata endpoint (default [`DEFAULT_METADATA_ENDPOINT`]). Only
    /// used when [`metadata`](Self::metadata) is on.
    pub fn metadata_endpoint(mut self, endpoint: Url) -> Self {
        self.metadata_endpoint = Some(endpoint);
        self
    }

    /// Connect and read timeout of each metadata request (default 3 s, as
    /// the Python SDK).
    pub fn metadata_timeout(mut self, timeout: Duration) -> Self {
        self.metadata_timeout = timeout;
        self
    }

    /// The wall clock that decides when temporary keys need refreshing
    /// (default: the system clock). For tests.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// The chain. Does no IO: sources are read on first use.
    pub fn build(self) -> Chain {
        let metadata = self.metadata.then(|| {
            let endpoint = self.metadata_endpoint.unwrap_or_else(|| {
                Url::parse(DEFAULT_METADATA_ENDPOINT)
                    .expect("the default metadata endpoint is a valid URL")
            });
            Metadata::new(endpoint, self.metadata_timeout)
        });
        Chain {
            inner: Arc::new(ChainInner {
                explicit: self.explicit,
                env: self.env,
                profile_path: self.profile_path,
                profile: OnceLock::new(),
                metadata,
                clock: self.clock,
            }),
        }
    }
}

impl Chain {
    /// A builder: process environment, default profile file, metadata off.
    pub fn builder() -> ChainBuilder {
        ChainBuilder::new()
    }

    /// The credentials of the first source that has them.
    pub async fn resolve(&self) -> Result<Credentials, ApiError> {
        self.resolve_with_source().await.map(|(c, _)| c)
    }

    /// The credentials of the first source that has them, and which source
    /// that was.
    pub async fn resolve_with_source(&self) -> Result<(Credentials, CredentialsSource), ApiError> {
        let inner = &self.inner;
        if let Some(c) = &inner.explicit {
            return Ok((c.clone(), CredentialsSource::Explicit));
        }
        let mut tried = Vec::new();

        match self.env_credentials() {
            Ok(c) => return Ok((c, CredentialsSource::Environment)),
            Err(why) => tried.push(format!("environment: {why}")),
        }

        match self.profile() {
            ProfileRead::Loaded(profile) => match profile.credentials() {
                Ok(c) => return Ok((c, CredentialsSource::Profile(profile.path.clone()))),
                Err(why) => tried.push(format!("profile {}: {why}", profile.path.display())),
            },
            ProfileRead::Unavailable {
                path: Some(path),
                why,
            } => tried.push(format!("profile {}: {why}", path.display())),
            ProfileRead::Unavailable { path: None, why } => tried.push(format!("profile: {why}")),
        }

        match &inner.metadata {
            None => tried.push("metadata: not enabled".to_string()),
            Some(metadata) => match metadata.credentials(&inner.clock).await {
                Ok(c) => return Ok((c, CredentialsSource::Metadata(metadata.endpoint.clone()))),
                Err(why) => tried.push(format!("metadata {}: {why}", metadata.endpoint)),
            },
        }

        Err(ApiError::new(
            ErrorKind::Credentials,
            format!("no credentials found ({})", tried.join("; ")),
        ))
    }

    /// The project id configured next to the credentials:
    /// `HUAWEICLOUD_SDK_PROJECT_ID`, else the profile's `project_id`.
    pub fn project_id(&self) -> Option<String> {
        self.inner
            .env
            .get(ENV_PROJECT_ID)
            .map(|v| v.trim().to_string())
            .or_else(|| self.loaded_profile().and_then(|p| p.project_id.clone()))
    }

    /// The IAM endpoint configured next to the credentials:
    /// `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the profile's `iam_endpoint`.
    pub fn iam_endpoint(&self) -> Option<String> {
        self.inner
            .env
            .get(ENV_IAM_ENDPOINT)
            .map(|v| v.trim().to_string())
            .or_else(|| self.loaded_profile().and_then(|p| p.iam_endpoint.clone()))
    }

    /// The profile file this chain reads (whether or not it exists), or
    /// `None` when neither `HUAWEICLOUD_SDK_CREDENTIALS_FILE` nor a home
    /// directory is known.
    pub fn profile_path(&self) -> Option<PathBuf> {
        if let Some(p) = &self.inner.profile_path {
            return Some(p.clone());
        }
        if let Some(p) = self.inner.env.get(ENV_CREDENTIALS_FILE) {
            return Some(PathBuf::from(p));
        }
        let home = self
            .inner
            .env
            .get("HOME")
            .or_else(|| self.inner.env.get("USERPROFILE"))?;
        Some(Path::new(&home).join(".huaweicloud").join("credentials"))
    }

    fn env_credentials(&self) -> Result<Credentials, String> {
        let env = &self.inner.env;
        let ak = env.get(ENV_AK);
        let sk = env.get(ENV_SK);
        match (ak, sk) {
            (Some(ak), Some(sk)) => {
                let c = Credentials::new(ak.trim(), sk.trim());
                Ok(match env.get(ENV_SECURITY_TOKEN) {
                    Some(token) => c.with_security_token(token.trim()),
                    None => c,
                })
            }
            (Some(_), None) => Err(format!("{ENV_SK} not set")),
            (None, Some(_)) => Err(format!("{ENV_AK} not set")),
            (None, None) => Err(format!("{ENV_AK} and {ENV_SK} not set")),
        }
    }

    fn profile(&self) -> &ProfileRead {
        self.inner
            .profile
            .get_or_init(|| match self.profile_path() {
                None => ProfileRead::Unavailable {
                    path: None,
                    why: format!(
                        "{ENV_CREDENTIALS_FILE} not set and no home directory (HOME) known"
                    ),
                },
                Some(path) => Profile::read(&path),
            })
    }

    fn loaded_profile(&self) -> Option<&Profile> {
        match self.profile() {
            ProfileRead::Loaded(p) => Some(p),
            ProfileRead::Unavailable { .. } => None,
        }
    }
}

/// The outcome of reading the profile file once.
enum ProfileRead {
    Loaded(Profile),
    Unavailable { path: Option<PathBuf>, why: String },
}

/// The `[basic]` section of a profile file.
struct Profile {
    path: PathBuf,
    ak: Option<String>,
    sk: Option<Secret>,
    security_token: Option<Secret>,
    project_id: Option<String>,
    iam_endpoint: Option<String>,
}

impl Profile {
    fn read(path: &Path) -> ProfileRead {
        let unavailable = |why: String| ProfileRead::Unavailable {
            path: Some(path.to_path_buf()),
            why,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return unavailable("not found".into());
            }
            Err(e) => return unavailable(format!("cannot be read ({})", e.kind())),
        };
        let options = ini::ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            ..ini::ParseOption::default()
        };
        let ini = match ini::Ini::load_from_str_opt(&text, options) {
            Ok(ini) => ini,
            // The parser's message may quote the file; only say where.
            Err(e) => {
                return unavailable(format!(
                    "not a valid INI file (line {}, column {})",
                    e.line, e.col
                ));
            }
        };
        let Some(section) = ini
            .iter()
            .find(|(name, _)| name.is_some_and(|n| n.trim() == "basic"))
            .map(|(_, props)| props)
        else {
            return unavailable("no [basic] section".into());
        };
        let get = |key: &str| {
            section
                .iter()
                .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        ProfileRead::Loaded(Profile {
            path: path.to_path_buf(),
            ak: get("ak"),
            sk: get("sk").map(Secret::new),
            security_token: get("security_token").map(Secret::new),
            project_id: get("project_id"),
            iam_endpoint: get("iam_endpoint"),
        })
    }

    fn credentials(&self) -> Result<Credentials, String> {
        match (&self.ak, &self.sk) {
            (Some(ak), Some(sk)) => {
                let c = Credentials::new(ak.clone(), sk.expose());
                Ok(match &self.security_token {
                    Some(t) => c.with_security_token(t.expose()),
                    None => c,
                })
            }
            (Some(_), None) => Err("[basic] has no sk".into()),
            (None, Some(_)) => Err("[basic] has no ak".into()),
            (None, None) => Err("[basic] has no ak and no sk".into()),
        }
    }
}

/// ECS metadata: temporary keys, cached until 40 minutes before they expire.
struct Metadata {
    endpoint: Url,
    client: Result<reqwest::Client, String>,
    cache: tokio::sync::Mutex<Option<(Credentials, SystemTime)>>,
}

#[derive(Deserialize)]
struct SecurityKeyBody {
    credential: Option<SecurityKey>,
}

#[derive(Deserialize)]
struct SecurityKey {
    access: Option<String>,
    secret: Option<String>,
    securitytoken: Option<String>,
    expires_at: Option<String>,
}

impl Metadata {
    fn new(endpoint: Url, timeout: Duration) -> Self {
        // Never through a proxy: the endpoint is link-local.
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"));
        Metadata {
            endpoint,
            client,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint.as_str().trim_end_matches('/'))
    }

    async fn credentials(&self, clock: &WallClock) -> Result<Credentials, String> {
        let mut cache = self.cache.lock().await;
        if let Some((c, expires)) = &*cache
            && expires
                .duration_since(clock())
                .is_ok_and(|left| left >= METADATA_REFRESH_BEFORE)
        {
            return Ok(c.clone());
        }
        let (c, expires) = self.fetch().await?;
        tracing::debug!(
            endpoint = %self.endpoint,
            expires_at = %httpdate::fmt_http_date(expires),
            "fetched temporary credentials from ECS metadata"
        );
        *cache = Some((c.clone(), expires));
        Ok(c)
    }

    async fn fetch(&self) -> Result<(Credentials, SystemTime), String> {
        let client = self.client.as_ref().map_err(Clone::clone)?;
        // 1. A session token (as the SDK: 404/405/503 mean "no token API", go on without).
        let response = client
            .put(self.url(METADATA_TOKEN_PATH))
            .header("X-Metadata-Token-Ttl-Seconds", METADATA_TOKEN_TTL_SECONDS)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "PUT {METADATA_TOKEN_PATH} failed: {}",
                    crate::error::chain_message(&e)
                )
            })?;
        let status = response.status().as_u16();
        let token = match status {
            200..=299 => Some(
                response
                    .text()
                    .await
                    .map_err(|e| format!("PUT {METADATA_TOKEN_PATH}: body unreadable: {e}"))?
                    .trim()
                    .to_string(),
            ),
            404 | 405 | 503 => None,
            _ => return Err(format!("PUT {METADATA_TOKEN_PATH} answered HTTP {status}")),
        };

        // 2. The keys.
        let mut request = client.get(self.url(METADATA_SECURITY_KEY_PATH));
        if let Some(token) = &token {
            request = request.header("X-Metadata-Token", token);
        }
        let response = request.send().await.map_err(|e| {
            format!(
                "GET {METADATA_SECURITY_KEY_PATH} failed: {}",
                crate::error::chain_message(&e)
            )
        })?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(format!(
                "GET {METADATA_SECURITY_KEY_PATH} answered HTTP {status} (is an agency attached to this ECS?)"
            ));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("GET {METADATA_SECURITY_KEY_PATH}: body unreadable: {e}"))?;
        // The body holds the secret: never quote it in an error.
        let parsed: SecurityKeyBody = serde_json::from_slice(&body).map_err(|_| {
            format!("GET {METADATA_SECURITY_KEY_PATH}: the answer is not the expected JSON")
        })?;
        let key = parsed.credential.ok_or_else(|| {
            format!("GET {METADATA_SECURITY_KEY_PATH}: the answer has no `credential`")
        })?;
        let missing = |field: &str| {
            format!("GET {METADATA_SECURITY_KEY_PATH}: `credential.{field}` is missing")
        };
        let access = key
            .access
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("access"))?;
        let secret = Secret::new(
            key.secret
                .filter(|s| !s.is_empty())
                .ok_or_else(|| missing("secret"))?,
        );
        let token = key.securitytoken.filter(|s| !s.is_empty()).map(Secret::new);
        let expires_text = key.expires_at.ok_or_else(|| missing("expires_at"))?;
        let expires = parse_rfc3339_utc(&expires_text).ok_or_else(|| {
            format!("GET {METADATA_SECURITY_KEY_PATH}: `credential.expires_at` `{expires_text}` is not a UTC timestamp")
        })?;
        let mut credentials = Credentials::new(access, secret.expose());
        if let Some(t) = &token {
            credentials = credentials.with_security_token(t.expose());
        }
        Ok((credentials, expires))
    }
}

/// Parses the `expires_at` of ECS metadata keys, an RFC 3339 timestamp
/// with an offset (`2024-01-01T00:00:00Z`, `2024-01-01T08:00:00.5+08:00`),
/// with `jiff`. A time without an offset is refused rather than guessed.
pub(crate) fn parse_rfc3339_utc(s: &str) -> Option<SystemTime> {
    let at: jiff::Timestamp = s.trim().parse().ok()?;
    SystemTime::try_from(at).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn rfc3339() {
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(
            parse_rfc3339_utc("2024-01-01T00:00:00Z"),
            Some(at(1_704_067_200))
        );
        assert_eq!(
            parse_rfc3339_utc("2024-01-01T00:00:00.500000Z"),
            Some(at(1_704_067_200) + Duration::from_millis(500))
        );
        assert_eq!(
            parse_rfc3339_utc("2024-01-01T08:00:00+08:00"),
            Some(at(1_704_067_200))
        );
        assert_eq!(
            parse_rfc3339_utc("2024-02-29T12:30:15Z"),
            Some(at(1_709_209_815))
        );
        // RFC 3339 allows a lower-case `t`/`z` and a space for the `T`.
        for same in ["2024-01-01t00:00:00z", " 2024-01-01 00:00:00Z "] {
            assert_eq!(parse_rfc3339_utc(same), Some(at(1_704_067_200)), "{same}");
        }
        for bad in [
            "",
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-13-01T00:00:00Z",
            "2024-01-01T00:00:00.Z",
            "x024-01-01T00:00:00Z",
            "2024-01-01T00:00:00Q",
            "2024-02-30T00:00:00Z",
            "2024-01-01T24:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn environment_treats_empty_as_unset() {
        let env = Environment::from_map([("A", ""), ("B", "x"), ("C", "  ")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B").as_deref(), Some("x"));
        assert_eq!(env.get("C"), None);
        assert_eq!(env.get("D"), None);
        assert_eq!(format!("{env:?}"), "Environment { .. }");
    }
}
