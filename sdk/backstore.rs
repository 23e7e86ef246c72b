// SPDX-License-Identifier: GPL-2.0

//! The safe SDK for backstore modules.
//!
//! A backstore implements [`Backstore`] and keeps a [`Registration`] in its
//! module for as long as it is loaded:
//!
//! ```ignore
//! #[pin_data]
//! struct RdModule { registration: Registration<RamDisk> }
//! ```
//!
//! The SDK turns the trait into the C table of sdk/backstore_abi.rs, so a
//! backstore never touches the ABI itself. Compile this file into the
//! module with `#[path]`.

use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;

#[path = "backstore_abi.rs"]
mod abi;
// A library: the core uses more of it than a backstore does.
#[allow(dead_code)]
#[path = "sg.rs"]
mod sg;

pub(crate) use abi::DeviceGeometry;
use abi::{BackstoreOps, BACKSTORE_ABI_MAJOR, BACKSTORE_ABI_MINOR, RW_FUA, RW_PENDING};
pub(crate) use sg::SgBuffer;

extern "C" {
    fn tcm_rs_register_backstore(ops: *const BackstoreOps) -> c_int;
    fn tcm_rs_unregister_backstore(ops: *const BackstoreOps);
    fn tcm_rs_backstore_rw_done(token: *mut c_void, err: c_int);
}

/// A READ or WRITE that the core lets the backstore finish later
/// ([`Backstore::read_write_async`]): completed once, with
/// [`PendingIo::complete`], from any context (a bio's end_io in an
/// interrupt included). Dropping it without completing it completes the
/// command with EIO, so a command is never lost.
///
/// # Invariants
///
/// `token` is a token the core gave to `read_write_async`, not completed
/// yet.
pub(crate) struct PendingIo {
    token: NonNull<c_void>,
}

// SAFETY: The core's completion function may be called from any thread.
unsafe impl Send for PendingIo {}

// A library: a backstore that does not pend, or completes from C, uses a
// part of it.
#[allow(dead_code)]
impl PendingIo {
    /// Ends the command's transfer with `result` (EIO for a failed medium
    /// access). Never sleeps and takes no lock: callable from a bio's
    /// end_io in hard or soft interrupt context.
    pub(crate) fn complete(self, result: Result) {
        let err = match result {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        };
        let token = self.into_raw();
        // SAFETY: A token not completed yet (type invariant); `into_raw`
        // consumed `self`, so it is completed once.
        unsafe { tcm_rs_backstore_rw_done(token, err) };
    }

    /// The raw token, to hand to C code that will complete it with
    /// `tcm_rs_backstore_rw_done()` (then call
    /// [`PendingIo::handed_over`]).
    pub(crate) fn token(&self) -> *mut c_void {
        self.token.as_ptr()
    }

    /// Gives up the token without completing it: code that `token` was
    /// handed to completes it (maybe has already).
    ///
    /// # Safety
    ///
    /// `token()` must have been handed to code that completes it once.
    pub(crate) unsafe fn handed_over(self) {
        core::mem::forget(self);
    }

    /// The raw token, for the SDK: the caller takes over the duty to
    /// complete it once, or to drop it silently when the core finishes the
    /// command itself.
    fn into_raw(self) -> *mut c_void {
        let token = self.token.as_ptr();
        core::mem::forget(self);
        token
    }

    /// Wraps a token the core gave to `read_write_async`.
    ///
    /// # Safety
    ///
    /// `token` must be the core's, not completed, and nothing else may
    /// complete it.
    unsafe fn from_raw(token: *mut c_void) -> Option<Self> {
        // INVARIANT: By the safety requirement.
        NonNull::new(token).map(|token| Self { token })
    }
}

impl Drop for PendingIo {
    fn drop(&mut self) {
        // SAFETY: Not completed yet (type invariant), and `drop` runs once;
        // `complete` and `into_raw` forget `self`, so they never get here.
        unsafe { tcm_rs_backstore_rw_done(self.token.as_ptr(), EIO.to_errno()) };
    }
}

/// How [`Backstore::read_write_async`] left a transfer.
// A backstore that does not pend never says `Pending`.
#[allow(dead_code)]
pub(crate) enum Submitted {
    /// In flight: the [`PendingIo`] it was given will be completed.
    Pending,
    /// Finished (or refused) before returning, with this result: the core
    /// completes the command itself, and the `PendingIo` given back is
    /// discarded without completing it. EAGAIN: nothing was done, and the
    /// core calls [`Backstore::read_write`] instead.
    Done(PendingIo, Result),
}

