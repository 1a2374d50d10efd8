"""manage.py create_clinician USERNAME [--email E] [--role ...] [--password-stdin]: never a password in argv."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from patients.models import Role
from patients.services import create_clinician


class Command(BaseCommand):
    help = "Create a clinician account. The password is read from standard input or an interactive prompt."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Otherwise argparse reads `--password SECRET` as --password-stdin and takes SECRET for the username.
        parser.allow_abbrev = False
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--role", default=Role.THERAPIST, choices=Role.values)
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        else:
            raise CommandError("Give the password with --password-stdin or at the interactive prompt.")
        if not password:
            raise CommandError("The password is empty.")
        try:
            user = create_clinician(
                username=options["username"], email=options["email"], role=options["role"], password=password
            )
        except ValidationError as exc:
            raise CommandError(" ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        self.stdout.write(f"Created clinician {user.get_username()} ({options['role']}).")
