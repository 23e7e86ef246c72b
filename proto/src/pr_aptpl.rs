// SPDX-License-Identifier: GPL-2.0

//! LIO's persistent reservation text: the APTPL metadata file
//! (`<dbroot>/pr/aptpl_<unit serial>`), the `res_aptpl_metadata` line that
//! restores one registration, and the read-only `pr/` configfs attributes.
//!
//! The file is what LIO's core_scsi3_update_aptpl_buf writes: one block
//! per registration,
//!
//! ```text
//! PR_REG_START: 0
//! initiator_fabric=iSCSI
//! initiator_node=iqn.1994-05.com.redhat:client
//! initiator_sid=23d000000001
//! sa_res_key=1311768467294899695
//! res_holder=1
//! res_type=05
//! res_scope=00
//! res_all_tg_pt=0
//! mapped_lun=0
//! target_fabric=iSCSI
//! target_node=iqn.2003-01.org.linux-iscsi.host:target
//! tpgt=1
//! port_rtpi=1
//! target_lun=0
//! PR_REG_END: 0
//! ```
//!
//! (`initiator_sid` only with an ISID; `res_type` and `res_scope` only for
//! the holder), or "No Registrations or Reservations" without newline when
//! there are none, and "No Registrations or Reservations\n" when APTPL is
//! turned off. LIO writes the text and one NUL byte after it
//! (`strlen + 1`); the kernel should do the same.
//!
//! rtslib restores it by joining each block's lines with commas and
//! writing them to `res_aptpl_metadata`; [`parse_metadata`] reads such a
//! line (or a block with newlines) and [`FileRecords`] walks a file.
//!
//! Compiled both in the kernel modules and on the host: `core` only, no
//! panics on any input. Needs siblings `pr`, `pr_transport_id`, `text`.

use core::fmt::{self, Write};

use crate::pr::{PrState, PrType, Registration, RegistrationStore};
use crate::pr_transport_id::{write_lossy, InitiatorPort, Protocol};
use crate::text;

/// LIO's PR_APTPL_MAX_IPORT_LEN / PR_APTPL_MAX_TPORT_LEN.
pub const MAX_PORT_LEN: usize = 256;
/// LIO's PR_REG_ISID_LEN.
pub const MAX_ISID_LEN: usize = 16;

/// The file's text with no registrations while APTPL is on.
pub const FILE_EMPTY: &str = "No Registrations or Reservations";
/// The file's text when APTPL is turned off ([`crate::pr::AptplUpdate::Clear`]).
pub const FILE_CLEARED: &str = "No Registrations or Reservations\n";

/// What the device knows about the ports of a registration, for the text
/// LIO writes about it.
pub trait PortText {
    /// The fabric module's name for target port `rtpi` (`iSCSI`,
    /// `loopback`, `qla2xxx`, ...): LIO's `tfo->fabric_name`.
    fn fabric_name(&self, rtpi: u16) -> &str;
    /// The target port's WWN (`tpg_get_wwn`).
    fn target_node(&self, rtpi: u16) -> &str;
    /// The target portal group tag (`tpg_get_tag`).
    fn tpgt(&self, rtpi: u16) -> u16;
    /// The LUN of this device in that target portal group.
    fn target_lun(&self, rtpi: u16) -> u64;
    /// The LUN the registration's initiator sees the device as.
    fn mapped_lun(&self, reg: &Registration) -> u64;
}

/// The registration LIO would call the holder (`dev_pr_res_holder`): the
/// holder, or for an all registrants reservation the first registrant.
pub fn display_holder<S: RegistrationStore>(state: &PrState<S>) -> Option<(PrType, &Registration)> {
    let (t, holder) = state.reservation()?;
    let reg = holder.or_else(|| state.registrations().next())?;
    Some((t, reg))
}

