// SPDX-License-Identifier: GPL-2.0

//! Backstore devices: `core/<hba>/<device>/`.
//!
//! A device is made by `mkdir`, configured through `control` (backstore
//! parameters such as `rd_pages=N`) while it is disabled, and enabled by
//! writing 1 to `enable`, when the backstore allocates what it needs.
//! Its default groups show what the SCSI engine will use: `attrib/`
//! (device_attrib.rs), `pr/` (device_pr.rs), `alua/` (device_alua.rs),
//! `statistics/` (device_stats.rs), `wwn/` and `action/`.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};

use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::attrib::{self, DeviceAttributes};
use crate::backstores::abi::DeviceGeometry;
use crate::backstores::Backend;
use crate::capacity::{self, Capacity};
use crate::configfs::{configfs_node_type, NewNode, Page};
use crate::device_alua::{self, AluaGroups};
use crate::device_attrib::DeviceAttrib;
use crate::device_pr::{self, DevicePr, PrState};
use crate::device_stats::{self, DeviceStats};
use crate::inquiry;
use crate::lba_map;
use crate::lu_groups::LuGroups;
use crate::lun::LunState;
use crate::queued_command::Resume;
use crate::task_set::TaskSet;
use crate::text;
use crate::write_gate::WriteGate;

/// Device indexes (the SCSI MIB's), given when a device is enabled. LIO's
/// index 0 is its internal device for the virtual LUN 0; ours is kept.
static NEXT_DEVICE_INDEX: AtomicU32 = AtomicU32::new(1);
/// Numbers that tell devices apart in the LU group registry.
static NEXT_DEVICE_KEY: AtomicU64 = AtomicU64::new(0);
/// The enabled devices (LIO's `target_devices`): `dbroot` cannot change
/// while there are any.
static CONFIGURED_DEVICES: AtomicU32 = AtomicU32::new(0);

/// The number of enabled devices.
pub(crate) fn configured_devices() -> u32 {
    CONFIGURED_DEVICES.load(Ordering::Acquire)
}
/// The longest LU group name `alua_lu_gp` takes, as LIO (with the NUL).
const LU_GROUP_NAME_BUF: usize = 256;

/// What a device knows of the HBA it belongs to.
pub(crate) struct HbaInfo<'a> {
    pub(crate) name: &'a CStr,
    pub(crate) index: u32,
    pub(crate) lu_groups: &'a Arc<LuGroups>,
    pub(crate) dbroot: &'a Arc<Mutex<CString>>,
}

/// The longest alias or udev_path, as in LIO (512 bytes with the NUL).
const PATH_MAX_LEN: usize = 511;

/// A device's configuration, changed only under its lock.
pub(crate) struct Config {
    /// Set once the device is enabled.
    geometry: Option<DeviceGeometry>,
    alias: Option<CString>,
    udev_path: Option<CString>,
    /// What INQUIRY reports: `wwn/`.
    pub(crate) wwn: Wwn,
    /// The SCSI attributes: `attrib/`.
    pub(crate) attrib: DeviceAttributes,
    /// The SCSI MIB's device index: 0 until enabled.
    pub(crate) index: u32,
    /// When the device was enabled, in jiffies (0 before).
    pub(crate) created: u64,
    /// The value last written to `attrib/queue_depth` (LIO's
    /// `dev->queue_depth`), which `info` shows; 0 until then.
    pub(crate) written_queue_depth: u32,
    /// The LBA map: `lba_map`.
    lba_map: LbaMap,
}

/// Which target port groups reach which LBA ranges (for the LBA dependent
/// ALUA state), as written to `lba_map`.
struct LbaMap {
    segment_size: u32,
    segment_mult: u32,
    /// Ranges, each followed by its groups; empty for no map.
    items: KVec<lba_map::Item>,
}

impl LbaMap {
    /// Where range `i` starts among `items`.
    fn range_at(&self, i: usize) -> Option<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, item)| matches!(item, lba_map::Item::Range { .. }))
            .nth(i)
            .map(|(at, _)| at)
    }
}

/// The map as the LBA dependent ALUA check reads it.
impl crate::alua_access::LbaMapView for LbaMap {
    fn segments(&self) -> (u32, u32) {
        (self.segment_size, self.segment_mult)
    }

    fn range_count(&self) -> usize {
        self.items
            .iter()
            .filter(|item| matches!(item, lba_map::Item::Range { .. }))
            .count()
    }

    fn range(&self, i: usize) -> Option<(u64, u64)> {
        match self.items.get(self.range_at(i)?)? {
            lba_map::Item::Range { first, last } => Some((*first, *last)),
            _ => None,
        }
    }

    fn member_state(&self, i: usize, id: u16) -> Option<u8> {
        let at = self.range_at(i)?;
        self.items
            .get(at + 1..)?
            .iter()
            .map_while(|item| match item {
                lba_map::Item::Group { id, state } => Some((*id, *state)),
                _ => None,
            })
            .find(|(group, _)| *group == i32::from(id))
            .and_then(|(_, letter)| crate::alua_access::lba_map_state(letter))
    }
}

impl Config {
    /// Whether the device is enabled.
    pub(crate) fn enabled(&self) -> bool {
        self.geometry.is_some()
    }

    /// Whether the enabled device reported UNMAP limits (a file, or a disk
    /// that discards): UNMAP can be turned on.
    pub(crate) fn device_unmaps(&self) -> bool {
        self.geometry
            .is_some_and(|g| g.max_unmap_block_desc_count != 0)
    }
}

