// SPDX-License-Identifier: GPL-2.0

//! iSCSI connections: the login phase (RFC 7143 6 and 13, Login Request and
//! Response) of discovery and normal sessions, and the full-feature phase
//! of discovery sessions (SendTargets, NOP-Out, Logout); a normal
//! session's full-feature phase is session.rs's.
//!
//! A normal session's login finds its TPG as LIO does: the target named by
//! `TargetName`, an enabled TPG of it with a portal the connection came
//! through (02/03 without the target, 03/01 without such a TPG), an ACL
//! for the initiator or `generate_node_acls` (else 02/02), and no
//! authentication required by the TPG's `AuthMethod` or the ACL's
//! `attrib/authentication` (else 02/01: no CHAP yet). The operational keys
//! are negotiated against LIO's defaults (iscsi_param.rs) and recorded
//! (iscsi_session.rs: InitialR2T, ImmediateData, the burst lengths, the
//! initiator's MaxRecvDataSegmentLength, ...); digests are answered
//! `None`, ErrorRecoveryLevel 0, MaxConnections 1. The I_T nexus is
//! registered with the core before the last Login Response tells the
//! initiator it is in; that response opens the command window (the ACL's
//! `cmdsn_depth`, or the TPG's `default_cmdsn_depth` in demo mode).
//!
//! Each accepted connection runs in a thread of its own (the C half's,
//! which exits through `kthread_complete_and_exit`, so that waiting for it
//! means it has left the module). Everything read from the network goes
//! through the shared parsers (proto/src/iscsi_pdu.rs, iscsi_param.rs,
//! iscsi_session.rs); a PDU that cannot be trusted ends its connection,
//! never more.
//!
//! Not yet: CHAP, digests, error recovery levels above 0, several
//! connections per session.

use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU16, Ordering};

use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;

use crate::iscsi_param::{self as param, Answer, Kind, OpAnswer, TextWriter};
use crate::iscsi_pdu::{self as pdu, login_status, Numbers, Request, BHS_LEN};
use crate::iscsi_session::SessionParams;
use crate::portal::SockAddr;
use crate::session::{self, NormalLogin};
use crate::{LoginRefusal, LoginTpg};

extern "C" {
    fn tcm_rs_iscsi_thread_start(
        f: unsafe extern "C" fn(data: *mut c_void),
        data: *mut c_void,
    ) -> *mut c_void;
    fn tcm_rs_iscsi_thread_finished(t: *mut c_void) -> bool;
    fn tcm_rs_iscsi_thread_reap(t: *mut c_void);
    fn tcm_rs_iscsi_sock_recv(sock: *mut c_void, buf: *mut c_void, len: usize) -> c_int;
    fn tcm_rs_iscsi_sock_send(
        sock: *mut c_void,
        hdr: *const c_void,
        hdr_len: usize,
        data: *const c_void,
        data_len: usize,
    ) -> c_int;
    fn tcm_rs_iscsi_sock_local(sock: *mut c_void, out: *mut SockAddr) -> c_int;
    fn tcm_rs_iscsi_sock_peer(sock: *mut c_void, out: *mut SockAddr) -> c_int;
    fn tcm_rs_iscsi_sock_timeout(sock: *mut c_void, secs: u32);
    fn tcm_rs_iscsi_sock_shutdown(sock: *mut c_void);
    fn tcm_rs_iscsi_sock_release(sock: *mut c_void);
    fn tcm_rs_iscsi_random_u32() -> u32;
    fn tcm_rs_iscsi_sock_recv_buf(
        sock: *mut c_void,
        buf: *mut c_void,
        offset: u32,
        len: u32,
    ) -> c_int;
    fn tcm_rs_iscsi_sock_send_buf(
        sock: *mut c_void,
        hdr: *const c_void,
        hdr_len: usize,
        buf: *mut c_void,
        offset: u32,
        len: u32,
    ) -> c_int;
}

/// The data segment of a login PDU may be this long whatever was
/// negotiated (RFC 7143 13.12: the default MaxRecvDataSegmentLength).
const LOGIN_DATA_MAX: u32 = 8192;
/// The longest text a login or text request may build up over several
/// PDUs (the C bit).
const TEXT_MAX: usize = 65536;
/// A discovery session receives PDUs of up to this many bytes of data: the
/// MaxRecvDataSegmentLength it declares (LIO declares its discovery TPG's
/// MaxXmitDataSegmentLength, 262144 by default).
const DISCOVERY_MAX_RECV: u32 = session::OUR_MAX_RECV;
/// The receive timeout of the login phase, in seconds (LIO's
/// TA_LOGIN_TIMEOUT).
const LOGIN_TIMEOUT: u32 = 15;

