//! Targets and what hangs under them: TPGs, LUNs, network portals, ACLs
//! and mapped LUNs. Reading, creating (in the order the kernel needs) and
//! removing (dependants first).

use std::path::{Path, PathBuf};

use crate::backstore::{check_setting_name, read_attr_map};
use crate::cfs;
use crate::config::{
    Chap, LunConfig, MappedLunConfig, NodeAclConfig, PortalConfig, TargetConfig, TpgConfig,
    CHAP_FILES,
};
use crate::error::{Error, Result};
use crate::fabric::{Fabric, NON_TARGET_DIRS};
use crate::root::{Root, SoRef, TargetRef, TpgRef};
use crate::wwn;

/// LUN numbers a TPG accepts.
pub const MAX_LUN: u32 = 65535;
/// Mapped LUN numbers an ACL accepts.
pub const MAX_MAPPED_LUN: u32 = 255;

fn number_suffix(name: &str, prefix: &str) -> Option<u32> {
    name.strip_prefix(prefix)?.parse().ok()
}

fn read_chap(dir: &Path) -> Chap {
    Chap::from_values(
        CHAP_FILES.map(|f| {
            cfs::read_opt(&dir.join("auth").join(f)).filter(|v| !v.is_empty() && v != "NULL")
        }),
    )
}

fn read_params(dir: &Path) -> std::collections::BTreeMap<String, String> {
    cfs::rw_files(dir)
        .into_iter()
        .filter_map(|n| Some((n.clone(), cfs::read_opt(&dir.join(n))?)))
        .collect()
}

/// A short random link name, as rtslib-fb makes them.
fn new_alias() -> String {
    let u = wwn::uuid4();
    u[u.len() - 10..].to_string()
}

fn check_alias(alias: &str) -> Result<()> {
    if alias.is_empty() || alias.contains('/') || alias.starts_with('.') {
        return Err(Error::invalid("alias", alias, "a link name without '/'"));
    }
    Ok(())
}

impl Root {
    /// The targets of one fabric, in the kernel's order.
    pub fn targets_of_fabric(&self, fabric: &'static Fabric) -> Vec<TargetRef> {
        cfs::subdirs(&self.fabric_path(fabric))
            .into_iter()
            .filter(|d| !NON_TARGET_DIRS.contains(&d.as_str()))
            .map(|d| TargetRef {
                fabric,
                wwn: fabric.from_dir_name(&d),
            })
            .collect()
    }

    /// The TPGs of every target of a fabric.
    pub fn tpgs_of_fabric(&self, fabric: &'static Fabric) -> Vec<TpgRef> {
        self.targets_of_fabric(fabric)
            .into_iter()
            .flat_map(|t| self.tpgs_of(&t))
            .collect()
    }

    /// The TPGs of a target.
    pub fn tpgs_of(&self, t: &TargetRef) -> Vec<TpgRef> {
        cfs::subdirs(&self.target_path(t))
            .into_iter()
            .filter_map(|d| number_suffix(&d, "tpgt_"))
            .map(|tag| TpgRef {
                target: t.clone(),
                tag,
            })
            .collect()
    }

    /// LUN numbers of a TPG, in the kernel's order.
    pub fn lun_numbers(&self, tpg: &TpgRef) -> Vec<u32> {
        let mut luns: Vec<u32> = cfs::subdirs(&self.tpg_path(tpg).join("lun"))
            .into_iter()
            .filter_map(|d| number_suffix(&d, "lun_"))
            .collect();
        luns.sort_unstable();
        luns
    }

    /// Every target with its whole configuration.
    pub fn targets(&self) -> Result<Vec<TargetConfig>> {
        let mut out = Vec::new();
        for fabric in self.loaded_fabrics() {
            for t in self.targets_of_fabric(fabric) {
                out.push(self.target(&t)?);
            }
        }
        Ok(out)
    }

