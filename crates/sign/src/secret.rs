//! Secret values and credentials with redacted `Debug`.

use std::fmt;

/// A secret string (secret key, security token).
///
/// `Debug` and `Display` print `***`, never the value; the only way to read it
/// is [`Secret::expose`]. The bytes are overwritten with zeros when the value
/// is dropped (best effort: copies made before it was wrapped, e.g. by the
/// caller or by a `String` reallocation, are out of reach).
///
/// ```
/// use rds_dr_sign::Secret;
/// let s = Secret::new("hunter2");
/// assert_eq!(format!("{s:?} {s}"), "*** ***");
/// assert_eq!(s.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret value. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        // Whole capacity, not just the length: a shrink could have left bytes
        // behind, but `Vec` only lets us touch initialised elements safely,
        // so zero the initialised part and keep the write observable.
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&mut bytes);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An access key, its secret key and, for temporary credentials, a security token.
///
/// `Debug` shows the access key only; the secret key and the token print as `***`.
///
/// ```
/// use rds_dr_sign::Credentials;
/// let c = Credentials::new("AK", "SK-VALUE").with_security_token("TOKEN-VALUE");
/// let dbg = format!("{c:?}");
/// assert!(dbg.contains("AK") && !dbg.contains("SK-VALUE") && !dbg.contains("TOKEN-VALUE"));
/// assert_eq!(c.secret_key().expose(), "SK-VALUE");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    ak: String,
    sk: Secret,
    security_token: Option<Secret>,
}

impl Credentials {
    /// Permanent credentials: an access key and a secret key.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            ak: access_key.into(),
            sk: Secret::new(secret_key),
            security_token: None,
        }
    }

    /// Adds a security token (temporary credentials); it is sent, and signed,
    /// as `X-Security-Token`.
    pub fn with_security_token(self, token: impl Into<String>) -> Self {
        Credentials {
            security_token: Some(Secret::new(token)),
            ..self
        }
    }

    /// The access key (not secret).
    pub fn access_key(&self) -> &str {
        &self.ak
    }

    /// The secret key.
    pub fn secret_key(&self) -> &Secret {
        &self.sk
    }

    /// The security token, for temporary credentials.
    pub fn security_token(&self) -> Option<&Secret> {
        self.security_token.as_ref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("ak", &self.ak)
            .field("sk", &self.sk)
            .field("security_token", &self.security_token)
            .finish()
    }
}
