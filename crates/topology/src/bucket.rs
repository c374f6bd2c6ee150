//! The counting sort the build uses wherever items are grouped by a small
//! integer key (a node, a primary, a group, the high bits of an id).

/// `items` grouped by `key` (below `n`) with a counting sort, keeping their
/// order within a key, each turned into `value`; and where each key's
/// values start (`n + 1` entries, the last one the total). `items` is
/// walked twice (to count, then to place).
pub(crate) fn bucket_by<I, T>(
    items: I,
    n: usize,
    key: impl Fn(&I::Item) -> usize,
    value: impl Fn(&I::Item) -> T,
) -> (Vec<T>, Vec<u32>)
where
    I: Iterator + Clone,
    T: Copy,
{
    let mut starts = vec![0u32; n + 1];
    for item in items.clone() {
        starts[key(&item) + 1] += 1;
    }
    for i in 0..n {
        starts[i + 1] += starts[i];
    }
    let mut items = items.peekable();
    let Some(first) = items.peek().map(&value) else {
        return (Vec::new(), starts);
    };
    let mut out = vec![first; starts[n] as usize];
    let mut fill = starts.clone();
    for item in items {
        let at = &mut fill[key(&item)];
        out[*at as usize] = value(&item);
        *at += 1;
    }
    (out, starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_key_keeping_order() {
        let items = [(2, 'a'), (0, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        let (out, starts) = bucket_by(items.iter(), 4, |&&(k, _)| k, |&&(_, c)| c);
        assert_eq!(out, ['b', 'e', 'd', 'a', 'c']);
        assert_eq!(starts, [0, 2, 3, 5, 5]);
        let (out, starts) = bucket_by(std::iter::empty::<(usize, char)>(), 2, |p| p.0, |p| p.1);
        assert!(out.is_empty());
        assert_eq!(starts, [0, 0, 0]);
    }
}
