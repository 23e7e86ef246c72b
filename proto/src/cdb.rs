// SPDX-License-Identifier: GPL-2.0

//! CDB decoding (SPC-4, SBC-3/4) for the commands the tcm-rs engine serves.
//!
//! [`decode`] turns the bytes of a CDB into a typed [`Command`] with its data
//! direction and expected data length, or into a [`CdbError`] carrying the
//! sense key, additional sense code and sense-key-specific field pointer
//! (C/D=1, byte and bit) that SPC-4 asks for. What needs the device's state
//! (capacity, block limits, reservations) is left to the engine; for the
//! LBA range check it calls [`check_range`].
//!
//! What LIO checks (target_core_sbc.c, target_core_spc.c) is checked here
//! too, plus the reserved bits and control byte SPC-4 asks a device server
//! to refuse. Where LIO differs from the standard, a comment says so.
//!
//! Compiled both in the kernel modules and on the host: `core` only, no
//! panics on any input.

use crate::sense::{FieldPointer, Sense, SenseKey};

/// Operation codes decoded here.
pub mod opcode {
    pub const TEST_UNIT_READY: u8 = 0x00;
    pub const REQUEST_SENSE: u8 = 0x03;
    pub const READ_6: u8 = 0x08;
    pub const WRITE_6: u8 = 0x0a;
    pub const INQUIRY: u8 = 0x12;
    pub const MODE_SELECT_6: u8 = 0x15;
    pub const RESERVE_6: u8 = 0x16;
    pub const RELEASE_6: u8 = 0x17;
    pub const MODE_SENSE_6: u8 = 0x1a;
    pub const READ_CAPACITY_10: u8 = 0x25;
    pub const READ_10: u8 = 0x28;
    pub const WRITE_10: u8 = 0x2a;
    pub const WRITE_AND_VERIFY_10: u8 = 0x2e;
    pub const VERIFY_10: u8 = 0x2f;
    pub const SYNCHRONIZE_CACHE_10: u8 = 0x35;
    pub const WRITE_SAME_10: u8 = 0x41;
    pub const UNMAP: u8 = 0x42;
    pub const MODE_SELECT_10: u8 = 0x55;
    pub const RESERVE_10: u8 = 0x56;
    pub const RELEASE_10: u8 = 0x57;
    pub const MODE_SENSE_10: u8 = 0x5a;
    pub const PERSISTENT_RESERVE_IN: u8 = 0x5e;
    pub const PERSISTENT_RESERVE_OUT: u8 = 0x5f;
    pub const READ_16: u8 = 0x88;
    pub const COMPARE_AND_WRITE: u8 = 0x89;
    pub const WRITE_16: u8 = 0x8a;
    pub const WRITE_AND_VERIFY_16: u8 = 0x8e;
    pub const VERIFY_16: u8 = 0x8f;
    pub const SYNCHRONIZE_CACHE_16: u8 = 0x91;
    pub const WRITE_SAME_16: u8 = 0x93;
    pub const SERVICE_ACTION_IN_16: u8 = 0x9e;
    pub const REPORT_LUNS: u8 = 0xa0;
    pub const MAINTENANCE_IN: u8 = 0xa3;
    pub const MAINTENANCE_OUT: u8 = 0xa4;
    pub const READ_12: u8 = 0xa8;
    pub const WRITE_12: u8 = 0xaa;
    pub const WRITE_AND_VERIFY_12: u8 = 0xae;
    pub const VERIFY_12: u8 = 0xaf;
}

/// Service actions of SERVICE ACTION IN(16), MAINTENANCE IN and
/// MAINTENANCE OUT.
pub mod service_action {
    /// SERVICE ACTION IN(16): READ CAPACITY(16).
    pub const READ_CAPACITY_16: u8 = 0x10;
    /// SERVICE ACTION IN(16): GET LBA STATUS.
    pub const GET_LBA_STATUS: u8 = 0x12;
    /// MAINTENANCE IN: REPORT TARGET PORT GROUPS.
    pub const REPORT_TARGET_PORT_GROUPS: u8 = 0x0a;
    /// MAINTENANCE IN: REPORT SUPPORTED OPERATION CODES.
    pub const REPORT_SUPPORTED_OPERATION_CODES: u8 = 0x0c;
    /// MAINTENANCE IN: REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS.
    pub const REPORT_SUPPORTED_TMFS: u8 = 0x0d;
    /// MAINTENANCE OUT: SET TARGET PORT GROUPS.
    pub const SET_TARGET_PORT_GROUPS: u8 = 0x0a;
}

/// Additional sense codes the decoder and the encoders report.
pub mod asc {
    /// INVALID COMMAND OPERATION CODE (20h/00h).
    pub const INVALID_COMMAND_OPERATION_CODE: (u8, u8) = (0x20, 0x00);
    /// LOGICAL BLOCK ADDRESS OUT OF RANGE (21h/00h).
    pub const LBA_OUT_OF_RANGE: (u8, u8) = (0x21, 0x00);
    /// INVALID FIELD IN CDB (24h/00h).
    pub const INVALID_FIELD_IN_CDB: (u8, u8) = (0x24, 0x00);
    /// INVALID FIELD IN PARAMETER LIST (26h/00h).
    pub const INVALID_FIELD_IN_PARAMETER_LIST: (u8, u8) = (0x26, 0x00);
    /// PARAMETER LIST LENGTH ERROR (1Ah/00h).
    pub const PARAMETER_LIST_LENGTH_ERROR: (u8, u8) = (0x1a, 0x00);
    /// SAVING PARAMETERS NOT SUPPORTED (39h/00h).
    pub const SAVING_PARAMETERS_NOT_SUPPORTED: (u8, u8) = (0x39, 0x00);
}

/// A command refused: what the CHECK CONDITION sense data must say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CdbError {
    pub key: SenseKey,
    pub asc: u8,
    pub ascq: u8,
    /// The bad field, for INVALID FIELD IN CDB / PARAMETER LIST.
    pub field: Option<FieldPointer>,
}

impl CdbError {
    /// ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE, pointing at byte 0.
    pub const fn invalid_opcode() -> Self {
        Self::illegal(
            asc::INVALID_COMMAND_OPERATION_CODE,
            Some(cdb_field(0, None)),
        )
    }

    /// ILLEGAL REQUEST, INVALID FIELD IN CDB at `byte`, `bit` (the most
    /// significant bit of the bad field, as SPC-4 wants), C/D=1.
    pub const fn invalid_field(byte: u16, bit: Option<u8>) -> Self {
        Self::illegal(asc::INVALID_FIELD_IN_CDB, Some(cdb_field(byte, bit)))
    }

    /// ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST at `byte`, `bit` of
    /// the parameter data, C/D=0.
    pub const fn invalid_param(byte: u16, bit: Option<u8>) -> Self {
        Self::illegal(
            asc::INVALID_FIELD_IN_PARAMETER_LIST,
            Some(FieldPointer {
                in_cdb: false,
                byte,
                bit,
            }),
        )
    }

    /// ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR.
    pub const fn param_list_length() -> Self {
        Self::illegal(asc::PARAMETER_LIST_LENGTH_ERROR, None)
    }

    /// ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE (no pointer).
    pub const fn lba_out_of_range() -> Self {
        Self::illegal(asc::LBA_OUT_OF_RANGE, None)
    }

