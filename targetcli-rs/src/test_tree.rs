//! A configfs-like tree in a temporary directory, for host tests of the
//! shell and of completion: two ramdisks and an iSCSI target with one TPG.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::root::Root;
use crate::shell::Shell;

/// The target's WWN.
pub const IQN: &str = "iqn.2003-01.org.example:t1";

/// Writes `rel` under `root` with `mode`, making its directories.
fn file(root: &Path, rel: &str, value: &str, mode: u32) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, value).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A shell at `/` on a new tree (kept while the directory lives).
pub fn shell() -> (tempfile::TempDir, Shell) {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    for so in ["rd0", "rd1"] {
        let dir = format!("core/rd_mcp_0/{so}");
        file(r, &format!("{dir}/attrib/block_size"), "512", 0o644);
        file(r, &format!("{dir}/attrib/emulate_tpu"), "0", 0o644);
        file(r, &format!("{dir}/attrib/hw_block_size"), "512", 0o444);
        file(r, &format!("{dir}/enable"), "1", 0o644);
        std::fs::create_dir_all(r.join(&dir).join("alua")).unwrap();
    }
    let tpg = format!("iscsi/{IQN}/tpgt_1");
    file(r, &format!("{tpg}/attrib/authentication"), "0", 0o644);
    file(
        r,
        &format!("{tpg}/param/MaxRecvDataSegmentLength"),
        "8192",
        0o644,
    );
    file(r, &format!("{tpg}/auth/userid"), "", 0o600);
    file(r, &format!("{tpg}/auth/userid_mutual"), "", 0o600);
    file(r, &format!("{tpg}/enable"), "1", 0o644);
    for sub in ["lun", "acls", "np"] {
        std::fs::create_dir_all(r.join(&tpg).join(sub)).unwrap();
    }
    file(r, "iscsi/discovery_auth/enforce_discovery_auth", "0", 0o644);
    let sh = Shell::new(Root::open(r).unwrap());
    (d, sh)
}
