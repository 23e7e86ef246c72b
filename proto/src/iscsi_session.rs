// SPDX-License-Identifier: GPL-2.0

//! The full-feature phase of a normal iSCSI session (RFC 7143), as plain
//! logic: what the login negotiated, the LUN and task attribute of a SCSI
//! Command, an extended CDB in its AHS, how read data is cut into Data-In
//! PDUs, how write data is asked for with R2Ts and how a Data-Out PDU is
//! checked against what was asked.
//!
//! Needs `crate::iscsi_param` (the kernel crate has it at its root).

use crate::iscsi_param::OpAnswer;

/// The operational parameters of a session, as its login negotiated them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionParams {
    /// InitialR2T: no unsolicited Data-Out PDUs.
    pub initial_r2t: bool,
    /// ImmediateData: write data may come in the SCSI Command PDU.
    pub immediate_data: bool,
    /// MaxBurstLength: the most data of one R2T (or Data-In sequence).
    pub max_burst: u32,
    /// FirstBurstLength: the most unsolicited data of one command.
    pub first_burst: u32,
    /// The initiator's MaxRecvDataSegmentLength: the most data the target
    /// sends in one PDU.
    pub max_xmit: u32,
    /// MaxOutstandingR2T.
    pub max_outstanding_r2t: u32,
    /// DataPDUInOrder.
    pub data_pdu_in_order: bool,
    /// DataSequenceInOrder.
    pub data_sequence_in_order: bool,
}

impl SessionParams {
    /// The values a login that does not mention a key leaves (RFC 7143
    /// 13: the defaults).
    pub const RFC_DEFAULT: Self = Self {
        initial_r2t: true,
        immediate_data: true,
        max_burst: 262_144,
        first_burst: 65_536,
        max_xmit: 8192,
        max_outstanding_r2t: 1,
        data_pdu_in_order: true,
        data_sequence_in_order: true,
    };

    /// Records the outcome of one negotiated key: `offered` is the
    /// initiator's value, `answer` the target's answer to it
    /// (`iscsi_param::answer_operational`). Other keys change nothing.
    pub fn record(&mut self, key: &[u8], offered: &[u8], answer: &OpAnswer<'_>) {
        let yes = |v: &[u8]| v == b"Yes";
        // The result of a Boolean: the answer, or (not answered) the offer.
        let flag = match answer {
            OpAnswer::Value(v) => Some(yes(v)),
            OpAnswer::Omit => Some(yes(offered)),
            _ => None,
        };
        let number = match answer {
            OpAnswer::Number(n) => Some(*n),
            _ => None,
        };
        match key {
            b"InitialR2T" => self.initial_r2t = flag.unwrap_or(self.initial_r2t),
            b"ImmediateData" => self.immediate_data = flag.unwrap_or(self.immediate_data),
            b"DataPDUInOrder" => self.data_pdu_in_order = flag.unwrap_or(self.data_pdu_in_order),
            b"DataSequenceInOrder" => {
                self.data_sequence_in_order = flag.unwrap_or(self.data_sequence_in_order)
            }
            b"MaxBurstLength" => self.max_burst = number.unwrap_or(self.max_burst),
            b"FirstBurstLength" => self.first_burst = number.unwrap_or(self.first_burst),
            b"MaxOutstandingR2T" => {
                self.max_outstanding_r2t = number.unwrap_or(self.max_outstanding_r2t)
            }
            b"MaxRecvDataSegmentLength" => {
                if let OpAnswer::MaxRecv { theirs, .. } = answer {
                    self.max_xmit = *theirs;
                }
            }
            _ => {}
        }
    }

    /// At the end of the login: FirstBurstLength never exceeds
    /// MaxBurstLength (RFC 7143 13.14), and no length is 0.
    pub fn finish(&mut self) {
        self.max_burst = self.max_burst.max(512);
        self.first_burst = self.first_burst.clamp(512, self.max_burst);
        self.max_xmit = self.max_xmit.max(512);
        self.max_outstanding_r2t = self.max_outstanding_r2t.max(1);
    }

