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

/// Turns transparent huge pages off for this process. On a VM whose host
/// takes back the guest's free memory (balloon free page reporting, as on
/// the 2-core Firecracker machine of BENCHMARKS.md), a huge page is carved
/// from exactly the free blocks the host took, and its first touch cost
/// 2-8 ms per 2 MiB after a few idle seconds: 800 MB at 260-530 MB/s,
/// against 2 GB/s with ordinary pages. An audit of 500,000 providers spent
/// 2-3.5 s of system time there; without huge pages, 0.5-0.8 s.
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integer arguments only and
    // changes nothing but this process's page-size policy; if the kernel
    // refuses it, the run only keeps the default policy.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}

fn main() {
    no_huge_pages();
    tune_allocator();
    let cli = rackaudit::cli::parse();
    let code = match rackaudit::cli::run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("rackaudit: error: {e}");
            e.exit_code()
        }
    };
    end(code);
}

/// Ends the process once standard output is flushed, without the C
/// library's exit handlers: mimalloc's handler walks every page of the heap
/// to free it (15 ms after an audit of 500,000 providers, between the last
/// write and the exit), for memory the OS takes back at once anyway. Every
/// file and store the run wrote is complete and closed by now (written
/// atomically, dropped).
#[cfg(target_os = "linux")]
fn end(code: i32) -> ! {
    let code = flushed(code);
    // SAFETY: `_exit` only ends the process; nothing of it is used after.
    unsafe { libc::_exit(code) }
}

/// `code`, once what standard output still buffers is written. A reader
/// that closed the pipe early (`| head`) wanted no more: not an error, as
/// for the rest of the output. Any other failure is an error of its own.
fn flushed(code: i32) -> i32 {
    use std::io::Write;
    match std::io::stdout().flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            let e = rackaudit::Error::Io {
                path: "-".into(),
                action: "cannot write to standard output",
                source: e,
            };
            eprintln!("rackaudit: error: {e}");
            if code == 0 { e.exit_code() } else { code }
        }
        _ => code,
    }
}

#[cfg(not(target_os = "linux"))]
fn end(code: i32) -> ! {
    std::process::exit(flushed(code))
}