    /// One target with its whole configuration.
    pub fn target(&self, t: &TargetRef) -> Result<TargetConfig> {
        if !self.target_path(t).is_dir() {
            return Err(Error::not_found(
                t.to_string(),
                format!("see `ls /{}`", t.fabric.name),
            ));
        }
        let tpgs = self
            .tpgs_of(t)
            .iter()
            .map(|tpg| self.tpg(tpg))
            .collect::<Result<_>>()?;
        let dir = self.target_path(t);
        Ok(TargetConfig {
            fabric: t.fabric.name.to_string(),
            wwn: t.wwn.clone(),
            attributes: read_attr_map(&dir.join("attrib")),
            parameters: read_params(&dir.join("param")),
            tpgs,
        })
    }

    /// One TPG with its whole configuration.
    pub fn tpg(&self, tpg: &TpgRef) -> Result<TpgConfig> {
        let dir = self.tpg_path(tpg);
        let fabric = tpg.target.fabric;
        let mut luns = Vec::new();
        for n in self.lun_numbers(tpg) {
            luns.push(self.read_lun(tpg, n)?);
        }
        let portals = if fabric.nps {
            cfs::subdirs(&dir.join("np"))
                .into_iter()
                .filter_map(|np| {
                    let (ip, port) = np.rsplit_once(':')?;
                    let p = dir.join("np").join(&np);
                    let flag = |f: &str| cfs::read_opt(&p.join(f)).is_some_and(|v| v != "0");
                    Some(PortalConfig {
                        ip_address: ip.to_string(),
                        port: port.parse().ok()?,
                        iser: flag("iser"),
                        offload: flag("cxgbit"),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let node_acls = if fabric.acls {
            cfs::subdirs(&dir.join("acls"))
                .into_iter()
                .map(|d| self.read_acl(tpg, &d))
                .collect()
        } else {
            Vec::new()
        };
        Ok(TpgConfig {
            tag: tpg.tag,
            enable: cfs::read_opt(&dir.join("enable")).is_none_or(|v| v != "0"),
            attributes: read_attr_map(&dir.join("attrib")),
            parameters: read_params(&dir.join("param")),
            luns,
            portals,
            node_acls,
            chap: if fabric.auth {
                read_chap(&dir)
            } else {
                Chap::default()
            },
        })
    }

    fn read_lun(&self, tpg: &TpgRef, n: u32) -> Result<LunConfig> {
        let dir = self.lun_path(tpg, n);
        let (so, alias) = self.lun_storage_object(tpg, n).ok_or_else(|| {
            Error::not_found(
                format!("storage object link of LUN {n} in {tpg}"),
                "the LUN is broken: delete it and create it again",
            )
        })?;
        Ok(LunConfig {
            index: n,
            storage_object: so.backstore_path(),
            alias: Some(alias),
            alua_tg_pt_gp_name: crate::alua::group_of_lun(&dir),
        })
    }

    /// The storage object a TPG's LUN exports and the name of its link,
    /// from the link alone (its last two components, `<hba>/<name>`, as
    /// configfs writes it; no walk of the path); None for a LUN without a
    /// link to a storage object.
    pub fn lun_storage_object(&self, tpg: &TpgRef, n: u32) -> Option<(SoRef, String)> {
        let dir = self.lun_path(tpg, n);
        let alias = cfs::links(&dir).into_iter().next()?;
        let so = std::fs::read_link(dir.join(&alias)).ok()?;
        let name = so.file_name()?.to_str()?.to_string();
        let hba = so.parent()?.file_name()?.to_str()?.to_string();
        let plugin = crate::config::Plugin::from_name(hba.rsplit_once('_')?.0)?;
        Some((SoRef::new(plugin, name), alias))
    }

    /// The LUN of a TPG that exports `so`, whose directory is `so_dir`
    /// ([`Root::existing_storage_object`]), if one does.
    ///
    /// configfs has no link from a storage object back to its LUNs, but
    /// both cores list them: `statistics/scsi_dev/ports` counts them, and
    /// each ALUA port group's `members` names its LUNs,
    /// `<fabric>/<wwn>/tpgt_<n>/lun_<m>` (the fabric and WWN as the fabric
    /// module names them, which need not be the directories' names). A LUN
    /// of this TPG's tag named there is checked by its own link: a dozen
    /// system calls, whatever the size of the TPG. Where the groups do not
    /// list every port (a device whose ALUA is passed through, as
    /// pscsi's), every LUN link of the TPG is read, six calls a LUN.
    pub fn lun_exporting(&self, tpg: &TpgRef, so: &SoRef, so_dir: &Path) -> Option<u32> {
        let ports = self.storage_object_ports(so_dir);
        if ports == Some(0) {
            return None;
        }
        let exports = |n: u32| {
            self.lun_storage_object(tpg, n)
                .is_some_and(|(s, _)| &s == so)
        };
        let (listed, members) = self.alua_members(so_dir);
        let named_here = members.iter().filter(|(tag, _)| *tag == tpg.tag);
        if let Some(n) = named_here.map(|(_, n)| *n).find(|n| exports(*n)) {
            return Some(n);
        }
        if ports == Some(listed) {
            return None;
        }
        self.lun_numbers(tpg).into_iter().find(|n| exports(*n))
    }

    /// What the ALUA port groups of the storage object at `so_dir` list
    /// as their members: how many lines, and the TPG tag and LUN number
    /// of each that names one (see [`Root::lun_exporting`]).
    pub fn alua_members(&self, so_dir: &Path) -> (usize, Vec<(u32, u32)>) {
        let alua = so_dir.join("alua");
        let mut listed = 0;
        let mut ports = Vec::new();
        for group in cfs::subdirs(&alua) {
            let members = cfs::read_opt(&alua.join(group).join("members")).unwrap_or_default();
            let (count, named) = member_ports(&members);
            listed += count;
            ports.extend(named);
        }
        (listed, ports)
    }

    /// The ACLs of a TPG, as their initiator WWNs, in the kernel's order.
    pub fn acl_names(&self, tpg: &TpgRef) -> Vec<String> {
        cfs::subdirs(&self.tpg_path(tpg).join("acls"))
            .iter()
            .map(|d| tpg.target.fabric.from_dir_name(d))
            .collect()
    }

    /// The mapped LUN numbers in use in an ACL: every lun_N directory,
    /// broken or not (none of them can be made again).
    pub fn mapped_lun_numbers(&self, tpg: &TpgRef, node_wwn: &str) -> Vec<u32> {
        cfs::subdirs(&self.acl_path(tpg, node_wwn))
            .iter()
            .filter_map(|d| number_suffix(d, "lun_"))
            .collect()
    }

    /// The mapped LUNs of the ACL at `acl_dir` that link to a TPG LUN:
    /// (mapped LUN, TPG LUN, directory, link name), in the kernel's order.
    pub fn mapped_lun_links(&self, acl_dir: &Path) -> Vec<(u32, u32, PathBuf, String)> {
        cfs::subdirs(acl_dir)
            .into_iter()
            .filter_map(|d| {
                let index = number_suffix(&d, "lun_")?;
                let (tpg_lun, mdir, alias) = self.mapped_lun_link(acl_dir, index)?;
                Some((index, tpg_lun, mdir, alias))
            })
            .collect()
    }

    /// Mapped LUN `index` of the ACL at `acl_dir`, if it links to a TPG
    /// LUN: (TPG LUN, directory, link name). The link's target is read as
    /// configfs writes it (a relative path ending in `lun/lun_N`), and
    /// checked to exist with one stat: resolving it to a canonical path
    /// took a system call for every component.
    pub fn mapped_lun_link(&self, acl_dir: &Path, index: u32) -> Option<(u32, PathBuf, String)> {
        let mdir = acl_dir.join(format!("lun_{index}"));
        let alias = cfs::links(&mdir).into_iter().next()?;
        let link = mdir.join(&alias);
        let target = std::fs::read_link(&link).ok()?;
        let tpg_lun = number_suffix(target.file_name()?.to_str()?, "lun_")?;
        link.is_dir().then_some((tpg_lun, mdir, alias))
    }

    fn read_acl(&self, tpg: &TpgRef, dirname: &str) -> NodeAclConfig {
        let fabric = tpg.target.fabric;
        let dir = self.tpg_path(tpg).join("acls").join(dirname);
        let mapped_luns = self
            .mapped_lun_links(&dir)
            .into_iter()
            .map(|(index, tpg_lun, mdir, alias)| MappedLunConfig {
                index,
                tpg_lun,
                write_protect: cfs::read_opt(&mdir.join("write_protect")).is_some_and(|v| v != "0"),
                alias: Some(alias),
            })
            .collect();
        NodeAclConfig {
            node_wwn: fabric.from_dir_name(dirname),
            attributes: read_attr_map(&dir.join("attrib")),
            parameters: read_params(&dir.join("param")),
            mapped_luns,
            tag: cfs::read_opt(&dir.join("tag")).filter(|t| !t.is_empty() && t != "NULL"),
            chap: if fabric.auth {
                read_chap(&dir)
            } else {
                Chap::default()
            },
        }
    }

    /// The nexus initiator WWN of a TPG of a fabric that has one.
    pub fn tpg_nexus(&self, tpg: &TpgRef) -> Option<String> {
        cfs::read_opt(&self.tpg_path(tpg).join("nexus")).filter(|n| !n.is_empty())
    }

    /// Creates a target. Without a WWN, one of the fabric's type is made.
    /// Returns the canonical WWN.
    pub fn create_target(&self, fabric: &'static Fabric, wwn: Option<&str>) -> Result<TargetRef> {
        let wwn = match wwn {
            Some(w) => {
                // Old rtslib versions wrote NAA names with a wrong prefix.
                let w = match w.strip_prefix("naa.6") {
                    Some(rest) => format!("naa.5{rest}"),
                    None => w.to_string(),
                };
                wwn::normalize(fabric.wwn_types, &w)?.0
            }
            None => wwn::generate(fabric.wwn_types[0]),
        };
        let t = TargetRef { fabric, wwn };
        self.ensure_fabric(fabric)?;
        let path = self.target_path(&t);
        if path.exists() {
            return Err(Error::exists(
                t.to_string(),
                "choose another WWN, or delete it first",
            ));
        }
        cfs::mkdir(&path)?;
        Ok(t)
    }

    /// Removes a target and everything under it.
    pub fn delete_target(&self, t: &TargetRef) -> Result<()> {
        let path = self.target_path(t);
        if !path.is_dir() {
            return Err(Error::not_found(
                t.to_string(),
                format!("see `ls /{}`", t.fabric.name),
            ));
        }
        for tpg in self.tpgs_of(t) {
            self.delete_tpg(&tpg)?;
        }
        cfs::rmdir(&path)
    }

    /// Creates a TPG (the next free tag when none is given) and, for
    /// fabrics with a nexus, sets one. Returns its reference.
    pub fn create_tpg(&self, t: &TargetRef, tag: Option<u32>) -> Result<TpgRef> {
        if !self.target_path(t).is_dir() {
            return Err(Error::not_found(t.to_string(), "create the target first"));
        }
        let existing: Vec<u32> = self.tpgs_of(t).iter().map(|p| p.tag).collect();
        let tag = match tag {
            Some(tag) => tag,
            None => (1..).find(|n| !existing.contains(n)).unwrap_or(1),
        };
        let tpg = TpgRef {
            target: t.clone(),
            tag,
        };
        if existing.contains(&tag) {
            return Err(Error::exists(format!("TPG {tpg}"), "choose another tag"));
        }
        if !t.fabric.tpgts && !existing.is_empty() {
            return Err(Error::invalid(
                "TPG tag",
                tag.to_string(),
                format!("{} targets have a single TPG", t.fabric.name),
            ));
        }
        let dir = self.tpg_path(&tpg);
        cfs::mkdir(&dir)?;
        if t.fabric.nexus {
            let nexus = wwn::generate(t.fabric.wwn_types[0]);
            if let Err(e) = cfs::write_named(
                &dir.join("nexus"),
                "nexus",
                &t.fabric.to_dir_name(&nexus),
                "",
            ) {
                let _ = cfs::rmdir(&dir);
                return Err(e);
            }
        }
        Ok(tpg)
    }

    /// Enables or disables a TPG (no-op for fabrics without enable).
    pub fn set_tpg_enable(&self, tpg: &TpgRef, enable: bool) -> Result<()> {
        let f = self.tpg_path(tpg).join("enable");
        if !f.is_file() {
            return Ok(());
        }
        let want = if enable { "1" } else { "0" };
        if cfs::read_opt(&f).as_deref() == Some(want) {
            return Ok(());
        }
        cfs::write_named(
            &f,
            "enable",
            want,
            "an iSCSI TPG needs a portal or a free address to enable",
        )
    }

    /// Removes a TPG with its ACLs, LUNs and portals.
    pub fn delete_tpg(&self, tpg: &TpgRef) -> Result<()> {
        let dir = self.tpg_path(tpg);
        if !dir.is_dir() {
            return Err(Error::not_found(format!("TPG {tpg}"), ""));
        }
        self.set_tpg_enable(tpg, false)?;
        for acl in cfs::subdirs(&dir.join("acls")) {
            let wwn = tpg.target.fabric.from_dir_name(&acl);
            self.delete_acl(tpg, &wwn)?;
        }
        for lun in self.lun_numbers(tpg) {
            self.delete_lun(tpg, lun, true)?;
        }
        for np in cfs::subdirs(&dir.join("np")) {
            cfs::rmdir(&dir.join("np").join(np))?;
        }
        cfs::rmdir(&dir)
    }

    /// Creates a LUN exporting a storage object. Without a number, the
    /// first free one is used. Returns the LUN number.
    pub fn create_lun(
        &self,
        tpg: &TpgRef,
        lun: Option<u32>,
        so: &SoRef,
        alias: Option<&str>,
    ) -> Result<u32> {
        let so_path = self.existing_storage_object(so)?;
        self.create_lun_at(tpg, lun, &so_path, alias)
    }

    /// [`Root::create_lun`] for the storage object at `so_path`, for a
    /// caller that knows where it is (a restore): no look for it through
    /// every HBA.
    pub(crate) fn create_lun_at(
        &self,
        tpg: &TpgRef,
        lun: Option<u32>,
        so_path: &Path,
        alias: Option<&str>,
    ) -> Result<u32> {
        if !self.tpg_path(tpg).is_dir() {
            return Err(Error::not_found(
                format!("TPG {tpg}"),
                "create the target first",
            ));
        }
        let existing = self.lun_numbers(tpg);
        let lun = match lun {
            Some(n) if n > MAX_LUN => {
                return Err(Error::invalid(
                    "LUN",
                    n.to_string(),
                    format!("must be 0 to {MAX_LUN}"),
                ))
            }
            Some(n) => n,
            // `existing` is sorted: a search, not a scan, for each number.
            None => (0..=MAX_LUN)
                .find(|n| existing.binary_search(n).is_err())
                .ok_or_else(|| Error::invalid("LUN", "", "all LUN numbers are in use"))?,
        };
        if existing.binary_search(&lun).is_ok() {
            return Err(Error::exists(
                format!("LUN {lun} in {tpg}"),
                "choose another LUN number",
            ));
        }
        let alias = alias.map(str::to_string).unwrap_or_else(new_alias);
        check_alias(&alias)?;
        let dir = self.lun_path(tpg, lun);
        cfs::mkdir(&dir)?;
        if let Err(e) = cfs::symlink(so_path, &dir.join(&alias)) {
            let _ = cfs::rmdir(&dir);
            return Err(e);
        }
        Ok(lun)
    }

    /// Sets the ALUA group of a LUN.
    pub fn set_lun_alua_group(&self, tpg: &TpgRef, lun: u32, group: &str) -> Result<()> {
        let f = self.lun_path(tpg, lun).join("alua_tg_pt_gp");
        match self.lun_alua_group(tpg, lun) {
            Some(cur) if cur == group => Ok(()),
            Some(_) => cfs::write_named(
                &f,
                "alua_tg_pt_gp",
                group,
                "create the ALUA group on the storage object first",
            ),
            // The backend has no ALUA support: nothing to set.
            _ => Ok(()),
        }
    }

    /// The mapped LUNs (ACL, mapped LUN number) that use a TPG LUN.
    pub fn lun_users(&self, tpg: &TpgRef, lun: u32) -> Vec<(String, u32)> {
        let Some(want) = cfs::resolve(&self.lun_path(tpg, lun)) else {
            return Vec::new();
        };
        let acls = self.tpg_path(tpg).join("acls");
        let mut users = Vec::new();
        for acl in cfs::subdirs(&acls) {
            for m in cfs::subdirs(&acls.join(&acl)) {
                let Some(n) = number_suffix(&m, "lun_") else {
                    continue;
                };
                let mdir = acls.join(&acl).join(&m);
                if cfs::links(&mdir)
                    .iter()
                    .any(|l| cfs::resolve(&mdir.join(l)).as_deref() == Some(want.as_path()))
                {
                    users.push((tpg.target.fabric.from_dir_name(&acl), n));
                }
            }
        }
        users
    }

    /// Removes a LUN. Mapped LUNs that use it make this fail with
    /// [`Error::InUse`] unless `force` is set, which removes them first.
    pub fn delete_lun(&self, tpg: &TpgRef, lun: u32, force: bool) -> Result<()> {
        let dir = self.lun_path(tpg, lun);
        if !dir.is_dir() {
            return Err(Error::not_found(format!("LUN {lun} in {tpg}"), ""));
        }
        let users = self.lun_users(tpg, lun);
        if !users.is_empty() && !force {
            return Err(Error::InUse {
                what: format!("LUN {lun} of {tpg}"),
                users: users
                    .iter()
                    .map(|(acl, m)| format!("mapped LUN {m} of ACL {acl}"))
                    .collect(),
                hint: "delete those mapped LUNs first, or repeat with force=true".into(),
            });
        }
        for (acl, m) in users {
            self.delete_mapped_lun(tpg, &acl, m)?;
        }
        for l in cfs::links(&dir) {
            cfs::unlink(&dir.join(l))?;
        }
        cfs::rmdir(&dir)
    }

    /// Creates a network portal.
    pub fn create_portal(&self, tpg: &TpgRef, ip: &str, port: u16) -> Result<PortalConfig> {
        if !tpg.target.fabric.nps {
            return Err(Error::invalid(
                "portal",
                format!("{ip}:{port}"),
                format!("{} has no network portals", tpg.target.fabric.name),
            ));
        }
        let ip = canonical_ip(ip)?;
        let dir = self.tpg_path(tpg).join("np").join(format!("{ip}:{port}"));
        if dir.exists() {
            return Err(Error::exists(format!("portal {ip}:{port} in {tpg}"), ""));
        }
        cfs::mkdir(&dir)?;
        Ok(PortalConfig {
            ip_address: ip,
            port,
            iser: false,
            offload: false,
        })
    }

    /// Sets the iSER and offload flags of a portal (ignored where the
    /// kernel has no such file and the flag is off).
    pub fn set_portal_flags(&self, tpg: &TpgRef, p: &PortalConfig) -> Result<()> {
        let dir = self
            .tpg_path(tpg)
            .join("np")
            .join(format!("{}:{}", p.ip_address, p.port));
        for (file, on) in [("iser", p.iser), ("cxgbit", p.offload)] {
            let f = dir.join(file);
            let want = if on { "1" } else { "0" };
            match cfs::read_opt(&f) {
                Some(cur) if cur == want => {}
                Some(_) => cfs::write_named(&f, file, want, "")?,
                None if on => cfs::write_named(&f, file, want, "the kernel lacks this transport")?,
                None => {}
            }
        }
        Ok(())
    }

    /// Removes a network portal.
    pub fn delete_portal(&self, tpg: &TpgRef, ip: &str, port: u16) -> Result<()> {
        let ip = canonical_ip(ip)?;
        let dir = self.tpg_path(tpg).join("np").join(format!("{ip}:{port}"));
        if !dir.is_dir() {
            return Err(Error::not_found(format!("portal {ip}:{port} in {tpg}"), ""));
        }
        cfs::rmdir(&dir)
    }

    /// Creates an ACL for an initiator. Returns its canonical WWN.
    pub fn create_acl(&self, tpg: &TpgRef, node_wwn: &str) -> Result<String> {
        let fabric = tpg.target.fabric;
        if !fabric.acls {
            return Err(Error::invalid(
                "ACL",
                node_wwn,
                format!("{} has no initiator ACLs", fabric.name),
            ));
        }
        let (wwn, _) = wwn::normalize(fabric.wwn_types, node_wwn)?;
        let dir = self.acl_path(tpg, &wwn);
        if dir.exists() {
            return Err(Error::exists(format!("ACL {wwn} in {tpg}"), ""));
        }
        cfs::mkdir(&dir)?;
        Ok(wwn)
    }

    /// Removes an ACL with its mapped LUNs.
    pub fn delete_acl(&self, tpg: &TpgRef, node_wwn: &str) -> Result<()> {
        let dir = self.acl_path(tpg, node_wwn);
        if !dir.is_dir() {
            return Err(Error::not_found(format!("ACL {node_wwn} in {tpg}"), ""));
        }
        for m in cfs::subdirs(&dir) {
            if let Some(n) = number_suffix(&m, "lun_") {
                self.delete_mapped_lun(tpg, node_wwn, n)?;
            }
        }
        cfs::rmdir(&dir)
    }

    /// Maps TPG LUN `tpg_lun` as LUN `index` for an initiator.
    pub fn create_mapped_lun(
        &self,
        tpg: &TpgRef,
        node_wwn: &str,
        index: u32,
        tpg_lun: u32,
        write_protect: bool,
        alias: Option<&str>,
    ) -> Result<()> {
        if index > MAX_MAPPED_LUN {
            return Err(Error::invalid(
                "mapped LUN",
                index.to_string(),
                format!("must be 0 to {MAX_MAPPED_LUN}"),
            ));
        }
        let acl = self.acl_path(tpg, node_wwn);
        if !acl.is_dir() {
            return Err(Error::not_found(
                format!("ACL {node_wwn} in {tpg}"),
                "create the ACL first",
            ));
        }
        let lun_dir = self.lun_path(tpg, tpg_lun);
        if !lun_dir.is_dir() {
            return Err(Error::not_found(
                format!("LUN {tpg_lun} in {tpg}"),
                "create the LUN first",
            ));
        }
        let dir = acl.join(format!("lun_{index}"));
        if dir.exists() {
            return Err(Error::exists(
                format!("mapped LUN {index} of ACL {node_wwn}"),
                "",
            ));
        }
        let alias = alias.map(str::to_string).unwrap_or_else(new_alias);
        check_alias(&alias)?;
        cfs::mkdir(&dir)?;
        let result = cfs::symlink(&lun_dir, &dir.join(&alias)).and_then(|()| {
            let f = dir.join("write_protect");
            let want = if write_protect { "1" } else { "0" };
            if cfs::read_opt(&f).as_deref() != Some(want) {
                cfs::write_named(&f, "write_protect", want, "")?;
            }
            Ok(())
        });
        if result.is_err() {
            for l in cfs::links(&dir) {
                let _ = cfs::unlink(&dir.join(l));
            }
            let _ = cfs::rmdir(&dir);
        }
        result
    }

    /// Removes a mapped LUN.
    pub fn delete_mapped_lun(&self, tpg: &TpgRef, node_wwn: &str, index: u32) -> Result<()> {
        let dir = self.acl_path(tpg, node_wwn).join(format!("lun_{index}"));
        if !dir.is_dir() {
            return Err(Error::not_found(
                format!("mapped LUN {index} of ACL {node_wwn}"),
                "",
            ));
        }
        for l in cfs::links(&dir) {
            cfs::unlink(&dir.join(l))?;
        }
        cfs::rmdir(&dir)
    }

    /// Writes one parameter (param/<name>) of the object at `node`.
    pub fn set_parameter(&self, node: &Path, name: &str, value: &str) -> Result<()> {
        check_setting_name("parameter", name)?;
        cfs::write_named(
            &node.join("param").join(name),
            name,
            &format!("{value}\n"),
            "see `get parameter` for the names and current values",
        )
    }

    /// Writes one auth setting (auth/<name>) of the object at `node`; an
    /// empty value clears it, as targetcli-fb does (the kernel's "NULL").
    pub fn set_auth(&self, node: &Path, name: &str, value: &str) -> Result<()> {
        check_setting_name("auth setting", name)?;
        let value = value.trim();
        if value == "NULL" {
            return Err(Error::invalid(
                "auth value",
                value,
                "'NULL' is reserved; give an empty value to clear",
            ));
        }
        if value.len() > 255 {
            return Err(Error::invalid(
                "auth value",
                value,
                "at most 255 characters",
            ));
        }
        let v = if value.is_empty() { "NULL" } else { value };
        cfs::write_named(
            &node.join("auth").join(name),
            name,
            v,
            "see `get auth` for the names",
        )
    }

    /// Writes all four CHAP values of a TPG or ACL (unset ones cleared).
    pub fn set_chap(&self, node: &Path, chap: &Chap) -> Result<()> {
        for (file, value) in CHAP_FILES.iter().zip(chap.values()) {
            let cur = cfs::read_opt(&node.join("auth").join(file))
                .filter(|v| v != "NULL")
                .unwrap_or_default();
            let want = value.clone().unwrap_or_default();
            if cur != want {
                self.set_auth(node, file, &want)?;
            }
        }
        Ok(())
    }
}

/// rtslib-fb's portal naming: IPv4 as is, IPv6 in brackets.
pub fn canonical_ip(ip: &str) -> Result<String> {
    let bare = ip.trim_start_matches('[').trim_end_matches(']');
    if let Ok(v4) = bare.parse::<std::net::Ipv4Addr>() {
        return Ok(v4.to_string());
    }
    if bare.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok(format!("[{bare}]"));
    }
    Err(Error::invalid(
        "IP address",
        ip,
        "write an IPv4 or IPv6 address, e.g. 0.0.0.0 or ::0",
    ))
}

/// The lines of an ALUA port group's `members` (`<fabric>/<wwn>/tpgt_<n>/
/// lun_<m>`), counted, and the LUN numbers of those with TPG tag `tag`.
fn member_ports(members: &str) -> (usize, Vec<(u32, u32)>) {
    // LIO ends each line with a NUL as well as a newline.
    let lines = members
        .split('\n')
        .map(|m| m.trim_matches(|c: char| c.is_whitespace() || c == '\0'))
        .filter(|m| !m.is_empty());
    let mut count = 0;
    let mut ports = Vec::new();
    for member in lines {
        count += 1;
        let mut parts = member.rsplit('/');
        if let (Some(lun), Some(tpgt)) = (parts.next(), parts.next()) {
            if let (Some(tag), Some(n)) = (number_suffix(tpgt, "tpgt_"), number_suffix(lun, "lun_"))
            {
                ports.push((tag, n));
            }
        }
    }
    (count, ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_lines() {
        // LIO's text: each line ends in a newline and a NUL.
        let lio = "iSCSI/iqn.2003-01.org.x:t/tpgt_1/lun_3\n\0loopback/naa.5001405000000001/tpgt_2/lun_0\n\0";
        assert_eq!(member_ports(lio), (2, vec![(1, 3), (2, 0)]));
        // tcm-rs's: newlines only.
        let tcm = "loopback/naa.5001405000000001/tpgt_1/lun_0\nloopback/naa.5001405000000002/tpgt_1/lun_2\n";
        assert_eq!(member_ports(tcm), (2, vec![(1, 0), (1, 2)]));
        // A line naming no LUN counts, and names nothing.
        assert_eq!(member_ports("x/y/tpgt_1/lun_z\n"), (1, vec![]));
        assert_eq!(member_ports(""), (0, vec![]));
    }

    #[test]
    fn ips_are_canonical() {
        assert_eq!(canonical_ip("0.0.0.0").unwrap(), "0.0.0.0");
        assert_eq!(canonical_ip("::0").unwrap(), "[::0]");
        assert_eq!(canonical_ip("[fe80::1]").unwrap(), "[fe80::1]");
        assert!(canonical_ip("300.1.1.1").is_err());
        assert!(canonical_ip("host").is_err());
    }

    #[test]
    fn suffix_numbers() {
        assert_eq!(number_suffix("tpgt_3", "tpgt_"), Some(3));
        assert_eq!(number_suffix("lun_x", "lun_"), None);
        assert_eq!(number_suffix("fabric_statistics", "tpgt_"), None);
    }
}
