//! The layouts against real targetcli-fb output: the fixtures are what
//! configshell-fb's `get`/`set` print for fake nodes with the same
//! settings (`fixtures/make-fixtures.py` runs targetcli-fb's own code).

use super::*;

/// Printed lines as the binary prints them (each line and a newline).
fn printed(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn so_settings() -> Vec<Setting> {
    vec![
        Setting::new("wwn_vendor", "x", true),
        Setting::new("hw_block_size", "512", false),
        Setting::new("block_size", "512", true),
        Setting::new("emulate_caw", "1", true),
    ]
}

#[test]
fn get_group_is_configshells_layout() {
    assert_eq!(
        printed(&render_group(
            Owner::StorageObject,
            "attribute",
            &so_settings()
        )),
        include_str!("fixtures/so_get_attribute.txt")
    );
    let tpg = [
        Setting::new("MaxConnections", "1", true),
        Setting::new("AuthMethod", "CHAP,None", true),
    ];
    assert_eq!(
        printed(&render_group(Owner::Tpg, "parameter", &tpg)),
        include_str!("fixtures/tpg_get_parameter.txt")
    );
}

#[test]
fn get_names_are_single_lines() {
    let s = so_settings();
    let lines = [render_one(&s[2]), render_one(&s[1])];
    assert_eq!(printed(&lines), include_str!("fixtures/so_get_two.txt"));
}

#[test]
fn set_without_settings_lists_the_writable_ones_with_types() {
    assert_eq!(
        printed(&render_writable(
            Owner::StorageObject,
            "attribute",
            &so_settings()
        )),
        include_str!("fixtures/so_set_attribute.txt")
    );
}

#[test]
fn group_list_has_no_final_newline() {
    // configshell-fb's epy_write drops the last newline.
    assert_eq!(
        render_group_list(&["global", "attribute"]).join("\n"),
        include_str!("fixtures/so_get_groups.txt")
    );
    assert_eq!(
        render_group_list(&["global", "parameter", "attribute"]).join("\n"),
        include_str!("fixtures/tpg_get_groups.txt")
    );
}

#[test]
fn errors_are_targetcli_fbs() {
    let fx = |s: &str| s.strip_prefix("ERROR: ").unwrap().to_string();
    assert_eq!(
        unknown_group("parameter").to_string(),
        fx(include_str!("fixtures/so_get_parameter.txt"))
    );
    assert_eq!(
        no_parameter("nope", "attribute").to_string(),
        fx(include_str!("fixtures/so_get_nope.txt"))
    );
    assert_eq!(
        unknown_parameter("nope", "attribute").to_string(),
        fx(include_str!("fixtures/tpg_set_nope.txt"))
    );
    assert_eq!(
        read_only("hw_block_size").to_string(),
        fx(include_str!("fixtures/so_set_ro.txt"))
    );
}

#[test]
fn descriptions_follow_the_node_class() {
    let d = describe;
    assert_eq!(
        d(Owner::StorageObject, "attribute", "block_size"),
        ("number", "Block size of the underlying device.".into())
    );
    assert_eq!(
        d(Owner::Acl, "parameter", "MaxConnections").1,
        "Maximum number of connections acceptable."
    );
    assert_eq!(
        d(Owner::Tpg, "attribute", "unknown_one"),
        ("string", "".into())
    );
    assert_eq!(
        d(Owner::Other, "parameter", "cmd_completion_affinity").1,
        ""
    );
    assert_eq!(
        d(Owner::Tpg, "auth", "userid"),
        ("string", "The userid auth parameter.".into())
    );
    assert_eq!(
        d(Owner::Other, "discovery_auth", "enable"),
        ("number", "The enable discovery_auth parameter.".into())
    );
    assert_eq!(
        d(Owner::Other, "alua", "alua_tg_pt_gp_name").1,
        "The alua_tg_pt_gp_name alua parameter."
    );
    assert_eq!(
        d(Owner::Other, "global", "auto_save_on_exit"),
        ("bool", "If true, saves configuration on exit.".into())
    );
}
