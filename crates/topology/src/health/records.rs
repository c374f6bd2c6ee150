//! A capture's ListDrInfos records, decoded: the one shape every decoder
//! writes (the scanner and the model's lenient types alike), and the rules
//! that read a record's fields (trimmed ids, lags, `time`) the way the
//! model does, so that both decoders give the same records.
//!
//! Like the relations' [`Records`](crate::records::Records), it is flat and
//! owned, so that decoding runs on the reading threads: instance ids are
//! packed and hashed ([`PreId`]), each distinct short string (a region, a
//! `status`, a `replica_state`, a `failed_message`) is stored once per
//! capture, and a record's own `id` is a span of one buffer. A usable
//! record costs no allocation of its own.

use rds_dr_model::{BadLag, Lags};

use crate::ids::PreId;
use crate::records::{NO_ATTR, RecordsOut};

/// No string (an index in [`InfoRecords::strs`]).
pub(crate) const NO_STR: u32 = NO_ATTR;

/// The names of the three lag fields, in [`Lags`] order.
pub(crate) const LAG_FIELDS: [&str; 3] = [
    "wal_write_receive_delay_in_mb",
    "wal_write_replay_delay_in_mb",
    "wal_receive_replay_delay_in_ms",
];

/// A capture's ListDrInfos records, flat.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct InfoRecords {
    /// Record ids, the instance ids that do not pack, the distinct strings.
    pub(crate) text: String,
    /// The distinct strings: spans of `text`.
    pub(crate) strs: Vec<(u32, u32)>,
    /// The usable records, in order.
    pub(crate) records: Vec<InfoRecord>,
    /// The records that could not be used, in order.
    pub(crate) bad: Vec<BadRecord>,
}

/// One usable record: it has a non-blank `id`, `master_instance_id` and
/// `slave_instance_id`, and its lags are numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct InfoRecord {
    /// The record's `id`, trimmed: a span of [`InfoRecords::text`].
    pub(crate) id: (u32, u32),
    /// `master_instance_id` and `slave_instance_id`, trimmed.
    pub(crate) ends: [PreId; 2],
    /// Indices in [`InfoRecords::strs`] (or [`NO_STR`]): `master_region`,
    /// `slave_region`, `failed_message` and `replica_state` trimmed and
    /// only when not blank; `status` exactly as received.
    pub(crate) master_region: u32,
    pub(crate) slave_region: u32,
    pub(crate) status: u32,
    pub(crate) failed_message: u32,
    pub(crate) replica_state: u32,
    pub(crate) lags: Lags,
    pub(crate) time: Option<i64>,
}

/// A record that could not be used, as `malformed-record` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BadRecord {
    /// Its index in `instance_dr_infos`.
    pub(crate) index: usize,
    pub(crate) field: String,
    pub(crate) reason: String,
    /// The instance ids it names (trimmed, not blank), master first.
    pub(crate) ids: Vec<String>,
}

impl InfoRecords {
    /// The text of a span of `text`.
    pub(crate) fn span(&self, (start, end): (u32, u32)) -> &str {
        &self.text[start as usize..end as usize]
    }

    /// String `i` of `strs` ([`NO_STR`]: none).
    pub(crate) fn str(&self, i: u32) -> Option<&str> {
        (i != NO_STR).then(|| self.span(self.strs[i as usize]))
    }

    /// An instance id's text.
    pub(crate) fn id_text(&self, id: &PreId) -> String {
        let mut s = String::new();
        id.write(&self.text, &mut s);
        s
    }

    /// Every record as text, in order: for the tests that compare
    /// decoders.
    #[cfg(test)]
    pub(crate) fn plain(&self) -> Vec<String> {
        let good = self.records.iter().map(|r| {
            format!(
                "{} {} -> {} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                self.span(r.id),
                self.id_text(&r.ends[0]),
                self.id_text(&r.ends[1]),
                self.str(r.master_region),
                self.str(r.slave_region),
                self.str(r.status),
                self.str(r.failed_message),
                self.str(r.replica_state),
                (r.lags.send_mb, r.lags.replay_mb, r.lags.replay_delay_ms),
                r.time,
            )
        });
        let bad = self.bad.iter().map(|b| format!("{b:?}"));
        good.chain(bad).collect()
    }
}

