// SPDX-License-Identifier: GPL-2.0

//! The protocol logic of the generated modules (their wwn.rs), compiled on
//! the host from the snapshots, which tests/snapshots.rs holds equal to
//! what the templates generate: port names and TransportIDs per protocol.

#[allow(dead_code)]
#[path = "snapshots/gen_iscsi/wwn.rs"]
mod iscsi;

#[allow(dead_code)]
#[path = "snapshots/gen_fc/wwn.rs"]
mod fc;

#[allow(dead_code)]
#[path = "snapshots/gen_sas/wwn.rs"]
mod sas;

#[allow(dead_code)]
#[path = "snapshots/gen_srp/wwn.rs"]
mod srp;

mod iscsi_names {
    use super::iscsi::{NameError, NameType, PortName, TransportIdError, TRANSPORT_ID_MAX};

    #[test]
    fn accepted() {
        let name = "iqn.2003-01.org.example:target1";
        let long = format!("iqn.2003-01.org.example:{}", "x".repeat(223 - 24));
        for (name, kind) in [
            (name, NameType::Iqn),
            ("iqn.2003-01.org.example", NameType::Iqn),
            ("iqn.1994-05.com.redhat:a-b.c:d", NameType::Iqn),
            (
                "iqn.2001-04.com.example:storage:diskarrays-sn-a8675309",
                NameType::Iqn,
            ),
            (long.as_str(), NameType::Iqn),
            ("eui.02004567A425678D", NameType::Eui),
            ("eui.02004567a425678d", NameType::Eui),
            ("naa.52004567BA64678D", NameType::Naa),
            ("naa.60014054f1c0ad5a2e1b4d7b8d3e9f10", NameType::Naa),
        ] {
            let port = PortName::parse(name.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(port.kind(), kind, "{name}");
            assert_eq!(port.to_string(), name);
            assert_eq!(port.as_bytes(), name.as_bytes());
        }
    }

    #[test]
    fn refused() {
        let too_long = format!("iqn.2003-01.org.example:{}", "x".repeat(223 - 23));
        for (name, error) in [
            ("", NameError::Prefix),
            ("bogus.123", NameError::Prefix),
            ("IQN.2003-01.org.example", NameError::Prefix),
            ("iqn.", NameError::Date),
            ("iqn.2003-01", NameError::Date),
            ("iqn.2003-1.org.example", NameError::Date),
            ("iqn.03-01.org.example", NameError::Date),
            ("iqn.2003-13.org.example", NameError::Date),
            ("iqn.2003-00.org.example", NameError::Date),
            ("iqn.2003_01.org.example", NameError::Date),
            ("iqn.2003-01:org.example", NameError::Date),
            ("iqn.2003-01.", NameError::Authority),
            ("iqn.2003-01.:target", NameError::Authority),
            ("iqn.2003-01..org", NameError::Authority),
            ("iqn.2003-01.org.Example", NameError::Uppercase),
            ("iqn.2003-01.org.example:Target", NameError::Uppercase),
            ("iqn.2003-01.org.ex_ample", NameError::Character),
            ("iqn.2003-01.org.example:a b", NameError::Character),
            ("iqn.2003-01.org.example:caf\u{e9}", NameError::Character),
            (too_long.as_str(), NameError::TooLong),
            ("eui.02004567A425678", NameError::Digits),
            ("eui.02004567A425678DD", NameError::Digits),
            ("eui.02004567A425678G", NameError::Digits),
            ("naa.52004567ba64678", NameError::Digits),
            ("naa.60014054f1c0ad5a2e1b4d7b8d3e9f1", NameError::Digits),
            ("naa.", NameError::Digits),
        ] {
            assert_eq!(PortName::parse(name.as_bytes()), Err(error), "{name:?}");
        }
    }

    #[test]
    fn transport_id_device_format() {
        // SPC-4 7.6.4.6, table 508: format 00b, the name NUL-terminated and
        // padded to a multiple of 4; ADDITIONAL LENGTH at least 20.
        let port = PortName::parse(b"iqn.2003-01.org.example:i1").expect("valid");
        let mut out = [0xff; TRANSPORT_ID_MAX];
        let len = port.transport_id(&mut out).expect("fits");
        // 26 bytes of name and a NUL: 27, padded to 28.
        assert_eq!(len, 4 + 28);
        assert_eq!(&out[..4], &[0x05, 0, 0, 28]);
        assert_eq!(&out[4..30], b"iqn.2003-01.org.example:i1");
        assert_eq!(&out[30..32], &[0, 0]);
        assert_eq!(out[32], 0xff, "nothing written past the TransportID");

        // A short name still has 20 bytes of ADDITIONAL LENGTH.
        let short = PortName::parse(b"iqn.2003-01.o").expect("valid");
        assert_eq!(short.transport_id(&mut out), Ok(24));
        assert_eq!(&out[..4], &[0x05, 0, 0, 20]);
        assert_eq!(&out[4..17], b"iqn.2003-01.o");
        assert_eq!(&out[17..24], &[0; 7]);
        // 20 bytes and a NUL: 21, padded to 24.
        let eui = PortName::parse(b"eui.0123456789abcdef").expect("valid");
        assert_eq!(eui.transport_id(&mut out), Ok(28));
        assert_eq!(&out[..4], &[0x05, 0, 0, 24]);
    }

    #[test]
    fn transport_id_port_format() {
        // Table 509: format 01b, name ",i,0x" ISID, NUL-terminated, padded.
        let port = PortName::parse(b"iqn.2003-01.org.example:i1").expect("valid");
        let mut out = [0; TRANSPORT_ID_MAX];
        let len = port
            .port_transport_id(0x0023_3d00_0001, &mut out)
            .expect("fits");
        // 26 + 5 + 12 + 1 = 44, a multiple of 4.
        assert_eq!(len, 4 + 44);
        assert_eq!(&out[..4], &[0x45, 0, 0, 44]);
        assert_eq!(&out[4..47], b"iqn.2003-01.org.example:i1,i,0x00233d000001");
        assert_eq!(out[47], 0);
        assert_eq!(
            port.port_transport_id(1 << 48, &mut out),
            Err(TransportIdError::IsidTooLarge)
        );
    }

    #[test]
    fn transport_id_sizes() {
        let longest = format!("iqn.2003-01.org.example:{}", "x".repeat(223 - 24));
        let port = PortName::parse(longest.as_bytes()).expect("valid");
        let mut out = [0; TRANSPORT_ID_MAX];
        let len = port
            .port_transport_id(0xffff_ffff_ffff, &mut out)
            .expect("the longest fits TRANSPORT_ID_MAX");
        assert_eq!(len, TRANSPORT_ID_MAX);
        assert_eq!(len % 4, 0);
        assert_eq!(
            port.transport_id(&mut out[..100]),
            Err(TransportIdError::BufferTooSmall)
        );
    }
}

mod fc_names {
    use super::fc::{NameError, PortName, TransportIdError, TRANSPORT_ID_MAX};