/// One TCP connection.
///
/// # Invariants
///
/// `sock` is a connected socket this value owns; `thread`, once set, is
/// the C half's handle of the thread that runs the connection, reaped
/// exactly once (it is swapped out first).
pub(crate) struct Conn {
    sock: *mut c_void,
    thread: AtomicPtr<c_void>,
    local: SockAddr,
    peer: SockAddr,
}

// SAFETY: The socket is used by the connection's thread; other threads
// only shut it down, which the socket layer serialises.
unsafe impl Send for Conn {}
// SAFETY: As above.
unsafe impl Sync for Conn {}

impl Drop for Conn {
    fn drop(&mut self) {
        let t = self.thread.swap(ptr::null_mut(), Ordering::AcqRel);
        if !t.is_null() {
            // SAFETY: The thread's handle, reaped once (taken out above).
            // The thread holds its own reference until it finishes, so the
            // last reference is never the thread's: this does not wait for
            // the calling thread.
            unsafe { tcm_rs_iscsi_thread_reap(t) };
        }
        // SAFETY: The socket is this value's (type invariant) and no thread
        // uses it any more.
        unsafe {
            tcm_rs_iscsi_sock_shutdown(self.sock);
            tcm_rs_iscsi_sock_release(self.sock);
        }
    }
}

kernel::sync::global_lock! {
    // SAFETY: Initialised in the module's init (`init`), before any portal
    // can accept a connection.
    unsafe(uninit) static CONNS: Mutex<KVec<Arc<Conn>>> = KVec::new();
}

/// Prepares the connection list; called once from the module's init.
pub(crate) fn init() {
    // SAFETY: Called once, before anything can use the lock.
    unsafe { CONNS.init() };
}

/// Takes the connections whose threads have finished out of `all`.
fn take_finished(all: &mut KVec<Arc<Conn>>) -> KVec<Arc<Conn>> {
    let mut done = KVec::new();
    let mut i = 0;
    while i < all.len() {
        let finished = all.get(i).is_some_and(|c| {
            let t = c.thread.load(Ordering::Acquire);
            // SAFETY: A live handle: only `Drop` and `stop_all` take it
            // out, and neither has run for a connection still listed.
            !t.is_null() && unsafe { tcm_rs_iscsi_thread_finished(t) }
        });
        if finished && done.reserve(1, GFP_NOWAIT).is_ok() {
            if let Ok(c) = all.remove(i) {
                // Cannot fail: reserved above.
                let _ = done.push(c, GFP_NOWAIT);
            }
            continue;
        }
        i += 1;
    }
    done
}

/// A connection the listener accepted: runs it in a thread of its own.
/// Takes the socket (closed here on any failure).
pub(crate) fn accept(sock: *mut c_void) {
    let mut local = SockAddr::zeroed();
    let mut peer = SockAddr::zeroed();
    // SAFETY: `sock` is a connected socket; the addresses are writable.
    unsafe {
        tcm_rs_iscsi_sock_local(sock, &mut local);
        tcm_rs_iscsi_sock_peer(sock, &mut peer);
    }
    // INVARIANT: The socket is the new value's from here on.
    let conn = match Arc::new(
        Conn {
            sock,
            thread: AtomicPtr::new(ptr::null_mut()),
            local,
            peer,
        },
        GFP_KERNEL,
    ) {
        Ok(c) => c,
        Err(_) => {
            // SAFETY: The socket is ours and used by no one else.
            unsafe {
                tcm_rs_iscsi_sock_shutdown(sock);
                tcm_rs_iscsi_sock_release(sock);
            }
            return;
        }
    };
    let finished = {
        let mut all = CONNS.lock();
        let finished = take_finished(&mut all);
        if all.reserve(1, GFP_KERNEL).is_err() {
            pr_err!(
                "iscsi: connection from {}: out of memory\n",
                conn.peer.text()
            );
            return;
        }
        let data = Arc::into_raw(conn.clone()).cast_mut().cast::<c_void>();
        // SAFETY: `conn_main` takes the reference `data` holds.
        let t = unsafe { tcm_rs_iscsi_thread_start(conn_main, data) };
        if let Err(e) = kernel::error::from_err_ptr(t) {
            // SAFETY: The thread did not start: the reference is ours again.
            drop(unsafe { Arc::<Conn>::from_raw(data.cast::<Conn>()) });
            pr_err!(
                "iscsi: connection from {}: no thread ({:?})\n",
                conn.peer.text(),
                e
            );
            return;
        }
        conn.thread.store(t, Ordering::Release);
        // Cannot fail: reserved above.
        let _ = all.push(conn, GFP_NOWAIT);
        finished
    };
    // Reaped (at once: they have finished) with no lock held.
    drop(finished);
}

