// SPDX-License-Identifier: GPL-2.0

//! iSCSI text keys (RFC 7143 sections 6 and 13): the `key=value` pairs of
//! Login and Text PDUs, the parameters a target portal group offers (LIO's
//! `tpgt_<N>/param/` with its defaults and the checks of a configfs
//! write), and the negotiation of one key against the target's value.
//!
//! `core` only, no allocation, no panics on any input.

/// The longest key (RFC 7143 6.1: 63 bytes).
pub const KEY_MAX: usize = 63;
/// The longest value of a standard key (RFC 7143 6.1: 255 bytes).
pub const VALUE_MAX: usize = 255;

/// Why text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    /// A pair without `=`.
    NoSeparator,
    /// An empty key, or one longer than [`KEY_MAX`].
    BadKey,
    /// A value longer than allowed.
    ValueTooLong,
    /// A value the key does not allow.
    BadValue,
    /// No room in the output buffer.
    NoSpace,
}

/// The `key=value` pairs of a data segment: NUL-terminated strings (the
/// last NUL may be missing; empty strings, such as padding, are skipped).
pub fn pairs(data: &[u8]) -> Pairs<'_> {
    Pairs { rest: data }
}

/// Iterator of [`pairs`].
#[derive(Clone, Debug)]
pub struct Pairs<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Pairs<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), TextError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let end = self
                .rest
                .iter()
                .position(|&c| c == 0)
                .unwrap_or(self.rest.len());
            let (item, rest) = self.rest.split_at(end);
            self.rest = rest.get(1..).unwrap_or(&[]);
            if item.is_empty() {
                continue;
            }
            return Some(split_pair(item));
        }
    }
}

/// Splits one `key=value` string.
pub fn split_pair(item: &[u8]) -> Result<(&[u8], &[u8]), TextError> {
    let eq = item
        .iter()
        .position(|&c| c == b'=')
        .ok_or(TextError::NoSeparator)?;
    let (key, value) = item.split_at(eq);
    let value = value.get(1..).unwrap_or(&[]);
    if key.is_empty() || key.len() > KEY_MAX {
        return Err(TextError::BadKey);
    }
    Ok((key, value))
}

/// Writes `key=value` pairs, each NUL-terminated, into a buffer.
#[derive(Debug)]
pub struct TextWriter<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl<'a> TextWriter<'a> {
    /// A writer that fills `out` from its start.
    pub fn new(out: &'a mut [u8]) -> Self {
        Self { out, len: 0 }
    }

    /// Appends `key=value\0`, all or nothing.
    pub fn pair(&mut self, key: &[u8], value: &[u8]) -> Result<(), TextError> {
        let need = key.len() + 1 + value.len() + 1;
        let dst = self
            .out
            .get_mut(self.len..self.len + need)
            .ok_or(TextError::NoSpace)?;
        let (k, rest) = dst.split_at_mut(key.len());
        k.copy_from_slice(key);
        let (eq, rest) = rest.split_at_mut(1);
        eq[0] = b'=';
        let (v, nul) = rest.split_at_mut(value.len());
        v.copy_from_slice(value);
        nul[0] = 0;
        self.len += need;
        Ok(())
    }

    /// Appends `key=<number>\0`.
    pub fn pair_u32(&mut self, key: &[u8], value: u32) -> Result<(), TextError> {
        let mut digits = [0u8; 10];
        let text = decimal(value, &mut digits);
        self.pair(key, text)
    }

