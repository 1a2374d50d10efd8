"""App config of sign-in and its safeguards: API tokens, two-factor devices, lockout, throttles, log redaction."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import pre_save

        from accounts import middleware, services

        # Every path that changes a password or deactivates a user (the pages, a reset, the admin, `changepassword`,
        # a script) saves the user; hooking the save is the one place none of them can miss.
        pre_save.connect(services.revoke_tokens_on_credential_change, sender=get_user_model(),
                         dispatch_uid="accounts.revoke_tokens")
        # Whether the second factor will be asked, read once at sign-in rather than on every page.
        user_logged_in.connect(middleware.remember_device_at_sign_in, dispatch_uid="accounts.remember_device")
