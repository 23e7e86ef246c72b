//! Property tests of the ALUA code: the access check never panics and
//! agrees with its state; REPORT TARGET PORT GROUPS data truncates to a
//! prefix and reads back to the groups it was built from; SET TARGET PORT
//! GROUPS parameter lists of any bytes are checked without panicking, and
//! every error points inside the list; state changes end where they
//! should.

use proptest::prelude::*;
use tcm_proto::alua::*;
use tcm_proto::alua_access::*;
use tcm_proto::alua_tpgs::*;
use tcm_proto::alua_transition::*;
use tcm_proto::cdb::CdbError;
use tcm_proto::sense::{SenseFormat, SenseKey, MAX_LEN};

fn any_state() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(STATE_ACTIVE_OPTIMIZED),
        Just(STATE_ACTIVE_NON_OPTIMIZED),
        Just(STATE_STANDBY),
        Just(STATE_UNAVAILABLE),
        Just(STATE_LBA_DEPENDENT),
        Just(STATE_OFFLINE),
        Just(STATE_TRANSITION),
        any::<u8>(),
    ]
}

fn group() -> impl Strategy<Value = TgPtGp> {
    (
        any_state(),
        0u8..4,
        any::<u8>(),
        0u8..4,
        any::<bool>(),
        0u32..=MAX_NONOP_DELAY_MSECS,
        0u32..=MAX_TRANS_DELAY_MSECS,
        0u32..=MAX_IMPLICIT_TRANS_SECS,
        any::<bool>(),
    )
        .prop_map(
            |(state, status, supported, access_type, wmd, nonop, trans, implicit, pref)| TgPtGp {
                access_state: state,
                access_status: status,
                access_type: access_type << 4,
                supported,
                write_metadata: wmd,
                nonop_delay_msecs: nonop,
                trans_delay_msecs: trans,
                implicit_trans_secs: implicit,
                preferred: pref,
            },
        )
}

fn descriptor() -> impl Strategy<Value = GroupDescriptor> {
    (
        any::<bool>(),
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        any::<u8>(),
    )
        .prop_map(
            |(preferred, state, supported, id, status)| GroupDescriptor {
                preferred,
                state,
                supported,
                id,
                status,
            },
        )
}

fn groups() -> impl Strategy<Value = Vec<(GroupDescriptor, Vec<u16>)>> {
    prop::collection::vec(
        (
            descriptor(),
            prop_oneof![
                4 => prop::collection::vec(any::<u16>(), 0..6),
                1 => prop::collection::vec(any::<u16>(), 250..300),
            ],
        ),
        0..5,
    )
}

fn encode(
    format: RtpgFormat,
    time: u8,
    g: &[(GroupDescriptor, Vec<u16>)],
    out: &mut [u8],
) -> usize {
    encode_report_target_port_groups(
        format,
        time,
        g.iter().map(|(d, p)| (*d, p.iter().copied())),
        out,
    )
}

fn format() -> impl Strategy<Value = RtpgFormat> {
    prop_oneof![Just(RtpgFormat::LengthOnly), Just(RtpgFormat::Extended)]
}

/// Every refusal makes valid sense data.
fn valid_sense(e: &CdbError) -> Result<(), TestCaseError> {
    let mut buf = [0u8; MAX_LEN];
    prop_assert!(e.sense().encode(SenseFormat::Fixed, &mut buf).is_ok());
    prop_assert!(e.sense().encode(SenseFormat::Descriptor, &mut buf).is_ok());
    Ok(())
}

struct Targets {
    groups: Vec<(u16, u8)>,
    ports: Vec<u16>,
}

