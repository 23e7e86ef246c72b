// SPDX-License-Identifier: GPL-2.0

//! ALUA state changes (SPC-4 5.15.2.7): which changes are valid, what a
//! target port group's state and status become, who gets the ASYMMETRIC
//! ACCESS STATE CHANGED unit attention, and the delays, as data the
//! kernel acts on; LIO's `core_alua_check_transition()`,
//! `core_alua_do_transition_tg_pt()` and
//! `core_alua_set_tg_pt_secondary_state()`.
//!
//! A primary change (of a group) goes:
//!
//! 1. [`begin`]: the group shows TRANSITIONING with the new status; the
//!    kernel establishes the unit attention ([`gets_state_change_ua`]) on
//!    every I_T_L nexus of the group's LUNs.
//! 2. If the change is to TRANSITIONING itself (implicit only), it ends
//!    there ([`Transition::stays_in_transition`]).
//! 3. Otherwise the kernel sleeps [`Transition::delay_msecs`], then
//!    [`finish`] sets the new state; the kernel writes the metadata file
//!    when [`Transition::write_metadata`] ([`encode_primary_metadata`])
//!    and establishes the unit attention again (an initiator that has
//!    not fetched the first still has one: LIO keeps one unit attention
//!    per ASC/ASCQ).
//!
//! LIO holds the group's transition mutex from step 1 to step 3, so
//! changes of a group are serialised and each sees the previous one's end
//! state. When the device is in a logical unit group other than the
//! default one, LIO makes the change on every group with the same ID on
//! every device of that LU group (the origin nexus is remembered only on
//! the group the command came through).
//!
//! A secondary change (a port's offline state, [`port_transition`]) sets
//! the port's state and status at once, then sleeps the group's
//! transition delay; it establishes no unit attention.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

use crate::alua::{
    TgPtGp, STATE_ACTIVE_NON_OPTIMIZED, STATE_ACTIVE_OPTIMIZED, STATE_LBA_DEPENDENT, STATE_OFFLINE,
    STATE_STANDBY, STATE_TRANSITION, STATE_UNAVAILABLE, STATUS_ALTERED_BY_EXPLICIT_STPG,
    STATUS_ALTERED_BY_IMPLICIT_ALUA, SUP_ACTIVE_NON_OPTIMIZED, SUP_ACTIVE_OPTIMIZED,
    SUP_LBA_DEPENDENT, SUP_OFFLINE, SUP_STANDBY, SUP_TRANSITION, SUP_UNAVAILABLE,
};

/// The unit attention of a change: ASYMMETRIC ACCESS STATE CHANGED.
pub const UA_ASYMMETRIC_ACCESS_STATE_CHANGED: (u8, u8) = (0x2a, 0x06);

/// Who asked for a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// SET TARGET PORT GROUPS.
    Explicit,
    /// The target itself (configfs `alua_access_state`,
    /// `alua_tg_pt_offline`).
    Implicit,
}

impl Cause {
    /// The access status a change leaves.
    pub const fn status(self) -> u8 {
        match self {
            Self::Explicit => STATUS_ALTERED_BY_EXPLICIT_STPG,
            Self::Implicit => STATUS_ALTERED_BY_IMPLICIT_ALUA,
        }
    }
}

/// What a valid state changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The primary state of a target port group: active/optimized,
    /// active/non-optimized, standby, unavailable, LBA dependent.
    Primary,
    /// The secondary state of one target port: offline. (LIO files
    /// transitioning here too; it is only reached implicitly.)
    Secondary,
}

/// Why a change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionError {
    /// Not an access state.
    Unknown,
    /// The group does not support the state, or (transitioning) it cannot
    /// be asked for explicitly.
    Unsupported,
}

/// Checks a change to `state` for a group supporting `supported`
/// (`SUP_*` bits), as LIO's `core_alua_check_transition()`.
/// Transitioning is refused to SET TARGET PORT GROUPS.
pub const fn check_transition(
    state: u8,
    supported: u8,
    cause: Cause,
) -> Result<Kind, TransitionError> {
    let (bit, kind) = match state {
        STATE_ACTIVE_OPTIMIZED => (SUP_ACTIVE_OPTIMIZED, Kind::Primary),
        STATE_ACTIVE_NON_OPTIMIZED => (SUP_ACTIVE_NON_OPTIMIZED, Kind::Primary),
        STATE_STANDBY => (SUP_STANDBY, Kind::Primary),
        STATE_UNAVAILABLE => (SUP_UNAVAILABLE, Kind::Primary),
        STATE_LBA_DEPENDENT => (SUP_LBA_DEPENDENT, Kind::Primary),
        STATE_OFFLINE => (SUP_OFFLINE, Kind::Secondary),
        STATE_TRANSITION => {
            if matches!(cause, Cause::Explicit) {
                return Err(TransitionError::Unsupported);
            }
            (SUP_TRANSITION, Kind::Secondary)
        }
        _ => return Err(TransitionError::Unknown),
    };
    if supported & bit == 0 {
        Err(TransitionError::Unsupported)
    } else {
        Ok(kind)
    }
}

