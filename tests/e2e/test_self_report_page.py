"""Issue 13: the patient's check-in on a 390 px phone: clinic name, progress, errors, screen readers, crisis links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reassessment.services import issue_link
from tests.conftest import make_clinician, make_patient
from tests.frontend.conftest import give_history

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone_form(live_server, transactional_db, browser, traffic, settings):
    settings.MBC_CLINIC_NAME = "Riverside Community Mental Health"
    settings.MBC_CRISIS_MESSAGE = "Call the Riverside team on 020 7946 0958, or 999 in an emergency."
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-8", display_name="Pat Phone")
    give_history(patient, alice, started_on=timezone.localdate() - timedelta(days=20), scores=[(-2, 18)],
                 today=timezone.localdate())
    token = issue_link(patient=patient)[1]
    context = browser.new_context(**PHONE)
    page = traffic.watch(context.new_page())
    page.goto(f"{live_server.url}/r/{token}/")
    yield page
    context.close()


def answer(page, number: int, text: str) -> None:
    page.locator("fieldset.item").nth(number - 1).get_by_text(text, exact=True).click()


def test_it_names_the_clinic_and_counts_the_answers_as_they_are_given(phone_form):
    page = phone_form
    expect(page.get_by_role("banner")).to_contain_text("Riverside Community Mental Health")
    progress = page.locator("[data-progress]")
    expect(progress).to_be_visible()
    expect(progress).to_have_text("0 of 9 answered")
    for number in (1, 2, 3):
        answer(page, number, "Several days")
    expect(progress).to_have_text("3 of 9 answered")
    answer(page, 3, "Not at all")  # a changed answer is still one answer
    expect(progress).to_have_text("3 of 9 answered")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_it_has_a_fieldset_and_legend_per_question_and_no_serious_accessibility_violation(phone_form, axe):
    page = phone_form
    for number in range(1, 10):
        group = page.get_by_role("group", name=f"{number}.", exact=False).first
        expect(group).to_be_visible()
    expect(page.locator("fieldset.item")).to_have_count(10)  # nine items and the optional difficulty question
    expect(page.locator("fieldset.item > legend")).to_have_count(10)
    axe.check(page)


def test_it_sums_up_missing_answers_at_the_top_and_takes_the_patient_to_them(phone_form, axe):
    page = phone_form
    for number in range(1, 10):
        if number not in (4, 7):
            answer(page, number, "Several days")
    page.get_by_role("button", name="Send my answers").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please answer every question")
    expect(summary.get_by_role("link")).to_have_text(["Question 4: choose an answer.", "Question 7: choose an answer."])
    expect(page.locator("[data-progress]")).to_have_text("7 of 9 answered")  # the answers given are kept
    summary.get_by_role("link", name="Question 7: choose an answer.").click()
    expect(page.locator("#id_item_7_0")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe.check(page)


def test_it_makes_the_crisis_numbers_tappable(phone_form, axe):
    page = phone_form
    for number in range(1, 9):
        answer(page, number, "Several days")
    answer(page, 9, "Several days")  # the suicide item
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Please reach out now")).to_be_visible()
    expect(page.get_by_role("link", name="020 7946 0958")).to_have_attribute("href", "tel:02079460958")
    expect(page.get_by_role("link", name="999", exact=True)).to_have_attribute("href", "tel:999")
    expect(page.locator(".crisis")).not_to_contain_text("contacts above")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe.check(page)
