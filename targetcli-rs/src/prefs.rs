//! The `global` preferences of targetcli-fb that mean something here
//! (`set global NAME=VALUE`, `get global`), with targetcli-fb's defaults,
//! kept as JSON in the session directory ([`home_dir`]).
//!
//! targetcli-fb keeps its preferences as a Python pickle (`prefs.bin`); this
//! file is `prefs.json` beside it, so both tools can share `$TARGETCLI_HOME`
//! without touching each other's files. As in targetcli-fb, a change is
//! saved at once. The same file keeps the bookmarks (`bookmarks add`), as
//! targetcli-fb keeps them among its preferences.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::savefile;

/// How a preference's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefType {
    /// true or false.
    Bool,
    /// A number (0 and up).
    Number,
}

/// One preference: name, type, targetcli-fb's default, what it does.
#[derive(Debug)]
pub struct PrefDef {
    /// Its name in `set global`.
    pub name: &'static str,
    /// Its type.
    pub kind: PrefType,
    /// targetcli-fb's default.
    pub default: u64,
    /// What it does.
    pub help: &'static str,
}

const fn def(name: &'static str, kind: PrefType, default: u64, help: &'static str) -> PrefDef {
    PrefDef {
        name,
        kind,
        default,
        help,
    }
}

/// Every preference targetcli-rs honours, sorted by name.
pub const PREFS: &[PrefDef] = &[
    def("auto_add_default_portal", PrefType::Bool, 1, "new iSCSI TPGs get a portal on 0.0.0.0:3260"),
    def("auto_add_mapped_luns", PrefType::Bool, 1, "new LUNs are mapped into every ACL of the TPG, and new ACLs get every LUN (the default of add_mapped_luns=)"),
    def("auto_cd_after_create", PrefType::Bool, 0, "the shell moves to each object it creates"),
    def("auto_enable_tpgt", PrefType::Bool, 1, "new TPGs are enabled"),
    def("auto_save_on_exit", PrefType::Bool, 1, "leaving the shell (exit, Ctrl-D, end of input) as root saves the configuration to the default file"),
    def("export_backstore_name_as_model", PrefType::Bool, 1, "new storage objects report their name as the SCSI model (emulate_model_alias=1)"),
    def("max_backup_files", PrefType::Number, savefile::MAX_BACKUP_FILES as u64, "how many backups of the default save file saveconfig keeps"),
    def("prompt_length", PrefType::Number, 30, "longest path the prompt shows before eliding its middle (0: no limit)"),
    def("tree_max_depth", PrefType::Number, 0, "how deep `ls` goes without depth= (0: no limit)"),
];

/// targetcli-fb preferences that have no meaning here, and why.
const NOT_HERE: &[(&str, &str)] = &[
    (
        "auto_use_daemon",
        "targetcli-rs has no daemon: every command runs directly, and fast",
    ),
    (
        "daemon_use_batch_mode",
        "targetcli-rs has no daemon: use --batch FILE",
    ),
    ("color_mode", "targetcli-rs does not colour its output"),
    ("logfile", "targetcli-rs keeps no log file"),
    ("loglevel_console", "targetcli-rs keeps no log"),
    ("loglevel_file", "targetcli-rs keeps no log"),
];

/// The session directory: `$TARGETCLI_HOME` (as targetcli-fb reads it),
/// else `~/.targetcli-rs`. None when neither can be known.
pub fn home_dir() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("TARGETCLI_HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(h));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".targetcli-rs"))
}

/// The preferences of a session.
#[derive(Debug, Clone, Default)]
pub struct Prefs {
    /// Values set by the user; the rest take their default.
    values: BTreeMap<String, u64>,
    /// Bookmarks: name to node path.
    bookmarks: BTreeMap<String, String>,
    /// Where changes are saved (None: kept in memory).
    file: Option<PathBuf>,
}