    /// ILLEGAL REQUEST, SAVING PARAMETERS NOT SUPPORTED at `byte`, `bit`.
    pub const fn saving_not_supported(byte: u16, bit: Option<u8>) -> Self {
        Self::illegal(
            asc::SAVING_PARAMETERS_NOT_SUPPORTED,
            Some(cdb_field(byte, bit)),
        )
    }

    const fn illegal(code: (u8, u8), field: Option<FieldPointer>) -> Self {
        Self {
            key: SenseKey::IllegalRequest,
            asc: code.0,
            ascq: code.1,
            field,
        }
    }

    /// The sense data for this error (current, no INFORMATION).
    pub const fn sense(&self) -> Sense {
        let mut s = Sense::new(self.key, self.asc, self.ascq);
        s.field_pointer = self.field;
        s
    }
}

const fn cdb_field(byte: u16, bit: Option<u8>) -> FieldPointer {
    FieldPointer {
        in_cdb: true,
        byte,
        bit,
    }
}

/// Which way data moves, seen from the initiator (SAM): data-in is read by
/// the initiator, data-out is written by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataDirection {
    /// No data transfer.
    None,
    /// Device to initiator (READ, INQUIRY, ...).
    FromDevice,
    /// Initiator to device (WRITE, MODE SELECT, UNMAP, ...).
    ToDevice,
}

/// The length of the data transfer the CDB asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataLength {
    /// A number of bytes (allocation or parameter list length).
    Bytes(u32),
    /// A number of logical blocks (multiply by the block size).
    Blocks(u32),
}

impl DataLength {
    /// The length in bytes for logical blocks of `block_size` bytes.
    pub const fn bytes(self, block_size: u32) -> u64 {
        match self {
            Self::Bytes(n) => n as u64,
            Self::Blocks(n) => n as u64 * block_size as u64,
        }
    }
}

/// MODE SENSE page control (SPC-4 table 97).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageControl {
    Current = 0,
    Changeable = 1,
    Default = 2,
    Saved = 3,
}

/// The fields of a block read or write (READ/WRITE/WRITE AND VERIFY/VERIFY).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rw {
    pub lba: u64,
    /// Transfer length in logical blocks (READ/WRITE(6): 0 means 256).
    pub blocks: u32,
    pub dpo: bool,
    pub fua: bool,
    /// RDPROTECT / WRPROTECT / VRPROTECT (0 for the 6-byte CDBs).
    pub protect: u8,
    /// GROUP NUMBER (0 for the 6-byte CDBs).
    pub group: u8,
    /// BYTCHK of VERIFY and WRITE AND VERIFY (SBC-4 2-bit field), else 0.
    pub bytchk: u8,
}

/// A decoded CDB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    TestUnitReady,
    Inquiry {
        evpd: bool,
        page_code: u8,
        alloc_len: u16,
    },
    RequestSense {
        desc: bool,
        alloc_len: u8,
    },
    ReportLuns {
        select_report: u8,
        alloc_len: u32,
    },
    ModeSense {
        ten: bool,
        dbd: bool,
        /// LLBAA (MODE SENSE(10) only).
        llbaa: bool,
        pc: PageControl,
        page: u8,
        subpage: u8,
        alloc_len: u16,
    },
    ModeSelect {
        ten: bool,
        pf: bool,
        param_len: u16,
    },
    ReportSupportedOpcodes {
        rctd: bool,
        /// REPORTING OPTIONS, 0..=3 (checked).
        options: u8,
        requested_opcode: u8,
        requested_sa: u16,
        alloc_len: u32,
    },
    ReportSupportedTmfs {
        repd: bool,
        alloc_len: u32,
    },
    ReportTargetPortGroups {
        /// PARAMETER DATA FORMAT (0 length only, 1 extended).
        format: u8,
        alloc_len: u32,
    },
    /// SET TARGET PORT GROUPS (MAINTENANCE OUT); the parameter list is
    /// checked by [`crate::alua_tpgs::StpgList::parse`].
    SetTargetPortGroups {
        param_len: u32,
    },
    PersistentReserveIn {
        service_action: u8,
        alloc_len: u16,
    },
    PersistentReserveOut {
        service_action: u8,
        scope: u8,
        pr_type: u8,
        param_len: u32,
    },
    /// RESERVE(6) or RESERVE(10) (SPC-2); third-party reservations are
    /// refused.
    Reserve {
        ten: bool,
        param_len: u16,
    },
    /// RELEASE(6) or RELEASE(10) (SPC-2); third-party reservations are
    /// refused.
    Release {
        ten: bool,
        param_len: u16,
    },
    Read(Rw),
    Write(Rw),
    WriteAndVerify(Rw),
    Verify(Rw),
    SynchronizeCache {
        lba: u64,
        /// 0: to the end of the medium.
        blocks: u32,
        immed: bool,
    },
    ReadCapacity10 {
        lba: u32,
        pmi: bool,
    },
    ReadCapacity16 {
        lba: u64,
        pmi: bool,
        alloc_len: u32,
    },
    GetLbaStatus {
        lba: u64,
        alloc_len: u32,
    },
    Unmap {
        anchor: bool,
        group: u8,
        param_len: u16,
    },
    WriteSame {
        lba: u64,
        /// Never 0 (WSNZ=1 is what we advertise).
        blocks: u32,
        unmap: bool,
        anchor: bool,
        ndob: bool,
        protect: u8,
        group: u8,
    },
    CompareAndWrite {
        lba: u64,
        /// NUMBER OF LOGICAL BLOCKS; the data-out buffer holds twice that.
        blocks: u8,
        dpo: bool,
        fua: bool,
        protect: u8,
        group: u8,
    },
}

/// A decoded CDB with what the transport needs to know about its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub opcode: u8,
    /// The length of the CDB for this operation code.
    pub cdb_len: u8,
    pub command: Command,
    pub direction: DataDirection,
    /// The expected data length; `Bytes(0)` when there is no data.
    pub length: DataLength,
}

impl Decoded {
    /// INQUIRY and REPORT LUNS are processed as HEAD OF QUEUE whatever
    /// their task attribute (SPC-4 5.3, as LIO does).
    pub const fn implicit_head_of_queue(&self) -> bool {
        matches!(
            self.command,
            Command::Inquiry { .. } | Command::ReportLuns { .. }
        )
    }

    /// The range of logical blocks the command touches, for
    /// [`check_range`]: `(lba, blocks)`. SYNCHRONIZE CACHE with 0 blocks
    /// (to the end of the medium) gives 0 blocks, which any in-range LBA
    /// passes.
    pub const fn lba_range(&self) -> Option<(u64, u32)> {
        match self.command {
            Command::Read(rw)
            | Command::Write(rw)
            | Command::WriteAndVerify(rw)
            | Command::Verify(rw) => Some((rw.lba, rw.blocks)),
            Command::SynchronizeCache { lba, blocks, .. } => Some((lba, blocks)),
            Command::WriteSame { lba, blocks, .. } => Some((lba, blocks)),
            Command::CompareAndWrite { lba, blocks, .. } => Some((lba, blocks as u32)),
            _ => None,
        }
    }
}

/// What the device supports, which decides whether some CDB bits are
/// refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// DPO and FUA are accepted (the DPOFUA bit of MODE SENSE is set;
    /// LIO's target_check_fua()). When false, DPO or FUA set is refused.
    pub dpofua: bool,
    /// Protection information is enabled: RDPROTECT/WRPROTECT/VRPROTECT
    /// other than 0 are accepted. When false they are refused.
    pub protection: bool,
    /// ANC_SUP: ANCHOR may be set in UNMAP and WRITE SAME.
    pub anchor: bool,
    /// NDOB may be set in WRITE SAME(16).
    pub ndob: bool,
    /// The MAXIMUM COMPARE AND WRITE LENGTH of VPD page B0h; 0 refuses
    /// COMPARE AND WRITE as an unsupported operation code (LIO does when
    /// emulate_caw is off).
    pub max_compare_and_write: u8,
}

