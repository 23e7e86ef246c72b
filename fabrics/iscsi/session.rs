// SPDX-License-Identifier: GPL-2.0

//! The full-feature phase of normal sessions (RFC 7143): SCSI commands
//! with their data (immediate data, unsolicited Data-Out, R2Ts, Data-In),
//! responses, the CmdSN window, NOP-Out, task management and Logout.
//!
//! A session has one connection (MaxConnections=1). Its receive thread
//! (conn.rs) reads every PDU and hands each complete command to the core
//! through the session's I_T nexus, letting it pend (fabric ABI 0.7) and
//! asking the core to queue what it should not run here (`may_defer` 2,
//! ABI 0.8: a backstore that sleeps for I/O), so that every command takes
//! its place in its device's task set in the order it arrived and the
//! core can hold one back behind an ORDERED command. A command the core
//! runs at once is answered from the receive thread; one it leaves pending
//! is answered from `command_done` (`Iscsi::command_done`), on the core's
//! workqueue. Every PDU is sent under the session's `seq` lock,
//! which also holds StatSN, ExpCmdSN and MaxCmdSN, so responses from both
//! sides never interleave and StatSN grows in the order they are sent.
//!
//! Lifetimes: a command holds the TPG's gate ([`TpgSessions`]) and the
//! session's `flight` list (its ITT) from its submission until its
//! response is sent. The connection's end (Logout, TCP close, a malformed PDU) shuts
//! the socket, frees the commands still waiting for data (never seen by
//! the core), waits until `flight` is empty and only then ends the I_T nexus
//! (the core's nexus loss). The TPG's removal closes its gate, shuts its
//! connections down, waits for its commands and ends the sessions left.

use core::ffi::c_void;
use core::ptr::NonNull;

use kernel::bindings::scatterlist;
use kernel::prelude::*;
use kernel::sync::{new_condvar, new_mutex, new_spinlock, Arc, CondVar, Mutex, SpinLock};

use crate::conn::{Conn, Seq};
use crate::iscsi_pdu::{self as pdu, Request, Residual, BHS_LEN};
use crate::iscsi_session::{self as ffp, SessionParams};
use crate::sdk::{self, Command, CoreTpg, Executed, Nexus, SessionId};

extern "C" {
    fn tcm_rs_iscsi_buf_alloc(len: u32, zero: bool) -> *mut c_void;
    fn tcm_rs_iscsi_buf_free(b: *mut c_void);
    fn tcm_rs_iscsi_buf_sgl(b: *mut c_void, nents: *mut u32) -> *mut scatterlist;
}

/// The most data one PDU may carry to the target: the
/// MaxRecvDataSegmentLength the target declares (as conn.rs declares it).
pub(crate) const OUR_MAX_RECV: u32 = 262_144;
/// The longest sense data kept (LIO's TRANSPORT_SENSE_BUFFER).
const SENSE_MAX: usize = 96;
/// The longest CDB (16 bytes and an extended CDB AHS).
const CDB_MAX: usize = 260;
/// The most data one command may move: a bound on what one PDU from the
/// network makes the target allocate.
const DATA_MAX: u32 = 16 << 20;
/// The longest AHS (TotalAHSLength is a byte of words).
const AHS_MAX: usize = 255 * 4;
/// The most writes that may wait for their data at once: a bound on what
/// an initiator can make the target hold (immediate commands are outside
/// the CmdSN window).
const PENDING_MAX: usize = 128;
/// SAM status TASK SET FULL: a command the target has no memory for.
const TASK_SET_FULL: u8 = 0x28;

// ---------------------------------------------------------------------------
// The sessions of a TPG

/// What a TPG's commands pass through, and who waits for them.
///
/// A wait for the TPG's commands (a LOGICAL UNIT RESET) waits only for
/// those that entered before it: it moves `epoch` on and waits for the
/// old epoch's count, so that another session that keeps commands in
/// flight (the other path of a multipath device, busy while this one
/// recovers) cannot keep it waiting for ever.
struct Gate {
    /// The TPG takes commands (false once it is being removed).
    alive: bool,
    /// Commands of its sessions in the core, by the epoch they entered in.
    in_flight: [u32; 2],
    /// The epoch commands enter in now (0 or 1).
    epoch: usize,
}

/// The sessions of one TPG: the core's side of the TPG (through which I_T
/// nexuses are registered), the gate its commands pass, and the
/// connections to end when it goes.
#[pin_data]
pub(crate) struct TpgSessions {
    #[pin]
    core: Mutex<Option<CoreTpg>>,
    #[pin]
    gate: SpinLock<Gate>,
    #[pin]
    idle: CondVar,
    /// Held by a wait for the TPG's commands: one moves the epoch at a
    /// time, so the epoch it leaves holds every command before it.
    #[pin]
    drain: Mutex<()>,
    #[pin]
    conns: Mutex<KVec<Arc<Conn>>>,
}

