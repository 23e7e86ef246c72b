// SPDX-License-Identifier: GPL-2.0

//! The name of a network portal directory, `np/<ip>:<port>` or
//! `np/[<ipv6>]:<port>`, split as LIO splits it
//! (`lio_target_call_addnptotpg`) before the address and the port are
//! converted (the kernel's `inet_pton_with_scope`, which the module calls).
//!
//! `core` only, no allocation, no panics on any input.

/// The longest portal name LIO takes (its MAX_PORTAL_LEN).
pub const PORTAL_NAME_MAX: usize = 256;

/// Why a portal name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortalError {
    /// Longer than [`PORTAL_NAME_MAX`] (LIO: EOVERFLOW).
    TooLong,
    /// A `[` without `]`, or no `:` before the port (LIO: EINVAL).
    Malformed,
}

/// Splits a portal name into its address and port text. With a `[`
/// anywhere, the address is what lies between it and the next `]`, and
/// the port follows the first `:` after that `]`; otherwise the address
/// is everything before the first `:` and the port everything after it.
/// Either may be empty or invalid: the address conversion judges them.
pub fn split_portal(name: &[u8]) -> Result<(&[u8], &[u8]), PortalError> {
    if name.len() > PORTAL_NAME_MAX {
        return Err(PortalError::TooLong);
    }
    if let Some(open) = name.iter().position(|&c| c == b'[') {
        let after_open = name.get(open + 1..).unwrap_or(&[]);
        let close = after_open
            .iter()
            .position(|&c| c == b']')
            .ok_or(PortalError::Malformed)?;
        let (host, rest) = after_open.split_at(close);
        let rest = rest.get(1..).unwrap_or(&[]);
        let colon = rest
            .iter()
            .position(|&c| c == b':')
            .ok_or(PortalError::Malformed)?;
        return Ok((host, rest.get(colon + 1..).unwrap_or(&[])));
    }
    let colon = name
        .iter()
        .position(|&c| c == b':')
        .ok_or(PortalError::Malformed)?;
    let (host, rest) = name.split_at(colon);
    Ok((host, rest.get(1..).unwrap_or(&[])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_lio() {
        assert_eq!(
            split_portal(b"0.0.0.0:3260"),
            Ok((&b"0.0.0.0"[..], &b"3260"[..]))
        );
        assert_eq!(split_portal(b"[::]:3260"), Ok((&b"::"[..], &b"3260"[..])));
        assert_eq!(
            split_portal(b"[fe80::1%eth0]:860"),
            Ok((&b"fe80::1%eth0"[..], &b"860"[..]))
        );
        // LIO skips text around the brackets.
        assert_eq!(split_portal(b"x[::1]y:1"), Ok((&b"::1"[..], &b"1"[..])));
        assert_eq!(
            split_portal(b"1.2.3.4:5:6"),
            Ok((&b"1.2.3.4"[..], &b"5:6"[..]))
        );
        assert_eq!(split_portal(b"1.2.3.4:"), Ok((&b"1.2.3.4"[..], &b""[..])));
        assert_eq!(split_portal(b"1.2.3.4"), Err(PortalError::Malformed));
        assert_eq!(split_portal(b"[::1:3260"), Err(PortalError::Malformed));
        assert_eq!(split_portal(b"[::1]3260"), Err(PortalError::Malformed));
        assert_eq!(split_portal(&[b'1'; 257]), Err(PortalError::TooLong));
    }
}
