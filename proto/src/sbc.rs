// SPDX-License-Identifier: GPL-2.0

//! SBC parameter data: READ CAPACITY(10) and (16) data, GET LBA STATUS
//! data, and the UNMAP parameter list.
//!
//! Encoders write at most `out.len()` bytes and return the full length.
//! Compiled both in the kernel modules and on the host: `core` only.

use crate::cdb::CdbError;

/// READ CAPACITY(10) data, 8 bytes: the last LBA (FFFFFFFFh when it does
/// not fit, telling the initiator to use READ CAPACITY(16)) and the block
/// length, as LIO.
pub fn encode_read_capacity_10(last_lba: u64, block_size: u32, out: &mut [u8]) -> usize {
    let lba = u32::try_from(last_lba).unwrap_or(u32::MAX);
    let mut d = [0u8; 8];
    d[..4].copy_from_slice(&lba.to_be_bytes());
    d[4..].copy_from_slice(&block_size.to_be_bytes());
    copy(&d, out)
}

/// Inputs of READ CAPACITY(16) data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capacity16 {
    pub last_lba: u64,
    pub block_size: u32,
    /// The protection type (1..=3) for P_TYPE and PROT_EN, 0 for none.
    pub prot_type: u8,
    /// LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (4 bits).
    pub lbppbe: u8,
    /// LOWEST ALIGNED LOGICAL BLOCK ADDRESS (14 bits).
    pub lowest_aligned_lba: u16,
    /// LBPME: logical block provisioning (emulate_tpu or emulate_tpws).
    pub lbpme: bool,
    /// LBPRZ: unmapped blocks read as zero; only reported with `lbpme`,
    /// as LIO.
    pub lbprz: bool,
}

/// READ CAPACITY(16) data, 32 bytes (LIO's layout).
pub fn encode_read_capacity_16(c: &Capacity16, out: &mut [u8]) -> usize {
    let mut d = [0u8; 32];
    d[..8].copy_from_slice(&c.last_lba.to_be_bytes());
    d[8..12].copy_from_slice(&c.block_size.to_be_bytes());
    if c.prot_type != 0 {
        d[12] = ((c.prot_type - 1) & 7) << 1 | 0x01;
    }
    d[13] = c.lbppbe & 0x0f;
    d[14..16].copy_from_slice(&(c.lowest_aligned_lba & 0x3fff).to_be_bytes());
    if c.lbpme {
        d[14] |= 0x80;
        if c.lbprz {
            d[14] |= 0x40;
        }
    }
    copy(&d, out)
}

fn copy(d: &[u8], out: &mut [u8]) -> usize {
    for (o, s) in out.iter_mut().zip(d) {
        *o = *s;
    }
    d.len()
}

/// The provisioning status of a run of logical blocks (SBC-3 table 59).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvisioningStatus {
    Mapped = 0,
    Deallocated = 1,
    Anchored = 2,
}

/// One LBA status descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LbaStatus {
    pub lba: u64,
    pub blocks: u32,
    pub status: ProvisioningStatus,
}

/// GET LBA STATUS parameter data (SBC-3 5.7): an 8-byte header whose
/// PARAMETER DATA LENGTH counts the bytes after it, then one 16-byte
/// descriptor per entry. LIO does not emulate the command.
pub fn encode_lba_status<I>(descriptors: I, out: &mut [u8]) -> usize
where
    I: IntoIterator<Item = LbaStatus>,
{
    let mut at = 8usize;
    for s in descriptors {
        let mut d = [0u8; 16];
        d[..8].copy_from_slice(&s.lba.to_be_bytes());
        d[8..12].copy_from_slice(&s.blocks.to_be_bytes());
        d[12] = s.status as u8;
        copy(&d, out.get_mut(at..).unwrap_or(&mut []));
        at += 16;
    }
    let len = u32::try_from(at - 4).unwrap_or(u32::MAX);
    let mut h = [0u8; 8];
    h[..4].copy_from_slice(&len.to_be_bytes());
    copy(&h, out);
    at
}

/// The limits UNMAP is checked against (VPD page B0h and capacity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnmapCheck {
    pub max_unmap_lba_count: u32,
    pub max_unmap_block_desc_count: u32,
    /// The number of logical blocks (last LBA + 1).
    pub capacity: u64,
}

