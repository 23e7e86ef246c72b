// SPDX-License-Identifier: GPL-2.0

//! SPC-4 persistent reservations (5.13, 6.15, 6.16) and SPC-2
//! RESERVE/RELEASE, as a state machine over a caller-provided registration
//! store.
//!
//! [`PrState`] holds the registrations (in a [`RegistrationStore`]: a
//! `KVec` in the kernel, a `Vec` in the tests), the reservation, the
//! PRgeneration, whether APTPL is active, and the SPC-2 reservation. The
//! engine calls, under the device's reservation lock:
//! - [`PrState::check_access`] for every command before executing it
//!   (RESERVATION CONFLICT or not);
//! - [`PrState::pr_out`] for PERSISTENT RESERVE OUT, which reports the unit
//!   attentions and task aborts other I_T nexuses need through
//!   [`PrEffects`] and whether the APTPL file must be rewritten;
//! - [`PrState::pr_in`] for PERSISTENT RESERVE IN;
//! - [`PrState::spc2_reserve`] / [`PrState::spc2_release`] for RESERVE and
//!   RELEASE (6/10), [`PrState::spc2_clear`] when a LUN reset or the loss of
//!   the holder's I_T nexus drops the SPC-2 reservation.
//!
//! LIO's target_core_pr.c is the map of behaviour; where it departs from
//! SPC-4 the standard is followed:
//! - an unregistered I_T nexus gets RESERVATION CONFLICT for RESERVE,
//!   RELEASE, CLEAR and REGISTER AND MOVE (LIO: LOGICAL UNIT
//!   COMMUNICATION FAILURE), and a registered one with the wrong key gets
//!   it for RELEASE even when it is not the holder;
//! - RELEASE by the holder with another TYPE is ILLEGAL REQUEST, INVALID
//!   RELEASE OF PERSISTENT RESERVATION (LIO: RESERVATION CONFLICT); a bad
//!   SCOPE is INVALID FIELD IN CDB (LIO: ... IN PARAMETER LIST);
//! - every registrant holds an all registrants reservation (RESERVE of the
//!   same type is GOOD, commands are never in conflict); PREEMPT with a
//!   non-zero key under it only removes registrations; it ends with its
//!   last registrant;
//! - unregistering (REGISTER with key 0) increments PRgeneration;
//! - ALL_TG_PT makes one registration for every target port (LIO makes one
//!   per port, so READ KEYS lists the key once here);
//! - SPEC_I_PT registers the TransportIDs on the receiving target port
//!   (LIO: the first port with an ACL for them); SPC-2 RESERVE/RELEASE
//!   exemptions apply to any registrant under a registrants only / all
//!   registrants reservation (LIO: only to the holder's registration).
//!
//! See [`PrState::check_access`] for the conflict table and
//! [`PrState::pr_in`] for READ FULL STATUS.
//!
//! Compiled both in the kernel modules and on the host: `core` only, no
//! allocation, no panics on any input. Needs siblings `cdb`, `sense` and
//! `pr_transport_id`.

use crate::cdb::{CdbError, DataDirection};
use crate::pr_transport_id::{parse_transport_id, InitiatorPort, Out, Protocol};
use crate::sense::SenseKey;

/// PERSISTENT RESERVE OUT service actions (SPC-4 table 174).
pub mod out_sa {
    pub const REGISTER: u8 = 0x00;
    pub const RESERVE: u8 = 0x01;
    pub const RELEASE: u8 = 0x02;
    pub const CLEAR: u8 = 0x03;
    pub const PREEMPT: u8 = 0x04;
    pub const PREEMPT_AND_ABORT: u8 = 0x05;
    pub const REGISTER_AND_IGNORE_EXISTING_KEY: u8 = 0x06;
    pub const REGISTER_AND_MOVE: u8 = 0x07;
    /// Not supported (as LIO): INVALID FIELD IN CDB.
    pub const REPLACE_LOST_RESERVATION: u8 = 0x08;
}

/// PERSISTENT RESERVE IN service actions (SPC-4 table 162).
pub mod in_sa {
    pub const READ_KEYS: u8 = 0x00;
    pub const READ_RESERVATION: u8 = 0x01;
    pub const REPORT_CAPABILITIES: u8 = 0x02;
    pub const READ_FULL_STATUS: u8 = 0x03;
}

/// The LU_SCOPE value of the SCOPE field, the only one there is.
pub const SCOPE_LU: u8 = 0;

/// Persistent reservation types (SPC-4 table 167).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PrType {
    WriteExclusive = 0x1,
    ExclusiveAccess = 0x3,
    WriteExclusiveRegistrantsOnly = 0x5,
    ExclusiveAccessRegistrantsOnly = 0x6,
    WriteExclusiveAllRegistrants = 0x7,
    ExclusiveAccessAllRegistrants = 0x8,
}

impl PrType {
    /// Every type, in TYPE order.
    pub const ALL: [PrType; 6] = [
        Self::WriteExclusive,
        Self::ExclusiveAccess,
        Self::WriteExclusiveRegistrantsOnly,
        Self::ExclusiveAccessRegistrantsOnly,
        Self::WriteExclusiveAllRegistrants,
        Self::ExclusiveAccessAllRegistrants,
    ];

    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0x1 => Some(Self::WriteExclusive),
            0x3 => Some(Self::ExclusiveAccess),
            0x5 => Some(Self::WriteExclusiveRegistrantsOnly),
            0x6 => Some(Self::ExclusiveAccessRegistrantsOnly),
            0x7 => Some(Self::WriteExclusiveAllRegistrants),
            0x8 => Some(Self::ExclusiveAccessAllRegistrants),
            _ => None,
        }
    }

    /// Write Exclusive (any flavour): reads are shared.
    pub const fn write_exclusive(self) -> bool {
        matches!(
            self,
            Self::WriteExclusive
                | Self::WriteExclusiveRegistrantsOnly
                | Self::WriteExclusiveAllRegistrants
        )
    }

    /// Registrants Only types.
    pub const fn registrants_only(self) -> bool {
        matches!(
            self,
            Self::WriteExclusiveRegistrantsOnly | Self::ExclusiveAccessRegistrantsOnly
        )
    }

    /// All Registrants types: every registered I_T nexus is a holder.
    pub const fn all_registrants(self) -> bool {
        matches!(
            self,
            Self::WriteExclusiveAllRegistrants | Self::ExclusiveAccessAllRegistrants
        )
    }

    /// The name LIO's core_scsi3_pr_dump_type gives the type.
    pub const fn lio_name(self) -> &'static str {
        match self {
            Self::WriteExclusive => "Write Exclusive Access",
            Self::ExclusiveAccess => "Exclusive Access",
            Self::WriteExclusiveRegistrantsOnly => "Write Exclusive Access, Registrants Only",
            Self::ExclusiveAccessRegistrantsOnly => "Exclusive Access, Registrants Only",
            Self::WriteExclusiveAllRegistrants => "Write Exclusive Access, All Registrants",
            Self::ExclusiveAccessAllRegistrants => "Exclusive Access, All Registrants",
        }
    }
}

/// The I_T nexus a command arrived on: the initiator port (with the
/// session's ISID for iSCSI) and the relative target port identifier of
/// the target port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nexus<'a> {
    pub initiator: &'a InitiatorPort,
    pub rtpi: u16,
}

