"""manage.py seed_demo [--username demo] [--password-stdin]: a realistic demo caseload, idempotent.

About 50 fictional patients for one clinician across the three modalities: responders, remitters, partial
responders who had the other modality added and then improved, partial responders waiting for a decision, an
overdue patient, one suicide-risk flag, and one patient for each treatment-course flag and each kind of recommended
start (DESIGN §2b). Every date is relative to today's clinic-local date. Running it again adds
nothing: patients are keyed by their DEMO-nnn record numbers, assessments by client_id, flags by their dedupe keys.
"""

from __future__ import annotations

import random
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from instruments import definitions
from instruments.services import record_assessment
from patients.models import Patient, Role, TreatmentPhase
from patients.services import (
    add_medication,
    add_to_care_team,
    change_medication_dose,
    create_clinician,
    create_patient,
    start_phase,
)
from reassessment import selectors, services
from reassessment.models import Flag, FlagStatus


@dataclass
class Story:
    """One demo patient's history, written as offsets in days from a phase start or from today."""

    key: str
    name: str
    kind: str
    primary: str = "phq9"
    age: int = 40
    diagnosis: str = "F32.1"
    email: str = ""
    language: str | None = None
    rng: random.Random = field(default_factory=random.Random)


NAMES = [
    "Amara Okafor", "Ben Whitfield", "Chloe Martin", "Dev Patel", "Elena Rossi", "Farid Haddad", "Grace Liu",
    "Hamish Reid", "Ines Duarte", "Jonah Berg", "Kemi Adeyemi", "Liam O'Connor", "Maya Cohen", "Niall Byrne",
    "Olivia Grant", "Pavel Novak", "Queenie Tran", "Rahul Mehta", "Sofia Lindqvist", "Tomás Ortega", "Uma Shah",
    "Victor Mensah", "Wen Zhao", "Ximena Flores", "Yusuf Demir", "Zara Ahmed", "Alice Mercer", "Bruno Costa",
    "Carys Evans", "Daniel Kim", "Esme Holloway", "Felix Wagner", "Gemma Doyle", "Hugo Laurent", "Isla Fraser",
    "Jamal Wright", "Keira Walsh", "Leon Fischer", "Mira Petrova", "Noah Sinclair", "Oscar Lind", "Priya Nair",
    "Orla Quinn", "Rosa Jimenez", "Samir Aziz", "Tessa Moore", "Ugo Bianchi", "Vera Sokolova", "Will Turner",
    "Xavier Dunn",
]
# (kind, count): the mix of the demo caseload; 50 patients.
MIX = [
    ("medication_responder", 5),
    ("therapy_responder", 5),
    ("combined_responder", 4),
    ("medication_then_therapy", 5),
    ("therapy_then_medication", 4),
    ("partial_waiting", 3),
    ("remitted_continuation", 4),
    ("overdue", 1),
    ("suicide_risk", 1),
    ("too_early", 3),
    ("due", 2),
    ("hamd_combined", 1),
    ("serotonergic", 1),
    ("young_medication", 1),
    ("rebound", 1),  # issue 8: worsening from the best point, and a dose change (a stopped row)
    ("washout", 1),  # issue 8: an MAOI started inside fluoxetine's 5-week washout
    # DESIGN §2b: the treatment course (each new flag, each kind of recommended start)
    ("consider_combined", 1),
    ("continue_on_medication", 1),
    ("early_stop", 1),
    ("bipolar_antidepressant", 1),
    ("treatment_resistant", 1),
    ("psychotic_features", 1),
    ("mild_therapy", 1),
    ("monitor_only", 1),
]
# DESIGN §2b: the course record and diagnosis each course story needs (the others keep a random diagnosis).
COURSE_RECORDS: dict[str, dict[str, Any]] = {
    "consider_combined": {"diagnosis": "F33.1", "prior_episodes": 1, "preference": "psychotherapy"},
    "continue_on_medication": {"diagnosis": "F32.1", "prior_episodes": 0, "preference": "medication"},
    "early_stop": {"diagnosis": "F33.1", "prior_episodes": 2, "preference": "medication"},
    "bipolar_antidepressant": {"diagnosis": "F31.3", "prior_episodes": 3, "preference": "combined"},
    "treatment_resistant": {"diagnosis": "F33.2", "prior_episodes": 1, "onset_days_ago": 300},
    "psychotic_features": {"diagnosis": "F32.3", "prior_episodes": 0},
    "mild_therapy": {"diagnosis": "F32.0", "prior_episodes": 0, "preference": "psychotherapy"},
    "monitor_only": {"diagnosis": "F33.4", "prior_episodes": 2, "onset_days_ago": 400},
}
# Two therapy responders measured on an anxiety or a PTSD scale; two Spanish-speaking patients (issue 12).
DEMO_CARE_MANAGER = "casey"  # the demo care team's care manager: urgent flags escalate to them
OTHER_PRIMARY = {"DEMO-006": ("gad7", "F41.1"), "DEMO-007": ("pcl5", "F43.1")}
SPANISH = {"DEMO-020", "DEMO-024"}
DIAGNOSES = ["F32.1", "F33.1", "F32.2", "F33.0", "F32.1", "F33.1", "F34.1"]
THERAPIES = ["cbt", "cbt", "ipt", "cbasp", "psychodynamic"]
SSRIS = [("Sertraline", "50 mg daily"), ("Escitalopram", "10 mg daily"), ("Fluoxetine", "20 mg daily")]