impl DecodeOptions {
    /// What a device LIO creates reports by default: FUA and DPO on, no
    /// protection, no ANCHOR, no NDOB, COMPARE AND WRITE of one block.
    pub const LIO_DEFAULT: Self = Self {
        dpofua: true,
        protection: false,
        anchor: false,
        ndob: false,
        max_compare_and_write: 1,
    };
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self::LIO_DEFAULT
    }
}

/// The CDB length for `opcode` from its group code (SPC-4 4.2.5.1), or
/// `None` for the variable length (7Eh, 7Fh) and vendor-specific groups.
pub const fn cdb_len(opcode: u8) -> Option<usize> {
    match opcode >> 5 {
        0 => Some(6),
        1 | 2 => Some(10),
        3 => None,
        4 => Some(16),
        5 => Some(12),
        _ => None,
    }
}

/// Checks that `blocks` logical blocks from `lba` fit a medium of
/// `capacity` logical blocks (the READ CAPACITY(16) value plus one), with
/// no wrap. LOGICAL BLOCK ADDRESS OUT OF RANGE otherwise. As in LIO,
/// `blocks == 0` passes for any `lba <= capacity`.
pub const fn check_range(lba: u64, blocks: u32, capacity: u64) -> Result<(), CdbError> {
    match lba.checked_add(blocks as u64) {
        Some(end) if end <= capacity => Ok(()),
        _ => Err(CdbError::lba_out_of_range()),
    }
}

/// The CDB, copied into a fixed array so every field read is in bounds.
struct Cdb {
    b: [u8; 16],
    len: usize,
}

impl Cdb {
    fn u8(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }
    fn be16(&self, i: usize) -> u16 {
        u16::from_be_bytes([self.u8(i), self.u8(i + 1)])
    }
    fn be24(&self, i: usize) -> u32 {
        u32::from_be_bytes([0, self.u8(i), self.u8(i + 1), self.u8(i + 2)])
    }
    fn be32(&self, i: usize) -> u32 {
        u32::from_be_bytes([self.u8(i), self.u8(i + 1), self.u8(i + 2), self.u8(i + 3)])
    }
    fn be64(&self, i: usize) -> u64 {
        u64::from(self.be32(i)) << 32 | u64::from(self.be32(i + 4))
    }
    fn bit(&self, i: usize, bit: u8) -> bool {
        self.u8(i) & (1 << (bit & 7)) != 0
    }

    /// Refuses any bit of `mask` set in byte `i`, pointing at the most
    /// significant one.
    fn reserved(&self, i: usize, mask: u8) -> Result<(), CdbError> {
        let bad = self.u8(i) & mask;
        if bad == 0 {
            Ok(())
        } else {
            Err(CdbError::invalid_field(i as u16, Some(top_bit(bad))))
        }
    }

    /// Refuses nonzero bytes `from..to`.
    fn reserved_bytes(&self, from: usize, to: usize) -> Result<(), CdbError> {
        let mut i = from;
        while i < to {
            self.reserved(i, 0xff)?;
            i += 1;
        }
        Ok(())
    }

    /// The control byte (SAM-5 5.2): NACA is refused because standard
    /// INQUIRY reports NORMACA=0, and LINK because linked commands are not
    /// supported (SAM-4 made them obsolete). The vendor-specific bits 7-6
    /// are ignored; the others are reserved. LIO checks none of these.
    fn control(&self) -> Result<(), CdbError> {
        self.reserved(self.len - 1, 0x3f)
    }
}

/// The most significant set bit of a nonzero byte.
const fn top_bit(v: u8) -> u8 {
    7 - (v.leading_zeros() as u8 & 7)
}

/// Decodes `cdb` (at least as long as its operation code's CDB; extra
/// bytes are ignored).
pub fn decode(cdb: &[u8], opts: &DecodeOptions) -> Result<Decoded, CdbError> {
    let Some(&op) = cdb.first() else {
        return Err(CdbError::invalid_opcode());
    };
    let Some(len) = cdb_len(op) else {
        return Err(CdbError::invalid_opcode());
    };
    let Some(bytes) = cdb.get(..len) else {
        // The fabric handed over fewer bytes than the operation code
        // needs: the command cannot be what the initiator meant.
        return Err(CdbError::invalid_field(0, None));
    };
    let mut c = Cdb { b: [0; 16], len };
    for (d, s) in c.b.iter_mut().zip(bytes) {
        *d = *s;
    }
    let (command, direction, length) = decode_command(&c, opts)?;
    c.control()?;
    Ok(Decoded {
        opcode: op,
        cdb_len: len as u8,
        command,
        direction,
        length,
    })
}

type Parts = (Command, DataDirection, DataLength);

const NONE: (DataDirection, DataLength) = (DataDirection::None, DataLength::Bytes(0));

const fn data_in(n: u32) -> (DataDirection, DataLength) {
    if n == 0 {
        NONE
    } else {
        (DataDirection::FromDevice, DataLength::Bytes(n))
    }
}

const fn data_out(n: u32) -> (DataDirection, DataLength) {
    if n == 0 {
        NONE
    } else {
        (DataDirection::ToDevice, DataLength::Bytes(n))
    }
}

const fn blocks(dir: DataDirection, n: u32) -> (DataDirection, DataLength) {
    if n == 0 {
        NONE
    } else {
        (dir, DataLength::Blocks(n))
    }
}

fn with(cmd: Command, (dir, len): (DataDirection, DataLength)) -> Result<Parts, CdbError> {
    Ok((cmd, dir, len))
}

