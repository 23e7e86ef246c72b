// SPDX-License-Identifier: GPL-2.0

//! The core's allocations never reclaim through I/O.
//!
//! The core sits in a block device's I/O path: the loopback fabric runs
//! commands inside the initiator's bio submission, and a local initiator's
//! writeback is commands to the core. An allocation that reclaimed by
//! writing pages out could wait for those very commands. So the locks the
//! command path takes (a device's configuration, its reservations, its
//! ALUA state, ...) must never be held across such an allocation, from
//! the command path or from configfs. Rather than choose the flags at each
//! of the core's allocations, every entry into the core (configfs
//! callbacks, the ABI's functions, the core's workers in core_helpers.c)
//! runs in a `memalloc_noio` scope, as the loop driver's workers do and as
//! blk-mq does while a queue is frozen. Allocations still reclaim clean
//! memory; they only never wait for I/O.

use crate::bindings;

/// Runs `f` with the task's allocations made as `GFP_NOIO`. Scopes nest;
/// a closure keeps them in order, which `memalloc_noio_restore` needs.
pub(crate) fn scope<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: Only sets PF_MEMALLOC_NOIO on the current task and returns
    // its previous state, which is restored below.
    let saved = unsafe { bindings::tcm_rs_noio_save() };
    let r = f();
    // SAFETY: `saved` is what the save above returned, restored in LIFO
    // order: scopes opened inside `f` have closed.
    unsafe { bindings::tcm_rs_noio_restore(saved) };
    r
}

#[kernel::prelude::kunit_tests(tcm_rs_core_noio)]
mod tests {
    use super::*;

    fn active() -> bool {
        // SAFETY: Only reads the current task's flags.
        unsafe { bindings::tcm_rs_noio_active() }
    }

    #[test]
    fn scopes_nest_and_restore() {
        assert!(!active());
        let inner = scope(|| {
            assert!(active());
            let nested = scope(active);
            // The inner scope's end keeps the outer one's.
            (nested, active())
        });
        assert_eq!(inner, (true, true));
        assert!(!active());
    }
}
