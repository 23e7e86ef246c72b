// SPDX-License-Identifier: GPL-2.0

//! `core/<hba>/<device>/statistics/`: the SCSI MIB's tables for a device
//! (RFC 4455): `scsi_dev`, `scsi_tgt_dev` and `scsi_lu`, in LIO's formats.
//!
//! The counters are the device's `DeviceStats`: the SCSI engine counts
//! commands and their data per CPU, task management the resets.

use core::sync::atomic::{AtomicU64, Ordering};

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::configfs::{configfs_node_type, Children, NewNode, Page};
use crate::counters::Counters;
use crate::device::DeviceState;
use crate::fabric::abi;

/// A device's counters.
pub(crate) struct DeviceStats {
    /// Commands received and bytes to read and write, by the command's
    /// expected data length (scsiLuNumCommands, scsiLuReadMegaBytes,
    /// scsiLuWrittenMegaBytes): per CPU, counted on the I/O path.
    io: Counters<3>,
    /// LOGICAL UNIT RESETs (scsiLuInResets, scsiTgtDevResets).
    resets: AtomicU64,
    /// ABORT TASKs that found the task, and that did not.
    aborts_complete: AtomicU64,
    aborts_no_task: AtomicU64,
}

/// The indexes of `DeviceStats::io`.
const COMMANDS: usize = 0;
const READ_BYTES: usize = 1;
const WRITE_BYTES: usize = 2;

impl DeviceStats {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            io: Counters::new()?,
            resets: AtomicU64::new(0),
            aborts_complete: AtomicU64::new(0),
            aborts_no_task: AtomicU64::new(0),
        })
    }

    /// A command found its LUN on the device (LIO's
    /// transport_lookup_cmd_lun()): `len` is the data length the
    /// transport expects, in the direction `direction` (`DIRECTION_*`).
    pub(crate) fn count_command(&self, direction: u8, len: usize) {
        self.io.add(COMMANDS, 1);
        match direction {
            abi::DIRECTION_TO_DEVICE => self.io.add(WRITE_BYTES, len as u64),
            abi::DIRECTION_FROM_DEVICE => self.io.add(READ_BYTES, len as u64),
            _ => {}
        }
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

/// `statistics/scsi_dev/`: scsiDeviceTable.
pub(crate) struct ScsiDev {
    dev: Arc<DeviceState>,
}

configfs_node_type! {
    ScsiDev {
        children: false,
        attrs: [
            indx: ro(ScsiDev::show_indx),
            inst: ro(ScsiDev::show_inst),
            ports: ro(ScsiDev::show_ports),
            role: ro(ScsiDev::show_role),
        ],
    }
}

impl ScsiDev {
    fn show_inst(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.hba_instance))
    }

    fn show_indx(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.config.lock().index))
    }

    fn show_role(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("Target\n"))
    }

    fn show_ports(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.export_count()))
    }
}

/// `statistics/scsi_tgt_dev/`: scsiTgtDevTable.
pub(crate) struct ScsiTgtDev {
    dev: Arc<DeviceState>,
}

configfs_node_type! {
    ScsiTgtDev {
        children: false,
        attrs: [
            aborts_complete: ro(ScsiTgtDev::show_aborts_complete),
            aborts_no_task: ro(ScsiTgtDev::show_aborts_no_task),
            indx: ro(ScsiTgtDev::show_indx),
            inst: ro(ScsiTgtDev::show_inst),
            non_access_lus: ro(ScsiTgtDev::show_non_access_lus),
            num_lus: ro(ScsiTgtDev::show_num_lus),
            resets: ro(ScsiTgtDev::show_resets),
            status: ro(ScsiTgtDev::show_status),
        ],
    }
}

impl ScsiTgtDev {
    fn show_inst(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.hba_instance))
    }

    fn show_indx(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.config.lock().index))
    }

    fn show_num_lus(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", LU_COUNT))
    }

    fn show_status(&self, page: &mut Page<'_>) -> Result {
        let status = if self.dev.is_exported() {
            "activated"
        } else {
            "deactivated"
        };
        page.emit(fmt!("{}\n", status))
    }

    fn show_non_access_lus(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", u32::from(!self.dev.is_exported())))
    }

    fn show_resets(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", count(&self.dev.stats.resets)))
    }

    fn show_aborts_complete(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", count(&self.dev.stats.aborts_complete)))
    }

    fn show_aborts_no_task(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", count(&self.dev.stats.aborts_no_task)))
    }
}

