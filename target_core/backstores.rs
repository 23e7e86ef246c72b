// SPDX-License-Identifier: GPL-2.0

//! The backstores registered with the core, and the exported functions that
//! register them (the core's side of sdk/backstore_abi.rs).

use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;

use crate::bindings;
use crate::registry::{self, Pinned, Table};

#[path = "../sdk/backstore_abi.rs"]
pub(crate) mod abi;

use abi::{BackstoreOps, BACKSTORE_ABI_MAJOR, BACKSTORE_ABI_MINOR};

impl Table for BackstoreOps {
    const KIND: &'static str = "backstore";
    const ABI: (u16, u16) = (BACKSTORE_ABI_MAJOR, BACKSTORE_ABI_MINOR);

    fn abi(&self) -> (u16, u16) {
        (self.abi_major, self.abi_minor)
    }

    fn name_ptr(&self) -> *const c_char {
        self.name
    }

    fn owner(&self) -> *mut c_void {
        self.owner
    }
}

kernel::sync::global_lock! {
    // SAFETY: Initialised in `init()`, from the module's init, before any use.
    unsafe(uninit) static REGISTRY: Mutex<registry::List<BackstoreOps>> = KVec::new();
}

/// Initialises the registry. Called once, from the module's init.
pub(crate) fn init() {
    // SAFETY: Called once, before anything can use the registry.
    unsafe { REGISTRY.init() };
}

/// A backstore in use by an HBA: its table, with its module pinned.
pub(crate) struct Backend {
    ops: Pinned<BackstoreOps>,
}

impl Backend {
    /// The backstore called `name`, loading its module (alias
    /// `tcm_rs_backstore_<name>`) if it is not registered yet.
    pub(crate) fn get(name: &CStr) -> Result<Self> {
        // Not in an `if let`: the lock must not be held across the load.
        let found = Pinned::find(&REGISTRY.lock(), name);
        if let Some(ops) = found {
            return Ok(Self { ops });
        }
        // SAFETY: `name` is a NUL-terminated string; the helper only formats it.
        let _ = unsafe { bindings::tcm_rs_request_backstore(name.as_char_ptr()) };
        let ops = Pinned::find(&REGISTRY.lock(), name).ok_or(ENOENT)?;
        Ok(Self { ops })
    }

    /// Another reference to the same backstore.
    pub(crate) fn try_clone(&self) -> Result<Self> {
        Ok(Self {
            ops: self.ops.try_clone()?,
        })
    }

    pub(crate) fn ops(&self) -> &BackstoreOps {
        self.ops.ops()
    }

    pub(crate) fn name(&self) -> &CStr {
        self.ops.name()
    }

    /// The default INQUIRY product identification of its devices.
    pub(crate) fn product(&self) -> &CStr {
        // SAFETY: A static NUL-terminated string of the table.
        unsafe { CStr::from_char_ptr(self.ops().product) }
    }

    /// The default INQUIRY product revision of its devices.
    pub(crate) fn revision(&self) -> &CStr {
        // SAFETY: A static NUL-terminated string of the table.
        unsafe { CStr::from_char_ptr(self.ops().revision) }
    }
}

/// Registers a backstore; see sdk/backstore_abi.rs.
///
/// # Safety
///
/// `ops` must point to a table that stays valid until unregistered.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_register_backstore(ops: *const BackstoreOps) -> c_int {
    // SAFETY: By the safety requirement.
    unsafe { registry::register(&mut REGISTRY.lock(), ops) }
}

/// Unregisters a backstore registered with `tcm_rs_register_backstore`.
///
/// # Safety
///
/// `ops` must be a registered table.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_unregister_backstore(ops: *const BackstoreOps) {
    registry::unregister(&mut REGISTRY.lock(), ops);
}