/// Writes the APTPL file text for `state` (LIO's
/// core_scsi3_update_aptpl_buf), without the trailing NUL.
pub fn write_file<S: RegistrationStore, T: PortText, W: Write + ?Sized>(
    state: &PrState<S>,
    ports: &T,
    w: &mut W,
) -> fmt::Result {
    let holder = display_holder(state);
    let mut n = 0usize;
    for reg in state.registrations() {
        write!(
            w,
            "PR_REG_START: {n}\ninitiator_fabric={}\ninitiator_node=",
            ports.fabric_name(reg.rtpi)
        )?;
        reg.initiator.write_name(w)?;
        w.write_char('\n')?;
        if reg.initiator.isid().is_some() {
            w.write_str("initiator_sid=")?;
            reg.initiator.write_isid(w)?;
            w.write_char('\n')?;
        }
        writeln!(w, "sa_res_key={}", reg.key)?;
        match holder {
            Some((t, h)) if core::ptr::eq(h, reg) => write!(
                w,
                "res_holder=1\nres_type={:02x}\nres_scope={:02x}\n",
                t as u8, 0
            )?,
            _ => w.write_str("res_holder=0\n")?,
        }
        write!(
            w,
            "res_all_tg_pt={}\nmapped_lun={}\n",
            u8::from(reg.all_tg_pt),
            ports.mapped_lun(reg)
        )?;
        write!(
            w,
            "target_fabric={}\ntarget_node={}\ntpgt={}\nport_rtpi={}\ntarget_lun={}\nPR_REG_END: {n}\n",
            ports.fabric_name(reg.rtpi),
            ports.target_node(reg.rtpi),
            ports.tpgt(reg.rtpi),
            reg.rtpi,
            ports.target_lun(reg.rtpi),
        )?;
        n += 1;
    }
    if n == 0 {
        w.write_str(FILE_EMPTY)?;
    }
    Ok(())
}

