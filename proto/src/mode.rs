// SPDX-License-Identifier: GPL-2.0

//! Mode parameters (SPC-4 7.5, SBC-3 6.4): MODE SENSE(6/10) data with the
//! read-write error recovery (01h), caching (08h), control (0Ah), control
//! extension (0Ah/01h) and informational exceptions (1Ch) pages, and
//! MODE SELECT(6/10) parameter list checking.
//!
//! The page bytes are LIO's (target_core_spc.c) for the same inputs, with
//! three differences, each said where it is made: the caching page's WCE
//! is changeable, the control extension page exists, and saved values are
//! refused (SAVING PARAMETERS NOT SUPPORTED) instead of answered with the
//! current ones.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

use crate::cdb::{CdbError, PageControl};

/// The state the mode pages report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeParams {
    /// Peripheral device type: the block descriptor and DPOFUA are only
    /// reported for a disk (0), as LIO.
    pub device_type: u8,
    /// WP in the device-specific parameter (a read-only LUN).
    pub write_protect: bool,
    /// DPOFUA in the device-specific parameter (LIO's target_check_fua).
    pub dpofua: bool,
    /// NUMBER OF LOGICAL BLOCKS of the block descriptor. SBC-3 wants the
    /// number of blocks; LIO puts its get_blocks() there, which is the
    /// last LBA (one less). Pass what you want to report.
    pub blocks: u64,
    pub block_size: u32,
    /// Caching page WCE (LIO's target_check_wce).
    pub wce: bool,
    /// Control page D_SENSE (descriptor format sense data).
    pub d_sense: bool,
    /// emulate_rest_reord: QUEUE ALGORITHM MODIFIER 0 (restricted) when
    /// true, 1 (unrestricted) when false.
    pub restricted_reordering: bool,
    /// UA_INTLCK_CTRL (0, 2 or 3).
    pub ua_intlck_ctrl: u8,
    /// Control page TAS.
    pub tas: bool,
    /// Control page ATO (protection information in use).
    pub ato: bool,
}

/// A mode page this module knows, as (page, subpage).
const PAGES: [(u8, u8); 5] = [(0x01, 0), (0x08, 0), (0x0a, 0), (0x0a, 0x01), (0x1c, 0)];

/// The largest page encoded here (control extension, 32 bytes).
const MAX_PAGE: usize = 32;

/// The length of one page, or `None` for a page we do not have.
const fn page_len(page: u8, subpage: u8) -> Option<usize> {
    match (page, subpage) {
        (0x01, 0) | (0x0a, 0) | (0x1c, 0) => Some(12),
        (0x08, 0) => Some(20),
        (0x0a, 0x01) => Some(32),
        _ => None,
    }
}

/// Writes one page (current or default values, or the changeable mask)
/// into `p`, which is at least [`MAX_PAGE`] bytes and zeroed.
fn page(page: u8, subpage: u8, changeable: bool, m: &ModeParams, p: &mut [u8; MAX_PAGE]) -> usize {
    match (page, subpage) {
        (0x01, 0) => {
            // Read-write error recovery: all zero, nothing changeable.
            p[0] = 0x01;
            p[1] = 0x0a;
            12
        }
        (0x08, 0) => {
            p[0] = 0x08;
            p[1] = 0x12;
            if changeable {
                // WCE is changeable (LIO's is not: it has no changeable
                // value at all).
                p[2] = 0x04;
            } else {
                if m.wce {
                    p[2] = 0x04;
                }
                p[12] = 0x20; // DRA: read ahead disabled
            }
            20
        }
        (0x0a, 0) => {
            p[0] = 0x0a;
            p[1] = 0x0a;
            if !changeable {
                // TST 000b (one task set), TMF_ONLY 0, DPICZ 0, D_SENSE,
                // GLTSD (no implicit save of log parameters), RLEC 0.
                p[2] = 0x02 | if m.d_sense { 0x04 } else { 0 };
                // QUEUE ALGORITHM MODIFIER, QErr 00b.
                p[3] = if m.restricted_reordering { 0x00 } else { 0x10 };
                // UA_INTLCK_CTRL in bits 5-4 (0, 2 or 3 as LIO reports).
                p[4] = match m.ua_intlck_ctrl {
                    2 => 0x20,
                    3 => 0x30,
                    _ => 0x00,
                };
                p[5] = if m.tas { 0x40 } else { 0 } | if m.ato { 0x80 } else { 0 };
                // BUSY TIMEOUT PERIOD unlimited, EXTENDED SELF-TEST
                // COMPLETION TIME 30 seconds.
                p[8] = 0xff;
                p[9] = 0xff;
                p[11] = 30;
            }
            12
        }
        (0x0a, 0x01) => {
            // Control extension (SPC-4 7.5.9), SPF=1: TCMOS, SCSIP,
            // IALUAE, INITIAL COMMAND PRIORITY and MAXIMUM SENSE DATA
            // LENGTH all 0, nothing changeable. LIO has no such page.
            p[0] = 0x40 | 0x0a;
            p[1] = 0x01;
            p[3] = 0x1c;
            32
        }
        (0x1c, 0) => {
            // Informational exceptions: all zero, nothing changeable.
            p[0] = 0x1c;
            p[1] = 0x0a;
            12
        }
        _ => 0,
    }
}

