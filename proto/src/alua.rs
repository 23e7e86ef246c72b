// SPDX-License-Identifier: GPL-2.0

//! ALUA target port groups of a device (`core/<hba>/<device>/alua/<group>/`):
//! their settings, LIO's defaults and checks, and the text they show.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

use crate::text::{self, ParseError};

/// Asymmetric access states (SPC-4 6.37).
pub const STATE_ACTIVE_OPTIMIZED: u8 = 0x0;
pub const STATE_ACTIVE_NON_OPTIMIZED: u8 = 0x1;
pub const STATE_STANDBY: u8 = 0x2;
pub const STATE_UNAVAILABLE: u8 = 0x3;
pub const STATE_LBA_DEPENDENT: u8 = 0x4;
pub const STATE_OFFLINE: u8 = 0xe;
pub const STATE_TRANSITION: u8 = 0xf;

/// Supported-state bits (REPORT TARGET PORT GROUPS).
pub const SUP_TRANSITION: u8 = 0x80;
pub const SUP_OFFLINE: u8 = 0x40;
pub const SUP_LBA_DEPENDENT: u8 = 0x10;
pub const SUP_UNAVAILABLE: u8 = 0x08;
pub const SUP_STANDBY: u8 = 0x04;
pub const SUP_ACTIVE_NON_OPTIMIZED: u8 = 0x02;
pub const SUP_ACTIVE_OPTIMIZED: u8 = 0x01;

/// Access status after a change (SPC-4 6.37).
pub const STATUS_NONE: u8 = 0;
pub const STATUS_ALTERED_BY_EXPLICIT_STPG: u8 = 1;
pub const STATUS_ALTERED_BY_IMPLICIT_ALUA: u8 = 2;

/// TPGS bits of the standard INQUIRY data.
pub const TPGS_IMPLICIT: u8 = 0x10;
pub const TPGS_EXPLICIT: u8 = 0x20;

/// Limits of the delays, as LIO's.
pub const MAX_NONOP_DELAY_MSECS: u32 = 10_000;
pub const MAX_TRANS_DELAY_MSECS: u32 = 30_000;
pub const MAX_IMPLICIT_TRANS_SECS: u32 = 255;
/// The largest target port group ID.
pub const MAX_ID: u64 = 0xffff;

/// The settings of one target port group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TgPtGp {
    pub access_state: u8,
    pub access_status: u8,
    /// [`TPGS_IMPLICIT`] and [`TPGS_EXPLICIT`] bits.
    pub access_type: u8,
    /// `SUP_*` bits.
    pub supported: u8,
    pub write_metadata: bool,
    pub nonop_delay_msecs: u32,
    pub trans_delay_msecs: u32,
    pub implicit_trans_secs: u32,
    pub preferred: bool,
}

impl Default for TgPtGp {
    /// A new group, as LIO makes it: active/optimized, implicit and
    /// explicit ALUA, every state but LBA dependent supported.
    fn default() -> Self {
        Self {
            access_state: STATE_ACTIVE_OPTIMIZED,
            access_status: STATUS_NONE,
            access_type: TPGS_IMPLICIT | TPGS_EXPLICIT,
            supported: SUP_TRANSITION
                | SUP_OFFLINE
                | SUP_UNAVAILABLE
                | SUP_STANDBY
                | SUP_ACTIVE_NON_OPTIMIZED
                | SUP_ACTIVE_OPTIMIZED,
            write_metadata: false,
            nonop_delay_msecs: 100,
            trans_delay_msecs: 0,
            implicit_trans_secs: 0,
            preferred: false,
        }
    }
}

/// Why a write was refused: EINVAL, ERANGE for [`Error::Parse`] of a
/// number that does not fit, ENODEV for [`Error::NotEnabled`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    Parse(ParseError),
    Invalid(&'static str),
    /// The group has no ID yet.
    NoId,
    /// The device is not enabled.
    NotEnabled,
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Self::Parse(e)
    }
}