    /// The bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Nothing written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// `v` in decimal, in `buf`.
pub fn decimal(mut v: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or(&[])
}

/// A numerical value on the wire (RFC 7143 6.1: decimal, or hexadecimal
/// with `0x`), at most `u32::MAX`.
pub fn parse_number(value: &[u8]) -> Option<u32> {
    let (radix, digits) = match value {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        _ => (10, value),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in digits {
        let d = char::from(c).to_digit(radix)?;
        n = n * u64::from(radix) + u64::from(d);
        if n > u64::from(u32::MAX) {
            return None;
        }
    }
    u32::try_from(n).ok()
}

/// How a key's value is checked and negotiated (LIO's `type_range`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `Yes` or `No`; the result is `Yes` only if both say `Yes`.
    BoolAnd,
    /// `Yes` or `No`; the result is `Yes` if either says `Yes`.
    BoolOr,
    /// A number in `min..=max`; the result is the smaller of the two.
    NumberMin(u32, u32),
    /// A number in `min..=max`; the result is the larger of the two.
    NumberMax(u32, u32),
    /// A number in `min..=max` that each side declares for itself.
    Declared(u32, u32),
    /// A list of authentication methods: `KRB5`, `SPKM1`, `SPKM2`, `SRP`,
    /// `CHAP`, `None`.
    AuthList,
    /// A list of digests: `CRC32C`, `None`.
    DigestList,
    /// Any text (no commas in a configfs write, as LIO).
    Text,
}

/// One parameter of a TPG's `param/` directory.
#[derive(Clone, Copy, Debug)]
pub struct ParamDef {
    /// The key, which is also the attribute's name.
    pub name: &'static str,
    /// How its values are checked.
    pub kind: Kind,
    /// LIO's initial value.
    pub default: &'static str,
}

const fn def(name: &'static str, kind: Kind, default: &'static str) -> ParamDef {
    ParamDef {
        name,
        kind,
        default,
    }
}

/// The 24-bit lengths' range.
const LEN_MIN: u32 = 512;
const LEN_MAX: u32 = 16_777_215;

/// The parameters of `tpgt_<N>/param/`, in LIO's order, with LIO's
/// defaults (its `INITIAL_*` values).
pub const TPG_PARAMS: [ParamDef; 21] = [
    def("AuthMethod", Kind::AuthList, "CHAP"),
    def("HeaderDigest", Kind::DigestList, "CRC32C,None"),
    def("DataDigest", Kind::DigestList, "CRC32C,None"),
    def("MaxConnections", Kind::NumberMin(1, 65535), "1"),
    def("TargetAlias", Kind::Text, "LIO Target"),
    def("InitialR2T", Kind::BoolOr, "Yes"),
    def("ImmediateData", Kind::BoolAnd, "Yes"),
    def(
        "MaxRecvDataSegmentLength",
        Kind::Declared(LEN_MIN, LEN_MAX),
        "8192",
    ),
    def(
        "MaxXmitDataSegmentLength",
        Kind::Declared(LEN_MIN, LEN_MAX),
        "262144",
    ),
    def(
        "MaxBurstLength",
        Kind::NumberMin(LEN_MIN, LEN_MAX),
        "262144",
    ),
    def(
        "FirstBurstLength",
        Kind::NumberMin(LEN_MIN, LEN_MAX),
        "65536",
    ),
    def("DefaultTime2Wait", Kind::NumberMax(0, 3600), "2"),
    def("DefaultTime2Retain", Kind::NumberMin(0, 3600), "20"),
    def("MaxOutstandingR2T", Kind::NumberMin(1, 65535), "1"),
    def("DataPDUInOrder", Kind::BoolOr, "Yes"),
    def("DataSequenceInOrder", Kind::BoolOr, "Yes"),
    def("ErrorRecoveryLevel", Kind::NumberMin(0, 2), "0"),
    def("IFMarker", Kind::BoolAnd, "No"),
    def("OFMarker", Kind::BoolAnd, "No"),
    def("IFMarkInt", Kind::Text, "Reject"),
    def("OFMarkInt", Kind::Text, "Reject"),
];

/// The index of `name` in [`TPG_PARAMS`].
pub fn tpg_param_index(name: &[u8]) -> Option<usize> {
    TPG_PARAMS.iter().position(|p| p.name.as_bytes() == name)
}

/// What a write to `param/<name>` stores: the bytes written less one
/// trailing white-space character (LIO kills the newline that way).
pub fn configfs_value(input: &[u8]) -> &[u8] {
    match input {
        [rest @ .., last] if last.is_ascii_whitespace() || *last == 0x0b => rest,
        _ => input,
    }
}

/// The number `simple_strtoul(s, .., 0)` reads from the start of `s`,
/// truncated to 32 bits as LIO's `int` keeps it: leading digits only,
/// trailing text ignored, 0 for none.
fn lenient_number(s: &[u8]) -> i32 {
    let (radix, digits): (u32, &[u8]) = match s {
        [b'0', b'x' | b'X', d, ..] if d.is_ascii_hexdigit() => (16, s.get(2..).unwrap_or(&[])),
        [b'0', ..] => (8, s),
        _ => (10, s),
    };
    let mut n: u64 = 0;
    for &c in digits {
        let Some(d) = char::from(c).to_digit(radix) else {
            break;
        };
        n = n.wrapping_mul(u64::from(radix)).wrapping_add(u64::from(d));
    }
    n as u32 as i32
}

const AUTH_METHODS: [&[u8]; 6] = [b"KRB5", b"SPKM1", b"SPKM2", b"SRP", b"CHAP", b"None"];
const DIGESTS: [&[u8]; 2] = [b"CRC32C", b"None"];

/// Checks a value written to `param/<name>` as LIO does
/// (`iscsi_check_value` for a configfs write): `Irrelevant` is taken for
/// any key, `Reject` only for `IFMarkInt` and `OFMarkInt`,
/// `NotUnderstood` never; a comma only in the lists; each element at most
/// 255 bytes; Booleans `Yes` or `No`; numbers read leniently (leading
/// digits, `0x` or `0` prefix) and checked against the key's range; list
/// elements from the key's set. Also refused (a tcm-rs limit, not LIO's):
/// values longer than 255 bytes in all.
pub fn check_configfs_value(def: &ParamDef, value: &[u8]) -> Result<(), TextError> {
    if value.len() > VALUE_MAX {
        return Err(TextError::ValueTooLong);
    }
    if value == b"Reject" {
        return if matches!(def.name, "IFMarkInt" | "OFMarkInt") {
            Ok(())
        } else {
            Err(TextError::BadValue)
        };
    }
    if value == b"Irrelevant" {
        return Ok(());
    }
    if value == b"NotUnderstood" {
        return Err(TextError::BadValue);
    }
    let list = matches!(def.kind, Kind::AuthList | Kind::DigestList);
    if !list && value.contains(&b',') {
        return Err(TextError::BadValue);
    }
    for element in value.split(|&c| c == b',') {
        let ok = match def.kind {
            Kind::BoolAnd | Kind::BoolOr => element == b"Yes" || element == b"No",
            Kind::NumberMin(min, max) | Kind::NumberMax(min, max) | Kind::Declared(min, max) => {
                let n = lenient_number(element);
                u32::try_from(n).is_ok_and(|n| (min..=max).contains(&n))
            }
            Kind::AuthList => AUTH_METHODS.contains(&element),
            Kind::DigestList => DIGESTS.contains(&element),
            Kind::Text => true,
        };
        if !ok {
            return Err(TextError::BadValue);
        }
    }
    Ok(())
}

/// A parameter's value, kept without allocation.
#[derive(Clone, Copy, Debug)]
pub struct Value {
    buf: [u8; VALUE_MAX],
    len: usize,
}

impl Value {
    /// `text`, cut to [`VALUE_MAX`] bytes.
    pub fn new(text: &[u8]) -> Self {
        let mut v = Value {
            buf: [0; VALUE_MAX],
            len: 0,
        };
        let n = text.len().min(VALUE_MAX);
        v.buf[..n].copy_from_slice(&text[..n]);
        v.len = n;
        v
    }

