// SPDX-License-Identifier: GPL-2.0

//! tcm_rs_rd: the ramdisk backstore, `rd_mcp` in HBA names.
//!
//! `control` takes `rd_pages=<N>` (the size in pages) and `rd_nullio=1` (no
//! memory: reads return zeroes, writes are dropped). The pages are
//! allocated, zeroed, when the device is enabled; if memory runs out the
//! enable fails with ENOMEM and nothing stays allocated.

use core::sync::atomic::{AtomicU32, Ordering};

use kernel::alloc::flags::__GFP_ZERO;
use kernel::alloc::VVec;
use kernel::page::{Page, PAGE_SIZE};
use kernel::prelude::*;

#[path = "../../sdk/backstore.rs"]
mod sdk;

// Shared parsing code: a library of which this module uses a part.
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/control.rs"]
mod control;
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/text.rs"]
mod text;

use sdk::{Backstore, DeviceGeometry, InfoWriter, Registration, SgBuffer};

module! {
    type: RdModule,
    name: "tcm_rs_rd",
    authors: ["The tcm-rs developers"],
    description: "tcm-rs ramdisk backstore (rd_mcp)",
    license: "GPL v2",
    alias: ["tcm_rs_backstore_rd_mcp"],
}

struct RdModule {
    _registration: Registration<RamDisk>,
}

impl kernel::Module for RdModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _registration: Registration::new()?,
        })
    }
}

/// The logical block size of a ramdisk, as LIO's.
const BLOCK_SIZE: u32 = 512;
/// The commands a ramdisk takes at once, as LIO's rd_mcp reports.
const QUEUE_DEPTH: u32 = 128;

/// Numbers the ramdisks in the order they are made.
static NEXT_ID: AtomicU32 = AtomicU32::new(0);

struct RamDisk;

/// One ramdisk.
struct RdDevice {
    id: u32,
    /// The size asked for with `rd_pages`, 0 until set.
    page_count: u32,
    nullio: bool,
    /// The memory, once enabled (empty with nullio).
    pages: VVec<Page>,
}

impl Backstore for RamDisk {
    const NAME: &'static CStr = c"rd_mcp";
    const PRODUCT: &'static CStr = c"RAMDISK-MCP";
    const REVISION: &'static CStr = c"4.0";
    type Device = RdDevice;

    fn alloc_device(_name: &CStr) -> Result<RdDevice> {
        Ok(RdDevice {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            page_count: 0,
            nullio: false,
            pages: VVec::new(),
        })
    }

    /// Parses the whole write first and applies it only if every pair is
    /// valid, so a refused write changes nothing.
    fn set_params(dev: &mut RdDevice, input: &[u8]) -> Result {
        let (mut page_count, mut nullio) = (dev.page_count, dev.nullio);
        for item in control::items(input) {
            match item {
                control::ControlItem::Pair {
                    key: b"rd_pages",
                    value,
                } => {
                    page_count = match text::parse_u64_max(value, u64::from(u32::MAX)) {
                        // At most u32::MAX.
                        Ok(n) if n > 0 => n as u32,
                        _ => {
                            pr_err!("rd_mcp: rd_pages must be a number of pages, 1 or more\n");
                            return Err(EINVAL);
                        }
                    };
                }
                control::ControlItem::Pair {
                    key: b"rd_nullio",
                    value,
                } => {
                    nullio = match text::parse_u64(value) {
                        Ok(0) => false,
                        Ok(1) => true,
                        _ => {
                            pr_err!("rd_mcp: rd_nullio must be 0 or 1\n");
                            return Err(EINVAL);
                        }
                    };
                }
                control::ControlItem::Pair { .. } | control::ControlItem::Malformed(_) => {
                    pr_err!("rd_mcp: control takes rd_pages=<N> and rd_nullio=<0|1>\n");
                    return Err(EINVAL);
                }
            }
        }
        dev.page_count = page_count;
        dev.nullio = nullio;
        Ok(())
    }

