// SPDX-License-Identifier: GPL-2.0

//! Network portals: `tpgt_<N>/np/<ip>:<port>/` and the TCP listeners
//! behind them.
//!
//! As in LIO, a listener is shared by every TPG (of any target) that names
//! the same address and port, and lives while any of them does; within one
//! target an address may be a portal of one TPG only (EEXIST). The listener
//! is the C half's (iscsi_helpers.c: a kernel socket and a thread in accept).
//!
//! Accepted connections go to conn.rs.

use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use kernel::error::code::EADDRINUSE;
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::portal_name::{split_portal, PortalError, PORTAL_NAME_MAX};
use crate::WwnShared;

/// A socket address: the C half's `struct sockaddr_storage`.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub(crate) struct SockAddr([u8; 128]);

extern "C" {
    fn tcm_rs_iscsi_addr_parse(
        host: *const c_char,
        port: *const c_char,
        out: *mut SockAddr,
    ) -> c_int;
    fn tcm_rs_iscsi_addr_eq(a: *const SockAddr, b: *const SockAddr) -> bool;
    fn tcm_rs_iscsi_addr_format(addr: *const SockAddr, buf: *mut c_char, size: usize) -> c_int;
    fn tcm_rs_iscsi_listen(
        addr: *const SockAddr,
        ctx: *mut c_void,
        accepted: unsafe extern "C" fn(ctx: *mut c_void, sock: *mut c_void),
    ) -> *mut c_void;
    fn tcm_rs_iscsi_unlisten(listener: *mut c_void);
    fn tcm_rs_iscsi_addr_is_any(addr: *const SockAddr) -> bool;
    fn tcm_rs_iscsi_addr_port(addr: *const SockAddr) -> u16;
}

impl SockAddr {
    pub(crate) const fn zeroed() -> Self {
        Self([0; 128])
    }

    /// INADDR_ANY or in6addr_any.
    pub(crate) fn is_any(&self) -> bool {
        // SAFETY: A valid sockaddr_storage.
        unsafe { tcm_rs_iscsi_addr_is_any(self) }
    }

    /// The port.
    pub(crate) fn port(&self) -> u16 {
        // SAFETY: A valid sockaddr_storage.
        unsafe { tcm_rs_iscsi_addr_port(self) }
    }

    /// Parses a portal directory's name as LIO does.
    pub(crate) fn parse_portal(name: &CStr) -> Result<Self> {
        let (host, port) = split_portal(name.to_bytes()).map_err(|e| match e {
            PortalError::TooLong => {
                pr_err!("np: a portal name has at most {} bytes\n", PORTAL_NAME_MAX);
                EOVERFLOW
            }
            PortalError::Malformed => {
                pr_err!(
                    "np/{:?}: a portal is <IPv4 address>:<port> or [<IPv6 address>]:<port>\n",
                    name
                );
                EINVAL
            }
        })?;
        // NUL-terminated copies for the C half.
        let mut host_z = [0u8; PORTAL_NAME_MAX + 1];
        let mut port_z = [0u8; PORTAL_NAME_MAX + 1];
        host_z
            .get_mut(..host.len())
            .ok_or(EINVAL)?
            .copy_from_slice(host);
        port_z
            .get_mut(..port.len())
            .ok_or(EINVAL)?
            .copy_from_slice(port);
        let mut addr = SockAddr::zeroed();
        // SAFETY: Both strings are NUL-terminated (the arrays are one
        // longer than any name); `addr` is a writable sockaddr_storage.
        let ret = unsafe {
            tcm_rs_iscsi_addr_parse(host_z.as_ptr().cast(), port_z.as_ptr().cast(), &mut addr)
        };
        if ret != 0 {
            pr_err!("np/{:?}: malformed address or port\n", name);
            return Err(Error::from_errno(ret));
        }
        Ok(addr)
    }

    /// Same family, address and port.
    pub(crate) fn same(&self, other: &SockAddr) -> bool {
        // SAFETY: Both are valid sockaddr_storage values.
        unsafe { tcm_rs_iscsi_addr_eq(self, other) }
    }

    /// The address as text, `%pISpc`, for log lines.
    pub(crate) fn text(&self) -> AddrText {
        let mut t = AddrText {
            buf: [0; 64],
            len: 0,
        };
        // SAFETY: `buf` is writable for its length; the address is valid.
        let n = unsafe { tcm_rs_iscsi_addr_format(self, t.buf.as_mut_ptr().cast(), t.buf.len()) };
        t.len = usize::try_from(n).unwrap_or(0).min(t.buf.len());
        t
    }
}

/// An address as text.
pub(crate) struct AddrText {
    buf: [u8; 64],
    len: usize,
}

impl AddrText {
    /// The text's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl kernel::fmt::Display for AddrText {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let s = core::str::from_utf8(self.buf.get(..self.len).unwrap_or(&[])).unwrap_or("?");
        f.write_str(s)
    }
}

/// A listening socket, shared by the portals of its address.
struct Listener {
    addr: SockAddr,
    /// The C half's listener; NULL until started.
    handle: AtomicPtr<c_void>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let handle = self.handle.swap(ptr::null_mut(), Ordering::AcqRel);
        if !handle.is_null() {
            // SAFETY: Started by `tcm_rs_iscsi_listen` and stopped once
            // (taken out above). It stops calling `accepted` with this
            // listener before it returns, so `self` outlives every call.
            unsafe { tcm_rs_iscsi_unlisten(handle) };
        }
    }
}

