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

    /// Moves `buf` to or from the device state `dev` at byte `offset`.
    /// EOPNOTSUPP for a backstore built for ABI 0.2 or older, whose table
    /// has no `read_write`.
    ///
    /// # Safety
    ///
    /// `dev` must be an enabled device of this backstore.
    pub(crate) unsafe fn read_write(
        &self,
        dev: *mut kernel::ffi::c_void,
        write: bool,
        offset: u64,
        buf: &mut crate::sg::SgBuffer,
    ) -> Result {
        let ops = self.ops();
        if ops.abi_minor < 3 {
            return Err(EOPNOTSUPP);
        }
        let len = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
        let (sgl, nents) = buf.as_raw();
        // SAFETY: By the safety requirement; `buf` maps `len` bytes and is
        // borrowed mutably for the call; the field exists from ABI 0.3.
        kernel::error::to_result(unsafe {
            (ops.read_write)(dev, u8::from(write), offset, sgl, nents, len)
        })
    }

    /// Whether the backstore may finish reads and writes after it returns
    /// (`read_write_async`, read only from a table of ABI 0.9 or later).
    pub(crate) fn can_pend(&self) -> bool {
        let ops = self.ops();
        ops.abi_minor >= 9 && ops.read_write_async.is_some()
    }

    /// Starts moving `buf` to or from the device state `dev` at byte
    /// `offset` with the backstore's `read_write_async`: `Ok(true)` when the
    /// transfer is in flight (the backstore completes `token` with
    /// `tcm_rs_backstore_rw_done`), `Ok(false)` when it finished here, an
    /// error when it failed here; EAGAIN when the backstore did nothing
    /// (nor has `read_write_async`). `fua` (with `write`, for a device
    /// whose geometry says [`Self::fua`]): the backstore ends the write
    /// only once it is durable.
    ///
    /// # Safety
    ///
    /// `dev` must be an enabled device of this backstore; `buf`'s pages
    /// must stay valid and untouched until `token`, a live `InFlight`, is
    /// completed when this returns `Ok(true)`.
    pub(crate) unsafe fn read_write_async(
        &self,
        dev: *mut kernel::ffi::c_void,
        write: bool,
        fua: bool,
        offset: u64,
        buf: &mut crate::sg::SgBuffer,
        token: *mut kernel::ffi::c_void,
    ) -> Result<bool> {
        let ops = self.ops();
        // The field exists from ABI 0.9: read it only then.
        if ops.abi_minor < 9 {
            return Err(EAGAIN);
        }
        let Some(start) = ops.read_write_async else {
            return Err(EAGAIN);
        };
        let len = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
        let (sgl, nents) = buf.as_raw();
        // `RW_FUA` only to a table that knows it (`fua`, below).
        let direction = u8::from(write) | if fua && write { abi::RW_FUA } else { 0 };
        // SAFETY: By the safety requirement; `buf` maps `len` bytes.
        let ret = unsafe { start(dev, direction, offset, sgl, nents, len, token) };
        if ret == abi::RW_PENDING {
            return Ok(true);
        }
        kernel::error::to_result(ret).map(|()| false)
    }

    /// Whether the backstore may move plain reads and writes at once
    /// (`read_write_nowait`, read only from a table of ABI 0.10 or later).
    pub(crate) fn can_move_nowait(&self) -> bool {
        let ops = self.ops();
        ops.abi_minor >= 10 && ops.read_write_nowait.is_some()
    }

    /// Moves `buf` to or from the device state `dev` at byte `offset` with
    /// the backstore's `read_write_nowait`, if it can without sleeping:
    /// EAGAIN when it did not (nor has `read_write_nowait`, read only from
    /// a table of ABI 0.10 or later).
    ///
    /// # Safety
    ///
    /// `dev` must be an enabled device of this backstore.
    pub(crate) unsafe fn read_write_nowait(
        &self,
        dev: *mut kernel::ffi::c_void,
        write: bool,
        offset: u64,
        buf: &mut crate::sg::SgBuffer,
    ) -> Result {
        let ops = self.ops();
        if ops.abi_minor < 10 {
            return Err(EAGAIN);
        }
        let Some(move_now) = ops.read_write_nowait else {
            return Err(EAGAIN);
        };
        let len = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
        let (sgl, nents) = buf.as_raw();
        // SAFETY: By the safety requirement; `buf` maps `len` bytes and is
        // borrowed mutably for the call; the field exists from ABI 0.10.
        kernel::error::to_result(unsafe { move_now(dev, u8::from(write), offset, sgl, nents, len) })
    }

    /// Makes writes durable (`flush`); nothing to do for a backstore built
    /// for ABI 0.3 or older, whose table has no `flush`.
    ///
    /// # Safety
    ///
    /// `dev` must be an enabled device of this backstore.
    pub(crate) unsafe fn flush(
        &self,
        dev: *mut kernel::ffi::c_void,
        offset: u64,
        len: u64,
    ) -> Result {
        let ops = self.ops();
        if ops.abi_minor < 4 {
            return Ok(());
        }
        // SAFETY: By the safety requirement; the field exists from ABI 0.4.
        kernel::error::to_result(unsafe { (ops.flush)(dev, offset, len) })
    }

    /// Whether the backstore deallocates blocks (`unmap`, ABI 0.5).
    pub(crate) fn can_unmap(&self) -> bool {
        let ops = self.ops();
        // The field exists from ABI 0.5.
        ops.abi_minor >= 5 && ops.unmap.is_some()
    }

    /// Deallocates `len` bytes from byte `offset`; EOPNOTSUPP for a
    /// backstore that cannot.
    ///
    /// # Safety
    ///
    /// `dev` must be an enabled device of this backstore.
    pub(crate) unsafe fn unmap(
        &self,
        dev: *mut kernel::ffi::c_void,
        offset: u64,
        len: u64,
    ) -> Result {
        let ops = self.ops();
        // The field exists from ABI 0.5: read it only then.
        if ops.abi_minor < 5 {
            return Err(EOPNOTSUPP);
        }
        match ops.unmap {
            // SAFETY: By the safety requirement.
            Some(unmap) => kernel::error::to_result(unsafe { unmap(dev, offset, len) }),
            None => Err(EOPNOTSUPP),
        }
    }

    /// Whether a device of this backstore with `geometry` may change size
    /// while enabled: the table has `blocks` and the geometry says
    /// `resizable`, both read only from a table of ABI 0.7 or later (in an
    /// older backstore's geometry the flag's byte is padding).
    pub(crate) fn resizable(&self, geometry: &abi::DeviceGeometry) -> bool {
        let ops = self.ops();
        ops.abi_minor >= 7 && ops.blocks.is_some() && geometry.resizable != 0
    }

    /// Whether a device of this backstore with `geometry` takes FUA writes
    /// in `read_write_async` (`RW_FUA`; read only from a table of ABI 0.11
    /// or later: in an older backstore's geometry the flag's byte is
    /// padding).
    pub(crate) fn fua(&self, geometry: &abi::DeviceGeometry) -> bool {
        self.ops().abi_minor >= 11 && geometry.fua != 0
    }

    /// Whether a device of this backstore with `geometry` sleeps for its
    /// I/O (read only from a table of ABI 0.8 or later: in an older
    /// backstore's geometry the flag's byte is padding).
    pub(crate) fn sleeps(&self, geometry: &abi::DeviceGeometry) -> bool {
        self.ops().abi_minor >= 8 && geometry.sleeps != 0
    }

    /// The number of blocks the device holds now (backstore `blocks`);
    /// `None` from a backstore that does not tell.
    ///
    /// # Safety
    ///
    /// `dev` must be an enabled device of this backstore.
    pub(crate) unsafe fn blocks(&self, dev: *mut kernel::ffi::c_void) -> Option<u64> {
        let ops = self.ops();
        // The field exists from ABI 0.7: read it only then.
        if ops.abi_minor < 7 {
            return None;
        }
        let blocks = ops.blocks?;
        // SAFETY: By the safety requirement.
        Some(unsafe { blocks(dev) })
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