    /// How many bytes of a write of `expected` bytes the initiator may
    /// send unsolicited (immediate data and unsolicited Data-Out PDUs).
    pub fn unsolicited(&self, expected: u32) -> u32 {
        if self.initial_r2t && !self.immediate_data {
            return 0;
        }
        expected.min(self.first_burst)
    }

    /// Whether unsolicited Data-Out PDUs may follow a write's SCSI Command
    /// (the F bit of the command says whether they do).
    pub fn unsolicited_data_out(&self) -> bool {
        !self.initial_r2t
    }
}

/// The LUN field of a PDU as a LUN number, as Linux's `scsilun_to_int()`
/// reads it (the first four levels, two bytes each, the first the least
/// significant).
pub fn lun_to_int(field: u64) -> u64 {
    let b = field.to_be_bytes();
    let mut lun = 0u64;
    for level in 0..4 {
        let hi = u64::from(b[level * 2]);
        let lo = u64::from(b[level * 2 + 1]);
        lun |= ((hi << 8) | lo) << (level * 16);
    }
    lun
}

/// The SAM task attribute (the fabric ABI's `task_attr`: 0 simple, 1 head
/// of queue, 2 ordered, 4 ACA) of an iSCSI ATTR field (0 untagged, 1
/// simple, 2 ordered, 3 head of queue, 4 ACA). Untagged is simple, as
/// in LIO.
pub fn sam_task_attr(attr: u8) -> u8 {
    match attr {
        2 => 2,
        3 => 1,
        4 => 4,
        _ => 0,
    }
}

/// AHS type of an extended CDB (RFC 7143 11.3.5).
const AHS_EXTENDED_CDB: u8 = 1;
/// AHS type of the expected bidirectional read data length.
const AHS_BIDI_READ_LENGTH: u8 = 2;

/// Why the AHS of a SCSI Command cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AhsError {
    /// An AHS runs past TotalAHSLength, or is of an unknown type.
    Malformed,
    /// A bidirectional command's read length: not supported.
    Bidirectional,
}

/// The extended CDB bytes (beyond the first 16) in the AHS of a SCSI
/// Command, if there is one: `ahs` is the TotalAHSLength bytes.
pub fn extended_cdb(ahs: &[u8]) -> Result<Option<&[u8]>, AhsError> {
    let mut rest = ahs;
    let mut found = None;
    while !rest.is_empty() {
        let [l0, l1, kind, _reserved, ..] = *rest else {
            return Err(AhsError::Malformed);
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        // AHSLength counts the reserved byte and the AHS-specific bytes;
        // each AHS is padded to 4.
        let body = rest.get(3..3 + len).ok_or(AhsError::Malformed)?;
        let total = (3 + len + 3) & !3;
        match kind {
            AHS_EXTENDED_CDB if len > 1 && found.is_none() => found = body.get(1..),
            AHS_BIDI_READ_LENGTH => return Err(AhsError::Bidirectional),
            _ => return Err(AhsError::Malformed),
        }
        rest = rest.get(total..).unwrap_or(&[]);
    }
    Ok(found)
}

/// One Data-In PDU of a read: where it starts, how long it is, and whether
/// it ends a sequence (the F bit: each sequence is at most MaxBurstLength,
/// as DataSequenceInOrder wants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataInPdu {
    /// Buffer Offset.
    pub offset: u32,
    /// DataSegmentLength.
    pub len: u32,
    /// F.
    pub final_bit: bool,
    /// The last PDU of the command.
    pub last: bool,
}

