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
//! context its I/O ends in (a bio's end_io: hard or soft interrupt).
//!
//! For a fabric whose `command_done` may be called from any context
//! (`may_pend` `PEND_ANY_CONTEXT`, fabric ABI 0.9: the loopback, whose
//! scsi_done() may be), the command completes right there, with no
//! context switch, as a synchronous command completes: the write gate is
//! left, a failed transfer becomes MEDIUM ERROR, the port counts the data,
//! the command's place in its task set is given back, the outputs are
//! filled and `command_done` is called. Everything on that path is
//! interrupt-safe: the gate's and the task set's locks are `SpinLockIrq`,
//! the counters per-CPU. Only the references to the LUN and the device
//! cannot go in an interrupt if they are the last ones (their release may
//! sleep): then the completion work does the rest.
//!
//! For other fabrics (iSCSI, which sends its answer on a socket), the
//! completion is queued on the core's completion workqueue (core_helpers.c:
//! per CPU, WQ_MEM_RECLAIM, high priority), on the CPU it ends on, and the
//! work item runs it in process context.
//!
//! A pending command holds its LUN (so its device) until it is completed,
//! and the fabric counts it as in flight until `command_done` (the
//! loopback's gate): removal of a LUN or a device, a LUN reset, an abort
//! and the loss of a nexus wait for it as for a command that runs
//! synchronously. The LUN and the device are given back before the fabric
//! hears of the command. The command completes once: the backstore's
//! token is completed once (the SDK's `PendingIo` is consumed by it), and
//! `command_done` is called either in `tcm_rs_backstore_rw_done()` or by
//! the work item, never both.

use core::mem::{align_of, size_of};
use core::ops::{Deref, DerefMut};
use core::ptr::{addr_of, addr_of_mut, NonNull};

use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

use crate::bindings;
use crate::command::{complete_later, Outcome, Pend, Request};
use crate::device::DeviceState;
use crate::fabric::abi::CORE_ROOM_WORDS;
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

/// A READ or WRITE in flight in a backstore, from `start` to its
/// completion. The backstore's token is its address ([`Held`]).
///
/// # Invariants
///
/// `work` is the first field (`repr(C)`): the work item's address is the
/// value's. While `write` and [`Stage::Running`], the device's write gate
/// counts the transfer.
#[repr(C)]
struct InFlight {
    work: Opaque<kernel::bindings::work_struct>,
    /// 0 or -errno, stored by `tcm_rs_backstore_rw_done` before it queues
    /// the work (queue_work orders the store before the work runs).
    err: c_int,
    pend: Pend,
    stage: Stage,
    write: bool,
    direction: u8,
    lba: u64,
    /// The bytes moved, and those the CDB asked beyond the transport's.
    moved: usize,
    overflow: usize,
}

/// An [`InFlight`] owned through its address: in its command's room
/// (`core_room`, fabric ABI 0.11), as LIO keeps its `se_cmd` in the
/// fabric's command, or, for a fabric older than that, in a box. Dropping
/// it drops the `InFlight`, and frees the box.
///
/// # Invariants
///
/// `0` points to a live `InFlight` this value owns: written into the room
/// of its `pend.cmd` if its `pend.has_room`, else leaked from a `KBox`.
struct Held(NonNull<InFlight>);

// The room holds an `InFlight` (a `Command` is 8-byte aligned, and so is
// its room, an array of u64 after 8-byte fields).
const _: () = assert!(
    size_of::<InFlight>() <= size_of::<[u64; CORE_ROOM_WORDS]>() && align_of::<InFlight>() <= 8
);

impl Held {
    /// Places `state` in its command's room, or else in a box: `None`
    /// without memory for that (GFP_NOWAIT, no reclaim: this may run for
    /// the initiator's writeback).
    fn new(state: InFlight) -> Option<Self> {
        if !state.pend.has_room {
            let boxed = KBox::new(state, GFP_NOWAIT | __GFP_NOWARN).ok()?;
            // INVARIANT: Leaked from a box, whose `pend.has_room` is false.
            return Some(Self(NonNull::from(KBox::leak(boxed))));
        }
        // SAFETY: `pend.cmd` is the fabric's live command (`Pend`), and
        // this only computes the address of its room, making no reference.
        let room = unsafe { addr_of_mut!((*state.pend.cmd.as_ptr()).core_room) };
        let room = room.cast::<InFlight>();
        // SAFETY: The room is the core's from `tcm_rs_cmd_execute()` until
        // the command completes (fabric ABI 0.11), which is after this
        // value is gone; nothing else of the core uses it while the
        // command runs; it is large and aligned enough (asserted above).
        unsafe { room.write(state) };
        // INVARIANT: Written into its command's room, `pend.has_room`.
        // SAFETY: The room of a command, which is not at address 0.
        Some(Self(unsafe { NonNull::new_unchecked(room) }))
    }

