"""The clinic's date formats for en-gb pages (settings MBC_DATE_FORMAT, MBC_SHORT_DATE_FORMAT)."""

from django.conf import settings

DATE_FORMAT = settings.MBC_DATE_FORMAT
SHORT_DATE_FORMAT = settings.MBC_SHORT_DATE_FORMAT
DATETIME_FORMAT = f"{settings.MBC_DATE_FORMAT} H:i"
SHORT_DATETIME_FORMAT = f"{settings.MBC_SHORT_DATE_FORMAT} H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
FIRST_DAY_OF_WEEK = 1
