//! Property tests of the SCSI command code: CDB decoding never panics and
//! agrees with the CDB it was given; block CDBs built from fields decode
//! back to those fields; MODE SENSE data is accepted by MODE SELECT; and
//! every encoder writes only into the buffer it is given, the same prefix
//! whatever the buffer's length, and returns the full length.

use proptest::prelude::*;
use tcm_proto::cdb::*;
use tcm_proto::mode::*;
use tcm_proto::report_luns::*;
use tcm_proto::sense::{SenseFormat, MAX_LEN};
use tcm_proto::vpd::*;

fn options() -> impl Strategy<Value = DecodeOptions> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0u8..3,
    )
        .prop_map(
            |(dpofua, protection, anchor, ndob, max_compare_and_write)| DecodeOptions {
                dpofua,
                protection,
                anchor,
                ndob,
                max_compare_and_write,
            },
        )
}

/// CDBs that start with an operation code we decode, so that the
/// properties reach past the opcode check.
fn cdb_bytes() -> impl Strategy<Value = Vec<u8>> {
    let ops = prop::sample::select(vec![
        0x00u8, 0x03, 0x08, 0x0a, 0x12, 0x15, 0x16, 0x17, 0x1a, 0x25, 0x28, 0x2a, 0x2e, 0x2f, 0x35,
        0x41, 0x42, 0x55, 0x56, 0x57, 0x5a, 0x5e, 0x5f, 0x88, 0x89, 0x8a, 0x8e, 0x8f, 0x91, 0x93,
        0x9e, 0xa0, 0xa3, 0xa8, 0xaa, 0xae, 0xaf,
    ]);
    (
        ops,
        prop::collection::vec(any::<u8>(), 0..20),
        any::<bool>(),
    )
        .prop_map(|(op, mut rest, sparse)| {
            if sparse {
                // Mostly zero bytes, so reserved-bit checks pass more often.
                for b in rest.iter_mut() {
                    if *b > 0x30 {
                        *b = 0;
                    }
                }
            }
            rest.insert(0, op);
            rest
        })
}

fn any_cdb() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..40), cdb_bytes()]
}

fn mode_params() -> impl Strategy<Value = ModeParams> {
    (
        prop::sample::select(vec![0u8, 0, 0, 5]),
        any::<(bool, bool, bool, bool, bool, bool, bool)>(),
        any::<u64>(),
        any::<u32>(),
        prop::sample::select(vec![0u8, 2, 3]),
    )
        .prop_map(
            |(device_type, (wp, dpofua, wce, d_sense, rr, tas, ato), blocks, block_size, ua)| {
                ModeParams {
                    device_type,
                    write_protect: wp,
                    dpofua,
                    blocks,
                    // The short descriptor holds 24 bits of block length.
                    block_size: block_size & 0x00ff_ffff,
                    wce,
                    d_sense,
                    restricted_reordering: rr,
                    ua_intlck_ctrl: ua,
                    tas,
                    ato,
                }
            },
        )
}

fn page_control() -> impl Strategy<Value = PageControl> {
    prop::sample::select(vec![
        PageControl::Current,
        PageControl::Changeable,
        PageControl::Default,
        PageControl::Saved,
    ])
}