    /// The address, the backstore's token (or the work item's), owning
    /// the `InFlight` until [`Held::from_raw`] takes it back.
    fn into_raw(self) -> *mut InFlight {
        let raw = self.0.as_ptr();
        core::mem::forget(self);
        raw
    }

    /// Takes back what [`Held::into_raw`] gave.
    ///
    /// # Safety
    ///
    /// `raw` came from `into_raw` and is not taken back twice.
    unsafe fn from_raw(raw: *mut InFlight) -> Self {
        // INVARIANT: By the safety requirement, as `into_raw` left it.
        // SAFETY: `into_raw` gave a non-null address.
        Self(unsafe { NonNull::new_unchecked(raw) })
    }
}

impl Deref for Held {
    type Target = InFlight;

    fn deref(&self) -> &InFlight {
        // SAFETY: A live `InFlight` that this value owns (type invariant).
        unsafe { self.0.as_ref() }
    }
}

impl DerefMut for Held {
    fn deref_mut(&mut self) -> &mut InFlight {
        // SAFETY: As in `deref`; owned, so no one else accesses it.
        unsafe { self.0.as_mut() }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let raw = self.0.as_ptr();
        if self.pend.has_room {
            // SAFETY: Owned and live (type invariant), in its command's
            // room, which stays the fabric's memory once it is dropped.
            unsafe { core::ptr::drop_in_place(raw) };
        } else {
            // SAFETY: Owned and leaked from a box (type invariant).
            drop(unsafe { KBox::from_raw(raw) });
        }
    }
}

/// Where the completion of an [`InFlight`] stands.
enum Stage {
    /// The transfer runs: the command holds its device and LUN.
    Running {
        dev: Arc<DeviceState>,
        lun: Arc<LunState>,
    },
    /// The device is done with the command (completed in the backstore's
    /// context), whose last references to the LUN or the device are left
    /// for the completion work to give back, before it calls
    /// `command_done`.
    Settled {
        outcome: Outcome,
        dev: Option<Arc<DeviceState>>,
        lun: Option<Arc<LunState>>,
    },
}

/// Starts the transfer of `moved` bytes of `req`'s data at `lba` of `lun`
/// (checked and reconciled by the caller) with the backstore's
/// `read_write_nowait`, which may finish it at once, then its
/// `read_write_async`, a write through the write gate. May sleep (the
/// gate waits while a COMPARE AND WRITE runs; the backstore's submission).
/// `fua`: a WRITE with FUA that [`DeviceState::write_may_pend`] lets
/// pend, left in flight as one durable write (never moved at once: a page
/// cache's copy is not durable).
pub(crate) fn start(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    write: bool,
    fua: bool,
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
    let offset = lba * u64::from(lun.io.block_size);
    // A write passes the gate once, for the attempt at once and, if that
    // cannot be, for the transfer in flight; every way out below that
    // does not leave the write in flight leaves the gate.
    let gate = lun.dev.write_gate();
    if write {
        gate.enter();
    }
    let not_in_flight = |result: Started| {
        if write {
            gate.leave();
        }
        result
    };
    // At once if the backstore can (fileio's page cache): then nothing is
    // set up for a transfer in flight, no allocation, no reference taken.
    if !fua && lun.dev.can_move_nowait() {
        match lun.dev.read_write_nowait(write, offset, &mut req.data) {
            Ok(()) => return not_in_flight(Started::Done(Ok(()))),
            Err(e) if e != EAGAIN => return not_in_flight(Started::Done(Err(e))),
            Err(_) => {}
        }
    }
    let state = InFlight {
        work: Opaque::uninit(),
        err: 0,
        pend,
        stage: Stage::Running {
            dev: lun.dev.clone(),
            lun: lun.state.clone(),
        },
        write,
        direction: req.direction,
        lba,
        moved,
        overflow,
    };
    // Without memory for a box (a fabric without the room) the command
    // moves its data synchronously instead.
    let Some(state) = Held::new(state) else {
        return not_in_flight(Started::Declined);
    };
    let token = state.into_raw();
    // SAFETY: The LUN's device is enabled while exported; the fabric keeps
    // the command's pages valid and untouched until `command_done`, which
    // only the completion work calls, after the backstore completed
    // `token`, a live `InFlight`.
    let started = unsafe {
        lun.dev
            .start_read_write(write, fua, offset, &mut req.data, token.cast())
    };
    if let Ok(true) = started {
        // `token` may be completed, and freed, already.
        return Started::Pending;
    }
    // SAFETY: Not in flight: the backstore finished or refused it and will
    // not complete `token`, which `into_raw` gave above.
    drop(unsafe { Held::from_raw(token) });
    not_in_flight(match started {
        Ok(_) => Started::Done(Ok(())),
        Err(e) if e == EAGAIN => Started::Declined,
        Err(e) => Started::Done(Err(e)),
    })
}

