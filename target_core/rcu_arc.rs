// SPDX-License-Identifier: GPL-2.0

//! An `Option<Arc<T>>` that readers borrow under RCU: no lock, and no
//! write to memory another CPU reads, on the read side. Every command reads
//! its session's view through one (access.rs), from every CPU at once; a
//! spinlock there made two CPUs serving one nexus take turns, and under a
//! hypervisor wait out a preempted holder.
//!
//! A writer swaps the pointer; the value it took out is let go only after
//! an RCU grace period ([`Retiring`], [`Retired`]), when no reader can
//! still be looking at it. Writers may sleep; readers never do.

use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::prelude::*;
use kernel::sync::{rcu, Arc, ArcBorrow};

/// An RCU-read `Option<Arc<T>>`.
///
/// # Invariants
///
/// `ptr` is null or comes from [`Arc::into_raw`] and owns that reference.
/// A reference that left `ptr` is dropped only after an RCU grace period
/// that began after it left ([`Retiring`]).
pub(crate) struct RcuArc<T: Send + Sync> {
    ptr: AtomicPtr<T>,
}

impl<T: Send + Sync> RcuArc<T> {
    /// Empty.
    pub(crate) const fn new() -> Self {
        // INVARIANT: Null.
        Self {
            ptr: AtomicPtr::new(null_mut()),
        }
    }

    /// Runs `f` on the value, in an RCU read-side section: `f` must not
    /// sleep, and what it returns cannot borrow from the value.
    pub(crate) fn read<R>(&self, f: impl for<'a> FnOnce(Option<&'a T>) -> R) -> R {
        let _rcu = rcu::read_lock();
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: A non-null `ptr` owns a reference (invariant), and a value
        // that leaves it is not dropped before a grace period that began
        // after it left: after this read-side section ends, which is after
        // `f` returns.
        f(unsafe { p.as_ref() })
    }

    /// A reference to the value.
    pub(crate) fn get(&self) -> Option<Arc<T>> {
        let _rcu = rcu::read_lock();
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: As in `read`: live for this read-side section, in which
        // the reference count goes up.
        Some(unsafe { ArcBorrow::from_raw(p) }.into())
    }

    /// Puts `new` in place and gives back the value it replaced, which
    /// readers may still be looking at: see [`Retiring`].
    pub(crate) fn replace(&self, new: Option<Arc<T>>) -> Retiring<T> {
        let p = new.map_or(null_mut(), |a| Arc::into_raw(a).cast_mut());
        // INVARIANT: `p` is null or owns the reference `new` gave up. The
        // old value goes into a `Retiring`, which keeps it until a grace
        // period that begins now.
        let old = self.ptr.swap(p, Ordering::AcqRel);
        // SAFETY: A non-null `ptr` owned a reference (invariant), which
        // passes to the `Arc` made here.
        Retiring((!old.is_null()).then(|| unsafe { Arc::from_raw(old) }))
    }
}

impl<T: Send + Sync> Drop for RcuArc<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: `p` owns a reference (invariant). No reader can be
            // looking at it: a reader borrows `self`, which is going.
            drop(unsafe { Arc::from_raw(p) });
        }
    }
}

/// A value taken out of an [`RcuArc`], which readers that found it there
/// may still be looking at: readable, and let go when this is dropped
/// after an RCU grace period (which sleeps), or handed to a [`Retired`]
/// to share one grace period with others.
pub(crate) struct Retiring<T: Send + Sync>(Option<Arc<T>>);

impl<T: Send + Sync> Retiring<T> {
    /// The value taken out.
    pub(crate) fn value(&self) -> Option<&T> {
        self.0.as_deref()
    }
}

impl<T: Send + Sync> Drop for Retiring<T> {
    fn drop(&mut self) {
        if let Some(old) = self.0.take() {
            rcu::synchronize_rcu();
            drop(old);
        }
    }
}

/// Values taken out of [`RcuArc`]s, let go together after one RCU grace
/// period when this is dropped (a TPG's refresh replaces the view of
/// every session: one grace period, not one per session).
pub(crate) struct Retired<T: Send + Sync>(KVec<Arc<T>>);

impl<T: Send + Sync> Retired<T> {
    /// None yet.
    pub(crate) fn new() -> Self {
        Self(KVec::new())
    }

    /// Keeps `r`'s value until this is dropped; without memory to keep it,
    /// waits for its grace period here.
    pub(crate) fn keep(&mut self, mut r: Retiring<T>) {
        let Some(old) = r.0.take() else {
            return;
        };
        // Room first: a failed `push` would drop the value at once.
        let kept = match self.0.reserve(1, GFP_KERNEL) {
            Ok(()) => self.0.push_within_capacity(old).map_err(|e| e.0),
            Err(_) => Err(old),
        };
        if let Err(old) = kept {
            // The value's own wait.
            drop(Retiring(Some(old)));
        }
    }
}

impl<T: Send + Sync> Drop for Retired<T> {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            rcu::synchronize_rcu();
        }
        // The references go with the vector.
    }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_rcu_arc)]
mod tests {
    use super::*;
    use core::sync::atomic::AtomicU32;

    /// Counts its drops in the counter it points at.
    struct Counted(&'static AtomicU32, u32);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A cell holding `Counted(drops, n)`; `None` without memory, which
    /// is not the tests' failure.
    fn cell_with(drops: &'static AtomicU32, n: u32) -> Option<RcuArc<Counted>> {
        let r = RcuArc::new();
        drop(r.replace(Some(Arc::new(Counted(drops, n), GFP_KERNEL).ok()?)));
        Some(r)
    }

    #[test]
    fn readers_see_what_was_put_and_nothing_after_none() {
        static DROPS: AtomicU32 = AtomicU32::new(0);
        let r = RcuArc::<Counted>::new();
        assert!(r.get().is_none());
        assert!(r.read(|v| v.is_none()));
        drop(r);
        let Some(r) = cell_with(&DROPS, 7) else {
            return;
        };
        assert_eq!(r.read(|v| v.map(|c| c.1)), Some(7));
        assert_eq!(r.get().map(|c| c.1), Some(7));
        drop(r.replace(None));
        assert!(r.get().is_none());
        assert_eq!(DROPS.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_replaced_value_lives_until_its_grace_period() {
        static DROPS: AtomicU32 = AtomicU32::new(0);
        let (Some(r), Some(other)) = (cell_with(&DROPS, 1), cell_with(&DROPS, 2)) else {
            return;
        };
        let mut retired = Retired::new();
        let old = r.replace(other.get());
        drop(other);
        assert_eq!(old.value().map(|c| c.1), Some(1));
        retired.keep(old);
        retired.keep(r.replace(None));
        // Both kept, neither dropped, until the batch goes.
        assert_eq!(DROPS.load(Ordering::Relaxed), 0);
        drop(retired);
        assert_eq!(DROPS.load(Ordering::Relaxed), 2);
        // An empty one, and the cell itself, let go of nothing more.
        drop(Retired::<Counted>::new());
        drop(r);
        assert_eq!(DROPS.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn the_cell_lets_its_value_go_with_it() {
        static DROPS: AtomicU32 = AtomicU32::new(0);
        let Some(r) = cell_with(&DROPS, 3) else {
            return;
        };
        drop(r);
        assert_eq!(DROPS.load(Ordering::Relaxed), 1);
    }
}
