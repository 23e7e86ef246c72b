// SPDX-License-Identifier: GPL-2.0

//! tcm_rs_loop: the loopback fabric, `target/loopback/` (LIO's tcm_loop).
//!
//! A WWN names an emulated target port whose prefix picks the SCSI
//! protocol it emulates: `naa.` (SAS), `fc.` (FCP) or `iqn.` (iSCSI). Each
//! `tpgt_<N>` (N below 32) has one I_T nexus, made by writing an initiator
//! port name of the same protocol to `nexus` and ended by writing `NULL`.
//! The SCSI host that makes the LUNs real disks comes with the data path.

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

// The SDK is a library: each fabric uses the part it needs.
#[allow(dead_code)]
#[path = "../../sdk/fabric.rs"]
mod sdk;

// Shared parsing code: a library of which this module uses a part.
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/text.rs"]
mod text;

use sdk::{fabric_attrs, CoreTpg, Fabric, FabricAttrs, Page, Registration, SessionId};

module! {
    type: LoopModule,
    name: "tcm_rs_loop",
    authors: ["The tcm-rs developers"],
    description: "tcm-rs loopback fabric",
    license: "GPL v2",
    alias: ["tcm_rs_fabric_loopback"],
}

struct LoopModule {
    _registration: Registration<Loopback>,
}

impl kernel::Module for LoopModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _registration: Registration::new()?,
        })
    }
}

/// The longest port name, NUL included (LIO's TL_WWN_ADDR_LEN).
const WWN_ADDR_LEN: usize = 256;
/// TPGs per WWN: `tpgt_0` to `tpgt_31` (LIO's TL_TPGS_PER_HBA).
const TPGS_PER_WWN: u16 = 32;

/// The SCSI protocol a loopback port emulates, from its name's prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Sas,
    Fcp,
    Iscsi,
}

impl Protocol {
    /// The protocol of a port name, and the name without a `fc.` prefix
    /// (FC port names are bare WWPNs).
    fn of(name: &[u8]) -> Option<(Self, &[u8])> {
        if name.starts_with(b"naa.") {
            Some((Self::Sas, name))
        } else if let Some(wwpn) = name.strip_prefix(b"fc.") {
            Some((Self::Fcp, wwpn))
        } else if name.starts_with(b"iqn.") {
            Some((Self::Iscsi, name))
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sas => "SAS",
            Self::Fcp => "FCP",
            Self::Iscsi => "iSCSI",
        }
    }
}

struct Loopback;

/// An emulated target port.
struct LoopWwn {
    protocol: Protocol,
}

/// A TPG and its nexus.
struct LoopTpg {
    protocol: Protocol,
    state: Arc<Mutex<TpgState>>,
}

struct TpgState {
    core: CoreTpg,
    nexus: Option<SessionId>,
    online: bool,
    /// T10-PI the fabric claims to carry: 0, 1 or 3.
    fabric_prot_type: u8,
}

fabric_attrs! {
    FABRIC_ATTRS global: [
        version: ro(show_version),
    ]
}

fabric_attrs! {
    TPG_ATTRS for LoopTpg: [
        nexus: rw(LoopTpg::show_nexus, LoopTpg::store_nexus),
        transport_status: rw(LoopTpg::show_transport_status, LoopTpg::store_transport_status),
    ]
}

fabric_attrs! {
    TPG_ATTRIB_ATTRS for LoopTpg: [
        fabric_prot_type: rw(LoopTpg::show_fabric_prot_type, LoopTpg::store_fabric_prot_type),
    ]
}

fn show_version(page: &mut Page<'_>) -> Result {
    page.emit(fmt!("TCM Loopback Fabric module v2.1-rc2 (tcm-rs)\n"))
}

impl Fabric for Loopback {
    const NAME: &'static CStr = c"loopback";
    const ATTRS: FabricAttrs = FabricAttrs {
        fabric: FABRIC_ATTRS.list(),
        tpg: TPG_ATTRS.list(),
        tpg_attrib: TPG_ATTRIB_ATTRS.list(),
        ..FabricAttrs::NONE
    };
    type Wwn = LoopWwn;
    type Tpg = LoopTpg;

