//! targetcli's command language: `[path] verb [args] [key=value ...]`,
//! parsed and run against a [`Root`]. The binary only feeds it lines.
//!
//! One file a concern: `parse` (words, commands, parameters), `look` (`ls`,
//! `cd`, `info`, `help`, `refresh`), `history` (`cd <`, `cd >`),
//! `create` and `delete` (the
//! objects at each node), `settings` (`set`/`get` of attributes,
//! parameters, auth, ALUA and preferences), `saving` (`saveconfig`,
//! `restoreconfig`, `clearconfig`), `sessions` and `bookmarks`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::complete::{self, Completion};
use crate::error::{Error, Result};
use crate::fabric::Fabric;
use crate::path;
use crate::prefs::Prefs;
use crate::root::{Root, TpgRef};
use crate::savefile;
use crate::tree::{self, Node, NodeKind};

mod bookmarks;
mod create;
mod delete;
mod history;
mod look;
mod parse;
mod saving;
mod sessions;
mod settings;

pub use create::create_params;
pub use delete::delete_params;
pub use look::help_text;
pub use parse::{parse, parse_words, split_words};
pub use saving::RESTORECONFIG_PARAMS;
pub use settings::ALUA_LUN_PARAMS;
pub(crate) use settings::{group_dir, groups_of};

use parse::Params;

/// One parsed command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    /// The node it runs on (None: the current one).
    pub path: Option<String>,
    /// The verb.
    pub verb: String,
    /// Positional arguments.
    pub args: Vec<String>,
    /// key=value arguments.
    pub kwargs: BTreeMap<String, String>,
}

impl Command {
    /// `cd` with nothing after it: the interactive shell lets the user
    /// pick a node from the tree; elsewhere it goes to `/`.
    pub fn is_bare_cd(&self) -> bool {
        self.verb == "cd" && self.path.is_none() && self.args.is_empty() && self.kwargs.is_empty()
    }
}

/// What a command produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Lines for a person.
    pub text: Vec<String>,
    /// The same for a script (`--json`).
    pub json: Value,
    /// The shell should leave.
    pub exit: bool,
}

impl Outcome {
    /// One message.
    fn msg(s: impl Into<String>) -> Outcome {
        let s = s.into();
        Outcome {
            json: json!({ "message": s }),
            text: vec![s],
            exit: false,
        }
    }

    /// Several message lines; `extra` (a JSON object, or null) adds keys
    /// beside `message` for scripts.
    fn lines(text: Vec<String>, extra: Value) -> Outcome {
        let mut json = json!({ "message": text.join("\n") });
        if let (Some(o), Value::Object(e)) = (json.as_object_mut(), extra) {
            o.extend(e);
        }
        Outcome {
            text,
            json,
            exit: false,
        }
    }
}

/// The verbs, for help and completion.
pub const VERBS: &[&str] = &[
    "ls",
    "cd",
    "pwd",
    "create",
    "delete",
    "set",
    "get",
    "enable",
    "disable",
    "info",
    "status",
    "refresh",
    "sessions",
    "bookmarks",
    "saveconfig",
    "restoreconfig",
    "clearconfig",
    "help",
    "version",
    "exit",
];

/// A shell session: the tree, the current node, preferences.
#[derive(Debug)]
pub struct Shell {
    root: Root,
    cwd: String,
    /// Where saveconfig writes by default.
    pub save_file: PathBuf,
    /// Width of `ls` lines.
    pub width: usize,
    /// The `global` preferences (and the bookmarks).
    pub prefs: Prefs,
    /// Where `cd` went, for `cd <` and `cd >`.
    history: history::PathHistory,
}

impl Shell {
    /// A session on `root`, at "/".
    pub fn new(root: Root) -> Shell {
        Shell {
            root,
            cwd: "/".into(),
            save_file: savefile::default_save_file(),
            width: 80,
            prefs: Prefs::default(),
            history: history::PathHistory::default(),
        }
    }

