// SPDX-License-Identifier: GPL-2.0

//! REPORT TARGET PORT GROUPS data (SPC-4 6.36) and the SET TARGET PORT
//! GROUPS parameter list (SPC-4 6.45), after LIO's
//! `target_emulate_report_target_port_groups()` and
//! `target_emulate_set_target_port_groups()`.
//!
//! The report is written through [`RtpgWriter`] (or
//! [`encode_report_target_port_groups`] from an iterator), which the
//! kernel feeds while it walks its group and member lists under their
//! locks: nothing is allocated. It writes at most `out.len()` bytes and
//! returns the full length.
//!
//! REPORT TARGET PORT GROUPS, for a device with groups 0 (one port,
//! RTPI 1) and 5 (ports 2 and 3), in the extended format:
//!
//! ```
//! use tcm_proto::alua::TgPtGp;
//! use tcm_proto::alua_tpgs::*;
//!
//! let (g0, g5) = (TgPtGp::default(), TgPtGp::default());
//! let mut out = [0u8; 64]; // the allocation length
//! let format = RtpgFormat::from_cdb(1).unwrap();
//! check_alloc_len(format, out.len() as u32).unwrap();
//! // The extended header's time is that of the LUN's own group.
//! let mut w = RtpgWriter::new(&mut out, format, implicit_transition_time(Some(&g0)));
//! w.group(&GroupDescriptor::of(&g0, 0));
//! w.port(1);
//! w.group(&GroupDescriptor::of(&g5, 5));
//! w.port(2);
//! w.port(3);
//! let len = w.finish(); // the full length: send min(len, allocation length)
//! assert_eq!(len, 8 + 12 + 16);
//! ```
//!
//! SET TARGET PORT GROUPS through a LUN of group `local`: refuse the CDB
//! unless [`stpg_allowed`], then after the data-out transfer check the
//! whole list before changing anything, and apply each request:
//!
//! ```
//! use tcm_proto::alua::{TgPtGp, STATE_STANDBY};
//! use tcm_proto::alua_tpgs::*;
//! use tcm_proto::alua_transition::{begin, finish, Cause};
//!
//! struct Device;
//! impl StpgTargets for Device {
//!     fn group_supported(&self, id: u16) -> Option<u8> {
//!         (id == 5).then_some(TgPtGp::default().supported)
//!     }
//!     fn port_in_group(&self, rtpi: u16) -> bool {
//!         rtpi == 2
//!     }
//! }
//!
//! let local = TgPtGp::default();
//! stpg_allowed(Some(&local)).unwrap();
//! let data = [0, 0, 0, 0, 0x02, 0, 0, 5, 0x0e, 0, 0, 2];
//! let list = StpgList::parse(&data).unwrap();
//! list.check(local.supported, &Device).unwrap();
//! let mut g5 = TgPtGp::default();
//! for r in list.requests(local.supported).flatten() {
//!     match r {
//!         Request::Group { id: 5, state } => {
//!             // Under the group's transition mutex; UA to every nexus
//!             // but the origin, sleep t.delay_msecs, finish, UA again.
//!             if let Some(t) = begin(&mut g5, state, Cause::Explicit) {
//!                 finish(&mut g5, &t);
//!             }
//!         }
//!         Request::PortOffline { rtpi: 2 } => { /* port_transition() */ }
//!         _ => unreachable!("checked"),
//!     }
//! }
//! assert_eq!(g5.access_state, STATE_STANDBY);
//! ```
//!
//! Compiled both in the kernel modules and on the host: `core` only, no
//! panics on any input.

use crate::alua::{TgPtGp, TPGS_EXPLICIT};
use crate::alua_transition::{check_transition, Cause, Kind};
use crate::cdb::CdbError;

