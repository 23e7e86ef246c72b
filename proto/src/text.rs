// SPDX-License-Identifier: GPL-2.0

//! Parsing of values written to configfs attributes, with the kernel's own
//! conventions (`kstrtoul` and friends) so that what LIO accepts, we accept.
//!
//! Compiled both in the kernel modules and on the host: `core` only.

/// Why a written value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing but (at most) a newline was written.
    Empty,
    /// A character that is not a digit of the number's base, or text after
    /// the number.
    NotANumber,
    /// The number does not fit in the target type.
    OutOfRange,
}

/// The written text without the one trailing newline that `echo` adds.
pub fn strip_newline(input: &[u8]) -> &[u8] {
    match input {
        [rest @ .., b'\n'] => rest,
        _ => input,
    }
}

/// `input` without leading and trailing white space, as the kernel's
/// `strstrip` leaves it.
pub fn trim(input: &[u8]) -> &[u8] {
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let start = input
        .iter()
        .position(|c| !is_space(c))
        .unwrap_or(input.len());
    let end = input
        .iter()
        .rposition(|c| !is_space(c))
        .map_or(start, |i| i + 1);
    input.get(start..end).unwrap_or(&[])
}

/// Parses an unsigned number as `kstrtoull(s, 0, ..)` does: an optional
/// `+`, then `0x`/`0X` for hexadecimal, a leading `0` for octal, decimal
/// otherwise, and at most one trailing newline.
pub fn parse_u64(input: &[u8]) -> Result<u64, ParseError> {
    let s = strip_newline(input);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    if s.is_empty() {
        return Err(ParseError::Empty);
    }
    let (radix, digits) = match s {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', rest @ ..] if !rest.is_empty() => (8, rest),
        _ => (10, s),
    };
    digits_value(digits, radix)
}

/// Parses a signed number as `kstrtoint(s, 0, ..)` does: an optional `-`
/// or `+`, then [`parse_u64`]'s syntax, within `i32`.
pub fn parse_i32(input: &[u8]) -> Result<i32, ParseError> {
    let (negative, rest) = match input {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, input),
    };
    if negative && rest.first() == Some(&b'+') {
        return Err(ParseError::NotANumber);
    }
    let magnitude = parse_u64(rest)?;
    let value = if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    };
    value
        .and_then(|v| i32::try_from(v).ok())
        .ok_or(ParseError::OutOfRange)
}

/// Parses a decimal number as `kstrtoull(s, 10, ..)` does: an optional
/// `+`, decimal digits, and at most one trailing newline.
pub fn parse_decimal_u64(input: &[u8]) -> Result<u64, ParseError> {
    let s = strip_newline(input);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    if s.is_empty() {
        return Err(ParseError::Empty);
    }
    digits_value(s, 10)
}

/// The value of `digits` in `radix`.
fn digits_value(digits: &[u8], radix: u64) -> Result<u64, ParseError> {
    if digits.is_empty() {
        return Err(ParseError::NotANumber);
    }
    let mut value: u64 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'f' => u64::from(c - b'a' + 10),
            b'A'..=b'F' => u64::from(c - b'A' + 10),
            _ => return Err(ParseError::NotANumber),
        };
        if d >= radix {
            return Err(ParseError::NotANumber);
        }
        value = value
            .checked_mul(radix)
            .and_then(|v| v.checked_add(d))
            .ok_or(ParseError::OutOfRange)?;
    }
    Ok(value)
}

/// [`parse_u64`] limited to `max`.
pub fn parse_u64_max(input: &[u8], max: u64) -> Result<u64, ParseError> {
    match parse_u64(input)? {
        v if v <= max => Ok(v),
        _ => Err(ParseError::OutOfRange),
    }
}

/// [`parse_u64`] into a `u32`, as `kstrtou32(s, 0, ..)`: a value that does
/// not fit is [`ParseError::OutOfRange`] (the kernel's `ERANGE`).
pub fn parse_u32(input: &[u8]) -> Result<u32, ParseError> {
    u32::try_from(parse_u64(input)?).map_err(|_| ParseError::OutOfRange)
}

/// [`parse_u64`] into a `u8`, as `kstrtou8(s, 0, ..)`.
pub fn parse_u8(input: &[u8]) -> Result<u8, ParseError> {
    u8::try_from(parse_u64(input)?).map_err(|_| ParseError::OutOfRange)
}

