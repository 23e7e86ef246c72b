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
fn cd_back_and_forward_walk_the_path_history() {
    let (_d, mut sh) = test_tree::shell();
    assert_eq!(text(&mut sh, "cd <"), "Reached begining of path history.");
    assert_eq!(text(&mut sh, "cd >"), "Reached the end of path history.");
    text(&mut sh, "cd /backstores");
    text(&mut sh, "cd ramdisk/rd0");
    assert_eq!(text(&mut sh, "cd <"), "Taking you back to /backstores.");
    assert_eq!(sh.cwd(), "/backstores");
    assert_eq!(text(&mut sh, "cd <"), "Taking you back to /.");
    assert_eq!(sh.cwd(), "/");
    assert_eq!(text(&mut sh, "cd <"), "Reached begining of path history.");
    assert_eq!(sh.cwd(), "/");
    assert_eq!(text(&mut sh, "cd >"), "Taking you back to /backstores.");
    assert_eq!(
        text(&mut sh, "cd >"),
        "Taking you back to /backstores/ramdisk/rd0."
    );
    assert_eq!(sh.cwd(), "/backstores/ramdisk/rd0");
    assert_eq!(text(&mut sh, "cd >"), "Reached the end of path history.");
    // A cd drops what lies ahead; bookmarks go and `cd` alone count too.
    text(&mut sh, "cd <");
    text(&mut sh, "bookmarks add here");
    text(&mut sh, "cd /iscsi");
    text(&mut sh, "bookmarks go here");
    assert_eq!(sh.cwd(), "/backstores");
    text(&mut sh, "cd");
    assert_eq!(text(&mut sh, "cd >"), "Reached the end of path history.");
    assert_eq!(text(&mut sh, "cd <"), "Taking you back to /backstores.");
    assert_eq!(text(&mut sh, "cd <"), "Taking you back to /iscsi.");
    assert_eq!(text(&mut sh, "cd <"), "Taking you back to /backstores.");
    let out = sh.run_line("cd <").unwrap();
    assert_eq!(out.json["path"], "/");
    assert_eq!(out.json["message"], "Taking you back to /.");
}

#[test]
fn cd_back_skips_removed_nodes() {
    let (d, mut sh) = test_tree::shell();
    text(&mut sh, "cd /backstores/ramdisk/rd1");
    text(&mut sh, "cd /iscsi");
    std::fs::remove_dir_all(d.path().join("core/rd_mcp_0/rd1")).unwrap();
    assert_eq!(text(&mut sh, "cd <"), "Taking you back to /.");
    assert_eq!(text(&mut sh, "cd >"), "Taking you back to /iscsi.");
}

#[test]
fn tree_lines_are_ls_of_the_root_with_paths() {
    let (_d, mut sh) = test_tree::shell();
    text(&mut sh, "cd /backstores/ramdisk/rd1");
    let (lines, at) = sh.tree_lines().unwrap();
    let ls = text(&mut sh, "ls /");
    let shown: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(shown.join("\n"), ls);
    assert_eq!(lines[at].1, "/backstores/ramdisk/rd1");
    assert!(lines[at].0.contains("o- rd1 "), "{:?}", lines[at]);
    assert_eq!(lines[0].1, "/");
    assert!(lines
        .iter()
        .any(|(_, p)| *p == format!("/iscsi/{IQN}/tpg1/luns")));
    assert!(parse("cd").unwrap().unwrap().is_bare_cd());
    for line in ["cd /", "/iscsi cd", "cd <", "ls"] {
        assert!(!parse(line).unwrap().unwrap().is_bare_cd(), "{line}");
    }
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
        "auto_cd_after_create=true "
    );
    let e = error(&mut sh, "get global nope");
    assert_eq!(e, "No parameter 'nope' in group 'global'.");
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

