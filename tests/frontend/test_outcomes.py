"""The outcomes page: response and remission by modality and sequencing, and what became of partial responders."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from patients.models import AuditEvent
from patients.services import start_phase
from reassessment.outcomes import outcomes
from reassessment.services import submit_assessment
from tests.conftest import TODAY, make_patient, phq9_items
from tests.frontend.conftest import give_history


def ago(days: int):
    return TODAY - timedelta(days=days)


@pytest.fixture
def stories(alice, frozen) -> None:
    # Medication first, a partial response at day 60, psychotherapy added 10 days later, then a response.
    p1 = make_patient(alice, "MRN-1")
    give_history(p1, alice, started_on=ago(150), scores=[(-2, 20), (60, 18)], today=ago(90))
    start_phase(patient=p1, by=alice, modality="combined", stage="acute", started_on=ago(80), therapy="cbt")
    submit_assessment(patient=p1, instrument="phq9", items=phq9_items(8), administered_at=ago(50),
                      source="clinician", entered_by=alice)
    # Therapy first, into remission.
    give_history(make_patient(alice, "MRN-2"), alice, modality="psychotherapy", started_on=ago(60),
                 scores=[(-2, 15), (35, 3)])
    # Both at once, too early to count.
    give_history(make_patient(alice, "MRN-3"), alice, modality="combined", started_on=ago(20), scores=[(-2, 15)])


def rates(rows) -> dict[str, tuple[int, int, int]]:
    return {r.key: (r.evaluable, r.responded, r.remitted) for r in rows}


def test_it_counts_response_and_remission_by_modality(alice, stories):
    result = outcomes(alice, TODAY)
    assert rates(result.by_modality) == {"psychotherapy": (1, 1, 1), "medication": (1, 0, 0), "combined": (1, 1, 0)}


def test_it_counts_each_patient_once_by_sequencing(alice, stories):
    result = outcomes(alice, TODAY)
    assert rates(result.by_sequencing) == {
        "medication_first": (1, 1, 0), "therapy_first": (1, 1, 1), "concurrent": (0, 0, 0),
    }


def test_it_follows_partial_responders(alice, stories):
    result = outcomes(alice, TODAY)
    assert (result.patients, result.reassessed_patients) == (3, 2)
    assert (result.partial_flagged, result.partial_single, result.partial_added) == (1, 1, 1)


def test_it_does_not_count_another_modality_added_too_late(alice, frozen):
    p = make_patient(alice, "MRN-L")
    give_history(p, alice, started_on=ago(180), scores=[(-2, 20), (60, 18)], today=ago(120))
    start_phase(patient=p, by=alice, modality="combined", stage="acute", started_on=ago(80))  # 40 days later
    result = outcomes(alice, TODAY)
    assert (result.partial_flagged, result.partial_single, result.partial_added) == (1, 1, 0)


def test_it_shows_the_numbers_beside_the_charts(alice_client, stories):
    page = alice_client.get("/outcomes/").content.decode()
    assert "Your caseload: 3 active patients" in page
    for figure in ("modality-figure", "sequence-figure", "partial-figure"):
        assert f'id="{figure}" type="application/json"' in page
    # Issue 13: each count links to its patients on the caseload.
    assert re.search(r'<strong>100.0%</strong> <a class="sub-inline" href="/\?outcome=[a-z_.]+"[^>]*>1/1</a>', page)
    assert re.search(r"… other modality added within 4 weeks</dt><dd><a href=\"/\?outcome=partial.added\">1</a></dd>",
                     page)


def test_it_shows_another_clinician_nothing_of_alices(bob_client, stories):
    page = bob_client.get("/outcomes/").content.decode()
    assert "Your caseload: 0 active patients" in page
    assert "No outcomes yet" in page


def test_it_shows_staff_the_whole_clinic(bob, bob_client, stories):
    bob.is_staff = True
    bob.save()
    page = bob_client.get("/outcomes/").content.decode()
    assert "The whole clinic: 3 active patients" in page


def test_it_records_an_aggregate_view(alice, alice_client, stories):
    alice_client.get("/outcomes/")
    event = AuditEvent.objects.get(what="outcomes")
    assert (event.user_id, event.patient_id, event.action) == (alice.id, None, "view")


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    assert client.get("/outcomes/")["Location"] == "/accounts/login/?next=/outcomes/"


# Issue 13: a date range, and each figure links to its patients (on the viewer's care teams only).


def test_it_narrows_to_treatment_started_in_the_range(alice, stories):
    result = outcomes(alice, TODAY, since=ago(70), until=TODAY)
    assert rates(result.by_modality) == {"psychotherapy": (1, 1, 1), "medication": (0, 0, 0), "combined": (0, 0, 0)}
    assert rates(result.by_sequencing) == {
        "medication_first": (0, 0, 0), "therapy_first": (1, 1, 1), "concurrent": (0, 0, 0),
    }
    assert (result.reassessed_patients, result.partial_flagged) == (1, 0)


def test_it_knows_the_patients_behind_each_figure(alice, stories):
    from patients.models import Patient

    ids = {p.external_id: p.id for p in Patient.objects.all()}
    members = outcomes(alice, TODAY).members
    assert members["modality.medication.evaluable"] == {ids["MRN-1"]}
    assert members["modality.psychotherapy.remitted"] == {ids["MRN-2"]}
    assert members["sequence.medication_first.responded"] == {ids["MRN-1"]}
    assert members["partial.added"] == {ids["MRN-1"]}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "Start date: enter a real date, like 2026-01-31."),
        ("to=yesterday", "End date: enter a real date, like 2026-01-31."),
        ("from=2026-03-01&to=2026-02-01", "End date: the end date is before the start date."),
    ],
)
def test_it_refuses_bad_dates_with_a_clear_message(alice_client, stories, query, message):
    response = alice_client.get(f"/outcomes/?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem with the dates" in page
    assert f">{message}</a>" in page
    assert "modality-figure" not in page


def test_it_links_a_figure_to_its_patients_on_the_caseload(alice_client, stories):
    page = alice_client.get("/outcomes/?from=" + ago(70).isoformat()).content.decode()
    link = re.search(r'href="(/\?outcome=modality\.psychotherapy\.remitted[^"]*)"', page).group(1)
    assert "from=" in link
    caseload = alice_client.get(link.replace("&amp;", "&")).content.decode()
    assert "1 patient behind “Psychotherapy: remission”" in caseload
    assert "MRN-2" in caseload
    assert "MRN-1" not in caseload.split("Show the whole caseload")[1]


def test_it_lists_only_the_viewers_own_patients_behind_clinic_wide_figures(stories, charlie):
    from tests.frontend.conftest import signed_in

    charlie.is_staff = True
    charlie.save(update_fields=["is_staff"])
    client = signed_in(charlie)
    assert "The whole clinic: 3 active patients" in client.get("/outcomes/").content.decode()
    caseload = client.get("/?outcome=modality.psychotherapy.remitted").content.decode()
    assert "0 patients behind" in caseload
    assert "MRN-2" not in caseload


def test_it_refuses_an_unknown_figure(alice_client, stories):
    assert alice_client.get("/?outcome=modality.everything.remitted").status_code == 400
    assert alice_client.get("/?outcome=partial.added&from=nope").status_code == 400


def test_it_reads_the_patients_behind_a_figure_in_a_bounded_number_of_queries(
    alice_client, stories, django_assert_max_num_queries
):
    # measured: 11 (the plain caseload: 7), + 3 for the session's save on every request (DESIGN 3b, idle sessions):
    # its UPDATE between a SAVEPOINT and its RELEASE inside the test's transaction.
    with django_assert_max_num_queries(15):
        response = alice_client.get("/?outcome=modality.psychotherapy.remitted&from=2025-01-01")
    assert response.status_code == 200
