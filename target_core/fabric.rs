// SPDX-License-Identifier: GPL-2.0

//! Fabrics: the registry of fabric modules, and `target/<fabric>/`.
//!
//! `mkdir target/<fabric>` finds the registered fabric of that name,
//! loading its module (alias `tcm_rs_fabric_<name>`) if needed, and builds
//! the item types of the directories below it: the core's attributes
//! followed by the fabric's (sdk/fabric_abi.rs). Every directory below
//! holds the [`FabricShared`], which pins the fabric's module.

use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::acl::{Acl, AclAttrib, AclAuth, AclParam};
use crate::bindings;
use crate::configfs::{configfs_node_type, Children, Cookie, DynItemType, NewNode, NodeType};
use crate::registry::{self, Pinned};
use crate::tpg::{Np, Tpg, TpgAttrib, TpgAuth, TpgParam, Wwn};

#[path = "../sdk/fabric_abi.rs"]
pub(crate) mod abi;

use abi::{AttrList, FabricOps, FABRIC_ABI_MAJOR, FABRIC_ABI_MINOR};

registry::registry!(
    FabricOps,
    "fabric",
    (FABRIC_ABI_MAJOR, FABRIC_ABI_MINOR),
    tcm_rs_register_fabric,
    tcm_rs_unregister_fabric
);

/// The item types of one fabric's directories.
pub(crate) struct FabricTypes {
    root: DynItemType<FabricRoot>,
    discovery_auth: DynItemType<DiscoveryAuth>,
    pub(crate) tpg: DynItemType<Tpg>,
    pub(crate) tpg_attrib: DynItemType<TpgAttrib>,
    pub(crate) tpg_auth: DynItemType<TpgAuth>,
    pub(crate) tpg_param: DynItemType<TpgParam>,
    pub(crate) np: DynItemType<Np>,
    pub(crate) acl: DynItemType<Acl>,
    pub(crate) acl_attrib: DynItemType<AclAttrib>,
    pub(crate) acl_auth: DynItemType<AclAuth>,
    pub(crate) acl_param: DynItemType<AclParam>,
}

/// A fabric in use: its table, with its module pinned, and its item types.
pub(crate) struct FabricShared {
    ops: Pinned<FabricOps>,
    types: FabricTypes,
}

impl FabricShared {
    /// The fabric called `name`, loading its module if it is not registered.
    fn get(name: &CStr) -> Result<Arc<Self>> {
        // The lock is taken apart from the `match`: a temporary in the
        // scrutinee would be held across the module load.
        let found = Pinned::find(&REGISTRY.lock(), name);
        let ops = match found {
            Some(ops) => ops,
            None => {
                // SAFETY: `name` is a NUL-terminated string; the helper only
                // formats it.
                let _ = unsafe { bindings::tcm_rs_request_fabric(name.as_char_ptr()) };
                Pinned::find(&REGISTRY.lock(), name).ok_or(ENOENT)?
            }
        };
        let owner = ops.ops().owner.cast::<kernel::bindings::module>();
        let a = &ops.ops().attrs;
        /// # Safety
        ///
        /// `owner` and `list` as for `DynItemType::new`.
        unsafe fn build<T: crate::configfs::DynamicNodeType>(
            owner: *mut kernel::bindings::module,
            list: AttrList,
        ) -> Result<DynItemType<T>> {
            // SAFETY: By the safety requirement.
            unsafe { DynItemType::new(owner, list) }
        }
        // SAFETY: The module is pinned by `ops` and the lists are static
        // data of the registered table (sdk/fabric_abi.rs); both outlive the
        // types, which `Self` holds together with `ops`.
        let types = unsafe {
            FabricTypes {
                root: build(owner, a.fabric)?,
                discovery_auth: build(owner, a.discovery_auth)?,
                tpg: build(owner, a.tpg)?,
                tpg_attrib: build(owner, a.tpg_attrib)?,
                tpg_auth: build(owner, a.tpg_auth)?,
                tpg_param: build(owner, a.tpg_param)?,
                np: build(owner, a.np)?,
                acl: build(owner, a.acl)?,
                acl_attrib: build(owner, a.acl_attrib)?,
                acl_auth: build(owner, a.acl_auth)?,
                acl_param: build(owner, a.acl_param)?,
            }
        };
        Ok(Arc::new(Self { ops, types }, GFP_KERNEL)?)
    }

