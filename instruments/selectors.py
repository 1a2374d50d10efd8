"""Reads of assessments, always through the care-team access selector."""

from __future__ import annotations

from typing import Any

from instruments.models import Assessment, AssessmentQuerySet
from patients.selectors import visible_patients


def visible_assessments(user: Any) -> AssessmentQuerySet:
    """Assessments of the user's patients only, oldest first."""
    return Assessment.objects.filter(patient__in=visible_patients(user)).order_by("administered_at", "id")
