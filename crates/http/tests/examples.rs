//! `examples/list_relations.rs` runs offline: its code, against the fake
//! cloud on 127.0.0.1.

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../examples/list_relations.rs"]
mod list_relations;

use rds_dr_api::Target;
use rds_dr_fake::FakeCloud;
use rds_dr_http::credentials::Credentials;
use rds_dr_model::{Capture, Source};

const PRIMARY: &str = "fab4e3df67c24aa0a5b41bc2bcb41918in03";
const DR: &str = "b5e2c7fcef8b4c2f8fd8d80d73344756in03";
const P_NORTH: &str = "0483b6b16e954cb88930a360d2c4e663";
const P_EAST: &str = "1111b6b16e954cb88930a360d2c4e663";

#[tokio::test]
async fn list_relations_example_against_the_fake_cloud() {
    let body = serde_json::json!({"instance_dr_relations": [
        {"instance_id": PRIMARY,
         "slave_instances": [{"instance_id": DR, "region": "cn-east-3", "project_id": P_EAST}]},
        "not a record"
    ]});
    let credentials = Credentials::new("EXAMPLE-AK", "example-secret-key");
    let fake = FakeCloud::builder()
        .capture(Capture {
            source: Source::new("cn-north-4", P_NORTH),
            fetched_at: None,
            response: serde_json::from_value(body).expect("body decodes"),
        })
        .credentials(credentials.clone())
        .start()
        .await
        .expect("fake starts");
    let target = Target::new("cn-north-4", P_NORTH);
    let endpoint = fake.base_url().parse().expect("URL");
    let response = list_relations::list_relations(&target, Some(endpoint), credentials.into())
        .await
        .expect("the signed call succeeds");
    assert_eq!(
        list_relations::describe(&response),
        [
            format!("{PRIMARY} -> {DR} (DR in cn-east-3, project {P_EAST})"),
            "(a malformed record)".to_owned()
        ]
    );

    // A wrong key is refused by the fake's signature check, as Huawei's
    // gateway would.
    let endpoint = fake.base_url().parse().expect("URL");
    let err = list_relations::list_relations(
        &target,
        Some(endpoint),
        Credentials::new("EXAMPLE-AK", "another-key").into(),
    )
    .await
    .expect_err("bad signature");
    assert_eq!(err.status(), Some(401), "{err}");
    fake.shutdown().await;
}
