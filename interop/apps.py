"""App config of interoperability: FHIR R4 and CSV, in and out."""

from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = "Interoperability (FHIR, CSV)"
