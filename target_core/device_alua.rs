// SPDX-License-Identifier: GPL-2.0

//! `core/<hba>/<device>/alua/`: the device's ALUA target port groups.
//!
//! `default_tg_pt_gp` (ID 0) comes with the device; `mkdir` makes more,
//! each without an ID until one is written to its `tg_pt_gp_id` (0 picks
//! the next free one). IDs are unique per device. A group's settings and
//! checks are the shared code in proto/src/alua.rs; the device keeps its
//! groups with an ID in `AluaGroups`, where the SCSI engine will find them
//! (REPORT TARGET PORT GROUPS, the access checks). `members` lists the
//! LUNs in a group: none until LUNs exist.

use core::sync::atomic::Ordering;

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::alua::{self, Setting, TgPtGp};
use crate::alua_transition::Cause;
use crate::configfs::{configfs_node_type, Children, NewNode, Page};
use crate::device::DeviceState;
use crate::lun::LunState;
use crate::text::{self, ParseError};

/// The target port groups of a device that have an ID.
pub(crate) struct AluaGroups {
    /// Where automatic IDs continue (LIO's `alua_tg_pt_gps_counter`).
    next_id: u16,
    groups: KVec<Arc<TgPtGroup>>,
}

impl AluaGroups {
    pub(crate) fn new() -> Self {
        Self {
            next_id: 0,
            groups: KVec::new(),
        }
    }
}

/// One target port group: its ID (once set), settings and member LUNs.
#[pin_data]
pub(crate) struct TgPtGroup {
    /// The group's directory name.
    name: CString,
    #[pin]
    state: Mutex<GroupState>,
    /// Serialises writes of the group's ALUA metadata file.
    #[pin]
    metadata: Mutex<()>,
}

struct GroupState {
    id: Option<u16>,
    settings: TgPtGp,
    /// The LUNs in the group. A member holds the group too; the cycle ends
    /// when the LUN leaves (unlink) or the group goes (`rmdir`).
    members: KVec<Arc<LunState>>,
}

impl TgPtGroup {
    fn new(name: &CStr) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Self {
                name: name.to_cstring()?,
                state <- new_mutex!(GroupState {
                    id: None,
                    settings: TgPtGp::default(),
                    members: KVec::new(),
                }),
                metadata <- new_mutex!(()),
            }),
            GFP_KERNEL,
        )
    }

    /// The group's directory name.
    pub(crate) fn name(&self) -> &CStr {
        &self.name
    }

    /// Held while the group's ALUA metadata file is written.
    pub(crate) fn metadata_lock(&self) -> kernel::sync::MutexGuard<'_, ()> {
        self.metadata.lock()
    }

    pub(crate) fn id(&self) -> Option<u16> {
        self.state.lock().id
    }

    /// Adds a LUN; the LUN keeps the group as its own, and takes its
    /// access state.
    pub(crate) fn join(&self, lun: &Arc<LunState>) -> Result {
        let mut state = self.state.lock();
        state.members.push(lun.clone(), GFP_KERNEL)?;
        lun.alua_state
            .store(state.settings.access_state, Ordering::Release);
        Ok(())
    }

    /// The group's ID (if set) and settings now.
    pub(crate) fn snapshot(&self) -> (Option<u16>, TgPtGp) {
        let state = self.state.lock();
        (state.id, state.settings)
    }

    /// The member LUNs now.
    pub(crate) fn members(&self) -> Result<KVec<Arc<LunState>>> {
        let state = self.state.lock();
        let mut out = KVec::with_capacity(state.members.len(), GFP_KERNEL)?;
        for m in state.members.iter() {
            out.push(m.clone(), GFP_KERNEL)?;
        }
        Ok(out)
    }

    /// Changes the group's settings with `f` (an ALUA transition's steps),
    /// then mirrors the access state into the members for the command
    /// path.
    pub(crate) fn change<R>(&self, f: impl FnOnce(&mut TgPtGp) -> R) -> R {
        let mut state = self.state.lock();
        let r = f(&mut state.settings);
        let access_state = state.settings.access_state;
        for m in state.members.iter() {
            m.alua_state.store(access_state, Ordering::Release);
        }
        r
    }

    /// Removes a LUN.
    pub(crate) fn leave(&self, lun: &LunState) {
        self.state
            .lock()
            .members
            .retain(|m| !core::ptr::eq(&**m, lun));
    }

    /// What INQUIRY reports of the group: its ID (if set) and its
    /// `TPGS_*` access type bits.
    pub(crate) fn inquiry_info(&self) -> (Option<u16>, u8) {
        let state = self.state.lock();
        (state.id, state.settings.access_type)
    }

    /// The transition delay of a state change of a member.
    pub(crate) fn trans_delay_msecs(&self) -> u32 {
        self.state.lock().settings.trans_delay_msecs
    }

    /// A member LUN's `alua_tg_pt_gp`, as LIO shows it, with the LUN's
    /// secondary state.
    pub(crate) fn show_member(&self, page: &mut Page<'_>, offline: bool, status: u8) -> Result {
        let state = self.state.lock();
        page.emit(fmt!(
            "TG Port Alias: {}\nTG Port Group ID: {}\nTG Port Primary Access State: {}\n\
             TG Port Primary Access Status: {}\nTG Port Secondary Access State: {}\n\
             TG Port Secondary Access Status: {}\n",
            self.name.to_str().map_err(|_| EINVAL)?,
            state.id.unwrap_or(0),
            alua::state_text(state.settings.access_state),
            alua::status_text(state.settings.access_status),
            if offline { "Offline" } else { "None" },
            alua::status_text(status)
        ))
    }
}

