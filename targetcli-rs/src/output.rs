//! How the binary shows results and errors, for people or (`--json`) for
//! scripts, and what it does when a shell session ends.

use std::process::ExitCode;

use targetcli::shell::{Outcome, Shell};
use targetcli::Error;

/// Prints a command's result on standard output.
pub fn print(o: &Outcome, json: bool) {
    if json {
        if !o.json.is_null() {
            println!(
                "{}",
                serde_json::to_string_pretty(&o.json).unwrap_or_default()
            );
        }
    } else {
        for l in &o.text {
            println!("{l}");
        }
    }
}

/// Prints an error on standard error.
pub fn report(e: &Error, json: bool) {
    if json {
        let v = serde_json::json!({ "error": e.to_string(), "errno": e.errno() });
        eprintln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        eprintln!("Error: {e}");
    }
}

/// Ends a shell session (see [`Shell::leave`]): failure if saving on exit
/// failed, else `status`.
pub fn leave(shell: &mut Shell, json: bool, as_root: bool, status: ExitCode) -> ExitCode {
    match shell.leave(as_root) {
        Ok(o) => {
            print(&o, json);
            status
        }
        Err(e) => {
            report(&e, json);
            eprintln!(
                "The configuration was not saved on exit: run saveconfig, or \
                 `set global auto_save_on_exit=false` to leave without saving."
            );
            ExitCode::FAILURE
        }
    }
}

/// The width of `ls` lines, as configshell-fb takes it: the terminal's
/// width on standard output, at most 132, or 132 when standard output is
/// not a terminal. `COLUMNS`, when set, overrides it.
pub fn width() -> usize {
    const MAX: usize = 132;
    if let Some(w) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return w;
    }
    match terminal_size() {
        Some((_, cols)) => cols.min(MAX),
        None => MAX,
    }
}

/// The size of the terminal on standard output (rows, columns), when it
/// is one and says.
pub fn terminal_size() -> Option<(usize, usize)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills the winsize it is given, and only that.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_row > 0 && ws.ws_col > 0).then(|| (usize::from(ws.ws_row), usize::from(ws.ws_col)))
}
