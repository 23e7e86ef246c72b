// SPDX-License-Identifier: GPL-2.0

//! Persistent reservations of a device: the state machine of
//! proto/src/pr.rs over a `KVec`, what it needs to know of the device's
//! target ports and sessions, and `core/<hba>/<device>/pr/`, in LIO's
//! words (proto/src/pr_aptpl.rs).
//!
//! The state lives in `DeviceState::pr` (a mutex). Commands reach it
//! through [`crate::command`]: PERSISTENT RESERVE IN/OUT and RESERVE/
//! RELEASE under the lock, and the conflict check of every command, which
//! takes the lock only while the device has a reservation
//! (`DeviceState::pr_reserved`, updated under the lock).
//!
//! The device knows the LUNs that export it (`DeviceState::pr_ports`,
//! kept by lun.rs while a LUN is linked): the target ports its
//! registrations name by RTPI, and the way to every session that sees the
//! device, which is where the unit attentions of PERSISTENT RESERVE OUT go.
//!
//! Lock order: `pr`, then `pr_ports`, then a TPG's `acls` and `sessions`,
//! then a session's locks.
//!
//! Not there yet: APTPL. The bit is kept and reported (REPORT
//! CAPABILITIES, `res_aptpl_active`), but nothing is written under
//! `dbroot`, and `res_aptpl_metadata` does not exist: registrations do not
//! survive a reboot (lio-differences.md).

use core::sync::atomic::Ordering;

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::configfs::{configfs_node_type, Page};
use crate::device::DeviceState;
use crate::lun::LunState;
use crate::pr::{self, NoMemory, PrEffects, Registration, RegistrationStore, TargetPorts};
use crate::pr_aptpl::{self, PortText, PrMode};
use crate::pr_transport_id::{InitiatorPort, Protocol};
use crate::session::Session;
use crate::tpg::TpgState;

/// The registrations of a device, in registration order.
pub(crate) struct KVecStore(KVec<Registration>);

impl RegistrationStore for KVecStore {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, i: usize) -> Option<&Registration> {
        self.0.get(i)
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Registration> {
        self.0.get_mut(i)
    }

    fn push(&mut self, reg: Registration) -> Result<(), NoMemory> {
        self.0.push(reg, GFP_KERNEL).map_err(|_| NoMemory)
    }

    fn remove(&mut self, i: usize) {
        if i < self.0.len() {
            // In range: cannot fail.
            let _ = self.0.remove(i);
        }
    }
}

/// A device's persistent reservation state.
pub(crate) type PrState = pr::PrState<KVecStore>;

/// No registrations, no reservation.
pub(crate) fn new_state() -> PrState {
    PrState::new(KVecStore(KVec::new()))
}

/// The initiator port of `session` for the SCSI protocol `protocol_id`
/// (the command's, from its fabric): the session's initiator name read as
/// LIO reads an ACL name of that protocol (`naa.` and a SAS address for
/// SAS, as LIO's tcm_loop gives its `naa.` nexuses). A name that does not
/// parse as its protocol's (or a protocol without TransportIDs) is taken
/// as an iSCSI name, so that every session still has a port of its own.
/// Sessions carry no ISID yet (the loopback fabric has none).
pub(crate) fn session_port(session: &Session, protocol_id: u8) -> Option<InitiatorPort> {
    let name = session.initiator().to_bytes();
    Protocol::from_u8(protocol_id)
        .and_then(|p| InitiatorPort::from_acl_name(p, name, None).ok())
        .or_else(|| InitiatorPort::iscsi(name, None).ok())
}

/// Whether `port`, a registration's initiator, is `session`'s.
fn session_is(session: &Session, port: &InitiatorPort) -> bool {
    let name = session.initiator().to_bytes();
    let own = InitiatorPort::from_acl_name(port.protocol(), name, None)
        .ok()
        .or_else(|| InitiatorPort::iscsi(name, None).ok());
    own.is_some_and(|own| port.covers(&own))
}

/// The SCSI protocol of a target port, from its fabric and its name, for
/// TransportIDs naming initiators of another port (SPEC_I_PT, REGISTER
/// AND MOVE): the loopback fabric's protocol is its WWN's prefix.
fn port_protocol(tpg: &TpgState) -> Option<Protocol> {
    let fabric = tpg.fabric().name().to_bytes();
    match fabric {
        b"iscsi" => return Some(Protocol::Iscsi),
        b"srpt" | b"ib_srpt" => return Some(Protocol::Srp),
        b"qla2xxx" | b"tcm_fc" | b"efct" | b"lpfc" => return Some(Protocol::Fc),
        _ => {}
    }
    let wwn = tpg.wwn_name().to_bytes();
    if wwn.starts_with(b"naa.") {
        Some(Protocol::Sas)
    } else if wwn.starts_with(b"fc.") {
        Some(Protocol::Fc)
    } else if wwn.starts_with(b"iqn.") || wwn.starts_with(b"eui.") {
        Some(Protocol::Iscsi)
    } else {
        None
    }
}

