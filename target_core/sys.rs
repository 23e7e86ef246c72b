// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the C helpers for kernel services the core uses
//! outside SCSI: path lookup and the system's name.

use kernel::prelude::*;
use kernel::str::CString;

use crate::bindings;

/// `Ok` if `path` names an existing directory (symlinks followed), else the
/// lookup's error (ENOENT, ENOTDIR, EACCES, ...).
pub(crate) fn path_is_dir(path: &CStr) -> Result {
    // SAFETY: `path` is a NUL-terminated string valid for the call.
    kernel::error::to_result(unsafe { bindings::tcm_rs_path_is_dir(path.as_char_ptr()) })
}

/// Replaces file `name` in directory `dir` with `data`, atomically: the
/// data goes to `tmp` in the same directory first, is synced, and `tmp` is
/// renamed over `name` (then the directory is synced). On any error `name`
/// is left as it was. Paths are resolved from init's root. Sleeps.
pub(crate) fn replace_file(dir: &CStr, name: &CStr, tmp: &CStr, data: &[u8]) -> Result {
    // SAFETY: The strings are NUL-terminated and `data` is readable for its
    // length, all for the duration of the call, which keeps no pointer.
    kernel::error::to_result(unsafe {
        bindings::tcm_rs_replace_file(
            dir.as_char_ptr(),
            name.as_char_ptr(),
            tmp.as_char_ptr(),
            data.as_ptr().cast(),
            data.len(),
        )
    })
}

/// The parts of the caller's utsname() the version string shows.
pub(crate) struct Uts {
    pub(crate) sysname: &'static CStr,
    pub(crate) machine: &'static CStr,
    pub(crate) release: &'static CStr,
}

/// The caller's system name, machine and release.
pub(crate) fn uts() -> Uts {
    // SAFETY: The helpers return NUL-terminated fields of the caller's UTS
    // namespace. Only the nodename and domainname ever change; these three
    // are fixed for the life of the namespace, which outlives the reader.
    unsafe {
        Uts {
            sysname: CStr::from_char_ptr(bindings::tcm_rs_uts_sysname()),
            machine: CStr::from_char_ptr(bindings::tcm_rs_uts_machine()),
            release: CStr::from_char_ptr(bindings::tcm_rs_uts_release()),
        }
    }
}

/// The jiffies counter, 64 bits wide.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: The helper only reads the counter.
    unsafe { bindings::tcm_rs_get_jiffies_64() }
}

/// `jiffies` as the SCSI MIB shows a creation time (LIO's arithmetic).
pub(crate) fn mib_time(jiffies: u64) -> u32 {
    // SAFETY: The helper is pure arithmetic.
    unsafe { bindings::tcm_rs_mib_time(jiffies) }
}

/// `bytes` as a C string; EINVAL if they contain a NUL byte.
pub(crate) fn cstring(bytes: &[u8]) -> Result<CString> {
    if bytes.contains(&0) {
        return Err(EINVAL);
    }
    let mut owned = KVec::with_capacity(bytes.len() + 1, GFP_KERNEL)?;
    owned.extend_from_slice(bytes, GFP_KERNEL)?;
    owned.push(0, GFP_KERNEL)?;
    let cstr = CStr::from_bytes_with_nul(&owned).map_err(|_| EINVAL)?;
    Ok(CString::try_from(cstr)?)
}

/// Whether `cpu` is an online CPU.
pub(crate) fn cpu_is_online(cpu: i32) -> bool {
    // SAFETY: A pure query; any value is accepted.
    unsafe { crate::bindings::tcm_rs_cpu_is_online(cpu) }
}
