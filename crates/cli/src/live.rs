//! Querying the service: the HTTP client built from the global options,
//! target resolution, and concurrent fetching with retries.
//!
//! Every call goes through `Retrying<KeepRaw>`: [`KeepRaw`] calls
//! `HttpClient::list_dr_relations_raw`, decodes the body, and keeps the
//! bytes of each target's successful answer, so `fetch` can save the body
//! exactly as received and `relations --output json` can print it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use rds_dr_api::fleet::{FleetConfig, FleetReport, TargetFailure, scan};
use rds_dr_api::retry::{Clock, RetryDecision, RetryPolicy, Retrying, StdRandom};
use rds_dr_api::{
    ApiError, BoxFuture, DrRelationsApi, ErrorKind, ListDrRelationsResponse, RequestOptions, Target,
};
use rds_dr_http::{HttpClient, TokioClock};

use crate::cli::{GlobalArgs, TargetArgs};
use crate::error::{CliError, describe_api_error};
use crate::progress::Bar;

/// The HTTP client, retry policy and options of one command run.
pub struct Live {
    client: HttpClient,
    policy: RetryPolicy,
    options: RequestOptions,
    concurrency: usize,
    global: GlobalArgs,
}

impl Live {
    /// A client from the global options: `--endpoint`, `--iam-endpoint`,
    /// `--insecure`, `--timeout`, `--retries`, `--language`, `--concurrency`;
    /// credentials from the default chain (environment, profile file).
    pub fn new(global: &GlobalArgs) -> Result<Live, CliError> {
        Live::with_builder(global, HttpClient::builder())
    }

    /// Like [`Live::new`], starting from `builder` (e.g. with explicit
    /// credentials, for the demo).
    pub fn with_builder(
        global: &GlobalArgs,
        mut builder: rds_dr_http::HttpClientBuilder,
    ) -> Result<Live, CliError> {
        if let Some(url) = &global.endpoint {
            builder = builder.endpoint(url.clone());
        }
        if let Some(url) = &global.iam_endpoint {
            builder = builder.iam_endpoint(url.clone());
        }
        if let Some(timeout) = global.timeout {
            builder = builder.connect_timeout(timeout).read_timeout(timeout);
        }
        builder = builder.insecure(global.insecure);
        // A proxy cannot reach this machine's loopback: calls to a fake
        // server on 127.0.0.1 go direct whatever HTTPS_PROXY says.
        let loopback =
            |url: &Option<url::Url>| url.as_ref().is_some_and(rds_dr_http::regions::is_loopback);
        if loopback(&global.endpoint)
            && (global.iam_endpoint.is_none() || loopback(&global.iam_endpoint))
        {
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|e| {
            let context = if e.message().contains("plain http://") {
                "cannot set up the HTTP client (--insecure allows plain http:// to other hosts)"
            } else {
                "cannot set up the HTTP client"
            };
            CliError::api(context, e)
        })?;
        let policy = RetryPolicy::builder()
            .max_retries(global.retries)
            .build()
            .map_err(|e| CliError::Usage(format!("--retries: {e}")))?;
        Ok(Live {
            client,
            policy,
            options: RequestOptions {
                language: global.language.map(Into::into),
            },
            concurrency: usize::from(global.concurrency),
            global: global.clone(),
        })
    }

    /// Resolves credentials once, before any call: a missing key is an
    /// error (exit 2) rather than one failure per target.
    pub async fn check_credentials(&self) -> Result<(), CliError> {
        self.client
            .credentials()
            .resolve()
            .await
            .map(|_| ())
            .map_err(|e| CliError::api("no usable credentials", e))
    }

    /// The project id of `region`: `HUAWEICLOUD_SDK_PROJECT_ID`, the profile
    /// file, or IAM discovery (retried like every call).
    pub async fn project_id(&self, region: &str) -> Result<String, CliError> {
        self.with_retries(|| self.client.project_id(region))
            .await
            .map_err(|e| CliError::api(format!("cannot find the project id of region {region}"), e))
    }

    /// Runs `call` until it succeeds or the retry policy gives up (the same
    /// policy as `Retrying`, for calls outside the `DrRelationsApi` trait).
    async fn with_retries<T, F, Fut>(&self, mut call: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let clock = TokioClock;
        let random = StdRandom::new();
        let start = clock.now();
        let mut attempt = 1;
        loop {
            let error = match call().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let elapsed = clock.now().saturating_duration_since(start);
            match self.policy.decide(&error, attempt, elapsed, &random) {
                RetryDecision::Retry { delay, class } => {
                    tracing::debug!(kind = %error.kind(), %class, status = error.status(), code = error.code(),
                        request_id = error.request_id(), attempt, delay_ms = delay.as_millis() as u64, "retrying");
                    clock.sleep(delay).await;
                    attempt += 1;
                }
                RetryDecision::GiveUp(_) => return Err(error),
            }
        }
    }

