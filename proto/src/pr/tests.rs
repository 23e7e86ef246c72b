// SPDX-License-Identifier: GPL-2.0

use super::*;
use std::vec;
use std::vec::Vec;

impl RegistrationStore for Vec<Registration> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn get(&self, i: usize) -> Option<&Registration> {
        <[Registration]>::get(self, i)
    }
    fn get_mut(&mut self, i: usize) -> Option<&mut Registration> {
        <[Registration]>::get_mut(self, i)
    }
    fn push(&mut self, reg: Registration) -> Result<(), NoMemory> {
        Vec::push(self, reg);
        Ok(())
    }
    fn remove(&mut self, i: usize) {
        if i < Vec::len(self) {
            Vec::remove(self, i);
        }
    }
}

/// A store that holds at most `cap` registrations.
#[derive(Clone, Debug, Default)]
struct Capped {
    v: Vec<Registration>,
    cap: usize,
}

impl RegistrationStore for Capped {
    fn len(&self) -> usize {
        self.v.len()
    }
    fn get(&self, i: usize) -> Option<&Registration> {
        self.v.get(i)
    }
    fn get_mut(&mut self, i: usize) -> Option<&mut Registration> {
        self.v.get_mut(i)
    }
    fn push(&mut self, reg: Registration) -> Result<(), NoMemory> {
        if self.v.len() >= self.cap {
            return Err(NoMemory);
        }
        self.v.push(reg);
        Ok(())
    }
    fn remove(&mut self, i: usize) {
        if i < self.v.len() {
            self.v.remove(i);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Ua(InitiatorPort, UnitAttention),
    Abort(InitiatorPort),
}

#[derive(Default)]
struct Rec(Vec<Ev>);

impl PrEffects for Rec {
    fn unit_attention(&mut self, reg: &Registration, ua: UnitAttention) {
        self.0.push(Ev::Ua(reg.initiator, ua));
    }
    fn abort_tasks(&mut self, reg: &Registration) {
        self.0.push(Ev::Abort(reg.initiator));
    }
}

/// Target ports 1 and 2 are iSCSI, 3 is SAS; initiators named "iqn.bad"
/// have no ACL.
struct Ports;

impl TargetPorts for Ports {
    fn protocol(&self, rtpi: u16) -> Option<Protocol> {
        match rtpi {
            1 | 2 => Some(Protocol::Iscsi),
            3 => Some(Protocol::Sas),
            _ => None,
        }
    }
    fn initiator_known(&self, initiator: &InitiatorPort, _rtpi: u16) -> bool {
        initiator.name_bytes() != b"iqn.bad"
    }
}

type St = PrState<Vec<Registration>>;

fn port(name: &str, isid: u8) -> InitiatorPort {
    InitiatorPort::iscsi(name.as_bytes(), Some([0x23, 0xd0, 0, 0, 0, isid])).unwrap()
}

fn a() -> InitiatorPort {
    port("iqn.a", 1)
}
fn b() -> InitiatorPort {
    port("iqn.b", 1)
}
fn c() -> InitiatorPort {
    port("iqn.c", 1)
}

fn nx(p: &InitiatorPort) -> Nexus<'_> {
    Nexus {
        initiator: p,
        rtpi: 1,
    }
}

fn params(res_key: u64, sa_key: u64, flags: u8) -> Vec<u8> {
    let mut d = vec![0u8; 24];
    d[..8].copy_from_slice(&res_key.to_be_bytes());
    d[8..16].copy_from_slice(&sa_key.to_be_bytes());
    d[20] = flags;
    d
}

const SPEC_I_PT: u8 = 0x08;
const ALL_TG_PT: u8 = 0x04;
const APTPL: u8 = 0x01;

fn out_with(
    s: &mut St,
    n: &Nexus<'_>,
    sa: u8,
    t: u8,
    data: &[u8],
    opts: &ProutOptions,
) -> (Result<ProutOutcome, PrError>, Vec<Ev>) {
    let mut rec = Rec::default();
    let cdb = ProutCdb {
        service_action: sa,
        scope: 0,
        pr_type: t,
    };
    let r = s.pr_out(n, &cdb, data, opts, &Ports, &mut rec);
    (r, rec.0)
}

fn out(
    s: &mut St,
    n: &Nexus<'_>,
    sa: u8,
    t: u8,
    data: &[u8],
) -> (Result<ProutOutcome, PrError>, Vec<Ev>) {
    out_with(s, n, sa, t, data, &ProutOptions::default())
}

fn ok(r: (Result<ProutOutcome, PrError>, Vec<Ev>)) -> (ProutOutcome, Vec<Ev>) {
    (r.0.unwrap(), r.1)
}

fn register(s: &mut St, p: &InitiatorPort, key: u64) {
    ok(out(s, &nx(p), out_sa::REGISTER, 0, &params(0, key, 0)));
}

fn reserve(s: &mut St, p: &InitiatorPort, key: u64, t: PrType) {
    ok(out(s, &nx(p), out_sa::RESERVE, t as u8, &params(key, 0, 0)));
}

fn keys(s: &St) -> Vec<u64> {
    s.registrations().map(|r| r.key).collect()
}

fn holder(s: &St) -> Option<(PrType, Option<InitiatorPort>)> {
    s.reservation().map(|(t, h)| (t, h.map(|r| r.initiator)))
}

const CONFLICT: PrError = PrError::ReservationConflict;

fn check(e: CdbError) -> PrError {
    PrError::Check(e)
}

// -------------------------------------------------------------------
// Parameter list checks.
// -------------------------------------------------------------------

#[test]
fn parameter_list_length() {
    let mut s = St::new(Vec::new());
    let a = a();
    for len in [0usize, 23] {
        let r = out(&mut s, &nx(&a), out_sa::REGISTER, 0, &vec![0; len]).0;
        assert_eq!(r, Err(check(CdbError::param_list_length())));
    }
    // Not 24 without SPEC_I_PT: also a length error, for every SA but
    // REGISTER AND MOVE.
    for sa in 0..=6 {
        let mut d = params(0, 1, 0);
        d.push(0);
        let r = out(&mut s, &nx(&a), sa, 1, &d).0;
        assert_eq!(r, Err(check(CdbError::param_list_length())), "sa {sa}");
    }
    // SPEC_I_PT only with REGISTER.
    for sa in 1..=6 {
        let r = out(&mut s, &nx(&a), sa, 1, &params(0, 1, SPEC_I_PT)).0;
        assert_eq!(
            r,
            Err(check(CdbError::invalid_param(20, Some(3)))),
            "sa {sa}"
        );
    }
    // Unknown service actions.
    for sa in [out_sa::REPLACE_LOST_RESERVATION, 9, 0x1f] {
        let r = out(&mut s, &nx(&a), sa, 1, &params(0, 1, 0)).0;
        assert_eq!(r, Err(check(CdbError::invalid_field(1, Some(4)))));
    }
    assert_eq!(s.generation(), 0);
    assert_eq!(s.store().len(), 0);
}

// -------------------------------------------------------------------
// REGISTER / REGISTER AND IGNORE EXISTING KEY.
// -------------------------------------------------------------------

#[test]
fn register_unregistered() {
    let mut s = St::new(Vec::new());
    let a = a();
    // Non-zero RESERVATION KEY from an unregistered nexus: conflict.
    assert_eq!(
        out(&mut s, &nx(&a), out_sa::REGISTER, 0, &params(5, 7, 0)).0,
        Err(CONFLICT)
    );
    // Zero SERVICE ACTION RESERVATION KEY: GOOD, nothing.
    let (o, ev) = ok(out(&mut s, &nx(&a), out_sa::REGISTER, 0, &params(0, 0, 0)));
    assert_eq!(o.aptpl, AptplUpdate::None);
    assert!(ev.is_empty() && s.store().is_empty() && s.generation() == 0);
    // Register.
    let (o, _) = ok(out(&mut s, &nx(&a), out_sa::REGISTER, 0, &params(0, 7, 0)));
    assert_eq!(o.aptpl, AptplUpdate::Clear);
    assert_eq!(keys(&s), [7]);
    assert_eq!(s.generation(), 1);
    let r = s.store()[0];
    assert_eq!(
        (r.initiator, r.rtpi, r.all_tg_pt, r.aptpl, r.generation),
        (a, 1, false, false, 0)
    );
    // REGISTER AND IGNORE EXISTING KEY ignores RESERVATION KEY.
    let b = b();
    ok(out(
        &mut s,
        &nx(&b),
        out_sa::REGISTER_AND_IGNORE_EXISTING_KEY,
        0,
        &params(99, 8, APTPL),
    ));
    assert_eq!(keys(&s), [7, 8]);
    assert!(s.aptpl_active());
    assert_eq!(s.store()[1].generation, 1);
}

#[test]
fn register_registered() {
    let mut s = St::new(Vec::new());
    let a = a();
    register(&mut s, &a, 7);
    // Wrong key: conflict for REGISTER, ignored for REGISTER AND IGNORE.
    assert_eq!(
        out(&mut s, &nx(&a), out_sa::REGISTER, 0, &params(6, 9, 0)).0,
        Err(CONFLICT)
    );
    ok(out(
        &mut s,
        &nx(&a),
        out_sa::REGISTER_AND_IGNORE_EXISTING_KEY,
        0,
        &params(6, 9, 0),
    ));
    assert_eq!(keys(&s), [9]);
    // Re-key.
    ok(out(
        &mut s,
        &nx(&a),
        out_sa::REGISTER,
        0,
        &params(9, 10, APTPL),
    ));
    assert_eq!(keys(&s), [10]);
    assert_eq!(s.generation(), 3);
    assert_eq!(s.store()[0].generation, 2);
    // SPEC_I_PT from a registered nexus.
    let mut d = params(10, 11, SPEC_I_PT);
    d.extend_from_slice(&[0, 0, 0, 0]);
    let r = out(&mut s, &nx(&a), out_sa::REGISTER, 0, &d).0;
    assert_eq!(r, Err(check(CdbError::invalid_param(20, Some(3)))));
    // Unregister.
    let (o, ev) = ok(out(&mut s, &nx(&a), out_sa::REGISTER, 0, &params(10, 0, 0)));
    assert!(s.store().is_empty() && ev.is_empty());
    assert_eq!(o.aptpl, AptplUpdate::Clear);
    assert!(!s.aptpl_active());
    assert_eq!(s.generation(), 4);
}

#[test]
fn all_tg_pt_registration_covers_every_port() {
    let mut s = St::new(Vec::new());
    let a = a();
    ok(out(
        &mut s,
        &nx(&a),
        out_sa::REGISTER,
        0,
        &params(0, 7, ALL_TG_PT),
    ));
    let other_port = Nexus {
        initiator: &a,
        rtpi: 2,
    };
    assert!(s.is_registered(&other_port));
    // Dropping ALL_TG_PT on a re-register is refused.
    let r = out(&mut s, &other_port, out_sa::REGISTER, 0, &params(7, 8, 0)).0;
    assert_eq!(r, Err(check(CdbError::invalid_param(20, Some(2)))));
    ok(out(
        &mut s,
        &other_port,
        out_sa::REGISTER,
        0,
        &params(7, 8, ALL_TG_PT),
    ));
    assert_eq!(keys(&s), [8]);
    // A single-port registration does not cover port 2.
    let b = b();
    register(&mut s, &b, 9);
    assert!(!s.is_registered(&Nexus {
        initiator: &b,
        rtpi: 2
    }));
}

#[test]
fn isid_identity() {
    let mut s = St::new(Vec::new());
    let a1 = port("iqn.a", 1);
    let a2 = port("iqn.a", 2);
    register(&mut s, &a1, 7);
    assert!(!s.is_registered(&nx(&a2)));
    // A device-level registration covers every session.
    let mut s = St::new(Vec::new());
    s.restore(Registration::new(a1.without_isid(), 1, 5), None)
        .unwrap();
    assert!(s.is_registered(&nx(&a1)) && s.is_registered(&nx(&a2)));
}

#[test]
fn unregister_releases_held_reservation() {
    for t in PrType::ALL {
        let (a, b, c) = (a(), b(), c());
        let mut s = St::new(Vec::new());
        register(&mut s, &a, 1);
        register(&mut s, &b, 2);
        register(&mut s, &c, 3);
        reserve(&mut s, &a, 1, t);
        let (_, ev) = ok(out(&mut s, &nx(&a), out_sa::REGISTER, 0, &params(1, 0, 0)));
        if t.all_registrants() {
            // Still held by the remaining registrants.
            assert_eq!(holder(&s), Some((t, None)));
            assert!(ev.is_empty());
            ok(out(&mut s, &nx(&b), out_sa::REGISTER, 0, &params(2, 0, 0)));
            ok(out(&mut s, &nx(&c), out_sa::REGISTER, 0, &params(3, 0, 0)));
            assert_eq!(holder(&s), None);
        } else {
            assert_eq!(holder(&s), None, "{t:?}");
            if t.registrants_only() {
                assert_eq!(
                    ev,
                    [
                        Ev::Ua(b, UnitAttention::ReservationsReleased),
                        Ev::Ua(c, UnitAttention::ReservationsReleased)
                    ]
                );
            } else {
                assert!(ev.is_empty());
            }
        }
    }
}

#[test]
fn spec_i_pt() {
    let a = a();
    let tid = |p: &InitiatorPort| {
        let mut v = vec![0u8; p.transport_id_len()];
        p.encode_transport_id(&mut v);
        v
    };
    let list = |tids: &[Vec<u8>]| {
        let body: Vec<u8> = tids.concat();
        let mut d = params(0, 7, SPEC_I_PT);
        d.extend_from_slice(&(body.len() as u32).to_be_bytes());
        d.extend_from_slice(&body);
        d
    };
    let (b, c) = (b(), c());
    let mut s = St::new(Vec::new());
    // The caller, B, C; A and B again are skipped.
    let d = list(&[tid(&b), tid(&c), tid(&a), tid(&b)]);
    ok(out(&mut s, &nx(&a), out_sa::REGISTER, 0, &d));
    assert_eq!(
        s.registrations().map(|r| r.initiator).collect::<Vec<_>>(),
        [a, b, c]
    );
    assert_eq!(keys(&s), [7, 7, 7]);
    assert_eq!(s.generation(), 3);
    assert_eq!(
        s.registrations().map(|r| r.generation).collect::<Vec<_>>(),
        [0, 1, 2]
    );

    // All or nothing.
    let bad_cases: Vec<(Vec<u8>, PrError)> = vec![
        // Too short for TPDL.
        (
            params(0, 7, SPEC_I_PT),
            check(CdbError::invalid_param(24, None)),
        ),
        // TPDL disagrees with the length.
        (
            {
                let mut d = list(&[tid(&b)]);
                d[27] += 4;
                d
            },
            check(CdbError::invalid_param(24, None)),
        ),
        // Second TransportID broken (bad format code).
        (
            {
                let mut t2 = tid(&c);
                t2[0] = 0x85;
                list(&[tid(&b), t2])
            },
            check(CdbError::invalid_param(28 + 28, Some(7))),
        ),
        // No ACL.
        (
            list(&[tid(&b), tid(&port("iqn.bad", 1))]),
            check(CdbError::invalid_param(28 + 28, None)),
        ),
        // enforce_pr_isids: an iSCSI device TransportID.
        (
            list(&[tid(&b.without_isid())]),
            check(CdbError::invalid_param(28, None)),
        ),
        // Truncated last TransportID.
        (
            {
                let mut d = list(&[tid(&b), tid(&c)]);
                d.truncate(d.len() - 4);
                let n = (d.len() - 28) as u32;
                d[24..28].copy_from_slice(&n.to_be_bytes());
                d
            },
            check(CdbError::invalid_param(28 + 28 + 2, None)),
        ),
    ];
    for (d, e) in bad_cases {
        let mut s = St::new(Vec::new());
        let r = out(&mut s, &nx(&a), out_sa::REGISTER, 0, &d);
        assert_eq!(r, (Err(e), vec![]));
        assert!(s.store().is_empty());
        assert_eq!(s.generation(), 0);
    }
    // Without enforce_pr_isids a device TransportID registers the device.
    let mut s = St::new(Vec::new());
    let opts = ProutOptions {
        enforce_pr_isids: false,
        ..ProutOptions::default()
    };
    ok(out_with(
        &mut s,
        &nx(&a),
        out_sa::REGISTER,
        0,
        &list(&[tid(&b.without_isid())]),
        &opts,
    ));
    assert!(s.is_registered(&nx(&port("iqn.b", 9))));
    // Out of memory half-way: nothing registered.
    let mut s = PrState::new(Capped {
        v: Vec::new(),
        cap: 2,
    });
    let mut rec = Rec::default();
    let cdb = ProutCdb {
        service_action: out_sa::REGISTER,
        scope: 0,
        pr_type: 0,
    };
    let r = s.pr_out(
        &nx(&a),
        &cdb,
        &list(&[tid(&b), tid(&c)]),
        &ProutOptions::default(),
        &Ports,
        &mut rec,
    );
    assert_eq!(r, Err(check(INSUFFICIENT_REGISTRATION_RESOURCES)));
    assert!(s.store().v.is_empty());
}

#[test]
fn register_out_of_memory() {
    let mut s = PrState::new(Capped::default());
    let a = a();
    let cdb = ProutCdb {
        service_action: out_sa::REGISTER,
        scope: 0,
        pr_type: 0,
    };
    let r = s.pr_out(
        &nx(&a),
        &cdb,
        &params(0, 1, 0),
        &ProutOptions::default(),
        &Ports,
        &mut NoEffects,
    );
    assert_eq!(r, Err(check(INSUFFICIENT_REGISTRATION_RESOURCES)));
    assert_eq!(s.generation(), 0);
}

#[test]
fn force_aptpl() {
    let mut s = St::new(Vec::new());
    let a = a();
    let opts = ProutOptions {
        force_aptpl: true,
        ..ProutOptions::default()
    };
    let (o, _) = ok(out_with(
        &mut s,
        &nx(&a),
        out_sa::REGISTER,
        0,
        &params(0, 1, 0),
        &opts,
    ));
    assert_eq!(o.aptpl, AptplUpdate::Write);
    assert!(s.aptpl_active() && s.store()[0].aptpl);
    // With APTPL active, RESERVE and RELEASE rewrite the file.
    let (o, _) = ok(out(&mut s, &nx(&a), out_sa::RESERVE, 1, &params(1, 0, 0)));
    assert_eq!(o.aptpl, AptplUpdate::Write);
    let (o, _) = ok(out(&mut s, &nx(&a), out_sa::RELEASE, 1, &params(1, 0, 0)));
    assert_eq!(o.aptpl, AptplUpdate::Write);
    // CLEAR turns APTPL off.
    let (o, _) = ok(out(&mut s, &nx(&a), out_sa::CLEAR, 0, &params(1, 0, 0)));
    assert_eq!(o.aptpl, AptplUpdate::Clear);
    assert!(!s.aptpl_active());
}

// -------------------------------------------------------------------
// Every service action from every state.
// -------------------------------------------------------------------

/// The reservation before the command.
#[derive(Clone, Copy, Debug)]
enum Before {
    None,
    BySelf(PrType),
    ByOther(PrType),
}

/// The caller before the command.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Unregistered,
    WrongKey,
    Registered,
}

