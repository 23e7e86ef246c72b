// SPDX-License-Identifier: GPL-2.0

//! WWNs and target portal groups of a fabric:
//!
//! ```text
//! target/<fabric>/<wwn>/            fabric_statistics/ param/
//!   tpgt_<N>/  rtpi + the fabric's attributes
//!     lun/ (lun.rs)  acls/ (acl.rs)  np/  attrib/  auth/  param/
//! ```

use core::sync::atomic::{AtomicU8, Ordering};

use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::access::AclShared;
use crate::acl::AclDir;
use crate::configfs::{configfs_node_type, Children, Cookie, NewNode, NodeType, Page};
use crate::fabric::{abi, FabricShared};
use crate::fabric_object::FabricObject;
use crate::lun::LunDir;
use crate::lun_map::LunMap;
use crate::session::Session;
use crate::text;

/// `<fabric>/<wwn>/`: one target name (an IQN, a WWPN, ...).
pub(crate) struct Wwn {
    // Freed before `fabric` lets the module go.
    state: FabricObject,
    fabric: Arc<FabricShared>,
    name: CString,
}

configfs_node_type! {
    Wwn {
        children: true,
        attrs: [],
    }
}

/// An empty directory that LIO has and tools expect (`fabric_statistics/`,
/// a WWN's `param/`); nothing in it yet.
pub(crate) struct EmptyGroup;

configfs_node_type! {
    EmptyGroup {
        children: false,
        attrs: [],
    }
}

impl Wwn {
    /// `mkdir <fabric>/<name>`: the fabric checks the name.
    pub(crate) fn new(fabric: Arc<FabricShared>, name: &CStr) -> Result<NewNode<Wwn>> {
        // SAFETY: The table's functions are valid while `fabric` pins the
        // module; `name` is a NUL-terminated string.
        let cookie = unsafe { (fabric.ops().make_wwn)(name.as_char_ptr()) };
        // SAFETY: `make_wwn` returns state that `drop_wwn` frees; the node
        // holds `fabric`, which pins the module.
        let state =
            unsafe { FabricObject::new(cookie, fabric.ops().drop_wwn) }.inspect_err(|e| {
                pr_err!(
                    "{:?}/{:?}: refused by the fabric ({:?})\n",
                    fabric.name(),
                    name,
                    e
                )
            })?;
        let param = WwnParam {
            completion_affinity: Arc::pin_init(
                new_mutex!(COMPLETION_ON_SUBMITTING_CPU),
                GFP_KERNEL,
            )?,
            fabric: fabric.clone(),
        };
        let wwn = Wwn {
            state,
            fabric,
            name: name.to_cstring()?,
        };
        NewNode::new(name, wwn)?
            .with_default(NewNode::new(c"fabric_statistics", EmptyGroup)?)?
            .with_default(NewNode::new(c"param", param)?)
    }

    /// Frees the fabric's state at `rmdir`.
    pub(crate) fn release_fabric_state(&self) {
        self.state.release();
    }
}

/// `cmd_completion_affinity`: complete a command on the CPU that submitted
/// it (LIO's SE_COMPL_AFFINITY_CPUID).
const COMPLETION_ON_SUBMITTING_CPU: i32 = -1;
/// `cmd_completion_affinity`: complete a command on the CPU the backstore
/// completes it on (LIO's SE_COMPL_AFFINITY_CURR_CPU).
const COMPLETION_ON_CURRENT_CPU: i32 = -2;

/// `<wwn>/param/`: how the engine treats the target's commands.
pub(crate) struct WwnParam {
    /// Where commands complete: a CPU id, or one of the two choices above.
    completion_affinity: Arc<Mutex<i32>>,
    /// The fabric, asked how its commands travel.
    fabric: Arc<FabricShared>,
}

