//! Property tests of sense data encoding: for any contents and any buffer,
//! encoding either fits and is well formed, or is refused leaving the buffer
//! untouched.

use proptest::prelude::*;
use tcm_proto::sense::*;

fn sense_key() -> impl Strategy<Value = SenseKey> {
    prop::sample::select(vec![
        SenseKey::NoSense,
        SenseKey::RecoveredError,
        SenseKey::NotReady,
        SenseKey::MediumError,
        SenseKey::HardwareError,
        SenseKey::IllegalRequest,
        SenseKey::UnitAttention,
        SenseKey::DataProtect,
        SenseKey::BlankCheck,
        SenseKey::VendorSpecific,
        SenseKey::CopyAborted,
        SenseKey::AbortedCommand,
        SenseKey::VolumeOverflow,
        SenseKey::Miscompare,
        SenseKey::Completed,
    ])
}

fn sense() -> impl Strategy<Value = Sense> {
    (
        sense_key(),
        any::<u8>(),
        any::<u8>(),
        any::<bool>(),
        any::<Option<u64>>(),
        any::<Option<(bool, u16, Option<u8>)>>(),
    )
        .prop_map(|(key, asc, ascq, deferred, information, fp)| Sense {
            key,
            asc,
            ascq,
            deferred,
            information,
            field_pointer: fp.map(|(in_cdb, byte, bit)| FieldPointer {
                in_cdb,
                byte,
                bit: bit.map(|b| b & 7),
            }),
        })
}

fn format() -> impl Strategy<Value = SenseFormat> {
    prop::sample::select(vec![SenseFormat::Fixed, SenseFormat::Descriptor])
}

proptest! {
    #[test]
    fn encodes_or_refuses(s in sense(), f in format(), size in 0usize..40, fill in any::<u8>()) {
        let mut buf = vec![fill; size];
        match s.encode(f, &mut buf) {
            Ok(len) => {
                prop_assert_eq!(len, s.len(f));
                prop_assert!(len <= MAX_LEN);
                prop_assert!(buf[len..].iter().all(|&b| b == fill));
                // The additional length covers exactly the rest of the data.
                prop_assert_eq!(usize::from(buf[7]) + 8, len);
                match f {
                    SenseFormat::Fixed => {
                        prop_assert_eq!(buf[0] & 0x7f, if s.deferred { 0x71 } else { 0x70 });
                        prop_assert_eq!(buf[2] & 0x0f, s.key as u8);
                        prop_assert_eq!((buf[12], buf[13]), (s.asc, s.ascq));
                    }
                    SenseFormat::Descriptor => {
                        prop_assert_eq!(buf[0], if s.deferred { 0x73 } else { 0x72 });
                        prop_assert_eq!((buf[1], buf[2], buf[3]), (s.key as u8, s.asc, s.ascq));
                    }
                }
            }
            Err(BufferTooSmall { needed }) => {
                prop_assert_eq!(needed, s.len(f));
                prop_assert!(size < needed);
                prop_assert!(buf.iter().all(|&b| b == fill));
            }
        }
    }
}
