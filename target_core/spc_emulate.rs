// SPDX-License-Identifier: GPL-2.0

//! SPC commands the core answers itself: INQUIRY (standard data and the
//! VPD pages), REQUEST SENSE, REPORT LUNS and MODE SENSE. The data comes
//! from the shared encoders in proto/src (vpd.rs, report_luns.rs, mode.rs)
//! and is built in a buffer of the allocation length, then copied to the
//! transport's buffer.

use kernel::prelude::*;

use crate::cdb::CdbError;
use crate::command::{data_in, Outcome, Request};
use crate::lun_map::LinkedLun;
use crate::mode;
use crate::report_luns::{self, Lun0, LunFormat};
use crate::rsoc;
use crate::sense::{Sense, SenseFormat, SenseKey};
use crate::vpd;

/// Peripheral qualifier 0, direct access block device.
const DISK: u8 = 0x00;
/// Peripheral qualifier 3 (no logical unit can be here), type 1Fh: what
/// INQUIRY reports for a LUN that is not mapped.
const NO_LUN: u8 = 0x7f;
/// LOGICAL UNIT NOT SUPPORTED.
const LUN_NOT_SUPPORTED: (u8, u8) = (0x25, 0x00);
/// The vendor, product and revision of the answer for a LUN that is not
/// mapped: LIO answers from its virtual LUN 0, a ramdisk.
const NO_LUN_IDS: (&[u8], &[u8], &[u8]) = (b"LIO-ORG", b"RAMDISK-MCP", b"4.0");

/// A zeroed buffer of `len` bytes for a response.
pub(crate) fn buffer(len: usize) -> Result<KVec<u8>, Outcome> {
    let mut v = KVec::new();
    v.resize(len, 0, GFP_KERNEL)
        .map_err(|_| Outcome::TaskSetFull)?;
    Ok(v)
}

/// A command to a LUN that is not mapped: INQUIRY answers with peripheral
/// qualifier 3, REPORT LUNS and REQUEST SENSE are answered (SPC-4 wants
/// them to work on any LUN), anything else is LOGICAL UNIT NOT SUPPORTED.
pub(crate) fn no_such_lun(req: &mut Request<'_>, cdb: &[u8]) -> Outcome {
    use crate::cdb::Command as C;
    let decoded = match crate::cdb::decode(cdb, &crate::cdb::DecodeOptions::LIO_DEFAULT) {
        Ok(d) => d,
        Err(e) => return e.into(),
    };
    match decoded.command {
        C::Inquiry {
            evpd: false,
            alloc_len,
            ..
        } => {
            let (vendor, product, revision) = NO_LUN_IDS;
            let p = vpd::StandardInquiry {
                peripheral: NO_LUN,
                removable: false,
                sccs: true,
                tpgs: 0,
                three_pc: false,
                protect: false,
                multip: false,
                vendor,
                product,
                revision,
                protocol_id: req.protocol_id,
            };
            let mut out = [0u8; vpd::STANDARD_LEN];
            let len = vpd::encode_standard(&p, &mut out);
            data_in(req, &out[..len.min(out.len())], usize::from(alloc_len))
        }
        C::ReportLuns {
            select_report,
            alloc_len,
        } => report_luns(req, select_report, alloc_len),
        C::RequestSense { desc, alloc_len } => request_sense(req, desc, alloc_len),
        _ => Outcome::check(
            SenseKey::IllegalRequest,
            LUN_NOT_SUPPORTED.0,
            LUN_NOT_SUPPORTED.1,
        ),
    }
}

