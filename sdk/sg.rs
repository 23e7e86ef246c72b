// SPDX-License-Identifier: GPL-2.0

//! A command's data buffer: the scatterlist the fabric hands over, used in
//! place by the core (emulated commands) and the backstores (reads and
//! writes). Compiled into the core and into every module that moves data,
//! with `#[path]`.

use core::mem::MaybeUninit;

use kernel::bindings;
use kernel::prelude::*;

/// The data buffer of one command.
///
/// # Invariants
///
/// `sgl` has `nents` entries that map at least `len` bytes of memory that
/// the command owns, valid and not moved while this value lives.
pub(crate) struct SgBuffer {
    sgl: *mut bindings::scatterlist,
    nents: u32,
    len: usize,
}

/// Runs `f` with an [`SgBuffer`] over `buf`, a kmalloc'd buffer (so
/// linearly mapped, as a one-entry scatterlist needs): for data the core
/// makes itself (WRITE SAME's blocks, VERIFY's medium data).
pub(crate) fn with_kernel_buffer<R>(buf: &mut KVec<u8>, f: impl FnOnce(&mut SgBuffer) -> R) -> R {
    let len = buf.len().min(u32::MAX as usize);
    let mut sg = MaybeUninit::<bindings::scatterlist>::zeroed();
    // SAFETY: `sg` is writable; `buf` is kmalloc memory (the type's
    // allocator) of at least `len` bytes, linearly mapped.
    unsafe { bindings::sg_init_one(sg.as_mut_ptr(), buf.as_mut_ptr().cast(), len as u32) };
    // SAFETY: `sg` maps `len` bytes of `buf`, which `&mut` keeps for us and
    // alive until `f` returns, as is `sg`.
    let mut sgb = unsafe { SgBuffer::from_raw(sg.as_mut_ptr(), 1, len) };
    f(&mut sgb)
}

impl SgBuffer {
    /// Wraps a command's scatterlist.
    ///
    /// # Safety
    ///
    /// `sgl` must have `nents` entries mapping at least `len` bytes, valid
    /// for the life of the returned value, and nothing else may access that
    /// memory meanwhile except through it.
    pub(crate) unsafe fn from_raw(sgl: *mut bindings::scatterlist, nents: u32, len: usize) -> Self {
        // INVARIANT: By the safety requirement.
        Self { sgl, nents, len }
    }

    /// The buffer's length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Uses only the first `len` bytes from now on (no-op if longer).
    pub(crate) fn limit(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// The raw scatterlist and its entry count, for the C ABI.
    pub(crate) fn as_raw(&self) -> (*mut bindings::scatterlist, u32) {
        (self.sgl, self.nents)
    }

    /// Copies `src` into the buffer from byte `at`; returns the bytes
    /// copied (fewer if the buffer ends first).
    pub(crate) fn write_at(&mut self, at: usize, src: &[u8]) -> usize {
        let n = src.len().min(self.len.saturating_sub(at));
        if n == 0 {
            return 0;
        }
        // SAFETY: The type invariant makes the list valid for `len` bytes,
        // `at + n <= len`, `src` is readable for `n` bytes, and `&mut self`
        // excludes other users. `at < len` fits `off_t`.
        unsafe {
            bindings::sg_pcopy_from_buffer(
                self.sgl,
                self.nents,
                src.as_ptr().cast(),
                n,
                at as bindings::off_t,
            )
        }
    }

    /// Copies from byte `at` of the buffer into `dst`; returns the bytes
    /// copied.
    pub(crate) fn read_at(&self, at: usize, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.len.saturating_sub(at));
        if n == 0 {
            return 0;
        }
        // SAFETY: As in `write_at`, with `dst` writable for `n` bytes; the
        // C function only reads the buffer.
        unsafe {
            bindings::sg_pcopy_to_buffer(
                self.sgl,
                self.nents,
                dst.as_mut_ptr().cast(),
                n,
                at as bindings::off_t,
            )
        }
    }

    /// Visits bytes `at..at + len` of the buffer as mapped pieces, in
    /// order: `f(piece, offset)` gets a pointer valid for `piece.1` bytes
    /// and the piece's offset from `at`. `to_buffer` says whether `f`
    /// writes (the pages are flushed for it). Mapping is local to this CPU:
    /// `f` must not sleep. Fails with EINVAL if the range passes the end.
    pub(crate) fn for_each_piece(
        &mut self,
        at: usize,
        len: usize,
        to_buffer: bool,
        mut f: impl FnMut((*mut u8, usize), usize) -> Result,
    ) -> Result {
        if at.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(EINVAL);
        }
        let direction = if to_buffer {
            bindings::SG_MITER_TO_SG
        } else {
            bindings::SG_MITER_FROM_SG
        };
        let mut miter = MaybeUninit::<bindings::sg_mapping_iter>::uninit();
        let miter = miter.as_mut_ptr();
        // SAFETY: `miter` is writable; the list is valid (type invariant).
        unsafe {
            bindings::sg_miter_start(
                miter,
                self.sgl,
                self.nents,
                bindings::SG_MITER_LOCAL | direction,
            )
        };
        let mut result = Ok(());
        let mut done = 0usize;
        // SAFETY: `miter` was started above; `at < len` fits `off_t`.
        if at != 0 && !unsafe { bindings::sg_miter_skip(miter, at as bindings::off_t) } {
            result = Err(EINVAL);
        }
        while result.is_ok() && done < len {
            // SAFETY: `miter` is started and not stopped.
            if !unsafe { bindings::sg_miter_next(miter) } {
                result = Err(EINVAL);
                break;
            }
            // SAFETY: After a successful `sg_miter_next`, `addr` maps
            // `length` bytes of the current piece.
            let (addr, length) = unsafe { ((*miter).addr.cast::<u8>(), (*miter).length) };
            let n = length.min(len - done);
            result = f((addr, n), done);
            // SAFETY: As above; less than `length` consumed makes the next
            // call continue inside this piece.
            unsafe { (*miter).consumed = n };
            done += n;
        }
        // SAFETY: Started above, stopped once.
        unsafe { bindings::sg_miter_stop(miter) };
        result
    }
}
