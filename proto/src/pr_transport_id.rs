// SPDX-License-Identifier: GPL-2.0

//! Initiator ports for persistent reservations: SCSI TransportIDs
//! (SPC-4 7.6.4) for Fibre Channel (0h), SRP (4h), iSCSI (5h) and SAS (6h),
//! and the initiator names LIO gives the same ports in configfs and in its
//! APTPL metadata (target_core_fabric_lib.c).
//!
//! An [`InitiatorPort`] is owned and fixed-size (no allocation): the binary
//! port name for FC, SRP and SAS, the iSCSI name (at most 223 bytes) and,
//! for iSCSI, the ISID of the session when the port is identified by one.
//!
//! Identity follows LIO: iSCSI names compare byte for byte (LIO `strcmp`s
//! the ACL name; RFC 3722 stringprep, done by the initiator, makes names
//! lower case), ISIDs compare as 48-bit values (LIO lower-cases the hex
//! digits of the TransportID before comparing them with the session's
//! `%6phN`), and a port registered without an ISID stands for every
//! session of that initiator name ([`InitiatorPort::covers`]).
//!
//! Compiled both in the kernel modules and on the host: `core` only, no
//! panics on any input.

use core::fmt;

/// The longest iSCSI name (RFC 7143: 223 bytes, LIO's TRANSPORT_IQN_LEN
/// less the NUL).
pub const MAX_ISCSI_NAME: usize = 223;

/// The ",i,0x" separator of an iSCSI initiator port TransportID.
const ISID_SEPARATOR: &[u8] = b",i,0x";

/// SCSI transport protocol identifiers (SPC-4 table 444) that have
/// TransportIDs here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Protocol {
    /// Fibre Channel (FCP).
    Fc = 0x0,
    /// SCSI RDMA Protocol.
    Srp = 0x4,
    /// iSCSI.
    Iscsi = 0x5,
    /// SAS Serial SCSI Protocol (also tcm_loop and vhost).
    Sas = 0x6,
}

impl Protocol {
    /// The protocol of a PROTOCOL IDENTIFIER value, `None` for the ones
    /// without a TransportID here (SPI, SSA, SBP, ADT, ATA, ...).
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0x0 => Some(Self::Fc),
            0x4 => Some(Self::Srp),
            0x5 => Some(Self::Iscsi),
            0x6 => Some(Self::Sas),
            _ => None,
        }
    }
}

/// Why a TransportID or an initiator name was refused. `byte` and `bit`
/// point at the bad field, counted from the start of the TransportID, for
/// the INVALID FIELD IN PARAMETER LIST field pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportIdError {
    pub byte: u16,
    pub bit: Option<u8>,
    pub reason: &'static str,
}

const fn tid_err(byte: u16, bit: Option<u8>, reason: &'static str) -> TransportIdError {
    TransportIdError { byte, bit, reason }
}

/// One SCSI initiator port, as a persistent reservation registration
/// names it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InitiatorPort {
    protocol: Protocol,
    /// FC: 8-byte N_Port_Name; SAS: 8-byte SAS address; SRP: 16-byte
    /// initiator port identifier; iSCSI: the name.
    id: [u8; MAX_ISCSI_NAME],
    len: u8,
    /// iSCSI only: the ISID of the initiator port.
    isid: Option<[u8; 6]>,
}

impl fmt::Debug for InitiatorPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InitiatorPort(")?;
        self.write_name(f)?;
        if let Some(isid) = self.isid {
            f.write_str(",i,0x")?;
            write_hex(f, &isid)?;
        }
        f.write_str(")")
    }
}

impl InitiatorPort {
    fn binary(protocol: Protocol, bytes: &[u8]) -> Self {
        let mut id = [0u8; MAX_ISCSI_NAME];
        let n = bytes.len().min(MAX_ISCSI_NAME);
        if let (Some(dst), Some(src)) = (id.get_mut(..n), bytes.get(..n)) {
            dst.copy_from_slice(src);
        }
        Self {
            protocol,
            id,
            len: n as u8,
            isid: None,
        }
    }