/// Ends every connection and waits for its thread (module unload).
pub(crate) fn stop_all() {
    let all = core::mem::take(&mut *CONNS.lock());
    for c in all.iter() {
        // SAFETY: The socket lives as long as `c`; shutting it down wakes
        // the thread from `recv`, and it ends.
        unsafe { tcm_rs_iscsi_sock_shutdown(c.sock) };
    }
    for c in all.iter() {
        let t = c.thread.swap(ptr::null_mut(), Ordering::AcqRel);
        if !t.is_null() {
            // SAFETY: Reaped once (taken out above). The thread drops its
            // reference before it finishes; `all` keeps one.
            unsafe { tcm_rs_iscsi_thread_reap(t) };
        }
    }
    drop(all);
}

/// The thread of a connection.
///
/// # Safety
///
/// `data` is a reference to a `Conn` from `Arc::into_raw`, which this
/// function takes.
unsafe extern "C" fn conn_main(data: *mut c_void) {
    // SAFETY: By the safety requirement.
    let conn = unsafe { Arc::<Conn>::from_raw(data.cast::<Conn>()) };
    if let Err(e) = Conn::run(&conn) {
        pr_info!(
            "iscsi: connection from {} ended ({:?})\n",
            conn.peer.text(),
            e
        );
    }
    // SAFETY: The socket is the connection's; the peer sees the end now.
    unsafe { tcm_rs_iscsi_sock_shutdown(conn.sock) };
    // The list still holds the connection: this is never the last
    // reference (see `Drop`).
    drop(conn);
}

/// A PDU as received: its header and data segment.
struct Pdu {
    bhs: [u8; BHS_LEN],
    data: KVec<u8>,
}

/// What a login negotiated with the target's values (LIO's defaults;
/// authentication as `discovery_auth/enforce_discovery_auth` or the TPG
/// and ACL say).
struct Negotiated {
    /// What the initiator receives at most per PDU (its declared
    /// MaxRecvDataSegmentLength).
    max_xmit: u32,
    /// Its InitiatorName.
    initiator: KVec<u8>,
    /// The operational parameters (what a normal session uses).
    params: SessionParams,
    /// A normal session: its registered nexus.
    normal: Option<NormalLogin>,
}

/// The state of a connection's login.
struct Login {
    started: bool,
    isid: [u8; 6],
    cid: u16,
    itt: u32,
    csg: u8,
    discovery: Option<bool>,
    initiator: KVec<u8>,
    target: KVec<u8>,
    text: KVec<u8>,
    /// The target's declarations have been sent.
    declared: bool,
    /// A normal session's TPG, once the login found it.
    tpg: Option<LoginTpg>,
}

/// Why a login fails: the status sent, and what the log says.
struct LoginFailure {
    status: (u8, u8),
    why: &'static str,
}

fn fail(status: (u8, u8), why: &'static str) -> LoginFailure {
    LoginFailure { status, why }
}

/// TSIHs of the sessions this module made; never 0.
static NEXT_TSIH: AtomicU16 = AtomicU16::new(1);

fn next_tsih() -> u16 {
    loop {
        let t = NEXT_TSIH.fetch_add(1, Ordering::Relaxed);
        if t != 0 {
            return t;
        }
    }
}

/// Sequence numbers of a connection (one per session: one connection).
pub(crate) struct Seq {
    pub(crate) stat_sn: u32,
    pub(crate) exp_cmd_sn: u32,
    /// MaxCmdSN of a normal session (its window); a discovery session's
    /// window is 1 (MaxCmdSN is ExpCmdSN).
    pub(crate) max_cmd_sn: u32,
    pub(crate) normal: bool,
}

impl Seq {
    /// The numbers of the next response that carries a StatSN, which then
    /// advances.
    pub(crate) fn next(&mut self) -> Numbers {
        let n = self.peek();
        self.stat_sn = self.stat_sn.wrapping_add(1);
        n
    }

