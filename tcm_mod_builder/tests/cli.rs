// SPDX-License-Identifier: GPL-2.0

//! The command line against a scratch checkout: what is written, what is
//! refused (with a non-zero exit and a message), --dry-run, --force and
//! --add-to-kbuild.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const KBUILD: &str = "# top-level\n\nobj-m += target_core/\nobj-m += fabrics/loopback/\n";

/// A checkout with what the tool looks at: the top-level Kbuild, the SDK
/// and the loopback fabric.
fn checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fs::create_dir_all(root.join("sdk")).expect("mkdir");
    fs::create_dir_all(root.join("fabrics/loopback")).expect("mkdir");
    fs::create_dir_all(root.join("target_core")).expect("mkdir");
    fs::write(root.join("Kbuild"), KBUILD).expect("write");
    fs::write(root.join("sdk/fabric.rs"), "// the SDK\n").expect("write");
    fs::write(
        root.join("fabrics/loopback/Kbuild"),
        "obj-m += tcm_rs_loop.o\ntcm_rs_loop-y := loop_main.o\n",
    )
    .expect("write");
    fs::write(root.join("target_core/Kbuild"), "obj-m += tcm_rs_core.o\n").expect("write");
    dir
}

fn run(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tcm_mod_builder"))
        .arg("new")
        .args(["--root", root.to_str().expect("UTF-8 path")])
        .args(args)
        .output()
        .expect("tcm_mod_builder runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `root`, with its contents.
fn tree(root: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                files.push((
                    rel.display().to_string(),
                    fs::read_to_string(&path).expect("read"),
                ));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn writes_the_module() {
    let dir = checkout();
    let root = dir.path();
    let out = run(root, &["--name", "my_fc", "--proto", "fc"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let module = root.join("fabrics/my_fc");
    let main = fs::read_to_string(module.join("my_fc_main.rs")).expect("main written");
    assert!(main.contains("struct MyFcFabric;"));
    assert!(main.contains("alias: [\"tcm_rs_fabric_my_fc\"]"));
    let wwn = fs::read_to_string(module.join("wwn.rs")).expect("wwn.rs written");
    assert!(wwn.contains("pub(crate) const PROTOCOL: &str = \"FC\";"));
    let kbuild = fs::read_to_string(module.join("Kbuild")).expect("Kbuild written");
    assert!(kbuild.contains("obj-m += my_fc.o\n"));
    // The top-level Kbuild only changes when asked.
    assert_eq!(
        fs::read_to_string(root.join("Kbuild")).expect("read"),
        KBUILD
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("--add-to-kbuild"), "{stdout}");
}

#[test]
fn works_from_a_subdirectory_of_the_checkout() {
    let dir = checkout();
    let out = Command::new(env!("CARGO_BIN_EXE_tcm_mod_builder"))
        .args(["new", "--name", "my_sas", "--proto", "SAS"])
        .current_dir(dir.path().join("fabrics"))
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("fabrics/my_sas/my_sas_main.rs").is_file());
}

#[test]
fn adds_to_kbuild_once() {
    let dir = checkout();
    let root = dir.path();
    let args = ["--name", "my_srp", "--proto", "SRP", "--add-to-kbuild"];
    assert!(run(root, &args).status.success());
    let expected = format!("{KBUILD}obj-m += fabrics/my_srp/\n");
    assert_eq!(
        fs::read_to_string(root.join("Kbuild")).expect("read"),
        expected
    );
    let again = run(root, &[&args[..], &["--force"]].concat());
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        fs::read_to_string(root.join("Kbuild")).expect("read"),
        expected
    );
}

#[test]
fn kbuild_without_trailing_newline() {
    let dir = checkout();
    let root = dir.path();
    fs::write(root.join("Kbuild"), "obj-m += target_core/").expect("write");
    assert!(
        run(root, &["--name", "x1", "--proto", "sas", "--add-to-kbuild"])
            .status
            .success()
    );
    assert_eq!(
        fs::read_to_string(root.join("Kbuild")).expect("read"),
        "obj-m += target_core/\nobj-m += fabrics/x1/\n"
    );
}

#[test]
fn dry_run_changes_nothing() {
    let dir = checkout();
    let root = dir.path();
    let before = tree(root);
    let out = run(
        root,
        &[
            "--name",
            "my_iscsi",
            "--proto",
            "iscsi",
            "--dry-run",
            "--add-to-kbuild",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(tree(root), before);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "would write",
        "fabrics/my_iscsi/Kbuild",
        "fabrics/my_iscsi/my_iscsi_main.rs",
        "fabrics/my_iscsi/wwn.rs",
        "struct MyIscsiFabric;",
        "would append to",
        "obj-m += fabrics/my_iscsi/",
        "nothing written",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in {stdout}");
    }
}

#[test]
fn never_overwrites_without_force() {
    let dir = checkout();
    let root = dir.path();
    assert!(run(root, &["--name", "mine", "--proto", "sas"])
        .status
        .success());
    let main = root.join("fabrics/mine/mine_main.rs");
    fs::write(&main, "// my work\n").expect("write");
    let out = run(root, &["--name", "mine", "--proto", "sas"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&main).expect("read"), "// my work\n");
    // An existing directory of another kind of file is refused too.
    fs::create_dir_all(root.join("fabrics/other")).expect("mkdir");
    assert!(!run(root, &["--name", "other", "--proto", "fc"])
        .status
        .success());

    let out = run(root, &["--name", "mine", "--proto", "sas", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::read_to_string(&main)
        .expect("read")
        .contains("MineFabric"));
}

#[test]
fn refuses_bad_input() {
    let dir = checkout();
    let root = dir.path();
    let before = tree(root);
    for (args, message) in [
        (
            &["--name", "2fast", "--proto", "fc"][..],
            "starts with a digit",
        ),
        (&["--name", "My_fc", "--proto", "fc"], "lowercase letters"),
        (&["--name", "my-fc", "--proto", "fc"], "lowercase letters"),
        (
            &["--name", "loopback", "--proto", "sas"],
            "pick another name",
        ),
        (
            &["--name", "iscsi", "--proto", "iscsi"],
            "pick another name",
        ),
        (&["--name", "qla2xxx", "--proto", "fc"], "pick another name"),
        (
            &["--name", "tcm_rs_loop", "--proto", "sas"],
            "fabrics/loopback/Kbuild",
        ),
        (
            &["--name", "tcm_rs_core", "--proto", "sas"],
            "target_core/Kbuild",
        ),
        (
            &["--name", "my_fc", "--proto", "nvme"],
            "use one of iSCSI, FC, SAS, SRP",
        ),
        (&["--name", &"a".repeat(56), "--proto", "fc"], "at most 55"),
    ] {
        let out = run(root, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(tree(root), before, "nothing written");
}

#[test]
fn refuses_a_directory_that_is_not_a_checkout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["--name", "my_fc", "--proto", "fc"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--root"), "{}", stderr(&out));
    assert!(fs::read_dir(dir.path()).expect("read_dir").next().is_none());
}

#[test]
fn missing_arguments_are_usage_errors() {
    let dir = checkout();
    let out = run(dir.path(), &["--name", "my_fc"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--proto"), "{}", stderr(&out));
}