configfs_node_type! {
    WwnParam {
        children: false,
        attrs: [
            cmd_completion_affinity: rw(WwnParam::show_affinity, WwnParam::store_affinity),
            default_complete_type: ro(WwnParam::show_default_complete_type),
            direct_complete_supported: ro(WwnParam::show_direct_complete_supported),
            default_submit_type: ro(WwnParam::show_default_submit_type),
            direct_submit_supported: ro(WwnParam::show_direct_submit_supported),
        ],
    }
}

impl WwnParam {
    /// What the fabric says of its commands (zeros for a fabric that does
    /// not say: tables older than ABI 0.5).
    fn execution(&self) -> abi::Execution {
        let ops = self.fabric.ops();
        let mut execution = abi::Execution::default();
        if ops.abi_minor >= 5 {
            if let Some(f) = ops.execution {
                // SAFETY: The table's functions are valid while `fabric`
                // pins the module; `execution` is a valid `Execution`.
                unsafe { f(&mut execution) };
            }
        }
        execution
    }

    fn show_default_complete_type(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.execution().default_complete_type))
    }

    fn show_direct_complete_supported(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.execution().direct_complete_supported))
    }

    fn show_default_submit_type(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.execution().default_submit_type))
    }

    fn show_direct_submit_supported(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.execution().direct_submit_supported))
    }

    fn show_affinity(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", *self.completion_affinity.lock()))
    }

    fn store_affinity(&self, input: &[u8]) -> Result {
        let value = match text::parse_i32(input) {
            Ok(v) if v == COMPLETION_ON_SUBMITTING_CPU || v == COMPLETION_ON_CURRENT_CPU => v,
            Ok(v) if crate::sys::cpu_is_online(v) => v,
            _ => {
                pr_err!(
                    "cmd_completion_affinity: -1 (the submitting CPU), -2 (the completing CPU) or an online CPU\n"
                );
                return Err(EINVAL);
            }
        };
        *self.completion_affinity.lock() = value;
        Ok(())
    }
}

impl Children for Wwn {
    type Child = Tpg;

    fn make_child(&self, name: &CStr) -> Result<NewNode<Tpg>> {
        let Some(tag) = name
            .to_bytes()
            .strip_prefix(b"tpgt_")
            .and_then(|n| text::parse_decimal_u64(n).ok())
            .and_then(|n| u16::try_from(n).ok())
        else {
            pr_err!("{:?}: a TPG is tpgt_<N>, N from 0 to 65535\n", name);
            return Err(EINVAL);
        };
        Tpg::new(self, tag, name)
    }

    fn drop_child(&self, child: &Tpg) {
        child.state.obj.release();
    }
}

/// SCSI protocol identifiers (SPC-4 7.6.1) of the port names a WWN can
/// have, for a fabric that does not say its ports' protocol.
const PROTOCOL_FCP: u8 = 0x0;
const PROTOCOL_ISCSI: u8 = 0x5;
const PROTOCOL_SAS: u8 = 0x6;

/// The protocol of a port named `name` as the loopback fabric names its
/// ports: `naa.` SAS, `iqn.` or `eui.` iSCSI, else FCP.
fn protocol_of_name(name: &[u8]) -> u8 {
    if name.starts_with(b"naa.") {
        PROTOCOL_SAS
    } else if name.starts_with(b"iqn.") || name.starts_with(b"eui.") {
        PROTOCOL_ISCSI
    } else {
        PROTOCOL_FCP
    }
}

/// A TPG, shared by its directory, its default groups, LUNs and sessions.
#[pin_data]
pub(crate) struct TpgState {
    // Freed before `fabric` lets the module go.
    obj: FabricObject,
    fabric: Arc<FabricShared>,
    /// The WWN's name and the TPG's tag, for the names of its LUNs.
    wwn_name: CString,
    tag: u16,
    /// The SCSI transport protocol of the TPG's port, set once the fabric
    /// has made its part ([`TpgState::protocol`]).
    protocol: AtomicU8,
    /// The relative target port identifier; 0 until set.
    #[pin]
    rtpi: Mutex<u16>,
    /// The node ACLs (`acls/<initiator>/`). Taken before `sessions`.
    #[pin]
    pub(crate) acls: Mutex<KVec<Arc<AclShared>>>,
    /// The I_T nexuses the fabric has registered.
    #[pin]
    pub(crate) sessions: Mutex<KVec<Arc<Session>>>,
    /// The linked LUNs, as commands find them.
    #[pin]
    pub(crate) luns: LunMap,
}

