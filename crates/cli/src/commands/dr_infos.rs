//! `rds-dr dr-infos --region R [--project-id P] [filters] [--output json|table|tsv]`.

use rds_dr_model::{InstanceDrInfo, Lenient, ListDrInfosResponse, QueryDrInfoRequest};

use crate::Outcome;
use crate::cli::{DrInfosArgs, GlobalArgs};
use crate::error::CliError;
use crate::live::Live;

/// Pages through ListDrInfos (with retries) and prints every record.
pub fn run(args: &DrInfosArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let live = Live::new(global)?;
    let runtime = crate::runtime::build()?;
    let query = QueryDrInfoRequest {
        status: args.status.clone(),
        master_instance_id: args.master_instance_id.clone(),
        slave_instance_id: args.slave_instance_id.clone(),
        master_region: args.master_region.clone(),
        slave_region: args.slave_region.clone(),
        ..Default::default()
    };
    let (target, response, body) = runtime.block_on(async {
        let target = live
            .target(&args.region, args.project_id.as_deref())
            .await?;
        let (response, body) = live
            .fetch_infos(&target, &query)
            .await
            .map_err(|e| CliError::api(format!("{target} ListDrInfos"), e))?;
        Ok::<_, CliError>((target, response, body))
    })?;
    tracing::debug!(%target, records = response.instance_dr_infos.len(), "ListDrInfos answered");
    crate::output::answer(args.output, &body, || table(&response), || tsv(&response))?;
    Ok(Outcome::Success)
}

const HEADER: [&str; 10] = [
    "ID",
    "STATUS",
    "PRIMARY",
    "PRIMARY REGION",
    "DR",
    "DR REGION",
    "REPLICA STATE",
    "SEND LAG MB",
    "REPLAY LAG MB",
    "REPLAY DELAY MS",
];

/// One row per record; a malformed record is a row marked `malformed`.
fn rows(response: &ListDrInfosResponse) -> Vec<[String; 10]> {
    response
        .instance_dr_infos
        .iter()
        .enumerate()
        .map(|(index, record)| match record {
            Lenient::Valid(record) => row(record),
            Lenient::Malformed(m) => {
                let mut row: [String; 10] = Default::default();
                row[0] = format!("#{index}");
                row[1] = "malformed".into();
                row[2] = m.error.clone();
                for cell in &mut row[3..] {
                    *cell = "-".into();
                }
                row
            }
        })
        .collect()
}

fn row(r: &InstanceDrInfo) -> [String; 10] {
    let field = |v: &Option<String>| match v.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => "-".to_owned(),
    };
    let status = match r.failed_message.as_deref().map(str::trim) {
        Some(message) if !message.is_empty() => format!("{} ({message})", field(&r.status)),
        _ => field(&r.status),
    };
    [
        field(&r.id),
        status,
        field(&r.master_instance_id),
        field(&r.master_region),
        field(&r.slave_instance_id),
        field(&r.slave_region),
        field(&r.replica_state),
        field(&r.wal_write_receive_delay_in_mb),
        field(&r.wal_write_replay_delay_in_mb),
        field(&r.wal_receive_replay_delay_in_ms),
    ]
}

fn table(response: &ListDrInfosResponse) -> String {
    crate::output::table(HEADER, &rows(response), "(no DR records)")
}

fn tsv(response: &ListDrInfosResponse) -> String {
    crate::output::tsv(HEADER, &rows(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"total_count": 3, "instance_dr_infos": [
        {"id": "r1", "status": "normal", "master_instance_id": "p1", "master_region": "cn-north-4",
         "slave_instance_id": "d1", "slave_region": "cn-east-3", "time": 1, "replica_state": "0",
         "wal_write_receive_delay_in_mb": "0.5", "wal_write_replay_delay_in_mb": "1.5",
         "wal_receive_replay_delay_in_ms": "20"},
        {"id": "r2", "status": "failed", "failed_message": "slot\tgone", "master_instance_id": "p2",
         "slave_instance_id": "d2", "replica_state": "-1"},
        {"id": 3}]}"#;

    #[test]
    fn table_has_one_row_per_record_and_marks_malformed_ones() {
        let response: ListDrInfosResponse = serde_json::from_str(BODY).expect("decodes");
        let text = table(&response);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("ID  STATUS"), "{text}");
        assert!(lines[1].starts_with("r1  normal"), "{text}");
        assert!(
            lines[1].contains("cn-east-3") && lines[1].trim_end().ends_with("20"),
            "{text}"
        );
        assert!(lines[2].contains("failed (slot\tgone)"), "{text}");
        assert!(lines[3].starts_with("#2  malformed"), "{text}");
        assert!(table(&ListDrInfosResponse::default()).contains("(no DR records)"));
    }

    #[test]
    fn tsv_has_a_header_and_clean_cells() {
        let response: ListDrInfosResponse = serde_json::from_str(BODY).expect("decodes");
        let text = tsv(&response);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "id\tstatus\tprimary\tprimary_region\tdr\tdr_region\treplica_state\tsend_lag_mb\treplay_lag_mb\treplay_delay_ms"
        );
        assert_eq!(
            lines[1],
            "r1\tnormal\tp1\tcn-north-4\td1\tcn-east-3\t0\t0.5\t1.5\t20"
        );
        assert_eq!(
            lines[2],
            "r2\tfailed (slot gone)\tp2\t-\td2\t-\t-1\t-\t-\t-"
        );
    }
}
