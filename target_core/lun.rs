// SPDX-License-Identifier: GPL-2.0

//! A TPG's LUNs: `tpgt_<N>/lun/lun_<N>/`, each exporting one device through
//! a symlink to the device's directory.
//!
//! ```text
//! ln -s target/core/rd_mcp_0/disk0 target/loopback/naa.x/tpgt_1/lun/lun_0/disk0
//! ```
//!
//! While the link exists the device counts the export and configfs refuses
//! `rmdir` of the device with -EBUSY.

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::time::{delay::fsleep, Delta};

use crate::alua;
use crate::configfs::{configfs_node_type, Children, Item, Links, NewNode, Page};
use crate::device::{Device, DeviceExport, DeviceState};
use crate::device_alua::{self, TgPtGroup};
use crate::lun_map::LinkedLun;
use crate::lun_stats::{self, LunStats};
use crate::text;
use crate::tpg::TpgState;

/// `tpgt_<N>/lun/`.
pub(crate) struct LunDir {
    tpg: Arc<TpgState>,
}

configfs_node_type! {
    LunDir {
        children: true,
        attrs: [],
    }
}

impl LunDir {
    pub(crate) fn new(tpg: Arc<TpgState>) -> Result<NewNode<LunDir>> {
        NewNode::new(c"lun", LunDir { tpg })
    }
}

/// The number in `lun_<N>`, as LIO parses it (`kstrtoull`, any base).
pub(crate) fn parse_lun_name(what: &str, name: &CStr) -> Result<u64> {
    let Some(number) = name.to_bytes().strip_prefix(b"lun_") else {
        pr_err!("{}: {:?} is not lun_<N>\n", what, name);
        return Err(EINVAL);
    };
    text::parse_u64(number).map_err(|e| {
        pr_err!(
            "{}: {:?} is not lun_<N> with N a 64-bit number\n",
            what,
            name
        );
        if e == text::ParseError::OutOfRange {
            ERANGE
        } else {
            EINVAL
        }
    })
}

impl Children for LunDir {
    type Child = Lun;

    fn make_child(&self, name: &CStr) -> Result<NewNode<Lun>> {
        let number = parse_lun_name("lun", name)?;
        let stats = LunStats::new()?;
        let state = Arc::pin_init(
            try_pin_init!(LunState {
                tpg: self.tpg.clone(),
                number,
                name: name.to_cstring()?,
                inner <- new_mutex!(LunInner {
                    export: None,
                    offline: false,
                    status: alua::STATUS_NONE,
                    write_md: false,
                }),
                metadata <- new_mutex!(()),
                alua_state: AtomicU8::new(alua::STATE_ACTIVE_OPTIMIZED),
                alua_offline: AtomicBool::new(false),
                stats,
            }),
            GFP_KERNEL,
        )?;
        let statistics = lun_stats::new_lun_dir(&state)?;
        NewNode::new(name, Lun { state })?.with_default(statistics)
    }
}

/// A LUN, shared by its directory, the ACLs that map it and its ALUA
/// target port group.
#[pin_data]
pub(crate) struct LunState {
    tpg: Arc<TpgState>,
    /// The LUN number, N of `lun_<N>`.
    number: u64,
    /// The directory name, `lun_<N>`.
    name: CString,
    #[pin]
    inner: Mutex<LunInner>,
    /// Serialises writes of the port's ALUA metadata file.
    #[pin]
    metadata: Mutex<()>,
    /// The primary ALUA access state of the LUN's target port group,
    /// mirrored by the group (`TgPtGroup::publish`) so that commands check
    /// it without a lock.
    pub(crate) alua_state: AtomicU8,
    /// The port's secondary state is offline (mirrors `inner.offline`).
    pub(crate) alua_offline: AtomicBool,
    /// The port's counters (`statistics/scsi_tgt_port/`).
    pub(crate) stats: LunStats,
}

