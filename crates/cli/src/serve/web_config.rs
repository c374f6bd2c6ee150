//! `--web-config FILE`: the web configuration file of the Prometheus
//! exporter-toolkit (`tls_server_config` and `basic_auth_users`), so that
//! serve is secured the way node_exporter is.
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt        # relative paths are from the file's directory
//!   key_file: server.key
//!   client_auth_type: RequireAndVerifyClientCert   # optional, with client_ca_file
//!   client_ca_file: clients.crt
//!   min_version: TLS12           # optional: TLS12 (default) or TLS13
//! basic_auth_users:
//!   prometheus: $2y$10$...       # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```
//!
//! An unknown key is an error rather than a setting silently ignored.
//! Passwords are checked with bcrypt, whose comparison is constant time; an
//! unknown user costs a bcrypt check too, so timing does not tell which
//! users exist. A right password is remembered (as a SHA-256 digest of
//! user, hash and password) so that scrapes do not pay bcrypt every time.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    tls_server_config: Option<TlsFile>,
    #[serde(default)]
    basic_auth_users: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    client_auth_type: Option<String>,
    client_ca_file: Option<PathBuf>,
    min_version: Option<String>,
    max_version: Option<String>,
}

/// A loaded web configuration.
pub struct WebConfig {
    /// TLS, when `tls_server_config` is given.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Basic-auth users (empty: no authentication).
    pub users: Arc<Users>,
}

impl fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebConfig")
            .field("tls", &self.tls.is_some())
            .field("users", &self.users)
            .finish()
    }
}

