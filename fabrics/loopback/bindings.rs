// SPDX-License-Identifier: GPL-2.0

//! Raw bindings to the SCSI headers and to loop_host.h,
//! generated at build time by kbuild/bindgen.mk from
//! bindings/bindings_helper.h. Safe wrappers over them live in the modules
//! that use them; nothing outside this crate sees these items.

// Generated code: the same lint exceptions as the kernel's own bindings.
#[allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    unnecessary_transmutes,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::as_underscore,
    clippy::cast_lossless,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr
)]
mod raw {
    include!(concat!(
        env!("TCM_RS_OBJ"),
        "/bindings/bindings_generated.rs"
    ));
}

pub(crate) use raw::*;
