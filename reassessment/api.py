"""The flags, summary and self-report API (DESIGN §3). Thin views over the reassessment services and selectors."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from instruments.services import SubmissionConflict
from mbc.pagination import PAGE_PARAMETERS, paginate
from patients.models import AuditEvent
from patients.selectors import visible_patient
from patients.services import record_audit
from reassessment import engine, fidelity, selectors, services
from reassessment.models import Flag, FlagKind, FlagSeverity, FlagStatus, SelfReportLink


class FlagSerializer(serializers.ModelSerializer[Flag]):
    class Meta:
        model = Flag
        fields = [
            "id",
            "patient",
            "phase",
            "assessment",
            "kind",
            "status",
            "severity",
            "recommendation",
            "evidence",
            "created_at",
            "acknowledged_by",
            "acknowledged_at",
            "note",
            "resolved_at",
            "resolved_by",
            "resolution_note",
            "raised_by",
            "escalated_at",  # issue 14: an urgent flag nobody acknowledged in time was escalated then
            "escalation_recipients",  # how many were emailed; 0: nobody to escalate to
        ]
        read_only_fields = fields


class AcknowledgeSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ResolveSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ConcernSerializer(serializers.Serializer[Any]):
    """A flag raised by hand (DESIGN §3 POST /flags/)."""

    patient = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[FlagKind.CLINICIAN_CONCERN.value])
    severity = serializers.ChoiceField(choices=FlagSeverity.values)
    note = serializers.CharField(max_length=2000, help_text="What worries you: required.")


class FlagListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("patient", OpenApiTypes.INT, required=False),
            OpenApiParameter("status", OpenApiTypes.STR, required=False, enum=FlagStatus.values),
            OpenApiParameter("kind", OpenApiTypes.STR, required=False, enum=FlagKind.values),
            *PAGE_PARAMETERS,
        ],
        responses=FlagSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        flags = selectors.visible_flags(request.user)
        errors: dict[str, list[str]] = {}
        params = request.query_params
        if "patient" in params:
            if not params["patient"].isdigit():
                return Response(
                    {"patient": ["Enter a patient id (a whole number)."]}, status=status.HTTP_400_BAD_REQUEST
                )
            flags = flags.filter(patient=visible_patient(request.user, params["patient"]))
        for name, choices in (("status", FlagStatus.values), ("kind", FlagKind.values)):
            if name in params:
                if params[name] not in choices:
                    errors[name] = [f"Choose one of {', '.join(choices)}."]
                flags = flags.filter(**{name: params[name]})
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        rows, pages = paginate(request, self, flags.order_by("-created_at", "-id"))
        record_audit(
            user=request.user,
            action=AuditEvent.Action.VIEW,
            what="flags",
            patient_ids=sorted({f.patient_id for f in rows}),
        )
        return pages.get_paginated_response(FlagSerializer(rows, many=True).data)

    @extend_schema(request=ConcernSerializer, responses={201: FlagSerializer})
    def post(self, request: Request) -> Response:
        serializer = ConcernSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient = visible_patient(request.user, data["patient"])  # 404 off the care team, before anything else
        flag = services.raise_concern(patient=patient, by=request.user, severity=data["severity"], note=data["note"])
        return Response(FlagSerializer(flag).data, status=status.HTTP_201_CREATED)


class FlagResolveView(APIView):
    @extend_schema(request=ResolveSerializer, responses=FlagSerializer)
    def post(self, request: Request, flag_id: int) -> Response:
        flag = selectors.visible_flags(request.user).filter(pk=flag_id).first()
        if flag is None:
            raise Http404
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag = services.resolve_flag(flag=flag, by=request.user, note=serializer.validated_data["note"])
        return Response(FlagSerializer(flag).data)


class FlagAcknowledgeView(APIView):
    @extend_schema(request=AcknowledgeSerializer, responses=FlagSerializer)
    def post(self, request: Request, flag_id: int) -> Response:
        flag = selectors.visible_flags(request.user).filter(pk=flag_id).first()
        if flag is None:
            raise Http404
        serializer = AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag = services.acknowledge_flag(flag=flag, by=request.user, note=serializer.validated_data["note"])
        return Response(FlagSerializer(flag).data)


class PointSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    total = serializers.IntegerField()
    severity = serializers.CharField()
    date = serializers.DateField()


class SummaryPhaseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    modality = serializers.CharField()
    stage = serializers.CharField()
    started_on = serializers.DateField()
    week = serializers.IntegerField()


class BasedOnSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    total = serializers.IntegerField()
    date = serializers.DateField()


class RecommendedStartSerializer(serializers.Serializer[Any]):
    """DESIGN §2b: the suggested first treatment, every reason for it, and the score it was read from."""

    modality = serializers.ChoiceField(choices=list(engine.START_MODALITIES))
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=list(engine.START_REASONS)))
    based_on = BasedOnSerializer()


class SummarySerializer(serializers.Serializer[Any]):
    """DESIGN §3 summary; category is `no_phase` when the patient has no active phase."""

    instrument = serializers.CharField()
    phase = SummaryPhaseSerializer(allow_null=True)
    baseline = PointSerializer(allow_null=True)
    latest = PointSerializer(allow_null=True)
    reassessment = PointSerializer(allow_null=True)
    improvement_pct = serializers.FloatField(allow_null=True)
    category = serializers.ChoiceField(
        choices=["no_phase", "no_baseline", "too_early", "remission", "response", "improving", "partial_response"]
    )
    next_due_on = serializers.DateField(allow_null=True)
    interval_days = serializers.IntegerField(
        allow_null=True, help_text="The reminder interval in force today (7 days in an under-25 weekly window)."
    )
    birth_date_missing = serializers.BooleanField(
        help_text="The under-25 weekly-monitoring rule may apply (an antidepressant is involved) but no birth date "
        "is recorded."
    )
    recommended_start = RecommendedStartSerializer(allow_null=True)


class SavedAssessmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    instrument = serializers.CharField()


class SelfReportResultSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The first saved assessment (the link's first questionnaire).")
    instrument = serializers.CharField()
    administered_at = serializers.DateTimeField()
    assessments = SavedAssessmentSerializer(many=True, help_text="Every questionnaire of the link, as saved.")
    crisis_message = serializers.CharField(allow_null=True)


class SelfReportConflictSerializer(serializers.Serializer[Any]):
    link = serializers.ListField(child=serializers.CharField(), required=False)
    client_id = serializers.ListField(child=serializers.CharField(), required=False)
    crisis_message = serializers.CharField(allow_null=True)


class SummaryView(APIView):
    @extend_schema(responses=SummarySerializer)
    def get(self, request: Request, patient_id: int) -> Response:
        patient = visible_patient(request.user, patient_id)
        summary = selectors.patient_summary(patient, timezone.localdate())
        record_audit(user=request.user, action=AuditEvent.Action.VIEW, what="summary", patient_ids=[patient.id])
        return Response(SummarySerializer(summary.as_dict()).data)


class ShareSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    of = serializers.IntegerField()
    pct = serializers.FloatField(allow_null=True, help_text="count / of x 100, one decimal; null when `of` is 0")


class FidelitySerializer(serializers.Serializer[Any]):
    as_of = serializers.DateField(help_text="The clinic-local date the figures are computed for.")
    recent_days = serializers.IntegerField(help_text="The window of `scored_recently`: a score on or after as_of - N.")
    patients_in_active_phase = serializers.IntegerField(help_text="Your active patients with an active phase.")
    scored_recently = ShareSerializer(help_text="... with a primary-instrument score in the last `recent_days` days.")
    with_baseline = ShareSerializer(help_text="... whose active phase has a baseline (DESIGN 2).")
    median_days_between_scores = serializers.FloatField(
        allow_null=True, help_text="Median of the gaps between consecutive score days of the active phases."
    )
    gaps = serializers.IntegerField(help_text="How many gaps the median is taken over.")
    patients_with_gaps = serializers.IntegerField(help_text="From how many patients (two or more score days).")


class FidelityView(APIView):
    """Measurement fidelity of your own caseload (issue 14): is it measured, from a baseline, and how often."""

    @extend_schema(responses=FidelitySerializer)
    def get(self, request: Request) -> Response:
        figures = fidelity.fidelity(request.user, timezone.localdate())
        record_audit(user=request.user, action=AuditEvent.Action.VIEW, what="fidelity", patient_ids=[None])
        return Response(FidelitySerializer(figures.as_dict()).data)


class InstrumentAnswersSerializer(serializers.Serializer[Any]):
    instrument = serializers.CharField()
    items = serializers.JSONField(help_text="Answers as whole numbers, in item order.")
    difficulty = serializers.JSONField(required=False, allow_null=True)


class SelfReportSerializer(serializers.Serializer[Any]):
    """A link with one instrument takes `items` (and `difficulty`); a link with several takes `answers`, one entry
    per instrument it carries."""

    items = serializers.JSONField(required=False, help_text="Answers as whole numbers, in item order.")
    difficulty = serializers.JSONField(required=False, allow_null=True)
    answers = InstrumentAnswersSerializer(many=True, required=False)
    client_id = serializers.CharField(required=False, allow_null=True, max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refused = {
            k: ["Computed by the server; do not send it."] for k in ("total", "severity") if k in self.initial_data
        }
        if refused:
            raise serializers.ValidationError(refused)
        if ("items" in attrs) == ("answers" in attrs):
            raise serializers.ValidationError(
                {"items": ["Send `items` (a link with one questionnaire) or `answers` (one per questionnaire)."]}
            )
        return attrs


class SelfReportView(APIView):
    """A patient's submission through their link: no login; the token reaches only its own patient's form."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "self_report"

    @extend_schema(
        request=SelfReportSerializer,
        responses={
            201: SelfReportResultSerializer,
            200: SelfReportResultSerializer,
            409: OpenApiResponse(
                SelfReportConflictSerializer,
                description="The link has taken its one submission (or the same client_id sent other answers).",
            ),
        },
    )
    def post(self, request: Request, token: str) -> Response:
        link = selectors.link_for_token(services.hash_token(token), timezone.now())
        if link is None:
            raise Http404
        serializer = SelfReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "answers" in data:
            answers = [
                services.Answers(instrument=a["instrument"], items=a["items"], difficulty=a.get("difficulty"))
                for a in data["answers"]
            ]
        else:
            answers = [
                services.Answers(instrument=link.instrument, items=data["items"], difficulty=data.get("difficulty"))
            ]
        try:
            report = services.submit_self_report(link=link, answers=answers, client_id=data.get("client_id"))
        except SubmissionConflict as exc:
            # 409, not 410: the link still exists and answers a retry of its submission; what clashes is this request.
            sent = selectors.sent_self_report(SelfReportLink.objects.get(pk=link.pk))
            crisis = _crisis(sent is not None and sent.crisis, link.patient.language)
            body = {**exc.message_dict, "crisis_message": crisis}
            return Response(body, status=status.HTTP_409_CONFLICT)
        a = report.assessments[0]
        body = {
            "id": a.id,
            "instrument": a.instrument,
            "administered_at": a.administered_at,
            "assessments": [{"id": x.id, "instrument": x.instrument} for x in report.assessments],
            "crisis_message": _crisis(report.crisis, link.patient.language),
        }
        return Response(body, status=status.HTTP_201_CREATED if report.created else status.HTTP_200_OK)


def _crisis(positive: bool, language: str) -> str | None:
    return selectors.crisis_message(language) if positive else None
