#!/usr/bin/env python3
"""Workload Nakamoto coefficient: time to an exact answer, and the bound gap
where the search budget ends first, versus the number of groups.

Usage: python3 bench/nakamoto_bench.py target/release/rackaudit [--limit SECONDS] [--runs N]

For each network size it writes a synthetic generic CSV (`rackaudit synth`
with a fixed seed), a four-class workload sized to 60% of its GPUs, runs
`rackaudit stress --only nakamoto --format json --nakamoto-time-limit LIMIT`
and prints, per level (operators, providers, countries), the groups, the
result (exact value or bounds), the gap and the search nodes, with the
median wall time of the whole run.
"""
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = [  # (providers, operators)
    (40, 10),
    (80, 20),
    (160, 40),
    (256, 64),
    (800, 200),
    (300, 40),
    (3000, 750),
]


def workload(gpus: int) -> str:
    share = 0.6 * gpus
    # GPUs per class: 8-GPU 80 GB, 2-GPU 40 GB, 1-GPU 24 GB, 1-GPU 16 GB.
    classes = [("big", 8, 80, 0.25), ("pair", 2, 40, 0.25), ("single24", 1, 24, 0.25), ("small", 1, 16, 0.25)]
    out = ['name = "bench-mix"']
    for name, unit, mem, part in classes:
        replicas = max(1, round(share * part / unit))
        out += ["[[class]]", f'name = "{name}"', f"replicas = {replicas}", f"gpus_per_replica = {unit}", f"min_gpu_memory_gb = {mem}"]
    return "\n".join(out) + "\n"


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    limit = "5"
    runs = 3
    args = sys.argv[2:]
    if "--limit" in args:
        limit = args[args.index("--limit") + 1]
    if "--runs" in args:
        runs = int(args[args.index("--runs") + 1])
    tmp = Path(tempfile.mkdtemp(prefix="nakamoto-bench-"))
    print(f"limit {limit} s per level, median of {runs} runs")
    print("| providers | operators | level | groups | result | gap | nodes | run time (s) |")
    print("|---:|---:|---|---:|---|---:|---:|---:|")
    for providers, operators in SIZES:
        csv = tmp / f"s{providers}_{operators}.csv"
        gpus = providers * 8
        subprocess.run([binary, "synth", "--providers", str(providers), "--operators", str(operators),
                        "--gpus", str(gpus), "--seed", "3", "-o", str(csv)], check=True)
        wl = tmp / f"w{providers}.toml"
        wl.write_text(workload(gpus))
        times = []
        out = None
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.run([binary, "stress", str(csv), "--workload", str(wl), "--only", "nakamoto",
                                "--format", "json", "--nakamoto-time-limit", limit],
                               check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
            out = json.loads(p.stdout)
        n = out["snapshots"][0]["workload_nakamoto"]
        groups = {"operators": None, "providers": providers, "countries": None}
        for level in ["operators", "providers", "countries"]:
            r = n[level]
            if r["value"] is None:
                result = "n/a: " + (r["reason"] or "")
            elif r["exact"]:
                result = f"{r['value']} (exact)"
            else:
                result = f"{r['lower_bound']}–{r['upper_bound']}"
            gap = "" if r.get("gap") is None else f"{100 * r['gap']:.0f}%"
            g = groups[level] if groups[level] is not None else ""
            print(f"| {providers} | {operators} | {level} | {g} | {result} | {gap} | {r['nodes']} | {statistics.median(times):.2f} |")


if __name__ == "__main__":
    main()
