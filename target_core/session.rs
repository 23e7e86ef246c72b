// SPDX-License-Identifier: GPL-2.0

//! Sessions: the I_T nexuses a fabric registers with a TPG (a loopback
//! `nexus`, an iSCSI login), and the functions it registers them with.

use core::sync::atomic::{AtomicU32, Ordering};

use kernel::ffi::{c_char, c_void};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::access::View;
use crate::rcu_arc::RcuArc;

use crate::tpg::TpgState;

/// The longest initiator port name, NUL excluded (as an ACL's).
const INITIATOR_NAME_MAX: usize = 223;

/// REPORTED LUNS DATA HAS CHANGED.
pub(crate) const REPORTED_LUNS_DATA_HAS_CHANGED: (u8, u8) = (0x3f, 0x0e);

/// One pending unit attention condition of an I_T_L nexus.
#[derive(Clone, Copy, PartialEq, Eq)]
struct UnitAttention {
    lun: u64,
    asc: u8,
    ascq: u8,
}

impl UnitAttention {
    /// Which of a LUN's conditions is reported first (SAM-5: a reset or
    /// power on before parameter changes before the rest), as LIO orders
    /// them; 0 first.
    fn rank(&self) -> u8 {
        match self.asc {
            0x29 => 0,
            0x2a => 1,
            _ => 2,
        }
    }
}

/// One I_T nexus.
#[pin_data]
pub(crate) struct Session {
    initiator: CString,
    /// iSCSI's ISID: the initiator port within the initiator.
    isid: Option<[u8; 6]>,
    /// How many conditions `uas` holds: every command reads it, and takes
    /// the lock only when it is not 0.
    ua_count: AtomicU32,
    /// The unit attention conditions of this nexus, for every LUN.
    #[pin]
    uas: Mutex<KVec<UnitAttention>>,
    /// The LUNs the nexus sees (access.rs); `None` sees none. Read by
    /// every command, under RCU.
    pub(crate) view: RcuArc<View>,
}

impl Session {
    /// Establishes a unit attention condition for LUN `lun` of this nexus;
    /// one already pending is not doubled.
    pub(crate) fn queue_ua(&self, lun: u64, (asc, ascq): (u8, u8)) {
        let ua = UnitAttention { lun, asc, ascq };
        let mut uas = self.uas.lock();
        if uas.contains(&ua) {
            return;
        }
        if uas.push(ua, GFP_KERNEL).is_err() {
            pr_warn!(
                "session: no memory for a unit attention ({:#04x}/{:#04x}) on LUN {}\n",
                asc,
                ascq,
                lun
            );
            return;
        }
        self.ua_count.store(uas.len() as u32, Ordering::Release);
    }

    /// Whether any condition is pending, on any LUN.
    pub(crate) fn has_ua(&self) -> bool {
        self.ua_count.load(Ordering::Acquire) != 0
    }

    /// The first condition to report for LUN `lun` (SAM-5 order), and with
    /// `clear` every condition of the LUN released (UA_INTLCK_CTRL 0, and
    /// REQUEST SENSE).
    pub(crate) fn take_ua(&self, lun: u64, clear: bool) -> Option<(u8, u8)> {
        if !self.has_ua() {
            return None;
        }
        let mut uas = self.uas.lock();
        let first = uas
            .iter()
            .filter(|u| u.lun == lun)
            .min_by_key(|u| u.rank())
            .copied()?;
        if clear {
            uas.retain(|u| u.lun != lun);
            self.ua_count.store(uas.len() as u32, Ordering::Release);
        }
        Some((first.asc, first.ascq))
    }

    /// The initiator port name.
    pub(crate) fn initiator(&self) -> &CStr {
        &self.initiator
    }

    /// The session's ISID (iSCSI), which with the initiator name names
    /// the initiator port.
    pub(crate) fn isid(&self) -> Option<[u8; 6]> {
        self.isid
    }

    /// Forgets the conditions of LUN `lun`, which is going.
    pub(crate) fn drop_uas(&self, lun: u64) {
        if !self.has_ua() {
            return;
        }
        let mut uas = self.uas.lock();
        uas.retain(|u| u.lun != lun);
        self.ua_count.store(uas.len() as u32, Ordering::Release);
    }
}

/// Registers a session of `initiator` with the TPG whose handle is
/// `core_tpg`; returns the session's handle or an `ERR_PTR`.
///
/// # Safety
///
/// `core_tpg` must be a handle the core gave to `make_tpg`, before
/// `drop_tpg` returned; `initiator` a NUL-terminated string.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_session_register(
    core_tpg: *mut c_void,
    initiator: *const c_char,
) -> *mut c_void {
    // SAFETY: By the safety requirement.
    unsafe { tcm_rs_session_register_isid(core_tpg, initiator, core::ptr::null()) }
}

