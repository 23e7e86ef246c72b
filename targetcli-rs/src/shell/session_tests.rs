//! The shell as a session: moving around, looking, preferences, leaving.

use super::*;
use crate::test_tree::{self, IQN};

fn text(sh: &mut Shell, line: &str) -> String {
    match sh.run_line(line) {
        Ok(o) => o.text.join("\n"),
        Err(e) => panic!("{line}: {e}"),
    }
}

fn error(sh: &mut Shell, line: &str) -> String {
    match sh.run_line(line) {
        Ok(o) => panic!("{line} succeeded: {:?}", o.text),
        Err(e) => e.to_string(),
    }
}

#[test]
fn cd_moves_absolute_relative_up_and_home() {
    let (_d, mut sh) = test_tree::shell();
    text(&mut sh, "cd backstores");
    assert_eq!(sh.cwd(), "/backstores");
    text(&mut sh, "cd ramdisk/rd0/");
    assert_eq!(sh.cwd(), "/backstores/ramdisk/rd0");
    text(&mut sh, "cd ..");
    assert_eq!(sh.cwd(), "/backstores/ramdisk");
    assert_eq!(text(&mut sh, "pwd"), "/backstores/ramdisk");
    text(&mut sh, &format!("cd /iscsi/{IQN}/tpg1"));
    assert_eq!(sh.cwd(), format!("/iscsi/{IQN}/tpg1"));
    text(&mut sh, "cd ../../../backstores");
    assert_eq!(sh.cwd(), "/backstores");
    text(&mut sh, "cd");
    assert_eq!(sh.cwd(), "/");
    text(&mut sh, "backstores/ramdisk cd");
    assert_eq!(
        sh.cwd(),
        "/backstores/ramdisk",
        "a relative path as the first word"
    );
    let e = error(&mut sh, "cd nowhere");
    assert!(
        e.contains("/backstores/ramdisk/nowhere does not exist") && e.contains("ls"),
        "{e}"
    );
    assert_eq!(sh.cwd(), "/backstores/ramdisk", "a failed cd stays put");
}

#[test]
fn ls_and_status_work_from_the_current_node() {
    let (_d, mut sh) = test_tree::shell();
    text(&mut sh, "cd /backstores");
    let ls = text(&mut sh, "ls");
    assert!(
        ls.starts_with("o- backstores") && ls.contains("o- rd1"),
        "{ls}"
    );
    assert!(!ls.contains("iscsi"), "{ls}");
    let ls = text(&mut sh, "ls ramdisk depth=0");
    assert_eq!(ls.lines().count(), 1, "{ls}");
    assert_eq!(
        text(&mut sh, "ramdisk/ status"),
        "Status for /backstores/ramdisk: Storage Objects: 2"
    );
    sh.prefs.set("tree_max_depth", "1").unwrap();
    let ls = text(&mut sh, "ls /");
    assert!(
        ls.contains("o- iscsi") && !ls.contains("o- ramdisk"),
        "{ls}"
    );
}

#[test]
fn errors_name_the_problem_and_the_way_out() {
    let (_d, mut sh) = test_tree::shell();
    let e = error(&mut sh, "frobnicate");
    assert!(
        e.contains("unknown command \"frobnicate\"") && e.contains("ls, cd"),
        "{e}"
    );
    let e = error(&mut sh, "help frobnicate");
    assert!(
        e.contains("no help for") && e.contains("commands are"),
        "{e}"
    );
    assert!(text(&mut sh, "help cd").starts_with("cd [path]"));
    assert!(text(&mut sh, "help").lines().count() >= VERBS.len() - 2);
    let e = error(&mut sh, "status now");
    assert!(e.contains("status takes at most 0"), "{e}");
}

#[test]
fn global_preferences_set_get_and_take_effect() {
    let (_d, mut sh) = test_tree::shell();
    let all = text(&mut sh, "get global");
    assert!(
        all.contains("auto_save_on_exit=true") && all.contains("max_backup_files=10"),
        "{all}"
    );
    assert_eq!(
        text(&mut sh, "set global auto_cd_after_create=true"),
        "Parameter auto_cd_after_create is now 'true'."
    );
    assert_eq!(
        text(&mut sh, "get global auto_cd_after_create"),
        "auto_cd_after_create=true"
    );
    let e = error(&mut sh, "get global nope");
    assert!(e.contains("global preference nope does not exist"), "{e}");
    let e = error(&mut sh, "set global auto_use_daemon=true");
    assert!(e.contains("no daemon"), "{e}");

    // auto_cd_after_create (a portal is a plain directory, so the test
    // tree can have one made).
    let portals = format!("/iscsi/{IQN}/tpg1/portals");
    text(&mut sh, &format!("cd {portals}"));
    let out = text(&mut sh, "create 192.0.2.1 3261");
    assert!(
        out.contains(&format!("Entering new node {portals}/192.0.2.1:3261")),
        "{out}"
    );
    assert_eq!(sh.cwd(), format!("{portals}/192.0.2.1:3261"));
}

#[test]
fn leaving_saves_only_when_asked_and_as_root() {
    let (d, mut sh) = test_tree::shell();
    assert!(
        sh.leave(false).unwrap().text.is_empty(),
        "not root: no save"
    );
    let out = sh.leave(true).unwrap().text.join("\n");
    assert!(out.contains("opened with --root"), "{out}");
    sh.save_file = d.path().join("saved.json");
    let out = sh.leave(true).unwrap().text.join("\n");
    assert!(
        out.contains("auto_save_on_exit=true") && out.contains("saved.json"),
        "{out}"
    );
    assert!(sh.save_file.is_file());
    std::fs::remove_file(&sh.save_file).unwrap();
    sh.prefs.set("auto_save_on_exit", "false").unwrap();
    assert!(sh.leave(true).unwrap().text.is_empty());
    assert!(!sh.save_file.exists());
}
