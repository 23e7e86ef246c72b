// SPDX-License-Identifier: GPL-2.0

//! iSCSI PDUs (RFC 7143 section 11): the 48-byte Basic Header Segment of
//! every PDU an initiator sends, parsed into a typed request, and the PDUs
//! a target sends, encoded into a BHS.
//!
//! `core` only, no allocation. [`parse`] accepts any 48 bytes and either
//! returns a request whose fields are what the header says, or a
//! [`PduError`] that tells the connection what to do: reject the PDU
//! ([`PduError::reject_reason`]) or drop the connection. Nothing here
//! panics on any input.

/// The length of a Basic Header Segment.
pub const BHS_LEN: usize = 48;

/// The longest data segment a PDU may announce (24 bits).
pub const MAX_DATA_SEGMENT: u32 = 0x00ff_ffff;

/// Opcodes an initiator sends (RFC 7143 11.1.1).
pub mod opcode {
    /// NOP-Out.
    pub const NOP_OUT: u8 = 0x00;
    /// SCSI Command.
    pub const SCSI_COMMAND: u8 = 0x01;
    /// SCSI Task Management Function Request.
    pub const TASK_MGMT_REQUEST: u8 = 0x02;
    /// Login Request.
    pub const LOGIN_REQUEST: u8 = 0x03;
    /// Text Request.
    pub const TEXT_REQUEST: u8 = 0x04;
    /// SCSI Data-Out.
    pub const DATA_OUT: u8 = 0x05;
    /// Logout Request.
    pub const LOGOUT_REQUEST: u8 = 0x06;
    /// SNACK Request.
    pub const SNACK_REQUEST: u8 = 0x10;
    /// NOP-In.
    pub const NOP_IN: u8 = 0x20;
    /// SCSI Response.
    pub const SCSI_RESPONSE: u8 = 0x21;
    /// SCSI Task Management Function Response.
    pub const TASK_MGMT_RESPONSE: u8 = 0x22;
    /// Login Response.
    pub const LOGIN_RESPONSE: u8 = 0x23;
    /// Text Response.
    pub const TEXT_RESPONSE: u8 = 0x24;
    /// SCSI Data-In.
    pub const DATA_IN: u8 = 0x25;
    /// Logout Response.
    pub const LOGOUT_RESPONSE: u8 = 0x26;
    /// Ready To Transfer.
    pub const R2T: u8 = 0x31;
    /// Asynchronous Message.
    pub const ASYNC_MESSAGE: u8 = 0x32;
    /// Reject.
    pub const REJECT: u8 = 0x3f;
}

/// Reject reasons (RFC 7143 11.17.1).
pub mod reject {
    /// Data (payload) digest error.
    pub const DATA_DIGEST_ERROR: u8 = 0x02;
    /// SNACK Reject.
    pub const SNACK_REJECT: u8 = 0x03;
    /// Protocol Error (e.g., SNACK Request for a status that was already
    /// acknowledged).
    pub const PROTOCOL_ERROR: u8 = 0x04;
    /// Command not supported.
    pub const COMMAND_NOT_SUPPORTED: u8 = 0x05;
    /// Immediate command reject - too many immediate commands.
    pub const IMMEDIATE_COMMAND_REJECT: u8 = 0x06;
    /// Task in progress.
    pub const TASK_IN_PROGRESS: u8 = 0x07;
    /// Invalid data ack.
    pub const INVALID_DATA_ACK: u8 = 0x08;
    /// Invalid PDU field.
    pub const INVALID_PDU_FIELD: u8 = 0x09;
    /// Long op reject - out of resources to generate Target Transfer Tag.
    pub const LONG_OP_REJECT: u8 = 0x0a;
    /// Waiting for Logout.
    pub const WAITING_FOR_LOGOUT: u8 = 0x0c;
}

/// The reserved Initiator/Target Transfer Tag value.
pub const RESERVED_TAG: u32 = 0xffff_ffff;

/// Why a BHS was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PduError {
    /// An opcode an initiator may not send (or none that exists).
    UnknownOpcode(u8),
    /// A field has a value the standard does not allow: the PDU is
    /// rejected with Invalid PDU Field.
    InvalidField,
    /// AHS on a PDU that may not carry any, or an AHS that is not one
    /// whole set of segments: a format error, the connection is dropped
    /// (RFC 7143 7.8).
    BadAhs,
}

impl PduError {
    /// The Reject reason for a PDU refused with this error, if the PDU can
    /// be rejected; `None` when the connection must be dropped because the
    /// stream can no longer be trusted.
    pub fn reject_reason(self) -> Option<u8> {
        match self {
            PduError::UnknownOpcode(_) => Some(reject::COMMAND_NOT_SUPPORTED),
            PduError::InvalidField => Some(reject::INVALID_PDU_FIELD),
            PduError::BadAhs => None,
        }
    }
}

