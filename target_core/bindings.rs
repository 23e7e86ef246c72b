// SPDX-License-Identifier: GPL-2.0

//! Raw bindings to the SCSI and socket headers (and to our C helpers),
//! generated at build time by kbuild/bindgen.mk from
//! bindings/bindings_helper.h. Safe wrappers over them live in the modules
//! that use them; nothing outside this crate sees these items.

#[path = "../kbuild/generated_bindings.rs"]
mod generated;

pub(crate) use generated::*;

/// Bindgen computes layouts with libclang; the kernel was compiled with GCC.
/// These tests ask the C compiler for sizes and offsets and compare.
#[kernel::prelude::kunit_tests(tcm_rs_core_bindings)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    fn c_layout(item: tcm_rs_layout_item) -> usize {
        // SAFETY: a pure function of its argument; any value is accepted.
        unsafe { tcm_rs_c_layout(item) }
    }

    #[test]
    fn sizes_match_c() {
        assert_eq!(
            size_of::<scsi_cmnd>(),
            c_layout(tcm_rs_layout_item_TCM_RS_SIZEOF_SCSI_CMND)
        );
        assert_eq!(
            size_of::<Scsi_Host>(),
            c_layout(tcm_rs_layout_item_TCM_RS_SIZEOF_SCSI_HOST)
        );
        assert_eq!(
            size_of::<scsi_host_template>(),
            c_layout(tcm_rs_layout_item_TCM_RS_SIZEOF_SCSI_HOST_TEMPLATE)
        );
        assert_eq!(
            size_of::<scsi_device>(),
            c_layout(tcm_rs_layout_item_TCM_RS_SIZEOF_SCSI_DEVICE)
        );
        assert_eq!(
            size_of::<socket>(),
            c_layout(tcm_rs_layout_item_TCM_RS_SIZEOF_SOCKET)
        );
    }

    #[test]
    fn offsets_match_c() {
        assert_eq!(
            offset_of!(scsi_cmnd, cmnd),
            c_layout(tcm_rs_layout_item_TCM_RS_OFFSETOF_SCSI_CMND_CMND)
        );
        assert_eq!(
            offset_of!(scsi_cmnd, sdb),
            c_layout(tcm_rs_layout_item_TCM_RS_OFFSETOF_SCSI_CMND_SDB)
        );
        assert_eq!(
            offset_of!(scsi_cmnd, sense_buffer),
            c_layout(tcm_rs_layout_item_TCM_RS_OFFSETOF_SCSI_CMND_SENSE_BUFFER)
        );
        assert_eq!(
            offset_of!(scsi_cmnd, result),
            c_layout(tcm_rs_layout_item_TCM_RS_OFFSETOF_SCSI_CMND_RESULT)
        );
        assert_eq!(
            offset_of!(Scsi_Host, can_queue),
            c_layout(tcm_rs_layout_item_TCM_RS_OFFSETOF_SCSI_HOST_CAN_QUEUE)
        );
        assert_eq!(
            offset_of!(scsi_host_template, queuecommand),
            c_layout(tcm_rs_layout_item_TCM_RS_OFFSETOF_SCSI_HOST_TEMPLATE_QUEUECOMMAND)
        );
        assert_eq!(
            offset_of!(socket, sk),
            c_layout(tcm_rs_layout_item_TCM_RS_OFFSETOF_SOCKET_SK)
        );
        assert_eq!(c_layout(tcm_rs_layout_item_TCM_RS_LAYOUT_ITEMS), 0);
    }

    /// The helpers for static inline functions read and write the fields
    /// that the Rust side sees at the same places.
    #[test]
    fn helpers_see_rust_fields() {
        let mut cmd = scsi_cmnd::default();
        cmd.sdb.length = 4096;
        cmd.sdb.table.nents = 3;
        let p: *mut scsi_cmnd = &mut cmd;
        // SAFETY: `p` points to a live, initialised scsi_cmnd; the helpers
        // only read and write its fields.
        unsafe {
            assert_eq!(tcm_rs_scsi_bufflen(p), 4096);
            assert_eq!(tcm_rs_scsi_sg_count(p), 3);
            tcm_rs_scsi_set_resid(p, 512);
            assert_eq!(tcm_rs_scsi_get_resid(p), 512);
            // The private area follows the command in memory.
            assert_eq!(
                tcm_rs_scsi_cmd_priv(p) as usize,
                p as usize + size_of::<scsi_cmnd>()
            );
        }
        assert_eq!(cmd.resid_len, 512);
    }
}
