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
import random
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


MODELS = [("H100 SXM", 80), ("A100", 40), ("RTX 4090", 24), ("L4", 24), ("T4", 16)]
HEADER = "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake"


def mixed_network(rng: random.Random, operators: int) -> tuple[str, str]:
    """A network like the tests' random ones: 1-3 providers per operator,
    1-2 GPU models per provider, and 1-4 classes with replica sizes 1-8 and
    memory floors 16-80 GB, sized to a share of the capacity."""
    rows, total = [], 0
    for o in range(operators):
        for q in range(1 + rng.randrange(3)):
            for _ in range(1 + rng.randrange(2)):
                model, mem = rng.choice(MODELS)
                n = 1 + rng.randrange(8)
                total += n
                rows.append(f"p{o:03d}-{q},op{o:03d},,US,,,,,nvidia,{model},{n},{mem},,,")
    classes = 1 + rng.randrange(4)
    wl = ['name = "mixed"']
    for c in range(classes):
        unit = rng.choice([1, 1, 2, 4, 8])
        mem = rng.choice([16, 24, 40, 80])
        share = 0.1 + rng.random() * 0.5
        replicas = max(1, round(total * share / classes / unit + 0.499))
        wl += ["[[class]]", f'name = "c{c}"', f"replicas = {replicas}", f"gpus_per_replica = {unit}", f"min_gpu_memory_gb = {mem}"]
    return HEADER + "\n" + "\n".join(rows) + "\n", "\n".join(wl) + "\n"


def mixed_family(binary: str, limit: str, tmp: Path) -> None:
    """Exactness and time on 40 random networks of 30-64 operators."""
    rng = random.Random(640)
    rows = []
    for case in range(40):
        ops = 30 + rng.randrange(35)
        csv_text, wl_text = mixed_network(rng, ops)
        csv, wl = tmp / f"m{case}.csv", tmp / f"m{case}.toml"
        csv.write_text(csv_text)
        wl.write_text(wl_text)
        t0 = time.perf_counter()
        p = subprocess.run([binary, "stress", str(csv), "--workload", str(wl), "--only", "nakamoto",
                            "--format", "json", "--nakamoto-time-limit", limit], check=True, capture_output=True)
        dt = time.perf_counter() - t0
        n = json.loads(p.stdout)["snapshots"][0]["workload_nakamoto"]
        if n is None:
            continue
        for level in ["operators", "providers"]:
            r = n[level]
            if r["reason"] and r["reason"].startswith("baseline"):
                break
            rows.append((level, r["exact"] or r["value"] is None, r.get("gap") or 0.0, dt))
    for level in ["operators", "providers"]:
        mine = [r for r in rows if r[0] == level]
        if not mine:
            continue
        exact = sum(1 for r in mine if r[1])
        gaps = [r[2] for r in mine if not r[1]]
        print(f"| mixed random, 30-64 operators | {level} | {exact} of {len(mine)} exact | "
              f"median gap of the rest {100 * statistics.median(gaps) if gaps else 0:.0f}%, max {100 * max(gaps) if gaps else 0:.0f}% | "
              f"slowest run {max(r[3] for r in mine):.2f} s |")


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
    print()
    print("| family | level | exact | bounds where not exact | time |")
    print("|---|---|---|---|---:|")
    mixed_family(binary, limit, tmp)


if __name__ == "__main__":
    main()