/// Why a `res_aptpl_metadata` line or APTPL file was refused (EINVAL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AptplError {
    /// A number that does not parse, or is out of range, for this key.
    BadNumber(&'static str),
    /// A string value that is empty or too long for this key.
    BadValue(&'static str),
    /// `initiator_node`, `target_node` or a non-zero `sa_res_key` is
    /// missing (LIO: "Illegal parameters for APTPL registration").
    Missing(&'static str),
    /// `res_type` is not a persistent reservation type.
    BadType,
    /// `res_holder` without a `res_type`.
    HolderWithoutType,
    /// A `PR_REG_START:` block of the file has no `PR_REG_END:`.
    UnterminatedBlock,
    /// The initiator name (and ISID) do not make a port of the protocol.
    BadInitiator(&'static str),
}

/// One registration restored from `res_aptpl_metadata` (values borrow
/// from the input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AptplRecord<'a> {
    pub initiator_fabric: Option<&'a [u8]>,
    pub initiator_node: &'a [u8],
    /// The ISID text (12 hex digits as LIO writes it).
    pub initiator_sid: Option<&'a [u8]>,
    pub sa_res_key: u64,
    pub res_holder: bool,
    pub res_type: Option<PrType>,
    pub res_all_tg_pt: bool,
    pub mapped_lun: u64,
    pub target_fabric: Option<&'a [u8]>,
    pub target_node: &'a [u8],
    pub tpgt: u16,
    /// The RTPI the registration had (LIO parses and ignores it).
    pub port_rtpi: Option<u16>,
    pub target_lun: u64,
}

impl AptplRecord<'_> {
    /// Whether this record belongs to the LUN mapping of initiator
    /// `initiator_node` (the ACL name) through `target_node`/`tpgt`, as
    /// LIO's __core_scsi3_check_aptpl_registration matches them.
    pub fn matches_mapping(
        &self,
        initiator_node: &[u8],
        mapped_lun: u64,
        target_node: &[u8],
        tpgt: u16,
        target_lun: u64,
    ) -> bool {
        self.initiator_node == initiator_node
            && self.mapped_lun == mapped_lun
            && self.target_node == target_node
            && self.tpgt == tpgt
            && self.target_lun == target_lun
    }

    /// The registration to restore through target port `rtpi` of
    /// protocol `protocol`, and the reservation it holds; for
    /// [`PrState::restore`].
    pub fn registration(
        &self,
        protocol: Protocol,
        rtpi: u16,
    ) -> Result<(Registration, Option<PrType>), AptplError> {
        let port = InitiatorPort::from_acl_name(protocol, self.initiator_node, self.initiator_sid)
            .map_err(|e| AptplError::BadInitiator(e.reason))?;
        let mut reg = Registration::new(port, rtpi, self.sa_res_key);
        reg.all_tg_pt = self.res_all_tg_pt;
        reg.aptpl = true;
        let holds = if self.res_holder { self.res_type } else { None };
        Ok((reg, holds))
    }
}

/// `%d` as LIO's match_int reads it: base 0 (`0x` hex, leading `0`
/// octal), an optional sign, the whole value, within `int`.
fn parse_int(v: &[u8], key: &'static str) -> Result<i32, AptplError> {
    text::parse_i32(v).map_err(|_| AptplError::BadNumber(key))
}

fn parse_u16(v: &[u8], key: &'static str) -> Result<u16, AptplError> {
    u16::try_from(parse_int(v, key)?).map_err(|_| AptplError::BadNumber(key))
}

fn parse_u64(v: &[u8], key: &'static str) -> Result<u64, AptplError> {
    text::parse_u64(v).map_err(|_| AptplError::BadNumber(key))
}

fn string<'a>(v: &'a [u8], key: &'static str, max: usize) -> Result<&'a [u8], AptplError> {
    if v.is_empty() || v.len() >= max {
        Err(AptplError::BadValue(key))
    } else {
        Ok(v)
    }
}

/// `res_type`: LIO writes it with `%02x` but reads it with base 0, which
/// loses type 8 ("08" is no octal number). Read here as hexadecimal, with
/// or without `0x`, which agrees with LIO for every other type.
fn parse_type(v: &[u8]) -> Result<Option<PrType>, AptplError> {
    let digits = match v {
        [b'0', b'x' | b'X', rest @ ..] => rest,
        _ => v,
    };
    if digits.is_empty() || digits.len() > 8 {
        return Err(AptplError::BadNumber("res_type"));
    }
    let mut value = 0u32;
    for &c in digits {
        let d = char::from(c)
            .to_digit(16)
            .ok_or(AptplError::BadNumber("res_type"))?;
        value = value << 4 | d;
    }
    match value {
        0 => Ok(None),
        v => u8::try_from(v)
            .ok()
            .and_then(PrType::from_u8)
            .map(Some)
            .ok_or(AptplError::BadType),
    }
}

/// Parses a `res_aptpl_metadata` write: `key=value` tokens separated by
/// commas or newlines (LIO's target_pr_res_aptpl_metadata_store).
///
/// As LIO: empty tokens and unknown keys are ignored (rtslib passes the
/// block numbers of `PR_REG_START: 0` along as tokens), a key given twice
/// takes the last value, `res_scope` is read and ignored,
/// `initiator_node`, `target_node` and a non-zero `sa_res_key` are
/// required, and a holder needs a type. Stricter than LIO, which skips a
/// token whose number does not parse and truncates over-long names, these
/// are errors here.
pub fn parse_metadata(input: &[u8]) -> Result<AptplRecord<'_>, AptplError> {
    let mut r = AptplRecord {
        initiator_fabric: None,
        initiator_node: &[],
        initiator_sid: None,
        sa_res_key: 0,
        res_holder: false,
        res_type: None,
        res_all_tg_pt: false,
        mapped_lun: 0,
        target_fabric: None,
        target_node: &[],
        tpgt: 0,
        port_rtpi: None,
        target_lun: 0,
    };
    for token in input.split(|&c| c == b',' || c == b'\n') {
        let Some(eq) = token.iter().position(|&c| c == b'=') else {
            continue;
        };
        let (key, value) = (
            token.get(..eq).unwrap_or(&[]),
            token.get(eq + 1..).unwrap_or(&[]),
        );
        match key {
            b"initiator_fabric" => {
                r.initiator_fabric = Some(string(value, "initiator_fabric", MAX_PORT_LEN)?)
            }
            b"initiator_node" => r.initiator_node = string(value, "initiator_node", MAX_PORT_LEN)?,
            b"initiator_sid" => {
                r.initiator_sid = Some(string(value, "initiator_sid", MAX_ISID_LEN)?)
            }
            b"sa_res_key" => r.sa_res_key = parse_u64(value, "sa_res_key")?,
            b"res_holder" => r.res_holder = parse_int(value, "res_holder")? != 0,
            b"res_type" => r.res_type = parse_type(value)?,
            b"res_scope" => {
                parse_int(value, "res_scope")?;
            }
            b"res_all_tg_pt" => r.res_all_tg_pt = parse_int(value, "res_all_tg_pt")? != 0,
            b"mapped_lun" => r.mapped_lun = parse_u64(value, "mapped_lun")?,
            b"target_fabric" => {
                r.target_fabric = Some(string(value, "target_fabric", MAX_PORT_LEN)?)
            }
            b"target_node" => r.target_node = string(value, "target_node", MAX_PORT_LEN)?,
            b"tpgt" => r.tpgt = parse_u16(value, "tpgt")?,
            b"port_rtpi" => r.port_rtpi = Some(parse_u16(value, "port_rtpi")?),
            b"target_lun" => r.target_lun = parse_u64(value, "target_lun")?,
            _ => {}
        }
    }
    if r.initiator_node.is_empty() {
        return Err(AptplError::Missing("initiator_node"));
    }
    if r.target_node.is_empty() {
        return Err(AptplError::Missing("target_node"));
    }
    if r.sa_res_key == 0 {
        return Err(AptplError::Missing("sa_res_key"));
    }
    if r.res_holder && r.res_type.is_none() {
        return Err(AptplError::HolderWithoutType);
    }
    Ok(r)
}

