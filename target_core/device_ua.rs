// SPDX-License-Identifier: GPL-2.0

//! The I_T_L nexuses of a device, and the unit attentions of a logical
//! unit.
//!
//! [`DeviceState::for_each_nexus`] is the one walk from a device to the
//! sessions that see it: through each of its LUNs (target ports), to the
//! sessions of the LUN's TPG whose view holds that LUN, under whichever
//! number the view gives it. Three kinds of unit attention go that way:
//! those of the logical unit, to every nexus ([`DeviceState::queue_ua_all`],
//! as LIO's target_dev_ua_allocate() walks every LUN of the device); those
//! of a PERSISTENT RESERVE OUT, to a registration's initiator through its
//! port (`device_pr::Effects`); and ALUA's ASYMMETRIC ACCESS STATE CHANGED,
//! to the nexuses of a target port group's LUNs (`alua_engine`).

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::device::DeviceState;
use crate::lun::LunState;
use crate::session::Session;

impl DeviceState {
    /// Calls `f(session, lun)` for every I_T_L nexus of the device through
    /// a LUN exporting it (a target port) that `port` accepts: each session
    /// of the LUN's TPG whose view holds that LUN, with the number the view
    /// gives it (once per number, should the view map it under several).
    ///
    /// Locking, which the callers rely on:
    /// - `pr_ports` is held only while the LUNs are copied (allocating with
    ///   GFP_KERNEL); `port` is called with no lock of the walk held;
    /// - `f` runs under the TPG's `sessions` mutex and no spinlock (each
    ///   session's view is taken under RCU first): it may sleep
    ///   and allocate, as `Session::queue_ua` does under the session's
    ///   mutex, but must not take `pr`, `pr_ports`, or a TPG's `acls` or
    ///   `sessions`;
    /// - the caller must be able to sleep. It may hold `pr`, as persistent
    ///   reservations do (the order is `pr`, `pr_ports`, a TPG's
    ///   `sessions`, a session's mutex), but not `pr_ports`, a TPG's
    ///   `acls` or `sessions` (`acls` comes before `sessions`), nor a
    ///   session's locks.
    ///
    /// ENOMEM, and no nexus visited, if there is no memory to list the
    /// device's LUNs.
    pub(crate) fn for_each_nexus(
        &self,
        mut port: impl FnMut(&LunState) -> bool,
        mut f: impl FnMut(&Session, u64),
    ) -> Result {
        for p in self.try_ports_snapshot()?.iter() {
            if !port(p) {
                continue;
            }
            for s in p.tpg().sessions.lock().iter() {
                let Some(view) = s.view() else {
                    continue;
                };
                for l in view
                    .luns()
                    .iter()
                    .filter(|l| Arc::ptr_eq(&l.target.state, p))
                {
                    f(s, l.lun);
                }
            }
        }
        Ok(())
    }

    /// Queues `(asc, ascq)` for every I_T_L nexus of the device but
    /// `except` (a session and the LUN number it sees the device by: the
    /// nexus a command that caused the condition came through).
    pub(crate) fn queue_ua_all(&self, ua: (u8, u8), except: Option<(&Session, u64)>) {
        // Without memory to list the LUNs, no nexus gets it.
        let _ = self.for_each_nexus(
            |_| true,
            |s, lun| {
                let origin = except.is_some_and(|(es, el)| core::ptr::eq(es, s) && el == lun);
                if !origin {
                    s.queue_ua(lun, ua);
                }
            },
        );
    }
}
