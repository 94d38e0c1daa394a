//! Every command example in README.md runs here and its output is compared.
//!
//! The harness is `trycmd`: it runs each fenced block whose info string is
//! `console` (or `trycmd`, or none at all — so give every other block a
//! language: `sh`, `toml`, `text`, …). In such a block a line starting with
//! `$ ` is a command (`rackaudit` is this crate's binary), a `? CODE` line
//! after it the expected exit status (default: success), and the lines up to
//! the next `$ ` or the closing fence its expected standard output and error
//! together. In the expected output `...` on a line of its own stands for any
//! number of lines and `[..]` for any text within a line, so an example can
//! be abridged and still be checked.
//!
//! Commands run with the repository root as working directory (cargo runs
//! integration tests there), so paths like `data/vastai/…` resolve. They must
//! not need the network or write into the repository: such examples (collect,
//! report --out) stay in plain `sh` blocks. `RACKAUDIT_STORE` points at a
//! temporary directory, so no example can touch the user's snapshot store.
//!
//! After a deliberate change of output, refresh the README with
//!
//! ```sh
//! TRYCMD=overwrite cargo test --release --test readme
//! ```
//!
//! which rewrites the expected output of every failing example with what the
//! binary printed, keeping the `...` and `[..]` that still match; review the
//! diff and re-abridge where the new output made a block long.

#[test]
fn readme_examples() {
    let store = std::env::temp_dir().join(format!("rackaudit-readme-{}", std::process::id()));
    std::fs::create_dir_all(&store).unwrap();
    trycmd::TestCases::new()
        .env(
            "RACKAUDIT_STORE",
            store.join("store.sqlite").to_string_lossy(),
        )
        .case("README.md")
        .run();
    std::fs::remove_dir_all(&store).unwrap();
}
