//! targetcli paths as text: resolving one against the current node, and
//! shortening one for the prompt. Whether a path exists is the tree's
//! business ([`crate::tree::Node::find`]).

/// `path` made absolute against `cwd` and normalised: `.` and empty parts
/// dropped, `..` going up (never above `/`), no trailing slash.
pub fn resolve(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether a command's first word names a node rather than a verb: it
/// starts with `/` or `.`, or contains a `/` (`backstores/ramdisk`), as in
/// targetcli; `@name` is a bookmark. Verbs never contain a `/`.
pub fn is_path(word: &str) -> bool {
    word.starts_with('/') || word.starts_with('.') || word.starts_with('@') || word.contains('/')
}

/// The path as the prompt shows it: at most `max` characters (0: no
/// limit), the middle elided with `...` as configshell-fb does.
pub fn prompt_path(path: &str, max: usize) -> String {
    let len = path.chars().count();
    if max == 0 || len <= max || max < 5 {
        return path.to_string();
    }
    let half = (max - 3) / 2;
    let head: String = path.chars().take(half).collect();
    let tail: String = path.chars().skip(len - half).collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_absolute_and_dot_dot() {
        assert_eq!(resolve("/", "backstores"), "/backstores");
        assert_eq!(
            resolve("/backstores", "ramdisk/rd0"),
            "/backstores/ramdisk/rd0"
        );
        assert_eq!(resolve("/backstores/ramdisk", ".."), "/backstores");
        assert_eq!(resolve("/backstores/ramdisk", "../.."), "/");
        assert_eq!(resolve("/backstores", "../../../.."), "/");
        assert_eq!(resolve("/backstores/ramdisk", "/iscsi"), "/iscsi");
        assert_eq!(resolve("/iscsi", "./iqn.x/tpg1/"), "/iscsi/iqn.x/tpg1");
        assert_eq!(resolve("/iscsi", ""), "/iscsi");
        assert_eq!(resolve("/", "//backstores//fileio/"), "/backstores/fileio");
        assert_eq!(resolve("/a/b", "../c/./d/.."), "/a/c");
    }

    #[test]
    fn paths_and_verbs() {
        for p in [
            "/",
            "/iscsi",
            ".",
            "..",
            "./x",
            "backstores/",
            "backstores/ramdisk",
        ] {
            assert!(is_path(p), "{p}");
        }
        for v in ["ls", "cd", "create", "set", "name=rd0"] {
            assert!(!is_path(v), "{v}");
        }
    }

    #[test]
    fn prompt_elides_long_paths_like_configshell() {
        assert_eq!(
            prompt_path("/backstores/ramdisk", 30),
            "/backstores/ramdisk"
        );
        let long = "/iscsi/iqn.2003-01.org.example:disk1/tpg1/luns";
        let p = prompt_path(long, 30);
        assert_eq!(p, "/iscsi/iqn.20...sk1/tpg1/luns");
        assert_eq!(p.chars().count(), 29);
        assert_eq!(prompt_path(long, 0), long);
    }
}
