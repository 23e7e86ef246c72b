// SPDX-License-Identifier: GPL-2.0

//! ALUA access checks: whether a command may run through a target port
//! given the asymmetric access state of the port's target port group
//! (SPC-4 5.15.2), as LIO's `target_alua_state_check()` decides, the LBA
//! dependent state against the device's LBA map, and the TPGS field of the
//! standard INQUIRY data.
//!
//! LIO runs the check when the command is about to execute, after the
//! unit attention check and before the reservation check
//! (`__target_execute_cmd`), and skips it for internal devices and for
//! backends that do ALUA themselves (`TRANSPORT_FLAG_PASSTHROUGH_ALUA`).
//!
//! ```
//! use tcm_proto::alua::{TgPtGp, STATE_STANDBY};
//! use tcm_proto::alua_access::*;
//! use tcm_proto::cdb::{decode, DecodeOptions};
//!
//! let group = TgPtGp { access_state: STATE_STANDBY, ..TgPtGp::default() };
//! let port = PortAccess {
//!     secondary_offline: false, // the LUN's alua_tg_pt_offline
//!     group: Some(GroupAccess::of(&group, 7)),
//! };
//! let cdb = [0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0]; // READ(10)
//! let decoded = decode(&cdb, &DecodeOptions::LIO_DEFAULT).unwrap();
//! // The map is only read in the LBA dependent state.
//! match check(&cdb, &port, data_range(&decoded), None) {
//!     Verdict::Run => {}
//!     Verdict::RunNonOptimized { delay_msecs } => { /* sleep, then run */ }
//!     Verdict::Refuse(e) => assert_eq!((e.asc, e.ascq), (0x04, 0x0b)),
//! }
//! ```
//!
//! Compiled both in the kernel modules and on the host: `core` only, no
//! panics on any input.

use crate::alua::{
    TgPtGp, STATE_ACTIVE_NON_OPTIMIZED, STATE_ACTIVE_OPTIMIZED, STATE_LBA_DEPENDENT, STATE_STANDBY,
    STATE_TRANSITION, STATE_UNAVAILABLE, TPGS_EXPLICIT, TPGS_IMPLICIT,
};
use crate::cdb::{asc, opcode, service_action, CdbError, Command, Decoded};
use crate::sense::SenseKey;

/// ASC 04h, LOGICAL UNIT NOT READY / NOT ACCESSIBLE: the ASCQs of the
/// ALUA states (SPC-4 table D.2).
pub mod ascq {
    /// LOGICAL UNIT NOT ACCESSIBLE, ASYMMETRIC ACCESS STATE TRANSITION.
    pub const TRANSITION: u8 = 0x0a;
    /// LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE.
    pub const STANDBY: u8 = 0x0b;
    /// LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN UNAVAILABLE STATE.
    pub const UNAVAILABLE: u8 = 0x0c;
    /// LOGICAL UNIT NOT READY, OFFLINE.
    pub const OFFLINE: u8 = 0x12;
}

/// The additional sense code of [`ascq`].
pub const ASC_NOT_READY: u8 = 0x04;

/// Operation codes the state filter names that the decoder does not serve.
pub mod other_opcode {
    pub const RECEIVE_DIAGNOSTIC: u8 = 0x1c;
    pub const SEND_DIAGNOSTIC: u8 = 0x1d;
    pub const WRITE_BUFFER: u8 = 0x3b;
    pub const READ_BUFFER: u8 = 0x3c;
    pub const LOG_SELECT: u8 = 0x4c;
    pub const LOG_SENSE: u8 = 0x4d;
    /// WRITE ATOMIC(16), a data CDB for the LBA dependent check.
    pub const WRITE_ATOMIC_16: u8 = 0x9c;
}

/// CHECK CONDITION, NOT READY, ASC 04h with `ascq` (no field pointer).
pub const fn not_accessible(ascq: u8) -> CdbError {
    CdbError {
        key: SenseKey::NotReady,
        asc: ASC_NOT_READY,
        ascq,
        field: None,
    }
}

