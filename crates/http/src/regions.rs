//! Where each region's RDS and IAM endpoints are.
//!
//! The RDS table is the official one of the Python SDK
//! (`huaweicloudsdkrds/v3/region/rds_region.py`, 3.1.219: 34 regions). A region
//! that is not in it is not rejected: its endpoint is built from the pattern
//! `https://rds.{region}.myhuaweicloud.com`, and [`rds_endpoint`] says so with a
//! `tracing` warning, because new regions open before SDK tables learn them.
//!
//! IAM (project-id discovery) follows the SDK too: the regional endpoint
//! `https://iam.{region}.myhuaweicloud.com` for the regions in the SDK's IAM
//! table (`huaweicloudsdkcore/auth/endpoint.py`) plus `eu-west-101`
//! (`https://iam.eu-west-101.myhuaweicloud.eu`), and the global
//! [`GLOBAL_IAM_ENDPOINT`] for every other region.
//!
//! ```
//! use rds_dr_http::regions::{iam_endpoint, rds_endpoint};
//!
//! let eu = rds_endpoint("eu-west-101")?;
//! assert_eq!(eu.url.as_str(), "https://rds.eu-west-101.myhuaweicloud.eu/");
//! assert!(eu.known);
//!
//! let future = rds_endpoint("xx-north-99")?; // not in the table: built, flagged
//! assert_eq!(future.url.as_str(), "https://rds.xx-north-99.myhuaweicloud.com/");
//! assert!(!future.known);
//!
//! assert_eq!(iam_endpoint("cn-north-4")?.url.as_str(), "https://iam.cn-north-4.myhuaweicloud.com/");
//! assert_eq!(iam_endpoint("cn-south-4")?.url.as_str(), "https://iam.myhuaweicloud.com/");
//! assert!(rds_endpoint("CN_NORTH_4").is_err());
//! # Ok::<(), rds_dr_api::ApiError>(())
//! ```

use rds_dr_api::{ApiError, ErrorKind};
use url::Url;

/// The regions of the official RDS region table, with their endpoints.
pub const RDS_REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "https://rds.af-south-1.myhuaweicloud.com"),
    ("cn-north-4", "https://rds.cn-north-4.myhuaweicloud.com"),
    ("cn-north-1", "https://rds.cn-north-1.myhuaweicloud.com"),
    ("cn-east-2", "https://rds.cn-east-2.myhuaweicloud.com"),
    ("cn-east-3", "https://rds.cn-east-3.myhuaweicloud.com"),
    ("cn-east-5", "https://rds.cn-east-5.myhuaweicloud.com"),
    ("cn-east-4", "https://rds.cn-east-4.myhuaweicloud.com"),
    ("cn-south-1", "https://rds.cn-south-1.myhuaweicloud.com"),
    (
        "cn-southwest-2",
        "https://rds.cn-southwest-2.myhuaweicloud.com",
    ),
    (
        "ap-southeast-2",
        "https://rds.ap-southeast-2.myhuaweicloud.com",
    ),
    (
        "ap-southeast-1",
        "https://rds.ap-southeast-1.myhuaweicloud.com",
    ),
    (
        "ap-southeast-3",
        "https://rds.ap-southeast-3.myhuaweicloud.com",
    ),
    (
        "ru-northwest-2",
        "https://rds.ru-northwest-2.myhuaweicloud.com",
    ),
    ("sa-brazil-1", "https://rds.sa-brazil-1.myhuaweicloud.com"),
    ("la-north-2", "https://rds.la-north-2.myhuaweicloud.com"),
    ("cn-south-2", "https://rds.cn-south-2.myhuaweicloud.com"),
    ("na-mexico-1", "https://rds.na-mexico-1.myhuaweicloud.com"),
    ("la-south-2", "https://rds.la-south-2.myhuaweicloud.com"),
    ("cn-north-9", "https://rds.cn-north-9.myhuaweicloud.com"),
    ("cn-north-2", "https://rds.cn-north-2.myhuaweicloud.com"),
    ("tr-west-1", "https://rds.tr-west-1.myhuaweicloud.com"),
    (
        "ap-southeast-4",
        "https://rds.ap-southeast-4.myhuaweicloud.com",
    ),
    (
        "ap-southeast-5",
        "https://rds.ap-southeast-5.myhuaweicloud.com",
    ),
    ("ae-ad-1", "https://rds.ae-ad-1.myhuaweicloud.com"),
    ("eu-west-101", "https://rds.eu-west-101.myhuaweicloud.eu"),
    ("eu-west-0", "https://rds.eu-west-0.myhuaweicloud.com"),
    (
        "my-kualalumpur-1",
        "https://rds.my-kualalumpur-1.myhuaweicloud.com",
    ),
    ("ru-moscow-1", "https://rds.ru-moscow-1.myhuaweicloud.com"),
    ("me-east-1", "https://rds.me-east-1.myhuaweicloud.com"),
    ("af-north-1", "https://rds.af-north-1.myhuaweicloud.com"),
    ("cn-north-12", "https://rds.cn-north-12.myhuaweicloud.com"),
    ("cn-south-4", "https://rds.cn-south-4.myhuaweicloud.com"),
    (
        "cn-southwest-3",
        "https://rds.cn-southwest-3.myhuaweicloud.com",
    ),
    ("cn-north-11", "https://rds.cn-north-11.myhuaweicloud.com"),
];

