//! `set` and `get`: targetcli-fb's configuration groups (attributes,
//! parameters, auth, discovery auth, ALUA and the global preferences),
//! printed as configshell-fb prints them (see [`crate::groups`]).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::parse::parse_bool;
use super::{node_dir, node_tpg, Command, Outcome, Shell};
use crate::alua::{self, ALUA_READ_ONLY};
use crate::cfs;
use crate::error::{Error, Result};
use crate::groups::{self, Owner, Setting};
use crate::prefs;
use crate::root::Root;
use crate::tree::{Node, NodeKind};

/// The `alua` setting of a LUN node.
pub const ALUA_LUN_PARAMS: &[&str] = &["alua_tg_pt_gp_name"];

/// Auth settings as targetcli-fb names them, and their files.
const AUTH_FILES: &[(&str, &str)] = &[
    ("mutual_password", "password_mutual"),
    ("mutual_userid", "userid_mutual"),
    ("password", "password"),
    ("userid", "userid"),
];

/// The directory holding a node's attrib/, param/ and auth/: as
/// [`node_dir`], and a target with several TPGs (its param/).
pub(crate) fn group_dir(root: &Root, node: &Node) -> Option<PathBuf> {
    match &node.kind {
        NodeKind::Target(t) if t.fabric.tpgts => Some(root.target_path(t)),
        _ => node_dir(root, node),
    }
}

/// Which of targetcli-fb's node classes `node` is, for descriptions.
fn owner(node: &Node) -> Owner {
    match &node.kind {
        NodeKind::StorageObject(_) => Owner::StorageObject,
        NodeKind::Acl(..) => Owner::Acl,
        NodeKind::Tpg(_) => Owner::Tpg,
        NodeKind::Target(t) if !t.fabric.tpgts => Owner::Tpg,
        _ => Owner::Other,
    }
}

/// Whether the node has CHAP settings: an iSCSI-like TPG or ACL whose
/// auth/ directory exists.
fn auth_dir(root: &Root, node: &Node) -> Option<PathBuf> {
    let fabric = match &node.kind {
        NodeKind::Acl(tpg, _) => tpg.target.fabric,
        _ => node_tpg(node)?.target.fabric,
    };
    let dir = node_dir(root, node)?.join("auth");
    (fabric.auth && dir.is_dir()).then_some(dir)
}

/// The groups `get` and `set` take at `node`, in targetcli-fb's order:
/// `global`, then `parameter` and `attribute` when the node has any, then
/// `auth`, `alua` or `discovery_auth`.
pub(crate) fn groups_of(root: &Root, node: &Node) -> Vec<&'static str> {
    let mut g = vec!["global"];
    if let Some(dir) = group_dir(root, node) {
        for (group, sub) in [("parameter", "param"), ("attribute", "attrib")] {
            if !cfs::files(&dir.join(sub)).is_empty() {
                g.push(group);
            }
        }
    }
    if auth_dir(root, node).is_some() {
        g.push("auth");
    }
    match &node.kind {
        NodeKind::AluaGroup(..) | NodeKind::Lun(..) => g.push("alua"),
        NodeKind::Fabric(f) if f.discovery_auth => g.push("discovery_auth"),
        _ => {}
    }
    g
}

/// The owner can write the file (rtslib-fb's test for read-only).
fn owner_writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o200 != 0)
}

/// An auth file's value as rtslib-fb reads it: the kernel's "NULL" is
/// empty.
fn auth_value(path: &Path) -> String {
    match cfs::read_opt(path) {
        Some(v) if v != "NULL" => v,
        _ => String::new(),
    }
}