fn be16(b: &[u8; BHS_LEN], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8; BHS_LEN], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be64(b: &[u8; BHS_LEN], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(v)
}

fn put16(b: &mut [u8; BHS_LEN], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

fn put24(b: &mut [u8; BHS_LEN], at: usize, v: u32) {
    let v = v.min(MAX_DATA_SEGMENT).to_be_bytes();
    b[at..at + 3].copy_from_slice(&v[1..]);
}

fn put32(b: &mut [u8; BHS_LEN], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn put64(b: &mut [u8; BHS_LEN], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// `len` rounded up to a multiple of 4: a data segment and its padding.
pub fn padded(len: u32) -> u32 {
    // At most 2^24 - 1 + 3: no overflow.
    (len.min(MAX_DATA_SEGMENT) + 3) & !3
}

/// Serial number arithmetic (RFC 1982, 32 bits): `a < b`.
pub fn sn_lt(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000_0000
}

/// Serial number arithmetic: `a <= b`.
pub fn sn_le(a: u32, b: u32) -> bool {
    a == b || sn_lt(a, b)
}

/// What every BHS has (RFC 7143 11.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The opcode (6 bits).
    pub opcode: u8,
    /// The I bit: an immediate command.
    pub immediate: bool,
    /// TotalAHSLength in bytes (a multiple of 4).
    pub ahs_len: u32,
    /// DataSegmentLength in bytes, padding excluded.
    pub data_len: u32,
    /// The Initiator Task Tag.
    pub itt: u32,
}

impl Header {
    /// The common fields of any 48 bytes.
    pub fn parse(b: &[u8; BHS_LEN]) -> Header {
        Header {
            opcode: b[0] & 0x3f,
            immediate: b[0] & 0x40 != 0,
            ahs_len: u32::from(b[4]) * 4,
            data_len: u32::from_be_bytes([0, b[5], b[6], b[7]]),
            itt: be32(b, 16),
        }
    }
}

/// SCSI Command (RFC 7143 11.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScsiCommand {
    /// F: no unsolicited Data-Out PDUs follow (besides immediate data).
    pub final_bit: bool,
    /// R: the command reads.
    pub read: bool,
    /// W: the command writes.
    pub write: bool,
    /// The task attribute (0 untagged, 1 simple, 2 ordered, 3 head of
    /// queue, 4 ACA).
    pub attr: u8,
    /// The 8-byte LUN field.
    pub lun: u64,
    /// Expected Data Transfer Length.
    pub expected_len: u32,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// The first 16 bytes of the CDB (an extended CDB continues in an AHS).
    pub cdb: [u8; 16],
}

/// SCSI Data-Out (RFC 7143 11.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataOut {
    /// F: the last PDU of the sequence.
    pub final_bit: bool,
    /// The LUN field.
    pub lun: u64,
    /// The Target Transfer Tag (0xffffffff for unsolicited data).
    pub ttt: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// DataSN.
    pub data_sn: u32,
    /// Buffer Offset.
    pub offset: u32,
}

/// NOP-Out (RFC 7143 11.18).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NopOut {
    /// The LUN field.
    pub lun: u64,
    /// The Target Transfer Tag: 0xffffffff unless it answers a NOP-In.
    pub ttt: u32,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
}

/// Task Management Function Request (RFC 7143 11.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskMgmt {
    /// The function (1 ABORT TASK ... 8 TASK REASSIGN).
    pub function: u8,
    /// The LUN field.
    pub lun: u64,
    /// Referenced Task Tag.
    pub ref_itt: u32,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// RefCmdSN.
    pub ref_cmd_sn: u32,
    /// ExpDataSN.
    pub exp_data_sn: u32,
}

/// Login stages (CSG and NSG, RFC 7143 11.12.3).
pub mod stage {
    /// SecurityNegotiation.
    pub const SECURITY: u8 = 0;
    /// LoginOperationalNegotiation.
    pub const OPERATIONAL: u8 = 1;
    /// FullFeaturePhase.
    pub const FULL_FEATURE: u8 = 3;
}

/// Login Request (RFC 7143 11.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginRequest {
    /// T: the initiator is ready to go to the next stage.
    pub transit: bool,
    /// C: the text continues in the next PDU.
    pub continue_bit: bool,
    /// CSG.
    pub csg: u8,
    /// NSG (meaningful with T).
    pub nsg: u8,
    /// Version-max.
    pub version_max: u8,
    /// Version-min.
    pub version_min: u8,
    /// The 6-byte ISID.
    pub isid: [u8; 6],
    /// TSIH: 0 for a new session.
    pub tsih: u16,
    /// CID.
    pub cid: u16,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
}

