// SPDX-License-Identifier: GPL-2.0

//! The C ABI between tcm_rs_core and backstore modules.
//!
//! Compiled into the core and into every backstore module (with `#[path]`),
//! so both sides agree on the layout by construction. A backstore fills a
//! [`BackstoreOps`] table (the safe SDK in sdk/backstore.rs does it) and
//! registers it with `tcm_rs_register_backstore()`, exported by the core.
//!
//! Versioning: `abi_major` must equal the core's major version; a table
//! from another major version is refused at registration.

use kernel::bindings::scatterlist;
use kernel::ffi::{c_char, c_int, c_void};

// The functions the core exports for this ABI are declared for backstores
// in sdk/backstore.rs and defined in target_core/backstores.rs.

/// The ABI major version this file describes.
pub(crate) const BACKSTORE_ABI_MAJOR: u16 = 0;
/// The ABI minor version this file describes.
pub(crate) const BACKSTORE_ABI_MINOR: u16 = 11;

/// What `read_write_async` returns (since 0.9) when the I/O is in flight:
/// the backstore calls `tcm_rs_backstore_rw_done()` with the token, once,
/// when it ends.
pub(crate) const RW_PENDING: c_int = 1;

/// Or'ed (since 0.11) into the `write` byte (1 for a write) that
/// `read_write_async` gets, for a WRITE with FUA (force unit access), only
/// for a device whose geometry says `fua`: the backstore completes the
/// write only once it is on the medium (a bio with REQ_FUA), and the core
/// then sends no cache flush after it.
pub(crate) const RW_FUA: u8 = 2;

/// `read_write` and `read_write_nowait`: moves `len` bytes between the
/// device `dev` at byte `offset` and the `nents` entries of `sgl` (into the
/// device if `write`); 0 or -errno.
pub(crate) type MoveData = unsafe extern "C" fn(
    dev: *mut c_void,
    write: u8,
    offset: u64,
    sgl: *mut scatterlist,
    nents: u32,
    len: u32,
) -> c_int;

/// What a device looks like once enabled.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DeviceGeometry {
    /// Logical block size in bytes.
    pub(crate) block_size: u32,
    /// Number of logical blocks.
    pub(crate) blocks: u64,
    /// The most blocks one command may move (`hw_max_sectors`).
    pub(crate) max_sectors: u32,
    /// The most commands the device takes at once (`hw_queue_depth`).
    /// Since ABI 0.2; 0 from older backstores.
    pub(crate) queue_depth: u32,
    /// Non-zero for a device without seek time (`is_nonrot`). Since ABI 0.2.
    pub(crate) nonrot: u8,
    /// Non-zero when blocks read as zeros once unmapped (LBPRZ,
    /// `unmap_zeroes_data`). Since ABI 0.5, as are the limits below, which
    /// are the starting values of the attributes of the same names (0: the
    /// device does not take the command).
    pub(crate) unmap_zeroes_data: u8,
    /// Non-zero for a volatile write cache that `flush` empties
    /// (`emulate_write_cache` starts at 1).
    pub(crate) write_cache: u8,
    /// The most blocks one UNMAP descriptor may name.
    pub(crate) max_unmap_lba_count: u32,
    /// The most descriptors in one UNMAP.
    pub(crate) max_unmap_block_desc_count: u32,
    /// The unmap granularity and its alignment, in blocks.
    pub(crate) unmap_granularity: u32,
    pub(crate) unmap_granularity_alignment: u32,
    /// The most blocks one WRITE SAME may write.
    pub(crate) max_write_same_len: u32,
    /// Since ABI 0.6. Non-zero: the device cannot be written (iblock's
    /// `readonly=1`). Every LUN exporting it is write-protected, as LIO's
    /// `DF_READ_ONLY`: writes get DATA PROTECT and MODE SENSE shows WP.
    pub(crate) read_only: u8,
    /// Since ABI 0.7 (the core reads it only from a table of 0.7 or
    /// later, since it lies in the padding of 0.6's struct). Non-zero: the
    /// number of blocks may change while the device is enabled (a block
    /// device an admin grows or shrinks), and the table's `blocks` says
    /// how many there are now. Zero: `blocks` above holds for good (a
    /// ramdisk, a regular file of `fd_dev_size` bytes, as in LIO).
    pub(crate) resizable: u8,
    /// Since ABI 0.8 (read only from a table of 0.8 or later, as
    /// `resizable`). Non-zero: reads and writes sleep for I/O (a file, a
    /// block device), so the device's commands are best run where sleeping
    /// holds up no submitter: its `attrib/submit_type` 0 then means queued
    /// submission (see the fabric ABI's `EXECUTE_DEFERRED`), except the
    /// plain reads and writes that `read_write_async` (0.9) leaves in
    /// flight, which sleep for nothing. 0 for a device that moves data
    /// without sleeping (the ramdisk).
    pub(crate) sleeps: u8,
    /// Since ABI 0.11 (read only from a table of 0.11 or later, as
    /// `resizable`). Non-zero: `read_write_async` takes [`RW_FUA`], and a
    /// WRITE with FUA to the device is one durable write instead of a
    /// write and a `flush` of the whole cache.
    pub(crate) fua: u8,
}

