// SPDX-License-Identifier: GPL-2.0

//! ALUA logical unit groups: `core/alua/lu_gps/`.
//!
//! `default_lu_gp` (ID 0) always exists; `mkdir` makes more, each without
//! an ID until one is written to its `lu_gp_id`. IDs are unique. `members`
//! lists the devices in a group as `<hba>/<device>`, one per line: devices
//! join groups once backstores exist.

use core::sync::atomic::{AtomicU64, Ordering};

use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::configfs::{configfs_node_type, Children, NewNode, Page};
use crate::text;

/// The largest LU group ID (SPC-4 gives it 16 bits).
const LU_GP_ID_MAX: u64 = 0xffff;

/// The LU groups of the core and their IDs.
#[pin_data]
pub(crate) struct LuGroups {
    /// (group, ID) for every group that has an ID.
    #[pin]
    ids: Mutex<KVec<(u64, u16)>>,
    /// Source of the numbers that tell groups apart.
    next_group: AtomicU64,
}

impl LuGroups {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Self {
                ids <- new_mutex!(KVec::new()),
                next_group: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
    }

    fn id_of(&self, group: u64) -> Option<u16> {
        self.ids
            .lock()
            .iter()
            .find(|(g, _)| *g == group)
            .map(|(_, id)| *id)
    }
}

/// `core/alua/`.
pub(crate) struct AluaDir;

configfs_node_type! {
    AluaDir {
        children: false,
        attrs: [],
    }
}

impl AluaDir {
    pub(crate) fn new(groups: Arc<LuGroups>) -> Result<NewNode<AluaDir>> {
        let default_group = LuGroup::new(groups.clone(), Some(0))?;
        let lu_gps = NewNode::new(c"lu_gps", LuGps { groups })?
            .with_default(NewNode::new(c"default_lu_gp", default_group)?)?;
        NewNode::new(c"alua", AluaDir)?.with_default(lu_gps)
    }
}

/// `core/alua/lu_gps/`: `mkdir` makes an LU group.
pub(crate) struct LuGps {
    groups: Arc<LuGroups>,
}

configfs_node_type! {
    LuGps {
        children: true,
        attrs: [],
    }
}

impl Children for LuGps {
    type Child = LuGroup;

    fn make_child(&self, name: &CStr) -> Result<NewNode<LuGroup>> {
        NewNode::new(name, LuGroup::new(self.groups.clone(), None)?)
    }
}

/// One LU group.
pub(crate) struct LuGroup {
    groups: Arc<LuGroups>,
    /// This group's number in `groups`.
    group: u64,
}

configfs_node_type! {
    LuGroup {
        children: false,
        attrs: [
            lu_gp_id: rw(LuGroup::show_id, LuGroup::store_id),
            members: ro(LuGroup::show_members),
        ],
    }
}

impl LuGroup {
    fn new(groups: Arc<LuGroups>, id: Option<u16>) -> Result<Self> {
        let group = groups.next_group.fetch_add(1, Ordering::Relaxed);
        if let Some(id) = id {
            groups.ids.lock().push((group, id), GFP_KERNEL)?;
        }
        Ok(Self { groups, group })
    }

    fn show_id(&self, page: &mut Page<'_>) -> Result {
        match self.groups.id_of(self.group) {
            Some(id) => page.emit(fmt!("{}\n", id)),
            None => Ok(()),
        }
    }

    /// Sets the group's ID: once, to a value no other group has.
    fn store_id(&self, input: &[u8]) -> Result {
        let id = match text::parse_u64_max(input, LU_GP_ID_MAX) {
            // In range: at most 0xffff.
            Ok(id) => id as u16,
            Err(text::ParseError::OutOfRange) => {
                pr_err!("ALUA lu_gp_id: exceeds maximum 0x0000ffff\n");
                return Err(EINVAL);
            }
            Err(_) => {
                pr_err!("ALUA lu_gp_id: not a number\n");
                return Err(EINVAL);
            }
        };
        let mut ids = self.groups.ids.lock();
        if ids.iter().any(|(g, _)| *g == self.group) {
            pr_err!("ALUA LU group already has an ID; it cannot change\n");
            return Err(EINVAL);
        }
        if ids.iter().any(|(_, i)| *i == id) {
            pr_err!("ALUA LU group ID {} already exists\n", id);
            return Err(EINVAL);
        }
        ids.push((self.group, id), GFP_KERNEL)?;
        Ok(())
    }

    fn show_members(&self, _page: &mut Page<'_>) -> Result {
        // No device is a member of any group until backstores exist.
        Ok(())
    }
}

impl Drop for LuGroup {
    fn drop(&mut self) {
        let group = self.group;
        self.groups.ids.lock().retain(|(g, _)| *g != group);
    }
}
