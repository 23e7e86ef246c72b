// SPDX-License-Identifier: GPL-2.0

//! INQUIRY data (SPC-4 6.6): the standard data and the VPD pages the
//! engine serves: 00h, 80h, 83h, 86h, B0h, B1h, B2h.
//!
//! Each encoder writes the page into `out`, at most `out.len()` bytes (the
//! allocation length truncation of SPC-4 4.2.5.6), and returns the full
//! length of the page. For the same inputs the bytes are LIO's
//! (target_core_spc.c); comments say where LIO is wrong and what we do.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

/// The VPD pages this module encodes, in ascending order, for page 00h.
/// LIO also lists B3h (referrals), which we do not serve.
pub const SUPPORTED_PAGES: [u8; 8] = [0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2, 0xb3];

/// SCSI transport protocol identifiers (SPC-4 table 444).
pub mod protocol {
    pub const FCP: u8 = 0x0;
    pub const SPI: u8 = 0x1;
    pub const SSA: u8 = 0x2;
    pub const SBP: u8 = 0x3;
    pub const SRP: u8 = 0x4;
    pub const ISCSI: u8 = 0x5;
    pub const SAS: u8 = 0x6;
}

/// LIO's IEEE company id (OUI 00-14-05), used when `wwn/company_id` is
/// not set.
pub const LIO_COMPANY_ID: u32 = 0x001405;

/// A byte writer over the caller's buffer that drops what does not fit
/// and counts everything.
struct W<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl<'a> W<'a> {
    fn new(out: &'a mut [u8]) -> Self {
        Self { out, pos: 0 }
    }
    fn set(&mut self, at: usize, v: u8) {
        if let Some(b) = self.out.get_mut(at) {
            *b = v;
        }
    }
    fn u8(&mut self, v: u8) {
        self.set(self.pos, v);
        self.pos += 1;
    }
    fn bytes(&mut self, v: &[u8]) {
        for &b in v {
            self.u8(b);
        }
    }
    fn zeros(&mut self, n: usize) {
        for _ in 0..n {
            self.u8(0);
        }
    }
    fn be16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }
    fn be32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }
    fn be64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }
    /// `v` left-aligned in a field of `n` bytes padded with spaces.
    fn padded(&mut self, v: &[u8], n: usize) {
        let v = v.get(..n).unwrap_or(v);
        self.bytes(v);
        for _ in v.len()..n {
            self.u8(b' ');
        }
    }
    fn set_be16(&mut self, at: usize, v: u16) {
        let [h, l] = v.to_be_bytes();
        self.set(at, h);
        self.set(at + 1, l);
    }
}

/// `s` up to its first NUL (a C string held in a fixed buffer).
fn c_str(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(n) => s.get(..n).unwrap_or(s),
        None => s,
    }
}

/// SPC-4 version descriptors (SPC-4 table 144), as LIO picks them.
pub mod version {
    pub const SAM5: u16 = 0x00a0;
    pub const SPC4: u16 = 0x0460;
    pub const SBC3: u16 = 0x04c0;
    pub const FCP4: u16 = 0x0a40;
    pub const ISCSI: u16 = 0x0960;
    pub const SAS3: u16 = 0x0c60;
    pub const SBP3: u16 = 0x0980;
    pub const SRP: u16 = 0x0940;
}

/// The version descriptor of a transport protocol, 0 when unknown
/// (LIO's spc_find_scsi_transport_vd).
pub const fn transport_version(protocol_id: u8) -> u16 {
    match protocol_id {
        protocol::FCP => version::FCP4,
        protocol::ISCSI => version::ISCSI,
        protocol::SAS => version::SAS3,
        protocol::SBP => version::SBP3,
        protocol::SRP => version::SRP,
        _ => 0,
    }
}

/// The length of the standard INQUIRY data LIO returns (additional
/// length 91).
pub const STANDARD_LEN: usize = 96;

/// The longest unit serial number (LIO's INQUIRY_VPD_SERIAL_LEN less its
/// NUL).
const MAX_SERIAL: usize = 253;

