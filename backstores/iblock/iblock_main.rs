// SPDX-License-Identifier: GPL-2.0

//! tcm_rs_iblock: the iblock backstore, `iblock` in HBA names (LIO's
//! target_core_iblock): a block device behind a LUN, driven with bios.
//!
//! `control` takes LIO's keys: `udev_path=<block device>`, `readonly=0|1`
//! (open the device for reading only and refuse writes), `exclusive=0|1`
//! (claim the device, the default) and `force=<n>` (accepted and ignored,
//! as LIO does). Enable opens the device as LIO does and takes the geometry
//! from its queue; reads and writes go to the device as bios built on the
//! command's own pages, SYNCHRONIZE CACHE is a cache flush and UNMAP a
//! discard. The block layer calls are in iblock_bio.c.

use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::str::BStr;

#[path = "../../sdk/backstore.rs"]
mod sdk;

// Shared parsing code: a library of which this module uses a part.
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/control.rs"]
mod control;
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/text.rs"]
mod text;

use sdk::{Backstore, DeviceGeometry, InfoWriter, PendingIo, Registration, SgBuffer, Submitted};

module! {
    type: IblockModule,
    name: "tcm_rs_iblock",
    authors: ["The tcm-rs developers"],
    description: "tcm-rs iblock backstore",
    license: "GPL v2",
    alias: ["tcm_rs_backstore_iblock"],
}

struct IblockModule {
    // Dropped first: no device, so no I/O, is left when the workqueue and
    // the bio set go.
    _registration: Registration<Iblock>,
    _shared: Shared,
}

impl kernel::Module for IblockModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let shared = Shared::new()?;
        Ok(Self {
            _registration: Registration::new()?,
            _shared: shared,
        })
    }
}

/// The module's workqueue and bio set in iblock_bio.c, made once at load
/// and destroyed when this value goes.
struct Shared;

impl Shared {
    fn new() -> Result<Self> {
        // SAFETY: Called once, at module load, before any device exists.
        kernel::error::to_result(unsafe { tcm_rs_iblock_init() })?;
        Ok(Self)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: Made in `new`; the registration is gone by now, so no
        // device, and no I/O that could use them, is left.
        unsafe { tcm_rs_iblock_exit() };
    }
}

/// The longest device name %pg prints, with its NUL (iblock_bio.h).
const NAME_LEN: usize = 32;

/// What iblock_bio.c tells about an open block device
/// (`struct tcm_rs_iblock_info`).
#[repr(C)]
struct BdevInfo {
    nr_bytes: u64,
    block_size: u32,
    max_hw_sectors: u32,
    nr_requests: u32,
    max_discard_sectors: u32,
    discard_granularity: u32,
    discard_alignment: u32,
    max_write_zeroes_sectors: u32,
    major: u32,
    minor: u32,
    nonrot: u8,
    write_cache: u8,
    name: [u8; NAME_LEN],
}

// The size iblock_bio.c asserts for `struct tcm_rs_iblock_info`.
const _: () = assert!(core::mem::size_of::<BdevInfo>() == 80);

impl BdevInfo {
    const fn new() -> Self {
        Self {
            nr_bytes: 0,
            block_size: 0,
            max_hw_sectors: 0,
            nr_requests: 0,
            max_discard_sectors: 0,
            discard_granularity: 0,
            discard_alignment: 0,
            max_write_zeroes_sectors: 0,
            major: 0,
            minor: 0,
            nonrot: 0,
            write_cache: 0,
            name: [0; NAME_LEN],
        }
    }

    /// The device's name without its NUL.
    fn name(&self) -> &[u8] {
        let end = self.name.iter().position(|&c| c == 0).unwrap_or(NAME_LEN);
        &self.name[..end]
    }
}