    fn make_wwn(name: &CStr) -> Result<LoopWwn> {
        let Some((protocol, _)) = Protocol::of(name.to_bytes()) else {
            pr_err!("loopback: {:?} needs a naa., fc. or iqn. prefix\n", name);
            return Err(EINVAL);
        };
        if name.to_bytes().len() >= WWN_ADDR_LEN {
            pr_err!(
                "loopback: a port name is shorter than {} bytes\n",
                WWN_ADDR_LEN
            );
            return Err(EINVAL);
        }
        Ok(LoopWwn { protocol })
    }

    fn make_tpg(wwn: &LoopWwn, tag: u16, core: CoreTpg) -> Result<LoopTpg> {
        if tag >= TPGS_PER_WWN {
            pr_err!(
                "loopback: tpgt_{} is beyond tpgt_{}\n",
                tag,
                TPGS_PER_WWN - 1
            );
            return Err(EINVAL);
        }
        Ok(LoopTpg {
            protocol: wwn.protocol,
            state: Arc::pin_init(
                new_mutex!(TpgState {
                    core,
                    nexus: None,
                    online: true,
                    fabric_prot_type: 0,
                }),
                GFP_KERNEL,
            )?,
        })
    }
}

impl LoopTpg {
    fn show_nexus(&self, page: &mut Page<'_>) -> Result {
        let state = self.state.lock();
        let initiator = state
            .nexus
            .and_then(|id| state.core.initiator(id))
            .ok_or(ENODEV)?;
        page.emit(fmt!("{}\n", initiator.to_str().map_err(|_| EINVAL)?))
    }

    fn store_nexus(&self, input: &[u8]) -> Result {
        let value = text::strip_newline(input);
        let mut state = self.state.lock();
        if value == b"NULL" {
            let id = state.nexus.take().ok_or(ENODEV)?;
            state.core.remove_session(id);
            return Ok(());
        }
        if value.len() >= WWN_ADDR_LEN {
            pr_err!(
                "nexus: a port name is shorter than {} bytes\n",
                WWN_ADDR_LEN
            );
            return Err(EINVAL);
        }
        let Some((protocol, port)) = Protocol::of(value) else {
            pr_err!("nexus: the initiator port needs a naa., fc. or iqn. prefix\n");
            return Err(EINVAL);
        };
        if protocol != self.protocol {
            pr_err!(
                "nexus: a {} initiator port for a {} target port\n",
                protocol.name(),
                self.protocol.name()
            );
            return Err(EINVAL);
        }
        if state.nexus.is_some() {
            pr_err!("nexus: the TPG has a nexus; write NULL to end it first\n");
            return Err(EEXIST);
        }
        if port.contains(&0) {
            pr_err!("nexus: a NUL byte in the port name\n");
            return Err(EINVAL);
        }
        let port = CString::try_from_fmt(fmt!("{}", kernel::str::BStr::from_bytes(port)))?;
        let id = state.core.add_session(&port)?;
        state.nexus = Some(id);
        Ok(())
    }

    fn show_transport_status(&self, page: &mut Page<'_>) -> Result {
        let online = self.state.lock().online;
        page.emit(fmt!("{}\n", if online { "online" } else { "offline" }))
    }

    fn store_transport_status(&self, input: &[u8]) -> Result {
        let online = match text::strip_newline(input) {
            b"online" => true,
            b"offline" => false,
            _ => {
                pr_err!("transport_status: online or offline\n");
                return Err(EINVAL);
            }
        };
        self.state.lock().online = online;
        Ok(())
    }

    fn show_fabric_prot_type(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("{}\n", self.state.lock().fabric_prot_type))
    }

    fn store_fabric_prot_type(&self, input: &[u8]) -> Result {
        match text::parse_u64(input) {
            Ok(v @ (0 | 1 | 3)) => {
                self.state.lock().fabric_prot_type = v as u8;
                Ok(())
            }
            _ => {
                pr_err!("fabric_prot_type: 0, 1 or 3\n");
                Err(EINVAL)
            }
        }
    }
}
