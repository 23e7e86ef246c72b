//! The handle on one target configfs tree, and the references that name
//! objects in it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cfs;
use crate::config::Plugin;
use crate::error::{Error, Result};
use crate::fabric::Fabric;

/// Where LIO (and tcm-rs) put their tree.
pub const DEFAULT_ROOT: &str = "/sys/kernel/config/target";

/// A target configfs tree. Every operation reads or writes the tree
/// directly: there is no cache to go stale.
#[derive(Debug, Clone)]
pub struct Root {
    path: PathBuf,
    load_modules: bool,
}

/// Names a storage object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SoRef {
    /// Its plugin.
    pub plugin: Plugin,
    /// Its name.
    pub name: String,
}

impl SoRef {
    /// A reference to `plugin/name`.
    pub fn new(plugin: Plugin, name: impl Into<String>) -> SoRef {
        SoRef {
            plugin,
            name: name.into(),
        }
    }

    /// Parses "/backstores/<plugin>/<name>" (as saved in LUNs).
    pub fn from_backstore_path(s: &str) -> Option<SoRef> {
        let rest = s.trim_end_matches('/').strip_prefix("/backstores/")?;
        let (plugin, name) = rest.split_once('/')?;
        let plugin = plugin.split(':').next()?;
        if name.is_empty() || name.contains('/') {
            return None;
        }
        Some(SoRef::new(Plugin::from_name(plugin)?, name))
    }

    /// "/backstores/<plugin>/<name>".
    pub fn backstore_path(&self) -> String {
        format!("/backstores/{}/{}", self.plugin.name(), self.name)
    }
}

impl std::fmt::Display for SoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "storage object {}/{}", self.plugin.name(), self.name)
    }
}

/// Names a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TargetRef {
    /// Its fabric.
    pub fabric: &'static Fabric,
    /// Its canonical WWN.
    pub wwn: String,
}

impl std::fmt::Display for TargetRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "target {}/{}", self.fabric.name, self.wwn)
    }
}

/// Names a target portal group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TpgRef {
    /// Its target.
    pub target: TargetRef,
    /// Its tag.
    pub tag: u32,
}

impl TpgRef {
    /// TPG `tag` of target `wwn` of `fabric`.
    pub fn new(fabric: &'static Fabric, wwn: impl Into<String>, tag: u32) -> TpgRef {
        TpgRef {
            target: TargetRef {
                fabric,
                wwn: wwn.into(),
            },
            tag,
        }
    }
}

impl std::fmt::Display for TpgRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/tpg{}",
            self.target.fabric.name, self.target.wwn, self.tag
        )
    }
}

impl Root {
    /// The tree at `path`, which must exist. Kernel modules are never
    /// loaded for a tree opened this way (it may be a test copy).
    pub fn open(path: impl Into<PathBuf>) -> Result<Root> {
        let path = path.into();
        if !path.is_dir() {
            return Err(Error::NoConfigfs {
                hint: "give the path of a target configfs tree".into(),
                path,
            });
        }
        Ok(Root {
            path,
            load_modules: false,
        })
    }

    /// The system's tree, mounting configfs and loading the target core
    /// (`modprobe target_core_mod`) when it is not there yet.
    pub fn open_system() -> Result<Root> {
        let path = PathBuf::from(DEFAULT_ROOT);
        if !path.is_dir() {
            let configfs = Path::new("/sys/kernel/config");
            if !configfs.join("target").exists() && std::fs::read_dir(configfs).is_ok() {
                let _ = modprobe("target_core_mod");
            }
            if !configfs.is_dir() || !path.is_dir() {
                let _ = Command::new("mount")
                    .args(["-t", "configfs", "configfs", "/sys/kernel/config"])
                    .status();
                let _ = modprobe("target_core_mod");
            }
        }
        if !path.is_dir() {
            return Err(Error::NoConfigfs {
                path,
                hint: "load the target core (modprobe target_core_mod, or tcm_rs_core) and \
                       mount configfs (mount -t configfs configfs /sys/kernel/config), as root"
                    .into(),
            });
        }
        Ok(Root {
            path,
            load_modules: true,
        })
    }

    /// Whether this handle loads kernel modules when needed (the system
    /// tree does, a tree opened by path does not).
    pub fn may_load_modules(&self) -> bool {
        self.load_modules
    }

    /// The root directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// core/, where the HBAs and storage objects live.
    pub fn core(&self) -> PathBuf {
        self.path.join("core")
    }

    /// The fabric's directory (it may not exist yet).
    pub fn fabric_path(&self, fabric: &Fabric) -> PathBuf {
        self.path.join(fabric.dir)
    }