/// A checked UNMAP parameter list: its block descriptors as `(lba,
/// blocks)`, those of 0 blocks left out.
#[derive(Clone, Copy, Debug)]
pub struct UnmapRanges<'a> {
    rest: &'a [u8],
}

impl Iterator for UnmapRanges<'_> {
    type Item = (u64, u32);

    fn next(&mut self) -> Option<(u64, u32)> {
        loop {
            let (d, rest) = self.rest.split_first_chunk::<16>()?;
            self.rest = rest;
            let (lba, blocks) = descriptor(d);
            if blocks != 0 {
                return Some((lba, blocks));
            }
        }
    }
}

fn descriptor(d: &[u8; 16]) -> (u64, u32) {
    let [a, b, c, e, f, g, h, i, j, k, l, m, ..] = *d;
    (
        u64::from_be_bytes([a, b, c, e, f, g, h, i]),
        u32::from_be_bytes([j, k, l, m]),
    )
}

/// Checks an UNMAP parameter list (SBC-3 5.28) whole, before anything is
/// unmapped, and returns its ranges.
///
/// As LIO: an empty list unmaps nothing; a list of 1 to 7 bytes is
/// PARAMETER LIST LENGTH ERROR; a BLOCK DESCRIPTOR DATA LENGTH larger than
/// the list is replaced by what the list holds; a trailing partial
/// descriptor is ignored; more descriptors than allowed is INVALID FIELD
/// IN PARAMETER LIST (pointing at the block descriptor data length), as is
/// a descriptor of more blocks than allowed (pointing at its NUMBER OF
/// LOGICAL BLOCKS); a range past the capacity is LBA OUT OF RANGE. LIO
/// checks descriptor by descriptor while unmapping, so a bad descriptor
/// after good ones leaves those unmapped; here nothing is.
pub fn parse_unmap<'a>(data: &'a [u8], lim: &UnmapCheck) -> Result<UnmapRanges<'a>, CdbError> {
    if data.is_empty() {
        return Ok(UnmapRanges { rest: &[] });
    }
    let Some((hdr, body)) = data.split_first_chunk::<8>() else {
        return Err(CdbError::param_list_length());
    };
    let bd_len = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
    let body = body.get(..bd_len).unwrap_or(body);
    let body = body.get(..body.len() / 16 * 16).unwrap_or(body);
    let count = body.len() / 16;
    if count > usize::try_from(lim.max_unmap_block_desc_count).unwrap_or(usize::MAX) {
        return Err(CdbError::invalid_param(2, Some(7)));
    }
    let mut at = 8usize;
    let mut rest = body;
    while let Some((d, r)) = rest.split_first_chunk::<16>() {
        let (lba, blocks) = descriptor(d);
        if blocks > lim.max_unmap_lba_count {
            let ptr = u16::try_from(at + 8).unwrap_or(u16::MAX);
            return Err(CdbError::invalid_param(ptr, Some(7)));
        }
        crate::cdb::check_range(lba, blocks, lim.capacity)?;
        rest = r;
        at += 16;
    }
    Ok(UnmapRanges { rest: body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn read_capacity() {
        let mut b = [0u8; 8];
        assert_eq!(encode_read_capacity_10(0x1f_ffff, 512, &mut b), 8);
        assert_eq!(b, [0, 0x1f, 0xff, 0xff, 0, 0, 2, 0]);
        encode_read_capacity_10(1 << 33, 4096, &mut b);
        assert_eq!(b, [0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 0]);
        let mut short = [0u8; 3];
        assert_eq!(encode_read_capacity_10(7, 512, &mut short), 8);
        assert_eq!(short, [0, 0, 0]);

        let c = Capacity16 {
            last_lba: 0x1_0000_0000,
            block_size: 512,
            prot_type: 1,
            lbppbe: 3,
            lowest_aligned_lba: 0,
            lbpme: true,
            lbprz: true,
        };
        let mut b = [0xffu8; 32];
        assert_eq!(encode_read_capacity_16(&c, &mut b), 32);
        assert_eq!(
            b[..16],
            [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0x01, 0x03, 0xc0, 0]
        );
        assert_eq!(b[16..], [0; 16]);
        let c = Capacity16 {
            prot_type: 3,
            lbpme: false,
            lowest_aligned_lba: 0x1234,
            ..c
        };
        encode_read_capacity_16(&c, &mut b);
        assert_eq!(b[12..16], [0x05, 0x03, 0x12, 0x34]);
    }

    #[test]
    fn lba_status() {
        let mut b = [0u8; 64];
        let n = encode_lba_status(
            [
                LbaStatus {
                    lba: 5,
                    blocks: 10,
                    status: ProvisioningStatus::Mapped,
                },
                LbaStatus {
                    lba: 15,
                    blocks: 1,
                    status: ProvisioningStatus::Deallocated,
                },
            ],
            &mut b,
        );
        assert_eq!(n, 40);
        assert_eq!(b[..8], [0, 0, 0, 36, 0, 0, 0, 0]);
        assert_eq!(b[8..24], [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 10, 0, 0, 0, 0]);
        assert_eq!(b[24..40], [0, 0, 0, 0, 0, 0, 0, 15, 0, 0, 0, 1, 1, 0, 0, 0]);
        let mut short = [0u8; 12];
        assert_eq!(encode_lba_status(core::iter::empty(), &mut short), 8);
        assert_eq!(short[..4], [0, 0, 0, 4]);
    }

    fn unmap_list(descs: &[(u64, u32)]) -> Vec<u8> {
        let mut v = std::vec![0u8; 8];
        v[..2].copy_from_slice(&((6 + 16 * descs.len()) as u16).to_be_bytes());
        v[2..4].copy_from_slice(&((16 * descs.len()) as u16).to_be_bytes());
        for &(lba, n) in descs {
            v.extend_from_slice(&lba.to_be_bytes());
            v.extend_from_slice(&n.to_be_bytes());
            v.extend_from_slice(&[0; 4]);
        }
        v
    }

    const LIM: UnmapCheck = UnmapCheck {
        max_unmap_lba_count: 100,
        max_unmap_block_desc_count: 2,
        capacity: 1000,
    };

    #[test]
    fn unmap() {
        let l = unmap_list(&[(0, 10), (500, 0), (990, 10)]);
        let lim = UnmapCheck {
            max_unmap_block_desc_count: 3,
            ..LIM
        };
        let r: Vec<_> = parse_unmap(&l, &lim).unwrap().collect();
        assert_eq!(r, [(0, 10), (990, 10)]);
        assert_eq!(
            parse_unmap(&l, &LIM).unwrap_err(),
            CdbError::invalid_param(2, Some(7))
        );
        assert_eq!(parse_unmap(&[], &LIM).unwrap().count(), 0);
        assert_eq!(
            parse_unmap(&[0; 7], &LIM).unwrap_err(),
            CdbError::param_list_length()
        );
        let l = unmap_list(&[(0, 10), (0, 101)]);
        assert_eq!(
            parse_unmap(&l, &LIM).unwrap_err(),
            CdbError::invalid_param(32, Some(7))
        );
        let l = unmap_list(&[(0, 10), (991, 10)]);
        assert_eq!(
            parse_unmap(&l, &LIM).unwrap_err(),
            CdbError::lba_out_of_range()
        );
        let l = unmap_list(&[(u64::MAX, 10)]);
        assert_eq!(
            parse_unmap(&l, &LIM).unwrap_err(),
            CdbError::lba_out_of_range()
        );
        // A descriptor length past the list: what the list holds (LIO);
        // a partial descriptor is ignored.
        let mut l = unmap_list(&[(1, 1)]);
        l[3] = 0xf0;
        l.extend_from_slice(&[1; 10]);
        assert_eq!(parse_unmap(&l, &LIM).unwrap().collect::<Vec<_>>(), [(1, 1)]);
        // A shorter descriptor length wins over the list length.
        let mut l = unmap_list(&[(1, 1), (2, 2)]);
        l[3] = 16;
        assert_eq!(parse_unmap(&l, &LIM).unwrap().collect::<Vec<_>>(), [(1, 1)]);
    }
}