/// The identification a device reports (`wwn/`).
pub(crate) struct Wwn {
    pub(crate) vendor: Text<{ inquiry::VENDOR_LEN }>,
    pub(crate) product: Text<{ inquiry::PRODUCT_LEN }>,
    pub(crate) revision: Text<{ inquiry::REVISION_LEN }>,
    /// The IEEE company ID (OUI), 24 bits.
    company_id: u32,
    pub(crate) unit_serial: Text<{ inquiry::UNIT_SERIAL_BUF - 1 }>,
    pd_text_id_info: Text<{ inquiry::PD_TEXT_ID_INFO_BUF - 1 }>,
}

/// LIO's IEEE company ID, which LIO-compatible targets report by default.
const DEFAULT_COMPANY_ID: u32 = 0x001405;
/// The vendor identification LIO reports by default.
const DEFAULT_VENDOR: &[u8] = b"LIO-ORG";

/// A short string of at most `N` bytes, kept inline.
#[derive(Clone, Copy)]
pub(crate) struct Text<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Text<N> {
    /// `value`, cut to `N` bytes (callers check lengths before).
    pub(crate) fn new(value: &[u8]) -> Self {
        let len = value.len().min(N);
        let mut buf = [0; N];
        buf[..len].copy_from_slice(&value[..len]);
        Self { buf, len }
    }

    pub(crate) fn as_str(&self) -> Result<&str> {
        core::str::from_utf8(&self.buf[..self.len]).map_err(|_| EINVAL)
    }
}

/// One device, shared by its directory and its default groups.
///
/// # Invariants
///
/// `state` is the backstore's state of this device, from `alloc_device`,
/// valid until freed in `drop`.
#[pin_data(PinnedDrop)]
pub(crate) struct DeviceState {
    backend: Backend,
    state: *mut c_void,
    /// The device's directory name.
    pub(crate) name: CString,
    /// The HBA's SCSI MIB instance: as in LIO, its index plus one (LIO's
    /// instance 1 is its internal HBA).
    pub(crate) hba_instance: u32,
    /// `<hba>/<device>`, as LU group members show it.
    path: CString,
    /// This device's number in the LU group registry.
    pub(crate) key: u64,
    pub(crate) lu_groups: Arc<LuGroups>,
    #[pin]
    pub(crate) config: Mutex<Config>,
    /// The LUNs that export the device (LIO's `export_count`), counted by
    /// [`DeviceExport`].
    exports: AtomicU32,
    /// DPO and FUA are taken (write cache and FUA emulation both on, LIO's
    /// target_check_fua()): read by every write, so kept out of `config`.
    dpofua: AtomicBool,
    /// `attrib/complete_type`, which commands hand to the fabric.
    complete_type: AtomicU8,
    /// `attrib/submit_type`.
    submit_type: AtomicU8,
    /// The backstore's reads and writes sleep for I/O
    /// (`DeviceGeometry::sleeps`); set at enable.
    sleeps: AtomicBool,
    /// Whether the backstore writes FUA writes durably itself
    /// (`DeviceGeometry::fua`, ABI 0.11); set at enable.
    fua_writes: AtomicBool,
    /// `attrib/emulate_caw`: COMPARE AND WRITE of one block is taken.
    caw: AtomicBool,
    /// The persistent reservation state: `pr/`, device_pr.rs.
    #[pin]
    pub(crate) pr: Mutex<PrState>,
    /// The APTPL metadata file: where, in which order, and what waits for
    /// its LUN mapping (device_pr.rs).
    #[pin]
    pub(crate) aptpl: device_pr::Aptpl,
    /// A reservation (persistent or SPC-2) is held: commands check for a
    /// conflict. Written under `pr`.
    pub(crate) pr_reserved: AtomicBool,
    /// The LUNs that export the device: its target ports. Taken after
    /// `pr`.
    #[pin]
    pub(crate) pr_ports: Mutex<KVec<Arc<LunState>>>,
    /// The target port groups: `alua/`.
    #[pin]
    pub(crate) alua: Mutex<AluaGroups>,
    /// Command and task management counters: `statistics/`.
    pub(crate) stats: DeviceStats,
    /// Keeps writes out while a COMPARE AND WRITE runs.
    #[pin]
    write_gate: WriteGate,
    /// The order of its commands: task attributes (task_set.rs).
    #[pin]
    pub(crate) task_set: TaskSet<Resume>,
    /// The capacity commands see: set at enable, changed when the
    /// backstore reports another size (see `check_capacity`).
    capacity: Capacity,
    /// The backstore may change the device's size (a block device): each
    /// command asks it for its block count first. Set at enable.
    resizable: AtomicBool,
}

// SAFETY: `state` is owned by the device and the backstore's device type is
// `Send + Sync` (a bound of the backstore SDK); the rest is `Send + Sync`.
unsafe impl Send for DeviceState {}
// SAFETY: As above; the backstore's calls on `state` are serialised by
// `config` as the ABI asks.
unsafe impl Sync for DeviceState {}

impl DeviceState {
    /// Whether any LUN exports the device; several settings are fixed then.
    pub(crate) fn is_exported(&self) -> bool {
        self.export_count() != 0
    }

    /// The product identification of the backstore, which `wwn/product_id`
    /// starts as.
    pub(crate) fn default_product(&self) -> &[u8] {
        self.backend.product().to_bytes()
    }

    /// The number of LUNs that export the device.
    pub(crate) fn export_count(&self) -> u32 {
        self.exports.load(Ordering::Relaxed)
    }
}

/// `core/<hba>/<device>/`.
pub(crate) struct Device {
    dev: Arc<DeviceState>,
}

/// `core/<hba>/<device>/wwn/`.
pub(crate) struct DeviceWwn {
    dev: Arc<DeviceState>,
}

