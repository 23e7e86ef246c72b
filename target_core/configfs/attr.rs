// SPDX-License-Identifier: GPL-2.0

//! configfs attributes: the C tables built by `configfs_node_type!`, and the
//! show and store paths that call a node's handlers.

use core::ptr;

use kernel::bindings;
use kernel::prelude::*;

use super::{data_of, NodeType};

/// One attribute of a node type: a file in the node's directory.
#[repr(transparent)]
pub(crate) struct Attribute(bindings::configfs_attribute);

// SAFETY: configfs only reads attributes; they are built at compile time.
unsafe impl Sync for Attribute {}

/// The `show` callback of a configfs attribute.
pub(crate) type ShowFn =
    unsafe extern "C" fn(*mut bindings::config_item, *mut kernel::ffi::c_char) -> isize;
/// The `store` callback of a configfs attribute.
pub(crate) type StoreFn =
    unsafe extern "C" fn(*mut bindings::config_item, *const kernel::ffi::c_char, usize) -> isize;

impl Attribute {
    /// The C attribute, for an attribute table built at run time.
    pub(crate) fn as_ptr(&'static self) -> *mut bindings::configfs_attribute {
        // configfs never writes through it.
        ptr::from_ref(&self.0).cast_mut()
    }

    pub(crate) const fn new(
        name: &'static CStr,
        mode: u16,
        show: Option<ShowFn>,
        store: Option<StoreFn>,
    ) -> Self {
        Self(bindings::configfs_attribute {
            ca_name: kernel::str::as_char_ptr_in_const_context(name),
            // configfs pins the module through the item type's owner.
            ca_owner: ptr::null_mut(),
            ca_mode: mode,
            show,
            store,
        })
    }
}

/// The NULL-terminated list of attribute pointers that configfs walks.
/// `M` is the number of attributes plus one.
pub(crate) struct AttributeTable<const M: usize>([*mut bindings::configfs_attribute; M]);

// SAFETY: configfs only reads the table; it is built at compile time.
unsafe impl<const M: usize> Sync for AttributeTable<M> {}

impl<const M: usize> AttributeTable<M> {
    /// A table of the `N` attributes in `attrs`; `M` must be `N + 1`.
    pub(crate) const fn new<const N: usize>(attrs: &'static [Attribute; N]) -> Self {
        assert!(
            M == N + 1,
            "an attribute table has room for its NULL terminator"
        );
        let mut table = [ptr::null_mut(); M];
        let mut i = 0;
        while i < N {
            // configfs never writes through these pointers.
            table[i] = ptr::from_ref(&attrs[i].0).cast_mut();
            i += 1;
        }
        Self(table)
    }

    /// The table as configfs's `ct_attrs` wants it.
    pub(crate) const fn as_ptr(&'static self) -> *mut *mut bindings::configfs_attribute {
        ptr::from_ref(&self.0).cast_mut().cast()
    }
}

/// The attribute name `$name` as a `&'static CStr`.
macro_rules! c_name {
    ($name:ident) => {
        ::kernel::c_str!(::core::stringify!($name))
    };
}
pub(crate) use c_name;

#[path = "../../sdk/page.rs"]
mod page;

pub(crate) use page::Page;

impl Page<'_> {
    /// The unwritten rest of the page, for a writer outside Rust's
    /// formatting (a backstore's `show_params`); follow with `advance`.
    pub(crate) fn rest(&mut self) -> &mut [u8] {
        // `len` never passes the end; an empty rest if it ever did.
        self.buf.get_mut(self.len..).unwrap_or_default()
    }

    /// Counts `n` bytes written into [`Page::rest`].
    pub(crate) fn advance(&mut self, n: usize) -> Result {
        if n > self.buf.len() - self.len {
            return Err(EOVERFLOW);
        }
        self.len += n;
        Ok(())
    }
}

/// Runs a `show` handler of a node of type `T`.
///
/// # Safety
///
/// `item` must be the item of a live node of type `T`, and `page` a writable
/// buffer of `PAGE_SIZE` bytes (as configfs passes them).
pub(crate) unsafe fn show<T: NodeType>(
    item: *mut bindings::config_item,
    page: *mut kernel::ffi::c_char,
    handler: fn(&T, &mut Page<'_>) -> Result,
) -> isize {
    // SAFETY: Every item is the `cg_item` of a group.
    let group = unsafe { kernel::container_of!(item, bindings::config_group, cg_item) };
    // SAFETY: By the safety requirement.
    let this = unsafe { data_of::<T>(group) };
    // SAFETY: By the safety requirement `page` is PAGE_SIZE writable bytes,
    // used only for the duration of this call.
    let mut out = unsafe { Page::from_raw(page) };
    match crate::noio::scope(|| handler(this, &mut out)) {
        // A page is at most PAGE_SIZE bytes, far below isize::MAX.
        Ok(()) => out.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Runs a `store` handler of a node of type `T` with the bytes written.
///
/// # Safety
///
/// `item` must be the item of a live node of type `T`, and `page` readable
/// for `len` bytes (as configfs passes them).
pub(crate) unsafe fn store<T: NodeType>(
    item: *mut bindings::config_item,
    page: *const kernel::ffi::c_char,
    len: usize,
    handler: fn(&T, &[u8]) -> Result,
) -> isize {
    // SAFETY: Every item is the `cg_item` of a group.
    let group = unsafe { kernel::container_of!(item, bindings::config_group, cg_item) };
    // SAFETY: By the safety requirement.
    let this = unsafe { data_of::<T>(group) };
    // SAFETY: By the safety requirement.
    let input = unsafe { core::slice::from_raw_parts(page.cast::<u8>(), len) };
    match crate::noio::scope(|| handler(this, input)) {
        // configfs never passes more than a page.
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}
