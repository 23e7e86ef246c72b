// SPDX-License-Identifier: GPL-2.0

//! Raw bindings to the SCSI headers and to loop_host.h,
//! generated at build time by kbuild/bindgen.mk from
//! bindings/bindings_helper.h. Safe wrappers over them live in the modules
//! that use them; nothing outside this crate sees these items.

#[path = "../../kbuild/generated_bindings.rs"]
mod generated;

pub(crate) use generated::*;