/// The group of `dev` called `name` among those with an ID (the only ones
/// a LUN can join, as in LIO).
pub(crate) fn find_group(dev: &DeviceState, name: &[u8]) -> Option<Arc<TgPtGroup>> {
    dev.alua
        .lock()
        .groups
        .iter()
        .find(|g| g.name.to_bytes() == name)
        .cloned()
}

/// The groups of `dev` with an ID, in the order they got it.
pub(crate) fn groups(dev: &DeviceState) -> Result<KVec<Arc<TgPtGroup>>> {
    let alua = dev.alua.lock();
    let mut out = KVec::with_capacity(alua.groups.len(), GFP_KERNEL)?;
    for g in alua.groups.iter() {
        out.push(g.clone(), GFP_KERNEL)?;
    }
    Ok(out)
}

/// Marks every group of `dev` with an ID as supporting the LBA dependent
/// state, as LIO does when the device's LBA map is written.
pub(crate) fn lba_map_set(dev: &DeviceState) {
    for g in dev.alua.lock().groups.iter() {
        alua::lba_map_set(&mut g.state.lock().settings);
    }
}

/// Gives `group` the ID `id`, or the next free one for 0, and lists it in
/// the device's groups.
fn set_id(dev: &DeviceState, group: &Arc<TgPtGroup>, id: u16) -> Result {
    let mut groups = dev.alua.lock();
    if group.id().is_some() {
        pr_err!("ALUA tg_pt_gp_id: the group already has an ID; it cannot change\n");
        return Err(EINVAL);
    }
    if groups.groups.len() >= usize::from(u16::MAX) {
        pr_err!("ALUA tg_pt_gp_id: the device has the most groups it can\n");
        return Err(EINVAL);
    }
    let taken = |groups: &AluaGroups, id: u16| groups.groups.iter().any(|g| g.id() == Some(id));
    let id = if id != 0 {
        if taken(&groups, id) {
            pr_err!("ALUA tg_pt_gp_id: ID {} already exists\n", id);
            return Err(EINVAL);
        }
        id
    } else {
        // Fewer than 65535 IDs are taken: a free one is found.
        loop {
            let candidate = groups.next_id;
            groups.next_id = groups.next_id.wrapping_add(1);
            if !taken(&groups, candidate) {
                break candidate;
            }
        }
    };
    groups.groups.push(group.clone(), GFP_KERNEL)?;
    group.state.lock().id = Some(id);
    Ok(())
}

