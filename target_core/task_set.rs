// SPDX-License-Identifier: GPL-2.0

//! Task attributes (SAM-5 8.6): the order in which a device's task set
//! runs SIMPLE, ORDERED and HEAD OF QUEUE commands.
//!
//! An ORDERED command runs once every command that entered the task set
//! before it has completed, and every command that enters after it waits
//! until it has completed. SIMPLE commands run in any order among
//! themselves (the control mode page's QUEUE ALGORITHM MODIFIER says how
//! freely; the engine never holds one back for another). A HEAD OF QUEUE
//! command runs at once, neither waiting nor held for; INQUIRY and REPORT
//! LUNS are HEAD OF QUEUE whatever they carry (SPC-4 5.3, as LIO). The ACA
//! attribute is refused, as LIO refuses it (the engine has no ACA).
//!
//! Each device has one task set (TST 0: for all I_T nexuses). On the fast
//! path, with no ORDERED command about, a SIMPLE command is one atomic
//! increment when it starts and one decrement when it ends, as the write
//! gate (write_gate.rs): LIO takes a per-CPU reference instead, which a
//! machine of many CPUs would want here too. Only when an ORDERED command
//! arrives does the set close (`BLOCKED`): from then on every command but
//! HEAD OF QUEUE joins a queue under the set's spinlock, in the order it
//! arrived, and is let go in that order, SIMPLE commands together up to the
//! next ORDERED one, which goes alone once the SIMPLE commands before it
//! have ended. With the queue empty and no ORDERED command running, the
//! set opens again. LIO runs every command queued behind an ORDERED one
//! alone; here the SIMPLE ones between two ORDERED ones run together, as
//! SAM-5 lets them.
//!
//! A command let go runs where its entry says ([`Release`]): from the
//! core's task set workqueue, completed through the fabric's
//! `command_done` (command.rs), or in the thread of a fabric that cannot
//! be completed later, which sleeps until then.

use core::sync::atomic::{AtomicUsize, Ordering};

use kernel::prelude::*;
use kernel::sync::{new_spinlock_irq, SpinLockIrq};

/// A command's task attribute, as the engine runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attr {
    Simple,
    Ordered,
    HeadOfQueue,
}

/// The fabric ABI's `task_attr` values (SAM-5 8.6: SIMPLE 0, HEAD OF QUEUE
/// 1, ORDERED 2, ACA 4).
const SAM_HEAD_OF_QUEUE: u8 = 1;
const SAM_ORDERED: u8 = 2;
const SAM_ACA: u8 = 4;

/// INQUIRY and REPORT LUNS.
const INQUIRY: u8 = 0x12;
const REPORT_LUNS: u8 = 0xa0;

impl Attr {
    /// The attribute a command with `task_attr` and operation code `opcode`
    /// runs with; `None` for ACA, which the engine refuses (as LIO's
    /// transport_check_alloc_task_attr(): INVALID FIELD IN CDB). Values
    /// SAM-5 reserves are SIMPLE, as LIO's iSCSI target takes them.
    pub(crate) fn of(task_attr: u8, opcode: u8) -> Option<Self> {
        if task_attr == SAM_ACA {
            return None;
        }
        if opcode == INQUIRY || opcode == REPORT_LUNS {
            return Some(Self::HeadOfQueue);
        }
        Some(match task_attr {
            SAM_HEAD_OF_QUEUE => Self::HeadOfQueue,
            SAM_ORDERED => Self::Ordered,
            _ => Self::Simple,
        })
    }
}

/// What a running command holds in its task set, given back by
/// [`TaskSet::done`] when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Nothing: a HEAD OF QUEUE command, or one that never reached a
    /// device.
    Free,
    /// One of the SIMPLE commands running.
    Simple,
    /// The ORDERED command running.
    Ordered,
}

/// Set in [`TaskSet::state`] while the set is closed: an ORDERED command
/// waits or runs, or commands wait behind one.
const BLOCKED: usize = 1 << (usize::BITS - 1);

/// The commands waiting in a closed set, and whether an ORDERED one runs.
struct Line<R> {
    /// In arrival order.
    entries: KVec<(Attr, R)>,
    ordered_running: bool,
}

