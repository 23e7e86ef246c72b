// SPDX-License-Identifier: GPL-2.0

//! The safe SDK for fabric modules.
//!
//! A fabric implements [`Fabric`] and keeps a [`Registration`] in its module
//! for as long as it is loaded. The core owns the configfs tree below
//! `target/<NAME>/` and calls the fabric to make and drop its state of each
//! WWN and TPG; the fabric adds attributes of its own to the core's
//! directories with [`fabric_attrs!`]. Compile this file into the module
//! with `#[path]`; see fabrics/loopback for a complete fabric.

use core::marker::PhantomData;
use core::ptr::{self, NonNull};

use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;

#[path = "fabric_abi.rs"]
mod abi;
#[path = "page.rs"]
mod page;

pub(crate) use abi::{AttrList, Command, Execution, FabricAttrs, LunLimits};
use abi::{FabricOps, FABRIC_ABI_MAJOR, FABRIC_ABI_MINOR};
#[allow(unused_imports)]
pub(crate) use abi::{
    DEFER_IN_CORE, DIRECTION_FROM_DEVICE, DIRECTION_NONE, DIRECTION_TO_DEVICE, EXECUTION_QUEUED,
    PEND_ANY_CONTEXT, RESIDUAL_NONE, RESIDUAL_OVERFLOW, RESIDUAL_UNDERFLOW,
};
pub(crate) use page::Page;

// The table and the item are passed as `void *`: their types reach
// `struct module`, which Rust does not consider FFI-safe.
extern "C" {
    fn tcm_rs_register_fabric(ops: *const c_void) -> c_int;
    fn tcm_rs_unregister_fabric(ops: *const c_void);
    fn tcm_rs_fabric_item_cookie(item: *mut c_void) -> *mut c_void;
    fn tcm_rs_session_register(core_tpg: *mut c_void, initiator: *const c_char) -> *mut c_void;
    fn tcm_rs_session_register_isid(
        core_tpg: *mut c_void,
        initiator: *const c_char,
        isid: *const u8,
    ) -> *mut c_void;
    fn tcm_rs_session_deregister(core_tpg: *mut c_void, session: *mut c_void);
    fn tcm_rs_session_initiator(session: *mut c_void) -> *const c_char;
    fn tcm_rs_cmd_execute(core_tpg: *mut c_void, session: *mut c_void, cmd: *mut Command) -> c_int;
    fn tcm_rs_tmf_execute(
        core_tpg: *mut c_void,
        session: *mut c_void,
        lun: u64,
        function: u8,
    ) -> u8;
    fn tcm_rs_tpg_lun_limits(core_tpg: *mut c_void, lun: u64, out: *mut LunLimits) -> c_int;
}

impl FabricAttrs {
    /// No attributes anywhere: a fabric lists what it adds with struct
    /// update syntax (`FabricAttrs { tpg: ..., ..FabricAttrs::NONE }`).
    pub(crate) const NONE: Self = Self {
        fabric: core::ptr::null(),
        discovery_auth: core::ptr::null(),
        tpg: core::ptr::null(),
        tpg_attrib: core::ptr::null(),
        tpg_auth: core::ptr::null(),
        tpg_param: core::ptr::null(),
        np: core::ptr::null(),
        acl: core::ptr::null(),
        acl_attrib: core::ptr::null(),
        acl_auth: core::ptr::null(),
        acl_param: core::ptr::null(),
    };
}

