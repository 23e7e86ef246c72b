//! `targetcli_rs`: Python bindings over the targetcli-rs library.
//!
//! ```python
//! import targetcli_rs
//! root = targetcli_rs.Root()                    # /sys/kernel/config/target
//! rd = root.create_storage_object("ramdisk", "rd0", size=16 << 20)
//! t = root.create_target("iscsi", "iqn.2003-01.org.example:t1")
//! tpg = t.create_tpg()
//! tpg.create_lun(rd)
//! root.save("/etc/rtslib-fb-target/saveconfig.json")
//! ```
//!
//! Objects are handles (a reference and the tree): reading one reads the
//! live tree, so a handle to something deleted raises `NotFoundError`.
//! Every failure raises a subclass of `TargetcliError` whose message is the
//! library's: what failed, where, and what to do next.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use targetcli::cfs;
use targetcli::config::{attr_value, Backend, Plugin, StorageObjectConfig};
use targetcli::fabric::Fabric;
use targetcli::restore::{RestoreMode, RestoreScope};
use targetcli::{savefile, Error, Root as LibRoot, SoRef, TargetRef, TpgRef};

create_exception!(
    targetcli_rs,
    TargetcliError,
    PyException,
    "A targetcli-rs failure; the message says what to do next."
);
create_exception!(
    targetcli_rs,
    NotFoundError,
    TargetcliError,
    "The object named does not exist."
);
create_exception!(
    targetcli_rs,
    ExistsError,
    TargetcliError,
    "The object to create exists already."
);
create_exception!(
    targetcli_rs,
    InUseError,
    TargetcliError,
    "The object is in use (a storage object exported by LUNs, a LUN mapped by ACLs)."
);
create_exception!(
    targetcli_rs,
    InvalidError,
    TargetcliError,
    "A value, name or saved configuration is not valid."
);
create_exception!(
    targetcli_rs,
    KernelError,
    TargetcliError,
    "The kernel or the file system refused an operation."
);

/// The Python exception for a library error, with its message.
fn py_err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::NotFound { .. } => NotFoundError::new_err(msg),
        Error::Exists { .. } => ExistsError::new_err(msg),
        Error::InUse { .. } => InUseError::new_err(msg),
        Error::Invalid { .. } | Error::Usage(_) | Error::BadConfig { .. } => {
            InvalidError::new_err(msg)
        }
        Error::Io { .. }
        | Error::NoConfigfs { .. }
        | Error::Refused { .. }
        | Error::Modprobe { .. } => KernelError::new_err(msg),
        _ => TargetcliError::new_err(msg),
    }
}

trait IntoPy<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for targetcli::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(py_err)
    }
}

fn invalid(what: &str, value: &str, reason: &str) -> PyErr {
    py_err(Error::invalid(what, value, reason))
}

fn plugin(name: &str) -> PyResult<Plugin> {
    Plugin::from_name(name)
        .ok_or_else(|| invalid("plugin", name, "use ramdisk, fileio, block, pscsi or user"))
}

fn fabric(name: &str) -> PyResult<&'static Fabric> {
    Fabric::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = targetcli::fabric::FABRICS.iter().map(|f| f.name).collect();
        invalid("fabric", name, &format!("use one of: {}", known.join(", ")))
    })
}

/// The readable files of `dir` and their values.
fn read_settings(dir: PathBuf) -> BTreeMap<String, String> {
    cfs::files(&dir)
        .into_iter()
        .filter_map(|n| Some((n.clone(), cfs::read_opt(&dir.join(&n))?)))
        .collect()
}

/// A configfs target tree.
#[pyclass(frozen, module = "targetcli_rs")]
struct Root {
    root: LibRoot,
}

#[pymethods]
impl Root {
    /// Opens the tree at `path`; without it the system's
    /// /sys/kernel/config/target (configfs is mounted and target_core_mod
    /// loaded when missing, fabric modules when first used). A tree opened
    /// by path never loads modules.
    #[new]
    #[pyo3(signature = (path=None))]
    fn new(path: Option<PathBuf>) -> PyResult<Self> {
        let root = match path {
            Some(p) => LibRoot::open(p),
            None => LibRoot::open_system(),
        }
        .py()?;
        Ok(Root { root })
    }

