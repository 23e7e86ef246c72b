//! Low-level configfs file operations: read and write one value, make and
//! remove one directory or link, list a directory. Every error names the
//! path it concerns.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Reads a configfs file, without surrounding white space.
pub fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| Error::io("read", path, e))
}

/// Reads a configfs file if it exists; `None` if it does not or cannot be read.
pub fn read_opt(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

/// Writes `value` to an existing configfs file in a single write(2), as
/// configfs attributes expect.
pub fn write(path: &Path, value: &str) -> Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io("open", path, e))?;
    f.write_all(value.as_bytes())
        .map_err(|e| Error::io("write", path, e))
}

/// Writes an attribute-like value and turns a refusal into
/// [`Error::Refused`], which names the attribute and the value.
pub fn write_named(path: &Path, name: &str, value: &str, hint: &str) -> Result<()> {
    if !path.is_file() {
        return Err(Error::not_found(
            format!("{name} ({})", path.display()),
            hint.to_string(),
        ));
    }
    write(path, value).map_err(|e| match e {
        Error::Io { source, .. } => Error::Refused {
            name: name.to_string(),
            value: value.to_string(),
            path: path.to_path_buf(),
            source,
            hint: hint.to_string(),
        },
        other => other,
    })
}

/// Makes one configfs directory.
pub fn mkdir(path: &Path) -> Result<()> {
    fs::create_dir(path).map_err(|e| Error::io("create", path, e))
}

/// Removes one configfs directory.
pub fn rmdir(path: &Path) -> Result<()> {
    fs::remove_dir(path).map_err(|e| Error::io("remove", path, e))
}

/// Makes a configfs symlink `link` pointing at `target`.
pub fn symlink(target: &Path, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, link).map_err(|e| Error::io("link", link, e))
}

/// Removes a configfs symlink.
pub fn unlink(link: &Path) -> Result<()> {
    fs::remove_file(link).map_err(|e| Error::io("unlink", link, e))
}

/// Names of the subdirectories of `dir`, in the kernel's readdir order
/// (which is the order targetcli-fb saves objects in). Empty if `dir`
/// does not exist.
pub fn subdirs(dir: &Path) -> Vec<String> {
    entries(dir, |ft| ft.is_dir())
}

/// Names of the symlinks in `dir`, in readdir order.
pub fn links(dir: &Path) -> Vec<String> {
    entries(dir, |ft| ft.is_symlink())
}

fn entries(dir: &Path, keep: impl Fn(&fs::FileType) -> bool) -> Vec<String> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|ft| keep(&ft)).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

/// The sorted names of the files in `dir` that the owner can both read and
/// write: the settable attributes or parameters (what targetcli-fb saves).
pub fn rw_files(dir: &Path) -> Vec<String> {
    files_where(dir, |mode| mode & 0o600 == 0o600)
}

/// The sorted names of all regular files in `dir`.
pub fn files(dir: &Path) -> Vec<String> {
    files_where(dir, |_| true)
}

fn files_where(dir: &Path, keep: impl Fn(u32) -> bool) -> Vec<String> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.metadata()
                .map(|m| m.is_file() && keep(m.permissions().mode()))
                .unwrap_or(false)
        })
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// The first of `parents` (subdirectories of `dir`) that holds a directory
/// `name`. Each is looked up relative to `dir`, opened once: two path
/// components a look-up instead of the whole path, which is what a search
/// through a thousand HBAs costs.
pub fn first_holding<'a>(
    dir: &Path,
    parents: impl IntoIterator<Item = &'a str>,
    name: &str,
) -> Option<&'a str> {
    use std::os::fd::AsRawFd;
    let d = fs::File::open(dir).ok()?;
    parents.into_iter().find(|p| {
        let Ok(rel) = std::ffi::CString::new(format!("{p}/{name}")) else {
            return false;
        };
        // SAFETY: zeroed bytes are a valid `stat` (plain integers), which
        // fstatat only writes.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `d` is an open directory for the whole call, `rel` a
        // NUL-terminated string and `st` a `stat` it may write.
        let ok = unsafe { libc::fstatat(d.as_raw_fd(), rel.as_ptr(), &mut st, 0) } == 0;
        ok && st.st_mode & libc::S_IFMT == libc::S_IFDIR
    })
}

/// Resolves a configfs symlink to an absolute, canonical path.
pub fn resolve(link: &Path) -> Option<PathBuf> {
    fs::canonicalize(link).ok()
}
