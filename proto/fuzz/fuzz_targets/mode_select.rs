//! Any bytes as a MODE SELECT parameter list (state from the first 16
//! bytes): parsing never panics and points only inside the list; MODE SENSE
//! of the same state is accepted back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcm_proto::cdb::PageControl;
use tcm_proto::mode::*;

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let (head, list) = data.split_at(16);
    let f = head[0];
    let m = ModeParams {
        device_type: if f & 1 != 0 { 0 } else { 5 },
        write_protect: f & 2 != 0,
        dpofua: f & 4 != 0,
        blocks: u64::from_be_bytes(head[1..9].try_into().unwrap()),
        block_size: u32::from_be_bytes(head[9..13].try_into().unwrap()) & 0x00ff_ffff,
        wce: f & 8 != 0,
        d_sense: f & 16 != 0,
        restricted_reordering: f & 32 != 0,
        ua_intlck_ctrl: head[13] & 3,
        tas: f & 64 != 0,
        ato: f & 128 != 0,
    };
    let ten = head[14] & 1 != 0;
    if let Err(e) = parse_mode_select(ten, list, &m) {
        if let Some(p) = e.field {
            assert!(!p.in_cdb && usize::from(p.byte) < list.len());
        }
    }
    let q = ModeSense {
        ten,
        dbd: head[14] & 2 != 0,
        llbaa: head[14] & 4 != 0,
        pc: PageControl::Current,
        page: 0x3f,
        subpage: if head[14] & 8 != 0 { 0xff } else { 0 },
    };
    let mut buf = [0u8; 256];
    let n = encode_mode_sense(&q, &m, &mut buf).unwrap();
    assert!(parse_mode_select(ten, &buf[..n], &m).is_ok());
    // Truncated to the list's length: the same prefix.
    let cut = usize::from(head[15]).min(n);
    let mut short = [0u8; 256];
    assert_eq!(encode_mode_sense(&q, &m, &mut short[..cut]), Ok(n));
    assert_eq!(short[..cut], buf[..cut]);
});