    /// The numbers of a PDU that carries no status (StatSN: the next one).
    pub(crate) fn peek(&self) -> Numbers {
        Numbers {
            stat_sn: self.stat_sn,
            exp_cmd_sn: self.exp_cmd_sn,
            max_cmd_sn: if self.normal {
                self.max_cmd_sn
            } else {
                self.exp_cmd_sn
            },
        }
    }
}

impl Conn {
    /// The initiator's address.
    pub(crate) fn peer(&self) -> &SockAddr {
        &self.peer
    }

    /// Shuts the connection down: a thread in `recv` wakes up, sends fail.
    pub(crate) fn shutdown(&self) {
        // SAFETY: The socket is ours (type invariant); shutting it down is
        // safe from any thread.
        unsafe { tcm_rs_iscsi_sock_shutdown(self.sock) };
    }

    /// Receives exactly `len` bytes into bytes `offset..` of the C half's
    /// data buffer `buf`.
    pub(crate) fn recv_buf(&self, buf: *mut c_void, offset: u32, len: u32) -> Result {
        // SAFETY: The socket is ours; `buf` is a live buffer of the C half
        // (the caller's), whose bounds the C function checks.
        kernel::error::to_result(unsafe { tcm_rs_iscsi_sock_recv_buf(self.sock, buf, offset, len) })
    }

    /// Sends `bhs` and bytes `offset..offset + len` of data buffer `buf`.
    pub(crate) fn send_buf(
        &self,
        bhs: &[u8; BHS_LEN],
        buf: *mut c_void,
        offset: u32,
        len: u32,
    ) -> Result {
        // SAFETY: As in `recv_buf`; `bhs` is readable for its length.
        kernel::error::to_result(unsafe {
            tcm_rs_iscsi_sock_send_buf(self.sock, bhs.as_ptr().cast(), bhs.len(), buf, offset, len)
        })
    }

    pub(crate) fn recv_exact(&self, buf: &mut [u8]) -> Result {
        if buf.is_empty() {
            return Ok(());
        }
        // SAFETY: The socket is ours; `buf` is writable for its length.
        let ret = unsafe { tcm_rs_iscsi_sock_recv(self.sock, buf.as_mut_ptr().cast(), buf.len()) };
        kernel::error::to_result(ret)
    }

    /// Receives one PDU with at most `max_data` bytes of data (and no
    /// AHS: nothing this module accepts carries one).
    fn recv_pdu(&self, max_data: u32) -> Result<Pdu> {
        let mut bhs = [0u8; BHS_LEN];
        self.recv_exact(&mut bhs)?;
        let h = pdu::Header::parse(&bhs);
        if h.ahs_len != 0 {
            pr_err!("iscsi: {}: a PDU with AHS here\n", self.peer.text());
            return Err(EPROTO);
        }
        if h.data_len > max_data {
            pr_err!(
                "iscsi: {}: {} bytes of data, more than the {} declared\n",
                self.peer.text(),
                h.data_len,
                max_data
            );
            return Err(EPROTO);
        }
        let len = pdu::padded(h.data_len) as usize;
        let mut data = KVec::with_capacity(len, GFP_KERNEL)?;
        data.resize(len, 0, GFP_KERNEL)?;
        self.recv_exact(&mut data)?;
        data.truncate(h.data_len as usize);
        Ok(Pdu { bhs, data })
    }

    pub(crate) fn send(&self, bhs: &[u8; BHS_LEN], data: &[u8]) -> Result {
        // SAFETY: The socket is ours; both buffers are readable for their
        // lengths.
        let ret = unsafe {
            tcm_rs_iscsi_sock_send(
                self.sock,
                bhs.as_ptr().cast(),
                bhs.len(),
                data.as_ptr().cast(),
                data.len(),
            )
        };
        kernel::error::to_result(ret)
    }

    fn set_timeout(&self, secs: u32) {
        // SAFETY: The socket is ours.
        unsafe { tcm_rs_iscsi_sock_timeout(self.sock, secs) };
    }

    /// The connection: its login, then its full-feature phase.
    fn run(this: &Arc<Self>) -> Result {
        this.set_timeout(LOGIN_TIMEOUT);
        let mut seq = Seq {
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            normal: false,
        };
        let mut neg = this.login(&mut seq)?;
        this.set_timeout(0);
        match neg.normal.take() {
            Some(normal) => session::run(this, seq, normal),
            None => this.discovery_session(&mut seq, &neg),
        }
    }

