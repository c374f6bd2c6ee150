//! The details of each finding code: one type per code, named like it,
//! serialised as the JSON object under a finding's `"details"`. Fields are
//! declared in the order they are written (by name), so that the JSON of a
//! finding is the same whatever builds it. `docs/findings.md` states each.

use serde::{Deserialize, Serialize};

use crate::builder::Side;
use crate::view::EdgeStatus;

/// `query-failed`: a target that could not be fetched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueryFailed {
    /// Every error seen for the target, joined by `; `.
    pub message: String,
    /// `ListDrInfos` when that operation failed (absent for ListDrRelations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The target, `REGION/PROJECT_ID`.
    pub source: String,
}

/// `malformed-record`: a record, or a peer object in it, without a usable
/// `instance_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MalformedRecord {
    /// `record`, `instance_id`, `master_instance` or `slave_instances[i]`.
    pub field: String,
    /// The record's index in `instance_dr_relations`.
    pub index: usize,
    /// The record's own instance id, when it has a usable one.
    pub instance_id: Option<String>,
    /// What is wrong, for people.
    pub reason: String,
    /// The capture's source, `REGION/PROJECT_ID`.
    pub source: String,
}

/// Where the silent (or unqueried) side of a one-sided edge is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OtherSide {
    /// Its project id, if known.
    pub project_id: Option<String>,
    /// Its region, if known.
    pub region: Option<String>,
}

/// `unconfirmed-edge`: one side claims the edge; the other was queried and
/// does not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UnconfirmedEdge {
    /// The side whose records claim it.
    #[serde(with = "side")]
    pub claimed_by: Side,
    /// The DR's id.
    pub dr: String,
    /// Where the silent side is.
    pub other_side: OtherSide,
    /// The primary's id.
    pub primary: String,
    /// The sources whose records claim it, `REGION/PROJECT_ID`, sorted.
    pub sources: Vec<String>,
    /// `primary-only` or `dr-only`.
    pub status: EdgeStatus,
}

/// `unverified-edge`: one side claims the edge; the other was not queried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UnverifiedEdge {
    /// The side whose records claim it.
    #[serde(with = "side")]
    pub claimed_by: Side,
    /// The DR's id.
    pub dr: String,
    /// Where the unqueried side is.
    pub other_side: OtherSide,
    /// Whether that side's target was given and could not be fetched.
    pub other_side_failed: bool,
    /// The primary's id.
    pub primary: String,
    /// The sources whose records claim it, `REGION/PROJECT_ID`, sorted.
    pub sources: Vec<String>,
}

/// One claimed primary of a [`ConflictingPrimary`] DR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClaimedPrimary {
    /// The sides whose records claim the edge, sorted by name.
    #[serde(with = "sides")]
    pub claimed_by: Vec<Side>,
    /// The primary's id.
    pub id: String,
    /// The sources of those records, sorted.
    pub sources: Vec<String>,
}

/// `conflicting-primary`: a DR with several claimed primaries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConflictingPrimary {
    /// The DR's id.
    pub dr: String,
    /// Every claimed primary, sorted by id.
    pub primaries: Vec<ClaimedPrimary>,
}

/// The part of a record that makes a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordPart {
    /// The record itself (it is the instance's own).
    Record,
    /// Its `master_instance` (the record speaks for a DR).
    MasterInstance,
    /// An entry of its `slave_instances` (the record speaks for a primary).
    SlaveInstances,
}

impl RecordPart {
    /// The peer field of a record speaking for `side`.
    pub(crate) fn peer_of(side: Side) -> RecordPart {
        match side {
            Side::Dr => RecordPart::MasterInstance,
            Side::Primary => RecordPart::SlaveInstances,
        }
    }
}

/// One self-naming claim of a [`SelfRelation`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SelfClaim {
    /// `master_instance` or `slave_instances`.
    pub field: RecordPart,
    /// The capture's source.
    pub source: String,
}

/// `self-relation`: an instance named as its own primary or DR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SelfRelation {
    /// Every such claim, by source.
    pub claims: Vec<SelfClaim>,
}

/// `cycle`: primary -> DR edges that form a cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cycle {
    /// Every member, sorted.
    pub members: Vec<String>,
    /// The ring `a -> b -> ... -> a` when the members form exactly one
    /// simple cycle, else `null`.
    pub path: Option<Vec<String>>,
}

/// Who stated a value: an instance's own record in a source, or a peer
/// object in another instance's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Claimant {
    /// The instance whose record holds the peer object (absent for an own
    /// record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The capture's source.
    pub source: String,
    /// `record`, `master_instance` or `slave_instances`.
    pub via: RecordPart,
}

/// One location claimed in a [`LocationConflict`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClaimedLocation {
    /// Who claims it.
    pub claimed_by: Vec<Claimant>,
    /// The claimed project id, if any.
    pub project_id: Option<String>,
    /// The claimed region, if any.
    pub region: Option<String>,
}

/// `location-conflict`: one instance in several locations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LocationConflict {
    /// Every location claimed, sorted.
    pub claims: Vec<ClaimedLocation>,
}

