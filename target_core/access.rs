// SPDX-License-Identifier: GPL-2.0

//! Access control: which LUNs each I_T nexus sees, under which numbers,
//! and whether it may write to them.
//!
//! A session is bound to what a login of its initiator would get now: the
//! node ACL named after the initiator (`acls/<initiator>/` and its mapped
//! LUNs), else every LUN of the TPG if the fabric allows demo mode, else
//! nothing. Each session keeps the outcome as a [`View`], an immutable
//! table that commands search under RCU ([`crate::rcu_arc`]): no lock and
//! no shared write is on the I/O path.
//!
//! Whatever decides a view (a LUN linked or unlinked, an ACL made or
//! removed, a mapped LUN linked, unlinked or write-protected, a session
//! registered) is changed first, then [`TpgState::refresh_views`] rebuilds
//! the views of the TPG's sessions from the current state. A nexus whose
//! view changed gets REPORTED LUNS DATA HAS CHANGED on every LUN it still
//! sees, as LIO establishes it when a LUN is mapped or unmapped.
//!
//! Unlike LIO, an ACL made for an initiator already logged in through
//! demo mode takes effect at once (LIO keeps the session's demo-mode LUNs
//! until they are mapped one by one), and removing an ACL whose initiator
//! is logged in rebinds its sessions rather than ending them (LIO asks the
//! fabric to close them, and waits for ever when it cannot, as tcm_loop).

use core::sync::atomic::{AtomicU32, Ordering};

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::command::Placement;
use crate::fabric::abi;
use crate::lun::LunState;
use crate::lun_map::LinkedLun;
use crate::lun_stats::MappingStats;
use crate::rcu_arc::Retired;
use crate::session::{Session, REPORTED_LUNS_DATA_HAS_CHANGED};
use crate::tpg::TpgState;

/// One LUN as a nexus sees it.
pub(crate) struct ViewLun {
    /// The number the initiator addresses it by (the mapped LUN).
    pub(crate) lun: u64,
    /// The TPG's LUN behind it.
    pub(crate) target: Arc<LinkedLun>,
    /// Writes are refused with DATA PROTECT.
    pub(crate) read_only: bool,
    /// The counters of the ACL's mapping (none in demo mode).
    pub(crate) stats: Option<Arc<MappingStats>>,
}

/// What one nexus sees.
///
/// # Invariants
///
/// `luns` is sorted by `lun`, without duplicates.
pub(crate) struct View {
    luns: KVec<ViewLun>,
}

impl View {
    /// The LUN the initiator calls `lun`.
    pub(crate) fn get(&self, lun: u64) -> Option<&ViewLun> {
        let at = self.luns.binary_search_by_key(&lun, |l| l.lun).ok()?;
        self.luns.get(at)
    }

    /// Every LUN, in order.
    pub(crate) fn luns(&self) -> &[ViewLun] {
        &self.luns
    }
}

/// The fabric's policy for initiators without an ACL (LIO's
/// `tpg_check_demo_mode*` callbacks).
#[derive(Clone, Copy)]
pub(crate) struct Policy {
    /// Initiators without an ACL see every LUN of the TPG.
    pub(crate) demo_mode: bool,
    /// ... read-only.
    pub(crate) demo_write_protect: bool,
    /// New mapped LUNs start write-protected.
    pub(crate) prod_write_protect: bool,
}

impl Policy {
    fn from_flags(flags: u32) -> Self {
        Self {
            demo_mode: flags & abi::ACCESS_DEMO_MODE != 0,
            demo_write_protect: flags & abi::ACCESS_DEMO_WRITE_PROTECT != 0,
            prod_write_protect: flags & abi::ACCESS_PROD_WRITE_PROTECT != 0,
        }
    }
}

