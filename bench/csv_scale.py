#!/usr/bin/env python3
"""Time and peak memory of `rackaudit audit` on generic CSV files of growing
row counts over a fixed set of providers (rows fold into providers while the
file streams, so memory should stay flat while time grows linearly).

Usage: python3 bench/csv_scale.py target/release/rackaudit [ROWS ...]
Default rows: 100000 1000000 10000000, over 50,000 providers. Needs
/usr/bin/time (GNU time) for peak RSS.
"""
import os
import subprocess
import sys
import tempfile

MODELS = [("nvidia", "H100 SXM", 80, 2.4), ("nvidia", "A100 PCIe", 80, 1.2),
          ("nvidia", "RTX 4090", 24, 0.35), ("nvidia", "L40S", 48, 0.9),
          ("amd", "MI300X", 192, 2.1), ("nvidia", "T4", 16, 0.15)]
HEADER = ("provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,"
          "gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\n")
COUNTRIES = ["US", "DE", "FR", "NL", "CA", "SG", "JP", "GB", "FI", "PL"]


def write(path, rows, providers):
    with open(path, "w", buffering=1 << 20) as f:
        f.write(HEADER)
        for i in range(rows):
            p = i % providers
            vendor, model, mem, base = MODELS[(p + i // providers) % len(MODELS)]
            count = 1 + (3 * (i // providers) + p) % 8
            price = base * (1 + (p % 10) / 100)
            f.write(f"p{p},op{p % 12000},provider {p},{COUNTRIES[p % 10]},,{16509 + p % 50},,,"
                    f"{vendor},{model},{count},{mem},0.99,{price:.4f},\n")


def measure(binary, path):
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", binary, "audit", path,
                          "--format", "json", "-o", os.devnull],
                         capture_output=True, text=True, check=True)
    secs, kib = out.stderr.strip().splitlines()[-1].split()
    return float(secs), int(kib) / 1024


def main():
    binary = sys.argv[1]
    sizes = [int(x) for x in sys.argv[2:]] or [100_000, 1_000_000, 10_000_000]
    providers = 50_000
    print(f"| rows | providers | file (MB) | wall (s) | peak RSS (MiB) | µs per row |")
    print(f"|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            path = os.path.join(tmp, f"rows{rows}.csv")
            write(path, rows, providers)
            mb = os.path.getsize(path) / 1e6
            secs, rss = min(measure(binary, path) for _ in range(3))
            print(f"| {rows:,} | {providers:,} | {mb:,.0f} | {secs:.2f} | {rss:.0f} | {secs / rows * 1e6:.2f} |",
                  flush=True)
            os.remove(path)


if __name__ == "__main__":
    main()
