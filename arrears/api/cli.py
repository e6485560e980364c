"""``arrears serve``: the HTTP API under uvicorn.

Uvicorn imports the app factory (``arrears.api.app:create_app``) in every worker, so each worker
is an independent process with its own engine, reading everything else from the database; the
settings are checked (production's refusals, the database's schema) before any worker starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from arrears.config import check_production, get_settings

APP_FACTORY = "arrears.api.app:create_app"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on 监听地址.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on 监听端口.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes, each independent 工作进程数.")] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error 日志级别.")] = "info",
) -> None:
    """Serve the HTTP API (/api/v1) under uvicorn 提供 HTTP 接口服务.

    Proxy headers (X-Forwarded-For, X-Forwarded-Proto) are trusted only from the addresses in
    ARREARS_FORWARDED_ALLOW_IPS. With ARREARS_ENVIRONMENT=production the server refuses unsafe
    settings (docs/api.md)."""
    import uvicorn

    from arrears.api.observability import log_config
    from arrears.db import open_database
    from arrears.errors import one_of

    one_of(log_level, ("debug", "info", "warning", "error"), "--log-level")
    settings = get_settings()
    check_production(settings)
    with open_database(settings):  # says "run arrears db upgrade" before any worker starts
        pass
    proxies = settings.forwarded_allow_ips
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies or "",
        server_header=False,
        access_log=False,
        log_config=log_config(log_level),
        log_level=log_level,
    )


commands: dict[str, Callable[..., Any]] = {"serve": serve}