fn decode_command(c: &Cdb, opts: &DecodeOptions) -> Result<Parts, CdbError> {
    use opcode::*;
    match c.u8(0) {
        TEST_UNIT_READY => {
            c.reserved_bytes(1, 5)?;
            with(Command::TestUnitReady, NONE)
        }
        REQUEST_SENSE => {
            c.reserved(1, 0xfe)?;
            c.reserved_bytes(2, 4)?;
            let alloc_len = c.u8(4);
            // LIO refuses DESC=1; SPC-4 lets the device server honour it,
            // which the engine does.
            with(
                Command::RequestSense {
                    desc: c.bit(1, 0),
                    alloc_len,
                },
                data_in(alloc_len.into()),
            )
        }
        INQUIRY => {
            // Bit 1 is the obsolete CMDDT: refused, as SPC-3 devices do,
            // rather than answered with standard data the host did not ask
            // for. Bits 7-5 are ignored: SCSI-2's LUN field, which Linux
            // still fills in for the first INQUIRY to a LUN of a target it
            // has not identified yet (LIO ignores them too).
            c.reserved(1, 0x1e)?;
            let evpd = c.bit(1, 0);
            let page_code = c.u8(2);
            if !evpd && page_code != 0 {
                return Err(CdbError::invalid_field(2, Some(7)));
            }
            let alloc_len = c.be16(3);
            with(
                Command::Inquiry {
                    evpd,
                    page_code,
                    alloc_len,
                },
                data_in(alloc_len.into()),
            )
        }
        MODE_SENSE_6 | MODE_SENSE_10 => {
            let ten = c.u8(0) == MODE_SENSE_10;
            c.reserved(1, if ten { 0xe7 } else { 0xf7 })?;
            let alloc_len = if ten {
                c.reserved_bytes(4, 7)?;
                c.be16(7)
            } else {
                c.u8(4).into()
            };
            let pc = match c.u8(2) >> 6 {
                0 => PageControl::Current,
                1 => PageControl::Changeable,
                2 => PageControl::Default,
                _ => PageControl::Saved,
            };
            with(
                Command::ModeSense {
                    ten,
                    dbd: c.bit(1, 3),
                    llbaa: ten && c.bit(1, 4),
                    pc,
                    page: c.u8(2) & 0x3f,
                    subpage: c.u8(3),
                    alloc_len,
                },
                data_in(alloc_len.into()),
            )
        }
        MODE_SELECT_6 | MODE_SELECT_10 => {
            let ten = c.u8(0) == MODE_SELECT_10;
            // Bits 7-5 and 3-1 reserved (RTD of SPC-5 is not supported).
            c.reserved(1, 0xee)?;
            // SP=1: no page is saveable (SPC-4 6.11: INVALID FIELD IN
            // CDB). LIO ignores SP.
            if c.bit(1, 0) {
                return Err(CdbError::invalid_field(1, Some(0)));
            }
            let param_len = if ten {
                c.reserved_bytes(2, 7)?;
                c.be16(7)
            } else {
                c.reserved_bytes(2, 4)?;
                c.u8(4).into()
            };
            let pf = c.bit(1, 4);
            // As LIO: PF=0 (vendor-specific page format) is refused, but
            // only when there is a parameter list to interpret.
            if !pf && param_len != 0 {
                return Err(CdbError::invalid_field(1, Some(4)));
            }
            with(
                Command::ModeSelect { ten, pf, param_len },
                data_out(param_len.into()),
            )
        }
        REPORT_LUNS => {
            c.reserved(1, 0xff)?;
            c.reserved_bytes(3, 6)?;
            c.reserved(10, 0xff)?;
            let select_report = c.u8(2);
            if !matches!(select_report, 0x00..=0x02 | 0x10..=0x12) {
                return Err(CdbError::invalid_field(2, Some(7)));
            }
            let alloc_len = c.be32(6);
            // SPC-4 6.33: an allocation length below 4 is refused. LIO
            // does not check it.
            if alloc_len < 4 {
                return Err(CdbError::invalid_field(6, Some(7)));
            }
            with(
                Command::ReportLuns {
                    select_report,
                    alloc_len,
                },
                data_in(alloc_len),
            )
        }
        MAINTENANCE_IN => maintenance_in(c),
        MAINTENANCE_OUT => maintenance_out(c),
        PERSISTENT_RESERVE_IN => {
            c.reserved(1, 0xe0)?;
            c.reserved_bytes(2, 7)?;
            let alloc_len = c.be16(7);
            with(
                Command::PersistentReserveIn {
                    service_action: c.u8(1) & 0x1f,
                    alloc_len,
                },
                data_in(alloc_len.into()),
            )
        }
        PERSISTENT_RESERVE_OUT => {
            c.reserved(1, 0xe0)?;
            c.reserved_bytes(3, 5)?;
            let param_len = c.be32(5);
            with(
                Command::PersistentReserveOut {
                    service_action: c.u8(1) & 0x1f,
                    scope: c.u8(2) >> 4,
                    pr_type: c.u8(2) & 0x0f,
                    param_len,
                },
                data_out(param_len),
            )
        }
        RESERVE_6 | RELEASE_6 => {
            // Bytes 1-4 are obsolete (SPC-2 third-party and extent
            // reservations) and ignored, as LIO.
            let cmd = reserve_release(c.u8(0) == RESERVE_6, false, 0);
            with(cmd, NONE)
        }
        RESERVE_10 | RELEASE_10 => {
            // Byte 1: 3RDPTY (bit 4) and LONGID (bit 1) ask for a
            // third-party reservation, not supported; bit 0 is obsolete.
            // Byte 2 is obsolete and byte 3 the THIRD-PARTY DEVICE ID,
            // meaningless without 3RDPTY: both ignored.
            c.reserved(1, 0xfe)?;
            c.reserved_bytes(4, 7)?;
            let param_len = c.be16(7);
            let cmd = reserve_release(c.u8(0) == RESERVE_10, true, param_len);
            with(cmd, data_out(param_len.into()))
        }
        READ_6 | WRITE_6 => {
            c.reserved(1, 0xe0)?;
            let n = match c.u8(4) {
                0 => 256,
                n => n.into(),
            };
            let rw = Rw {
                lba: (c.be24(1) & 0x1f_ffff).into(),
                blocks: n,
                dpo: false,
                fua: false,
                protect: 0,
                group: 0,
                bytchk: 0,
            };
            if c.u8(0) == READ_6 {
                with(Command::Read(rw), blocks(DataDirection::FromDevice, n))
            } else {
                with(Command::Write(rw), blocks(DataDirection::ToDevice, n))
            }
        }
        READ_10 | READ_12 | READ_16 => {
            // Byte 1 bit 2 is RARC (a hint), bit 1 obsolete, bit 0
            // obsolete (10, 12) or DLD2 (16): none refused.
            let rw = rw(c, opts, 0)?;
            let n = rw.blocks;
            with(Command::Read(rw), blocks(DataDirection::FromDevice, n))
        }
        WRITE_10 | WRITE_12 | WRITE_16 => {
            c.reserved(1, 0x04)?;
            let rw = rw(c, opts, 0)?;
            let n = rw.blocks;
            with(Command::Write(rw), blocks(DataDirection::ToDevice, n))
        }
        WRITE_AND_VERIFY_10 | WRITE_AND_VERIFY_12 | WRITE_AND_VERIFY_16 => {
            // Byte 1: WRPROTECT, DPO, bit 3 reserved, BYTCHK (2-1). LIO
            // takes bit 3 for FUA here, as for WRITE; it is reserved.
            c.reserved(1, 0x08)?;
            let bytchk = (c.u8(1) >> 1) & 3;
            if bytchk > 1 {
                return Err(CdbError::invalid_field(1, Some(2)));
            }
            let rw = rw(c, opts, bytchk)?;
            let n = rw.blocks;
            with(
                Command::WriteAndVerify(rw),
                blocks(DataDirection::ToDevice, n),
            )
        }
        VERIFY_10 | VERIFY_12 | VERIFY_16 => {
            c.reserved(1, 0x08)?;
            let bytchk = (c.u8(1) >> 1) & 3;
            if bytchk == 2 {
                return Err(CdbError::invalid_field(1, Some(2)));
            }
            let rw = rw(c, opts, bytchk)?;
            // BYTCHK 0: the medium is verified, no data. 1: as many
            // blocks as verified are compared. 3: one block is compared
            // with each. LIO expects no data whatever BYTCHK says.
            let data = match bytchk {
                0 => NONE,
                1 => blocks(DataDirection::ToDevice, rw.blocks),
                _ => blocks(DataDirection::ToDevice, rw.blocks.min(1)),
            };
            with(Command::Verify(rw), data)
        }
        SYNCHRONIZE_CACHE_10 | SYNCHRONIZE_CACHE_16 => {
            let sixteen = c.u8(0) == SYNCHRONIZE_CACHE_16;
            // Bit 2 (SYNC_NV) is obsolete, bit 0 obsolete (10) or
            // reserved (16).
            c.reserved(1, if sixteen { 0xf9 } else { 0xf8 })?;
            let (lba, n) = if sixteen {
                c.reserved(14, 0xc0)?;
                (c.be64(2), c.be32(10))
            } else {
                c.reserved(6, 0xc0)?;
                (c.be32(2).into(), c.be16(7).into())
            };
            with(
                Command::SynchronizeCache {
                    lba,
                    blocks: n,
                    immed: c.bit(1, 1),
                },
                NONE,
            )
        }
        READ_CAPACITY_10 => {
            c.reserved(1, 0xfe)?;
            c.reserved_bytes(6, 8)?;
            c.reserved(8, 0xfe)?;
            let lba = c.be32(2);
            let pmi = c.bit(8, 0);
            // SBC-2 (as LIO): PMI=0 with an LBA is refused.
            if !pmi && lba != 0 {
                return Err(CdbError::invalid_field(2, Some(7)));
            }
            with(Command::ReadCapacity10 { lba, pmi }, data_in(8))
        }
        SERVICE_ACTION_IN_16 => service_action_in(c),
        UNMAP => {
            c.reserved(1, 0xfe)?;
            c.reserved_bytes(2, 6)?;
            c.reserved(6, 0xc0)?;
            let anchor = c.bit(1, 0);
            // ANC_SUP=0: ANCHOR is refused (LIO refuses any byte 1 bit).
            if anchor && !opts.anchor {
                return Err(CdbError::invalid_field(1, Some(0)));
            }
            let param_len = c.be16(7);
            with(
                Command::Unmap {
                    anchor,
                    group: c.u8(6) & 0x3f,
                    param_len,
                },
                data_out(param_len.into()),
            )
        }
        WRITE_SAME_10 | WRITE_SAME_16 => write_same(c, opts),
        COMPARE_AND_WRITE => {
            if opts.max_compare_and_write == 0 {
                return Err(CdbError::invalid_opcode());
            }
            c.reserved(1, 0x05)?;
            c.reserved_bytes(10, 13)?;
            c.reserved(14, 0xc0)?;
            let (dpo, fua) = dpofua(c, opts)?;
            let protect = protect(c, opts)?;
            let n = c.u8(13);
            if n > opts.max_compare_and_write {
                return Err(CdbError::invalid_field(13, Some(7)));
            }
            // The data-out buffer holds the verify data, then the write
            // data: twice NUMBER OF LOGICAL BLOCKS. Zero is no error.
            with(
                Command::CompareAndWrite {
                    lba: c.be64(2),
                    blocks: n,
                    dpo,
                    fua,
                    protect,
                    group: c.u8(14) & 0x3f,
                },
                blocks(DataDirection::ToDevice, u32::from(n) * 2),
            )
        }
        _ => Err(CdbError::invalid_opcode()),
    }
}

