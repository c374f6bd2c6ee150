//! ListDrInfos as the fake serves it: one project's records, filtered,
//! sorted and paged as the API does.

use std::cmp::Ordering;

use bytes::Bytes;
use rds_dr_model::QueryDrInfoRequest;
use serde_json::Value;

/// One served ListDrInfos record: its value (to filter and sort on) and its
/// text, encoded once when the fleet is loaded (a page is the texts joined).
#[derive(Debug)]
pub(crate) struct Record {
    value: Value,
    text: String,
}

impl Record {
    pub(crate) fn new(value: Value) -> Record {
        // Encoding a JSON value into memory cannot fail.
        let text = serde_json::to_string(&value).unwrap_or_else(|_| "null".to_owned());
        Record { value, text }
    }
}

/// The DBS code of a page the API refuses (`limit` outside 1-100, a
/// negative `offset`, a body that is not a `QueryDrInfoRequest`): the fake's
/// own choice of a plausible RDS code.
pub(crate) const BAD_REQUEST_CODE: &str = "DBS.280001";

/// Why a ListDrInfos request is refused (HTTP 400).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadRequest {
    pub(crate) en: String,
    pub(crate) zh: String,
}

/// Reads the request body: empty is every default; otherwise a JSON object
/// of the request's fields (unknown fields ignored, as the API does).
pub(crate) fn parse_query(body: &[u8]) -> Result<QueryDrInfoRequest, BadRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(QueryDrInfoRequest::default());
    }
    serde_json::from_slice(body).map_err(|e| BadRequest {
        en: format!("Invalid request body: {e}."),
        zh: format!("请求体无效：{e}。"),
    })
}

/// Whether the API accepts `query`'s page, order and sort field.
pub(crate) fn check(query: &QueryDrInfoRequest) -> Result<(), BadRequest> {
    page(&[], query).map(|_| ())
}

/// One page of `records` as the API answers `query`: the records matching
/// every filter given, sorted by `sort_field` (default `time`) in `order`
/// (default `DESC`; ties keep the recorded order), then `limit` (default
/// 10) of them from `offset` (default 0); `total_count` counts every match.
pub(crate) fn page(records: &[Record], query: &QueryDrInfoRequest) -> Result<Bytes, BadRequest> {
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(BadRequest {
            en: format!("Invalid parameter limit: {limit}. It must be from 1 to 100."),
            zh: format!("参数 limit 无效：{limit}，取值范围为 1 到 100。"),
        });
    }
    if offset < 0 {
        return Err(BadRequest {
            en: format!("Invalid parameter offset: {offset}. It must be 0 or greater."),
            zh: format!("参数 offset 无效：{offset}，不能小于 0。"),
        });
    }
    let sort_field = query.sort_field.as_deref().unwrap_or("time");
    if !matches!(
        sort_field,
        "status" | "time" | "master_region" | "slave_region"
    ) {
        return Err(BadRequest {
            en: format!(
                "Invalid parameter sort_field: {sort_field}. It must be status, time, master_region or slave_region."
            ),
            zh: format!("参数 sort_field 无效：{sort_field}。"),
        });
    }
    let descending = match query.order.as_deref().unwrap_or("DESC") {
        "DESC" | "desc" => true,
        "ASC" | "asc" => false,
        other => {
            return Err(BadRequest {
                en: format!("Invalid parameter order: {other}. It must be DESC or ASC."),
                zh: format!("参数 order 无效：{other}，取值为 DESC 或 ASC。"),
            });
        }
    };
    let mut matching: Vec<&Record> = records
        .iter()
        .filter(|r| matches(&r.value, query))
        .collect();
    matching.sort_by(|a, b| {
        let ordering = compare(&a.value, &b.value, sort_field);
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    let total = matching.len();
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
    let end = start
        .saturating_add(usize::try_from(limit).unwrap_or(0))
        .min(total);
    let page = &matching[start..end];
    let mut body = String::with_capacity(64 + page.iter().map(|r| r.text.len() + 1).sum::<usize>());
    body.push_str(&format!(
        "{{\"total_count\":{total},\"instance_dr_infos\":["
    ));
    for (i, record) in page.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&record.text);
    }
    body.push_str("]}");
    Ok(Bytes::from(body))
}

fn text<'a>(record: &'a Value, field: &str) -> Option<&'a str> {
    record.get(field).and_then(Value::as_str)
}

fn time(record: &Value) -> Option<i64> {
    record.get("time").and_then(Value::as_i64)
}