/// The regions with a regional IAM endpoint in the official SDK's table
/// (`https://iam.{region}.myhuaweicloud.com`); `eu-west-101` is handled apart.
const IAM_REGIONS: &[&str] = &[
    "cn-north-2",
    "cn-north-4",
    "cn-north-1",
    "cn-east-2",
    "cn-east-3",
    "cn-south-1",
    "cn-south-2",
    "cn-southwest-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "af-south-1",
    "sa-brazil-1",
    "la-south-2",
    "na-mexico-1",
    "la-north-2",
    "cn-north-9",
    "eu-west-0",
    "my-kualalumpur-1",
    "ru-moscow-1",
    "me-east-1",
    "ap-southeast-4",
    "ae-ad-1",
    "cn-east-4",
    "cn-east-5",
    "tr-west-1",
    "cn-north-12",
];

/// The global IAM endpoint: used for discovery in regions without a regional one.
pub const GLOBAL_IAM_ENDPOINT: &str = "https://iam.myhuaweicloud.com";

/// An endpoint for a region, and whether it came from the official table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL (scheme, host, optional port; path `/`).
    pub url: Url,
    /// `true` if the region is in the official table; `false` if the URL was
    /// built from the pattern (or is the global fallback) for a region the
    /// table does not know.
    pub known: bool,
}

fn parse(url: &str) -> Result<Url, ApiError> {
    Url::parse(url).map_err(|e| {
        ApiError::new(
            ErrorKind::Configuration,
            format!("invalid endpoint URL `{url}`: {e}"),
        )
    })
}

fn check_region(region: &str) -> Result<(), ApiError> {
    rds_dr_model::validate_region(region).map_err(|reason| {
        ApiError::new(
            ErrorKind::Configuration,
            format!("invalid region: {reason}"),
        )
    })
}

/// Whether `region` is in the official RDS region table.
pub fn is_known_region(region: &str) -> bool {
    RDS_REGIONS.iter().any(|(r, _)| *r == region)
}

/// The RDS endpoint of `region`, without logging anything.
pub(crate) fn rds_endpoint_quiet(region: &str) -> Result<Endpoint, ApiError> {
    check_region(region)?;
    match RDS_REGIONS.iter().find(|(r, _)| *r == region) {
        Some((_, url)) => Ok(Endpoint {
            url: parse(url)?,
            known: true,
        }),
        None => Ok(Endpoint {
            url: parse(&format!("https://rds.{region}.myhuaweicloud.com"))?,
            known: false,
        }),
    }
}

/// The RDS endpoint of `region`.
///
/// A region id that is not valid (see [`rds_dr_model::validate_region`]) is a
/// [`ErrorKind::Configuration`] error. A valid region missing from the
/// official table gets `https://rds.{region}.myhuaweicloud.com`, `known:
/// false`, and a `tracing` warning.
pub fn rds_endpoint(region: &str) -> Result<Endpoint, ApiError> {
    let endpoint = rds_endpoint_quiet(region)?;
    if !endpoint.known {
        warn_unknown(region, &endpoint.url);
    }
    Ok(endpoint)
}

pub(crate) fn warn_unknown(region: &str, url: &Url) {
    tracing::warn!(
        region,
        endpoint = %url,
        "region `{region}` is not in the official RDS region table; using {url} (built from the pattern)"
    );
}

