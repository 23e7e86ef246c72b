// SPDX-License-Identifier: GPL-2.0

//! Registries of the operation tables that backstore and fabric modules
//! register with the core, and handles that pin a table's module while the
//! core uses it.

use core::ptr::NonNull;

use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;

use crate::bindings;

/// An operation table a module registers (sdk/*_abi.rs).
pub(crate) trait Table: Sync + 'static {
    /// What kind of module registers it, for messages.
    const KIND: &'static str;
    /// The ABI version the core implements.
    const ABI: (u16, u16);
    /// The table's ABI version.
    fn abi(&self) -> (u16, u16);
    /// The registered name, a static NUL-terminated string.
    fn name_ptr(&self) -> *const c_char;
    /// The module (`struct module *`) that registered the table.
    fn owner(&self) -> *mut c_void;
}

/// Declares the registry of one kind of table (an sdk/*_abi.rs table with
/// `abi_major`, `abi_minor`, `name` and `owner` fields): its [`Table`]
/// implementation, the locked list `REGISTRY`, `init()` (called once from
/// the module's init), and the exported functions a module registers and
/// unregisters its table with.
macro_rules! registry {
    ($ops:ty, $kind:literal, $abi:expr, $register:ident, $unregister:ident) => {
        impl $crate::registry::Table for $ops {
            const KIND: &'static str = $kind;
            const ABI: (u16, u16) = $abi;

            fn abi(&self) -> (u16, u16) {
                (self.abi_major, self.abi_minor)
            }

            fn name_ptr(&self) -> *const ::kernel::ffi::c_char {
                self.name
            }

            fn owner(&self) -> *mut ::kernel::ffi::c_void {
                self.owner
            }
        }

        ::kernel::sync::global_lock! {
            // SAFETY: Initialised in `init()`, from the module's init, before
            // any use.
            unsafe(uninit) static REGISTRY: Mutex<$crate::registry::List<$ops>> = KVec::new();
        }

        /// Initialises the registry. Called once, from the module's init.
        pub(crate) fn init() {
            // SAFETY: Called once, before anything can use the registry.
            unsafe { REGISTRY.init() };
        }

        /// Registers a table; see its sdk/*_abi.rs.
        ///
        /// # Safety
        ///
        /// `ops` must point to a table that stays valid until unregistered.
        #[no_mangle]
        pub(crate) unsafe extern "C" fn $register(ops: *const $ops) -> ::kernel::ffi::c_int {
            // SAFETY: By the safety requirement.
            unsafe { $crate::registry::register(&mut REGISTRY.lock(), ops) }
        }

        /// Unregisters a table registered with the function above.
        ///
        /// # Safety
        ///
        /// `ops` must be a registered table.
        #[no_mangle]
        pub(crate) unsafe extern "C" fn $unregister(ops: *const $ops) {
            $crate::registry::unregister(&mut REGISTRY.lock(), ops);
        }
    };
}
pub(crate) use registry;

/// A registered table.
///
/// # Invariants
///
/// The table stays valid while registered; it is unregistered only from its
/// module's exit, which cannot run while a [`Pinned`] pins the module.
pub(crate) struct TableRef<T>(NonNull<T>);

impl<T> Clone for TableRef<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for TableRef<T> {}

// SAFETY: The table is immutable and `Sync`.
unsafe impl<T: Sync> Send for TableRef<T> {}

impl<T: Table> TableRef<T> {
    fn get(&self) -> &T {
        // SAFETY: Valid while registered (type invariant); callers hold the
        // registry lock or a module reference.
        unsafe { self.0.as_ref() }
    }

    fn name(&self) -> &CStr {
        // SAFETY: The name is a static NUL-terminated string of the table.
        unsafe { CStr::from_char_ptr(self.get().name_ptr()) }
    }
}

/// The tables of one kind; kept under a lock by its owner.
pub(crate) type List<T> = KVec<TableRef<T>>;

/// Adds `ops` to `list`: the body of a `tcm_rs_register_*` export.
///
/// # Safety
///
/// `ops` must be NULL or point to a table that stays valid until
/// unregistered.
pub(crate) unsafe fn register<T: Table>(list: &mut List<T>, ops: *const T) -> c_int {
    let Some(ops) = NonNull::new(ops.cast_mut()) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: By the safety requirement.
    let ops = TableRef(ops);
    // Same major; a module built for a newer minor needs what this core
    // lacks.
    let (major, minor) = ops.get().abi();
    if major != T::ABI.0 || minor > T::ABI.1 {
        pr_err!(
            "{} {:?}: ABI {}.{} does not fit the core's {}.{}\n",
            T::KIND,
            ops.name(),
            major,
            minor,
            T::ABI.0,
            T::ABI.1
        );
        return EINVAL.to_errno();
    }
    if list.iter().any(|o| o.name() == ops.name()) {
        pr_err!("{} {:?} is already registered\n", T::KIND, ops.name());
        return EEXIST.to_errno();
    }
    if let Err(e) = list.push(ops, GFP_KERNEL) {
        return Error::from(e).to_errno();
    }
    pr_info!("{} {:?} registered\n", T::KIND, ops.name());
    0
}

