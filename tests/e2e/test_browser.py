"""A clinician's and a patient's paths through the pages, in a real (headless) chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from instruments.models import Assessment
from patients.models import TreatmentPhase
from reassessment.models import Flag
from reassessment.services import issue_link
from tests.conftest import PASSWORD, make_clinician, make_patient
from tests.frontend.conftest import give_history

pytestmark = pytest.mark.e2e


def sign_in(page, live_server, username: str = "alice") -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()


def test_it_takes_a_clinician_from_a_flag_to_a_combined_phase(live_server, transactional_db, page, traffic):
    traffic.watch(page)
    today = timezone.localdate()
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-7", display_name="Rosa Partial")
    # 15: below PHQ-9 16, no combined start suggested (DESIGN §2b): the one flag is the partial response.
    give_history(patient, alice, started_on=today - timedelta(days=70), scores=[(-2, 15), (60, 14)], today=today)
    flag = Flag.objects.get(patient=patient)

    sign_in(page, live_server)
    row = page.get_by_role("row").filter(has_text="Rosa Partial")
    expect(row).to_contain_text("Partial response")
    expect(row).to_contain_text("14")
    row.get_by_role("link", name="Rosa Partial").click()

    expect(page.get_by_role("heading", name="Rosa Partial")).to_be_visible()
    chart = page.locator("#chart-phq9")
    expect(chart.locator("svg.main-svg").first).to_be_attached()
    expect(chart.locator(".scatterlayer .point")).to_have_count(3)  # two scores and the flag's marker

    card = page.locator(f"#flag-{flag.id}")
    card.get_by_label("Note (optional)", exact=True).fill("Discussed; adding CBT.")
    card.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text("Partial response flag acknowledged.")

    page.get_by_role("link", name="Start a combined phase…").click()
    form = page.locator("#start-phase")
    expect(form.get_by_label("Modality")).to_have_value("combined")
    form.get_by_label("Therapy").select_option("cbt")
    form.get_by_role("button", name="Start phase").click()
    expect(page.get_by_role("status")).to_contain_text("The new phase has started.")
    expect(page.locator(".timeline li.current")).to_contain_text("Combined")

    flag.refresh_from_db()
    # DESIGN §2: the phase started from the flag resolves it, noting the new phase; the acknowledgement stays.
    assert (flag.status, flag.acknowledged_by, flag.note) == ("resolved", alice, "Discussed; adding CBT.")
    assert flag.resolution_note.startswith("Combined phase started on")
    current = TreatmentPhase.objects.get(patient=patient, ended_on__isnull=True)
    assert (current.modality, current.therapy, current.created_by) == ("combined", "cbt", alice)


def test_it_takes_a_phone_self_report_to_the_caseload(live_server, transactional_db, browser, traffic):
    today = timezone.localdate()
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-8", display_name="Pat Phone")
    give_history(patient, alice, started_on=today - timedelta(days=20), scores=[(-2, 18)], today=today)
    token = issue_link(patient=patient)[1]

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    form = traffic.watch(phone.new_page())
    form.goto(f"{live_server.url}/r/{token}/")
    expect(form.get_by_role("heading", name="How have you been feeling?")).to_be_visible()
    assert form.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    for number, answer in enumerate(["Several days"] * 8 + ["Not at all"], start=1):
        form.locator("fieldset.item").nth(number - 1).get_by_text(answer, exact=True).click()
    form.get_by_role("button", name="Send my answers").click()
    expect(form.get_by_role("heading", name="Thank you")).to_be_visible()
    phone.close()

    desk = browser.new_context()
    page = traffic.watch(desk.new_page())
    sign_in(page, live_server)
    row = page.get_by_role("row").filter(has_text="Pat Phone")
    expect(row.locator(".score")).to_have_text("8")
    expect(row).to_contain_text("Mild")
    desk.close()


def test_it_says_already_sent_when_a_used_link_is_opened_again_on_the_phone(
    live_server, transactional_db, browser, traffic
):
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-9", display_name="Pat Again")
    token = issue_link(patient=patient)[1]

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    form = traffic.watch(phone.new_page())
    form.goto(f"{live_server.url}/r/{token}/")
    for number, answer in enumerate(["Several days"] * 8 + ["More than half the days"], start=1):
        form.locator("fieldset.item").nth(number - 1).get_by_text(answer, exact=True).click()
    form.get_by_role("button", name="Send my answers").click()
    expect(form.get_by_role("heading", name="Please reach out now")).to_be_visible()

    # Opened again later (the back button, the email's link): no second form, the crisis text again.
    form.goto(f"{live_server.url}/r/{token}/")
    expect(form.get_by_role("heading", name="Please reach out now")).to_be_visible()
    expect(form.get_by_text("already sent to your care team, thank you")).to_be_visible()
    expect(form.get_by_role("button", name="Send my answers")).to_have_count(0)
    assert form.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    assert Assessment.objects.filter(patient=patient).count() == 1