struct LunInner {
    /// The device the LUN exports and the device's target port group the
    /// LUN is in, once linked.
    export: Option<(DeviceExport, Arc<TgPtGroup>)>,
    /// The secondary ALUA state of the port (`alua_tg_pt_offline`,
    /// `alua_tg_pt_status`, `alua_tg_pt_write_md`); it outlives links, as
    /// in LIO.
    offline: bool,
    status: u8,
    write_md: bool,
}

impl LunState {
    /// The TPG the LUN is in.
    pub(crate) fn tpg(&self) -> &Arc<TpgState> {
        &self.tpg
    }

    /// The LUN number.
    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    /// Whether the LUN belongs to `tpg`.
    pub(crate) fn is_in(&self, tpg: &Arc<TpgState>) -> bool {
        Arc::ptr_eq(&self.tpg, tpg)
    }

    /// The ALUA target port group the LUN is in, while linked.
    pub(crate) fn group(&self) -> Option<Arc<TgPtGroup>> {
        self.inner.lock().export.as_ref().map(|(_, g)| g.clone())
    }

    /// Whether a device is linked.
    pub(crate) fn is_linked(&self) -> bool {
        self.inner.lock().export.is_some()
    }

    /// The device the LUN exports, while linked.
    pub(crate) fn device(&self) -> Option<Arc<DeviceState>> {
        self.inner
            .lock()
            .export
            .as_ref()
            .map(|(e, _)| e.device_arc().clone())
    }

    /// Sets the port's secondary state (`alua_tg_pt_offline`, or SET
    /// TARGET PORT GROUPS naming the port), with the status of the cause.
    pub(crate) fn set_offline(&self, offline: bool, status: u8) {
        let mut inner = self.inner.lock();
        inner.offline = offline;
        inner.status = status;
        self.alua_offline.store(offline, Ordering::Release);
    }

    /// The port's secondary state, its status and whether it is written
    /// to a metadata file.
    pub(crate) fn secondary_state(&self) -> (bool, u8, bool) {
        let inner = self.inner.lock();
        (inner.offline, inner.status, inner.write_md)
    }

    /// Held while the port's ALUA metadata file is written.
    pub(crate) fn metadata_lock(&self) -> kernel::sync::MutexGuard<'_, ()> {
        self.metadata.lock()
    }

    /// Writes the LUN's name as an ALUA group's `members` shows it.
    pub(crate) fn emit_path(&self, page: &mut Page<'_>) -> Result {
        self.tpg.emit_path(page, &self.name)
    }

    /// Puts the LUN in `group` (its old group is being removed).
    pub(crate) fn move_to_group(self: &Arc<Self>, group: &Arc<TgPtGroup>) {
        let mut inner = self.inner.lock();
        if let Some((_, current)) = inner.export.as_mut() {
            if group.join(self).is_ok() {
                *current = group.clone();
            }
        }
    }
}

/// `lun/lun_<N>/`.
pub(crate) struct Lun {
    state: Arc<LunState>,
}

configfs_node_type! {
    Lun {
        children: false,
        links: true,
        attrs: [
            alua_tg_pt_gp: rw(Lun::show_tg_pt_gp, Lun::store_tg_pt_gp),
            alua_tg_pt_offline: rw(Lun::show_offline, Lun::store_offline),
            alua_tg_pt_status: rw(Lun::show_status, Lun::store_status),
            alua_tg_pt_write_md: rw(Lun::show_write_md, Lun::store_write_md),
        ],
    }
}

/// The longest ALUA group name a write may carry (LIO's
/// TG_PT_GROUP_NAME_BUF).
const GROUP_NAME_BUF: usize = 256;

impl Lun {
    pub(crate) fn state(&self) -> &Arc<LunState> {
        &self.state
    }

