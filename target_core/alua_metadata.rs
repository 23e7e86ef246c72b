// SPDX-License-Identifier: GPL-2.0

//! ALUA metadata files, as LIO writes them under `dbroot`:
//!
//! - a target port group with `alua_write_metadata` set gets
//!   `<dbroot>/alua/tpgs_<unit serial>/<group>` after each transition
//!   (its ID, access state and status);
//! - a LUN with `alua_tg_pt_write_md` set gets
//!   `<dbroot>/alua/<fabric>/<wwn>+<tpgt>/lun_<N>` after each change of its
//!   port's secondary (offline) state.
//!
//! The text is LIO's (proto/src/alua_transition.rs encodes it). Unlike LIO,
//! a file is replaced atomically (`sys::replace_file`: a `.tmp` file in the
//! same directory, synced, renamed over it), so a crash leaves the previous
//! state, never a torn one. As in LIO the directories must exist (nothing
//! creates them), and a file that cannot be written is logged and changes
//! nothing else: the transition has happened.

use kernel::prelude::*;
use kernel::str::CString;

use crate::alua_transition;
use crate::device::DeviceState;
use crate::device_alua::TgPtGroup;
use crate::lun::LunState;

/// The longest metadata text (LIO's ALUA_MD_BUF_LEN is 1024).
const TEXT_MAX: usize = 128;

/// `parts` joined, as a C string (EINVAL for a NUL inside).
fn path(parts: &[&[u8]]) -> Result<CString> {
    let mut v = KVec::new();
    for p in parts {
        v.extend_from_slice(p, GFP_KERNEL)?;
    }
    crate::sys::cstring(&v)
}

/// Replaces `dir/name` with `text`, logging a failure.
fn write(dir: &[&[u8]], name: &[u8], text: &[u8]) {
    let (Ok(dir), Ok(file), Ok(tmp)) = (path(dir), path(&[name]), path(&[name, b".tmp"])) else {
        pr_warn!("ALUA metadata not written: no memory, or a NUL in a name\n");
        return;
    };
    if let Err(e) = crate::sys::replace_file(&dir, &file, &tmp, text) {
        pr_err!(
            "ALUA metadata {:?}/{:?} not written: error {}\n",
            &*dir,
            &*file,
            e.to_errno()
        );
    }
}

/// After a transition of `group` of `dev`: its primary metadata, if the
/// group writes it. Serialised per group, each write taking the state at
/// its time, so the last file written holds the last state.
pub(crate) fn write_primary(dev: &DeviceState, group: &TgPtGroup) {
    let _serial_writes = group.metadata_lock();
    let (id, settings) = group.snapshot();
    let (Some(id), true) = (id, settings.write_metadata) else {
        return;
    };
    let mut text = [0u8; TEXT_MAX];
    let len = alua_transition::encode_primary_metadata(id, &settings, &mut text);
    let Some(text) = text.get(..len) else {
        return;
    };
    let (Ok(dbroot), Ok(serial)) = (dev.aptpl.dbroot(), dev.unit_serial()) else {
        pr_warn!("ALUA metadata not written: no memory\n");
        return;
    };
    write(
        &[dbroot.to_bytes(), b"/alua/tpgs_", serial.to_bytes()],
        group.name().to_bytes(),
        text,
    );
}

/// After a change of the secondary state of `lun`'s port: its metadata,
/// if the LUN writes it.
pub(crate) fn write_secondary(lun: &LunState) {
    let Some(dev) = lun.device() else {
        return;
    };
    let _serial_writes = lun.metadata_lock();
    let (offline, status, write_md) = lun.secondary_state();
    if !write_md {
        return;
    }
    let mut text = [0u8; TEXT_MAX];
    let len = alua_transition::encode_secondary_metadata(offline, status, &mut text);
    let Some(text) = text.get(..len) else {
        return;
    };
    let tpg = lun.tpg();
    let (Ok(dbroot), Ok(tag), Ok(lun_name)) = (
        dev.aptpl.dbroot(),
        CString::try_from_fmt(fmt!("+{}", tpg.tag())),
        CString::try_from_fmt(fmt!("lun_{}", lun.number())),
    ) else {
        pr_warn!("ALUA metadata not written: no memory\n");
        return;
    };
    write(
        &[
            dbroot.to_bytes(),
            b"/alua/",
            tpg.fabric_name().to_bytes(),
            b"/",
            tpg.wwn_name().to_bytes(),
            tag.to_bytes(),
        ],
        lun_name.to_bytes(),
        text,
    );
}
