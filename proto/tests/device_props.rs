//! Property tests of the device attribute, ALUA and LBA map checks: no
//! input panics, and a refused write changes nothing.

use proptest::prelude::*;
use tcm_proto::alua::{self, Setting, TgPtGp};
use tcm_proto::attrib::{self, Context, DeviceAttributes, ATTRIBUTES};
use tcm_proto::lba_map;

proptest! {
    #[test]
    fn attribute_writes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..24),
        index in 0..ATTRIBUTES.len(),
        exported in any::<bool>(),
        enabled in any::<bool>(),
        can_unmap in any::<bool>(),
        device_unmaps in any::<bool>(),
    ) {
        let mut a = DeviceAttributes::default();
        let before = a;
        let ctx = Context { exported, enabled, can_unmap, device_unmaps };
        if attrib::store(&ATTRIBUTES[index], &mut a, &bytes, ctx).is_err() {
            prop_assert_eq!(a, before);
        }
    }

    #[test]
    fn numbers_round_trip(v in any::<u32>(), index in 0..ATTRIBUTES.len()) {
        let mut a = DeviceAttributes::default();
        let spec = &ATTRIBUTES[index];
        let ctx = Context { exported: false, enabled: true, can_unmap: true, device_unmaps: true };
        if attrib::store(spec, &mut a, v.to_string().as_bytes(), ctx)
            == Ok(attrib::Stored::Set)
            && spec.name.starts_with("max_")
        {
            prop_assert_eq!(spec.show(&a), v);
        }
    }

    #[test]
    fn alua_writes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..24),
        has_id in any::<bool>(),
        enabled in any::<bool>(),
    ) {
        let mut g = TgPtGp::default();
        let _ = alua::parse_access_state(&g, &bytes, has_id, enabled);
        for s in [
            Setting::AccessStatus,
            Setting::AccessType,
            Setting::Support(alua::SUP_STANDBY),
            Setting::WriteMetadata,
            Setting::NonopDelayMsecs,
            Setting::TransDelayMsecs,
            Setting::ImplicitTransSecs,
            Setting::Preferred,
        ] {
            let before = g;
            if alua::store(&mut g, s, &bytes, has_id).is_err() {
                prop_assert_eq!(g, before);
            }
        }
    }

    #[test]
    fn lba_maps_never_panic(text in "[0-9 :OASUX\\-\n]{0,64}") {
        let _ = lba_map::parse::<()>(text.as_bytes(), &mut |_| Ok(()));
    }
}
