"""The caseload page: the care team only, the summary columns, flags first, filters, search, and its query count."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from instruments.models import Assessment
from patients.models import AuditEvent, CareTeamMember, Patient, TreatmentPhase
from reassessment.models import Flag
from reassessment.services import refresh_statuses, submit_assessment
from tests.conftest import TODAY, make_patient, phq9_items
from tests.frontend.conftest import give_history, give_partial_response

# session, user, the counts, the matching rows, the page, its open flags, the audit rows (one bulk insert); and the
# session's save on every request (DESIGN 3b: idle sessions expire, SESSION_SAVE_EVERY_REQUEST): its UPDATE, between
# a SAVEPOINT and its RELEASE inside the test's transaction
CASELOAD_QUERIES = 10


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_it_lists_only_the_care_teams_patients(alice, bob, alice_client, bob_client, frozen):
    mine = make_patient(alice, "MRN-A", display_name="Ada Lovelace")
    make_patient(bob, "MRN-B", display_name="Bertha Benz")
    page = alice_client.get("/").content.decode()
    assert "Ada Lovelace" in page
    assert "MRN-A" in page
    assert f'href="/patients/{mine.id}/"' in page
    assert "Bertha Benz" not in page
    assert "MRN-B" not in page
    assert "Ada Lovelace" not in bob_client.get("/").content.decode()


def test_it_shows_the_summary_columns(alice, alice_client, patient, frozen):
    give_history(patient, alice, scores=[(-2, 18), (14, 17), (30, 16)])
    page = alice_client.get("/").content.decode()
    row = page[page.index(patient.display_name):]
    row = row[: row.index("</tr>")]
    assert "PHQ-9" in row
    assert '<span class="score">16</span>' in row
    assert "Moderately severe" in row
    assert "11.1%" in row
    assert "from 18" in row
    assert "Partial response" in row  # the category, and the open flag
    assert "Medication" in row
    assert "acute · week 6" in row
    assert "2 Mar 2026" in row  # the latest score: day 30 of a phase started on 31 January
    assert "30 Mar 2026" in row  # next due: 28 days after it


def test_it_puts_suicide_risk_first_and_unmistakably(alice, alice_client, frozen):
    calm = make_patient(alice, "MRN-1", display_name="Aaron Calm")
    risky = make_patient(alice, "MRN-2", display_name="Zelda Risk")
    give_history(calm, alice)
    give_history(risky, alice, scores=[(-2, 12)])
    submit_assessment(
        patient=risky, instrument="phq9", items=phq9_items(14, item9=2), administered_at=TODAY,
        source="clinician", entered_by=alice,
    )
    page = alice_client.get("/").content.decode()
    assert "Suicide risk: a safety assessment is needed now" in page
    table = page[page.index("<tbody>"):]
    assert table.index("Zelda Risk") < table.index("Aaron Calm")
    assert '<tr class="row-urgent">' in table
    assert '<span class="flag flag-urgent"><span aria-hidden="true">⚠ </span>Suicide risk</span>' in table


def test_it_highlights_due_and_overdue(alice, alice_client, frozen):
    due = make_patient(alice, "MRN-D", display_name="Dana Due")
    overdue = make_patient(alice, "MRN-O", display_name="Otto Overdue")
    give_history(due, alice, started_on=TODAY - timedelta(days=40), scores=[(-2, 15), (10, 12)])
    give_history(overdue, alice, started_on=TODAY - timedelta(days=80), scores=[(-2, 15), (10, 12)])
    page = alice_client.get("/").content.decode()
    due_row = page[page.index("Dana Due"):][:3000].split("</tr>")[0]
    overdue_row = page[page.index("Otto Overdue"):][:3000].split("</tr>")[0]
    assert "badge-due" in due_row
    assert "badge-overdue" not in due_row
    assert "badge-overdue" in overdue_row
    assert "Reassessment overdue" in overdue_row


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?q=ada", ["Ada Flagged"], ["Ben Quiet", "Cy Therapy"]),
        ("?q=mrn-b", ["Ben Quiet"], ["Ada Flagged", "Cy Therapy"]),
        ("?flagged=on", ["Ada Flagged"], ["Ben Quiet", "Cy Therapy"]),
        ("?modality=psychotherapy", ["Cy Therapy"], ["Ada Flagged", "Ben Quiet"]),
        ("?category=too_early", ["Cy Therapy"], ["Ada Flagged", "Ben Quiet"]),
        ("?category=no_phase", ["Ben Quiet"], ["Ada Flagged", "Cy Therapy"]),
    ],
)
def test_it_filters_and_searches(alice, alice_client, frozen, query, shown, hidden):
    give_partial_response(make_patient(alice, "MRN-A", display_name="Ada Flagged"), alice)
    make_patient(alice, "MRN-B", display_name="Ben Quiet")
    give_history(
        make_patient(alice, "MRN-C", display_name="Cy Therapy"), alice, modality="psychotherapy",
        started_on=TODAY - timedelta(days=10), scores=[(-1, 14)],
    )
    page = alice_client.get("/" + query).content.decode()
    table = page[page.index("<tbody>"):] if "<tbody>" in page else ""
    for name in shown:
        assert name in table
    for name in hidden:
        assert name not in table


def test_it_sorts_by_name_both_ways(alice, alice_client, frozen):
    for n, name in enumerate(["Bea", "Abe", "Cal"]):
        make_patient(alice, f"MRN-{n}", display_name=name)
    table = alice_client.get("/?sort=name").content.decode().split("<tbody>")[1]
    assert table.index("Abe") < table.index("Bea") < table.index("Cal")
    table = alice_client.get("/?sort=name&desc=on").content.decode().split("<tbody>")[1]
    assert table.index("Cal") < table.index("Bea") < table.index("Abe")


def test_it_says_when_nothing_matches(alice, alice_client, patient, frozen):
    page = alice_client.get("/?q=nobody-like-this").content.decode()
    assert "No patients match" in page


def test_it_says_when_the_caseload_is_empty(alice_client, frozen):
    assert "No patients yet" in alice_client.get("/").content.decode()


def test_it_records_who_listed_which_patients(alice, bob, alice_client, patient, frozen):
    make_patient(bob, "MRN-B")
    alice_client.get("/")
    events = AuditEvent.objects.filter(what="caseload")
    assert [(e.user_id, e.patient_id, e.action) for e in events] == [(alice.id, patient.id, "list")]


def test_it_keeps_names_and_scores_out_of_its_links(alice, alice_client, patient, frozen):
    give_history(patient, alice)
    page = alice_client.get("/").content.decode()
    hrefs = [chunk.split('"', 1)[0] for chunk in page.split('href="')[1:]]
    assert hrefs
    assert not any(patient.display_name.split()[0] in h or "16" in h.split("/")[-1] for h in hrefs)


def _bulk_caseload(user, count: int = 500, scores: int = 10) -> None:
    """`count` patients on the user's care team, each with an active phase, `scores` PHQ-9s and an open flag."""
    patients = Patient.objects.bulk_create(
        [Patient(external_id=f"BULK-{n:04d}", display_name=f"Bulk Patient {n:04d}") for n in range(count)]
    )
    CareTeamMember.objects.bulk_create([CareTeamMember(patient=p, user=user, role="therapist") for p in patients])
    start = TODAY - timedelta(days=7 * scores + 10)
    phases = TreatmentPhase.objects.bulk_create(
        [TreatmentPhase(patient=p, modality="medication", stage="acute", started_on=start) for p in patients]
    )
    rows = []
    for p in patients:
        for k in range(scores):
            day = start + timedelta(days=7 * k - 1)
            total = max(0, 19 - k - p.id % 5)
            rows.append(
                Assessment(
                    patient=p, instrument="phq9", instrument_version="1", items=phq9_items(min(total, 24)),
                    total=total, severity="moderate", source="clinician", administered_on=day,
                    administered_at=timezone.make_aware(datetime.combine(day, time(12))),
                )
            )
    Assessment.objects.bulk_create(rows, batch_size=2000)
    Flag.objects.bulk_create(
        [
            Flag(patient=p, phase=ph, kind="partial_response", severity="medium", recommendation="add_psychotherapy",
                 dedupe_key=f"bulk:{p.id}")
            for p, ph in zip(patients[::3], phases[::3], strict=True)
        ]
    )
    # Written in bulk, not through the services: store their statuses as the daily sweep would.
    refresh_statuses(patient_ids=[p.id for p in patients])


