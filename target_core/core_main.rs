// SPDX-License-Identifier: GPL-2.0

//! tcm_rs_core: the tcm-rs SCSI target core.
//!
//! The module registers the configfs tree that LIO's user space drives
//! (/sys/kernel/config/target), exports the versioned C ABI that fabric and
//! backstore modules use, and carries the bindings it generates for the SCSI
//! and socket headers and the shared protocol code compiled in from
//! `proto/`.

use kernel::prelude::*;

mod abi;
mod access;
mod acl;
mod alua;
mod alua_engine;
mod alua_metadata;
mod async_rw;
mod attrib;
mod backstores;
mod bindings;
mod command;
mod configfs;
mod counters;
mod device;
mod device_alua;
mod device_attrib;
mod device_pr;
mod device_stats;
mod device_ua;
mod fabric;
mod fabric_object;
mod hba;
mod inquiry;
mod lba_map;
mod lu_groups;
mod lun;
mod lun_map;
mod lun_stats;
mod noio;
mod pr_emulate;
mod queued_command;
mod rcu_arc;
mod registry;
mod root;
mod sbc_emulate;
mod sense;
mod session;
mod spc_emulate;
mod stat_table;
mod sys;
mod task_set;
mod text;
mod tmf;
mod tpg;
mod write_gate;

// The shared protocol code the engine uses (proto/src): libraries of which
// the core uses a part. They name each other as `crate::<file>`.
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/alua_access.rs"]
mod alua_access;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/alua_tpgs.rs"]
mod alua_tpgs;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/alua_transition.rs"]
mod alua_transition;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/capacity.rs"]
mod capacity;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/cdb.rs"]
mod cdb;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/mode.rs"]
mod mode;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/pr.rs"]
#[rustfmt::skip]
mod pr;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/pr_aptpl.rs"]
#[rustfmt::skip]
mod pr_aptpl;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/pr_transport_id.rs"]
mod pr_transport_id;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/report_luns.rs"]
mod report_luns;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/rsoc.rs"]
mod rsoc;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/sbc.rs"]
mod sbc;
/// A command's data buffer (shared with the backstore SDK).
#[allow(dead_code)]
#[path = "../sdk/sg.rs"]
mod sg;
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/vpd.rs"]
mod vpd;

module! {
    type: TargetCore,
    name: "tcm_rs_core",
    authors: ["The tcm-rs developers"],
    description: "tcm-rs SCSI target core",
    license: "GPL v2",
}

#[pin_data(PinnedDrop)]
struct TargetCore {
    #[pin]
    tree: configfs::Subsystem<root::TargetRoot>,
    /// After the tree: destroyed once no device, so no command, is left;
    /// the queued commands (which may leave transfers in flight) before
    /// the completions.
    _submissions: queued_command::SubmitQueue,
    _completions: async_rw::CompletionQueue,
}

impl kernel::InPlaceModule for TargetCore {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        backstores::init();
        fabric::init();
        let completions = async_rw::CompletionQueue::new();
        let submissions = queued_command::SubmitQueue::new();
        let tree = root::TargetRoot::new();
        try_pin_init!(Self {
            _completions: completions?,
            _submissions: submissions?,
            tree <- {
                let (root, core) = tree?;
                configfs::Subsystem::new(c"target", root, core)
            },
        })
        .pin_chain(|_| {
            pr_info!(
                "tcm-rs target core loaded (ABI {}.{})\n",
                abi::ABI_MAJOR,
                abi::ABI_MINOR
            );
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for TargetCore {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("tcm-rs target core unloaded\n");
    }
}