fn matches(record: &Value, query: &QueryDrInfoRequest) -> bool {
    let equal = |field: &str, wanted: &Option<String>| {
        wanted
            .as_deref()
            .is_none_or(|wanted| text(record, field) == Some(wanted))
    };
    equal("id", &query.id)
        && equal("status", &query.status)
        && equal("master_instance_id", &query.master_instance_id)
        && equal("master_region", &query.master_region)
        && equal("slave_instance_id", &query.slave_instance_id)
        && equal("slave_region", &query.slave_region)
        && query
            .create_at_start
            .is_none_or(|start| time(record).is_some_and(|t| t >= start))
        && query
            .create_at_end
            .is_none_or(|end| time(record).is_some_and(|t| t <= end))
}

/// Records without the field sort before those with it (ascending).
fn compare(a: &Value, b: &Value, field: &str) -> Ordering {
    if field == "time" {
        time(a).cmp(&time(b))
    } else {
        text(a, field).cmp(&text(b, field))
    }
}

/// The records of a project's ListDrInfos envelopes, concatenated in order;
/// a `response` without an `instance_dr_infos` array adds none.
pub(crate) fn records_of(responses: &[&Value]) -> Vec<Record> {
    responses
        .iter()
        .filter_map(|r| r.get("instance_dr_infos").and_then(Value::as_array))
        .flatten()
        .cloned()
        .map(Record::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, status: &str, master_region: &str, time: i64) -> Value {
        json!({"id": id, "status": status, "master_instance_id": format!("{id}-p"),
               "master_region": master_region, "slave_instance_id": format!("{id}-d"),
               "slave_region": "cn-east-3", "time": time, "unknown": [1]})
    }

    fn ids(page: &Value) -> Vec<&str> {
        page["instance_dr_infos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect()
    }

    fn records() -> Vec<Record> {
        vec![
            record("a", "normal", "cn-north-4", 3),
            record("b", "failed", "ap-southeast-1", 1),
            record("c", "normal", "cn-north-4", 2),
            json!({"id": "d"}),
        ]
        .into_iter()
        .map(Record::new)
        .collect()
    }

    /// A page as JSON.
    fn page(records: &[Record], query: &QueryDrInfoRequest) -> Result<Value, BadRequest> {
        super::page(records, query).map(|bytes| serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn defaults_are_time_descending_ten_from_zero() {
        let page = page(&records(), &QueryDrInfoRequest::default()).unwrap();
        assert_eq!(ids(&page), ["a", "c", "b", "d"]);
        assert_eq!(page["total_count"], 4);
        assert_eq!(
            page["instance_dr_infos"][0]["unknown"][0], 1,
            "kept as recorded"
        );
    }

    #[test]
    fn filters_order_and_paging() {
        let query = |q: &str| serde_json::from_str::<QueryDrInfoRequest>(q).unwrap();
        let p = page(
            &records(),
            &query(r#"{"status": "normal", "order": "ASC"}"#),
        )
        .unwrap();
        assert_eq!(
            (ids(&p), p["total_count"].as_u64()),
            (vec!["c", "a"], Some(2))
        );
        let p = page(
            &records(),
            &query(r#"{"sort_field": "master_region", "order": "ASC", "limit": 2, "offset": 1}"#),
        )
        .unwrap();
        assert_eq!(
            ids(&p),
            ["b", "a"],
            "missing field first, then ap-, then cn- (stable)"
        );
        assert_eq!(p["total_count"], 4);
        let p = page(
            &records(),
            &query(r#"{"create_at_start": 2, "create_at_end": 3}"#),
        )
        .unwrap();
        assert_eq!(ids(&p), ["a", "c"]);
        let p = page(
            &records(),
            &query(r#"{"master_instance_id": "b-p", "slave_region": "cn-east-3"}"#),
        )
        .unwrap();
        assert_eq!(ids(&p), ["b"]);
        let p = page(&records(), &query(r#"{"offset": 10, "limit": 100}"#)).unwrap();
        assert_eq!((ids(&p).len(), p["total_count"].as_u64()), (0, Some(4)));
    }

    #[test]
    fn out_of_range_pages_and_bad_bodies_are_refused() {
        let query = |q: &str| serde_json::from_str::<QueryDrInfoRequest>(q).unwrap();
        for bad in [
            r#"{"limit": 0}"#,
            r#"{"limit": 101}"#,
            r#"{"offset": -1}"#,
            r#"{"order": "UP"}"#,
            r#"{"sort_field": "id"}"#,
        ] {
            assert!(page(&records(), &query(bad)).is_err(), "{bad}");
        }
        assert!(page(&records(), &query(r#"{"limit": 100}"#)).is_ok());
        assert!(parse_query(b"").is_ok());
        assert!(parse_query(br#"{"limit": "ten"}"#).is_err());
        assert!(parse_query(b"[1]").is_err());
        assert_eq!(
            parse_query(br#"{"limit": 5, "future": 1}"#).unwrap().limit,
            Some(5)
        );
    }
}
