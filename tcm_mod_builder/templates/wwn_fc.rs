// SPDX-License-Identifier: GPL-2.0

//! Fibre Channel port names and TransportIDs for {{ name }}.
//!
//! `core` only: no allocation, no kernel types, no panics on any input. The
//! module compiles this file, and a host test can compile it too (`#[path]`
//! from a test crate; tcm_mod_builder's tests do, on the generated copy).

use core::fmt;

/// The SCSI transport protocol of this fabric.
pub(crate) const PROTOCOL: &str = "FC";
/// Its PROTOCOL IDENTIFIER (SPC-4 7.6.1): Fibre Channel (FCP).
pub(crate) const PROTOCOL_ID: u8 = 0x0;
/// The port name forms this file accepts, for messages.
pub(crate) const FORMS: &str = "a WWPN: 8 lowercase hex bytes separated by colons \
    (21:00:00:24:ff:31:4c:48) or naa. and 16 lowercase hex digits (naa.21000024ff314c48)";
/// The longest TransportID of this protocol (its only length).
pub(crate) const TRANSPORT_ID_MAX: usize = 24;

/// A Fibre Channel port name (WWPN). Written as LIO's tcm_qla2xxx and
/// tcm_fc write it (`21:00:00:24:ff:31:4c:48`); also read in the `naa.`
/// form targetcli shows (`naa.21000024ff314c48`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PortName(pub(crate) u64);

/// Why a name is not a port name of this protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    /// Neither form: wrong length, prefix or separators.
    Form,
    /// An uppercase hex digit: each port has one name, in lowercase.
    Uppercase,
    /// A character that is not a hex digit.
    NotHex,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Form => "not a WWPN in either form",
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
        if let Some(digits) = name.strip_prefix(b"naa.") {
            if digits.len() != 16 {
                return Err(NameError::Form);
            }
            let mut wwpn = 0;
            for pair in digits.chunks(2) {
                wwpn = wwpn << 8 | u64::from(hex_byte(pair)?);
            }
            return Ok(Self(wwpn));
        }
        if name.len() != 23 {
            return Err(NameError::Form);
        }
        let mut wwpn = 0;
        for (i, group) in name.chunks(3).enumerate() {
            let pair = match group {
                [hi, lo, b':'] if i < 7 => [*hi, *lo],
                [hi, lo] if i == 7 => [*hi, *lo],
                _ => return Err(NameError::Form),
            };
            wwpn = wwpn << 8 | u64::from(hex_byte(&pair)?);
        }
        Ok(Self(wwpn))
    }

    /// Writes this initiator port's TransportID (SPC-4 7.6.4.2: FORMAT
    /// CODE 00b, the N_PORT_NAME in bytes 8 to 15) to the start of `out`
    /// and returns its length.
    pub(crate) fn transport_id(&self, out: &mut [u8]) -> Result<usize, TransportIdError> {
        let mut id = [0; TRANSPORT_ID_MAX];
        id[0] = PROTOCOL_ID;
        for (to, from) in id.iter_mut().skip(8).zip(self.0.to_be_bytes()) {
            *to = from;
        }
        out.get_mut(..TRANSPORT_ID_MAX)
            .ok_or(TransportIdError::BufferTooSmall)?
            .copy_from_slice(&id);
        Ok(TRANSPORT_ID_MAX)
    }
}

/// The colon form, as LIO's FC fabrics write a WWPN.
impl fmt::Display for PortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.to_be_bytes().iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// The value of two lowercase hex digits.
fn hex_byte(pair: &[u8]) -> Result<u8, NameError> {
    let mut value = 0;
    for &c in pair {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => return Err(NameError::Uppercase),
            _ => return Err(NameError::NotHex),
        };
        value = value << 4 | digit;
    }
    Ok(value)
}
