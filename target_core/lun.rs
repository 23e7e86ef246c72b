// SPDX-License-Identifier: GPL-2.0

//! A TPG's LUNs: `tpgt_<N>/lun/lun_<N>/`, each exporting one device through
//! a symlink to the device's directory.
//!
//! ```text
//! ln -s target/core/rd_mcp_0/disk0 target/loopback/naa.x/tpgt_1/lun/lun_0/disk0
//! ```
//!
//! While the link exists the device counts the export and configfs refuses
//! `rmdir` of the device with -EBUSY.

use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::configfs::{configfs_node_type, Children, Item, Links, NewNode};
use crate::device::{Device, DeviceExport};
use crate::text;
use crate::tpg::{EmptyGroup, TpgState};

/// `tpgt_<N>/lun/`.
pub(crate) struct LunDir {
    tpg: Arc<TpgState>,
}

configfs_node_type! {
    LunDir {
        children: true,
        attrs: [],
    }
}

impl LunDir {
    pub(crate) fn new(tpg: Arc<TpgState>) -> Result<NewNode<LunDir>> {
        NewNode::new(c"lun", LunDir { tpg })
    }
}

/// The number in `lun_<N>`, as LIO parses it (`kstrtoull`, any base).
pub(crate) fn parse_lun_name(what: &str, name: &CStr) -> Result<u64> {
    let Some(number) = name.to_bytes().strip_prefix(b"lun_") else {
        pr_err!("{}: {:?} is not lun_<N>\n", what, name);
        return Err(EINVAL);
    };
    text::parse_u64(number).map_err(|e| {
        pr_err!(
            "{}: {:?} is not lun_<N> with N a 64-bit number\n",
            what,
            name
        );
        if e == text::ParseError::OutOfRange {
            ERANGE
        } else {
            EINVAL
        }
    })
}

impl Children for LunDir {
    type Child = Lun;

    fn make_child(&self, name: &CStr) -> Result<NewNode<Lun>> {
        parse_lun_name("lun", name)?;
        let state = Arc::pin_init(
            try_pin_init!(LunState {
                tpg: self.tpg.clone(),
                export <- new_mutex!(None),
            }),
            GFP_KERNEL,
        )?;
        NewNode::new(name, Lun { state })?.with_default(NewNode::new(c"statistics", EmptyGroup)?)
    }
}

/// A LUN, shared by its directory and the ACLs that map it.
#[pin_data]
pub(crate) struct LunState {
    tpg: Arc<TpgState>,
    /// The device the LUN exports, once linked.
    #[pin]
    export: Mutex<Option<DeviceExport>>,
}

impl LunState {
    /// Whether the LUN belongs to `tpg`.
    pub(crate) fn is_in(&self, tpg: &Arc<TpgState>) -> bool {
        Arc::ptr_eq(&self.tpg, tpg)
    }

    /// Whether a device is linked.
    pub(crate) fn is_linked(&self) -> bool {
        self.export.lock().is_some()
    }
}

/// `lun/lun_<N>/`.
pub(crate) struct Lun {
    state: Arc<LunState>,
}

configfs_node_type! {
    Lun {
        children: false,
        links: true,
        attrs: [],
    }
}

impl Lun {
    pub(crate) fn state(&self) -> &Arc<LunState> {
        &self.state
    }
}

impl Links for Lun {
    fn allow_link(&self, target: &Item) -> Result {
        let Some(dev) = target.downcast::<Device>() else {
            pr_err!("lun: {:?} is not a backstore device\n", target.name());
            return Err(EFAULT);
        };
        let mut export = self.state.export.lock();
        if export.is_some() {
            pr_err!("lun: already linked to a device\n");
            return Err(EEXIST);
        }
        *export = Some(dev.export().inspect_err(|_| {
            pr_err!("lun: device {:?} is not enabled\n", target.name());
        })?);
        Ok(())
    }

    fn drop_link(&self, _target: &Item) {
        // Dropping the export gives the device's count back.
        drop(self.state.export.lock().take());
    }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_lun)]
mod tests {
    use super::*;

    #[test]
    fn lun_names_parse_as_lio() {
        assert!(matches!(parse_lun_name("t", c"lun_0"), Ok(0)));
        assert!(matches!(parse_lun_name("t", c"lun_0x10"), Ok(16)));
        assert!(matches!(parse_lun_name("t", c"lun_010"), Ok(8)));
        assert!(matches!(parse_lun_name("t", c"lun_"), Err(e) if e == EINVAL));
        assert!(matches!(parse_lun_name("t", c"lun_x"), Err(e) if e == EINVAL));
        assert!(matches!(parse_lun_name("t", c"l_1"), Err(e) if e == EINVAL));
        assert!(matches!(
            parse_lun_name("t", c"lun_18446744073709551616"),
            Err(e) if e == ERANGE
        ));
    }
}