    /// A Fibre Channel port by its N_Port_Name.
    pub fn fc(wwpn: [u8; 8]) -> Self {
        Self::binary(Protocol::Fc, &wwpn)
    }

    /// A SAS port (also tcm_loop, vhost) by its SAS address.
    pub fn sas(address: [u8; 8]) -> Self {
        Self::binary(Protocol::Sas, &address)
    }

    /// An SRP port by its 16-byte initiator port identifier.
    pub fn srp(port_id: [u8; 16]) -> Self {
        Self::binary(Protocol::Srp, &port_id)
    }

    /// An iSCSI initiator: its name (1..=223 bytes, no NUL) and, for an
    /// initiator port rather than the whole initiator device, the ISID.
    pub fn iscsi(name: &[u8], isid: Option<[u8; 6]>) -> Result<Self, TransportIdError> {
        if name.is_empty() {
            return Err(tid_err(4, None, "empty iSCSI name"));
        }
        if name.len() > MAX_ISCSI_NAME {
            return Err(tid_err(4, None, "iSCSI name longer than 223 bytes"));
        }
        if name.contains(&0) {
            return Err(tid_err(4, None, "NUL in iSCSI name"));
        }
        let mut port = Self::binary(Protocol::Iscsi, name);
        port.isid = isid;
        Ok(port)
    }

