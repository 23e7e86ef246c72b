// SPDX-License-Identifier: GPL-2.0

//! The C ABI between tcm_rs_core and fabric modules.
//!
//! Compiled into the core and into every fabric module (with `#[path]`), so
//! both sides agree on the layout by construction. A fabric fills a
//! [`FabricOps`] table (the safe SDK in sdk/fabric.rs does it) and
//! registers it with `tcm_rs_register_fabric()`, exported by the core.
//!
//! The core owns the configfs tree under `target/<fabric>/`: it parses
//! directory names it understands (`tpgt_<N>`, `lun_<N>`), makes the
//! generic directories (`lun/`, `acls/`, `np/`, `attrib/`, `auth/`,
//! `param/`, statistics) and their attributes, and calls the fabric to make
//! and drop its own state for WWNs, TPGs and network portals. The fabric
//! adds attributes of its own to those directories ([`FabricAttrs`]);
//! their handlers find the fabric's state of the object with
//! `tcm_rs_fabric_item_cookie()`.
//!
//! Versioning: `abi_major` must equal the core's; a table from another
//! major version, or a newer minor one, is refused at registration.

use core::mem::MaybeUninit;

use kernel::bindings::{configfs_attribute, scatterlist};
use kernel::ffi::{c_char, c_int, c_void};

// The functions the core exports for this ABI are declared for fabrics in
// sdk/fabric.rs and defined in target_core/fabric.rs.

/// The ABI major version this file describes.
pub(crate) const FABRIC_ABI_MAJOR: u16 = 0;
/// The ABI minor version this file describes.
pub(crate) const FABRIC_ABI_MINOR: u16 = 12;

/// A NULL-terminated list of configfs attributes, or NULL for none.
pub(crate) type AttrList = *const *mut configfs_attribute;

/// The attributes a fabric adds to the directories the core makes (LIO's
/// `tfc_*_attrs`). The cookie each handler gets is in brackets.
#[repr(C)]
pub(crate) struct FabricAttrs {
    /// `<fabric>/` [NULL]
    pub(crate) fabric: AttrList,
    /// `<fabric>/discovery_auth/` [NULL]
    pub(crate) discovery_auth: AttrList,
    /// `<fabric>/<wwn>/tpgt_<N>/` [the TPG]
    pub(crate) tpg: AttrList,
    /// `tpgt_<N>/attrib/` [the TPG]
    pub(crate) tpg_attrib: AttrList,
    /// `tpgt_<N>/auth/` [the TPG]
    pub(crate) tpg_auth: AttrList,
    /// `tpgt_<N>/param/` [the TPG]
    pub(crate) tpg_param: AttrList,
    /// `tpgt_<N>/np/<portal>/` [the portal]
    pub(crate) np: AttrList,
    /// `tpgt_<N>/acls/<initiator>/` [the fabric's ACL state from
    /// `make_acl` (ABI 0.6), else NULL]
    pub(crate) acl: AttrList,
    /// `acls/<initiator>/attrib/` [as `acl`]
    pub(crate) acl_attrib: AttrList,
    /// `acls/<initiator>/auth/` [as `acl`]
    pub(crate) acl_auth: AttrList,
    /// `acls/<initiator>/param/` [as `acl`]
    pub(crate) acl_param: AttrList,
}

