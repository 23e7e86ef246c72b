// SPDX-License-Identifier: GPL-2.0

//! tcm_rs_iscsi: the iSCSI fabric, `target/iscsi/` (LIO's iscsi_target_mod).
//!
//! What is here: LIO's configfs tree of an iSCSI target, name for name:
//!
//! ```text
//! target/iscsi/  lio_version  cpus_allowed_list  discovery_auth/
//!   <target name>/tpgt_<N>/  enable  dynamic_sessions
//!     attrib/  (authentication, login_timeout, generate_node_acls, ...)
//!     auth/    (the CHAP credentials of demo mode)
//!     param/   (the login keys the TPG offers: AuthMethod ... OFMarkInt)
//!     np/<ip>:<port>/  iser  cxgbit      a TCP listener
//!     acls/<initiator>/  info  cmdsn_depth  tag  attrib/  auth/  param/
//! ```
//!
//! with LIO's values, checks and error codes. Network portals really listen
//! (portal.rs), shared between TPGs as LIO shares them.
//!
//! Connections (conn.rs) log in and hold discovery sessions (SendTargets,
//! NOP-Out, Logout) and normal sessions (session.rs: SCSI commands with
//! their data, NOP-Out, task management, Logout), each normal session an
//! I_T nexus of the core registered through its TPG's `TpgSessions`. Not
//! yet: `dynamic_sessions`, an ACL's `info` and `param/` do not show the
//! sessions; CHAP; digests.

use core::ptr::NonNull;

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

// The SDK is a library: each fabric uses the part it needs.
#[allow(dead_code)]
#[path = "../../sdk/fabric.rs"]
mod sdk;

// Shared parsing code: libraries of which this module uses a part.
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/iscsi_param.rs"]
mod iscsi_param;
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/iscsi_pdu.rs"]
mod iscsi_pdu;
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/iscsi_session.rs"]
mod iscsi_session;
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/iscsi_portal.rs"]
mod portal_name;
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/text.rs"]
mod text;

mod auth;
mod conn;
mod portal;
mod session;

use auth::{auth_handlers, Auth};
use iscsi_param::{Value, TPG_PARAMS};
use portal::{Portal, PortalEntry};
use sdk::{
    fabric_attrs, Access, CoreTpg, Fabric, FabricAttrs, NodeAcls, Page, Portals, Registration,
};
use session::TpgSessions;

module! {
    type: IscsiModule,
    name: "tcm_rs_iscsi",
    authors: ["The tcm-rs developers"],
    description: "tcm-rs iSCSI fabric",
    license: "GPL v2",
    alias: ["tcm_rs_fabric_iscsi"],
}

kernel::sync::global_lock! {
    // SAFETY: Initialised in the module's init, before registration makes
    // any attribute reachable.
    unsafe(uninit) static DISCOVERY: Mutex<DiscoveryAuth> = DiscoveryAuth::new();
}

extern "C" {
    fn tcm_rs_iscsi_cpus_init();
    fn tcm_rs_iscsi_cpus_show(page: *mut kernel::ffi::c_char) -> isize;
    fn tcm_rs_iscsi_cpus_store(buf: *const kernel::ffi::c_char, len: usize) -> isize;
}

kernel::sync::global_lock! {
    // SAFETY: Initialised in the module's init, before registration makes
    // a target possible.
    unsafe(uninit) static TARGETS: Mutex<KVec<Arc<WwnShared>>> = KVec::new();
}

struct IscsiModule {
    _registration: Registration<Iscsi>,
}

impl Drop for IscsiModule {
    /// No target, portal or listener is left (configfs pins the module
    /// while any exists); connections may be: they end here.
    fn drop(&mut self) {
        conn::stop_all();
    }
}

impl kernel::Module for IscsiModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called once, before anything can use the lock.
        unsafe { DISCOVERY.init() };
        // SAFETY: As above.
        unsafe { TARGETS.init() };
        portal::init();
        conn::init();
        // SAFETY: Called once, before the attribute that uses it exists.
        unsafe { tcm_rs_iscsi_cpus_init() };
        Ok(Self {
            _registration: Registration::with_portals_and_acls()?,
        })
    }
}

/// The discovery session's authentication settings.
struct DiscoveryAuth {
    auth: Auth,
    enforce: bool,
}

impl DiscoveryAuth {
    const fn new() -> Self {
        Self {
            auth: Auth::new(),
            enforce: false,
        }
    }
}

struct Iscsi;

// ---------------------------------------------------------------------------
// target/iscsi/ and discovery_auth/

fabric_attrs! {
    FABRIC_ATTRS global: [
        lio_version: ro(show_version),
        cpus_allowed_list: rw(show_cpus, store_cpus),
    ]
}

fabric_attrs! {
    DISCOVERY_ATTRS global: [
        userid: rw(show_disc_userid, store_disc_userid),
        password: rw(show_disc_password, store_disc_password),
        authenticate_target: ro(show_disc_authenticate_target),
        userid_mutual: rw(show_disc_userid_mutual, store_disc_userid_mutual),
        password_mutual: rw(show_disc_password_mutual, store_disc_password_mutual),
        enforce_discovery_auth: rw(show_enforce, store_enforce),
    ]
}

fn show_version(page: &mut Page<'_>) -> Result {
    page.emit(fmt!("Datera Inc. iSCSI Target v4.1.0 (tcm-rs)\n"))
}

/// The CPUs, as the C half prints a cpumask (`%*pbl`).
fn show_cpus(page: &mut Page<'_>) -> Result {
    let mut buf = [0u8; 256];
    // SAFETY: The C half writes at most 256 bytes ("%*pbl" of the CPUs
    // there are, cut to the buffer) and a NUL.
    let n = unsafe { tcm_rs_iscsi_cpus_show(buf.as_mut_ptr().cast()) };
    let n = usize::try_from(n).map_err(|_| EINVAL)?.min(buf.len());
    let text = core::str::from_utf8(buf.get(..n).unwrap_or(&[])).map_err(|_| EINVAL)?;
    page.emit(fmt!("{}", text))
}

