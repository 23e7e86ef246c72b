//! `set` and `get`: attributes, parameters, auth, discovery auth, ALUA and
//! the global preferences.

use serde_json::Value;

use super::parse::parse_bool;
use super::{node_dir, Command, Outcome, Shell};
use crate::alua;
use crate::cfs;
use crate::error::{Error, Result};
use crate::prefs;
use crate::tree::{Node, NodeKind};

/// The `alua` setting of a LUN node.
pub const ALUA_LUN_PARAMS: &[&str] = &["alua_tg_pt_gp_name"];

const UNKNOWN_GROUP: &str = "use attribute, parameter, auth, alua, discovery_auth or global";

impl Shell {
    /// `set GROUP name=value ...` at `node`.
    pub(super) fn set(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let group = cmd.args.first().ok_or_else(|| {
            Error::Usage(
                "set needs a group: set attribute|parameter|auth|alua|discovery_auth|global name=value ..."
                    .into(),
            )
        })?;
        if cmd.args.len() > 1 {
            return Err(Error::Usage(format!(
                "set {group} takes name=value pairs, not {:?}",
                &cmd.args[1..]
            )));
        }
        if cmd.kwargs.is_empty() {
            return Err(Error::Usage(format!(
                "set {group} needs name=value pairs (see `get {group}`)"
            )));
        }
        if group == "global" {
            return self.set_global(cmd);
        }
        if group == "alua" {
            return self.set_alua(cmd, node);
        }
        let mut text = Vec::new();
        if group == "discovery_auth" {
            let NodeKind::Fabric(f) = &node.kind else {
                return Err(Error::Usage("set discovery_auth works on /iscsi".into()));
            };
            // The fabric's directory (and module) may not be there yet:
            // targetcli-fb's first `set discovery_auth` makes it, too.
            let dir = self.root.ensure_fabric(f)?.join("discovery_auth");
            for (k, v) in &cmd.kwargs {
                let (file, value) = match k.as_str() {
                    "enable" => ("enforce_discovery_auth", u8::from(parse_bool("enable", v)?).to_string()),
                    "userid" | "password" => (k.as_str(), v.clone()),
                    "mutual_userid" => ("userid_mutual", v.clone()),
                    "mutual_password" => ("password_mutual", v.clone()),
                    _ => return Err(Error::Usage(format!("unknown discovery_auth setting {k}; use enable, userid, password, mutual_userid, mutual_password"))),
                };
                let value = if value.is_empty() {
                    "NULL".to_string()
                } else {
                    value
                };
                cfs::write_named(&dir.join(file), file, &value, "")?;
                text.push(format!("Parameter {k} is now '{v}'."));
            }
            return Ok(Outcome::lines(text, Value::Null));
        }
        let dir = node_dir(&self.root, node)
            .ok_or_else(|| Error::Usage(format!("{} has no {group} settings", node.name)))?;
        for (k, v) in &cmd.kwargs {
            match group.as_str() {
                "attribute" => self.root.set_attribute(&dir, k, v)?,
                "parameter" => self.root.set_parameter(&dir, k, v)?,
                "auth" => {
                    let file = match k.as_str() {
                        "mutual_userid" => "userid_mutual",
                        "mutual_password" => "password_mutual",
                        other => other,
                    };
                    self.root.set_auth(&dir, file, v)?
                }
                other => {
                    return Err(Error::Usage(format!(
                        "unknown group {other:?}: {UNKNOWN_GROUP}"
                    )))
                }
            }
            text.push(format!("Parameter {k} is now '{v}'."));
        }
        Ok(Outcome::lines(text, Value::Null))
    }

    /// `get [GROUP] [name ...]` at `node`.
    pub(super) fn get(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let group = cmd.args.first().map(String::as_str).unwrap_or("attribute");
        if group == "global" {
            return self.get_global(&cmd.args[1..]);
        }
        if group == "alua" {
            return self.get_alua(&cmd.args[1..], node);
        }
        let sub = match group {
            "attribute" => "attrib",
            "parameter" => "param",
            "auth" => "auth",
            "discovery_auth" => "discovery_auth",
            other => {
                return Err(Error::Usage(format!(
                    "unknown group {other:?}: {UNKNOWN_GROUP}"
                )))
            }
        };
        let dir = if sub == "discovery_auth" {
            match &node.kind {
                NodeKind::Fabric(f) => Some(self.root.fabric_path(f)),
                _ => None,
            }
        } else {
            node_dir(&self.root, node)
        }
        .map(|d| d.join(sub))
        .filter(|d| d.is_dir())
        .ok_or_else(|| Error::Usage(format!("{} has no {group} settings", node.name)))?;
        let wanted: Vec<String> = cmd.args.iter().skip(1).cloned().collect();
        let pairs: Vec<(String, String)> = cfs::files(&dir)
            .into_iter()
            .filter(|name| wanted.is_empty() || wanted.contains(name))
            .map(|name| {
                let v = cfs::read_opt(&dir.join(&name)).unwrap_or_else(|| "(write-only)".into());
                (name, v)
            })
            .collect();
        if let Some(missing) = wanted.iter().find(|w| !pairs.iter().any(|(n, _)| n == *w)) {
            return Err(Error::not_found(
                format!("{group} {missing} of {}", node.name),
                format!("see `get {group}`"),
            ));
        }
        Ok(Outcome::settings(pairs))
    }