/// What the check needs of the target port group of the LUN the command
/// came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupAccess {
    /// TARGET PORT GROUP (`tg_pt_gp_id`), for the LBA map.
    pub id: u16,
    /// The primary access state (`STATE_*`).
    pub state: u8,
    /// `nonop_delay_msecs`, for the active/non-optimized state.
    pub nonop_delay_msecs: u32,
}

impl GroupAccess {
    /// The part of a group's settings the check reads.
    pub const fn of(g: &TgPtGp, id: u16) -> Self {
        Self {
            id,
            state: g.access_state,
            nonop_delay_msecs: g.nonop_delay_msecs,
        }
    }
}

/// The ALUA view of the LUN (the target port's export of the device) a
/// command came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortAccess {
    /// The port's secondary state is offline (`alua_tg_pt_offline`, or a
    /// SET TARGET PORT GROUPS to Offline for its relative port id).
    pub secondary_offline: bool,
    /// The LUN's target port group; `None` when it is in none.
    pub group: Option<GroupAccess>,
}

/// The outcome of [`check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Run the command.
    Run,
    /// Active/non-optimized: run the command, after sleeping
    /// `delay_msecs` milliseconds when nonzero (the group's
    /// `nonop_delay_msecs`; LIO's `SCF_ALUA_NON_OPTIMIZED`). Note that
    /// LIO sleeps in `__target_submit`, before the check that sets the
    /// flag has run, so in LIO the delay never happens; honouring it is
    /// the engine's choice.
    RunNonOptimized { delay_msecs: u32 },
    /// Refuse the command with CHECK CONDITION and this sense.
    Refuse(CdbError),
}

/// A device's LBA map, as the LBA dependent check reads it: `lba_map`'s
/// ranges in the order written, each with its target port group states.
pub trait LbaMapView {
    /// The segment size and multiplier of the map's first line. LIO keeps
    /// them as `u32`: pass what it would keep (the low 32 bits of the
    /// written values).
    fn segments(&self) -> (u32, u32);
    /// How many ranges there are.
    fn range_count(&self) -> usize;
    /// Range `i`: its first and last LBA.
    fn range(&self, i: usize) -> Option<(u64, u64)>;
    /// The state (`STATE_*`, see [`lba_map_state`]) range `i` gives the
    /// target port group `id`, `None` when the range does not list it.
    fn member_state(&self, i: usize, id: u16) -> Option<u8>;
}

/// One range of a [`SliceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapRange<'a> {
    pub first: u64,
    pub last: u64,
    /// (target port group id, `STATE_*`), as read from the map: LIO keeps
    /// the id as an `int`, so a negative id matches no group.
    pub members: &'a [(i32, u8)],
}

/// An LBA map held in slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SliceMap<'a> {
    pub segment_size: u32,
    pub segment_multiplier: u32,
    pub ranges: &'a [MapRange<'a>],
}

impl LbaMapView for SliceMap<'_> {
    fn segments(&self) -> (u32, u32) {
        (self.segment_size, self.segment_multiplier)
    }
    fn range_count(&self) -> usize {
        self.ranges.len()
    }
    fn range(&self, i: usize) -> Option<(u64, u64)> {
        self.ranges.get(i).map(|r| (r.first, r.last))
    }
    fn member_state(&self, i: usize, id: u16) -> Option<u8> {
        let r = self.ranges.get(i)?;
        r.members
            .iter()
            .find(|(g, _)| *g == i32::from(id))
            .map(|(_, s)| *s)
    }
}

/// The access state an `lba_map` state letter stands for (`O`, `A`, `S`,
/// `U`, as LIO's configfs reads them).
pub const fn lba_map_state(letter: u8) -> Option<u8> {
    match letter {
        b'O' => Some(STATE_ACTIVE_OPTIMIZED),
        b'A' => Some(STATE_ACTIVE_NON_OPTIMIZED),
        b'S' => Some(STATE_STANDBY),
        b'U' => Some(STATE_UNAVAILABLE),
        _ => None,
    }
}