/// A kind of backing store for devices (ramdisk, file, block device).
pub(crate) trait Backstore: 'static {
    /// The name in HBA directory names: `core/<NAME>_<N>/`.
    const NAME: &'static CStr;
    /// The default INQUIRY product identification (at most 16 characters).
    const PRODUCT: &'static CStr;
    /// The default INQUIRY product revision (at most 4 characters).
    const REVISION: &'static CStr;
    /// The state of one device.
    type Device: Send + Sync;

    /// Makes the state of the device called `name` (`mkdir`).
    fn alloc_device(name: &CStr) -> Result<Self::Device>;
    /// Applies a write to the device's `control`. Only while the device
    /// is disabled; a refused write must change nothing.
    fn set_params(dev: &mut Self::Device, control: &[u8]) -> Result;
    /// Formats the backstore's part of the device's `info`.
    fn show_params(dev: &Self::Device, out: &mut InfoWriter<'_>) -> Result;
    /// Enables the device: allocates what it needs, returns its geometry.
    /// Called once; on error the device must be as it was.
    fn enable(dev: &mut Self::Device) -> Result<DeviceGeometry>;
    /// Moves `buf.len()` bytes between the enabled device at byte `offset`
    /// and `buf`: into the device if `write`, out of it otherwise. Called
    /// for many commands at once, from a context that may sleep; the range
    /// is inside the device (a device that shrinks may have shrunk since
    /// the core checked it: then fail, never reach past its end). EIO for
    /// a failed medium access.
    fn read_write(dev: &Self::Device, write: bool, offset: u64, buf: &mut SgBuffer) -> Result;
    /// Whether the backstore implements [`Backstore::read_write_async`].
    const CAN_PEND: bool = false;
    /// As [`Backstore::read_write`], for a plain READ or WRITE, but the
    /// transfer may end after this returns: the backstore starts it,
    /// returns [`Submitted::Pending`] and later completes `io` (from a bio's
    /// end_io, say), or finishes at once and gives `io` back with
    /// [`Submitted::Done`]. `buf`'s pages stay the backstore's until `io`
    /// is completed: the core does not touch them, and a backstore that
    /// goes on using them after this returns (handing the raw list to bios)
    /// relies on that. Called from a context that may sleep. `fua` comes
    /// only with `write`, and only for a device whose geometry says `fua`
    /// (ABI 0.11): the transfer ends only once the data is on the medium.
    fn read_write_async(
        _dev: &Self::Device,
        _write: bool,
        _fua: bool,
        _offset: u64,
        _buf: &mut SgBuffer,
        io: PendingIo,
    ) -> Submitted {
        Submitted::Done(io, Err(EAGAIN))
    }
    /// Whether the backstore implements [`Backstore::read_write_nowait`].
    const CAN_MOVE_NOWAIT: bool = false;
    /// As [`Backstore::read_write`], for a plain READ or WRITE, only if it
    /// can be done at once, without sleeping (a page cache's pages copied
    /// in place): `Ok` when all of it was moved, `EAGAIN` when it was not
    /// (part of a write may have been; the core moves all of it again
    /// another way), another error for a failure. The core tries it before
    /// [`Backstore::read_write_async`], where that is called: maybe inside
    /// the initiator's bio submission, where waiting for I/O never ends.
    fn read_write_nowait(
        _dev: &Self::Device,
        _write: bool,
        _offset: u64,
        _buf: &mut SgBuffer,
    ) -> Result {
        Err(EAGAIN)
    }
    /// Makes the writes to `len` bytes from byte `offset` (to the end when
    /// `len` is 0) durable (SYNCHRONIZE CACHE). A backstore that writes
    /// through, as the ramdisk does, has nothing to do.
    fn flush(_dev: &Self::Device, _offset: u64, _len: u64) -> Result {
        Ok(())
    }
    /// Whether the backstore implements [`Backstore::unmap`]; the core
    /// refuses UNMAP and WRITE SAME with the UNMAP bit when it does not.
    const CAN_UNMAP: bool = false;
    /// Deallocates `len` bytes from byte `offset` (whole blocks inside the
    /// device): UNMAP. Called as `read_write` is. Reads of the range return
    /// zeros afterwards if `enable` said `unmap_zeroes_data`.
    fn unmap(_dev: &Self::Device, _offset: u64, _len: u64) -> Result {
        Err(EOPNOTSUPP)
    }
    /// Whether the backstore implements [`Backstore::blocks`]: some of its
    /// devices may change size while enabled (those whose geometry says
    /// `resizable`).
    const CAN_RESIZE: bool = false;
    /// The number of blocks (of the `block_size` `enable` reported) the
    /// enabled device holds now. Called before every command to a device
    /// whose geometry said `resizable`, from many commands at once: it must
    /// be cheap (a load of the block device's size), must not sleep, and
    /// reports 0 for a device that is gone. The core notices a change,
    /// updates the capacity commands see and tells the initiators.
    fn blocks(_dev: &Self::Device) -> u64 {
        0
    }
}

