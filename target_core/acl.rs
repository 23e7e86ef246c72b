// SPDX-License-Identifier: GPL-2.0

//! Node ACLs: `tpgt_<N>/acls/<initiator>/`, with mapped LUNs
//! `acls/<initiator>/lun_<M>/`, each a symlink to a LUN of the same TPG.
//!
//! ```text
//! ln -s ../../../lun/lun_0 target/iscsi/<iqn>/tpgt_1/acls/<initiator>/lun_0/map
//! ```
//!
//! While a mapped LUN links to it, configfs refuses `rmdir` of the LUN
//! with -EBUSY. What an ACL grants is put in force by access.rs.

use core::sync::atomic::{AtomicBool, Ordering};

use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::access::{AclMapping, AclShared};
use crate::configfs::{configfs_node_type, Children, Cookie, Item, Links, NewNode, NodeType, Page};
use crate::fabric_object::FabricObject;
use crate::lun::{parse_lun_name, Lun};
use crate::lun_stats::{self, MappingStats};
use crate::text;
use crate::tpg::{EmptyGroup, TpgState};

/// The longest initiator name, NUL excluded (LIO's TRANSPORT_IQN_LEN - 1).
const INITIATOR_NAME_MAX: usize = 223;

/// `tpgt_<N>/acls/`.
pub(crate) struct AclDir {
    tpg: Arc<TpgState>,
}

configfs_node_type! {
    AclDir {
        children: true,
        attrs: [],
    }
}

impl AclDir {
    pub(crate) fn new(tpg: Arc<TpgState>) -> Result<NewNode<AclDir>> {
        NewNode::new(c"acls", AclDir { tpg })
    }
}

impl Children for AclDir {
    type Child = Acl;

    /// Makes the ACL and puts it in force: sessions of its initiator see
    /// its mapped LUNs (none yet) from now on.
    fn make_child(&self, name: &CStr) -> Result<NewNode<Acl>> {
        if name.to_bytes().len() > INITIATOR_NAME_MAX {
            pr_err!(
                "acls: an initiator name has at most {} bytes\n",
                INITIATOR_NAME_MAX
            );
            return Err(EINVAL);
        }
        let tpg = &self.tpg;
        let shared = AclShared::new(name)?;
        let fabric = Arc::new(AclFabricState::new(tpg, name)?, GFP_KERNEL)?;
        let node = NewNode::new(
            name,
            Acl {
                tpg: tpg.clone(),
                shared: shared.clone(),
                fabric: fabric.clone(),
            },
        )?
        .with_default(NewNode::new(
            c"attrib",
            AclAttrib {
                tpg: tpg.clone(),
                fabric: fabric.clone(),
            },
        )?)?
        .with_default(NewNode::new(
            c"auth",
            AclAuth {
                tpg: tpg.clone(),
                fabric: fabric.clone(),
            },
        )?)?
        .with_default(NewNode::new(
            c"param",
            AclParam {
                tpg: tpg.clone(),
                fabric,
            },
        )?)?
        .with_default(NewNode::new(c"fabric_statistics", EmptyGroup)?)?;
        // configfs keeps names unique within `acls/`.
        tpg.acls.lock().push(shared, GFP_KERNEL)?;
        tpg.refresh_views();
        Ok(node)
    }

    /// Its mapped LUNs are gone (configfs removes children first): its
    /// initiator's sessions fall back to demo mode, if the fabric has it.
    fn drop_child(&self, child: &Acl) {
        self.tpg
            .acls
            .lock()
            .retain(|a| !Arc::ptr_eq(a, &child.shared));
        self.tpg.refresh_views();
        child.fabric.release();
    }
}

/// Declares a directory of an ACL whose attributes are the fabric's.
macro_rules! acl_node {
    ($name:ident, $field:ident, $children:tt, $doc:literal) => {
        #[doc = $doc]
        pub(crate) struct $name {
            tpg: Arc<TpgState>,
            fabric: Arc<AclFabricState>,
        }

        acl_node!(@impl $name, $field, $children);
    };
    (@impl $name:ident, $field:ident, $children:tt) => {
        configfs_node_type! {
            dynamic $name {
                children: $children,
                links: false,
                attrs: [],
            }
        }

        // SAFETY: The type is built for this node type and lives in the
        // fabric's types, which `tpg` holds.
        unsafe impl NodeType for $name {
            fn item_type(&self) -> *const kernel::bindings::config_item_type {
                self.tpg.fabric().types().$field.as_ptr()
            }
        }

        impl Cookie for $name {
            // The fabric's state of the ACL, NULL if it keeps none.
            fn cookie(&self) -> *mut c_void {
                self.fabric.cookie()
            }
        }
    };
}

/// `acls/<initiator>/`: one initiator's access.
pub(crate) struct Acl {
    tpg: Arc<TpgState>,
    shared: Arc<AclShared>,
    fabric: Arc<AclFabricState>,
}

/// The fabric's state of an ACL (fabric ABI 0.6 `make_acl`), shared by the
/// ACL's directory and its default groups; `None` for a fabric that keeps
/// none.
pub(crate) struct AclFabricState(Option<FabricObject>);

