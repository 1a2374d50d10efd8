"""FHIR R4 shapes of the record: instruments as SDC Questionnaires, a patient as a Bundle, and reading a response in.

Plain dicts in, plain dicts out: no ORM query here (the selectors load, the services save). LOINC codes come from the
instrument registry; an instrument without them (PCL-5, HAM-D 17) is coded in mbc's own code system,
`definitions.LOCAL_CODE_SYSTEM`, because no LOINC code for it has been verified.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from instruments import definitions
from instruments.definitions import Definition

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
US_CORE_SCREENING = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-screening-assessment"
# Patients are identified by the clinic's record number (Patient.external_id) in this system.
IDENTIFIER_SYSTEM = "urn:mbc:patient:external-id"
QUESTIONNAIRE_PREFIX = "urn:mbc:fhir:Questionnaire:"
_NAMESPACE = uuid.UUID("6f1f3c2e-6a55-4d0e-9a55-1f0c5b8e2a11")  # fullUrls: stable urn:uuid per record row


# ---------------------------------------------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------------------------------------------


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def panel_coding(d: Definition) -> dict[str, Any]:
    if d.loinc_panel:
        return _coding(LOINC, d.loinc_panel, d.name)
    return _coding(definitions.LOCAL_CODE_SYSTEM, d.code, d.name)


def total_coding(d: Definition) -> dict[str, Any]:
    if d.loinc_total:
        return _coding(LOINC, d.loinc_total, f"{d.short_name} total score")
    return _coding(definitions.LOCAL_CODE_SYSTEM, f"{d.code}-total", f"{d.short_name} total score")


def item_coding(d: Definition, item: definitions.Item) -> dict[str, Any]:
    if item.loinc:
        return _coding(LOINC, item.loinc, item.text)
    return _coding(definitions.LOCAL_CODE_SYSTEM, f"{d.code}-{item.number}", item.text)


def link_id(d: Definition, item: definitions.Item) -> str:
    return item.loinc or f"{d.code}-{item.number}"


def answer_coding(d: Definition, item: definitions.Item, score: int) -> dict[str, Any]:
    """One answer as a Coding with its score as the ordinal value (LOINC answer code where one exists)."""
    display = item.anchors[score]
    if d.answer_loinc and len(d.answer_loinc) == len(item.anchors):
        coding = _coding(LOINC, d.answer_loinc[score], display)
    else:
        coding = _coding(definitions.LOCAL_CODE_SYSTEM, f"{d.code}-{item.number}-{score}", display)
    coding["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": score}]
    return coding


def extra_answer_coding(d: Definition, question: definitions.ExtraQuestion, score: int) -> dict[str, Any]:
    display = question.anchors[score]
    if question.answer_loinc:
        coding = _coding(LOINC, question.answer_loinc[score], display)
    else:
        coding = _coding(definitions.LOCAL_CODE_SYSTEM, f"{d.code}-{question.key}-{score}", display)
    coding["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": score}]
    return coding


def questionnaire_url(d: Definition) -> str:
    return f"{QUESTIONNAIRE_PREFIX}{d.code}"


# ---------------------------------------------------------------------------------------------------------------
# Questionnaire (SDC style)
# ---------------------------------------------------------------------------------------------------------------


def questionnaire(d: Definition) -> dict[str, Any]:
    """The instrument as an SDC-style Questionnaire: answerOption.valueCoding with the ordinal value extension."""
    items: list[dict[str, Any]] = [{"linkId": "instructions", "type": "display", "text": d.instructions}]
    for item in d.items:
        items.append(
            {
                "linkId": link_id(d, item),
                "code": [item_coding(d, item)],
                "prefix": f"{item.number}.",
                "text": item.text,
                "type": "choice",
                "required": True,
                "answerOption": [{"valueCoding": answer_coding(d, item, s)} for s in range(item.max_score + 1)],
            }
        )
    for question in d.extra_questions:
        items.append(
            {
                "linkId": question.loinc or f"{d.code}-{question.key}",
                **({"code": [_coding(LOINC, question.loinc, question.text)]} if question.loinc else {}),
                "text": question.text,
                "type": "choice",
                "required": False,
                "answerOption": [
                    {"valueCoding": extra_answer_coding(d, question, s)} for s in range(len(question.anchors))
                ],
            }
        )
    total = total_coding(d)
    items.append(
        {"linkId": total["code"], "code": [total], "text": total["display"], "type": "integer", "readOnly": True}
    )
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": d.code,
        "url": questionnaire_url(d),
        "version": d.version,
        "name": d.code.upper(),
        "title": d.name,
        "status": "active",
        "subjectType": ["Patient"],
        "language": d.language,
        "code": [panel_coding(d)],
        "description": d.citation,
        "copyright": d.citation,
        "item": items,
    }
    if d.loinc_panel:
        resource["identifier"] = [{"system": LOINC, "value": d.loinc_panel}]
    return resource


# ---------------------------------------------------------------------------------------------------------------
# A patient's record as a Bundle (type collection)
# ---------------------------------------------------------------------------------------------------------------


def full_url(kind: str, *key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join([kind, *map(str, key)]))}"


def entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
    resource["id"] = url.removeprefix("urn:uuid:")
    return {"fullUrl": url, "resource": resource}


@dataclass(frozen=True)
class AssessmentFacts:
    """What the export needs of one assessment (filled by the selector from the model)."""

    id: int
    instrument: str
    items: Sequence[int]
    difficulty: int | None
    total: int
    severity: str
    administered_at: datetime
    source: str
    entered_in_error: bool = False  # marked by a clinician: the resources say so (status entered-in-error)


def patient_resource(*, patient_id: int, external_id: str, display_name: str, birth_date: date | None,
                     language: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": IDENTIFIER_SYSTEM, "value": external_id}],
        "name": [{"text": display_name}],
    }
    if birth_date is not None:
        resource["birthDate"] = birth_date.isoformat()
    if language:
        resource["communication"] = [
            {"language": {"coding": [_coding("urn:ietf:bcp:47", language)]}, "preferred": True}
        ]
    return resource


def subject_reference(patient_url: str, external_id: str) -> dict[str, Any]:
    return {"reference": patient_url, "identifier": {"system": IDENTIFIER_SYSTEM, "value": external_id}}


def response_resource(a: AssessmentFacts, subject: dict[str, Any]) -> dict[str, Any]:
    d = definitions.get(a.instrument)
    answers = []
    for item, score in zip(d.items, a.items, strict=True):
        answers.append(
            {"linkId": link_id(d, item), "text": item.text, "answer": [{"valueCoding": answer_coding(d, item, score)}]}
        )
    for question in d.extra_questions:
        if question.key == "difficulty" and a.difficulty is not None:
            answers.append(
                {
                    "linkId": question.loinc or f"{d.code}-{question.key}",
                    "text": question.text,
                    "answer": [{"valueCoding": extra_answer_coding(d, question, a.difficulty)}],
                }
            )
    total = total_coding(d)
    answers.append({"linkId": total["code"], "text": total["display"], "answer": [{"valueInteger": a.total}]})
    return {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": "urn:mbc:assessment", "value": str(a.id)},
        "questionnaire": f"{questionnaire_url(d)}|{d.version}",
        "status": "entered-in-error" if a.entered_in_error else "completed",
        "subject": subject,
        "authored": a.administered_at.isoformat(),
        "item": answers,
    }


def _survey() -> list[dict[str, Any]]:
    return [{"coding": [_coding(OBSERVATION_CATEGORY, "survey", "Survey")]}]


def observation_entries(a: AssessmentFacts, subject: dict[str, Any], response_url: str) -> list[dict[str, Any]]:
    """US Core screening-assessment shape: a panel Observation whose hasMember are the item Observations and the
    total (valueQuantity in {score}), each derivedFrom the QuestionnaireResponse."""
    d = definitions.get(a.instrument)
    effective = a.administered_at.isoformat()
    derived = [{"reference": response_url}]
    status = "entered-in-error" if a.entered_in_error else "final"
    common = {"status": status, "category": _survey(), "subject": subject, "effectiveDateTime": effective,
              "derivedFrom": derived, "meta": {"profile": [US_CORE_SCREENING]}}
    members: list[dict[str, Any]] = []
    for item, score in zip(d.items, a.items, strict=True):
        coding = answer_coding(d, item, score)
        members.append(
            entry(
                full_url("observation", a.id, "item", item.number),
                {"resourceType": "Observation", **common, "code": {"coding": [item_coding(d, item)]},
                 "valueCodeableConcept": {"coding": [coding], "text": coding["display"]}},
            )
        )
    band = d.band_for(a.total)
    members.append(
        entry(
            full_url("observation", a.id, "total"),
            {
                "resourceType": "Observation",
                **common,
                "code": {"coding": [total_coding(d)]},
                "valueQuantity": {"value": a.total, "unit": "{score}", "system": UCUM, "code": "{score}"},
                "interpretation": [{"text": band.label}],
            },
        )
    )
    panel = entry(
        full_url("observation", a.id),
        {
            "resourceType": "Observation",
            **common,
            "code": {"coding": [panel_coding(d)], "text": d.name},
            "hasMember": [{"reference": m["fullUrl"]} for m in members],
        },
    )
    return [panel, *members]


def care_plan_resource(*, modality: str, modality_label: str, stage: str, therapy: str, started_on: date,
                       ended_on: date | None, notes: str, subject: dict[str, Any]) -> dict[str, Any]:
    period: dict[str, Any] = {"start": started_on.isoformat()}
    if ended_on is not None:
        period["end"] = ended_on.isoformat()
    description = f"{modality_label} treatment, {stage} phase" + (f" ({therapy.upper()})" if therapy else "")
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "active" if ended_on is None else "completed",
        "intent": "plan",
        "category": [{"coding": [_coding(definitions.LOCAL_CODE_SYSTEM, f"modality-{modality}", modality_label)]}],
        "title": f"{modality_label} ({stage})",
        "description": description,
        "subject": subject,
        "period": period,
    }
    if notes:
        resource["note"] = [{"text": notes}]
    return resource


def medication_statement_resource(*, name: str, drug_class: str, dose: str, started_on: date,
                                  stopped_on: date | None, active: bool, subject: dict[str, Any]) -> dict[str, Any]:
    period: dict[str, Any] = {"start": started_on.isoformat()}
    if stopped_on is not None:
        period["end"] = stopped_on.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "status": "active" if active else "completed",
        "medicationCodeableConcept": {"text": name},
        "category": {"coding": [_coding(definitions.LOCAL_CODE_SYSTEM, f"drug-class-{drug_class}", drug_class)]},
        "subject": subject,
        "effectivePeriod": period,
    }
    if dose:
        resource["dosage"] = [{"text": dose}]
    return resource


def bundle(entries: Iterable[dict[str, Any]], *, timestamp: datetime) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "timestamp": timestamp.isoformat(), "entry": list(entries)}


# ---------------------------------------------------------------------------------------------------------------
# Reading a QuestionnaireResponse from another system
# ---------------------------------------------------------------------------------------------------------------


class FhirInputError(ValueError):
    """A resource mbc cannot take; `issues` are (FHIRPath-ish location, message) pairs for an OperationOutcome."""

    def __init__(self, issues: Sequence[tuple[str, str]], *, code: str = "invalid") -> None:
        super().__init__("; ".join(f"{where}: {what}" for where, what in issues))
        self.issues = list(issues)
        self.code = code


@dataclass(frozen=True)
class ParsedResponse:
    instrument: str
    identifier: str  # the patient's record number
    items: list[int]
    difficulty: int | None
    authored: str
    client_id: str | None


def operation_outcome(issues: Sequence[tuple[str, str]], *, code: str = "invalid",
                      severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": severity, "code": code, "diagnostics": what, **({"expression": [where]} if where else {})}
            for where, what in issues
        ],
    }


def _instrument_of(canonical: str, answered: set[str]) -> Definition | None:
    """The instrument a response answers: by its questionnaire's canonical (mbc's URL or the panel's LOINC code),
    else by the item codes it answers."""
    base = canonical.split("|")[0]
    for d in definitions.REGISTRY.values():
        if base == questionnaire_url(d) or (d.loinc_panel and base.rstrip("/").split("/")[-1] == d.loinc_panel):
            return d
    for d in definitions.REGISTRY.values():
        if {link_id(d, i) for i in d.items} <= answered:
            return d
    return None


def _flatten(items: object, where: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
    if not isinstance(items, list):
        raise FhirInputError([(where, "Expected a list of items.")])
    for n, item in enumerate(items):
        path = f"{where}[{n}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("linkId"), str):
            raise FhirInputError([(path, "Each item needs a linkId.")])
        yield path, item
        if "item" in item:
            yield from _flatten(item["item"], f"{path}.item")


def _key(link: str) -> str:
    """LHC-Forms writes linkIds as paths ("/44249-1/44250-9"); the last segment is the code."""
    return link.rstrip("/").split("/")[-1]


def _score(value: Mapping[str, Any], codes: Sequence[str], top: int, where: str) -> int:
    """An answer's score: its LOINC (or mbc) answer code, else its ordinal value, else a whole number."""
    coding = value.get("valueCoding")
    if isinstance(coding, Mapping):
        code = coding.get("code")
        if code in codes:
            return codes.index(code)
        for ext in coding.get("extension") or []:
            if isinstance(ext, Mapping) and ext.get("url") == ORDINAL_VALUE:
                number = ext.get("valueDecimal", ext.get("valueInteger"))
                if isinstance(number, int | float) and not isinstance(number, bool) and number == int(number) \
                        and 0 <= number <= top:
                    return int(number)
        raise FhirInputError([(where, f"Unknown answer code {code!r}.")])
    number = value.get("valueInteger")
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number <= top:
        return number
    raise FhirInputError([(where, f"Expected a coded answer (valueCoding) or a whole number from 0 to {top}.")])


