// SPDX-License-Identifier: GPL-2.0

//! The root of the tree, /sys/kernel/config/target, and `core/`.
//!
//! ```text
//! target/  version dbroot
//!   core/<backstore>_<N>/ HBAs and their devices (hba.rs, device.rs)
//!     alua/lu_gps/        ALUA logical unit groups (lu_groups.rs)
//!   <fabric>/             fabrics, their WWNs and TPGs (fabric.rs, tpg.rs)
//! ```

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::configfs::{configfs_node_type, Children, NewNode, Page};
use crate::fabric::FabricRoot;
use crate::hba::Hba;
use crate::lu_groups::{AluaDir, LuGroups};
use crate::text;

/// The version LIO reports; tools compare against it.
pub(crate) const TARGET_CORE_VERSION: &str = "v5.0";
/// Where persistent state (APTPL reservations, ALUA metadata) goes, if the
/// preferred directory does not exist.
const DBROOT_DEFAULT: &CStr = c"/var/target";
/// The preferred place, used when it exists when the core loads.
const DBROOT_PREFERRED: &CStr = c"/etc/target";
/// The longest dbroot path, NUL excluded (LIO's DB_ROOT_LEN - 1).
const DBROOT_MAX: usize = 4095;

/// `target/`: the subsystem root.
pub(crate) struct TargetRoot {
    dbroot: Arc<Mutex<CString>>,
}

configfs_node_type! {
    TargetRoot {
        root: true,
        children: true,
        attrs: [
            version: ro(TargetRoot::show_version),
            dbroot: rw(TargetRoot::show_dbroot, TargetRoot::store_dbroot),
        ],
    }
}

impl TargetRoot {
    /// The root and its default groups, ready to register.
    pub(crate) fn new() -> Result<(Self, NewNode<CoreDir>)> {
        let initial = if crate::sys::path_is_dir(DBROOT_PREFERRED).is_ok() {
            DBROOT_PREFERRED
        } else {
            DBROOT_DEFAULT
        };
        let dbroot = Arc::pin_init(new_mutex!(CString::try_from(initial)?), GFP_KERNEL)?;
        let core = CoreDir::new(dbroot.clone())?;
        Ok((Self { dbroot }, core))
    }

    fn show_version(&self, page: &mut Page<'_>) -> Result {
        let uts = crate::sys::uts();
        page.emit(fmt!(
            "Target Engine Core ConfigFS Infrastructure {} on {}/{} on {}\n",
            TARGET_CORE_VERSION,
            uts.sysname,
            uts.machine,
            uts.release
        ))
    }

    fn show_dbroot(&self, page: &mut Page<'_>) -> Result {
        let dbroot = self.dbroot.lock();
        page.emit(fmt!("{}\n", dbroot.to_str().map_err(|_| EINVAL)?))
    }

    /// A new dbroot must be an existing directory, and cannot change while
    /// an enabled device may keep state there (EINVAL, as LIO's
    /// `target_devices` check).
    fn store_dbroot(&self, input: &[u8]) -> Result {
        if crate::device::configured_devices() != 0 {
            pr_err!("dbroot: cannot be changed because it's in use\n");
            return Err(EINVAL);
        }
        let path = text::strip_newline(input);
        if path.is_empty() {
            pr_err!("dbroot: empty path\n");
            return Err(EINVAL);
        }
        if path.len() > DBROOT_MAX {
            pr_err!(
                "dbroot: path of {} bytes exceeds {}\n",
                path.len(),
                DBROOT_MAX
            );
            return Err(EINVAL);
        }
        let new = crate::sys::cstring(path).inspect_err(|&e| {
            if e == EINVAL {
                pr_err!("dbroot: path contains a NUL byte\n");
            }
        })?;
        // The lookup's own error (ENOENT, ENOTDIR, ...) goes back, as LIO's.
        if let Err(e) = crate::sys::path_is_dir(&new) {
            pr_err!(
                "dbroot: cannot use {:?}: not an existing directory\n",
                &*new
            );
            return Err(e);
        }
        *self.dbroot.lock() = new;
        Ok(())
    }
}

impl Children for TargetRoot {
    type Child = FabricRoot;

    /// `mkdir target/<fabric>`.
    fn make_child(&self, name: &CStr) -> Result<NewNode<FabricRoot>> {
        FabricRoot::new(name)
    }
}

/// `core/`: backstore HBAs and the ALUA groups.
pub(crate) struct CoreDir {
    lu_groups: Arc<LuGroups>,
    dbroot: Arc<Mutex<CString>>,
}

configfs_node_type! {
    CoreDir {
        children: true,
        attrs: [],
    }
}

impl Children for CoreDir {
    type Child = Hba;

    fn make_child(&self, name: &CStr) -> Result<NewNode<Hba>> {
        Hba::new(name, self.lu_groups.clone(), self.dbroot.clone())
    }
}

impl CoreDir {
    fn new(dbroot: Arc<Mutex<CString>>) -> Result<NewNode<CoreDir>> {
        let lu_groups = LuGroups::new()?;
        let alua = AluaDir::new(lu_groups.clone())?;
        NewNode::new(c"core", CoreDir { lu_groups, dbroot })?.with_default(alua)
    }
}
