// SPDX-License-Identifier: GPL-2.0

//! tcm_rs_loop: the loopback fabric, `target/loopback/` (LIO's tcm_loop).
//!
//! A WWN names an emulated target port whose prefix picks the SCSI
//! protocol it emulates: `naa.` (SAS), `fc.` (FCP) or `iqn.` (iSCSI). Each
//! `tpgt_<N>` (N below 32) has one I_T nexus, made by writing an initiator
//! port name of the same protocol to `nexus` and ended by writing `NULL`.
//!
//! Each WWN is a SCSI host in the initiator's SCSI stack; `tpgt_<N>` is its
//! target N and a linked `lun_<M>` its SCSI device `0:N:M` (a /dev/sdX),
//! added when the LUN is linked and removed when it is unlinked. Commands
//! go through the TPG's nexus to the core in the context that queued them
//! and complete there, or, when the core leaves one pending in its
//! backstore's I/O (iblock), from the core's completion workqueue
//! (`Loopback::command_done`).

use core::ptr::{null_mut, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, rcu, Arc, ArcBorrow, Mutex};

mod bindings;
mod gate;
mod loop_host;

use gate::{Closed, Gate, Published};

use loop_host::{ScsiCmd, ScsiHost, ScsiHostRef};

// The SDK is a library: each fabric uses the part it needs.
#[allow(dead_code)]
#[path = "../../sdk/fabric.rs"]
mod sdk;

// Shared parsing code: a library of which this module uses a part.
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/text.rs"]
mod text;

use sdk::{
    fabric_attrs, Access, CoreTpg, Executed, Execution, Fabric, FabricAttrs, Page, Registration,
    SessionId,
};

module! {
    type: LoopModule,
    name: "tcm_rs_loop",
    authors: ["The tcm-rs developers"],
    description: "tcm-rs loopback fabric",
    license: "GPL v2",
    alias: ["tcm_rs_fabric_loopback"],
}

struct LoopModule {
    _registration: Registration<Loopback>,
    _workqueue: Workqueue,
}

impl kernel::Module for LoopModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // Made first, dropped last (field order): hosts need it.
        let workqueue = Workqueue::new()?;
        Ok(Self {
            _registration: Registration::new()?,
            _workqueue: workqueue,
        })
    }
}

/// The workqueue of deferred completions (loop_host.c), while the module is
/// loaded.
struct Workqueue;

impl Workqueue {
    fn new() -> Result<Self> {
        // SAFETY: Called once, at module load; destroyed by `drop`.
        kernel::error::to_result(unsafe { bindings::tcm_rs_loop_wq_create() })?;
        Ok(Self)
    }
}

impl Drop for Workqueue {
    fn drop(&mut self) {
        // SAFETY: Created in `new`. The registration is dropped before this
        // (field order), and with it every WWN and host: no command can be
        // queued any more, and destroying the workqueue drains it.
        unsafe { bindings::tcm_rs_loop_wq_destroy() };
    }
}

/// The longest port name, NUL included (LIO's TL_WWN_ADDR_LEN).
const WWN_ADDR_LEN: usize = 256;
/// TPGs per WWN: `tpgt_0` to `tpgt_31` (LIO's TL_TPGS_PER_HBA).
const TPGS_PER_WWN: u16 = 32;

/// The SCSI protocol a loopback port emulates, from its name's prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Sas,
    Fcp,
    Iscsi,
}

impl Protocol {
    /// The protocol of a port name, and the name without a `fc.` prefix
    /// (FC port names are bare WWPNs).
    fn of(name: &[u8]) -> Option<(Self, &[u8])> {
        if name.starts_with(b"naa.") {
            Some((Self::Sas, name))
        } else if let Some(wwpn) = name.strip_prefix(b"fc.") {
            Some((Self::Fcp, wwpn))
        } else if name.starts_with(b"iqn.") {
            Some((Self::Iscsi, name))
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sas => "SAS",
            Self::Fcp => "FCP",
            Self::Iscsi => "iSCSI",
        }
    }

