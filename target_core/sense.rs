// SPDX-License-Identifier: GPL-2.0

//! Sense data: the shared code in proto/src/sense.rs, compiled into the
//! module, checked here against the kernel's own C encoder.

// The shared file is a library API: each module that compiles it uses part.
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/sense.rs"]
mod proto_sense;

#[allow(unused_imports)]
pub(crate) use proto_sense::*;

#[kernel::prelude::kunit_tests(tcm_rs_core_sense)]
mod tests {
    use super::*;
    use crate::bindings;

    /// Our encoding of `sense` in `format` must equal what the kernel's
    /// scsi_build_sense_buffer() writes for the same key and codes.
    fn same_as_kernel(format: SenseFormat, key: SenseKey, asc: u8, ascq: u8) {
        let mut ours = [0u8; MAX_LEN];
        let mut theirs = [0u8; MAX_LEN];
        let len = Sense::new(key, asc, ascq).encode(format, &mut ours);
        assert!(len.is_ok());
        let desc = i32::from(format == SenseFormat::Descriptor);
        // SAFETY: `theirs` is MAX_LEN (28) bytes, more than the 18 bytes the
        // C function writes at most.
        unsafe {
            bindings::scsi_build_sense_buffer(desc, theirs.as_mut_ptr(), key as u8, asc, ascq)
        };
        assert_eq!(ours, theirs);
    }

    #[test]
    fn fixed_format_matches_kernel() {
        same_as_kernel(SenseFormat::Fixed, SenseKey::IllegalRequest, 0x24, 0x00);
        same_as_kernel(SenseFormat::Fixed, SenseKey::UnitAttention, 0x29, 0x00);
        same_as_kernel(SenseFormat::Fixed, SenseKey::MediumError, 0x11, 0x00);
    }

    #[test]
    fn descriptor_format_matches_kernel() {
        same_as_kernel(
            SenseFormat::Descriptor,
            SenseKey::IllegalRequest,
            0x20,
            0x00,
        );
        same_as_kernel(SenseFormat::Descriptor, SenseKey::NotReady, 0x04, 0x02);
        same_as_kernel(
            SenseFormat::Descriptor,
            SenseKey::AbortedCommand,
            0x47,
            0x01,
        );
    }
}
