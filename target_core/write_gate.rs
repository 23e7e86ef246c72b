// SPDX-License-Identifier: GPL-2.0

//! What makes COMPARE AND WRITE atomic: while one runs on a device, no
//! other command changes the device's medium.
//!
//! LIO serialises COMPARE AND WRITE against itself only (`caw_sem`), so a
//! plain WRITE can land between its read and its write. Here every command
//! that changes the medium (a write, WRITE SAME, UNMAP) passes the device's
//! gate: on the fast path that is one atomic increment and decrement of a
//! counter and one load, no lock. A COMPARE AND WRITE closes the gate,
//! waits for the writes already in flight, does its read, compare and
//! write, and opens the gate again; writes that arrive meanwhile wait.
//! COMPARE AND WRITE is rare (cluster file systems' locks, VMware's ATS),
//! so making every other write wait for it briefly costs little, and a
//! range lock on every write would cost each of them more.

use core::sync::atomic::{AtomicU32, Ordering};

use kernel::prelude::*;
use kernel::sync::{new_condvar, new_mutex, new_spinlock_irq, CondVar, Mutex, SpinLockIrq};

/// One device's gate.
#[pin_data]
pub(crate) struct WriteGate {
    /// Commands changing the medium that passed the gate and have not
    /// finished.
    in_flight: AtomicU32,
    /// Non-zero while a COMPARE AND WRITE holds the gate.
    closed: AtomicU32,
    /// Orders the sleeps below against their wake-ups; never held across
    /// I/O, so a write that waits here holds up no one. Interrupt-safe: a
    /// write may leave the gate in its backstore's I/O completion
    /// (async_rw.rs).
    #[pin]
    lock: SpinLockIrq<()>,
    /// Serialises COMPARE AND WRITEs; held across their I/O.
    #[pin]
    serial: Mutex<()>,
    /// Signalled when `in_flight` may have reached 0 while the gate is
    /// closed, and when the gate opens.
    #[pin]
    changed: CondVar,
}

impl WriteGate {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            in_flight: AtomicU32::new(0),
            closed: AtomicU32::new(0),
            lock <- new_spinlock_irq!(()),
            serial <- new_mutex!(()),
            changed <- new_condvar!(),
        })
    }

    /// Runs `f`, a change of the medium, once no COMPARE AND WRITE runs.
    pub(crate) fn write<T>(&self, f: impl FnOnce() -> T) -> T {
        self.enter();
        let result = f();
        self.leave();
        result
    }

    /// Passes the gate for a change of the medium that ends later (a write
    /// a backstore completes asynchronously, async_rw.rs): waits while a
    /// COMPARE AND WRITE runs. Each `enter` is followed by one `leave`.
    /// May sleep.
    pub(crate) fn enter(&self) {
        loop {
            // SeqCst on both sides (here and in `exclusive`): either this
            // write sees the gate closed, or the closer sees it in flight.
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            if self.closed.load(Ordering::SeqCst) == 0 {
                return;
            }
            self.leave();
            let mut guard = self.lock.lock();
            while self.closed.load(Ordering::SeqCst) != 0 {
                self.changed.wait(&mut guard);
            }
        }
    }

    /// Ends what `enter` began. Never sleeps: callable from any context,
    /// interrupts included.
    pub(crate) fn leave(&self) {
        if self.in_flight.fetch_sub(1, Ordering::SeqCst) == 1
            && self.closed.load(Ordering::SeqCst) != 0
        {
            // Under the lock, so the closer cannot miss it between its
            // check of `in_flight` and its sleep.
            let _guard = self.lock.lock();
            self.changed.notify_all();
        }
    }

    /// Runs `f` with no other change of the medium in flight: a COMPARE
    /// AND WRITE.
    pub(crate) fn exclusive<T>(&self, f: impl FnOnce() -> T) -> T {
        let _serial = self.serial.lock();
        {
            let mut guard = self.lock.lock();
            self.closed.store(1, Ordering::SeqCst);
            while self.in_flight.load(Ordering::SeqCst) != 0 {
                self.changed.wait(&mut guard);
            }
        }
        let result = f();
        let _guard = self.lock.lock();
        self.closed.store(0, Ordering::SeqCst);
        self.changed.notify_all();
        result
    }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_write_gate)]
mod tests {
    use super::*;

    #[test]
    fn writes_pass_and_the_gate_reopens() -> Result {
        let gate = KBox::pin_init(WriteGate::new(), GFP_KERNEL)?;
        assert_eq!(gate.write(|| 7), 7);
        assert_eq!(gate.in_flight.load(Ordering::SeqCst), 0);
        // Inside `exclusive` the gate is closed and nothing is in flight.
        let seen = gate.exclusive(|| {
            (
                gate.closed.load(Ordering::SeqCst),
                gate.in_flight.load(Ordering::SeqCst),
            )
        });
        assert_eq!(seen, (1, 0));
        assert_eq!(gate.closed.load(Ordering::SeqCst), 0);
        // A write after a COMPARE AND WRITE does not wait.
        assert_eq!(gate.write(|| 8), 8);
        assert_eq!(gate.in_flight.load(Ordering::SeqCst), 0);
        Ok(())
    }
}