    #[test]
    fn both_forms_name_one_wwpn() {
        let colon = PortName::parse(b"21:00:00:24:ff:31:4c:48").expect("colon form");
        let naa = PortName::parse(b"naa.21000024ff314c48").expect("naa form");
        assert_eq!(colon, PortName(0x2100_0024_ff31_4c48));
        assert_eq!(naa, colon);
        // Written as LIO's tcm_qla2xxx and tcm_fc write it.
        assert_eq!(naa.to_string(), "21:00:00:24:ff:31:4c:48");
        assert_eq!(PortName(0).to_string(), "00:00:00:00:00:00:00:00");
    }

    #[test]
    fn refused() {
        for (name, error) in [
            ("", NameError::Form),
            ("21:00:00:24:ff:31:4c", NameError::Form),
            ("21:00:00:24:ff:31:4c:48:", NameError::Form),
            ("21:00:00:24:ff:31:4c:4", NameError::Form),
            ("2100:0024:ff31:4c48:aa", NameError::Form),
            ("21-00-00-24-ff-31-4c-48", NameError::Form),
            ("21000024ff314c48", NameError::Form),
            ("0x21000024ff314c48", NameError::Form),
            ("naa.21000024ff314c4", NameError::Form),
            ("naa.21000024ff314c488", NameError::Form),
            ("21:00:00:24:FF:31:4c:48", NameError::Uppercase),
            ("naa.21000024FF314c48", NameError::Uppercase),
            ("21:00:00:24:fg:31:4c:48", NameError::NotHex),
            ("naa.21000024ff314c4g", NameError::NotHex),
            ("21:00:00:24:ff:31:4c:4\n", NameError::NotHex),
        ] {
            assert_eq!(PortName::parse(name.as_bytes()), Err(error), "{name:?}");
        }
    }

    #[test]
    fn transport_id() {
        // SPC-4 7.6.4.2: 24 bytes, format 00b, protocol 0, N_PORT_NAME at 8.
        let mut out = [0xff; 32];
        let len = PortName(0x2100_0024_ff31_4c48)
            .transport_id(&mut out)
            .expect("fits");
        assert_eq!(len, TRANSPORT_ID_MAX);
        assert_eq!(
            out[..24],
            [
                0, 0, 0, 0, 0, 0, 0, 0, 0x21, 0, 0, 0x24, 0xff, 0x31, 0x4c, 0x48, 0, 0, 0, 0, 0, 0,
                0, 0
            ]
        );
        assert_eq!(out[24], 0xff);
        assert_eq!(
            PortName(1).transport_id(&mut out[..23]),
            Err(TransportIdError::BufferTooSmall)
        );
    }
}

mod sas_names {
    use super::sas::{NameError, PortName, TransportIdError};

