//! The library's one error type. Every variant says what went wrong and,
//! where there is one, what the person can do next.

use std::io;
use std::path::PathBuf;

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configfs (or file system) operation failed.
    #[error("cannot {op} {}: {source}{}", path.display(), io_hint(source))]
    Io {
        /// What was being done: "create", "write", "read", ...
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The kernel's answer.
        source: io::Error,
    },

    /// The configfs tree is not there.
    #[error("no target configfs tree at {}: {hint}", path.display())]
    NoConfigfs {
        /// Where it was looked for.
        path: PathBuf,
        /// How to get it.
        hint: String,
    },

    /// An object named by the user does not exist.
    #[error("{what} does not exist{}", hint_suffix(hint))]
    NotFound {
        /// The object, e.g. "storage object ramdisk/rd0".
        what: String,
        /// What to do instead (may be empty).
        hint: String,
    },

    /// An object to be created exists already.
    #[error("{what} already exists{}", hint_suffix(hint))]
    Exists {
        /// The object.
        what: String,
        /// What to do instead (may be empty).
        hint: String,
    },

    /// The object is used by others and may not be removed.
    #[error("{what} is in use by {}; {hint}", users.join(", "))]
    InUse {
        /// The object to be removed.
        what: String,
        /// The objects that use it.
        users: Vec<String>,
        /// What to do.
        hint: String,
    },

    /// A value given by the user is not acceptable.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// What the value is for, e.g. "size".
        what: String,
        /// The value given.
        value: String,
        /// Why it is refused and what is accepted.
        reason: String,
    },

    /// The kernel refused a value written to an attribute.
    #[error("the kernel refused {value:?} for {name} ({}): {source}{}", path.display(), hint_suffix(hint))]
    Refused {
        /// The attribute, parameter or control name.
        name: String,
        /// The value written.
        value: String,
        /// The file written.
        path: PathBuf,
        /// The kernel's answer.
        source: io::Error,
        /// What to check (may be empty).
        hint: String,
    },

    /// A saveconfig.json file cannot be used.
    #[error("{}: {reason}", path.display())]
    BadConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong in it.
        reason: String,
    },

    /// A command line or batch line cannot be understood.
    #[error("{0}")]
    Usage(String),

    /// `modprobe` failed.
    #[error("cannot load kernel module {module}: {detail}")]
    Modprobe {
        /// The module.
        module: String,
        /// modprobe's message.
        detail: String,
    },

    /// A restore stopped; what was done was rolled back.
    #[error(
        "restore stopped at {step}: {source}\n{}",
        rollback_note(rolled_back, removed)
    )]
    Restore {
        /// The step that failed, e.g. "create LUN 0 in loopback/naa.x/tpg1".
        step: String,
        /// Why.
        source: Box<Error>,
        /// How many changes were undone.
        rolled_back: usize,
        /// Objects removed before the failure (not undoable).
        removed: Vec<String>,
    },
}

fn hint_suffix(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!("; {hint}")
    }
}

fn io_hint(e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => " (run as root)",
        Some(libc::EBUSY) => " (something still uses it: remove its users first)",
        _ => "",
    }
}

fn rollback_note(rolled_back: &usize, removed: &[String]) -> String {
    let mut s = format!("{rolled_back} change(s) made by this restore were undone");
    if !removed.is_empty() {
        s.push_str(&format!(
            "; these objects had been removed before the failure: {}",
            removed.join(", ")
        ));
    }
    s
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// A "does not exist" error with a hint.
    pub fn not_found(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::NotFound {
            what: what.into(),
            hint: hint.into(),
        }
    }

    /// An "already exists" error with a hint.
    pub fn exists(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Exists {
            what: what.into(),
            hint: hint.into(),
        }
    }

    /// An invalid value.
    pub fn invalid(
        what: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            what: what.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }

    /// The OS error number behind this error, if there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } | Error::Refused { source, .. } => source.raw_os_error(),
            Error::Restore { source, .. } => source.errno(),
            _ => None,
        }
    }
}