impl StpgTargets for Targets {
    fn group_supported(&self, id: u16) -> Option<u8> {
        self.groups.iter().find(|(g, _)| *g == id).map(|(_, s)| *s)
    }
    fn port_in_group(&self, rtpi: u16) -> bool {
        self.ports.contains(&rtpi)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn access_check_never_panics_and_follows_the_state(
        cdb in prop::collection::vec(any::<u8>(), 0..20),
        offline in any::<bool>(),
        g in prop::option::of((any::<u16>(), any_state(), any::<u32>())),
        data in prop::option::of((any::<u64>(), 0u64..4096)),
        ranges in prop::collection::vec((0u64..2048, 0u64..2048, any::<i32>(), any_state()), 0..6),
        segments in (0u32..64, 0u32..4),
        with_map in any::<bool>(),
    ) {
        let members: Vec<[(i32, u8); 2]> = ranges
            .iter()
            .map(|&(_, _, id, s)| [(id, s), (1, STATE_STANDBY)])
            .collect();
        let map_ranges: Vec<MapRange<'_>> = ranges
            .iter()
            .zip(&members)
            .map(|(&(first, last, _, _), m)| MapRange { first, last, members: m })
            .collect();
        let map = SliceMap {
            segment_size: segments.0,
            segment_multiplier: segments.1,
            ranges: &map_ranges,
        };
        let view: Option<&dyn LbaMapView> = if with_map { Some(&map) } else { None };
        let port = PortAccess {
            secondary_offline: offline,
            group: g.map(|(id, state, nonop_delay_msecs)| GroupAccess { id, state, nonop_delay_msecs }),
        };
        let v = check(&cdb, &port, data, view);
        if offline {
            prop_assert_eq!(v, Verdict::Refuse(not_accessible(ascq::OFFLINE)));
            return Ok(());
        }
        let Some((_, state, delay)) = g else {
            prop_assert_eq!(v, Verdict::Run);
            return Ok(());
        };
        match (state, v) {
            (STATE_ACTIVE_OPTIMIZED, Verdict::Run) => {}
            (STATE_ACTIVE_NON_OPTIMIZED, Verdict::RunNonOptimized { delay_msecs }) => {
                prop_assert_eq!(delay_msecs, delay);
            }
            (STATE_STANDBY, v) => prop_assert_eq!(
                v == Verdict::Run,
                standby_allows(&cdb)
            ),
            (STATE_UNAVAILABLE, v) => prop_assert_eq!(
                v == Verdict::Run,
                unavailable_allows(&cdb)
            ),
            (STATE_TRANSITION, v) => prop_assert_eq!(
                v == Verdict::Run,
                transition_allows(&cdb)
            ),
            (STATE_LBA_DEPENDENT, Verdict::Run) => {}
            (STATE_LBA_DEPENDENT, Verdict::Refuse(e)) => {
                prop_assert!(data.is_some_and(|(_, n)| n > 0));
                prop_assert_eq!(e.key, SenseKey::NotReady);
                prop_assert!(matches!(e.ascq, 0x0b | 0x0c));
            }
            (_, Verdict::Refuse(e)) => {
                prop_assert!(!matches!(
                    state,
                    STATE_ACTIVE_OPTIMIZED | STATE_ACTIVE_NON_OPTIMIZED | STATE_LBA_DEPENDENT
                ));
                prop_assert_eq!((e.key, e.asc, e.field), (SenseKey::IllegalRequest, 0x24, None));
            }
            (s, v) => prop_assert!(false, "state {} gave {:?}", s, v),
        }
        // The more permissive state lets through what the stricter does.
        if transition_allows(&cdb) {
            prop_assert!(unavailable_allows(&cdb));
        }
        if unavailable_allows(&cdb) {
            prop_assert!(standby_allows(&cdb));
        }
        if let Verdict::Refuse(e) = v {
            valid_sense(&e)?;
        }
    }

    #[test]
    fn rtpg_truncates_and_reads_back(
        g in groups(),
        format in format(),
        time in any::<u8>(),
        cut in 0usize..1400,
        fill in any::<u8>(),
    ) {
        let n = encode(format, time, &g, &mut []);
        let mut full = vec![0u8; n];
        prop_assert_eq!(encode(format, time, &g, &mut full), n);
        let mut short = vec![fill; cut];
        prop_assert_eq!(encode(format, time, &g, &mut short), n);
        let k = cut.min(n);
        prop_assert_eq!(&short[..k], &full[..k]);
        prop_assert!(short[k..].iter().all(|&b| b == fill));

        // Read it back as an initiator would (sg_rtpg).
        let rdl = u32::from_be_bytes([full[0], full[1], full[2], full[3]]) as usize;
        prop_assert_eq!(rdl + 4, n);
        let mut at = format.header_len();
        if format == RtpgFormat::Extended {
            prop_assert_eq!(full[4], 0x10);
            prop_assert_eq!(full[5], time);
        }
        for (d, ports) in g.iter().filter(|(_, p)| !p.is_empty()) {
            let desc = &full[at..at + 8];
            prop_assert_eq!(desc[0], u8::from(d.preferred) << 7 | (d.state & 0x0f));
            prop_assert_eq!(desc[1], d.supported);
            prop_assert_eq!(u16::from_be_bytes([desc[2], desc[3]]), d.id);
            prop_assert_eq!(desc[5], d.status);
            let count = usize::from(desc[7]);
            prop_assert_eq!(count, ports.len().min(255));
            at += 8;
            for p in ports.iter().take(count) {
                prop_assert_eq!(&full[at..at + 4], &[0, 0, (p >> 8) as u8, *p as u8]);
                at += 4;
            }
        }
        prop_assert_eq!(at, n);
    }

    #[test]
    fn stpg_lists_never_panic(
        data in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..40),
            // Mostly valid states.
            prop::collection::vec(
                (prop_oneof![Just(0u8), Just(1), Just(2), Just(3), Just(4), Just(0xe), Just(0xf), any::<u8>()],
                 any::<u8>(), 0u16..6),
                0..8,
            ).prop_map(|d| {
                let mut v = vec![0u8; 4];
                for (s, r, id) in d {
                    v.extend_from_slice(&[s, r, (id >> 8) as u8, id as u8]);
                }
                v
            }),
        ],
        local in any::<u8>(),
        groups in prop::collection::vec((0u16..6, any::<u8>()), 0..4),
        ports in prop::collection::vec(0u16..6, 0..4),
    ) {
        let targets = Targets { groups, ports };
        match StpgList::parse(&data) {
            Err(e) => {
                prop_assert!(!data.is_empty() && (data.len() < 4 || (data.len() - 4) % 4 != 0));
                prop_assert_eq!(e, CdbError::param_list_length());
            }
            Ok(list) => {
                prop_assert_eq!(list.len() * 4 + if data.is_empty() { 0 } else { 4 }, data.len());
                prop_assert_eq!(list.requests(local).count(), list.len());
                let all_ok = list.requests(local).all(|r| r.is_ok());
                let checked = list.check(local, &targets);
                if !all_ok {
                    prop_assert!(checked.is_err());
                }
                match checked {
                    Ok(()) => {
                        // Every request is valid and names something.
                        for r in list.requests(local) {
                            match r {
                                Ok(Request::Group { id, state }) => {
                                    let sup = targets.group_supported(id);
                                    prop_assert!(sup.is_some());
                                    let sup = sup.unwrap_or(0);
                                    prop_assert_eq!(
                                        check_transition(state, sup, Cause::Explicit),
                                        Ok(Kind::Primary)
                                    );
                                    prop_assert_eq!(
                                        check_transition(state, local, Cause::Explicit),
                                        Ok(Kind::Primary)
                                    );
                                }
                                Ok(Request::PortOffline { rtpi }) => {
                                    prop_assert!(targets.port_in_group(rtpi));
                                    prop_assert!(local & SUP_OFFLINE != 0);
                                }
                                Err(e) => prop_assert!(false, "{:?}", e),
                            }
                        }
                    }
                    Err(e) => {
                        valid_sense(&e)?;
                        prop_assert_eq!((e.key, e.asc, e.ascq), (SenseKey::IllegalRequest, 0x26, 0));
                        let f = e.field;
                        prop_assert!(f.is_some());
                        if let Some(f) = f {
                            prop_assert!(!f.in_cdb);
                            prop_assert!(usize::from(f.byte) < data.len());
                            prop_assert!(usize::from(f.byte) >= STPG_HEADER_LEN);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn transitions_end_where_they_should(
        mut g in group(),
        new_state in any_state(),
        explicit in any::<bool>(),
    ) {
        let cause = if explicit { Cause::Explicit } else { Cause::Implicit };
        let before = g;
        match begin(&mut g, new_state, cause) {
            None => {
                prop_assert!(before.access_state == new_state
                    || (explicit && new_state == STATE_TRANSITION));
                prop_assert_eq!(g, before);
            }
            Some(t) => {
                prop_assert_eq!(t.from, before.access_state);
                prop_assert_eq!(t.to, new_state);
                prop_assert_eq!(g.access_state, STATE_TRANSITION);
                prop_assert_eq!(g.access_status, cause.status());
                prop_assert_eq!(t.delay_msecs, before.trans_delay_msecs);
                prop_assert_eq!(t.stays_in_transition(), new_state == STATE_TRANSITION);
                finish(&mut g, &t);
                prop_assert_eq!(g.access_state, new_state);
                prop_assert_eq!(g.access_status, cause.status());
                prop_assert_eq!(
                    TgPtGp { access_state: before.access_state, access_status: before.access_status, ..g },
                    before
                );
            }
        }
    }

    #[test]
    fn metadata_truncates(g in group(), id in any::<u16>(), cut in 0usize..80, fill in any::<u8>()) {
        let mut full = [0u8; 128];
        let n = encode_primary_metadata(id, &g, &mut full);
        let mut short = vec![fill; cut];
        prop_assert_eq!(encode_primary_metadata(id, &g, &mut short), n);
        let k = cut.min(n);
        prop_assert_eq!(&short[..k], &full[..k]);
        prop_assert!(short[k..].iter().all(|&b| b == fill));
        let text = core::str::from_utf8(&full[..n]);
        prop_assert!(text.is_ok());
        let expected = format!(
            "tg_pt_gp_id={}\nalua_access_state=0x{:02x}\nalua_access_status=0x{:02x}\n",
            id, g.access_state, g.access_status
        );
        prop_assert_eq!(text.unwrap_or(""), expected.as_str());
    }
}