fn reserve_release(reserve: bool, ten: bool, param_len: u16) -> Command {
    if reserve {
        Command::Reserve { ten, param_len }
    } else {
        Command::Release { ten, param_len }
    }
}

/// DPO (byte 1 bit 4) and FUA (bit 3), refused when the device does not
/// advertise DPOFUA (as LIO's sbc_check_dpofua).
fn dpofua(c: &Cdb, opts: &DecodeOptions) -> Result<(bool, bool), CdbError> {
    let dpo = c.bit(1, 4);
    let fua = c.bit(1, 3);
    if !opts.dpofua {
        if dpo {
            return Err(CdbError::invalid_field(1, Some(4)));
        }
        if fua {
            return Err(CdbError::invalid_field(1, Some(3)));
        }
    }
    Ok((dpo, fua))
}

/// RDPROTECT/WRPROTECT/VRPROTECT (byte 1 bits 7-5), refused when no
/// protection information is enabled (as LIO's sbc_check_prot).
fn protect(c: &Cdb, opts: &DecodeOptions) -> Result<u8, CdbError> {
    let p = c.u8(1) >> 5;
    if p != 0 && !opts.protection {
        return Err(CdbError::invalid_field(1, Some(7)));
    }
    Ok(p)
}

/// The fields of READ/WRITE/WRITE AND VERIFY/VERIFY (10), (12), (16).
fn rw(c: &Cdb, opts: &DecodeOptions, bytchk: u8) -> Result<Rw, CdbError> {
    let protect = protect(c, opts)?;
    // VERIFY and WRITE AND VERIFY have no FUA: bit 3 was refused before.
    let (dpo, fua) = dpofua(c, opts)?;
    let (lba, blocks, group) = match c.len {
        10 => {
            c.reserved(6, 0xc0)?;
            (c.be32(2).into(), c.be16(7).into(), c.u8(6) & 0x3f)
        }
        12 => {
            // Byte 10 bit 7 is restricted for MMC, bit 6 reserved: LIO
            // checks neither, nor do we.
            (c.be32(2).into(), c.be32(6), c.u8(10) & 0x3f)
        }
        _ => {
            // Byte 14 bits 7-6: DLD1/DLD0 (READ/WRITE(16)) or reserved.
            (c.be64(2), c.be32(10), c.u8(14) & 0x3f)
        }
    };
    Ok(Rw {
        lba,
        blocks,
        dpo,
        fua,
        protect,
        group,
        bytchk,
    })
}

fn write_same(c: &Cdb, opts: &DecodeOptions) -> Result<Parts, CdbError> {
    let sixteen = c.u8(0) == opcode::WRITE_SAME_16;
    let protect = protect(c, opts)?;
    // Bits 2 (PBDATA) and 1 (LBDATA) are obsolete in SBC-4 and not
    // supported. LIO answers them with INVALID COMMAND OPERATION CODE;
    // SBC-3 wants INVALID FIELD IN CDB, which we give.
    c.reserved(1, 0x06)?;
    let anchor = c.bit(1, 4);
    if anchor && !opts.anchor {
        return Err(CdbError::invalid_field(1, Some(4)));
    }
    let ndob = c.bit(1, 0);
    if ndob && (!sixteen || !opts.ndob) {
        // Reserved in WRITE SAME(10).
        return Err(CdbError::invalid_field(1, Some(0)));
    }
    let (lba, n, nbyte, group) = if sixteen {
        (c.be64(2), c.be32(10), 10, c.u8(14))
    } else {
        c.reserved(6, 0xc0)?;
        (c.be32(2).into(), c.be16(7).into(), 7, c.u8(6))
    };
    // WSNZ=1 (VPD B0h): 0 blocks ("to the end") is refused, as in LIO.
    if n == 0 {
        return Err(CdbError::invalid_field(nbyte, Some(7)));
    }
    let data = if ndob {
        NONE
    } else {
        blocks(DataDirection::ToDevice, 1)
    };
    with(
        Command::WriteSame {
            lba,
            blocks: n,
            unmap: c.bit(1, 3),
            anchor,
            ndob,
            protect,
            group: group & 0x3f,
        },
        data,
    )
}

