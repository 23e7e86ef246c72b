// SPDX-License-Identifier: GPL-2.0

//! `tcm_mod_builder new --name <module> --proto <iSCSI|FC|SAS|SRP>`: writes
//! the skeleton of a new fabric module into fabrics/<module>/.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tcm_mod_builder::{Plan, Protocol, Request};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Generates the skeleton of a new tcm-rs fabric module"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes fabrics/<NAME>/ (Kbuild, <NAME>_main.rs, wwn.rs): a fabric
    /// module on the fabric SDK that builds, loads and configures.
    New {
        /// The module's name: its .ko, its directory and its configfs
        /// directory (target/<NAME>/). Lowercase letters, digits and '_',
        /// not starting with a digit, at most 55 characters.
        #[arg(long)]
        name: String,
        /// The SCSI transport protocol: iSCSI, FC, SAS or SRP (any case).
        #[arg(long)]
        proto: String,
        /// Print what would be written and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Overwrite the generated files of an existing fabrics/<NAME>/.
        #[arg(long)]
        force: bool,
        /// Also add `obj-m += fabrics/<NAME>/` to the top-level Kbuild.
        #[arg(long)]
        add_to_kbuild: bool,
        /// The tcm-rs checkout (default: the one the current directory is in).
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

fn main() -> ExitCode {
    let Command::New {
        name,
        proto,
        dry_run,
        force,
        add_to_kbuild,
        root,
    } = Cli::parse().command;
    let result = proto
        .parse::<Protocol>()
        .map_err(|e| e.to_string())
        .and_then(|protocol| {
            let req = Request {
                name: name.clone(),
                protocol,
                root,
                force,
                add_to_kbuild,
            };
            Plan::new(&req).map_err(|e| e.to_string())
        })
        .and_then(|plan| {
            if dry_run {
                print!("{}", plan.describe());
                println!("(dry run: nothing written)");
                return Ok(());
            }
            plan.apply().map_err(|e| e.to_string())?;
            println!("{}", plan.next_steps(&name));
            Ok(())
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("tcm_mod_builder: {msg}");
            ExitCode::FAILURE
        }
    }
}
