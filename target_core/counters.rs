// SPDX-License-Identifier: GPL-2.0

//! Per-CPU statistics counters, as LIO keeps its I/O statistics: a command
//! adds to its CPU's copy only (no atomic shared between CPUs on the I/O
//! path); a reader sums every possible CPU's copy.

use core::ffi::c_void;
use core::ptr::NonNull;

use kernel::prelude::*;

use crate::bindings;
use crate::fabric::abi;

/// `N` 64-bit counters, one set per possible CPU.
///
/// # Invariants
///
/// `ptr` is a per-CPU allocation of `N` `u64`s made by
/// `tcm_rs_percpu_counters_alloc`, owned by this value and freed only by
/// its `Drop`.
pub(crate) struct Counters<const N: usize> {
    ptr: NonNull<c_void>,
}

// SAFETY: The allocation is owned by the value; per-CPU additions and sums
// are safe from any task and any CPU (`this_cpu_add` is preemption-safe),
// so the value may move to and be shared with other threads.
unsafe impl<const N: usize> Send for Counters<N> {}
// SAFETY: As above: `add` and `sum` take `&self` and need no exclusion.
unsafe impl<const N: usize> Sync for Counters<N> {}

impl<const N: usize> Counters<N> {
    /// `N` counters at 0; ENOMEM if the per-CPU memory is not there.
    pub(crate) fn new() -> Result<Self> {
        let n = u32::try_from(N).map_err(|_| EINVAL)?;
        // SAFETY: The helper allocates (or returns NULL); any `n` is fine.
        let raw = unsafe { bindings::tcm_rs_percpu_counters_alloc(n) };
        let ptr = NonNull::new(raw).ok_or(ENOMEM)?;
        // INVARIANT: `ptr` is a fresh allocation of `N` counters.
        Ok(Self { ptr })
    }

    /// Adds `value` to counter `i` (wrapping, as LIO's); an `i` out of
    /// range is ignored.
    pub(crate) fn add(&self, i: usize, value: u64) {
        if i >= N {
            return;
        }
        // SAFETY: By the type invariant `ptr` holds `N` counters per CPU,
        // and `i < N` (so it fits a u32, as `N` did in `new`).
        unsafe { bindings::tcm_rs_percpu_counters_add(self.ptr.as_ptr(), i as u32, value) }
    }

    /// Counter `i` summed over every possible CPU (wrapping); 0 for an `i`
    /// out of range.
    pub(crate) fn sum(&self, i: usize) -> u64 {
        if i >= N {
            return 0;
        }
        // SAFETY: As in `add`.
        unsafe { bindings::tcm_rs_percpu_counters_sum(self.ptr.as_ptr(), i as u32) }
    }
}

impl<const N: usize> Drop for Counters<N> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the allocation is ours and still
        // live; nothing uses it after this.
        unsafe { bindings::tcm_rs_percpu_counters_free(self.ptr.as_ptr()) }
    }
}

/// Commands and the bytes they read and write, per CPU: what each SCSI MIB
/// table that counts I/O keeps (a device's, a LUN's port's, a mapped
/// LUN's), each counting where LIO counts its own.
pub(crate) struct IoCounters(Counters<3>);

/// The indexes of `IoCounters`' counters.
const COMMANDS: usize = 0;
const READ_BYTES: usize = 1;
const WRITE_BYTES: usize = 2;

impl IoCounters {
    /// All at 0; ENOMEM if the per-CPU memory is not there.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self(Counters::new()?))
    }

    /// One command.
    pub(crate) fn add_command(&self) {
        self.0.add(COMMANDS, 1);
    }

    /// `bytes` moving in `direction` (a fabric ABI `DIRECTION_*`): read
    /// from the device, or written to it; other directions move nothing.
    pub(crate) fn add_data(&self, direction: u8, bytes: usize) {
        match direction {
            abi::DIRECTION_TO_DEVICE => self.0.add(WRITE_BYTES, bytes as u64),
            abi::DIRECTION_FROM_DEVICE => self.0.add(READ_BYTES, bytes as u64),
            _ => {}
        }
    }

    /// One command with `len` bytes to move in `direction`.
    pub(crate) fn add_command_data(&self, direction: u8, len: usize) {
        self.add_command();
        self.add_data(direction, len);
    }

    /// The commands counted.
    pub(crate) fn commands(&self) -> u64 {
        self.0.sum(COMMANDS)
    }

    /// The whole MiB read (of the bytes counted), as the tables show them.
    pub(crate) fn read_mbytes(&self) -> u64 {
        self.0.sum(READ_BYTES) >> 20
    }

    /// The whole MiB written.
    pub(crate) fn write_mbytes(&self) -> u64 {
        self.0.sum(WRITE_BYTES) >> 20
    }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_counters)]
mod tests {
    use super::*;

    #[test]
    fn counters_start_at_zero_and_add_up() {
        let Ok(c) = Counters::<3>::new() else {
            // No memory is not this test's failure.
            return;
        };
        assert_eq!(c.sum(0), 0);
        assert_eq!(c.sum(2), 0);
        c.add(0, 1);
        c.add(0, 1);
        c.add(2, 4096);
        c.add(2, 512);
        assert_eq!(c.sum(0), 2);
        assert_eq!(c.sum(1), 0);
        assert_eq!(c.sum(2), 4608);
    }

    #[test]
    fn io_counters_count_by_direction() {
        let Ok(io) = IoCounters::new() else {
            return;
        };
        io.add_command_data(abi::DIRECTION_TO_DEVICE, 3 << 20);
        io.add_command();
        io.add_data(abi::DIRECTION_FROM_DEVICE, (1 << 20) - 1);
        io.add_data(abi::DIRECTION_NONE, 5 << 20);
        assert_eq!(io.commands(), 2);
        assert_eq!(io.write_mbytes(), 3);
        assert_eq!(io.read_mbytes(), 0);
        io.add_data(abi::DIRECTION_FROM_DEVICE, 1);
        assert_eq!(io.read_mbytes(), 1);
    }

    #[test]
    fn out_of_range_is_ignored() {
        let Ok(c) = Counters::<1>::new() else {
            return;
        };
        c.add(1, 7);
        assert_eq!(c.sum(1), 0);
        assert_eq!(c.sum(0), 0);
    }
}