    /// The PROTOCOL IDENTIFIER (SPC-4 7.6.1).
    fn id(self) -> u8 {
        match self {
            Self::Fcp => 0x0,
            Self::Iscsi => 0x5,
            Self::Sas => 0x6,
        }
    }
}

struct Loopback;

/// An emulated target port: a SCSI host.
struct LoopWwn {
    protocol: Protocol,
    // Dropped first: removing the host waits for its commands, which use
    // `targets`.
    host: ScsiHost,
    targets: Arc<Targets>,
}

/// A WWN's TPGs by SCSI target id, as its host's commands find them.
struct Targets {
    /// Read under RCU, without a lock: a TPG's `LoopTpg` keeps it, and
    /// takes it out an RCU grace period before it lets it go (`drop`).
    tpgs: [AtomicPtr<TpgShared>; TPGS_PER_WWN as usize],
}

/// A TPG and its nexus.
struct LoopTpg {
    protocol: Protocol,
    tag: u16,
    host: ScsiHostRef,
    targets: Arc<Targets>,
    /// Kept until no command runs on the TPG (`drop` waits for that):
    /// `Loopback::command_done` relies on it.
    shared: Arc<TpgShared>,
}

/// A TPG's state, shared with the commands that run on it.
#[pin_data]
struct TpgShared {
    /// The configuration, changed by attribute writes.
    #[pin]
    state: Mutex<TpgState>,
    /// What commands need, published from `state` by every change of it,
    /// and the commands running (gate.rs): read and counted without a
    /// lock, so that commands from several CPUs share nothing they write.
    /// The nexus and the core's TPG stay until the commands are done.
    #[pin]
    gate: Gate,
}

impl TpgShared {
    /// Publishes `state` to the commands (called with it locked, after
    /// every change of the nexus, the core or `online`). Sleeps.
    fn publish(&self, state: &TpgState) {
        let nexus = state
            .nexus
            .and_then(|id| state.core.as_ref().and_then(|core| core.nexus(id)));
        self.gate.publish(Published {
            nexus,
            online: state.online,
        });
    }
}

impl Targets {
    /// The TPG with SCSI target id `id`, if there is one.
    fn tpg(&self, id: u32) -> Option<Arc<TpgShared>> {
        let slot = self.tpgs.get(id as usize)?;
        let _rcu = rcu::read_lock();
        let tpg = NonNull::new(slot.load(Ordering::Acquire))?;
        // SAFETY: A TPG in the table is an `Arc` its `LoopTpg` holds until
        // an RCU grace period after taking it out (`LoopTpg::drop`): live
        // while this read-side section runs.
        let tpg = unsafe { ArcBorrow::from_raw(tpg.as_ptr()) };
        Some(tpg.into())
    }
}

struct TpgState {
    /// The LUNs linked (LIO's `tl_tpg_port_count`): the nexus stays while
    /// there are any.
    linked_luns: u32,
    /// The core's TPG; taken when the TPG goes, so that a command that
    /// finds the TPG afterwards finds no core.
    core: Option<CoreTpg>,
    nexus: Option<SessionId>,
    online: bool,
    /// T10-PI the fabric claims to carry: 0, 1 or 3.
    fabric_prot_type: u8,
}

fabric_attrs! {
    FABRIC_ATTRS global: [
        version: ro(show_version),
    ]
}

fabric_attrs! {
    TPG_ATTRS for LoopTpg: [
        address: ro(LoopTpg::show_address),
        nexus: rw(LoopTpg::show_nexus, LoopTpg::store_nexus),
        transport_status: rw(LoopTpg::show_transport_status, LoopTpg::store_transport_status),
    ]
}

fabric_attrs! {
    TPG_ATTRIB_ATTRS for LoopTpg: [
        fabric_prot_type: rw(LoopTpg::show_fabric_prot_type, LoopTpg::store_fabric_prot_type),
    ]
}

fn show_version(page: &mut Page<'_>) -> Result {
    page.emit(fmt!("TCM Loopback Fabric module v2.1-rc2 (tcm-rs)\n"))
}

