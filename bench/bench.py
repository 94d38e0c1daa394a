#!/usr/bin/env python3
"""rackaudit benchmark, run side by side with its peer in one run.

1. `rackaudit metrics` against the metric code of
   Blockchain-Technology-Lab/consensus-decentralization (whole process
   against whole process: read the numbers, sort, compute every metric) on
   the same heavy-tailed distributions of 10^3 ... 10^6 entities. Prints
   wall times (median of REPEAT runs), the ratio peer / rackaudit, and checks
   that both agree on the metrics.
2. A full `rackaudit audit` of a generated 1,000,000-GPU / 50,000-provider
   snapshot: wall time and peak memory (max RSS).

Usage: bench.py RACKAUDIT_BINARY PEER_CHECKOUT [--sizes 1000,10000,...] [--repeat 3]
"""
import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd):
    """Runs cmd, returns (seconds, stdout bytes, max RSS of this child in KiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stderr.decode()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, proc.stdout, max(after, before)


def median_time(cmd, repeat):
    times, out = [], b""
    for _ in range(repeat):
        t, out, _ = timed(cmd)
        times.append(t)
    return statistics.median(times), out


def agree(ours, peer):
    keys = ["total_entities", "nakamoto_coefficient", "max_share", "hhi", "gini", "shannon_entropy", "theil_index"]
    for k in keys:
        a, b = ours[k], peer[k]
        if abs(a - b) > 1e-6 * max(1.0, abs(b)):
            return f"DIFFER on {k}: {a} vs {b}"
    for k in ("0.33", "0.66"):
        if ours["tau_index"][k] != peer["tau_index"][k]:
            return f"DIFFER on tau {k}"
    return "agree"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("peer")
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="rackaudit-bench-")
    rng = random.Random(42)
    print("== metrics: rackaudit vs consensus-decentralization (whole process, median of %d) ==" % args.repeat)
    print(f"{'entities':>10} {'rackaudit s':>12} {'peer s':>10} {'peer/rackaudit':>15}  check")
    for n in [int(s) for s in args.sizes.split(",")]:
        path = os.path.join(tmp, f"w{n}.txt")
        with open(path, "w") as f:
            f.write("\n".join(f"{rng.paretovariate(1.16) * 1e6:.3f}" for _ in range(n)))
        ours_t, ours_out = median_time([args.binary, "metrics", path], args.repeat)
        peer_t, peer_out = median_time([sys.executable, os.path.join(HERE, "peer_metrics.py"), args.peer, path], args.repeat)
        check = agree(json.loads(ours_out), json.loads(peer_out))
        print(f"{n:>10} {ours_t:>12.4f} {peer_t:>10.4f} {peer_t / ours_t:>14.1f}x  {check}")
    print("\n== full audit of a generated 1,000,000-GPU / 50,000-provider snapshot ==")
    snap = os.path.join(tmp, "synth.csv")
    subprocess.run([args.binary, "synth", "--providers", "50000", "--gpus", "1000000", "-o", snap], check=True)
    times, rss = [], []
    for _ in range(args.repeat):
        t, _, _ = timed([args.binary, "audit", snap, "--format", "json", "-o", os.path.join(tmp, "audit.json")])
        times.append(t)
    # Peak memory measured separately with /usr/bin/time for a per-run figure.
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", args.binary, "audit", snap, "--format", "json", "-o", os.devnull],
                          stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, check=True)
    peak_kib = int(proc.stderr.decode().strip().splitlines()[-1])
    size_mb = os.path.getsize(snap) / 1e6
    print(f"input {size_mb:.1f} MB; wall median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}); peak RSS {peak_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
