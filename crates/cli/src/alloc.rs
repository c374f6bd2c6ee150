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
}