    /// The current node's path.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// Moves to `canon` (a node's canonical path), recording the move in
    /// the path history as configshell-fb's `cd` does.
    fn go(&mut self, canon: String) {
        self.history.visit(&self.cwd, &canon);
        self.cwd = canon;
    }

    /// The whole tree as `ls /` draws it, one line a node, each with its
    /// path, and the index of the current node's line: what the
    /// interactive shell's `cd` without a path picks from.
    pub fn tree_lines(&self) -> Result<(Vec<(String, String)>, usize)> {
        let lines = tree::build(&self.root)?.lines(None, self.width);
        let at = lines.iter().position(|(_, p)| *p == self.cwd).unwrap_or(0);
        Ok((lines, at))
    }

    /// The tree under the session.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// `path` made absolute from the current node; `@name` is a bookmark.
    fn absolute(&self, path: &str) -> Result<String> {
        match path.strip_prefix('@') {
            Some(name) => self
                .prefs
                .bookmark(name)
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::not_found(
                        format!("bookmark {name}"),
                        "see `bookmarks show`; `bookmarks add NAME` marks the current node",
                    )
                }),
            None => Ok(path::resolve(&self.cwd, path)),
        }
    }

    /// `path` (absolute, relative to `canon`, or a bookmark) made absolute.
    fn absolute_from(&self, canon: &str, path: &str) -> Result<String> {
        if path.starts_with('/') || path.starts_with('@') {
            self.absolute(path)
        } else {
            self.absolute(&format!("{canon}/{path}"))
        }
    }

    /// Completions of `line` with the cursor at byte `pos`, for the
    /// interactive shell (see [`complete`]).
    pub fn complete(&self, line: &str, pos: usize) -> Completion {
        complete::complete(self, line, pos)
    }

    /// What leaving the interactive shell does, as in targetcli-fb: when
    /// the `auto_save_on_exit` preference is true and the user is root,
    /// save the configuration to the save file. A tree opened by path
    /// (`--root`, a copy) is saved only to a file named with `--savefile`,
    /// never to the system's default file.
    pub fn leave(&mut self, as_root: bool) -> Result<Outcome> {
        if !self.prefs.flag("auto_save_on_exit") || !as_root {
            return Ok(Outcome::default());
        }
        if !self.root.may_load_modules() && self.save_file == savefile::default_save_file() {
            return Ok(Outcome::msg(
                "Not saving on exit: this tree was opened with --root; give --savefile to save it",
            ));
        }
        let mut out = self.run(&Command {
            verb: "saveconfig".into(),
            ..Command::default()
        })?;
        out.text
            .insert(0, "Global pref auto_save_on_exit=true".into());
        Ok(out)
    }

    /// Runs one command line (empty lines and comments do nothing).
    pub fn run_line(&mut self, line: &str) -> Result<Outcome> {
        match parse(line)? {
            None => Ok(Outcome::default()),
            Some(cmd) => self.run(&cmd),
        }
    }

    /// Runs one parsed command.
    pub fn run(&mut self, cmd: &Command) -> Result<Outcome> {
        // `refresh` repairs a current node that vanished under the shell,
        // so it runs before the node is looked up.
        if cmd.verb == "refresh" {
            Params::bind(cmd, &[])?;
            return self.refresh();
        }
        let path = self.absolute(cmd.path.as_deref().unwrap_or(&self.cwd))?;
        let not_found = || {
            let hint = if cmd.path.is_none() {
                "the current node was removed under the shell: `refresh` moves up to what exists"
            } else {
                "see `ls` for what exists"
            };
            Error::not_found(format!("path {path}"), hint)
        };
        // Only `ls` and `status` show what the whole tree's reading gives
        // (summaries, subtrees); every other command needs the node's kind
        // alone, which `locate` finds by name along the path. A command's
        // cost then grows little with the objects elsewhere.
        if matches!(cmd.verb.as_str(), "ls" | "status") {
            let tree = tree::build(&self.root)?;
            let (node, canon) = tree.find(&path).ok_or_else(not_found)?;
            if cmd.verb == "ls" {
                return self.ls(cmd, &tree, node, &canon);
            }
            Params::bind(cmd, &[])?;
            let m = format!("Status for {canon}: {}", node.summary);
            return Ok(Outcome {
                json: json!({ "path": canon, "summary": node.summary, "healthy": node.ok }),
                text: vec![m],
                exit: false,
            });
        }
        let (node, canon) = tree::locate(&self.root, &path).ok_or_else(not_found)?;
        let node = &node;
        match cmd.verb.as_str() {
            "cd" => self.cd(cmd, &canon),
            "pwd" => Ok(Outcome::msg(canon)),
            "exit" | "quit" => Ok(Outcome {
                exit: true,
                ..Outcome::default()
            }),
            "version" => Ok(Outcome::msg(format!(
                "targetcli-rs version {}",
                env!("CARGO_PKG_VERSION")
            ))),
            "help" => look::help(cmd),
            "info" => self.info(node, &canon),
            "sessions" => self.sessions_cmd(cmd),
            "bookmarks" => self.bookmarks(cmd, &canon),
            "saveconfig" => self.saveconfig(cmd),
            "restoreconfig" => self.restoreconfig(cmd),
            "clearconfig" => self.clearconfig(cmd),
            "create" => self.create(cmd, node, &canon),
            "delete" => self.delete(cmd, node),
            "set" => self.set(cmd, node),
            "get" => self.get(cmd, node),
            "enable" | "disable" => {
                let tpg = node_tpg(node).ok_or_else(|| {
                    Error::Usage(format!("{} works on a TPG, not {canon}", cmd.verb))
                })?;
                self.root.set_tpg_enable(&tpg, cmd.verb == "enable")?;
                Ok(Outcome::msg(format!(
                    "{}d TPG {tpg}.",
                    if cmd.verb == "enable" {
                        "Enable"
                    } else {
                        "Disable"
                    }
                )))
            }
            other => Err(Error::Usage(format!(
                "unknown command {other:?}; commands are: {}",
                VERBS.join(", ")
            ))),
        }
    }
}