/// A fabric's operations. Every pointer is valid while the fabric is
/// registered; the core pins `owner` while any directory below
/// `target/<fabric>/` exists (the fabric's own directory included).
///
/// The core serialises the calls for one object (configfs does: they come
/// from mkdir, rmdir and attribute writes of that object's directories).
#[repr(C)]
pub(crate) struct FabricOps {
    pub(crate) abi_major: u16,
    pub(crate) abi_minor: u16,
    /// The fabric's directory name (`loopback`, `iscsi`).
    pub(crate) name: *const c_char,
    /// The fabric's module (a `struct module *`).
    pub(crate) owner: *mut c_void,
    /// Makes the fabric's state of the WWN directory `name`; returns it, or
    /// an `ERR_PTR` (a bad WWN for the fabric is -EINVAL).
    pub(crate) make_wwn: unsafe extern "C" fn(name: *const c_char) -> *mut c_void,
    /// Frees the state `make_wwn` made; called once, after its TPGs are gone.
    pub(crate) drop_wwn: unsafe extern "C" fn(wwn: *mut c_void),
    /// Makes the fabric's state of `tpgt_<tag>` of `wwn`; returns it or an
    /// `ERR_PTR`. `core_tpg` is the core's handle of the TPG, for the
    /// session functions; valid until `drop_tpg` returns.
    pub(crate) make_tpg:
        unsafe extern "C" fn(wwn: *mut c_void, tag: u16, core_tpg: *mut c_void) -> *mut c_void,
    /// Frees the state `make_tpg` made; ends the TPG's sessions first.
    pub(crate) drop_tpg: unsafe extern "C" fn(tpg: *mut c_void),
    /// Makes the network portal `np/<name>` of `tpg`, or NULL if the fabric
    /// has no portals (then `mkdir` fails with -ENOSYS, as in LIO).
    pub(crate) make_np:
        Option<unsafe extern "C" fn(tpg: *mut c_void, name: *const c_char) -> *mut c_void>,
    /// Frees a portal made by `make_np`.
    pub(crate) drop_np: Option<unsafe extern "C" fn(np: *mut c_void)>,
    /// The fabric's attributes.
    pub(crate) attrs: FabricAttrs,
    /// Since 0.2. LUN `lun` of `tpg` has been linked to a device and takes
    /// commands: the fabric may announce it (the loopback fabric adds a
    /// SCSI device). 0, or -errno to refuse the link. NULL: nothing to do.
    pub(crate) port_link: Option<unsafe extern "C" fn(tpg: *mut c_void, lun: u64) -> c_int>,
    /// Since 0.2. LUN `lun` of `tpg` is about to be unlinked: when this
    /// returns the fabric sends it no more commands. NULL: nothing to do.
    pub(crate) port_unlink: Option<unsafe extern "C" fn(tpg: *mut c_void, lun: u64)>,
    /// Since 0.4. How `tpg` treats initiators without an ACL: `ACCESS_*`
    /// flags (LIO's `tpg_check_demo_mode*` callbacks). Called whenever the
    /// core rebuilds what its sessions see, without the core's locks; it
    /// must not call into the core. NULL: no demo mode and no write
    /// protection, LIO's defaults. (Tables older than 0.4: demo mode.)
    pub(crate) access: Option<unsafe extern "C" fn(tpg: *mut c_void) -> u32>,
    /// Since 0.5. How commands travel between the fabric and the core
    /// (LIO's `default_submit_type`, `direct_submit_supp`,
    /// `default_compl_type`, `direct_compl_supp`), shown read-only in
    /// `<wwn>/param/`. Asked at every read, so a fabric whose default can
    /// change (a module parameter) tells the truth. NULL (and tables older
    /// than 0.5): all four read 0, as for a LIO fabric that sets none.
    pub(crate) execution: Option<unsafe extern "C" fn(out: *mut Execution)>,
    /// Since 0.6. Makes the fabric's state of the node ACL
    /// `acls/<initiator>` of `tpg` (LIO's per-initiator settings, such as
    /// iSCSI's CHAP credentials); returns it or an `ERR_PTR`, which refuses
    /// the `mkdir`. The ACL lists' handlers get it as their cookie. NULL:
    /// the fabric keeps nothing per ACL (their cookie is NULL).
    pub(crate) make_acl:
        Option<unsafe extern "C" fn(tpg: *mut c_void, initiator: *const c_char) -> *mut c_void>,
    /// Since 0.6. Frees what `make_acl` made, once, at `rmdir` of the ACL.
    pub(crate) drop_acl: Option<unsafe extern "C" fn(acl: *mut c_void)>,
    /// Since 0.7 (read only from a table of 0.7 or later). Completes a
    /// command for which `tcm_rs_cmd_execute()` returned
    /// [`EXECUTE_PENDING`]: its outputs are filled, and the core touches
    /// it no more. Called once per such command, in process context (a
    /// workqueue of the core, or the thread that executed the command,
    /// possibly before `tcm_rs_cmd_execute()` has returned), or, for a
    /// command with `may_pend` [`PEND_ANY_CONTEXT`], in whatever context
    /// its backstore's I/O ended (a hard or soft interrupt included). NULL:
    /// the fabric never sets `may_pend`.
    pub(crate) command_done: Option<unsafe extern "C" fn(cmd: *mut Command)>,
    /// Since 0.8 (read only from a table of 0.8 or later). The fabric's
    /// name as LIO shows it where it differs from the directory's (LIO's
    /// `fabric_name` against its `fabric_alias`: `iSCSI` for `iscsi`), in
    /// the `pr/` files, the APTPL file and the statistics; NULL: `name`.
    pub(crate) display_name: *const c_char,
    /// Since 0.12 (read only from a table of 0.12 or later). The SCSI
    /// transport protocol of `tpg`'s port (SPC-4 7.6.1: 0 FCP, 4 SRP,
    /// 5 iSCSI, 6 SAS; LIO's `proto_id` of `core_tpg_register()`), asked
    /// once, when `make_tpg` has returned: the statistics' `proto_id`,
    /// VPD page 83h and persistent reservations use it for every command
    /// of the TPG (the `Command`'s `protocol_id` is ignored then). Must
    /// not call into the core. NULL (and older tables): the statistics
    /// read it from the WWN's name as the loopback fabric names its ports
    /// (`naa.` SAS, `iqn.` or `eui.` iSCSI, else FCP), and each command
    /// carries its own.
    pub(crate) tpg_protocol: Option<unsafe extern "C" fn(tpg: *mut c_void) -> u8>,
}

