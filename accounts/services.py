"""Writes about a user's sign-in: API tokens (issue, revoke) and two-factor devices (set up, confirm, verify)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts import selectors

LOCKED_OUT = "Too many failed sign-ins for this username from your address: try again in {minutes} minutes."


class LockedOut(Exception):
    """axes refused the sign-in: this username and address are locked for the cool-off."""


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; only its hash is stored
    expiry: datetime


def issue_api_token(*, request: Any, username: str, password: str, otp: str = "") -> IssuedToken:
    """Check the password (through axes' lockout) and, when the user has or needs two-factor, the code; a token.

    Raises LockedOut when axes locks the username+address, ValidationError with field messages otherwise.
    """
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise LockedOut(LOCKED_OUT.format(minutes=settings.MBC_LOCKOUT_MINUTES))
    if user is None:
        raise ValidationError({"non_field_errors": ["Unable to sign in with the username and password given."]})
    has_device = selectors.has_confirmed_device(user)
    if has_device or settings.MBC_REQUIRE_2FA:
        if not has_device:
            raise ValidationError(
                {"otp": ["Set up two-factor sign-in on the web pages first; then send your authenticator's code."]}
            )
        if not otp:
            raise ValidationError({"otp": ["Your authenticator's 6-digit code is required."]})
        if match_token(user, otp.strip()) is None:
            raise ValidationError({"otp": ["That code is wrong or expired."]})
    instance, token = AuthToken.objects.create(user)
    # A sign-in like any other (as knox's own view does): last_login, and axes clears the pair's failure count.
    user_logged_in.send(sender=type(user), request=request, user=user)
    assert instance.expiry is not None  # TOKEN_TTL is always set (MBC_API_TOKEN_DAYS)
    return IssuedToken(token=token, expiry=instance.expiry)


def revoke_api_tokens(*, user: Any) -> int:
    """Delete every API token of the user; the count deleted."""
    deleted, _ = AuthToken.objects.filter(user_id=user.pk).delete()
    return deleted


def revoke_tokens_on_credential_change(sender: Any, instance: Any, raw: bool = False, update_fields: Any = None,
                                       **kwargs: Any) -> None:
    """pre_save of the user: a new password or a deactivation revokes the user's API tokens."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login at every sign-in
    before = type(instance).objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        revoke_api_tokens(user=instance)


def start_device_setup(*, user: Any) -> TOTPDevice:
    """The user's unconfirmed TOTP device (a new secret), to show as a QR code until a code confirms it."""
    device = selectors.unconfirmed_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    return device


def confirm_device(*, request: HttpRequest, device: TOTPDevice, code: str) -> None:
    """A right code confirms the device, replaces any older one, and marks this session verified."""
    if not device.verify_token(code.strip()):
        raise ValidationError({"code": ["That code is wrong or expired: enter the 6 digits your app shows now."]})
    TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)


def verify_code(*, request: HttpRequest, code: str) -> None:
    """A right code from the user's device marks this session verified."""
    device = match_token(request.user, code.strip())
    if device is None:
        raise ValidationError({"code": ["That code is wrong or expired: enter the 6 digits your app shows now."]})
    otp_login(request, device)
