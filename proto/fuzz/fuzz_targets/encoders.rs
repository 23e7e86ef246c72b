//! The VPD and REPORT LUNS encoders with inputs taken from the bytes and an
//! output buffer of any length: they never panic, never write past the
//! buffer, and write the same prefix as into a large buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcm_proto::cdb::DecodeOptions;
use tcm_proto::report_luns::*;
use tcm_proto::rsoc::*;
use tcm_proto::sbc::*;
use tcm_proto::vpd::*;

fn check(enc: impl Fn(&mut [u8]) -> usize, cut: usize) {
    let mut big = [0u8; 2048];
    let n = enc(&mut big);
    assert!(n <= big.len());
    let mut short = [0xa5u8; 2048];
    let cut = cut.min(n);
    assert_eq!(enc(&mut short[..cut]), n);
    assert_eq!(short[..cut], big[..cut]);
    assert!(short[cut..].iter().all(|&b| b == 0xa5));
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 12 {
        return;
    }
    let (h, rest) = data.split_at(12);
    let cut = usize::from(u16::from_be_bytes([h[0], h[1]]));
    let f = h[2];
    // The rest splits into serial, vendor/product and name.
    let a = usize::from(h[3]).min(rest.len());
    let (serial, rest) = rest.split_at(a);
    let b = usize::from(h[4]).min(rest.len());
    let (text, name) = rest.split_at(b);
    let std_inq = StandardInquiry {
        peripheral: h[5],
        removable: f & 1 != 0,
        sccs: f & 2 != 0,
        tpgs: h[6],
        three_pc: f & 4 != 0,
        protect: f & 8 != 0,
        multip: f & 16 != 0,
        vendor: text,
        product: name,
        revision: serial,
        protocol_id: h[7],
    };
    check(|o| encode_standard(&std_inq, o), cut);
    check(|o| encode_supported_pages(h[5], text, o), cut);
    check(|o| encode_unit_serial(h[5], (f & 32 != 0).then_some(serial), o), cut);
    let id = DeviceIdentification {
        peripheral: h[5],
        unit_serial: (f & 32 != 0).then_some(serial),
        company_id: u32::from_be_bytes([0, h[8], h[9], h[10]]),
        vendor: text,
        product: text,
        protocol_id: h[7],
        rtpi: u16::from_be_bytes([h[8], h[9]]),
        target_port_group: (f & 64 != 0).then_some(u16::from(h[10])),
        lu_group: (f & 128 != 0).then_some(u16::from(h[11])),
        target_name: name,
        tpgt: u16::from_be_bytes([h[10], h[11]]),
    };
    check(|o| encode_device_identification(&id, o), cut);
    let ext = ExtendedInquiry {
        peripheral: h[5],
        protection_type: h[6],
        write_cache: f & 1 != 0,
        referrals: f & 2 != 0,
    };
    check(|o| encode_extended_inquiry(&ext, o), cut);
    let bl = BlockLimits {
        peripheral: h[5],
        max_compare_and_write: h[6],
        optimal_transfer_granularity: u16::from_be_bytes([h[8], h[9]]),
        max_transfer_length: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        optimal_transfer_length: u32::from(h[11]),
        unmap: (f & 4 != 0).then(|| UnmapLimits {
            unmap_granularity_alignment: u32::from(h[9]),
            ..UnmapLimits::default()
        }),
        atomic: (f & 8 != 0).then(AtomicLimits::default),
    };
    check(|o| encode_block_limits(&bl, o), cut);
    check(|o| encode_block_device_characteristics(h[5], f & 1 != 0, o), cut);
    let prov = Provisioning {
        peripheral: h[5],
        unmap: f & 1 != 0,
        write_same_unmap: f & 2 != 0,
        unmap_zeroes_data: f & 4 != 0,
    };
    check(|o| encode_provisioning(&prov, o), cut);
    let luns = name
        .chunks_exact(2)
        .map(|c| u64::from(u16::from_be_bytes([c[0], c[1]])));
    let lun0 = match h[6] % 3 {
        0 => Lun0::IfEmpty,
        1 => Lun0::IfAbsent,
        _ => Lun0::Never,
    };
    let format = if f & 1 != 0 {
        LunFormat::Flat
    } else {
        LunFormat::Linux
    };
    let luns = luns.take(200);
    check(
        |o| encode_report_luns(luns.clone(), h[7], lun0, format, o),
        cut,
    );
    let set = CommandSet {
        decode: DecodeOptions {
            dpofua: f & 1 != 0,
            protection: f & 2 != 0,
            anchor: f & 4 != 0,
            ndob: f & 8 != 0,
            max_compare_and_write: h[6] & 3,
        },
        unmap: f & 16 != 0,
        write_same_unmap: f & 32 != 0,
        reservations: f & 64 != 0,
        rsoc: f & 128 != 0,
        report_target_port_groups: h[5] & 1 != 0,
    };
    let rctd = h[5] & 2 != 0;
    check(|o| encode_all_commands(&set, rctd, o), cut);
    let mut one = [0u8; 64];
    let sa = u16::from_be_bytes([h[9], h[10]]);
    if encode_one_command(&set, h[8] & 7, h[7], sa, rctd, &mut one).is_ok() {
        check(
            |o| encode_one_command(&set, h[8] & 7, h[7], sa, rctd, o).unwrap(),
            cut,
        );
    }
    let tmfs = SupportedTmfs {
        abort_task: f & 1 != 0,
        lun_reset: f & 2 != 0,
        ..SupportedTmfs::default()
    };
    check(|o| encode_supported_tmfs(&tmfs, rctd, o), cut);
    let last_lba = u64::from_be_bytes([h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]]);
    check(|o| encode_read_capacity_10(last_lba, u32::from(h[3]), o), cut);
    let cap = Capacity16 {
        last_lba,
        block_size: u32::from(h[4]),
        prot_type: h[5],
        lbppbe: h[6],
        lowest_aligned_lba: u16::from_be_bytes([h[7], h[8]]),
        lbpme: f & 1 != 0,
        lbprz: f & 2 != 0,
    };
    check(|o| encode_read_capacity_16(&cap, o), cut);
    let statuses = text.chunks_exact(2).take(100).map(|c| LbaStatus {
        lba: u64::from(c[0]),
        blocks: u32::from(c[1]),
        status: ProvisioningStatus::Deallocated,
    });
    check(|o| encode_lba_status(statuses.clone(), o), cut);
});