#[test]
fn bookmarks_add_go_show_del_and_stand_for_paths() {
    let (d, mut sh) = test_tree::shell();
    sh.prefs = crate::prefs::Prefs::load(d.path()).unwrap();
    assert!(text(&mut sh, "bookmarks show").contains("No bookmarks yet."));
    text(&mut sh, &format!("cd /iscsi/{IQN}/tpg1"));
    assert_eq!(
        text(&mut sh, "bookmarks add tpg"),
        format!("Bookmarked /iscsi/{IQN}/tpg1 as tpg.")
    );
    let e = error(&mut sh, "bookmarks add tpg");
    assert!(e.contains("bookmarks del tpg"), "{e}");
    text(&mut sh, "cd /");
    text(&mut sh, "bookmarks go tpg");
    assert_eq!(sh.cwd(), format!("/iscsi/{IQN}/tpg1"));
    text(&mut sh, "cd /backstores");
    text(&mut sh, "cd @tpg");
    assert_eq!(sh.cwd(), format!("/iscsi/{IQN}/tpg1"));
    text(&mut sh, "cd /");
    assert!(text(&mut sh, "@tpg ls").contains("o- tpg1"));
    assert!(text(&mut sh, "ls @tpg").contains("o- tpg1"));
    assert_eq!(
        text(&mut sh, "bookmarks show"),
        format!("BOOKMARKS\n=========\n\ntpg\n---\n/iscsi/{IQN}/tpg1\n")
    );
    // Kept in the preferences file, for the next session.
    let again = crate::prefs::Prefs::load(d.path()).unwrap();
    assert_eq!(
        again.bookmark("tpg"),
        Some(format!("/iscsi/{IQN}/tpg1").as_str())
    );
    assert_eq!(text(&mut sh, "bookmarks del tpg"), "Deleted bookmark tpg.");
    let e = error(&mut sh, "cd @tpg");
    assert!(
        e.contains("bookmark tpg") && e.contains("bookmarks show"),
        "{e}"
    );
    let e = error(&mut sh, "bookmarks go");
    assert!(e.contains("help bookmarks"), "{e}");

    // `create` marks what it made as @last.
    text(
        &mut sh,
        &format!("/iscsi/{IQN}/tpg1/portals create 192.0.2.1 3261"),
    );
    text(&mut sh, "cd @last");
    assert_eq!(
        sh.cwd(),
        format!("/iscsi/{IQN}/tpg1/portals/192.0.2.1:3261")
    );
}

#[test]
fn refresh_moves_up_from_a_removed_node() {
    let (d, mut sh) = test_tree::shell();
    text(
        &mut sh,
        &format!("/iscsi/{IQN}/tpg1/portals create 192.0.2.1 3261"),
    );
    text(
        &mut sh,
        &format!("cd /iscsi/{IQN}/tpg1/portals/192.0.2.1:3261"),
    );
    assert!(text(&mut sh, "refresh").is_empty(), "nothing changed");
    // Another tool removes the portal under the shell.
    std::fs::remove_dir(
        d.path()
            .join(format!("iscsi/{IQN}/tpgt_1/np/192.0.2.1:3261")),
    )
    .unwrap();
    let e = error(&mut sh, "ls");
    assert!(e.contains("refresh"), "{e}");
    let out = text(&mut sh, "refresh");
    assert!(out.contains("no longer exists"), "{out}");
    assert_eq!(sh.cwd(), format!("/iscsi/{IQN}/tpg1/portals"));
    assert!(text(&mut sh, "ls").contains("Portals: 0"));
}

/// What LIO's iSCSI ACL `info` shows for a logged-in initiator.
const SESSION_INFO: &str = "InitiatorName: iqn.1994-05.com.example:host1
InitiatorAlias: host1
LIO Session ID: 3   ISID: 0x400001370000 TSIH: 3  SessionType: Normal
Session State: TARG_SESS_STATE_LOGGED_IN
----------------------[iSCSI Connections]-------------------------
CID: 0  Connection State: TARG_CONN_STATE_LOGGED_IN
   Address 192.0.2.7 TCP  StatSN: 0x00000004
";