    /// The tree's directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.root.path().to_path_buf()
    }

    fn __repr__(&self) -> String {
        format!("Root({:?})", self.root.path().display().to_string())
    }

    /// Every storage object, in the kernel's order.
    fn storage_objects(&self) -> PyResult<Vec<StorageObject>> {
        Ok(self
            .root
            .storage_objects()
            .py()?
            .into_iter()
            .map(|s| StorageObject {
                root: self.root.clone(),
                so: s.so_ref(),
            })
            .collect())
    }

    /// One storage object by plugin (ramdisk, fileio, block, pscsi, user)
    /// and name.
    fn storage_object(&self, plugin_name: &str, name: &str) -> PyResult<StorageObject> {
        let so = SoRef::new(plugin(plugin_name)?, name);
        self.root.storage_object(&so).py()?;
        Ok(StorageObject {
            root: self.root.clone(),
            so,
        })
    }

    /// Creates a storage object, with targetcli-fb's defaults
    /// (emulate_model_alias=1 unless `model_alias=False`; fileio is
    /// write-back unless `write_back=False`; a missing fileio file is
    /// created with `size` bytes, sparse unless `sparse=False`).
    #[pyo3(signature = (plugin_name, name, *, size=None, dev=None, nullio=false,
        write_back=true, readonly=false, sparse=true, wwn=None, cfgstring=None,
        model_alias=true))]
    #[allow(clippy::too_many_arguments)]
    fn create_storage_object(
        &self,
        plugin_name: &str,
        name: &str,
        size: Option<u64>,
        dev: Option<String>,
        nullio: bool,
        write_back: bool,
        readonly: bool,
        sparse: bool,
        wwn: Option<String>,
        cfgstring: Option<String>,
        model_alias: bool,
    ) -> PyResult<StorageObject> {
        let p = plugin(plugin_name)?;
        let need_dev = || {
            dev.clone().ok_or_else(|| {
                invalid("dev", "", &format!("a {plugin_name} object needs dev=PATH"))
            })
        };
        let need_size = || {
            size.ok_or_else(|| {
                invalid(
                    "size",
                    "",
                    &format!("a {plugin_name} object needs size=BYTES"),
                )
            })
        };
        let backend = match p {
            Plugin::Ramdisk => Backend::Ramdisk {
                wwn,
                size: need_size()?,
                nullio,
            },
            Plugin::Fileio => {
                let dev = std::path::absolute(need_dev()?)
                    .map_err(|e| invalid("dev", "", &e.to_string()))?
                    .display()
                    .to_string();
                targetcli::backstore::prepare_backing_file(&dev, size, sparse).py()?;
                let size = std::fs::metadata(&dev)
                    .ok()
                    .filter(|m| m.is_file())
                    .map(|m| m.len());
                Backend::Fileio {
                    wwn,
                    dev,
                    size,
                    write_back,
                    aio: false,
                }
            }
            Plugin::Block => Backend::Block {
                wwn,
                dev: need_dev()?,
                readonly,
                write_back: false,
            },
            Plugin::Pscsi => Backend::Pscsi { dev: need_dev()? },
            Plugin::User => Backend::User {
                wwn,
                size: need_size()?,
                config: Some(cfgstring.ok_or_else(|| {
                    invalid(
                        "cfgstring",
                        "",
                        "a user object needs cfgstring=HANDLER/CONFIG",
                    )
                })?),
                hw_max_sectors: None,
                control: None,
            },
        };
        let mut attributes = BTreeMap::new();
        if model_alias && p != Plugin::Pscsi {
            attributes.insert("emulate_model_alias".to_string(), attr_value("1"));
        }
        self.root
            .create_storage_object(&StorageObjectConfig {
                name: name.to_string(),
                attributes,
                alua_tpgs: vec![],
                backend,
            })
            .py()?;
        Ok(StorageObject {
            root: self.root.clone(),
            so: SoRef::new(p, name),
        })
    }

    /// Every target, fabric by fabric.
    fn targets(&self) -> Vec<Target> {
        self.root
            .loaded_fabrics()
            .into_iter()
            .flat_map(|f| self.root.targets_of_fabric(f))
            .map(|t| Target {
                root: self.root.clone(),
                target: t,
            })
            .collect()
    }

    /// One target by fabric and WWN.
    fn target(&self, fabric_name: &str, wwn: &str) -> PyResult<Target> {
        let f = fabric(fabric_name)?;
        let wwn = targetcli::wwn::normalize(f.wwn_types, wwn).py()?.0;
        let target = TargetRef { fabric: f, wwn };
        if !self.root.target_path(&target).is_dir() {
            return Err(py_err(Error::not_found(
                target.to_string(),
                "see Root.targets()",
            )));
        }
        Ok(Target {
            root: self.root.clone(),
            target,
        })
    }

    /// Creates a target (a WWN is generated when none is given). Unlike the
    /// shell's `create`, no TPG is made: call `create_tpg`.
    #[pyo3(signature = (fabric_name, wwn=None))]
    fn create_target(&self, fabric_name: &str, wwn: Option<&str>) -> PyResult<Target> {
        let target = self.root.create_target(fabric(fabric_name)?, wwn).py()?;
        Ok(Target {
            root: self.root.clone(),
            target,
        })
    }

    /// The open sessions, as dicts (tpg, node_wwn, alias, id, kind, state,
    /// connections).
    fn sessions(&self, py: Python<'_>) -> PyResult<Vec<PyObject>> {
        self.root
            .sessions()
            .py()?
            .into_iter()
            .map(|s| {
                let d = pyo3::types::PyDict::new(py);
                d.set_item("tpg", s.tpg.to_string())?;
                d.set_item("node_wwn", s.node_wwn)?;
                d.set_item("alias", s.alias)?;
                d.set_item("id", s.id)?;
                d.set_item("kind", s.kind)?;
                d.set_item("state", s.state)?;
                let conns = s
                    .connections
                    .into_iter()
                    .map(|c| {
                        let cd = pyo3::types::PyDict::new(py);
                        cd.set_item("cid", c.cid)?;
                        cd.set_item("state", c.state)?;
                        cd.set_item("address", c.address)?;
                        cd.set_item("transport", c.transport)?;
                        Ok(cd.into_any().unbind())
                    })
                    .collect::<PyResult<Vec<PyObject>>>()?;
                d.set_item("connections", conns)?;
                Ok(d.into_any().unbind())
            })
            .collect()
    }

    /// The configuration as saveconfig.json text (targetcli-fb's format).
    fn dump(&self) -> PyResult<String> {
        Ok(self.root.dump().py()?.to_json())
    }

    /// saveconfig: writes the configuration to `path` (default: the
    /// system's file, with rotating backups) and returns the path.
    #[pyo3(signature = (path=None, max_backups=savefile::MAX_BACKUP_FILES))]
    fn save(&self, path: Option<PathBuf>, max_backups: usize) -> PyResult<PathBuf> {
        let file = path.unwrap_or_else(savefile::default_save_file);
        self.root.save_to_file(&file, max_backups).py()?;
        Ok(file)
    }

    /// restoreconfig: applies a saveconfig.json file. `mode` is "add"
    /// (refuse objects that exist), "replace" (clear first) or "diff"
    /// (change only what differs); `target` and `storage_object` limit it.
    /// Returns {"created", "changed", "removed"}. A failing restore undoes
    /// what it did and raises.
    #[pyo3(signature = (path, mode="add", target=None, storage_object=None))]
    fn restore(
        &self,
        path: PathBuf,
        mode: &str,
        target: Option<String>,
        storage_object: Option<String>,
    ) -> PyResult<BTreeMap<&'static str, usize>> {
        let mode = match mode {
            "add" => RestoreMode::Add,
            "replace" => RestoreMode::Replace,
            "diff" => RestoreMode::Diff,
            other => return Err(invalid("mode", other, "use add, replace or diff")),
        };
        let config = savefile::load(&path).py()?;
        let scope = RestoreScope {
            target,
            storage_object,
        };
        let r = self.root.restore(&config, mode, &scope, &mut |_| {}).py()?;
        Ok(BTreeMap::from([
            ("created", r.created),
            ("changed", r.changed),
            ("removed", r.removed),
        ]))
    }

    /// clearconfig: removes every target and storage object.
    fn clear(&self) -> PyResult<()> {
        self.root.clear(true).py()
    }
}