/// Text Request (RFC 7143 11.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextRequest {
    /// F: the last PDU of the request.
    pub final_bit: bool,
    /// C: the text continues in the next PDU.
    pub continue_bit: bool,
    /// The LUN field.
    pub lun: u64,
    /// The Target Transfer Tag: 0xffffffff for a new request.
    pub ttt: u32,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
}

/// Logout reasons (RFC 7143 11.14.1).
pub mod logout_reason {
    /// Close the session.
    pub const CLOSE_SESSION: u8 = 0;
    /// Close the connection.
    pub const CLOSE_CONNECTION: u8 = 1;
    /// Remove the connection for recovery.
    pub const REMOVE_FOR_RECOVERY: u8 = 2;
}

/// Logout Request (RFC 7143 11.14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogoutRequest {
    /// The reason code (7 bits).
    pub reason: u8,
    /// CID of the connection to close.
    pub cid: u16,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
}

/// SNACK Request (RFC 7143 11.16).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snack {
    /// Type (4 bits).
    pub kind: u8,
    /// The LUN field.
    pub lun: u64,
    /// Target Transfer Tag.
    pub ttt: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// BegRun.
    pub beg_run: u32,
    /// RunLength.
    pub run_length: u32,
}

/// A PDU from an initiator, by opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// NOP-Out.
    NopOut(NopOut),
    /// SCSI Command.
    ScsiCommand(ScsiCommand),
    /// Task Management Function Request.
    TaskMgmt(TaskMgmt),
    /// Login Request.
    Login(LoginRequest),
    /// Text Request.
    Text(TextRequest),
    /// SCSI Data-Out.
    DataOut(DataOut),
    /// Logout Request.
    Logout(LogoutRequest),
    /// SNACK Request.
    Snack(Snack),
}

/// Parses the BHS of a PDU from an initiator: its common fields and the
/// request.
///
/// Only a SCSI Command may carry AHS (RFC 7143 11.3.5); anything else with
/// a TotalAHSLength is a format error. Fields whose value the standard
/// forbids (a Login Request without the I bit, a login stage 2, a task
/// attribute above 4) are [`PduError::InvalidField`].
pub fn parse(b: &[u8; BHS_LEN]) -> Result<(Header, Request), PduError> {
    let h = Header::parse(b);
    if h.ahs_len != 0 && h.opcode != opcode::SCSI_COMMAND {
        return Err(PduError::BadAhs);
    }
    let f = b[1] & 0x80 != 0;
    let req = match h.opcode {
        opcode::NOP_OUT => Request::NopOut(NopOut {
            lun: be64(b, 8),
            ttt: be32(b, 20),
            cmd_sn: be32(b, 24),
            exp_stat_sn: be32(b, 28),
        }),
        opcode::SCSI_COMMAND => {
            let attr = b[1] & 0x07;
            if attr > 4 {
                return Err(PduError::InvalidField);
            }
            let mut cdb = [0u8; 16];
            cdb.copy_from_slice(&b[32..48]);
            Request::ScsiCommand(ScsiCommand {
                final_bit: f,
                read: b[1] & 0x40 != 0,
                write: b[1] & 0x20 != 0,
                attr,
                lun: be64(b, 8),
                expected_len: be32(b, 20),
                cmd_sn: be32(b, 24),
                exp_stat_sn: be32(b, 28),
                cdb,
            })
        }
        opcode::TASK_MGMT_REQUEST => {
            if !f {
                return Err(PduError::InvalidField);
            }
            Request::TaskMgmt(TaskMgmt {
                function: b[1] & 0x7f,
                lun: be64(b, 8),
                ref_itt: be32(b, 20),
                cmd_sn: be32(b, 24),
                exp_stat_sn: be32(b, 28),
                ref_cmd_sn: be32(b, 32),
                exp_data_sn: be32(b, 36),
            })
        }
        opcode::LOGIN_REQUEST => {
            let transit = f;
            let continue_bit = b[1] & 0x40 != 0;
            let csg = (b[1] >> 2) & 3;
            let nsg = b[1] & 3;
            // The I bit is always 1; T and C together are a protocol error;
            // stage 2 is reserved; T may only move forward.
            if !h.immediate
                || (transit && continue_bit)
                || csg == 2
                || (transit && (nsg == 2 || nsg <= csg))
            {
                return Err(PduError::InvalidField);
            }
            let mut isid = [0u8; 6];
            isid.copy_from_slice(&b[8..14]);
            Request::Login(LoginRequest {
                transit,
                continue_bit,
                csg,
                nsg,
                version_max: b[2],
                version_min: b[3],
                isid,
                tsih: be16(b, 14),
                cid: be16(b, 20),
                cmd_sn: be32(b, 24),
                exp_stat_sn: be32(b, 28),
            })
        }
        opcode::TEXT_REQUEST => {
            let continue_bit = b[1] & 0x40 != 0;
            if f && continue_bit {
                return Err(PduError::InvalidField);
            }
            Request::Text(TextRequest {
                final_bit: f,
                continue_bit,
                lun: be64(b, 8),
                ttt: be32(b, 20),
                cmd_sn: be32(b, 24),
                exp_stat_sn: be32(b, 28),
            })
        }
        opcode::DATA_OUT => Request::DataOut(DataOut {
            final_bit: f,
            lun: be64(b, 8),
            ttt: be32(b, 20),
            exp_stat_sn: be32(b, 28),
            data_sn: be32(b, 36),
            offset: be32(b, 40),
        }),
        opcode::LOGOUT_REQUEST => {
            if !f {
                return Err(PduError::InvalidField);
            }
            Request::Logout(LogoutRequest {
                reason: b[1] & 0x7f,
                cid: be16(b, 20),
                cmd_sn: be32(b, 24),
                exp_stat_sn: be32(b, 28),
            })
        }
        opcode::SNACK_REQUEST => Request::Snack(Snack {
            kind: b[1] & 0x0f,
            lun: be64(b, 8),
            ttt: be32(b, 20),
            exp_stat_sn: be32(b, 28),
            beg_run: be32(b, 40),
            run_length: be32(b, 44),
        }),
        other => return Err(PduError::UnknownOpcode(other)),
    };
    Ok((h, req))
}