/// `<wwn>/tpgt_<N>/`.
pub(crate) struct Tpg {
    state: Arc<TpgState>,
}

configfs_node_type! {
    dynamic Tpg {
        children: false,
        links: false,
        attrs: [
            rtpi: rw(Tpg::show_rtpi, Tpg::store_rtpi),
        ],
    }
}

// SAFETY: The type is built for `Tpg` and lives in the fabric's types,
// which `state.fabric` holds.
unsafe impl NodeType for Tpg {
    fn item_type(&self) -> *const kernel::bindings::config_item_type {
        self.state.fabric.types().tpg.as_ptr()
    }
}

impl Cookie for Tpg {
    fn cookie(&self) -> *mut c_void {
        self.state.obj.cookie()
    }
}

impl Tpg {
    fn new(parent: &Wwn, tag: u16, name: &CStr) -> Result<NewNode<Tpg>> {
        let fabric = parent.fabric.clone();
        let wwn = parent.state.cookie();
        // The core's handle goes to the fabric before the TPG is complete:
        // allocate first, then let the fabric make its part.
        let drop_tpg = fabric.ops().drop_tpg;
        let make_tpg = fabric.ops().make_tpg;
        let state = Arc::pin_init(
            try_pin_init!(TpgState {
                obj: FabricObject::empty(drop_tpg),
                fabric,
                wwn_name: parent.name.to_cstring()?,
                protocol: AtomicU8::new(protocol_of_name(parent.name.to_bytes())),
                tag,
                rtpi <- new_mutex!(0),
                acls <- new_mutex!(KVec::new()),
                sessions <- new_mutex!(KVec::new()),
                luns <- LunMap::new(),
            }),
            GFP_KERNEL,
        )?;
        let handle = Arc::as_ptr(&state).cast_mut().cast::<c_void>();
        // SAFETY: `wwn` is the fabric's live WWN state (its directory is the
        // parent of this one); `handle` stays valid until `drop_tpg`
        // returns, since the TPG's nodes hold `state`.
        let cookie = unsafe { make_tpg(wwn, tag, handle) };
        // SAFETY: `make_tpg` returns state that `drop_tpg` frees.
        unsafe { state.obj.set(cookie) }
            .inspect_err(|e| pr_err!("{:?}: refused by the fabric ({:?})\n", name, e))?;
        // Before the TPG's directory exists: the sessions the fabric
        // registers once `make_tpg` has returned see it.
        if let Some(f) = state.fabric.tpg_protocol() {
            // SAFETY: The cookie is the fabric's live TPG state.
            let protocol = unsafe { f(state.obj.cookie()) };
            state.protocol.store(protocol, Ordering::Relaxed);
        }
        NewNode::new(
            name,
            Tpg {
                state: state.clone(),
            },
        )?
        .with_default(LunDir::new(state.clone())?)?
        .with_default(NewNode::new(c"np", NpDir { tpg: state.clone() })?)?
        .with_default(AclDir::new(state.clone())?)?
        .with_default(NewNode::new(c"attrib", TpgAttrib { tpg: state.clone() })?)?
        .with_default(NewNode::new(c"auth", TpgAuth { tpg: state.clone() })?)?
        .with_default(NewNode::new(c"param", TpgParam { tpg: state })?)
    }

    fn show_rtpi(&self, page: &mut Page<'_>) -> Result {
        // As the kernel's "%#x", which writes 0 as "0x0".
        page.emit(fmt!("{:#x}\n", *self.state.rtpi.lock()))
    }

