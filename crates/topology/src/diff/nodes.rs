//! Instances: OLD's nodes matched to NEW's by id, and what changed about
//! the ones in both, read from the topologies' own columns.
//!
//! Both topologies number their nodes in id order, so one walk over the
//! two id tables side by side matches them ([`Matching`]), comparing packed
//! ids as integers. A matched pair is first compared on what the build
//! settled (role, group root, place), read from small tables where it can
//! ([`SameGroup`], [`SamePlace`]); only a pair that differs there has
//! its ids written out and goes through the attribute table
//! ([`super::attributes`]), which says what changed as the views would.

use std::cmp::Ordering;

use super::{NodeChange, NodeChanges, NodeRef, attributes};
use crate::builder::LocationId;
use crate::strings::FastMap;
use crate::topology::Topology;
use crate::view::NodeView;

/// OLD's instances matched to NEW's.
pub(super) struct Matching {
    /// For each OLD node, the NEW node with its id ([`GONE`] when none).
    new_of: Vec<u32>,
    /// The NEW nodes with no OLD node, in id order.
    added: Vec<u32>,
}

/// In [`Matching::new_of`]: an OLD node that NEW lacks.
const GONE: u32 = u32::MAX;

impl Matching {
    /// Walks OLD's and NEW's ids (each in id order) side by side.
    pub(super) fn of(old: &Topology, new: &Topology) -> Matching {
        let (n, m) = (old.node_count() as u32, new.node_count() as u32);
        let mut new_of = vec![GONE; n as usize];
        let mut added = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            match old.ids.cmp_with(i, &new.ids, j) {
                Ordering::Less => i += 1,
                Ordering::Greater => {
                    added.push(j);
                    j += 1;
                }
                Ordering::Equal => {
                    new_of[i as usize] = j;
                    i += 1;
                    j += 1;
                }
            }
        }
        added.extend(j..m);
        Matching { new_of, added }
    }

    /// The NEW node with OLD node `old`'s id, if any.
    pub(super) fn new_of(&self, old: u32) -> Option<u32> {
        self.new_of
            .get(old as usize)
            .copied()
            .filter(|&n| n != GONE)
    }
}

/// Instances added, removed and changed, each list in id order.
pub(super) fn changes(old: &Topology, new: &Topology, matching: &Matching) -> NodeChanges {
    let mut out = NodeChanges {
        added: matching.added.iter().map(|&n| node_ref(new, n)).collect(),
        ..NodeChanges::default()
    };
    let mut places = SamePlace::default();
    let groups = SameGroup::of(old, new, matching);
    for (i, &j) in matching.new_of.iter().enumerate() {
        let i = i as u32;
        if j == GONE {
            out.removed.push(node_ref(old, i));
            continue;
        }
        let (a, b) = (old.state(i), new.state(j));
        if a.role == b.role
            && groups.same(old, i, new, j)
            && places.same(old, a.place, new, b.place)
        {
            continue;
        }
        // Something differs: the views of the two say what.
        let (old_id, old_group) = (old.id(i), old.id(old.group_state(i).root));
        let (new_id, new_group) = (new.id(j), new.id(new.group_state(j).root));
        let changes = attributes::node_changes(
            &node_view(old, i, &old_id, &old_group),
            &node_view(new, j, &new_id, &new_group),
        );
        if !changes.is_empty() {
            out.changed.push(NodeChange {
                id: new_id.to_owned(),
                changes,
            });
        }
    }
    out
}

/// Node `n` of `t` as [`Topology::view`] shows it, with its id and its
/// group root's id as given.
fn node_view<'a>(t: &'a Topology, n: u32, id: &'a str, group: &'a str) -> NodeView<'a> {
    let loc = t.location(t.where_is(n));
    NodeView::new(id, t.state(n).role, group).located(loc.region, loc.project_id, loc.project_name)
}

fn node_ref(t: &Topology, n: u32) -> NodeRef {
    NodeRef {
        id: t.id(n).to_owned(),
        region: t.region_of(n).map(str::to_owned),
        role: t.state(n).role,
    }
}

/// Whether an OLD node and its NEW node are in groups with the same root
/// (by id). For each OLD group, the NEW group whose root is the NEW node of
/// its root ([`GONE`] when there is none): then a node is looked up in a
/// table of groups, a few hundred kilobytes, rather than its root in the
/// table of nodes.
struct SameGroup {
    new_group_of: Vec<u32>,
}

impl SameGroup {
    fn of(old: &Topology, new: &Topology, matching: &Matching) -> SameGroup {
        let new_group_of = old
            .groups
            .iter()
            .map(|g| {
                matching
                    .new_of(g.root)
                    .map(|root| (root, new.node_group[root as usize]))
                    // The matched root must be its NEW group's root, not
                    // only a member of it.
                    .filter(|&(root, group)| new.groups[group as usize].root == root)
                    .map_or(GONE, |(_, group)| group)
            })
            .collect();
        SameGroup { new_group_of }
    }

    /// Whether OLD node `i` and NEW node `j` have groups with the same root.
    fn same(&self, old: &Topology, i: u32, new: &Topology, j: u32) -> bool {
        self.new_group_of[old.node_group[i as usize] as usize] == new.node_group[j as usize]
    }
}

/// Whether a place of OLD and one of NEW are the same location (the same
/// text; each topology interns its own strings). A fleet has few distinct
/// places, so each pair is compared once.
#[derive(Default)]
struct SamePlace {
    known: FastMap<(LocationId, LocationId), bool>,
}

impl SamePlace {
    fn same(&mut self, old: &Topology, a: LocationId, new: &Topology, b: LocationId) -> bool {
        *self
            .known
            .entry((a, b))
            .or_insert_with(|| old.location(old.loc_at(a)) == new.location(new.loc_at(b)))
    }
}