/// The sequence numbers every target PDU with a StatSN carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Numbers {
    /// StatSN (for PDUs that do not advance it, the next one).
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
}

impl Numbers {
    fn put(&self, b: &mut [u8; BHS_LEN]) {
        put32(b, 24, self.stat_sn);
        put32(b, 28, self.exp_cmd_sn);
        put32(b, 32, self.max_cmd_sn);
    }
}

fn start(op: u8, flags: u8, data_len: u32, itt: u32) -> [u8; BHS_LEN] {
    let mut b = [0u8; BHS_LEN];
    b[0] = op;
    b[1] = flags;
    put24(&mut b, 5, data_len);
    put32(&mut b, 16, itt);
    b
}

/// Login Response (RFC 7143 11.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginResponse {
    /// T.
    pub transit: bool,
    /// C.
    pub continue_bit: bool,
    /// CSG.
    pub csg: u8,
    /// NSG.
    pub nsg: u8,
    /// Version-max.
    pub version_max: u8,
    /// Version-active.
    pub version_active: u8,
    /// ISID, as the initiator sent it.
    pub isid: [u8; 6],
    /// TSIH (the target's, in the last response).
    pub tsih: u16,
    /// ITT, as the initiator sent it.
    pub itt: u32,
    /// Sequence numbers.
    pub numbers: Numbers,
    /// Status-Class.
    pub status_class: u8,
    /// Status-Detail.
    pub status_detail: u8,
    /// DataSegmentLength.
    pub data_len: u32,
}

impl LoginResponse {
    /// The BHS.
    pub fn encode(&self) -> [u8; BHS_LEN] {
        let mut flags = ((self.csg & 3) << 2) | (self.nsg & 3);
        if self.transit {
            flags |= 0x80;
        }
        if self.continue_bit {
            flags |= 0x40;
        }
        let mut b = start(opcode::LOGIN_RESPONSE, flags, self.data_len, self.itt);
        b[2] = self.version_max;
        b[3] = self.version_active;
        b[8..14].copy_from_slice(&self.isid);
        put16(&mut b, 14, self.tsih);
        self.numbers.put(&mut b);
        b[36] = self.status_class;
        b[37] = self.status_detail;
        b
    }
}

