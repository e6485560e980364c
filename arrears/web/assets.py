"""The pages' own CSS and JavaScript (arrears/web/static/), served at ``/static/<version>/…``.

The version is a hash of the files' contents, so a changed file has a new address and every
answer may be cached for a year (``immutable``); an address of another version answers 404.
Nothing is fetched from elsewhere at run time.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from os import PathLike
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
PREFIX = "/static"
CACHE_CONTROL = "public, max-age=31536000, immutable"
MISSING = "no-such-version"


@cache
def version() -> str:
    """The first 12 hex digits of the SHA-256 of every static file's name and content."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def url(name: str) -> str:
    """The address of a static file, with the version."""
    return f"{PREFIX}/{version()}/{name}"


class VersionedStatic(StaticFiles):
    """Static files under ``/<version>/``, cached for a year; another version is not found."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC)

    def get_path(self, scope: Scope) -> str:
        path, mounted = str(scope["path"]), str(scope.get("root_path", ""))
        within = path[len(mounted) :] if path.startswith(mounted) else path
        asked, _, rest = within.lstrip("/").partition("/")
        if asked != version() or not rest:
            return MISSING
        return os.path.normpath(os.path.join(*rest.split("/")))

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = CACHE_CONTROL
        return response