    fn show_params(dev: &RdDevice, out: &mut InfoWriter<'_>) -> Result {
        out.emit(fmt!(
            "TCM RamDisk ID: {}  RamDisk Makeup: rd_mcp\n        PAGES/PAGE_SIZE: {}*{}  SG_table_count: {}  nullio: {} dummy: 0\n",
            dev.id,
            dev.page_count,
            PAGE_SIZE,
            // The pages are kept in one table once allocated.
            u8::from(!dev.pages.is_empty()),
            u8::from(dev.nullio)
        ))
    }

    fn enable(dev: &mut RdDevice) -> Result<DeviceGeometry> {
        if dev.page_count == 0 {
            pr_err!("rd_mcp: set rd_pages=<N> in control before enabling\n");
            return Err(EINVAL);
        }
        let count = dev.page_count as usize;
        if !dev.nullio {
            // Build the whole set before keeping any of it: on failure, the
            // pages allocated so far go back with the table. The size is
            // the administrator's: a failure says so here, without the
            // allocator's stack dump.
            let allocate = || -> Result<VVec<Page>> {
                let mut pages = VVec::with_capacity(count, GFP_KERNEL | __GFP_NOWARN)?;
                for _ in 0..count {
                    let page = Page::alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN)?;
                    pages.push(page, GFP_KERNEL | __GFP_NOWARN)?;
                }
                Ok(pages)
            };
            dev.pages = allocate().inspect_err(|_| {
                pr_err!(
                    "rd_mcp: no memory for {} pages ({} MiB): not enabled\n",
                    count,
                    (count as u64 * PAGE_SIZE as u64) >> 20
                )
            })?;
        }
        let bytes = (count as u64) * (PAGE_SIZE as u64);
        Ok(DeviceGeometry {
            block_size: BLOCK_SIZE,
            blocks: bytes / u64::from(BLOCK_SIZE),
            // Memory has no transfer limit of its own.
            max_sectors: u32::MAX,
            queue_depth: QUEUE_DEPTH,
            nonrot: 1,
            // As LIO's ramdisk: no UNMAP and no WRITE SAME limits.
            ..DeviceGeometry::default()
        })
    }

    /// Copies between the command's buffer and the pages, a mapped piece
    /// of the buffer at a time, each split at page boundaries. With nullio
    /// reads give zeroes and writes are dropped, as in LIO.
    fn read_write(dev: &RdDevice, write: bool, offset: u64, buf: &mut SgBuffer) -> Result {
        let len = buf.len();
        if dev.nullio {
            if !write {
                buf.for_each_piece(0, len, true, |(ptr, n), _| {
                    // SAFETY: `for_each_piece` maps `n` writable bytes at `ptr`.
                    unsafe { core::ptr::write_bytes(ptr, 0, n) };
                    Ok(())
                })?;
            }
            return Ok(());
        }
        let start = usize::try_from(offset).map_err(|_| EINVAL)?;
        buf.for_each_piece(0, len, !write, |(ptr, n), at| {
            let mut done = 0;
            while done < n {
                let pos = start + at + done;
                let (index, in_page) = (pos / PAGE_SIZE, pos % PAGE_SIZE);
                let chunk = (PAGE_SIZE - in_page).min(n - done);
                // The core checks ranges against the size; a page beyond
                // the end would be a core bug, reported as a medium error.
                let page = dev.pages.get(index).ok_or(EIO)?;
                // SAFETY: `ptr + done` is mapped for `chunk` bytes (within
                // the `n` of this piece). Overlapping commands race on the
                // page contents only, as on any disk; the initiator orders
                // its own I/O.
                unsafe {
                    if write {
                        page.write_raw(ptr.add(done), in_page, chunk)?;
                    } else {
                        page.read_raw(ptr.add(done), in_page, chunk)?;
                    }
                }
                done += chunk;
            }
            Ok(())
        })
    }
}
