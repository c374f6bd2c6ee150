//! The last decoder: the model's lenient types, which decide every
//! malformed record and peer; their records written as [`Records`] (and a
//! ListDrInfos answer's as [`InfoRecords`]), like the other decoders' (so
//! one function turns every decoder's records into claims).

use rds_dr_model::{DrPeer, Lenient, ListDrInfosResponse, ListDrRelationsResponse};

use crate::health::records::{InfoRecords, InfoRecordsOut, RawInfo};
use crate::records::{Records, RecordsOut};

/// `response`'s records.
pub(crate) fn records(response: &ListDrRelationsResponse) -> Records {
    let list = &response.instance_dr_relations;
    let mut out = RecordsOut::default();
    out.records.records.reserve(list.len());
    for record in list {
        let added = match record {
            Lenient::Malformed(m) => out.bad_record(&m.error),
            Lenient::Valid(r) => {
                let start = out.records.peers.len();
                r.master_instance
                    .iter()
                    .chain(&r.slave_instances)
                    .try_for_each(|p| peer(&mut out, p))
                    .and_then(|()| {
                        out.record(
                            r.instance_id.as_deref().map(str::as_bytes),
                            r.master_instance.is_some(),
                        )
                    })
                    .or_else(|reason| {
                        // Only a capture of more than 4 GiB of text: the
                        // record is dropped with its peers, and said so.
                        out.records.peers.truncate(start);
                        out.records
                            .bad_peers
                            .retain(|&(at, _)| (at as usize) < start);
                        out.bad_record(reason)
                    })
            }
        };
        // Even the complaint did not fit: nothing more can be added.
        if added.is_err() {
            break;
        }
    }
    out.records
}

fn peer<'a>(out: &mut RecordsOut<'a>, peer: &'a Lenient<DrPeer>) -> Result<(), &'static str> {
    match peer {
        Lenient::Malformed(m) => out.bad_peer(&m.error),
        Lenient::Valid(p) => {
            let bytes = |s: &'a Option<String>| s.as_deref().map(str::as_bytes);
            out.peer(
                bytes(&p.instance_id),
                bytes(&p.region),
                bytes(&p.project_id),
                bytes(&p.project_name),
            )
        }
    }
}

/// `response`'s ListDrInfos records, read as the scanner reads them.
pub(crate) fn infos_records(response: &ListDrInfosResponse) -> InfoRecords {
    let mut out = InfoRecordsOut::default();
    for item in &response.instance_dr_infos {
        match item {
            Lenient::Malformed(m) => {
                // The instance ids the raw record names, as received.
                let ids = serde_json::to_value(&m.raw)
                    .ok()
                    .map(|raw| {
                        ["master_instance_id", "slave_instance_id"]
                            .iter()
                            .filter_map(|k| raw.get(k).and_then(|v| v.as_str()))
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                out.not_a_record(&m.error, ids);
            }
            Lenient::Valid(info) => {
                fn bytes(s: &Option<String>) -> Option<&[u8]> {
                    s.as_deref().map(str::as_bytes)
                }
                let raw = RawInfo {
                    id: bytes(&info.id),
                    status: bytes(&info.status),
                    master: bytes(&info.master_instance_id),
                    master_region: bytes(&info.master_region),
                    slave: bytes(&info.slave_instance_id),
                    slave_region: bytes(&info.slave_region),
                    time: info.time,
                    failed_message: bytes(&info.failed_message),
                    replica_state: bytes(&info.replica_state),
                    lags: [
                        bytes(&info.wal_write_receive_delay_in_mb),
                        bytes(&info.wal_write_replay_delay_in_mb),
                        bytes(&info.wal_receive_replay_delay_in_ms),
                    ],
                };
                // Its strings are UTF-8: only more than 4 GiB fails.
                if out.record(&raw).is_err() {
                    out.too_large();
                }
            }
        }
    }
    out.finish()
}
