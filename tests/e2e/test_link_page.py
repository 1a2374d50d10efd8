"""Issue 13: the self-report link page names the patient, and a reload makes no second link."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reassessment.models import SelfReportLink
from tests.conftest import make_clinician, make_patient
from tests.e2e.test_forms import sign_in

pytestmark = pytest.mark.e2e


def test_it_names_the_patient_and_makes_no_second_link_on_reload(live_server, transactional_db, page, traffic):
    traffic.watch(page)
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-5", display_name="Lena Link", email="")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/patients/{patient.id}/")
    page.get_by_role("button", name="Create a self-report link").click()

    expect(page).to_have_url(f"{live_server.url}/patients/{patient.id}/link/")
    expect(page.get_by_role("heading", name="Self-report link for Lena Link")).to_be_visible()
    link = page.get_by_label("Link").input_value()
    assert "/r/" in link

    page.reload()
    expect(page.get_by_role("heading", name="Self-report link for Lena Link")).to_be_visible()
    expect(page.get_by_label("Link")).to_have_count(0)  # shown once: the token is not on the page again
    expect(page.get_by_text("make a new one")).to_be_visible()
    assert SelfReportLink.objects.filter(patient=patient).count() == 1

    page.goto(live_server.url + link[link.index("/r/"):])  # the link shown works (MBC_BASE_URL is another port)
    expect(page.get_by_role("heading", name="How have you been feeling?")).to_be_visible()
