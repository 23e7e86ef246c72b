// SPDX-License-Identifier: GPL-2.0

//! The bindings kbuild/bindgen.mk generated for the module being built
//! (from its bindings/bindings_helper.h), with the lint exceptions the
//! kernel's own bindings have. A module includes this file as its
//! `bindings` module with `#[path]`.

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