fn service_action_in(c: &Cdb) -> Result<Parts, CdbError> {
    c.reserved(1, 0xe0)?;
    let alloc_len = c.be32(10);
    match c.u8(1) & 0x1f {
        service_action::READ_CAPACITY_16 => {
            c.reserved(14, 0xfe)?;
            let lba = c.be64(2);
            let pmi = c.bit(14, 0);
            // SBC-3 5.16: PMI=0 with an LBA is refused (PMI and the LBA
            // are obsolete in SBC-4). LIO does not check it for (16).
            if !pmi && lba != 0 {
                return Err(CdbError::invalid_field(2, Some(7)));
            }
            with(
                Command::ReadCapacity16 {
                    lba,
                    pmi,
                    alloc_len,
                },
                data_in(alloc_len),
            )
        }
        service_action::GET_LBA_STATUS => {
            // Byte 14: REPORT TYPE (SBC-4, bits 1-0) is accepted and
            // ignored: all LBAs are reported.
            c.reserved(14, 0xfc)?;
            // SBC-4 5.7: an allocation length below 24 is no error (the
            // data is truncated); LIO does not emulate the command.
            with(
                Command::GetLbaStatus {
                    lba: c.be64(2),
                    alloc_len,
                },
                data_in(alloc_len),
            )
        }
        // An unsupported service action: INVALID FIELD IN CDB at the
        // SERVICE ACTION field (as LIO for this opcode).
        _ => Err(CdbError::invalid_field(1, Some(4))),
    }
}

fn maintenance_in(c: &Cdb) -> Result<Parts, CdbError> {
    c.reserved(10, 0xff)?;
    let alloc_len = c.be32(6);
    match c.u8(1) & 0x1f {
        service_action::REPORT_SUPPORTED_OPERATION_CODES => {
            c.reserved(1, 0xe0)?;
            c.reserved(2, 0x78)?;
            let options = c.u8(2) & 0x07;
            // LIO masks REPORTING OPTIONS with 3 and so never refuses 4-7.
            if options > 3 {
                return Err(CdbError::invalid_field(2, Some(2)));
            }
            with(
                Command::ReportSupportedOpcodes {
                    rctd: c.bit(2, 7),
                    options,
                    requested_opcode: c.u8(3),
                    requested_sa: c.be16(4),
                    alloc_len,
                },
                data_in(alloc_len),
            )
        }
        service_action::REPORT_SUPPORTED_TMFS => {
            c.reserved(1, 0xe0)?;
            c.reserved(2, 0x7f)?;
            c.reserved_bytes(3, 6)?;
            // SPC-4 6.39: an allocation length below 4 is refused.
            if alloc_len < 4 {
                return Err(CdbError::invalid_field(6, Some(7)));
            }
            with(
                Command::ReportSupportedTmfs {
                    repd: c.bit(2, 7),
                    alloc_len,
                },
                data_in(alloc_len),
            )
        }
        service_action::REPORT_TARGET_PORT_GROUPS => {
            let format = c.u8(1) >> 5;
            // Byte 1 bits 7-5: PARAMETER DATA FORMAT, 0 or 1.
            if format > 1 {
                return Err(CdbError::invalid_field(1, Some(7)));
            }
            c.reserved_bytes(2, 6)?;
            with(
                Command::ReportTargetPortGroups { format, alloc_len },
                data_in(alloc_len),
            )
        }
        _ => Err(CdbError::invalid_field(1, Some(4))),
    }
}