impl DeviceState {
    /// Records that `lun` exports the device (lun.rs, when it is linked).
    pub(crate) fn pr_add_port(&self, lun: &Arc<LunState>) -> Result {
        self.pr_ports.lock().push(lun.clone(), GFP_KERNEL)?;
        Ok(())
    }

    /// `lun` no longer exports the device.
    pub(crate) fn pr_remove_port(&self, lun: &Arc<LunState>) {
        self.pr_ports.lock().retain(|l| !Arc::ptr_eq(l, lun));
    }

    /// The LUNs exporting the device now.
    fn ports_snapshot(&self) -> KVec<Arc<LunState>> {
        let ports = self.pr_ports.lock();
        let mut out = KVec::new();
        if out.reserve(ports.len(), GFP_KERNEL).is_ok() {
            for p in ports.iter() {
                // Cannot fail: room was reserved.
                let _ = out.push(p.clone(), GFP_NOWAIT);
            }
        }
        out
    }

    /// Updates the fast path's flag from `state` (under `pr`).
    pub(crate) fn pr_sync(&self, state: &PrState) {
        let reserved = state.reservation().is_some() || state.spc2_holder().is_some();
        self.pr_reserved.store(reserved, Ordering::Release);
    }

    /// Whether a reservation may make a command conflict: read without a
    /// lock by every command.
    pub(crate) fn pr_may_conflict(&self) -> bool {
        self.pr_reserved.load(Ordering::Acquire)
    }

    /// Drops the SPC-2 reservation (LOGICAL UNIT RESET).
    pub(crate) fn pr_spc2_clear(&self) {
        let mut st = self.pr.lock();
        st.spc2_clear();
        self.pr_sync(&st);
    }

    /// Drops the SPC-2 reservation if `session` (through the target port
    /// `rtpi`) holds it: the I_T nexus is gone (LIO's
    /// target_release_reservation). Registrations stay (SPC-4).
    pub(crate) fn pr_nexus_lost(&self, session: &Session, rtpi: u16) {
        let mut st = self.pr.lock();
        let held = st
            .spc2_holder()
            .is_some_and(|(port, r)| r == rtpi && session_is(session, port));
        if held {
            st.spc2_clear();
            self.pr_sync(&st);
        }
    }
}

/// The unit attentions of a PERSISTENT RESERVE OUT, delivered to the
/// sessions of the registration's initiator that see the device through
/// the registration's target port (every port with ALL_TG_PT), under the
/// LUN number each sees it by.
///
/// PREEMPT AND ABORT's abort has nothing to do: commands run to completion
/// in the fabric's call to the core, and the PERSISTENT RESERVE OUT runs
/// alone in its own call, so no command of another nexus is queued in the
/// core (the fabric's own queue is the fabric's).
pub(crate) struct Effects<'a> {
    pub(crate) dev: &'a DeviceState,
}

impl PrEffects for Effects<'_> {
    fn unit_attention(&mut self, reg: &Registration, ua: pr::UnitAttention) {
        for port in self.dev.ports_snapshot().iter() {
            let tpg = port.tpg();
            if !reg.all_tg_pt && tpg.rtpi() != reg.rtpi {
                continue;
            }
            for s in tpg.sessions.lock().iter() {
                if !session_is(s, &reg.initiator) {
                    continue;
                }
                let Some(view) = s.view() else {
                    continue;
                };
                for l in view
                    .luns()
                    .iter()
                    .filter(|l| Arc::ptr_eq(&l.target.state, port))
                {
                    s.queue_ua(l.lun, ua.code());
                }
            }
        }
    }

    fn abort_tasks(&mut self, _reg: &Registration) {}
}

/// The device's target ports, for SPEC_I_PT and REGISTER AND MOVE, and
/// for the text of `pr/`.
pub(crate) struct Ports {
    ports: KVec<Arc<LunState>>,
    /// The port and protocol the command came through.
    current: Option<(u16, Protocol)>,
}

impl Ports {
    pub(crate) fn new(dev: &DeviceState, current: Option<(u16, Protocol)>) -> Self {
        Self {
            ports: dev.ports_snapshot(),
            current,
        }
    }

    fn find(&self, rtpi: u16) -> Option<&Arc<LunState>> {
        self.ports.iter().find(|p| p.tpg().rtpi() == rtpi)
    }
}

impl TargetPorts for Ports {
    fn protocol(&self, rtpi: u16) -> Option<Protocol> {
        let port = self.find(rtpi)?;
        match self.current {
            Some((r, p)) if r == rtpi => Some(p),
            _ => port_protocol(port.tpg()),
        }
    }

