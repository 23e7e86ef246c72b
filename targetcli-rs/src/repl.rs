//! The interactive shell on a terminal: a prompt with the current path,
//! line editing, Tab completion and persistent history (rustyline), as
//! targetcli-fb's configshell offers them. Ctrl-C drops the line, Ctrl-D
//! leaves. `cd` alone shows the tree to pick a node from ([`picker`]).

use std::io::IsTerminal;
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
use targetcli::shell::{self, Command, Outcome, Shell};

use crate::{output, picker};

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

/// `cd` alone: the tree on the full screen to pick a node from, then `cd`
/// there; q, Esc or Ctrl-C stay.
fn navigate(shell: &mut Shell) -> targetcli::Result<Outcome> {
    let (lines, at) = shell.tree_lines()?;
    let shown: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
    let paths: Vec<&str> = lines.iter().map(|(_, p)| p.as_str()).collect();
    match picker::pick(&shown, &paths, at) {
        Ok(Some(i)) => shell.run(&Command {
            verb: "cd".into(),
            args: vec![paths[i].to_string()],
            ..Command::default()
        }),
        Ok(None) => Ok(Outcome::default()),
        Err(e) => Err(targetcli::Error::Usage(format!(
            "cannot show the tree on the terminal: {e}; `cd PATH` still works"
        ))),
    }
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
        let result = match shell::parse(&line) {
            Ok(Some(cmd)) if cmd.is_bare_cd() && std::io::stdout().is_terminal() => {
                navigate(&mut session.shell)
            }
            _ => session.shell.run_line(&line),
        };
        match result {
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
