// SPDX-License-Identifier: GPL-2.0

//! SCSI sense data (SPC-4 4.4): the fixed (70h/71h) and descriptor (72h/73h)
//! formats, built into a caller's buffer.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

/// Sense key (SPC-4 table 46).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SenseKey {
    NoSense = 0x0,
    RecoveredError = 0x1,
    NotReady = 0x2,
    MediumError = 0x3,
    HardwareError = 0x4,
    IllegalRequest = 0x5,
    UnitAttention = 0x6,
    DataProtect = 0x7,
    BlankCheck = 0x8,
    VendorSpecific = 0x9,
    CopyAborted = 0xa,
    AbortedCommand = 0xb,
    VolumeOverflow = 0xd,
    Miscompare = 0xe,
    Completed = 0xf,
}

/// Which of the two sense data formats to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenseFormat {
    /// Response code 70h (current) or 71h (deferred), 18 bytes here.
    Fixed,
    /// Response code 72h (current) or 73h (deferred), 8 bytes plus descriptors.
    Descriptor,
}

/// The sense-key-specific field pointer (SPC-4 4.4.2.4.2): which CDB or
/// parameter list byte (and optionally bit) was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPointer {
    /// True when the bad field is in the CDB, false for the parameter data.
    pub in_cdb: bool,
    /// The byte offset of the bad field.
    pub byte: u16,
    /// The bit within that byte, when it is known (0..=7).
    pub bit: Option<u8>,
}

/// The contents of one sense data report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sense {
    pub key: SenseKey,
    pub asc: u8,
    pub ascq: u8,
    /// Deferred error (71h/73h) rather than current (70h/72h).
    pub deferred: bool,
    /// The INFORMATION field (for example the first bad LBA), when valid.
    pub information: Option<u64>,
    /// The sense-key-specific field pointer, for ILLEGAL REQUEST.
    pub field_pointer: Option<FieldPointer>,
}

/// Length of fixed format sense data as built here (additional length 10).
pub const FIXED_LEN: usize = 18;
/// Length of the descriptor format header, without descriptors.
pub const DESCRIPTOR_HEADER_LEN: usize = 8;
/// The largest sense data [`Sense::encode`] builds.
pub const MAX_LEN: usize = DESCRIPTOR_HEADER_LEN + INFORMATION_DESC_LEN + SKS_DESC_LEN;

const INFORMATION_DESC_LEN: usize = 12;
const SKS_DESC_LEN: usize = 8;

/// The buffer given to [`Sense::encode`] is shorter than the sense data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferTooSmall {
    /// How many bytes the sense data needs.
    pub needed: usize,
}

impl Sense {
    /// Sense data with a key and additional sense code, nothing else.
    pub const fn new(key: SenseKey, asc: u8, ascq: u8) -> Self {
        Self {
            key,
            asc,
            ascq,
            deferred: false,
            information: None,
            field_pointer: None,
        }
    }

    /// The length [`Sense::encode`] produces in `format`.
    pub fn len(&self, format: SenseFormat) -> usize {
        match format {
            SenseFormat::Fixed => FIXED_LEN,
            SenseFormat::Descriptor => {
                DESCRIPTOR_HEADER_LEN
                    + if self.information.is_some() {
                        INFORMATION_DESC_LEN
                    } else {
                        0
                    }
                    + if self.field_pointer.is_some() {
                        SKS_DESC_LEN
                    } else {
                        0
                    }
            }
        }
    }

    /// Writes the sense data into the front of `buf` and returns its length.
    /// Bytes of `buf` past that length are left as they were.
    ///
    /// In fixed format an INFORMATION value above 32 bits does not fit; the
    /// VALID bit is then left clear, as SPC-4 requires.
    pub fn encode(&self, format: SenseFormat, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let len = self.len(format);
        let Some(out) = buf.get_mut(..len) else {
            return Err(BufferTooSmall { needed: len });
        };
        out.fill(0);
        match format {
            SenseFormat::Fixed => self.encode_fixed(out),
            SenseFormat::Descriptor => self.encode_descriptor(out),
        }
        Ok(len)
    }

    fn encode_fixed(&self, out: &mut [u8]) {
        out[0] = if self.deferred { 0x71 } else { 0x70 };
        out[2] = self.key as u8;
        if let Some(info) = self.information {
            if let Ok(info) = u32::try_from(info) {
                out[0] |= 0x80;
                out[3..7].copy_from_slice(&info.to_be_bytes());
            }
        }
        out[7] = (FIXED_LEN - 8) as u8;
        out[12] = self.asc;
        out[13] = self.ascq;
        if let Some(fp) = self.field_pointer {
            out[15..18].copy_from_slice(&fp.encode());
        }
    }

