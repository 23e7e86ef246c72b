use super::*;
use crate::test_tree::{self, IQN};

/// The replacements offered for `line` with the cursor at its end.
fn offers(sh: &Shell, line: &str) -> Vec<String> {
    let c = complete(sh, line, line.len());
    c.replacements().into_iter().map(String::from).collect()
}

fn at(path: &str) -> (tempfile::TempDir, Shell) {
    let (d, mut sh) = test_tree::shell();
    sh.run_line(&format!("cd {path}")).unwrap();
    (d, sh)
}

#[test]
fn first_word_is_a_verb_or_a_child() {
    let (_d, sh) = at("/");
    let all = offers(&sh, "");
    for want in ["ls ", "cd ", "create ", "status ", "backstores/", "iscsi/"] {
        assert!(all.iter().any(|o| o == want), "{want} missing from {all:?}");
    }
    assert_eq!(offers(&sh, "cre"), ["create "]);
    assert_eq!(offers(&sh, "ba"), ["backstores/"]);
    assert_eq!(offers(&sh, "help sa"), ["saveconfig "]);
}

#[test]
fn paths_absolute_relative_and_up() {
    let (_d, sh) = at("/backstores");
    assert_eq!(offers(&sh, "cd /backs"), ["/backstores/"]);
    assert_eq!(offers(&sh, "cd /backstores/ra"), ["/backstores/ramdisk/"]);
    assert_eq!(
        offers(&sh, "cd /backstores/ramdisk/"),
        ["/backstores/ramdisk/rd0/", "/backstores/ramdisk/rd1/"]
    );
    assert_eq!(offers(&sh, "cd ra"), ["ramdisk/"]);
    assert_eq!(offers(&sh, "cd ../is"), ["../iscsi/"]);
    assert_eq!(offers(&sh, "cd .."), ["../"]);
    assert_eq!(offers(&sh, "ls /nowhere/"), Vec::<String>::new());
    assert_eq!(
        offers(&sh, "/iscsi/iqn"),
        [format!("/iscsi/{IQN}/")],
        "a path as the first word"
    );
    let c = complete(&sh, "cd /backs", 9);
    assert_eq!(c.start, 3);
    assert_eq!(c.candidates[0].display, "backstores/");
}

#[test]
fn cursor_in_the_middle_completes_the_word_before_it() {
    let (_d, sh) = at("/");
    let line = "cd /backs ls";
    let c = complete(&sh, line, 9);
    assert_eq!((c.start, c.replacements()), (3, vec!["/backstores/"]));
    // Past the end or inside a character: clamped, no panic.
    let inside = complete(&sh, "cd é", 4);
    assert_eq!(inside.start, 3);
    assert!(inside.replacements().contains(&"backstores/"));
    assert_eq!(complete(&sh, "cre", 99).replacements(), ["create "]);
}

#[test]
fn verbs_after_a_path() {
    let (_d, sh) = at("/");
    assert_eq!(offers(&sh, "/backstores/ramdisk cr"), ["create "]);
    assert_eq!(offers(&sh, "/nowhere cr"), Vec::<String>::new());
}

#[test]
fn create_parameters_by_node_and_not_given_yet() {
    let (_d, sh) = at("/backstores/ramdisk");
    assert_eq!(
        offers(&sh, "create "),
        ["name=", "size=", "nullio=", "wwn="]
    );
    assert_eq!(offers(&sh, "create rd2 "), ["size=", "nullio=", "wwn="]);
    assert_eq!(offers(&sh, "create name=rd2 s"), ["size="]);
    assert_eq!(
        offers(&sh, "create rd2 1G nullio="),
        ["nullio=true ", "nullio=false "]
    );
    assert_eq!(
        offers(&sh, "/backstores/fileio create f0 "),
        ["file_or_dev=", "size=", "write_back=", "sparse=", "wwn="]
    );
    assert_eq!(offers(&sh, "/iscsi create "), ["wwn="]);
    assert_eq!(offers(&sh, "/ create "), Vec::<String>::new());
}

#[test]
fn storage_objects_complete_where_a_lun_needs_one() {
    let (_d, sh) = at(&format!("/iscsi/{IQN}/tpg1/luns"));
    assert_eq!(
        offers(&sh, "create storage_object=/backstores/ra"),
        ["storage_object=/backstores/ramdisk/"]
    );
    assert_eq!(
        offers(&sh, "create storage_object="),
        ["storage_object=/backstores/"]
    );
    assert_eq!(
        offers(&sh, "create /backstores/ramdisk/r"),
        ["/backstores/ramdisk/rd0/", "/backstores/ramdisk/rd1/"]
    );
    assert_eq!(
        offers(&sh, "create /backstores/ramdisk/rd0 "),
        ["lun=", "add_mapped_luns="]
    );
}

#[test]
fn delete_offers_what_exists() {
    let (_d, sh) = at("/backstores/ramdisk");
    assert_eq!(offers(&sh, "delete "), ["rd0 ", "rd1 ", "name=", "force="]);
    assert_eq!(offers(&sh, "delete name=r"), ["name=rd0 ", "name=rd1 "]);
    assert_eq!(offers(&sh, "delete rd0 "), ["force="]);
    assert_eq!(
        offers(&sh, "/iscsi delete "),
        [format!("{IQN} "), "wwn=".into()]
    );
}

