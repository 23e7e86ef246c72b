//! ALUA target port groups of a storage object (`core/<hba>/<so>/alua/<name>`)
//! and the group a LUN belongs to, with rtslib-fb's rules: ids 1 to 65535,
//! `default_tg_pt_gp` belongs to the kernel, settings are numbers.

use std::path::{Path, PathBuf};

use crate::cfs;
use crate::config::ALUA_SETTINGS;
use crate::error::{Error, Result};
use crate::root::{Root, SoRef, TpgRef};

/// The group the kernel makes for every storage object.
pub const DEFAULT_GROUP: &str = "default_tg_pt_gp";

/// Settings of a group that can be read but not written.
pub const ALUA_READ_ONLY: &[&str] = &["tg_pt_gp_id", "members", "alua_support_lba_dependent"];

/// Every setting of a group, as targetcli-fb lists them: the writable ones
/// ([`ALUA_SETTINGS`]), then [`ALUA_READ_ONLY`].
pub fn group_settings() -> Vec<&'static str> {
    ALUA_SETTINGS
        .iter()
        .chain(ALUA_READ_ONLY)
        .copied()
        .collect()
}

/// The names of `alua_access_state` values, as targetcli-fb shows them.
pub const STATE_NAMES: &[(i64, &str)] = &[
    (0, "Active/optimized"),
    (1, "Active/non-optimized"),
    (2, "Standby"),
    (3, "Unavailable"),
    (4, "LBA Dependent"),
    (14, "Offline"),
    (15, "Transitioning"),
];

/// rtslib-fb's numbers for `alua_access_status`, by the kernel's text.
pub(crate) const STATUSES: [&str; 3] = [
    "None",
    "Altered by Explicit STPG",
    "Altered by Implicit ALUA",
];
/// rtslib-fb's numbers for `alua_access_type`, by the kernel's text.
pub(crate) const TYPES: [&str; 4] = ["None", "Implicit", "Explicit", "Implicit and Explicit"];

/// Makes group `name` with id `id` under a storage object's directory;
/// removes it again if the id is refused.
pub(crate) fn make_group(so_path: &Path, name: &str, id: i64) -> Result<PathBuf> {
    if !(1..=65535).contains(&id) {
        return Err(Error::invalid(
            "ALUA group id",
            id.to_string(),
            "must be 1 to 65535",
        ));
    }
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(Error::invalid("ALUA group name", name, "not a file name"));
    }
    let dir = so_path.join("alua").join(name);
    cfs::mkdir(&dir)?;
    if let Err(e) = cfs::write_named(
        &dir.join("tg_pt_gp_id"),
        "tg_pt_gp_id",
        &id.to_string(),
        "the id must be unused among the object's groups",
    ) {
        let _ = cfs::rmdir(&dir);
        return Err(e);
    }
    Ok(dir)
}

/// The value of a setting as rtslib-fb reports it: status and type as
/// their numbers, members one a line, the rest as the kernel has them.
pub fn read_setting(group: &Path, name: &str) -> Option<String> {
    let raw = cfs::read_opt(&group.join(name))?;
    let index = |names: &[&str]| {
        names
            .iter()
            .position(|n| *n == raw)
            .map(|i| i.to_string())
            .unwrap_or_else(|| raw.clone())
    };
    Some(match name {
        "alua_access_status" => index(&STATUSES),
        "alua_access_type" => index(&TYPES),
        _ => raw.clone(),
    })
}

/// A group's `members` file as targetcli-fb shows it: rtslib-fb's list of
/// LUNs (`fabric/target/tpgt_N/lun_M` lines), printed as Python prints it.
pub fn members_display(raw: &str) -> String {
    let members: Vec<String> = raw
        .lines()
        .filter_map(|line| {
            let p: Vec<&str> = line.split('/').collect();
            let [driver, target, tpgt, lun] = p.as_slice() else {
                return None;
            };
            let num = |s: &str| s.split_once('_').and_then(|(_, n)| n.parse::<u64>().ok());
            Some(format!(
                "{{'driver': '{driver}', 'target': '{target}', 'tpgt': {}, 'lun': {}}}",
                num(tpgt)?,
                num(lun)?
            ))
        })
        .collect();
    format!("[{}]", members.join(", "))
}

/// The ALUA group named by the first line of a LUN's `alua_tg_pt_gp`
/// ("TG Port Alias: NAME").
pub(crate) fn group_of_lun(lun_dir: &Path) -> Option<String> {
    let info = cfs::read_opt(&lun_dir.join("alua_tg_pt_gp"))?;
    let first = info.lines().next()?;
    Some(first.split_once(':')?.1.trim().to_string()).filter(|s| !s.is_empty())
}

impl Root {
    fn so_dir(&self, so: &SoRef) -> Result<PathBuf> {
        self.storage_object_path(so).ok_or_else(|| {
            Error::not_found(
                so.to_string(),
                format!("see `ls /backstores/{}`", so.plugin.name()),
            )
        })
    }

    /// The names of a storage object's ALUA groups.
    pub fn alua_groups(&self, so: &SoRef) -> Result<Vec<String>> {
        Ok(cfs::subdirs(&self.so_dir(so)?.join("alua")))
    }