    /// The value's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Appends `text`, as much as fits.
    fn push(&mut self, text: &[u8]) {
        for &c in text {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = c;
                self.len += 1;
            }
        }
    }
}

impl Value {
    /// LIO's initial value of parameter `index` of [`TPG_PARAMS`].
    pub fn tpg_default(index: usize) -> Self {
        Value::new(TPG_PARAMS.get(index).map_or("", |d| d.default).as_bytes())
    }
}

/// The values of a TPG's parameters are a slice of [`Value`]s in
/// [`TPG_PARAMS`] order (the kernel keeps them in a vector, one value on
/// the stack at a time). The value of parameter `index`.
pub fn tpg_get(values: &[Value], index: usize) -> &[u8] {
    values.get(index).map_or(&[], Value::as_bytes)
}

/// A configfs write to parameter `index`: checked, then stored.
pub fn tpg_store(values: &mut [Value], index: usize, input: &[u8]) -> Result<(), TextError> {
    let def = TPG_PARAMS.get(index).ok_or(TextError::BadKey)?;
    let value = configfs_value(input);
    check_configfs_value(def, value)?;
    let slot = values.get_mut(index).ok_or(TextError::BadKey)?;
    *slot = Value::new(value);
    Ok(())
}

/// `AuthMethod` is the first parameter.
const AUTH_METHOD: usize = 0;