impl<R> Line<R> {
    /// Puts `entry` at the end of the line, or gives it back when there is
    /// no memory for it (no reclaim: under a spinlock).
    fn join(&mut self, attr: Attr, entry: R) -> Result<(), R> {
        if self.entries.reserve(1, GFP_NOWAIT | __GFP_NOWARN).is_err() {
            return Err(entry);
        }
        self.entries
            .push_within_capacity((attr, entry))
            .map_err(|e| e.0 .1)
    }
}

/// How a command that waited in line is let go; called under the set's
/// spinlock, interrupts off, so it must not sleep.
pub(crate) trait Release: Sized {
    fn release(self, slot: Slot);
}

/// One device's task set.
///
/// # Invariants
///
/// The low bits of `state` count the SIMPLE commands running, plus, for
/// a moment, those that found the set closed and are on their way into
/// the line. `BLOCKED` is changed only under `line`'s lock; it is set
/// whenever the line has entries or an ORDERED command runs.
#[pin_data]
pub(crate) struct TaskSet<R> {
    state: AtomicUsize,
    /// Interrupt-safe: a command may end in its backstore's I/O completion
    /// (async_rw.rs).
    #[pin]
    line: SpinLockIrq<Line<R>>,
}

impl<R: Release> TaskSet<R> {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            state: AtomicUsize::new(0),
            line <- new_spinlock_irq!(Line {
                entries: KVec::new(),
                ordered_running: false,
            }),
        })
    }

    /// Whether the set is closed: an ORDERED command waits or runs, or
    /// commands wait behind one.
    pub(crate) fn closed(&self) -> bool {
        self.state.load(Ordering::SeqCst) & BLOCKED != 0
    }

    /// A command with `attr` arrives: `Some` if it may run now, holding
    /// the slot returned; `None` if it must call [`TaskSet::wait`] (which
    /// may still let it run at once). Never sleeps.
    pub(crate) fn admit(&self, attr: Attr) -> Option<Slot> {
        match attr {
            Attr::HeadOfQueue => Some(Slot::Free),
            // Always through the line, where the set is closed under its
            // lock.
            Attr::Ordered => None,
            Attr::Simple => {
                // SeqCst, as every change of `state`: a SIMPLE command
                // either counts before an ORDERED one closes the set (and
                // is waited for), or sees the set closed.
                if self.state.fetch_add(1, Ordering::SeqCst) & BLOCKED == 0 {
                    Some(Slot::Simple)
                } else {
                    // The count stays until `wait` has queued it.
                    None
                }
            }
        }
    }

    /// A command with `attr` that [`TaskSet::admit`] turned away joins the
    /// line as `entry`, released (with its slot) when its turn comes.
    /// `Ok(Some)` gives the entry back with its slot when it may run at
    /// once after all; `Err` gives it back when the line had no memory
    /// for it (the command did not enter the set). Never sleeps.
    pub(crate) fn wait(&self, attr: Attr, entry: R) -> Result<Option<(Slot, R)>, R> {
        let mut line = self.line.lock();
        match attr {
            Attr::HeadOfQueue => Ok(Some((Slot::Free, entry))),
            Attr::Simple => {
                // `admit` counted it.
                if self.state.load(Ordering::SeqCst) & BLOCKED == 0 {
                    // Opened meanwhile: the count stands.
                    return Ok(Some((Slot::Simple, entry)));
                }
                let queued = line.join(attr, entry);
                if self.state.fetch_sub(1, Ordering::SeqCst) == BLOCKED | 1 {
                    // An ORDERED command may have waited for this count.
                    self.dispatch(&mut line);
                }
                queued.map(|()| None)
            }
            Attr::Ordered => {
                let before = self.state.fetch_or(BLOCKED, Ordering::SeqCst);
                if line.entries.is_empty() && !line.ordered_running && before & !BLOCKED == 0 {
                    line.ordered_running = true;
                    return Ok(Some((Slot::Ordered, entry)));
                }
                match line.join(attr, entry) {
                    Ok(()) => Ok(None),
                    Err(entry) => {
                        // Not in the set after all: it may have to open
                        // again.
                        self.dispatch(&mut line);
                        Err(entry)
                    }
                }
            }
        }
    }

    /// A command holding `slot` has ended: lets go whoever waited for it.
    /// Never sleeps; callable from any context, interrupts included.
    pub(crate) fn done(&self, slot: Slot) {
        match slot {
            Slot::Free => {}
            Slot::Simple => {
                if self.state.fetch_sub(1, Ordering::SeqCst) == BLOCKED | 1 {
                    self.dispatch(&mut self.line.lock());
                }
            }
            Slot::Ordered => {
                let mut line = self.line.lock();
                line.ordered_running = false;
                self.dispatch(&mut line);
            }
        }
    }

    /// Lets go the commands at the head of the line that may run now:
    /// SIMPLE ones up to the first ORDERED one, which goes (alone) once no
    /// SIMPLE command runs; opens the set when the line is empty and no
    /// ORDERED command runs.
    fn dispatch(&self, line: &mut Line<R>) {
        while !line.ordered_running {
            let Some(&(attr, _)) = line.entries.first() else {
                self.state.fetch_and(!BLOCKED, Ordering::SeqCst);
                return;
            };
            if attr == Attr::Ordered && self.state.load(Ordering::SeqCst) & !BLOCKED != 0 {
                // The last SIMPLE command to end calls again.
                return;
            }
            let Ok((attr, entry)) = line.entries.remove(0) else {
                return;
            };
            let slot = if attr == Attr::Ordered {
                line.ordered_running = true;
                Slot::Ordered
            } else {
                self.state.fetch_add(1, Ordering::SeqCst);
                Slot::Simple
            };
            entry.release(slot);
        }
    }

    /// The SIMPLE commands running and whether the set is closed (for
    /// tests).
    #[cfg(CONFIG_KUNIT)]
    fn snapshot(&self) -> (usize, bool) {
        let s = self.state.load(Ordering::SeqCst);
        (s & !BLOCKED, s & BLOCKED != 0)
    }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_task_set)]