configfs_node_type! {
    DeviceWwn {
        children: false,
        attrs: [
            company_id: rw(DeviceWwn::show_company_id, DeviceWwn::store_company_id),
            pd_text_id_info: rw(DeviceWwn::show_pd_text_id_info, DeviceWwn::store_pd_text_id_info),
            product_id: rw(DeviceWwn::show_product_id, DeviceWwn::store_product_id),
            revision: rw(DeviceWwn::show_revision, DeviceWwn::store_revision),
            vendor_id: rw(DeviceWwn::show_vendor_id, DeviceWwn::store_vendor_id),
            vpd_assoc_logical_unit: ro(DeviceWwn::show_exports),
            vpd_assoc_scsi_target_device: ro(DeviceWwn::show_exports),
            vpd_assoc_target_port: ro(DeviceWwn::show_exports),
            vpd_protocol_identifier: ro(DeviceWwn::show_exports),
            vpd_unit_serial: rw(DeviceWwn::show_unit_serial, DeviceWwn::store_unit_serial),
        ],
    }
}

/// `core/<hba>/<device>/action/`: LIO's backstores put actions here; ours
/// have none yet.
pub(crate) struct DeviceAction;

configfs_node_type! {
    DeviceAction {
        children: false,
        attrs: [],
    }
}

configfs_node_type! {
    Device {
        children: false,
        attrs: [
            alias: rw(Device::show_alias, Device::store_alias),
            alua_lu_gp: rw(Device::show_alua_lu_gp, Device::store_alua_lu_gp),
            control: wo(Device::store_control),
            enable: rw(Device::show_enable, Device::store_enable),
            info: ro(Device::show_info),
            lba_map: rw(Device::show_lba_map, Device::store_lba_map),
            udev_path: rw(Device::show_udev_path, Device::store_udev_path),
        ],
    }
}

impl Device {
    /// Makes the device `name` of backstore `backend` in HBA `hba`.
    pub(crate) fn new(backend: Backend, name: &CStr, hba: HbaInfo<'_>) -> Result<NewNode<Device>> {
        let wwn = Wwn {
            vendor: Text::new(DEFAULT_VENDOR),
            product: Text::new(backend.product().to_bytes()),
            revision: Text::new(backend.revision().to_bytes()),
            company_id: DEFAULT_COMPANY_ID,
            unit_serial: Text::new(b""),
            pd_text_id_info: Text::new(b""),
        };
        let path = {
            let (h, d) = (hba.name.to_bytes(), name.to_bytes());
            let mut p = KVec::with_capacity(h.len() + d.len() + 1, GFP_KERNEL)?;
            p.extend_from_slice(h, GFP_KERNEL)?;
            p.push(b'/', GFP_KERNEL)?;
            p.extend_from_slice(d, GFP_KERNEL)?;
            crate::sys::cstring(&p)?
        };
        let dev_name = CString::try_from(name)?;
        // Before the backstore's state, which nothing would free on a
        // failure here.
        let stats = DeviceStats::new()?;
        // SAFETY: The table's functions are valid while `backend` pins it.
        // The result is a pointer or an ERR_PTR, as the ABI says.
        let state = kernel::error::from_err_ptr(unsafe {
            (backend.ops().alloc_device)(name.as_char_ptr())
        })?;
        // INVARIANT: `state` came from `alloc_device`; if anything below
        // fails, the partly built device is dropped, which frees it.
        let dev = Arc::pin_init(
            try_pin_init!(DeviceState {
                backend,
                state,
                name: dev_name,
                hba_instance: hba.index.saturating_add(1),
                path,
                key: NEXT_DEVICE_KEY.fetch_add(1, Ordering::Relaxed),
                lu_groups: hba.lu_groups.clone(),
                config <- new_mutex!(Config {
                    geometry: None,
                    alias: None,
                    udev_path: None,
                    wwn,
                    attrib: DeviceAttributes::default(),
                    index: 0,
                    created: 0,
                    written_queue_depth: 0,
                    lba_map: LbaMap {
                        segment_size: 0,
                        segment_mult: 0,
                        items: KVec::new(),
                    },
                }),
                exports: AtomicU32::new(0),
                dpofua: AtomicBool::new(false),
                complete_type: AtomicU8::new(0),
                submit_type: AtomicU8::new(0),
                sleeps: AtomicBool::new(false),
                fua_writes: AtomicBool::new(false),
                caw: AtomicBool::new(false),
                pr <- new_mutex!(device_pr::new_state()),
                aptpl <- device_pr::Aptpl::new(hba.dbroot.clone()),
                pr_reserved: AtomicBool::new(false),
                pr_ports <- new_mutex!(KVec::new()),
                alua <- new_mutex!(AluaGroups::new()),
                stats,
                write_gate <- WriteGate::new(),
                task_set <- TaskSet::new(),
                capacity: Capacity::new(),
                resizable: AtomicBool::new(false),
            }),
            GFP_KERNEL,
        )?;
        let wwn = NewNode::new(c"wwn", DeviceWwn { dev: dev.clone() })?;
        let attrib = NewNode::new(c"attrib", DeviceAttrib::new(dev.clone()))?;
        let pr = NewNode::new(c"pr", DevicePr::new(dev.clone()))?;
        let alua = device_alua::new_dir(&dev)?;
        let stats = device_stats::new_dir(&dev)?;
        let action = NewNode::new(c"action", DeviceAction)?;
        NewNode::new(name, Device { dev })?
            .with_default(action)?
            .with_default(attrib)?
            .with_default(pr)?
            .with_default(wwn)?
            .with_default(alua)?
            .with_default(stats)
    }

    fn store_control(&self, input: &[u8]) -> Result {
        let config = self.dev.config.lock();
        if config.geometry.is_some() {
            pr_err!("control: the device is enabled; parameters are fixed\n");
            return Err(EBUSY);
        }
        // SAFETY: `state` is valid (type invariant); `input` is readable for
        // its length. The config lock serialises this with `enable`.
        let ret = unsafe {
            (self.dev.backend.ops().set_params)(self.dev.state, input.as_ptr(), input.len())
        };
        kernel::error::to_result(ret)
    }