/// A SCSI transport: loopback, iSCSI, FC, ...
pub(crate) trait Fabric: 'static {
    /// The directory name: `target/<NAME>/`.
    const NAME: &'static CStr;
    /// The fabric's name as LIO shows it in the `pr/` files, the APTPL
    /// file and the statistics, where it differs from [`Fabric::NAME`]
    /// (LIO's iSCSI target: `iSCSI`).
    const DISPLAY_NAME: &'static CStr = Self::NAME;
    /// The attributes the fabric adds (see [`FabricAttrs`]; the handlers of
    /// the TPG lists get `&Self::Tpg`).
    const ATTRS: FabricAttrs;
    /// The fabric's state of a WWN (`target/<NAME>/<wwn>/`).
    type Wwn: Send + Sync;
    /// The fabric's state of a TPG (`<wwn>/tpgt_<N>/`).
    type Tpg: Send + Sync;

    /// `mkdir` of a WWN: checks the name for the fabric (-EINVAL if it is
    /// not a WWN the fabric can serve).
    fn make_wwn(name: &CStr) -> Result<Self::Wwn>;
    /// `mkdir` of `tpgt_<tag>`: `core` is the core's side of the TPG, for
    /// sessions. Dropping the returned value ends the TPG's sessions.
    fn make_tpg(wwn: &Self::Wwn, tag: u16, core: CoreTpg) -> Result<Self::Tpg>;

    /// LUN `lun` of `tpg` takes commands from now on (it was linked to a
    /// device). An error refuses the link.
    fn port_link(_tpg: &Self::Tpg, _lun: u64) -> Result {
        Ok(())
    }

    /// LUN `lun` of `tpg` is being unlinked: send it no more commands once
    /// this returns.
    fn port_unlink(_tpg: &Self::Tpg, _lun: u64) {}

    /// The SCSI transport protocol of `tpg`'s port (SPC-4 7.6.1: 0 FCP,
    /// 4 SRP, 5 iSCSI, 6 SAS; LIO's `proto_id`), asked once, when
    /// `make_tpg` has returned: the statistics report it, and VPD page 83h
    /// and persistent reservations use it for every command of the TPG.
    /// Must not call into the core.
    fn protocol(tpg: &Self::Tpg) -> u8;

    /// How `tpg` treats initiators without an ACL. Asked whenever the core
    /// works out what the TPG's sessions see; must not call into the core.
    fn access(_tpg: &Self::Tpg) -> Access {
        Access::LIO_DEFAULT
    }

    /// How the fabric's commands are submitted and completed, for
    /// `<wwn>/param/`. The core runs every command in the fabric's call,
    /// so submission is always direct; a fabric that completes from a
    /// workqueue says so here.
    fn execution() -> Execution {
        Execution::DIRECT
    }

    /// Whether the fabric sets `may_pend` on its commands and implements
    /// [`Fabric::command_done`].
    const COMPLETES_PENDING: bool = false;

    /// Whether [`Fabric::command_done`] may be called from any context,
    /// hard interrupts included: it must then neither sleep nor take a
    /// lock that is not interrupt-safe (`SpinLockIrq`). The fabric sets
    /// `may_pend` to [`PEND_ANY_CONTEXT`] on its commands, and a READ or
    /// WRITE its backstore completes asynchronously completes in the
    /// backstore's I/O completion, without a context switch.
    const COMPLETES_IN_ANY_CONTEXT: bool = false;

    /// Completes a command that `execute` left pending
    /// ([`Executed::Pending`]): the core has filled its outputs. Called
    /// once per such command, in process context (maybe before `execute`
    /// returned, in the thread that called it), or with
    /// [`Fabric::COMPLETES_IN_ANY_CONTEXT`] in any context.
    ///
    /// # Safety
    ///
    /// Only the core calls it, with a `Command` the fabric passed to
    /// `execute` with `may_pend` set, which answered `Pending`.
    unsafe fn command_done(_cmd: NonNull<Command>) {}
}

/// The `may_pend` of fabric `F`'s commands: 0 without
/// [`Fabric::COMPLETES_PENDING`], [`PEND_ANY_CONTEXT`] with
/// [`Fabric::COMPLETES_IN_ANY_CONTEXT`] too, else 1.
pub(crate) const fn may_pend<F: Fabric>() -> u8 {
    match (F::COMPLETES_PENDING, F::COMPLETES_IN_ANY_CONTEXT) {
        (false, _) => 0,
        (true, true) => PEND_ANY_CONTEXT,
        (true, false) => 1,
    }
}

impl Execution {
    /// Submitted and completed in the fabric's calling context.
    pub(crate) const DIRECT: Self = Self {
        default_submit_type: abi::EXECUTION_DIRECT,
        direct_submit_supported: 1,
        default_complete_type: abi::EXECUTION_DIRECT,
        direct_complete_supported: 1,
    };
}

/// A TPG's policy for initiators without a node ACL (LIO's demo mode).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Access {
    /// They see every LUN of the TPG (LIO's `generate_node_acls`).
    pub(crate) demo_mode: bool,
    /// ... read-only (`demo_mode_write_protect`).
    pub(crate) demo_write_protect: bool,
    /// A LUN newly mapped in an ACL starts write-protected
    /// (`prod_mode_write_protect`).
    pub(crate) prod_write_protect: bool,
}

impl Access {
    /// No demo mode, no write protection: an initiator needs an ACL.
    pub(crate) const LIO_DEFAULT: Self = Self {
        demo_mode: false,
        demo_write_protect: false,
        prod_write_protect: false,
    };

    /// Every initiator sees every LUN, writable (LIO's tcm_loop).
    pub(crate) const DEMO: Self = Self {
        demo_mode: true,
        ..Self::LIO_DEFAULT
    };

    fn flags(self) -> u32 {
        let mut flags = 0;
        if self.demo_mode {
            flags |= abi::ACCESS_DEMO_MODE;
        }
        if self.demo_write_protect {
            flags |= abi::ACCESS_DEMO_WRITE_PROTECT;
        }
        if self.prod_write_protect {
            flags |= abi::ACCESS_PROD_WRITE_PROTECT;
        }
        flags
    }
}

