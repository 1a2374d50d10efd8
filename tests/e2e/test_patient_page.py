"""Issue 13: the patient page after a phase change, with HAM-D beside the PHQ-9, item trends and item 9 positive."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.services import start_phase
from reassessment.services import submit_assessment
from tests.conftest import hamd17_items, make_clinician, make_patient, phq9_items
from tests.e2e.test_forms import sign_in
from tests.frontend.conftest import give_history

pytestmark = pytest.mark.e2e


def overlapping(boxes: list[dict[str, float]]) -> list[tuple[int, int]]:
    pairs = []
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[i + 1:], start=i + 1):
            if a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
                    a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]:
                pairs.append((i, j))
    return pairs


def test_it_keeps_every_phase_readable_and_shows_hamd_items_and_the_suicide_item(
    live_server, transactional_db, page, traffic, axe
):
    traffic.watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    today = timezone.localdate()
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-6", display_name="Phoebe Phases")
    first = give_history(patient, alice, started_on=today - timedelta(days=150),
                         scores=[(-2, 19), (28, 17), (56, 16), (84, 15), (112, 15)], today=today)
    for day, total in [(-2, 24), (56, 20)]:
        submit_assessment(patient=patient, instrument="hamd17", items=hamd17_items(total), source="clinician",
                          administered_at=first.started_on + timedelta(days=day), entered_by=alice)
    start_phase(patient=patient, by=alice, modality="combined", stage="acute", started_on=today - timedelta(days=3))
    submit_assessment(patient=patient, instrument="phq9", items=phq9_items(14, item9=2), source="self_report",
                      administered_at=today - timedelta(days=1))

    sign_in(page, live_server)
    page.goto(f"{live_server.url}/patients/{patient.id}/")
    chart = page.locator("#chart-phq9")
    expect(chart.locator("svg.main-svg").first).to_be_attached()

    # The phase labels do not collide, and the newest phase is not a strip at the right edge.
    labels = chart.locator(".annotation-text").filter(has_text="·")
    expect(labels).to_have_count(2)
    assert overlapping([box for box in (labels.nth(i).bounding_box() for i in range(2)) if box]) == []
    columns = chart.locator("g.shapelayer path").all()
    assert columns, "no phase columns drawn"
    plot = chart.locator(".nsewdrag").first.bounding_box()
    newest_label = labels.filter(has_text="Combined").bounding_box()
    assert plot["x"] + plot["width"] - newest_label["x"] >= 0.2 * plot["width"]

    # HAM-D 17 on its own small plot below the PHQ-9, on the same dates.
    expect(chart.locator(".g-y2title")).to_have_text("HAM-D 17")
    expect(chart.locator(".scatterlayer .trace")).to_have_count(3)  # PHQ-9, its flags, HAM-D 17

    # Item trends: a heat map per instrument, the suicide item marked.
    heat = page.locator("#items-phq9")
    expect(heat.locator(".hm, .heatmaplayer image, .heatmaplayer").first).to_be_attached()
    expect(heat.locator(".ytick text").filter(has_text="9. Self-harm thoughts")).to_have_count(1)
    expect(page.locator("#items-hamd17")).to_be_attached()

    # The positive suicide item stands out in the answers.
    answers = page.locator("#scores-phq9 details.answers").first
    expect(answers.locator("summary .badge-alert")).to_have_text("⚠ item 9: 2")
    answers.locator("summary").click()
    item9 = answers.locator("li.answer-alert")
    expect(item9).to_have_count(1)
    expect(item9).to_contain_text("Suicide item, positive")
    expect(item9).to_contain_text("Thoughts that you would be better off dead")
    axe.check(page, context="#scores-phq9 table")
