// SPDX-License-Identifier: GPL-2.0

//! The command path: from a fabric's `tcm_rs_cmd_execute()` to the SCSI
//! status, sense data and residual it gets back.
//!
//! A command finds its LUN in its session's view ([`crate::access`]),
//! holds the LUN's device for its life, is decoded by the shared CDB decoder
//! (proto/src/cdb.rs), and is then emulated (SPC: spc_emulate.rs) or read
//! from and written to the backstore (SBC: sbc_emulate.rs). Data moves in
//! place in the fabric's scatterlist. The command completes in the context
//! that submitted it: no workqueue hop, no lock (the session's view is
//! read under RCU) but, for commands that report the device's settings,
//! the device's configuration mutex.

use core::ptr::NonNull;

use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Completion;
use kernel::time::{delay::fsleep, Delta};

use crate::cdb::{self, DecodeOptions};
use crate::fabric::abi::{self, Command};
use crate::lun_map::LinkedLun;
use crate::pr_emulate;
use crate::queued_command::{QueuedCommand, Resume};
use crate::sbc_emulate;
use crate::sense::{Sense, SenseFormat, SenseKey};
use crate::session::Session;
use crate::sg::SgBuffer;
use crate::spc_emulate;
use crate::task_set::{Attr, Slot};
use crate::tpg::TpgState;

/// SAM status GOOD.
const GOOD: u8 = 0x00;
/// SAM status CHECK CONDITION.
const CHECK_CONDITION: u8 = 0x02;
/// SAM status RESERVATION CONFLICT.
const RESERVATION_CONFLICT: u8 = 0x18;
/// SAM status TASK SET FULL.
const TASK_SET_FULL: u8 = 0x28;

/// The longest CDB taken (variable length CDBs are refused by the decoder).
pub(crate) const MAX_CDB_LEN: usize = 260;

/// The CDBs copied into a small buffer: all but the longest
/// variable-length ones.
const SHORT_CDB_LEN: usize = 32;

/// What the CDB decoder accepts. DPO, FUA and COMPARE AND WRITE as the
/// device says (LIO's target_check_fua(), emulate_caw); protection
/// information, ANCHOR and NDOB are refused until the engine has them.
pub(crate) const DECODE: DecodeOptions = DecodeOptions {
    dpofua: false,
    protection: false,
    anchor: false,
    ndob: false,
    max_compare_and_write: 0,
};

/// How a command ended.
pub(crate) enum Outcome {
    /// GOOD: `moved` bytes of data moved; `overflow` bytes more were asked
    /// for by the CDB than the transport offered.
    Good { moved: usize, overflow: usize },
    /// CHECK CONDITION with this sense data.
    Check(Sense),
    /// CHECK CONDITION with this sense data, and `overflow` bytes more
    /// asked for by the CDB than the transport offered (a write whose data
    /// ends inside a block, sbc_emulate.rs).
    CheckOverflow(Sense, usize),
    /// RESERVATION CONFLICT, no sense data (pr_emulate.rs).
    Conflict,
    /// TASK SET FULL, no sense data: the target lacked memory (or the
    /// backstore a resource) to run the command now, and nothing was
    /// changed that a retry would not change again. Initiators retry it
    /// (Linux: later, at a lower queue depth), where CHECK CONDITION with
    /// HARDWARE ERROR, INSUFFICIENT RESOURCES would fail the I/O. LIO's
    /// TCM_OUT_OF_RESOURCES.
    TaskSetFull,
    /// In flight in the backstore (async_rw.rs): completed later, through
    /// the fabric's `command_done`. Only a command whose request allows it
    /// ([`Request::pend`]) ends so.
    Pending,
}

impl Outcome {
    /// GOOD with no data.
    pub(crate) const NO_DATA: Self = Self::Good {
        moved: 0,
        overflow: 0,
    };

    /// CHECK CONDITION with `key`, `asc` and `ascq`.
    pub(crate) const fn check(key: SenseKey, asc: u8, ascq: u8) -> Self {
        Self::Check(Sense::new(key, asc, ascq))
    }
}

