// SPDX-License-Identifier: GPL-2.0

//! tcm_rs_fileio: the fileio backstore, `fileio` in HBA names (LIO's
//! target_core_file).
//!
//! `control` takes `fd_dev_name=<path>` (a file, made if missing, or a
//! block device), `fd_dev_size=<bytes>` (the size of a file; a block
//! device has its own), `fd_buffered_io=1` (the page cache as a write
//! cache: no `O_DSYNC`) and `fd_async_io=1` (accepted and shown as LIO
//! does; I/O is synchronous in any case). Enable opens the file as LIO
//! does; the VFS calls are in fileio_file.c.

use core::sync::atomic::{AtomicU32, Ordering};

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
    type: FileioModule,
    name: "tcm_rs_fileio",
    authors: ["The tcm-rs developers"],
    description: "tcm-rs fileio backstore",
    license: "GPL v2",
    alias: ["tcm_rs_backstore_fileio"],
}

struct FileioModule {
    // Dropped first: no device, so no I/O, is left when the workqueue goes.
    _registration: Registration<Fileio>,
    _workqueue: Workqueue,
}

impl kernel::Module for FileioModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let workqueue = Workqueue::new()?;
        Ok(Self {
            _registration: Registration::new()?,
            _workqueue: workqueue,
        })
    }
}

/// The module's workqueue in fileio_file.c, made once at load and
/// destroyed when this value goes.
struct Workqueue;

impl Workqueue {
    fn new() -> Result<Self> {
        // SAFETY: Called once, at module load, before any device exists.
        kernel::error::to_result(unsafe { tcm_rs_file_wq_create() })?;
        Ok(Self)
    }
}

impl Drop for Workqueue {
    fn drop(&mut self) {
        // SAFETY: Made in `new`; the registration is gone by now, so no
        // device, and no I/O that could use the workqueue, is left.
        unsafe { tcm_rs_file_wq_destroy() };
    }
}

// `struct tcm_rs_file` (an open file, fileio_file.c) is opaque here
// (`void *`): Rust only passes it back to C.

/// What fileio_file.c tells about an open file (`struct tcm_rs_file_info`).
#[repr(C)]
#[derive(Default)]
struct FileInfo {
    size: u64,
    block_size: u32,
    is_blk: u8,
    nonrot: u8,
    max_discard_sectors: u32,
    discard_granularity: u32,
    discard_alignment: u32,
}

extern "C" {
    fn tcm_rs_file_wq_create() -> c_int;
    fn tcm_rs_file_wq_destroy();
    fn tcm_rs_file_open(path: *const c_char, buffered: bool, out: *mut *mut c_void) -> c_int;
    fn tcm_rs_file_close(f: *mut c_void);
    fn tcm_rs_file_info(f: *mut c_void, info: *mut FileInfo);
    fn tcm_rs_file_size(f: *mut c_void) -> u64;
    fn tcm_rs_file_rw(
        f: *mut c_void,
        sgl: *mut bindings::scatterlist,
        nents: u32,
        len: usize,
        pos: u64,
        write: bool,
    ) -> c_int;
    fn tcm_rs_file_rw_async(
        f: *mut c_void,
        sgl: *mut bindings::scatterlist,
        nents: u32,
        len: usize,
        pos: u64,
        write: bool,
        token: *mut c_void,
    ) -> c_int;
    fn tcm_rs_file_rw_nowait(
        f: *mut c_void,
        sgl: *mut bindings::scatterlist,
        nents: u32,
        len: usize,
        pos: u64,
        write: bool,
    ) -> c_int;
    fn tcm_rs_file_sync(f: *mut c_void, pos: u64, len: u64) -> c_int;
    fn tcm_rs_file_unmap(f: *mut c_void, pos: u64, len: u64) -> c_int;
}

/// `tcm_rs_file_rw_async`: the transfer is in flight (fileio_file.h).
const FILE_PENDING: c_int = 1;

/// The logical block size of a device on a regular file (LIO's
/// `FD_BLOCKSIZE`).
const FILE_BLOCK_SIZE: u32 = 512;
/// The most bytes one command moves (LIO's `FD_MAX_BYTES`).
const MAX_BYTES: u32 = 8_388_608;
/// The commands a device takes at once (LIO's `FD_MAX_DEVICE_QUEUE_DEPTH`).
const QUEUE_DEPTH: u32 = 128;
/// The most blocks one UNMAP descriptor may punch out of a regular file
/// (LIO's fd_configure_unmap).
const FILE_MAX_UNMAP_BLOCKS: u32 = 0x2000;
/// The most blocks one WRITE SAME may write to a regular file, and to a
/// block device (WRITE SAME(10)'s two-byte count), as LIO.
const FILE_MAX_WRITE_SAME: u32 = 0x1000;
const BLOCK_DEVICE_MAX_WRITE_SAME: u32 = 0xffff;
/// The longest `fd_dev_name` (LIO's `FD_MAX_DEV_NAME` less the NUL).
const MAX_NAME: usize = 255;

