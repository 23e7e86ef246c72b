// SPDX-License-Identifier: GPL-2.0

//! A TPG's LUN table: its linked LUNs, from which the views of its
//! sessions are built (access.rs).
//!
//! The configfs objects (`lun/lun_<N>/` and its link) take mutexes that
//! management paths hold while they call into the fabric, which may send
//! commands (the loopback fabric scans a new LUN). The table therefore has
//! a spinlock of its own, held only to change it or copy it.

use kernel::prelude::*;
use kernel::sync::{new_spinlock, Arc, SpinLock};

use crate::device::{DeviceState, IoGeometry};
use crate::lun::LunState;

/// A linked LUN.
pub(crate) struct LinkedLun {
    /// The LUN number.
    pub(crate) lun: u64,
    /// The LUN's configfs state (ALUA group, for INQUIRY).
    pub(crate) state: Arc<LunState>,
    /// The device the LUN exports.
    pub(crate) dev: Arc<DeviceState>,
    /// The device's block size and limits, fixed while it is exported.
    pub(crate) io: IoGeometry,
}

impl LinkedLun {
    /// The device's capacity now, in this LUN's logical blocks (a
    /// backstore may change it: `DeviceState::check_capacity`).
    pub(crate) fn blocks(&self) -> u64 {
        self.dev.blocks(self.io.block_size)
    }

    /// Whether the LUN's sense data is in descriptor format: when its
    /// LBAs no longer fit the 32-bit INFORMATION field of fixed-format
    /// sense (SPC-4 4.5.1), as LIO's target_sense_desc_format(). The
    /// control mode page reports it as D_SENSE.
    pub(crate) fn descriptor_sense(&self) -> bool {
        self.blocks() > u64::from(u32::MAX)
    }

    /// The sense data format of commands to the LUN.
    pub(crate) fn sense_format(&self) -> crate::sense::SenseFormat {
        if self.descriptor_sense() {
            crate::sense::SenseFormat::Descriptor
        } else {
            crate::sense::SenseFormat::Fixed
        }
    }
}

/// The table, sorted by LUN number.
#[pin_data]
pub(crate) struct LunMap {
    #[pin]
    luns: SpinLock<KVec<Arc<LinkedLun>>>,
}

impl LunMap {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            luns <- new_spinlock!(KVec::new()),
        })
    }

    /// Adds a LUN; EEXIST if its number is taken.
    pub(crate) fn insert(&self, entry: Arc<LinkedLun>) -> Result {
        // Room is made outside the lock, which cannot allocate: grow a copy
        // until it is big enough, then swap it in.
        loop {
            let needed = self.luns.lock().len() + 1;
            let mut bigger = KVec::with_capacity(needed, GFP_KERNEL)?;
            let mut luns = self.luns.lock();
            if luns.len() + 1 > bigger.capacity() {
                continue;
            }
            let at = match luns.binary_search_by_key(&entry.lun, |e| e.lun) {
                Ok(_) => return Err(EEXIST),
                Err(at) => at,
            };
            // Cannot fail: the capacity was checked under the lock.
            for e in luns.drain_all() {
                bigger.push(e, GFP_NOWAIT)?;
            }
            bigger
                .insert_within_capacity(at, entry)
                .map_err(|_| ENOMEM)?;
            let old = core::mem::replace(&mut *luns, bigger);
            drop(luns);
            drop(old);
            return Ok(());
        }
    }

    /// Removes LUN `lun`; commands already holding it finish with it.
    pub(crate) fn remove(&self, lun: u64) -> Option<Arc<LinkedLun>> {
        let mut luns = self.luns.lock();
        let at = luns.binary_search_by_key(&lun, |e| e.lun).ok()?;
        luns.remove(at).ok()
    }

    /// LUN `lun`, if it is linked.
    pub(crate) fn get(&self, lun: u64) -> Option<Arc<LinkedLun>> {
        let luns = self.luns.lock();
        let at = luns.binary_search_by_key(&lun, |e| e.lun).ok()?;
        luns.get(at).cloned()
    }

    /// Every LUN, in order: what sessions' views are built from.
    pub(crate) fn snapshot(&self) -> Result<KVec<Arc<LinkedLun>>> {
        loop {
            let count = self.luns.lock().len();
            let mut out = KVec::with_capacity(count, GFP_KERNEL)?;
            let luns = self.luns.lock();
            if luns.len() > out.capacity() {
                continue;
            }
            for e in luns.iter() {
                out.push(e.clone(), GFP_NOWAIT)?;
            }
            return Ok(out);
        }
    }
}
