"""Which package may import which: the layers of docs/architecture.md, checked over every module.

Four layers, each importing only from itself and the layers below it:

1. the kernel: money, clock, config, db, errors, i18n and the other shared modules below;
2. the bounded contexts, each importing the kernel and the contexts this table allows it;
3. orchestration: the nightly batch, which drives the contexts;
4. the ways in: the command line (``arrears/cli.py`` and every context's ``cli.py``), the HTTP
   API (``arrears/api/`` and every context's ``api.py``) and the pages (``arrears/web/``); nothing
   below them imports them.

The schema (``arrears/models.py``, the migrations) sees every context's ``models`` and is seen by
no context. Every import counts, also one inside a function. A new back-arrow fails here: fix
the design (move the code to the layer it belongs to), don't widen the table without a reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import arrears

PACKAGE = Path(arrears.__file__).parent

KERNEL = {
    "arrears",
    "charts",
    "money",
    "clock",
    "concurrency",
    "config",
    "db",
    "errors",
    "i18n",
    "idempotency",
    "spreadsheet",
    "yamlfile",
}

CONTEXTS: dict[str, set[str]] = {
    # context: the other contexts it may import (never a cycle)
    "audit": set(),
    "auth": {"audit"},
    "portfolio": {"auth", "audit"},
    "compliance": {"auth", "audit"},
    "delinquency": {"portfolio"},
    "cases": {"portfolio", "auth", "audit"},
    # reports aggregate over the contexts (the dashboard: promises, contacts, queues); none imports them
    "reports": {"delinquency", "auth", "portfolio", "cases", "contacts", "arrangements", "queues"},
    "sim": {"portfolio"},
    # the registry's readers are checked (model.read) at its service entries
    "scoring": {"portfolio", "delinquency", "cases", "auth", "audit"},
    "disputes": {"cases", "portfolio", "auth", "audit"},
    "contacts": {"cases", "compliance", "disputes", "portfolio", "auth", "audit"},
    "arrangements": {"cases", "contacts", "disputes", "portfolio", "auth", "audit"},
    # quality assurance checks the calls contacts record, with the compliance context's checker
    "qa": {"contacts", "compliance", "cases", "portfolio", "auth", "audit"},
    "queues": {
        "cases",
        "contacts",
        "arrangements",
        "disputes",
        "compliance",
        "scoring",
        "portfolio",
        "auth",
        "audit",
    },
    "timeline": {
        "compliance",
        "cases",
        "contacts",
        "arrangements",
        "disputes",
        "queues",
        "delinquency",
        "portfolio",
        "auth",
        "audit",
    },
    "channels": {"cases", "contacts", "compliance", "disputes", "arrangements", "portfolio", "auth", "audit"},
    "payments": {
        "cases",
        "contacts",
        "arrangements",
        "disputes",
        "queues",
        "channels",
        "delinquency",
        "portfolio",
        "auth",
        "audit",
    },
    # the strategy reads every case fact and puts its actions to the gate; its simulator draws its
    # customers from the portfolio generator
    "strategy": {
        "sim",
        "channels",
        "queues",
        "cases",
        "contacts",
        "arrangements",
        "disputes",
        "compliance",
        "scoring",
        "delinquency",
        "portfolio",
        "auth",
        "audit",
    },
}
ORCHESTRATION: dict[str, set[str]] = {"batch": set(CONTEXTS)}
SCHEMA = {"models", "migrations"}
WAYS_IN_MODULES = {"cli", "cli_options", "__main__", "api", "web", "demo"}
"""Top-level modules and packages that are ways in (the command line, the HTTP API's assembly,
the web pages);
besides them, every ``<context>/cli.py`` and ``<context>/api.py`` is one, and
``cases/work_api.py`` (the routes of case work, kept beside the case reads' ``api.py``)."""
WAYS_IN_FILES = {
    "cli",
    "api",
    "work_api",
    "next_api",
    "promise_api",
    "plan_api",
    "template_api",
    "paylink_api",
    "opt_out_api",
    "bounce_api",
    "sms_api",
    "callback_api",
    "template_cli",
}

# Pure rule code: a function of facts, tested without a database, a web or a command line.
PURE_MODULES = {
    "arrears.delinquency.rules",
    "arrears.delinquency.reference",
    "arrears.compliance.decision",
    "arrears.compliance.gate",
    "arrears.compliance.windows",
    "arrears.compliance.content",
    "arrears.strategy.document",
    "arrears.strategy.validation",
    "arrears.strategy.arms",
    "arrears.strategy.statistics",
}
IMPURE_LIBRARIES = {"sqlalchemy", "duckdb", "pyspark", "typer", "rich", "fastapi", "starlette", "jinja2"}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def imports(path: Path) -> set[str]:
    """Every module the file imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def unit(module: str) -> tuple[str, str]:
    """(layer, name) of an arrears module."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "arrears"
    if top in WAYS_IN_MODULES or (len(parts) > 2 and parts[2] in WAYS_IN_FILES):
        return "ways in", top
    if top in KERNEL:
        return "kernel", top
    if top in SCHEMA:
        return "schema", top
    if top in CONTEXTS:
        return "context", top
    if top in ORCHESTRATION:
        return "orchestration", top
    raise AssertionError(f"{module} belongs to no layer: add it to the table in {__file__}")


def allowed(source: str, target: str) -> bool:
    (source_layer, source_name), (target_layer, target_name) = unit(source), unit(target)
    if source_name == target_name and source_layer == target_layer:
        return True
    if target_layer == "kernel":
        return True
    if source_layer == "ways in":
        return True
    if target_layer == "ways in":
        return False
    if source_layer == "schema":
        return target_layer == "schema" or target.endswith(".models") or target == f"arrears.{target_name}"
    if target_layer == "schema":
        return False
    if source_layer == "kernel":
        return False
    if source_layer == "context":
        return target_layer == "context" and target_name in CONTEXTS[source_name]
    if source_layer == "orchestration":
        return target_layer == "context" and target_name in ORCHESTRATION[source_name]
    return False


def arrears_imports(path: Path) -> set[str]:
    return {
        name for name in imports(path) if name == "arrears" or name.startswith("arrears.") if _is_module(name)
    }


def _is_module(name: str) -> bool:
    """True for a module or package of arrears (``from arrears.x import f`` also yields arrears.x.f)."""
    relative = Path(*name.split(".")[1:]) if "." in name else Path()
    base = PACKAGE / relative
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def back_arrows() -> list[str]:
    return [
        f"{source} imports {target}"
        for source, path in modules()
        for target in sorted(arrears_imports(path))
        if not allowed(source, target)
    ]


def test_every_module_belongs_to_a_layer() -> None:
    for name, _ in modules():
        unit(name)


def test_no_module_imports_against_the_layers() -> None:
    arrows = back_arrows()
    assert not arrows, "imports against the layers (docs/architecture.md):\n" + "\n".join(arrows)


def test_the_contexts_form_no_cycle() -> None:
    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            step == goal or (step not in seen and reaches(step, goal, seen | {step}))
            for step in CONTEXTS[start]
        )

    assert not [c for c in CONTEXTS if reaches(c, c)]