/// One registration.
///
/// With `all_tg_pt` one registration stands for the initiator port's I_T
/// nexuses through every target port (SPC-4 allows either view; LIO makes
/// one registration per target port), and `rtpi` is the port it was made
/// through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The initiator port; without an ISID it covers every session of the
    /// iSCSI initiator (a SPEC_I_PT or APTPL registration of a device).
    pub initiator: InitiatorPort,
    pub rtpi: u16,
    pub key: u64,
    pub all_tg_pt: bool,
    /// The APTPL bit of the PERSISTENT RESERVE OUT that registered it.
    pub aptpl: bool,
    /// PRgeneration when the registration was made or its key changed
    /// (LIO's pr_res_generation, shown in `res_pr_registered_i_pts`).
    pub generation: u32,
    /// Holds the (not all registrants) reservation.
    holder: bool,
}

impl Registration {
    /// A registration, not holding any reservation.
    pub const fn new(initiator: InitiatorPort, rtpi: u16, key: u64) -> Self {
        Self {
            initiator,
            rtpi,
            key,
            all_tg_pt: false,
            aptpl: false,
            generation: 0,
            holder: false,
        }
    }

    /// Whether this registration registers `nexus`.
    pub fn matches(&self, nexus: &Nexus<'_>) -> bool {
        (self.all_tg_pt || self.rtpi == nexus.rtpi) && self.initiator.covers(nexus.initiator)
    }

    /// Whether this registration holds a reservation that is not of an
    /// all registrants type (for those, see [`PrState::reservation`]).
    pub const fn is_holder(&self) -> bool {
        self.holder
    }
}

/// The store could not grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoMemory;

/// Ordered storage of registrations. Order matters: READ KEYS, READ FULL
/// STATUS and the APTPL file list registrations in it, as LIO lists them
/// in registration order.
pub trait RegistrationStore {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn get(&self, i: usize) -> Option<&Registration>;
    fn get_mut(&mut self, i: usize) -> Option<&mut Registration>;
    /// Appends; may fail to allocate.
    fn push(&mut self, reg: Registration) -> Result<(), NoMemory>;
    /// Removes entry `i` keeping the order of the others; nothing when `i`
    /// is out of range.
    fn remove(&mut self, i: usize);
}

/// Why a PERSISTENT RESERVE IN/OUT or RESERVE/RELEASE failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrError {
    /// RESERVATION CONFLICT status, no sense data.
    ReservationConflict,
    /// CHECK CONDITION with this sense data.
    Check(CdbError),
}

impl From<CdbError> for PrError {
    fn from(e: CdbError) -> Self {
        Self::Check(e)
    }
}

/// ILLEGAL REQUEST, INSUFFICIENT REGISTRATION RESOURCES (55h/04h).
pub const INSUFFICIENT_REGISTRATION_RESOURCES: CdbError = CdbError {
    key: SenseKey::IllegalRequest,
    asc: 0x55,
    ascq: 0x04,
    field: None,
};

/// ILLEGAL REQUEST, INVALID RELEASE OF PERSISTENT RESERVATION (26h/04h).
pub const INVALID_RELEASE: CdbError = CdbError {
    key: SenseKey::IllegalRequest,
    asc: 0x26,
    ascq: 0x04,
    field: None,
};

const fn param(byte: u16, bit: Option<u8>) -> PrError {
    PrError::Check(CdbError::invalid_param(byte, bit))
}

const fn cdb_field(byte: u16, bit: Option<u8>) -> PrError {
    PrError::Check(CdbError::invalid_field(byte, bit))
}

/// The unit attentions persistent reservations establish (ASC 2Ah).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitAttention {
    /// RESERVATIONS PREEMPTED (2Ah/03h).
    ReservationsPreempted,
    /// RESERVATIONS RELEASED (2Ah/04h).
    ReservationsReleased,
    /// REGISTRATIONS PREEMPTED (2Ah/05h).
    RegistrationsPreempted,
}

impl UnitAttention {
    /// (ASC, ASCQ).
    pub const fn code(self) -> (u8, u8) {
        match self {
            Self::ReservationsPreempted => (0x2a, 0x03),
            Self::ReservationsReleased => (0x2a, 0x04),
            Self::RegistrationsPreempted => (0x2a, 0x05),
        }
    }
}

/// What a PERSISTENT RESERVE OUT does to other I_T nexuses, told to the
/// caller as it happens (after every check has passed: a failing command
/// reports nothing).
pub trait PrEffects {
    /// Establish `ua` for the initiator port of `reg` on this LU: through
    /// `reg.rtpi`, or through every target port if `reg.all_tg_pt`; for
    /// every session of the initiator if `reg.initiator` has no ISID.
    /// `reg` may be gone from the store when this is called.
    fn unit_attention(&mut self, reg: &Registration, ua: UnitAttention);

    /// PREEMPT AND ABORT: abort the tasks of the I_T nexuses `reg` stands
    /// for on this LU (with TAS as for an ABORT TASK SET), except the
    /// PERSISTENT RESERVE OUT command itself, which may be among them.
    fn abort_tasks(&mut self, reg: &Registration);
}

/// What the device knows about its target ports and initiators, for
/// SPEC_I_PT and REGISTER AND MOVE.
pub trait TargetPorts {
    /// The SCSI protocol of the target port `rtpi` of this LU, `None`
    /// when the LU has no such port.
    fn protocol(&self, rtpi: u16) -> Option<Protocol>;

    /// Whether `initiator` may reach this LU through target port `rtpi`
    /// (an ACL maps it, or demo mode); LIO refuses a TransportID without
    /// a node ACL with INVALID FIELD IN PARAMETER LIST.
    fn initiator_known(&self, initiator: &InitiatorPort, rtpi: u16) -> bool;
}

/// The device attributes PERSISTENT RESERVE OUT depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProutOptions {
    /// `force_pr_aptpl`: act as if APTPL were set.
    pub force_aptpl: bool,
    /// `enforce_pr_isids`: SPEC_I_PT iSCSI TransportIDs must name a port
    /// (format 01b, with ISID). LIO's default is on.
    pub enforce_pr_isids: bool,
}

impl Default for ProutOptions {
    fn default() -> Self {
        Self {
            force_aptpl: false,
            enforce_pr_isids: true,
        }
    }
}

/// The CDB fields of PERSISTENT RESERVE OUT (as `cdb::Command` has them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProutCdb {
    pub service_action: u8,
    /// SCOPE, bits 7..4 of byte 2 shifted down.
    pub scope: u8,
    /// TYPE, bits 3..0 of byte 2.
    pub pr_type: u8,
}

/// What must happen to the APTPL metadata file after a PERSISTENT RESERVE
/// OUT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AptplUpdate {
    /// Nothing.
    None,
    /// Rewrite it with the current registrations
    /// (`crate::pr_aptpl::write_file`).
    Write,
    /// Write LIO's "No Registrations or Reservations\n" (APTPL turned off).
    Clear,
}

/// The result of a successful PERSISTENT RESERVE OUT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProutOutcome {
    pub aptpl: AptplUpdate,
}

/// Result of [`PrState::check_access`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// Complete the command with RESERVATION CONFLICT.
    Conflict,
}

