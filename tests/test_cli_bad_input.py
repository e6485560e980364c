"""A user's mistake through the command line: a clear message naming what is wrong, the documented
exit status, never a traceback.

Exit statuses (arrears.errors): 2 the input or the settings are wrong, 3 busy or in conflict,
5 a service (the database, the batch store) cannot be used as it is.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
import typer
from typer.testing import CliRunner

from arrears.cli import ArrearsGroup, app
from arrears.config import get_settings
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.errors import ConflictError
from arrears.i18n import N_
from tests.batch.book import insert_book
from tests.delinquency.portfolios import facts_of, generated_book
from tests.scoring.synthetic import portfolio

runner = CliRunner(env={"COLUMNS": "200", "ARREARS_LANGUAGE": "en"})
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test's own SQLite file (not created), and settings read afresh."""
    path = tmp_path / "arrears.db"
    monkeypatch.setenv("ARREARS_DATABASE_URL", f"sqlite:///{path}")
    for name in ("ARREARS_BATCH_STORE", "ARREARS_DELINQUENCY_RULES", "ARREARS_BANK_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def database(settings: Path) -> Path:
    """An upgraded database holding a small book with payments in February 2024."""
    engine = make_engine(f"sqlite:///{settings}")
    upgrade(engine)
    insert_book(engine, *facts_of(generated_book(60, seed=3)))
    engine.dispose()
    return settings


def invoke(*args: str, env: dict[str, str] | None = None, cli: typer.Typer = app) -> tuple[int, str]:
    get_settings.cache_clear()
    result = runner.invoke(cli, list(args), env=env)
    get_settings.cache_clear()
    exception = result.exception
    assert exception is None or isinstance(exception, SystemExit), (
        f"{' '.join(args)} raised {type(exception).__name__}: {exception}\n{result.output}"
    )
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def refused(
    status: int,
    *args: str,
    says: tuple[str, ...],
    env: dict[str, str] | None = None,
    cli: typer.Typer = app,
) -> str:
    code, output = invoke(*args, env=env, cli=cli)
    assert code == status, output
    squashed = "".join(output.split())  # the console wraps long paths anywhere, even inside a word
    for needle in says:
        assert "".join(needle.split()) in squashed, f"{needle!r} not in {output!r}"
    return output


def labelled_csv(path: Path, rows: int = 300, *, one_class: bool = False) -> Path:
    table, outcome = portfolio(rows, seed=4)
    columns = {
        "months_late": table.column("months_delinquent_6m"),
        "paid_share": table.column("pay_ratio_6m"),
        "defaulted": np.zeros(rows, dtype=int) if one_class else (1 - outcome).astype(int),
    }
    pa_csv.write_csv(pa.table(columns), path)
    return path


# --- usage errors: the command line's own ---------------------------------------------------------

EVALUATE_CONTENT = ("compliance", "evaluate-content", "data/qa/corpus")
USAGE_ERRORS = [
    (
        ("qa", "sample", "--per-band", "0"),
        "'--per-band' does not take '0': is at least 1",
        "'--per-band' 不接受 '0'：至少为 1",
    ),
    (EVALUATE_CONTENT[:2], "'corpus' is required", "缺少必填参数 'corpus'"),
    (
        (*EVALUATE_CONTENT, "--nope"),
        "has no option '--nope' (did you mean '--model'?)",
        "没有选项 '--nope'（是否想用 '--model'？）",
    ),
    (
        (*EVALUATE_CONTENT, "--misses", "abc"),
        "'--misses' does not take 'abc': is not a whole number",
        "'--misses' 不接受 'abc'：不是整数",
    ),
    ((*EVALUATE_CONTENT, "--misses"), "'--misses' needs a value", "'--misses' 需要一个值"),
    (("model", "train", "--activate=yes"), "'--activate' takes no value", "'--activate' 不带值"),
    (("no-such-command",), "has no command 'no-such-command'", "没有命令 'no-such-command'"),
    (("--nope",), "has no option '--nope'", "没有选项 '--nope'"),
    (
        ("compliance", "replay", "no-such-scenario"),
        "'files': 'no-such-scenario': no such file or folder",
        "'files'：'no-such-scenario'：没有这个文件或文件夹",
    ),
]


@pytest.mark.parametrize(
    ("args", "en", "zh"), USAGE_ERRORS, ids=[" ".join(args) for args, _, _ in USAGE_ERRORS]
)
def test_a_usage_error_names_the_parameter_in_the_users_language(
    args: tuple[str, ...], en: str, zh: str
) -> None:
    english = refused(2, *args, says=(en,), env={"ARREARS_LANGUAGE": "en"})
    chinese = refused(2, *args, says=(zh,), env={"ARREARS_LANGUAGE": "zh-CN"})
    assert "Error" not in english + chinese  # the title of Typer's panel
    assert "Try '" not in chinese


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


choices_app = typer.Typer(cls=ArrearsGroup)


@choices_app.command()
def send(
    channel: Annotated[Channel, typer.Option()] = Channel.SMS,
    tone: Annotated[Literal["firm", "soft"], typer.Option()] = "soft",
) -> None:
    """A command of an enum and a Literal option (the CLI itself checks its choices with one_of)."""


@choices_app.command()
def other() -> None:
    """A second command, so that the app is a group as the CLI is."""


CHOICE_ERRORS = [
    (
        ("send", "--channel", "fax"),
        "'--channel' does not take 'fax': is not one of 'sms', 'email'",
        "'--channel' 不接受 'fax'：不在可选值 'sms', 'email' 之中",
    ),
    (
        ("send", "--tone", "rude"),
        "'--tone' does not take 'rude': is not one of 'firm', 'soft'",
        "'--tone' 不接受 'rude'：不在可选值 'firm', 'soft' 之中",
    ),
]


@pytest.mark.parametrize(("args", "en", "zh"), CHOICE_ERRORS, ids=["enum", "Literal"])
def test_a_value_not_offered_names_the_choices_in_the_users_language(
    args: tuple[str, ...], en: str, zh: str
) -> None:
    refused(2, *args, says=(en,), env={"ARREARS_LANGUAGE": "en"}, cli=choices_app)
    refused(2, *args, says=(zh,), env={"ARREARS_LANGUAGE": "zh-CN"}, cli=choices_app)


@choices_app.command()
def future(ctx: typer.Context) -> None:
    """A usage error Typer may say one day, of a kind arrears.cli does not know."""
    ctx.fail("A usage error a later Typer says.")


def test_a_usage_error_of_a_kind_not_known_keeps_the_librarys_words() -> None:
    refused(
        2,
        "future",
        says=("future'：A usage error a later Typer says.", "future --help' 查看帮助"),
        env={"ARREARS_LANGUAGE": "zh-CN"},
        cli=choices_app,
    )


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["model", "scores", "--as-of", "2024-13-01"],
        ["batch", "run", "--as-of", "2024-13-01"],
        ["delinquency", "export", "--as-of", "2024-13-01", "--out", "x.csv"],
        ["report", "roll-rates", "--from", "2024-02-01", "--to", "2024-13-01"],
        ["model", "features", "--as-of", "2024-13-01", "--out", "x.parquet"],
        ["model", "train", "--purpose", "cure", "--from", "yesterday", "--to", "2024-02-01"],
        ["sim", "portfolio", "--out", "feeds", "--as-of", "2024-13-01"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_date_that_is_not_one_is_refused_by_every_command(args: list[str]) -> None:
    refused(2, *args, says=("is not a date (YYYY-MM-DD)",))


@pytest.mark.parametrize("day", ["0001-01-05", "9999-12-31"])
def test_a_date_near_the_calendars_ends_is_refused_not_a_traceback(database: Path, day: str) -> None:
    """The night subtracts windows and adds terms: year 1 or 9999 left Python's calendar."""
    refused(2, "batch", "run", "--as-of", day, "--simulate", says=(day, "outside the business dates"))


def test_a_night_in_the_future_is_refused_unless_simulated(database: Path) -> None:
    refused(2, "batch", "run", "--as-of", "2099-01-01", says=("2099-01-01", "business today", "--simulate"))
    refused(2, "batch", "run", "--from", "2099-01-01", "--to", "2099-01-02", says=("2099-01-02",))
    code, output = invoke("batch", "run", "--as-of", "2099-01-01", "--simulate", "--quiet")
    assert code == 0, output


def test_make_run_dates_are_in_the_past() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "SAMPLE_AS_OF := 2026-11-21" in makefile  # before any business today the suite runs on


# --- the database --------------------------------------------------------------------------------


def test_a_database_never_created_or_never_upgraded_says_to_run_db_upgrade(settings: Path) -> None:
    refused(5, "model", "list", says=("no database", str(settings), "arrears db upgrade"))
    assert not settings.exists()  # a read does not create an empty file
    make_engine(f"sqlite:///{settings}").dispose()
    settings.touch()
    refused(5, "model", "list", says=("no tables yet", "arrears db upgrade"))
    refused(5, "batch", "run", "--as-of", "2024-02-01", says=("arrears db upgrade",))
    refused(5, "report", "roll-rates", "--from", "2024-02-01", "--to", "2024-02-02", says=("db upgrade",))
    refused(5, "delinquency", "export", "--as-of", "2024-02-01", "--out", "x.csv", says=("db upgrade",))


def test_db_upgrade_refuses_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "arrears.db"
    env = {"ARREARS_DATABASE_URL": f"sqlite:///{missing}"}
    refused(2, "db", "upgrade", says=(str(missing.parent), "does not exist"), env=env)
    assert not missing.parent.exists()
    code, output = invoke("db", "upgrade")
    assert code == 0, output


def test_a_locked_sqlite_file_is_busy_not_a_traceback(database: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sqlite3, sys
                c = sqlite3.connect({str(database)!r}, isolation_level=None)
                c.execute("PRAGMA locking_mode=EXCLUSIVE")
                c.execute("BEGIN EXCLUSIVE")
                c.execute("CREATE TABLE IF NOT EXISTS held (x)")
                print("held", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused(
            3,
            "model",
            "list",
            says=("locked by another process", "ARREARS_SQLITE_BUSY_TIMEOUT"),
            env={"ARREARS_SQLITE_BUSY_TIMEOUT": "0.2"},
        )
    finally:
        holder.communicate("")


# --- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("ARREARS_DATABASE_URL", "sqlite//arrears.db", "sqlite:///"),
        ("ARREARS_DATABASE_URL", "mysql://bank/arrears", "postgresql://"),
        ("ARREARS_BANK_TIMEZONE", "Asia/Shanghia", "IANA time zone"),
        ("ARREARS_IMPORT_CHUNK_ROWS", "lots", "whole number"),
        ("ARREARS_IMPORT_CHUNK_ROWS", "0", "positive"),
    ],
)
def test_a_setting_that_cannot_be_used_is_named(variable: str, value: str, says: str) -> None:
    for command in (["db", "upgrade"], ["batch", "run", "--as-of", "2024-02-01"], ["model", "list"]):
        refused(2, *command, says=(variable, value, says), env={variable: value})


def test_a_bad_setting_is_said_in_chinese_too() -> None:
    refused(
        2,
        "db",
        "upgrade",
        says=("ARREARS_BANK_TIMEZONE", "不是 IANA 时区"),
        env={"ARREARS_BANK_TIMEZONE": "Mars/Olympus", "ARREARS_LANGUAGE": "zh-CN"},
    )


# --- the batch store and the rules -----------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "another program's file"])
def test_a_damaged_batch_store_says_so_once_and_rebuild_store_goes_on(database: Path, damage: str) -> None:
    code, output = invoke("batch", "run", "--as-of", "2024-02-01", "--quiet")
    assert code == 0, output
    store = database.parent / "arrears.db.batch.duckdb"
    assert store.exists()
    content = store.read_bytes()
    store.write_bytes(
        content[: len(content) // 3] if damage == "truncated" else b"PK\x03\x04" + content[:5000]
    )
    output = refused(5, "batch", "run", "--as-of", "2024-02-02", "--quiet", says=("--rebuild-store",))
    assert "arrears.db.batch.duckdb" in output.replace(" ", "")
    code, output = invoke("batch", "run", "--as-of", "2024-02-02", "--quiet", "--rebuild-store")
    assert code == 0, output
    assert "readinfull" in "".join(output.split())
    code, output = invoke("batch", "run", "--as-of", "2024-02-03", "--quiet")
    assert code == 0, output


def test_rebuild_store_works_from_a_store_that_does_not_exist(database: Path) -> None:
    code, output = invoke("batch", "run", "--as-of", "2024-02-01", "--quiet", "--rebuild-store")
    assert code == 0, output


@pytest.mark.parametrize(
    "text",
    ["buckets: [{name: M0, low: 0, high: 0}", "buckets: [{nom: M0}]", "- just\n- a list\n"],
    ids=["not YAML", "a key missing", "not a mapping"],
)
def test_a_malformed_rules_file_is_named_by_the_commands_that_read_it(
    database: Path, tmp_path: Path, text: str
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    for command in (
        ["batch", "run", "--as-of", "2024-02-01", "--quiet"],
        ["report", "roll-rates", "--from", "2024-02-01", "--to", "2024-02-02"],
    ):
        refused(2, *command, "--rules", str(rules), says=("rules.yaml",))
    refused(
        2,
        "batch",
        "run",
        "--as-of",
        "2024-02-01",
        says=("rules.yaml",),
        env={"ARREARS_DELINQUENCY_RULES": str(rules)},
    )


# --- models ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--folds", "0"], ("--folds", "at least 2")),
        (["--folds", "1"], ("--folds", "at least 2")),
        (["--rounds", "0"], ("--rounds", "at least 1")),
        (["--kind", "forest"], ("--kind", "boosting, scorecard, both", "'forest'")),
        (["--calibration", "magic"], ("--calibration", "platt, isotonic", "'magic'")),
        (["--plot", "calibration.jpg"], ("calibration.jpg", ".png")),
    ],
)
def test_model_evaluate_refuses_options_it_cannot_use(
    tmp_path: Path, options: list[str], says: tuple[str, ...]
) -> None:
    csv = labelled_csv(tmp_path / "bank.csv")
    refused(2, "model", "evaluate", "--csv", str(csv), "--target", "defaulted", *options, says=says)


def test_model_evaluate_and_train_refuse_data_with_one_outcome(database: Path, tmp_path: Path) -> None:
    csv = labelled_csv(tmp_path / "bank.csv", one_class=True)
    says = ("0 rows with outcome 1", "both outcomes")
    refused(2, "model", "evaluate", "--csv", str(csv), "--target", "defaulted", says=says)
    refused(2, "model", "train", "--purpose", "cure", "--csv", str(csv), "--target", "defaulted", says=says)


def test_model_train_refuses_folds_of_one_and_a_purpose_that_is_not_a_name(
    database: Path, tmp_path: Path
) -> None:
    csv = labelled_csv(tmp_path / "bank.csv")
    common = ["model", "train", "--csv", str(csv), "--target", "defaulted"]
    refused(2, *common, "--purpose", "cure", "--folds", "1", says=("--folds",))
    refused(2, *common, "--purpose", "Cure Model!", says=("--purpose", "'Cure Model!'"))


def test_an_unknown_purpose_is_refused_with_the_purposes_there_are(database: Path, tmp_path: Path) -> None:
    csv = labelled_csv(tmp_path / "bank.csv")
    common = ["--csv", str(csv), "--target", "defaulted", "--folds", "0", "--kind", "scorecard"]
    refused(2, "model", "scores", "--as-of", "2024-02-01", "--purpose", "nope", says=("'nope'", "no model"))
    code, output = invoke("model", "train", "--purpose", "cure", *common, "--activate")
    assert code == 0, output
    code, output = invoke("model", "train", "--purpose", "pay_30d", *common)
    assert code == 0, output
    for command in (
        ["model", "scores", "--as-of", "2024-02-01", "--purpose", "nope"],
        ["model", "activate", "--purpose", "nope", "--version", "1"],
        ["model", "show", "--purpose", "nope", "--version", "1"],
    ):
        refused(2, *command, says=("'nope'", "cure, pay_30d"))
    refused(2, "model", "show", "--purpose", "cure", "--version", "9", says=("cure version 9",))


# --- reports and the simulator ---------------------------------------------------------------------


def test_import_refuses_a_directory_without_a_feed_file(database: Path, tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a feed\n", encoding="utf-8")
    before = invoke("portfolio", "summary")
    refused(2, "import", str(empty), says=("nothing-here", ".csv"))
    assert invoke("portfolio", "summary") == before


ROLL_RATES = ("report", "roll-rates", "--from", "2024-02-01", "--to", "2024-02-02")


def test_roll_rates_refuses_a_heat_map_that_is_not_a_png_before_any_work(tmp_path: Path) -> None:
    # no database at all: the file name is refused first
    refused(2, *ROLL_RATES, "--png", str(tmp_path / "out.jpg"), says=("out.jpg", ".png"))


def test_roll_rates_names_an_unknown_currency(database: Path) -> None:
    code, output = invoke("batch", "run", "--from", "2024-02-01", "--to", "2024-02-02", "--quiet")
    assert code == 0, output
    for currency in ("XYZ", "cny"):
        refused(2, *ROLL_RATES, "--by", "balance", "--currency", currency, says=(f"'{currency}'", "ISO 4217"))
    refused(2, *ROLL_RATES, "--by", "sum", says=("--by",))


def test_sim_portfolio_refuses_an_out_that_is_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "feeds.csv"
    existing.write_text("keep me\n", encoding="utf-8")
    refused(
        2, "sim", "portfolio", "--out", str(existing), "--customers", "5", says=("feeds.csv", "is a file")
    )
    assert existing.read_text(encoding="utf-8") == "keep me\n"


def _feed_with_a_bad_row(tmp_path: Path) -> Path:
    """A customers file whose second row would be set aside in a rejects file."""
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "customers.csv").write_text("customer_id,name\nC1,Ann\n,No Id\n", encoding="utf-8")
    return feed / "customers.csv"


def _imports(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM import_log").fetchone()[0])


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("a-file.txt", "is a file"),
        ("nowhere/rejects", "no such directory"),
        ("/proc", "cannot be written"),
    ],
    ids=["a file", "no such directory", "not writable"],
)
def test_import_refuses_rejects_it_cannot_write_before_importing_anything(
    database: Path, tmp_path: Path, where: str, says: str
) -> None:
    if where.startswith("/") and not Path(where).is_dir():
        pytest.skip(f"{where}, a directory no one may write in, is Linux's")
    feed = _feed_with_a_bad_row(tmp_path)
    rejects = Path(where) if where.startswith("/") else tmp_path / where
    if where.endswith(".txt"):
        rejects.write_text("keep me\n", encoding="utf-8")
    before = _imports(database)
    refused(2, "import", str(feed), "--rejects", str(rejects), says=(str(rejects), says))
    assert _imports(database) == before  # no file imported, none half-imported
    assert not list(tmp_path.rglob("*.rejects.csv"))
    assert not (tmp_path / "nowhere").exists()
    if where.endswith(".txt"):
        assert rejects.read_text(encoding="utf-8") == "keep me\n"
    code, output = invoke("import", str(feed), "--rejects", str(tmp_path))
    assert code == 3, output  # the same import with a usable directory: one row set aside
    assert (tmp_path / "customers.csv.rejects.csv").exists() and _imports(database) == before + 1


# --- one place renders, in the user's language ------------------------------------------------------


def _commands(group: typer.Typer, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    for info in group.registered_commands:
        name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        yield (*path, name), info
    for sub in group.registered_groups:
        assert sub.typer_instance is not None and sub.name is not None
        yield from _commands(sub.typer_instance, (*path, sub.name))


def test_an_arrears_error_inside_any_command_is_rendered_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    def conflict() -> None:
        raise ConflictError(N_("The request conflicts with the current state"))

    commands = list(_commands(app))
    assert len(commands) >= 15
    for _path, info in commands:
        monkeypatch.setattr(info, "callback", conflict)
    for path, _info in commands:
        code, output = invoke(*path, env={"ARREARS_LANGUAGE": "zh-CN"})
        assert code == 3, (path, output)
        squashed = "".join(output.split())
        assert "conflict" in squashed and "请求与当前状态冲突" in squashed, (path, output)


def test_a_domain_error_is_said_in_the_language_asked_for(database: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "s.csv")
    zh = refused(
        2,
        "delinquency",
        "export",
        "--as-of",
        "2023-01-01",
        "--out",
        out,
        says=("2023-01-01 没有快照",),
        env={"ARREARS_LANGUAGE": "zh-CN"},
    )
    assert "no snapshot" not in zh
    refused(
        2,
        "delinquency",
        "export",
        "--as-of",
        "2023-01-01",
        "--out",
        out,
        says=("no snapshot as of 2023-01-01",),
    )


# --- dependencies -----------------------------------------------------------------------------------

BLOCK_SCORING_EXTRA = """
import importlib.abc, sys

class NoScoringExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("lightgbm", "sklearn", "scipy", "matplotlib"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoScoringExtra())
sys.argv = ["arrears", *sys.argv[1:]]
from arrears.cli import main
main()
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["model", "--help"], ["batch", "run", "--help"], ["report", "--help"]]
)
def test_help_works_without_the_scoring_extra_or_matplotlib(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_SCORING_EXTRA, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout and "Traceback" not in done.stderr


def test_the_business_today_is_the_last_date_a_night_may_run() -> None:
    from datetime import UTC, date, datetime

    from arrears.batch.orchestrator import resolve_dates
    from arrears.clock import FixedClock
    from arrears.errors import InvalidInputError

    late_utc = FixedClock(datetime(2024, 6, 1, 17, 0, tzinfo=UTC))  # already 2 June in Shanghai
    assert resolve_dates(date(2024, 6, 2), None, None, late_utc, "Asia/Shanghai") == [date(2024, 6, 2)]
    with pytest.raises(InvalidInputError, match="2024-06-02"):
        resolve_dates(date(2024, 6, 2), None, None, late_utc, "America/New_York")
    with pytest.raises(InvalidInputError, match="--simulate"):
        resolve_dates(None, date(2024, 5, 30), date(2024, 6, 3), late_utc, "Asia/Shanghai")
    assert resolve_dates(date(2099, 1, 1), None, None, late_utc, "UTC", simulate=True) == [date(2099, 1, 1)]


@pytest.mark.parametrize(
    ("language", "reason"), [("en", "is a folder, not a file"), ("zh-CN", "是文件夹，不是文件")]
)
def test_a_file_path_that_is_a_folder_is_said_in_the_users_language(
    tmp_path: Path, language: str, reason: str
) -> None:
    """The system's reason (strerror) is English only: the CLI says its own, translated."""
    output = refused(
        2,
        *("compliance", "evaluate-content", "data/qa/corpus", "--markdown", str(tmp_path)),
        says=(str(tmp_path), reason),
        env={"ARREARS_LANGUAGE": language},
    )
    assert "Is a directory" not in output


@pytest.mark.parametrize(
    ("command", "out"),
    [
        (("compliance", "train-content-model", "no-such-corpus"), "."),
        (("compliance", "train-content-model", "no-such-corpus"), "no-such-folder/model.json"),
        (("delinquency", "export", "--as-of", "2026-11-23"), "."),
        (("model", "features", "--as-of", "2026-11-23"), "no-such-folder/features.parquet"),
        (("audit", "export", "--from", "2026-11-01", "--to", "2026-11-02"), "."),
    ],
)
def test_a_file_to_write_is_checked_before_the_work(
    tmp_path: Path, command: tuple[str, ...], out: str
) -> None:
    """Training a model takes minutes: an --out that cannot be written is refused first (before
    the corpus, here missing, is even read), not once the work is done."""
    target = tmp_path / out
    reason = "is a folder, not a file" if target.is_dir() else "no such file or folder"
    output = refused(2, *command, "--out", str(target), says=(reason,))
    assert "no-such-corpus" not in output


@pytest.mark.parametrize(
    ("language", "reason"),
    [("en", "the name is too long for the file system"), ("zh-CN", "名称过长，文件系统不接受")],
)
def test_a_path_too_long_for_the_file_system_is_said_not_raised(language: str, reason: str) -> None:
    """ENAMETOOLONG is a plain OSError: the CLI tells it apart by its errno, in the user's language."""
    name = "a" * 100_000
    output = refused(
        2,
        *("compliance", "train-content-model", "no-such-corpus", "--out", name),
        says=(reason,),
        env={"ARREARS_LANGUAGE": language},
    )
    assert "Traceback" not in output and name not in output  # the path echoed cut, not whole
