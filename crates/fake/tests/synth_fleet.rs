//! A generated fleet (`rds_dr_model::synth`) served under faults: a client
//! that retries gets every body, exactly as captured.

mod common;

use std::collections::BTreeMap;

use common::*;
use rds_dr_fake::FakeCloud;
use rds_dr_model::synth::{FleetSpec, generate};
use serde_json::Value;
use tokio::task::JoinSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_project_of_a_generated_fleet_is_served_under_faults() {
    let fleet = generate(
        &FleetSpec::new()
            .seed(11)
            .region_count(4)
            .projects_per_region(2)
            .primaries(30)
            .every_defect(1),
    );
    let mut expected: BTreeMap<String, Value> = BTreeMap::new();
    let mut regions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for capture in &fleet.captures {
        let body = serde_json::to_value(&capture.response).unwrap();
        assert!(
            expected
                .insert(capture.source.project_id.clone(), body)
                .is_none(),
            "one capture per project"
        );
        regions
            .entry(capture.source.region.clone())
            .or_default()
            .push(capture.source.project_id.clone());
    }
    assert!(expected.len() >= 8);

    // The defaults: every kind but `slow`, at most 3 faults in a row per project.
    let fake = FakeCloud::builder()
        .captures(fleet.captures.clone())
        .seed(3)
        .fault_rate(0.3)
        .start()
        .await
        .unwrap();

    let mut tasks = JoinSet::new();
    for project in expected.keys().cloned() {
        let url = relations_url(&fake, &project);
        tasks.spawn(async move {
            for _ in 0..4 {
                // A fresh connection per attempt, as after a reset.
                let Ok(response) = client().get(&url).send().await else {
                    continue;
                };
                if response.status() != 200 {
                    continue;
                }
                if let Ok(body) = response.json::<Value>().await {
                    return (project, Some(body));
                }
            }
            (project, None)
        });
    }
    let mut served = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (project, body) = joined.unwrap();
        served.insert(
            project.clone(),
            body.unwrap_or_else(|| panic!("project {project} never got through")),
        );
    }
    assert_eq!(served, expected);
    assert!(
        fake.request_count() > expected.len() as u64,
        "at a 30% fault rate some attempts must have failed"
    );

    // IAM knows the projects of every region: `?name=REGION` finds the
    // region's default project (its smallest id); each other project is
    // found by its sub-project name `REGION_` + the first 8 id characters.
    for (region, mut projects) in regions {
        projects.sort();
        for (i, project) in projects.iter().enumerate() {
            let name = if i == 0 {
                region.clone()
            } else {
                format!("{region}_{}", &project[..8])
            };
            let url = format!("{}/v3/projects?name={name}", fake.base_url());
            let mut listed = None;
            for _ in 0..4 {
                if let Ok(response) = client().get(&url).send().await
                    && response.status() == 200
                    && let Ok(body) = response.json::<Value>().await
                {
                    listed = Some(body);
                    break;
                }
            }
            let listed = listed.unwrap_or_else(|| panic!("IAM for {name} never got through"));
            let ids: Vec<String> = listed["projects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(ids, std::slice::from_ref(project), "project name {name}");
        }
    }
}