/// `alua_access_state`: `Ok(Some(state))` when the group must change to
/// `state`, `Ok(None)` when it is there already.
pub fn parse_access_state(
    g: &TgPtGp,
    input: &[u8],
    has_id: bool,
    enabled: bool,
) -> Result<Option<u8>, Error> {
    if !has_id {
        return Err(Error::NoId);
    }
    if !enabled {
        return Err(Error::NotEnabled);
    }
    let value = text::parse_u64(input)?;
    if g.access_type & TPGS_IMPLICIT == 0 {
        return Err(Error::Invalid("implicit ALUA is disabled for the group"));
    }
    // LIO keeps the value as an int: only the low 32 bits count.
    let state = value as u32;
    if g.access_type & TPGS_EXPLICIT != 0 && state == u32::from(STATE_LBA_DEPENDENT) {
        return Err(Error::Invalid("LBA dependent needs implicit-only ALUA"));
    }
    let needed = match u8::try_from(state) {
        Ok(STATE_ACTIVE_OPTIMIZED) => SUP_ACTIVE_OPTIMIZED,
        Ok(STATE_ACTIVE_NON_OPTIMIZED) => SUP_ACTIVE_NON_OPTIMIZED,
        Ok(STATE_STANDBY) => SUP_STANDBY,
        Ok(STATE_UNAVAILABLE) => SUP_UNAVAILABLE,
        Ok(STATE_LBA_DEPENDENT) => SUP_LBA_DEPENDENT,
        Ok(STATE_OFFLINE) => SUP_OFFLINE,
        Ok(STATE_TRANSITION) => SUP_TRANSITION,
        _ => return Err(Error::Invalid("unknown access state")),
    };
    if g.supported & needed == 0 {
        return Err(Error::Invalid("the group does not support that state"));
    }
    // In range: one of the states above.
    let state = state as u8;
    Ok(if state == g.access_state {
        None
    } else {
        Some(state)
    })
}

/// The attributes of a group other than its state and ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    AccessStatus,
    AccessType,
    /// One `alua_support_*` flag: its `SUP_*` bit.
    Support(u8),
    WriteMetadata,
    NonopDelayMsecs,
    TransDelayMsecs,
    ImplicitTransSecs,
    Preferred,
}

/// Checks a write of `input` to setting `s` and applies it to `g`; a
/// refused write changes nothing.
pub fn store(g: &mut TgPtGp, s: Setting, input: &[u8], has_id: bool) -> Result<(), Error> {
    let flag = |v: u64| match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Error::Invalid("must be 0 or 1")),
    };
    let at_most = |v: u64, max: u32| {
        u32::try_from(v)
            .ok()
            .filter(|v| *v <= max)
            .ok_or(Error::Invalid("above the maximum"))
    };
    match s {
        Setting::AccessStatus => {
            if !has_id {
                return Err(Error::NoId);
            }
            // LIO keeps the value as an int: only the low 32 bits count.
            g.access_status = match text::parse_u64(input)? as u32 {
                0 => STATUS_NONE,
                1 => STATUS_ALTERED_BY_EXPLICIT_STPG,
                2 => STATUS_ALTERED_BY_IMPLICIT_ALUA,
                _ => return Err(Error::Invalid("must be 0, 1 or 2")),
            };
        }
        Setting::AccessType => {
            g.access_type = match text::parse_u64(input)? {
                0 => 0,
                1 => TPGS_IMPLICIT,
                2 => TPGS_EXPLICIT,
                3 => TPGS_IMPLICIT | TPGS_EXPLICIT,
                _ => return Err(Error::Invalid("must be 0, 1, 2 or 3")),
            };
        }
        Setting::Support(bit) => {
            if !has_id {
                return Err(Error::NoId);
            }
            // LIO answers EINVAL to any bad value here, numbers too large
            // included.
            let v = text::parse_u64(input).map_err(|_| Error::Invalid("must be 0 or 1"))?;
            if flag(v)? {
                g.supported |= bit;
            } else {
                g.supported &= !bit;
            }
        }
        Setting::WriteMetadata => g.write_metadata = flag(text::parse_u64(input)?)?,
        Setting::NonopDelayMsecs => {
            g.nonop_delay_msecs = at_most(text::parse_u64(input)?, MAX_NONOP_DELAY_MSECS)?;
        }
        Setting::TransDelayMsecs => {
            g.trans_delay_msecs = at_most(text::parse_u64(input)?, MAX_TRANS_DELAY_MSECS)?;
        }
        Setting::ImplicitTransSecs => {
            g.implicit_trans_secs = at_most(text::parse_u64(input)?, MAX_IMPLICIT_TRANS_SECS)?;
        }
        Setting::Preferred => g.preferred = flag(text::parse_u64(input)?)?,
    }
    Ok(())
}

/// `alua_access_type` as LIO shows it.
pub fn access_type_text(access_type: u8) -> &'static str {
    match (
        access_type & TPGS_IMPLICIT != 0,
        access_type & TPGS_EXPLICIT != 0,
    ) {
        (true, true) => "Implicit and Explicit",
        (true, false) => "Implicit",
        (false, true) => "Explicit",
        (false, false) => "None",
    }
}