/// A storage object.
#[pyclass(frozen, module = "targetcli_rs")]
struct StorageObject {
    root: LibRoot,
    so: SoRef,
}

impl StorageObject {
    fn dir(&self) -> PyResult<PathBuf> {
        self.root.storage_object(&self.so).py().map(|i| i.path)
    }
}

#[pymethods]
impl StorageObject {
    /// ramdisk, fileio, block, pscsi or user.
    #[getter]
    fn plugin(&self) -> &'static str {
        self.so.plugin.name()
    }

    /// Its name.
    #[getter]
    fn name(&self) -> String {
        self.so.name.clone()
    }

    /// "/backstores/<plugin>/<name>", as LUNs name it.
    #[getter]
    fn backstore_path(&self) -> String {
        self.so.backstore_path()
    }

    /// Its configfs directory.
    #[getter]
    fn path(&self) -> PyResult<PathBuf> {
        self.dir()
    }

    /// Size in bytes, when known.
    #[getter]
    fn size(&self) -> PyResult<Option<u64>> {
        Ok(self.root.storage_object(&self.so).py()?.size)
    }

    /// The backing file or device ("" for a ramdisk).
    #[getter]
    fn udev_path(&self) -> PyResult<String> {
        Ok(self.root.storage_object(&self.so).py()?.udev_path)
    }

    /// "activated" when a LUN exports it, else "deactivated".
    #[getter]
    fn status(&self) -> PyResult<String> {
        Ok(self.root.storage_object(&self.so).py()?.status)
    }

    /// Its T10 unit serial.
    #[getter]
    fn wwn(&self) -> PyResult<Option<String>> {
        let cfg = self.root.storage_object(&self.so).py()?.config;
        Ok(match cfg.backend {
            Backend::Ramdisk { wwn, .. }
            | Backend::Fileio { wwn, .. }
            | Backend::Block { wwn, .. }
            | Backend::User { wwn, .. } => wwn,
            Backend::Pscsi { .. } => None,
        })
    }

    /// Its attributes (attrib/), name to value.
    fn attributes(&self) -> PyResult<BTreeMap<String, String>> {
        Ok(read_settings(self.dir()?.join("attrib")))
    }

    /// Writes one attribute.
    fn set_attribute(&self, name: &str, value: &str) -> PyResult<()> {
        self.root.set_attribute(&self.dir()?, name, value).py()
    }

    /// The names of its ALUA target port groups.
    fn alua_groups(&self) -> PyResult<Vec<String>> {
        self.root.alua_groups(&self.so).py()
    }

    /// Creates an ALUA target port group with id `tag` (1 to 65535).
    fn create_alua_group(&self, name: &str, tag: u32) -> PyResult<()> {
        self.root.create_alua_group(&self.so, name, tag).py()
    }

    /// Deletes an ALUA group (not default_tg_pt_gp).
    fn delete_alua_group(&self, name: &str) -> PyResult<()> {
        self.root.delete_alua_group(&self.so, name).py()
    }

    /// The settings of an ALUA group, as targetcli-fb's `get alua` shows them.
    fn alua(&self, group: &str) -> PyResult<BTreeMap<String, String>> {
        let dir = self.root.alua_group_path(&self.so, group).py()?;
        Ok(targetcli::alua::group_settings()
            .into_iter()
            .filter_map(|n| Some((n.to_string(), targetcli::alua::read_setting(&dir, n)?)))
            .collect())
    }

    /// Writes one setting of an ALUA group (a number, e.g.
    /// alua_access_state=1).
    fn set_alua(&self, group: &str, name: &str, value: &str) -> PyResult<()> {
        let dir = self.root.alua_group_path(&self.so, group).py()?;
        self.root.set_alua_setting(&dir, name, value).py()
    }

    /// Deletes it; with `force`, the LUNs that export it first.
    #[pyo3(signature = (force=false))]
    fn delete(&self, force: bool) -> PyResult<()> {
        self.root.delete_storage_object(&self.so, force).py()
    }

    fn __repr__(&self) -> String {
        format!("StorageObject({:?})", self.so.backstore_path())
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.so == other.so && self.root.path() == other.root.path()
    }
}