/// One mapped LUN of an ACL that is linked to a LUN of the TPG.
pub(crate) struct AclMapping {
    /// The number the initiator sees.
    pub(crate) number: u64,
    /// The TPG's LUN. It may export nothing for a while (its device link
    /// removed): the initiator then does not see it, and sees it again
    /// when the LUN is linked again, as configfs still shows the mapping.
    pub(crate) lun: Arc<LunState>,
    pub(crate) write_protect: bool,
    /// Its counters (`lun_<M>/statistics/scsi_auth_intr/`), shared with
    /// the views that hold the mapping.
    pub(crate) stats: Arc<MappingStats>,
}

/// A node ACL, shared by its configfs directories and the TPG.
#[pin_data]
pub(crate) struct AclShared {
    /// The initiator port name the ACL is for, compared byte for byte (as
    /// LIO's strcmp).
    initiator: CString,
    /// The SCSI MIB's index of the ACL (scsiAuthIntrIndex).
    index: u32,
    /// The linked mapped LUNs, at most one per number.
    #[pin]
    pub(crate) mapped: Mutex<KVec<AclMapping>>,
}

impl AclShared {
    pub(crate) fn new(initiator: &CStr) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Self {
                initiator: initiator.to_cstring()?,
                index: next_acl_index(),
                mapped <- new_mutex!(KVec::new()),
            }),
            GFP_KERNEL,
        )
    }

    pub(crate) fn initiator(&self) -> &CStr {
        &self.initiator
    }

    /// The ACL's SCSI MIB index.
    pub(crate) fn index(&self) -> u32 {
        self.index
    }
}

/// The last SCSI MIB index given to a node ACL (scsiAuthIntrIndex), for
/// the whole module as LIO's `scsi_get_new_index(SCSI_AUTH_INTR_INDEX)`.
static LAST_ACL_INDEX: AtomicU32 = AtomicU32::new(0);

/// The next node ACL index, from 1. LIO gives one to every node ACL it
/// makes, the dynamic ACL of a demo-mode session included, so a session
/// registered without an ACL takes one too, to keep the numbers LIO's.
pub(crate) fn next_acl_index() -> u32 {
    LAST_ACL_INDEX
        .fetch_add(1, Ordering::Relaxed)
        .wrapping_add(1)
}

impl TpgState {
    /// The fabric's policy for this TPG. Fabrics older than ABI 0.4 had
    /// every session see every LUN, which stays their policy.
    pub(crate) fn access_policy(&self) -> Policy {
        let ops = self.fabric().ops();
        // The field exists from ABI 0.4: a shorter table must not be read.
        if ops.abi_minor < 4 {
            return Policy::from_flags(abi::ACCESS_DEMO_MODE);
        }
        match ops.access {
            // SAFETY: The cookie is the fabric's live TPG state.
            Some(f) => Policy::from_flags(unsafe { f(self.cookie()) }),
            None => Policy::from_flags(0),
        }
    }

    /// Whether a session of `initiator` may be registered: it has an ACL,
    /// or the fabric allows demo mode.
    pub(crate) fn admits(&self, initiator: &CStr, acls: &[Arc<AclShared>]) -> bool {
        acls.iter().any(|a| a.initiator() == initiator) || self.access_policy().demo_mode
    }