    fn show_enable(&self, page: &mut Page<'_>) -> Result {
        let enabled = self.dev.config.lock().geometry.is_some();
        page.emit(fmt!("{}\n", u8::from(enabled)))
    }

    fn store_enable(&self, input: &[u8]) -> Result {
        if text::parse_u64(input) != Ok(1) {
            pr_err!("enable: the only valid value is 1\n");
            return Err(EINVAL);
        }
        let mut config = self.dev.config.lock();
        if config.geometry.is_some() {
            pr_err!("enable: the device is already enabled\n");
            return Err(EEXIST);
        }
        let mut geometry = DeviceGeometry::default();
        // As in LIO, an enabled device is in `default_lu_gp`. It joins
        // first, so that nothing can fail once the backstore has allocated.
        let path = CString::try_from(&*self.dev.path)?;
        self.dev.lu_groups.join_default(&self.dev, path)?;
        // SAFETY: `state` is valid (type invariant); `geometry` is writable.
        let ret = unsafe { (self.dev.backend.ops().enable)(self.dev.state, &mut geometry) };
        if let Err(e) = kernel::error::to_result(ret) {
            self.dev.lu_groups.leave(self.dev.key);
            return Err(e);
        }
        config.attrib.enable(attrib::Hardware {
            block_size: geometry.block_size,
            max_sectors: aligned_max_sectors(&geometry),
            queue_depth: geometry.queue_depth,
            nonrot: geometry.nonrot != 0,
            // The fields below are 0 from a backstore older than ABI 0.5
            // (the core zeroed `geometry`): no cache, no UNMAP, no WRITE
            // SAME, as before.
            write_cache: geometry.write_cache != 0,
            max_unmap_lba_count: geometry.max_unmap_lba_count,
            max_unmap_block_desc_count: geometry.max_unmap_block_desc_count,
            unmap_granularity: geometry.unmap_granularity,
            unmap_granularity_alignment: geometry.unmap_granularity_alignment,
            unmap_zeroes_data: geometry.unmap_zeroes_data != 0,
            max_write_same_len: geometry.max_write_same_len,
        });
        // False from a backstore older than ABI 0.8: submitted where it
        // comes.
        self.dev
            .sleeps
            .store(self.dev.backend.sleeps(&geometry), Ordering::Relaxed);
        // False from a backstore older than ABI 0.11: written, then flushed.
        self.dev
            .fua_writes
            .store(self.dev.backend.fua(&geometry), Ordering::Relaxed);
        self.dev.attributes_changed(&config.attrib);
        self.dev.capacity.set(geometry.blocks, geometry.block_size);
        self.dev
            .resizable
            .store(self.dev.backend.resizable(&geometry), Ordering::Release);
        config.index = NEXT_DEVICE_INDEX.fetch_add(1, Ordering::Relaxed);
        config.created = crate::sys::jiffies();
        config.geometry = Some(geometry);
        CONFIGURED_DEVICES.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    fn show_alua_lu_gp(&self, page: &mut Page<'_>) -> Result {
        match self.dev.lu_groups.membership(self.dev.key)? {
            Some(m) => page.emit(fmt!(
                "LU Group Alias: {}\nLU Group ID: {}\n",
                m.name.to_str().map_err(|_| EINVAL)?,
                m.id
            )),
            None => Ok(()),
        }
    }

    /// Moves the device to the LU group named, or out of all for `NULL`.
    fn store_alua_lu_gp(&self, input: &[u8]) -> Result {
        if input.len() > LU_GROUP_NAME_BUF {
            pr_err!("alua_lu_gp: the group name is too long\n");
            return Err(EINVAL);
        }
        let name = text::trim(input);
        let target = if name == b"NULL" { None } else { Some(name) };
        self.dev.lu_groups.move_to(self.dev.key, target)
    }

    fn show_info(&self, page: &mut Page<'_>) -> Result {
        // Held across `show_params`: the ABI serialises it with `enable`.
        let config = self.dev.config.lock();
        // As LIO: the working block size, the aligned hardware limit, and
        // the queue depth last written to `attrib/queue_depth`.
        page.emit(fmt!(
            "Status: {}  Max Queue Depth: {}  SectorSize: {}  HwMaxSectors: {}\n        ",
            if self.dev.is_exported() {
                "ACTIVATED"
            } else {
                "DEACTIVATED"
            },
            config.written_queue_depth,
            config.attrib.block_size,
            config.attrib.hw_max_sectors
        ))?;
        let rest = page.rest();
        // SAFETY: `state` is valid (type invariant); `rest` is writable for
        // its length.
        let n = unsafe {
            (self.dev.backend.ops().show_params)(self.dev.state, rest.as_mut_ptr(), rest.len())
        };
        if n < 0 {
            return Err(Error::from_errno(n as i32));
        }
        drop(config);
        page.advance(n as usize)
    }

    fn show_lba_map(&self, page: &mut Page<'_>) -> Result {
        let config = self.dev.config.lock();
        let map = &config.lba_map;
        if map.items.is_empty() {
            return Ok(());
        }
        page.emit(fmt!("{} {}\n", map.segment_size, map.segment_mult))?;
        for (i, item) in map.items.iter().enumerate() {
            match item {
                lba_map::Item::Range { first, last } => {
                    if i != 0 {
                        page.emit(fmt!("\n"))?;
                    }
                    page.emit(fmt!("{} {}", first, last))?;
                }
                lba_map::Item::Group { id, state } => {
                    page.emit(fmt!(" {}:{}", id, char::from(*state)))?;
                }
                lba_map::Item::Header { .. } => {}
            }
        }
        page.emit(fmt!("\n"))
    }

    /// Replaces the LBA map; a map LIO would refuse changes nothing.
    fn store_lba_map(&self, input: &[u8]) -> Result {
        let refused = |e: lba_map::Error| {
            pr_err!("lba_map: line {}: {}\n", e.line, e.reason);
            EINVAL
        };
        let mut count = 0usize;
        lba_map::parse::<Error>(input, &mut |_| {
            count += 1;
            Ok(())
        })
        .map_err(refused)??;
        let mut items = KVec::with_capacity(count, GFP_KERNEL)?;
        let (mut size, mut mult) = (0, 0);
        lba_map::parse::<Error>(input, &mut |item| {
            match item {
                // LIO keeps both in 32 bits.
                lba_map::Item::Header {
                    segment_size,
                    segment_mult,
                } => (size, mult) = (segment_size as u32, segment_mult as u32),
                _ => items.push(item, GFP_KERNEL)?,
            }
            Ok(())
        })
        .map_err(refused)??;
        self.dev.config.lock().lba_map = LbaMap {
            segment_size: size,
            segment_mult: mult,
            items,
        };
        device_alua::lba_map_set(&self.dev);
        Ok(())
    }

    fn show_alias(&self, page: &mut Page<'_>) -> Result {
        show_path(page, self.dev.config.lock().alias.as_deref())
    }

    fn store_alias(&self, input: &[u8]) -> Result {
        self.dev.config.lock().alias = Some(parse_path(c"alias", input)?);
        Ok(())
    }

    fn show_udev_path(&self, page: &mut Page<'_>) -> Result {
        show_path(page, self.dev.config.lock().udev_path.as_deref())
    }

    fn store_udev_path(&self, input: &[u8]) -> Result {
        self.dev.config.lock().udev_path = Some(parse_path(c"udev_path", input)?);
        Ok(())
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        self.dev.lu_groups.leave(self.dev.key);
    }
}

impl DeviceWwn {
    /// The VPD page 0x83 designators, by association or protocol. LIO
    /// lists here what it read from a pass-through (pscsi) device's own
    /// INQUIRY; an emulated device (ramdisk, fileio, iblock) has none, in
    /// LIO as here, so these files are always empty.
    fn show_exports(&self, _page: &mut Page<'_>) -> Result {
        Ok(())
    }

