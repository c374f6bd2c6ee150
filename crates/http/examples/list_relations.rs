//! Lists the DR relations of one (region, project) with [`HttpClient`].
//!
//! Against the fake cloud on loopback (no Huawei account needed), from the
//! workspace root:
//!
//! ```text
//! cargo run -p rds-dr-cli -- fake-server --fleet crates/cli/demo-fleet --listen 127.0.0.1:8443
//! cargo run -p rds-dr-http --example list_relations
//! ```
//!
//! Arguments: `[REGION/PROJECT_ID] [--endpoint URL]`. The target defaults to
//! a project of the demo fleet, the endpoint to `http://127.0.0.1:8443`
//! (where the command above starts the fake). `--endpoint official` uses the
//! region's official endpoint instead. Credentials come from the usual chain
//! (`HUAWEICLOUD_SDK_AK`/`HUAWEICLOUD_SDK_SK`, the profile file) when the
//! environment names an access key; otherwise fixed example credentials are
//! used, which the fake accepts when it is started without `--ak`/`--sk`.

use rds_dr_api::{ApiError, DrRelationsApi, ListDrRelationsResponse, RequestOptions, Target};
use rds_dr_http::HttpClient;
use rds_dr_http::credentials::{Credentials, CredentialsProvider};
use url::Url;

/// A project of the demo fleet (`crates/cli/demo-fleet/prod-beijing.json`).
const DEFAULT_TARGET: &str = "cn-north-4/9a47797b9dcfc57583bb3c40aecc83e7";
/// Where `rds-dr fake-server --listen 127.0.0.1:8443` answers.
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8443";

/// Calls ListDrRelations once for `target`, at `endpoint` (`None`: the
/// region's official endpoint).
pub async fn list_relations(
    target: &Target,
    endpoint: Option<Url>,
    credentials: CredentialsProvider,
) -> Result<ListDrRelationsResponse, ApiError> {
    let mut builder = HttpClient::builder().credentials(credentials);
    if let Some(endpoint) = endpoint {
        // A loopback fake: no proxy in between.
        builder = builder.endpoint(endpoint).no_proxy();
    }
    let client = builder.build()?;
    client
        .list_dr_relations(target, &RequestOptions::default())
        .await
}

/// One line per relation: `primary -> dr (region, project)`.
pub fn describe(response: &ListDrRelationsResponse) -> Vec<String> {
    let text = |s: &Option<String>| s.clone().unwrap_or_else(|| "?".to_owned());
    let mut lines = Vec::new();
    for record in &response.instance_dr_relations {
        let Some(record) = record.valid() else {
            lines.push("(a malformed record)".to_owned());
            continue;
        };
        let id = text(&record.instance_id);
        if let Some(master) = record.master_instance.as_ref().and_then(|m| m.valid()) {
            lines.push(format!(
                "{} -> {id} (DR of a primary in {}, project {})",
                text(&master.instance_id),
                text(&master.region),
                text(&master.project_id)
            ));
        }
        for dr in record.slave_instances.iter().filter_map(|d| d.valid()) {
            lines.push(format!(
                "{id} -> {} (DR in {}, project {})",
                text(&dr.instance_id),
                text(&dr.region),
                text(&dr.project_id)
            ));
        }
    }
    lines
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut target = DEFAULT_TARGET.to_owned();
    let mut endpoint = Some(Url::parse(DEFAULT_ENDPOINT)?);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--endpoint" => {
                let value = args.next().ok_or("--endpoint needs a URL")?;
                endpoint = match value.as_str() {
                    "official" => None,
                    url => Some(Url::parse(url)?),
                };
            }
            other => target = other.to_owned(),
        }
    }
    let target: Target = target.parse()?;
    let credentials = if std::env::var_os("HUAWEICLOUD_SDK_AK").is_some() {
        CredentialsProvider::default_chain()
    } else {
        Credentials::new("EXAMPLE-AK", "example-secret-key").into()
    };
    let response = list_relations(&target, endpoint, credentials).await?;
    println!(
        "{target}: {} record(s)",
        response.instance_dr_relations.len()
    );
    for line in describe(&response) {
        println!("  {line}");
    }
    Ok(())
}
