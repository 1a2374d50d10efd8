"""The URL x role test: every route that names a patient or a flag answers 404 to a clinician off the care team."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from instruments.models import Assessment
from patients.models import Medication, TreatmentPhase
from reassessment.models import Flag
from reassessment.services import change_phase, record_medication, submit_assessment
from tests.conftest import make_clinician


def routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, Any]]:
    """Every URL pattern of the project as (route, pattern), includes flattened."""
    found: list[tuple[str, Any]] = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(routes(entry, route))
        elif isinstance(entry, URLPattern):
            found.append((route, entry))
    return found


PATIENT_ROUTES = sorted(
    {route for route, _ in routes() if any(f"<int:{k}>" in route for k in ("patient_id", "flag_id", "assessment_id"))}
)


def test_it_finds_every_patient_route() -> None:
    # The walk finds routes by their converters: a new patient route changes this count and is covered below.
    assert len(PATIENT_ROUTES) == 23, PATIENT_ROUTES


@pytest.fixture
def alices_world(alice: Any, patient: Any, frozen: Any) -> dict[str, int]:
    from datetime import date

    change_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=date(2026, 1, 5))
    submit_assessment(patient=patient, instrument="phq9", items=[2] * 9, administered_at="2026-01-04",
                      source="clinician", entered_by=alice)
    medication, _ = record_medication(
        patient=patient, by=alice, name="sertraline", drug_class="ssri", started_on=date(2026, 1, 5)
    )
    flag = Flag.objects.get(patient=patient)
    return {"patient_id": patient.id, "flag_id": flag.id, "medication_id": medication.id,
            "assessment_id": Assessment.objects.get().id}


def snapshot() -> tuple[Any, ...]:
    return (
        Assessment.objects.count(),
        TreatmentPhase.objects.count(),
        list(Medication.objects.order_by("id").values_list("id", "dose", "stopped_on")),
        list(Flag.objects.order_by("id").values_list("id", "status", "resolution_note")),
        list(Assessment.objects.order_by("id").values_list("id", "entered_in_error_at")),
    )


@pytest.mark.parametrize("route", PATIENT_ROUTES)
@pytest.mark.parametrize("method", ["get", "post", "patch"])
def test_it_answers_404_to_a_clinician_off_the_care_team(
    route: str, method: str, alices_world: dict[str, int], db: None
) -> None:
    bob = make_clinician("bob-off-team")
    client = Client()
    client.force_login(bob)
    url = "/" + route.replace("<int:patient_id>", str(alices_world["patient_id"])).replace(
        "<int:flag_id>", str(alices_world["flag_id"])
    ).replace("<str:instrument>", "phq9").replace("<int:medication_id>", str(alices_world["medication_id"])).replace(
        "<int:assessment_id>", str(alices_world["assessment_id"]))
    before = snapshot()
    medication, flag = alices_world["medication_id"], alices_world["flag_id"]
    body = {"items": [0] * 9, "modality": "combined", "stage": "acute", "started_on": "2026-03-01",
            "name": "x", "drug_class": "ssri", "note": "x", **{f"item_{n}": "0" for n in range(1, 18)},
            "stopped_on": "2026-03-01", "dose": "100 mg", "on": "2026-03-01", "severity": "high",
            f"stop-{medication}-stopped_on": "2026-03-01", f"dose-{medication}-dose": "100 mg",
            f"dose-{medication}-on": "2026-03-01", f"resolve-{flag}-note": "x", "concern-severity": "high",
            "concern-note": "x", "reason": "x", f"eie-{alices_world['assessment_id']}-reason": "x"}
    if method == "patch":
        response = client.patch(url, body, content_type="application/json")
    else:
        response = getattr(client, method)(url, body)
    assert response.status_code in (404, 405), (url, response.status_code)
    if response.status_code == 405:
        # Only a method the route does not have; the other method of the same route is checked by its own case.
        return
    assert snapshot() == before


def test_it_answers_404_to_a_concern_raised_about_another_teams_patient(alices_world: dict[str, int]) -> None:
    bob = make_clinician("bob-off-team")
    client = Client()
    client.force_login(bob)
    before = snapshot()
    body = {"patient": alices_world["patient_id"], "kind": "clinician_concern", "severity": "high", "note": "x"}
    response = client.post("/api/v1/flags/", body, content_type="application/json")
    assert response.status_code == 404
    assert snapshot() == before


# --- every route, every method, four personas (issue 9 item 4) -----------------------------------------------------
#
# alice is on the care team; bob is a clinician off it; "it" is clinic IT: staff, not a superuser, holding every model
# permission there is, on no care team; "root" is a superuser. Nobody but alice (and root, read-only, in the admin)
# may see alice's patient; nobody but alice may change her record.

NAME, RECORD_NUMBER, MARKER = "Zelda Quartzmarker", "MRN-SECRET-77", "phase-note-marker-31"
SKIPPED_PREFIXES = ("accounts/", "api/schema/", "api/docs/", "health/")  # sign-in, schema, health: no patient data
METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.fixture
def secret_world(alice: Any, frozen: Any) -> dict[str, Any]:
    from datetime import date

    from patients.services import create_patient
    from reassessment.services import issue_link, request_self_report_link

    patient = create_patient(created_by=alice, external_id=RECORD_NUMBER, display_name=NAME,
                             birth_date=date(1980, 1, 2), email="zelda@example.test")
    change_phase(patient=patient, by=alice, modality="medication", stage="acute", started_on=date(2026, 1, 5),
                 notes=MARKER)
    submit_assessment(patient=patient, instrument="phq9", items=[2] * 9, administered_at="2026-01-04",
                      source="clinician", entered_by=alice)
    medication, _ = record_medication(
        patient=patient, by=alice, name="sertraline", drug_class="ssri", started_on=date(2026, 1, 5)
    )
    issue_link(patient=patient, by=alice)
    request_self_report_link(patient=patient, by=alice)  # a reminder row (the outbox)
    return {"patient": patient, "flag": Flag.objects.get(patient=patient, kind="suicide_risk"),
            "assessment": Assessment.objects.get(patient=patient), "medication": medication}


def record_of(world: dict[str, Any]) -> Any:
    """Everything of alice's patient's record a route could change or delete (another user's own new rows aside)."""
    from patients.models import CareTeamMember, Patient
    from reassessment.models import Reminder, SelfReportLink

    mine = {"patient": world["patient"]}
    return (
        list(Patient.objects.filter(pk=world["patient"].pk).values()),
        list(Assessment.objects.filter(**mine).order_by("id").values()),
        list(TreatmentPhase.objects.filter(**mine).order_by("id").values()),
        list(Medication.objects.filter(**mine).order_by("id").values()),
        list(Flag.objects.filter(**mine).order_by("id").values()),
        list(CareTeamMember.objects.filter(**mine).order_by("id").values_list("user_id", "role")),
        list(Reminder.objects.filter(**mine).order_by("id").values_list("id", "sent_at")),
        list(SelfReportLink.objects.filter(**mine).order_by("id").values_list("id", "submitted_at")),
    )


def clinical_admin_urls(world: dict[str, Any]) -> list[str]:
    """The admin pages of every registered model holding patient data: list, add, change, delete, history."""
    from django.contrib import admin

    from patients.admin import ClinicalRecordAdmin

    objects = {"patient": world["patient"].pk, "assessment": world["assessment"].pk, "flag": world["flag"].pk}
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ClinicalRecordAdmin):
            continue
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        pk = objects.get(model._meta.model_name, first)
        urls += [base, f"{base}add/", f"{base}{pk}/change/", f"{base}{pk}/delete/", f"{base}{pk}/history/",
                 f"/admin/{model._meta.app_label}/"]
    return sorted(set(urls))