impl WebConfig {
    /// Reads and checks `path`: certificates and key load, hashes are
    /// bcrypt hashes. The error names the file and what is wrong.
    pub fn load(path: &Path) -> Result<WebConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        WebConfig::parse(&text, dir).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the YAML text; relative file names are taken from `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<WebConfig, String> {
        let file: ConfigFile = if text.trim().is_empty() {
            ConfigFile {
                tls_server_config: None,
                basic_auth_users: None,
            }
        } else {
            serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?
        };
        let tls = file
            .tls_server_config
            .map(|t| tls_config(&t, dir).map(Arc::new))
            .transpose()?;
        let users = Users::new(file.basic_auth_users.unwrap_or_default())?;
        Ok(WebConfig {
            tls,
            users: Arc::new(users),
        })
    }

    /// Whether TLS or basic auth protects the listener.
    pub fn is_protected(&self) -> bool {
        self.tls.is_some() || !self.users.is_empty()
    }
}

fn tls_config(tls: &TlsFile, dir: &Path) -> Result<rustls::ServerConfig, String> {
    let cert_file = dir.join(
        tls.cert_file
            .as_ref()
            .ok_or("tls_server_config: cert_file is missing")?,
    );
    let key_file = dir.join(
        tls.key_file
            .as_ref()
            .ok_or("tls_server_config: key_file is missing")?,
    );
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_file)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("cert_file {}: {e}", cert_file.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "cert_file {}: no PEM certificate in it",
            cert_file.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&key_file)
        .map_err(|e| format!("key_file {}: {e}", key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let version = |name: &Option<String>, default: u8| match name.as_deref() {
        None => Ok(default),
        Some("TLS12") => Ok(12),
        Some("TLS13") => Ok(13),
        Some(other) => Err(format!(
            "TLS version `{other}` is not supported (TLS12 or TLS13)"
        )),
    };
    let (min, max) = (
        version(&tls.min_version, 12)?,
        version(&tls.max_version, 13)?,
    );
    let versions: Vec<&'static rustls::SupportedProtocolVersion> =
        [(12, &rustls::version::TLS12), (13, &rustls::version::TLS13)]
            .into_iter()
            .filter(|(v, _)| (min..=max).contains(v))
            .map(|(_, v)| v)
            .collect();
    if versions.is_empty() {
        return Err("min_version is above max_version".to_owned());
    }
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?;
    let client_roots = || -> Result<Arc<rustls::RootCertStore>, String> {
        let path = dir.join(tls.client_ca_file.as_ref().ok_or(
            "tls_server_config: client_auth_type that verifies certificates needs client_ca_file",
        )?);
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&path)
            .map_err(|e| format!("client_ca_file {}: {e}", path.display()))?
        {
            let cert = cert.map_err(|e| format!("client_ca_file {}: {e}", path.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("client_ca_file {}: {e}", path.display()))?;
        }
        Ok(Arc::new(roots))
    };
    let verifier = |optional: bool| -> Result<_, String> {
        let builder = rustls::server::WebPkiClientVerifier::builder_with_provider(
            client_roots()?,
            provider.clone(),
        );
        let builder = if optional {
            builder.allow_unauthenticated()
        } else {
            builder
        };
        builder.build().map_err(|e| e.to_string())
    };
    let builder = match tls.client_auth_type.as_deref() {
        None | Some("NoClientCert") => builder.with_no_client_auth(),
        Some("RequireAndVerifyClientCert") => builder.with_client_cert_verifier(verifier(false)?),
        Some("VerifyClientCertIfGiven") => builder.with_client_cert_verifier(verifier(true)?),
        Some(other) => {
            return Err(format!(
                "client_auth_type `{other}` is not supported (NoClientCert, \
                 VerifyClientCertIfGiven or RequireAndVerifyClientCert)"
            ));
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("cert_file and key_file do not make a usable pair: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The basic-auth users: name -> bcrypt hash.
pub struct Users {
    hashes: BTreeMap<String, String>,
    /// Checked against when the user is unknown, so that an unknown user
    /// takes as long as a known one.
    decoy: String,
    /// SHA-256 of (user, hash, password) for passwords found right.
    verified: Mutex<HashSet<[u8; 32]>>,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("names", &self.hashes.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// How many right passwords are remembered before the memory is cleared.
const MAX_REMEMBERED: usize = 256;

impl Users {
    /// No users: no authentication.
    pub fn none() -> Users {
        Users {
            hashes: BTreeMap::new(),
            decoy: String::new(),
            verified: Mutex::new(HashSet::new()),
        }
    }

    fn new(hashes: BTreeMap<String, String>) -> Result<Users, String> {
        let mut cost = None;
        for (user, hash) in &hashes {
            let parts: bcrypt::HashParts = hash
                .parse()
                .map_err(|e| format!("basic_auth_users: {user}: not a bcrypt hash ({e})"))?;
            cost = cost.max(Some(parts.get_cost()));
        }
        let decoy = match cost {
            Some(cost) => bcrypt::hash("rds-dr: no such user", cost)
                .map_err(|e| format!("basic_auth_users: {e}"))?,
            None => String::new(),
        };
        Ok(Users {
            hashes,
            decoy,
            verified: Mutex::new(HashSet::new()),
        })
    }

    /// Whether no user is configured (no authentication).
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether an `Authorization` header value holds a configured user and
    /// the right password. Slow (bcrypt) unless the same credentials were
    /// right before: call it off the async threads.
    pub fn check(&self, authorization: &[u8]) -> bool {
        let Some((user, password)) = basic_credentials(authorization) else {
            return false;
        };
        let (known, hash) = match self.hashes.get(&user) {
            Some(hash) => (true, hash.as_str()),
            None => (false, self.decoy.as_str()),
        };
        let digest: [u8; 32] = Sha256::new()
            .chain_update(user.as_bytes())
            .chain_update([0])
            .chain_update(hash.as_bytes())
            .chain_update([0])
            .chain_update(&password)
            .finalize()
            .into();
        let remembered = || self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if known && remembered().contains(&digest) {
            return true;
        }
        let right = bcrypt::verify(&password, hash).unwrap_or(false) && known;
        if right {
            let mut memory = remembered();
            if memory.len() >= MAX_REMEMBERED {
                memory.clear();
            }
            memory.insert(digest);
        }
        right
    }
}

/// `Basic base64(user:password)` -> (user, password bytes).
fn basic_credentials(header: &[u8]) -> Option<(String, Vec<u8>)> {
    let text = std::str::from_utf8(header).ok()?.trim();
    let (scheme, encoded) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let user = String::from_utf8(decoded[..colon].to_vec()).ok()?;
    Some((user, decoded[colon + 1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user: &str, password: &str) -> Vec<u8> {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        format!("Basic {encoded}").into_bytes()
    }

    fn users() -> WebConfig {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        WebConfig::parse(
            &format!("basic_auth_users:\n  prom: {hash}\n"),
            Path::new("."),
        )
        .expect("parses")
    }

    #[test]
    fn right_and_wrong_passwords() {
        let config = users();
        assert!(config.is_protected() && config.tls.is_none());
        let users = &config.users;
        assert!(users.check(&header("prom", "s3cret")));
        assert!(users.check(&header("prom", "s3cret")), "remembered");
        assert!(!users.check(&header("prom", "wrong")));
        assert!(!users.check(&header("prom", "")));
        assert!(!users.check(&header("nobody", "s3cret")));
        assert!(!users.check(b"Bearer abc"));
        assert!(!users.check(b"Basic !!!"));
        assert!(!users.check(b"Basic"));
        assert!(!format!("{config:?}").contains("$2"), "no hash in Debug");
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let err = |text: &str| {
            WebConfig::parse(text, Path::new("/nonexistent"))
                .expect_err("refused")
                .to_string()
        };
        assert!(err("basic_auth_users:\n  a: plain\n").contains("not a bcrypt hash"));
        assert!(err("tls_server_config:\n  key_file: k\n").contains("cert_file is missing"));
        assert!(
            err("tls_server_config:\n  cert_file: c\n  key_file: k\n").contains("/nonexistent/c")
        );
        assert!(err("http_server_config:\n  http2: false\n").contains("unknown field"));
        assert!(err("tls_server_config: [\n").contains("line"));
        let empty = WebConfig::parse("", Path::new(".")).expect("empty file");
        assert!(!empty.is_protected());
    }
}
