"""Writes of interoperability: a FHIR QuestionnaireResponse in, a CSV file of assessments in.

Both go through `reassessment.services.submit_assessment`, like every other submission: the server scores the
answers, the suicide item flags at once, and every saved assessment is audited.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from instruments import definitions, scoring
from instruments.models import Source
from instruments.services import SubmissionConflict, parse_administered_at
from interop import fhir
from patients.models import Patient
from patients.selectors import visible_patients
from reassessment.services import Submission, enqueue_evaluation, refresh_statuses, submit_assessment

# ---------------------------------------------------------------------------------------------------------------
# FHIR QuestionnaireResponse in
# ---------------------------------------------------------------------------------------------------------------


def _outcome_of(exc: ValidationError) -> fhir.FhirInputError:
    where = {"administered_at": "QuestionnaireResponse.authored", "items": "QuestionnaireResponse.item"}
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    return fhir.FhirInputError(
        [(where.get(key, f"QuestionnaireResponse.{key}" if key else ""), text) for key, texts in messages.items()
         for text in texts]
    )


@transaction.atomic
def import_questionnaire_response(*, data: object, by: Any, now: datetime | None = None) -> Submission:
    """A PHQ-9 or GAD-7 (or any registry instrument) answered in another system, for a patient of `by`'s care
    teams named by record number; FhirInputError (nothing saved) otherwise."""
    parsed = fhir.parse_questionnaire_response(data)
    patient = visible_patients(by).filter(external_id=parsed.identifier).first()
    if patient is None:
        raise fhir.FhirInputError(
            [("QuestionnaireResponse.subject.identifier", "No patient of your care teams has this record number.")],
            code="not-found",
        )
    try:
        return submit_assessment(
            patient=patient, instrument=parsed.instrument, items=parsed.items, administered_at=parsed.authored,
            source=Source.IMPORT, entered_by=by, client_id=parsed.client_id, difficulty=parsed.difficulty, now=now,
        )
    except SubmissionConflict as exc:
        # The same response id sent again with other answers: the first one stays (DESIGN: same client_id and other
        # content is a conflict).
        raise fhir.FhirInputError(_outcome_of(exc).issues, code="conflict") from None
    except ValidationError as exc:
        raise _outcome_of(exc) from None


# ---------------------------------------------------------------------------------------------------------------
# CSV in
# ---------------------------------------------------------------------------------------------------------------

REQUIRED_COLUMNS = ("external_id", "instrument", "administered_at")
# Columns the export writes besides the answers: read back, checked (total), or ignored (severity, source).
OPTIONAL_COLUMNS = ("difficulty", "total", "severity", "source", "client_id")
MAX_ITEMS = max(len(d.items) for d in definitions.REGISTRY.values())
MAX_REPORTED_ERRORS = 200
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, size): one sentence."""


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    existing: int = 0
    suicide_flags: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message), first ones only
    error_count: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((line, message))


@dataclass(frozen=True)
class _Row:
    line: int
    patient_id: int
    instrument: str
    items: list[int]
    difficulty: int | None
    administered_at: datetime
    client_id: str


def unquote_cell(value: str) -> str:
    """Undo the export's formula-injection guard: a leading apostrophe before = + - @ is not part of the value."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_PREFIXES:
        return value[1:]
    return value


class _Lines:
    """The file's lines decoded one at a time, so a byte that is not UTF-8 is reported on its own line."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.number += 1
            if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"Line {self.number} is not UTF-8 text: save the file as CSV UTF-8 and try again."
                ) from None