    pub(crate) fn ops(&self) -> &FabricOps {
        self.ops.ops()
    }

    pub(crate) fn name(&self) -> &CStr {
        self.ops.name()
    }

    /// The fabric's name as LIO shows it in the `pr/` files, the APTPL file
    /// and the statistics (LIO's `fabric_name`): the directory's name
    /// unless the fabric gives another (fabric ABI 0.8).
    pub(crate) fn display_name(&self) -> &CStr {
        let ops = self.ops();
        if ops.abi_minor < 8 || ops.display_name.is_null() {
            return self.name();
        }
        // SAFETY: A static NUL-terminated string of the table, which lives
        // while the fabric is registered, so while `self` pins it.
        unsafe { CStr::from_char_ptr(ops.display_name) }
    }

    /// The fabric's `tpg_protocol` (ABI 0.12), if it has one.
    pub(crate) fn tpg_protocol(&self) -> Option<unsafe extern "C" fn(*mut c_void) -> u8> {
        let ops = self.ops();
        if ops.abi_minor < 12 {
            return None;
        }
        ops.tpg_protocol
    }

    pub(crate) fn types(&self) -> &FabricTypes {
        &self.types
    }
}

/// `target/<fabric>/`: the fabric's WWNs.
pub(crate) struct FabricRoot {
    fabric: Arc<FabricShared>,
}

configfs_node_type! {
    dynamic FabricRoot {
        children: true,
        links: false,
        attrs: [],
    }
}

// SAFETY: The type is built for `FabricRoot` and lives in `self.fabric`.
unsafe impl NodeType for FabricRoot {
    fn item_type(&self) -> *const kernel::bindings::config_item_type {
        self.fabric.types.root.as_ptr()
    }
}

impl Cookie for FabricRoot {
    fn cookie(&self) -> *mut c_void {
        core::ptr::null_mut()
    }
}

impl FabricRoot {
    /// `mkdir target/<name>`.
    pub(crate) fn new(name: &CStr) -> Result<NewNode<FabricRoot>> {
        let fabric = FabricShared::get(name).map_err(|e| {
            if e == ENOENT {
                pr_err!("target/{:?}: no such fabric\n", name);
                EINVAL
            } else {
                e
            }
        })?;
        let discovery = NewNode::new(
            c"discovery_auth",
            DiscoveryAuth {
                fabric: fabric.clone(),
            },
        )?;
        NewNode::new(name, FabricRoot { fabric })?.with_default(discovery)
    }
}

impl Children for FabricRoot {
    type Child = Wwn;

    fn make_child(&self, name: &CStr) -> Result<NewNode<Wwn>> {
        Wwn::new(self.fabric.clone(), name)
    }

    fn drop_child(&self, child: &Wwn) {
        child.release_fabric_state();
    }
}

/// `target/<fabric>/discovery_auth/`: the fabric's discovery
/// authentication settings, if it has any.
pub(crate) struct DiscoveryAuth {
    fabric: Arc<FabricShared>,
}

configfs_node_type! {
    dynamic DiscoveryAuth {
        children: false,
        links: false,
        attrs: [],
    }
}

// SAFETY: The type is built for `DiscoveryAuth` and lives in `self.fabric`.
unsafe impl NodeType for DiscoveryAuth {
    fn item_type(&self) -> *const kernel::bindings::config_item_type {
        self.fabric.types.discovery_auth.as_ptr()
    }
}

impl Cookie for DiscoveryAuth {
    fn cookie(&self) -> *mut c_void {
        core::ptr::null_mut()
    }
}

/// The cookie of a directory whose fabric attribute handler is running:
/// the fabric's own state of the object (sdk/fabric_abi.rs).
///
/// # Safety
///
/// `item` must be the item passed to a fabric attribute handler, during
/// the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_fabric_item_cookie(
    item: *mut kernel::bindings::config_item,
) -> *mut c_void {
    // SAFETY: Fabric attributes are only in item types built by
    // `FabricShared::get` (`DynItemType`), and the item is live.
    unsafe { crate::configfs::cookie_of_item(item) }
}
