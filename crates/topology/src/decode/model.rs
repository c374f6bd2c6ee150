//! The last decoder: the model's lenient types, which decide every
//! malformed record and peer; their records written as [`Records`], like
//! the other decoders' (so one function turns every decoder's records into
//! claims).

use rds_dr_model::{DrPeer, Lenient, ListDrRelationsResponse};

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