impl Prefs {
    /// The preferences saved in `dir/prefs.json` (defaults when the file
    /// does not exist yet); changes are saved there.
    pub fn load(dir: &Path) -> Result<Prefs> {
        let file = dir.join("prefs.json");
        let mut prefs = Prefs {
            file: Some(file.clone()),
            ..Prefs::default()
        };
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(prefs),
            Err(e) => return Err(Error::io("read", &file, e)),
        };
        let bad = |reason: String| {
            Error::invalid(
                "preferences file",
                file.display().to_string(),
                format!("{reason}; fix or remove it to get the defaults back"),
            )
        };
        let map: BTreeMap<String, Value> =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        for (k, v) in map {
            if k == BOOKMARKS_KEY {
                prefs.bookmarks = serde_json::from_value(v)
                    .map_err(|_| bad(format!("{k} is not an object of name: path")))?;
                continue;
            }
            // Names from a newer or older version are skipped, not fatal.
            if let Some(d) = PREFS.iter().find(|d| d.name == k) {
                let n = v
                    .as_u64()
                    .or_else(|| v.as_bool().map(u64::from))
                    .ok_or_else(|| bad(format!("{k} is not a {}", type_name(d.kind))))?;
                prefs.values.insert(k, n);
            }
        }
        Ok(prefs)
    }

    /// The value of a preference by name (None: not one of [`PREFS`]).
    pub fn value(&self, name: &str) -> Option<u64> {
        let d = PREFS.iter().find(|d| d.name == name)?;
        Some(self.values.get(name).copied().unwrap_or(d.default))
    }

    /// A boolean preference.
    pub fn flag(&self, name: &str) -> bool {
        self.value(name).is_some_and(|v| v != 0)
    }

    /// A number preference.
    pub fn number(&self, name: &str) -> u64 {
        self.value(name).unwrap_or(0)
    }

    /// The value as `get global` shows it.
    pub fn display(&self, name: &str) -> Option<String> {
        let d = PREFS.iter().find(|d| d.name == name)?;
        let v = self.value(name)?;
        Some(match d.kind {
            PrefType::Bool => (v != 0).to_string(),
            PrefType::Number => v.to_string(),
        })
    }

    /// Sets a preference from what the user wrote, and saves the file.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let Some(d) = PREFS.iter().find(|d| d.name == name) else {
            if let Some((_, why)) = NOT_HERE.iter().find(|(n, _)| *n == name) {
                return Err(Error::Usage(format!(
                    "global {name} is not supported: {why}"
                )));
            }
            return Err(Error::Usage(format!(
                "unknown global preference {name}; see `get global` (known: {})",
                names().join(", ")
            )));
        };
        let v = match d.kind {
            PrefType::Bool => match value.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => 1,
                "false" | "no" | "off" | "0" => 0,
                _ => return Err(Error::invalid(name, value, "write true or false")),
            },
            PrefType::Number => value
                .parse()
                .map_err(|_| Error::invalid(name, value, "write a number (0 and up)"))?,
        };
        self.values.insert(name.to_string(), v);
        self.save()
    }

    /// The path a bookmark names.
    pub fn bookmark(&self, name: &str) -> Option<&str> {
        self.bookmarks.get(name).map(String::as_str)
    }

    /// Every bookmark, by name.
    pub fn bookmarks(&self) -> &BTreeMap<String, String> {
        &self.bookmarks
    }

    /// Adds a bookmark (refused when the name is taken, as targetcli-fb
    /// does) and saves the file.
    pub fn add_bookmark(&mut self, name: &str, path: &str) -> Result<()> {
        if name.is_empty()
            || name
                .chars()
                .any(|c| c.is_whitespace() || c == '/' || c == '@')
        {
            return Err(Error::invalid(
                "bookmark name",
                name,
                "use letters, digits and . _ : - (no spaces, / or @)",
            ));
        }
        if self.bookmarks.contains_key(name) {
            return Err(Error::exists(
                format!("bookmark {name}"),
                format!("`bookmarks del {name}` first, or pick another name"),
            ));
        }
        self.set_bookmark(name, path)
    }

    /// Sets a bookmark whether or not it exists (the `last` bookmark that
    /// `create` keeps) and saves the file.
    pub fn set_bookmark(&mut self, name: &str, path: &str) -> Result<()> {
        self.bookmarks.insert(name.to_string(), path.to_string());
        self.save()
    }

    /// Deletes a bookmark and saves the file.
    pub fn del_bookmark(&mut self, name: &str) -> Result<()> {
        if self.bookmarks.remove(name).is_none() {
            return Err(Error::not_found(
                format!("bookmark {name}"),
                "see `bookmarks show`",
            ));
        }
        self.save()
    }

    fn save(&self) -> Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        let mut map: BTreeMap<&str, Value> = PREFS
            .iter()
            .filter_map(|d| {
                let v = *self.values.get(d.name)?;
                Some((
                    d.name,
                    match d.kind {
                        PrefType::Bool => Value::Bool(v != 0),
                        PrefType::Number => Value::from(v),
                    },
                ))
            })
            .collect();
        if !self.bookmarks.is_empty() {
            map.insert(
                BOOKMARKS_KEY,
                serde_json::to_value(&self.bookmarks).unwrap_or_default(),
            );
        }
        let text = serde_json::to_string_pretty(&map).unwrap_or_default() + "\n";
        savefile::write_atomic(file, text.as_bytes())
    }
}