/// Inputs of the standard INQUIRY data.
#[derive(Clone, Copy, Debug)]
pub struct StandardInquiry<'a> {
    /// Byte 0: peripheral qualifier (bits 7-5) and device type (4-0).
    pub peripheral: u8,
    /// RMB (LIO sets it for tape devices).
    pub removable: bool,
    /// SCCS. LIO always sets it (for MAINTENANCE IN/OUT, which come from
    /// SCC-2), though it implements no SCC-2 command; keep it true to
    /// match LIO.
    pub sccs: bool,
    /// TPGS: 1 implicit ALUA, 2 explicit, 3 both (the LUN's target port
    /// group's access type), 0 when the LUN is in no group.
    pub tpgs: u8,
    /// 3PC: EXTENDED COPY supported (emulate_3pc).
    pub three_pc: bool,
    /// PROTECT: protection information supported.
    pub protect: bool,
    /// MULTIP: the device is exported through more than one port.
    pub multip: bool,
    /// Vendor, product and revision: up to 8, 16 and 4 bytes, stopping at
    /// a NUL, padded with spaces.
    pub vendor: &'a [u8],
    pub product: &'a [u8],
    pub revision: &'a [u8],
    /// The transport protocol, for the version descriptor at byte 60.
    pub protocol_id: u8,
}

/// Standard INQUIRY data (SPC-4 6.6.2), [`STANDARD_LEN`] bytes.
pub fn encode_standard(p: &StandardInquiry<'_>, out: &mut [u8]) -> usize {
    let mut w = W::new(out);
    w.u8(p.peripheral);
    w.u8(if p.removable { 0x80 } else { 0 });
    w.u8(0x06); // VERSION: SPC-4
    w.u8(0x02); // NORMACA=0, HISUP=0, RESPONSE DATA FORMAT 2
    w.u8((STANDARD_LEN - 5) as u8);
    w.u8(u8::from(p.sccs) << 7
        | (p.tpgs & 3) << 4
        | u8::from(p.three_pc) << 3
        | u8::from(p.protect));
    w.u8(if p.multip { 0x10 } else { 0 });
    w.u8(0x02); // CMDQUE
    w.padded(c_str(p.vendor), 8);
    w.padded(c_str(p.product), 16);
    w.padded(c_str(p.revision), 4);
    w.zeros(58 - 36);
    w.be16(version::SAM5);
    w.be16(transport_version(p.protocol_id));
    w.be16(version::SPC4);
    w.be16(if p.peripheral & 0x1f == 0 {
        version::SBC3
    } else {
        0
    });
    w.zeros(STANDARD_LEN - 66);
    w.pos
}

/// VPD page 00h: the supported pages. LIO lists its pages only once a unit
/// serial is set; pass `&[]` then, [`SUPPORTED_PAGES`] otherwise.
pub fn encode_supported_pages(peripheral: u8, pages: &[u8], out: &mut [u8]) -> usize {
    let mut w = W::new(out);
    let n = pages.len().min(255);
    w.u8(peripheral);
    w.u8(0x00);
    w.be16(n as u16);
    w.bytes(pages.get(..n).unwrap_or(pages));
    w.pos
}

/// VPD page 80h: the unit serial number, with a NUL counted in the page
/// length as LIO does (`None`: no serial, an empty page). A serial is at
/// most 253 bytes (LIO's buffer, see [`crate::inquiry::unit_serial`]);
/// anything longer is cut there.
pub fn encode_unit_serial(peripheral: u8, serial: Option<&[u8]>, out: &mut [u8]) -> usize {
    let mut w = W::new(out);
    w.u8(peripheral);
    w.u8(0x80);
    match serial {
        Some(s) => {
            let s = c_str(s);
            let s = s.get(..MAX_SERIAL).unwrap_or(s);
            w.be16(s.len() as u16 + 1);
            w.bytes(s);
            w.u8(0);
        }
        None => w.be16(0),
    }
    w.pos
}

