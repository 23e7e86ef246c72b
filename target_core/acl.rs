// SPDX-License-Identifier: GPL-2.0

//! Node ACLs: `tpgt_<N>/acls/<initiator>/`, with mapped LUNs
//! `acls/<initiator>/lun_<M>/`, each a symlink to a LUN of the same TPG.
//!
//! ```text
//! ln -s ../../../lun/lun_0 target/iscsi/<iqn>/tpgt_1/acls/<initiator>/lun_0/map
//! ```
//!
//! While a mapped LUN links to it, configfs refuses `rmdir` of the LUN
//! with -EBUSY.

use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::configfs::{configfs_node_type, Children, Cookie, Item, Links, NewNode, NodeType, Page};
use crate::lun::{parse_lun_name, Lun, LunState};
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

    fn make_child(&self, name: &CStr) -> Result<NewNode<Acl>> {
        if name.to_bytes().len() > INITIATOR_NAME_MAX {
            pr_err!(
                "acls: an initiator name has at most {} bytes\n",
                INITIATOR_NAME_MAX
            );
            return Err(EINVAL);
        }
        let tpg = &self.tpg;
        NewNode::new(name, Acl { tpg: tpg.clone() })?
            .with_default(NewNode::new(c"attrib", AclAttrib { tpg: tpg.clone() })?)?
            .with_default(NewNode::new(c"auth", AclAuth { tpg: tpg.clone() })?)?
            .with_default(NewNode::new(c"param", AclParam { tpg: tpg.clone() })?)?
            .with_default(NewNode::new(c"fabric_statistics", EmptyGroup)?)
    }
}

/// Declares a directory of an ACL whose attributes are the fabric's.
macro_rules! acl_node {
    ($name:ident, $field:ident, $children:tt, $doc:literal) => {
        #[doc = $doc]
        pub(crate) struct $name {
            tpg: Arc<TpgState>,
        }

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
            // ACLs are the core's: the fabric has no state of its own here.
            fn cookie(&self) -> *mut c_void {
                core::ptr::null_mut()
            }
        }
    };
}

acl_node!(
    Acl,
    acl,
    true,
    "`acls/<initiator>/`: one initiator's access."
);
acl_node!(AclAttrib, acl_attrib, false, "`acls/<initiator>/attrib/`.");
acl_node!(AclAuth, acl_auth, false, "`acls/<initiator>/auth/`.");
acl_node!(AclParam, acl_param, false, "`acls/<initiator>/param/`.");

impl Children for Acl {
    type Child = MappedLun;

    fn make_child(&self, name: &CStr) -> Result<NewNode<MappedLun>> {
        parse_lun_name("mapped lun", name)?;
        let mapped = MappedLun {
            tpg: self.tpg.clone(),
            target: Arc::pin_init(new_mutex!(None), GFP_KERNEL)?,
        };
        NewNode::new(name, mapped)?.with_default(NewNode::new(c"statistics", EmptyGroup)?)
    }
}

/// What a mapped LUN links to.
struct MappedTarget {
    /// The LUN, held for the engine's lookups by mapped LUN number.
    _lun: Arc<LunState>,
    write_protect: bool,
}

/// `acls/<initiator>/lun_<M>/`: the initiator sees a LUN of the TPG as its
/// LUN M.
pub(crate) struct MappedLun {
    tpg: Arc<TpgState>,
    target: Arc<Mutex<Option<MappedTarget>>>,
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
        match &*self.target.lock() {
            Some(t) => page.emit(fmt!("{}\n", u8::from(t.write_protect))),
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
        match &mut *self.target.lock() {
            Some(t) => {
                t.write_protect = write_protect;
                Ok(())
            }
            None => {
                pr_err!("write_protect: link the mapped LUN to a LUN first\n");
                Err(ENODEV)
            }
        }
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
        let mut slot = self.target.lock();
        if slot.is_some() {
            pr_err!("mapped lun: already linked to a LUN\n");
            return Err(EEXIST);
        }
        *slot = Some(MappedTarget {
            _lun: lun.clone(),
            write_protect: false,
        });
        Ok(())
    }

    fn drop_link(&self, _target: &Item) {
        drop(self.target.lock().take());
    }
}
