// SPDX-License-Identifier: GPL-2.0

//! The reservation commands and the reservation conflict check: PERSISTENT
//! RESERVE IN/OUT and RESERVE/RELEASE (6/10) run the device's state
//! machine (proto/src/pr.rs, device_pr.rs) for the command's I_T nexus:
//! the session's initiator port (device_pr::session_port) and the
//! relative target port identifier of its TPG.
//!
//! With `attrib/emulate_pr` 0 the four commands are refused with INVALID
//! COMMAND OPERATION CODE, as in LIO.

use kernel::prelude::*;

use crate::cdb::{CdbError, DataDirection};
use crate::command::{self, data_in, Outcome, Request};
use crate::device_pr::{session_port, Effects, Ports};
use crate::fabric::abi;
use crate::lun_map::LinkedLun;
use crate::pr::{self, Access, Nexus, PrError, ProutCdb, ProutOptions};
use crate::pr_transport_id::{InitiatorPort, Protocol};
use crate::sense::SenseKey;

impl From<PrError> for Outcome {
    fn from(e: PrError) -> Self {
        match e {
            PrError::ReservationConflict => Outcome::Conflict,
            PrError::Check(e) => e.into(),
        }
    }
}

/// The initiator port of the command's nexus, or the CHECK CONDITION that
/// ends a command whose session has no usable name (cannot happen: every
/// session name of 1 to 223 bytes without NUL is an iSCSI name).
fn port(req: &Request<'_>) -> Result<InitiatorPort, Outcome> {
    session_port(req.session, req.protocol_id).ok_or(Outcome::check(
        SenseKey::HardwareError,
        0x08,
        0x03,
    ))
}

fn emulated(lun: &LinkedLun) -> bool {
    lun.dev.attributes().emulate_pr
}

/// Whether the command may run given the device's reservations: RESERVATION
/// CONFLICT if not. Checked after unit attentions and decoding, before the
/// command runs (LIO's target_check_reservation); free while the device
/// has no reservation.
pub(crate) fn check(
    req: &Request<'_>,
    lun: &LinkedLun,
    cdb: &[u8],
    direction: DataDirection,
) -> Option<Outcome> {
    if !lun.dev.pr_may_conflict() {
        return None;
    }
    let Ok(initiator) = port(req) else {
        return Some(Outcome::Conflict);
    };
    let nexus = Nexus {
        initiator: &initiator,
        rtpi: req.tpg.rtpi(),
    };
    match lun.dev.pr.lock().check_access(&nexus, cdb, direction) {
        Access::Allowed => None,
        Access::Conflict => Some(Outcome::Conflict),
    }
}

/// PERSISTENT RESERVE IN.
pub(crate) fn pr_in(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    service_action: u8,
    alloc_len: u16,
) -> Outcome {
    if !emulated(lun) {
        return CdbError::invalid_opcode().into();
    }
    let mut out = KVec::new();
    if out.resize(usize::from(alloc_len), 0u8, GFP_KERNEL).is_err() {
        return Outcome::TaskSetFull;
    }
    let len = match lun.dev.pr.lock().pr_in(service_action, &mut out) {
        Ok(len) => len,
        Err(e) => return e.into(),
    };
    let n = len.min(out.len());
    data_in(req, out.get(..n).unwrap_or(&[]), usize::from(alloc_len))
}