fn befores() -> Vec<Before> {
    let mut v = vec![Before::None];
    for t in PrType::ALL {
        v.push(Before::BySelf(t));
        v.push(Before::ByOther(t));
    }
    v
}

/// A (key 1) and B (key 2) registered, C (key 3) maybe; the reservation
/// as `before`. Returns the state and the caller C's key for the command.
fn setup(before: Before, caller: Caller) -> (St, u64) {
    let (a, b, c) = (a(), b(), c());
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    register(&mut s, &b, 2);
    if caller != Caller::Unregistered {
        register(&mut s, &c, 3);
    }
    match before {
        Before::None => {}
        Before::BySelf(t) if caller != Caller::Unregistered => reserve(&mut s, &c, 3, t),
        Before::BySelf(t) | Before::ByOther(t) => reserve(&mut s, &a, 1, t),
    }
    let key = if caller == Caller::WrongKey { 4 } else { 3 };
    (s, key)
}

#[test]
fn matrix_reserve() {
    let c = c();
    for before in befores() {
        for caller in [Caller::Unregistered, Caller::WrongKey, Caller::Registered] {
            for t in PrType::ALL {
                let (mut s, key) = setup(before, caller);
                let snapshot = (keys(&s), holder(&s), s.generation());
                let r = out(
                    &mut s,
                    &nx(&c),
                    out_sa::RESERVE,
                    t as u8,
                    &params(key, 0, 0),
                );
                let want = match (caller, before) {
                    (Caller::Unregistered | Caller::WrongKey, _) => Err(CONFLICT),
                    (_, Before::None) => Ok(()),
                    (_, Before::BySelf(h)) if h == t => Ok(()),
                    // An all registrants reservation is held by every
                    // registrant.
                    (_, Before::ByOther(h)) if h.all_registrants() && h == t => Ok(()),
                    _ => Err(CONFLICT),
                };
                assert_eq!(r.0.map(|_| ()), want, "{before:?} {caller:?} {t:?}");
                assert!(r.1.is_empty());
                if want.is_ok() {
                    let h = holder(&s).unwrap();
                    assert_eq!(h.0, t);
                    if !t.all_registrants() {
                        assert_eq!(h.1, Some(c));
                    }
                } else {
                    assert_eq!((keys(&s), holder(&s), s.generation()), snapshot);
                }
            }
        }
    }
}