fn store_cpus(input: &[u8]) -> Result {
    // SAFETY: `input` is readable for its length.
    let ret = unsafe { tcm_rs_iscsi_cpus_store(input.as_ptr().cast(), input.len()) };
    if ret < 0 {
        pr_err!("cpus_allowed_list: a list of CPUs, such as 0-3,8\n");
        return Err(Error::from_errno(ret as i32));
    }
    Ok(())
}

fn disc_show(which: auth::Which, page: &mut Page<'_>) -> Result {
    DISCOVERY.lock().auth.show(which, page)
}

fn disc_store(which: auth::Which, input: &[u8]) -> Result {
    let c = auth::parse(input, "discovery_auth", which)?;
    DISCOVERY.lock().auth.store(which, c);
    Ok(())
}

fn show_disc_userid(page: &mut Page<'_>) -> Result {
    disc_show(auth::Which::Userid, page)
}

fn store_disc_userid(input: &[u8]) -> Result {
    disc_store(auth::Which::Userid, input)
}

fn show_disc_password(page: &mut Page<'_>) -> Result {
    disc_show(auth::Which::Password, page)
}

fn store_disc_password(input: &[u8]) -> Result {
    disc_store(auth::Which::Password, input)
}

fn show_disc_userid_mutual(page: &mut Page<'_>) -> Result {
    disc_show(auth::Which::UseridMutual, page)
}

fn store_disc_userid_mutual(input: &[u8]) -> Result {
    disc_store(auth::Which::UseridMutual, input)
}

fn show_disc_password_mutual(page: &mut Page<'_>) -> Result {
    disc_show(auth::Which::PasswordMutual, page)
}

fn store_disc_password_mutual(input: &[u8]) -> Result {
    disc_store(auth::Which::PasswordMutual, input)
}

fn show_disc_authenticate_target(page: &mut Page<'_>) -> Result {
    DISCOVERY.lock().auth.show_authenticate_target(page)
}

fn show_enforce(page: &mut Page<'_>) -> Result {
    let on = DISCOVERY.lock().enforce;
    page.emit(fmt!("{}\n", u8::from(on)))
}

/// Whether discovery sessions must authenticate.
pub(crate) fn discovery_auth_enforced() -> bool {
    DISCOVERY.lock().enforce
}

fn store_enforce(input: &[u8]) -> Result {
    let enforce = match parse_u32(input)? {
        0 => false,
        1 => true,
        _ => {
            pr_err!("discovery_auth/enforce_discovery_auth: 0 or 1\n");
            return Err(EINVAL);
        }
    };
    DISCOVERY.lock().enforce = enforce;
    Ok(())
}

/// `kstrtou32(s, 0, ..)`: EINVAL for text that is not a number, ERANGE for
/// one that does not fit.
fn parse_u32(input: &[u8]) -> Result<u32> {
    text::parse_u32(input).map_err(|e| match e {
        text::ParseError::OutOfRange => ERANGE,
        _ => EINVAL,
    })
}

/// `kstrtos32(s, 0, ..)`.
fn parse_i32(input: &[u8]) -> Result<i32> {
    text::parse_i32(input).map_err(|e| match e {
        text::ParseError::OutOfRange => ERANGE,
        _ => EINVAL,
    })
}

// ---------------------------------------------------------------------------
// Targets and TPGs

/// The longest target name, NUL excluded (LIO's ISCSI_IQN_LEN less one).
const TARGET_NAME_MAX: usize = 223;

/// iSCSI's PROTOCOL IDENTIFIER (SPC-4 7.6.1), whatever the target's name
/// (`iqn.`, `eui.` or `naa.`).
const PROTOCOL_ID: u8 = 0x5;

/// A target (`iscsi/<name>/`), shared with its TPGs, portals and the
/// connections that look it up.
#[pin_data]
pub(crate) struct WwnShared {
    name: CString,
    /// The portals of all its TPGs (an address is one TPG's only).
    #[pin]
    portals: Mutex<KVec<PortalEntry>>,
    /// Its TPGs. Taken after `portals` never: each is locked alone.
    #[pin]
    tpgs: Mutex<KVec<TpgEntry>>,
}

/// A TPG as connections find it.
struct TpgEntry {
    tag: u16,
    config: Arc<Mutex<TpgConfig>>,
    acls: Arc<Mutex<KVec<AclEntry>>>,
    sessions: Arc<TpgSessions>,
}

/// A node ACL's initiator, as discovery and the login look for it.
struct AclEntry {
    id: u64,
    initiator: CString,
    config: Arc<Mutex<AclConfig>>,
}

static NEXT_ACL_ID: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

struct IscsiWwn {
    shared: Arc<WwnShared>,
}

impl Drop for IscsiWwn {
    fn drop(&mut self) {
        TARGETS.lock().retain(|t| !Arc::ptr_eq(t, &self.shared));
    }
}

/// Appends the SendTargets answer (RFC 7143 12.3, as LIO builds it) for
/// `which` (`All` or a target's name) to `out`: each target with at least
/// one portal in a TPG the initiator may discover, its `TargetName`, then
/// a `TargetAddress=<address>:<port>,<tag>` per portal; a wildcard portal
/// is given as the address and port the initiator connected to.
pub(crate) fn send_targets(
    out: &mut KVec<u8>,
    which: &[u8],
    initiator: &[u8],
    local: &portal::SockAddr,
) -> Result {
    let targets = {
        let all = TARGETS.lock();
        let mut copy = KVec::with_capacity(all.len(), GFP_KERNEL)?;
        for t in all.iter() {
            copy.push(t.clone(), GFP_KERNEL)?;
        }
        copy
    };
    for t in targets.iter() {
        if which != b"All" && which != t.name.to_bytes() {
            continue;
        }
        let mut named = false;
        let tpgs = {
            let all = t.tpgs.lock();
            let mut copy = KVec::with_capacity(all.len(), GFP_KERNEL)?;
            for e in all.iter() {
                copy.push((e.tag, e.config.clone(), e.acls.clone()), GFP_KERNEL)?;
            }
            copy
        };
        for (tag, config, acls) in tpgs.iter() {
            let (enabled, a) = {
                let c = config.lock();
                (c.enabled, c.attrib)
            };
            if a.generate_node_acls == 0
                && a.demo_mode_discovery == 0
                && !acls
                    .lock()
                    .iter()
                    .any(|e| e.initiator.to_bytes() == initiator)
            {
                continue;
            }
            if !enabled && a.tpg_enabled_sendtargets != 0 {
                continue;
            }
            let addrs = {
                let portals = t.portals.lock();
                let mut copy = KVec::new();
                for p in portals.iter().filter(|p| p.tag() == *tag) {
                    copy.push(*p.addr(), GFP_KERNEL)?;
                }
                copy
            };
            for addr in addrs.iter() {
                if !named {
                    conn::push_pair(out, b"TargetName", t.name.to_bytes())?;
                    named = true;
                }
                let shown = if addr.is_any() { local } else { addr };
                let mut value = KVec::new();
                value.extend_from_slice(shown.text().as_bytes(), GFP_KERNEL)?;
                value.push(b',', GFP_KERNEL)?;
                let mut digits = [0u8; 10];
                value.extend_from_slice(
                    iscsi_param::decimal(u32::from(*tag), &mut digits),
                    GFP_KERNEL,
                )?;
                conn::push_pair(out, b"TargetAddress", &value)?;
            }
        }
    }
    Ok(())
}

