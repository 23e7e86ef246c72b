//! targetcli-rs: targetcli's commands over the configfs tree, one-shot,
//! from a batch file, or as an interactive shell.

mod output;
mod picker;
mod repl;

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use targetcli::prefs::{self, Prefs};
use targetcli::shell::{self, Shell};
use targetcli::{Error, Root};

use output::{print, report};

const USAGE: &str = "usage: targetcli-rs [--json] [--root DIR] [--savefile FILE] [PATH] [COMMAND [ARGS...]]
       targetcli-rs [--json] [--root DIR] --batch FILE     (one command per line, stops at the first error)
       targetcli-rs                                        (interactive shell)
examples:
  targetcli-rs /backstores/ramdisk create name=rd0 size=1G
  targetcli-rs /loopback create naa.5001405000000001
  targetcli-rs /loopback/naa.5001405000000001/luns create /backstores/ramdisk/rd0
  targetcli-rs ls
  targetcli-rs saveconfig /tmp/saved.json
  targetcli-rs restoreconfig /tmp/saved.json clear_existing=true";

struct Options {
    json: bool,
    root: Option<String>,
    savefile: Option<String>,
    batch: Option<String>,
    command: Vec<String>,
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        json: false,
        root: None,
        savefile: None,
        batch: None,
        command: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => o.json = true,
            "--root" => o.root = Some(args.next().ok_or("--root needs a directory")?),
            "--savefile" => o.savefile = Some(args.next().ok_or("--savefile needs a file")?),
            "--batch" | "-f" => o.batch = Some(args.next().ok_or("--batch needs a file")?),
            "-h" | "--help" => return Err(USAGE.into()),
            "--version" => o.command = vec!["version".into()],
            _ => {
                o.command.push(a);
                o.command.extend(args.by_ref());
            }
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let opts = match parse_options() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let root = match &opts.root {
        Some(dir) => Root::open(dir),
        None => Root::open_system(),
    };
    let root = match root {
        Ok(r) => r,
        Err(e) => {
            report(&e, opts.json);
            return ExitCode::FAILURE;
        }
    };
    let mut sh = Shell::new(root);
    let home = prefs::home_dir();
    if let Some(dir) = &home {
        match Prefs::load(dir) {
            Ok(p) => sh.prefs = p,
            Err(e) => {
                report(&e, opts.json);
                eprintln!("Warning: using the default preferences; changes will not be kept.");
            }
        }
    }
    if let Some(f) = &opts.savefile {
        sh.save_file = f.into();
    }
    sh.width = output::width();

    if let Some(file) = &opts.batch {
        return run_batch(&mut sh, file, opts.json);
    }
    if !opts.command.is_empty() {
        let Some(cmd) = shell::parse_words(opts.command.clone()) else {
            return ExitCode::SUCCESS;
        };
        return match sh.run(&cmd) {
            Ok(o) => {
                print(&o, opts.json);
                ExitCode::SUCCESS
            }
            Err(e) => {
                report(&e, opts.json);
                ExitCode::FAILURE
            }
        };
    }
    if std::io::stdin().is_terminal() {
        return repl::run(sh, opts.json, home.as_deref(), is_root());
    }
    read_stdin(&mut sh, opts.json)
}

/// Whether the program runs as root (targetcli-fb saves on exit only then).
fn is_root() -> bool {
    // SAFETY: geteuid() takes no arguments, cannot fail and touches no memory.
    unsafe { libc::geteuid() == 0 }
}

fn run_batch(sh: &mut Shell, file: &str, json: bool) -> ExitCode {
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(file) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                report(&Error::io("open", file, e), json);
                return ExitCode::FAILURE;
            }
        }
    };
    match run_lines(sh, reader, file, true, json) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// Commands from standard input that is not a terminal, one a line, as
/// targetcli-fb reads them: no prompt, an error does not stop the rest,
/// and the end of input leaves the shell as `exit` does.
fn read_stdin(sh: &mut Shell, json: bool) -> ExitCode {
    let stdin = std::io::stdin().lock();
    if let Err(code) = run_lines(sh, stdin, "standard input", false, json) {
        return code;
    }
    output::leave(sh, json, is_root(), ExitCode::SUCCESS)
}

/// Runs commands from `input`, one a line, until its end or `exit`. With
/// `stop_on_error` (batch files), the first failing command stops the run
/// and is named by `source:line`; otherwise an error is reported and the
/// next line runs, as targetcli-fb does with piped input.
fn run_lines(
    sh: &mut Shell,
    input: impl BufRead,
    source: &str,
    stop_on_error: bool,
    json: bool,
) -> Result<(), ExitCode> {
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| {
            report(&Error::io("read", source, e), json);
            ExitCode::FAILURE
        })?;
        match sh.run_line(&line) {
            Ok(o) => {
                print(&o, json);
                if o.exit {
                    break;
                }
            }
            Err(e) if stop_on_error => {
                eprintln!("{source}:{}: {}", n + 1, line.trim());
                report(&e, json);
                return Err(ExitCode::FAILURE);
            }
            Err(e) => report(&e, json),
        }
    }
    Ok(())
}