impl TpgSessions {
    /// The sessions of a new TPG.
    pub(crate) fn new(core: CoreTpg) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(TpgSessions {
                core <- new_mutex!(Some(core)),
                gate <- new_spinlock!(Gate {
                    alive: true,
                    in_flight: [0; 2],
                    epoch: 0,
                }),
                idle <- new_condvar!(),
                drain <- new_mutex!(()),
                conns <- new_mutex!(KVec::new()),
            }),
            GFP_KERNEL,
        )
    }

    /// The TPG is going: no command enters from now on, its connections
    /// are shut down, its commands finish, and its sessions end.
    pub(crate) fn close(&self) {
        self.gate.lock().alive = false;
        for c in self.conns.lock().iter() {
            c.shutdown();
        }
        self.wait_idle();
        let core = self.core.lock().take();
        // Ends the sessions left (the core's nexus loss for each).
        drop(core);
    }

    /// Registers the I_T nexus of a session of `conn` with ISID `isid`;
    /// EACCES if the initiator may not log in, ENODEV if the TPG is going.
    fn register(
        &self,
        initiator: &CStr,
        isid: [u8; 6],
        conn: &Arc<Conn>,
    ) -> Result<(SessionId, Nexus)> {
        let mut conns = self.conns.lock();
        conns.reserve(1, GFP_KERNEL)?;
        let mut guard = self.core.lock();
        let Some(core) = &mut *guard else {
            return Err(ENODEV);
        };
        let id = core.add_session_isid(initiator, Some(isid))?;
        let Some(nexus) = core.nexus(id) else {
            core.remove_session(id);
            return Err(ENODEV);
        };
        // Cannot fail: reserved above.
        conns.push(conn.clone(), GFP_NOWAIT)?;
        Ok((id, nexus))
    }

    /// Ends session `id` of `conn` (once its commands are done).
    fn deregister(&self, id: SessionId, conn: &Arc<Conn>) {
        if let Some(core) = &mut *self.core.lock() {
            core.remove_session(id);
        }
        self.conns.lock().retain(|c| !Arc::ptr_eq(c, conn));
    }

    /// A command goes in; returns the epoch to leave it with, or `None`
    /// if the TPG is going.
    fn enter(&self) -> Option<usize> {
        let mut gate = self.gate.lock();
        if !gate.alive {
            return None;
        }
        let epoch = gate.epoch;
        gate.in_flight[epoch] += 1;
        Some(epoch)
    }

    /// A command that entered in `epoch` is answered.
    fn leave(&self, epoch: usize) {
        let wake = {
            let mut gate = self.gate.lock();
            let Some(count) = gate.in_flight.get_mut(epoch) else {
                return;
            };
            *count -= 1;
            *count == 0
        };
        if wake {
            self.idle.notify_all();
        }
    }

    /// Waits until every command of the TPG that is in the core now has
    /// been answered (those that enter meanwhile are not waited for).
    fn wait_idle(&self) {
        let _drain = self.drain.lock();
        let mut gate = self.gate.lock();
        let old = gate.epoch;
        gate.epoch = old ^ 1;
        while gate.in_flight[old] != 0 {
            self.idle.wait(&mut gate);
        }
    }
}

/// What a normal session's login leaves for its full-feature phase.
pub(crate) struct NormalLogin {
    pub(crate) tpg: Arc<TpgSessions>,
    pub(crate) id: SessionId,
    pub(crate) nexus: Nexus,
    pub(crate) params: SessionParams,
}

/// Registers the I_T nexus of a normal session whose login succeeds.
pub(crate) fn register(
    tpg: Arc<TpgSessions>,
    initiator: &CStr,
    isid: [u8; 6],
    conn: &Arc<Conn>,
    params: SessionParams,
) -> Result<NormalLogin> {
    let (id, nexus) = tpg.register(initiator, isid, conn)?;
    Ok(NormalLogin {
        tpg,
        id,
        nexus,
        params,
    })
}

/// Ends the nexus of a login that could not tell the initiator it
/// succeeded (no command has run).
pub(crate) fn abandon(login: NormalLogin, conn: &Arc<Conn>) {
    login.tpg.deregister(login.id, conn);
}

// ---------------------------------------------------------------------------
// Commands

/// A command's data buffer (the C half's scatterlist of pages).
///
/// # Invariants
///
/// `raw` is a buffer from `tcm_rs_iscsi_buf_alloc` (which knows its
/// length and checks every access against it), freed once, here.
struct DataBuf {
    raw: *mut c_void,
}

// SAFETY: Plain memory, used by one thread at a time (the command's owner).
unsafe impl Send for DataBuf {}

impl DataBuf {
    fn new(len: u32, zero: bool) -> Result<Self> {
        // SAFETY: No requirement; `len` is not 0 (checked by the caller and
        // by the C function).
        let raw = kernel::error::from_err_ptr(unsafe { tcm_rs_iscsi_buf_alloc(len, zero) })?;
        // INVARIANT: Allocated above.
        Ok(Self { raw })
    }

