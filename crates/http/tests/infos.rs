//! ListDrInfos over HTTP against servers on 127.0.0.1: the signed POST with
//! its JSON body, decoding, error bodies as for the GET, paging.

mod common;

use common::*;
use rds_dr_api::infos::list_all;
use rds_dr_api::{DrRelationsApi, ErrorKind, QueryDrInfoRequest, RequestOptions};
use rds_dr_sign::{SignableRequest, sign};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const INFOS_PATH: &str = "/v3/0123456789abcdef0123456789abcdef/instances/disaster-recovery-infos";

fn page(ids: std::ops::Range<usize>, total: usize) -> String {
    let records: Vec<String> = ids
        .map(|i| {
            format!(
                r#"{{"id": "r{i}", "status": "normal", "master_instance_id": "p{i}", "master_region": "ap-southeast-1",
                    "slave_instance_id": "d{i}", "slave_region": "cn-east-3", "time": {i}, "replica_state": "0",
                    "wal_write_receive_delay_in_mb": "{i}.5", "new_field": [1]}}"#
            )
        })
        .collect();
    format!(
        r#"{{"total_count": {total}, "instance_dr_infos": [{}]}}"#,
        records.join(",")
    )
}

#[tokio::test]
async fn a_signed_post_with_the_query_as_json_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INFOS_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Request-Id", "req-infos")
                .set_body_string(page(0..2, 2)),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), credentials())
        .no_user_agent()
        .clock(known_time)
        .build()
        .unwrap();
    let query = QueryDrInfoRequest {
        status: Some("normal".into()),
        offset: Some(0),
        limit: Some(100),
        ..Default::default()
    };
    let response = client
        .list_dr_infos(&target(), &query, &RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(response.total_count, Some(2));
    let first = response.instance_dr_infos[0].valid().unwrap();
    assert_eq!(first.lags().unwrap().send_mb, Some(0.5));

    let received = server.received_requests().await.unwrap();
    let request = &received[0];
    assert_eq!(request.method.as_str(), "POST");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "normal", "offset": 0, "limit": 100})
    );
    let headers = header_pairs(request);
    assert_eq!(header(&headers, "Content-Type"), Some("application/json"));
    assert_eq!(header(&headers, "X-Project-Id"), Some(PROJECT));
    // The gateway's check passes: the signature covers the body's hash.
    verify_received(request, &credentials(), known_time()).unwrap();
    // The same request signed by hand gives the same Authorization.
    let signed: Vec<(String, String)> = ["Content-Type", "X-Project-Id"]
        .iter()
        .map(|n| (n.to_string(), header(&headers, n).unwrap().to_string()))
        .collect();
    let host = header(&headers, "Host").unwrap().to_owned();
    let reference = sign(
        &SignableRequest {
            method: "POST",
            host: &host,
            path: INFOS_PATH,
            query: &[],
            headers: &signed,
            body: &request.body,
        },
        &credentials(),
        known_time(),
    );
    let authorization = reference
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str());
    assert_eq!(header(&headers, "Authorization"), authorization);
    // A tampered body no longer verifies.
    let mut tampered = request.clone();
    tampered.body = br#"{"status":"failed","offset":0,"limit":100}"#.to_vec();
    assert!(verify_received(&tampered, &credentials(), known_time()).is_err());
}

#[tokio::test]
async fn error_bodies_are_handled_as_for_the_get() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INFOS_PATH))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("X-Request-Id", "req-bad")
                .set_body_string(
                    r#"{"error_code": "DBS.280001", "error_msg": "Invalid parameter limit"}"#,
                ),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), credentials()).build().unwrap();
    let error = client
        .list_dr_infos(
            &target(),
            &QueryDrInfoRequest::default(),
            &RequestOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.code(), Some("DBS.280001"));
    assert_eq!(error.request_id(), Some("req-bad"));
    assert!(
        error.message().contains("Invalid parameter limit"),
        "{error}"
    );
    assert_no_secret(&error);

    // A 200 whose body is cut short is a decode error naming ListDrInfos.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"total_count": 3, "instance_dr_in"#),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), credentials()).build().unwrap();
    let error = client
        .list_dr_infos(
            &target(),
            &QueryDrInfoRequest::default(),
            &RequestOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(error.message().contains("ListDrInfos"), "{error}");
}

#[tokio::test]
async fn every_page_is_fetched_over_http_and_merged() {
    let server = MockServer::start().await;
    for (offset, ids) in [(0, 0..100), (100, 100..200), (200, 200..230)] {
        Mock::given(method("POST"))
            .and(path(INFOS_PATH))
            .and(body_partial_json(
                serde_json::json!({"offset": offset, "limit": 100, "order": "ASC", "sort_field": "time"}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_string(page(ids, 230)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client_for(&server.uri(), credentials()).build().unwrap();
    let all = list_all(
        &client,
        &target(),
        &QueryDrInfoRequest::default(),
        &RequestOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(all.total_count, Some(230));
    assert_eq!(all.instance_dr_infos.len(), 230);
    server.verify().await;
}
