// SPDX-License-Identifier: GPL-2.0

//! A configfs item seen from Rust: its name and its type.

use kernel::bindings;
use kernel::types::Opaque;

/// A live configfs item (a directory of the tree).
///
/// # Invariants
///
/// The wrapped item is initialised and outlives every `&Item`.
#[repr(transparent)]
pub(crate) struct Item(Opaque<bindings::config_item>);

impl Item {
    /// # Safety
    ///
    /// `ptr` must point to an initialised item that outlives `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::config_item) -> &'a Self {
        // SAFETY: `Item` is a transparent wrapper of the item; by the safety
        // requirement it lives long enough.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn as_ptr(&self) -> *mut bindings::config_item {
        self.0.get()
    }

    pub(super) fn name_ptr(&self) -> *const kernel::ffi::c_char {
        // SAFETY: The item is initialised (type invariant).
        unsafe { (*self.as_ptr()).ci_name }
    }
}