/// `attrib/authentication` changes `AuthMethod` as LIO's
/// `iscsit_ta_authentication`: 1 removes the first `None` from the list
/// (a list that is only `None` stays), 0 appends `,None` unless `None` is
/// there.
pub fn tpg_set_authentication(values: &mut [Value], enforce: bool) {
    let Some(slot) = values.get_mut(AUTH_METHOD) else {
        return;
    };
    let cur = *slot;
    let text = cur.as_bytes();
    let mut out = Value::new(b"");
    let at = text.windows(4).position(|w| w == b"None");
    if enforce {
        let Some(at) = at else { return };
        if at == 0 {
            match text.get(4) {
                Some(b',') => out.push(text.get(5..).unwrap_or(&[])),
                _ => return,
            }
        } else {
            // Drop the separator before `None` and `None` itself.
            out.push(text.get(..at - 1).unwrap_or(&[]));
            if text.get(at + 4) == Some(&b',') {
                out.push(text.get(at + 4..).unwrap_or(&[]));
            }
        }
    } else {
        if at.is_some() {
            return;
        }
        out.push(text);
        out.push(b",None");
    }
    *slot = out;
}

/// Enabling a TPG that enforces authentication turns `AuthMethod=None`
/// into `CHAP` first (LIO's `iscsit_tpg_enable_portal_group`).
pub fn tpg_enable_with_authentication(values: &mut [Value]) {
    if let Some(slot) = values.get_mut(AUTH_METHOD) {
        if slot.as_bytes() == b"None" {
            *slot = Value::new(b"CHAP");
        }
    }
    tpg_set_authentication(values, true);
}

/// The answer to one offered key (RFC 7143 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer<'a> {
    /// Reply with this value (taken from the offer or from ours).
    Value(&'a [u8]),
    /// Reply with this number.
    Number(u32),
    /// Reply `Reject`: the offer is not acceptable.
    Reject,
    /// Reply `Irrelevant`.
    Irrelevant,
}

/// Negotiates one offered value against the target's (RFC 7143 13.3-13.5):
/// lists pick the first offered value the target also lists; Booleans
/// combine by AND or OR; numbers take the minimum or maximum; declared
/// values are taken as the initiator's own and answered with the target's.
/// An out-of-range or malformed offer is a [`TextError::BadValue`], which
/// fails the login (RFC 7143 13.3: a value out of range is a protocol
/// error).
pub fn negotiate<'a>(
    kind: Kind,
    ours: &'a [u8],
    offered: &'a [u8],
) -> Result<Answer<'a>, TextError> {
    if offered.len() > VALUE_MAX {
        return Err(TextError::ValueTooLong);
    }
    if offered == b"Irrelevant" {
        return Ok(Answer::Irrelevant);
    }
    match kind {
        Kind::AuthList | Kind::DigestList => {
            for o in offered.split(|&c| c == b',') {
                if ours.split(|&c| c == b',').any(|t| t == o) {
                    return Ok(Answer::Value(o));
                }
            }
            Ok(Answer::Reject)
        }
        Kind::BoolAnd | Kind::BoolOr => {
            let o = bool_value(offered).ok_or(TextError::BadValue)?;
            let t = bool_value(ours).ok_or(TextError::BadValue)?;
            let r = if kind == Kind::BoolAnd {
                o && t
            } else {
                o || t
            };
            Ok(Answer::Value(if r { b"Yes" } else { b"No" }))
        }
        Kind::NumberMin(min, max) | Kind::NumberMax(min, max) | Kind::Declared(min, max) => {
            let o = parse_number(offered).ok_or(TextError::BadValue)?;
            if !(min..=max).contains(&o) {
                return Err(TextError::BadValue);
            }
            let t = parse_number(ours).ok_or(TextError::BadValue)?;
            Ok(Answer::Number(match kind {
                Kind::NumberMin(..) => o.min(t),
                Kind::NumberMax(..) => o.max(t),
                _ => t,
            }))
        }
        Kind::Text => Ok(Answer::Value(ours)),
    }
}

/// The target's answer to one key of a login's operational stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpAnswer<'a> {
    /// `key=<this>`.
    Value(&'a [u8]),
    /// `key=<this number>`.
    Number(u32),
    /// `MaxRecvDataSegmentLength`: the initiator declared it receives
    /// `theirs` bytes per PDU; the target answers with its own, `ours`.
    MaxRecv {
        /// What the target may send per PDU.
        theirs: u32,
        /// What the target declares it receives.
        ours: u32,
    },
    /// No answer: the offer alone decides a Boolean (`No` for an AND,
    /// `Yes` for an OR), and the answer is optional (RFC 7143 13.3).
    Omit,
}

