//! Asking the CPU for memory before it is read: the build's passes that
//! look nodes and ids up at random (the id table, the graph's nodes, the
//! per-node state) wait on memory far more than they compute.

/// How many items ahead a pass prefetches what it will look up: far
/// enough for a miss to arrive in time, near enough to stay in cache (the
/// id table, whose probes do more work between misses, measured best at
/// 24 and uses its own distance).
pub(crate) const AHEAD: usize = 16;

/// Asks the CPU to start loading the cache line at `at`: a hint only, so
/// any address will do (a wrong one only fetches a useless line).
#[inline]
pub(crate) fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetch` never faults and reads nothing the program sees,
    // whatever the address; SSE, which it needs, is in every x86_64 CPU.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
