// SPDX-License-Identifier: GPL-2.0

//! configfs attributes: the C tables built by `configfs_node_type!`, and the
//! show and store paths that call a node's handlers.

use core::fmt;
use core::ptr;

use kernel::bindings;
use kernel::page::PAGE_SIZE;
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

/// The page an attribute's value is formatted into (`show`). Writes past
/// the page's end are refused, never truncated silently.
pub(crate) struct Page<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Page<'_> {
    /// The bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The unwritten rest of the page, for a writer outside Rust's
    /// formatting (a backstore's `show_params`); follow with `advance`.
    pub(crate) fn rest(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// Counts `n` bytes written into [`Page::rest`].
    pub(crate) fn advance(&mut self, n: usize) -> Result {
        if n > self.buf.len() - self.len {
            return Err(EOVERFLOW);
        }
        self.len += n;
        Ok(())
    }

    /// Appends formatted text; `Err(EOVERFLOW)` if it does not fit.
    pub(crate) fn emit(&mut self, args: fmt::Arguments<'_>) -> Result {
        fmt::Write::write_fmt(self, args).map_err(|_| EOVERFLOW)
    }
}

impl fmt::Write for Page<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
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
    let buf = unsafe { core::slice::from_raw_parts_mut(page.cast::<u8>(), PAGE_SIZE) };
    let mut out = Page { buf, len: 0 };
    match handler(this, &mut out) {
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
    match handler(this, input) {
        // configfs never passes more than a page.
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}
