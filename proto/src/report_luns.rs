// SPDX-License-Identifier: GPL-2.0

//! REPORT LUNS parameter data (SPC-4 6.33) and the SAM-5 8-byte LUN
//! encoding.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

/// How LUN numbers become 8-byte LUNs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LunFormat {
    /// As Linux's int_to_scsilun() and LIO: the number's 16-bit levels,
    /// low level first, each big-endian. LUN 0..=255 is peripheral device
    /// addressing; a number that carries SAM address method bits (as
    /// Linux's scsilun_to_int() makes them, 0x4000 | n for flat n) keeps
    /// them. LIO reports a mapped LUN 256..=16383 this way, which is
    /// peripheral addressing of bus (n >> 8), and Linux reads it back as
    /// the same number.
    Linux,
    /// SAM-5 for plain LUN numbers: peripheral device addressing below
    /// 256, flat space addressing (01b) up to 16383; larger numbers as
    /// [`LunFormat::Linux`].
    Flat,
}

/// When LUN 0 is reported without being mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lun0 {
    /// As LIO: when the initiator can see no LUN at all, LUN 0 is reported
    /// (LIO answers commands to it from its virtual LUN 0).
    IfEmpty,
    /// LUN 0 is added first whenever it is not in the list (SAM-5 wants a
    /// target to answer LUN 0).
    IfAbsent,
    /// Only the mapped LUNs are reported.
    Never,
}

/// The 8-byte LUN for `lun` in Linux's int_to_scsilun() layout.
pub const fn int_to_scsilun(lun: u64) -> [u8; 8] {
    [
        (lun >> 8) as u8,
        lun as u8,
        (lun >> 24) as u8,
        (lun >> 16) as u8,
        (lun >> 40) as u8,
        (lun >> 32) as u8,
        (lun >> 56) as u8,
        (lun >> 48) as u8,
    ]
}

/// The LUN number of an 8-byte LUN, as Linux's scsilun_to_int(): the
/// inverse of [`int_to_scsilun`].
pub const fn scsilun_to_int(lun: &[u8; 8]) -> u64 {
    u64::from_be_bytes([
        lun[6], lun[7], lun[4], lun[5], lun[2], lun[3], lun[0], lun[1],
    ])
}

/// The 8-byte LUN for `lun` in `format`.
pub const fn encode_lun(lun: u64, format: LunFormat) -> [u8; 8] {
    match format {
        LunFormat::Flat if lun >= 256 && lun < 0x4000 => int_to_scsilun(lun | 0x4000),
        _ => int_to_scsilun(lun),
    }
}

