"""The definitions of issue 3, example by example, on the plain Python reference."""

from datetime import date

from arrears.delinquency.reference import (
    AccountFact,
    InstallmentFact,
    PaymentFact,
    SnapshotRow,
    reference_snapshot,
)
from arrears.delinquency.rules import DelinquencyRules

JAN, FEB, MAR = date(2024, 1, 10), date(2024, 2, 10), date(2024, 3, 10)


def snapshot(
    dues: list[tuple[int, date, int]],
    payments: list[tuple[str, date, int, str | None]],
    as_of: date,
    currency: str = "CNY",
    rules: DelinquencyRules | None = None,
    previous: str | None = None,
) -> SnapshotRow:
    account = AccountFact("A", "C", currency, "active")
    return reference_snapshot(
        [account],
        [InstallmentFact("A", seq, due, amount) for seq, due, amount in dues],
        [PaymentFact(pid, "A", paid_on, amount, reverses) for pid, paid_on, amount, reverses in payments],
        as_of,
        rules or DelinquencyRules(),
        {"A": previous} if previous else None,
    )["A"]


SCHEDULE = [(1, JAN, 1000), (2, FEB, 1000), (3, MAR, 1000)]


def test_an_installment_due_on_the_as_of_date_is_not_overdue_yet() -> None:
    on_the_day = snapshot(SCHEDULE, [], JAN)
    day_after = snapshot(SCHEDULE, [], date(2024, 1, 11))
    assert (on_the_day.dpd, on_the_day.bucket, on_the_day.overdue_amount) == (0, "M0", 0)
    assert (day_after.dpd, day_after.bucket, day_after.overdue_amount) == (1, "M1", 1000)


def test_partial_payment_leaves_the_oldest_installment_overdue() -> None:
    row = snapshot(SCHEDULE, [("P1", JAN, 600, None)], date(2024, 2, 20))
    assert row.dpd == (date(2024, 2, 20) - JAN).days
    assert row.overdue_amount == 1400
    assert row.outstanding_amount == 2400


def test_payments_are_applied_oldest_first_so_dpd_moves_to_the_next_due_date() -> None:
    row = snapshot(SCHEDULE, [("P1", date(2024, 3, 1), 1500, None)], date(2024, 3, 5))
    assert row.dpd == (date(2024, 3, 5) - FEB).days
    assert row.overdue_amount == 500


def test_overpayment_covers_future_installments() -> None:
    early = snapshot(SCHEDULE, [("P1", JAN, 2500, None)], date(2024, 2, 20))
    assert (early.dpd, early.overdue_amount, early.outstanding_amount) == (0, 0, 500)
    later = snapshot(SCHEDULE, [("P1", JAN, 2500, None)], date(2024, 3, 20))
    assert (later.dpd, later.overdue_amount) == ((date(2024, 3, 20) - MAR).days, 500)
    prepaid = snapshot(SCHEDULE, [("P1", JAN, 3000, None)], date(2024, 4, 1))
    assert (prepaid.dpd, prepaid.overdue_amount, prepaid.outstanding_amount) == (0, 0, 0)


def test_payments_after_the_as_of_date_do_not_count() -> None:
    row = snapshot(SCHEDULE, [("P1", date(2024, 1, 20), 1000, None)], date(2024, 1, 15))
    assert (row.dpd, row.overdue_amount) == (5, 1000)


def test_a_reversal_takes_back_the_payment_from_its_own_date() -> None:
    payments = [("P1", JAN, 1000, None), ("R1", date(2024, 1, 25), 1000, "P1")]
    before_reversal = snapshot(SCHEDULE, payments, date(2024, 1, 24))
    after_reversal = snapshot(SCHEDULE, payments, date(2024, 1, 26))
    assert (before_reversal.dpd, before_reversal.overdue_amount) == (0, 0)
    assert (after_reversal.dpd, after_reversal.overdue_amount) == (16, 1000)


def test_ties_on_due_date_are_applied_by_seq() -> None:
    dues = [(2, JAN, 700), (1, JAN, 300), (3, FEB, 1000)]
    row = snapshot(dues, [("P1", JAN, 300, None)], date(2024, 1, 15))
    assert (row.dpd, row.overdue_amount) == (5, 700)


def test_materiality_threshold_is_per_currency_and_jpy_has_no_decimals() -> None:
    rules = DelinquencyRules(materiality={"JPY": 100})
    dues = [(1, JAN, 10_000), (2, FEB, 10_000)]
    small_gap = snapshot(dues, [("P1", JAN, 9_950, None)], date(2024, 1, 31), "JPY", rules)
    big_gap = snapshot(dues, [("P1", JAN, 9_800, None)], date(2024, 1, 31), "JPY", rules)
    same_gap_in_cny = snapshot(dues, [("P1", JAN, 9_950, None)], date(2024, 1, 31), "CNY", rules)
    assert (small_gap.dpd, small_gap.bucket, small_gap.overdue_amount) == (0, "M0", 50)
    assert (big_gap.dpd, big_gap.bucket) == (21, "M1")
    assert same_gap_in_cny.dpd == 21


def test_roll_against_the_previous_bucket() -> None:
    assert snapshot(SCHEDULE, [], date(2024, 3, 20), previous="M1").roll == "forward"
    paid_up = [("P1", date(2024, 3, 15), 2000, None)]
    assert snapshot(SCHEDULE, paid_up, date(2024, 3, 20), previous="M2").roll == "back"
    all_paid = [("P1", date(2024, 3, 15), 3000, None)]
    assert snapshot(SCHEDULE, all_paid, date(2024, 3, 20), previous="M2").roll == "cured"
    assert snapshot(SCHEDULE, [], JAN).roll == "new"
