"""Middleware of the whole site: no response is stored by a cache, and a signed-in user passes two-factor first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from accounts import selectors

# Paths a signed-in user reaches before the second factor: the two-factor pages, signing out, static files, and what
# needs no session at all (the API's token endpoint, the patient's self-report page).
TWO_FACTOR_FREE = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/api/v1/auth/token/", "/r/",
                   "/api/v1/self-report/", "/favicon.ico")
# The session remembers whether its user had a confirmed device when it was first asked.
HAS_DEVICE = "mbc_has_2fa_device"


def remember_device_at_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Not for the API's token endpoint: its client signs each request with the token, not a session.
    if request is not None and hasattr(request, "session") and not request.path.startswith("/api/"):
        request.session[HAS_DEVICE] = selectors.has_confirmed_device(user)


class NoStoreMiddleware:
    """`Cache-Control: no-store` (and private, no-cache) on every page and API answer.

    Nearly every response names a patient or a clinician's caseload; a browser's back-button cache or a shared proxy
    must keep none of it. Static files are served above this middleware (WhiteNoise) and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class TwoFactorMiddleware:
    """A user signed in with a password but not yet with a code goes to the code page (or the setup page).

    The code is asked of everyone with a confirmed device; with MBC_REQUIRE_2FA, a user without one must set one up
    first. The API answers 403 in JSON to such a session instead of redirecting; API tokens are only issued after
    the code (see accounts.api).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or user.is_verified() or request.path.startswith(TWO_FACTOR_FREE):  # type: ignore[union-attr]
            return self.get_response(request)
        has_device = request.session.get(HAS_DEVICE)
        if has_device is None:  # once per session: the pages' query counts stay as they were
            has_device = request.session[HAS_DEVICE] = selectors.has_confirmed_device(user)
        if not has_device and not settings.MBC_REQUIRE_2FA:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            if request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
                return self.get_response(request)  # a token, issued only after the code; the session is not used
            return JsonResponse(
                {"detail": "Two-factor sign-in is required: enter your authenticator's code on the sign-in page."},
                status=403,
            )
        target = "two-factor-verify" if has_device else "two-factor-setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
