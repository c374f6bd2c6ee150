//! The capture envelope as the scanner reads it: its source, its
//! `operation`, and its response, read by the table of the answer the
//! operation names ([`relations`](super::relations) or
//! [`infos`](super::infos)).
//!
//! A response is read by the operation seen before it; without one it is a
//! ListDrRelations response, as in every envelope written before
//! ListDrInfos existed. An `operation` that comes after a response read
//! that way and names anything else gives up, and so do an `operation`
//! of another value or `null`: the model's types then decide.

use super::scan::{Field, Scanner, Shape};
use crate::health::records::InfoRecords;
use crate::records::Records;

/// A capture's response, decoded: of the operation its envelope names.
#[derive(Debug, PartialEq)]
pub(crate) enum Answer {
    /// A ListDrRelations answer.
    Relations(Records),
    /// A ListDrInfos answer.
    Infos(InfoRecords),
}

/// A capture envelope: its source's region and project id, and its answer.
pub(super) fn capture(text: &[u8]) -> Option<(&str, &str, Answer)> {
    let mut scanner = Scanner::new(text);
    let mut envelope = Envelope::default();
    scanner.object(&mut envelope)?;
    scanner.end()?;
    let answer = match (envelope.answer, envelope.operation) {
        (Some(answer), _) => answer,
        (None, Some(Operation::Infos)) => Answer::Infos(InfoRecords::default()),
        (None, _) => Answer::Relations(Records::default()),
    };
    Some((envelope.region?, envelope.project_id?, answer))
}

#[derive(Clone, Copy, PartialEq)]
enum Operation {
    Relations,
    Infos,
}

#[derive(Default)]
struct Envelope<'a> {
    region: Option<&'a str>,
    project_id: Option<&'a str>,
    operation: Option<Operation>,
    answer: Option<Answer>,
}

const SOURCE: usize = 0;
const FETCHED_AT: usize = 1;
const OPERATION: usize = 2;

impl<'a> Shape<'a> for Envelope<'a> {
    const FIELDS: &'static [Field] = &[
        Field::nested(b"\"source\":"),
        Field::text(b"\"fetched_at\":"),
        Field::text(b"\"operation\":"),
        Field::nested(b"\"response\":"),
    ];

    fn text(&mut self, field: usize, value: Option<&'a [u8]>) -> Option<()> {
        match (field, value) {
            (FETCHED_AT, Some(time)) => std::str::from_utf8(time).ok().map(drop),
            (FETCHED_AT, None) => Some(()),
            (OPERATION, Some(b"ListDrRelations")) => {
                self.operation = Some(Operation::Relations);
                Some(())
            }
            // A response already read as relations was not this one's.
            (OPERATION, Some(b"ListDrInfos")) if self.answer.is_none() => {
                self.operation = Some(Operation::Infos);
                Some(())
            }
            _ => None,
        }
    }

    fn nested(&mut self, sc: &mut Scanner<'a>, field: usize) -> Option<()> {
        if field == SOURCE {
            let mut source = Source::default();
            sc.object(&mut source)?;
            let [region, project_id] = source.0;
            self.region = region;
            self.project_id = project_id;
        } else {
            self.answer = Some(match self.operation {
                Some(Operation::Infos) => Answer::Infos(super::infos::response_object(sc)?),
                _ => Answer::Relations(super::relations::response_object(sc)?),
            });
        }
        Some(())
    }
}

/// The envelope's `source`: its `region` and `project_id`, strings.
#[derive(Default)]
struct Source<'a>([Option<&'a str>; 2]);

impl<'a> Shape<'a> for Source<'a> {
    const FIELDS: &'static [Field] =
        &[Field::text(b"\"region\":"), Field::text(b"\"project_id\":")];

    fn text(&mut self, field: usize, value: Option<&'a [u8]>) -> Option<()> {
        self.0[field] = Some(std::str::from_utf8(value?).ok()?);
        Some(())
    }
}
