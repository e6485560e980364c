"""Queues and their assignment rules (versioned documents), each case's queue, collectors'
skills and capacity, retention of a case with its collector (留案), and leases of next case."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.concurrency import Versioned
from arrears.db import Base, UTCDateTime


class QueueSetStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class QueueSet(Versioned, Base):
    """One version of the queue definitions and assignment rules, as the YAML document written.

    At most one is active; activating another retires it (after its preview showed how many
    cases it would move)."""

    __tablename__ = "queue_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(Integer, unique=True, comment="1, 2, …: the version people name")
    document: Mapped[str] = mapped_column(Text, comment="the YAML as written")
    digest: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the document")
    status: Mapped[str] = mapped_column(String(16), comment="draft, active or retired")
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index(
            "uq_queue_sets_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class CaseQueue(Base):
    """The queue an open case is in now (by the active queue set's rules), and since when."""

    __tablename__ = "case_queues"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), comment="the queue's code in the queue set")
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    queue_set: Mapped[int] = mapped_column(Integer, comment="queue_sets.number that placed it")
    entered_on: Mapped[date] = mapped_column(Date, comment="the business date it entered this queue")
    collector_since: Mapped[date | None] = mapped_column(
        Date, comment="the business date the nightly assignment last gave it a collector"
    )
    last_progress_on: Mapped[date | None] = mapped_column(
        Date, comment="the last right-party contact, promise or payment (for reassignment after N days)"
    )
    # next case's precomputed order (arrears.queues.next_case.refresh_priorities), highest first
    priority_level: Mapped[int] = mapped_column(
        SmallInteger,
        default=0,
        server_default="0",
        comment="2: a promise due today, 1: a promise found broken this morning, 0: the rest",
    )
    priority_value: Mapped[int] = mapped_column(
        BigInteger,
        default=0,
        server_default="0",
        comment="expected recovery: minor units of the case's currency (overdue x probability of paying)",
    )

    skip_until: Mapped[datetime | None] = mapped_column(
        UTCDateTime(),
        comment="next case passes the case over until then (a payment posted during the day: "
        "the end of that business day)",
    )

    __table_args__ = (
        Index(None, "team_id", "queue"),
        Index(None, "team_id", "priority_level", "priority_value"),
    )


class CollectorProfile(Versioned, Base):
    """What a collector can work (languages, products) and how many open cases at most."""

    __tablename__ = "collector_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    languages: Mapped[list[str]] = mapped_column(JSON, comment="BCP 47 tags, e.g. [zh-CN, en]; [] = any")
    products: Mapped[list[str]] = mapped_column(JSON, comment="product codes; [] = any")
    capacity: Mapped[int] = mapped_column(Integer, comment="open cases at most")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Retention(Base):
    """A case kept with its collector until a date (留案): no rule moves it meanwhile."""

    __tablename__ = "case_retentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    collector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    until: Mapped[date] = mapped_column(Date, comment="the last business date it is kept")
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="ended before `until`")

    __table_args__ = (Index(None, "case_id", "until"),)


class Lease(Base):
    """A case handed to a collector by next case, theirs alone until it expires or they release
    it; a released (or skipped) lease stays as the case's last one and keeps the case from that
    collector's next case until ``expires_at``."""

    __tablename__ = "case_leases"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    collector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    leased_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(32), comment="why next case chose it (a priority reason code)")
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="none: live until expires_at")
    skip_reason: Mapped[str | None] = mapped_column(String(500), comment="the collector's reason to skip it")

    __table_args__ = (Index(None, "collector_id", "expires_at"),)