@pytest.mark.parametrize("count", [60, 500])
def test_it_pages_the_caseload_50_rows_at_a_time_in_a_constant_number_of_queries(
    alice, alice_client, frozen, django_assert_max_num_queries, count
):
    _bulk_caseload(alice, count=count)
    for query in ("page=1", "page=2&sort=latest", "flagged=on&sort=improvement", "q=BULK&due=on&desc=on"):
        with django_assert_max_num_queries(CASELOAD_QUERIES):
            response = alice_client.get(f"/?{query}")
        assert response.status_code == 200
    html = alice_client.get("/?page=2").content.decode()
    assert html.count('<a class="patient-link"') == min(50, count - 50)
    flagged = alice_client.get("/?flagged=on").content.decode()
    assert f"of {-(-count // 3)} matching ({count} in all)" in flagged


def test_it_pages_through_every_patient_once(alice, alice_client, frozen):
    _bulk_caseload(alice, count=120, scores=2)
    seen = []
    for page in (1, 2, 3):
        html = alice_client.get(f"/?sort=name&page={page}").content.decode()
        seen += [chunk.split("<", 1)[0] for chunk in html.split('<span class="ext">')[1:]]
    assert seen == [f"BULK-{n:04d}" for n in range(120)]
    assert "Page 3 of 3" in html
    last = alice_client.get("/?sort=name&page=99").content.decode()  # past the end: the last page
    assert "Page 3 of 3" in last
    assert alice_client.get("/?page=abc").status_code == 200


