"""plotly.js is served from the installed plotly package, not copied into the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

import frontend
from frontend.staticfiles import STATIC_PATH, PlotlyFinder


def test_it_finds_plotly_js_in_the_package():
    found = PlotlyFinder().find(STATIC_PATH)
    assert found is not None
    assert Path(found).name == "plotly.min.js"
    assert Path(found).stat().st_size > 1_000_000
    assert PlotlyFinder().find(STATIC_PATH, find_all=True) == [found]


def test_it_finds_nothing_else():
    assert PlotlyFinder().find("frontend/vendor/other.js") == []
    assert PlotlyFinder().find("plotly.min.js", find_all=True) == []


def test_it_lists_one_file_under_its_prefix():
    listed = list(PlotlyFinder().list(None))
    assert [(path, storage.prefix) for path, storage in listed] == [("plotly.min.js", "frontend/vendor")]
    assert PlotlyFinder().check() == []


def test_it_is_the_only_copy_of_plotly_in_the_app():
    assert not list((Path(frontend.__file__).parent / "static").rglob("plotly*.js"))


@pytest.mark.parametrize("path", ["/static/nope.js", "/static/frontend/nope.css", "/static/frontend/vendor/x.js"])
def test_it_answers_404_for_a_missing_static_file(client, settings, path):
    settings.DEBUG = True  # the development server's finder mode, where the 500 was
    response = client.get(path)
    assert response.status_code == 404


def test_it_still_serves_plotly_through_the_finders(client):
    response = client.get("/static/" + STATIC_PATH)
    assert response.status_code == 200