    /// The directory of one ALUA group.
    pub fn alua_group_path(&self, so: &SoRef, name: &str) -> Result<PathBuf> {
        let dir = self.so_dir(so)?.join("alua").join(name);
        if !dir.is_dir() {
            return Err(Error::not_found(
                format!("ALUA group {name} of {so}"),
                format!("see `ls /backstores/{}/{}/alua`", so.plugin.name(), so.name),
            ));
        }
        Ok(dir)
    }

    /// Makes an ALUA target port group with id `tag` (1 to 65535).
    pub fn create_alua_group(&self, so: &SoRef, name: &str, tag: u32) -> Result<()> {
        make_group(&self.so_dir(so)?, name, i64::from(tag)).map(|_| ())
    }

    /// Removes an ALUA group; the kernel moves its LUNs back to
    /// `default_tg_pt_gp`, which itself cannot be removed.
    pub fn delete_alua_group(&self, so: &SoRef, name: &str) -> Result<()> {
        if name == DEFAULT_GROUP {
            return Err(Error::Usage(format!(
                "{DEFAULT_GROUP} belongs to the kernel and cannot be deleted"
            )));
        }
        cfs::rmdir(&self.alua_group_path(so, name)?)
    }

    /// Writes one setting of an ALUA group: one of
    /// [`ALUA_SETTINGS`], as a number (see [`STATE_NAMES`] for
    /// `alua_access_state`).
    pub fn set_alua_setting(&self, group: &Path, name: &str, value: &str) -> Result<()> {
        if ALUA_READ_ONLY.contains(&name) {
            return Err(Error::Usage(format!("ALUA setting {name} is read-only")));
        }
        if !ALUA_SETTINGS.contains(&name) {
            return Err(Error::not_found(
                format!("ALUA setting {name}"),
                format!("writable ones: {}", ALUA_SETTINGS.join(", ")),
            ));
        }
        let n: i64 = value.trim().parse().map_err(|_| {
            let hint = if name == "alua_access_state" {
                let states: Vec<String> = STATE_NAMES
                    .iter()
                    .map(|(n, s)| format!("{n} {s}"))
                    .collect();
                format!("write a number: {}", states.join(", "))
            } else {
                "write a number".to_string()
            };
            Error::invalid(name, value, hint)
        })?;
        let hint = if name == "alua_access_state" {
            "the group's alua_access_type must allow the change (implicit for a state set here), and the state must be one the group supports"
        } else {
            "see `get alua` for the current values"
        };
        cfs::write_named(&group.join(name), name, &n.to_string(), hint)
    }

    /// The ALUA group of a LUN (None when the kernel reports none).
    pub fn lun_alua_group(&self, tpg: &TpgRef, lun: u32) -> Option<String> {
        group_of_lun(&self.lun_path(tpg, lun))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Plugin;

    #[test]
    fn members_show_as_rtslib_fbs_list() {
        assert_eq!(members_display(""), "[]");
        assert_eq!(
            members_display("iscsi/iqn.2003-01.org.x:t/tpgt_1/lun_0\nloopback/naa.5001405000000001/tpgt_1/lun_12\nbad"),
            "[{'driver': 'iscsi', 'target': 'iqn.2003-01.org.x:t', 'tpgt': 1, 'lun': 0}, \
             {'driver': 'loopback', 'target': 'naa.5001405000000001', 'tpgt': 1, 'lun': 12}]"
        );
    }

    fn so_tree() -> (tempfile::TempDir, Root, SoRef) {
        let d = tempfile::tempdir().unwrap();
        let so = d.path().join("core/rd_mcp_0/rd0");
        std::fs::create_dir_all(so.join("alua")).unwrap();
        let root = Root::open(d.path()).unwrap();
        (d, root, SoRef::new(Plugin::Ramdisk, "rd0"))
    }

    #[test]
    fn groups_are_made_checked_and_removed() {
        let (_d, root, so) = so_tree();
        let e = root
            .create_alua_group(&so, "g1", 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("1 to 65535"), "{e}");
        // A plain directory takes mkdir but has no tg_pt_gp_id file to
        // write, as configfs would refuse it: the group is removed again.
        assert!(root.create_alua_group(&so, "g1", 2).is_err());
        assert_eq!(root.alua_groups(&so).unwrap(), Vec::<String>::new());
        let e = root
            .delete_alua_group(&so, DEFAULT_GROUP)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be deleted"), "{e}");
        let e = root.delete_alua_group(&so, "nope").unwrap_err().to_string();
        assert!(e.contains("ls /backstores/ramdisk/rd0/alua"), "{e}");
    }

    #[test]
    fn settings_are_numbers_with_known_names() {
        let (d, root, _so) = so_tree();
        let g = d.path().join("core/rd_mcp_0/rd0/alua/default_tg_pt_gp");
        std::fs::create_dir_all(&g).unwrap();
        std::fs::write(g.join("alua_access_state"), "0").unwrap();
        std::fs::write(g.join("alua_access_type"), "Implicit and Explicit").unwrap();
        root.set_alua_setting(&g, "alua_access_state", "2").unwrap();
        assert_eq!(read_setting(&g, "alua_access_state").as_deref(), Some("2"));
        assert_eq!(read_setting(&g, "alua_access_type").as_deref(), Some("3"));
        let e = root
            .set_alua_setting(&g, "alua_access_state", "standby")
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 Standby"), "{e}");
        let e = root
            .set_alua_setting(&g, "members", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("read-only"), "{e}");
        let e = root
            .set_alua_setting(&g, "colour", "1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("preferred"), "{e}");
    }
}