/// The core's side of a TPG, owned by the fabric's TPG: sessions are
/// registered through it and end when it is dropped.
///
/// # Invariants
///
/// `handle` is the core's handle of a live TPG; the core keeps it valid
/// until the fabric's TPG (which owns this value) is dropped. Every entry
/// of `sessions` is a registered session of that TPG.
pub(crate) struct CoreTpg {
    handle: *mut c_void,
    sessions: KVec<*mut c_void>,
}

// SAFETY: The handle is usable from any thread; the core locks its TPG.
unsafe impl Send for CoreTpg {}
// SAFETY: As above; `&self` methods only read.
unsafe impl Sync for CoreTpg {}

/// A session registered through [`CoreTpg::add_session`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionId(*mut c_void);

// SAFETY: An opaque identifier.
unsafe impl Send for SessionId {}
// SAFETY: As above.
unsafe impl Sync for SessionId {}

impl CoreTpg {
    /// Registers an I_T nexus with the initiator port `initiator`.
    pub(crate) fn add_session(&mut self, initiator: &CStr) -> Result<SessionId> {
        self.add_session_isid(initiator, None)
    }

    /// Registers an I_T nexus with the initiator port `initiator` and, for
    /// iSCSI, the session's ISID (fabric ABI 0.8), which tells apart the
    /// initiator ports of one initiator: persistent reservations and the
    /// statistics name the port `<initiator>,i,0x<ISID>` as LIO does.
    pub(crate) fn add_session_isid(
        &mut self,
        initiator: &CStr,
        isid: Option<[u8; 6]>,
    ) -> Result<SessionId> {
        self.sessions.reserve(1, GFP_KERNEL)?;
        let session = match &isid {
            // SAFETY: `handle` is live (type invariant); `initiator` is a
            // NUL-terminated string and `isid` 6 readable bytes.
            Some(isid) => kernel::error::from_err_ptr(unsafe {
                tcm_rs_session_register_isid(self.handle, initiator.as_char_ptr(), isid.as_ptr())
            }),
            // SAFETY: As above.
            None => kernel::error::from_err_ptr(unsafe {
                tcm_rs_session_register(self.handle, initiator.as_char_ptr())
            }),
        }?;
        // Cannot fail: space was reserved above.
        let _ = self.sessions.push(session, GFP_NOWAIT);
        Ok(SessionId(session))
    }

    /// Ends a session.
    pub(crate) fn remove_session(&mut self, id: SessionId) {
        let before = self.sessions.len();
        self.sessions.retain(|s| *s != id.0);
        if self.sessions.len() != before {
            // SAFETY: `id` was registered with this TPG and is removed from
            // the list above, so it is deregistered once.
            unsafe { tcm_rs_session_deregister(self.handle, id.0) };
        }
    }

    /// Runs `cmd` from session `id` to completion (the core fills its
    /// status, sense data and residual), or defers it (see [`Executed`]).
    /// May sleep. ENODEV if `id` is not a session of this TPG; EINVAL for a
    /// command without a CDB.
    ///
    /// # Safety
    ///
    /// `cmd`'s pointers must be valid as sdk/fabric_abi.rs describes for
    /// the call, and its data buffer untouched by anyone else meanwhile.
    pub(crate) unsafe fn execute(&self, id: SessionId, cmd: &mut Command) -> Result<Executed> {
        if !self.sessions.contains(&id.0) {
            return Err(ENODEV);
        }
        // SAFETY: `handle` is live (type invariant), `id` is one of its
        // sessions (checked above), `cmd` is valid by the safety requirement.
        executed(unsafe { tcm_rs_cmd_execute(self.handle, id.0, cmd) })
    }

    /// What a command of session `id` needs to reach the core without
    /// borrowing this value (so that the fabric's lock on its TPG need not
    /// be held while the command runs); `None` if `id` is not a session of
    /// this TPG.
    pub(crate) fn nexus(&self, id: SessionId) -> Option<Nexus> {
        self.sessions.contains(&id.0).then_some(Nexus {
            handle: self.handle,
            session: id.0,
        })
    }

    /// The I_T nexus of session `id` is lost (its transport went away
    /// without ending the session) or reset by I_T NEXUS RESET: the core
    /// establishes I_T NEXUS LOSS OCCURRED on the LUNs it sees. Call it
    /// once the session's commands are done. ENOENT for a session that is
    /// not this TPG's.
    pub(crate) fn i_t_nexus_loss(&self, id: SessionId) -> Result {
        if !self.sessions.contains(&id.0) {
            return Err(ENOENT);
        }
        // SAFETY: `handle` is live while `self` is (type invariant) and the
        // session is registered with it (checked above); `&self` keeps both.
        match unsafe { tcm_rs_tmf_execute(self.handle, id.0, 0, abi::TMF_I_T_NEXUS_RESET) } {
            abi::TMF_COMPLETE => Ok(()),
            _ => Err(EOPNOTSUPP),
        }
    }

