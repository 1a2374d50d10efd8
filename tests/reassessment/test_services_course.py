"""The treatment-course flags (DESIGN §2b) through the database: submission, medication saves, PATCH, the sweep."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from patients.models import Medication, Patient
from reassessment import services
from reassessment.models import Flag
from tests.conftest import TODAY, make_patient
from tests.reassessment.test_services import flags, on, score, start

JAN = date(2026, 1, 1)


def prescribe(patient: Patient, name: str, drug_class: str = "ssri", **kwargs: Any) -> tuple[Any, list[Flag]]:
    values: dict[str, Any] = {"started_on": on(0, JAN), "today": TODAY}
    values.update(kwargs)
    return services.record_medication(patient=patient, by=None, name=name, drug_class=drug_class, **values)


def test_it_suggests_combining_on_the_first_score(patient: Patient, frozen: Any) -> None:
    start(patient, on(0, JAN), modality="psychotherapy")
    score(patient, on(0, JAN), 17)
    services.evaluate_patient(patient.id, today=on(0, JAN))
    (flag,) = flags("consider_combined")
    assert (flag.severity, flag.recommendation, flag.evidence["reasons"]) == ("medium", "add_medication", ["severe"])


def test_it_suggests_combining_once_per_phase(patient: Patient, frozen: Any) -> None:
    start(patient, on(0, JAN), modality="medication")
    score(patient, on(0, JAN), 17)
    services.sweep(today=on(1, JAN))
    services.sweep(today=on(2, JAN))
    score(patient, on(3, JAN), 19)
    services.evaluate_patient(patient.id, today=on(3, JAN))
    assert len(flags("consider_combined")) == 1


def test_it_says_continue_through_the_sweep(patient: Patient, frozen: Any) -> None:
    start(patient, on(0, JAN), modality="medication")
    for day, total in ((-1, 14), (28, 4), (42, 3)):
        score(patient, on(day, JAN), total)
    services.sweep(today=TODAY)
    (flag,) = flags("continue_treatment")
    assert (flag.severity, flag.recommendation) == ("low", "add_psychotherapy_for_relapse_prevention")


def remitted(patient: Patient, *, prior: int | None = None) -> None:
    """Medication from 1 January; remission on day 28 (2026-01-29)."""
    if prior is not None:
        Patient.objects.filter(pk=patient.pk).update(prior_episodes=prior)
    start(patient, on(0, JAN), modality="medication")
    for day, total in ((-1, 14), (14, 9), (28, 4)):
        score(patient, on(day, JAN), total)


def test_it_flags_an_early_stop_when_the_medication_is_saved(patient: Patient, frozen: Any) -> None:
    remitted(patient)
    _, raised = prescribe(patient, "Sertraline", stopped_on=on(40, JAN))
    assert [f.kind for f in raised] == ["early_discontinuation"]
    assert raised[0].evidence["days"] == 12


def test_it_flags_an_early_stop_from_the_sweep(patient: Patient, frozen: Any) -> None:
    remitted(patient)
    Medication.objects.create(patient=patient, name="Sertraline", drug_class="ssri", serotonergic=True,
                              started_on=on(0, JAN), stopped_on=on(60, JAN))
    services.sweep(today=TODAY)
    assert [f.evidence["stop_date"] for f in flags("early_discontinuation")] == ["2026-03-02"]


def test_it_flags_no_stop_by_a_dose_change(patient: Patient, frozen: Any) -> None:
    remitted(patient)
    # A new row of the same drug from the day after the old row's stop: the drug carries on.
    prescribe(patient, "Sertraline", started_on=on(41, JAN), dose="100 mg")
    _, raised = prescribe(patient, "Sertraline", stopped_on=on(40, JAN), dose="50 mg")
    services.sweep(today=TODAY)
    assert raised == []
    assert flags("early_discontinuation") == []


@pytest.mark.parametrize(("prior", "minimum"), [(None, 183), (1, 183), (2, 730), (5, 730)])
def test_it_waits_longer_after_two_previous_episodes(patient: Patient, frozen: Any, prior: Any, minimum: int) -> None:
    remitted(patient, prior=prior)
    _, raised = prescribe(patient, "Escitalopram", started_on=on(0, JAN), stopped_on=TODAY)
    assert [(f.evidence["days"], f.evidence["minimum_days"]) for f in raised] == [(42, minimum)]


def test_it_flags_an_antidepressant_in_bipolar_disorder_when_saved(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-B", diagnosis="F31.4")
    _, raised = prescribe(patient, "Sertraline")
    assert [(f.kind, f.severity, f.recommendation) for f in raised] == [
        ("bipolar_antidepressant", "high", "review_medications")
    ]


def test_it_does_not_flag_an_antidepressant_with_lithium(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-B", diagnosis="F31.4")
    prescribe(patient, "Lithium", drug_class="lithium")
    _, raised = prescribe(patient, "Bupropion", drug_class="bupropion")
    assert raised == []
    services.sweep(today=TODAY)
    assert flags("bipolar_antidepressant") == []


def test_it_flags_a_bipolar_diagnosis_added_later(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-B", diagnosis="F33.1")
    prescribe(patient, "Sertraline")
    assert flags("bipolar_antidepressant") == []
    services.change_patient(patient=patient, by=alice, changes={"diagnosis": "F31.1"})
    assert len(flags("bipolar_antidepressant")) == 1


def test_it_flags_a_bipolar_patient_without_a_phase_in_the_sweep(alice: Any, frozen: Any) -> None:
    patient = make_patient(alice, "MRN-B", diagnosis="F31.4")
    Medication.objects.create(patient=patient, name="Sertraline", drug_class="ssri", serotonergic=True,
                              started_on=on(0, JAN))
    counts = services.sweep(today=TODAY)
    assert counts.flags["bipolar_antidepressant"] == 1
    assert services.sweep(today=TODAY).flags == {}


def test_it_flags_treatment_resistance_once_per_course(patient: Patient, frozen: Any) -> None:
    nov = date(2025, 11, 1)  # TODAY is day 131
    start(patient, nov, modality="medication")
    prescribe(patient, "Sertraline", started_on=nov, stopped_on=on(41, nov))
    prescribe(patient, "Venlafaxine", drug_class="snri", started_on=on(42, nov))
    for day, total in ((-1, 15), (56, 14), (120, 11)):
        score(patient, on(day, nov), total)
    services.sweep(today=TODAY)
    start(patient, on(125, nov), modality="combined")  # the same course goes on
    services.sweep(today=TODAY)
    (flag,) = flags("treatment_resistant")
    assert (flag.severity, flag.recommendation) == ("medium", "review_treatment")
    assert flag.evidence["medications"] == ["sertraline", "venlafaxine"]


def test_it_reads_course_medications_in_one_query_per_batch(
    db: None, frozen: Any, django_assert_max_num_queries: Any
) -> None:
    from tests.reassessment.test_services import CONSTANT, PER_BATCH, PER_CHUNK, START, seed_caseload

    seed_caseload(300)
    Medication.objects.bulk_create(
        [
            Medication(patient_id=pid, name="Sertraline", drug_class="ssri", serotonergic=True, started_on=START,
                       stopped_on=START + timedelta(days=20))
            for pid in Patient.objects.values_list("id", flat=True)
        ]
    )
    with django_assert_max_num_queries(3 * PER_BATCH + 3 * PER_CHUNK + CONSTANT):
        counts = services.sweep(today=START + timedelta(days=56), batch_size=100, chunk_patients=100)
    assert counts.phases == 300
