// SPDX-License-Identifier: GPL-2.0

//! Commands the core runs later from a workqueue of its own: those that
//! waited in their device's task set behind an ORDERED command
//! (task_set.rs), and those of a device that sleeps for its I/O from a
//! fabric that asks the core to queue them (`may_defer` 2, fabric ABI
//! 0.8), which thereby enter the task set in the order they arrived.
//!
//! Only a command the fabric lets complete later (`may_pend`) is queued
//! here: its work item runs it as `tcm_rs_cmd_execute()` would have, in
//! process context where it may sleep, fills its outputs and calls the
//! fabric's `command_done`. The fabric counts it as in flight until then,
//! as any pending command (async_rw.rs), so its session and TPG stay; the
//! command holds its LUN, so its device, until the work has run.
//!
//! The workqueue (core_helpers.c) is per CPU, WQ_MEM_RECLAIM (an
//! initiator's writeback may wait for these commands) and high priority,
//! as the loopback's submission workqueue.

use core::ptr::NonNull;

use kernel::prelude::*;
use kernel::sync::{Arc, Completion};
use kernel::types::Opaque;

use crate::bindings;
use crate::command::{self, Pend, Request, MAX_CDB_LEN};
use crate::lun_map::LinkedLun;
use crate::session::Session;
use crate::sg::SgBuffer;
use crate::task_set::{Release, Slot};
use crate::tpg::TpgState;

/// A command that runs from the core's submission workqueue.
///
/// # Invariants
///
/// `work` is the first field (`repr(C)`): the work item's address is the
/// value's. `tpg`, `session` and `pend.cmd` stay valid until the fabric's
/// `command_done` is called with `pend.cmd` (the fabric ABI's promise for
/// a command it let pend).
#[repr(C)]
pub(crate) struct QueuedCommand {
    work: Opaque<kernel::bindings::work_struct>,
    tpg: NonNull<TpgState>,
    session: NonNull<Session>,
    lun: Arc<LinkedLun>,
    read_only: bool,
    pend: Pend,
    /// What the command holds in its device's task set when it runs.
    slot: Slot,
    cdb: [u8; MAX_CDB_LEN],
    cdb_len: usize,
}

// SAFETY: The pointers are to objects the fabric keeps for the command,
// used from one thread at a time (the submitter, then the work item).
unsafe impl Send for QueuedCommand {}

impl QueuedCommand {
    /// The command `req` with `cdb` to `lun`, to run later; `None` without
    /// memory (no reclaim: this may run for an initiator's writeback) or
    /// when the fabric does not let it pend.
    pub(crate) fn new(req: &Request<'_>, lun: &Arc<LinkedLun>, cdb: &[u8]) -> Option<KBox<Self>> {
        let pend = req.pend?;
        let mut copy = [0u8; MAX_CDB_LEN];
        copy.get_mut(..cdb.len())?.copy_from_slice(cdb);
        KBox::new(
            Self {
                work: Opaque::uninit(),
                tpg: NonNull::from(req.tpg),
                session: NonNull::from(req.session),
                lun: lun.clone(),
                read_only: req.read_only,
                pend,
                slot: Slot::Free,
                cdb: copy,
                cdb_len: cdb.len(),
            },
            GFP_NOWAIT | __GFP_NOWARN,
        )
        .ok()
    }

    /// Queues the command to run holding `slot`. Never sleeps.
    pub(crate) fn queue(mut self: KBox<Self>, slot: Slot) {
        self.slot = slot;
        let raw = KBox::into_raw(self);
        // SAFETY: `raw` is a live `QueuedCommand` whose box the work takes
        // back, once (`tcm_rs_queued_command_work`); `work` is its first
        // field (type invariant).
        unsafe {
            bindings::tcm_rs_submit_queue(Opaque::cast_into(core::ptr::addr_of!((*raw).work)))
        };
    }
}

/// How a command waiting in its device's task set goes on when its turn
/// comes.
pub(crate) enum Resume {
    /// From the core's submission workqueue.
    Queue(KBox<QueuedCommand>),
    /// In the fabric's thread, asleep in `tcm_rs_cmd_execute()` on this
    /// completion until then.
    Wake(NonNull<Completion>),
}

// SAFETY: A `Queue` is `Send`; the completion of a `Wake` is `Sync` and
// outlives the entry (its thread sleeps until the entry is released).
unsafe impl Send for Resume {}

impl Release for Resume {
    fn release(self, slot: Slot) {
        match self {
            Self::Queue(q) => q.queue(slot),
            // SAFETY: The sleeping thread keeps the completion until it is
            // woken, which is here.
            Self::Wake(turn) => unsafe { turn.as_ref() }.complete_all(),
        }
    }
}

/// Runs a queued command (core_helpers.c), in process context.
///
/// # Safety
///
/// `work` is the `work` of a `QueuedCommand` leaked by
/// [`QueuedCommand::queue`]; it runs once.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_queued_command_work(
    work: *mut kernel::bindings::work_struct,
) {
    // SAFETY: By the safety requirement; `work` is at the start of the
    // `QueuedCommand` (type invariant), whose box this takes back, once.
    let q = unsafe { KBox::from_raw(work.cast::<QueuedCommand>()) };
    let cmd = q.pend.cmd;
    let (lun, data, direction, protocol_id) = {
        // SAFETY: Valid until `command_done` (type invariant), which is
        // not called before this command runs; only read, and not held
        // while it runs (it may complete, and be reused, meanwhile).
        let input = unsafe { cmd.as_ref() };
        (
            input.lun,
            // SAFETY: The fabric keeps the buffer for the command, untouched
            // by anyone else until `command_done`.
            unsafe { SgBuffer::from_raw(input.sgl, input.sg_nents, input.data_len as usize) },
            input.direction,
            input.protocol_id,
        )
    };
    // SAFETY: Valid until `command_done` (type invariant).
    let tpg = unsafe { q.tpg.as_ref() };
    let mut req = Request {
        tpg,
        lun,
        data,
        direction,
        protocol_id: tpg.command_protocol(protocol_id),
        // SAFETY: As for `tpg`.
        session: unsafe { q.session.as_ref() },
        read_only: q.read_only,
        pend: Some(q.pend),
        slot: crate::task_set::Slot::Free,
    };
    let cdb = q.cdb.get(..q.cdb_len).unwrap_or(&[]);
    let outcome = command::run_admitted(&mut req, &q.lun, cdb, q.slot);
    let pend = q.pend;
    // The LUN goes before the fabric hears of the command, as in
    // async_rw.rs.
    drop(q);
    // SAFETY: The fabric's command, valid and not completed until
    // `command_done`, which only this (or, for one left pending in the
    // backstore, its completion) calls.
    unsafe { command::complete_later(outcome, &pend) };
}

/// The core's submission workqueue (core_helpers.c), made at module load
/// and destroyed, once drained, when this value goes.
pub(crate) struct SubmitQueue(());

impl SubmitQueue {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Called once, at module load.
        kernel::error::to_result(unsafe { bindings::tcm_rs_submit_wq_create() })?;
        Ok(Self(()))
    }
}

impl Drop for SubmitQueue {
    fn drop(&mut self) {
        // SAFETY: Made in `new`. No device is left (the configfs tree went
        // first), so nothing can queue a command any more; the queue is
        // drained before it goes.
        unsafe { bindings::tcm_rs_submit_wq_destroy() };
    }
}
