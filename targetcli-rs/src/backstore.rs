//! Storage objects: reading them from core/<hba>/<name>, creating them in
//! the order the kernel needs (control, udev_path, enable, unit serial,
//! attributes, ALUA groups) and removing them with their HBA.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::cfs;
use crate::config::{
    attr_text, attr_value, AluaTpgConfig, Attributes, Backend, Plugin, StorageObjectConfig,
    ALUA_SETTINGS,
};
use crate::error::{Error, Result};
use crate::root::{Root, SoRef, TpgRef};
use crate::wwn;

/// A storage object as it is live, with what `ls` shows beyond the saved
/// configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageObjectInfo {
    /// The saveable configuration.
    pub config: StorageObjectConfig,
    /// Its configfs directory.
    pub path: PathBuf,
    /// "activated" when a LUN exports it, else "deactivated".
    pub status: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// The backing file or device.
    pub udev_path: String,
}

impl StorageObjectInfo {
    /// Its reference.
    pub fn so_ref(&self) -> SoRef {
        SoRef::new(self.config.backend.plugin(), self.config.name.clone())
    }
}

/// The value after "key: " in a configfs info file, as rtslib-fb finds it:
/// white space collapsed, last occurrence, up to the next space or colon.
pub fn info_field(info: &str, key: &str) -> Option<String> {
    let flat = info.split_whitespace().collect::<Vec<_>>().join(" ");
    let pat = format!("{key}: ");
    flat.match_indices(&pat)
        .map(|(i, _)| &flat[i + pat.len()..])
        .filter_map(|rest| {
            let v: String = rest
                .chars()
                .take_while(|c| *c != ' ' && *c != ':')
                .collect();
            (!v.is_empty()).then_some(v)
        })
        .last()
}

/// Splits an HBA directory name "rd_mcp_3" into plugin and index.
fn parse_hba(dir: &str) -> Option<(Plugin, u32)> {
    let (prefix, idx) = dir.rsplit_once('_')?;
    Some((Plugin::from_name(prefix)?, idx.parse().ok()?))
}

fn read_attributes(dir: &Path) -> Attributes {
    cfs::rw_files(dir)
        .into_iter()
        .filter_map(|name| {
            let v = cfs::read_opt(&dir.join(&name))?;
            Some((name, attr_value(&v)))
        })
        .collect()
}

pub(crate) fn read_attr_map(dir: &Path) -> Attributes {
    read_attributes(dir)
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions and only reads a constant.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as u64
    } else {
        4096
    }
}

/// Size of a block device from sysfs, in bytes.
fn block_device_size(dev: &str) -> Option<u64> {
    let real = std::fs::canonicalize(dev).ok()?;
    let name = real.file_name()?.to_str()?;
    let sectors: u64 = cfs::read_opt(&Path::new("/sys/class/block").join(name).join("size"))?
        .parse()
        .ok()?;
    Some(sectors * 512)
}

fn is_block_device(path: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path)
        .map(|m| m.file_type().is_block_device())
        .unwrap_or(false)
}

/// The ALUA groups of the storage object at `so_path`: the directories
/// under its alua/ with a readable group id (a stray file is no group).
pub(crate) fn alua_group_names(so_path: &Path) -> Vec<String> {
    let alua_dir = so_path.join("alua");
    cfs::subdirs(&alua_dir)
        .into_iter()
        .filter(|g| cfs::read_opt(&alua_dir.join(g).join("tg_pt_gp_id")).is_some())
        .collect()
}

