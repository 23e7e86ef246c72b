// SPDX-License-Identifier: GPL-2.0

//! A device's capacity while it is enabled, which its backstore may change
//! (a block device an admin grows or shrinks), and what commands read of
//! it.
//!
//! The engine keeps one [`Capacity`] per device: the backstore's count of
//! blocks of its own size, in one atomic, so every command reads a
//! consistent value without a lock. Before a command, the engine asks a
//! backstore whose devices can change size for its count and hands it to
//! [`Capacity::observe`]: a load and a compare when nothing changed; when
//! something did, exactly one of the commands racing to notice it wins the
//! compare-and-exchange and is told the old and new counts, so the unit
//! attention CAPACITY DATA HAS CHANGED is established once per change.
//!
//! Each LUN reads the capacity in logical blocks of its device's
//! `attrib/block_size` ([`Capacity::blocks`], [`logical_blocks`]), which
//! may differ from the backstore's block size.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// CAPACITY DATA HAS CHANGED (SPC-4): the unit attention every I_T nexus
/// of a device gets when its capacity changes.
pub const CAPACITY_DATA_HAS_CHANGED: (u8, u8) = (0x2a, 0x09);
/// MEDIUM NOT PRESENT: READ CAPACITY of a device whose backstore holds no
/// block now (it shrank to nothing), which has no last LBA to report.
pub const MEDIUM_NOT_PRESENT: (u8, u8) = (0x3a, 0x00);

/// The number of logical blocks of `block_size` bytes in `hw_blocks`
/// blocks of `hw_block_size` bytes (the backstore's): what READ CAPACITY
/// reports and LBA ranges are checked against. A partial block at the end
/// does not count; a device of more than 2^64 - 1 bytes counts as that
/// many, so that the byte offset of any LBA in range fits 64 bits (a
/// backstore's count is not trusted to keep it so); a block size of 0
/// counts as 1.
pub fn logical_blocks(hw_blocks: u64, hw_block_size: u32, block_size: u32) -> u64 {
    let bytes = hw_blocks.saturating_mul(u64::from(hw_block_size));
    if block_size.is_power_of_two() {
        bytes >> block_size.trailing_zeros()
    } else {
        bytes / u64::from(block_size.max(1))
    }
}

/// The last LBA READ CAPACITY reports for `blocks` logical blocks, or
/// `None` for a device that holds none (answered as NOT READY, MEDIUM NOT
/// PRESENT, as a drive without its medium, rather than claiming one block).
pub const fn last_lba(blocks: u64) -> Option<u64> {
    blocks.checked_sub(1)
}

/// A change the engine noticed: the backstore's block count before and
/// after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub old: u64,
    pub new: u64,
}

impl Change {
    /// Whether the device got smaller.
    pub const fn shrank(&self) -> bool {
        self.new < self.old
    }
}

/// A device's capacity: the backstore's block size (fixed once enabled)
/// and its count of blocks (which a resizable backstore may change).
#[derive(Debug)]
pub struct Capacity {
    hw_blocks: AtomicU64,
    hw_block_size: AtomicU32,
}

impl Default for Capacity {
    fn default() -> Self {
        Self::new()
    }
}

impl Capacity {
    /// No blocks until [`Capacity::set`].
    pub const fn new() -> Self {
        Self {
            hw_blocks: AtomicU64::new(0),
            hw_block_size: AtomicU32::new(0),
        }
    }

    /// Sets the geometry `enable` reported, before the device gets any
    /// command (under the device's lock; no command reads it yet).
    pub fn set(&self, hw_blocks: u64, hw_block_size: u32) {
        self.hw_block_size.store(hw_block_size, Ordering::Relaxed);
        self.hw_blocks.store(hw_blocks, Ordering::Release);
    }

    /// The backstore's count of blocks as last seen.
    pub fn hw_blocks(&self) -> u64 {
        self.hw_blocks.load(Ordering::Acquire)
    }

    /// The capacity in logical blocks of `block_size` bytes.
    pub fn blocks(&self, block_size: u32) -> u64 {
        let hw_blocks = self.hw_blocks.load(Ordering::Acquire);
        logical_blocks(
            hw_blocks,
            self.hw_block_size.load(Ordering::Relaxed),
            block_size,
        )
    }

    /// Records that the backstore holds `now` blocks. `None` when that is
    /// what was last seen, or when another caller recorded this change
    /// first; otherwise the change, which this caller alone is told of.
    pub fn observe(&self, now: u64) -> Option<Change> {
        let mut old = self.hw_blocks.load(Ordering::Acquire);
        loop {
            if old == now {
                return None;
            }
            match self.hw_blocks.compare_exchange_weak(
                old,
                now,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(Change { old, new: now }),
                Err(seen) => old = seen,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::vec::Vec;

    #[test]
    fn same_block_size_is_the_count() {
        assert_eq!(logical_blocks(0, 512, 512), 0);
        assert_eq!(logical_blocks(12345, 4096, 4096), 12345);
        // No LBA in range has a byte offset beyond 64 bits.
        assert_eq!(logical_blocks(u64::MAX, 512, 512), u64::MAX >> 9);
        assert_eq!(logical_blocks(u64::MAX, 4096, 4096), u64::MAX >> 12);
    }

    #[test]
    fn other_block_sizes_count_whole_blocks() {
        // 9 blocks of 512 bytes are one whole 4096-byte block.
        assert_eq!(logical_blocks(9, 512, 4096), 1);
        assert_eq!(logical_blocks(16, 512, 4096), 2);
        assert_eq!(logical_blocks(7, 512, 4096), 0);
        // One 4096-byte block is eight of 512 bytes (LIO's
        // iblock_get_blocks reports 1: it shifts the last LBA, not the
        // count).
        assert_eq!(logical_blocks(1, 4096, 512), 8);
        assert_eq!(logical_blocks(3, 2048, 1024), 6);
        assert_eq!(logical_blocks(u64::MAX, 4096, 512), u64::MAX >> 9);
        assert_eq!(logical_blocks(10, 512, 0), 5120);
        assert_eq!(logical_blocks(10, 512, 1000), 5);
    }

    #[test]
    fn last_lba_of_nothing_is_none() {
        assert_eq!(last_lba(0), None);
        assert_eq!(last_lba(1), Some(0));
        assert_eq!(last_lba(2048), Some(2047));
    }

    #[test]
    fn a_change_is_seen_once() {
        let c = Capacity::new();
        c.set(2048, 512);
        assert_eq!(c.blocks(512), 2048);
        assert_eq!(c.blocks(4096), 256);
        assert_eq!(c.observe(2048), None);
        let grew = c.observe(4096).unwrap();
        assert_eq!(
            grew,
            Change {
                old: 2048,
                new: 4096
            }
        );
        assert!(!grew.shrank());
        assert_eq!(c.observe(4096), None);
        assert_eq!(c.blocks(512), 4096);
        assert_eq!(c.hw_blocks(), 4096);
        let shrank = c.observe(1024).unwrap();
        assert!(shrank.shrank());
        assert_eq!(c.blocks(512), 1024);
        assert_eq!(c.observe(0), Some(Change { old: 1024, new: 0 }));
        assert_eq!(c.blocks(512), 0);
    }

    #[test]
    fn racing_observers_report_each_change_once() {
        let c = Capacity::new();
        c.set(100, 512);
        let reported = AtomicUsize::new(0);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        for _ in 0..1000 {
                            if c.observe(200).is_some() {
                                reported.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
        });
        assert_eq!(reported.load(Ordering::Relaxed), 1);
        assert_eq!(c.hw_blocks(), 200);
    }
}
