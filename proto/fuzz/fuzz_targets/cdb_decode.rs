//! Any bytes as a CDB, with decode options from the first byte: decoding
//! never panics, a decoded command agrees with its bytes, and every refusal
//! makes valid sense data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcm_proto::cdb::*;
use tcm_proto::sense::{SenseFormat, MAX_LEN};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, cdb)) = data.split_first() else {
        return;
    };
    let opts = DecodeOptions {
        dpofua: flags & 1 != 0,
        protection: flags & 2 != 0,
        anchor: flags & 4 != 0,
        ndob: flags & 8 != 0,
        max_compare_and_write: flags >> 4,
    };
    match decode(cdb, &opts) {
        Ok(d) => {
            assert_eq!(Some(usize::from(d.cdb_len)), cdb_len(d.opcode));
            assert!(usize::from(d.cdb_len) <= cdb.len());
            assert_eq!(
                d.direction == DataDirection::None,
                d.length.bytes(512) == 0
            );
            if let Some((lba, blocks)) = d.lba_range() {
                let _ = check_range(lba, blocks, u64::MAX);
            }
        }
        Err(e) => {
            let mut buf = [0u8; MAX_LEN];
            assert!(e.sense().encode(SenseFormat::Fixed, &mut buf).is_ok());
            assert!(e.sense().encode(SenseFormat::Descriptor, &mut buf).is_ok());
            if let Some(f) = e.field {
                assert!(usize::from(f.byte) < cdb.len().max(1));
            }
        }
    }
});