impl Fabric for Loopback {
    const NAME: &'static CStr = c"loopback";
    const ATTRS: FabricAttrs = FabricAttrs {
        fabric: FABRIC_ATTRS.list(),
        tpg: TPG_ATTRS.list(),
        tpg_attrib: TPG_ATTRIB_ATTRS.list(),
        ..FabricAttrs::NONE
    };
    type Wwn = LoopWwn;
    type Tpg = LoopTpg;

    fn make_wwn(name: &CStr) -> Result<LoopWwn> {
        let Some((protocol, _)) = Protocol::of(name.to_bytes()) else {
            pr_err!("loopback: {:?} needs a naa., fc. or iqn. prefix\n", name);
            return Err(EINVAL);
        };
        if name.to_bytes().len() >= WWN_ADDR_LEN {
            pr_err!(
                "loopback: a port name is shorter than {} bytes\n",
                WWN_ADDR_LEN
            );
            return Err(EINVAL);
        }
        let targets = Arc::new(
            Targets {
                tpgs: core::array::from_fn(|_| AtomicPtr::new(null_mut())),
            },
            GFP_KERNEL,
        )?;
        let queue_data = Arc::as_ptr(&targets).cast_mut().cast::<c_void>();
        // SAFETY: `targets` lives in the WWN next to the host and is
        // dropped after it (field order).
        let host = unsafe { ScsiHost::add(queue_data) }.inspect_err(|e| {
            pr_err!("loopback: {:?}: no SCSI host ({:?})\n", name, e);
        })?;
        Ok(LoopWwn {
            protocol,
            host,
            targets,
        })
    }

    fn make_tpg(wwn: &LoopWwn, tag: u16, core: CoreTpg) -> Result<LoopTpg> {
        if tag >= TPGS_PER_WWN {
            pr_err!(
                "loopback: tpgt_{} is beyond tpgt_{}\n",
                tag,
                TPGS_PER_WWN - 1
            );
            return Err(EINVAL);
        }
        let shared = Arc::pin_init(
            try_pin_init!(TpgShared {
                state <- new_mutex!(TpgState {
                    linked_luns: 0,
                    core: Some(core),
                    nexus: None,
                    online: true,
                    fabric_prot_type: 0,
                }),
                gate <- Gate::new(Published {
                    nexus: None,
                    online: true,
                }),
            }? Error),
            GFP_KERNEL,
        )?;
        let host = wwn.host.new_ref();
        let slot = wwn.targets.tpgs.get(usize::from(tag)).ok_or(EINVAL)?;
        // Kept by `shared` until `LoopTpg::drop` takes it out again.
        slot.store(Arc::as_ptr(&shared).cast_mut(), Ordering::Release);
        Ok(LoopTpg {
            protocol: wwn.protocol,
            tag,
            host,
            targets: wwn.targets.clone(),
            shared,
        })
    }

    /// Adds the LUN's SCSI device. The TPG's lock is not held: adding the
    /// device sends it commands.
    ///
    /// As in LIO, the link stands even if the device cannot be added (no
    /// nexus yet, transport offline): the LUN is configured, the initiator
    /// side just does not see it until it rescans.
    fn port_link(tpg: &LoopTpg, lun: u64) -> Result {
        tpg.shared.state.lock().linked_luns += 1;
        if let Err(e) = tpg.host.add_device(u32::from(tpg.tag), lun) {
            pr_info!(
                "loopback: LUN {} is linked but is no SCSI device yet ({:?}; a nexus?)\n",
                lun,
                e
            );
        }
        Ok(())
    }

    fn port_unlink(tpg: &LoopTpg, lun: u64) {
        tpg.host.remove_device(u32::from(tpg.tag), lun);
        let mut state = tpg.shared.state.lock();
        state.linked_luns = state.linked_luns.saturating_sub(1);
    }

    /// The protocol the WWN's name chose (`naa.` SAS, `fc.` FCP, `iqn.`
    /// iSCSI), as tcm_loop's `tl_proto_id`.
    fn protocol(tpg: &LoopTpg) -> u8 {
        tpg.protocol.id()
    }

