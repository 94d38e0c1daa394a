#!/usr/bin/env bash
# Fuzz every target for SECONDS each (default 600), two at a time (one per
# core), with corpora seeded from the repository's real data and examples.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain is
# used with RUSTC_BOOTSTRAP=1 for the sanitizer flags.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(detect adapter csv_stream toml_files numbers scale mmdb rewards_export)
root=..
seed() { # target files...
    local dir="corpus/$1"; shift; mkdir -p "$dir"
    for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/$(basename "$f")"; done
}
json_and_csv=("$root"/data/*/*.json "$root"/data/*/*.csv "$root"/tests/fixtures/*.json "$root"/tests/fixtures/*.csv)
seed detect "${json_and_csv[@]}"
seed adapter "${json_and_csv[@]}"
seed csv_stream "$root"/data/*/*.csv "$root"/tests/fixtures/*.csv
mkdir -p corpus/toml_files
i=0
for f in "$root"/workloads/*.toml "$root"/claims/*.toml "$root"/data/profiles/*.toml; do
    for sel in 0 1 2 3; do printf "\\x0$sel" | cat - "$f" > "corpus/toml_files/$sel-$(basename "$f")-$i"; done
    i=$((i + 1))
done
mkdir -p corpus/numbers
printf '[40, 30, 20, 10]' > corpus/numbers/array.json
printf '1\n2.5\n0\n' > corpus/numbers/lines.txt
seed scale seeds/scale/*
seed mmdb seeds/mmdb/*
seed rewards_export "$root"/tests/fixtures/rewards/*.csv "$root"/data/rewards/*.csv
mkdir -p logs
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} sh -c \
    "cargo fuzz run -O {} corpus/{} -- -max_total_time=$secs -rss_limit_mb=2048 -timeout=10 > logs/{}.log 2>&1; echo \"{}: exit \$?\""
