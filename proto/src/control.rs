// SPDX-License-Identifier: GPL-2.0

//! The `control` attribute of a backstore device: `key=value` pairs
//! separated by commas or newlines, as LIO and rtslib-fb write them
//! (`rd_pages=2048`, `fd_dev_name=/tmp/a,fd_dev_size=4096`).
//!
//! Compiled both in the kernel modules and on the host: `core` only.

/// One `key=value` pair, or a malformed piece of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlItem<'a> {
    /// A well-formed pair. The value may be empty (`key=`).
    Pair { key: &'a [u8], value: &'a [u8] },
    /// A piece without `=` or with an empty key.
    Malformed(&'a [u8]),
}

/// The pairs of a `control` write, in order. Empty pieces (from `,,` or a
/// trailing newline) are skipped.
pub fn items(input: &[u8]) -> impl Iterator<Item = ControlItem<'_>> {
    input
        .split(|&c| c == b',' || c == b'\n')
        .filter(|piece| !piece.is_empty())
        .map(|piece| match piece.iter().position(|&c| c == b'=') {
            Some(0) | None => ControlItem::Malformed(piece),
            Some(eq) => ControlItem::Pair {
                key: &piece[..eq],
                value: &piece[eq + 1..],
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn pair<'a>(key: &'a str, value: &'a str) -> ControlItem<'a> {
        ControlItem::Pair {
            key: key.as_bytes(),
            value: value.as_bytes(),
        }
    }

    #[test]
    fn pairs_in_order() {
        let v: Vec<_> = items(b"fd_dev_name=/tmp/a,fd_dev_size=4096\n").collect();
        assert_eq!(
            v,
            [pair("fd_dev_name", "/tmp/a"), pair("fd_dev_size", "4096")]
        );
    }

    #[test]
    fn newlines_and_empty_pieces() {
        let v: Vec<_> = items(b"rd_pages=8\n,,rd_nullio=1\n").collect();
        assert_eq!(v, [pair("rd_pages", "8"), pair("rd_nullio", "1")]);
        assert_eq!(items(b"").count(), 0);
        assert_eq!(items(b"\n").count(), 0);
    }

    #[test]
    fn value_may_hold_equals_and_be_empty() {
        let v: Vec<_> = items(b"a=b=c,d=").collect();
        assert_eq!(v, [pair("a", "b=c"), pair("d", "")]);
    }

    #[test]
    fn malformed_pieces() {
        let v: Vec<_> = items(b"novalue,=x,k=v").collect();
        assert_eq!(
            v,
            [
                ControlItem::Malformed(b"novalue"),
                ControlItem::Malformed(b"=x"),
                pair("k", "v")
            ]
        );
    }
}
