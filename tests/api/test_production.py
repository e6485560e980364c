"""With ARREARS_ENVIRONMENT=production the server refuses settings that are unsafe for it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from arrears.api.app import create_app
from arrears.cli import app
from arrears.config import Settings, check_production, get_settings, load_settings
from arrears.errors import ConfigurationError

SAFE: dict[str, Any] = {
    "environment": "production",
    "database_url": "postgresql://arrears@db.internal/arrears",
    "secret_key": "q7V9w-Jt2LmZ8xR4nB6cY1sD3fG5hK0pE",
    "forwarded_allow_ips": "10.0.0.5,10.0.0.6",
    "session_idle_minutes": 15,
    "session_max_hours": 12,
}

REFUSED = [
    ({"secret_key": None}, "ARREARS_SECRET_KEY", "must be set"),
    ({"secret_key": "   "}, "ARREARS_SECRET_KEY", "must be set"),
    ({"secret_key": "short-but-random-9f3k"}, "ARREARS_SECRET_KEY", "too short"),
    ({"secret_key": "a" * 40}, "ARREARS_SECRET_KEY", "placeholder"),
    (
        {"secret_key": "replace-me-with-a-long-random-string-of-at-least-32-characters"},
        "ARREARS_SECRET_KEY",
        "placeholder",
    ),
    ({"database_url": "sqlite:////var/lib/arrears/arrears.db"}, "ARREARS_DATABASE_URL", "SQLite"),
    ({"forwarded_allow_ips": None}, "ARREARS_FORWARDED_ALLOW_IPS", "must be set"),
    ({"forwarded_allow_ips": " , "}, "ARREARS_FORWARDED_ALLOW_IPS", "must be set"),
    ({"forwarded_allow_ips": "10.0.0.5,*"}, "ARREARS_FORWARDED_ALLOW_IPS", "from anyone"),
    ({"session_idle_minutes": 16}, "ARREARS_SESSION_IDLE_MINUTES", "at most 15 minutes"),
    ({"session_max_hours": 13}, "ARREARS_SESSION_MAX_HOURS", "at most 12 hours"),
]


def test_safe_production_settings_pass() -> None:
    check_production(Settings(**SAFE))


@pytest.mark.parametrize(("change", "variable", "said"), REFUSED, ids=[r[1] + ":" + r[2] for r in REFUSED])
def test_each_unsafe_setting_is_refused_naming_its_variable(
    change: dict[str, Any], variable: str, said: str
) -> None:
    settings = Settings(**{**SAFE, **change})
    with pytest.raises(ConfigurationError) as refused:
        check_production(settings)
    assert variable in refused.value.message("en")
    assert said in refused.value.message("en")
    chinese = refused.value.message("zh-CN")
    assert variable in chinese
    assert chinese != refused.value.message("en")
    assert refused.value.exit_code == 2
    # The same settings are fine outside production.
    check_production(Settings(**{**SAFE, **change, "environment": "local"}))


def test_the_app_factory_refuses_them_too() -> None:
    with pytest.raises(ConfigurationError, match="ARREARS_DATABASE_URL"):
        create_app(Settings(**{**SAFE, "database_url": "sqlite://"}))


def test_the_environment_is_one_of_three_and_also_read_as_arrears_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigurationError, match="ARREARS_ENVIRONMENT"):
        load_settings(environment="prod")
    monkeypatch.setenv("ARREARS_ENV", "Production")
    assert load_settings().production


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [n for n in os.environ if n.startswith("ARREARS_")]:
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _serve(language: str, **variables: str) -> Result:
    """``arrears serve`` in this process: the refusals come before uvicorn starts."""
    runner = CliRunner(env={"COLUMNS": "300", "ARREARS_LANGUAGE": language, **variables})
    return runner.invoke(app, ["serve", "--port", "1"])


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "must be set in production"), ("zh-CN", "生产环境必须设置")],
)
@pytest.mark.usefixtures("clean_environment")
def test_serve_exits_2_saying_which_variable_in_the_users_language(language: str, said: str) -> None:
    done = _serve(
        language,
        ARREARS_ENVIRONMENT="production",
        ARREARS_DATABASE_URL=SAFE["database_url"],
        ARREARS_FORWARDED_ALLOW_IPS="10.0.0.5",
    )
    assert done.exit_code == 2, done.output
    assert "ARREARS_SECRET_KEY" in done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.output


@pytest.mark.usefixtures("clean_environment")
def test_serve_refuses_sqlite_in_production() -> None:
    done = _serve("en", ARREARS_ENV="production", ARREARS_SECRET_KEY=SAFE["secret_key"])
    assert done.exit_code == 2
    assert "ARREARS_DATABASE_URL" in done.stderr
    assert "PostgreSQL" in done.stderr