    fn store_rtpi(&self, input: &[u8]) -> Result {
        let rtpi = match text::parse_u64(input) {
            Ok(v @ 1..=0xffff) => v as u16,
            _ => {
                pr_err!("rtpi: a relative target port identifier is 1 to 65535\n");
                return Err(EINVAL);
            }
        };
        *self.state.rtpi.lock() = rtpi;
        Ok(())
    }
}

/// Declares a TPG's `attrib/`, `auth/` or `param/`: a directory of the
/// fabric's attributes about the TPG.
macro_rules! tpg_group {
    ($name:ident, $field:ident, $doc:literal) => {
        #[doc = $doc]
        pub(crate) struct $name {
            tpg: Arc<TpgState>,
        }

        configfs_node_type! {
            dynamic $name {
                children: false,
                links: false,
                attrs: [],
            }
        }

        // SAFETY: The type is built for this node type and lives in the
        // fabric's types, which `tpg.fabric` holds.
        unsafe impl NodeType for $name {
            fn item_type(&self) -> *const kernel::bindings::config_item_type {
                self.tpg.fabric.types().$field.as_ptr()
            }
        }

        impl Cookie for $name {
            fn cookie(&self) -> *mut c_void {
                self.tpg.obj.cookie()
            }
        }
    };
}

tpg_group!(
    TpgAttrib,
    tpg_attrib,
    "`tpgt_<N>/attrib/`: the fabric's TPG settings."
);
tpg_group!(
    TpgAuth,
    tpg_auth,
    "`tpgt_<N>/auth/`: the TPG's authentication."
);
tpg_group!(
    TpgParam,
    tpg_param,
    "`tpgt_<N>/param/`: the fabric's protocol parameters."
);

/// Fills `out` with what LUN `lun`'s device asks of the initiator's queue
/// (fabric ABI 0.10); 0, or -ENODEV if no device is linked to the LUN.
///
/// # Safety
///
/// `core_tpg` must be a handle the core gave to `make_tpg`, before
/// `drop_tpg` returned; `out` valid for a write of a `LunLimits`.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_tpg_lun_limits(
    core_tpg: *mut c_void,
    lun: u64,
    out: *mut abi::LunLimits,
) -> kernel::ffi::c_int {
    // SAFETY: By the safety requirement.
    let tpg = unsafe { &*core_tpg.cast::<TpgState>() };
    let Some(linked) = tpg.luns.get(lun) else {
        return ENODEV.to_errno();
    };
    let limits = abi::LunLimits {
        queue_depth: linked.io.queue_depth,
        block_size: linked.io.block_size,
        max_sectors: linked.io.max_sectors,
    };
    // SAFETY: By the safety requirement.
    unsafe { out.write(limits) };
    0
}

impl TpgState {
    /// Tells the fabric that LUN `lun` takes commands (ABI 0.2's
    /// `port_link`; nothing for a fabric without it).
    pub(crate) fn port_link(&self, lun: u64) -> Result {
        let ops = self.fabric.ops();
        // The field exists from ABI 0.2: a shorter table must not be read.
        if ops.abi_minor < 2 {
            return Ok(());
        }
        match ops.port_link {
            // SAFETY: The cookie is the fabric's live TPG state.
            Some(f) => kernel::error::to_result(unsafe { f(self.obj.cookie(), lun) }),
            None => Ok(()),
        }
    }

    /// The SCSI transport protocol of the TPG's port, as the fabric says
    /// (ABI 0.12's `tpg_protocol`), or, for a fabric that does not, from
    /// its WWN's name.
    pub(crate) fn protocol(&self) -> u8 {
        self.protocol.load(Ordering::Relaxed)
    }

    /// The protocol of a command that carries `from_command`: the TPG's
    /// when its fabric says it (ABI 0.12), else the command's own.
    pub(crate) fn command_protocol(&self, from_command: u8) -> u8 {
        if self.fabric.tpg_protocol().is_some() {
            self.protocol()
        } else {
            from_command
        }
    }