/// The group every LUN of the device starts in.
pub(crate) const DEFAULT_GROUP: &CStr = c"default_tg_pt_gp";

/// Builds `alua/` with `default_tg_pt_gp` (ID 0).
pub(crate) fn new_dir(dev: &Arc<DeviceState>) -> Result<NewNode<DeviceAlua>> {
    let default_group = TgPtGroup::new(DEFAULT_GROUP)?;
    {
        let mut groups = dev.alua.lock();
        groups.groups.push(default_group.clone(), GFP_KERNEL)?;
        groups.next_id = 1;
    }
    default_group.state.lock().id = Some(0);
    let node = NewNode::new(
        DEFAULT_GROUP,
        TgPtGpNode {
            dev: dev.clone(),
            group: default_group,
        },
    )?;
    NewNode::new(c"alua", DeviceAlua { dev: dev.clone() })?.with_default(node)
}

/// `core/<hba>/<device>/alua/`: `mkdir` makes a target port group.
pub(crate) struct DeviceAlua {
    dev: Arc<DeviceState>,
}

configfs_node_type! {
    DeviceAlua {
        children: true,
        attrs: [],
    }
}

impl Children for DeviceAlua {
    type Child = TgPtGpNode;

    fn make_child(&self, name: &CStr) -> Result<NewNode<TgPtGpNode>> {
        NewNode::new(
            name,
            TgPtGpNode {
                dev: self.dev.clone(),
                group: TgPtGroup::new(name)?,
            },
        )
    }

    /// As in LIO, the LUNs of a removed group go back to the default one.
    fn drop_child(&self, child: &TgPtGpNode) {
        let members = core::mem::take(&mut child.group.state.lock().members);
        let Some(default) = find_group(&self.dev, DEFAULT_GROUP.to_bytes()) else {
            return;
        };
        for lun in members.iter() {
            lun.move_to_group(&default);
        }
    }
}

/// `core/<hba>/<device>/alua/<group>/`.
pub(crate) struct TgPtGpNode {
    dev: Arc<DeviceState>,
    group: Arc<TgPtGroup>,
}

impl Drop for TgPtGpNode {
    fn drop(&mut self) {
        let group = &self.group;
        self.dev
            .alua
            .lock()
            .groups
            .retain(|g| !Arc::ptr_eq(g, group));
    }
}

/// A refused write: LIO's errno, and the reason in the kernel log.
fn refused(what: &str, e: alua::Error) -> Error {
    match e {
        alua::Error::Parse(ParseError::OutOfRange) => {
            pr_err!("ALUA {}: the value is out of range\n", what);
            ERANGE
        }
        alua::Error::Parse(_) => {
            pr_err!("ALUA {}: not a number\n", what);
            EINVAL
        }
        alua::Error::Invalid(why) => {
            pr_err!("ALUA {}: {}\n", what, why);
            EINVAL
        }
        alua::Error::NoId => {
            pr_err!("ALUA {}: the group has no tg_pt_gp_id yet\n", what);
            EINVAL
        }
        alua::Error::NotEnabled => {
            pr_err!("ALUA {}: the device is not enabled\n", what);
            ENODEV
        }
    }
}

macro_rules! setting {
    ($show:ident, $store:ident, $name:literal, $setting:expr, |$g:ident| $value:expr) => {
        fn $show(&self, page: &mut Page<'_>) -> Result {
            let $g = self.group.state.lock().settings;
            page.emit(fmt!("{}\n", $value))
        }

        fn $store(&self, input: &[u8]) -> Result {
            self.store(input, $name, $setting)
        }
    };
}

