"""Issue 13: on the caseload an overdue patient reads "due since ..." in a colour that stands out, not grey."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.services import start_phase
from reassessment.services import evaluate_patient, submit_assessment
from tests.conftest import make_clinician, make_patient, phq9_items
from tests.e2e.test_forms import sign_in

pytestmark = pytest.mark.e2e


def colour(locator, prop: str) -> tuple[int, ...]:
    value = locator.evaluate(f"el => getComputedStyle(el).{prop}")
    return tuple(int(x) for x in re.findall(r"\d+", value)[:3])


def is_grey(rgb: tuple[int, ...]) -> bool:
    return max(rgb) - min(rgb) < 24


def test_it_makes_an_overdue_patient_stand_out(live_server, transactional_db, page, traffic, axe):
    traffic.watch(page)
    today = timezone.localdate()
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-O", display_name="Otto Overdue")
    start_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=today - timedelta(days=70))
    submit_assessment(patient=patient, instrument="phq9", items=phq9_items(18),
                      administered_at=today - timedelta(days=71), source="clinician")
    evaluate_patient(patient.id, today=today)

    sign_in(page, live_server)
    row = page.get_by_role("row").filter(has_text="Otto Overdue")
    due = row.locator("td[data-label='Next reassessment']")
    expect(due).to_contain_text(re.compile(r"due since \d{1,2} [A-Z][a-z]{2}"))
    badge = due.locator(".badge-overdue")
    expect(badge).to_have_text("Overdue")
    assert not is_grey(colour(badge, "backgroundColor"))
    assert not is_grey(colour(due.locator(".due-overdue"), "color"))
    chip = row.locator(".flag-kind-reassessment_overdue")
    expect(chip).to_be_visible()
    assert not is_grey(colour(chip, "color"))
    axe.check(page, context="table.caseload")
