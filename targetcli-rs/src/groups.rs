//! targetcli-fb's configuration groups, the `GROUP` of `get GROUP` and
//! `set GROUP`: the type and description targetcli-fb gives each setting
//! (one table, copied from targetcli-fb's `ui_desc_attributes`,
//! `ui_desc_parameters` and its global preferences) and configshell-fb's
//! layout of a group, a setting and the list of groups.

use crate::error::Error;

/// One setting of a group, as `get` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Its name.
    pub name: String,
    /// Its value, as targetcli-fb shows it.
    pub value: String,
    /// Whether `set` may change it (else `get` marks it `[ro]`).
    pub writable: bool,
}

impl Setting {
    /// A setting.
    pub fn new(name: impl Into<String>, value: impl Into<String>, writable: bool) -> Setting {
        Setting {
            name: name.into(),
            value: value.into(),
            writable,
        }
    }
}

/// Which of targetcli-fb's node classes a node is, for the descriptions of
/// its attributes and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A storage object (`UIStorageObject`).
    StorageObject,
    /// A TPG, or a target merged with its only TPG (`UITPG`).
    Tpg,
    /// A node ACL (`UINodeACL`).
    Acl,
    /// Any other node: no descriptions.
    Other,
}

/// (name, configshell type, description).
type Desc = (&'static str, &'static str, &'static str);

const STORAGE_OBJECT_ATTRIBUTES: &[Desc] = &[
    ("block_size", "number", "Block size of the underlying device."),
    ("control", "string", "Comma separated string of control=value tuples that will be passed to kernel control file."),
    ("emulate_3pc", "number", "If set to 1, enable Third Party Copy."),
    ("emulate_caw", "number", "If set to 1, enable Compare and Write."),
    ("emulate_dpo", "number", "If set to 1, turn on Disable Page Out."),
    ("emulate_fua_read", "number", "If set to 1, enable Force Unit Access read."),
    ("emulate_fua_write", "number", "If set to 1, enable Force Unit Access write."),
    ("emulate_model_alias", "number", "If set to 1, use the backend device name for the model alias."),
    ("emulate_pr", "number", "If set to 1, enable SCSI Reservations."),
    ("emulate_rest_reord", "number", "If set to 0, the Queue Algorithm Modifier is Restricted Reordering."),
    ("emulate_tas", "number", "If set to 1, enable Task Aborted Status."),
    ("emulate_tpu", "number", "If set to 1, enable Thin Provisioning Unmap."),
    ("emulate_tpws", "number", "If set to 1, enable Thin Provisioning Write Same."),
    ("emulate_ua_intlck_ctrl", "number", "If set to 1, enable Unit Attention Interlock."),
    ("emulate_write_cache", "number", "If set to 1, turn on Write Cache Enable."),
    ("enforce_pr_isids", "number", "If set to 1, enforce persistent reservation ISIDs."),
    ("fabric_max_sectors", "number", "Maximum number of sectors the fabric can transfer at once."),
    ("force_pr_aptpl", "number", "If set to 1, force SPC-3 PR Activate Persistence across Target Power Loss operation."),
    ("hw_block_size", "number", "Hardware block size in bytes."),
    ("hw_max_sectors", "number", "Maximum number of sectors the hardware can transfer at once."),
    ("hw_pi_prot_type", "number", "If non-zero, DIF protection is enabled on the underlying hardware."),
    ("hw_queue_depth", "number", "Hardware queue depth."),
    ("is_nonrot", "number", "If set to 1, the backstore is a non rotational device."),
    ("max_unmap_block_desc_count", "number", "Maximum number of block descriptors for UNMAP."),
    ("max_unmap_lba_count", "number", "Maximum number of LBA for UNMAP."),
    ("max_write_same_len", "number", "Maximum length for WRITE_SAME."),
    ("optimal_sectors", "number", "Optimal request size in sectors."),
    ("pi_prot_format", "number", "DIF protection format."),
    ("pi_prot_type", "number", "DIF protection type."),
    ("queue_depth", "number", "Queue depth."),
    ("unmap_granularity", "number", "UNMAP granularity."),
    ("unmap_granularity_alignment", "number", "UNMAP granularity alignment."),
    ("unmap_zeroes_data", "number", "If set to 1, zeroes are read back after an UNMAP."),
];

const TPG_ATTRIBUTES: &[Desc] = &[
    ("authentication", "number", "If set to 1, enforce authentication for this TPG."),
    ("cache_dynamic_acls", "number", "If set to 1 in demo mode, cache dynamically generated ACLs."),
    ("default_cmdsn_depth", "number", "Default CmdSN (Command Sequence Number) depth."),
    ("default_erl", "number", "Default Error Recovery Level."),
    ("demo_mode_discovery", "number", "If set to 1 in demo mode, enable discovery."),
    ("demo_mode_write_protect", "number", "If set to 1 in demo mode, prevent writes to LUNs."),
    ("fabric_prot_type", "number", "Fabric DIF protection type."),
    ("generate_node_acls", "number", "If set to 1, allow all initiators to login (i.e. demo mode)."),
    ("login_timeout", "number", "Login timeout value in seconds."),
    ("netif_timeout", "number", "NIC failure timeout in seconds."),
    ("prod_mode_write_protect", "number", "If set to 1, prevent writes to LUNs."),
    ("t10_pi", "number", "If set to 1, enable T10 Protection Information."),
    ("tpg_enabled_sendtargets", "number", "If set to 1, the SendTargets discovery response advertises the TPG only if the TPG is enabled."),
];

const TPG_PARAMETERS: &[Desc] = &[
    ("AuthMethod", "string", "Authentication method used by the TPG."),
    ("DataDigest", "string", "If set to CRC32C, the integrity of the PDU data part is verified."),
    ("DataPDUInOrder", "yesno", "If set to Yes, the data PDUs within sequences must be in order."),
    ("DataSequenceInOrder", "yesno", "If set to Yes, the data sequences must be in order."),
    ("DefaultTime2Retain", "number", "Maximum time, in seconds, after an initial wait, before which an active task reassignment is still possible after an unexpected connection termination or a connection reset."),
    ("DefaultTime2Wait", "number", "Minimum time, in seconds, to wait before attempting an explicit/implicit logout or an active task reassignment after an unexpected connection termination or a connection reset."),
    ("ErrorRecoveryLevel", "number", "Recovery levels represent a combination of recovery capabilities."),
    ("FirstBurstLength", "number", "Maximum amount in bytes of unsolicited data an initiator may send."),
    ("HeaderDigest", "string", "If set to CRC32C, the integrity of the PDU header part is verified."),
    ("IFMarkInt", "string", "Deprecated according to RFC 7143."),
    ("IFMarker", "yesno", "Deprecated according to RFC 7143."),
    ("ImmediateData", "string", "Immediate data support."),
    ("InitialR2T", "yesno", "If set to No, the default use of R2T (Ready To Transfer) is disabled."),
    ("MaxBurstLength", "number", "Maximum SCSI data payload in bytes in a Data-In or a solicited Data-Out iSCSI sequence."),
    ("MaxConnections", "number", "Maximum number of connections acceptable."),
    ("MaxOutstandingR2T", "number", "Maximum number of outstanding R2Ts per task."),
    ("MaxRecvDataSegmentLength", "number", "Maximum data segment length in bytes the target can receive in an iSCSI PDU."),
    ("MaxXmitDataSegmentLength", "number", "Outgoing MaxRecvDataSegmentLength sent over the wire during iSCSI login response."),
    ("OFMarkInt", "string", "Deprecated according to RFC 7143."),
    ("OFMarker", "yesno", "Deprecated according to RFC 7143."),
    ("TargetAlias", "string", "Human-readable target name or description."),
];

const ACL_ATTRIBUTES: &[Desc] = &[
    (
        "dataout_timeout",
        "number",
        "Data-Out timeout in seconds before invoking recovery.",
    ),
    (
        "dataout_timeout_retries",
        "number",
        "Number of Data-Out timeout recovery attempts before failing a path.",
    ),
    ("default_erl", "number", "Default Error Recovery Level."),
    (
        "nopin_response_timeout",
        "number",
        "Nop-In response timeout in seconds.",
    ),
    ("nopin_timeout", "number", "Nop-In timeout in seconds."),
    (
        "random_datain_pdu_offsets",
        "number",
        "If set to 1, request random Data-In PDU offsets.",
    ),
    (
        "random_datain_seq_offsets",
        "number",
        "If set to 1, request random Data-In sequence offsets.",
    ),
    (
        "random_r2t_offsets",
        "number",
        "If set to 1, request random R2T (Ready To Transfer) offsets.",
    ),
];

/// targetcli-fb's global preferences (configshell-fb's and targetcli's).
const GLOBAL: &[Desc] = &[
    ("auto_add_default_portal", "bool", "If true, adds a portal listening on all IPs to new targets."),
    ("auto_add_mapped_luns", "bool", "If true, automatically create node ACLs mapped LUNs after creating a new target LUN or a new node ACL"),
    ("auto_cd_after_create", "bool", "If true, changes current path to newly created objects."),
    ("auto_enable_tpgt", "bool", "If true, automatically enables TPGTs upon creation."),
    ("auto_save_on_exit", "bool", "If true, saves configuration on exit."),
    ("auto_use_daemon", "bool", "If true, commands will be sent to targetclid."),
    ("color_mode", "bool", "Console color display mode."),
    ("daemon_use_batch_mode", "bool", "If true, use batch mode for daemonized approach."),
    ("export_backstore_name_as_model", "bool", "If true, the backstore name is used for the scsi inquiry model name."),
    ("logfile", "string", "Logfile to use."),
    ("loglevel_console", "loglevel", "Log level for messages going to the console."),
    ("loglevel_file", "loglevel", "Log level for messages going to the log file."),
    ("max_backup_files", "string", "Max no. of configurations to be backed up in /etc/rtslib-fb-target/backup/ directory."),
    ("prompt_length", "number", "Max length of the shell prompt path, 0 for infinite."),
    ("tree_max_depth", "number", "Maximum depth of displayed node tree."),
    ("tree_round_nodes", "bool", "Tree node display style."),
    ("tree_show_root", "bool", "Whether or not to display tree root."),
    ("tree_status_mode", "bool", "Whether or not to display status in tree."),
];

/// The configshell type and the description targetcli-fb gives setting
/// `name` of `group` at a node of kind `owner`. Settings targetcli-fb
/// defines without a description (auth, discovery_auth, alua) get
/// configshell-fb's "The NAME GROUP parameter."; attributes and parameters
/// it has no entry for show nothing.
pub fn describe(owner: Owner, group: &str, name: &str) -> (&'static str, String) {
    let table: &[Desc] = match (group, owner) {
        ("attribute", Owner::StorageObject) => STORAGE_OBJECT_ATTRIBUTES,
        ("attribute", Owner::Tpg) => TPG_ATTRIBUTES,
        ("attribute", Owner::Acl) => ACL_ATTRIBUTES,
        ("parameter", Owner::Tpg | Owner::Acl) => TPG_PARAMETERS,
        ("global", _) => GLOBAL,
        ("attribute" | "parameter", _) => &[],
        _ => {
            let kind = if group == "discovery_auth" && name == "enable" {
                "number"
            } else {
                "string"
            };
            return (kind, format!("The {name} {group} parameter."));
        }
    };
    table
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or(("string", String::new()), |(_, t, d)| (*t, d.to_string()))
}

/// configshell-fb's heading of a group: `ATTRIBUTE CONFIG GROUP`, underlined.
fn heading(group: &str) -> Vec<String> {
    let section = format!("{} CONFIG GROUP", group.to_uppercase());
    let rule = "=".repeat(section.chars().count());
    vec![section, rule]
}

/// One entry: its first line, underlined with `-`, the description, a
/// blank line.
fn entry(out: &mut Vec<String>, first: String, description: &str) {
    let rule = "-".repeat(first.chars().count());
    out.push(first);
    out.push(rule);
    out.extend(description.split('\n').map(str::to_string));
    out.push(String::new());
}

/// `get GROUP`: the lines configshell-fb prints, the heading, then each
/// setting (sorted by name, as configshell-fb sorts them) as
/// `name=value` (`[ro]` when read-only), underlined, with its description.
pub fn render_group(owner: Owner, group: &str, settings: &[Setting]) -> Vec<String> {
    let mut sorted: Vec<&Setting> = settings.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = heading(group);
    for s in sorted {
        let mut first = format!("{}={}", s.name, s.value);
        if !s.writable {
            first.push_str(" [ro]");
        }
        entry(&mut out, first, &describe(owner, group, &s.name).1);
    }
    out
}

/// `set GROUP` without settings: the writable settings as `name=type`,
/// as configshell-fb lists them.
pub fn render_writable(owner: Owner, group: &str, settings: &[Setting]) -> Vec<String> {
    let mut sorted: Vec<&Setting> = settings.iter().filter(|s| s.writable).collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = heading(group);
    for s in sorted {
        let (kind, description) = describe(owner, group, &s.name);
        entry(&mut out, format!("{}={kind}", s.name), &description);
    }
    out
}

/// `get GROUP name`: configshell-fb's single line, `name=value ` (with its
/// trailing space) or `name=value [ro]`.
pub fn render_one(s: &Setting) -> String {
    format!(
        "{}={} {}",
        s.name,
        s.value,
        if s.writable { "" } else { "[ro]" }
    )
}

/// `get` or `set` without a group: the groups of the node.
pub fn render_group_list(groups: &[&str]) -> Vec<String> {
    vec![
        String::new(),
        "AVAILABLE CONFIGURATION GROUPS".into(),
        "==============================".into(),
        groups.join(" "),
    ]
}

/// targetcli-fb's error for a group the node does not have.
pub fn unknown_group(group: &str) -> Error {
    Error::Usage(format!("Unknown configuration group: {group}"))
}

/// targetcli-fb's error for `get GROUP name` with no such setting.
pub fn no_parameter(name: &str, group: &str) -> Error {
    Error::Usage(format!("No parameter '{name}' in group '{group}'."))
}

/// targetcli-fb's error for `set GROUP name=value` with no such setting.
pub fn unknown_parameter(name: &str, group: &str) -> Error {
    Error::Usage(format!("Unknown parameter {name} in group '{group}'."))
}

/// targetcli-fb's error for `set` of a read-only setting.
pub fn read_only(name: &str) -> Error {
    Error::Usage(format!("Parameter {name} is read-only."))
}

#[cfg(test)]
mod tests;
