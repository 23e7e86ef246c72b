// SPDX-License-Identifier: GPL-2.0

//! Sessions: the I_T nexuses a fabric registers with a TPG (a loopback
//! `nexus`, an iSCSI login), and the functions it registers them with.

use kernel::ffi::{c_char, c_void};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;

use crate::tpg::TpgState;

/// The longest initiator port name, NUL excluded (as an ACL's).
const INITIATOR_NAME_MAX: usize = 223;

/// One I_T nexus.
pub(crate) struct Session {
    initiator: CString,
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
    let (tpg, initiator) = unsafe {
        (
            &*core_tpg.cast::<TpgState>(),
            CStr::from_char_ptr(initiator),
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
        let session = Arc::new(
            Session {
                initiator: initiator.to_cstring()?,
            },
            GFP_KERNEL,
        )?;
        let mut sessions = tpg.sessions.lock();
        sessions.push(session.clone(), GFP_KERNEL)?;
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
    // SAFETY: By the safety requirement.
    let tpg = unsafe { &*core_tpg.cast::<TpgState>() };
    tpg.sessions
        .lock()
        .retain(|s| !core::ptr::eq(Arc::as_ptr(s).cast::<c_void>(), session));
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