class Seeder:
    def __init__(self, clinician: Any, today: date) -> None:
        self.by = clinician
        self.today = today

    # -- building blocks ----------------------------------------------------------------------------------------

    def items(self, code: str, total: int, rng: random.Random, suicide_answer: int = 0) -> list[int]:
        """Item answers adding up to `total`; the suicide item stays at `suicide_answer`."""
        definition = definitions.get(code)
        answers = [0] * len(definition.items)
        suicide = (definition.suicide_item or 0) - 1
        if suicide >= 0:
            answers[suicide] = suicide_answer
        room = [i for i in range(len(answers)) if i != suicide]
        target = max(0, min(total, sum(definition.items[i].max_score for i in room) + answers[suicide]))
        while sum(answers) < target:
            i = rng.choice([j for j in room if answers[j] < definition.items[j].max_score])
            answers[i] += 1
        return answers

    def score(self, story: Story, patient: Patient, on: date, total: int, *, code: str | None = None) -> None:
        if on > self.today:
            return
        code = code or story.primary
        definition = definitions.get(code)
        total = max(0, min(total, definition.max_total - (definition.items[-1].max_score if code == "phq9" else 0)))
        self_rated = definition.rater == "self"
        record_assessment(
            patient=patient,
            instrument=code,
            items=self.items(code, total, story.rng),
            administered_at=on,
            source="self_report" if self_rated and story.rng.random() < 0.7 else "clinician",
            entered_by=None if self_rated else self.by,
            client_id=f"seed:{story.key}:{code}:{on.isoformat()}",
        )

    def course(
        self, story: Story, patient: Patient, start: date, first: int, last: int, days: list[int], *, code: str = ""
    ) -> None:
        """Scores on the given days from `start`, easing from `first` to `last` with a little noise."""
        n = max(1, len(days) - 1)
        for i, d in enumerate(days):
            eased = first + (last - first) * (1 - (1 - i / n) ** 1.6)
            noise = 0 if i in (0, len(days) - 1) else story.rng.choice([-1, 0, 0, 1])
            self.score(story, patient, start + timedelta(days=d), round(eased) + noise, code=code or story.primary)

    def phase(self, patient: Patient, modality: str, started: date, *, stage: str = "acute", therapy: str = "",
              notes: str = "") -> TreatmentPhase:
        return start_phase(
            patient=patient, by=self.by, modality=modality, stage=stage, started_on=started, therapy=therapy,
            notes=notes,
        )

    def medication(self, patient: Patient, story: Story, started: date, drug_class: str = "ssri") -> None:
        name, dose = story.rng.choice(SSRIS) if drug_class == "ssri" else ("Duloxetine", "60 mg daily")
        add_medication(patient=patient, by=self.by, name=name, drug_class=drug_class, started_on=started, dose=dose)

    def checkpoint(self, phase: TreatmentPhase, on: date, note: str) -> None:
        """Run the checks as they ran on that day, then acknowledge what they raised (the clinician's review)."""
        facts = selectors.active_phase_facts(TreatmentPhase.objects.filter(pk=phase.pk), on)
        services.evaluate_facts(facts, on)
        for flag in Flag.objects.filter(phase=phase, kind="partial_response", status=FlagStatus.OPEN):
            services.acknowledge_flag(flag=flag, by=self.by, note=note)

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    # -- the stories --------------------------------------------------------------------------------------------

    def responder(self, story: Story, patient: Patient, modality: str) -> None:
        rng = story.rng
        start = self.ago(rng.randint(63, 150))
        therapy = rng.choice(THERAPIES) if modality != "medication" else ""
        self.phase(patient, modality, start, therapy=therapy)
        if modality != "psychotherapy":
            self.medication(patient, story, start)
        # Totals written on the PHQ-9's 0-27 scale, stretched to the patient's own instrument (GAD-7, PCL-5).
        scale = definitions.get(story.primary).max_total / 27 if story.primary != "hamd17" else 1
        baseline = round(rng.randint(14, 22) * scale)
        final = round(rng.choice([round(baseline * 0.4), round(baseline * 0.45), 4 * scale, 3 * scale,
                                   round(baseline * 0.6)]))
        span = (self.today - start).days - rng.randint(3, 20)
        days = [-rng.randint(1, 5), *range(14, span + 1, 14)]
        self.course(story, patient, start, baseline, final, days)

    def added_modality(self, story: Story, patient: Patient, first: str) -> None:
        rng = story.rng
        start = self.ago(rng.randint(140, 190))
        therapy = rng.choice(THERAPIES)
        self.phase(patient, first, start, therapy=therapy if first == "psychotherapy" else "")
        if first == "medication":
            self.medication(patient, story, start)
        baseline = rng.randint(16, 22)
        check_day = rng.randint(56, 62)  # the partial-response flag waits for a two-month course (DESIGN §2)
        stuck = round(baseline * rng.uniform(0.78, 0.9))
        self.course(story, patient, start, baseline, stuck, [-rng.randint(1, 4), 14, 28, check_day])
        checkpoint = start + timedelta(days=check_day)
        added = "psychotherapy" if first == "medication" else "medication"
        self.checkpoint(
            TreatmentPhase.objects.get(patient=patient, ended_on__isnull=True),
            checkpoint,
            f"Reviewed with the patient: adding {added} as recommended.",
        )
        combined_on = checkpoint + timedelta(days=rng.randint(5, 14))
        combined = self.phase(
            patient, "combined", combined_on, therapy=therapy,
            notes=f"{added.capitalize()} added after a partial response to {first}.",
        )
        # Started from the flag: the flag is resolved, noting the new phase (DESIGN §2 flag lifecycle).
        for flag in Flag.objects.filter(patient=patient, kind="partial_response").exclude(status=FlagStatus.RESOLVED):
            services.resolve_flag(
                flag=flag, by=self.by,
                note=f"Combined phase started on {combined_on.isoformat()} (phase #{combined.id}).",
            )
        if first == "psychotherapy":
            self.medication(patient, story, combined_on)
        final = rng.choice([4, 3, round(stuck * 0.45), round(stuck * 0.5)])
        span = (self.today - combined_on).days - rng.randint(2, 14)
        # The combined phase's baseline is the reassessment that raised the flag (day -14 .. 0 of the new phase).
        self.course(story, patient, combined_on, stuck - 1, final, list(range(14, span + 1, 14)))

    def partial_waiting(self, story: Story, patient: Patient, modality: str) -> None:
        rng = story.rng
        start = self.ago(rng.randint(64, 76))
        self.phase(patient, modality, start, therapy=rng.choice(THERAPIES) if modality == "psychotherapy" else "")
        if modality == "medication":
            self.medication(patient, story, start)
        baseline = rng.randint(16, 21)
        self.course(story, patient, start, baseline, round(baseline * 0.85), [-2, 14, 30, rng.randint(57, 62)])

    def remitted_continuation(self, story: Story, patient: Patient) -> None:
        rng = story.rng
        modality = rng.choice(["medication", "combined", "psychotherapy"])
        start = self.ago(rng.randint(190, 240))
        therapy = rng.choice(THERAPIES) if modality != "medication" else ""
        self.phase(patient, modality, start, therapy=therapy)
        if modality != "psychotherapy":
            self.medication(patient, story, start)
        baseline = rng.randint(15, 21)
        self.course(story, patient, start, baseline, 3, [-3, 14, 28, 42, 56, 84])
        continuation = start + timedelta(days=rng.randint(95, 110))
        self.phase(patient, modality, continuation, stage="continuation", therapy=therapy,
                   notes="Remission sustained; continuing treatment to prevent relapse.")
        span = (self.today - continuation).days - rng.randint(3, 15)
        self.course(story, patient, continuation, 3, rng.choice([2, 3, 4]), [-5, *range(28, span + 1, 28)])

    def overdue(self, story: Story, patient: Patient) -> None:
        start = self.ago(135)
        self.phase(patient, "medication", start)
        self.medication(patient, story, start)
        self.course(story, patient, start, 19, 12, [-2, 14, 30, 62])

    def suicide_risk(self, story: Story, patient: Patient) -> None:
        start = self.ago(52)
        self.phase(patient, "psychotherapy", start, therapy="cbt")
        self.course(story, patient, start, 19, 16, [-1, 14, 29])
        on = self.ago(1)
        services.submit_assessment(
            patient=patient,
            instrument="phq9",
            items=self.items("phq9", 17, story.rng, suicide_answer=1),
            administered_at=on,
            source="self_report",
            client_id=f"seed:{story.key}:phq9:{on.isoformat()}",
        )

    def too_early(self, story: Story, patient: Patient) -> None:
        rng = story.rng
        start = self.ago(rng.randint(6, 24))
        modality = rng.choice(["medication", "psychotherapy", "combined"])
        self.phase(patient, modality, start, therapy=rng.choice(THERAPIES) if modality != "medication" else "")
        if modality != "psychotherapy":
            self.medication(patient, story, start)
        baseline = rng.randint(13, 23)
        days = [-2, 14] if (self.today - start).days >= 14 else [-2]
        self.course(story, patient, start, baseline, baseline - rng.randint(0, 3), days)

    def due(self, story: Story, patient: Patient) -> None:
        start = self.ago(story.rng.randint(62, 70))
        self.phase(patient, "psychotherapy", start, therapy="ipt")
        self.course(story, patient, start, 17, 10, [-1, 28])

    def hamd_combined(self, story: Story, patient: Patient) -> None:
        start = self.ago(84)
        self.phase(patient, "combined", start, therapy="cbasp")
        self.medication(patient, story, start, drug_class="snri")
        self.course(story, patient, start, 24, 9, [-2, 14, 28, 42, 56, 70], code="hamd17")
        self.course(story, patient, start, 18, 7, [-2, 28, 56, 77], code="phq9")

    def serotonergic(self, story: Story, patient: Patient) -> None:
        start = self.ago(70)
        self.phase(patient, "medication", start)
        add_medication(patient=patient, by=self.by, name="Sertraline", drug_class="ssri", started_on=start,
                       dose="100 mg daily")
        add_medication(patient=patient, by=self.by, name="Tramadol", drug_class="serotonergic_opioid",
                       started_on=self.ago(3), dose="50 mg as needed")
        self.course(story, patient, start, 18, 8, [-2, 14, 28, 56])

    def young_medication(self, story: Story, patient: Patient) -> None:
        start = self.ago(12)
        self.phase(patient, "medication", start)
        self.medication(patient, story, start)
        self.course(story, patient, start, 17, 15, [-1, 7])

    def rebound(self, story: Story, patient: Patient) -> None:
        """Better, then worse again: 20 -> 5 -> 13 is 8 points above the best point (DESIGN §2 worsening); the
        sertraline dose was raised two days ago (the 50 mg row stopped the day before, a 100 mg row started)."""
        start = self.ago(100)
        self.phase(patient, "medication", start)
        sertraline = add_medication(patient=patient, by=self.by, name="Sertraline", drug_class="ssri",
                                    started_on=start, dose="50 mg daily")
        for day, total in ((-2, 20), (14, 14), (42, 5), (70, 6)):
            self.score(story, patient, start + timedelta(days=day), total)
        self.score(story, patient, self.ago(3), 13)
        change_medication_dose(medication=sertraline, by=self.by, dose="100 mg daily", on=self.ago(2), today=self.today)

    def washout(self, story: Story, patient: Patient) -> None:
        """Fluoxetine stopped 20 days ago, phenelzine (an MAOI) started 5 days ago: fluoxetine stays in effect 5
        weeks after its stop beside an MAO inhibitor, a contraindicated pair (DESIGN §2; FDA labels)."""
        start = self.ago(30)
        self.phase(patient, "medication", start, notes="Switched to an MAOI after two SSRIs failed.")
        add_medication(patient=patient, by=self.by, name="Fluoxetine", drug_class="ssri", started_on=self.ago(200),
                       dose="40 mg daily", stopped_on=self.ago(20))
        add_medication(patient=patient, by=self.by, name="Phenelzine", drug_class="maoi", started_on=self.ago(5),
                       dose="15 mg three times daily")
        self.course(story, patient, start, 19, 17, [-2, 14])
    # -- DESIGN §2b: the treatment course ----------------------------------------------------------------------

    def scores(self, story: Story, patient: Patient, start: date, days_totals: list[tuple[int, int]]) -> None:
        for day, total in days_totals:
            self.score(story, patient, start + timedelta(days=day), total)

    def drug(self, patient: Patient, name: str, drug_class: str, started: date, stopped: date | None = None,
             dose: str = "") -> None:
        add_medication(patient=patient, by=self.by, name=name, drug_class=drug_class, started_on=started,
                       stopped_on=stopped, dose=dose)

    def consider_combined(self, story: Story, patient: Patient) -> None:
        """Severe at the start, in therapy alone: combined is recommended from day one."""
        start = self.ago(20)
        self.phase(patient, "psychotherapy", start, therapy="cbt")
        self.scores(story, patient, start, [(-2, 18), (14, 17)])

    def continue_on_medication(self, story: Story, patient: Patient) -> None:
        """In remission on medication alone for 4 weeks: time for continuation, with therapy against relapse."""
        start = self.ago(100)
        self.phase(patient, "medication", start)
        self.drug(patient, "Escitalopram", "ssri", start, dose="10 mg daily")
        self.scores(story, patient, start, [(-3, 14), (14, 12), (28, 8), (56, 4), (70, 3), (84, 2)])

    def early_stop(self, story: Story, patient: Patient) -> None:
        """Remission, continuation, then the antidepressant stopped after 4 months with two previous episodes."""
        start = self.ago(200)
        self.phase(patient, "medication", start)
        self.drug(patient, "Sertraline", "ssri", start, self.ago(12), dose="100 mg daily")
        self.scores(story, patient, start, [(-2, 19), (28, 12), (56, 4), (84, 3)])
        continuation = start + timedelta(days=100)
        self.phase(patient, "medication", continuation, stage="continuation",
                   notes="Remission sustained; continuing the antidepressant.")
        self.scores(story, patient, continuation, [(28, 3), (56, 4), (84, 3)])

    def bipolar_antidepressant(self, story: Story, patient: Patient) -> None:
        """Bipolar depression on an SSRI with therapy, no mood stabiliser."""
        start = self.ago(30)
        self.phase(patient, "combined", start, therapy="ipt")
        self.drug(patient, "Fluoxetine", "ssri", start, dose="20 mg daily")
        self.scores(story, patient, start, [(-1, 15), (14, 13), (28, 12)])

    def treatment_resistant(self, story: Story, patient: Patient) -> None:
        """Two adequate antidepressant trials, still less than 50% better."""
        start = self.ago(120)
        self.phase(patient, "medication", start)
        switch = start + timedelta(days=56)
        self.drug(patient, "Sertraline", "ssri", start, switch - timedelta(days=1), dose="150 mg daily")
        self.drug(patient, "Venlafaxine", "snri", switch, dose="150 mg daily")
        self.scores(story, patient, start, [(-2, 20), (28, 18), (56, 17), (84, 15), (112, 14)])

    def psychotic_features(self, story: Story, patient: Patient) -> None:
        """Psychotic depression: medication first (an antidepressant with an antipsychotic)."""
        start = self.ago(50)
        self.phase(patient, "medication", start)
        self.drug(patient, "Sertraline", "ssri", start, dose="50 mg daily")
        self.drug(patient, "Quetiapine", "antipsychotic", start, dose="150 mg daily")
        self.scores(story, patient, start, [(-1, 21), (14, 17), (28, 13), (42, 11)])

    def mild_therapy(self, story: Story, patient: Patient) -> None:
        """Mild depression: psychotherapy is the place to start."""
        start = self.ago(40)
        self.phase(patient, "psychotherapy", start, therapy="cbt")
        self.scores(story, patient, start, [(-2, 8), (14, 7), (28, 6)])

    def monitor_only(self, story: Story, patient: Patient) -> None:
        """No treatment phase, a minimal score: monitor."""
        self.score(story, patient, self.ago(5), 3)

    def tell(self, story: Story, patient: Patient) -> None:
        stories: dict[str, Callable[[], None]] = {
            "medication_responder": lambda: self.responder(story, patient, "medication"),
            "therapy_responder": lambda: self.responder(story, patient, "psychotherapy"),
            "combined_responder": lambda: self.responder(story, patient, "combined"),
            "medication_then_therapy": lambda: self.added_modality(story, patient, "medication"),
            "therapy_then_medication": lambda: self.added_modality(story, patient, "psychotherapy"),
            "partial_waiting": lambda: self.partial_waiting(
                story, patient, "psychotherapy" if story.key.endswith(("1", "3", "5", "7", "9")) else "medication"
            ),
            "remitted_continuation": lambda: self.remitted_continuation(story, patient),
            "overdue": lambda: self.overdue(story, patient),
            "suicide_risk": lambda: self.suicide_risk(story, patient),
            "too_early": lambda: self.too_early(story, patient),
            "due": lambda: self.due(story, patient),
            "hamd_combined": lambda: self.hamd_combined(story, patient),
            "serotonergic": lambda: self.serotonergic(story, patient),
            "young_medication": lambda: self.young_medication(story, patient),
            "rebound": lambda: self.rebound(story, patient),
            "washout": lambda: self.washout(story, patient),
            "consider_combined": lambda: self.consider_combined(story, patient),
            "continue_on_medication": lambda: self.continue_on_medication(story, patient),
            "early_stop": lambda: self.early_stop(story, patient),
            "bipolar_antidepressant": lambda: self.bipolar_antidepressant(story, patient),
            "treatment_resistant": lambda: self.treatment_resistant(story, patient),
            "psychotic_features": lambda: self.psychotic_features(story, patient),
            "mild_therapy": lambda: self.mild_therapy(story, patient),
            "monitor_only": lambda: self.monitor_only(story, patient),
        }
        stories[story.kind]()