/// The Data-In PDU that starts at `offset` of `total` bytes (None once
/// `offset` reaches `total`), at most `max_xmit` bytes long and not
/// crossing a multiple of `max_burst`.
pub fn data_in_pdu(offset: u32, total: u32, max_xmit: u32, max_burst: u32) -> Option<DataInPdu> {
    if offset >= total {
        return None;
    }
    let max_xmit = max_xmit.max(1);
    let max_burst = max_burst.max(1);
    let burst_end = (offset / max_burst)
        .saturating_add(1)
        .saturating_mul(max_burst);
    let end = total.min(burst_end).min(offset.saturating_add(max_xmit));
    let len = end - offset;
    Some(DataInPdu {
        offset,
        len,
        final_bit: end == total || end == burst_end,
        last: end == total,
    })
}

/// The next R2T of a write of `expected` bytes whose first `received`
/// bytes are in: its Buffer Offset and Desired Data Transfer Length (None
/// when nothing is left).
pub fn next_r2t(received: u32, expected: u32, max_burst: u32) -> Option<(u32, u32)> {
    if received >= expected {
        return None;
    }
    Some((received, (expected - received).min(max_burst.max(1))))
}

/// Why a Data-Out PDU cannot be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataOutError {
    /// Its offset is not where the data so far ends (DataPDUInOrder).
    OutOfOrder,
    /// It passes the end of what was asked (the R2T's or the first burst).
    TooLong,
}

/// Checks a Data-Out PDU carrying `len` bytes at `offset` when the data so
/// far ends at `received` and the current sequence (an R2T, or the
/// unsolicited burst) ends at `limit`.
pub fn check_data_out(
    received: u32,
    limit: u32,
    offset: u32,
    len: u32,
) -> Result<(), DataOutError> {
    if offset != received {
        return Err(DataOutError::OutOfOrder);
    }
    match offset.checked_add(len) {
        Some(end) if end <= limit => Ok(()),
        _ => Err(DataOutError::TooLong),
    }
}

