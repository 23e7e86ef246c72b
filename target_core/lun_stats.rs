// SPDX-License-Identifier: GPL-2.0

//! The SCSI MIB (RFC 4455) tables of a TPG's LUNs and of ACLs' mapped LUNs,
//! in LIO's formats (target_core_stat.c):
//!
//! - `lun/lun_<N>/statistics/{scsi_port,scsi_tgt_port,scsi_transport}/`:
//!   the target port, with the commands the LUN took and the data it moved;
//! - `acls/<initiator>/lun_<M>/statistics/{scsi_auth_intr,scsi_att_intr_port}/`:
//!   the initiator's access to the LUN, with its commands and data.
//!
//! The counters are per CPU ([`Counters`]); the engine counts where LIO
//! does: the mapped LUN and the device when a command finds its LUN, the
//! LUN's commands once the CDB is decoded, and its data when the command
//! completes with GOOD.

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::access::AclShared;
use crate::configfs::{configfs_node_type, NewNode, Page};
use crate::counters::Counters;
use crate::fabric::abi;
use crate::lun::LunState;
use crate::tpg::{EmptyGroup, TpgState};

/// The indexes of a LUN's counters.
const IN_CMDS: usize = 0;
const TX_OCTETS: usize = 1;
const RX_OCTETS: usize = 2;

/// A TPG LUN's counters (LIO's `scsi_port_stats`).
pub(crate) struct LunStats {
    io: Counters<3>,
}

impl LunStats {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            io: Counters::new()?,
        })
    }

    /// A command whose CDB was decoded (scsiTgtPortInCommands; LIO counts
    /// it at the end of target_cmd_parse_cdb()).
    pub(crate) fn count_in_cmd(&self) {
        self.io.add(IN_CMDS, 1);
    }

    /// A command completed with GOOD after moving `moved` bytes in
    /// `direction` (LIO's tx_data_octets and rx_data_octets).
    pub(crate) fn count_data(&self, direction: u8, moved: usize) {
        match direction {
            abi::DIRECTION_FROM_DEVICE => self.io.add(TX_OCTETS, moved as u64),
            abi::DIRECTION_TO_DEVICE => self.io.add(RX_OCTETS, moved as u64),
            _ => {}
        }
    }
}

/// The indexes of a mapped LUN's counters.
const TOTAL_CMDS: usize = 0;
const READ_BYTES: usize = 1;
const WRITE_BYTES: usize = 2;

/// A linked mapped LUN's counters (LIO's `se_dev_entry_io_stats`), shared
/// by the ACL's mapping and the views of its initiator's sessions, so that
/// a view rebuilt keeps counting into them. A new link starts from 0, as
/// LIO's new `se_dev_entry`.
pub(crate) struct MappingStats {
    io: Counters<3>,
    /// When the mapping was linked, in jiffies (scsiAuthIntrLastCreation).
    created: u64,
}

impl MappingStats {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                io: Counters::new()?,
                created: crate::sys::jiffies(),
            },
            GFP_KERNEL,
        )?)
    }

    /// A command for the mapped LUN, with the data length the transport
    /// expects (LIO's transport_lookup_cmd_lun()).
    pub(crate) fn count_command(&self, direction: u8, len: usize) {
        self.io.add(TOTAL_CMDS, 1);
        match direction {
            abi::DIRECTION_TO_DEVICE => self.io.add(WRITE_BYTES, len as u64),
            abi::DIRECTION_FROM_DEVICE => self.io.add(READ_BYTES, len as u64),
            _ => {}
        }
    }
}

/// scsiInstIndex of a TPG: LIO asks the fabric (`tpg_get_inst_index`),
/// whose default, and tcm_loop's, is 1. The fabric ABI does not ask yet.
const TPG_INST_INDEX: u32 = 1;
/// scsiAttIntrPortIndex: LIO asks the fabric (`sess_get_index`); tcm_loop
/// answers 1.
const SESSION_INDEX: u32 = 1;