#[test]
fn sessions_list_and_detail_as_targetcli_fb_prints_them() {
    let (d, mut sh) = test_tree::shell();
    assert_eq!(text(&mut sh, "sessions"), "(no open sessions)");
    let e = error(&mut sh, "sessions list 3");
    assert!(e.contains("sid 3") && e.contains("see `sessions`"), "{e}");
    let acl = d.path().join(format!(
        "iscsi/{IQN}/tpgt_1/acls/iqn.1994-05.com.example:host1"
    ));
    std::fs::create_dir_all(acl.join("auth")).unwrap();
    std::fs::write(acl.join("auth/authenticate_target"), "0").unwrap();
    std::fs::write(acl.join("info"), SESSION_INFO).unwrap();
    let head = "alias: host1\tsid: 3 type: Normal session-state: LOGGED_IN";
    assert_eq!(text(&mut sh, "sessions"), head);
    assert_eq!(text(&mut sh, "sessions list 3"), head);
    assert_eq!(
        text(&mut sh, "sessions detail"),
        format!(
            "{head}\n    name: iqn.1994-05.com.example:host1 (NOT AUTHENTICATED)\n    \
             address: 192.0.2.7 (TCP)  cid: 0 connection-state: LOGGED_IN"
        )
    );
    let e = error(&mut sh, "sessions all");
    assert!(e.contains("list, detail"), "{e}");
    let e = error(&mut sh, "sessions list x");
    assert!(e.contains("sid must be a number"), "{e}");
    let j = sh.run_line("sessions").unwrap().json;
    assert_eq!(j["sessions"][0]["connections"][0]["address"], "192.0.2.7");
    assert_eq!(j["sessions"][0]["tpg"], format!("iscsi/{IQN}/tpg1"));
}

#[test]
fn alua_groups_are_set_and_read() {
    let (d, mut sh) = test_tree::shell();
    let g = d.path().join("core/rd_mcp_0/rd0/alua/default_tg_pt_gp");
    std::fs::create_dir_all(&g).unwrap();
    for (f, v) in [
        ("alua_access_state", "0"),
        ("alua_access_type", "Implicit and Explicit"),
        ("alua_access_status", "None"),
        ("preferred", "0"),
        ("tg_pt_gp_id", "0"),
        ("members", ""),
    ] {
        std::fs::write(g.join(f), v).unwrap();
    }
    text(&mut sh, "cd /backstores/ramdisk/rd0/alua/default_tg_pt_gp");
    assert!(text(&mut sh, "status").contains("ALUA state: Active/optimized"));
    assert_eq!(
        text(&mut sh, "set alua alua_access_state=2 preferred=1"),
        "Parameter alua_access_state is now '2'.\nParameter preferred is now '1'."
    );
    assert_eq!(
        text(
            &mut sh,
            "get alua alua_access_state alua_access_type preferred"
        ),
        "alua_access_state=2 \nalua_access_type=3 \npreferred=1 "
    );
    assert!(text(&mut sh, "status").contains("ALUA state: Standby"));
    let e = error(&mut sh, "set alua alua_access_state=standby");
    assert!(e.contains("2 Standby"), "{e}");
    let e = error(&mut sh, "set alua tg_pt_gp_id=5");
    assert!(e.contains("read-only"), "{e}");
    let e = error(&mut sh, "get alua colour");
    assert_eq!(e, "No parameter 'colour' in group 'alua'.");
    let e = error(&mut sh, "/backstores/ramdisk/rd0 set alua preferred=1");
    assert_eq!(e, "Unknown configuration group: alua");
    let e = error(
        &mut sh,
        "/backstores/ramdisk/rd0/alua delete default_tg_pt_gp",
    );
    assert!(e.contains("cannot be deleted"), "{e}");
}

#[test]
fn set_discovery_auth_makes_the_fabric_directory_first() {
    let (d, mut sh) = test_tree::shell();
    std::fs::remove_dir_all(d.path().join("iscsi")).unwrap();
    // The kernel would add discovery_auth/ to the new directory; a plain
    // directory has none, so the write itself fails here. The point: the
    // fabric was made first, not reported missing.
    let e = error(&mut sh, "/iscsi set discovery_auth enable=1");
    assert!(d.path().join("iscsi").is_dir(), "iscsi/ was not made: {e}");
    assert!(e.contains("discovery_auth/enforce_discovery_auth"), "{e}");
    std::fs::create_dir(d.path().join("iscsi/discovery_auth")).unwrap();
    std::fs::write(d.path().join("iscsi/discovery_auth/userid"), "").unwrap();
    assert_eq!(
        text(&mut sh, "/iscsi set discovery_auth userid=u1"),
        "Parameter userid is now 'u1'."
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("iscsi/discovery_auth/userid")).unwrap(),
        "u1"
    );
}

