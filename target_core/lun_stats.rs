// SPDX-License-Identifier: GPL-2.0

//! The SCSI MIB (RFC 4455) tables of a TPG's LUNs and of ACLs' mapped LUNs,
//! in LIO's formats (target_core_stat.c):
//!
//! - `lun/lun_<N>/statistics/{scsi_port,scsi_tgt_port,scsi_transport}/`:
//!   the target port, with the commands the LUN took and the data it moved;
//! - `acls/<initiator>/lun_<M>/statistics/{scsi_auth_intr,scsi_att_intr_port}/`:
//!   the initiator's access to the LUN, with its commands and data.
//!
//! The counters are per CPU ([`IoCounters`]); the engine counts where LIO
//! does: the mapped LUN and the device when a command finds its LUN, the
//! LUN's commands once the CDB is decoded, and its data when the command
//! completes with GOOD.

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::access::AclShared;
use crate::configfs::NewNode;
use crate::counters::IoCounters;
use crate::device::DeviceState;
use crate::lun::LunState;
use crate::stat_table::stat_table;
use crate::tpg::{EmptyGroup, TpgState};

/// A TPG LUN's counters (LIO's `scsi_port_stats`).
pub(crate) struct LunStats {
    io: IoCounters,
}

impl LunStats {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            io: IoCounters::new()?,
        })
    }

    /// A command whose CDB was decoded (scsiTgtPortInCommands; LIO counts
    /// it at the end of target_cmd_parse_cdb()).
    pub(crate) fn count_in_cmd(&self) {
        self.io.add_command();
    }

    /// A command completed with GOOD after moving `moved` bytes in
    /// `direction` (LIO's tx_data_octets and rx_data_octets).
    pub(crate) fn count_data(&self, direction: u8, moved: usize) {
        self.io.add_data(direction, moved);
    }
}

/// A linked mapped LUN's counters (LIO's `se_dev_entry_io_stats`), shared
/// by the ACL's mapping and the views of its initiator's sessions, so that
/// a view rebuilt keeps counting into them. A new link starts from 0, as
/// LIO's new `se_dev_entry`.
pub(crate) struct MappingStats {
    io: IoCounters,
    /// When the mapping was linked, in jiffies (scsiAuthIntrLastCreation).
    created: u64,
}

impl MappingStats {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                io: IoCounters::new()?,
                created: crate::sys::jiffies(),
            },
            GFP_KERNEL,
        )?)
    }

    /// A command for the mapped LUN, with the data length the transport
    /// expects (LIO's transport_lookup_cmd_lun()).
    pub(crate) fn count_command(&self, direction: u8, len: usize) {
        self.io.add_command_data(direction, len);
    }
}

/// scsiInstIndex of a TPG: LIO asks the fabric (`tpg_get_inst_index`),
/// whose default, and tcm_loop's, is 1. The fabric ABI does not ask yet.
const TPG_INST_INDEX: u32 = 1;
/// scsiAttIntrPortIndex: LIO asks the fabric (`sess_get_index`); tcm_loop
/// answers 1.
const SESSION_INDEX: u32 = 1;

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

/// The LUN's device, or ENODEV while none is linked (as LIO): every file
/// of the port tables checks it.
fn port_device(lun: &LunState) -> Result<Arc<DeviceState>> {
    lun.device().ok_or(ENODEV)
}

stat_table! {
    /// `statistics/scsi_port/`: scsiPortTable.
    pub(crate) struct ScsiPort { lun: Arc<LunState> }
    |t| let d = port_device(&t.lun)?;
    {
        /// scsiPortBusyStatuses: 0, as LIO.
        busy_count: "0\n";
        dev: "{}\n", d.config.lock().index;
        /// The relative target port identifier.
        indx: "{}\n", t.lun.tpg().rtpi();
        inst: "{}\n", d.hba_instance;
        role: "Device{}\n", d.config.lock().index;
    }
}

stat_table! {
    /// `statistics/scsi_tgt_port/`: scsiTgtPortTable.
    pub(crate) struct ScsiTgtPort { lun: Arc<LunState> }
    |t| let d = port_device(&t.lun)?;
    {
        dev: "{}\n", d.config.lock().index;
        /// scsiTgtPortHsInCommands: 0, as LIO.
        hs_in_cmds: "0\n";
        in_cmds: "{}\n", t.lun.stats.io.commands();
        indx: "{}\n", t.lun.tpg().rtpi();
        inst: "{}\n", d.hba_instance;
        /// `<fabric>Port#<rtpi>`.
        name [let tpg = t.lun.tpg();]: "{}Port#{}\n", text(tpg.fabric().display_name())?, tpg.rtpi();
        /// `<wwn>+t+<tag>`.
        port_index [let tpg = t.lun.tpg();]: "{}+t+{}\n", text(tpg.wwn_name())?, tpg.tag();
        /// MiB sent to initiators (read).
        read_mbytes: "{}\n", t.lun.stats.io.read_mbytes();
        /// MiB received from initiators (written).
        write_mbytes: "{}\n", t.lun.stats.io.write_mbytes();
    }
}