impl From<cdb::CdbError> for Outcome {
    fn from(e: cdb::CdbError) -> Self {
        Self::Check(e.sense())
    }
}

/// One command while it runs.
pub(crate) struct Request<'a> {
    pub(crate) tpg: &'a TpgState,
    /// The LUN number the initiator addressed.
    pub(crate) lun: u64,
    /// The transport's data buffer and direction (`DIRECTION_*`).
    pub(crate) data: SgBuffer,
    pub(crate) direction: u8,
    pub(crate) protocol_id: u8,
    /// The I_T nexus: its view of the LUNs, its unit attention conditions.
    pub(crate) session: &'a Session,
    /// The nexus may not write to the LUN (a write-protected mapped LUN):
    /// commands that change the medium get DATA PROTECT.
    pub(crate) read_only: bool,
    /// Set when the fabric lets the command complete after
    /// `tcm_rs_cmd_execute()` returns: how to complete it then.
    pub(crate) pend: Option<Pend>,
    /// What the command holds in its device's task set while it runs
    /// ([`run_admitted`] gives it back; [`Request::leave_task_set`] sooner).
    pub(crate) slot: Slot,
}

impl Request<'_> {
    /// Gives the command's place in `lun`'s task set back before it ends,
    /// so that it can wait for the commands before it
    /// ([`drain_task_set`]) without waiting for itself.
    pub(crate) fn leave_task_set(&mut self, lun: &LinkedLun) {
        let slot = core::mem::replace(&mut self.slot, Slot::Free);
        if let Some(pend) = self.pend.as_mut() {
            pend.slot = Slot::Free;
        }
        lun.dev.task_set.done(slot);
    }
}

/// Sleeps until every command that holds a place in `lun`'s task set now
/// has ended, as an ORDERED command waits for the commands before it
/// (HEAD OF QUEUE commands, which hold none, are not waited for), then
/// runs `then` while the set is still closed: commands that arrive
/// meanwhile wait, and go once it has returned (they see what it did).
/// The caller holds no place itself ([`Request::leave_task_set`]). May
/// sleep. A moment without memory for the set's line (GFP_NOWAIT) is
/// waited out: the caller has usually changed something that must not be
/// answered before the commands end.
pub(crate) fn drain_task_set<T>(lun: &LinkedLun, then: impl FnOnce() -> T) -> T {
    let set = &lun.dev.task_set;
    pin_init::stack_pin_init!(let turn = Completion::new());
    loop {
        match set.wait(Attr::Ordered, Resume::Wake(NonNull::from(&*turn))) {
            Ok(None) => {
                turn.wait_for_completion();
                break;
            }
            Ok(Some(_)) => break,
            Err(_) => fsleep(Delta::from_millis(1)),
        }
    }
    let out = then();
    set.done(Slot::Ordered);
    out
}

/// How to complete a command later (fabric ABI 0.7's `may_pend`).
#[derive(Clone, Copy)]
pub(crate) struct Pend {
    /// The fabric's command, valid until `done` is called with it.
    pub(crate) cmd: NonNull<Command>,
    /// The fabric's `command_done`.
    pub(crate) done: unsafe extern "C" fn(*mut Command),
    /// The device's `complete_type`, for the command's output.
    pub(crate) complete_type: u8,
    /// The transport's data length, for the residual.
    pub(crate) offered: usize,
    /// The LUN's sense data format.
    pub(crate) sense_format: SenseFormat,
    /// What the command holds in its device's task set, given back when
    /// it completes.
    pub(crate) slot: Slot,
    /// `done` may be called from any context, interrupts included
    /// (`may_pend` [`abi::PEND_ANY_CONTEXT`], fabric ABI 0.9).
    pub(crate) any_context: bool,
    /// The command has the core's room (`core_room`, fabric ABI 0.11),
    /// where a transfer left in flight keeps its state (async_rw.rs).
    pub(crate) has_room: bool,
}

