// SPDX-License-Identifier: GPL-2.0

//! SBC commands: READ CAPACITY, the reads and writes the backstore carries
//! out, SYNCHRONIZE CACHE and VERIFY.

use kernel::prelude::*;

use crate::cdb::{check_range, CdbError, Rw};
use crate::command::{data_in, Outcome, Request};
use crate::fabric::abi;
use crate::lun_map::MappedLun;
use crate::sbc;
use crate::sense::{Sense, SenseKey};

/// INVALID FIELD IN COMMAND INFORMATION UNIT: the transport's length does
/// not match a write's (LIO's TCM_INVALID_FIELD_IN_COMMAND_IU).
const INVALID_FIELD_IN_COMMAND_IU: (u8, u8) = (0x0e, 0x03);
/// UNRECOVERED READ ERROR.
const UNRECOVERED_READ_ERROR: (u8, u8) = (0x11, 0x00);
/// WRITE ERROR.
const WRITE_ERROR: (u8, u8) = (0x0c, 0x00);

/// READ CAPACITY(10): the last LBA, or FFFFFFFFh when it does not fit.
pub(crate) fn read_capacity_10(req: &mut Request<'_>, lun: &MappedLun) -> Outcome {
    let mut out = [0u8; 8];
    let len = sbc::encode_read_capacity_10(
        lun.io.blocks.saturating_sub(1),
        lun.io.block_size,
        &mut out,
    );
    data_in(req, &out[..len.min(8)], 8)
}

/// READ CAPACITY(16).
pub(crate) fn read_capacity_16(req: &mut Request<'_>, lun: &MappedLun, alloc_len: u32) -> Outcome {
    let mut out = [0u8; 32];
    let len = sbc::encode_read_capacity_16(
        &sbc::Capacity16 {
            last_lba: lun.io.blocks.saturating_sub(1),
            block_size: lun.io.block_size,
            ..Default::default()
        },
        &mut out,
    );
    data_in(req, &out[..len.min(32)], alloc_len as usize)
}

/// Checks the range and the transfer limit of a block command.
fn check_blocks(lun: &MappedLun, rw: &Rw) -> Result<(), CdbError> {
    check_range(rw.lba, rw.blocks, lun.io.blocks)?;
    if rw.blocks > lun.io.max_sectors {
        // As LIO: more than hw_max_sectors is an invalid CDB field (the
        // transfer length, bytes 7-8 of a 10-byte CDB; LIO points nowhere).
        return Err(CdbError::invalid_field(0, None));
    }
    Ok(())
}

/// READ or WRITE(6/10/12/16): the backstore moves the data in place.
///
/// The transport's length and the CDB's are reconciled as in LIO: a read
/// moves the smaller of the two and reports the difference (underflow or
/// overflow); a write whose lengths differ is refused, since part of its
/// data would have no place.
pub(crate) fn read_write(req: &mut Request<'_>, lun: &MappedLun, write: bool, rw: &Rw) -> Outcome {
    if let Err(e) = check_blocks(lun, rw) {
        return e.into();
    }
    let block_size = u64::from(lun.io.block_size);
    // At most u32::MAX blocks of at most 4096 bytes: fits u64.
    let expected = u64::from(rw.blocks) * block_size;
    let offered = req.data.len() as u64;
    let wrong_direction = if write {
        req.direction != abi::DIRECTION_TO_DEVICE
    } else {
        req.direction != abi::DIRECTION_FROM_DEVICE
    };
    if expected != 0 && wrong_direction {
        return CdbError::invalid_field(0, None).into();
    }
    if write && offered != expected {
        let (asc, ascq) = INVALID_FIELD_IN_COMMAND_IU;
        return Outcome::check(SenseKey::IllegalRequest, asc, ascq);
    }
    let moved = offered.min(expected);
    // Less than the transport's u32 length.
    req.data.limit(moved as usize);
    if moved != 0 {
        if let Err(e) = lun.dev.read_write(write, rw.lba * block_size, &mut req.data) {
            pr_err!(
                "lun {}: {} of {} blocks at {} failed ({:?})\n",
                req.lun,
                if write { "write" } else { "read" },
                rw.blocks,
                rw.lba,
                e
            );
            let (asc, ascq) = if write {
                WRITE_ERROR
            } else {
                UNRECOVERED_READ_ERROR
            };
            let mut sense = Sense::new(SenseKey::MediumError, asc, ascq);
            sense.information = Some(rw.lba);
            return Outcome::Check(sense);
        }
    }
    Outcome::Good {
        moved: moved as usize,
        overflow: (expected - moved) as usize,
    }
}

/// SYNCHRONIZE CACHE(10/16): the range is checked; the backstores have no
/// cache of their own yet (the ramdisk has none), so nothing is left to do.
pub(crate) fn synchronize_cache(lun: &MappedLun, lba: u64, blocks: u32) -> Outcome {
    match check_range(lba, blocks, lun.io.blocks) {
        Ok(()) => Outcome::NO_DATA,
        Err(e) => e.into(),
    }
}

/// VERIFY(10/12/16) without data (BYTCHK 0): the medium of a ramdisk is
/// always readable; with data to compare it is refused until the engine
/// compares.
pub(crate) fn verify(lun: &MappedLun, rw: &Rw) -> Outcome {
    if rw.bytchk != 0 {
        return CdbError::invalid_field(1, Some(2)).into();
    }
    match check_blocks(lun, rw) {
        Ok(()) => Outcome::NO_DATA,
        Err(e) => e.into(),
    }
}