    /// What the device linked to LUN `lun` asks of the initiator's queue
    /// (its queue depth and transfer limit); ENODEV if no device is
    /// linked to it.
    pub(crate) fn lun_limits(&self, lun: u64) -> Result<LunLimits> {
        let mut out = LunLimits::default();
        // SAFETY: `handle` is live while `self` is (type invariant); `out`
        // is a writable `LunLimits`.
        kernel::error::to_result(unsafe { tcm_rs_tpg_lun_limits(self.handle, lun, &mut out) })?;
        Ok(out)
    }

    /// The initiator port name of one of this TPG's sessions.
    pub(crate) fn initiator(&self, id: SessionId) -> Option<&CStr> {
        if !self.sessions.contains(&id.0) {
            return None;
        }
        // SAFETY: A registered session (checked above); its name lives as
        // long as the session, which `&self` keeps registered.
        Some(unsafe { CStr::from_char_ptr(tcm_rs_session_initiator(id.0)) })
    }
}

/// How the core left a command the fabric gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Executed {
    /// Run to completion: its status, sense data and residual are filled.
    Done,
    /// Not run, nothing done: the fabric set `may_defer` and the device
    /// submits queued. Run it again, with `may_defer` 0, from a context of
    /// the fabric's own (a worker), so that the submitter goes on.
    Deferred,
    /// In flight (the fabric set `may_pend`): the core calls
    /// [`Fabric::command_done`] with it once it completes, maybe already
    /// has. Until then the command and its buffers stay valid, and the
    /// session registered.
    Pending,
}

/// The answer of `tcm_rs_cmd_execute()`.
fn executed(ret: c_int) -> Result<Executed> {
    if ret == abi::EXECUTE_DEFERRED {
        return Ok(Executed::Deferred);
    }
    if ret == abi::EXECUTE_PENDING {
        return Ok(Executed::Pending);
    }
    kernel::error::to_result(ret).map(|()| Executed::Done)
}

/// A session of a TPG, as [`CoreTpg::nexus`] gives it: what a command
/// needs. It does not keep the session: the fabric does (see `execute`).
#[derive(Clone, Copy)]
pub(crate) struct Nexus {
    handle: *mut c_void,
    session: *mut c_void,
}

// SAFETY: Opaque handles, usable from any thread.
unsafe impl Send for Nexus {}
// SAFETY: As above.
unsafe impl Sync for Nexus {}

impl Nexus {
    /// Runs `cmd` to completion, as [`CoreTpg::execute`].
    ///
    /// # Safety
    ///
    /// The `CoreTpg` this came from must not be dropped, nor the session
    /// removed, before this returns; `cmd` as for [`CoreTpg::execute`].
    pub(crate) unsafe fn execute(&self, cmd: &mut Command) -> Result<Executed> {
        // SAFETY: By the safety requirement the TPG's handle is live and the
        // session registered; `cmd` is valid.
        executed(unsafe { tcm_rs_cmd_execute(self.handle, self.session, cmd) })
    }

    /// As [`Nexus::execute`], for a command that may be left pending
    /// (`may_pend` set, [`Executed::Pending`]): no reference into the
    /// command is held across the call, since the core may complete it
    /// (through [`Fabric::command_done`]) before the call returns.
    ///
    /// # Safety
    ///
    /// As for [`Nexus::execute`], with `cmd` valid, and the session and the
    /// TPG kept, until the command completes: when this returns, or for
    /// [`Executed::Pending`] when `command_done` is called with it.
    pub(crate) unsafe fn execute_raw(&self, cmd: NonNull<Command>) -> Result<Executed> {
        // SAFETY: By the safety requirement.
        executed(unsafe { tcm_rs_cmd_execute(self.handle, self.session, cmd.as_ptr()) })
    }

    /// LOGICAL UNIT RESET of LUN `lun`, once the fabric's commands to it
    /// are done: ENODEV for a LUN the TPG does not have.
    ///
    /// # Safety
    ///
    /// As for [`Nexus::execute`].
    pub(crate) unsafe fn lun_reset(&self, lun: u64) -> Result {
        // SAFETY: By the safety requirement, as in `execute`.
        match unsafe { tcm_rs_tmf_execute(self.handle, self.session, lun, abi::TMF_LUN_RESET) } {
            abi::TMF_COMPLETE => Ok(()),
            abi::TMF_INCORRECT_LUN => Err(ENODEV),
            _ => Err(EOPNOTSUPP),
        }
    }

    /// CLEAR TASK SET on LUN `lun` (fabric ABI 0.10): waits for the
    /// commands of every nexus in the LUN's task set; call it once this
    /// session's commands for the LUN are done. ENODEV for a LUN the TPG
    /// does not have.
    ///
    /// # Safety
    ///
    /// As for [`Nexus::execute`].
    #[allow(dead_code)]
    pub(crate) unsafe fn clear_task_set(&self, lun: u64) -> Result {
        // SAFETY: By the safety requirement, as in `execute`.
        match unsafe { tcm_rs_tmf_execute(self.handle, self.session, lun, abi::TMF_CLEAR_TASK_SET) }
        {
            abi::TMF_COMPLETE => Ok(()),
            abi::TMF_INCORRECT_LUN => Err(ENODEV),
            _ => Err(EOPNOTSUPP),
        }
    }
}

