// SPDX-License-Identifier: GPL-2.0

//! The rules for a new fabric module's name.
//!
//! One name is the module's directory (fabrics/<name>/), its .ko, its
//! configfs directory (`target/<name>/`) and part of its alias
//! (`tcm_rs_fabric_<name>`), so it must be a valid module name that no
//! other fabric, LIO's or ours, uses.

/// The longest module name: the kernel's MODULE_NAME_LEN (64 on 64-bit
/// machines) less the `unsigned long` before it and the NUL.
pub const NAME_MAX: usize = 55;

/// Directory names under `target/` that LIO's fabrics (and the core) use,
/// and what uses them.
pub const KNOWN_FABRICS: &[(&str, &str)] = &[
    ("core", "the core's own directory (target/core/)"),
    ("loopback", "the loopback fabric (tcm_loop, tcm_rs_loop)"),
    ("iscsi", "the iSCSI fabric (iscsi_target_mod)"),
    ("vhost", "the vhost-scsi fabric (vhost_scsi)"),
    ("srpt", "the SRP fabric (ib_srpt)"),
    ("qla2xxx", "the QLogic FC fabric (tcm_qla2xxx)"),
    ("qla2xxx_npiv", "the QLogic FC NPIV fabric (tcm_qla2xxx)"),
    ("fc", "the FCoE fabric (tcm_fc)"),
    ("tcm_fc", "the FCoE fabric's module"),
    ("usb_gadget", "the USB gadget fabric (usb_f_tcm)"),
    ("xen-pvscsi", "the Xen PV SCSI fabric (xen-scsiback)"),
    ("ibmvscsis", "the IBM vSCSI fabric (ibmvscsis)"),
    ("efct", "the Emulex FC fabric (efct)"),
    ("efct_npiv", "the Emulex FC NPIV fabric (efct)"),
    ("sbp", "the FireWire SBP-2 fabric (sbp_target)"),
    ("remote", "the remote fabric (tcm_remote)"),
    ("xcopy-pt", "the core's EXTENDED COPY pass-through"),
];

/// Kernel modules of LIO: a new module must not take one of their names.
pub const LIO_MODULES: &[&str] = &[
    "target_core_mod",
    "target_core_iblock",
    "target_core_file",
    "target_core_pscsi",
    "target_core_user",
    "tcm_loop",
    "tcm_fc",
    "tcm_qla2xxx",
    "tcm_remote",
    "ib_srpt",
    "iscsi_target_mod",
    "vhost_scsi",
    "usb_f_tcm",
    "xen_scsiback",
    "ibmvscsis",
    "efct",
    "sbp_target",
];

/// Identifiers the generated module uses: a name whose types (see
/// [`type_names`]) would shadow one of them is refused.
const TEMPLATE_IDENTIFIERS: &[&str] = &[
    "CoreTpg",
    "Fabric",
    "FabricAttrs",
    "Page",
    "Registration",
    "SessionId",
    "PortName",
    "TpgState",
    "ThisModule",
    "Module",
    "Result",
    "Error",
    "CStr",
    "Mutex",
    "KBox",
    "Pin",
    "LocalModule",
];

/// Why a name was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty.
    #[error("the module name is empty: pass --name <name>, e.g. --name my_fabric")]
    Empty,
    /// Longer than [`NAME_MAX`].
    #[error("{0:?} is {1} characters long; a module name has at most 55")]
    TooLong(String, usize),
    /// Starts with a digit.
    #[error("{0:?} starts with a digit; a module name starts with a letter or '_'")]
    LeadingDigit(String),
    /// A character other than `a-z`, `0-9`, `_`.
    #[error(
        "{0:?} has {1:?}; a module name is lowercase letters, digits and '_' (a C and Rust identifier)"
    )]
    Character(String, char),
    /// No letter at all.
    #[error("{0:?} has no letter; a module name needs one")]
    NoLetter(String),
    /// LIO or the core uses the name.
    #[error("{0:?} is taken by {1}: pick another name")]
    KnownFabric(String, &'static str),
    /// A LIO module has the name.
    #[error("{0:?} is the name of LIO's module: pick another name")]
    LioModule(String),
    /// The generated type names would clash with the template's.
    #[error("{0:?} would make a type called {1} that clashes with the SDK's: pick another name")]
    TypeClash(String, String),
}