def demo_stories() -> list[Story]:
    stories = []
    kinds = [kind for kind, count in MIX for _ in range(count)]
    for number, (kind, name) in enumerate(zip(kinds, NAMES, strict=True), start=1):
        key = f"DEMO-{number:03d}"
        rng = random.Random(f"mbc-demo:{key}")  # a fixed seed per patient: the same caseload on every machine
        primary, diagnosis = OTHER_PRIMARY.get(key, ("hamd17" if kind == "hamd_combined" else "phq9", ""))
        story = Story(
            key=key,
            name=name,
            kind=kind,
            primary=primary,
            age=21 if kind == "young_medication" else rng.randint(26, 71),
            diagnosis=diagnosis or rng.choice(DIAGNOSES),
            language="es" if key in SPANISH else None,
            rng=rng,
        )
        for attribute, value in COURSE_RECORDS.get(kind, {}).items():
            setattr(story, attribute, value)
        stories.append(story)
    return stories


class Command(BaseCommand):
    help = "Create a demo clinician's caseload of about 50 fictional patients (safe to run twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo", help="The demo clinician (created when missing).")
        parser.add_argument(
            "--password-stdin", action="store_true",
            help="Read the new clinician's password from standard input; otherwise one is generated and printed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options["verbosity"])
        today = timezone.localdate()
        clinician = self.clinician(options["username"], options["password_stdin"])
        seeder = Seeder(clinician, today)
        care_manager = self.care_manager()
        created = 0
        ids = []
        for story in demo_stories():
            patient = Patient.objects.filter(external_id=story.key).first()
            if patient is None:
                with transaction.atomic():
                    patient = create_patient(
                        created_by=clinician,
                        external_id=story.key,
                        display_name=story.name,
                        birth_date=date(today.year - story.age, today.month, min(today.day, 28))
                        - timedelta(days=story.rng.randint(1, 300)),
                        diagnosis=story.diagnosis,
                        email=story.email,
                        primary_instrument=story.primary,
                        language=story.language,
                    )
                    add_to_care_team(patient=patient, user=care_manager, role=Role.CARE_MANAGER)
                    seeder.tell(story, patient)
                created += 1
            else:
                add_to_care_team(patient=patient, user=clinician, role=Role.PRESCRIBER)
            ids.append(patient.id)
        # Today's checks for the demo patients only: partial responders waiting, the overdue one, the medicines.
        with transaction.atomic():
            facts = selectors.active_phase_facts(services.active_phases().filter(patient_id__in=ids), today)
            counts = services.evaluate_facts(facts, today)
            counts.add(services.check_serotonergic(day=today, patient_ids=ids))
            counts.add(services.check_bipolar(day=today, patient_ids=ids))
            services.refresh_statuses(patient_ids=ids)  # the caseload's stored rows, as the daily sweep would
        raised = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.flags.items())) or "none new"
        self.stdout.write(f"Demo caseload: {created} patients created, {len(ids) - created} already there.")
        self.stdout.write(f"Flags raised today: {raised}.")

    def care_manager(self) -> Any:
        """The demo care team's care manager (no password: nobody signs in as them), so an urgent flag nobody
        acknowledges is escalated to someone (issue 14); their emails print in the worker's log like the others."""
        user = get_user_model().objects.filter(username=DEMO_CARE_MANAGER).first()
        if user is None:
            user = create_clinician(
                username=DEMO_CARE_MANAGER, email=f"{DEMO_CARE_MANAGER}@clinic.example", role=Role.CARE_MANAGER,
                password=secrets.token_urlsafe(24),
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    def clinician(self, username: str, password_stdin: bool) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is not None:
            # bin/run seeds on every start: a line saying so each time would only repeat what the banner says.
            if self.verbosity >= 2:
                self.stdout.write(f"Using the existing account {username!r} (its password is unchanged).")
            return user
        password = sys.stdin.readline().rstrip("\r\n") if password_stdin else secrets.token_urlsafe(12)
        if not password:
            raise CommandError("The password is empty.")
        try:
            user = create_clinician(
                username=username, email=f"{username}@clinic.example", role=Role.PRESCRIBER, password=password
            )
        except ValidationError as exc:
            raise CommandError(" ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        created = f"Created clinician {user.get_username()} ({Role.PRESCRIBER.value})."
        if password_stdin:
            self.stdout.write(created)
        else:
            self.stdout.write(f"{created} Sign in as {username!r} with the password: {password}")
        return user