// `struct file` is opaque here (`void *`): Rust only passes it back to C.
extern "C" {
    fn tcm_rs_iblock_init() -> c_int;
    fn tcm_rs_iblock_exit();
    fn tcm_rs_iblock_open(
        path: *const c_char,
        readonly: bool,
        holder: *mut c_void,
        out: *mut *mut c_void,
    ) -> c_int;
    fn tcm_rs_iblock_close(f: *mut c_void);
    fn tcm_rs_iblock_info(f: *mut c_void, info: *mut BdevInfo);
    fn tcm_rs_iblock_nr_bytes(f: *mut c_void) -> u64;
    fn tcm_rs_iblock_rw(
        f: *mut c_void,
        sgl: *mut bindings::scatterlist,
        nents: u32,
        len: usize,
        pos: u64,
        write: bool,
    ) -> c_int;
    fn tcm_rs_iblock_rw_async(
        f: *mut c_void,
        sgl: *mut bindings::scatterlist,
        nents: u32,
        len: usize,
        pos: u64,
        write: bool,
        fua: bool,
        token: *mut c_void,
    ) -> c_int;
    fn tcm_rs_iblock_flush(f: *mut c_void) -> c_int;
    fn tcm_rs_iblock_discard(f: *mut c_void, pos: u64, len: u64) -> c_int;
}

/// What `tcm_rs_iblock_rw_async` returns while its bios are in flight
/// (iblock_bio.h).
const IBLOCK_PENDING: c_int = 1;

/// The longest `udev_path` (LIO's `SE_UDEV_PATH_LEN` less the NUL).
const MAX_PATH: usize = 511;
/// The block layer's sector.
const SECTOR_SIZE: u64 = 512;
/// The most blocks one WRITE SAME may write on a device without a write
/// zeroes limit (LIO's: WRITE SAME(10) has a 16-bit block count).
const DEFAULT_MAX_WRITE_SAME: u32 = 0xffff;

/// An open block device, closed when dropped.
///
/// # Invariants
///
/// `0` is a block device file opened by `tcm_rs_iblock_open`, not yet
/// closed.
struct OpenBdev(*mut c_void);

// SAFETY: A block device file may be used and closed from any thread; the
// block layer calls made on it do their own locking.
unsafe impl Send for OpenBdev {}
// SAFETY: As above: bios to one block device may be submitted from any
// number of threads at once.
unsafe impl Sync for OpenBdev {}

impl OpenBdev {
    /// Opens the block device at `path` (NUL-terminated) as LIO does,
    /// claimed by `holder` unless it is null.
    fn open(path: &CStr, readonly: bool, holder: *mut c_void) -> Result<Self> {
        let mut f = core::ptr::null_mut();
        // SAFETY: `path` is NUL-terminated and `f` writable for the call;
        // `holder` is only compared by the block layer, never dereferenced.
        kernel::error::to_result(unsafe {
            tcm_rs_iblock_open(path.as_char_ptr(), readonly, holder, &mut f)
        })?;
        // INVARIANT: The open succeeded.
        Ok(Self(f))
    }

    fn info(&self) -> BdevInfo {
        let mut info = BdevInfo::new();
        // SAFETY: The device is open (type invariant); `info` is writable.
        unsafe { tcm_rs_iblock_info(self.0, &mut info) };
        info
    }

    /// The device's size in bytes now.
    fn nr_bytes(&self) -> u64 {
        // SAFETY: The device is open (type invariant).
        unsafe { tcm_rs_iblock_nr_bytes(self.0) }
    }
}

impl Drop for OpenBdev {
    fn drop(&mut self) {
        // SAFETY: Open by the type invariant, and closed only here, once.
        unsafe { tcm_rs_iblock_close(self.0) };
    }
}

struct Iblock;

/// An enabled device's block device and what `info` shows of it.
struct Claimed {
    bdev: OpenBdev,
    info: BdevInfo,
    /// log2 of the logical block size the device was enabled with: bytes
    /// to blocks (`blocks`).
    block_shift: u32,
}

/// One iblock device.
struct IbDevice {
    /// `udev_path`, NUL-terminated; empty until set.
    udev_path: KVec<u8>,
    readonly: bool,
    exclusive: bool,
    /// The block device, once enabled.
    claimed: Option<Claimed>,
}

