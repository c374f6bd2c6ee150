//! The global allocator: the system's, asking Linux to back large blocks
//! with transparent huge pages.
//!
//! Merging a large fleet fills tens of MB of fresh arrays (the id table,
//! the claims, the graph), one 4 KiB page fault at a time: about 25,000
//! faults for 100,000 primaries, a tenth of `check`'s time. A block marked
//! `MADV_HUGEPAGE` is filled 2 MiB at a time where the kernel can (when
//! `/sys/kernel/mm/transparent_hugepage/enabled` is `madvise` or `always`;
//! with `never` the advice does nothing). Small blocks are left alone: a
//! huge page only pays when most of it is used.
//!
//! [`tune`] also keeps glibc's malloc from handing freed memory back to
//! the kernel at once, so that a freed block's pages are used again
//! instead of fresh ones (each a fault and a page of zeros).
//!
//! `serve`, which runs for weeks, also keeps malloc to one heap
//! ([`one_heap`]) and hands the free memory back after each scan
//! ([`release_free_memory`]).
//!
//! Kept because it measures well over the 10% that would justify it:
//! `check` on the 100,000-primary fleet takes about a fifth less CPU and
//! wall time with it and a quarter of the page faults, for about 5 MB more
//! peak memory (`docs/performance.md` has the runs and the commands).

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this large are advised.
const HUGE_MIN: usize = 4 << 20;

/// [`System`], advising huge pages for blocks of [`HUGE_MIN`] bytes or more.
pub struct HugeAlloc;