/// The fields of one record as a decoder read them: strings as bytes of
/// the input (`None` when absent or `null`), lags as their text.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RawInfo<'de> {
    pub(crate) id: Option<&'de [u8]>,
    pub(crate) status: Option<&'de [u8]>,
    pub(crate) master: Option<&'de [u8]>,
    pub(crate) master_region: Option<&'de [u8]>,
    pub(crate) slave: Option<&'de [u8]>,
    pub(crate) slave_region: Option<&'de [u8]>,
    pub(crate) time: Option<i64>,
    pub(crate) failed_message: Option<&'de [u8]>,
    pub(crate) replica_state: Option<&'de [u8]>,
    /// The lags' text: a string's contents, or a number as JSON writes it.
    pub(crate) lags: [Option<&'de [u8]>; 3],
}

impl RawInfo<'_> {
    /// Every string is UTF-8 (a record that is not used is still read
    /// whole by the model, which refuses what is not).
    fn all_utf8(&self) -> Result<(), ()> {
        let strings = [
            self.id,
            self.status,
            self.master,
            self.master_region,
            self.slave,
            self.slave_region,
            self.failed_message,
            self.replica_state,
        ];
        strings
            .into_iter()
            .chain(self.lags)
            .flatten()
            .try_for_each(|s| std::str::from_utf8(s).map(drop).map_err(drop))
    }
}

/// [`InfoRecords`] while they are being decoded from `'de` bytes: the
/// relations' writer lends its table of distinct strings.
#[derive(Default)]
pub(crate) struct InfoRecordsOut<'de> {
    strings: RecordsOut<'de>,
    records: Vec<InfoRecord>,
    bad: Vec<BadRecord>,
    /// The index of the next record.
    index: usize,
}

/// The trimmed text of `s`, if it is UTF-8 and not blank (`Err` when it is
/// not UTF-8: only the scanner meets such bytes, and gives up).
fn trimmed(s: Option<&[u8]>) -> Result<Option<&[u8]>, ()> {
    let Some(s) = s else { return Ok(None) };
    // A visible ASCII byte at both ends: nothing to trim (the usual case).
    if let (Some(a), Some(b)) = (s.first(), s.last())
        && a.is_ascii_graphic()
        && b.is_ascii_graphic()
    {
        return Ok(Some(s));
    }
    let text = std::str::from_utf8(s).map_err(drop)?.trim();
    Ok((!text.is_empty()).then_some(text.as_bytes()))
}

/// Lag `k`'s value by the model's rule ([`Lags::parse`]): `Err(None)` when
/// the bytes are not UTF-8.
pub(crate) fn lag_value(k: usize, text: &[u8]) -> Result<Option<f64>, Option<BadLag>> {
    let text = std::str::from_utf8(text).map_err(|_| None)?;
    Lags::parse(LAG_FIELDS[k], text).map_err(Some)
}

impl<'de> InfoRecordsOut<'de> {
    /// Room for the records of a body of `len` bytes (a compact record
    /// takes about 430).
    pub(crate) fn for_len(len: usize) -> Self {
        let mut out = InfoRecordsOut::default();
        out.records.reserve(len / 400);
        out
    }

    /// A string kept as one of the capture's distinct strings.
    fn str(&mut self, s: Option<&'de [u8]>) -> Result<u32, ()> {
        self.strings.attr(s).map_err(drop)
    }

    /// An instance id, trimmed and not blank.
    fn end(&mut self, id: &'de [u8]) -> Result<PreId, ()> {
        if let Some(pre) = PreId::packed(id) {
            return Ok(pre);
        }
        let id = std::str::from_utf8(id).map_err(drop)?;
        let text = &mut self.strings.records.text;
        if text.len() + id.len() > u32::MAX as usize {
            return Err(());
        }
        Ok(PreId::unpacked(id, text))
    }

