//! `bookmarks add|del|go|show` and `refresh`.

use serde_json::json;

use super::{Command, Outcome, Params, Shell};
use crate::error::{Error, Result};
use crate::path;
use crate::tree;

impl Shell {
    /// `bookmarks ACTION [NAME]`: bookmarks live in the preferences file,
    /// and `@NAME` stands for the bookmarked path wherever a path goes.
    pub(super) fn bookmarks(&mut self, cmd: &Command, canon: &str) -> Result<Outcome> {
        let p = Params::bind(cmd, &["action", "bookmark"])?;
        match (p.get("action"), p.get("bookmark")) {
            (Some("add"), Some(name)) => {
                self.prefs.add_bookmark(name, canon)?;
                Ok(Outcome::msg(format!("Bookmarked {canon} as {name}.")))
            }
            (Some("del"), Some(name)) => {
                self.prefs.del_bookmark(name)?;
                Ok(Outcome::msg(format!("Deleted bookmark {name}.")))
            }
            (Some("go"), Some(name)) => {
                let target = self.absolute(&format!("@{name}"))?;
                let tree = tree::build(&self.root)?;
                let (_, c) = tree.find(&target).ok_or_else(|| {
                    Error::not_found(
                        format!("path {target} of bookmark {name}"),
                        format!("it was removed; `bookmarks del {name}` forgets it"),
                    )
                })?;
                self.go(c);
                Ok(Outcome {
                    json: json!({ "path": self.cwd }),
                    ..Outcome::default()
                })
            }
            (Some("show"), None) => {
                let marks = self.prefs.bookmarks();
                let mut text = vec!["BOOKMARKS".to_string(), "=========".into(), String::new()];
                if marks.is_empty() {
                    text.push("No bookmarks yet.".into());
                }
                for (name, path) in marks {
                    text.push(name.clone());
                    text.push("-".repeat(name.chars().count()));
                    text.push(path.clone());
                    text.push(String::new());
                }
                Ok(Outcome {
                    json: json!({ "bookmarks": marks }),
                    text,
                    exit: false,
                })
            }
            _ => Err(Error::Usage(
                "Syntax error, see 'help bookmarks': bookmarks add NAME | del NAME | go NAME | show"
                    .into(),
            )),
        }
    }

    /// `refresh`: the tree is read afresh for every command, so this only
    /// moves the shell up to the nearest node that still exists when the
    /// current one was removed under it (by another tool, say).
    pub(super) fn refresh(&mut self) -> Result<Outcome> {
        let tree = tree::build(&self.root)?;
        let mut at = self.cwd.clone();
        while tree.find(&at).is_none() && at != "/" {
            at = path::resolve(&at, "..");
        }
        let mut out = Outcome {
            json: json!({ "path": at }),
            ..Outcome::default()
        };
        if at != self.cwd {
            out.text
                .push(format!("{} no longer exists; now at {at}", self.cwd));
            self.cwd = at;
        }
        Ok(out)
    }
}