    fn sgl(&self) -> (*mut scatterlist, u32) {
        let mut nents = 0;
        // SAFETY: A live buffer (type invariant); `nents` is writable.
        let sgl = unsafe { tcm_rs_iscsi_buf_sgl(self.raw, &mut nents) };
        (sgl, nents)
    }
}

impl Drop for DataBuf {
    fn drop(&mut self) {
        // SAFETY: Allocated by `tcm_rs_iscsi_buf_alloc`, freed once.
        unsafe { tcm_rs_iscsi_buf_free(self.raw) };
    }
}

/// One SCSI command of a session.
struct Task {
    itt: u32,
    /// The LUN field as sent, and as a number.
    lun_field: u64,
    lun: u64,
    immediate: bool,
    cdb: [u8; CDB_MAX],
    cdb_len: u32,
    /// Expected Data Transfer Length (0 without data).
    expected: u32,
    direction: u8,
    attr: u8,
    buf: Option<DataBuf>,
    sense: [u8; SENSE_MAX],
    /// Writes: the bytes in so far, the end of the sequence that is
    /// running (the unsolicited burst or an R2T's), its TTT (the reserved
    /// tag for unsolicited data) and the DataSN the next Data-Out carries.
    received: u32,
    limit: u32,
    ttt: u32,
    next_data_sn: u32,
    /// The R2Ts sent (ExpDataSN of a write's response).
    r2ts: u32,
    /// The core's command, while the core has it: its pointers are to
    /// this task's CDB, buffer and sense data, which the box keeps in
    /// place.
    core: Command,
    /// While the core has it: the session (`command_done`'s reference).
    session: Option<Arc<Session>>,
}

/// A command without data, inputs or outputs yet.
const NO_COMMAND: Command = Command {
    lun: 0,
    cdb: core::ptr::null(),
    cdb_len: 0,
    sgl: core::ptr::null_mut(),
    sg_nents: 0,
    data_len: 0,
    direction: 0,
    task_attr: 0,
    protocol_id: 0,
    status: 0,
    complete_type: 0,
    residual_kind: 0,
    may_defer: 0,
    may_pend: 0,
    residual: 0,
    sense: core::ptr::null_mut(),
    sense_cap: 0,
    sense_len: 0,
    core_room: core::mem::MaybeUninit::uninit(),
};

// SAFETY: The raw pointers in `core` are to the task's own buffers; a task
// is used by one thread at a time (its owner: the receive thread, or the
// core and then `command_done`).
unsafe impl Send for Task {}

// ---------------------------------------------------------------------------
// The session

/// A command of the session in the core: its ITT, and the TPG epoch it
/// entered in (see `Gate`).
struct Flight {
    itt: u32,
    epoch: usize,
}

/// A normal session: its connection, nexus and negotiated parameters, the
/// numbers of the PDUs it sends, and its commands in the core.
#[pin_data]
pub(crate) struct Session {
    conn: Arc<Conn>,
    tpg: Arc<TpgSessions>,
    id: SessionId,
    nexus: Nexus,
    params: SessionParams,
    /// StatSN, ExpCmdSN, MaxCmdSN; held while a PDU is sent.
    #[pin]
    seq: Mutex<Seq>,
    /// The ITTs of the commands submitted to the core and not answered
    /// yet (a task management function waits for them).
    #[pin]
    flight: Mutex<KVec<Flight>>,
    #[pin]
    idle: CondVar,
}

impl Session {
    /// Command `itt` goes to the core: ENODEV if the TPG is going.
    fn enter(&self, itt: u32) -> Result {
        let mut f = self.flight.lock();
        f.reserve(1, GFP_KERNEL)?;
        let Some(epoch) = self.tpg.enter() else {
            return Err(ENODEV);
        };
        // Cannot fail: reserved above.
        f.push(Flight { itt, epoch }, GFP_NOWAIT)?;
        Ok(())
    }

    /// Command `itt` is answered.
    fn leave(&self, itt: u32) {
        let (wake, epoch) = {
            let mut f = self.flight.lock();
            let Some(i) = f.iter().position(|t| t.itt == itt) else {
                return;
            };
            let epoch = f.remove(i).map(|t| t.epoch).ok();
            (f.is_empty(), epoch)
        };
        if wake {
            self.idle.notify_all();
        }
        if let Some(epoch) = epoch {
            self.tpg.leave(epoch);
        }
    }

    /// Whether command `itt` is in the core.
    fn in_flight(&self, itt: u32) -> bool {
        self.flight.lock().iter().any(|t| t.itt == itt)
    }

    /// Waits until every command this session gave the core is answered.
    fn wait_idle(&self) {
        let mut f = self.flight.lock();
        while !f.is_empty() {
            self.idle.wait(&mut f);
        }
    }

