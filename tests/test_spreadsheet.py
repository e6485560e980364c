"""CSV cells a spreadsheet would run as a formula are neutralised, the same in every form."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from arrears.spreadsheet import neutralise, neutralise_array, neutralise_sql, neutralise_table

CELLS = {
    '=HYPERLINK("http://evil.example","click")': '\'=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "-": "'-",
    "-x": "'-x",
    "-12.50": "-12.50",  # a negative amount stays a number
    "+8613800138000": "+8613800138000",
    "12": "12",
    "张伟": "张伟",
    "a=b": "a=b",
    "": "",
}


def test_the_rule_on_one_text() -> None:
    assert {cell: neutralise(cell) for cell in CELLS} == CELLS


def test_the_arrow_and_duckdb_forms_agree_with_it() -> None:
    values = [*CELLS, None]
    expected = [*CELLS.values(), None]
    assert neutralise_array(pa.array(values)).to_pylist() == expected
    con = duckdb.connect()
    con.register("cells", pa.table({"v": values}))
    assert [row[0] for row in con.execute(f"SELECT {neutralise_sql('v')} FROM cells").fetchall()] == expected
    table = neutralise_table(pa.table({"v": values, "n": list(range(len(values)))}))
    assert table.column("v").to_pylist() == expected and table.column("n").to_pylist() == list(
        range(len(values))
    )