/// Runs one command of `session` on the TPG `core_tpg` to completion:
/// fills `status`, `sense_len` and the residual of `cmd`. Returns 0, or
/// -EINVAL for a malformed request (no CDB, no session), which is not
/// executed, or [`abi::EXECUTE_DEFERRED`] when the fabric said it may run
/// the command later (`may_defer` 1) and the command's device submits
/// queued: then nothing was done (no counter, no unit attention taken); or
/// [`abi::EXECUTE_PENDING`] when the fabric lets it pend (`may_pend`) and
/// it completes later: the backstore left its transfer in flight
/// (async_rw.rs), or the command waits in its device's task set
/// (task_set.rs), or the core queued it (`may_defer` 2,
/// queued_command.rs). Its outputs are filled, and the fabric's
/// `command_done` called, when it ends.
///
/// May sleep. The fabric keeps `cmd`, its buffers and the session valid
/// for the call.
///
/// # Safety
///
/// `core_tpg` must be a handle the core gave to `make_tpg`, before
/// `drop_tpg` returned; `session` one of its registered sessions; `cmd`
/// valid for reads and writes, with `cdb` readable for `cdb_len` bytes,
/// `sense` writable for `sense_cap` bytes and `sgl` holding `sg_nents`
/// entries that map `data_len` bytes no one else touches meanwhile.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_cmd_execute(
    core_tpg: *mut c_void,
    session: *mut c_void,
    cmd: *mut Command,
) -> c_int {
    // SAFETY: By the safety requirement, passed on.
    crate::noio::scope(|| unsafe { execute(core_tpg, session, cmd) })
}

/// The body of [`tcm_rs_cmd_execute`], with allocations that never reclaim
/// through I/O (noio.rs).
///
/// # Safety
///
/// As for [`tcm_rs_cmd_execute`].
unsafe fn execute(core_tpg: *mut c_void, session: *mut c_void, cmd: *mut Command) -> c_int {
    // SAFETY: By the safety requirement (a null session is refused below).
    let (tpg, session) = unsafe {
        (
            &*core_tpg.cast::<TpgState>(),
            session.cast::<Session>().as_ref(),
        )
    };
    let Some(session) = session else {
        return EINVAL.to_errno();
    };
    let Some(cmd_ptr) = NonNull::new(cmd) else {
        return EINVAL.to_errno();
    };
    // Only shared, and only until the command runs: a command left pending
    // may be completed, and its `Command` reused by the fabric, before
    // this returns, so nothing here holds a reference into it meanwhile.
    // SAFETY: By the safety requirement.
    let input = unsafe { cmd_ptr.as_ref() };
    if input.cdb.is_null() || input.cdb_len == 0 || input.cdb_len > MAX_CDB_LEN as u32 {
        return EINVAL.to_errno();
    }
    // Fixed-length CDBs are at most 16 bytes and the usual variable-length
    // ones 32: the full buffer, whose zeroing for every command showed in
    // the profile, is for longer ones only.
    let mut short_copy = [0u8; SHORT_CDB_LEN];
    let mut long_copy;
    let cdb = if input.cdb_len as usize <= SHORT_CDB_LEN {
        &mut short_copy[..input.cdb_len as usize]
    } else {
        long_copy = [0u8; MAX_CDB_LEN];
        &mut long_copy[..input.cdb_len as usize]
    };
    // SAFETY: By the safety requirement, `cdb` is readable for `cdb_len`
    // bytes.
    cdb.copy_from_slice(unsafe { core::slice::from_raw_parts(input.cdb, input.cdb_len as usize) });
    let ops = tpg.fabric().ops();
    // Fabrics older than ABI 0.7 leave `may_pend` as padding and have no
    // `command_done` in their table.
    let pend = if input.may_pend != 0 && ops.abi_minor >= 7 {
        ops.command_done.map(|done| Pend {
            cmd: cmd_ptr,
            done,
            complete_type: 0,
            offered: input.data_len as usize,
            sense_format: SenseFormat::Fixed,
            slot: Slot::Free,
            any_context: input.may_pend == abi::PEND_ANY_CONTEXT && ops.abi_minor >= 9,
            has_room: ops.abi_minor >= 11,
        })
    } else {
        None
    };
    // `may_defer` is padding before ABI 0.6; 2 means something from 0.8.
    let defer = match input.may_defer {
        0 => Defer::Here,
        _ if ops.abi_minor < 6 => Defer::Here,
        abi::DEFER_IN_CORE if ops.abi_minor >= 8 => {
            if pend.is_some() {
                Defer::Core
            } else {
                Defer::Here
            }
        }
        _ => Defer::Fabric,
    };
    let task_attr = input.task_attr;
    let mut req = Request {
        tpg,
        lun: input.lun,
        // SAFETY: By the safety requirement.
        data: unsafe { SgBuffer::from_raw(input.sgl, input.sg_nents, input.data_len as usize) },
        direction: input.direction,
        protocol_id: tpg.command_protocol(input.protocol_id),
        session,
        read_only: false,
        pend,
        slot: Slot::Free,
    };
    let offered = input.data_len as usize;
    match run(&mut req, cdb, defer, task_attr) {
        Ran::Deferred => abi::EXECUTE_DEFERRED,
        // The fabric hears of it through `command_done`, maybe already has.
        Ran::Pending => abi::EXECUTE_PENDING,
        Ran::Done(outcome, complete_type, sense_format) => {
            // SAFETY: By the safety requirement; the command did not pend,
            // so no one else touches it, and it is not completed yet.
            unsafe { finish(&mut *cmd, outcome, complete_type, offered, sense_format) };
            0
        }
    }
}

