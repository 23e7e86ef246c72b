//! The handles: `StorageObject`, `Target`, `Tpg`, `Lun` and `Acl`. Each
//! holds the tree and a reference; every read goes to the live tree.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;

use targetcli::cfs;
use targetcli::config::Backend;
use targetcli::{Error, Root as LibRoot, SoRef, TargetRef, TpgRef};

use crate::errors::{invalid, py_err, read_settings, IntoPy};

/// A storage object.
#[pyclass(frozen, module = "targetcli_rs")]
pub(crate) struct StorageObject {
    pub(crate) root: LibRoot,
    pub(crate) so: SoRef,
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
pub(crate) struct Target {
    pub(crate) root: LibRoot,
    pub(crate) target: TargetRef,
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
pub(crate) struct Tpg {
    pub(crate) root: LibRoot,
    pub(crate) tpg: TpgRef,
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
pub(crate) struct Lun {
    pub(crate) root: LibRoot,
    pub(crate) tpg: TpgRef,
    pub(crate) index: u32,
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
pub(crate) struct Acl {
    pub(crate) root: LibRoot,
    pub(crate) tpg: TpgRef,
    pub(crate) wwn: String,
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
