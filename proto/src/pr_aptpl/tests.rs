// SPDX-License-Identifier: GPL-2.0

use super::*;
use crate::pr::{out_sa, Nexus, NoEffects, ProutCdb, ProutOptions, TargetPorts};
use std::string::String;
use std::vec;
use std::vec::Vec;

type St = PrState<Vec<Registration>>;

struct Ports;

impl PortText for Ports {
    fn fabric_name(&self, rtpi: u16) -> &str {
        if rtpi == 3 {
            "loopback"
        } else {
            "iSCSI"
        }
    }
    fn target_node(&self, rtpi: u16) -> &str {
        if rtpi == 3 {
            "naa.5001405000000001"
        } else {
            "iqn.2003-01.org.linux-iscsi.host:target"
        }
    }
    fn tpgt(&self, rtpi: u16) -> u16 {
        rtpi
    }
    fn target_lun(&self, _rtpi: u16) -> u64 {
        0
    }
    fn mapped_lun(&self, reg: &Registration) -> u64 {
        u64::from(reg.rtpi) * 10
    }
}

impl TargetPorts for Ports {
    fn protocol(&self, rtpi: u16) -> Option<Protocol> {
        Some(if rtpi == 3 {
            Protocol::Sas
        } else {
            Protocol::Iscsi
        })
    }
    fn initiator_known(&self, _: &InitiatorPort, _: u16) -> bool {
        true
    }
}

