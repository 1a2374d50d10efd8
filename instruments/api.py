"""The assessments and instruments API (DESIGN §3). Scores are computed by the server, never taken from a client."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from instruments import definitions
from instruments.models import Assessment, Source
from instruments.selectors import visible_assessments
from mbc.pagination import PAGE_PARAMETERS, paginate
from patients.models import AuditEvent
from patients.selectors import visible_patient
from patients.services import record_audit
from reassessment.services import mark_assessment_entered_in_error, submit_assessment

SERVER_COMPUTED = ("total", "severity", "instrument_version", "administered_on")


class AssessmentSerializer(serializers.ModelSerializer[Assessment]):
    class Meta:
        model = Assessment
        fields = [
            "id",
            "patient",
            "instrument",
            "instrument_version",
            "items",
            "difficulty",
            "total",
            "severity",
            "administered_at",
            "administered_on",
            "source",
            "entered_by",
            "client_id",
            "created_at",
            "entered_in_error_at",
            "entered_in_error_by",
            "entered_in_error_reason",
        ]
        read_only_fields = fields


class AssessmentInputSerializer(serializers.Serializer[Any]):
    """The shape of a submission. The answers are checked against the definition by the service (field messages)."""

    patient = serializers.IntegerField()
    instrument = serializers.CharField()
    items = serializers.JSONField(help_text="Answers as whole numbers, in item order.")
    administered_at = serializers.CharField(help_text="ISO date (stored as 12:00 clinic-local) or ISO datetime.")
    client_id = serializers.CharField(required=False, allow_null=True, max_length=64)
    difficulty = serializers.JSONField(required=False, allow_null=True, help_text="PHQ-9's optional question 10.")
    # Self-reports come only through a patient's link; here a clinician enters or imports a form.
    source = serializers.ChoiceField(choices=[Source.CLINICIAN, Source.IMPORT], default=Source.CLINICIAN)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refused = {k: ["Computed by the server; do not send it."] for k in SERVER_COMPUTED if k in self.initial_data}
        if refused:
            raise serializers.ValidationError(refused)
        return attrs


class AssessmentListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("patient", OpenApiTypes.INT, required=False),
            OpenApiParameter("instrument", OpenApiTypes.STR, required=False),
            *PAGE_PARAMETERS,
        ],
        responses=AssessmentSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        assessments = visible_assessments(request.user)
        patient_id = request.query_params.get("patient")
        if patient_id is not None:
            try:
                int(patient_id)
            except ValueError:
                # A malformed filter is a validation error (400), not an unknown patient (404).
                return Response(
                    {"patient": ["Enter a patient id (a whole number)."]}, status=status.HTTP_400_BAD_REQUEST
                )
            assessments = assessments.filter(patient=visible_patient(request.user, patient_id))
        instrument = request.query_params.get("instrument")
        if instrument is not None:
            if instrument not in definitions.REGISTRY:
                return Response({"instrument": ["Unknown instrument."]}, status=status.HTTP_400_BAD_REQUEST)
            assessments = assessments.filter(instrument=instrument)
        rows, pages = paginate(request, self, assessments)
        record_audit(
            user=request.user,
            action=AuditEvent.Action.VIEW,
            what="assessments",
            patient_ids=sorted({a.patient_id for a in rows}),
        )
        return pages.get_paginated_response(AssessmentSerializer(rows, many=True).data)

    @extend_schema(request=AssessmentInputSerializer, responses={201: AssessmentSerializer, 200: AssessmentSerializer})
    def post(self, request: Request) -> Response:
        serializer = AssessmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient = visible_patient(request.user, data["patient"])
        submission = submit_assessment(
            patient=patient,
            instrument=data["instrument"],
            items=data["items"],
            administered_at=data["administered_at"],
            source=data["source"],
            entered_by=request.user,
            client_id=data.get("client_id"),
            difficulty=data.get("difficulty"),
        )
        code = status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK
        return Response(AssessmentSerializer(submission.assessment).data, status=code)


def definition_as_dict(d: definitions.Definition) -> dict[str, Any]:
    data = asdict(d)
    data["max_total"] = d.max_total
    for item in data["items"]:
        item["min"] = 0
        item["max"] = len(item["anchors"]) - 1
    return data


class InstrumentListView(APIView):
    @extend_schema(
        responses=OpenApiResponse(
            response={"type": "array", "items": {"type": "object", "additionalProperties": True}},
            description="Instrument definitions: code, version, name, rater, items with anchors, bands, cut-offs.",
        )
    )
    def get(self, request: Request) -> Response:
        return Response([definition_as_dict(d) for d in definitions.REGISTRY.values()])


class EnteredInErrorSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000, help_text="Why this assessment was entered in error (required).")


class AssessmentEnteredInErrorView(APIView):
    """Mark an assessment entered in error (DESIGN 3b): kept in the record, left out of the rules and charts."""

    @extend_schema(request=EnteredInErrorSerializer, responses=AssessmentSerializer)
    def post(self, request: Request, assessment_id: int) -> Response:
        assessment = visible_assessments(request.user).filter(pk=assessment_id).first()
        if assessment is None:
            raise Http404
        serializer = EnteredInErrorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = mark_assessment_entered_in_error(
            assessment=assessment, by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(AssessmentSerializer(marked).data)
