//! Any bytes as an iSCSI PDU: the first 48 as a BHS, the rest as its text
//! data segment, each key negotiated against LIO's TPG defaults, and the
//! whole as a portal name and as a SCSI Command's AHS. Nothing may panic; a parsed request agrees with
//! its header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcm_proto::iscsi_param::*;
use tcm_proto::iscsi_pdu::*;
use tcm_proto::iscsi_portal::split_portal;
use tcm_proto::iscsi_session::extended_cdb;

fuzz_target!(|data: &[u8]| {
    let _ = split_portal(data);
    if let Ok(Some(ext)) = extended_cdb(data) {
        assert!(ext.len() < data.len());
    }
    let Some((bhs, text)) = data.split_first_chunk::<BHS_LEN>() else {
        return;
    };
    let h = Header::parse(bhs);
    if let Ok((h2, _)) = parse(bhs) {
        assert_eq!(h, h2);
    }
    for (key, value) in pairs(text).flatten() {
        assert!(!key.is_empty() && key.len() <= KEY_MAX);
        if let Some(i) = tpg_param_index(key) {
            let def = TPG_PARAMS[i];
            let _ = negotiate(def.kind, def.default.as_bytes(), value);
            let mut values: Vec<Value> = (0..TPG_PARAMS.len()).map(Value::tpg_default).collect();
            let _ = tpg_store(&mut values, i, value);
            assert!(tpg_get(&values, i).len() <= VALUE_MAX);
        }
    }
});