    /// A request numbered `cmd_sn` arrives: a non-immediate one must be the
    /// next CmdSN and inside the window (else the connection ends: ERL 0).
    /// `answered_now`: its answer goes out before the next request is read
    /// (anything but a SCSI command), so its slot of the window is given
    /// back at once.
    fn take_cmd_sn(&self, immediate: bool, cmd_sn: u32, answered_now: bool) -> Result {
        if immediate {
            return Ok(());
        }
        let mut seq = self.seq.lock();
        if cmd_sn != seq.exp_cmd_sn || !pdu::sn_le(cmd_sn, seq.max_cmd_sn) {
            pr_err!(
                "iscsi: {}: CmdSN {:#x}, expected {:#x} (window to {:#x})\n",
                self.conn.peer().text(),
                cmd_sn,
                seq.exp_cmd_sn,
                seq.max_cmd_sn
            );
            return Err(EPROTO);
        }
        seq.exp_cmd_sn = seq.exp_cmd_sn.wrapping_add(1);
        if answered_now {
            seq.max_cmd_sn = seq.max_cmd_sn.wrapping_add(1);
        }
        Ok(())
    }

    /// Reads `len` bytes of data into `buf` at `offset`, and the padding.
    fn recv_into(&self, buf: &DataBuf, offset: u32, len: u32) -> Result {
        self.conn.recv_buf(buf.raw, offset, len)?;
        let mut pad = [0u8; 3];
        let n = (pdu::padded(len) - len) as usize;
        self.conn.recv_exact(pad.get_mut(..n).ok_or(EINVAL)?)
    }

    /// Sends a PDU with no data beyond `data`.
    fn send(&self, bhs: &[u8; BHS_LEN], data: &[u8]) -> Result {
        self.conn.send(bhs, data)
    }

    fn reject(&self, reason: u8, bhs: &[u8; BHS_LEN]) -> Result {
        let mut seq = self.seq.lock();
        let r = pdu::Reject {
            reason,
            numbers: seq.next(),
            data_sn: 0,
        };
        self.send(&r.encode(), bhs)
    }

    /// Runs `task` in the core, and answers it unless the core leaves it
    /// pending (then `command_done` answers it). The caller has entered the
    /// gate; this, or `command_done`, leaves it once answered.
    fn run(self: &Arc<Self>, mut task: KBox<Task>) {
        let (sgl, sg_nents) = task
            .buf
            .as_ref()
            .map_or((core::ptr::null_mut(), 0), DataBuf::sgl);
        task.core = Command {
            lun: task.lun,
            cdb: task.cdb.as_ptr(),
            cdb_len: task.cdb_len,
            sgl,
            sg_nents,
            data_len: task.expected,
            direction: task.direction,
            task_attr: task.attr,
            may_defer: sdk::DEFER_IN_CORE,
            may_pend: 1,
            sense: task.sense.as_mut_ptr(),
            sense_cap: SENSE_MAX as u32,
            ..NO_COMMAND
        };
        task.session = Some(self.clone());
        let raw = KBox::into_raw(task);
        // SAFETY: `raw` is live; its command is handed over whole.
        let core = unsafe { NonNull::new_unchecked(core::ptr::addr_of_mut!((*raw).core)) };
        // SAFETY: The TPG's gate is held (entered by the caller) and the
        // command is in `flight` until it is answered (here or in
        // `command_done`), so the core's TPG and the session stay; the
        // task, with the CDB, the buffer of `data_len` bytes and the sense
        // buffer the command points to, is not touched by this fabric
        // until then.
        let executed = unsafe { self.nexus.execute_raw(core) };
        if let Ok(Executed::Pending) = executed {
            // `command_done` answers it, maybe already has.
            return;
        }
        // SAFETY: Not pending: the core is done with the task, which is
        // taken back once, here.
        let mut task = unsafe { KBox::from_raw(raw) };
        task.session = None;
        match executed {
            Ok(Executed::Done) => self.respond(&task),
            // With `may_defer` 2 the core queues a command itself, never
            // hands it back.
            Ok(_) => {
                pr_err!("iscsi: the core deferred a command that may not be deferred\n");
                self.respond_failure(&task, 1, 0);
            }
            Err(e) => {
                pr_err!("iscsi: the core refused a command ({:?})\n", e);
                self.respond_failure(&task, 1, 0);
            }
        }
        let itt = task.itt;
        drop(task);
        self.leave(itt);
    }