    pub const fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The binary port name (FC, SAS, SRP) or the iSCSI name.
    pub fn name_bytes(&self) -> &[u8] {
        self.id.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The ISID (iSCSI initiator ports only).
    pub const fn isid(&self) -> Option<[u8; 6]> {
        self.isid
    }

    /// The same port without its ISID: the initiator device.
    pub const fn without_isid(mut self) -> Self {
        self.isid = None;
        self
    }

    /// Whether a registration made for `self` applies to the session
    /// port `session`: same protocol and name, and the same ISID unless
    /// `self` has none (LIO's __core_scsi3_locate_pr_reg).
    pub fn covers(&self, session: &InitiatorPort) -> bool {
        self.protocol == session.protocol
            && self.name_bytes() == session.name_bytes()
            && (self.isid.is_none() || self.isid == session.isid)
    }

    /// Whether `self` and `other` name the same initiator (device), ISIDs
    /// aside.
    pub fn same_initiator(&self, other: &InitiatorPort) -> bool {
        self.protocol == other.protocol && self.name_bytes() == other.name_bytes()
    }

    /// Writes the initiator name as LIO's ACL for the port is named:
    /// FC `21:00:00:24:ff:31:4c:48`, SAS `naa.5001405ab0c1d2e3`, SRP
    /// `0x` and 32 hex digits, iSCSI the name itself (shown lossily if
    /// it is not UTF-8).
    pub fn write_name<W: fmt::Write + ?Sized>(&self, w: &mut W) -> fmt::Result {
        let bytes = self.name_bytes();
        match self.protocol {
            Protocol::Fc => {
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        w.write_char(':')?;
                    }
                    write_hex(w, core::slice::from_ref(b))?;
                }
                Ok(())
            }
            Protocol::Sas => {
                w.write_str("naa.")?;
                write_hex(w, bytes)
            }
            Protocol::Srp => {
                w.write_str("0x")?;
                write_hex(w, bytes)
            }
            Protocol::Iscsi => write_lossy(w, bytes),
        }
    }

    /// Writes the ISID as LIO stores it (`%6phN`: 12 lower-case hex
    /// digits); nothing without one.
    pub fn write_isid<W: fmt::Write + ?Sized>(&self, w: &mut W) -> fmt::Result {
        match self.isid {
            Some(isid) => write_hex(w, &isid),
            None => Ok(()),
        }
    }

    /// The port of an ACL name as LIO writes it (the inverse of
    /// [`InitiatorPort::write_name`]), with the ISID as LIO's
    /// `initiator_sid` (12 hex digits) for iSCSI.
    ///
    /// FC accepts 16 hex digits with or without colons; SAS `naa.` and
    /// 16 hex digits; SRP an optional `0x` and up to 32 hex digits (an
    /// even number; shorter values are padded with leading zero bytes, as
    /// LIO's srp_get_pr_transport_id).
    pub fn from_acl_name(
        protocol: Protocol,
        name: &[u8],
        isid: Option<&[u8]>,
    ) -> Result<Self, TransportIdError> {
        if isid.is_some() && protocol != Protocol::Iscsi {
            return Err(tid_err(0, None, "an ISID is only meaningful for iSCSI"));
        }
        match protocol {
            Protocol::Fc => {
                let mut wwpn = [0u8; 8];
                let digits = name.iter().filter(|&&c| c != b':');
                if !hex_to_bytes(digits, &mut wwpn) {
                    return Err(tid_err(8, None, "FC name is not 16 hex digits"));
                }
                Ok(Self::fc(wwpn))
            }
            Protocol::Sas => {
                let Some(rest) = strip_prefix_ci(name, b"naa.") else {
                    return Err(tid_err(4, None, "SAS name lacks the naa. prefix"));
                };
                let mut addr = [0u8; 8];
                if !hex_to_bytes(rest.iter(), &mut addr) {
                    return Err(tid_err(4, None, "SAS name is not naa. and 16 hex digits"));
                }
                Ok(Self::sas(addr))
            }
            Protocol::Srp => {
                let rest = strip_prefix_ci(name, b"0x").unwrap_or(name);
                if rest.is_empty() || rest.len() % 2 != 0 || rest.len() > 32 {
                    return Err(tid_err(8, None, "SRP name is not 2 to 32 hex digits"));
                }
                let mut id = [0u8; 16];
                let skip = 16 - rest.len() / 2;
                let Some(tail) = id.get_mut(skip..) else {
                    return Err(tid_err(8, None, "SRP name too long"));
                };
                if !hex_to_bytes(rest.iter(), tail) {
                    return Err(tid_err(8, None, "SRP name is not hex digits"));
                }
                Ok(Self::srp(id))
            }
            Protocol::Iscsi => {
                let isid = match isid {
                    None => None,
                    Some(text) => Some(parse_isid(text).ok_or(tid_err(
                        0,
                        None,
                        "ISID is not 12 hex digits",
                    ))?),
                };
                Self::iscsi(name, isid)
            }
        }
    }

    /// The length of this port's TransportID.
    pub fn transport_id_len(&self) -> usize {
        match self.protocol {
            Protocol::Fc | Protocol::Srp | Protocol::Sas => 24,
            Protocol::Iscsi => 4 + self.iscsi_additional_len(),
        }
    }

    /// ADDITIONAL LENGTH of the iSCSI TransportID: the name, the
    /// separator and ISID when there is one, the NUL, padded to a multiple
    /// of 4 and to at least 20 (SPC-4 7.6.4.6; LIO pads only to 4).
    fn iscsi_additional_len(&self) -> usize {
        let mut n = usize::from(self.len) + 1;
        if self.isid.is_some() {
            n += ISID_SEPARATOR.len() + 12;
        }
        n.next_multiple_of(4).max(20)
    }

    /// Writes the TransportID (format 00b, or 01b for an iSCSI port with
    /// an ISID, as LIO's target_get_pr_transport_id) into `out`, at most
    /// `out.len()` bytes, and returns its full length.
    pub fn encode_transport_id(&self, out: &mut [u8]) -> usize {
        let mut w = Out::new(out);
        let name = self.name_bytes();
        match self.protocol {
            Protocol::Fc => {
                let mut d = [0u8; 24];
                d[0] = Protocol::Fc as u8;
                copy_into(&mut d, 8, name);
                w.put(&d);
            }
            Protocol::Sas => {
                let mut d = [0u8; 24];
                d[0] = Protocol::Sas as u8;
                copy_into(&mut d, 4, name);
                w.put(&d);
            }
            Protocol::Srp => {
                let mut d = [0u8; 24];
                d[0] = Protocol::Srp as u8;
                copy_into(&mut d, 8, name);
                w.put(&d);
            }
            Protocol::Iscsi => {
                let add = self.iscsi_additional_len();
                let format = if self.isid.is_some() { 0x40 } else { 0x00 };
                w.put(&[format | Protocol::Iscsi as u8, 0]);
                w.put(&(add as u16).to_be_bytes());
                w.put(name);
                let mut used = name.len();
                if let Some(isid) = self.isid {
                    w.put(ISID_SEPARATOR);
                    let mut hex = [0u8; 12];
                    hex_encode(&isid, &mut hex);
                    w.put(&hex);
                    used += ISID_SEPARATOR.len() + hex.len();
                }
                w.zeros(add.saturating_sub(used));
            }
        }
        w.len()
    }
}

