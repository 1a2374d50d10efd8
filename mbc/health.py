"""/health/ for the compose file's health checks and a clinic's monitoring: database, cache, broker, migrations, sweep.

Built on django-health-check; the checks that are mbc's own (migrations applied, beat's last sweep) are here. The
page names services and says OK or what failed, never a patient, a score or a credential, so it needs no sign-in.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from reassessment.selectors import SWEEP_MAX_AGE, last_sweep


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker answers a connection (Redis in production; the embedded broker's folder in development)."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        from mbc.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:  # kombu raises OperationalError and the transports' own errors
            raise ServiceUnavailable(f"broker unreachable ({type(exc).__name__})") from exc


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration of the code is applied to the database (a deploy that forgot `migrate` fails here)."""

    def run(self) -> None:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        connection.close()  # this runs in an executor thread: leave no connection behind
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied")


@dataclasses.dataclass
class Sweep(HealthCheck):
    """The daily sweep finished within the last 26 hours (beat or cron is running it)."""

    def run(self) -> None:
        try:
            finished = last_sweep()
        finally:
            connection.close()
        if finished is None:
            raise ServiceUnavailable("no sweep has finished yet")
        if timezone.now() - finished > SWEEP_MAX_AGE:
            hours = (timezone.now() - finished).total_seconds() // 3600
            raise ServiceUnavailable(f"the last sweep finished {hours:.0f} hours ago")


class MbcHealthView(HealthCheckView):
    checks = (
        "health_check.checks.Database",
        "health_check.checks.Cache",
        Broker,
        Migrations,
        Sweep,
    )