impl IbDevice {
    /// The path without its NUL, empty until set.
    fn path_bytes(&self) -> &[u8] {
        match self.udev_path.split_last() {
            Some((_, path)) => path,
            None => &[],
        }
    }
}

/// Parses a flag as `0` or `1` (`kstrtoul` syntax, so `0x1` too).
fn parse_flag(value: &[u8]) -> Option<bool> {
    match text::parse_u64(value) {
        Ok(0) => Some(false),
        Ok(1) => Some(true),
        _ => None,
    }
}

impl Backstore for Iblock {
    const NAME: &'static CStr = c"iblock";
    const PRODUCT: &'static CStr = c"IBLOCK";
    const REVISION: &'static CStr = c"4.0";
    type Device = IbDevice;

    fn alloc_device(_name: &CStr) -> Result<IbDevice> {
        Ok(IbDevice {
            udev_path: KVec::new(),
            readonly: false,
            // As LIO: claimed unless told otherwise.
            exclusive: true,
            claimed: None,
        })
    }

    /// Parses the whole write first and applies it only if every pair is
    /// valid, so a refused write changes nothing.
    fn set_params(dev: &mut IbDevice, input: &[u8]) -> Result {
        let mut path: Option<&[u8]> = None;
        let (mut readonly, mut exclusive) = (dev.readonly, dev.exclusive);
        for item in control::items(input) {
            match item {
                control::ControlItem::Pair {
                    key: b"udev_path",
                    value,
                } => {
                    if value.is_empty() || value.len() > MAX_PATH || value.contains(&0) {
                        pr_err!(
                            "iblock: udev_path must be a path of 1 to {} bytes\n",
                            MAX_PATH
                        );
                        return Err(EINVAL);
                    }
                    path = Some(value);
                }
                control::ControlItem::Pair {
                    key: b"readonly",
                    value,
                } => {
                    readonly = parse_flag(value).ok_or_else(|| {
                        pr_err!("iblock: readonly takes 0 or 1\n");
                        EINVAL
                    })?;
                }
                control::ControlItem::Pair {
                    key: b"exclusive",
                    value,
                } => {
                    exclusive = parse_flag(value).ok_or_else(|| {
                        pr_err!("iblock: exclusive takes 0 or 1\n");
                        EINVAL
                    })?;
                }
                // LIO accepts and ignores it; rtslib-fb does not write it.
                control::ControlItem::Pair {
                    key: b"force",
                    value,
                } => {
                    if text::parse_i32(value).is_err() {
                        pr_err!("iblock: force takes a number\n");
                        return Err(EINVAL);
                    }
                }
                control::ControlItem::Pair { .. } | control::ControlItem::Malformed(_) => {
                    pr_err!("iblock: control takes udev_path=<block device>, readonly=0|1, exclusive=0|1 and force=<n>\n");
                    return Err(EINVAL);
                }
            }
        }
        if let Some(value) = path {
            let mut copy = KVec::with_capacity(value.len() + 1, GFP_KERNEL)?;
            copy.extend_from_slice(value, GFP_KERNEL)?;
            copy.push(0, GFP_KERNEL)?;
            dev.udev_path = copy;
        }
        dev.readonly = readonly;
        dev.exclusive = exclusive;
        Ok(())
    }

    /// LIO's layout, spaces and line breaks included.
    fn show_params(dev: &IbDevice, out: &mut InfoWriter<'_>) -> Result {
        if let Some(c) = &dev.claimed {
            out.emit(fmt!("iBlock device: {}", BStr::from_bytes(c.info.name())))?;
        }
        if !dev.udev_path.is_empty() {
            out.emit(fmt!("  UDEV PATH: {}", BStr::from_bytes(dev.path_bytes())))?;
        }
        out.emit(fmt!(
            "  readonly: {}\n  exclusive: {}\n        ",
            u8::from(dev.readonly),
            u8::from(dev.exclusive)
        ))?;
        match &dev.claimed {
            Some(c) => out.emit(fmt!(
                "Major: {} Minor: {}  CLAIMED: IBLOCK\n",
                c.info.major,
                c.info.minor
            )),
            None => out.emit(fmt!("Major: 0 Minor: 0\n")),
        }
    }