/// The LBAs a command reads or writes, for the LBA dependent check:
/// `(first lba, blocks)` of the commands LIO marks `SCF_SCSI_DATA_CDB`
/// (READ, WRITE, WRITE AND VERIFY, COMPARE AND WRITE; not VERIFY, WRITE
/// SAME, SYNCHRONIZE CACHE or UNMAP, which LIO lets through). LIO checks
/// `data_length / block_size` blocks, which for COMPARE AND WRITE is twice
/// the blocks the command touches; we check the blocks it touches.
pub fn data_range(d: &Decoded) -> Option<(u64, u64)> {
    match d.command {
        Command::Read(rw) | Command::Write(rw) | Command::WriteAndVerify(rw) => {
            Some((rw.lba, u64::from(rw.blocks)))
        }
        Command::CompareAndWrite { lba, blocks, .. } => Some((lba, u64::from(blocks))),
        _ => None,
    }
}

fn byte(cdb: &[u8], i: usize) -> Option<u8> {
    cdb.get(i).copied()
}

/// REPORT TARGET PORT GROUPS: MAINTENANCE IN, service action 0Ah.
fn is_rtpg(cdb: &[u8]) -> bool {
    byte(cdb, 0) == Some(opcode::MAINTENANCE_IN)
        && byte(cdb, 1).map(|b| b & 0x1f) == Some(service_action::REPORT_TARGET_PORT_GROUPS)
}

/// SET TARGET PORT GROUPS: MAINTENANCE OUT with byte 1 exactly 0Ah (LIO
/// does not mask the reserved bits here).
fn is_stpg(cdb: &[u8]) -> bool {
    byte(cdb, 0) == Some(opcode::MAINTENANCE_OUT)
        && byte(cdb, 1) == Some(service_action::SET_TARGET_PORT_GROUPS)
}

/// Allowed in every state but active: INQUIRY, REPORT LUNS, REQUEST SENSE,
/// READ BUFFER, WRITE BUFFER and REPORT TARGET PORT GROUPS.
fn always_allowed(cdb: &[u8]) -> bool {
    use other_opcode::*;
    matches!(
        byte(cdb, 0),
        Some(
            opcode::INQUIRY
                | opcode::REPORT_LUNS
                | opcode::REQUEST_SENSE
                | READ_BUFFER
                | WRITE_BUFFER
        )
    ) || is_rtpg(cdb)
}

/// Commands a port in standby serves (LIO's list, after SPC-4 r17
/// 5.9.2.4.4). LIO names only the 6-byte MODE SENSE and MODE SELECT:
/// their 10-byte forms are refused, as is REPORT SUPPORTED OPERATION
/// CODES, which SPC-4 also allows.
pub fn standby_allows(cdb: &[u8]) -> bool {
    use other_opcode::*;
    if always_allowed(cdb) || is_stpg(cdb) {
        return true;
    }
    match byte(cdb, 0) {
        Some(
            LOG_SELECT
            | LOG_SENSE
            | opcode::MODE_SELECT_6
            | opcode::MODE_SENSE_6
            | RECEIVE_DIAGNOSTIC
            | SEND_DIAGNOSTIC
            | opcode::READ_CAPACITY_10
            | opcode::PERSISTENT_RESERVE_IN
            | opcode::PERSISTENT_RESERVE_OUT,
        ) => true,
        Some(opcode::SERVICE_ACTION_IN_16) => {
            byte(cdb, 1).map(|b| b & 0x1f) == Some(service_action::READ_CAPACITY_16)
        }
        _ => false,
    }
}

/// Commands a port in the unavailable state serves (LIO's list, after
/// SPC-4 r17 5.9.2.4.5).
pub fn unavailable_allows(cdb: &[u8]) -> bool {
    always_allowed(cdb) || is_stpg(cdb)
}

/// Commands a port in transition serves (LIO's list, after SPC-4 r17
/// 5.9.2.5): not SET TARGET PORT GROUPS.
pub fn transition_allows(cdb: &[u8]) -> bool {
    always_allowed(cdb)
}