/// A byte writer over the caller's buffer that drops what does not fit
/// and counts everything.
struct W<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl W<'_> {
    fn set(&mut self, at: usize, v: u8) {
        if let Some(b) = self.out.get_mut(at) {
            *b = v;
        }
    }
    fn bytes(&mut self, v: &[u8]) {
        for &b in v {
            self.set(self.pos, b);
            self.pos += 1;
        }
    }
}

/// What MODE SENSE asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeSense {
    /// MODE SENSE(10) rather than (6).
    pub ten: bool,
    pub dbd: bool,
    pub llbaa: bool,
    pub pc: PageControl,
    pub page: u8,
    pub subpage: u8,
}

/// Encodes MODE SENSE data: header, block descriptor, pages. Writes at most
/// `out.len()` bytes and returns the full length.
///
/// For [`PageControl::Default`] pass the default values in `m` (LIO
/// reports its current ones). [`PageControl::Saved`] is refused with
/// SAVING PARAMETERS NOT SUPPORTED pointing at the PC field (LIO answers
/// with the current values). An unknown page or subpage is INVALID FIELD
/// IN CDB pointing at the page code (byte 2) or subpage code (byte 3).
/// Page 3Fh asks for every page (subpage 00h) or every page and subpage
/// (FFh); subpage FFh of another page for that page and its subpages. LIO
/// knows no subpages and refuses the latter.
pub fn encode_mode_sense(q: &ModeSense, m: &ModeParams, out: &mut [u8]) -> Result<usize, CdbError> {
    if q.pc == PageControl::Saved {
        return Err(CdbError::saving_not_supported(2, Some(7)));
    }
    let all = q.page == 0x3f;
    let known_page = PAGES.iter().any(|&(p, _)| p == q.page);
    // Subpage FFh of a page: the page and all its subpages (SPC-4 6.14).
    let every_subpage = q.subpage == 0xff && known_page;
    if all {
        if q.subpage != 0x00 && q.subpage != 0xff {
            return Err(CdbError::invalid_field(3, Some(7)));
        }
    } else if page_len(q.page, q.subpage).is_none() && !every_subpage {
        // The page code when no page has it, else the subpage code.
        return Err(if known_page && q.subpage != 0 {
            CdbError::invalid_field(3, Some(7))
        } else {
            CdbError::invalid_field(2, Some(5))
        });
    }

    let mut w = W { out, pos: 0 };
    let disk = m.device_type == 0;
    let mut dsp = 0;
    if m.write_protect {
        dsp |= 0x80;
    }
    if m.dpofua && disk {
        dsp |= 0x10;
    }

    // The block descriptor (SBC-3 6.4.2, 6.4.3).
    let mut desc = [0u8; 16];
    let desc_len = if q.dbd || !disk {
        0
    } else if q.ten && q.llbaa && m.blocks > 0xffff_ffff {
        // Long LBA block descriptor. LIO counts it as 17 bytes where the
        // header and it take 24, and its pages overwrite the BLOCK LENGTH;
        // ours is laid out as SBC-3 says.
        desc[..8].copy_from_slice(&m.blocks.to_be_bytes());
        desc[12..16].copy_from_slice(&m.block_size.to_be_bytes());
        16
    } else {
        let blocks = u32::try_from(m.blocks).unwrap_or(u32::MAX);
        desc[..4].copy_from_slice(&blocks.to_be_bytes());
        // DENSITY CODE 0, 24-bit BLOCK LENGTH (as LIO: a 32-bit store).
        desc[4..8].copy_from_slice(&m.block_size.to_be_bytes());
        8
    };
    if q.ten {
        let longlba = u8::from(desc_len == 16);
        w.bytes(&[0, 0, 0, dsp, longlba, 0, 0, desc_len as u8]);
    } else {
        w.bytes(&[0, 0, dsp, desc_len as u8]);
    }
    w.bytes(desc.get(..desc_len).unwrap_or(&[]));

    let changeable = q.pc == PageControl::Changeable;
    for &(pg, sub) in PAGES.iter() {
        let wanted = if all {
            // 3Fh/00h: every page's subpage 00h; 3Fh/FFh: everything.
            sub == 0 || q.subpage == 0xff
        } else {
            pg == q.page && (every_subpage || sub == q.subpage)
        };
        if !wanted {
            continue;
        }
        let mut p = [0u8; MAX_PAGE];
        let n = page(pg, sub, changeable, m, &mut p);
        // MODE SENSE(6) data is at most 256 bytes; LIO stops adding pages
        // one byte earlier, as we do.
        if !q.ten && w.pos + n >= 255 {
            break;
        }
        w.bytes(p.get(..n).unwrap_or(&[]));
    }

    let total = w.pos;
    if q.ten {
        let [h, l] = u16::try_from(total - 2).unwrap_or(u16::MAX).to_be_bytes();
        w.set(0, h);
        w.set(1, l);
    } else {
        w.set(0, u8::try_from(total - 1).unwrap_or(u8::MAX));
    }
    Ok(total)
}