/// Where a command to a device that submits queued runs: the fabric's
/// `may_defer`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defer {
    /// In the submitter's context (`may_defer` 0).
    Here,
    /// In a worker of the fabric, which runs it again (`may_defer` 1,
    /// [`abi::EXECUTE_DEFERRED`]).
    Fabric,
    /// From the core's submission workqueue, completed through the
    /// fabric's `command_done` (`may_defer` 2, with `may_pend`).
    Core,
}

/// Where a command runs, as [`run`] decides once it has found its LUN.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Here, in the submitter's context.
    Here,
    /// From the core's submission workqueue.
    Core,
    /// Back to the fabric, which runs it again from a worker of its own
    /// ([`Ran::Deferred`]).
    Fabric,
}

/// Where a command for `lun` runs: queued where the device submits queued
/// and the fabric lets it (`defer`), else here.
fn placement(
    req: &Request<'_>,
    cdb: &[u8],
    defer: Defer,
    attr: Option<Attr>,
    lun: &LinkedLun,
) -> Placement {
    let queued = || {
        lun.dev
            .submits_queued(req.pend.is_some() && pends(cdb, &lun.dev))
    };
    match defer {
        Defer::Here => Placement::Here,
        _ if !queued() => Placement::Here,
        Defer::Core => Placement::Core,
        // The fabric's worker runs the command again later, when it enters
        // the task set; that is for SIMPLE (and HEAD OF QUEUE) commands
        // while no ORDERED one is about. Any other goes to the core's queue
        // when the fabric lets it pend, so that it takes its place in the
        // task set now.
        Defer::Fabric
            if req.pend.is_some() && (attr == Some(Attr::Ordered) || lun.dev.task_set.closed()) =>
        {
            Placement::Core
        }
        Defer::Fabric => Placement::Fabric,
    }
}

/// What [`run`] did with a command.
enum Ran {
    /// It ended so: outcome, the device's `complete_type`, the sense
    /// format.
    Done(Outcome, u8, SenseFormat),
    /// Nothing: the fabric runs it again (`may_defer` 1).
    Deferred,
    /// It completes through the fabric's `command_done`.
    Pending,
}

