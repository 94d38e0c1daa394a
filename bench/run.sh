#!/usr/bin/env bash
# Benchmark rackaudit against the consensus-decentralization metric code, side
# by side in one run. Results go to BENCHMARKS.md by hand, with the machine.
#
# Usage: bench/run.sh PEER [extra bench.py options]
#   PEER: a checkout of Blockchain-Technology-Lab/consensus-decentralization,
#         or a bare git mirror of it (its metrics folder is exported to a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
peer="${1:?usage: bench/run.sh PEER_CHECKOUT_OR_MIRROR [options]}"
shift
if [ ! -d "$peer/consensus_decentralization" ]; then
  export_dir="$(mktemp -d)"
  git --git-dir="$peer" archive HEAD consensus_decentralization/metrics | tar -x -C "$export_dir"
  echo "peer: $(git --git-dir="$peer" log -1 --format='%H %cs') (exported to $export_dir)"
  peer="$export_dir"
fi
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install --quiet numpy
cargo build --release --quiet
python3 bench/bench.py target/release/rackaudit "$peer" "$@"
