"""Benchmark of the portfolio generator: rows written per second, CSV and Parquet.

    .venv/bin/python benchmarks/bench_sim.py [--customers 1000000] [--format csv|parquet|both]

Writes into a temporary directory (removed afterwards) and prints, per format, the rows of each
kind, the elapsed seconds, rows per second, customers per second and the bytes on disk.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
from datetime import date
from pathlib import Path

from arrears.sim import FeedFormat, PortfolioSpec, generate_portfolio


def run(customers: int, seed: int, fmt: FeedFormat) -> None:
    out = Path(tempfile.mkdtemp(prefix="bench_sim_"))
    cpu_before = _cpu_seconds()
    try:
        report = generate_portfolio(PortfolioSpec(customers, seed, date(2026, 11, 21)), out, fmt)
        size = sum(path.stat().st_size for path in report.files.values())
        cpu = _cpu_seconds() - cpu_before
    finally:
        shutil.rmtree(out, ignore_errors=True)
    rows = ", ".join(f"{kind} {count:,}" for kind, count in report.rows.items())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"[{fmt.value}] {customers:,} customers in {report.seconds:.1f} s: {rows}")
    print(
        f"[{fmt.value}] {report.total_rows / report.seconds:,.0f} rows/s, "
        f"{customers / report.seconds:,.0f} customers/s, {size / 2**20:,.0f} MiB written, "
        f"peak RSS so far {peak_mib:,.0f} MiB"
    )
    load = os.getloadavg()[0]
    print(
        f"[{fmt.value}] CPU {cpu:.1f} s (user + system, all threads) for {report.seconds:.1f} s wall; "
        f"load average {load:.1f} on {os.cpu_count()} cores (other work slows the wall time)"
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", choices=["csv", "parquet", "both"], default="both")
    args = parser.parse_args()
    formats = [FeedFormat.CSV, FeedFormat.PARQUET] if args.format == "both" else [FeedFormat(args.format)]
    for fmt in formats:
        run(args.customers, args.seed, fmt)


if __name__ == "__main__":
    main()
