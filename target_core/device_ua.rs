// SPDX-License-Identifier: GPL-2.0

//! Unit attentions of a logical unit: conditions every I_T nexus that sees
//! the device gets, through whichever of its LUNs (target ports) and under
//! whichever number its view gives that LUN, as LIO's
//! target_dev_ua_allocate() walks every LUN of the device.

use kernel::sync::Arc;

use crate::device::DeviceState;
use crate::session::Session;

impl DeviceState {
    /// Queues `(asc, ascq)` for every I_T_L nexus of the device but
    /// `except` (a session and the LUN number it sees the device by: the
    /// nexus a command that caused the condition came through).
    pub(crate) fn queue_ua_all(&self, ua: (u8, u8), except: Option<(&Session, u64)>) {
        for port in self.ports_snapshot().iter() {
            for s in port.tpg().sessions.lock().iter() {
                let Some(view) = s.view() else {
                    continue;
                };
                for l in view
                    .luns()
                    .iter()
                    .filter(|l| Arc::ptr_eq(&l.target.state, port))
                {
                    let origin =
                        except.is_some_and(|(es, el)| core::ptr::eq(es, &**s) && el == l.lun);
                    if !origin {
                        s.queue_ua(l.lun, ua);
                    }
                }
            }
        }
    }
}
