//! Hand-built captures shared by the topology tests: four projects in three
//! regions, and peers that state their location in full.
#![allow(dead_code)]

use rds_dr_model::Capture;
use serde_json::{Value, json};

/// A project in cn-north-4.
pub const PA: &str = "0483b6b16e954cb88930a360d2c4e663";
/// A project in ap-southeast-1.
pub const PB: &str = "08fd4e669e00d57d2ffec01352c7cb77";
/// A project in cn-east-3.
pub const PC: &str = "054b61972980d4552f0bc00ac8d3f5cd";
/// A second project in cn-north-4.
pub const PD: &str = "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d";

/// Region of each test project (PA and PD share a region).
pub fn region(project: &str) -> &'static str {
    match project {
        PA | PD => "cn-north-4",
        PB => "ap-southeast-1",
        PC => "cn-east-3",
        _ => "xx-unknown-1",
    }
}

/// The capture of `project` (in its region) answering `records`.
pub fn cap(project: &str, records: Value) -> Capture {
    serde_json::from_value(json!({
        "source": {"region": region(project), "project_id": project},
        "response": {"instance_dr_relations": records},
    }))
    .expect("test capture decodes")
}

/// A peer object for instance `id` of `project`: region, project id and a
/// project name (`name-PROJECT`).
pub fn peer(id: &str, project: &str) -> Value {
    json!({"instance_id": id, "region": region(project), "project_id": project, "project_name": format!("name-{project}")})
}
