// SPDX-License-Identifier: GPL-2.0

//! The backstores registered with the core, and the exported functions that
//! register them (the core's side of sdk/backstore_abi.rs).

use kernel::prelude::*;

use crate::bindings;
use crate::registry::{self, Pinned};

#[path = "../sdk/backstore_abi.rs"]
pub(crate) mod abi;

use abi::{BackstoreOps, BACKSTORE_ABI_MAJOR, BACKSTORE_ABI_MINOR};

registry::registry!(
    BackstoreOps,
    "backstore",
    (BACKSTORE_ABI_MAJOR, BACKSTORE_ABI_MINOR),
    tcm_rs_register_backstore,
    tcm_rs_unregister_backstore
);

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