impl Shell {
    /// The settings of `group` at `node` (a group [`groups_of`] lists).
    fn group_settings(&self, node: &Node, group: &str) -> Result<Vec<Setting>> {
        Ok(match group {
            "global" => prefs::PREFS
                .iter()
                .map(|d| {
                    let v = self.prefs.display(d.name).unwrap_or_default();
                    Setting::new(d.name, v, true)
                })
                .collect(),
            "attribute" | "parameter" => {
                let sub = if group == "attribute" {
                    "attrib"
                } else {
                    "param"
                };
                let dir = group_dir(&self.root, node)
                    .ok_or_else(|| groups::unknown_group(group))?
                    .join(sub);
                cfs::files(&dir)
                    .into_iter()
                    .map(|name| {
                        let path = dir.join(&name);
                        let v = cfs::read_opt(&path).unwrap_or_else(|| "(write-only)".into());
                        let w = owner_writable(&path);
                        Setting::new(name, v, w)
                    })
                    .collect()
            }
            "auth" => {
                let dir = auth_dir(&self.root, node).ok_or_else(|| groups::unknown_group(group))?;
                AUTH_FILES
                    .iter()
                    .filter(|(_, f)| dir.join(f).is_file())
                    .map(|(n, f)| Setting::new(*n, auth_value(&dir.join(f)), true))
                    .collect()
            }
            "discovery_auth" => {
                let NodeKind::Fabric(f) = &node.kind else {
                    return Err(groups::unknown_group(group));
                };
                let dir = self.root.fabric_path(f).join("discovery_auth");
                let enabled = cfs::read_opt(&dir.join("enforce_discovery_auth"))
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v != 0);
                // rtslib-fb's bool, shown by Python's str().
                let mut s = vec![Setting::new(
                    "enable",
                    if enabled { "True" } else { "False" },
                    true,
                )];
                s.extend(
                    AUTH_FILES
                        .iter()
                        .map(|(n, f)| Setting::new(*n, auth_value(&dir.join(f)), true)),
                );
                s
            }
            "alua" => match &node.kind {
                NodeKind::AluaGroup(so, g) => {
                    let dir = self.root.alua_group_path(so, g)?;
                    alua::group_settings()
                        .into_iter()
                        .map(|n| {
                            let mut v =
                                alua::read_setting(&dir, n).unwrap_or_else(|| "(none)".into());
                            if n == "members" {
                                v = alua::members_display(&v);
                            }
                            Setting::new(n, v, !ALUA_READ_ONLY.contains(&n))
                        })
                        .collect()
                }
                NodeKind::Lun(tpg, lun) => {
                    let g = self.root.lun_alua_group(tpg, *lun);
                    vec![Setting::new(
                        ALUA_LUN_PARAMS[0],
                        g.unwrap_or_else(|| "None".into()),
                        true,
                    )]
                }
                _ => return Err(groups::unknown_group(group)),
            },
            other => return Err(groups::unknown_group(other)),
        })
    }

    /// The group named by the command's first argument, checked against
    /// the node's groups; `None` when the command names none.
    fn command_group<'a>(&self, cmd: &'a Command, node: &Node) -> Result<Option<&'a str>> {
        let Some(group) = cmd.args.first() else {
            return Ok(None);
        };
        if !groups_of(&self.root, node).contains(&group.as_str()) {
            return Err(groups::unknown_group(group));
        }
        Ok(Some(group))
    }

    /// `get` or `set` without a group: the node's groups.
    fn group_list(&self, node: &Node) -> Outcome {
        let g = groups_of(&self.root, node);
        Outcome {
            text: groups::render_group_list(&g),
            json: json!({ "groups": g }),
            exit: false,
        }
    }

    /// `set GROUP name=value ...` at `node`.
    pub(super) fn set(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let Some(group) = self.command_group(cmd, node)? else {
            return Ok(self.group_list(node));
        };
        if cmd.args.len() > 1 {
            return Err(Error::Usage(format!(
                "set {group} takes name=value pairs, not {:?}",
                &cmd.args[1..]
            )));
        }
        let settings = self.group_settings(node, group)?;
        if cmd.kwargs.is_empty() {
            return Ok(Outcome {
                text: groups::render_writable(owner(node), group, &settings),
                json: Value::Null,
                exit: false,
            });
        }
        let mut text = Vec::new();
        for (k, v) in &cmd.kwargs {
            if group == "global" {
                self.prefs.set(k, v)?;
                let now = self.prefs.display(k).unwrap_or_default();
                text.push(format!("Parameter {k} is now '{now}'."));
                continue;
            }
            let s = settings
                .iter()
                .find(|s| s.name == *k)
                .ok_or_else(|| groups::unknown_parameter(k, group))?;
            if !s.writable {
                return Err(groups::read_only(k));
            }
            self.write_setting(node, group, k, v)?;
            let now = self
                .group_settings(node, group)?
                .into_iter()
                .find(|s| s.name == *k)
                .map(|s| s.value)
                .unwrap_or_default();
            text.push(format!("Parameter {k} is now '{now}'."));
        }
        Ok(Outcome::lines(text, Value::Null))
    }

    /// Writes one setting of `group` (known to be writable) at `node`.
    fn write_setting(&mut self, node: &Node, group: &str, k: &str, v: &str) -> Result<()> {
        match (group, &node.kind) {
            ("discovery_auth", NodeKind::Fabric(f)) => {
                // The fabric's directory (and module) may not be there yet:
                // targetcli-fb's first `set discovery_auth` makes it, too.
                let dir = self.root.ensure_fabric(f)?.join("discovery_auth");
                let (file, value) = match k {
                    "enable" => (
                        "enforce_discovery_auth",
                        u8::from(parse_bool("enable", v)?).to_string(),
                    ),
                    "mutual_userid" => ("userid_mutual", v.to_string()),
                    "mutual_password" => ("password_mutual", v.to_string()),
                    other => (other, v.to_string()),
                };
                let value = if value.is_empty() {
                    "NULL".to_string()
                } else {
                    value
                };
                cfs::write_named(&dir.join(file), file, &value, "")
            }
            ("alua", NodeKind::AluaGroup(so, g)) => {
                let dir = self.root.alua_group_path(so, g)?;
                self.root.set_alua_setting(&dir, k, v)
            }
            ("alua", NodeKind::Lun(tpg, lun)) => {
                if self.root.lun_alua_group(tpg, *lun).is_none() {
                    return Err(Error::Usage(format!(
                        "LUN {lun} of {tpg} has no ALUA group: its backstore does not support ALUA"
                    )));
                }
                self.root.set_lun_alua_group(tpg, *lun, v)
            }
            ("auth", _) => {
                let dir = node_dir(&self.root, node).ok_or_else(|| groups::unknown_group(group))?;
                let file = AUTH_FILES
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map_or(k, |(_, f)| f);
                self.root.set_auth(&dir, file, v)
            }
            ("attribute" | "parameter", _) => {
                let dir =
                    group_dir(&self.root, node).ok_or_else(|| groups::unknown_group(group))?;
                if group == "attribute" {
                    self.root.set_attribute(&dir, k, v)
                } else {
                    self.root.set_parameter(&dir, k, v)
                }
            }
            _ => Err(groups::unknown_group(group)),
        }
    }

    /// `get [GROUP] [name ...]` at `node`: the whole group in
    /// configshell-fb's layout, or one `name=value` line a name.
    pub(super) fn get(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let Some(group) = self.command_group(cmd, node)? else {
            return Ok(self.group_list(node));
        };
        let settings = self.group_settings(node, group)?;
        let wanted = &cmd.args[1..];
        let mut map = serde_json::Map::new();
        let text = if wanted.is_empty() {
            for s in &settings {
                map.insert(s.name.clone(), Value::String(s.value.clone()));
            }
            groups::render_group(owner(node), group, &settings)
        } else {
            let mut text = Vec::new();
            for w in wanted {
                let s = settings
                    .iter()
                    .find(|s| s.name == *w)
                    .ok_or_else(|| groups::no_parameter(w, group))?;
                map.insert(s.name.clone(), Value::String(s.value.clone()));
                text.push(groups::render_one(s));
            }
            text
        };
        Ok(Outcome {
            text,
            json: Value::Object(map),
            exit: false,
        })
    }
}