/// A target.
#[pyclass(frozen, module = "targetcli_rs")]
struct Target {
    root: LibRoot,
    target: TargetRef,
}

#[pymethods]
impl Target {
    /// Its fabric's name.
    #[getter]
    fn fabric(&self) -> &'static str {
        self.target.fabric.name
    }

    /// Its WWN.
    #[getter]
    fn wwn(&self) -> String {
        self.target.wwn.clone()
    }

    /// Its TPGs.
    fn tpgs(&self) -> Vec<Tpg> {
        self.root
            .tpgs_of(&self.target)
            .into_iter()
            .map(|tpg| Tpg {
                root: self.root.clone(),
                tpg,
            })
            .collect()
    }

    /// Creates a TPG (the lowest free tag when none is given). It starts
    /// disabled with the kernel's defaults; see `Tpg.enable`.
    #[pyo3(signature = (tag=None))]
    fn create_tpg(&self, tag: Option<u32>) -> PyResult<Tpg> {
        let tpg = self.root.create_tpg(&self.target, tag).py()?;
        Ok(Tpg {
            root: self.root.clone(),
            tpg,
        })
    }

    /// Deletes it with everything under it.
    fn delete(&self) -> PyResult<()> {
        self.root.delete_target(&self.target).py()
    }

    fn __repr__(&self) -> String {
        format!(
            "Target({:?}, {:?})",
            self.target.fabric.name, self.target.wwn
        )
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.target == other.target && self.root.path() == other.root.path()
    }
}

