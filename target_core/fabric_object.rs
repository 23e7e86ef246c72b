// SPDX-License-Identifier: GPL-2.0

//! A fabric's state of one object (a WWN, a TPG, a portal), as the core
//! holds it: the fabric's pointer and the fabric's function that frees it.

use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::ffi::c_void;
use kernel::prelude::*;

/// Frees a fabric's state (`drop_wwn`, `drop_tpg`, `drop_np`).
pub(crate) type DropFn = unsafe extern "C" fn(*mut c_void);

/// A fabric's state of one object, freed exactly once: at `rmdir` of its
/// directory ([`FabricObject::release`]), or when a directory being built
/// is abandoned (drop).
///
/// # Invariants
///
/// `cookie` is NULL once released, else the live state that `make_*`
/// returned, to be freed by `drop_fn`.
pub(crate) struct FabricObject {
    cookie: AtomicPtr<c_void>,
    drop_fn: DropFn,
}

impl FabricObject {
    /// Takes the result of a fabric's `make_*`: its state, or an `ERR_PTR`.
    ///
    /// # Safety
    ///
    /// A non-error `cookie` must be live state that `drop_fn` frees, and
    /// the caller must keep the fabric's module pinned while the result
    /// lives.
    pub(crate) unsafe fn new(cookie: *mut c_void, drop_fn: DropFn) -> Result<Self> {
        let cookie = kernel::error::from_err_ptr(cookie)?;
        if cookie.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: By the safety requirement.
        Ok(Self {
            cookie: AtomicPtr::new(cookie),
            drop_fn,
        })
    }

    /// An object whose state the fabric has not made yet ([`Self::set`]):
    /// for a core object whose handle the fabric gets while it makes its
    /// own state.
    pub(crate) fn empty(drop_fn: DropFn) -> Self {
        // INVARIANT: NULL: nothing to free.
        Self {
            cookie: AtomicPtr::new(core::ptr::null_mut()),
            drop_fn,
        }
    }

    /// Takes the result of a fabric's `make_*` into an [`Self::empty`]
    /// object.
    ///
    /// # Safety
    ///
    /// As for [`Self::new`]; called once.
    pub(crate) unsafe fn set(&self, cookie: *mut c_void) -> Result {
        let cookie = kernel::error::from_err_ptr(cookie)?;
        if cookie.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: By the safety requirement; the object was empty.
        self.cookie.store(cookie, Ordering::Release);
        Ok(())
    }

    /// The fabric's state; NULL once released.
    pub(crate) fn cookie(&self) -> *mut c_void {
        self.cookie.load(Ordering::Acquire)
    }

    /// Frees the fabric's state now, if it is not freed yet.
    pub(crate) fn release(&self) {
        let cookie = self.cookie.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !cookie.is_null() {
            // SAFETY: `cookie` is live state for `drop_fn` (type invariant),
            // taken out above so that it is freed once.
            unsafe { (self.drop_fn)(cookie) };
        }
    }
}

impl Drop for FabricObject {
    fn drop(&mut self) {
        self.release();
    }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_fabric_object)]
mod tests {
    use super::*;
    use core::sync::atomic::AtomicUsize;

    static DROPS: AtomicUsize = AtomicUsize::new(0);
    static mut STATE: u8 = 0;

    /// # Safety
    ///
    /// Any pointer; only counted.
    unsafe extern "C" fn count_drop(_state: *mut c_void) {
        DROPS.fetch_add(1, Ordering::Relaxed);
    }

    fn state() -> *mut c_void {
        (&raw mut STATE).cast()
    }

    #[test]
    fn released_exactly_once() -> Result {
        let before = DROPS.load(Ordering::Relaxed);
        // SAFETY: `count_drop` accepts any pointer.
        let obj = unsafe { FabricObject::new(state(), count_drop) }?;
        assert_eq!(obj.cookie(), state());
        obj.release();
        assert!(obj.cookie().is_null());
        obj.release();
        drop(obj);
        assert_eq!(DROPS.load(Ordering::Relaxed), before + 1);
        Ok(())
    }

    #[test]
    fn abandoned_objects_are_freed() -> Result {
        let before = DROPS.load(Ordering::Relaxed);
        // SAFETY: As above.
        drop(unsafe { FabricObject::new(state(), count_drop) }?);
        assert_eq!(DROPS.load(Ordering::Relaxed), before + 1);
        Ok(())
    }

    #[test]
    fn errors_pass_through() {
        let before = DROPS.load(Ordering::Relaxed);
        // SAFETY: An ERR_PTR is never freed.
        let made = unsafe { FabricObject::new(EINVAL.to_ptr(), count_drop) };
        assert!(matches!(made, Err(e) if e == EINVAL));
        // SAFETY: NULL is refused, never freed.
        let made = unsafe { FabricObject::new(core::ptr::null_mut(), count_drop) };
        assert!(made.is_err());
        let obj = FabricObject::empty(count_drop);
        // SAFETY: As above.
        assert!(unsafe { obj.set(ENOSPC.to_ptr()) }.is_err());
        drop(obj);
        assert_eq!(DROPS.load(Ordering::Relaxed), before);
    }
}