/// Runs `enc` on a large buffer and on a buffer of `cut` bytes filled with
/// `fill`, and checks the truncation contract.
fn truncates(enc: impl Fn(&mut [u8]) -> usize, cut: usize, fill: u8) -> Result<(), TestCaseError> {
    let mut big = vec![0u8; 2048];
    let n = enc(&mut big);
    prop_assert!(n <= 2048);
    let mut short = vec![fill; cut];
    prop_assert_eq!(enc(&mut short), n);
    let k = cut.min(n);
    prop_assert_eq!(&short[..k], &big[..k]);
    prop_assert!(short[k..].iter().all(|&b| b == fill));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn decode_never_panics_and_is_consistent(cdb in any_cdb(), opts in options()) {
        match decode(&cdb, &opts) {
            Ok(d) => {
                prop_assert_eq!(d.opcode, cdb[0]);
                prop_assert_eq!(Some(usize::from(d.cdb_len)), cdb_len(cdb[0]));
                prop_assert!(cdb.len() >= usize::from(d.cdb_len));
                // The control byte passed: NACA, LINK and reserved clear.
                prop_assert_eq!(cdb[usize::from(d.cdb_len) - 1] & 0x3f, 0);
                let zero = d.length.bytes(512) == 0;
                prop_assert_eq!(d.direction == DataDirection::None, zero);
                if let Some((lba, blocks)) = d.lba_range() {
                    // An in-range command passes check_range.
                    let cap = lba.saturating_add(u64::from(blocks));
                    if lba.checked_add(u64::from(blocks)).is_some() {
                        prop_assert_eq!(check_range(lba, blocks, cap), Ok(()));
                    }
                    if cap > 0 && blocks > 0 {
                        prop_assert!(check_range(lba, blocks, cap - 1).is_err());
                    }
                }
            }
            Err(e) => {
                // Every refusal makes valid sense data.
                let mut buf = [0u8; MAX_LEN];
                prop_assert!(e.sense().encode(SenseFormat::Fixed, &mut buf).is_ok());
                prop_assert!(e.sense().encode(SenseFormat::Descriptor, &mut buf).is_ok());
                if let Some(f) = e.field {
                    prop_assert!(f.in_cdb);
                    prop_assert!(usize::from(f.byte) < cdb.len().max(1));
                    prop_assert!(f.bit.is_none_or(|b| b < 8));
                }
            }
        }
    }

    #[test]
    fn block_cdbs_round_trip(
        size in prop::sample::select(vec![10usize, 12, 16]),
        write in any::<bool>(),
        lba in any::<u64>(),
        blocks in any::<u32>(),
        dpo in any::<bool>(),
        fua in any::<bool>(),
        group in 0u8..64,
    ) {
        let mut c = [0u8; 16];
        let (lba, blocks) = match size {
            10 => {
                c[0] = if write { 0x2a } else { 0x28 };
                let (l, n) = (lba as u32, blocks as u16);
                c[2..6].copy_from_slice(&l.to_be_bytes());
                c[7..9].copy_from_slice(&n.to_be_bytes());
                c[6] = group;
                (u64::from(l), u32::from(n))
            }
            12 => {
                c[0] = if write { 0xaa } else { 0xa8 };
                c[2..6].copy_from_slice(&(lba as u32).to_be_bytes());
                c[6..10].copy_from_slice(&blocks.to_be_bytes());
                c[10] = group;
                (u64::from(lba as u32), blocks)
            }
            _ => {
                c[0] = if write { 0x8a } else { 0x88 };
                c[2..10].copy_from_slice(&lba.to_be_bytes());
                c[10..14].copy_from_slice(&blocks.to_be_bytes());
                c[14] = group;
                (lba, blocks)
            }
        };
        c[1] = u8::from(dpo) << 4 | u8::from(fua) << 3;
        let d = decode(&c[..size], &DecodeOptions::LIO_DEFAULT).unwrap();
        let rw = Rw { lba, blocks, dpo, fua, protect: 0, group, bytchk: 0 };
        prop_assert_eq!(d.command, if write { Command::Write(rw) } else { Command::Read(rw) });
        prop_assert_eq!(d.lba_range(), Some((lba, blocks)));
        prop_assert_eq!(d.length.bytes(4096), u64::from(blocks) * 4096);
    }

    #[test]
    fn mode_sense_round_trips_through_mode_select(
        m in mode_params(),
        ten in any::<bool>(),
        dbd in any::<bool>(),
        llbaa in any::<bool>(),
        page in prop::sample::select(vec![0x01u8, 0x08, 0x0a, 0x1c, 0x3f]),
        all_subpages in any::<bool>(),
    ) {
        let subpage = if page == 0x3f && all_subpages { 0xff } else { 0 };
        let q = ModeSense { ten, dbd, llbaa, pc: PageControl::Current, page, subpage };
        let mut buf = [0u8; 512];
        let n = encode_mode_sense(&q, &m, &mut buf).unwrap();
        let got = parse_mode_select(ten, &buf[..n], &m);
        let wce = (page == 0x08 || page == 0x3f).then_some(m.wce);
        prop_assert_eq!(got, Ok(ModeChanges { wce }));
        // The mode data length covers the rest of the data.
        let len = if ten { usize::from(u16::from_be_bytes([buf[0], buf[1]])) + 2 } else { usize::from(buf[0]) + 1 };
        prop_assert_eq!(len, n);
    }

    #[test]
    fn mode_select_never_panics(
        ten in any::<bool>(),
        data in prop::collection::vec(any::<u8>(), 0..80),
        m in mode_params(),
    ) {
        if let Err(e) = parse_mode_select(ten, &data, &m) {
            if let Some(f) = e.field {
                prop_assert!(!f.in_cdb);
                prop_assert!(usize::from(f.byte) < data.len());
            }
        }
    }

    #[test]
    fn mode_sense_truncates(
        m in mode_params(),
        ten in any::<bool>(),
        dbd in any::<bool>(),
        llbaa in any::<bool>(),
        pc in page_control(),
        page in 0u8..64,
        subpage in prop::sample::select(vec![0u8, 1, 2, 0xff]),
        cut in 0usize..160,
        fill in any::<u8>(),
    ) {
        let q = ModeSense { ten, dbd, llbaa, pc, page, subpage };
        let mut big = [0u8; 512];
        match encode_mode_sense(&q, &m, &mut big) {
            Ok(_) => truncates(|o| encode_mode_sense(&q, &m, o).unwrap(), cut, fill)?,
            Err(e) => prop_assert!(e.field.is_some_and(|f| f.in_cdb && (f.byte == 2 || f.byte == 3))),
        }
    }

    #[test]
    fn vpd_pages_truncate(
        serial in prop::option::of(prop::collection::vec(any::<u8>(), 0..300)),
        vendor in prop::collection::vec(any::<u8>(), 0..12),
        product in prop::collection::vec(any::<u8>(), 0..20),
        name in prop::collection::vec(any::<u8>(), 0..300),
        ids in any::<(u8, u16, Option<u16>, Option<u16>, u16, u32)>(),
        flags in any::<(bool, bool, bool, bool, bool, bool, u8)>(),
        limits in any::<(u16, u32, u32, Option<(u32, u32, u32, u32, u64)>, Option<(u32, u32, u32, u32, u32)>)>(),
        cut in 0usize..600,
        fill in any::<u8>(),
    ) {
        let (peripheral, rtpi, tpg, lug, tpgt, company_id) = ids;
        let (a, b, c, d, e, f, byte) = flags;
        let std_inq = StandardInquiry {
            peripheral, removable: a, sccs: b, tpgs: byte, three_pc: c, protect: d, multip: e,
            vendor: &vendor, product: &product, revision: &vendor, protocol_id: byte,
        };
        truncates(|o| encode_standard(&std_inq, o), cut, fill)?;
        truncates(|o| encode_supported_pages(peripheral, &product, o), cut, fill)?;
        truncates(|o| encode_unit_serial(peripheral, serial.as_deref(), o), cut, fill)?;
        let id = DeviceIdentification {
            peripheral, unit_serial: serial.as_deref(), company_id, vendor: &vendor,
            product: &product, protocol_id: byte, rtpi, target_port_group: tpg, lu_group: lug,
            target_name: &name, tpgt,
        };
        truncates(|o| encode_device_identification(&id, o), cut, fill)?;
        let mut page = [0u8; 2048];
        let n = encode_device_identification(&id, &mut page);
        // Page length and every designator length agree with the bytes.
        prop_assert_eq!(usize::from(u16::from_be_bytes([page[2], page[3]])) + 4, n);
        let mut at = 4;
        while at < n {
            at += 4 + usize::from(page[at + 3]);
        }
        prop_assert_eq!(at, n);
        let ext = ExtendedInquiry { peripheral, protection_type: byte, write_cache: a, referrals: b };
        truncates(|o| encode_extended_inquiry(&ext, o), cut, fill)?;
        let (granularity, max, opt, unmap, atomic) = limits;
        let bl = BlockLimits {
            peripheral, max_compare_and_write: byte, optimal_transfer_granularity: granularity,
            max_transfer_length: max, optimal_transfer_length: opt,
            unmap: unmap.map(|(a, b, c, d, e)| UnmapLimits {
                max_unmap_lba_count: a, max_unmap_block_desc_count: b, unmap_granularity: c,
                unmap_granularity_alignment: d & 0x7fff_ffff, max_write_same_len: e,
            }),
            atomic: atomic.map(|(a, b, c, d, e)| AtomicLimits {
                max_len: a, alignment: b, granularity: c, max_with_boundary: d, max_boundary: e,
            }),
        };
        truncates(|o| encode_block_limits(&bl, o), cut, fill)?;
        truncates(|o| encode_block_device_characteristics(peripheral, f, o), cut, fill)?;
        let prov = Provisioning { peripheral, unmap: a, write_same_unmap: b, unmap_zeroes_data: c };
        truncates(|o| encode_provisioning(&prov, o), cut, fill)?;
    }

    #[test]
    fn report_luns_truncates_and_round_trips(
        luns in prop::collection::vec(any::<u64>(), 0..40),
        select in prop::sample::select(vec![0u8, 1, 2, 0x10, 0x11, 0x12]),
        lun0 in prop::sample::select(vec![Lun0::IfEmpty, Lun0::IfAbsent, Lun0::Never]),
        cut in 0usize..400,
        fill in any::<u8>(),
    ) {
        truncates(
            |o| encode_report_luns(luns.iter().copied(), select, lun0, LunFormat::Linux, o),
            cut,
            fill,
        )?;
        let mut buf = vec![0u8; 8 + 8 * 41];
        let n = encode_report_luns(luns.iter().copied(), select, lun0, LunFormat::Linux, &mut buf);
        let list = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        prop_assert_eq!(list + 8, n);
        let decoded: Vec<u64> = buf[8..n]
            .chunks(8)
            .map(|c| scsilun_to_int(&c.try_into().unwrap()))
            .collect();
        if !matches!(select, 1 | 0x10) {
            // Every mapped LUN is there, in order, after any added LUN 0.
            prop_assert!(decoded.ends_with(&luns));
        }
    }

    #[test]
    fn lun_encoding_round_trips(lun in any::<u64>()) {
        prop_assert_eq!(scsilun_to_int(&int_to_scsilun(lun)), lun);
        let flat = encode_lun(lun, LunFormat::Flat);
        if (256..0x4000).contains(&lun) {
            prop_assert_eq!(scsilun_to_int(&flat), lun | 0x4000);
        } else {
            prop_assert_eq!(flat, int_to_scsilun(lun));
        }
    }
}