/// A change of a group's primary state under way (see the module
/// documentation for the steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state the group left.
    pub from: u8,
    /// The state it ends in.
    pub to: u8,
    /// The access status it shows from [`begin`] on.
    pub status: u8,
    /// Sleep this long in TRANSITIONING before [`finish`]
    /// (`trans_delay_msecs`; 0: none). LIO's sleep is interruptible.
    pub delay_msecs: u32,
    /// Write the group's metadata file after [`finish`]
    /// (`alua_write_metadata`).
    pub write_metadata: bool,
}

impl Transition {
    /// The change was to TRANSITIONING: it is complete after [`begin`];
    /// no delay, no [`finish`], no second unit attention.
    pub const fn stays_in_transition(&self) -> bool {
        self.to == STATE_TRANSITION
    }
}

/// Starts a change of `g` to `new_state` (checked with
/// [`check_transition`] beforehand, against the group the request named;
/// LIO does not check the other groups of a logical unit group): `None`
/// when there is nothing to do (the group is in that state already, or
/// an explicit change to TRANSITIONING, which LIO refuses with EAGAIN),
/// else the group now shows TRANSITIONING and the cause's status.
pub fn begin(g: &mut TgPtGp, new_state: u8, cause: Cause) -> Option<Transition> {
    if g.access_state == new_state {
        return None;
    }
    if new_state == STATE_TRANSITION && matches!(cause, Cause::Explicit) {
        return None;
    }
    let t = Transition {
        from: g.access_state,
        to: new_state,
        status: cause.status(),
        delay_msecs: g.trans_delay_msecs,
        write_metadata: g.write_metadata,
    };
    g.access_state = STATE_TRANSITION;
    g.access_status = t.status;
    Some(t)
}

/// Ends a change started by [`begin`]: the group takes its new state.
pub fn finish(g: &mut TgPtGp, t: &Transition) {
    g.access_state = t.to;
}

/// Whether an I_T_L nexus of a LUN of the changed group gets the ASYMMETRIC
/// ACCESS STATE CHANGED unit attention: every one after an implicit
/// change; after SET TARGET PORT GROUPS, every one but the `origin`, the
/// nexus the command came through (same initiator, same target port, same
/// logical unit), as SPC-4 5.15.2.7 asks.
///
/// LIO skips more: every nexus through the origin's LUN (so the other
/// initiators on that target port miss the change), and every nexus of
/// the origin initiator's node ACL with an explicit LUN mapping, on any
/// port. We follow SPC-4.
pub const fn gets_state_change_ua(cause: Cause, origin: bool) -> bool {
    !(matches!(cause, Cause::Explicit) && origin)
}

/// A change of a target port's secondary (offline) state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortTransition {
    /// The port's secondary state is offline from now on.
    pub offline: bool,
    /// The port's status (`alua_tg_pt_status`) from now on.
    pub status: u8,
    /// Then sleep this long: the transition delay of the port's group.
    pub delay_msecs: u32,
}

/// Sets a port (a LUN, in LIO) of group `g` offline or online. LIO
/// refuses it (EINVAL, or for SET TARGET PORT GROUPS an INVALID FIELD IN
/// PARAMETER LIST) when the LUN is in no group; the caller checks that.
/// SET TARGET PORT GROUPS only ever sets a port offline: back online is
/// implicit (configfs).
pub const fn port_transition(g: &TgPtGp, offline: bool, cause: Cause) -> PortTransition {
    PortTransition {
        offline,
        status: cause.status(),
        delay_msecs: g.trans_delay_msecs,
    }
}

