// SPDX-License-Identifier: GPL-2.0

//! A loopback TPG's gate: what a command needs to start (the nexus, whether
//! the transport is online), read without a lock, and the commands running
//! on the TPG, counted per CPU, so that commands from several CPUs write no
//! cache line in common.
//!
//! A change of the nexus or of `online` ([`Gate::publish`]) writes the copy
//! that commands do not read, makes it the one they read, and waits for an
//! RCU grace period: after it no command reads the old copy, and every
//! command that started with it is counted. [`Gate::wait_idle`] then waits
//! for the count to reach 0. (LIO's tcm_loop reads its nexus without a lock
//! and counts a session's commands with a `percpu_ref`: the same idea.)

use core::cell::UnsafeCell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use kernel::ffi::c_long;
use kernel::prelude::*;
use kernel::sync::{new_condvar, new_spinlock_irq, rcu, CondVar, SpinLockIrq};

use crate::bindings;
use crate::sdk::Nexus;

/// What a command needs to start.
#[derive(Clone, Copy)]
pub(crate) struct Published {
    /// The nexus commands go through; `None` without one.
    pub(crate) nexus: Option<Nexus>,
    pub(crate) online: bool,
}

/// Why [`Gate::enter`] let no command in.
pub(crate) enum Closed {
    /// The transport is offline.
    Offline,
    /// There is no nexus.
    NoNexus,
}

/// A count kept per CPU (loop_count.c).
///
/// # Invariants
///
/// `0` is a count from `tcm_rs_loop_count_alloc`, not freed before `drop`.
struct PerCpuCount(NonNull<c_long>);

impl PerCpuCount {
    fn new() -> Result<Self> {
        // SAFETY: No requirement.
        let count = unsafe { bindings::tcm_rs_loop_count_alloc() };
        // INVARIANT: Allocated just now.
        NonNull::new(count).map(Self).ok_or(ENOMEM)
    }

    fn inc(&self) {
        // SAFETY: A live count (type invariant).
        unsafe { bindings::tcm_rs_loop_count_inc(self.0.as_ptr()) }
    }

    fn dec(&self) {
        // SAFETY: A live count (type invariant).
        unsafe { bindings::tcm_rs_loop_count_dec(self.0.as_ptr()) }
    }

    fn sum(&self) -> c_long {
        // SAFETY: A live count (type invariant).
        unsafe { bindings::tcm_rs_loop_count_sum(self.0.as_ptr()) }
    }
}

impl Drop for PerCpuCount {
    fn drop(&mut self) {
        // SAFETY: A live count (type invariant), freed once, here.
        unsafe { bindings::tcm_rs_loop_count_free(self.0.as_ptr()) }
    }
}

/// The command side of a TPG.
///
/// # Invariants
///
/// Commands read only `published[current]`, inside RCU read-side critical
/// sections. The other copy is written only by `publish`, whose callers
/// are serialised, and only once an RCU grace period has passed since it
/// stopped being current.
#[pin_data]
pub(crate) struct Gate {
    published: [UnsafeCell<Published>; 2],
    current: AtomicUsize,
    /// Commands (and LUN resets) that entered and have not left.
    in_flight: PerCpuCount,
    /// How many wait in `wait_idle`: a command that leaves wakes them.
    draining: AtomicU32,
    /// Orders `wait_idle`'s sleep against a leaving command's wake-up;
    /// interrupt-safe, since a command may complete in its backstore's I/O
    /// completion (`command_done`).
    #[pin]
    lock: SpinLockIrq<()>,
    #[pin]
    idle: CondVar,
}

// SAFETY: `published` is written only under the type invariant, when no
// one reads it; everything else is atomics, the per-CPU count (each CPU
// writes its own part) and kernel locks.
unsafe impl Sync for Gate {}
// SAFETY: As above; the per-CPU count may be freed from any CPU.
unsafe impl Send for Gate {}

impl Gate {
    pub(crate) fn new(initial: Published) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            published: [UnsafeCell::new(initial), UnsafeCell::new(initial)],
            current: AtomicUsize::new(0),
            in_flight: PerCpuCount::new()?,
            draining: AtomicU32::new(0),
            lock <- new_spinlock_irq!(()),
            idle <- new_condvar!(),
        }? Error)
    }

    /// Makes `now` what commands start with. The caller serialises
    /// publishes (the TPG's state lock). Once this returns, no command
    /// starts with what was there before, and every one that did is
    /// counted. Sleeps (an RCU grace period).
    pub(crate) fn publish(&self, now: Published) {
        let next = 1 - self.current.load(Ordering::Relaxed);
        // SAFETY: No one reads `published[next]`: it stopped being current
        // an RCU grace period ago, at the end of the previous publish (type
        // invariant), and publishes are serialised.
        unsafe { *self.published[next].get() = now };
        self.current.store(next, Ordering::Release);
        // INVARIANT: The copy that stopped being current is written again
        // only after this grace period.
        rcu::synchronize_rcu();
    }

    /// What a command starts with now, and the command counted in if it
    /// may start: with a nexus, and online unless `any_state` (the error
    /// handler's LUN reset). The caller calls `leave` once it is done.
    pub(crate) fn enter(&self, any_state: bool) -> core::result::Result<Nexus, Closed> {
        let _rcu = rcu::read_lock();
        let current = self.current.load(Ordering::Acquire);
        // SAFETY: The current copy is not written while a read-side
        // critical section that may read it runs (type invariant).
        let now = unsafe { *self.published[current].get() };
        if !any_state && !now.online {
            return Err(Closed::Offline);
        }
        let nexus = now.nexus.ok_or(Closed::NoNexus)?;
        // Inside the read-side section: a `publish` that closes the gate
        // returns only once this count is in.
        self.in_flight.inc();
        Ok(nexus)
    }

    /// Ends what `enter` counted in, waking a `wait_idle`.
    pub(crate) fn leave(&self) {
        // The gate's owner frees it only an RCU grace period after its count
        // reached 0 (`wait_idle`): this section keeps it for the wake-up
        // that follows the last command's decrement.
        let _rcu = rcu::read_lock();
        // A full barrier before and after: what the command did comes before
        // the decrement, and the decrement before the load of `draining`,
        // which `wait_idle` sets before it sums (no wake-up is lost).
        self.in_flight.dec();
        if self.draining.load(Ordering::Relaxed) != 0 {
            let _guard = self.lock.lock();
            self.idle.notify_all();
        }
    }

    /// Waits until no command counted in by `enter` runs. None may enter
    /// meanwhile: the caller has published a gate that lets none in, or the
    /// midlayer sends none (its error handler). Then waits for an RCU grace
    /// period, after which no `leave` touches the gate any more. Sleeps.
    pub(crate) fn wait_idle(&self) {
        self.draining.fetch_add(1, Ordering::SeqCst);
        loop {
            let mut guard = self.lock.lock();
            if self.in_flight.sum() == 0 {
                break;
            }
            self.idle.wait(&mut guard);
        }
        self.draining.fetch_sub(1, Ordering::SeqCst);
        rcu::synchronize_rcu();
    }
}