    /// Tells the fabric that LUN `lun` is going (`port_unlink`).
    pub(crate) fn port_unlink(&self, lun: u64) {
        let ops = self.fabric.ops();
        if ops.abi_minor >= 2 {
            if let Some(f) = ops.port_unlink {
                // SAFETY: As in `port_link`.
                unsafe { f(self.obj.cookie(), lun) };
            }
        }
    }

    /// The fabric's state of the TPG, for its callbacks.
    pub(crate) fn cookie(&self) -> *mut c_void {
        self.obj.cookie()
    }

    /// The relative target port identifier (0 until set).
    pub(crate) fn rtpi(&self) -> u16 {
        *self.rtpi.lock()
    }

    /// The TPG's tag, N of `tpgt_<N>`.
    pub(crate) fn tag(&self) -> u16 {
        self.tag
    }

    /// The name of the TPG's fabric (`loopback`).
    pub(crate) fn fabric_name(&self) -> &CStr {
        self.fabric.name()
    }

    /// The name of the WWN the TPG is in (the target port's name).
    pub(crate) fn wwn_name(&self) -> &CStr {
        &self.wwn_name
    }

    /// The fabric this TPG belongs to.
    pub(crate) fn fabric(&self) -> &FabricShared {
        &self.fabric
    }

    /// Writes `<fabric>/<wwn>/tpgt_<tag>/<child>`, how LIO names a LUN in
    /// an ALUA group's `members`.
    pub(crate) fn emit_path(&self, page: &mut Page<'_>, child: &CStr) -> Result {
        fn text(s: &CStr) -> Result<&str> {
            s.to_str().map_err(|_| EINVAL)
        }
        page.emit(fmt!(
            "{}/{}/tpgt_{}/{}\n",
            text(self.fabric.name())?,
            text(&self.wwn_name)?,
            self.tag,
            text(child)?
        ))
    }
}

/// `tpgt_<N>/np/`: network portals, for fabrics that have them.
pub(crate) struct NpDir {
    tpg: Arc<TpgState>,
}

configfs_node_type! {
    NpDir {
        children: true,
        attrs: [],
    }
}

impl Children for NpDir {
    type Child = Np;

    fn make_child(&self, name: &CStr) -> Result<NewNode<Np>> {
        let ops = self.tpg.fabric.ops();
        let (Some(make), Some(drop_np)) = (ops.make_np, ops.drop_np) else {
            pr_err!(
                "np/{:?}: fabric {:?} has no network portals\n",
                name,
                self.tpg.fabric.name()
            );
            return Err(ENOSYS);
        };
        // SAFETY: The TPG's fabric state is live while its directory is;
        // `name` is a NUL-terminated string.
        let cookie = unsafe { make(self.tpg.obj.cookie(), name.as_char_ptr()) };
        // SAFETY: `make_np` returns state that `drop_np` frees; the node
        // holds the TPG, which pins the fabric's module.
        let state = unsafe { FabricObject::new(cookie, drop_np) }.map_err(|e| {
            // As LIO's core: whatever the fabric's reason (logged), EINVAL.
            pr_err!("np/{:?}: refused by the fabric ({:?})\n", name, e);
            EINVAL
        })?;
        NewNode::new(
            name,
            Np {
                state,
                tpg: self.tpg.clone(),
            },
        )
    }

    fn drop_child(&self, child: &Np) {
        child.state.release();
    }
}

/// `np/<portal>/`: one network portal; its attributes are the fabric's.
pub(crate) struct Np {
    state: FabricObject,
    tpg: Arc<TpgState>,
}

configfs_node_type! {
    dynamic Np {
        children: false,
        links: false,
        attrs: [],
    }
}

// SAFETY: The type is built for `Np` and lives in the fabric's types, which
// `tpg.fabric` holds.
unsafe impl NodeType for Np {
    fn item_type(&self) -> *const kernel::bindings::config_item_type {
        self.tpg.fabric.types().np.as_ptr()
    }
}

impl Cookie for Np {
    fn cookie(&self) -> *mut c_void {
        self.state.cookie()
    }
}