/// The TPG a normal session logs in to, as the login found it.
pub(crate) struct LoginTpg {
    /// Its tag (`TargetPortalGroupTag`).
    pub(crate) tag: u16,
    /// Its sessions.
    pub(crate) sessions: Arc<TpgSessions>,
    /// The session's command window: the ACL's `cmdsn_depth`, or in demo
    /// mode the TPG's `default_cmdsn_depth`.
    pub(crate) depth: u32,
    /// The TPG's `param/TargetAlias`.
    pub(crate) alias: iscsi_param::Value,
    /// Whether the initiator must authenticate: the ACL's
    /// `attrib/authentication`, or if that is -1 (or in demo mode) whether
    /// the TPG's `AuthMethod` leaves out `None`.
    pub(crate) auth_required: bool,
}

/// Why a normal session's login finds no TPG.
pub(crate) enum LoginRefusal {
    /// No target of that name (02/03).
    NoTarget,
    /// No enabled TPG of it behind the portal the initiator connected to
    /// (03/01, as LIO).
    NoTpg,
    /// The initiator has no ACL and the TPG no demo mode (02/02).
    Forbidden,
}

/// The TPG of target `target` that serves a normal session of `initiator`
/// reached at `local`: an enabled TPG with a portal of that address (or a
/// wildcard portal of that port), and an ACL for the initiator unless the
/// TPG has `generate_node_acls`. LIO's `iscsit_access_np()` and
/// `iscsit_tpg_check_initiator_node_acl()`.
pub(crate) fn login_tpg(
    target: &[u8],
    initiator: &[u8],
    local: &portal::SockAddr,
) -> core::result::Result<LoginTpg, LoginRefusal> {
    let wwn = TARGETS
        .lock()
        .iter()
        .find(|t| t.name.to_bytes() == target)
        .cloned()
        .ok_or(LoginRefusal::NoTarget)?;
    // The tags of the TPGs with a portal the connection came through.
    let mut tags = [0u16; 16];
    let mut n = 0;
    for p in wwn.portals.lock().iter() {
        let a = p.addr();
        if (a.same(local) || (a.is_any() && a.port() == local.port())) && n < tags.len() {
            tags[n] = p.tag();
            n += 1;
        }
    }
    let tags = tags.get(..n).unwrap_or(&[]);
    let found = wwn
        .tpgs
        .lock()
        .iter()
        .filter(|e| tags.contains(&e.tag))
        .map(|e| (e.tag, e.config.clone(), e.acls.clone(), e.sessions.clone()))
        .next();
    let (tag, config, acls, sessions) = found.ok_or(LoginRefusal::NoTpg)?;
    let (enabled, attrib, alias, tpg_auth) = {
        let c = config.lock();
        let auth_methods = iscsi_param::tpg_get(&c.params, 0);
        let none = auth_methods.split(|&b| b == b',').any(|m| m == b"None");
        let alias = iscsi_param::Value::new(iscsi_param::tpg_get(&c.params, 4));
        (c.enabled, c.attrib, alias, !none)
    };
    if !enabled {
        return Err(LoginRefusal::NoTpg);
    }
    let acl = acls
        .lock()
        .iter()
        .find(|e| e.initiator.to_bytes() == initiator)
        .map(|e| e.config.clone());
    let (depth, auth_required) = match acl {
        Some(acl) => {
            let c = acl.lock();
            let required = match c.attrib.authentication {
                0 => false,
                1 => true,
                _ => tpg_auth,
            };
            (c.cmdsn_depth, required)
        }
        None if attrib.generate_node_acls != 0 => (attrib.default_cmdsn_depth, tpg_auth),
        None => return Err(LoginRefusal::Forbidden),
    };
    Ok(LoginTpg {
        tag,
        sessions,
        depth: depth.max(1),
        alias,
        auth_required,
    })
}

/// `tpgt_<N>/attrib/`, LIO's `struct iscsi_tpg_attrib`.
#[derive(Clone, Copy)]
struct TpgAttrib {
    authentication: u32,
    login_timeout: u32,
    generate_node_acls: u32,
    default_cmdsn_depth: u32,
    cache_dynamic_acls: u32,
    demo_mode_write_protect: u32,
    prod_mode_write_protect: u32,
    demo_mode_discovery: u32,
    default_erl: u32,
    t10_pi: u32,
    fabric_prot_type: u32,
    tpg_enabled_sendtargets: u32,
    login_keys_workaround: u32,
}

impl TpgAttrib {
    /// LIO's defaults (its `TA_*` values).
    const DEFAULT: Self = Self {
        authentication: 1,
        login_timeout: 15,
        generate_node_acls: 0,
        default_cmdsn_depth: 64,
        cache_dynamic_acls: 0,
        demo_mode_write_protect: 1,
        prod_mode_write_protect: 0,
        demo_mode_discovery: 1,
        default_erl: 0,
        t10_pi: 0,
        fabric_prot_type: 0,
        tpg_enabled_sendtargets: 1,
        login_keys_workaround: 1,
    };
}

/// A TPG's settings.
struct TpgConfig {
    enabled: bool,
    attrib: TpgAttrib,
    /// `param/`, in `TPG_PARAMS` order.
    params: KVec<Value>,
    /// `auth/`: the credentials of initiators in demo mode.
    auth: Auth,
}

