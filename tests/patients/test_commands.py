"""Tests of `manage.py create_clinician`: the password comes from stdin or a prompt, never from the command line."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from patients.models import Clinician
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
GOOD = "correct-horse-battery-42"


class Terminal(io.StringIO):
    """A stdin that says it is a terminal, for the interactive prompt."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def stdin(monkeypatch):
    def feed(text, *, tty=False):
        monkeypatch.setattr(sys, "stdin", (Terminal if tty else io.StringIO)(text))

    return feed


def create(*args):
    out = io.StringIO()
    call_command("create_clinician", *args, stdout=out)
    return out.getvalue()


def refusal(*args):
    with pytest.raises(CommandError) as caught:
        create(*args)
    return str(caught.value)


def users():
    return list(get_user_model().objects.values_list("username", flat=True))


def test_it_creates_a_clinician_with_the_password_from_stdin(db, stdin):
    stdin(GOOD + "\n")

    out = create("dana", "--password-stdin", "--email", "dana@clinic.test", "--role", "prescriber")

    user = get_user_model().objects.get(username="dana")
    assert user.check_password(GOOD)
    assert (user.email, Clinician.objects.get(user=user).role) == ("dana@clinic.test", "prescriber")
    assert "dana" in out
    assert GOOD not in out


def test_it_makes_a_therapist_by_default(db, stdin):
    stdin(GOOD)

    create("dana", "--password-stdin")

    assert Clinician.objects.get(user__username="dana").role == "therapist"


def test_it_keeps_inner_spaces_and_drops_only_the_line_end(db, stdin):
    stdin("  two words here 42  \r\n")

    create("dana", "--password-stdin")

    assert get_user_model().objects.get(username="dana").check_password("  two words here 42  ")


def test_it_reads_only_the_first_line_of_stdin(db, stdin):
    stdin(GOOD + "\nsomething-else-entirely-9\n")

    create("dana", "--password-stdin")

    assert get_user_model().objects.get(username="dana").check_password(GOOD)


@pytest.mark.parametrize(
    "weak",
    ["short1", "password123", "12345678901234", "dana@clinic.test"],
    ids=["short", "common", "numeric", "similar"],
)
def test_it_refuses_a_weak_password(db, stdin, weak):
    stdin(weak + "\n")

    message = refusal("dana", "--password-stdin", "--email", "dana@clinic.test")

    assert message.startswith("password:")
    assert "\n" not in message
    assert weak not in message
    assert users() == []


def test_it_refuses_a_duplicate_username(alice, stdin):
    stdin(GOOD + "\n")

    message = refusal("alice", "--password-stdin")

    assert message == "username: A user named 'alice' already exists."
    assert get_user_model().objects.get(username="alice").check_password(PASSWORD)
    assert Clinician.objects.count() == 1


@pytest.mark.parametrize("text", ["", "\n", "\r\n"], ids=["eof", "empty-line", "crlf"])
def test_it_refuses_an_empty_password_from_stdin(db, stdin, text):
    stdin(text)

    assert refusal("dana", "--password-stdin") == "The password is empty."
    assert users() == []


def test_it_refuses_to_run_without_stdin_flag_or_terminal(db, stdin):
    stdin(GOOD + "\n")

    message = refusal("dana")

    assert message == "Give the password with --password-stdin or at the interactive prompt."
    assert users() == []


def test_it_prompts_twice_on_a_terminal(db, stdin, monkeypatch):
    stdin("", tty=True)
    answers = iter([GOOD, GOOD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    create("dana")

    assert get_user_model().objects.get(username="dana").check_password(GOOD)


def test_it_refuses_two_different_passwords_at_the_prompt(db, stdin, monkeypatch):
    stdin("", tty=True)
    answers = iter([GOOD, GOOD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    assert refusal("dana") == "The two passwords differ."
    assert users() == []


@pytest.mark.parametrize(
    "argv",
    [
        ["dana", "--password", GOOD],
        ["dana", GOOD],
        [f"--password={GOOD}", "dana"],
        ["dana", "-p", GOOD],
        # argparse would take --password for an abbreviation of --password-stdin and GOOD for the username.
        ["--password", GOOD],
        ["--pass", GOOD],
    ],
    ids=["option", "positional", "equals", "short", "abbreviation-first", "short-abbreviation"],
)
def test_it_never_accepts_the_password_as_an_argument(db, stdin, argv):
    stdin("")

    with pytest.raises(CommandError, match=r"unrecognized arguments|the following arguments|ignored explicit argument"):
        create(*argv)

    assert users() == []


def test_it_refuses_an_unknown_role(db, stdin):
    stdin(GOOD)

    with pytest.raises(CommandError, match="role"):
        create("dana", "--password-stdin", "--role", "surgeon")

    assert users() == []


# --- the real command line: exit status and what reaches the terminal -------------------------------------------------


def manage(*argv, stdin_text="", tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MBC_", "DATABASE_URL", "DJANGO_"))}
    # A throwaway var/ and database, so the command line never touches the developer's own data.
    env |= {"MBC_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3"}
    return subprocess.run(
        [sys.executable, "manage.py", "create_clinician", *argv],
        input=stdin_text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_it_exits_non_zero_with_one_line_when_the_password_is_missing(tmp_path):
    result = manage("dana", "--password-stdin", stdin_text="", tmp_path=tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip() == "CommandError: The password is empty."


def test_it_exits_non_zero_for_a_password_on_the_command_line(tmp_path):
    result = manage("dana", "--password", GOOD, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "unrecognized arguments" in result.stderr


def test_it_offers_no_password_option_in_its_help(tmp_path):
    result = manage("--help", tmp_path=tmp_path)

    assert result.returncode == 0
    assert "--password-stdin" in result.stdout
    assert "--password " not in result.stdout
    assert "--password=" not in result.stdout
