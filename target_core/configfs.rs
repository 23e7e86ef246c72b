// SPDX-License-Identifier: GPL-2.0

//! A safe configfs layer for the target core.
//!
//! `kernel::configfs` has no default groups, no symlinks and no way to pin an
//! item; the target tree needs all three. This layer gives them over the C
//! API, generic enough to offer upstream one day:
//!
//! - a node of the tree is a [`Node<T>`]: Rust data `T` with the
//!   `config_group` that shows it as a directory, allocated in an [`Arc`];
//!   configfs owns one reference and drops it in the item's `release`;
//! - a node's type ([`NodeType`], written with [`configfs_node_type!`]) is
//!   its attributes and its operations: children made by `mkdir`
//!   ([`Children`]) and symlinks it accepts ([`Links`]);
//! - a type is static (one item type for all its nodes, [`StaticNodeType`])
//!   or built at run time ([`DynItemType`]), for nodes whose attributes come
//!   from another module (a fabric's);
//! - default groups are attached while a node is built ([`NewNode`]), before
//!   configfs can see it, so a node never appears half-built;
//! - a link target is downcast with a type check ([`Item::downcast`]);
//!   configfs itself refuses `rmdir` of a link target with -EBUSY.
//!
//! Attribute handlers parse and format through [`Page`] and return
//! `Result`; an error reaches user space as the errno of the `write(2)` or
//! `read(2)`.

use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr;

use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

pub(crate) mod attr;
mod dynamic;
mod item;
mod subsystem;

pub(crate) use attr::{Attribute, AttributeTable, Page};
pub(crate) use dynamic::{cookie_of_item, Cookie, DynItemType, DynamicNodeType};
pub(crate) use item::Item;
pub(crate) use subsystem::Subsystem;

/// Data shown as a configfs directory.
///
/// # Invariants
///
/// `group` is initialised with the item type of `data`; once the node
/// is handed to configfs, configfs owns one reference to the [`Arc`] that
/// holds it and gives it back in `release`.
#[pin_data]
pub(crate) struct Node<T> {
    #[pin]
    group: Opaque<bindings::config_group>,
    data: T,
}

// SAFETY: The group is only touched by configfs under its own locking, and
// through `&self` only for reads of fields that configfs does not change
// after linking (name, type). `T` is `Sync` by the `NodeType` bound.
unsafe impl<T: NodeType> Sync for Node<T> {}
// SAFETY: As above; `T: Send` by the `NodeType` bound.
unsafe impl<T: NodeType> Send for Node<T> {}

impl<T> core::ops::Deref for Node<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: NodeType> Node<T> {
    /// The configfs group of this node.
    pub(crate) fn group_ptr(&self) -> *mut bindings::config_group {
        self.group.get()
    }

    /// The node's configfs item: its name and its place in the tree.
    pub(crate) fn item(&self) -> &Item {
        // SAFETY: `group` is initialised (type invariant) and lives as long as
        // `self`.
        unsafe { Item::from_raw(&raw mut (*self.group.get()).cg_item) }
    }

    /// Recovers the node from its configfs group.
    ///
    /// # Safety
    ///
    /// `group` must be the `group` field of a live `Node<T>`.
    unsafe fn from_group<'a>(group: *mut bindings::config_group) -> &'a Self {
        let opaque = group.cast::<Opaque<bindings::config_group>>();
        // SAFETY: By the safety requirement, `opaque` is the `group` field of
        // a `Node<T>`, which outlives `'a`.
        unsafe { &*kernel::container_of!(opaque, Self, group) }
    }
}

/// A node's type: its attributes and its configfs operations.
///
/// Implement it with [`configfs_node_type!`].
///
/// # Safety
///
/// `item_type` returns an item type made for `Self` (its operations are
/// [`Ops<Self>`]), valid as long as the node that returned it.
pub(crate) unsafe trait NodeType: Send + Sync + Sized + 'static {
    /// True for the root of a [`Subsystem`], whose group lives in the
    /// subsystem rather than in a [`Node`].
    const ROOT: bool = false;

    /// The configfs item type of this node.
    fn item_type(&self) -> *const bindings::config_item_type;
}

/// Node types with one item type for all their nodes, known at compile
/// time: links to them can be type-checked ([`Item::downcast`]).
pub(crate) trait StaticNodeType: NodeType {
    /// The configfs item type of every node of this type.
    const ITEM_TYPE: &'static ItemType<Self>;
}