/// Login status classes and details (RFC 7143 11.13.5).
pub mod login_status {
    /// Success.
    pub const SUCCESS: (u8, u8) = (0, 0);
    /// Target moved temporarily.
    pub const TARGET_MOVED_TEMPORARILY: (u8, u8) = (1, 1);
    /// Initiator error (miscellaneous).
    pub const INITIATOR_ERROR: (u8, u8) = (2, 0);
    /// Authentication failure.
    pub const AUTH_FAILED: (u8, u8) = (2, 1);
    /// Authorization failure.
    pub const FORBIDDEN: (u8, u8) = (2, 2);
    /// Not found.
    pub const NOT_FOUND: (u8, u8) = (2, 3);
    /// Target removed.
    pub const TARGET_REMOVED: (u8, u8) = (2, 4);
    /// Unsupported version.
    pub const UNSUPPORTED_VERSION: (u8, u8) = (2, 5);
    /// Too many connections.
    pub const TOO_MANY_CONNECTIONS: (u8, u8) = (2, 6);
    /// Missing parameter.
    pub const MISSING_PARAMETER: (u8, u8) = (2, 7);
    /// Can't include in session.
    pub const CANT_INCLUDE_IN_SESSION: (u8, u8) = (2, 8);
    /// Session type not supported.
    pub const SESSION_TYPE_NOT_SUPPORTED: (u8, u8) = (2, 9);
    /// Session does not exist.
    pub const SESSION_DOES_NOT_EXIST: (u8, u8) = (2, 10);
    /// Invalid request during login.
    pub const INVALID_DURING_LOGIN: (u8, u8) = (2, 11);
    /// Target error (miscellaneous).
    pub const TARGET_ERROR: (u8, u8) = (3, 0);
    /// Service unavailable.
    pub const SERVICE_UNAVAILABLE: (u8, u8) = (3, 1);
    /// Out of resources.
    pub const OUT_OF_RESOURCES: (u8, u8) = (3, 2);
}

/// Text Response (RFC 7143 11.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextResponse {
    /// F.
    pub final_bit: bool,
    /// C.
    pub continue_bit: bool,
    /// The LUN field, as in the request.
    pub lun: u64,
    /// ITT.
    pub itt: u32,
    /// TTT: 0xffffffff with F, else a tag for the continuation.
    pub ttt: u32,
    /// Sequence numbers.
    pub numbers: Numbers,
    /// DataSegmentLength.
    pub data_len: u32,
}

impl TextResponse {
    /// The BHS.
    pub fn encode(&self) -> [u8; BHS_LEN] {
        let mut flags = 0;
        if self.final_bit {
            flags |= 0x80;
        }
        if self.continue_bit {
            flags |= 0x40;
        }
        let mut b = start(opcode::TEXT_RESPONSE, flags, self.data_len, self.itt);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 20, self.ttt);
        self.numbers.put(&mut b);
        b
    }
}

/// Logout Response (RFC 7143 11.15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogoutResponse {
    /// Response (0 closed successfully, 1 CID not found, 2 recovery not
    /// supported, 3 cleanup failed).
    pub response: u8,
    /// ITT.
    pub itt: u32,
    /// Sequence numbers.
    pub numbers: Numbers,
    /// Time2Wait.
    pub time2wait: u16,
    /// Time2Retain.
    pub time2retain: u16,
}

impl LogoutResponse {
    /// The BHS.
    pub fn encode(&self) -> [u8; BHS_LEN] {
        let mut b = start(opcode::LOGOUT_RESPONSE, 0x80, 0, self.itt);
        b[2] = self.response;
        self.numbers.put(&mut b);
        put16(&mut b, 40, self.time2wait);
        put16(&mut b, 42, self.time2retain);
        b
    }
}

/// NOP-In (RFC 7143 11.19).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NopIn {
    /// The LUN field.
    pub lun: u64,
    /// ITT: the NOP-Out's, or 0xffffffff for a NOP-In the target starts.
    pub itt: u32,
    /// TTT: 0xffffffff when no answer is wanted.
    pub ttt: u32,
    /// Sequence numbers.
    pub numbers: Numbers,
    /// DataSegmentLength (the ping data echoed).
    pub data_len: u32,
}

impl NopIn {
    /// The BHS.
    pub fn encode(&self) -> [u8; BHS_LEN] {
        let mut b = start(opcode::NOP_IN, 0x80, self.data_len, self.itt);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 20, self.ttt);
        self.numbers.put(&mut b);
        b
    }
}

/// The residual flags and count of a response (RFC 7143 11.4.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Residual {
    /// Exactly the expected length moved.
    #[default]
    None,
    /// U: less moved than expected, by this many bytes.
    Underflow(u32),
    /// O: the command wanted this many bytes more than expected.
    Overflow(u32),
}

impl Residual {
    fn flags(self) -> u8 {
        match self {
            Residual::None => 0,
            Residual::Underflow(_) => 0x02,
            Residual::Overflow(_) => 0x04,
        }
    }

    fn count(self) -> u32 {
        match self {
            Residual::None => 0,
            Residual::Underflow(n) | Residual::Overflow(n) => n,
        }
    }
}

