"""The client's address, one definition for the throttles and the lockout; the throttle of the self-report page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_address(request: Any) -> str:
    """REMOTE_ADDR, or the address MBC_TRUSTED_PROXIES (REST_FRAMEWORK NUM_PROXIES) proxies vouch for.

    DRF's own reading, so that axes (AXES_CLIENT_IP_CALLABLE) and the throttles can never disagree; a client's own
    X-Forwarded-For counts only as far as the trusted proxies reach.
    """
    return BaseThrottle().get_ident(request)


class PageThrottle(SimpleRateThrottle):
    """A DRF rate throttle (same cache, same rates table) for plain Django views, keyed by client address."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


def throttle_page(scope: str, template: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Answer 429 with `template` (and Retry-After) once the address has used up `scope`'s rate."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def throttled(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            throttle = PageThrottle(scope)
            if not throttle.allow_request(request, None):
                wait = throttle.wait()
                response = render(request, template, status=429)
                if wait is not None:
                    response["Retry-After"] = str(max(1, int(wait)))
                return response
            return view(request, *args, **kwargs)

        return throttled

    return decorate