/// How a fabric's commands are submitted to the core and completed, with
/// LIO's values: for the `*_type` fields 0 the fabric's default (only
/// meaningful in a device's `attrib/`), 1 direct (in the calling context),
/// 2 queued (from a workqueue); the `*_supported` fields 0 or 1.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Execution {
    pub(crate) default_submit_type: u8,
    pub(crate) direct_submit_supported: u8,
    pub(crate) default_complete_type: u8,
    pub(crate) direct_complete_supported: u8,
}

/// [`Execution`]: in the calling context.
#[allow(dead_code)]
pub(crate) const EXECUTION_DIRECT: u8 = 1;
/// [`Execution`]: from a workqueue.
#[allow(dead_code)]
pub(crate) const EXECUTION_QUEUED: u8 = 2;

/// What a linked LUN's device asks of the initiator's queue, from
/// `tcm_rs_tpg_lun_limits()` (since 0.10): the device's attributes, fixed
/// while the LUN is linked (the core refuses to change them then, as
/// LIO). A fabric that queues for the initiator (the loopback's SCSI
/// host) applies them to the LUN's queue.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LunLimits {
    /// `attrib/queue_depth`: the most commands at once.
    pub(crate) queue_depth: u32,
    /// `attrib/block_size`: bytes per logical block.
    pub(crate) block_size: u32,
    /// `attrib/hw_max_sectors`: the most logical blocks one command
    /// moves (VPD page B0h's MAXIMUM TRANSFER LENGTH).
    pub(crate) max_sectors: u32,
}

/// `access` flags: an initiator without an ACL sees every LUN of the TPG
/// (demo mode, LIO's `generate_node_acls`).
pub(crate) const ACCESS_DEMO_MODE: u32 = 1 << 0;
/// ... read-only (`demo_mode_write_protect`).
pub(crate) const ACCESS_DEMO_WRITE_PROTECT: u32 = 1 << 1;
/// A newly mapped LUN of an ACL starts write-protected
/// (`prod_mode_write_protect`).
pub(crate) const ACCESS_PROD_WRITE_PROTECT: u32 = 1 << 2;

