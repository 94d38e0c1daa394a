#!/usr/bin/env python3
"""Lake benchmark (issue 18): rackaudit `history` on one machine against the
Spark job of scale/ in local mode, side by side in one run, on one generated
lake.

Usage: lake_bench.py RACKAUDIT PYTHON [--snapshots 365] [--providers 50000]
                     [--gpus-per-provider 20] [--cores 1,2] [--workdir DIR]

RACKAUDIT is a rackaudit built with `--features parquet`; PYTHON a Python
with PySpark (tests/spark.rs leaves one in target/tmp/spark-venv). The script
makes N daily snapshots of a synthetic network (`rackaudit synth`, one seed
per day), stores them, exports the lake (`snapshots export --all --format
parquet`), then times, as whole processes (wall time and peak RSS):

- `rackaudit history generic` over the stored snapshots (the headline rows:
  provider, operator and country dimensions on the primary weight, supply
  checks on, derived uptime);
- `rackaudit audit --snapshot …` of one stored snapshot (every dimension x
  weight: the figures the Spark job computes), times N;
- `python scale/audit_lake.py LAKE OUT` with SPARK_MASTER=local[C] for each C
  in --cores (every dimension x weight of every snapshot), JVM start
  included.

It prints the rows (provider x GPU group or ask) in the lake, the seconds and
the rows per second per core of each, and checks that the job's rows for one
snapshot equal rackaudit's. Results go to BENCHMARKS.md by hand, with the
machine.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def tree_rss_mib(pid):
    """Resident memory of a process and all its descendants (the JVM that
    PySpark starts is a child of Python), MiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 2**20


def measured(cmd, env=None):
    """Wall seconds and peak RSS (MiB, the whole process tree, sampled every
    0.2 s) of one run of `cmd`, with its stdout and stderr lines."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0.0
    out, err = [], []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()))
               for s, b in ((proc.stdout, out), (proc.stderr, err))]
    for r in readers:
        r.start()
    while proc.poll() is None:
        peak = max(peak, tree_rss_mib(proc.pid))
        time.sleep(0.2)
    for r in readers:
        r.join()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{err[0].decode()[-3000:]}")
    return seconds, peak, out[0], err[0].decode().splitlines()


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stderr.decode()[-3000:]}")
    return proc.stdout


def build_lake(rackaudit, work, snapshots, providers, gpus):
    store = os.path.join(work, "store.sqlite")
    lake = os.path.join(work, "lake")
    if os.path.exists(os.path.join(work, "lake.done")):
        return store, lake
    for day in range(snapshots):
        csv_path = os.path.join(work, "day.csv")
        run([rackaudit, "-q", "synth", "--providers", str(providers), "--gpus", str(gpus),
             "--operators", str(max(1, providers // 10)), "--seed", str(day + 1), "-o", csv_path])
        taken = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(1735689600 + 86400 * day))
        run([rackaudit, "-q", "snapshots", "import", "--store", store, "--taken-at", taken, csv_path])
        if (day + 1) % 25 == 0:
            print(f"  stored {day + 1}/{snapshots} snapshots", file=sys.stderr)
    start = time.perf_counter()
    run([rackaudit, "-q", "snapshots", "export", "--all", "--format", "parquet", "--out-dir", lake,
         "--store", store])
    print(f"  lake exported in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    open(os.path.join(work, "lake.done"), "w").close()
    return store, lake


def lake_rows(messages):
    """The row count the job reports (`audit_lake.py: read N rows …`)."""
    for line in messages:
        if line.startswith("audit_lake.py: read "):
            return int(line.split()[2])
    sys.exit("the job did not report its row count")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rackaudit")
    p.add_argument("python")
    p.add_argument("--snapshots", type=int, default=365)
    p.add_argument("--providers", type=int, default=50000)
    p.add_argument("--gpus-per-provider", type=int, default=20)
    p.add_argument("--cores", default="1,2")
    p.add_argument("--driver-memory", default="8g")
    p.add_argument("--workdir")
    a = p.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="rackaudit-lake-bench-")
    os.makedirs(work, exist_ok=True)
    print(f"work directory: {work}", file=sys.stderr)
    store, lake = build_lake(a.rackaudit, work, a.snapshots, a.providers,
                             a.providers * a.gpus_per_provider)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(lake) for f in fs)
    results = []

    seconds, peak, _, _ = measured([a.rackaudit, "-q", "history", "generic", "--store", store,
                                 "--format", "json"])
    results.append(("rackaudit history (headline rows, 2 cores)", seconds, peak, 2))

    one, peak_one, audit_json, _ = measured([a.rackaudit, "-q", "audit", "--store", store, "--snapshot", "1",
                                          "--no-stress", "--format", "json", "--tau", ">=1/3,>=1/2,>2/3"])
    results.append((f"rackaudit audit, 1 snapshot (all dimensions x weights) x {a.snapshots}",
                    one * a.snapshots, peak_one, 2))

    env = dict(os.environ)
    env["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {a.driver_memory} pyspark-shell"
    out = os.path.join(work, "result.csv")
    for cores in [int(c) for c in a.cores.split(",")]:
        env["SPARK_MASTER"] = f"local[{cores}]"
        seconds, peak, _, messages = measured(
            [a.python, os.path.join(ROOT, "scale", "audit_lake.py"), lake, out], env=env)
        rows = lake_rows(messages)
        results.append((f"Spark local[{cores}] (all dimensions x weights)", seconds, peak, cores))

    # The job's figures for the first snapshot are rackaudit's.
    audit = json.loads(audit_json)["snapshots"][0]
    spark = {(r["dimension"], r["weight"]): r for r in csv.DictReader(open(out))
             if r["taken_at"] == audit["taken_at"]}
    for c in audit["concentration"]:
        r = spark[(c["dimension"], c["weight"])]
        m = c["metrics"]
        assert int(r["coalition_1_2"]) == m["tau_index"][">=1/2"], (c["dimension"], c["weight"])
        assert abs(float(r["hhi"]) - m["hhi"]) <= 1e-9 * m["hhi"], (c["dimension"], c["weight"])
    print(f"check: Spark's {len(spark)} rows of snapshot 1 agree with rackaudit audit")

    print(f"lake: {a.snapshots} snapshots x {a.providers} providers, {rows:,} rows, "
          f"{size / 2**20:.0f} MiB of Parquet")
    print()
    print("| run | seconds | peak RSS MiB | rows/s | rows/s per core |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, peak, cores in results:
        rate = rows / seconds
        print(f"| {name} | {seconds:.1f} | {peak:.0f} | {rate:,.0f} | {rate / cores:,.0f} |")


if __name__ == "__main__":
    main()
