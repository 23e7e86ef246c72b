//! Saving and restoring: `saveconfig`, `restoreconfig`, `clearconfig`.

use std::path::PathBuf;

use serde_json::json;

use super::{Command, Outcome, Params, Shell};
use crate::error::{Error, Result};
use crate::restore::{RestoreMode, RestoreScope};
use crate::savefile;

/// The parameters of `restoreconfig`, in targetcli-fb's order (shared with
/// completion).
pub const RESTORECONFIG_PARAMS: &[&str] = &[
    "savefile",
    "clear_existing",
    "diff",
    "target",
    "storage_object",
    "progress",
];

impl Shell {
    /// The file a `savefile=` parameter names, else the session's.
    fn savefile_param(&self, p: &Params) -> PathBuf {
        p.get("savefile")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.save_file.clone())
    }

    /// `saveconfig [savefile]`.
    pub(super) fn saveconfig(&mut self, cmd: &Command) -> Result<Outcome> {
        let p = Params::bind(cmd, &["savefile"])?;
        let file = self.savefile_param(&p);
        let backups = usize::try_from(self.prefs.number("max_backup_files"))
            .unwrap_or(savefile::MAX_BACKUP_FILES);
        self.root.save_to_file(&file, backups)?;
        Ok(Outcome::msg(format!(
            "Configuration saved to {}",
            file.display()
        )))
    }

    /// `clearconfig confirm=true`.
    pub(super) fn clearconfig(&mut self, cmd: &Command) -> Result<Outcome> {
        let p = Params::bind(cmd, &["confirm"])?;
        self.root.clear(p.flag("confirm", false)?)?;
        self.cwd = "/".into();
        Ok(Outcome::msg("All configuration cleared"))
    }

    pub(super) fn restoreconfig(&mut self, cmd: &Command) -> Result<Outcome> {
        let p = Params::bind(cmd, RESTORECONFIG_PARAMS)?;
        let file = self.savefile_param(&p);
        let config = savefile::load(&file)?;
        let mode = match (p.flag("clear_existing", false)?, p.flag("diff", false)?) {
            (true, true) => {
                return Err(Error::Usage(
                    "give clear_existing=true or diff=true, not both".into(),
                ))
            }
            (true, false) => RestoreMode::Replace,
            (false, true) => RestoreMode::Diff,
            (false, false) => RestoreMode::Add,
        };
        let scope = RestoreScope {
            target: p.get("target").map(str::to_string),
            storage_object: p.get("storage_object").map(str::to_string),
        };
        let show = p.flag("progress", false)?;
        let mut steps = 0usize;
        let mut progress = |s: &str| {
            steps += 1;
            if show {
                eprintln!("[{steps}] {s}");
            }
        };
        let r = self.root.restore(&config, mode, &scope, &mut progress)?;
        let m = format!(
            "Configuration restored from {} ({} created, {} changed, {} removed)",
            file.display(),
            r.created,
            r.changed,
            r.removed
        );
        Ok(Outcome::lines(
            vec![m],
            json!({"created": r.created, "changed": r.changed, "removed": r.removed}),
        ))
    }
}