    fn encode_descriptor(&self, out: &mut [u8]) {
        out[0] = if self.deferred { 0x73 } else { 0x72 };
        out[1] = self.key as u8;
        out[2] = self.asc;
        out[3] = self.ascq;
        out[7] = (out.len() - DESCRIPTOR_HEADER_LEN) as u8;
        let mut at = DESCRIPTOR_HEADER_LEN;
        if let Some(info) = self.information {
            // Information descriptor (SPC-4 4.4.2.2), VALID set.
            let d = &mut out[at..at + INFORMATION_DESC_LEN];
            d[0] = 0x00;
            d[1] = 0x0a;
            d[2] = 0x80;
            d[4..12].copy_from_slice(&info.to_be_bytes());
            at += INFORMATION_DESC_LEN;
        }
        if let Some(fp) = self.field_pointer {
            // Sense key specific descriptor (SPC-4 4.4.2.4).
            let d = &mut out[at..at + SKS_DESC_LEN];
            d[0] = 0x02;
            d[1] = 0x06;
            d[4..7].copy_from_slice(&fp.encode());
        }
    }
}

impl FieldPointer {
    /// The three bytes of the sense-key-specific field, SKSV set.
    fn encode(&self) -> [u8; 3] {
        let mut b0 = 0x80;
        if self.in_cdb {
            b0 |= 0x40;
        }
        if let Some(bit) = self.bit {
            b0 |= 0x08 | (bit & 0x07);
        }
        let [hi, lo] = self.byte.to_be_bytes();
        [b0, hi, lo]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_illegal_request_invalid_field_in_cdb() {
        let mut s = Sense::new(SenseKey::IllegalRequest, 0x24, 0x00);
        s.field_pointer = Some(FieldPointer {
            in_cdb: true,
            byte: 2,
            bit: Some(5),
        });
        let mut buf = [0xffu8; 32];
        assert_eq!(s.encode(SenseFormat::Fixed, &mut buf), Ok(18));
        assert_eq!(
            buf[..18],
            [0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0xcd, 0x00, 0x02]
        );
        assert!(
            buf[18..].iter().all(|&b| b == 0xff),
            "bytes past the sense data changed"
        );
    }

    #[test]
    fn fixed_information_valid_only_when_it_fits() {
        let mut s = Sense::new(SenseKey::MediumError, 0x11, 0x00);
        s.information = Some(0x1234_5678);
        let mut buf = [0u8; 18];
        s.encode(SenseFormat::Fixed, &mut buf).unwrap();
        assert_eq!(buf[0], 0xf0);
        assert_eq!(buf[3..7], [0x12, 0x34, 0x56, 0x78]);

        s.information = Some(1 << 40);
        s.encode(SenseFormat::Fixed, &mut buf).unwrap();
        assert_eq!(
            buf[0], 0x70,
            "VALID must be clear when INFORMATION does not fit"
        );
        assert_eq!(buf[3..7], [0; 4]);
    }

    #[test]
    fn descriptor_with_information_and_field_pointer() {
        let mut s = Sense::new(SenseKey::IllegalRequest, 0x21, 0x00);
        s.information = Some(0x0102_0304_0506_0708);
        s.field_pointer = Some(FieldPointer {
            in_cdb: false,
            byte: 0x0102,
            bit: None,
        });
        let mut buf = [0u8; MAX_LEN];
        assert_eq!(s.encode(SenseFormat::Descriptor, &mut buf), Ok(28));
        assert_eq!(buf[..8], [0x72, 0x05, 0x21, 0x00, 0, 0, 0, 20]);
        assert_eq!(buf[8..20], [0, 0x0a, 0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(buf[20..28], [0x02, 0x06, 0, 0, 0x80, 0x01, 0x02, 0]);
    }

    #[test]
    fn deferred_response_codes() {
        let mut s = Sense::new(SenseKey::HardwareError, 0x44, 0x00);
        s.deferred = true;
        let mut buf = [0u8; MAX_LEN];
        s.encode(SenseFormat::Fixed, &mut buf).unwrap();
        assert_eq!(buf[0], 0x71);
        s.encode(SenseFormat::Descriptor, &mut buf).unwrap();
        assert_eq!(buf[0], 0x73);
    }

    #[test]
    fn short_buffer_is_refused_and_untouched() {
        let s = Sense::new(SenseKey::NotReady, 0x04, 0x01);
        let mut buf = [0xaau8; 17];
        assert_eq!(
            s.encode(SenseFormat::Fixed, &mut buf),
            Err(BufferTooSmall { needed: 18 })
        );
        assert!(buf.iter().all(|&b| b == 0xaa));
    }
}