    /// The login phase; returns what the session negotiated, or an error
    /// once a failure has been answered (or the stream cannot be trusted).
    fn login(self: &Arc<Self>, seq: &mut Seq) -> Result<Negotiated> {
        let mut st = Login {
            started: false,
            isid: [0; 6],
            cid: 0,
            itt: 0,
            csg: 0,
            discovery: None,
            initiator: KVec::new(),
            target: KVec::new(),
            text: KVec::new(),
            declared: false,
            tpg: None,
        };
        let mut neg = Negotiated {
            max_xmit: LOGIN_DATA_MAX,
            initiator: KVec::new(),
            params: SessionParams::RFC_DEFAULT,
            normal: None,
        };
        loop {
            let p = self.recv_pdu(LOGIN_DATA_MAX)?;
            let req = match pdu::parse(&p.bhs) {
                Ok((_, Request::Login(l))) => l,
                Ok(_) => {
                    pr_err!(
                        "iscsi: {}: not a Login Request during login\n",
                        self.peer.text()
                    );
                    return Err(EPROTO);
                }
                Err(_) => {
                    pr_err!("iscsi: {}: a malformed Login Request\n", self.peer.text());
                    return Err(EPROTO);
                }
            };
            let h = pdu::Header::parse(&p.bhs);
            if !st.started {
                st.started = true;
                st.isid = req.isid;
                st.cid = req.cid;
                st.csg = req.csg;
                // SAFETY: No requirement.
                seq.stat_sn = unsafe { tcm_rs_iscsi_random_u32() };
                seq.exp_cmd_sn = req.cmd_sn;
                if req.version_min != 0 {
                    return self.login_fail(
                        seq,
                        &st,
                        &req,
                        fail(login_status::UNSUPPORTED_VERSION, "a version other than 0"),
                    );
                }
                if req.tsih != 0 {
                    return self.login_fail(
                        seq,
                        &st,
                        &req,
                        fail(
                            login_status::SESSION_DOES_NOT_EXIST,
                            "a connection for an existing session (TSIH)",
                        ),
                    );
                }
            } else if req.isid != st.isid || req.cid != st.cid || req.csg != st.csg {
                return self.login_fail(
                    seq,
                    &st,
                    &req,
                    fail(
                        login_status::INITIATOR_ERROR,
                        "ISID, CID or stage changed during the login",
                    ),
                );
            }
            st.itt = h.itt;
            if st.text.len() + p.data.len() > TEXT_MAX {
                return self.login_fail(
                    seq,
                    &st,
                    &req,
                    fail(login_status::INITIATOR_ERROR, "login text too long"),
                );
            }
            st.text.extend_from_slice(&p.data, GFP_KERNEL)?;
            let mut out = KVec::new();
            if req.continue_bit {
                // More text follows: an empty answer in the same stage.
                self.login_respond(seq, &st, &req, false, &out)?;
                continue;
            }
            out.resize(LOGIN_DATA_MAX as usize, 0, GFP_KERNEL)?;
            let text = core::mem::take(&mut st.text);
            let written = match self.login_keys(&mut st, &mut neg, &text, &mut out) {
                Ok(n) => n,
                Err(f) => return self.login_fail(seq, &st, &req, f),
            };
            out.truncate(written);
            if let Err(f) = self.login_check(&mut st) {
                return self.login_fail(seq, &st, &req, f);
            }
            if !st.declared {
                // What LIO declares in its first answer: for discovery its
                // discovery portal group's defaults (tag 1, alias "LIO
                // Target"), else the TPG's alias and tag.
                st.declared = true;
                match st.tpg.as_ref() {
                    Some(t) => {
                        if !t.alias.as_bytes().is_empty() {
                            push_pair(&mut out, b"TargetAlias", t.alias.as_bytes())?;
                        }
                        let mut digits = [0u8; 10];
                        let tag = param::decimal(u32::from(t.tag), &mut digits);
                        push_pair(&mut out, b"TargetPortalGroupTag", tag)?;
                    }
                    None => {
                        push_pair(&mut out, b"TargetAlias", b"LIO Target")?;
                        push_pair(&mut out, b"TargetPortalGroupTag", b"1")?;
                    }
                }
            }
            let done = req.transit && req.nsg == pdu::stage::FULL_FEATURE;
            if done {
                if let Some(t) = st.tpg.take() {
                    // The session's nexus, before the initiator is told.
                    let failure = |why| fail(login_status::OUT_OF_RESOURCES, why);
                    let name = match CString::try_from_fmt(fmt!(
                        "{}",
                        kernel::str::BStr::from_bytes(&st.initiator)
                    )) {
                        Ok(n) => n,
                        Err(_) => return self.login_fail(seq, &st, &req, failure("out of memory")),
                    };
                    neg.params.finish();
                    let depth = t.depth;
                    match session::register(t.sessions, &name, st.isid, self, neg.params) {
                        Ok(n) => neg.normal = Some(n),
                        Err(e) if e == EACCES => {
                            return self.login_fail(
                                seq,
                                &st,
                                &req,
                                fail(login_status::FORBIDDEN, "the core refused the initiator"),
                            )
                        }
                        Err(_) => return self.login_fail(seq, &st, &req, failure("no session")),
                    }
                    seq.normal = true;
                    seq.max_cmd_sn = seq.exp_cmd_sn.wrapping_add(depth - 1);
                }
            }
            if let Err(e) = self.login_respond(seq, &st, &req, done, &out) {
                if let Some(n) = neg.normal.take() {
                    session::abandon(n, self);
                }
                return Err(e);
            }
            if done {
                neg.initiator = st.initiator;
                neg.max_xmit = neg.params.max_xmit;
                return Ok(neg);
            }
            if req.transit {
                st.csg = req.nsg;
            }
        }
    }