/// `statistics/scsi_lu/`: scsiLuTable.
pub(crate) struct ScsiLu {
    dev: Arc<DeviceState>,
}

configfs_node_type! {
    ScsiLu {
        children: false,
        attrs: [
            creation_time: ro(ScsiLu::show_creation_time),
            dev: ro(ScsiLu::show_dev),
            dev_type: ro(ScsiLu::show_dev_type),
            full_stat: ro(ScsiLu::show_zero),
            hs_num_cmds: ro(ScsiLu::show_zero),
            indx: ro(ScsiLu::show_indx),
            inst: ro(ScsiLu::show_inst),
            lu_name: ro(ScsiLu::show_lu_name),
            lun: ro(ScsiLu::show_zero),
            num_cmds: ro(ScsiLu::show_num_cmds),
            prod: ro(ScsiLu::show_prod),
            read_mbytes: ro(ScsiLu::show_read_mbytes),
            resets: ro(ScsiLu::show_resets),
            rev: ro(ScsiLu::show_rev),
            state_bit: ro(ScsiLu::show_state_bit),
            status: ro(ScsiLu::show_status),
            vend: ro(ScsiLu::show_vend),
            write_mbytes: ro(ScsiLu::show_write_mbytes),
        ],
    }
}

impl ScsiLu {
    fn show_inst(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.hba_instance))
    }

    fn show_dev(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.config.lock().index))
    }

    fn show_indx(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", LU_INDEX))
    }

    /// scsiLuDefaultLun, full_stat (scsiLuOutTaskSetFullStatus) and
    /// hs_num_cmds (scsiLuHSInCommands): LIO reports 0 for all three.
    fn show_zero(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("0\n"))
    }

    /// scsiLuWwnName: the unit serial number, or `None`.
    fn show_lu_name(&self, page: &mut Page<'_>) -> Result {
        let config = self.dev.config.lock();
        let serial = config.wwn.unit_serial.as_str()?;
        page.emit(fmt!(
            "{}\n",
            if serial.is_empty() { "None" } else { serial }
        ))
    }

    /// Padded to the INQUIRY field widths, as LIO shows them.
    fn show_vend(&self, page: &mut Page<'_>) -> Result {
        let config = self.dev.config.lock();
        let v = config.wwn.vendor.as_str()?;
        page.emit(fmt!("{:<8}\n", v))
    }

    fn show_prod(&self, page: &mut Page<'_>) -> Result {
        let config = self.dev.config.lock();
        let v = config.wwn.product.as_str()?;
        page.emit(fmt!("{:<16}\n", v))
    }

    fn show_rev(&self, page: &mut Page<'_>) -> Result {
        let config = self.dev.config.lock();
        let v = config.wwn.revision.as_str()?;
        page.emit(fmt!("{:<4}\n", v))
    }

    fn show_dev_type(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", TYPE_DISK))
    }

    fn show_status(&self, page: &mut Page<'_>) -> Result {
        let status = if self.dev.is_exported() {
            "available"
        } else {
            "notavailable"
        };
        page.emit(fmt!("{}\n", status))
    }

    fn show_state_bit(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("exposed\n"))
    }

    fn show_num_cmds(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.stats.io.sum(COMMANDS)))
    }

    fn show_read_mbytes(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.stats.io.sum(READ_BYTES) >> 20))
    }

    fn show_write_mbytes(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.dev.stats.io.sum(WRITE_BYTES) >> 20))
    }

    fn show_resets(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", count(&self.dev.stats.resets)))
    }

    fn show_creation_time(&self, page: &mut Page<'_>) -> Result {
        let created = self.dev.config.lock().created;
        page.emit(fmt!("{}\n", crate::sys::mib_time(created)))
    }
}
