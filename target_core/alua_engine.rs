// SPDX-License-Identifier: GPL-2.0

//! ALUA in the command path: the access check of each command, REPORT and
//! SET TARGET PORT GROUPS, and state changes with their unit attentions.
//!
//! The decisions are the shared code in proto/src/alua_access.rs,
//! alua_tpgs.rs and alua_transition.rs; this file feeds them the device's
//! target port groups (device_alua.rs) and acts on their answers.
//!
//! A command through a LUN whose group is active/optimized and whose port
//! is not offline (the common case) costs two atomic loads: the group
//! mirrors its state into its member LUNs (`TgPtGroup::change`). Only the
//! other states take the group's lock.

use core::sync::atomic::Ordering;

use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::{delay::fsleep, Delta};

use crate::alua;
use crate::alua_access::{self, GroupAccess, PortAccess, Verdict};
use crate::alua_tpgs::{
    self, GroupDescriptor, Request, RtpgFormat, RtpgWriter, StpgList, StpgTargets,
};
use crate::alua_transition::{self, Cause, UA_ASYMMETRIC_ACCESS_STATE_CHANGED};
use crate::cdb::{CdbError, Decoded};
use crate::command::{data_in, Outcome, Request as CmdRequest};
use crate::device::DeviceState;
use crate::device_alua::{self, TgPtGroup};
use crate::lun::LunState;
use crate::lun_map::LinkedLun;
use crate::session::Session;

/// Whether a command through `lun` may run in the ALUA state of its port
/// (`None`) or is refused (`Some`). LIO checks after unit attentions and
/// before reservations, as here. Active/non-optimized runs at once: LIO
/// computes `nonop_delay_msecs` but sleeps before it has looked, so it
/// never delays, and neither do we.
pub(crate) fn check(lun: &LinkedLun, cdb: &[u8], decoded: &Decoded) -> Option<Outcome> {
    let state = lun.state.alua_state.load(Ordering::Acquire);
    let offline = lun.state.alua_offline.load(Ordering::Acquire);
    if state == alua::STATE_ACTIVE_OPTIMIZED && !offline {
        return None;
    }
    let group = lun.state.group().map(|g| {
        let (id, settings) = g.snapshot();
        GroupAccess::of(&settings, id.unwrap_or(0))
    });
    let port = PortAccess {
        secondary_offline: offline,
        group,
    };
    let data = alua_access::data_range(decoded);
    // Only the LBA dependent state reads the device's LBA map (an empty
    // map leaves every block unavailable, as in LIO).
    let verdict = if group.is_some_and(|g| g.state == alua::STATE_LBA_DEPENDENT) {
        lun.dev
            .with_lba_map(|map| alua_access::check(cdb, &port, data, Some(map)))
    } else {
        alua_access::check(cdb, &port, data, None)
    };
    match verdict {
        Verdict::Run | Verdict::RunNonOptimized { .. } => None,
        Verdict::Refuse(e) => Some(e.into()),
    }
}

/// REPORT TARGET PORT GROUPS: every group of the device with an ID, with
/// the relative target port identifiers of the ports (LUNs) in it.
pub(crate) fn report_target_port_groups(
    req: &mut CmdRequest<'_>,
    lun: &LinkedLun,
    format: u8,
    alloc_len: u32,
) -> Outcome {
    let Some(format) = RtpgFormat::from_cdb(format) else {
        return CdbError::invalid_field(1, Some(7)).into();
    };
    if let Err(e) = alua_tpgs::check_alloc_len(format, alloc_len) {
        return e.into();
    }
    let local = lun.state.group().map(|g| g.snapshot().1);
    let Ok(groups) = device_alua::groups(&lun.dev) else {
        return Outcome::TaskSetFull;
    };
    // The full response: the header, and per group 8 bytes and 4 per port.
    let mut full = format.header_len();
    let mut described: KVec<(GroupDescriptor, KVec<Arc<LunState>>)> = KVec::new();
    for g in groups.iter() {
        let (Some(id), settings) = g.snapshot() else {
            continue;
        };
        let Ok(members) = g.members() else {
            return Outcome::TaskSetFull;
        };
        full = full.saturating_add(8 + 4 * members.len().min(255));
        if described
            .push((GroupDescriptor::of(&settings, id), members), GFP_KERNEL)
            .is_err()
        {
            return Outcome::TaskSetFull;
        }
    }
    let mut out = match crate::spc_emulate::buffer(full.min(alloc_len as usize)) {
        Ok(b) => b,
        Err(o) => return o,
    };
    let len = {
        let mut w = RtpgWriter::new(
            &mut out,
            format,
            alua_tpgs::implicit_transition_time(local.as_ref()),
        );
        for (descriptor, members) in described.iter() {
            w.group(descriptor);
            for m in members.iter() {
                w.port(m.tpg().rtpi());
            }
        }
        w.finish()
    };
    let n = len.min(out.len());
    data_in(req, &out[..n], alloc_len as usize)
}

/// The device's groups and ports, as SET TARGET PORT GROUPS checks them.
struct DeviceTargets<'a> {
    groups: &'a [Arc<TgPtGroup>],
}

impl DeviceTargets<'_> {
    fn group(&self, id: u16) -> Option<&Arc<TgPtGroup>> {
        self.groups.iter().find(|g| g.snapshot().0 == Some(id))
    }

    /// The LUN of the device exported through the port `rtpi`.
    fn port(&self, rtpi: u16) -> Option<Arc<LunState>> {
        self.groups.iter().find_map(|g| {
            g.members()
                .ok()?
                .iter()
                .find(|m| m.tpg().rtpi() == rtpi)
                .cloned()
        })
    }
}