impl Drop for CoreTpg {
    fn drop(&mut self) {
        for session in self.sessions.drain_all() {
            // SAFETY: Registered with this TPG (type invariant) and taken out
            // of the list, so deregistered once.
            unsafe { tcm_rs_session_deregister(self.handle, session) };
        }
    }
}

/// The C table of fabric `F`, and its trampolines.
struct Table<F: Fabric>(PhantomData<F>);

impl<F: Fabric> Table<F> {
    const OPS: FabricOps = FabricOps {
        abi_major: FABRIC_ABI_MAJOR,
        abi_minor: FABRIC_ABI_MINOR,
        name: kernel::str::as_char_ptr_in_const_context(F::NAME),
        owner: kernel::module::this_module::<crate::LocalModule>()
            .as_ptr()
            .cast(),
        make_wwn: Self::make_wwn,
        drop_wwn: Self::drop_box::<F::Wwn>,
        make_tpg: Self::make_tpg,
        drop_tpg: Self::drop_box::<F::Tpg>,
        make_np: None,
        drop_np: None,
        attrs: F::ATTRS,
        port_link: Some(Self::port_link),
        port_unlink: Some(Self::port_unlink),
        access: Some(Self::access),
        execution: Some(Self::execution),
        make_acl: None,
        drop_acl: None,
        command_done: if F::COMPLETES_PENDING {
            Some(Self::command_done)
        } else {
            None
        },
        display_name: kernel::str::as_char_ptr_in_const_context(F::DISPLAY_NAME),
        tpg_protocol: Some(Self::tpg_protocol),
    };

    /// # Safety
    ///
    /// `cmd` is a command of this fabric that `tcm_rs_cmd_execute()` left
    /// pending; the core calls this once for it.
    unsafe extern "C" fn command_done(cmd: *mut Command) {
        if let Some(cmd) = NonNull::new(cmd) {
            // SAFETY: By the safety requirement.
            unsafe { F::command_done(cmd) };
        }
    }

    /// # Safety
    ///
    /// `out` must be valid for a write of an `Execution`.
    unsafe extern "C" fn execution(out: *mut Execution) {
        // SAFETY: By the safety requirement.
        unsafe { out.write(F::execution()) };
    }

    /// # Safety
    ///
    /// `tpg` must come from `make_tpg` and not be dropped.
    unsafe extern "C" fn access(tpg: *mut c_void) -> u32 {
        // SAFETY: By the safety requirement, `tpg` is a live `KBox<F::Tpg>`.
        F::access(unsafe { &*tpg.cast::<F::Tpg>() }).flags()
    }

    /// # Safety
    ///
    /// `tpg` must come from `make_tpg` and not be dropped.
    unsafe extern "C" fn tpg_protocol(tpg: *mut c_void) -> u8 {
        // SAFETY: By the safety requirement, `tpg` is a live `KBox<F::Tpg>`.
        F::protocol(unsafe { &*tpg.cast::<F::Tpg>() })
    }

    /// # Safety
    ///
    /// `tpg` must come from `make_tpg` and not be dropped.
    unsafe extern "C" fn port_link(tpg: *mut c_void, lun: u64) -> c_int {
        // SAFETY: By the safety requirement, `tpg` is a live `KBox<F::Tpg>`.
        let tpg = unsafe { &*tpg.cast::<F::Tpg>() };
        match F::port_link(tpg, lun) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// As for `port_link`.
    unsafe extern "C" fn port_unlink(tpg: *mut c_void, lun: u64) {
        // SAFETY: By the safety requirement, `tpg` is a live `KBox<F::Tpg>`.
        F::port_unlink(unsafe { &*tpg.cast::<F::Tpg>() }, lun);
    }

    /// # Safety
    ///
    /// `name` must be a NUL-terminated string valid for the call.
    unsafe extern "C" fn make_wwn(name: *const c_char) -> *mut c_void {
        // SAFETY: By the safety requirement.
        let name = unsafe { CStr::from_char_ptr(name) };
        into_cookie(F::make_wwn(name))
    }

    /// # Safety
    ///
    /// `wwn` must come from `make_wwn` and not be dropped; `core_tpg` is the
    /// core's live handle of the new TPG.
    unsafe extern "C" fn make_tpg(
        wwn: *mut c_void,
        tag: u16,
        core_tpg: *mut c_void,
    ) -> *mut c_void {
        // SAFETY: By the safety requirement, `wwn` is a live `KBox<F::Wwn>`.
        let wwn = unsafe { &*wwn.cast::<F::Wwn>() };
        // INVARIANT: The core keeps `core_tpg` valid until `drop_tpg` of the
        // TPG that owns it returns.
        let core = CoreTpg {
            handle: core_tpg,
            sessions: KVec::new(),
        };
        into_cookie(F::make_tpg(wwn, tag, core))
    }

    /// # Safety
    ///
    /// `state` must come from `into_cookie::<T>` and is not used again.
    unsafe extern "C" fn drop_box<T>(state: *mut c_void) {
        // SAFETY: By the safety requirement, this gives back the box leaked
        // in `into_cookie`, once.
        drop(unsafe { KBox::from_raw(state.cast::<T>()) });
    }
}

/// A fabric with network portals (`tpgt_<N>/np/<portal>/`, LIO's
/// `fabric_make_np`): iSCSI. Register it with
/// [`Registration::with_portals_and_acls`].
pub(crate) trait Portals: Fabric {
    /// The fabric's state of a portal; the `np` attribute list's cookie.
    type Np: Send + Sync;