fn maintenance_out(c: &Cdb) -> Result<Parts, CdbError> {
    match c.u8(1) & 0x1f {
        service_action::SET_TARGET_PORT_GROUPS => {
            // LIO takes the command only when byte 1 is exactly 0Ah;
            // SPC-4 makes bits 7-5 reserved.
            c.reserved(1, 0xe0)?;
            c.reserved_bytes(2, 6)?;
            c.reserved(10, 0xff)?;
            let param_len = c.be32(6);
            with(
                Command::SetTargetPortGroups { param_len },
                data_out(param_len),
            )
        }
        _ => Err(CdbError::invalid_field(1, Some(4))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sense::SenseFormat;

    const LIO: DecodeOptions = DecodeOptions::LIO_DEFAULT;

    fn ok(cdb: &[u8]) -> Decoded {
        match decode(cdb, &LIO) {
            Ok(d) => d,
            Err(e) => panic!("{cdb:02x?} refused: {e:?}"),
        }
    }

    fn bad_field(cdb: &[u8], opts: &DecodeOptions, byte: u16, bit: u8) {
        assert_eq!(
            decode(cdb, opts),
            Err(CdbError::invalid_field(byte, Some(bit))),
            "{cdb:02x?}"
        );
    }

    #[test]
    fn cdb_lengths_by_group() {
        assert_eq!(cdb_len(0x00), Some(6));
        assert_eq!(cdb_len(0x28), Some(10));
        assert_eq!(cdb_len(0x5a), Some(10));
        assert_eq!(cdb_len(0x7f), None);
        assert_eq!(cdb_len(0x88), Some(16));
        assert_eq!(cdb_len(0xa0), Some(12));
        assert_eq!(cdb_len(0xc0), None);
        assert_eq!(cdb_len(0xff), None);
    }

    #[test]
    fn read_10() {
        let d = ok(&[0x28, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00]);
        assert_eq!(d.cdb_len, 10);
        assert_eq!(d.direction, DataDirection::FromDevice);
        assert_eq!(d.length, DataLength::Blocks(8));
        assert_eq!(d.length.bytes(512), 4096);
        assert_eq!(d.lba_range(), Some((0x1000, 8)));
        let Command::Read(rw) = d.command else {
            panic!("{d:?}")
        };
        assert!(!rw.fua && !rw.dpo);
    }

    #[test]
    fn read_6_zero_means_256_and_lba_is_21_bits() {
        let d = ok(&[0x08, 0x1f, 0xff, 0xff, 0x00, 0x00]);
        assert_eq!(d.lba_range(), Some((0x1f_ffff, 256)));
        assert_eq!(d.length, DataLength::Blocks(256));
        // LUN bits of SCSI-2 (byte 1 bits 7-5) are reserved.
        bad_field(&[0x08, 0x20, 0, 0, 1, 0], &LIO, 1, 5);
    }

    #[test]
    fn write_16_fua_dpo() {
        let mut c = [0u8; 16];
        c[0] = 0x8a;
        c[1] = 0x18;
        c[2..10].copy_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
        c[10..14].copy_from_slice(&7u32.to_be_bytes());
        c[14] = 0x05;
        let d = ok(&c);
        assert_eq!(d.direction, DataDirection::ToDevice);
        assert_eq!(
            d.command,
            Command::Write(Rw {
                lba: 0x0102_0304_0506_0708,
                blocks: 7,
                dpo: true,
                fua: true,
                protect: 0,
                group: 5,
                bytchk: 0,
            })
        );
        // Without DPOFUA, as LIO's sbc_check_dpofua: DPO first.
        let no = DecodeOptions {
            dpofua: false,
            ..LIO
        };
        bad_field(&c, &no, 1, 4);
        c[1] = 0x08;
        bad_field(&c, &no, 1, 3);
        // WRPROTECT without protection information.
        c[1] = 0x20;
        bad_field(&c, &LIO, 1, 7);
        // Byte 1 bit 2 is reserved in WRITE.
        c[1] = 0x04;
        bad_field(&c, &LIO, 1, 2);
    }

    #[test]
    fn zero_length_transfer_has_no_data() {
        let d = ok(&[0x2a, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(d.direction, DataDirection::None);
        assert_eq!(d.length, DataLength::Bytes(0));
        assert_eq!(d.lba_range(), Some((1, 0)));
    }

    #[test]
    fn control_byte() {
        bad_field(&[0x00, 0, 0, 0, 0, 0x04], &LIO, 5, 2); // NACA
        bad_field(&[0x00, 0, 0, 0, 0, 0x01], &LIO, 5, 0); // LINK
                                                          // Vendor-specific bits are ignored.
        assert!(decode(&[0x00, 0, 0, 0, 0, 0xc0], &LIO).is_ok());
        bad_field(&[0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0x04], &LIO, 9, 2);
    }

    #[test]
    fn unsupported_and_short() {
        assert_eq!(
            decode(&[0x02, 0, 0, 0, 0, 0], &LIO),
            Err(CdbError::invalid_opcode())
        );
        assert_eq!(decode(&[0x7f; 32], &LIO), Err(CdbError::invalid_opcode()));
        assert_eq!(decode(&[], &LIO), Err(CdbError::invalid_opcode()));
        assert_eq!(
            decode(&[0x28, 0, 0], &LIO),
            Err(CdbError::invalid_field(0, None))
        );
        // Extra bytes past the CDB (a 16-byte fabric buffer) are ignored.
        let mut c = [0xeeu8; 16];
        c[..6].copy_from_slice(&[0x00, 0, 0, 0, 0, 0]);
        assert_eq!(ok(&c).command, Command::TestUnitReady);
    }

    #[test]
    fn inquiry_ignores_the_scsi2_lun_field() {
        let d = ok(&[0x12, 0x20, 0, 0, 36, 0]);
        assert!(matches!(d.command, Command::Inquiry { evpd: false, .. }));
        let d = ok(&[0x12, 0xe1, 0x80, 0, 36, 0]);
        assert!(matches!(
            d.command,
            Command::Inquiry {
                evpd: true,
                page_code: 0x80,
                ..
            }
        ));
        bad_field(&[0x12, 0x22, 0, 0, 36, 0], &LIO, 1, 1);
    }

    #[test]
    fn inquiry() {
        let d = ok(&[0x12, 0x01, 0x83, 0x01, 0x00, 0x00]);
        assert_eq!(
            d.command,
            Command::Inquiry {
                evpd: true,
                page_code: 0x83,
                alloc_len: 256
            }
        );
        assert!(d.implicit_head_of_queue());
        assert_eq!(d.length, DataLength::Bytes(256));
        // As LIO: EVPD=0 with a page code.
        bad_field(&[0x12, 0x00, 0x80, 0x00, 0xff, 0x00], &LIO, 2, 7);
        // CMDDT.
        bad_field(&[0x12, 0x02, 0x00, 0x00, 0xff, 0x00], &LIO, 1, 1);
        // Allocation length 0: no data, no error.
        assert_eq!(ok(&[0x12, 0, 0, 0, 0, 0]).direction, DataDirection::None);
    }

    #[test]
    fn request_sense_and_tur() {
        let d = ok(&[0x03, 0x01, 0, 0, 252, 0]);
        assert_eq!(
            d.command,
            Command::RequestSense {
                desc: true,
                alloc_len: 252
            }
        );
        bad_field(&[0x03, 0, 0, 1, 18, 0], &LIO, 3, 0);
        bad_field(&[0x00, 0, 0x80, 0, 0, 0], &LIO, 2, 7);
    }

    #[test]
    fn report_luns() {
        let d = ok(&[0xa0, 0, 0x02, 0, 0, 0, 0, 0, 0x10, 0, 0, 0]);
        assert_eq!(
            d.command,
            Command::ReportLuns {
                select_report: 2,
                alloc_len: 4096
            }
        );
        assert!(d.implicit_head_of_queue());
        bad_field(&[0xa0, 0, 0x03, 0, 0, 0, 0, 0, 0x10, 0, 0, 0], &LIO, 2, 7);
        bad_field(&[0xa0, 0, 0x00, 0, 0, 0, 0, 0, 0, 3, 0, 0], &LIO, 6, 7);
    }

    #[test]
    fn mode_sense_and_select() {
        let d = ok(&[0x5a, 0x18, 0xbf, 0xff, 0, 0, 0, 0x02, 0x00, 0]);
        assert_eq!(
            d.command,
            Command::ModeSense {
                ten: true,
                dbd: true,
                llbaa: true,
                pc: PageControl::Default,
                page: 0x3f,
                subpage: 0xff,
                alloc_len: 512
            }
        );
        // LLBAA is reserved in MODE SENSE(6).
        bad_field(&[0x1a, 0x10, 0x3f, 0, 0xff, 0], &LIO, 1, 4);
        let d = ok(&[0x15, 0x10, 0, 0, 24, 0]);
        assert_eq!(
            d.command,
            Command::ModeSelect {
                ten: false,
                pf: true,
                param_len: 24
            }
        );
        assert_eq!(d.direction, DataDirection::ToDevice);
        bad_field(&[0x15, 0x11, 0, 0, 24, 0], &LIO, 1, 0); // SP
        bad_field(&[0x55, 0x00, 0, 0, 0, 0, 0, 0, 24, 0], &LIO, 1, 4); // PF=0
                                                                       // PF=0 with nothing to interpret is accepted (LIO).
        assert!(decode(&[0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0], &LIO).is_ok());
    }

    #[test]
    fn maintenance_in() {
        let d = ok(&[0xa3, 0x0c, 0x82, 0x28, 0, 0, 0, 0, 0x02, 0, 0, 0]);
        assert_eq!(
            d.command,
            Command::ReportSupportedOpcodes {
                rctd: true,
                options: 2,
                requested_opcode: 0x28,
                requested_sa: 0,
                alloc_len: 512
            }
        );
        bad_field(&[0xa3, 0x0c, 0x04, 0, 0, 0, 0, 0, 2, 0, 0, 0], &LIO, 2, 2);
        let d = ok(&[0xa3, 0x0d, 0x80, 0, 0, 0, 0, 0, 0, 16, 0, 0]);
        assert_eq!(
            d.command,
            Command::ReportSupportedTmfs {
                repd: true,
                alloc_len: 16
            }
        );
        let d = ok(&[0xa3, 0x2a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(
            d.command,
            Command::ReportTargetPortGroups {
                format: 1,
                alloc_len: 256
            }
        );
        bad_field(&[0xa3, 0x05, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], &LIO, 1, 4);
    }

    #[test]
    fn maintenance_out() {
        let d = ok(&[0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]);
        assert_eq!(d.command, Command::SetTargetPortGroups { param_len: 8 });
        assert_eq!(d.direction, DataDirection::ToDevice);
        assert_eq!(d.length, DataLength::Bytes(8));
        let d = ok(&[0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(d.direction, DataDirection::None);
        bad_field(&[0xa4, 0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0], &LIO, 1, 5);
        bad_field(&[0xa4, 0x0b, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0], &LIO, 1, 4);
        bad_field(&[0xa4, 0x0a, 0, 0, 1, 0, 0, 0, 0, 8, 0, 0], &LIO, 4, 0);
        bad_field(&[0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 8, 0x80, 0], &LIO, 10, 7);
        bad_field(&[0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0x04], &LIO, 11, 2);
    }

    #[test]
    fn persistent_reserve_and_reserve() {
        let d = ok(&[0x5e, 0x01, 0, 0, 0, 0, 0, 0x20, 0x00, 0]);
        assert_eq!(
            d.command,
            Command::PersistentReserveIn {
                service_action: 1,
                alloc_len: 0x2000
            }
        );
        let d = ok(&[0x5f, 0x06, 0x05, 0, 0, 0, 0, 0, 24, 0]);
        assert_eq!(
            d.command,
            Command::PersistentReserveOut {
                service_action: 6,
                scope: 0,
                pr_type: 5,
                param_len: 24
            }
        );
        assert_eq!(d.length, DataLength::Bytes(24));
        let d = ok(&[0x16, 0, 0, 0, 0, 0]);
        assert!(matches!(d.command, Command::Reserve { ten: false, .. }));
        let d = ok(&[0x57, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            d.command,
            Command::Release {
                ten: true,
                param_len: 0
            }
        );
        bad_field(&[0x57, 0x10, 0, 7, 0, 0, 0, 0, 0, 0], &LIO, 1, 4); // 3RDPTY
        bad_field(&[0x56, 0x02, 0, 0, 0, 0, 0, 0, 8, 0], &LIO, 1, 1); // LONGID
    }

    #[test]
    fn verify_and_write_and_verify() {
        let d = ok(&[0x2f, 0x00, 0, 0, 0, 9, 0, 0, 4, 0]);
        assert_eq!(d.direction, DataDirection::None);
        let d = ok(&[0x2f, 0x02, 0, 0, 0, 9, 0, 0, 4, 0]);
        assert_eq!(d.length, DataLength::Blocks(4));
        let d = ok(&[0x2f, 0x06, 0, 0, 0, 9, 0, 0, 4, 0]);
        assert_eq!(d.length, DataLength::Blocks(1));
        bad_field(&[0x2f, 0x04, 0, 0, 0, 9, 0, 0, 4, 0], &LIO, 1, 2);
        bad_field(&[0x2f, 0x08, 0, 0, 0, 9, 0, 0, 4, 0], &LIO, 1, 3);
        let d = ok(&[0x2e, 0x12, 0, 0, 0, 9, 0, 0, 4, 0]);
        let Command::WriteAndVerify(rw) = d.command else {
            panic!()
        };
        assert!(rw.dpo && rw.bytchk == 1);
        assert_eq!(d.length, DataLength::Blocks(4));
    }

    #[test]
    fn synchronize_cache() {
        let d = ok(&[0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            d.command,
            Command::SynchronizeCache {
                lba: 0,
                blocks: 0,
                immed: true
            }
        );
        assert_eq!(d.direction, DataDirection::None);
        // SYNC_NV (obsolete) ignored; bit 3 reserved.
        assert!(decode(&[0x35, 0x04, 0, 0, 0, 0, 0, 0, 0, 0], &LIO).is_ok());
        bad_field(&[0x35, 0x08, 0, 0, 0, 0, 0, 0, 0, 0], &LIO, 1, 3);
        let mut c = [0u8; 16];
        c[0] = 0x91;
        c[9] = 5;
        c[13] = 2;
        assert_eq!(ok(&c).lba_range(), Some((5, 2)));
    }

    #[test]
    fn read_capacity() {
        let d = ok(&[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(d.length, DataLength::Bytes(8));
        // SBC-2 / LIO: PMI=0 with an LBA.
        bad_field(&[0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0], &LIO, 2, 7);
        assert!(decode(&[0x25, 0, 0, 0, 0, 1, 0, 0, 1, 0], &LIO).is_ok());
        let mut c = [0u8; 16];
        c[0] = 0x9e;
        c[1] = 0x10;
        c[13] = 32;
        let d = ok(&c);
        assert_eq!(
            d.command,
            Command::ReadCapacity16 {
                lba: 0,
                pmi: false,
                alloc_len: 32
            }
        );
        c[1] = 0x12;
        c[13] = 24;
        assert!(matches!(ok(&c).command, Command::GetLbaStatus { .. }));
        c[1] = 0x11;
        bad_field(&c, &LIO, 1, 4);
    }

    #[test]
    fn unmap() {
        let d = ok(&[0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0]);
        assert_eq!(
            d.command,
            Command::Unmap {
                anchor: false,
                group: 0,
                param_len: 24
            }
        );
        assert_eq!(d.direction, DataDirection::ToDevice);
        bad_field(&[0x42, 1, 0, 0, 0, 0, 0, 0, 24, 0], &LIO, 1, 0);
        bad_field(&[0x42, 0, 0, 0, 1, 0, 0, 0, 24, 0], &LIO, 4, 0);
    }

    #[test]
    fn write_same() {
        let mut c = [0u8; 16];
        c[0] = 0x93;
        c[1] = 0x08;
        c[9] = 0x10;
        c[13] = 0x20;
        let d = ok(&c);
        assert_eq!(
            d.command,
            Command::WriteSame {
                lba: 0x10,
                blocks: 0x20,
                unmap: true,
                anchor: false,
                ndob: false,
                protect: 0,
                group: 0
            }
        );
        assert_eq!(d.length, DataLength::Blocks(1));
        c[1] = 0x09;
        bad_field(&c, &LIO, 1, 0); // NDOB unsupported
        let ndob = DecodeOptions { ndob: true, ..LIO };
        assert_eq!(
            decode(&c, &ndob).map(|d| d.direction),
            Ok(DataDirection::None)
        );
        c[1] = 0x18;
        bad_field(&c, &LIO, 1, 4); // ANCHOR
        c[1] = 0x02;
        bad_field(&c, &LIO, 1, 1); // LBDATA
        c[1] = 0;
        c[13] = 0;
        bad_field(&c, &LIO, 10, 7); // WSNZ
        bad_field(&[0x41, 0, 0, 0, 0, 0, 0, 0, 0, 0], &LIO, 7, 7);
        bad_field(&[0x41, 1, 0, 0, 0, 0, 0, 0, 1, 0], &ndob, 1, 0);
    }

    #[test]
    fn compare_and_write() {
        let mut c = [0u8; 16];
        c[0] = 0x89;
        c[9] = 3;
        c[13] = 1;
        let d = ok(&c);
        assert_eq!(d.length, DataLength::Blocks(2));
        assert_eq!(d.lba_range(), Some((3, 1)));
        c[13] = 2;
        bad_field(&c, &LIO, 13, 7);
        c[13] = 0;
        assert_eq!(ok(&c).direction, DataDirection::None);
        let off = DecodeOptions {
            max_compare_and_write: 0,
            ..LIO
        };
        assert_eq!(decode(&c, &off), Err(CdbError::invalid_opcode()));
    }

    #[test]
    fn range() {
        assert_eq!(check_range(0, 8, 8), Ok(()));
        assert_eq!(check_range(1, 8, 8), Err(CdbError::lba_out_of_range()));
        assert_eq!(check_range(8, 0, 8), Ok(()));
        assert_eq!(check_range(9, 0, 8), Err(CdbError::lba_out_of_range()));
        assert_eq!(
            check_range(u64::MAX, 1, u64::MAX),
            Err(CdbError::lba_out_of_range())
        );
    }

    #[test]
    fn error_sense_bytes() {
        let mut buf = [0u8; 18];
        let e = CdbError::invalid_field(2, Some(7));
        assert_eq!(e.sense().encode(SenseFormat::Fixed, &mut buf), Ok(18));
        assert_eq!(buf[2], 0x05);
        assert_eq!(buf[12..14], [0x24, 0x00]);
        assert_eq!(buf[15..18], [0xcf, 0x00, 0x02]);
        let e = CdbError::invalid_param(0x10, None);
        e.sense().encode(SenseFormat::Fixed, &mut buf).unwrap();
        assert_eq!(buf[12..14], [0x26, 0x00]);
        assert_eq!(buf[15..18], [0x80, 0x00, 0x10]);
        let e = CdbError::lba_out_of_range();
        e.sense().encode(SenseFormat::Fixed, &mut buf).unwrap();
        assert_eq!(buf[12..18], [0x21, 0, 0, 0, 0, 0]);
    }
}
