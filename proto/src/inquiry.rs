// SPDX-License-Identifier: GPL-2.0

//! Values written to a device's `wwn/` attributes: the standard INQUIRY
//! identification strings (vendor, product, revision) and the unit serial
//! number, checked as LIO checks them.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

/// The longest T10 vendor identification (INQUIRY bytes 8..16).
pub const VENDOR_LEN: usize = 8;
/// The longest product identification (INQUIRY bytes 16..32).
pub const PRODUCT_LEN: usize = 16;
/// The longest product revision level (INQUIRY bytes 32..36).
pub const REVISION_LEN: usize = 4;
/// The unit serial number buffer, NUL included (LIO's INQUIRY_VPD_SERIAL_LEN).
pub const UNIT_SERIAL_BUF: usize = 254;

/// The peripheral device text identification buffer, NUL included (used
/// by REPORT IDENTIFYING INFORMATION).
pub const PD_TEXT_ID_INFO_BUF: usize = 256;

/// Why a written identification was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldError {
    /// Longer than the field.
    TooLong,
    /// Holds a byte that is not printable ASCII.
    NotPrintable,
}

/// A vendor, product or revision string of at most `max` bytes. As in
/// LIO, the write itself may hold at most one byte more (a newline) before
/// it is trimmed, and every byte must be printable ASCII.
pub fn identification(input: &[u8], max: usize) -> Result<&[u8], FieldError> {
    if input.len() > max + 1 {
        return Err(FieldError::TooLong);
    }
    let value = crate::text::trim(input);
    if value.len() > max {
        return Err(FieldError::TooLong);
    }
    if !value.iter().all(|&c| (0x20..0x7f).contains(&c)) {
        return Err(FieldError::NotPrintable);
    }
    Ok(value)
}

/// A unit serial number: the write must fit LIO's buffer with its NUL; the
/// value is the write trimmed.
pub fn unit_serial(input: &[u8]) -> Result<&[u8], FieldError> {
    bounded_text(input, UNIT_SERIAL_BUF - 1, UNIT_SERIAL_BUF - 1)
}

/// The peripheral device text identification: as LIO, the write may be
/// at most two bytes longer than the buffer's text before it is trimmed.
pub fn pd_text_id_info(input: &[u8]) -> Result<&[u8], FieldError> {
    bounded_text(input, PD_TEXT_ID_INFO_BUF + 1, PD_TEXT_ID_INFO_BUF - 1)
}

/// Free text: at most `max_write` bytes written, at most `max_value` once
/// trimmed, and no NUL.
fn bounded_text(input: &[u8], max_write: usize, max_value: usize) -> Result<&[u8], FieldError> {
    if input.len() > max_write {
        return Err(FieldError::TooLong);
    }
    let value = crate::text::trim(input);
    if value.len() > max_value {
        return Err(FieldError::TooLong);
    }
    if value.contains(&0) {
        return Err(FieldError::NotPrintable);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identification_limits() {
        assert_eq!(
            identification(b"LIO-ORG\n", VENDOR_LEN),
            Ok(&b"LIO-ORG"[..])
        );
        assert_eq!(
            identification(b"12345678\n", VENDOR_LEN),
            Ok(&b"12345678"[..])
        );
        assert_eq!(
            identification(b"123456789", VENDOR_LEN),
            Err(FieldError::TooLong)
        );
        // LIO copies at most max + 1 bytes before trimming.
        assert_eq!(
            identification(b"ABC       \n", VENDOR_LEN),
            Err(FieldError::TooLong)
        );
        assert_eq!(
            identification(b"bad\x01\n", VENDOR_LEN),
            Err(FieldError::NotPrintable)
        );
        assert_eq!(
            identification(b"caf\xc3\xa9", VENDOR_LEN),
            Err(FieldError::NotPrintable)
        );
        assert_eq!(identification(b"\n", REVISION_LEN), Ok(&b""[..]));
    }

    #[test]
    fn pd_text_id_info_limits() {
        assert_eq!(
            pd_text_id_info(b"rack 4, slot 2\n"),
            Ok(&b"rack 4, slot 2"[..])
        );
        assert_eq!(pd_text_id_info(&[b'x'; 255]), Ok(&[b'x'; 255][..]));
        assert_eq!(pd_text_id_info(&[b'x'; 256]), Err(FieldError::TooLong));
    }

    #[test]
    fn unit_serial_limits() {
        assert_eq!(unit_serial(b" 1234-abcd \n"), Ok(&b"1234-abcd"[..]));
        assert_eq!(unit_serial(&[b'a'; 253]), Ok(&[b'a'; 253][..]));
        assert_eq!(unit_serial(&[b'a'; 254]), Err(FieldError::TooLong));
    }
}
