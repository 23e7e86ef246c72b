//! Tab completion for the interactive shell: node paths, verbs, the
//! `name=` parameters of the verb at the node, the names of attributes,
//! parameters, auth settings and global preferences for `set` and `get`,
//! existing objects for `delete`, true/false for flags, file names for
//! `file_or_dev=` and `savefile=`, ALUA settings, bookmarks (`@name`) and
//! the actions of `bookmarks` and `sessions`.

use crate::alua;
use crate::cfs;
use crate::config::ALUA_SETTINGS;
use crate::path;
use crate::prefs::{self, PrefType};
use crate::shell::{
    create_params, delete_params, group_dir, groups_of, Shell, ALUA_LUN_PARAMS,
    RESTORECONFIG_PARAMS, VERBS,
};
use crate::tree::{self, Node, NodeKind};

/// One way to complete the word under the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What the list of choices shows (`ramdisk/`, `size=`).
    pub display: String,
    /// What replaces the word (`/backstores/ramdisk/`, `create `).
    pub replacement: String,
}

/// The completions of the word that ends at the cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    /// Byte offset in the line where the word starts.
    pub start: usize,
    /// The candidates, in the order to show them.
    pub candidates: Vec<Candidate>,
}

impl Completion {
    /// The replacements alone (for tests and simple front ends).
    pub fn replacements(&self) -> Vec<&str> {
        self.candidates
            .iter()
            .map(|c| c.replacement.as_str())
            .collect()
    }
}

/// Parameters that take true or false.
const FLAGS: &[&str] = &[
    "add_mapped_luns",
    "clear_existing",
    "confirm",
    "diff",
    "force",
    "nullio",
    "progress",
    "readonly",
    "sparse",
    "write_back",
    "write_protect",
];

/// Parameters whose value is a file name.
const FILE_VALUED: &[&str] = &["file_or_dev", "savefile"];

/// Parameters whose value is a storage object path.
const BACKSTORE_VALUED: &[&str] = &["storage_object", "tpg_lun_or_backstore"];

/// Completes `line` with the cursor at byte `pos` (clamped to the line).
pub fn complete(shell: &Shell, line: &str, pos: usize) -> Completion {
    let mut pos = pos.min(line.len());
    while !line.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &line[..pos];
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let partial = &before[start..];
    let words: Vec<&str> = before[..start].split_whitespace().collect();
    let Ok(tree) = tree::build(shell.root()) else {
        return Completion {
            start,
            candidates: Vec::new(),
        };
    };
    let cwd = shell.cwd();
    let candidates = match words.split_first() {
        _ if partial.starts_with('@') => bookmarks(shell, partial),
        None if path::is_path(partial) => paths(&tree, cwd, partial),
        None => {
            let mut c = verbs(partial);
            c.extend(paths(&tree, cwd, partial));
            c
        }
        Some((first, rest)) => {
            let (node_path, rest) = if path::is_path(first) {
                (path::resolve(cwd, first), rest)
            } else {
                (cwd.to_string(), &words[..])
            };
            match (tree.find(&node_path), rest.split_first()) {
                (None, _) => Vec::new(),
                (Some(_), None) => verbs(partial),
                (Some((node, _)), Some((verb, args))) => {
                    let at = At {
                        shell,
                        tree: &tree,
                        node,
                        cwd: &node_path,
                    };
                    at.arguments(verb, args, partial)
                }
            }
        }
    };
    Completion { start, candidates }
}

/// Where the command runs, for completing its arguments.
struct At<'a> {
    shell: &'a Shell,
    tree: &'a Node,
    node: &'a Node,
    cwd: &'a str,
}