/// PERSISTENT RESERVE OUT.
pub(crate) fn pr_out(
    req: &mut Request<'_>,
    lun: &LinkedLun,
    cdb: ProutCdb,
    param_len: u32,
) -> Outcome {
    if !emulated(lun) {
        return CdbError::invalid_opcode().into();
    }
    let initiator = match port(req) {
        Ok(p) => p,
        Err(o) => return o,
    };
    // The transport's length and the CDB's: the smaller is the list.
    let offered = if req.direction == abi::DIRECTION_TO_DEVICE {
        req.data.len()
    } else {
        0
    };
    let len = offered.min(param_len as usize);
    let mut list = KVec::new();
    if list.resize(len, 0u8, GFP_KERNEL).is_err() {
        return Outcome::TaskSetFull;
    }
    req.data.read_at(0, &mut list);
    let a = lun.dev.attributes();
    let opts = ProutOptions {
        force_aptpl: a.force_pr_aptpl,
        enforce_pr_isids: a.enforce_pr_isids,
    };
    let rtpi = req.tpg.rtpi();
    let current = Protocol::from_u8(req.protocol_id).map(|p| (rtpi, p));
    let ports = Ports::new(&lun.dev, current);
    let nexus = Nexus {
        initiator: &initiator,
        rtpi,
    };
    let mut effects = Effects {
        dev: &lun.dev,
        aborts: false,
    };
    let (result, snapshot) = {
        let mut st = lun.dev.pr.lock();
        let r = st.pr_out(&nexus, &cdb, &list, &opts, &ports, &mut effects);
        lun.dev.pr_sync(&st);
        let snapshot = match &r {
            Ok(o) => lun.dev.aptpl_snapshot(&st, o.aptpl, &ports),
            Err(_) => Ok(None),
        };
        (r, snapshot)
    };
    // The APTPL file, written outside the lock (device_pr.rs).
    let written = match snapshot {
        Ok(Some(s)) => lun.dev.aptpl_write(s),
        Ok(None) => Ok(()),
        Err(e) => {
            pr_err!("SPC-3 PR: no memory for the APTPL metadata\n");
            Err(e)
        }
    };
    // As LIO: only REGISTER fails when the file cannot be written.
    let register = matches!(
        cdb.service_action,
        pr::out_sa::REGISTER | pr::out_sa::REGISTER_AND_IGNORE_EXISTING_KEY
    );
    if result.is_ok() && written.is_err() && register {
        return Outcome::check(SenseKey::NotReady, 0x08, 0x00);
    }
    if result.is_ok() && effects.aborts {
        wait_for_preempted(req, lun);
    }
    match result {
        Ok(_) => Outcome::Good {
            moved: len,
            overflow: (param_len as usize).saturating_sub(len),
        },
        Err(e) => e.into(),
    }
}

/// PREEMPT AND ABORT: the preempted nexuses' tasks are aborted before
/// the command completes (SPC-4 5.13.11.2.3), so that a cluster node that
/// fenced another off knows, once it has the answer, that none of the
/// other's writes will still reach the medium. New commands of the
/// preempted nexuses already get RESERVATION CONFLICT; the ones that got
/// past their check before the preempt may be running or in their
/// backstore, where the core cannot take them back, so it waits for them,
/// as LIO waits for the commands it cannot abort: for every command that
/// holds a place in the device's task set (those of other nexuses too,
/// a superset), leaving its own place first. HEAD OF QUEUE commands hold
/// none and are not waited for.
fn wait_for_preempted(req: &mut Request<'_>, lun: &LinkedLun) {
    req.leave_task_set(lun);
    command::drain_task_set(lun, || ());
}

/// RESERVE(6/10) and RELEASE(6/10).
pub(crate) fn reserve_release(req: &mut Request<'_>, lun: &LinkedLun, reserve: bool) -> Outcome {
    if !emulated(lun) {
        return CdbError::invalid_opcode().into();
    }
    let initiator = match port(req) {
        Ok(p) => p,
        Err(o) => return o,
    };
    let nexus = Nexus {
        initiator: &initiator,
        rtpi: req.tpg.rtpi(),
    };
    let result = {
        let mut st = lun.dev.pr.lock();
        let r = if reserve {
            st.spc2_reserve(&nexus)
        } else {
            st.spc2_release(&nexus)
        };
        lun.dev.pr_sync(&st);
        r
    };
    match result {
        Ok(()) => Outcome::NO_DATA,
        Err(e) => e.into(),
    }
}

/// The CDB fields of PERSISTENT RESERVE OUT for the state machine.
pub(crate) fn prout_cdb(service_action: u8, scope: u8, pr_type: u8) -> ProutCdb {
    pr::ProutCdb {
        service_action,
        scope,
        pr_type,
    }
}