proptest! {
    #[test]
    fn unmap_list_never_panics_and_ranges_fit(
        data in prop::collection::vec(any::<u8>(), 0..120),
        max_lba in any::<u32>(),
        max_desc in 0u32..8,
        capacity in any::<u64>(),
    ) {
        use tcm_proto::sbc::*;
        let lim = UnmapCheck {
            max_unmap_lba_count: max_lba,
            max_unmap_block_desc_count: max_desc,
            capacity,
        };
        match parse_unmap(&data, &lim) {
            Ok(ranges) => {
                let mut n = 0;
                for (lba, blocks) in ranges {
                    n += 1;
                    prop_assert!(blocks != 0 && blocks <= max_lba);
                    prop_assert!(check_range(lba, blocks, capacity).is_ok());
                }
                prop_assert!(n <= max_desc);
            }
            Err(e) => {
                if let Some(f) = e.field {
                    prop_assert!(usize::from(f.byte) < data.len());
                }
            }
        }
    }

    #[test]
    fn capacity_data_truncates(
        last_lba in any::<u64>(),
        block_size in any::<u32>(),
        flags in any::<(u8, u8, u16, bool, bool)>(),
        cut in 0usize..40,
        fill in any::<u8>(),
    ) {
        use tcm_proto::sbc::*;
        truncates(|o| encode_read_capacity_10(last_lba, block_size, o), cut, fill)?;
        let (prot_type, lbppbe, lowest_aligned_lba, lbpme, lbprz) = flags;
        let c = Capacity16 { last_lba, block_size, prot_type, lbppbe, lowest_aligned_lba, lbpme, lbprz };
        truncates(|o| encode_read_capacity_16(&c, o), cut, fill)?;
        let s = LbaStatus { lba: last_lba, blocks: block_size, status: ProvisioningStatus::Mapped };
        truncates(|o| encode_lba_status(core::iter::repeat_n(s, usize::from(lbppbe % 4)), o), cut, fill)?;
    }
}

