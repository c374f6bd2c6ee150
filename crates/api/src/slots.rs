//! Concurrency slots: how a fleet scan bounds the calls in flight, and how a
//! call gives its slot back while it waits to retry.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_lock::{Semaphore, SemaphoreGuardArc};

/// The slots of one scan: at most `n` calls hold one at a time.
#[derive(Clone)]
pub(crate) struct Slots(Arc<Semaphore>);

impl Slots {
    pub(crate) fn new(n: usize) -> Self {
        Slots(Arc::new(Semaphore::new(n.max(1))))
    }

    /// Waits for a free slot and holds it for one call.
    pub(crate) async fn acquire(&self) -> Slot {
        let guard = self.0.acquire_arc().await;
        Slot(Arc::new(Held {
            semaphore: Arc::clone(&self.0),
            guard: Mutex::new(Some(guard)),
        }))
    }
}

/// A concurrency slot held for one call (see
/// [`RequestOptions::slot`](crate::RequestOptions::slot)). Cloning shares
/// the same slot; it is freed when the last clone is dropped.
///
/// A layer that waits between attempts calls [`Slot::release`] before
/// waiting and [`Slot::reacquire`] after, so that the wait does not count
/// against the concurrency limit.
#[derive(Clone)]
pub struct Slot(Arc<Held>);

struct Held {
    semaphore: Arc<Semaphore>,
    guard: Mutex<Option<SemaphoreGuardArc>>,
}

impl Slot {
    /// Gives the slot back (no-op if it is not held).
    pub fn release(&self) {
        let guard = self
            .0
            .guard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(guard);
    }

    /// Waits for a slot again (returns at once if it is still held).
    pub async fn reacquire(&self) {
        if self.is_held() {
            return;
        }
        let guard = self.0.semaphore.acquire_arc().await;
        *self.0.guard.lock().unwrap_or_else(PoisonError::into_inner) = Some(guard);
    }

    /// Whether the slot is held now.
    pub fn is_held(&self) -> bool {
        self.0
            .guard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot")
            .field("held", &self.is_held())
            .finish()
    }
}

/// Two handles are equal when they share one slot.
impl PartialEq for Slot {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Slot {}

#[cfg(test)]
mod tests {
    use futures::FutureExt;
    use futures::executor::block_on;

    use super::*;

    #[test]
    fn a_released_slot_lets_another_call_in_and_is_taken_back_later() {
        let slots = Slots::new(1);
        let first = block_on(slots.acquire());
        assert!(first.is_held());
        // The only slot is held: a second acquire waits.
        assert!(slots.acquire().now_or_never().is_none());
        first.release();
        assert!(!first.is_held());
        let second = slots.acquire().now_or_never().expect("the slot is free");
        // While `second` holds it, `first` cannot take it back.
        assert!(first.reacquire().now_or_never().is_none());
        drop(second);
        assert!(first.reacquire().now_or_never().is_some());
        assert!(first.is_held());
        assert_eq!(first.clone(), first);
    }
}