/// PARAMETER DATA FORMAT of REPORT TARGET PORT GROUPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtpgFormat {
    /// 000b: the 4-byte RETURN DATA LENGTH header.
    LengthOnly,
    /// 001b: the 8-byte extended header, with the implicit transition
    /// time.
    Extended,
}

impl RtpgFormat {
    /// The format of the CDB's PARAMETER DATA FORMAT field
    /// ([`crate::cdb::Command::ReportTargetPortGroups`]'s `format`).
    pub const fn from_cdb(format: u8) -> Option<Self> {
        match format {
            0 => Some(Self::LengthOnly),
            1 => Some(Self::Extended),
            _ => None,
        }
    }

    /// The length of the header before the first group descriptor.
    pub const fn header_len(self) -> usize {
        match self {
            Self::LengthOnly => 4,
            Self::Extended => 8,
        }
    }
}

/// LIO refuses an allocation length shorter than the header with
/// INVALID FIELD IN CDB (we point at the ALLOCATION LENGTH field); SPC-4
/// would truncate. Call it to answer as LIO does.
pub const fn check_alloc_len(format: RtpgFormat, alloc_len: u32) -> Result<(), CdbError> {
    if (alloc_len as usize) < format.header_len() {
        Err(CdbError::invalid_field(6, Some(7)))
    } else {
        Ok(())
    }
}

/// The most target ports a group descriptor lists: TARGET PORT COUNT is
/// one byte. (LIO writes the count modulo 256 and every port.)
pub const MAX_PORTS_PER_GROUP: u8 = 255;

/// One target port group descriptor's fields, before its ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupDescriptor {
    /// PREF.
    pub preferred: bool,
    /// ASYMMETRIC ACCESS STATE (`STATE_*`; the low 4 bits are sent).
    pub state: u8,
    /// The `SUP_*` bits.
    pub supported: u8,
    /// TARGET PORT GROUP.
    pub id: u16,
    /// STATUS CODE (`STATUS_*`).
    pub status: u8,
}

impl GroupDescriptor {
    /// The descriptor of group `g` with ID `id`.
    pub const fn of(g: &TgPtGp, id: u16) -> Self {
        Self {
            preferred: g.preferred,
            state: g.access_state,
            supported: g.supported,
            id,
            status: g.access_status,
        }
    }
}

/// The IMPLICIT TRANSITION TIME of the extended header: that of the group
/// of the LUN the command came through (0 when it is in none).
pub fn implicit_transition_time(group: Option<&TgPtGp>) -> u8 {
    group.map_or(0, |g| {
        u8::try_from(g.implicit_trans_secs).unwrap_or(u8::MAX)
    })
}

/// Builds REPORT TARGET PORT GROUPS parameter data in the caller's
/// buffer: [`RtpgWriter::group`] for each of the device's target port
/// groups, then
/// [`RtpgWriter::port`] with the RELATIVE TARGET PORT IDENTIFIER of each
/// target port whose LUN of the device is in the group, then
/// [`RtpgWriter::finish`].
///
/// A group with no port is left out, as LIO does. The bytes are a prefix
/// of the full data whatever the buffer's length (SPC-4 4.2.5.6); LIO
/// instead leaves out each group that does not fit whole and goes on with
/// the next, and in the extended format it counts only the descriptors in
/// the RETURN DATA LENGTH (SPC-4: every byte after the field, so 4 more)
/// and so cuts the last 4 bytes off the transfer.
#[derive(Debug)]
pub struct RtpgWriter<'a> {
    out: &'a mut [u8],
    pos: usize,
    /// The group begun and not written yet (it has no port yet).
    pending: Option<GroupDescriptor>,
    /// Where the current group's TARGET PORT COUNT is, once written.
    count_at: Option<usize>,
    count: u8,
}