/// As `tcm_rs_session_register` (fabric ABI 0.8), for an iSCSI session
/// with the ISID `isid` (6 bytes, or null for none).
///
/// # Safety
///
/// As for `tcm_rs_session_register`; `isid` null or readable for 6 bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_session_register_isid(
    core_tpg: *mut c_void,
    initiator: *const c_char,
    isid: *const u8,
) -> *mut c_void {
    // SAFETY: By the safety requirement, passed on.
    crate::noio::scope(|| unsafe { register(core_tpg, initiator, isid) })
}

/// The body of [`tcm_rs_session_register_isid`], with allocations that never reclaim
/// through I/O (noio.rs).
///
/// # Safety
///
/// As for [`tcm_rs_session_register_isid`].
unsafe fn register(
    core_tpg: *mut c_void,
    initiator: *const c_char,
    isid: *const u8,
) -> *mut c_void {
    // SAFETY: By the safety requirement.
    let (tpg, initiator, isid) = unsafe {
        (
            &*core_tpg.cast::<TpgState>(),
            CStr::from_char_ptr(initiator),
            isid.cast::<[u8; 6]>().as_ref().copied(),
        )
    };
    let register = || -> Result<*mut c_void> {
        if initiator.to_bytes().is_empty() || initiator.to_bytes().len() > INITIATOR_NAME_MAX {
            pr_err!(
                "session: an initiator name has 1 to {} bytes\n",
                INITIATOR_NAME_MAX
            );
            return Err(EINVAL);
        }
        let session = Arc::pin_init(
            try_pin_init!(Session {
                initiator: initiator.to_cstring()?,
                isid,
                ua_count: AtomicU32::new(0),
                uas <- new_mutex!(KVec::new()),
                view: RcuArc::new(),
            }),
            GFP_KERNEL,
        )?;
        {
            // The ACL list's lock first, as `refresh_views` takes them.
            let acls = tpg.acls.lock();
            if !tpg.admits(initiator, &acls) {
                pr_err!(
                    "session: initiator {:?} has no ACL and the TPG has no demo mode\n",
                    initiator
                );
                return Err(EACCES);
            }
            tpg.sessions.lock().push(session.clone(), GFP_KERNEL)?;
            // LIO makes a dynamic node ACL, with an index, for a session
            // without one.
            if !acls.iter().any(|a| a.initiator() == initiator) {
                crate::access::next_acl_index();
            }
        }
        tpg.refresh_views();
        Ok(Arc::as_ptr(&session).cast_mut().cast())
    };
    register().unwrap_or_else(|e| e.to_ptr())
}

/// Ends a session registered with `tcm_rs_session_register`.
///
/// # Safety
///
/// `core_tpg` as for `tcm_rs_session_register`; `session` a handle it
/// returned for that TPG, not deregistered yet.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_session_deregister(
    core_tpg: *mut c_void,
    session: *mut c_void,
) {
    // SAFETY: By the safety requirement, passed on.
    crate::noio::scope(|| unsafe { deregister(core_tpg, session) })
}

/// The body of [`tcm_rs_session_deregister`], with allocations that never reclaim
/// through I/O (noio.rs).
///
/// # Safety
///
/// As for [`tcm_rs_session_deregister`].
unsafe fn deregister(core_tpg: *mut c_void, session: *mut c_void) {
    // SAFETY: By the safety requirement.
    let tpg = unsafe { &*core_tpg.cast::<TpgState>() };
    let mut gone = None;
    tpg.sessions.lock().retain(|s| {
        let keep = !core::ptr::eq(Arc::as_ptr(s).cast::<c_void>(), session);
        if !keep {
            gone = Some(s.clone());
        }
        keep
    });
    // Its LUNs are let go now, not when the last reference goes. An
    // SPC-2 reservation it holds goes with the nexus; its persistent
    // reservation registrations stay (SPC-4).
    if let Some(s) = gone {
        let view = s.view.replace(None);
        if let Some(view) = view.value() {
            let rtpi = tpg.rtpi();
            for l in view.luns() {
                l.target.dev.pr_nexus_lost(&s, rtpi);
            }
        }
        drop(view);
    }
}

/// The initiator port name of a session.
///
/// # Safety
///
/// `session` must be a registered session's handle.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_session_initiator(session: *mut c_void) -> *const c_char {
    // SAFETY: By the safety requirement the session is live; the TPG's list
    // holds it.
    unsafe { &*session.cast::<Session>() }
        .initiator
        .as_char_ptr()
}