/// A target portal group.
#[pyclass(frozen, module = "targetcli_rs")]
struct Tpg {
    root: LibRoot,
    tpg: TpgRef,
}

impl Tpg {
    fn dir(&self) -> PyResult<PathBuf> {
        let dir = self.root.tpg_path(&self.tpg);
        if !dir.is_dir() {
            return Err(py_err(Error::not_found(
                format!("TPG {}", self.tpg),
                "see Target.tpgs()",
            )));
        }
        Ok(dir)
    }
}

#[pymethods]
impl Tpg {
    /// Its tag.
    #[getter]
    fn tag(&self) -> u32 {
        self.tpg.tag
    }

    /// Its target.
    #[getter]
    fn target(&self) -> Target {
        Target {
            root: self.root.clone(),
            target: self.tpg.target.clone(),
        }
    }

    /// Whether it is enabled.
    #[getter]
    fn enabled(&self) -> PyResult<bool> {
        Ok(cfs::read_opt(&self.dir()?.join("enable")).as_deref() == Some("1"))
    }

    /// Enables (or with `False`, disables) it.
    #[pyo3(signature = (on=true))]
    fn enable(&self, on: bool) -> PyResult<()> {
        self.root.set_tpg_enable(&self.tpg, on).py()
    }

    /// Its LUNs.
    fn luns(&self) -> PyResult<Vec<Lun>> {
        self.dir()?;
        Ok(self
            .root
            .lun_numbers(&self.tpg)
            .into_iter()
            .map(|index| Lun {
                root: self.root.clone(),
                tpg: self.tpg.clone(),
                index,
            })
            .collect())
    }

    /// Exports a storage object (a StorageObject or its
    /// "/backstores/<plugin>/<name>" path) as a LUN (the lowest free number
    /// when none is given).
    #[pyo3(signature = (storage_object, lun=None))]
    fn create_lun(&self, storage_object: &Bound<'_, PyAny>, lun: Option<u32>) -> PyResult<Lun> {
        let so = if let Ok(so) = storage_object.downcast::<StorageObject>() {
            so.get().so.clone()
        } else {
            let path: String = storage_object.extract()?;
            SoRef::from_backstore_path(&path).ok_or_else(|| {
                invalid(
                    "storage_object",
                    &path,
                    "write /backstores/<plugin>/<name>, e.g. /backstores/ramdisk/rd0",
                )
            })?
        };
        let index = self.root.create_lun(&self.tpg, lun, &so, None).py()?;
        Ok(Lun {
            root: self.root.clone(),
            tpg: self.tpg.clone(),
            index,
        })
    }