    /// The nexus's initiator sees every LUN unless an ACL names it, as
    /// with LIO's tcm_loop (always demo mode, writable).
    fn access(_tpg: &LoopTpg) -> Access {
        Access::DEMO
    }

    /// Commands run in `queuecommand`'s context and complete there, or
    /// from the workqueue with `submit_type=2` (LIO's tcm_loop queues
    /// both ways).
    const COMPLETES_PENDING: bool = true;
    // `command_done` completes the SCSI command (scsi_done() may be called
    // from any context) and leaves the TPG's interrupt-safe gate.
    const COMPLETES_IN_ANY_CONTEXT: bool = true;

    /// A command the core left pending has completed: as in
    /// `Targets::queue`.
    unsafe fn command_done(core_cmd: NonNull<sdk::Command>) {
        // SAFETY: By the safety requirement, the core command of a command
        // `Targets::queue` handed to the core, which left it pending; the
        // core calls this once, so it is wrapped once.
        let Some(cmd) = (unsafe { ScsiCmd::from_core(core_cmd) }) else {
            return;
        };
        let tpg = cmd.slot().cast::<TpgShared>().cast_const();
        // SAFETY: Filled by the core, which is done with it.
        let c = unsafe { core_cmd.as_ref() };
        let resid = if c.residual_kind == sdk::RESIDUAL_NONE {
            0
        } else {
            c.residual
        };
        let (status, complete_type) = (c.status, c.complete_type);
        cmd.complete(status, loop_host::DID_OK, resid, complete_type);
        // SAFETY: Stored by `Targets::queue`, the TPG the command entered:
        // its owner keeps it until the command has left (`Gate::wait_idle`).
        unsafe { (*tpg).gate.leave() };
    }

    fn execution() -> Execution {
        let mut execution = Execution::DIRECT;
        if loop_host::completes_queued() {
            execution.default_complete_type = sdk::EXECUTION_QUEUED;
        }
        execution
    }
}

impl Drop for LoopTpg {
    /// Unlisted first, so no new command finds the TPG; then the core's
    /// side goes once the commands running on it are done.
    fn drop(&mut self) {
        if let Some(slot) = self.targets.tpgs.get(usize::from(self.tag)) {
            slot.store(null_mut(), Ordering::Release);
        }
        let mut state = self.shared.state.lock();
        let core = state.core.take();
        // Its grace period also ends every lookup that found the TPG in
        // the table (`Targets::tpg`, `Targets::queue`).
        self.shared.publish(&state);
        self.shared.gate.wait_idle();
        drop(state);
        // Ends the sessions.
        drop(core);
    }
}

/// The host's `queuecommand`: runs the command through the TPG's nexus
/// and completes it.
///
/// # Safety
///
/// `queue_data` is the `Targets` the host was added with; `sc` a command
/// the midlayer queued on it.
#[no_mangle]
unsafe extern "C" fn tcm_rs_loop_queuecommand(
    queue_data: *mut c_void,
    sc: *mut bindings::scsi_cmnd,
) -> c_int {
    // SAFETY: By the safety requirement; `Targets` outlives its host.
    let targets = unsafe { &*queue_data.cast::<Targets>() };
    let Some(sc) = NonNull::new(sc) else {
        return 0;
    };
    // SAFETY: By the safety requirement, a queued command; wrapped once.
    let cmd = unsafe { ScsiCmd::from_raw(sc) };
    targets.queue(cmd, true);
    0
}

/// Runs a command the core deferred, from the submission workqueue
/// (loop_host.c), to completion.
///
/// # Safety
///
/// As for `tcm_rs_loop_queuecommand`: `sc` was handed to
/// `tcm_rs_loop_defer` and not completed since.
#[no_mangle]
unsafe extern "C" fn tcm_rs_loop_run_deferred(
    queue_data: *mut c_void,
    sc: *mut bindings::scsi_cmnd,
) {
    // SAFETY: By the safety requirement; `Targets` outlives its host, which
    // waits for its commands before it goes.
    let targets = unsafe { &*queue_data.cast::<Targets>() };
    let Some(sc) = NonNull::new(sc) else {
        return;
    };
    // SAFETY: By the safety requirement, a queued command; wrapped once.
    let cmd = unsafe { ScsiCmd::from_raw(sc) };
    targets.queue(cmd, false);
}