/// INQUIRY: standard data, or the VPD page `page` with `evpd`.
pub(crate) fn inquiry(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    evpd: bool,
    page: u8,
    alloc_len: u16,
) -> Outcome {
    let dev = &lun.dev;
    let ids = dev.inquiry_ids();
    let attrs = dev.attributes();
    let group = lun.state.group().map(|g| g.inquiry_info());
    let mut out = match buffer(usize::from(alloc_len)) {
        Ok(b) => b,
        Err(o) => return o,
    };
    let len = if !evpd {
        vpd::encode_standard(
            &vpd::StandardInquiry {
                peripheral: DISK,
                removable: false,
                sccs: true,
                tpgs: group.map_or(0, |(_, access_type)| access_type >> 4),
                // No EXTENDED COPY yet: not claimed (LIO claims it with
                // emulate_3pc).
                three_pc: false,
                protect: false,
                multip: dev.export_count() > 1,
                vendor: ids.vendor.as_bytes(),
                product: ids.product.as_bytes(),
                revision: ids.revision.as_bytes(),
                protocol_id: req.protocol_id,
            },
            &mut out,
        )
    } else {
        let serial = Some(ids.unit_serial.as_bytes()).filter(|s| !s.is_empty());
        match page {
            // As LIO: the list is empty until the device has a serial.
            0x00 => vpd::encode_supported_pages(
                DISK,
                if serial.is_some() {
                    &vpd::SUPPORTED_PAGES
                } else {
                    &[]
                },
                &mut out,
            ),
            0x80 => vpd::encode_unit_serial(DISK, serial, &mut out),
            0x83 => vpd::encode_device_identification(
                &vpd::DeviceIdentification {
                    peripheral: DISK,
                    unit_serial: serial,
                    company_id: ids.company_id,
                    vendor: ids.vendor.as_bytes(),
                    product: ids.product.as_bytes(),
                    protocol_id: req.protocol_id,
                    rtpi: req.tpg.rtpi(),
                    target_port_group: group.and_then(|(id, _)| id),
                    lu_group: dev.lu_group_id(),
                    target_name: req.tpg.wwn_name().to_bytes(),
                    tpgt: req.tpg.tag(),
                },
                &mut out,
            ),
            0x86 => vpd::encode_extended_inquiry(
                &vpd::ExtendedInquiry {
                    peripheral: DISK,
                    protection_type: 0,
                    write_cache: attrs.emulate_write_cache,
                    referrals: false,
                },
                &mut out,
            ),
            0xb0 => vpd::encode_block_limits(
                &vpd::BlockLimits {
                    peripheral: DISK,
                    max_compare_and_write: u8::from(attrs.emulate_caw),
                    optimal_transfer_granularity: 1,
                    max_transfer_length: lun.io.max_sectors,
                    optimal_transfer_length: attrs.optimal_sectors,
                    // As LIO: the UNMAP and WRITE SAME limits only with
                    // logical block provisioning on.
                    unmap: (attrs.emulate_tpu || attrs.emulate_tpws).then_some(vpd::UnmapLimits {
                        max_unmap_lba_count: attrs.max_unmap_lba_count,
                        max_unmap_block_desc_count: attrs.max_unmap_block_desc_count,
                        unmap_granularity: attrs.unmap_granularity,
                        unmap_granularity_alignment: attrs.unmap_granularity_alignment,
                        max_write_same_len: attrs.max_write_same_len.into(),
                    }),
                    atomic: None,
                },
                &mut out,
            ),
            0xb1 => vpd::encode_block_device_characteristics(DISK, attrs.is_nonrot, &mut out),
            0xb2 => vpd::encode_provisioning(
                &vpd::Provisioning {
                    peripheral: DISK,
                    unmap: attrs.emulate_tpu,
                    write_same_unmap: attrs.emulate_tpws,
                    unmap_zeroes_data: attrs.unmap_zeroes_data,
                },
                &mut out,
            ),
            0xb3 => {
                let (size, multiplier) = dev.lba_map_segments();
                vpd::encode_referrals(DISK, size, multiplier, &mut out)
            }
            _ => return CdbError::invalid_field(2, Some(7)).into(),
        }
    };
    let full = len.min(out.len());
    data_in(req, &out[..full], usize::from(alloc_len))
}

/// REQUEST SENSE: the nexus's pending unit attention for the LUN, or NO
/// SENSE, in the format asked for.
pub(crate) fn request_sense(req: &mut Request<'_>, desc: bool, alloc_len: u8) -> Outcome {
    let format = if desc {
        SenseFormat::Descriptor
    } else {
        SenseFormat::Fixed
    };
    // A pending unit attention is the sense data, and is released (LIO
    // releases all of the LUN's); otherwise there is none.
    let sense = match req.session.take_ua(req.lun, true) {
        Some((asc, ascq)) => Sense::new(SenseKey::UnitAttention, asc, ascq),
        None => Sense::new(SenseKey::NoSense, 0, 0),
    };
    let mut out = [0u8; crate::sense::MAX_LEN];
    match sense.encode(format, &mut out) {
        Ok(len) => data_in(req, &out[..len], usize::from(alloc_len)),
        Err(_) => Outcome::check(SenseKey::HardwareError, 0x44, 0x00),
    }
}

/// REPORT LUNS: the LUNs the nexus sees (its ACL's mapped LUNs, or in
/// demo mode the TPG's) in order, LUN 0 added when there are none, as LIO.
pub(crate) fn report_luns(req: &mut Request<'_>, select_report: u8, alloc_len: u32) -> Outcome {
    let view = req.session.view();
    let luns = view.as_deref().map_or(&[][..], crate::access::View::luns);
    // The header and one entry per LUN, or what the allocation length
    // allows if less.
    let full = 8 + 8 * luns.len().max(1);
    let mut out = match buffer(full.min(alloc_len as usize)) {
        Ok(b) => b,
        Err(o) => return o,
    };
    let len = report_luns::encode_report_luns(
        luns.iter().map(|l| l.lun),
        select_report,
        Lun0::IfEmpty,
        LunFormat::Linux,
        &mut out,
    );
    let n = len.min(out.len());
    data_in(req, &out[..n], alloc_len as usize)
}

/// The mode page values of `lun` now, for a nexus that may (`read_only`
/// false) or may not write to it (the WP bit, which Linux's sd turns into
/// a read-only disk).
fn mode_params(
    lun: &LinkedLun,
    attrs: &crate::attrib::DeviceAttributes,
    read_only: bool,
) -> mode::ModeParams {
    mode::ModeParams {
        device_type: DISK,
        write_protect: read_only,
        dpofua: attrs.emulate_write_cache && attrs.emulate_fua_write,
        // As LIO: the last LBA.
        blocks: lun.blocks().saturating_sub(1),
        block_size: lun.io.block_size,
        wce: attrs.emulate_write_cache,
        d_sense: lun.descriptor_sense(),
        restricted_reordering: attrs.emulate_rest_reord,
        ua_intlck_ctrl: u8::try_from(attrs.emulate_ua_intlck_ctrl).unwrap_or(0),
        tas: attrs.emulate_tas,
        ato: false,
    }
}

