"""Benchmark of the portfolio generator: customers and rows per second, CPU and peak memory.

    .venv/bin/python benchmarks/bench_sim.py                      # 100k and 1M, CSV and Parquet
    .venv/bin/python benchmarks/bench_sim.py --sizes 1000000 --formats csv
    .venv/bin/python benchmarks/bench_sim.py --sizes 7100000 --formats parquet --book 7100000

Each measurement runs in a fresh process, so that its peak RSS is its own, and writes into a
temporary directory removed afterwards. Beside the generator, the same run measures the peer:
a plain Python generator of the same shape (the five files, about as many rows per customer,
amounts as decimal text), customer by customer and row by row with the csv module, the way a
script without NumPy would do it. ``--book N`` also streams a book of N customers through
``iter_book_batches`` (minor units, nothing written): what the batch benchmark consumes.
The wall time depends on what else the machine runs; the CPU seconds much less so.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 11, 21)
SEED = 42


@dataclass(frozen=True)
class Figures:
    label: str
    customers: int
    rows: int
    seconds: float
    cpu: float
    peak_mib: float
    written_mib: float

    def line(self) -> str:
        return (
            f"{self.label:<13}{self.customers:>10,}{self.rows:>13,}{self.seconds:>7.1f}"
            f"{self.rows / self.seconds / 1e6:>7.2f}M{self.customers / self.seconds / 1e3:>6.1f}k"
            f"{self.cpu:>7.1f}{self.peak_mib:>7,.0f}{self.written_mib:>8,.0f}"
        )


HEADER = (
    f"{'what':<13}{'customers':>10}{'rows':>13}{'wall s':>7}{'rows/s':>8}{'cust/s':>7}{'CPU s':>7}"
    f"{'RSS Mi':>7}{'disk Mi':>8}"
)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _written_mib(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.iterdir()) / 2**20


def measure_feed(customers: int, fmt_name: str) -> Figures:
    from arrears.sim import FeedFormat, PortfolioSpec, generate_portfolio

    out = Path(tempfile.mkdtemp(prefix="bench_sim_"))
    try:
        cpu = _cpu_seconds()
        report = generate_portfolio(PortfolioSpec(customers, SEED, AS_OF), out, FeedFormat(fmt_name))
        cpu = _cpu_seconds() - cpu
        written = _written_mib(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return Figures(
        f"feed {fmt_name}", customers, report.total_rows, report.seconds, cpu, _peak_mib(), written
    )


def measure_book(customers: int) -> Figures:
    from arrears.sim import PortfolioSpec, iter_book_batches

    cpu, started, rows, accounts = _cpu_seconds(), time.perf_counter(), 0, 0
    for chunk in iter_book_batches(PortfolioSpec(customers, SEED, AS_OF)):
        accounts += chunk.accounts.num_rows
        rows += chunk.accounts.num_rows + chunk.installments.num_rows + chunk.payments.num_rows
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    print(f"  book stream: {accounts:,} accounts", flush=True)
    return Figures("book stream", customers, rows, seconds, cpu, _peak_mib(), 0.0)


def measure_peer(customers: int) -> Figures:
    out = Path(tempfile.mkdtemp(prefix="bench_sim_peer_"))
    try:
        cpu, started = _cpu_seconds(), time.perf_counter()
        rows = write_peer_feed(customers, out)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        written = _written_mib(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return Figures("peer (rows)", customers, rows, seconds, cpu, _peak_mib(), written)


# --- the peer: one customer, one row at a time -------------------------------------------------

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周")
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇")
PRODUCTS = (
    ("credit_card", 0.55),
    ("personal_loan", 0.27),
    ("auto_loan", 0.10),
    ("mortgage", 0.04),
    ("sme_loan", 0.04),
)
TERMS = {
    "personal_loan": (12, 24, 36),
    "auto_loan": (24, 36, 48),
    "mortgage": (120, 240, 360),
    "sme_loan": (12, 24),
}
HEADERS = {
    "customers": "customer_id,name,national_id,birth_date,language,country,timezone,segment",
    "contact_points": "customer_id,type,value,label,is_primary,party,relation,do_not_contact",
    "accounts": "account_id,customer_id,product,currency,opened_on,principal,credit_limit,interest_rate,"
    "status,branch",
    "installments": "account_id,seq,due_date,amount_due,principal_due,interest_due,fees_due",
    "payments": "payment_id,account_id,paid_on,amount,channel,reverses",
}


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _month_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def write_peer_feed(customers: int, out: Path) -> int:
    """The same five files, about as many rows per customer, made row by row in plain Python."""
    rng = random.Random(SEED)
    handles = {kind: (out / f"{kind}.csv").open("w", encoding="utf-8", newline="") for kind in HEADERS}
    writers = {kind: csv.writer(handle) for kind, handle in handles.items()}
    for kind, header in HEADERS.items():
        writers[kind].writerow(header.split(","))
    counts = dict.fromkeys(HEADERS, 0)
    numbers = {"account": 0, "payment": 0}

    def emit(kind: str, row: tuple[object, ...]) -> None:
        writers[kind].writerow(row)
        counts[kind] += 1

    for number in range(1, customers + 1):
        _peer_customer(rng, number, emit, numbers)
    for handle in handles.values():
        handle.close()
    return sum(counts.values())


def _peer_customer(
    rng: random.Random, number: int, emit: Callable[[str, tuple[object, ...]], None], numbers: dict[str, int]
) -> None:
    customer_id = f"C{number:010d}"
    birth = AS_OF - timedelta(days=rng.randint(21 * 365, 70 * 365))
    national_id = f"110105{birth:%Y%m%d}{rng.randint(0, 9999):04d}"
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    emit(
        "customers",
        (customer_id, name, national_id, birth.isoformat(), "zh-CN", "CN", "Asia/Shanghai", "mass"),
    )
    mobile = f"+86139{rng.randint(0, 10**8 - 1):08d}"
    emit("contact_points", (customer_id, "mobile", mobile, "", "true", "debtor", "", "false"))
    for kind, value, label in (
        ("email", f"user{number}@qq.com", ""),
        ("address", "北京市朝阳区建国路1号", "home"),
    ):
        emit("contact_points", (customer_id, kind, value, label, "true", "debtor", "", "false"))
    emit("contact_points", (customer_id, "mobile", f"+86138{rng.randint(0, 10**8 - 1):08d}", "", "false",
                            "emergency_contact", "spouse", "false"))  # fmt: skip
    behaviour = rng.choices(("on_time", "late", "partial", "stops"), (0.68, 0.13, 0.09, 0.10))[0]
    for _ in range(rng.choices((1, 2, 3), (0.68, 0.24, 0.08))[0]):
        _peer_account(rng, customer_id, behaviour, emit, numbers)


def _peer_account(
    rng: random.Random,
    customer_id: str,
    behaviour: str,
    emit: Callable[[str, tuple[object, ...]], None],
    numbers: dict[str, int],
) -> None:
    numbers["account"] += 1
    account_id = f"A{numbers['account']:010d}"
    product = rng.choices([p for p, _ in PRODUCTS], [w for _, w in PRODUCTS])[0]
    card = product == "credit_card"
    term = rng.randint(12, 24) if card else rng.choice(TERMS[product])
    opened = _month_later(AS_OF, -rng.randint(1, term + 12))
    principal = rng.randint(10_000, 300_000) * 100
    limit, lent = (_money(principal), "") if card else ("", _money(principal))
    emit("accounts", (account_id, customer_id, product, "CNY", opened.isoformat(), lent, limit, "0.0500",
                      "active", "BJ001"))  # fmt: skip
    for seq in range(1, term + 1):
        due = _month_later(opened, seq)
        part = principal // term
        interest = principal * 5 // 1200
        emit("installments", (account_id, seq, due.isoformat(), _money(part + interest), _money(part),
                              _money(interest), "0.00"))  # fmt: skip
        if due > AS_OF or (behaviour == "stops" and rng.random() < 0.3):
            continue
        paid = (part + interest) * (rng.randint(30, 90) if behaviour == "partial" else 100) // 100
        numbers["payment"] += 1
        paid_on = due - timedelta(days=rng.randint(0, 5))
        emit("payments", (f"P{numbers['payment']:012d}", account_id, paid_on.isoformat(), _money(paid),
                          "mobile_banking", ""))  # fmt: skip


# --- running each measurement in its own process ----------------------------------------------


def _child(queue: mp.Queue[Figures | str], task: Callable[..., Figures], args: tuple[object, ...]) -> None:
    try:
        queue.put(task(*args))
    except Exception as error:  # the parent reports it and stops
        queue.put(f"{task.__name__}{args} failed: {error!r}")
        raise


def in_fresh_process(task: Callable[..., Figures], *args: object) -> Figures:
    context = mp.get_context("spawn")
    queue: mp.Queue[Figures | str] = context.Queue()
    process = context.Process(target=_child, args=(queue, task, args))
    process.start()
    outcome = queue.get()
    process.join()
    if isinstance(outcome, str):
        raise SystemExit(outcome)
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="customers, comma-separated")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument(
        "--peer", type=int, default=20_000, help="customers for the row-by-row peer (0: none)"
    )
    parser.add_argument("--book", type=int, default=0, help="also stream a book of this many customers")
    args = parser.parse_args()
    print(f"arrears sim, seed {SEED}, as of {AS_OF}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(HEADER, flush=True)
    results: list[Figures] = []
    if args.peer:
        results.append(in_fresh_process(measure_peer, args.peer))
        print(results[-1].line(), flush=True)
    for size in (int(s) for s in args.sizes.split(",") if s and int(s) > 0):
        for fmt_name in (f for f in args.formats.split(",") if f):
            results.append(in_fresh_process(measure_feed, size, fmt_name))
            print(results[-1].line(), flush=True)
    if args.book:
        results.append(in_fresh_process(measure_book, args.book))
        print(results[-1].line(), flush=True)
    _compare_with_peer(results)
    print(f"load average now {os.getloadavg()[0]:.1f} (other work slows the wall time, not the CPU)")


def _compare_with_peer(results: list[Figures]) -> None:
    peers = [r for r in results if r.label.startswith("peer")]
    if not peers:
        return
    peer = peers[0]
    for r in results:
        if not r.label.startswith(("peer", "book")):
            wall = (r.rows / r.seconds) / (peer.rows / peer.seconds)
            cpu = (r.rows / r.cpu) / (peer.rows / peer.cpu)
            print(f"{r.label} at {r.customers:,}: {wall:,.0f}x the peer's rows/s ({cpu:,.0f}x per CPU s)")


if __name__ == "__main__":
    main()
