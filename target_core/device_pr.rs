// SPDX-License-Identifier: GPL-2.0

//! `core/<hba>/<device>/pr/`: the device's persistent reservations, in
//! LIO's words.
//!
//! The state is the device's `PrState`. Registrations and the reservation
//! holder are made by PERSISTENT RESERVE OUT commands, which need the SCSI
//! engine and sessions; until they exist a device has none, and these files
//! show exactly that, as LIO shows it for a device without registrations.
//! `res_aptpl_metadata` (which restores registrations written by
//! `targetctl save`) joins with the PR engine.

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::configfs::{configfs_node_type, Page};
use crate::device::DeviceState;

/// A device's persistent reservation state.
pub(crate) struct PrState {
    /// PRgeneration: counts REGISTER and REGISTER AND MOVE, and the
    /// registrations a PREEMPT or CLEAR removes (SPC-4 6.16.2).
    generation: u32,
    /// Whether registrations persist through power loss (APTPL).
    aptpl_active: bool,
}

impl PrState {
    pub(crate) fn new() -> Self {
        Self {
            generation: 0,
            aptpl_active: false,
        }
    }
}

/// The text LIO shows where a reservation holder would be described.
const NO_HOLDER: &str = "No SPC-3 Reservation holder\n";

/// `core/<hba>/<device>/pr/`.
pub(crate) struct DevicePr {
    dev: Arc<DeviceState>,
}

configfs_node_type! {
    DevicePr {
        children: false,
        attrs: [
            res_aptpl_active: ro(DevicePr::show_aptpl_active),
            res_holder: ro(DevicePr::show_holder),
            res_pr_all_tgt_pts: ro(DevicePr::show_no_holder),
            res_pr_generation: ro(DevicePr::show_generation),
            res_pr_holder_tg_port: ro(DevicePr::show_no_holder),
            res_pr_registered_i_pts: ro(DevicePr::show_registered),
            res_pr_type: ro(DevicePr::show_no_holder),
            res_type: ro(DevicePr::show_type),
        ],
    }
}

impl DevicePr {
    pub(crate) fn new(dev: Arc<DeviceState>) -> Self {
        Self { dev }
    }

    fn emulated(&self) -> bool {
        self.dev.config.lock().attrib.emulate_pr
    }

    fn show_holder(&self, page: &mut Page<'_>) -> Result {
        if !self.emulated() {
            return page.emit(fmt!("SPC_RESERVATIONS_DISABLED\n"));
        }
        self.show_no_holder(page)
    }

    /// The holder's port, type and scope: no reservation is held.
    fn show_no_holder(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}", NO_HOLDER))
    }

    fn show_generation(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("0x{:08x}\n", self.dev.pr.lock().generation))
    }

    /// The registered initiator ports: none.
    fn show_registered(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("SPC-3 PR Registrations:\nNone\n"))
    }

    fn show_type(&self, page: &mut Page<'_>) -> Result {
        if !self.emulated() {
            return page.emit(fmt!("SPC_RESERVATIONS_DISABLED\n"));
        }
        page.emit(fmt!("SPC3_PERSISTENT_RESERVATIONS\n"))
    }

    fn show_aptpl_active(&self, page: &mut Page<'_>) -> Result {
        if !self.emulated() {
            return Ok(());
        }
        let active = self.dev.pr.lock().aptpl_active;
        page.emit(fmt!(
            "APTPL Bit Status: {}\n",
            if active { "Activated" } else { "Disabled" }
        ))
    }
}