/// `iscsi/<name>/tpgt_<N>/`.
struct IscsiTpg {
    tag: u16,
    wwn: Arc<WwnShared>,
    config: Arc<Mutex<TpgConfig>>,
    /// The initiators of its node ACLs.
    acls: Arc<Mutex<KVec<AclEntry>>>,
    /// Its sessions (the core's side of the TPG inside).
    sessions: Arc<TpgSessions>,
}

impl Drop for IscsiTpg {
    fn drop(&mut self) {
        self.wwn
            .tpgs
            .lock()
            .retain(|e| !Arc::ptr_eq(&e.config, &self.config));
        // No login finds the TPG any more: end its sessions.
        self.sessions.close();
    }
}

impl Fabric for Iscsi {
    const NAME: &'static CStr = c"iscsi";
    const DISPLAY_NAME: &'static CStr = c"iSCSI";
    const ATTRS: FabricAttrs = FabricAttrs {
        fabric: FABRIC_ATTRS.list(),
        discovery_auth: DISCOVERY_ATTRS.list(),
        tpg: TPG_ATTRS.list(),
        tpg_attrib: TPG_ATTRIB_ATTRS.list(),
        tpg_auth: TPG_AUTH_ATTRS.list(),
        tpg_param: TPG_PARAM_ATTRS.list(),
        np: NP_ATTRS.list(),
        acl: ACL_ATTRS.list(),
        acl_attrib: ACL_ATTRIB_ATTRS.list(),
        acl_auth: ACL_AUTH_ATTRS.list(),
        acl_param: ACL_PARAM_ATTRS.list(),
    };
    type Wwn = IscsiWwn;
    type Tpg = IscsiTpg;

    /// Every command may pend: it is answered from the core's workqueue
    /// (session.rs).
    const COMPLETES_PENDING: bool = true;

    unsafe fn command_done(cmd: NonNull<sdk::Command>) {
        // SAFETY: By the safety requirement: a command `Session::run`
        // handed to the core, which left it pending and is done with it.
        unsafe { session::command_done(cmd) };
    }

    /// Any name of at most 223 bytes, as LIO (which leaves the checking of
    /// iSCSI names to the tools).
    fn make_wwn(name: &CStr) -> Result<IscsiWwn> {
        if name.to_bytes().len() > TARGET_NAME_MAX {
            pr_err!(
                "iscsi: a target name has at most {} bytes\n",
                TARGET_NAME_MAX
            );
            return Err(EINVAL);
        }
        let name = name.to_cstring()?;
        let shared = Arc::pin_init(
            pin_init!(WwnShared {
                name,
                portals <- new_mutex!(KVec::new()),
                tpgs <- new_mutex!(KVec::new()),
            }),
            GFP_KERNEL,
        )?;
        TARGETS.lock().push(shared.clone(), GFP_KERNEL)?;
        Ok(IscsiWwn { shared })
    }

    fn make_tpg(wwn: &IscsiWwn, tag: u16, core: CoreTpg) -> Result<IscsiTpg> {
        let mut params = KVec::with_capacity(TPG_PARAMS.len(), GFP_KERNEL)?;
        for i in 0..TPG_PARAMS.len() {
            params.push(Value::tpg_default(i), GFP_KERNEL)?;
        }
        let config = Arc::pin_init(
            new_mutex!(TpgConfig {
                enabled: false,
                attrib: TpgAttrib::DEFAULT,
                params,
                auth: Auth::new(),
            }),
            GFP_KERNEL,
        )?;
        let acls = Arc::pin_init(new_mutex!(KVec::new()), GFP_KERNEL)?;
        let sessions = TpgSessions::new(core)?;
        wwn.shared.tpgs.lock().push(
            TpgEntry {
                tag,
                config: config.clone(),
                acls: acls.clone(),
                sessions: sessions.clone(),
            },
            GFP_KERNEL,
        )?;
        Ok(IscsiTpg {
            tag,
            wwn: wwn.shared.clone(),
            config,
            acls,
            sessions,
        })
    }

    fn protocol(_tpg: &IscsiTpg) -> u8 {
        PROTOCOL_ID
    }

    /// LIO's iSCSI demo mode: `attrib/generate_node_acls`, with
    /// `demo_mode_write_protect` and `prod_mode_write_protect`.
    fn access(tpg: &IscsiTpg) -> Access {
        let a = tpg.config.lock().attrib;
        Access {
            demo_mode: a.generate_node_acls != 0,
            demo_write_protect: a.demo_mode_write_protect != 0,
            prod_write_protect: a.prod_mode_write_protect != 0,
        }
    }
}

// tpgt_<N>/

fabric_attrs! {
    TPG_ATTRS for IscsiTpg: [
        enable: rw(IscsiTpg::show_enable, IscsiTpg::store_enable),
        dynamic_sessions: ro(IscsiTpg::show_dynamic_sessions),
    ]
}

impl IscsiTpg {
    fn show_enable(&self, page: &mut Page<'_>) -> Result {
        let on = self.config.lock().enabled;
        page.emit(fmt!("{}\n", u8::from(on)))
    }

    /// `kstrtobool`; the same state again changes nothing. Enabling a TPG
    /// that enforces authentication takes `None` out of `AuthMethod`, as
    /// LIO.
    fn store_enable(&self, input: &[u8]) -> Result {
        let on = text::parse_bool(input).map_err(|_| EINVAL)?;
        let mut c = self.config.lock();
        if c.enabled == on {
            return Ok(());
        }
        if on && c.attrib.authentication != 0 {
            iscsi_param::tpg_enable_with_authentication(&mut c.params);
        }
        c.enabled = on;
        Ok(())
    }

    /// The initiators logged in through demo mode: none while there is no
    /// login.
    fn show_dynamic_sessions(&self, _page: &mut Page<'_>) -> Result {
        Ok(())
    }
}

// tpgt_<N>/attrib/

