// SPDX-License-Identifier: GPL-2.0

//! `core/<hba>/<device>/statistics/`: the SCSI MIB's tables for a device
//! (RFC 4455): `scsi_dev`, `scsi_tgt_dev` and `scsi_lu`, in LIO's formats.
//!
//! The counters are the device's `DeviceStats`: the SCSI engine counts
//! commands and their data per CPU, task management the resets.

use core::sync::atomic::{AtomicU64, Ordering};

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::configfs::{configfs_node_type, Children, NewNode};
use crate::counters::IoCounters;
use crate::device::DeviceState;
use crate::stat_table::stat_table;

/// A device's counters.
pub(crate) struct DeviceStats {
    /// Commands received and bytes to read and write, by the command's
    /// expected data length (scsiLuNumCommands, scsiLuReadMegaBytes,
    /// scsiLuWrittenMegaBytes): per CPU, counted on the I/O path.
    io: IoCounters,
    /// LOGICAL UNIT RESETs (scsiLuInResets, scsiTgtDevResets).
    resets: AtomicU64,
    /// ABORT TASKs that found the task, and that did not.
    aborts_complete: AtomicU64,
    aborts_no_task: AtomicU64,
}

impl DeviceStats {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            io: IoCounters::new()?,
            resets: AtomicU64::new(0),
            aborts_complete: AtomicU64::new(0),
            aborts_no_task: AtomicU64::new(0),
        })
    }

    /// A command found its LUN on the device (LIO's
    /// transport_lookup_cmd_lun()): `len` is the data length the
    /// transport expects, in the direction `direction` (`DIRECTION_*`).
    pub(crate) fn count_command(&self, direction: u8, len: usize) {
        self.io.add_command_data(direction, len);
    }

    /// A LOGICAL UNIT RESET of the device (LIO's core_tmr_lun_reset()).
    pub(crate) fn count_reset(&self) {
        self.resets.fetch_add(1, Ordering::Relaxed);
    }
}

/// LIO's one logical unit per SCSI MIB target device, and its index.
const LU_COUNT: u32 = 1;
const LU_INDEX: u32 = 1;
/// The peripheral device type of every backstore so far: direct access
/// block device (SBC).
const TYPE_DISK: u32 = 0;

/// Builds `statistics/` with its three tables.
pub(crate) fn new_dir(dev: &Arc<DeviceState>) -> Result<NewNode<DeviceStatistics>> {
    NewNode::new(c"statistics", DeviceStatistics)?
        .with_default(NewNode::new(c"scsi_dev", ScsiDev { dev: dev.clone() })?)?
        .with_default(NewNode::new(
            c"scsi_tgt_dev",
            ScsiTgtDev { dev: dev.clone() },
        )?)?
        .with_default(NewNode::new(c"scsi_lu", ScsiLu { dev: dev.clone() })?)
}

/// `statistics/`: its tables only.
pub(crate) struct DeviceStatistics;

configfs_node_type! {
    DeviceStatistics {
        children: true,
        attrs: [],
    }
}

impl Children for DeviceStatistics {
    type Child = DeviceStatistics;

    /// Refused with ENOSYS, as LIO refuses it.
    fn make_child(&self, _name: &CStr) -> Result<NewNode<DeviceStatistics>> {
        pr_err!("statistics: the tables are fixed; mkdir is not supported\n");
        Err(ENOSYS)
    }
}

fn count(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

stat_table! {
    /// `statistics/scsi_dev/`: scsiDeviceTable.
    pub(crate) struct ScsiDev { dev: Arc<DeviceState> }
    |t| {
        indx: "{}\n", t.dev.config.lock().index;
        inst: "{}\n", t.dev.hba_instance;
        ports: "{}\n", t.dev.export_count();
        role: "Target\n";
    }
}

stat_table! {
    /// `statistics/scsi_tgt_dev/`: scsiTgtDevTable.
    pub(crate) struct ScsiTgtDev { dev: Arc<DeviceState> }
    |t| {
        aborts_complete: "{}\n", count(&t.dev.stats.aborts_complete);
        aborts_no_task: "{}\n", count(&t.dev.stats.aborts_no_task);
        indx: "{}\n", t.dev.config.lock().index;
        inst: "{}\n", t.dev.hba_instance;
        non_access_lus: "{}\n", u32::from(!t.dev.is_exported());
        num_lus: "{}\n", LU_COUNT;
        resets: "{}\n", count(&t.dev.stats.resets);
        status: "{}\n", if t.dev.is_exported() { "activated" } else { "deactivated" };
    }
}

stat_table! {
    /// `statistics/scsi_lu/`: scsiLuTable.
    pub(crate) struct ScsiLu { dev: Arc<DeviceState> }
    |t| {
        creation_time [let created = t.dev.config.lock().created;]:
            "{}\n", crate::sys::mib_time(created);
        dev: "{}\n", t.dev.config.lock().index;
        dev_type: "{}\n", TYPE_DISK;
        /// scsiLuOutTaskSetFullStatus: 0, as LIO.
        full_stat: "0\n";
        /// scsiLuHSInCommands: 0, as LIO.
        hs_num_cmds: "0\n";
        indx: "{}\n", LU_INDEX;
        inst: "{}\n", t.dev.hba_instance;
        /// scsiLuWwnName: the unit serial number, or `None`.
        lu_name [
            let config = t.dev.config.lock();
            let serial = config.wwn.unit_serial.as_str()?;
        ]: "{}\n", if serial.is_empty() { "None" } else { serial };
        /// scsiLuDefaultLun: 0, as LIO.
        lun: "0\n";
        num_cmds: "{}\n", t.dev.stats.io.commands();
        /// Padded to the INQUIRY field width, as LIO shows it (and `vend`
        /// and `rev`).
        prod [let config = t.dev.config.lock();]: "{:<16}\n", config.wwn.product.as_str()?;
        read_mbytes: "{}\n", t.dev.stats.io.read_mbytes();
        resets: "{}\n", count(&t.dev.stats.resets);
        rev [let config = t.dev.config.lock();]: "{:<4}\n", config.wwn.revision.as_str()?;
        state_bit: "exposed\n";
        status: "{}\n", if t.dev.is_exported() { "available" } else { "notavailable" };
        vend [let config = t.dev.config.lock();]: "{:<8}\n", config.wwn.vendor.as_str()?;
        write_mbytes: "{}\n", t.dev.stats.io.write_mbytes();
    }
}