impl<'a> RtpgWriter<'a> {
    /// Starts the data: the header of `format` (with
    /// `implicit_transition_time` in the extended one, see
    /// [`implicit_transition_time`]).
    pub fn new(out: &'a mut [u8], format: RtpgFormat, implicit_transition_time: u8) -> Self {
        let mut w = Self {
            out,
            pos: 0,
            pending: None,
            count_at: None,
            count: 0,
        };
        w.bytes(&[0; 4]);
        if format == RtpgFormat::Extended {
            // FORMAT TYPE 001b in bits 6-4.
            w.bytes(&[0x10, implicit_transition_time, 0, 0]);
        }
        w
    }

    fn set(&mut self, at: usize, v: u8) {
        if let Some(b) = self.out.get_mut(at) {
            *b = v;
        }
    }

    fn bytes(&mut self, v: &[u8]) {
        for &b in v {
            self.set(self.pos, b);
            self.pos = self.pos.saturating_add(1);
        }
    }

    /// Begins group `g`; its descriptor is written with its first port.
    pub fn group(&mut self, g: &GroupDescriptor) {
        self.pending = Some(*g);
        self.count_at = None;
        self.count = 0;
    }

    /// Adds a port of the group begun last. Ports after the 255th, and
    /// ports before any group, are left out.
    pub fn port(&mut self, rtpi: u16) {
        if let Some(g) = self.pending.take() {
            let [id_hi, id_lo] = g.id.to_be_bytes();
            let pref = if g.preferred { 0x80 } else { 0 };
            self.bytes(&[
                pref | (g.state & 0x0f),
                g.supported,
                id_hi,
                id_lo,
                0,
                g.status,
                0,
            ]);
            self.count_at = Some(self.pos);
            self.bytes(&[0]);
        }
        let Some(at) = self.count_at else {
            return;
        };
        if self.count == MAX_PORTS_PER_GROUP {
            return;
        }
        self.count += 1;
        self.set(at, self.count);
        // Two obsolete bytes, then RELATIVE TARGET PORT IDENTIFIER.
        let [hi, lo] = rtpi.to_be_bytes();
        self.bytes(&[0, 0, hi, lo]);
    }

    /// Sets the RETURN DATA LENGTH and returns the full length of the
    /// data.
    pub fn finish(mut self) -> usize {
        let rdl = u32::try_from(self.pos.saturating_sub(4)).unwrap_or(u32::MAX);
        for (i, b) in rdl.to_be_bytes().into_iter().enumerate() {
            self.set(i, b);
        }
        self.pos
    }
}

/// REPORT TARGET PORT GROUPS data from `groups`, each a descriptor and the
/// relative target port identifiers of its ports, in order: see
/// [`RtpgWriter`].
pub fn encode_report_target_port_groups<G, P>(
    format: RtpgFormat,
    implicit_transition_time: u8,
    groups: G,
    out: &mut [u8],
) -> usize
where
    G: IntoIterator<Item = (GroupDescriptor, P)>,
    P: IntoIterator<Item = u16>,
{
    let mut w = RtpgWriter::new(out, format, implicit_transition_time);
    for (g, ports) in groups {
        w.group(&g);
        for p in ports {
            w.port(p);
        }
    }
    w.finish()
}

/// The SET TARGET PORT GROUPS parameter list header length.
pub const STPG_HEADER_LEN: usize = 4;
/// The length of a set target port group descriptor.
pub const STPG_DESCRIPTOR_LEN: usize = 4;

/// Whether SET TARGET PORT GROUPS may be served through a LUN in group
/// `local` (`None`: in no group): only with explicit ALUA, else INVALID
/// COMMAND OPERATION CODE, as LIO (which also hides the command from
/// REPORT SUPPORTED OPERATION CODES then). Check it before the data
/// transfer.
pub const fn stpg_allowed(local: Option<&TgPtGp>) -> Result<(), CdbError> {
    match local {
        Some(g) if g.access_type & TPGS_EXPLICIT != 0 => Ok(()),
        _ => Err(CdbError::invalid_opcode()),
    }
}