/// The reservation and registrations of one logical unit.
#[derive(Clone, Debug)]
pub struct PrState<S> {
    regs: S,
    /// The type of the current reservation. For types other than all
    /// registrants exactly one registration has `holder` set.
    res_type: Option<PrType>,
    generation: u32,
    aptpl_active: bool,
    /// The SPC-2 RESERVE holder: initiator port and RTPI.
    spc2: Option<(InitiatorPort, u16)>,
}

/// The parsed PERSISTENT RESERVE OUT parameter list.
#[derive(Clone, Copy, Debug)]
struct Params<'a> {
    res_key: u64,
    sa_res_key: u64,
    spec_i_pt: bool,
    all_tg_pt: bool,
    aptpl: bool,
    unreg: bool,
    data: &'a [u8],
}

fn be16(d: &[u8], at: usize) -> u16 {
    match d.get(at..at + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

fn be32(d: &[u8], at: usize) -> u32 {
    d.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_be_bytes)
}

fn be64(d: &[u8], at: usize) -> u64 {
    d.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

fn bit(d: &[u8], byte: usize, mask: u8) -> bool {
    d.get(byte).is_some_and(|b| b & mask != 0)
}

impl<S: RegistrationStore> PrState<S> {
    /// No registrations, no reservation, PRgeneration 0.
    pub const fn new(store: S) -> Self {
        Self {
            regs: store,
            res_type: None,
            generation: 0,
            aptpl_active: false,
            spc2: None,
        }
    }

    /// The registration store, read-only.
    pub fn store(&self) -> &S {
        &self.regs
    }

    /// The registrations in order.
    pub fn registrations(&self) -> impl Iterator<Item = &Registration> + '_ {
        (0..self.regs.len()).filter_map(move |i| self.regs.get(i))
    }

    /// PRgeneration.
    pub const fn generation(&self) -> u32 {
        self.generation
    }

    /// Whether the last REGISTER (or REGISTER AND MOVE) asked for APTPL.
    pub const fn aptpl_active(&self) -> bool {
        self.aptpl_active
    }

    /// The reservation: its type and, unless it is of an all registrants
    /// type, the holder.
    pub fn reservation(&self) -> Option<(PrType, Option<&Registration>)> {
        let t = self.res_type?;
        Some((t, self.holder_index().and_then(|i| self.regs.get(i))))
    }

    /// The SPC-2 reservation holder.
    pub fn spc2_holder(&self) -> Option<(&InitiatorPort, u16)> {
        self.spc2.as_ref().map(|(p, r)| (p, *r))
    }

    /// The first registration of `nexus`.
    pub fn find(&self, nexus: &Nexus<'_>) -> Option<usize> {
        (0..self.regs.len()).find(|&i| self.regs.get(i).is_some_and(|r| r.matches(nexus)))
    }

    pub fn is_registered(&self, nexus: &Nexus<'_>) -> bool {
        self.find(nexus).is_some()
    }

    fn holder_index(&self) -> Option<usize> {
        (0..self.regs.len()).find(|&i| self.regs.get(i).is_some_and(|r| r.holder))
    }

    /// Whether `nexus` holds the reservation: it is registered under an
    /// all registrants reservation, or its registration holds it.
    pub fn is_holder(&self, nexus: &Nexus<'_>) -> bool {
        match self.res_type {
            None => false,
            Some(t) if t.all_registrants() => self.is_registered(nexus),
            Some(_) => self
                .holder_index()
                .and_then(|i| self.regs.get(i))
                .is_some_and(|r| r.matches(nexus)),
        }
    }

    /// Whether the registration at `i` holds the reservation.
    fn index_is_holder(&self, i: usize) -> bool {
        match self.res_type {
            None => false,
            Some(t) if t.all_registrants() => self.regs.get(i).is_some(),
            Some(_) => self.regs.get(i).is_some_and(|r| r.holder),
        }
    }

    fn bump_generation(&mut self) -> u32 {
        let g = self.generation;
        self.generation = g.wrapping_add(1);
        g
    }

    fn release(&mut self) {
        if let Some(h) = self.holder_index() {
            if let Some(r) = self.regs.get_mut(h) {
                r.holder = false;
            }
        }
        self.res_type = None;
    }

    fn reserve_for(&mut self, i: usize, t: PrType) {
        self.release();
        self.res_type = Some(t);
        if !t.all_registrants() {
            if let Some(r) = self.regs.get_mut(i) {
                r.holder = true;
            }
        }
    }

    /// An all registrants reservation ends with its last registrant.
    fn drop_empty_all_registrants(&mut self) {
        if self.res_type.is_some_and(|t| t.all_registrants()) && self.regs.is_empty() {
            self.res_type = None;
        }
    }

    /// Removes the registrations `remove(index, reg)` selects, calling
    /// `removed(was_keep, reg)` for each just before it goes, and returns
    /// the new index of `keep`. A removed holder takes the (not all
    /// registrants) reservation with it.
    fn remove_where(
        &mut self,
        keep: Option<usize>,
        mut remove: impl FnMut(bool, &Registration) -> bool,
        mut removed: impl FnMut(bool, &Registration),
    ) -> Option<usize> {
        let mut keep = keep;
        let mut i = 0;
        while let Some(r) = self.regs.get(i) {
            let is_keep = keep == Some(i);
            if remove(is_keep, r) {
                removed(is_keep, r);
                if r.holder {
                    self.res_type = None;
                }
                self.regs.remove(i);
                keep = match keep {
                    Some(k) if k == i => None,
                    Some(k) if k > i => Some(k - 1),
                    k => k,
                };
            } else {
                i += 1;
            }
        }
        self.drop_empty_all_registrants();
        keep
    }

    // ---------------------------------------------------------------
    // The conflict check.
    // ---------------------------------------------------------------

    /// Whether the command `cdb` from `nexus` may run given the
    /// reservations: SPC-4 5.13.1 table 63 and SBC-3 4.17 table 13 for a
    /// persistent reservation, SPC-2 5.5.1 for a RESERVE.
    ///
    /// `direction` is the command's data direction (from
    /// `cdb::Decoded`); it classifies the commands neither table names,
    /// as LIO does: data-out commands as writes, data-in as reads, and
    /// (unlike LIO) commands without data as writes.
    ///
    /// Differences from LIO's core_scsi3_pr_seq_non_holder: every
    /// registrant of an all registrants reservation is a holder (LIO
    /// checks only the first); MODE SENSE, READ BUFFER and the other
    /// table-63 "reads" conflict under Exclusive Access for registered
    /// non-holders too (LIO allows them from any registrant); READ
    /// CAPACITY(16) is always allowed (LIO treats it as a read); unknown
    /// PERSISTENT RESERVE OUT and MAINTENANCE IN service actions are left
    /// to the command (LIO conflicts); REQUEST SENSE and REPORT LUNS
    /// pass an SPC-2 reservation (LIO lets only INQUIRY and RELEASE).
    pub fn check_access(&self, nexus: &Nexus<'_>, cdb: &[u8], direction: DataDirection) -> Access {
        let opcode = cdb.first().copied().unwrap_or(0);
        let sa = cdb.get(1).map_or(0, |b| b & 0x1f);
        if let Some((holder, rtpi)) = &self.spc2 {
            return self.spc2_access(holder, *rtpi, nexus, opcode);
        }
        let Some(t) = self.res_type else {
            return Access::Allowed;
        };
        if self.is_holder(nexus) {
            return Access::Allowed;
        }
        let registered = self.is_registered(nexus);
        let class = classify(opcode, sa, cdb, direction);
        let allowed = match class {
            Class::Allowed => true,
            Class::Read => (registered && t.registrants_only()) || t.write_exclusive(),
            Class::Write => registered && t.registrants_only(),
            Class::RegisteredOnly => registered,
            Class::HolderOnly => false,
        };
        if allowed {
            Access::Allowed
        } else {
            Access::Conflict
        }
    }

    fn spc2_access(
        &self,
        holder: &InitiatorPort,
        rtpi: u16,
        nexus: &Nexus<'_>,
        opcode: u8,
    ) -> Access {
        use op::*;
        match opcode {
            INQUIRY | RELEASE_6 | RELEASE_10 | REQUEST_SENSE | REPORT_LUNS => Access::Allowed,
            // SPC-2 5.5.1: while a RESERVE is in effect every PERSISTENT
            // RESERVE IN/OUT conflicts, whoever sends it.
            PERSISTENT_RESERVE_IN | PERSISTENT_RESERVE_OUT => Access::Conflict,
            _ if holder == nexus.initiator && rtpi == nexus.rtpi => Access::Allowed,
            _ => Access::Conflict,
        }
    }

    // ---------------------------------------------------------------
    // SPC-2 RESERVE / RELEASE.
    // ---------------------------------------------------------------

    /// SPC-4 5.13.3 exceptions: a RESERVE/RELEASE from the holder of a
    /// persistent reservation, or from a registrant while a registrants
    /// only or all registrants reservation exists, completes with GOOD
    /// and changes nothing (`Ok(true)`); otherwise any registration makes
    /// it conflict (SPC-2 5.5.1). `Ok(false)`: no registrations, go on.
    fn spc2_vs_pr(&self, nexus: &Nexus<'_>) -> Result<bool, PrError> {
        if self.is_registered(nexus) {
            let exempt = self.is_holder(nexus)
                || self
                    .res_type
                    .is_some_and(|t| t.registrants_only() || t.all_registrants());
            return if exempt {
                Ok(true)
            } else {
                Err(PrError::ReservationConflict)
            };
        }
        if self.regs.is_empty() {
            Ok(false)
        } else {
            Err(PrError::ReservationConflict)
        }
    }

    /// RESERVE(6)/RESERVE(10) (LIO's target_scsi2_reservation_reserve):
    /// `Ok` is GOOD status.
    pub fn spc2_reserve(&mut self, nexus: &Nexus<'_>) -> Result<(), PrError> {
        if self.spc2_vs_pr(nexus)? {
            return Ok(());
        }
        if let Some((holder, rtpi)) = &self.spc2 {
            if holder != nexus.initiator || *rtpi != nexus.rtpi {
                return Err(PrError::ReservationConflict);
            }
        }
        self.spc2 = Some((*nexus.initiator, nexus.rtpi));
        Ok(())
    }

    /// RELEASE(6)/RELEASE(10): releases the holder's reservation; GOOD
    /// without effect from any other I_T nexus.
    pub fn spc2_release(&mut self, nexus: &Nexus<'_>) -> Result<(), PrError> {
        if self.spc2_vs_pr(nexus)? {
            return Ok(());
        }
        if let Some((holder, rtpi)) = &self.spc2 {
            if holder == nexus.initiator && *rtpi == nexus.rtpi {
                self.spc2 = None;
            }
        }
        Ok(())
    }

    /// Drops the SPC-2 reservation (LUN reset, I_T nexus loss of the
    /// holder: LIO's target_release_reservation).
    pub fn spc2_clear(&mut self) {
        self.spc2 = None;
    }

    // ---------------------------------------------------------------
    // Registrations from outside a command.
    // ---------------------------------------------------------------

    /// Drops every registration of `initiator` (any ISID, any target
    /// port), releasing a reservation one of them holds, without unit
    /// attentions: what LIO's core_scsi3_free_pr_reg_from_nacl does when
    /// a node ACL goes.
    pub fn remove_initiator(&mut self, initiator: &InitiatorPort) {
        self.remove_where(
            None,
            |_, r| r.initiator.same_initiator(initiator),
            |_, _| {},
        );
    }

    /// Drops every registration and the reservation (LIO's
    /// core_scsi3_free_all_registrations, when the device goes).
    pub fn clear_all(&mut self) {
        self.remove_where(None, |_, _| true, |_, _| {});
        self.res_type = None;
    }

    /// Adds a registration restored from APTPL metadata, holding a
    /// reservation of type `holds` if given (LIO's
    /// __core_scsi3_check_aptpl_registration), and turns APTPL on.
    /// A reservation is taken only if there is none; an all registrants
    /// type applies to every registrant.
    ///
    /// LIO keeps an ALL_TG_PT registration once per target port and writes
    /// each copy to the file; here it is one registration for every port,
    /// so a record repeating an ALL_TG_PT registration already restored
    /// (same initiator port and key) adds nothing but its reservation.
    pub fn restore(
        &mut self,
        mut reg: Registration,
        holds: Option<PrType>,
    ) -> Result<(), NoMemory> {
        let same = (0..self.regs.len()).find(|&i| {
            self.regs.get(i).is_some_and(|r| {
                reg.all_tg_pt && r.all_tg_pt && r.key == reg.key && r.initiator == reg.initiator
            })
        });
        let i = match same {
            Some(i) => i,
            None => {
                reg.holder = false;
                reg.aptpl = true;
                reg.generation = self.generation;
                self.regs.push(reg)?;
                self.bump_generation();
                self.regs.len().saturating_sub(1)
            }
        };
        if let (Some(t), None) = (holds, self.res_type) {
            self.reserve_for(i, t);
        }
        self.aptpl_active = true;
        Ok(())
    }

    // ---------------------------------------------------------------
    // PERSISTENT RESERVE OUT.
    // ---------------------------------------------------------------

    /// PERSISTENT RESERVE OUT from `nexus` with the CDB fields `cdb` and
    /// the parameter list `data` (its length is the PARAMETER LIST
    /// LENGTH; the engine has transferred it).
    ///
    /// On `Ok` the command completes with GOOD; `effects` has been told
    /// the unit attentions and aborts to establish, and the outcome says
    /// whether the APTPL file must be rewritten. On `Err` nothing changed
    /// and `effects` was not called.
    pub fn pr_out<P: TargetPorts, E: PrEffects>(
        &mut self,
        nexus: &Nexus<'_>,
        cdb: &ProutCdb,
        data: &[u8],
        opts: &ProutOptions,
        ports: &P,
        effects: &mut E,
    ) -> Result<ProutOutcome, PrError> {
        if self.spc2.is_some() {
            return Err(PrError::ReservationConflict);
        }
        if data.len() < 24 {
            return Err(PrError::Check(CdbError::param_list_length()));
        }
        let sa = cdb.service_action;
        let mv = sa == out_sa::REGISTER_AND_MOVE;
        let mut p = Params {
            res_key: be64(data, 0),
            sa_res_key: be64(data, 8),
            spec_i_pt: !mv && bit(data, 20, 0x08),
            all_tg_pt: !mv && bit(data, 20, 0x04),
            aptpl: bit(data, if mv { 17 } else { 20 }, 0x01),
            unreg: mv && bit(data, 17, 0x02),
            data,
        };
        if opts.force_aptpl {
            p.aptpl = true;
        }
        if p.spec_i_pt && sa != out_sa::REGISTER {
            return Err(param(20, Some(3)));
        }
        if !p.spec_i_pt && !mv && data.len() != 24 {
            return Err(PrError::Check(CdbError::param_list_length()));
        }
        match sa {
            out_sa::REGISTER => self.register(nexus, &p, false, opts, ports, effects),
            out_sa::REGISTER_AND_IGNORE_EXISTING_KEY => {
                self.register(nexus, &p, true, opts, ports, effects)
            }
            out_sa::RESERVE => self.reserve(nexus, cdb, &p),
            out_sa::RELEASE => self.release_sa(nexus, cdb, &p, effects),
            out_sa::CLEAR => self.clear(nexus, &p, effects),
            out_sa::PREEMPT => self.preempt(nexus, cdb, &p, false, effects),
            out_sa::PREEMPT_AND_ABORT => self.preempt(nexus, cdb, &p, true, effects),
            out_sa::REGISTER_AND_MOVE => self.register_and_move(nexus, &p, ports),
            _ => Err(cdb_field(1, Some(4))),
        }
    }

    /// The caller's registration with the right key (SPC-4 6.16.2:
    /// RESERVATION CONFLICT for an unregistered I_T nexus or a key that
    /// does not match; LIO answers LOGICAL UNIT COMMUNICATION FAILURE for
    /// the unregistered one on RESERVE, RELEASE, CLEAR and REGISTER AND
    /// MOVE).
    fn caller(&self, nexus: &Nexus<'_>, res_key: u64) -> Result<usize, PrError> {
        let i = self.find(nexus).ok_or(PrError::ReservationConflict)?;
        match self.regs.get(i) {
            Some(r) if r.key == res_key => Ok(i),
            _ => Err(PrError::ReservationConflict),
        }
    }

    fn aptpl_if_active(&self) -> AptplUpdate {
        if self.aptpl_active {
            AptplUpdate::Write
        } else {
            AptplUpdate::None
        }
    }

    fn set_aptpl(&mut self, aptpl: bool) -> AptplUpdate {
        self.aptpl_active = aptpl;
        if aptpl {
            AptplUpdate::Write
        } else {
            AptplUpdate::Clear
        }
    }

    fn register<P: TargetPorts, E: PrEffects>(
        &mut self,
        nexus: &Nexus<'_>,
        p: &Params<'_>,
        ignore_key: bool,
        opts: &ProutOptions,
        ports: &P,
        effects: &mut E,
    ) -> Result<ProutOutcome, PrError> {
        let Some(i) = self.find(nexus) else {
            if !ignore_key && p.res_key != 0 {
                return Err(PrError::ReservationConflict);
            }
            if p.sa_res_key == 0 {
                // Unregistering an unregistered nexus: GOOD, nothing else
                // (no PRgeneration change, no APTPL write, as LIO).
                return Ok(ProutOutcome {
                    aptpl: AptplUpdate::None,
                });
            }
            self.add_registrations(nexus, p, opts, ports)?;
            let aptpl = self.set_aptpl(p.aptpl);
            return Ok(ProutOutcome { aptpl });
        };
        let Some(reg) = self.regs.get(i) else {
            return Err(PrError::ReservationConflict);
        };
        if !ignore_key && p.res_key != reg.key {
            return Err(PrError::ReservationConflict);
        }
        if p.spec_i_pt {
            return Err(param(20, Some(3)));
        }
        if reg.all_tg_pt && !p.all_tg_pt {
            // LIO: INVALID FIELD IN CDB, without a pointer.
            return Err(param(20, Some(2)));
        }
        if p.sa_res_key != 0 {
            let g = self.bump_generation();
            if let Some(reg) = self.regs.get_mut(i) {
                reg.key = p.sa_res_key;
                reg.generation = g;
                reg.aptpl = p.aptpl;
            }
        } else {
            self.unregister(i, effects);
        }
        let aptpl = self.set_aptpl(p.aptpl);
        Ok(ProutOutcome { aptpl })
    }

    /// Unregisters registration `i` (SPC-4 5.13.11.3): a holder releases
    /// its reservation, and if that was of a registrants only type the
    /// remaining registrants get RESERVATIONS RELEASED; an all registrants
    /// reservation goes with its last registrant.
    fn unregister<E: PrEffects>(&mut self, i: usize, effects: &mut E) {
        let released = self
            .regs
            .get(i)
            .is_some_and(|r| r.holder)
            .then_some(self.res_type)
            .flatten();
        self.remove_where(Some(i), |k, _| k, |_, _| {});
        self.bump_generation();
        if released.is_some_and(|t| t.registrants_only()) {
            for r in self.registrations() {
                effects.unit_attention(r, UnitAttention::ReservationsReleased);
            }
        }
    }

    /// REGISTER of an unregistered nexus: the nexus itself and, with
    /// SPEC_I_PT, the TransportIDs of the parameter list, all or nothing.
    fn add_registrations<P: TargetPorts>(
        &mut self,
        nexus: &Nexus<'_>,
        p: &Params<'_>,
        opts: &ProutOptions,
        ports: &P,
    ) -> Result<(), PrError> {
        let start = self.regs.len();
        let mut reg = Registration::new(*nexus.initiator, nexus.rtpi, p.sa_res_key);
        reg.all_tg_pt = p.all_tg_pt;
        reg.aptpl = p.aptpl;
        self.regs
            .push(reg)
            .map_err(|_| PrError::Check(INSUFFICIENT_REGISTRATION_RESOURCES))?;
        if p.spec_i_pt {
            if let Err(e) = self.add_spec_i_pt(nexus, p, opts, ports) {
                while self.regs.len() > start {
                    self.regs.remove(self.regs.len() - 1);
                }
                return Err(e);
            }
        }
        for i in start..self.regs.len() {
            let g = self.bump_generation();
            if let Some(r) = self.regs.get_mut(i) {
                r.generation = g;
            }
        }
        Ok(())
    }

    fn add_spec_i_pt<P: TargetPorts>(
        &mut self,
        nexus: &Nexus<'_>,
        p: &Params<'_>,
        opts: &ProutOptions,
        ports: &P,
    ) -> Result<(), PrError> {
        let data = p.data;
        if data.len() < 28 {
            return Err(param(24, None));
        }
        let tpdl = be32(data, 24) as usize;
        if tpdl.checked_add(28) != Some(data.len()) {
            return Err(param(24, None));
        }
        let mut at = 28;
        while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
            let (port, len) = parse_transport_id(rest).map_err(|e| {
                param(
                    u16::try_from(at + usize::from(e.byte)).unwrap_or(u16::MAX),
                    e.bit,
                )
            })?;
            let fp = u16::try_from(at).unwrap_or(u16::MAX);
            if opts.enforce_pr_isids && port.protocol() == Protocol::Iscsi && port.isid().is_none()
            {
                return Err(param(fp, None));
            }
            if !ports.initiator_known(&port, nexus.rtpi) {
                return Err(param(fp, None));
            }
            let dest = Nexus {
                initiator: &port,
                rtpi: nexus.rtpi,
            };
            // Already registered (or listed twice): skipped, as LIO.
            if self.find(&dest).is_none() {
                let mut reg = Registration::new(port, nexus.rtpi, p.sa_res_key);
                reg.all_tg_pt = p.all_tg_pt;
                reg.aptpl = p.aptpl;
                self.regs
                    .push(reg)
                    .map_err(|_| PrError::Check(INSUFFICIENT_REGISTRATION_RESOURCES))?;
            }
            at += len;
        }
        Ok(())
    }

    fn check_type_scope(cdb: &ProutCdb) -> Result<PrType, PrError> {
        let t = PrType::from_u8(cdb.pr_type).ok_or(cdb_field(2, Some(3)))?;
        if cdb.scope != SCOPE_LU {
            // LIO: INVALID FIELD IN PARAMETER LIST; SPC-4 wants the CDB.
            return Err(cdb_field(2, Some(7)));
        }
        Ok(t)
    }

    fn reserve(
        &mut self,
        nexus: &Nexus<'_>,
        cdb: &ProutCdb,
        p: &Params<'_>,
    ) -> Result<ProutOutcome, PrError> {
        // LIO checks TYPE before anything else.
        PrType::from_u8(cdb.pr_type).ok_or(cdb_field(2, Some(3)))?;
        let i = self.caller(nexus, p.res_key)?;
        let t = Self::check_type_scope(cdb)?;
        match self.res_type {
            Some(current) => {
                if !self.index_is_holder(i) || current != t {
                    return Err(PrError::ReservationConflict);
                }
                Ok(ProutOutcome {
                    aptpl: AptplUpdate::None,
                })
            }
            None => {
                self.reserve_for(i, t);
                Ok(ProutOutcome {
                    aptpl: self.aptpl_if_active(),
                })
            }
        }
    }

    fn release_sa<E: PrEffects>(
        &mut self,
        nexus: &Nexus<'_>,
        cdb: &ProutCdb,
        p: &Params<'_>,
        effects: &mut E,
    ) -> Result<ProutOutcome, PrError> {
        let i = self.caller(nexus, p.res_key)?;
        let none = ProutOutcome {
            aptpl: AptplUpdate::None,
        };
        let Some(current) = self.res_type else {
            return Ok(none);
        };
        if !self.index_is_holder(i) {
            return Ok(none);
        }
        if cdb.scope != SCOPE_LU || cdb.pr_type != current as u8 {
            // SPC-4 5.13.11.2.2; LIO answers RESERVATION CONFLICT.
            return Err(PrError::Check(INVALID_RELEASE));
        }
        self.release();
        if current.registrants_only() || current.all_registrants() {
            for (k, r) in self.registrations().enumerate() {
                if k != i {
                    effects.unit_attention(r, UnitAttention::ReservationsReleased);
                }
            }
        }
        Ok(ProutOutcome {
            aptpl: self.aptpl_if_active(),
        })
    }

    fn clear<E: PrEffects>(
        &mut self,
        nexus: &Nexus<'_>,
        p: &Params<'_>,
        effects: &mut E,
    ) -> Result<ProutOutcome, PrError> {
        let i = self.caller(nexus, p.res_key)?;
        self.release();
        self.remove_where(
            Some(i),
            |_, _| true,
            |is_caller, r| {
                if !is_caller {
                    effects.unit_attention(r, UnitAttention::ReservationsPreempted);
                }
            },
        );
        self.bump_generation();
        // LIO writes the empty APTPL file and turns APTPL off.
        Ok(ProutOutcome {
            aptpl: self.set_aptpl(false),
        })
    }

    fn preempt<E: PrEffects>(
        &mut self,
        nexus: &Nexus<'_>,
        cdb: &ProutCdb,
        p: &Params<'_>,
        abort: bool,
        effects: &mut E,
    ) -> Result<ProutOutcome, PrError> {
        let i = self.caller(nexus, p.res_key)?;
        let sa_key = p.sa_res_key;
        let all_reg = self.res_type.is_some_and(|t| t.all_registrants());
        if !all_reg && sa_key == 0 {
            return Err(param(8, None));
        }
        let holder_key = self
            .holder_index()
            .and_then(|h| self.regs.get(h))
            .map(|r| r.key);
        // SPC-4 figure 8: preempt the reservation when the key names the
        // holder, or is zero under an all registrants reservation;
        // otherwise only remove registrations. (LIO also preempts an all
        // registrants reservation when the key is that of the registrant
        // that made it.)
        let preempt_res = match self.res_type {
            None => false,
            Some(_) if all_reg => sa_key == 0,
            Some(_) => holder_key == Some(sa_key),
        };
        if !preempt_res {
            let matched = self.registrations().any(|r| r.key == sa_key);
            if !matched {
                return Err(PrError::ReservationConflict);
            }
            self.remove_where(
                Some(i),
                |_, r| r.key == sa_key,
                |is_caller, r| {
                    if abort {
                        effects.abort_tasks(r);
                    }
                    if !is_caller {
                        effects.unit_attention(r, UnitAttention::RegistrationsPreempted);
                    }
                },
            );
            self.bump_generation();
            return Ok(ProutOutcome {
                aptpl: self.aptpl_if_active(),
            });
        }
        let t = Self::check_type_scope(cdb)?;
        let old = self.res_type;
        self.release();
        if abort {
            // The caller's own tasks go too when its key is the one being
            // preempted (or all are, under all registrants with key 0).
            if let Some(r) = self.regs.get(i) {
                if sa_key == 0 || r.key == sa_key {
                    effects.abort_tasks(r);
                }
            }
        }
        let i = self
            .remove_where(
                Some(i),
                |is_caller, r| !is_caller && (sa_key == 0 || r.key == sa_key),
                |_, r| {
                    if abort {
                        effects.abort_tasks(r);
                    }
                    effects.unit_attention(r, UnitAttention::RegistrationsPreempted);
                },
            )
            .unwrap_or(0);
        self.reserve_for(i, t);
        if old != Some(t) {
            for (k, r) in self.registrations().enumerate() {
                if k != i {
                    effects.unit_attention(r, UnitAttention::ReservationsReleased);
                }
            }
        }
        self.bump_generation();
        Ok(ProutOutcome {
            aptpl: self.aptpl_if_active(),
        })
    }

    fn register_and_move<P: TargetPorts>(
        &mut self,
        nexus: &Nexus<'_>,
        p: &Params<'_>,
        ports: &P,
    ) -> Result<ProutOutcome, PrError> {
        let i = self.caller(nexus, p.res_key)?;
        if p.sa_res_key == 0 {
            return Err(param(8, None));
        }
        let data = p.data;
        let rtpi = be16(data, 18);
        let tid_len = be32(data, 20) as usize;
        if tid_len.checked_add(24) != Some(data.len()) {
            return Err(param(20, None));
        }
        let Some(proto) = ports.protocol(rtpi) else {
            return Err(param(18, None));
        };
        let tid = data.get(24..).unwrap_or(&[]);
        if tid.first().map(|b| b & 0x0f) != Some(proto as u8) {
            return Err(param(24, Some(3)));
        }
        let (port, _) =
            parse_transport_id(tid).map_err(|e| param(24u16.saturating_add(e.byte), e.bit))?;
        // The TransportID may not name the caller's own initiator port
        // (LIO: same name and, for iSCSI, same ISID or either missing).
        if port.same_initiator(nexus.initiator)
            && (port.isid().is_none()
                || nexus.initiator.isid().is_none()
                || port.isid() == nexus.initiator.isid())
        {
            return Err(param(24, None));
        }
        if !ports.initiator_known(&port, rtpi) {
            return Err(param(24, None));
        }
        let Some(t) = self.res_type else {
            return Err(cdb_field(1, Some(4)));
        };
        if !self.index_is_holder(i) || t.all_registrants() {
            return Err(PrError::ReservationConflict);
        }
        let dest_nexus = Nexus {
            initiator: &port,
            rtpi,
        };
        // A device-level registration of the caller may cover the
        // destination port: the destination then gets its own.
        let dest = match self.find(&dest_nexus).filter(|&d| d != i) {
            Some(d) => {
                let g = self.bump_generation();
                if let Some(r) = self.regs.get_mut(d) {
                    r.key = p.sa_res_key;
                    r.generation = g;
                }
                d
            }
            None => {
                let mut reg = Registration::new(port, rtpi, p.sa_res_key);
                reg.aptpl = p.aptpl;
                reg.generation = self.generation;
                self.regs
                    .push(reg)
                    .map_err(|_| PrError::Check(INSUFFICIENT_REGISTRATION_RESOURCES))?;
                self.bump_generation();
                self.regs.len() - 1
            }
        };
        self.reserve_for(dest, t);
        if p.unreg {
            self.remove_where(Some(i), |k, _| k, |_, _| {});
        }
        Ok(ProutOutcome {
            aptpl: self.set_aptpl(p.aptpl),
        })
    }

    // ---------------------------------------------------------------
    // PERSISTENT RESERVE IN.
    // ---------------------------------------------------------------

    /// PERSISTENT RESERVE IN with `service_action` into `out` (its length
    /// is the ALLOCATION LENGTH); returns the full length of the data.
    ///
    /// As LIO: an allocation length below 8 (6 for REPORT CAPABILITIES)
    /// is INVALID FIELD IN CDB; an SPC-2 reservation makes it conflict.
    /// Unlike LIO, READ FULL STATUS reports the full ADDITIONAL LENGTH
    /// when the descriptors do not fit (LIO counts only those that fit).
    pub fn pr_in(&self, service_action: u8, out: &mut [u8]) -> Result<usize, PrError> {
        if self.spc2.is_some() {
            return Err(PrError::ReservationConflict);
        }
        let min = if service_action == in_sa::REPORT_CAPABILITIES {
            6
        } else {
            8
        };
        if service_action <= in_sa::READ_FULL_STATUS && out.len() < min {
            return Err(cdb_field(7, Some(7)));
        }
        let mut w = Out::new(out);
        match service_action {
            in_sa::READ_KEYS => {
                w.put(&self.generation.to_be_bytes());
                let n = self.regs.len().saturating_mul(8);
                w.put(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
                for r in self.registrations() {
                    w.put(&r.key.to_be_bytes());
                }
            }
            in_sa::READ_RESERVATION => {
                w.put(&self.generation.to_be_bytes());
                match self.reservation() {
                    None => w.put(&0u32.to_be_bytes()),
                    Some((t, holder)) => {
                        w.put(&16u32.to_be_bytes());
                        // All registrants: the key is zero (SPC-4 5.13.10).
                        let key = if t.all_registrants() {
                            0
                        } else {
                            holder.map_or(0, |h| h.key)
                        };
                        w.put(&key.to_be_bytes());
                        w.zeros(5);
                        w.put(&[SCOPE_LU << 4 | t as u8, 0, 0]);
                    }
                }
            }
            in_sa::REPORT_CAPABILITIES => {
                // LIO's: CRH, SIP_C, ATP_C, PTPL_C; TMV, ALLOW COMMANDS
                // 001b, PTPL_A; every type but the obsolete ones.
                let ptpl_a = u8::from(self.aptpl_active);
                w.put(&[0, 8, 0x1d, 0x90 | ptpl_a, 0xea, 0x01, 0, 0]);
            }
            in_sa::READ_FULL_STATUS => self.read_full_status(&mut w),
            _ => return Err(cdb_field(1, Some(4))),
        }
        Ok(w.len())
    }

    fn read_full_status(&self, w: &mut Out<'_>) {
        w.put(&self.generation.to_be_bytes());
        let add: usize = self
            .registrations()
            .map(|r| 24 + r.initiator.transport_id_len())
            .sum();
        w.put(&u32::try_from(add).unwrap_or(u32::MAX).to_be_bytes());
        for r in self.registrations() {
            w.put(&r.key.to_be_bytes());
            w.zeros(4);
            let holder = match self.res_type {
                Some(t) if t.all_registrants() || r.holder => Some(t),
                _ => None,
            };
            let flags = u8::from(r.all_tg_pt) << 1 | u8::from(holder.is_some());
            w.put(&[flags, holder.map_or(0, |t| SCOPE_LU << 4 | t as u8)]);
            w.zeros(4);
            // RELATIVE TARGET PORT IDENTIFIER: undefined with ALL_TG_PT,
            // zero as LIO.
            let rtpi = if r.all_tg_pt { 0 } else { r.rtpi };
            w.put(&rtpi.to_be_bytes());
            let tid_len = r.initiator.transport_id_len();
            w.put(&u32::try_from(tid_len).unwrap_or(u32::MAX).to_be_bytes());
            let n = r.initiator.encode_transport_id(w.tail());
            w.advance(n);
        }
    }
}

/// A [`PrEffects`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEffects;

impl PrEffects for NoEffects {
    fn unit_attention(&mut self, _: &Registration, _: UnitAttention) {}
    fn abort_tasks(&mut self, _: &Registration) {}
}

/// How a command from a non-holder fares under a persistent reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Allowed whatever the reservation.
    Allowed,
    /// Allowed under Write Exclusive types and for registrants under
    /// registrants only types; a conflict otherwise.
    Read,
    /// Allowed for registrants under registrants only types only.
    Write,
    /// PERSISTENT RESERVE OUT CLEAR, PREEMPT, PREEMPT AND ABORT,
    /// RELEASE: allowed for any registrant.
    RegisteredOnly,
    /// PERSISTENT RESERVE OUT RESERVE, REGISTER AND MOVE: holders only.
    HolderOnly,
}