    fn set_global(&mut self, cmd: &Command) -> Result<Outcome> {
        let mut text = Vec::new();
        for (k, v) in &cmd.kwargs {
            self.prefs.set(k, v)?;
            text.push(format!("Parameter {k} is now '{v}'."));
        }
        Ok(Outcome::lines(text, Value::Null))
    }

    fn get_global(&self, wanted: &[String]) -> Result<Outcome> {
        if let Some(w) = wanted.iter().find(|w| self.prefs.value(w).is_none()) {
            return Err(Error::not_found(
                format!("global preference {w}"),
                format!("known ones: {}", prefs::names().join(", ")),
            ));
        }
        Ok(Outcome::settings(
            prefs::PREFS
                .iter()
                .filter(|d| wanted.is_empty() || wanted.iter().any(|w| w == d.name))
                .map(|d| {
                    let v = self.prefs.display(d.name).unwrap_or_default();
                    (d.name.to_string(), v)
                }),
        ))
    }

    /// `set alua name=value ...`: the settings of an ALUA group, or the
    /// group (`alua_tg_pt_gp_name`) of a LUN.
    fn set_alua(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let mut text = Vec::new();
        for (k, v) in &cmd.kwargs {
            match &node.kind {
                NodeKind::AluaGroup(so, g) => {
                    let dir = self.root.alua_group_path(so, g)?;
                    self.root.set_alua_setting(&dir, k, v)?;
                }
                NodeKind::Lun(tpg, lun) => {
                    if k != "alua_tg_pt_gp_name" {
                        return Err(Error::Usage(format!(
                            "a LUN's only alua setting is alua_tg_pt_gp_name, not {k}"
                        )));
                    }
                    if self.root.lun_alua_group(tpg, *lun).is_none() {
                        return Err(Error::Usage(format!(
                            "LUN {lun} of {tpg} has no ALUA group: its backstore does not support ALUA"
                        )));
                    }
                    self.root.set_lun_alua_group(tpg, *lun, v)?;
                }
                _ => {
                    return Err(Error::Usage(format!(
                        "{} has no alua settings: use an ALUA group (/backstores/<type>/<name>/alua/<group>) or a LUN",
                        node.name
                    )))
                }
            }
            text.push(format!("Parameter {k} is now '{v}'."));
        }
        Ok(Outcome::lines(text, Value::Null))
    }

    /// `get alua [name ...]`.
    fn get_alua(&self, wanted: &[String], node: &Node) -> Result<Outcome> {
        let all: Vec<(&str, String)> = match &node.kind {
            NodeKind::AluaGroup(so, g) => {
                let dir = self.root.alua_group_path(so, g)?;
                alua::group_settings()
                    .into_iter()
                    .map(|n| {
                        let v = alua::read_setting(&dir, n).unwrap_or_else(|| "(none)".into());
                        (n, v)
                    })
                    .collect()
            }
            NodeKind::Lun(tpg, lun) => {
                let group = self.root.lun_alua_group(tpg, *lun);
                vec![(ALUA_LUN_PARAMS[0], group.unwrap_or_else(|| "None".into()))]
            }
            _ => {
                return Err(Error::Usage(format!(
                    "{} has no alua settings: use an ALUA group or a LUN",
                    node.name
                )))
            }
        };
        let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
        if let Some(w) = wanted.iter().find(|w| !names.contains(&w.as_str())) {
            return Err(Error::not_found(
                format!("alua {w} of {}", node.name),
                format!("known: {}", names.join(", ")),
            ));
        }
        Ok(Outcome::settings(
            all.into_iter()
                .filter(|(n, _)| wanted.is_empty() || wanted.iter().any(|w| w == n))
                .map(|(n, v)| (n.to_string(), v)),
        ))
    }
}