    /// Rebuilds every session's view from the TPG's LUNs, ACLs and policy.
    /// Called after each change of any of them; changes are made before
    /// the call, and calls are serialised by the ACL list's lock, so the
    /// last call sees every change.
    pub(crate) fn refresh_views(&self) {
        let policy = self.access_policy();
        let acls = self.acls.lock();
        let sessions = self.sessions.lock();
        let linked = match self.luns.snapshot() {
            Ok(l) => Some(l),
            Err(_) => {
                pr_err!("access: no memory to list the LUNs: every nexus of the TPG sees none\n");
                None
            }
        };
        // The views replaced, let go after one grace period, once the
        // locks are dropped.
        let mut retired = Retired::new();
        for session in sessions.iter() {
            let view = linked.as_ref().and_then(|linked| {
                let acl = acls.iter().find(|a| a.initiator() == session.initiator());
                build_view(acl.map(|a| &**a), &policy, linked)
                    .inspect_err(|_| {
                        pr_err!(
                            "access: no memory for the view of {:?}: it sees no LUN\n",
                            session.initiator()
                        )
                    })
                    .ok()
            });
            session.set_view(view, &mut retired);
        }
        // APTPL registrations waiting for a LUN mapping that now exists
        // (LIO: when a mapped LUN is added to an ACL, or a demo-mode
        // session's dynamic ACL gets the TPG's LUNs). Restored after the
        // locks are dropped: `pr` comes before them.
        let mut found = KVec::new();
        if let (true, Some(linked)) = (crate::device_pr::aptpl_pending(), linked.as_ref()) {
            aptpl_mappings(&acls, &sessions, &policy, linked, &mut found);
        }
        drop(sessions);
        drop(acls);
        for m in found.iter() {
            m.lun
                .dev
                .aptpl_restore(self, m.initiator.to_bytes(), m.mapped_lun, m.lun.lun);
        }
    }
}

/// A LUN mapping that may restore APTPL registrations.
struct AptplMapping {
    lun: Arc<LinkedLun>,
    initiator: CString,
    mapped_lun: u64,
}

/// The LUN mappings of devices with pending APTPL records: every ACL's
/// mapped LUNs and, with demo mode, the LUNs each session without an ACL
/// sees. Out of memory, the rest is looked for at the next refresh.
fn aptpl_mappings(
    acls: &[Arc<AclShared>],
    sessions: &[Arc<Session>],
    policy: &Policy,
    linked: &[Arc<LinkedLun>],
    found: &mut KVec<AptplMapping>,
) {
    let mut add = |lun: &Arc<LinkedLun>, initiator: &CStr, mapped_lun: u64| -> Result {
        found.push(
            AptplMapping {
                lun: lun.clone(),
                initiator: initiator.to_cstring()?,
                mapped_lun,
            },
            GFP_KERNEL,
        )?;
        Ok(())
    };
    for l in linked.iter().filter(|l| l.dev.aptpl_has_pending()) {
        for acl in acls {
            for m in acl.mapped.lock().iter() {
                if Arc::ptr_eq(&m.lun, &l.state) && add(l, acl.initiator(), m.number).is_err() {
                    return;
                }
            }
        }
        if !policy.demo_mode {
            continue;
        }
        for s in sessions {
            if acls.iter().any(|a| a.initiator() == s.initiator()) {
                continue;
            }
            if add(l, s.initiator(), l.lun).is_err() {
                return;
            }
        }
    }
}

/// What a session sees: the LUNs `acl` maps, else with demo mode all of
/// `linked`, else none.
fn build_view(
    acl: Option<&AclShared>,
    policy: &Policy,
    linked: &[Arc<LinkedLun>],
) -> Result<Arc<View>> {
    let mut luns = KVec::new();
    match acl {
        Some(acl) => {
            let mapped = acl.mapped.lock();
            luns.reserve(mapped.len(), GFP_KERNEL)?;
            for m in mapped.iter() {
                let Some(target) = linked.iter().find(|l| Arc::ptr_eq(&l.state, &m.lun)) else {
                    continue;
                };
                // An ACL maps a number once (acl.rs refuses a second link).
                let Err(at) = luns.binary_search_by_key(&m.number, |l: &ViewLun| l.lun) else {
                    continue;
                };
                let entry = ViewLun {
                    lun: m.number,
                    target: target.clone(),
                    // A device that cannot be written protects every
                    // export of it, as LIO's DF_READ_ONLY.
                    read_only: m.write_protect || target.io.read_only,
                    stats: Some(m.stats.clone()),
                };
                // Cannot fail: room for every mapping was reserved.
                luns.insert_within_capacity(at, entry).map_err(|_| ENOMEM)?;
            }
        }
        None if policy.demo_mode => {
            luns.reserve(linked.len(), GFP_KERNEL)?;
            // `linked` is in LUN order, without duplicates.
            for l in linked {
                luns.push(
                    ViewLun {
                        lun: l.lun,
                        target: l.clone(),
                        read_only: policy.demo_write_protect || l.io.read_only,
                        stats: None,
                    },
                    GFP_KERNEL,
                )?;
            }
        }
        None => {}
    }
    // INVARIANT: Both branches keep `luns` sorted and free of duplicates.
    Ok(Arc::new(View { luns }, GFP_KERNEL)?)
}