/// The 16-byte NAA IEEE Registered Extended designator (NAA 6h) LIO
/// builds from the company id and the hex digits of the unit serial
/// (spc_gen_naa_6h_vendor_specific): 24 bits of company id, then up to
/// 25 hex digits of the serial (non-hex characters skipped), zero padded.
pub fn naa_6h(company_id: u32, serial: &[u8]) -> [u8; 16] {
    let mut d = [0u8; 16];
    let [_, c2, c1, c0] = company_id.to_be_bytes();
    // 6h, then the 24-bit company id, starting at bit 3 of byte 0.
    d[0] = 0x60 | (c2 >> 4);
    d[1] = c2 << 4 | c1 >> 4;
    d[2] = c1 << 4 | c0 >> 4;
    d[3] = c0 << 4;
    // The next nibble is the low half of byte 3.
    let mut nibble = 7usize;
    for &ch in c_str(serial) {
        let Some(v) = hex_value(ch) else { continue };
        if nibble >= 32 {
            break;
        }
        if let Some(b) = d.get_mut(nibble / 2) {
            *b |= if nibble % 2 == 0 { v << 4 } else { v };
        }
        nibble += 1;
    }
    d
}

const fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Inputs of the device identification page (83h).
#[derive(Clone, Copy, Debug)]
pub struct DeviceIdentification<'a> {
    pub peripheral: u8,
    /// The unit serial (`wwn/vpd_unit_serial`); without one LIO gives no
    /// NAA designator and a T10 vendor id of the vendor alone.
    pub unit_serial: Option<&'a [u8]>,
    /// The IEEE company id for the NAA designator ([`LIO_COMPANY_ID`]).
    pub company_id: u32,
    pub vendor: &'a [u8],
    /// The product id (LIO's model), put in the T10 vendor id designator.
    pub product: &'a [u8],
    /// The transport protocol of the port the command came through.
    pub protocol_id: u8,
    /// RELATIVE TARGET PORT IDENTIFIER of that port.
    pub rtpi: u16,
    /// The target port group of the LUN, if it is in one.
    pub target_port_group: Option<u16>,
    /// The logical unit group of the device, if it is in one.
    pub lu_group: Option<u16>,
    /// The target port's name (the fabric's WWN, e.g. an IQN).
    pub target_name: &'a [u8],
    /// The target portal group tag.
    pub tpgt: u16,
}

/// The longest SCSI name string designator we build: SPC-4 7.8.6.11 allows
/// 256, but the DESIGNATOR LENGTH is one byte, so 252 (a multiple of 4).
const SCSI_NAME_MAX: usize = 252;

/// VPD page 83h: NAA, T10 vendor id, relative target port, target port
/// group, logical unit group, and the target port and target device SCSI
/// name strings, in LIO's order.
pub fn encode_device_identification(p: &DeviceIdentification<'_>, out: &mut [u8]) -> usize {
    let mut w = W::new(out);
    w.u8(p.peripheral);
    w.u8(0x83);
    w.be16(0); // page length, set at the end
    let proto = (p.protocol_id & 0x0f) << 4;
    let serial = p.unit_serial.map(c_str);

    if let Some(serial) = serial {
        // NAA, binary, associated with the logical unit.
        w.bytes(&[0x01, 0x03, 0x00, 0x10]);
        w.bytes(&naa_6h(p.company_id, serial));
    }

    // T10 vendor id, ASCII, logical unit: the vendor padded to 8 bytes,
    // then "<product>:<serial>" when there is a serial, and a NUL (which
    // LIO counts in the length). LIO writes the length in one byte and
    // overflows it for a long product and serial (up to 279 bytes); we cut
    // the string so that the designator stays within 255 bytes.
    let product = c_str(p.product);
    let product = product.get(..16).unwrap_or(product);
    let mut id_len = 8 + 1;
    let mut serial_room = 0;
    if let Some(s) = serial {
        let room = 255 - id_len - product.len() - 1;
        serial_room = s.len().min(room);
        id_len += product.len() + 1 + serial_room;
    }
    w.bytes(&[0x02, 0x01, 0x00, id_len as u8]);
    w.padded(c_str(p.vendor), 8);
    if let Some(s) = serial {
        w.bytes(product);
        w.u8(b':');
        w.bytes(s.get(..serial_room).unwrap_or(s));
    }
    w.u8(0);

    // Relative target port identifier, binary, PIV=1, target port.
    w.bytes(&[proto | 0x1, 0x94, 0x00, 0x04, 0x00, 0x00]);
    w.be16(p.rtpi);

    if let Some(id) = p.target_port_group {
        // Target port group, binary, PIV=1, target port.
        w.bytes(&[proto | 0x1, 0x95, 0x00, 0x04, 0x00, 0x00]);
        w.be16(id);
    }

    if let Some(id) = p.lu_group {
        // Logical unit group, binary, logical unit (no protocol id).
        w.bytes(&[0x01, 0x06, 0x00, 0x04, 0x00, 0x00]);
        w.be16(id);
    }

    // SCSI name string of the target port: "<name>,t,0x<tpgt>", UTF-8,
    // PIV=1, target port.
    let mut tag = *b",t,0x0000";
    for (i, b) in tag.iter_mut().skip(5).enumerate() {
        let nib = (p.tpgt >> (12 - 4 * i)) & 0xf;
        *b = b"0123456789abcdef"
            .get(usize::from(nib))
            .copied()
            .unwrap_or(b'0');
    }
    let name = c_str(p.target_name);
    scsi_name(&mut w, proto, 0x98, name, &tag);

    // SCSI name string of the target device: "<name>", target device.
    scsi_name(&mut w, proto, 0xa8, name, &[]);

    let page_len = w.pos - 4;
    w.set_be16(2, page_len as u16);
    w.pos
}

