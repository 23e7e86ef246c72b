//! Any bytes as an UNMAP parameter list (limits from the first 16 bytes):
//! parsing never panics, and every range it returns is within the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcm_proto::cdb::check_range;
use tcm_proto::sbc::*;

fuzz_target!(|data: &[u8]| {
    let Some((h, list)) = data.split_first_chunk::<16>() else {
        return;
    };
    let lim = UnmapCheck {
        max_unmap_lba_count: u32::from_be_bytes([h[0], h[1], h[2], h[3]]),
        max_unmap_block_desc_count: u32::from(h[4]),
        capacity: u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]),
    };
    match parse_unmap(list, &lim) {
        Ok(ranges) => {
            let mut n = 0;
            for (lba, blocks) in ranges {
                n += 1;
                assert!(blocks != 0 && blocks <= lim.max_unmap_lba_count);
                assert!(check_range(lba, blocks, lim.capacity).is_ok());
            }
            assert!(n <= lim.max_unmap_block_desc_count);
        }
        Err(e) => {
            if let Some(f) = e.field {
                assert!(usize::from(f.byte) < list.len());
            }
        }
    }
});
