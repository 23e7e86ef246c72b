//! targetcli's command language: `[path] verb [args] [key=value ...]`,
//! parsed and run against a [`Root`]. The binary only feeds it lines.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::cfs;
use crate::complete::{self, Completion};
use crate::config::{attr_value, Backend, Plugin, StorageObjectConfig};
use crate::error::{Error, Result};
use crate::fabric::Fabric;
use crate::path;
use crate::prefs::{self, Prefs};
use crate::restore::{RestoreMode, RestoreScope};
use crate::root::{Root, SoRef, TpgRef};
use crate::savefile;
use crate::size::parse_size;
use crate::target::canonical_ip;
use crate::tree::{self, Node, NodeKind};

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
    fn msg(s: impl Into<String>) -> Outcome {
        let s = s.into();
        Outcome {
            json: json!({ "message": s }),
            text: vec![s],
            exit: false,
        }
    }
}

/// The verbs, for help and completion.
/// The parameters of `restoreconfig`, in targetcli-fb's order (shared with
/// completion).
pub const RESTORECONFIG_PARAMS: &[&str] = &[
    "savefile",
    "clear_existing",
    "diff",
    "target",
    "storage_object",
    "progress",
];

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
    "saveconfig",
    "restoreconfig",
    "clearconfig",
    "help",
    "version",
    "exit",
];

/// Splits a line into words, honouring single and double quotes and
/// backslash escapes.
pub fn split_words(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') | (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(Error::Usage(format!("unterminated quote in: {line}")));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Parses a command line. A first word starting with '/', '.' or naming a
/// path is the node; then the verb; then arguments.
pub fn parse(line: &str) -> Result<Option<Command>> {
    let line = line.split_once('#').map(|(a, _)| a).unwrap_or(line);
    Ok(parse_words(split_words(line)?))
}

/// Parses a command already split into words (e.g. the program's arguments).
pub fn parse_words(words: Vec<String>) -> Option<Command> {
    let mut it = words.into_iter();
    let first = it.next()?;
    let mut cmd = Command::default();
    if path::is_path(&first) {
        cmd.path = Some(first);
        cmd.verb = it.next().unwrap_or_else(|| "ls".into());
    } else {
        cmd.verb = first;
    }
    for w in it {
        match w.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains('/') => {
                cmd.kwargs.insert(k.to_string(), v.to_string());
            }
            _ => cmd.args.push(w),
        }
    }
    Some(cmd)
}

fn parse_bool(what: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err(Error::invalid(what, v, "write true or false")),
    }
}

/// Named-or-positional parameters of a verb, as targetcli takes them.
struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    fn bind(cmd: &Command, names: &[&str]) -> Result<Params> {
        let mut values = cmd.kwargs.clone();
        if cmd.args.len() > names.len() {
            return Err(Error::Usage(format!(
                "{} takes at most {} positional argument(s) ({}); got: {}",
                cmd.verb,
                names.len(),
                names.join(" "),
                cmd.args.join(" ")
            )));
        }
        for (name, v) in names.iter().zip(&cmd.args) {
            if values.insert(name.to_string(), v.clone()).is_some() {
                return Err(Error::Usage(format!("{name} given twice")));
            }
        }
        if let Some(k) = values.keys().find(|k| !names.contains(&k.as_str())) {
            return Err(Error::Usage(format!(
                "{} does not take {k}=; it takes: {}",
                cmd.verb,
                names.join(" ")
            )));
        }
        Ok(Params { values })
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.values.get(k).map(String::as_str)
    }
    fn need(&self, k: &str, verb: &str) -> Result<&str> {
        self.get(k)
            .ok_or_else(|| Error::Usage(format!("{verb} needs {k}= (see `help {verb}`)")))
    }
    fn flag(&self, k: &str, default: bool) -> Result<bool> {
        self.get(k).map(|v| parse_bool(k, v)).unwrap_or(Ok(default))
    }
    fn num(&self, k: &str, prefix: &str) -> Result<Option<u32>> {
        self.get(k)
            .map(|v| {
                v.strip_prefix(prefix)
                    .unwrap_or(v)
                    .parse()
                    .map_err(|_| Error::invalid(k, v, "expected a number"))
            })
            .transpose()
    }
}