/// The IAM endpoint for project-id discovery in `region`: regional for the
/// regions in the official IAM table and `eu-west-101` (`known: true`), the
/// global [`GLOBAL_IAM_ENDPOINT`] otherwise (`known: false`).
pub fn iam_endpoint(region: &str) -> Result<Endpoint, ApiError> {
    check_region(region)?;
    if region == "eu-west-101" {
        return Ok(Endpoint {
            url: parse("https://iam.eu-west-101.myhuaweicloud.eu")?,
            known: true,
        });
    }
    if IAM_REGIONS.contains(&region) {
        return Ok(Endpoint {
            url: parse(&format!("https://iam.{region}.myhuaweicloud.com"))?,
            known: true,
        });
    }
    Ok(Endpoint {
        url: parse(GLOBAL_IAM_ENDPOINT)?,
        known: false,
    })
}

/// Whether `url`'s host is a loopback host: `localhost`, `127.0.0.0/8` or `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks that an endpoint URL may be used: `https://`, or `http://` to a
/// loopback host, or `http://` anywhere when `insecure`. `what` names the
/// endpoint in the error (e.g. "RDS endpoint").
pub fn check_endpoint_url(url: &Url, insecure: bool, what: &str) -> Result<(), ApiError> {
    if url.host().is_none() {
        return Err(ApiError::new(
            ErrorKind::Configuration,
            format!("{what} `{url}` has no host"),
        ));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if insecure || is_loopback(url) => Ok(()),
        "http" => Err(ApiError::new(
            ErrorKind::Configuration,
            format!(
                "{what} `{url}` uses plain http:// to a non-loopback host; use https:// \
                 (http:// is allowed only for 127.0.0.0/8, ::1 and localhost, unless insecure mode is on)"
            ),
        )),
        other => Err(ApiError::new(
            ErrorKind::Configuration,
            format!(
                "{what} `{url}` has scheme `{other}`; expected https:// (or http:// for loopback)"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_official_region_once() {
        assert_eq!(RDS_REGIONS.len(), 34);
        let mut names: Vec<_> = RDS_REGIONS.iter().map(|(r, _)| *r).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 34);
        for (region, url) in RDS_REGIONS {
            assert!(rds_dr_model::validate_region(region).is_ok(), "{region}");
            let expected = if *region == "eu-west-101" {
                format!("https://rds.{region}.myhuaweicloud.eu")
            } else {
                format!("https://rds.{region}.myhuaweicloud.com")
            };
            assert_eq!(*url, expected);
            let endpoint = rds_endpoint(region).unwrap();
            assert!(endpoint.known);
            assert_eq!(endpoint.url.as_str(), format!("{expected}/"));
        }
        for region in IAM_REGIONS {
            assert!(is_known_region(region), "{region}");
        }
    }

    #[test]
    fn unknown_and_invalid_regions() {
        let e = rds_endpoint("zz-east-7").unwrap();
        assert!(!e.known);
        assert_eq!(e.url.host_str(), Some("rds.zz-east-7.myhuaweicloud.com"));
        for bad in [
            "",
            "CN-NORTH-4",
            "cn_north_4",
            "cn-north-4.evil.com",
            "cn-north-4/x",
            "4cn",
        ] {
            let err = rds_endpoint(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Configuration, "{bad}");
            assert!(iam_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn iam_endpoints() {
        assert_eq!(
            iam_endpoint("eu-west-101").unwrap().url.as_str(),
            "https://iam.eu-west-101.myhuaweicloud.eu/"
        );
        assert_eq!(
            iam_endpoint("ap-southeast-1").unwrap().url.as_str(),
            "https://iam.ap-southeast-1.myhuaweicloud.com/"
        );
        let fallback = iam_endpoint("zz-east-7").unwrap();
        assert!(!fallback.known);
        assert_eq!(fallback.url.as_str(), "https://iam.myhuaweicloud.com/");
    }

    #[test]
    fn loopback_and_scheme_rules() {
        let ok = |s: &str, insecure: bool| {
            check_endpoint_url(&Url::parse(s).unwrap(), insecure, "endpoint")
        };
        assert!(ok("https://rds.cn-north-4.myhuaweicloud.com", false).is_ok());
        assert!(ok("http://127.0.0.1:8080", false).is_ok());
        assert!(ok("http://127.1.2.3", false).is_ok());
        assert!(ok("http://[::1]:9000/", false).is_ok());
        assert!(ok("http://localhost:9000/", false).is_ok());
        assert!(ok("http://LOCALHOST:9000/", false).is_ok());
        let err = ok("http://10.0.0.1:8080", false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Configuration);
        assert!(err.message().contains("http://"), "{err}");
        assert!(ok("http://rds.example.com", false).is_err());
        assert!(ok("http://localhost.example.com", false).is_err());
        assert!(ok("http://10.0.0.1:8080", true).is_ok());
        assert!(ok("ftp://127.0.0.1", true).is_err());
    }
}