proptest! {
    #[test]
    fn rsoc_encoders_truncate(
        flags in any::<(bool, bool, bool, bool, bool, bool, bool, bool)>(),
        caw in 0u8..3,
        options in 0u8..8,
        opcode in any::<u8>(),
        sa in any::<u16>(),
        rctd in any::<bool>(),
        cut in 0usize..1200,
        fill in any::<u8>(),
    ) {
        use tcm_proto::rsoc::*;
        let (a, b, c, d, e, f, g, h) = flags;
        let set = CommandSet {
            decode: DecodeOptions { dpofua: a, protection: b, anchor: c, ndob: d, max_compare_and_write: caw },
            unmap: e,
            write_same_unmap: f,
            reservations: g,
            rsoc: h,
            report_target_port_groups: a,
            set_target_port_groups: b,
        };
        truncates(|o| encode_all_commands(&set, rctd, o), cut, fill)?;
        let mut big = [0u8; 64];
        if let Ok(n) = encode_one_command(&set, options, opcode, sa, rctd, &mut big) {
            truncates(|o| encode_one_command(&set, options, opcode, sa, rctd, o).unwrap(), cut, fill)?;
            // A supported command's usage data starts with its opcode and
            // its CDB length is the decoder's.
            if big[1] & 7 == 3 {
                prop_assert_eq!(big[4], opcode);
                let len = usize::from(u16::from_be_bytes([big[2], big[3]]));
                prop_assert_eq!(Some(len), cdb_len(opcode));
                prop_assert_eq!(n, 4 + len + if rctd { 12 } else { 0 });
            }
        }
        let t = SupportedTmfs { abort_task: a, lun_reset: b, i_t_nexus_reset: c, ..SupportedTmfs::default() };
        truncates(|o| encode_supported_tmfs(&t, rctd, o), cut, fill)?;
    }
}