impl AclFabricState {
    /// Asks the fabric of `tpg` to make its state of ACL `name`.
    fn new(tpg: &TpgState, name: &CStr) -> Result<Self> {
        let ops = tpg.fabric().ops();
        // The fields exist from ABI 0.6: a shorter table must not be read.
        if ops.abi_minor < 6 {
            return Ok(Self(None));
        }
        let (Some(make), Some(drop_acl)) = (ops.make_acl, ops.drop_acl) else {
            return Ok(Self(None));
        };
        // SAFETY: The TPG's fabric state is live while its directory is;
        // `name` is a NUL-terminated string.
        let cookie = unsafe { make(tpg.cookie(), name.as_char_ptr()) };
        // SAFETY: `make_acl` returns state that `drop_acl` frees; the nodes
        // that hold this value hold the TPG, which pins the fabric's module.
        let obj = unsafe { FabricObject::new(cookie, drop_acl) }
            .inspect_err(|e| pr_err!("acls/{:?}: refused by the fabric ({:?})\n", name, e))?;
        Ok(Self(Some(obj)))
    }

    fn cookie(&self) -> *mut c_void {
        self.0
            .as_ref()
            .map_or(core::ptr::null_mut(), FabricObject::cookie)
    }

    /// Frees the fabric's state at `rmdir`.
    fn release(&self) {
        if let Some(obj) = &self.0 {
            obj.release();
        }
    }
}

acl_node!(@impl Acl, acl, true);
acl_node!(AclAttrib, acl_attrib, false, "`acls/<initiator>/attrib/`.");
acl_node!(AclAuth, acl_auth, false, "`acls/<initiator>/auth/`.");
acl_node!(AclParam, acl_param, false, "`acls/<initiator>/param/`.");

impl Children for Acl {
    type Child = MappedLun;

    fn make_child(&self, name: &CStr) -> Result<NewNode<MappedLun>> {
        let number = parse_lun_name("mapped lun", name)?;
        let mapped = MappedLun {
            tpg: self.tpg.clone(),
            acl: self.shared.clone(),
            number,
            linked: AtomicBool::new(false),
        };
        let statistics = lun_stats::new_mapped_dir(&self.tpg, &self.shared, number)?;
        NewNode::new(name, mapped)?.with_default(statistics)
    }
}

/// `acls/<initiator>/lun_<M>/`: the initiator sees a LUN of the TPG as its
/// LUN M, once linked to it.
pub(crate) struct MappedLun {
    tpg: Arc<TpgState>,
    acl: Arc<AclShared>,
    /// M.
    number: u64,
    /// Whether this directory's link is the ACL's mapping of M (another
    /// directory may name M too, `lun_8` and `lun_010`, but only one can
    /// be linked).
    linked: AtomicBool,
}

configfs_node_type! {
    MappedLun {
        children: false,
        links: true,
        attrs: [
            write_protect: rw(MappedLun::show_write_protect, MappedLun::store_write_protect),
        ],
    }
}

impl MappedLun {
    fn show_write_protect(&self, page: &mut Page<'_>) -> Result {
        // Empty until linked, as in LIO.
        if !self.linked.load(Ordering::Acquire) {
            return Ok(());
        }
        let write_protect = self
            .acl
            .mapped
            .lock()
            .iter()
            .find(|m| m.number == self.number)
            .map(|m| m.write_protect);
        match write_protect {
            Some(wp) => page.emit(fmt!("{}\n", u8::from(wp))),
            None => Ok(()),
        }
    }

    fn store_write_protect(&self, input: &[u8]) -> Result {
        let write_protect = match text::parse_u64(input) {
            Ok(0) => false,
            Ok(1) => true,
            _ => {
                pr_err!("write_protect: 0 or 1\n");
                return Err(EINVAL);
            }
        };
        {
            let mut mapped = self.acl.mapped.lock();
            let entry = self
                .linked
                .load(Ordering::Acquire)
                .then(|| mapped.iter_mut().find(|m| m.number == self.number))
                .flatten();
            let Some(entry) = entry else {
                pr_err!("write_protect: link the mapped LUN to a LUN first\n");
                return Err(ENODEV);
            };
            if entry.write_protect == write_protect {
                return Ok(());
            }
            entry.write_protect = write_protect;
        }
        self.tpg.refresh_views();
        Ok(())
    }
}

impl Links for MappedLun {
    fn allow_link(&self, target: &Item) -> Result {
        let Some(lun) = target.downcast::<Lun>() else {
            pr_err!("mapped lun: {:?} is not a LUN\n", target.name());
            return Err(EFAULT);
        };
        let lun = lun.state();
        if !lun.is_in(&self.tpg) {
            pr_err!("mapped lun: the LUN is not in this ACL's TPG\n");
            return Err(EINVAL);
        }
        if !lun.is_linked() {
            pr_err!("mapped lun: the LUN exports no device\n");
            return Err(EINVAL);
        }
        // Asked of the fabric before any lock is taken.
        let write_protect = self.tpg.access_policy().prod_write_protect;
        let stats = MappingStats::new()?;
        {
            let mut mapped = self.acl.mapped.lock();
            if self.linked.load(Ordering::Acquire) {
                pr_err!("mapped lun: already linked to a LUN\n");
                return Err(EEXIST);
            }
            if mapped.iter().any(|m| m.number == self.number) {
                pr_err!(
                    "mapped lun: {:?} already maps LUN {}\n",
                    self.acl.initiator(),
                    self.number
                );
                return Err(EINVAL);
            }
            mapped.push(
                AclMapping {
                    number: self.number,
                    lun: lun.clone(),
                    write_protect,
                    stats,
                },
                GFP_KERNEL,
            )?;
            self.linked.store(true, Ordering::Release);
        }
        self.tpg.refresh_views();
        Ok(())
    }

    fn drop_link(&self, _target: &Item) {
        {
            let mut mapped = self.acl.mapped.lock();
            if !self.linked.swap(false, Ordering::AcqRel) {
                return;
            }
            mapped.retain(|m| m.number != self.number);
        }
        self.tpg.refresh_views();
    }
}