/// A SCSI name string designator holding `a` then `b`, NUL terminated and
/// NUL padded to a multiple of 4, at most 252 bytes. LIO caps the length
/// at 256, which its length byte stores as 0, and writes the whole name,
/// past the designator and without its NUL, when it is longer; we cut the
/// name to 251 bytes and keep the NUL. (iSCSI names are at most 223 bytes,
/// so this only matters for made-up names.)
fn scsi_name(w: &mut W<'_>, proto: u8, assoc_type: u8, a: &[u8], b: &[u8]) {
    let text = (a.len() + b.len()).min(SCSI_NAME_MAX - 1);
    let len = (text + 1 + 3) & !3;
    w.bytes(&[proto | 0x3, assoc_type, 0x00, len as u8]);
    let start = w.pos;
    for &c in a.iter().chain(b).take(text) {
        w.u8(c);
    }
    w.zeros(len - (w.pos - start));
}

/// Inputs of the extended INQUIRY data page (86h).
#[derive(Clone, Copy, Debug)]
pub struct ExtendedInquiry {
    pub peripheral: u8,
    /// The protection type in use for this I_T nexus (the device's
    /// pi_prot_type, else the session's), when the fabric passes
    /// protection information; 0 otherwise.
    pub protection_type: u8,
    /// V_SUP: the write cache is enabled (LIO's target_check_wce).
    pub write_cache: bool,
    /// R_SUP: an LBA map (referrals) is configured.
    pub referrals: bool,
}

/// VPD page 86h, 64 bytes: SPT/GRD_CHK/REF_CHK from the protection type,
/// HEADSUP/ORDSUP/SIMPSUP, V_SUP and R_SUP.
pub fn encode_extended_inquiry(p: &ExtendedInquiry, out: &mut [u8]) -> usize {
    let mut w = W::new(out);
    let mut b4 = match p.protection_type {
        1 => 0x05, // GRD_CHK, REF_CHK
        3 => 0x04, // GRD_CHK
        _ => 0x00,
    };
    if p.protection_type != 0 && p.peripheral & 0x1f == 0 {
        b4 |= 0x3 << 3; // SPT: types 1 and 3
    }
    w.bytes(&[p.peripheral, 0x86, 0x00, 0x3c, b4, 0x07]);
    w.u8(u8::from(p.write_cache));
    w.u8(0);
    w.u8(if p.referrals { 0x10 } else { 0 });
    w.zeros(64 - 9);
    w.pos
}

/// The logical block provisioning limits of page B0h (with UNMAP or
/// WRITE SAME with UNMAP enabled).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnmapLimits {
    pub max_unmap_lba_count: u32,
    pub max_unmap_block_desc_count: u32,
    pub unmap_granularity: u32,
    /// UNMAP GRANULARITY ALIGNMENT; UGAVALID is set when it is not 0.
    pub unmap_granularity_alignment: u32,
    pub max_write_same_len: u64,
}

