// SPDX-License-Identifier: GPL-2.0

//! Reads and writes that complete after `tcm_rs_cmd_execute()` returns
//! (backstore ABI 0.9, fabric ABI 0.7).
//!
//! When the fabric lets a command complete later (`may_pend`, with a
//! `command_done`) and the backstore can leave a transfer in flight
//! (`read_write_async`, as iblock does with bios), a plain READ or WRITE
//! starts its transfer and `tcm_rs_cmd_execute()` returns
//! `EXECUTE_PENDING`: no thread waits for the I/O. The backstore calls
//! `tcm_rs_backstore_rw_done()` when the transfer ends, from whatever
//! context its I/O ends in (a bio's end_io: hard or soft interrupt). That
//! function stores the result and queues the rest of the completion on the
//! core's completion workqueue (core_helpers.c: per CPU, WQ_MEM_RECLAIM,
//! high priority), on the CPU it runs on; nothing else happens in the
//! interrupt. The work item runs the completion in process context, as a
//! synchronous command completes: the write gate is left, a failed
//! transfer becomes MEDIUM ERROR, the port counts the data, the outputs
//! are filled and the fabric's `command_done` is called.
//!
//! Completing in the interrupt instead would put every lock the rest of
//! the path takes (the write gate's mutex, the fabric's locks, the counters,
//! the last reference of a device) under interrupt rules, for a fabric
//! (the loopback) whose midlayer completion defers to a softirq anyway;
//! LIO's target_complete_cmd() bounces to a workqueue the same way.
//!
//! A pending command holds its LUN (so its device) until the work item
//! has run, and the fabric counts it as in flight until `command_done`
//! (the loopback's gate): removal of a LUN or a device, a LUN reset, an
//! abort and the loss of a nexus wait for it as for a command that runs
//! synchronously. The command's place in its device's task set
//! (task_set.rs) is given back by the work item, before the fabric hears
//! of it. The command completes once: the backstore's token is
//! completed once (the SDK's `PendingIo` is consumed by it), and only
//! the work item calls `command_done`.

use core::ptr::{addr_of, addr_of_mut};

use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

use crate::bindings;
use crate::command::{complete_later, Outcome, Pend, Request};
use crate::device::DeviceState;
use crate::lun::LunState;
use crate::lun_map::LinkedLun;
use crate::sbc_emulate::medium_error;

/// How [`start`] left a transfer.
pub(crate) enum Started {
    /// In flight: the command completes through the fabric's
    /// `command_done`.
    Pending,
    /// Finished here, with this result.
    Done(Result),
    /// Not started (no `may_pend`, a backstore that cannot pend, no memory
    /// for the state, or the backstore declined): move the data
    /// synchronously.
    Declined,
}

/// A READ or WRITE in flight in a backstore, from `start` to the
/// completion work. The backstore's token is its address.
///
/// # Invariants
///
/// `work` is the first field (`repr(C)`): the work item's address is the
/// value's. While `gated`, the device's write gate counts the transfer.
#[repr(C)]
struct InFlight {
    work: Opaque<kernel::bindings::work_struct>,
    /// 0 or -errno, stored by `tcm_rs_backstore_rw_done` before it queues
    /// the work (queue_work orders the store before the work runs).
    err: c_int,
    pend: Pend,
    /// The command's device and LUN, until the completion.
    dev: Arc<DeviceState>,
    lun: Arc<LunState>,
    write: bool,
    gated: bool,
    direction: u8,
    lba: u64,
    /// The bytes moved, and those the CDB asked beyond the transport's.
    moved: usize,
    overflow: usize,
}