/// A writer into a caller's buffer that drops what does not fit.
struct Text<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl Text<'_> {
    fn bytes(&mut self, s: &[u8]) {
        for &b in s {
            if let Some(o) = self.out.get_mut(self.pos) {
                *o = b;
            }
            self.pos += 1;
        }
    }
    fn decimal(&mut self, v: u32) {
        let mut digits = [0u8; 10];
        let mut n = 0;
        let mut v = v;
        loop {
            if let Some(d) = digits.get_mut(n) {
                *d = b'0' + (v % 10) as u8;
            }
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for i in (0..n).rev() {
            let d = digits.get(i).copied().unwrap_or(b'0');
            self.bytes(&[d]);
        }
    }
    fn hex2(&mut self, v: u8) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hi = HEX.get(usize::from(v >> 4)).copied().unwrap_or(b'0');
        let lo = HEX.get(usize::from(v & 0xf)).copied().unwrap_or(b'0');
        self.bytes(&[b'0', b'x', hi, lo]);
    }
}

/// The primary metadata file of a group (`<db_root>/alua/tpgs_<unit
/// serial>/<group name>`), as LIO writes it: its ID, state and status.
/// Writes at most `out.len()` bytes and returns the full length.
pub fn encode_primary_metadata(id: u16, g: &TgPtGp, out: &mut [u8]) -> usize {
    let mut t = Text { out, pos: 0 };
    t.bytes(b"tg_pt_gp_id=");
    t.decimal(u32::from(id));
    t.bytes(b"\nalua_access_state=");
    t.hex2(g.access_state);
    t.bytes(b"\nalua_access_status=");
    t.hex2(g.access_status);
    t.bytes(b"\n");
    t.pos
}