    /// The LUN's state while linked; ENODEV otherwise, as in LIO.
    fn linked(&self) -> Result<kernel::sync::MutexGuard<'_, LunInner>> {
        let inner = self.state.inner.lock();
        if inner.export.is_none() {
            return Err(ENODEV);
        }
        Ok(inner)
    }

    fn show_tg_pt_gp(&self, page: &mut Page<'_>) -> Result {
        let inner = self.linked()?;
        match &inner.export {
            Some((_, group)) => group.show_member(page, inner.offline, inner.status),
            None => Ok(()),
        }
    }

    /// Moves the LUN to the device's group named by the write (one with an
    /// ID), or back to `default_tg_pt_gp` for `NULL`.
    fn store_tg_pt_gp(&self, input: &[u8]) -> Result {
        if input.len() > GROUP_NAME_BUF {
            pr_err!(
                "alua_tg_pt_gp: a group name has at most {} bytes\n",
                GROUP_NAME_BUF
            );
            return Err(EINVAL);
        }
        let name = text::trim(input);
        let target = if name == b"NULL" {
            device_alua::DEFAULT_GROUP.to_bytes()
        } else {
            name
        };
        let mut inner = self.linked()?;
        let Some((export, current)) = inner.export.as_mut() else {
            return Err(ENODEV);
        };
        let Some(group) = device_alua::find_group(export.device(), target) else {
            pr_err!(
                "alua_tg_pt_gp: the device has no target port group with that name and an ID\n"
            );
            return Err(ENODEV);
        };
        if Arc::ptr_eq(&group, current) {
            return Ok(());
        }
        group.join(&self.state)?;
        current.leave(&self.state);
        *current = group;
        Ok(())
    }

    fn show_offline(&self, page: &mut Page<'_>) -> Result {
        let inner = self.linked()?;
        page.emit(fmt!("{}\n", u8::from(inner.offline)))
    }

    /// Sets the port's secondary state (SPC-4's OFFLINE), as an implicit
    /// change, after the group's transition delay.
    fn store_offline(&self, input: &[u8]) -> Result {
        let offline = parse_flag("alua_tg_pt_offline", input)?;
        let delay = {
            let mut inner = self.linked()?;
            let delay = match &inner.export {
                Some((_, group)) => group.trans_delay_msecs(),
                None => return Err(ENODEV),
            };
            inner.offline = offline;
            inner.status = alua::STATUS_ALTERED_BY_IMPLICIT_ALUA;
            self.state.alua_offline.store(offline, Ordering::Release);
            delay
        };
        if delay != 0 {
            fsleep(Delta::from_millis(i64::from(delay)));
        }
        crate::alua_metadata::write_secondary(&self.state);
        Ok(())
    }

    fn show_status(&self, page: &mut Page<'_>) -> Result {
        let inner = self.linked()?;
        page.emit(fmt!("{}\n", inner.status))
    }

    fn store_status(&self, input: &[u8]) -> Result {
        let status = match text::parse_u64(input) {
            Ok(v @ 0..=2) => v as u8,
            Ok(_) => {
                pr_err!("alua_tg_pt_status: 0 (none), 1 (explicit) or 2 (implicit)\n");
                return Err(EINVAL);
            }
            Err(e) => return Err(parse_error("alua_tg_pt_status", e)),
        };
        self.linked()?.status = status;
        Ok(())
    }

    fn show_write_md(&self, page: &mut Page<'_>) -> Result {
        let inner = self.linked()?;
        page.emit(fmt!("{}\n", u8::from(inner.write_md)))
    }

    fn store_write_md(&self, input: &[u8]) -> Result {
        let write_md = parse_flag("alua_tg_pt_write_md", input)?;
        self.linked()?.write_md = write_md;
        Ok(())
    }
}

/// The errno of a number that did not parse, as `kstrtoul` gives it.
fn parse_error(what: &str, e: text::ParseError) -> Error {
    pr_err!("{}: not a number\n", what);
    if e == text::ParseError::OutOfRange {
        ERANGE
    } else {
        EINVAL
    }
}

