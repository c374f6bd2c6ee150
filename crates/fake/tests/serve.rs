//! Unsigned mode: bodies, errors, IAM discovery, fleet loading, safety rails.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;

use common::*;
use rds_dr_fake::{FakeCloud, FakeError};
use serde_json::{Value, json};

#[tokio::test]
async fn serves_each_capture_body_as_recorded() {
    let fake = small_fleet().start().await.unwrap();
    let client = client();
    for (project, expected) in [
        (P_NORTH, body_north()),
        (P_EAST, body_east()),
        (P_EAST_2, json!({})), // the model drops an empty array when it serializes
    ] {
        let response = client
            .get(relations_url(&fake, project))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert_eq!(response.headers()["x-request-id"].len(), 32);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, expected, "project {project}");
    }
    assert_eq!(fake.request_count(), 3);
    assert_eq!(fake.project_request_count(P_NORTH), 1);
    let mut expected_ids = vec![P_NORTH.to_owned(), P_EAST.to_owned(), P_EAST_2.to_owned()];
    expected_ids.sort();
    assert_eq!(fake.project_ids(), expected_ids);
    fake.shutdown().await;
}

#[tokio::test]
async fn unknown_project_is_a_huawei_shaped_404() {
    let fake = small_fleet().start().await.unwrap();
    let response = client()
        .get(relations_url(&fake, P_UNKNOWN))
        .send()
        .await
        .unwrap();
    let (status, code, request_id, message) = error_parts(response).await;
    assert_eq!(status, 404);
    assert_eq!(code, "DBS.280238");
    assert_eq!(request_id.len(), 32);
    assert!(message.contains(P_UNKNOWN), "{message}");
}