#[test]
fn get_and_set_print_configshells_groups() {
    let (_d, mut sh) = test_tree::shell();
    let so = "/backstores/ramdisk/rd0";
    assert_eq!(
        text(&mut sh, &format!("{so} get attribute")),
        "ATTRIBUTE CONFIG GROUP\n======================\n\
         block_size=512\n--------------\nBlock size of the underlying device.\n\n\
         emulate_tpu=0\n-------------\nIf set to 1, enable Thin Provisioning Unmap.\n\n\
         hw_block_size=512 [ro]\n----------------------\nHardware block size in bytes.\n"
    );
    assert_eq!(
        text(
            &mut sh,
            &format!("{so} get attribute hw_block_size block_size")
        ),
        "hw_block_size=512 [ro]\nblock_size=512 "
    );
    assert_eq!(
        text(&mut sh, &format!("{so} get")),
        "\nAVAILABLE CONFIGURATION GROUPS\n==============================\nglobal attribute"
    );
    for (cmd, err) in [
        ("get parameter", "Unknown configuration group: parameter"),
        ("set auth userid=x", "Unknown configuration group: auth"),
        ("get alua", "Unknown configuration group: alua"),
        (
            "get attribute nope",
            "No parameter 'nope' in group 'attribute'.",
        ),
        (
            "set attribute nope=1",
            "Unknown parameter nope in group 'attribute'.",
        ),
        (
            "set attribute hw_block_size=1",
            "Parameter hw_block_size is read-only.",
        ),
    ] {
        assert_eq!(error(&mut sh, &format!("{so} {cmd}")), err, "{cmd}");
    }
    assert_eq!(
        text(&mut sh, &format!("{so} set attribute emulate_tpu=1")),
        "Parameter emulate_tpu is now '1'."
    );
    assert_eq!(
        text(&mut sh, &format!("{so} set attribute")),
        "ATTRIBUTE CONFIG GROUP\n======================\n\
         block_size=number\n-----------------\nBlock size of the underlying device.\n\n\
         emulate_tpu=number\n------------------\nIf set to 1, enable Thin Provisioning Unmap.\n"
    );

    let tpg = format!("/iscsi/{}/tpg1", test_tree::IQN);
    assert_eq!(
        text(&mut sh, &format!("{tpg} get")).lines().last(),
        Some("global parameter attribute auth")
    );
    assert_eq!(
        text(&mut sh, &format!("{tpg} get auth")),
        "AUTH CONFIG GROUP\n=================\n\
         mutual_userid=\n--------------\nThe mutual_userid auth parameter.\n\n\
         userid=\n-------\nThe userid auth parameter.\n"
    );
    assert_eq!(
        text(
            &mut sh,
            &format!("{tpg} get parameter MaxRecvDataSegmentLength")
        ),
        "MaxRecvDataSegmentLength=8192 "
    );
    let d = text(&mut sh, "/iscsi get discovery_auth");
    assert!(
        d.contains("enable=False\n------------\nThe enable discovery_auth parameter.\n"),
        "{d}"
    );
    let g = text(&mut sh, "get global");
    assert!(
        g.starts_with("GLOBAL CONFIG GROUP\n===================\nauto_add_default_portal=true\n"),
        "{g}"
    );
    assert!(
        g.contains("auto_save_on_exit=true\n----------------------\nIf true, saves configuration on exit.\n"),
        "{g}"
    );
    // --json stays the name=value object.
    let o = sh.run_line(&format!("{so} get attribute")).unwrap();
    assert_eq!(o.json["block_size"], "512");
}

#[test]
fn ls_summarises_discovery_auth_as_targetcli_fb() {
    let (_d, mut sh) = test_tree::shell();
    let da = sh.root().path().join("iscsi/discovery_auth");
    assert!(text(&mut sh, "ls /iscsi depth=0").ends_with(" [Targets: 1]"));
    std::fs::write(da.join("enforce_discovery_auth"), "1").unwrap();
    std::fs::write(da.join("userid"), "NULL").unwrap();
    let l = text(&mut sh, "ls /iscsi depth=0");
    assert!(l.ends_with(" [1-way disc auth, Targets: 1]"), "{l}");
}
