"""Issue 15: the options page on a 390 px phone: readable, accessible, and the choice reaches the clinician."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.services import update_patient
from reassessment import decision_aid
from reassessment.services import issue_link
from tests.conftest import PASSWORD, make_clinician, make_patient
from tests.frontend.conftest import give_history

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
EN = decision_aid.content("en")


@pytest.fixture
def world(live_server, transactional_db):
    alice = make_clinician("alice")
    born = timezone.localdate() - timedelta(days=365 * 22)  # under 25: the weekly check-in text applies
    patient = make_patient(alice, "MRN-15", display_name="Pat Options", birth_date=born)
    update_patient(patient=patient, by=alice, changes={"prior_episodes": 2})
    give_history(patient, alice, modality="psychotherapy", started_on=timezone.localdate() - timedelta(days=20),
                 scores=[(-2, 18)], today=timezone.localdate())
    return alice, patient, issue_link(patient=patient)[1]


def test_it_fits_the_phone_passes_the_scan_and_reaches_the_clinician(live_server, browser, traffic, axe, world):
    _, patient, token = world
    context = browser.new_context(**PHONE)
    page = traffic.watch(context.new_page())
    page.goto(f"{live_server.url}/r/{token}/")
    page.get_by_role("link", name="Therapy, medicine, or both? Read about your options").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(EN.title)
    expect(page.locator(".suggestion-text")).to_have_text(EN.suggestions["combined"])
    expect(page.locator(".reasons li")).to_have_text([EN.reasons["severe"], EN.reasons["recurrent"]])
    expect(page.get_by_text(EN.safety["young_antidepressant"].text)).to_be_visible()
    wide = page.evaluate("""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 12)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    axe.check(page)

    page.get_by_role("radio", name="Both together").check()
    page.get_by_label(EN.preference_note_label).fill("I would like to start soon.")
    page.get_by_role("button", name=EN.preference_submit).click()
    expect(page.get_by_role("status")).to_contain_text(EN.preference_saved.format(choice="Both together"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    clinician = browser.new_context()
    desk = traffic.watch(clinician.new_page())
    desk.goto(f"{live_server.url}/accounts/login/")
    desk.get_by_label("Username").fill("alice")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.goto(f"{live_server.url}/patients/{patient.id}/")
    stated = desk.locator(".stated-preference")
    expect(stated).to_contain_text("The patient chose both on their options page")
    expect(stated).to_contain_text("I would like to start soon.")
    clinician.close()


def test_it_shows_nothing_but_a_friendly_page_for_a_dead_link(live_server, browser, traffic, world):
    page = traffic.watch(browser.new_page())
    page.goto(f"{live_server.url}/r/{'y' * 43}/options/")
    expect(page.get_by_role("heading", level=1)).not_to_have_text(EN.title)
    page.close()