/// Parses a flag as `kstrtobool` does: only the first character counts
/// (`1yYtTeE` true, `0nNfFdD` false), or the first two for `on`/`off`.
pub fn parse_bool(input: &[u8]) -> Result<bool, ParseError> {
    match input {
        [] => Err(ParseError::Empty),
        [b'1' | b'y' | b'Y' | b't' | b'T' | b'e' | b'E', ..] => Ok(true),
        [b'0' | b'n' | b'N' | b'f' | b'F' | b'd' | b'D', ..] => Ok(false),
        [b'o' | b'O', b'n' | b'N', ..] => Ok(true),
        [b'o' | b'O', b'f' | b'F', ..] => Ok(false),
        _ => Err(ParseError::NotANumber),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_like_kstrtoull() {
        assert_eq!(parse_u64(b"42\n"), Ok(42));
        assert_eq!(parse_u64(b"+42"), Ok(42));
        assert_eq!(parse_u64(b"0x1F"), Ok(31));
        assert_eq!(parse_u64(b"0X1f\n"), Ok(31));
        assert_eq!(parse_u64(b"017"), Ok(15));
        assert_eq!(parse_u64(b"0"), Ok(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn refusals() {
        assert_eq!(parse_u64(b""), Err(ParseError::Empty));
        assert_eq!(parse_u64(b"\n"), Err(ParseError::Empty));
        assert_eq!(parse_u64(b"+"), Err(ParseError::Empty));
        assert_eq!(parse_u64(b"0x"), Err(ParseError::NotANumber));
        assert_eq!(parse_u64(b"08"), Err(ParseError::NotANumber));
        assert_eq!(parse_u64(b"12 "), Err(ParseError::NotANumber));
        assert_eq!(parse_u64(b"-1"), Err(ParseError::NotANumber));
        assert_eq!(parse_u64(b"1\n\n"), Err(ParseError::NotANumber));
        assert_eq!(
            parse_u64(b"18446744073709551616"),
            Err(ParseError::OutOfRange)
        );
        assert_eq!(parse_u64_max(b"65536", 0xffff), Err(ParseError::OutOfRange));
        assert_eq!(parse_u64_max(b"0xffff", 0xffff), Ok(0xffff));
    }

    #[test]
    fn signed_like_kstrtoint() {
        assert_eq!(parse_i32(b"-1\n"), Ok(-1));
        assert_eq!(parse_i32(b"-2"), Ok(-2));
        assert_eq!(parse_i32(b"+3"), Ok(3));
        assert_eq!(parse_i32(b"0x10"), Ok(16));
        assert_eq!(parse_i32(b"-2147483648"), Ok(i32::MIN));
        assert_eq!(parse_i32(b"2147483648"), Err(ParseError::OutOfRange));
        assert_eq!(parse_i32(b"-+1"), Err(ParseError::NotANumber));
        assert_eq!(parse_i32(b"--1"), Err(ParseError::NotANumber));
        assert_eq!(parse_i32(b"-"), Err(ParseError::Empty));
    }

    #[test]
    fn trims_like_strstrip() {
        assert_eq!(trim(b"  grp1\n"), b"grp1");
        assert_eq!(trim(b"  LIO-ORG \n"), b"LIO-ORG");
        assert_eq!(trim(b"\t\r\n"), b"");
        assert_eq!(trim(b""), b"");
        assert_eq!(trim(b"a b"), b"a b");
    }

    #[test]
    fn decimal_only() {
        assert_eq!(parse_decimal_u64(b"010\n"), Ok(10));
        assert_eq!(parse_decimal_u64(b"+7"), Ok(7));
        assert_eq!(parse_decimal_u64(b"0x10"), Err(ParseError::NotANumber));
        assert_eq!(parse_decimal_u64(b""), Err(ParseError::Empty));
        assert_eq!(parse_decimal_u64(b"1a"), Err(ParseError::NotANumber));
        assert_eq!(
            parse_decimal_u64(b"18446744073709551616"),
            Err(ParseError::OutOfRange)
        );
    }

    #[test]
    fn narrow_types_like_kstrtou32_and_kstrtou8() {
        assert_eq!(parse_u32(b"4294967295"), Ok(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), Err(ParseError::OutOfRange));
        assert_eq!(parse_u32(b"x"), Err(ParseError::NotANumber));
        assert_eq!(parse_u8(b"255\n"), Ok(255));
        assert_eq!(parse_u8(b"256"), Err(ParseError::OutOfRange));
    }

    #[test]
    fn flags_like_kstrtobool() {
        assert_eq!(parse_bool(b"1\n"), Ok(true));
        assert_eq!(parse_bool(b"yes"), Ok(true));
        assert_eq!(parse_bool(b"Enable"), Ok(true));
        assert_eq!(parse_bool(b"0"), Ok(false));
        assert_eq!(parse_bool(b"off"), Ok(false));
        assert_eq!(parse_bool(b"On"), Ok(true));
        assert_eq!(parse_bool(b"12"), Ok(true));
        assert_eq!(parse_bool(b"o"), Err(ParseError::NotANumber));
        assert_eq!(parse_bool(b"2"), Err(ParseError::NotANumber));
        assert_eq!(parse_bool(b"\n"), Err(ParseError::NotANumber));
        assert_eq!(parse_bool(b""), Err(ParseError::Empty));
        assert_eq!(parse_bool(b"\xff"), Err(ParseError::NotANumber));
    }

    #[test]
    fn strip_one_newline_only() {
        assert_eq!(strip_newline(b"a\n"), b"a");
        assert_eq!(strip_newline(b"a\n\n"), b"a\n");
        assert_eq!(strip_newline(b"a"), b"a");
        assert_eq!(strip_newline(b""), b"");
    }
}
