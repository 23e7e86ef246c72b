// SPDX-License-Identifier: GPL-2.0

//! Task management: what the core does for a function a fabric performs
//! (`tcm_rs_tmf_execute()`, fabric ABI 0.3).
//!
//! The core does not take commands back: a command is either running in
//! the fabric's call, pending on its backstore's I/O (async_rw.rs), or
//! waiting its turn behind an ORDERED one (task_set.rs), and each of them
//! ends by itself, counted by its fabric until `command_done`. A fabric
//! therefore lets the commands a function concerns end first (the
//! loopback's SCSI error handler and the iSCSI session wait for their
//! count to drop; a command's own response goes before the function's, so
//! the initiator sees the task gone), then tells the core, which does what
//! outlives the commands: the unit attention conditions SAM-5 asks for and
//! the SPC-2 reservations a reset releases. LOGICAL UNIT RESET and I_T
//! NEXUS RESET (or loss) are the functions with such effects. A command
//! waiting in a task set line is let go in order as the ones before it
//! end, so the wait is bounded by the backstore's I/O, as LIO's wait for
//! the commands it cannot abort once they reached the backstore.

use kernel::ffi::c_void;
use kernel::prelude::*;

use crate::command;
use crate::fabric::abi;
use crate::session::Session;
use crate::tpg::TpgState;

/// BUS DEVICE RESET FUNCTION OCCURRED.
const BUS_DEVICE_RESET_FUNCTION_OCCURRED: (u8, u8) = (0x29, 0x03);
/// I_T NEXUS LOSS OCCURRED.
const I_T_NEXUS_LOSS_OCCURRED: (u8, u8) = (0x29, 0x07);

/// Performs task management function `function` on LUN `lun` of the TPG
/// for `session`; returns a `TMF_*` response.
///
/// # Safety
///
/// `core_tpg` must be a handle the core gave to `make_tpg`, before
/// `drop_tpg` returned; `session` one of its registered sessions or null.
#[no_mangle]
pub(crate) unsafe extern "C" fn tcm_rs_tmf_execute(
    core_tpg: *mut c_void,
    session: *mut c_void,
    lun: u64,
    function: u8,
) -> u8 {
    // SAFETY: By the safety requirement, passed on.
    crate::noio::scope(|| unsafe { execute(core_tpg, session, lun, function) })
}

/// The body of [`tcm_rs_tmf_execute`], with allocations that never reclaim
/// through I/O (noio.rs).
///
/// # Safety
///
/// As for [`tcm_rs_tmf_execute`].
unsafe fn execute(core_tpg: *mut c_void, session: *mut c_void, lun: u64, function: u8) -> u8 {
    // SAFETY: By the safety requirement.
    let (tpg, session) = unsafe {
        (
            &*core_tpg.cast::<TpgState>(),
            session.cast::<Session>().as_ref(),
        )
    };
    match function {
        abi::TMF_LUN_RESET => lun_reset(session, lun),
        abi::TMF_CLEAR_TASK_SET => clear_task_set(session, lun),
        abi::TMF_I_T_NEXUS_RESET => match session {
            Some(session) => i_t_nexus_loss(tpg, session),
            None => abi::TMF_NOT_SUPPORTED,
        },
        _ => abi::TMF_NOT_SUPPORTED,
    }
}

/// LOGICAL UNIT RESET: every nexus of the logical unit, through any of its
/// target ports, gets BUS DEVICE RESET FUNCTION OCCURRED (SAM-5 6.6), under
/// the number it knows the LUN by, and an SPC-2 reservation of the device
/// is released (as LIO;
/// persistent reservations survive the reset, SPC-4 5.13.1). The unit
/// attention goes to the nexus that asked too (SAM-5; LIO does the same),
/// which its initiator expects after a reset.
///
/// The reset is the LU's, whatever port it came through: the commands of
/// every nexus in the device's task set (through other TPGs too: the other
/// paths of a multipath device) end before it does, and the unit
/// attention is established before the commands that arrived meanwhile
/// run (`command::drain_task_set`).
fn lun_reset(session: Option<&Session>, lun: u64) -> u8 {
    let Some((target, _)) = session.and_then(|s| s.lookup(lun)) else {
        return abi::TMF_INCORRECT_LUN;
    };
    command::drain_task_set(&target, || {
        // scsiLuInResets and scsiTgtDevResets, as LIO's core_tmr_lun_reset().
        target.dev.stats.count_reset();
        target
            .dev
            .queue_ua_all(BUS_DEVICE_RESET_FUNCTION_OCCURRED, None);
        target.dev.pr_spc2_clear();
    });
    pr_info!("LUN reset of LUN {}\n", lun);
    abi::TMF_COMPLETE
}

/// CLEAR TASK SET (SAM-5 7.5): the LU's task set is for every I_T nexus
/// (TST 0), so the function waits for the commands of every nexus in it,
/// as a LUN reset does, without the reset's unit attention or its effect
/// on reservations. (The core takes no command back: each ends with its
/// own status, as one that completed before the function would.)
fn clear_task_set(session: Option<&Session>, lun: u64) -> u8 {
    let Some((target, _)) = session.and_then(|s| s.lookup(lun)) else {
        return abi::TMF_INCORRECT_LUN;
    };
    command::drain_task_set(&target, || ());
    abi::TMF_COMPLETE
}

/// I_T NEXUS RESET, or the loss of the nexus (SAM-5 6.3.4): I_T NEXUS LOSS
/// OCCURRED on every LUN the session sees, as LIO's
/// core_allocate_nexus_loss_ua(); an SPC-2 reservation the nexus holds is
/// released (SPC-2 7.21.1; LIO keeps it), persistent reservations stay
/// (SPC-4 5.13.1).
fn i_t_nexus_loss(tpg: &TpgState, session: &Session) -> u8 {
    let Some(view) = session.view() else {
        return abi::TMF_COMPLETE;
    };
    let rtpi = tpg.rtpi();
    for l in view.luns() {
        session.queue_ua(l.lun, I_T_NEXUS_LOSS_OCCURRED);
        l.target.dev.pr_nexus_lost(session, rtpi);
    }
    pr_info!("I_T nexus loss of {:?}\n", session.initiator());
    abi::TMF_COMPLETE
}
