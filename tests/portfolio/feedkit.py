"""Writing small feed files and importing them, for the portfolio tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from arrears.clock import FixedClock
from arrears.portfolio.feeds import KINDS
from arrears.portfolio.importer import FileOutcome, ImportOptions, feed_files, import_files, import_paths
from arrears.portfolio.models import Account, ContactPoint, Customer, ImportLog, Installment, Payment

CLOCK = FixedClock(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))

CUSTOMERS = """customer_id,name,national_id,birth_date,language,country,timezone,segment
C1,张伟,110101199001011234,1990-01-01,zh-CN,CN,Asia/Shanghai,retail
C2,John Smith,,1985-06-30,en-US,US,America/New_York,
"""
ACCOUNTS = """account_id,customer_id,product,currency,opened_on,principal,credit_limit,interest_rate,status,branch
A1,C1,personal_loan,CNY,2025-01-01,12000.00,,0.12,active,BJ
A2,C2,credit_card,USD,2025-01-01,,5000.00,0.2399,active,
A3,C1,mortgage,JPY,2025-01-01,30000000,,0.015,,
"""
INSTALLMENTS = """account_id,seq,due_date,amount_due,principal_due,interest_due,fees_due
A1,1,2025-02-01,1060.00,1000.00,60.00,0
A1,2,2025-03-01,1060.00,1000.00,60.00,0
A2,1,2025-02-15,25.00,,,
A3,1,2025-02-01,120000,,,
"""
PAYMENTS = """payment_id,account_id,paid_on,amount,channel,reverses
P1,A1,2025-02-01,1060.00,bank,
P2,A1,2025-03-05,1060.00,bank,
R1,A1,2025-03-06,1060.00,bank,P2
P3,A3,2025-02-01,120000,bank,
"""
CONTACT_POINTS = """customer_id,type,value,label,is_primary,party,relation,do_not_contact
C1,mobile,+8613800138000,home,true,debtor,,false
C1,mobile,+8613900139000,,false,emergency_contact,sister,
C2,email,john@example.com,work,yes,debtor,,no
"""
GOOD_FEED = {
    "customers.csv": CUSTOMERS,
    "contact_points.csv": CONTACT_POINTS,
    "accounts.csv": ACCOUNTS,
    "installments.csv": INSTALLMENTS,
    "payments.csv": PAYMENTS,
}
MODELS = {
    "customers": Customer,
    "contact_points": ContactPoint,
    "accounts": Account,
    "installments": Installment,
    "payments": Payment,
}


def write_feed(directory: Path, files: dict[str, str], encoding: str = "utf-8") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_bytes(text.encode(encoding))
    return directory


def run_import(
    engine: Engine, *paths: Path, skip_unknown: bool = False, **options: object
) -> list[FileOutcome]:
    """Import as ``arrears import`` does; with ``skip_unknown``, a file of unknown kind fails alone."""
    if skip_unknown:
        return import_paths(engine, list(paths), CLOCK, ImportOptions(imported_by="test", **options))  # type: ignore[arg-type]
    kind = options.get("kind")
    files = feed_files(list(paths), kind if isinstance(kind, str) else None)
    return import_files(engine, files, CLOCK, ImportOptions(imported_by="test", **options))  # type: ignore[arg-type]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            kind: connection.execute(select(func.count()).select_from(model)).scalar_one()
            for kind, model in MODELS.items()
        }


def import_log(engine: Engine) -> list[ImportLog]:
    with Session(engine) as session:
        return list(session.scalars(select(ImportLog).order_by(ImportLog.id)))


def rejects(outcome: FileOutcome) -> list[dict[str, str]]:
    import csv

    assert outcome.rejects_path is not None, f"{outcome.path.name} has no rejects"
    with outcome.rejects_path.open(encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


assert set(MODELS) == set(KINDS)
