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
//! APTPL, as LIO: after a PERSISTENT RESERVE OUT that LIO would write
//! the metadata for (every REGISTER; the others while APTPL is active),
//! `<dbroot>/pr/aptpl_<unit serial>` gets LIO's text
//! (`pr_aptpl::write_file`, one NUL after it). The text is taken under
//! `pr` and numbered there ([`Aptpl::seq`]); the file is written after
//! `pr` is released, under the device's file mutex, and a snapshot older
//! than the one last written is dropped, so the file never goes back to
//! an earlier state. It is replaced atomically: written to
//! `aptpl_<serial>.tmp`, fsynced, renamed over the file, the directory
//! fsynced (`sys::replace_file`). As LIO, `<dbroot>/pr` must exist: it is
//! not created. A failed write is logged; it fails the command with NOT
//! READY, LOGICAL UNIT COMMUNICATION FAILURE for REGISTER and REGISTER AND
//! IGNORE EXISTING KEY, and is only logged for the others, as LIO.
//!
//! `pr/res_aptpl_metadata` takes one registration of such a file (the
//! block's lines joined by commas, as rtslib writes them) while the device
//! is not exported; it waits in [`Aptpl::pending`] until the LUN mapping it
//! names appears (a mapped LUN of the initiator's ACL, or a demo-mode
//! session seeing the LUN: `TpgState::refresh_views`), and is then
//! restored into the state with its reservation.
//!
//! Lock order: `pr`, then `aptpl.pending`; the file mutex
//! (`aptpl.written`) is never held with `pr`.

use core::fmt;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use kernel::prelude::*;
use kernel::str::{BStr, CString};
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::configfs::{configfs_node_type, Page};
use crate::device::DeviceState;
use crate::lun::LunState;
use crate::pr::{
    self, AptplUpdate, NoMemory, PrEffects, Registration, RegistrationStore, TargetPorts,
};
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

/// `res_aptpl_metadata` records waiting for their LUN mapping, on every
/// device: `TpgState::refresh_views` has nothing to look for while 0.
static APTPL_PENDING: AtomicUsize = AtomicUsize::new(0);

/// Whether any device has APTPL records waiting for their LUN mapping.
pub(crate) fn aptpl_pending() -> bool {
    APTPL_PENDING.load(Ordering::Acquire) != 0
}

/// A device's APTPL metadata: the file and the records to restore.
#[pin_data(PinnedDrop)]
pub(crate) struct Aptpl {
    /// The core's `dbroot`.
    dbroot: Arc<Mutex<CString>>,
    /// The number of the last snapshot of the state taken for the file
    /// (taken under `pr`, so numbers follow the order of states).
    seq: AtomicU64,
    /// The number of the snapshot the file holds: the file's lock, held
    /// while it is written.
    #[pin]
    written: Mutex<u64>,
    /// `res_aptpl_metadata` records (checked by `parse_metadata`) waiting
    /// for their LUN mapping, as written.
    #[pin]
    pending: Mutex<KVec<KVec<u8>>>,
}

impl Aptpl {
    /// The core's `dbroot` now.
    pub(crate) fn dbroot(&self) -> Result<CString> {
        Ok(self.dbroot.lock().to_cstring()?)
    }

    pub(crate) fn new(dbroot: Arc<Mutex<CString>>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            dbroot,
            seq: AtomicU64::new(0),
            written <- new_mutex!(0),
            pending <- new_mutex!(KVec::new()),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for Aptpl {
    fn drop(self: Pin<&mut Self>) {
        let n = self.pending.lock().len();
        APTPL_PENDING.fetch_sub(n, Ordering::AcqRel);
    }
}

/// The text of the APTPL file after a PERSISTENT RESERVE OUT, numbered.
pub(crate) struct AptplSnapshot {
    seq: u64,
    /// LIO's text and one NUL.
    text: KVec<u8>,
}

/// A `fmt::Write` into a `KVec` that fails when memory runs out.
struct TextBuf(KVec<u8>);

impl fmt::Write for TextBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| fmt::Error)
    }
}

/// `a` followed by `b` and `c`, as a C string.
fn join(a: &[u8], b: &[u8], c: &[u8]) -> Result<CString> {
    let mut v = KVec::with_capacity(a.len() + b.len() + c.len(), GFP_KERNEL)?;
    v.extend_from_slice(a, GFP_KERNEL)?;
    v.extend_from_slice(b, GFP_KERNEL)?;
    v.extend_from_slice(c, GFP_KERNEL)?;
    crate::sys::cstring(&v)
}