def site_urls(world: dict[str, Any]) -> list[str]:
    filled = []
    for route, _ in routes():
        if route.startswith(SKIPPED_PREFIXES) or route.startswith("admin/"):
            continue
        url = "/" + route
        for converter, value in (
            ("<int:patient_id>", world["patient"].pk), ("<int:flag_id>", world["flag"].pk),
            ("<int:assessment_id>", world["assessment"].pk), ("<str:instrument>", "phq9"), ("<str:code>", "phq9"),
            ("<int:medication_id>", world["medication"].pk),
            ("<str:token>", "not-a-token-" + "x" * 31),
        ):
            url = url.replace(converter, str(value))
        assert "<" not in url, f"the walk does not know how to fill {route}: add its converter above"
        filled.append(url)
    return sorted(set(filled))


def persona(name: str) -> Any:
    from django.contrib.auth.models import Permission

    if name == "bob":
        return make_clinician("bob-off-team")
    user = make_clinician(f"{name}-user")
    if name == "it":
        user.is_staff = True
        user.save()
        user.user_permissions.set(Permission.objects.all())
    else:
        user.is_staff = user.is_superuser = True
        user.save()
    return user


def body_for(world: dict[str, Any]) -> dict[str, Any]:
    """One body with a bit of every form: a write the route accepts would change the snapshot."""
    a = world["assessment"].pk
    return {
        "post": "yes", "action": "delete_selected", "_selected_action": [world["patient"].pk, a, world["flag"].pk],
        "items": "[0,0,0,0,0,0,0,0,0]", "total": "0", "external_id": "HACKED", "display_name": "HACKED",
        "modality": "combined", "stage": "acute", "started_on": "2026-03-01", "name": "x", "drug_class": "ssri",
        "note": "x", "reason": "x", f"eie-{a}-reason": "x", "status": "resolved", "patient": world["patient"].pk,
        "instrument": "phq9", "administered_at": "2026-03-01", "care_team-TOTAL_FORMS": "0",
        "care_team-INITIAL_FORMS": "1", **{f"item_{n}": "0" for n in range(1, 18)},
    }


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("who", ["bob", "it"])
def test_it_never_shows_or_changes_another_teams_patient(
    who: str, method: str, secret_world: dict[str, Any], db: None
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(persona(who))
    before = record_of(secret_world)
    leaks = []
    for url in site_urls(secret_world) + clinical_admin_urls(secret_world):
        response = getattr(client, method)(url, body_for(secret_world))
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        text = raw.decode(errors="replace")
        if any(secret in text for secret in (NAME, RECORD_NUMBER, MARKER)):
            leaks.append((method, url, response.status_code))
        assert response.status_code < 500, (method, url, response.status_code)
    assert leaks == []
    assert record_of(secret_world) == before


@pytest.mark.parametrize("method", METHODS)
def test_it_lets_a_superuser_see_but_never_change_the_clinical_record(
    method: str, secret_world: dict[str, Any], db: None
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(persona("root"))
    before = record_of(secret_world)
    for url in clinical_admin_urls(secret_world):
        response = getattr(client, method)(url, body_for(secret_world))
        assert response.status_code < 500, (method, url, response.status_code)
        if method == "post" and url.endswith(("/delete/", "/add/")):
            assert response.status_code == 403, (url, response.status_code)
    assert record_of(secret_world) == before


def test_it_shows_clinic_it_no_patient_model_in_the_admin(secret_world: dict[str, Any], db: None) -> None:
    client = Client()
    client.force_login(persona("it"))
    index = client.get("/admin/").content.decode()
    assert "Users" in index  # accounts are theirs to manage
    for path in ("patients/patient/", "instruments/assessment/", "reassessment/flag/", "patients/treatmentphase/",
                 "patients/medication/", "patients/auditevent/", "reassessment/reminder/",
                 "reassessment/selfreportlink/", "reassessment/notification/"):
        assert f"/admin/{path}" not in index, path
    assert client.get(f"/admin/patients/patient/{secret_world['patient'].pk}/change/").status_code == 403


def test_it_audits_every_admin_view_of_patient_data(secret_world: dict[str, Any], db: None) -> None:
    from patients.models import AuditEvent

    root = persona("root")
    client = Client()
    client.force_login(root)
    patient, assessment = secret_world["patient"], secret_world["assessment"]
    for url, action, what in (
        ("/admin/patients/patient/", "list", "admin_patient"),
        (f"/admin/patients/patient/{patient.pk}/change/", "view", "admin_patient"),
        ("/admin/instruments/assessment/", "list", "admin_assessment"),
        (f"/admin/instruments/assessment/{assessment.pk}/change/", "view", "admin_assessment"),
        (f"/admin/reassessment/flag/{secret_world['flag'].pk}/change/", "view", "admin_flag"),
    ):
        AuditEvent.objects.all().delete()
        page = client.get(url)
        assert page.status_code == 200
        assert NAME in page.content.decode() or RECORD_NUMBER in page.content.decode() or what != "admin_patient"
        event = AuditEvent.objects.get(user=root)
        assert (event.action, event.what, event.patient_id) == (action, what, patient.pk), url


def test_it_shows_an_assessment_read_only_to_a_superuser(secret_world: dict[str, Any], db: None) -> None:
    client = Client()
    client.force_login(persona("root"))
    a = secret_world["assessment"]
    page = client.get(f"/admin/instruments/assessment/{a.pk}/change/").content.decode()
    assert 'name="items"' not in page
    assert 'name="total"' not in page
    response = client.post(f"/admin/instruments/assessment/{a.pk}/change/", {"items": "[0]", "total": "0"})
    assert response.status_code == 403
    assert Assessment.objects.get(pk=a.pk).items == [2] * 9


def test_it_lets_a_superuser_manage_the_care_team_with_an_audit_row(
    secret_world: dict[str, Any], bob: Any, db: None
) -> None:
    from patients.models import AuditEvent, CareTeamMember

    root = persona("root")
    client = Client()
    client.force_login(root)
    patient = secret_world["patient"]
    alice_row = CareTeamMember.objects.get(patient=patient)
    response = client.post(f"/admin/patients/patient/{patient.pk}/change/", {
        "care_team-TOTAL_FORMS": "2", "care_team-INITIAL_FORMS": "1", "care_team-MIN_NUM_FORMS": "0",
        "care_team-MAX_NUM_FORMS": "1000",
        "care_team-0-id": alice_row.pk, "care_team-0-patient": patient.pk, "care_team-0-user": alice_row.user_id,
        "care_team-0-role": alice_row.role,
        "care_team-1-patient": patient.pk, "care_team-1-user": bob.pk, "care_team-1-role": "therapist",
        "external_id": "HACKED", "display_name": "HACKED",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(CareTeamMember.objects.filter(patient=patient).values_list("user_id", flat=True)) == {
        alice_row.user_id, bob.pk}
    patient.refresh_from_db()
    assert (patient.external_id, patient.display_name) == (RECORD_NUMBER, NAME)  # read-only
    assert AuditEvent.objects.filter(user=root, what="admin_care_team", patient=patient, action="update").exists()