/// What the device linked to LUN `lun` of target `id` asks of the LUN's
/// queue, for the host's `sdev_configure` (loop_host.c): its queue depth,
/// and its transfer limit in 512-byte sectors. 0, or -ENODEV if no device
/// is linked there.
///
/// # Safety
///
/// `queue_data` is the `Targets` the host was added with; `queue_depth`
/// and `max_hw_sectors` valid for writes.
#[no_mangle]
unsafe extern "C" fn tcm_rs_loop_lun_limits(
    queue_data: *mut c_void,
    id: u32,
    lun: u64,
    queue_depth: *mut u32,
    max_hw_sectors: *mut u32,
) -> c_int {
    // SAFETY: By the safety requirement; `Targets` outlives its host.
    let targets = unsafe { &*queue_data.cast::<Targets>() };
    let Some(tpg) = targets.tpg(id) else {
        return ENODEV.to_errno();
    };
    // The TPG's lock is never held while its LUNs are scanned.
    let limits = match tpg.state.lock().core.as_ref() {
        Some(core) => core.lun_limits(lun),
        None => Err(ENODEV),
    };
    let limits = match limits {
        Ok(limits) => limits,
        Err(e) => return e.to_errno(),
    };
    let sectors = u64::from(limits.max_sectors) * u64::from(limits.block_size) / 512;
    // SAFETY: By the safety requirement.
    unsafe {
        queue_depth.write(limits.queue_depth);
        max_hw_sectors.write(u32::try_from(sectors).unwrap_or(u32::MAX));
    }
    0
}

/// The SCSI error handler's abort, LUN reset and target reset
/// (loop_host.c): the target's commands are waited for (they run to
/// completion in `queue`, so an abort is done once its command is), then a
/// LUN reset is performed by the core. 0 or -errno.
///
/// # Safety
///
/// `queue_data` is the `Targets` the host was added with.
#[no_mangle]
unsafe extern "C" fn tcm_rs_loop_error_handler(
    queue_data: *mut c_void,
    id: u32,
    lun: u64,
    function: c_int,
) -> c_int {
    // SAFETY: By the safety requirement; `Targets` outlives its host.
    let targets = unsafe { &*queue_data.cast::<Targets>() };
    if function == bindings::TCM_RS_LOOP_EH_HOST_RESET as c_int {
        return targets.host_reset();
    }
    let Some(tpg) = targets.tpg(id) else {
        return ENODEV.to_errno();
    };
    // The host is in recovery: the midlayer sends no new command, so the
    // wait ends when the running ones do.
    tpg.gate.wait_idle();
    if function != bindings::TCM_RS_LOOP_EH_LUN_RESET as c_int {
        // ABORT TASK: the command has completed. Target reset: as LIO's
        // tcm_loop, every command of the target has.
        return 0;
    }
    let Ok(nexus) = tpg.gate.enter(true) else {
        return ENODEV.to_errno();
    };
    // SAFETY: Counted in as a command is, so the session and the core's
    // TPG stay for the call.
    let reset = unsafe { nexus.lun_reset(lun) };
    tpg.gate.leave();
    match reset {
        Ok(()) => 0,
        Err(e) => {
            pr_err!("loopback: LUN reset of {}:{} failed ({:?})\n", id, lun, e);
            e.to_errno()
        }
    }
}

