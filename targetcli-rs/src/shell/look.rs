//! Looking around: `ls`, `cd`, `info` and `help`.

use serde_json::{json, Value};

use super::history::Step;
use super::{node_dir, Command, Outcome, Params, Shell, VERBS};
use crate::cfs;
use crate::error::{Error, Result};
use crate::tree::{self, Node};

impl Shell {
    /// `ls [path] [depth=N]`: the tree under a node.
    pub(super) fn ls(
        &self,
        cmd: &Command,
        tree: &Node,
        node: &Node,
        canon: &str,
    ) -> Result<Outcome> {
        let p = Params::bind(cmd, &["path", "depth"])?;
        let node = match p.get("path") {
            Some(sub) => {
                let abs = self.absolute_from(canon, sub)?;
                tree.find(&abs)
                    .ok_or_else(|| Error::not_found(format!("path {abs}"), "see `ls /`"))?
                    .0
            }
            None => node,
        };
        let depth = match p.num("depth", "")? {
            Some(d) => Some(d as usize),
            None => match self.prefs.number("tree_max_depth") {
                0 => None,
                d => Some(d as usize),
            },
        };
        Ok(Outcome {
            text: node
                .render(depth, self.width)
                .lines()
                .map(str::to_string)
                .collect(),
            json: serde_json::to_value(node).unwrap_or(Value::Null),
            exit: false,
        })
    }

    /// `cd [path]`: moves to a node; `PATH cd` goes to PATH, `cd` alone
    /// goes home (the interactive shell lets the user pick a node instead,
    /// see [`Command::is_bare_cd`]); `cd <` and `cd >` walk the path
    /// history.
    pub(super) fn cd(&mut self, cmd: &Command, canon: &str) -> Result<Outcome> {
        let p = Params::bind(cmd, &["path"])?;
        let target = match p.get("path") {
            Some(dir @ ("<" | ">")) => return Ok(self.cd_history(dir == "<")),
            Some(s) => self.absolute_from(canon, s)?,
            None if cmd.path.is_some() => canon.to_string(),
            None => "/".into(),
        };
        let (_, c) = tree::locate(&self.root, &target)
            .ok_or_else(|| Error::not_found(format!("path {target}"), "see `ls`"))?;
        self.go(c);
        Ok(Outcome {
            json: json!({ "path": self.cwd }),
            ..Outcome::default()
        })
    }

    /// `cd <` (`back`) or `cd >`, with configshell-fb's messages (and its
    /// spelling).
    fn cd_history(&mut self, back: bool) -> Outcome {
        let root = &self.root;
        let exists = |p: &str| tree::locate(root, p).is_some();
        let step = if back {
            self.history.back(&self.cwd, exists)
        } else {
            self.history.forward(&self.cwd, exists)
        };
        let message = match step {
            Step::AtEdge if back => "Reached begining of path history.".to_string(),
            Step::AtEdge => "Reached the end of path history.".to_string(),
            Step::To(path) => {
                let m = format!("Taking you back to {path}.");
                self.cwd = path;
                m
            }
        };
        Outcome {
            json: json!({ "path": self.cwd, "message": message }),
            text: vec![message],
            exit: false,
        }
    }

    /// `info`: the kernel's info file of a node.
    pub(super) fn info(&self, node: &Node, canon: &str) -> Result<Outcome> {
        let dir = node_dir(&self.root, node)
            .ok_or_else(|| Error::Usage(format!("no info for {canon}")))?;
        let info = cfs::read_opt(&dir.join("info")).unwrap_or_default();
        Ok(Outcome {
            text: vec![format!("path: {}", dir.display()), info.clone()],
            json: json!({"path": dir, "info": info}),
            exit: false,
        })
    }
}

/// `help [command]`.
pub(super) fn help(cmd: &Command) -> Result<Outcome> {
    let text = help_text(cmd.args.first().map(String::as_str));
    if text.is_empty() {
        return Err(Error::Usage(format!(
            "no help for {:?}; commands are: {}",
            cmd.args.join(" "),
            VERBS.join(", ")
        )));
    }
    Ok(Outcome {
        json: json!({ "help": text }),
        text,
        exit: false,
    })
}

/// Lines of `help`.
pub fn help_text(topic: Option<&str>) -> Vec<String> {
    let all = [
        ("ls", "ls [path] [depth=N]: the tree under a node, with summaries"),
        ("cd", "cd [path]: move to a node (absolute, relative, .. for the parent, @bookmark); cd < and cd > go back and forward in the path history (paths that no longer exist are skipped); cd alone, in the interactive shell on a terminal, shows the whole tree to pick a node from (Up/Down, PageUp/PageDown, Home/End move, Enter goes there, q or Esc stays), elsewhere (one-shot, --batch, piped input) it goes to /"),
        ("pwd", "pwd: the current node's path"),
        ("create", "create ...: at /backstores/ramdisk: name size [nullio] [wwn]; /backstores/fileio: name file_or_dev [size] [write_back] [sparse] [wwn]; /backstores/block: name dev [readonly] [wwn]; /backstores/pscsi: name dev; /backstores/user: name size cfgstring; /<fabric>: [wwn]; /iscsi/<wwn>: [tag]; .../luns: storage_object [lun] [add_mapped_luns]; .../acls: wwn [add_mapped_luns]; .../acls/<wwn>: mapped_lun tpg_lun_or_backstore [write_protect]; .../portals: [ip_address] [ip_port]; .../alua: name tag (an ALUA target port group, id 1 to 65535)"),
        ("delete", "delete ...: at a backstore: name [force=true]; /<fabric>: wwn; /iscsi/<wwn>: tag; .../luns: lun [force=true]; .../acls: wwn; .../acls/<wwn>: mapped_lun; .../portals: ip_address ip_port; .../alua: name"),
        ("set", "set attribute|parameter|auth name=value ...; set discovery_auth enable=1 userid=... (at /iscsi); set alua name=value (at an ALUA group: alua_access_state=0..15, preferred, ...; at a LUN: alua_tg_pt_gp_name=GROUP); set global name=value (preferences, see `get global`)"),
        ("get", "get [attribute|parameter|auth|alua|discovery_auth|global] [name ...]"),
        ("enable", "enable / disable: at a TPG"),
        ("info", "info: the kernel's info file of a node"),
        ("status", "status: the current node's summary, as `ls` shows it"),
        ("refresh", "refresh: read the tree again; when the current node was removed (by another tool), move up to the nearest one that exists"),
        ("sessions", "sessions [list|detail] [sid]: the open initiator sessions, by ACL (detail: authentication, mapped LUNs, connections)"),
        ("bookmarks", "bookmarks add NAME | del NAME | go NAME | show: bookmark the current node; @NAME stands for its path anywhere (cd @NAME, @NAME ls); @last is what create made last"),
        ("saveconfig", "saveconfig [savefile]: save the whole configuration (default file keeps rotating backups)"),
        ("restoreconfig", "restoreconfig [savefile] [clear_existing=true | diff=true] [target=WWN] [storage_object=NAME] [progress=true]"),
        ("clearconfig", "clearconfig confirm=true: remove every target and storage object"),
        ("help", "help [command]: what a command does (Tab completes paths, commands and name= parameters)"),
        ("version", "version: targetcli-rs's version"),
        ("exit", "exit: leave the shell (saves the configuration first when the auto_save_on_exit preference is true and you are root)"),
    ];
    match topic {
        Some(t) => all
            .iter()
            .filter(|(n, _)| *n == t)
            .map(|(_, h)| h.to_string())
            .collect(),
        None => all.iter().map(|(_, h)| h.to_string()).collect(),
    }
}