/// One change a SET TARGET PORT GROUPS descriptor asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Set the primary state of the target port group `id` (the device's
    /// group with a valid ID `id`).
    Group { id: u16, state: u8 },
    /// Set the target port with RELATIVE TARGET PORT IDENTIFIER `rtpi`
    /// (the LUN of the device exported through it) offline.
    PortOffline { rtpi: u16 },
}

/// What [`StpgList::check`] asks the kernel about the device.
pub trait StpgTargets {
    /// The `SUP_*` bits of the device's target port group with a valid ID
    /// `id`, `None` when there is none.
    fn group_supported(&self, id: u16) -> Option<u8>;
    /// Whether the device is exported through a target port with
    /// relative target port identifier `rtpi` whose LUN is in a target
    /// port group.
    fn port_in_group(&self, rtpi: u16) -> bool;
}

/// A SET TARGET PORT GROUPS parameter list whose length is right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StpgList<'a> {
    /// The descriptors, a multiple of 4 bytes.
    descriptors: &'a [u8],
}

/// Where a descriptor's fields are in the parameter list.
const fn state_field(i: usize) -> CdbError {
    CdbError::invalid_param(param_offset(i), Some(3))
}

const fn id_field(i: usize) -> CdbError {
    CdbError::invalid_param(param_offset(i).saturating_add(2), Some(7))
}

const fn param_offset(i: usize) -> u16 {
    let at = i
        .saturating_mul(STPG_DESCRIPTOR_LEN)
        .saturating_add(STPG_HEADER_LEN);
    if at > u16::MAX as usize {
        u16::MAX
    } else {
        at as u16
    }
}

impl<'a> StpgList<'a> {
    /// Checks the length of the parameter list `data` (what the
    /// initiator sent, PARAMETER LIST LENGTH bytes). Empty: no change
    /// (SPC-4; LIO refuses it). A header cut short or a descriptor cut
    /// short: PARAMETER LIST LENGTH ERROR (SPC-4; LIO answers INVALID
    /// FIELD IN PARAMETER LIST to the first, and reads past the list for
    /// the second).
    pub fn parse(data: &'a [u8]) -> Result<Self, CdbError> {
        if data.is_empty() {
            return Ok(Self { descriptors: &[] });
        }
        let Some(descriptors) = data.get(STPG_HEADER_LEN..) else {
            return Err(CdbError::param_list_length());
        };
        if descriptors.len() % STPG_DESCRIPTOR_LEN != 0 {
            return Err(CdbError::param_list_length());
        }
        Ok(Self { descriptors })
    }

    /// How many descriptors there are.
    pub fn len(&self) -> usize {
        self.descriptors.len() / STPG_DESCRIPTOR_LEN
    }

    /// There is no descriptor.
    pub fn is_empty(&self) -> bool {
        self.descriptors.is_empty()
    }

