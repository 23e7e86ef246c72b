//! Sizes as people write them ("1G", "512M", "4096") and as targetcli
//! shows them ("1.0GiB").

use crate::error::{Error, Result};

/// Parses a size the way targetcli-fb does: a number of bytes, optionally
/// followed by k, m, g or t (powers of 1024), optionally followed by "b" or
/// "ib" ("1G", "1GB", "1GiB", "4096").
pub fn parse_size(text: &str) -> Result<u64> {
    let bad = || {
        Error::invalid(
            "size",
            text,
            "write a number of bytes, or a number followed by K, M, G or T (e.g. 1G, 512M)",
        )
    };
    let s = text.trim().to_ascii_lowercase().replace('i', "");
    let s = s.strip_suffix('b').unwrap_or(&s);
    let (digits, shift) = match s.chars().last() {
        Some('k') => (&s[..s.len() - 1], 10),
        Some('m') => (&s[..s.len() - 1], 20),
        Some('g') => (&s[..s.len() - 1], 30),
        Some('t') => (&s[..s.len() - 1], 40),
        _ => (s, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(1u64 << shift).ok_or_else(bad)
}

/// Formats a size as targetcli-fb's `ls` does: bytes below 1 KiB, else one
/// decimal and a binary unit.
pub fn human(size: u64) -> String {
    if size < 1024 {
        return format!("{size} bytes");
    }
    let mut v = size as f64 / 1024.0;
    for unit in ["KiB", "MiB", "GiB", "TiB"] {
        if v < 1024.0 {
            return format!("{v:.1}{unit}");
        }
        v /= 1024.0;
    }
    format!("{v:.1}PiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targetcli_size_syntax() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("1k").unwrap(), 1024);
        assert_eq!(parse_size("16M").unwrap(), 16 << 20);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("1GB").unwrap(), 1 << 30);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("2t").unwrap(), 2 << 40);
        assert_eq!(parse_size("10b").unwrap(), 10);
    }

    #[test]
    fn refuses_garbage_and_overflow() {
        for bad in [
            "",
            "G",
            "1.5G",
            "-1",
            "1X",
            "1 G",
            "99999999999999999999",
            "20000000T",
        ] {
            let e = parse_size(bad).unwrap_err().to_string();
            assert!(e.contains("invalid size"), "{bad}: {e}");
        }
    }

    #[test]
    fn formats_like_targetcli() {
        assert_eq!(human(512), "512 bytes");
        assert_eq!(human(16 << 20), "16.0MiB");
        assert_eq!(human(1536), "1.5KiB");
        assert_eq!(human(1 << 30), "1.0GiB");
    }
}