/// SCSI protocol identifiers (SPC-4 7.6.1) of the port names a TPG's WWN
/// can have.
const PROTOCOL_FCP: u8 = 0x0;
const PROTOCOL_ISCSI: u8 = 0x5;
const PROTOCOL_SAS: u8 = 0x6;

/// The SCSI protocol of the TPG's port, from its WWN's name as the
/// loopback fabric reads it: `naa.` SAS, `iqn.` or `eui.` iSCSI, else FCP.
fn protocol_of(tpg: &TpgState) -> u8 {
    let name = tpg.wwn_name().to_bytes();
    if name.starts_with(b"naa.") {
        PROTOCOL_SAS
    } else if name.starts_with(b"iqn.") || name.starts_with(b"eui.") {
        PROTOCOL_ISCSI
    } else {
        PROTOCOL_FCP
    }
}

fn text(s: &CStr) -> Result<&str> {
    s.to_str().map_err(|_| EINVAL)
}

/// `lun_<N>/statistics/` and its three tables.
pub(crate) fn new_lun_dir(lun: &Arc<LunState>) -> Result<NewNode<EmptyGroup>> {
    NewNode::new(c"statistics", EmptyGroup)?
        .with_default(NewNode::new(c"scsi_port", ScsiPort { lun: lun.clone() })?)?
        .with_default(NewNode::new(
            c"scsi_tgt_port",
            ScsiTgtPort { lun: lun.clone() },
        )?)?
        .with_default(NewNode::new(
            c"scsi_transport",
            ScsiTransport { lun: lun.clone() },
        )?)
}

/// What the port tables show of a linked LUN's device.
struct PortDevice {
    hba_instance: u32,
    index: u32,
}

/// The LUN's device, or ENODEV while none is linked (as LIO).
fn port_device(lun: &LunState) -> Result<PortDevice> {
    let dev = lun.device().ok_or(ENODEV)?;
    let index = dev.config.lock().index;
    Ok(PortDevice {
        hba_instance: dev.hba_instance,
        index,
    })
}

/// `statistics/scsi_port/`: scsiPortTable.
pub(crate) struct ScsiPort {
    lun: Arc<LunState>,
}

configfs_node_type! {
    ScsiPort {
        children: false,
        attrs: [
            busy_count: ro(ScsiPort::show_busy_count),
            dev: ro(ScsiPort::show_dev),
            indx: ro(ScsiPort::show_indx),
            inst: ro(ScsiPort::show_inst),
            role: ro(ScsiPort::show_role),
        ],
    }
}

impl ScsiPort {
    fn show_inst(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", port_device(&self.lun)?.hba_instance))
    }

    fn show_dev(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", port_device(&self.lun)?.index))
    }

    /// The relative target port identifier.
    fn show_indx(&self, page: &mut Page<'_>) -> Result {
        port_device(&self.lun)?;
        page.emit(fmt!("{}\n", self.lun.tpg().rtpi()))
    }

    fn show_role(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("Device{}\n", port_device(&self.lun)?.index))
    }

    /// scsiPortBusyStatuses: 0, as LIO.
    fn show_busy_count(&self, page: &mut Page<'_>) -> Result {
        port_device(&self.lun)?;
        page.emit(fmt!("0\n"))
    }
}

/// `statistics/scsi_tgt_port/`: scsiTgtPortTable.
pub(crate) struct ScsiTgtPort {
    lun: Arc<LunState>,
}

configfs_node_type! {
    ScsiTgtPort {
        children: false,
        attrs: [
            dev: ro(ScsiTgtPort::show_dev),
            hs_in_cmds: ro(ScsiTgtPort::show_hs_in_cmds),
            in_cmds: ro(ScsiTgtPort::show_in_cmds),
            indx: ro(ScsiTgtPort::show_indx),
            inst: ro(ScsiTgtPort::show_inst),
            name: ro(ScsiTgtPort::show_name),
            port_index: ro(ScsiTgtPort::show_port_index),
            read_mbytes: ro(ScsiTgtPort::show_read_mbytes),
            write_mbytes: ro(ScsiTgtPort::show_write_mbytes),
        ],
    }
}