    /// Answers a command the core ran: Data-In PDUs for a read without
    /// sense data (the status in the last), else a SCSI Response (with the
    /// sense data, if any).
    fn respond(&self, task: &Task) {
        let cmd = &task.core;
        let sense_len = (cmd.sense_len as usize).min(SENSE_MAX);
        let residual = match cmd.residual_kind {
            sdk::RESIDUAL_UNDERFLOW => Residual::Underflow(cmd.residual),
            sdk::RESIDUAL_OVERFLOW => Residual::Overflow(cmd.residual),
            _ => Residual::None,
        };
        let mut seq = self.seq.lock();
        if !task.immediate {
            seq.max_cmd_sn = seq.max_cmd_sn.wrapping_add(1);
        }
        let mut exp_data_sn = task.r2ts;
        // A command that ends with sense data (CHECK CONDITION) sends no
        // data, as in LIO: only the SCSI Response with the sense.
        if task.direction == sdk::DIRECTION_FROM_DEVICE && sense_len == 0 {
            let moved = match residual {
                Residual::Underflow(n) => task.expected.saturating_sub(n),
                _ => task.expected,
            };
            let mut offset = 0;
            let mut data_sn = 0u32;
            while let Some(p) =
                ffp::data_in_pdu(offset, moved, self.params.max_xmit, self.params.max_burst)
            {
                let with_status = p.last && sense_len == 0;
                let numbers = if with_status { seq.next() } else { seq.peek() };
                let d = pdu::DataIn {
                    final_bit: p.final_bit,
                    ack: false,
                    status: with_status.then_some(cmd.status),
                    residual,
                    lun: 0,
                    itt: task.itt,
                    ttt: pdu::RESERVED_TAG,
                    numbers,
                    data_sn,
                    offset: p.offset,
                    data_len: p.len,
                };
                let Some(buf) = task.buf.as_ref() else { break };
                if self
                    .conn
                    .send_buf(&d.encode(), buf.raw, p.offset, p.len)
                    .is_err()
                {
                    // The connection is gone; its receive thread ends it.
                    return;
                }
                data_sn += 1;
                offset += p.len;
                if with_status {
                    return;
                }
            }
            exp_data_sn = data_sn;
        }
        let mut data = [0u8; SENSE_MAX + 2];
        let n = if sense_len > 0 {
            ffp::sense_segment(task.sense.get(..sense_len).unwrap_or(&[]), &mut data).unwrap_or(0)
        } else {
            0
        };
        let r = pdu::ScsiResponse {
            response: 0,
            status: cmd.status,
            residual,
            itt: task.itt,
            numbers: seq.next(),
            exp_data_sn,
            data_len: n as u32,
        };
        let _ = self.send(&r.encode(), data.get(..n).unwrap_or(&[]));
    }

    /// Answers a command that did not run: `response` 1 (target failure)
    /// or 0 with `status`.
    fn respond_failure(&self, task: &Task, response: u8, status: u8) {
        let mut seq = self.seq.lock();
        if !task.immediate {
            seq.max_cmd_sn = seq.max_cmd_sn.wrapping_add(1);
        }
        let r = pdu::ScsiResponse {
            response,
            status,
            residual: Residual::None,
            itt: task.itt,
            numbers: seq.next(),
            exp_data_sn: task.r2ts,
            data_len: 0,
        };
        let _ = self.send(&r.encode(), &[]);
    }
}

/// Answers a command the core left pending, now that it has completed
/// (`Iscsi::command_done`).
///
/// # Safety
///
/// `core` is the `core` of a task that `Session::run` handed to the core,
/// which left it pending and is done with it; it is given here once.
pub(crate) unsafe fn command_done(core: NonNull<Command>) {
    let offset = core::mem::offset_of!(Task, core);
    // SAFETY: By the safety requirement `core` is inside a task leaked by
    // `Session::run`, `offset` bytes from its start; its box is taken back
    // once, here.
    let mut task = unsafe { KBox::from_raw(core.as_ptr().byte_sub(offset).cast::<Task>()) };
    let Some(session) = task.session.take() else {
        return;
    };
    session.respond(&task);
    let itt = task.itt;
    drop(task);
    session.leave(itt);
}

// ---------------------------------------------------------------------------
// The receive side

/// The receive thread's state: the commands waiting for their data.
struct Rx<'a> {
    s: &'a Arc<Session>,
    pending: KVec<KBox<Task>>,
    next_ttt: u32,
}

/// The full-feature phase of a normal session on `conn`, until it ends;
/// then its nexus ends.
pub(crate) fn run(conn: &Arc<Conn>, seq: Seq, login: NormalLogin) -> Result {
    let tpg = login.tpg.clone();
    let s = match Arc::pin_init(
        pin_init!(Session {
            conn: conn.clone(),
            tpg: login.tpg,
            id: login.id,
            nexus: login.nexus,
            params: login.params,
            seq <- new_mutex!(seq),
            flight <- new_mutex!(KVec::new()),
            idle <- new_condvar!(),
        }),
        GFP_KERNEL,
    ) {
        Ok(s) => s,
        Err(e) => {
            tpg.deregister(login.id, conn);
            return Err(e);
        }
    };
    let mut rx = Rx {
        s: &s,
        pending: KVec::new(),
        next_ttt: 1,
    };
    let result = rx.run();
    // Nothing more is read; answers in flight fail fast.
    conn.shutdown();
    // Commands still waiting for data never reached the core.
    rx.pending.clear();
    s.wait_idle();
    s.tpg.deregister(s.id, conn);
    result
}