/// Numbers the devices in the order they are enabled.
static NEXT_ID: AtomicU32 = AtomicU32::new(0);

/// An open backing file, closed when dropped.
///
/// # Invariants
///
/// `0` is a `struct tcm_rs_file` opened by `tcm_rs_file_open`, not yet
/// closed.
struct OpenFile(*mut c_void);

// SAFETY: A `struct file` may be used and closed from any thread; the VFS
// calls made on it do their own locking.
unsafe impl Send for OpenFile {}
// SAFETY: As above: concurrent reads and writes through one `struct file`
// are what the VFS expects (positions are passed, not shared).
unsafe impl Sync for OpenFile {}

impl OpenFile {
    /// Opens `path` (NUL-terminated) as LIO does.
    fn open(path: &CStr, buffered: bool) -> Result<Self> {
        let mut f = core::ptr::null_mut();
        // SAFETY: `path` is NUL-terminated and `f` writable for the call.
        kernel::error::to_result(unsafe {
            tcm_rs_file_open(path.as_char_ptr(), buffered, &mut f)
        })?;
        // INVARIANT: The open succeeded.
        Ok(Self(f))
    }

    fn info(&self) -> FileInfo {
        let mut info = FileInfo::default();
        // SAFETY: The file is open (type invariant); `info` is writable.
        unsafe { tcm_rs_file_info(self.0, &mut info) };
        info
    }

    /// The file's (or block device's) size in bytes now.
    fn size(&self) -> u64 {
        // SAFETY: The file is open (type invariant).
        unsafe { tcm_rs_file_size(self.0) }
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        // SAFETY: Open by the type invariant, and closed only here, once.
        unsafe { tcm_rs_file_close(self.0) };
    }
}

struct Fileio;

/// One fileio device.
struct FdDevice {
    /// Numbered when enabled, 0 until then (as LIO's `fd_dev_id`).
    id: u32,
    /// `fd_dev_name`, NUL-terminated; empty until set.
    name: KVec<u8>,
    /// `fd_dev_size`, if set.
    size: Option<u64>,
    buffered: bool,
    async_io: bool,
    /// The backing file, once enabled.
    file: Option<OpenFile>,
    /// Once enabled: the number of blocks of a regular file (fixed by
    /// `fd_dev_size`), or `None` on a block device, whose size is read
    /// again before each command (`blocks`).
    file_blocks: Option<u64>,
    /// log2 of the block size the device was enabled with.
    block_shift: u32,
}

impl FdDevice {
    /// The name without its NUL, empty until set.
    fn name_bytes(&self) -> &[u8] {
        match self.name.split_last() {
            Some((_, name)) => name,
            None => &[],
        }
    }
}

/// Parses a flag LIO takes only as `1` (its `match_int`, then "bogus"
/// for anything but 1).
fn parse_one(value: &[u8]) -> Option<bool> {
    matches!(text::parse_i32(value), Ok(1)).then_some(true)
}

impl Backstore for Fileio {
    const NAME: &'static CStr = c"fileio";
    const PRODUCT: &'static CStr = c"FILEIO";
    const REVISION: &'static CStr = c"4.0";
    type Device = FdDevice;

    fn alloc_device(_name: &CStr) -> Result<FdDevice> {
        Ok(FdDevice {
            id: 0,
            name: KVec::new(),
            size: None,
            buffered: false,
            async_io: false,
            file: None,
            file_blocks: None,
            block_shift: 0,
        })
    }