/// Parses the TransportID at the start of `buf` (SPEC_I_PT list entry or
/// REGISTER AND MOVE destination) and returns the port and the
/// TransportID's length.
///
/// Checked: the protocol identifier is one of FC, SRP, iSCSI, SAS; the
/// format code is 00b (01b allowed for iSCSI); FC, SRP and SAS
/// TransportIDs are 24 bytes; the iSCSI ADDITIONAL LENGTH is at least 20,
/// a multiple of 4 and within `buf`; the iSCSI name is 1..=223 bytes and
/// terminated by a NUL (00b) or followed by ",i,0x" and an ISID of 12 hex
/// digits (01b). Reserved bytes are ignored, as LIO.
pub fn parse_transport_id(buf: &[u8]) -> Result<(InitiatorPort, usize), TransportIdError> {
    let Some(&b0) = buf.first() else {
        return Err(tid_err(0, None, "TransportID missing"));
    };
    let Some(protocol) = Protocol::from_u8(b0 & 0x0f) else {
        return Err(tid_err(0, Some(3), "unsupported PROTOCOL IDENTIFIER"));
    };
    let format = b0 >> 6;
    if protocol != Protocol::Iscsi {
        if format != 0 {
            return Err(tid_err(0, Some(7), "reserved FORMAT CODE"));
        }
        let Some(d) = buf.get(..24) else {
            return Err(tid_err(0, None, "TransportID shorter than 24 bytes"));
        };
        let port = match protocol {
            Protocol::Fc => InitiatorPort::binary(protocol, d.get(8..16).unwrap_or(&[])),
            Protocol::Sas => InitiatorPort::binary(protocol, d.get(4..12).unwrap_or(&[])),
            _ => InitiatorPort::binary(protocol, d.get(8..24).unwrap_or(&[])),
        };
        return Ok((port, 24));
    }
    if format > 1 {
        return Err(tid_err(0, Some(7), "reserved iSCSI FORMAT CODE"));
    }
    let Some(&[hi, lo]) = buf.get(2..4) else {
        return Err(tid_err(0, None, "iSCSI TransportID header truncated"));
    };
    let add = usize::from(u16::from_be_bytes([hi, lo]));
    if add < 20 || add % 4 != 0 {
        return Err(tid_err(
            2,
            None,
            "iSCSI ADDITIONAL LENGTH not a multiple of 4 of at least 20",
        ));
    }
    let total = add + 4;
    let Some(body) = buf.get(4..total) else {
        return Err(tid_err(
            2,
            None,
            "iSCSI TransportID runs past the parameter data",
        ));
    };
    // The first NUL ends the name (00b) or the ISID (01b).
    let text = match body.iter().position(|&c| c == 0) {
        Some(end) => body.get(..end).unwrap_or(&[]),
        None if format == 0 => {
            return Err(tid_err(4, None, "iSCSI name not NUL-terminated"));
        }
        None => body,
    };
    let port = if format == 0 {
        InitiatorPort::iscsi(text, None)?
    } else {
        let Some(sep) = find(text, ISID_SEPARATOR) else {
            return Err(tid_err(
                4,
                None,
                "no \",i,0x\" separator in iSCSI port TransportID",
            ));
        };
        let name = text.get(..sep).unwrap_or(&[]);
        let isid_text = text.get(sep + ISID_SEPARATOR.len()..).unwrap_or(&[]);
        let at = (4 + sep + ISID_SEPARATOR.len()) as u16;
        let isid = parse_isid(isid_text).ok_or(tid_err(at, None, "ISID is not 12 hex digits"))?;
        InitiatorPort::iscsi(name, Some(isid))?
    };
    Ok((port, total))
}

