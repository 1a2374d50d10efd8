"""The patient page: care team only, the chart and tables, and every form going through its service as the user."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.core import mail

from instruments.definitions import HAMD17, PHQ9
from instruments.models import Assessment
from patients.models import AuditEvent, Medication, TreatmentPhase
from reassessment.models import Flag, Reminder
from reassessment.services import send_pending_reminders
from tests.conftest import TODAY, make_patient
from tests.frontend.conftest import give_history, give_partial_response


def url(patient, rest: str = "") -> str:
    return f"/patients/{patient.id}/{rest}"


def phq9_post(prefix: str = "phq9", answers=(2, 2, 2, 2, 2, 1, 1, 0, 0), **extra) -> dict[str, str]:
    data = {f"{prefix}-item_{n}": str(a) for n, a in enumerate(answers, start=1)}
    data.update({f"{prefix}-administered_on": "2026-03-10", f"{prefix}-client_id": "form-1"})
    data.update(extra)
    return data


def test_it_shows_the_patient_to_the_care_team(alice, alice_client, patient, frozen):
    give_history(patient, alice)
    response = alice_client.get(url(patient))
    page = response.content.decode()
    assert response.status_code == 200
    assert patient.display_name in page
    assert patient.external_id in page
    assert 'id="chart-phq9"' in page
    assert 'id="phq9-figure" type="application/json"' in page
    assert "/static/frontend/vendor/plotly.min.js" in page


@pytest.mark.parametrize("path", ["", "?start=combined"])
def test_it_is_404_for_another_clinician(bob_client, patient, frozen, path):
    assert bob_client.get(url(patient, path)).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(client, patient):
    response = client.get(url(patient))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("rest", "data"),
    [
        ("assessments/phq9/", phq9_post()),
        ("phases/", {"phase-modality": "combined", "phase-stage": "acute", "phase-started_on": "2026-03-10"}),
        ("medications/", {"med-name": "Sertraline", "med-drug_class": "ssri", "med-started_on": "2026-03-01"}),
        ("link/", {}),
    ],
)
def test_it_refuses_another_clinicians_changes(bob_client, patient, frozen, rest, data):
    assert bob_client.post(url(patient, rest), data).status_code == 404
    assert not Assessment.objects.exists()
    assert not TreatmentPhase.objects.exists()
    assert not Medication.objects.exists()
    assert not Reminder.objects.exists()


def test_it_records_the_view_in_the_audit_trail(alice, alice_client, patient, frozen):
    alice_client.get(url(patient))
    event = AuditEvent.objects.get(what="patient_page")
    assert (event.user_id, event.patient_id, event.action) == (alice.id, patient.id, "view")


def test_it_draws_scores_bands_phases_baseline_and_flags(alice, alice_client, patient, frozen):
    give_partial_response(patient, alice)
    page = alice_client.get(url(patient)).content.decode()
    figure = json.loads(re.search(r'id="phq9-figure" type="application/json">(.*?)</script>', page).group(1))
    scores, flags = figure["data"]
    assert scores["y"] == [18, 16]
    assert "Score %{y}" in scores["hovertemplate"]
    assert scores["customdata"][0] == ["30 Dec 2025", "Moderately severe"]
    assert flags["name"] == "Flags"
    assert flags["y"] == [18, 16]  # consider combined (DESIGN §2b) on the baseline, partial response later
    texts = [a["text"] for a in figure["layout"]["annotations"]]
    assert "Medication · acute" in texts
    assert {"Baseline 18", "30% better: 12.6", "50% better: 9"} <= set(texts)
    assert {"Minimal", "Mild", "Moderate", "Moderately severe", "Severe"} <= set(texts)


def test_it_lists_assessments_with_their_item_answers(alice, alice_client, patient, frozen):
    give_history(patient, alice, scores=[(-2, 18)])
    page = alice_client.get(url(patient)).content.decode()
    assert "3 3 3 3 3 3 0 0 0" in page
    assert f"{PHQ9.items[0].text}</span>: <strong>3</strong> (Nearly every day)" in page


def test_it_offers_hamd17_items_with_their_anchors(alice_client, patient, frozen):
    page = alice_client.get(url(patient)).content.decode()
    for item in HAMD17.items:
        assert f"{item.number}. {item.text}" in page
        for anchor in item.anchors:
            assert anchor.replace("'", "&#x27;") in page
    assert page.count('name="hamd17-item_3"') == 5
    assert '<label class="choice" for="id_hamd17-item_3_4">' in page


def test_it_labels_every_input(alice_client, patient, frozen):
    page = alice_client.get(url(patient)).content.decode()
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    assert ids
    for input_id in ids:
        assert f'for="{input_id}"' in page, input_id


def test_it_saves_a_phq9_entered_by_the_clinician(alice, alice_client, patient, frozen):
    response = alice_client.post(url(patient, "assessments/phq9/"), phq9_post())
    assert response.status_code == 302
    assert response["Location"] == url(patient) + "#scores-phq9"
    assessment = Assessment.objects.get()
    assert (assessment.total, assessment.source, assessment.entered_by) == (12, "clinician", alice)
    assert str(assessment.administered_on) == "2026-03-10"
    assert AuditEvent.objects.filter(what="assessment", action="create", user=alice).exists()


def test_it_saves_a_form_posted_twice_once(alice_client, patient, frozen):
    alice_client.post(url(patient, "assessments/phq9/"), phq9_post())
    alice_client.post(url(patient, "assessments/phq9/"), phq9_post())
    assert Assessment.objects.count() == 1


def test_it_flags_a_hamd17_suicide_item_at_once(alice, alice_client, patient, frozen):
    answers = [2, 1, 1, 1, 1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 0]
    data = {f"hamd17-item_{n}": str(a) for n, a in enumerate(answers, start=1)}
    data.update({"hamd17-administered_on": "2026-03-12", "hamd17-client_id": "h-1"})
    response = alice_client.post(url(patient, "assessments/hamd17/"), data, follow=True)
    assert "an urgent flag was raised" in response.content.decode()
    flag = Flag.objects.get()
    assert (flag.kind, flag.severity) == ("suicide_risk", "urgent")
    assert Assessment.objects.get().total == sum(answers)


def test_it_shows_what_is_missing_and_saves_nothing(alice_client, patient, frozen):
    data = phq9_post()
    del data["phq9-item_4"]
    response = alice_client.post(url(patient, "assessments/phq9/"), data)
    assert response.status_code == 400
    assert "Choose an answer." in response.content.decode()
    assert not Assessment.objects.exists()


def test_it_refuses_a_future_date_with_the_services_message(alice_client, patient, frozen):
    response = alice_client.post(url(patient, "assessments/phq9/"), phq9_post(**{"phq9-administered_on": "2026-04-01"}))
    assert response.status_code == 400
    assert "This date is in the future." in response.content.decode()


def test_it_starts_a_phase_as_the_clinician(alice, alice_client, patient, frozen):
    first = give_history(patient, alice)
    data = {"phase-modality": "combined", "phase-stage": "acute", "phase-therapy": "cbt",
            "phase-started_on": "2026-03-12", "phase-notes": "CBT added."}
    response = alice_client.post(url(patient, "phases/"), data)
    assert response.status_code == 302
    new = TreatmentPhase.objects.get(ended_on__isnull=True)
    assert (new.modality, new.therapy, new.created_by) == ("combined", "cbt", alice)
    first.refresh_from_db()
    assert str(first.ended_on) == "2026-03-11"


def test_it_refuses_a_phase_starting_before_the_current_one(alice, alice_client, patient, frozen):
    give_history(patient, alice)
    data = {"phase-modality": "combined", "phase-stage": "acute", "phase-started_on": "2026-01-01"}
    response = alice_client.post(url(patient, "phases/"), data)
    assert response.status_code == 400
    assert "A new phase must start after the current phase" in response.content.decode()
    assert TreatmentPhase.objects.count() == 1


def test_it_offers_the_recommended_phase_prefilled(alice, alice_client, patient, frozen):
    give_partial_response(patient, alice)  # a partial response on a medication phase: add psychotherapy
    flag = Flag.objects.get(kind="partial_response")
    page = alice_client.get(url(patient)).content.decode()
    # DESIGN §2: the link carries the flag, which the new phase resolves.
    assert f'href="?start=combined&amp;flag={flag.id}#start-phase"' in page
    assert "Start a combined phase" in page
    page = alice_client.get(url(patient, f"?start=combined&flag={flag.id}")).content.decode()
    assert f'name="phase-from_flag" value="{flag.id}"' in page
    assert '<details class="form-panel" id="start-phase" open>' in page
    assert '<option value="combined" selected>Combined</option>' in page
    assert 'value="2026-03-12"' in page


def test_it_acknowledges_a_flag_with_a_note(alice, alice_client, patient, frozen):
    give_partial_response(patient, alice)
    flag = Flag.objects.get(kind="partial_response")
    response = alice_client.post(url(patient, f"flags/{flag.id}/acknowledge/"), {f"ack-{flag.id}-note": "Adding CBT."})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.acknowledged_by, flag.note) == ("acknowledged", alice, "Adding CBT.")
    page = alice_client.get(url(patient)).content.decode()
    assert "Acknowledged 12 Mar 2026 by alice" in page


def test_it_does_not_acknowledge_another_patients_flag(alice, alice_client, patient, bob, frozen):
    other = make_patient(bob, "MRN-B")
    give_partial_response(other, bob)
    flag = Flag.objects.get(kind="partial_response")
    assert alice_client.post(url(patient, f"flags/{flag.id}/acknowledge/"), {}).status_code == 404
    flag.refresh_from_db()
    assert flag.status == "open"


def test_it_adds_a_medication_and_flags_a_serotonergic_pair(alice, alice_client, patient, frozen):
    for name, drug_class in [("Sertraline", "ssri"), ("Tramadol", "serotonergic_opioid")]:
        data = {"med-name": name, "med-drug_class": drug_class, "med-started_on": "2026-03-01", "med-dose": "50 mg"}
        response = alice_client.post(url(patient, "medications/"), data, follow=True)
        assert response.status_code == 200
    assert "Two serotonergic medications overlap" in response.content.decode()
    assert list(Medication.objects.values_list("created_by", flat=True)) == [alice.id, alice.id]
    assert Flag.objects.get().kind == "serotonergic_combination"


def test_it_shows_a_new_link_once_when_there_is_no_email(alice, alice_client, frozen):
    patient = make_patient(alice, "MRN-2", email="", display_name="Nora Noemail")
    response = alice_client.post(url(patient, "link/"))
    assert (response.status_code, response["Location"]) == (302, url(patient, "link/"))  # post/redirect/get
    page = alice_client.get(response["Location"]).content.decode()
    assert "Shown only once" in page
    assert "Self-report link for Nora Noemail" in page
    token = re.search(r'value="http://[^"]+/r/([A-Za-z0-9_-]+)/"', page).group(1)
    assert alice_client.get(f"/r/{token}/").status_code == 200
    assert AuditEvent.objects.filter(what="self_report_link", user=alice, patient=patient).exists()


def test_it_makes_no_second_link_on_a_reload(alice, alice_client, frozen):
    from reassessment.models import SelfReportLink

    patient = make_patient(alice, "MRN-2", email="", display_name="Nora Noemail")
    alice_client.post(url(patient, "link/"))
    first = alice_client.get(url(patient, "link/")).content.decode()
    again = alice_client.get(url(patient, "link/")).content.decode()
    assert "/r/" in first
    assert "/r/" not in again  # the token was shown once and is gone from the session
    assert "Self-report link for Nora Noemail" in again
    assert "make a new one" in again
    assert SelfReportLink.objects.filter(patient=patient).count() == 1


def test_it_refuses_a_link_for_an_inactive_patient_in_the_error_summary(alice, alice_client, frozen):
    from reassessment.models import SelfReportLink

    patient = make_patient(alice, "MRN-2", email="")
    patient.active = False
    patient.save(update_fields=["active"])
    response = alice_client.post(url(patient, "link/"))
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'data-error-summary>.*href="#send-link">This patient is inactive', page, re.S)
    assert not SelfReportLink.objects.exists()


def test_it_shows_another_clinicians_link_page_as_404(alice, bob_client, frozen):
    patient = make_patient(alice, "MRN-2", email="")
    assert bob_client.get(url(patient, "link/")).status_code == 404
    assert bob_client.post(url(patient, "link/")).status_code == 404


def test_it_emails_a_link_through_the_outbox_once_a_day(alice, alice_client, patient, frozen):
    first = alice_client.post(url(patient, "link/"), follow=True).content.decode()
    second = alice_client.post(url(patient, "link/"), follow=True).content.decode()
    assert "will be emailed to the patient" in first
    assert "already emailed" in second
    reminder = Reminder.objects.get()
    assert reminder.kind == "clinician_request"
    assert send_pending_reminders()["sent"] == 1
    assert mail.outbox[0].to == [patient.email]
    assert "/r/" in mail.outbox[0].body
    assert patient.display_name not in mail.outbox[0].body


def test_it_says_when_there_is_nothing_yet(alice_client, patient, frozen):
    page = alice_client.get(url(patient)).content.decode()
    assert "No scores yet" in page
    assert "No treatment phase yet" in page
    assert "No flags" in page
    assert "No medications recorded" in page


def test_it_reads_the_page_in_a_bounded_number_of_queries(alice, alice_client, patient, frozen,
                                                        django_assert_max_num_queries):
    scores = [(day, 18 - day // 10) for day in range(-2, 90, 7)]
    give_history(patient, alice, started_on=TODAY - timedelta(days=90), scores=scores)
    # 12 + the session's save on every request (DESIGN 3b: idle sessions expire, SESSION_SAVE_EVERY_REQUEST): its
    # UPDATE, between a SAVEPOINT and its RELEASE inside the test's transaction.
    with django_assert_max_num_queries(15):
        assert alice_client.get(url(patient)).status_code == 200


# --- Flag lifecycle and medications on the page (DESIGN §2, issue 8) -------------------------------------------------


def test_it_resolves_the_flag_a_combined_phase_is_started_from(alice, alice_client, patient, frozen):
    give_partial_response(patient, alice)
    flag = Flag.objects.get(kind="partial_response")
    data = {"phase-modality": "combined", "phase-stage": "acute", "phase-therapy": "cbt",
            "phase-started_on": "2026-03-12", "phase-from_flag": str(flag.id)}
    response = alice_client.post(url(patient, "phases/"), data)
    assert response.status_code == 302
    new = TreatmentPhase.objects.get(ended_on__isnull=True)
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by) == ("resolved", alice)
    assert flag.resolution_note == f"Combined phase started on 2026-03-12 (phase #{new.id})."


def test_it_starts_no_phase_from_another_patients_flag(alice, alice_client, patient, bob, frozen):
    other = make_patient(bob, "MRN-B")
    give_partial_response(other, bob)
    flag = Flag.objects.get(kind="partial_response")
    data = {"phase-modality": "combined", "phase-stage": "acute", "phase-started_on": "2026-03-12",
            "phase-from_flag": str(flag.id)}
    assert alice_client.post(url(patient, "phases/"), data).status_code == 404
    assert not TreatmentPhase.objects.filter(patient=patient).exists()
    flag.refresh_from_db()
    assert flag.status == "open"


def test_it_resolves_a_flag_with_a_note_from_the_page(alice, alice_client, patient, frozen):
    give_partial_response(patient, alice)
    flag = Flag.objects.get(kind="partial_response")
    response = alice_client.post(url(patient, f"flags/{flag.id}/resolve/"), {f"resolve-{flag.id}-note": "Talked."})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.resolution_note) == ("resolved", "Talked.")
    assert "Resolved 12 Mar 2026 by alice: “Talked.”" in alice_client.get(url(patient)).content.decode()


def test_it_raises_a_concern_from_the_page_and_refuses_one_without_a_note(alice, alice_client, patient, frozen):
    response = alice_client.post(url(patient, "flags/"), {"concern-severity": "high", "concern-note": ""})
    assert response.status_code == 400
    assert not Flag.objects.exists()
    response = alice_client.post(url(patient, "flags/"), {"concern-severity": "high", "concern-note": "Lost job."})
    assert response.status_code == 302
    flag = Flag.objects.get()
    assert (flag.kind, flag.severity, flag.note, flag.raised_by) == ("clinician_concern", "high", "Lost job.", alice)


def test_it_stops_a_medication_and_changes_a_dose_from_the_page(alice, alice_client, patient, frozen):
    from reassessment.services import record_medication

    med, _ = record_medication(patient=patient, by=alice, name="Sertraline", drug_class="ssri",
                               started_on=TODAY - timedelta(days=30), dose="50 mg")
    response = alice_client.post(url(patient, f"medications/{med.id}/change-dose/"),
                                 {f"dose-{med.id}-dose": "100 mg", f"dose-{med.id}-on": "2026-03-10"})
    assert response.status_code == 302
    new = Medication.objects.get(stopped_on__isnull=True)
    assert (new.name, new.dose, str(new.started_on)) == ("Sertraline", "100 mg", "2026-03-10")
    stop = url(patient, f"medications/{new.id}/stop/")
    response = alice_client.post(stop, {f"stop-{new.id}-stopped_on": "2026-04-01"})
    assert response.status_code == 400
    assert "A medication cannot be stopped in the future." in response.content.decode()
    response = alice_client.post(stop, {f"stop-{new.id}-stopped_on": "2026-03-12"})
    assert response.status_code == 302
    assert list(Medication.objects.order_by("id").values_list("stopped_on", flat=True)) == [
        date(2026, 3, 9), date(2026, 3, 12)
    ]