/// Operation codes the conflict tables name.
mod op {
    pub const TEST_UNIT_READY: u8 = 0x00;
    pub const REQUEST_SENSE: u8 = 0x03;
    pub const FORMAT_UNIT: u8 = 0x04;
    pub const READ_6: u8 = 0x08;
    pub const INQUIRY: u8 = 0x12;
    pub const RESERVE_6: u8 = 0x16;
    pub const RELEASE_6: u8 = 0x17;
    pub const MODE_SENSE_6: u8 = 0x1a;
    pub const START_STOP_UNIT: u8 = 0x1b;
    pub const RECEIVE_DIAGNOSTIC: u8 = 0x1c;
    pub const SEND_DIAGNOSTIC: u8 = 0x1d;
    pub const PREVENT_ALLOW: u8 = 0x1e;
    pub const READ_CAPACITY_10: u8 = 0x25;
    pub const READ_10: u8 = 0x28;
    pub const VERIFY_10: u8 = 0x2f;
    pub const PRE_FETCH_10: u8 = 0x34;
    pub const SYNCHRONIZE_CACHE_10: u8 = 0x35;
    pub const READ_BUFFER: u8 = 0x3c;
    pub const WRITE_SAME_10: u8 = 0x41;
    pub const LOG_SENSE: u8 = 0x4d;
    pub const RESERVE_10: u8 = 0x56;
    pub const RELEASE_10: u8 = 0x57;
    pub const MODE_SENSE_10: u8 = 0x5a;
    pub const PERSISTENT_RESERVE_IN: u8 = 0x5e;
    pub const PERSISTENT_RESERVE_OUT: u8 = 0x5f;
    pub const ACCESS_CONTROL_IN: u8 = 0x86;
    pub const ACCESS_CONTROL_OUT: u8 = 0x87;
    pub const READ_16: u8 = 0x88;
    pub const READ_ATTRIBUTE: u8 = 0x8c;
    pub const VERIFY_16: u8 = 0x8f;
    pub const PRE_FETCH_16: u8 = 0x90;
    pub const SYNCHRONIZE_CACHE_16: u8 = 0x91;
    pub const WRITE_SAME_16: u8 = 0x93;
    pub const SERVICE_ACTION_IN_16: u8 = 0x9e;
    pub const REPORT_LUNS: u8 = 0xa0;
    pub const SECURITY_PROTOCOL_IN: u8 = 0xa2;
    pub const MAINTENANCE_IN: u8 = 0xa3;
    pub const READ_12: u8 = 0xa8;
    pub const SERVICE_ACTION_IN_12: u8 = 0xab;
    pub const VERIFY_12: u8 = 0xaf;

