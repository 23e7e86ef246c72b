//! Reading a command line: words, the node, the verb, and the named or
//! positional parameters a verb takes.

use std::collections::BTreeMap;

use super::Command;
use crate::error::{Error, Result};
use crate::path;

/// Splits a line into words, honouring single and double quotes and
/// backslash escapes.
pub fn split_words(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') | (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(Error::Usage(format!("unterminated quote in: {line}")));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Parses a command line. A first word starting with '/', '.' or naming a
/// path is the node; then the verb; then arguments.
pub fn parse(line: &str) -> Result<Option<Command>> {
    let line = line.split_once('#').map(|(a, _)| a).unwrap_or(line);
    Ok(parse_words(split_words(line)?))
}

/// Parses a command already split into words (e.g. the program's arguments).
pub fn parse_words(words: Vec<String>) -> Option<Command> {
    let mut it = words.into_iter();
    let first = it.next()?;
    let mut cmd = Command::default();
    if path::is_path(&first) {
        cmd.path = Some(first);
        cmd.verb = it.next().unwrap_or_else(|| "ls".into());
    } else {
        cmd.verb = first;
    }
    for w in it {
        match w.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains('/') => {
                cmd.kwargs.insert(k.to_string(), v.to_string());
            }
            _ => cmd.args.push(w),
        }
    }
    Some(cmd)
}

pub(super) fn parse_bool(what: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err(Error::invalid(what, v, "write true or false")),
    }
}

/// Named-or-positional parameters of a verb, as targetcli takes them.
pub(super) struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    pub(super) fn bind(cmd: &Command, names: &[&str]) -> Result<Params> {
        let mut values = cmd.kwargs.clone();
        if cmd.args.len() > names.len() {
            return Err(Error::Usage(format!(
                "{} takes at most {} positional argument(s) ({}); got: {}",
                cmd.verb,
                names.len(),
                names.join(" "),
                cmd.args.join(" ")
            )));
        }
        for (name, v) in names.iter().zip(&cmd.args) {
            if values.insert(name.to_string(), v.clone()).is_some() {
                return Err(Error::Usage(format!("{name} given twice")));
            }
        }
        if let Some(k) = values.keys().find(|k| !names.contains(&k.as_str())) {
            return Err(Error::Usage(format!(
                "{} does not take {k}=; it takes: {}",
                cmd.verb,
                names.join(" ")
            )));
        }
        Ok(Params { values })
    }
    pub(super) fn get(&self, k: &str) -> Option<&str> {
        self.values.get(k).map(String::as_str)
    }
    pub(super) fn need(&self, k: &str, verb: &str) -> Result<&str> {
        self.get(k)
            .ok_or_else(|| Error::Usage(format!("{verb} needs {k}= (see `help {verb}`)")))
    }
    pub(super) fn flag(&self, k: &str, default: bool) -> Result<bool> {
        self.get(k).map(|v| parse_bool(k, v)).unwrap_or(Ok(default))
    }
    pub(super) fn num(&self, k: &str, prefix: &str) -> Result<Option<u32>> {
        self.get(k)
            .map(|v| {
                v.strip_prefix(prefix)
                    .unwrap_or(v)
                    .parse()
                    .map_err(|_| Error::invalid(k, v, "expected a number"))
            })
            .transpose()
    }
    /// A number that must be given (`prefix` may precede it, as in `lun0`).
    pub(super) fn need_num(&self, k: &str, prefix: &str, verb: &str) -> Result<u32> {
        self.num(k, prefix)?
            .ok_or_else(|| Error::Usage(format!("{verb} needs {k}= (see `help {verb}`)")))
    }
    /// A TCP port, 3260 when not given.
    pub(super) fn port(&self, k: &str) -> Result<u16> {
        let port = self.num(k, "")?.unwrap_or(3260);
        u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| Error::invalid(k, port.to_string(), "must be 1 to 65535"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            split_words(r#"set auth userid="a b" password='c\'d'"#).unwrap(),
            vec!["set", "auth", "userid=a b", "password=c'd"]
        );
        let e = split_words("set auth userid=\"open")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unterminated quote"), "{e}");
        assert_eq!(
            split_words(r#"a "b c" d\ e ''"#).unwrap(),
            vec!["a", "b c", "d e", ""]
        );
    }

    #[test]
    fn parses_paths_verbs_and_kwargs() {
        let c = parse("/backstores/ramdisk create name=rd0 size=1G # comment")
            .unwrap()
            .unwrap();
        assert_eq!(c.path.as_deref(), Some("/backstores/ramdisk"));
        assert_eq!(c.verb, "create");
        assert_eq!(c.kwargs["name"], "rd0");
        assert_eq!(c.kwargs["size"], "1G");
        let c = parse("/loopback/naa.5001405000000001/luns create /backstores/ramdisk/rd0")
            .unwrap()
            .unwrap();
        assert_eq!(c.args, vec!["/backstores/ramdisk/rd0"]);
        let c = parse("ls").unwrap().unwrap();
        assert_eq!((c.path, c.verb.as_str()), (None, "ls"));
        assert_eq!(parse("/iscsi").unwrap().unwrap().verb, "ls");
        assert!(parse("   # nothing").unwrap().is_none());
    }

    #[test]
    fn binds_positional_and_named_parameters() {
        let c = parse("create rd0 1G nullio=true").unwrap().unwrap();
        let p = Params::bind(&c, &["name", "size", "nullio", "wwn"]).unwrap();
        assert_eq!(p.get("name"), Some("rd0"));
        assert_eq!(p.get("size"), Some("1G"));
        assert!(p.flag("nullio", false).unwrap());
        let c = parse("create rd0 size=1G colour=red").unwrap().unwrap();
        let e = Params::bind(&c, &["name", "size"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("does not take colour=") && e.contains("name size"),
            "{e}"
        );
        let c = parse("create rd0 name=x").unwrap().unwrap();
        assert!(Params::bind(&c, &["name"]).is_err());
        let c = parse("create a b c").unwrap().unwrap();
        assert!(Params::bind(&c, &["name"])
            .err()
            .unwrap()
            .to_string()
            .contains("at most 1"));
    }

    #[test]
    fn booleans() {
        assert!(parse_bool("x", "True").unwrap());
        assert!(!parse_bool("x", "0").unwrap());
        assert!(parse_bool("x", "maybe").is_err());
    }
}