    /// `mkdir np/<name>` of `tpg`: the fabric parses the name and starts
    /// serving the portal, or refuses it: the core logs the error and,
    /// as LIO's, fails the `mkdir` with EINVAL whatever it was.
    /// Dropping the value stops it.
    fn make_np(tpg: &Self::Tpg, name: &CStr) -> Result<Self::Np>;
}

/// A fabric that keeps settings of its own per node ACL (LIO's
/// `fabric_init_nodeacl`, iSCSI's CHAP credentials and session
/// attributes); the ACL lists' handlers get its state.
pub(crate) trait NodeAcls: Fabric {
    /// The fabric's state of an ACL.
    type Acl: Send + Sync;

    /// `mkdir acls/<initiator>` of `tpg` (an error refuses it). Dropped at
    /// `rmdir` of the ACL.
    fn make_acl(tpg: &Self::Tpg, initiator: &CStr) -> Result<Self::Acl>;
}

/// The C table of a fabric with portals and node ACL state.
struct FullTable<F: Portals + NodeAcls>(PhantomData<F>);

impl<F: Portals + NodeAcls> FullTable<F> {
    const OPS: FabricOps = FabricOps {
        make_np: Some(Self::make_np),
        drop_np: Some(Table::<F>::drop_box::<<F as Portals>::Np>),
        make_acl: Some(Self::make_acl),
        drop_acl: Some(Table::<F>::drop_box::<<F as NodeAcls>::Acl>),
        ..Table::<F>::OPS
    };

    /// # Safety
    ///
    /// `tpg` must come from `make_tpg` and not be dropped; `name` a
    /// NUL-terminated string valid for the call.
    unsafe extern "C" fn make_np(tpg: *mut c_void, name: *const c_char) -> *mut c_void {
        // SAFETY: By the safety requirement, `tpg` is a live `KBox<F::Tpg>`
        // and `name` a string.
        let (tpg, name) = unsafe { (&*tpg.cast::<F::Tpg>(), CStr::from_char_ptr(name)) };
        into_cookie(F::make_np(tpg, name))
    }

