//! A target's whole ListDrInfos list: [`list_all`] pages through it.
//!
//! Paging, as the contract has it: `limit` [`PAGE_SIZE`] from `offset` 0;
//! once the first page gives `total_count`, the remaining pages are asked
//! for all at once (a fleet scan's concurrency slots bound how many are in
//! flight); paging stops at an empty page or when `offset >= total_count`.
//! A page whose `total_count` is larger than the first page's extends the
//! list. Without any `total_count`, pages are fetched one after another
//! until one is empty or short. Records are de-duplicated by `id` (the first
//! copy wins; records without an id, malformed ones included, are all kept),
//! and the merged answer's `total_count` is the number of records kept.
//!
//! Pages are asked for in ascending `time` order (`order` `ASC`,
//! `sort_field` `time`), so that a DR set up while paging lands on a later
//! page instead of shifting every page after it.

use std::collections::HashSet;

use futures::future::join_all;
use rds_dr_model::{InstanceDrInfo, Lenient};

use crate::{
    ApiError, DrRelationsApi, ListDrInfosResponse, QueryDrInfoRequest, RequestOptions, Target,
};

/// Records per page: the API's maximum.
pub const PAGE_SIZE: i64 = 100;

/// A safety stop: at most this many pages (10 million records) per target,
/// whatever `total_count` says.
pub const MAX_PAGES: i64 = 100_000;

/// Fetches every page of `target`'s ListDrInfos list through `api` and
/// merges them (see the module docs). The first failed page fails the
/// whole list (pass a [`crate::retry::Retrying`] API to retry each page).
///
/// `base` carries the filters (its `offset`, `limit`, `order` and
/// `sort_field` are replaced).
///
/// ```
/// use futures::executor::block_on;
/// use rds_dr_api::{QueryDrInfoRequest, RequestOptions, Target};
/// use rds_dr_api::infos::list_all;
/// use rds_dr_api::memory::InMemoryApi;
/// use rds_dr_model::InstanceDrInfo;
///
/// let target: Target = "cn-north-4/0483b6b16e954cb88930a360d2c4e663".parse()?;
/// let records = (0..250).map(|i| InstanceDrInfo { id: Some(format!("r{i}")), ..Default::default() });
/// let api = InMemoryApi::new().with_infos(target.clone(), records);
/// let all = block_on(list_all(&api, &target, &QueryDrInfoRequest::default(), &RequestOptions::default()))?;
/// assert_eq!(all.total_count, Some(250));
/// assert_eq!(all.instance_dr_infos.len(), 250);
/// assert_eq!(api.infos_calls(&target), 3); // offsets 0, 100, 200
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn list_all<A: DrRelationsApi + ?Sized>(
    api: &A,
    target: &Target,
    base: &QueryDrInfoRequest,
    options: &RequestOptions,
) -> Result<ListDrInfosResponse, ApiError> {
    list_all_with(target, base, |query| async move {
        api.list_dr_infos(target, &query, options).await
    })
    .await
}

/// [`list_all`] over any page call: what a fleet scan uses to hold a
/// concurrency slot per page.
pub(crate) async fn list_all_with<F, Fut>(
    target: &Target,
    base: &QueryDrInfoRequest,
    page: F,
) -> Result<ListDrInfosResponse, ApiError>
where
    F: Fn(QueryDrInfoRequest) -> Fut,
    Fut: Future<Output = Result<ListDrInfosResponse, ApiError>>,
{
    let query = |offset: i64| QueryDrInfoRequest {
        offset: Some(offset),
        limit: Some(PAGE_SIZE),
        order: Some("ASC".to_owned()),
        sort_field: Some("time".to_owned()),
        ..base.clone()
    };
    let mut merged = Merged::default();
    let first = page(query(0)).await?;
    let mut total = first.total_count;
    let mut done = merged.add(first);
    let mut next = PAGE_SIZE;
    while !done {
        let offsets: Vec<i64> = match total {
            Some(total) if next < total => (next..total.min(MAX_PAGES * PAGE_SIZE))
                .step_by(PAGE_SIZE as usize)
                .collect(),
            Some(_) => break,
            // No count: one page after another.
            None if next < MAX_PAGES * PAGE_SIZE => vec![next],
            None => break,
        };
        if offsets.is_empty() {
            break;
        }
        next = offsets.last().map_or(next, |last| last + PAGE_SIZE);
        let pages = join_all(offsets.iter().map(|&offset| page(query(offset)))).await;
        for (offset, result) in offsets.iter().zip(pages) {
            let response = result?;
            if let Some(count) = response.total_count {
                total = Some(total.map_or(count, |t| t.max(count)));
            }
            tracing::trace!(%target, offset, records = response.instance_dr_infos.len(), "ListDrInfos page");
            if merged.add(response) {
                // An empty (or, without a count, short) page ends the
                // list: later pages are not used.
                done = true;
                break;
            }
        }
    }
    Ok(merged.finish())
}

/// The pages so far, de-duplicated by id.
#[derive(Default)]
struct Merged {
    records: Vec<Lenient<InstanceDrInfo>>,
    ids: HashSet<String>,
    counted: bool,
}

impl Merged {
    /// Adds a page; whether it ends the list (empty, or short without a
    /// `total_count` to go by).
    fn add(&mut self, page: ListDrInfosResponse) -> bool {
        let len = page.instance_dr_infos.len();
        self.counted |= page.total_count.is_some();
        for record in page.instance_dr_infos {
            let id = record.valid().and_then(|r| r.id.clone());
            if let Some(id) = id
                && !self.ids.insert(id)
            {
                continue;
            }
            self.records.push(record);
        }
        len == 0 || (!self.counted && (len as i64) < PAGE_SIZE)
    }

    fn finish(self) -> ListDrInfosResponse {
        ListDrInfosResponse {
            total_count: Some(self.records.len() as i64),
            instance_dr_infos: self.records,
        }
    }
}