/// Checks a module name; the error says what is wrong with it.
pub fn check(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some((_, what)) = KNOWN_FABRICS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        return Err(NameError::KnownFabric(name.to_owned(), what));
    }
    if LIO_MODULES.iter().any(|m| m.eq_ignore_ascii_case(name)) {
        return Err(NameError::LioModule(name.to_owned()));
    }
    let chars = name.chars().count();
    if chars > NAME_MAX {
        return Err(NameError::TooLong(name.to_owned(), chars));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(NameError::LeadingDigit(name.to_owned()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_'))
    {
        return Err(NameError::Character(name.to_owned(), c));
    }
    if !name.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(NameError::NoLetter(name.to_owned()));
    }
    if let Some(clash) = type_names(name)
        .into_iter()
        .find(|t| TEMPLATE_IDENTIFIERS.contains(&t.as_str()))
    {
        return Err(NameError::TypeClash(name.to_owned(), clash));
    }
    Ok(())
}

/// The name in CamelCase, the prefix of the module's type names:
/// `my_fc2` is `MyFc2`.
pub fn camel_case(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The types the generated module defines.
pub fn type_names(name: &str) -> Vec<String> {
    let camel = camel_case(name);
    ["Module", "Fabric", "Wwn", "Tpg"]
        .iter()
        .map(|suffix| format!("{camel}{suffix}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names() {
        for name in [
            "my_fabric",
            "fc2",
            "_x",
            "a",
            "tcm_rs_nvmf",
            &"a".repeat(55),
        ] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn bad_names() {
        type Check = fn(&NameError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |e| matches!(e, NameError::Empty)),
            ("2fast", |e| matches!(e, NameError::LeadingDigit(_))),
            ("My_fabric", |e| matches!(e, NameError::Character(_, 'M'))),
            ("my-fabric", |e| matches!(e, NameError::Character(_, '-'))),
            ("my fabric", |e| matches!(e, NameError::Character(_, ' '))),
            ("my.fabric", |e| matches!(e, NameError::Character(_, '.'))),
            ("fabric/x", |e| matches!(e, NameError::Character(_, '/'))),
            ("caf\u{e9}", |e| {
                matches!(e, NameError::Character(_, '\u{e9}'))
            }),
            ("___", |e| matches!(e, NameError::NoLetter(_))),
            ("_1", |e| matches!(e, NameError::NoLetter(_))),
            ("loopback", |e| matches!(e, NameError::KnownFabric(..))),
            ("iscsi", |e| matches!(e, NameError::KnownFabric(..))),
            ("ISCSI", |e| matches!(e, NameError::KnownFabric(..))),
            ("xen-pvscsi", |e| matches!(e, NameError::KnownFabric(..))),
            ("tcm_fc", |e| matches!(e, NameError::KnownFabric(..))),
            ("core", |e| matches!(e, NameError::KnownFabric(..))),
            ("tcm_loop", |e| matches!(e, NameError::LioModule(_))),
            ("iscsi_target_mod", |e| matches!(e, NameError::LioModule(_))),
            (
                "_core",
                |e| matches!(e, NameError::TypeClash(_, t) if t == "CoreTpg"),
            ),
            (
                "this",
                |e| matches!(e, NameError::TypeClash(_, t) if t == "ThisModule"),
            ),
        ];
        for (name, expected) in cases {
            let err = check(name).expect_err(name);
            assert!(expected(&err), "{name}: {err:?}");
        }
        let long = "a".repeat(56);
        assert_eq!(check(&long), Err(NameError::TooLong(long.clone(), 56)));
    }

    #[test]
    fn every_known_fabric_is_refused() {
        for (name, _) in KNOWN_FABRICS {
            assert!(check(name).is_err(), "{name}");
        }
        for name in LIO_MODULES {
            assert!(check(name).is_err(), "{name}");
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        let msg = check("2fast").unwrap_err().to_string();
        assert!(msg.contains("starts with a letter"), "{msg}");
        let msg = check("loopback").unwrap_err().to_string();
        assert!(msg.contains("pick another name"), "{msg}");
    }

    #[test]
    fn camel_case_of_names() {
        assert_eq!(camel_case("my_fc2"), "MyFc2");
        assert_eq!(camel_case("_x__y_"), "XY");
        assert_eq!(camel_case("fabric"), "Fabric");
        assert_eq!(type_names("ib"), ["IbModule", "IbFabric", "IbWwn", "IbTpg"]);
    }
}