/// Declares a TPG attribute's show and store handlers: `$check` takes the
/// TPG's settings and the value (`kstrtou32` syntax) and stores it, or
/// refuses it with EINVAL.
macro_rules! tpg_attrib {
    ($show:ident, $store:ident, $field:ident, $check:expr) => {
        impl IscsiTpg {
            fn $show(&self, page: &mut Page<'_>) -> Result {
                let v = self.config.lock().attrib.$field;
                page.emit(fmt!("{}\n", v))
            }

            fn $store(&self, input: &[u8]) -> Result {
                let v = parse_u32(input)?;
                let mut c = self.config.lock();
                let check: fn(&mut TpgConfig, u32) -> Result = $check;
                check(&mut *c, v).inspect_err(|_| {
                    pr_err!(
                        "attrib/{}: {} is not a valid value\n",
                        stringify!($field),
                        v
                    )
                })
            }
        }
    };
}

/// 0 or 1 into `field`.
fn flag(field: &mut u32, v: u32) -> Result {
    if v > 1 {
        return Err(EINVAL);
    }
    *field = v;
    Ok(())
}

/// `min..=max` into `field`.
fn range(field: &mut u32, v: u32, min: u32, max: u32) -> Result {
    if !(min..=max).contains(&v) {
        return Err(EINVAL);
    }
    *field = v;
    Ok(())
}

tpg_attrib!(
    show_authentication,
    store_authentication,
    authentication,
    |c, v| {
        flag(&mut c.attrib.authentication, v)?;
        iscsi_param::tpg_set_authentication(&mut c.params, v != 0);
        Ok(())
    }
);
tpg_attrib!(
    show_login_timeout,
    store_login_timeout,
    login_timeout,
    |c, v| { range(&mut c.attrib.login_timeout, v, 5, 30) }
);
tpg_attrib!(
    show_generate_node_acls,
    store_generate_node_acls,
    generate_node_acls,
    |c, v| {
        flag(&mut c.attrib.generate_node_acls, v)?;
        // Demo mode caches its ACLs, as LIO.
        if v == 1 {
            c.attrib.cache_dynamic_acls = 1;
        }
        Ok(())
    }
);
tpg_attrib!(
    show_default_cmdsn_depth,
    store_default_cmdsn_depth,
    default_cmdsn_depth,
    |c, v| { range(&mut c.attrib.default_cmdsn_depth, v, 1, 512) }
);
tpg_attrib!(
    show_cache_dynamic_acls,
    store_cache_dynamic_acls,
    cache_dynamic_acls,
    |c, v| {
        if v > 1 {
            return Err(EINVAL);
        }
        // LIO keeps caching while demo mode is on, and says nothing.
        if c.attrib.generate_node_acls == 1 && v == 0 {
            return Ok(());
        }
        c.attrib.cache_dynamic_acls = v;
        Ok(())
    }
);
tpg_attrib!(
    show_demo_mode_write_protect,
    store_demo_mode_write_protect,
    demo_mode_write_protect,
    |c, v| { flag(&mut c.attrib.demo_mode_write_protect, v) }
);
tpg_attrib!(
    show_prod_mode_write_protect,
    store_prod_mode_write_protect,
    prod_mode_write_protect,
    |c, v| { flag(&mut c.attrib.prod_mode_write_protect, v) }
);
tpg_attrib!(
    show_demo_mode_discovery,
    store_demo_mode_discovery,
    demo_mode_discovery,
    |c, v| { flag(&mut c.attrib.demo_mode_discovery, v) }
);
tpg_attrib!(show_default_erl, store_default_erl, default_erl, |c, v| {
    range(&mut c.attrib.default_erl, v, 0, 2)
});
tpg_attrib!(show_t10_pi, store_t10_pi, t10_pi, |c, v| flag(
    &mut c.attrib.t10_pi,
    v
));
tpg_attrib!(
    show_fabric_prot_type,
    store_fabric_prot_type,
    fabric_prot_type,
    |c, v| {
        if !matches!(v, 0 | 1 | 3) {
            return Err(EINVAL);
        }
        c.attrib.fabric_prot_type = v;
        Ok(())
    }
);
tpg_attrib!(
    show_tpg_enabled_sendtargets,
    store_tpg_enabled_sendtargets,
    tpg_enabled_sendtargets,
    |c, v| { flag(&mut c.attrib.tpg_enabled_sendtargets, v) }
);
tpg_attrib!(
    show_login_keys_workaround,
    store_login_keys_workaround,
    login_keys_workaround,
    |c, v| { flag(&mut c.attrib.login_keys_workaround, v) }
);

fabric_attrs! {
    TPG_ATTRIB_ATTRS for IscsiTpg: [
        authentication: rw(IscsiTpg::show_authentication, IscsiTpg::store_authentication),
        login_timeout: rw(IscsiTpg::show_login_timeout, IscsiTpg::store_login_timeout),
        generate_node_acls: rw(IscsiTpg::show_generate_node_acls, IscsiTpg::store_generate_node_acls),
        default_cmdsn_depth: rw(IscsiTpg::show_default_cmdsn_depth, IscsiTpg::store_default_cmdsn_depth),
        cache_dynamic_acls: rw(IscsiTpg::show_cache_dynamic_acls, IscsiTpg::store_cache_dynamic_acls),
        demo_mode_write_protect: rw(IscsiTpg::show_demo_mode_write_protect, IscsiTpg::store_demo_mode_write_protect),
        prod_mode_write_protect: rw(IscsiTpg::show_prod_mode_write_protect, IscsiTpg::store_prod_mode_write_protect),
        demo_mode_discovery: rw(IscsiTpg::show_demo_mode_discovery, IscsiTpg::store_demo_mode_discovery),
        default_erl: rw(IscsiTpg::show_default_erl, IscsiTpg::store_default_erl),
        t10_pi: rw(IscsiTpg::show_t10_pi, IscsiTpg::store_t10_pi),
        fabric_prot_type: rw(IscsiTpg::show_fabric_prot_type, IscsiTpg::store_fabric_prot_type),
        tpg_enabled_sendtargets: rw(IscsiTpg::show_tpg_enabled_sendtargets, IscsiTpg::store_tpg_enabled_sendtargets),
        login_keys_workaround: rw(IscsiTpg::show_login_keys_workaround, IscsiTpg::store_login_keys_workaround),
    ]
}

// tpgt_<N>/auth/

auth_handlers!(IscsiTpg, "auth", |this| this.config.lock(), |c| c.auth);

