// SPDX-License-Identifier: GPL-2.0

//! Item types built at run time.
//!
//! A fabric module adds its own attributes to directories the core makes
//! (a TPG's `nexus`, `attrib/fabric_prot_type`, ...), so the item types of
//! those directories exist once per registered fabric: the core's
//! attributes of the node type followed by the fabric's, owned by the
//! fabric's module (configfs pins it while such a directory exists).
//!
//! The fabric's attribute handlers get the item only. They find their own
//! state through the node's *cookie* ([`Cookie`], [`cookie_of_item`]),
//! which the item type knows how to read.

use core::marker::PhantomData;
use core::ptr;

use kernel::bindings;
use kernel::ffi::c_void;
use kernel::prelude::*;

use super::{data_of, Attribute, NodeType};

/// The core's half of a node type whose item types are built at run time;
/// written by `configfs_node_type! { dynamic Type { ... } }`.
pub(crate) trait DynamicNodeType: NodeType + Cookie {
    /// The core's attributes, listed before the other module's.
    const CORE_ATTRS: &'static [Attribute];
    /// Group operations, if the type has children.
    const GROUP_OPS: Option<&'static bindings::configfs_group_operations>;
    /// Item operations.
    const ITEM_OPS: &'static bindings::configfs_item_operations;
}

/// What the other module's attribute handlers get for a node: its own
/// state of the object the node shows.
pub(crate) trait Cookie {
    /// The cookie; valid while the node lives.
    fn cookie(&self) -> *mut c_void;
}

/// The item type and how to find a node's cookie from its group; one
/// allocation, so that the cookie reader is found from `ci_type`.
#[repr(C)]
struct RawDynType {
    item_type: bindings::config_item_type,
    cookie_of: unsafe fn(*mut bindings::config_group) -> *mut c_void,
}

/// An item type for nodes of type `T`, built at run time.
///
/// # Invariants
///
/// `raw.item_type` has `T`'s operations, `_attrs` (NULL-terminated) as its
/// attributes, and `raw.cookie_of` reads a `T`'s cookie. `_attrs` is never
/// changed after construction, so its buffer does not move.
pub(crate) struct DynItemType<T> {
    raw: KBox<RawDynType>,
    /// The buffer `raw.item_type.ct_attrs` points into.
    _attrs: KVec<*mut bindings::configfs_attribute>,
    _t: PhantomData<T>,
}

// SAFETY: configfs only reads the item type; nothing changes it after
// construction.
unsafe impl<T> Sync for DynItemType<T> {}
// SAFETY: As above.
unsafe impl<T> Send for DynItemType<T> {}

impl<T: DynamicNodeType> DynItemType<T> {
    /// `T`'s item type with the NULL-terminated attribute list `extra`
    /// (which may be NULL) after the core's, owned by `owner`.
    ///
    /// # Safety
    ///
    /// `owner` must be a live module and `extra` NULL or a NULL-terminated
    /// array of valid attributes, both valid as long as the result.
    pub(crate) unsafe fn new(
        owner: *mut bindings::module,
        extra: *const *mut bindings::configfs_attribute,
    ) -> Result<Self> {
        let mut attrs = KVec::new();
        for a in T::CORE_ATTRS {
            attrs.push(a.as_ptr(), GFP_KERNEL)?;
        }
        let mut next = extra;
        // SAFETY: By the safety requirement `extra` is NULL or a
        // NULL-terminated array: reading up to the terminator is in bounds.
        while !next.is_null() && !unsafe { *next }.is_null() {
            // SAFETY: As above; `next` is before the terminator.
            attrs.push(unsafe { *next }, GFP_KERNEL)?;
            // SAFETY: As above; the terminator is still ahead.
            next = unsafe { next.add(1) };
        }
        attrs.push(ptr::null_mut(), GFP_KERNEL)?;
        let raw = KBox::new(
            RawDynType {
                item_type: bindings::config_item_type {
                    ct_owner: owner,
                    ct_item_ops: ptr::from_ref(T::ITEM_OPS).cast_mut(),
                    ct_group_ops: T::GROUP_OPS
                        .map_or(ptr::null_mut(), |o| ptr::from_ref(o).cast_mut()),
                    ct_attrs: attrs.as_mut_ptr(),
                    ct_bin_attrs: ptr::null_mut(),
                },
                cookie_of: Self::cookie_of,
            },
            GFP_KERNEL,
        )?;
        // INVARIANT: Built above from `T`'s tables; `attrs` is not changed
        // again.
        Ok(Self {
            raw,
            _attrs: attrs,
            _t: PhantomData,
        })
    }

    /// The item type, for [`NodeType::item_type`].
    pub(crate) fn as_ptr(&self) -> *const bindings::config_item_type {
        &raw const self.raw.item_type
    }

    /// # Safety
    ///
    /// `group` must be the group of a live node of type `T`.
    unsafe fn cookie_of(group: *mut bindings::config_group) -> *mut c_void {
        // SAFETY: By the safety requirement.
        unsafe { data_of::<T>(group) }.cookie()
    }
}

/// The cookie of the node whose item is `item`.
///
/// # Safety
///
/// `item` must be a live item whose type is a [`DynItemType`] (an item
/// whose attribute handler is running, when the attribute came in through
/// [`DynItemType::new`]'s `extra`).
pub(crate) unsafe fn cookie_of_item(item: *mut bindings::config_item) -> *mut c_void {
    // SAFETY: By the safety requirement the item's type is the `item_type`
    // field of a `RawDynType`, which outlives the item.
    let raw = unsafe { kernel::container_of!((*item).ci_type.cast_mut(), RawDynType, item_type) };
    // SAFETY: Every item is the `cg_item` of a group.
    let group = unsafe { kernel::container_of!(item, bindings::config_group, cg_item) };
    // SAFETY: `cookie_of` reads the cookie of the node type this item type
    // was made for (invariant of `DynItemType`).
    unsafe { ((*raw).cookie_of)(group) }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_configfs)]
mod tests {
    use super::*;
    use crate::tpg::Tpg;

    static EXTRA: [Attribute; 2] = [
        Attribute::new(c"one", 0o444, None, None),
        Attribute::new(c"two", 0o444, None, None),
    ];

    /// The item type lists the core's attributes, then the other module's,
    /// then the terminator; with no list, the core's alone.
    #[test]
    fn attributes_are_joined() -> Result {
        let extra: [*mut bindings::configfs_attribute; 3] =
            [EXTRA[0].as_ptr(), EXTRA[1].as_ptr(), ptr::null_mut()];
        let owner = kernel::module::this_module::<crate::LocalModule>().as_ptr();
        // SAFETY: This module is live; `extra` is NULL-terminated and lives
        // as long as `joined`.
        let joined = unsafe { DynItemType::<Tpg>::new(owner, extra.as_ptr()) }?;
        // SAFETY: As above, with no list.
        let alone = unsafe { DynItemType::<Tpg>::new(owner, ptr::null()) }?;
        let core = <Tpg as DynamicNodeType>::CORE_ATTRS.len();
        // SAFETY: `ct_attrs` is the NULL-terminated array built above.
        unsafe {
            let attrs = (*joined.as_ptr()).ct_attrs;
            assert_eq!(*attrs.add(core), extra[0]);
            assert_eq!(*attrs.add(core + 1), extra[1]);
            assert!((*attrs.add(core + 2)).is_null());
            assert!((*(*alone.as_ptr()).ct_attrs.add(core)).is_null());
            assert_eq!((*joined.as_ptr()).ct_owner, owner);
        }
        Ok(())
    }
}
