//! The fabric modules LIO (and tcm-rs) expose under configfs, with what
//! each supports. The table follows rtslib-fb's, so that names, WWN formats
//! and saved files agree.

use crate::wwn::WwnType;

/// One fabric module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fabric {
    /// The name used in saveconfig.json and in shell paths (`/iscsi`).
    pub name: &'static str,
    /// The directory under the target configfs root.
    pub dir: &'static str,
    /// The kernel module to load when the directory cannot be made.
    pub module: &'static str,
    /// Accepted WWN types; the first is the one generated.
    pub wwn_types: &'static [WwnType],
    /// Several TPGs per target (iSCSI style tags).
    pub tpgts: bool,
    /// Initiator ACLs.
    pub acls: bool,
    /// CHAP authentication on TPGs and ACLs.
    pub auth: bool,
    /// Network portals (np/ip:port).
    pub nps: bool,
    /// A fabric-wide discovery_auth group.
    pub discovery_auth: bool,
    /// The TPG has a nexus file that must be set (loopback, vhost).
    pub nexus: bool,
    /// How the kernel spells WWNs in directory names.
    pub wwn_style: WwnStyle,
}

/// How a fabric spells a canonical WWN in configfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WwnStyle {
    /// As is.
    Plain,
    /// "naa.5001..." becomes "50:01:...".
    Colons,
    /// "ib.fe80..." becomes "0xfe80...".
    HexPrefix,
    /// "eui.0014..." becomes "0014...".
    NoPrefix,
}

const fn fabric(name: &'static str, module: &'static str, wwn_types: &'static [WwnType]) -> Fabric {
    Fabric {
        name,
        dir: name,
        module,
        wwn_types,
        tpgts: false,
        acls: false,
        auth: false,
        nps: false,
        discovery_auth: false,
        nexus: false,
        wwn_style: WwnStyle::Plain,
    }
}

/// Every fabric known, in rtslib-fb's order (the order targets are saved in).
pub const FABRICS: &[Fabric] = &[
    Fabric {
        acls: true,
        wwn_style: WwnStyle::HexPrefix,
        ..fabric("srpt", "ib_srpt", &[WwnType::Ib])
    },
    Fabric {
        tpgts: true,
        acls: true,
        auth: true,
        nps: true,
        discovery_auth: true,
        ..fabric(
            "iscsi",
            "iscsi_target_mod",
            &[WwnType::Iqn, WwnType::Naa, WwnType::Eui],
        )
    },
    Fabric {
        nexus: true,
        ..fabric("loopback", "tcm_loop", &[WwnType::Naa])
    },
    Fabric {
        acls: true,
        wwn_style: WwnStyle::Colons,
        ..fabric("qla2xxx", "tcm_qla2xxx", &[WwnType::Naa])
    },
    Fabric {
        acls: true,
        wwn_style: WwnStyle::Colons,
        ..fabric("efct", "efct", &[WwnType::Naa])
    },
    Fabric {
        wwn_style: WwnStyle::NoPrefix,
        ..fabric("sbp", "sbp_target", &[WwnType::Eui])
    },
    Fabric {
        dir: "fc",
        acls: true,
        wwn_style: WwnStyle::Colons,
        ..fabric("tcm_fc", "tcm_fc", &[WwnType::Naa])
    },
    Fabric {
        nexus: true,
        acls: true,
        tpgts: true,
        ..fabric("vhost", "vhost_scsi", &[WwnType::Naa])
    },
    Fabric {
        nexus: true,
        tpgts: true,
        ..fabric("xen-pvscsi", "xen-scsiback", &[WwnType::Naa])
    },
    fabric("ibmvscsis", "ibmvscsis", &[WwnType::Free]),
];

/// Directories in a fabric's configfs group that are not targets.
pub const NON_TARGET_DIRS: &[&str] = &["discovery_auth", "fabric_statistics"];

impl Fabric {
    /// The fabric called `name` (its saveconfig name or its directory).
    pub fn by_name(name: &str) -> Option<&'static Fabric> {
        FABRICS.iter().find(|f| f.name == name || f.dir == name)
    }

    /// A canonical WWN as the kernel's directory name.
    pub fn to_dir_name(&self, wwn: &str) -> String {
        match self.wwn_style {
            WwnStyle::Plain => wwn.to_string(),
            WwnStyle::Colons => {
                let hex = wwn.strip_prefix("naa.").unwrap_or(wwn);
                hex.as_bytes()
                    .chunks(2)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(":")
            }
            WwnStyle::HexPrefix => format!("0x{}", wwn.strip_prefix("ib.").unwrap_or(wwn)),
            WwnStyle::NoPrefix => wwn.strip_prefix("eui.").unwrap_or(wwn).to_string(),
        }
    }

    /// A kernel directory name back to the canonical WWN.
    pub fn from_dir_name(&self, dir: &str) -> String {
        match self.wwn_style {
            WwnStyle::Plain => dir.to_string(),
            WwnStyle::Colons => format!("naa.{}", dir.replace(':', "")),
            WwnStyle::HexPrefix => format!("ib.{}", dir.strip_prefix("0x").unwrap_or(dir)),
            WwnStyle::NoPrefix => format!("eui.{dir}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_names_round_trip() {
        let fc = Fabric::by_name("tcm_fc").unwrap();
        assert_eq!(fc.dir, "fc");
        assert_eq!(
            fc.to_dir_name("naa.5001405abcdef012"),
            "50:01:40:5a:bc:de:f0:12"
        );
        assert_eq!(
            fc.from_dir_name("50:01:40:5a:bc:de:f0:12"),
            "naa.5001405abcdef012"
        );
        let srpt = Fabric::by_name("srpt").unwrap();
        assert_eq!(srpt.from_dir_name(&srpt.to_dir_name("ib.fe80")), "ib.fe80");
        let sbp = Fabric::by_name("sbp").unwrap();
        assert_eq!(sbp.from_dir_name(&sbp.to_dir_name("eui.0011")), "eui.0011");
        let iscsi = Fabric::by_name("iscsi").unwrap();
        assert!(iscsi.tpgts && iscsi.nps && iscsi.auth);
        assert_eq!(iscsi.to_dir_name("iqn.2003-01.a.b:c"), "iqn.2003-01.a.b:c");
    }
}
