// SPDX-License-Identifier: GPL-2.0

//! SBC commands: READ CAPACITY, the reads and writes the backstore carries
//! out, SYNCHRONIZE CACHE and VERIFY.

use kernel::prelude::*;

use crate::async_rw::Started;
use crate::capacity;
use crate::cdb::{check_range, CdbError, Rw};
use crate::command::{data_in, Outcome, Request};
use crate::fabric::abi;
use crate::lun_map::LinkedLun;
use crate::sbc;
use crate::sense::{Sense, SenseKey};
use crate::sg::with_kernel_buffer;

/// The most bytes the engine moves through a buffer of its own at once
/// (WRITE SAME's repeated block, VERIFY's medium data): kmalloc'd, so kept
/// small.
const CHUNK: usize = 64 * 1024;
/// MISCOMPARE DURING VERIFY OPERATION.
const MISCOMPARE_DURING_VERIFY: (u8, u8) = (0x1d, 0x00);

/// INVALID FIELD IN COMMAND INFORMATION UNIT: a write's data, as long as
/// the transport says, ends inside a block.
const INVALID_FIELD_IN_COMMAND_IU: (u8, u8) = (0x0e, 0x03);
/// UNRECOVERED READ ERROR.
const UNRECOVERED_READ_ERROR: (u8, u8) = (0x11, 0x00);
/// WRITE ERROR.
const WRITE_ERROR: (u8, u8) = (0x0c, 0x00);
/// SPACE ALLOCATION FAILED WRITE PROTECT.
const SPACE_ALLOCATION_FAILED_WRITE_PROTECT: (u8, u8) = (0x27, 0x07);

/// The last LBA of the device now, or the CHECK CONDITION for a device
/// whose backstore holds no block (it shrank to nothing): NOT READY,
/// MEDIUM NOT PRESENT, as a drive without its medium, rather than a last
/// LBA of 0, which would claim one block.
fn last_lba(lun: &LinkedLun) -> Result<u64, Outcome> {
    capacity::last_lba(lun.blocks()).ok_or_else(|| {
        let (asc, ascq) = capacity::MEDIUM_NOT_PRESENT;
        Outcome::check(SenseKey::NotReady, asc, ascq)
    })
}

/// READ CAPACITY(10): the last LBA, or FFFFFFFFh when it does not fit.
pub(crate) fn read_capacity_10(req: &mut Request<'_>, lun: &LinkedLun) -> Outcome {
    let last_lba = match last_lba(lun) {
        Ok(l) => l,
        Err(o) => return o,
    };
    let mut out = [0u8; 8];
    let len = sbc::encode_read_capacity_10(last_lba, lun.io.block_size, &mut out);
    data_in(req, &out[..len.min(8)], 8)
}

/// READ CAPACITY(16).
pub(crate) fn read_capacity_16(req: &mut Request<'_>, lun: &LinkedLun, alloc_len: u32) -> Outcome {
    let last_lba = match last_lba(lun) {
        Ok(l) => l,
        Err(o) => return o,
    };
    let a = lun.dev.attributes();
    // As LIO: logical block provisioning is on when UNMAP or WRITE SAME
    // with UNMAP is.
    let lbpme = a.emulate_tpu || a.emulate_tpws;
    let mut out = [0u8; 32];
    let len = sbc::encode_read_capacity_16(
        &sbc::Capacity16 {
            last_lba,
            block_size: lun.io.block_size,
            lbpme,
            lbprz: a.unmap_zeroes_data,
            ..Default::default()
        },
        &mut out,
    );
    data_in(req, &out[..len.min(32)], alloc_len as usize)
}

/// Checks the range of a block command. The transfer length is not held
/// to `hw_max_sectors`, as in LIO: that is what the Block Limits page
/// advises, and an initiator that never reads it (no unit serial, so no
/// VPD pages) sends longer commands, which the backstore splits.
fn check_blocks(lun: &LinkedLun, rw: &Rw) -> Result<(), CdbError> {
    check_range(rw.lba, rw.blocks, lun.blocks())
}