/// A backstore's operations. Every pointer is valid while the backstore is
/// registered; the core pins `owner` while any device of the backstore
/// exists.
///
/// The core calls `set_params`, `show_params` and `enable` for a device one
/// at a time (under the device's lock), makes no other call on a device
/// before it is enabled, and never calls `set_params` or `enable` after.
#[repr(C)]
pub(crate) struct BackstoreOps {
    pub(crate) abi_major: u16,
    pub(crate) abi_minor: u16,
    /// The backstore's name in HBA directory names (`rd_mcp`, `fileio`).
    pub(crate) name: *const c_char,
    /// The product identification and revision a device of this backstore
    /// reports until `wwn/` changes them (`RAMDISK-MCP`, `4.0`).
    pub(crate) product: *const c_char,
    pub(crate) revision: *const c_char,
    /// The backstore's module (a `struct module *`; `void *` here because
    /// Rust cannot pass `struct module` itself through FFI checks).
    pub(crate) owner: *mut c_void,
    /// Makes the state of a new device called `name`; returns it, or an
    /// `ERR_PTR`.
    pub(crate) alloc_device: unsafe extern "C" fn(name: *const c_char) -> *mut c_void,
    /// Applies a `control` write of `len` bytes; 0 or -errno. Called only
    /// while the device is disabled.
    pub(crate) set_params:
        unsafe extern "C" fn(dev: *mut c_void, buf: *const u8, len: usize) -> c_int,
    /// Writes the backstore's part of the device's `info` into `buf`
    /// (`len` bytes); returns the length written or -errno.
    pub(crate) show_params:
        unsafe extern "C" fn(dev: *mut c_void, buf: *mut u8, len: usize) -> isize,
    /// Enables the device: allocates what it needs and fills `geometry`;
    /// 0 or -errno (the device stays disabled and unchanged on error).
    pub(crate) enable:
        unsafe extern "C" fn(dev: *mut c_void, geometry: *mut DeviceGeometry) -> c_int,
    /// Frees the device's state. Called once, when the device goes.
    pub(crate) free_device: unsafe extern "C" fn(dev: *mut c_void),
    /// Since 0.3. Moves `len` bytes between the device at byte `offset`
    /// and the command's buffer (`nents` entries of `sgl`): into the
    /// device when `write` is non-zero, out of it otherwise. Called on an
    /// enabled device, from any number of commands at once, in a context
    /// that may sleep; the range is inside the device (for a `resizable`
    /// device: it was when the core checked it, and the device may have
    /// shrunk since; the access must then fail, as the block layer fails a
    /// bio past a device's end, never reach past the end). 0 or -errno
    /// (-EIO for a failed medium access).
    pub(crate) read_write: MoveData,
    /// Since 0.4. Makes the writes to `len` bytes from byte `offset` (to the
    /// end of the device when `len` is 0) durable: SYNCHRONIZE CACHE. Called
    /// as `read_write` is. 0 or -errno (-EIO when the medium failed).
    pub(crate) flush: unsafe extern "C" fn(dev: *mut c_void, offset: u64, len: u64) -> c_int,
    /// Since 0.5; NULL for a backstore that cannot. Deallocates `len` bytes
    /// from byte `offset` (UNMAP, WRITE SAME with the UNMAP bit): later
    /// reads of the range return zeros if the geometry says
    /// `unmap_zeroes_data`, otherwise the old data or zeros. Called as
    /// `read_write` is; the range is inside the device and whole blocks.
    /// 0 or -errno.
    pub(crate) unmap:
        Option<unsafe extern "C" fn(dev: *mut c_void, offset: u64, len: u64) -> c_int>,
    /// Since 0.7; NULL for a backstore whose devices never change size.
    /// The number of blocks (of the geometry's `block_size`) the enabled
    /// device holds now. Called before every command to a device whose
    /// geometry says `resizable`, from any number of commands at once, in
    /// any context a command runs in: it must be cheap (a load, as the
    /// block device's size is), take no lock that may sleep, and never
    /// fail (a device that is gone reports 0).
    pub(crate) blocks: Option<unsafe extern "C" fn(dev: *mut c_void) -> u64>,
    /// Since 0.9 (read only from a table of 0.9 or later); NULL for a
    /// backstore that only moves data in `read_write`. As `read_write`, but
    /// the backstore may finish later: it returns [`RW_PENDING`] once the
    /// transfer is in flight and then calls `tcm_rs_backstore_rw_done(token,
    /// 0 or -errno)` exactly once, from any context (a bio's end_io in
    /// hard or soft interrupt context included), when it has ended; until
    /// then the buffer is the backstore's, and the core keeps the device
    /// enabled. It may instead finish before it returns, and return 0 or
    /// -errno (then it never calls `tcm_rs_backstore_rw_done` for the
    /// token); -EAGAIN means nothing was done, and the core calls
    /// `read_write` instead. Called in a context that may sleep, from any
    /// number of commands at once, for plain READs and WRITEs.
    pub(crate) read_write_async: Option<
        unsafe extern "C" fn(
            dev: *mut c_void,
            write: u8,
            offset: u64,
            sgl: *mut scatterlist,
            nents: u32,
            len: u32,
            token: *mut c_void,
        ) -> c_int,
    >,
    /// Since 0.10 (read only from a table of 0.10 or later); NULL for a
    /// backstore that cannot move data without sleeping. As `read_write`,
    /// for a plain READ or WRITE, if the backstore can do it at once: no
    /// sleep, no I/O to wait for, no allocation that may reclaim (a page
    /// cache's pages copied in place). Returns 0 when all of it was moved,
    /// -EAGAIN when it was not (part of a write may have been: the core
    /// then moves all of it again with `read_write_async` or
    /// `read_write`), or another -errno for a failure. The core tries it
    /// first, before it sets up anything for a transfer left in flight.
    /// Called from any number of commands at once, where `read_write_async`
    /// is: maybe inside the initiator's bio submission (the loopback's
    /// `queuecommand`), where waiting for I/O would never end.
    pub(crate) read_write_nowait: Option<MoveData>,
}

// SAFETY: The table is immutable once registered; its pointers are to
// static data and functions.
unsafe impl Sync for BackstoreOps {}