impl At<'_> {
    fn arguments(&self, verb: &str, args: &[&str], partial: &str) -> Vec<Candidate> {
        if !partial.contains('=') {
            if let Some(name) = self.positional(verb, args) {
                if FILE_VALUED.contains(&name) && !partial.is_empty() {
                    // A file name, or (for a bare word) the name= keys too.
                    let mut c = files(partial);
                    if !partial.contains('/') {
                        let names: &[&str] = match verb {
                            "create" => create_params(&self.node.kind),
                            "saveconfig" => &["savefile"],
                            _ => RESTORECONFIG_PARAMS,
                        };
                        c.extend(keys(names, args, partial));
                    }
                    return c;
                }
            }
        }
        if partial.starts_with('/') && verb != "set" && verb != "get" {
            return match partial.split_once('=') {
                Some(_) => Vec::new(),
                None => paths(self.tree, self.cwd, partial),
            };
        }
        if let Some((key, value)) = partial.split_once('=') {
            return self.value(verb, args, key, value);
        }
        match verb {
            "cd" if args.is_empty() => paths(self.tree, self.cwd, partial),
            "ls" => {
                let mut c = if args.is_empty() {
                    paths(self.tree, self.cwd, partial)
                } else {
                    Vec::new()
                };
                let named: Vec<&str> = args.iter().copied().filter(|a| a.contains('=')).collect();
                c.extend(keys(&["depth"], &named, partial));
                c
            }
            "help" if args.is_empty() => words(VERBS, partial),
            "set" | "get" => self.settings(verb, args, partial),
            "create" => keys(create_params(&self.node.kind), args, partial),
            "delete" => {
                let names = delete_params(&self.node.kind);
                let mut c = Vec::new();
                if args.is_empty() && !matches!(self.node.kind, NodeKind::Portals(_)) {
                    c.extend(self.children(partial, ""));
                }
                c.extend(keys(names, args, partial));
                c
            }
            "bookmarks" => match args {
                [] => words(&["add", "del", "go", "show"], partial),
                ["del" | "go"] => {
                    let names: Vec<&str> = self
                        .shell
                        .prefs
                        .bookmarks()
                        .keys()
                        .map(String::as_str)
                        .collect();
                    words(&names, partial)
                }
                _ => Vec::new(),
            },
            "sessions" if args.is_empty() => words(&["list", "detail"], partial),
            "saveconfig" => keys(&["savefile"], args, partial),
            "restoreconfig" => keys(RESTORECONFIG_PARAMS, args, partial),
            "clearconfig" => keys(&["confirm"], args, partial),
            _ => Vec::new(),
        }
    }

    /// The value after `key=`.
    fn value(&self, verb: &str, args: &[&str], key: &str, value: &str) -> Vec<Candidate> {
        let prefixed = |c: Vec<Candidate>| -> Vec<Candidate> {
            c.into_iter()
                .map(|c| Candidate {
                    display: c.display,
                    replacement: format!("{key}={}", c.replacement),
                })
                .collect()
        };
        let global_bool = matches!(verb, "set")
            && args.first() == Some(&"global")
            && prefs::kind(key) == Some(PrefType::Bool);
        if FLAGS.contains(&key) || global_bool {
            return prefixed(words(&["true", "false"], value));
        }
        if FILE_VALUED.contains(&key) {
            return prefixed(files(value));
        }
        if verb == "set" && args.first() == Some(&"alua") && key == "alua_tg_pt_gp_name" {
            if let NodeKind::Lun(tpg, lun) = &self.node.kind {
                let groups = self
                    .shell
                    .root()
                    .tpg(tpg)
                    .ok()
                    .and_then(|c| c.luns.into_iter().find(|l| l.index == *lun))
                    .and_then(|l| crate::root::SoRef::from_backstore_path(&l.storage_object))
                    .and_then(|so| self.shell.root().alua_groups(&so).ok())
                    .unwrap_or_default();
                let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
                return prefixed(words(&groups, value));
            }
        }
        if BACKSTORE_VALUED.contains(&key) {
            let p = if value.is_empty() { "/" } else { value };
            if p.starts_with('/') {
                return prefixed(paths(self.tree, "/", p))
                    .into_iter()
                    .filter(|c| c.replacement.starts_with(&format!("{key}=/backstores")))
                    .collect();
            }
        }
        if verb == "delete" && delete_params(&self.node.kind).first() == Some(&key) {
            return self.children(value, key);
        }
        Vec::new()
    }

    /// `set GROUP name=value` and `get GROUP name`.
    fn settings(&self, verb: &str, args: &[&str], partial: &str) -> Vec<Candidate> {
        let Some(group) = args.first() else {
            return words(&self.groups(), partial);
        };
        let names: Vec<String> = match *group {
            "global" => prefs::names().into_iter().map(String::from).collect(),
            "discovery_auth" => [
                "enable",
                "userid",
                "password",
                "mutual_userid",
                "mutual_password",
            ]
            .map(String::from)
            .to_vec(),
            "alua" => match (&self.node.kind, verb) {
                (NodeKind::AluaGroup(..), "set") => {
                    ALUA_SETTINGS.iter().map(|n| n.to_string()).collect()
                }
                (NodeKind::AluaGroup(..), _) => alua::group_settings()
                    .into_iter()
                    .map(String::from)
                    .collect(),
                (NodeKind::Lun(..), _) => ALUA_LUN_PARAMS.iter().map(|n| n.to_string()).collect(),
                _ => return Vec::new(),
            },
            "attribute" | "parameter" | "auth" => {
                let sub = match *group {
                    "attribute" => "attrib",
                    "parameter" => "param",
                    _ => "auth",
                };
                let Some(dir) = group_dir(self.shell.root(), self.node) else {
                    return Vec::new();
                };
                let dir = dir.join(sub);
                let files = if verb == "set" {
                    cfs::rw_files(&dir)
                } else {
                    cfs::files(&dir)
                };
                files
                    .into_iter()
                    .map(|f| match f.as_str() {
                        "userid_mutual" if sub == "auth" => "mutual_userid".into(),
                        "password_mutual" if sub == "auth" => "mutual_password".into(),
                        _ => f,
                    })
                    .collect()
            }
            _ => return Vec::new(),
        };
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        if verb == "set" {
            keys(&names, &args[1..], partial)
        } else {
            words(&names, partial)
                .into_iter()
                .filter(|c| !args[1..].contains(&c.display.as_str()))
                .collect()
        }
    }

    /// The groups `set` and `get` take at this node.
    fn groups(&self) -> Vec<&'static str> {
        let mut g = groups_of(self.shell.root(), self.node);
        g.sort_unstable();
        g
    }

    /// The parameter the next positional argument of `verb` fills.
    fn positional(&self, verb: &str, args: &[&str]) -> Option<&'static str> {
        let names: &[&str] = match verb {
            "create" => create_params(&self.node.kind),
            "saveconfig" => &["savefile"],
            "restoreconfig" => RESTORECONFIG_PARAMS,
            _ => return None,
        };
        names
            .get(args.iter().filter(|a| !a.contains('=')).count())
            .copied()
    }

    /// The names of the node's children, as `delete` takes them, each
    /// after `key=` when a key is given.
    fn children(&self, stem: &str, key: &str) -> Vec<Candidate> {
        self.node
            .children
            .iter()
            .filter(|c| c.name.starts_with(stem))
            .map(|c| Candidate {
                display: c.name.clone(),
                replacement: if key.is_empty() {
                    format!("{} ", c.name)
                } else {
                    format!("{key}={} ", c.name)
                },
            })
            .collect()
    }
}

