//! The example body of the API page ("Querying DR Instances in Batches",
//! `/work/shared/seed/querying-dr-instances-in-batches.txt`), verbatim.

use rds_dr_model::{DrPeer, InstanceDrRelation, Lenient, ListDrRelationsResponse};

use crate::{decode, encode, json};

pub(crate) const SEED_EXAMPLE: &str = r#"{
   "instance_dr_relations": [
      {
         "instance_id": "b5e2c7fcef8b4c2f8fd8d80d73344756in03",
         "master_instance": {
            "instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03",
            "region": "aRegion",
            "project_id": "08fd4e669e00d57d2ffec01352c7cb77",
            "project_name": "masterProjectName"
         }
      },
      {
         "instance_id": "fab4e3df67c24aa0a5b41bc2bcb41918in03",
         "slave_instances": [
            {
               "instance_id": "b5e2c7fcef8b4c2f8fd8d80d73344756in03",
               "region": "bRegion",
               "project_id": "054b61972980d4552f0bc00ac8d3f5cd",
               "project_name": "slaveProjectName"
            }
         ]
      }
   ]
}"#;

fn peer(id: &str, region: &str, project_id: &str, project_name: &str) -> DrPeer {
    DrPeer {
        instance_id: Some(id.to_owned()),
        region: Some(region.to_owned()),
        project_id: Some(project_id.to_owned()),
        project_name: Some(project_name.to_owned()),
    }
}

#[test]
fn the_seed_example_decodes_to_the_expected_model() {
    let expected = ListDrRelationsResponse {
        instance_dr_relations: vec![
            Lenient::Valid(InstanceDrRelation {
                instance_id: Some("b5e2c7fcef8b4c2f8fd8d80d73344756in03".to_owned()),
                master_instance: Some(Lenient::Valid(peer(
                    "fab4e3df67c24aa0a5b41bc2bcb41918in03",
                    "aRegion",
                    "08fd4e669e00d57d2ffec01352c7cb77",
                    "masterProjectName",
                ))),
                slave_instances: vec![],
            }),
            Lenient::Valid(InstanceDrRelation {
                instance_id: Some("fab4e3df67c24aa0a5b41bc2bcb41918in03".to_owned()),
                master_instance: None,
                slave_instances: vec![Lenient::Valid(peer(
                    "b5e2c7fcef8b4c2f8fd8d80d73344756in03",
                    "bRegion",
                    "054b61972980d4552f0bc00ac8d3f5cd",
                    "slaveProjectName",
                ))],
            }),
        ],
    };
    assert_eq!(decode(SEED_EXAMPLE), expected);
}

#[test]
fn the_seed_example_re_encodes_to_the_same_json_value() {
    let response = decode(SEED_EXAMPLE);
    assert_eq!(encode(&response), json(SEED_EXAMPLE));
    // And through bytes, as a capture file would store it.
    let bytes = serde_json::to_vec_pretty(&response).unwrap();
    let again: ListDrRelationsResponse = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(again, response);
}

#[test]
fn the_seed_example_decodes_from_a_reader_and_from_a_value() {
    // Other deserializers than a borrowed string: no borrowing from the input.
    let from_reader: ListDrRelationsResponse =
        serde_json::from_reader(SEED_EXAMPLE.as_bytes()).unwrap();
    let from_value: ListDrRelationsResponse = serde_json::from_value(json(SEED_EXAMPLE)).unwrap();
    assert_eq!(from_reader, decode(SEED_EXAMPLE));
    assert_eq!(from_value, decode(SEED_EXAMPLE));
}
