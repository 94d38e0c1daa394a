#!/usr/bin/env python3
"""rackaudit's concentration metrics over a Parquet snapshot lake, on Spark.

    spark-submit scale/audit_lake.py LAKE OUT
    python3 scale/audit_lake.py LAKE OUT        # when pyspark is importable

LAKE is the directory `rackaudit snapshots export --all --format parquet
--out-dir LAKE` wrote (network=.../taken_at=.../part-0.parquet). The query is
scale/audit_lake.sql, beside this file (on a cluster in cluster deploy mode,
ship it with `--files scale/audit_lake.sql`, or name it with --sql).

OUT receives one CSV table with a header, one row per snapshot x dimension x
weight: network, taken_at, dimension, weight, entities, coalition_1_3,
coalition_1_2, coalition_2_3, max_share, hhi, gini, shannon_entropy,
unattributed_share. A local path gets one file, written by the driver
(numbers as Python writes them: the shortest text that reads back to the same
double); a URI (hdfs://, s3a://, ...) gets Spark's CSV writer, as one part
file in a directory.

Without spark-submit the job runs in local mode on every core (set
SPARK_MASTER to change that).
"""

import argparse
import csv
import os
import sys
import time

COLUMNS = [
    "network",
    "taken_at",
    "dimension",
    "weight",
    "entities",
    "coalition_1_3",
    "coalition_1_2",
    "coalition_2_3",
    "max_share",
    "hhi",
    "gini",
    "shannon_entropy",
    "unattributed_share",
]

# Spark would otherwise read taken_at=2026-01-02T00:00:00Z as a timestamp
# (and a network named 1 as a number): partition values stay the text
# rackaudit wrote.
SETTINGS = {
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
}


def arguments(argv):
    p = argparse.ArgumentParser(
        prog="audit_lake.py",
        description="rackaudit's concentration metrics over a Parquet snapshot lake, on Spark.",
    )
    p.add_argument("lake", metavar="LAKE", help="directory (or URI) of the lake")
    p.add_argument("out", metavar="OUT", help="result CSV: a local file, or a URI")
    p.add_argument("--sql", help="the query (default: audit_lake.sql beside this file)")
    return p.parse_args(argv)


def query_text(path):
    # Beside the script, else in the working directory, where cluster
    # deploy modes put what --files ships.
    candidates = [path] if path else [
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "audit_lake.sql"),
        "audit_lake.sql",
    ]
    for c in candidates:
        if os.path.isfile(c):
            with open(c, encoding="utf-8") as f:
                return f.read()
    if not path:
        # Shipped with --files to a driver elsewhere (needs the session).
        from pyspark import SparkFiles

        shipped = SparkFiles.get("audit_lake.sql")
        if os.path.isfile(shipped):
            with open(shipped, encoding="utf-8") as f:
                return f.read()
    sys.exit(f"audit_lake.py: cannot find the query {candidates[0]}; name it with --sql")


def session():
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError as e:
        sys.exit(
            f"audit_lake.py: cannot import pyspark ({e}); run it with spark-submit, "
            "or install it: python3 -m pip install -r scale/requirements.txt"
        )
    builder = SparkSession.builder.appName("rackaudit audit_lake")
    # spark-submit sets the master; plain python3 runs locally.
    if not SparkConf().contains("spark.master"):
        builder = builder.master(os.environ.get("SPARK_MASTER", "local[*]"))
        builder = builder.config("spark.ui.enabled", "false")
    for k, v in SETTINGS.items():
        builder = builder.config(k, v)
    return builder.getOrCreate()


def cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_local(rows, out):
    directory = os.path.dirname(os.path.abspath(out))
    tmp = os.path.join(directory, f".{os.path.basename(out)}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            for r in rows:
                w.writerow([cell(r[c]) for c in COLUMNS])
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv):
    args = arguments(argv)
    if "://" not in args.lake and not os.path.isdir(args.lake):
        sys.exit(f"audit_lake.py: {args.lake} is not a directory: give the lake that "
                 "`rackaudit snapshots export --all --format parquet --out-dir LAKE` wrote")
    started = time.monotonic()
    spark = session()
    try:
        sql = query_text(args.sql)
        lake = spark.read.option("basePath", args.lake).parquet(args.lake)
        missing = [c for c in ("network", "taken_at") if c not in lake.columns]
        if missing:
            sys.exit(
                f"audit_lake.py: {args.lake} has no partition column {', '.join(missing)}: "
                "write it with `rackaudit snapshots export --all --format parquet --out-dir LAKE`"
            )
        lake.createOrReplaceTempView("lake")
        # From the Parquet footers: cheap, and what the benchmark divides by.
        print(f"audit_lake.py: read {lake.count()} rows", file=sys.stderr)
        result = spark.sql(sql)
        if "://" in args.out:
            result.coalesce(1).write.mode("overwrite").option("header", True).csv(args.out)
            rows = None
        else:
            rows = result.collect()
            write_local(rows, args.out)
        seconds = time.monotonic() - started
        count = "" if rows is None else f"{len(rows)} rows, "
        print(f"audit_lake.py: wrote {count}{args.out} in {seconds:.1f} s", file=sys.stderr)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