def test_it_sorts_and_filters_over_the_whole_caseload_not_one_page(alice, alice_client, frozen):
    _bulk_caseload(alice, count=120, scores=2)
    html = alice_client.get("/?q=BULK-0119").content.decode()
    assert "BULK-0119" in html
    assert html.count('<a class="patient-link"') == 1
    desc = alice_client.get("/?sort=name&desc=on").content.decode()
    assert desc.index("BULK-0119") < desc.index("BULK-0118")


def test_it_keeps_the_suicide_risk_banner_whatever_the_filters(alice, alice_client, frozen):
    risky = make_patient(alice, "MRN-2", display_name="Zelda Risk")
    give_history(risky, alice, scores=[(-2, 12)])
    submit_assessment(
        patient=risky, instrument="phq9", items=phq9_items(14, item9=1), administered_at=TODAY,
        source="clinician", entered_by=alice,
    )
    page = alice_client.get("/?modality=psychotherapy").content.decode()
    assert "No patients match" in page
    assert "Suicide risk: a safety assessment is needed now" in page
    assert f'href="/patients/{risky.id}/#flags"' in page


def test_it_shows_each_kind_of_flag_once_with_a_count(alice, alice_client, patient, frozen):
    give_history(patient, alice, scores=[(-2, 12)])
    for day in (TODAY - timedelta(days=1), TODAY):
        submit_assessment(
            patient=patient, instrument="phq9", items=phq9_items(14, item9=1), administered_at=day,
            source="clinician", entered_by=alice,
        )
    table = alice_client.get("/").content.decode().split("<tbody>")[1]
    assert table.count("Suicide risk") == 1
    assert "Suicide risk ×2" in table