/// A shell session: the tree, the current node, preferences.
#[derive(Debug)]
pub struct Shell {
    root: Root,
    cwd: String,
    /// Where saveconfig writes by default.
    pub save_file: PathBuf,
    /// Width of `ls` lines.
    pub width: usize,
    /// The `global` preferences.
    pub prefs: Prefs,
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
        }
    }

    /// The current node's path.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// The tree under the session.
    pub fn root(&self) -> &Root {
        &self.root
    }

    fn absolute(&self, path: &str) -> String {
        path::resolve(&self.cwd, path)
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
        let tree = tree::build(&self.root)?;
        let path = self.absolute(cmd.path.as_deref().unwrap_or(&self.cwd));
        let (node, canon) = tree
            .find(&path)
            .ok_or_else(|| Error::not_found(format!("path {path}"), "see `ls` for what exists"))?;
        match cmd.verb.as_str() {
            "ls" => {
                let p = Params::bind(cmd, &["path", "depth"])?;
                let (node, _) = match p.get("path") {
                    Some(sub) => {
                        let abs = self.absolute(&format!("{canon}/{sub}"));
                        let abs = if sub.starts_with('/') {
                            sub.to_string()
                        } else {
                            abs
                        };
                        tree.find(&abs)
                            .ok_or_else(|| Error::not_found(format!("path {abs}"), "see `ls /`"))?
                    }
                    None => (node, canon.clone()),
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
            "cd" => {
                let p = Params::bind(cmd, &["path"])?;
                let target = self.absolute(&match p.get("path") {
                    Some(s) if s.starts_with('/') => s.to_string(),
                    Some(s) => format!("{canon}/{s}"),
                    // `PATH cd` goes to PATH; `cd` alone goes home.
                    None if cmd.path.is_some() => canon.clone(),
                    None => "/".into(),
                });
                let (_, c) = tree
                    .find(&target)
                    .ok_or_else(|| Error::not_found(format!("path {target}"), "see `ls`"))?;
                self.cwd = c;
                Ok(Outcome {
                    json: json!({ "path": self.cwd }),
                    ..Outcome::default()
                })
            }
            "pwd" => Ok(Outcome::msg(canon)),
            "status" => {
                Params::bind(cmd, &[])?;
                let m = format!("Status for {canon}: {}", node.summary);
                Ok(Outcome {
                    json: json!({ "path": canon, "summary": node.summary, "healthy": node.ok }),
                    text: vec![m],
                    exit: false,
                })
            }
            "exit" | "quit" => Ok(Outcome {
                exit: true,
                ..Outcome::default()
            }),
            "version" => Ok(Outcome::msg(format!(
                "targetcli-rs version {}",
                env!("CARGO_PKG_VERSION")
            ))),
            "help" => {
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
            "saveconfig" => {
                let p = Params::bind(cmd, &["savefile"])?;
                let file = p
                    .get("savefile")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| self.save_file.clone());
                let backups = usize::try_from(self.prefs.number("max_backup_files"))
                    .unwrap_or(savefile::MAX_BACKUP_FILES);
                self.root.save_to_file(&file, backups)?;
                Ok(Outcome::msg(format!(
                    "Configuration saved to {}",
                    file.display()
                )))
            }
            "restoreconfig" => self.restoreconfig(cmd),
            "clearconfig" => {
                let p = Params::bind(cmd, &["confirm"])?;
                self.root.clear(p.flag("confirm", false)?)?;
                self.cwd = "/".into();
                Ok(Outcome::msg("All configuration cleared"))
            }
            "create" => {
                let mut out = self.create(cmd, node)?;
                if self.prefs.flag("auto_cd_after_create") {
                    if let Some(new) = self.created_node(node, &canon) {
                        out.text.push(format!("Entering new node {new}"));
                        self.cwd = new;
                    }
                }
                Ok(out)
            }
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
            "info" => {
                let dir = node_dir(&self.root, node)
                    .ok_or_else(|| Error::Usage(format!("no info for {canon}")))?;
                let info = cfs::read_opt(&dir.join("info")).unwrap_or_default();
                Ok(Outcome {
                    text: vec![format!("path: {}", dir.display()), info.clone()],
                    json: json!({"path": dir, "info": info}),
                    exit: false,
                })
            }
            other => Err(Error::Usage(format!(
                "unknown command {other:?}; commands are: {}",
                VERBS.join(", ")
            ))),
        }
    }

    /// The path of the object a `create` at `node` (at `canon`) just made:
    /// the child that was not there before, and for a target with TPGs its
    /// first TPG, where targetcli-fb goes.
    fn created_node(&self, node: &Node, canon: &str) -> Option<String> {
        let tree = tree::build(&self.root).ok()?;
        let (now, _) = tree.find(canon)?;
        let new = now
            .children
            .iter()
            .find(|c| !node.children.iter().any(|o| o.name == c.name))?;
        let mut path = path::resolve(canon, &new.name);
        if let (NodeKind::Target(t), Some(tpg)) = (&new.kind, new.children.first()) {
            if t.fabric.tpgts {
                path = path::resolve(&path, &tpg.name);
            }
        }
        Some(path)
    }

    fn set_global(&mut self, cmd: &Command) -> Result<Outcome> {
        let mut text = Vec::new();
        for (k, v) in &cmd.kwargs {
            self.prefs.set(k, v)?;
            text.push(format!("Parameter {k} is now '{v}'."));
        }
        Ok(Outcome {
            json: json!({"message": text.join("\n")}),
            text,
            exit: false,
        })
    }

    fn get_global(&self, wanted: &[String]) -> Result<Outcome> {
        if let Some(w) = wanted.iter().find(|w| self.prefs.value(w).is_none()) {
            return Err(Error::not_found(
                format!("global preference {w}"),
                format!("known ones: {}", prefs::names().join(", ")),
            ));
        }
        let mut map = serde_json::Map::new();
        let mut text = Vec::new();
        for d in prefs::PREFS {
            if !wanted.is_empty() && !wanted.iter().any(|w| w == d.name) {
                continue;
            }
            let v = self.prefs.display(d.name).unwrap_or_default();
            text.push(format!("{}={v}", d.name));
            map.insert(d.name.to_string(), Value::String(v));
        }
        Ok(Outcome {
            text,
            json: Value::Object(map),
            exit: false,
        })
    }

    fn restoreconfig(&mut self, cmd: &Command) -> Result<Outcome> {
        let p = Params::bind(cmd, RESTORECONFIG_PARAMS)?;
        let file = p
            .get("savefile")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.save_file.clone());
        let config = savefile::load(&file)?;
        let mode = match (p.flag("clear_existing", false)?, p.flag("diff", false)?) {
            (true, true) => {
                return Err(Error::Usage(
                    "give clear_existing=true or diff=true, not both".into(),
                ))
            }
            (true, false) => RestoreMode::Replace,
            (false, true) => RestoreMode::Diff,
            (false, false) => RestoreMode::Add,
        };
        let scope = RestoreScope {
            target: p.get("target").map(str::to_string),
            storage_object: p.get("storage_object").map(str::to_string),
        };
        let show = p.flag("progress", false)?;
        let mut steps = 0usize;
        let mut progress = |s: &str| {
            steps += 1;
            if show {
                eprintln!("[{steps}] {s}");
            }
        };
        let r = self.root.restore(&config, mode, &scope, &mut progress)?;
        let m = format!(
            "Configuration restored from {} ({} created, {} changed, {} removed)",
            file.display(),
            r.created,
            r.changed,
            r.removed
        );
        Ok(Outcome {
            json: json!({"message": m, "created": r.created, "changed": r.changed, "removed": r.removed}),
            text: vec![m],
            exit: false,
        })
    }

    fn create(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let root = &self.root;
        match &node.kind {
            NodeKind::Backstore(plugin) => {
                let (backend, name, extra) = backstore_create_args(*plugin, cmd)?;
                let mut attributes = BTreeMap::new();
                if extra.model_alias && self.prefs.flag("export_backstore_name_as_model") {
                    attributes.insert("emulate_model_alias".to_string(), attr_value("1"));
                }
                let so = StorageObjectConfig {
                    name: name.clone(),
                    attributes,
                    alua_tpgs: vec![],
                    backend,
                };
                if let Backend::Fileio { dev, size, .. } = &so.backend {
                    prepare_backing_file(dev, *size, extra.sparse)?;
                }
                root.create_storage_object(&so)?;
                Ok(Outcome::msg(format!(
                    "Created {} storage object {name}.",
                    plugin.name()
                )))
            }
            NodeKind::Fabric(fabric) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let t = root.create_target(fabric, p.get("wwn"))?;
                let mut text = vec![format!("Created target {}.", t.wwn)];
                let made = (|| -> Result<()> {
                    let tpg = root.create_tpg(&t, Some(1))?;
                    text.extend(self.setup_new_tpg(&tpg)?);
                    Ok(())
                })();
                if let Err(e) = made {
                    let _ = root.delete_target(&t);
                    return Err(e);
                }
                Ok(Outcome {
                    json: json!({"message": text.join("\n"), "wwn": t.wwn}),
                    text,
                    exit: false,
                })
            }
            NodeKind::Target(t) if t.fabric.tpgts => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let tpg = root.create_tpg(t, p.num("tag", "tpg")?)?;
                let mut text = vec![format!("Created TPG {}.", tpg.tag)];
                match self.setup_new_tpg(&tpg) {
                    Ok(t) => text.extend(t),
                    Err(e) => {
                        let _ = root.delete_tpg(&tpg);
                        return Err(e);
                    }
                }
                Ok(Outcome {
                    json: json!({"message": text.join("\n"), "tag": tpg.tag}),
                    text,
                    exit: false,
                })
            }
            NodeKind::Luns(tpg) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let so_path = p.need("storage_object", "create")?;
                let so = SoRef::from_backstore_path(so_path).ok_or_else(|| {
                    Error::invalid(
                        "storage_object",
                        so_path,
                        "write /backstores/<plugin>/<name>, e.g. /backstores/ramdisk/rd0",
                    )
                })?;
                if let Ok(cfg) = root.tpg(tpg) {
                    if cfg
                        .luns
                        .iter()
                        .any(|l| l.storage_object == so.backstore_path())
                    {
                        return Err(Error::exists(
                            format!("a LUN for {so} in {tpg}"),
                            "a storage object is exported once per TPG",
                        ));
                    }
                }
                let lun = root.create_lun(tpg, p.num("lun", "lun")?, &so, None)?;
                let mut text = vec![format!("Created LUN {lun}.")];
                if p.flag("add_mapped_luns", self.prefs.flag("auto_add_mapped_luns"))?
                    && tpg.target.fabric.acls
                {
                    for acl in root.tpg(tpg)?.node_acls {
                        let used: Vec<u32> = acl.mapped_luns.iter().map(|m| m.index).collect();
                        let want = if used.contains(&lun) {
                            (0..=255).find(|n| !used.contains(n))
                        } else {
                            Some(lun)
                        };
                        if let Some(m) = want {
                            root.create_mapped_lun(tpg, &acl.node_wwn, m, lun, false, None)?;
                            text.push(format!(
                                "Created LUN {lun}->{m} mapping in node ACL {}",
                                acl.node_wwn
                            ));
                        }
                    }
                }
                Ok(Outcome {
                    json: json!({"message": text.join("\n"), "lun": lun}),
                    text,
                    exit: false,
                })
            }
            NodeKind::Acls(tpg) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let wwn = root.create_acl(tpg, p.need("wwn", "create")?)?;
                let mut text = vec![format!("Created Node ACL for {wwn}")];
                if p.flag("add_mapped_luns", self.prefs.flag("auto_add_mapped_luns"))? {
                    for lun in root.lun_numbers(tpg) {
                        if lun <= crate::target::MAX_MAPPED_LUN {
                            root.create_mapped_lun(tpg, &wwn, lun, lun, false, None)?;
                            text.push(format!("Created Mapped LUN {lun}."));
                        }
                    }
                }
                Ok(Outcome {
                    json: json!({"message": text.join("\n"), "wwn": wwn}),
                    text,
                    exit: false,
                })
            }
            NodeKind::Acl(tpg, wwn) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let m = p.num("mapped_lun", "mapped_lun")?.ok_or_else(|| {
                    Error::Usage("create needs mapped_lun= (see `help create`)".into())
                })?;
                let src = p.need("tpg_lun_or_backstore", "create")?;
                let tpg_lun = match src.strip_prefix("lun").unwrap_or(src).parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => {
                        let so = SoRef::from_backstore_path(src).ok_or_else(|| {
                            Error::invalid(
                                "tpg_lun_or_backstore",
                                src,
                                "write a TPG LUN number or /backstores/<plugin>/<name>",
                            )
                        })?;
                        let existing = root
                            .tpg(tpg)?
                            .luns
                            .into_iter()
                            .find(|l| l.storage_object == so.backstore_path());
                        match existing {
                            Some(l) => l.index,
                            None => root.create_lun(tpg, None, &so, None)?,
                        }
                    }
                };
                root.create_mapped_lun(
                    tpg,
                    wwn,
                    m,
                    tpg_lun,
                    p.flag("write_protect", false)?,
                    None,
                )?;
                Ok(Outcome::msg(format!("Created Mapped LUN {m}.")))
            }
            NodeKind::Portals(tpg) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let port = p.num("ip_port", "")?.unwrap_or(3260);
                let port = u16::try_from(port).map_err(|_| {
                    Error::invalid("ip_port", port.to_string(), "must be 1 to 65535")
                })?;
                let np = root.create_portal(tpg, p.get("ip_address").unwrap_or("0.0.0.0"), port)?;
                Ok(Outcome::msg(format!(
                    "Created network portal {}:{}.",
                    np.ip_address, np.port
                )))
            }
            NodeKind::Alua(so) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let name = p.need("name", "create")?;
                let tag = p
                    .num("tag", "")?
                    .ok_or_else(|| Error::Usage("create needs tag= (1 to 65535)".into()))?;
                let path = root
                    .storage_object_path(so)
                    .ok_or_else(|| Error::not_found(so.to_string(), ""))?;
                let dir = path.join("alua").join(name);
                cfs::mkdir(&dir)?;
                if let Err(e) = cfs::write_named(
                    &dir.join("tg_pt_gp_id"),
                    "tg_pt_gp_id",
                    &tag.to_string(),
                    "the id must be 1 to 65535 and unused",
                ) {
                    let _ = cfs::rmdir(&dir);
                    return Err(e);
                }
                Ok(Outcome::msg(format!("Created ALUA TPG {name}.")))
            }
            _ => Err(Error::Usage(format!(
                "nothing can be created at {}; see `help create`",
                node.name
            ))),
        }
    }

    /// What targetcli-fb does after making a TPG: turn off authentication,
    /// give iSCSI a default portal and enable it (the last two as the
    /// `auto_add_default_portal` and `auto_enable_tpgt` preferences say).
    fn setup_new_tpg(&self, tpg: &TpgRef) -> Result<Vec<String>> {
        let mut text = Vec::new();
        let dir = self.root.tpg_path(tpg);
        if tpg.target.fabric.auth {
            self.root.set_attribute(&dir, "authentication", "0")?;
        }
        if tpg.target.fabric.nps && self.prefs.flag("auto_add_default_portal") {
            match self.root.create_portal(tpg, "0.0.0.0", 3260) {
                Ok(_) => text.push(
                    "Created default portal listening on all IPs (0.0.0.0), port 3260.".into(),
                ),
                Err(_) => text.push(
                    "Default portal not created: TPGs within a target cannot share ip:port.".into(),
                ),
            }
        }
        if self.prefs.flag("auto_enable_tpgt") {
            self.root.set_tpg_enable(tpg, true)?;
        }
        Ok(text)
    }

    fn delete(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let root = &self.root;
        let msg = match &node.kind {
            NodeKind::Backstore(plugin) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let name = p.need("name", "delete")?;
                root.delete_storage_object(&SoRef::new(*plugin, name), p.flag("force", false)?)?;
                format!("Deleted storage object {name}.")
            }
            NodeKind::Fabric(fabric) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let wwn = crate::wwn::normalize(fabric.wwn_types, p.need("wwn", "delete")?)?.0;
                root.delete_target(&crate::root::TargetRef {
                    fabric,
                    wwn: wwn.clone(),
                })?;
                format!("Deleted Target {wwn}.")
            }
            NodeKind::Target(t) if t.fabric.tpgts => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let tag = p
                    .num("tag", "tpg")?
                    .ok_or_else(|| Error::Usage("delete needs tag=".into()))?;
                root.delete_tpg(&TpgRef {
                    target: t.clone(),
                    tag,
                })?;
                format!("Deleted TPGT {tag}.")
            }
            NodeKind::Luns(tpg) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let lun = p
                    .num("lun", "lun")?
                    .ok_or_else(|| Error::Usage("delete needs lun=".into()))?;
                root.delete_lun(tpg, lun, p.flag("force", false)?)?;
                format!("Deleted LUN {lun}.")
            }
            NodeKind::Acls(tpg) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let wwn =
                    crate::wwn::normalize(tpg.target.fabric.wwn_types, p.need("wwn", "delete")?)?.0;
                root.delete_acl(tpg, &wwn)?;
                format!("Deleted Node ACL {wwn}.")
            }
            NodeKind::Acl(tpg, wwn) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let m = p
                    .num("mapped_lun", "mapped_lun")?
                    .ok_or_else(|| Error::Usage("delete needs mapped_lun=".into()))?;
                root.delete_mapped_lun(tpg, wwn, m)?;
                format!("Deleted Mapped LUN {m}.")
            }
            NodeKind::Portals(tpg) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let ip = canonical_ip(p.need("ip_address", "delete")?)?;
                let port = p.num("ip_port", "")?.unwrap_or(3260);
                let port = u16::try_from(port).map_err(|_| {
                    Error::invalid("ip_port", port.to_string(), "must be 1 to 65535")
                })?;
                root.delete_portal(tpg, &ip, port)?;
                format!("Deleted network portal {ip}:{port}")
            }
            NodeKind::Alua(so) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let name = p.need("name", "delete")?;
                if name == "default_tg_pt_gp" {
                    return Err(Error::Usage(
                        "default_tg_pt_gp belongs to the kernel and cannot be deleted".into(),
                    ));
                }
                let path = root
                    .storage_object_path(so)
                    .ok_or_else(|| Error::not_found(so.to_string(), ""))?;
                cfs::rmdir(&path.join("alua").join(name))?;
                format!("Deleted ALUA TPG {name}.")
            }
            _ => {
                return Err(Error::Usage(format!(
                    "nothing can be deleted at {}; see `help delete`",
                    node.name
                )))
            }
        };
        Ok(Outcome::msg(msg))
    }

    fn set(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let group = cmd.args.first().ok_or_else(|| {
            Error::Usage(
                "set needs a group: set attribute|parameter|auth|discovery_auth|global name=value ..."
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
        let mut text = Vec::new();
        if group == "discovery_auth" {
            let NodeKind::Fabric(f) = &node.kind else {
                return Err(Error::Usage("set discovery_auth works on /iscsi".into()));
            };
            let dir = self.root.fabric_path(f).join("discovery_auth");
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
            return Ok(Outcome {
                json: json!({"message": text.join("\n")}),
                text,
                exit: false,
            });
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
                        "unknown group {other:?}: use attribute, parameter, auth, discovery_auth or global"
                    )))
                }
            }
            text.push(format!("Parameter {k} is now '{v}'."));
        }
        Ok(Outcome {
            json: json!({"message": text.join("\n")}),
            text,
            exit: false,
        })
    }

    fn get(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let group = cmd.args.first().map(String::as_str).unwrap_or("attribute");
        if group == "global" {
            return self.get_global(&cmd.args[1..]);
        }
        let sub = match group {
            "attribute" => "attrib",
            "parameter" => "param",
            "auth" => "auth",
            "discovery_auth" => "discovery_auth",
            other => {
                return Err(Error::Usage(format!(
                "unknown group {other:?}: use attribute, parameter, auth, discovery_auth or global"
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
        let mut map = serde_json::Map::new();
        let mut text = Vec::new();
        for name in cfs::files(&dir) {
            if !wanted.is_empty() && !wanted.contains(&name) {
                continue;
            }
            let v = cfs::read_opt(&dir.join(&name)).unwrap_or_else(|| "(write-only)".into());
            text.push(format!("{name}={v}"));
            map.insert(name, Value::String(v));
        }
        if let Some(missing) = wanted.iter().find(|w| !map.contains_key(*w)) {
            return Err(Error::not_found(
                format!("{group} {missing} of {}", node.name),
                format!("see `get {group}`"),
            ));
        }
        Ok(Outcome {
            text,
            json: Value::Object(map),
            exit: false,
        })
    }
}

/// The parameters of `create` at a node, in positional order (empty:
/// nothing can be created there).
pub fn create_params(kind: &NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::Backstore(Plugin::Ramdisk) => &["name", "size", "nullio", "wwn"],
        NodeKind::Backstore(Plugin::Fileio) => {
            &["name", "file_or_dev", "size", "write_back", "sparse", "wwn"]
        }
        NodeKind::Backstore(Plugin::Block) => &["name", "dev", "readonly", "wwn"],
        NodeKind::Backstore(Plugin::Pscsi) => &["name", "dev"],
        NodeKind::Backstore(Plugin::User) => &[
            "name",
            "size",
            "cfgstring",
            "wwn",
            "hw_max_sectors",
            "control",
        ],
        NodeKind::Fabric(_) => &["wwn"],
        NodeKind::Target(t) if t.fabric.tpgts => &["tag"],
        NodeKind::Luns(_) => &["storage_object", "lun", "add_mapped_luns"],
        NodeKind::Acls(_) => &["wwn", "add_mapped_luns"],
        NodeKind::Acl(..) => &["mapped_lun", "tpg_lun_or_backstore", "write_protect"],
        NodeKind::Portals(_) => &["ip_address", "ip_port"],
        NodeKind::Alua(_) => &["name", "tag"],
        _ => &[],
    }
}

/// The parameters of `delete` at a node, in positional order; the first
/// names a child of the node (empty: nothing can be deleted there).
pub fn delete_params(kind: &NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::Backstore(_) => &["name", "force"],
        NodeKind::Fabric(_) | NodeKind::Acls(_) => &["wwn"],
        NodeKind::Target(t) if t.fabric.tpgts => &["tag"],
        NodeKind::Luns(_) => &["lun", "force"],
        NodeKind::Acl(..) => &["mapped_lun"],
        NodeKind::Portals(_) => &["ip_address", "ip_port"],
        NodeKind::Alua(_) => &["name"],
        _ => &[],
    }
}

/// Options of `create` in a backstore that are not storage object settings.
struct CreateExtras {
    model_alias: bool,
    sparse: bool,
}

fn backstore_create_args(plugin: Plugin, cmd: &Command) -> Result<(Backend, String, CreateExtras)> {
    let p = Params::bind(cmd, create_params(&NodeKind::Backstore(plugin)))?;
    let name = p.need("name", "create")?.to_string();
    let wwn = p.get("wwn").map(str::to_string);
    let size = |p: &Params| p.get("size").map(parse_size).transpose();
    let backend = match plugin {
        Plugin::Ramdisk => Backend::Ramdisk {
            wwn,
            size: size(&p)?
                .ok_or_else(|| Error::Usage("create needs size= (e.g. size=1G)".into()))?,
            nullio: p.flag("nullio", false)?,
        },
        Plugin::Fileio => {
            let dev = p.need("file_or_dev", "create")?;
            let dev = std::path::absolute(dev)
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| dev.to_string());
            let mut size = size(&p)?;
            if let Ok(m) = std::fs::metadata(&dev) {
                if m.is_file() {
                    size = Some(m.len());
                } else {
                    size = None;
                }
            } else if size.is_none() {
                return Err(Error::Usage(format!(
                    "{dev} does not exist: give size= to create it"
                )));
            }
            Backend::Fileio {
                wwn,
                dev,
                size,
                write_back: p.flag("write_back", true)?,
                aio: false,
            }
        }
        Plugin::Block => Backend::Block {
            wwn,
            dev: p.need("dev", "create")?.to_string(),
            readonly: p.flag("readonly", false)?,
            write_back: false,
        },
        Plugin::Pscsi => Backend::Pscsi {
            dev: p.need("dev", "create")?.to_string(),
        },
        Plugin::User => Backend::User {
            wwn,
            size: size(&p)?.ok_or_else(|| Error::Usage("create needs size=".into()))?,
            config: Some(p.need("cfgstring", "create")?.to_string()),
            hw_max_sectors: p.num("hw_max_sectors", "")?.map(u64::from),
            control: p.get("control").map(str::to_string),
        },
    };
    let sparse = p.flag("sparse", true)?;
    Ok((
        backend,
        name,
        CreateExtras {
            model_alias: plugin != Plugin::Pscsi,
            sparse,
        },
    ))
}

/// Makes the backing file of a fileio object when it does not exist.
fn prepare_backing_file(dev: &str, size: Option<u64>, sparse: bool) -> Result<()> {
    let path = std::path::Path::new(dev);
    if path.exists() {
        return Ok(());
    }
    let size = size.ok_or_else(|| Error::Usage(format!("{dev} does not exist: give size=")))?;
    let f = std::fs::File::create(path).map_err(|e| Error::io("create", path, e))?;
    let r = if sparse {
        f.set_len(size)
    } else {
        use std::io::Write;
        let zeros = vec![0u8; 1 << 20];
        let mut left = size;
        let mut w = std::io::BufWriter::new(&f);
        let mut res = Ok(());
        while left > 0 && res.is_ok() {
            let n = left.min(zeros.len() as u64) as usize;
            res = w.write_all(&zeros[..n]);
            left -= n as u64;
        }
        res.and_then(|()| w.flush())
    };
    r.map_err(|e| {
        let _ = std::fs::remove_file(path);
        Error::io("size", path, e)
    })
}

fn node_tpg(node: &Node) -> Option<TpgRef> {
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

/// Lines of `help`.
pub fn help_text(topic: Option<&str>) -> Vec<String> {
    let all = [
        ("ls", "ls [path] [depth=N]: the tree under a node, with summaries"),
        ("cd", "cd [path]: move to a node (absolute, relative, .. for the parent; no path: /)"),
        ("pwd", "pwd: the current node's path"),
        ("create", "create ...: at /backstores/ramdisk: name size [nullio] [wwn]; /backstores/fileio: name file_or_dev [size] [write_back] [sparse] [wwn]; /backstores/block: name dev [readonly] [wwn]; /backstores/pscsi: name dev; /backstores/user: name size cfgstring; /<fabric>: [wwn]; /iscsi/<wwn>: [tag]; .../luns: storage_object [lun] [add_mapped_luns]; .../acls: wwn [add_mapped_luns]; .../acls/<wwn>: mapped_lun tpg_lun_or_backstore [write_protect]; .../portals: [ip_address] [ip_port]; .../alua: name tag"),
        ("delete", "delete ...: at a backstore: name [force=true]; /<fabric>: wwn; /iscsi/<wwn>: tag; .../luns: lun [force=true]; .../acls: wwn; .../acls/<wwn>: mapped_lun; .../portals: ip_address ip_port"),
        ("set", "set attribute|parameter|auth name=value ...; set discovery_auth enable=1 userid=... (at /iscsi); set global name=value (preferences, see `get global`)"),
        ("get", "get [attribute|parameter|auth|discovery_auth|global] [name ...]"),
        ("enable", "enable / disable: at a TPG"),
        ("info", "info: the kernel's info file of a node"),
        ("status", "status: the current node's summary, as `ls` shows it"),
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

/// The fabric named by a top-level path component, for callers that parse
/// paths themselves.
pub fn fabric_of(name: &str) -> Option<&'static Fabric> {
    Fabric::by_name(name)
}

#[cfg(test)]
mod session_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            split_words(r#"set auth userid="a b" password='c\'d'"#).unwrap(),
            vec!["set", "auth", "userid=a b", "password=c'd"]
        );
        let e = split_words("set auth userid=\"open")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unterminated quote"), "{e}");
        assert_eq!(
            split_words(r#"a "b c" d\ e ''"#).unwrap(),
            vec!["a", "b c", "d e", ""]
        );
    }

    #[test]
    fn parses_paths_verbs_and_kwargs() {
        let c = parse("/backstores/ramdisk create name=rd0 size=1G # comment")
            .unwrap()
            .unwrap();
        assert_eq!(c.path.as_deref(), Some("/backstores/ramdisk"));
        assert_eq!(c.verb, "create");
        assert_eq!(c.kwargs["name"], "rd0");
        assert_eq!(c.kwargs["size"], "1G");
        let c = parse("/loopback/naa.5001405000000001/luns create /backstores/ramdisk/rd0")
            .unwrap()
            .unwrap();
        assert_eq!(c.args, vec!["/backstores/ramdisk/rd0"]);
        let c = parse("ls").unwrap().unwrap();
        assert_eq!((c.path, c.verb.as_str()), (None, "ls"));
        assert_eq!(parse("/iscsi").unwrap().unwrap().verb, "ls");
        assert!(parse("   # nothing").unwrap().is_none());
    }

    #[test]
    fn binds_positional_and_named_parameters() {
        let c = parse("create rd0 1G nullio=true").unwrap().unwrap();
        let p = Params::bind(&c, &["name", "size", "nullio", "wwn"]).unwrap();
        assert_eq!(p.get("name"), Some("rd0"));
        assert_eq!(p.get("size"), Some("1G"));
        assert!(p.flag("nullio", false).unwrap());
        let c = parse("create rd0 size=1G colour=red").unwrap().unwrap();
        let e = Params::bind(&c, &["name", "size"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("does not take colour=") && e.contains("name size"),
            "{e}"
        );
        let c = parse("create rd0 name=x").unwrap().unwrap();
        assert!(Params::bind(&c, &["name"]).is_err());
        let c = parse("create a b c").unwrap().unwrap();
        assert!(Params::bind(&c, &["name"])
            .err()
            .unwrap()
            .to_string()
            .contains("at most 1"));
    }

    #[test]
    fn backstore_arguments_become_backends() {
        let c = parse("create name=rd0 size=16M nullio=true")
            .unwrap()
            .unwrap();
        let (b, name, _) = backstore_create_args(Plugin::Ramdisk, &c).unwrap();
        assert_eq!(name, "rd0");
        assert_eq!(
            b,
            Backend::Ramdisk {
                wwn: None,
                size: 16 << 20,
                nullio: true
            }
        );
        let c = parse("create name=rd0").unwrap().unwrap();
        assert!(backstore_create_args(Plugin::Ramdisk, &c)
            .err()
            .unwrap()
            .to_string()
            .contains("size="));
        let c = parse("create name=f file_or_dev=/nonexistent/x")
            .unwrap()
            .unwrap();
        assert!(backstore_create_args(Plugin::Fileio, &c)
            .err()
            .unwrap()
            .to_string()
            .contains("give size="));
        let c = parse("create name=rd0 size=lots").unwrap().unwrap();
        assert!(backstore_create_args(Plugin::Ramdisk, &c)
            .err()
            .unwrap()
            .to_string()
            .contains("invalid size"));
    }

    #[test]
    fn booleans() {
        assert!(parse_bool("x", "True").unwrap());
        assert!(!parse_bool("x", "0").unwrap());
        assert!(parse_bool("x", "maybe").is_err());
    }
}