/// `@name` for each bookmark starting with what follows the `@`.
fn bookmarks(shell: &Shell, partial: &str) -> Vec<Candidate> {
    let stem = partial.trim_start_matches('@');
    shell
        .prefs
        .bookmarks()
        .keys()
        .filter(|b| b.starts_with(stem))
        .map(|b| Candidate {
            display: format!("@{b}"),
            replacement: format!("@{b} "),
        })
        .collect()
}

/// File names starting with `partial` (relative to the working
/// directory unless absolute): directories end in `/` and go on, files end
/// the word. Hidden entries show only when asked for with a leading dot.
fn files(partial: &str) -> Vec<Candidate> {
    let (dir, stem) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let Ok(entries) = std::fs::read_dir(if dir.is_empty() { "." } else { dir }) else {
        return Vec::new();
    };
    let mut out: Vec<Candidate> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.starts_with(stem) || (name.starts_with('.') && !stem.starts_with('.')) {
                return None;
            }
            // Follows links, so a link to a directory completes as one.
            let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
            let tail = if is_dir { "/" } else { " " };
            Some(Candidate {
                display: format!("{name}{}", if is_dir { "/" } else { "" }),
                replacement: format!("{dir}{name}{tail}"),
            })
        })
        .collect();
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out
}

/// Verbs starting with `stem`, each followed by a space.
fn verbs(stem: &str) -> Vec<Candidate> {
    VERBS
        .iter()
        .filter(|v| v.starts_with(stem))
        .map(|v| Candidate {
            display: v.to_string(),
            replacement: format!("{v} "),
        })
        .collect()
}

/// Words starting with `stem`, each followed by a space.
fn words(list: &[&str], stem: &str) -> Vec<Candidate> {
    list.iter()
        .filter(|w| w.starts_with(stem))
        .map(|w| Candidate {
            display: w.to_string(),
            replacement: format!("{w} "),
        })
        .collect()
}

/// `name=` for each parameter starting with `stem` that the arguments so
/// far have not given, by name or by position.
fn keys(names: &[&str], args: &[&str], stem: &str) -> Vec<Candidate> {
    let positional = args.iter().filter(|a| !a.contains('=')).count();
    names
        .iter()
        .enumerate()
        .filter(|(i, n)| {
            *i >= positional
                && n.starts_with(stem)
                && !args
                    .iter()
                    .any(|a| a.split_once('=').is_some_and(|(k, _)| k == **n))
        })
        .map(|(_, n)| Candidate {
            display: format!("{n}="),
            replacement: format!("{n}="),
        })
        .collect()
}

/// Nodes whose path starts with `partial` (relative to `cwd` unless it
/// starts with `/`), each with a trailing `/`.
fn paths(tree: &Node, cwd: &str, partial: &str) -> Vec<Candidate> {
    let (dir, stem) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let Some((node, _)) = tree.find(&path::resolve(cwd, dir)) else {
        return Vec::new();
    };
    let mut out: Vec<Candidate> = node
        .children
        .iter()
        .filter(|c| c.name.starts_with(stem))
        .map(|c| Candidate {
            display: format!("{}/", c.name),
            replacement: format!("{dir}{}/", c.name),
        })
        .collect();
    if stem == ".." || (stem == "." && partial == ".") {
        out.push(Candidate {
            display: "../".into(),
            replacement: format!("{dir}../"),
        });
    }
    out
}

#[cfg(test)]
mod tests;
