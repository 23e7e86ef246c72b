//! The interactive shell on a terminal: a prompt with the current path,
//! line editing, Tab completion and persistent history (rustyline), as
//! targetcli-fb's configshell offers them. Ctrl-C drops the line, Ctrl-D
//! leaves.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use targetcli::path::prompt_path;
use targetcli::shell::Shell;

use crate::output;

/// The editor's helper; it owns the session so that completion sees the
/// current node.
struct Session {
    shell: Shell,
}

impl Completer for Session {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let c = self.shell.complete(line, pos);
        let pairs = c
            .candidates
            .into_iter()
            .map(|c| Pair {
                display: c.display,
                replacement: c.replacement,
            })
            .collect();
        Ok((c.start, pairs))
    }
}

impl Hinter for Session {
    type Hint = String;
}
impl Highlighter for Session {}
impl Validator for Session {}
impl Helper for Session {}

/// Where the history lives: `history` in the session directory, made
/// private if it must be created. None (with a warning) when it cannot be.
fn history_file(home: Option<&Path>) -> Option<PathBuf> {
    let Some(home) = home else {
        eprintln!("Warning: neither TARGETCLI_HOME nor HOME is set: history will not be saved.");
        return None;
    };
    if !home.is_dir() {
        use std::os::unix::fs::DirBuilderExt;
        if let Err(e) = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(home)
        {
            eprintln!(
                "Warning: cannot create {}: {e}; history will not be saved \
                 (set TARGETCLI_HOME to a writable directory).",
                home.display()
            );
            return None;
        }
    }
    Some(home.join("history"))
}

/// Runs the shell on the terminal until `exit`, Ctrl-D or a terminal error.
pub fn run(shell: Shell, json: bool, home: Option<&Path>, as_root: bool) -> ExitCode {
    let config = Config::builder()
        .auto_add_history(true)
        .history_ignore_dups(true)
        .and_then(|b| b.max_history_size(1000))
        .map(|b| b.completion_type(CompletionType::List).build());
    let editor = config.and_then(Editor::<Session, DefaultHistory>::with_config);
    let mut editor = match editor {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "Error: cannot set up the terminal: {e}; use --batch FILE or pipe commands in"
            );
            return ExitCode::FAILURE;
        }
    };
    editor.set_helper(Some(Session { shell }));
    let history = history_file(home);
    if let Some(h) = history.as_deref().filter(|h| h.exists()) {
        if let Err(e) = editor.load_history(h) {
            eprintln!("Warning: cannot read the history {}: {e}", h.display());
        }
    }
    println!(
        "targetcli-rs shell version {}\nFor help on commands, type 'help'; Tab completes.\n",
        env!("CARGO_PKG_VERSION")
    );
    let mut status = ExitCode::SUCCESS;
    while let Some(session) = editor.helper() {
        let prompt = format!(
            "{}> ",
            prompt_path(
                session.shell.cwd(),
                usize::try_from(session.shell.prefs.number("prompt_length")).unwrap_or(0)
            )
        );
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => {
                println!("exit");
                break;
            }
            Err(e) => {
                eprintln!("Error: cannot read the terminal: {e}");
                status = ExitCode::FAILURE;
                break;
            }
        };
        if let Some(h) = &history {
            if let Err(e) = editor.save_history(h) {
                eprintln!("Warning: cannot write the history {}: {e}", h.display());
            }
        }
        let Some(session) = editor.helper_mut() else {
            break;
        };
        // As configshell-fb, fit `ls` to the terminal as it is now.
        session.shell.width = crate::output::width();
        match session.shell.run_line(&line) {
            Ok(o) => {
                output::print(&o, json);
                if o.exit {
                    break;
                }
            }
            Err(e) => output::report(&e, json),
        }
    }
    match editor.helper_mut() {
        Some(session) => output::leave(&mut session.shell, json, as_root, status),
        None => status,
    }
}
