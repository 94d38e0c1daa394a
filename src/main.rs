//! The rackaudit binary: parses arguments, runs the library, maps errors to
//! exit codes (0 ok, 2 input or usage error).

use clap::Parser;

fn main() {
    let cli = rackaudit::cli::Cli::parse();
    if let Err(e) = rackaudit::cli::run(cli) {
        eprintln!("rackaudit: error: {e}");
        std::process::exit(e.exit_code());
    }
}
