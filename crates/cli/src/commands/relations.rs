//! `rds-dr relations --region R [--project-id P] [--output json|table|tsv]`.

use rds_dr_model::{DrPeer, InstanceDrRelation, Lenient, ListDrRelationsResponse};

use crate::Outcome;
use crate::cli::{GlobalArgs, RelationsArgs};
use crate::error::CliError;
use crate::live::Live;

/// Calls ListDrRelations once (with retries) and prints the answer.
pub fn run(args: &RelationsArgs, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let live = Live::new(global)?;
    let runtime = crate::runtime::build()?;
    let (target, response, body) = runtime.block_on(async {
        let target = live
            .target(&args.region, args.project_id.as_deref())
            .await?;
        let (response, body) = live
            .fetch_one(&target)
            .await
            .map_err(|e| CliError::api(target.to_string(), e))?;
        Ok::<_, CliError>((target, response, body))
    })?;
    tracing::debug!(%target, records = response.instance_dr_relations.len(), "ListDrRelations answered");
    crate::output::answer(args.output, &body, || table(&response), || tsv(&response))?;
    Ok(Outcome::Success)
}

const HEADER: [&str; 6] = [
    "INSTANCE",
    "ROLE",
    "PEER",
    "PEER REGION",
    "PEER PROJECT",
    "PEER PROJECT NAME",
];

/// One row per relation (a record with several DRs gives several rows; a
/// record with none gives one row with `-`); malformed records and peers
/// are rows marked `malformed`.
fn rows(response: &ListDrRelationsResponse) -> Vec<[String; 6]> {
    let mut rows = Vec::new();
    for (index, record) in response.instance_dr_relations.iter().enumerate() {
        match record {
            Lenient::Valid(record) => record_rows(record, &mut rows),
            Lenient::Malformed(m) => rows.push([
                format!("#{index}"),
                "malformed".into(),
                m.error.clone(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]),
        }
    }
    rows
}

fn record_rows(record: &InstanceDrRelation, rows: &mut Vec<[String; 6]>) {
    let id = record.instance_id.clone().unwrap_or_else(|| "-".into());
    let mut any = false;
    if let Some(master) = &record.master_instance {
        rows.push(peer_row(&id, "dr of", master));
        any = true;
    }
    for slave in &record.slave_instances {
        rows.push(peer_row(&id, "primary of", slave));
        any = true;
    }
    if !any {
        rows.push([
            id,
            "none".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }
}

fn peer_row(id: &str, role: &str, peer: &Lenient<DrPeer>) -> [String; 6] {
    let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    match peer {
        Lenient::Valid(peer) => [
            id.to_owned(),
            role.to_owned(),
            field(&peer.instance_id),
            field(&peer.region),
            field(&peer.project_id),
            field(&peer.project_name),
        ],
        Lenient::Malformed(m) => [
            id.to_owned(),
            role.to_owned(),
            format!("malformed: {}", m.error),
            "-".into(),
            "-".into(),
            "-".into(),
        ],
    }
}

fn table(response: &ListDrRelationsResponse) -> String {
    crate::output::table(HEADER, &rows(response), "(no DR relations)")
}

fn tsv(response: &ListDrRelationsResponse) -> String {
    crate::output::tsv(HEADER, &rows(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"instance_dr_relations": [
        {"instance_id": "p1", "slave_instances": [
            {"instance_id": "d1", "region": "cn-east-3", "project_id": "x", "project_name": "shanghai"},
            {"instance_id": "d2", "region": "ap-southeast-1"}]},
        {"instance_id": "d9", "master_instance": {"instance_id": "p9", "region": "cn-north-4"}},
        {"instance_id": "lonely"},
        17]}"#;

    #[test]
    fn table_has_one_row_per_relation() {
        let response: ListDrRelationsResponse = serde_json::from_str(BODY).expect("decodes");
        let text = table(&response);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(lines[0].starts_with("INSTANCE  ROLE        PEER"), "{text}");
        assert!(lines[1].starts_with("p1        primary of  d1"), "{text}");
        assert!(lines[3].starts_with("d9        dr of       p9"), "{text}");
        assert!(lines[4].starts_with("lonely    none"), "{text}");
        assert!(lines[5].starts_with("#3        malformed"), "{text}");
    }

    #[test]
    fn tsv_has_a_header_and_tabs() {
        let response: ListDrRelationsResponse = serde_json::from_str(BODY).expect("decodes");
        let text = tsv(&response);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("instance\trole\tpeer\tpeer_region\tpeer_project\tpeer_project_name")
        );
        assert_eq!(
            lines.next(),
            Some("p1\tprimary of\td1\tcn-east-3\tx\tshanghai")
        );
        assert_eq!(
            lines.next(),
            Some("p1\tprimary of\td2\tap-southeast-1\t-\t-")
        );
    }

    #[test]
    fn empty_answer() {
        let text = table(&ListDrRelationsResponse::default());
        assert!(text.contains("(no DR relations)"), "{text}");
    }
}
