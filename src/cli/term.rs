//! How the binary talks to a person: colour (`--color`, `NO_COLOR`), quiet
//! mode (`-q`) for scripts, notes on standard error, and progress bars that
//! appear only on a terminal. Set once from the global options; the library
//! modules never print.

use clap::ValueEnum;
use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

/// `--color`: when to colour terminal output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Always colour (even into a pipe or file).
    Always,
    /// Never colour.
    Never,
}

/// The global terminal settings of one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    pub color: ColorChoice,
    pub quiet: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Records the global options (the first call wins; tests that call the
/// library directly get the defaults).
pub fn init(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or_default()
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, as
/// no-color.org defines it).
fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// How a table written to standard output (or to `--output`) looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// Box-drawing characters and wrapping to the terminal's width.
    pub tty: bool,
    /// ANSI colour and bold.
    pub color: bool,
}

/// The look of output going to a file (`to_file`) or standard output.
pub fn look(to_file: bool) -> Look {
    let tty = !to_file && std::io::stdout().is_terminal();
    let color = match settings().color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => tty && !no_color_env(),
    };
    Look { tty, color }
}

/// Whether notes on standard error are wanted (not with `-q`).
pub fn chatty() -> bool {
    !settings().quiet
}

/// A note for the person running the command (standard error), silenced
/// by `-q`. Errors are never silenced: the binary prints them itself.
pub fn note(command: &str, message: &str) {
    if chatty() {
        eprintln!("rackaudit {command}: {message}");
    }
}

/// A warning (a deprecated spelling, a doubtful input): printed even with
/// `-q`, which silences notes only.
pub fn warn(command: &str, message: &str) {
    eprintln!("rackaudit {command}: warning: {message}");
}

/// A progress bar over `len` steps, or nothing when standard error is not
/// a terminal or `-q` was given: scripts and logs never see bar frames.
pub fn progress(len: u64, what: &str) -> Option<indicatif::ProgressBar> {
    if !chatty() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {msg} [{bar:30}] {pos}/{len} ({elapsed})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// Progress over a known number of steps: a bar on a terminal, nothing
/// otherwise; cleared when dropped.
pub struct Steps(Option<indicatif::ProgressBar>);

impl Steps {
    pub fn new(len: usize, what: &str) -> Self {
        Steps(progress(len as u64, what))
    }

    /// Names the step under way (computed only when a bar is shown).
    pub fn step(&self, message: impl FnOnce() -> String) {
        if let Some(b) = &self.0 {
            b.set_message(message());
        }
    }

    /// One step done.
    pub fn done(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// A spinner for one step of unknown length (reading a large file), or
/// nothing off a terminal or with `-q`.
pub fn spinner(what: &str) -> Option<indicatif::ProgressBar> {
    if !chatty() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// Runs `step` under a spinner named `what`, cleared when it ends.
pub fn with_spinner<T>(what: &str, step: impl FnOnce() -> T) -> T {
    let bar = spinner(what);
    let out = step();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_to_a_file_is_plain_unless_colour_is_forced() {
        // Tests never run with settings initialised to `always`, so a file
        // gets neither boxes nor colour.
        let l = look(true);
        assert!(!l.tty);
        assert!(!l.color || settings().color == ColorChoice::Always);
    }
}