impl StpgTargets for DeviceTargets<'_> {
    fn group_supported(&self, id: u16) -> Option<u8> {
        self.group(id).map(|g| g.snapshot().1.supported)
    }

    fn port_in_group(&self, rtpi: u16) -> bool {
        self.port(rtpi).is_some()
    }
}

/// SET TARGET PORT GROUPS: checks the whole list (all or nothing), then
/// makes each change, as explicit ALUA transitions.
pub(crate) fn set_target_port_groups(
    req: &mut CmdRequest<'_>,
    lun: &LinkedLun,
    param_len: u32,
) -> Outcome {
    let Some(local) = lun.state.group().map(|g| g.snapshot().1) else {
        return CdbError::invalid_opcode().into();
    };
    if let Err(e) = alua_tpgs::stpg_allowed(Some(&local)) {
        return e.into();
    }
    let len = param_len as usize;
    if req.data.len() < len {
        return CdbError::param_list_length().into();
    }
    let mut data = match crate::spc_emulate::buffer(len) {
        Ok(b) => b,
        Err(o) => return o,
    };
    req.data.read_at(0, &mut data);
    let list = match StpgList::parse(&data) {
        Ok(l) => l,
        Err(e) => return e.into(),
    };
    let Ok(groups) = device_alua::groups(&lun.dev) else {
        return Outcome::TaskSetFull;
    };
    let targets = DeviceTargets { groups: &groups };
    if let Err(e) = list.check(local.supported, &targets) {
        return e.into();
    }
    let origin = Some((req.session, req.lun));
    for r in list.requests(local.supported).flatten() {
        match r {
            Request::Group { id, state } => {
                if let Some(g) = targets.group(id) {
                    transition(&lun.dev, g, state, Cause::Explicit, origin);
                }
            }
            Request::PortOffline { rtpi } => {
                if let Some(port) = targets.port(rtpi) {
                    port_offline(&port, Cause::Explicit);
                }
            }
        }
    }
    Outcome::NO_DATA
}

/// Changes `group` of `dev` to `new` (checked by the caller), and with it
/// the groups of the same ID of the other devices in `dev`'s LU group
/// unless that is `default_lu_gp` (SPC-4 5.15.2.2; LIO's
/// core_alua_do_port_transition()), one after the other.
pub(crate) fn transition(
    dev: &DeviceState,
    group: &TgPtGroup,
    new: u8,
    cause: Cause,
    origin: Option<(&Session, u64)>,
) {
    let peers = dev.lu_groups.peers(dev.key).unwrap_or_else(|_| {
        pr_warn!("alua: no memory to change the LU group's other devices\n");
        KVec::new()
    });
    transition_group(dev, group, new, cause, origin);
    let Some(id) = group.id() else {
        return;
    };
    for peer in peers.iter().filter(|p| !core::ptr::eq(&***p, dev)) {
        let Ok(groups) = device_alua::groups(peer) else {
            pr_warn!("alua: no memory to change the LU group's other devices\n");
            return;
        };
        for g in groups.iter().filter(|g| g.id() == Some(id)) {
            transition_group(peer, g, new, cause, origin);
        }
    }
}

/// Changes one group to `new`: TRANSITIONING first, for
/// `trans_delay_msecs`, then the new state, each step announced with
/// ASYMMETRIC ACCESS STATE CHANGED to every nexus of the group's LUNs but
/// `origin` (the nexus and LUN a SET TARGET PORT GROUPS came through).
fn transition_group(
    dev: &DeviceState,
    group: &TgPtGroup,
    new: u8,
    cause: Cause,
    origin: Option<(&Session, u64)>,
) {
    let Some(t) = group.change(|g| alua_transition::begin(g, new, cause)) else {
        return;
    };
    state_changed(dev, group, cause, origin);
    if t.stays_in_transition() {
        return;
    }
    if t.delay_msecs != 0 {
        fsleep(Delta::from_millis(i64::from(t.delay_msecs)));
    }
    group.change(|g| alua_transition::finish(g, &t));
    if t.write_metadata {
        crate::alua_metadata::write_primary(dev, group);
    }
    state_changed(dev, group, cause, origin);
}

/// Sets the port of `lun` offline (SET TARGET PORT GROUPS naming its
/// relative port), after its group's transition delay.
fn port_offline(lun: &LunState, cause: Cause) {
    let Some(group) = lun.group() else {
        return;
    };
    let change = alua_transition::port_transition(&group.snapshot().1, true, cause);
    lun.set_offline(change.offline, change.status);
    if change.delay_msecs != 0 {
        fsleep(Delta::from_millis(i64::from(change.delay_msecs)));
    }
    crate::alua_metadata::write_secondary(lun);
}

/// Queues ASYMMETRIC ACCESS STATE CHANGED for every nexus that sees a LUN
/// of `group` (a group of `dev`), under the number it sees it by; not for
/// `origin` after an explicit change (SPC-4 5.15.2.7).
fn state_changed(
    dev: &DeviceState,
    group: &TgPtGroup,
    cause: Cause,
    origin: Option<(&Session, u64)>,
) {
    let Ok(members) = group.members() else {
        pr_warn!("alua: no memory to announce a state change\n");
        return;
    };
    let walked = dev.for_each_nexus(
        |port| members.iter().any(|m| core::ptr::eq(&**m, port)),
        |s, lun| {
            let is_origin = origin.is_some_and(|(os, ol)| core::ptr::eq(os, s) && ol == lun);
            if alua_transition::gets_state_change_ua(cause, is_origin) {
                s.queue_ua(lun, UA_ASYMMETRIC_ACCESS_STATE_CHANGED);
            }
        },
    );
    if walked.is_err() {
        pr_warn!("alua: no memory to announce a state change\n");
    }
}