    /// Every target of `--target`, `--targets-file` and `--region`, in that
    /// order (duplicates are fetched once by the scan).
    pub async fn targets(&self, args: &TargetArgs) -> Result<Vec<Target>, CliError> {
        let mut targets = args.targets.clone();
        for path in &args.targets_files {
            targets.extend(crate::targets::read_targets_file(path)?);
        }
        let distinct: std::collections::BTreeSet<&str> =
            args.regions.iter().map(String::as_str).collect();
        if distinct.len() > 1 && self.client.credentials().project_id().is_some() {
            return Err(CliError::Usage(
                "HUAWEICLOUD_SDK_PROJECT_ID (or the profile's project_id) names one project, and a \
                 project belongs to one region: with several --region, unset it (to discover each \
                 region's project) or use --target REGION/PROJECT_ID"
                    .into(),
            ));
        }
        for region in &args.regions {
            let project_id = self.project_id(region).await?;
            targets.push(Target::new(region.clone(), project_id));
        }
        Ok(targets)
    }

    /// Fetches every target concurrently with retries and a progress bar;
    /// with `keep_bodies`, also returns the body of each successful answer
    /// as received (else the map is empty).
    pub async fn scan(
        &self,
        targets: Vec<Target>,
        keep_bodies: bool,
    ) -> (FleetReport, HashMap<Target, Vec<u8>>) {
        let keep = KeepRaw::new(&self.client, keep_bodies);
        let api = Retrying::new(&keep, self.policy.clone(), TokioClock);
        let bar = Bar::new(targets.len(), &self.global);
        let config = FleetConfig::new()
            .concurrency(self.concurrency)
            .fetched_at(|| crate::time::rfc3339(std::time::SystemTime::now()));
        let report = scan(&api, targets, self.options.clone(), config, |p| {
            bar.update(&p)
        })
        .await;
        bar.finish();
        (report, keep.into_bodies())
    }

    /// The whole live part of a command, from the command line to the
    /// report: builds the client, checks the credentials once, resolves the
    /// targets (discovering project ids) and scans them, on a runtime of
    /// its own. `keep_bodies` as for [`Live::scan`].
    pub fn fetch_all(
        global: &GlobalArgs,
        args: &TargetArgs,
        keep_bodies: bool,
    ) -> Result<(FleetReport, HashMap<Target, Vec<u8>>), CliError> {
        let live = Live::new(global)?;
        crate::runtime::build()?.block_on(async {
            live.check_credentials().await?;
            let targets = live.targets(args).await?;
            Ok(live.scan(targets, keep_bodies).await)
        })
    }

    /// One target, with retries; the answer decoded and as received.
    pub async fn fetch_one(
        &self,
        target: &Target,
    ) -> Result<(ListDrRelationsResponse, Vec<u8>), ApiError> {
        let keep = KeepRaw::new(&self.client, true);
        let api = Retrying::new(&keep, self.policy.clone(), TokioClock);
        let response = api.list_dr_relations(target, &self.options).await?;
        let body = keep.into_bodies().remove(target).unwrap_or_default();
        Ok((response, body))
    }
}

/// Whether a failure means the whole run is wrong rather than one target:
/// the service rejected who we are (HTTP 401: bad AK/SK, signature, date or
/// token), or credentials or configuration are unusable. Those end the
/// command with exit status 2; other failures are per target.
pub fn is_fatal(error: &ApiError) -> bool {
    error.status() == Some(401)
        || matches!(
            error.kind(),
            ErrorKind::Credentials | ErrorKind::Configuration
        )
}

/// Prints each failure on stderr: the target, then the error with its HTTP
/// status, error code, message and request id.
pub fn report_failures(failures: &[TargetFailure]) {
    for failure in failures {
        eprintln!(
            "error: {}: {}",
            failure.target,
            describe_api_error(&failure.error)
        );
    }
}

/// A [`DrRelationsApi`] over [`HttpClient::list_dr_relations_raw`] that keeps
/// the bytes of each successful answer (when asked to).
pub struct KeepRaw<'a> {
    client: &'a HttpClient,
    keep: bool,
    bodies: Mutex<HashMap<Target, Vec<u8>>>,
}

impl<'a> KeepRaw<'a> {
    /// Wraps `client`; `keep` says whether to keep the bodies.
    pub fn new(client: &'a HttpClient, keep: bool) -> Self {
        KeepRaw {
            client,
            keep,
            bodies: Mutex::new(HashMap::new()),
        }
    }

    /// The kept bodies, by target.
    pub fn into_bodies(self) -> HashMap<Target, Vec<u8>> {
        self.bodies.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl DrRelationsApi for KeepRaw<'_> {
    fn list_dr_relations<'a>(
        &'a self,
        target: &'a Target,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrRelationsResponse, ApiError>> {
        Box::pin(async move {
            let raw = self.client.list_dr_relations_raw(target, options).await?;
            let response = raw.decode()?;
            if !self.keep {
                return Ok(response);
            }
            self.bodies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(target.clone(), raw.body);
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_errors() {
        assert!(is_fatal(
            &ApiError::from_status(401, "bad signature").with_code("APIGW.0301")
        ));
        assert!(is_fatal(&ApiError::new(ErrorKind::Credentials, "no AK")));
        assert!(!is_fatal(&ApiError::from_status(404, "no such project")));
        assert!(!is_fatal(&ApiError::from_status(403, "denied")));
        assert!(!is_fatal(&ApiError::new(ErrorKind::Connect, "refused")));
    }
}
