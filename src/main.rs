//! The rackaudit binary: parses arguments, runs the library, maps errors to
//! exit codes (0 ok, 1 a check failed, 2 input or usage error, 3 network
//! error).

// Building the model of a large network allocates many small strings; the
// system allocator spent a third of an audit in malloc and free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's option number of `mi_option_purge_delay` (`mi_option_e` in
/// mimalloc.h, the same in v2 and v3).
const MI_OPTION_PURGE_DELAY: i32 = 15;

/// Keeps freed memory for reuse instead of handing it back to the OS after
/// 10 ms: the stages of an audit free and then allocate again hundreds of
/// megabytes, and on a VM every page handed back and touched again is
/// zeroed by the kernel once more (seconds of system time at 500,000
/// providers). Peak memory is unchanged; a run's memory is freed at exit.
fn tune_allocator() {
    // SAFETY: mi_option_set only stores an integer option, which exists in
    // the bundled mimalloc (see mimalloc.h).
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
    }
}

fn main() {
    tune_allocator();
    let cli = rackaudit::cli::parse();
    if let Err(e) = rackaudit::cli::run(cli) {
        eprintln!("rackaudit: error: {e}");
        std::process::exit(e.exit_code());
    }
}