/// Removes `ops` from `list`: the body of a `tcm_rs_unregister_*` export.
pub(crate) fn unregister<T>(list: &mut List<T>, ops: *const T) {
    list.retain(|o| !core::ptr::eq(o.0.as_ptr().cast_const(), ops));
}

/// A registered table in use, with its module pinned.
///
/// # Invariants
///
/// Holds one reference to the table's module, so the table stays
/// registered and valid.
pub(crate) struct Pinned<T: Table> {
    ops: TableRef<T>,
}

// SAFETY: The table is immutable and `Sync`; the module reference is just a
// count.
unsafe impl<T: Table> Send for Pinned<T> {}
// SAFETY: As above.
unsafe impl<T: Table> Sync for Pinned<T> {}

impl<T: Table> Pinned<T> {
    /// The table called `name` in `list` (which the caller holds locked),
    /// with its module pinned; `None` if there is none or its module is on
    /// its way out.
    pub(crate) fn find(list: &List<T>, name: &CStr) -> Option<Self> {
        let ops = *list.iter().find(|o| o.name() == name)?;
        // SAFETY: The owner is a live module while its table is registered,
        // which the caller's lock on the list guarantees here.
        if !unsafe { bindings::tcm_rs_try_module_get(ops.get().owner().cast()) } {
            return None;
        }
        // INVARIANT: The module reference was taken above.
        Some(Self { ops })
    }

    /// Another reference to the same table.
    pub(crate) fn try_clone(&self) -> Result<Self> {
        // SAFETY: We hold a reference to the module, so it is live.
        if !unsafe { bindings::tcm_rs_try_module_get(self.ops.get().owner().cast()) } {
            return Err(ENODEV);
        }
        // INVARIANT: The module reference was taken above.
        Ok(Self { ops: self.ops })
    }

    /// The table.
    pub(crate) fn ops(&self) -> &T {
        self.ops.get()
    }

    /// The registered name.
    pub(crate) fn name(&self) -> &CStr {
        self.ops.name()
    }
}

impl<T: Table> Drop for Pinned<T> {
    fn drop(&mut self) {
        // SAFETY: Gives back the reference taken in `find` or `try_clone`.
        unsafe { kernel::bindings::module_put(self.ops.get().owner().cast()) };
    }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_registry)]
mod tests {
    use super::*;

    /// A table of this module, as a backstore or fabric would register.
    struct TestOps {
        abi: (u16, u16),
        name: &'static CStr,
    }

    impl Table for TestOps {
        const KIND: &'static str = "test";
        const ABI: (u16, u16) = (3, 2);

        fn abi(&self) -> (u16, u16) {
            self.abi
        }

        fn name_ptr(&self) -> *const c_char {
            self.name.as_char_ptr()
        }

        fn owner(&self) -> *mut c_void {
            kernel::module::this_module::<crate::LocalModule>()
                .as_ptr()
                .cast()
        }
    }

    const A: TestOps = TestOps {
        abi: (3, 2),
        name: c"a",
    };
    const A_AGAIN: TestOps = TestOps {
        abi: (3, 1),
        name: c"a",
    };
    const OTHER_MAJOR: TestOps = TestOps {
        abi: (2, 0),
        name: c"b",
    };
    const NEWER_MINOR: TestOps = TestOps {
        abi: (3, 3),
        name: c"c",
    };

    #[test]
    fn versions_and_names_are_checked() {
        let mut list = List::<TestOps>::new();
        // SAFETY: Every table is static and outlives `list`.
        unsafe {
            assert_eq!(register(&mut list, &A), 0);
            assert_eq!(register(&mut list, &A_AGAIN), EEXIST.to_errno());
            assert_eq!(register(&mut list, &OTHER_MAJOR), EINVAL.to_errno());
            assert_eq!(register(&mut list, &NEWER_MINOR), EINVAL.to_errno());
            assert_eq!(register(&mut list, core::ptr::null()), EINVAL.to_errno());
        }
        assert_eq!(list.len(), 1);
        unregister(&mut list, &A);
        assert_eq!(list.len(), 0);
    }

    #[test]
    fn found_tables_pin_their_module() {
        let mut list = List::<TestOps>::new();
        // SAFETY: The table is static and outlives `list`.
        assert_eq!(unsafe { register(&mut list, &A) }, 0);
        assert!(Pinned::find(&list, c"nosuch").is_none());
        let found = Pinned::find(&list, c"a");
        assert!(found.is_some());
        if let Some(found) = found {
            assert_eq!(found.name(), c"a");
            assert!(found.try_clone().is_ok());
        }
    }
}
