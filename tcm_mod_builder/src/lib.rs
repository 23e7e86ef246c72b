// SPDX-License-Identifier: GPL-2.0

//! tcm_mod_builder: writes the skeleton of a new tcm-rs fabric module on the
//! fabric SDK (sdk/fabric.rs).
//!
//! [`Plan::new`] checks the request against the checkout and renders the
//! files; [`Plan::apply`] writes them, [`Plan::describe`] shows them
//! (`--dry-run`). The templates are in `templates/`, compiled in.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub mod name;
pub mod render;

pub use name::NameError;

/// The SCSI transport protocols a skeleton can be generated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// iSCSI: `iqn.`, `eui.` and `naa.` names.
    Iscsi,
    /// Fibre Channel: WWPNs.
    Fc,
    /// SAS: `naa.` SAS addresses.
    Sas,
    /// SRP: 128-bit port IDs and GUIDs.
    Srp,
}

impl Protocol {
    /// Every protocol, in the order `--help` lists them.
    pub const ALL: [Protocol; 4] = [Self::Iscsi, Self::Fc, Self::Sas, Self::Srp];

    /// The protocol's usual spelling (`iSCSI`).
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Iscsi => "iSCSI",
            Self::Fc => "FC",
            Self::Sas => "SAS",
            Self::Srp => "SRP",
        }
    }

    /// The indefinite article before the name: "an iSCSI", "a SAS".
    pub fn article(self) -> &'static str {
        match self {
            Self::Sas => "a",
            Self::Iscsi | Self::Fc | Self::Srp => "an",
        }
    }

    /// Lowercase key, used in template names.
    pub fn key(self) -> &'static str {
        match self {
            Self::Iscsi => "iscsi",
            Self::Fc => "fc",
            Self::Sas => "sas",
            Self::Srp => "srp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// A `--proto` value that names no protocol.
#[derive(Debug, thiserror::Error)]
#[error("unknown protocol {0:?}: use one of iSCSI, FC, SAS, SRP")]
pub struct UnknownProtocol(pub String);

impl FromStr for Protocol {
    type Err = UnknownProtocol;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.key().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownProtocol(s.to_owned()))
    }
}

/// Why nothing was (or could be) written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module name is refused.
    #[error("{0}")]
    Name(#[from] NameError),
    /// The root is not a tcm-rs checkout.
    #[error(
        "{} is not a tcm-rs checkout (no Kbuild and sdk/fabric.rs there or above): \
         run in the checkout or pass --root",
        .0.display()
    )]
    NoRoot(PathBuf),
    /// Another module of the checkout has this name.
    #[error(
        "{name:?} is the name of the module built by {}: pick another name",
        kbuild.display()
    )]
    ModuleExists {
        /// The name asked for.
        name: String,
        /// The Kbuild that builds the module of that name.
        kbuild: PathBuf,
    },
    /// The fabric's directory exists and `--force` was not given.
    #[error(
        "{} exists: pick another name, remove it, or pass --force to overwrite its generated files",
        .0.display()
    )]
    Exists(PathBuf),
    /// The directory holds another module, which `--force` does not overwrite.
    #[error(
        "{} holds another module (its Kbuild does not build {}.o): pick another name",
        .0.display(),
        .0.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    )]
    OtherModule(PathBuf),
    /// A template failed to render (a bug of this tool).
    #[error("rendering {0}: {1}")]
    Template(String, String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// What `tcm_mod_builder new` was asked to do.
#[derive(Clone, Debug)]
pub struct Request {
    /// The module's name: its directory, .ko, configfs directory and alias.
    pub name: String,
    /// Its SCSI transport protocol.
    pub protocol: Protocol,
    /// The checkout (or a directory in it).
    pub root: PathBuf,
    /// Overwrite the generated files of an existing directory.
    pub force: bool,
    /// Add the module to the top-level Kbuild.
    pub add_to_kbuild: bool,
}

/// A file to write, relative to the checkout's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// Path relative to the root.
    pub path: PathBuf,
    /// Its contents.
    pub contents: String,
}

/// Checked and rendered: what [`Plan::apply`] writes.
#[derive(Debug)]
pub struct Plan {
    /// The checkout's root.
    pub root: PathBuf,
    /// The module's directory, relative to the root.
    pub dir: PathBuf,
    /// The files of the module.
    pub files: Vec<File>,
    /// The line to append to the top-level Kbuild, if asked for and absent.
    pub kbuild_line: Option<String>,
}

/// The line of the top-level Kbuild that builds fabric `name`.
pub fn kbuild_line(name: &str) -> String {
    format!("obj-m += fabrics/{name}/")
}

/// The checkout that `start` is in: the nearest directory, `start` or above,
/// with a Kbuild and sdk/fabric.rs.
pub fn find_root(start: &Path) -> Result<PathBuf, Error> {
    let start = start.canonicalize().map_err(io_error(start))?;
    start
        .ancestors()
        .find(|d| d.join("Kbuild").is_file() && d.join("sdk/fabric.rs").is_file())
        .map(Path::to_path_buf)
        .ok_or(Error::NoRoot(start))
}

