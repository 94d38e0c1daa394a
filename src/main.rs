//! The rackaudit binary: parses arguments, runs the library, maps errors to
//! exit codes (0 ok, 1 a check failed, 2 input or usage error, 3 network
//! error).

use clap::Parser;

// Building the model of a large network allocates many small strings; the
// system allocator spent a third of an audit in malloc and free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = rackaudit::cli::Cli::parse();
    if let Err(e) = rackaudit::cli::run(cli) {
        eprintln!("rackaudit: error: {e}");
        std::process::exit(e.exit_code());
    }
}
