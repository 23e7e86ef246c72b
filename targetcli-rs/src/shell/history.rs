//! The path history of `cd`, as configshell-fb keeps it (its
//! `path_history` and `path_history_index` preferences): every move by
//! `cd` (and `bookmarks go`, and `auto_cd_after_create`) drops what lies
//! ahead of the current entry and appends the new path; `cd <` and `cd >`
//! walk it back and forth, skipping paths that no longer exist.
//!
//! configshell-fb keeps it in its preferences file and takes the shell back
//! to its last path on start. targetcli-rs keeps it for the session: its
//! `prefs.json` holds what the user sets (preferences, bookmarks) and is
//! rewritten whole on each change, so writing it on every `cd` would make
//! shells running side by side (or one-shot commands) undo each other's
//! settings.

/// At most this many paths are kept; the oldest go first.
const MAX_PATHS: usize = 1000;

/// Where `cd <` or `cd >` took the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Already at the first (`<`) or last (`>`) entry: stay.
    AtEdge,
    /// Go to this path.
    To(String),
}

/// The paths visited and the index of the current one.
#[derive(Debug, Clone, Default)]
pub struct PathHistory {
    /// Empty until the first `cd`, as configshell-fb starts it then.
    paths: Vec<String>,
    index: usize,
}

impl PathHistory {
    /// Starts the history at `cwd` if it has not started yet.
    fn start(&mut self, cwd: &str) {
        if self.paths.is_empty() {
            self.paths.push(cwd.to_string());
            self.index = 0;
        }
    }

    /// A move from `cwd` to `path` (canonical): unless `path` is the
    /// current entry, what lies ahead of it is dropped and `path` appended.
    pub fn visit(&mut self, cwd: &str, path: &str) {
        self.start(cwd);
        if self.paths[self.index] == path {
            return;
        }
        self.paths.truncate(self.index + 1);
        self.paths.push(path.to_string());
        if self.paths.len() > MAX_PATHS {
            self.paths.remove(0);
        }
        self.index = self.paths.len() - 1;
    }

    /// `cd <`: the last entry before the current one that `exists`; `/`
    /// (which then becomes the first entry) when none does.
    pub fn back(&mut self, cwd: &str, exists: impl Fn(&str) -> bool) -> Step {
        self.start(cwd);
        if self.index == 0 {
            return Step::AtEdge;
        }
        while self.index > 0 {
            self.index -= 1;
            if exists(&self.paths[self.index]) {
                return Step::To(self.paths[self.index].clone());
            }
        }
        // configshell-fb: nothing before exists, the root does.
        self.paths[0] = "/".into();
        Step::To("/".into())
    }

    /// `cd >`: the next entry after the current one that `exists`; when
    /// none does, `cwd` is appended and the shell stays, as in
    /// configshell-fb.
    pub fn forward(&mut self, cwd: &str, exists: impl Fn(&str) -> bool) -> Step {
        self.start(cwd);
        if self.index + 1 == self.paths.len() {
            return Step::AtEdge;
        }
        while self.index + 1 < self.paths.len() {
            self.index += 1;
            if exists(&self.paths[self.index]) {
                return Step::To(self.paths[self.index].clone());
            }
        }
        self.paths.push(cwd.to_string());
        self.index = self.paths.len() - 1;
        Step::To(cwd.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(_: &str) -> bool {
        true
    }

    #[test]
    fn back_and_forth_over_visits() {
        let mut h = PathHistory::default();
        h.visit("/", "/a");
        h.visit("/a", "/a/b");
        assert_eq!(h.back("/a/b", all), Step::To("/a".into()));
        assert_eq!(h.back("/a", all), Step::To("/".into()));
        assert_eq!(h.back("/", all), Step::AtEdge);
        assert_eq!(h.forward("/", all), Step::To("/a".into()));
        assert_eq!(h.forward("/a", all), Step::To("/a/b".into()));
        assert_eq!(h.forward("/a/b", all), Step::AtEdge);
    }

    #[test]
    fn a_visit_drops_what_lies_ahead() {
        let mut h = PathHistory::default();
        h.visit("/", "/a");
        h.visit("/a", "/b");
        assert_eq!(h.back("/b", all), Step::To("/a".into()));
        h.visit("/a", "/c");
        assert_eq!(h.forward("/c", all), Step::AtEdge, "/b was dropped");
        assert_eq!(h.back("/c", all), Step::To("/a".into()));
        // Going where the current entry is adds nothing.
        h.visit("/a", "/a");
        assert_eq!(h.back("/a", all), Step::To("/".into()));
    }

    #[test]
    fn a_fresh_history_is_at_both_edges() {
        let mut h = PathHistory::default();
        assert_eq!(h.back("/x", all), Step::AtEdge);
        assert_eq!(h.forward("/x", all), Step::AtEdge);
    }

    #[test]
    fn removed_paths_are_skipped() {
        let gone = |p: &str| p != "/b";
        let mut h = PathHistory::default();
        h.visit("/", "/a");
        h.visit("/a", "/b");
        h.visit("/b", "/c");
        assert_eq!(h.back("/c", gone), Step::To("/a".into()), "/b skipped");
        assert_eq!(h.forward("/a", gone), Step::To("/c".into()), "/b skipped");
        // Nothing before exists: the root.
        let mut h = PathHistory::default();
        h.visit("/x", "/y");
        assert_eq!(h.back("/y", |p| p == "/y"), Step::To("/".into()));
        assert_eq!(h.back("/", all), Step::AtEdge);
        // Nothing after exists: stay, and the current path is appended.
        let mut h = PathHistory::default();
        h.visit("/", "/a");
        h.back("/a", all);
        assert_eq!(h.forward("/", |p| p != "/a"), Step::To("/".into()));
        assert_eq!(h.forward("/", all), Step::AtEdge);
    }

    #[test]
    fn the_oldest_paths_go_first() {
        let mut h = PathHistory::default();
        for i in 0..MAX_PATHS + 10 {
            h.visit("/", &format!("/p{i}"));
        }
        assert_eq!(h.paths.len(), MAX_PATHS);
        assert_eq!(h.index, MAX_PATHS - 1);
        assert_eq!(h.back("/", all), Step::To(format!("/p{}", MAX_PATHS + 8)));
    }
}
