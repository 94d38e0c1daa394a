//! `rackaudit completions SHELL` and `rackaudit man [SUBCOMMAND]`: shell
//! completion scripts (clap_complete) and roff man pages (clap_mangen),
//! both generated from the same command definition as `--help`, so they
//! cannot drift from it.

use crate::error::{Error, Result};
use clap::Args;

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  rackaudit completions bash > rackaudit.bash
  rackaudit completions zsh > _rackaudit
  rackaudit completions fish > rackaudit.fish

Install: bash, copy rackaudit.bash to
~/.local/share/bash-completion/completions/rackaudit; zsh, put _rackaudit in
a directory of $fpath; fish, copy rackaudit.fish to
~/.config/fish/completions/.")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:
  rackaudit man > rackaudit.1
  rackaudit man audit > rackaudit-audit.1
  rackaudit man snapshots import > rackaudit-snapshots-import.1

Read one with `man -l rackaudit.1`, or install them under a man1 directory.")]
pub struct ManArgs {
    /// A subcommand (`audit`, `snapshots import`, …); without one, the page
    /// of rackaudit itself, which lists the subcommands.
    pub subcommand: Vec<String>,
}

pub fn completions(args: CompletionsArgs) -> Result<()> {
    let mut cmd = super::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "rackaudit", &mut out);
    crate::output::write_stdout(&out)
}

/// The command named by a path of subcommand names, with its man page name
/// (`rackaudit-snapshots-import`).
fn find(path: &[String]) -> Result<clap::Command> {
    let mut cmd = super::command();
    cmd.build();
    let mut name = String::from("rackaudit");
    for word in path {
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        let Some(sub) = cmd.find_subcommand(word).cloned() else {
            return Err(Error::Usage(format!(
                "man: no subcommand `{word}` in `{name}`{}; subcommands: {}",
                crate::suggest::hint(word, names.iter().map(String::as_str)),
                names.join(", ")
            )));
        };
        name = format!("{name}-{}", sub.get_name());
        cmd = sub.name(name.clone());
    }
    Ok(cmd)
}

pub fn man(args: ManArgs) -> Result<()> {
    let cmd = find(&args.subcommand)?;
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| Error::Usage(format!("man: cannot render the page: {e}")))?;
    crate::output::write_stdout(&out)
}