/// What a MODE SELECT parameter list changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModeChanges {
    /// The caching page was sent: the new WCE.
    pub wce: Option<bool>,
}

/// Checks a MODE SELECT(6) (`ten` false) or (10) parameter list against
/// the current values `m` and returns what it changes.
///
/// Every page must be one MODE SENSE reports, with its page length, and
/// may differ from the current values only in changeable bits (WCE of
/// the caching page); anything else is INVALID FIELD IN PARAMETER LIST
/// pointing at the first wrong byte and its most significant wrong bit. A
/// block descriptor must give the current block length and either 0 or
/// the current number of blocks. A list that stops inside a header,
/// descriptor or page is PARAMETER LIST LENGTH ERROR. An empty list
/// changes nothing (as LIO).
///
/// LIO takes exactly one page, right after the header whatever the block
/// descriptor length says, and accepts only the current values.
pub fn parse_mode_select(ten: bool, data: &[u8], m: &ModeParams) -> Result<ModeChanges, CdbError> {
    let mut changes = ModeChanges::default();
    if data.is_empty() {
        return Ok(changes);
    }
    let hdr = if ten { 8 } else { 4 };
    if data.len() < hdr {
        return Err(CdbError::param_list_length());
    }
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    // MODE DATA LENGTH is reserved in MODE SELECT; medium type must be 0.
    let (mtype_at, bd_len) = if ten {
        if byte(4) & 0xfe != 0 {
            return Err(CdbError::invalid_param(4, Some(7)));
        }
        (2, usize::from(u16::from_be_bytes([byte(6), byte(7)])))
    } else {
        (1, usize::from(byte(3)))
    };
    if byte(mtype_at) != 0 {
        return Err(CdbError::invalid_param(mtype_at as u16, Some(7)));
    }
    let longlba = ten && byte(4) & 1 != 0;
    let one = if longlba { 16 } else { 8 };
    if bd_len != 0 && bd_len != one {
        // One block descriptor, or none.
        let at = if ten { 6 } else { 3 };
        return Err(CdbError::invalid_param(at, Some(7)));
    }
    if data.len() < hdr + bd_len {
        return Err(CdbError::param_list_length());
    }
    if bd_len != 0 {
        check_block_descriptor(data, hdr, longlba, m)?;
    }

    let mut at = hdr + bd_len;
    while at < data.len() {
        // A page header: PS (ignored, reserved here), SPF, page code; a
        // subpage code and a 16-bit length with SPF, else an 8-bit length.
        let b0 = byte(at);
        let spf = b0 & 0x40 != 0;
        let pg = b0 & 0x3f;
        let (sub, len, plen_at) = if spf {
            if data.len() < at + 4 {
                return Err(CdbError::param_list_length());
            }
            let l = u16::from_be_bytes([byte(at + 2), byte(at + 3)]);
            (byte(at + 1), usize::from(l) + 4, at + 2)
        } else {
            if data.len() < at + 2 {
                return Err(CdbError::param_list_length());
            }
            (0, usize::from(byte(at + 1)) + 2, at + 1)
        };
        let Some(ours) = page_len(pg, sub) else {
            let at = if spf && page_len(pg, 0).is_some() {
                at + 1
            } else {
                at
            };
            return Err(CdbError::invalid_param(pointer(at), Some(5)));
        };
        if (spf && sub == 0) || (!spf && sub != 0) {
            return Err(CdbError::invalid_param(pointer(at), Some(6)));
        }
        if len != ours {
            return Err(CdbError::invalid_param(pointer(plen_at), Some(7)));
        }
        let Some(sent) = data.get(at..at + len) else {
            return Err(CdbError::param_list_length());
        };
        let mut cur = [0u8; MAX_PAGE];
        let mut mask = [0u8; MAX_PAGE];
        page(pg, sub, false, m, &mut cur);
        page(pg, sub, true, m, &mut mask);
        // Byte 0's PS bit is reserved for MODE SELECT: ignored.
        mask[0] |= 0x80;
        for (i, ((&s, &c), &k)) in sent.iter().zip(&cur).zip(&mask).enumerate() {
            let bad = (s ^ c) & !k;
            if bad != 0 {
                let bit = 7 - (bad.leading_zeros() as u8 & 7);
                return Err(CdbError::invalid_param(pointer(at + i), Some(bit)));
            }
        }
        if pg == 0x08 {
            changes.wce = Some(sent.get(2).is_some_and(|b| b & 0x04 != 0));
        }
        at += len;
    }
    Ok(changes)
}