/// Fills `out` with the data segment of a SCSI Response that carries
/// `sense` (RFC 7143 11.4.7: SenseLength, then the sense data); returns
/// its length, or None if `out` is too short.
pub fn sense_segment(sense: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = u16::try_from(sense.len()).ok()?;
    let total = sense.len().checked_add(2)?;
    let dst = out.get_mut(..total)?;
    dst[..2].copy_from_slice(&n.to_be_bytes());
    dst[2..].copy_from_slice(sense);
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_from_answers() {
        let mut p = SessionParams::RFC_DEFAULT;
        p.record(b"InitialR2T", b"No", &OpAnswer::Value(b"Yes"));
        p.record(b"ImmediateData", b"No", &OpAnswer::Omit);
        p.record(b"MaxBurstLength", b"16776192", &OpAnswer::Number(262_144));
        p.record(b"FirstBurstLength", b"262144", &OpAnswer::Number(65_536));
        p.record(
            b"MaxRecvDataSegmentLength",
            b"131072",
            &OpAnswer::MaxRecv {
                theirs: 131_072,
                ours: 262_144,
            },
        );
        p.record(b"MaxOutstandingR2T", b"8", &OpAnswer::Number(1));
        p.record(b"DataPDUInOrder", b"Yes", &OpAnswer::Omit);
        p.record(b"HeaderDigest", b"None", &OpAnswer::Value(b"None"));
        p.finish();
        assert!(p.initial_r2t);
        assert!(!p.immediate_data);
        assert_eq!(p.max_burst, 262_144);
        assert_eq!(p.first_burst, 65_536);
        assert_eq!(p.max_xmit, 131_072);
        assert_eq!(p.max_outstanding_r2t, 1);
        assert!(p.data_pdu_in_order);
        assert_eq!(p.unsolicited(1 << 20), 0);
        assert!(!p.unsolicited_data_out());
    }

    #[test]
    fn first_burst_never_above_max_burst() {
        let mut p = SessionParams::RFC_DEFAULT;
        p.max_burst = 4096;
        p.first_burst = 65536;
        p.finish();
        assert_eq!(p.first_burst, 4096);
        assert_eq!(p.unsolicited(100), 100);
        assert_eq!(p.unsolicited(10_000), 4096);
    }

    #[test]
    fn luns() {
        assert_eq!(lun_to_int(0), 0);
        assert_eq!(lun_to_int(0x0001_0000_0000_0000), 1);
        // Flat space addressing as Linux's int_to_scsilun writes LUN 300.
        assert_eq!(lun_to_int(0x412c_0000_0000_0000), 0x412c);
        assert_eq!(lun_to_int(0x0001_0002_0000_0000), 0x0002_0001);
    }

    #[test]
    fn task_attributes() {
        assert_eq!(sam_task_attr(0), 0);
        assert_eq!(sam_task_attr(1), 0);
        assert_eq!(sam_task_attr(2), 2);
        assert_eq!(sam_task_attr(3), 1);
        assert_eq!(sam_task_attr(4), 4);
    }

    #[test]
    fn ahs() {
        assert_eq!(extended_cdb(&[]), Ok(None));
        // A 32-byte CDB: 16 more bytes, AHSLength 17, padded to 20 + 4.
        let mut a = [0u8; 20];
        a[..4].copy_from_slice(&[0, 17, 1, 0]);
        for (i, b) in a[4..].iter_mut().enumerate() {
            *b = i as u8;
        }
        let ext = extended_cdb(&a).unwrap().unwrap();
        assert_eq!(ext.len(), 16);
        assert_eq!(ext[15], 15);
        assert_eq!(extended_cdb(&a[..10]), Err(AhsError::Malformed));
        assert_eq!(
            extended_cdb(&[0, 5, 2, 0, 0, 0, 0, 0]),
            Err(AhsError::Bidirectional)
        );
        assert_eq!(extended_cdb(&[0, 1, 9, 0]), Err(AhsError::Malformed));
        assert_eq!(extended_cdb(&[0, 1]), Err(AhsError::Malformed));
    }

    #[test]
    fn data_in_cut() {
        // 1 MiB with 256 KiB bursts and 64 KiB PDUs: F every 4th PDU.
        let mut at = 0;
        let mut n = 0;
        while let Some(p) = data_in_pdu(at, 1 << 20, 65536, 262_144) {
            assert_eq!(p.offset, at);
            assert_eq!(p.len, 65536);
            n += 1;
            assert_eq!(p.final_bit, n % 4 == 0);
            assert_eq!(p.last, n == 16);
            at += p.len;
        }
        assert_eq!(n, 16);
        let p = data_in_pdu(0, 100, 8192, 262_144).unwrap();
        assert_eq!((p.len, p.final_bit, p.last), (100, true, true));
        assert_eq!(data_in_pdu(100, 100, 8192, 1), None);
        // A burst shorter than a PDU bounds it.
        let p = data_in_pdu(1000, 5000, 8192, 4096).unwrap();
        assert_eq!((p.len, p.final_bit, p.last), (3096, true, false));
        assert_eq!(data_in_pdu(0, 10, 0, 0).unwrap().len, 1);
    }

    #[test]
    fn r2ts() {
        assert_eq!(next_r2t(0, 1 << 20, 262_144), Some((0, 262_144)));
        assert_eq!(next_r2t(65536, 100_000, 262_144), Some((65536, 34_464)));
        assert_eq!(next_r2t(100, 100, 262_144), None);
    }

    #[test]
    fn data_out_checks() {
        assert_eq!(check_data_out(0, 8192, 0, 8192), Ok(()));
        assert_eq!(
            check_data_out(0, 8192, 512, 512),
            Err(DataOutError::OutOfOrder)
        );
        assert_eq!(
            check_data_out(4096, 8192, 4096, 8192),
            Err(DataOutError::TooLong)
        );
        assert_eq!(
            check_data_out(0, 8192, 0, u32::MAX),
            Err(DataOutError::TooLong)
        );
    }

    #[test]
    fn sense() {
        let mut out = [0u8; 20];
        assert_eq!(sense_segment(&[0x70, 0, 5], &mut out), Some(5));
        assert_eq!(&out[..5], &[0, 3, 0x70, 0, 5]);
        assert_eq!(sense_segment(&[0; 19], &mut out), None);
    }
}