impl Targets {
    /// The error handler's host reset, its last resort: the initiator
    /// port is reset, which its nexuses do not survive (SAM-5 6.3.4). Once
    /// each TPG's commands are done, the core establishes I_T NEXUS LOSS
    /// OCCURRED on the LUNs the nexus sees and releases the nexus's SPC-2
    /// reservation, as for `transport_status` offline; the nexus itself
    /// stays, so the disks go on. (LIO's tcm_loop has no host reset: the
    /// midlayer then takes the disks offline.) 0 or -errno.
    fn host_reset(&self) -> c_int {
        let mut ret = 0;
        for id in 0..u32::from(TPGS_PER_WWN) {
            let Some(tpg) = self.tpg(id) else {
                continue;
            };
            // The host is in recovery: no new command starts.
            tpg.gate.wait_idle();
            let state = tpg.state.lock();
            if let (Some(core), Some(nexus)) = (state.core.as_ref(), state.nexus) {
                if let Err(e) = core.i_t_nexus_loss(nexus) {
                    pr_err!("loopback: host reset of target {}: {:?}\n", id, e);
                    ret = e.to_errno();
                }
            }
        }
        if ret == 0 {
            pr_info!("loopback: host reset\n");
        }
        ret
    }

    /// Runs `cmd` and completes it; with `may_defer`, hands it to the
    /// submission workqueue instead when the core defers it. A command the
    /// core leaves pending completes in `Loopback::command_done`.
    fn queue(&self, cmd: ScsiCmd, may_defer: bool) {
        let Some(core_cmd) = cmd.core_command() else {
            return cmd.complete(0, loop_host::DID_NO_CONNECT, 0, 0);
        };
        // The TPG, found and entered in one RCU read-side section: a TPG
        // that leaves the table meanwhile waits for this section before it
        // waits for its commands (`LoopTpg::drop`).
        let entered = {
            let _rcu = rcu::read_lock();
            let tpg = self
                .tpgs
                .get(cmd.target_id() as usize)
                .map_or(null_mut(), |slot| slot.load(Ordering::Acquire));
            // SAFETY: A TPG in the table stays until an RCU grace period
            // after it left it (`LoopTpg::drop`).
            unsafe { tpg.as_ref() }.map(|tpg| (tpg.gate.enter(false), NonNull::from(tpg)))
        };
        let (nexus, tpg) = match entered {
            None | Some((Err(Closed::NoNexus), _)) => {
                return cmd.complete(0, loop_host::DID_NO_CONNECT, 0, 0)
            }
            Some((Err(Closed::Offline), _)) => {
                return cmd.complete(0, loop_host::DID_TRANSPORT_DISRUPTED, 0, 0)
            }
            Some((Ok(nexus), tpg)) => (nexus, tpg),
        };
        // SAFETY: The room for the core's command in the private area,
        // which lives until the command completes.
        unsafe {
            core_cmd
                .as_ptr()
                .write(cmd.to_command(may_defer, sdk::may_pend::<Loopback>()))
        };
        // The TPG goes with the command: a pending one leaves it in
        // `command_done`.
        cmd.set_slot(tpg.as_ptr().cast());
        // SAFETY: While the gate counts this command the session stays
        // registered and the core's TPG stays (`wait_idle` runs before
        // either goes); it counts it until the command completes, here or
        // in `command_done`. The command's pointers are valid until then,
        // and the midlayer does not touch its buffer meanwhile.
        let done = unsafe { nexus.execute_raw(core_cmd) };
        if let Ok(Executed::Pending) = done {
            // `command_done` completes it, maybe already has: neither the
            // command nor the TPG is touched here any more.
            return;
        }
        // SAFETY: The TPG the command entered, kept by its owner until the
        // command leaves (`Gate::wait_idle`): below, once.
        let gate = unsafe { &tpg.as_ref().gate };
        match done {
            Ok(Executed::Deferred) => {
                gate.leave();
                cmd.defer();
            }
            Ok(Executed::Done) => {
                // SAFETY: Filled by the core, which is done with it.
                let c = unsafe { core_cmd.as_ref() };
                let resid = if c.residual_kind == sdk::RESIDUAL_NONE {
                    0
                } else {
                    c.residual
                };
                let (status, complete_type) = (c.status, c.complete_type);
                // Completed before the gate lets the error handler go on
                // (it waits for the commands counted in), so a command it
                // has given up on is never completed after it has been
                // reused.
                cmd.complete(status, loop_host::DID_OK, resid, complete_type);
                gate.leave();
            }
            Ok(Executed::Pending) | Err(_) => {
                cmd.complete(0, loop_host::DID_NO_CONNECT, 0, 0);
                gate.leave();
            }
        }
    }
}