impl ScsiTgtPort {
    fn show_inst(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", port_device(&self.lun)?.hba_instance))
    }

    fn show_dev(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", port_device(&self.lun)?.index))
    }

    fn show_indx(&self, page: &mut Page<'_>) -> Result {
        port_device(&self.lun)?;
        page.emit(fmt!("{}\n", self.lun.tpg().rtpi()))
    }

    /// `<fabric>Port#<rtpi>`.
    fn show_name(&self, page: &mut Page<'_>) -> Result {
        port_device(&self.lun)?;
        let tpg = self.lun.tpg();
        page.emit(fmt!("{}Port#{}\n", text(tpg.fabric().name())?, tpg.rtpi()))
    }

    /// `<wwn>+t+<tag>`.
    fn show_port_index(&self, page: &mut Page<'_>) -> Result {
        port_device(&self.lun)?;
        let tpg = self.lun.tpg();
        page.emit(fmt!("{}+t+{}\n", text(tpg.wwn_name())?, tpg.tag()))
    }

    fn show_counter(&self, page: &mut Page<'_>, i: usize, shift: u32) -> Result {
        port_device(&self.lun)?;
        page.emit(fmt!("{}\n", self.lun.stats.io.sum(i) >> shift))
    }

    fn show_in_cmds(&self, page: &mut Page<'_>) -> Result {
        self.show_counter(page, IN_CMDS, 0)
    }

    /// MiB received from initiators (written).
    fn show_write_mbytes(&self, page: &mut Page<'_>) -> Result {
        self.show_counter(page, RX_OCTETS, 20)
    }

    /// MiB sent to initiators (read).
    fn show_read_mbytes(&self, page: &mut Page<'_>) -> Result {
        self.show_counter(page, TX_OCTETS, 20)
    }

    /// scsiTgtPortHsInCommands: 0, as LIO.
    fn show_hs_in_cmds(&self, page: &mut Page<'_>) -> Result {
        port_device(&self.lun)?;
        page.emit(fmt!("0\n"))
    }
}

/// `statistics/scsi_transport/`: scsiTransportTable.
pub(crate) struct ScsiTransport {
    lun: Arc<LunState>,
}

configfs_node_type! {
    ScsiTransport {
        children: false,
        attrs: [
            dev_name: ro(ScsiTransport::show_dev_name),
            device: ro(ScsiTransport::show_device),
            indx: ro(ScsiTransport::show_indx),
            inst: ro(ScsiTransport::show_inst),
            proto_id: ro(ScsiTransport::show_proto_id),
        ],
    }
}

impl ScsiTransport {
    fn show_inst(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", port_device(&self.lun)?.hba_instance))
    }

    /// scsiTransportType: `scsiTransport<fabric>`.
    fn show_device(&self, page: &mut Page<'_>) -> Result {
        port_device(&self.lun)?;
        page.emit(fmt!(
            "scsiTransport{}\n",
            text(self.lun.tpg().fabric().name())?
        ))
    }

    fn show_indx(&self, page: &mut Page<'_>) -> Result {
        port_device(&self.lun)?;
        page.emit(fmt!("{}\n", TPG_INST_INDEX))
    }

    /// scsiTransportDevName: `<wwn>+<unit serial>`, or the vendor when the
    /// device has no serial.
    fn show_dev_name(&self, page: &mut Page<'_>) -> Result {
        let dev = self.lun.device().ok_or(ENODEV)?;
        let config = dev.config.lock();
        let serial = config.wwn.unit_serial.as_str()?;
        let id = if serial.is_empty() {
            config.wwn.vendor.as_str()?
        } else {
            serial
        };
        page.emit(fmt!("{}+{}\n", text(self.lun.tpg().wwn_name())?, id))
    }