/// The key of the bookmarks in `prefs.json`.
const BOOKMARKS_KEY: &str = "bookmarks";

/// The names of every preference, sorted.
pub fn names() -> Vec<&'static str> {
    PREFS.iter().map(|d| d.name).collect()
}

/// The type of a preference, for completion (None: unknown name).
pub fn kind(name: &str) -> Option<PrefType> {
    PREFS.iter().find(|d| d.name == name).map(|d| d.kind)
}

fn type_name(k: PrefType) -> &'static str {
    match k {
        PrefType::Bool => "boolean",
        PrefType::Number => "number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_targetcli_fbs() {
        let p = Prefs::default();
        assert!(p.flag("auto_save_on_exit"));
        assert!(p.flag("auto_add_mapped_luns"));
        assert!(p.flag("auto_enable_tpgt"));
        assert!(p.flag("auto_add_default_portal"));
        assert!(p.flag("export_backstore_name_as_model"));
        assert!(!p.flag("auto_cd_after_create"));
        assert_eq!(p.number("max_backup_files"), 10);
        assert_eq!(p.number("prompt_length"), 30);
        assert_eq!(p.display("auto_save_on_exit").as_deref(), Some("true"));
        assert_eq!(p.value("no_such_pref"), None);
    }

    #[test]
    fn set_checks_values_and_persists() {
        let d = tempfile::tempdir().unwrap();
        let mut p = Prefs::load(d.path()).unwrap();
        p.set("auto_save_on_exit", "false").unwrap();
        p.set("max_backup_files", "3").unwrap();
        let e = p.set("max_backup_files", "many").unwrap_err().to_string();
        assert!(e.contains("write a number"), "{e}");
        let e = p
            .set("auto_cd_after_create", "maybe")
            .unwrap_err()
            .to_string();
        assert!(e.contains("true or false"), "{e}");
        let e = p.set("colour", "1").unwrap_err().to_string();
        assert!(
            e.contains("get global") && e.contains("auto_save_on_exit"),
            "{e}"
        );
        let e = p.set("auto_use_daemon", "true").unwrap_err().to_string();
        assert!(e.contains("no daemon"), "{e}");

        let again = Prefs::load(d.path()).unwrap();
        assert!(!again.flag("auto_save_on_exit"));
        assert_eq!(again.number("max_backup_files"), 3);
        let saved = std::fs::read_to_string(d.path().join("prefs.json")).unwrap();
        assert!(saved.contains("\"auto_save_on_exit\": false"), "{saved}");
    }

    #[test]
    fn bookmarks_persist_beside_the_preferences() {
        let d = tempfile::tempdir().unwrap();
        let mut p = Prefs::load(d.path()).unwrap();
        p.add_bookmark("tpg", "/iscsi/iqn.2003-01.org.example:t1/tpg1")
            .unwrap();
        let e = p.add_bookmark("tpg", "/").unwrap_err().to_string();
        assert!(e.contains("bookmarks del tpg"), "{e}");
        assert!(p.add_bookmark("a b", "/").is_err());
        p.set("tree_max_depth", "2").unwrap();
        let again = Prefs::load(d.path()).unwrap();
        assert_eq!(
            again.bookmark("tpg"),
            Some("/iscsi/iqn.2003-01.org.example:t1/tpg1")
        );
        assert_eq!(again.number("tree_max_depth"), 2);
        let mut again = again;
        again.del_bookmark("tpg").unwrap();
        assert!(again.del_bookmark("tpg").is_err());
        assert!(Prefs::load(d.path()).unwrap().bookmarks().is_empty());
    }

    #[test]
    fn a_broken_file_says_how_to_recover() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("prefs.json"),
            "{\"auto_save_on_exit\": \"x\"}",
        )
        .unwrap();
        let e = Prefs::load(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("not a boolean") && e.contains("remove it"),
            "{e}"
        );
        std::fs::write(d.path().join("prefs.json"), "{\"old_pref\": 1}").unwrap();
        assert!(Prefs::load(d.path()).unwrap().flag("auto_save_on_exit"));
    }
}