/// An access state as LIO names it (a LUN's `alua_tg_pt_gp`).
pub fn state_text(state: u8) -> &'static str {
    match state {
        STATE_ACTIVE_OPTIMIZED => "Active/Optimized",
        STATE_ACTIVE_NON_OPTIMIZED => "Active/NonOptimized",
        STATE_LBA_DEPENDENT => "LBA Dependent",
        STATE_STANDBY => "Standby",
        STATE_UNAVAILABLE => "Unavailable",
        STATE_OFFLINE => "Offline",
        STATE_TRANSITION => "Transitioning",
        _ => "Unknown",
    }
}

/// `alua_access_status` as LIO shows it.
pub fn status_text(status: u8) -> &'static str {
    match status {
        STATUS_NONE => "None",
        STATUS_ALTERED_BY_EXPLICIT_STPG => "Altered by Explicit STPG",
        STATUS_ALTERED_BY_IMPLICIT_ALUA => "Altered by Implicit ALUA",
        _ => "Unknown",
    }
}

/// A device's LBA map was written: as LIO, every group then supports the
/// LBA dependent state.
pub fn lba_map_set(g: &mut TgPtGp) {
    g.supported |= SUP_LBA_DEPENDENT;
}

/// The value of an `alua_support_*` flag, 0 or 1.
pub fn supports(g: &TgPtGp, bit: u8) -> u8 {
    u8::from(g.supported & bit != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_are_lio_s() {
        assert_eq!(state_text(STATE_ACTIVE_OPTIMIZED), "Active/Optimized");
        assert_eq!(state_text(STATE_TRANSITION), "Transitioning");
        assert_eq!(state_text(7), "Unknown");
    }

    #[test]
    fn defaults_are_lios() {
        let g = TgPtGp::default();
        assert_eq!(access_type_text(g.access_type), "Implicit and Explicit");
        assert_eq!(status_text(g.access_status), "None");
        assert_eq!(supports(&g, SUP_LBA_DEPENDENT), 0);
        assert_eq!(supports(&g, SUP_OFFLINE), 1);
        assert_eq!(g.nonop_delay_msecs, 100);
    }

    #[test]
    fn state_changes() {
        let g = TgPtGp::default();
        assert_eq!(parse_access_state(&g, b"1", true, true), Ok(Some(1)));
        assert_eq!(parse_access_state(&g, b"0", true, true), Ok(None));
        assert_eq!(parse_access_state(&g, b"1", false, true), Err(Error::NoId));
        assert_eq!(
            parse_access_state(&g, b"1", true, false),
            Err(Error::NotEnabled)
        );
        assert!(parse_access_state(&g, b"4", true, true).is_err());
        assert!(parse_access_state(&g, b"5", true, true).is_err());
        assert_eq!(parse_access_state(&g, b"15", true, true), Ok(Some(15)));
        assert_eq!(
            parse_access_state(&g, b"4294967297", true, true),
            Ok(Some(1))
        );
        assert_eq!(
            parse_access_state(&g, b"x", true, true),
            Err(Error::Parse(ParseError::NotANumber))
        );
    }

    #[test]
    fn settings() {
        let mut g = TgPtGp::default();
        assert_eq!(
            store(&mut g, Setting::NonopDelayMsecs, b"10000", true),
            Ok(())
        );
        assert!(store(&mut g, Setting::NonopDelayMsecs, b"10001", true).is_err());
        assert_eq!(g.nonop_delay_msecs, 10000);
        assert_eq!(
            store(&mut g, Setting::AccessStatus, b"4294967297", true),
            Ok(())
        );
        assert_eq!(status_text(g.access_status), "Altered by Explicit STPG");
        assert_eq!(store(&mut g, Setting::AccessType, b"2", true), Ok(()));
        assert_eq!(access_type_text(g.access_type), "Explicit");
        assert_eq!(
            store(&mut g, Setting::Support(SUP_STANDBY), b"0", false),
            Err(Error::NoId)
        );
        assert!(store(
            &mut g,
            Setting::Support(SUP_STANDBY),
            b"99999999999999999999",
            true
        )
        .is_err());
        assert_eq!(
            store(&mut g, Setting::Support(SUP_STANDBY), b"0", true),
            Ok(())
        );
        assert_eq!(supports(&g, SUP_STANDBY), 0);
        assert_eq!(
            store(&mut g, Setting::Preferred, b"99999999999999999999", true),
            Err(Error::Parse(ParseError::OutOfRange))
        );
    }
}
