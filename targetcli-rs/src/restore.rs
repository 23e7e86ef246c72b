//! Restoring a saveconfig.json: checking the file as a whole first, then
//! bringing the live tree to it step by step with a journal, so that a
//! failed step undoes everything this restore created or changed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::cfs;
use crate::config::{
    attr_text, Attributes, Backend, SaveConfig, StorageObjectConfig, TargetConfig, TpgConfig,
};
use crate::error::{Error, Result};
use crate::fabric::Fabric;
use crate::root::{Root, SoRef, TargetRef, TpgRef};

/// How a file meets what is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreMode {
    /// targetcli-fb's default: add what the file has; refuse if an object
    /// in it exists already.
    Add,
    /// `clear_existing=true`: remove everything, then restore.
    Replace,
    /// Converge: create, change and remove only what differs.
    Diff,
}

/// What to restore.
#[derive(Debug, Clone, Default)]
pub struct RestoreScope {
    /// Only this target (by WWN).
    pub target: Option<String>,
    /// Only this storage object (by name).
    pub storage_object: Option<String>,
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreReport {
    /// Objects created.
    pub created: usize,
    /// Settings changed on existing objects.
    pub changed: usize,
    /// Objects removed.
    pub removed: usize,
}

enum Undo {
    Dir(PathBuf),
    So(SoRef),
    Target(TargetRef),
    Tpg(TpgRef),
    Lun(TpgRef, u32),
    MappedLun(TpgRef, String, u32),
    Write(PathBuf, String),
}

struct Run<'a> {
    root: &'a Root,
    /// Where each storage object is, listed once and kept up to date by
    /// the run (finding one by name means a look through every HBA).
    so_paths: HashMap<SoRef, PathBuf>,
    journal: Vec<Undo>,
    removed: Vec<String>,
    report: RestoreReport,
    progress: &'a mut dyn FnMut(&str),
}

impl Run<'_> {
    fn step<T>(&mut self, what: String, f: impl FnOnce(&Root) -> Result<T>) -> Result<T> {
        (self.progress)(&what);
        f(self.root).map_err(|e| {
            let rolled_back = self.rollback();
            Error::Restore {
                step: what,
                source: Box::new(e),
                rolled_back,
                removed: std::mem::take(&mut self.removed),
            }
        })
    }

    /// Runs a step that makes an object, journaling `undo` to remove it.
    fn create<T>(
        &mut self,
        what: String,
        undo: Undo,
        f: impl FnOnce(&Root) -> Result<T>,
    ) -> Result<T> {
        let made = self.step(what, f)?;
        self.journal.push(undo);
        self.report.created += 1;
        Ok(made)
    }

    /// Writes a setting file unless it already has the value, journaling
    /// the old value.
    fn set(&mut self, what: &str, file: PathBuf, name: &str, value: String) -> Result<()> {
        let old = cfs::read_opt(&file);
        if old.as_deref() == Some(value.trim_end()) {
            return Ok(());
        }
        self.step(format!("set {name}={value} on {what}"), |_| {
            cfs::write_named(&file, name, &value, "")
        })?;
        if let Some(old) = old {
            self.journal.push(Undo::Write(file, old));
        }
        self.report.changed += 1;
        Ok(())
    }

    fn rollback(&mut self) -> usize {
        let n = self.journal.len();
        while let Some(u) = self.journal.pop() {
            let r = self.root;
            let _ = match u {
                Undo::Dir(p) => cfs::rmdir(&p),
                Undo::So(s) => r.delete_storage_object(&s, true),
                Undo::Target(t) => r.delete_target(&t),
                Undo::Tpg(t) => r.delete_tpg(&t),
                Undo::Lun(t, l) => r.delete_lun(&t, l, true),
                Undo::MappedLun(t, a, m) => r.delete_mapped_lun(&t, &a, m),
                Undo::Write(p, v) => cfs::write(&p, &v),
            };
        }
        n
    }
}