/// Fills `cmd`'s outputs with how it ended: status, sense data (in
/// `sense_format`) and the residual against the `offered` bytes of the
/// transport.
///
/// # Safety
///
/// `cmd` is a command a fabric gave `tcm_rs_cmd_execute()`, not completed
/// yet: its `sense` is null or writable for `sense_cap` bytes.
pub(crate) unsafe fn finish(
    cmd: &mut Command,
    outcome: Outcome,
    complete_type: u8,
    offered: usize,
    sense_format: SenseFormat,
) {
    cmd.complete_type = complete_type;
    cmd.residual_kind = abi::RESIDUAL_NONE;
    cmd.residual = 0;
    cmd.sense_len = 0;
    match outcome {
        Outcome::Good { moved, overflow } => {
            cmd.status = GOOD;
            if overflow != 0 {
                cmd.residual_kind = abi::RESIDUAL_OVERFLOW;
                cmd.residual = u32::try_from(overflow).unwrap_or(u32::MAX);
            } else if moved < offered {
                cmd.residual_kind = abi::RESIDUAL_UNDERFLOW;
                // At most `data_len`, a u32.
                cmd.residual = (offered - moved) as u32;
            }
        }
        Outcome::Conflict => cmd.status = RESERVATION_CONFLICT,
        Outcome::TaskSetFull => cmd.status = TASK_SET_FULL,
        Outcome::Check(sense) | Outcome::CheckOverflow(sense, _) => {
            if let Outcome::CheckOverflow(_, overflow) = outcome {
                // RFC 7143 11.4.5.1 and FCP-4 9.4.2 let a residual go with
                // CHECK CONDITION; libiscsi checks it (as LIO sends it).
                cmd.residual_kind = abi::RESIDUAL_OVERFLOW;
                cmd.residual = u32::try_from(overflow).unwrap_or(u32::MAX);
            }
            cmd.status = CHECK_CONDITION;
            let buf: &mut [u8] = if cmd.sense.is_null() {
                &mut []
            } else {
                // SAFETY: By the safety requirement.
                unsafe { core::slice::from_raw_parts_mut(cmd.sense, cmd.sense_cap as usize) }
            };
            // Too small a buffer gets the status alone.
            if let Ok(len) = sense.encode(sense_format, buf) {
                // At most `sense_cap`.
                cmd.sense_len = len as u32;
            }
        }
        // Never given to `finish`: a pending command is finished by
        // `complete_later` with the outcome of its transfer.
        Outcome::Pending => cmd.status = CHECK_CONDITION,
    }
}

/// Completes a command the fabric let pend with `outcome`: fills its
/// outputs and calls the fabric's `command_done`; nothing if the outcome
/// is [`Outcome::Pending`] (its backstore completes it, async_rw.rs).
///
/// # Safety
///
/// `pend.cmd` is a command a fabric gave `tcm_rs_cmd_execute()` with
/// `may_pend`, which that call left pending and nothing has completed yet;
/// no one else touches it until `command_done`.
pub(crate) unsafe fn complete_later(outcome: Outcome, pend: &Pend) {
    if let Outcome::Pending = outcome {
        return;
    }
    let cmd = pend.cmd.as_ptr();
    // SAFETY: By the safety requirement.
    unsafe {
        finish(
            &mut *cmd,
            outcome,
            pend.complete_type,
            pend.offered,
            pend.sense_format,
        );
        (pend.done)(cmd);
    }
}

/// INVALID FIELD IN CDB, for the ACA task attribute (as LIO).
const INVALID_FIELD_IN_CDB: (u8, u8) = (0x24, 0x00);

