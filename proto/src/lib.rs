// SPDX-License-Identifier: GPL-2.0

//! Pure SCSI protocol logic shared by the tcm-rs kernel modules and the host.
//!
//! Every file under `src/` is written against `core` only: no allocation, no
//! kernel types, no panics on any input. The kernel modules compile the same
//! files with `#[path]` (see target_core/sense.rs); on the host this crate
//! gives them unit tests, property tests and fuzz targets (proto/fuzz/).
//!
//! A file names its siblings as `crate::<file>` (`crate::sense`,
//! `crate::cdb`), so the kernel crate that includes it must have modules
//! (or re-exports) of those names at its root: cdb.rs needs `sense`;
//! mode.rs, sbc.rs and rsoc.rs need `cdb` and `sense`; pr.rs needs `cdb`,
//! `sense` and `pr_transport_id`; pr_aptpl.rs needs `pr`,
//! `pr_transport_id` and `text`; alua_access.rs needs `alua`, `cdb` and
//! `sense`; alua_tpgs.rs needs `alua`, `alua_transition`, `cdb` and
//! `sense`; alua_transition.rs needs `alua`; vpd.rs, report_luns.rs and
//! pr_transport_id.rs need nothing.
//!
//! The SCSI engine's part:
//! - [`cdb`]: CDB decoding into a typed command with its data direction and
//!   length, [`cdb::CdbError`] (sense key, ASC/ASCQ, field pointer) for a
//!   refused CDB, and [`cdb::check_range`] for LBA ranges.
//! - [`vpd`]: standard INQUIRY data and VPD pages 00h, 80h, 83h, 86h, B0h,
//!   B1h, B2h.
//! - [`mode`]: MODE SENSE data and MODE SELECT parameter list checking.
//! - [`report_luns`]: REPORT LUNS data and the 8-byte LUN encoding.
//! - [`rsoc`]: the supported command table, REPORT SUPPORTED OPERATION
//!   CODES and REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS data.
//! - [`sbc`]: READ CAPACITY(10/16) and GET LBA STATUS data, UNMAP parameter
//!   list checking.
//! - [`capacity`]: a device's capacity while its backstore may change it
//!   (noticing a change once, the logical blocks a LUN reads).
//! - [`pr`]: persistent reservations (PERSISTENT RESERVE IN/OUT, the
//!   reservation conflict check, SPC-2 RESERVE/RELEASE) over a
//!   caller-provided registration store; [`pr_transport_id`]: the
//!   TransportIDs and initiator names of its registrations;
//!   [`pr_aptpl`]: LIO's APTPL metadata file, `res_aptpl_metadata` and the
//!   text of the `pr/` configfs attributes.
//! - [`alua_access`]: whether a command may run in the access state of its
//!   target port group (and the LBA dependent state), the INQUIRY TPGS
//!   field.
//! - [`alua_tpgs`]: REPORT TARGET PORT GROUPS data, SET TARGET PORT GROUPS
//!   parameter list checking.
//! - [`alua_transition`]: ALUA state changes: validity, state and status,
//!   unit attentions, delays, metadata.
//!
//!
//! The iSCSI fabric's part:
//! - [`iscsi_pdu`]: the Basic Header Segment of every PDU an initiator
//!   sends, parsed into a typed request, and the target's PDUs encoded.
//! - [`iscsi_param`]: text keys (`key=value` pairs), LIO's TPG parameters
//!   with their defaults and configfs checks, and the negotiation of one
//!   key (RFC 7143 section 13).
//! - [`iscsi_portal`]: network portal names (`np/<ip>:<port>`) split as
//!   LIO splits them.
//! - [`iscsi_session`]: the full-feature phase of a normal session: the
//!   negotiated parameters, LUN and task attribute decoding, extended CDBs,
//!   Data-In cutting, R2Ts and Data-Out checks.
//!
//! Every encoder writes at most `out.len()` bytes (the allocation length)
//! and returns the full length, so the engine can report the residual.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod alua;
pub mod alua_access;
pub mod alua_tpgs;
pub mod alua_transition;
pub mod attrib;
pub mod capacity;
pub mod cdb;
pub mod control;
pub mod inquiry;
pub mod iscsi_param;
pub mod iscsi_pdu;
pub mod iscsi_portal;
pub mod iscsi_session;
pub mod lba_map;
pub mod mode;
pub mod pr;
pub mod pr_aptpl;
pub mod pr_transport_id;
pub mod report_luns;
pub mod rsoc;
pub mod sbc;
pub mod sense;
pub mod text;
pub mod vpd;