    #[test]
    fn accepted() {
        let port = PortName::parse(b"naa.5001405000000001").expect("valid");
        assert_eq!(port, PortName(0x5001_4050_0000_0001));
        assert_eq!(port.to_string(), "naa.5001405000000001");
        assert_eq!(PortName(0xab).to_string(), "naa.00000000000000ab");
    }

    #[test]
    fn refused() {
        for (name, error) in [
            ("", NameError::Form),
            ("5001405000000001", NameError::Form),
            ("NAA.5001405000000001", NameError::Form),
            ("naa.500140500000000", NameError::Form),
            ("naa.50014050000000011", NameError::Form),
            ("naa.500140500000000A", NameError::Uppercase),
            ("naa.5001405x00000001", NameError::NotHex),
        ] {
            assert_eq!(PortName::parse(name.as_bytes()), Err(error), "{name:?}");
        }
    }

    #[test]
    fn transport_id() {
        // SPC-4 7.6.4.7: 24 bytes, format 00b, protocol 6, SAS ADDRESS at 4.
        let mut out = [0xff; 24];
        assert_eq!(
            PortName(0x5001_4050_0000_0001).transport_id(&mut out),
            Ok(24)
        );
        assert_eq!(
            out,
            [
                0x06, 0, 0, 0, 0x50, 0x01, 0x40, 0x50, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0
            ]
        );
        assert_eq!(
            PortName(1).transport_id(&mut []),
            Err(TransportIdError::BufferTooSmall)
        );
    }
}

mod srp_names {
    use super::srp::{NameError, PortName, TransportIdError};

    const GID: [u8; 16] = [
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x00, 0x02, 0xc9, 0x03, 0x00, 0xa1, 0xb2, 0xc3,
    ];
    const GUID: [u8; 16] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02, 0xc9, 0x03, 0x00, 0xa1, 0xb2, 0xc3,
    ];

    #[test]
    fn accepted() {
        for (name, id) in [
            ("0xfe800000000000000002c90300a1b2c3", GID),
            ("0XFE800000000000000002C90300A1B2C3", GID),
            ("fe800000000000000002c90300a1b2c3", GID),
            ("0x0002c90300a1b2c3", GUID),
            ("0002c90300a1b2c3", GUID),
            ("0002:c903:00a1:b2c3", GUID),
            ("2:c903:a1:b2c3", GUID),
        ] {
            assert_eq!(PortName::parse(name.as_bytes()), Ok(PortName(id)), "{name}");
        }
        assert_eq!(
            PortName(GID).to_string(),
            "0xfe800000000000000002c90300a1b2c3"
        );
        assert_eq!(
            PortName::parse(b"0x01").map(|p| p.to_string()),
            Ok("0x00000000000000000000000000000001".to_owned())
        );
    }

    #[test]
    fn refused() {
        for (name, error) in [
            ("", NameError::Length),
            ("0x", NameError::Length),
            ("0x123", NameError::Length),
            ("0xfe800000000000000002c90300a1b2c300", NameError::Length),
            ("0xfe800000000000000002c90300a1b2cg", NameError::NotHex),
            ("ib.fe800000000000000002c90300a1b2c3", NameError::Length),
            ("0002:c903:00a1", NameError::Guid),
            ("0002:c903:00a1:b2c3:0001", NameError::Guid),
            ("0002:c903:00a1b:b2c3", NameError::Guid),
            ("0002::00a1:b2c3", NameError::Guid),
            ("0002:c903:00a1:b2cg", NameError::NotHex),
        ] {
            assert_eq!(PortName::parse(name.as_bytes()), Err(error), "{name:?}");
        }
    }

    #[test]
    fn transport_id() {
        // SPC-4 7.6.4.5: 24 bytes, format 00b, protocol 4, the 16-byte
        // INITIATOR PORT IDENTIFIER at 8.
        let mut out = [0xff; 24];
        assert_eq!(PortName(GID).transport_id(&mut out), Ok(24));
        assert_eq!(out[..8], [0x04, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(out[8..], GID);
        assert_eq!(
            PortName(GID).transport_id(&mut out[..16]),
            Err(TransportIdError::BufferTooSmall)
        );
    }
}

/// Every protocol's PROTOCOL IDENTIFIER (SPC-4 table 444) and forms text.
#[test]
fn protocol_identifiers() {
    assert_eq!(
        [
            fc::PROTOCOL_ID,
            srp::PROTOCOL_ID,
            iscsi::PROTOCOL_ID,
            sas::PROTOCOL_ID
        ],
        [0x0, 0x4, 0x5, 0x6]
    );
    assert_eq!(
        [fc::PROTOCOL, srp::PROTOCOL, iscsi::PROTOCOL, sas::PROTOCOL],
        ["FC", "SRP", "iSCSI", "SAS"]
    );
    for forms in [fc::FORMS, srp::FORMS, iscsi::FORMS, sas::FORMS] {
        assert!(forms.contains('('), "an example in {forms}");
    }
}
