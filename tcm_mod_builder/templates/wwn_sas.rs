// SPDX-License-Identifier: GPL-2.0

//! SAS port names and TransportIDs for {{ name }}.
//!
//! `core` only: no allocation, no kernel types, no panics on any input. The
//! module compiles this file, and a host test can compile it too (`#[path]`
//! from a test crate; tcm_mod_builder's tests do, on the generated copy).

use core::fmt;

/// The SCSI transport protocol of this fabric.
pub(crate) const PROTOCOL: &str = "SAS";
/// Its PROTOCOL IDENTIFIER (SPC-4 7.6.1): SAS Serial SCSI Protocol.
pub(crate) const PROTOCOL_ID: u8 = 0x6;
/// The port name forms this file accepts, for messages.
pub(crate) const FORMS: &str =
    "a SAS address: naa. and 16 lowercase hex digits (naa.5001405000000001)";
/// The longest TransportID of this protocol (its only length).
pub(crate) const TRANSPORT_ID_MAX: usize = 24;

/// A SAS address, written `naa.` and 16 lowercase hex digits as in LIO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PortName(pub(crate) u64);

/// Why a name is not a port name of this protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    /// No `naa.` prefix, or not 16 digits after it.
    Form,
    /// An uppercase hex digit: each port has one name, in lowercase.
    Uppercase,
    /// A character that is not a hex digit.
    NotHex,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Form => "not naa. followed by 16 hex digits",
            Self::Uppercase => "write the hex digits in lowercase",
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
        let digits = name.strip_prefix(b"naa.").ok_or(NameError::Form)?;
        if digits.len() != 16 {
            return Err(NameError::Form);
        }
        let mut address = 0;
        for &c in digits {
            let digit = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => return Err(NameError::Uppercase),
                _ => return Err(NameError::NotHex),
            };
            address = address << 4 | u64::from(digit);
        }
        Ok(Self(address))
    }

    /// Writes this initiator port's TransportID (SPC-4 7.6.4.7: FORMAT
    /// CODE 00b, the SAS ADDRESS in bytes 4 to 11) to the start of `out`
    /// and returns its length.
    pub(crate) fn transport_id(&self, out: &mut [u8]) -> Result<usize, TransportIdError> {
        let mut id = [0; TRANSPORT_ID_MAX];
        id[0] = PROTOCOL_ID;
        for (to, from) in id.iter_mut().skip(4).zip(self.0.to_be_bytes()) {
            *to = from;
        }
        out.get_mut(..TRANSPORT_ID_MAX)
            .ok_or(TransportIdError::BufferTooSmall)?
            .copy_from_slice(&id);
        Ok(TRANSPORT_ID_MAX)
    }
}

impl fmt::Display for PortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "naa.{:016x}", self.0)
    }
}