/// No data moves (a [`Command`] `direction`). The core takes any value
/// but the two below as this one.
#[allow(dead_code)]
pub(crate) const DIRECTION_NONE: u8 = 0;
/// Data moves from the initiator to the device (a write).
pub(crate) const DIRECTION_TO_DEVICE: u8 = 1;
/// Data moves from the device to the initiator (a read).
pub(crate) const DIRECTION_FROM_DEVICE: u8 = 2;

/// No residual ([`Command`] `residual_kind`).
pub(crate) const RESIDUAL_NONE: u8 = 0;
/// Less data moved than the initiator offered (`residual` bytes less).
pub(crate) const RESIDUAL_UNDERFLOW: u8 = 1;
/// The command wanted more data than the initiator offered (`residual`
/// bytes more).
pub(crate) const RESIDUAL_OVERFLOW: u8 = 2;

/// Task management functions a fabric asks of the core with
/// `tcm_rs_tmf_execute()` (since 0.3). The fabric first lets the commands
/// the function concerns finish, then asks for what the core keeps:
/// LOGICAL UNIT RESET waits for every nexus's commands in the LUN's task
/// set (since 0.10) and establishes BUS DEVICE RESET FUNCTION OCCURRED on
/// every nexus of the LUN.
pub(crate) const TMF_LUN_RESET: u8 = 5;
/// CLEAR TASK SET (since 0.10): the core waits for the commands of every
/// nexus in the LUN's task set (the fabric has let its own end first).
/// A core older than 0.10 answers [`TMF_NOT_SUPPORTED`].
pub(crate) const TMF_CLEAR_TASK_SET: u8 = 4;
/// I_T NEXUS RESET (since 0.5), and what a fabric reports when it loses a
/// nexus without ending the session (a transport going offline): SAM-5's
/// I_T nexus loss. The core establishes I_T NEXUS LOSS OCCURRED on every
/// LUN the session sees and drops an SPC-2 reservation the nexus holds;
/// persistent reservation registrations stay. The `lun` is ignored.
pub(crate) const TMF_I_T_NEXUS_RESET: u8 = 8;

/// `tcm_rs_tmf_execute()`'s answers (SAM-5 service responses).
pub(crate) const TMF_COMPLETE: u8 = 0;
/// The function is not one the core performs.
pub(crate) const TMF_NOT_SUPPORTED: u8 = 4;
/// No such LUN in the TPG.
pub(crate) const TMF_INCORRECT_LUN: u8 = 9;

/// What `tcm_rs_cmd_execute()` returns (since 0.6) when the fabric set
/// `may_defer` and the device's commands are submitted queued (its
/// `attrib/submit_type` is 2, or 0 and its backstore sleeps for I/O, as a
/// file or a block device does): nothing was done and no output field set;
/// the fabric runs the command again, with `may_defer` 0, from a context of
/// its own (a worker) so that the submitter goes on meanwhile.
pub(crate) const EXECUTE_DEFERRED: c_int = 1;

/// What `tcm_rs_cmd_execute()` returns (since 0.7) when the fabric set
/// `may_pend` and the command's data moves asynchronously (a READ or a
/// WRITE to a backstore that completes from its I/O's end, as iblock does):
/// the command is in flight, and the core calls the fabric's
/// `command_done` with it once it has completed, maybe before
/// `tcm_rs_cmd_execute()` returns. Until then the `Command` and its
/// buffers stay valid and the session registered, as during the call.
pub(crate) const EXECUTE_PENDING: c_int = 2;

/// `may_pend` (since 0.9): the fabric's `command_done` may be called for
/// the command from any context, hard interrupts included (it neither
/// sleeps nor takes a lock that is not interrupt-safe): the core then
/// completes a READ or WRITE in its backstore's I/O completion, with no
/// context switch. Any other non-zero value: only in process context.
pub(crate) const PEND_ANY_CONTEXT: u8 = 2;

/// `may_defer` (since 0.8, with `may_pend`): the core runs a command of a
/// device that submits queued from a workqueue of its own and completes
/// it through `command_done` (`EXECUTE_PENDING`). Unlike `may_defer` 1,
/// the command takes its place in the device's task set when it arrives,
/// so an ORDERED command after it waits for it: a fabric whose initiators
/// send task attributes (iSCSI) uses this one. Without `may_pend` it
/// counts as 0.
pub(crate) const DEFER_IN_CORE: u8 = 2;

