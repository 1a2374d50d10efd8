"""The one check of every clinical date the API and the pages take: from 1 January 1900 up to today (DESIGN §2)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

# Nobody alive was born, treated or assessed before this; a year-1 date is a typing slip, and date arithmetic near
# the calendar's edge (a baseline window 14 days before 0001-01-02) overflows.
EARLIEST_DATE = date(1900, 1, 1)
# A device clock a little ahead of the server's is not "the future" (DESIGN §2: more than 5 minutes after now).
FUTURE_TOLERANCE = timedelta(minutes=5)

TOO_EARLY = "Enter a date on or after 1 January 1900."
IN_THE_FUTURE = "This date is in the future."


def check_clinical_date(value: date, *, field: str, today: date | None = None) -> None:
    """ValidationError({field: [...]}) unless EARLIEST_DATE <= value <= today (clinic-local)."""
    today = today or timezone.localdate()
    if isinstance(value, datetime):  # a datetime is a date too: judge it by its own calendar date
        value = value.date()
    if value < EARLIEST_DATE:
        raise ValidationError({field: [TOO_EARLY]})
    if value > today:
        raise ValidationError({field: [IN_THE_FUTURE]})


def clinical_date_errors(today: date | None = None, **dates: date | None) -> dict[str, list[str]]:
    """The field messages of check_clinical_date for each given date (None: not given, nothing to check)."""
    errors: dict[str, list[str]] = {}
    for field, value in dates.items():
        if value is None:
            continue
        try:
            check_clinical_date(value, field=field, today=today)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    return errors


def check_clinical_moment(value: datetime, *, field: str, now: datetime | None = None) -> datetime:
    """An aware datetime from EARLIEST_DATE up to `now` plus FUTURE_TOLERANCE; a naive one is clinic-local.

    The calendar date as written is judged first, before any conversion: 9999-12-31T23:59:59-14:00 is past the
    last UTC date a datetime holds, and converting it would overflow instead of saying "in the future".
    """
    now = now or timezone.now()
    if value.date() < EARLIEST_DATE:
        raise ValidationError({field: [TOO_EARLY]})
    # Offsets are under a day, so a written date two days past today's is in the future in any time zone.
    if value.date() > timezone.localdate(now) + timedelta(days=1):
        raise ValidationError({field: ["This date and time is in the future."]})
    moment = value if timezone.is_aware(value) else timezone.make_aware(value)
    if moment > now + FUTURE_TOLERANCE:
        raise ValidationError({field: ["This date and time is in the future."]})
    return moment
