// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the SCSI midlayer for the loopback fabric: the SCSI
//! host of a WWN, references to it, and the commands it queues. The C
//! half (loop_host.c) holds the host template and the static inline
//! functions.

use core::ptr::NonNull;

use kernel::ffi::c_void;
use kernel::prelude::*;

use crate::bindings;
use crate::sdk::Command;

/// Host byte: no error.
pub(crate) const DID_OK: u8 = 0x00;
/// Host byte: the target cannot be reached (no TPG, no nexus).
pub(crate) const DID_NO_CONNECT: u8 = 0x01;
/// Host byte: the transport is down for now (`transport_status` offline).
pub(crate) const DID_TRANSPORT_DISRUPTED: u8 = 0x0e;

/// `enum dma_data_direction`.
const DMA_TO_DEVICE: i32 = 1;
const DMA_FROM_DEVICE: i32 = 2;

/// A SCSI host that this module added; removed when dropped.
///
/// # Invariants
///
/// `sh` was returned by `tcm_rs_loop_host_add` and is not removed yet.
pub(crate) struct ScsiHost {
    sh: NonNull<bindings::Scsi_Host>,
}

// SAFETY: The SCSI midlayer's host functions may be called from any thread.
unsafe impl Send for ScsiHost {}
// SAFETY: As above; `&self` methods only call thread-safe functions.
unsafe impl Sync for ScsiHost {}

impl ScsiHost {
    /// Adds a host whose commands reach `tcm_rs_loop_queuecommand` with
    /// `queue_data`.
    ///
    /// # Safety
    ///
    /// `queue_data` must stay valid until the returned host is dropped.
    pub(crate) unsafe fn add(queue_data: *mut c_void) -> Result<Self> {
        // SAFETY: By the safety requirement, `queue_data` outlives the host.
        let sh =
            kernel::error::from_err_ptr(unsafe { bindings::tcm_rs_loop_host_add(queue_data) })?;
        // INVARIANT: Just added; `from_err_ptr` refused an error pointer.
        Ok(Self {
            sh: NonNull::new(sh).ok_or(ENOMEM)?,
        })
    }

    /// Another reference to the host, which keeps it allocated (not added).
    pub(crate) fn new_ref(&self) -> ScsiHostRef {
        // SAFETY: The host is live (type invariant); the count taken here is
        // given back when the reference is dropped.
        unsafe { bindings::scsi_host_get(self.sh.as_ptr()) };
        // INVARIANT: A count was taken above.
        ScsiHostRef { sh: self.sh }
    }
}

impl Drop for ScsiHost {
    fn drop(&mut self) {
        // SAFETY: Added and not removed (type invariant); removed once, here.
        // This waits for the host's commands to finish.
        unsafe { bindings::tcm_rs_loop_host_remove(self.sh.as_ptr()) };
    }
}

/// A counted reference to a [`ScsiHost`]: usable after the host is
/// removed, when adding devices fails.
///
/// # Invariants
///
/// Holds one count of `sh` (scsi_host_get).
pub(crate) struct ScsiHostRef {
    sh: NonNull<bindings::Scsi_Host>,
}

// SAFETY: As for `ScsiHost`.
unsafe impl Send for ScsiHostRef {}
// SAFETY: As for `ScsiHost`.
unsafe impl Sync for ScsiHostRef {}

impl ScsiHostRef {
    /// The host number (`/sys/class/scsi_host/host<N>`).
    pub(crate) fn host_no(&self) -> u32 {
        // SAFETY: The count keeps the host allocated (type invariant).
        unsafe { bindings::tcm_rs_loop_host_no(self.sh.as_ptr()) }
    }

    /// Adds and scans SCSI device `0:id:lun`.
    pub(crate) fn add_device(&self, id: u32, lun: u64) -> Result {
        // SAFETY: As in `host_no`; a removed host refuses the device.
        kernel::error::to_result(unsafe {
            bindings::tcm_rs_loop_add_device(self.sh.as_ptr(), id, lun)
        })
    }

    /// Removes SCSI device `0:id:lun` if it exists, waiting for its
    /// commands.
    pub(crate) fn remove_device(&self, id: u32, lun: u64) {
        // SAFETY: As in `host_no`.
        unsafe { bindings::tcm_rs_loop_remove_device(self.sh.as_ptr(), id, lun) };
    }
}

impl Drop for ScsiHostRef {
    fn drop(&mut self) {
        // SAFETY: The count taken in `new_ref` (type invariant), given back once.
        unsafe { bindings::scsi_host_put(self.sh.as_ptr()) };
    }
}

/// A command the midlayer queued, to be completed once.
///
/// # Invariants
///
/// `sc` is a queued command not completed yet; `fields` are its fields.
pub(crate) struct ScsiCmd {
    sc: NonNull<bindings::scsi_cmnd>,
    fields: bindings::tcm_rs_loop_cmd_fields,
}

impl ScsiCmd {
    /// # Safety
    ///
    /// `sc` must be a command passed to `queuecommand`, not completed; the
    /// returned value must be the only one for it.
    pub(crate) unsafe fn from_raw(sc: NonNull<bindings::scsi_cmnd>) -> Self {
        let mut fields = bindings::tcm_rs_loop_cmd_fields::default();
        // SAFETY: By the safety requirement `sc` is a live command.
        unsafe { bindings::tcm_rs_loop_cmd_fields(sc.as_ptr(), &mut fields) };
        // INVARIANT: By the safety requirement.
        Self { sc, fields }
    }