/// The initiator port of `session` for the SCSI protocol `protocol_id`
/// (the command's, from its fabric): the session's initiator name read as
/// LIO reads an ACL name of that protocol (`naa.` and a SAS address for
/// SAS, as LIO's tcm_loop gives its `naa.` nexuses). A name that does not
/// parse as its protocol's (or a protocol without TransportIDs) is taken
/// as an iSCSI name, so that every session still has a port of its own.
/// An iSCSI session's port is its initiator name with its ISID
/// (`<name>,i,0x<ISID>`), as LIO's.
pub(crate) fn session_port(session: &Session, protocol_id: u8) -> Option<InitiatorPort> {
    Protocol::from_u8(protocol_id)
        .and_then(|p| port_of(session, p))
        .or_else(|| port_of(session, Protocol::Iscsi))
}

/// `session`'s initiator port as a port of `protocol`, if its name is one.
fn port_of(session: &Session, protocol: Protocol) -> Option<InitiatorPort> {
    let name = session.initiator().to_bytes();
    if protocol == Protocol::Iscsi {
        InitiatorPort::iscsi(name, session.isid()).ok()
    } else {
        InitiatorPort::from_acl_name(protocol, name, None).ok()
    }
}

/// Whether `port`, a registration's initiator, is `session`'s.
fn session_is(session: &Session, port: &InitiatorPort) -> bool {
    port_of(session, port.protocol())
        .or_else(|| port_of(session, Protocol::Iscsi))
        .is_some_and(|own| port.covers(&own))
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

    /// The LUNs exporting the device now; ENOMEM if there is no memory to
    /// list them. `pr_ports` is held only while they are copied.
    pub(crate) fn try_ports_snapshot(&self) -> Result<KVec<Arc<LunState>>> {
        let ports = self.pr_ports.lock();
        let mut out = KVec::with_capacity(ports.len(), GFP_KERNEL)?;
        for p in ports.iter() {
            // Cannot fail: room was reserved.
            let _ = out.push(p.clone(), GFP_NOWAIT);
        }
        Ok(out)
    }

    /// The LUNs exporting the device now (none if there is no memory to
    /// list them).
    pub(crate) fn ports_snapshot(&self) -> KVec<Arc<LunState>> {
        self.try_ports_snapshot().unwrap_or_else(|_| KVec::new())
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

    /// The APTPL file's text after `update`, taken under `pr` (`st`);
    /// `None` if the file is left as it is. ENOMEM if the text does not fit
    /// in memory.
    pub(crate) fn aptpl_snapshot(
        &self,
        st: &PrState,
        update: AptplUpdate,
        ports: &Ports,
    ) -> Result<Option<AptplSnapshot>> {
        let mut text = TextBuf(KVec::new());
        match update {
            AptplUpdate::None => return Ok(None),
            AptplUpdate::Write => pr_aptpl::write_file(st, ports, &mut text).map_err(|_| ENOMEM)?,
            AptplUpdate::Clear => text
                .0
                .extend_from_slice(pr_aptpl::FILE_CLEARED.as_bytes(), GFP_KERNEL)?,
        }
        // As LIO: the text and its NUL.
        text.0.push(0, GFP_KERNEL)?;
        let seq = self.aptpl.seq.fetch_add(1, Ordering::AcqRel) + 1;
        Ok(Some(AptplSnapshot { seq, text: text.0 }))
    }

    /// Writes `snap` to `<dbroot>/pr/aptpl_<unit serial>` (atomically),
    /// unless the file already holds a later snapshot. Call without `pr`.
    pub(crate) fn aptpl_write(&self, snap: AptplSnapshot) -> Result {
        let mut written = self.aptpl.written.lock();
        if *written >= snap.seq {
            return Ok(());
        }
        let dir = {
            let dbroot = self.aptpl.dbroot.lock();
            join(dbroot.to_bytes(), b"/pr", b"")?
        };
        let (name, tmp) = {
            let config = self.config.lock();
            let serial = config.wwn.unit_serial.as_str()?.as_bytes();
            (
                join(b"aptpl_", serial, b"")?,
                join(b"aptpl_", serial, b".tmp")?,
            )
        };
        crate::sys::replace_file(&dir, &name, &tmp, &snap.text).inspect_err(|e| {
            pr_err!(
                "SPC-3 PR: could not update APTPL metadata {:?}/{:?}: error {}\n",
                &*dir,
                &*name,
                e.to_errno()
            )
        })?;
        *written = snap.seq;
        Ok(())
    }

    /// Whether `res_aptpl_metadata` records wait for their LUN mapping.
    pub(crate) fn aptpl_has_pending(&self) -> bool {
        !self.aptpl.pending.lock().is_empty()
    }

    /// Restores the pending APTPL records of the LUN mapping of
    /// `initiator` (an ACL's name, or a demo-mode session's) as
    /// `mapped_lun`, through LUN `target_lun` of `tpg` (LIO's
    /// __core_scsi3_check_aptpl_registration).
    pub(crate) fn aptpl_restore(
        &self,
        tpg: &TpgState,
        initiator: &[u8],
        mapped_lun: u64,
        target_lun: u64,
    ) {
        let Some(protocol) = port_protocol(tpg) else {
            return;
        };
        let (rtpi, tag, wwn) = (tpg.rtpi(), tpg.tag(), tpg.wwn_name().to_bytes());
        let mut st = self.pr.lock();
        let mut pending = self.aptpl.pending.lock();
        let mut i = 0;
        while let Some(line) = pending.get(i) {
            let rec = match pr_aptpl::parse_metadata(line) {
                Ok(r) => r,
                // Checked when written: cannot happen.
                Err(_) => {
                    i += 1;
                    continue;
                }
            };
            if !rec.matches_mapping(initiator, mapped_lun, wwn, tag, target_lun) {
                i += 1;
                continue;
            }
            match rec.registration(protocol, rtpi) {
                Ok((reg, holds)) => {
                    if st.restore(reg, holds).is_err() {
                        pr_err!("SPC-3 PR APTPL: no memory to restore a registration\n");
                        i += 1;
                        continue;
                    }
                }
                Err(e) => pr_err!(
                    "SPC-3 PR APTPL: registration of {} dropped: {:?}\n",
                    BStr::from_bytes(initiator),
                    e
                ),
            }
            // In range: cannot fail.
            let _ = pending.remove(i);
            APTPL_PENDING.fetch_sub(1, Ordering::AcqRel);
        }
        drop(pending);
        self.pr_sync(&st);
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
/// PREEMPT AND ABORT's abort is recorded in `aborts`: the core cannot take
/// back a command that got past its reservation check (it may be in its
/// backstore), so `pr_emulate::pr_out` waits for the device's commands to
/// end before it completes (see there).
pub(crate) struct Effects<'a> {
    pub(crate) dev: &'a DeviceState,
    /// PREEMPT AND ABORT preempted a registration.
    pub(crate) aborts: bool,
}

impl PrEffects for Effects<'_> {
    fn unit_attention(&mut self, reg: &Registration, ua: pr::UnitAttention) {
        // Without memory to list the device's LUNs, no nexus gets it.
        let _ = self.dev.for_each_nexus(
            |port| reg.all_tg_pt || port.tpg().rtpi() == reg.rtpi,
            |s, lun| {
                if session_is(s, &reg.initiator) {
                    s.queue_ua(lun, ua.code());
                }
            },
        );
    }

    fn abort_tasks(&mut self, _reg: &Registration) {
        self.aborts = true;
    }
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
            .and_then(|p| p.tpg().fabric().display_name().to_str().ok())
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
            res_aptpl_metadata: rw(DevicePr::show_aptpl_metadata, DevicePr::store_aptpl_metadata),
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

    fn show_aptpl_metadata(&self, page: &mut Page<'_>) -> Result {
        pr_aptpl::write_res_aptpl_metadata(self.mode(), page).map_err(overflow)
    }

    /// One registration of an APTPL file, its lines joined by commas (as
    /// rtslib writes them); kept until its LUN mapping appears. As LIO:
    /// ignored when PR is not emulated or an SPC-2 reservation is held,
    /// EINVAL while the device is exported or for bad metadata.
    fn store_aptpl_metadata(&self, input: &[u8]) -> Result {
        if self.mode() != PrMode::Emulated {
            return Ok(());
        }
        let st = self.dev.pr.lock();
        if st.spc2_holder().is_some() {
            return Ok(());
        }
        if self.dev.is_exported() {
            pr_err!("Unable to process APTPL metadata while active fabric exports exist\n");
            return Err(EINVAL);
        }
        if let Err(e) = pr_aptpl::parse_metadata(input) {
            pr_err!("APTPL metadata refused: {:?}\n", e);
            return Err(EINVAL);
        }
        let mut line = KVec::with_capacity(input.len(), GFP_KERNEL)?;
        line.extend_from_slice(input, GFP_KERNEL)?;
        self.dev.aptpl.pending.lock().push(line, GFP_KERNEL)?;
        APTPL_PENDING.fetch_add(1, Ordering::AcqRel);
        // `st` was held so that no SPC-2 reservation was taken meanwhile.
        drop(st);
        Ok(())
    }

    fn show_aptpl_active(&self, page: &mut Page<'_>) -> Result {
        let mode = self.mode();
        let st = self.dev.pr.lock();
        pr_aptpl::write_res_aptpl_active(&st, mode, page).map_err(overflow)
    }
}
