//! `Root`: a configfs target tree, and what works on all of it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;

use targetcli::config::{attr_value, Backend, Plugin, StorageObjectConfig};
use targetcli::restore::{RestoreMode, RestoreScope};
use targetcli::{savefile, Error, Root as LibRoot, SoRef, TargetRef};

use crate::errors::{fabric, invalid, plugin, py_err, IntoPy};
use crate::objects::{StorageObject, Target};

/// A configfs target tree.
#[pyclass(frozen, module = "targetcli_rs")]
pub(crate) struct Root {
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
