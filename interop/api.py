"""The interoperability API: FHIR R4 export and import, CSV export. Thin views over interop's selectors and services."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from instruments import definitions
from interop import fhir, selectors, services
from patients.models import AuditEvent, Patient
from patients.selectors import visible_patients
from patients.services import record_audit

FHIR_JSON = "application/fhir+json"
FHIR_OBJECT = OpenApiResponse(
    response={"type": "object", "additionalProperties": True}, description="A FHIR R4 resource (JSON)."
)


class FhirJsonRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class CsvRenderer(BaseRenderer):
    """Lets `Accept: text/csv` through content negotiation; the CSV itself is streamed by the view."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""  # an error's body, as text


class PatientFhirView(APIView):
    renderer_classes = [FhirJsonRenderer, JSONRenderer]

    @extend_schema(responses={200: FHIR_OBJECT}, summary="The patient's record as a FHIR R4 Bundle (collection).")
    def get(self, request: Request, patient_id: int) -> Response:
        patient, bundle = selectors.patient_bundle(
            request.user, patient_id, today=timezone.localdate(), now=timezone.now()
        )
        record_audit(user=request.user, action=AuditEvent.Action.VIEW, what="fhir_bundle", patient_ids=[patient.id])
        return Response(bundle)


class QuestionnaireView(APIView):
    renderer_classes = [FhirJsonRenderer, JSONRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("lang", OpenApiTypes.STR, required=False, description="e.g. es")],
        responses={200: FHIR_OBJECT},
        summary="An instrument as an SDC-style FHIR Questionnaire.",
    )
    def get(self, request: Request, code: str) -> Response:
        definition = definitions.REGISTRY.get(code)
        if definition is None:
            outcome = fhir.operation_outcome([("", "Unknown instrument.")], code="not-found")
            return Response(outcome, status=status.HTTP_404_NOT_FOUND)
        return Response(fhir.questionnaire(definition.in_language(request.query_params.get("lang", ""))))


class QuestionnaireResponseImportView(APIView):
    """Body: a FHIR QuestionnaireResponse (application/fhir+json or application/json). Errors: OperationOutcome."""

    renderer_classes = [FhirJsonRenderer, JSONRenderer]
    parser_classes: list[Any] = []  # the body is read here, so a malformed one still gets an OperationOutcome

    @extend_schema(
        request={FHIR_JSON: {"type": "object"}, "application/json": {"type": "object"}},
        responses={201: FHIR_OBJECT, 200: FHIR_OBJECT, 400: FHIR_OBJECT, 404: FHIR_OBJECT, 409: FHIR_OBJECT},
        summary="Import a completed QuestionnaireResponse (PHQ-9, GAD-7) from another system.",
    )
    def post(self, request: Request) -> Response:
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return Response(
                fhir.operation_outcome([("", "The body is not JSON.")], code="structure"),
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            submission = services.import_questionnaire_response(data=data, by=request.user)
        except fhir.FhirInputError as exc:
            code = {"not-found": status.HTTP_404_NOT_FOUND, "conflict": status.HTTP_409_CONFLICT}.get(
                exc.code, status.HTTP_400_BAD_REQUEST
            )
            return Response(fhir.operation_outcome(exc.issues, code=exc.code), status=code)
        a = submission.assessment
        patient = Patient.objects.get(pk=a.patient_id)
        entries = selectors.assessment_entries(patient, [a])
        return Response(
            fhir.bundle(entries, timestamp=timezone.now()),
            status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
        )


# ---------------------------------------------------------------------------------------------------------------
# CSV export
# ---------------------------------------------------------------------------------------------------------------

ASSESSMENT_COLUMNS = [
    "external_id", "instrument", "administered_at", *(f"item_{n}" for n in range(1, selectors.MAX_ITEMS + 1)),
    "difficulty", "total", "severity", "source",
]
FLAG_COLUMNS = ["external_id", "flag_id", "kind", "severity", "status", "recommendation", "created_at",
                "assessment_id"]


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ (or tab/CR) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(services.FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM: spreadsheet programs then read the file as UTF-8
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def _csv_response(request: Request, what: str, header: list[str], rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    ids = list(visible_patients(request.user).values_list("id", flat=True))
    record_audit(user=request.user, action=AuditEvent.Action.LIST, what=f"{what}_csv", patient_ids=ids)
    response = StreamingHttpResponse(csv_stream(header, rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="mbc-{what}-{stamp}.csv"'
    return response


CSV_RESPONSE = OpenApiResponse(response=OpenApiTypes.STR, description="CSV (UTF-8 with BOM), one row per record.")


class AssessmentsCsvView(APIView):
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(responses={(200, "text/csv"): CSV_RESPONSE}, summary="Your caseload's assessments as CSV.")
    def get(self, request: Request) -> StreamingHttpResponse:
        return _csv_response(request, "assessments", ASSESSMENT_COLUMNS, selectors.assessment_rows(request.user))


class FlagsCsvView(APIView):
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(responses={(200, "text/csv"): CSV_RESPONSE}, summary="Your caseload's flags as CSV.")
    def get(self, request: Request) -> StreamingHttpResponse:
        return _csv_response(request, "flags", FLAG_COLUMNS, selectors.flag_rows(request.user))