/// READ or WRITE(6/10/12/16): the backstore moves the data in place.
///
/// The transport's length (an iSCSI Expected Data Transfer Length, an
/// FCP_DL) and the CDB's are reconciled as FCP-4 9.4.2 and RFC 7143
/// 11.4.5.1 describe: the command moves the smaller of the two and reports
/// the difference, as an underflow (the transport offered more) or an
/// overflow (the CDB asked for more). A write with too little data writes
/// the whole blocks it has; one whose data ends inside a block writes
/// nothing and is refused with INVALID FIELD IN COMMAND INFORMATION UNIT,
/// the overflow reported all the same. LIO moves a read the same way but
/// refuses every write whose lengths differ (lio-differences.md).
///
/// With `may_pend`, a transfer the backstore can leave in flight (a READ,
/// a WRITE without FUA) ends [`Outcome::Pending`] when the request allows
/// it (async_rw.rs).
pub(crate) fn read_write(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    write: bool,
    rw: &Rw,
    may_pend: bool,
) -> Outcome {
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
    let moved = offered.min(expected);
    if write && moved % block_size != 0 {
        let (asc, ascq) = INVALID_FIELD_IN_COMMAND_IU;
        // Less than `expected`, at most u32::MAX blocks of 4096 bytes.
        return Outcome::CheckOverflow(
            Sense::new(SenseKey::IllegalRequest, asc, ascq),
            (expected - moved) as usize,
        );
    }
    // Less than the transport's u32 length.
    req.data.limit(moved as usize);
    let overflow = (expected - moved) as usize;
    // A WRITE with FUA that cannot pend is written, then flushed, below.
    let fua = write && rw.fua;
    if moved != 0 && may_pend && lun.dev.write_may_pend(fua) {
        match crate::async_rw::start(req, lun, write, fua, rw.lba, moved as usize, overflow) {
            Started::Pending => return Outcome::Pending,
            Started::Done(Ok(())) => {
                return Outcome::Good {
                    moved: moved as usize,
                    overflow,
                }
            }
            Started::Done(Err(e)) => return medium_error(write, rw.lba, e),
            // Through `read_write` below.
            Started::Declined => {}
        }
    }
    if moved != 0 {
        if let Err(e) = lun
            .dev
            .read_write(write, rw.lba * block_size, &mut req.data)
        {
            return medium_error(write, rw.lba, e);
        }
        // The decoder takes FUA only while the device has a write cache
        // (`dpofua`): the write reaches the medium before GOOD.
        if write && rw.fua {
            if let Err(e) = lun.dev.flush(rw.lba * block_size, moved) {
                return medium_error(true, rw.lba, e);
            }
        }
    }
    Outcome::Good {
        moved: moved as usize,
        overflow,
    }
}

/// SYNCHRONIZE CACHE(10/16): the range is checked, then the backstore
/// makes it durable (0 blocks: to the end). IMMED is taken, and the command
/// still completes once the data is durable, which SBC-4 allows.
pub(crate) fn synchronize_cache(lun: &LinkedLun, lba: u64, blocks: u32) -> Outcome {
    if let Err(e) = check_range(lba, blocks, lun.blocks()) {
        return e.into();
    }
    let block_size = u64::from(lun.io.block_size);
    if let Err(e) = lun
        .dev
        .flush(lba * block_size, u64::from(blocks) * block_size)
    {
        return medium_error(true, lba, e);
    }
    Outcome::NO_DATA
}

/// A zeroed kmalloc'd buffer of `len` bytes, or TASK SET FULL when there
/// is no memory for it.
fn kernel_buffer(len: usize) -> Result<KVec<u8>, Outcome> {
    let mut v = KVec::new();
    v.resize(len, 0, GFP_KERNEL)
        .map_err(|_| Outcome::TaskSetFull)?;
    Ok(v)
}

/// How a failed access to the medium at `lba` ends, by the backstore's
/// error: a resource it lacked for now (`ENOMEM`, `EAGAIN`) is TASK SET
/// FULL, which the initiator retries; a write that found no space
/// (`ENOSPC`, `EDQUOT`: a sparse file on a full file system, a thin pool)
/// is DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT (SBC-4 4.7.3.6),
/// which Linux hands to the application as ENOSPC; anything else is
/// MEDIUM ERROR with the command's first LBA.
pub(crate) fn medium_error(write: bool, lba: u64, e: Error) -> Outcome {
    pr_err!(
        "{} at LBA {} failed ({:?})\n",
        if write { "write" } else { "read" },
        lba,
        e
    );
    if e == ENOMEM || e == EAGAIN {
        return Outcome::TaskSetFull;
    }
    if write && (e == ENOSPC || e == EDQUOT) {
        let (asc, ascq) = SPACE_ALLOCATION_FAILED_WRITE_PROTECT;
        return Outcome::check(SenseKey::DataProtect, asc, ascq);
    }
    let (asc, ascq) = if write {
        WRITE_ERROR
    } else {
        UNRECOVERED_READ_ERROR
    };
    let mut sense = Sense::new(SenseKey::MediumError, asc, ascq);
    sense.information = Some(lba);
    Outcome::Check(sense)
}

