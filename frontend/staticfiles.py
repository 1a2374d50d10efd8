"""A staticfiles finder for plotly.js, served from the installed plotly package (no 4.8 MB copy in the repository)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

STATIC_PATH = "frontend/vendor/plotly.min.js"
PREFIX, _, NAME = STATIC_PATH.rpartition("/")
SOURCE = Path(plotly.__file__).resolve().parent / "package_data" / NAME


class PlotlyFinder(BaseFinder):
    """Finds exactly one file, `frontend/vendor/plotly.min.js`: the plotly.js bundled in the plotly wheel.

    collectstatic copies it (and only it) into STATIC_ROOT; runserver, live_server and WhiteNoise's finder mode
    serve it from the package.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(SOURCE.parent))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]  # collectstatic and WhiteNoise read `prefix`

    def check(self, **kwargs: Any) -> list[Error]:
        if not SOURCE.is_file():
            return [Error(f"plotly.js is missing from the plotly package ({SOURCE}).", id="frontend.E001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        find_all = kwargs.pop("all", find_all)  # Django < 6.1 may still pass the old name
        match = [str(SOURCE)] if path == STATIC_PATH and SOURCE.is_file() else []
        if find_all:
            return match
        # No match is [] as in Django's own finders: `finders.find` wraps a None into [None], which WhiteNoise then
        # takes for a found file (a missing /static/ file became a 500).
        return match[0] if match else []

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        if SOURCE.is_file():
            yield NAME, self.storage