/// Ends the transfer of `token` (backstore ABI 0.9) with `err`, 0 or
/// -errno: completes the command here when its fabric allows any context,
/// else queues its completion on the core's completion workqueue.
/// Callable from any context, hard interrupts included; never sleeps.
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
    // SAFETY: By the safety requirement `state` is a live `InFlight`, the
    // token `start` gave (`Held::into_raw`), that no one else accesses any
    // more.
    let mut state = unsafe { Held::from_raw(state) };
    state.err = err;
    if !state.pend.any_context {
        queue_completion(state);
        return;
    }
    let Stage::Running { dev, lun } = state.stage.take() else {
        // Not reached: only `start` makes an `InFlight`, running.
        return queue_completion(state);
    };
    let outcome = settle(&state, &dev, &lun);
    // Not the last references (the usual case): given back here. The last
    // ones go in process context, and the fabric hears of the command
    // after they have.
    let dev = Arc::into_unique_or_drop(dev).map(Arc::from);
    let lun = Arc::into_unique_or_drop(lun).map(Arc::from);
    if dev.is_some() || lun.is_some() {
        state.stage = Stage::Settled { outcome, dev, lun };
        return queue_completion(state);
    }
    let pend = state.pend;
    drop(state);
    // SAFETY: The fabric keeps the command valid, and not completed, until
    // `command_done` (fabric ABI 0.7), which only this calls for it, once;
    // `pend.any_context` says it may be called here.
    unsafe { complete_later(outcome, &pend) };
}

impl Stage {
    /// Takes the stage, leaving a settled one with nothing held.
    fn take(&mut self) -> Self {
        core::mem::replace(
            self,
            Self::Settled {
                outcome: Outcome::NO_DATA,
                dev: None,
                lun: None,
            },
        )
    }
}

/// Queues the rest of `state`'s completion on the core's completion
/// workqueue, on this CPU.
fn queue_completion(state: Held) {
    let state = state.into_raw();
    // SAFETY: `state` is a live `InFlight`, whose work item runs
    // `tcm_rs_rw_complete_work` once, which takes it back.
    unsafe { bindings::tcm_rs_completion_queue(Opaque::cast_into(addr_of!((*state).work))) };
}

/// What the device does when `state`'s transfer has ended, on `dev` and
/// `lun`: leaves the write gate, counts the data, gives the command's place
/// in the task set back (an ORDERED command waiting for it may start, as
/// after LIO's transport_complete_task_attr()), and returns the command's
/// outcome. Never sleeps.
fn settle(state: &InFlight, dev: &DeviceState, lun: &LunState) -> Outcome {
    if state.write {
        dev.write_gate().leave();
    }
    let outcome = if state.err == 0 {
        lun.stats.count_data(state.direction, state.moved);
        Outcome::Good {
            moved: state.moved,
            overflow: state.overflow,
        }
    } else {
        medium_error(state.write, state.lba, Error::from_errno(state.err))
    };
    dev.task_set.done(state.pend.slot);
    outcome
}

/// The completion work of an `InFlight` (core_helpers.c), in process
/// context: completes the command as a synchronous one completes, or
/// finishes a completion begun in the backstore's context.
///
/// # Safety
///
/// `work` is the `work` of an `InFlight` leaked by `queue_completion`; it
/// runs once.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_rw_complete_work(work: *mut kernel::bindings::work_struct) {
    // SAFETY: By the safety requirement; `work` is at the start of the
    // `InFlight` (type invariant), which `queue_completion` gave with
    // `Held::into_raw` and this takes back, once.
    let mut state = unsafe { Held::from_raw(work.cast::<InFlight>()) };
    // The LUN and the device go before the fabric hears of the command:
    // once it has, the LUN may be unlinked and the device removed.
    let (outcome, dev, lun) = match state.stage.take() {
        Stage::Running { dev, lun } => (settle(&state, &dev, &lun), Some(dev), Some(lun)),
        Stage::Settled { outcome, dev, lun } => (outcome, dev, lun),
    };
    drop(lun);
    drop(dev);
    let pend = state.pend;
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
