"""The token endpoint's contract: the OpenAPI schema stays valid and documents otp, token and expiry."""

from __future__ import annotations

import io

from django.core.management import call_command


def test_it_keeps_the_openapi_schema_valid_with_the_token_endpoint(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    import json

    schema = json.loads(out.getvalue())
    post = schema["paths"]["/api/v1/auth/token/"]["post"]
    request = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    response = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    assert set(schema["components"]["schemas"][request]["properties"]) == {"username", "password", "otp"}
    assert set(schema["components"]["schemas"][response]["properties"]) == {"token", "expiry"}
    assert "429" in post["responses"]
