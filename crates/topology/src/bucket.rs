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

/// Sorts one bucket by `order`: in place by insertion for the usual few
/// items (no call, no set-up), else with `sort_unstable_by`. Equal items
/// may end up in any order.
#[inline]
pub(crate) fn sort_bucket<T>(items: &mut [T], order: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if items.len() > SMALL_BUCKET {
        items.sort_unstable_by(order);
        return;
    }
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && order(&items[j - 1], &items[j]).is_gt() {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The most items [`sort_bucket`] sorts by insertion.
const SMALL_BUCKET: usize = 8;

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

    #[test]
    fn buckets_sort_small_and_large() {
        // Every length around the switch, in an order that needs moves.
        for len in 0..=2 * SMALL_BUCKET + 1 {
            let mut items: Vec<(u32, u32)> = (0..len as u32).map(|i| ((i * 7) % 5, i)).collect();
            let mut want = items.clone();
            want.sort();
            sort_bucket(&mut items, |a, b| a.cmp(b));
            assert_eq!(items, want, "{len} items");
            // By a key alone: sorted by that key, nothing lost.
            sort_bucket(&mut items, |a, b| b.0.cmp(&a.0));
            assert!(items.windows(2).all(|w| w[0].0 >= w[1].0));
            let mut back = items.clone();
            back.sort();
            assert_eq!(back, want);
        }
    }
}