mod tests {
    use super::*;
    use kernel::sync::{new_spinlock_irq, Arc, SpinLockIrq};

    /// A test entry: records its number and slot when released.
    struct Probe {
        id: u32,
        log: Log,
    }

    impl Release for Probe {
        fn release(self, slot: Slot) {
            let _ = self.log.lock().push((self.id, slot), GFP_ATOMIC);
        }
    }

    /// What the probes released, in order. Interrupt-safe, as every lock
    /// a `release` takes under the set's must be (lockdep would see an
    /// interrupt-safe lock held while an unsafe one is taken).
    type Log = Arc<SpinLockIrq<KVec<(u32, Slot)>>>;

    fn setup() -> Result<(Pin<KBox<TaskSet<Probe>>>, Log)> {
        let set = KBox::pin_init(TaskSet::new(), GFP_KERNEL)?;
        let log = Arc::pin_init(new_spinlock_irq!(KVec::new()), GFP_KERNEL)?;
        Ok((set, log))
    }

    fn released(log: &Log) -> KVec<(u32, Slot)> {
        core::mem::replace(&mut *log.lock(), KVec::new())
    }

    /// Arrives as `admit` and then `wait` would have it: the slot if it runs
    /// at once.
    fn arrive(set: &TaskSet<Probe>, attr: Attr, probe: Probe) -> Option<Slot> {
        if let Some(slot) = set.admit(attr) {
            return Some(slot);
        }
        match set.wait(attr, probe) {
            Ok(Some((slot, _))) => Some(slot),
            Ok(None) => None,
            Err(_) => panic!("no memory in a test"),
        }
    }

    #[test]
    fn attributes() {
        assert_eq!(Attr::of(0, 0x28), Some(Attr::Simple));
        assert_eq!(Attr::of(1, 0x28), Some(Attr::HeadOfQueue));
        assert_eq!(Attr::of(2, 0x28), Some(Attr::Ordered));
        assert_eq!(Attr::of(4, 0x28), None);
        assert_eq!(Attr::of(7, 0x28), Some(Attr::Simple));
        // INQUIRY and REPORT LUNS go to the head of the queue.
        assert_eq!(Attr::of(2, INQUIRY), Some(Attr::HeadOfQueue));
        assert_eq!(Attr::of(0, REPORT_LUNS), Some(Attr::HeadOfQueue));
    }

