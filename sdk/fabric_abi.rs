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

use kernel::bindings::configfs_attribute;
use kernel::ffi::{c_char, c_void};

// The functions the core exports for this ABI are declared for fabrics in
// sdk/fabric.rs and defined in target_core/fabric.rs.

/// The ABI major version this file describes.
pub(crate) const FABRIC_ABI_MAJOR: u16 = 0;
/// The ABI minor version this file describes.
pub(crate) const FABRIC_ABI_MINOR: u16 = 1;

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
    /// `tpgt_<N>/acls/<initiator>/` [NULL: ACLs are the core's]
    pub(crate) acl: AttrList,
    /// `acls/<initiator>/attrib/` [NULL]
    pub(crate) acl_attrib: AttrList,
    /// `acls/<initiator>/auth/` [NULL]
    pub(crate) acl_auth: AttrList,
    /// `acls/<initiator>/param/` [NULL]
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
}

// SAFETY: The table is immutable once registered; its pointers are to
// static data and functions.
unsafe impl Sync for FabricOps {}
