// SPDX-License-Identifier: GPL-2.0

//! A configfs subsystem: the root directory of a tree, registered while the
//! module is loaded.

use core::ptr;

use kernel::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

use super::{NewNode, NodeType};

/// A registered configfs subsystem whose root is a node of type `T`.
///
/// # Invariants
///
/// `subsys` is initialised with the item type of `data` as the root's; it is
/// registered with configfs exactly when `registered` is true.
#[pin_data(PinnedDrop)]
pub(crate) struct Subsystem<T: NodeType> {
    #[pin]
    subsys: Opaque<bindings::configfs_subsystem>,
    registered: bool,
    data: T,
}

// SAFETY: configfs serialises its use of the subsystem with `su_mutex`; the
// data is `Sync` by the `NodeType` bound.
unsafe impl<T: NodeType> Sync for Subsystem<T> {}
// SAFETY: As above; `T: Send` by the `NodeType` bound.
unsafe impl<T: NodeType> Send for Subsystem<T> {}

impl<T: NodeType> Subsystem<T> {
    /// Registers the subsystem `name` (a directory of /sys/kernel/config)
    /// with `data` at its root and `default` as the root's default group.
    pub(crate) fn new<U: NodeType>(
        name: &'static CStr,
        data: T,
        default: NewNode<U>,
    ) -> impl PinInit<Self, Error> {
        const {
            assert!(
                T::ROOT,
                "a subsystem's root type is declared with `root: true`"
            )
        };
        let item_type = data.item_type();
        try_pin_init!(Self {
            subsys <- Opaque::ffi_init(move |slot: *mut bindings::configfs_subsystem| {
                // SAFETY: `slot` is valid for writes; configfs expects a zeroed
                // subsystem before initialisation.
                unsafe { ptr::write_bytes(slot, 0, 1) };
                // SAFETY: `slot` is zeroed; the name is static.
                unsafe {
                    bindings::config_group_init_type_name(
                        &raw mut (*slot).su_group,
                        name.as_char_ptr(),
                        item_type,
                    )
                };
                // SAFETY: `su_mutex` is valid for initialisation.
                unsafe {
                    bindings::__mutex_init(
                        &raw mut (*slot).su_mutex,
                        kernel::optional_name!().as_char_ptr(),
                        kernel::static_lock_class!().as_ptr(),
                    )
                };
            }),
            registered: false,
            data,
        })
        .pin_chain(move |this| {
            let group = this.group_ptr();
            let child = default.into_configfs();
            // SAFETY: The root is not registered yet, so no one else walks its
            // default group list; `child` is on no list. From here on the
            // drop path puts it.
            unsafe { crate::bindings::tcm_rs_configfs_add_default_group(child, group) };
            // SAFETY: The subsystem is initialised as configfs requires.
            kernel::error::to_result(unsafe {
                bindings::configfs_register_subsystem(this.subsys.get())
            })?;
            // SAFETY: Only a plain field is written; nothing is moved.
            unsafe { this.get_unchecked_mut() }.registered = true;
            Ok(())
        })
    }

    fn group_ptr(&self) -> *mut bindings::config_group {
        // SAFETY: Projection within the initialised subsystem.
        unsafe { &raw mut (*self.subsys.get()).su_group }
    }

    /// The data at the root of the subsystem whose root group is `group`.
    ///
    /// # Safety
    ///
    /// `group` must be the `su_group` of a live `Subsystem<T>`.
    pub(super) unsafe fn data_from_group<'a>(group: *mut bindings::config_group) -> &'a T {
        // SAFETY: By the safety requirement `group` is the `su_group` field of
        // the `configfs_subsystem` inside a `Subsystem<T>`.
        unsafe {
            let subsys = kernel::container_of!(group, bindings::configfs_subsystem, su_group);
            let opaque = subsys.cast::<Opaque<bindings::configfs_subsystem>>();
            &(*kernel::container_of!(opaque, Self, subsys)).data
        }
    }
}

#[pinned_drop]
impl<T: NodeType> PinnedDrop for Subsystem<T> {
    fn drop(self: Pin<&mut Self>) {
        let group = self.group_ptr();
        if self.registered {
            // SAFETY: Registered (type invariant). configfs refuses to unload
            // the module while any directory below the root exists, so the
            // tree is down to the root and its default groups.
            unsafe { bindings::configfs_unregister_subsystem(self.subsys.get()) };
        }
        // SAFETY: Not registered: the default groups' first references are ours.
        unsafe { bindings::configfs_remove_default_groups(group) };
        // SAFETY: Initialised in `new`, unused from here on.
        unsafe { bindings::mutex_destroy(&raw mut (*self.subsys.get()).su_mutex) };
    }
}