/// A parameter list offset as a field pointer (saturating).
fn pointer(at: usize) -> u16 {
    u16::try_from(at).unwrap_or(u16::MAX)
}

fn check_block_descriptor(
    data: &[u8],
    at: usize,
    longlba: bool,
    m: &ModeParams,
) -> Result<(), CdbError> {
    let byte = |i: usize| data.get(at + i).copied().unwrap_or(0);
    let be32 = |i: usize| u32::from_be_bytes([byte(i), byte(i + 1), byte(i + 2), byte(i + 3)]);
    let (blocks, len_at, len) = if longlba {
        // Long descriptor: DENSITY CODE and the reserved bytes 8-11 are 0.
        if let Some(i) = (8..12).find(|&i| byte(i) != 0) {
            return Err(CdbError::invalid_param(pointer(at + i), Some(7)));
        }
        let b = u64::from(be32(0)) << 32 | u64::from(be32(4));
        (b, 12, be32(12))
    } else {
        // Short descriptor: DENSITY CODE (byte 4) must be 0.
        if byte(4) != 0 {
            return Err(CdbError::invalid_param(pointer(at + 4), Some(7)));
        }
        (u64::from(be32(0)), 5, be32(4) & 0x00ff_ffff)
    };
    let current = if longlba {
        m.blocks
    } else {
        m.blocks.min(0xffff_ffff)
    };
    if blocks != 0 && blocks != current {
        return Err(CdbError::invalid_param(pointer(at), Some(7)));
    }
    if len != m.block_size {
        return Err(CdbError::invalid_param(pointer(at + len_at), Some(7)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// LIO's defaults for a 1 GiB fileio disk: write cache on, FUA on,
    /// emulate_tas on, emulate_rest_reord off, UA_INTLCK_CTRL 0.
    const LIO: ModeParams = ModeParams {
        device_type: 0,
        write_protect: false,
        dpofua: true,
        blocks: 0x1f_ffff,
        block_size: 512,
        wce: true,
        d_sense: false,
        restricted_reordering: false,
        ua_intlck_ctrl: 0,
        tas: true,
        ato: false,
    };

    fn sense(
        ten: bool,
        dbd: bool,
        pc: PageControl,
        page: u8,
        subpage: u8,
        m: &ModeParams,
    ) -> Vec<u8> {
        let q = ModeSense {
            ten,
            dbd,
            llbaa: ten,
            pc,
            page,
            subpage,
        };
        let mut big = [0u8; 512];
        let n = encode_mode_sense(&q, m, &mut big).unwrap();
        for cut in 0..n {
            let mut short = std::vec![0x5au8; cut];
            assert_eq!(encode_mode_sense(&q, m, &mut short), Ok(n));
            assert_eq!(short[..], big[..cut]);
        }
        big[..n].to_vec()
    }

    const RW_RECOVERY: [u8; 12] = [0x01, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const CACHING: [u8; 20] = [
        0x08, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0,
    ];
    const CONTROL: [u8; 12] = [0x0a, 0x0a, 0x02, 0x10, 0x00, 0x40, 0, 0, 0xff, 0xff, 0, 30];
    const IEC: [u8; 12] = [0x1c, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    #[test]
    fn mode_sense_6_all_pages_as_lio() {
        let got = sense(false, false, PageControl::Current, 0x3f, 0, &LIO);
        let mut want = std::vec![67, 0x00, 0x10, 8, 0x00, 0x1f, 0xff, 0xff, 0, 0, 0x02, 0x00];
        want.extend_from_slice(&RW_RECOVERY);
        want.extend_from_slice(&CACHING);
        want.extend_from_slice(&CONTROL);
        want.extend_from_slice(&IEC);
        assert_eq!(got, want);
    }

    #[test]
    fn mode_sense_10_one_page_no_block_descriptor() {
        let got = sense(true, true, PageControl::Current, 0x08, 0, &LIO);
        let mut want = std::vec![0, 26, 0, 0x10, 0, 0, 0, 0];
        want.extend_from_slice(&CACHING);
        assert_eq!(got, want);
        // Read-only LUN, no FUA, write cache off, descriptor sense,
        // restricted reordering, UA interlock 2, no TAS.
        let m = ModeParams {
            write_protect: true,
            dpofua: false,
            wce: false,
            d_sense: true,
            restricted_reordering: true,
            ua_intlck_ctrl: 2,
            tas: false,
            ato: true,
            ..LIO
        };
        let got = sense(false, true, PageControl::Current, 0x0a, 0, &m);
        assert_eq!(got[..4], [15, 0, 0x80, 0]);
        assert_eq!(
            got[4..],
            [0x0a, 0x0a, 0x06, 0x00, 0x20, 0x80, 0, 0, 0xff, 0xff, 0, 30]
        );
        let got = sense(false, true, PageControl::Current, 0x08, 0, &m);
        assert_eq!(got[6], 0x00);
    }

    #[test]
    fn long_lba_block_descriptor() {
        let m = ModeParams {
            blocks: 0x1_0000_0000,
            block_size: 4096,
            ..LIO
        };
        let got = sense(true, false, PageControl::Current, 0x01, 0, &m);
        assert_eq!(got[..8], [0, 34, 0, 0x10, 0x01, 0, 0, 16]);
        assert_eq!(
            got[8..24],
            [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0]
        );
        assert_eq!(got[24..], RW_RECOVERY);
        // Short descriptors say 0xffffffff blocks.
        let got = sense(false, false, PageControl::Current, 0x01, 0, &m);
        assert_eq!(got[3..12], [8, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 0]);
        // With LLBAA but a small disk: the short descriptor (as LIO).
        let got = sense(true, false, PageControl::Current, 0x01, 0, &LIO);
        assert_eq!(
            got[..16],
            [0, 26, 0, 0x10, 0, 0, 0, 8, 0, 0x1f, 0xff, 0xff, 0, 0, 2, 0]
        );
    }

    #[test]
    fn subpages_changeable_and_saved() {
        let got = sense(true, true, PageControl::Current, 0x3f, 0xff, &LIO);
        assert_eq!(got.len(), 8 + 12 + 20 + 12 + 32 + 12);
        assert_eq!(got[52..56], [0x4a, 0x01, 0x00, 0x1c]);
        let got = sense(false, true, PageControl::Current, 0x0a, 0x01, &LIO);
        assert_eq!(got.len(), 4 + 32);
        let got = sense(false, true, PageControl::Current, 0x0a, 0xff, &LIO);
        assert_eq!(got.len(), 4 + 12 + 32);
        assert_eq!(got[4..16], CONTROL);
        let got = sense(false, true, PageControl::Current, 0x08, 0xff, &LIO);
        assert_eq!(got[4..], CACHING);
        let got = sense(false, true, PageControl::Changeable, 0x3f, 0, &LIO);
        let mut want = std::vec![59, 0, 0x10, 0];
        want.extend_from_slice(&RW_RECOVERY);
        want.extend_from_slice(&[0x08, 0x12, 0x04]);
        want.resize(4 + 12 + 20, 0);
        want.extend_from_slice(&[0x0a, 0x0a]);
        want.resize(4 + 12 + 20 + 12, 0);
        want.extend_from_slice(&IEC);
        assert_eq!(got, want);
        let q = ModeSense {
            ten: false,
            dbd: false,
            llbaa: false,
            pc: PageControl::Saved,
            page: 0x08,
            subpage: 0,
        };
        let e = encode_mode_sense(&q, &LIO, &mut [0; 64]).unwrap_err();
        assert_eq!((e.asc, e.ascq), (0x39, 0x00));
        assert_eq!(e.field.map(|f| (f.byte, f.bit)), Some((2, Some(7))));
    }

    #[test]
    fn unknown_pages() {
        let mut q = ModeSense {
            ten: false,
            dbd: false,
            llbaa: false,
            pc: PageControl::Current,
            page: 0x03,
            subpage: 0,
        };
        let mut buf = [0u8; 64];
        assert_eq!(
            encode_mode_sense(&q, &LIO, &mut buf),
            Err(CdbError::invalid_field(2, Some(5)))
        );
        q.page = 0x0a;
        q.subpage = 0x02;
        assert_eq!(
            encode_mode_sense(&q, &LIO, &mut buf),
            Err(CdbError::invalid_field(3, Some(7)))
        );
        q.page = 0x3f;
        q.subpage = 0x01;
        assert_eq!(
            encode_mode_sense(&q, &LIO, &mut buf),
            Err(CdbError::invalid_field(3, Some(7)))
        );
    }

    #[test]
    fn mode_select_caching_wce() {
        // What sdparm --clear=WCE sends: MODE SENSE data back, WCE clear.
        let mut data = sense(false, false, PageControl::Current, 0x08, 0, &LIO);
        data[0] = 0;
        data[12 + 2] &= !0x04;
        assert_eq!(
            parse_mode_select(false, &data, &LIO),
            Ok(ModeChanges { wce: Some(false) })
        );
        // Other pages, unchanged, change nothing.
        let data = sense(true, false, PageControl::Current, 0x3f, 0xff, &LIO);
        assert_eq!(
            parse_mode_select(true, &data, &LIO),
            Ok(ModeChanges { wce: Some(true) })
        );
        let data = sense(true, true, PageControl::Current, 0x0a, 0, &LIO);
        assert_eq!(
            parse_mode_select(true, &data, &LIO),
            Ok(ModeChanges::default())
        );
        assert_eq!(
            parse_mode_select(true, &[], &LIO),
            Ok(ModeChanges::default())
        );
    }

    #[test]
    fn mode_select_refusals() {
        let base = sense(false, false, PageControl::Current, 0x08, 0, &LIO);
        // DRA (byte 12 of the page, at 12 + 12) is not changeable.
        let mut d = base.clone();
        d[24] = 0;
        assert_eq!(
            parse_mode_select(false, &d, &LIO),
            Err(CdbError::invalid_param(24, Some(5)))
        );
        // A wrong page length.
        let mut d = base.clone();
        d[13] = 0x0a;
        assert_eq!(
            parse_mode_select(false, &d, &LIO),
            Err(CdbError::invalid_param(13, Some(7)))
        );
        // Cut short inside the page.
        assert_eq!(
            parse_mode_select(false, &base[..20], &LIO),
            Err(CdbError::param_list_length())
        );
        assert_eq!(
            parse_mode_select(true, &base[..5], &LIO),
            Err(CdbError::param_list_length())
        );
        // An unknown page.
        let mut d = base.clone();
        d[12] = 0x03;
        assert_eq!(
            parse_mode_select(false, &d, &LIO),
            Err(CdbError::invalid_param(12, Some(5)))
        );
        // Another block length; a different number of blocks; 0 blocks
        // is "no change".
        let mut d = base.clone();
        d[10] = 0x10;
        assert_eq!(
            parse_mode_select(false, &d, &LIO),
            Err(CdbError::invalid_param(9, Some(7)))
        );
        let mut d = base.clone();
        d[4] = 1;
        assert_eq!(
            parse_mode_select(false, &d, &LIO),
            Err(CdbError::invalid_param(4, Some(7)))
        );
        let mut d = base.clone();
        d[4..8].fill(0);
        assert!(parse_mode_select(false, &d, &LIO).is_ok());
        // A block descriptor length that is not 0 or 8.
        let mut d = base.clone();
        d[3] = 4;
        assert_eq!(
            parse_mode_select(false, &d, &LIO),
            Err(CdbError::invalid_param(3, Some(7)))
        );
        // The control extension subpage under the wrong header format.
        let mut d = sense(false, true, PageControl::Current, 0x0a, 1, &LIO);
        d[0] = 0;
        assert!(parse_mode_select(false, &d, &LIO).is_ok());
        d[4 + 4] = 0x04; // TCMOS is not changeable
        assert_eq!(
            parse_mode_select(false, &d, &LIO),
            Err(CdbError::invalid_param(8, Some(2)))
        );
    }
}