    /// Shows one of the text fields of `wwn/`.
    fn show_text<const N: usize>(
        &self,
        page: &mut Page<'_>,
        field: fn(&Wwn) -> &Text<N>,
    ) -> Result {
        let config = self.dev.config.lock();
        page.emit(fmt!("{}\n", field(&config.wwn).as_str()?))
    }

    /// As LIO: what INQUIRY reports cannot change under an initiator's
    /// multipath code while LUNs export the device.
    fn fixed_while_exported(&self, what: &CStr) -> Result {
        if self.dev.is_exported() {
            pr_err!("{:?}: cannot change while LUNs export the device\n", what);
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Replaces one of the text fields of `wwn/` with a checked value,
    /// unless the device is exported.
    fn set_text<const N: usize>(
        &self,
        what: &CStr,
        value: &[u8],
        field: fn(&mut Wwn) -> &mut Text<N>,
    ) -> Result {
        self.fixed_while_exported(what)?;
        *field(&mut self.dev.config.lock().wwn) = Text::new(value);
        Ok(())
    }

    fn show_vendor_id(&self, page: &mut Page<'_>) -> Result {
        self.show_text(page, |w| &w.vendor)
    }

    fn store_vendor_id(&self, input: &[u8]) -> Result {
        let value = identification(c"vendor_id", input, inquiry::VENDOR_LEN)?;
        self.set_text(c"vendor_id", value, |w| &mut w.vendor)
    }

    fn show_product_id(&self, page: &mut Page<'_>) -> Result {
        self.show_text(page, |w| &w.product)
    }

    fn store_product_id(&self, input: &[u8]) -> Result {
        let value = identification(c"product_id", input, inquiry::PRODUCT_LEN)?;
        self.set_text(c"product_id", value, |w| &mut w.product)
    }

    fn show_revision(&self, page: &mut Page<'_>) -> Result {
        self.show_text(page, |w| &w.revision)
    }

    fn store_revision(&self, input: &[u8]) -> Result {
        let value = identification(c"revision", input, inquiry::REVISION_LEN)?;
        self.set_text(c"revision", value, |w| &mut w.revision)
    }

    fn show_company_id(&self, page: &mut Page<'_>) -> Result {
        // As C's "%#08x": `0x` and six digits (0x001405).
        page.emit(fmt!("{:#08x}\n", self.dev.config.lock().wwn.company_id))
    }

    fn store_company_id(&self, input: &[u8]) -> Result {
        let id = match text::parse_u32(input) {
            Ok(id) if id < 0x100_0000 => id,
            Ok(_) => {
                pr_err!("company_id: an IEEE company ID has 24 bits\n");
                return Err(EOVERFLOW);
            }
            Err(text::ParseError::OutOfRange) => {
                pr_err!("company_id: an IEEE company ID has 24 bits\n");
                return Err(ERANGE);
            }
            Err(_) => {
                pr_err!("company_id: not a number\n");
                return Err(EINVAL);
            }
        };
        self.fixed_while_exported(c"company_id")?;
        self.dev.config.lock().wwn.company_id = id;
        Ok(())
    }

    fn show_unit_serial(&self, page: &mut Page<'_>) -> Result {
        let config = self.dev.config.lock();
        let serial = config.wwn.unit_serial.as_str()?;
        page.emit(fmt!("T10 VPD Unit Serial Number: {}\n", serial))
    }

    fn store_unit_serial(&self, input: &[u8]) -> Result {
        let value = inquiry::unit_serial(input).map_err(|_| {
            pr_err!(
                "vpd_unit_serial: at most {} bytes\n",
                inquiry::UNIT_SERIAL_BUF - 1
            );
            EOVERFLOW
        })?;
        self.set_text(c"vpd_unit_serial", value, |w| &mut w.unit_serial)
    }

    fn show_pd_text_id_info(&self, page: &mut Page<'_>) -> Result {
        self.show_text(page, |w| &w.pd_text_id_info)
    }

    fn store_pd_text_id_info(&self, input: &[u8]) -> Result {
        // LIO checks the exports first here.
        self.fixed_while_exported(c"pd_text_id_info")?;
        let value = inquiry::pd_text_id_info(input).map_err(|_| {
            pr_err!(
                "pd_text_id_info: at most {} bytes\n",
                inquiry::PD_TEXT_ID_INFO_BUF - 1
            );
            EOVERFLOW
        })?;
        self.set_text(c"pd_text_id_info", value, |w| &mut w.pd_text_id_info)
    }
}

/// A vendor, product or revision write, checked; the reason goes to the log.
fn identification<'a>(what: &CStr, input: &'a [u8], max: usize) -> Result<&'a [u8]> {
    inquiry::identification(input, max).map_err(|e| match e {
        inquiry::FieldError::TooLong => {
            pr_err!("{:?}: longer than {} characters\n", what, max);
            EOVERFLOW
        }
        inquiry::FieldError::NotPrintable => {
            pr_err!("{:?}: only printable ASCII characters\n", what);
            EINVAL
        }
    })
}

#[pinned_drop]
impl PinnedDrop for DeviceState {
    fn drop(self: Pin<&mut Self>) {
        if self.config.lock().geometry.is_some() {
            CONFIGURED_DEVICES.fetch_sub(1, Ordering::AcqRel);
        }
        // SAFETY: `state` came from `alloc_device` and is freed once, here.
        unsafe { (self.backend.ops().free_device)(self.state) };
    }
}

/// The device's transfer limit in blocks, rounded down to whole pages as
/// LIO does (so a maximal transfer never ends inside a page).
fn aligned_max_sectors(g: &DeviceGeometry) -> u32 {
    attrib::align_max_sectors(g.max_sectors, g.block_size, kernel::page::PAGE_SIZE as u32)
}

fn show_path(page: &mut Page<'_>, value: Option<&CStr>) -> Result {
    match value {
        Some(v) => page.emit(fmt!("{}\n", v.to_str().map_err(|_| EINVAL)?)),
        None => Ok(()),
    }
}

/// A written alias or path: one line, at most 511 bytes, no NUL.
fn parse_path(what: &CStr, input: &[u8]) -> Result<CString> {
    let value = text::strip_newline(input);
    if value.len() > PATH_MAX_LEN {
        pr_err!(
            "{:?}: {} bytes is longer than {}\n",
            what,
            value.len(),
            PATH_MAX_LEN
        );
        return Err(EINVAL);
    }
    if value.contains(&b'\n') {
        pr_err!("{:?}: must be one line of text\n", what);
        return Err(EINVAL);
    }
    crate::sys::cstring(value)
}

/// A LUN's export of a device: counted while it lives.
pub(crate) struct DeviceExport {
    dev: Arc<DeviceState>,
    io: IoGeometry,
}

/// What the read and write path needs of a device, fixed while it is
/// exported (LIO refuses block size changes then, and so do we). The
/// number of blocks is not: a backstore may change it
/// ([`DeviceState::blocks`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct IoGeometry {
    /// The logical block size (`attrib/block_size`).
    pub(crate) block_size: u32,
    /// The most blocks one command may move (`attrib/hw_max_sectors`).
    pub(crate) max_sectors: u32,
    /// The most commands the device takes at once from one initiator
    /// port (`attrib/queue_depth`), which a fabric may apply to its
    /// initiator's queue (`tcm_rs_tpg_lun_limits`).
    pub(crate) queue_depth: u32,
    /// The backstore cannot write the device (`DeviceGeometry::read_only`;
    /// 0 from backstores older than ABI 0.6, which the core zeroes for).
    pub(crate) read_only: bool,
}

