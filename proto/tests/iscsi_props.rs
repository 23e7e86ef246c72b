//! Property tests of the iSCSI protocol code: no input makes a parser
//! panic, what the encoders write parses back, and the configfs checks keep
//! every stored value within its bounds.

use proptest::prelude::*;
use tcm_proto::iscsi_param::*;
use tcm_proto::iscsi_pdu::*;
use tcm_proto::iscsi_portal::*;
use tcm_proto::iscsi_session::*;

fn bhs() -> impl Strategy<Value = [u8; BHS_LEN]> {
    proptest::collection::vec(any::<u8>(), BHS_LEN).prop_map(|v| {
        let mut b = [0u8; BHS_LEN];
        b.copy_from_slice(&v);
        b
    })
}

proptest! {
    #[test]
    fn any_bhs_parses_or_is_refused(b in bhs()) {
        let h = Header::parse(&b);
        prop_assert_eq!(h.opcode, b[0] & 0x3f);
        prop_assert!(h.data_len <= MAX_DATA_SEGMENT);
        match parse(&b) {
            Ok((h2, req)) => {
                prop_assert_eq!(h, h2);
                let op = match req {
                    Request::NopOut(_) => opcode::NOP_OUT,
                    Request::ScsiCommand(_) => opcode::SCSI_COMMAND,
                    Request::TaskMgmt(_) => opcode::TASK_MGMT_REQUEST,
                    Request::Login(_) => opcode::LOGIN_REQUEST,
                    Request::Text(_) => opcode::TEXT_REQUEST,
                    Request::DataOut(_) => opcode::DATA_OUT,
                    Request::Logout(_) => opcode::LOGOUT_REQUEST,
                    Request::Snack(_) => opcode::SNACK_REQUEST,
                };
                prop_assert_eq!(op, h.opcode);
                if h.ahs_len != 0 {
                    prop_assert_eq!(h.opcode, opcode::SCSI_COMMAND);
                }
            }
            Err(PduError::BadAhs) => prop_assert!(h.ahs_len != 0),
            Err(PduError::UnknownOpcode(op)) => prop_assert_eq!(op, h.opcode),
            Err(PduError::InvalidField) => {}
        }
    }

    #[test]
    fn target_pdus_carry_their_lengths(itt in any::<u32>(), len in 0u32..=MAX_DATA_SEGMENT, sn in any::<u32>()) {
        let numbers = Numbers { stat_sn: sn, exp_cmd_sn: sn.wrapping_add(1), max_cmd_sn: sn.wrapping_add(2) };
        let t = TextResponse { final_bit: true, continue_bit: false, lun: 0, itt, ttt: RESERVED_TAG, numbers, data_len: len };
        let h = Header::parse(&t.encode());
        prop_assert_eq!((h.opcode, h.data_len, h.itt), (opcode::TEXT_RESPONSE, len, itt));
        let n = NopIn { lun: 0, itt, ttt: RESERVED_TAG, numbers, data_len: len };
        let h = Header::parse(&n.encode());
        prop_assert_eq!((h.opcode, h.data_len, h.itt), (opcode::NOP_IN, len, itt));
        let r = Reject { reason: reject::PROTOCOL_ERROR, numbers, data_sn: 0 };
        let h = Header::parse(&r.encode());
        prop_assert_eq!((h.opcode, h.data_len, h.itt), (opcode::REJECT, BHS_LEN as u32, RESERVED_TAG));
        prop_assert_eq!(padded(len) % 4, 0);
        prop_assert!(padded(len) >= len && padded(len) - len < 4);
    }

    #[test]
    fn text_round_trips(pairs_in in proptest::collection::vec(("[A-Za-z][A-Za-z0-9.:-]{0,62}", "[ -~&&[^=]]{0,100}"), 0..8)) {
        let mut buf = vec![0u8; 8192];
        let mut w = TextWriter::new(&mut buf);
        for (k, v) in &pairs_in {
            w.pair(k.as_bytes(), v.as_bytes()).unwrap();
        }
        let n = w.len();
        let got: Vec<(Vec<u8>, Vec<u8>)> = pairs(&buf[..n])
            .map(|p| p.map(|(k, v)| (k.to_vec(), v.to_vec())))
            .collect::<Result<_, _>>()
            .unwrap();
        let want: Vec<(Vec<u8>, Vec<u8>)> = pairs_in
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn text_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        for (k, _) in pairs(&data).flatten() {
            prop_assert!(!k.is_empty() && k.len() <= KEY_MAX && !k.contains(&0));
        }
    }

    #[test]
    fn configfs_values_stay_bounded(index in 0usize..TPG_PARAMS.len(), input in proptest::collection::vec(any::<u8>(), 0..300), auth in any::<bool>()) {
        let mut values: Vec<Value> = (0..TPG_PARAMS.len()).map(Value::tpg_default).collect();
        let before = tpg_get(&values, index).to_vec();
        match tpg_store(&mut values, index, &input) {
            Ok(()) => prop_assert_eq!(tpg_get(&values, index), configfs_value(&input)),
            Err(_) => prop_assert_eq!(tpg_get(&values, index), &before[..]),
        }
        tpg_set_authentication(&mut values, auth);
        for i in 0..TPG_PARAMS.len() {
            prop_assert!(tpg_get(&values, i).len() <= VALUE_MAX);
        }
    }

    #[test]
    fn negotiation_stays_in_range(index in 0usize..TPG_PARAMS.len(), offered in "[ -~]{0,40}", n in any::<u32>()) {
        let def = TPG_PARAMS[index];
        let number = n.to_string();
        for o in [offered.as_bytes(), number.as_bytes()] {
            if let Ok(Answer::Number(v)) = negotiate(def.kind, def.default.as_bytes(), o) {
                let ours = parse_number(def.default.as_bytes()).unwrap();
                let theirs = parse_number(o).unwrap();
                match def.kind {
                    Kind::NumberMin(min, max) => {
                        prop_assert!(theirs >= min && theirs <= max);
                        prop_assert_eq!(v, ours.min(theirs));
                    }
                    Kind::NumberMax(min, max) => {
                        prop_assert!(theirs >= min && theirs <= max);
                        prop_assert_eq!(v, ours.max(theirs));
                    }
                    Kind::Declared(min, max) => {
                        prop_assert!(theirs >= min && theirs <= max);
                        prop_assert_eq!(v, ours);
                    }
                    _ => prop_assert!(false, "a number for {:?}", def.kind),
                }
            }
        }
    }

    #[test]
    fn portal_names_split_within_the_name(name in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok((host, port)) = split_portal(&name) {
            prop_assert!(name.len() <= PORTAL_NAME_MAX);
            prop_assert!(host.len() + port.len() < name.len());
        }
    }

    /// Data-In PDUs cover a read exactly, in order, each within the
    /// initiator's MaxRecvDataSegmentLength and no sequence longer than
    /// MaxBurstLength; only the last is `last`.
    #[test]
    fn data_in_covers_the_read(total in 0u32..(4 << 20), max_xmit in 1u32..300_000, max_burst in 1u32..1_000_000) {
        let mut at = 0u32;
        let mut in_burst = 0u32;
        let mut n = 0u32;
        while let Some(p) = data_in_pdu(at, total, max_xmit, max_burst) {
            prop_assert_eq!(p.offset, at);
            prop_assert!(p.len > 0 && p.len <= max_xmit);
            in_burst += p.len;
            prop_assert!(in_burst <= max_burst);
            if p.final_bit {
                in_burst = 0;
            }
            at += p.len;
            prop_assert_eq!(p.last, at == total);
            n += 1;
            prop_assert!(n <= total);
        }
        prop_assert_eq!(at, total);
    }

    /// R2Ts ask for the rest of a write in order, each at most
    /// MaxBurstLength, and a Data-Out is taken only where the data so far
    /// ends and within the sequence.
    #[test]
    fn r2ts_cover_the_write(received in 0u32..(1 << 24), expected in 0u32..(1 << 24), max_burst in 0u32..(1 << 20),
                            offset in any::<u32>(), len in any::<u32>()) {
        match next_r2t(received, expected, max_burst) {
            None => prop_assert!(received >= expected),
            Some((o, l)) => {
                prop_assert_eq!(o, received);
                prop_assert!(l > 0 && l <= max_burst.max(1) && o + l <= expected);
            }
        }
        if check_data_out(received, expected, offset, len).is_ok() {
            prop_assert_eq!(offset, received);
            prop_assert!(u64::from(offset) + u64::from(len) <= u64::from(expected));
        }
    }

    /// Any AHS is an extended CDB within it, or refused; never a panic.
    #[test]
    fn ahs_never_panics(ahs in proptest::collection::vec(any::<u8>(), 0..1024)) {
        if let Ok(Some(ext)) = extended_cdb(&ahs) {
            prop_assert!(ext.len() < ahs.len());
        }
    }
}
