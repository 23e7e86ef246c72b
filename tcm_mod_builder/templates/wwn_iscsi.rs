// SPDX-License-Identifier: GPL-2.0

//! iSCSI names and TransportIDs for {{ name }}.
//!
//! `core` only: no allocation, no kernel types, no panics on any input. The
//! module compiles this file, and a host test can compile it too (`#[path]`
//! from a test crate; tcm_mod_builder's tests do, on the generated copy).

use core::fmt;

/// The SCSI transport protocol of this fabric.
pub(crate) const PROTOCOL: &str = "iSCSI";
/// Its PROTOCOL IDENTIFIER (SPC-4 7.6.1): iSCSI.
pub(crate) const PROTOCOL_ID: u8 = 0x5;
/// The port name forms this file accepts, for messages.
pub(crate) const FORMS: &str = "an iSCSI name: iqn.yyyy-mm.<reversed domain>[:<anything>] \
    (iqn.2003-01.org.example:target1), eui. and 16 hex digits, or naa. and 16 or 32 hex digits";
/// The longest iSCSI name, in bytes (RFC 3720 3.2.6.1: 223).
pub(crate) const NAME_MAX: usize = 223;
/// The longest TransportID of this protocol: the header, the longest name,
/// `,i,0x`, an ISID in 12 hex digits and the NUL, padded to 4 bytes.
pub(crate) const TRANSPORT_ID_MAX: usize = 4 + (NAME_MAX + 5 + 12 + 1).next_multiple_of(4);

/// The three iSCSI name formats (RFC 3720 3.2.6.3, RFC 3980).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameType {
    /// `iqn.`: a date and a reversed domain name.
    Iqn,
    /// `eui.`: an EUI-64 in 16 hex digits.
    Eui,
    /// `naa.`: an NAA identifier in 16 or 32 hex digits.
    Naa,
}

/// An iSCSI name (a target's WWN, or an initiator's name), checked
/// against RFC 3720 3.2.6 and RFC 3722: ASCII only, and `iqn.` names in
/// lowercase as stringprep leaves them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct PortName {
    name: [u8; NAME_MAX],
    len: u8,
    kind: NameType,
}

/// Why a name is not an iSCSI name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    /// Longer than [`NAME_MAX`] bytes.
    TooLong,
    /// None of `iqn.`, `eui.` or `naa.`.
    Prefix,
    /// `iqn.` not followed by a date `yyyy-mm` (month 01 to 12) and a dot.
    Date,
    /// No naming authority after the date.
    Authority,
    /// An uppercase letter in an `iqn.` name.
    Uppercase,
    /// A character other than `a-z 0-9 - . :` in an `iqn.` name.
    Character,
    /// `eui.` not followed by 16 hex digits, or `naa.` by 16 or 32.
    Digits,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLong => "longer than 223 bytes",
            Self::Prefix => "no iqn., eui. or naa. prefix",
            Self::Date => "iqn. is followed by a date yyyy-mm and a dot",
            Self::Authority => "no naming authority (a reversed domain name) after the date",
            Self::Uppercase => "iSCSI names are lowercase (RFC 3722)",
            Self::Character => "only a-z, 0-9, '-', '.' and ':' are allowed",
            Self::Digits => "eui. takes 16 hex digits, naa. 16 or 32",
        })
    }
}

/// Why a TransportID could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransportIdError {
    /// The buffer is shorter than the TransportID.
    BufferTooSmall,
    /// An ISID is 48 bits.
    IsidTooLarge,
}

impl PortName {
    /// Parses a port name (a WWN directory or an initiator's name).
    pub(crate) fn parse(name: &[u8]) -> Result<Self, NameError> {
        if name.len() > NAME_MAX {
            return Err(NameError::TooLong);
        }
        let kind = if let Some(rest) = name.strip_prefix(b"iqn.") {
            check_iqn(rest)?;
            NameType::Iqn
        } else if let Some(digits) = name.strip_prefix(b"eui.") {
            check_hex(digits, &[16])?;
            NameType::Eui
        } else if let Some(digits) = name.strip_prefix(b"naa.") {
            check_hex(digits, &[16, 32])?;
            NameType::Naa
        } else {
            return Err(NameError::Prefix);
        };
        let mut copy = [0; NAME_MAX];
        for (to, from) in copy.iter_mut().zip(name) {
            *to = *from;
        }
        Ok(Self {
            name: copy,
            // At most NAME_MAX (checked above), which fits.
            len: name.len() as u8,
            kind,
        })
    }