/// Nodes that accept symlinks (`ln -s TARGET NODE/NAME`).
pub(crate) trait Links: NodeType {
    /// Accepts or refuses a link from this node to `target`. An error
    /// reaches user space as the errno of `symlink(2)`.
    fn allow_link(&self, target: &Item) -> Result;

    /// Called when a link to `target` that `allow_link` accepted goes away.
    fn drop_link(&self, target: &Item);
}

/// Nodes that make children on `mkdir` and drop them on `rmdir`.
pub(crate) trait Children: NodeType {
    /// The type of the children.
    type Child: NodeType;

    /// Makes the child `name` for `mkdir(2)`. An error reaches user space as
    /// the errno of `mkdir`; nothing of the child is left behind.
    fn make_child(&self, name: &CStr) -> Result<NewNode<Self::Child>>;

    /// Called for `rmdir(2)` of `child`, before configfs unlinks it. The
    /// child's memory lives on while anything still holds a reference.
    fn drop_child(&self, _child: &Self::Child) {}
}

/// A node being built: allocated and initialised, with its default groups,
/// but not yet seen by configfs. Dropping it frees everything.
///
/// # Invariants
///
/// `node` is valid (not taken) until the value is consumed or dropped.
pub(crate) struct NewNode<T: NodeType> {
    node: ManuallyDrop<Arc<Node<T>>>,
    defaults: KVec<DefaultGroup>,
}

impl<T: NodeType> NewNode<T> {
    /// Builds a node called `name` that holds `data`.
    pub(crate) fn new(name: &CStr, data: T) -> Result<Self> {
        let item_type = data.item_type();
        let node = Arc::pin_init(
            try_pin_init!(Node {
                group <- group_init(name, item_type),
                data,
            }),
            GFP_KERNEL,
        )?;
        // `config_group_init_type_name` may have failed to allocate a long
        // name; configfs reports that only as a NULL name.
        if node.item().name_ptr().is_null() {
            return Err(ENOMEM);
        }
        Ok(Self {
            node: ManuallyDrop::new(node),
            defaults: KVec::new(),
        })
    }

    /// Adds `child` as a default group: a directory that exists as long as
    /// this node does and that user space cannot remove.
    pub(crate) fn with_default<U: NodeType>(mut self, child: NewNode<U>) -> Result<Self> {
        self.defaults.reserve(1, GFP_KERNEL)?;
        let group = child.into_configfs();
        // Cannot fail: space was reserved above.
        let _ = self.defaults.push(DefaultGroup { group }, GFP_NOWAIT);
        Ok(self)
    }

    /// Attaches the default groups and gives the node's reference to
    /// configfs: from here on, `release` frees it.
    fn into_configfs(self) -> *mut bindings::config_group {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the node is taken
        // once.
        let node = unsafe { ManuallyDrop::take(&mut this.node) };
        // SAFETY: As above, for the default group list.
        let defaults = unsafe { ptr::read(&this.defaults) };
        let group = node.group_ptr();
        for d in defaults {
            let child = ManuallyDrop::new(d).group;
            // SAFETY: `group` is initialised and not linked yet, so no one
            // else walks its default group list; `child` is an initialised
            // group that is on no list.
            unsafe { crate::bindings::tcm_rs_configfs_add_default_group(child, group) };
        }
        // INVARIANT: configfs now holds this reference; `release` gives it
        // back.
        let _ = Arc::into_raw(node);
        group
    }
}

impl<T: NodeType> Drop for NewNode<T> {
    fn drop(&mut self) {
        // SAFETY: `self.node` is not used again.
        let node = unsafe { ManuallyDrop::take(&mut self.node) };
        let group = node.group_ptr();
        let _ = Arc::into_raw(node);
        // The item's release gives back the reference leaked above and frees
        // the name that configfs may have allocated. The default groups in
        // `self.defaults` drop themselves.
        // SAFETY: The item is initialised with one reference, ours.
        unsafe { bindings::config_item_put(&raw mut (*group).cg_item) };
    }
}

/// Initialises the group of a node called `name` with `item_type`.
fn group_init(
    name: &CStr,
    item_type: *const bindings::config_item_type,
) -> impl PinInit<Opaque<bindings::config_group>> + '_ {
    Opaque::ffi_init(move |slot: *mut bindings::config_group| {
        // SAFETY: `slot` is valid for writes; configfs expects a zeroed
        // group before initialisation.
        unsafe { ptr::write_bytes(slot, 0, 1) };
        // SAFETY: `slot` is a zeroed group; configfs copies `name` (short
        // names inline, long ones allocated) and keeps `item_type`, which
        // outlives the node (`NodeType`'s contract).
        unsafe { bindings::config_group_init_type_name(slot, name.as_char_ptr(), item_type) };
    })
}