/// The atomic write limits of page B0h.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AtomicLimits {
    pub max_len: u32,
    pub alignment: u32,
    pub granularity: u32,
    pub max_with_boundary: u32,
    pub max_boundary: u32,
}

/// Inputs of the block limits page (B0h), in logical blocks.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockLimits {
    pub peripheral: u8,
    /// MAXIMUM COMPARE AND WRITE LENGTH (1 with emulate_caw, else 0).
    pub max_compare_and_write: u8,
    pub optimal_transfer_granularity: u16,
    pub max_transfer_length: u32,
    pub optimal_transfer_length: u32,
    /// With emulate_tpu or emulate_tpws: the page grows to 44 bytes.
    pub unmap: Option<UnmapLimits>,
    /// With atomic writes: the page grows to 64 bytes.
    pub atomic: Option<AtomicLimits>,
}

/// VPD page B0h: 16 bytes, 44 with unmap limits, 64 with atomic limits,
/// WSNZ=1 always (WRITE SAME with 0 blocks is refused).
pub fn encode_block_limits(p: &BlockLimits, out: &mut [u8]) -> usize {
    let mut w = W::new(out);
    let len: u16 = if p.atomic.is_some() {
        60
    } else if p.unmap.is_some() {
        40
    } else {
        12
    };
    w.bytes(&[p.peripheral, 0xb0]);
    w.be16(len);
    w.u8(0x01); // WSNZ
    w.u8(p.max_compare_and_write);
    w.be16(p.optimal_transfer_granularity);
    w.be32(p.max_transfer_length);
    w.be32(p.optimal_transfer_length);
    if len == 12 {
        return w.pos;
    }
    w.be32(0); // MAXIMUM PREFETCH LENGTH
    let u = p.unmap.unwrap_or_default();
    w.be32(u.max_unmap_lba_count);
    w.be32(u.max_unmap_block_desc_count);
    w.be32(u.unmap_granularity);
    // UGAVALID (byte 32 bit 7) when an alignment is given.
    let ugavalid = if u.unmap_granularity_alignment != 0 {
        1 << 31
    } else {
        0
    };
    w.be32(u.unmap_granularity_alignment | ugavalid);
    w.be64(u.max_write_same_len);
    let Some(a) = p.atomic else {
        return w.pos;
    };
    w.be32(a.max_len);
    w.be32(a.alignment);
    w.be32(a.granularity);
    w.be32(a.max_with_boundary);
    w.be32(a.max_boundary);
    w.pos
}

/// VPD page B1h, 64 bytes: MEDIUM ROTATION RATE 1 (non-rotating) when
/// `nonrot` (the device's is_nonrot), else 0 (not reported).
pub fn encode_block_device_characteristics(peripheral: u8, nonrot: bool, out: &mut [u8]) -> usize {
    let mut w = W::new(out);
    w.bytes(&[peripheral, 0xb1, 0x00, 0x3c, 0x00, u8::from(nonrot)]);
    w.zeros(64 - 6);
    w.pos
}

/// VPD page B3h, referrals: 16 bytes with the LBA map's user data segment
/// size and multiplier (0 and 0 without a map), as LIO.
pub fn encode_referrals(
    peripheral: u8,
    segment_size: u32,
    segment_multiplier: u32,
    out: &mut [u8],
) -> usize {
    let mut w = W::new(out);
    w.bytes(&[peripheral, 0xb3, 0x00, 0x0c, 0, 0, 0, 0]);
    w.bytes(&segment_size.to_be_bytes());
    w.bytes(&segment_multiplier.to_be_bytes());
    w.pos
}

/// Inputs of the logical block provisioning page (B2h).
#[derive(Clone, Copy, Debug, Default)]
pub struct Provisioning {
    pub peripheral: u8,
    /// LBPU: UNMAP supported (emulate_tpu).
    pub unmap: bool,
    /// LBPWS and LBPWS10: WRITE SAME with UNMAP supported (emulate_tpws).
    pub write_same_unmap: bool,
    /// LBPRZ: unmapped blocks read back as zeroes (unmap_zeroes_data),
    /// reported only with `unmap` or `write_same_unmap`.
    pub unmap_zeroes_data: bool,
}

