//! Querying the service: the HTTP client built from the global options,
//! target resolution, and concurrent fetching with retries.
//!
//! Every call goes through `Retrying<KeepRaw>`: [`KeepRaw`] calls
//! `HttpClient::list_dr_relations_raw` / `list_dr_infos_raw`, decodes the
//! body, and keeps the bytes of each successful answer (each ListDrInfos
//! page by its offset), so `fetch` can save the bodies exactly as received
//! and `relations`/`dr-infos --output json` can print them.
//!
//! Live targets are fetched with both operations unless `--no-health`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Mutex;

use rds_dr_api::fleet::{
    FleetConfig, FleetReport, Progress, TargetFailure, TargetResult, scan_each,
};
use rds_dr_api::retry::{Clock, RetryDecision, RetryPolicy, Retrying, StdRandom};
use rds_dr_api::{
    ApiError, BoxFuture, DrRelationsApi, ErrorKind, ListDrInfosResponse, ListDrRelationsResponse,
    QueryDrInfoRequest, RequestOptions, Target,
};
use rds_dr_http::{HttpClient, TokioClock};
use rds_dr_model::Operation;

use crate::cli::{GlobalArgs, TargetArgs};
use crate::error::{CliError, describe_api_error};
use crate::progress::Bar;

/// The HTTP client, retry policy and options of one command run.
pub struct Live {
    client: HttpClient,
    policy: RetryPolicy,
    options: RequestOptions,
    concurrency: usize,
    /// Whether live targets are also asked for ListDrInfos.
    health: bool,
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
                ..Default::default()
            },
            concurrency: usize::from(global.concurrency),
            health: !global.no_health,
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

    /// The target a single-target command (`relations`, `dr-infos`) asks:
    /// `region` with `project_id`, else the region's discovered project id,
    /// after checking that credentials resolve.
    pub async fn target(&self, region: &str, project_id: Option<&str>) -> Result<Target, CliError> {
        self.check_credentials().await?;
        let project_id = match project_id {
            Some(project_id) => project_id.to_owned(),
            None => self.project_id(region).await?,
        };
        Ok(Target::new(region.to_owned(), project_id))
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
        let mut report = FleetReport::default();
        let mut bodies = HashMap::new();
        self.scan_each(targets, keep_bodies, |result, raw| {
            if let Some(body) = raw.relations {
                bodies.insert(result.target.clone(), body);
            }
            report.record(result);
        })
        .await;
        report.sort();
        (report, bodies)
    }

    /// Fetches every target (both operations unless `--no-health`) and
    /// hands each one's result to `each` as it finishes, with the bodies as
    /// received when `keep_bodies` (taken out of memory as they are handed
    /// over).
    pub async fn scan_each(
        &self,
        targets: Vec<Target>,
        keep_bodies: bool,
        mut each: impl FnMut(TargetResult, RawBodies),
    ) {
        let keep = KeepRaw::new(&self.client, keep_bodies);
        let api = Retrying::new(&keep, self.policy.clone(), TokioClock);
        let bar = Bar::new(targets.len(), &self.global);
        let config = FleetConfig::new()
            .concurrency(self.concurrency)
            .health(self.health)
            .fetched_at(|| crate::time::rfc3339(std::time::SystemTime::now()));
        scan_each(
            &api,
            targets,
            self.options.clone(),
            config,
            |p: Progress<'_>, result| {
                bar.update(&p);
                let raw = keep.take(&result.target);
                each(result, raw);
            },
        )
        .await;
        bar.finish();
    }

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
        let body = keep.take(target).relations.unwrap_or_default();
        Ok((response, body))
    }

    /// Every page of `target`'s ListDrInfos list (with retries, pages side
    /// by side within `--concurrency`): the merged typed answer, and the
    /// merged body as received (see [`merge_pages`]).
    pub async fn fetch_infos(
        &self,
        target: &Target,
        query: &QueryDrInfoRequest,
    ) -> Result<(ListDrInfosResponse, Vec<u8>), ApiError> {
        let keep = KeepRaw::new(&self.client, true);
        let api = Retrying::new(&keep, self.policy.clone(), TokioClock);
        let response = rds_dr_api::infos::list_all(&api, target, query, &self.options).await?;
        let pages = keep.take(target).infos;
        Ok((response, merge_pages(&pages)))
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
        let operation = match failure.operation {
            Operation::ListDrRelations => String::new(),
            other => format!(" {other}"),
        };
        eprintln!(
            "error: {}{operation}: {}",
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
    bodies: Mutex<HashMap<Target, RawBodies>>,
}

/// The bodies of one target's successful answers, as received.
#[derive(Debug, Default)]
pub struct RawBodies {
    /// The ListDrRelations body.
    pub relations: Option<Vec<u8>>,
    /// The ListDrInfos pages, by offset (a retried page's last answer).
    pub infos: BTreeMap<i64, Vec<u8>>,
}

impl<'a> KeepRaw<'a> {
    pub fn new(client: &'a HttpClient, keep: bool) -> Self {
        KeepRaw {
            client,
            keep,
            bodies: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `target`'s bodies out (empty when none were kept).
    pub fn take(&self, target: &Target) -> RawBodies {
        self.bodies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(target)
            .unwrap_or_default()
    }

    fn keep(&self, target: &Target, put: impl FnOnce(&mut RawBodies)) {
        if self.keep {
            put(self
                .bodies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(target.clone())
                .or_default());
        }
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
            self.keep(target, |bodies| bodies.relations = Some(raw.body));
            Ok(response)
        })
    }

    fn list_dr_infos<'a>(
        &'a self,
        target: &'a Target,
        query: &'a QueryDrInfoRequest,
        options: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<ListDrInfosResponse, ApiError>> {
        Box::pin(async move {
            let raw = self
                .client
                .list_dr_infos_raw(target, query, options)
                .await?;
            let response = raw.decode_infos()?;
            let offset = query.offset.unwrap_or(0);
            self.keep(target, |bodies| {
                bodies.infos.insert(offset, raw.body);
            });
            Ok(response)
        })
    }
}

/// The ListDrInfos pages of one list merged as received: every record of
/// the pages in offset order, up to the first empty page (as
/// `rds_dr_api::infos` reads them), each record exactly as received
/// (unknown fields kept), de-duplicated by `id` (the first copy wins;
/// records without a string `id` are all kept), and `total_count` their
/// number. One line of JSON.
pub fn merge_pages(pages: &BTreeMap<i64, Vec<u8>>) -> Vec<u8> {
    let mut records: Vec<serde_json::Value> = Vec::new();
    let mut ids: HashSet<String> = HashSet::new();
    for body in pages.values() {
        // Each page decoded as a ListDrInfos body before it was kept.
        let page: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let items = match page.get("instance_dr_infos") {
            Some(serde_json::Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        if items.is_empty() {
            break;
        }
        for item in items {
            if let Some(id) = item.get("id").and_then(serde_json::Value::as_str)
                && !ids.insert(id.to_owned())
            {
                continue;
            }
            records.push(item);
        }
    }
    let merged = serde_json::json!({
        "total_count": records.len(),
        "instance_dr_infos": records,
    });
    serde_json::to_vec(&merged).unwrap_or_default()
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

    #[test]
    fn pages_merge_in_offset_order_deduplicated_up_to_the_first_empty_page() {
        let page = |text: &str| text.as_bytes().to_vec();
        let pages = BTreeMap::from([
            (
                100,
                page(
                    r#"{"total_count": 9, "instance_dr_infos": [{"id": "b", "n": 2}, {"id": "a", "n": 99}, {"x": 1}]}"#,
                ),
            ),
            (
                0,
                page(
                    r#"{"total_count": 9, "instance_dr_infos": [{"id": "a", "n": 1, "new": {"k": [true]}}, {"x": 1}]}"#,
                ),
            ),
            (200, page(r#"{"total_count": 9, "instance_dr_infos": []}"#)),
            (
                300,
                page(r#"{"total_count": 9, "instance_dr_infos": [{"id": "late"}]}"#),
            ),
        ]);
        let merged: serde_json::Value = serde_json::from_slice(&merge_pages(&pages)).unwrap();
        assert_eq!(
            merged,
            serde_json::json!({"total_count": 4, "instance_dr_infos": [
                {"id": "a", "n": 1, "new": {"k": [true]}}, {"x": 1}, {"id": "b", "n": 2}, {"x": 1}]})
        );
        let none: serde_json::Value =
            serde_json::from_slice(&merge_pages(&BTreeMap::new())).unwrap();
        assert_eq!(
            none,
            serde_json::json!({"total_count": 0, "instance_dr_infos": []})
        );
    }
}
