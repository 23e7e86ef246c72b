// SPDX-License-Identifier: GPL-2.0

//! SRP port names and TransportIDs for gen_srp.
//!
//! `core` only: no allocation, no kernel types, no panics on any input. The
//! module compiles this file, and a host test can compile it too (`#[path]`
//! from a test crate; tcm_mod_builder's tests do, on the generated copy).

use core::fmt;

/// The SCSI transport protocol of this fabric.
pub(crate) const PROTOCOL: &str = "SRP";
/// Its PROTOCOL IDENTIFIER (SPC-4 7.6.1): SCSI RDMA Protocol.
pub(crate) const PROTOCOL_ID: u8 = 0x4;
/// The port name forms this file accepts, for messages.
pub(crate) const FORMS: &str = "a 128-bit SRP port ID: 0x and up to 32 hex digits, an even \
    number (0xfe800000000000000002c90300a1b2c3), or a GUID as 4 colon-separated groups of \
    hex digits (0002:c903:00a1:b2c3)";
/// The longest TransportID of this protocol (its only length).
pub(crate) const TRANSPORT_ID_MAX: usize = 24;

/// A 128-bit SRP port identifier, in the forms LIO's ib_srpt reads: a
/// port GID (`0x` and 32 hex digits), fewer digits (right-aligned, the
/// rest zero; the `0x` is optional) or a port GUID
/// (`0002:c903:00a1:b2c3`, the low 64 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PortName(pub(crate) [u8; 16]);

/// Why a name is not a port name of this protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    /// An odd number of hex digits, none, or more than 32.
    Length,
    /// A GUID that is not 4 groups of 1 to 4 hex digits.
    Guid,
    /// A character that is not a hex digit.
    NotHex,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Length => "a port ID has an even number of hex digits, 2 to 32",
            Self::Guid => "a GUID is 4 groups of 1 to 4 hex digits separated by colons",
            Self::NotHex => "a character that is not a hex digit",
        })
    }
}

/// Why a TransportID could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransportIdError {
    /// The buffer is shorter than the TransportID.
    BufferTooSmall,
}

impl PortName {
    /// Parses a port name (a WWN directory or an initiator's name).
    pub(crate) fn parse(name: &[u8]) -> Result<Self, NameError> {
        let mut id = [0; 16];
        if name.contains(&b':') {
            let mut guid: u64 = 0;
            let mut groups = 0;
            for group in name.split(|&c| c == b':') {
                if group.is_empty() || group.len() > 4 {
                    return Err(NameError::Guid);
                }
                let mut value = 0;
                for &c in group {
                    value = value << 4 | u64::from(hex_digit(c)?);
                }
                guid = guid << 16 | value;
                groups += 1;
            }
            if groups != 4 {
                return Err(NameError::Guid);
            }
            for (to, from) in id.iter_mut().skip(8).zip(guid.to_be_bytes()) {
                *to = from;
            }
            return Ok(Self(id));
        }
        let digits = match name {
            [b'0', b'x' | b'X', rest @ ..] => rest,
            _ => name,
        };
        if digits.is_empty() || digits.len() % 2 != 0 || digits.len() > 32 {
            return Err(NameError::Length);
        }
        let start = 16 - digits.len() / 2;
        for (to, pair) in id.iter_mut().skip(start).zip(digits.chunks(2)) {
            for &c in pair {
                *to = *to << 4 | hex_digit(c)?;
            }
        }
        Ok(Self(id))
    }

    /// Writes this initiator port's TransportID (SPC-4 7.6.4.5: FORMAT
    /// CODE 00b, the INITIATOR PORT IDENTIFIER in bytes 8 to 23) to the
    /// start of `out` and returns its length.
    pub(crate) fn transport_id(&self, out: &mut [u8]) -> Result<usize, TransportIdError> {
        let mut id = [0; TRANSPORT_ID_MAX];
        id[0] = PROTOCOL_ID;
        for (to, from) in id.iter_mut().skip(8).zip(self.0) {
            *to = from;
        }
        out.get_mut(..TRANSPORT_ID_MAX)
            .ok_or(TransportIdError::BufferTooSmall)?
            .copy_from_slice(&id);
        Ok(TRANSPORT_ID_MAX)
    }
}

/// The port GID form, as ib_srpt names a port: `0x` and 32 hex digits.
impl fmt::Display for PortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// The value of a hex digit, in either case (as ib_srpt reads them).
fn hex_digit(c: u8) -> Result<u8, NameError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(NameError::NotHex),
    }
}