// SAFETY: every method hands the call to `System` unchanged and returns its
// result; `advise` only gives the kernel a hint about memory the block
// owns, which changes neither its contents nor its validity.
unsafe impl GlobalAlloc for HugeAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is `System`'s.
        let block = unsafe { System.alloc(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let block = unsafe { System.alloc_zeroed(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: `block` came from `System` (every method above uses it).
        unsafe { System.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; the caller's contract is `System`'s.
        let block = unsafe { System.realloc(block, layout, new_size) };
        advise(block, new_size);
        block
    }
}

/// Blocks below this size come from malloc's heaps (glibc's default
/// threshold starts at 128 KiB and rises with what is freed): `check` frees
/// read buffers, decoded captures (hundreds of KiB each) and the merge's
/// intermediate tables (a few MiB), and with this their pages are reused
/// by the next ones. For 100,000 primaries: about 60% fewer page faults
/// than with glibc's defaults and a sixth less wall time, for about 7 MB
/// more peak memory (a threshold of 32 MiB saves a few more faults for
/// another 6 MB).
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
const MMAP_MIN: usize = 8 << 20;

/// Free memory at the top of a heap that malloc keeps rather than handing
/// it back to the kernel.
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
const TRIM_MIN: usize = 64 << 20;

/// Sets glibc's malloc thresholds ([`MMAP_MIN`], [`TRIM_MIN`]); call it
/// first thing in `main`. Returns whether malloc took both (other C
/// libraries: nothing to do, `false`).
pub fn tune() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let int = |n: usize| libc::c_int::try_from(n).unwrap_or(libc::c_int::MAX);
        // SAFETY: `mallopt` only sets malloc's parameters; it is called
        // before any other thread starts.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, int(MMAP_MIN)) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, int(TRIM_MIN)) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

/// Makes malloc serve every thread from one heap (glibc's `M_ARENA_MAX`
/// 1); call it before the threads start (a thread keeps the heap it was
/// given). Returns whether malloc took it (other C libraries: `false`).
///
/// For `serve`, which runs for weeks: by default glibc gives threads that
/// meet in malloc heaps of their own, up to eight per core, and a block
/// freed by another thread goes back to the heap it came from. A scan's
/// answers are decoded on the async workers and freed on the blocking
/// thread that merges the next one, so each heap keeps the free space of
/// the worst scan it has seen, and the sum creeps up scan after scan. On a
/// 2,000-primary fleet with health scanned every 100 ms, the live heap
/// stays at about 10.5 MB from scan 30 to scan 600 while the heaps' free
/// space grows from 23 to 37 MB (RSS +8 to +19% from 30 to 300 scans);
/// with one heap the free space stays at about 10 MB and RSS within 3% from
/// scan 30 to scan 1,000 (29-31 MB), with no slower scans
/// (`docs/performance.md`, `serve`). The one-shot commands keep glibc's
/// default.
pub fn one_heap() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` only sets a malloc parameter; it is called
        // before the runtime's threads start.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

/// Returns the free memory of malloc's heaps to the OS. [`tune`] raised
/// glibc's trim threshold for the one-shot commands (freed memory is kept
/// for reuse); `serve` calls this after each published scan, so that a
/// server that sits between scans does not keep the last one's garbage.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim takes no pointer and has no precondition: it
        // only hands the free memory of glibc's heaps back to the OS and
        // touches no live allocation; any thread may call it at any time
        // (glibc locks each heap while trimming it).
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

/// Marks the whole pages of `block` (`len` bytes) `MADV_HUGEPAGE` when it
/// is large; a refusal (no THP in the kernel) is ignored.
#[cfg(target_os = "linux")]
fn advise(block: *mut u8, len: usize) {
    const PAGE: usize = 4096;
    if block.is_null() || len < HUGE_MIN {
        return;
    }
    let start = (block as usize).next_multiple_of(PAGE);
    let end = (block as usize + len) & !(PAGE - 1);
    // SAFETY: `[start, end)` lies within the block just allocated, which
    // this process owns; the advice changes no byte of it.
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_: *mut u8, _: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `VmFlags` of the mapping that holds `at`, from `/proc/self/smaps`.
    #[cfg(target_os = "linux")]
    fn vm_flags_at(at: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("read smaps");
        let mut inside = false;
        for line in smaps.lines() {
            let range = line
                .split_whitespace()
                .next()
                .and_then(|r| r.split_once('-'));
            if let Some((start, end)) = range
                && let (Ok(start), Ok(end)) = (
                    usize::from_str_radix(start, 16),
                    usize::from_str_radix(end, 16),
                )
            {
                inside = (start..end).contains(&at);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.trim().to_owned();
            }
        }
        panic!("no mapping holds {at:#x}");
    }

    #[test]
    fn large_blocks_keep_their_bytes_through_growth_and_are_advised() {
        // Through the global allocator, as the program uses it.
        let mut bytes: Vec<u8> = (0..HUGE_MIN).map(|i| (i % 251) as u8).collect();
        bytes.reserve(3 * HUGE_MIN);
        bytes.extend((0..HUGE_MIN).map(|i| (i % 13) as u8));
        assert_eq!(bytes.len(), 2 * HUGE_MIN);
        assert!(
            bytes[..HUGE_MIN]
                .iter()
                .enumerate()
                .all(|(i, &b)| b == (i % 251) as u8)
        );
        assert!(
            bytes[HUGE_MIN..]
                .iter()
                .enumerate()
                .all(|(i, &b)| b == (i % 13) as u8)
        );
        // The first whole page of the grown block is marked (`hg`), on a
        // kernel with transparent huge pages.
        #[cfg(target_os = "linux")]
        if std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
            let page = (bytes.as_ptr() as usize).next_multiple_of(4096);
            let flags = vm_flags_at(page);
            assert!(
                flags.split_whitespace().any(|f| f == "hg"),
                "VmFlags: {flags}"
            );
        }
        // A zeroed block is zero.
        let zeros = vec![0u64; HUGE_MIN / 8 + 1];
        assert!(zeros.iter().all(|&z| z == 0));
    }

    #[test]
    fn one_heap_serves_every_thread_and_trimming_keeps_live_blocks() {
        assert_eq!(
            one_heap(),
            cfg!(all(target_os = "linux", target_env = "gnu"))
        );
        // Blocks allocated on one thread and freed on another, as serve's
        // answers are, with the heap trimmed in between.
        let blocks: Vec<Vec<u8>> = std::thread::scope(|s| {
            (0..4u8)
                .map(|t| s.spawn(move || vec![t; 256 << 10]))
                .collect::<Vec<_>>()
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        release_free_memory();
        for (t, block) in blocks.iter().enumerate() {
            assert!(block.iter().all(|&b| usize::from(b) == t));
        }
        std::thread::spawn(move || drop(blocks))
            .join()
            .expect("thread");
        release_free_memory();
    }

    #[test]
    fn malloc_takes_the_thresholds_and_blocks_stay_whole() {
        assert_eq!(tune(), cfg!(all(target_os = "linux", target_env = "gnu")));
        // Blocks on both sides of the thresholds, freed and allocated again.
        for size in [1 << 20, MMAP_MIN - 1, MMAP_MIN + 1] {
            for fill in [7u8, 9] {
                let block = vec![fill; size];
                assert!(block.iter().all(|&b| b == fill));
            }
        }
    }
}
