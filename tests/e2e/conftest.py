"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's live_server, offline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, require

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


AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


class Axe:
    """An accessibility scan of a page as it is now, with axe-core (tests/e2e/package-lock.json, `npm ci`).

    `axe(page)` returns the serious and critical violations (`impacts=` for others, `context=` a CSS selector to
    scan part of the page); `axe.check(page)` asserts there are none, naming each rule and its elements.
    """

    def __call__(
        self, page: Any, *, impacts: tuple[str, ...] = ("serious", "critical"), context: str | None = None
    ) -> list[dict[str, Any]]:
        try:
            page.add_script_tag(path=str(AXE))
        except Exception:  # a Content-Security-Policy that refuses injected scripts: evaluate the file instead
            page.evaluate(AXE.read_text())
        result = page.evaluate(
            "async (context) => await window.axe.run(context || document, {resultTypes: ['violations']})", context
        )
        return [v for v in result["violations"] if v["impact"] in impacts]

    def check(self, page: Any, **kwargs: Any) -> None:
        violations = self(page, **kwargs)
        details = "\n".join(
            f"{v['impact']}: {v['id']} ({v['help']}) at " + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in violations
        )
        assert violations == [], "accessibility violations:\n" + details


@pytest.fixture
def axe() -> Axe:
    """The accessibility scan (see Axe). Without axe-core installed: fail under CI=true, skip on a laptop."""
    require(AXE.exists(), f"axe-core is not installed: run `npm ci --prefix tests/e2e` ({AXE} is missing)")
    return Axe()
