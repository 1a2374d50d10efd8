"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered from each app's tasks.py."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mbc.settings")

app = Celery("mbc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def keep_django_logging(**kwargs: object) -> None:
    """The worker and beat log through mbc's LOGGING, redaction filter included, instead of Celery's own handlers.

    With a receiver here Celery leaves logging alone, and no longer turns the worker's stdout into log lines: the
    console email backend of development still prints a reminder, link and all, to worker.log (production refuses
    that backend).
    """
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
