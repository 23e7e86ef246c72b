// SPDX-License-Identifier: GPL-2.0

//! tcm_rs_core: the tcm-rs SCSI target core.
//!
//! This is the start of the core: the module, its exported C ABI, the
//! bindings it generates for the SCSI and socket headers, and the shared
//! protocol code compiled in from `proto/`. The configfs tree, the fabric
//! and backstore SDKs and the SCSI engine grow from here.

use kernel::prelude::*;

mod abi;
mod bindings;
mod sense;

module! {
    type: TargetCore,
    name: "tcm_rs_core",
    authors: ["The tcm-rs developers"],
    description: "tcm-rs SCSI target core",
    license: "GPL v2",
}

struct TargetCore;

impl kernel::Module for TargetCore {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!(
            "tcm-rs target core loaded (ABI {}.{})\n",
            abi::ABI_MAJOR,
            abi::ABI_MINOR
        );
        Ok(TargetCore)
    }
}

impl Drop for TargetCore {
    fn drop(&mut self) {
        pr_info!("tcm-rs target core unloaded\n");
    }
}