/// One project name claimed in a [`ProjectNameConflict`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClaimedName {
    /// Who claims it.
    pub claimed_by: Vec<Claimant>,
    /// The name.
    pub project_name: String,
}

/// `project-name-conflict`: one instance and project with several names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProjectNameConflict {
    /// Every name claimed, sorted.
    pub names: Vec<ClaimedName>,
    /// The project.
    pub project_id: String,
}

/// `same-region-dr`: a DR in its primary's region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SameRegionDr {
    /// The DR's id.
    pub dr: String,
    /// The primary's id.
    pub primary: String,
    /// The region of both.
    pub region: String,
}

/// `no-cross-region-dr`: a primary whose DRs are all in its region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NoCrossRegionDr {
    /// Its DRs, sorted.
    pub drs: Vec<String>,
    /// Its region.
    pub region: String,
}

/// `cascaded-dr`: an instance that is a DR and a primary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CascadedDr {
    /// Its DRs, sorted.
    pub drs: Vec<String>,
    /// Its primaries, sorted.
    pub primaries: Vec<String>,
}

/// `duplicate-record`: one instance in several records of one response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DuplicateRecord {
    /// The most records of one capture of the source.
    pub records: usize,
    /// The source.
    pub source: String,
}

/// `empty-record`: a record with neither `master_instance` nor any
/// `slave_instances`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmptyRecord {
    /// The source.
    pub source: String,
}

/// `dr-failed`: an edge whose health is `failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DrFailed {
    /// The DR's id.
    pub dr: String,
    /// The deciding record's `failed_message`, if any.
    pub failed_message: Option<String>,
    /// The primary's id.
    pub primary: String,
    /// The deciding record's `status` as received.
    pub status: Option<String>,
}

/// `replication-broken`: an edge whose health is `broken`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReplicationBroken {
    /// The DR's id.
    pub dr: String,
    /// The primary's id.
    pub primary: String,
    /// `replica_state` as received (`-1`).
    pub replica_state: String,
    /// The deciding record's `status` as received.
    pub status: Option<String>,
}

/// `replication-lagging`: an edge whose health is `lagging`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReplicationLagging {
    /// The DR's id.
    pub dr: String,
    /// The replay delay threshold, ms.
    pub max_delay_ms: f64,
    /// The lag threshold, MB.
    pub max_lag_mb: f64,
    /// The primary's id.
    pub primary: String,
    /// Replay delay, ms, if known.
    pub replay_delay_ms: Option<f64>,
    /// Replay lag, MB, if known.
    pub replay_lag_mb: Option<f64>,
    /// Send lag, MB, if known.
    pub send_lag_mb: Option<f64>,
}

/// `health-missing`: an edge with no ListDrInfos record although
/// ListDrInfos was captured where one of its ends is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthMissing {
    /// The DR's id.
    pub dr: String,
    /// The primary's id.
    pub primary: String,
    /// The ends' (region, project) whose ListDrInfos was captured, sorted.
    pub sources: Vec<String>,
}

/// `health-orphan`: a ListDrInfos record whose pair is no edge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthOrphan {
    /// The record's `slave_instance_id`.
    pub dr: String,
    /// The record's `id`.
    pub id: String,
    /// The record's `master_instance_id`.
    pub primary: String,
    /// The ListDrInfos capture's source.
    pub source: String,
}

/// One record of a [`HealthConflict`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthRecord {
    /// The record's `id`.
    pub id: String,
    /// Its `master_region`.
    pub master_region: Option<String>,
    /// Its `replica_state`.
    pub replica_state: Option<String>,
    /// Its `slave_region`.
    pub slave_region: Option<String>,
    /// The ListDrInfos capture's source.
    pub source: String,
    /// Its `status` as received.
    pub status: Option<String>,
}

/// `health-conflict`: records for one edge disagree, or disagree with the
/// instances' regions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthConflict {
    /// The DR's id.
    pub dr: String,
    /// What disagrees, sorted: `master_region`, `replica_state`,
    /// `slave_region`, `status`.
    pub fields: Vec<String>,
    /// The primary's id.
    pub primary: String,
    /// Every record for the edge, sorted.
    pub records: Vec<HealthRecord>,
}

/// [`Side`] as its name (`primary`, `dr`).
mod side {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::builder::Side;

    pub(super) fn serialize<S: Serializer>(side: &Side, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(side.as_str())
    }

    pub(super) fn parse<E: Error>(name: &str) -> Result<Side, E> {
        match name {
            "primary" => Ok(Side::Primary),
            "dr" => Ok(Side::Dr),
            other => Err(E::custom(format!("unknown side `{other}`"))),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Side, D::Error> {
        parse(&String::deserialize(deserializer)?)
    }
}

/// A list of [`Side`]s as their names.
mod sides {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::builder::Side;

    pub(super) fn serialize<S: Serializer>(
        sides: &[Side],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(sides.iter().map(|s| s.as_str()))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Side>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|name| super::side::parse(name))
            .collect()
    }
}
