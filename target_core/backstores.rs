// SPDX-License-Identifier: GPL-2.0

//! The backstores registered with the core, and the exported functions that
//! register them (the core's side of sdk/backstore_abi.rs).

use core::ptr::NonNull;

use kernel::ffi::c_int;
use kernel::prelude::*;

use crate::bindings;

#[path = "../sdk/backstore_abi.rs"]
pub(crate) mod abi;

use abi::{BackstoreOps, BACKSTORE_ABI_MAJOR, BACKSTORE_ABI_MINOR};

/// A registered backstore's table.
///
/// # Invariants
///
/// The table stays valid while registered; it is unregistered only from its
/// module's exit, which cannot run while a [`Backend`] pins the module.
#[derive(Clone, Copy)]
struct OpsRef(NonNull<BackstoreOps>);

// SAFETY: The table is immutable and `Sync`.
unsafe impl Send for OpsRef {}

impl OpsRef {
    fn get(&self) -> &BackstoreOps {
        // SAFETY: Valid while registered (type invariant); callers hold the
        // registry lock or a module reference.
        unsafe { self.0.as_ref() }
    }

    fn name(&self) -> &CStr {
        // SAFETY: The name is a static NUL-terminated string of the table.
        unsafe { CStr::from_char_ptr(self.get().name) }
    }
}

kernel::sync::global_lock! {
    // SAFETY: Initialised in `init()`, from the module's init, before any use.
    unsafe(uninit) static REGISTRY: Mutex<KVec<OpsRef>> = KVec::new();
}

/// Initialises the registry. Called once, from the module's init.
pub(crate) fn init() {
    // SAFETY: Called once, before anything can use the registry.
    unsafe { REGISTRY.init() };
}

/// A backstore in use by an HBA: its table, with its module pinned.
///
/// # Invariants
///
/// Holds one reference to `ops.owner`, so the table stays registered.
pub(crate) struct Backend {
    ops: OpsRef,
}

// SAFETY: The table is immutable and `Sync`; the module reference is just a
// count.
unsafe impl Send for Backend {}
// SAFETY: As above.
unsafe impl Sync for Backend {}

impl Backend {
    /// The backstore called `name`, loading its module (alias
    /// `tcm_rs_backstore_<name>`) if it is not registered yet.
    pub(crate) fn get(name: &CStr) -> Result<Self> {
        if let Some(b) = Self::find(name) {
            return Ok(b);
        }
        // SAFETY: `name` is a NUL-terminated string; the helper only formats it.
        let _ = unsafe { bindings::tcm_rs_request_backstore(name.as_char_ptr()) };
        Self::find(name).ok_or(ENOENT)
    }

    fn find(name: &CStr) -> Option<Self> {
        let registry = REGISTRY.lock();
        let ops = *registry.iter().find(|o| o.name() == name)?;
        // SAFETY: The owner is a live module while its table is registered,
        // which the registry lock guarantees here.
        if !unsafe { bindings::tcm_rs_try_module_get(ops.get().owner.cast()) } {
            // The module is on its way out.
            return None;
        }
        // INVARIANT: The module reference was taken above.
        Some(Self { ops })
    }

    /// Another reference to the same backstore.
    pub(crate) fn try_clone(&self) -> Result<Self> {
        // SAFETY: We hold a reference to the module, so it is live.
        if !unsafe { bindings::tcm_rs_try_module_get(self.ops.get().owner.cast()) } {
            return Err(ENODEV);
        }
        // INVARIANT: The module reference was taken above.
        Ok(Self { ops: self.ops })
    }

    pub(crate) fn ops(&self) -> &BackstoreOps {
        self.ops.get()
    }

    pub(crate) fn name(&self) -> &CStr {
        self.ops.name()
    }

    /// The default INQUIRY product identification of its devices.
    pub(crate) fn product(&self) -> &CStr {
        // SAFETY: A static NUL-terminated string of the table.
        unsafe { CStr::from_char_ptr(self.ops.get().product) }
    }

    /// The default INQUIRY product revision of its devices.
    pub(crate) fn revision(&self) -> &CStr {
        // SAFETY: A static NUL-terminated string of the table.
        unsafe { CStr::from_char_ptr(self.ops.get().revision) }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        // SAFETY: Gives back the reference taken in `find`.
        unsafe { kernel::bindings::module_put(self.ops.get().owner.cast()) };
    }
}

/// Registers a backstore; see sdk/backstore_abi.rs.
///
/// # Safety
///
/// `ops` must point to a table that stays valid until unregistered.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_register_backstore(ops: *const BackstoreOps) -> c_int {
    let Some(ops) = NonNull::new(ops.cast_mut()) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: By the safety requirement.
    let ops = OpsRef(ops);
    // Same major; a backstore built for a newer minor needs what this core
    // lacks.
    let (major, minor) = (ops.get().abi_major, ops.get().abi_minor);
    if major != BACKSTORE_ABI_MAJOR || minor > BACKSTORE_ABI_MINOR {
        pr_err!(
            "backstore {:?}: ABI {}.{} does not fit the core's {}.{}\n",
            ops.name(),
            major,
            minor,
            BACKSTORE_ABI_MAJOR,
            BACKSTORE_ABI_MINOR
        );
        return EINVAL.to_errno();
    }
    let mut registry = REGISTRY.lock();
    if registry.iter().any(|o| o.name() == ops.name()) {
        pr_err!("backstore {:?} is already registered\n", ops.name());
        return EEXIST.to_errno();
    }
    if let Err(e) = registry.push(ops, GFP_KERNEL) {
        return Error::from(e).to_errno();
    }
    pr_info!("backstore {:?} registered\n", ops.name());
    0
}

/// Unregisters a backstore registered with `tcm_rs_register_backstore`.
///
/// # Safety
///
/// `ops` must be a registered table.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_unregister_backstore(ops: *const BackstoreOps) {
    REGISTRY
        .lock()
        .retain(|o| !core::ptr::eq(o.0.as_ptr().cast_const(), ops));
}