fn iscsi(name: &str, isid: Option<u8>) -> InitiatorPort {
    InitiatorPort::iscsi(name.as_bytes(), isid.map(|i| [0x23, 0xd0, 0, 0, 0, i])).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn prout(
    s: &mut St,
    p: &InitiatorPort,
    rtpi: u16,
    sa: u8,
    t: u8,
    res: u64,
    sa_key: u64,
    flags: u8,
) {
    let mut d = vec![0u8; 24];
    d[..8].copy_from_slice(&res.to_be_bytes());
    d[8..16].copy_from_slice(&sa_key.to_be_bytes());
    d[20] = flags;
    let cdb = ProutCdb {
        service_action: sa,
        scope: 0,
        pr_type: t,
    };
    let n = Nexus { initiator: p, rtpi };
    s.pr_out(
        &n,
        &cdb,
        &d,
        &ProutOptions::default(),
        &Ports,
        &mut NoEffects,
    )
    .unwrap();
}

fn text<F: FnOnce(&mut String) -> fmt::Result>(f: F) -> String {
    let mut s = String::new();
    f(&mut s).unwrap();
    s
}

/// Two registrations: an iSCSI port holding EA-RO, and a SAS port with
/// ALL_TG_PT, APTPL on.
fn sample() -> St {
    let mut s = St::new(Vec::new());
    let a = iscsi("iqn.1994-05.com.redhat:client", Some(1));
    prout(
        &mut s,
        &a,
        1,
        out_sa::REGISTER,
        0,
        0,
        0x1234_5678_9abc_def0,
        1,
    );
    let sas = InitiatorPort::sas([0x50, 0x01, 0x40, 0x5a, 0xb0, 0xc1, 0xd2, 0xe3]);
    prout(&mut s, &sas, 3, out_sa::REGISTER, 0, 0, 7, 0x05);
    prout(
        &mut s,
        &a,
        1,
        out_sa::RESERVE,
        6,
        0x1234_5678_9abc_def0,
        0,
        0,
    );
    s
}

const SAMPLE_FILE: &str = "\
PR_REG_START: 0
initiator_fabric=iSCSI
initiator_node=iqn.1994-05.com.redhat:client
initiator_sid=23d000000001
sa_res_key=1311768467463790320
res_holder=1
res_type=06
res_scope=00
res_all_tg_pt=0
mapped_lun=10
target_fabric=iSCSI
target_node=iqn.2003-01.org.linux-iscsi.host:target
tpgt=1
port_rtpi=1
target_lun=0
PR_REG_END: 0
PR_REG_START: 1
initiator_fabric=loopback
initiator_node=naa.5001405ab0c1d2e3
sa_res_key=7
res_holder=0
res_all_tg_pt=1
mapped_lun=30
target_fabric=loopback
target_node=naa.5001405000000001
tpgt=3
port_rtpi=3
target_lun=0
PR_REG_END: 1
";

#[test]
fn file_format_matches_lio() {
    let s = sample();
    assert_eq!(text(|w| write_file(&s, &Ports, w)), SAMPLE_FILE);
    let empty = St::new(Vec::new());
    assert_eq!(text(|w| write_file(&empty, &Ports, w)), FILE_EMPTY);
}

#[test]
fn file_round_trip() {
    let s = sample();
    let file = text(|w| write_file(&s, &Ports, w));
    // As LIO writes it: with a NUL after the text.
    let mut bytes = file.clone().into_bytes();
    bytes.push(0);
    let mut restored = St::new(Vec::new());
    let mut n = 0;
    for rec in FileRecords::new(&bytes) {
        let rec = rec.unwrap();
        let proto = Ports.protocol(rec.tpgt).unwrap();
        let (reg, holds) = rec.registration(proto, rec.port_rtpi.unwrap()).unwrap();
        restored.restore(reg, holds).unwrap();
        n += 1;
    }
    assert_eq!(n, 2);
    assert_eq!(text(|w| write_file(&restored, &Ports, w)), file);
    assert!(restored.aptpl_active());
    assert_eq!(
        restored.reservation().map(|(t, h)| (t, h.map(|r| r.key))),
        Some((
            PrType::ExclusiveAccessRegistrantsOnly,
            Some(0x1234_5678_9abc_def0)
        ))
    );
    assert_eq!(FileRecords::new(FILE_EMPTY.as_bytes()).count(), 0);
    assert_eq!(FileRecords::new(FILE_CLEARED.as_bytes()).count(), 0);
    assert_eq!(FileRecords::new(b"").count(), 0);
}

#[test]
fn all_registrants_holder_is_first_registrant() {
    let mut s = St::new(Vec::new());
    let a = iscsi("iqn.a", Some(1));
    let b = iscsi("iqn.b", Some(1));
    prout(&mut s, &a, 1, out_sa::REGISTER, 0, 0, 1, 1);
    prout(&mut s, &b, 1, out_sa::REGISTER, 0, 0, 2, 1);
    prout(&mut s, &b, 1, out_sa::RESERVE, 8, 2, 0, 0);
    let f = text(|w| write_file(&s, &Ports, w));
    assert!(f.contains("initiator_node=iqn.a\ninitiator_sid=23d000000001\nsa_res_key=1\nres_holder=1\nres_type=08\n"));
    // Type 8 survives the trip (LIO's own reader loses it: "08" is no
    // octal number).
    let rec = FileRecords::new(f.as_bytes()).next().unwrap().unwrap();
    assert_eq!(rec.res_type, Some(PrType::ExclusiveAccessAllRegistrants));
}

#[test]
fn rtslib_line() {
    // rtslib splits the file on white space and joins a block with commas,
    // so the block numbers come along as tokens.
    let line = b"0,initiator_fabric=iSCSI,initiator_node=iqn.x,initiator_sid=23d000000001,\
sa_res_key=1311768467463790320,res_holder=1,res_type=05,res_scope=00,res_all_tg_pt=0,\
mapped_lun=3,target_fabric=iSCSI,target_node=iqn.t,tpgt=1,port_rtpi=2,target_lun=4,0";
    let r = parse_metadata(line).unwrap();
    assert_eq!(r.initiator_fabric, Some(&b"iSCSI"[..]));
    assert_eq!(r.initiator_node, b"iqn.x");
    assert_eq!(r.initiator_sid, Some(&b"23d000000001"[..]));
    assert_eq!(r.sa_res_key, 1311768467463790320);
    assert!(r.res_holder && !r.res_all_tg_pt);
    assert_eq!(r.res_type, Some(PrType::WriteExclusiveRegistrantsOnly));
    assert_eq!(
        (r.mapped_lun, r.tpgt, r.port_rtpi, r.target_lun),
        (3, 1, Some(2), 4)
    );
    assert_eq!(r.target_node, b"iqn.t");
    assert!(r.matches_mapping(b"iqn.x", 3, b"iqn.t", 1, 4));
    assert!(!r.matches_mapping(b"iqn.x", 3, b"iqn.t", 2, 4));
    let (reg, holds) = r.registration(Protocol::Iscsi, 9).unwrap();
    assert_eq!(reg.initiator, iscsi("iqn.x", Some(1)));
    assert_eq!(
        (reg.rtpi, reg.key, reg.aptpl),
        (9, 1311768467463790320, true)
    );
    assert_eq!(holds, Some(PrType::WriteExclusiveRegistrantsOnly));
    // Minimal line with a trailing newline; hex and octal numbers as
    // kstrto* reads them.
    let r =
        parse_metadata(b"initiator_node=n,target_node=t,sa_res_key=0x10,tpgt=010,mapped_lun=0x2\n")
            .unwrap();
    assert_eq!((r.sa_res_key, r.tpgt, r.mapped_lun), (16, 8, 2));
    assert!(!r.res_holder && r.initiator_sid.is_none());
    // Last value wins; unknown keys are ignored.
    let r = parse_metadata(b"initiator_node=n,target_node=t,sa_res_key=1,sa_res_key=2,foo=bar")
        .unwrap();
    assert_eq!(r.sa_res_key, 2);
}

#[test]
fn metadata_errors() {
    let base = "initiator_node=n,target_node=t,sa_res_key=1";
    let cases: &[(&str, AptplError)] = &[
        (
            "target_node=t,sa_res_key=1",
            AptplError::Missing("initiator_node"),
        ),
        (
            "initiator_node=n,sa_res_key=1",
            AptplError::Missing("target_node"),
        ),
        (
            "initiator_node=n,target_node=t",
            AptplError::Missing("sa_res_key"),
        ),
        (
            "initiator_node=n,target_node=t,sa_res_key=0",
            AptplError::Missing("sa_res_key"),
        ),
        (
            "initiator_node=,target_node=t,sa_res_key=1",
            AptplError::BadValue("initiator_node"),
        ),
        (",res_holder=1", AptplError::HolderWithoutType),
        (",res_holder=1,res_type=0", AptplError::HolderWithoutType),
        (",res_type=02", AptplError::BadType),
        (",res_type=0x10", AptplError::BadType),
        (",res_type=zz", AptplError::BadNumber("res_type")),
        (",sa_res_key=abc", AptplError::BadNumber("sa_res_key")),
        (
            ",sa_res_key=18446744073709551616",
            AptplError::BadNumber("sa_res_key"),
        ),
        (",res_holder=x", AptplError::BadNumber("res_holder")),
        (",res_all_tg_pt=1x", AptplError::BadNumber("res_all_tg_pt")),
        (",tpgt=65536", AptplError::BadNumber("tpgt")),
        (",tpgt=-1", AptplError::BadNumber("tpgt")),
        (",port_rtpi=", AptplError::BadNumber("port_rtpi")),
        (",mapped_lun=-1", AptplError::BadNumber("mapped_lun")),
        (",res_scope=q", AptplError::BadNumber("res_scope")),
        (
            ",initiator_sid=0123456789abcdef",
            AptplError::BadValue("initiator_sid"),
        ),
    ];
    for (extra, err) in cases {
        let line = if extra.starts_with(',') {
            std::format!("{base}{extra}")
        } else {
            String::from(*extra)
        };
        assert_eq!(parse_metadata(line.as_bytes()), Err(*err), "{line}");
    }
    let long = std::format!(
        "initiator_node={},target_node=t,sa_res_key=1",
        "a".repeat(256)
    );
    assert_eq!(
        parse_metadata(long.as_bytes()),
        Err(AptplError::BadValue("initiator_node"))
    );
    let ok = std::format!(
        "initiator_node={},target_node=t,sa_res_key=1",
        "a".repeat(255)
    );
    assert!(parse_metadata(ok.as_bytes()).is_ok());
    // Names that are no port of the protocol.
    let r = parse_metadata(b"initiator_node=iqn.x,target_node=t,sa_res_key=1").unwrap();
    assert!(r.registration(Protocol::Sas, 1).is_err());
    let r = parse_metadata(b"initiator_node=iqn.x,initiator_sid=12,target_node=t,sa_res_key=1")
        .unwrap();
    assert!(r.registration(Protocol::Iscsi, 1).is_err());
    // An unterminated block of a file.
    let mut it = FileRecords::new(b"PR_REG_START: 0\ninitiator_node=n\n");
    assert_eq!(it.next(), Some(Err(AptplError::UnterminatedBlock)));
}

#[test]
fn configfs_attributes() {
    let s = sample();
    let empty = St::new(Vec::new());
    assert_eq!(
        text(|w| write_res_holder(&s, PrMode::Emulated, &Ports, w)),
        "SPC-3 Reservation: iSCSI Initiator: iqn.1994-05.com.redhat:client,i,0x23d000000001\n"
    );
    assert_eq!(
        text(|w| write_res_holder(&empty, PrMode::Emulated, &Ports, w)),
        "No SPC-3 Reservation holder\n"
    );
    assert_eq!(
        text(|w| write_res_holder(&s, PrMode::Disabled, &Ports, w)),
        "SPC_RESERVATIONS_DISABLED\n"
    );
    assert_eq!(
        text(|w| write_res_holder(&s, PrMode::Passthrough, &Ports, w)),
        "Passthrough\n"
    );
    assert_eq!(
        text(|w| write_res_type(&s, PrMode::Emulated, w)),
        "SPC3_PERSISTENT_RESERVATIONS\n"
    );
    assert_eq!(
        text(|w| write_res_type(&s, PrMode::Disabled, w)),
        "SPC_RESERVATIONS_DISABLED\n"
    );
    assert_eq!(
        text(|w| write_res_type(&s, PrMode::Passthrough, w)),
        "SPC_PASSTHROUGH\n"
    );
    assert_eq!(
        text(|w| write_res_pr_type(&s, w)),
        "SPC-3 Reservation Type: Exclusive Access, Registrants Only\n"
    );
    assert_eq!(
        text(|w| write_res_pr_type(&empty, w)),
        "No SPC-3 Reservation holder\n"
    );
    assert_eq!(text(|w| write_res_pr_generation(&s, w)), "0x00000002\n");
    assert_eq!(
        text(|w| write_res_pr_all_tgt_pts(&s, w)),
        "SPC-3 Reservation: Single Target Port registration\n"
    );
    assert_eq!(
        text(|w| write_res_pr_all_tgt_pts(&empty, w)),
        "No SPC-3 Reservation holder\n"
    );
    assert_eq!(
        text(|w| write_res_pr_holder_tg_port(&s, &Ports, w)),
        "SPC-3 Reservation: iSCSI Target Node Endpoint: iqn.2003-01.org.linux-iscsi.host:target\n\
         SPC-3 Reservation: Relative Port Identifier Tag: 1 iSCSI Portal Group Tag: 1 iSCSI Logical Unit: 0\n"
    );
    assert_eq!(
        text(|w| write_res_pr_holder_tg_port(&empty, &Ports, w)),
        "No SPC-3 Reservation holder\n"
    );
    assert_eq!(
        text(|w| write_res_pr_registered_i_pts(&s, &Ports, 4096, w)),
        "SPC-3 PR Registrations:\n\
         iSCSI Node: iqn.1994-05.com.redhat:client,i,0x23d000000001 Key: 0x123456789abcdef0 PRgen: 0x00000000\n\
         loopback Node: naa.5001405ab0c1d2e3 Key: 0x0000000000000007 PRgen: 0x00000001\n"
    );
    // Page limit: an entry that does not fit ends the list.
    assert_eq!(
        text(|w| write_res_pr_registered_i_pts(&s, &Ports, 130, w)),
        "SPC-3 PR Registrations:\n\
         iSCSI Node: iqn.1994-05.com.redhat:client,i,0x23d000000001 Key: 0x123456789abcdef0 PRgen: 0x00000000\n"
    );
    assert_eq!(
        text(|w| write_res_pr_registered_i_pts(&empty, &Ports, 4096, w)),
        "SPC-3 PR Registrations:\nNone\n"
    );
    assert_eq!(
        text(|w| write_res_aptpl_active(&s, PrMode::Emulated, w)),
        "APTPL Bit Status: Activated\n"
    );
    assert_eq!(
        text(|w| write_res_aptpl_active(&empty, PrMode::Emulated, w)),
        "APTPL Bit Status: Disabled\n"
    );
    assert_eq!(
        text(|w| write_res_aptpl_active(&s, PrMode::Disabled, w)),
        ""
    );
    assert_eq!(
        text(|w| write_res_aptpl_metadata(PrMode::Emulated, w)),
        "Ready to process PR APTPL metadata..\n"
    );
    assert_eq!(
        text(|w| write_res_aptpl_metadata(PrMode::Passthrough, w)),
        ""
    );

    // SPC-2.
    let mut s2 = St::new(Vec::new());
    let a = iscsi("iqn.a", Some(1));
    s2.spc2_reserve(&Nexus {
        initiator: &a,
        rtpi: 1,
    })
    .unwrap();
    assert_eq!(
        text(|w| write_res_type(&s2, PrMode::Emulated, w)),
        "SPC2_RESERVATIONS\n"
    );
    assert_eq!(
        text(|w| write_res_holder(&s2, PrMode::Emulated, &Ports, w)),
        "SPC-2 Reservation: iSCSI Initiator: iqn.a\n"
    );
}

proptest::proptest! {
    #[test]
    fn parse_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let _ = parse_metadata(&data);
        for r in FileRecords::new(&data).flatten() {
            let _ = r.registration(Protocol::Iscsi, 1);
            let _ = r.registration(Protocol::Fc, 1);
        }
    }

    #[test]
    fn tokens_parse(key in 1u64.., holder in proptest::bool::ANY, t in 0usize..6, tpgt in proptest::num::u16::ANY,
                    lun in proptest::num::u64::ANY, name in "[a-z0-9.:-]{1,200}") {
        let t = PrType::ALL[t];
        let line = std::format!(
            "initiator_node={name},target_node=t,sa_res_key={key},res_holder={},res_type={:02x},tpgt={tpgt},mapped_lun={lun}",
            u8::from(holder), t as u8);
        let r = parse_metadata(line.as_bytes()).unwrap();
        proptest::prop_assert_eq!(r.sa_res_key, key);
        proptest::prop_assert_eq!(r.res_holder, holder);
        proptest::prop_assert_eq!(r.res_type, Some(t));
        proptest::prop_assert_eq!(r.tpgt, tpgt);
        proptest::prop_assert_eq!(r.mapped_lun, lun);
        proptest::prop_assert_eq!(r.initiator_node, name.as_bytes());
    }
}
