//! `rds-dr fetch TARGETS --out DIR`: two capture files per target, written
//! as each target's answers arrive.

use std::path::Path;

use rds_dr_api::fleet::TargetFailure;
use rds_dr_model::{Capture, InfosCapture, Operation, Source};

use crate::Outcome;
use crate::cli::{FetchArgs, GlobalArgs};
use crate::error::CliError;
use crate::live::{Live, merge_pages, report_failures};

/// Fetches every target and writes, as each target finishes,
/// `DIR/REGION_PROJECTID.json` (ListDrRelations) and, unless `--no-health`,
/// `DIR/REGION_PROJECTID.infos.json` (every ListDrInfos page, merged), each
/// body exactly as received; nothing is held until the end. Failures are
/// printed on stderr; any failure makes the exit status 2, but every
/// successful capture is still written. A file that cannot be written stops
/// the command (exit 2) after the scan.
pub fn run(args: &FetchArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    if args.targets.is_empty() {
        return Err(CliError::Usage(
            "nothing to fetch: give --target REGION/PROJECT_ID, --targets-file FILE or --region REGION".into(),
        ));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::io(&args.out, "create directory", e))?;
    let live = Live::new(global)?;
    let mut written = 0;
    let mut failures: Vec<TargetFailure> = Vec::new();
    let mut write_error: Option<CliError> = None;
    let mut targets_seen = 0;
    crate::runtime::build()?.block_on(async {
        live.check_credentials().await?;
        let targets = live.targets(&args.targets).await?;
        live.scan_each(targets, true, |result, raw| {
            targets_seen += 1;
            let mut write = |name: String, bytes: Vec<u8>| {
                if write_error.is_some() {
                    return;
                }
                match crate::output::write_file(&args.out.join(name), &bytes) {
                    Ok(()) => written += 1,
                    Err(e) => write_error = Some(e),
                }
            };
            match result.relations {
                Ok(capture) => write(
                    file_name(&capture.source),
                    envelope_bytes(&capture, raw.relations.as_deref()),
                ),
                Err(error) => failures.push(TargetFailure {
                    target: result.target.clone(),
                    error,
                    operation: Operation::ListDrRelations,
                }),
            }
            match result.infos {
                Some(Ok(capture)) => write(
                    infos_file_name(&capture.source),
                    infos_envelope_bytes(&capture, Some(&merge_pages(&raw.infos))),
                ),
                Some(Err(error)) => failures.push(TargetFailure {
                    target: result.target,
                    error,
                    operation: Operation::ListDrInfos,
                }),
                None => {}
            }
        })
        .await;
        Ok::<(), CliError>(())
    })?;
    if let Some(error) = write_error {
        return Err(error);
    }
    failures.sort_by(|a, b| (&a.target, a.operation).cmp(&(&b.target, b.operation)));
    report_failures(&failures);
    if !global.quiet {
        eprintln!(
            "wrote {written} capture file(s) to {}{}",
            display_dir(&args.out),
            match failures.len() {
                0 => String::new(),
                n => format!("; {n} call(s) failed"),
            }
        );
    }
    if failures.is_empty() {
        Ok(Outcome::Success)
    } else {
        let failed: std::collections::BTreeSet<&Source> =
            failures.iter().map(|f| &f.target).collect();
        Err(CliError::Other(format!(
            "{} of {targets_seen} target(s) could not be fetched whole",
            failed.len(),
        )))
    }
}

fn display_dir(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// `REGION_PROJECTID.json`.
pub fn file_name(source: &Source) -> String {
    format!("{}_{}.json", source.region, source.project_id)
}

/// `REGION_PROJECTID.infos.json` (a convention for people: readers tell the
/// kinds apart by the envelope's `operation`).
pub fn infos_file_name(source: &Source) -> String {
    format!("{}_{}.infos.json", source.region, source.project_id)
}

/// The ListDrInfos envelope as one line of JSON: `source`, `fetched_at`,
/// `"operation": "ListDrInfos"`, and the merged body as received when there
/// is one, else the decoded one re-encoded.
pub fn infos_envelope_bytes(capture: &InfosCapture, raw_body: Option<&[u8]>) -> Vec<u8> {
    let head = Head {
        source: &capture.source,
        fetched_at: capture.fetched_at.as_deref(),
        operation: Some("ListDrInfos"),
    };
    envelope_line(head, raw_body, capture)
}

/// The envelope as one line of JSON: `source`, `fetched_at`, and the body as
/// received when there is one (it decoded, so it is one JSON value), else
/// the decoded body re-encoded.
pub fn envelope_bytes(capture: &Capture, raw_body: Option<&[u8]>) -> Vec<u8> {
    let head = Head {
        source: &capture.source,
        fetched_at: capture.fetched_at.as_deref(),
        operation: None,
    };
    envelope_line(head, raw_body, capture)
}

/// The members of an envelope before its `response`.
struct Head<'a> {
    source: &'a Source,
    fetched_at: Option<&'a str>,
    operation: Option<&'static str>,
}