/// The registrations of an APTPL file, in order: an iterator of
/// [`parse_metadata`] results, one per `PR_REG_START:` ... `PR_REG_END:`
/// block. Text outside blocks (such as "No Registrations or
/// Reservations") and a trailing NUL are ignored.
#[derive(Clone, Debug)]
pub struct FileRecords<'a> {
    rest: &'a [u8],
}

impl<'a> FileRecords<'a> {
    pub fn new(file: &'a [u8]) -> Self {
        let end = file.iter().position(|&c| c == 0).unwrap_or(file.len());
        Self {
            rest: file.get(..end).unwrap_or(&[]),
        }
    }

    fn next_line(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.iter().position(|&c| c == b'\n') {
            Some(i) => (
                self.rest.get(..i).unwrap_or(&[]),
                self.rest.get(i + 1..).unwrap_or(&[]),
            ),
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        Some(line)
    }
}

impl<'a> Iterator for FileRecords<'a> {
    type Item = Result<AptplRecord<'a>, AptplError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = self.next_line()?;
            if text::trim(line).starts_with(b"PR_REG_START:") {
                break;
            }
        }
        let start = self.rest;
        let mut len = 0usize;
        loop {
            let Some(line) = self.next_line() else {
                return Some(Err(AptplError::UnterminatedBlock));
            };
            if text::trim(line).starts_with(b"PR_REG_END:") {
                break;
            }
            len += line.len() + 1;
        }
        Some(parse_metadata(start.get(..len).unwrap_or(start)))
    }
}

// -------------------------------------------------------------------
// The pr/ configfs attributes.
// -------------------------------------------------------------------

/// How the device handles reservations, for the attributes that say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrMode {
    /// `emulate_pr` is off.
    Disabled,
    /// The backend passes PR commands through (TRANSPORT_FLAG_PASSTHROUGH_PGR).
    Passthrough,
    /// Emulated by [`PrState`].
    Emulated,
}

/// `res_type`.
pub fn write_res_type<S: RegistrationStore, W: Write + ?Sized>(
    state: &PrState<S>,
    mode: PrMode,
    w: &mut W,
) -> fmt::Result {
    w.write_str(match mode {
        PrMode::Disabled => "SPC_RESERVATIONS_DISABLED\n",
        PrMode::Passthrough => "SPC_PASSTHROUGH\n",
        PrMode::Emulated if state.spc2_holder().is_some() => "SPC2_RESERVATIONS\n",
        PrMode::Emulated => "SPC3_PERSISTENT_RESERVATIONS\n",
    })
}

fn write_initiator<W: Write + ?Sized>(w: &mut W, port: &InitiatorPort, isid: bool) -> fmt::Result {
    port.write_name(w)?;
    if isid && port.isid().is_some() {
        w.write_str(",i,0x")?;
        port.write_isid(w)?;
    }
    Ok(())
}

/// `res_holder`.
pub fn write_res_holder<S: RegistrationStore, T: PortText, W: Write + ?Sized>(
    state: &PrState<S>,
    mode: PrMode,
    ports: &T,
    w: &mut W,
) -> fmt::Result {
    match mode {
        PrMode::Disabled => return w.write_str("SPC_RESERVATIONS_DISABLED\n"),
        PrMode::Passthrough => return w.write_str("Passthrough\n"),
        PrMode::Emulated => {}
    }
    if let Some((port, rtpi)) = state.spc2_holder() {
        write!(
            w,
            "SPC-2 Reservation: {} Initiator: ",
            ports.fabric_name(rtpi)
        )?;
        write_initiator(w, port, false)?;
        return w.write_char('\n');
    }
    match display_holder(state) {
        None => w.write_str("No SPC-3 Reservation holder\n"),
        Some((_, reg)) => {
            write!(
                w,
                "SPC-3 Reservation: {} Initiator: ",
                ports.fabric_name(reg.rtpi)
            )?;
            write_initiator(w, &reg.initiator, true)?;
            w.write_char('\n')
        }
    }
}

/// `res_pr_all_tgt_pts`.
pub fn write_res_pr_all_tgt_pts<S: RegistrationStore, W: Write + ?Sized>(
    state: &PrState<S>,
    w: &mut W,
) -> fmt::Result {
    w.write_str(match display_holder(state) {
        None => "No SPC-3 Reservation holder\n",
        Some((_, r)) if r.all_tg_pt => "SPC-3 Reservation: All Target Ports registration\n",
        Some(_) => "SPC-3 Reservation: Single Target Port registration\n",
    })
}

