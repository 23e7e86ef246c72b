// SPDX-License-Identifier: GPL-2.0

//! REPORT SUPPORTED OPERATION CODES (SPC-4 6.35) and REPORT SUPPORTED TASK
//! MANAGEMENT FUNCTIONS (SPC-4 6.39) parameter data.
//!
//! The command table lists what [`crate::cdb::decode`] decodes, and each
//! CDB USAGE DATA bitmap has a bit set where the decoder reads the CDB and
//! clear where it refuses a set bit or ignores it (a unit test checks the
//! two against each other). Encoders write at most `out.len()` bytes and
//! return the full length.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

use crate::cdb::{opcode as op, service_action as sa, CdbError, DecodeOptions};

/// What the device offers, which decides the commands listed and some
/// bits of their usage data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandSet {
    /// The decoder's options: DPO/FUA, protection, ANCHOR, NDOB bits and
    /// COMPARE AND WRITE (listed when its maximum length is not 0).
    pub decode: DecodeOptions,
    /// UNMAP is listed (emulate_tpu).
    pub unmap: bool,
    /// WRITE SAME's UNMAP bit is usable (emulate_tpws).
    pub write_same_unmap: bool,
    /// PERSISTENT RESERVE IN/OUT and RESERVE/RELEASE are listed
    /// (emulate_pr).
    pub reservations: bool,
    /// REPORT SUPPORTED OPERATION CODES itself is listed (emulate_rsoc).
    pub rsoc: bool,
    /// REPORT TARGET PORT GROUPS is listed (LIO always lists it).
    pub report_target_port_groups: bool,
    /// SET TARGET PORT GROUPS is listed: the LUN's target port group
    /// allows explicit ALUA (LIO's `tcm_is_set_tpg_enabled()`).
    pub set_target_port_groups: bool,
}

impl CommandSet {
    /// A device with LIO's default attributes.
    pub const LIO_DEFAULT: Self = Self {
        decode: DecodeOptions::LIO_DEFAULT,
        unmap: false,
        write_same_unmap: false,
        reservations: true,
        rsoc: true,
        report_target_port_groups: true,
        set_target_port_groups: true,
    };
}

/// Which attribute of [`CommandSet`] a command needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    Nothing,
    CompareAndWrite,
    Unmap,
    Reservations,
    Rsoc,
    Rtpg,
    Stpg,
}

/// Bits of byte 1 (or another) that depend on the [`CommandSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dyn {
    None,
    /// DPO and FUA at byte 1 bits 4-3, PROTECT at bits 7-5.
    DpoFuaProtect,
    /// DPO at bit 4, PROTECT at bits 7-5 (VERIFY, WRITE AND VERIFY).
    DpoProtect,
    /// PROTECT, ANCHOR (bit 4), UNMAP (bit 3), NDOB (bit 0, 16 only).
    WriteSame,
    /// ANCHOR at bit 0.
    UnmapAnchor,
}

/// One supported command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Descriptor {
    pub opcode: u8,
    /// The service action, for an operation code that has them.
    pub service_action: Option<u16>,
    /// The static CDB usage data (its length is the CDB length).
    usage: &'static [u8],
    needs: Needs,
    dynamic: Dyn,
}

impl Descriptor {
    /// The CDB length.
    pub const fn cdb_len(&self) -> usize {
        self.usage.len()
    }

    /// The CDB usage data for `set` into `out` (at least 16 bytes);
    /// returns its length.
    pub fn usage(&self, set: &CommandSet, out: &mut [u8; 16]) -> usize {
        *out = [0; 16];
        for (o, u) in out.iter_mut().zip(self.usage) {
            *o = *u;
        }
        let d = &set.decode;
        let protect = if d.protection { 0xe0 } else { 0 };
        let dpo = if d.dpofua { 0x10 } else { 0 };
        let fua = if d.dpofua { 0x08 } else { 0 };
        out[1] |= match self.dynamic {
            Dyn::None => 0,
            Dyn::DpoFuaProtect => protect | dpo | fua,
            Dyn::DpoProtect => protect | dpo,
            Dyn::WriteSame => {
                protect
                    | if d.anchor { 0x10 } else { 0 }
                    | if set.write_same_unmap { 0x08 } else { 0 }
                    | if d.ndob && self.opcode == op::WRITE_SAME_16 {
                        0x01
                    } else {
                        0
                    }
            }
            Dyn::UnmapAnchor => u8::from(d.anchor),
        };
        self.usage.len()
    }