    fn show_proto_id(&self, page: &mut Page<'_>) -> Result {
        port_device(&self.lun)?;
        page.emit(fmt!("{}\n", protocol_of(self.lun.tpg())))
    }
}

/// `acls/<initiator>/lun_<M>/statistics/` and its two tables.
pub(crate) fn new_mapped_dir(
    tpg: &Arc<TpgState>,
    acl: &Arc<AclShared>,
    number: u64,
) -> Result<NewNode<EmptyGroup>> {
    let mapped = || MappedStat {
        tpg: tpg.clone(),
        acl: acl.clone(),
        number,
    };
    NewNode::new(c"statistics", EmptyGroup)?
        .with_default(NewNode::new(
            c"scsi_auth_intr",
            ScsiAuthIntr { m: mapped() },
        )?)?
        .with_default(NewNode::new(
            c"scsi_att_intr_port",
            ScsiAttIntrPort { m: mapped() },
        )?)
}

/// What the mapped LUN tables look at.
struct MappedStat {
    tpg: Arc<TpgState>,
    acl: Arc<AclShared>,
    /// M of `lun_<M>`.
    number: u64,
}

/// A linked mapping's LUN and counters, seen by the tables as LIO's
/// `se_dev_entry`.
struct Entry {
    stats: Arc<MappingStats>,
    /// The index of the LUN's device (LIO's `lun_index`).
    lun_index: u32,
}

impl MappedStat {
    /// The ACL's mapping of M while its LUN exports a device; ENODEV
    /// otherwise (LIO has no `se_dev_entry` then).
    fn entry(&self) -> Result<Entry> {
        let (lun, stats) = {
            let mapped = self.acl.mapped.lock();
            let m = mapped
                .iter()
                .find(|m| m.number == self.number)
                .ok_or(ENODEV)?;
            (m.lun.clone(), m.stats.clone())
        };
        let dev = lun.device().ok_or(ENODEV)?;
        let lun_index = dev.config.lock().index;
        Ok(Entry { stats, lun_index })
    }

    /// Whether a session of the ACL's initiator is logged in (LIO's
    /// `nacl_sess`); ENODEV if not.
    fn session(&self) -> Result {
        let sessions = self.tpg.sessions.lock();
        if sessions
            .iter()
            .any(|s| s.initiator() == self.acl.initiator())
        {
            Ok(())
        } else {
            Err(ENODEV)
        }
    }
}

/// `statistics/scsi_auth_intr/`: scsiAuthorizedIntrTable.
pub(crate) struct ScsiAuthIntr {
    m: MappedStat,
}

configfs_node_type! {
    ScsiAuthIntr {
        children: false,
        attrs: [
            att_count: ro(ScsiAuthIntr::show_att_count),
            creation_time: ro(ScsiAuthIntr::show_creation_time),
            dev: ro(ScsiAuthIntr::show_dev),
            dev_or_port: ro(ScsiAuthIntr::show_dev_or_port),
            hs_num_cmds: ro(ScsiAuthIntr::show_hs_num_cmds),
            indx: ro(ScsiAuthIntr::show_indx),
            inst: ro(ScsiAuthIntr::show_inst),
            intr_name: ro(ScsiAuthIntr::show_intr_name),
            map_indx: ro(ScsiAuthIntr::show_map_indx),
            num_cmds: ro(ScsiAuthIntr::show_num_cmds),
            port: ro(ScsiAuthIntr::show_port),
            read_mbytes: ro(ScsiAuthIntr::show_read_mbytes),
            row_status: ro(ScsiAuthIntr::show_row_status),
            write_mbytes: ro(ScsiAuthIntr::show_write_mbytes),
        ],
    }
}