/// A connection the listener accepted.
///
/// # Safety
///
/// Called by the C half's listener thread with the `ctx` given to
/// `tcm_rs_iscsi_listen` (a live `Listener`) and a connected socket that
/// this function owns.
unsafe extern "C" fn accepted(_ctx: *mut c_void, sock: *mut c_void) {
    crate::conn::accept(sock);
}

/// A listener and how many portals use it.
struct Export {
    listener: Arc<Listener>,
    portals: usize,
}

kernel::sync::global_lock! {
    // SAFETY: Initialised in the module's init (`init`), before the fabric
    // is registered and a portal can be made.
    unsafe(uninit) static LISTENERS: Mutex<KVec<Export>> = KVec::new();
}

/// Prepares the listener registry; called once from the module's init.
pub(crate) fn init() {
    // SAFETY: Called once, before anything can use the lock.
    unsafe { LISTENERS.init() };
}

/// Says in the kernel log why `addr` cannot be listened on: the errno as a
/// number (`{:?}` names it only with CONFIG_SYMBOLIC_ERRNAME, which neither
/// test kernel has), and in words for the usual case.
fn log_listen_error(addr: &SockAddr, e: Error) {
    let why = if e == EADDRINUSE {
        ": the address is in use"
    } else {
        ""
    };
    pr_err!(
        "iscsi: cannot listen on {} (error {}{})\n",
        addr.text(),
        e.to_errno(),
        why
    );
}

/// The listener of `addr`: the one that exists, or a new one bound to it
/// (the bind's error, EADDRINUSE for an address another socket listens
/// on, is the caller's).
fn listener_for(addr: &SockAddr) -> Result<Arc<Listener>> {
    let mut all = LISTENERS.lock();
    if let Some(e) = all.iter_mut().find(|e| e.listener.addr.same(addr)) {
        e.portals += 1;
        return Ok(e.listener.clone());
    }
    all.reserve(1, GFP_KERNEL)?;
    let listener = Arc::new(
        Listener {
            addr: *addr,
            handle: AtomicPtr::new(ptr::null_mut()),
        },
        GFP_KERNEL,
    )?;
    let ctx = Arc::as_ptr(&listener).cast_mut().cast::<c_void>();
    // SAFETY: `addr` is valid; `ctx` is the listener, which stops the C
    // listener in its drop before it is freed.
    let handle = kernel::error::from_err_ptr(unsafe { tcm_rs_iscsi_listen(addr, ctx, accepted) })
        .inspect_err(|e| log_listen_error(addr, *e))?;
    listener.handle.store(handle, Ordering::Release);
    // Cannot fail: reserved above.
    all.push(
        Export {
            listener: listener.clone(),
            portals: 1,
        },
        GFP_NOWAIT,
    )?;
    Ok(listener)
}

/// A portal no longer uses `listener`: the last one stops it.
fn put_listener(listener: &Arc<Listener>) {
    let last = {
        let mut all = LISTENERS.lock();
        let Some(i) = all.iter().position(|e| Arc::ptr_eq(&e.listener, listener)) else {
            return;
        };
        let Some(e) = all.get_mut(i) else { return };
        e.portals -= 1;
        if e.portals == 0 {
            all.remove(i).ok()
        } else {
            None
        }
    };
    // Stopped (the thread joined) with no lock held.
    drop(last);
}

static NEXT_PORTAL_ID: AtomicU64 = AtomicU64::new(1);

/// `np/<portal>/`: one network portal of a TPG.
pub(crate) struct Portal {
    id: u64,
    listener: Option<Arc<Listener>>,
    wwn: Arc<WwnShared>,
}

impl Portal {
    /// Makes portal `name` of TPG `tag` of target `wwn`.
    pub(crate) fn new(wwn: &Arc<WwnShared>, tag: u16, name: &CStr) -> Result<Portal> {
        let addr = SockAddr::parse_portal(name)?;
        let mut nps = wwn.portals.lock();
        if let Some(other) = nps.iter().find(|p| p.addr.same(&addr)) {
            pr_err!(
                "iscsi: portal {} already exists in tpgt_{} of {:?}\n",
                addr.text(),
                other.tag,
                &*wwn.name
            );
            return Err(EEXIST);
        }
        nps.reserve(1, GFP_KERNEL)?;
        let listener = listener_for(&addr)?;
        let id = NEXT_PORTAL_ID.fetch_add(1, Ordering::Relaxed);
        // Cannot fail: reserved above.
        nps.push(PortalEntry { id, tag, addr }, GFP_NOWAIT)?;
        Ok(Portal {
            id,
            listener: Some(listener),
            wwn: wwn.clone(),
        })
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.wwn.portals.lock().retain(|p| p.id != self.id);
        if let Some(listener) = self.listener.take() {
            put_listener(&listener);
        }
    }
}

/// A portal of a target, for the EEXIST check and SendTargets.
pub(crate) struct PortalEntry {
    id: u64,
    tag: u16,
    addr: SockAddr,
}

impl PortalEntry {
    /// The tag of its TPG.
    pub(crate) fn tag(&self) -> u16 {
        self.tag
    }

    /// Its address.
    pub(crate) fn addr(&self) -> &SockAddr {
        &self.addr
    }
}