    #[test]
    fn simple_commands_run_at_once() -> Result {
        let (set, log) = setup()?;
        let p = |id| Probe {
            id,
            log: log.clone(),
        };
        assert_eq!(arrive(&set, Attr::Simple, p(1)), Some(Slot::Simple));
        assert_eq!(arrive(&set, Attr::Simple, p(2)), Some(Slot::Simple));
        assert_eq!(set.snapshot(), (2, false));
        set.done(Slot::Simple);
        set.done(Slot::Simple);
        assert_eq!(set.snapshot(), (0, false));
        // An ORDERED command with nothing before it runs at once, and the
        // set opens when it ends.
        assert_eq!(arrive(&set, Attr::Ordered, p(3)), Some(Slot::Ordered));
        assert_eq!(set.snapshot(), (0, true));
        set.done(Slot::Ordered);
        assert_eq!(set.snapshot(), (0, false));
        assert!(released(&log).is_empty());
        Ok(())
    }

    #[test]
    fn ordered_waits_for_those_before_and_holds_those_after() -> Result {
        let (set, log) = setup()?;
        let p = |id| Probe {
            id,
            log: log.clone(),
        };
        assert_eq!(arrive(&set, Attr::Simple, p(1)), Some(Slot::Simple));
        assert_eq!(arrive(&set, Attr::Simple, p(2)), Some(Slot::Simple));
        assert_eq!(arrive(&set, Attr::Ordered, p(3)), None);
        assert_eq!(arrive(&set, Attr::Simple, p(4)), None);
        assert_eq!(arrive(&set, Attr::Simple, p(5)), None);
        assert_eq!(arrive(&set, Attr::Ordered, p(6)), None);
        assert_eq!(arrive(&set, Attr::Simple, p(7)), None);
        // HEAD OF QUEUE passes them all.
        assert_eq!(arrive(&set, Attr::HeadOfQueue, p(8)), Some(Slot::Free));
        assert_eq!(set.snapshot(), (2, true));
        set.done(Slot::Simple);
        assert!(released(&log).is_empty());
        // The last SIMPLE command before it lets the ORDERED one go, alone.
        set.done(Slot::Simple);
        assert_eq!(&released(&log)[..], &[(3, Slot::Ordered)]);
        // Its end lets the SIMPLE commands after it go together, up to the
        // next ORDERED one.
        set.done(Slot::Ordered);
        assert_eq!(&released(&log)[..], &[(4, Slot::Simple), (5, Slot::Simple)]);
        assert_eq!(set.snapshot(), (2, true));
        set.done(Slot::Simple);
        assert!(released(&log).is_empty());
        set.done(Slot::Simple);
        assert_eq!(&released(&log)[..], &[(6, Slot::Ordered)]);
        set.done(Slot::Ordered);
        assert_eq!(&released(&log)[..], &[(7, Slot::Simple)]);
        // The line is empty: the set is open again.
        assert_eq!(set.snapshot(), (1, false));
        set.done(Slot::Simple);
        assert_eq!(arrive(&set, Attr::Simple, p(9)), Some(Slot::Simple));
        set.done(Slot::Simple);
        assert_eq!(set.snapshot(), (0, false));
        Ok(())
    }

    #[test]
    fn a_simple_command_that_finds_the_set_closed_waits() -> Result {
        let (set, log) = setup()?;
        let p = |id| Probe {
            id,
            log: log.clone(),
        };
        assert_eq!(arrive(&set, Attr::Ordered, p(1)), Some(Slot::Ordered));
        // Admitted on the fast path it counts for a moment, then queues and
        // gives its count back.
        assert_eq!(set.admit(Attr::Simple), None);
        assert_eq!(set.snapshot(), (1, true));
        assert!(matches!(set.wait(Attr::Simple, p(2)), Ok(None)));
        assert_eq!(set.snapshot(), (0, true));
        set.done(Slot::Ordered);
        assert_eq!(&released(&log)[..], &[(2, Slot::Simple)]);
        set.done(Slot::Simple);
        assert_eq!(set.snapshot(), (0, false));
        Ok(())
    }

    #[test]
    fn the_set_opens_between_admit_and_wait() -> Result {
        let (set, log) = setup()?;
        let p = |id| Probe {
            id,
            log: log.clone(),
        };
        assert_eq!(arrive(&set, Attr::Ordered, p(1)), Some(Slot::Ordered));
        assert_eq!(set.admit(Attr::Simple), None);
        // The ORDERED command ends before the SIMPLE one reaches the line.
        set.done(Slot::Ordered);
        assert!(matches!(
            set.wait(Attr::Simple, p(2)),
            Ok(Some((Slot::Simple, _)))
        ));
        assert_eq!(set.snapshot(), (1, false));
        set.done(Slot::Simple);
        assert!(released(&log).is_empty());
        Ok(())
    }
}
