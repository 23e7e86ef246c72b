//! Property tests of configfs value parsing: every number formatted in any
//! of the accepted ways parses back to itself, and nothing panics.

use proptest::prelude::*;
use tcm_proto::text::*;

proptest! {
    #[test]
    fn round_trips(v in any::<u64>(), newline in any::<bool>(), plus in any::<bool>()) {
        let nl = if newline { "\n" } else { "" };
        let sign = if plus { "+" } else { "" };
        prop_assert_eq!(parse_u64(format!("{sign}{v}{nl}").as_bytes()), Ok(v));
        prop_assert_eq!(parse_u64(format!("{sign}0x{v:x}{nl}").as_bytes()), Ok(v));
        if v != 0 {
            prop_assert_eq!(parse_u64(format!("{sign}0{v:o}{nl}").as_bytes()), Ok(v));
        }
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
        let _ = parse_u64(&bytes);
        let _ = parse_u64_max(&bytes, 0xffff);
        let _ = parse_decimal_u64(&bytes);
    }

    #[test]
    fn decimal_round_trips(v in any::<u64>()) {
        prop_assert_eq!(parse_decimal_u64(v.to_string().as_bytes()), Ok(v));
    }

    #[test]
    fn max_is_enforced(v in any::<u64>(), max in any::<u64>()) {
        let r = parse_u64_max(v.to_string().as_bytes(), max);
        prop_assert_eq!(r.is_ok(), v <= max);
    }
}