/// `res_pr_generation`.
pub fn write_res_pr_generation<S: RegistrationStore, W: Write + ?Sized>(
    state: &PrState<S>,
    w: &mut W,
) -> fmt::Result {
    writeln!(w, "0x{:08x}", state.generation())
}

/// `res_pr_holder_tg_port`.
pub fn write_res_pr_holder_tg_port<S: RegistrationStore, T: PortText, W: Write + ?Sized>(
    state: &PrState<S>,
    ports: &T,
    w: &mut W,
) -> fmt::Result {
    let Some((_, reg)) = display_holder(state) else {
        return w.write_str("No SPC-3 Reservation holder\n");
    };
    let fabric = ports.fabric_name(reg.rtpi);
    write!(
        w,
        "SPC-3 Reservation: {fabric} Target Node Endpoint: {}\n\
         SPC-3 Reservation: Relative Port Identifier Tag: {} {fabric} Portal Group Tag: {} \
         {fabric} Logical Unit: {}\n",
        ports.target_node(reg.rtpi),
        reg.rtpi,
        ports.tpgt(reg.rtpi),
        ports.target_lun(reg.rtpi),
    )
}

/// A fmt::Write into a fixed buffer that remembers overflowing.
struct Fixed<const N: usize> {
    buf: [u8; N],
    len: usize,
    overflow: bool,
}

impl<const N: usize> Write for Fixed<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // checked_add, not saturating_add: the slice is then provably as
        // long as `s`, and copy_from_slice has no panic path in the kernel
        // (objtool flags one).
        let Some(end) = self.len.checked_add(s.len()) else {
            self.overflow = true;
            return Err(fmt::Error);
        };
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                self.len = end;
                Ok(())
            }
            None => {
                self.overflow = true;
                Err(fmt::Error)
            }
        }
    }
}

/// `res_pr_registered_i_pts`, within `page_size` bytes: as LIO, an entry
/// that would not fit (with room for the NUL) ends the list.
pub fn write_res_pr_registered_i_pts<S: RegistrationStore, T: PortText, W: Write + ?Sized>(
    state: &PrState<S>,
    ports: &T,
    page_size: usize,
    w: &mut W,
) -> fmt::Result {
    const HEADER: &str = "SPC-3 PR Registrations:\n";
    w.write_str(HEADER)?;
    let mut len = HEADER.len();
    let mut count = 0usize;
    for reg in state.registrations() {
        let mut e = Fixed::<512> {
            buf: [0; 512],
            len: 0,
            overflow: false,
        };
        let ok = write!(e, "{} Node: ", ports.fabric_name(reg.rtpi))
            .and_then(|()| write_initiator(&mut e, &reg.initiator, true))
            .and_then(|()| {
                writeln!(
                    e,
                    " Key: 0x{:016x} PRgen: 0x{:08x}",
                    reg.key, reg.generation
                )
            });
        if ok.is_err() || e.overflow || len + e.len >= page_size {
            break;
        }
        write_lossy(w, e.buf.get(..e.len).unwrap_or(&[]))?;
        len += e.len;
        count += 1;
    }
    if count == 0 {
        w.write_str("None\n")?;
    }
    Ok(())
}

/// `res_pr_type`.
pub fn write_res_pr_type<S: RegistrationStore, W: Write + ?Sized>(
    state: &PrState<S>,
    w: &mut W,
) -> fmt::Result {
    match state.reservation() {
        Some((t, _)) => writeln!(w, "SPC-3 Reservation Type: {}", t.lio_name()),
        None => w.write_str("No SPC-3 Reservation holder\n"),
    }
}

/// `res_aptpl_active` (empty when PR is not emulated).
pub fn write_res_aptpl_active<S: RegistrationStore, W: Write + ?Sized>(
    state: &PrState<S>,
    mode: PrMode,
    w: &mut W,
) -> fmt::Result {
    if mode != PrMode::Emulated {
        return Ok(());
    }
    let s = if state.aptpl_active() {
        "Activated"
    } else {
        "Disabled"
    };
    writeln!(w, "APTPL Bit Status: {s}")
}

/// Reading `res_aptpl_metadata` (empty when PR is not emulated).
pub fn write_res_aptpl_metadata<W: Write + ?Sized>(mode: PrMode, w: &mut W) -> fmt::Result {
    if mode != PrMode::Emulated {
        return Ok(());
    }
    w.write_str("Ready to process PR APTPL metadata..\n")
}

#[cfg(test)]
mod tests;
