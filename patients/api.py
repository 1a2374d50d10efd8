"""The patients API: patients, their treatment phases and medications (DESIGN §3). Thin views over services."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mbc.pagination import PAGE_PARAMETERS, paginate
from patients import selectors, services
from patients.models import AuditEvent, Medication, Patient, Therapy, TreatmentPhase
from reassessment.services import change_dose, change_medication, change_patient, change_phase, record_medication


class PatientSerializer(serializers.ModelSerializer[Patient]):
    # Validated by the service after normalising ("f33.1" is F33.1), not by the model's regex before it.
    diagnosis = serializers.CharField(required=False, allow_blank=True, max_length=12, default="")

    class Meta:
        model = Patient
        fields = [
            "id",
            "external_id",
            "display_name",
            "birth_date",
            "diagnosis",
            "email",
            "primary_instrument",
            "reminder_interval_days",
            "language",
            "link_instruments",
            "prior_episodes",
            "episode_onset",
            "preference",
            "active",
            "created_at",
        ]
        read_only_fields = ["id", "active", "created_at"]
        # Uniqueness is the service's (and the database's) job: one place, race-free.
        extra_kwargs = {"external_id": {"validators": []}}


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    """A choice given in any letter case ("CBT" is cbt): DESIGN §2 therapy codes, stored lowercase."""

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(data.strip().lower() if isinstance(data, str) else data)


class PhaseSerializer(serializers.ModelSerializer[TreatmentPhase]):
    therapy = CaseInsensitiveChoiceField(
        choices=[("", "none"), *Therapy.choices], required=False, allow_blank=True, default=""
    )

    class Meta:
        model = TreatmentPhase
        fields = ["id", "patient", "modality", "stage", "therapy", "started_on", "ended_on", "notes", "created_at"]
        read_only_fields = ["id", "patient", "ended_on", "created_at"]


class MedicationSerializer(serializers.ModelSerializer[Medication]):
    serotonergic = serializers.BooleanField(required=False, allow_null=True, default=None)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Medication
        fields = [
            "id",
            "patient",
            "name",
            "drug_class",
            "serotonergic",
            "dose",
            "started_on",
            "stopped_on",
            "active",
            "created_at",
        ]
        read_only_fields = ["id", "patient", "created_at"]

    def get_active(self, medication: Medication) -> bool:
        today = timezone.localdate()
        return medication.started_on <= today and (medication.stopped_on is None or medication.stopped_on >= today)


class PatientListView(APIView):
    @extend_schema(parameters=PAGE_PARAMETERS, responses=PatientSerializer(many=True))
    def get(self, request: Request) -> Response:
        ordered = selectors.visible_patients(request.user).order_by("display_name", "id")
        patients, pages = paginate(request, self, ordered)
        services.record_audit(
            user=request.user, action=AuditEvent.Action.LIST, what="patient", patient_ids=[p.id for p in patients]
        )
        return pages.get_paginated_response(PatientSerializer(patients, many=True).data)

    @extend_schema(request=PatientSerializer, responses={201: PatientSerializer})
    def post(self, request: Request) -> Response:
        serializer = PatientSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = services.create_patient(created_by=request.user, **serializer.validated_data)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(APIView):
    @extend_schema(responses=PatientSerializer)
    def get(self, request: Request, patient_id: int) -> Response:
        patient = selectors.visible_patient(request.user, patient_id)
        services.record_audit(user=request.user, action=AuditEvent.Action.VIEW, what="patient",
                              patient_ids=[patient.id])
        return Response(PatientSerializer(patient).data)

    @extend_schema(request=PatientSerializer, responses=PatientSerializer)
    def patch(self, request: Request, patient_id: int) -> Response:
        patient = selectors.visible_patient(request.user, patient_id)
        serializer = PatientSerializer(patient, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "external_id" in serializer.validated_data:
            raise ValidationError({"external_id": ["The record number cannot be changed."]})
        patient = change_patient(patient=patient, by=request.user, changes=dict(serializer.validated_data))
        return Response(PatientSerializer(patient).data)


class PhaseListView(APIView):
    @extend_schema(parameters=PAGE_PARAMETERS, responses=PhaseSerializer(many=True))
    def get(self, request: Request, patient_id: int) -> Response:
        patient = selectors.visible_patient(request.user, patient_id)
        phases, pages = paginate(request, self, selectors.phases_of(patient))
        services.record_audit(user=request.user, action=AuditEvent.Action.VIEW, what="phases",
                              patient_ids=[patient.id])
        return pages.get_paginated_response(PhaseSerializer(phases, many=True).data)

    @extend_schema(request=PhaseSerializer, responses={201: PhaseSerializer})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = selectors.visible_patient(request.user, patient_id)
        serializer = PhaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        phase = change_phase(patient=patient, by=request.user, **serializer.validated_data)
        return Response(PhaseSerializer(phase).data, status=status.HTTP_201_CREATED)


class MedicationListView(APIView):
    @extend_schema(parameters=PAGE_PARAMETERS, responses=MedicationSerializer(many=True))
    def get(self, request: Request, patient_id: int) -> Response:
        patient = selectors.visible_patient(request.user, patient_id)
        meds, pages = paginate(request, self, selectors.medications_of(patient, timezone.localdate()))
        services.record_audit(user=request.user, action=AuditEvent.Action.VIEW, what="medications",
                              patient_ids=[patient.id])
        return pages.get_paginated_response(MedicationSerializer(meds, many=True).data)

    @extend_schema(request=MedicationSerializer, responses={201: MedicationSerializer})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = selectors.visible_patient(request.user, patient_id)
        serializer = MedicationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        medication, flags = record_medication(patient=patient, by=request.user, **data)
        body = dict(MedicationSerializer(medication).data)
        body["flags"] = [flag.id for flag in flags]
        return Response(body, status=status.HTTP_201_CREATED)


class MedicationUpdateSerializer(serializers.Serializer[Any]):
    stopped_on = serializers.DateField(required=False, help_text="Not before started_on, not in the future.")
    dose = serializers.CharField(required=False, allow_blank=True, max_length=120, help_text="A corrected dose.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - {"stopped_on", "dose"})
        if unknown:
            raise serializers.ValidationError({name: ["This field cannot be changed here."] for name in unknown})
        return attrs


class ChangeDoseSerializer(serializers.Serializer[Any]):
    dose = serializers.CharField(max_length=120)
    on = serializers.DateField(help_text="The first day of the new dose; the old row stops the day before.")


class MedicationDetailView(APIView):
    @extend_schema(request=MedicationUpdateSerializer, responses=MedicationSerializer)
    def patch(self, request: Request, patient_id: int, medication_id: int) -> Response:
        medication = selectors.visible_medication(request.user, patient_id, medication_id)
        serializer = MedicationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        medication, flags = change_medication(medication=medication, by=request.user, **serializer.validated_data)
        body = dict(MedicationSerializer(medication).data)
        body["flags"] = [flag.id for flag in flags]
        return Response(body)


class MedicationDoseView(APIView):
    @extend_schema(request=ChangeDoseSerializer, responses={201: MedicationSerializer})
    def post(self, request: Request, patient_id: int, medication_id: int) -> Response:
        medication = selectors.visible_medication(request.user, patient_id, medication_id)
        serializer = ChangeDoseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new, flags = change_dose(medication=medication, by=request.user, **serializer.validated_data)
        body = dict(MedicationSerializer(new).data)
        body["flags"] = [flag.id for flag in flags]
        return Response(body, status=status.HTTP_201_CREATED)
