"""Validating a feed set-based in DuckDB: every fault of every row, then the good rows typed.

Three stages, each looking only at the rows the stage before left standing:
1. each field on its own (required, type, enum, code lists, decimals for the currency) and
   duplicate keys within the file;
2. references to customers and accounts (stored, or imported earlier in the same run);
3. for payments, reversals (of a known payment, of the same account and amount, only once) and
   their finality (a payment that is reversed, or reverses another, never changes);
   for installments and payments, each account's total (at most ``MAX_AMOUNT``).

Telephone numbers are checked with ``phonenumbers`` for the customer's country (else CN), once
per distinct number, and stored in E.164. Every value a reason repeats is cut (``echo_text``).

The reference data a file needs is fetched from the operational database beforehand and
registered in DuckDB as ``ref_customers``, ``ref_accounts`` and ``ref_payments`` (see
:mod:`arrears.portfolio.references`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import langcodes
import pyarrow as pa

from arrears.clock import time_zone_names
from arrears.errors import MAX_ECHO
from arrears.money import known_currencies
from arrears.portfolio.feeds import (
    FALSE_WORDS,
    MAX_AMOUNT,
    TRUE_WORDS,
    FeedColumn,
    FeedKind,
    FieldType,
    country_codes,
)
from arrears.portfolio.phones import DEFAULT_REGION, PHONE_TYPES, register_phones
from arrears.portfolio.reading import ROW_NUMBER, StructuralFault
from arrears.portfolio.reasons import reason_rows

FAULT_COLUMNS = "_row BIGINT, col VARCHAR, value VARCHAR, code VARCHAR, a1 VARCHAR, a2 VARCHAR"
AMOUNT_TEXT = r"[+-]?[0-9]{1,15}([.][0-9]+)?"
EMAIL_TEXT = r"[^@\s]+@[^@\s]+[.][^@\s]+"


@dataclass(frozen=True)
class Validated:
    """Names of the DuckDB tables holding the outcome."""

    rejects: str = "rejects"  # _row, column, value, reason: one line per fault
    good: str = "good"  # the stored shape: typed columns, amounts in minor units


def _set_words(db: duckdb.DuckDBPyConnection, name: str, words: Sequence[str]) -> None:
    """A list of allowed words as the DuckDB variable ``name``, bound (no SQL literal is built)."""
    db.execute(f"SET VARIABLE {name} = $words", {"words": list(words)})


def _words(name: str) -> str:
    return f"getvariable('{name}')"


def _in_words(value: str, name: str) -> str:
    """SQL: the value is one of the words of variable ``name`` (NULL when the value is NULL)."""
    return f"list_contains({_words(name)}, {value})"


def _enum_words(column: FeedColumn) -> str:
    return f"enum_{column.name}"


def register_code_lists(db: duckdb.DuckDBPyConnection) -> None:
    db.register(
        "currencies", pa.table({"code": list(known_currencies()), "exp": list(known_currencies().values())})
    )
    db.register("zones", pa.table({"name": sorted(time_zone_names())}))
    db.register("countries", pa.table({"code": sorted(country_codes())}))
    _set_words(db, "true_words", TRUE_WORDS)
    _set_words(db, "boolean_words", TRUE_WORDS + FALSE_WORDS)
    _set_words(db, "phone_types", PHONE_TYPES)
    db.execute("""
        CREATE OR REPLACE MACRO major_text(minor, e) AS
        CASE WHEN e = 0 THEN CAST(minor AS VARCHAR)
             ELSE (CASE WHEN minor < 0 THEN '-' ELSE '' END)
                  || CAST(abs(minor) // CAST(10 ** e AS BIGINT) AS VARCHAR) || '.'
                  || lpad(CAST(abs(minor) % CAST(10 ** e AS BIGINT) AS VARCHAR), CAST(e AS INTEGER), '0')
        END""")
    db.execute("""
        CREATE OR REPLACE MACRO to_minor(text, e) AS
        CAST(CAST(text AS DECIMAL(38, 4)) * CAST(10 ** e AS BIGINT) AS BIGINT)""")
    db.execute(f"""
        CREATE OR REPLACE MACRO echo_text(v) AS
        CASE WHEN length(v) <= {MAX_ECHO} THEN v
             ELSE left(v, {MAX_ECHO}) || '…(+' || CAST(length(v) - {MAX_ECHO} AS VARCHAR) || ')' END""")


def _register_languages(db: duckdb.DuckDBPyConnection, raw: str) -> None:
    found = [
        row[0]
        for row in db.execute(
            f"SELECT DISTINCT trim(language) FROM \"{raw}\" WHERE nullif(trim(language), '') IS NOT NULL"
        ).fetchall()
    ]
    db.register("languages", pa.table({"tag": [tag for tag in found if langcodes.tag_is_valid(tag)]}))


def validate(
    db: duckdb.DuckDBPyConnection,
    kind: FeedKind,
    raw: str,
    structural: list[StructuralFault],
    language: str,
    columns: Sequence[str] | None = None,
) -> Validated:
    """Find every fault, write ``rejects`` and ``good``; returns their table names.

    ``columns`` are the contract's columns the file carries (all when None): ``good`` holds only
    those, and the columns with a default, so that a column the file lacks stays as stored.
    """
    if "language" in kind.column_names:
        _register_languages(db, raw)
    for column in kind.columns:
        if column.type is FieldType.ENUM:
            _set_words(db, _enum_words(column), column.values)
    trimmed = ", ".join(f'nullif(trim("{c}"), \'\') AS "{c}"' for c in kind.column_names)
    currency = _currency_expression(kind)
    db.execute(f'CREATE OR REPLACE TEMP TABLE clean AS SELECT {ROW_NUMBER}, {trimmed} FROM "{raw}"')
    phone, mobile, region = "NULL", "NULL", "NULL"
    if any(c.type is FieldType.CONTACT_VALUE for c in kind.columns):
        register_phones(db)
        phone, mobile, region = "phones.e164", "phones.mobile", f"coalesce(_rc.country, '{DEFAULT_REGION}')"
    db.execute(f"""CREATE OR REPLACE TEMP TABLE enriched AS
        SELECT *, min(_row) OVER (PARTITION BY {_key_expression(kind)}) AS _first FROM (
            SELECT clean.*, {currency} AS _currency, currencies.exp AS _exp,
                   {phone} AS _e164, {mobile} AS _mobile, {region} AS _region
            FROM clean {_account_join(kind)} LEFT JOIN currencies ON currencies.code = {currency}
            {_phone_join(kind)})""")
    db.execute(f"CREATE OR REPLACE TABLE faults ({FAULT_COLUMNS})")
    if structural:
        db.executemany(
            "INSERT INTO faults VALUES (?, NULL, NULL, 'wrong_field_count', ?, ?)",
            [(f.row, str(f.fields), str(f.width)) for f in structural],
        )
    _insert_faults(db, [*_field_checks(kind), *_duplicate_checks(kind)], "enriched")
    db.execute(
        "CREATE OR REPLACE TEMP VIEW stage2 AS SELECT * FROM enriched "
        "WHERE _row NOT IN (SELECT _row FROM faults)"
    )
    _insert_faults(db, _reference_checks(kind), "stage2")
    db.execute(
        f"CREATE OR REPLACE TABLE good AS SELECT {_typed_columns(kind)} FROM enriched "
        "WHERE _row NOT IN (SELECT _row FROM faults)"
    )
    if kind.name == "payments":
        _check_finality(db, columns is None or "reverses" in columns)
        _check_reversals(db)
    if kind.currency_from_account:
        _check_account_totals(db, kind)
    _keep_carried_columns(db, kind, columns)
    _write_rejects(db, language)
    return Validated()


def _keep_carried_columns(
    db: duckdb.DuckDBPyConnection, kind: FeedKind, columns: Sequence[str] | None
) -> None:
    """Drop from ``good`` the optional columns the file does not carry: their stored values stay.

    A column with a default stays: it is empty (NULL) in every row, which the loader reads as
    "keep the stored value; a new row takes the default" (a do-not-contact flag is never cleared
    by silence)."""
    if columns is None:
        return
    for column in kind.columns:
        if column.name not in columns and not column.required and column.default is None:
            db.execute(f'ALTER TABLE good DROP COLUMN "{column.name}"')


def _phone_join(kind: FeedKind) -> str:
    if not any(c.type is FieldType.CONTACT_VALUE for c in kind.columns):
        return ""
    return (
        "LEFT JOIN ref_customers AS _rc ON _rc.customer_id = clean.customer_id "
        f"LEFT JOIN phones ON phones.raw = clean.value AND {_in_words('lower(clean.type)', 'phone_types')} "
        f"AND phones.region = coalesce(_rc.country, '{DEFAULT_REGION}')"
    )


def _currency_expression(kind: FeedKind) -> str:
    if kind.currency_from_account:
        return "ref_accounts.currency"
    if "currency" in kind.column_names:
        return "upper(clean.currency)"
    return "NULL"


def _account_join(kind: FeedKind) -> str:
    if kind.currency_from_account:
        return "LEFT JOIN ref_accounts ON ref_accounts.account_id = clean.account_id"
    return ""


# --- stage 1: fields --------------------------------------------------------------------------

Check = tuple[str, str, str, str, str]
"""(column, condition, code, detail a1, detail a2): SQL over the view, the row is at fault when true."""


def _field_checks(kind: FeedKind) -> list[Check]:
    checks: list[Check] = []
    for column in kind.columns:
        name = f'"{column.name}"'
        if column.required:
            checks.append((column.name, f"{name} IS NULL", "required", "NULL", "NULL"))
        checks.extend(
            (column.name, f"{name} IS NOT NULL AND ({condition})", code, a1, a2)
            for condition, code, a1, a2 in _type_checks(column, name)
        )
    return checks


def _type_checks(column: FeedColumn, name: str) -> list[tuple[str, str, str, str]]:
    t = column.type
    if t is FieldType.TEXT:
        return [(f"length({name}) > {column.max_length}", "too_long", str(column.max_length), "NULL")]
    if t is FieldType.ENUM:
        return [
            (
                f"NOT {_in_words(f'lower({name})', _enum_words(column))}",
                "not_in_enum",
                f"array_to_string({_words(_enum_words(column))}, ', ')",
                "NULL",
            )
        ]
    if t is FieldType.DATE:
        return [
            (
                f"NOT regexp_full_match({name}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                f"OR try_cast({name} AS DATE) IS NULL",
                "bad_date",
                "NULL",
                "NULL",
            )
        ]
    if t is FieldType.POSITIVE_INTEGER:
        return [
            (
                f"NOT regexp_full_match({name}, '[0-9]{{1,9}}') OR CAST({name} AS INTEGER) < 1",
                "bad_positive_integer",
                "NULL",
                "NULL",
            )
        ]
    if t is FieldType.BOOLEAN:
        return [(f"NOT {_in_words(f'lower({name})', 'boolean_words')}", "bad_boolean", "NULL", "NULL")]
    if t is FieldType.RATE:
        return [
            (f"NOT regexp_full_match({name}, '[0-9]{{1,9}}([.][0-9]{{1,8}})?')", "bad_rate", "NULL", "NULL")
        ]
    if t is FieldType.TIMEZONE:
        return [(f"{name} NOT IN (SELECT name FROM zones)", "bad_timezone", "NULL", "NULL")]
    if t is FieldType.COUNTRY:
        return [
            (
                f"upper({name}) NOT IN (SELECT code FROM countries) OR length({name}) <> 2",
                "bad_country",
                "NULL",
                "NULL",
            )
        ]
    if t is FieldType.LANGUAGE:
        return [(f"{name} NOT IN (SELECT tag FROM languages)", "bad_language", "NULL", "NULL")]
    if t is FieldType.CURRENCY:
        return [
            (
                f"upper({name}) NOT IN (SELECT code FROM currencies) OR length({name}) <> 3",
                "bad_currency",
                "NULL",
                "NULL",
            )
        ]
    if t is FieldType.CONTACT_VALUE:
        return [
            (
                f"{_in_words('lower(type)', 'phone_types')} "
                "AND (_e164 IS NULL OR (lower(type) = 'mobile' AND NOT _mobile))",
                "bad_phone",
                "_region",
                "NULL",
            ),
            (
                f"lower(type) = 'email' AND NOT regexp_full_match({name}, '{EMAIL_TEXT}')",
                "bad_email",
                "NULL",
                "NULL",
            ),
            (f"length({name}) > {column.max_length}", "too_long", str(column.max_length), "NULL"),
        ]
    return _amount_checks(column, name)


def _amount_checks(column: FeedColumn, name: str) -> list[tuple[str, str, str, str]]:
    well_formed = f"regexp_full_match({name}, '{AMOUNT_TEXT}')"
    checks = [
        (
            f"{well_formed} AND _exp IS NOT NULL "
            f"AND abs(CAST({name} AS DECIMAL(38, 4))) * CAST(10 ** _exp AS BIGINT) > {MAX_AMOUNT}",
            "amount_too_large",
            f"'{MAX_AMOUNT}'",
            "NULL",
        ),
        (f"NOT {well_formed}", "bad_amount", "NULL", "NULL"),
        (
            f"{well_formed} AND _exp IS NOT NULL AND length(split_part({name}, '.', 2)) > _exp",
            "too_many_decimals",
            "_currency",
            "CAST(_exp AS VARCHAR)",
        ),
        (f"{well_formed} AND CAST({name} AS DECIMAL(38, 4)) < 0", "negative_amount", "NULL", "NULL"),
    ]
    if not column.allow_zero:
        checks.append(
            (f"{well_formed} AND CAST({name} AS DECIMAL(38, 4)) = 0", "amount_not_positive", "NULL", "NULL")
        )
    return checks


def _key_text(kind: FeedKind) -> str:
    parts = [f"'{c} ' || \"{c}\"" for c in kind.key]
    return " || ', ' || ".join(parts)


def _key_expression(kind: FeedKind) -> str:
    return ", ".join(_normalised(kind.column(c)) for c in kind.key)


def _duplicate_checks(kind: FeedKind) -> list[Check]:
    not_null = " AND ".join(f'"{c}" IS NOT NULL' for c in kind.key)
    condition = f"{not_null} AND _row > _first"
    return [(kind.key[0], condition, "duplicate_key", _key_text(kind), "CAST(_first AS VARCHAR)")]


def _normalised(column: FeedColumn) -> str:
    name = f'"{column.name}"'
    if column.type is FieldType.ENUM:
        return f"lower({name})"
    if column.type is FieldType.POSITIVE_INTEGER:
        return f"coalesce(CAST(try_cast({name} AS BIGINT) AS VARCHAR), {name})"
    if column.type is FieldType.CONTACT_VALUE:
        return f"coalesce(_e164, {name})"
    return name


def _insert_faults(db: duckdb.DuckDBPyConnection, checks: list[Check], view: str) -> None:
    for column, condition, code, a1, a2 in checks:
        db.execute(f"""INSERT INTO faults
            SELECT _row, '{column}', "{column}", '{code}', {a1}, {a2} FROM {view} WHERE {condition}""")


# --- stage 2: references ----------------------------------------------------------------------


def _reference_checks(kind: FeedKind) -> list[Check]:
    checks: list[Check] = []
    for reference in kind.references:
        table, code = (
            ("ref_customers", "unknown_customer")
            if reference.kind == "customers"
            else ("ref_accounts", "unknown_account")
        )
        key = reference.column
        checks.append((key, f'"{key}" NOT IN (SELECT {key} FROM {table})', code, "NULL", "NULL"))
    if kind.name == "accounts":
        stored = "(SELECT currency FROM ref_accounts r WHERE r.account_id = stage2.account_id)"
        checks.append(
            (
                "currency",
                f"upper(currency) <> coalesce({stored}, upper(currency))",
                "currency_changed",
                stored,
                "NULL",
            )
        )
    return checks


def _typed_columns(kind: FeedKind) -> str:
    typed = [f'{_typed(column)} AS "{column.name}"' for column in kind.columns]
    if kind.currency_from_account:
        typed.append("_currency AS currency")
    return ", ".join([ROW_NUMBER, *typed])


def _typed(column: FeedColumn) -> str:
    name = f'"{column.name}"'
    t = column.type
    if t is FieldType.ENUM:
        return f"lower({name})"  # empty: the stored value, or the column's default for a new row
    if t is FieldType.DATE:
        return f"CAST({name} AS DATE)"
    if t is FieldType.POSITIVE_INTEGER:
        return f"CAST({name} AS INTEGER)"
    if t is FieldType.BOOLEAN:
        return _in_words(f"lower({name})", "true_words")  # NULL when empty, as an enum
    if t is FieldType.RATE:
        return f"CAST(CAST({name} AS DECIMAL(18, 8)) AS VARCHAR)"
    if t in (FieldType.COUNTRY, FieldType.CURRENCY):
        return f"upper({name})"
    if t is FieldType.AMOUNT:
        return f"to_minor({name}, _exp)"
    if t is FieldType.CONTACT_VALUE:
        return f"coalesce(_e164, {name})"
    return name


# --- stage 3: reversals -----------------------------------------------------------------------


def _check_reversals(db: duckdb.DuckDBPyConnection) -> None:
    """Reversal rows of the good payments, against the good payments and the stored ones."""
    db.execute("""CREATE OR REPLACE TEMP VIEW reversal_targets AS
        SELECT g._row, g.payment_id, g.account_id, g.amount, g.currency, g.reverses,
               coalesce(f.payment_id, s.payment_id) AS target_id,
               coalesce(f.account_id, s.account_id) AS target_account,
               CASE WHEN f.payment_id IS NOT NULL THEN f.amount ELSE s.amount END AS target_amount,
               CASE WHEN f.payment_id IS NOT NULL THEN f.reverses ELSE s.reverses END AS target_reverses,
               (SELECT min(r._row) FROM clean r WHERE r.payment_id = g.reverses
                   AND r._row NOT IN (SELECT _row FROM good)) AS rejected_row,
               (SELECT min(o.payment_id) FROM good o WHERE o.reverses = g.reverses AND o._row < g._row)
                   AS earlier_in_file,
               (SELECT min(r.payment_id) FROM ref_payments r WHERE r.reverses = g.reverses
                   AND r.payment_id <> g.payment_id
                   AND r.payment_id NOT IN (SELECT payment_id FROM good)) AS stored_reversal,
               currencies.exp AS exp
        FROM good g
        LEFT JOIN good f ON f.payment_id = g.reverses
        LEFT JOIN ref_payments s ON s.payment_id = g.reverses
        LEFT JOIN currencies ON currencies.code = g.currency
        WHERE g.reverses IS NOT NULL""")
    db.execute("""INSERT INTO faults
        SELECT _row, 'reverses', reverses, code, a1, a2 FROM (
            SELECT _row, reverses,
                CASE WHEN reverses = payment_id THEN 'reverses_itself'
                     WHEN target_id IS NULL AND rejected_row IS NOT NULL THEN 'reverses_rejected'
                     WHEN target_id IS NULL THEN 'unknown_payment'
                     WHEN target_reverses IS NOT NULL THEN 'reverses_reversal'
                     WHEN target_account <> account_id THEN 'reversal_other_account'
                     WHEN coalesce(earlier_in_file, stored_reversal) IS NOT NULL THEN 'already_reversed'
                END AS code,
                CASE WHEN target_id IS NULL THEN CAST(rejected_row AS VARCHAR)
                     WHEN target_account <> account_id THEN target_account
                     ELSE coalesce(earlier_in_file, stored_reversal) END AS a1,
                NULL AS a2
            FROM reversal_targets) WHERE code IS NOT NULL""")
    db.execute("""INSERT INTO faults
        SELECT _row, 'amount', major_text(amount, exp), 'reversal_amount',
               major_text(target_amount, exp), NULL
        FROM reversal_targets
        WHERE target_id IS NOT NULL AND target_reverses IS NULL AND target_account = account_id
          AND amount <> target_amount AND _row NOT IN (SELECT _row FROM faults)""")
    db.execute("DELETE FROM good WHERE _row IN (SELECT _row FROM faults)")


# --- stage 3: finality and totals ---------------------------------------------------------------

FINAL_COLUMNS = {
    "account_id": "s.account_id",
    "paid_on": "CAST(s.paid_on AS VARCHAR)",
    "amount": "major_text(s.amount, currencies.exp)",
    "reverses": "coalesce(s.reverses, '')",
}


def _check_finality(db: duckdb.DuckDBPyConnection, carries_reverses: bool) -> None:
    """A stored payment that is reversed, or reverses another, keeps its account, date, amount
    and link: a row that would change one of them is rejected (``ref_final`` holds them)."""
    for column, stored in FINAL_COLUMNS.items():
        if column == "reverses" and not carries_reverses:
            continue
        db.execute(f"""INSERT INTO faults
            SELECT g._row, '{column}', c."{column}", 'reversal_final', {stored}, s.partner
            FROM good g JOIN ref_final s ON s.payment_id = g.payment_id
            JOIN clean c ON c._row = g._row
            LEFT JOIN currencies ON currencies.code = g.currency
            WHERE g."{column}" IS DISTINCT FROM s."{column}" """)
    db.execute("DELETE FROM good WHERE _row IN (SELECT _row FROM faults)")


def _check_account_totals(db: duckdb.DuckDBPyConnection, kind: FeedKind) -> None:
    """No account's installments (or payments) may add up to more than ``MAX_AMOUNT``: the rows
    that would take it past are rejected, in the file's order. Only the accounts that could pass
    it (``ref_amounts``) are looked at; a row counts the larger of its amount and the stored one,
    so what a rejected row leaves stored is counted too."""
    amount, key = (
        ("amount_due", "CAST(g.seq AS VARCHAR)")
        if kind.name == "installments"
        else (
            "amount",
            "g.payment_id",
        )
    )
    counted = "g.reverses IS NULL" if kind.name == "payments" else "true"
    db.execute(f"""INSERT INTO faults
        SELECT _row, '{amount}', raw_value, 'account_total_too_large', '{kind.name}', '{MAX_AMOUNT}' FROM (
            SELECT g._row, c."{amount}" AS raw_value,
                   coalesce(t.total, 0) - coalesce(sum(s.amount) OVER (PARTITION BY g.account_id), 0)
                   + sum(greatest(g."{amount}", coalesce(s.amount, 0))) OVER (
                       PARTITION BY g.account_id ORDER BY g._row
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
            FROM good g
            LEFT JOIN ref_totals t ON t.account_id = g.account_id
            JOIN clean c ON c._row = g._row
            LEFT JOIN ref_amounts s ON s.account_id = g.account_id AND s.key = {key}
            WHERE {counted} AND g.account_id IN (SELECT account_id FROM ref_suspects)
        ) WHERE running > {MAX_AMOUNT}""")
    db.execute("DELETE FROM good WHERE _row IN (SELECT _row FROM faults)")


def _write_rejects(db: duckdb.DuckDBPyConnection, language: str) -> None:
    reasons = reason_rows(language)
    db.register("reasons", pa.table({"code": [c for c, _ in reasons], "template": [t for _, t in reasons]}))
    db.execute("""CREATE OR REPLACE TABLE rejects AS
        SELECT f._row AS "row", coalesce(f.col, '') AS "column", f.value AS "value",
               format(r.template, coalesce(f.col, ''), echo_text(coalesce(f.value, '')),
                      echo_text(coalesce(f.a1, '')), echo_text(coalesce(f.a2, ''))) AS reason
        FROM faults f JOIN reasons r USING (code)
        ORDER BY f._row, f.col""")
