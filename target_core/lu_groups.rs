// SPDX-License-Identifier: GPL-2.0

//! ALUA logical unit groups: `core/alua/lu_gps/`.
//!
//! `default_lu_gp` (ID 0) always exists; `mkdir` makes more, each without
//! an ID until one is written to its `lu_gp_id`. IDs are unique. A device
//! joins `default_lu_gp` when it is enabled; writing a group's name to the
//! device's `alua_lu_gp` moves it. `members` lists the devices in a group
//! as `<hba>/<device>`, one per line.

use core::sync::atomic::{AtomicU64, Ordering};

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::configfs::{configfs_node_type, Children, NewNode, Page};
use crate::device::DeviceState;
use crate::text;

/// The largest LU group ID (SPC-4 gives it 16 bits).
const LU_GP_ID_MAX: u64 = 0xffff;
/// The number of `default_lu_gp`, the first group made.
const DEFAULT_GROUP: u64 = 0;

/// One group on the registry.
struct GroupEntry {
    group: u64,
    name: CString,
    id: Option<u16>,
}

/// A device in a group.
struct Member {
    /// `None` after `NULL` was written to the device's `alua_lu_gp`.
    group: Option<u64>,
    /// The device's number (`DeviceState::key`).
    device: u64,
    /// The device, for ALUA transitions across the group. The cycle (a
    /// device holds the registry) ends when the device's directory goes
    /// (`leave`).
    state: Arc<DeviceState>,
    /// `<hba>/<device>`, as `members` shows it.
    path: CString,
}

struct Registry {
    groups: KVec<GroupEntry>,
    members: KVec<Member>,
}

/// The LU groups of the core, their IDs and their members.
#[pin_data]
pub(crate) struct LuGroups {
    #[pin]
    registry: Mutex<Registry>,
    /// Source of the numbers that tell groups apart.
    next_group: AtomicU64,
}

/// The group a device is in, as the device's `alua_lu_gp` shows it.
pub(crate) struct Membership {
    pub(crate) name: CString,
    pub(crate) id: u16,
}

impl LuGroups {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Self {
                registry <- new_mutex!(Registry {
                    groups: KVec::new(),
                    members: KVec::new(),
                }),
                next_group: AtomicU64::new(DEFAULT_GROUP),
            }),
            GFP_KERNEL,
        )
    }

    fn id_of(&self, group: u64) -> Option<u16> {
        self.registry
            .lock()
            .groups
            .iter()
            .find(|g| g.group == group)
            .and_then(|g| g.id)
    }

    /// Puts `device` in `default_lu_gp` (when it is enabled).
    pub(crate) fn join_default(&self, device: &Arc<DeviceState>, path: CString) -> Result {
        let mut reg = self.registry.lock();
        reg.members.retain(|m| m.device != device.key);
        reg.members.push(
            Member {
                group: Some(DEFAULT_GROUP),
                device: device.key,
                state: device.clone(),
                path,
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// The devices whose target port groups change with those of `device`
    /// (SPC-4 5.15.2.2, as LIO's core_alua_do_port_transition()): the
    /// members of its LU group, itself included, when the group is not
    /// `default_lu_gp`; an empty list otherwise (only the group changed
    /// changes).
    pub(crate) fn peers(&self, device: u64) -> Result<KVec<Arc<DeviceState>>> {
        let reg = self.registry.lock();
        let mut out = KVec::new();
        let group = reg
            .members
            .iter()
            .find(|m| m.device == device)
            .and_then(|m| m.group);
        let Some(group) = group.filter(|&g| g != DEFAULT_GROUP) else {
            return Ok(out);
        };
        for m in reg.members.iter().filter(|m| m.group == Some(group)) {
            out.push(m.state.clone(), GFP_KERNEL)?;
        }
        Ok(out)
    }

    /// Moves `device`, if it is in a group, to the group called `name`
    /// (which must have an ID), or out of every group for `None`.
    pub(crate) fn move_to(&self, device: u64, name: Option<&[u8]>) -> Result {
        let mut reg = self.registry.lock();
        let Some(pos) = reg.members.iter().position(|m| m.device == device) else {
            // Not in a group: as in LIO, a disabled device ignores this.
            return Ok(());
        };
        let Some(name) = name else {
            if let Some(m) = reg.members.get_mut(pos) {
                m.group = None;
            }
            return Ok(());
        };
        let Some(group) = reg
            .groups
            .iter()
            // As in LIO, `default_lu_gp` is not found by name: a device
            // goes back to it only when its group is removed.
            .find(|g| g.group != DEFAULT_GROUP && g.id.is_some() && g.name.to_bytes() == name)
            .map(|g| g.group)
        else {
            pr_err!("alua_lu_gp: no LU group of that name with an ID\n");
            return Err(ENODEV);
        };
        if let Some(m) = reg.members.get_mut(pos) {
            m.group = Some(group);
        }
        Ok(())
    }

    /// Takes `device` out of its group (when it goes).
    pub(crate) fn leave(&self, device: u64) {
        self.registry.lock().members.retain(|m| m.device != device);
    }

    /// The group `device` is in.
    pub(crate) fn membership(&self, device: u64) -> Result<Option<Membership>> {
        let reg = self.registry.lock();
        let Some(m) = reg.members.iter().find(|m| m.device == device) else {
            return Ok(None);
        };
        let Some(g) = reg.groups.iter().find(|g| Some(g.group) == m.group) else {
            return Ok(None);
        };
        Ok(Some(Membership {
            name: CString::try_from(&*g.name)?,
            id: g.id.unwrap_or(0),
        }))
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
        let default_group = LuGroup::new(groups.clone(), c"default_lu_gp", Some(0))?;
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
        NewNode::new(name, LuGroup::new(self.groups.clone(), name, None)?)
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
    fn new(groups: Arc<LuGroups>, name: &CStr, id: Option<u16>) -> Result<Self> {
        let name = CString::try_from(name)?;
        let group = groups.next_group.fetch_add(1, Ordering::Relaxed);
        groups
            .registry
            .lock()
            .groups
            .push(GroupEntry { group, name, id }, GFP_KERNEL)?;
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
        let mut reg = self.groups.registry.lock();
        if reg.groups.iter().any(|g| g.id == Some(id)) {
            pr_err!("ALUA LU group ID {} already exists\n", id);
            return Err(EINVAL);
        }
        let Some(entry) = reg.groups.iter_mut().find(|g| g.group == self.group) else {
            return Err(EINVAL);
        };
        if entry.id.is_some() {
            pr_err!("ALUA LU group already has an ID; it cannot change\n");
            return Err(EINVAL);
        }
        entry.id = Some(id);
        Ok(())
    }

    fn show_members(&self, page: &mut Page<'_>) -> Result {
        let reg = self.groups.registry.lock();
        for m in reg.members.iter().filter(|m| m.group == Some(self.group)) {
            page.emit(fmt!("{}\n", m.path.to_str().map_err(|_| EINVAL)?))?;
        }
        Ok(())
    }
}

impl Drop for LuGroup {
    fn drop(&mut self) {
        let group = self.group;
        let mut reg = self.groups.registry.lock();
        reg.groups.retain(|g| g.group != group);
        // As in LIO, the devices of a removed group go back to the default.
        for m in reg.members.iter_mut().filter(|m| m.group == Some(group)) {
            m.group = Some(DEFAULT_GROUP);
        }
    }
}