    /// Its node ACLs.
    fn acls(&self) -> PyResult<Vec<Acl>> {
        Ok(cfs::subdirs(&self.dir()?.join("acls"))
            .into_iter()
            .map(|wwn| Acl {
                root: self.root.clone(),
                tpg: self.tpg.clone(),
                wwn,
            })
            .collect())
    }

    /// Creates a node ACL for an initiator WWN (no LUNs mapped: see
    /// `Acl.create_mapped_lun`).
    fn create_acl(&self, wwn: &str) -> PyResult<Acl> {
        let wwn = self.root.create_acl(&self.tpg, wwn).py()?;
        Ok(Acl {
            root: self.root.clone(),
            tpg: self.tpg.clone(),
            wwn,
        })
    }

    /// Its network portals, as (ip_address, port).
    fn portals(&self) -> PyResult<Vec<(String, u16)>> {
        Ok(self
            .root
            .tpg(&self.tpg)
            .py()?
            .portals
            .into_iter()
            .map(|p| (p.ip_address, p.port))
            .collect())
    }

    /// Creates a network portal.
    #[pyo3(signature = (ip_address="0.0.0.0", port=3260))]
    fn create_portal(&self, ip_address: &str, port: u16) -> PyResult<(String, u16)> {
        let p = self.root.create_portal(&self.tpg, ip_address, port).py()?;
        Ok((p.ip_address, p.port))
    }

    /// Deletes a network portal.
    #[pyo3(signature = (ip_address, port=3260))]
    fn delete_portal(&self, ip_address: &str, port: u16) -> PyResult<()> {
        let ip = targetcli::target::canonical_ip(ip_address).py()?;
        self.root.delete_portal(&self.tpg, &ip, port).py()
    }

    /// Its attributes (attrib/), name to value.
    fn attributes(&self) -> PyResult<BTreeMap<String, String>> {
        Ok(read_settings(self.dir()?.join("attrib")))
    }

    /// Writes one attribute.
    fn set_attribute(&self, name: &str, value: &str) -> PyResult<()> {
        self.root.set_attribute(&self.dir()?, name, value).py()
    }

    /// Its parameters (param/), name to value.
    fn parameters(&self) -> PyResult<BTreeMap<String, String>> {
        Ok(read_settings(self.dir()?.join("param")))
    }

    /// Writes one parameter.
    fn set_parameter(&self, name: &str, value: &str) -> PyResult<()> {
        self.root.set_parameter(&self.dir()?, name, value).py()
    }

    /// Writes one auth setting (userid, password, userid_mutual,
    /// password_mutual); "" clears it.
    fn set_auth(&self, name: &str, value: &str) -> PyResult<()> {
        self.root.set_auth(&self.dir()?, name, value).py()
    }

    /// Deletes it with everything under it.
    fn delete(&self) -> PyResult<()> {
        self.root.delete_tpg(&self.tpg).py()
    }

    fn __repr__(&self) -> String {
        format!("Tpg({:?})", self.tpg.to_string())
    }
}

/// A LUN of a TPG.
#[pyclass(frozen, module = "targetcli_rs")]
struct Lun {
    root: LibRoot,
    tpg: TpgRef,
    index: u32,
}

#[pymethods]
impl Lun {
    /// Its number.
    #[getter]
    fn index(&self) -> u32 {
        self.index
    }

    /// The storage object it exports, as "/backstores/<plugin>/<name>".
    #[getter]
    fn storage_object(&self) -> PyResult<String> {
        self.root
            .tpg(&self.tpg)
            .py()?
            .luns
            .into_iter()
            .find(|l| l.index == self.index)
            .map(|l| l.storage_object)
            .ok_or_else(|| {
                py_err(Error::not_found(
                    format!("LUN {} of {}", self.index, self.tpg),
                    "see Tpg.luns()",
                ))
            })
    }

    /// Its ALUA target port group (None without ALUA support).
    #[getter]
    fn alua_group(&self) -> Option<String> {
        self.root.lun_alua_group(&self.tpg, self.index)
    }

    /// Moves it into an ALUA group of its storage object.
    fn set_alua_group(&self, group: &str) -> PyResult<()> {
        self.root
            .set_lun_alua_group(&self.tpg, self.index, group)
            .py()
    }