/// SCSI Response (RFC 7143 11.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScsiResponse {
    /// Response: 0 command completed at target, 1 target failure.
    pub response: u8,
    /// The SAM status.
    pub status: u8,
    /// The residual.
    pub residual: Residual,
    /// ITT.
    pub itt: u32,
    /// Sequence numbers.
    pub numbers: Numbers,
    /// ExpDataSN: the number of Data-In PDUs (and R2Ts) sent.
    pub exp_data_sn: u32,
    /// DataSegmentLength: the sense data with its 2-byte length.
    pub data_len: u32,
}

impl ScsiResponse {
    /// The BHS.
    pub fn encode(&self) -> [u8; BHS_LEN] {
        let mut b = start(
            opcode::SCSI_RESPONSE,
            0x80 | self.residual.flags(),
            self.data_len,
            self.itt,
        );
        b[2] = self.response;
        b[3] = self.status;
        self.numbers.put(&mut b);
        put32(&mut b, 36, self.exp_data_sn);
        put32(&mut b, 44, self.residual.count());
        b
    }
}

/// SCSI Data-In (RFC 7143 11.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataIn {
    /// F: the last PDU of the sequence.
    pub final_bit: bool,
    /// A: the initiator must acknowledge (ERL 1 and above).
    pub ack: bool,
    /// Some(status): S, the status is in this PDU (only with F).
    pub status: Option<u8>,
    /// The residual (with S only).
    pub residual: Residual,
    /// The LUN field (with A).
    pub lun: u64,
    /// ITT.
    pub itt: u32,
    /// TTT (with A), else 0xffffffff.
    pub ttt: u32,
    /// Sequence numbers (StatSN only with S).
    pub numbers: Numbers,
    /// DataSN.
    pub data_sn: u32,
    /// Buffer Offset.
    pub offset: u32,
    /// DataSegmentLength.
    pub data_len: u32,
}

impl DataIn {
    /// The BHS.
    pub fn encode(&self) -> [u8; BHS_LEN] {
        let mut flags = 0;
        if self.final_bit {
            flags |= 0x80;
        }
        if self.ack {
            flags |= 0x40;
        }
        let mut b = start(opcode::DATA_IN, flags, self.data_len, self.itt);
        if let Some(status) = self.status {
            b[1] |= 0x81 | self.residual.flags();
            b[3] = status;
            put32(&mut b, 44, self.residual.count());
            self.numbers.put(&mut b);
        } else {
            // No StatSN without status (RFC 7143 11.7.4).
            put32(&mut b, 28, self.numbers.exp_cmd_sn);
            put32(&mut b, 32, self.numbers.max_cmd_sn);
        }
        put64(&mut b, 8, self.lun);
        put32(&mut b, 20, self.ttt);
        put32(&mut b, 36, self.data_sn);
        put32(&mut b, 40, self.offset);
        b
    }
}

/// Ready To Transfer (RFC 7143 11.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct R2t {
    /// The LUN field.
    pub lun: u64,
    /// ITT of the command.
    pub itt: u32,
    /// The Target Transfer Tag the Data-Out PDUs must carry.
    pub ttt: u32,
    /// Sequence numbers (StatSN: the next one, not advanced).
    pub numbers: Numbers,
    /// R2TSN.
    pub r2t_sn: u32,
    /// Buffer Offset.
    pub offset: u32,
    /// Desired Data Transfer Length.
    pub length: u32,
}

impl R2t {
    /// The BHS.
    pub fn encode(&self) -> [u8; BHS_LEN] {
        let mut b = start(opcode::R2T, 0x80, 0, self.itt);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 20, self.ttt);
        self.numbers.put(&mut b);
        put32(&mut b, 36, self.r2t_sn);
        put32(&mut b, 40, self.offset);
        put32(&mut b, 44, self.length);
        b
    }
}

/// Task management responses (RFC 7143 11.6.1).
pub mod tmf_response {
    /// Function complete.
    pub const COMPLETE: u8 = 0;
    /// Task does not exist.
    pub const NO_TASK: u8 = 1;
    /// LUN does not exist.
    pub const NO_LUN: u8 = 2;
    /// Task still allegiant.
    pub const STILL_ALLEGIANT: u8 = 3;
    /// Task allegiance reassignment not supported.
    pub const NO_REASSIGNMENT: u8 = 4;
    /// Task management function not supported.
    pub const NOT_SUPPORTED: u8 = 5;
    /// Function authorization failed.
    pub const AUTH_FAILED: u8 = 6;
    /// Function rejected.
    pub const REJECTED: u8 = 255;
}

/// Task Management Function Response (RFC 7143 11.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskMgmtResponse {
    /// The response (see [`tmf_response`]).
    pub response: u8,
    /// ITT of the request.
    pub itt: u32,
    /// Sequence numbers.
    pub numbers: Numbers,
}