    /// The descriptors in order, each checked against the states the
    /// group of the LUN the command came through supports
    /// (`local_supported`), as LIO: an unknown or unsupported state, or
    /// TRANSITIONING, is INVALID FIELD IN PARAMETER LIST pointing at the
    /// ASYMMETRIC ACCESS STATE field. Offline names a target port, the
    /// other states a target port group. Reserved fields are ignored, as
    /// LIO does.
    pub fn requests(&self, local_supported: u8) -> Requests<'a> {
        Requests {
            rest: self.descriptors,
            index: 0,
            local_supported,
        }
    }

    /// Checks every descriptor before anything changes: [`Self::requests`],
    /// then that the named group exists and supports the state (LIO's
    /// `core_alua_do_port_transition()`), or that the named port exists
    /// and is in a group; INVALID FIELD IN PARAMETER LIST pointing at the
    /// field otherwise. LIO makes the changes of the descriptors before a
    /// bad one; checking them all first makes the command all or nothing.
    pub fn check(&self, local_supported: u8, targets: &dyn StpgTargets) -> Result<(), CdbError> {
        for (i, r) in self.requests(local_supported).enumerate() {
            match r? {
                Request::Group { id, state } => {
                    let Some(supported) = targets.group_supported(id) else {
                        return Err(id_field(i));
                    };
                    if check_transition(state, supported, Cause::Explicit).is_err() {
                        return Err(state_field(i));
                    }
                }
                Request::PortOffline { rtpi } => {
                    if !targets.port_in_group(rtpi) {
                        return Err(id_field(i));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The iterator of [`StpgList::requests`].
#[derive(Clone, Debug)]
pub struct Requests<'a> {
    rest: &'a [u8],
    index: usize,
    local_supported: u8,
}

impl Iterator for Requests<'_> {
    type Item = Result<Request, CdbError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (d, rest) = self.rest.split_first_chunk::<STPG_DESCRIPTOR_LEN>()?;
        self.rest = rest;
        let i = self.index;
        self.index += 1;
        let state = d[0] & 0x0f;
        let value = u16::from_be_bytes([d[2], d[3]]);
        Some(
            match check_transition(state, self.local_supported, Cause::Explicit) {
                Ok(Kind::Primary) => Ok(Request::Group { id: value, state }),
                Ok(Kind::Secondary) => Ok(Request::PortOffline { rtpi: value }),
                Err(_) => Err(state_field(i)),
            },
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len() / STPG_DESCRIPTOR_LEN;
        (n, Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alua::*;
    use crate::cdb::asc;
    use crate::sense::{FieldPointer, SenseKey};
    use std::vec::Vec;

    fn rtpg(
        format: RtpgFormat,
        time: u8,
        groups: &[(GroupDescriptor, &[u16])],
        out: &mut [u8],
    ) -> usize {
        encode_report_target_port_groups(
            format,
            time,
            groups.iter().map(|(g, p)| (*g, p.iter().copied())),
            out,
        )
    }

    fn full(format: RtpgFormat, time: u8, groups: &[(GroupDescriptor, &[u16])]) -> Vec<u8> {
        let n = rtpg(format, time, groups, &mut []);
        let mut v = std::vec![0u8; n];
        assert_eq!(rtpg(format, time, groups, &mut v), n);
        v
    }

    const AO: GroupDescriptor = GroupDescriptor {
        preferred: true,
        state: STATE_ACTIVE_OPTIMIZED,
        supported: 0xdf,
        id: 1,
        status: STATUS_NONE,
    };
    const SB: GroupDescriptor = GroupDescriptor {
        preferred: false,
        state: STATE_STANDBY,
        supported: 0x0f,
        id: 0x0102,
        status: STATUS_ALTERED_BY_EXPLICIT_STPG,
    };

    #[test]
    fn default_group_as_lio_reports_it() {
        // LIO's default_tg_pt_gp (ID 0) with one LUN through a port of
        // RTPI 1: the data LIO sends for the length-only format.
        let g = GroupDescriptor::of(&TgPtGp::default(), 0);
        assert_eq!(
            full(RtpgFormat::LengthOnly, 0, &[(g, &[1])]),
            [0, 0, 0, 12, 0x00, 0xcf, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]
        );
    }

    #[test]
    fn two_groups_both_formats() {
        let groups: [(GroupDescriptor, &[u16]); 3] = [
            (AO, &[1, 2]),
            // No port: left out, as LIO does.
            (GroupDescriptor { id: 9, ..AO }, &[]),
            (SB, &[0x0304]),
        ];
        let descriptors = [
            0x80, 0xdf, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, //
            0x00, 0x00, 0x00, 0x01, //
            0x00, 0x00, 0x00, 0x02, //
            0x02, 0x0f, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, //
            0x00, 0x00, 0x03, 0x04,
        ];
        let mut want = std::vec![0, 0, 0, 28];
        want.extend_from_slice(&descriptors);
        assert_eq!(full(RtpgFormat::LengthOnly, 60, &groups), want);
        // Extended: FORMAT TYPE 1, the time, and a length counting the
        // 4 more header bytes (SPC-4; LIO says 28).
        let mut want = std::vec![0, 0, 0, 32, 0x10, 60, 0, 0];
        want.extend_from_slice(&descriptors);
        assert_eq!(full(RtpgFormat::Extended, 60, &groups), want);
    }

    #[test]
    fn empty_report() {
        assert_eq!(full(RtpgFormat::LengthOnly, 0, &[]), [0, 0, 0, 0]);
        assert_eq!(
            full(RtpgFormat::Extended, 5, &[]),
            [0, 0, 0, 4, 0x10, 5, 0, 0]
        );
    }

    #[test]
    fn truncation_at_every_length() {
        let groups: [(GroupDescriptor, &[u16]); 2] = [(AO, &[1, 2, 3]), (SB, &[7])];
        for format in [RtpgFormat::LengthOnly, RtpgFormat::Extended] {
            let whole = full(format, 3, &groups);
            for cut in 0..=whole.len() + 3 {
                let mut buf = std::vec![0xa5u8; cut];
                assert_eq!(rtpg(format, 3, &groups, &mut buf), whole.len());
                let n = cut.min(whole.len());
                assert_eq!(buf[..n], whole[..n], "{format:?} {cut}");
                assert!(buf[n..].iter().all(|b| *b == 0xa5), "{format:?} {cut}");
            }
        }
    }

    #[test]
    fn state_is_masked_and_ports_capped() {
        let g = GroupDescriptor { state: 0xf3, ..SB };
        let ports: Vec<u16> = (0..300).collect();
        let data = full(RtpgFormat::LengthOnly, 0, &[(g, &ports)]);
        assert_eq!(data[4], 0x03);
        assert_eq!(data[11], 255);
        assert_eq!(data.len(), 4 + 8 + 255 * 4);
        assert_eq!(data[..4], (8u32 + 255 * 4).to_be_bytes());
        assert_eq!(data[data.len() - 2..], 254u16.to_be_bytes());
    }

    #[test]
    fn ports_before_a_group_are_dropped() {
        let mut buf = [0u8; 16];
        let mut w = RtpgWriter::new(&mut buf, RtpgFormat::LengthOnly, 0);
        w.port(5);
        assert_eq!(w.finish(), 4);
        assert_eq!(buf[..4], [0; 4]);
    }

    #[test]
    fn alloc_len_and_transition_time() {
        assert_eq!(RtpgFormat::from_cdb(0), Some(RtpgFormat::LengthOnly));
        assert_eq!(RtpgFormat::from_cdb(1), Some(RtpgFormat::Extended));
        assert_eq!(RtpgFormat::from_cdb(2), None);
        for len in 0..12 {
            assert_eq!(
                check_alloc_len(RtpgFormat::LengthOnly, len).is_ok(),
                len >= 4
            );
            assert_eq!(check_alloc_len(RtpgFormat::Extended, len).is_ok(), len >= 8);
        }
        assert_eq!(
            check_alloc_len(RtpgFormat::Extended, 7),
            Err(CdbError::invalid_field(6, Some(7)))
        );
        assert_eq!(implicit_transition_time(None), 0);
        let g = TgPtGp {
            implicit_trans_secs: 255,
            ..TgPtGp::default()
        };
        assert_eq!(implicit_transition_time(Some(&g)), 255);
        let g = TgPtGp {
            implicit_trans_secs: 1000,
            ..TgPtGp::default()
        };
        assert_eq!(implicit_transition_time(Some(&g)), 255);
    }

    /// Groups 1 (default support) and 2 (A/O and standby only), ports 1
    /// and 2 in groups, port 3 in none.
    struct Dev;

    impl StpgTargets for Dev {
        fn group_supported(&self, id: u16) -> Option<u8> {
            match id {
                1 => Some(TgPtGp::default().supported),
                2 => Some(SUP_ACTIVE_OPTIMIZED | SUP_STANDBY),
                _ => None,
            }
        }
        fn port_in_group(&self, rtpi: u16) -> bool {
            matches!(rtpi, 1 | 2)
        }
    }

    const ALL: u8 = 0xff;

    fn param(byte: u16, bit: u8) -> CdbError {
        CdbError::invalid_param(byte, Some(bit))
    }

    fn list(descriptors: &[[u8; 4]]) -> Vec<u8> {
        let mut v = std::vec![0u8; 4];
        for d in descriptors {
            v.extend_from_slice(d);
        }
        v
    }

    #[test]
    fn stpg_needs_explicit_alua() {
        assert_eq!(stpg_allowed(Some(&TgPtGp::default())), Ok(()));
        for access_type in [0, TPGS_IMPLICIT] {
            let g = TgPtGp {
                access_type,
                ..TgPtGp::default()
            };
            assert_eq!(stpg_allowed(Some(&g)), Err(CdbError::invalid_opcode()));
        }
        let g = TgPtGp {
            access_type: TPGS_EXPLICIT,
            ..TgPtGp::default()
        };
        assert_eq!(stpg_allowed(Some(&g)), Ok(()));
        let e = stpg_allowed(None).unwrap_err();
        assert_eq!((e.key, e.asc, e.ascq), (SenseKey::IllegalRequest, 0x20, 0));
    }

    #[test]
    fn stpg_lengths() {
        assert!(StpgList::parse(&[]).unwrap().is_empty());
        for n in 1..4 {
            assert_eq!(
                StpgList::parse(&std::vec![0; n]),
                Err(CdbError::param_list_length())
            );
        }
        assert_eq!(StpgList::parse(&[0; 4]).unwrap().len(), 0);
        for n in 5..8 {
            assert_eq!(
                StpgList::parse(&std::vec![0; n]),
                Err(CdbError::param_list_length())
            );
        }
        assert_eq!(StpgList::parse(&[0; 12]).unwrap().len(), 2);
        let e = CdbError::param_list_length();
        assert_eq!(
            (e.key, e.asc, e.ascq, e.field),
            (
                SenseKey::IllegalRequest,
                asc::PARAMETER_LIST_LENGTH_ERROR.0,
                0,
                None
            )
        );
    }

    #[test]
    fn stpg_requests() {
        let data = list(&[
            [0x01, 0, 0, 1],
            // Reserved bits are ignored, as in LIO.
            [0xf2, 0xff, 0, 2],
            [0x0e, 0, 0, 3],
            [0x00, 0, 0xff, 0xff],
            [0x03, 0, 0, 1],
        ]);
        let l = StpgList::parse(&data).unwrap();
        assert_eq!(l.requests(ALL).size_hint(), (5, Some(5)));
        let r: Vec<_> = l.requests(ALL).collect();
        assert_eq!(
            r,
            [
                Ok(Request::Group { id: 1, state: 1 }),
                Ok(Request::Group { id: 2, state: 2 }),
                Ok(Request::PortOffline { rtpi: 3 }),
                Ok(Request::Group {
                    id: 0xffff,
                    state: 0
                }),
                Ok(Request::Group { id: 1, state: 3 }),
            ]
        );
    }

    #[test]
    fn stpg_every_state_against_the_local_group() {
        for state in 0..16u8 {
            let data = list(&[[0, 0, 0, 1], [state, 0, 0, 1]]);
            let l = StpgList::parse(&data).unwrap();
            let settable = matches!(
                state,
                STATE_ACTIVE_OPTIMIZED
                    | STATE_ACTIVE_NON_OPTIMIZED
                    | STATE_STANDBY
                    | STATE_UNAVAILABLE
                    | STATE_LBA_DEPENDENT
                    | STATE_OFFLINE
            );
            let r: Vec<_> = l.requests(ALL).collect();
            assert!(r[0].is_ok());
            if settable {
                assert!(r[1].is_ok(), "{state}");
            } else {
                // Unknown, and TRANSITIONING: the state field of the
                // second descriptor.
                assert_eq!(r[1], Err(param(8, 3)), "{state}");
                let e = r[1].unwrap_err();
                assert_eq!((e.key, e.asc, e.ascq), (SenseKey::IllegalRequest, 0x26, 0));
                assert_eq!(
                    e.field,
                    Some(FieldPointer {
                        in_cdb: false,
                        byte: 8,
                        bit: Some(3)
                    })
                );
            }
            if settable {
                // Not supported by the local group.
                let sup = check_transition(state, ALL, Cause::Explicit).map(|_| ());
                assert_eq!(sup, Ok(()));
                let without = ALL
                    & !match state {
                        STATE_ACTIVE_OPTIMIZED => SUP_ACTIVE_OPTIMIZED,
                        STATE_ACTIVE_NON_OPTIMIZED => SUP_ACTIVE_NON_OPTIMIZED,
                        STATE_STANDBY => SUP_STANDBY,
                        STATE_UNAVAILABLE => SUP_UNAVAILABLE,
                        STATE_LBA_DEPENDENT => SUP_LBA_DEPENDENT,
                        _ => SUP_OFFLINE,
                    };
                let r: Vec<_> = l.requests(without | SUP_ACTIVE_OPTIMIZED).collect();
                if state != STATE_ACTIVE_OPTIMIZED {
                    assert_eq!(r[1], Err(param(8, 3)), "{state}");
                }
            }
        }
        // LIO's default group does not support LBA dependent.
        let data = list(&[[4, 0, 0, 1]]);
        let l = StpgList::parse(&data).unwrap();
        assert_eq!(l.check(TgPtGp::default().supported, &Dev), Err(param(4, 3)));
    }

    #[test]
    fn stpg_check() {
        let ok = |d: &[[u8; 4]]| StpgList::parse(&list(d)).unwrap().check(ALL, &Dev);
        assert_eq!(ok(&[]), Ok(()));
        assert_eq!(ok(&[[0, 0, 0, 1], [2, 0, 0, 2], [0x0e, 0, 0, 2]]), Ok(()));
        // No group 3: the TARGET PORT GROUP field of the third descriptor.
        assert_eq!(
            ok(&[[0, 0, 0, 1], [2, 0, 0, 2], [1, 0, 0, 3]]),
            Err(param(14, 7))
        );
        // Group 2 does not support unavailable: its state field.
        assert_eq!(ok(&[[0, 0, 0, 1], [3, 0, 0, 2]]), Err(param(8, 3)));
        // Group 1 supports it.
        assert_eq!(ok(&[[3, 0, 0, 1]]), Ok(()));
        // Port 3 is in no group, port 4 does not exist.
        assert_eq!(ok(&[[0x0e, 0, 0, 3]]), Err(param(6, 7)));
        assert_eq!(ok(&[[0x0e, 0, 0, 4]]), Err(param(6, 7)));
        // The first bad descriptor is the one reported.
        assert_eq!(ok(&[[5, 0, 0, 9], [1, 0, 0, 9]]), Err(param(4, 3)));
        // The local group's support counts before the target's.
        let data = list(&[[0x0e, 0, 0, 1]]);
        let l = StpgList::parse(&data).unwrap();
        assert_eq!(l.check(ALL & !SUP_OFFLINE, &Dev), Err(param(4, 3)));
    }

    #[test]
    fn field_pointers_saturate() {
        assert_eq!(param_offset(0), 4);
        assert_eq!(param_offset(usize::MAX), u16::MAX);
        assert_eq!(id_field(usize::MAX), param(u16::MAX, 7));
    }
}
