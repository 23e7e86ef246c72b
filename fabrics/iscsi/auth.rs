// SPDX-License-Identifier: GPL-2.0

//! CHAP credentials as LIO keeps them (its `struct iscsi_node_auth`): the
//! discovery session's (`iscsi/discovery_auth/`), a TPG's for demo mode
//! (`tpgt_<N>/auth/`) and each node ACL's (`acls/<initiator>/auth/`).
//!
//! Reading a credential needs CAP_SYS_ADMIN, as in LIO: the files are
//! world-readable and hold secrets.

use kernel::prelude::*;

use crate::sdk::Page;
use crate::text;

/// The longest CHAP name or secret, NUL excluded (LIO's MAX_USER_LEN and
/// MAX_PASS_LEN less one).
pub(crate) const CREDENTIAL_MAX: usize = 255;

extern "C" {
    fn tcm_rs_iscsi_capable_admin() -> bool;
}

/// Whether the caller may read credentials (CAP_SYS_ADMIN).
fn may_read() -> Result {
    // SAFETY: Reads the current task's credentials; no requirement.
    if unsafe { tcm_rs_iscsi_capable_admin() } {
        Ok(())
    } else {
        Err(EPERM)
    }
}

/// A CHAP name or secret.
#[derive(Clone, Copy)]
pub(crate) struct Credential {
    buf: [u8; CREDENTIAL_MAX],
    len: usize,
}

impl Credential {
    pub(crate) const fn empty() -> Self {
        Self {
            buf: [0; CREDENTIAL_MAX],
            len: 0,
        }
    }

    /// Set unless empty or `NULL`, LIO's word for none.
    pub(crate) fn is_set(&self) -> bool {
        self.len != 0 && !self.buf.starts_with(b"NULL")
    }

    /// Its bytes.
    #[allow(dead_code)]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// Which of the four credentials.
#[derive(Clone, Copy)]
pub(crate) enum Which {
    Userid,
    Password,
    UseridMutual,
    PasswordMutual,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Userid => "userid",
            Which::Password => "password",
            Which::UseridMutual => "userid_mutual",
            Which::PasswordMutual => "password_mutual",
        }
    }
}

/// The credentials of one `auth/` directory.
#[derive(Clone, Copy)]
pub(crate) struct Auth {
    userid: Credential,
    password: Credential,
    userid_mutual: Credential,
    password_mutual: Credential,
}

impl Auth {
    pub(crate) const fn new() -> Self {
        Self {
            userid: Credential::empty(),
            password: Credential::empty(),
            userid_mutual: Credential::empty(),
            password_mutual: Credential::empty(),
        }
    }

    fn field(&self, which: Which) -> &Credential {
        match which {
            Which::Userid => &self.userid,
            Which::Password => &self.password,
            Which::UseridMutual => &self.userid_mutual,
            Which::PasswordMutual => &self.password_mutual,
        }
    }

    fn field_mut(&mut self, which: Which) -> &mut Credential {
        match which {
            Which::Userid => &mut self.userid,
            Which::Password => &mut self.password,
            Which::UseridMutual => &mut self.userid_mutual,
            Which::PasswordMutual => &mut self.password_mutual,
        }
    }

    /// The target authenticates itself (mutual CHAP) once both mutual
    /// credentials are set.
    pub(crate) fn authenticate_target(&self) -> bool {
        self.userid_mutual.is_set() && self.password_mutual.is_set()
    }

    /// `show` of a credential: the text and a newline.
    pub(crate) fn show(&self, which: Which, page: &mut Page<'_>) -> Result {
        may_read()?;
        let c = self.field(which);
        let text =
            core::str::from_utf8(c.buf.get(..c.len).unwrap_or_default()).map_err(|_| EINVAL)?;
        page.emit(fmt!("{}\n", text))
    }

    /// `show` of `authenticate_target`.
    pub(crate) fn show_authenticate_target(&self, page: &mut Page<'_>) -> Result {
        may_read()?;
        page.emit(fmt!("{}\n", u8::from(self.authenticate_target())))
    }
}

/// Checks a credential written to `<dir>/<which>`: one line of at most 255
/// bytes of UTF-8, no NUL; the trailing newline is not part of it.
pub(crate) fn parse(input: &[u8], dir: &str, which: Which) -> Result<Credential> {
    let value = text::strip_newline(input);
    if value.len() > CREDENTIAL_MAX {
        pr_err!(
            "{}/{}: at most {} bytes\n",
            dir,
            which.name(),
            CREDENTIAL_MAX
        );
        return Err(EINVAL);
    }
    if value.contains(&0) || value.contains(&b'\n') || core::str::from_utf8(value).is_err() {
        pr_err!("{}/{}: one line of UTF-8 text\n", dir, which.name());
        return Err(EINVAL);
    }
    let mut c = Credential::empty();
    c.buf
        .get_mut(..value.len())
        .ok_or(EINVAL)?
        .copy_from_slice(value);
    c.len = value.len();
    Ok(c)
}

impl Auth {
    /// `store` of a credential into this directory.
    pub(crate) fn store(&mut self, which: Which, credential: Credential) {
        *self.field_mut(which) = credential;
    }
}

/// Declares the show and store handlers of the four credentials and
/// `authenticate_target` of an `auth/` directory whose object is `$ty`:
/// `|this| <lock>` locks the object's settings, `|guard| <auth>` finds the
/// `Auth` in them; `$dir` names the directory in log lines.
macro_rules! auth_handlers {
    ($ty:ty, $dir:literal, |$this:ident| $lock:expr, |$guard:ident| $auth:expr) => {
        impl $ty {
            fn show_cred(
                &self,
                which: $crate::auth::Which,
                page: &mut $crate::sdk::Page<'_>,
            ) -> Result {
                let $this = self;
                let $guard = $lock;
                ($auth).show(which, page)
            }

            fn store_cred(&self, which: $crate::auth::Which, input: &[u8]) -> Result {
                let credential = $crate::auth::parse(input, $dir, which)?;
                let $this = self;
                #[allow(unused_mut)]
                let mut $guard = $lock;
                ($auth).store(which, credential);
                Ok(())
            }

            fn show_userid(&self, page: &mut $crate::sdk::Page<'_>) -> Result {
                self.show_cred($crate::auth::Which::Userid, page)
            }

            fn store_userid(&self, input: &[u8]) -> Result {
                self.store_cred($crate::auth::Which::Userid, input)
            }

            fn show_password(&self, page: &mut $crate::sdk::Page<'_>) -> Result {
                self.show_cred($crate::auth::Which::Password, page)
            }

            fn store_password(&self, input: &[u8]) -> Result {
                self.store_cred($crate::auth::Which::Password, input)
            }

            fn show_userid_mutual(&self, page: &mut $crate::sdk::Page<'_>) -> Result {
                self.show_cred($crate::auth::Which::UseridMutual, page)
            }

            fn store_userid_mutual(&self, input: &[u8]) -> Result {
                self.store_cred($crate::auth::Which::UseridMutual, input)
            }

            fn show_password_mutual(&self, page: &mut $crate::sdk::Page<'_>) -> Result {
                self.show_cred($crate::auth::Which::PasswordMutual, page)
            }

            fn store_password_mutual(&self, input: &[u8]) -> Result {
                self.store_cred($crate::auth::Which::PasswordMutual, input)
            }

            fn show_authenticate_target(&self, page: &mut $crate::sdk::Page<'_>) -> Result {
                let $this = self;
                let $guard = $lock;
                ($auth).show_authenticate_target(page)
            }
        }
    };
}
pub(crate) use auth_handlers;
