"""``arrears audit verify|export|grants`` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from arrears.audit.trail import entry_hash
from arrears.cli import app
from arrears.config import get_settings
from tests.audit.chain import fill, rows
from tests.conftest import command_line_url

runner = CliRunner()


@pytest.fixture
def database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """12 entries, six hours apart from 2026-11-01 09:00 in Shanghai; the CLI pointed at them."""
    fill(engine, 12)
    monkeypatch.setenv("ARREARS_DATABASE_URL", command_line_url(engine))
    monkeypatch.setenv("ARREARS_BANK_TIMEZONE", "Asia/Shanghai")
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def invoke(*args: str, language: str = "en") -> tuple[int, str]:
    get_settings.cache_clear()
    result = runner.invoke(app, list(args), env={"ARREARS_LANGUAGE": language, "COLUMNS": "300"})
    get_settings.cache_clear()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def test_verify_prints_the_count_and_the_head_in_both_languages(database: Engine) -> None:
    last = rows(database)[12]["hash"]
    code, output = invoke("audit", "verify")
    assert code == 0 and "intact: 12 entries" in output and f"12:{last}" in output
    code, output = invoke("audit", "verify", "--anchor", f"12:{last}", language="zh-CN")
    assert code == 0 and "完好" in output and f"12:{last}" in output


def test_verify_names_the_break_and_exits_3_in_both_languages(database: Engine) -> None:
    with database.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 5"))
    code, output = invoke("audit", "verify")
    assert code == 3 and "entry 5 (removed)" in output and "deleted" in output
    code, output = invoke("audit", "verify", language="zh-CN")
    assert code == 3 and "第 5 条" in output and "removed" in output and "删除" in output


def test_verify_against_an_anchor_the_chain_no_longer_holds(database: Engine) -> None:
    with database.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 12"))
    code, output = invoke("audit", "verify", "--anchor", f"12:{'0' * 64}")
    assert code == 3 and "entry 12 (removed)" in output
    code, output = invoke("audit", "verify", "--anchor", "12")
    assert code == 2 and "SEQ:HASH" in output


def test_export_csv_of_one_customer_and_days_is_itself_on_the_record(
    database: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "c001.csv"
    code, output = invoke(
        "audit",
        "export",
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-02",
        "--customer",
        "C001",
        "--out",
        str(out),
    )
    assert code == 0, output
    with out.open(encoding="utf-8", newline="") as file:
        exported = list(csv.DictReader(file))
    stored = rows(database)
    # 2026-11-02 in Shanghai is 11-01 16:00 to 11-02 16:00 UTC: entries 4 to 7; C001's are 4 and 7
    assert [int(e["seq"]) for e in exported] == [4, 7]
    assert [e["hash"] for e in exported] == [stored[4]["hash"], stored[7]["hash"]]
    assert exported[0]["prev_hash"] == stored[3]["hash"] and exported[0]["customer_id"] == "C001"
    assert exported[0]["before"] == stored[4]["before"] and "138****5678" in exported[0]["before"]
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert digest in output
    entry = rows(database)[13]
    assert entry["action"] == "audit.export" and entry["customer_id"] == "C001"
    assert json.loads(entry["after"]) == {
        "customer_id": "C001",
        "entries": 2,
        "format": "csv",
        "from": "2026-11-02",
        "sha256": digest,
        "to": "2026-11-02",
    }
    assert invoke("audit", "verify")[0] == 0  # the export's own entry joined the chain properly


def test_export_csv_neutralises_formulas(database: Engine, tmp_path: Path) -> None:
    out = tmp_path / "day.csv"
    assert invoke("audit", "export", "--from", "2026-11-02", "--to", "2026-11-02", "--out", str(out))[0] == 0
    with out.open(encoding="utf-8", newline="") as file:
        exported = {int(e["seq"]): e for e in csv.DictReader(file)}
    assert sorted(exported) == [4, 5, 6, 7]
    assert exported[5]["reason"] == '\'=HYPERLINK("http://x")'  # entry 5 (n=4) holds a formula


def test_export_json_carries_every_field_so_hashes_recompute(database: Engine, tmp_path: Path) -> None:
    out = tmp_path / "range.json"
    code, _ = invoke(
        "audit", "export", "--from", "2026-11-01", "--to", "2026-11-02", "--format", "json", "--out", str(out)
    )
    assert code == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["from"] == "2026-11-01" and document["to"] == "2026-11-02" and document["count"] == 7
    assert [e["seq"] for e in document["entries"]] == list(range(1, 8))
    for entry in document["entries"]:
        assert entry_hash(entry) == entry["hash"], entry["seq"]
    assert document["entries"][4]["reason"] == '=HYPERLINK("http://x")'  # exact in JSON


def test_export_refuses_a_range_backwards_and_an_unknown_format(database: Engine, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    code, output = invoke("audit", "export", "--from", "2026-11-03", "--to", "2026-11-02", "--out", str(out))
    assert code == 2 and "before" in output and not out.exists()
    code, output = invoke(
        "audit", "export", "--from", "2026-11-01", "--to", "2026-11-02", "--format", "xml", "--out", str(out)
    )
    assert code == 2 and "csv, json" in output and not out.exists()


def test_grants_print_and_apply_only_on_postgresql(database: Engine) -> None:
    code, output = invoke("audit", "grants", "--role", "arrears_app")
    if database.dialect.name == "sqlite":
        assert code == 2 and "PostgreSQL" in output
        return
    assert code == 0 and "GRANT SELECT, INSERT ON" in output and "REVOKE UPDATE, DELETE, TRUNCATE" in output
    role = f"arrears_app_{uuid.uuid4().hex[:10]}"
    with database.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
    try:
        code, output = invoke("audit", "grants", "--role", role, "--apply")
        assert code == 0 and f"Applied to {role}" in output
        with database.connect() as connection:
            may = {
                privilege: connection.execute(
                    text("SELECT has_table_privilege(:role, 'audit_entries', :privilege)"),
                    {"role": role, "privilege": privilege},
                ).scalar()
                for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
            }
        assert may == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}
        code, output = invoke("audit", "grants", "--role", "no_such_role_here", "--apply")
        assert code == 2 and "no_such_role_here" in output
    finally:
        with database.begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