/// MODE SENSE(6/10): the read-write error recovery, caching, control,
/// control extension and informational exceptions pages, from the
/// device's attributes.
pub(crate) fn mode_sense(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    q: &mode::ModeSense,
    alloc_len: u16,
) -> Outcome {
    let m = mode_params(lun, &lun.dev.attributes(), req.read_only);
    let mut out = match buffer(usize::from(alloc_len)) {
        Ok(b) => b,
        Err(o) => return o,
    };
    match mode::encode_mode_sense(q, &m, &mut out) {
        Ok(len) => {
            let n = len.min(out.len());
            data_in(req, &out[..n], usize::from(alloc_len))
        }
        Err(e) => e.into(),
    }
}

/// MODE SELECT(6/10): the parameter list is checked against the current
/// values (proto/src/mode.rs); the one changeable setting, the caching
/// page's WCE, becomes the device's `attrib/emulate_write_cache`.
pub(crate) fn mode_select(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    ten: bool,
    param_len: u16,
) -> Outcome {
    let len = usize::from(param_len);
    if req.data.len() < len {
        return CdbError::param_list_length().into();
    }
    let mut data = match buffer(len) {
        Ok(b) => b,
        Err(o) => return o,
    };
    req.data.read_at(0, &mut data);
    let read_only = req.read_only;
    let changes: Result<_, CdbError> = lun.dev.change_attributes(|attrs| {
        let changes = mode::parse_mode_select(ten, &data, &mode_params(lun, attrs, read_only))?;
        let mut changed = false;
        if let Some(wce) = changes.wce {
            changed = attrs.emulate_write_cache != wce;
            attrs.emulate_write_cache = wce;
        }
        Ok(changed)
    });
    match changes {
        Ok(changed) => {
            // SPC-4 5.14: the other I_T nexuses learn of shared mode
            // parameters another one changed.
            if changed {
                lun.dev
                    .queue_ua_all(MODE_PARAMETERS_CHANGED, Some((req.session, req.lun)));
            }
            Outcome::Good {
                moved: len,
                overflow: 0,
            }
        }
        Err(e) => e.into(),
    }
}

/// MODE PARAMETERS CHANGED.
const MODE_PARAMETERS_CHANGED: (u8, u8) = (0x2a, 0x01);

/// The commands this engine executes, for REPORT SUPPORTED OPERATION CODES:
/// proto/src/rsoc.rs's table less what is not executed yet (REPORT TARGET
/// PORT GROUPS); the reservation commands while `emulate_pr` is on, as
/// LIO.
fn command_set(lun: &LinkedLun) -> rsoc::CommandSet {
    let a = lun.dev.attributes();
    let can_unmap = lun.dev.can_unmap();
    rsoc::CommandSet {
        decode: crate::cdb::DecodeOptions {
            dpofua: lun.dev.dpofua(),
            max_compare_and_write: lun.dev.max_compare_and_write(),
            ..crate::command::DECODE
        },
        unmap: a.emulate_tpu && can_unmap,
        write_same_unmap: a.emulate_tpws && can_unmap,
        reservations: a.emulate_pr,
        rsoc: true,
        report_target_port_groups: true,
        set_target_port_groups: lun
            .state
            .group()
            .is_some_and(|g| g.snapshot().1.access_type & crate::alua::TPGS_EXPLICIT != 0),
    }
}

/// REPORT SUPPORTED OPERATION CODES: all commands, or one (options 1-3).
pub(crate) fn report_supported_opcodes(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    rctd: bool,
    options: u8,
    (opcode, service_action): (u8, u16),
    alloc_len: u32,
) -> Outcome {
    let set = command_set(lun);
    // The whole table is a few hundred bytes: built in full, then cut.
    let mut out = match buffer(4096) {
        Ok(b) => b,
        Err(o) => return o,
    };
    let len = if options == 0 {
        rsoc::encode_all_commands(&set, rctd, &mut out)
    } else {
        match rsoc::encode_one_command(&set, options, opcode, service_action, rctd, &mut out) {
            Ok(len) => len,
            Err(e) => return e.into(),
        }
    };
    data_in(req, &out[..len.min(out.len())], alloc_len as usize)
}

/// REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS: ABORT TASK (the fabric
/// lets the command finish, fabric-writers-guide.md) and LOGICAL UNIT
/// RESET (tmf.rs), as LIO.
pub(crate) fn report_supported_tmfs(req: &mut Request<'_>, repd: bool, alloc_len: u32) -> Outcome {
    let mut out = [0u8; 16];
    let len = rsoc::encode_supported_tmfs(&rsoc::SupportedTmfs::LIO, repd, &mut out);
    data_in(req, &out[..len.min(16)], alloc_len as usize)
}
