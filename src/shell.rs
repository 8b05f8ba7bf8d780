//! `stagesim completions SHELL` and `stagesim man`: generated from the command-line
//! definition itself (clap_complete, clap_mangen), so they cannot drift from it.

use crate::cli::Cli;
use clap::CommandFactory;

pub use clap_complete::Shell;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "stagesim", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

/// The man page stagesim(1) in roff: synopsis, options, the subcommands, the version.
pub fn man() -> String {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out).expect("writing to memory");
    String::from_utf8(out).expect("roff is UTF-8")
}
