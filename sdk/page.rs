// SPDX-License-Identifier: GPL-2.0

//! The page a configfs attribute's value is formatted into (`show`),
//! shared by the core and the modules that add attributes (with `#[path]`).
//! Writes past the page's end are refused, never truncated silently.

use core::fmt;

use kernel::prelude::*;

/// A page being filled.
pub(crate) struct Page<'a> {
    // Visible to the including module, for writers outside Rust's
    // formatting.
    pub(super) buf: &'a mut [u8],
    pub(super) len: usize,
}

impl<'a> Page<'a> {
    /// An empty page over `buf`.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// The page configfs passes to a `show` callback.
    ///
    /// # Safety
    ///
    /// `page` must be writable for `PAGE_SIZE` bytes during `'a`, with no
    /// other reference to it.
    pub(crate) unsafe fn from_raw(page: *mut kernel::ffi::c_char) -> Self {
        // SAFETY: By the safety requirement.
        let buf =
            unsafe { core::slice::from_raw_parts_mut(page.cast::<u8>(), kernel::page::PAGE_SIZE) };
        Self::new(buf)
    }

    /// The bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.len
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
