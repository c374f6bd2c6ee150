//! DR groups and roles: the weakly connected components of the primary ->
//! DR graph, each with its root primary and depth, and each instance's role
//! ([`Role`]). Both are functions of the edges alone, so they are made
//! beside the other analyses.

use petgraph::unionfind::UnionFind;

use crate::bucket::bucket_by;
use crate::topology::Topology;
use crate::view::Role;

/// A DR group: a weakly connected component of the primary -> DR graph.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Group<'a> {
    /// The root primary: the smallest id without a primary; the smallest id
    /// when every member has one (a cycle).
    pub root: &'a str,
    /// Members, sorted by id (a standalone instance is a group of one).
    pub members: Vec<&'a str>,
    /// Longest shortest DR path from a member without a primary: 0 for a
    /// standalone instance, 1 for a primary with DRs, 2 with a cascade.
    pub depth: usize,
}

/// A group as the topology keeps it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GroupData {
    pub(crate) root: u32,
    depth: u32,
    /// Members: `Topology::members[start..start + len]`, sorted.
    start: u32,
    len: u32,
}

/// What a node has of the edges, in a byte (a quarter of the memory of a
/// count, so the passes that look nodes up at random miss the cache less).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Degree(u8);

impl Degree {
    /// At least one primary.
    pub(crate) const PRIMARY: u8 = 1;
    /// Two primaries or more.
    pub(crate) const SEVERAL_PRIMARIES: u8 = 2;
    /// At least one DR.
    pub(crate) const DR: u8 = 4;

    pub(crate) fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    fn add_dr(&mut self) {
        self.0 |= Self::DR;
    }

    fn add_primary(&mut self) {
        if self.has(Self::PRIMARY) {
            self.0 |= Self::SEVERAL_PRIMARIES;
        }
        self.0 |= Self::PRIMARY;
    }

    /// The role of a node with this degree.
    pub(crate) fn role(self) -> Role {
        match (self.has(Self::PRIMARY), self.has(Self::DR)) {
            (false, false) => Role::Standalone,
            (false, true) => Role::Primary,
            (true, false) => Role::Dr,
            (true, true) => Role::Cascaded,
        }
    }
}

/// The weakly connected components of the graph of `n` nodes whose edges
/// are the distinct `(primary, dr)` pairs (ascending), numbered in order of
/// their smallest member, from a union-find over the pairs.
struct Components {
    /// Every component's members, sorted, back to back: component `c`'s
    /// are `members[starts[c]..starts[c + 1]]`.
    members: Vec<u32>,
    starts: Vec<u32>,
    /// Each node's DRs are `pairs[out_start[m]..out_start[m + 1]]`.
    out_start: Vec<u32>,
    /// `n` entries of memory to reuse (the component ids).
    scratch: Vec<u32>,
}

impl Components {
    /// The components, and each node's [`Degree`] (which the roles need
    /// too).
    fn of(n: usize, pairs: &[(u32, u32)]) -> (Components, Vec<Degree>) {
        let mut sets = UnionFind::<u32>::new(n);
        let mut degree = vec![Degree::default(); n];
        // Outgoing adjacency: the pairs are sorted by primary, so each
        // node's DRs are one run of them.
        let mut out_start = vec![0u32; n + 1];
        for &(p, d) in pairs {
            degree[d as usize].add_primary();
            degree[p as usize].add_dr();
            out_start[p as usize + 1] += 1;
            sets.union(p, d);
        }
        for i in 0..n {
            out_start[i + 1] += out_start[i];
        }

        // Component ids in order of their smallest member: in ascending
        // order, a node whose representative has no id yet starts a new
        // component. The ids are written over the representatives.
        const NONE: u32 = u32::MAX;
        let mut comp = sets.into_labeling();
        let mut of_rep = vec![NONE; n];
        let mut count = 0;
        for c in comp.iter_mut() {
            let rep = &mut of_rep[*c as usize];
            if *rep == NONE {
                *rep = count;
                count += 1;
            }
            *c = *rep;
        }
        // Members by counting sort, so that each component's members come
        // out sorted.
        let (members, starts) = bucket_by(
            0..n as u32,
            count as usize,
            |&x| comp[x as usize] as usize,
            |&x| x,
        );
        let components = Components {
            members,
            starts,
            out_start,
            scratch: comp,
        };
        (components, degree)
    }
}

/// What [`Groups::of`] finds.
pub(crate) struct Groups {
    /// The DR groups, by root.
    data: Vec<GroupData>,
    /// Every group's members, sorted, back to back.
    members: Vec<u32>,
    /// Each node's index in `data`.
    of_node: Vec<u32>,
}

