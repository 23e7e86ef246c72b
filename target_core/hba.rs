// SPDX-License-Identifier: GPL-2.0

//! HBAs: `core/<backstore>_<N>/`, one per backstore instance, holding its
//! devices. The backstore's module is loaded on demand and pinned while the
//! HBA exists.

use core::sync::atomic::{AtomicU32, Ordering};

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, Mutex};

use crate::backstores::Backend;
use crate::configfs::{configfs_node_type, Children, NewNode, Page};
use crate::device::{Device, HbaInfo};
use crate::lu_groups::LuGroups;
use crate::root::TARGET_CORE_VERSION;
use crate::text;

/// HBA indexes, in order of creation, as LIO numbers them. LIO's index 0 is
/// its internal HBA for the virtual LUN 0 device; ours is kept for the same.
static NEXT_HBA_INDEX: AtomicU32 = AtomicU32::new(1);

/// One HBA.
pub(crate) struct Hba {
    backend: Backend,
    index: u32,
    /// The directory name, which LU group members show.
    name: CString,
    /// The core's LU groups, which enabled devices join.
    lu_groups: Arc<LuGroups>,
    /// The core's `dbroot`, where devices keep APTPL metadata.
    dbroot: Arc<Mutex<CString>>,
}

configfs_node_type! {
    Hba {
        children: true,
        attrs: [
            hba_info: ro(Hba::show_info),
            hba_mode: rw(Hba::show_mode, Hba::store_mode),
        ],
    }
}

impl Hba {
    /// The HBA for directory `name` (`rd_mcp_0`, `fileio_3`, ...).
    pub(crate) fn new(
        name: &CStr,
        lu_groups: Arc<LuGroups>,
        dbroot: Arc<Mutex<CString>>,
    ) -> Result<NewNode<Hba>> {
        let bytes = name.to_bytes();
        let Some(sep) = bytes.iter().rposition(|&c| c == b'_') else {
            pr_err!("HBA {:?}: the name must be <backstore>_<number>\n", name);
            return Err(EINVAL);
        };
        let (backstore, number) = (&bytes[..sep], &bytes[sep + 1..]);
        if backstore.is_empty() || text::parse_u64_max(number, u64::from(u32::MAX)).is_err() {
            pr_err!("HBA {:?}: the name must be <backstore>_<number>\n", name);
            return Err(EINVAL);
        }
        // `name` is a C string: the part of it has no NUL byte.
        let backstore = crate::sys::cstring(backstore)?;
        let backend = Backend::get(&backstore).map_err(|e| {
            if e == ENOENT {
                pr_err!("HBA {:?}: no backstore {:?}\n", name, &*backstore);
                EINVAL
            } else {
                e
            }
        })?;
        let hba_name = CString::try_from(name)?;
        let index = NEXT_HBA_INDEX.fetch_add(1, Ordering::Relaxed);
        NewNode::new(
            name,
            Hba {
                backend,
                index,
                name: hba_name,
                lu_groups,
                dbroot,
            },
        )
    }

    fn show_info(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!(
            "HBA Index: {} plugin: {} version: {}\n",
            self.index,
            self.backend.name(),
            TARGET_CORE_VERSION
        ))
    }

    fn show_mode(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("0\n"))
    }

    /// Pass-through mode exists for pscsi only, which is not here yet.
    fn store_mode(&self, _input: &[u8]) -> Result {
        pr_err!(
            "hba_mode: backstore {} has no pass-through mode\n",
            self.backend.name()
        );
        Err(EINVAL)
    }
}

impl Children for Hba {
    type Child = Device;

    fn make_child(&self, name: &CStr) -> Result<NewNode<Device>> {
        let hba = HbaInfo {
            name: &self.name,
            index: self.index,
            lu_groups: &self.lu_groups,
            dbroot: &self.dbroot,
        };
        Device::new(self.backend.try_clone()?, name, hba)
    }
}