    fn enable(dev: &mut IbDevice) -> Result<DeviceGeometry> {
        if dev.udev_path.is_empty() {
            pr_err!("Missing udev_path= parameters for IBLOCK\n");
            return Err(EINVAL);
        }
        // The device's state never moves (the SDK boxes it), so its address
        // names this device as the block device's holder while it is open.
        let holder = if dev.exclusive {
            core::ptr::from_mut(&mut *dev).cast::<c_void>()
        } else {
            core::ptr::null_mut()
        };
        let path = CStr::from_bytes_with_nul(&dev.udev_path).map_err(|_| EINVAL)?;
        // Closed again on any failure below, when `bdev` goes.
        let bdev = OpenBdev::open(path, dev.readonly, holder)?;
        let info = bdev.info();
        let block_size = info.block_size;
        if block_size == 0 {
            return Err(EINVAL);
        }
        // The block layer's logical block sizes are powers of two.
        let block_shift = block_size.trailing_zeros();
        let blocks = info.nr_bytes >> block_shift;
        if blocks == 0 {
            pr_err!(
                "iblock: {} holds no whole {}-byte block\n",
                BStr::from_bytes(dev.path_bytes()),
                block_size
            );
            return Err(EINVAL);
        }
        // As LIO: the queue's limit in 512-byte sectors, in logical blocks.
        let max_sectors = u64::from(info.max_hw_sectors) * SECTOR_SIZE / u64::from(block_size);
        // 512-byte sectors to blocks: a power of two of at least 512.
        let shift = block_size.trailing_zeros().saturating_sub(9);
        let mut geometry = DeviceGeometry {
            block_size,
            blocks,
            max_sectors: u32::try_from(max_sectors).unwrap_or(u32::MAX),
            queue_depth: info.nr_requests,
            nonrot: info.nonrot,
            // The device's own volatile cache, which `flush` empties (LIO
            // reports it as WCE in the caching mode page).
            write_cache: info.write_cache,
            // Opened for reading only: the LUNs are write-protected.
            read_only: u8::from(dev.readonly),
            // An admin may grow or shrink the disk (an LV, a loop device):
            // `blocks` tells the core, as LIO's iblock_get_blocks reads
            // the size at each READ CAPACITY.
            resizable: 1,
            // Flushes, discards and the transfers of the commands that
            // cannot pend wait for their bios; plain reads and writes
            // pend (`read_write_async`) and are not queued for it.
            sleeps: 1,
            // A WRITE with FUA is a bio with REQ_FUA, as in LIO: the block
            // layer passes it to a disk that has FUA, makes it a write and
            // a flush for one that has not, and drops it for one without a
            // volatile cache.
            fua: 1,
            // As LIO: the write zeroes limit, if the device has one.
            max_write_same_len: match info.max_write_zeroes_sectors >> shift {
                0 => DEFAULT_MAX_WRITE_SAME,
                n => n,
            },
            ..DeviceGeometry::default()
        };
        // A discard-capable device's limits, in blocks (LIO's
        // target_configure_unmap_from_bdev); none without discard.
        if info.max_discard_sectors != 0 {
            geometry.max_unmap_lba_count = info.max_discard_sectors >> shift;
            geometry.max_unmap_block_desc_count = 1;
            geometry.unmap_granularity = info.discard_granularity / block_size;
            geometry.unmap_granularity_alignment = info.discard_alignment / block_size;
        }
        dev.claimed = Some(Claimed {
            bdev,
            info,
            block_shift,
        });
        Ok(geometry)
    }

