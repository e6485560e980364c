"""The README's pictures: the demo served on a free port, pages photographed in both languages.

    .venv/bin/python scripts/screenshots.py [--customers 3000] [--nights 60] [--out docs/img]

A demo bank of its own is built in a temporary folder (``arrears demo --no-serve``, with one
known password for its people: the demo of ``make run`` and its passwords are left alone), then
``arrears demo`` serves it on a free port of 127.0.0.1, and Playwright drives Debian's Chromium
(/usr/bin/chromium; never a downloaded browser) through the sign-in form as ``collector`` (the
workstation, ``/``) and ``supervisor`` (the dashboard, ``/dashboard``), in zh-CN and en. It
writes workstation.zh-CN.png, workstation.en.png, dashboard.zh-CN.png and dashboard.en.png.
A page that does not answer 200 (the dashboard before it is merged) is said and photographed as
it is. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "screenshots only 2026 demo"
SHOTS = (
    ("workstation", "collector", "/"),
    ("dashboard", "supervisor", "/dashboard"),
)
LANGUAGES = (("zh-CN", "zh-CN"), ("en", "en-US"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def arrears_command() -> list[str]:
    return [sys.executable, "-m", "arrears"]


def environment(folder: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("ARREARS_DATABASE_URL", "ARREARS_BATCH_STORE", "ARREARS_ENVIRONMENT", "ARREARS_ENV"):
        env.pop(name, None)
    env.update(
        {
            "ARREARS_DEMO_PASSWORD": PASSWORD,
            "ARREARS_PORT": str(port),
            "ARREARS_SESSION_COOKIE_SECURE": "false",
            "ARREARS_OUTBOX_DIR": str(folder / "outbox"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    return env


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the demo server stopped (exit {server.returncode})")
        try:
            with urllib.request.urlopen(url + "/sign-in", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the demo server did not answer at {url} within {seconds:.0f} s")


def photograph(url: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            for language, locale in LANGUAGES:
                for name, username, path in SHOTS:
                    context = chromium.new_context(
                        locale=locale,
                        extra_http_headers={"Accept-Language": language},
                        viewport={"width": 1366, "height": 900},
                    )
                    page: Any = context.new_page()
                    page.goto(f"{url}/sign-in?next={path}")
                    page.locator("input[name=username]").fill(username)
                    page.locator("input[name=password]").fill(PASSWORD)
                    with page.expect_navigation():
                        page.locator("input[name=password]").press("Enter")  # the sign-in form's own submit
                    if "/sign-in" in page.url:
                        raise SystemExit(f"{username} could not sign in: {page.url}")
                    answer = page.goto(url + path)
                    page.wait_for_load_state("networkidle")
                    if answer is None or answer.status != 200:
                        status = "no answer" if answer is None else answer.status
                        print(f"{path} answered {status}: photographed as it is")
                    target = out / f"{name}.{language}.png"
                    page.screenshot(path=str(target), full_page=False)
                    written.append(target)
                    context.close()
        finally:
            chromium.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--nights", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}: apt-get install chromium (never playwright install)")
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="arrears-screenshots-") as name:
        folder = Path(name)
        env = environment(folder, port)
        demo = [*arrears_command(), "demo", "--customers", str(args.customers), "--nights", str(args.nights)]
        subprocess.run([*demo, "--no-serve"], cwd=folder, env=env, check=True)
        server = subprocess.Popen(demo, cwd=folder, env=env)
        try:
            wait_until_up(url, server)
            for path in photograph(url, args.out.resolve()):
                print(f"wrote {path}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