    /// Takes back a command whose core `Command` is `core`, left pending by
    /// the core and now completed by it.
    ///
    /// # Safety
    ///
    /// `core` must be [`ScsiCmd::core_command`] of a command that was
    /// wrapped once, handed to the core, and not completed; the returned
    /// value must be the only one for it.
    pub(crate) unsafe fn from_core(core: NonNull<Command>) -> Option<Self> {
        // SAFETY: By the safety requirement `core` is in a command's
        // private area.
        let sc = unsafe { bindings::tcm_rs_loop_cmd_of_core(core.as_ptr().cast()) };
        // SAFETY: By the safety requirement: a queued command, not
        // completed, wrapped once.
        NonNull::new(sc).map(|sc| unsafe { Self::from_raw(sc) })
    }

    /// Where the core's `Command` of this command lives: in its private
    /// area, which lasts until the command completes.
    /// The room is 8-byte aligned and large enough (checked below).
    pub(crate) fn core_command(&self) -> Option<NonNull<Command>> {
        // SAFETY: A live command (type invariant).
        let p = unsafe { bindings::tcm_rs_loop_core_cmd(self.sc.as_ptr()) };
        NonNull::new(p.cast::<Command>())
    }

    /// A pointer the fabric keeps with the command until it completes.
    pub(crate) fn set_slot(&self, value: *mut c_void) {
        // SAFETY: A live command (type invariant); the slot is in its
        // private area, which only the owner of the command touches.
        unsafe { *bindings::tcm_rs_loop_cmd_slot(self.sc.as_ptr()) = value };
    }

    /// The pointer `set_slot` stored.
    pub(crate) fn slot(&self) -> *mut c_void {
        // SAFETY: As in `set_slot`.
        unsafe { *bindings::tcm_rs_loop_cmd_slot(self.sc.as_ptr()) }
    }

    /// The target id: the TPG's tag.
    pub(crate) fn target_id(&self) -> u32 {
        self.fields.id
    }

    /// The command as the core's ABI takes it; its pointers stay valid
    /// until [`ScsiCmd::complete`]. `may_defer`: the core may hand it back
    /// to be run from the submission workqueue ([`ScsiCmd::defer`]);
    /// `may_pend`: the ABI's value.
    pub(crate) fn to_command(&self, may_defer: bool, may_pend: u8) -> Command {
        let f = &self.fields;
        Command {
            lun: f.lun,
            cdb: f.cdb,
            cdb_len: f.cdb_len,
            sgl: f.sgl.cast(),
            sg_nents: f.sg_nents,
            data_len: f.data_len,
            direction: match f.direction {
                DMA_TO_DEVICE => crate::sdk::DIRECTION_TO_DEVICE,
                DMA_FROM_DEVICE => crate::sdk::DIRECTION_FROM_DEVICE,
                _ => crate::sdk::DIRECTION_NONE,
            },
            // The midlayer queues every command SIMPLE.
            task_attr: 0,
            // The core asks `Fabric::protocol` (fabric ABI 0.12).
            protocol_id: 0,
            status: 0,
            complete_type: 0,
            residual_kind: 0,
            may_defer: u8::from(may_defer),
            may_pend,
            residual: 0,
            sense: f.sense,
            sense_cap: f.sense_cap,
            sense_len: 0,
            core_room: core::mem::MaybeUninit::uninit(),
        }
    }

    /// Hands the command to the submission workqueue, which runs it again
    /// (`tcm_rs_loop_run_deferred`) and completes it there.
    pub(crate) fn defer(self) {
        // SAFETY: Not completed yet (type invariant); `self` is consumed, so
        // the worker is its only owner from here.
        unsafe { bindings::tcm_rs_loop_defer(self.sc.as_ptr()) };
    }

    /// Completes the command with SAM `status`, `host_byte` and `resid`
    /// bytes not transferred; `complete_type` is the device's wish (0: the
    /// module's `submit_type` decides, 1: here, 2: from the workqueue).
    pub(crate) fn complete(self, status: u8, host_byte: u8, resid: u32, complete_type: u8) {
        // SAFETY: Not completed yet (type invariant); `self` is consumed, so
        // it is completed once.
        unsafe {
            bindings::tcm_rs_loop_complete(
                self.sc.as_ptr(),
                status,
                host_byte,
                resid,
                complete_type,
            )
        };
    }
}

// The core's `Command` fits the room loop_host.c keeps for it.
const _: () = assert!(
    core::mem::size_of::<Command>() <= bindings::TCM_RS_LOOP_CORE_CMD_SIZE as usize
        && core::mem::align_of::<Command>() <= 8
);

/// Whether the module's `submit_type` parameter is 2: commands whose device
/// leaves it to the fabric complete from the workqueue.
pub(crate) fn completes_queued() -> bool {
    // SAFETY: Reads a module parameter; no precondition.
    unsafe { bindings::tcm_rs_loop_completes_queued() }
}