/// Whether `cdb` may run through a port with access `port`, as LIO's
/// `target_alua_state_check()`:
///
/// - the port's secondary state offline refuses everything (even INQUIRY)
///   with NOT READY, 04h/12h;
/// - no group, or active/optimized: run;
/// - active/non-optimized: run, with the group's non-optimized delay;
/// - standby, unavailable, transitioning: the commands of
///   [`standby_allows`], [`unavailable_allows`], [`transition_allows`]
///   run, anything else gets NOT READY, 04h/0Bh, 0Ch, 0Ah;
/// - LBA dependent: the LBAs of `data` (see [`data_range`]; `None` for a
///   command that moves no blocks, which runs) are looked up in `map`
///   (`None`: no map): an LBA in no range refuses with 04h/0Ch, a range
///   giving the group standby or unavailable with 04h/0Bh or 04h/0Ch;
/// - offline as the group's primary state, or any other value: LIO
///   refuses every command with ILLEGAL REQUEST, INVALID FIELD IN CDB (no
///   field pointer), and so do we. (The offline state SPC-4 describes is
///   the port's secondary one above.)
pub fn check(
    cdb: &[u8],
    port: &PortAccess,
    data: Option<(u64, u64)>,
    map: Option<&dyn LbaMapView>,
) -> Verdict {
    if port.secondary_offline {
        return Verdict::Refuse(not_accessible(ascq::OFFLINE));
    }
    let Some(group) = port.group else {
        return Verdict::Run;
    };
    let refuse_unless = |allowed: bool, code: u8| {
        if allowed {
            Verdict::Run
        } else {
            Verdict::Refuse(not_accessible(code))
        }
    };
    match group.state {
        STATE_ACTIVE_OPTIMIZED => Verdict::Run,
        STATE_ACTIVE_NON_OPTIMIZED => Verdict::RunNonOptimized {
            delay_msecs: group.nonop_delay_msecs,
        },
        STATE_STANDBY => refuse_unless(standby_allows(cdb), ascq::STANDBY),
        STATE_UNAVAILABLE => refuse_unless(unavailable_allows(cdb), ascq::UNAVAILABLE),
        STATE_TRANSITION => refuse_unless(transition_allows(cdb), ascq::TRANSITION),
        STATE_LBA_DEPENDENT => match data {
            None => Verdict::Run,
            Some((lba, blocks)) => match lba_dependent(group.id, lba, blocks, map) {
                Ok(()) => Verdict::Run,
                Err(e) => Verdict::Refuse(e),
            },
        },
        _ => Verdict::Refuse(CdbError {
            key: SenseKey::IllegalRequest,
            asc: asc::INVALID_FIELD_IN_CDB.0,
            ascq: asc::INVALID_FIELD_IN_CDB.1,
            field: None,
        }),
    }
}

/// The LBA dependent check of `blocks` blocks from `lba` for target port
/// group `id`, as LIO's `core_alua_state_lba_dependent()`:
///
/// - without a segment multiplier, each LBA is looked up in the ranges in
///   order (first range holding it wins), and the walk goes on after the
///   range's last LBA;
/// - with one, LIO looks up `lba % (size * multiplier)` (a 32-bit product)
///   among the ranges `[first, first + size - 1]`, and steps by `size`.
///
/// Where LIO would divide by zero (a zero product, a zero segment size
/// included) we find no range, and where it would wrap past the last LBA
/// we stop.
pub fn lba_dependent(
    id: u16,
    lba: u64,
    blocks: u64,
    map: Option<&dyn LbaMapView>,
) -> Result<(), CdbError> {
    let end = lba.saturating_add(blocks);
    if lba >= end {
        return Ok(());
    }
    let Some(map) = map else {
        return Err(not_accessible(ascq::UNAVAILABLE));
    };
    let (size, mult) = map.segments();
    let modulus = u64::from(size.wrapping_mul(mult));
    let mut at = lba;
    while at < end {
        let mut found = None;
        for i in 0..map.range_count() {
            let Some((first, last)) = map.range(i) else {
                continue;
            };
            if mult != 0 {
                if modulus == 0 {
                    break;
                }
                let offset = at % modulus;
                let seg_last = first.wrapping_add(u64::from(size)).wrapping_sub(1);
                if offset >= first && offset <= seg_last {
                    found = Some((i, at.checked_add(u64::from(size))));
                    break;
                }
            } else if at >= first && at <= last {
                found = Some((i, last.checked_add(1)));
                break;
            }
        }
        let Some((i, next)) = found else {
            return Err(not_accessible(ascq::UNAVAILABLE));
        };
        match map.member_state(i, id) {
            Some(STATE_STANDBY) => return Err(not_accessible(ascq::STANDBY)),
            Some(STATE_UNAVAILABLE) => return Err(not_accessible(ascq::UNAVAILABLE)),
            _ => {}
        }
        match next {
            Some(n) if n > at => at = n,
            _ => break,
        }
    }
    Ok(())
}