fn read_alua_tpg(dir: &Path, name: &str) -> Option<AluaTpgConfig> {
    let int = |f: &str| -> i64 {
        cfs::read_opt(&dir.join(f))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let index_of = |f: &str, names: &[&str]| -> i64 {
        cfs::read_opt(&dir.join(f))
            .and_then(|v| names.iter().position(|n| *n == v))
            .map(|i| i as i64)
            .unwrap_or(0)
    };
    // A group whose id cannot be read is not a group (e.g. a stray file).
    cfs::read_opt(&dir.join("tg_pt_gp_id"))?;
    Some(AluaTpgConfig {
        name: name.to_string(),
        tg_pt_gp_id: int("tg_pt_gp_id"),
        alua_access_state: int("alua_access_state"),
        alua_access_status: index_of("alua_access_status", &crate::alua::STATUSES),
        alua_access_type: index_of("alua_access_type", &crate::alua::TYPES),
        alua_support_active_nonoptimized: int("alua_support_active_nonoptimized"),
        alua_support_active_optimized: int("alua_support_active_optimized"),
        alua_support_offline: int("alua_support_offline"),
        alua_support_standby: int("alua_support_standby"),
        alua_support_transitioning: int("alua_support_transitioning"),
        alua_support_unavailable: int("alua_support_unavailable"),
        alua_write_metadata: int("alua_write_metadata"),
        implicit_trans_secs: int("implicit_trans_secs"),
        nonop_delay_msecs: int("nonop_delay_msecs"),
        preferred: int("preferred"),
        trans_delay_msecs: int("trans_delay_msecs"),
    })
}

impl Root {
    /// The configfs directory of a storage object, if it exists.
    pub fn storage_object_path(&self, so: &SoRef) -> Option<PathBuf> {
        let core = self.core();
        let hbas = cfs::subdirs(&core);
        let of_plugin = hbas
            .iter()
            .filter(|d| parse_hba(d).is_some_and(|(p, _)| p == so.plugin))
            .map(String::as_str);
        let hba = cfs::first_holding(&core, of_plugin, &so.name)?;
        Some(core.join(hba).join(&so.name))
    }

    /// [`Root::storage_object_path`], or an error that says to create it.
    pub fn existing_storage_object(&self, so: &SoRef) -> Result<PathBuf> {
        self.storage_object_path(so).ok_or_else(|| {
            Error::not_found(so.to_string(), "create it first (see `ls /backstores`)")
        })
    }

    /// Every storage object, in the kernel's order (the order targetcli-fb
    /// saves them in).
    pub fn storage_objects(&self) -> Result<Vec<StorageObjectInfo>> {
        self.storage_object_dirs()
            .into_iter()
            .map(|(plugin, name, path)| self.read_storage_object(plugin, &name, &path))
            .collect()
    }

    /// Every storage object's plugin, name and directory, in the kernel's
    /// order, from the directory listings alone (nothing read).
    pub fn storage_object_dirs(&self) -> Vec<(Plugin, String, PathBuf)> {
        let mut out = Vec::new();
        for hba in cfs::subdirs(&self.core()) {
            let Some((plugin, _)) = parse_hba(&hba) else {
                continue;
            };
            for name in cfs::subdirs(&self.core().join(&hba)) {
                let path = self.core().join(&hba).join(&name);
                out.push((plugin, name, path));
            }
        }
        out
    }

    /// Whether any storage object of `plugin` exists (only that plugin's
    /// HBAs are listed).
    pub fn has_storage_objects(&self, plugin: Plugin) -> bool {
        cfs::subdirs(&self.core()).iter().any(|hba| {
            parse_hba(hba).is_some_and(|(p, _)| p == plugin)
                && !cfs::subdirs(&self.core().join(hba)).is_empty()
        })
    }

    /// One storage object.
    pub fn storage_object(&self, so: &SoRef) -> Result<StorageObjectInfo> {
        let path = self.storage_object_path(so).ok_or_else(|| {
            Error::not_found(
                so.to_string(),
                format!("see `ls /backstores/{}`", so.plugin.name()),
            )
        })?;
        self.read_storage_object(so.plugin, &so.name, &path)
    }

    fn read_storage_object(
        &self,
        plugin: Plugin,
        name: &str,
        path: &Path,
    ) -> Result<StorageObjectInfo> {
        let info = cfs::read_opt(&path.join("info")).unwrap_or_default();
        let field = |k: &str| info_field(&info, k);
        let enabled = cfs::read_opt(&path.join("enable"))
            .map(|v| v != "0")
            .unwrap_or(true);
        let wwn = if enabled {
            cfs::read_opt(&path.join("wwn/vpd_unit_serial"))
                .and_then(|s| s.split_once(':').map(|(_, w)| w.trim().to_string()))
        } else {
            None
        };
        let attributes = read_attributes(&path.join("attrib"));
        let flag = |v: Option<String>| v.is_some_and(|v| v.parse::<i64>().unwrap_or(0) != 0);
        let write_back = attributes
            .get("emulate_write_cache")
            .and_then(|v| v.as_i64())
            .unwrap_or(0)
            != 0;
        let mut udev_path = cfs::read_opt(&path.join("udev_path")).unwrap_or_default();
        if udev_path.is_empty() && plugin == Plugin::Fileio {
            udev_path = field("File").unwrap_or_default();
        }
        let (backend, size) = match plugin {
            Plugin::Ramdisk => {
                let size = field("PAGES/PAGE_SIZE").and_then(|v| {
                    let (pages, page) = v.split_once('*')?;
                    Some(pages.parse::<u64>().ok()? * page.parse::<u64>().ok()?)
                });
                (
                    Backend::Ramdisk {
                        wwn,
                        size: size.unwrap_or(0),
                        nullio: flag(field("nullio")),
                    },
                    size,
                )
            }
            Plugin::Fileio => {
                let size = if is_block_device(&udev_path) {
                    block_device_size(&udev_path)
                } else {
                    field("Size").and_then(|v| v.parse().ok())
                };
                (
                    Backend::Fileio {
                        wwn,
                        dev: udev_path.clone(),
                        size,
                        write_back,
                        aio: flag(field("Async")),
                    },
                    size,
                )
            }
            Plugin::Block => (
                Backend::Block {
                    wwn,
                    dev: udev_path.clone(),
                    readonly: flag(field("readonly")),
                    write_back,
                },
                block_device_size(&udev_path),
            ),
            Plugin::Pscsi => (
                Backend::Pscsi {
                    dev: udev_path.clone(),
                },
                block_device_size(&udev_path),
            ),
            Plugin::User => {
                let size = field("Size").and_then(|v| v.parse().ok());
                let mut control = Vec::new();
                if let Some(v) = field("MaxDataAreaMB").filter(|v| v != "NULL") {
                    control.push(format!("max_data_area_mb={v}"));
                }
                if let Some(v) = attributes.get("hw_block_size") {
                    control.push(format!("hw_block_size={}", attr_text(v)));
                }
                if let Some(v) = field("DataPagesPerBlk").filter(|v| v != "NULL") {
                    control.push(format!("data_pages_per_blk={v}"));
                }
                (
                    Backend::User {
                        wwn,
                        size: size.unwrap_or(0),
                        config: field("Config").filter(|c| c != "NULL"),
                        hw_max_sectors: field("HwMaxSectors").and_then(|v| v.parse().ok()),
                        control: Some(control.join(",")),
                    },
                    size,
                )
            }
        };
        let alua_dir = path.join("alua");
        let alua_tpgs = alua_group_names(path)
            .into_iter()
            .filter_map(|g| read_alua_tpg(&alua_dir.join(&g), &g))
            .collect();
        Ok(StorageObjectInfo {
            config: StorageObjectConfig {
                name: name.to_string(),
                attributes,
                alua_tpgs,
                backend,
            },
            path: path.to_path_buf(),
            status: field("Status").unwrap_or_default().to_lowercase(),
            size,
            udev_path,
        })
    }

    /// How many LUNs export the storage object at `so_path`, as the core
    /// counts them (`statistics/scsi_dev/ports`, in LIO and tcm-rs alike);
    /// None if that cannot be read.
    pub fn storage_object_ports(&self, so_path: &Path) -> Option<usize> {
        cfs::read_opt(&so_path.join("statistics/scsi_dev/ports"))?
            .parse()
            .ok()
    }

    /// The LUNs (TPG and LUN number) that export a storage object, in
    /// fabric, TPG and LUN order. The LUNs its ALUA groups name
    /// ([`Root::alua_members`]) are checked by their links; only where
    /// those are fewer than the core counts (`ports`) is every LUN's link
    /// in the system read.
    pub fn storage_object_users(&self, so_path: &Path) -> Vec<(TpgRef, u32)> {
        let ports = self.storage_object_ports(so_path);
        if ports == Some(0) {
            return Vec::new();
        }
        let Some(want) = cfs::resolve(so_path) else {
            return Vec::new();
        };
        let exports = |tpg: &TpgRef, lun: u32| {
            let dir = self.lun_path(tpg, lun);
            cfs::links(&dir)
                .iter()
                .any(|l| cfs::resolve(&dir.join(l)).as_deref() == Some(want.as_path()))
        };
        let tpgs: Vec<TpgRef> = self
            .loaded_fabrics()
            .into_iter()
            .flat_map(|f| self.tpgs_of_fabric(f))
            .collect();
        let (_, mut members) = self.alua_members(so_path);
        members.sort_unstable();
        members.dedup();
        let mut users = Vec::new();
        for tpg in &tpgs {
            for &(_, lun) in members.iter().filter(|(tag, _)| *tag == tpg.tag) {
                if exports(tpg, lun) {
                    users.push((tpg.clone(), lun));
                }
            }
        }
        if ports == Some(users.len()) {
            return users;
        }
        users.clear();
        for tpg in &tpgs {
            for lun in self.lun_numbers(tpg) {
                if exports(tpg, lun) {
                    users.push((tpg.clone(), lun));
                }
            }
        }
        users
    }

    /// Creates a storage object with its settings, attributes and ALUA
    /// groups. On any failure everything made so far is removed again.
    pub fn create_storage_object(&self, so: &StorageObjectConfig) -> Result<PathBuf> {
        let r = SoRef::new(so.backend.plugin(), so.name.clone());
        if self.storage_object_path(&r).is_some() {
            return Err(Error::exists(
                r.to_string(),
                "choose another name, or delete the existing one first",
            ));
        }
        self.create_new_storage_object(so)
    }

    /// [`Root::create_storage_object`] for a caller that knows that no
    /// storage object of that plugin has the name (a restore, which listed
    /// them once): no look for it through every HBA, which made restoring
    /// N objects quadratic in N.
    pub(crate) fn create_new_storage_object(&self, so: &StorageObjectConfig) -> Result<PathBuf> {
        let plugin = so.backend.plugin();
        if so.name.is_empty()
            || so.name.contains(['/', ' ', '\t', '\n'])
            || so.name == "."
            || so.name == ".."
        {
            return Err(Error::invalid(
                "storage object name",
                &so.name,
                "a name may not be empty nor contain '/' or white space",
            ));
        }
        let hba = self
            .core()
            .join(format!("{}_{}", plugin.hba_prefix(), self.free_hba_index()));
        let made_hba = !hba.is_dir();
        if made_hba {
            self.make_hba(plugin, &hba)?;
        }
        let path = hba.join(&so.name);
        if let Err(e) = cfs::mkdir(&path) {
            if made_hba {
                let _ = cfs::rmdir(&hba);
            }
            return Err(e);
        }
        match self.configure_storage_object(&path, so) {
            Ok(()) => Ok(path),
            Err(e) => {
                remove_so_dirs(&path);
                Err(e)
            }
        }
    }

    /// Makes an HBA directory. LIO loads the backend modules only on its
    /// first HBA ever; after they were unloaded the kernel answers EINVAL,
    /// so load the module and try again. tcm-rs loads its own on every
    /// HBA; loading it here too gives modprobe's reason when there is none
    /// (LIO's would fail next to tcm-rs).
    fn make_hba(&self, plugin: Plugin, hba: &Path) -> Result<()> {
        match cfs::mkdir(hba) {
            Err(e) if e.errno() == Some(libc::EINVAL) && self.may_load_modules() => {
                let Some(module) = crate::root::Core::detect().backstore_module(plugin) else {
                    return Err(e);
                };
                crate::root::modprobe(&module)?;
                cfs::mkdir(hba)
            }
            other => other,
        }
    }

    fn free_hba_index(&self) -> u32 {
        let used: BTreeSet<u32> = cfs::subdirs(&self.core())
            .iter()
            .filter_map(|d| parse_hba(d))
            .map(|(_, i)| i)
            .collect();
        (0..).find(|i| !used.contains(i)).unwrap_or(0)
    }

    fn configure_storage_object(&self, path: &Path, so: &StorageObjectConfig) -> Result<()> {
        let control = |v: &str| cfs::write_named(&path.join("control"), "control", v, "");
        let udev = |dev: &str| cfs::write_named(&path.join("udev_path"), "udev_path", dev, "");
        match &so.backend {
            Backend::Ramdisk { size, nullio, .. } => {
                let pages = ((*size as f64) / page_size() as f64).round().max(1.0) as u64;
                control(&format!("rd_pages={pages}"))?;
                if *nullio {
                    control("rd_nullio=1")?;
                }
            }
            Backend::Fileio {
                dev,
                size,
                write_back,
                aio,
                ..
            } => {
                if is_block_device(dev) {
                    control(&format!("fd_dev_name={dev}"))?;
                } else {
                    if Path::new(dev).exists() && !Path::new(dev).is_file() {
                        return Err(Error::invalid(
                            "fileio dev",
                            dev,
                            "not a regular file or a block device",
                        ));
                    }
                    let size = size.ok_or_else(|| {
                        Error::invalid("fileio size", dev, "a file needs a size (e.g. size=1G)")
                    })?;
                    control(&format!("fd_dev_name={dev},fd_dev_size={size}"))?;
                }
                if *write_back {
                    self.set_attribute(path, "emulate_write_cache", "1")?;
                    control("fd_buffered_io=1")?;
                }
                if *aio {
                    control("fd_async_io=1")?;
                }
                udev(dev)?;
            }
            Backend::Block { dev, readonly, .. } => {
                if !is_block_device(dev) {
                    return Err(Error::invalid("block dev", dev, "not a block device"));
                }
                udev(dev)?;
                control(&format!("udev_path={dev}"))?;
                control(&format!("readonly={}", u8::from(*readonly)))?;
            }
            Backend::Pscsi { dev } => {
                let hctl = scsi_hctl(dev).ok_or_else(|| {
                    Error::invalid("pscsi dev", dev, "not a SCSI device (no H:C:T:L in sysfs)")
                })?;
                control(&format!(
                    "scsi_host_id={},scsi_channel_id={},scsi_target_id={},scsi_lun_id={}",
                    hctl[0], hctl[1], hctl[2], hctl[3]
                ))?;
                udev(dev)?;
            }
            Backend::User {
                size,
                config,
                hw_max_sectors,
                control: ctl,
                ..
            } => {
                let config = config.as_deref().unwrap_or_default();
                if !config.contains('/') || config.contains(':') {
                    return Err(Error::invalid(
                        "user config",
                        config,
                        "write <handler>/<handler config>, without ':'",
                    ));
                }
                control(&format!("dev_config={config}"))?;
                control(&format!("dev_size={size}"))?;
                if let Some(h) = hw_max_sectors {
                    control(&format!("hw_max_sectors={h}"))?;
                }
                if let Some(c) = ctl.as_deref().filter(|c| !c.is_empty()) {
                    control(c)?;
                }
            }
        }
        cfs::write_named(
            &path.join("enable"),
            "enable",
            "1\n",
            "check the settings above and the kernel log (dmesg)",
        )?;
        if !matches!(so.backend, Backend::Pscsi { .. }) {
            let serial = so
                .backend
                .wwn()
                .map(str::to_string)
                .unwrap_or_else(wwn::uuid4);
            cfs::write_named(
                &path.join("wwn/vpd_unit_serial"),
                "wwn/vpd_unit_serial",
                &format!("{serial}\n"),
                "",
            )?;
            // Registrations the kernel kept with APTPL, as rtslib-fb
            // restores them once the serial is set.
            if let Some(dbroot) = self.dbroot() {
                crate::aptpl::restore(path, &dbroot, &serial)?;
            }
        }
        for (name, value) in &so.attributes {
            // Unchanged values are not rewritten: some attributes refuse any
            // write once the device is exported or configured.
            let file = path.join("attrib").join(name);
            if cfs::read_opt(&file).is_some_and(|cur| cur == attr_text(value)) {
                continue;
            }
            self.set_attribute(path, name, &attr_text(value))?;
        }
        for g in &so.alua_tpgs {
            if g.name != "default_tg_pt_gp" {
                create_alua_tpg(path, g)?;
            }
        }
        Ok(())
    }

    /// Removes a storage object. If LUNs export it, this fails with
    /// [`Error::InUse`] naming them, unless `force` is set: then the LUNs
    /// (and the mapped LUNs that use them) go first, as targetcli-fb does.
    pub fn delete_storage_object(&self, so: &SoRef, force: bool) -> Result<()> {
        let path = self.storage_object_path(so).ok_or_else(|| {
            Error::not_found(
                so.to_string(),
                format!("see `ls /backstores/{}`", so.plugin.name()),
            )
        })?;
        let users = self.storage_object_users(&path);
        if !users.is_empty() {
            if !force {
                return Err(Error::InUse {
                    what: so.to_string(),
                    users: users
                        .iter()
                        .map(|(tpg, lun)| format!("LUN {lun} of {tpg}"))
                        .collect(),
                    hint: "delete those LUNs first, or repeat with force=true to delete them too"
                        .into(),
                });
            }
            for (tpg, lun) in &users {
                self.delete_lun(tpg, *lun, true)?;
            }
        }
        for g in cfs::subdirs(&path.join("alua")) {
            if g != "default_tg_pt_gp" {
                cfs::rmdir(&path.join("alua").join(g))?;
            }
        }
        cfs::rmdir(&path)?;
        if let Some(hba) = path.parent() {
            if cfs::subdirs(hba).is_empty() {
                cfs::rmdir(hba)?;
            }
        }
        Ok(())
    }

    /// Writes one attribute (attrib/<name>) of the object at `node`.
    pub fn set_attribute(&self, node: &Path, name: &str, value: &str) -> Result<()> {
        check_name("attribute", name)?;
        cfs::write_named(
            &node.join("attrib").join(name),
            name,
            value,
            "see `get attribute` for the names and current values",
        )
    }
}

/// Makes the backing file of a fileio object when it does not exist:
/// `size` bytes, sparse or written with zeros.
pub fn prepare_backing_file(dev: &str, size: Option<u64>, sparse: bool) -> Result<()> {
    let path = std::path::Path::new(dev);
    if path.exists() {
        return Ok(());
    }
    let size = size.ok_or_else(|| Error::Usage(format!("{dev} does not exist: give size=")))?;
    let f = std::fs::File::create(path).map_err(|e| Error::io("create", path, e))?;
    let r = if sparse {
        f.set_len(size)
    } else {
        use std::io::Write;
        let zeros = vec![0u8; 1 << 20];
        let mut left = size;
        let mut w = std::io::BufWriter::new(&f);
        let mut res = Ok(());
        while left > 0 && res.is_ok() {
            let n = left.min(zeros.len() as u64) as usize;
            res = w.write_all(&zeros[..n]);
            left -= n as u64;
        }
        res.and_then(|()| w.flush())
    };
    r.map_err(|e| {
        let _ = std::fs::remove_file(path);
        Error::io("size", path, e)
    })
}

fn check_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(Error::invalid(what, name, "not a file name"));
    }
    Ok(())
}