#[test]
fn set_and_get_name_the_nodes_settings() {
    let (_d, sh) = at("/backstores/ramdisk/rd0");
    assert_eq!(offers(&sh, "set "), ["attribute ", "global "]);
    assert_eq!(
        offers(&sh, "set attribute "),
        ["block_size=", "emulate_tpu="],
        "read-only attributes are not offered to set"
    );
    assert_eq!(offers(&sh, "set attribute emulate_tpu=1 "), ["block_size="]);
    assert_eq!(
        offers(&sh, "get attribute "),
        ["block_size ", "emulate_tpu ", "hw_block_size "]
    );
    assert_eq!(
        offers(&sh, "get attribute block_size "),
        ["emulate_tpu ", "hw_block_size "]
    );

    let tpg = format!("/iscsi/{IQN}/tpg1");
    assert_eq!(
        offers(&sh, &format!("{tpg} set ")),
        ["attribute ", "auth ", "global ", "parameter "]
    );
    assert_eq!(
        offers(&sh, &format!("{tpg} set parameter M")),
        ["MaxRecvDataSegmentLength="]
    );
    assert_eq!(
        offers(&sh, &format!("{tpg} set auth ")),
        ["userid=", "mutual_userid="]
    );
    assert_eq!(offers(&sh, "/iscsi set "), ["discovery_auth ", "global "]);
    assert!(offers(&sh, "/iscsi set discovery_auth ").contains(&"enable=".to_string()));
}

#[test]
fn global_preferences_and_their_values() {
    let (_d, sh) = at("/");
    assert_eq!(offers(&sh, "set global auto_s"), ["auto_save_on_exit="]);
    assert_eq!(
        offers(&sh, "set global auto_save_on_exit="),
        ["auto_save_on_exit=true ", "auto_save_on_exit=false "]
    );
    assert_eq!(
        offers(&sh, "set global max_backup_files="),
        Vec::<String>::new()
    );
    assert_eq!(offers(&sh, "get global max"), ["max_backup_files "]);
}

#[test]
fn other_verbs() {
    let (_d, sh) = at("/");
    assert_eq!(
        offers(&sh, "restoreconfig /tmp/x.json c"),
        ["clear_existing="]
    );
    assert_eq!(offers(&sh, "clearconfig "), ["confirm="]);
    assert_eq!(offers(&sh, "clearconfig confirm=t"), ["confirm=true "]);
    assert_eq!(offers(&sh, "ls /backstores d"), ["depth="]);
    assert_eq!(offers(&sh, "pwd "), Vec::<String>::new());
}

#[test]
fn file_names_for_savefile_and_file_or_dev() {
    let (d, sh) = at("/");
    let dir = d.path().join("files");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("config.json"), "{}").unwrap();
    std::fs::write(dir.join(".hidden"), "").unwrap();
    let base = dir.display().to_string();
    assert_eq!(
        offers(&sh, &format!("saveconfig {base}/")),
        [format!("{base}/config.json "), format!("{base}/sub/")]
    );
    assert_eq!(
        offers(&sh, &format!("restoreconfig savefile={base}/c")),
        [format!("savefile={base}/config.json ")]
    );
    assert_eq!(
        offers(&sh, &format!("restoreconfig {base}/.h")),
        [format!("{base}/.hidden ")]
    );
    assert_eq!(
        offers(&sh, &format!("/backstores/fileio create f0 {base}/s")),
        [format!("{base}/sub/")]
    );
    assert_eq!(
        offers(
            &sh,
            &format!("/backstores/fileio create f0 file_or_dev={base}/co")
        ),
        [format!("file_or_dev={base}/config.json ")]
    );
    // The first argument of fileio's create is a name, not a file.
    assert_eq!(
        offers(&sh, &format!("/backstores/fileio create {base}/s")),
        Vec::<String>::new()
    );
    // A bare word still offers the name= keys too.
    assert!(offers(&sh, "restoreconfig cle").contains(&"clear_existing=".to_string()));
}

#[test]
fn alua_bookmarks_and_sessions() {
    let (d, mut sh) = at("/backstores/ramdisk/rd0/alua");
    let g = d.path().join("core/rd_mcp_0/rd0/alua/default_tg_pt_gp");
    std::fs::create_dir_all(&g).unwrap();
    std::fs::write(g.join("tg_pt_gp_id"), "0").unwrap();
    sh.run_line("cd default_tg_pt_gp").unwrap();
    assert!(offers(&sh, "set ").contains(&"alua ".to_string()));
    assert_eq!(
        offers(&sh, "set alua alua_access_st"),
        ["alua_access_state=", "alua_access_status="]
    );
    assert_eq!(offers(&sh, "set alua tg_pt"), Vec::<String>::new());
    assert_eq!(offers(&sh, "get alua tg_pt"), ["tg_pt_gp_id "]);
    assert_eq!(offers(&sh, "bookmarks "), ["add ", "del ", "go ", "show "]);
    sh.run_line("bookmarks add here").unwrap();
    assert_eq!(offers(&sh, "bookmarks go h"), ["here "]);
    assert_eq!(offers(&sh, "cd @h"), ["@here "]);
    assert_eq!(offers(&sh, "sessions d"), ["detail "]);
}