    /// The fabric directories present, in rtslib-fb's fabric order.
    pub fn loaded_fabrics(&self) -> Vec<&'static Fabric> {
        crate::fabric::FABRICS
            .iter()
            .filter(|f| self.fabric_path(f).is_dir())
            .collect()
    }

    /// Makes the fabric's directory, loading its module if the kernel does
    /// not do it by itself.
    pub fn ensure_fabric(&self, fabric: &Fabric) -> Result<PathBuf> {
        let p = self.fabric_path(fabric);
        if p.is_dir() {
            return Ok(p);
        }
        match cfs::mkdir(&p) {
            Ok(()) => Ok(p),
            Err(first) => {
                if self.load_modules && modprobe(&Core::detect().fabric_module(fabric)).is_ok() {
                    if p.is_dir() {
                        return Ok(p);
                    }
                    cfs::mkdir(&p)?;
                    return Ok(p);
                }
                Err(match first {
                    Error::Io { source, path, .. } => Error::Io {
                        op: "create fabric directory (is its kernel module available?)",
                        path,
                        source,
                    },
                    other => other,
                })
            }
        }
    }

    /// The target's directory.
    pub fn target_path(&self, t: &TargetRef) -> PathBuf {
        self.fabric_path(t.fabric)
            .join(t.fabric.to_dir_name(&t.wwn))
    }

    /// The TPG's directory.
    pub fn tpg_path(&self, tpg: &TpgRef) -> PathBuf {
        self.target_path(&tpg.target)
            .join(format!("tpgt_{}", tpg.tag))
    }

    /// The directory of a TPG's LUN.
    pub fn lun_path(&self, tpg: &TpgRef, lun: u32) -> PathBuf {
        self.tpg_path(tpg).join("lun").join(format!("lun_{lun}"))
    }

    /// The directory of an ACL.
    pub fn acl_path(&self, tpg: &TpgRef, node_wwn: &str) -> PathBuf {
        self.tpg_path(tpg)
            .join("acls")
            .join(tpg.target.fabric.to_dir_name(node_wwn))
    }

    /// The dbroot the kernel uses for APTPL and ALUA metadata.
    pub fn dbroot(&self) -> Option<String> {
        cfs::read_opt(&self.path.join("dbroot"))
    }
}

/// Which kernel implements the target core. Both serve the same tree,
/// but their modules have other names, and one of LIO's modules cannot
/// load next to tcm-rs (its target_core_mod finds `target` taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Core {
    /// In-tree LIO (target_core_mod).
    Lio,
    /// tcm-rs (tcm_rs_core).
    TcmRs,
}

impl Core {
    /// The core loaded now: tcm-rs when tcm_rs_core is, else LIO.
    pub fn detect() -> Core {
        if Path::new("/sys/module/tcm_rs_core").is_dir() {
            Core::TcmRs
        } else {
            Core::Lio
        }
    }

    /// The module that provides `fabric`. tcm-rs's modules carry the alias
    /// `tcm_rs_fabric_<directory>`, which its core asks for itself.
    pub fn fabric_module(self, fabric: &Fabric) -> String {
        match self {
            Core::Lio => fabric.module.to_string(),
            Core::TcmRs => format!("tcm_rs_fabric_{}", fabric.dir),
        }
    }

    /// The module that provides the backstore `plugin`, if one must be
    /// loaded by hand (LIO's ramdisk is part of target_core_mod). tcm-rs's
    /// carry the alias `tcm_rs_backstore_<HBA prefix>`.
    pub fn backstore_module(self, plugin: Plugin) -> Option<String> {
        match self {
            Core::Lio => match plugin {
                Plugin::Ramdisk => None,
                Plugin::Fileio => Some("target_core_file".into()),
                Plugin::Block => Some("target_core_iblock".into()),
                Plugin::Pscsi => Some("target_core_pscsi".into()),
                Plugin::User => Some("target_core_user".into()),
            },
            Core::TcmRs => Some(format!("tcm_rs_backstore_{}", plugin.hba_prefix())),
        }
    }
}

/// Runs modprobe for `module`.
pub fn modprobe(module: &str) -> Result<()> {
    let out = Command::new("modprobe")
        .arg(module)
        .output()
        .map_err(|e| Error::Modprobe {
            module: module.into(),
            detail: e.to_string(),
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Modprobe {
            module: module.into(),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_named_for_the_core() {
        let loopback = Fabric::by_name("loopback").unwrap();
        let fc = Fabric::by_name("tcm_fc").unwrap();
        assert_eq!(Core::Lio.fabric_module(loopback), "tcm_loop");
        assert_eq!(
            Core::TcmRs.fabric_module(loopback),
            "tcm_rs_fabric_loopback"
        );
        // tcm-rs's core asks for the module by the directory's name.
        assert_eq!(Core::TcmRs.fabric_module(fc), "tcm_rs_fabric_fc");
        assert_eq!(Core::Lio.backstore_module(Plugin::Ramdisk), None);
        assert_eq!(
            Core::Lio.backstore_module(Plugin::Block).as_deref(),
            Some("target_core_iblock")
        );
        assert_eq!(
            Core::TcmRs.backstore_module(Plugin::Ramdisk).as_deref(),
            Some("tcm_rs_backstore_rd_mcp")
        );
        assert_eq!(
            Core::TcmRs.backstore_module(Plugin::Block).as_deref(),
            Some("tcm_rs_backstore_iblock")
        );
        assert_eq!(
            Core::TcmRs.backstore_module(Plugin::Pscsi).as_deref(),
            Some("tcm_rs_backstore_pscsi")
        );
    }

    #[test]
    fn backstore_paths_parse() {
        let r = SoRef::from_backstore_path("/backstores/ramdisk/rd0").unwrap();
        assert_eq!(r, SoRef::new(Plugin::Ramdisk, "rd0"));
        assert_eq!(r.backstore_path(), "/backstores/ramdisk/rd0");
        assert_eq!(
            SoRef::from_backstore_path("/backstores/user:rbd/x")
                .unwrap()
                .plugin,
            Plugin::User
        );
        assert_eq!(
            SoRef::from_backstore_path("/backstores/iblock/b")
                .unwrap()
                .plugin,
            Plugin::Block
        );
        assert!(SoRef::from_backstore_path("/backstores/ramdisk").is_none());
        assert!(SoRef::from_backstore_path("/backstores/floppy/a").is_none());
        assert!(SoRef::from_backstore_path("/iscsi/x").is_none());
    }

    #[test]
    fn open_refuses_a_missing_tree() {
        let e = Root::open("/nonexistent/target").unwrap_err().to_string();
        assert!(e.contains("no target configfs tree"), "{e}");
    }
}