pub(crate) fn check_setting_name(what: &str, name: &str) -> Result<()> {
    check_name(what, name)
}

fn create_alua_tpg(so_path: &Path, g: &AluaTpgConfig) -> Result<()> {
    let dir = crate::alua::make_group(so_path, &g.name, g.tg_pt_gp_id)?;
    let result = (|| {
        for name in ALUA_SETTINGS {
            let v = g.setting(name).unwrap_or(0).to_string();
            let file = dir.join(name);
            if cfs::read_opt(&file).is_some_and(|cur| cur == v) {
                continue;
            }
            cfs::write_named(&file, name, &v, "")?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = cfs::rmdir(&dir);
    }
    result
}

/// Removes what `create_storage_object` made, best effort (used on failure).
fn remove_so_dirs(path: &Path) {
    for g in cfs::subdirs(&path.join("alua")) {
        if g != "default_tg_pt_gp" {
            let _ = cfs::rmdir(&path.join("alua").join(g));
        }
    }
    let _ = cfs::rmdir(path);
    if let Some(hba) = path.parent() {
        if cfs::subdirs(hba).is_empty() {
            let _ = cfs::rmdir(hba);
        }
    }
}

/// The H:C:T:L of a SCSI disk from sysfs.
fn scsi_hctl(dev: &str) -> Option<[u32; 4]> {
    let real = std::fs::canonicalize(dev).ok()?;
    let name = real.file_name()?.to_str()?;
    let link = std::fs::read_link(Path::new("/sys/class/block").join(name).join("device")).ok()?;
    let hctl = link.file_name()?.to_str()?;
    let v: Vec<u32> = hctl.split(':').filter_map(|p| p.parse().ok()).collect();
    (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_fields_match_rtslib() {
        let rd = "Status: DEACTIVATED  Max Queue Depth: 0  SectorSize: 512  HwMaxSectors: 1024\n\
                  \tTCM RamDisk ID: 0  RamDisk MCP\n        PAGES/PAGE_SIZE: 4096*4096  SG_table_count: 1  nullio: 0\n";
        assert_eq!(info_field(rd, "Status").as_deref(), Some("DEACTIVATED"));
        assert_eq!(
            info_field(rd, "PAGES/PAGE_SIZE").as_deref(),
            Some("4096*4096")
        );
        assert_eq!(info_field(rd, "nullio").as_deref(), Some("0"));
        let fd = "Status: ACTIVATED  Max Queue Depth: 128  SectorSize: 512  HwMaxSectors: 16384\n\
                  TCM FILEIO ID: 0        File: /tmp/f0.img  Size: 1048576  Mode: Buffered-WCE Async: 0\n";
        // The last "Size: " wins, not the one inside SectorSize.
        assert_eq!(info_field(fd, "Size").as_deref(), Some("1048576"));
        assert_eq!(info_field(fd, "File").as_deref(), Some("/tmp/f0.img"));
        assert_eq!(info_field(fd, "Async").as_deref(), Some("0"));
        assert_eq!(info_field(fd, "Missing"), None);
    }

    #[test]
    fn hba_names_parse() {
        assert_eq!(parse_hba("rd_mcp_12"), Some((Plugin::Ramdisk, 12)));
        assert_eq!(parse_hba("iblock_0"), Some((Plugin::Block, 0)));
        assert_eq!(parse_hba("alua"), None);
        assert_eq!(parse_hba("floppy_1"), None);
    }
}
