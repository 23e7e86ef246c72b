//! ALUA: a state byte, supported-state bits and a group/port table (8
//! bytes), then any bytes, used both as a CDB for the access check and as
//! a SET TARGET PORT GROUPS parameter list. Nothing panics; every STPG
//! refusal points inside the list; the access check agrees with the state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcm_proto::alua_access::*;
use tcm_proto::alua_tpgs::*;

struct Targets([u8; 6]);

impl StpgTargets for Targets {
    fn group_supported(&self, id: u16) -> Option<u8> {
        let i = usize::from(id);
        self.0.get(i).copied().filter(|s| *s != 0)
    }
    fn port_in_group(&self, rtpi: u16) -> bool {
        self.0.get(usize::from(rtpi)).is_some_and(|s| s & 1 != 0)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((h, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let port = PortAccess {
        secondary_offline: h[0] & 0x80 != 0,
        group: (h[0] & 0x40 == 0).then_some(GroupAccess {
            id: 1,
            state: h[0] & 0x0f,
            nonop_delay_msecs: 0,
        }),
    };
    let ranges = [MapRange {
        first: u64::from(h[2]),
        last: u64::from(h[3]),
        members: &[(1, tcm_proto::alua::STATE_STANDBY)],
    }];
    let map = SliceMap {
        segment_size: u32::from(h[4] & 0x0f),
        segment_multiplier: u32::from(h[4] >> 4),
        ranges: &ranges,
    };
    let v = check(rest, &port, Some((u64::from(h[5]), u64::from(h[6]))), Some(&map));
    if port.secondary_offline {
        assert_eq!(v, Verdict::Refuse(not_accessible(ascq::OFFLINE)));
    }

    let targets = Targets([h[1], h[2], h[3], h[4], h[5], h[6]]);
    if let Ok(list) = StpgList::parse(rest) {
        assert_eq!(list.requests(h[7]).count(), list.len());
        if let Err(e) = list.check(h[7], &targets) {
            let f = e.field.expect("a field pointer");
            assert!(!f.in_cdb && usize::from(f.byte) < rest.len());
        }
    }
});
