//! Persistent reservations that survive a restart (APTPL): the kernel
//! writes each device's registrations to `<dbroot>/pr/aptpl_<unit serial>`;
//! when a storage object is configured again, each registration of that
//! file is written back to the device's `pr/res_aptpl_metadata`, exactly as
//! rtslib-fb's `StorageObject._config_pr_aptpl` does (targetcli-fb
//! restoreconfig, target.service at boot).

use std::path::{Path, PathBuf};

use crate::cfs;
use crate::error::Result;

/// The APTPL file of the device with unit serial `serial`.
pub fn file_path(dbroot: &str, serial: &str) -> PathBuf {
    Path::new(dbroot).join("pr").join(format!("aptpl_{serial}"))
}

/// The registrations of an APTPL file as `res_aptpl_metadata` takes them:
/// rtslib's reading, token for token. The text is split at white space; a
/// file whose first token is not `PR_REG_START:` has none ("No
/// Registrations or Reservations"); the tokens between `PR_REG_START:` and
/// `PR_REG_END:` (the block number after `PR_REG_START:` included, which
/// the kernel ignores) are joined with commas.
pub fn records(text: &str) -> Vec<String> {
    let mut tokens = text
        .split(|c: char| c.is_whitespace())
        .filter(|t| !t.is_empty());
    let mut out = Vec::new();
    match tokens.next() {
        Some(first) if first.starts_with("PR_REG_START:") => {}
        _ => return out,
    }
    let mut current: Vec<&str> = Vec::new();
    for t in tokens {
        if t.starts_with("PR_REG_START:") {
            current.clear();
        } else if t.starts_with("PR_REG_END:") {
            out.push(current.join(","));
            current.clear();
        } else {
            current.push(t);
        }
    }
    out
}

/// Restores the APTPL registrations of the device at `so_path` (configfs)
/// whose unit serial is `serial`, from `<dbroot>/pr`: nothing if the file
/// does not exist or cannot be read (as rtslib); a registration the kernel
/// refuses is an error. Returns how many were written.
pub fn restore(so_path: &Path, dbroot: &str, serial: &str) -> Result<usize> {
    let Ok(bytes) = std::fs::read(file_path(dbroot, serial)) else {
        return Ok(0);
    };
    let recs = records(&String::from_utf8_lossy(&bytes));
    for r in &recs {
        cfs::write_named(
            &so_path.join("pr/res_aptpl_metadata"),
            "pr/res_aptpl_metadata",
            r,
            "the kernel refused a registration of the APTPL file; see dmesg",
        )?;
    }
    Ok(recs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// LIO's file for a holder and a second registrant, with its NUL.
    const FILE: &str = "PR_REG_START: 0\ninitiator_fabric=loopback\n\
        initiator_node=naa.5001405000000042\nsa_res_key=161\nres_holder=1\nres_type=01\n\
        res_scope=00\nres_all_tg_pt=0\nmapped_lun=0\ntarget_fabric=loopback\n\
        target_node=naa.5001405000000041\ntpgt=1\nport_rtpi=1\ntarget_lun=0\nPR_REG_END: 0\n\
        PR_REG_START: 1\ninitiator_fabric=loopback\ninitiator_node=naa.5001405000000043\n\
        sa_res_key=177\nres_holder=0\nres_all_tg_pt=0\nmapped_lun=0\n\
        target_fabric=loopback\ntarget_node=naa.5001405000000041\ntpgt=2\nport_rtpi=2\n\
        target_lun=0\nPR_REG_END: 1\n\0";

    #[test]
    fn two_registrations_as_rtslib_joins_them() {
        let r = records(FILE);
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0],
            "0,initiator_fabric=loopback,initiator_node=naa.5001405000000042,\
             sa_res_key=161,res_holder=1,res_type=01,res_scope=00,res_all_tg_pt=0,\
             mapped_lun=0,target_fabric=loopback,target_node=naa.5001405000000041,\
             tpgt=1,port_rtpi=1,target_lun=0"
        );
        assert!(
            r[1].starts_with("1,initiator_fabric=loopback,initiator_node=naa.5001405000000043,")
        );
        assert!(r[1].ends_with(",tpgt=2,port_rtpi=2,target_lun=0"));
    }

    #[test]
    fn no_registrations() {
        assert!(records("No Registrations or Reservations\0").is_empty());
        assert!(records("No Registrations or Reservations\n\0").is_empty());
        assert!(records("").is_empty());
        assert!(records("\0").is_empty());
    }

    #[test]
    fn an_unterminated_block_is_dropped() {
        let r = records(
            "PR_REG_START: 0\nsa_res_key=1\nPR_REG_END: 0\nPR_REG_START: 1\nsa_res_key=2\n",
        );
        assert_eq!(r, vec!["0,sa_res_key=1".to_string()]);
    }

    #[test]
    fn restore_writes_each_registration() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("db");
        std::fs::create_dir_all(db.join("pr")).unwrap();
        std::fs::write(db.join("pr/aptpl_ser1"), FILE).unwrap();
        let so = d.path().join("so");
        std::fs::create_dir_all(so.join("pr")).unwrap();
        std::fs::write(so.join("pr/res_aptpl_metadata"), "").unwrap();
        let db = db.to_str().unwrap();
        assert_eq!(restore(&so, db, "ser1").unwrap(), 2);
        // A plain file keeps the last write (configfs takes each one).
        let last = std::fs::read_to_string(so.join("pr/res_aptpl_metadata")).unwrap();
        assert!(last.starts_with("1,initiator_fabric=loopback,"));
        // No file: nothing, and no error.
        assert_eq!(restore(&so, db, "other").unwrap(), 0);
    }

    #[test]
    fn a_refusal_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("pr")).unwrap();
        std::fs::write(d.path().join("pr/aptpl_s"), FILE).unwrap();
        // No res_aptpl_metadata to write to.
        let so = d.path().join("so");
        assert!(restore(&so, d.path().to_str().unwrap(), "s").is_err());
    }
}