fabric_attrs! {
    TPG_AUTH_ATTRS for IscsiTpg: [
        userid: rw(IscsiTpg::show_userid, IscsiTpg::store_userid),
        password: rw(IscsiTpg::show_password, IscsiTpg::store_password),
        authenticate_target: ro(IscsiTpg::show_authenticate_target),
        userid_mutual: rw(IscsiTpg::show_userid_mutual, IscsiTpg::store_userid_mutual),
        password_mutual: rw(IscsiTpg::show_password_mutual, IscsiTpg::store_password_mutual),
    ]
}

// tpgt_<N>/param/

impl IscsiTpg {
    fn show_param(&self, index: usize, page: &mut Page<'_>) -> Result {
        let c = self.config.lock();
        let value = iscsi_param::tpg_get(&c.params, index);
        let text = core::str::from_utf8(value).map_err(|_| EINVAL)?;
        page.emit(fmt!("{}\n", text))
    }

    /// LIO answers every refusal with EINVAL.
    fn store_param(&self, index: usize, input: &[u8]) -> Result {
        let mut c = self.config.lock();
        iscsi_param::tpg_store(&mut c.params, index, input).map_err(|_| {
            pr_err!(
                "param/{}: not a valid value\n",
                TPG_PARAMS.get(index).map_or("?", |d| d.name)
            );
            EINVAL
        })
    }
}

/// Declares the show and store handlers of parameter `$index` of
/// `TPG_PARAMS`.
macro_rules! tpg_param {
    ($show:ident, $store:ident, $index:expr) => {
        impl IscsiTpg {
            fn $show(&self, page: &mut Page<'_>) -> Result {
                self.show_param($index, page)
            }

            fn $store(&self, input: &[u8]) -> Result {
                self.store_param($index, input)
            }
        }
    };
}

tpg_param!(show_p0, store_p0, 0);
tpg_param!(show_p1, store_p1, 1);
tpg_param!(show_p2, store_p2, 2);
tpg_param!(show_p3, store_p3, 3);
tpg_param!(show_p4, store_p4, 4);
tpg_param!(show_p5, store_p5, 5);
tpg_param!(show_p6, store_p6, 6);
tpg_param!(show_p7, store_p7, 7);
tpg_param!(show_p8, store_p8, 8);
tpg_param!(show_p9, store_p9, 9);
tpg_param!(show_p10, store_p10, 10);
tpg_param!(show_p11, store_p11, 11);
tpg_param!(show_p12, store_p12, 12);
tpg_param!(show_p13, store_p13, 13);
tpg_param!(show_p14, store_p14, 14);
tpg_param!(show_p15, store_p15, 15);
tpg_param!(show_p16, store_p16, 16);
tpg_param!(show_p17, store_p17, 17);
tpg_param!(show_p18, store_p18, 18);
tpg_param!(show_p19, store_p19, 19);
tpg_param!(show_p20, store_p20, 20);

// The names in `TPG_PARAMS` order; a KUnit test checks that they agree.
fabric_attrs! {
    TPG_PARAM_ATTRS for IscsiTpg: [
        AuthMethod: rw(IscsiTpg::show_p0, IscsiTpg::store_p0),
        HeaderDigest: rw(IscsiTpg::show_p1, IscsiTpg::store_p1),
        DataDigest: rw(IscsiTpg::show_p2, IscsiTpg::store_p2),
        MaxConnections: rw(IscsiTpg::show_p3, IscsiTpg::store_p3),
        TargetAlias: rw(IscsiTpg::show_p4, IscsiTpg::store_p4),
        InitialR2T: rw(IscsiTpg::show_p5, IscsiTpg::store_p5),
        ImmediateData: rw(IscsiTpg::show_p6, IscsiTpg::store_p6),
        MaxRecvDataSegmentLength: rw(IscsiTpg::show_p7, IscsiTpg::store_p7),
        MaxXmitDataSegmentLength: rw(IscsiTpg::show_p8, IscsiTpg::store_p8),
        MaxBurstLength: rw(IscsiTpg::show_p9, IscsiTpg::store_p9),
        FirstBurstLength: rw(IscsiTpg::show_p10, IscsiTpg::store_p10),
        DefaultTime2Wait: rw(IscsiTpg::show_p11, IscsiTpg::store_p11),
        DefaultTime2Retain: rw(IscsiTpg::show_p12, IscsiTpg::store_p12),
        MaxOutstandingR2T: rw(IscsiTpg::show_p13, IscsiTpg::store_p13),
        DataPDUInOrder: rw(IscsiTpg::show_p14, IscsiTpg::store_p14),
        DataSequenceInOrder: rw(IscsiTpg::show_p15, IscsiTpg::store_p15),
        ErrorRecoveryLevel: rw(IscsiTpg::show_p16, IscsiTpg::store_p16),
        IFMarker: rw(IscsiTpg::show_p17, IscsiTpg::store_p17),
        OFMarker: rw(IscsiTpg::show_p18, IscsiTpg::store_p18),
        IFMarkInt: rw(IscsiTpg::show_p19, IscsiTpg::store_p19),
        OFMarkInt: rw(IscsiTpg::show_p20, IscsiTpg::store_p20),
    ]
}

// tpgt_<N>/np/<portal>/

impl Portals for Iscsi {
    type Np = Portal;

    fn make_np(tpg: &IscsiTpg, name: &CStr) -> Result<Portal> {
        Portal::new(&tpg.wwn, tpg.tag, name)
    }
}

fabric_attrs! {
    NP_ATTRS for Portal: [
        iser: rw(Portal::show_off, Portal::store_iser),
        cxgbit: rw(Portal::show_off, Portal::store_cxgbit),
    ]
}

impl Portal {
    /// Neither iSER nor cxgbit serves a portal of tcm-rs.
    fn show_off(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("0\n"))
    }

    fn store_transport(input: &[u8], what: &str) -> Result {
        match parse_u32(input)? {
            0 => Ok(()),
            1 => {
                // As LIO without the transport's module.
                pr_err!("np/{}: tcm-rs serves iSCSI over TCP only\n", what);
                Err(EINVAL)
            }
            _ => {
                pr_err!("np/{}: 0 or 1\n", what);
                Err(EINVAL)
            }
        }
    }

    fn store_iser(&self, input: &[u8]) -> Result {
        Self::store_transport(input, "iser")
    }

    fn store_cxgbit(&self, input: &[u8]) -> Result {
        Self::store_transport(input, "cxgbit")
    }
}

