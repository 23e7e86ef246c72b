//! `sessions [list|detail] [sid]`: the open sessions, printed as
//! targetcli-fb prints them.

use serde_json::json;

use super::{Command, Outcome, Params, Shell};
use crate::cfs;
use crate::error::{Error, Result};
use crate::sessions::Session;

/// The indentation of the detail lines (targetcli-fb's `indent_step`).
const INDENT: &str = "    ";

impl Shell {
    /// `sessions [action] [sid]`.
    pub(super) fn sessions_cmd(&self, cmd: &Command) -> Result<Outcome> {
        let p = Params::bind(cmd, &["action", "sid"])?;
        let action = p.get("action").unwrap_or("list");
        if !matches!(action, "list" | "detail") {
            return Err(Error::Usage(format!(
                "action must be one of: list, detail (got {action:?})"
            )));
        }
        let sid = p
            .get("sid")
            .map(|v| {
                v.parse::<u32>()
                    .map_err(|_| Error::invalid("sid", v, "sid must be a number"))
            })
            .transpose()?;
        let sessions: Vec<Session> = self
            .root
            .sessions()?
            .into_iter()
            .filter(|s| sid.is_none_or(|id| s.id == id))
            .collect();
        if sessions.is_empty() {
            return match sid {
                None => Ok(Outcome::lines(
                    vec!["(no open sessions)".into()],
                    json!({ "sessions": [] }),
                )),
                Some(id) => Err(Error::not_found(
                    format!("session with sid {id}"),
                    "see `sessions` for the open ones",
                )),
            };
        }
        let mut text = Vec::new();
        for s in &sessions {
            text.push(format!(
                "alias: {}\tsid: {} type: {} session-state: {}",
                s.alias, s.id, s.kind, s.state
            ));
            if action == "detail" {
                text.extend(self.session_detail(s));
            }
        }
        Ok(Outcome::lines(text, json!({ "sessions": sessions })))
    }

    /// The detail lines of a session: the initiator and whether it
    /// authenticated, its mapped LUNs and its connections.
    fn session_detail(&self, s: &Session) -> Vec<String> {
        let acl = self.root.acl_path(&s.tpg, &s.node_wwn);
        let auth = match cfs::read_opt(&acl.join("auth").join("authenticate_target")).as_deref() {
            Some("1") => " (authenticated)",
            _ => " (NOT AUTHENTICATED)",
        };
        let mut out = vec![format!("{INDENT}name: {}{auth}", s.node_wwn)];
        if let Ok(cfg) = self.root.tpg(&s.tpg) {
            let acl = cfg.node_acls.iter().find(|a| a.node_wwn == s.node_wwn);
            for m in acl.map(|a| a.mapped_luns.as_slice()).unwrap_or_default() {
                let so = cfg
                    .luns
                    .iter()
                    .find(|l| l.index == m.tpg_lun)
                    .map(|l| l.storage_object.trim_start_matches("/backstores/"))
                    .unwrap_or("(broken LUN link)");
                let mode = if m.write_protect { "r" } else { "rw" };
                out.push(format!(
                    "{INDENT}mapped-lun: {} backstore: {so} mode: {mode}",
                    m.index
                ));
            }
        }
        for c in &s.connections {
            out.push(format!(
                "{INDENT}address: {} ({})  cid: {} connection-state: {}",
                c.address, c.transport, c.cid, c.state
            ));
        }
        out
    }
}