impl Groups {
    /// The DR groups of the graph of `n` nodes whose edges are the distinct
    /// `(primary, dr)` pairs (ascending): the weakly connected components
    /// ([`Components`]), each with its root and depth. Also each node's
    /// [`Degree`], which the roles need.
    ///
    /// A group's root is its smallest member without a primary (else its
    /// smallest member), and its depth is the longest breadth-first
    /// distance from the roots, in turn, then from any member still
    /// unreached (on or behind a cycle), in turn. Most groups are one
    /// primary and its DRs, and their depth (1) needs no search: one root,
    /// and every other member a DR with one primary and no DR of its own.
    pub(crate) fn of(n: usize, pairs: &[(u32, u32)]) -> (Groups, Vec<Degree>) {
        const NONE: u32 = u32::MAX;
        let (components, degrees) = Components::of(n, pairs);
        let degree = degrees.as_slice();
        let has_primary = |m: u32| degree[m as usize].has(Degree::PRIMARY);
        // A DR with one primary and no DR: a leaf under its group's one root.
        let leaf = Degree(Degree::PRIMARY);
        let Components {
            members,
            starts,
            out_start,
            scratch,
        } = components;
        let outgoing =
            |m: u32| &pairs[out_start[m as usize] as usize..out_start[m as usize + 1] as usize];

        // Distances, in the component ids' memory.
        let mut dist = scratch;
        dist.fill(NONE);
        let mut queue: Vec<u32> = Vec::new();
        let mut groups: Vec<GroupData> = Vec::with_capacity(starts.len() - 1);
        for w in starts.windows(2) {
            let (start, len) = (w[0], w[1] - w[0]);
            let group = &members[start as usize..w[1] as usize];
            let (mut root, mut root_count, mut leaves) = (None, 0, 0);
            for &m in group {
                let d = degree[m as usize];
                if !d.has(Degree::PRIMARY) {
                    root_count += 1;
                    root = root.or(Some(m));
                } else if d == leaf {
                    leaves += 1;
                }
            }
            let root = root.unwrap_or(group[0]);
            let mut depth = 0;
            if len > 1 && root_count == 1 && leaves == len - 1 {
                depth = 1;
            } else if len > 1 {
                let roots = group.iter().filter(|&&m| !has_primary(m));
                for &seed in roots.chain(group) {
                    if dist[seed as usize] != NONE {
                        continue;
                    }
                    dist[seed as usize] = 0;
                    queue.clear();
                    queue.push(seed);
                    let mut q = 0;
                    while q < queue.len() {
                        let at = queue[q];
                        q += 1;
                        let d = dist[at as usize];
                        depth = depth.max(d);
                        for &(_, next) in outgoing(at) {
                            if dist[next as usize] == NONE {
                                dist[next as usize] = d + 1;
                                queue.push(next);
                            }
                        }
                    }
                }
            }
            groups.push(GroupData {
                root,
                depth,
                start,
                len,
            });
        }
        groups.sort_unstable_by_key(|g| g.root);
        // Each node's group, in the distances' memory.
        let mut of_node = dist;
        for (gid, g) in groups.iter().enumerate() {
            for &m in &members[g.start as usize..(g.start + g.len) as usize] {
                of_node[m as usize] = gid as u32;
            }
        }
        let groups = Groups {
            data: groups,
            members,
            of_node,
        };
        (groups, degrees)
    }
}

/// Each node's role, from its [`Degree`].
pub(crate) fn roles(degrees: &[Degree]) -> Vec<Role> {
    degrees.iter().map(|d| d.role()).collect()
}

impl Topology {
    /// Takes the DR groups found by [`Groups::of`].
    pub(crate) fn set_groups(&mut self, groups: Groups) {
        self.groups = groups.data;
        self.members = groups.members;
        self.node_group = groups.of_node;
    }

    /// Writes each node's role.
    pub(crate) fn set_roles(&mut self, roles: Vec<Role>) {
        for (state, role) in self.graph.node_weights_mut().zip(roles) {
            state.role = role;
        }
    }

    /// The DR group `node` is in.
    pub(crate) fn group_state(&self, node: u32) -> &GroupData {
        &self.groups[self.node_group[node as usize] as usize]
    }

    fn group_by_data(&self, g: &GroupData) -> Group<'_> {
        Group {
            root: self.id_str(g.root),
            members: self.members[g.start as usize..(g.start + g.len) as usize]
                .iter()
                .map(|&m| self.id_str(m))
                .collect(),
            depth: g.depth as usize,
        }
    }

    /// Every DR group, sorted by root id (standalone instances included, as
    /// groups of one).
    pub fn groups(&self) -> impl ExactSizeIterator<Item = Group<'_>> + '_ {
        self.groups.iter().map(|g| self.group_by_data(g))
    }

    /// The DR group of instance `id`.
    pub fn group_of(&self, id: &str) -> Option<Group<'_>> {
        let n = self.ids.find(id)?;
        Some(self.group_by_data(self.group_state(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_numbered_by_smallest_member() {
        // 0-3, 1-4-2 (by a DR shared), 5 alone.
        let pairs = [(0, 3), (1, 4), (2, 4)];
        let (components, degree) = Components::of(6, &pairs);
        assert_eq!(components.members, [0, 3, 1, 2, 4, 5]);
        assert_eq!(components.starts, [0, 2, 5, 6]);
        assert_eq!(degree[4].role(), Role::Dr);
        assert!(degree[4].has(Degree::SEVERAL_PRIMARIES));
        assert_eq!(degree[0].role(), Role::Primary);
        assert_eq!(degree[5].role(), Role::Standalone);
    }

    #[test]
    fn groups_have_roots_and_depths() {
        // A cascade 0 -> 1 -> 2, a plain pair 3 -> 4, a cycle 5 <-> 6.
        let pairs = [(0, 1), (1, 2), (3, 4), (5, 6), (6, 5)];
        let (groups, _) = Groups::of(7, &pairs);
        let summary: Vec<(u32, u32, u32)> = groups
            .data
            .iter()
            .map(|g| (g.root, g.depth, g.len))
            .collect();
        assert_eq!(summary, [(0, 2, 3), (3, 1, 2), (5, 1, 2)]);
        assert_eq!(groups.of_node, [0, 0, 0, 1, 1, 2, 2]);
    }
}
