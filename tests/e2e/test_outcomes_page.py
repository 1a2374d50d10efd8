"""Issue 13: the outcomes page takes a date range and each figure leads to the patients behind it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reassessment.engine import MODALITIES
from tests.conftest import make_clinician, make_patient
from tests.e2e.test_forms import sign_in
from tests.frontend.conftest import give_history

pytestmark = pytest.mark.e2e


def test_it_narrows_the_dates_and_opens_the_patients_behind_a_figure(live_server, transactional_db, page, traffic, axe):
    traffic.watch(page)
    today = timezone.localdate()
    alice = make_clinician("alice")
    give_history(make_patient(alice, "MRN-1", display_name="Old Course"), alice, started_on=today - timedelta(days=200),
                 scores=[(-2, 20), (35, 4)], today=today)
    give_history(make_patient(alice, "MRN-2", display_name="New Course"), alice, modality="psychotherapy",
                 started_on=today - timedelta(days=60), scores=[(-2, 15), (35, 3)], today=today)

    sign_in(page, live_server)
    page.goto(live_server.url + "/outcomes/")
    page.get_by_label("Treatment started from").fill((today - timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".page-head")).to_contain_text("treatment started from")
    table = page.get_by_role("table", name="Response and remission by modality")
    expect(table.get_by_role("row", name="Medication")).to_contain_text("—")  # started before the range
    table.get_by_role("link", name="1 of 1 remitted, Psychotherapy: show the patients").click()

    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("1 patient behind “Psychotherapy: remission”")
    expect(page.get_by_role("row").filter(has_text="New Course")).to_have_count(1)
    expect(page.get_by_role("row").filter(has_text="Old Course")).to_have_count(0)
    axe.check(page, context=".drill")

    page.goto(live_server.url + "/outcomes/?from=2026-02-30")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Start date: enter a real date")


def test_it_opens_the_patients_behind_a_bar(live_server, transactional_db, page, traffic):
    traffic.watch(page)
    today = timezone.localdate()
    alice = make_clinician("alice")
    give_history(make_patient(alice, "MRN-2", display_name="New Course"), alice, modality="psychotherapy",
                 started_on=today - timedelta(days=60), scores=[(-2, 15), (35, 3)], today=today)
    give_history(make_patient(alice, "MRN-3", display_name="Other Course"), alice, modality="medication",
                 started_on=today - timedelta(days=60), scores=[(-2, 15), (35, 14)], today=today)
    sign_in(page, live_server)
    page.goto(live_server.url + "/outcomes/")
    remission = page.locator("#chart-modality .barlayer .trace").nth(1)  # Response, then Remission
    bars = remission.locator("path")
    expect(bars).to_have_count(3)
    bars.nth(MODALITIES.index("psychotherapy")).click(force=True)
    expect(page.get_by_role("status")).to_contain_text("1 patient behind “Psychotherapy: remission”")
    expect(page.get_by_role("row").filter(has_text="Other Course")).to_have_count(0)
