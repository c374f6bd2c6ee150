//! The ListDrRelations answer as the scanner reads it: a table of known
//! fields for each of its objects (the response, a record, a peer), and
//! what each field's value becomes in [`Records`]. Fields not in a table
//! are skipped. The capture envelope around it is
//! [`envelope`](super::envelope)'s.

use super::scan::{Field, Scanner, Shape};
use crate::records::{Records, RecordsOut};

/// A capture envelope of a ListDrRelations answer: its source's region and
/// project id, and its records (the envelope's table is
/// [`envelope`](super::envelope)'s).
#[cfg(test)]
pub(super) fn capture(text: &[u8]) -> Option<(&str, &str, Records)> {
    use super::envelope::Answer;
    match super::envelope::capture(text)? {
        (region, project_id, Answer::Relations(records)) => Some((region, project_id, records)),
        (_, _, Answer::Infos(_)) => None,
    }
}

/// A raw API body.
pub(super) fn response(text: &[u8]) -> Option<Records> {
    let mut scanner = Scanner::new(text);
    let records = response_object(&mut scanner)?;
    scanner.end()?;
    Some(records)
}

/// `{"instance_dr_relations": null | [record, ...]}`.
pub(super) fn response_object(sc: &mut Scanner<'_>) -> Option<Records> {
    let mut response = Response(RecordsOut::for_len(sc.len()));
    sc.object(&mut response)?;
    Some(response.0.records)
}

struct Response<'a>(RecordsOut<'a>);

impl<'a> Shape<'a> for Response<'a> {
    const FIELDS: &'static [Field] = &[Field::nested(b"\"instance_dr_relations\":")];

    fn nested(&mut self, sc: &mut Scanner<'a>, _records: usize) -> Option<()> {
        if sc.peek()? == b'n' {
            return sc.null();
        }
        sc.array(|sc| {
            let mut record = Record {
                start: self.0.records.peers.len(),
                id: None,
                has_master: false,
                out: &mut self.0,
            };
            sc.object(&mut record)?;
            let Record { id, has_master, .. } = record;
            self.0.record(id, has_master).ok()
        })
    }
}

struct Record<'o, 'a> {
    out: &'o mut RecordsOut<'a>,
    /// Where the record's peers start.
    start: usize,
    id: Option<&'a [u8]>,
    has_master: bool,
}

impl<'a> Shape<'a> for Record<'_, 'a> {
    const FIELDS: &'static [Field] = &[
        Field::text(b"\"instance_id\":"),
        Field::nested(b"\"slave_instances\":"),
        Field::nested(b"\"master_instance\":"),
    ];

    fn text(&mut self, _instance_id: usize, value: Option<&'a [u8]>) -> Option<()> {
        self.id = value;
        Some(())
    }

    fn nested(&mut self, sc: &mut Scanner<'a>, field: usize) -> Option<()> {
        if sc.peek()? == b'n' {
            return sc.null();
        }
        if field == 1 {
            return sc.array(|sc| peer(sc, self.out));
        }
        peer(sc, self.out)?;
        self.has_master = true;
        self.out.master_added(self.start);
        Some(())
    }
}

fn peer<'a>(sc: &mut Scanner<'a>, out: &mut RecordsOut<'a>) -> Option<()> {
    let mut peer = Peer::default();
    sc.object(&mut peer)?;
    let [id, region, project, name] = peer.0;
    out.peer(id, region, project, name).ok()
}

/// A peer's `instance_id`, `region`, `project_id` and `project_name`.
#[derive(Default)]
struct Peer<'a>([Option<&'a [u8]>; 4]);

impl<'a> Shape<'a> for Peer<'a> {
    const FIELDS: &'static [Field] = &[
        Field::text(b"\"instance_id\":"),
        Field::text(b"\"region\":"),
        Field::text(b"\"project_id\":"),
        Field::text(b"\"project_name\":"),
    ];

    fn text(&mut self, field: usize, value: Option<&'a [u8]>) -> Option<()> {
        self.0[field] = value;
        Some(())
    }
}
