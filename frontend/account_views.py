"""Sign-in pages beyond Django's own: two-factor setup and code, and the lockout answer (page or JSON)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.middleware import HAS_DEVICE

T = "frontend/accounts/"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code", max_length=8, min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure())
    return target if safe else "/"


def _apply(form: forms.Form, exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), then confirm with a code."""
    if selectors.has_confirmed_device(request.user):
        if not request.user.is_verified():  # type: ignore[union-attr]
            return redirect(f"{reverse('two-factor-verify')}?{urlencode({'next': _next(request)})}")
        return render(request, T + "two_factor_on.html")
    device = services.start_device_setup(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_device(request=request, device=device, code=form.cleaned_data["code"])
        except ValidationError as exc:
            _apply(form, exc)
        else:
            return redirect(_next(request))
    uri = device.config_url
    context = {
        "form": form,
        "qr": segno.make(uri, error="m").svg_inline(scale=4, light="#fff", omitsize=False),
        "key": _spaced(device.bin_key),
        "next": _next(request),
        "required": settings.MBC_REQUIRE_2FA,
    }
    return render(request, T + "two_factor_setup.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code from the user's authenticator app."""
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(_next(request))
    if not selectors.has_confirmed_device(request.user):
        request.session.pop(HAS_DEVICE, None)  # removed by IT since this session began
        return redirect(f"{reverse('two-factor-setup')}?{urlencode({'next': _next(request)})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_code(request=request, code=form.cleaned_data["code"])
        except ValidationError as exc:
            _apply(form, exc)
        else:
            return redirect(_next(request))
    return render(request, T + "two_factor_verify.html", {"form": form, "next": _next(request)},
                  status=400 if form.errors else 200)


def _spaced(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """axes' answer to a locked-out username+address: JSON for the API, the lockout page otherwise (429)."""
    message = services.LOCKED_OUT.format(minutes=settings.MBC_LOCKOUT_MINUTES)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, T + "locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(settings.MBC_LOCKOUT_MINUTES * 60)
    return response