impl Rx<'_> {
    fn run(&mut self) -> Result {
        loop {
            let mut bhs = [0u8; BHS_LEN];
            self.s.conn.recv_exact(&mut bhs)?;
            let h = pdu::Header::parse(&bhs);
            if h.data_len > OUR_MAX_RECV {
                pr_err!(
                    "iscsi: {}: {} bytes of data, more than the {} declared\n",
                    self.s.conn.peer().text(),
                    h.data_len,
                    OUR_MAX_RECV
                );
                return Err(EPROTO);
            }
            let mut ahs = [0u8; AHS_MAX];
            let ahs = ahs.get_mut(..h.ahs_len as usize).ok_or(EPROTO)?;
            self.s.conn.recv_exact(ahs)?;
            let (h, req) = match pdu::parse(&bhs) {
                Ok(r) => r,
                Err(e) => match e.reject_reason() {
                    Some(reason) => {
                        self.discard(h.data_len)?;
                        self.s.reject(reason, &bhs)?;
                        continue;
                    }
                    None => {
                        pr_err!(
                            "iscsi: {}: a malformed PDU ({:?})\n",
                            self.s.conn.peer().text(),
                            e
                        );
                        return Err(EPROTO);
                    }
                },
            };
            match req {
                Request::ScsiCommand(c) => self.scsi_command(&h, &c, ahs)?,
                Request::DataOut(d) => self.data_out(&h, &d)?,
                Request::NopOut(n) => {
                    let data = self.recv_data(h.data_len)?;
                    self.s.take_cmd_sn(h.immediate, n.cmd_sn, true)?;
                    if h.itt != pdu::RESERVED_TAG {
                        let mut seq = self.s.seq.lock();
                        let r = pdu::NopIn {
                            lun: n.lun,
                            itt: h.itt,
                            ttt: pdu::RESERVED_TAG,
                            numbers: seq.next(),
                            data_len: data.len() as u32,
                        };
                        self.s.send(&r.encode(), &data)?;
                    }
                }
                Request::TaskMgmt(t) => {
                    self.discard(h.data_len)?;
                    self.s.take_cmd_sn(h.immediate, t.cmd_sn, true)?;
                    let response = self.task_management(&t);
                    let mut seq = self.s.seq.lock();
                    let r = pdu::TaskMgmtResponse {
                        response,
                        itt: h.itt,
                        numbers: seq.next(),
                    };
                    self.s.send(&r.encode(), &[])?;
                }
                Request::Logout(l) => {
                    self.discard(h.data_len)?;
                    self.s.take_cmd_sn(h.immediate, l.cmd_sn, true)?;
                    // The commands still running are answered first.
                    self.pending.clear();
                    self.s.wait_idle();
                    // ERL 0: no recovery of connections.
                    let response = match l.reason {
                        pdu::logout_reason::REMOVE_FOR_RECOVERY => 2,
                        _ => 0,
                    };
                    let mut seq = self.s.seq.lock();
                    let r = pdu::LogoutResponse {
                        response,
                        itt: h.itt,
                        numbers: seq.next(),
                        time2wait: 0,
                        time2retain: 0,
                    };
                    self.s.send(&r.encode(), &[])?;
                    return Ok(());
                }
                Request::Login(_) => {
                    pr_err!(
                        "iscsi: {}: a Login Request in the full-feature phase\n",
                        self.s.conn.peer().text()
                    );
                    return Err(EPROTO);
                }
                Request::Text(t) => {
                    // No text negotiation in the full-feature phase yet.
                    self.discard(h.data_len)?;
                    self.s.take_cmd_sn(h.immediate, t.cmd_sn, true)?;
                    self.s.reject(pdu::reject::COMMAND_NOT_SUPPORTED, &bhs)?;
                }
                Request::Snack(_) => {
                    // ERL 0 has no SNACK.
                    self.discard(h.data_len)?;
                    self.s.reject(pdu::reject::PROTOCOL_ERROR, &bhs)?;
                }
            }
        }
    }

    /// Reads a data segment and its padding.
    fn recv_data(&self, len: u32) -> Result<KVec<u8>> {
        let padded = pdu::padded(len) as usize;
        let mut data = KVec::with_capacity(padded, GFP_KERNEL)?;
        data.resize(padded, 0, GFP_KERNEL)?;
        self.s.conn.recv_exact(&mut data)?;
        data.truncate(len as usize);
        Ok(data)
    }

    /// Reads and drops a data segment.
    fn discard(&self, len: u32) -> Result {
        let mut left = pdu::padded(len) as usize;
        let mut scratch = [0u8; 256];
        while left > 0 {
            let n = left.min(scratch.len());
            self.s
                .conn
                .recv_exact(scratch.get_mut(..n).ok_or(EINVAL)?)?;
            left -= n;
        }
        Ok(())
    }

    fn scsi_command(&mut self, h: &pdu::Header, c: &pdu::ScsiCommand, ahs: &[u8]) -> Result {
        let peer = self.s.conn.peer().text();
        self.s.take_cmd_sn(h.immediate, c.cmd_sn, false)?;
        let mut cdb = [0u8; CDB_MAX];
        cdb[..16].copy_from_slice(&c.cdb);
        let mut cdb_len = 16usize;
        let bidi = match ffp::extended_cdb(ahs) {
            Ok(Some(ext)) => {
                let end = 16 + ext.len();
                cdb.get_mut(16..end).ok_or(EPROTO)?.copy_from_slice(ext);
                cdb_len = end;
                false
            }
            Ok(None) => false,
            Err(ffp::AhsError::Bidirectional) => true,
            Err(ffp::AhsError::Malformed) => {
                pr_err!("iscsi: {}: a malformed AHS\n", peer);
                return Err(EPROTO);
            }
        };
        if self.pending.len() >= PENDING_MAX {
            pr_err!(
                "iscsi: {}: more than {} writes waiting for their data\n",
                peer,
                PENDING_MAX
            );
            return Err(EPROTO);
        }
        let mut task = KBox::new(
            Task {
                itt: h.itt,
                lun_field: c.lun,
                lun: ffp::lun_to_int(c.lun),
                immediate: h.immediate,
                cdb,
                cdb_len: cdb_len as u32,
                expected: 0,
                direction: sdk::DIRECTION_NONE,
                attr: ffp::sam_task_attr(c.attr),
                buf: None,
                sense: [0; SENSE_MAX],
                received: 0,
                limit: 0,
                ttt: pdu::RESERVED_TAG,
                next_data_sn: 0,
                r2ts: 0,
                core: NO_COMMAND,
                session: None,
            },
            GFP_KERNEL,
        )?;
        if bidi || (c.read && c.write) {
            // Bidirectional commands are not supported (LIO's iSCSI
            // target does not take them either).
            pr_err!("iscsi: {}: a bidirectional command (not supported)\n", peer);
            self.discard(h.data_len)?;
            self.s.respond_failure(&task, 1, 0);
            return Ok(());
        }
        if c.write {
            task.direction = sdk::DIRECTION_TO_DEVICE;
        } else if c.read {
            task.direction = sdk::DIRECTION_FROM_DEVICE;
        }
        if task.direction != sdk::DIRECTION_NONE {
            task.expected = c.expected_len;
        }
        let unsolicited = self.s.params.unsolicited(task.expected);
        if h.data_len > 0 && (!c.write || !self.s.params.immediate_data || h.data_len > unsolicited)
        {
            pr_err!(
                "iscsi: {}: {} bytes of immediate data not allowed (write {}, first burst {})\n",
                peer,
                h.data_len,
                c.write,
                unsolicited
            );
            return Err(EPROTO);
        }
        if task.expected > DATA_MAX {
            pr_err!(
                "iscsi: {}: a command of {} bytes (tcm-rs takes at most {})\n",
                peer,
                task.expected,
                DATA_MAX
            );
            self.discard(h.data_len)?;
            self.s.respond_failure(&task, 1, 0);
            return Ok(());
        }
        if task.expected > 0 {
            match DataBuf::new(task.expected, c.read) {
                Ok(b) => task.buf = Some(b),
                Err(_) => {
                    self.discard(h.data_len)?;
                    self.s.respond_failure(&task, 0, TASK_SET_FULL);
                    return Ok(());
                }
            }
        }
        if !c.write || task.expected == 0 {
            return self.submit(task);
        }
        if h.data_len > 0 {
            if let Some(buf) = task.buf.as_ref() {
                self.s.recv_into(buf, 0, h.data_len)?;
            }
            task.received = h.data_len;
        }
        if task.received == task.expected {
            return self.submit(task);
        }
        if self.s.params.unsolicited_data_out() && !c.final_bit && task.received < unsolicited {
            // Unsolicited Data-Out PDUs follow, up to the first burst.
            task.limit = unsolicited;
        } else {
            self.send_r2t(&mut task)?;
        }
        self.pending.push(task, GFP_KERNEL)?;
        Ok(())
    }

    /// Asks for the next part of a write's data.
    fn send_r2t(&mut self, task: &mut Task) -> Result {
        let Some((offset, length)) =
            ffp::next_r2t(task.received, task.expected, self.s.params.max_burst)
        else {
            return Ok(());
        };
        let ttt = self.next_ttt;
        self.next_ttt = self.next_ttt.wrapping_add(1);
        if self.next_ttt == pdu::RESERVED_TAG {
            self.next_ttt = 1;
        }
        task.ttt = ttt;
        task.limit = offset + length;
        task.next_data_sn = 0;
        let seq = self.s.seq.lock();
        let r = pdu::R2t {
            lun: task.lun_field,
            itt: task.itt,
            ttt,
            numbers: seq.peek(),
            r2t_sn: task.r2ts,
            offset,
            length,
        };
        task.r2ts += 1;
        self.s.send(&r.encode(), &[])
    }

    fn data_out(&mut self, h: &pdu::Header, d: &pdu::DataOut) -> Result {
        let s = self.s;
        let peer = s.conn.peer().text();
        let Some(i) = self.pending.iter().position(|t| t.itt == h.itt) else {
            // Data of a command that was aborted (or refused): dropped.
            return self.discard(h.data_len);
        };
        let task = self.pending.get_mut(i).ok_or(EPROTO)?;
        if d.ttt != task.ttt || d.data_sn != task.next_data_sn {
            pr_err!(
                "iscsi: {}: Data-Out TTT {:#x} DataSN {}, expected {:#x} and {}\n",
                peer,
                d.ttt,
                d.data_sn,
                task.ttt,
                task.next_data_sn
            );
            return Err(EPROTO);
        }
        if let Err(e) = ffp::check_data_out(task.received, task.limit, d.offset, h.data_len) {
            pr_err!(
                "iscsi: {}: Data-Out of {} bytes at {} ({:?}: {} in, sequence to {})\n",
                peer,
                h.data_len,
                d.offset,
                e,
                task.received,
                task.limit
            );
            return Err(EPROTO);
        }
        if let Some(buf) = task.buf.as_ref() {
            s.recv_into(buf, d.offset, h.data_len)?;
        }
        task.received += h.data_len;
        task.next_data_sn = task.next_data_sn.wrapping_add(1);
        if task.received < task.limit {
            if d.final_bit {
                pr_err!("iscsi: {}: a data sequence ended short\n", peer);
                return Err(EPROTO);
            }
            return Ok(());
        }
        if task.received < task.expected {
            let mut task = self.pending.remove(i)?;
            let r = self.send_r2t(&mut task);
            self.pending.push(task, GFP_KERNEL)?;
            return r;
        }
        let task = self.pending.remove(i)?;
        self.submit(task)
    }

    /// Hands a command with all its data to the core.
    fn submit(&mut self, task: KBox<Task>) -> Result {
        if let Err(e) = self.s.enter(task.itt) {
            pr_info!(
                "iscsi: {}: the TPG is going, or no memory; the session ends ({:?})\n",
                self.s.conn.peer().text(),
                e
            );
            return Err(e);
        }
        self.s.run(task);
        Ok(())
    }

    /// Asks the core for a task management function (`f` on the session's
    /// nexus) through the TPG's gate, as a command would go; the response.
    fn core_tmf(&self, f: impl FnOnce(&Nexus) -> Result) -> u8 {
        use pdu::tmf_response as r;
        if self.s.enter(pdu::RESERVED_TAG).is_err() {
            return r::REJECTED;
        }
        let result = f(&self.s.nexus);
        self.s.leave(pdu::RESERVED_TAG);
        match result {
            Ok(()) => r::COMPLETE,
            Err(e) if e == ENODEV => r::NO_LUN,
            Err(_) => r::NOT_SUPPORTED,
        }
    }

    /// A task management function, once the commands it concerns are done;
    /// returns the response. As LIO: TARGET WARM and COLD RESET are
    /// rejected (LIO's ACLs never authorise them), TASK REASSIGN needs ERL
    /// 2, CLEAR ACA is not supported.
    fn task_management(&mut self, t: &pdu::TaskMgmt) -> u8 {
        use pdu::tmf_response as r;
        let lun = ffp::lun_to_int(t.lun);
        match t.function {
            // ABORT TASK
            1 => {
                let before = self.pending.len();
                self.pending.retain(|p| p.itt != t.ref_itt);
                if self.pending.len() != before {
                    // Still waiting for its data: ended here, unanswered.
                    return r::COMPLETE;
                }
                // A command the core has finishes and is answered first:
                // by the time this answer goes, the task no longer exists
                // (LIO's answer for a command past its backstore, and what
                // libiscsi's AbortTaskSimpleAsync accepts with a GOOD).
                // RFC 7143 11.5.1 b) asks for Function Complete for a task
                // not received whose RefCmdSN is inside the window and
                // before the request's own CmdSN; on one connection,
                // delivered in order, no such CmdSN exists: every request
                // before this one has been read.
                if self.s.in_flight(t.ref_itt) {
                    self.s.wait_idle();
                }
                r::NO_TASK
            }
            // ABORT TASK SET: this session's commands for the LUN.
            2 => {
                self.pending.retain(|p| p.lun != lun);
                self.s.wait_idle();
                r::COMPLETE
            }
            // CLEAR TASK SET: every nexus's (the LU's task set is shared),
            // which the core waits for once this session's are done.
            4 => {
                self.pending.retain(|p| p.lun != lun);
                self.s.wait_idle();
                // SAFETY: `core_tmf` holds the gate and the session is
                // registered (see `Session::run`).
                self.core_tmf(|nexus| unsafe { nexus.clear_task_set(lun) })
            }
            // LOGICAL UNIT RESET
            5 => {
                self.pending.retain(|p| p.lun != lun);
                self.s.wait_idle();
                self.s.tpg.wait_idle();
                // SAFETY: As for CLEAR TASK SET.
                self.core_tmf(|nexus| unsafe { nexus.lun_reset(lun) })
            }
            // TARGET WARM RESET, TARGET COLD RESET
            6 | 7 => {
                pr_info!(
                    "iscsi: {}: target reset rejected (not authorised, as in LIO)\n",
                    self.s.conn.peer().text()
                );
                r::REJECTED
            }
            // TASK REASSIGN
            8 => r::NO_REASSIGNMENT,
            _ => r::NOT_SUPPORTED,
        }
    }
}