/// A 0 or 1 written in `kstrtoul` syntax.
fn parse_flag(what: &str, input: &[u8]) -> Result<bool> {
    match text::parse_u64(input) {
        Ok(0) => Ok(false),
        Ok(1) => Ok(true),
        Ok(_) => {
            pr_err!("{}: 0 or 1\n", what);
            Err(EINVAL)
        }
        Err(e) => Err(parse_error(what, e)),
    }
}

impl Links for Lun {
    /// Exports the device, then makes the LUN visible to commands, then
    /// tells the fabric, which may send commands at once (the loopback
    /// fabric scans the new LUN): no lock is held by then. A refusal at
    /// any step undoes the ones before.
    fn allow_link(&self, target: &Item) -> Result {
        let Some(dev) = target.downcast::<Device>() else {
            pr_err!("lun: {:?} is not a backstore device\n", target.name());
            return Err(EFAULT);
        };
        let entry = {
            let mut inner = self.state.inner.lock();
            if inner.export.is_some() {
                pr_err!("lun: already linked to a device\n");
                return Err(EEXIST);
            }
            let export = dev.export().inspect_err(|_| {
                pr_err!("lun: device {:?} is not enabled\n", target.name());
            })?;
            let entry = Arc::new(
                LinkedLun {
                    lun: self.state.number,
                    state: self.state.clone(),
                    dev: export.device_arc().clone(),
                    io: export.io(),
                },
                GFP_KERNEL,
            )?;
            // Every LUN starts in the device's default target port group.
            let group =
                device_alua::find_group(export.device(), device_alua::DEFAULT_GROUP.to_bytes())
                    .ok_or(ENODEV)?;
            group.join(&self.state)?;
            // A target port of the device, for persistent reservations.
            if let Err(e) = export.device().pr_add_port(&self.state) {
                group.leave(&self.state);
                return Err(e);
            }
            inner.export = Some((export, group));
            entry
        };
        let tpg = &self.state.tpg;
        // The sessions see the LUN before the fabric announces it.
        let linked = tpg.luns.insert(entry).and_then(|()| {
            tpg.refresh_views();
            tpg.port_link(self.state.number).inspect_err(|_| {
                tpg.luns.remove(self.state.number);
                tpg.refresh_views();
            })
        });
        if let Err(e) = linked {
            pr_err!(
                "lun: {:?} cannot take commands ({:?})\n",
                self.state.name,
                e
            );
            self.unexport();
            return Err(e);
        }
        Ok(())
    }

    /// The reverse of `allow_link`: the fabric first (it stops sending
    /// commands), then the table and the sessions' views, then the export.
    fn drop_link(&self, _target: &Item) {
        let tpg = &self.state.tpg;
        tpg.port_unlink(self.state.number);
        tpg.luns.remove(self.state.number);
        tpg.refresh_views();
        self.unexport();
    }
}

impl Lun {
    /// Ends the export; dropping it gives the device's count back.
    fn unexport(&self) {
        if let Some((export, group)) = self.state.inner.lock().export.take() {
            export.device().pr_remove_port(&self.state);
            group.leave(&self.state);
        }
    }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_lun)]
mod tests {
    use super::*;

    #[test]
    fn lun_names_parse_as_lio() {
        assert!(matches!(parse_lun_name("t", c"lun_0"), Ok(0)));
        assert!(matches!(parse_lun_name("t", c"lun_0x10"), Ok(16)));
        assert!(matches!(parse_lun_name("t", c"lun_010"), Ok(8)));
        assert!(matches!(parse_lun_name("t", c"lun_"), Err(e) if e == EINVAL));
        assert!(matches!(parse_lun_name("t", c"lun_x"), Err(e) if e == EINVAL));
        assert!(matches!(parse_lun_name("t", c"l_1"), Err(e) if e == EINVAL));
        assert!(matches!(
            parse_lun_name("t", c"lun_18446744073709551616"),
            Err(e) if e == ERANGE
        ));
    }
}
