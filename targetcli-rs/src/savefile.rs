//! Saving the live tree to saveconfig.json and reading such files:
//! `dump` (the tree as [`SaveConfig`]), atomic writes (temporary file,
//! fsync, rename) and targetcli-fb's rotating gzip backups.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::cfs;
use crate::config::{FabricModuleConfig, SaveConfig};
use crate::error::{Error, Result};
use crate::root::Root;

/// Where targetcli-fb keeps its configuration: Debian's path where that
/// directory exists (Debian's boot-time restore reads it), upstream's
/// otherwise.
pub fn default_save_file() -> PathBuf {
    if Path::new("/etc/rtslib-fb-target").is_dir() {
        PathBuf::from("/etc/rtslib-fb-target/saveconfig.json")
    } else {
        PathBuf::from("/etc/target/saveconfig.json")
    }
}

/// How many backups targetcli-fb keeps by default.
pub const MAX_BACKUP_FILES: usize = 10;

impl Root {
    /// The whole live configuration, as targetcli-fb would save it.
    pub fn dump(&self) -> Result<SaveConfig> {
        let storage_objects = self
            .storage_objects()?
            .into_iter()
            .map(|s| s.config)
            .collect();
        let targets = self.targets()?;
        let fabric_modules = self
            .loaded_fabrics()
            .into_iter()
            .filter(|f| f.discovery_auth)
            .filter_map(|f| self.fabric_module(f))
            .filter(|m| m.discovery_enable_auth)
            .collect();
        Ok(SaveConfig {
            fabric_modules,
            storage_objects,
            targets,
        })
    }

    /// The discovery settings of a fabric with discovery_auth.
    pub fn fabric_module(&self, f: &crate::fabric::Fabric) -> Option<FabricModuleConfig> {
        let dir = self.fabric_path(f).join("discovery_auth");
        if !dir.is_dir() {
            return None;
        }
        let get = |n: &str| cfs::read_opt(&dir.join(n)).filter(|v| !v.is_empty() && v != "NULL");
        Some(FabricModuleConfig {
            name: f.name.to_string(),
            discovery_enable_auth: get("enforce_discovery_auth").is_some_and(|v| v != "0"),
            discovery_userid: get("userid"),
            discovery_password: get("password"),
            discovery_mutual_userid: get("userid_mutual"),
            discovery_mutual_password: get("password_mutual"),
        })
    }

    /// Saves the live configuration to `file` atomically; when `file` is the
    /// default one, the previous file is first kept as a gzip backup in
    /// backup/ beside it (at most `max_backups`, oldest removed), as
    /// targetcli-fb does.
    pub fn save_to_file(&self, file: &Path, max_backups: usize) -> Result<()> {
        let text = self.dump()?.to_json();
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        if file == default_save_file() {
            backup(file, max_backups)?;
        }
        write_atomic(file, text.as_bytes())
    }
}

/// Reads and parses a saveconfig.json.
pub fn load(file: &Path) -> Result<SaveConfig> {
    let text = fs::read_to_string(file).map_err(|e| Error::io("read", file, e))?;
    SaveConfig::from_json(&text).map_err(|e| Error::BadConfig {
        path: file.to_path_buf(),
        reason: format!("not a saveconfig.json: {e}"),
    })
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io("create directory", dir, e))?;
    }
    Ok(())
}

/// Writes `data` to `file` so that a crash leaves either the old or the
/// new file, never a mix: a private temporary file in the same directory,
/// fsync, rename, fsync of the directory.
pub fn write_atomic(file: &Path, data: &[u8]) -> Result<()> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .ok_or_else(|| Error::invalid("file name", file.display().to_string(), "not a file"))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| Error::io("create", &tmp, e))?;
        f.write_all(data).map_err(|e| Error::io("write", &tmp, e))?;
        f.sync_all().map_err(|e| Error::io("fsync", &tmp, e))?;
        fs::rename(&tmp, file).map_err(|e| Error::io("rename into place", file, e))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Keeps a gzip copy of `file` in backup/ beside it, unless the newest
/// backup already has the same content, and removes the oldest beyond
/// `max`. Names sort by time: saveconfig-YYYYmmdd-HH:MM:SS-json.gz.
pub fn backup(file: &Path, max: usize) -> Result<Option<PathBuf>> {
    let Some(dir) = file.parent() else {
        return Ok(None);
    };
    let backup_dir = dir.join("backup");
    create_private_dir(&backup_dir)?;
    let Ok(current) = fs::read(file) else {
        return Ok(None);
    };
    let mut backups = list_backups(&backup_dir);
    if let Some(newest) = backups.last() {
        if read_maybe_gz(newest).as_deref() == Some(current.as_slice()) {
            return Ok(None);
        }
    }
    let name = format!("saveconfig-{}-json.gz", timestamp());
    let path = backup_dir.join(name);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&current)
        .map_err(|e| Error::io("compress", file, e))?;
    let data = gz.finish().map_err(|e| Error::io("compress", file, e))?;
    write_atomic(&path, &data)?;
    let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o600));
    if !backups.contains(&path) {
        backups.push(path.clone());
    }
    backups.sort();
    let excess = backups.len().saturating_sub(max.max(1));
    for old in &backups[..excess] {
        let _ = fs::remove_file(old);
    }
    Ok(Some(path))
}

/// The backups in `dir`, oldest first.
pub fn list_backups(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("saveconfig-") && n.contains("json"))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn read_maybe_gz(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let data = fs::read(path).ok()?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data.as_slice())
            .read_to_end(&mut out)
            .ok()?;
        Some(out)
    } else {
        Some(data)
    }
}

/// Local time as YYYYmmdd-HH:MM:SS.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as libc::time_t)
        .unwrap_or(0);
    // SAFETY: tm is plain old data that localtime_r fills in; both pointers
    // are valid for the call.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&now, &mut tm);
        tm
    };
    format!(
        "{:04}{:02}{:02}-{:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("saveconfig.json");
        write_atomic(&f, b"one").unwrap();
        write_atomic(&f, b"two").unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"two");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn backups_rotate_and_skip_duplicates() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("saveconfig.json");
        let bdir = d.path().join("backup");
        fs::write(&f, "v1").unwrap();
        assert!(backup(&f, 3).unwrap().is_some());
        // Same content again: no new backup.
        assert!(backup(&f, 3).unwrap().is_none());
        assert_eq!(list_backups(&bdir).len(), 1);
        // Fake older backups to check rotation without sleeping.
        for (i, name) in ["saveconfig-20000101-00:00:0", "saveconfig-20000102-00:00:0"]
            .iter()
            .enumerate()
        {
            fs::write(bdir.join(format!("{name}{i}-json.gz")), b"x").unwrap();
        }
        fs::write(&f, "v2").unwrap();
        // (v2's backup may replace v1's when both fall in the same second.)
        backup(&f, 2).unwrap().unwrap();
        let left = list_backups(&bdir);
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(!left[0].to_string_lossy().contains("20000101"));
        assert_eq!(read_maybe_gz(left.last().unwrap()).unwrap(), b"v2");
    }

    #[test]
    fn bad_files_are_reported_with_their_path() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("bad.json");
        fs::write(&f, "{\"targets\": 3}").unwrap();
        let e = load(&f).unwrap_err().to_string();
        assert!(
            e.contains("bad.json") && e.contains("not a saveconfig.json"),
            "{e}"
        );
    }
}