#[tokio::test]
async fn chinese_error_messages_with_x_language() {
    let fake = small_fleet().start().await.unwrap();
    let response = client()
        .get(relations_url(&fake, P_UNKNOWN))
        .header("X-Language", "zh-cn")
        .send()
        .await
        .unwrap();
    let (_, code, _, message) = error_parts(response).await;
    assert_eq!(code, "DBS.280238");
    assert!(message.contains("项目"), "{message}");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_404_apigw_0101() {
    let fake = small_fleet().start().await.unwrap();
    let client = client();
    for response in [
        client
            .get(format!("{}/v3/{P_NORTH}/instances", fake.base_url()))
            .send()
            .await
            .unwrap(),
        client
            .get(format!("{}/", fake.base_url()))
            .send()
            .await
            .unwrap(),
        client
            .post(relations_url(&fake, P_NORTH))
            .send()
            .await
            .unwrap(),
    ] {
        let (status, code, request_id, _) = error_parts(response).await;
        assert_eq!((status, code.as_str()), (404, "APIGW.0101"));
        assert!(!request_id.is_empty());
    }
}

#[tokio::test]
async fn iam_discovery_lists_the_projects_of_a_region() {
    let fake = small_fleet().start().await.unwrap();
    let client = client();
    let get = |region: &str| {
        let url = format!("{}/v3/projects?name={region}", fake.base_url());
        let client = client.clone();
        async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert!(response.headers().contains_key("x-request-id"));
            response.json::<Value>().await.unwrap()
        }
    };
    let north = get("cn-north-4").await;
    let projects = north["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0]["id"], P_NORTH);
    assert_eq!(projects[0]["name"], "cn-north-4");
    assert_eq!(projects[0]["enabled"], true);
    assert_eq!(projects[0]["domain_id"].as_str().unwrap().len(), 32);

    let east = get("cn-east-3").await;
    let ids: Vec<_> = east["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    // The smallest id of a region is its default project, named after the
    // region; the others are sub-projects `REGION_xxxxxxxx`.
    let (default, sub) = if P_EAST < P_EAST_2 {
        (P_EAST, P_EAST_2)
    } else {
        (P_EAST_2, P_EAST)
    };
    assert_eq!(ids, [json!(default)]);
    let sub_name = format!("cn-east-3_{}", &sub[..8]);
    let sub_project = get(&sub_name).await;
    assert_eq!(sub_project["projects"][0]["id"], json!(sub));
    assert_eq!(sub_project["projects"][0]["name"], json!(sub_name));

    let none = get("ap-southeast-1").await;
    assert_eq!(none["projects"], json!([]));

    let all: Value = client
        .get(format!("{}/v3/projects", fake.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["projects"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn x_project_id_must_match_the_path() {
    let fake = small_fleet().start().await.unwrap();
    let client = client();
    let ok = client
        .get(relations_url(&fake, P_NORTH))
        .header("X-Project-Id", P_NORTH)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let response = client
        .get(relations_url(&fake, P_NORTH))
        .header("X-Project-Id", P_EAST)
        .send()
        .await
        .unwrap();
    let (status, code, _, _) = error_parts(response).await;
    assert_eq!((status, code.as_str()), (403, "DBS.280239"));
}

#[tokio::test]
async fn request_ids_are_unique_and_follow_the_seed() {
    async fn ids(seed: u64) -> Vec<String> {
        let fake = small_fleet().seed(seed).start().await.unwrap();
        let client = client();
        let mut ids = Vec::new();
        for _ in 0..20 {
            let response = client
                .get(relations_url(&fake, P_NORTH))
                .send()
                .await
                .unwrap();
            ids.push(
                response.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        ids
    }
    let first = ids(5).await;
    assert_eq!(first.iter().collect::<HashSet<_>>().len(), first.len());
    assert_eq!(first, ids(5).await);
    assert_ne!(first, ids(6).await);
}

#[tokio::test]
async fn fleet_dir_loads_json_and_jsonl_and_merges_one_project() {
    let dir = tempfile::tempdir().unwrap();
    let envelope = |region: &str, project: &str, response: Value| {
        json!({"source": {"region": region, "project_id": project}, "fetched_at": "2026-11-28T10:00:00Z",
               "response": response})
    };
    // An unknown field and a malformed record are served as recorded.
    let north =
        json!({"instance_dr_relations": [{"instance_id": "a", "future_field": [1, 2]}, 42]});
    std::fs::write(
        dir.path().join("a.json"),
        envelope("cn-north-4", P_NORTH, north.clone()).to_string(),
    )
    .unwrap();
    let lines = [
        envelope(
            "cn-east-3",
            P_EAST,
            json!({"instance_dr_relations": [{"instance_id": "e1"}]}),
        )
        .to_string(),
        String::new(),
        envelope(
            "cn-east-3",
            P_EAST,
            json!({"instance_dr_relations": [{"instance_id": "e2"}]}),
        )
        .to_string(),
    ];
    std::fs::write(dir.path().join("b.jsonl"), lines.join("\n")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();

    let fake = FakeCloud::builder()
        .fleet_dir(dir.path())
        .start()
        .await
        .unwrap();
    let client = client();
    let served: Value = client
        .get(relations_url(&fake, P_NORTH))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, north);
    let served: Value = client
        .get(relations_url(&fake, P_EAST))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        served,
        json!({"instance_dr_relations": [{"instance_id": "e1"}, {"instance_id": "e2"}]})
    );
}

#[tokio::test]
async fn a_bad_fleet_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let good = json!({"source": {"region": "cn-north-4", "project_id": P_NORTH}, "response": {}});
    std::fs::write(dir.path().join("a.json"), good.to_string()).unwrap();
    std::fs::write(
        dir.path().join("b.jsonl"),
        format!("{good}\n{{\"source\": 1}}\n"),
    )
    .unwrap();
    let err = FakeCloud::builder()
        .fleet_dir(dir.path())
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, FakeError::FleetFile { line: Some(2), .. }),
        "{text}"
    );
    assert!(
        text.contains("b.jsonl line 2") && text.contains("not a capture envelope"),
        "{text}"
    );

    std::fs::write(dir.path().join("b.jsonl"), "").unwrap();
    std::fs::write(dir.path().join("c.json"), "{not json").unwrap();
    let err = FakeCloud::builder()
        .fleet_dir(dir.path())
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("b.jsonl") && text.contains("no capture envelope"),
        "{text}"
    );

    std::fs::remove_file(dir.path().join("b.jsonl")).unwrap();
    let err = FakeCloud::builder()
        .fleet_dir(dir.path())
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("c.json") && text.contains("not valid JSON"),
        "{text}"
    );

    let empty = tempfile::tempdir().unwrap();
    let err = FakeCloud::builder()
        .fleet_dir(empty.path())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, FakeError::EmptyFleetDir { .. }), "{err}");

    let err = FakeCloud::builder()
        .fleet_dir(dir.path().join("missing"))
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, FakeError::FleetDir { .. }), "{err}");
}

#[tokio::test]
async fn non_loopback_listen_addresses_are_refused() {
    for addr in ["0.0.0.0:0", "192.168.1.10:0", "[::]:0", "10.0.0.1:8080"] {
        let addr: SocketAddr = addr.parse().unwrap();
        let err = FakeCloud::builder().listen(addr).start().await.unwrap_err();
        assert!(
            matches!(err, FakeError::NonLoopback { .. }),
            "{addr}: {err}"
        );
        assert!(err.to_string().contains("loopback"));
    }
    let fake = FakeCloud::builder()
        .listen("127.0.0.2:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    assert!(fake.base_url().starts_with("http://127.0.0.2:"));
    assert_eq!(
        fake.listening_line(),
        format!("listening on http://127.0.0.2:{}", fake.local_addr().port())
    );
}

#[tokio::test]
async fn invalid_fault_rates_are_refused() {
    for rate in [-0.1, 1.5, f64::NAN] {
        let err = FakeCloud::builder()
            .fault_rate(rate)
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, FakeError::InvalidFaultRate(_)), "{err}");
    }
}

#[tokio::test]
async fn shutdown_closes_the_port_and_drop_stops_the_server() {
    let fake = small_fleet().start().await.unwrap();
    let addr = fake.local_addr();
    fake.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port still open after shutdown"
    );

    let fake = small_fleet().start().await.unwrap();
    let addr = fake.local_addr();
    drop(fake);
    // The accept loop stops on its own task; give it a moment.
    let mut closed = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(closed, "port still open after drop");
}
