// SPDX-License-Identifier: GPL-2.0

//! A device's LBA map (`core/<hba>/<device>/lba_map`): which target port
//! groups can reach which LBA ranges, for the LBA dependent ALUA state.
//!
//! The text, as LIO reads it: a first line `<segment size> <segment
//! multiplier>`, then one line per range, `<first lba> <last lba>` and a
//! `<group id>:<state>` for each target port group (`O` active/optimized,
//! `A` active/non-optimized, `S` standby, `U` unavailable), every line with
//! the same number of groups. Empty lines are skipped; an empty write
//! clears the map. Numbers are read as C's `sscanf` reads them.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

/// One piece of a map, in the order written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// The first line.
    Header {
        segment_size: u64,
        segment_mult: u64,
    },
    /// A range of LBAs; its groups follow.
    Range { first: u64, last: u64 },
    /// A target port group of the range before, and its state letter.
    Group { id: i32, state: u8 },
}

/// Why a map was refused (EINVAL), with the line (counting from 0, as LIO
/// reports it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub reason: &'static str,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn skip_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| is_space(**c)).count();
    s.get(n..).unwrap_or_default()
}

/// `%lu`: spaces, then decimal digits (wrapping as `simple_strtoul`).
fn unsigned(s: &[u8]) -> Option<(u64, &[u8])> {
    let s = skip_spaces(s);
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let v = s.iter().take(n).fold(0u64, |v, c| {
        v.wrapping_mul(10).wrapping_add(u64::from(c - b'0'))
    });
    Some((v, s.get(n..).unwrap_or_default()))
}

/// `%d`: spaces, an optional `-`, then decimal digits.
fn signed(s: &[u8]) -> Option<(i32, &[u8])> {
    let s = skip_spaces(s);
    let (neg, rest) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    if !rest.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let (v, rest) = unsigned(rest)?;
    // As the kernel's sscanf: the value is cut to the int it is stored in.
    let v = v as i32;
    Some((if neg { v.wrapping_neg() } else { v }, rest))
}

/// `%lu %lu`: two numbers; what follows them is ignored.
fn two_numbers(s: &[u8]) -> Option<(u64, u64)> {
    let (a, rest) = unsigned(s)?;
    let (b, _) = unsigned(skip_spaces(rest))?;
    Some((a, b))
}

/// The text after the first space of `s`.
fn after_space(s: &[u8]) -> Option<&[u8]> {
    let i = s.iter().position(|c| *c == b' ')?;
    s.get(i + 1..)
}

/// Reads a map, calling `visit` for each piece in order. Nothing is kept
/// here: call it once to check the text, then again to store it.
pub fn parse<E>(
    input: &[u8],
    visit: &mut dyn FnMut(Item) -> Result<(), E>,
) -> Result<Result<(), E>, Error> {
    // The kernel reads the text up to its first NUL.
    let input = input.split(|c| *c == 0).next().unwrap_or_default();
    let mut line_no = 0;
    let mut groups_per_line = None;
    for line in input.split(|c| *c == b'\n').filter(|l| !l.is_empty()) {
        let err = |reason| Error {
            line: line_no,
            reason,
        };
        if line_no == 0 {
            let (segment_size, segment_mult) =
                two_numbers(line).ok_or(err("expected <segment size> <segment multiplier>"))?;
            if let Err(e) = visit(Item::Header {
                segment_size,
                segment_mult,
            }) {
                return Ok(Err(e));
            }
            line_no += 1;
            continue;
        }
        let (first, last) = two_numbers(line).ok_or(err("expected <first lba> <last lba>"))?;
        let rest = after_space(line).ok_or(err("missing the last LBA"))?;
        let mut rest = after_space(rest).ok_or(err("missing the port group states"))?;
        if let Err(e) = visit(Item::Range { first, last }) {
            return Ok(Err(e));
        }
        let mut groups = 0;
        while let Some((id, tail)) = signed(rest) {
            let [b':', state, ..] = tail else { break };
            if !matches!(state, b'O' | b'A' | b'S' | b'U') {
                return Err(err("a state is one of O, A, S and U"));
            }
            if let Err(e) = visit(Item::Group { id, state: *state }) {
                return Ok(Err(e));
            }
            groups += 1;
            match after_space(rest) {
                Some(r) => rest = r,
                None => break,
            }
        }
        match groups_per_line {
            None => groups_per_line = Some(groups),
            Some(n) if n != groups => {
                return Err(err("every range needs the same number of port groups"))
            }
            Some(_) => {}
        }
        line_no += 1;
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn items(s: &str) -> Result<Vec<Item>, Error> {
        let mut v = Vec::new();
        parse::<()>(s.as_bytes(), &mut |i| {
            v.push(i);
            Ok(())
        })?
        .unwrap();
        Ok(v)
    }

    #[test]
    fn reads_a_map() {
        assert_eq!(
            items("256 1\n0 255 1:O 2:S\n256 511 1:A 2:U\n"),
            Ok(std::vec![
                Item::Header {
                    segment_size: 256,
                    segment_mult: 1
                },
                Item::Range {
                    first: 0,
                    last: 255
                },
                Item::Group { id: 1, state: b'O' },
                Item::Group { id: 2, state: b'S' },
                Item::Range {
                    first: 256,
                    last: 511
                },
                Item::Group { id: 1, state: b'A' },
                Item::Group { id: 2, state: b'U' },
            ])
        );
        assert_eq!(items("\n"), Ok(std::vec![]));
        assert_eq!(items(""), Ok(std::vec![]));
        assert!(items("1 2\n0 10 ").is_ok());
    }

    #[test]
    fn refusals() {
        assert_eq!(items("x").unwrap_err().line, 0);
        assert!(items("1\n").is_err());
        assert_eq!(items("1 1\n0 10 1:X").unwrap_err().line, 1);
        assert_eq!(items("1 1\n0 10").unwrap_err().line, 1);
        assert_eq!(items("1 1\n0 10 1:O\n11 20 1:O 2:S").unwrap_err().line, 2);
        assert!(items("1 1\n-1 10 1:O").is_err());
    }
}