/// Finds the command's LUN, places it in its device's task set and runs
/// it, here or later (see [`Ran`]).
///
/// Counts the command where LIO does: for the mapped LUN and the device
/// when it finds its LUN, for the LUN's port once its CDB is decoded (a
/// unit attention reported instead included), and the data the port moved
/// when it completes with GOOD.
fn run(req: &mut Request<'_>, cdb: &[u8], defer: Defer, task_attr: u8) -> Ran {
    let expected = req.data.len();
    let attr = Attr::of(task_attr, cdb.first().copied().unwrap_or(0));
    let found = req
        .session
        .lookup_command(req.lun, req.direction, expected, |lun| {
            placement(req, cdb, defer, attr, lun)
        });
    let Some((lun, read_only, placement)) = found else {
        return Ran::Done(spc_emulate::no_such_lun(req, cdb), 0, SenseFormat::Fixed);
    };
    if placement == Placement::Fabric {
        return Ran::Deferred;
    }
    let in_core = placement == Placement::Core;
    let set = &lun.dev.task_set;
    lun.dev.stats.count_command(req.direction, expected);
    // A backstore that changed the device's size (a block device grown or
    // shrunk): the capacity commands see is updated and every nexus told,
    // this one included, before its unit attentions are looked at.
    lun.dev.check_capacity();
    req.read_only = read_only;
    let complete_type = lun.dev.complete_type();
    let sense_format = lun.sense_format();
    if let Some(pend) = req.pend.as_mut() {
        pend.complete_type = complete_type;
        pend.sense_format = sense_format;
    }
    let done = |outcome| Ran::Done(outcome, complete_type, sense_format);
    let Some(attr) = attr else {
        return done(Outcome::check(
            SenseKey::IllegalRequest,
            INVALID_FIELD_IN_CDB.0,
            INVALID_FIELD_IN_CDB.1,
        ));
    };
    if let Some(slot) = set.admit(attr) {
        if in_core {
            if let Some(q) = QueuedCommand::new(req, &lun, cdb) {
                q.queue(slot);
                return Ran::Pending;
            }
            // No memory to queue it: it runs here, as one from a fabric
            // that cannot defer.
        }
        return ran(
            run_admitted(req, &lun, cdb, slot),
            complete_type,
            sense_format,
        );
    }
    // In line behind an ORDERED command, or one itself.
    if let Some(q) = QueuedCommand::new(req, &lun, cdb) {
        return match set.wait(attr, Resume::Queue(q)) {
            Ok(None) => Ran::Pending,
            Ok(Some((slot, Resume::Queue(q)))) => {
                if in_core {
                    q.queue(slot);
                    return Ran::Pending;
                }
                drop(q);
                ran(
                    run_admitted(req, &lun, cdb, slot),
                    complete_type,
                    sense_format,
                )
            }
            Ok(Some((slot, Resume::Wake(_)))) => ran(
                run_admitted(req, &lun, cdb, slot),
                complete_type,
                sense_format,
            ),
            Err(_) => done(Outcome::TaskSetFull),
        };
    }
    // A fabric that cannot be completed later (or no memory to queue the
    // command): this thread sleeps until the command's turn.
    pin_init::stack_pin_init!(let turn = Completion::new());
    let slot = match set.wait(attr, Resume::Wake(NonNull::from(&*turn))) {
        Ok(None) => {
            turn.wait_for_completion();
            if attr == Attr::Ordered {
                Slot::Ordered
            } else {
                Slot::Simple
            }
        }
        Ok(Some((slot, _))) => slot,
        Err(_) => return done(Outcome::TaskSetFull),
    };
    ran(
        run_admitted(req, &lun, cdb, slot),
        complete_type,
        sense_format,
    )
}

/// [`Ran`] for what [`run_admitted`] returned.
fn ran(outcome: Outcome, complete_type: u8, sense_format: SenseFormat) -> Ran {
    match outcome {
        Outcome::Pending => Ran::Pending,
        outcome => Ran::Done(outcome, complete_type, sense_format),
    }
}

/// Runs a command that holds `slot` in its LUN's task set, and gives the
/// slot back when it ends: here, or for a command left pending in the
/// backstore, when its transfer ends (async_rw.rs).
pub(crate) fn run_admitted(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    cdb: &[u8],
    slot: Slot,
) -> Outcome {
    req.slot = slot;
    if let Some(pend) = req.pend.as_mut() {
        pend.slot = slot;
    }
    let outcome = if let Some(ua) = unit_attention(req, lun, cdb) {
        if cdb::decode(cdb, &decode_options(lun)).is_ok() {
            lun.state.stats.count_in_cmd();
        }
        ua
    } else {
        decode_and_dispatch(req, lun, cdb)
    };
    match &outcome {
        // A pending command gives its slot back, and counts its data, when
        // it completes (async_rw.rs).
        Outcome::Pending => return outcome,
        Outcome::Good { moved, .. } => lun.state.stats.count_data(req.direction, *moved),
        _ => {}
    }
    let slot = core::mem::replace(&mut req.slot, Slot::Free);
    lun.dev.task_set.done(slot);
    outcome
}

