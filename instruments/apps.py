"""App config of the instruments."""

from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "instruments"
    verbose_name = "Instruments and assessments"

    def ready(self) -> None:
        from django.conf import settings

        from instruments import definitions

        definitions.configure(pcl5_cutoff=settings.MBC_PCL5_CUTOFF)
