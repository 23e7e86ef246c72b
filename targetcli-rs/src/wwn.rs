//! World-wide names: checking and normalising the names users give for
//! targets and initiators, and making new ones, as rtslib-fb does.

use crate::error::{Error, Result};

/// The kinds of WWN a fabric accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WwnType {
    /// Anything goes.
    Free,
    /// iSCSI qualified name: iqn.YYYY-MM.reversed.domain[:name].
    Iqn,
    /// NAA: naa. and 16 hex digits, the first 1, 2 or 5.
    Naa,
    /// EUI-64: eui. and 16 hex digits.
    Eui,
    /// InfiniBand GID: ib. and 32 hex digits.
    Ib,
    /// T10 unit serial: a UUID.
    UnitSerial,
}

impl WwnType {
    /// The name targetcli uses for the type.
    pub fn name(self) -> &'static str {
        match self {
            WwnType::Free => "free",
            WwnType::Iqn => "iqn",
            WwnType::Naa => "naa",
            WwnType::Eui => "eui",
            WwnType::Ib => "ib",
            WwnType::UnitSerial => "unit_serial",
        }
    }

    fn example(self) -> &'static str {
        match self {
            WwnType::Free => "any name",
            WwnType::Iqn => "iqn.2003-01.org.example:target1",
            WwnType::Naa => "naa.5001405123456789",
            WwnType::Eui => "eui.0014051234567890",
            WwnType::Ib => "ib.fe800000000000000002c90300a0b0c1",
            WwnType::UnitSerial => "a UUID",
        }
    }

    /// Rewrites alternative spellings into the canonical one (lower case;
    /// for hex types no 0x, ':' or '-', and the type prefix).
    fn cleanse(self, wwn: &str) -> String {
        let mut w = wwn.trim().to_ascii_lowercase();
        if matches!(self, WwnType::Naa | WwnType::Eui | WwnType::Ib) {
            if let Some(rest) = w.strip_prefix("0x") {
                w = rest.to_string();
            }
            w = w.replace(['-', ':'], "");
            if !(w.starts_with("naa.") || w.starts_with("eui.") || w.starts_with("ib.")) {
                w = format!("{}.{w}", self.name());
            }
        }
        w
    }

    fn accepts(self, w: &str) -> bool {
        fn hex(s: &str, n: usize) -> bool {
            s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit())
        }
        fn lower_hex(s: &str, n: usize) -> bool {
            hex(s, n) && !s.bytes().any(|b| b.is_ascii_uppercase())
        }
        match self {
            WwnType::Free => true,
            WwnType::Iqn => {
                let b = w.as_bytes();
                w.len() > 12
                    && w.starts_with("iqn.")
                    && b[4..8].iter().all(u8::is_ascii_digit)
                    && b[8] == b'-'
                    && (b[9] == b'0' || b[9] == b'1')
                    && b[10].is_ascii_digit()
                    && b[11] == b'.'
                    && w[12..].contains('.')
                    && !w.contains(' ')
                    && !w.contains('_')
            }
            WwnType::Naa => w
                .strip_prefix("naa.")
                .is_some_and(|r| hex(r, 16) && matches!(r.as_bytes()[0], b'1' | b'2' | b'5')),
            WwnType::Eui => w.strip_prefix("eui.").is_some_and(|r| lower_hex(r, 16)),
            WwnType::Ib => w.strip_prefix("ib.").is_some_and(|r| lower_hex(r, 32)),
            WwnType::UnitSerial => {
                let parts: Vec<&str> = w.split('-').collect();
                parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| hex(p, n))
            }
        }
    }
}

/// Checks `wwn` against the accepted `types` (in order) and returns it in
/// canonical form with the type it matched.
pub fn normalize(types: &[WwnType], wwn: &str) -> Result<(String, WwnType)> {
    for &t in types {
        let w = t.cleanse(wwn);
        if t.accepts(&w) {
            return Ok((w, t));
        }
    }
    let expected: Vec<String> = types
        .iter()
        .map(|t| format!("{} (e.g. {})", t.name(), t.example()))
        .collect();
    Err(Error::invalid(
        "WWN",
        wwn,
        format!("expected {}", expected.join(" or ")),
    ))
}

/// 16 random bytes from the kernel.
fn random_bytes() -> [u8; 16] {
    use std::io::Read;
    let mut b = [0u8; 16];
    // /dev/urandom never blocks and is always there on Linux; if it were
    // not, a time-based fallback still gives distinct names.
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_err()
    {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        b = (t ^ (u128::from(std::process::id()) << 64)).to_le_bytes();
    }
    b
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random version-4 UUID in its usual text form.
pub fn uuid4() -> String {
    let mut b = random_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex_string(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A new WWN of the given type, in the form rtslib-fb generates.
pub fn generate(t: WwnType) -> String {
    let hex = hex_string(&random_bytes());
    match t {
        WwnType::Naa => format!("naa.5001405{}", &hex[..9]),
        WwnType::Eui => format!("eui.001405{}", &hex[..10]),
        WwnType::Iqn => {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .unwrap_or_else(|_| "localhost".into());
            let host = host.trim().split('.').next().unwrap_or("").replace('_', "");
            let arch = std::env::consts::ARCH.replace('_', "");
            format!(
                "iqn.2003-01.org.linux-iscsi.{}.{}:sn.{}",
                host.to_lowercase(),
                arch,
                &hex[..12]
            )
        }
        WwnType::Ib => format!("ib.{hex}"),
        WwnType::Free | WwnType::UnitSerial => uuid4(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_naa_spellings() {
        let t = [WwnType::Naa];
        assert_eq!(
            normalize(&t, "naa.5001405ABCDEF012").unwrap().0,
            "naa.5001405abcdef012"
        );
        assert_eq!(
            normalize(&t, "0x5001405abcdef012").unwrap().0,
            "naa.5001405abcdef012"
        );
        assert_eq!(
            normalize(&t, "50:01:40:5a:bc:de:f0:12").unwrap().0,
            "naa.5001405abcdef012"
        );
        assert!(normalize(&t, "naa.6001405abcdef012").is_err());
        assert!(normalize(&t, "naa.5001405abcdef01").is_err());
    }

    #[test]
    fn checks_iqns() {
        let t = [WwnType::Iqn, WwnType::Naa, WwnType::Eui];
        let (w, ty) = normalize(&t, "IQN.2003-01.org.Example:t1").unwrap();
        assert_eq!(
            (w.as_str(), ty),
            ("iqn.2003-01.org.example:t1", WwnType::Iqn)
        );
        assert_eq!(
            normalize(&t, "eui.0123456789abcdef").unwrap().1,
            WwnType::Eui
        );
        for bad in [
            "iqn.2003-21.org.x",
            "iqn.03-01.org.x",
            "iqn.2003-01.org_x.y",
            "foo",
        ] {
            let e = normalize(&t, bad).unwrap_err().to_string();
            assert!(e.contains("expected iqn"), "{bad}: {e}");
        }
    }

    #[test]
    fn generated_names_are_valid_and_distinct() {
        for t in [
            WwnType::Naa,
            WwnType::Eui,
            WwnType::Iqn,
            WwnType::Ib,
            WwnType::UnitSerial,
        ] {
            let a = generate(t);
            assert_eq!(normalize(&[t], &a).unwrap().0, a, "{a}");
            assert_ne!(a, generate(t));
        }
        let u = uuid4();
        assert_eq!(&u[14..15], "4");
    }
}