// ---------------------------------------------------------------------------
// acls/<initiator>/

/// `acls/<initiator>/attrib/`, LIO's `struct iscsi_node_attrib`.
#[derive(Clone, Copy)]
struct AclAttrib {
    dataout_timeout: u32,
    dataout_timeout_retries: u32,
    default_erl: u32,
    nopin_timeout: u32,
    nopin_response_timeout: u32,
    random_datain_pdu_offsets: u32,
    random_datain_seq_offsets: u32,
    random_r2t_offsets: u32,
    /// -1: the TPG's setting.
    authentication: i32,
}

impl AclAttrib {
    /// LIO's defaults (its `NA_*` values).
    const DEFAULT: Self = Self {
        dataout_timeout: 3,
        dataout_timeout_retries: 5,
        default_erl: 0,
        nopin_timeout: 15,
        nopin_response_timeout: 30,
        random_datain_pdu_offsets: 0,
        random_datain_seq_offsets: 0,
        random_r2t_offsets: 0,
        authentication: -1,
    };
}

/// The longest ACL tag, NUL excluded (LIO's MAX_ACL_TAG_SIZE less one).
const ACL_TAG_MAX: usize = 63;

/// An ACL's settings.
struct AclConfig {
    cmdsn_depth: u32,
    /// As written (LIO keeps the newline too); empty: none.
    tag: [u8; ACL_TAG_MAX],
    tag_len: usize,
    attrib: AclAttrib,
    auth: Auth,
}

/// The fabric's state of a node ACL.
struct IscsiAcl {
    initiator: CString,
    config: Arc<Mutex<AclConfig>>,
    /// Its entry in its TPG's list.
    id: u64,
    tpg_acls: Arc<Mutex<KVec<AclEntry>>>,
}

impl Drop for IscsiAcl {
    fn drop(&mut self) {
        self.tpg_acls.lock().retain(|e| e.id != self.id);
    }
}

impl NodeAcls for Iscsi {
    type Acl = IscsiAcl;

    /// A new ACL's queue depth and error recovery level are the TPG's
    /// `default_cmdsn_depth` and `default_erl`, as in LIO.
    fn make_acl(tpg: &IscsiTpg, initiator: &CStr) -> Result<IscsiAcl> {
        let (depth, erl) = {
            let a = tpg.config.lock().attrib;
            (a.default_cmdsn_depth, a.default_erl)
        };
        let config = Arc::pin_init(
            new_mutex!(AclConfig {
                cmdsn_depth: depth.max(1),
                tag: [0; ACL_TAG_MAX],
                tag_len: 0,
                attrib: AclAttrib {
                    default_erl: erl,
                    ..AclAttrib::DEFAULT
                },
                auth: Auth::new(),
            }),
            GFP_KERNEL,
        )?;
        let id = NEXT_ACL_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        tpg.acls.lock().push(
            AclEntry {
                id,
                initiator: initiator.to_cstring()?,
                config: config.clone(),
            },
            GFP_KERNEL,
        )?;
        Ok(IscsiAcl {
            initiator: initiator.to_cstring()?,
            config,
            id,
            tpg_acls: tpg.acls.clone(),
        })
    }
}

fabric_attrs! {
    ACL_ATTRS for IscsiAcl: [
        info: ro(IscsiAcl::show_info),
        cmdsn_depth: rw(IscsiAcl::show_cmdsn_depth, IscsiAcl::store_cmdsn_depth),
        tag: rw(IscsiAcl::show_tag, IscsiAcl::store_tag),
    ]
}

impl IscsiAcl {
    /// No session exists before the login does.
    fn show_info(&self, page: &mut Page<'_>) -> Result {
        let name = self.initiator.to_str().map_err(|_| EINVAL)?;
        page.emit(fmt!(
            "No active iSCSI Session for Initiator Endpoint: {}\n",
            name
        ))
    }

    fn show_cmdsn_depth(&self, page: &mut Page<'_>) -> Result {
        let d = self.config.lock().cmdsn_depth;
        page.emit(fmt!("{}\n", d))
    }

    /// At most 512; 0 becomes 1, as LIO.
    fn store_cmdsn_depth(&self, input: &[u8]) -> Result {
        let d = parse_u32(input)?;
        if d > 512 {
            pr_err!("cmdsn_depth: at most 512\n");
            return Err(EINVAL);
        }
        self.config.lock().cmdsn_depth = d.max(1);
        Ok(())
    }

    fn show_tag(&self, page: &mut Page<'_>) -> Result {
        let c = self.config.lock();
        let text =
            core::str::from_utf8(c.tag.get(..c.tag_len).unwrap_or(&[])).map_err(|_| EINVAL)?;
        page.emit(fmt!("{}", text))
    }

    /// Kept as written, newline included (shown back as is); `NULL`
    /// clears it; at most 63 bytes.
    fn store_tag(&self, input: &[u8]) -> Result {
        let len = input.iter().position(|&c| c == 0).unwrap_or(input.len());
        let value = input.get(..len).unwrap_or(&[]);
        if value.len() > ACL_TAG_MAX {
            pr_err!("tag: at most {} bytes\n", ACL_TAG_MAX);
            return Err(EINVAL);
        }
        if core::str::from_utf8(value).is_err() {
            pr_err!("tag: UTF-8 text\n");
            return Err(EINVAL);
        }
        let mut c = self.config.lock();
        if value.starts_with(b"NULL") {
            c.tag_len = 0;
            return Ok(());
        }
        c.tag
            .get_mut(..value.len())
            .ok_or(EINVAL)?
            .copy_from_slice(value);
        c.tag_len = value.len();
        Ok(())
    }
}

/// Declares an ACL attribute's show and store handlers; `$check` as for
/// `tpg_attrib!`.
macro_rules! acl_attrib {
    ($show:ident, $store:ident, $field:ident, $check:expr) => {
        impl IscsiAcl {
            fn $show(&self, page: &mut Page<'_>) -> Result {
                let v = self.config.lock().attrib.$field;
                page.emit(fmt!("{}\n", v))
            }

            fn $store(&self, input: &[u8]) -> Result {
                let v = parse_u32(input)?;
                let mut c = self.config.lock();
                let check: fn(&mut u32, u32) -> Result = $check;
                check(&mut c.attrib.$field, v).inspect_err(|_| {
                    pr_err!(
                        "attrib/{}: {} is not a valid value\n",
                        stringify!($field),
                        v
                    )
                })
            }
        }
    };
}

