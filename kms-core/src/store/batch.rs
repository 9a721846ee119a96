//! Writing concurrent submissions together: whoever submits while no batch is being written
//! becomes the leader, writes everything queued so far in one go, and answers each member of
//! that batch. Submissions that arrive meanwhile queue for the next batch, whose leader is the
//! first of them, handed the lead when the batch before is answered.
//!
//! Each submitter waits on a slot of its own, so it wakes once, to its outcome or to lead,
//! never to a notification meant for others: with one condition variable for all, every
//! answered batch woke every waiter, and context switches, not the writes, set the pace.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::StoreError;

/// Batches submissions of `T`; each one's outcome is a `bool` (a batch fails as a whole).
#[derive(Debug)]
pub(super) struct Batcher<T> {
    queue: Mutex<Queue<T>>,
}

#[derive(Debug)]
struct Queue<T> {
    waiting: Vec<(T, Arc<Slot>)>,
    /// A batch is being written; its leader hands the lead on or clears this.
    writing: bool,
}

#[derive(Debug, Default)]
struct Slot {
    state: Mutex<SlotState>,
    ready: Condvar,
}

#[derive(Debug, Default)]
enum SlotState {
    #[default]
    Queued,
    /// Write the next batch.
    Lead,
    Done(Result<bool, StoreError>),
}

/// The answer of a batch that never finished writing (its leader unwound).
fn unfinished() -> StoreError {
    StoreError::new(
        "batch",
        std::io::Error::other("writing a batch stopped half way"),
    )
}

// Each lock guards plain data that is consistent after every statement; a poisoned lock only
// says that another submitter panicked.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> Default for Batcher<T> {
    fn default() -> Self {
        Batcher {
            queue: Mutex::new(Queue {
                waiting: Vec::new(),
                writing: false,
            }),
        }
    }
}

impl<T> Batcher<T> {
    /// Submits `item` and returns its outcome once the batch holding it is written. `write`
    /// gets a batch in submission order and returns one outcome per item, in that order; it
    /// runs on whichever submitter leads that batch.
    pub(super) fn submit(
        &self,
        item: T,
        write: &dyn Fn(Vec<T>) -> Result<Vec<bool>, StoreError>,
    ) -> Result<bool, StoreError> {
        let slot = Arc::new(Slot::default());
        let lead = {
            let mut queue = lock(&self.queue);
            queue.waiting.push((item, Arc::clone(&slot)));
            !std::mem::replace(&mut queue.writing, true)
        };
        if !lead {
            let mut state = lock(&slot.state);
            loop {
                match std::mem::take(&mut *state) {
                    SlotState::Done(outcome) => return outcome,
                    SlotState::Lead => break,
                    SlotState::Queued => {
                        state = slot
                            .ready
                            .wait(state)
                            .unwrap_or_else(PoisonError::into_inner);
                    }
                }
            }
        }
        self.lead(write);
        match std::mem::take(&mut *lock(&slot.state)) {
            SlotState::Done(outcome) => outcome,
            // The leader's own item is in the batch it wrote, so it is answered.
            SlotState::Queued | SlotState::Lead => Err(unfinished()),
        }
    }

    /// Writes everything queued, answers it, and hands the lead to the next submitter.
    fn lead(&self, write: &dyn Fn(Vec<T>) -> Result<Vec<bool>, StoreError>) {
        let batch = std::mem::take(&mut lock(&self.queue).waiting);
        let (items, slots): (Vec<T>, Vec<Arc<Slot>>) = batch.into_iter().unzip();
        let mut answer = Answer {
            batcher: self,
            slots,
            outcome: Err(unfinished()),
        };
        answer.outcome = write(items);
    }
}

/// Answers a batch's members and passes the lead on: on drop, so that a leader that unwinds
/// half way still answers everyone (with an error) and never leaves them waiting.
struct Answer<'a, T> {
    batcher: &'a Batcher<T>,
    slots: Vec<Arc<Slot>>,
    outcome: Result<Vec<bool>, StoreError>,
}

impl<T> Drop for Answer<'_, T> {
    fn drop(&mut self) {
        for (i, slot) in self.slots.iter().enumerate() {
            let outcome = match &self.outcome {
                Ok(each) => each.get(i).copied().ok_or_else(unfinished),
                Err(e) => Err(e.clone()),
            };
            *lock(&slot.state) = SlotState::Done(outcome);
            slot.ready.notify_one();
        }
        let mut queue = lock(&self.batcher.queue);
        match queue.waiting.first() {
            Some((_, next)) => {
                *lock(&next.state) = SlotState::Lead;
                next.ready.notify_one();
            }
            None => queue.writing = false,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn every_submission_is_answered_with_its_own_outcome_across_batches() {
        let batcher = Batcher::<u32>::default();
        let batches = AtomicUsize::new(0);
        let write = |items: Vec<u32>| {
            batches.fetch_add(1, Ordering::SeqCst);
            std::thread::yield_now();
            Ok(items.iter().map(|n| n % 2 == 0).collect())
        };
        std::thread::scope(|s| {
            for t in 0..8u32 {
                let (batcher, write) = (&batcher, &write);
                s.spawn(move || {
                    for n in 0..50u32 {
                        let item = t * 1000 + n;
                        assert_eq!(batcher.submit(item, write).unwrap(), item % 2 == 0);
                    }
                });
            }
        });
        let written = batches.load(Ordering::SeqCst);
        assert!((1..=400).contains(&written), "{written} batches");
        assert!(!lock(&batcher.queue).writing, "idle at the end");
    }

    #[test]
    fn a_failed_batch_fails_its_members_and_the_next_batch_still_runs() {
        let batcher = Batcher::<u32>::default();
        let fail = |_: Vec<u32>| Err(unfinished());
        assert!(batcher.submit(1, &fail).is_err());
        let succeed = |items: Vec<u32>| Ok(vec![true; items.len()]);
        assert!(batcher.submit(2, &succeed).unwrap());
    }

    #[test]
    fn a_leader_that_panics_answers_its_batch_with_an_error() {
        let batcher = Batcher::<u32>::default();
        let panics = |_: Vec<u32>| -> Result<Vec<bool>, StoreError> { panic!("disk on fire") };
        let unwound =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| batcher.submit(1, &panics)));
        assert!(unwound.is_err());
        let succeed = |items: Vec<u32>| Ok(vec![true; items.len()]);
        assert!(batcher.submit(2, &succeed).unwrap(), "not stuck writing");
    }

    #[test]
    fn a_short_answer_is_an_error_not_a_guess() {
        let batcher = Batcher::<u32>::default();
        let short = |_: Vec<u32>| Ok(Vec::new());
        assert!(batcher.submit(1, &short).is_err());
    }
}
