"""A logging filter: no self-report token, password-reset link or email address reaches a log line."""

from __future__ import annotations

import logging
import re

# The secret part of each URL shape, and the text that replaces it.
PATTERNS = [
    # /r/<token>/ and /r/<token>/done/ (the patient's page); /api/v1/self-report/<token>/
    (re.compile(r"(/r/|/self-report/)[^/\s?#\"']+"), r"\1[token]"),
    # /accounts/reset/<uidb64>/<token>/ (Django's password-reset confirmation)
    (re.compile(r"(/reset/)(?!done/)[^\s?#\"']+"), r"\1[reset-link]/"),
    (re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites the record's message (arguments merged in) and exception text; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        # django.request attaches the request itself; a formatter that prints it would print the path.
        if hasattr(record, "request"):
            record.request = None
        return True