/// VPD page B2h, 8 bytes (DP=0). As LIO, THRESHOLD EXPONENT is 0 and the
/// PROVISIONING TYPE is left 0 (not reported; SBC-4 would have 2, thin,
/// with LBPU set).
pub fn encode_provisioning(p: &Provisioning, out: &mut [u8]) -> usize {
    let mut b5 = 0;
    if p.unmap {
        b5 |= 0x80;
    }
    if p.write_same_unmap {
        b5 |= 0x60;
    }
    if (p.unmap || p.write_same_unmap) && p.unmap_zeroes_data {
        b5 |= 0x04;
    }
    let mut w = W::new(out);
    w.bytes(&[p.peripheral, 0xb2, 0x00, 0x04, 0x00, b5, 0x00, 0x00]);
    w.pos
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Encodes with a large buffer, and checks that every shorter buffer
    /// gets the same prefix and the same returned length.
    fn full(enc: impl Fn(&mut [u8]) -> usize) -> Vec<u8> {
        let mut big = [0u8; 1024];
        let n = enc(&mut big);
        for cut in 0..n {
            let mut short = std::vec![0xa5u8; cut];
            assert_eq!(enc(&mut short), n);
            assert_eq!(short[..], big[..cut]);
        }
        big[..n].to_vec()
    }

    #[test]
    fn standard_inquiry_as_lio_for_a_fileio_lun_on_loopback() {
        let p = StandardInquiry {
            peripheral: 0x00,
            removable: false,
            sccs: true,
            tpgs: 0,
            three_pc: true,
            protect: false,
            multip: false,
            vendor: b"LIO-ORG\0",
            product: b"FILEIO",
            revision: b"4.0",
            protocol_id: protocol::SAS,
        };
        let got = full(|o| encode_standard(&p, o));
        let mut want = std::vec![0x00, 0x00, 0x06, 0x02, 91, 0x88, 0x00, 0x02];
        want.extend_from_slice(b"LIO-ORG FILEIO          4.0 ");
        want.resize(58, 0);
        want.extend_from_slice(&[0x00, 0xa0, 0x0c, 0x60, 0x04, 0x60, 0x04, 0xc0]);
        want.resize(96, 0);
        assert_eq!(got, want);

        // ALUA explicit+implicit, not a disk: no SBC-3 descriptor.
        let p = StandardInquiry {
            peripheral: 0x05,
            tpgs: 3,
            protocol_id: protocol::ISCSI,
            vendor: b"0123456789",
            ..p
        };
        let got = full(|o| encode_standard(&p, o));
        assert_eq!(got[5], 0xb8);
        assert_eq!(&got[8..16], b"01234567");
        assert_eq!(got[60..66], [0x09, 0x60, 0x04, 0x60, 0, 0]);
    }

    #[test]
    fn referrals_page_carries_the_segments() {
        let got = full(|o| encode_referrals(0, 0x1000, 3, o));
        assert_eq!(
            got,
            [0, 0xb3, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 3]
        );
        let mut short = [0u8; 4];
        assert_eq!(encode_referrals(0, 1, 1, &mut short), 16);
        assert_eq!(short, [0, 0xb3, 0, 0x0c]);
    }

    #[test]
    fn supported_pages_and_serial() {
        let got = full(|o| encode_supported_pages(0, &SUPPORTED_PAGES, o));
        assert_eq!(
            got,
            [0, 0, 0, 8, 0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2, 0xb3]
        );
        assert_eq!(full(|o| encode_supported_pages(0, &[], o)), [0, 0, 0, 0]);
        let got = full(|o| encode_unit_serial(0, Some(b"abc\0junk"), o));
        assert_eq!(got, [0, 0x80, 0, 4, b'a', b'b', b'c', 0]);
        assert_eq!(full(|o| encode_unit_serial(0, None, o)), [0, 0x80, 0, 0]);
        // The longest serial LIO takes: 253 bytes and the NUL.
        let long = [b'x'; 300];
        let got = full(|o| encode_unit_serial(0, Some(&long[..253]), o));
        assert_eq!(got[..4], [0, 0x80, 0, 254]);
        assert_eq!(got.len(), 258);
        assert_eq!(full(|o| encode_unit_serial(0, Some(&long), o)), got);
    }

    #[test]
    fn naa_like_lio() {
        // LIO's default company id and a serial as LIO generates one (a
        // UUID): naa.6001405 followed by the serial's hex digits.
        let d = naa_6h(LIO_COMPANY_ID, b"1d5fa8d4-9a8d-4a2a-b5ad-0c2a0c5e36f2");
        assert_eq!(
            d,
            [
                0x60, 0x01, 0x40, 0x51, 0xd5, 0xfa, 0x8d, 0x49, 0xa8, 0xd4, 0xa2, 0xab, 0x5a, 0xd0,
                0xc2, 0xa0
            ]
        );
        assert_eq!(
            naa_6h(0xabcdef, b"xyz"),
            [0x6a, 0xbc, 0xde, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn device_identification() {
        let p = DeviceIdentification {
            peripheral: 0,
            unit_serial: Some(b"abc"),
            company_id: LIO_COMPANY_ID,
            vendor: b"LIO-ORG",
            product: b"P",
            protocol_id: protocol::SAS,
            rtpi: 1,
            target_port_group: Some(0),
            lu_group: None,
            target_name: b"naa.5001405",
            tpgt: 1,
        };
        let got = full(|o| encode_device_identification(&p, o));
        let mut want = std::vec![0x00, 0x83, 0x00, 98];
        want.extend_from_slice(&[0x01, 0x03, 0x00, 0x10, 0x60, 0x01, 0x40, 0x5a, 0xbc]);
        want.resize(4 + 20, 0);
        want.extend_from_slice(&[0x02, 0x01, 0x00, 14]);
        want.extend_from_slice(b"LIO-ORG P:abc\0");
        want.extend_from_slice(&[0x61, 0x94, 0, 4, 0, 0, 0, 1]);
        want.extend_from_slice(&[0x61, 0x95, 0, 4, 0, 0, 0, 0]);
        want.extend_from_slice(&[0x63, 0x98, 0, 24]);
        want.extend_from_slice(b"naa.5001405,t,0x0001\0\0\0\0");
        want.extend_from_slice(&[0x63, 0xa8, 0, 12]);
        want.extend_from_slice(b"naa.5001405\0");
        assert_eq!(got, want);

        // No serial: no NAA, the vendor alone; a LU group; tpgt in hex.
        let p = DeviceIdentification {
            unit_serial: None,
            target_port_group: None,
            lu_group: Some(0x1234),
            protocol_id: protocol::ISCSI,
            target_name: b"iqn.x",
            tpgt: 0xbeef,
            ..p
        };
        let got = full(|o| encode_device_identification(&p, o));
        assert_eq!(got[4..17], *b"\x02\x01\x00\x09LIO-ORG \0");
        assert_eq!(got[17..25], [0x51, 0x94, 0, 4, 0, 0, 0, 1]);
        assert_eq!(got[25..33], [0x01, 0x06, 0, 4, 0, 0, 0x12, 0x34]);
        assert_eq!(got[33..37], [0x53, 0x98, 0, 16]);
        assert_eq!(got[37..53], *b"iqn.x,t,0xbeef\0\0");
        assert_eq!(got[53..57], [0x53, 0xa8, 0, 8]);
        assert_eq!(got.len(), 65);
        assert_eq!(got[2..4], [0, 61]);
    }

    #[test]
    fn device_identification_limits() {
        // The longest serial and product LIO accepts: the T10 vendor id
        // designator is cut to 255 bytes instead of overflowing its length.
        let serial = [b'7'; 253];
        let name = [b'n'; 300];
        let p = DeviceIdentification {
            peripheral: 0,
            unit_serial: Some(&serial),
            company_id: LIO_COMPANY_ID,
            vendor: b"V",
            product: b"0123456789abcdef",
            protocol_id: protocol::FCP,
            rtpi: 2,
            target_port_group: None,
            lu_group: None,
            target_name: &name,
            tpgt: 0,
        };
        let got = full(|o| encode_device_identification(&p, o));
        assert_eq!(got[24 + 3], 255);
        let t10_end = 24 + 4 + 255;
        assert_eq!(got[t10_end - 1], 0);
        let name_at = t10_end + 8;
        assert_eq!(got[name_at + 3], 252);
        assert_eq!(got[name_at + 4 + 250], b'n');
        assert_eq!(got[name_at + 4 + 251], 0);
        let total = u16::from_be_bytes([got[2], got[3]]) as usize + 4;
        assert_eq!(total, got.len());
    }

    #[test]
    fn extended_inquiry() {
        let p = ExtendedInquiry {
            peripheral: 0,
            protection_type: 0,
            write_cache: true,
            referrals: false,
        };
        let got = full(|o| encode_extended_inquiry(&p, o));
        assert_eq!(got.len(), 64);
        assert_eq!(got[..10], [0, 0x86, 0, 0x3c, 0, 0x07, 0x01, 0, 0, 0]);
        let p = ExtendedInquiry {
            protection_type: 1,
            write_cache: false,
            referrals: true,
            ..p
        };
        let got = full(|o| encode_extended_inquiry(&p, o));
        assert_eq!(got[4..9], [0x1d, 0x07, 0x00, 0, 0x10]);
        let p = ExtendedInquiry {
            protection_type: 3,
            ..p
        };
        assert_eq!(full(|o| encode_extended_inquiry(&p, o))[4], 0x1c);
    }

    #[test]
    fn block_limits() {
        // A fileio LUN on LIO's defaults: hw_max_sectors 16384 of 512,
        // optimal_sectors 16384, no thin provisioning.
        let mut p = BlockLimits {
            peripheral: 0,
            max_compare_and_write: 1,
            optimal_transfer_granularity: 1,
            max_transfer_length: 16384,
            optimal_transfer_length: 16384,
            unmap: None,
            atomic: None,
        };
        let got = full(|o| encode_block_limits(&p, o));
        assert_eq!(
            got,
            [0, 0xb0, 0, 12, 0x01, 0x01, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0]
        );
        p.unmap = Some(UnmapLimits {
            max_unmap_lba_count: 0x2000,
            max_unmap_block_desc_count: 1,
            unmap_granularity: 8,
            unmap_granularity_alignment: 4,
            max_write_same_len: 0xffff,
        });
        let got = full(|o| encode_block_limits(&p, o));
        assert_eq!(got.len(), 44);
        assert_eq!(got[2..4], [0, 40]);
        assert_eq!(got[16..20], [0; 4]);
        assert_eq!(got[20..24], [0, 0, 0x20, 0]);
        assert_eq!(got[24..28], [0, 0, 0, 1]);
        assert_eq!(got[28..32], [0, 0, 0, 8]);
        assert_eq!(got[32..36], [0x80, 0, 0, 4]);
        assert_eq!(got[36..44], [0, 0, 0, 0, 0, 0, 0xff, 0xff]);
        // Atomic limits without thin provisioning: LIO still gives 64
        // bytes with the unmap fields zero.
        p.unmap = None;
        p.atomic = Some(AtomicLimits {
            max_len: 1,
            alignment: 2,
            granularity: 3,
            max_with_boundary: 4,
            max_boundary: 5,
        });
        let got = full(|o| encode_block_limits(&p, o));
        assert_eq!(got.len(), 64);
        assert_eq!(got[2..4], [0, 60]);
        assert!(got[16..44].iter().all(|&b| b == 0));
        assert_eq!(
            got[44..64],
            [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]
        );
    }

    #[test]
    fn characteristics_and_provisioning() {
        let got = full(|o| encode_block_device_characteristics(0, true, o));
        assert_eq!(got.len(), 64);
        assert_eq!(got[..6], [0, 0xb1, 0, 0x3c, 0, 1]);
        assert_eq!(
            full(|o| encode_block_device_characteristics(0, false, o))[5],
            0
        );
        let p = Provisioning {
            peripheral: 0,
            unmap: true,
            write_same_unmap: true,
            unmap_zeroes_data: true,
        };
        assert_eq!(
            full(|o| encode_provisioning(&p, o)),
            [0, 0xb2, 0, 4, 0, 0xe4, 0, 0]
        );
        let p = Provisioning {
            unmap: false,
            write_same_unmap: false,
            ..p
        };
        assert_eq!(
            full(|o| encode_provisioning(&p, o)),
            [0, 0xb2, 0, 4, 0, 0, 0, 0]
        );
    }
}