def _rows(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of a UTF-8 CSV (a BOM is allowed), read incrementally: memory stays flat."""
    reader = csv.reader(_Lines(stream))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(f"Line {reader.line_num}: the CSV is malformed ({exc}).") from None
        yield reader.line_num, [unquote_cell(c) for c in cells]


def _header(cells: list[str]) -> tuple[dict[str, int], list[int]]:
    names = [c.strip().lower() for c in cells]
    if len(set(names)) != len(names):
        raise ImportFileError("The header names a column twice.")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    item_columns = sorted(int(n[5:]) for n in names if n.startswith("item_") and n[5:].isdigit())
    unknown = [
        n for n in names
        if n not in REQUIRED_COLUMNS and n not in OPTIONAL_COLUMNS and not (n.startswith("item_") and n[5:].isdigit())
    ]
    if missing or unknown or not item_columns or item_columns != list(range(1, len(item_columns) + 1)) \
            or len(item_columns) > MAX_ITEMS:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(unknown)}")
        if not item_columns or item_columns != list(range(1, len(item_columns) + 1)) or len(item_columns) > MAX_ITEMS:
            problems.append(f"the answers must be columns item_1, item_2, ... (at most item_{MAX_ITEMS})")
        raise ImportFileError(
            "The header is not an assessment file (" + "; ".join(problems) + "). Expected: "
            + ", ".join(REQUIRED_COLUMNS) + ", item_1 ... item_n, and optionally " + ", ".join(OPTIONAL_COLUMNS) + "."
        )
    index = {n: i for i, n in enumerate(names)}
    return index, [index[f"item_{n}"] for n in item_columns]


def _whole(value: str) -> int | str:
    text = value.strip()
    return int(text) if text.isdigit() else text


def _check_row(
    line: int, cells: list[str], index: dict[str, int], item_at: list[int], patients: dict[str, tuple[int,
                                                                                                   date | None]],
    now: datetime, report: ImportReport, care_teams: bool,
) -> _Row | None:
    if len(cells) != len(index):
        report.add_error(line, f"expected {len(index)} cells, found {len(cells)}.")
        return None
    problems: list[str] = []
    external_id = cells[index["external_id"]].strip()
    patient = patients.get(external_id)
    if patient is None:
        problems.append("no patient with this external_id" + (" on your care teams." if care_teams else "."))
    code = cells[index["instrument"]].strip().lower()
    definition = definitions.REGISTRY.get(code)
    if definition is None:
        problems.append(f"unknown instrument {code!r}; use one of {', '.join(definitions.REGISTRY)}.")
    moment: datetime | None = None
    try:
        moment = parse_administered_at(cells[index["administered_at"]], now=now)
    except ValidationError as exc:
        problems.extend(f"administered_at: {m}" for m in exc.message_dict["administered_at"])
    if moment is not None and patient is not None and patient[1] is not None \
            and timezone.localdate(moment) < patient[1]:
        problems.append("administered_at: before the patient's birth date.")
    items: list[int] = []
    difficulty: int | None = None
    if definition is not None:
        raw = [cells[i] for i in item_at]
        needed = len(definition.items)
        if any(v.strip() for v in raw[needed:]):
            problems.append(f"{definition.short_name} has {needed} items; answers found after item_{needed}.")
        try:
            items = scoring.check_items(definition, [_whole(v) for v in raw[:needed]])
        except scoring.AnswersError as exc:
            problems.extend(exc.messages["items"])
        if "difficulty" in index and cells[index["difficulty"]].strip():
            try:
                difficulty = scoring.check_extra(definition, "difficulty", _whole(cells[index["difficulty"]]))
            except scoring.AnswersError as exc:
                problems.extend(f"difficulty: {m}" for msgs in exc.messages.values() for m in msgs)
        given_total = cells[index["total"]].strip() if "total" in index else ""
        if items and given_total and given_total != str(sum(items)):
            problems.append(f"total {given_total} does not match the answers (they add up to {sum(items)}).")
    if problems or patient is None or definition is None or moment is None:
        for problem in problems:
            report.add_error(line, problem)
        return None
    client_id = cells[index["client_id"]].strip() if "client_id" in index else ""
    if not client_id:
        # The same row imported twice is one assessment: the row's content names it.
        digest = hashlib.sha256(f"{external_id}|{code}|{moment.isoformat()}|{items}|{difficulty}".encode())
        client_id = "csv:" + digest.hexdigest()[:40]
    if len(client_id) > 64:
        report.add_error(line, "client_id: at most 64 characters.")
        return None
    return _Row(line=line, patient_id=patient[0], instrument=code, items=items, difficulty=difficulty,
                administered_at=moment, client_id=client_id)


def _checked_rows(stream: IO[bytes], patients: dict[str, tuple[int, date | None]], now: datetime,
                  report: ImportReport, care_teams: bool) -> Iterator[_Row]:
    rows = _rows(stream)
    first = next(rows, None)
    if first is None:
        raise ImportFileError("The file is empty.")
    index, item_at = _header(first[1])
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # a blank line (spreadsheets leave them at the end)
        report.rows += 1
        if report.rows > settings.MBC_IMPORT_MAX_ROWS:
            raise ImportFileError(f"The file has more than {settings.MBC_IMPORT_MAX_ROWS:,} rows: split it.")
        row = _check_row(line, cells, index, item_at, patients, now, report, care_teams)
        if row is not None:
            yield row


def _patients_by_record_number(by: Any) -> dict[str, tuple[int, date | None]]:
    """Record number -> (id, birth date) of the patients the import may write to: `by`'s care teams, or every
    patient for an operator's command run without --by. One query; size of the clinic, not of the file."""
    qs = visible_patients(by) if by is not None else Patient.objects.all()
    return {ext: (pid, born) for ext, pid, born in qs.values_list("external_id", "id", "birth_date")}


def import_assessments_csv(
    *, stream: IO[bytes], by: Any = None, dry_run: bool = False, now: datetime | None = None
) -> ImportReport:
    """Check every row first (line-numbered errors); then, only if all are good, save them all in one transaction
    through the submission service. All or nothing; ImportFileError for a file that cannot be read at all."""
    now = now or timezone.now()
    patients = _patients_by_record_number(by)
    report = ImportReport(dry_run=dry_run)
    used = {row.patient_id for row in _checked_rows(stream, patients, now, report, by is not None)}
    if not report.ok or dry_run:
        return report
    stream.seek(0)
    checked = ImportReport()
    touched: set[int] = set()
    objects = Patient.objects.in_bulk(sorted(used))
    with transaction.atomic():
        for row in _checked_rows(stream, patients, now, checked, by is not None):
            patient = objects[row.patient_id]
            submission = submit_assessment(
                patient=patient, instrument=row.instrument, items=row.items, administered_at=row.administered_at,
                source=Source.IMPORT, entered_by=by, client_id=row.client_id, difficulty=row.difficulty, now=now,
                evaluate=False,
            )
            if submission.created:
                report.created += 1
                touched.add(row.patient_id)
            else:
                report.existing += 1
            if submission.suicide_flag is not None and submission.created:
                report.suicide_flags += 1
        if not checked.ok:  # the file changed between the two reads: refuse it whole
            transaction.set_rollback(True)
            report.errors, report.error_count = checked.errors, checked.error_count
            report.created = report.existing = report.suicide_flags = 0
            return report
        # The caseload's stored status of each patient, now (not only when the queued evaluations run).
        refresh_statuses(patient_ids=touched)
        for pid in sorted(touched):
            transaction.on_commit(lambda pid=pid: enqueue_evaluation(pid))  # type: ignore[misc]
    return report