    /// Parses the whole write first and applies it only if every pair is
    /// valid, so a refused write changes nothing.
    fn set_params(dev: &mut FdDevice, input: &[u8]) -> Result {
        let mut name: Option<&[u8]> = None;
        let (mut size, mut buffered, mut async_io) = (dev.size, dev.buffered, dev.async_io);
        for item in control::items(input) {
            match item {
                control::ControlItem::Pair {
                    key: b"fd_dev_name",
                    value,
                } => {
                    if value.is_empty() || value.len() > MAX_NAME || value.contains(&0) {
                        pr_err!(
                            "fileio: fd_dev_name must be a path of 1 to {} bytes\n",
                            MAX_NAME
                        );
                        return Err(EINVAL);
                    }
                    name = Some(value);
                }
                control::ControlItem::Pair {
                    key: b"fd_dev_size",
                    value,
                } => {
                    size = match text::parse_u64(value) {
                        Ok(n) => Some(n),
                        Err(_) => {
                            pr_err!("fileio: fd_dev_size must be a number of bytes\n");
                            return Err(EINVAL);
                        }
                    };
                }
                control::ControlItem::Pair {
                    key: b"fd_buffered_io",
                    value,
                } => {
                    buffered = parse_one(value).ok_or_else(|| {
                        pr_err!("fileio: fd_buffered_io takes only 1\n");
                        EINVAL
                    })?;
                }
                control::ControlItem::Pair {
                    key: b"fd_async_io",
                    value,
                } => {
                    async_io = parse_one(value).ok_or_else(|| {
                        pr_err!("fileio: fd_async_io takes only 1\n");
                        EINVAL
                    })?;
                }
                control::ControlItem::Pair { .. } | control::ControlItem::Malformed(_) => {
                    pr_err!("fileio: control takes fd_dev_name=<path>, fd_dev_size=<bytes>, fd_buffered_io=1 and fd_async_io=1\n");
                    return Err(EINVAL);
                }
            }
        }
        if let Some(value) = name {
            let mut copy = KVec::with_capacity(value.len() + 1, GFP_KERNEL)?;
            copy.extend_from_slice(value, GFP_KERNEL)?;
            copy.push(0, GFP_KERNEL)?;
            dev.name = copy;
        }
        dev.size = size;
        dev.buffered = buffered;
        dev.async_io = async_io;
        Ok(())
    }

    fn show_params(dev: &FdDevice, out: &mut InfoWriter<'_>) -> Result {
        out.emit(fmt!(
            "TCM FILEIO ID: {}        File: {}  Size: {}  Mode: {} Async: {}\n",
            dev.id,
            BStr::from_bytes(dev.name_bytes()),
            dev.size.unwrap_or(0),
            if dev.buffered {
                "Buffered-WCE"
            } else {
                "O_DSYNC"
            },
            u8::from(dev.async_io)
        ))
    }

    fn enable(dev: &mut FdDevice) -> Result<DeviceGeometry> {
        if dev.name.is_empty() {
            pr_err!("Missing fd_dev_name=\n");
            return Err(EINVAL);
        }
        let path = CStr::from_bytes_with_nul(&dev.name).map_err(|_| EINVAL)?;
        // Closed again on any failure below, when `file` goes.
        let file = OpenFile::open(path, dev.buffered)?;
        let info = file.info();
        let (block_size, bytes) = if info.is_blk != 0 {
            (info.block_size, info.size)
        } else {
            match dev.size {
                Some(size) => (FILE_BLOCK_SIZE, size),
                None => {
                    pr_err!("FILEIO: Missing fd_dev_size= parameter, and no backing struct block_device\n");
                    return Err(EINVAL);
                }
            }
        };
        // A block device's logical block size, or 512: a power of two.
        if !block_size.is_power_of_two() {
            return Err(EINVAL);
        }
        let block_shift = block_size.trailing_zeros();
        let blocks = bytes >> block_shift;
        if blocks == 0 {
            pr_err!(
                "fileio: the device must hold at least one {}-byte block\n",
                block_size
            );
            return Err(EINVAL);
        }
        dev.id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        dev.file = Some(file);
        dev.block_shift = block_shift;
        dev.file_blocks = (info.is_blk == 0).then_some(blocks);
        let mut geometry = DeviceGeometry {
            block_size,
            blocks,
            max_sectors: MAX_BYTES / block_size,
            queue_depth: QUEUE_DEPTH,
            nonrot: info.nonrot,
            // The page cache is a volatile cache that `flush` empties.
            write_cache: u8::from(dev.buffered),
            // A block device may be grown or shrunk (LIO's fd_get_blocks
            // reads its size again); a file keeps `fd_dev_size`, as LIO.
            resizable: info.is_blk,
            // Reads and writes may wait for the file system's I/O.
            sleeps: 1,
            ..DeviceGeometry::default()
        };
        if info.is_blk != 0 {
            geometry.max_write_same_len = BLOCK_DEVICE_MAX_WRITE_SAME;
            // A discard-capable device's limits, in blocks (LIO's
            // target_configure_unmap_from_bdev); none without discard.
            if info.max_discard_sectors != 0 {
                let shift = block_size.trailing_zeros().saturating_sub(9);
                geometry.max_unmap_lba_count = info.max_discard_sectors >> shift;
                geometry.max_unmap_block_desc_count = 1;
                geometry.unmap_granularity = info.discard_granularity / block_size;
                geometry.unmap_granularity_alignment = info.discard_alignment / block_size;
            }
        } else {
            geometry.max_write_same_len = FILE_MAX_WRITE_SAME;
            geometry.max_unmap_lba_count = FILE_MAX_UNMAP_BLOCKS;
            geometry.max_unmap_block_desc_count = 1;
            geometry.unmap_granularity = 1;
        }
        Ok(geometry)
    }

