//! `rds-dr fetch TARGETS --out DIR`: one capture file per target.

use std::path::Path;

use rds_dr_model::Capture;

use crate::Outcome;
use crate::cli::{FetchArgs, GlobalArgs};
use crate::error::CliError;
use crate::live::{Live, report_failures};

/// Fetches every target and writes `DIR/REGION_PROJECTID.json` for each
/// answer, with the body exactly as received. Failures are printed on
/// stderr; any failure makes the exit status 2, but every successful
/// capture is still written.
pub fn run(args: &FetchArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    if args.targets.is_empty() {
        return Err(CliError::Usage(
            "nothing to fetch: give --target REGION/PROJECT_ID, --targets-file FILE or --region REGION".into(),
        ));
    }
    let (report, bodies) = Live::fetch_all(global, &args.targets, true)?;

    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::io(&args.out, "create directory", e))?;
    for capture in &report.captures {
        let path = args.out.join(file_name(capture));
        let bytes = envelope_bytes(capture, bodies.get(&capture.source).map(Vec::as_slice));
        crate::output::write_file(&path, &bytes)?;
    }
    report_failures(&report.failures);
    if !global.quiet {
        eprintln!(
            "wrote {} capture file(s) to {}{}",
            report.captures.len(),
            display_dir(&args.out),
            match report.failures.len() {
                0 => String::new(),
                n => format!("; {n} target(s) failed"),
            }
        );
    }
    if report.failures.is_empty() {
        Ok(Outcome::Success)
    } else {
        Err(CliError::Other(format!(
            "{} of {} target(s) could not be fetched",
            report.failures.len(),
            report.total()
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
pub fn file_name(capture: &Capture) -> String {
    format!(
        "{}_{}.json",
        capture.source.region, capture.source.project_id
    )
}

/// The envelope as one line of JSON: `source`, `fetched_at`, and the body as
/// received when there is one (it decoded, so it is one JSON value), else
/// the decoded body re-encoded.
pub fn envelope_bytes(capture: &Capture, raw_body: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    match raw_body.map(<[u8]>::trim_ascii).filter(|b| !b.is_empty()) {
        Some(body) => {
            out.extend_from_slice(b"{\"source\":");
            out.extend_from_slice(&to_json(&capture.source));
            if let Some(fetched_at) = &capture.fetched_at {
                out.extend_from_slice(b",\"fetched_at\":");
                out.extend_from_slice(&to_json(fetched_at));
            }
            out.extend_from_slice(b",\"response\":");
            out.extend_from_slice(body);
            out.push(b'}');
        }
        None => out.extend_from_slice(&to_json(capture)),
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
            file_name(&capture),
            "cn-north-4_0483b6b16e954cb88930a360d2c4e663.json"
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
}
