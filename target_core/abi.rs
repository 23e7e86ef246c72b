// SPDX-License-Identifier: GPL-2.0

//! The versioned C ABI that tcm_rs_core exports to fabric and backstore
//! modules. Each function here is `#[no_mangle] extern "C"` and is exported
//! by core_exports.c.

/// Bumped on any incompatible change to the exported ABI.
pub(crate) const ABI_MAJOR: u16 = 0;
/// Bumped when the ABI grows compatibly.
pub(crate) const ABI_MINOR: u16 = 1;

/// The ABI version as `major << 16 | minor`. A module checks the major part
/// before it registers anything with the core.
#[no_mangle]
pub(crate) extern "C" fn tcm_rs_core_abi_version() -> u32 {
    (u32::from(ABI_MAJOR) << 16) | u32::from(ABI_MINOR)
}
