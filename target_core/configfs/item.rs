// SPDX-License-Identifier: GPL-2.0

//! A configfs item seen from Rust: its name, and a checked downcast to the
//! node it belongs to (what a symlink's target goes through).

use core::ptr;

use kernel::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

use super::{Node, StaticNodeType};

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

    /// The item's name: the directory's name.
    pub(crate) fn name(&self) -> &CStr {
        let name = self.name_ptr();
        if name.is_null() {
            return c"";
        }
        // SAFETY: A non-NULL `ci_name` is a NUL-terminated string owned by
        // the item, which outlives `&self`.
        unsafe { CStr::from_char_ptr(name) }
    }

    /// The node of type `U` this item belongs to, if it is one.
    pub(crate) fn downcast<U: StaticNodeType>(&self) -> Option<&U> {
        // SAFETY: The item is initialised (type invariant).
        let item_type = unsafe { (*self.as_ptr()).ci_type };
        if U::ROOT || !ptr::eq(item_type, U::ITEM_TYPE.as_ptr()) {
            return None;
        }
        // SAFETY: Items of type `U::ITEM_TYPE` are only made by `NewNode<U>`,
        // so this item is the `cg_item` of the group of a `Node<U>`, which
        // lives as long as the item.
        let node = unsafe {
            let group = kernel::container_of!(self.as_ptr(), bindings::config_group, cg_item);
            Node::<U>::from_group(group)
        };
        Some(node)
    }
}