    /// What the first request must have said, and whether this target can
    /// serve the session.
    fn login_check(&self, st: &mut Login) -> core::result::Result<(), LoginFailure> {
        if st.initiator.is_empty() {
            return Err(fail(login_status::MISSING_PARAMETER, "no InitiatorName"));
        }
        if st.discovery == Some(true) {
            if crate::discovery_auth_enforced() {
                return Err(fail(
                    login_status::AUTH_FAILED,
                    "discovery_auth/enforce_discovery_auth is set and tcm-rs has no CHAP yet",
                ));
            }
            return Ok(());
        }
        if st.target.is_empty() {
            return Err(fail(login_status::MISSING_PARAMETER, "no TargetName"));
        }
        if st.tpg.is_some() {
            return Ok(());
        }
        let t = crate::login_tpg(&st.target, &st.initiator, &self.local).map_err(|r| match r {
            LoginRefusal::NoTarget => fail(login_status::NOT_FOUND, "no such target"),
            LoginRefusal::NoTpg => fail(
                login_status::SERVICE_UNAVAILABLE,
                "no enabled TPG of the target behind this portal",
            ),
            LoginRefusal::Forbidden => fail(
                login_status::FORBIDDEN,
                "the initiator has no ACL and the TPG has no generate_node_acls",
            ),
        })?;
        if t.auth_required {
            return Err(fail(
                login_status::AUTH_FAILED,
                "the TPG or ACL requires CHAP (attrib/authentication=1) and tcm-rs has no CHAP yet",
            ));
        }
        st.tpg = Some(t);
        Ok(())
    }

    /// Answers the keys of one complete login text into `out`; returns the
    /// length written.
    fn login_keys(
        &self,
        st: &mut Login,
        neg: &mut Negotiated,
        text: &[u8],
        out: &mut [u8],
    ) -> core::result::Result<usize, LoginFailure> {
        let mut w = TextWriter::new(out);
        let bad = || fail(login_status::INITIATOR_ERROR, "malformed login text");
        let full = |_| fail(login_status::TARGET_ERROR, "login answer too long");
        for pair in param::pairs(text) {
            let (key, value) = pair.map_err(|_| bad())?;
            if value.len() > param::VALUE_MAX && !key.starts_with(b"CHAP_") {
                return Err(bad());
            }
            match key {
                b"InitiatorName" => {
                    if value.is_empty() || value.len() > 223 {
                        return Err(bad());
                    }
                    st.initiator.clear();
                    st.initiator
                        .extend_from_slice(value, GFP_KERNEL)
                        .map_err(|_| fail(login_status::OUT_OF_RESOURCES, "out of memory"))?;
                }
                b"TargetName" => {
                    st.target.clear();
                    st.target
                        .extend_from_slice(value, GFP_KERNEL)
                        .map_err(|_| fail(login_status::OUT_OF_RESOURCES, "out of memory"))?;
                }
                b"InitiatorAlias" => {}
                b"SessionType" => match value {
                    b"Discovery" => st.discovery = Some(true),
                    b"Normal" => st.discovery = Some(false),
                    _ => return Err(bad()),
                },
                b"AuthMethod" => {
                    if st.csg != pdu::stage::SECURITY {
                        return Err(bad());
                    }
                    // Without CHAP, None is the only method offered.
                    match param::negotiate(Kind::AuthList, b"None", value) {
                        Ok(Answer::Value(v)) => w.pair(key, v).map_err(full)?,
                        _ => {
                            return Err(fail(
                                login_status::AUTH_FAILED,
                                "the initiator wants authentication and tcm-rs has no CHAP yet",
                            ))
                        }
                    }
                }
                b"TargetAlias" | b"TargetAddress" | b"TargetPortalGroupTag" => return Err(bad()),
                _ if key.starts_with(b"CHAP_") => {
                    return Err(fail(
                        login_status::AUTH_FAILED,
                        "CHAP keys, and tcm-rs has no CHAP yet",
                    ))
                }
                _ => self
                    .operational_key(key, value, neg, &mut w)
                    .map_err(|e| match e {
                        param::TextError::NoSpace => {
                            fail(login_status::TARGET_ERROR, "login answer too long")
                        }
                        _ => bad(),
                    })?,
            }
        }
        Ok(w.len())
    }

