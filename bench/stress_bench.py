#!/usr/bin/env python3
"""Placement benchmark: `rackaudit stress --only baseline` against HiGHS on
the same placement integer program, side by side, plus Monte Carlo timing.

Usage: stress_bench.py RACKAUDIT_BINARY [--sizes 100,1000,10000] [--classes 3,10,20]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["h100*", "a100*", "rtx4090*", "l40s*", "mi300x*", "h200*", "rtx3090*", "t4*"]


def workload(path, classes, gpus, rng):
    """Classes with replica sizes 1-8 and memory needs; demand near 70% of supply."""
    lines = [f'name = "bench-{classes}"']
    share = 0.7 * gpus / classes
    for c in range(classes):
        size = rng.choice([1, 1, 2, 4, 8])
        lines += ["[[class]]", f'name = "c{c}"', f"replicas = {max(1, int(share / size))}", f"gpus_per_replica = {size}",
                  f"min_gpu_memory_gb = {rng.choice([16, 24, 40, 80])}"]
        if rng.random() < 0.4:
            lines.append(f'models = ["{rng.choice(MODELS)}", "{rng.choice(MODELS)}"]')
    open(path, "w").write("\n".join(lines) + "\n")


def timed(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, check=False)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()}")
    return time.perf_counter() - start, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--classes", default="3,10,20")
    ap.add_argument("--highs-limit", type=float, default=300.0)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="rackaudit-stress-bench-")
    rng = random.Random(3)
    print(f"{'providers':>9} {'classes':>7} {'rackaudit s':>11} {'HiGHS s':>9} {'speed-up':>8} {'ours GPUs':>10} {'HiGHS GPUs':>10} {'our gap':>8} {'exact':>6} {'HiGHS status':>14}")
    for p in [int(x) for x in args.sizes.split(",")]:
        snap = os.path.join(tmp, f"s{p}.csv")
        subprocess.run([args.binary, "synth", "--providers", str(p), "--gpus", str(20 * p), "--seed", str(p), "-o", snap], check=True)
        for c in [int(x) for x in args.classes.split(",")]:
            w = os.path.join(tmp, f"w{p}-{c}.toml")
            workload(w, c, 20 * p, rng)
            inst = os.path.join(tmp, f"i{p}-{c}.json")
            ours_t, out = timed([args.binary, "stress", snap, "--workload", w, "--only", "baseline", "--format", "json", "--export-instance", inst])
            base = json.loads(out)["snapshots"][0]["baseline"]
            highs_t, hout = timed([sys.executable, os.path.join(HERE, "highs_placement.py"), inst, str(args.highs_limit)])
            h = json.loads(hout.decode().strip().splitlines()[-1])  # HiGHS prints a banner first
            opt = h["objective"]
            gap = (opt - base["served_gpus"]) / opt if opt else 0.0
            print(f"{p:>9} {c:>7} {ours_t:>11.3f} {highs_t:>9.3f} {highs_t / ours_t:>7.1f}x {base['served_gpus']:>10} {opt:>10.0f} {gap:>7.2%} {str(base['exact']):>6} {h['status']:>14}")
    snap = os.path.join(tmp, "s10000.csv")
    if os.path.exists(snap):
        w = os.path.join(tmp, "w10000-3.toml")
        t, _ = timed([args.binary, "stress", snap, "--workload", w, "--only", "montecarlo", "--trials", "10000", "--format", "json"])
        print(f"\nMonte Carlo: 10,000 trials on 10,000 providers (3 classes), whole process: {t:.2f} s")


if __name__ == "__main__":
    main()