/// The TPGS field of the standard INQUIRY data (0 to 3, for
/// [`crate::vpd::StandardInquiry::tpgs`]): the access type of the LUN's
/// target port group, 0 when it is in none.
pub const fn tpgs(group: Option<&TgPtGp>) -> u8 {
    match group {
        Some(g) => (g.access_type & (TPGS_IMPLICIT | TPGS_EXPLICIT)) >> 4,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alua::{STATE_OFFLINE, TPGS_EXPLICIT, TPGS_IMPLICIT};
    use crate::cdb::{decode, DecodeOptions};
    use std::vec::Vec;

    const STANDBY: CdbError = not_accessible(0x0b);
    const UNAVAILABLE: CdbError = not_accessible(0x0c);
    const TRANSITION: CdbError = not_accessible(0x0a);
    const OFFLINE: CdbError = not_accessible(0x12);

    fn port(state: u8) -> PortAccess {
        PortAccess {
            secondary_offline: false,
            group: Some(GroupAccess {
                id: 1,
                state,
                nonop_delay_msecs: 100,
            }),
        }
    }

    fn run(cdb: &[u8], state: u8) -> Verdict {
        check(cdb, &port(state), None, None)
    }

    /// The commands LIO lets through in each state, written out from
    /// target_core_alua.c: (opcode, byte 1 or None for any).
    const ALWAYS: [(u8, Option<u8>); 6] = [
        (0x12, None),       // INQUIRY
        (0xa0, None),       // REPORT LUNS
        (0xa3, Some(0x0a)), // REPORT TARGET PORT GROUPS
        (0x03, None),       // REQUEST SENSE
        (0x3c, None),       // READ BUFFER
        (0x3b, None),       // WRITE BUFFER
    ];
    const STPG: (u8, Option<u8>) = (0xa4, Some(0x0a));
    const STANDBY_MORE: [(u8, Option<u8>); 11] = [
        (0x4c, None),       // LOG SELECT
        (0x4d, None),       // LOG SENSE
        (0x15, None),       // MODE SELECT(6)
        (0x1a, None),       // MODE SENSE(6)
        (0x1c, None),       // RECEIVE DIAGNOSTIC RESULTS
        (0x1d, None),       // SEND DIAGNOSTIC
        (0x25, None),       // READ CAPACITY(10)
        (0x9e, Some(0x10)), // READ CAPACITY(16)
        (0x5e, None),       // PERSISTENT RESERVE IN
        (0x5f, None),       // PERSISTENT RESERVE OUT
        STPG,
    ];

    fn listed(list: &[(u8, Option<u8>)], op: u8, b1: u8) -> bool {
        list.iter().any(|&(o, sa)| {
            o == op
                && match (op, sa) {
                    (_, None) => true,
                    // MAINTENANCE OUT is matched on the whole byte 1.
                    (0xa4, Some(v)) => b1 == v,
                    (_, Some(v)) => b1 & 0x1f == v,
                }
        })
    }

    #[test]
    fn every_state_every_opcode() {
        let standby: Vec<_> = ALWAYS.iter().chain(&STANDBY_MORE).copied().collect();
        let unavailable: Vec<_> = ALWAYS.iter().chain([&STPG]).copied().collect();
        // Byte 1 values that exercise the service action matches.
        for op in 0..=255u8 {
            for b1 in [0x00, 0x0a, 0x10, 0x2a, 0x0c, 0x1f, 0xea] {
                let cdb = [op, b1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
                let expect = |list: &[(u8, Option<u8>)], e: CdbError| {
                    if listed(list, op, b1) {
                        Verdict::Run
                    } else {
                        Verdict::Refuse(e)
                    }
                };
                assert_eq!(run(&cdb, STATE_ACTIVE_OPTIMIZED), Verdict::Run);
                assert_eq!(
                    run(&cdb, STATE_ACTIVE_NON_OPTIMIZED),
                    Verdict::RunNonOptimized { delay_msecs: 100 }
                );
                assert_eq!(
                    run(&cdb, STATE_STANDBY),
                    expect(&standby, STANDBY),
                    "{op:02x} {b1:02x}"
                );
                assert_eq!(
                    run(&cdb, STATE_UNAVAILABLE),
                    expect(&unavailable, UNAVAILABLE),
                    "{op:02x} {b1:02x}"
                );
                assert_eq!(
                    run(&cdb, STATE_TRANSITION),
                    expect(&ALWAYS, TRANSITION),
                    "{op:02x} {b1:02x}"
                );
                // LBA dependent without data to check: everything runs.
                assert_eq!(run(&cdb, STATE_LBA_DEPENDENT), Verdict::Run);
                // Offline as a group's state, and unknown states: LIO's
                // INVALID FIELD IN CDB without a pointer.
                for state in [STATE_OFFLINE, 5, 13, 0x10, 0xff] {
                    let Verdict::Refuse(e) = run(&cdb, state) else {
                        panic!("{state} ran");
                    };
                    assert_eq!(
                        (e.key, e.asc, e.ascq, e.field),
                        (SenseKey::IllegalRequest, 0x24, 0, None)
                    );
                }
                // Secondary offline refuses everything, in any state.
                for state in [STATE_ACTIVE_OPTIMIZED, STATE_STANDBY, STATE_OFFLINE] {
                    let p = PortAccess {
                        secondary_offline: true,
                        ..port(state)
                    };
                    assert_eq!(check(&cdb, &p, None, None), Verdict::Refuse(OFFLINE));
                }
                // No group: everything runs.
                let p = PortAccess {
                    secondary_offline: false,
                    group: None,
                };
                assert_eq!(check(&cdb, &p, None, None), Verdict::Run);
            }
        }
    }

    #[test]
    fn short_cdbs() {
        assert_eq!(run(&[], STATE_STANDBY), Verdict::Refuse(STANDBY));
        assert_eq!(run(&[0xa3], STATE_STANDBY), Verdict::Refuse(STANDBY));
        assert_eq!(run(&[0x12], STATE_TRANSITION), Verdict::Run);
        assert_eq!(run(&[0xa3, 0x0a], STATE_TRANSITION), Verdict::Run);
    }

    #[test]
    fn sense_codes() {
        for (e, ascq) in [
            (STANDBY, 0x0b),
            (UNAVAILABLE, 0x0c),
            (TRANSITION, 0x0a),
            (OFFLINE, 0x12),
        ] {
            assert_eq!(e.key, SenseKey::NotReady);
            assert_eq!((e.asc, e.ascq, e.field), (0x04, ascq, None));
        }
    }

    #[test]
    fn nonop_delay_is_the_groups() {
        let g = TgPtGp {
            access_state: STATE_ACTIVE_NON_OPTIMIZED,
            nonop_delay_msecs: 0,
            ..TgPtGp::default()
        };
        let p = PortAccess {
            secondary_offline: false,
            group: Some(GroupAccess::of(&g, 3)),
        };
        assert_eq!(
            check(&[0x28; 10], &p, None, None),
            Verdict::RunNonOptimized { delay_msecs: 0 }
        );
    }

    const MEMBERS_A: [(i32, u8); 2] = [(1, STATE_ACTIVE_OPTIMIZED), (2, STATE_STANDBY)];
    const MEMBERS_B: [(i32, u8); 2] = [(1, STATE_UNAVAILABLE), (2, STATE_ACTIVE_NON_OPTIMIZED)];
    const MEMBERS_C: [(i32, u8); 2] = [(1, STATE_STANDBY), (-1, STATE_UNAVAILABLE)];
    const RANGES: [MapRange<'static>; 3] = [
        MapRange {
            first: 0,
            last: 99,
            members: &MEMBERS_A,
        },
        MapRange {
            first: 100,
            last: 199,
            members: &MEMBERS_B,
        },
        // Overlaps the second: never reached for 100..=199.
        MapRange {
            first: 150,
            last: 299,
            members: &MEMBERS_C,
        },
    ];
    const MAP: SliceMap<'static> = SliceMap {
        segment_size: 0,
        segment_multiplier: 0,
        ranges: &RANGES,
    };

    fn lbad(id: u16, lba: u64, blocks: u64, map: Option<&dyn LbaMapView>) -> Verdict {
        let p = PortAccess {
            secondary_offline: false,
            group: Some(GroupAccess {
                id,
                state: STATE_LBA_DEPENDENT,
                nonop_delay_msecs: 0,
            }),
        };
        check(&[0x28; 10], &p, Some((lba, blocks)), map)
    }

    #[test]
    fn lba_dependent_ranges() {
        let m: Option<&dyn LbaMapView> = Some(&MAP);
        // Group 1: active in 0..=99, unavailable in 100..=199, standby in
        // 200..=299 (third range), nothing past 299.
        assert_eq!(lbad(1, 0, 100, m), Verdict::Run);
        assert_eq!(lbad(1, 99, 2, m), Verdict::Refuse(UNAVAILABLE));
        assert_eq!(lbad(1, 200, 1, m), Verdict::Refuse(STANDBY));
        assert_eq!(lbad(1, 300, 1, m), Verdict::Refuse(UNAVAILABLE));
        // Group 2: standby in 0..=99, active in 100..=199, not listed in
        // the third range (the -1 member matches no group).
        assert_eq!(lbad(2, 0, 1, m), Verdict::Refuse(STANDBY));
        assert_eq!(lbad(2, 100, 200, m), Verdict::Run);
        assert_eq!(lbad(2, 100, 201, m), Verdict::Refuse(UNAVAILABLE));
        // Group 3 is listed nowhere: any mapped LBA runs.
        assert_eq!(lbad(3, 0, 300, m), Verdict::Run);
        // No blocks: nothing to check, even without a map.
        assert_eq!(lbad(1, 1000, 0, None), Verdict::Run);
        assert_eq!(lbad(1, 0, 1, None), Verdict::Refuse(UNAVAILABLE));
        // The end of the LBA space: no wrap, no endless loop.
        let top = [MapRange {
            first: u64::MAX - 1,
            last: u64::MAX,
            members: &[],
        }];
        let map = SliceMap {
            ranges: &top,
            ..MAP
        };
        assert_eq!(lbad(1, u64::MAX - 1, 5, Some(&map)), Verdict::Run);
    }

    #[test]
    fn lba_dependent_segments() {
        // Segments of 10 LBAs, 2 per stripe: the stripe repeats every 20
        // LBAs; the first range covers offsets 0..=9, the second 10..=19.
        let ranges = [
            MapRange {
                first: 0,
                last: 9,
                members: &[(1, STATE_ACTIVE_OPTIMIZED)],
            },
            MapRange {
                first: 10,
                last: 19,
                members: &[(1, STATE_STANDBY)],
            },
        ];
        let map = SliceMap {
            segment_size: 10,
            segment_multiplier: 2,
            ranges: &ranges,
        };
        let m: Option<&dyn LbaMapView> = Some(&map);
        assert_eq!(lbad(1, 0, 10, m), Verdict::Run);
        assert_eq!(lbad(1, 40, 5, m), Verdict::Run);
        // LIO steps by the segment size from the first LBA, not to the
        // next segment: 45..=54 is checked at 45 only, 45..=55 at 45 and
        // 55 (offset 15).
        assert_eq!(lbad(1, 45, 10, m), Verdict::Run);
        assert_eq!(lbad(1, 45, 11, m), Verdict::Refuse(STANDBY));
        assert_eq!(lbad(1, 15, 1, m), Verdict::Refuse(STANDBY));
        // A zero product (LIO divides by zero): no range found.
        let zero = SliceMap {
            segment_size: 0x1_0000,
            segment_multiplier: 0x1_0000,
            ..map
        };
        assert_eq!(lbad(1, 0, 1, Some(&zero)), Verdict::Refuse(UNAVAILABLE));
        // A zero segment size is a zero product too.
        let zero_size = SliceMap {
            segment_size: 0,
            segment_multiplier: 3,
            ..map
        };
        assert_eq!(
            lbad(1, 0, 1_000_000, Some(&zero_size)),
            Verdict::Refuse(UNAVAILABLE)
        );
        // Stepping past the last LBA ends the walk.
        let top = SliceMap {
            segment_size: 0x8000_0000,
            segment_multiplier: 1,
            ..map
        };
        assert_eq!(lbad(1, u64::MAX - 4, 4, Some(&top)), Verdict::Run);
    }

    #[test]
    fn data_ranges_are_lios_data_cdbs() {
        let d = |cdb: &[u8]| data_range(&decode(cdb, &DecodeOptions::LIO_DEFAULT).unwrap());
        assert_eq!(d(&[0x28, 0, 0, 0, 0, 5, 0, 0, 2, 0]), Some((5, 2)));
        assert_eq!(d(&[0x2a, 0, 0, 0, 0, 5, 0, 0, 2, 0]), Some((5, 2)));
        assert_eq!(d(&[0x2e, 0, 0, 0, 0, 5, 0, 0, 2, 0]), Some((5, 2)));
        assert_eq!(
            d(&[0x89, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0]),
            Some((7, 1))
        );
        // VERIFY, SYNCHRONIZE CACHE, INQUIRY: not data CDBs for LIO.
        assert_eq!(d(&[0x2f, 0, 0, 0, 0, 5, 0, 0, 2, 0]), None);
        assert_eq!(d(&[0x35, 0, 0, 0, 0, 5, 0, 0, 2, 0]), None);
        assert_eq!(d(&[0x12, 0, 0, 0, 36, 0]), None);
    }

    #[test]
    fn map_letters() {
        assert_eq!(lba_map_state(b'O'), Some(STATE_ACTIVE_OPTIMIZED));
        assert_eq!(lba_map_state(b'A'), Some(STATE_ACTIVE_NON_OPTIMIZED));
        assert_eq!(lba_map_state(b'S'), Some(STATE_STANDBY));
        assert_eq!(lba_map_state(b'U'), Some(STATE_UNAVAILABLE));
        assert_eq!(lba_map_state(b'o'), None);
    }

    #[test]
    fn inquiry_tpgs() {
        assert_eq!(tpgs(None), 0);
        for (t, want) in [
            (0, 0),
            (TPGS_IMPLICIT, 1),
            (TPGS_EXPLICIT, 2),
            (TPGS_IMPLICIT | TPGS_EXPLICIT, 3),
        ] {
            let g = TgPtGp {
                access_type: t,
                ..TgPtGp::default()
            };
            assert_eq!(tpgs(Some(&g)), want);
        }
        // LIO's default: both, byte 5 = SCCS | TPGS 3 = B0h.
        let p = crate::vpd::StandardInquiry {
            peripheral: 0,
            removable: false,
            sccs: true,
            tpgs: tpgs(Some(&TgPtGp::default())),
            three_pc: false,
            protect: false,
            multip: false,
            vendor: b"LIO-ORG",
            product: b"x",
            revision: b"1",
            protocol_id: 5,
        };
        let mut buf = [0u8; 8];
        crate::vpd::encode_standard(&p, &mut buf);
        assert_eq!(buf[5], 0xb0);
    }
}