    /// Adds the next record. `Err`: a string is not UTF-8, or the capture
    /// is too large to index (the scanner then gives up, and the model's
    /// types decide).
    pub(crate) fn record(&mut self, raw: &RawInfo<'de>) -> Result<(), ()> {
        let index = self.index;
        self.index += 1;
        let (id, master, slave) = (trimmed(raw.id)?, trimmed(raw.master)?, trimmed(raw.slave)?);
        let named = || -> Result<Vec<String>, ()> {
            [master, slave]
                .into_iter()
                .flatten()
                .map(|s| std::str::from_utf8(s).map(str::to_owned).map_err(drop))
                .collect()
        };
        let missing = [
            ("id", id.is_none()),
            ("master_instance_id", master.is_none()),
            ("slave_instance_id", slave.is_none()),
        ]
        .into_iter()
        .find(|&(_, missing)| missing);
        if let Some((field, _)) = missing {
            raw.all_utf8()?;
            self.bad.push(BadRecord {
                index,
                field: field.to_owned(),
                reason: format!("the record has no usable `{field}`"),
                ids: named()?,
            });
            return Ok(());
        }
        let mut lags = [None; 3];
        for (k, text) in raw.lags.iter().enumerate() {
            let Some(text) = text else { continue };
            match lag_value(k, text) {
                Ok(value) => lags[k] = value,
                Err(None) => return Err(()),
                Err(Some(bad)) => {
                    raw.all_utf8()?;
                    self.bad.push(BadRecord {
                        index,
                        field: bad.field.to_owned(),
                        reason: bad.to_string(),
                        ids: named()?,
                    });
                    return Ok(());
                }
            }
        }
        let (Some(id), Some(master), Some(slave)) = (id, master, slave) else {
            return Ok(());
        };
        let id = std::str::from_utf8(id).map_err(drop)?;
        let text = &mut self.strings.records.text;
        let start = u32::try_from(text.len()).map_err(drop)?;
        text.push_str(id);
        let end = u32::try_from(text.len()).map_err(drop)?;
        let mut read = Lags::default();
        [read.send_mb, read.replay_mb, read.replay_delay_ms] = lags;
        let record = InfoRecord {
            id: (start, end),
            ends: [self.end(master)?, self.end(slave)?],
            master_region: self.str(trimmed(raw.master_region)?)?,
            slave_region: self.str(trimmed(raw.slave_region)?)?,
            status: self.str(raw.status)?,
            failed_message: self.str(trimmed(raw.failed_message)?)?,
            replica_state: self.str(trimmed(raw.replica_state)?)?,
            lags: read,
            time: raw.time,
        };
        self.records.push(record);
        Ok(())
    }

    /// Adds the next record, one that is not a record at all (only the
    /// model's types find them), with the decoder's complaint.
    pub(crate) fn not_a_record(&mut self, reason: &str, ids: Vec<String>) {
        self.bad.push(BadRecord {
            index: self.index,
            field: "record".to_owned(),
            reason: reason.to_owned(),
            ids,
        });
        self.index += 1;
    }

    /// Complains about the record just given to [`record`](Self::record),
    /// which could not be added: the capture is too large to index (more
    /// than 4 GiB of text).
    pub(crate) fn too_large(&mut self) {
        self.bad.push(BadRecord {
            index: self.index - 1,
            field: "record".to_owned(),
            reason: "capture too large".to_owned(),
            ids: Vec::new(),
        });
    }

    /// The records decoded.
    pub(crate) fn finish(self) -> InfoRecords {
        let strings = self.strings.records;
        InfoRecords {
            text: strings.text,
            strs: strings.attrs,
            records: self.records,
            bad: self.bad,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lags_read_as_the_model_reads_them() {
        use rds_dr_model::InstanceDrInfo;
        for text in [
            "",
            " ",
            "1.5",
            " 12.25 ",
            "-0",
            "0",
            "n/a",
            "NaN",
            "inf",
            "1e3",
            "1e400",
            "+2",
            "1.",
            ".5",
            "--1",
            "1_000",
            "\u{a0}7",
            "12345678901234567890123",
        ] {
            let info = InstanceDrInfo {
                wal_write_receive_delay_in_mb: Some(text.to_owned()),
                ..Default::default()
            };
            let model = info
                .lags()
                .map(|l| l.send_mb.map(f64::to_bits))
                .map_err(|e| e.text);
            let ours = lag_value(0, text.as_bytes())
                .map(|v| v.map(f64::to_bits))
                .map_err(|e| e.expect("UTF-8").text);
            assert_eq!(ours, model, "{text:?}");
        }
        assert_eq!(lag_value(0, b"\xff"), Err(None));
    }

    #[test]
    fn ids_are_trimmed_and_blank_is_missing() {
        assert_eq!(trimmed(Some(b"  a b ")), Ok(Some(&b"a b"[..])));
        assert_eq!(trimmed(Some(b"ab")), Ok(Some(&b"ab"[..])));
        assert_eq!(trimmed(Some(" \u{3000}".as_bytes())), Ok(None));
        assert_eq!(trimmed(Some(b"")), Ok(None));
        assert_eq!(trimmed(None), Ok(None));
        assert_eq!(trimmed(Some(b" \xff")), Err(()));
    }
}