/// WRITE AND VERIFY(10/12/16): the write, made durable before GOOD; the
/// data written is the data compared, so the verification cannot fail
/// short of a medium error, which the write or the flush reports.
pub(crate) fn write_and_verify(req: &mut Request<'_>, lun: &LinkedLun, rw: &Rw) -> Outcome {
    let outcome = read_write(req, lun, true, rw, false);
    if !matches!(outcome, Outcome::Good { .. }) {
        return outcome;
    }
    let block_size = u64::from(lun.io.block_size);
    if let Err(e) = lun
        .dev
        .flush(rw.lba * block_size, u64::from(rw.blocks) * block_size)
    {
        return medium_error(true, rw.lba, e);
    }
    outcome
}

/// WRITE SAME(10/16) without UNMAP: the one block of data-out written to
/// every block of the range, a chunk of copies at a time.
pub(crate) fn write_same(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    lba: u64,
    blocks: u32,
    unmap: bool,
) -> Outcome {
    // LIO's order of checks: the length limit, the range, then UNMAP.
    let a = lun.dev.attributes();
    if blocks > a.max_write_same_len {
        pr_err!(
            "WRITE SAME of {} blocks is more than max_write_same_len {}\n",
            blocks,
            a.max_write_same_len
        );
        return CdbError::invalid_field(0, None).into();
    }
    if let Err(e) = check_range(lba, blocks, lun.blocks()) {
        return e.into();
    }
    if unmap && !(a.emulate_tpws && lun.dev.can_unmap()) {
        pr_err!("WRITE SAME with UNMAP, but emulate_tpws is off\n");
        return CdbError::invalid_opcode().into();
    }
    let bs = lun.io.block_size as usize;
    if req.direction != abi::DIRECTION_TO_DEVICE || req.data.len() < bs {
        let (asc, ascq) = INVALID_FIELD_IN_COMMAND_IU;
        return Outcome::check(SenseKey::IllegalRequest, asc, ascq);
    }
    if unmap {
        if let Some(outcome) = write_same_unmap(req, lun, lba, blocks, a.unmap_zeroes_data) {
            return outcome;
        }
    }
    let per_chunk = (CHUNK / bs).max(1);
    let mut chunk = match kernel_buffer(per_chunk.min(blocks as usize) * bs) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let (first, rest) = chunk.split_at_mut(bs);
    req.data.read_at(0, first);
    for copy in rest.chunks_mut(bs) {
        copy.copy_from_slice(&first[..copy.len()]);
    }
    let mut at = lba;
    let end = lba + u64::from(blocks);
    while at < end {
        // At most `per_chunk`, a usize.
        let n = (end - at).min(per_chunk as u64) as usize;
        let written = with_kernel_buffer(&mut chunk, |buf| {
            buf.limit(n * bs);
            lun.dev.read_write(true, at * bs as u64, buf)
        });
        if let Err(e) = written {
            return medium_error(true, at, e);
        }
        at += n as u64;
    }
    Outcome::Good {
        moved: bs,
        overflow: 0,
    }
}

/// WRITE SAME with UNMAP: the range is deallocated, as LIO does, unless
/// the device promises zeros after an unmap (`unmap_zeroes_data`, LBPRZ)
/// and the block is not zeros: then the block is written, since an unmap
/// would make the range read as something the initiator did not send
/// (SBC-4 lets the device server write instead). `None`: write it.
fn write_same_unmap(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    lba: u64,
    blocks: u32,
    reads_zeros: bool,
) -> Option<Outcome> {
    let bs = lun.io.block_size as usize;
    let mut block = match kernel_buffer(bs) {
        Ok(b) => b,
        Err(o) => return Some(o),
    };
    req.data.read_at(0, &mut block);
    if reads_zeros && block.iter().any(|&b| b != 0) {
        return None;
    }
    let block_size = u64::from(lun.io.block_size);
    if let Err(e) = lun
        .dev
        .unmap(lba * block_size, u64::from(blocks) * block_size)
    {
        return Some(medium_error(true, lba, e));
    }
    Some(Outcome::Good {
        moved: bs,
        overflow: 0,
    })
}