/// The buffer `show_params` writes into.
pub(crate) struct InfoWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl InfoWriter<'_> {
    /// Appends formatted text; `Err(EOVERFLOW)` if it does not fit.
    pub(crate) fn emit(&mut self, args: core::fmt::Arguments<'_>) -> Result {
        core::fmt::Write::write_fmt(self, args).map_err(|_| EOVERFLOW)
    }
}

impl core::fmt::Write for InfoWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The C table of backstore `B`, and its trampolines.
struct Table<B: Backstore>(PhantomData<B>);

impl<B: Backstore> Table<B> {
    const OPS: BackstoreOps = BackstoreOps {
        abi_major: BACKSTORE_ABI_MAJOR,
        abi_minor: BACKSTORE_ABI_MINOR,
        name: kernel::str::as_char_ptr_in_const_context(B::NAME),
        product: kernel::str::as_char_ptr_in_const_context(B::PRODUCT),
        revision: kernel::str::as_char_ptr_in_const_context(B::REVISION),
        owner: kernel::module::this_module::<crate::LocalModule>()
            .as_ptr()
            .cast(),
        alloc_device: Self::alloc_device,
        set_params: Self::set_params,
        show_params: Self::show_params,
        enable: Self::enable,
        free_device: Self::free_device,
        read_write: Self::read_write,
        flush: Self::flush,
        unmap: if B::CAN_UNMAP {
            Some(Self::unmap)
        } else {
            None
        },
        blocks: if B::CAN_RESIZE {
            Some(Self::blocks)
        } else {
            None
        },
        read_write_async: if B::CAN_PEND {
            Some(Self::read_write_async)
        } else {
            None
        },
        read_write_nowait: if B::CAN_MOVE_NOWAIT {
            Some(Self::read_write_nowait)
        } else {
            None
        },
    };