    /// Moves the command's buffer to or from the file with one VFS call
    /// (fileio_file.c), in the caller's context.
    fn read_write(dev: &FdDevice, write: bool, offset: u64, buf: &mut SgBuffer) -> Result {
        let file = dev.file.as_ref().ok_or(EIO)?;
        let (sgl, nents) = buf.as_raw();
        // SAFETY: The file is open while `dev` holds it; `sgl` has `nents`
        // entries mapping at least `buf.len()` bytes, which the command
        // leaves to us for the call (`SgBuffer`'s invariant, and `buf` is
        // borrowed mutably).
        let ret = unsafe { tcm_rs_file_rw(file.0, sgl, nents, buf.len(), offset, write) };
        kernel::error::to_result(ret)
    }

    const CAN_MOVE_NOWAIT: bool = true;

    /// A plain READ or WRITE done at once, without sleeping, if it can be
    /// (fileio_file.c): a read the page cache holds (on file systems that
    /// can say so, and on tmpfs, whose page cache is the file), a write
    /// over the pages a tmpfs file holds.
    fn read_write_nowait(dev: &FdDevice, write: bool, offset: u64, buf: &mut SgBuffer) -> Result {
        let file = dev.file.as_ref().ok_or(EIO)?;
        let (sgl, nents) = buf.as_raw();
        // SAFETY: The file is open while `dev` holds it; `sgl` has `nents`
        // entries mapping at least `buf.len()` bytes, left to us for the
        // call (`SgBuffer`'s invariant, and `buf` is borrowed mutably).
        let ret = unsafe { tcm_rs_file_rw_nowait(file.0, sgl, nents, buf.len(), offset, write) };
        kernel::error::to_result(ret)
    }

    const CAN_PEND: bool = true;

    /// A plain READ or WRITE that may end later (one `read_write_nowait`
    /// could not do): it runs on the module's per-CPU workqueue and
    /// completes `io` there (fileio_file.c), so the submitter goes on.
    fn read_write_async(
        dev: &FdDevice,
        write: bool,
        // Never set: the geometry does not say `fua` (the core flushes
        // after a write with FUA).
        _fua: bool,
        offset: u64,
        buf: &mut SgBuffer,
        io: PendingIo,
    ) -> Submitted {
        let Some(file) = dev.file.as_ref() else {
            return Submitted::Done(io, Err(EIO));
        };
        let (sgl, nents) = buf.as_raw();
        // SAFETY: The file is open while `dev` holds it, and the core keeps
        // the device while the transfer is in flight; `sgl` has `nents`
        // entries mapping at least `buf.len()` bytes, which stay ours until
        // `io` is completed (the SDK's `read_write_async` contract); the C
        // side completes the token once, from its worker, only when it
        // answers `FILE_PENDING`.
        let ret = unsafe {
            tcm_rs_file_rw_async(file.0, sgl, nents, buf.len(), offset, write, io.token())
        };
        if ret == FILE_PENDING {
            // SAFETY: In flight: the worker completes the token.
            unsafe { io.handed_over() };
            return Submitted::Pending;
        }
        Submitted::Done(io, kernel::error::to_result(ret))
    }

    /// SYNCHRONIZE CACHE and FUA writes: `vfs_fsync_range` of the range, as
    /// LIO (the whole file when `len` is 0).
    fn flush(dev: &FdDevice, offset: u64, len: u64) -> Result {
        let file = dev.file.as_ref().ok_or(EIO)?;
        // SAFETY: The file is open while `dev` holds it.
        kernel::error::to_result(unsafe { tcm_rs_file_sync(file.0, offset, len) })
    }

    const CAN_UNMAP: bool = true;

    const CAN_RESIZE: bool = true;

    /// A block device's size now, in the blocks of `enable`; a regular
    /// file's configured size.
    fn blocks(dev: &FdDevice) -> u64 {
        match (&dev.file, dev.file_blocks) {
            (_, Some(blocks)) => blocks,
            (Some(f), None) => f.size() >> dev.block_shift,
            (None, None) => 0,
        }
    }

    /// A hole punched in a file, a discard on a block device (LIO's
    /// fd_execute_unmap).
    fn unmap(dev: &FdDevice, offset: u64, len: u64) -> Result {
        let file = dev.file.as_ref().ok_or(EIO)?;
        // SAFETY: The file is open while `dev` holds it.
        kernel::error::to_result(unsafe { tcm_rs_file_unmap(file.0, offset, len) })
    }
}