    /// Deletes it; with `force`, the mapped LUNs that use it first.
    #[pyo3(signature = (force=false))]
    fn delete(&self, force: bool) -> PyResult<()> {
        self.root.delete_lun(&self.tpg, self.index, force).py()
    }

    fn __repr__(&self) -> String {
        format!("Lun({:?}, {})", self.tpg.to_string(), self.index)
    }
}

/// A node ACL of a TPG.
#[pyclass(frozen, module = "targetcli_rs")]
struct Acl {
    root: LibRoot,
    tpg: TpgRef,
    wwn: String,
}

impl Acl {
    fn dir(&self) -> PyResult<PathBuf> {
        let dir = self.root.acl_path(&self.tpg, &self.wwn);
        if !dir.is_dir() {
            return Err(py_err(Error::not_found(
                format!("ACL {} in {}", self.wwn, self.tpg),
                "see Tpg.acls()",
            )));
        }
        Ok(dir)
    }
}

#[pymethods]
impl Acl {
    /// The initiator's WWN.
    #[getter]
    fn wwn(&self) -> String {
        self.wwn.clone()
    }

    /// Its mapped LUNs as (mapped LUN, TPG LUN, write_protect).
    fn mapped_luns(&self) -> PyResult<Vec<(u32, u32, bool)>> {
        self.dir()?;
        let cfg = self.root.tpg(&self.tpg).py()?;
        Ok(cfg
            .node_acls
            .into_iter()
            .find(|a| a.node_wwn == self.wwn)
            .map(|a| {
                a.mapped_luns
                    .into_iter()
                    .map(|m| (m.index, m.tpg_lun, m.write_protect))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Maps TPG LUN `tpg_lun` as LUN `mapped_lun` for this initiator.
    #[pyo3(signature = (mapped_lun, tpg_lun, write_protect=false))]
    fn create_mapped_lun(
        &self,
        mapped_lun: u32,
        tpg_lun: u32,
        write_protect: bool,
    ) -> PyResult<()> {
        self.root
            .create_mapped_lun(
                &self.tpg,
                &self.wwn,
                mapped_lun,
                tpg_lun,
                write_protect,
                None,
            )
            .py()
    }

    /// Removes a mapped LUN.
    fn delete_mapped_lun(&self, mapped_lun: u32) -> PyResult<()> {
        self.root
            .delete_mapped_lun(&self.tpg, &self.wwn, mapped_lun)
            .py()
    }

    /// Its attributes (attrib/), name to value.
    fn attributes(&self) -> PyResult<BTreeMap<String, String>> {
        Ok(read_settings(self.dir()?.join("attrib")))
    }

    /// Writes one attribute.
    fn set_attribute(&self, name: &str, value: &str) -> PyResult<()> {
        self.root.set_attribute(&self.dir()?, name, value).py()
    }

    /// Writes one auth setting (userid, password, userid_mutual,
    /// password_mutual); "" clears it.
    fn set_auth(&self, name: &str, value: &str) -> PyResult<()> {
        self.root.set_auth(&self.dir()?, name, value).py()
    }

    /// Deletes it with its mapped LUNs.
    fn delete(&self) -> PyResult<()> {
        self.root.delete_acl(&self.tpg, &self.wwn).py()
    }

    fn __repr__(&self) -> String {
        format!("Acl({:?}, {:?})", self.tpg.to_string(), self.wwn)
    }
}

/// The module.
#[pymodule]
fn targetcli_rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "DEFAULT_SAVE_FILE",
        savefile::default_save_file().display().to_string(),
    )?;
    m.add_class::<Root>()?;
    m.add_class::<StorageObject>()?;
    m.add_class::<Target>()?;
    m.add_class::<Tpg>()?;
    m.add_class::<Lun>()?;
    m.add_class::<Acl>()?;
    m.add("TargetcliError", py.get_type::<TargetcliError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("ExistsError", py.get_type::<ExistsError>())?;
    m.add("InUseError", py.get_type::<InUseError>())?;
    m.add("InvalidError", py.get_type::<InvalidError>())?;
    m.add("KernelError", py.get_type::<KernelError>())?;
    Ok(())
}