/// How a target without digests and with error recovery level 0 answers
/// one key of a login's operational stage, as LIO answers it
/// (`iscsi_check_acceptor_state`) with its defaults otherwise: digests
/// `None` (`Reject` if the initiator offers only CRC32C), markers `No` and
/// their intervals `Reject`, `MaxRecvDataSegmentLength` declared both ways,
/// Booleans that the offer alone decides not answered, the other keys of
/// [`TPG_PARAMS`] negotiated against LIO's default, unknown keys
/// `NotUnderstood`. A malformed or out-of-range offer is an error, which
/// fails the login.
pub fn answer_operational<'a>(
    key: &'a [u8],
    value: &'a [u8],
    our_max_recv: u32,
) -> Result<OpAnswer<'a>, TextError> {
    if value == b"Irrelevant" {
        return Ok(OpAnswer::Value(b"Irrelevant"));
    }
    let ours: &[u8] = match key {
        b"HeaderDigest" | b"DataDigest" => b"None",
        b"MaxRecvDataSegmentLength" => {
            let theirs = parse_number(value).ok_or(TextError::BadValue)?;
            if !(LEN_MIN..=LEN_MAX).contains(&theirs) {
                return Err(TextError::BadValue);
            }
            return Ok(OpAnswer::MaxRecv {
                theirs,
                ours: our_max_recv,
            });
        }
        // Markers are not supported: whatever is offered, No.
        b"IFMarker" | b"OFMarker" => {
            bool_value(value).ok_or(TextError::BadValue)?;
            return Ok(OpAnswer::Value(b"No"));
        }
        b"IFMarkInt" | b"OFMarkInt" => return Ok(OpAnswer::Value(b"Reject")),
        b"ErrorRecoveryLevel" => b"0",
        _ => match tpg_param_index(key).and_then(|i| TPG_PARAMS.get(i)) {
            Some(d) => d.default.as_bytes(),
            None => return Ok(OpAnswer::Value(b"NotUnderstood")),
        },
    };
    let kind = tpg_param_index(key)
        .and_then(|i| TPG_PARAMS.get(i))
        .map_or(Kind::Text, |d| d.kind);
    match (kind, bool_value(value)) {
        (Kind::BoolAnd, Some(false)) | (Kind::BoolOr, Some(true)) => return Ok(OpAnswer::Omit),
        _ => {}
    }
    Ok(match negotiate(kind, ours, value)? {
        Answer::Value(v) => OpAnswer::Value(v),
        Answer::Number(n) => OpAnswer::Number(n),
        Answer::Reject => OpAnswer::Value(b"Reject"),
        Answer::Irrelevant => OpAnswer::Value(b"Irrelevant"),
    })
}