    /// Answers one operational key (`iscsi_param::answer_operational`),
    /// as LIO's discovery TPG with its defaults.
    fn operational_key(
        &self,
        key: &[u8],
        value: &[u8],
        neg: &mut Negotiated,
        w: &mut TextWriter<'_>,
    ) -> core::result::Result<(), param::TextError> {
        let answer = param::answer_operational(key, value, DISCOVERY_MAX_RECV)?;
        neg.params.record(key, value, &answer);
        match answer {
            OpAnswer::Value(v) => w.pair(key, v),
            OpAnswer::Number(n) => w.pair_u32(key, n),
            OpAnswer::MaxRecv { theirs, ours } => {
                neg.max_xmit = theirs;
                w.pair_u32(key, ours)
            }
            OpAnswer::Omit => Ok(()),
        }
    }

    fn login_respond(
        &self,
        seq: &mut Seq,
        st: &Login,
        req: &pdu::LoginRequest,
        done: bool,
        data: &[u8],
    ) -> Result {
        let transit = req.transit && !req.continue_bit;
        let r = pdu::LoginResponse {
            transit,
            continue_bit: false,
            csg: st.csg,
            nsg: if transit { req.nsg } else { 0 },
            version_max: 0,
            version_active: 0,
            isid: st.isid,
            tsih: if done { next_tsih() } else { 0 },
            itt: st.itt,
            numbers: seq.next(),
            status_class: 0,
            status_detail: 0,
            data_len: data.len() as u32,
        };
        self.send(&r.encode(), data)
    }

    /// Answers a failed login with its status, logs why, and ends the
    /// connection (Err).
    fn login_fail<T>(
        &self,
        seq: &mut Seq,
        st: &Login,
        req: &pdu::LoginRequest,
        f: LoginFailure,
    ) -> Result<T> {
        pr_info!(
            "iscsi: login from {} refused ({:02x}/{:02x}): {}\n",
            self.peer.text(),
            f.status.0,
            f.status.1,
            f.why
        );
        let r = pdu::LoginResponse {
            transit: false,
            continue_bit: false,
            csg: req.csg,
            nsg: 0,
            version_max: 0,
            version_active: 0,
            isid: st.isid,
            tsih: 0,
            itt: st.itt,
            numbers: seq.next(),
            status_class: f.status.0,
            status_detail: f.status.1,
            data_len: 0,
        };
        self.send(&r.encode(), &[])?;
        Err(ECONNABORTED)
    }

