"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's live_server, offline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

# Playwright's sync API runs an event loop in the test's thread; the ORM calls of the tests are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium (never `playwright install`); without it: fail under CI, skip on a laptop."""
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"CI=true and {CHROMIUM} is missing: install the chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


class Traffic:
    """Every URL the browser asked for, from every page it is attached to."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.urls: list[str] = []

    def watch(self, page: Any) -> Any:
        page.on("request", lambda request: self.urls.append(request.url))
        return page

    def outside(self) -> list[str]:
        return [url for url in self.urls if not url.startswith(self.origin + "/")]


@pytest.fixture
def traffic(live_server: Any) -> Iterator[Traffic]:
    watcher = Traffic(live_server.url)
    yield watcher
    assert watcher.urls, "the browser made no request at all"
    assert watcher.outside() == [], "the browser asked for something outside the local server"
