"""The API's JSON parser: DRF's, with JSON nested past Python's recursion limit refused as bad JSON (a 400)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads recurses once per level: 5,000 nested brackets exhaust the stack. No answer nests that deep.
            raise ParseError("JSON parse error - nested too deeply.") from None