@pytest.mark.parametrize("module", sorted(PURE_MODULES))
def test_pure_rule_code_imports_no_database_web_or_command_line(module: str) -> None:
    path = dict(modules())[module]
    impure = {name for name in imports(path) if name.split(".")[0] in IMPURE_LIBRARIES}
    assert not impure, f"{module} is pure rule code but imports {sorted(impure)}"


def test_services_never_commit() -> None:
    committing = [
        str(path.relative_to(PACKAGE.parent))
        for name, path in modules()
        if name.endswith((".service", ".repository")) and ".commit()" in path.read_text(encoding="utf-8")
    ]
    assert not committing, f"services and repositories never commit; the caller does: {committing}"


def test_a_back_arrow_fails(tmp_path: Path) -> None:
    """The check itself: a kernel module importing a context, or a context importing a way in."""
    assert not allowed("arrears.money", "arrears.portfolio.models")
    assert not allowed("arrears.portfolio.service", "arrears.batch.orchestrator")
    assert not allowed("arrears.delinquency.definition", "arrears.scoring.features")
    assert not allowed("arrears.scoring.service", "arrears.scoring.cli")
    assert not allowed("arrears.portfolio.importer", "arrears.models")
    assert allowed("arrears.scoring.features", "arrears.delinquency.definition")
    assert allowed("arrears.batch.orchestrator", "arrears.cases.service")
    assert allowed("arrears.models", "arrears.cases.models")
    module = tmp_path / "bad.py"
    module.write_text("from arrears.portfolio.cli import app\n", encoding="utf-8")
    assert "arrears.portfolio.cli" in arrears_imports(module)