    /// # Safety
    ///
    /// As for `make_np`.
    unsafe extern "C" fn make_acl(tpg: *mut c_void, name: *const c_char) -> *mut c_void {
        // SAFETY: By the safety requirement, as in `make_np`.
        let (tpg, name) = unsafe { (&*tpg.cast::<F::Tpg>(), CStr::from_char_ptr(name)) };
        into_cookie(F::make_acl(tpg, name))
    }
}

/// A made object as the core keeps it: a leaked box, or an `ERR_PTR`.
fn into_cookie<T>(made: Result<T>) -> *mut c_void {
    match made.and_then(|v| Ok(KBox::new(v, GFP_KERNEL)?)) {
        Ok(b) => KBox::into_raw(b).cast(),
        Err(e) => e.to_ptr(),
    }
}

/// Runs a `show` handler of a fabric attribute whose cookie is a `T`.
///
/// # Safety
///
/// Called from a configfs `show` callback with its arguments, for an
/// attribute in a list whose cookie is a `T` (sdk/fabric_abi.rs).
pub(crate) unsafe fn show<T>(
    item: *mut kernel::bindings::config_item,
    page: *mut c_char,
    handler: fn(&T, &mut Page<'_>) -> Result,
) -> isize {
    // SAFETY: By the safety requirement the cookie is a live `T` for the
    // duration of the call.
    let this = unsafe { &*tcm_rs_fabric_item_cookie(item.cast()).cast::<T>() };
    // SAFETY: configfs passes a page of PAGE_SIZE bytes.
    let mut out = unsafe { Page::from_raw(page) };
    match handler(this, &mut out) {
        // At most PAGE_SIZE.
        Ok(()) => out.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Runs a `show` handler of a fabric attribute that needs no object (the
/// fabric's own directory).
///
/// # Safety
///
/// Called from a configfs `show` callback with its page.
pub(crate) unsafe fn show_global(page: *mut c_char, handler: fn(&mut Page<'_>) -> Result) -> isize {
    // SAFETY: configfs passes a page of PAGE_SIZE bytes.
    let mut out = unsafe { Page::from_raw(page) };
    match handler(&mut out) {
        // At most PAGE_SIZE.
        Ok(()) => out.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Runs a `store` handler of a fabric attribute whose cookie is a `T`.
///
/// # Safety
///
/// As for [`show`], from a `store` callback: `buf` readable for `len`.
pub(crate) unsafe fn store<T>(
    item: *mut kernel::bindings::config_item,
    buf: *const c_char,
    len: usize,
    handler: fn(&T, &[u8]) -> Result,
) -> isize {
    // SAFETY: By the safety requirement.
    let (this, input) = unsafe {
        (
            &*tcm_rs_fabric_item_cookie(item.cast()).cast::<T>(),
            core::slice::from_raw_parts(buf.cast::<u8>(), len),
        )
    };
    match handler(this, input) {
        // configfs never passes more than a page.
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Runs a `store` handler of a fabric attribute that needs no object.
///
/// # Safety
///
/// Called from a configfs `store` callback: `buf` readable for `len`.
pub(crate) unsafe fn store_global(
    buf: *const c_char,
    len: usize,
    handler: fn(&[u8]) -> Result,
) -> isize {
    // SAFETY: By the safety requirement.
    let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
    match handler(input) {
        // configfs never passes more than a page.
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// A fabric's attribute list: `N` attributes and the NULL terminator.
pub(crate) struct AttrTable<const N: usize> {
    attrs: [kernel::bindings::configfs_attribute; N],
}

/// The pointers configfs walks: built once, in a static.
pub(crate) struct AttrPtrs<const M: usize>(
    pub(crate) [*mut kernel::bindings::configfs_attribute; M],
);

// SAFETY: configfs only reads these tables; they are built at compile time.
unsafe impl<const N: usize> Sync for AttrTable<N> {}
// SAFETY: As above.
unsafe impl<const M: usize> Sync for AttrPtrs<M> {}

impl<const N: usize> AttrTable<N> {
    #[doc(hidden)]
    pub(crate) const fn new(attrs: [kernel::bindings::configfs_attribute; N]) -> Self {
        Self { attrs }
    }

    /// The NULL-terminated pointer array for `table`; `M` must be `N + 1`.
    #[doc(hidden)]
    pub(crate) const fn pointers<const M: usize>(table: &'static Self) -> AttrPtrs<M> {
        assert!(M == N + 1, "room for the NULL terminator");
        let mut ptrs = [core::ptr::null_mut(); M];
        let mut i = 0;
        while i < N {
            // configfs never writes through these pointers.
            ptrs[i] = core::ptr::from_ref(&table.attrs[i]).cast_mut();
            i += 1;
        }
        AttrPtrs(ptrs)
    }
}

impl<const M: usize> AttrPtrs<M> {
    /// The list as the ABI wants it.
    pub(crate) const fn list(&'static self) -> AttrList {
        self.0.as_ptr()
    }
}

/// A configfs attribute of a fabric.
#[doc(hidden)]
pub(crate) const fn attribute(
    name: &'static CStr,
    mode: u16,
    show: Option<unsafe extern "C" fn(*mut kernel::bindings::config_item, *mut c_char) -> isize>,
    store: Option<
        unsafe extern "C" fn(*mut kernel::bindings::config_item, *const c_char, usize) -> isize,
    >,
) -> kernel::bindings::configfs_attribute {
    kernel::bindings::configfs_attribute {
        ca_name: kernel::str::as_char_ptr_in_const_context(name),
        // configfs pins the module through the item type's owner.
        ca_owner: core::ptr::null_mut(),
        ca_mode: mode,
        show,
        store,
    }
}

/// Declares a static attribute list of a fabric.
///
/// ```ignore
/// fabric_attrs! {
///     TPG_ATTRS for LoopTpg: [
///         nexus: rw(LoopTpg::show_nexus, LoopTpg::store_nexus),
///     ]
/// }
/// fabric_attrs! {
///     FABRIC_ATTRS global: [ version: ro(show_version) ]
/// }
/// ```
///
/// `for T` lists get the object the directory shows (`&T`); `global`
/// lists, in directories that show no object, get nothing. Use
/// `NAME.list()` in [`Fabric::ATTRS`].
macro_rules! fabric_attrs {
    ($list:ident for $ty:ty : [ $($name:ident : $kind:ident ( $($f:path),+ ) ),* $(,)? ]) => {
        $crate::sdk::fabric_attrs!(@table $list, $ty, [ $($name : $kind ( $($f),+ )),* ]);
    };
    ($list:ident global : [ $($name:ident : $kind:ident ( $($f:path),+ ) ),* $(,)? ]) => {
        $crate::sdk::fabric_attrs!(@table $list, global, [ $($name : $kind ( $($f),+ )),* ]);
    };
    (@table $list:ident, $ty:tt, [ $($name:ident : $kind:ident ( $($f:path),+ ) ),* ]) => {
        static $list: $crate::sdk::AttrPtrs<{ 0 $(+ { let _ = stringify!($name); 1 })* + 1 }> = {
            const N: usize = 0 $(+ { let _ = stringify!($name); 1 })*;
            static TABLE: $crate::sdk::AttrTable<N> = $crate::sdk::AttrTable::new([
                $( $crate::sdk::fabric_attrs!(@attr $ty, $name, $kind, $($f),+) ),*
            ]);
            $crate::sdk::AttrTable::pointers(&TABLE)
        };
    };
    (@attr $ty:tt, $name:ident, ro, $show:path) => {
        $crate::sdk::attribute(
            ::kernel::c_str!(::core::stringify!($name)), 0o444,
            Some($crate::sdk::fabric_attrs!(@show $ty, $show)), None,
        )
    };
    (@attr $ty:tt, $name:ident, rw, $show:path, $store:path) => {
        $crate::sdk::attribute(
            ::kernel::c_str!(::core::stringify!($name)), 0o644,
            Some($crate::sdk::fabric_attrs!(@show $ty, $show)),
            Some($crate::sdk::fabric_attrs!(@store $ty, $store)),
        )
    };
    (@show global, $show:path) => {{
        /// # Safety
        ///
        /// Called by configfs with a page.
        unsafe extern "C" fn show(
            _item: *mut ::kernel::bindings::config_item,
            page: *mut ::kernel::ffi::c_char,
        ) -> isize {
            // SAFETY: By the safety requirement.
            unsafe { $crate::sdk::show_global(page, $show) }
        }
        show
    }};
    (@show $ty:ty, $show:path) => {{
        /// # Safety
        ///
        /// Called by configfs for a directory whose cookie is this type.
        unsafe extern "C" fn show(
            item: *mut ::kernel::bindings::config_item,
            page: *mut ::kernel::ffi::c_char,
        ) -> isize {
            // SAFETY: By the safety requirement.
            unsafe { $crate::sdk::show::<$ty>(item, page, $show) }
        }
        show
    }};
    (@store global, $store:path) => {{
        /// # Safety
        ///
        /// Called by configfs with the bytes written.
        unsafe extern "C" fn store(
            _item: *mut ::kernel::bindings::config_item,
            buf: *const ::kernel::ffi::c_char,
            len: usize,
        ) -> isize {
            // SAFETY: By the safety requirement.
            unsafe { $crate::sdk::store_global(buf, len, $store) }
        }
        store
    }};
    (@store $ty:ty, $store:path) => {{
        /// # Safety
        ///
        /// Called by configfs for a directory whose cookie is this type,
        /// with the bytes written.
        unsafe extern "C" fn store(
            item: *mut ::kernel::bindings::config_item,
            buf: *const ::kernel::ffi::c_char,
            len: usize,
        ) -> isize {
            // SAFETY: By the safety requirement.
            unsafe { $crate::sdk::store::<$ty>(item, buf, len, $store) }
        }
        store
    }};
}
pub(crate) use fabric_attrs;

/// Fabric `F`, registered with the core while this value lives.
pub(crate) struct Registration<F: Fabric> {
    /// The table the core holds: the same address must go back to it.
    ops: &'static FabricOps,
    _f: PhantomData<F>,
}

impl<F: Fabric> Registration<F> {
    /// Registers `F`; fails if the core refuses (a name already taken, or
    /// another ABI version).
    pub(crate) fn new() -> Result<Self> {
        let ops: &'static FabricOps = &Table::<F>::OPS;
        // SAFETY: The table is static and stays valid while registered (it
        // is in this module, which unregisters before it goes).
        kernel::error::to_result(unsafe { tcm_rs_register_fabric(ptr::from_ref(ops).cast()) })?;
        Ok(Self {
            ops,
            _f: PhantomData,
        })
    }
}

impl<F: Portals + NodeAcls> Registration<F> {
    /// Registers `F` with its network portals and node ACL state.
    pub(crate) fn with_portals_and_acls() -> Result<Self> {
        let ops: &'static FabricOps = &FullTable::<F>::OPS;
        // SAFETY: As in `new`.
        kernel::error::to_result(unsafe { tcm_rs_register_fabric(ptr::from_ref(ops).cast()) })?;
        Ok(Self {
            ops,
            _f: PhantomData,
        })
    }
}

impl<F: Fabric> Drop for Registration<F> {
    fn drop(&mut self) {
        // SAFETY: Registered in `new`.
        unsafe { tcm_rs_unregister_fabric(ptr::from_ref(self.ops).cast()) };
    }
}