#[test]
fn matrix_release() {
    let (a, b, c) = (a(), b(), c());
    for before in befores() {
        for caller in [Caller::Unregistered, Caller::WrongKey, Caller::Registered] {
            for t in PrType::ALL {
                let (mut s, key) = setup(before, caller);
                let prior = holder(&s);
                let r = out(
                    &mut s,
                    &nx(&c),
                    out_sa::RELEASE,
                    t as u8,
                    &params(key, 0, 0),
                );
                let holds = match before {
                    Before::None => None,
                    Before::BySelf(h) => Some(h),
                    Before::ByOther(h) if h.all_registrants() => Some(h),
                    Before::ByOther(_) => None,
                };
                match (caller, holds) {
                    (Caller::Unregistered | Caller::WrongKey, _) => {
                        assert_eq!(r, (Err(CONFLICT), vec![]));
                        assert_eq!(holder(&s), prior);
                    }
                    (_, None) => {
                        // Not the holder: GOOD, nothing happens.
                        assert!(r.0.is_ok() && r.1.is_empty());
                        assert_eq!(holder(&s), prior);
                    }
                    (_, Some(h)) if h != t => {
                        assert_eq!(r, (Err(check(INVALID_RELEASE)), vec![]));
                        assert_eq!(holder(&s), prior);
                    }
                    (_, Some(h)) => {
                        assert!(r.0.is_ok());
                        assert_eq!(holder(&s), None);
                        let want: Vec<Ev> = if h.registrants_only() || h.all_registrants() {
                            vec![
                                Ev::Ua(a, UnitAttention::ReservationsReleased),
                                Ev::Ua(b, UnitAttention::ReservationsReleased),
                            ]
                        } else {
                            vec![]
                        };
                        assert_eq!(r.1, want, "{before:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn matrix_clear() {
    let (a, b, c) = (a(), b(), c());
    for before in befores() {
        for caller in [Caller::Unregistered, Caller::WrongKey, Caller::Registered] {
            let (mut s, key) = setup(before, caller);
            let g = s.generation();
            let r = out(&mut s, &nx(&c), out_sa::CLEAR, 0, &params(key, 0, 0));
            if caller == Caller::Registered {
                assert!(r.0.is_ok());
                assert_eq!(
                    r.1,
                    [
                        Ev::Ua(a, UnitAttention::ReservationsPreempted),
                        Ev::Ua(b, UnitAttention::ReservationsPreempted)
                    ]
                );
                assert!(s.store().is_empty() && holder(&s).is_none());
                assert_eq!(s.generation(), g + 1);
            } else {
                assert_eq!(r, (Err(CONFLICT), vec![]));
                assert_eq!(s.generation(), g);
            }
        }
    }
}

#[test]
fn matrix_register() {
    let c = c();
    for before in befores() {
        for caller in [Caller::Unregistered, Caller::WrongKey, Caller::Registered] {
            for ignore in [false, true] {
                let sa = if ignore {
                    out_sa::REGISTER_AND_IGNORE_EXISTING_KEY
                } else {
                    out_sa::REGISTER
                };
                let (mut s, key) = setup(before, caller);
                let key = if caller == Caller::Unregistered {
                    0
                } else {
                    key
                };
                let prior = holder(&s);
                let r = out(&mut s, &nx(&c), sa, 0, &params(key, 9, 0));
                if caller == Caller::WrongKey && !ignore {
                    assert_eq!(r.0, Err(CONFLICT));
                    continue;
                }
                assert!(r.0.is_ok(), "{before:?} {caller:?}");
                assert!(s.is_registered(&nx(&c)));
                assert_eq!(s.registrations().find(|r| r.initiator == c).unwrap().key, 9);
                // The reservation stays as it was.
                assert_eq!(holder(&s), prior);
            }
        }
    }
}

#[test]
fn matrix_preempt() {
    let (a, b, c) = (a(), b(), c());
    for before in befores() {
        for caller in [Caller::Unregistered, Caller::WrongKey, Caller::Registered] {
            for abort in [false, true] {
                let sa = if abort {
                    out_sa::PREEMPT_AND_ABORT
                } else {
                    out_sa::PREEMPT
                };
                // Preempt A's key (1) with type EA-RO.
                let (mut s, key) = setup(before, caller);
                let g = s.generation();
                let r = out(&mut s, &nx(&c), sa, 6, &params(key, 1, 0));
                if caller != Caller::Registered {
                    assert_eq!(r, (Err(CONFLICT), vec![]));
                    continue;
                }
                let (_, ev) = ok(r);
                assert_eq!(s.generation(), g + 1);
                assert!(!s.is_registered(&nx(&a)), "{before:?}");
                assert!(s.is_registered(&nx(&b)) && s.is_registered(&nx(&c)));
                let mut want = vec![];
                if abort {
                    want.push(Ev::Abort(a));
                }
                want.push(Ev::Ua(a, UnitAttention::RegistrationsPreempted));
                match before {
                    // A held it: C takes it over as EA-RO.
                    Before::ByOther(t) if !t.all_registrants() => {
                        assert_eq!(
                            holder(&s),
                            Some((PrType::ExclusiveAccessRegistrantsOnly, Some(c)))
                        );
                        if t != PrType::ExclusiveAccessRegistrantsOnly {
                            want.push(Ev::Ua(b, UnitAttention::ReservationsReleased));
                        }
                    }
                    // Otherwise only A's registration goes.
                    Before::None => assert_eq!(holder(&s), None),
                    Before::BySelf(t) => assert_eq!(holder(&s).map(|h| h.0), Some(t)),
                    Before::ByOther(t) => assert_eq!(holder(&s), Some((t, None))),
                }
                assert_eq!(ev, want, "{before:?} abort {abort}");
            }
        }
    }
}

#[test]
fn preempt_errors() {
    let (a, b, c) = (a(), b(), c());
    // Zero SA key without all registrants reservation.
    let (mut s, _) = setup(Before::ByOther(PrType::WriteExclusive), Caller::Registered);
    let r = out(&mut s, &nx(&c), out_sa::PREEMPT, 1, &params(3, 0, 0)).0;
    assert_eq!(r, Err(check(CdbError::invalid_param(8, None))));
    // A key nobody has: conflict.
    let r = out(&mut s, &nx(&c), out_sa::PREEMPT, 1, &params(3, 42, 0)).0;
    assert_eq!(r, Err(CONFLICT));
    // Preempting the holder with a bad TYPE or SCOPE.
    let r = out(&mut s, &nx(&c), out_sa::PREEMPT, 2, &params(3, 1, 0)).0;
    assert_eq!(r, Err(check(CdbError::invalid_field(2, Some(3)))));
    let cdb = ProutCdb {
        service_action: out_sa::PREEMPT,
        scope: 1,
        pr_type: 1,
    };
    let r = s.pr_out(
        &nx(&c),
        &cdb,
        &params(3, 1, 0),
        &ProutOptions::default(),
        &Ports,
        &mut NoEffects,
    );
    assert_eq!(r, Err(check(CdbError::invalid_field(2, Some(7)))));
    // TYPE is not looked at when only registrations are removed.
    let r = out(&mut s, &nx(&c), out_sa::PREEMPT, 2, &params(3, 2, 0));
    assert!(r.0.is_ok());
    assert!(!s.is_registered(&nx(&b)));
    assert_eq!(holder(&s), Some((PrType::WriteExclusive, Some(a))));
}

#[test]
fn preempt_all_registrants_with_zero_key() {
    let (a, b, c) = (a(), b(), c());
    for t in [
        PrType::WriteExclusiveAllRegistrants,
        PrType::ExclusiveAccessAllRegistrants,
    ] {
        let (mut s, _) = setup(Before::ByOther(t), Caller::Registered);
        let (_, ev) = ok(out(
            &mut s,
            &nx(&c),
            out_sa::PREEMPT_AND_ABORT,
            1,
            &params(3, 0, 0),
        ));
        assert_eq!(keys(&s), [3]);
        assert_eq!(holder(&s), Some((PrType::WriteExclusive, Some(c))));
        assert_eq!(
            ev,
            [
                Ev::Abort(c),
                Ev::Abort(a),
                Ev::Ua(a, UnitAttention::RegistrationsPreempted),
                Ev::Abort(b),
                Ev::Ua(b, UnitAttention::RegistrationsPreempted),
            ]
        );
    }
}

#[test]
fn preempt_self_keeps_registration() {
    let (a, b, c) = (a(), b(), c());
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    register(&mut s, &b, 1);
    register(&mut s, &c, 3);
    reserve(&mut s, &a, 1, PrType::WriteExclusive);
    // A preempts its own key: B (same key) goes, A stays and holds EA.
    let (_, ev) = ok(out(
        &mut s,
        &nx(&a),
        out_sa::PREEMPT_AND_ABORT,
        3,
        &params(1, 1, 0),
    ));
    assert_eq!(keys(&s), [1, 3]);
    assert_eq!(holder(&s), Some((PrType::ExclusiveAccess, Some(a))));
    assert_eq!(
        ev,
        [
            Ev::Abort(a),
            Ev::Abort(b),
            Ev::Ua(b, UnitAttention::RegistrationsPreempted),
            Ev::Ua(c, UnitAttention::ReservationsReleased),
        ]
    );
    // Same type again: no RESERVATIONS RELEASED.
    let (_, ev) = ok(out(&mut s, &nx(&a), out_sa::PREEMPT, 3, &params(1, 1, 0)));
    assert!(ev.is_empty());
}

#[test]
fn preempt_removing_own_registration() {
    // No reservation: a PREEMPT with the caller's own key removes it too.
    let (a, b) = (a(), b());
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    register(&mut s, &b, 1);
    let (_, ev) = ok(out(&mut s, &nx(&a), out_sa::PREEMPT, 1, &params(1, 1, 0)));
    assert!(s.store().is_empty());
    assert_eq!(ev, [Ev::Ua(b, UnitAttention::RegistrationsPreempted)]);
}

// -------------------------------------------------------------------
// REGISTER AND MOVE.
// -------------------------------------------------------------------

fn move_params(res_key: u64, sa_key: u64, flags: u8, rtpi: u16, tid: &[u8]) -> Vec<u8> {
    let mut d = vec![0u8; 24];
    d[..8].copy_from_slice(&res_key.to_be_bytes());
    d[8..16].copy_from_slice(&sa_key.to_be_bytes());
    d[17] = flags;
    d[18..20].copy_from_slice(&rtpi.to_be_bytes());
    d[20..24].copy_from_slice(&(tid.len() as u32).to_be_bytes());
    d.extend_from_slice(tid);
    d
}

fn tid_of(p: &InitiatorPort) -> Vec<u8> {
    let mut v = vec![0u8; p.transport_id_len()];
    p.encode_transport_id(&mut v);
    v
}

#[test]
fn register_and_move() {
    let (a, b, c) = (a(), b(), c());
    for t in [
        PrType::WriteExclusive,
        PrType::ExclusiveAccess,
        PrType::WriteExclusiveRegistrantsOnly,
        PrType::ExclusiveAccessRegistrantsOnly,
    ] {
        for unreg in [false, true] {
            // To an unregistered nexus on port 2.
            let mut s = St::new(Vec::new());
            register(&mut s, &a, 1);
            reserve(&mut s, &a, 1, t);
            let g = s.generation();
            let d = move_params(1, 5, if unreg { 2 } else { 0 } | APTPL, 2, &tid_of(&b));
            let (o, ev) = ok(out(&mut s, &nx(&a), out_sa::REGISTER_AND_MOVE, 0, &d));
            assert!(ev.is_empty());
            assert_eq!(o.aptpl, AptplUpdate::Write);
            assert_eq!(s.generation(), g + 1);
            let bn = Nexus {
                initiator: &b,
                rtpi: 2,
            };
            assert!(s.is_holder(&bn));
            assert_eq!(holder(&s), Some((t, Some(b))));
            assert_eq!(s.is_registered(&nx(&a)), !unreg);
            assert_eq!(s.registrations().last().unwrap().key, 5);
        }
    }
    // To an already registered nexus: its key changes.
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    register(&mut s, &c, 3);
    reserve(&mut s, &a, 1, PrType::WriteExclusive);
    let d = move_params(1, 6, 0, 1, &tid_of(&c));
    ok(out(&mut s, &nx(&a), out_sa::REGISTER_AND_MOVE, 0, &d));
    assert_eq!(keys(&s), [1, 6]);
    assert_eq!(holder(&s), Some((PrType::WriteExclusive, Some(c))));
}

#[test]
fn register_and_move_errors() {
    let (a, b, c) = (a(), b(), c());
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    register(&mut s, &c, 3);
    let mv =
        |s: &mut St, n: &InitiatorPort, d: &[u8]| out(s, &nx(n), out_sa::REGISTER_AND_MOVE, 0, d).0;
    let tb = tid_of(&b);
    // Not registered / wrong key.
    assert_eq!(mv(&mut s, &b, &move_params(0, 5, 0, 1, &tb)), Err(CONFLICT));
    assert_eq!(mv(&mut s, &a, &move_params(2, 5, 0, 1, &tb)), Err(CONFLICT));
    // Zero SA key.
    assert_eq!(
        mv(&mut s, &a, &move_params(1, 0, 0, 1, &tb)),
        Err(check(CdbError::invalid_param(8, None)))
    );
    // Length mismatch.
    let mut d = move_params(1, 5, 0, 1, &tb);
    d.push(0);
    assert_eq!(
        mv(&mut s, &a, &d),
        Err(check(CdbError::invalid_param(20, None)))
    );
    // Unknown target port; protocol mismatch.
    assert_eq!(
        mv(&mut s, &a, &move_params(1, 5, 0, 9, &tb)),
        Err(check(CdbError::invalid_param(18, None)))
    );
    assert_eq!(
        mv(&mut s, &a, &move_params(1, 5, 0, 3, &tb)),
        Err(check(CdbError::invalid_param(24, Some(3))))
    );
    // The caller's own port; its device TransportID.
    assert_eq!(
        mv(&mut s, &a, &move_params(1, 5, 0, 2, &tid_of(&a))),
        Err(check(CdbError::invalid_param(24, None)))
    );
    assert_eq!(
        mv(
            &mut s,
            &a,
            &move_params(1, 5, 0, 2, &tid_of(&a.without_isid()))
        ),
        Err(check(CdbError::invalid_param(24, None)))
    );
    // No ACL.
    assert_eq!(
        mv(
            &mut s,
            &a,
            &move_params(1, 5, 0, 1, &tid_of(&port("iqn.bad", 1)))
        ),
        Err(check(CdbError::invalid_param(24, None)))
    );
    // Malformed TransportID.
    let mut bad = tb.clone();
    bad[2] = 0;
    bad[3] = 3;
    assert_eq!(
        mv(&mut s, &a, &move_params(1, 5, 0, 1, &bad)),
        Err(check(CdbError::invalid_param(26, None)))
    );
    // No reservation.
    assert_eq!(
        mv(&mut s, &a, &move_params(1, 5, 0, 1, &tb)),
        Err(check(CdbError::invalid_field(1, Some(4))))
    );
    // Not the holder; all registrants.
    reserve(&mut s, &c, 3, PrType::WriteExclusive);
    assert_eq!(mv(&mut s, &a, &move_params(1, 5, 0, 1, &tb)), Err(CONFLICT));
    ok(out(&mut s, &nx(&c), out_sa::RELEASE, 1, &params(3, 0, 0)));
    reserve(&mut s, &c, 3, PrType::WriteExclusiveAllRegistrants);
    assert_eq!(mv(&mut s, &a, &move_params(1, 5, 0, 1, &tb)), Err(CONFLICT));
    // A different ISID of the caller's initiator is another port: fine.
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    reserve(&mut s, &a, 1, PrType::ExclusiveAccess);
    let a2 = port("iqn.a", 2);
    ok(out(
        &mut s,
        &nx(&a),
        out_sa::REGISTER_AND_MOVE,
        0,
        &move_params(1, 5, 0, 1, &tid_of(&a2)),
    ));
    assert_eq!(holder(&s), Some((PrType::ExclusiveAccess, Some(a2))));
    // Out of memory for the new registration: nothing changes.
    let mut s = PrState::new(Capped {
        v: Vec::new(),
        cap: 1,
    });
    let cdb = |sa| ProutCdb {
        service_action: sa,
        scope: 0,
        pr_type: 1,
    };
    let o = ProutOptions::default();
    s.pr_out(
        &nx(&a),
        &cdb(0),
        &params(0, 1, 0),
        &o,
        &Ports,
        &mut NoEffects,
    )
    .unwrap();
    s.pr_out(
        &nx(&a),
        &cdb(1),
        &params(1, 0, 0),
        &o,
        &Ports,
        &mut NoEffects,
    )
    .unwrap();
    let r = s.pr_out(
        &nx(&a),
        &cdb(7),
        &move_params(1, 5, 0, 1, &tb),
        &o,
        &Ports,
        &mut NoEffects,
    );
    assert_eq!(r, Err(check(INSUFFICIENT_REGISTRATION_RESOURCES)));
    assert!(s.is_holder(&nx(&a)));
}

// -------------------------------------------------------------------
// RESERVE details.
// -------------------------------------------------------------------

#[test]
fn reserve_type_and_scope() {
    let a = a();
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    for t in [0u8, 2, 4, 9, 0xf] {
        let r = out(&mut s, &nx(&a), out_sa::RESERVE, t, &params(1, 0, 0)).0;
        assert_eq!(r, Err(check(CdbError::invalid_field(2, Some(3)))));
    }
    // TYPE is checked before the registration, as LIO.
    let b = b();
    let r = out(&mut s, &nx(&b), out_sa::RESERVE, 2, &params(0, 0, 0)).0;
    assert_eq!(r, Err(check(CdbError::invalid_field(2, Some(3)))));
    let cdb = ProutCdb {
        service_action: out_sa::RESERVE,
        scope: 2,
        pr_type: 1,
    };
    let r = s.pr_out(
        &nx(&a),
        &cdb,
        &params(1, 0, 0),
        &ProutOptions::default(),
        &Ports,
        &mut NoEffects,
    );
    assert_eq!(r, Err(check(CdbError::invalid_field(2, Some(7)))));
    assert_eq!(holder(&s), None);
}

// -------------------------------------------------------------------
// PERSISTENT RESERVE IN.
// -------------------------------------------------------------------

fn pr_in(s: &St, sa: u8, len: usize) -> Result<Vec<u8>, PrError> {
    let mut v = vec![0u8; len];
    let n = s.pr_in(sa, &mut v)?;
    v.truncate(n.min(len));
    if n > len {
        // Mark truncation in the tests by the full length.
        v.extend(core::iter::repeat_n(0xee, 0));
    }
    Ok(v)
}

#[test]
fn read_keys() {
    let (a, b) = (a(), b());
    let mut s = St::new(Vec::new());
    assert_eq!(pr_in(&s, in_sa::READ_KEYS, 8).unwrap(), [0; 8]);
    register(&mut s, &a, 0x1122334455667788);
    register(&mut s, &b, 2);
    let v = pr_in(&s, in_sa::READ_KEYS, 100).unwrap();
    assert_eq!(&v[..8], &[0, 0, 0, 2, 0, 0, 0, 16]);
    assert_eq!(&v[8..16], &0x1122334455667788u64.to_be_bytes());
    assert_eq!(&v[16..24], &2u64.to_be_bytes());
    // Truncated: full length returned, ADDITIONAL LENGTH unchanged.
    let mut short = [0u8; 12];
    assert_eq!(s.pr_in(in_sa::READ_KEYS, &mut short), Ok(24));
    assert_eq!(&short[4..8], &[0, 0, 0, 16]);
    // Allocation length below 8.
    assert_eq!(
        s.pr_in(in_sa::READ_KEYS, &mut [0; 7]),
        Err(check(CdbError::invalid_field(7, Some(7))))
    );
}

#[test]
fn read_reservation() {
    let (a, b) = (a(), b());
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 7);
    register(&mut s, &b, 8);
    assert_eq!(
        pr_in(&s, in_sa::READ_RESERVATION, 24).unwrap(),
        [0, 0, 0, 2, 0, 0, 0, 0]
    );
    reserve(&mut s, &b, 8, PrType::ExclusiveAccessRegistrantsOnly);
    let v = pr_in(&s, in_sa::READ_RESERVATION, 24).unwrap();
    let mut want = vec![0, 0, 0, 2, 0, 0, 0, 16];
    want.extend_from_slice(&8u64.to_be_bytes());
    want.extend_from_slice(&[0, 0, 0, 0, 0, 0x06, 0, 0]);
    assert_eq!(v, want);
    // All registrants: key zero.
    ok(out(&mut s, &nx(&b), out_sa::RELEASE, 6, &params(8, 0, 0)));
    reserve(&mut s, &b, 8, PrType::ExclusiveAccessAllRegistrants);
    let v = pr_in(&s, in_sa::READ_RESERVATION, 24).unwrap();
    assert_eq!(&v[8..16], &[0; 8]);
    assert_eq!(v[21], 0x08);
}

#[test]
fn report_capabilities() {
    let a = a();
    let mut s = St::new(Vec::new());
    assert_eq!(
        pr_in(&s, in_sa::REPORT_CAPABILITIES, 8).unwrap(),
        [0, 8, 0x1d, 0x90, 0xea, 0x01, 0, 0]
    );
    ok(out(
        &mut s,
        &nx(&a),
        out_sa::REGISTER,
        0,
        &params(0, 1, APTPL),
    ));
    assert_eq!(pr_in(&s, in_sa::REPORT_CAPABILITIES, 8).unwrap()[3], 0x91);
    assert_eq!(s.pr_in(in_sa::REPORT_CAPABILITIES, &mut [0; 6]), Ok(8));
    assert!(s.pr_in(in_sa::REPORT_CAPABILITIES, &mut [0; 5]).is_err());
}

#[test]
fn read_full_status() {
    let a = a();
    let sas = InitiatorPort::sas([0x50, 1, 2, 3, 4, 5, 6, 7]);
    let mut s = St::new(Vec::new());
    ok(out(
        &mut s,
        &nx(&a),
        out_sa::REGISTER,
        0,
        &params(0, 7, ALL_TG_PT),
    ));
    let sn = Nexus {
        initiator: &sas,
        rtpi: 3,
    };
    ok(out(&mut s, &sn, out_sa::REGISTER, 0, &params(0, 9, 0)));
    ok(out(&mut s, &sn, out_sa::RESERVE, 1, &params(9, 0, 0)));
    let v = pr_in(&s, in_sa::READ_FULL_STATUS, 1000).unwrap();
    let tid_a = tid_of(&a);
    let add = 24 + tid_a.len() + 24 + 24;
    assert_eq!(v.len(), 8 + add);
    assert_eq!(&v[..8], &[0, 0, 0, 2, 0, 0, 0, add as u8]);
    // A: ALL_TG_PT, not holder, RTPI 0.
    let d = &v[8..];
    assert_eq!(&d[..8], &7u64.to_be_bytes());
    assert_eq!(&d[12..14], &[0x02, 0]);
    assert_eq!(&d[18..20], &[0, 0]);
    assert_eq!(&d[20..24], &(tid_a.len() as u32).to_be_bytes());
    assert_eq!(&d[24..24 + tid_a.len()], &tid_a[..]);
    // SAS: holder of WE, RTPI 3.
    let d = &d[24 + tid_a.len()..];
    assert_eq!(&d[..8], &9u64.to_be_bytes());
    assert_eq!(&d[12..14], &[0x01, 0x01]);
    assert_eq!(&d[18..20], &[0, 3]);
    assert_eq!(&d[20..24], &[0, 0, 0, 24]);
    assert_eq!(&d[24..], &tid_of(&sas)[..]);
    // Truncation keeps the full ADDITIONAL LENGTH and returns the full length.
    let mut short = vec![0u8; 40];
    assert_eq!(s.pr_in(in_sa::READ_FULL_STATUS, &mut short), Ok(8 + add));
    assert_eq!(&short[..40], &v[..40]);
    // All registrants: every descriptor is a holder.
    ok(out(&mut s, &sn, out_sa::RELEASE, 1, &params(9, 0, 0)));
    ok(out(&mut s, &sn, out_sa::RESERVE, 7, &params(9, 0, 0)));
    let v = pr_in(&s, in_sa::READ_FULL_STATUS, 1000).unwrap();
    assert_eq!(&v[8 + 12..8 + 14], &[0x03, 0x07]);
    assert_eq!(&v[8 + 24 + tid_a.len() + 12..][..2], &[0x01, 0x07]);
}

#[test]
fn pr_in_bad_service_action() {
    let s = St::new(Vec::new());
    for sa in 4..0x20 {
        assert_eq!(
            s.pr_in(sa, &mut [0; 64]),
            Err(check(CdbError::invalid_field(1, Some(4))))
        );
    }
}

// -------------------------------------------------------------------
// The conflict check.
// -------------------------------------------------------------------

/// What table 63 / table 13 say for a non-holder.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// Allowed in every column.
    All,
    /// Allowed under Write Exclusive types and for registrants under RO/AR.
    Read,
    /// Allowed for registrants under RO/AR only.
    Write,
    /// Allowed for registrants only.
    Registered,
    /// Conflict for every non-holder.
    Never,
}

fn cdb_cases() -> Vec<(&'static str, Vec<u8>, DataDirection, Want)> {
    use DataDirection::*;
    let c = |b: &[u8]| {
        let mut v = b.to_vec();
        v.resize(16, 0);
        v
    };
    vec![
        ("TEST UNIT READY", c(&[0x00]), None, Want::All),
        ("REQUEST SENSE", c(&[0x03]), FromDevice, Want::All),
        ("INQUIRY", c(&[0x12]), FromDevice, Want::All),
        ("LOG SENSE", c(&[0x4d]), FromDevice, Want::All),
        ("REPORT LUNS", c(&[0xa0]), FromDevice, Want::All),
        ("PR IN", c(&[0x5e]), FromDevice, Want::All),
        ("ACCESS CONTROL IN", c(&[0x86]), FromDevice, Want::All),
        ("ACCESS CONTROL OUT", c(&[0x87]), ToDevice, Want::All),
        ("READ CAPACITY(10)", c(&[0x25]), FromDevice, Want::All),
        ("READ CAPACITY(16)", c(&[0x9e, 0x10]), FromDevice, Want::All),
        (
            "READ MEDIA SERIAL NUMBER",
            c(&[0xab, 0x01]),
            FromDevice,
            Want::All,
        ),
        ("RTPG", c(&[0xa3, 0x0a]), FromDevice, Want::All),
        ("REPORT ALIASES", c(&[0xa3, 0x0b]), FromDevice, Want::All),
        (
            "REPORT IDENTIFYING INFORMATION",
            c(&[0xa3, 0x05]),
            FromDevice,
            Want::All,
        ),
        ("REPORT PRIORITY", c(&[0xa3, 0x0e]), FromDevice, Want::All),
        ("REPORT TIMESTAMP", c(&[0xa3, 0x0f]), FromDevice, Want::All),
        ("RESERVE(6)", c(&[0x16]), None, Want::All),
        ("RELEASE(10)", c(&[0x57]), None, Want::All),
        (
            "START STOP UNIT start",
            c(&[0x1b, 0, 0, 0, 0x01]),
            None,
            Want::All,
        ),
        ("PREVENT ALLOW 0", c(&[0x1e]), None, Want::All),
        ("PR OUT REGISTER", c(&[0x5f, 0x00]), ToDevice, Want::All),
        (
            "PR OUT REGISTER AND IGNORE",
            c(&[0x5f, 0x06]),
            ToDevice,
            Want::All,
        ),
        ("MODE SENSE(6)", c(&[0x1a]), FromDevice, Want::Read),
        ("MODE SENSE(10)", c(&[0x5a]), FromDevice, Want::Read),
        ("READ BUFFER", c(&[0x3c]), FromDevice, Want::Read),
        ("READ ATTRIBUTE", c(&[0x8c]), FromDevice, Want::Read),
        (
            "RECEIVE DIAGNOSTIC RESULTS",
            c(&[0x1c]),
            FromDevice,
            Want::Read,
        ),
        ("SECURITY PROTOCOL IN", c(&[0xa2]), FromDevice, Want::Read),
        ("RSOC", c(&[0xa3, 0x0c]), FromDevice, Want::Read),
        ("RSTMF", c(&[0xa3, 0x0d]), FromDevice, Want::Read),
        (
            "MANAGEMENT PROTOCOL IN",
            c(&[0xa3, 0x10]),
            FromDevice,
            Want::Read,
        ),
        ("READ(6)", c(&[0x08]), FromDevice, Want::Read),
        ("READ(10)", c(&[0x28]), FromDevice, Want::Read),
        ("READ(12)", c(&[0xa8]), FromDevice, Want::Read),
        ("READ(16)", c(&[0x88]), FromDevice, Want::Read),
        ("VERIFY(10)", c(&[0x2f]), None, Want::Read),
        ("VERIFY(16) BYTCHK", c(&[0x8f, 0x02]), ToDevice, Want::Read),
        ("PRE-FETCH(10)", c(&[0x34]), None, Want::Read),
        ("GET LBA STATUS", c(&[0x9e, 0x12]), FromDevice, Want::Read),
        ("unknown data-in", c(&[0xc0]), FromDevice, Want::Read),
        ("WRITE(10)", c(&[0x2a]), ToDevice, Want::Write),
        ("WRITE(16)", c(&[0x8a]), ToDevice, Want::Write),
        ("WRITE AND VERIFY(10)", c(&[0x2e]), ToDevice, Want::Write),
        ("COMPARE AND WRITE", c(&[0x89]), ToDevice, Want::Write),
        ("UNMAP", c(&[0x42]), ToDevice, Want::Write),
        ("WRITE SAME(16) NDOB", c(&[0x93, 0x01]), None, Want::Write),
        ("WRITE SAME(10)", c(&[0x41]), ToDevice, Want::Write),
        ("SYNCHRONIZE CACHE(10)", c(&[0x35]), None, Want::Write),
        ("SYNCHRONIZE CACHE(16)", c(&[0x91]), None, Want::Write),
        ("MODE SELECT(6)", c(&[0x15]), ToDevice, Want::Write),
        ("MODE SELECT(10)", c(&[0x55]), ToDevice, Want::Write),
        ("LOG SELECT", c(&[0x4c]), ToDevice, Want::Write),
        ("WRITE BUFFER", c(&[0x3b]), ToDevice, Want::Write),
        ("SEND DIAGNOSTIC", c(&[0x1d]), None, Want::Write),
        ("FORMAT UNIT", c(&[0x04]), None, Want::Write),
        (
            "START STOP UNIT stop",
            c(&[0x1b, 0, 0, 0, 0x00]),
            None,
            Want::Write,
        ),
        (
            "START STOP UNIT power condition",
            c(&[0x1b, 0, 0, 0, 0x11]),
            None,
            Want::Write,
        ),
        (
            "PREVENT ALLOW 1",
            c(&[0x1e, 0, 0, 0, 0x01]),
            None,
            Want::Write,
        ),
        (
            "SET TARGET PORT GROUPS",
            c(&[0xa4, 0x0a]),
            ToDevice,
            Want::Write,
        ),
        ("unknown no data", c(&[0xc1]), None, Want::Write),
        ("PR OUT CLEAR", c(&[0x5f, 0x03]), ToDevice, Want::Registered),
        (
            "PR OUT PREEMPT",
            c(&[0x5f, 0x04]),
            ToDevice,
            Want::Registered,
        ),
        (
            "PR OUT PREEMPT AND ABORT",
            c(&[0x5f, 0x05]),
            ToDevice,
            Want::Registered,
        ),
        (
            "PR OUT RELEASE",
            c(&[0x5f, 0x02]),
            ToDevice,
            Want::Registered,
        ),
        ("PR OUT RESERVE", c(&[0x5f, 0x01]), ToDevice, Want::Never),
        (
            "PR OUT REGISTER AND MOVE",
            c(&[0x5f, 0x07]),
            ToDevice,
            Want::Never,
        ),
    ]
}

#[test]
fn conflict_table() {
    let (a, b, c) = (a(), b(), c());
    let cases = cdb_cases();
    // No reservation: everything is allowed, registered or not.
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    for (name, cdb, dir, _) in &cases {
        for p in [&a, &b] {
            assert_eq!(s.check_access(&nx(p), cdb, *dir), Access::Allowed, "{name}");
        }
    }
    for t in PrType::ALL {
        // A holds (or, all registrants, is registered), B is registered,
        // C is not.
        let mut s = St::new(Vec::new());
        register(&mut s, &a, 1);
        register(&mut s, &b, 2);
        reserve(&mut s, &a, 1, t);
        for (name, cdb, dir, want) in &cases {
            assert_eq!(
                s.check_access(&nx(&a), cdb, *dir),
                Access::Allowed,
                "holder {name} {t:?}"
            );
            for (p, registered) in [(&b, true), (&c, false)] {
                let holder = registered && t.all_registrants();
                let ro_ar = t.registrants_only() || t.all_registrants();
                let allowed = holder
                    || match want {
                        Want::All => true,
                        Want::Read => t.write_exclusive() || (registered && ro_ar),
                        Want::Write => registered && ro_ar,
                        Want::Registered => registered,
                        Want::Never => false,
                    };
                let got = s.check_access(&nx(p), cdb, *dir);
                assert_eq!(
                    got == Access::Allowed,
                    allowed,
                    "{name} under {t:?} from {} nexus",
                    if registered {
                        "registered"
                    } else {
                        "unregistered"
                    }
                );
            }
        }
    }
}

#[test]
fn conflict_check_uses_target_port() {
    let a = a();
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    reserve(&mut s, &a, 1, PrType::ExclusiveAccess);
    let other = Nexus {
        initiator: &a,
        rtpi: 2,
    };
    let read = [0x28u8; 10];
    assert_eq!(
        s.check_access(&other, &read, DataDirection::FromDevice),
        Access::Conflict
    );
    let short: [u8; 0] = [];
    assert_eq!(
        s.check_access(&other, &short, DataDirection::None),
        Access::Allowed
    );
}

// -------------------------------------------------------------------
// SPC-2 RESERVE / RELEASE.
// -------------------------------------------------------------------

#[test]
fn spc2_reserve_release() {
    let (a, b) = (a(), b());
    let mut s = St::new(Vec::new());
    assert_eq!(s.spc2_reserve(&nx(&a)), Ok(()));
    assert_eq!(s.spc2_reserve(&nx(&a)), Ok(()));
    assert_eq!(s.spc2_reserve(&nx(&b)), Err(CONFLICT));
    let a2 = port("iqn.a", 2);
    assert_eq!(s.spc2_reserve(&nx(&a2)), Err(CONFLICT));
    let write = [0x2au8; 10];
    let read = [0x28u8; 10];
    assert_eq!(
        s.check_access(&nx(&a), &write, DataDirection::ToDevice),
        Access::Allowed
    );
    assert_eq!(
        s.check_access(&nx(&b), &read, DataDirection::FromDevice),
        Access::Conflict
    );
    for op in [0x12u8, 0x17, 0x57, 0x03, 0xa0] {
        assert_eq!(
            s.check_access(&nx(&b), &[op; 10], DataDirection::None),
            Access::Allowed
        );
    }
    // PR IN/OUT conflict for everyone, the holder included.
    for p in [&a, &b] {
        for op in [0x5eu8, 0x5f] {
            assert_eq!(
                s.check_access(&nx(p), &[op; 10], DataDirection::None),
                Access::Conflict
            );
        }
    }
    assert_eq!(s.pr_in(0, &mut [0; 8]), Err(CONFLICT));
    assert_eq!(
        out(&mut s, &nx(&a), out_sa::REGISTER, 0, &params(0, 1, 0)).0,
        Err(CONFLICT)
    );
    // RELEASE from another nexus: GOOD, no effect.
    assert_eq!(s.spc2_release(&nx(&b)), Ok(()));
    assert!(s.spc2_holder().is_some());
    assert_eq!(s.spc2_release(&nx(&a)), Ok(()));
    assert!(s.spc2_holder().is_none());
    s.spc2_reserve(&nx(&b)).unwrap();
    s.spc2_clear();
    assert!(s.spc2_holder().is_none());
}

#[test]
fn spc2_with_registrations() {
    let (a, b, c) = (a(), b(), c());
    // Registrations without reservation: RESERVE/RELEASE conflict for all.
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    for p in [&a, &b] {
        assert_eq!(s.spc2_reserve(&nx(p)), Err(CONFLICT));
        assert_eq!(s.spc2_release(&nx(p)), Err(CONFLICT));
    }
    // The holder: GOOD, nothing changes.
    reserve(&mut s, &a, 1, PrType::WriteExclusive);
    assert_eq!(s.spc2_reserve(&nx(&a)), Ok(()));
    assert_eq!(s.spc2_release(&nx(&a)), Ok(()));
    assert!(s.spc2_holder().is_none());
    assert!(s.reservation().is_some());
    // A registrant under RO / AR: GOOD; under WE: conflict.
    register(&mut s, &b, 2);
    assert_eq!(s.spc2_reserve(&nx(&b)), Err(CONFLICT));
    ok(out(&mut s, &nx(&a), out_sa::RELEASE, 1, &params(1, 0, 0)));
    reserve(&mut s, &a, 1, PrType::WriteExclusiveRegistrantsOnly);
    assert_eq!(s.spc2_reserve(&nx(&b)), Ok(()));
    assert_eq!(s.spc2_release(&nx(&b)), Ok(()));
    assert_eq!(s.spc2_reserve(&nx(&c)), Err(CONFLICT));
    assert!(s.spc2_holder().is_none());
}

// -------------------------------------------------------------------
// Outside commands.
// -------------------------------------------------------------------

#[test]
fn remove_initiator_and_clear_all() {
    let (a, b) = (a(), b());
    let a2 = port("iqn.a", 2);
    let mut s = St::new(Vec::new());
    register(&mut s, &a, 1);
    register(&mut s, &a2, 1);
    register(&mut s, &b, 2);
    reserve(&mut s, &a2, 1, PrType::ExclusiveAccess);
    s.remove_initiator(&a);
    assert_eq!(keys(&s), [2]);
    assert_eq!(holder(&s), None);
    reserve(&mut s, &b, 2, PrType::ExclusiveAccessAllRegistrants);
    s.clear_all();
    assert!(s.store().is_empty() && holder(&s).is_none());
}

#[test]
fn restore_from_aptpl() {
    let (a, b) = (a(), b());
    let mut s = St::new(Vec::new());
    s.restore(Registration::new(a, 1, 5), None).unwrap();
    s.restore(Registration::new(b, 2, 6), Some(PrType::ExclusiveAccess))
        .unwrap();
    assert!(s.aptpl_active());
    assert_eq!(s.generation(), 2);
    assert_eq!(holder(&s), Some((PrType::ExclusiveAccess, Some(b))));
    // A second holder record does not take the reservation over.
    s.restore(Registration::new(c(), 1, 7), Some(PrType::WriteExclusive))
        .unwrap();
    assert_eq!(holder(&s), Some((PrType::ExclusiveAccess, Some(b))));
    // LIO's copies of one ALL_TG_PT registration, one per target port,
    // the second holding the reservation: one registration, holding it.
    let mut atp = St::new(Vec::new());
    let mut r1 = Registration::new(a, 1, 9);
    r1.all_tg_pt = true;
    let mut r2 = Registration::new(a, 2, 9);
    r2.all_tg_pt = true;
    atp.restore(r1, None).unwrap();
    atp.restore(r2, Some(PrType::WriteExclusive)).unwrap();
    assert_eq!(keys(&atp), [9]);
    assert_eq!(atp.generation(), 1);
    assert_eq!(
        atp.reservation().map(|(t, h)| (t, h.map(|h| h.rtpi))),
        Some((PrType::WriteExclusive, Some(1)))
    );
    // Another key, or a registration without ALL_TG_PT, is another one.
    let mut r3 = Registration::new(a, 2, 10);
    r3.all_tg_pt = true;
    atp.restore(r3, None).unwrap();
    atp.restore(Registration::new(a, 2, 9), None).unwrap();
    assert_eq!(keys(&atp), [9, 10, 9]);
    let mut full = PrState::new(Capped::default());
    assert_eq!(
        full.restore(Registration::new(a, 1, 5), None),
        Err(NoMemory)
    );
    assert_eq!(full.generation(), 0);
}

// -------------------------------------------------------------------
// Properties.
// -------------------------------------------------------------------

mod props {
    use super::*;
    use proptest::prelude::*;

    fn ports() -> [InitiatorPort; 4] {
        [a(), b(), c(), port("iqn.a", 2)]
    }

    #[derive(Clone, Debug)]
    enum Op {
        Out {
            who: usize,
            rtpi: u16,
            sa: u8,
            t: u8,
            res_key: u64,
            sa_key: u64,
            flags: u8,
            move_to: usize,
        },
        Spc2 {
            who: usize,
            reserve: bool,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (0usize..4, 1u16..3, 0u8..9, 0u8..9, 0u64..4, 0u64..4, 0u8..16, 0usize..4).prop_map(
                |(who, rtpi, sa, t, res_key, sa_key, flags, move_to)| Op::Out {
                    who, rtpi, sa, t, res_key, sa_key, flags: flags & !SPEC_I_PT, move_to
                }),
            1 => (0usize..4, any::<bool>()).prop_map(|(who, reserve)| Op::Spc2 { who, reserve }),
        ]
    }

    #[derive(Clone, Debug, PartialEq)]
    struct Snap {
        regs: Vec<Registration>,
        res: Option<(PrType, Option<InitiatorPort>)>,
        gen: u32,
        aptpl: bool,
        spc2: Option<(InitiatorPort, u16)>,
    }

    fn snap(s: &St) -> Snap {
        Snap {
            regs: s.store().clone(),
            res: holder(s),
            gen: s.generation(),
            aptpl: s.aptpl_active(),
            spc2: s.spc2_holder().map(|(p, r)| (*p, r)),
        }
    }

    fn invariants(s: &St) -> Result<(), TestCaseError> {
        let holders = s.registrations().filter(|r| r.is_holder()).count();
        match s.reservation() {
            None => prop_assert_eq!(holders, 0),
            Some((t, h)) if t.all_registrants() => {
                prop_assert_eq!(holders, 0);
                prop_assert!(h.is_none());
                prop_assert!(!s.store().is_empty());
            }
            Some((_, h)) => {
                prop_assert_eq!(holders, 1);
                prop_assert!(h.is_some());
            }
        }
        // No registration has key 0.
        prop_assert!(s.registrations().all(|r| r.key != 0));
        // PR IN never fails or panics on a big enough buffer, and READ
        // KEYS lists every registration.
        let mut buf = vec![0u8; 4096];
        let n = s.pr_in(in_sa::READ_KEYS, &mut buf);
        if s.spc2_holder().is_none() {
            prop_assert_eq!(n, Ok(8 + 8 * s.store().len()));
            for sa in 0..4 {
                prop_assert!(s.pr_in(sa, &mut buf).is_ok());
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn sequences_keep_invariants(ops in proptest::collection::vec(op(), 1..40)) {
            let ports = ports();
            let mut s = St::new(Vec::new());
            for op in ops {
                let before = snap(&s);
                match op {
                    Op::Out { who, rtpi, sa, t, res_key, sa_key, flags, move_to } => {
                        let n = Nexus { initiator: &ports[who], rtpi };
                        let data = if sa == out_sa::REGISTER_AND_MOVE {
                            move_params(res_key, sa_key, flags & 3, 3 - rtpi, &tid_of(&ports[move_to]))
                        } else {
                            params(res_key, sa_key, flags)
                        };
                        let (r, ev) = out(&mut s, &n, sa, t, &data);
                        match r {
                            Err(_) => {
                                prop_assert_eq!(snap(&s), before);
                                prop_assert!(ev.is_empty());
                            }
                            Ok(_) => {
                                prop_assert!(s.generation() >= before.gen);
                                // Only PREEMPT AND ABORT aborts.
                                if sa != out_sa::PREEMPT_AND_ABORT {
                                    prop_assert!(ev.iter().all(|e| matches!(e, Ev::Ua(..))));
                                }
                            }
                        }
                    }
                    Op::Spc2 { who, reserve } => {
                        let n = nx(&ports[who]);
                        let r = if reserve { s.spc2_reserve(&n) } else { s.spc2_release(&n) };
                        if r.is_err() {
                            prop_assert_eq!(snap(&s), before);
                        }
                        if !s.store().is_empty() {
                            prop_assert!(s.spc2_holder().is_none());
                        }
                    }
                }
                invariants(&s)?;
            }
        }

        #[test]
        fn arbitrary_parameter_data_never_panics(
            who in 0usize..4,
            sa in 0u8..32,
            t in 0u8..16,
            scope in 0u8..16,
            data in proptest::collection::vec(any::<u8>(), 0..200),
            pre in proptest::collection::vec(op(), 0..8),
        ) {
            let ports = ports();
            let mut s = St::new(Vec::new());
            for op in pre {
                if let Op::Out { who, rtpi, sa, t, res_key, sa_key, flags, .. } = op {
                    let n = Nexus { initiator: &ports[who], rtpi };
                    let _ = out(&mut s, &n, sa, t, &params(res_key, sa_key, flags));
                }
            }
            let cdb = ProutCdb { service_action: sa, scope, pr_type: t };
            let mut rec = Rec::default();
            let before = snap(&s);
            let r = s.pr_out(&nx(&ports[who]), &cdb, &data, &ProutOptions::default(), &Ports, &mut rec);
            if r.is_err() {
                prop_assert_eq!(snap(&s), before);
                prop_assert!(rec.0.is_empty());
            }
            invariants(&s)?;
        }

        #[test]
        fn pr_in_any_allocation_length(len in 0usize..200, sa in 0u8..32, pre in proptest::collection::vec(op(), 0..8)) {
            let ports = ports();
            let mut s = St::new(Vec::new());
            for op in pre {
                if let Op::Out { who, rtpi, sa, t, res_key, sa_key, flags, .. } = op {
                    let n = Nexus { initiator: &ports[who], rtpi };
                    let _ = out(&mut s, &n, sa, t, &params(res_key, sa_key, flags));
                }
            }
            let mut full = vec![0u8; 8192];
            let mut buf = vec![0u8; len];
            match (s.pr_in(sa, &mut full), s.pr_in(sa, &mut buf)) {
                (Ok(n), Ok(m)) => {
                    prop_assert_eq!(n, m);
                    let k = len.min(n);
                    prop_assert_eq!(&buf[..k], &full[..k]);
                }
                (_, Err(_)) => {}
                (Err(e), Ok(_)) => prop_assert!(false, "{:?}", e),
            }
        }

        #[test]
        fn check_access_never_panics(cdb in proptest::collection::vec(any::<u8>(), 0..20), t in 0usize..6, dir in 0u8..3) {
            let (a, b) = (a(), b());
            let mut s = St::new(Vec::new());
            register(&mut s, &a, 1);
            reserve(&mut s, &a, 1, PrType::ALL[t]);
            let dir = [DataDirection::None, DataDirection::FromDevice, DataDirection::ToDevice][usize::from(dir)];
            prop_assert_eq!(s.check_access(&nx(&a), &cdb, dir), Access::Allowed);
            let _ = s.check_access(&nx(&b), &cdb, dir);
        }
    }
}