/// Starts the transfer of `moved` bytes of `req`'s data at `lba` of `lun`
/// (checked and reconciled by the caller) with the backstore's
/// `read_write_async`, a write through the write gate. May sleep (the
/// gate waits while a COMPARE AND WRITE runs; the backstore's submission).
pub(crate) fn start(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    write: bool,
    lba: u64,
    moved: usize,
    overflow: usize,
) -> Started {
    let Some(pend) = req.pend else {
        return Started::Declined;
    };
    if !lun.dev.can_pend() {
        return Started::Declined;
    }
    req.data.limit(moved);
    let state = InFlight {
        work: Opaque::uninit(),
        err: 0,
        pend,
        dev: lun.dev.clone(),
        lun: lun.state.clone(),
        write,
        gated: write,
        direction: req.direction,
        lba,
        moved,
        overflow,
    };
    // No reclaim: this may run for the initiator's writeback. Without
    // memory the command moves its data synchronously instead.
    let Ok(state) = KBox::new(state, GFP_NOWAIT | __GFP_NOWARN) else {
        return Started::Declined;
    };
    if write {
        lun.dev.write_gate().enter();
    }
    let offset = lba * u64::from(lun.io.block_size);
    let token = KBox::into_raw(state);
    // SAFETY: The LUN's device is enabled while exported; the fabric keeps
    // the command's pages valid and untouched until `command_done`, which
    // only the completion work calls, after the backstore completed
    // `token`, a live `InFlight`.
    let started = unsafe {
        lun.dev
            .start_read_write(write, offset, &mut req.data, token.cast())
    };
    if let Ok(true) = started {
        // `token` may be completed, and freed, already.
        return Started::Pending;
    }
    // SAFETY: Not in flight: the backstore finished or refused it and will
    // not complete `token`, which is the box leaked above.
    let state = unsafe { KBox::from_raw(token) };
    if state.gated {
        lun.dev.write_gate().leave();
    }
    match started {
        Ok(_) => Started::Done(Ok(())),
        Err(e) if e == EAGAIN => Started::Declined,
        Err(e) => Started::Done(Err(e)),
    }
}

/// Ends the transfer of `token` (backstore ABI 0.9) with `err`, 0 or
/// -errno: queues its completion on the core's completion workqueue.
/// Callable from any context, hard interrupts included; never sleeps and
/// takes no lock but the workqueue's own.
///
/// # Safety
///
/// `token` must be a token the core gave to `read_write_async`, which
/// answered `RW_PENDING`, not completed yet; it is not used again.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_backstore_rw_done(token: *mut c_void, err: c_int) {
    let state = token.cast::<InFlight>();
    if state.is_null() {
        return;
    }
    // SAFETY: By the safety requirement `state` is a live `InFlight` that
    // no one else accesses until its work runs.
    unsafe {
        addr_of_mut!((*state).err).write(err);
        bindings::tcm_rs_completion_queue(Opaque::cast_into(addr_of!((*state).work)));
    }
}

/// The completion work of an `InFlight` (core_helpers.c), in process
/// context: completes the command as a synchronous one completes.
///
/// # Safety
///
/// `work` is the `work` of an `InFlight` leaked by `start` and queued by
/// `tcm_rs_backstore_rw_done`; it runs once.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_rw_complete_work(work: *mut kernel::bindings::work_struct) {
    // SAFETY: By the safety requirement; `work` is at the start of the
    // `InFlight` (type invariant), whose box this takes back, once.
    let state = unsafe { KBox::from_raw(work.cast::<InFlight>()) };
    if state.gated {
        state.dev.write_gate().leave();
    }
    let outcome = if state.err == 0 {
        state.lun.stats.count_data(state.direction, state.moved);
        Outcome::Good {
            moved: state.moved,
            overflow: state.overflow,
        }
    } else {
        medium_error(state.write, state.lba, Error::from_errno(state.err))
    };
    let pend = state.pend;
    // The command's place in the task set is given back before it is
    // completed, as LIO's transport_complete_task_attr() does: an ORDERED
    // command waiting for it may start.
    state.dev.task_set.done(pend.slot);
    // The LUN goes before the fabric hears of the command: once it has,
    // the LUN may be unlinked and the device removed.
    drop(state);
    // SAFETY: The fabric keeps the command valid, and not completed, until
    // `command_done` (fabric ABI 0.7), which only this calls for it, once.
    unsafe { complete_later(outcome, &pend) };
}

/// The core's completion workqueue (core_helpers.c), made at module load
/// and destroyed, once drained, when this value goes.
pub(crate) struct CompletionQueue(());

impl CompletionQueue {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Called once, at module load.
        kernel::error::to_result(unsafe { bindings::tcm_rs_completion_wq_create() })?;
        Ok(Self(()))
    }
}

impl Drop for CompletionQueue {
    fn drop(&mut self) {
        // SAFETY: Made in `new`. No device is left (the configfs tree went
        // first), so no transfer can queue a completion any more; the
        // queue is drained before it goes.
        unsafe { bindings::tcm_rs_completion_wq_destroy() };
    }
}
