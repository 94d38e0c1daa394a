#!/usr/bin/env python3
"""Scale benchmark: this rackaudit against a previous release binary, side by
side in one run, on large generated networks (issue 16's table).

Usage: scale_bench.py NEW_BINARY OLD_BINARY [--peer PEER_METRICS_DIR]
                      [--peer-python PYTHON_WITH_NUMPY] [--history 30,365]
                      [--old-history-max 30] [--repeat 1] [--pause 0]
                      [--rows audit,card,…]

Work measured (wall time and peak RSS of the whole process, median of
--repeat runs, the two binaries run alternately; their outputs must be
byte-identical):

- `audit --format json` of a generic CSV of 100,000 and 1,000,000 rows over
  50,000 and 500,000 providers (2 models each, 5,000 operators, 15
  countries, 977 data centers, random ASNs), supply checks on;
- the default `audit` of the 1,000,000-row file (this binary adds the
  disclosure card's stress test);
- `snapshot -o FILE` of the 1,000,000-row file (parse and write snapshot
  JSON; FILE is removed before each run, see `run_once`);
- `audit` of a 1,000,000-provider snapshot JSON and of a 1,000,000-hotkey
  Bittensor-shaped metagraph (`{"stakes": {coldkey: {hotkey: [rao, uid]}}}`);
- `history` over N stored snapshots of 10,000 providers (the old binary
  only up to --old-history-max snapshots: its memory grows with N);
- with --peer (the `consensus_decentralization` checkout's parent, as for
  bench/run.sh): `metrics` on 1,000,000 integers, both binaries and the
  peer's Python code, whole process against whole process.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COUNTRIES = ["US", "DE", "FR", "NL", "FI", "GB", "CA", "JP", "SG", "KR", "SE", "PL", "CZ", "ES", "IT"]
MODELS = [("H100 SXM", 80, 2.5), ("A100 SXM4", 40, 1.2), ("RTX 4090", 24, 0.4), ("L40S", 48, 1.0),
          ("RTX 3090", 24, 0.25), ("A6000", 48, 0.6)]
HEADER = ("provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,"
          "gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake")


# Seconds to wait before each run (--pause): 0 runs them back to back.
PAUSE = 0.0


def run_once(cmd, output=None):
    """Wall time, peak RSS (MiB) and stdout of one run of `cmd`. `output`, a
    file the command writes, is removed before the run, untimed: replacing
    an existing file makes the file system free the old one's blocks first
    (0.2 s for 763 MB on the benchmark VM's ext4, what `rm` takes), which
    is not the command's work."""
    if output is not None and os.path.exists(output):
        os.remove(output)
        os.sync()
    time.sleep(PAUSE)
    wrapped = ["/usr/bin/time", "-f", "%M", *cmd]
    start = time.perf_counter()
    proc = subprocess.run(wrapped, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stderr.decode()[-2000:]}")
    return elapsed, int(proc.stderr.decode().strip().splitlines()[-1]) / 1024, proc.stdout


def summary(runs):
    """Median wall time, largest peak RSS and the last stdout of `runs`."""
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def measured(cmd, repeat):
    """Median wall time and peak RSS (MiB) over `repeat` runs, with stdout."""
    return summary([run_once(cmd) for _ in range(repeat)])


def measured_pair(new, old, repeat, outputs=(None, None)):
    """`measured` for two commands run alternately (new, old, new, old, …),
    so a slow phase of a shared machine falls on both, not on one;
    `outputs`: the files each writes (see `run_once`)."""
    runs_new, runs_old = [], []
    for _ in range(repeat):
        runs_new.append(run_once(new, outputs[0]))
        runs_old.append(run_once(old, outputs[1]))
    return summary(runs_new), summary(runs_old)


def generic_csv(path, providers, seed=7):
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write(HEADER + "\n")
        for p in range(providers):
            op, c, dc, asn = rng.randrange(5000), rng.choice(COUNTRIES), rng.randrange(977), rng.randrange(1000, 400000)
            up = round(0.8 + rng.random() * 0.2, 4)
            for m in rng.sample(MODELS, 2):
                price = round(m[2] * (0.7 + rng.random() * 0.6), 4)
                f.write(f"prov-{p:07d},operator-{op},host {p},{c},,{asn},,dc-{dc},nvidia,{m[0]},"
                        f"{1 + rng.randrange(8)},{m[1]},{up},{price},\n")


def metagraph(path, hotkeys, seed=11):
    rng = random.Random(seed)
    coldkeys = max(1, hotkeys // 10)
    stakes = {}
    for h in range(hotkeys):
        ck = f"5Cold{rng.randrange(coldkeys):08d}"
        stakes.setdefault(ck, {})[f"5Hot{h:09d}"] = [int(rng.paretovariate(1.16) * 1e9), h]
    import json
    with open(path, "w") as f:
        json.dump({"stakes": stakes}, f)


def history_store(binary, store, snapshots, tmp):
    """A store of `snapshots` generic CSVs of 10,000 providers (3% absent
    each time, 5% offline), imported with `binary`."""
    for d in range(snapshots):
        rng = random.Random(d)
        path = os.path.join(tmp, f"h{d:03d}.csv")
        with open(path, "w") as f:
            f.write("network,taken_at," + HEADER + ",online\n")
            for p in range(10000):
                if rng.random() < 0.03:
                    continue
                r = random.Random(p)
                m = MODELS[r.randrange(4)]
                when = f"2026-{1 + d // 28:02d}-{1 + d % 28:02d}T00:00:00Z" if d < 336 else \
                    f"2027-{1 + (d - 336) // 28:02d}-{1 + (d - 336) % 28:02d}T00:00:00Z"
                online = "true" if rng.random() < 0.95 else "false"
                f.write(f"hist,{when},prov-{p:06d},op-{r.randrange(500)},,{r.choice(COUNTRIES)},,"
                        f"{r.randrange(1000, 60000)},,dc-{r.randrange(300)},nvidia,{m[0]},{1 + r.randrange(8)},"
                        f"{m[1]},,,,{online}\n")
        subprocess.run([binary, "snapshots", "import", "--store", store, path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.remove(path)


def comparable(out_new, out_old):
    """Whether the outputs are equal once what a newer methodology adds
    (the disclosure card, issue 15) or restamps is left out: equal outputs
    mean equal numbers."""
    return normalized(out_new) == normalized(out_old)


def normalized(out):
    try:
        doc = json.loads(out)
    except (ValueError, UnicodeDecodeError):
        return out
    if isinstance(doc, dict):
        doc.pop("methodology_version", None)
        doc.pop("league", None)
        # The card's stress test records its workload as an input, and the
        # report's input hash covers the inputs.
        if isinstance(doc.get("inputs"), list):
            doc["inputs"] = [i for i in doc["inputs"] if not (isinstance(i, dict) and i.get("adapter") == "workload")]
            doc.pop("input_sha256", None)
        for s in doc.get("snapshots", []) if isinstance(doc.get("snapshots"), list) else []:
            if isinstance(s, dict):
                s.pop("disclosure", None)
    return json.dumps(doc, sort_keys=True)


def shared_metrics(out_new, out_old):
    """Both `history` outputs cut to the metrics both binaries report (a
    newer methodology adds columns, e.g. operator_gini in 1.4.0, and lists
    the ones it leaves out), as (new, old) for `comparable`."""
    try:
        new, old = json.loads(out_new), json.loads(out_old)
    except (ValueError, UnicodeDecodeError):
        return out_new, out_old
    if not all(isinstance(d, dict) and isinstance(d.get("metrics"), list) for d in (new, old)):
        return out_new, out_old
    keep = set(new["metrics"]) & set(old["metrics"])
    for doc in (new, old):
        doc.pop("omitted_metrics", None)
        doc["metrics"] = [m for m in doc["metrics"] if m in keep]
        for row in doc.get("rows", []):
            if isinstance(row.get("values"), dict):
                row["values"] = {k: v for k, v in row["values"].items() if k in keep}
    return json.dumps(new), json.dumps(old)


def flags_of(binary):
    """`--no-stress` where the binary has it: the audit rows measure the
    audit, not the card's stress test (which `stress` rows measure)."""
    help_text = subprocess.run([binary, "audit", "--help"], capture_output=True, text=True).stdout
    return ["--no-stress"] if "--no-stress" in help_text else []


def row(label, new, old, repeat, ratio_note=""):
    if new[1:2] == ["audit"]:
        new = new + flags_of(new[0])
    if old is not None and old[1:2] == ["audit"]:
        old = old + flags_of(old[0])
    if old is None:
        t_new, m_new, _ = measured(new, repeat)
        print(f"| {label} | — | {t_new:.2f} s, {m_new:,.0f} MiB | — | {ratio_note} |", flush=True)
        return
    (t_new, m_new, out_new), (t_old, m_old, out_old) = measured_pair(new, old, repeat)
    same = "identical" if comparable(*shared_metrics(out_new, out_old)) else "DIFFERENT OUTPUT"
    print(f"| {label} | {t_old:.2f} s, {m_old:,.0f} MiB | {t_new:.2f} s, {m_new:,.0f} MiB | "
          f"{t_old / t_new:.1f}× faster, {m_old / m_new:.1f}× less memory | {same} |", flush=True)


ROWS = ["audit", "card", "snapshot", "json", "metagraph", "history", "metrics"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("new")
    ap.add_argument("old")
    ap.add_argument("--peer")
    ap.add_argument("--peer-python", default=sys.executable,
                    help="Python with numpy for the peer's code (default: this one)")
    ap.add_argument("--history", default="30,365")
    ap.add_argument("--old-history-max", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--pause", type=float, default=0.0,
                    help="seconds to wait before each run: on a VM that hands idle memory back to "
                         "its host, a pause of a few seconds measures a command as run by hand "
                         "(fresh memory costs more); 0 measures back-to-back runs")
    ap.add_argument("--rows", default=",".join(ROWS),
                    help=f"which rows, comma-separated, of: {', '.join(ROWS)} (default: all)")
    args = ap.parse_args()
    global PAUSE
    PAUSE = args.pause
    wanted = set(args.rows.split(","))
    unknown = wanted - set(ROWS)
    if unknown:
        sys.exit(f"unknown rows: {', '.join(sorted(unknown))} (choose from {', '.join(ROWS)})")
    tmp = tempfile.mkdtemp(prefix="rackaudit-scale-")
    print("| work | previous binary | this binary | ratio | outputs |")
    print("|---|---:|---:|---|---|")
    big = os.path.join(tmp, "g500000.csv")
    if wanted & {"audit", "card", "snapshot"}:
        generic_csv(big, 500000)
    if "audit" in wanted:
        small = os.path.join(tmp, "g50000.csv")
        generic_csv(small, 50000)
        for path, rows, providers in [(small, "100,000", 50000), (big, "1,000,000", 500000)]:
            row(f"`audit` of {rows} rows / {providers:,} providers, checks on",
                [args.new, "audit", path, "--format", "json"], [args.old, "audit", path, "--format", "json"],
                args.repeat)
    if "card" in wanted:
        # Both binaries' default: the newer one adds the disclosure card's
        # stress test (issue 15), which the older one does not have.
        (t_new, m_new, out_new), (t_old, m_old, out_old) = measured_pair(
            [args.new, "audit", big, "--format", "json"], [args.old, "audit", big, "--format", "json"],
            args.repeat)
        same = "identical" if comparable(out_new, out_old) else "DIFFERENT OUTPUT"
        print(f"| `audit` of 1,000,000 rows, the default command (this binary: with the disclosure card's "
              f"stress test) | {t_old:.2f} s, {m_old:,.0f} MiB | {t_new:.2f} s, {m_new:,.0f} MiB | "
              f"{t_old / t_new:.1f}× faster, {m_old / m_new:.1f}× less memory | {same} |", flush=True)
    if "snapshot" in wanted:
        snap_new, snap_old = os.path.join(tmp, "snap_new.json"), os.path.join(tmp, "snap_old.json")
        (t_new, m_new, _), (t_old, m_old, _) = measured_pair(
            [args.new, "snapshot", big, "-o", snap_new], [args.old, "snapshot", big, "-o", snap_old],
            args.repeat, outputs=(snap_new, snap_old))
        same = "identical" if open(snap_new, "rb").read() == open(snap_old, "rb").read() else "DIFFERENT OUTPUT"
        print(f"| `snapshot` of 1,000,000 rows | {t_old:.2f} s, {m_old:,.0f} MiB | {t_new:.2f} s, {m_new:,.0f} MiB | "
              f"{t_old / t_new:.1f}× faster, {m_old / m_new:.1f}× less memory | {same} |", flush=True)
        os.remove(snap_old)
        os.remove(snap_new)
    if "json" in wanted:
        million = os.path.join(tmp, "g1m.csv")
        generic_csv(million, 1000000, seed=8)
        snap = os.path.join(tmp, "snap1m.json")
        subprocess.run([args.new, "snapshot", million, "-o", snap], check=True)
        os.remove(million)
        row("`audit` of a 1,000,000-provider snapshot JSON",
            [args.new, "audit", snap, "--format", "json"], [args.old, "audit", snap, "--format", "json"],
            args.repeat)
        os.remove(snap)
    if "metagraph" in wanted:
        meta = os.path.join(tmp, "metagraph.json")
        metagraph(meta, 1000000)
        row("`audit` of a 1,000,000-hotkey Bittensor metagraph",
            [args.new, "audit", meta, "--format", "json"], [args.old, "audit", meta, "--format", "json"],
            args.repeat)
        os.remove(meta)
    for n in [int(x) for x in args.history.split(",") if x] if "history" in wanted else []:
        store = os.path.join(tmp, f"h{n}.sqlite")
        history_store(args.new, store, n, tmp)
        cmd = lambda b: [b, "history", "hist", "--store", store, "--format", "json"]
        row(f"`history` over {n} snapshots of 10,000 providers", cmd(args.new),
            cmd(args.old) if n <= args.old_history_max else None, args.repeat,
            "" if n <= args.old_history_max else "previous binary not run (memory grows with snapshots)")
        os.remove(store)
    if args.peer and "metrics" in wanted:
        rng = random.Random(1)
        nums = os.path.join(tmp, "m1m.txt")
        with open(nums, "w") as f:
            for _ in range(1000000):
                f.write(f"{int(rng.paretovariate(1.16) * 100)}\n")
        repeat = max(5, args.repeat)
        peer_cmd = [args.peer_python, os.path.join(HERE, "peer_metrics.py"), args.peer, nums]
        t_peer, _, _ = measured(peer_cmd, repeat)
        t_old, _, _ = measured([args.old, "metrics", nums], repeat)
        t_new, _, _ = measured([args.new, "metrics", nums], repeat)
        print(f"| `metrics` on 1,000,000 integers (median of {repeat}) | {t_old:.3f} s ({t_peer / t_old:.0f}× the peer) | "
              f"{t_new:.3f} s ({t_peer / t_new:.0f}× the peer) | peer (consensus-decentralization, Python) {t_peer:.2f} s | — |")


if __name__ == "__main__":
    main()