/// A default group built but not yet attached to its parent.
struct DefaultGroup {
    group: *mut bindings::config_group,
}

impl Drop for DefaultGroup {
    fn drop(&mut self) {
        // Never attached: its release frees it and its own default groups.
        // SAFETY: The group is initialised and holds one reference, ours.
        unsafe { bindings::config_item_put(&raw mut (*self.group).cg_item) };
    }
}

/// The configfs item type of a node type, built by [`configfs_node_type!`].
///
/// # Invariants
///
/// The operations and attributes in `item_type` are those of `T`.
pub(crate) struct ItemType<T> {
    item_type: Opaque<bindings::config_item_type>,
    _t: PhantomData<T>,
}

// SAFETY: configfs only reads an item type; it has no interior mutability
// that is used after construction.
unsafe impl<T> Sync for ItemType<T> {}
// SAFETY: As above.
unsafe impl<T> Send for ItemType<T> {}

impl<T: NodeType> ItemType<T> {
    /// An item type with the given operations and attributes.
    #[doc(hidden)]
    pub(crate) const fn new(
        owner: &'static ThisModule,
        group_ops: Option<&'static bindings::configfs_group_operations>,
        item_ops: &'static bindings::configfs_item_operations,
        attrs: *mut *mut bindings::configfs_attribute,
    ) -> Self {
        Self {
            item_type: Opaque::new(bindings::config_item_type {
                ct_owner: owner.as_ptr(),
                ct_item_ops: ptr::from_ref(item_ops).cast_mut(),
                ct_group_ops: match group_ops {
                    Some(ops) => ptr::from_ref(ops).cast_mut(),
                    None => ptr::null_mut(),
                },
                ct_attrs: attrs,
                ct_bin_attrs: ptr::null_mut(),
            }),
            _t: PhantomData,
        }
    }

    pub(crate) fn as_ptr(&'static self) -> *const bindings::config_item_type {
        self.item_type.get()
    }
}

/// The data of the node whose group is `group`.
///
/// # Safety
///
/// `group` must be the group of a live node of type `T`: the `su_group` of a
/// [`Subsystem<T>`] if `T::ROOT`, the group of a [`Node<T>`] otherwise.
unsafe fn data_of<'a, T: NodeType>(group: *mut bindings::config_group) -> &'a T {
    if T::ROOT {
        // SAFETY: By the safety requirement.
        unsafe { Subsystem::<T>::data_from_group(group) }
    } else {
        // SAFETY: By the safety requirement.
        unsafe { &Node::<T>::from_group(group).data }
    }
}

/// The C operation tables of a node type.
pub(crate) struct Ops<T>(PhantomData<T>);

impl<T: NodeType> Ops<T> {
    /// `release`: gives back the reference configfs held.
    ///
    /// # Safety
    ///
    /// Called by configfs only, for an item of type `T` (not a root).
    unsafe extern "C" fn release(item: *mut bindings::config_item) {
        // SAFETY: Every item is the `cg_item` of a group.
        let group = unsafe { kernel::container_of!(item, bindings::config_group, cg_item) };
        // Default groups hold the first reference configfs gave them; their
        // parent's end is theirs.
        // SAFETY: `group` is initialised and no longer linked.
        unsafe { bindings::configfs_remove_default_groups(group) };
        // SAFETY: By the safety requirement the group is in a `Node<T>`.
        let node = unsafe { Node::<T>::from_group(group) };
        // SAFETY: configfs held the reference leaked by `into_configfs`, and
        // this is its last use of it.
        let node = unsafe { Arc::from_raw(node) };
        crate::noio::scope(|| drop(node));
    }

    /// Item operations of a type without links.
    pub(crate) const ITEM_OPS: &'static bindings::configfs_item_operations =
        &bindings::configfs_item_operations {
            release: if T::ROOT { None } else { Some(Self::release) },
            allow_link: None,
            drop_link: None,
        };
}