/// The secondary metadata file of a port (`<db_root>/alua/<fabric>/<wwn>
/// [+<tpgt>]/lun_<lun>`), as LIO writes it: its offline state and
/// status. Writes at most `out.len()` bytes and returns the full length.
pub fn encode_secondary_metadata(offline: bool, status: u8, out: &mut [u8]) -> usize {
    let mut t = Text { out, pos: 0 };
    t.bytes(b"alua_tg_pt_offline=");
    t.decimal(u32::from(offline));
    t.bytes(b"\nalua_tg_pt_status=");
    t.hex2(status);
    t.bytes(b"\n");
    t.pos
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alua::STATUS_NONE;

    const ALL_STATES: [u8; 7] = [
        STATE_ACTIVE_OPTIMIZED,
        STATE_ACTIVE_NON_OPTIMIZED,
        STATE_STANDBY,
        STATE_UNAVAILABLE,
        STATE_LBA_DEPENDENT,
        STATE_OFFLINE,
        STATE_TRANSITION,
    ];

    fn sup_bit(state: u8) -> u8 {
        match state {
            STATE_ACTIVE_OPTIMIZED => SUP_ACTIVE_OPTIMIZED,
            STATE_ACTIVE_NON_OPTIMIZED => SUP_ACTIVE_NON_OPTIMIZED,
            STATE_STANDBY => SUP_STANDBY,
            STATE_UNAVAILABLE => SUP_UNAVAILABLE,
            STATE_LBA_DEPENDENT => SUP_LBA_DEPENDENT,
            STATE_OFFLINE => SUP_OFFLINE,
            STATE_TRANSITION => SUP_TRANSITION,
            _ => 0,
        }
    }

    #[test]
    fn check_transition_is_lios() {
        for state in 0..=255u8 {
            for cause in [Cause::Explicit, Cause::Implicit] {
                let r = check_transition(state, 0xff, cause);
                if !ALL_STATES.contains(&state) {
                    assert_eq!(r, Err(TransitionError::Unknown), "{state}");
                    continue;
                }
                if state == STATE_TRANSITION && cause == Cause::Explicit {
                    assert_eq!(r, Err(TransitionError::Unsupported));
                    continue;
                }
                let kind = if matches!(state, STATE_OFFLINE | STATE_TRANSITION) {
                    Kind::Secondary
                } else {
                    Kind::Primary
                };
                assert_eq!(r, Ok(kind), "{state}");
                // Every other bit set is not enough.
                assert_eq!(
                    check_transition(state, !sup_bit(state), cause),
                    Err(TransitionError::Unsupported),
                    "{state}"
                );
                assert_eq!(check_transition(state, sup_bit(state), cause), Ok(kind));
            }
        }
    }

    #[test]
    fn explicit_change() {
        let mut g = TgPtGp {
            trans_delay_msecs: 250,
            write_metadata: true,
            ..TgPtGp::default()
        };
        let t = begin(&mut g, STATE_STANDBY, Cause::Explicit).unwrap();
        assert_eq!(
            t,
            Transition {
                from: STATE_ACTIVE_OPTIMIZED,
                to: STATE_STANDBY,
                status: STATUS_ALTERED_BY_EXPLICIT_STPG,
                delay_msecs: 250,
                write_metadata: true,
            }
        );
        assert!(!t.stays_in_transition());
        assert_eq!(g.access_state, STATE_TRANSITION);
        assert_eq!(g.access_status, STATUS_ALTERED_BY_EXPLICIT_STPG);
        finish(&mut g, &t);
        assert_eq!(g.access_state, STATE_STANDBY);
        assert_eq!(g.access_status, STATUS_ALTERED_BY_EXPLICIT_STPG);
        // Already there: nothing, status kept.
        assert_eq!(begin(&mut g, STATE_STANDBY, Cause::Implicit), None);
        assert_eq!(g.access_status, STATUS_ALTERED_BY_EXPLICIT_STPG);
        // Explicit to transitioning: LIO's EAGAIN, nothing changes.
        assert_eq!(begin(&mut g, STATE_TRANSITION, Cause::Explicit), None);
        assert_eq!(g.access_state, STATE_STANDBY);
    }

    #[test]
    fn implicit_change_to_transitioning_stays() {
        let mut g = TgPtGp::default();
        assert_eq!(g.access_status, STATUS_NONE);
        let t = begin(&mut g, STATE_TRANSITION, Cause::Implicit).unwrap();
        assert!(t.stays_in_transition());
        assert_eq!(g.access_state, STATE_TRANSITION);
        assert_eq!(g.access_status, STATUS_ALTERED_BY_IMPLICIT_ALUA);
        // From transitioning to active/non-optimized.
        let t = begin(&mut g, STATE_ACTIVE_NON_OPTIMIZED, Cause::Implicit).unwrap();
        assert_eq!(t.from, STATE_TRANSITION);
        assert_eq!(t.delay_msecs, 0);
        assert!(!t.write_metadata);
        finish(&mut g, &t);
        assert_eq!(g.access_state, STATE_ACTIVE_NON_OPTIMIZED);
    }

    #[test]
    fn unit_attention_recipients() {
        assert!(gets_state_change_ua(Cause::Implicit, true));
        assert!(gets_state_change_ua(Cause::Implicit, false));
        assert!(!gets_state_change_ua(Cause::Explicit, true));
        assert!(gets_state_change_ua(Cause::Explicit, false));
        assert_eq!(UA_ASYMMETRIC_ACCESS_STATE_CHANGED, (0x2a, 0x06));
    }

    #[test]
    fn port_changes() {
        let g = TgPtGp {
            trans_delay_msecs: 7,
            ..TgPtGp::default()
        };
        assert_eq!(
            port_transition(&g, true, Cause::Explicit),
            PortTransition {
                offline: true,
                status: STATUS_ALTERED_BY_EXPLICIT_STPG,
                delay_msecs: 7
            }
        );
        assert_eq!(
            port_transition(&g, false, Cause::Implicit).status,
            STATUS_ALTERED_BY_IMPLICIT_ALUA
        );
    }

    #[test]
    fn metadata_is_lios() {
        let g = TgPtGp {
            access_state: STATE_OFFLINE,
            access_status: STATUS_ALTERED_BY_EXPLICIT_STPG,
            ..TgPtGp::default()
        };
        let mut buf = [0u8; 128];
        let n = encode_primary_metadata(65535, &g, &mut buf);
        assert_eq!(
            &buf[..n],
            b"tg_pt_gp_id=65535\nalua_access_state=0x0e\nalua_access_status=0x01\n"
        );
        let n = encode_primary_metadata(0, &TgPtGp::default(), &mut buf);
        assert_eq!(
            &buf[..n],
            b"tg_pt_gp_id=0\nalua_access_state=0x00\nalua_access_status=0x00\n"
        );
        let n = encode_secondary_metadata(true, 2, &mut buf);
        assert_eq!(&buf[..n], b"alua_tg_pt_offline=1\nalua_tg_pt_status=0x02\n");
        // Truncation: the prefix, and the full length.
        let full = *b"alua_tg_pt_offline=0\nalua_tg_pt_status=0x00\n";
        for cut in 0..=full.len() {
            let mut small = std::vec![0xaau8; cut];
            assert_eq!(encode_secondary_metadata(false, 0, &mut small), full.len());
            assert_eq!(small[..], full[..cut]);
        }
    }
}