impl ScsiAuthIntr {
    fn show_inst(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("{}\n", TPG_INST_INDEX))
    }

    fn show_dev(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.m.entry()?.lun_index))
    }

    /// scsiAuthIntrTgtPortIndex: the TPG's tag.
    fn show_port(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("{}\n", self.m.tpg.tag()))
    }

    /// scsiAuthIntrIndex: the ACL's index.
    fn show_indx(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("{}\n", self.m.acl.index()))
    }

    fn show_dev_or_port(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("1\n"))
    }

    fn show_intr_name(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("{}\n", text(self.m.acl.initiator())?))
    }

    /// scsiAuthIntrLunMapIndex: 0, as LIO.
    fn show_map_indx(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("0\n"))
    }

    /// scsiAuthIntrAttachedTimes: a link is attached once, as LIO's new
    /// `se_dev_entry`.
    fn show_att_count(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("1\n"))
    }

    fn show_counter(&self, page: &mut Page<'_>, i: usize, shift: u32) -> Result {
        let e = self.m.entry()?;
        page.emit(fmt!("{}\n", e.stats.io.sum(i) >> shift))
    }

    fn show_num_cmds(&self, page: &mut Page<'_>) -> Result {
        self.show_counter(page, TOTAL_CMDS, 0)
    }

    fn show_read_mbytes(&self, page: &mut Page<'_>) -> Result {
        self.show_counter(page, READ_BYTES, 20)
    }

    fn show_write_mbytes(&self, page: &mut Page<'_>) -> Result {
        self.show_counter(page, WRITE_BYTES, 20)
    }

    /// scsiAuthIntrHSOutCommands: 0, as LIO.
    fn show_hs_num_cmds(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("0\n"))
    }

    /// When the mapping was linked, in hundredths of a second, with LIO's
    /// arithmetic.
    fn show_creation_time(&self, page: &mut Page<'_>) -> Result {
        let e = self.m.entry()?;
        page.emit(fmt!("{}\n", crate::sys::mib_time(e.stats.created)))
    }

    /// scsiAuthIntrRowStatus: `Ready`, as LIO.
    fn show_row_status(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("Ready\n"))
    }
}

/// `statistics/scsi_att_intr_port/`: scsiAttIntrPortTable.
pub(crate) struct ScsiAttIntrPort {
    m: MappedStat,
}

configfs_node_type! {
    ScsiAttIntrPort {
        children: false,
        attrs: [
            dev: ro(ScsiAttIntrPort::show_dev),
            indx: ro(ScsiAttIntrPort::show_indx),
            inst: ro(ScsiAttIntrPort::show_inst),
            port: ro(ScsiAttIntrPort::show_port),
            port_auth_indx: ro(ScsiAttIntrPort::show_port_auth_indx),
            port_ident: ro(ScsiAttIntrPort::show_port_ident),
        ],
    }
}

impl ScsiAttIntrPort {
    fn show_inst(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("{}\n", TPG_INST_INDEX))
    }

    fn show_dev(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.m.entry()?.lun_index))
    }

    fn show_port(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("{}\n", self.m.tpg.tag()))
    }

    /// scsiAttIntrPortIndex: the session's index, while the initiator is
    /// logged in.
    fn show_indx(&self, page: &mut Page<'_>) -> Result {
        self.m.session()?;
        page.emit(fmt!("{}\n", SESSION_INDEX))
    }

    fn show_port_auth_indx(&self, page: &mut Page<'_>) -> Result {
        self.m.entry()?;
        page.emit(fmt!("{}\n", self.m.acl.index()))
    }

    /// `<initiator>+i+<session id>`, while the initiator is logged in; the
    /// session id (iSCSI's ISID) is empty for the fabrics there are.
    fn show_port_ident(&self, page: &mut Page<'_>) -> Result {
        self.m.session()?;
        page.emit(fmt!("{}+i+\n", text(self.m.acl.initiator())?))
    }
}
