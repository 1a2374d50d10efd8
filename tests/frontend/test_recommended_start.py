"""The recommended start (DESIGN §2b) on the patient page and the caseload, and the course record form."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from instruments.models import Assessment
from patients.models import AuditEvent, Patient, TreatmentPhase
from reassessment.models import Flag
from reassessment.services import refresh_statuses, submit_assessment
from tests.conftest import TODAY, make_patient, phq9_items
from tests.frontend.conftest import give_history
from tests.frontend.test_caseload import _bulk_caseload


def url(patient, rest: str = "") -> str:
    return f"/patients/{patient.id}/{rest}"


def panel(page: str) -> str:
    start = page.index('id="recommended-start"')
    return page[start : page.index("</section>", start)]


def test_it_shows_the_suggestion_its_reasons_its_score_and_the_preference(alice, alice_client, frozen):
    patient = make_patient(alice, "MRN-2", prior_episodes=2, preference="psychotherapy")
    give_history(patient, alice, modality="psychotherapy", scores=[(-2, 18), (30, 12)])

    text = panel(alice_client.get(url(patient)).content.decode())

    assert "Psychotherapy and medication together" in text
    assert "Severe symptoms (PHQ-9 16 or more)" in text
    assert "2 or more previous episodes: a high risk of relapse." in text
    assert "from PHQ-9 18 on 29 Jan 2026 (the baseline)" in text  # day -2 of a phase started 40 days ago
    assert "Patient's preference</dt><dd>Psychotherapy</dd>" in text
    assert "recurrent" in text
    assert "The current phase is psychotherapy; the suggestion is psychotherapy and medication together." in text


def test_it_says_chronic_when_the_episode_began_two_years_ago(alice, alice_client, frozen):
    patient = make_patient(alice, "MRN-2", episode_onset=TODAY.replace(year=TODAY.year - 2))
    text = panel(alice_client.get(url(patient)).content.decode())
    assert "chronic" in text
    assert "No PHQ-9 score yet" in text


def test_it_raises_no_differs_note_when_the_phase_follows_the_suggestion(alice, alice_client, patient, frozen):
    give_history(patient, alice, modality="medication", scores=[(-2, 12)])
    text = panel(alice_client.get(url(patient)).content.decode())
    assert "Psychotherapy or medication" in text
    assert "Moderate symptoms (PHQ-9 10 or more)" in text
    assert "Differs" not in text


def test_it_changes_the_course_record_from_the_page(alice, alice_client, patient, frozen):
    response = alice_client.post(
        url(patient, "record/"),
        {"record-diagnosis": "f42.1", "record-prior_episodes": "1", "record-episode_onset": "2025-06-01",
         "record-preference": "combined"},
    )

    assert response.status_code == 302
    assert response["Location"] == url(patient) + "#recommended-start"
    patient.refresh_from_db()
    assert (patient.diagnosis, patient.prior_episodes, patient.episode_onset, patient.preference) == (
        "F42.1", 1, date(2025, 6, 1), "combined"
    )
    assert AuditEvent.objects.filter(user=alice, patient=patient, action="update", what="patient").exists()


def test_it_shows_the_record_forms_errors_and_saves_nothing(alice, alice_client, patient, frozen):
    response = alice_client.post(
        url(patient, "record/"),
        {"record-diagnosis": "depression", "record-prior_episodes": "-1", "record-episode_onset": "2027-01-01",
         "record-preference": "none"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value is greater than or equal to 0." in page
    assert 'id="edit-record" open' in page
    patient.refresh_from_db()
    assert (patient.diagnosis, patient.prior_episodes, patient.episode_onset) == ("", None, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("episode_onset", "1850-01-01", "Enter a date on or after 1 January 1900."),
        ("diagnosis", "depression", "Enter an ICD-10 code such as F33.1."),
    ],
)
def test_it_puts_the_services_messages_on_the_record_form(alice, alice_client, patient, frozen, field, value,
                                                          message):
    data = {"record-diagnosis": "", "record-prior_episodes": "", "record-episode_onset": "",
            "record-preference": "none"}
    response = alice_client.post(url(patient, "record/"), data | {f"record-{field}": value})

    assert response.status_code == 400
    assert message in response.content.decode()
    patient.refresh_from_db()
    assert (patient.diagnosis, patient.episode_onset) == ("", None)


def test_it_hides_the_record_form_from_bob(bob_client, patient, frozen):
    response = bob_client.post(url(patient, "record/"), {"record-preference": "medication"})
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.preference == "none"


def test_it_marks_a_caseload_row_whose_phase_differs_from_the_suggestion(alice, alice_client, frozen):
    differs = make_patient(alice, "MRN-2", display_name="Dora Differs")
    follows = make_patient(alice, "MRN-3", display_name="Fred Follows")
    give_history(differs, alice, modality="psychotherapy", scores=[(-2, 20)])
    give_history(follows, alice, modality="combined", scores=[(-2, 20)])

    page = alice_client.get("/").content.decode()

    def row(name: str) -> str:
        start = page.index(name)
        return page[start : page.index("</tr>", start)]

    assert "Suggested: combined" in row("Dora Differs")
    assert "Suggested:" not in row("Fred Follows")


def test_it_keeps_the_caseload_at_its_number_of_queries_with_recommended_starts(
    alice, alice_client, frozen, django_assert_max_num_queries
):
    _bulk_caseload(alice)
    # Patients without a phase (their latest score is read in the same query) and with a full course record.
    Patient.objects.filter(external_id__endswith="7").update(prior_episodes=2, diagnosis="F33.1")
    # An ended phase leaves no active one: these patients are read as without a phase.
    TreatmentPhase.objects.filter(patient__external_id__endswith="3").update(ended_on=TODAY - timedelta(days=1))
    lone = make_patient(alice, "LONE", episode_onset=date(2020, 1, 1))
    submit_assessment(patient=lone, instrument="phq9", items=phq9_items(7), administered_at=TODAY - timedelta(days=3),
                      source="clinician")
    # Changed in bulk, not through the services: the daily sweep would store their statuses.
    refresh_statuses(patient_ids=Patient.objects.values_list("id", flat=True))
    # 10 + the session's save on every request (DESIGN 3b: idle sessions expire, SESSION_SAVE_EVERY_REQUEST): its
    # UPDATE, between a SAVEPOINT and its RELEASE inside the test's transaction.
    with django_assert_max_num_queries(13):
        page = alice_client.get("/").content.decode()
    assert page.count('<a class="patient-link"') == 50  # a page of the 501 (issue 11: the caseload is paged)
    assert "Suggested:" in page
    assert Assessment.objects.filter(patient=lone).count() == 1


COURSE_FLAGS = {
    "consider_combined": (
        {"reasons": ["severe", "recurrent"], "score_total": 18, "score_date": "2026-03-01", "modality": "medication",
         "instrument": "phq9"},
        "The recommended start is psychotherapy and medication together (PHQ-9 18 on 1 Mar 2026: severe symptoms, "
        "recurrent depression); this phase is medication alone.",
    ),
    "continue_treatment": (
        {"first_total": 4, "first_date": "2026-02-01", "latest_total": 3, "latest_date": "2026-02-15",
         "modality": "medication", "instrument": "phq9"},
        "the remission came on medication alone, and psychotherapy now lowers the risk of relapse",
    ),
    "early_discontinuation": (
        {"medication_id": 1, "medication": "Sertraline", "remission_date": "2026-01-01", "stop_date": "2026-02-01",
         "days": 31, "minimum_days": 183},
        "Sertraline was stopped on 1 Feb 2026, 31 days after remission (1 Jan 2026), with no other antidepressant "
        "the day after: continue at least 183 days after remission.",
    ),
    "bipolar_antidepressant": (
        {"medication_id": 1, "medication": "Sertraline", "day": "2026-03-12"},
        "Sertraline is taken without a mood stabiliser, lithium or antipsychotic (12 Mar 2026)",
    ),
    "treatment_resistant": (
        {"medications": ["sertraline", "venlafaxine"], "baseline_total": 20, "baseline_date": "2025-11-01",
         "latest_total": 14, "latest_date": "2026-03-01", "improvement_pct": 30.0, "course_started_on": "2025-11-02"},
        "Two or more antidepressants (sertraline, venlafaxine) were each taken for 6 weeks or more in this course",
    ),
}


@pytest.mark.parametrize("kind", sorted(COURSE_FLAGS))
def test_it_words_each_course_flag_for_a_clinician(alice, alice_client, patient, frozen, kind):
    from reassessment.models import Flag

    evidence, words = COURSE_FLAGS[kind]
    Flag.objects.create(patient=patient, kind=kind, severity="high", recommendation="review_medications",
                        evidence=evidence, dedupe_key=f"test:{kind}")
    page = alice_client.get(url(patient)).content.decode()
    assert words in " ".join(page.split())


def test_it_filters_the_caseload_by_a_kind_of_open_flag(alice, alice_client, frozen):
    from reassessment.models import Flag

    flagged = make_patient(alice, "MRN-2", display_name="Dora Flagged")
    make_patient(alice, "MRN-3", display_name="Fred Calm")
    Flag.objects.create(patient=flagged, kind="bipolar_antidepressant", severity="high",
                        recommendation="review_medications", dedupe_key="test:bipolar")
    page = alice_client.get("/?flag_kind=bipolar_antidepressant").content.decode()
    assert "Dora Flagged" in page
    assert "Fred Calm" not in page
    assert "Antidepressant in bipolar disorder" in page
    assert alice_client.get("/?flag_kind=treatment_resistant").content.decode().count("Dora Flagged") == 0


@pytest.mark.parametrize(
    ("modality", "link", "label", "notes"),
    [
        ("medication", "?start=combined&amp;stage=continuation", "Start a combined continuation phase…",
         "psychotherapy added against relapse"),
        ("psychotherapy", "?start=psychotherapy&amp;stage=continuation", "Start a psychotherapy continuation phase…",
         "Remission held: continuing treatment."),
    ],
)
def test_it_offers_the_continuation_phase_a_continue_flag_recommends(alice, alice_client, patient, frozen, modality,
                                                                     link, label, notes):
    give_history(patient, alice, modality=modality, started_on=TODAY - timedelta(days=60),
                 scores=[(-2, 12), (30, 4), (44, 3)])
    page = alice_client.get(url(patient)).content.decode()
    flag = Flag.objects.get(patient=patient, kind="continue_treatment")
    assert f'href="{link}&amp;flag={flag.id}#start-phase">{label}</a>' in page
    form = alice_client.get(url(patient) + link.replace("&amp;", "&")).content.decode()
    assert 'value="continuation" selected' in form
    assert notes in form