    fn enabled(&self, set: &CommandSet) -> bool {
        match self.needs {
            Needs::Nothing => true,
            Needs::CompareAndWrite => set.decode.max_compare_and_write != 0,
            Needs::Unmap => set.unmap,
            Needs::Reservations => set.reservations,
            Needs::Rsoc => set.rsoc,
            Needs::Rtpg => set.report_target_port_groups,
            Needs::Stpg => set.set_target_port_groups,
        }
    }
}

const fn cmd(opcode: u8, usage: &'static [u8], dynamic: Dyn) -> Descriptor {
    Descriptor {
        opcode,
        service_action: None,
        usage,
        needs: Needs::Nothing,
        dynamic,
    }
}

const fn with_sa(opcode: u8, service_action: u8, usage: &'static [u8], needs: Needs) -> Descriptor {
    Descriptor {
        opcode,
        service_action: Some(service_action as u16),
        usage,
        needs,
        dynamic: Dyn::None,
    }
}

const fn needing(d: Descriptor, needs: Needs) -> Descriptor {
    Descriptor { needs, ..d }
}

const FF: u8 = 0xff;

/// PERSISTENT RESERVE IN usage data for a service action.
macro_rules! pr_in {
    ($sa:expr) => {
        with_sa(
            op::PERSISTENT_RESERVE_IN,
            $sa,
            &[op::PERSISTENT_RESERVE_IN, $sa, 0, 0, 0, 0, 0, FF, FF, 0],
            Needs::Reservations,
        )
    };
}

/// PERSISTENT RESERVE OUT usage data for a service action.
macro_rules! pr_out {
    ($sa:expr) => {
        with_sa(
            op::PERSISTENT_RESERVE_OUT,
            $sa,
            &[op::PERSISTENT_RESERVE_OUT, $sa, FF, 0, 0, FF, FF, FF, FF, 0],
            Needs::Reservations,
        )
    };
}