    fn initiator_known(&self, initiator: &InitiatorPort, rtpi: u16) -> bool {
        let Some(port) = self.find(rtpi) else {
            return false;
        };
        let tpg = port.tpg();
        if tpg.access_policy().demo_mode {
            return true;
        }
        tpg.acls.lock().iter().any(|a| {
            InitiatorPort::from_acl_name(initiator.protocol(), a.initiator().to_bytes(), None)
                .is_ok_and(|p| p.same_initiator(initiator))
        })
    }
}

impl PortText for Ports {
    fn fabric_name(&self, rtpi: u16) -> &str {
        self.find(rtpi)
            .and_then(|p| p.tpg().fabric().name().to_str().ok())
            .unwrap_or("")
    }

    fn target_node(&self, rtpi: u16) -> &str {
        self.find(rtpi)
            .and_then(|p| p.tpg().wwn_name().to_str().ok())
            .unwrap_or("")
    }

    fn tpgt(&self, rtpi: u16) -> u16 {
        self.find(rtpi).map_or(0, |p| p.tpg().tag())
    }

    fn target_lun(&self, rtpi: u16) -> u64 {
        self.find(rtpi).map_or(0, |p| p.number())
    }

    fn mapped_lun(&self, reg: &Registration) -> u64 {
        self.target_lun(reg.rtpi)
    }
}

/// `core/<hba>/<device>/pr/`.
pub(crate) struct DevicePr {
    dev: Arc<DeviceState>,
}

configfs_node_type! {
    DevicePr {
        children: false,
        attrs: [
            res_aptpl_active: ro(DevicePr::show_aptpl_active),
            res_holder: ro(DevicePr::show_holder),
            res_pr_all_tgt_pts: ro(DevicePr::show_all_tgt_pts),
            res_pr_generation: ro(DevicePr::show_generation),
            res_pr_holder_tg_port: ro(DevicePr::show_holder_tg_port),
            res_pr_registered_i_pts: ro(DevicePr::show_registered),
            res_pr_type: ro(DevicePr::show_pr_type),
            res_type: ro(DevicePr::show_type),
        ],
    }
}

/// A formatting error of a `pr/` attribute: the page is full.
fn overflow(_: core::fmt::Error) -> Error {
    EOVERFLOW
}

impl DevicePr {
    pub(crate) fn new(dev: Arc<DeviceState>) -> Self {
        Self { dev }
    }

    fn mode(&self) -> PrMode {
        if self.dev.config.lock().attrib.emulate_pr {
            PrMode::Emulated
        } else {
            PrMode::Disabled
        }
    }

    fn show_holder(&self, page: &mut Page<'_>) -> Result {
        let mode = self.mode();
        let ports = Ports::new(&self.dev, None);
        let st = self.dev.pr.lock();
        pr_aptpl::write_res_holder(&st, mode, &ports, page).map_err(overflow)
    }

    fn show_all_tgt_pts(&self, page: &mut Page<'_>) -> Result {
        let st = self.dev.pr.lock();
        pr_aptpl::write_res_pr_all_tgt_pts(&st, page).map_err(overflow)
    }

    fn show_holder_tg_port(&self, page: &mut Page<'_>) -> Result {
        let ports = Ports::new(&self.dev, None);
        let st = self.dev.pr.lock();
        pr_aptpl::write_res_pr_holder_tg_port(&st, &ports, page).map_err(overflow)
    }

    fn show_generation(&self, page: &mut Page<'_>) -> Result {
        let st = self.dev.pr.lock();
        pr_aptpl::write_res_pr_generation(&st, page).map_err(overflow)
    }

    fn show_registered(&self, page: &mut Page<'_>) -> Result {
        let ports = Ports::new(&self.dev, None);
        let st = self.dev.pr.lock();
        pr_aptpl::write_res_pr_registered_i_pts(&st, &ports, kernel::page::PAGE_SIZE, page)
            .map_err(overflow)
    }

    fn show_pr_type(&self, page: &mut Page<'_>) -> Result {
        let st = self.dev.pr.lock();
        pr_aptpl::write_res_pr_type(&st, page).map_err(overflow)
    }

    fn show_type(&self, page: &mut Page<'_>) -> Result {
        let mode = self.mode();
        let st = self.dev.pr.lock();
        pr_aptpl::write_res_type(&st, mode, page).map_err(overflow)
    }

    fn show_aptpl_active(&self, page: &mut Page<'_>) -> Result {
        let mode = self.mode();
        let st = self.dev.pr.lock();
        pr_aptpl::write_res_aptpl_active(&st, mode, page).map_err(overflow)
    }
}