def parse_questionnaire_response(data: object) -> ParsedResponse:
    """Read a completed QuestionnaireResponse; FhirInputError listing every problem otherwise. Totals sent along are
    ignored: the server scores the answers."""
    if not isinstance(data, Mapping):
        raise FhirInputError([("", "Expected a JSON object.")], code="structure")
    if data.get("resourceType") != "QuestionnaireResponse":
        raise FhirInputError([("resourceType", "Expected a QuestionnaireResponse.")], code="structure")
    issues: list[tuple[str, str]] = []
    if data.get("status") not in ("completed", "amended"):
        issues.append(("QuestionnaireResponse.status", "Only a completed (or amended) response can be imported."))
    subject = data.get("subject")
    identifier = subject.get("identifier") if isinstance(subject, Mapping) else None
    value = identifier.get("value") if isinstance(identifier, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        issues.append(("QuestionnaireResponse.subject.identifier.value", "Name the patient by their record number."))
    authored = data.get("authored")
    if not isinstance(authored, str) or not authored.strip():
        issues.append(("QuestionnaireResponse.authored", "Give the date and time the answers were given."))
    flat = list(_flatten(data.get("item", []), "QuestionnaireResponse.item"))
    answered = {_key(item["linkId"]) for _, item in flat if item.get("answer")}
    canonical = data.get("questionnaire")
    canonical = canonical if isinstance(canonical, str) else ""
    d = _instrument_of(canonical, answered)
    if d is None:
        issues.append(("QuestionnaireResponse.questionnaire", "Not a questionnaire mbc knows (PHQ-9, GAD-7, ...)."))
        raise FhirInputError(issues)
    by_link = {link_id(d, i): i for i in d.items}
    extra = {q.loinc or f"{d.code}-{q.key}": q for q in d.extra_questions}
    scores: dict[int, int] = {}
    difficulty: int | None = None
    for where, item in flat:
        key = _key(item["linkId"])
        answers = item.get("answer") or []
        if key not in by_link and key not in extra:
            continue  # the total, groups, display items: the server scores the answers itself
        if not isinstance(answers, list) or len(answers) != 1 or not isinstance(answers[0], Mapping):
            issues.append((f"{where}.answer", "Expected exactly one answer."))
            continue
        try:
            if key in by_link:
                question = by_link[key]
                codes = d.answer_loinc if d.answer_loinc else tuple(
                    f"{d.code}-{question.number}-{s}" for s in range(question.max_score + 1)
                )
                scores[question.number] = _score(answers[0], codes, question.max_score, f"{where}.answer[0]")
            else:
                q = extra[key]
                codes = q.answer_loinc or tuple(f"{d.code}-{q.key}-{s}" for s in range(len(q.anchors)))
                difficulty = _score(answers[0], codes, len(q.anchors) - 1, f"{where}.answer[0]")
        except FhirInputError as exc:
            issues.extend(exc.issues)
    missing = [i.number for i in d.items if i.number not in scores]
    if missing:
        issues.append(("QuestionnaireResponse.item", f"{d.short_name} items not answered: "
                       f"{', '.join(map(str, missing))}."))
    if issues:
        raise FhirInputError(issues)
    ident = data.get("identifier")
    source_id = ident.get("value") if isinstance(ident, Mapping) else data.get("id")
    client_id = f"fhir:{source_id}"[:64] if isinstance(source_id, str) and source_id else None
    return ParsedResponse(
        instrument=d.code,
        identifier=str(value).strip(),
        items=[scores[i.number] for i in d.items],
        difficulty=difficulty,
        authored=str(authored).strip(),
        client_id=client_id,
    )
