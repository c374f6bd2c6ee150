//! Builds a topology offline, from captures made in code (no file, no
//! network): a primary in one region with a DR in another, as the two
//! regions' ListDrRelations answers describe it, plus a region whose call
//! failed. Then reads the report, the view, the groups and the impact of a
//! region failure.
//!
//! ```text
//! cargo run -p rds-dr-topology --example offline
//! ```

use rds_dr_model::{Capture, DrPeer, InstanceDrRelation, Lenient, ListDrRelationsResponse, Source};
use rds_dr_topology::{EdgeStatus, Topology};

const PRIMARY: &str = "fab4e3df67c24aa0a5b41bc2bcb41918in03";
const DR: &str = "b5e2c7fcef8b4c2f8fd8d80d73344756in03";
const PROJECT_A: &str = "08fd4e669e00d57d2ffec01352c7cb77";
const PROJECT_B: &str = "054b61972980d4552f0bc00ac8d3f5cd";

fn peer(id: &str, region: &str, project_id: &str) -> DrPeer {
    DrPeer {
        instance_id: Some(id.to_owned()),
        region: Some(region.to_owned()),
        project_id: Some(project_id.to_owned()),
        project_name: Some(format!("project-{region}")),
    }
}

fn capture(region: &str, project_id: &str, record: InstanceDrRelation) -> Capture {
    Capture {
        source: Source::new(region, project_id),
        fetched_at: None,
        response: ListDrRelationsResponse {
            instance_dr_relations: vec![Lenient::Valid(record)],
        },
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The primary's side: its record lists the DR.
    let primary_side = capture(
        "cn-north-4",
        PROJECT_A,
        InstanceDrRelation {
            instance_id: Some(PRIMARY.to_owned()),
            slave_instances: vec![Lenient::Valid(peer(DR, "ap-southeast-1", PROJECT_B))],
            ..InstanceDrRelation::default()
        },
    );
    // The DR's side: its record names the primary.
    let dr_side = capture(
        "ap-southeast-1",
        PROJECT_B,
        InstanceDrRelation {
            instance_id: Some(DR.to_owned()),
            master_instance: Some(Lenient::Valid(peer(PRIMARY, "cn-north-4", PROJECT_A))),
            ..InstanceDrRelation::default()
        },
    );

    let topology = Topology::builder()
        .capture(&primary_side)
        .capture(&dr_side)
        .failed_target(
            "cn-east-3/0483b6b16e954cb88930a360d2c4e663".parse()?,
            "HTTP 503",
        )
        .build();

    let edge = topology.edge(PRIMARY, DR).ok_or("the edge is missing")?;
    assert_eq!(edge.status, EdgeStatus::Confirmed);
    println!(
        "{PRIMARY} -> {DR}: {} ({} claims)",
        edge.status,
        edge.claims.len()
    );
    for group in topology.groups() {
        println!(
            "group of {}: {} members, depth {}",
            group.root,
            group.members.len(),
            group.depth
        );
    }
    for finding in topology.findings() {
        println!("{finding}");
        println!("  details: {}", serde_json::to_string(&finding.details)?);
    }
    print!("{}", topology.impact(&["cn-north-4"]));
    Ok(())
}
