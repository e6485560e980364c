"""With ARREARS_ENVIRONMENT=production the server refuses settings that are unsafe for it."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from arrears.api.app import create_app
from arrears.config import Settings, check_production, load_settings
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


def _serve(language: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    env.update({"ARREARS_LANGUAGE": language, **variables})
    return subprocess.run(
        [sys.executable, "-m", "arrears", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "must be set in production"), ("zh-CN", "生产环境必须设置")],
)
def test_serve_exits_2_saying_which_variable_in_the_users_language(language: str, said: str) -> None:
    done = _serve(
        language,
        ARREARS_ENVIRONMENT="production",
        ARREARS_DATABASE_URL=SAFE["database_url"],
        ARREARS_FORWARDED_ALLOW_IPS="10.0.0.5",
    )
    assert done.returncode == 2, done.stderr
    assert "ARREARS_SECRET_KEY" in done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_sqlite_in_production() -> None:
    done = _serve("en", ARREARS_ENV="production", ARREARS_SECRET_KEY=SAFE["secret_key"])
    assert done.returncode == 2
    assert "ARREARS_DATABASE_URL" in done.stderr
    assert "PostgreSQL" in done.stderr
