// SPDX-License-Identifier: GPL-2.0

//! tcm_rs_iscsi: the iSCSI fabric, `target/iscsi/` (LIO's iscsi_target_mod).
//!
//! What is here: the fabric's directory with `lio_version`, and the
//! discovery authentication settings in `discovery_auth/` (the CHAP
//! credentials a SendTargets discovery session must present, and whether
//! they are enforced), kept as LIO keeps them. Tools read these whenever
//! they save a configuration, whatever fabric they use.
//!
//! Targets (`iscsi/<iqn>/`) need the iSCSI login and data path, which are
//! not written yet: making one is refused with EOPNOTSUPP and a kernel log
//! line that says so.

use kernel::prelude::*;

// The SDK is a library: each fabric uses the part it needs.
#[allow(dead_code)]
#[path = "../../sdk/fabric.rs"]
mod sdk;

// Shared parsing code: a library of which this module uses a part.
#[allow(dead_code, unreachable_pub)]
#[path = "../../proto/src/text.rs"]
mod text;

use sdk::{fabric_attrs, CoreTpg, Fabric, FabricAttrs, Page, Registration};

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

struct IscsiModule {
    _registration: Registration<Iscsi>,
}

impl kernel::Module for IscsiModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called once, before anything can use the lock.
        unsafe { DISCOVERY.init() };
        Ok(Self {
            _registration: Registration::new()?,
        })
    }
}

/// The longest CHAP name or secret, NUL excluded (LIO's MAX_USER_LEN and
/// MAX_PASS_LEN less one).
const CREDENTIAL_MAX: usize = 255;

/// A CHAP name or secret.
#[derive(Clone, Copy)]
struct Credential {
    buf: [u8; CREDENTIAL_MAX],
    len: usize,
}

impl Credential {
    const fn empty() -> Self {
        Self {
            buf: [0; CREDENTIAL_MAX],
            len: 0,
        }
    }

    /// Set unless empty or `NULL`, LIO's word for none.
    fn is_set(&self) -> bool {
        self.len != 0 && !self.buf.starts_with(b"NULL")
    }
}

/// The discovery session's authentication settings.
struct DiscoveryAuth {
    userid: Credential,
    password: Credential,
    userid_mutual: Credential,
    password_mutual: Credential,
    enforce: bool,
}

impl DiscoveryAuth {
    const fn new() -> Self {
        Self {
            userid: Credential::empty(),
            password: Credential::empty(),
            userid_mutual: Credential::empty(),
            password_mutual: Credential::empty(),
            enforce: false,
        }
    }

    /// The target authenticates itself (mutual CHAP) once both mutual
    /// credentials are set.
    fn authenticate_target(&self) -> bool {
        self.userid_mutual.is_set() && self.password_mutual.is_set()
    }
}

struct Iscsi;

/// No iSCSI target is made yet (see the module's documentation).
struct NoTarget;

fabric_attrs! {
    FABRIC_ATTRS global: [
        lio_version: ro(show_version),
    ]
}

fabric_attrs! {
    DISCOVERY_ATTRS global: [
        userid: rw(show_userid, store_userid),
        password: rw(show_password, store_password),
        authenticate_target: ro(show_authenticate_target),
        userid_mutual: rw(show_userid_mutual, store_userid_mutual),
        password_mutual: rw(show_password_mutual, store_password_mutual),
        enforce_discovery_auth: rw(show_enforce, store_enforce),
    ]
}

fn show_version(page: &mut Page<'_>) -> Result {
    page.emit(fmt!("Datera Inc. iSCSI Target v4.1.0 (tcm-rs)\n"))
}

fn show_credential(page: &mut Page<'_>, field: fn(&DiscoveryAuth) -> &Credential) -> Result {
    let auth = DISCOVERY.lock();
    let c = field(&auth);
    let text = core::str::from_utf8(c.buf.get(..c.len).unwrap_or_default()).map_err(|_| EINVAL)?;
    page.emit(fmt!("{}\n", text))
}

/// Stores a credential: one line of at most 255 bytes, no NUL; `NULL`
/// clears it.
fn store_credential(
    input: &[u8],
    what: &str,
    field: fn(&mut DiscoveryAuth) -> &mut Credential,
) -> Result {
    let value = text::strip_newline(input);
    if value.len() > CREDENTIAL_MAX {
        pr_err!(
            "discovery_auth/{}: at most {} bytes\n",
            what,
            CREDENTIAL_MAX
        );
        return Err(EINVAL);
    }
    if value.contains(&0) || value.contains(&b'\n') || core::str::from_utf8(value).is_err() {
        pr_err!("discovery_auth/{}: one line of UTF-8 text\n", what);
        return Err(EINVAL);
    }
    let mut c = Credential::empty();
    c.buf
        .get_mut(..value.len())
        .ok_or(EINVAL)?
        .copy_from_slice(value);
    c.len = value.len();
    *field(&mut DISCOVERY.lock()) = c;
    Ok(())
}

fn show_userid(page: &mut Page<'_>) -> Result {
    show_credential(page, |a| &a.userid)
}

fn store_userid(input: &[u8]) -> Result {
    store_credential(input, "userid", |a| &mut a.userid)
}

fn show_password(page: &mut Page<'_>) -> Result {
    show_credential(page, |a| &a.password)
}

fn store_password(input: &[u8]) -> Result {
    store_credential(input, "password", |a| &mut a.password)
}

fn show_userid_mutual(page: &mut Page<'_>) -> Result {
    show_credential(page, |a| &a.userid_mutual)
}

fn store_userid_mutual(input: &[u8]) -> Result {
    store_credential(input, "userid_mutual", |a| &mut a.userid_mutual)
}

fn show_password_mutual(page: &mut Page<'_>) -> Result {
    show_credential(page, |a| &a.password_mutual)
}

fn store_password_mutual(input: &[u8]) -> Result {
    store_credential(input, "password_mutual", |a| &mut a.password_mutual)
}

fn show_authenticate_target(page: &mut Page<'_>) -> Result {
    let on = DISCOVERY.lock().authenticate_target();
    page.emit(fmt!("{}\n", u8::from(on)))
}

fn show_enforce(page: &mut Page<'_>) -> Result {
    let on = DISCOVERY.lock().enforce;
    page.emit(fmt!("{}\n", u8::from(on)))
}

fn store_enforce(input: &[u8]) -> Result {
    let enforce = match text::parse_u64(input) {
        Ok(0) => false,
        Ok(1) => true,
        _ => {
            pr_err!("discovery_auth/enforce_discovery_auth: 0 or 1\n");
            return Err(EINVAL);
        }
    };
    DISCOVERY.lock().enforce = enforce;
    Ok(())
}

impl Fabric for Iscsi {
    const NAME: &'static CStr = c"iscsi";
    const ATTRS: FabricAttrs = FabricAttrs {
        fabric: FABRIC_ATTRS.list(),
        discovery_auth: DISCOVERY_ATTRS.list(),
        ..FabricAttrs::NONE
    };
    type Wwn = NoTarget;
    type Tpg = NoTarget;

    fn make_wwn(name: &CStr) -> Result<NoTarget> {
        pr_err!(
            "iscsi: cannot make target {:?}: tcm-rs does not serve iSCSI targets yet (no login or data path)\n",
            name
        );
        Err(EOPNOTSUPP)
    }

    fn make_tpg(_wwn: &NoTarget, _tag: u16, _core: CoreTpg) -> Result<NoTarget> {
        // Unreachable while `make_wwn` refuses every target; refused the
        // same way should that change first.
        Err(EOPNOTSUPP)
    }
}