/// Whether `cdb` is a plain READ or WRITE, the commands a backstore may
/// leave in flight (async_rw.rs); a WRITE with FUA as `dev` says
/// (`write_may_pend`). Read before decoding, to decide where the command
/// runs; the decoder has the last word.
fn pends(cdb: &[u8], dev: &crate::device::DeviceState) -> bool {
    /// FUA in byte 1 of READ and WRITE(10/12/16).
    const FUA: u8 = 0x08;
    match cdb.first().copied() {
        Some(cdb::opcode::READ_6 | cdb::opcode::WRITE_6) => true,
        Some(cdb::opcode::READ_10 | cdb::opcode::READ_12 | cdb::opcode::READ_16) => true,
        Some(cdb::opcode::WRITE_10 | cdb::opcode::WRITE_12 | cdb::opcode::WRITE_16) => {
            cdb.get(1).is_some_and(|b| dev.write_may_pend(b & FUA != 0))
        }
        _ => false,
    }
}

/// What the decoder accepts for a command to `lun`'s device.
fn decode_options(lun: &LinkedLun) -> DecodeOptions {
    DecodeOptions {
        dpofua: lun.dev.dpofua(),
        max_compare_and_write: lun.dev.max_compare_and_write(),
        ..DECODE
    }
}

/// A pending unit attention condition of the nexus and LUN, reported
/// instead of executing the command: all but INQUIRY, REPORT LUNS and
/// REQUEST SENSE (SAM-5 5.14; REQUEST SENSE returns it as its data). With
/// `emulate_ua_intlck_ctrl` 0 reporting releases the LUN's conditions, as
/// in LIO; otherwise they stay until REQUEST SENSE.
fn unit_attention(req: &Request<'_>, lun: &LinkedLun, cdb: &[u8]) -> Option<Outcome> {
    let session = req.session;
    if !session.has_ua() {
        return None;
    }
    match cdb.first().copied()? {
        cdb::opcode::INQUIRY | cdb::opcode::REPORT_LUNS | cdb::opcode::REQUEST_SENSE => {
            return None
        }
        _ => {}
    }
    let clear = lun.dev.attributes().emulate_ua_intlck_ctrl == crate::attrib::UA_INTLCK_CTRL_CLEAR;
    let (asc, ascq) = session.take_ua(req.lun, clear)?;
    Some(Outcome::check(SenseKey::UnitAttention, asc, ascq))
}

fn decode_and_dispatch(req: &mut Request<'_>, lun: &LinkedLun, cdb: &[u8]) -> Outcome {
    let decoded = match cdb::decode(cdb, &decode_options(lun)) {
        Ok(d) => d,
        Err(e) => return e.into(),
    };
    lun.state.stats.count_in_cmd();
    // LIO's order: unit attentions (above), ALUA access state, reservations.
    if let Some(refused) = crate::alua_engine::check(lun, cdb, &decoded) {
        return refused;
    }
    if let Some(conflict) = pr_emulate::check(req, lun, cdb, decoded.direction) {
        return conflict;
    }
    if req.read_only && changes_medium(&decoded.command) {
        return Outcome::check(SenseKey::DataProtect, WRITE_PROTECTED.0, WRITE_PROTECTED.1);
    }
    dispatch(req, lun, &decoded)
}

/// WRITE PROTECTED.
const WRITE_PROTECTED: (u8, u8) = (0x27, 0x00);

/// Whether `command` writes to the medium, which a write-protected mapped
/// LUN refuses. LIO refuses every command with data out instead (MODE
/// SELECT and PERSISTENT RESERVE OUT included), which SBC-4 does not ask.
fn changes_medium(command: &cdb::Command) -> bool {
    use cdb::Command as C;
    matches!(
        command,
        C::Write(_)
            | C::WriteAndVerify(_)
            | C::WriteSame { .. }
            | C::Unmap { .. }
            | C::CompareAndWrite { .. }
    )
}