configfs_node_type! {
    TgPtGpNode {
        children: false,
        attrs: [
            alua_access_state: rw(TgPtGpNode::show_access_state, TgPtGpNode::store_access_state),
            alua_access_status: rw(TgPtGpNode::show_access_status, TgPtGpNode::store_access_status),
            alua_access_type: rw(TgPtGpNode::show_access_type, TgPtGpNode::store_access_type),
            alua_support_active_nonoptimized: rw(TgPtGpNode::show_sup_an, TgPtGpNode::store_sup_an),
            alua_support_active_optimized: rw(TgPtGpNode::show_sup_ao, TgPtGpNode::store_sup_ao),
            alua_support_lba_dependent: rw(TgPtGpNode::show_sup_lbd, TgPtGpNode::store_sup_lbd),
            alua_support_offline: rw(TgPtGpNode::show_sup_o, TgPtGpNode::store_sup_o),
            alua_support_standby: rw(TgPtGpNode::show_sup_s, TgPtGpNode::store_sup_s),
            alua_support_transitioning: rw(TgPtGpNode::show_sup_t, TgPtGpNode::store_sup_t),
            alua_support_unavailable: rw(TgPtGpNode::show_sup_u, TgPtGpNode::store_sup_u),
            alua_write_metadata: rw(TgPtGpNode::show_write_metadata, TgPtGpNode::store_write_metadata),
            implicit_trans_secs: rw(TgPtGpNode::show_implicit_trans, TgPtGpNode::store_implicit_trans),
            members: ro(TgPtGpNode::show_members),
            nonop_delay_msecs: rw(TgPtGpNode::show_nonop_delay, TgPtGpNode::store_nonop_delay),
            preferred: rw(TgPtGpNode::show_preferred, TgPtGpNode::store_preferred),
            tg_pt_gp_id: rw(TgPtGpNode::show_id, TgPtGpNode::store_id),
            trans_delay_msecs: rw(TgPtGpNode::show_trans_delay, TgPtGpNode::store_trans_delay),
        ],
    }
}

impl TgPtGpNode {
    fn store(&self, input: &[u8], what: &str, setting: Setting) -> Result {
        let mut state = self.group.state.lock();
        let has_id = state.id.is_some();
        alua::store(&mut state.settings, setting, input, has_id).map_err(|e| refused(what, e))
    }

    fn show_access_state(&self, page: &mut Page<'_>) -> Result {
        let state = self.group.state.lock().settings.access_state;
        page.emit(fmt!("{}\n", state))
    }

    /// An implicit transition, as LIO makes it from configfs: the group
    /// shows Transitioning for `trans_delay_msecs`, then the new state;
    /// each step raises ASYMMETRIC ACCESS STATE CHANGED on every nexus of
    /// the group's LUNs (alua_engine.rs).
    fn store_access_state(&self, input: &[u8]) -> Result {
        let enabled = self.dev.config.lock().enabled();
        let state = self.group.state.lock();
        let has_id = state.id.is_some();
        let Some(new) = alua::parse_access_state(&state.settings, input, has_id, enabled)
            .map_err(|e| refused("alua_access_state", e))?
        else {
            return Ok(());
        };
        drop(state);
        crate::alua_engine::transition(&self.dev, &self.group, new, Cause::Implicit, None);
        Ok(())
    }

    fn show_access_status(&self, page: &mut Page<'_>) -> Result {
        let status = self.group.state.lock().settings.access_status;
        page.emit(fmt!("{}\n", alua::status_text(status)))
    }

    fn store_access_status(&self, input: &[u8]) -> Result {
        self.store(input, "alua_access_status", Setting::AccessStatus)
    }

    fn show_access_type(&self, page: &mut Page<'_>) -> Result {
        let t = self.group.state.lock().settings.access_type;
        page.emit(fmt!("{}\n", alua::access_type_text(t)))
    }