impl<T: Links> Ops<T> {
    /// # Safety
    ///
    /// Called by configfs only, with `src` an item of type `T` and `target`
    /// a live item.
    unsafe extern "C" fn allow_link(
        src: *mut bindings::config_item,
        target: *mut bindings::config_item,
    ) -> kernel::ffi::c_int {
        // SAFETY: Every item is the `cg_item` of a group.
        let group = unsafe { kernel::container_of!(src, bindings::config_group, cg_item) };
        // SAFETY: By the safety requirement.
        let this = unsafe { data_of::<T>(group) };
        // SAFETY: configfs holds `target` for the duration of the call.
        let target = unsafe { Item::from_raw(target) };
        match crate::noio::scope(|| this.allow_link(target)) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// As for `allow_link`.
    unsafe extern "C" fn drop_link(
        src: *mut bindings::config_item,
        target: *mut bindings::config_item,
    ) {
        // SAFETY: Every item is the `cg_item` of a group.
        let group = unsafe { kernel::container_of!(src, bindings::config_group, cg_item) };
        // SAFETY: By the safety requirement.
        let this = unsafe { data_of::<T>(group) };
        // SAFETY: configfs holds `target` for the duration of the call.
        let target = unsafe { Item::from_raw(target) };
        crate::noio::scope(|| this.drop_link(target));
    }

    /// Item operations of a type with links.
    pub(crate) const ITEM_OPS_LINKS: &'static bindings::configfs_item_operations =
        &bindings::configfs_item_operations {
            release: if T::ROOT { None } else { Some(Self::release) },
            allow_link: Some(Self::allow_link),
            drop_link: Some(Self::drop_link),
        };
}

impl<T: Children> Ops<T> {
    /// # Safety
    ///
    /// Called by configfs only, for a group of type `T`, with `name` a
    /// NUL-terminated string.
    unsafe extern "C" fn make_group(
        group: *mut bindings::config_group,
        name: *const kernel::ffi::c_char,
    ) -> *mut bindings::config_group {
        // SAFETY: By the safety requirement.
        let this = unsafe { data_of::<T>(group) };
        // SAFETY: By the safety requirement.
        let name = unsafe { CStr::from_char_ptr(name) };
        match crate::noio::scope(|| this.make_child(name)) {
            Ok(child) => child.into_configfs(),
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Called by configfs only, for a group of type `T` and a child `item`
    /// that `make_group` made.
    unsafe extern "C" fn drop_item(
        group: *mut bindings::config_group,
        item: *mut bindings::config_item,
    ) {
        // SAFETY: By the safety requirement.
        let this = unsafe { data_of::<T>(group) };
        // SAFETY: Every item is the `cg_item` of a group.
        let child = unsafe { kernel::container_of!(item, bindings::config_group, cg_item) };
        // SAFETY: `make_group` made the child as a `Node<T::Child>`, alive
        // until the `config_item_put` below.
        let child = unsafe { &Node::<T::Child>::from_group(child).data };
        crate::noio::scope(|| this.drop_child(child));
        // SAFETY: configfs requires the parent to drop the reference that
        // `make_group` returned.
        unsafe { bindings::config_item_put(item) };
    }

    /// Group operations of a type with children.
    pub(crate) const GROUP_OPS: &'static bindings::configfs_group_operations =
        &bindings::configfs_group_operations {
            make_item: None,
            make_group: Some(Self::make_group),
            disconnect_notify: None,
            drop_item: Some(Self::drop_item),
            is_visible: None,
            is_bin_visible: None,
        };
}

/// Declares the configfs type of a node: its attributes and which of
/// [`Children`] and [`Links`] it implements (`links:` may be left out when
/// false). `dynamic Type { ... }` declares the core's part of a type whose
/// item types are built at run time ([`DynItemType`]).
///
/// ```ignore
/// configfs_node_type! {
///     DevAttrib {
///         children: false,
///         attrs: [
///             block_size: rw(DevAttrib::show_block_size, DevAttrib::store_block_size),
///             hw_block_size: ro(DevAttrib::show_hw_block_size),
///         ],
///     }
/// }
/// ```
macro_rules! configfs_node_type {
    (
        $ty:ty {
            $(root: $root:literal,)?
            children: $children:tt,
            $(links: $links:tt,)?
            attrs: [ $($name:ident : $kind:ident ( $($f:path),+ ) ),* $(,)? ] $(,)?
        }
    ) => {
        const _: () = {
            use $crate::configfs::{
                Attribute, AttributeTable, ItemType, NodeType, Ops, StaticNodeType,
            };
            const N: usize = 0 $(+ { let _ = stringify!($name); 1 })*;
            static ATTRS: [Attribute; N] = [
                $( $crate::configfs::configfs_node_type!(@attr $ty, $name, $kind, $($f),+) ),*
            ];
            static TABLE: AttributeTable<{ N + 1 }> = AttributeTable::new(&ATTRS);
            static TYPE: ItemType<$ty> = ItemType::new(
                ::kernel::module::this_module::<crate::LocalModule>(),
                $crate::configfs::configfs_node_type!(@group_ops $ty, $children),
                $crate::configfs::configfs_node_type!(@item_ops $ty, $($links)?),
                TABLE.as_ptr(),
            );
            // SAFETY: `TYPE` is made for this type and is static.
            unsafe impl NodeType for $ty {
                $(const ROOT: bool = $root;)?
                fn item_type(&self) -> *const ::kernel::bindings::config_item_type {
                    TYPE.as_ptr()
                }
            }
            impl StaticNodeType for $ty {
                const ITEM_TYPE: &'static ItemType<Self> = &TYPE;
            }
        };
    };
    // A type whose item types are built at run time (`DynItemType`): the
    // core's attributes here, another module's appended to them.
    (
        dynamic $ty:ty {
            children: $children:tt,
            links: $links:tt,
            attrs: [ $($name:ident : $kind:ident ( $($f:path),+ ) ),* $(,)? ] $(,)?
        }
    ) => {
        const _: () = {
            use $crate::configfs::{Attribute, DynamicNodeType, Ops};
            const N: usize = 0 $(+ { let _ = stringify!($name); 1 })*;
            static ATTRS: [Attribute; N] = [
                $( $crate::configfs::configfs_node_type!(@attr $ty, $name, $kind, $($f),+) ),*
            ];
            impl DynamicNodeType for $ty {
                const CORE_ATTRS: &'static [Attribute] = &ATTRS;
                const GROUP_OPS: Option<&'static ::kernel::bindings::configfs_group_operations> =
                    $crate::configfs::configfs_node_type!(@group_ops $ty, $children);
                const ITEM_OPS: &'static ::kernel::bindings::configfs_item_operations =
                    $crate::configfs::configfs_node_type!(@item_ops $ty, $links);
            }
        };
    };
    (@group_ops $ty:ty, true) => { Some(Ops::<$ty>::GROUP_OPS) };
    (@group_ops $ty:ty, false) => { None };
    (@item_ops $ty:ty, true) => { Ops::<$ty>::ITEM_OPS_LINKS };
    (@item_ops $ty:ty, false) => { Ops::<$ty>::ITEM_OPS };
    (@item_ops $ty:ty,) => { Ops::<$ty>::ITEM_OPS };
    (@attr $ty:ty, $name:ident, ro, $show:path) => {
        Attribute::new(
            $crate::configfs::attr::c_name!($name),
            0o444,
            Some($crate::configfs::configfs_node_type!(@show $ty, $show)),
            None,
        )
    };
    (@attr $ty:ty, $name:ident, rw, $show:path, $store:path) => {
        Attribute::new(
            $crate::configfs::attr::c_name!($name),
            0o644,
            Some($crate::configfs::configfs_node_type!(@show $ty, $show)),
            Some($crate::configfs::configfs_node_type!(@store $ty, $store)),
        )
    };
    (@attr $ty:ty, $name:ident, wo, $store:path) => {
        Attribute::new(
            $crate::configfs::attr::c_name!($name),
            0o200,
            None,
            Some($crate::configfs::configfs_node_type!(@store $ty, $store)),
        )
    };
    // The C callback for a show handler: a function of its own per
    // attribute, since configfs does not say which attribute it calls.
    (@show $ty:ty, $show:path) => {{
        /// # Safety
        ///
        /// Called by configfs for an item of this type with a page.
        unsafe extern "C" fn show(
            item: *mut ::kernel::bindings::config_item,
            page: *mut ::kernel::ffi::c_char,
        ) -> isize {
            // SAFETY: By the safety requirement.
            unsafe { $crate::configfs::attr::show::<$ty>(item, page, $show) }
        }
        show
    }};
    (@store $ty:ty, $store:path) => {{
        /// # Safety
        ///
        /// Called by configfs for an item of this type with the bytes
        /// written.
        unsafe extern "C" fn store(
            item: *mut ::kernel::bindings::config_item,
            page: *const ::kernel::ffi::c_char,
            len: usize,
        ) -> isize {
            // SAFETY: By the safety requirement.
            unsafe { $crate::configfs::attr::store::<$ty>(item, page, len, $store) }
        }
        store
    }};
}
pub(crate) use configfs_node_type;