/// The TPG a node stands for: a TPG, or a target of a fabric with a single
/// TPG.
pub(crate) fn node_tpg(node: &Node) -> Option<TpgRef> {
    match &node.kind {
        NodeKind::Tpg(t) => Some(t.clone()),
        NodeKind::Target(t) if !t.fabric.tpgts => Some(TpgRef {
            target: t.clone(),
            tag: 1,
        }),
        _ => None,
    }
}

/// The configfs directory holding a node's attrib/, param/ and auth/.
pub(crate) fn node_dir(root: &Root, node: &Node) -> Option<PathBuf> {
    match &node.kind {
        NodeKind::StorageObject(so) => root.storage_object_path(so),
        NodeKind::Acl(tpg, wwn) => Some(root.acl_path(tpg, wwn)),
        NodeKind::Lun(tpg, lun) => Some(root.lun_path(tpg, *lun)),
        NodeKind::AluaGroup(so, g) => root.storage_object_path(so).map(|p| p.join("alua").join(g)),
        _ => node_tpg(node).map(|t| {
            // A single-TPG target stands for its only TPG, whatever its tag.
            let tags = root.tpgs_of(&t.target);
            let tag = tags.first().map(|x| x.tag).unwrap_or(t.tag);
            root.tpg_path(&TpgRef {
                target: t.target,
                tag: if matches!(node.kind, NodeKind::Tpg(_)) {
                    t.tag
                } else {
                    tag
                },
            })
        }),
    }
}

/// The fabric named by a top-level path component, for callers that parse
/// paths themselves.
pub fn fabric_of(name: &str) -> Option<&'static Fabric> {
    Fabric::by_name(name)
}

#[cfg(test)]
mod session_tests;