    /// SERVICE ACTION IN(16).
    pub const SAI_READ_CAPACITY_16: u8 = 0x10;
    pub const SAI_GET_LBA_STATUS: u8 = 0x12;
    /// SERVICE ACTION IN(12): READ MEDIA SERIAL NUMBER.
    pub const SAI12_READ_MEDIA_SERIAL_NUMBER: u8 = 0x01;
    /// MAINTENANCE IN.
    pub const MI_REPORT_IDENTIFYING_INFORMATION: u8 = 0x05;
    pub const MI_REPORT_TARGET_PGS: u8 = 0x0a;
    pub const MI_REPORT_ALIASES: u8 = 0x0b;
    pub const MI_REPORT_SUPPORTED_OPCODES: u8 = 0x0c;
    pub const MI_REPORT_SUPPORTED_TMFS: u8 = 0x0d;
    pub const MI_REPORT_PRIORITY: u8 = 0x0e;
    pub const MI_REPORT_TIMESTAMP: u8 = 0x0f;
    pub const MI_MANAGEMENT_PROTOCOL_IN: u8 = 0x10;
}

/// The row of SPC-4 table 63 / SBC-3 table 13 a command falls in.
fn classify(opcode: u8, sa: u8, cdb: &[u8], direction: DataDirection) -> Class {
    use op::*;
    let by_direction = match direction {
        DataDirection::FromDevice => Class::Read,
        DataDirection::ToDevice | DataDirection::None => Class::Write,
    };
    match opcode {
        // SPC-4 table 63, allowed in every column.
        INQUIRY
        | LOG_SENSE
        | REPORT_LUNS
        | REQUEST_SENSE
        | TEST_UNIT_READY
        | PERSISTENT_RESERVE_IN
        | ACCESS_CONTROL_IN
        | ACCESS_CONTROL_OUT => Class::Allowed,
        // RESERVE and RELEASE are checked by spc2_reserve/spc2_release
        // (CRH=1, SPC-4 5.13.3).
        RESERVE_6 | RESERVE_10 | RELEASE_6 | RELEASE_10 => Class::Allowed,
        // SBC-3 table 13: READ CAPACITY is allowed everywhere.
        READ_CAPACITY_10 => Class::Allowed,
        SERVICE_ACTION_IN_16 => match sa {
            SAI_READ_CAPACITY_16 => Class::Allowed,
            SAI_GET_LBA_STATUS => Class::Read,
            _ => by_direction,
        },
        SERVICE_ACTION_IN_12 if sa == SAI12_READ_MEDIA_SERIAL_NUMBER => Class::Allowed,
        MAINTENANCE_IN => match sa {
            MI_REPORT_IDENTIFYING_INFORMATION
            | MI_REPORT_TARGET_PGS
            | MI_REPORT_ALIASES
            | MI_REPORT_PRIORITY
            | MI_REPORT_TIMESTAMP => Class::Allowed,
            MI_REPORT_SUPPORTED_OPCODES | MI_REPORT_SUPPORTED_TMFS | MI_MANAGEMENT_PROTOCOL_IN => {
                Class::Read
            }
            _ => by_direction,
        },
        // Table 63 rows allowed under Write Exclusive, not Exclusive
        // Access.
        MODE_SENSE_6 | MODE_SENSE_10 | READ_ATTRIBUTE | READ_BUFFER | RECEIVE_DIAGNOSTIC
        | SECURITY_PROTOCOL_IN => Class::Read,
        // SBC-3 reads.
        READ_6 | READ_10 | READ_12 | READ_16 | VERIFY_10 | VERIFY_12 | VERIFY_16 | PRE_FETCH_10
        | PRE_FETCH_16 => Class::Read,
        // SBC-3 writes without data-out.
        SYNCHRONIZE_CACHE_10 | SYNCHRONIZE_CACHE_16 | WRITE_SAME_10 | WRITE_SAME_16
        | FORMAT_UNIT | SEND_DIAGNOSTIC => Class::Write,
        // SBC-3: START STOP UNIT with START=1 and POWER CONDITION=0 is
        // allowed, any other a write.
        START_STOP_UNIT => {
            let b4 = cdb.get(4).copied().unwrap_or(0);
            if b4 & 0x01 != 0 && b4 & 0xf0 == 0 {
                Class::Allowed
            } else {
                Class::Write
            }
        }
        // PREVENT=0 is allowed, PREVENT=1 a write (table 13).
        PREVENT_ALLOW => {
            if cdb.get(4).copied().unwrap_or(0) & 0x03 == 0 {
                Class::Allowed
            } else {
                Class::Write
            }
        }
        // SPC-4 table 64.
        PERSISTENT_RESERVE_OUT => match sa {
            out_sa::REGISTER | out_sa::REGISTER_AND_IGNORE_EXISTING_KEY => Class::Allowed,
            out_sa::CLEAR | out_sa::PREEMPT | out_sa::PREEMPT_AND_ABORT | out_sa::RELEASE => {
                Class::RegisteredOnly
            }
            out_sa::RESERVE | out_sa::REGISTER_AND_MOVE => Class::HolderOnly,
            // Let the command report the bad service action.
            _ => Class::Allowed,
        },
        _ => by_direction,
    }
}

#[cfg(test)]
mod tests;