/// `{head..., "response": BODY}` and a newline, with the body as received;
/// without one (or an empty one), `decoded` re-encoded whole.
fn envelope_line(
    head: Head<'_>,
    raw_body: Option<&[u8]>,
    decoded: &impl serde::Serialize,
) -> Vec<u8> {
    let mut out = Vec::new();
    match raw_body.map(<[u8]>::trim_ascii).filter(|b| !b.is_empty()) {
        Some(body) => {
            out.extend_from_slice(b"{\"source\":");
            out.extend_from_slice(&to_json(head.source));
            if let Some(fetched_at) = head.fetched_at {
                out.extend_from_slice(b",\"fetched_at\":");
                out.extend_from_slice(&to_json(fetched_at));
            }
            if let Some(operation) = head.operation {
                out.extend_from_slice(b",\"operation\":");
                out.extend_from_slice(&to_json(operation));
            }
            out.extend_from_slice(b",\"response\":");
            out.extend_from_slice(body);
            out.push(b'}');
        }
        None => out.extend_from_slice(&to_json(decoded)),
    }
    out.push(b'\n');
    out
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serialising plain structs and strings into memory cannot fail.
    serde_json::to_vec(value).expect("serialising to memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rds_dr_model::Source;

    #[test]
    fn envelope_keeps_the_body_as_received() {
        let body = br#"{"instance_dr_relations":[{"instance_id":"a","extra":{"kept":true}}]}"#;
        let capture = Capture {
            source: Source::new("cn-north-4", "0483b6b16e954cb88930a360d2c4e663"),
            fetched_at: Some("2026-11-28T10:00:00Z".into()),
            response: serde_json::from_slice(body).expect("decodes"),
        };
        let bytes = envelope_bytes(&capture, Some(body));
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(
            value["response"]["instance_dr_relations"][0]["extra"]["kept"],
            true
        );
        assert_eq!(value["fetched_at"], "2026-11-28T10:00:00Z");
        let back: Capture = serde_json::from_slice(&bytes).expect("an envelope");
        assert_eq!(back, capture);
        assert_eq!(
            file_name(&capture.source),
            "cn-north-4_0483b6b16e954cb88930a360d2c4e663.json"
        );
        assert_eq!(
            infos_file_name(&capture.source),
            "cn-north-4_0483b6b16e954cb88930a360d2c4e663.infos.json"
        );
    }

    #[test]
    fn envelope_without_raw_body_is_the_decoded_one() {
        let capture = Capture {
            source: Source::new("cn-north-4", "0483b6b16e954cb88930a360d2c4e663"),
            fetched_at: None,
            response: Default::default(),
        };
        let bytes = envelope_bytes(&capture, None);
        let back: Capture = serde_json::from_slice(&bytes).expect("an envelope");
        assert_eq!(back, capture);
    }

    #[test]
    fn infos_envelope_keeps_the_merged_body_and_reads_back_as_infos() {
        let body =
            br#"{"total_count":1,"instance_dr_infos":[{"id":"r1","status":"Weird","extra":[1]}]}"#;
        let capture = InfosCapture {
            fetched_at: Some("2026-12-06T10:00:00Z".into()),
            ..InfosCapture::new(
                Source::new("cn-north-4", "0483b6b16e954cb88930a360d2c4e663"),
                serde_json::from_slice(body).expect("decodes"),
            )
        };
        let bytes = infos_envelope_bytes(&capture, Some(body));
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(value["operation"], "ListDrInfos");
        assert_eq!(value["response"]["instance_dr_infos"][0]["extra"][0], 1);
        let back = crate::inputs::decode_infos(&bytes).expect("an infos envelope");
        assert_eq!(back, capture);
        let decoded = infos_envelope_bytes(&capture, None);
        assert_eq!(
            crate::inputs::decode_infos(&decoded).expect("infos"),
            capture
        );
    }
}