    /// The full-feature phase of a discovery session: SendTargets, NOP-Out
    /// and Logout; anything else is rejected.
    fn discovery_session(&self, seq: &mut Seq, neg: &Negotiated) -> Result {
        let mut pending = KVec::<u8>::new();
        let mut sent = 0usize;
        let continue_tag: u32 = 1;
        loop {
            let p = self.recv_pdu(DISCOVERY_MAX_RECV)?;
            let (h, req) = match pdu::parse(&p.bhs) {
                Ok(r) => r,
                Err(e) => match e.reject_reason() {
                    Some(reason) => {
                        self.reject(seq, reason, &p.bhs)?;
                        continue;
                    }
                    None => return Err(EPROTO),
                },
            };
            match req {
                Request::Text(t) => {
                    self.take_cmd_sn(seq, h.immediate, t.cmd_sn)?;
                    if t.continue_bit {
                        // Text requests fit one PDU in discovery.
                        self.reject(seq, pdu::reject::PROTOCOL_ERROR, &p.bhs)?;
                        continue;
                    }
                    if t.ttt == pdu::RESERVED_TAG {
                        pending.clear();
                        sent = 0;
                        self.text_request(&p.data, &neg.initiator, &mut pending)?;
                    } else if t.ttt != continue_tag || sent >= pending.len() {
                        self.reject(seq, pdu::reject::INVALID_PDU_FIELD, &p.bhs)?;
                        continue;
                    }
                    let rest = pending.get(sent..).unwrap_or(&[]);
                    let n = rest.len().min(neg.max_xmit as usize);
                    let last = n == rest.len();
                    let r = pdu::TextResponse {
                        final_bit: last,
                        continue_bit: !last,
                        lun: t.lun,
                        itt: h.itt,
                        ttt: if last {
                            pdu::RESERVED_TAG
                        } else {
                            continue_tag
                        },
                        numbers: seq.next(),
                        data_len: n as u32,
                    };
                    self.send(&r.encode(), rest.get(..n).unwrap_or(&[]))?;
                    sent += n;
                }
                Request::Logout(l) => {
                    self.take_cmd_sn(seq, h.immediate, l.cmd_sn)?;
                    // ERL 0: no recovery of connections.
                    let response = match l.reason {
                        pdu::logout_reason::REMOVE_FOR_RECOVERY => 2,
                        _ => 0,
                    };
                    let r = pdu::LogoutResponse {
                        response,
                        itt: h.itt,
                        numbers: seq.next(),
                        time2wait: 0,
                        time2retain: 0,
                    };
                    self.send(&r.encode(), &[])?;
                    return Ok(());
                }
                Request::NopOut(n) => {
                    self.take_cmd_sn(seq, h.immediate, n.cmd_sn)?;
                    if h.itt == pdu::RESERVED_TAG {
                        // A ping that wants no answer.
                        continue;
                    }
                    let numbers = seq.next();
                    let r = pdu::NopIn {
                        lun: n.lun,
                        itt: h.itt,
                        ttt: pdu::RESERVED_TAG,
                        numbers,
                        data_len: p.data.len() as u32,
                    };
                    self.send(&r.encode(), &p.data)?;
                }
                Request::Login(_) => {
                    pr_err!(
                        "iscsi: {}: a Login Request in the full-feature phase\n",
                        self.peer.text()
                    );
                    return Err(EPROTO);
                }
                _ => {
                    // SCSI commands, data, task management and SNACK have
                    // no place in a discovery session.
                    self.reject(seq, pdu::reject::PROTOCOL_ERROR, &p.bhs)?;
                }
            }
        }
    }

    /// A non-immediate command takes the next CmdSN: anything else is a
    /// protocol error that ends the connection (ERL 0, window 1).
    fn take_cmd_sn(&self, seq: &mut Seq, immediate: bool, cmd_sn: u32) -> Result {
        if immediate {
            return Ok(());
        }
        if cmd_sn != seq.exp_cmd_sn {
            pr_err!(
                "iscsi: {}: CmdSN {:#x}, expected {:#x}\n",
                self.peer.text(),
                cmd_sn,
                seq.exp_cmd_sn
            );
            return Err(EPROTO);
        }
        seq.exp_cmd_sn = seq.exp_cmd_sn.wrapping_add(1);
        Ok(())
    }

    fn reject(&self, seq: &mut Seq, reason: u8, bhs: &[u8; BHS_LEN]) -> Result {
        let r = pdu::Reject {
            reason,
            numbers: seq.next(),
            data_sn: 0,
        };
        self.send(&r.encode(), bhs)
    }

    /// The answer to a Text Request of a discovery session, into `out`.
    fn text_request(&self, text: &[u8], initiator: &[u8], out: &mut KVec<u8>) -> Result {
        for pair in param::pairs(text) {
            let Ok((key, value)) = pair else {
                return Err(EPROTO);
            };
            if key == b"SendTargets" {
                crate::send_targets(out, value, initiator, &self.local)?;
            } else {
                push_pair(out, key, b"NotUnderstood")?;
            }
        }
        Ok(())
    }
}

/// Appends `key=value\0`.
pub(crate) fn push_pair(out: &mut KVec<u8>, key: &[u8], value: &[u8]) -> Result {
    out.extend_from_slice(key, GFP_KERNEL)?;
    out.push(b'=', GFP_KERNEL)?;
    out.extend_from_slice(value, GFP_KERNEL)?;
    out.push(0, GFP_KERNEL)?;
    Ok(())
}