impl Session {
    /// Replaces the session's view; `None` sees nothing. If what the
    /// initiator sees changed, every LUN it still sees gets REPORTED LUNS
    /// DATA HAS CHANGED; conditions of LUNs it no longer sees go.
    ///
    /// Commands that found the old view may still be reading it: it goes
    /// into `retired`, let go after an RCU grace period.
    pub(crate) fn set_view(&self, new: Option<Arc<View>>, retired: &mut Retired<View>) {
        let old = self.view.replace(new.clone());
        self.report_view_change(old.value(), new.as_deref());
        retired.keep(old);
    }

    /// The unit attentions of a change of view from `old` to `new`.
    fn report_view_change(&self, old: Option<&View>, new: Option<&View>) {
        let empty: &[ViewLun] = &[];
        let old_luns = old.map_or(empty, View::luns);
        let new_luns = new.map_or(empty, View::luns);
        let same = old_luns.len() == new_luns.len()
            && old_luns
                .iter()
                .zip(new_luns)
                .all(|(a, b)| a.lun == b.lun && Arc::ptr_eq(&a.target, &b.target));
        if same {
            return;
        }
        for gone in old_luns {
            if !new_luns.iter().any(|l| l.lun == gone.lun) {
                self.drop_uas(gone.lun);
            }
        }
        for kept in new_luns {
            if old_luns.iter().any(|l| l.lun == kept.lun) {
                self.queue_ua(kept.lun, REPORTED_LUNS_DATA_HAS_CHANGED);
            }
        }
    }

    /// The LUN the initiator calls `lun`, and whether it is read-only.
    pub(crate) fn lookup(&self, lun: u64) -> Option<(Arc<LinkedLun>, bool)> {
        self.view.read(|view| {
            let l = view?.get(lun)?;
            Some((l.target.clone(), l.read_only))
        })
    }

    /// As `lookup`, for a command with `len` bytes of data expected in
    /// `direction`, where `place` says it runs: counts it for the ACL's
    /// mapping, as LIO counts it for its `se_dev_entry` when it finds the
    /// LUN, unless it goes back to the fabric, which submits it again (and
    /// it is counted then, once).
    pub(crate) fn lookup_command(
        &self,
        lun: u64,
        direction: u8,
        len: usize,
        place: impl FnOnce(&LinkedLun) -> Placement,
    ) -> Option<(Arc<LinkedLun>, bool, Placement)> {
        self.view.read(|view| {
            let l = view?.get(lun)?;
            let placement = place(&l.target);
            if placement != Placement::Fabric {
                if let Some(stats) = &l.stats {
                    stats.count_command(direction, len);
                }
            }
            Some((l.target.clone(), l.read_only, placement))
        })
    }

    /// The session's view as it is now.
    pub(crate) fn view(&self) -> Option<Arc<View>> {
        self.view.get()
    }
}

#[kernel::prelude::kunit_tests(tcm_rs_core_access)]
mod tests {
    use super::*;

    #[test]
    fn policy_flags_decode() {
        let p = Policy::from_flags(abi::ACCESS_DEMO_MODE | abi::ACCESS_PROD_WRITE_PROTECT);
        assert!(p.demo_mode);
        assert!(!p.demo_write_protect);
        assert!(p.prod_write_protect);
        assert!(!Policy::from_flags(0).demo_mode);
    }

    #[test]
    fn no_acl_without_demo_mode_sees_nothing() {
        let none = Policy::from_flags(0);
        assert!(matches!(build_view(None, &none, &[]), Ok(v) if v.luns().is_empty()));
    }
}