/// 12 hex digits (either case) to the 6-byte ISID.
fn parse_isid(text: &[u8]) -> Option<[u8; 6]> {
    let mut isid = [0u8; 6];
    hex_to_bytes(text.iter(), &mut isid).then_some(isid)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn strip_prefix_ci<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, rest) = s.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Fills `out` from exactly `2 * out.len()` hex digits.
fn hex_to_bytes<'a>(mut digits: impl Iterator<Item = &'a u8>, out: &mut [u8]) -> bool {
    for o in out.iter_mut() {
        let (Some(&h), Some(&l)) = (digits.next(), digits.next()) else {
            return false;
        };
        let (Some(h), Some(l)) = (hex_value(h), hex_value(l)) else {
            return false;
        };
        *o = h << 4 | l;
    }
    digits.next().is_none()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_encode(bytes: &[u8], out: &mut [u8]) {
    for (pair, b) in out.chunks_mut(2).zip(bytes) {
        if let [h, l] = pair {
            *h = HEX[usize::from(b >> 4)];
            *l = HEX[usize::from(b & 0xf)];
        }
    }
}

/// Lower-case hex digits of `bytes`.
pub(crate) fn write_hex<W: fmt::Write + ?Sized>(w: &mut W, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        w.write_char(char::from(HEX[usize::from(b >> 4)]))?;
        w.write_char(char::from(HEX[usize::from(b & 0xf)]))?;
    }
    Ok(())
}

/// `bytes` as text, invalid UTF-8 replaced by U+FFFD.
pub(crate) fn write_lossy<W: fmt::Write + ?Sized>(w: &mut W, mut bytes: &[u8]) -> fmt::Result {
    loop {
        match core::str::from_utf8(bytes) {
            Ok(s) => return w.write_str(s),
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                w.write_str(core::str::from_utf8(good).unwrap_or(""))?;
                w.write_char(char::REPLACEMENT_CHARACTER)?;
                let skip = e.error_len().unwrap_or(rest.len());
                bytes = rest.get(skip..).unwrap_or(&[]);
            }
        }
    }
}

fn copy_into(d: &mut [u8], at: usize, src: &[u8]) {
    if let Some(dst) = d.get_mut(at..).and_then(|t| t.get_mut(..src.len())) {
        dst.copy_from_slice(src);
    }
}

