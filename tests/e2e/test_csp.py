"""The Content-Security-Policy in a real chromium: the caseload and a patient's charts render with no violation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import make_clinician, make_patient
from tests.e2e.test_browser import sign_in
from tests.frontend.conftest import give_history

pytestmark = pytest.mark.e2e


def watch_violations(page: Any) -> list[str]:
    """Every CSP violation the page reports: the console's messages and the `securitypolicyviolation` events."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def test_it_renders_the_caseload_and_a_chart_under_the_policy(live_server, transactional_db, page, traffic):
    traffic.watch(page)
    violations = watch_violations(page)
    today = timezone.localdate()
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-8", display_name="Rosa Partial")
    give_history(patient, alice, started_on=today - timedelta(days=40), scores=[(-2, 18), (30, 16)], today=today)

    sign_in(page, live_server)
    response = page.goto(live_server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("row").filter(has_text="Rosa Partial")).to_be_visible()
    page.get_by_role("link", name="Rosa Partial").click()

    chart = page.locator("#chart-phq9")
    # plotly.js is 4.8 MB to parse: on a busy two-core machine that can take longer than the default 5 s.
    expect(chart.locator("svg.main-svg").first).to_be_attached(timeout=30_000)
    expect(chart.locator(".scatterlayer .point").nth(1)).to_be_attached()  # the two scores at least, drawn
    page.wait_for_load_state("networkidle")

    assert violations == []


def test_it_renders_the_api_docs_under_the_policy(live_server, transactional_db, page, traffic):
    traffic.watch(page)
    violations = watch_violations(page)

    page.goto(live_server.url + "/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("mbc API")
    page.wait_for_load_state("networkidle")
    assert violations == []