/// Checks a configuration for what can be found wrong before touching the
/// kernel: unknown fabrics, bad WWNs, duplicates, LUNs naming storage
/// objects that will not exist, mapped LUNs naming missing TPG LUNs.
pub fn validate(config: &SaveConfig, live_sos: &HashSet<SoRef>) -> Result<()> {
    let bad = |reason: String| Error::Usage(format!("the configuration is not valid: {reason}"));
    let mut sos = HashSet::new();
    for so in &config.storage_objects {
        let r = SoRef::new(so.backend.plugin(), so.name.clone());
        if !sos.insert(r.clone()) {
            return Err(bad(format!("{r} appears twice")));
        }
    }
    let mut targets = HashSet::new();
    for t in &config.targets {
        let fabric = Fabric::by_name(&t.fabric).ok_or_else(|| {
            bad(format!(
                "target {} has unknown fabric {:?}",
                t.wwn, t.fabric
            ))
        })?;
        crate::wwn::normalize(fabric.wwn_types, &t.wwn)
            .map_err(|e| bad(format!("target {}: {e}", t.wwn)))?;
        if !targets.insert((fabric.name, t.wwn.clone())) {
            return Err(bad(format!("target {} appears twice", t.wwn)));
        }
        if !fabric.tpgts && t.tpgs.len() > 1 {
            return Err(bad(format!(
                "{} target {} has several TPGs",
                fabric.name, t.wwn
            )));
        }
        let mut tags = HashSet::new();
        for tpg in &t.tpgs {
            if !tags.insert(tpg.tag) {
                return Err(bad(format!("target {} has TPG {} twice", t.wwn, tpg.tag)));
            }
            let mut luns = HashSet::new();
            for lun in &tpg.luns {
                let so = SoRef::from_backstore_path(&lun.storage_object).ok_or_else(|| {
                    bad(format!(
                        "LUN {} of {}: bad storage_object {:?}",
                        lun.index, t.wwn, lun.storage_object
                    ))
                })?;
                if !sos.contains(&so) && !live_sos.contains(&so) {
                    return Err(bad(format!(
                        "LUN {} of {} uses {}, which is neither in the file nor live",
                        lun.index, t.wwn, lun.storage_object
                    )));
                }
                if !luns.insert(lun.index) {
                    return Err(bad(format!(
                        "target {} TPG {} has LUN {} twice",
                        t.wwn, tpg.tag, lun.index
                    )));
                }
            }
            for acl in &tpg.node_acls {
                for m in &acl.mapped_luns {
                    if !luns.contains(&m.tpg_lun) {
                        return Err(bad(format!(
                            "ACL {} of {} maps TPG LUN {}, which the TPG does not have",
                            acl.node_wwn, t.wwn, m.tpg_lun
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

/// The settings of a storage object that only re-creating it can change.
fn identity(b: &Backend) -> Backend {
    match b.clone() {
        // The size of a block device is not the file's business.
        Backend::Fileio {
            wwn,
            dev,
            size,
            aio,
            ..
        } => Backend::Fileio {
            wwn,
            size: if Path::new(&dev).is_file() {
                size
            } else {
                None
            },
            dev,
            write_back: false,
            aio,
        },
        Backend::Block {
            wwn, dev, readonly, ..
        } => Backend::Block {
            wwn,
            dev,
            readonly,
            write_back: false,
        },
        Backend::User {
            wwn, size, config, ..
        } => Backend::User {
            wwn,
            size,
            config,
            hw_max_sectors: None,
            control: None,
        },
        other => other,
    }
}

fn same_so(live: &StorageObjectConfig, want: &StorageObjectConfig) -> bool {
    // A file without a unit serial accepts whatever the live one has.
    let mut want_id = identity(&want.backend);
    let live_id = identity(&live.backend);
    if want.backend.wwn().is_none() {
        let w = live.backend.wwn().map(str::to_string);
        match &mut want_id {
            Backend::Ramdisk { wwn, .. }
            | Backend::Fileio { wwn, .. }
            | Backend::Block { wwn, .. }
            | Backend::User { wwn, .. } => *wwn = w,
            Backend::Pscsi { .. } => {}
        }
    }
    live_id == want_id
}

impl Root {
    /// Removes every target and storage object (and the fabric-wide
    /// discovery settings). Needs `confirm`, as targetcli-fb does.
    pub fn clear(&self, confirm: bool) -> Result<()> {
        if !confirm {
            return Err(Error::Usage(
                "clearconfig removes every target and storage object: repeat with confirm=true"
                    .into(),
            ));
        }
        for fabric in self.loaded_fabrics() {
            for t in self.targets_of_fabric(fabric) {
                self.delete_target(&t)?;
            }
            if fabric.discovery_auth {
                let d = self.fabric_path(fabric).join("discovery_auth");
                for f in ["password_mutual", "userid_mutual", "password", "userid"] {
                    if d.join(f).is_file() {
                        cfs::write(&d.join(f), "NULL")?;
                    }
                }
                if d.join("enforce_discovery_auth").is_file() {
                    cfs::write(&d.join("enforce_discovery_auth"), "0")?;
                }
            }
        }
        for so in self.storage_objects()? {
            self.delete_storage_object(&so.so_ref(), true)?;
        }
        // HBAs left without storage objects.
        for hba in cfs::subdirs(&self.core()) {
            if hba.contains('_') && cfs::subdirs(&self.core().join(&hba)).is_empty() {
                let _ = cfs::rmdir(&self.core().join(hba));
            }
        }
        Ok(())
    }

    /// Restores `config` onto the live tree. `progress` is told each step
    /// before it runs. On failure the steps already done are undone (except
    /// removals, which the error lists) and the error names the step.
    pub fn restore(
        &self,
        config: &SaveConfig,
        mode: RestoreMode,
        scope: &RestoreScope,
        progress: &mut dyn FnMut(&str),
    ) -> Result<RestoreReport> {
        let config = scoped(config, scope);
        let live_sos: Vec<StorageObjectConfig> = self
            .storage_objects()?
            .into_iter()
            .map(|s| s.config)
            .collect();
        let live_refs: HashSet<SoRef> = live_sos
            .iter()
            .map(|s| SoRef::new(s.backend.plugin(), s.name.clone()))
            .collect();
        let nothing_live = HashSet::new();
        validate(
            &config,
            if mode == RestoreMode::Replace {
                &nothing_live
            } else {
                &live_refs
            },
        )?;
        let live_targets = self.targets()?;

        if mode == RestoreMode::Add {
            for so in &config.storage_objects {
                if live_refs.contains(&SoRef::new(so.backend.plugin(), so.name.clone())) {
                    return Err(Error::exists(
                        format!("storage object {}/{}", so.backend.plugin().name(), so.name),
                        "not restoring: use clear_existing=true to replace everything, or diff=true to apply only the differences",
                    ));
                }
            }
            for t in &config.targets {
                if live_targets.iter().any(|l| l.wwn == t.wwn) {
                    return Err(Error::exists(
                        format!("target {}", t.wwn),
                        "not restoring: use clear_existing=true to replace everything, or diff=true to apply only the differences",
                    ));
                }
            }
        }
        let mut run = Run {
            root: self,
            so_paths: HashMap::new(),
            journal: Vec::new(),
            removed: Vec::new(),
            report: RestoreReport::default(),
            progress,
        };
        if mode == RestoreMode::Replace {
            if scope.target.is_none() && scope.storage_object.is_none() {
                run.step("clear the existing configuration".into(), |r| r.clear(true))?;
            } else {
                for t in live_targets
                    .iter()
                    .filter(|t| Some(&t.wwn) == scope.target.as_ref())
                {
                    let tr = target_ref(t)?;
                    run.step(format!("remove {tr}"), |r| r.delete_target(&tr))?;
                }
                for so in live_sos
                    .iter()
                    .filter(|s| Some(&s.name) == scope.storage_object.as_ref())
                {
                    let r0 = SoRef::new(so.backend.plugin(), so.name.clone());
                    run.step(format!("remove {r0}"), |r| {
                        r.delete_storage_object(&r0, true)
                    })?;
                }
            }
        }
        let live_sos = if mode == RestoreMode::Replace {
            self.storage_objects()?
                .into_iter()
                .map(|s| s.config)
                .collect()
        } else {
            live_sos
        };
        let live_targets = if mode == RestoreMode::Replace {
            self.targets()?
        } else {
            live_targets
        };

        if mode == RestoreMode::Diff {
            run.remove_extra(&config, &live_sos, &live_targets)?;
        }
        run.apply_storage_objects(&config.storage_objects)?;
        for fm in &config.fabric_modules {
            run.apply_fabric_module(fm)?;
        }
        for t in &config.targets {
            run.apply_target(t)?;
        }
        Ok(run.report)
    }
}

fn target_ref(t: &TargetConfig) -> Result<TargetRef> {
    let fabric = Fabric::by_name(&t.fabric)
        .ok_or_else(|| Error::invalid("fabric", &t.fabric, "not a known fabric"))?;
    Ok(TargetRef {
        fabric,
        wwn: crate::wwn::normalize(fabric.wwn_types, &t.wwn)?.0,
    })
}

fn scoped(config: &SaveConfig, scope: &RestoreScope) -> SaveConfig {
    if scope.target.is_none() && scope.storage_object.is_none() {
        return config.clone();
    }
    SaveConfig {
        fabric_modules: Vec::new(),
        storage_objects: config
            .storage_objects
            .iter()
            .filter(|s| Some(&s.name) == scope.storage_object.as_ref())
            .cloned()
            .collect(),
        targets: config
            .targets
            .iter()
            .filter(|t| Some(&t.wwn) == scope.target.as_ref())
            .cloned()
            .collect(),
    }
}

impl Run<'_> {
    fn remove(&mut self, what: String, f: impl FnOnce(&Root) -> Result<()>) -> Result<()> {
        self.step(format!("remove {what}"), f)?;
        self.removed.push(what);
        self.report.removed += 1;
        Ok(())
    }

    /// Diff mode: removes what the file does not have, and storage objects
    /// whose identity (device, size, serial) differs (they are re-created).
    fn remove_extra(
        &mut self,
        config: &SaveConfig,
        live_sos: &[StorageObjectConfig],
        live_targets: &[TargetConfig],
    ) -> Result<()> {
        for lt in live_targets {
            let tr = target_ref(lt)?;
            let Some(want) = config
                .targets
                .iter()
                .find(|t| t.fabric == lt.fabric && t.wwn == lt.wwn)
            else {
                self.remove(tr.to_string(), |r| r.delete_target(&tr))?;
                continue;
            };
            for ltpg in &lt.tpgs {
                let tpg = TpgRef {
                    target: tr.clone(),
                    tag: ltpg.tag,
                };
                let Some(wtpg) = want.tpgs.iter().find(|w| w.tag == ltpg.tag) else {
                    self.remove(format!("TPG {tpg}"), |r| r.delete_tpg(&tpg))?;
                    continue;
                };
                for acl in &ltpg.node_acls {
                    let wacl = wtpg.node_acls.iter().find(|w| w.node_wwn == acl.node_wwn);
                    for m in &acl.mapped_luns {
                        let keep = wacl.is_some_and(|w| {
                            w.mapped_luns
                                .iter()
                                .any(|wm| wm.index == m.index && wm.tpg_lun == m.tpg_lun)
                        });
                        if !keep && wacl.is_some() {
                            self.remove(
                                format!("mapped LUN {} of ACL {} in {tpg}", m.index, acl.node_wwn),
                                |r| r.delete_mapped_lun(&tpg, &acl.node_wwn, m.index),
                            )?;
                        }
                    }
                    if wacl.is_none() {
                        self.remove(format!("ACL {} in {tpg}", acl.node_wwn), |r| {
                            r.delete_acl(&tpg, &acl.node_wwn)
                        })?;
                    }
                }
                for lun in &ltpg.luns {
                    let so_changes =
                        SoRef::from_backstore_path(&lun.storage_object).is_some_and(|so| {
                            let live = live_sos
                                .iter()
                                .find(|l| l.backend.plugin() == so.plugin && l.name == so.name);
                            let want = config
                                .storage_objects
                                .iter()
                                .find(|w| w.backend.plugin() == so.plugin && w.name == so.name);
                            matches!((live, want), (Some(l), Some(w)) if !same_so(l, w))
                        });
                    let keep = !so_changes
                        && wtpg.luns.iter().any(|w| {
                            w.index == lun.index && w.storage_object == lun.storage_object
                        });
                    if !keep {
                        self.remove(format!("LUN {} in {tpg}", lun.index), |r| {
                            r.delete_lun(&tpg, lun.index, true)
                        })?;
                    }
                }
                for p in &ltpg.portals {
                    if !wtpg
                        .portals
                        .iter()
                        .any(|w| w.ip_address == p.ip_address && w.port == p.port)
                    {
                        self.remove(
                            format!("portal {}:{} in {tpg}", p.ip_address, p.port),
                            |r| r.delete_portal(&tpg, &p.ip_address, p.port),
                        )?;
                    }
                }
            }
        }
        for so in live_sos {
            let r0 = SoRef::new(so.backend.plugin(), so.name.clone());
            let want = config
                .storage_objects
                .iter()
                .find(|w| w.backend.plugin() == r0.plugin && w.name == so.name);
            if !want.is_some_and(|w| same_so(so, w)) {
                self.remove(r0.to_string(), |r| r.delete_storage_object(&r0, true))?;
            }
        }
        Ok(())
    }

    fn set_attrs(&mut self, what: &str, node: &Path, attrs: &Attributes) -> Result<()> {
        for (name, v) in attrs {
            crate::backstore::check_setting_name("attribute", name)?;
            self.set(what, node.join("attrib").join(name), name, attr_text(v))?;
        }
        Ok(())
    }

    fn set_params(
        &mut self,
        what: &str,
        node: &Path,
        params: &BTreeMap<String, String>,
    ) -> Result<()> {
        for (name, v) in params {
            crate::backstore::check_setting_name("parameter", name)?;
            self.set(what, node.join("param").join(name), name, v.clone())?;
        }
        Ok(())
    }

    fn set_chap(&mut self, what: &str, node: &Path, chap: &crate::config::Chap) -> Result<()> {
        for (file, v) in crate::config::CHAP_FILES.iter().zip(chap.values()) {
            let f = node.join("auth").join(file);
            if !f.is_file() {
                continue;
            }
            let want = v
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "NULL".into());
            let cur = cfs::read_opt(&f).unwrap_or_default();
            let cur = if cur.is_empty() {
                "NULL".to_string()
            } else {
                cur
            };
            if cur != want {
                self.set(what, f, file, want)?;
            }
        }
        Ok(())
    }

    fn apply_storage_objects(&mut self, sos: &[StorageObjectConfig]) -> Result<()> {
        self.so_paths = self
            .root
            .storage_object_dirs()
            .into_iter()
            .map(|(plugin, name, path)| (SoRef::new(plugin, name), path))
            .collect();
        for so in sos {
            let r0 = SoRef::new(so.backend.plugin(), so.name.clone());
            match self.so_paths.get(&r0).cloned() {
                None => {
                    let path = self.create(format!("create {r0}"), Undo::So(r0.clone()), |r| {
                        r.create_new_storage_object(so)
                    })?;
                    self.so_paths.insert(r0, path);
                }
                Some(path) => {
                    let what = r0.to_string();
                    self.set_attrs(&what, &path, &so.attributes)?;
                    for g in so.alua_tpgs.iter().filter(|g| g.name != "default_tg_pt_gp") {
                        let dir = path.join("alua").join(&g.name);
                        if !dir.is_dir() {
                            self.step(format!("create ALUA group {} of {what}", g.name), |_| {
                                crate::alua::make_group(&path, &g.name, g.tg_pt_gp_id)
                            })?;
                            self.journal.push(Undo::Dir(dir.clone()));
                        }
                        for name in crate::config::ALUA_SETTINGS {
                            let v = g.setting(name).unwrap_or(0).to_string();
                            // The kernel shows status and type as text:
                            // compare as the file has them, rtslib-fb's
                            // numbers, or a diff restore never converges.
                            if crate::alua::read_setting(&dir, name).as_deref() == Some(&v) {
                                continue;
                            }
                            self.set(&what, dir.join(name), name, v)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn apply_fabric_module(&mut self, fm: &crate::config::FabricModuleConfig) -> Result<()> {
        let Some(fabric) = Fabric::by_name(&fm.name) else {
            return Ok(());
        };
        let dir = self.step(format!("load fabric {}", fabric.name), |r| {
            r.ensure_fabric(fabric)
        })?;
        let d = dir.join("discovery_auth");
        let vals = [
            ("userid", &fm.discovery_userid),
            ("password", &fm.discovery_password),
            ("userid_mutual", &fm.discovery_mutual_userid),
            ("password_mutual", &fm.discovery_mutual_password),
        ];
        for (file, v) in vals {
            let want = v
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "NULL".into());
            if cfs::read_opt(&d.join(file)).as_deref() != Some(want.as_str()) {
                self.set(fabric.name, d.join(file), file, want)?;
            }
        }
        let en = if fm.discovery_enable_auth { "1" } else { "0" };
        self.set(
            fabric.name,
            d.join("enforce_discovery_auth"),
            "enforce_discovery_auth",
            en.into(),
        )
    }

    fn apply_target(&mut self, t: &TargetConfig) -> Result<()> {
        let tr = target_ref(t)?;
        if !self.root.target_path(&tr).is_dir() {
            self.create(format!("create {tr}"), Undo::Target(tr.clone()), |r| {
                r.create_target(tr.fabric, Some(&tr.wwn))
            })?;
        }
        let dir = self.root.target_path(&tr);
        self.set_attrs(&tr.to_string(), &dir, &t.attributes)?;
        self.set_params(&tr.to_string(), &dir, &t.parameters)?;
        for tpg in &t.tpgs {
            self.apply_tpg(&tr, tpg)?;
        }
        Ok(())
    }

    fn apply_tpg(&mut self, tr: &TargetRef, want: &TpgConfig) -> Result<()> {
        let tpg = TpgRef {
            target: tr.clone(),
            tag: want.tag,
        };
        let what = format!("TPG {tpg}");
        let dir = self.root.tpg_path(&tpg);
        if !dir.is_dir() {
            self.create(format!("create {what}"), Undo::Tpg(tpg.clone()), |r| {
                r.create_tpg(tr, Some(want.tag))
            })?;
        }
        self.set_attrs(&what, &dir, &want.attributes)?;
        self.set_params(&what, &dir, &want.parameters)?;
        if tr.fabric.auth {
            self.set_chap(&what, &dir, &want.chap)?;
        }
        let live_luns = self.root.lun_numbers(&tpg);
        for lun in &want.luns {
            if !live_luns.contains(&lun.index) {
                let so = SoRef::from_backstore_path(&lun.storage_object).ok_or_else(|| {
                    Error::invalid(
                        "storage_object",
                        &lun.storage_object,
                        "expected /backstores/<plugin>/<name>",
                    )
                })?;
                let known = self.so_paths.get(&so).cloned();
                self.create(
                    format!("create LUN {} in {tpg}", lun.index),
                    Undo::Lun(tpg.clone(), lun.index),
                    |r| match known {
                        Some(path) => {
                            r.create_lun_at(&tpg, Some(lun.index), &path, lun.alias.as_deref())
                        }
                        None => r.create_lun(&tpg, Some(lun.index), &so, lun.alias.as_deref()),
                    },
                )?;
            }
            if let Some(g) = &lun.alua_tg_pt_gp_name {
                self.step(
                    format!("set ALUA group of LUN {} in {tpg}", lun.index),
                    |r| r.set_lun_alua_group(&tpg, lun.index, g),
                )?;
            }
        }
        for p in &want.portals {
            let np = dir.join("np").join(format!("{}:{}", p.ip_address, p.port));
            if !np.is_dir() {
                self.create(
                    format!("create portal {}:{} in {tpg}", p.ip_address, p.port),
                    Undo::Dir(np),
                    |r| r.create_portal(&tpg, &p.ip_address, p.port),
                )?;
            }
            self.step(
                format!("set portal flags of {}:{}", p.ip_address, p.port),
                |r| r.set_portal_flags(&tpg, p),
            )?;
        }
        for acl in &want.node_acls {
            let adir = self.root.acl_path(&tpg, &acl.node_wwn);
            let awhat = format!("ACL {} in {tpg}", acl.node_wwn);
            if !adir.is_dir() {
                self.create(format!("create {awhat}"), Undo::Dir(adir.clone()), |r| {
                    r.create_acl(&tpg, &acl.node_wwn)
                })?;
            }
            self.set_attrs(&awhat, &adir, &acl.attributes)?;
            self.set_params(&awhat, &adir, &acl.parameters)?;
            if tr.fabric.auth {
                self.set_chap(&awhat, &adir, &acl.chap)?;
            }
            if let Some(tag) = &acl.tag {
                self.set(&awhat, adir.join("tag"), "tag", tag.clone())?;
            }
            for m in &acl.mapped_luns {
                let mdir = adir.join(format!("lun_{}", m.index));
                if !mdir.is_dir() {
                    self.create(
                        format!("map LUN {} as {} for {awhat}", m.tpg_lun, m.index),
                        Undo::MappedLun(tpg.clone(), acl.node_wwn.clone(), m.index),
                        |r| {
                            r.create_mapped_lun(
                                &tpg,
                                &acl.node_wwn,
                                m.index,
                                m.tpg_lun,
                                m.write_protect,
                                m.alias.as_deref(),
                            )
                        },
                    )?;
                } else {
                    let wp = if m.write_protect { "1" } else { "0" };
                    self.set(
                        &awhat,
                        mdir.join("write_protect"),
                        "write_protect",
                        wp.into(),
                    )?;
                }
            }
        }
        // Enabled last, once it has its LUNs and portals.
        let en = dir.join("enable");
        if en.is_file() {
            self.set(
                &what,
                en,
                "enable",
                if want.enable { "1" } else { "0" }.into(),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_restore_of_the_live_tree_changes_nothing() {
        let (d, sh) = crate::test_tree::shell();
        // An ALUA group as LIO shows it: status and type as text.
        let g = d.path().join("core/rd_mcp_0/rd0/alua/ao");
        std::fs::create_dir_all(&g).unwrap();
        for name in crate::config::ALUA_SETTINGS {
            std::fs::write(g.join(name), "0").unwrap();
        }
        std::fs::write(g.join("tg_pt_gp_id"), "2").unwrap();
        std::fs::write(g.join("alua_access_status"), "None").unwrap();
        std::fs::write(g.join("alua_access_type"), "Implicit and Explicit").unwrap();
        let root = sh.root();
        let live = root.dump().unwrap();
        assert_eq!(live.storage_objects[0].alua_tpgs[0].alua_access_type, 3);
        let r = root
            .restore(
                &live,
                RestoreMode::Diff,
                &RestoreScope::default(),
                &mut |_| {},
            )
            .unwrap();
        assert_eq!((r.created, r.changed, r.removed), (0, 0, 0));
    }

    fn cfg(text: &str) -> SaveConfig {
        SaveConfig::from_json(text).unwrap()
    }

    #[test]
    fn validation_catches_dangling_references() {
        let c = cfg(
            r#"{"targets":[{"fabric":"loopback","wwn":"naa.5001405000000001","tpgs":[{"tag":1,
            "luns":[{"index":0,"storage_object":"/backstores/ramdisk/missing"}]}]}]}"#,
        );
        let e = validate(&c, &HashSet::new()).unwrap_err().to_string();
        assert!(
            e.contains("ramdisk/missing") && e.contains("neither in the file nor live"),
            "{e}"
        );
        // The same file is fine when the object is live.
        let live: HashSet<SoRef> = [SoRef::new(crate::config::Plugin::Ramdisk, "missing")].into();
        validate(&c, &live).unwrap();
    }

    #[test]
    fn validation_catches_bad_fabrics_wwns_and_mappings() {
        let cases = [
            (
                r#"{"targets":[{"fabric":"floppy","wwn":"x","tpgs":[]}]}"#,
                "unknown fabric",
            ),
            (
                r#"{"targets":[{"fabric":"loopback","wwn":"iqn.2003-01.a.b","tpgs":[]}]}"#,
                "expected naa",
            ),
            (
                r#"{"targets":[{"fabric":"loopback","wwn":"naa.5001405000000001","tpgs":[{"tag":1},{"tag":2}]}]}"#,
                "several TPGs",
            ),
            (
                r#"{"targets":[{"fabric":"iscsi","wwn":"iqn.2003-01.a.b:c","tpgs":[{"tag":1,
                "node_acls":[{"node_wwn":"iqn.1994-05.c.d:e","mapped_luns":[{"index":0,"tpg_lun":4}]}]}]}]}"#,
                "TPG LUN 4",
            ),
            (
                r#"{"storage_objects":[{"name":"a","plugin":"ramdisk","size":1},{"name":"a","plugin":"ramdisk","size":2}]}"#,
                "appears twice",
            ),
        ];
        for (text, want) in cases {
            let e = validate(&cfg(text), &HashSet::new())
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{want}: {e}");
        }
    }

    #[test]
    fn identity_ignores_tunables_but_not_size_or_serial() {
        let so = |size: u64, wwn: Option<&str>| StorageObjectConfig {
            name: "a".into(),
            attributes: Attributes::new(),
            alua_tpgs: vec![],
            backend: Backend::Ramdisk {
                wwn: wwn.map(Into::into),
                size,
                nullio: false,
            },
        };
        assert!(same_so(&so(4096, Some("x")), &so(4096, Some("x"))));
        assert!(same_so(&so(4096, Some("x")), &so(4096, None)));
        assert!(!same_so(&so(4096, Some("x")), &so(8192, Some("x"))));
        assert!(!same_so(&so(4096, Some("x")), &so(4096, Some("y"))));
    }

    #[test]
    fn scope_keeps_only_the_named_objects() {
        let c = cfg(
            r#"{"storage_objects":[{"name":"a","plugin":"ramdisk","size":1},{"name":"b","plugin":"ramdisk","size":1}],
            "targets":[{"fabric":"loopback","wwn":"naa.5001405000000001","tpgs":[]}]}"#,
        );
        let s = scoped(
            &c,
            &RestoreScope {
                target: None,
                storage_object: Some("b".into()),
            },
        );
        assert_eq!(s.storage_objects.len(), 1);
        assert_eq!(s.storage_objects[0].name, "b");
        assert!(s.targets.is_empty());
    }
}
