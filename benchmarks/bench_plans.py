"""Benchmark of the nightly step of plans and settlements (arrears.arrangements.plan_batch).

    .venv/bin/python benchmarks/bench_plans.py --plans 100000
    .venv/bin/python benchmarks/bench_plans.py --plans 100000 --url postgresql://postgres@127.0.0.1:5432/bench

A quick generator writes, straight into a database built by the migrations, one customer, one
account, one open case and one approved plan of 6 monthly installments per plan, and payments on
about two thirds of the accounts (some short, some reversed). Timed: the step on a first night
(most plans activated), the same night again (nothing changes, nothing written), and a night
past the grace of the second installment (the unpaid ones broken). Figures in seconds.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
CHUNK = 20_000


def build(url: str, plans: int) -> None:
    from sqlalchemy import create_engine, insert

    from arrears.arrangements.models import Arrangement, ArrangementInstallment
    from arrears.arrangements.schedule import Frequency, due_dates
    from arrears.cases.models import Case, CaseAccount
    from arrears.db.migrate import upgrade
    from arrears.portfolio.models import Account, Customer, Payment

    engine = create_engine(url)
    upgrade(engine)
    dues = due_dates(START + timedelta(days=10), 6, Frequency.MONTHLY)
    rng = random.Random(7)
    with engine.begin() as connection:
        for low in range(0, plans, CHUNK):
            ids = range(low, min(plans, low + CHUNK))
            connection.execute(insert(Customer), [{"customer_id": f"U{n:08d}", "name": "客户"} for n in ids])
            connection.execute(
                insert(Account),
                [
                    {
                        "account_id": f"A{n:08d}",
                        "customer_id": f"U{n:08d}",
                        "product": "personal_loan",
                        "currency": "CNY",
                        "opened_on": date(2025, 1, 1),
                        "status": "active",
                    }
                    for n in ids
                ],
            )
            connection.execute(
                insert(Case),
                [
                    {
                        "case_id": f"C{n:08d}",
                        "customer_id": f"U{n:08d}",
                        "status": "open",
                        "opened_on": date(2026, 10, 1),
                        "worst_dpd": 45,
                        "bucket": "M2",
                        "overdue_total": 600_000,
                        "currency": "CNY",
                        "account_count": 1,
                        "updated_on": START,
                    }
                    for n in ids
                ],
            )
            connection.execute(
                insert(CaseAccount),
                [
                    {
                        "case_id": f"C{n:08d}",
                        "account_id": f"A{n:08d}",
                        "joined_on": date(2026, 10, 1),
                        "delinquent": True,
                        "dpd": 45,
                        "bucket": "M2",
                        "overdue_amount": 600_000,
                        "currency": "CNY",
                        "account_status": "active",
                    }
                    for n in ids
                ],
            )
            first_id = low + 1
            connection.execute(
                insert(Arrangement),
                [
                    {
                        "id": n + 1,
                        "case_id": f"C{n:08d}",
                        "kind": "plan",
                        "method": "equal",
                        "rounding": "remainder_last",
                        "status": "approved",
                        "currency": "CNY",
                        "owed_amount": 600_000,
                        "total_amount": 600_000,
                        "discount_amount": 0,
                        "waived_fees": 0,
                        "installment_count": 6,
                        "needs_approval": False,
                        "proposed_at": NOW,
                        "decided_at": NOW,
                        "starts_on": START,
                        "version": 1,
                    }
                    for n in ids
                ],
            )
            connection.execute(
                insert(ArrangementInstallment),
                [
                    {
                        "arrangement_id": first_id + (n - low),
                        "seq": seq,
                        "due_on": due,
                        "amount": 100_000,
                        "paid_amount": 0,
                        "status": "open",
                    }
                    for n in ids
                    for seq, due in enumerate(dues, 1)
                ],
            )
            payments = []
            for n in ids:
                draw = rng.random()
                if draw < 0.34:
                    continue  # never pays: broken after the grace
                amount = 100_000 if draw < 0.8 else 250_000
                payments.append(
                    {
                        "payment_id": f"P{n:08d}",
                        "account_id": f"A{n:08d}",
                        "paid_on": START + timedelta(days=rng.randrange(1, 10)),
                        "currency": "CNY",
                        "amount": amount,
                    }
                )
                if draw > 0.97:
                    payments.append(
                        {
                            "payment_id": f"R{n:08d}",
                            "account_id": f"A{n:08d}",
                            "paid_on": START + timedelta(days=12),
                            "currency": "CNY",
                            "amount": amount,
                            "reverses": f"P{n:08d}",
                        }
                    )
            connection.execute(insert(Payment), payments)
    engine.dispose()


def timed(url: str, as_of: date, grace: int) -> tuple[float, dict[str, int]]:
    from sqlalchemy import create_engine

    from arrears.arrangements.plan_batch import evaluate_plans

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            started = time.perf_counter()
            changes = evaluate_plans(connection, as_of, now=NOW, grace_days=grace)
            return time.perf_counter() - started, changes.counts()
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--url", help="a database to fill (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp(prefix='arrears-plans-')}/plans.db"
    started = time.perf_counter()
    build(url, args.plans)
    print(
        f"built {args.plans:,} approved plans in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
    )
    nights = [
        ("first night (payments since approval, plans activated)", START + timedelta(days=11), 5),
        ("the same night again (nothing changes)", START + timedelta(days=11), 5),
        ("past the grace of installment 2 (unpaid ones broken)", START + timedelta(days=10 + 31 + 6), 5),
    ]
    for label, as_of, grace in nights:
        seconds, counts = timed(url, as_of, grace)
        print(f"{label}: {seconds:.2f} s  {counts}")


if __name__ == "__main__":
    main()