    /// # Safety
    ///
    /// `name` must be a NUL-terminated string valid for the call.
    unsafe extern "C" fn alloc_device(name: *const c_char) -> *mut c_void {
        // SAFETY: By the safety requirement.
        let name = unsafe { CStr::from_char_ptr(name) };
        match B::alloc_device(name).and_then(|d| Ok(KBox::new(d, GFP_KERNEL)?)) {
            Ok(dev) => KBox::into_raw(dev).cast(),
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// `dev` must come from `alloc_device` and not be freed.
    unsafe fn device<'a>(dev: *mut c_void) -> &'a B::Device {
        // SAFETY: By the safety requirement, `dev` is a live `KBox<Device>`.
        unsafe { &*dev.cast::<B::Device>() }
    }

    /// # Safety
    ///
    /// As for `device`, and no other reference to the device may exist for
    /// `'a`: the ABI has the core serialise `set_params`, `show_params` and
    /// `enable` under the device's lock and make no other call before the
    /// device is enabled, after which `set_params` and `enable` never come.
    unsafe fn device_mut<'a>(dev: *mut c_void) -> &'a mut B::Device {
        // SAFETY: By the safety requirement.
        unsafe { &mut *dev.cast::<B::Device>() }
    }

    /// # Safety
    ///
    /// `dev` as for `device`; `buf` readable for `len` bytes.
    unsafe extern "C" fn set_params(dev: *mut c_void, buf: *const u8, len: usize) -> c_int {
        // SAFETY: By the safety requirement (and the ABI's serialisation).
        let (dev, input) =
            unsafe { (Self::device_mut(dev), core::slice::from_raw_parts(buf, len)) };
        match B::set_params(dev, input) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `dev` as for `device`; `buf` writable for `len` bytes.
    unsafe extern "C" fn show_params(dev: *mut c_void, buf: *mut u8, len: usize) -> isize {
        // SAFETY: By the safety requirement.
        let (dev, buf) = unsafe { (Self::device(dev), core::slice::from_raw_parts_mut(buf, len)) };
        let mut out = InfoWriter { buf, len: 0 };
        match B::show_params(dev, &mut out) {
            // At most `len`, a page.
            Ok(()) => out.len as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// `dev` as for `device`; `geometry` writable.
    unsafe extern "C" fn enable(dev: *mut c_void, geometry: *mut DeviceGeometry) -> c_int {
        // SAFETY: By the safety requirement (and the ABI's serialisation).
        let dev = unsafe { Self::device_mut(dev) };
        match B::enable(dev) {
            Ok(g) => {
                // SAFETY: By the safety requirement.
                unsafe { geometry.write(g) };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `dev` as for `device`, enabled; `sgl` has `nents` entries mapping at
    /// least `len` bytes that the caller does not touch during the call.
    unsafe extern "C" fn read_write(
        dev: *mut c_void,
        write: u8,
        offset: u64,
        sgl: *mut kernel::bindings::scatterlist,
        nents: u32,
        len: u32,
    ) -> c_int {
        // SAFETY: By the safety requirement; after `enable` the core makes
        // no `&mut` call on the device, so shared references are sound.
        let dev = unsafe { Self::device(dev) };
        // SAFETY: By the safety requirement.
        let mut buf = unsafe { SgBuffer::from_raw(sgl, nents, len as usize) };
        match B::read_write(dev, write != 0, offset, &mut buf) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// As for `read_write`.
    unsafe extern "C" fn read_write_nowait(
        dev: *mut c_void,
        write: u8,
        offset: u64,
        sgl: *mut kernel::bindings::scatterlist,
        nents: u32,
        len: u32,
    ) -> c_int {
        // SAFETY: By the safety requirement, as in `read_write`.
        let dev = unsafe { Self::device(dev) };
        // SAFETY: By the safety requirement.
        let mut buf = unsafe { SgBuffer::from_raw(sgl, nents, len as usize) };
        match B::read_write_nowait(dev, write != 0, offset, &mut buf) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// As for `read_write`, except that the pages of `sgl` stay untouched
    /// until `token` is completed; `token` is the core's, not completed.
    unsafe extern "C" fn read_write_async(
        dev: *mut c_void,
        write: u8,
        offset: u64,
        sgl: *mut kernel::bindings::scatterlist,
        nents: u32,
        len: u32,
        token: *mut c_void,
    ) -> c_int {
        // SAFETY: By the safety requirement, as in `read_write`.
        let dev = unsafe { Self::device(dev) };
        // SAFETY: By the safety requirement.
        let mut buf = unsafe { SgBuffer::from_raw(sgl, nents, len as usize) };
        // SAFETY: The core's token, completed by nobody else.
        let Some(io) = (unsafe { PendingIo::from_raw(token) }) else {
            return EINVAL.to_errno();
        };
        let fua = write & RW_FUA != 0;
        match B::read_write_async(dev, write & !RW_FUA != 0, fua, offset, &mut buf, io) {
            Submitted::Pending => RW_PENDING,
            Submitted::Done(io, result) => {
                // Not completed: the core finishes the command from the
                // result.
                let _ = io.into_raw();
                match result {
                    Ok(()) => 0,
                    Err(e) => e.to_errno(),
                }
            }
        }
    }

    /// # Safety
    ///
    /// `dev` as for `device`, enabled.
    unsafe extern "C" fn flush(dev: *mut c_void, offset: u64, len: u64) -> c_int {
        // SAFETY: By the safety requirement, as in `read_write`.
        let dev = unsafe { Self::device(dev) };
        match B::flush(dev, offset, len) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `dev` as for `device`, enabled.
    unsafe extern "C" fn unmap(dev: *mut c_void, offset: u64, len: u64) -> c_int {
        // SAFETY: By the safety requirement, as in `read_write`.
        let dev = unsafe { Self::device(dev) };
        match B::unmap(dev, offset, len) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `dev` as for `device`, enabled.
    unsafe extern "C" fn blocks(dev: *mut c_void) -> u64 {
        // SAFETY: By the safety requirement, as in `read_write`.
        let dev = unsafe { Self::device(dev) };
        B::blocks(dev)
    }

    /// # Safety
    ///
    /// `dev` must come from `alloc_device`; it is not used again.
    unsafe extern "C" fn free_device(dev: *mut c_void) {
        // SAFETY: By the safety requirement, this gives back the box leaked in
        // `alloc_device`, once.
        drop(unsafe { KBox::from_raw(dev.cast::<B::Device>()) });
    }
}

/// Backstore `B`, registered with the core while this value lives.
pub(crate) struct Registration<B: Backstore> {
    /// The table the core holds: the same address must go back to it.
    ops: &'static BackstoreOps,
    _b: PhantomData<B>,
}

impl<B: Backstore> Registration<B> {
    /// Registers `B`; fails if the core refuses (a name already taken, or
    /// another ABI version).
    pub(crate) fn new() -> Result<Self> {
        let ops: &'static BackstoreOps = &Table::<B>::OPS;
        // SAFETY: The table is static and stays valid while registered (it
        // is in this module, which unregisters before it goes).
        kernel::error::to_result(unsafe { tcm_rs_register_backstore(ops) })?;
        Ok(Self {
            ops,
            _b: PhantomData,
        })
    }
}

impl<B: Backstore> Drop for Registration<B> {
    fn drop(&mut self) {
        // SAFETY: Registered in `new`.
        unsafe { tcm_rs_unregister_backstore(self.ops) };
    }
}