fn bool_value(v: &[u8]) -> Option<bool> {
    match v {
        b"Yes" => Some(true),
        b"No" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_split() {
        let data = b"InitiatorName=iqn.x\0SessionType=Normal\0\0\0";
        let v: [_; 2] = [
            (&b"InitiatorName"[..], &b"iqn.x"[..]),
            (&b"SessionType"[..], &b"Normal"[..]),
        ];
        let got: Result<std::vec::Vec<_>, _> = pairs(data).collect();
        assert_eq!(got.unwrap(), v);
        let mut it = pairs(b"novalue\0a=b");
        assert_eq!(it.next(), Some(Err(TextError::NoSeparator)));
        assert_eq!(it.next(), Some(Ok((&b"a"[..], &b"b"[..]))));
        assert_eq!(it.next(), None);
        assert_eq!(split_pair(b"=x"), Err(TextError::BadKey));
        assert_eq!(split_pair(b"k="), Ok((&b"k"[..], &b""[..])));
    }

    #[test]
    fn writer() {
        let mut buf = [0xffu8; 24];
        let mut w = TextWriter::new(&mut buf);
        w.pair(b"A", b"Yes").unwrap();
        w.pair_u32(b"N", 8192).unwrap();
        assert_eq!(w.pair(b"Long", b"0123456789"), Err(TextError::NoSpace));
        let n = w.len();
        assert_eq!(&buf[..n], b"A=Yes\0N=8192\0");
        assert_eq!(buf[n], 0xff);
        let mut d = [0u8; 10];
        assert_eq!(decimal(0, &mut d), b"0");
        assert_eq!(decimal(u32::MAX, &mut d), b"4294967295");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"8192"), Some(8192));
        assert_eq!(parse_number(b"0x2000"), Some(8192));
        assert_eq!(parse_number(b"4294967296"), None);
        assert_eq!(parse_number(b""), None);
        assert_eq!(parse_number(b"12a"), None);
        assert_eq!(lenient_number(b"12abc"), 12);
        assert_eq!(lenient_number(b"0x10"), 16);
        assert_eq!(lenient_number(b"010"), 8);
        assert_eq!(lenient_number(b"0xg"), 0);
        assert_eq!(lenient_number(b"-1"), 0);
        assert_eq!(lenient_number(b"4294967808"), 512);
    }

    #[test]
    fn configfs_checks_as_lio() {
        let p = |n: &str| TPG_PARAMS[tpg_param_index(n.as_bytes()).unwrap()];
        let ok = |n: &str, v: &[u8]| check_configfs_value(&p(n), v).is_ok();
        assert!(ok("MaxRecvDataSegmentLength", b"512"));
        assert!(!ok("MaxRecvDataSegmentLength", b"511"));
        assert!(!ok("MaxRecvDataSegmentLength", b"16777216"));
        assert!(ok("MaxRecvDataSegmentLength", b"0x400"));
        assert!(ok("MaxRecvDataSegmentLength", b"1024 bytes"));
        assert!(ok("DefaultTime2Wait", b""));
        assert!(ok("InitialR2T", b"No"));
        assert!(!ok("InitialR2T", b"no"));
        assert!(!ok("InitialR2T", b"Yes,No"));
        assert!(ok("AuthMethod", b"CHAP,None"));
        assert!(!ok("AuthMethod", b"CHAP,,None"));
        assert!(!ok("AuthMethod", b"chap"));
        assert!(ok("HeaderDigest", b"None"));
        assert!(!ok("HeaderDigest", b"CRC32"));
        assert!(ok("TargetAlias", b"my target"));
        assert!(!ok("TargetAlias", b"a,b"));
        assert!(ok("ErrorRecoveryLevel", b"2"));
        assert!(!ok("ErrorRecoveryLevel", b"3"));
        assert!(ok("MaxConnections", b"Irrelevant"));
        assert!(!ok("MaxConnections", b"Reject"));
        assert!(ok("IFMarkInt", b"Reject"));
        assert!(!ok("IFMarker", b"NotUnderstood"));
        assert!(!ok("TargetAlias", &[b'a'; 256]));
        assert_eq!(configfs_value(b"Yes\n"), b"Yes");
        assert_eq!(configfs_value(b"Yes \n"), b"Yes ");
        assert_eq!(configfs_value(b"Yes"), b"Yes");
    }

    fn defaults() -> std::vec::Vec<Value> {
        (0..TPG_PARAMS.len()).map(Value::tpg_default).collect()
    }

    fn name(n: &str) -> usize {
        tpg_param_index(n.as_bytes()).unwrap()
    }

    #[test]
    fn tpg_params_store_and_show() {
        let mut t = defaults();
        assert_eq!(tpg_get(&t, name("MaxBurstLength")), b"262144");
        assert_eq!(tpg_get(&t, name("IFMarkInt")), b"Reject");
        let i = name("MaxBurstLength");
        tpg_store(&mut t, i, b"1048576\n").unwrap();
        assert_eq!(tpg_get(&t, i), b"1048576");
        assert_eq!(tpg_store(&mut t, i, b"1\n"), Err(TextError::BadValue));
        assert_eq!(tpg_get(&t, i), b"1048576");
        assert_eq!(tpg_store(&mut t, 99, b"1"), Err(TextError::BadKey));
        assert_eq!(tpg_get(&t, 99), b"");
    }

    #[test]
    fn authentication_rewrites_authmethod() {
        let mut t = defaults();
        let auth = |t: &[Value]| std::string::String::from_utf8(tpg_get(t, 0).to_vec()).unwrap();
        assert_eq!(auth(&t), "CHAP");
        tpg_set_authentication(&mut t, false);
        assert_eq!(auth(&t), "CHAP,None");
        tpg_set_authentication(&mut t, false);
        assert_eq!(auth(&t), "CHAP,None");
        tpg_set_authentication(&mut t, true);
        assert_eq!(auth(&t), "CHAP");
        for (from, to) in [
            ("None,CHAP", "CHAP"),
            ("CHAP,None,SRP", "CHAP,SRP"),
            ("None", "None"),
            ("SRP", "SRP"),
        ] {
            tpg_store(&mut t, 0, from.as_bytes()).unwrap();
            tpg_set_authentication(&mut t, true);
            assert_eq!(auth(&t), to, "{from}");
        }
        tpg_store(&mut t, 0, b"None").unwrap();
        tpg_enable_with_authentication(&mut t);
        assert_eq!(auth(&t), "CHAP");
    }

    #[test]
    fn operational_answers() {
        use OpAnswer::*;
        let a = |k: &'static str, v: &'static str| {
            answer_operational(k.as_bytes(), v.as_bytes(), 262144)
        };
        assert_eq!(a("HeaderDigest", "CRC32C,None"), Ok(Value(b"None")));
        assert_eq!(a("DataDigest", "CRC32C"), Ok(Value(b"Reject")));
        assert_eq!(a("ErrorRecoveryLevel", "2"), Ok(Number(0)));
        assert_eq!(a("ErrorRecoveryLevel", "3"), Err(TextError::BadValue));
        assert_eq!(
            a("MaxRecvDataSegmentLength", "32768"),
            Ok(MaxRecv {
                theirs: 32768,
                ours: 262144
            })
        );
        assert_eq!(
            a("MaxRecvDataSegmentLength", "100"),
            Err(TextError::BadValue)
        );
        assert_eq!(a("MaxBurstLength", "1048576"), Ok(Number(262144)));
        assert_eq!(a("FirstBurstLength", "8192"), Ok(Number(8192)));
        assert_eq!(a("DefaultTime2Wait", "0"), Ok(Number(2)));
        assert_eq!(a("DefaultTime2Retain", "0"), Ok(Number(0)));
        assert_eq!(a("IFMarker", "Yes"), Ok(Value(b"No")));
        assert_eq!(a("IFMarker", "maybe"), Err(TextError::BadValue));
        assert_eq!(a("OFMarkInt", "2048"), Ok(Value(b"Reject")));
        assert_eq!(a("X-com.example.key", "1"), Ok(Value(b"NotUnderstood")));
        assert_eq!(a("InitialR2T", "No"), Ok(Value(b"Yes")));
        assert_eq!(a("InitialR2T", "Yes"), Ok(Omit));
        assert_eq!(a("ImmediateData", "No"), Ok(Omit));
        assert_eq!(a("ImmediateData", "Yes"), Ok(Value(b"Yes")));
        assert_eq!(a("DataPDUInOrder", "Yes"), Ok(Omit));
        assert_eq!(a("MaxConnections", "Irrelevant"), Ok(Value(b"Irrelevant")));
    }

    #[test]
    fn negotiation() {
        use Answer::*;
        assert_eq!(
            negotiate(Kind::DigestList, b"CRC32C,None", b"None,CRC32C"),
            Ok(Value(b"None"))
        );
        assert_eq!(negotiate(Kind::DigestList, b"None", b"CRC32C"), Ok(Reject));
        assert_eq!(
            negotiate(Kind::AuthList, b"CHAP,None", b"None"),
            Ok(Value(b"None"))
        );
        assert_eq!(negotiate(Kind::BoolAnd, b"Yes", b"No"), Ok(Value(b"No")));
        assert_eq!(negotiate(Kind::BoolOr, b"Yes", b"No"), Ok(Value(b"Yes")));
        assert_eq!(
            negotiate(Kind::BoolOr, b"Yes", b"maybe"),
            Err(TextError::BadValue)
        );
        assert_eq!(
            negotiate(Kind::NumberMin(512, LEN_MAX), b"262144", b"16776192"),
            Ok(Number(262144))
        );
        assert_eq!(
            negotiate(Kind::NumberMax(0, 3600), b"2", b"0"),
            Ok(Number(2))
        );
        assert_eq!(
            negotiate(Kind::NumberMin(512, LEN_MAX), b"262144", b"100"),
            Err(TextError::BadValue)
        );
        assert_eq!(
            negotiate(Kind::Declared(512, LEN_MAX), b"8192", b"262144"),
            Ok(Number(8192))
        );
        assert_eq!(
            negotiate(Kind::BoolAnd, b"Yes", b"Irrelevant"),
            Ok(Irrelevant)
        );
    }
}