/// The size of [`Command::core_room`] (since 0.11), in 64-bit words.
pub(crate) const CORE_ROOM_WORDS: usize = 40;

/// One SCSI command, as a fabric hands it to `tcm_rs_cmd_execute()`
/// (since 0.2). The fabric fills the inputs; the core fills the outputs
/// before it returns.
#[repr(C)]
pub(crate) struct Command {
    /// The LUN the initiator addressed, as a number (Linux's
    /// scsilun_to_int()).
    pub(crate) lun: u64,
    /// The CDB, `cdb_len` bytes.
    pub(crate) cdb: *const u8,
    pub(crate) cdb_len: u32,
    /// The data buffer: `sg_nents` entries holding `data_len` bytes. The
    /// core moves data in and out of it directly, never through a copy of
    /// its own.
    pub(crate) sgl: *mut scatterlist,
    pub(crate) sg_nents: u32,
    pub(crate) data_len: u32,
    /// `DIRECTION_*`, as the transport says.
    pub(crate) direction: u8,
    /// SAM task attribute (0 simple, 1 head of queue, 2 ordered, 4 ACA;
    /// the core enforces them since 0.8, task_set.rs, and refuses ACA).
    pub(crate) task_attr: u8,
    /// The SCSI transport protocol of the port the command came through
    /// (SPC-4 7.6.1: 4 SRP, 5 iSCSI, 6 SAS, 0 FCP), for VPD page 83h and
    /// persistent reservations' TransportIDs. Ignored from a fabric of
    /// 0.12 or later, whose TPG's `tpg_protocol` says it once for all of
    /// its commands.
    pub(crate) protocol_id: u8,
    /// Out: the SAM status byte.
    pub(crate) status: u8,
    /// Out: how the device asks to be completed (its `attrib/complete_type`:
    /// 0 the fabric's default, 1 in the submitting context, 2 from a
    /// workqueue). 0 when no device was reached.
    pub(crate) complete_type: u8,
    /// Out: `RESIDUAL_*`, and the residual count in bytes.
    pub(crate) residual_kind: u8,
    /// Since 0.6. 1: the fabric can run the command again later from a
    /// worker, so the core may answer [`EXECUTE_DEFERRED`] for a device
    /// whose commands are best not run in the submitter's context (see
    /// `tcm_rs_cmd_execute()`); a SIMPLE command enters its device's task
    /// set only when it runs again. [`DEFER_IN_CORE`] (since 0.8): the core
    /// queues such a command itself. 0: the core runs it here, whatever it
    /// is (but a command that must wait for an ORDERED one sleeps here
    /// until its turn if the fabric does not let it pend).
    pub(crate) may_defer: u8,
    /// Since 0.7 (in 0.6's padding: read only from a fabric of 0.7 or
    /// later). Non-zero: the fabric has `command_done` and keeps this
    /// `Command` where the core can complete it later, so the core may
    /// answer [`EXECUTE_PENDING`]; [`PEND_ANY_CONTEXT`] (since 0.9): from
    /// any context.
    pub(crate) may_pend: u8,
    pub(crate) residual: u32,
    /// The sense buffer, `sense_cap` bytes; out: `sense_len` bytes of sense
    /// data with a CHECK CONDITION, else 0.
    pub(crate) sense: *mut u8,
    pub(crate) sense_cap: u32,
    pub(crate) sense_len: u32,
    /// Since 0.11: the core's, from `tcm_rs_cmd_execute()` until the
    /// command completes (its return, or `command_done`). A command left
    /// pending keeps its state here (as LIO's `se_cmd` lives in the
    /// fabric's command), so pending it allocates nothing. The fabric only
    /// makes the room: it neither initialises, reads nor writes it.
    pub(crate) core_room: MaybeUninit<[u64; CORE_ROOM_WORDS]>,
}

// SAFETY: The table is immutable once registered; its pointers are to
// static data and functions.
unsafe impl Sync for FabricOps {}
