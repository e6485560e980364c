"""CSV cells a spreadsheet would run as a formula, neutralised (OWASP's CSV injection rule).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)``, ``-2+3+cmd|' /C calc'!A0``). Such a
cell is written with a single quote in front, which a spreadsheet shows as text. A plain number
(``-12.50``, ``+8613800138000``) stays as it is: it is a value, not a formula.

One rule, three forms: :func:`neutralise` for one text, :func:`neutralise_sql` for a column in
DuckDB and :func:`neutralise_table` for every text column of an Arrow table. Every CSV written
for people to open (reject lists, exports) goes through one of them.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

TRIGGERS = "=+-@\t\r"
PLAIN_NUMBER = r"[+-]?[0-9]+([.][0-9]+)?"
_STARTS = "^[=+@\t\r-]"
_NUMBER = re.compile(PLAIN_NUMBER)


def neutralise(text: str) -> str:
    """The text as a CSV cell may hold it: a formula gets a quote in front, anything else stays."""
    if text and text[0] in TRIGGERS and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def neutralise_sql(expression: str) -> str:
    """:func:`neutralise` as a DuckDB expression over a text ``expression`` (NULL stays NULL)."""
    return (
        f"CASE WHEN regexp_matches({expression}, '{_STARTS}') "
        f"AND NOT regexp_full_match({expression}, '{PLAIN_NUMBER}') "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


def neutralise_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`neutralise` over an Arrow text array (nulls stay null)."""
    formula = pc.and_(
        pc.match_substring_regex(values, _STARTS),
        pc.invert(pc.match_substring_regex(values, f"^{PLAIN_NUMBER}$")),
    )
    return pc.if_else(formula, pc.binary_join_element_wise("'", values, ""), values)


def neutralise_table(table: pa.Table) -> pa.Table:
    """Every text column of ``table`` neutralised; other columns as they are."""
    columns = [
        neutralise_array(column)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        else column
        for column in table.columns
    ]
    return pa.table(columns, schema=table.schema)