/// A writer into a caller's buffer that keeps counting past its end: it
/// writes what fits and [`Out::len`] is the full length.
#[derive(Debug)]
pub(crate) struct Out<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Out<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) {
        if let Some(rest) = self.buf.get_mut(self.pos..) {
            for (o, b) in rest.iter_mut().zip(bytes) {
                *o = *b;
            }
        }
        self.pos = self.pos.saturating_add(bytes.len());
    }

    pub(crate) fn zeros(&mut self, n: usize) {
        if let Some(rest) = self.buf.get_mut(self.pos..) {
            for o in rest.iter_mut().take(n) {
                *o = 0;
            }
        }
        self.pos = self.pos.saturating_add(n);
    }

    /// The unwritten tail of the buffer at the current position.
    pub(crate) fn tail(&mut self) -> &mut [u8] {
        let at = self.pos.min(self.buf.len());
        self.buf.get_mut(at..).unwrap_or(&mut [])
    }

    /// Advances by `n` bytes that were written through [`Out::tail`].
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    pub(crate) fn len(&self) -> usize {
        self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec;
    use std::vec::Vec;

    fn name(p: &InitiatorPort) -> String {
        let mut s = String::new();
        p.write_name(&mut s).unwrap();
        s
    }

    fn encode(p: &InitiatorPort) -> Vec<u8> {
        let mut v = vec![0xaa; p.transport_id_len()];
        assert_eq!(p.encode_transport_id(&mut v), v.len());
        v
    }

    fn iscsi_tid(format: u8, text: &[u8], add: u16) -> Vec<u8> {
        let mut v = vec![format << 6 | 5, 0];
        v.extend_from_slice(&add.to_be_bytes());
        v.extend_from_slice(text);
        v.resize(4 + usize::from(add), 0);
        v
    }

    #[test]
    fn fc_round_trip_and_name() {
        let p = InitiatorPort::fc([0x21, 0, 0, 0x24, 0xff, 0x31, 0x4c, 0x48]);
        let t = encode(&p);
        assert_eq!(t.len(), 24);
        assert_eq!(t[0], 0);
        assert_eq!(&t[8..16], &[0x21, 0, 0, 0x24, 0xff, 0x31, 0x4c, 0x48]);
        assert_eq!(parse_transport_id(&t).unwrap(), (p, 24));
        assert_eq!(name(&p), "21:00:00:24:ff:31:4c:48");
        let q = InitiatorPort::from_acl_name(Protocol::Fc, b"21:00:00:24:FF:31:4c:48", None);
        assert_eq!(q.unwrap(), p);
        let q = InitiatorPort::from_acl_name(Protocol::Fc, b"21000024ff314c48", None);
        assert_eq!(q.unwrap(), p);
        assert!(InitiatorPort::from_acl_name(Protocol::Fc, b"21:00", None).is_err());
        assert!(InitiatorPort::from_acl_name(Protocol::Fc, b"21000024ff314c4800", None).is_err());
    }

    #[test]
    fn sas_round_trip_and_name() {
        let p = InitiatorPort::sas([0x50, 0x01, 0x40, 0x5a, 0xb0, 0xc1, 0xd2, 0xe3]);
        let t = encode(&p);
        assert_eq!(t[0], 6);
        assert_eq!(&t[4..12], &[0x50, 0x01, 0x40, 0x5a, 0xb0, 0xc1, 0xd2, 0xe3]);
        assert_eq!(parse_transport_id(&t).unwrap(), (p, 24));
        assert_eq!(name(&p), "naa.5001405ab0c1d2e3");
        assert_eq!(
            InitiatorPort::from_acl_name(Protocol::Sas, b"naa.5001405AB0C1D2E3", None).unwrap(),
            p
        );
        assert!(InitiatorPort::from_acl_name(Protocol::Sas, b"5001405ab0c1d2e3", None).is_err());
        assert!(InitiatorPort::from_acl_name(Protocol::Sas, b"naa.5001", None).is_err());
    }

    #[test]
    fn srp_round_trip_and_name() {
        let mut id = [0u8; 16];
        id[8..].copy_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 1]);
        let p = InitiatorPort::srp(id);
        let t = encode(&p);
        assert_eq!(t[0], 4);
        assert_eq!(&t[8..24], &id);
        assert_eq!(parse_transport_id(&t).unwrap(), (p, 24));
        assert_eq!(name(&p), "0x0000000000000000fe80000000000001");
        // Short names get leading zero bytes, as LIO.
        let q = InitiatorPort::from_acl_name(Protocol::Srp, b"0xfe80000000000001", None);
        assert_eq!(q.unwrap(), p);
        assert!(InitiatorPort::from_acl_name(Protocol::Srp, b"0xabc", None).is_err());
        assert!(InitiatorPort::from_acl_name(Protocol::Srp, &[b'1'; 34], None).is_err());
    }

    #[test]
    fn iscsi_device_transport_id() {
        let p = InitiatorPort::iscsi(b"iqn.1994-05.com.redhat:client", None).unwrap();
        let t = encode(&p);
        // 29 name bytes + NUL = 30, padded to 32.
        assert_eq!(t.len(), 36);
        assert_eq!(&t[..4], &[0x05, 0, 0, 32]);
        assert_eq!(&t[4..33], b"iqn.1994-05.com.redhat:client");
        assert!(t[33..].iter().all(|&b| b == 0));
        assert_eq!(parse_transport_id(&t).unwrap(), (p, 36));
        // Short names are padded to the minimum ADDITIONAL LENGTH of 20.
        let short = InitiatorPort::iscsi(b"iqn.a", None).unwrap();
        assert_eq!(encode(&short).len(), 24);
        assert_eq!(parse_transport_id(&encode(&short)).unwrap().0, short);
    }

    #[test]
    fn iscsi_port_transport_id() {
        let p = InitiatorPort::iscsi(b"iqn.x", Some([0x23, 0xd0, 0, 0, 0, 1])).unwrap();
        let t = encode(&p);
        // 5 + 5 + 12 + 1 = 23, padded to 24.
        assert_eq!(&t[..4], &[0x45, 0, 0, 24]);
        assert_eq!(&t[4..26], b"iqn.x,i,0x23d000000001");
        assert_eq!(t[26..], [0, 0]);
        assert_eq!(parse_transport_id(&t).unwrap(), (p, 28));
        // Upper-case ISID digits are the same ISID (LIO lower-cases them).
        let u = iscsi_tid(1, b"iqn.x,i,0x23D000000001", 24);
        assert_eq!(parse_transport_id(&u).unwrap().0, p);
        // Without NUL the ISID runs to the end of the TransportID.
        let n = iscsi_tid(1, b"iqn.xyzabc,i,0x23d000000001", 28);
        let (q, len) = parse_transport_id(&n[..]).unwrap();
        assert_eq!(len, 32);
        assert_eq!(q.name_bytes(), b"iqn.xyzabc");
    }

    #[test]
    fn iscsi_malformed() {
        let bad: &[(&[u8], u16)] = &[
            (&[0x05, 0, 0], 0),                                // truncated header
            (&iscsi_tid(0, b"iqn.x", 16), 2),                  // below 20
            (&iscsi_tid(0, b"iqn.x", 21)[..], 2),              // not a multiple of 4
            (&iscsi_tid(0, b"iqn.x", 24)[..20], 2),            // past the data
            (&iscsi_tid(0, &[b'a'; 24], 24), 4),               // no NUL
            (&iscsi_tid(0, b"", 20), 4),                       // empty name
            (&iscsi_tid(1, b"iqn.x", 20), 4),                  // no separator
            (&iscsi_tid(1, b"iqn.x,i,0x", 20), 14),            // no ISID
            (&iscsi_tid(1, b"iqn.x,i,0x23d00000000", 20), 14), // 11 digits
            (&iscsi_tid(1, b"iqn.x,i,0x23d0000000zz", 20), 14),
            (&iscsi_tid(1, b",i,0x23d000000001", 20), 4), // empty name
            (&iscsi_tid(2, b"iqn.x", 20), 0),             // format 10b
        ];
        for (t, byte) in bad {
            let e = parse_transport_id(t).unwrap_err();
            assert_eq!(e.byte, *byte, "{t:?}: {e:?}");
        }
        // A 224-byte name is too long, a 223-byte one fits.
        let long = iscsi_tid(0, &[b'a'; 224], 228);
        assert!(parse_transport_id(&long).is_err());
        let ok = iscsi_tid(0, &[b'a'; 223], 224);
        assert_eq!(parse_transport_id(&ok).unwrap().0.name_bytes().len(), 223);
        let p = parse_transport_id(&ok).unwrap().0;
        assert_eq!(encode(&p), ok);
    }

    #[test]
    fn fixed_malformed() {
        assert_eq!(parse_transport_id(&[]).unwrap_err().byte, 0);
        assert!(parse_transport_id(&[0u8; 23]).is_err());
        let mut t = [0u8; 24];
        t[0] = 0x40; // FC with format 01b
        assert_eq!(parse_transport_id(&t).unwrap_err().bit, Some(7));
        t[0] = 0x03; // SBP: not supported
        assert_eq!(parse_transport_id(&t).unwrap_err().bit, Some(3));
        t[0] = 0x01; // SPI
        assert!(parse_transport_id(&t).is_err());
    }

    #[test]
    fn covers_and_identity() {
        let dev = InitiatorPort::iscsi(b"iqn.x", None).unwrap();
        let s1 = InitiatorPort::iscsi(b"iqn.x", Some([0, 0, 0, 0, 0, 1])).unwrap();
        let s2 = InitiatorPort::iscsi(b"iqn.x", Some([0, 0, 0, 0, 0, 2])).unwrap();
        let other = InitiatorPort::iscsi(b"IQN.X", Some([0, 0, 0, 0, 0, 1])).unwrap();
        assert!(dev.covers(&s1) && dev.covers(&s2) && dev.covers(&dev));
        assert!(s1.covers(&s1) && !s1.covers(&s2) && !s1.covers(&dev));
        // Names compare byte for byte, as LIO's strcmp.
        assert!(!s1.covers(&other) && !dev.covers(&other));
        assert!(s1.same_initiator(&s2) && s1.without_isid() == dev);
        let sas = InitiatorPort::sas([1; 8]);
        assert!(!sas.covers(&InitiatorPort::fc([1; 8])));
    }

    #[test]
    fn iscsi_acl_name_and_isid() {
        let p = InitiatorPort::from_acl_name(Protocol::Iscsi, b"iqn.x", Some(b"23d000000001"));
        let p = p.unwrap();
        assert_eq!(p.isid(), Some([0x23, 0xd0, 0, 0, 0, 1]));
        let mut s = String::new();
        p.write_isid(&mut s).unwrap();
        assert_eq!(s, "23d000000001");
        assert!(InitiatorPort::from_acl_name(Protocol::Iscsi, b"iqn.x", Some(b"23d0")).is_err());
        assert!(
            InitiatorPort::from_acl_name(Protocol::Sas, b"naa.0000000000000001", Some(b"1"))
                .is_err()
        );
        assert!(InitiatorPort::from_acl_name(Protocol::Iscsi, b"", None).is_err());
        assert!(InitiatorPort::from_acl_name(Protocol::Iscsi, &[b'a'; 224], None).is_err());
    }

    #[test]
    fn truncated_encoding_reports_full_length() {
        let p = InitiatorPort::iscsi(b"iqn.x", Some([1; 6])).unwrap();
        let mut short = [0u8; 5];
        assert_eq!(p.encode_transport_id(&mut short), 28);
        assert_eq!(short, [0x45, 0, 0, 24, b'i']);
    }

    #[test]
    fn lossy_names() {
        let p = InitiatorPort::iscsi(b"iqn.\xff\xfex", None).unwrap();
        assert_eq!(name(&p), "iqn.\u{fffd}\u{fffd}x");
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            if let Ok((p, len)) = parse_transport_id(&data) {
                proptest::prop_assert!(len <= data.len());
                // What parses re-encodes to something that parses to the same port.
                let mut v = vec![0u8; p.transport_id_len()];
                p.encode_transport_id(&mut v);
                proptest::prop_assert_eq!(parse_transport_id(&v).unwrap(), (p, v.len()));
            }
        }

        #[test]
        fn iscsi_round_trip(name in "[a-z0-9.:-]{1,223}", isid in proptest::option::of(proptest::array::uniform6(0u8..))) {
            let p = InitiatorPort::iscsi(name.as_bytes(), isid).unwrap();
            let mut v = vec![0u8; p.transport_id_len()];
            p.encode_transport_id(&mut v);
            proptest::prop_assert_eq!(v.len() % 4, 0);
            proptest::prop_assert!(v.len() >= 24);
            proptest::prop_assert_eq!(parse_transport_id(&v).unwrap(), (p, v.len()));
            let mut s = String::new();
            p.write_name(&mut s).unwrap();
            let mut i = String::new();
            p.write_isid(&mut i).unwrap();
            let back = InitiatorPort::from_acl_name(
                Protocol::Iscsi, s.as_bytes(), isid.map(|_| i.as_bytes())).unwrap();
            proptest::prop_assert_eq!(back, p);
        }

        #[test]
        fn fixed_round_trip(proto in 0usize..3, bytes in proptest::array::uniform16(0u8..)) {
            let (p, protocol) = match proto {
                0 => (InitiatorPort::fc(bytes[..8].try_into().unwrap()), Protocol::Fc),
                1 => (InitiatorPort::sas(bytes[..8].try_into().unwrap()), Protocol::Sas),
                _ => (InitiatorPort::srp(bytes), Protocol::Srp),
            };
            let mut v = [0u8; 24];
            p.encode_transport_id(&mut v);
            proptest::prop_assert_eq!(parse_transport_id(&v).unwrap(), (p, 24));
            let mut s = String::new();
            p.write_name(&mut s).unwrap();
            proptest::prop_assert_eq!(
                InitiatorPort::from_acl_name(protocol, s.as_bytes(), None).unwrap(), p);
        }
    }
}