    fn store_access_type(&self, input: &[u8]) -> Result {
        self.store(input, "alua_access_type", Setting::AccessType)
    }

    setting!(
        show_sup_t,
        store_sup_t,
        "alua_support_transitioning",
        Setting::Support(alua::SUP_TRANSITION),
        |g| alua::supports(&g, alua::SUP_TRANSITION)
    );
    setting!(
        show_sup_o,
        store_sup_o,
        "alua_support_offline",
        Setting::Support(alua::SUP_OFFLINE),
        |g| alua::supports(&g, alua::SUP_OFFLINE)
    );
    setting!(
        show_sup_lbd,
        store_sup_lbd,
        "alua_support_lba_dependent",
        Setting::Support(alua::SUP_LBA_DEPENDENT),
        |g| alua::supports(&g, alua::SUP_LBA_DEPENDENT)
    );
    setting!(
        show_sup_u,
        store_sup_u,
        "alua_support_unavailable",
        Setting::Support(alua::SUP_UNAVAILABLE),
        |g| alua::supports(&g, alua::SUP_UNAVAILABLE)
    );
    setting!(
        show_sup_s,
        store_sup_s,
        "alua_support_standby",
        Setting::Support(alua::SUP_STANDBY),
        |g| alua::supports(&g, alua::SUP_STANDBY)
    );
    setting!(
        show_sup_ao,
        store_sup_ao,
        "alua_support_active_optimized",
        Setting::Support(alua::SUP_ACTIVE_OPTIMIZED),
        |g| alua::supports(&g, alua::SUP_ACTIVE_OPTIMIZED)
    );
    setting!(
        show_sup_an,
        store_sup_an,
        "alua_support_active_nonoptimized",
        Setting::Support(alua::SUP_ACTIVE_NON_OPTIMIZED),
        |g| alua::supports(&g, alua::SUP_ACTIVE_NON_OPTIMIZED)
    );
    setting!(
        show_write_metadata,
        store_write_metadata,
        "alua_write_metadata",
        Setting::WriteMetadata,
        |g| u8::from(g.write_metadata)
    );
    setting!(
        show_nonop_delay,
        store_nonop_delay,
        "nonop_delay_msecs",
        Setting::NonopDelayMsecs,
        |g| g.nonop_delay_msecs
    );
    setting!(
        show_trans_delay,
        store_trans_delay,
        "trans_delay_msecs",
        Setting::TransDelayMsecs,
        |g| g.trans_delay_msecs
    );
    setting!(
        show_implicit_trans,
        store_implicit_trans,
        "implicit_trans_secs",
        Setting::ImplicitTransSecs,
        |g| g.implicit_trans_secs
    );
    setting!(
        show_preferred,
        store_preferred,
        "preferred",
        Setting::Preferred,
        |g| u8::from(g.preferred)
    );

    fn show_id(&self, page: &mut Page<'_>) -> Result {
        match self.group.id() {
            Some(id) => page.emit(fmt!("{}\n", id)),
            None => Ok(()),
        }
    }

    fn store_id(&self, input: &[u8]) -> Result {
        let id = match text::parse_u64(input) {
            Ok(id) if id <= alua::MAX_ID => id as u16,
            Ok(_) => {
                pr_err!("ALUA tg_pt_gp_id: exceeds maximum 0x0000ffff\n");
                return Err(EINVAL);
            }
            Err(e) => return Err(refused("tg_pt_gp_id", alua::Error::Parse(e))),
        };
        set_id(&self.dev, &self.group, id)
    }

    /// The LUNs in the group, one `<fabric>/<wwn>/tpgt_<n>/<lun>` a line.
    fn show_members(&self, page: &mut Page<'_>) -> Result {
        let state = self.group.state.lock();
        for m in state.members.iter() {
            m.emit_path(page)?;
        }
        Ok(())
    }
}