fn block_size() -> impl Strategy<Value = u32> {
    prop_oneof![Just(512u32), Just(1024), Just(2048), Just(4096)]
}

proptest! {
    /// The logical blocks of a LUN are the whole blocks of its size in the
    /// backstore's bytes: never more bytes than the backstore holds (no
    /// access past its end), and less than one block short of them.
    #[test]
    fn logical_blocks_are_the_whole_blocks(
        hw_blocks in 0u64..(1u64 << 50),
        hw_block_size in block_size(),
        block_size in block_size(),
    ) {
        use tcm_proto::capacity::logical_blocks;
        let bytes = u128::from(hw_blocks) * u128::from(hw_block_size);
        let blocks = u128::from(logical_blocks(hw_blocks, hw_block_size, block_size));
        prop_assert!(blocks * u128::from(block_size) <= bytes);
        prop_assert!(bytes < (blocks + 1) * u128::from(block_size));
    }

    /// Whatever count a backstore reports, the byte offset of every LBA in
    /// range fits 64 bits: the engine's offset arithmetic cannot overflow.
    #[test]
    fn logical_blocks_have_64_bit_offsets(
        hw_blocks in any::<u64>(),
        hw_block_size in block_size(),
        block_size in block_size(),
    ) {
        use tcm_proto::capacity::logical_blocks;
        let blocks = logical_blocks(hw_blocks, hw_block_size, block_size);
        prop_assert!(blocks.checked_mul(u64::from(block_size)).is_some());
    }

    /// Whatever sequence of counts the backstore reports, each one that
    /// differs from the one before is reported once, with both counts.
    #[test]
    fn capacity_changes_are_reported_once(
        counts in proptest::collection::vec(0u64..8, 1..32),
    ) {
        use tcm_proto::capacity::{Capacity, Change};
        let c = Capacity::new();
        c.set(counts[0], 512);
        let mut last = counts[0];
        for &now in &counts[1..] {
            let seen = c.observe(now);
            if now == last {
                prop_assert_eq!(seen, None);
            } else {
                prop_assert_eq!(seen, Some(Change { old: last, new: now }));
            }
            prop_assert_eq!(c.observe(now), None);
            prop_assert_eq!(c.blocks(512), now);
            last = now;
        }
    }
}
