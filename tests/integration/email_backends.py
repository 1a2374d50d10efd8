"""An email backend for worker processes under test: each message becomes a file in MBC_TEST_MAIL_DIR, written after
MBC_TEST_MAIL_DELAY seconds (a slow SMTP server), so a test can kill the worker in the middle of a send."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class SlowFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        folder = Path(os.environ["MBC_TEST_MAIL_DIR"])
        time.sleep(float(os.environ.get("MBC_TEST_MAIL_DELAY", "0")))
        for message in email_messages:
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)