/// Every command [`crate::cdb::decode`] decodes, in ascending operation
/// code and service action order. Group numbers are accepted but ignored
/// (0 in the usage data, as LIO), and so are the control byte's bits.
#[rustfmt::skip]
pub const COMMANDS: &[Descriptor] = &[
    cmd(op::TEST_UNIT_READY, &[op::TEST_UNIT_READY, 0, 0, 0, 0, 0], Dyn::None),
    cmd(op::REQUEST_SENSE, &[op::REQUEST_SENSE, 0x01, 0, 0, FF, 0], Dyn::None),
    cmd(op::READ_6, &[op::READ_6, 0x1f, FF, FF, FF, 0], Dyn::None),
    cmd(op::WRITE_6, &[op::WRITE_6, 0x1f, FF, FF, FF, 0], Dyn::None),
    cmd(op::INQUIRY, &[op::INQUIRY, 0x01, FF, FF, FF, 0], Dyn::None),
    cmd(op::MODE_SELECT_6, &[op::MODE_SELECT_6, 0x10, 0, 0, FF, 0], Dyn::None),
    needing(cmd(op::RESERVE_6, &[op::RESERVE_6, 0, 0, 0, 0, 0], Dyn::None), Needs::Reservations),
    needing(cmd(op::RELEASE_6, &[op::RELEASE_6, 0, 0, 0, 0, 0], Dyn::None), Needs::Reservations),
    cmd(op::MODE_SENSE_6, &[op::MODE_SENSE_6, 0x08, FF, FF, FF, 0], Dyn::None),
    cmd(op::READ_CAPACITY_10, &[op::READ_CAPACITY_10, 0, FF, FF, FF, FF, 0, 0, 0x01, 0], Dyn::None),
    cmd(op::READ_10, &[op::READ_10, 0, FF, FF, FF, FF, 0, FF, FF, 0], Dyn::DpoFuaProtect),
    cmd(op::WRITE_10, &[op::WRITE_10, 0, FF, FF, FF, FF, 0, FF, FF, 0], Dyn::DpoFuaProtect),
    cmd(op::WRITE_AND_VERIFY_10, &[op::WRITE_AND_VERIFY_10, 0x02, FF, FF, FF, FF, 0, FF, FF, 0], Dyn::DpoProtect),
    cmd(op::VERIFY_10, &[op::VERIFY_10, 0x06, FF, FF, FF, FF, 0, FF, FF, 0], Dyn::DpoProtect),
    cmd(op::SYNCHRONIZE_CACHE_10, &[op::SYNCHRONIZE_CACHE_10, 0x02, FF, FF, FF, FF, 0, FF, FF, 0], Dyn::None),
    cmd(op::WRITE_SAME_10, &[op::WRITE_SAME_10, 0, FF, FF, FF, FF, 0, FF, FF, 0], Dyn::WriteSame),
    needing(cmd(op::UNMAP, &[op::UNMAP, 0, 0, 0, 0, 0, 0, FF, FF, 0], Dyn::UnmapAnchor), Needs::Unmap),
    cmd(op::MODE_SELECT_10, &[op::MODE_SELECT_10, 0x10, 0, 0, 0, 0, 0, FF, FF, 0], Dyn::None),
    needing(cmd(op::RESERVE_10, &[op::RESERVE_10, 0, 0, 0, 0, 0, 0, FF, FF, 0], Dyn::None), Needs::Reservations),
    needing(cmd(op::RELEASE_10, &[op::RELEASE_10, 0, 0, 0, 0, 0, 0, FF, FF, 0], Dyn::None), Needs::Reservations),
    cmd(op::MODE_SENSE_10, &[op::MODE_SENSE_10, 0x18, FF, FF, 0, 0, 0, FF, FF, 0], Dyn::None),
    pr_in!(0x00),
    pr_in!(0x01),
    pr_in!(0x02),
    pr_in!(0x03),
    pr_out!(0x00),
    pr_out!(0x01),
    pr_out!(0x02),
    pr_out!(0x03),
    pr_out!(0x04),
    pr_out!(0x05),
    pr_out!(0x06),
    pr_out!(0x07),
    cmd(op::READ_16, &[op::READ_16, 0, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::DpoFuaProtect),
    needing(cmd(op::COMPARE_AND_WRITE, &[op::COMPARE_AND_WRITE, 0, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0, 0, FF, 0, 0], Dyn::DpoFuaProtect), Needs::CompareAndWrite),
    cmd(op::WRITE_16, &[op::WRITE_16, 0, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::DpoFuaProtect),
    cmd(op::WRITE_AND_VERIFY_16, &[op::WRITE_AND_VERIFY_16, 0x02, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::DpoProtect),
    cmd(op::VERIFY_16, &[op::VERIFY_16, 0x06, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::DpoProtect),
    cmd(op::SYNCHRONIZE_CACHE_16, &[op::SYNCHRONIZE_CACHE_16, 0x02, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::None),
    cmd(op::WRITE_SAME_16, &[op::WRITE_SAME_16, 0, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::WriteSame),
    with_sa(op::SERVICE_ACTION_IN_16, sa::READ_CAPACITY_16, &[op::SERVICE_ACTION_IN_16, sa::READ_CAPACITY_16, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0x01, 0], Needs::Nothing),
    with_sa(op::SERVICE_ACTION_IN_16, sa::GET_LBA_STATUS, &[op::SERVICE_ACTION_IN_16, sa::GET_LBA_STATUS, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Needs::Nothing),
    cmd(op::REPORT_LUNS, &[op::REPORT_LUNS, 0, FF, 0, 0, 0, FF, FF, FF, FF, 0, 0], Dyn::None),
    with_sa(op::MAINTENANCE_IN, sa::REPORT_TARGET_PORT_GROUPS, &[op::MAINTENANCE_IN, 0xe0 | sa::REPORT_TARGET_PORT_GROUPS, 0, 0, 0, 0, FF, FF, FF, FF, 0, 0], Needs::Rtpg),
    with_sa(op::MAINTENANCE_IN, sa::REPORT_SUPPORTED_OPERATION_CODES, &[op::MAINTENANCE_IN, sa::REPORT_SUPPORTED_OPERATION_CODES, 0x87, FF, FF, FF, FF, FF, FF, FF, 0, 0], Needs::Rsoc),
    with_sa(op::MAINTENANCE_IN, sa::REPORT_SUPPORTED_TMFS, &[op::MAINTENANCE_IN, sa::REPORT_SUPPORTED_TMFS, 0x80, 0, 0, 0, FF, FF, FF, FF, 0, 0], Needs::Nothing),
    with_sa(op::MAINTENANCE_OUT, sa::SET_TARGET_PORT_GROUPS, &[op::MAINTENANCE_OUT, sa::SET_TARGET_PORT_GROUPS, 0, 0, 0, 0, FF, FF, FF, FF, 0, 0], Needs::Stpg),
    cmd(op::READ_12, &[op::READ_12, 0, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::DpoFuaProtect),
    cmd(op::WRITE_12, &[op::WRITE_12, 0, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::DpoFuaProtect),
    cmd(op::WRITE_AND_VERIFY_12, &[op::WRITE_AND_VERIFY_12, 0x02, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::DpoProtect),
    cmd(op::VERIFY_12, &[op::VERIFY_12, 0x06, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0], Dyn::DpoProtect),
];

/// Whether `set` offers `opcode` (with `service_action` for operation
/// codes that have them): the engine refuses an opcode it does not offer
/// with INVALID COMMAND OPERATION CODE, as LIO (UNMAP without emulate_tpu,
/// PR without emulate_pr, ...).
pub fn lookup(set: &CommandSet, opcode: u8, service_action: u16) -> Option<&'static Descriptor> {
    COMMANDS.iter().find(|d| {
        d.opcode == opcode && d.service_action.is_none_or(|s| s == service_action) && d.enabled(set)
    })
}

/// The command timeouts descriptor (SPC-4 6.35.4): no timeouts given.
const TIMEOUTS: [u8; 12] = [0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// Writes `v` at `*at` (what fits) and advances `*at`.
fn put(out: &mut [u8], at: &mut usize, v: &[u8]) {
    for (i, b) in v.iter().enumerate() {
        if let Some(o) = out.get_mut(*at + i) {
            *o = *b;
        }
    }
    *at += v.len();
}

/// REPORTING OPTIONS 000b: the all_commands parameter data, with command
/// timeouts descriptors when `rctd`.
pub fn encode_all_commands(set: &CommandSet, rctd: bool, out: &mut [u8]) -> usize {
    let mut at = 4;
    for d in COMMANDS.iter().filter(|d| d.enabled(set)) {
        let [sa_hi, sa_lo] = d.service_action.unwrap_or(0).to_be_bytes();
        let [len_hi, len_lo] = (d.cdb_len() as u16).to_be_bytes();
        let flags = u8::from(rctd) << 1 | u8::from(d.service_action.is_some());
        put(
            out,
            &mut at,
            &[d.opcode, 0, sa_hi, sa_lo, 0, flags, len_hi, len_lo],
        );
        if rctd {
            put(out, &mut at, &TIMEOUTS);
        }
    }
    let len = u32::try_from(at - 4).unwrap_or(u32::MAX);
    put(out, &mut 0, &len.to_be_bytes());
    at
}

/// REPORTING OPTIONS 001b-011b: the one_command parameter data for
/// `opcode` and `service_action`.
///
/// As SPC-4 and LIO: options 1 for an operation code with service actions,
/// or 2 for one without, are INVALID FIELD IN CDB (pointing at REPORTING
/// OPTIONS). A command we do not offer gets SUPPORT 001b with no usage
/// data: a 4-byte header (LIO returns only 2 bytes). With options 3 the
/// service action is ignored for an operation code without any (LIO wants
/// it 0).
pub fn encode_one_command(
    set: &CommandSet,
    options: u8,
    opcode: u8,
    service_action: u16,
    rctd: bool,
    out: &mut [u8],
) -> Result<usize, CdbError> {
    let has_sa = COMMANDS
        .iter()
        .any(|d| d.opcode == opcode && d.service_action.is_some());
    match options {
        1 if has_sa => return Err(CdbError::invalid_field(2, Some(2))),
        2 if !has_sa && COMMANDS.iter().any(|d| d.opcode == opcode) => {
            return Err(CdbError::invalid_field(2, Some(2)))
        }
        1..=3 => {}
        _ => return Err(CdbError::invalid_field(2, Some(2))),
    }
    let mut at = 0;
    let Some(d) = lookup(set, opcode, service_action) else {
        put(out, &mut at, &[0, 0x01, 0, 0]);
        return Ok(at);
    };
    let mut usage = [0u8; 16];
    let n = d.usage(set, &mut usage);
    let [len_hi, len_lo] = (n as u16).to_be_bytes();
    put(
        out,
        &mut at,
        &[0, u8::from(rctd) << 7 | 0x03, len_hi, len_lo],
    );
    put(out, &mut at, usage.get(..n).unwrap_or(&[]));
    if rctd {
        put(out, &mut at, &TIMEOUTS);
    }
    Ok(at)
}

/// The task management functions supported (SPC-4 table 371).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SupportedTmfs {
    pub abort_task: bool,
    pub abort_task_set: bool,
    pub clear_aca: bool,
    pub clear_task_set: bool,
    pub lun_reset: bool,
    pub query_task: bool,
    pub target_reset: bool,
    pub wakeup: bool,
    pub query_async_event: bool,
    pub query_task_set: bool,
    pub i_t_nexus_reset: bool,
}

impl SupportedTmfs {
    /// What LIO's core carries out: ABORT TASK and LOGICAL UNIT RESET
    /// (the others are answered FUNCTION NOT SUPPORTED).
    pub const LIO: Self = Self {
        abort_task: true,
        abort_task_set: false,
        clear_aca: false,
        clear_task_set: false,
        lun_reset: true,
        query_task: false,
        target_reset: false,
        wakeup: false,
        query_async_event: false,
        query_task_set: false,
        i_t_nexus_reset: false,
    };
}

/// REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS data: 4 bytes, or the
/// 16-byte extended format when `repd` (no timeouts: TMFTMOV 0).
pub fn encode_supported_tmfs(t: &SupportedTmfs, repd: bool, out: &mut [u8]) -> usize {
    let bit = |b: bool, n: u8| u8::from(b) << n;
    let b0 = bit(t.abort_task, 7)
        | bit(t.abort_task_set, 6)
        | bit(t.clear_aca, 5)
        | bit(t.clear_task_set, 4)
        | bit(t.lun_reset, 3)
        | bit(t.query_task, 2)
        | bit(t.target_reset, 1)
        | bit(t.wakeup, 0);
    let b1 = bit(t.query_async_event, 2) | bit(t.query_task_set, 1) | bit(t.i_t_nexus_reset, 0);
    let mut at = 0;
    put(out, &mut at, &[b0, b1, 0, if repd { 0x0c } else { 0 }]);
    if repd {
        put(out, &mut at, &[0; 12]);
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdb::decode;

    /// Everything on, so that every table entry and usage bit is live.
    const ALL: CommandSet = CommandSet {
        decode: DecodeOptions {
            dpofua: true,
            protection: true,
            anchor: true,
            ndob: true,
            max_compare_and_write: 255,
        },
        unmap: true,
        write_same_unmap: true,
        reservations: true,
        rsoc: true,
        report_target_port_groups: true,
        set_target_port_groups: true,
    };

    /// A CDB the decoder accepts, for each table entry.
    fn baseline(d: &Descriptor) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[0] = d.opcode;
        if let Some(sa) = d.service_action {
            c[1] = sa as u8;
        }
        match d.opcode {
            op::INQUIRY => c[1] = 1,
            op::MODE_SELECT_6 | op::MODE_SELECT_10 => c[1] = 0x10,
            op::REPORT_LUNS | op::MAINTENANCE_IN => c[9] = 0x10,
            op::WRITE_SAME_10 => c[8] = 1,
            op::WRITE_SAME_16 => c[13] = 1,
            op::READ_CAPACITY_10 => c[8] = 1,
            op::SERVICE_ACTION_IN_16 if c[1] == sa::READ_CAPACITY_16 => c[14] = 1,
            _ => {}
        }
        c
    }

    /// A used bit whose values the decoder may still refuse: a field with
    /// reserved values, or one whose change breaks another field's check.
    fn may_refuse(d: &Descriptor, byte: usize, bit: u8) -> bool {
        matches!(
            (d.opcode, byte, bit),
            // BYTCHK 10b (and 11b for WRITE AND VERIFY) is reserved.
            (
                op::VERIFY_10
                    | op::VERIFY_12
                    | op::VERIFY_16
                    | op::WRITE_AND_VERIFY_10
                    | op::WRITE_AND_VERIFY_12
                    | op::WRITE_AND_VERIFY_16,
                1,
                2
            )
            // SELECT REPORT values; ALLOCATION LENGTH below 4.
            | (op::REPORT_LUNS, 2 | 9, _)
            // PARAMETER DATA FORMAT and REPORTING OPTIONS values;
            // ALLOCATION LENGTH below 4.
            | (op::MAINTENANCE_IN, 1, 5..=7)
            | (op::MAINTENANCE_IN, 2, 2)
            | (op::MAINTENANCE_IN, 9, _)
            // NUMBER OF LOGICAL BLOCKS 0 (WSNZ).
            | (op::WRITE_SAME_10, 8, 0)
            | (op::WRITE_SAME_16, 13, 0)
        )
    }

    #[test]
    fn usage_data_agrees_with_the_decoder() {
        for d in COMMANDS {
            let base = baseline(d);
            let n = d.cdb_len();
            assert!(decode(&base[..n], &ALL.decode).is_ok(), "{d:?}");
            let mut usage = [0u8; 16];
            assert_eq!(d.usage(&ALL, &mut usage), n);
            assert_eq!(usage[0], d.opcode);
            for byte in 1..n {
                for bit in 0..8u8 {
                    if d.service_action.is_some() && byte == 1 && bit < 5 {
                        continue; // the service action itself
                    }
                    let mut c = base;
                    c[byte] ^= 1 << bit;
                    let got = decode(&c[..n], &ALL.decode);
                    let used = usage[byte] & (1 << bit) != 0;
                    if used {
                        assert!(
                            got.is_ok() || may_refuse(d, byte, bit),
                            "{:02x}/{:?} byte {byte} bit {bit} is in the usage data but refused: {got:?}",
                            d.opcode,
                            d.service_action
                        );
                    } else if let Err(e) = got {
                        let f = e.field.unwrap();
                        assert_eq!(
                            usize::from(f.byte),
                            byte,
                            "{:02x} byte {byte} bit {bit}: {e:?}",
                            d.opcode
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn table_is_sorted_and_decodable() {
        for w in COMMANDS.windows(2) {
            let key = |d: &Descriptor| (d.opcode, d.service_action.unwrap_or(0));
            assert!(key(&w[0]) < key(&w[1]), "{:?}", w[1]);
        }
    }

    #[test]
    fn all_commands() {
        let mut buf = [0u8; 2048];
        let n = encode_all_commands(&CommandSet::LIO_DEFAULT, false, &mut buf);
        let count = COMMANDS
            .iter()
            .filter(|d| d.enabled(&CommandSet::LIO_DEFAULT))
            .count();
        assert_eq!(n, 4 + 8 * count);
        assert_eq!(
            u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize,
            n - 4
        );
        // TEST UNIT READY first; UNMAP (emulate_tpu off) absent.
        assert_eq!(buf[4..12], [0x00, 0, 0, 0, 0, 0, 0, 6]);
        assert!(!buf[4..n].chunks(8).any(|c| c[0] == op::UNMAP));
        // PERSISTENT RESERVE IN READ RESERVATION: service action valid.
        let pri = buf[4..n]
            .chunks(8)
            .find(|c| c[0] == op::PERSISTENT_RESERVE_IN && c[3] == 1)
            .unwrap();
        assert_eq!(pri, [0x5e, 0, 0, 1, 0, 0x01, 0, 10]);
        let m = encode_all_commands(&ALL, true, &mut buf);
        assert_eq!(m, 4 + 20 * COMMANDS.len());
        assert_eq!(
            buf[4..24],
            [0, 0, 0, 0, 0, 0x02, 0, 6, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        let mut short = [0u8; 10];
        assert_eq!(encode_all_commands(&ALL, true, &mut short), m);
        assert_eq!(short[..10], buf[..10]);
    }

    #[test]
    fn one_command() {
        let mut buf = [0u8; 64];
        let set = CommandSet::LIO_DEFAULT;
        // READ(10) with FUA and DPO on (LIO also sets RDPROTECT, 0xf8,
        // though it refuses it without protection information).
        let n = encode_one_command(&set, 1, op::READ_10, 0, false, &mut buf).unwrap();
        assert_eq!(n, 14);
        assert_eq!(
            buf[..14],
            [0, 0x03, 0, 10, 0x28, 0x18, FF, FF, FF, FF, 0, FF, FF, 0]
        );
        let n = encode_one_command(&set, 3, op::READ_10, 7, true, &mut buf).unwrap();
        assert_eq!(n, 4 + 10 + 12);
        assert_eq!(buf[1], 0x83);
        assert_eq!(buf[14..16], [0, 0x0a]);
        // With service actions.
        let n =
            encode_one_command(&set, 2, op::SERVICE_ACTION_IN_16, 0x10, false, &mut buf).unwrap();
        assert_eq!(n, 20);
        assert_eq!(buf[4..6], [0x9e, 0x10]);
        assert_eq!(
            encode_one_command(&set, 1, op::MAINTENANCE_IN, 0x0c, false, &mut buf),
            Err(CdbError::invalid_field(2, Some(2)))
        );
        assert_eq!(
            encode_one_command(&set, 2, op::READ_10, 0, false, &mut buf),
            Err(CdbError::invalid_field(2, Some(2)))
        );
        // Not supported: an unknown opcode, an unknown service action, a
        // command this device does not offer.
        for (o, opc, s) in [
            (1, 0x02, 0),
            (2, op::SERVICE_ACTION_IN_16, 0x11),
            (1, op::UNMAP, 0),
        ] {
            buf.fill(0xee);
            assert_eq!(encode_one_command(&set, o, opc, s, false, &mut buf), Ok(4));
            assert_eq!(buf[..4], [0, 0x01, 0, 0]);
        }
        assert!(lookup(&set, op::UNMAP, 0).is_none());
        assert!(lookup(&ALL, op::UNMAP, 0).is_some());
        assert!(lookup(&set, op::PERSISTENT_RESERVE_OUT, 7).is_some());
        assert!(lookup(&set, op::PERSISTENT_RESERVE_OUT, 8).is_none());
    }

    #[test]
    fn write_same_usage() {
        let d = lookup(&ALL, op::WRITE_SAME_16, 0).unwrap();
        let mut u = [0u8; 16];
        d.usage(&ALL, &mut u);
        assert_eq!(u[1], 0xf9);
        let d = lookup(&ALL, op::WRITE_SAME_10, 0).unwrap();
        d.usage(&ALL, &mut u);
        assert_eq!(u[1], 0xf8);
        d.usage(&CommandSet::LIO_DEFAULT, &mut u);
        assert_eq!(u[1], 0x00);
    }

    #[test]
    fn tmfs() {
        let mut b = [0xffu8; 16];
        assert_eq!(encode_supported_tmfs(&SupportedTmfs::LIO, false, &mut b), 4);
        assert_eq!(b[..4], [0x88, 0, 0, 0]);
        assert_eq!(encode_supported_tmfs(&SupportedTmfs::LIO, true, &mut b), 16);
        assert_eq!(b[..4], [0x88, 0, 0, 0x0c]);
        assert_eq!(b[4..], [0; 12]);
        let all = SupportedTmfs {
            abort_task: true,
            abort_task_set: true,
            clear_aca: true,
            clear_task_set: true,
            lun_reset: true,
            query_task: true,
            target_reset: true,
            wakeup: true,
            query_async_event: true,
            query_task_set: true,
            i_t_nexus_reset: true,
        };
        encode_supported_tmfs(&all, false, &mut b);
        assert_eq!(b[..2], [0xff, 0x07]);
    }
}