impl TaskMgmtResponse {
    /// The BHS.
    pub fn encode(&self) -> [u8; BHS_LEN] {
        let mut b = start(opcode::TASK_MGMT_RESPONSE, 0x80, 0, self.itt);
        b[2] = self.response;
        self.numbers.put(&mut b);
        b
    }
}

/// Reject (RFC 7143 11.17): the data segment is the rejected PDU's BHS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The reason (see [`reject`]).
    pub reason: u8,
    /// Sequence numbers.
    pub numbers: Numbers,
    /// DataSN/R2TSN (for a rejected SNACK), else 0.
    pub data_sn: u32,
}

impl Reject {
    /// The BHS; its data segment is the 48 bytes of the rejected header.
    pub fn encode(&self) -> [u8; BHS_LEN] {
        let mut b = start(opcode::REJECT, 0x80, BHS_LEN as u32, RESERVED_TAG);
        b[2] = self.reason;
        self.numbers.put(&mut b);
        put32(&mut b, 36, self.data_sn);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bhs(op: u8, flags: u8) -> [u8; BHS_LEN] {
        let mut b = [0u8; BHS_LEN];
        b[0] = op;
        b[1] = flags;
        b
    }

    #[test]
    fn scsi_command() {
        let mut b = bhs(opcode::SCSI_COMMAND | 0x40, 0x80 | 0x20 | 1);
        b[4] = 1;
        b[5..8].copy_from_slice(&[0, 0x10, 0]);
        b[8..16].copy_from_slice(&[0, 3, 0, 0, 0, 0, 0, 0]);
        b[16..20].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        b[20..24].copy_from_slice(&4096u32.to_be_bytes());
        b[24..28].copy_from_slice(&7u32.to_be_bytes());
        b[28..32].copy_from_slice(&9u32.to_be_bytes());
        b[32] = 0x2a;
        b[47] = 0x55;
        let (h, r) = parse(&b).unwrap();
        assert_eq!(
            h,
            Header {
                opcode: opcode::SCSI_COMMAND,
                immediate: true,
                ahs_len: 4,
                data_len: 4096,
                itt: 0xdead_beef
            }
        );
        let Request::ScsiCommand(c) = r else {
            panic!("{r:?}")
        };
        assert!(c.final_bit && c.write && !c.read);
        assert_eq!(c.attr, 1);
        assert_eq!(c.lun, 0x0003_0000_0000_0000);
        assert_eq!((c.expected_len, c.cmd_sn, c.exp_stat_sn), (4096, 7, 9));
        assert_eq!((c.cdb[0], c.cdb[15]), (0x2a, 0x55));
        b[1] = 0x85;
        assert_eq!(parse(&b), Err(PduError::InvalidField));
    }

    #[test]
    fn login_request() {
        let mut b = bhs(opcode::LOGIN_REQUEST | 0x40, 0x80 | (1 << 2) | 3);
        b[8..14].copy_from_slice(&[0x80, 1, 2, 3, 4, 5]);
        b[20..22].copy_from_slice(&[0, 7]);
        let (_, r) = parse(&b).unwrap();
        let Request::Login(l) = r else {
            panic!("{r:?}")
        };
        assert!(l.transit && !l.continue_bit);
        assert_eq!((l.csg, l.nsg, l.cid), (1, 3, 7));
        assert_eq!(l.isid, [0x80, 1, 2, 3, 4, 5]);
        // No I bit, T and C, stage 2, going back.
        for (b0, b1) in [
            (opcode::LOGIN_REQUEST, 0x87),
            (opcode::LOGIN_REQUEST | 0x40, 0xc7),
            (opcode::LOGIN_REQUEST | 0x40, 0x08),
            (opcode::LOGIN_REQUEST | 0x40, 0x86),
            (opcode::LOGIN_REQUEST | 0x40, 0x84),
        ] {
            b[0] = b0;
            b[1] = b1;
            assert_eq!(parse(&b), Err(PduError::InvalidField), "{b0:x} {b1:x}");
        }
        // Security without transit: any NSG is ignored.
        b[0] = opcode::LOGIN_REQUEST | 0x40;
        b[1] = 0x02;
        assert!(parse(&b).is_ok());
    }

    #[test]
    fn ahs_only_on_commands() {
        let mut b = bhs(opcode::NOP_OUT | 0x40, 0x80);
        b[4] = 1;
        assert_eq!(parse(&b), Err(PduError::BadAhs));
        assert_eq!(PduError::BadAhs.reject_reason(), None);
    }

    #[test]
    fn unknown_opcodes() {
        for op in [0x07u8, 0x1c, 0x20, 0x21, 0x3f] {
            let b = bhs(op, 0x80);
            assert_eq!(parse(&b), Err(PduError::UnknownOpcode(op)));
        }
        assert_eq!(
            PduError::UnknownOpcode(7).reject_reason(),
            Some(reject::COMMAND_NOT_SUPPORTED)
        );
    }

    #[test]
    fn logout_and_tmf_need_final() {
        let b = bhs(opcode::LOGOUT_REQUEST, 0x00);
        assert_eq!(parse(&b), Err(PduError::InvalidField));
        let b = bhs(opcode::LOGOUT_REQUEST, 0x81);
        let (_, r) = parse(&b).unwrap();
        assert!(matches!(r, Request::Logout(l) if l.reason == 1));
        let b = bhs(opcode::TASK_MGMT_REQUEST | 0x40, 0x85);
        let (_, r) = parse(&b).unwrap();
        assert!(matches!(r, Request::TaskMgmt(t) if t.function == 5));
    }

    #[test]
    fn login_response_encoding() {
        let r = LoginResponse {
            transit: true,
            continue_bit: false,
            csg: 1,
            nsg: 3,
            version_max: 0,
            version_active: 0,
            isid: [0x80, 1, 2, 3, 4, 5],
            tsih: 0x1234,
            itt: 0x11223344,
            numbers: Numbers {
                stat_sn: 1,
                exp_cmd_sn: 2,
                max_cmd_sn: 3,
            },
            status_class: 2,
            status_detail: 3,
            data_len: 0x10203,
        };
        let b = r.encode();
        assert_eq!(b[0], 0x23);
        assert_eq!(b[1], 0x87);
        assert_eq!(&b[5..8], &[1, 2, 3]);
        assert_eq!(&b[8..16], &[0x80, 1, 2, 3, 4, 5, 0x12, 0x34]);
        assert_eq!(&b[16..20], &[0x11, 0x22, 0x33, 0x44]);
        assert_eq!(&b[24..36], &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
        assert_eq!(&b[36..38], &[2, 3]);
    }

    #[test]
    fn data_in_with_status() {
        let d = DataIn {
            final_bit: true,
            ack: false,
            status: Some(0),
            residual: Residual::Underflow(512),
            lun: 0,
            itt: 5,
            ttt: RESERVED_TAG,
            numbers: Numbers {
                stat_sn: 10,
                exp_cmd_sn: 11,
                max_cmd_sn: 12,
            },
            data_sn: 3,
            offset: 8192,
            data_len: 4096,
        };
        let b = d.encode();
        assert_eq!(b[0], opcode::DATA_IN);
        assert_eq!(b[1], 0x83);
        assert_eq!(&b[24..28], &10u32.to_be_bytes());
        assert_eq!(&b[36..40], &3u32.to_be_bytes());
        assert_eq!(&b[40..44], &8192u32.to_be_bytes());
        assert_eq!(&b[44..48], &512u32.to_be_bytes());
        let d = DataIn {
            final_bit: false,
            status: None,
            ..d
        };
        let b = d.encode();
        assert_eq!(b[1], 0);
        assert_eq!(&b[24..28], &[0; 4]);
        assert_eq!(&b[44..48], &[0; 4]);
    }

    #[test]
    fn scsi_response_and_r2t() {
        let r = ScsiResponse {
            response: 0,
            status: 2,
            residual: Residual::Overflow(7),
            itt: 1,
            numbers: Numbers::default(),
            exp_data_sn: 4,
            data_len: 20,
        };
        let b = r.encode();
        assert_eq!((b[0], b[1], b[3]), (0x21, 0x84, 2));
        assert_eq!(&b[44..48], &7u32.to_be_bytes());
        let t = R2t {
            lun: 1 << 48,
            itt: 2,
            ttt: 3,
            numbers: Numbers::default(),
            r2t_sn: 4,
            offset: 5,
            length: 6,
        };
        let b = t.encode();
        assert_eq!((b[0], b[1]), (0x31, 0x80));
        assert_eq!(&b[8..10], &[0, 1]);
        assert_eq!(&b[36..48], &[0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6]);
    }

    #[test]
    fn serial_numbers() {
        assert!(sn_lt(1, 2));
        assert!(sn_lt(0xffff_fff0, 3));
        assert!(!sn_lt(3, 0xffff_fff0));
        assert!(!sn_lt(5, 5));
        assert!(sn_le(5, 5));
        assert_eq!(padded(0), 0);
        assert_eq!(padded(1), 4);
        assert_eq!(padded(8), 8);
        assert_eq!(padded(u32::MAX), 0x0100_0000);
    }
}