impl Plan {
    /// Checks `req` against the checkout and renders the module's files.
    pub fn new(req: &Request) -> Result<Self, Error> {
        name::check(&req.name)?;
        let root = find_root(&req.root)?;
        let dir = Path::new("fabrics").join(&req.name);
        if let Some(kbuild) = module_built_elsewhere(&root, &req.name, &dir)? {
            return Err(Error::ModuleExists {
                name: req.name.clone(),
                kbuild,
            });
        }
        if root.join(&dir).exists() {
            if !req.force {
                return Err(Error::Exists(root.join(&dir)));
            }
            // --force rewrites a skeleton, never another module's sources.
            let kbuild = root.join(&dir).join("Kbuild");
            if kbuild.is_file() && !kbuild_builds(&kbuild, &req.name)? {
                return Err(Error::OtherModule(root.join(&dir)));
            }
        }
        let files = render::module_files(&req.name, req.protocol)?;
        let mut kbuild_line = None;
        if req.add_to_kbuild {
            let path = root.join("Kbuild");
            let kbuild = fs::read_to_string(&path).map_err(io_error(&path))?;
            let line = self::kbuild_line(&req.name);
            if !kbuild.lines().any(|l| l.trim() == line) {
                kbuild_line = Some(line);
            }
        }
        Ok(Self {
            root,
            dir,
            files,
            kbuild_line,
        })
    }

    /// Writes the files (only those whose contents change, so that a build
    /// of an unchanged module stays up to date) and the Kbuild line.
    pub fn apply(&self) -> Result<(), Error> {
        let dir = self.root.join(&self.dir);
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        for file in &self.files {
            let path = self.root.join(&file.path);
            if fs::read_to_string(&path).is_ok_and(|old| old == file.contents) {
                continue;
            }
            fs::write(&path, &file.contents).map_err(io_error(&path))?;
        }
        if let Some(line) = &self.kbuild_line {
            let path = self.root.join("Kbuild");
            let mut kbuild = fs::read_to_string(&path).map_err(io_error(&path))?;
            if !kbuild.is_empty() && !kbuild.ends_with('\n') {
                kbuild.push('\n');
            }
            kbuild.push_str(line);
            kbuild.push('\n');
            fs::write(&path, kbuild).map_err(io_error(&path))?;
        }
        Ok(())
    }

    /// What [`Plan::apply`] would do, for `--dry-run`: every file in full
    /// and the Kbuild change.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            let path = self.root.join(&file.path);
            out.push_str(&format!("=== would write {}\n", path.display()));
            out.push_str(&file.contents);
        }
        if let Some(line) = &self.kbuild_line {
            let path = self.root.join("Kbuild");
            out.push_str(&format!("=== would append to {}\n{line}\n", path.display()));
        }
        out
    }

    /// What to do next, printed after the files are written.
    pub fn next_steps(&self, name: &str) -> String {
        let kbuild = if self.kbuild_line.is_some() {
            "the top-level Kbuild now lists it".to_owned()
        } else {
            format!(
                "add `{}` to the top-level Kbuild (or pass --add-to-kbuild)",
                kbuild_line(name)
            )
        };
        format!(
            "wrote {dir}/: {kbuild}; `make modules` and `make modules CLIPPY=1` build it;\n\
             `mkdir /sys/kernel/config/target/{name}` loads it in the VM (make vm-shell);\n\
             `grep -n FABRIC-TODO {dir}/*.rs` lists what the transport has to add \
             (Documentation/fabric-writers-guide.md)",
            dir = self.dir.display()
        )
    }
}

/// The Kbuild of the checkout, outside `own_dir`, that builds a module
/// called `name`, if any: the directories the top-level Kbuild lists and
/// every directory under fabrics/ and backstores/.
fn module_built_elsewhere(
    root: &Path,
    name: &str,
    own_dir: &Path,
) -> Result<Option<PathBuf>, Error> {
    let top = root.join("Kbuild");
    let text = fs::read_to_string(&top).map_err(io_error(&top))?;
    let mut dirs: Vec<PathBuf> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("obj-"))
        .flat_map(|l| l.split_whitespace().filter(|w| w.ends_with('/')))
        .map(|d| root.join(d))
        .collect();
    for parent in ["fabrics", "backstores"] {
        let Ok(entries) = fs::read_dir(root.join(parent)) else {
            continue;
        };
        dirs.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
    }
    for dir in dirs {
        let kbuild = dir.join("Kbuild");
        if dir == root.join(own_dir) || !kbuild.is_file() {
            continue;
        }
        if kbuild_builds(&kbuild, name)? {
            return Ok(Some(
                kbuild.strip_prefix(root).unwrap_or(&kbuild).to_path_buf(),
            ));
        }
    }
    Ok(None)
}

/// Whether the Kbuild at `path` builds a module called `name`.
fn kbuild_builds(path: &Path, name: &str) -> Result<bool, Error> {
    let object = format!("{name}.o");
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    Ok(text
        .lines()
        .any(|l| l.trim_start().starts_with("obj-") && l.split_whitespace().any(|w| w == object)))
}