/// REPORT LUNS parameter data for the LUNs `luns` (each once) visible to
/// the initiator, with LUN 0 added as `lun0` says. Writes at most
/// `out.len()` bytes: the LUN LIST LENGTH always counts every LUN, as
/// SPC-4 wants and LIO does. Returns the full length (8 + 8 per LUN).
///
/// `select_report` is the CDB's field: 01h (well-known LUNs only) and 10h
/// (administrative LUNs only) give an empty list, since we have neither;
/// the others give the LUN inventory. LIO ignores the field.
pub fn encode_report_luns<I>(
    luns: I,
    select_report: u8,
    lun0: Lun0,
    format: LunFormat,
    out: &mut [u8],
) -> usize
where
    I: IntoIterator<Item = u64>,
    I::IntoIter: Clone,
{
    let luns = luns.into_iter();
    let listed = !matches!(select_report, 0x01 | 0x10);
    let mut count: u64 = 0;
    let mut has0 = false;
    let mut at = 8usize;
    let put = |out: &mut [u8], lun: u64, at: &mut usize| {
        let bytes = encode_lun(lun, format);
        for (i, b) in bytes.iter().enumerate() {
            if let Some(d) = out.get_mut(*at + i) {
                *d = *b;
            }
        }
        *at += 8;
    };
    if listed {
        let mut empty = true;
        for lun in luns.clone() {
            empty = false;
            if lun == 0 {
                has0 = true;
            }
        }
        let add0 = match lun0 {
            Lun0::IfEmpty => empty,
            Lun0::IfAbsent => !has0,
            Lun0::Never => false,
        };
        if add0 {
            put(out, 0, &mut at);
            count += 1;
        }
        for lun in luns {
            put(out, lun, &mut at);
            count += 1;
        }
    }
    let list_len = u32::try_from(count * 8).unwrap_or(u32::MAX);
    let header = list_len.to_be_bytes();
    for (i, b) in header.iter().chain(&[0u8; 4]).enumerate() {
        if let Some(d) = out.get_mut(i) {
            *d = *b;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn report(luns: &[u64], select: u8, lun0: Lun0, format: LunFormat) -> Vec<u8> {
        let mut big = [0u8; 256];
        let n = encode_report_luns(luns.iter().copied(), select, lun0, format, &mut big);
        for cut in 0..n {
            let mut short = std::vec![0x77u8; cut];
            let m = encode_report_luns(luns.iter().copied(), select, lun0, format, &mut short);
            assert_eq!(m, n);
            assert_eq!(short[..], big[..cut]);
        }
        big[..n].to_vec()
    }

    #[test]
    fn lun_encoding_as_linux() {
        assert_eq!(int_to_scsilun(0), [0; 8]);
        assert_eq!(int_to_scsilun(5), [0, 5, 0, 0, 0, 0, 0, 0]);
        assert_eq!(int_to_scsilun(256), [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(int_to_scsilun(0x4001), [0x40, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            int_to_scsilun(0x0102_0304_0506_0708),
            [0x07, 0x08, 0x05, 0x06, 0x03, 0x04, 0x01, 0x02]
        );
        for lun in [
            0,
            1,
            255,
            256,
            0x3fff,
            0x4001,
            u64::MAX,
            0x0102_0304_0506_0708,
        ] {
            assert_eq!(scsilun_to_int(&int_to_scsilun(lun)), lun);
        }
        assert_eq!(encode_lun(7, LunFormat::Flat), int_to_scsilun(7));
        assert_eq!(encode_lun(256, LunFormat::Flat)[..2], [0x41, 0x00]);
        assert_eq!(encode_lun(0x3fff, LunFormat::Flat)[..2], [0x7f, 0xff]);
        assert_eq!(encode_lun(0x4000, LunFormat::Flat)[..2], [0x40, 0x00]);
    }

    #[test]
    fn lio_reports_lun_0_when_nothing_is_mapped() {
        let got = report(&[], 0, Lun0::IfEmpty, LunFormat::Linux);
        assert_eq!(got, [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(report(&[], 0, Lun0::Never, LunFormat::Linux), [0; 8]);
        let got = report(&[3, 1], 0, Lun0::IfEmpty, LunFormat::Linux);
        assert_eq!(got.len(), 24);
        assert_eq!(got[..8], [0, 0, 0, 16, 0, 0, 0, 0]);
        assert_eq!(got[8..10], [0, 3]);
        assert_eq!(got[16..18], [0, 1]);
    }

    #[test]
    fn lun_0_if_absent_and_select_report() {
        let got = report(&[2, 300], 2, Lun0::IfAbsent, LunFormat::Flat);
        assert_eq!(got.len(), 32);
        assert_eq!(got[3], 24);
        assert_eq!(got[8..16], [0; 8]);
        assert_eq!(got[16..18], [0, 2]);
        assert_eq!(got[24..26], [0x41, 0x2c]);
        let got = report(&[0, 2], 0, Lun0::IfAbsent, LunFormat::Linux);
        assert_eq!(got.len(), 24);
        // Well-known LUNs only: we have none.
        assert_eq!(report(&[0, 2], 1, Lun0::IfAbsent, LunFormat::Linux), [0; 8]);
    }

    #[test]
    fn list_length_counts_what_does_not_fit() {
        let luns: Vec<u64> = (0..40).collect();
        let mut out = [0u8; 16];
        let n = encode_report_luns(
            luns.iter().copied(),
            0,
            Lun0::IfEmpty,
            LunFormat::Linux,
            &mut out,
        );
        assert_eq!(n, 8 + 40 * 8);
        assert_eq!(out[..8], [0, 0, 0x01, 0x40, 0, 0, 0, 0]);
    }
}