fn dispatch(req: &mut Request<'_>, lun: &LinkedLun, decoded: &cdb::Decoded) -> Outcome {
    use cdb::Command as C;
    match decoded.command {
        C::TestUnitReady => Outcome::NO_DATA,
        C::Inquiry {
            evpd,
            page_code,
            alloc_len,
        } => spc_emulate::inquiry(req, lun, evpd, page_code, alloc_len),
        // A LUN past 2^32 blocks answers in descriptor format whatever DESC.
        C::RequestSense { desc, alloc_len } => {
            spc_emulate::request_sense(req, desc || lun.descriptor_sense(), alloc_len)
        }
        C::ReportLuns {
            select_report,
            alloc_len,
        } => spc_emulate::report_luns(req, select_report, alloc_len),
        C::ModeSense {
            ten,
            dbd,
            llbaa,
            pc,
            page,
            subpage,
            alloc_len,
        } => spc_emulate::mode_sense(
            req,
            lun,
            &crate::mode::ModeSense {
                ten,
                dbd,
                llbaa,
                pc,
                page,
                subpage,
            },
            alloc_len,
        ),
        C::ReadCapacity10 { .. } => sbc_emulate::read_capacity_10(req, lun),
        C::ReadCapacity16 { alloc_len, .. } => sbc_emulate::read_capacity_16(req, lun, alloc_len),
        C::Read(rw) => sbc_emulate::read_write(req, lun, false, &rw, true),
        C::Write(rw) => sbc_emulate::read_write(req, lun, true, &rw, true),
        C::SynchronizeCache { lba, blocks, .. } => sbc_emulate::synchronize_cache(lun, lba, blocks),
        C::Verify(rw) => sbc_emulate::verify(req, lun, &rw),
        C::WriteAndVerify(rw) => sbc_emulate::write_and_verify(req, lun, &rw),
        C::WriteSame {
            lba, blocks, unmap, ..
        } => sbc_emulate::write_same(req, lun, lba, blocks, unmap),
        C::Unmap { param_len, .. } => sbc_emulate::unmap(req, lun, param_len),
        C::CompareAndWrite {
            lba, blocks, fua, ..
        } => sbc_emulate::compare_and_write(req, lun, lba, blocks, fua),
        C::GetLbaStatus { lba, alloc_len } => sbc_emulate::get_lba_status(req, lun, lba, alloc_len),
        C::ModeSelect { ten, param_len, .. } => spc_emulate::mode_select(req, lun, ten, param_len),
        C::ReportSupportedOpcodes {
            rctd,
            options,
            requested_opcode,
            requested_sa,
            alloc_len,
        } => spc_emulate::report_supported_opcodes(
            req,
            lun,
            rctd,
            options,
            (requested_opcode, requested_sa),
            alloc_len,
        ),
        C::ReportSupportedTmfs { repd, alloc_len } => {
            spc_emulate::report_supported_tmfs(req, repd, alloc_len)
        }
        C::ReportTargetPortGroups { format, alloc_len } => {
            crate::alua_engine::report_target_port_groups(req, lun, format, alloc_len)
        }
        C::SetTargetPortGroups { param_len } => {
            crate::alua_engine::set_target_port_groups(req, lun, param_len)
        }
        C::PersistentReserveIn {
            service_action,
            alloc_len,
        } => pr_emulate::pr_in(req, lun, service_action, alloc_len),
        C::PersistentReserveOut {
            service_action,
            scope,
            pr_type,
            param_len,
        } => pr_emulate::pr_out(
            req,
            lun,
            pr_emulate::prout_cdb(service_action, scope, pr_type),
            param_len,
        ),
        C::Reserve { .. } => pr_emulate::reserve_release(req, lun, true),
        C::Release { .. } => pr_emulate::reserve_release(req, lun, false),
    }
}

/// Answers a data-in command with `data` (the full response, of which the
/// CDB allows `alloc_len` bytes): copies what fits the transport's buffer.
pub(crate) fn data_in(req: &mut Request<'_>, data: &[u8], alloc_len: usize) -> Outcome {
    let n = data.len().min(alloc_len);
    let moved = req.data.write_at(0, &data[..n]);
    Outcome::Good { moved, overflow: 0 }
}
