"""manage.py seed_demo: a living demo caseload, created once however often it runs."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.http import HttpRequest

from instruments.models import Assessment
from patients.models import Medication, Patient, TreatmentPhase
from reassessment.models import Flag
from reassessment.outcomes import outcomes
from reassessment.selectors import caseload
from tests.conftest import PASSWORD, TODAY


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db, frozen, monkeypatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    return seed("--password-stdin")


def test_it_creates_the_demo_clinician_with_the_given_password(seeded):
    assert seeded.count("Created clinician demo (prescriber).") == 1
    assert PASSWORD not in seeded
    assert authenticate(HttpRequest(), username="demo", password=PASSWORD) is not None


def test_it_prints_a_generated_password_when_none_is_given(db, frozen):
    output = seed()
    password = output.split("password: ")[1].split()[0]
    assert authenticate(HttpRequest(), username="demo", password=password) is not None


def test_it_refuses_a_weak_password(db, frozen, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError, match="password"):
        seed("--password-stdin")


def test_it_creates_about_forty_patients_for_the_demo_clinician(seeded):
    assert Patient.objects.filter(external_id__startswith="DEMO-", care_team__user__username="demo").count() == 50
    modalities = set(TreatmentPhase.objects.filter(ended_on__isnull=True).values_list("modality", flat=True))
    assert modalities == {"medication", "psychotherapy", "combined"}


def test_it_adds_nothing_the_second_time(seeded):
    before = (Patient.objects.count(), Assessment.objects.count(), Flag.objects.count(), TreatmentPhase.objects.count())
    output = seed()
    assert "0 patients created, 50 already there" in output
    assert "Created clinician" not in output
    assert "(its password is unchanged)" not in output  # issue 13: bin/run seeds on every start; said with -v2
    assert "(its password is unchanged)" in seed("-v", "2")
    after = (Patient.objects.count(), Assessment.objects.count(), Flag.objects.count(), TreatmentPhase.objects.count())
    assert after == before


def test_it_tells_the_stories_the_dashboard_needs(seeded):
    demo = get_user_model().objects.get(username="demo")
    rows = caseload(demo, TODAY).rows
    assert sum(r.suicide_risk for r in rows) == 1
    assert sum(r.overdue for r in rows) == 1
    categories = {r.category for r in rows}
    assert {"response", "remission", "improving", "partial_response", "too_early"} <= categories
    assert Flag.objects.filter(kind="serotonergic_combination").count() == 2  # and the washout pair (issue 8)
    assert Flag.objects.filter(kind="partial_response", status="open").exists()
    result = outcomes(demo, TODAY)
    assert result.partial_added >= 8  # partial responders who had the other modality added ...
    combined = next(r for r in result.by_modality if r.key == "combined")
    assert combined.responded >= combined.evaluable * 0.6  # ... and then improved


def test_it_puts_every_date_in_the_past(seeded):
    assert not Assessment.objects.filter(administered_on__gt=TODAY).exists()
    assert not TreatmentPhase.objects.filter(started_on__gt=TODAY).exists()
    assert Assessment.objects.values("patient").annotate(n=Count("id")).filter(n__lt=1).count() == 0


def test_it_measures_demo_patients_on_gad7_and_pcl5_and_speaks_spanish_to_two(seeded):
    primaries = dict(Patient.objects.values_list("primary_instrument").annotate(n=Count("id")))

    assert primaries["gad7"] == 1
    assert primaries["pcl5"] == 1
    pcl = Assessment.objects.filter(instrument="pcl5").order_by("administered_at")
    assert pcl.first().severity == "probable_ptsd"
    assert Assessment.objects.filter(instrument="gad7").count() >= 3
    assert Patient.objects.filter(language="es").count() == 2


def test_it_shows_the_round_two_rules(seeded):
    # Issue 8: a rebound (worsening from the best point), a washout pair, a stopped medication, a resolved flag.
    rebound = Flag.objects.get(kind="worsening", patient__display_name="Oscar Lind")
    assert (rebound.evidence["reference_total"], rebound.evidence["score_total"]) == (5, 13)
    washout = Flag.objects.get(kind="serotonergic_combination", patient__display_name="Priya Nair")
    assert (washout.severity, washout.recommendation, washout.evidence["in_washout"]) == (
        "urgent", "stop_combination", ["Fluoxetine"]
    )
    assert Medication.objects.filter(patient__display_name="Oscar Lind", stopped_on__isnull=False).count() == 1
    resolved = Flag.objects.filter(status="resolved", resolved_by__username="demo")
    assert resolved.exists()
    assert all(f.resolution_note.startswith("Combined phase started on") for f in resolved)


def test_it_shows_every_course_flag_and_every_recommended_start(seeded):
    demo = get_user_model().objects.get(username="demo")
    for kind in ("consider_combined", "continue_treatment", "early_discontinuation", "bipolar_antidepressant",
                 "treatment_resistant"):
        assert Flag.objects.filter(kind=kind, status="open").exists(), kind
    rows = caseload(demo, TODAY).rows
    starts = {r.summary.recommended.modality for r in rows if r.summary.recommended is not None}
    assert starts == {"medication_first", "combined", "either", "psychotherapy", "monitor"}
    assert any(r.summary.start_differs for r in rows)
    assert Flag.objects.get(kind="continue_treatment", patient__external_id="DEMO-044").recommendation == (
        "add_psychotherapy_for_relapse_prevention"
    )


def test_it_puts_a_care_manager_on_the_demo_care_teams_to_escalate_to(seeded):
    from reassessment.models import Notification

    casey = get_user_model().objects.get(username="casey")
    assert not casey.has_usable_password()
    assert Patient.objects.filter(external_id__startswith="DEMO-", care_team__user=casey,
                                  care_team__role="care_manager").count() == Patient.objects.filter(
        external_id__startswith="DEMO-").count()
    urgent = Flag.objects.filter(kind="suicide_risk").first()
    assert urgent is not None
    assert sorted(Notification.objects.filter(flag=urgent).values_list("recipient__username", flat=True)) == [
        "casey", "demo",
    ]