acl_attrib!(
    show_dataout_timeout,
    store_dataout_timeout,
    dataout_timeout,
    |f, v| range(f, v, 2, 60)
);
acl_attrib!(
    show_dataout_timeout_retries,
    store_dataout_timeout_retries,
    dataout_timeout_retries,
    |f, v| range(f, v, 1, 15)
);
acl_attrib!(
    show_acl_default_erl,
    store_acl_default_erl,
    default_erl,
    |f, v| range(f, v, 0, 2)
);
acl_attrib!(
    show_nopin_timeout,
    store_nopin_timeout,
    nopin_timeout,
    |f, v| {
        // 0 turns NOP-In pings off.
        if v == 0 {
            *f = 0;
            return Ok(());
        }
        range(f, v, 3, 60)
    }
);
acl_attrib!(
    show_nopin_response_timeout,
    store_nopin_response_timeout,
    nopin_response_timeout,
    |f, v| range(f, v, 3, 60)
);
acl_attrib!(
    show_random_datain_pdu_offsets,
    store_random_datain_pdu_offsets,
    random_datain_pdu_offsets,
    flag
);
acl_attrib!(
    show_random_datain_seq_offsets,
    store_random_datain_seq_offsets,
    random_datain_seq_offsets,
    flag
);
acl_attrib!(
    show_random_r2t_offsets,
    store_random_r2t_offsets,
    random_r2t_offsets,
    flag
);

impl IscsiAcl {
    fn show_acl_authentication(&self, page: &mut Page<'_>) -> Result {
        let v = self.config.lock().attrib.authentication;
        page.emit(fmt!("{}\n", v))
    }

    /// -1 (the TPG's setting), 0 or 1.
    fn store_acl_authentication(&self, input: &[u8]) -> Result {
        let v = parse_i32(input)?;
        if !matches!(v, -1..=1) {
            pr_err!("attrib/authentication: -1 (the TPG's), 0 or 1\n");
            return Err(EINVAL);
        }
        self.config.lock().attrib.authentication = v;
        Ok(())
    }
}

fabric_attrs! {
    ACL_ATTRIB_ATTRS for IscsiAcl: [
        dataout_timeout: rw(IscsiAcl::show_dataout_timeout, IscsiAcl::store_dataout_timeout),
        dataout_timeout_retries: rw(IscsiAcl::show_dataout_timeout_retries, IscsiAcl::store_dataout_timeout_retries),
        default_erl: rw(IscsiAcl::show_acl_default_erl, IscsiAcl::store_acl_default_erl),
        nopin_timeout: rw(IscsiAcl::show_nopin_timeout, IscsiAcl::store_nopin_timeout),
        nopin_response_timeout: rw(IscsiAcl::show_nopin_response_timeout, IscsiAcl::store_nopin_response_timeout),
        random_datain_pdu_offsets: rw(IscsiAcl::show_random_datain_pdu_offsets, IscsiAcl::store_random_datain_pdu_offsets),
        random_datain_seq_offsets: rw(IscsiAcl::show_random_datain_seq_offsets, IscsiAcl::store_random_datain_seq_offsets),
        random_r2t_offsets: rw(IscsiAcl::show_random_r2t_offsets, IscsiAcl::store_random_r2t_offsets),
        authentication: rw(IscsiAcl::show_acl_authentication, IscsiAcl::store_acl_authentication),
    ]
}

auth_handlers!(IscsiAcl, "auth", |this| this.config.lock(), |c| c.auth);

fabric_attrs! {
    ACL_AUTH_ATTRS for IscsiAcl: [
        userid: rw(IscsiAcl::show_userid, IscsiAcl::store_userid),
        password: rw(IscsiAcl::show_password, IscsiAcl::store_password),
        authenticate_target: ro(IscsiAcl::show_authenticate_target),
        userid_mutual: rw(IscsiAcl::show_userid_mutual, IscsiAcl::store_userid_mutual),
        password_mutual: rw(IscsiAcl::show_password_mutual, IscsiAcl::store_password_mutual),
    ]
}

impl IscsiAcl {
    /// The session's negotiated values; there is no session before the
    /// login exists.
    fn show_no_session(&self, page: &mut Page<'_>) -> Result {
        page.emit(fmt!("No Active iSCSI Session\n"))
    }
}

fabric_attrs! {
    ACL_PARAM_ATTRS for IscsiAcl: [
        MaxConnections: ro(IscsiAcl::show_no_session),
        InitialR2T: ro(IscsiAcl::show_no_session),
        ImmediateData: ro(IscsiAcl::show_no_session),
        MaxBurstLength: ro(IscsiAcl::show_no_session),
        FirstBurstLength: ro(IscsiAcl::show_no_session),
        DefaultTime2Wait: ro(IscsiAcl::show_no_session),
        DefaultTime2Retain: ro(IscsiAcl::show_no_session),
        MaxOutstandingR2T: ro(IscsiAcl::show_no_session),
        DataPDUInOrder: ro(IscsiAcl::show_no_session),
        DataSequenceInOrder: ro(IscsiAcl::show_no_session),
        ErrorRecoveryLevel: ro(IscsiAcl::show_no_session),
    ]
}

#[kernel::prelude::kunit_tests(tcm_rs_iscsi_configfs)]
mod tests {
    use super::*;

    /// The `param/` attribute names are the keys of `TPG_PARAMS`, in order,
    /// so that handler N serves parameter N.
    #[test]
    fn param_names_match_the_table() {
        let list = TPG_PARAM_ATTRS.0;
        assert_eq!(list.len(), TPG_PARAMS.len() + 1);
        for (i, def) in TPG_PARAMS.iter().enumerate() {
            let attr = list[i];
            assert!(!attr.is_null());
            // SAFETY: A static attribute with a static NUL-terminated name.
            let name = unsafe { CStr::from_char_ptr((*attr).ca_name) };
            assert_eq!(name.to_bytes(), def.name.as_bytes());
        }
        assert!(list[TPG_PARAMS.len()].is_null());
    }
}