    /// Sends the command's pages to the block device as bios and waits for
    /// them (iblock_bio.c).
    fn read_write(dev: &IbDevice, write: bool, offset: u64, buf: &mut SgBuffer) -> Result {
        let claimed = dev.claimed.as_ref().ok_or(EIO)?;
        // The device was opened for reading only: the block layer would
        // take the write (it checks the disk, not the open mode).
        if write && dev.readonly {
            return Err(EROFS);
        }
        let (sgl, nents) = buf.as_raw();
        // SAFETY: The device is open while `dev` holds it; `sgl` has
        // `nents` entries mapping at least `buf.len()` bytes, which the
        // command leaves to us for the call (`SgBuffer`'s invariant, and
        // `buf` is borrowed mutably); the call returns only once every bio
        // on those pages has completed.
        let ret = unsafe { tcm_rs_iblock_rw(claimed.bdev.0, sgl, nents, buf.len(), offset, write) };
        kernel::error::to_result(ret)
    }

    const CAN_PEND: bool = true;

    /// Sends the command's pages to the block device as bios and returns:
    /// the last bio to end completes `io` from its end_io, as LIO's
    /// iblock_bio_done (iblock_bio.c).
    fn read_write_async(
        dev: &IbDevice,
        write: bool,
        fua: bool,
        offset: u64,
        buf: &mut SgBuffer,
        io: PendingIo,
    ) -> Submitted {
        let Some(claimed) = dev.claimed.as_ref() else {
            return Submitted::Done(io, Err(EIO));
        };
        if write && dev.readonly {
            return Submitted::Done(io, Err(EROFS));
        }
        let (sgl, nents) = buf.as_raw();
        // SAFETY: The device is open while `dev` holds it, and the core
        // keeps the device while the transfer is in flight; `sgl` has
        // `nents` entries mapping at least `buf.len()` bytes, which stay
        // ours until `io` is completed (the SDK's `read_write_async`
        // contract); the C side completes the token once, from the last
        // bio's end_io, only when it answers `IBLOCK_PENDING`.
        let ret = unsafe {
            tcm_rs_iblock_rw_async(
                claimed.bdev.0,
                sgl,
                nents,
                buf.len(),
                offset,
                write,
                fua,
                io.token(),
            )
        };
        if ret == IBLOCK_PENDING {
            // SAFETY: In flight: the bios' end_io completes the token.
            unsafe { io.handed_over() };
            return Submitted::Pending;
        }
        Submitted::Done(io, kernel::error::to_result(ret))
    }

    /// SYNCHRONIZE CACHE: the whole device's volatile cache, as LIO's
    /// flush bio does, whatever the range.
    fn flush(dev: &IbDevice, _offset: u64, _len: u64) -> Result {
        let claimed = dev.claimed.as_ref().ok_or(EIO)?;
        // SAFETY: The device is open while `dev` holds it.
        kernel::error::to_result(unsafe { tcm_rs_iblock_flush(claimed.bdev.0) })
    }

    const CAN_RESIZE: bool = true;

    /// The disk's size now, in the blocks of `enable` (a partial block at
    /// the end does not count). A disk whose logical block size changed
    /// since is still counted in the old size's blocks, which the core
    /// and the initiator go on using.
    fn blocks(dev: &IbDevice) -> u64 {
        match &dev.claimed {
            Some(c) => c.bdev.nr_bytes() >> c.block_shift,
            None => 0,
        }
    }

    // Per device, the geometry says whether the disk discards: a disk that
    // does not gets no UNMAP limits.
    const CAN_UNMAP: bool = true;

    /// UNMAP: a discard of the range (LIO's iblock_execute_unmap).
    fn unmap(dev: &IbDevice, offset: u64, len: u64) -> Result {
        let claimed = dev.claimed.as_ref().ok_or(EIO)?;
        if dev.readonly {
            return Err(EROFS);
        }
        if claimed.info.max_discard_sectors == 0 {
            return Err(EOPNOTSUPP);
        }
        // SAFETY: The device is open while `dev` holds it.
        kernel::error::to_result(unsafe { tcm_rs_iblock_discard(claimed.bdev.0, offset, len) })
    }
}