stat_table! {
    /// `statistics/scsi_transport/`: scsiTransportTable.
    pub(crate) struct ScsiTransport { lun: Arc<LunState> }
    |t| let d = port_device(&t.lun)?;
    {
        /// scsiTransportDevName: `<wwn>+<unit serial>`, or the vendor when
        /// the device has no serial.
        dev_name [
            let config = d.config.lock();
            let serial = config.wwn.unit_serial.as_str()?;
            let id = if serial.is_empty() { config.wwn.vendor.as_str()? } else { serial };
        ]: "{}+{}\n", text(t.lun.tpg().wwn_name())?, id;
        /// scsiTransportType: `scsiTransport<fabric>`.
        device: "scsiTransport{}\n", text(t.lun.tpg().fabric().display_name())?;
        indx: "{}\n", TPG_INST_INDEX;
        inst: "{}\n", d.hba_instance;
        proto_id: "{}\n", t.lun.tpg().protocol();
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

    /// The index of the session of the ACL's initiator while one is
    /// logged in (LIO's `nacl_sess`); ENODEV if none is.
    fn session(&self) -> Result<u32> {
        self.session_isid().map(|_| SESSION_INDEX)
    }

    /// The ISID of the ACL's initiator's latest session (LIO's
    /// `nacl_sess`), `None` for a fabric without ISIDs; ENODEV if no
    /// session is logged in.
    fn session_isid(&self) -> Result<Option<[u8; 6]>> {
        let sessions = self.tpg.sessions.lock();
        sessions
            .iter()
            .rev()
            .find(|s| s.initiator() == self.acl.initiator())
            .map(|s| s.isid())
            .ok_or(ENODEV)
    }
}

/// An ISID as LIO's iSCSI `sess_get_initiator_sid` writes it (`%6phN`: 12
/// lower-case hex digits), nothing for none.
struct IsidText(Option<[u8; 6]>);

impl kernel::fmt::Display for IsidText {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        for b in self.0.iter().flatten() {
            write!(f, "{:02x}", b)?;
        }
        Ok(())
    }
}

stat_table! {
    /// `statistics/scsi_auth_intr/`: scsiAuthorizedIntrTable.
    pub(crate) struct ScsiAuthIntr { m: MappedStat }
    |t| let e = t.m.entry()?;
    {
        /// scsiAuthIntrAttachedTimes: a link is attached once, as LIO's new
        /// `se_dev_entry`.
        att_count: "1\n";
        /// When the mapping was linked, in hundredths of a second, with
        /// LIO's arithmetic.
        creation_time: "{}\n", crate::sys::mib_time(e.stats.created);
        dev: "{}\n", e.lun_index;
        dev_or_port: "1\n";
        /// scsiAuthIntrHSOutCommands: 0, as LIO.
        hs_num_cmds: "0\n";
        /// scsiAuthIntrIndex: the ACL's index.
        indx: "{}\n", t.m.acl.index();
        inst: "{}\n", TPG_INST_INDEX;
        intr_name: "{}\n", text(t.m.acl.initiator())?;
        /// scsiAuthIntrLunMapIndex: 0, as LIO.
        map_indx: "0\n";
        num_cmds: "{}\n", e.stats.io.commands();
        /// scsiAuthIntrTgtPortIndex: the TPG's tag.
        port: "{}\n", t.m.tpg.tag();
        read_mbytes: "{}\n", e.stats.io.read_mbytes();
        /// scsiAuthIntrRowStatus: `Ready`, as LIO.
        row_status: "Ready\n";
        write_mbytes: "{}\n", e.stats.io.write_mbytes();
    }
}

stat_table! {
    /// `statistics/scsi_att_intr_port/`: scsiAttIntrPortTable. Two of its
    /// files need a session of the initiator, the others the mapping.
    pub(crate) struct ScsiAttIntrPort { m: MappedStat }
    |t| {
        dev [let e = t.m.entry()?;]: "{}\n", e.lun_index;
        /// scsiAttIntrPortIndex: the session's index, while the initiator
        /// is logged in.
        indx [let index = t.m.session()?;]: "{}\n", index;
        inst [let _ = t.m.entry()?;]: "{}\n", TPG_INST_INDEX;
        port [let _ = t.m.entry()?;]: "{}\n", t.m.tpg.tag();
        port_auth_indx [let _ = t.m.entry()?;]: "{}\n", t.m.acl.index();
        /// `<initiator>+i+<session id>`, while the initiator is logged in:
        /// the session id is iSCSI's ISID, empty for other fabrics.
        port_ident [let isid = t.m.session_isid()?;]: "{}+i+{}\n", text(t.m.acl.initiator())?, IsidText(isid);
    }
}