/// UNMAP: the parameter list is checked whole (proto/src/sbc.rs), then each
/// range is deallocated. Only with `emulate_tpu` on a backstore that
/// deallocates, as LIO.
pub(crate) fn unmap(req: &mut Request<'_>, lun: &LinkedLun, param_len: u16) -> Outcome {
    let a = lun.dev.attributes();
    if !(a.emulate_tpu && lun.dev.can_unmap()) {
        pr_err!("UNMAP, but emulate_tpu is off\n");
        return CdbError::invalid_opcode().into();
    }
    // The transport's length and the CDB's: the smaller is the list, the
    // difference a residual, as for any control command.
    let offered = if req.direction == abi::DIRECTION_TO_DEVICE {
        req.data.len()
    } else {
        0
    };
    let len = offered.min(usize::from(param_len));
    let mut list = match kernel_buffer(len) {
        Ok(b) => b,
        Err(o) => return o,
    };
    req.data.read_at(0, &mut list);
    let check = sbc::UnmapCheck {
        max_unmap_lba_count: a.max_unmap_lba_count,
        max_unmap_block_desc_count: a.max_unmap_block_desc_count,
        capacity: lun.blocks(),
    };
    let ranges = match sbc::parse_unmap(&list, &check) {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let block_size = u64::from(lun.io.block_size);
    for (lba, blocks) in ranges {
        if let Err(e) = lun
            .dev
            .unmap(lba * block_size, u64::from(blocks) * block_size)
        {
            return medium_error(true, lba, e);
        }
    }
    Outcome::Good {
        moved: len,
        overflow: usize::from(param_len) - len,
    }
}

/// COMPARE AND WRITE: the first half of the data-out is compared with the
/// medium and, if equal, the second half written, with no other write to
/// the device in between (see write_gate.rs). A difference is MISCOMPARE
/// with the offset of the first differing byte, and nothing is written.
pub(crate) fn compare_and_write(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    lba: u64,
    blocks: u8,
    fua: bool,
) -> Outcome {
    if let Err(e) = check_range(lba, blocks.into(), lun.blocks()) {
        return e.into();
    }
    let bs = lun.io.block_size as usize;
    let n = usize::from(blocks) * bs;
    let to_device = req.direction == abi::DIRECTION_TO_DEVICE || n == 0;
    if !to_device || req.data.len() != 2 * n {
        let (asc, ascq) = INVALID_FIELD_IN_COMMAND_IU;
        return Outcome::check(SenseKey::IllegalRequest, asc, ascq);
    }
    // As LIO: NUMBER OF LOGICAL BLOCKS 0 compares and writes nothing.
    if n == 0 {
        return Outcome::NO_DATA;
    }
    let mut medium = match kernel_buffer(n) {
        Ok(b) => b,
        Err(o) => return o,
    };
    let mut expected = match kernel_buffer(n) {
        Ok(b) => b,
        Err(o) => return o,
    };
    req.data.read_at(0, &mut expected);
    let offset = lba * bs as u64;
    let data = &mut req.data;
    let outcome = lun.dev.compare_and_write(|m| {
        if let Err(e) = with_kernel_buffer(&mut medium, |buf| m.read_write(false, offset, buf)) {
            return medium_error(false, lba, e);
        }
        if let Some(i) = medium.iter().zip(&expected).position(|(a, b)| a != b) {
            let (asc, ascq) = MISCOMPARE_DURING_VERIFY;
            let mut sense = Sense::new(SenseKey::Miscompare, asc, ascq);
            sense.information = Some(i as u64);
            return Outcome::Check(sense);
        }
        // The write half, through the buffer the medium was read into.
        data.read_at(n, &mut medium);
        if let Err(e) = with_kernel_buffer(&mut medium, |buf| m.read_write(true, offset, buf)) {
            return medium_error(true, lba, e);
        }
        Outcome::NO_DATA
    });
    if !matches!(outcome, Outcome::Good { .. }) {
        return outcome;
    }
    if fua {
        if let Err(e) = lun.dev.flush(offset, n as u64) {
            return medium_error(true, lba, e);
        }
    }
    Outcome::Good {
        moved: 2 * n,
        overflow: 0,
    }
}

/// VERIFY(10/12/16): without data (BYTCHK 0) the range is checked; with
/// BYTCHK 1 the data-out is compared with the medium, with BYTCHK 3 its
/// one block with every block of the range. A difference is MISCOMPARE
/// with the offset of the first differing byte in INFORMATION (SBC-4).
pub(crate) fn verify(req: &mut Request<'_>, lun: &LinkedLun, rw: &Rw) -> Outcome {
    if let Err(e) = check_blocks(lun, rw) {
        return e.into();
    }
    let bs = lun.io.block_size as usize;
    let expected = match rw.bytchk {
        0 => return Outcome::NO_DATA,
        1 => rw.blocks as usize * bs,
        3 => bs,
        // BYTCHK 2 is reserved.
        _ => return CdbError::invalid_field(1, Some(2)).into(),
    };
    if req.data.len() != expected {
        let (asc, ascq) = INVALID_FIELD_IN_COMMAND_IU;
        return Outcome::check(SenseKey::IllegalRequest, asc, ascq);
    }
    let per_chunk = (CHUNK / bs).max(1);
    let mut medium = match kernel_buffer(per_chunk.min(rw.blocks as usize) * bs) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let mut sent = match kernel_buffer(medium.len()) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let mut done = 0usize;
    let total = rw.blocks as usize * bs;
    while done < total {
        let n = (total - done).min(medium.len());
        let lba = rw.lba + (done / bs) as u64;
        let read = with_kernel_buffer(&mut medium, |buf| {
            buf.limit(n);
            lun.dev.read_write(false, lba * bs as u64, buf)
        });
        if let Err(e) = read {
            return medium_error(false, lba, e);
        }
        if rw.bytchk == 1 {
            req.data.read_at(done, &mut sent[..n]);
        } else {
            let (block, _) = sent.split_at_mut(bs);
            req.data.read_at(0, block);
            let (first, rest) = sent.split_at_mut(bs);
            for copy in rest.chunks_mut(bs) {
                copy.copy_from_slice(&first[..copy.len()]);
            }
        }
        if let Some(i) = medium[..n].iter().zip(&sent[..n]).position(|(a, b)| a != b) {
            let (asc, ascq) = MISCOMPARE_DURING_VERIFY;
            let mut sense = Sense::new(SenseKey::Miscompare, asc, ascq);
            sense.information = Some((done + i) as u64);
            return Outcome::Check(sense);
        }
        done += n;
    }
    Outcome::Good {
        moved: expected,
        overflow: 0,
    }
}

/// GET LBA STATUS: every block from `lba` to the end reported mapped, in
/// descriptors of at most 2^32 - 1 blocks. True unless UNMAP has
/// deallocated blocks, and then still safe: an initiator that believes a
/// deallocated block mapped reads or copies it, where the reverse would
/// make it skip data.
pub(crate) fn get_lba_status(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    lba: u64,
    alloc_len: u32,
) -> Outcome {
    // Read once: the capacity may change meanwhile.
    let capacity = lun.blocks();
    if lba >= capacity {
        return CdbError::lba_out_of_range().into();
    }
    let remaining = capacity - lba;
    // One descriptor covers the rest when it fits; the initiator asks again
    // from where the first one ends otherwise.
    let blocks = u32::try_from(remaining).unwrap_or(u32::MAX);
    let mut out = [0u8; 24];
    let len = sbc::encode_lba_status(
        [sbc::LbaStatus {
            lba,
            blocks,
            status: sbc::ProvisioningStatus::Mapped,
        }],
        &mut out,
    );
    data_in(req, &out[..len.min(24)], alloc_len as usize)
}

#[kernel::prelude::kunit_tests(tcm_rs_core_io_failure)]
mod tests {
    use super::*;

    /// The sense key, ASC and ASCQ of a CHECK CONDITION, `None` otherwise.
    fn check(o: &Outcome) -> Option<(SenseKey, u8, u8, Option<u64>)> {
        match o {
            Outcome::Check(s) => Some((s.key, s.asc, s.ascq, s.information)),
            _ => None,
        }
    }

    #[test]
    fn lack_of_resources_is_task_set_full() {
        assert!(matches!(
            medium_error(false, 7, ENOMEM),
            Outcome::TaskSetFull
        ));
        assert!(matches!(
            medium_error(true, 7, EAGAIN),
            Outcome::TaskSetFull
        ));
    }

    #[test]
    fn no_space_on_a_write_is_space_allocation_failed() {
        let (asc, ascq) = SPACE_ALLOCATION_FAILED_WRITE_PROTECT;
        let want = Some((SenseKey::DataProtect, asc, ascq, None));
        assert_eq!(check(&medium_error(true, 7, ENOSPC)), want);
        assert_eq!(check(&medium_error(true, 7, EDQUOT)), want);
    }

    #[test]
    fn other_failures_are_medium_errors_at_the_lba() {
        let (asc, ascq) = UNRECOVERED_READ_ERROR;
        let lba = 1 << 40;
        assert_eq!(
            check(&medium_error(false, lba, EIO)),
            Some((SenseKey::MediumError, asc, ascq, Some(lba)))
        );
        // A read cannot run out of space: whatever the errno, it failed.
        assert_eq!(
            check(&medium_error(false, lba, ENOSPC)),
            Some((SenseKey::MediumError, asc, ascq, Some(lba)))
        );
        let (asc, ascq) = WRITE_ERROR;
        assert_eq!(
            check(&medium_error(true, 9, EIO)),
            Some((SenseKey::MediumError, asc, ascq, Some(9)))
        );
    }
}