impl Device {
    /// Exports the device through a LUN; only an enabled device can be.
    pub(crate) fn export(&self) -> Result<DeviceExport> {
        // The lock orders this against `enable`.
        let config = self.dev.config.lock();
        let Some(geometry) = config.geometry else {
            return Err(ENODEV);
        };
        let io = IoGeometry {
            block_size: config.attrib.block_size.max(1),
            max_sectors: config.attrib.hw_max_sectors,
            queue_depth: config.attrib.queue_depth,
            read_only: geometry.read_only != 0,
        };
        self.dev.exports.fetch_add(1, Ordering::Relaxed);
        Ok(DeviceExport {
            dev: self.dev.clone(),
            io,
        })
    }
}

impl DeviceExport {
    /// The exported device.
    pub(crate) fn device(&self) -> &DeviceState {
        &self.dev
    }

    /// The exported device, to keep.
    pub(crate) fn device_arc(&self) -> &Arc<DeviceState> {
        &self.dev
    }

    /// The device's geometry for reads and writes.
    pub(crate) fn io(&self) -> IoGeometry {
        self.io
    }
}

impl Drop for DeviceExport {
    fn drop(&mut self) {
        self.dev.exports.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The device's medium as COMPARE AND WRITE sees it, inside the gate.
pub(crate) trait MediumAccess {
    /// As [`DeviceState::read_write`], without the gate.
    fn read_write(&self, write: bool, offset: u64, buf: &mut crate::sg::SgBuffer) -> Result;
}

impl MediumAccess for DeviceState {
    fn read_write(&self, write: bool, offset: u64, buf: &mut crate::sg::SgBuffer) -> Result {
        self.medium_read_write(write, offset, buf)
    }
}

/// What INQUIRY reports of a device, copied under its lock.
pub(crate) struct InquiryIds {
    pub(crate) vendor: Text<{ inquiry::VENDOR_LEN }>,
    pub(crate) product: Text<{ inquiry::PRODUCT_LEN }>,
    pub(crate) revision: Text<{ inquiry::REVISION_LEN }>,
    pub(crate) company_id: u32,
    pub(crate) unit_serial: Text<{ inquiry::UNIT_SERIAL_BUF - 1 }>,
}

impl DeviceState {
    /// Moves `buf` to or from the device at byte `offset` (the engine has
    /// checked the range).
    pub(crate) fn read_write(
        &self,
        write: bool,
        offset: u64,
        buf: &mut crate::sg::SgBuffer,
    ) -> Result {
        if write {
            self.write_gate
                .write(|| self.medium_read_write(true, offset, buf))
        } else {
            self.medium_read_write(false, offset, buf)
        }
    }

    /// Whether the backstore may finish plain reads and writes after it
    /// returns (async_rw.rs).
    pub(crate) fn can_pend(&self) -> bool {
        self.backend.can_pend()
    }

    /// Whether a write (with FUA if `fua`) may be left in flight: a plain
    /// one always, one with FUA only as one durable write (the backstore's
    /// `RW_FUA`), not where a flush follows it. Asked before decoding, to
    /// decide where the command runs, and by the decoded command.
    pub(crate) fn write_may_pend(&self, fua: bool) -> bool {
        !fua || self.fua_writes.load(Ordering::Relaxed)
    }

    /// The device's write gate, for a write that ends later (async_rw.rs).
    pub(crate) fn write_gate(&self) -> &WriteGate {
        &self.write_gate
    }

    /// Whether the backstore may move plain reads and writes at once,
    /// without sleeping (async_rw.rs).
    pub(crate) fn can_move_nowait(&self) -> bool {
        self.backend.can_move_nowait()
    }

    /// Moves `buf` with the backstore's `read_write_nowait` (see
    /// `Backend::read_write_nowait`), without the write gate: the caller
    /// passes it for a write. EAGAIN when it was not done.
    pub(crate) fn read_write_nowait(
        &self,
        write: bool,
        offset: u64,
        buf: &mut crate::sg::SgBuffer,
    ) -> Result {
        // SAFETY: `state` is the backstore's device, enabled (as in
        // `medium_read_write`).
        unsafe {
            self.backend
                .read_write_nowait(self.state, write, offset, buf)
        }
    }

    /// Starts `buf`'s transfer with the backstore's `read_write_async`
    /// (see `Backend::read_write_async`), without the write gate: the
    /// caller passes it for a write, and leaves it when the transfer ends.
    /// `fua` (a write that [`Self::write_may_pend`] lets pend): durable when
    /// it ends.
    ///
    /// # Safety
    ///
    /// As for `Backend::read_write_async`, whose `dev` this device gives.
    pub(crate) unsafe fn start_read_write(
        &self,
        write: bool,
        fua: bool,
        offset: u64,
        buf: &mut crate::sg::SgBuffer,
        token: *mut kernel::ffi::c_void,
    ) -> Result<bool> {
        // SAFETY: `state` is the backstore's device, enabled (as in
        // `medium_read_write`); the rest by the safety requirement.
        unsafe {
            self.backend
                .read_write_async(self.state, write, fua, offset, buf, token)
        }
    }

    /// `read_write` without the write gate: for COMPARE AND WRITE, which
    /// holds it.
    fn medium_read_write(&self, write: bool, offset: u64, buf: &mut crate::sg::SgBuffer) -> Result {
        // SAFETY: `state` is the backstore's device (type invariant). Only an
        // enabled device is exported, and only exported devices get
        // commands; a device is never disabled.
        unsafe { self.backend.read_write(self.state, write, offset, buf) }
    }

    /// Runs `f` with every other change of the medium held off: COMPARE AND
    /// WRITE. `f` gets the device's reads and writes, ungated.
    pub(crate) fn compare_and_write<T>(&self, f: impl FnOnce(&dyn MediumAccess) -> T) -> T {
        self.write_gate.exclusive(|| f(self))
    }

    /// Makes the writes to `len` bytes from byte `offset` durable (0: to
    /// the end).
    pub(crate) fn flush(&self, offset: u64, len: u64) -> Result {
        // SAFETY: As in `read_write`.
        unsafe { self.backend.flush(self.state, offset, len) }
    }

    /// Deallocates `len` bytes from byte `offset` (the engine has checked
    /// the range); EOPNOTSUPP if the backstore cannot.
    pub(crate) fn unmap(&self, offset: u64, len: u64) -> Result {
        self.write_gate.write(|| {
            // SAFETY: As in `medium_read_write`.
            unsafe { self.backend.unmap(self.state, offset, len) }
        })
    }

    /// Whether the backstore deallocates blocks.
    pub(crate) fn can_unmap(&self) -> bool {
        self.backend.can_unmap()
    }

    /// The capacity in logical blocks of `block_size` bytes (the LUN's
    /// `IoGeometry::block_size`): what READ CAPACITY reports and LBA
    /// ranges are checked against. Read without a lock.
    pub(crate) fn blocks(&self, block_size: u32) -> u64 {
        self.capacity.blocks(block_size)
    }

    /// Asks a backstore whose devices may change size how many blocks
    /// the device holds now, before a command: for every other device a
    /// load and a compare; for a resizable one an indirect call, a load
    /// and a compare, no lock. On a change the capacity commands see is
    /// updated, and every I_T nexus that sees the device, through any of
    /// its LUNs, gets CAPACITY DATA HAS CHANGED, before this command's
    /// own unit attentions are looked at (so the command that noticed
    /// the change reports it too). Only exported (so enabled) devices get
    /// commands.
    pub(crate) fn check_capacity(&self) {
        if !self.resizable.load(Ordering::Acquire) {
            return;
        }
        // SAFETY: `state` is the backstore's device (type invariant); it is
        // enabled, since `resizable` is set only by `enable`.
        let Some(now) = (unsafe { self.backend.blocks(self.state) }) else {
            return;
        };
        if let Some(change) = self.capacity.observe(now) {
            self.capacity_changed(change);
        }
    }

    /// The capacity changed from `change.old` to `change.new` backstore
    /// blocks: recorded in the geometry, logged and reported. Called once
    /// per change (`Capacity::observe` decides which command does it).
    #[cold]
    fn capacity_changed(&self, change: capacity::Change) {
        let block_size = {
            let mut config = self.config.lock();
            let Some(geometry) = config.geometry.as_mut() else {
                return;
            };
            // The newest count, should a later change have overtaken this
            // one on its way to the lock.
            geometry.blocks = self.capacity.hw_blocks();
            geometry.block_size
        };
        pr_info!(
            "{}: capacity {} from {} to {} blocks of {} bytes\n",
            &*self.path,
            if change.shrank() { "shrank" } else { "grew" },
            change.old,
            change.new,
            block_size
        );
        self.queue_ua_all(capacity::CAPACITY_DATA_HAS_CHANGED, None);
    }

    /// The identification INQUIRY reports.
    pub(crate) fn inquiry_ids(&self) -> InquiryIds {
        let config = self.config.lock();
        let w = &config.wwn;
        InquiryIds {
            vendor: w.vendor,
            product: w.product,
            revision: w.revision,
            company_id: w.company_id,
            unit_serial: w.unit_serial,
        }
    }

    /// The `attrib/` values now.
    pub(crate) fn attributes(&self) -> attrib::DeviceAttributes {
        self.config.lock().attrib
    }

    /// Changes `attrib/` values from a command (MODE SELECT): `f` sees them
    /// under the device's lock and changes nothing when it fails.
    pub(crate) fn change_attributes<T, E>(
        &self,
        f: impl FnOnce(&mut DeviceAttributes) -> core::result::Result<T, E>,
    ) -> core::result::Result<T, E> {
        let mut config = self.config.lock();
        let mut attrib = config.attrib;
        let value = f(&mut attrib)?;
        config.attrib = attrib;
        self.attributes_changed(&attrib);
        Ok(value)
    }

    /// Whether DPO and FUA are taken (see `dpofua`).
    pub(crate) fn dpofua(&self) -> bool {
        self.dpofua.load(Ordering::Relaxed)
    }

    /// The MAXIMUM COMPARE AND WRITE LENGTH: 1 block with `emulate_caw`,
    /// as LIO, else 0 (the command is refused).
    pub(crate) fn max_compare_and_write(&self) -> u8 {
        u8::from(self.caw.load(Ordering::Relaxed))
    }

    /// `attrib/complete_type` (see the fabric ABI's `Command`).
    pub(crate) fn complete_type(&self) -> u8 {
        self.complete_type.load(Ordering::Relaxed)
    }

    /// Whether a command is submitted queued, where a fabric can (see the
    /// fabric ABI's `EXECUTE_DEFERRED`): `attrib/submit_type` 2, or 0 (the
    /// default) when the backstore sleeps for its I/O, so that a submitter
    /// never waits for one command's I/O before it can queue the next;
    /// except, with 0, a command that `pends` (a plain READ or WRITE the
    /// fabric lets complete later) to a backstore that can leave it in
    /// flight (async_rw.rs): it starts its I/O where it arrives and sleeps
    /// for nothing.
    pub(crate) fn submits_queued(&self, pends: bool) -> bool {
        match self.submit_type.load(Ordering::Relaxed) {
            attrib::QUEUE_TYPE_QUEUED => true,
            attrib::QUEUE_TYPE_DIRECT => false,
            _ => self.sleeps.load(Ordering::Relaxed) && !(pends && self.can_pend()),
        }
    }

    /// Recomputes what commands read without the lock after `attrib/`
    /// changed (under `config`).
    pub(crate) fn attributes_changed(&self, attrib: &DeviceAttributes) {
        self.complete_type
            .store(attrib.complete_type, Ordering::Relaxed);
        self.submit_type
            .store(attrib.submit_type, Ordering::Relaxed);
        self.dpofua.store(
            attrib.emulate_write_cache && attrib.emulate_fua_write,
            Ordering::Relaxed,
        );
        self.caw.store(attrib.emulate_caw, Ordering::Relaxed);
    }

    /// Runs `f` on the device's LBA map (for the LBA dependent ALUA
    /// state), under the device's configuration lock.
    pub(crate) fn with_lba_map<R>(
        &self,
        f: impl FnOnce(&dyn crate::alua_access::LbaMapView) -> R,
    ) -> R {
        f(&self.config.lock().lba_map)
    }

    /// The LBA map's segment size and multiplier (VPD page B3h).
    pub(crate) fn lba_map_segments(&self) -> (u32, u32) {
        let config = self.config.lock();
        (config.lba_map.segment_size, config.lba_map.segment_mult)
    }

    /// The device's unit serial number (`wwn/vpd_unit_serial`).
    pub(crate) fn unit_serial(&self) -> Result<CString> {
        let config = self.config.lock();
        crate::sys::cstring(config.wwn.unit_serial.as_str()?.as_bytes())
    }

    /// The ID of the device's logical unit group, if it is in one.
    pub(crate) fn lu_group_id(&self) -> Option<u16> {
        self.lu_groups
            .membership(self.key)
            .ok()
            .flatten()
            .map(|m| m.id)
    }
}

impl<const N: usize> Text<N> {
    /// The bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}