    /// The name's format.
    pub(crate) fn kind(&self) -> NameType {
        self.kind
    }

    /// The name as written.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.name.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Writes this initiator's TransportID in the initiator device format
    /// (SPC-4 7.6.4.6, FORMAT CODE 00b: the name, NUL-terminated and padded)
    /// to the start of `out` and returns its length.
    pub(crate) fn transport_id(&self, out: &mut [u8]) -> Result<usize, TransportIdError> {
        self.write_transport_id(None, out)
    }

    /// Writes the TransportID of this initiator's port with the session
    /// identifier `isid` (SPC-4 7.6.4.6, FORMAT CODE 01b: the name, `,i,0x`
    /// and the ISID in hex, NUL-terminated and padded) to the start of `out`
    /// and returns its length.
    pub(crate) fn port_transport_id(
        &self,
        isid: u64,
        out: &mut [u8],
    ) -> Result<usize, TransportIdError> {
        if isid >> 48 != 0 {
            return Err(TransportIdError::IsidTooLarge);
        }
        self.write_transport_id(Some(isid), out)
    }

    fn write_transport_id(
        &self,
        isid: Option<u64>,
        out: &mut [u8],
    ) -> Result<usize, TransportIdError> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut suffix = [0; 17];
        let suffix = match isid {
            Some(isid) => {
                for (i, to) in suffix.iter_mut().enumerate() {
                    *to = match i {
                        0..5 => b",i,0x"[i],
                        _ => HEX[((isid >> (4 * (16 - i))) & 0xf) as usize],
                    };
                }
                &suffix[..]
            }
            None => &suffix[..0],
        };
        // The name, the suffix and a NUL, padded to a multiple of 4 and to
        // at least 20 bytes (the ADDITIONAL LENGTH).
        let additional = (self.as_bytes().len() + suffix.len() + 1)
            .next_multiple_of(4)
            .max(20);
        let total = 4 + additional;
        let mut id = [0; TRANSPORT_ID_MAX];
        id[0] = PROTOCOL_ID | if isid.is_some() { 0x40 } else { 0 };
        // At most TRANSPORT_ID_MAX, which fits.
        let [hi, lo] = (additional as u16).to_be_bytes();
        id[2] = hi;
        id[3] = lo;
        let body = self.as_bytes().iter().chain(suffix);
        for (to, from) in id.iter_mut().skip(4).zip(body) {
            *to = *from;
        }
        out.get_mut(..total)
            .ok_or(TransportIdError::BufferTooSmall)?
            .copy_from_slice(id.get(..total).unwrap_or(&[]));
        Ok(total)
    }
}

impl fmt::Display for PortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ASCII only (checked when parsed).
        for &c in self.as_bytes() {
            fmt::Write::write_char(f, char::from(c))?;
        }
        Ok(())
    }
}

impl fmt::Debug for PortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PortName({self})")
    }
}

/// Checks what follows `iqn.`: `yyyy-mm.`, a naming authority, and
/// optionally `:` and a unique string; lowercase ASCII, digits, `-`, `.`
/// and `:` only.
fn check_iqn(rest: &[u8]) -> Result<(), NameError> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'.', tail @ ..] = rest else {
        return Err(NameError::Date);
    };
    if ![y0, y1, y2, y3, m0, m1].iter().all(|c| c.is_ascii_digit()) {
        return Err(NameError::Date);
    }
    let month = (m0 - b'0') * 10 + (m1 - b'0');
    if !(1..=12).contains(&month) {
        return Err(NameError::Date);
    }
    let authority = tail.split(|&c| c == b':').next().unwrap_or(&[]);
    if authority.is_empty() || authority.starts_with(b".") {
        return Err(NameError::Authority);
    }
    for &c in tail {
        match c {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b':' => {}
            b'A'..=b'Z' => return Err(NameError::Uppercase),
            _ => return Err(NameError::Character),
        }
    }
    Ok(())
}

/// Checks that `digits` is hex digits (either case), as many as one of
/// `lengths`.
fn check_hex(digits: &[u8], lengths: &[usize]) -> Result<(), NameError> {
    if lengths.contains(&digits.len()) && digits.iter().all(u8::is_ascii_hexdigit) {
        Ok(())
    } else {
        Err(NameError::Digits)
    }
}