impl LoopTpg {
    /// `host:channel:target` of the TPG's SCSI devices, as LIO's.
    fn show_address(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}:0:{}\n", self.host.host_no(), self.tag))
    }

    fn show_nexus(&self, page: &mut Page<'_>) -> Result {
        let state = self.shared.state.lock();
        let core = state.core.as_ref().ok_or(ENODEV)?;
        let initiator = state
            .nexus
            .and_then(|id| core.initiator(id))
            .ok_or(ENODEV)?;
        page.emit(fmt!("{}\n", initiator.to_str().map_err(|_| EINVAL)?))
    }

    fn store_nexus(&self, input: &[u8]) -> Result {
        let value = text::strip_newline(input);
        let mut state = self.shared.state.lock();
        if value == b"NULL" {
            if state.nexus.is_some() && state.linked_luns != 0 {
                pr_err!(
                    "nexus: {} LUNs are linked; unlink them before ending the nexus\n",
                    state.linked_luns
                );
                return Err(EPERM);
            }
            let id = state.nexus.take().ok_or(ENODEV)?;
            // Commands that found the nexus finish with it first.
            self.shared.publish(&state);
            self.shared.gate.wait_idle();
            if let Some(core) = state.core.as_mut() {
                core.remove_session(id);
            }
            return Ok(());
        }
        if value.len() >= WWN_ADDR_LEN {
            pr_err!(
                "nexus: a port name is shorter than {} bytes\n",
                WWN_ADDR_LEN
            );
            return Err(EINVAL);
        }
        let Some((protocol, port)) = Protocol::of(value) else {
            pr_err!("nexus: the initiator port needs a naa., fc. or iqn. prefix\n");
            return Err(EINVAL);
        };
        if protocol != self.protocol {
            pr_err!(
                "nexus: a {} initiator port for a {} target port\n",
                protocol.name(),
                self.protocol.name()
            );
            return Err(EINVAL);
        }
        if state.nexus.is_some() {
            pr_err!("nexus: the TPG has a nexus; write NULL to end it first\n");
            return Err(EEXIST);
        }
        if port.contains(&0) {
            pr_err!("nexus: a NUL byte in the port name\n");
            return Err(EINVAL);
        }
        let port = CString::try_from_fmt(fmt!("{}", kernel::str::BStr::from_bytes(port)))?;
        let id = state.core.as_mut().ok_or(ENODEV)?.add_session(&port)?;
        state.nexus = Some(id);
        self.shared.publish(&state);
        Ok(())
    }

    fn show_transport_status(&self, page: &mut Page<'_>) -> Result {
        let online = self.shared.state.lock().online;
        page.emit(fmt!("{}\n", if online { "online" } else { "offline" }))
    }

    fn store_transport_status(&self, input: &[u8]) -> Result {
        let online = match text::strip_newline(input) {
            b"online" => true,
            b"offline" => false,
            _ => {
                pr_err!("transport_status: online or offline\n");
                return Err(EINVAL);
            }
        };
        let mut state = self.shared.state.lock();
        let lost = state.online && !online;
        state.online = online;
        self.shared.publish(&state);
        // Going offline loses the nexus, as in LIO's tcm_loop: its LUNs
        // get I_T NEXUS LOSS OCCURRED once the commands running are done
        // (no new one starts now that the gate is offline).
        if lost {
            if let (Some(core), Some(id)) = (state.core.as_ref(), state.nexus) {
                self.shared.gate.wait_idle();
                core.i_t_nexus_loss(id)?;
            }
        }
        Ok(())
    }

    fn show_fabric_prot_type(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.shared.state.lock().fabric_prot_type))
    }

    fn store_fabric_prot_type(&self, input: &[u8]) -> Result {
        match text::parse_u64(input) {
            Ok(v @ (0 | 1 | 3)) => {
                self.shared.state.lock().fabric_prot_type = v as u8;
                Ok(())
            }
            _ => {
                pr_err!("fabric_prot_type: 0, 1 or 3\n");
                Err(EINVAL)
            }
        }
    }
}
